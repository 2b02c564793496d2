"""Amorphous solids through Python: exact density and composition, per-pair d_min across
periodic images (checked by brute force with ASE's minimum image), reproducibility, scenes
with explicit atoms, and error translation."""

import numpy as np
import pytest

import cz

AVOGADRO_A3_CM3 = 0.602214076  # N_A × 1 Å³/cm³


def brute_force_pairs(atoms):
    """All pair distances (i < j) under ASE's minimum-image convention, with the species."""
    d = atoms.get_all_distances(mic=True)
    i, j = np.triu_indices(len(atoms), 1)
    return d[i, j], atoms.numbers[i], atoms.numbers[j]


def expected_natoms(density_g_cm3, volume, masses_fractions):
    mean_mass = sum(m * f for m, f in masses_fractions) / sum(f for _, f in masses_fractions)
    return int(np.floor(density_g_cm3 * AVOGADRO_A3_CM3 / mean_mass * volume + 0.5))


def inside_box(positions, origin, cell):
    frac = np.linalg.solve(np.asarray(cell).T, (positions - origin).T).T
    return np.all((frac >= -1e-12) & (frac < 1.0))


def test_carbon_density_and_d_min_periodic():
    cell = np.array([12.0, 13.0, 11.0])
    atoms = cz.amorphous((0, 0, 0), cell, True, seed=7)
    volume = cell.prod()
    assert len(atoms) == expected_natoms(2.2, volume, [(cz.element_mass(6), 1.0)])
    assert set(atoms.numbers) == {6}
    assert atoms.pbc.all()
    np.testing.assert_allclose(atoms.cell.array, np.diag(cell))
    assert np.all(atoms.arrays["class_id"] == 2)  # substrate by default
    assert inside_box(atoms.positions, 0.0, np.diag(cell))
    d, _, _ = brute_force_pairs(atoms)
    assert d.min() >= 1.4  # across the periodic boundaries too
    # Mass density from the atoms themselves (g/cm³), within one atom of 2.2.
    rho = atoms.get_masses().sum() / AVOGADRO_A3_CM3 / volume
    assert abs(rho - 2.2) <= cz.element_mass(6) / AVOGADRO_A3_CM3 / volume


def test_silica_per_pair_d_min_triclinic_box():
    origin = np.array([-3.0, 2.0, 5.0])
    cell = cz.cell_from_parameters(14.0, 15.0, 13.0, 80.0, 100.0, 115.0)
    d_min = {("Si", "O"): 1.55, "O": 2.3, "Si": 2.9}
    atoms = cz.amorphous(origin, cell, True, {"Si": 1, "O": 2}, density=2.2, d_min=d_min,
                         seed=3)
    volume = abs(np.linalg.det(cell))
    n = expected_natoms(2.2, volume, [(cz.element_mass(14), 1), (cz.element_mass(8), 2)])
    n_si, n_o = (atoms.numbers == 14).sum(), (atoms.numbers == 8).sum()
    assert n_si + n_o == n == len(atoms)
    assert abs(n_si - n / 3) < 1 and abs(n_o - 2 * n / 3) < 1  # largest remainder
    assert inside_box(atoms.positions, origin, cell)
    d, zi, zj = brute_force_pairs(atoms)
    want = {(14, 14): 2.9, (8, 8): 2.3, (8, 14): 1.55, (14, 8): 1.55}
    limit = np.array([want[(a, b)] for a, b in zip(zi, zj)])
    assert np.all(d >= limit)
    # The O-O limit binds: the closest O-O pair is near it, well above the Si-O one.
    assert d[(zi == 8) & (zj == 8)].min() < 2.3 * 1.2


def test_number_density_slab_and_reproducibility():
    cell = np.diag([14.0, 14.0, 8.0])
    kwargs = dict(number_density=0.06, d_min=1.5, seed=11)
    atoms = cz.amorphous((0, 0, 0), cell, (True, True, False), "Si", **kwargs)
    assert len(atoms) == int(np.floor(0.06 * 14 * 14 * 8 + 0.5))
    assert atoms.pbc.tolist() == [True, True, False]
    d, _, _ = brute_force_pairs(atoms)
    assert d.min() >= 1.5
    again = cz.amorphous((0, 0, 0), cell, (True, True, False), "Si", **kwargs)
    np.testing.assert_array_equal(again.positions, atoms.positions)
    other = cz.amorphous((0, 0, 0), cell, (True, True, False), "Si",
                         **{**kwargs, "seed": 12})
    assert not np.array_equal(other.positions, atoms.positions)


def test_isolated_block_and_stats():
    atoms, stats = cz.amorphous((1.0, 2.0, 3.0), (10.0, 10.0, 10.0), False, seed=1,
                                grain_id=4, object_id=3, class_="particle", return_stats=True)
    assert not atoms.pbc.any() and np.all(atoms.cell.array == 0)
    assert inside_box(atoms.positions, (1.0, 2.0, 3.0), np.eye(3) * 10.0)
    assert stats["natoms"] == len(atoms) and stats["attempts"] >= len(atoms)
    assert stats["cell_diameter"] < 1.4
    assert np.all(atoms.arrays["object_id"] == 3) and np.all(atoms.arrays["grain_id"] == 4)
    assert np.all(atoms.arrays["class_id"] == 1)


def test_amorphous_substrate_under_a_particle_in_a_scene():
    gold = cz.Lattice.prototype("fcc", "Au", a=4.08)
    cell = np.diag([30.0, 30.0, 40.0])
    carbon = cz.amorphous((0, 0, 0), (30.0, 30.0, 10.0), (True, True, False), seed=5)
    scene = cz.Scene(cell=cell, pbc=(True, True, False))
    index = scene.add_atoms(carbon, clip=cz.Box((0, 0, 0), (30, 30, 10)), class_="substrate")
    scene.add(gold, cz.Sphere(8.0, center=(15.0, 15.0, 15.0)), priority=1)
    assert index == 0 and len(scene) == 2
    atoms = scene.to_atoms()
    c = atoms.numbers == 6
    assert np.all(atoms.arrays["object_id"][c] == 1) and np.all(atoms.arrays["class_id"][c] == 2)
    # The particle dips 3 Å into the substrate and wins the overlap.
    assert c.sum() < len(carbon)
    assert np.all(np.linalg.norm(atoms.positions[c] - (15, 15, 15), axis=1) > 8.0 - 1e-9)
    lattice_shift = cz.Transform.translation((0.0, 0.0, 20.0))
    free = cz.Scene()
    free.transform(free.add_atoms(carbon, object_id=9), lattice_shift, mode="lattice")
    moved = free.to_atoms()
    assert len(moved) == len(carbon) and np.all(moved.arrays["object_id"] == 9)
    np.testing.assert_allclose(moved.positions, carbon.positions + (0, 0, 20.0))


def test_amorphous_errors():
    box = (12.0, 12.0, 12.0)
    with pytest.raises(ValueError, match="cz_amorphous_fill: .*densit"):
        cz.amorphous((0, 0, 0), box, density=2.0, number_density=0.1)
    with pytest.raises(ValueError, match="cz_amorphous_fill: .*d_min"):
        cz.amorphous((0, 0, 0), (3.0, 12.0, 12.0), True, d_min=3.5)  # touches its own image
    with pytest.raises(ValueError, match="cz_amorphous_fill: .*singular"):
        cz.amorphous((0, 0, 0), [[1, 0, 0], [2, 0, 0], [0, 0, 1]])
    with pytest.raises(cz.CzError, match="cz_amorphous_fill") as err:
        cz.amorphous((0, 0, 0), box, density=2.2, d_min=2.5, attempts_per_atom=5)  # jams
    assert err.value.status == cz._cz.ERANGE
    with pytest.raises(ValueError, match="cz_amorphous_fill: at most 8 species"):
        cz.amorphous((0, 0, 0), box, elements={z: 1 for z in range(1, 10)})
    with pytest.raises(ValueError, match="not among the elements"):
        cz.amorphous((0, 0, 0), box, elements="C", d_min={("C", "N"): 1.3})
    with pytest.raises(ValueError, match="box_cell must have shape"):
        cz.amorphous((0, 0, 0), (1.0, 2.0))
