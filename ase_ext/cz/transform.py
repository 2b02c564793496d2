"""Rigid and affine transforms x' = m·x + t (m acts on column vectors, t in Å, angles in °)."""

from __future__ import annotations

import numpy as np

from . import _cz
from ._convert import int3, mat33, rows, vec3


class Transform:
    """An affine map x' = m·x + t of space.

    Build transforms with the class methods (rotation, euler, zone_axis, translation,
    reflection, inversion, matrix, random_rotation); ``Transform()`` is the identity.
    Composition: ``a.then(b)`` applies a first, then b; ``b @ a`` is the same map (read as
    "b after a", like matrices).

    Attributes:
        m: (3, 3) linear part (read-only).
        t: (3,) translation in Å (read-only).
    """

    __slots__ = ("m", "t")

    def __init__(self):
        self._set(_cz.transform_identity())

    def _set(self, mt) -> None:
        m, t = mt
        m.flags.writeable = False
        t.flags.writeable = False
        object.__setattr__(self, "m", m)
        object.__setattr__(self, "t", t)

    def __setattr__(self, name, value):
        raise AttributeError("Transform is immutable")

    @classmethod
    def _wrap(cls, mt) -> Transform:
        self = cls.__new__(cls)
        self._set(mt)
        return self

    @property
    def pair(self) -> tuple[np.ndarray, np.ndarray]:
        """(m, t): the form the extension module takes."""
        return self.m, self.t

    @classmethod
    def identity(cls) -> Transform:
        """The identity map."""
        return cls()

    @classmethod
    def translation(cls, vector) -> Transform:
        """Translation by vector (Å)."""
        return cls._wrap(_cz.transform_translation(vec3(vector, "vector")))

    @classmethod
    def rotation(cls, axis, angle_deg: float, center=(0.0, 0.0, 0.0)) -> Transform:
        """Rotation by angle_deg (degrees, right-hand rule) about axis through center (Å)."""
        return cls._wrap(_cz.transform_axis_angle(vec3(axis, "axis"), angle_deg,
                                                  vec3(center, "center")))

    @classmethod
    def euler(cls, phi_deg: float, theta_deg: float, psi_deg: float,
              center=(0.0, 0.0, 0.0)) -> Transform:
        """Proper Euler rotation z–x′–z″ about center (Å): R = Rz(phi)·Rx(theta)·Rz(psi),
        angles in degrees."""
        return cls._wrap(_cz.transform_euler(phi_deg, theta_deg, psi_deg,
                                             vec3(center, "center")))

    @classmethod
    def zone_axis(cls, lattice, uvw, inplane_deg: float = 0.0,
                  center=(0.0, 0.0, 0.0)) -> Transform:
        """Rotation about center (Å) that brings lattice direction [uvw] onto the beam (+z).

        The projection of the first of a, b, c not parallel to [uvw] points along +x, then
        the crystal is turned by inplane_deg (degrees) about z.
        """
        return cls._wrap(_cz.transform_zone_axis(lattice._handle, int3(uvw, "uvw"), inplane_deg,
                                                 vec3(center, "center")))

    @classmethod
    def reflection(cls, normal, point=(0.0, 0.0, 0.0)) -> Transform:
        """Mirror across the plane through point (Å) with the given normal."""
        return cls._wrap(_cz.transform_reflection(vec3(normal, "normal"), vec3(point, "point")))

    @classmethod
    def inversion(cls, center=(0.0, 0.0, 0.0)) -> Transform:
        """Inversion through center (Å): x → 2·center − x."""
        return cls._wrap(_cz.transform_inversion(vec3(center, "center")))

    @classmethod
    def matrix(cls, m, t=(0.0, 0.0, 0.0), rotation: bool = False) -> Transform:
        """General map x → m·x + t (t in Å). With rotation=True, m must be a proper rotation."""
        return cls._wrap(_cz.transform_matrix(mat33(m, "m"), vec3(t, "t"),
                                              require_orthogonal=rotation))

    @classmethod
    def random_rotation(cls, seed: int, stream: int = 0, index: int = 0,
                        center=(0.0, 0.0, 0.0)) -> Transform:
        """Uniformly random rotation (from the counter-based generator at (seed, stream, index))
        about center (Å). The same arguments always give the same rotation."""
        rotation = cls.matrix(_cz.rng_rotation(seed, stream, index), rotation=True)
        shift = cls.translation(center)
        return shift.inverse().then(rotation).then(shift)

    def then(self, other: Transform) -> Transform:
        """This transform followed by other."""
        return Transform._wrap(_cz.transform_compose(self.pair, other.pair))

    def __matmul__(self, other: Transform) -> Transform:
        if not isinstance(other, Transform):
            return NotImplemented
        return other.then(self)

    def inverse(self) -> Transform:
        """The inverse map."""
        return Transform._wrap(_cz.transform_invert(self.pair))

    def apply(self, points) -> np.ndarray:
        """New array of the transformed points ((3,) or (n, 3), Å); the input is untouched."""
        pts = np.asarray(points, dtype=np.float64)
        if pts.shape == (3,):
            return _cz.transform_apply(self.pair, pts.reshape(1, 3))[0]
        return _cz.transform_apply(self.pair, rows(pts, "points"))

    def __eq__(self, other) -> bool:
        if not isinstance(other, Transform):
            return NotImplemented
        return bool(np.array_equal(self.m, other.m) and np.array_equal(self.t, other.t))

    __hash__ = None

    def __repr__(self) -> str:
        return f"Transform(m={self.m.tolist()}, t={self.t.tolist()})"
