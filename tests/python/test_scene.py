"""Scenes: priorities, labels, transform modes, cells and periodicity."""

import numpy as np
import pytest
from helpers import sorted_positions

import cz


@pytest.fixture(scope="module")
def gold():
    return cz.Lattice.prototype("fcc", "Au", a=4.08)


@pytest.fixture(scope="module")
def silver():
    return cz.Lattice.prototype("fcc", "Ag", a=4.09)


def test_priority_and_labels(gold, silver):
    scene = cz.Scene()
    first = scene.add(gold, cz.Sphere(10.0))
    second = scene.add(silver, cz.Sphere(10.0, center=(8.0, 0, 0)), priority=1,
                       class_="substrate", grain=7)
    assert (first, second) == (0, 1) and len(scene) == 2
    atoms = scene.to_atoms()
    gold_atoms = atoms.numbers == 79
    silver_atoms = atoms.numbers == 47
    assert np.all(atoms.arrays["object_id"][gold_atoms] == 1)
    assert np.all(atoms.arrays["object_id"][silver_atoms] == 2)
    assert np.all(atoms.arrays["grain_id"][gold_atoms] == 1)  # default: the object id
    assert np.all(atoms.arrays["grain_id"][silver_atoms] == 7)
    assert np.all(atoms.arrays["class_id"][silver_atoms] == 2)
    # silver has the higher priority: no gold atom inside its sphere
    pos = atoms.positions[gold_atoms]
    assert np.all(np.linalg.norm(pos - (8.0, 0, 0), axis=1) > 10.0 - 1e-9)
    assert silver_atoms.sum() == len(cz.fill(silver, cz.Sphere(10.0, center=(8.0, 0, 0))))


def test_equal_priority_goes_to_first_object(gold, silver):
    scene = cz.Scene()
    scene.add(silver, cz.Sphere(10.0, center=(8.0, 0, 0)))
    scene.add(gold, cz.Sphere(10.0))
    atoms = scene.to_atoms()
    assert (atoms.numbers == 47).sum() == len(cz.fill(silver, cz.Sphere(10.0, center=(8, 0, 0))))


def test_transform_modes(gold):
    shift = cz.Transform.translation((20.0, 0.0, 0.0))
    base = cz.fill(gold, cz.Sphere(9.0))

    locked = cz.Scene()
    locked.transform(locked.add(gold, cz.Sphere(9.0)), shift, mode="locked")
    np.testing.assert_allclose(sorted_positions(locked.to_atoms().positions),
                               sorted_positions(base.positions + (20.0, 0, 0)), atol=1e-9)

    region = cz.Scene()
    region.transform(region.add(gold, cz.Sphere(9.0)), shift, mode="region")
    moved = region.to_atoms()
    assert np.all(np.linalg.norm(moved.positions - (20.0, 0, 0), axis=1) <= 9.0 + 1e-9)

    lattice_only = cz.Scene()
    lattice_only.transform(lattice_only.add(gold, cz.Sphere(9.0)),
                           cz.Transform.translation((2.04, 0.0, 0.0)), mode="lattice")
    half = lattice_only.to_atoms()
    assert np.all(np.linalg.norm(half.positions, axis=1) <= 9.0 + 1e-9)
    assert len(half) != len(base)  # a different piece of the crystal

    with pytest.raises(ValueError, match="mode must be one of"):
        locked.transform(0, shift, mode="rigid")
    with pytest.raises(ValueError, match="cz_scene_transform"):
        locked.transform(5, shift)


def test_periodic_cell_is_commensurate(gold):
    cell = np.eye(3) * 4.08 * 4
    scene = cz.Scene(cell=cell, pbc=True)
    scene.add(gold, cz.Box((-50, -50, -50), (50, 50, 50)))
    atoms = scene.to_atoms()
    assert len(atoms) == 4 * 4**3  # half-open cell: no duplicated periodic images
    assert atoms.pbc.all()
    np.testing.assert_allclose(atoms.cell.array, cell)
    frac = atoms.get_scaled_positions(wrap=False)
    assert frac.min() >= -1e-9 and frac.max() < 1.0


def test_slab_with_mixed_periodicity(gold):
    cell = np.diag([4.08 * 3, 4.08 * 3, 30.0])
    scene = cz.Scene(cell=cell, pbc=(True, True, False))
    scene.add(gold, cz.Box((-1, -1, 5.0), (100, 100, 13.0)), class_="substrate")
    atoms = scene.to_atoms()
    assert atoms.pbc.tolist() == [True, True, False]
    assert np.all(atoms.arrays["class_id"] == 2)
    assert atoms.positions[:, 2].min() >= 5.0 and atoms.positions[:, 2].max() <= 13.0


def test_scene_errors(gold):
    scene = cz.Scene()
    scene.add(gold, cz.HalfSpace((0, 0, 1), (0, 0, 0)))
    with pytest.raises(ValueError, match="cz_scene_populate"):
        scene.to_atoms()  # unbounded object without a cell
    with pytest.raises(ValueError, match="cz_scene_set_cell"):
        cz.Scene(cell=[[1, 0, 0], [2, 0, 0], [0, 0, 1]], pbc=True)
    big = cz.Scene()
    big.add(gold, cz.Sphere(25.0))
    with pytest.raises(cz.CzError, match="cz_scene_populate"):
        big.to_atoms(max_atoms=100)
