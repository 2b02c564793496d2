"""Placement on a surface and cross-object clash removal through Python: lowest point at
surface − depth, reproducible random orientations, facet contact, and no pair of atoms of
different objects closer than the clash distance (brute force with minimum images)."""

import itertools

import numpy as np
import pytest

import cz

A_AU = 4.08


@pytest.fixture(scope="module")
def gold():
    return cz.Lattice.prototype("fcc", "Au", a=A_AU)


@pytest.fixture(scope="module")
def particle(gold):
    return cz.Wulff(gold, {(1, 1, 1): 1.0, (1, 0, 0): 1.15}, radius=7.3)


@pytest.fixture(scope="module")
def particle_atoms(particle):
    return particle.to_atoms(object_id=2)


def test_volume_rests_on_surface():
    r = 6.25
    pl = cz.place(cz.Sphere(r), xy=(3.5, -2.25), surface_z=11.75, depth=1.5)
    assert isinstance(pl, cz.Placement) and isinstance(pl.transform, cz.Transform)
    assert pl.bottom_z == pytest.approx(11.75 - 1.5)
    assert pl.extent_z == pytest.approx(2 * r) and pl.top_z == pytest.approx(pl.bottom_z + 2 * r)
    np.testing.assert_allclose(pl.transform.apply([0.0, 0.0, 0.0]), [3.5, -2.25, 10.25 + r])
    np.testing.assert_allclose(pl.rotation, np.eye(3), atol=1e-15)
    # depth_fraction adds a fraction of the extent: 0.1 sinks a sphere by 0.2 R.
    frac = cz.place(cz.Sphere(r), surface_z=0.0, depth=0.5, depth_fraction=0.1)
    assert frac.depth == pytest.approx(0.5 + 0.2 * r)
    assert frac.bottom_z == pytest.approx(-frac.depth)
    # A negative depth leaves a gap.
    assert cz.place(cz.Sphere(r), surface_z=2.0, depth=-3.0).bottom_z == pytest.approx(5.0)


def test_atoms_lowest_atom_at_surface_minus_depth(particle, particle_atoms):
    for orient, kw in (("keep", {}), ("random", {"seed": 9, "index": 4}),
                       ("facet", {"facet_normal": (1, 1, 1)})):
        pl = cz.place(particle_atoms, xy=(12.0, 7.0), surface_z=4.2, depth=1.3, orient=orient,
                      **kw)
        moved = pl.apply(particle_atoms)
        z = moved.positions[:, 2]
        assert z.min() == pytest.approx(4.2 - 1.3, abs=1e-9)
        assert z.max() == pytest.approx(pl.top_z, abs=1e-9)
        np.testing.assert_allclose(pl.transform.apply([0.0, 0.0, 0.0])[:2], [12.0, 7.0])
        # Rigid: interatomic distances kept, labels and order kept.
        d0 = np.linalg.norm(particle_atoms.positions[1:] - particle_atoms.positions[0], axis=1)
        d1 = np.linalg.norm(moved.positions[1:] - moved.positions[0], axis=1)
        np.testing.assert_allclose(d1, d0, atol=1e-9)
        np.testing.assert_array_equal(moved.arrays["object_id"], particle_atoms.arrays["object_id"])
    # A cz.Particle is placed by its atoms.
    a = cz.place(particle, surface_z=3.0, orient="random", seed=2)
    b = cz.place(particle_atoms, surface_z=3.0, orient="random", seed=2)
    assert a.transform == b.transform and a.bottom_z == b.bottom_z


def test_random_orientation_is_deterministic(particle_atoms):
    a = cz.place(particle_atoms, orient="random", seed=17, stream=3, index=5)
    b = cz.place(particle_atoms, orient="random", seed=17, stream=3, index=5)
    assert a.transform == b.transform
    np.testing.assert_array_equal(a.rotation, b.rotation)
    # The rotation is cz.rng.rotation(seed, stream, index), a proper rotation.
    np.testing.assert_allclose(a.rotation, cz.rng.rotation(17, 3, 5), atol=1e-14)
    np.testing.assert_allclose(a.rotation @ a.rotation.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(a.rotation) == pytest.approx(1.0)
    others = [cz.place(particle_atoms, orient="random", seed=s, stream=t, index=i).rotation
              for s, t, i in ((18, 3, 5), (17, 4, 5), (17, 3, 6))]
    assert all(not np.allclose(r, a.rotation) for r in others)
    # Volume and atoms see the same rotation for the same draw.
    v = cz.place(cz.Sphere(5.0), orient="random", seed=17, stream=3, index=5)
    np.testing.assert_allclose(v.rotation, a.rotation, atol=1e-15)


def test_facet_and_inplane_orientation(gold, particle_atoms):
    n = gold.plane_normal((1, 1, 1))
    pl = cz.place(particle_atoms, facet_normal=(1, 1, 1))  # orient inferred as 'facet'
    np.testing.assert_allclose(pl.rotation @ n, [0.0, 0.0, -1.0], atol=1e-12)
    spun = cz.place(particle_atoms, facet_normal=(2, 2, 2), orient="facet", inplane_deg=40.0)
    np.testing.assert_allclose(spun.rotation @ n, [0.0, 0.0, -1.0], atol=1e-12)
    # Random in-plane angles keep the facet down and follow (seed, stream, index).
    r1 = cz.place(particle_atoms, facet_normal=(1, 1, 1), random_inplane=True, seed=4)
    r2 = cz.place(particle_atoms, facet_normal=(1, 1, 1), random_inplane=True, seed=4)
    r3 = cz.place(particle_atoms, facet_normal=(1, 1, 1), random_inplane=True, seed=5)
    np.testing.assert_allclose(r1.rotation @ n, [0.0, 0.0, -1.0], atol=1e-12)
    assert r1.transform == r2.transform and not np.allclose(r1.rotation, r3.rotation)
    keep = cz.place(particle_atoms, inplane_deg=90.0)
    np.testing.assert_allclose(keep.rotation, [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-12)


def test_placement_errors(particle_atoms):
    with pytest.raises(ValueError, match="cz_placement_atoms: .*facet"):
        cz.place(particle_atoms, facet_normal=(0, 0, 0))
    with pytest.raises(ValueError, match="cz_placement_volume"):
        cz.place(cz.HalfSpace((1, 0, 0), (0, 0, 0)))  # unbounded along z
    with pytest.raises(ValueError, match="cz_placement_atoms"):
        cz.place(particle_atoms[:0])
    with pytest.raises(ValueError, match="cz_placement_volume"):
        cz.place(cz.Sphere(2.0), depth=float("nan"))
    with pytest.raises(ValueError, match="orient must be one of"):
        cz.place(cz.Sphere(2.0), orient="sideways")
    with pytest.raises(ValueError, match="xy"):
        cz.place(cz.Sphere(2.0), xy=(1.0, 2.0, 3.0))
    with pytest.raises(TypeError, match="particle must be"):
        cz.place("sphere")
    assert cz.defaults()["place"]["orient"] == cz._cz.ORIENT_KEEP


# ---- clash removal -----------------------------------------------------------------------

def cross_min_distance(atoms, group_a, group_b):
    """Smallest distance between atoms of two groups, minimum image over every in-plane shift
    (-1, 0, 1)² along periodic axes (exact for the reduced hexagonal cells used here)."""
    pos = atoms.positions
    cell = atoms.cell.array
    shifts = [np.array(s) for s in itertools.product(
        *[(-1, 0, 1) if p else (0,) for p in atoms.pbc])]
    diff = pos[group_a][:, None, :] - pos[group_b][None, :, :]
    best = np.inf
    for s in shifts:
        best = min(best, np.linalg.norm(diff + s @ cell, axis=2).min())
    return best


@pytest.fixture(scope="module")
def embedded(particle_atoms):
    """A MoS2 bilayer with the particle sunk 2.5 Å into it, across the cell's corner (periodic
    images matter)."""
    slab = cz.Slab.mos2(2, repeats=(8, 8), z_top=12.0, cell_height=40.0)
    pl = cz.place(particle_atoms, xy=(1.0, 0.5), surface_z=slab.z_top, depth=2.5)
    moved = pl.apply(particle_atoms)
    moved.set_cell(slab.cell)
    moved.pbc = slab.pbc
    moved.wrap()
    return slab.to_atoms() + moved


def test_remove_clashes_no_close_cross_pairs(embedded):
    d = 2.2
    obj = embedded.arrays["object_id"]
    assert cross_min_distance(embedded, obj == 1, obj == 2) < d
    out, nremoved = cz.remove_clashes(embedded, d)
    assert nremoved > 0 and len(out) == len(embedded) - nremoved
    o = out.arrays["object_id"]
    assert cross_min_distance(out, o == 1, o == 2) >= d
    # Equal priorities: the smaller object id (the slab) keeps every atom.
    assert (o == 1).sum() == (obj == 1).sum()
    # Survivors keep their order; the input is untouched.
    ref = {tuple(np.round(p, 9)) for p in embedded.positions}
    assert all(tuple(np.round(p, 9)) in ref for p in out.positions)
    assert len(embedded) == len(out) + nremoved
    # The particle wins when its priority is higher.
    out2, n2 = cz.remove_clashes(embedded, d, priority={2: 3})
    o2 = out2.arrays["object_id"]
    assert (o2 == 2).sum() == (obj == 2).sum() and n2 > 0
    assert cross_min_distance(out2, o2 == 1, o2 == 2) >= d
    seq, _ = cz.remove_clashes(embedded, d, priority=[0, 0, 3])
    np.testing.assert_array_equal(seq.positions, out2.positions)
    # Independent of the thread count.
    one, _ = cz.remove_clashes(embedded, d, nthreads=1)
    four, _ = cz.remove_clashes(embedded, d, nthreads=4)
    np.testing.assert_array_equal(one.positions, four.positions)
    np.testing.assert_array_equal(one.positions, out.positions)


def test_remove_clashes_by_class(embedded):
    # Particle–substrate pairs set to 0 (never clash): nothing removed.
    out, n = cz.remove_clashes(embedded, class_distance={("particle", "substrate"): 0.0})
    assert n == 0 and len(out) == len(embedded)
    table = np.full((4, 4), 2.2)
    out_a, n_a = cz.remove_clashes(embedded, class_distance=table)
    out_b, n_b = cz.remove_clashes(embedded, 2.2)
    assert n_a == n_b > 0
    np.testing.assert_array_equal(out_a.positions, out_b.positions)


def test_remove_clashes_errors(embedded):
    with pytest.raises(ValueError, match=r"cz_atoms_remove_clashes: .*-1"):
        cz.remove_clashes(embedded, -1.0)
    bad = np.full((4, 4), 2.0)
    bad[1, 2] = 3.0
    with pytest.raises(ValueError, match="cz_atoms_remove_clashes: .*symmetric"):
        cz.remove_clashes(embedded, class_distance=bad)
    with pytest.raises(ValueError, match="distance or class_distance"):
        cz.remove_clashes(embedded, 2.0, class_distance=bad)
    with pytest.raises(ValueError, match="cz_atoms_remove_clashes: .*class"):
        odd = embedded.copy()
        odd.arrays["class_id"][0] = 7
        cz.remove_clashes(odd)
    with pytest.raises(ValueError, match="unknown atom class"):
        cz.remove_clashes(embedded, class_distance={("rock", "particle"): 1.0})
    with pytest.raises(ValueError, match="class_distance must have shape"):
        cz.remove_clashes(embedded, class_distance=np.ones((3, 3)))
