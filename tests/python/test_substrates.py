"""Crystalline substrate slabs through Python: MoS2 and graphene geometry, (hkl) slabs against
d_hkl and ase.build, thickness/termination/frame options, size and matched (strained) cells,
labels, scenes, and errors with the library's messages."""

import numpy as np
import pytest
from ase.build import fcc100, fcc110, fcc111
from ase.neighborlist import neighbor_list

import cz
from helpers import sorted_positions

A_AU = 4.08


@pytest.fixture(scope="module")
def gold():
    return cz.Lattice.prototype("fcc", "Au", a=A_AU)


def layer_heights(atoms, decimals=6):
    return np.unique(np.round(atoms.positions[:, 2], decimals))


def bonds(atoms, cutoff, z_i=None, z_j=None):
    """Distances (mic) of the pairs within cutoff, optionally from species z_i to z_j."""
    i, j, d = neighbor_list("ijd", atoms, cutoff)
    keep = np.ones(len(d), dtype=bool)
    if z_i is not None:
        keep &= atoms.numbers[i] == z_i
    if z_j is not None:
        keep &= atoms.numbers[j] == z_j
    return i[keep], d[keep]


def test_mos2_bilayer():
    slab = cz.Slab.mos2(2, repeats=(3, 4))
    atoms = slab.to_atoms()
    assert slab.natoms == len(slab) == len(atoms) == 2 * 3 * 3 * 4
    assert (atoms.numbers == 42).sum() == 24 and (atoms.numbers == 16).sum() == 48
    assert slab.nplanes == 6 and slab.hkl == (0, 0, 1)
    assert slab.ncells == 12 and slab.repeats == ((3, 0), (0, 4))
    assert tuple(atoms.pbc) == (True, True, False) == slab.pbc
    np.testing.assert_allclose(atoms.cell.array, slab.cell)
    # In-plane lattice parameter 3.16 Å (2-D cell 3 × 4 of it).
    np.testing.assert_allclose(np.linalg.norm(slab.cell[:2], axis=1), [3 * 3.16, 4 * 3.16])
    # Every Mo has its six S at the Mo–S bond length 2.41 Å.
    i, d = bonds(atoms, 2.8, 42, 16)
    assert np.bincount(i, minlength=len(atoms))[atoms.numbers == 42].tolist() == [6] * 24
    np.testing.assert_allclose(d, 2.41, atol=0.01)
    # S Mo S | S Mo S: Mo planes c/2 = 6.145 Å apart, S on top and bottom.
    z = layer_heights(atoms)
    assert len(z) == 6
    mo_z = np.unique(np.round(atoms.positions[atoms.numbers == 42, 2], 6))
    np.testing.assert_allclose(np.diff(mo_z), 12.29 / 2, atol=1e-6)
    top = atoms.positions[:, 2] > z[-1] - 1e-6
    assert np.all(atoms.numbers[top] == 16)
    assert slab.z_top == pytest.approx(z[-1]) and slab.z_bottom == pytest.approx(z[0])
    assert slab.z_bottom == pytest.approx(1.0)  # library default: bottom plane at 1 Å


def test_graphene_bilayer():
    slab = cz.Slab.graphene(2, repeats=(4, 4))
    atoms = slab.to_atoms()
    assert len(atoms) == 2 * 2 * 16 and np.all(atoms.numbers == 6)
    z = layer_heights(atoms)
    assert len(z) == 2
    assert z[1] - z[0] == pytest.approx(3.35)
    # Three in-plane neighbours at C–C = 2.46/√3 = 1.420 Å, nothing else within 2 Å.
    i, d = bonds(atoms, 2.0)
    np.testing.assert_allclose(d, 2.46 / np.sqrt(3), atol=1e-9)
    assert np.bincount(i, minlength=len(atoms)).tolist() == [3] * len(atoms)
    # AB (Bernal) stacking: half the atoms of the upper layer sit over an atom of the lower.
    lower = atoms[atoms.positions[:, 2] < z[0] + 0.1]
    upper = atoms[atoms.positions[:, 2] > z[1] - 0.1]

    def inplane(layer):
        return np.round(layer.cell.scaled_positions(layer.positions)[:, :2] % 1.0, 6) % 1.0

    low = {tuple(p) for p in inplane(lower)}
    eclipsed = sum(tuple(p) in low for p in inplane(upper))
    assert eclipsed == len(upper) // 2
    single = cz.Slab.graphene(1, repeats=(2, 3))
    assert single.natoms == 12 and single.nplanes == 1


@pytest.mark.parametrize("hkl, reflection, d, builder", [
    ((1, 1, 1), (1, 1, 1), A_AU / np.sqrt(3), fcc111),
    ((1, 0, 0), (2, 0, 0), A_AU / 2, fcc100),
    ((1, 1, 0), (2, 2, 0), A_AU / (2 * np.sqrt(2)), fcc110),
])
def test_layer_spacing_is_d_hkl(gold, hkl, reflection, d, builder):
    slab = cz.Slab(gold, hkl, planes=5, repeats=(2, 3))
    atoms = slab.to_atoms()
    # d of the allowed reflection of the conventional cell (fcc (100): d_200 = a/2).
    assert slab.d_spacing == pytest.approx(d) == gold.plane_spacing(reflection)
    assert slab.nplanes_period == 1 and slab.plane_atoms.tolist() == [1]
    z = layer_heights(atoms)
    assert len(z) == 5
    np.testing.assert_allclose(np.diff(z), d, atol=2e-6)
    # Same atoms per layer and in-plane cell area as ASE's slab of the same surface cell.
    ref = builder("Au", size=(1, 1, 5), a=A_AU, vacuum=5.0)
    assert len(atoms) == 6 * len(ref)
    area = abs(np.linalg.det(slab.cell[:2, :2]))
    assert area == pytest.approx(6 * abs(np.linalg.det(ref.cell.array[:2, :2])))
    # Bulk nearest-neighbour distance a/√2, wherever the cell boundary falls.
    _, dist = bonds(atoms, 3.0)
    np.testing.assert_allclose(dist, A_AU / np.sqrt(2), atol=1e-9)


def test_thickness_and_frame(gold):
    slab = cz.Slab(gold, (1, 0, 0), thickness=9.0, repeats=(2, 2), z_top=12.5,
                   cell_height=20.0, inplane_deg=30.0)
    d = A_AU / 2
    assert slab.nplanes == int(np.floor(9.0 / d)) + 1
    assert slab.z_top - slab.z_bottom <= 9.0
    atoms = slab.to_atoms()
    assert atoms.positions[:, 2].max() == pytest.approx(12.5)
    np.testing.assert_allclose(slab.cell[2], [0.0, 0.0, 20.0])
    angle = np.degrees(np.arctan2(slab.cell[0, 1], slab.cell[0, 0]))
    assert angle == pytest.approx(30.0)
    # Termination: the plane of a period on top (MoS2 prototype: Mo on top with plane 1).
    mos2 = cz.Lattice.prototype("2H-MoS2", ("Mo", "S"), a=3.16, c=12.29)
    default = cz.Slab(mos2, planes=3, repeats=(1, 1))
    assert default.nplanes_period == 6
    top = default.to_atoms()
    assert top.numbers[np.argmax(top.positions[:, 2])] == 16
    mo_heights = [q for q in range(6)
                  if cz.Slab(mos2, planes=1, termination=q, repeats=(1, 1)).to_atoms().numbers[0]
                  == 42]
    assert len(mo_heights) == 2
    mo_top = cz.Slab(mos2, planes=3, termination=mo_heights[0], repeats=(1, 1)).to_atoms()
    assert mo_top.numbers[np.argmax(mo_top.positions[:, 2])] == 42


def test_size_keeps_bulk_and_match_strains():
    near = cz.Slab.graphene(1, size=((30.0, 0.0), (0.0, 30.0)))
    assert not near.strained and near.strain_max > 0
    _, d = bonds(near.to_atoms(), 2.0)
    np.testing.assert_allclose(d, 2.46 / np.sqrt(3), atol=1e-9)  # bulk kept
    assert abs(np.linalg.det(near.cell[:2, :2])) == pytest.approx(900.0, rel=0.05)
    # A rectangular cell 1 % larger than 10 × 6 orthohexagonal MoS2 cells along x.
    a = 3.16
    target = ((10 * a * 1.01, 0.0), (0.0, 6 * a * np.sqrt(3)))
    slab = cz.Slab.mos2(1, match=target, max_strain=0.02)
    assert slab.strained and slab.strain_max == pytest.approx(0.01, rel=1e-6)
    np.testing.assert_allclose(slab.cell[:2, :2], target, atol=1e-9)
    np.testing.assert_allclose(slab.strain, [[0.01, 0.0], [0.0, 0.0]], atol=1e-9)
    assert slab.natoms == 3 * 120
    atoms = slab.to_atoms()
    i, d = bonds(atoms, 2.8, 42, 16)
    assert np.bincount(i, minlength=len(atoms))[atoms.numbers == 42].tolist() == [6] * 120
    assert d.max() > 2.41  # stretched bonds
    same = cz.Slab.mos2(1, match=[10 * a * 1.01, 6 * a * np.sqrt(3)])  # (x, y) shorthand
    np.testing.assert_allclose(same.cell, slab.cell)
    with pytest.raises(cz.CzError, match=r"cz_slab_mos2: .*max_strain") as err:
        cz.Slab.mos2(1, match=target, max_strain=0.005)
    assert err.value.status == cz._cz.ERANGE


def test_labels_and_lattice(gold):
    slab = cz.Slab(gold, (1, 1, 1), planes=3, repeats=(2, 2))
    atoms = slab.to_atoms()
    assert set(atoms.arrays["object_id"]) == {1} and set(atoms.arrays["grain_id"]) == {1}
    assert set(atoms.arrays["class_id"]) == {cz._cz.CLASS_SUBSTRATE}
    five = slab.to_atoms(object_id=5)  # the other labels keep the substrate defaults
    assert set(five.arrays["object_id"]) == {5} and set(five.arrays["grain_id"]) == {5}
    assert set(five.arrays["class_id"]) == {cz._cz.CLASS_SUBSTRATE}
    other = slab.to_atoms(object_id=2, grain=7, class_="particle")
    assert set(other.arrays["grain_id"]) == {7}
    assert set(other.arrays["class_id"]) == {cz._cz.CLASS_PARTICLE}
    lat = slab.lattice
    assert isinstance(lat, cz.Lattice) and lat.cell[2, 2] == pytest.approx(slab.d_spacing)
    np.testing.assert_allclose(lat.cell[:2, 2], 0.0, atol=1e-12)
    with pytest.raises(ValueError):
        slab.cell[0, 0] = 1.0  # read-only
    assert "Slab(hkl=(1, 1, 1)" in repr(slab)
    assert cz.defaults()["slab"]["nplanes"] == 4


def test_scene_add_slab(gold):
    slab = cz.Slab.mos2(2, repeats=(4, 4), z_top=12.0, cell_height=30.0)
    scene = cz.Scene(cell=slab.cell, pbc=slab.pbc)
    assert scene.add_slab(slab) == 0
    atoms = scene.to_atoms()
    assert len(atoms) == slab.natoms
    assert set(atoms.arrays["class_id"]) == {cz._cz.CLASS_SUBSTRATE}
    ref = slab.to_atoms()
    atoms.wrap()
    ref.wrap()
    np.testing.assert_allclose(sorted_positions(atoms.positions, 5),
                               sorted_positions(ref.positions, 5), atol=1e-5)
    # A particle of higher priority takes its space from the slab.
    scene = cz.Scene(cell=slab.cell, pbc=slab.pbc)
    scene.add_slab(slab, priority=0)
    scene.add(gold, cz.Sphere(5.0, center=(6.0, 5.0, 12.0)), priority=1)
    mixed = scene.to_atoms()
    sub = mixed.arrays["class_id"] == cz._cz.CLASS_SUBSTRATE
    assert 0 < sub.sum() < slab.natoms
    assert set(mixed.arrays["object_id"][sub]) == {1}


def test_errors(gold):
    with pytest.raises(ValueError, match=r"cz_slab_create: Miller indices \(0 0 0\)"):
        cz.Slab(gold, (0, 0, 0))
    with pytest.raises(ValueError, match="cz_slab_create: .*termination"):
        cz.Slab(gold, (1, 1, 1), termination=3)
    with pytest.raises(ValueError, match="cz_slab_create: .*repeats"):
        cz.Slab(gold, repeats=(0, 2))
    with pytest.raises(ValueError, match="cz_slab_graphene"):
        cz.Slab.graphene(0, repeats=(1, 1))
    with pytest.raises(ValueError, match="cz_slab_mos2"):
        cz.Slab.mos2(0)
    with pytest.raises(ValueError, match="planes or thickness"):
        cz.Slab(gold, planes=3, thickness=5.0)
    with pytest.raises(ValueError, match="at most one of repeats, size and match"):
        cz.Slab(gold, repeats=(2, 2), size=(20, 20))
    with pytest.raises(ValueError, match="shape"):
        cz.Slab.graphene(1, match=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="cz_slab_atoms: .*class_id"):
        cz.Slab.graphene(1, repeats=(1, 1)).to_atoms(class_=9)
    with pytest.raises(TypeError, match="lattice"):
        cz._cz.slab_create(object())
    with pytest.raises(TypeError, match="slab"):
        cz.Scene().add_slab(cz.Sphere(1.0))


def test_one_slab_from_several_threads():
    import threading

    slab = cz.Slab.mos2(2, repeats=(6, 6))
    reference = slab.to_atoms().positions
    results, errors = [None] * 4, []

    def work(k):
        try:
            scene = cz.Scene(cell=slab.cell, pbc=slab.pbc)
            scene.add_slab(slab)
            results[k] = (slab.to_atoms().positions, len(scene.to_atoms(nthreads=1)))
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for positions, n in results:
        np.testing.assert_array_equal(positions, reference)
        assert n == slab.natoms
