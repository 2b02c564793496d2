"""Planar defects through Python: twins as mirrored grains with distinct grain ids, coherent
boundaries, stacking faults, reproducible random planes and error translation."""

import numpy as np
import pytest

import cz

A_AU = 4.08
B_AU = A_AU / np.sqrt(2.0)
N111 = np.ones(3) / np.sqrt(3.0)


@pytest.fixture(scope="module")
def gold():
    return cz.Lattice.prototype("fcc", "Au", a=A_AU)


def on_fcc_sites(positions, a=A_AU):
    """True for each position that is a site of the conventional fcc lattice (origin atom)."""
    u = positions / (a / 2.0)
    k = np.round(u)
    return np.all(np.abs(u - k) < 1e-6, axis=1) & (k.sum(axis=1).astype(int) % 2 == 0)


def min_distance(atoms):
    d = atoms.get_all_distances()
    np.fill_diagonal(d, np.inf)
    return d.min()


def test_single_twin_mirrors_the_far_side(gold):
    scene = cz.Scene()
    added = scene.add_defected_crystal(gold, cz.Sphere(12.0),
                                       [cz.DefectPlane("twin", (1, 1, 1), 1.0)])
    assert added.indices == range(0, 2) and len(scene) == 2
    (plane,) = added.planes
    assert plane.kind == "twin" and plane.hkl == (1, 1, 1) and plane.snap == "none"
    d111 = A_AU / np.sqrt(3.0)
    assert np.isclose(plane.position / d111, round(plane.position / d111), atol=1e-9)  # layer
    atoms = scene.to_atoms()
    grains = atoms.arrays["grain_id"]
    assert set(np.unique(grains)) == {1, 2}  # distinct grain ids ...
    assert np.all(atoms.arrays["object_id"] == 1)  # ... of one object
    matrix, twin = atoms.positions[grains == 1], atoms.positions[grains == 2]
    assert np.all(matrix @ N111 <= plane.position + 1e-9)
    assert np.all(twin @ N111 >= plane.position - 1e-9)
    assert on_fcc_sites(matrix).all()
    assert not on_fcc_sites(twin).all()  # really a different orientation
    # fcc: the Σ3 twin is the mirror image across the twin plane.
    mirrored = twin - 2.0 * (twin @ N111 - plane.position)[:, None] * N111
    assert on_fcc_sites(mirrored).all()
    # Coherent: no atom closer than the bulk bond, and inner atoms keep 12 neighbours.
    assert np.isclose(min_distance(atoms), B_AU, rtol=1e-9)
    cn = cz.coordination(atoms, 3.2)
    inner = np.linalg.norm(atoms.positions, axis=1) < 12.0 - 3.5
    assert np.all(cn[inner] == 12)


def test_twin_lamella_and_dict_planes(gold):
    scene = cz.Scene()
    planes = [{"kind": "twin", "hkl": (1, 1, 1), "position": -3.0},
              {"kind": "twin", "hkl": (1, 1, 1), "position": 4.0}]
    added = scene.add_defected_crystal(gold, cz.Sphere(12.0), planes, grain=20, object_id=9)
    assert len(added.indices) == 3
    atoms = scene.to_atoms()
    assert set(np.unique(atoms.arrays["grain_id"])) == {20, 21, 22}
    assert np.all(atoms.arrays["object_id"] == 9)
    # Twinning twice restores the matrix orientation: the outer slab is the matrix lattice up
    # to a translation (its atoms differ by fcc lattice vectors); the lamella is not.
    outer = atoms.positions[atoms.arrays["grain_id"] == 22]
    middle = atoms.positions[atoms.arrays["grain_id"] == 21]
    assert on_fcc_sites(outer - outer[0]).all()
    assert not on_fcc_sites(middle - middle[0]).all()
    assert np.isclose(min_distance(atoms), B_AU, rtol=1e-9)


def test_stacking_fault_shift_is_a_shockley_partial(gold):
    scene = cz.Scene()
    added = scene.add_defected_crystal(gold, cz.Sphere(11.0),
                                       [cz.DefectPlane("shift", (1, 1, 1), 2.0)])
    (plane,) = added.planes
    assert plane.kind == "shift" and plane.shift is not None
    s = np.asarray(plane.shift) @ gold.cell  # Cartesian shift
    assert abs(s @ N111) < 1e-9  # in the plane
    assert np.isclose(np.linalg.norm(s), A_AU / np.sqrt(6.0), rtol=1e-9)  # a/6<112>
    atoms = scene.to_atoms()
    assert np.isclose(min_distance(atoms), B_AU, rtol=1e-9)
    # The resolved planes rebuild the same structure.
    again = cz.Scene()
    again.add_defected_crystal(gold, cz.Sphere(11.0), added.planes)
    np.testing.assert_array_equal(again.to_atoms().positions, atoms.positions)


def test_random_planes_are_reproducible(gold):
    volume = cz.Sphere(20.0)
    first = cz.defect_planes(gold, volume, ntwins=2, nfaults=1, seed=42)
    assert first == cz.defect_planes(gold, volume, ntwins=2, nfaults=1, seed=42)
    assert first != cz.defect_planes(gold, volume, ntwins=2, nfaults=1, seed=43)
    assert sorted(p.kind for p in first) == ["shift", "twin", "twin"]
    assert len({p.hkl for p in first}) == 1  # same variant: parallel lamellae
    assert all(p.snap == "auto" and p.shift is None for p in first)
    positions = sorted(p.position for p in first)
    assert min(np.diff(positions)) >= 2 * A_AU / np.sqrt(3.0)  # default min_separation
    scene = cz.Scene()
    added = scene.add_defected_crystal(gold, volume, first)
    atoms = scene.to_atoms()
    assert len(np.unique(atoms.arrays["grain_id"])) == len(added.indices) == 4
    custom = cz.defect_planes(gold, volume, ntwins=1, seed=7, family=[(0, 0, 1)])
    assert custom[0].hkl == (0, 0, 1)


def test_scene_add_object_id(gold):
    scene = cz.Scene()
    scene.add(gold, cz.Sphere(5.0), object_id=5, grain=1)
    scene.add(gold, cz.Sphere(5.0, center=(20.0, 0, 0)), object_id=5, grain=2)
    atoms = scene.to_atoms()
    assert np.all(atoms.arrays["object_id"] == 5)
    assert set(np.unique(atoms.arrays["grain_id"])) == {1, 2}
    assert cz.defaults()["object"]["object_id"] == 0


def test_defect_errors(gold):
    scene = cz.Scene()
    with pytest.raises(ValueError, match="cz_scene_add_defected_crystal: .*0 0 0"):
        scene.add_defected_crystal(gold, cz.Sphere(10.0), [cz.DefectPlane(hkl=(0, 0, 0))])
    with pytest.raises(ValueError, match="cz_scene_add_defected_crystal: volume is unbounded"):
        scene.add_defected_crystal(gold, cz.HalfSpace((0, 0, 1)), [])
    with pytest.raises(cz.CzError, match="cz_scene_add_defected_crystal: 65 planes exceed"):
        scene.add_defected_crystal(gold, cz.Sphere(10.0),
                                   [cz.DefectPlane(position=float(k)) for k in range(65)])
    assert len(scene) == 0  # nothing added on failure
    with pytest.raises(ValueError, match="kind must be one of"):
        scene.add_defected_crystal(gold, cz.Sphere(10.0), [cz.DefectPlane("glide")])
    with pytest.raises(ValueError, match="unknown defect plane keys"):
        scene.add_defected_crystal(gold, cz.Sphere(10.0), [{"normal": (1, 1, 1)}])
    hcp = cz.Lattice.prototype("hcp", "Co", a=2.507)
    with pytest.raises(ValueError, match="cz_defect_planes_draw"):
        cz.defect_planes(hcp, cz.Sphere(10.0))  # cubic {111} family on a hexagonal cell
    with pytest.raises(ValueError, match="cz_defect_planes_draw"):
        cz.defect_planes(gold, cz.Sphere(6.0), ntwins=6, seed=1)  # no room
    with pytest.raises(ValueError, match="cz_defect_planes_draw: nvariants must be 1..4"):
        cz.defect_planes(gold, cz.Sphere(10.0), family=[(1, 1, 1)] * 5)
