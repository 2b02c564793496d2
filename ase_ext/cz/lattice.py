"""Crystal lattices: a cell (rows a, b, c in Å) and a basis of species at fractional sites."""

from __future__ import annotations

from collections import Counter
from numbers import Integral

import numpy as np

from . import _cz
from ._convert import atomic_number, atomic_numbers, int3, mat33, rows


def cell_from_parameters(a: float, b: float, c: float, alpha: float, beta: float,
                         gamma: float) -> np.ndarray:
    """Cell rows from lattice parameters in the standard orientation.

    a lies along x, b in the xy plane, c completes a right-handed set (ASE's and LAMMPS'
    orientation).

    Args:
        a, b, c: lengths in Å.
        alpha, beta, gamma: angles in degrees.

    Returns:
        (3, 3) float64 array whose rows are the lattice vectors, Å.
    """
    return _cz.cell_from_parameters(a, b, c, alpha, beta, gamma)


def _cell(cell_or_params) -> np.ndarray:
    """A (3, 3) cell from a cell or from the six parameters (a, b, c Å, alpha, beta, gamma °)."""
    arr = np.asarray(cell_or_params, dtype=np.float64)
    if arr.shape == (6,):
        return cell_from_parameters(*arr)
    return mat33(arr, "cell")


class Lattice:
    """A crystal lattice: cell rows a, b, c (Å) and basis sites at fractional coordinates.

    Build one from an explicit cell and basis (the constructor), a named prototype
    (:meth:`prototype`), a space group and its asymmetric unit (:meth:`from_spacegroup`), or any
    structure ASE can read, CIF and POSCAR included (:meth:`from_atoms`). Lattices are immutable.

    Args:
        cell: (3, 3) rows a, b, c in Å.
        scaled_positions: (n, 3) fractional coordinates of the basis (wrapped into [0, 1)).
        numbers: n element symbols or atomic numbers.
    """

    __slots__ = ("_handle", "_cell", "_frac", "_numbers")

    def __init__(self, cell, scaled_positions, numbers):
        handle = _cz.lattice_create(mat33(cell, "cell"), rows(scaled_positions, "scaled_positions"),
                                    atomic_numbers(numbers))
        self._set(handle)

    def _set(self, handle) -> None:
        self._handle = handle
        cell, frac, numbers = _cz.lattice_data(handle)
        for arr in (cell, frac, numbers):
            arr.flags.writeable = False
        self._cell, self._frac, self._numbers = cell, frac, numbers

    @classmethod
    def _wrap(cls, handle) -> Lattice:
        self = cls.__new__(cls)
        self._set(handle)
        return self

    @classmethod
    def prototype(cls, name: str, elements, a: float, c: float | None = None,
                  u: float | None = None) -> Lattice:
        """A named prototype lattice.

        Names and species (elements[0] = A, [1] = B, [2] = C):
        'fcc', 'bcc', 'hcp', 'diamond', 'graphite' (A); 'rocksalt', 'zincblende',
        'wurtzite', 'fluorite' (AB2), '2H-MoS2' (AB2) (A, B); 'perovskite' (ABC3).
        Cubic prototypes use the conventional cubic cell, hexagonal ones (a, a, c, 90°, 90°,
        120°).

        Args:
            name: prototype name.
            elements: one symbol ('Au') or a sequence (('Zn', 'O')); atomic numbers work too.
            a: lattice parameter a in Å.
            c: lattice parameter c in Å for hexagonal prototypes; None = the library's ideal
                value (√(8/3)·a for hcp and wurtzite).
            u: internal parameter (wurtzite u, 2H-MoS2 S height); None = the library default.
        """
        species = [elements] if isinstance(elements, (str, Integral)) else list(elements)
        z = tuple(atomic_number(s) for s in species)
        return cls._wrap(_cz.lattice_prototype(name, z, a, c, u))

    @classmethod
    def from_spacegroup(cls, number: int, cell_or_params, sites, hall_number: int | None = None,
                        symprec: float | None = None) -> Lattice:
        """Lattice of a space group from its asymmetric unit (spglib's symmetry database).

        Args:
            number: international space-group number, 1..230.
            cell_or_params: (3, 3) conventional cell rows in Å, or the six parameters
                (a, b, c in Å, alpha, beta, gamma in degrees).
            sites: sequence of (species, (x, y, z)) with fractional coordinates, e.g.
                ``[('Na', (0, 0, 0)), ('Cl', (0.5, 0.5, 0.5))]``.
            hall_number: setting, 1..530; None = the library default (the standard setting).
            symprec: distance in Å under which images are merged; None = the library default.
        """
        sites = list(sites)
        numbers = atomic_numbers([s for s, _ in sites])
        frac = rows([f for _, f in sites], "sites")
        return cls._wrap(_cz.lattice_from_spacegroup(number, _cell(cell_or_params), frac, numbers,
                                                     hall_number=hall_number, symprec=symprec))

    @classmethod
    def from_atoms(cls, atoms) -> Lattice:
        """Lattice whose cell and basis are those of an ase.Atoms (e.g. from ase.io.read of a
        CIF or POSCAR file): cell, scaled positions and atomic numbers."""
        return cls(atoms.cell.array, atoms.get_scaled_positions(wrap=True),
                   atoms.get_atomic_numbers())

    @property
    def cell(self) -> np.ndarray:
        """(3, 3) rows a, b, c in Å (read-only)."""
        return self._cell

    @property
    def scaled_positions(self) -> np.ndarray:
        """(n, 3) fractional coordinates of the basis sites in [0, 1) (read-only)."""
        return self._frac

    @property
    def numbers(self) -> np.ndarray:
        """(n,) atomic numbers of the basis sites (read-only)."""
        return self._numbers

    @property
    def volume(self) -> float:
        """Cell volume in Å³ (absolute value of the determinant)."""
        return abs(_cz.cell_volume(self._cell))

    def __len__(self) -> int:
        return len(self._numbers)

    def plane_spacing(self, hkl) -> float:
        """Spacing d_hkl in Å of the lattice planes (hkl) of this cell."""
        return _cz.lattice_plane(self._handle, int3(hkl, "hkl"))[0]

    def plane_normal(self, hkl) -> np.ndarray:
        """Unit normal of the planes (hkl), along h a* + k b* + l c*, in the lattice frame."""
        return _cz.lattice_plane(self._handle, int3(hkl, "hkl"))[1]

    def to_atoms(self):
        """The unit cell as a periodic ase.Atoms."""
        from ase import Atoms

        return Atoms(numbers=self._numbers, scaled_positions=self._frac, cell=self._cell,
                     pbc=True)

    def __repr__(self) -> str:
        counts = Counter(_cz.element_symbol(int(z)) for z in self._numbers)
        formula = "".join(f"{sym}{n if n > 1 else ''}" for sym, n in counts.items())
        a, b, c = np.linalg.norm(self._cell, axis=1)
        return f"Lattice({formula}, a={a:.4f} Å, b={b:.4f} Å, c={c:.4f} Å)"
