"""Particles through Python: Wulff facet counts, Winterbottom truncation, magic-number decahedra
and icosahedra (compared with ase.cluster), grain labels, scenes and error translation."""

import numpy as np
import pytest
from ase.cluster import Decahedron as AseDecahedron
from ase.cluster import Icosahedron as AseIcosahedron

import cz

A_AU = 4.08
B_AU = A_AU / np.sqrt(2.0)  # nearest-neighbour distance
MAGIC = [1, 13, 55, 147, 309]


@pytest.fixture(scope="module")
def gold():
    return cz.Lattice.prototype("fcc", "Au", a=A_AU)


def family_of(hkl):
    return tuple(sorted(abs(k) for k in hkl))


@pytest.mark.parametrize("energies, facets, families", [
    ({(1, 0, 0): 1.0}, 6, {(0, 0, 1): 6}),                                   # cube
    ({(1, 1, 1): 1.0}, 8, {(1, 1, 1): 8}),                                   # octahedron
    ({(1, 1, 1): 1.0, (1, 0, 0): 1.1, (1, 1, 0): 1.5}, 14,                   # truncated oct.
     {(1, 1, 1): 8, (0, 0, 1): 6}),
])
def test_wulff_facet_counts(gold, energies, facets, families):
    p = cz.Wulff(gold, energies, radius=14.3)
    assert p.kind == "wulff" and p.ngrains == 1 and p.nfacets == facets
    active = [f for f in p.facets if f.active]
    assert len(active) == facets
    counted = {}
    for f in active:
        counted[family_of(f.hkl)] = counted.get(family_of(f.hkl), 0) + 1
    assert counted == families
    # Facets lie within half an atomic-plane spacing of scale·gamma (snapping), and the
    # normals are unit vectors along the Miller directions of the cubic cell.
    for f in p.facets:
        assert abs(f.distance - p.scale * f.gamma) <= 0.5 * f.spacing + 1e-9
        np.testing.assert_allclose(f.normal, np.array(f.hkl) / np.linalg.norm(f.hkl), atol=1e-12)
    atoms = p.to_atoms()
    assert len(atoms) == p.natoms == len(p)
    # Every atom lies inside every bounding plane, and each active facet carries atoms.
    heights = atoms.positions @ np.array([f.normal for f in p.facets]).T
    dist = np.array([f.distance for f in p.facets])
    assert np.all(heights <= dist + 1e-6)
    for k, f in enumerate(p.facets):
        if f.active:
            assert np.isclose(heights[:, k].max(), f.distance, atol=1e-6)
    assert set(atoms.numbers) == {79}
    assert np.all(atoms.arrays["object_id"] == 1) and np.all(atoms.arrays["grain_id"] == 1)
    assert np.all(atoms.arrays["class_id"] == 1)
    assert abs(p.radius_equivalent - 14.3) < 0.15 * 14.3


def test_wulff_by_atom_count_and_lattice(gold):
    p = cz.Wulff(gold, {(1, 1, 1): 1.0, (1, 0, 0): 1.1}, atoms=201)
    assert p.natoms == 201 and len(p.to_atoms()) == 201
    lat = p.lattice
    np.testing.assert_allclose(lat.cell, gold.cell)
    (grain,) = p.grains
    assert not grain.explicit and grain.transform == cz.Transform()
    assert grain.volume.contains(p.to_atoms().positions).all()


def test_miller_family_point_groups(gold):
    assert len(cz.miller_family(gold, (1, 0, 0))) == 6
    assert len(cz.miller_family(gold, (1, 1, 0))) == 12
    fam = cz.miller_family(gold, (2, 2, 2))
    assert len(fam) == 8 and fam[0] == (1, 1, 1)  # common divisor removed, (hkl) first
    co = cz.Lattice.prototype("hcp", "Co", a=2.507, c=4.07)
    assert sorted(cz.miller_family(co, (0, 0, 1))) == [(0, 0, -1), (0, 0, 1)]
    assert len(cz.miller_family(co, (1, 0, 0))) == 6
    # Zincblende has no inversion: (111) and (-1-1-1) are different families.
    gaas = cz.Lattice.prototype("zincblende", ("Ga", "As"), a=5.653)
    fam = cz.miller_family(gaas, (1, 1, 1))
    assert len(fam) == 4 and (-1, -1, -1) not in fam


def test_winterbottom_truncation(gold):
    energies = {(1, 1, 1): 1.0, (1, 0, 0): 1.1}
    free = cz.Wulff(gold, energies, radius=15.0)
    p = cz.Winterbottom(gold, energies, interface=(1, 1, 1), interface_gamma=0.3, radius=15.0)
    assert p.kind == "winterbottom"
    f = p.interface_facet
    assert f is not None and f.family == -1 and f.active and f.hkl == (1, 1, 1)
    assert abs(f.distance - p.scale * 0.3) <= 0.5 * f.spacing + 1e-9
    atoms = p.to_atoms()
    heights = atoms.positions @ f.normal
    assert np.isclose(heights.max(), f.distance, atol=1e-6)  # flat contact layer
    assert len(atoms) < free.natoms
    assert free.interface_facet is None


@pytest.mark.parametrize("shells", [1, 2, 3, 4, 5])
def test_icosahedron_magic_numbers(gold, shells):
    p = cz.Icosahedron(gold, shells)
    assert p.kind == "icosahedron" and p.ngrains == 20 and p.natoms == MAGIC[shells - 1]
    atoms = p.to_atoms()
    assert len(atoms) == len(AseIcosahedron("Au", shells, latticeconstant=A_AU))
    assert np.all(atoms.arrays["object_id"] == 1)
    if shells >= 4:  # (smaller ones have grains whose atoms all sit on shared boundaries)
        assert len(np.unique(atoms.arrays["grain_id"])) == 20
    if shells >= 2:  # the radial edges keep the bulk bond length
        d = atoms.get_all_distances()
        np.fill_diagonal(d, np.inf)
        assert np.isclose(d.min(), B_AU, rtol=1e-9)


@pytest.mark.parametrize("shells", [2, 3, 4, 5])
def test_decahedron_magic_numbers_and_grains(gold, shells):
    p = cz.Decahedron(gold, shells=shells)
    assert p.kind == "decahedron" and p.ngrains == 5 and p.natoms == MAGIC[shells - 1]
    np.testing.assert_allclose(p.axis, (0, 0, 1), atol=1e-12)
    atoms = p.to_atoms(grain=10, object_id=4)
    assert len(atoms) == MAGIC[shells - 1]
    if shells >= 3:  # (13 atoms leave one grain with only shared atoms)
        assert set(np.unique(atoms.arrays["grain_id"])) == {10, 11, 12, 13, 14}
    assert np.all(atoms.arrays["object_id"] == 4)
    d = atoms.get_all_distances()
    np.fill_diagonal(d, np.inf)
    assert np.isclose(d.min(), B_AU, rtol=1e-9)


@pytest.mark.parametrize("pqr", [(3, 2, 1), (4, 1, 0), (3, 3, 2)])
def test_decahedron_matches_ase_counts(gold, pqr):
    assert cz.Decahedron(gold, *pqr).natoms == len(AseDecahedron("Au", *pqr,
                                                                 latticeconstant=A_AU))


def test_decahedron_radial_strain(gold):
    p = cz.Decahedron(gold, shells=4, strain="radial")
    assert p.natoms == 147 and all(g.explicit for g in p.grains)
    atoms = p.to_atoms()
    assert len(atoms) == 147 and len(np.unique(atoms.arrays["grain_id"])) == 5
    homogeneous = cz.Decahedron(gold, shells=4).to_atoms()
    assert not np.allclose(np.sort(atoms.positions[:, 0]), np.sort(homogeneous.positions[:, 0]))


def test_particle_in_scene(gold):
    p = cz.Decahedron(gold, shells=3)
    scene = cz.Scene()
    scene.add(gold, cz.Sphere(6.0, center=(40.0, 0, 0)))
    shift = cz.Transform.translation((0.0, 0.0, 5.0))
    indices = scene.add_particle(p, placement=shift, priority=2, class_="particle")
    assert indices == range(1, 6) and len(scene) == 6
    atoms = scene.to_atoms()
    mine = atoms.arrays["object_id"] == 2  # the first grain's index + 1
    assert mine.sum() == 55
    # Default grain ids are the grains' own object indices + 1: unique in the scene.
    assert set(np.unique(atoms.arrays["grain_id"][mine])) == {2, 3, 4, 5, 6}
    np.testing.assert_allclose(atoms.positions[mine].mean(axis=0),
                               p.to_atoms().positions.mean(axis=0) + (0, 0, 5.0), atol=1e-9)


def test_particle_errors(gold):
    with pytest.raises(ValueError, match="cz_particle_wulff: .*exactly one size"):
        cz.Wulff(gold, {(1, 1, 1): 1.0})
    with pytest.raises(ValueError, match="cz_particle_wulff: .*gamma must be > 0"):
        cz.Wulff(gold, {(1, 1, 1): -1.0}, radius=10.0)
    with pytest.raises(ValueError, match="cz_particle_wulff: .*two energies"):
        cz.Wulff(gold, [((1, 1, 1), 1.0), ((-1, -1, 1), 1.2)], radius=10.0)
    with pytest.raises(cz.CzError, match="cz_particle_wulff: .*max_atoms") as err:
        cz.Wulff(gold, {(1, 1, 1): 1.0}, radius=30.0, max_atoms=100)
    assert err.value.status == cz._cz.ERANGE
    with pytest.raises(ValueError, match="radius_kind must be one of"):
        cz.Wulff(gold, {(1, 1, 1): 1.0}, radius=10.0, radius_kind="mean")
    bcc = cz.Lattice.prototype("bcc", "Fe", a=2.87)
    with pytest.raises(cz.CzError, match="cz_particle_decahedron") as err:
        cz.Decahedron(bcc, shells=3)
    assert err.value.status == cz._cz.ENOTSUP
    with pytest.raises(ValueError, match="cz_particle_icosahedron"):
        cz.Icosahedron(gold, 3, radius=10.0)  # two sizes
    with pytest.raises(ValueError, match="strain must be one of"):
        cz.Decahedron(gold, shells=3, strain="wedge")
    with pytest.raises(ValueError, match="cz_miller_family: .*0 0 0"):
        cz.miller_family(gold, (0, 0, 0))
    scene = cz.Scene()
    with pytest.raises(ValueError, match=r"cz_scene_add_particle: grain_id must be >= -1 \(got -5\)"):
        scene.add_particle(cz.Icosahedron(gold, 2), grain=-5)
    assert len(scene) == 0
