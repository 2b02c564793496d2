"""Small numpy helpers shared by the tests."""

import numpy as np


def sorted_positions(positions, decimals=6):
    """Positions sorted lexicographically (z, then y, then x) after rounding, for set equality."""
    pos = np.round(np.asarray(positions, dtype=float), decimals) + 0.0  # +0.0 turns -0 into 0
    return pos[np.lexsort(pos.T[::-1])]


def neighbour_distances(atoms, index, count):
    """The `count` smallest distances (Å) from atom `index` to the other atoms."""
    pos = atoms.get_positions()
    d = np.linalg.norm(pos - pos[index], axis=1)
    d = np.delete(d, index)
    return np.sort(d)[:count]


def central_atom(atoms, number=None):
    """Index of the atom (optionally of one element) closest to the centroid."""
    pos = atoms.get_positions()
    d = np.linalg.norm(pos - pos.mean(axis=0), axis=1)
    if number is not None:
        d[atoms.numbers != number] = np.inf
    return int(np.argmin(d))
