"""Crystalline substrates: slabs of any lattice with an (hkl) surface, and MoS2 / graphene layers.

A :class:`Slab` is a piece of a crystal between two (hkl) lattice planes, turned so that the
surface normal points along +z (the beam), periodic in-plane (pbc True, True, False). Its
in-plane cell is a supercell of the surface's 2-D cell: given as repeats, the nearest supercell
to a requested size (bulk lattice kept), or exactly a requested cell with the lattice strained
to fit (``match``; the strain is reported and capped by ``max_strain``).

Slabs are immutable; nothing is filled until :meth:`Slab.to_atoms` or
:meth:`cz.Scene.add_slab`. Atoms are labelled class 'substrate' unless told otherwise.

Example::

    au = cz.Lattice.prototype("fcc", "Au", a=4.08)
    slab = cz.Slab(au, (1, 1, 1), planes=6, repeats=(8, 8))
    slab.d_spacing                                   # a/√3 = 2.356 Å
    mos2 = cz.Slab.mos2(2, match=((40, 0), (0, 40)))  # bilayer, strained to a 40 Å square
    mos2.strain_max, mos2.to_atoms()

    scene = cz.Scene(cell=mos2.cell, pbc=mos2.pbc)   # the slab sets the scene cell
    scene.add_slab(mos2)

Lengths in Å, angles in degrees. See cz_substrate.h for the conventions (primitive reduction,
termination at the widest gap, the Biot strain of a matched cell).
"""

from __future__ import annotations

import numpy as np

from . import _cz
from ._convert import class_id as _class_id
from ._convert import int3, to_atoms
from .lattice import Lattice


def _target(value, name: str) -> np.ndarray:
    """(2, 2) in-plane cell rows (x, y) in Å; a pair (x, y) is the rectangle diag(x, y)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape == (2,):
        arr = np.diag(arr)
    if arr.shape != (2, 2):
        raise ValueError(f"{name} must be ((x, 0), (0, y)) rows of shape (2, 2) or (x, y), "
                         f"got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def _lateral(repeats, size, match) -> dict:
    """The in-plane cell arguments of the extension: at most one of repeats, size, match."""
    given = [name for name, v in (("repeats", repeats), ("size", size), ("match", match))
             if v is not None]
    if len(given) > 1:
        raise ValueError(f"give at most one of repeats, size and match, got {', '.join(given)}")
    if repeats is not None:
        r = tuple(repeats)
        if len(r) != 2:
            raise ValueError(f"repeats must be two integers (n, m), got {repeats!r}")
        return {"lateral": _cz.SLAB_REPEATS, "repeats": r}
    if size is not None:
        return {"lateral": _cz.SLAB_SIZE, "target": _target(size, "size")}
    if match is not None:
        return {"lateral": _cz.SLAB_MATCH, "target": _target(match, "match")}
    return {}


class Slab:
    """A crystalline slab with surface (hkl) along +z, periodic in-plane.

    Args:
        lattice: the bulk crystal (any cell and basis; reduced to a primitive cell first).
        hkl: Miller indices of the surface in the lattice's cell; None = library default
            (0 0 1).
        planes: atomic planes in the slab; None = library default (4), or ``thickness``.
        thickness: alternative to planes: keep the planes within this many Å below the top
            plane.
        termination: which atomic plane of a period is on top (0 = lowest of the period's
            ``plane_heights``); None = the plane below the widest gap (fewest broken bonds).
        z_top: height of the top atomic plane in Å; None = the bottom plane at z = 1 Å.
        cell_height: c row (0, 0, cell_height) in Å; None = z_top + 1 Å. The slab must lie
            within 0 <= z <= cell_height.
        inplane_deg: rotation of the crystal about z in degrees; None = 0.
        repeats: (n, m) surface cells along A and B (no strain).
        size: ((x, 0), (0, y)) in-plane cell rows in Å (or (x, y)): the nearest integer
            supercell, bulk lattice kept (its cell only approximates the request).
        match: in-plane cell rows as for size; the cell is exactly this and the lattice is
            strained in-plane to fit.
        max_strain: ``match`` fails (cz.CzError, ERANGE) above this |principal strain|; None =
            library default (0.02).
        Give at most one of repeats, size and match; none = the library default (size 30 Å ×
        30 Å).

    Raises:
        ValueError: bad indices, counts, cells or lengths (the library's message).
        cz.CzError: ``match`` needs more strain than max_strain, or too many atoms.

    Attributes (read-only): natoms (also ``len(slab)``), hkl (coprime), uvw (rows A, B, C in
    fractional coordinates of the input cell), d_spacing (Å, period along the normal),
    plane_heights (Å above a period's base, ascending), plane_atoms (per 2-D cell),
    nplanes_period, nplanes, termination, z_top, z_bottom, repeats (2 × 2 integer matrix N:
    cell rows in units of A and B), ncells (det N), cell (3, 3), pbc, strain (2 × 2 Biot
    strain), strain_max, rotation_deg, strained, origin and lattice (the slab lattice in the
    world frame).
    """

    __slots__ = ("_handle", "_info")

    def __init__(self, lattice: Lattice, hkl=None, planes: int | None = None, *,
                 thickness: float | None = None, termination: int | None = None,
                 z_top: float | None = None, cell_height: float | None = None,
                 inplane_deg: float | None = None, repeats=None, size=None, match=None,
                 max_strain: float | None = None):
        if planes is not None and thickness is not None:
            raise ValueError("give planes or thickness, not both")
        self._set(_cz.slab_create(
            lattice._handle, hkl=None if hkl is None else int3(hkl, "hkl"), nplanes=planes,
            thickness=thickness, termination=termination, z_top=z_top, cell_height=cell_height,
            inplane_deg=inplane_deg, max_strain=max_strain, **_lateral(repeats, size, match)))

    def _set(self, handle) -> None:
        self._handle = handle
        info = _cz.slab_info(handle)
        for value in info.values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
        self._info = info

    @classmethod
    def _wrap(cls, handle) -> Slab:
        self = cls.__new__(cls)
        self._set(handle)
        return self

    @classmethod
    def mos2(cls, layers: int, *, z_top: float | None = None, cell_height: float | None = None,
             inplane_deg: float | None = None, repeats=None, size=None, match=None,
             max_strain: float | None = None) -> Slab:
        """2H-MoS2 (a = 3.16 Å, c = 12.29 Å): ``layers`` complete S–Mo–S trilayers (2 = the
        bilayer), 6.145 Å apart, (001) surface with S on top. Other arguments as for
        :class:`Slab`. For other dichalcogenides build ``Lattice.prototype('2H-MoS2', ...)``
        and use ``Slab(lattice, planes=3 * layers)``."""
        return cls._wrap(_cz.slab_mos2(layers, z_top=z_top, cell_height=cell_height,
                                       inplane_deg=inplane_deg, max_strain=max_strain,
                                       **_lateral(repeats, size, match)))

    @classmethod
    def graphene(cls, layers: int, *, z_top: float | None = None,
                 cell_height: float | None = None, inplane_deg: float | None = None,
                 repeats=None, size=None, match=None, max_strain: float | None = None) -> Slab:
        """AB (Bernal) stacked graphene: ``layers`` layers (1 = single-layer graphene),
        a = 2.46 Å (C–C 1.42 Å), 3.35 Å apart. Other arguments as for :class:`Slab`."""
        return cls._wrap(_cz.slab_graphene(layers, z_top=z_top, cell_height=cell_height,
                                           inplane_deg=inplane_deg, max_strain=max_strain,
                                           **_lateral(repeats, size, match)))

    @property
    def natoms(self) -> int:
        return self._info["natoms"]

    def __len__(self) -> int:
        return self._info["natoms"]

    @property
    def hkl(self) -> tuple:
        return self._info["hkl"]

    @property
    def uvw(self) -> np.ndarray:
        return self._info["uvw"]

    @property
    def d_spacing(self) -> float:
        return self._info["d_spacing"]

    @property
    def plane_heights(self) -> np.ndarray:
        """(m,) heights of the atomic planes within one period, Å above its base."""
        return self._info["plane_height"]

    @property
    def plane_atoms(self) -> np.ndarray:
        """(m,) atoms of each plane of a period per 2-D surface cell."""
        return self._info["plane_atoms"]

    @property
    def nplanes_period(self) -> int:
        return self._info["nplanes_period"]

    @property
    def nplanes(self) -> int:
        return self._info["nplanes"]

    @property
    def termination(self) -> int:
        return self._info["termination"]

    @property
    def z_top(self) -> float:
        return self._info["z_top"]

    @property
    def z_bottom(self) -> float:
        return self._info["z_bottom"]

    @property
    def repeats(self) -> tuple:
        return self._info["repeats"]

    @property
    def ncells(self) -> int:
        return self._info["ncells"]

    @property
    def cell(self) -> np.ndarray:
        return self._info["cell"]

    @property
    def pbc(self) -> tuple:
        return self._info["pbc"]

    @property
    def strain(self) -> np.ndarray:
        """(2, 2) Biot strain U − I mapping the bulk supercell onto the requested cell (zero
        for repeats); applied to the atoms only with ``match``."""
        return self._info["strain"]

    @property
    def strain_max(self) -> float:
        return self._info["strain_max"]

    @property
    def rotation_deg(self) -> float:
        return self._info["rotation_deg"]

    @property
    def strained(self) -> bool:
        return self._info["strained"]

    @property
    def origin(self) -> np.ndarray:
        return self._info["origin"]

    @property
    def lattice(self) -> Lattice:
        """The slab lattice in the world frame (rows A, B in the xy plane, C; strained when
        matched); atoms sit at origin + lattice sites."""
        return Lattice._wrap(_cz.slab_lattice(self._handle))

    def to_atoms(self, *, object_id: int | None = None, grain: int | None = None, class_=None):
        """The slab's atoms, wrapped into its cell, with the slab's cell and pbc, plane by plane
        from the bottom.

        Args:
            object_id: label of every atom; None = library default (1).
            grain: grain label; None = the object id.
            class_: 'substrate' (the default), 'particle', 'ligand', 'none' or a number.
        """
        return to_atoms(_cz.slab_atoms(self._handle, object_id=object_id, grain_id=grain,
                                       class_id=_class_id(class_)))

    def __repr__(self) -> str:
        return (f"Slab(hkl={self.hkl}, planes={self.nplanes}, atoms={self.natoms}, "
                f"d={self.d_spacing:.4f} Å, strain_max={self.strain_max:.4g})")
