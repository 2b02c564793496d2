"""Chemistry and site occupancy on ase.Atoms: random substitution, vacancies, surface roughness
and coordination numbers.

Every function returns a NEW ase.Atoms (labels, cell, info and any other per-atom arrays kept
for the surviving atoms) and leaves its input untouched.

Counts are exact: of the m eligible atoms exactly round(fraction · m) (halves up) are chosen.
The choice is a uniformly random subset that depends only on (seed, stream) and the atoms, not
on thread count: the same seed on the same atoms chooses the same atoms. Core–shell particles
are built in a scene: :meth:`cz.Scene.add_core_shell`.
"""

from __future__ import annotations

import numpy as np

from . import _cz
from ._convert import atomic_number, from_atoms


def _z(species):
    return None if species is None else atomic_number(species)


def substitute(atoms, element, replacement, fraction: float, *, object_id: int | None = None,
               seed: int | None = None, stream: int | None = None):
    """Replace exactly round(fraction · m) of the m atoms of ``element`` by ``replacement``
    (alloys, dopants; cz_atoms_substitute).

    Args:
        atoms: ase.Atoms.
        element, replacement: symbols or atomic numbers.
        fraction: in [0, 1].
        object_id: only atoms with this atoms.arrays['object_id']; None or 0 = all.
        seed, stream: random stream; None = library defaults (0).
    """
    arrays = from_atoms(atoms)
    numbers, _ = _cz.atoms_substitute(
        arrays["positions"], arrays["numbers"], arrays["object_id"], z_from=_z(element),
        z_to=_z(replacement), fraction=fraction, object_id=object_id, seed=seed, stream=stream)
    out = atoms.copy()
    out.set_atomic_numbers(numbers)
    return out


def vacate(atoms, fraction: float, *, element=None, object_id: int | None = None,
           seed: int | None = None, stream: int | None = None):
    """Remove exactly round(fraction · m) randomly chosen of the m eligible atoms
    (vacancies; cz_atoms_vacate).

    Args:
        atoms: ase.Atoms.
        fraction: in [0, 1].
        element: only atoms of this element; None = any.
        object_id: only atoms of this object; None or 0 = all.
        seed, stream: random stream; None = library defaults (0).
    """
    arrays = from_atoms(atoms)
    kept, _ = _cz.atoms_vacate(arrays["positions"], arrays["numbers"], arrays["object_id"],
                               fraction=fraction, z=_z(element), object_id=object_id,
                               seed=seed, stream=stream)
    return atoms[kept]


def coordination(atoms, cutoff: float, *, nthreads: int | None = None) -> np.ndarray:
    """Coordination numbers: for each atom, the atoms within ``cutoff`` Å, periodic images
    along periodic axes included (every image, not only the nearest). Cell lists, O(n).

    Returns:
        (n,) int64 array.
    """
    arrays = from_atoms(atoms)
    return _cz.atoms_coordination(arrays["positions"], arrays["numbers"], arrays["cell"],
                                  arrays["pbc"], cutoff, nthreads=nthreads)


def roughen(atoms, fraction: float, *, cutoff: float | None = None,
            bulk_coordination: int | None = None, object_id: int | None = None,
            passes: int | None = None, seed: int | None = None, stream: int | None = None,
            nthreads: int | None = None):
    """Surface roughness (cz_atoms_roughen): a surface atom has fewer than
    ``bulk_coordination`` neighbours within ``cutoff``; each pass removes exactly
    round(fraction · surface atoms) of them at random.

    Args:
        atoms: ase.Atoms (its cell and pbc are honoured).
        fraction: of the surface atoms removed per pass, in [0, 1].
        cutoff: neighbour cutoff in Å; None = library default (1.25 × the smallest distance).
        bulk_coordination: None = library default (the largest coordination found).
        object_id: only atoms of this object can be removed; None or 0 = any.
        passes: repeat with the surface recomputed; None = library default (1).
        seed, stream: random stream; None = library defaults (0); pass k uses stream + k.
        nthreads: OpenMP threads; None = OpenMP's default. The result does not depend on it.
    """
    arrays = from_atoms(atoms)
    kept, _ = _cz.atoms_roughen(
        arrays["positions"], arrays["numbers"], arrays["object_id"], arrays["cell"],
        arrays["pbc"], fraction=fraction, cutoff=cutoff, bulk_coordination=bulk_coordination,
        object_id=object_id, passes=passes, seed=seed, stream=stream, nthreads=nthreads)
    return atoms[kept]
