"""Planar defects: twins, mirrors and stacking faults as labelled grains of a scene.

A defected crystal is designed in its own particle frame (the frame of the lattice as given):
the volume and every :class:`DefectPlane` are given in it, and one placement transform carries
the whole particle into the world. A plane (hkl) at ``position`` Å from the lattice origin
along its unit normal n̂ ∥ h a* + k b* + l c* transforms everything beyond it (n̂·x ≥ position):

- ``"twin"``: Σ3 twin, 180° rotation about n̂ (the correct twin of fcc, diamond, zincblende);
- ``"mirror"``: pure reflection across the plane;
- ``"shift"``: rigid translation (a stacking fault); ``shift`` in fractional coordinates of the
  lattice cell, None = one automatic stacking step (the intrinsic fault).

Parallel planes stack from the matrix outwards (twin lamellae, extrinsic faults). Every slab
becomes one grain with its own ``grain_id``; all grains of one crystal share one ``object_id``.
Add a defected crystal with :meth:`cz.Scene.add_defected_crystal`; draw random planes with
:func:`defect_planes`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from numbers import Integral
from typing import NamedTuple

from . import _cz
from ._convert import int3
from .lattice import Lattice
from .volume import Volume

KINDS = {"twin": _cz.DEFECT_TWIN, "mirror": _cz.DEFECT_MIRROR, "shift": _cz.DEFECT_SHIFT}
"""Defect kinds and their C values."""

SNAPS = {"auto": _cz.SNAP_AUTO, "none": _cz.SNAP_NONE, "layer": _cz.SNAP_LAYER,
         "gap": _cz.SNAP_GAP}
"""Where a plane's position is moved before use: 'auto' (layer for twin and mirror, gap for
shift), 'none', 'layer' (nearest atomic plane), 'gap' (middle of the nearest narrowest gap)."""

FAMILIES = {"cubic_111": _cz.FAMILY_CUBIC_111, "hex_0001": _cz.FAMILY_HEX_0001}
"""Candidate plane families of :func:`defect_planes` (or give explicit hkl variants)."""


def _code(value, table: dict, name: str):
    if value is None or isinstance(value, Integral):
        return value
    try:
        return table[str(value).lower()]
    except KeyError:
        raise ValueError(f"{name} must be one of {sorted(table)}, got {value!r}") from None


def _name(code: int, table: dict) -> str:
    return next(k for k, v in table.items() if v == code)


@dataclass(frozen=True)
class DefectPlane:
    """One defect plane. Every field left as None takes the library default (a twin on
    (1 1 1) through the origin, snapped automatically, automatic shift).

    Attributes:
        kind: 'twin', 'mirror' or 'shift'.
        hkl: Miller indices in the lattice's cell (not all zero).
        position: Å from the lattice origin along the unit normal (particle frame).
        snap: 'auto', 'none', 'layer' or 'gap' (see :data:`SNAPS`).
        shift: 'shift' only: translation as fractional coordinates of the lattice cell
            (a/6[1 1 -2] in conventional fcc is (1/6, 1/6, -1/3)); None = automatic.
    """

    kind: str | None = None
    hkl: tuple | None = None
    position: float | None = None
    snap: str | None = None
    shift: tuple | None = None

    def _tuple(self) -> tuple:
        """The (kind, hkl, position, snap, shift) form the extension takes (None = default)."""
        return (_code(self.kind, KINDS, "kind"),
                None if self.hkl is None else int3(self.hkl, "hkl"),
                None if self.position is None else float(self.position),
                _code(self.snap, SNAPS, "snap"),
                None if self.shift is None else tuple(float(s) for s in self.shift))

    @classmethod
    def _from_tuple(cls, t) -> DefectPlane:
        kind, hkl, position, snap, shift = t
        auto = any(math.isnan(s) for s in shift)
        return cls(_name(kind, KINDS), tuple(hkl), position, _name(snap, SNAPS),
                   None if auto else tuple(shift))

    @classmethod
    def of(cls, plane) -> DefectPlane:
        """A DefectPlane from a DefectPlane or a dict with the same keys."""
        if isinstance(plane, cls):
            return plane
        if isinstance(plane, Mapping):
            unknown = set(plane) - {f.name for f in fields(cls)}
            if unknown:
                raise ValueError(f"unknown defect plane keys {sorted(unknown)}; expected kind, "
                                 f"hkl, position, snap, shift")
            return cls(**plane)
        raise TypeError(f"a defect plane is a cz.DefectPlane or a dict, not "
                        f"{type(plane).__name__}")


class DefectedCrystal(NamedTuple):
    """What :meth:`cz.Scene.add_defected_crystal` added: the grains' scene indices and the
    planes as used (positions snapped, automatic shifts made explicit; feeding them back builds
    the same structure)."""

    indices: range
    planes: list


def _planes_arg(planes) -> list:
    return [DefectPlane.of(p)._tuple() for p in planes]


def defect_planes(lattice: Lattice, volume: Volume, ntwins: int | None = None,
                  nfaults: int | None = None, *, seed: int | None = None,
                  stream: int | None = None, family=None, same_variant: bool | None = None,
                  min_separation: float | None = None, margin: float | None = None):
    """Random defect planes crossing a volume (cz_defect_planes_draw).

    Which variant of the family (uniform), where (uniform over placements that keep parallel
    planes ``min_separation`` apart and ``margin`` inside the volume) and which planes are twins
    (a random order of the kinds along each stack) is a pure function of (seed, stream) and
    the inputs: the same seed gives the same planes.

    Args:
        lattice: the matrix lattice.
        volume: the particle's region (particle frame, bounded).
        ntwins, nfaults: numbers of twin and (automatic-shift) fault planes; None = library
            defaults (1 twin, 0 faults).
        seed, stream: random stream; None = library defaults (0).
        family: 'cubic_111' (default: the four {111} of a cubic cell), 'hex_0001' (basal plane
            of a hexagonal cell) or a sequence of 1–4 hkl variants.
        same_variant: one variant for all planes (parallel lamellae; the default) or one each.
        min_separation: Å between parallel planes; None = library default (2 d_hkl).
        margin: Å kept inside the volume's extent; None = library default (min_separation).

    Returns:
        list of :class:`DefectPlane` (snap 'auto', automatic shifts), sorted by variant then
        position, ready for :meth:`cz.Scene.add_defected_crystal`.
    """
    variants = None
    if family is not None and not isinstance(family, (str, Integral)):
        variants = [int3(v, "variant") for v in family]
        family = _cz.FAMILY_CUSTOM
    planes = _cz.defect_planes_draw(
        lattice._handle, volume._handle, ntwins=ntwins, nfaults=nfaults, seed=seed,
        stream=stream, family=_code(family, FAMILIES, "family"), variants=variants,
        same_variant=same_variant, min_separation=min_separation, margin=margin)
    return [DefectPlane._from_tuple(t) for t in planes]
