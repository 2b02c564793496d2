"""Regions of space that crystals are cut by (lengths in Å).

Every volume is immutable. Combine them with ``a & b`` (intersection), ``a | b`` (union) and
``a - b`` (difference); move them with :meth:`Volume.transformed`. A point is inside when its
distance to the boundary is at most cz's tolerance (1e-9 Å): boundaries belong to the volume,
so ``a - b`` removes the points on b's boundary.
"""

from __future__ import annotations

import numpy as np

from . import _cz
from ._convert import int3, mat33, rows, vec3
from .transform import Transform


class Volume:
    """A region of space. Use the subclasses to build one and the operators to combine them."""

    __slots__ = ("_handle",)

    def __init__(self, handle):
        self._handle = handle

    @classmethod
    def _wrap(cls, handle) -> Volume:
        return Volume(handle)

    def __and__(self, other: Volume) -> Volume:
        if not isinstance(other, Volume):
            return NotImplemented
        return Volume(_cz.volume_intersection(self._handle, other._handle))

    def __or__(self, other: Volume) -> Volume:
        if not isinstance(other, Volume):
            return NotImplemented
        return Volume(_cz.volume_union(self._handle, other._handle))

    def __sub__(self, other: Volume) -> Volume:
        if not isinstance(other, Volume):
            return NotImplemented
        return Volume(_cz.volume_difference(self._handle, other._handle))

    def transformed(self, transform: Transform) -> Volume:
        """The image of this volume under transform: {transform(x) : x in self}."""
        return Volume(_cz.volume_transform(self._handle, transform.pair))

    def contains(self, points):
        """Membership of points in Å: a bool for one point (3,), a bool array for (n, 3)."""
        pts = np.asarray(points, dtype=np.float64)
        if pts.shape == (3,):
            return bool(_cz.volume_contains(self._handle, pts.reshape(1, 3))[0])
        return _cz.volume_contains(self._handle, rows(pts, "points"))

    @property
    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) corners in Å of an axis-aligned box containing the volume (exact for
        primitives, transforms and unions); ±inf along unbounded directions."""
        return _cz.volume_bbox(self._handle)

    @property
    def bounded(self) -> bool:
        """True when the bounding box is finite (the volume can be filled on its own)."""
        return _cz.volume_is_bounded(self._handle)

    def support(self, direction) -> float:
        """Support function sup over the volume of x·direction (Å for a unit direction)."""
        return _cz.volume_support(self._handle, vec3(direction, "direction"))

    def __repr__(self) -> str:
        lo, hi = self.bbox
        return f"{type(self).__name__}(bbox={lo.tolist()} .. {hi.tolist()})"


class Sphere(Volume):
    """Ball |x − center| ≤ radius_Å.

    Args:
        radius: radius in Å (> 0).
        center: centre in Å.
    """

    __slots__ = ()

    def __init__(self, radius: float, center=(0.0, 0.0, 0.0)):
        super().__init__(_cz.volume_sphere(vec3(center, "center"), radius))


class HalfSpace(Volume):
    """Half-space (x − point)·normal ≤ 0; normal points OUT of the region (need not be unit).

    Args:
        normal: outward normal.
        point: a point on the bounding plane, Å.
    """

    __slots__ = ()

    def __init__(self, normal, point=(0.0, 0.0, 0.0)):
        super().__init__(_cz.volume_halfspace(vec3(normal, "normal"), vec3(point, "point")))


class MillerPlane(Volume):
    """Half-space bounded by a lattice plane (hkl), in the lattice's own (unrotated) frame.

    The outward normal is along h a* + k b* + l c*; the plane lies distance_Å from the lattice
    origin. With snap=True the distance is rounded to a multiple of d_hkl so the facet is an
    atomic plane.

    Args:
        lattice: the cz.Lattice whose reciprocal vectors define (hkl).
        hkl: Miller indices (three integers, not all zero).
        distance: plane distance from the origin in Å.
        snap: round the distance to a multiple of the plane spacing.
    """

    __slots__ = ()

    def __init__(self, lattice, hkl, distance: float, snap: bool = True):
        super().__init__(_cz.volume_miller(lattice._handle, int3(hkl, "hkl"), distance,
                                           bool(snap)))


class Cylinder(Volume):
    """Finite solid cylinder of radius_Å and length_Å along axis, centred on center (Å)."""

    __slots__ = ()

    def __init__(self, radius: float, length: float, center=(0.0, 0.0, 0.0),
                 axis=(0.0, 0.0, 1.0)):
        super().__init__(_cz.volume_cylinder(vec3(center, "center"), vec3(axis, "axis"), radius,
                                             length))


class Box(Volume):
    """Axis-aligned box from corner lo to corner hi (Å); see :meth:`parallelepiped` for
    general boxes."""

    __slots__ = ()

    def __init__(self, lo, hi):
        lo = vec3(lo, "lo")
        super().__init__(_cz.volume_box(lo, np.diag(vec3(hi, "hi") - lo)))

    @classmethod
    def parallelepiped(cls, origin, edges) -> Box:
        """Parallelepiped origin + Σ f_i·edges[i], f_i in [0, 1]; edges are rows, Å."""
        self = cls.__new__(cls)
        Volume.__init__(self, _cz.volume_box(vec3(origin, "origin"), mat33(edges, "edges")))
        return self


class Polyhedron(Volume):
    """Convex polyhedron ∩_i {x : normals[i]·x ≤ offsets[i]} (outward normals; offsets in Å
    for unit normals). May be unbounded."""

    __slots__ = ()

    def __init__(self, normals, offsets):
        normals = rows(normals, "normals")
        offsets = np.ascontiguousarray(offsets, dtype=np.float64).reshape(-1)
        super().__init__(_cz.volume_polyhedron(normals, offsets))


class Hull(Volume):
    """Convex hull of at least 4 non-coplanar points (n, 3) in Å (n ≤ 2000)."""

    __slots__ = ()

    def __init__(self, points):
        super().__init__(_cz.volume_hull(rows(points, "points")))
