"""Surface sites of a particle and ligands / adsorbates bound to them.

:func:`surface_sites` finds the top sites: atoms whose coordination number (neighbours within a
cutoff) is below the bulk value and that face the outside, each with a unit outward normal.
:func:`add_ligands` binds copies of a molecule to a seeded subset of those sites: the anchor
atom at ``bond_length`` from the site atom along the normal, the molecule's axis along the
normal, a seeded spin about it, and no atom closer than the clash distances to the structure
or to other ligands.

Choice is exact and seeded: of m sites exactly round(coverage · m) (halves up) are requested,
chosen by (seed, stream) only; the same inputs always give identical positions, for any thread
count. Sites whose every spin clashes are skipped and reported in the stats.

Example::

    au = cz.Lattice.prototype("fcc", "Au", a=4.08)
    particle = cz.Wulff(au, {(1, 1, 1): 1.0, (1, 0, 0): 1.1}, radius=10.0).to_atoms()
    co = ase.build.molecule("CO")                           # C is atom 1 in ASE's CO
    atoms, stats = cz.add_ligands(particle, co, bond_length=1.9, anchor=1, coverage=0.5,
                                  seed=3)
    ligands = atoms[len(particle):]                         # just the CO molecules

Lengths in Å.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from . import _cz
from ._convert import from_atoms, to_atoms, vec3


@dataclass(frozen=True, eq=False)
class Sites:
    """Surface (top) sites of a structure.

    Attributes:
        indices: (n,) int64 index of each site atom in the structure searched.
        positions: (n, 3) its position, Å.
        normals: (n, 3) unit outward normals.
        coordination: (n,) int64 coordination number of the site atom (0 for sites built by
            hand).
        cutoff: neighbour cutoff used, Å (0 for sites built by hand).
        bulk_coordination: bulk coordination used (0 for sites built by hand).
    """

    indices: np.ndarray
    positions: np.ndarray
    normals: np.ndarray
    coordination: np.ndarray
    cutoff: float = 0.0
    bulk_coordination: int = 0

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, key) -> Sites:
        """A subset of the sites (index, index array, boolean mask or slice) as Sites."""
        if isinstance(key, Integral):
            key = [key]
        return Sites(self.indices[key], self.positions[key], self.normals[key],
                     self.coordination[key], self.cutoff, self.bulk_coordination)

    @classmethod
    def from_arrays(cls, atoms, indices, normals) -> Sites:
        """Sites chosen by hand: atoms of ``atoms`` at ``indices`` with unit outward
        ``normals`` (n, 3)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        nrm = np.ascontiguousarray(normals, dtype=np.float64).reshape(-1, 3)
        return cls(idx, atoms.get_positions()[idx], nrm, np.zeros(len(idx), dtype=np.int64))


def surface_sites(atoms, object_id: int | None = None, *, cutoff: float | None = None,
                  bulk_coordination: int | None = None, exposed_only: bool | None = None,
                  nthreads: int | None = None) -> Sites:
    """Surface top sites of ase.Atoms (cz_sites_find), in increasing atom index.

    A site is an atom with fewer than ``bulk_coordination`` neighbours within ``cutoff``
    (periodic images along periodic axes included) that, with ``exposed_only``, also faces the
    outside (not the rim of an internal vacancy or the bottom of a one-atom pit). Its normal
    is the normalised sum of the bond vectors pointing away from its neighbours.

    Args:
        atoms: the structure (its cell and pbc are honoured).
        object_id: search the atoms of this object only (atoms.arrays['object_id']);
            neighbours are counted among them only. None or 0 = all atoms.
        cutoff: neighbour cutoff in Å; None = 1.25 × the smallest interatomic distance.
        bulk_coordination: None = the largest coordination found (give 12 for fcc clusters
            too small to have a bulk atom).
        exposed_only: None = library default (True).
        nthreads: OpenMP threads; None = OpenMP's default.

    Raises:
        ValueError: an object id with no atoms, a bad cutoff, fewer than two atoms for the
            automatic cutoff.
    """
    arrays = from_atoms(atoms)
    out = _cz.sites_find(arrays["positions"], arrays["numbers"], arrays["object_id"],
                         arrays["cell"], arrays["pbc"], object_id=object_id, cutoff=cutoff,
                         bulk_coordination=bulk_coordination, exposed_only=exposed_only,
                         nthreads=nthreads)
    return Sites(out["atom"], out["xyz"], out["normal"], out["coordination"], out["cutoff"],
                 out["bulk_coordination"])


def _molecule(molecule):
    """ase.Atoms of the molecule: given, or read from a file by ase.io.read (any format ASE
    reads: xyz, pdb, mol, sdf, ...)."""
    if isinstance(molecule, (str, os.PathLike)):
        from ase.io import read

        return read(molecule)
    if hasattr(molecule, "get_positions"):
        return molecule
    raise TypeError(f"molecule must be an ase.Atoms or a file name, got "
                    f"{type(molecule).__name__}")


_SITE_KEYS = ("object_id", "cutoff", "bulk_coordination", "exposed_only")


def add_ligands(atoms, molecule, bond_length: float, *, anchor: int | None = None, axis=None,
                coverage: float | None = None, clash_distance: float | None = None,
                ligand_distance: float | None = None, max_attempts: int | None = None,
                object_id: int | None = None, per_molecule: bool | None = None,
                seed: int | None = None, stream: int | None = None, sites=None,
                nthreads: int | None = None):
    """Bind copies of a molecule to surface sites of a structure (cz_ligands_place).

    For a site atom at x with outward normal n, molecule atom m_k goes to
    x + bond_length·n + S(θ)·R·(m_k − m_anchor): R turns the molecule's axis onto n, S(θ) spins
    it about n by a seeded angle. A placement is accepted when no ligand atom is closer than
    clash_distance to any atom of ``atoms`` (the anchor–site bond excepted) nor closer than
    ligand_distance to an accepted ligand; up to max_attempts spins are tried per site.

    Args:
        atoms: the structure (ase.Atoms; its cell and pbc are honoured); not modified.
        molecule: ase.Atoms (positions and species; labels and cell ignored) or a file name
            read with ase.io.read.
        bond_length: Å from the site atom to the anchor, e.g. 2.4 Au–S, 1.9 Au–C of CO.
        anchor: index of the binding atom in the molecule; None = library default (0).
        axis: direction in the molecule's frame turned onto the normal; None = from the
            anchor to the molecule's centroid.
        coverage: fraction of the sites covered, in [0, 1]; None = library default (1).
        clash_distance, ligand_distance: Å, 0 = no test; None = library defaults (2.0).
        max_attempts: spins per site; None = library default (24).
        object_id: object label of the ligands; None = the largest object_id in atoms + 1.
        per_molecule: give molecule k (in output order) object_id + k; None = False.
        seed, stream: the random choice of sites (stream) and spins (stream + 1); None = 0.
        sites: a :class:`Sites` (e.g. ``surface_sites(atoms, object_id=2)`` or a subset of
            it); a dict of :func:`surface_sites` keyword arguments (object_id, cutoff,
            bulk_coordination, exposed_only), found within the same call; or None: every
            atom's sites with the library defaults. With a particle on a substrate, name the
            particle's object_id, or the substrate's surface gets ligands too.
        nthreads: OpenMP threads for the site search; None = OpenMP's default.

    Returns:
        (atoms + ligands, stats): a new ase.Atoms holding the input atoms (with all their
        arrays) followed by the ligands, molecule after molecule in placement order, each in
        the molecule's atom order, labelled class 'ligand', grain 0 and the object ids above;
        positions not wrapped. The ligands alone are ``out[len(atoms):]``. stats is a dict:
        sites (available), requested (round(coverage · sites)), placed, skipped (requested −
        placed) and attempts (spins tried).

    Raises:
        ValueError: bad bond length, coverage, anchor, distances, molecule or sites (the
            library's message). cz.CzError: too many atoms.
    """
    mol = _molecule(molecule)
    arrays = from_atoms(atoms)
    mol_arrays = from_atoms(mol)
    site_kwargs = {}
    if isinstance(sites, Sites):
        site_kwargs = {"site_atoms": sites.indices, "site_normals": sites.normals}
    elif isinstance(sites, Mapping):
        unknown = set(sites) - set(_SITE_KEYS)
        if unknown:
            raise ValueError(f"sites: unknown keys {sorted(unknown)}; expected "
                             f"{list(_SITE_KEYS)}")
        site_kwargs = {("site_object_id" if k == "object_id" else k): v
                       for k, v in sites.items()}
    elif sites is not None:
        raise TypeError(f"sites must be a cz.Sites, a dict or None, got "
                        f"{type(sites).__name__}")
    data, stats = _cz.ligands_place(
        arrays["positions"], arrays["numbers"], arrays["object_id"], arrays["cell"],
        arrays["pbc"], mol_arrays["positions"], mol_arrays["numbers"], bond_length=bond_length,
        anchor=anchor, axis=None if axis is None else vec3(axis, "axis"), coverage=coverage,
        clash_distance=clash_distance, ligand_distance=ligand_distance,
        max_attempts=max_attempts, object_id=object_id, per_molecule=per_molecule, seed=seed,
        stream=stream, nthreads=nthreads, **site_kwargs)
    out = atoms.copy()
    out.extend(to_atoms(data))
    return out, stats
