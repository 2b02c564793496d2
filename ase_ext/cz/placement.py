"""Resting particles on a substrate surface, and removing clashes between objects.

:func:`place` computes where a particle goes (it moves nothing): a rigid transform that turns
the particle (kept, uniformly random, or with a contact facet down) and sets its lowest point at
``surface_z − depth`` with its reference point above ``xy``. Apply the transform with
:meth:`Placement.apply`, ``scene.add_particle(p, placement=pl.transform)`` or
``scene.transform(index, pl.transform)``.

:func:`remove_clashes` deletes atoms so that no two atoms of different objects (``object_id``
labels) are closer than a distance; objects are settled by priority, so an atom is only ever
removed because of an atom that stays.

Example::

    slab = cz.Slab.mos2(2, size=(60, 60))
    p = cz.Wulff(au, {(1, 1, 1): 1.0, (1, 0, 0): 1.1}, radius=12.0)
    pl = cz.place(p.to_atoms(), xy=(30, 30), surface_z=slab.z_top + 2.0, orient="random",
                  seed=7)
    scene = cz.Scene(cell=slab.cell, pbc=slab.pbc)     # or combine atoms and remove clashes:
    atoms, nremoved = cz.remove_clashes(slab.to_atoms() + pl.apply(p.to_atoms(object_id=2)))

Lengths in Å, angles in degrees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from . import _cz
from ._convert import CLASSES, from_atoms, vec3
from .transform import Transform
from .volume import Volume

_ORIENT = {"keep": _cz.ORIENT_KEEP, "random": _cz.ORIENT_RANDOM, "facet": _cz.ORIENT_FACET}


@dataclass(frozen=True, eq=False)
class Placement:
    """Where a particle goes (cz_placement).

    Attributes:
        transform: particle frame → world (rotation about the reference point, then shift).
        rotation: (3, 3) its rotation part (acting on column vectors).
        bottom_z: lowest point of the placed particle, Å (= surface_z − depth).
        top_z: highest point, Å.
        extent_z: top_z − bottom_z, Å.
        depth: embedding depth used, Å (depth + depth_fraction × extent_z).
    """

    transform: Transform
    rotation: np.ndarray
    bottom_z: float
    top_z: float
    extent_z: float
    depth: float

    def apply(self, atoms):
        """A copy of ase.Atoms moved by the transform (labels and other arrays kept)."""
        out = atoms.copy()
        out.positions = self.transform.apply(atoms.get_positions())
        return out


def _orient(orient, facet_normal):
    if orient is None:
        # A facet normal given alone asks for facet orientation; otherwise the library default.
        return None if facet_normal is None else _cz.ORIENT_FACET
    if isinstance(orient, Integral):
        return int(orient)
    try:
        return _ORIENT[str(orient).lower()]
    except KeyError:
        raise ValueError(f"orient must be one of {sorted(_ORIENT)}, got {orient!r}") from None


def place(particle, xy=None, *, surface_z: float | None = None, depth: float | None = None,
          depth_fraction: float | None = None, center=None, orient=None, facet_normal=None,
          inplane_deg: float | None = None, random_inplane: bool | None = None,
          seed: int | None = None, stream: int | None = None,
          index: int | None = None) -> Placement:
    """Rest a particle on the surface z = surface_z (cz_placement_volume / cz_placement_atoms).

    The particle is first oriented about its reference point ``center``, which then lands
    laterally at ``xy``; vertically its lowest point goes to surface_z − depth, where depth =
    ``depth`` + ``depth_fraction`` × (its extent along z after the rotation).

    Args:
        particle: a :class:`cz.Volume` (lowest point from its support function: exact for
            primitives, transforms and unions, an outer bound for intersections and
            differences), an ase.Atoms (the lowest atom), or a :class:`cz.Particle` (its atoms).
        xy: (x, y) in Å; None = library default (0, 0).
        surface_z: height of the surface, Å; None = 0.
        depth: embedding below the surface in Å (negative = a gap); None = 0.
        depth_fraction: extra depth as a fraction of the extent along z; None = 0.
        center: reference point in the particle's frame, Å; None = the origin.
        orient: 'keep' (then ``inplane_deg`` about z), 'random' (uniform on SO(3) from
            (seed, stream, index)) or 'facet' (``facet_normal`` turned to −z, then
            inplane_deg); None = 'facet' when facet_normal is given, else 'keep'.
        facet_normal: outward contact-facet normal in the particle's frame (need not be unit;
            for Miller indices use ``lattice.plane_normal(hkl)``); None = (0, 0, −1).
        inplane_deg: rotation about +z after 'keep' or 'facet', degrees; None = 0.
        random_inplane: with 'facet', draw the in-plane angle from (seed, stream, index).
        seed, stream, index: the random draw; None = 0. The same triple always gives the
            same placement.

    Raises:
        ValueError: non-finite options, a zero facet normal, a volume unbounded along z, a
            particle without atoms.
    """
    from .particles import Particle

    if isinstance(particle, Particle):
        particle = particle.to_atoms()
    kwargs = dict(
        xy=None if xy is None else np.ascontiguousarray(xy, dtype=np.float64),
        surface_z=surface_z, depth=depth, depth_fraction=depth_fraction,
        center=None if center is None else vec3(center, "center"),
        orient=_orient(orient, facet_normal),
        facet_normal=None if facet_normal is None else vec3(facet_normal, "facet_normal"),
        inplane_deg=inplane_deg, random_inplane=random_inplane, seed=seed, stream=stream,
        index=index)
    if isinstance(particle, Volume):
        out = _cz.placement_volume(particle._handle, **kwargs)
    elif hasattr(particle, "get_positions"):
        arrays = from_atoms(particle)
        out = _cz.placement_atoms(arrays["positions"], arrays["numbers"], **kwargs)
    else:
        raise TypeError("particle must be a cz.Volume, a cz.Particle or an ase.Atoms, got "
                        f"{type(particle).__name__}")
    rotation = out["rotation"]
    rotation.flags.writeable = False
    return Placement(Transform._wrap(out["transform"]), rotation, out["bottom_z"],
                     out["top_z"], out["extent_z"], out["depth"])


def _class_distance(value):
    """(4, 4) per-class distances from an array or {(class, class): d} (names or numbers;
    pairs not named keep the library default)."""
    if not isinstance(value, Mapping):
        return np.ascontiguousarray(value, dtype=np.float64)
    table = np.array(_cz.clash_opts_default()["class_distance"], dtype=np.float64)
    for pair, d in value.items():
        try:
            a, b = pair
        except (TypeError, ValueError):
            raise ValueError(f"class_distance keys are (class, class) pairs, got {pair!r}") \
                from None
        i, j = (c if isinstance(c, Integral) else CLASSES.get(str(c).lower()) for c in (a, b))
        if i is None or j is None or not (0 <= i < 4 and 0 <= j < 4):
            raise ValueError(f"unknown atom class in {pair!r}; expected names "
                             f"{sorted(CLASSES)} or 0..3")
        table[i, j] = table[j, i] = d
    return table


def _priority(value):
    """priority[k] of object_id k from a sequence or {object_id: priority}; object ids not
    listed get 0, as the library does for ids beyond the list."""
    if not isinstance(value, Mapping):
        return np.asarray(value, dtype=np.int64).reshape(-1)
    if not value:
        return np.zeros(0, dtype=np.int64)
    ids = [int(k) for k in value]
    if min(ids) < 0:
        raise ValueError(f"priority: object ids must be >= 0, got {min(ids)}")
    out = np.zeros(max(ids) + 1, dtype=np.int64)
    for k, p in value.items():
        out[int(k)] = p
    return out


def remove_clashes(atoms, distance: float | None = None, *, class_distance=None, priority=None,
                   nthreads: int | None = None):
    """Remove atoms so that no two atoms of different objects are closer than the clash
    distance (cz_atoms_remove_clashes); pairs within one object are never considered.

    Objects (atoms.arrays['object_id']; missing labels count as object 0) are ranked by
    priority, higher first, ties by smaller object id; an atom is kept unless it clashes with a
    kept atom of a better-ranked object, so every atom of the best object stays. Minimum images
    along periodic axes; cell lists, O(n). The result does not depend on nthreads.

    Args:
        atoms: ase.Atoms with labels (e.g. from cz); not modified.
        distance: clash distance in Å for every pair of classes; None = library default (2.0).
        class_distance: per pair of classes instead: a (4, 4) symmetric array indexed by class
            (0 none, 1 particle, 2 substrate, 3 ligand; 0 = never clash) or a mapping such as
            ``{('particle', 'substrate'): 2.5}`` (pairs not named keep the library default).
            Uses atoms.arrays['class_id'].
        priority: {object_id: priority} or a sequence indexed by object_id; unlisted objects
            have priority 0. None = all 0 (the earlier object wins).
        nthreads: OpenMP threads; None = OpenMP's default.

    Returns:
        (new ase.Atoms of the surviving atoms in their order, number removed).

    Raises:
        ValueError: negative or non-finite distances, an asymmetric class_distance, class ids
            outside 0..3, a singular periodic cell.
    """
    if distance is not None and class_distance is not None:
        raise ValueError("give distance or class_distance, not both")
    arrays = from_atoms(atoms)
    kept, removed = _cz.atoms_remove_clashes(
        arrays["positions"], arrays["numbers"], arrays["object_id"], arrays["class_id"],
        arrays["cell"], arrays["pbc"], distance=distance,
        class_distance=None if class_distance is None else _class_distance(class_distance),
        priority=None if priority is None else _priority(priority), nthreads=nthreads)
    return atoms[kept], removed
