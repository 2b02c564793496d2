"""Surface sites and ligands through Python: under-coordinated sites with outward normals,
anchors at the bond length along the normal from their site atom, exact seeded coverage, no
clashes, labels, molecules from files, and errors with the library's messages."""

import numpy as np
import pytest
from ase import Atoms
from ase.build import molecule
from ase.io import write as ase_write

import cz

A_AU = 4.08
AU_C = 1.93


@pytest.fixture(scope="module")
def gold():
    return cz.Lattice.prototype("fcc", "Au", a=A_AU)


@pytest.fixture(scope="module")
def particle(gold):
    return cz.Wulff(gold, {(1, 1, 1): 1.0, (1, 0, 0): 1.15}, radius=8.0).to_atoms(object_id=2)


@pytest.fixture(scope="module")
def sites(particle):
    return cz.surface_sites(particle)


@pytest.fixture(scope="module")
def co():
    return molecule("CO")  # O first, C (the anchor) second


def test_surface_sites(particle, sites):
    n = len(sites)
    assert 0 < n < len(particle)
    assert sites.bulk_coordination == 12
    assert sites.cutoff == pytest.approx(1.25 * A_AU / np.sqrt(2))
    assert np.all(sites.coordination < 12) and np.all(np.diff(sites.indices) > 0)
    np.testing.assert_allclose(sites.positions, particle.positions[sites.indices])
    np.testing.assert_allclose(np.linalg.norm(sites.normals, axis=1), 1.0, atol=1e-12)
    # Outward: away from the particle's centre.
    out = sites.positions - particle.positions.mean(axis=0)
    assert np.all(np.einsum("ij,ij->i", out, sites.normals) > 0)
    # The atoms that are not sites have the full 12 neighbours.
    coord = cz.coordination(particle, sites.cutoff)
    inner = np.setdiff1d(np.arange(len(particle)), sites.indices)
    assert np.all(coord[inner] == 12)
    # exposed_only=False can only add sites; an explicit cutoff is used as given.
    every = cz.surface_sites(particle, exposed_only=False, cutoff=3.3)
    assert every.cutoff == 3.3 and len(every) >= n
    assert cz.defaults()["site"]["exposed_only"] is True


def test_sites_of_a_periodic_slab(gold):
    slab = cz.Slab(gold, (1, 1, 1), planes=4, repeats=(4, 4), z_top=12.0, cell_height=30.0)
    atoms = slab.to_atoms()
    s = cz.surface_sites(atoms)
    z = atoms.positions[s.indices, 2]
    # Only the top and bottom layers (16 atoms each) are sites, with normals ±z: the cell is
    # periodic in-plane, so the side faces of the box are not surfaces.
    assert len(s) == 32
    assert set(np.round(z, 6)) == {round(slab.z_top, 6), round(slab.z_bottom, 6)}
    np.testing.assert_allclose(s.normals[:, 2], np.where(z > 6.0, 1.0, -1.0), atol=1e-12)
    assert np.all(s.coordination == 9)


def anchors_on_sites(particle, sites, ligands, nmol_atoms, anchor, bond):
    """Site index of every ligand's anchor, checking anchor = x_s + bond · n_s."""
    a = ligands.positions[anchor::nmol_atoms]
    want = sites.positions[None, :, :] + bond * sites.normals[None, :, :]
    err = np.linalg.norm(a[:, None, :] - want, axis=2)
    which = np.argmin(err, axis=1)
    np.testing.assert_allclose(err[np.arange(len(a)), which], 0.0, atol=1e-9)
    d = np.linalg.norm(a - sites.positions[which], axis=1)
    np.testing.assert_allclose(d, bond, atol=1e-9)
    return which


@pytest.mark.parametrize("coverage", [0.0, 0.3, 0.5, 1.0])
def test_co_coverage_bond_length_and_no_clashes(particle, sites, co, coverage):
    out, stats = cz.add_ligands(particle, co, AU_C, anchor=1, coverage=coverage, seed=12,
                                sites=sites)
    m = len(sites)
    assert stats["sites"] == m
    assert stats["requested"] == int(np.floor(coverage * m + 0.5))
    assert stats["placed"] + stats["skipped"] == stats["requested"]
    assert stats["attempts"] >= stats["placed"]
    # Input first, unchanged; then the ligands, two atoms each.
    np.testing.assert_array_equal(out.positions[:len(particle)], particle.positions)
    ligands = out[len(particle):]
    assert len(ligands) == 2 * stats["placed"]
    assert list(ligands.numbers) == [8, 6] * stats["placed"]
    if stats["placed"] == 0:
        return
    which = anchors_on_sites(particle, sites, ligands, 2, 1, AU_C)
    assert len(set(which)) == len(which)  # one ligand per site
    # C–O kept, along the normal (the axis from the anchor to the centroid points outward).
    o, c = ligands.positions[0::2], ligands.positions[1::2]
    np.testing.assert_allclose(np.linalg.norm(o - c, axis=1), 1.15034, atol=1e-4)
    np.testing.assert_allclose(np.einsum("ij,ij->i", o - c, sites.normals[which]),
                               np.linalg.norm(o - c, axis=1), atol=1e-9)
    # No ligand atom within 2.0 Å (default clash distance) of the particle except the anchor
    # to its own site atom; no two atoms of different ligands within 2.0 Å.
    dp = np.linalg.norm(ligands.positions[:, None] - particle.positions[None], axis=2)
    own = sites.indices[which]
    dp[np.arange(1, len(ligands), 2), own] = np.inf
    assert dp.min() >= 2.0
    mol = np.repeat(np.arange(stats["placed"]), 2)
    dl = np.linalg.norm(ligands.positions[:, None] - ligands.positions[None], axis=2)
    dl[mol[:, None] == mol[None, :]] = np.inf
    assert dl.min() >= 2.0


def test_same_seed_same_positions(particle, sites, co):
    a, sa = cz.add_ligands(particle, co, AU_C, anchor=1, coverage=0.4, seed=7)
    b, sb = cz.add_ligands(particle, co, AU_C, anchor=1, coverage=0.4, seed=7,
                           sites={"object_id": 2}, nthreads=1)
    c, _ = cz.add_ligands(particle, co, AU_C, anchor=1, coverage=0.4, seed=8)
    d, _ = cz.add_ligands(particle, co, AU_C, anchor=1, coverage=0.4, seed=7, stream=1)
    assert sa == sb
    np.testing.assert_array_equal(a.positions, b.positions)
    assert not np.array_equal(a.positions, c.positions)
    assert not np.array_equal(a.positions, d.positions)


def test_labels_and_object_ids(particle, sites, co):
    out, stats = cz.add_ligands(particle, co, AU_C, anchor=1, coverage=0.2, seed=1)
    lig = out[len(particle):]
    assert set(lig.arrays["class_id"]) == {cz._cz.CLASS_LIGAND}
    assert set(lig.arrays["object_id"]) == {3}  # largest object id + 1
    assert set(lig.arrays["grain_id"]) == {0}
    np.testing.assert_array_equal(out.arrays["object_id"][:len(particle)], 2)
    np.testing.assert_array_equal(lig.cell.array, particle.cell.array)
    per, st = cz.add_ligands(particle, co, AU_C, anchor=1, coverage=0.2, seed=1,
                             object_id=10, per_molecule=True)
    ids = per.arrays["object_id"][len(particle):]
    np.testing.assert_array_equal(ids, 10 + np.repeat(np.arange(st["placed"]), 2))
    # Input atoms without labels get 0 for theirs.
    bare = Atoms(particle.numbers, particle.positions)
    out2, _ = cz.add_ligands(bare, co, AU_C, anchor=1, coverage=0.2, seed=1)
    assert set(out2.arrays["object_id"][:len(bare)]) == {0}
    assert set(out2.arrays["object_id"][len(bare):]) == {1}


def test_sites_subset_and_only_one_object(gold, particle, sites, co):
    half = sites[::2]
    out, stats = cz.add_ligands(particle, co, AU_C, anchor=1, sites=half, seed=3)
    assert stats["sites"] == len(half) and stats["requested"] == len(half)
    anchors_on_sites(particle, half, out[len(particle):], 2, 1, AU_C)
    # Hand-made sites: one atom, normal +z.
    top = int(np.argmax(particle.positions[:, 2]))
    one = cz.Sites.from_arrays(particle, [top], [[0.0, 0.0, 1.0]])
    out1, s1 = cz.add_ligands(particle, co, AU_C, anchor=1, sites=one)
    assert s1["placed"] == 1
    np.testing.assert_allclose(out1.positions[-1], particle.positions[top] + [0, 0, AU_C])
    # A particle on a substrate: sites of the particle only.
    slab = cz.Slab(gold, (1, 1, 1), planes=3, repeats=(8, 8), z_top=10.0, cell_height=40.0)
    pl = cz.place(particle, xy=slab.cell[:2, :2].sum(axis=0) / 2, surface_z=slab.z_top + 2.4)
    both = slab.to_atoms() + pl.apply(particle)
    only = cz.surface_sites(both, object_id=2)
    assert set(both.arrays["object_id"][only.indices]) == {2}
    out3, s3 = cz.add_ligands(both, co, AU_C, anchor=1, sites=only, seed=5)
    assert 0 < s3["placed"] < len(only)  # the contact facet is blocked by the substrate
    assert out3.positions[len(both):, 2].min() > slab.z_top


def test_molecule_from_file(tmp_path, particle, sites, co):
    path = tmp_path / "co.xyz"
    ase_write(path, co)
    a, _ = cz.add_ligands(particle, co, AU_C, anchor=1, coverage=0.3, seed=2, sites=sites)
    b, _ = cz.add_ligands(particle, str(path), AU_C, anchor=1, coverage=0.3, seed=2,
                          sites=sites)
    np.testing.assert_allclose(a.positions, b.positions, atol=1e-6)
    # A one-atom adsorbate sits exactly on the normal.
    o, st = cz.add_ligands(particle, Atoms("O"), 2.0, sites=sites, coverage=1.0)
    anchors_on_sites(particle, sites, o[len(particle):], 1, 0, 2.0)


def test_errors(particle, sites, co):
    with pytest.raises(ValueError, match="cz_ligands_place: .*bond_length"):
        cz.add_ligands(particle, co, -1.0)
    with pytest.raises(ValueError, match="cz_ligands_place: .*coverage"):
        cz.add_ligands(particle, co, AU_C, coverage=1.5)
    with pytest.raises(ValueError, match="cz_ligands_place: .*anchor"):
        cz.add_ligands(particle, co, AU_C, anchor=5)
    with pytest.raises(ValueError, match="cz_ligands_place: .*max_attempts"):
        cz.add_ligands(particle, co, AU_C, max_attempts=0)
    bad = cz.Sites.from_arrays(particle, [0], [[0.0, 0.0, 2.0]])
    with pytest.raises(ValueError, match="cz_ligands_place: .*unit"):
        cz.add_ligands(particle, co, AU_C, sites=bad)
    far = cz.Sites(np.array([len(particle)]), np.zeros((1, 3)), np.array([[0.0, 0.0, 1.0]]),
                   np.zeros(1, dtype=np.int64))
    with pytest.raises(ValueError, match="cz_ligands_place: .*range"):
        cz.add_ligands(particle, co, AU_C, sites=far)
    with pytest.raises(ValueError, match="unknown keys"):
        cz.add_ligands(particle, co, AU_C, sites={"radius": 3.0})
    with pytest.raises(ValueError, match="cz_sites_find: .*object_id"):
        cz.surface_sites(particle, object_id=7)
    with pytest.raises(ValueError, match="cz_sites_find: .*cutoff"):
        cz.surface_sites(particle, cutoff=-1.0)
    with pytest.raises(ValueError, match="cz_sites_find: no atom has object_id 7"):
        cz.add_ligands(particle, co, AU_C, sites={"object_id": 7})  # found inside the call
    with pytest.raises(OSError):
        cz.add_ligands(particle, "/nonexistent/co.xyz", AU_C)
    with pytest.raises(TypeError, match="molecule must be"):
        cz.add_ligands(particle, 42, AU_C)
