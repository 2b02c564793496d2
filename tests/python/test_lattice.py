"""Lattices: prototypes, space groups, ASE round trips, plane spacings, errors."""

import math

import ase.io
import numpy as np
import pytest
from ase.build import bulk
from helpers import central_atom, neighbour_distances, sorted_positions

import cz


def test_hcp_magnesium_neighbour_distances():
    mg = cz.Lattice.prototype("hcp", "Mg", a=3.21, c=5.21)
    np.testing.assert_allclose(mg.cell, [[3.21, 0, 0], [-1.605, 3.21 * math.sqrt(3) / 2, 0],
                                         [0, 0, 5.21]], atol=1e-12)
    atoms = cz.fill(mg, cz.Sphere(12.0, center=mg.cell.sum(axis=0) / 2))
    d = neighbour_distances(atoms, central_atom(atoms), 12)
    assert np.round(d, 3).tolist().count(3.210) == 6  # in the basal plane
    assert np.round(d, 3).tolist().count(3.197) == 6  # to the planes above and below


def test_hcp_ideal_c_by_default():
    mg = cz.Lattice.prototype("hcp", "Mg", a=3.21)
    assert mg.cell[2, 2] == pytest.approx(math.sqrt(8 / 3) * 3.21, rel=1e-12)


def test_wurtzite_zinc_oxide_bond_lengths():
    zno = cz.Lattice.prototype("wurtzite", ("Zn", "O"), a=3.25, c=5.207, u=0.382)
    assert sorted(zno.numbers.tolist()) == [8, 8, 30, 30]
    atoms = cz.fill(zno, cz.Sphere(10.0, center=zno.cell.sum(axis=0) / 2))
    zn = central_atom(atoms, number=30)
    pos = atoms.positions
    oxygen = np.flatnonzero(atoms.numbers == 8)
    d = np.sort(np.linalg.norm(pos[oxygen] - pos[zn], axis=1))[:4]
    np.testing.assert_allclose(d, [1.975, 1.975, 1.975, 1.990], atol=1e-3)
    assert d[4 - 1] - d[0] > 0.01  # three short bonds and one long one along c


def test_prototype_rocksalt_and_perovskite():
    nacl = cz.Lattice.prototype("rocksalt", ("Na", "Cl"), a=5.64)
    assert len(nacl) == 8
    assert sorted(set(nacl.numbers.tolist())) == [11, 17]
    srtio3 = cz.Lattice.prototype("perovskite", ("Sr", "Ti", "O"), a=3.905)
    assert sorted(srtio3.numbers.tolist()) == [8, 8, 8, 22, 38]


def test_spacegroup_fcc_equals_prototype():
    params = (4.08, 4.08, 4.08, 90, 90, 90)
    sg = cz.Lattice.from_spacegroup(225, params, [("Au", (0, 0, 0))])
    proto = cz.Lattice.prototype("fcc", "Au", a=4.08)
    assert len(sg) == 4
    np.testing.assert_allclose(sg.cell, proto.cell, atol=1e-12)
    np.testing.assert_allclose(sorted_positions(sg.scaled_positions),
                               sorted_positions(proto.scaled_positions), atol=1e-9)
    assert len(cz.fill(sg, cz.Sphere(25.0))) == 3925


def test_spacegroup_rocksalt_and_hexagonal():
    nacl = cz.Lattice.from_spacegroup(225, np.eye(3) * 5.64,
                                      [("Na", (0, 0, 0)), ("Cl", (0.5, 0.5, 0.5))])
    assert len(nacl) == 8
    mg = cz.Lattice.from_spacegroup(194, (3.21, 3.21, 5.21, 90, 90, 120),
                                    sites=[("Mg", (1 / 3, 2 / 3, 1 / 4))])
    assert len(mg) == 2
    assert mg.volume == pytest.approx(3.21**2 * math.sqrt(3) / 2 * 5.21, rel=1e-12)


def test_spacegroup_incompatible_cell_is_value_error():
    with pytest.raises(ValueError, match="cz_lattice_from_spacegroup"):
        cz.Lattice.from_spacegroup(194, (3.21, 3.5, 5.21, 90, 90, 90), [("Mg", (0, 0, 0))])
    with pytest.raises(ValueError):
        cz.Lattice.from_spacegroup(231, np.eye(3) * 4.0, [("Au", (0, 0, 0))])


@pytest.mark.parametrize("fmt, name", [("cif", "zno.cif"), ("vasp", "POSCAR")])
def test_from_atoms_after_ase_file_round_trip(tmp_path, fmt, name):
    original = bulk("ZnO", "wurtzite", a=3.25, c=5.207, u=0.382)
    path = tmp_path / name
    ase.io.write(path, original, format=fmt)
    loaded = ase.io.read(path, format=fmt)
    lattice = cz.Lattice.from_atoms(loaded)
    assert len(lattice) == 4
    assert sorted(lattice.numbers.tolist()) == [8, 8, 30, 30]
    np.testing.assert_allclose(lattice.volume, original.get_volume(), rtol=1e-6)
    direct = cz.Lattice.from_atoms(original)
    centre = np.array([10.1, 9.3, 11.2])
    from_file = cz.fill(lattice, cz.Sphere(9.0, centre))
    expected = cz.fill(direct, cz.Sphere(9.0, centre))
    assert len(from_file) == len(expected)
    assert sorted(from_file.numbers.tolist()) == sorted(expected.numbers.tolist())


def test_from_atoms_cubic_cif(tmp_path):
    path = tmp_path / "nacl.cif"
    ase.io.write(path, bulk("NaCl", "rocksalt", a=5.64, cubic=True))
    lattice = cz.Lattice.from_atoms(ase.io.read(path))
    proto = cz.Lattice.prototype("rocksalt", ("Na", "Cl"), a=5.64)
    sphere = cz.Sphere(12.0, center=(0.3, 0.2, 0.1))
    np.testing.assert_allclose(sorted_positions(cz.fill(lattice, sphere).positions),
                               sorted_positions(cz.fill(proto, sphere).positions), atol=1e-6)


def test_constructor_properties_and_to_atoms():
    cell = cz.cell_from_parameters(3.0, 4.0, 5.0, 80.0, 95.0, 110.0)
    lattice = cz.Lattice(cell, [(0.1, 0.2, 0.3), (1.6, -0.5, 0.0)], ["Si", 6])
    np.testing.assert_allclose(lattice.scaled_positions, [[0.1, 0.2, 0.3], [0.6, 0.5, 0.0]],
                               atol=1e-12)
    assert lattice.numbers.tolist() == [14, 6]
    with pytest.raises(ValueError):
        lattice.cell[0, 0] = 1.0  # read-only view of an immutable lattice
    unit = lattice.to_atoms()
    assert unit.pbc.all()
    np.testing.assert_allclose(unit.cell.array, cell)
    np.testing.assert_allclose(unit.get_scaled_positions(), lattice.scaled_positions, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(cell, axis=1), [3.0, 4.0, 5.0])
    assert cell[0, 1] == 0.0 and cell[0, 2] == 0.0 and cell[1, 2] == 0.0


def test_plane_spacing_and_normal():
    cu = cz.Lattice.prototype("fcc", "Cu", a=3.615)
    assert cu.plane_spacing((1, 1, 1)) == pytest.approx(3.615 / math.sqrt(3), rel=1e-12)
    assert cu.plane_spacing((2, 0, 0)) == pytest.approx(3.615 / 2, rel=1e-12)
    np.testing.assert_allclose(cu.plane_normal((1, 1, 0)), np.array([1, 1, 0]) / math.sqrt(2))
    with pytest.raises(ValueError, match="cz_lattice_plane"):
        cu.plane_spacing((0, 0, 0))


def test_singular_cell_is_value_error():
    with pytest.raises(ValueError, match="cz_lattice_create"):
        cz.Lattice([[3.0, 0, 0], [6.0, 0, 0], [0, 0, 3.0]], [(0, 0, 0)], ["Au"])


def test_unknown_element_is_value_error():
    with pytest.raises(ValueError, match="cz_element_from_symbol"):
        cz.Lattice.prototype("fcc", "Xx", a=4.0)
    with pytest.raises(ValueError, match="cz_lattice_create"):
        cz.Lattice(np.eye(3) * 4.0, [(0, 0, 0)], [119])


def test_bad_prototype_arguments():
    with pytest.raises(ValueError, match="cz_lattice_prototype"):
        cz.Lattice.prototype("fcc", "Au", a=-4.08)
    with pytest.raises(ValueError, match="cz_lattice_prototype"):
        cz.Lattice.prototype("no-such-structure", "Au", a=4.08)
    with pytest.raises(ValueError, match="cz_lattice_prototype"):
        cz.Lattice.prototype("rocksalt", "Na", a=5.64)  # needs two species
    with pytest.raises(ValueError, match="cz_cell_from_parameters"):
        cz.cell_from_parameters(3.0, 3.0, 3.0, 10.0, 10.0, 170.0)


def test_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"scaled_positions must have shape \(n, 3\)"):
        cz.Lattice(np.eye(3), [0.0, 0.0], ["Au"])
    with pytest.raises(ValueError, match="z must have shape"):
        cz._cz.lattice_create(np.eye(3), np.zeros((2, 3)), [79])


def test_elements():
    assert cz.element_symbol(79) == "Au"
    assert cz.atomic_number("Au") == 79
    assert cz.atomic_number("au") == 79
    assert cz.element_mass(79) == pytest.approx(196.966569, rel=1e-6)
    with pytest.raises(ValueError, match="1..118"):
        cz.element_symbol(0)
    with pytest.raises(ValueError):
        cz.atomic_number("Qq")
