"""cz — nanoscale atomic structures for HRTEM simulation, as ase.Atoms.

A crystal is a :class:`Lattice` cut by a :class:`Volume`, optionally moved by a
:class:`Transform`; :func:`fill` builds one crystal, a :class:`Scene` combines several with
priorities and a cell. Results are ``ase.Atoms`` with the cell, pbc and per-atom labels in
``atoms.arrays['object_id']``, ``['grain_id']`` and ``['class_id']``.

Units: Å for lengths, degrees for angles. Cells are rows a, b, c (ASE's convention).

Example::

    import cz
    au = cz.Lattice.prototype("fcc", "Au", a=4.08)
    particle = cz.fill(au, cz.Sphere(25.0))           # 3925 atoms
    cz.write("particle.xyz", particle)

Errors: invalid arguments raise ValueError, allocation failures MemoryError, file problems
OSError, anything else from the C library :class:`CzError` (a RuntimeError), always with the
library's message naming the function and the offending value.
"""

from . import _cz, rng
from ._cz import CzError
from .io import read, write
from .lattice import Lattice, cell_from_parameters
from .scene import Scene, count, fill
from .spec import Spec
from .transform import Transform
from .volume import Box, Cylinder, HalfSpace, Hull, MillerPlane, Polyhedron, Sphere, Volume

__version__ = _cz.version()

MAX_ATOMS = _cz.MAX_ATOMS
"""Largest number of atoms any cz function produces."""


def element_symbol(z: int) -> str:
    """Chemical symbol of atomic number z (1..118)."""
    return _cz.element_symbol(z)


def element_mass(z: int) -> float:
    """Standard atomic mass of element z in g/mol."""
    return _cz.element_mass(z)


def atomic_number(symbol: str) -> int:
    """Atomic number of a chemical symbol ('Au'; 'au' and 'AU' are accepted too)."""
    return _cz.element_from_symbol(symbol)


def defaults() -> dict:
    """The C library's option defaults, by options struct (fill, spacegroup, prototype, object,
    populate, write). Every ``None`` argument in this package means "this default"."""
    return {
        "fill": _cz.fill_opts_default(),
        "spacegroup": _cz.spacegroup_opts_default(),
        "prototype": _cz.prototype_opts_default(),
        "object": _cz.object_opts_default(),
        "populate": _cz.populate_opts_default(),
        "write": _cz.write_opts_default(),
    }


__all__ = [
    "Box",
    "CzError",
    "Cylinder",
    "HalfSpace",
    "Hull",
    "Lattice",
    "MAX_ATOMS",
    "MillerPlane",
    "Polyhedron",
    "Scene",
    "Spec",
    "Sphere",
    "Transform",
    "Volume",
    "atomic_number",
    "cell_from_parameters",
    "count",
    "defaults",
    "element_mass",
    "element_symbol",
    "fill",
    "read",
    "rng",
    "write",
]
