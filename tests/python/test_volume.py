"""Volumes: membership, bounding boxes, combinations, transforms and argument errors."""

import math

import numpy as np
import pytest

import cz


def test_sphere_contains_and_bbox():
    sphere = cz.Sphere(2.5, center=(1.0, -2.0, 3.0))
    assert sphere.contains((1.0, -2.0, 5.5))  # on the boundary counts as inside
    assert not sphere.contains((1.0, -2.0, 5.5001))
    inside = sphere.contains([[1, -2, 3], [4, 4, 4], [2.0, -1.0, 3.5]])
    assert inside.dtype == bool and inside.tolist() == [True, False, True]
    lo, hi = sphere.bbox
    np.testing.assert_allclose(lo, [-1.5, -4.5, 0.5])
    np.testing.assert_allclose(hi, [3.5, 0.5, 5.5])
    assert sphere.bounded
    assert sphere.support((0, 0, 1)) == pytest.approx(5.5)


def test_boolean_operators():
    a = cz.Sphere(3.0)
    b = cz.Sphere(3.0, center=(4.0, 0.0, 0.0))
    points = np.array([[-2.0, 0, 0], [2.0, 0, 0], [6.0, 0, 0], [0, 5.0, 0]])
    assert (a & b).contains(points).tolist() == [False, True, False, False]
    assert (a | b).contains(points).tolist() == [True, True, True, False]
    assert (a - b).contains(points).tolist() == [True, False, False, False]
    assert isinstance(a & b, cz.Volume)


def test_halfspace_is_unbounded_and_clips():
    half = cz.HalfSpace(normal=(0, 0, 2.0), point=(0, 0, 1.0))
    assert not half.bounded
    assert half.contains([[0, 0, 0.5], [0, 0, 1.5]]).tolist() == [True, False]
    lo, hi = half.bbox
    assert math.isinf(lo[2]) and hi[2] == pytest.approx(1.0)
    cap = cz.Sphere(5.0) & half
    assert cap.bounded


def test_box_and_parallelepiped():
    box = cz.Box((-1.0, 0.0, 2.0), (3.0, 5.0, 4.0))
    lo, hi = box.bbox
    np.testing.assert_allclose(lo, [-1, 0, 2])
    np.testing.assert_allclose(hi, [3, 5, 4])
    slanted = cz.Box.parallelepiped((0, 0, 0), [[2, 0, 0], [1, 2, 0], [0, 0, 1]])
    assert isinstance(slanted, cz.Box)
    assert slanted.contains([[2.9, 1.9, 0.5], [0.1, 1.9, 0.5]]).tolist() == [True, False]


def test_cylinder_polyhedron_hull():
    cyl = cz.Cylinder(radius=2.0, length=10.0, center=(0, 0, 0), axis=(1, 0, 0))
    assert cyl.contains([[4.9, 1.9, 0], [5.1, 0, 0], [0, 2.1, 0]]).tolist() == [True, False,
                                                                                  False]
    cube = cz.Polyhedron(np.vstack([np.eye(3), -np.eye(3)]), [1.0] * 6)
    np.testing.assert_allclose(cube.bbox[1], [1, 1, 1])
    corners = np.array([[x, y, z] for x in (0, 2) for y in (0, 2) for z in (0, 2)], float)
    hull = cz.Hull(corners)
    assert hull.contains([[1, 1, 1], [2.1, 1, 1]]).tolist() == [True, False]


def test_miller_plane_snaps_to_lattice_planes():
    cu = cz.Lattice.prototype("fcc", "Cu", a=3.615)
    d111 = cu.plane_spacing((1, 1, 1))
    plane = cz.MillerPlane(cu, (1, 1, 1), distance=2.4 * d111)  # snaps to 2·d111
    n = np.ones(3) / math.sqrt(3)
    assert plane.contains(n * (2 * d111 - 1e-6))
    assert not plane.contains(n * (2 * d111 + 1e-6))
    loose = cz.MillerPlane(cu, (1, 1, 1), distance=2.4 * d111, snap=False)
    assert loose.contains(n * 2.3 * d111)


def test_transformed_volume():
    box = cz.Box((0, 0, 0), (4.0, 1.0, 1.0))
    turned = box.transformed(cz.Transform.rotation((0, 0, 1), 90.0))
    assert turned.contains([[-0.5, 3.0, 0.5], [3.0, 0.5, 0.5]]).tolist() == [True, False]
    moved = box.transformed(cz.Transform.translation((10, 0, 0)))
    np.testing.assert_allclose(moved.bbox[0], [10, 0, 0], atol=1e-12)


def test_negative_and_nan_radius_are_value_errors():
    with pytest.raises(ValueError, match=r"cz_volume_sphere: .*-2\.5") as info:
        cz.Sphere(-2.5)
    assert info.value.status == cz._cz.EINVAL
    with pytest.raises(ValueError, match="cz_volume_sphere"):
        cz.Sphere(float("nan"))
    with pytest.raises(ValueError, match="cz_volume_cylinder"):
        cz.Cylinder(radius=1.0, length=-3.0)


def test_miller_zero_is_value_error():
    cu = cz.Lattice.prototype("fcc", "Cu", a=3.615)
    with pytest.raises(ValueError, match="cz_volume_miller"):
        cz.MillerPlane(cu, (0, 0, 0), 5.0)
    with pytest.raises(ValueError, match="three integers"):
        cz.MillerPlane(cu, (1.5, 0, 0), 5.0)


def test_degenerate_shapes_are_value_errors():
    with pytest.raises(ValueError, match="cz_volume_halfspace"):
        cz.HalfSpace((0, 0, 0), (0, 0, 0))
    with pytest.raises(ValueError, match="cz_volume_box"):
        cz.Box((0, 0, 0), (1.0, 0.0, 1.0))
    with pytest.raises(ValueError, match="cz_volume_hull"):
        cz.Hull([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]])  # coplanar
    with pytest.raises(ValueError, match=r"center must have shape \(3,\)"):
        cz.Sphere(1.0, center=(0, 0))


def test_wrong_handle_is_type_error():
    with pytest.raises(TypeError, match="cz volume handle"):
        cz._cz.volume_bbox(object())
    with pytest.raises(TypeError):
        cz.Sphere(1.0) & 3
