"""Transforms: constructors, composition order, inversion, application, randomness."""

import math

import numpy as np
import pytest

import cz


def test_rotation_about_centre():
    rot = cz.Transform.rotation((0, 0, 1), 90.0, center=(1.0, 1.0, 0.0))
    np.testing.assert_allclose(rot.apply((2.0, 1.0, 0.5)), [1.0, 2.0, 0.5], atol=1e-12)
    assert np.linalg.det(rot.m) == pytest.approx(1.0)


def test_composition_order():
    shift = cz.Transform.translation((1.0, 0.0, 0.0))
    turn = cz.Transform.rotation((0, 0, 1), 90.0)
    x = np.array([1.0, 0.0, 0.0])
    # then: shift first, then turn
    np.testing.assert_allclose(shift.then(turn).apply(x), [0.0, 2.0, 0.0], atol=1e-12)
    # @ reads like matrices: (turn @ shift)(x) = turn(shift(x))
    np.testing.assert_allclose((turn @ shift).apply(x), [0.0, 2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose((shift @ turn).apply(x), [1.0, 1.0, 0.0], atol=1e-12)


def test_inverse_and_apply_many():
    tf = cz.Transform.euler(30.0, 40.0, 50.0, center=(0.5, -1.0, 2.0)).then(
        cz.Transform.translation((3.0, 2.0, 1.0)))
    points = np.random.default_rng(7).normal(size=(50, 3)) * 10.0
    before = points.copy()
    back = tf.inverse().apply(tf.apply(points))
    np.testing.assert_allclose(back, points, atol=1e-10)
    assert np.array_equal(points, before)  # input untouched


def test_reflection_inversion_matrix():
    mirror = cz.Transform.reflection((1, 0, 0), point=(2.0, 0, 0))
    np.testing.assert_allclose(mirror.apply((3.0, 1.0, 1.0)), [1.0, 1.0, 1.0], atol=1e-12)
    assert np.linalg.det(mirror.m) == pytest.approx(-1.0)
    inv = cz.Transform.inversion(center=(1.0, 1.0, 1.0))
    np.testing.assert_allclose(inv.apply((0.0, 0.0, 0.0)), [2.0, 2.0, 2.0], atol=1e-12)
    strain = cz.Transform.matrix(np.diag([1.01, 1.0, 0.99]), t=(0.0, 0.0, 0.5))
    np.testing.assert_allclose(strain.apply((100.0, 1.0, 100.0)), [101.0, 1.0, 99.5])
    with pytest.raises(ValueError, match="cz_transform_matrix"):
        cz.Transform.matrix(np.diag([1.01, 1.0, 0.99]), rotation=True)
    with pytest.raises(ValueError, match="cz_transform_matrix"):
        cz.Transform.matrix(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="cz_transform_axis_angle"):
        cz.Transform.rotation((0, 0, 0), 10.0)


def test_zone_axis_brings_direction_to_beam():
    gaas = cz.Lattice.prototype("zincblende", ("Ga", "As"), a=5.653)
    tf = cz.Transform.zone_axis(gaas, (1, 1, 0))
    direction = np.array([1.0, 1.0, 0.0]) @ gaas.cell
    beam = tf.m @ direction
    np.testing.assert_allclose(beam / np.linalg.norm(beam), [0, 0, 1], atol=1e-12)
    with pytest.raises(ValueError, match="cz_transform_zone_axis"):
        cz.Transform.zone_axis(gaas, (0, 0, 0))


def test_random_rotation_is_reproducible_proper_rotation():
    a = cz.Transform.random_rotation(seed=123, stream=4, index=5, center=(1.0, 2.0, 3.0))
    b = cz.Transform.random_rotation(seed=123, stream=4, index=5, center=(1.0, 2.0, 3.0))
    c = cz.Transform.random_rotation(seed=123, stream=4, index=6)
    assert a == b and a != c
    np.testing.assert_allclose(a.m @ a.m.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(a.m) == pytest.approx(1.0)
    np.testing.assert_allclose(a.apply((1.0, 2.0, 3.0)), [1.0, 2.0, 3.0], atol=1e-12)
    np.testing.assert_allclose(a.m, cz.rng.rotation(123, 4, 5), atol=1e-15)


def test_transforms_are_immutable():
    tf = cz.Transform.rotation((1, 1, 0), 33.0)
    with pytest.raises(AttributeError):
        tf.m = np.eye(3)
    with pytest.raises(ValueError):
        tf.m[0, 0] = 2.0
    assert cz.Transform() == cz.Transform.identity()


def test_rng_helpers():
    assert cz.rng.u64(1, 2, 3) == cz.rng.u64(1, 2, 3)
    assert cz.rng.u64(1, 2, 3) != cz.rng.u64(1, 2, 4)
    values = [cz.rng.uniform(2024, 0, i) for i in range(2000)]
    assert all(0.0 <= v < 1.0 for v in values)
    assert abs(np.mean(values) - 0.5) < 0.03
    normals = [cz.rng.normal(2024, 1, i) for i in range(2000)]
    assert abs(np.mean(normals)) < 0.1 and abs(np.std(normals) - 1.0) < 0.1
    assert isinstance(cz.rng.u64(2**64 - 1, 0, 0), int)
    with pytest.raises(OverflowError):
        cz.rng.u64(-1, 0, 0)
    assert math.isfinite(cz.rng.normal(0, 0, 0))
