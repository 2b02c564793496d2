"""cz.sim — multislice HRTEM simulation of ``ase.Atoms``, returning numpy arrays.

The simulator is libczsim (plane-wave multislice in single precision on FFTW3): the exit wave is
computed once and any number of images are formed from it, each at the cost of about two FFTs.

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
from z = 0, and x, y are periodic (atoms outside [0, L) are wrapped). ``defocus`` is −C10:
positive is underfocus.

Every option left as ``None`` takes the C library's default (:func:`defaults`): 300 kV, 0.05 Å
pixels, 2 Å slices, Kirkland potentials, band limit at 2/3 of Nyquist, a perfect lens.

Errors: ValueError for bad arguments (with the library's message naming the value),
MemoryError, and :class:`cz.CzError` for the rest (grid above the memory cap, unsupported
cell, FFTW failure). Computations release the GIL; a :class:`Simulator` serialises calls on
itself, and distinct simulators run in parallel.
"""

from __future__ import annotations

import re
from numbers import Integral, Real

import numpy as np

from . import _czsim

__all__ = [
    "ExitWave",
    "Simulator",
    "defaults",
    "electron",
    "exit_wave",
    "image",
    "potential",
    "scherzer_defocus",
]

POTENTIALS = {"kirkland": _czsim.KIRKLAND, "lobato": _czsim.LOBATO}
"""Scattering-factor parametrisations, by the name the ``potential`` option takes."""

SPREADS = {"bspline": _czsim.SPREAD_BSPLINE, "abtem": _czsim.SPREAD_ABTEM}
"""Atom-spreading schemes, by the name the ``spread`` option takes."""

LABELS = ("object_id", "grain_id", "class_id")
"""Per-atom label arrays read from ``atoms.arrays`` when present (kept for masks)."""

_ABERRATION = re.compile(r"^[Cc]([1-5])([0-6])$")


def defaults() -> dict:
    """The C library's defaults: ``{"sim": cz_sim_opts_default(), "ctf": cz_sim_ctf_default()}``
    (energy in eV, aberrations ``c[n][m]`` in Å)."""
    return {"sim": _czsim.opts_default(), "ctf": _czsim.ctf_default()}


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
                "threads", "fftw", "wisdom")


def _choice(table, name, value):
    try:
        return table[str(value).lower()]
    except KeyError:
        raise ValueError(f"{name} must be one of {', '.join(table)} (got {value!r})") from None


def _plan_kwargs(energy_kv=None, sampling=None, grid=None, slice_thickness=None, potential=None,
                 spread=None, antialias=None, antialias_taper=None, fft_friendly=False,
                 refuse_outside=False, max_pixels=None, threads=None, fftw=None, wisdom=None):
    """Keyword arguments of _czsim.plan_create; omitted ones keep the C defaults."""
    kw = {}
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


# ---- results -------------------------------------------------------------------------------------


class ExitWave(np.ndarray):
    """A complex64 exit wave of shape (ny, nx) that remembers how it was simulated.

    ``params`` holds what :func:`image` needs to image it again (cell in Å, grid, energy and
    band-limit options) plus descriptive values (pixel size, slices, λ, σ). Slicing or reshaping
    gives arrays whose grid no longer matches ``params``; :func:`image` refuses those.
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

    Options (``None`` = C default): ``energy_kv``; ``sampling`` (pixel size, Å) or ``grid``
    (nx or (nx, ny)); ``slice_thickness`` (Å); ``potential`` ('kirkland' | 'lobato');
    ``spread`` ('bspline' | 'abtem'); ``antialias`` (fraction of Nyquist); ``antialias_taper``;
    ``fft_friendly``; ``refuse_outside``; ``max_pixels``; ``threads`` (0 = all cores);
    ``fftw`` ('measure' | 'estimate'); ``wisdom`` (FFTW wisdom file, '' = none).
    """

    def __init__(self, cell, **options):
        unknown = set(options) - set(_SIM_OPTIONS)
        if unknown:
            raise TypeError(f"unknown simulation option(s): {', '.join(sorted(unknown))}")
        self.cell = _cell(cell)
        self._options = dict(options)
        self._plan = _czsim.plan_create(self.cell, **_plan_kwargs(**options))
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
        self.labels = {}
        """Label arrays of the last :meth:`set_atoms` from ase.Atoms (object_id, ...)."""
        kw = _plan_kwargs(**options)
        self._energy_ev = kw.get("energy_ev", _czsim.opts_default()["energy_ev"])

    @classmethod
    def from_atoms(cls, atoms, **options) -> Simulator:
        """A simulator for the cell of ``atoms``, holding its atoms."""
        cell, positions, numbers, labels = _structure(atoms)
        sim = cls(cell, **options)
        _czsim.set_atoms(sim._plan, positions, numbers)
        sim.labels = labels
        return sim

    def set_atoms(self, atoms, numbers=None) -> None:
        """Give the atoms: an ase.Atoms (its cell is not used: the simulator's is), or
        positions (n, 3) in Å with ``numbers`` (n,). Replaces earlier atoms."""
        if numbers is None:
            _, positions, numbers, self.labels = _structure(atoms)
        else:
            positions, self.labels = atoms, {}
        _czsim.set_atoms(self._plan, positions, numbers)

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
        }

    def exit_wave(self) -> ExitWave:
        """The exit wave of a unit plane wave through every slice, complex64 (ny, nx)."""
        return ExitWave(_czsim.run(self._plan), self.params)

    def image(self, wave, *, defocus=None, cs_mm=None, c5_mm=None, aberrations=None,
              aperture_mrad=None, aperture_taper_mrad=None, focal_spread=None,
              convergence_mrad=None) -> np.ndarray:
        """Image intensity from an exit wave of this grid; see :func:`image` for the lens
        parameters. A list of defoci gives a stack (n, ny, nx)."""
        wave = np.ascontiguousarray(wave, dtype=np.complex64)
        if wave.shape != self.shape:
            raise ValueError(f"wave must have shape {self.shape} (ny, nx), got {wave.shape}")
        lens = (cs_mm, c5_mm, aberrations, aperture_mrad, aperture_taper_mrad, focal_spread,
                convergence_mrad)
        if defocus is None or isinstance(defocus, (str, Real)):
            kw = _ctf_kwargs(self._energy_ev, 0.0 if defocus is None else defocus, *lens)
            return _czsim.image(self._plan, wave, **kw)
        values = list(defocus)
        out = np.empty((len(values), *self.shape), dtype=np.float64)
        for k, df in enumerate(values):
            out[k] = _czsim.image(self._plan, wave, **_ctf_kwargs(self._energy_ev, df, *lens))
        return out

    def potential(self, per_slice: bool = False) -> np.ndarray:
        """Projected potential in V·Å: the total (ny, nx), or (nslices, ny, nx) per slice."""
        slices = [_czsim.potential(self._plan, s) for s in range(self.nslices)]
        if per_slice:
            return np.stack(slices) if slices else np.zeros((0, *self.shape))
        total = np.zeros(self.shape)
        for v in slices:
            total += v
        return total


# ---- one-call functions --------------------------------------------------------------------------


def exit_wave(atoms, **options) -> ExitWave:
    """Exit wave of ``atoms`` (ase.Atoms with an orthorhombic cell), complex64 (ny, nx).

    Options as for :class:`Simulator` (``energy_kv``, ``sampling``, ``slice_thickness``,
    ``potential``, ``threads``, ...). The result is an :class:`ExitWave`: a numpy array that
    also carries ``params`` so :func:`image` can image it again.
    """
    return Simulator.from_atoms(atoms, **options).exit_wave()


def image(source, *, defocus=None, cs_mm=None, c5_mm=None, aberrations=None, aperture_mrad=None,
          aperture_taper_mrad=None, focal_spread=None, convergence_mrad=None, cell=None,
          **options) -> np.ndarray:
    """HRTEM image intensity (1 = incident beam), float64 (ny, nx), or (n, ny, nx) for a list
    of defoci.

    source: an ase.Atoms (simulated first, with the simulation ``options`` of
    :class:`Simulator`), an :class:`ExitWave` from :func:`exit_wave` (its own parameters are
    used; simulation options are refused), or a plain complex (ny, nx) array with ``cell``
    (Å, (3,) or (3, 3)) and optionally ``energy_kv`` and the band-limit options it was made
    with.

    Lens (``None`` = the C default, a perfect lens): ``defocus`` Å (= −C10, positive =
    underfocus), a number, 'scherzer', or a list of them; ``cs_mm`` (C30) and ``c5_mm`` (C50)
    in mm; ``aberrations`` {"C12": (value_a, phi_deg), "C23": value_a, ...} for the other C_nm;
    ``aperture_mrad`` objective aperture semi-angle (0 = none) and ``aperture_taper_mrad`` its
    soft edge; ``focal_spread`` (1/e, Å) and ``convergence_mrad`` (1/e) partial-coherence
    envelopes.
    """
    lens = {"defocus": defocus, "cs_mm": cs_mm, "c5_mm": c5_mm, "aberrations": aberrations,
            "aperture_mrad": aperture_mrad, "aperture_taper_mrad": aperture_taper_mrad,
            "focal_spread": focal_spread, "convergence_mrad": convergence_mrad}
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
        if source.shape != (p["grid"][1], p["grid"][0]):
            raise ValueError(f"this ExitWave was sliced or reshaped: shape {source.shape}, "
                             f"simulated as {(p['grid'][1], p['grid'][0])}")
        options = {k: v for k, v in p["options"].items()
                   if k in ("energy_kv", "antialias", "antialias_taper", "threads", "fftw",
                            "wisdom", "max_pixels")}
        cell = p["cell_a"]
    elif cell is None:
        raise ValueError("image() of a plain array needs cell= (Å); or pass an ExitWave or atoms")
    wave = np.asarray(source)
    if wave.ndim != 2:
        raise ValueError(f"wave must have shape (ny, nx), got {wave.shape}")
    for key in ("grid", "sampling", "fft_friendly"):
        if key in options:
            raise ValueError(f"{key} is given by the wave's shape; do not pass it")
    sim = Simulator(cell, grid=(wave.shape[1], wave.shape[0]), **options)
    return sim.image(wave, **lens)


def potential(atoms, *, per_slice: bool = False, **options) -> np.ndarray:
    """Projected potential of ``atoms`` in V·Å on the simulation grid: the total over all
    slices (ny, nx), or (nslices, ny, nx) with ``per_slice``. Options as for
    :class:`Simulator`."""
    return Simulator.from_atoms(atoms, **options).potential(per_slice=per_slice)
