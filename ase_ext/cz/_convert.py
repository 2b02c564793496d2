"""Input normalisation and output conversion shared by the package's modules.

Python values are turned into what the extension expects (contiguous float64 arrays, atomic
numbers, the (m, t) pair of a transform) and the extension's dicts of numpy arrays are turned
into ase.Atoms. Nothing here knows geometry or defaults: those live in the C library.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np

from . import _cz

LABELS = ("object_id", "grain_id", "class_id")
"""Names of the per-atom label arrays in ase.Atoms.arrays."""

CLASSES = {
    "none": _cz.CLASS_NONE,
    "particle": _cz.CLASS_PARTICLE,
    "substrate": _cz.CLASS_SUBSTRATE,
    "ligand": _cz.CLASS_LIGAND,
}
"""Names of the atom classes used in segmentation labels, and their C values."""


def vec3(value, name: str) -> np.ndarray:
    """A contiguous float64 array of shape (3,)."""
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.shape != (3,):
        raise ValueError(f"{name} must have shape (3,), got {arr.shape}")
    return arr


def mat33(value, name: str) -> np.ndarray:
    """A contiguous float64 array of shape (3, 3)."""
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.shape != (3, 3):
        raise ValueError(f"{name} must have shape (3, 3), got {arr.shape}")
    return arr


def rows(value, name: str) -> np.ndarray:
    """A contiguous float64 array of shape (n, 3); an empty input gives shape (0, 3)."""
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.size == 0:
        arr = arr.reshape(0, 3)
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"{name} must have shape (n, 3), got {arr.shape}")
    return arr


def int3(value, name: str) -> tuple[int, int, int]:
    """Three integers (Miller indices, zone axis)."""
    items = tuple(value)
    if len(items) != 3 or not all(isinstance(k, Integral) for k in items):
        raise ValueError(f"{name} must be three integers, got {value!r}")
    return tuple(int(k) for k in items)


def atomic_number(species) -> int:
    """Atomic number of a symbol ('Au', case as in chemistry) or an integer."""
    if isinstance(species, str):
        return _cz.element_from_symbol(species)
    if isinstance(species, Integral):
        return int(species)
    raise TypeError(f"a species must be an element symbol or an atomic number, got {species!r}")


def atomic_numbers(species) -> np.ndarray:
    """int64 array of atomic numbers from symbols and/or integers (a single str is one atom)."""
    if isinstance(species, (str, Integral)):
        species = [species]
    if isinstance(species, np.ndarray) and species.dtype.kind in "iu":
        return np.ascontiguousarray(species, dtype=np.int64).reshape(-1)
    return np.array([atomic_number(s) for s in species], dtype=np.int64)


def pbc3(pbc) -> tuple[bool, bool, bool]:
    """Periodicity along a, b, c from one bool or three."""
    if np.ndim(pbc) == 0:
        return (bool(pbc),) * 3
    flags = tuple(bool(p) for p in np.asarray(pbc).reshape(-1))
    if len(flags) != 3:
        raise ValueError(f"pbc must be one bool or three, got {pbc!r}")
    return flags


def class_id(value) -> int | None:
    """C class id from a name ('particle', 'substrate', 'ligand', 'none'), an int, or None."""
    if value is None or isinstance(value, Integral):
        return value
    code = CLASSES.get(str(value).lower())
    if code is None:
        raise ValueError(f"unknown atom class {value!r}; expected one of {sorted(CLASSES)}")
    return code


def to_atoms(data: dict):
    """ase.Atoms from the extension's dict (positions, numbers, labels, cell, pbc)."""
    from ase import Atoms

    atoms = Atoms(
        numbers=data["numbers"],
        positions=data["positions"],
        cell=data["cell"],
        pbc=data["pbc"],
    )
    for key in LABELS:
        atoms.arrays[key] = data[key]
    return atoms


def from_atoms(atoms) -> dict:
    """The arrays the C writers take, from an ase.Atoms; missing labels are 0 (none)."""
    n = len(atoms)
    out = {
        "positions": rows(atoms.get_positions(), "positions"),
        "numbers": np.ascontiguousarray(atoms.get_atomic_numbers(), dtype=np.int64),
        "cell": mat33(atoms.cell.array, "cell"),
        "pbc": pbc3(atoms.pbc),
    }
    for key in LABELS:
        values = atoms.arrays.get(key)
        if values is None:
            values = np.zeros(n, dtype=np.int64)
        out[key] = np.ascontiguousarray(values, dtype=np.int64).reshape(n)
    return out
