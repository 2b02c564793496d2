"""Composition through Python: exact substitution and vacancy counts, reproducible choices,
coordination numbers against ASE's neighbour list, surface roughness, core-shell scenes."""

import numpy as np
import pytest
from ase.build import bulk
from ase.neighborlist import neighbor_list

import cz

A_AU = 4.08


@pytest.fixture(scope="module")
def gold():
    return cz.Lattice.prototype("fcc", "Au", a=A_AU)


@pytest.fixture(scope="module")
def particle(gold):
    return cz.fill(gold, cz.Sphere(14.0))


def expected_count(fraction, m):
    return int(np.floor(fraction * m + 0.5))


@pytest.mark.parametrize("fraction", [0.0, 0.137, 0.5, 1.0])
def test_substitution_exact_counts(particle, fraction):
    out = cz.substitute(particle, "Au", "Ag", fraction, seed=11)
    m = len(particle)
    assert (out.numbers == 47).sum() == expected_count(fraction, m)
    assert (out.numbers == 79).sum() == m - expected_count(fraction, m)
    np.testing.assert_array_equal(out.positions, particle.positions)
    assert np.all(particle.numbers == 79)  # input untouched


def test_substitution_is_reproducible_and_selective(gold, particle):
    a = cz.substitute(particle, 79, "Pd", 0.3, seed=5)
    b = cz.substitute(particle, 79, "Pd", 0.3, seed=5)
    c = cz.substitute(particle, 79, "Pd", 0.3, seed=6)
    np.testing.assert_array_equal(a.numbers, b.numbers)
    assert not np.array_equal(a.numbers, c.numbers)
    assert not np.array_equal(a.numbers, cz.substitute(particle, 79, "Pd", 0.3, seed=5,
                                                       stream=1).numbers)
    # Only atoms of the chosen object (and element) are eligible.
    scene = cz.Scene()
    scene.add(gold, cz.Sphere(6.0))
    scene.add(gold, cz.Sphere(6.0, center=(30.0, 0, 0)))
    two = scene.to_atoms()
    mine = two.arrays["object_id"] == 2
    out = cz.substitute(two, "Au", "Cu", 0.5, object_id=2, seed=1)
    assert np.all(out.numbers[~mine] == 79)
    assert (out.numbers[mine] == 29).sum() == expected_count(0.5, mine.sum())
    # Elements other than z_from are never touched.
    assert np.all(cz.substitute(out, "Au", "Ag", 1.0).numbers[out.numbers == 29] == 29)


def test_vacancies(particle):
    out = cz.vacate(particle, 0.2, seed=3)
    assert len(out) == len(particle) - expected_count(0.2, len(particle))
    # Survivors keep their order, positions and labels.
    lookup = {tuple(np.round(p, 9)): i for i, p in enumerate(particle.positions)}
    index = np.array([lookup[tuple(np.round(p, 9))] for p in out.positions])
    assert np.all(np.diff(index) > 0)
    np.testing.assert_array_equal(out.arrays["grain_id"], particle.arrays["grain_id"][index])
    rocksalt = cz.fill(cz.Lattice.prototype("rocksalt", ("Na", "Cl"), a=5.64), cz.Sphere(12.0))
    nacl = cz.vacate(rocksalt, 0.25, element="Cl", seed=9)
    n_cl = (rocksalt.numbers == 17).sum()
    assert (nacl.numbers == 17).sum() == n_cl - expected_count(0.25, n_cl)
    assert (nacl.numbers == 11).sum() == (rocksalt.numbers == 11).sum()
    np.testing.assert_array_equal(cz.vacate(particle, 0.2, seed=3).positions, out.positions)


def test_coordination_matches_ase(particle):
    cn = cz.coordination(particle, 3.2)
    i, _ = neighbor_list("ij", particle, 3.2)
    np.testing.assert_array_equal(cn, np.bincount(i, minlength=len(particle)))
    assert cn.max() == 12 and cn.dtype == np.int64
    # A periodic cell narrower than twice the cutoff: every image counts.
    cell = bulk("Au", "fcc", a=A_AU, cubic=True)
    np.testing.assert_array_equal(cz.coordination(cell, 3.2), [12] * 4)
    np.testing.assert_array_equal(cz.coordination(cell, 4.5), [18] * 4)  # + 6 second shell
    i, _ = neighbor_list("ij", cell, 5.0)
    np.testing.assert_array_equal(cz.coordination(cell, 5.0), np.bincount(i))


def test_roughen_removes_only_surface_atoms(particle):
    cn = cz.coordination(particle, 3.2)
    surface = cn < 12
    out = cz.roughen(particle, 0.4, seed=2)
    assert len(out) == len(particle) - expected_count(0.4, surface.sum())
    kept = {tuple(np.round(p, 9)) for p in out.positions}
    removed = [i for i, p in enumerate(particle.positions) if tuple(np.round(p, 9)) not in kept]
    assert np.all(surface[removed])
    deeper = cz.roughen(particle, 0.4, seed=2, passes=3)
    assert len(deeper) < len(out)


def test_core_shell_scene(gold):
    platinum = cz.Lattice.prototype("fcc", "Pt", a=3.92)
    scene = cz.Scene()
    scene.add(gold, cz.Sphere(4.0, center=(40.0, 0, 0)))
    indices = scene.add_core_shell(gold, cz.Sphere(7.0), platinum, cz.Sphere(12.0),
                                   placement=cz.Transform.translation((1.0, 0, 0)))
    assert indices == range(1, 3) and len(scene) == 3
    atoms = scene.to_atoms()
    mine = atoms.arrays["object_id"] == 2
    core = mine & (atoms.arrays["grain_id"] == 2)
    shell = mine & (atoms.arrays["grain_id"] == 3)
    assert core.sum() + shell.sum() == mine.sum()
    assert set(atoms.numbers[core]) == {79} and set(atoms.numbers[shell]) == {78}
    r = np.linalg.norm(atoms.positions[mine] - (1.0, 0, 0), axis=1)
    assert r[atoms.numbers[mine] == 79].max() <= 7.0 + 1e-9
    assert r[atoms.numbers[mine] == 78].min() > 7.0 - 1e-9  # the core wins its region
    # A coherent shell relaxed with cz.strain.core_shell.
    relaxed = cz.strain.core_shell(atoms, 7.0, 12.0, 0.02, center=(1.0, 0, 0), object_id=2)
    assert np.allclose(relaxed.positions[~mine], atoms.positions[~mine])


def test_composition_errors(particle, gold):
    with pytest.raises(ValueError, match=r"cz_atoms_substitute: fraction must be in \[0, 1\]"):
        cz.substitute(particle, "Au", "Ag", 1.5)
    with pytest.raises(ValueError, match="cz_atoms_substitute: z_to"):
        cz.substitute(particle, "Au", 0, 0.5)
    with pytest.raises(ValueError, match="cz_atoms_vacate: fraction"):
        cz.vacate(particle, -0.1)
    with pytest.raises(ValueError, match="cz_atoms_coordination: cutoff must be > 0"):
        cz.coordination(particle, -1.0)
    with pytest.raises(ValueError, match="cz_atoms_roughen: passes must be >= 1"):
        cz.roughen(particle, 0.1, passes=0)
    with pytest.raises(cz.CzError, match="cz_atoms_coordination: cutoff .* too large"):
        cz.coordination(bulk("Au", "fcc", a=A_AU, cubic=True), 2000.0)
    scene = cz.Scene()
    with pytest.raises(ValueError, match="cz_scene_add_core_shell: mismatch must be > -1"):
        scene.add_core_shell(gold, cz.Sphere(5.0), gold, cz.Sphere(8.0), mismatch=-1.0)
    assert len(scene) == 0
