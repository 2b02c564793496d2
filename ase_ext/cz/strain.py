"""Strain: homogeneous strain as transforms and lattices, radial fields on ase.Atoms, and
displacement fields written in Python.

A strain is a 3×3 displacement gradient ε (dimensionless, acting on column vectors): x moves
to c + (1 + ε)(x − c) about a fixed centre c, so a distance along a principal direction of a
symmetric ε with eigenvalue e changes by exactly (1 + e). Voigt vectors are
(ε_xx, ε_yy, ε_zz, γ_yz, γ_xz, γ_xy) with engineering shears γ_ij = 2 ε_ij. Anywhere a strain
is taken, one number e means the isotropic ε = e·1, six numbers a Voigt vector, and a (3, 3)
array the tensor itself.

Homogeneous strain of a scene object::

    tf = cz.strain.transform(0.02, center=(0, 0, 0))    # 2 % dilatation
    scene.transform(index, tf, mode="lattice")           # strained crystal, same shape

The functions on atoms (:func:`radial`, :func:`core_shell`, :func:`apply_field`) return a NEW
ase.Atoms with displaced positions (a copy: labels, cell and info kept) and never modify their
input.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from . import _cz
from ._convert import from_atoms, vec3
from .lattice import Lattice
from .transform import Transform

_FRAMES = {"cartesian": _cz.STRAIN_CARTESIAN, "crystal": _cz.STRAIN_CRYSTAL}
_PROFILES = {"power": _cz.RADIAL_POWER, "inclusion": _cz.RADIAL_INCLUSION}


def _code(value, table: dict, name: str):
    if value is None or isinstance(value, Integral):
        return value
    try:
        return table[str(value).lower()]
    except KeyError:
        raise ValueError(f"{name} must be one of {sorted(table)}, got {value!r}") from None


def from_voigt(voigt) -> np.ndarray:
    """(3, 3) strain tensor from a Voigt vector (ε_xx, ε_yy, ε_zz, γ_yz, γ_xz, γ_xy),
    engineering shears."""
    return _cz.strain_from_voigt(np.ascontiguousarray(voigt, dtype=np.float64))


def tensor(eps) -> np.ndarray:
    """(3, 3) strain tensor from one number (isotropic), a Voigt 6-vector or a (3, 3) array."""
    if isinstance(eps, Real):
        return np.eye(3) * float(eps)
    arr = np.asarray(eps, dtype=np.float64)
    if arr.shape == (6,):
        return from_voigt(arr)
    if arr.shape != (3, 3):
        raise ValueError(f"a strain is one number, a Voigt (6,) vector or a (3, 3) tensor, got "
                         f"shape {arr.shape}")
    return np.ascontiguousarray(arr)


def transform(eps, *, frame: str = "cartesian", placement: Transform | None = None,
              center=None) -> Transform:
    """The affine map of a homogeneous strain, x → c + F (x − c) (cz_strain_transform).

    Args:
        eps: the strain (number, Voigt vector or (3, 3)).
        frame: 'cartesian' (F = 1 + ε in world axes) or 'crystal' (ε in the lattice's own
            frame, F = M (1 + ε) M⁻¹ with M the linear part of ``placement``).
        placement: lattice frame → world, for the crystal frame; None = identity.
        center: fixed point c in Å; None = the origin.

    Use with ``scene.transform(index, tf, mode="lattice")`` (strained crystal in an unchanged
    region) or ``mode="locked"`` (region and crystal deform together), or ``tf.apply(points)``.
    """
    return Transform._wrap(_cz.strain_transform(
        tensor(eps), _code(frame, _FRAMES, "frame"),
        placement=None if placement is None else placement.pair,
        center=None if center is None else vec3(center, "center")))


def lattice(lattice: Lattice, eps) -> Lattice:
    """A strained copy of a lattice: every cell row r becomes (1 + ε) r, fractional
    coordinates unchanged; ε in the lattice's own frame (cz_lattice_strain)."""
    return Lattice._wrap(_cz.lattice_strain(lattice._handle, tensor(eps)))


def _with_positions(atoms, positions):
    out = atoms.copy()
    out.set_positions(positions)
    return out


def radial(atoms, epsilon: float, radius: float | None = None, *, center=None,
           exponent: float | None = None, profile: str | None = None,
           object_id: int | None = None):
    """Radial displacement field u = f(r) r̂ about a centre (cz_strain_radial).

    Profiles (ε = epsilon, R = radius, p = exponent):
      - 'power' (the default): f(r) = ε r (r/R)^p. p = 0 is a uniform dilatation (every
        distance scaled by 1 + ε); p > 0 concentrates the strain near r = R (surface
        relaxation of a particle of radius R).
      - 'inclusion': a misfitting sphere of radius R in an infinite matrix (Eshelby 1957):
        f = ε r inside, ε R³/r² outside.

    Args:
        atoms: ase.Atoms (not modified).
        epsilon: ε > −1.
        radius: R in Å; None = library default.
        center: c in Å; None = the origin.
        exponent: p ≥ 0 ('power' only); None = library default (0).
        profile: 'power' or 'inclusion'; None = library default ('power').
        object_id: move only atoms with this atoms.arrays['object_id']; None or 0 = all.

    Returns:
        a new ase.Atoms with the displaced positions.
    """
    arrays = from_atoms(atoms)
    positions, _ = _cz.strain_radial(
        arrays["positions"], arrays["numbers"], arrays["object_id"],
        center=None if center is None else vec3(center, "center"), epsilon=epsilon,
        radius=radius, exponent=exponent, profile=_code(profile, _PROFILES, "profile"),
        object_id=object_id)
    return _with_positions(atoms, positions)


def core_shell(atoms, core_radius: float, shell_radius: float, misfit: float, *,
               poisson: float | None = None, center=None, object_id: int | None = None):
    """Relax the misfit of a coherent core–shell sphere (cz_strain_core_shell).

    The atoms are taken as built on one common spacing, the shell wanting a lattice parameter
    larger by ``misfit`` δ = a_shell / a_built − 1. Linear isotropic elasticity with a free
    outer surface at R_s gives u = A r in the core and u = B r + C/r² in the shell (Lamé).

    Args:
        atoms: ase.Atoms (not modified).
        core_radius, shell_radius: R_c < R_s in Å.
        misfit: δ, |δ| < 0.5.
        poisson: ν in (−1, 0.5); None = library default (0.3).
        center: particle centre in Å; None = the origin.
        object_id: move only atoms of this object; None or 0 = all.

    Returns:
        a new ase.Atoms with the displaced positions.
    """
    arrays = from_atoms(atoms)
    positions, _ = _cz.strain_core_shell(
        arrays["positions"], arrays["numbers"], arrays["object_id"],
        center=None if center is None else vec3(center, "center"), core_radius=core_radius,
        shell_radius=shell_radius, misfit=misfit, poisson=poisson, object_id=object_id)
    return _with_positions(atoms, positions)


def apply_field(atoms, func, object_id: int | None = None):
    """Displace atoms by a displacement field written in Python: x → x + func(x).

    Pure Python and numpy, by design: ``func`` is called once with an (m, 3) float64 array of
    the selected positions (Å; a copy it may modify) and must return an (m, 3) array of finite
    displacements in Å.

    Args:
        atoms: ase.Atoms (not modified).
        func: callable (m, 3) ndarray → (m, 3) displacements.
        object_id: displace only atoms with this atoms.arrays['object_id']; None or 0 = all
            (the convention of the C strain functions).

    Returns:
        a new ase.Atoms with the displaced positions.

    Example::

        bend = lambda x: np.stack([0 * x[:, 0], 0 * x[:, 0], 1e-3 * x[:, 0] ** 2], axis=1)
        bent = cz.strain.apply_field(slab, bend)
    """
    positions = atoms.get_positions()
    if object_id is None or object_id == 0:
        selected = np.ones(len(atoms), dtype=bool)
    else:
        labels = atoms.arrays.get("object_id")
        if labels is None:
            raise ValueError("object_id given but the atoms have no 'object_id' array")
        selected = np.asarray(labels) == object_id
    x = positions[selected]
    u = np.asarray(func(x.copy()), dtype=np.float64)
    if u.shape != x.shape:
        raise ValueError(f"func must return displacements of shape {x.shape}, got {u.shape}")
    if not np.all(np.isfinite(u)):
        raise ValueError("func returned non-finite displacements")
    positions[selected] = x + u
    return _with_positions(atoms, positions)
