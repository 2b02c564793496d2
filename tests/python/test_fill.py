"""Crystal fill: atom counts, agreement with ASE, transforms, labels and caps."""

import numpy as np
import pytest
from ase.build import bulk
from helpers import sorted_positions

import cz

A_AU = 4.08
A_CU = 3.615


@pytest.fixture(scope="module")
def gold():
    return cz.Lattice.prototype("fcc", "Au", a=A_AU)


@pytest.mark.parametrize("radius, expected", [(25.0, 3925), (50.0, 30885)])
def test_fcc_gold_sphere_counts(gold, radius, expected):
    atoms = cz.fill(gold, cz.Sphere(radius))
    assert len(atoms) == expected
    assert cz.count(gold, cz.Sphere(radius)) == expected
    assert set(atoms.numbers) == {79}
    assert np.linalg.norm(atoms.positions, axis=1).max() <= radius + 1e-9
    assert not atoms.pbc.any()
    assert np.all(atoms.cell.array == 0.0)


@pytest.mark.parametrize("radius, expected", [(25.0, 3925), (50.0, 30885)])
def test_locked_random_rotation_keeps_count(gold, radius, expected):
    # A rigid rotation about the sphere centre (a lattice site) moves lattice and region
    # together, so the same atoms are cut: through a scene and through fill directly.
    rotation = cz.Transform.random_rotation(seed=20240611, stream=3, index=7)
    scene = cz.Scene()
    index = scene.add(gold, cz.Sphere(radius))
    scene.transform(index, rotation, mode="locked")
    rotated = scene.to_atoms()
    assert len(rotated) == expected

    sphere = cz.Sphere(radius)
    direct = cz.fill(gold, sphere.transformed(rotation), rotation)
    assert len(direct) == expected
    unrotated = cz.fill(gold, sphere)
    np.testing.assert_allclose(sorted_positions(direct.positions),
                               sorted_positions(rotation.apply(unrotated.positions)), atol=1e-6)


def test_rotation_about_offset_centre_keeps_count(gold):
    # Sphere centred on a lattice site away from the origin, rotated about that site.
    centre = np.array([3, -2, 5]) * A_AU
    rotation = cz.Transform.random_rotation(seed=99, center=centre)
    sphere = cz.Sphere(25.0, center=centre)
    assert len(cz.fill(gold, sphere.transformed(rotation), rotation)) == 3925


def test_box_matches_ase_bulk_copper():
    lattice = cz.Lattice.prototype("fcc", "Cu", a=A_CU)
    lo = np.array([2.07, 3.11, 1.53])
    hi = np.array([20.41, 17.29, 25.02])
    atoms = cz.fill(lattice, cz.Box(lo, hi))

    reference = bulk("Cu", "fcc", a=A_CU, cubic=True).repeat((8, 8, 8))
    pos = reference.positions
    inside = np.all((pos >= lo) & (pos <= hi), axis=1)
    assert len(atoms) == inside.sum() > 400
    np.testing.assert_allclose(sorted_positions(atoms.positions),
                               sorted_positions(pos[inside]), atol=1e-9)


def test_sphere_matches_ase_bulk_copper():
    lattice = cz.Lattice.from_atoms(bulk("Cu", "fcc", a=A_CU, cubic=True))
    centre = np.array([14.3, 15.1, 13.7])
    atoms = cz.fill(lattice, cz.Sphere(11.0, centre))
    reference = bulk("Cu", "fcc", a=A_CU, cubic=True).repeat((9, 9, 9))
    pos = reference.positions
    inside = np.linalg.norm(pos - centre, axis=1) <= 11.0
    assert len(atoms) == inside.sum()
    np.testing.assert_allclose(sorted_positions(atoms.positions),
                               sorted_positions(pos[inside]), atol=1e-9)


def test_hexagonal_cell_matches_ase_bulk_magnesium():
    # ASE's primitive hcp cell (b at 120°) exercises a non-orthogonal cell.
    primitive = bulk("Mg", "hcp", a=3.21, c=5.21)
    lattice = cz.Lattice.from_atoms(primitive)
    reference = primitive.repeat((10, 10, 6))
    centre = reference.cell.array.sum(axis=0) / 2 + np.array([0.17, -0.23, 0.11])
    atoms = cz.fill(lattice, cz.Sphere(9.5, centre))
    pos = reference.positions
    inside = np.linalg.norm(pos - centre, axis=1) <= 9.5
    assert len(atoms) == inside.sum() > 50
    np.testing.assert_allclose(sorted_positions(atoms.positions),
                               sorted_positions(pos[inside]), atol=1e-9)


def test_labels_and_class_names(gold):
    atoms = cz.fill(gold, cz.Sphere(8.0), object_id=4, grain_id=9, class_="substrate")
    for key, value in (("object_id", 4), ("grain_id", 9), ("class_id", 2)):
        assert atoms.arrays[key].dtype.kind == "i"
        assert np.all(atoms.arrays[key] == value)
    default = cz.fill(gold, cz.Sphere(8.0))
    expected = cz.defaults()["fill"]
    assert np.all(default.arrays["class_id"] == expected["class_id"])
    assert np.all(default.arrays["object_id"] == expected["object_id"])
    with pytest.raises(ValueError, match="unknown atom class"):
        cz.fill(gold, cz.Sphere(8.0), class_="crystal")


def test_thread_count_does_not_change_output(gold):
    volume = cz.Sphere(20.0) - cz.HalfSpace((1, 1, 1), (2.0, 0.5, 0.0))
    one = cz.fill(gold, volume, nthreads=1)
    four = cz.fill(gold, volume, nthreads=4)
    assert np.array_equal(one.positions, four.positions)
    assert np.array_equal(one.numbers, four.numbers)


def test_max_atoms_exceeded_is_cz_error(gold):
    with pytest.raises(cz.CzError) as info:
        cz.fill(gold, cz.Sphere(25.0), max_atoms=1000)
    assert not isinstance(info.value, ValueError)
    assert isinstance(info.value, RuntimeError)
    assert info.value.status == cz._cz.ERANGE
    assert "cz_fill" in str(info.value)
    assert len(cz.fill(gold, cz.Sphere(25.0), max_atoms=3925)) == 3925


def test_unbounded_volume_is_value_error(gold):
    with pytest.raises(ValueError, match="unbounded|bounded"):
        cz.fill(gold, cz.HalfSpace((0, 0, 1), (0, 0, 0)))


def test_negative_max_atoms_rejected(gold):
    with pytest.raises(ValueError, match="max_atoms"):
        cz.fill(gold, cz.Sphere(5.0), max_atoms=-1)
