"""Strain through Python: homogeneous strain scales spacings by (1 + ε), radial and core-shell
fields match their formulas, apply_field moves atoms by the callable's displacement."""

import numpy as np
import pytest
from helpers import central_atom, neighbour_distances

import cz

A_AU = 4.08
B_AU = A_AU / np.sqrt(2.0)


@pytest.fixture(scope="module")
def gold():
    return cz.Lattice.prototype("fcc", "Au", a=A_AU)


@pytest.fixture(scope="module")
def particle(gold):
    return cz.fill(gold, cz.Sphere(12.0))


def test_isotropic_strain_in_a_scene_scales_spacings(gold):
    eps = 0.025
    scene = cz.Scene()
    index = scene.add(gold, cz.Sphere(12.0))
    scene.transform(index, cz.strain.transform(eps), mode="lattice")
    atoms = scene.to_atoms()
    assert np.all(np.linalg.norm(atoms.positions, axis=1) <= 12.0 + 1e-9)  # same region
    d = neighbour_distances(atoms, central_atom(atoms), 12)
    np.testing.assert_allclose(d, B_AU * (1 + eps), rtol=1e-12)


def test_uniaxial_voigt_strain(particle):
    eps = cz.strain.tensor((0.03, 0, 0, 0, 0, 0))
    np.testing.assert_array_equal(eps, np.diag([0.03, 0, 0]))
    tf = cz.strain.transform((0.03, 0, 0, 0, 0, 0), center=(1.0, 2.0, 3.0))
    moved = tf.apply(particle.positions)
    np.testing.assert_allclose(moved[:, 0] - 1.0, 1.03 * (particle.positions[:, 0] - 1.0))
    np.testing.assert_allclose(moved[:, 1:], particle.positions[:, 1:])
    # Engineering shear: gamma_xy = 0.02 means eps_xy = eps_yx = 0.01.
    np.testing.assert_allclose(cz.strain.from_voigt([0, 0, 0, 0, 0, 0.02])[[0, 1], [1, 0]],
                               [0.01, 0.01])


def test_crystal_frame_strain_follows_the_placement():
    placement = cz.Transform.rotation((0, 0, 1), 90.0)
    tf = cz.strain.transform(np.diag([0.05, 0, 0]), frame="crystal", placement=placement)
    # The crystal's x axis lies along world y after a 90° turn about z.
    np.testing.assert_allclose(tf.m, np.diag([1.0, 1.05, 1.0]), atol=1e-12)


def test_strained_lattice(gold):
    strained = cz.strain.lattice(gold, 0.01)
    np.testing.assert_allclose(strained.cell, gold.cell * 1.01)
    np.testing.assert_array_equal(strained.scaled_positions, gold.scaled_positions)
    tetragonal = cz.strain.lattice(gold, np.diag([0, 0, -0.02]))
    np.testing.assert_allclose(np.linalg.norm(tetragonal.cell, axis=1),
                               [A_AU, A_AU, A_AU * 0.98])


def test_radial_power_and_inclusion(particle):
    centre = np.array([0.3, -0.2, 0.1])
    uniform = cz.strain.radial(particle, 0.02, center=centre)
    np.testing.assert_allclose(uniform.positions - centre, 1.02 * (particle.positions - centre),
                               atol=1e-12)
    assert uniform is not particle and np.array_equal(uniform.arrays["grain_id"],
                                                      particle.arrays["grain_id"])
    inclusion = cz.strain.radial(particle, -0.01, 6.0, profile="inclusion")
    r = np.linalg.norm(particle.positions, axis=1)
    safe = np.where(r > 0, r, 1.0)  # the centre atom does not move
    f = np.where(r <= 6.0, -0.01 * r, -0.01 * 6.0**3 / safe**2)
    expected = particle.positions * (f / safe)[:, None]
    np.testing.assert_allclose(inclusion.positions - particle.positions, expected, atol=1e-12)
    surface = cz.strain.radial(particle, 0.03, 12.0, exponent=2.0)
    gain = 0.03 * (r / 12.0) ** 2
    np.testing.assert_allclose(surface.positions, particle.positions * (1 + gain)[:, None],
                               atol=1e-12)


def test_core_shell_lame_solution(particle):
    rc, rs, delta, nu = 5.0, 12.0, 0.04, 0.3
    out = cz.strain.core_shell(particle, rc, rs, delta, poisson=nu)
    alpha = (1 + nu) / (3 * (1 - nu))
    beta = 1 - alpha
    r = np.linalg.norm(particle.positions, axis=1)
    a_ = delta * beta * (1 - rc**3 / rs**3)
    b_ = delta * (1 - beta * rc**3 / rs**3)
    c_ = -delta * alpha * rc**3
    with np.errstate(divide="ignore"):
        gain = np.where(r <= rc, a_, b_ + c_ / r**3)
    np.testing.assert_allclose(out.positions, particle.positions * (1 + gain)[:, None],
                               atol=1e-12)


def test_object_selection(gold):
    scene = cz.Scene()
    scene.add(gold, cz.Sphere(6.0))
    scene.add(gold, cz.Sphere(6.0, center=(30.0, 0, 0)))
    atoms = scene.to_atoms()
    mine = atoms.arrays["object_id"] == 2
    moved = cz.strain.radial(atoms, 0.05, center=(30.0, 0, 0), object_id=2)
    np.testing.assert_array_equal(moved.positions[~mine], atoms.positions[~mine])
    assert not np.allclose(moved.positions[mine], atoms.positions[mine])


def test_apply_field(gold, particle):
    def bend(x):
        u = np.zeros_like(x)
        u[:, 2] = 1e-3 * x[:, 0] ** 2 + 0.1
        return u

    before = particle.positions.copy()
    out = cz.strain.apply_field(particle, bend)
    np.testing.assert_array_equal(particle.positions, before)  # input untouched
    np.testing.assert_allclose(out.positions - before, bend(before), atol=1e-15)
    np.testing.assert_array_equal(out.arrays["object_id"], particle.arrays["object_id"])

    scene = cz.Scene()
    scene.add(gold, cz.Sphere(5.0))
    scene.add(cz.Lattice.prototype("fcc", "Ag", a=4.09), cz.Sphere(5.0, center=(20.0, 0, 0)))
    two = scene.to_atoms()
    shifted = cz.strain.apply_field(two, lambda x: np.full_like(x, 0.25), object_id=2)
    silver = two.numbers == 47
    np.testing.assert_allclose(shifted.positions[silver], two.positions[silver] + 0.25)
    np.testing.assert_array_equal(shifted.positions[~silver], two.positions[~silver])

    with pytest.raises(ValueError, match="must return displacements of shape"):
        cz.strain.apply_field(particle, lambda x: x[:, :2])
    with pytest.raises(ValueError, match="non-finite"):
        cz.strain.apply_field(particle, lambda x: x * np.nan)


def test_strain_errors(gold, particle):
    with pytest.raises(ValueError, match=r"cz_strain_radial: epsilon must be > -1"):
        cz.strain.radial(particle, -1.0)
    with pytest.raises(ValueError, match=r"cz_strain_radial: radius must be > 0"):
        cz.strain.radial(particle, 0.01, -2.0)
    with pytest.raises(ValueError, match=r"cz_strain_core_shell: shell_radius must be > "):
        cz.strain.core_shell(particle, 8.0, 5.0, 0.02)
    with pytest.raises(ValueError, match=r"cz_strain_core_shell: poisson"):
        cz.strain.core_shell(particle, 5.0, 8.0, 0.02, poisson=0.5)
    with pytest.raises(ValueError, match="cz_strain_transform"):
        cz.strain.transform(-1.0)  # det(1 + eps) = 0
    with pytest.raises(ValueError, match="cz_lattice_strain"):
        cz.strain.lattice(gold, np.diag([0, 0, -2.0]))
    with pytest.raises(ValueError, match="cz_strain_from_voigt"):
        cz.strain.from_voigt([0, 0, np.inf, 0, 0, 0])
    with pytest.raises(ValueError, match="frame must be one of"):
        cz.strain.transform(0.01, frame="lab")
    with pytest.raises(ValueError, match="a strain is one number"):
        cz.strain.transform(np.zeros(4))
