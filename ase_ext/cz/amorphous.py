"""Amorphous solids by random sequential addition, as ase.Atoms.

Exactly N = round(density × box volume) atoms are placed uniformly at random in a box, each
candidate rejected when it comes closer than d_min(Zi, Zj) to an atom already there, periodic
images included. The result (amorphous carbon, an a-SiO2-like Si/O mix, ...) is a hard-sphere
structure ready for relaxation with a real potential. Same arguments and seed ⇒ same atoms.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import numpy as np

from . import _cz
from ._convert import atomic_number
from ._convert import class_id as _class_id
from ._convert import pbc3, to_atoms, vec3


def _box(cell) -> np.ndarray:
    """(3, 3) edge rows from a cell or from three edge lengths (an orthogonal box)."""
    arr = np.asarray(cell, dtype=np.float64)
    if arr.shape == (3,):
        return np.diag(arr)
    if arr.shape != (3, 3):
        raise ValueError(f"box_cell must have shape (3, 3) or (3,), got {arr.shape}")
    return np.ascontiguousarray(arr)


def _species(elements):
    """(z tuple, fraction tuple) from a symbol, a mapping or (species, fraction) pairs."""
    if isinstance(elements, (str, int)):
        return (atomic_number(elements),), (1.0,)
    items = elements.items() if isinstance(elements, Mapping) else elements
    z, fraction = [], []
    for item in items:
        try:
            species, share = item
        except (TypeError, ValueError):
            raise ValueError(f"elements must map species to atom fractions, got {item!r}") from None
        z.append(atomic_number(species))
        fraction.append(float(share))
    return tuple(z), tuple(fraction)


def _d_min_matrix(d_min, z: tuple) -> np.ndarray:
    """(ns, ns) minimum distances from a number, a {(A, B): d} mapping or a matrix. Pairs a
    mapping leaves out keep the library default."""
    ns = len(z)
    if isinstance(d_min, Real):
        return np.full((ns, ns), float(d_min))
    if not isinstance(d_min, Mapping):
        return np.ascontiguousarray(d_min, dtype=np.float64)
    matrix = np.array(_cz.amorphous_opts_default()["d_min"][:ns, :ns])
    index = {zi: i for i, zi in enumerate(z)}
    for pair, value in d_min.items():
        species = (pair, pair) if isinstance(pair, (str, int)) else tuple(pair)
        if len(species) != 2:
            raise ValueError(f"d_min keys are pairs of species, got {pair!r}")
        try:
            i, j = (index[atomic_number(s)] for s in species)
        except KeyError:
            raise ValueError(f"d_min pair {pair!r} names a species that is not among the "
                             f"elements") from None
        matrix[i, j] = matrix[j, i] = float(value)
    return matrix


def amorphous(box_origin, box_cell, pbc=True, elements=None, *, density: float | None = None,
              number_density: float | None = None, d_min=None, seed: int | None = None,
              attempts_per_atom: float | None = None, max_atoms: int | None = None,
              object_id: int | None = None, grain_id: int | None = None, class_=None,
              return_stats: bool = False):
    """Fill a box with an amorphous solid (cz_amorphous_fill).

    Args:
        box_origin: corner of the box, Å.
        box_cell: (3, 3) edge rows a, b, c in Å (any shape, triclinic included), or three edge
            lengths of an orthogonal box. The box is the half-open parallelepiped
            origin + f·cell, f in [0, 1)³; every atom lies inside it.
        pbc: periodicity along a, b, c (one bool or three). Along a periodic axis d_min holds
            across the boundary too.
        elements: composition as ATOM fractions: 'C', {'Si': 1, 'O': 2}, or (species, share)
            pairs; the counts are exact (largest remainder). None = the library default
            (carbon).
        density: mass density in g/cm³; number_density: atoms/Å³. Give at most one; None for
            both = the library default (2.2 g/cm³).
        d_min: minimum distance in Å, one number for every pair, a mapping
            {('Si', 'O'): 1.6, 'O': 2.4, ...} (a single species means the pair with itself;
            pairs left out keep the library default, 1.4 Å), or an (n, n) symmetric matrix in
            the order of elements.
        seed: random seed; None = library default (0).
        attempts_per_atom: candidate budget per atom before giving up; None = library default.
        max_atoms: cap on N; None = library cap.
        object_id, grain_id: labels of every atom; None = library defaults (0).
        class_: 'substrate' (the library default), 'particle', 'ligand', 'none' or a number.
        return_stats: also return the fill's report (attempts, grid, cell diameter, memory).

    Returns:
        ase.Atoms (with the box as cell and pbc when any axis is periodic, else no cell), or
        (atoms, stats dict) with return_stats.

    Raises:
        ValueError: bad box, composition, density or d_min (e.g. a periodic box shorter than
            d_min). cz.CzError: density too high for random sequential addition (jamming near
            a packing fraction of 0.38), or more than max_atoms atoms.
    """
    z = fraction = matrix = None
    if elements is not None:
        z, fraction = _species(elements)
    if d_min is not None:
        species = z if z is not None else _cz.amorphous_opts_default()["z"]
        matrix = _d_min_matrix(d_min, species)
    data, stats = _cz.amorphous_fill(
        vec3(box_origin, "box_origin"), _box(box_cell), pbc3(pbc), z=z, fraction=fraction,
        d_min=matrix, density_g_cm3=density, density_atoms_a3=number_density,
        attempts_per_atom=attempts_per_atom, max_atoms=max_atoms, seed=seed,
        object_id=object_id, grain_id=grain_id, class_id=_class_id(class_))
    atoms = to_atoms(data)
    return (atoms, stats) if return_stats else atoms
