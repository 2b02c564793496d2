"""Nanoparticles: Wulff and Winterbottom shapes, decahedra and icosahedra.

A :class:`Particle` is an immutable description of one particle made of grains (one for a
Wulff shape, 5 for a decahedron, 20 for an icosahedron); nothing is filled until
:meth:`Particle.to_atoms` or :meth:`cz.Scene.add_particle`. Every grain gets its own
``grain_id`` and the whole particle one ``object_id``.

Lengths in Å, surface energies in any one unit (only their ratios matter). Miller indices refer
to the lattice's own cell (for hexagonal cells write (h k i l) as (h k l)); a family {hkl} is
expanded with the crystal's point group (spglib), see :func:`miller_family`.

Example::

    au = cz.Lattice.prototype("fcc", "Au", a=4.08)
    p = cz.Wulff(au, {(1, 1, 1): 1.0, (1, 0, 0): 1.1}, radius=15.0)   # truncated octahedron
    p.nfacets, [f.hkl for f in p.facets if f.active]                   # 14, ...
    atoms = p.to_atoms()
    deca = cz.Decahedron(au, shells=4)                                  # 147 atoms, 5 grains
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from . import _cz
from ._convert import class_id as _class_id
from ._convert import int3, to_atoms, vec3
from .lattice import Lattice
from .transform import Transform
from .volume import Volume

_KINDS = {
    _cz.PARTICLE_WULFF: "wulff",
    _cz.PARTICLE_WINTERBOTTOM: "winterbottom",
    _cz.PARTICLE_DECAHEDRON: "decahedron",
    _cz.PARTICLE_ICOSAHEDRON: "icosahedron",
}

_RADIUS_KINDS = {"equivalent": _cz.RADIUS_EQUIVALENT, "max": _cz.RADIUS_MAX}

_MTP_STRAIN = {
    "homogeneous": _cz.MTP_STRAIN_HOMOGENEOUS,
    "radial": _cz.MTP_STRAIN_RADIAL,
    "none": _cz.MTP_STRAIN_NONE,
}


def _choice(value, table: dict, name: str):
    """C code of a named option; None stays None (the library default)."""
    if value is None or isinstance(value, Integral):
        return value
    try:
        return table[str(value).lower()]
    except KeyError:
        raise ValueError(f"{name} must be one of {sorted(table)}, got {value!r}") from None


def miller_family(lattice: Lattice, hkl, symprec: float | None = None) -> list[tuple]:
    """The planes symmetry-equivalent to (hkl) under the lattice's point group.

    (hkl) is divided by the common divisor of its indices first and comes first in the list.
    For a crystal without inversion (hkl) and (h̄k̄l̄) are different families.

    Args:
        lattice: the crystal (cell and basis; spglib finds the point group).
        hkl: Miller indices, not (0 0 0).
        symprec: spglib tolerance in Å; None = the library default used by the particles.

    Returns:
        list of (h, k, l) tuples (at most 48).
    """
    return _cz.miller_family(lattice._handle, int3(hkl, "hkl"), symprec=symprec)


@dataclass(frozen=True)
class Facet:
    """One bounding plane of a Wulff or Winterbottom particle.

    Attributes:
        hkl: Miller indices (common divisor removed).
        normal: unit outward normal, particle frame.
        gamma: energy that placed it (γ of its family, or γ_int − γ_sub for the interface).
        target: Å from the centre before snapping (scale·gamma).
        distance: Å from the centre after snapping onto an atomic plane.
        spacing: Å between the atomic planes of this orientation.
        area: Å², area of its face on the snapped polyhedron (0 if none).
        family: index of its row in the energy table; −1 for the Winterbottom interface.
        active: True when the plane carries a face of positive area (a real facet).
    """

    hkl: tuple
    normal: np.ndarray
    gamma: float
    target: float
    distance: float
    spacing: float
    area: float
    family: int
    active: bool


@dataclass(frozen=True)
class Grain:
    """One grain of a particle: its region (particle frame) and the map lattice frame →
    particle frame (rotation, and for twinned particles the strain that closes their gaps).
    ``explicit`` grains (decahedra with radial strain) hold atoms displaced by a strain field;
    their transform is the homogeneous model's, for information."""

    volume: Volume
    transform: Transform
    explicit: bool


class Particle:
    """A nanoparticle: one or more grains of one lattice. Build one with :class:`Wulff`,
    :class:`Winterbottom`, :class:`Decahedron` or :class:`Icosahedron`.

    Attributes (read-only): kind ('wulff', 'winterbottom', 'decahedron', 'icosahedron'),
    natoms (also ``len(p)``), ngrains, center (Å), axis (unit 5-fold axis of a decahedron, else
    zero), facets (every bounding plane, :class:`Facet`), nfacets (active facets: the facet
    count), interface_facet (the Winterbottom contact plane or None), scale (Å per unit of γ),
    volume (Å³ of the snapped polyhedron), radius_equivalent and radius_max (Å).
    """

    __slots__ = ("_handle", "_info", "_facets")

    def __init__(self, *args, **kwargs):
        raise TypeError("build a particle with cz.Wulff, cz.Winterbottom, cz.Decahedron or "
                        "cz.Icosahedron")

    def _set(self, handle) -> None:
        self._handle = handle
        self._info = _cz.particle_info(handle)
        self._facets = tuple(Facet(**f) for f in self._info["facets"])
        for f in self._facets:
            f.normal.flags.writeable = False

    @classmethod
    def _wrap(cls, handle) -> Particle:
        self = Particle.__new__(Particle)
        self._set(handle)
        return self

    @property
    def kind(self) -> str:
        return _KINDS[self._info["kind"]]

    @property
    def natoms(self) -> int:
        return self._info["natoms"]

    def __len__(self) -> int:
        return self._info["natoms"]

    @property
    def ngrains(self) -> int:
        return self._info["ngrains"]

    @property
    def center(self) -> np.ndarray:
        return self._info["center"].copy()

    @property
    def axis(self) -> np.ndarray:
        return self._info["axis"].copy()

    @property
    def facets(self) -> tuple[Facet, ...]:
        """Every bounding plane, one per member of each family (plus the interface); see
        ``Facet.active``. Empty for twinned particles."""
        return self._facets

    @property
    def nfacets(self) -> int:
        """Number of active facets (planes with a face of positive area)."""
        return self._info["nactive"]

    @property
    def interface_facet(self) -> Facet | None:
        index = self._info["interface_facet"]
        return None if index < 0 else self._facets[index]

    @property
    def scale(self) -> float:
        return self._info["scale"]

    @property
    def volume(self) -> float:
        return self._info["volume_a3"]

    @property
    def radius_equivalent(self) -> float:
        return self._info["radius_equivalent"]

    @property
    def radius_max(self) -> float:
        return self._info["radius_max"]

    @property
    def lattice(self) -> Lattice:
        """The lattice every grain is cut from (for twinned particles the conventional fcc
        cell with an atom at the origin)."""
        return Lattice._wrap(_cz.particle_lattice(self._handle))

    @property
    def grains(self) -> list[Grain]:
        """The grains, in grain order (grain ids are assigned in this order)."""
        out = []
        for g, explicit in enumerate(self._info["explicit_atoms"]):
            volume, tf = _cz.particle_grain(self._handle, g)
            out.append(Grain(Volume(volume), Transform._wrap(tf), explicit))
        return out

    def to_atoms(self, placement: Transform | None = None, *, object_id: int | None = None,
                 grain: int | None = None, class_=None):
        """The particle's atoms as ase.Atoms (isolated: no cell, no pbc).

        Args:
            placement: particle frame → world; None = identity.
            object_id: label of every atom; None = library default (1).
            grain: first grain id (grains get grain, grain + 1, ...); None = 1, 2, ...
            class_: 'particle' (the default), 'substrate', 'ligand', 'none' or a number.

        Atoms shared by neighbouring grains (twin planes, axis, centre) appear once.
        """
        data = _cz.particle_fill(self._handle, None if placement is None else placement.pair,
                                 object_id=object_id, grain_id=grain,
                                 class_id=_class_id(class_))
        return to_atoms(data)

    def __repr__(self) -> str:
        extra = f", facets={self.nfacets}" if self._facets else ""
        return (f"{type(self).__name__}({self.kind}, atoms={self.natoms}, "
                f"grains={self.ngrains}{extra})")


def _energy_table(energies) -> list:
    """[(hkl, gamma), ...] from {hkl: gamma} or (hkl, gamma) pairs."""
    items = energies.items() if isinstance(energies, Mapping) else energies
    table = []
    for item in items:
        try:
            hkl, gamma = item
        except (TypeError, ValueError):
            raise ValueError(f"surface energies map (h, k, l) to gamma, got {item!r}") from None
        table.append((int3(hkl, "hkl"), float(gamma)))
    return table


class Wulff(Particle):
    """Wulff construction (Wulff 1901), optionally truncated by a substrate (Winterbottom).

    Every family {hkl} of the table is expanded with the point group; each plane bounds the
    half-space n̂·(x − center) ≤ scale·γ. With ``snap`` (the default) every facet moves to the
    nearest atomic plane, so facets are complete atomic layers.

    Args:
        lattice: any cz.Lattice.
        energies: {(h, k, l): gamma, ...} (or (hkl, gamma) pairs), gamma > 0 in any unit.
        radius: size in Å (exactly one of radius and atoms).
        atoms: size by atom count: the shape of the family whose count is nearest.
        radius_kind: 'equivalent' (sphere of equal volume; the default) or 'max' (farthest
            vertex).
        snap: move facets onto atomic planes; None = library default (True).
        center: Wulff point in Å, lattice frame; None = the lattice origin.
        symprec: spglib tolerance in Å; None = library default.
        interface: Miller indices of a substrate contact plane (Winterbottom); its outward
            normal points into the substrate. None = a free particle.
        interface_gamma, substrate_gamma: γ_int and γ_sub; the contact plane lies at
            scale·(γ_int − γ_sub) from the Wulff point. None = library defaults (0).
        max_atoms: cap; None = library cap.

    Raises:
        ValueError: bad table, two sizes or none, an unbounded shape, complete wetting.
        cz.CzError: more atoms than max_atoms.
    """

    __slots__ = ()

    def __init__(self, lattice: Lattice, energies, radius: float | None = None, *,
                 atoms: int | None = None, radius_kind: str | None = None,
                 snap: bool | None = None, center=None, symprec: float | None = None,
                 interface=None, interface_gamma: float | None = None,
                 substrate_gamma: float | None = None, max_atoms: int | None = None):
        handle = _cz.particle_wulff(
            lattice._handle, _energy_table(energies), radius=radius,
            radius_kind=_choice(radius_kind, _RADIUS_KINDS, "radius_kind"), target_atoms=atoms,
            snap=snap, center=None if center is None else vec3(center, "center"),
            symprec=symprec, interface_hkl=None if interface is None else int3(interface,
                                                                                "interface"),
            interface_gamma=interface_gamma, substrate_gamma=substrate_gamma,
            max_atoms=max_atoms)
        self._set(handle)


class Winterbottom(Wulff):
    """A Wulff shape truncated by a substrate plane (Winterbottom 1967): :class:`Wulff` with a
    required ``interface`` (hkl; outward normal into the substrate) and ``interface_gamma``
    (γ_int; with ``substrate_gamma`` γ_sub, default 0). γ_int − γ_sub = γ_hkl − W_adh
    (Young–Dupré): at or above γ of the contact orientation the plane does not cut, at or below
    minus the far-side extent the particle wets completely (ValueError)."""

    __slots__ = ()

    def __init__(self, lattice: Lattice, energies, interface, interface_gamma: float,
                 radius: float | None = None, *, substrate_gamma: float | None = None,
                 **kwargs):
        super().__init__(lattice, energies, radius, interface=interface,
                         interface_gamma=interface_gamma, substrate_gamma=substrate_gamma,
                         **kwargs)


class Decahedron(Particle):
    """Decahedral multiply-twinned particle (Ino 1969; Marks 1984) of an fcc lattice.

    Five tetrahedral grains around the 5-fold axis (+z), neighbours {111} twins; shape
    (p, q, r) as ASE's Decahedron. Give exactly one size: p, shells (1 → 1 atom, 2 → 13,
    3 → 55, 4 → 147, ...) or radius (Å).

    Args:
        lattice: an fcc cz.Lattice (only its element and lattice parameter are used).
        p: atoms along the pentagon edge of the {100} facets.
        q: atoms along the {100} facets parallel to the axis (1 = regular decahedron); None =
            library default (same as p: the Ino form with icosahedral magic counts).
        r: depth of the Marks re-entrant notches in {111} layers; None = 0.
        shells, radius: alternative sizes.
        strain: 'homogeneous' (the default: per-grain affine strain closing the 7.35° gap),
            'radial' (wedge-disclination displacement field) or 'none' (gap left open).
        poisson_ratio: ν of the radial model; None = library default (0.44, Au).
        symprec, max_atoms: as for :class:`Wulff`.

    Raises:
        ValueError: bad sizes. cz.CzError: the lattice is not fcc (ENOTSUP), too many atoms.
    """

    __slots__ = ()

    def __init__(self, lattice: Lattice, p: int | None = None, q: int | None = None,
                 r: int | None = None, *, shells: int | None = None, radius: float | None = None,
                 strain: str | None = None, poisson_ratio: float | None = None,
                 symprec: float | None = None, max_atoms: int | None = None):
        self._set(_cz.particle_decahedron(
            lattice._handle, p=p, q=q, r=r, shells=shells, radius=radius,
            strain=_choice(strain, _MTP_STRAIN, "strain"), poisson_ratio=poisson_ratio,
            symprec=symprec, max_atoms=max_atoms))


class Icosahedron(Particle):
    """Mackay icosahedron (Mackay 1962): twenty strained tetrahedral fcc grains sharing the
    centre. ``shells`` n (centre included) gives (10n³ − 15n² + 11n − 3)/3 atoms: 1, 13, 55,
    147, 309, ...; or give ``radius`` (Å, vertex distance). Exactly one size."""

    __slots__ = ()

    def __init__(self, lattice: Lattice, shells: int | None = None, *,
                 radius: float | None = None, symprec: float | None = None,
                 max_atoms: int | None = None):
        self._set(_cz.particle_icosahedron(lattice._handle, shells=shells, radius=radius,
                                           symprec=symprec, max_atoms=max_atoms))
