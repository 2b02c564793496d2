"""cz.sim — multislice HRTEM simulation of ``ase.Atoms``, returning numpy arrays.

The simulator is libczsim (plane-wave multislice on FFTW3, in single precision unless
``precision="double"``): the exit wave is computed once and any number of images are formed from
it, each at the cost of about two FFTs.

Example::

    import ase.cluster, cz
    atoms = ase.cluster.Octahedron("Au", 7, 2)
    atoms.center(vacuum=4.0)
    wave = cz.sim.exit_wave(atoms, sampling=0.05)            # complex64, shape (ny, nx)
    img = cz.sim.image(wave, defocus="scherzer", cs_mm=1.2, aperture_mrad=15)
    series = cz.sim.image(wave, defocus=[-100, 0, 100])      # shape (3, ny, nx)

Conventions (DESIGN.md §4, cz_sim.h): lengths in Å, angles in degrees, other units in the name
(``energy_kv``, ``cs_mm``, ``aperture_mrad``). Arrays are ``(ny, nx)`` with pixel ``[j, i]`` at
``x = i·dx, y = j·dy``. The cell must be orthorhombic and axis-aligned; the beam runs along +z
from z = 0, and x, y are periodic (atoms outside [0, L) are wrapped). An oblique in-plane cell
(hexagonal graphene or MoS₂ as ``ase.build`` makes them) is replaced by its smallest orthogonal
supercell (:func:`orthogonalize`; ``orthogonalize=True`` by default, ``ortho_tolerance`` and
``ortho_max_repeat`` tune it, :attr:`Simulator.ortho` says what was done). ``defocus`` is −C10:
positive is underfocus.

Every option left as ``None`` takes the C library's default (:func:`defaults`): 300 kV, 0.05 Å
pixels, 2 Å slices, Kirkland potentials summed in real space, single precision, band limit at 2/3
of Nyquist, a perfect lens.

Beyond one exit wave: :func:`frozen_phonon_waves` (a stack of configurations, which
:func:`image` averages incoherently), explicit incoherent sums over defocus and illumination tilt
(``focal_spread_sum``, ``convergence_sum``), the camera (:class:`Detector`, :func:`detector`:
resampling, MTF, dose and noise, distortion) and ground truth on the same geometry
(:func:`masks`, :func:`label_map`, :func:`phase_mask`, :func:`columns`), with labels read from
``atoms.arrays['class_id']`` and ``['object_id']``. docs/image.md has the full story.

Errors: ValueError for bad arguments (with the library's message naming the value),
MemoryError, and :class:`cz.CzError` for the rest (grid above the memory cap, unsupported
cell, FFTW failure). Computations release the GIL; a :class:`Simulator` serialises calls on
itself, and distinct simulators run in parallel.
"""

from __future__ import annotations

import re
from numbers import Integral, Real

import numpy as np

from . import _cz, _czsim

__all__ = [
    "COLUMN_DTYPE",
    "Detector",
    "ExitWave",
    "Simulator",
    "columns",
    "defaults",
    "detector",
    "electron",
    "exit_wave",
    "frozen_phonon_waves",
    "image",
    "label_map",
    "masks",
    "orthogonalize",
    "phase_mask",
    "potential",
    "scherzer_defocus",
]

POTENTIALS = {"kirkland": _czsim.KIRKLAND, "lobato": _czsim.LOBATO}
"""Scattering-factor parametrisations, by the name the ``potential`` option takes."""

SPREADS = {"bspline": _czsim.SPREAD_BSPLINE, "abtem": _czsim.SPREAD_ABTEM}
"""Atom-spreading schemes, by the name the ``spread`` option takes."""

LABELS = ("object_id", "grain_id", "class_id")
"""Per-atom label arrays read from ``atoms.arrays`` when present (kept for masks)."""

TILT_DISTRIBUTIONS = {"gaussian": _czsim.TILT_GAUSSIAN, "disc": _czsim.TILT_DISC}
"""Shapes of the illumination-tilt distribution of ``convergence_sum``."""

MTFS = {"none": _czsim.MTF_NONE, "lorentzian": _czsim.MTF_LORENTZIAN,
        "gaussian": _czsim.MTF_GAUSSIAN}
"""Detector MTF forms, by the name the ``mtf`` option takes."""

CLASS_NAMES = ("none", "particle", "substrate", "ligand")
"""Names of the class ids of cz structures (atoms.arrays['class_id']): channel order of
:func:`masks`."""

CLASS_PARTICLE = 1
"""class_id of particle atoms (cz's CZ_CLASS_PARTICLE): the atoms :func:`phase_mask` keeps."""

PHASE_THRESHOLD = 0.1
"""Default phase threshold of :func:`phase_mask`, rad (the same as ``cz image --phase-mask``)."""

COLUMN_DTYPE = np.dtype([("x_px", np.float64), ("y_px", np.float64), ("x_a", np.float64),
                         ("y_a", np.float64), ("z", np.int32), ("object_id", np.int32),
                         ("count", np.int64)])
"""Rows of :func:`columns`: position in pixel coordinates of the image grid (x_px, y_px) and in
the specimen (x_a, y_a, Å), the most frequent Z and object id, and the number of atoms."""

_ABERRATION = re.compile(r"^[Cc]([1-5])([0-6])$")


def defaults() -> dict:
    """The C library's defaults: ``{"sim": cz_sim_opts_default(), "ctf": cz_sim_ctf_default(),
    "coherence": cz_sim_coherence_default(), "detector": cz_sim_detector_opts_default(),
    "labels": cz_sim_label_opts_default()}`` (energy in eV, aberrations ``c[n][m]`` in Å)."""
    return {"sim": _czsim.opts_default(), "ctf": _czsim.ctf_default(),
            "coherence": _czsim.coherence_default(), "detector": _czsim.detector_opts_default(),
            "labels": _czsim.label_opts_default()}


def electron(energy_kv: float | None = None) -> tuple[float, float]:
    """Relativistic wavelength λ (Å) and interaction parameter σ (rad/(V·Å)) at ``energy_kv``."""
    return _czsim.electron(_energy_ev(energy_kv))


def scherzer_defocus(cs_mm: float, energy_kv: float | None = None) -> float:
    """Scherzer defocus sign(Cs)·sqrt(1.5·|Cs|·λ) in Å (positive = underfocus)."""
    return _czsim.scherzer_defocus(_energy_ev(energy_kv), float(cs_mm) * 1e7)


def _energy_ev(energy_kv):
    if energy_kv is None:
        return _czsim.opts_default()["energy_ev"]
    return float(energy_kv) * 1e3


# ---- structures ----------------------------------------------------------------------------------


def _structure(atoms):
    """(cell (3, 3), positions (n, 3), numbers (n,) int32, labels dict) from an ase.Atoms."""
    try:
        cell = np.ascontiguousarray(atoms.cell.array if hasattr(atoms.cell, "array")
                                    else atoms.cell, dtype=np.float64)
        positions = np.ascontiguousarray(atoms.get_positions(), dtype=np.float64)
        numbers = np.ascontiguousarray(atoms.numbers, dtype=np.int32)
    except AttributeError as err:
        raise TypeError(f"expected an ase.Atoms, got {type(atoms).__name__}") from err
    for row, axis in zip(cell, "abc"):
        if not np.any(row):
            raise ValueError(
                f"atoms have no cell vector {axis}: the simulation needs an orthorhombic box "
                "(e.g. atoms.center(vacuum=5.0))")
    labels = {}
    arrays = getattr(atoms, "arrays", {})
    for name in LABELS:
        if name in arrays:
            values = np.asarray(arrays[name])
            if values.shape != (len(numbers),) or values.dtype.kind not in "iu":
                raise ValueError(f"atoms.arrays[{name!r}] must be integers of shape "
                                 f"({len(numbers)},), got {values.dtype} {values.shape}")
            labels[name] = values.astype(np.int64, copy=True)
    return cell, positions, numbers, labels


ORTHO_OPTIONS = ("orthogonalize", "ortho_tolerance", "ortho_max_repeat")
"""Keywords of :meth:`Simulator.from_atoms` (and every function that simulates ase.Atoms) that
choose how an oblique in-plane cell is made orthogonal; see :func:`orthogonalize`."""


def orthogonalize(atoms, *, ortho_tolerance=None, ortho_max_repeat=None):
    """``(atoms, info)``: the smallest orthogonal supercell of the in-plane cell of ``atoms``
    (cz_atoms_orthogonalize, abTEM's "orthogonalize cell"), as the simulation needs it.

    The cell rows a, b must lie in the xy plane. Integer combinations A = i·a + j·b,
    B = k·a + l·b (|i|, |j|, |k|, |l| <= ``ortho_max_repeat``, default 20) with A ⊥ B are
    searched; the smallest |i·l − j·k| wins. The structure is turned about z so that A lies
    along +x and B along +y, and the new cell holds every lattice image of every atom once
    (|det| × len(atoms) atoms, wrapped into the cell, images outer and atoms inner). Every
    per-atom array of ``atoms.arrays`` (labels, tags, masses, ...) is carried along; momenta
    are turned with the positions. A c with in-plane components becomes (0, 0, c_z), not
    periodic. ``ortho_tolerance`` is the largest shear strain |cot ∠(A, B)| accepted (default
    1e-6: exact solutions only); a near-solution's B is made exactly perpendicular to A.

    ``info``: ``matrix`` ((i, j), (k, l)), ``det``, ``rotation_deg`` (applied about +z,
    counter-clockwise), ``strain``, ``changed``. An already orthogonal cell (a ∥ x, b ∥ y)
    returns ``atoms`` itself with ``changed`` False. ValueError when no supercell is found (the
    message names the best candidate and its strain) or the cell is unusable.
    """
    try:
        cell = np.ascontiguousarray(atoms.cell.array if hasattr(atoms.cell, "array")
                                    else atoms.cell, dtype=np.float64)
        positions = np.ascontiguousarray(atoms.get_positions(), dtype=np.float64)
        numbers = np.ascontiguousarray(atoms.numbers, dtype=np.int32)
        pbc = np.asarray(atoms.pbc, dtype=bool)
    except AttributeError as err:
        raise TypeError(f"expected an ase.Atoms, got {type(atoms).__name__}") from err
    try:
        out, info = _cz.atoms_orthogonalize(positions, numbers, cell, pbc,
                                            max_repeat=ortho_max_repeat,
                                            strain_tolerance=ortho_tolerance)
    except ValueError as err:
        raise ValueError(f"{err} (cz.sim options: ortho_tolerance for strain_tolerance, "
                         "ortho_max_repeat for max_repeat)") from None
    if not info["changed"]:
        return atoms, info
    source = atoms.copy()
    source.constraints = []  # index constraints do not survive repeating atoms
    new = source[out["index"]]
    new.set_cell(out["cell"])
    new.set_pbc(out["pbc"])
    new.set_positions(out["positions"])
    if "momenta" in new.arrays:
        t = np.radians(info["rotation_deg"])
        rot = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
        new.arrays["momenta"] = new.arrays["momenta"] @ rot.T
    return new, info


_orthogonal = orthogonalize  # for Simulator.from_atoms, whose keyword shadows the name


def _cell(value) -> np.ndarray:
    cell = np.asarray(value, dtype=np.float64)
    if cell.shape == (3,):
        cell = np.diag(cell)
    if cell.shape != (3, 3):
        raise ValueError(f"cell must have shape (3, 3) or (3,), got {cell.shape}")
    return np.ascontiguousarray(cell)


# ---- options -------------------------------------------------------------------------------------

_SIM_OPTIONS = ("energy_kv", "sampling", "grid", "slice_thickness", "potential", "spread",
                "antialias", "antialias_taper", "fft_friendly", "refuse_outside", "max_pixels",
                "threads", "fftw", "wisdom", "projection", "tilt_mrad", "tilt_azimuth_deg",
                "potential_method", "precision")

PROJECTIONS = {"infinite": _czsim.INFINITE, "finite": _czsim.FINITE}
"""How atoms' potentials are divided among slices, by the name the ``projection`` option
takes."""

POTENTIAL_METHODS = {"realspace": _czsim.POTENTIAL_REALSPACE,
                     "fourier": _czsim.POTENTIAL_FOURIER}
"""How a slice's projected potential is put on the grid, by the name the ``potential_method``
option takes (``cz image --potential-method``): tabulated radial profiles summed at the pixels
(the default) or the particle mesh (``spread`` kernel, scattering factor in Fourier space)."""

PRECISIONS = {"single": _czsim.SINGLE, "double": _czsim.DOUBLE}
"""Floating-point precision of the potential and the multislice, by the name the ``precision``
option takes (``cz image --precision``). ``'double'`` is for checking rounding, not for speed;
its exit waves are complex128."""


def _choice(table, name, value):
    try:
        return table[str(value).lower()]
    except KeyError:
        raise ValueError(f"{name} must be one of {', '.join(table)} (got {value!r})") from None


def _name(table, name, value):
    """The canonical name of a choice ('double' for 'Double'); ValueError like _choice."""
    _choice(table, name, value)
    return str(value).lower()


def _plan_kwargs(energy_kv=None, sampling=None, grid=None, slice_thickness=None, potential=None,
                 spread=None, antialias=None, antialias_taper=None, fft_friendly=False,
                 refuse_outside=False, max_pixels=None, threads=None, fftw=None, wisdom=None,
                 projection=None, tilt_mrad=None, tilt_azimuth_deg=None, potential_method=None,
                 precision=None):
    """Keyword arguments of _czsim.plan_create (cz_sim_opts' field names); omitted ones keep
    the C defaults."""
    kw = {}
    if projection is not None:
        kw["projection"] = _choice(PROJECTIONS, "projection", projection)
    if potential_method is not None:
        kw["potential_method"] = _choice(POTENTIAL_METHODS, "potential_method",
                                         potential_method)
    if precision is not None:
        kw["precision"] = _choice(PRECISIONS, "precision", precision)
    if tilt_mrad is not None:
        kw["tilt_mrad"] = float(tilt_mrad)
    if tilt_azimuth_deg is not None:
        kw["tilt_azimuth_deg"] = float(tilt_azimuth_deg)
    if energy_kv is not None:
        kw["energy_ev"] = float(energy_kv) * 1e3
    if sampling is not None:
        kw["sampling"] = float(sampling)
    if grid is not None:
        if isinstance(grid, Integral):
            grid = (grid, grid)
        nx, ny = (int(g) for g in grid)
        if nx < 1 or ny < 1:
            raise ValueError(f"grid must be positive (nx, ny), got {grid!r}")
        kw["nx"], kw["ny"] = nx, ny
    if slice_thickness is not None:
        kw["slice_thickness"] = float(slice_thickness)
    if potential is not None:
        kw["param"] = _choice(POTENTIALS, "potential", potential)
    if spread is not None:
        kw["spread"] = _choice(SPREADS, "spread", spread)
    if antialias is not None:
        kw["antialias_cutoff"] = float(antialias)
    if antialias_taper is not None:
        kw["antialias_taper"] = float(antialias_taper)
    if max_pixels is not None:
        kw["max_pixels"] = int(max_pixels)
    if threads is not None:
        kw["nthreads"] = int(threads)
    flags = _czsim.opts_default()["flags"]
    if fft_friendly:
        flags |= _czsim.FFT_FRIENDLY
    if refuse_outside:
        flags |= _czsim.REFUSE_OUTSIDE
    if fftw is not None:
        if _choice({"measure": 0, "estimate": 1}, "fftw", fftw):
            flags |= _czsim.FFTW_ESTIMATE
        else:
            flags &= ~_czsim.FFTW_ESTIMATE
    kw["flags"] = flags
    if wisdom is not None:
        kw["wisdom_path"] = str(wisdom)
    return kw


def _ctf_kwargs(energy_ev, defocus, cs_mm, c5_mm, aberrations, aperture_mrad,
                aperture_taper_mrad, focal_spread, convergence_mrad):
    """Keyword arguments of _czsim.image for one defocus value."""
    ctf = _czsim.ctf_default()
    c, phi = ctf["c"], ctf["phi_deg"]
    for name, value in (aberrations or {}).items():
        match = _ABERRATION.match(str(name))
        if not match:
            raise ValueError(f"aberrations: unknown name {name!r} (use C12, C21, C23, C30, ...)")
        n, m = int(match[1]), int(match[2])
        if (n, m) == (1, 0):
            raise ValueError("aberrations: C10 is set by defocus (defocus = -C10)")
        if (n, m) == (3, 0) and cs_mm is not None or (n, m) == (5, 0) and c5_mm is not None:
            raise ValueError(f"aberrations[{name!r}] and {'cs_mm' if n == 3 else 'c5_mm'} "
                             "are the same coefficient; give one")
        if isinstance(value, Real):
            c[n, m], phi[n, m] = float(value), 0.0
        else:
            c[n, m], phi[n, m] = (float(v) for v in value)
    if cs_mm is not None:
        c[3, 0] = float(cs_mm) * 1e7
    if c5_mm is not None:
        c[5, 0] = float(c5_mm) * 1e7
    if isinstance(defocus, str):
        if defocus.lower() != "scherzer":
            raise ValueError(f"defocus must be a number (Å) or 'scherzer', got {defocus!r}")
        defocus = _czsim.scherzer_defocus(energy_ev, c[3, 0])
    c[1, 0] = 0.0 - float(defocus)
    kw = {"c": c, "phi_deg": phi}
    for key, value in (("aperture_mrad", aperture_mrad),
                       ("aperture_taper_mrad", aperture_taper_mrad),
                       ("focal_spread", focal_spread), ("convergence_mrad", convergence_mrad)):
        if value is not None:
            kw[key] = float(value)
    return kw


def _count(value, name):
    """A positive int option (quadrature orders)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    return int(value)


def _coherence_kwargs(focal_spread_sum, convergence_sum):
    """Keyword arguments of _czsim.image_incoherent for the explicit sums.

    focal_spread_sum: Δ (1/e, Å) or (Δ, points). convergence_sum: β (mrad) or a tuple of β and
    optionally the number of points (int) and the distribution ('gaussian' | 'disc')."""
    kw = {}
    if focal_spread_sum is not None:
        values = ((focal_spread_sum,) if isinstance(focal_spread_sum, Real)
                  else tuple(focal_spread_sum))
        if not 1 <= len(values) <= 2:
            raise ValueError("focal_spread_sum must be a spread (Å) or (spread, points), got "
                             f"{focal_spread_sum!r}")
        kw["sum_focal_spread"] = float(values[0])
        if len(values) == 2 and values[1] is not None:
            kw["focal_points"] = _count(values[1], "focal_spread_sum points")
    if convergence_sum is not None:
        values = ((convergence_sum,) if isinstance(convergence_sum, Real)
                  else tuple(convergence_sum))
        if not 1 <= len(values) <= 3:
            raise ValueError("convergence_sum must be a semi-angle (mrad) or (mrad, points, "
                             f"'gaussian' | 'disc'), got {convergence_sum!r}")
        kw["sum_convergence_mrad"] = float(values[0])
        for extra in values[1:]:
            if isinstance(extra, str):
                kw["tilt_dist"] = _choice(TILT_DISTRIBUTIONS, "convergence_sum distribution",
                                          extra)
            elif extra is not None:
                kw["tilt_points"] = _count(extra, "convergence_sum points")
    return kw


def _u_rms(u_rms, numbers):
    """(table by Z, per-atom array or None) from a number (every element), a mapping
    {symbol or Z: Å} or a per-atom sequence (n,)."""
    from ase.data import atomic_numbers  # ase is a dependency of cz

    table = np.zeros(_czsim.ZMAX + 1)
    if isinstance(u_rms, dict):
        for key, value in u_rms.items():
            if isinstance(key, str):
                if key not in atomic_numbers:
                    raise ValueError(f"u_rms: unknown element {key!r}")
                z = atomic_numbers[key]
            else:
                z = int(key)
            if not 1 <= z <= _czsim.ZMAX:
                raise ValueError(f"u_rms: atomic number {z} outside 1..{_czsim.ZMAX}")
            table[z] = float(value)
        return table, None
    if np.ndim(u_rms) == 0:
        table[1:] = float(u_rms)
        return table, None
    per_atom = np.ascontiguousarray(u_rms, dtype=np.float64)
    if per_atom.shape != (len(numbers),):
        raise ValueError(f"u_rms per atom must have shape ({len(numbers)},), got "
                         f"{per_atom.shape}")
    return table, per_atom


def _spec(text, name):
    """'kind:1,2,3' (or 'kind=1,2,3') → ('kind', [1.0, 2.0, 3.0])."""
    kind, sep, rest = str(text).replace("=", ":", 1).partition(":")
    try:
        values = [float(v) for v in rest.split(",")] if sep else []
    except ValueError:
        raise ValueError(f"{name}: expected KIND:NUMBER,... (got {text!r})") from None
    return kind.strip().lower(), values


def _mtf_kwargs(mtf):
    """MTF keyword arguments of _czsim.detector_create from 'none', 'lorentzian:q0[,floor]',
    'gaussian:sigma[,floor]' or a tuple (kind, q0[, floor])."""
    if mtf is None:
        return {}
    if isinstance(mtf, str):
        kind, values = _spec(mtf, "mtf")
    else:
        kind, *values = mtf
        kind, values = str(kind).lower(), [float(v) for v in values]
    form = _choice(MTFS, "mtf", kind)
    if form == _czsim.MTF_NONE:
        if values:
            raise ValueError(f"mtf 'none' takes no parameters (got {mtf!r})")
        return {"mtf": form}
    if not 1 <= len(values) <= 2:
        raise ValueError(f"mtf {kind} takes a width and optionally a floor (got {mtf!r})")
    kw = {"mtf": form, "mtf_q0": values[0]}
    if len(values) == 2:
        kw["mtf_floor"] = values[1]
    return kw


def _distortion_kwargs(distortion):
    """Distortion keyword arguments of _czsim.detector_create from a dict {'affine': (a, b, c, d)
    or [[a, b], [c, d]], 'shift': (tx, ty) Å, 'radial': k1}, a string 'affine:a,b,c,d[,tx,ty]' or
    'radial:k1', or a list of such strings."""
    if distortion is None:
        return {}
    kw = {}
    if isinstance(distortion, dict):
        unknown = set(distortion) - {"affine", "shift", "radial", "radial_k1"}
        if unknown:
            raise ValueError(f"distortion: unknown key(s) {', '.join(sorted(unknown))} "
                             "(affine, shift, radial)")
        if "affine" in distortion:
            affine = np.asarray(distortion["affine"], dtype=np.float64)
            if affine.size != 4:
                raise ValueError(f"distortion affine must be (a, b, c, d), got {affine.shape}")
            kw["affine"] = affine.reshape(2, 2)
        if "shift" in distortion:
            shift = np.asarray(distortion["shift"], dtype=np.float64)
            if shift.size != 2:
                raise ValueError(f"distortion shift must be (tx, ty) Å, got {shift.shape}")
            kw["shift"] = shift.reshape(1, 2)
        for key in ("radial", "radial_k1"):
            if key in distortion:
                kw["radial_k1"] = float(distortion[key])
        return kw
    for item in [distortion] if isinstance(distortion, str) else distortion:
        kind, values = _spec(item, "distortion")
        if kind == "affine" and len(values) in (4, 6):
            kw["affine"] = np.array(values[:4]).reshape(2, 2)
            if len(values) == 6:
                kw["shift"] = np.array([values[4:]])
        elif kind == "radial" and len(values) == 1:
            kw["radial_k1"] = values[0]
        else:
            raise ValueError("distortion must be 'affine:a,b,c,d[,tx,ty]' or 'radial:k1' "
                             f"(got {item!r})")
    return kw


# ---- results -------------------------------------------------------------------------------------


class ExitWave(np.ndarray):
    """A complex64 exit wave of shape (ny, nx), or a stack (n, ny, nx) of frozen-phonon
    configurations, that remembers how it was simulated.

    ``params`` holds what :func:`image` needs to image it again (cell in Å, grid, energy and
    band-limit options) plus descriptive values (pixel size, slices, λ, σ, and for a stack
    ``phonons``). Slicing a grid or reshaping gives arrays whose grid no longer matches
    ``params``; :func:`image` refuses those (``stack[k]`` is a valid single wave).
    """

    params: dict

    def __new__(cls, array, params):
        obj = np.asarray(array).view(cls)
        obj.params = params
        return obj

    def __array_finalize__(self, obj):
        self.params = getattr(obj, "params", None)


class Simulator:
    """A multislice plan for one cell: FFTW plans, propagator and tables made once, reused for
    any number of structures (:meth:`set_atoms`) and imaging conditions.

    Beyond :meth:`exit_wave` and :meth:`image`: :meth:`frozen_phonon_waves`, and ground truth of
    the atoms of the last :meth:`set_atoms` on this grid (or a camera's): :meth:`masks`,
    :meth:`label_map`, :meth:`phase_mask`, :meth:`columns`.

    Options (``None`` = C default): ``energy_kv``; ``sampling`` (pixel size, Å) or ``grid``
    (nx or (nx, ny)); ``slice_thickness`` (Å); ``potential`` ('kirkland' | 'lobato');
    ``spread`` ('bspline' | 'abtem'); ``antialias`` (fraction of Nyquist); ``antialias_taper``;
    ``fft_friendly``; ``refuse_outside``; ``max_pixels``; ``threads`` (0 = all cores);
    ``fftw`` ('measure' | 'estimate'); ``wisdom`` (FFTW wisdom file, '' = none);
    ``projection`` ('infinite' | 'finite'); ``tilt_mrad`` and ``tilt_azimuth_deg`` (beam tilt);
    ``potential_method`` ('realspace' | 'fourier', as ``cz image --potential-method``: radial
    profiles summed at the pixels, the default, or the particle mesh) and ``precision``
    ('single' | 'double', as ``cz image --precision``: with 'double' the potential and the
    multislice run in double precision and exit waves are complex128; images are formed from
    the wave rounded to complex64, like the command line's).
    """

    def __init__(self, cell, **options):
        unknown = set(options) - set(_SIM_OPTIONS)
        if unknown:
            raise TypeError(f"unknown simulation option(s): {', '.join(sorted(unknown))}")
        self.cell = _cell(cell)
        self._options = dict(options)
        self._plan = _czsim.plan_create(self.cell, **_plan_kwargs(**options))
        precision = options.get("precision")
        self.precision = "single" if precision is None else _name(PRECISIONS, "precision",
                                                                  precision)
        """'single' (exit waves complex64) or 'double' (complex128)."""
        info = _czsim.plan_info(self._plan)
        self.shape = (info["ny"], info["nx"])
        """Grid shape (ny, nx)."""
        self.pixel_size = (info["dx"], info["dy"])
        """Pixel size (dx, dy), Å."""
        self.nslices = info["nslices"]
        self.wavelength = info["wavelength"]
        """Electron wavelength λ, Å."""
        self.sigma = info["sigma"]
        """Interaction parameter σ, rad/(V·Å)."""
        self.kmax_antialias = info["kmax_antialias"]
        self.ortho = None
        """What :meth:`from_atoms` did to an oblique cell (the info dict of
        :func:`orthogonalize`: matrix, det, rotation_deg, strain), or None when the cell was
        used as it is. Also in :attr:`params` as ``'ortho'``."""
        self.atoms = None
        """The ase.Atoms simulated (from :meth:`from_atoms` or :meth:`set_atoms`; None for
        plain arrays): the orthogonal supercell when the cell was oblique (labels, ground truth
        and columns refer to it), else the atoms given."""
        self.labels = {}
        """Label arrays of the last :meth:`set_atoms` from ase.Atoms (object_id, ...)."""
        self._positions = np.zeros((0, 3))
        self._numbers = np.zeros(0, dtype=np.int32)
        kw = _plan_kwargs(**options)
        self._energy_ev = kw.get("energy_ev", _czsim.opts_default()["energy_ev"])

    @classmethod
    def from_atoms(cls, atoms, *, orthogonalize=True, ortho_tolerance=None,
                   ortho_max_repeat=None, **options) -> Simulator:
        """A simulator for the cell of ``atoms``, holding its atoms. An oblique in-plane cell
        is first replaced by its smallest orthogonal supercell (``orthogonalize=True``, the
        default; ``ortho_tolerance`` and ``ortho_max_repeat`` as for the module function
        :func:`orthogonalize`), recorded in :attr:`ortho` and :attr:`atoms`; with
        ``orthogonalize=False`` such a cell is refused (cz.CzError)."""
        cell, positions, numbers, labels = _structure(atoms)
        ortho = None
        if orthogonalize:
            atoms, info = _orthogonal(atoms, ortho_tolerance=ortho_tolerance,
                                      ortho_max_repeat=ortho_max_repeat)
            if info["changed"]:
                ortho = info
                cell, positions, numbers, labels = _structure(atoms)
        elif ortho_tolerance is not None or ortho_max_repeat is not None:
            raise ValueError("ortho_tolerance and ortho_max_repeat need orthogonalize=True")
        sim = cls(cell, **options)
        _czsim.set_atoms(sim._plan, positions, numbers)
        sim.labels = labels
        sim._positions, sim._numbers = positions, numbers
        sim.ortho, sim.atoms = ortho, atoms
        return sim

    def set_atoms(self, atoms, numbers=None) -> None:
        """Give the atoms: an ase.Atoms (its cell is not used: the simulator's is), or
        positions (n, 3) in Å with ``numbers`` (n,). Replaces earlier atoms."""
        if numbers is None:
            _, positions, numbers, labels = _structure(atoms)
        else:
            positions = np.array(atoms, dtype=np.float64, order="C")
            numbers, labels = np.array(numbers, dtype=np.int32), {}
        _czsim.set_atoms(self._plan, positions, numbers)
        self.labels, self._positions, self._numbers = labels, positions, numbers
        self.atoms = atoms if hasattr(atoms, "get_positions") else None

    @property
    def params(self) -> dict:
        """Everything about this simulation, units in the names."""
        ny, nx = self.shape
        return {
            "cell_a": self.cell.copy(),
            "grid": (nx, ny),
            "energy_kv": self._energy_ev * 1e-3,
            "options": dict(self._options),
            "pixel_size_a": self.pixel_size,
            "nslices": self.nslices,
            "wavelength_a": self.wavelength,
            "sigma_rad_per_v_a": self.sigma,
            "antialias_kmax_per_a": self.kmax_antialias,
            "ortho": None if self.ortho is None else dict(self.ortho),
        }

    def _run(self) -> np.ndarray:
        """One multislice run: complex64, or complex128 with precision 'double'."""
        if self.precision == "double":
            return _czsim.run_double(self._plan)
        return _czsim.run(self._plan)

    def exit_wave(self) -> ExitWave:
        """The exit wave of a unit plane wave through every slice, complex64 (ny, nx), or
        complex128 with ``precision='double'``."""
        return ExitWave(self._run(), self.params)

    def frozen_phonon_waves(self, n: int, u_rms, seed: int = 0, *,
                            fix_z: bool = False) -> ExitWave:
        """Exit waves of ``n`` frozen-phonon configurations of the atoms of the last
        :meth:`set_atoms`, complex64 (n, ny, nx) (complex128 with ``precision='double'``).

        Configuration k displaces atom i by u_i·(g_x, g_y, g_z), g standard normal numbers that
        depend only on (seed, k, i): the same seed gives the same waves for any thread count.
        ``u_rms`` is the rms displacement along EACH axis in Å (Debye–Waller B = 8π²u²): one
        number for every element, a mapping {'Au': 0.085, 'C': 0.1} (or by Z; unlisted elements
        stay put), or a per-atom array (n_atoms,). ``fix_z`` displaces x and y only. Displaced z
        must stay inside the cell: leave a few u_rms of vacuum along z or set fix_z. The
        simulator keeps the undisplaced atoms afterwards.
        """
        n = _count(n, "n")
        if n < 1:
            raise ValueError(f"n (frozen-phonon configurations) must be >= 1 (got {n})")
        positions, numbers = self._positions, self._numbers
        table, per_atom = _u_rms(u_rms, numbers)
        flags = _czsim.PHONON_FIX_Z if fix_z else 0
        dtype = np.complex128 if self.precision == "double" else np.complex64
        waves = np.empty((n, *self.shape), dtype=dtype)
        try:
            for k in range(n):
                moved = _czsim.phonon_displace(positions, numbers, k, seed=int(seed), u_rms=table,
                                               u_rms_atom=per_atom, flags=flags)
                _czsim.set_atoms(self._plan, moved, numbers)
                waves[k] = self._run()
        finally:
            _czsim.set_atoms(self._plan, positions, numbers)
        params = self.params
        params["phonons"] = {"configurations": n, "seed": int(seed), "fix_z": bool(fix_z),
                             "u_rms_a": u_rms if per_atom is None else per_atom.copy()}
        return ExitWave(waves, params)

    def image(self, wave, *, defocus=None, cs_mm=None, c5_mm=None, aberrations=None,
              aperture_mrad=None, aperture_taper_mrad=None, focal_spread=None,
              convergence_mrad=None, focal_spread_sum=None, convergence_sum=None) -> np.ndarray:
        """Image intensity from an exit wave of this grid, or the incoherent average over a
        stack of waves (n, ny, nx); see :func:`image` for the lens parameters. A list of defoci
        gives a stack (n_defocus, ny, nx). Waves are imaged as complex64 (a complex128 wave is
        rounded)."""
        wave = np.ascontiguousarray(wave, dtype=np.complex64)
        if wave.shape[-2:] != self.shape or wave.ndim not in (2, 3) or len(wave) == 0:
            raise ValueError(f"wave must have shape {self.shape} (ny, nx) or (n, *{self.shape}),"
                             f" got {wave.shape}")
        lens = (cs_mm, c5_mm, aberrations, aperture_mrad, aperture_taper_mrad, focal_spread,
                convergence_mrad)
        sums = _coherence_kwargs(focal_spread_sum, convergence_sum)

        def one(df):
            kw = _ctf_kwargs(self._energy_ev, df, *lens)
            if wave.ndim == 3 or sums:
                return _czsim.image_incoherent(self._plan, wave, **kw, **sums)
            return _czsim.image(self._plan, wave, **kw)

        if defocus is None or isinstance(defocus, (str, Real)):
            return one(0.0 if defocus is None else defocus)
        values = list(defocus)
        out = np.empty((len(values), *self.shape), dtype=np.float64)
        for k, df in enumerate(values):
            out[k] = one(df)
        return out

    # ---- ground truth ------------------------------------------------------------------------

    def _camera(self, camera):
        """None, a :class:`Detector` for this grid, or a dict of Detector options."""
        if camera is None or isinstance(camera, Detector):
            if camera is not None and (camera.input_shape != self.shape or not np.allclose(
                    camera.input_pixel_size, self.pixel_size, rtol=1e-12, atol=0)):
                raise ValueError(f"camera was made for {camera.input_shape} pixels of "
                                 f"{camera.input_pixel_size} Å, this simulation has "
                                 f"{self.shape} of {self.pixel_size} Å")
            return camera
        if isinstance(camera, dict):
            return Detector(self.shape, self.pixel_size, **camera)
        raise TypeError(f"camera must be a cz.sim.Detector or a dict of its options, got "
                        f"{type(camera).__name__}")

    def _label(self, name):
        values = self.labels.get(name)
        if values is None:
            return np.zeros(len(self._numbers), dtype=np.int32)
        if np.any(values > 2**31 - 1) or np.any(values < -(2**31)):
            raise ValueError(f"atoms.arrays[{name!r}] holds values beyond int32")
        return values.astype(np.int32)

    def _grid(self, **extra):
        ny, nx = self.shape
        return {"grid": (nx, ny), "pixel": tuple(self.pixel_size), **extra}

    def masks(self, *, radius=None, nclass=None, camera=None):
        """Geometric ground truth of the atoms of the last :meth:`set_atoms`: per-class masks
        uint8 (nclass, ny, nx) — channel c is 1 within ``radius`` (Å, default 1.0) of the
        projected position of an atom with class_id c (channels may overlap; 0 = unclassified,
        1 particle, 2 substrate, 3 ligand: :data:`CLASS_NAMES`) — and the object-id map int32
        (ny, nx) (0 = background; overlaps go to the nearest atom). ``nclass`` defaults to
        max(4, largest class_id + 1). ``camera`` (a :class:`Detector` or its options) maps both
        onto the camera grid with the images' geometry. Missing label arrays count as 0."""
        classes = self._label("class_id")
        if nclass is None:
            nclass = max(len(CLASS_NAMES), int(classes.max(initial=0)) + 1)
        cam = self._camera(camera)
        grid = self._grid(radius=radius)
        channels = _czsim.mask_classes(self._positions, classes, _count(nclass, "nclass"), **grid)
        ids = _czsim.label_map(self._positions, self._label("object_id"), None, **grid)
        if cam is not None:
            channels, ids = cam.labels(channels), cam.labels(ids)
        return channels, ids

    def label_map(self, label: str = "object_id", *, radius=None, camera=None) -> np.ndarray:
        """Per-pixel map int32 (ny, nx) of a label (``'object_id'``, ``'class_id'`` or
        ``'grain_id'``) of the atoms within ``radius`` Å; 0 = background; overlaps go to the
        atom nearest the pixel. ``camera`` as in :meth:`masks`."""
        if label not in LABELS:
            raise ValueError(f"label must be one of {', '.join(LABELS)} (got {label!r})")
        cam = self._camera(camera)
        ids = _czsim.label_map(self._positions, self._label(label), None,
                               **self._grid(radius=radius))
        return ids if cam is None else cam.labels(ids)

    def phase_mask(self, *, threshold=PHASE_THRESHOLD, class_id=CLASS_PARTICLE,
                   camera=None) -> np.ndarray:
        """Physical mask uint8 (ny, nx): 1 where the phase of the exit wave of the atoms with
        ``class_id`` (default 1, particle) alone reaches ``threshold`` rad (default 0.1). Runs
        one extra multislice with only those atoms (the simulator keeps all atoms afterwards).
        Defocus-independent; phases beyond π wrap (docs/sim_detector.md). ``camera`` as in
        :meth:`masks`."""
        classes = self._label("class_id")
        keep = classes == int(class_id)
        if not np.any(keep):
            raise ValueError(f"phase_mask: no atom has class_id {class_id} "
                             "(atoms.arrays['class_id'])")
        cam = self._camera(camera)
        try:
            _czsim.set_atoms(self._plan, self._positions[keep], self._numbers[keep])
            wave = _czsim.run(self._plan)
        finally:
            _czsim.set_atoms(self._plan, self._positions, self._numbers)
        mask = _czsim.mask_phase(wave, float(threshold))
        return mask if cam is None else cam.labels(mask)

    def columns(self, *, column_tol=None, camera=None) -> np.ndarray:
        """Atom columns (atoms within ``column_tol`` Å of each other in projection, default
        0.3) as a structured array of :data:`COLUMN_DTYPE`, sorted by y then x. Pixel
        coordinates are those of the simulation grid, or with ``camera`` those of the camera,
        through the same distortion as its images (a column whose periodic images the camera
        shows more than once is listed once per appearance; one the distorted field does not
        show is left out)."""
        cam = self._camera(camera)
        x, y, z, obj, count = _czsim.columns(self._positions, self._numbers,
                                             self._label("object_id"),
                                             **self._grid(column_tol=column_tol))
        dx, dy = self.pixel_size
        rows = np.zeros(len(x), dtype=COLUMN_DTYPE)
        rows["x_a"], rows["y_a"] = x * dx, y * dy
        rows["x_px"], rows["y_px"] = x, y
        rows["z"], rows["object_id"], rows["count"] = z, obj, count
        if cam is None:
            return rows
        pixels, index = _czsim.detector_locate(cam._det, np.stack([x, y], axis=1))
        rows = rows[index]
        rows["x_px"], rows["y_px"] = pixels[:, 0], pixels[:, 1]
        return rows[np.lexsort((rows["x_px"], rows["y_px"]))]

    def potential(self, per_slice: bool = False) -> np.ndarray:
        """Projected potential in V·Å: the total (ny, nx), or (nslices, ny, nx) per slice."""
        slices = [_czsim.potential(self._plan, s) for s in range(self.nslices)]
        if per_slice:
            return np.stack(slices) if slices else np.zeros((0, *self.shape))
        total = np.zeros(self.shape)
        for v in slices:
            total += v
        return total


class Detector:
    """A camera for images of one simulation grid: geometric distortion, resampling to the
    camera pixel size (Fourier crop or pad over the same field of view), MTF, dose with Poisson
    counting noise, Gaussian read noise and integer counts (cz_sim_detector_create). Labels
    (:meth:`labels`) and points (:meth:`locate`) follow exactly the images' geometry.

    ``shape`` (ny, nx) and ``pixel_size`` (Å, a number or (dx, dy)) describe the input grid,
    e.g. ``sim.shape`` and ``sim.pixel_size`` of a :class:`Simulator`. Camera options
    (``None`` = the C default):

    * ``camera_pixel`` Å (the camera has round(L / camera_pixel) pixels over the field L) or
      ``camera_grid`` nx or (nx, ny);
    * ``mtf``: 'none', 'lorentzian:q0[,floor]' (MTF = (1 − c)/(1 + (q/q0)²) + c) or
      'gaussian:sigma[,floor]' ((1 − c)·exp(−q²/2σ²) + c), q in units of the camera Nyquist
      frequency; or a tuple ('lorentzian', q0, floor);
    * ``dose`` e⁻/Å²: counts ~ Poisson(I·dose·pixel_area) (without a dose the output is the
      intensity, 1 = incident beam); ``read_noise`` rms counts; ``counts`` rounds to whole
      counts ≥ 0 (int32 arrays, as ``cz image --counts`` stores them); ``noiseless`` gives the
      expected counts I·dose·pixel_area instead;
    * ``distortion``: camera position r (from the field centre c) shows the specimen at
      s = c + A·r·(1 + k1·|r|²/R²) + t, R half the shorter side: {'affine': (a, b, c, d),
      'shift': (tx, ty), 'radial': k1} or 'affine:a,b,c,d[,tx,ty]', 'radial:k1' (or a list);
    * ``seed`` of the noise (frame f of seed s always gets the same noise) and ``threads``.
    """

    def __init__(self, shape, pixel_size, *, camera_pixel=None, camera_grid=None, mtf=None,
                 dose=None, read_noise=None, counts=False, noiseless=False, distortion=None,
                 seed=None, threads=None):
        ny, nx = (int(v) for v in shape)
        dx, dy = ((float(pixel_size),) * 2 if isinstance(pixel_size, Real)
                  else (float(v) for v in pixel_size))
        kw = {**_mtf_kwargs(mtf), **_distortion_kwargs(distortion)}
        if camera_pixel is not None:
            kw["pixel_size"] = float(camera_pixel)
        if camera_grid is not None:
            if isinstance(camera_grid, Integral):
                camera_grid = (camera_grid, camera_grid)
            cnx, cny = (int(g) for g in camera_grid)
            if cnx < 1 or cny < 1:
                raise ValueError(f"camera_grid must be positive (nx, ny), got {camera_grid!r}")
            kw["cnx"], kw["cny"] = cnx, cny
        if dose is not None:
            kw["dose_e_per_a2"] = float(dose)
        if read_noise is not None:
            kw["read_noise"] = float(read_noise)
        if seed is not None:
            kw["seed"] = int(seed)
        if threads is not None:
            kw["nthreads"] = int(threads)
        flags = _czsim.detector_opts_default()["flags"]
        if counts:
            flags |= _czsim.DET_INTEGER
        if noiseless:
            flags |= _czsim.DET_NOISELESS
        kw["flags"] = flags
        self._kw = kw
        self._dtype = np.int32 if counts else np.float64
        self._det = _czsim.detector_create(nx, ny, dx, dy, **kw)
        g = _czsim.detector_geometry(self._det)
        self.shape = (g["ny"], g["nx"])
        """Camera grid (ny, nx)."""
        self.pixel_size = (g["dx"], g["dy"])
        """Camera pixel (dx, dy), Å (the field of view divided by the pixel counts)."""
        self.input_shape = (ny, nx)
        self.input_pixel_size = (dx, dy)
        defaults = _czsim.detector_opts_default()
        self.affine = np.asarray(kw.get("affine", defaults["affine"]), dtype=np.float64)
        self.shift = np.ravel(kw.get("shift", defaults["shift"])).astype(np.float64)
        self.radial_k1 = float(kw.get("radial_k1", defaults["radial_k1"]))

    def image(self, image, frame: int = 0) -> np.ndarray:
        """Record an image (in_ny, in_nx), or a stack (n, in_ny, in_nx) as frames frame,
        frame + 1, ...: counts on the camera grid (float64; int32 with ``counts``), or the
        intensity without a dose."""
        image = np.asarray(image, dtype=np.float64)
        if image.ndim == 2:
            return _czsim.detector_image(self._det, int(frame), image).astype(self._dtype,
                                                                             copy=False)
        if image.ndim != 3:
            raise ValueError(f"image must have shape (ny, nx) or (n, ny, nx), got {image.shape}")
        out = np.empty((len(image), *self.shape), dtype=self._dtype)
        for k, one in enumerate(image):
            out[k] = _czsim.detector_image(self._det, int(frame) + k, one)
        return out

    def labels(self, labels) -> np.ndarray:
        """Label images (masks, id maps; any numeric dtype, shape (..., in_ny, in_nx)) on the
        camera grid, same dtype: each camera pixel takes the input pixel nearest to the point
        the distortion maps it to, exactly as for :meth:`image`."""
        return _czsim.detector_labels(self._det, np.ascontiguousarray(labels))

    def locate(self, xy):
        """Camera pixel coordinates of specimen points xy (m, 2) Å: returns (pixels (k, 2),
        index (k,)) — every appearance of each point (or of a periodic image of it) in the
        camera field [−½, nx − ½) × [−½, ny − ½), with the index of the point, ordered by
        point; the inverse of the distortion (cz_sim_detector_locate, by Newton's method; the
        same function places :meth:`Simulator.columns` and ``cz image --columns``). Pixel (i, j)
        is at (i·dx, j·dy) like the simulation grid. Non-finite points are a ValueError."""
        xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
        return _czsim.detector_locate(self._det, xy / np.asarray(self.input_pixel_size))


# ---- one-call functions --------------------------------------------------------------------------


def exit_wave(atoms, **options) -> ExitWave:
    """Exit wave of ``atoms`` (ase.Atoms with an orthorhombic cell), complex64 (ny, nx).

    Options as for :class:`Simulator` (``energy_kv``, ``sampling``, ``slice_thickness``,
    ``potential``, ``threads``, ...). The result is an :class:`ExitWave`: a numpy array that
    also carries ``params`` so :func:`image` can image it again.
    """
    return Simulator.from_atoms(atoms, **options).exit_wave()


def frozen_phonon_waves(atoms, n: int, u_rms, seed: int = 0, *, fix_z: bool = False,
                        **options) -> ExitWave:
    """Exit waves of ``n`` frozen-phonon configurations of ``atoms``: an :class:`ExitWave`
    stack, complex64 (n, ny, nx), which :func:`image` averages incoherently (the mean over the
    configurations of each imaging condition).

    ``u_rms``: rms displacement along each axis, Å — one number for every element, a mapping
    {'Au': 0.085, 'C': 0.1}, or a per-atom array; ``seed``: configuration k of atom i depends
    only on (seed, k, i); ``fix_z``: displace x and y only. Simulation options as for
    :class:`Simulator`. See :meth:`Simulator.frozen_phonon_waves`.
    """
    return Simulator.from_atoms(atoms, **options).frozen_phonon_waves(n, u_rms, seed,
                                                                       fix_z=fix_z)


def image(source, *, defocus=None, cs_mm=None, c5_mm=None, aberrations=None, aperture_mrad=None,
          aperture_taper_mrad=None, focal_spread=None, convergence_mrad=None,
          focal_spread_sum=None, convergence_sum=None, cell=None, **options) -> np.ndarray:
    """HRTEM image intensity (1 = incident beam), float64 (ny, nx), or (n, ny, nx) for a list
    of defoci.

    source: an ase.Atoms (simulated first, with the simulation ``options`` of
    :class:`Simulator`), an :class:`ExitWave` from :func:`exit_wave` or a stack from
    :func:`frozen_phonon_waves` (its own parameters are used; simulation options are refused),
    or a plain complex (ny, nx) or (n, ny, nx) array with ``cell`` (Å, (3,) or (3, 3)) and
    optionally ``energy_kv`` and the band-limit options it was made with. A stack of waves gives
    the incoherent average over the waves of each imaging condition (frozen phonons).

    Lens (``None`` = the C default, a perfect lens): ``defocus`` Å (= −C10, positive =
    underfocus), a number, 'scherzer', or a list of them; ``cs_mm`` (C30) and ``c5_mm`` (C50)
    in mm; ``aberrations`` {"C12": (value_a, phi_deg), "C23": value_a, ...} for the other C_nm;
    ``aperture_mrad`` objective aperture semi-angle (0 = none) and ``aperture_taper_mrad`` its
    soft edge.

    Partial coherence, two ways. Envelopes (quasi-coherent, about one FFT per image):
    ``focal_spread`` (1/e, Å) and ``convergence_mrad`` (1/e) multiply the transfer function.
    Explicit incoherent sums (one inverse FFT per quadrature point; what an experiment records,
    including the undamped |scattered|² terms the envelopes drop): ``focal_spread_sum`` Δ or
    (Δ, points) sums images over defocus offsets with density ∝ exp(−δ²/Δ²) (Gauss–Hermite,
    default 7 points); ``convergence_sum`` β, (β, points) or (β, points, 'gaussian' | 'disc')
    sums over illumination tilts (Gaussian of 1/e semi-angle β, default 5 × 5 points, or a
    uniform disc of radius β). Give one form per effect; both together apply both.
    """
    lens = {"defocus": defocus, "cs_mm": cs_mm, "c5_mm": c5_mm, "aberrations": aberrations,
            "aperture_mrad": aperture_mrad, "aperture_taper_mrad": aperture_taper_mrad,
            "focal_spread": focal_spread, "convergence_mrad": convergence_mrad,
            "focal_spread_sum": focal_spread_sum, "convergence_sum": convergence_sum}
    if hasattr(source, "get_positions"):
        if cell is not None:
            raise ValueError("cell is taken from the atoms; do not pass cell= with ase.Atoms")
        sim = Simulator.from_atoms(source, **options)
        return sim.image(sim.exit_wave(), **lens)
    if isinstance(source, ExitWave) and source.params is not None:
        p = source.params
        if options or cell is not None:
            extra = sorted([*options, *(["cell"] if cell is not None else [])])
            raise ValueError("an ExitWave carries its simulation parameters; do not pass "
                             f"{', '.join(extra)}")
        if source.ndim not in (2, 3) or source.shape[-2:] != (p["grid"][1], p["grid"][0]):
            raise ValueError(f"this ExitWave was sliced or reshaped: shape {source.shape}, "
                             f"simulated as {(p['grid'][1], p['grid'][0])}")
        options = {k: v for k, v in p["options"].items()
                   if k in ("energy_kv", "antialias", "antialias_taper", "threads", "fftw",
                            "wisdom", "max_pixels")}
        cell = p["cell_a"]
    elif cell is None:
        raise ValueError("image() of a plain array needs cell= (Å); or pass an ExitWave or atoms")
    wave = np.asarray(source)
    if wave.ndim not in (2, 3):
        raise ValueError(f"wave must have shape (ny, nx) or (n, ny, nx), got {wave.shape}")
    for key in ("grid", "sampling", "fft_friendly"):
        if key in options:
            raise ValueError(f"{key} is given by the wave's shape; do not pass it")
    sim = Simulator(cell, grid=(wave.shape[-1], wave.shape[-2]), **options)
    return sim.image(wave, **lens)


def detector(image, *, pixel_size, frame: int = 0, **camera) -> np.ndarray:
    """An image (ny, nx) or stack (n, ny, nx) recorded by a camera: float64 on the camera grid
    (counts with a dose, else intensity). ``pixel_size``: the image's pixel, Å (a number or
    (dx, dy), e.g. ``Simulator.pixel_size``); the frames of a stack are ``frame``,
    ``frame + 1``, ...; camera options as for :class:`Detector` (``camera_pixel``, ``mtf``,
    ``dose``, ``read_noise``, ``counts``, ``distortion``, ``seed``, ...). Labels that must
    stay aligned with the result go through the same :class:`Detector` (``camera=`` of
    :func:`masks`, or :meth:`Detector.labels`)."""
    image = np.asarray(image, dtype=np.float64)
    return Detector(image.shape[-2:], pixel_size, **camera).image(image, frame=frame)


def _label_options(options):
    """Ground truth needs the grid but no FFTs: plan quickly unless told otherwise (the grid,
    and so the result, does not depend on the planner)."""
    return {"fftw": "estimate", "wisdom": "", **options}


def masks(atoms, *, radius=None, nclass=None, camera=None, **options):
    """Per-class footprint masks uint8 (nclass, ny, nx) and the object-id map int32 (ny, nx) of
    ``atoms`` on its simulation grid (the same simulation ``options`` as :func:`image`), or with
    ``camera`` (a dict of :class:`Detector` options, or a Detector) on the camera grid with the
    images' geometry. Labels from ``atoms.arrays['class_id']`` and ``['object_id']``; see
    :meth:`Simulator.masks`."""
    sim = Simulator.from_atoms(atoms, **_label_options(options))
    return sim.masks(radius=radius, nclass=nclass, camera=camera)


def label_map(atoms, label: str = "object_id", *, radius=None, camera=None,
              **options) -> np.ndarray:
    """Per-pixel map int32 (ny, nx) of ``atoms.arrays[label]`` (object_id, class_id, grain_id);
    see :meth:`Simulator.label_map` and :func:`masks`."""
    sim = Simulator.from_atoms(atoms, **_label_options(options))
    return sim.label_map(label, radius=radius, camera=camera)


def phase_mask(atoms, *, threshold=PHASE_THRESHOLD, class_id=CLASS_PARTICLE, camera=None,
               **options) -> np.ndarray:
    """Physical particle mask uint8 (ny, nx): the phase of the exit wave of the atoms with
    ``class_id`` (default 1, particle; from ``atoms.arrays['class_id']``) alone, thresholded at
    ``threshold`` rad (default 0.1). Simulation options as for :func:`image`; ``camera`` as for
    :func:`masks`. See :meth:`Simulator.phase_mask`."""
    sim = Simulator.from_atoms(atoms, **options)
    return sim.phase_mask(threshold=threshold, class_id=class_id, camera=camera)


def columns(atoms, *, column_tol=None, camera=None, **options) -> np.ndarray:
    """Atom columns of ``atoms`` as a structured array (:data:`COLUMN_DTYPE`: x_px, y_px,
    x_a, y_a, z, object_id, count) in pixel coordinates of the simulation grid, or of the camera
    with ``camera``; see :meth:`Simulator.columns`."""
    sim = Simulator.from_atoms(atoms, **_label_options(options))
    return sim.columns(column_tol=column_tol, camera=camera)


def potential(atoms, *, per_slice: bool = False, **options) -> np.ndarray:
    """Projected potential of ``atoms`` in V·Å on the simulation grid: the total over all
    slices (ny, nx), or (nslices, ny, nx) with ``per_slice``. Options as for
    :class:`Simulator`."""
    return Simulator.from_atoms(atoms, **options).potential(per_slice=per_slice)
