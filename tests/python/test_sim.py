"""cz.sim: multislice simulation of ase.Atoms into numpy arrays.

Vacuum keeps the intensity at 1, the weak-phase sign test at Scherzer, the potential integral,
the potential methods and precisions, ExitWave round trips, agreement with the `cz image` HDF5
output, thread safety and determinism, and the exception types and messages. Grids stay at or
below 256² and FFTW plans with ESTIMATE and no wisdom file, so the tests are quick and write
nothing outside build/.
"""

import os
import subprocess
import threading

import numpy as np
import pytest
from ase import Atoms
from ase.cluster import Octahedron

import cz
import cz._cz
import cz._czsim

FAST = {"fftw": "estimate", "wisdom": ""}
"""Planner options for every test: quick planning, no wisdom file written."""

AU_INTEGRAL = 505.270
"""Integral of the projected potential of one Au atom, V·Å³ (Kirkland)."""


def carbon_column():
    """Two C atoms on one column at the centre of a 12.8 Å square cell, 4 Å thick."""
    return Atoms("C2", positions=[(6.4, 6.4, 1.0), (6.4, 6.4, 3.0)], cell=[12.8, 12.8, 4.0])


def gold_particle():
    """A 19-atom Au octahedron with 3 Å of vacuum (a 10.2 Å box)."""
    atoms = Octahedron("Au", 3, 0)
    atoms.center(vacuum=3.0)
    return atoms


# ---- physics -------------------------------------------------------------------------------------


def test_vacuum_keeps_unit_intensity():
    empty = Atoms(cell=[10.3, 9.7, 6.1])
    wave = cz.sim.exit_wave(empty, sampling=0.08, **FAST)
    assert wave.dtype == np.complex64
    assert wave.shape == (int(np.ceil(9.7 / 0.08)), int(np.ceil(10.3 / 0.08)))
    assert np.max(np.abs(np.abs(wave) ** 2 - 1)) < 1e-6
    img = cz.sim.image(wave, defocus=250.0, cs_mm=1.3, aperture_mrad=12.5, focal_spread=35.0)
    assert img.dtype == np.float64 and img.shape == wave.shape
    assert np.max(np.abs(img - 1)) < 1e-6


def test_intensity_near_one_far_from_a_particle():
    atoms = gold_particle()
    atoms.cell = [20.4, 20.4, atoms.cell[2, 2]]  # more vacuum in x and y
    img = cz.sim.image(atoms, sampling=0.1, **FAST)
    assert img.shape == (204, 204)
    assert abs(img[:10, :10].mean() - 1) < 0.02  # the corner is 5 Å from any atom
    assert img.min() < 0.9  # the particle itself scatters


@pytest.mark.parametrize("cs_mm, sign", [(1.2, -1), (-1.2, +1)])
def test_weak_phase_sign_at_scherzer(cs_mm, sign):
    """Cs > 0 at Scherzer defocus: atom columns dark; Cs < 0: bright (DESIGN §4)."""
    atoms = carbon_column()
    img = cz.sim.image(atoms, grid=256, defocus="scherzer", cs_mm=cs_mm, aperture_mrad=10.0,
                       **FAST)
    contrast = img[128, 128] - img.mean()
    assert sign * contrast > 0.01, contrast


def test_scherzer_defocus_and_electron():
    assert cz.sim.scherzer_defocus(1.2) == pytest.approx(595.29, abs=0.01)
    assert cz.sim.scherzer_defocus(-1.2) == pytest.approx(-595.29, abs=0.01)
    wavelength, sigma = cz.sim.electron(300)
    assert wavelength == pytest.approx(0.0196875, rel=1e-6)
    assert sigma == pytest.approx(6.52616e-4, rel=1e-5)
    assert cz.sim.electron()[0] == wavelength  # default energy: the library's 300 kV


def test_potential_integral_per_atom():
    atoms = gold_particle()
    sim = cz.sim.Simulator.from_atoms(atoms, sampling=0.1, **FAST)
    total = sim.potential()
    dx, dy = sim.pixel_size
    assert total.shape == sim.shape
    assert total.sum() * dx * dy == pytest.approx(len(atoms) * AU_INTEGRAL, rel=1e-5)
    slices = cz.sim.potential(atoms, per_slice=True, sampling=0.1, **FAST)
    assert slices.shape == (sim.nslices, *sim.shape)
    assert np.allclose(slices.sum(axis=0), total, rtol=0, atol=1e-9 * total.max())


def test_lobato_differs_from_kirkland_but_integrates_alike():
    atoms = carbon_column()
    k = cz.sim.potential(atoms, grid=128, **FAST)
    lo = cz.sim.potential(atoms, grid=128, potential="lobato", **FAST)
    assert not np.allclose(k, lo)
    assert lo.sum() == pytest.approx(k.sum(), rel=2e-3)


def relative_rms(a, b):
    """RMS of a − b relative to the RMS of b."""
    a, b = np.asarray(a), np.asarray(b)
    return float(np.sqrt(np.mean(np.abs(a - b) ** 2) / np.mean(np.abs(b) ** 2)))


def test_double_precision_differs_from_single_by_rounding():
    """precision='double' runs the potential and the multislice in double precision: its exit
    wave is complex128 and differs from the single-precision one by rounding only."""
    atoms = gold_particle()
    single = cz.sim.exit_wave(atoms, sampling=0.1, **FAST)
    double = cz.sim.exit_wave(atoms, sampling=0.1, precision="double", **FAST)
    assert single.dtype == np.complex64 and double.dtype == np.complex128
    assert double.shape == single.shape
    assert double.params["options"]["precision"] == "double"
    # Genuinely double: most values are not complex64 numbers.
    assert np.mean(double != double.astype(np.complex64)) > 0.9
    rel = relative_rms(single, double)
    assert 1e-8 < rel < 1e-5, rel
    # The explicit defaults are the defaults, bit for bit.
    explicit = cz.sim.exit_wave(atoms, sampling=0.1, precision="single",
                                potential_method="realspace", **FAST)
    assert explicit.tobytes() == single.tobytes()
    # A Simulator says which; frozen phonons and images follow it.
    sim = cz.sim.Simulator.from_atoms(atoms, sampling=0.1, precision="Double", **FAST)
    assert sim.precision == "double"
    assert cz.sim.Simulator.from_atoms(atoms, sampling=0.1, **FAST).precision == "single"
    waves = sim.frozen_phonon_waves(2, 0.05, seed=3)
    assert waves.dtype == np.complex128 and waves.shape == (2, *sim.shape)
    img_d = cz.sim.image(double, defocus=50.0, cs_mm=1.0)
    img_s = cz.sim.image(single, defocus=50.0, cs_mm=1.0)
    assert 0 < np.max(np.abs(img_d - img_s)) < 1e-4


def test_double_precision_conserves_intensity_better():
    """A weak object (one C atom) followed by 40 Å of vacuum in 0.5 Å slices: single precision
    lets the mean |ψ|² drift by rounding (about 2e-5 here), double keeps it to the small loss of
    the band limit. Vacuum alone stays exactly 1 in both."""
    weak = Atoms("C", positions=[(6.4, 6.4, 0.5)], cell=[12.8, 12.8, 40.0])
    opts = {"grid": 128, "slice_thickness": 0.5, **FAST}
    single = cz.sim.exit_wave(weak, **opts)
    double = cz.sim.exit_wave(weak, precision="double", **opts)
    drift_s = abs(np.mean(np.abs(single.astype(np.complex128)) ** 2) - 1)
    drift_d = abs(np.mean(np.abs(double) ** 2) - 1)
    assert drift_d < 2e-6, drift_d
    assert drift_s > 4 * drift_d, (drift_s, drift_d)
    vacuum = cz.sim.exit_wave(Atoms(cell=[10.3, 9.7, 6.1]), sampling=0.1, precision="double",
                              **FAST)
    assert vacuum.dtype == np.complex128 and np.max(np.abs(np.abs(vacuum) ** 2 - 1)) < 1e-14


def test_potential_methods_agree_but_differ():
    """Real-space superposition (default) and the particle mesh: the same integral per atom,
    spectra that agree to 1e-3 (relative RMS) up to 3 1/Å (0.33 Å, beyond what an HRTEM image
    resolves) at 0.05 Å sampling, but not the same grid values: the mesh rings along the grid
    axes (per cent of v_z, cz_sim.h)."""
    atoms = gold_particle()
    real = cz.sim.potential(atoms, sampling=0.05, **FAST)
    mesh = cz.sim.potential(atoms, sampling=0.05, potential_method="fourier", **FAST)
    explicit = cz.sim.potential(atoms, sampling=0.05, potential_method="realspace", **FAST)
    assert explicit.tobytes() == real.tobytes()
    assert real.shape == mesh.shape
    assert mesh.sum() == pytest.approx(real.sum(), rel=1e-6)
    ny, nx = real.shape
    k = np.hypot(*np.meshgrid(np.fft.fftfreq(nx, atoms.cell[0, 0] / nx),
                              np.fft.fftfreq(ny, atoms.cell[1, 1] / ny)))
    low = k < 3.0
    spec_r, spec_m = np.fft.fft2(real)[low], np.fft.fft2(mesh)[low]
    assert relative_rms(spec_m, spec_r) < 2e-3
    pointwise = relative_rms(mesh, real)
    assert 1e-3 < pointwise < 0.06, pointwise
    # Exit waves differ too, by less.
    w_real = cz.sim.exit_wave(atoms, sampling=0.1, **FAST)
    w_mesh = cz.sim.exit_wave(atoms, sampling=0.1, potential_method="fourier", **FAST)
    assert 1e-4 < relative_rms(w_mesh, w_real) < 1e-2


# ---- the Python API ------------------------------------------------------------------------------


def test_exit_wave_carries_its_parameters_and_images_again():
    atoms = gold_particle()
    wave = cz.sim.exit_wave(atoms, sampling=0.1, slice_thickness=1.5, energy_kv=200, **FAST)
    assert isinstance(wave, np.ndarray) and isinstance(wave, cz.sim.ExitWave)
    p = wave.params
    assert p["energy_kv"] == 200 and p["grid"] == (wave.shape[1], wave.shape[0])
    assert p["nslices"] == int(np.ceil(atoms.cell[2, 2] / 1.5))
    assert p["wavelength_a"] == pytest.approx(cz.sim.electron(200)[0])

    lens = {"cs_mm": 0.5, "aperture_mrad": 20.0, "focal_spread": 20.0}
    stack = cz.sim.image(wave, defocus=[0.0, 80.0, "scherzer"], **lens)
    assert stack.shape == (3, *wave.shape)
    single = cz.sim.image(wave, defocus=80.0, **lens)
    assert np.array_equal(stack[1], single)
    # A plain array with its cell and energy gives the same image.
    plain = np.asarray(wave).view(np.ndarray).copy()
    again = cz.sim.image(plain, cell=atoms.cell.lengths(), energy_kv=200, defocus=80.0, **lens,
                         **FAST)
    assert np.max(np.abs(again - single)) < 1e-6
    # Directly from atoms: simulate and image in one call.
    direct = cz.sim.image(atoms, defocus=80.0, sampling=0.1, slice_thickness=1.5, energy_kv=200,
                          **lens, **FAST)
    assert np.max(np.abs(direct - single)) < 1e-6


def test_simulator_reuses_one_plan():
    atoms = carbon_column()
    sim = cz.sim.Simulator(atoms.cell, grid=(96, 112), **FAST)
    assert sim.shape == (112, 96)
    assert sim.pixel_size == pytest.approx((12.8 / 96, 12.8 / 112))
    sim.set_atoms(atoms)
    w1 = sim.exit_wave()
    sim.set_atoms(atoms.positions + [0.5, 0.0, 0.0], atoms.numbers)
    w2 = sim.exit_wave()
    # Shifting by a whole number of pixels (0.5 Å is not) changes the wave; periodic x.
    assert not np.allclose(w1, w2)
    sim.set_atoms(Atoms(cell=atoms.cell))
    assert np.max(np.abs(np.abs(sim.exit_wave()) ** 2 - 1)) < 1e-6


def test_labels_are_read_from_atoms_arrays():
    atoms = cz.fill(cz.Lattice.prototype("fcc", "Au", a=4.08), cz.Sphere(5.0))
    atoms.center(vacuum=3.0)
    sim = cz.sim.Simulator.from_atoms(atoms, sampling=0.2, **FAST)
    assert set(sim.labels) == {"object_id", "grain_id", "class_id"}
    assert np.array_equal(sim.labels["class_id"], atoms.arrays["class_id"])
    atoms.arrays["class_id"] = atoms.arrays["class_id"].astype(float)
    with pytest.raises(ValueError, match="class_id"):
        cz.sim.Simulator.from_atoms(atoms, sampling=0.2, **FAST)


def test_same_bytes_for_one_and_two_threads():
    atoms = gold_particle()
    one = cz.sim.exit_wave(atoms, sampling=0.1, threads=1, **FAST)
    two = cz.sim.exit_wave(atoms, sampling=0.1, threads=2, **FAST)
    assert one.tobytes() == two.tobytes()


def test_concurrent_calls_on_one_simulator():
    """Calls release the GIL; the simulator's lock keeps concurrent calls on one plan apart."""
    atoms = gold_particle()
    sim = cz.sim.Simulator.from_atoms(atoms, sampling=0.1, **FAST)
    wave = sim.exit_wave()
    reference = [sim.image(wave, defocus=d, cs_mm=1.0) for d in (0.0, 50.0, 100.0, 150.0)]
    results, errors = [None] * 4, []

    def work(k):
        try:
            results[k] = sim.image(wave, defocus=50.0 * k, cs_mm=1.0)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for got, want in zip(results, reference):
        assert np.array_equal(got, want)


# ---- agreement with the command line -------------------------------------------------------------


@pytest.mark.parametrize("method, precision", [(None, None), ("fourier", "double"),
                                               ("realspace", "double")])
def test_agrees_with_cli_hdf5(tmp_path, method, precision):
    """cz.sim.image and `cz image ... -o out.h5` give the same images (1e-6) for the same
    structure and parameters, with the default and the other potential method and precision:
    the same exit wave (bit for bit, rounded to complex64 as the command line stores it)."""
    cz_bin = os.environ.get("CZ_BIN")
    if not cz_bin:
        pytest.skip("CZ_BIN (the built cz program) is set by ctest")
    import h5py  # Debian: python3-h5py

    path = tmp_path / "au.xyz"
    cz.write(str(path), gold_particle())
    atoms = cz.read(str(path))
    args = [cz_bin, "image", str(path), "-o", str(tmp_path / "au.h5"), "--sampling", "0.1",
            "--slice", "2", "--energy-kv", "200", "--cs-mm", "1.2", "--defocus", "scherzer,0,-50",
            "--aperture-mrad", "15", "--focal-spread", "30", "--convergence-mrad", "0.3",
            "--aberration", "C12=20,45", "--potential", "lobato", "--fftw", "estimate",
            "--wisdom", ""]
    options = {}
    if method is not None:
        args += ["--potential-method", method]
        options["potential_method"] = method
    if precision is not None:
        args += ["--precision", precision]
        options["precision"] = precision
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr

    wave = cz.sim.exit_wave(atoms, sampling=0.1, slice_thickness=2, energy_kv=200,
                            potential="lobato", **options, **FAST)
    assert wave.dtype == (np.complex128 if precision == "double" else np.complex64)
    mine = cz.sim.image(wave, defocus=["scherzer", 0, -50], cs_mm=1.2, aperture_mrad=15,
                        focal_spread=30, convergence_mrad=0.3, aberrations={"C12": (20, 45)})
    with h5py.File(tmp_path / "au.h5", "r") as f:
        theirs = f["images"][()]
        their_wave = f["exit_wave"][()]
        assert f.attrs["energy_kv"] == 200 and f.attrs["potential"] == "lobato"
        assert f.attrs["potential_method"] == (method or "realspace")
        assert f.attrs["precision"] == (precision or "single")
        assert np.allclose(f["defocus_a"][()],
                           [cz.sim.scherzer_defocus(1.2, energy_kv=200), 0, -50])
    assert theirs.shape == mine.shape
    assert their_wave.dtype == np.complex64
    assert their_wave.tobytes() == np.asarray(wave).astype(np.complex64).tobytes()
    assert np.max(np.abs(theirs - mine)) < 1e-6 * np.max(mine)


# ---- errors --------------------------------------------------------------------------------------


def test_error_types_and_messages():
    atoms = carbon_column()
    assert cz.sim.exit_wave.__module__ == "cz.sim"
    assert cz._czsim.CzError is cz.CzError is cz._cz.CzError
    with pytest.raises(ValueError, match=r"cz_sim_plan_create: sampling .*-0\.5"):
        cz.sim.exit_wave(atoms, sampling=-0.5, **FAST)
    with pytest.raises(ValueError, match="energy"):
        cz.sim.exit_wave(atoms, energy_kv=0, grid=64, **FAST)
    with pytest.raises(cz.CzError, match="max_pixels") as info:
        cz.sim.exit_wave(atoms, sampling=0.001, max_pixels=10**6, **FAST)
    assert isinstance(info.value, RuntimeError) and info.value.status == cz._cz.ERANGE
    with pytest.raises(ValueError, match="potential must be one of kirkland, lobato"):
        cz.sim.exit_wave(atoms, potential="moliere", **FAST)
    with pytest.raises(ValueError, match=r"^potential_method must be one of realspace, fourier "
                       r"\(got 'multislice'\)$"):
        cz.sim.exit_wave(atoms, potential_method="multislice", **FAST)
    with pytest.raises(ValueError, match=r"^precision must be one of single, double "
                       r"\(got 'quad'\)$"):
        cz.sim.exit_wave(atoms, precision="quad", **FAST)
    with pytest.raises(ValueError, match=r"precision must be one of single, double \(got 64\)"):
        cz.sim.exit_wave(atoms, precision=64, **FAST)
    with pytest.raises(TypeError, match="unknown simulation option"):
        cz.sim.exit_wave(atoms, sampeling=0.1)
    with pytest.raises(ValueError, match="no cell vector a"):
        cz.sim.exit_wave(Atoms("Au", positions=[(0, 0, 0)]), **FAST)
    with pytest.raises(TypeError, match="ase.Atoms"):
        cz.sim.exit_wave("Au", **FAST)


def test_bad_atoms_are_refused():
    cell = [8.0, 8.0, 4.0]
    with pytest.raises(ValueError, match="atom 1"):
        cz.sim.exit_wave(Atoms("CC", positions=[(1, 1, 1), (1, 1, 9)], cell=cell), grid=64,
                         **FAST)
    nan = Atoms("C", positions=[(1, 1, 1)], cell=cell)
    nan.positions[0, 0] = np.nan
    with pytest.raises(ValueError, match="atom 0"):
        cz.sim.exit_wave(nan, grid=64, **FAST)
    heavy = Atoms("C", positions=[(1, 1, 1)], cell=cell)
    heavy.numbers[0] = 110
    with pytest.raises(ValueError, match="110"):
        cz.sim.exit_wave(heavy, grid=64, **FAST)
    skew = Atoms("C", positions=[(1, 1, 1)], cell=[[8, 0, 0], [2, 8, 0], [0, 0, 4]])
    # Oblique cells are made orthogonal by default (tests at the end); without that, refused.
    with pytest.raises(cz.CzError, match="orthorhombic"):
        cz.sim.exit_wave(skew, grid=64, orthogonalize=False, **FAST)


def test_bad_lens_and_wave_arguments():
    wave = cz.sim.exit_wave(carbon_column(), grid=64, **FAST)
    with pytest.raises(ValueError, match="aperture"):
        cz.sim.image(wave, aperture_mrad=-1)
    with pytest.raises(ValueError, match="C10 is set by defocus"):
        cz.sim.image(wave, aberrations={"C10": 5})
    with pytest.raises(ValueError, match="unknown name"):
        cz.sim.image(wave, aberrations={"A1": 5})
    with pytest.raises(ValueError, match="C22 is not an aberration"):
        cz.sim.image(wave, aberrations={"C22": 5})  # n + m even: no such aberration
    with pytest.raises(ValueError, match="same coefficient"):
        cz.sim.image(wave, cs_mm=1, aberrations={"C30": 1e7})
    with pytest.raises(ValueError, match="scherzer"):
        cz.sim.image(wave, defocus="underfocus")
    with pytest.raises(ValueError, match="carries its simulation parameters"):
        cz.sim.image(wave, energy_kv=200)
    with pytest.raises(ValueError, match="sliced"):
        cz.sim.image(wave[:32])
    with pytest.raises(ValueError, match="needs cell"):
        cz.sim.image(np.ones((64, 64), np.complex64))
    with pytest.raises(ValueError, match="shape"):
        cz.sim.Simulator([12.8, 12.8, 4.0], grid=64, **FAST).image(np.ones((32, 64)))


PLAN_ENTRY_POINTS = {
    "Simulator": lambda atoms, **kw: cz.sim.Simulator(atoms.cell, **kw),
    "Simulator.from_atoms": cz.sim.Simulator.from_atoms,
    "exit_wave": cz.sim.exit_wave,
    "frozen_phonon_waves": lambda atoms, **kw: cz.sim.frozen_phonon_waves(atoms, 1, 0.05, **kw),
    "image": cz.sim.image,
    "potential": cz.sim.potential,
    "masks": cz.sim.masks,
    "label_map": cz.sim.label_map,
    "phase_mask": cz.sim.phase_mask,
    "columns": cz.sim.columns,
}
"""Every cz.sim function that makes a plan, as f(atoms, **options)."""


@pytest.mark.parametrize("entry", sorted(PLAN_ENTRY_POINTS))
def test_every_plan_maker_takes_method_and_precision(entry):
    """Each entry point accepts potential_method and precision (a good value works, a bad one is
    refused with a ValueError naming it and the accepted values)."""
    atoms = carbon_column()
    atoms.arrays["class_id"] = np.ones(len(atoms), dtype=int)
    make = PLAN_ENTRY_POINTS[entry]
    make(atoms, grid=64, potential_method="fourier", precision="double", **FAST)
    with pytest.raises(ValueError, match=r"potential_method must be one of realspace, fourier "
                       r"\(got 'pme'\)"):
        make(atoms, grid=64, potential_method="pme", **FAST)
    with pytest.raises(ValueError, match=r"precision must be one of single, double "
                       r"\(got 'half'\)"):
        make(atoms, grid=64, precision="half", **FAST)


def test_plan_create_takes_option_fields_by_name():
    """The binding takes cz_sim_opts' fields as keywords: unknown names are a TypeError, values
    the library refuses a ValueError with its message."""
    cell = np.diag([12.8, 12.8, 4.0])
    defaults = cz.sim.defaults()["sim"]
    assert defaults["potential_method"] == cz._czsim.POTENTIAL_REALSPACE
    assert defaults["precision"] == cz._czsim.SINGLE
    plan = cz._czsim.plan_create(cell, nx=32, ny=32, flags=cz._czsim.FFTW_ESTIMATE,
                                 wisdom_path="", precision=cz._czsim.DOUBLE,
                                 potential_method=cz._czsim.POTENTIAL_FOURIER, param=None)
    assert cz._czsim.run_double(plan).dtype == np.complex128
    with pytest.raises(TypeError, match="unexpected keyword argument 'precison'"):
        cz._czsim.plan_create(cell, nx=32, ny=32, precison=1)
    with pytest.raises(ValueError, match="cz_sim_plan_create: unknown precision 7"):
        cz._czsim.plan_create(cell, nx=32, ny=32, precision=7)
    with pytest.raises(ValueError, match="cz_sim_plan_create: unknown potential_method -1"):
        cz._czsim.plan_create(cell, nx=32, ny=32, potential_method=-1)
    single = cz._czsim.plan_create(cell, nx=32, ny=32, flags=cz._czsim.FFTW_ESTIMATE,
                                   wisdom_path="")
    with pytest.raises(ValueError, match="precision = CZ_SIM_SINGLE"):
        cz._czsim.run_double(single)


# ---- oblique in-plane cells: the orthogonal supercell --------------------------------------------


def _sorted_rows(positions, cell):
    """Positions wrapped into the orthogonal cell (x, y) and sorted, for comparing structures
    that hold the same atoms in another order."""
    p = np.array(positions, dtype=np.float64)
    for k in (0, 1):
        p[:, k] = np.mod(p[:, k], cell[k, k])
        p[np.isclose(p[:, k], cell[k, k], rtol=0, atol=1e-9), k] = 0.0
    p = np.round(p, 9)
    return p[np.lexsort(p.T[::-1])]


def _rms(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.sqrt(np.mean(np.abs(a - b) ** 2) / np.mean(np.abs(b) ** 2)))


def test_orthogonalize_graphene_matches_ase_supercell():
    from ase.build import graphene, make_supercell

    atoms = graphene(a=2.46, vacuum=5.0)
    atoms.arrays["class_id"] = np.array([1, 2])
    atoms.set_tags([7, 9])
    ortho, info = cz.sim.orthogonalize(atoms)
    assert info["matrix"] == ((1, 0), (1, 2)) and info["det"] == 2 and info["changed"]
    assert info["rotation_deg"] == 0 and info["strain"] < 1e-12
    assert len(ortho) == 2 * len(atoms)
    assert np.allclose(ortho.cell.array, np.diag([2.46, 2.46 * np.sqrt(3), 10.0]), atol=1e-12)
    # The same atoms as ASE's own supercell with rows a, a + 2b (orthogonal for 120°).
    ref = make_supercell(atoms, [[1, 0, 0], [1, 2, 0], [0, 0, 1]])
    assert np.allclose(ref.cell.array, ortho.cell.array, atol=1e-12)
    assert np.allclose(_sorted_rows(ortho.positions, ortho.cell.array),
                       _sorted_rows(ref.positions, ref.cell.array), atol=1e-9)
    # Labels and any other per-atom array follow their atom: image q of atom q % n.
    assert list(ortho.arrays["class_id"]) == [1, 2, 1, 2]
    assert list(ortho.get_tags()) == [7, 9, 7, 9]
    # Bonds of 1.42 Å, three per atom, across the new periodic boundaries too.
    from ase.neighborlist import neighbor_list

    first, dist = neighbor_list("id", ortho, 2.0)
    assert np.bincount(first).tolist() == [3, 3, 3, 3]
    assert np.allclose(dist, 2.46 / np.sqrt(3), atol=1e-9)
    # No duplicates: nothing closer than a bond, across the periodic images.
    assert np.min(neighbor_list("d", ortho, 1.0), initial=np.inf) == np.inf
    # An orthogonal cell is returned as it is.
    same, info2 = cz.sim.orthogonalize(ref)
    assert same is ref and not info2["changed"] and info2["det"] == 1


def test_orthogonalize_turns_a_rotated_cell_back():
    base = Atoms("CuO", positions=[(0.7, 1.1, 2.0), (2.5, 3.3, 4.0)],
                 cell=[3.615, 4.21, 6.0], pbc=[True, True, False])
    turned = base.copy()
    turned.rotate(25.0, "z", rotate_cell=True)
    turned.set_momenta([[1.0, 0.0, 0.0], [0.0, 2.0, 0.5]], apply_constraint=False)
    turned.set_momenta(turned.get_momenta() @ _rot_z(25.0).T, apply_constraint=False)
    back, info = cz.sim.orthogonalize(turned)
    assert info["det"] == 1 and info["rotation_deg"] == pytest.approx(-25.0, abs=1e-9)
    assert np.allclose(back.cell.array, base.cell.array, atol=1e-9)
    assert np.allclose(back.positions, base.positions, atol=1e-9)
    assert np.allclose(back.get_momenta(), [[1.0, 0.0, 0.0], [0.0, 2.0, 0.5]], atol=1e-9)


def _rot_z(deg):
    t = np.radians(deg)
    return np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])


def test_sim_orthogonalizes_oblique_cells_and_says_so():
    from ase.build import graphene, make_supercell

    atoms = graphene(a=2.46, vacuum=4.0).repeat((3, 3, 1))
    ref = make_supercell(atoms, [[1, 0, 0], [1, 2, 0], [0, 0, 1]])
    ref.wrap()
    opts = {"sampling": 0.08, "slice_thickness": 2.0, **FAST}
    sim = cz.sim.Simulator.from_atoms(atoms, **opts)
    assert sim.ortho is not None and sim.ortho["det"] == 2
    assert len(sim.atoms) == 2 * len(atoms)
    wave = sim.exit_wave()
    assert wave.params["ortho"]["matrix"] == ((1, 0), (1, 2))
    assert np.allclose(wave.params["cell_a"], ref.cell.array, atol=1e-12)
    theirs = cz.sim.exit_wave(ref, **opts)
    assert theirs.params["ortho"] is None
    assert wave.shape == theirs.shape
    # The same atoms in another order: the same wave up to the order of the potential sums.
    assert _rms(wave, theirs) < 1e-6
    # Images and ground truth go through the same supercell.
    img = cz.sim.image(atoms, defocus=50, cs_mm=0.5, **opts)
    assert img.shape == wave.shape
    with pytest.raises(cz.CzError, match="orthorhombic"):
        cz.sim.exit_wave(atoms, orthogonalize=False, **opts)
    with pytest.raises(ValueError, match="need orthogonalize=True"):
        cz.sim.exit_wave(atoms, orthogonalize=False, ortho_tolerance=1e-3, **opts)
    with pytest.raises(ValueError, match=r"strain_tolerance must be in \(0, 0.25\] \(got 0.5\)"):
        cz.sim.exit_wave(atoms, ortho_tolerance=0.5, **opts)
    with pytest.raises(ValueError, match=r"max_repeat must be in 1\.\.100 \(got 0\)"):
        cz.sim.exit_wave(atoms, ortho_max_repeat=0, **opts)


def test_irrational_angle_needs_a_tolerance():
    g = np.radians(100.0)
    atoms = Atoms("CuO", scaled_positions=[(0.25, 0.5, 0.4), (0.75, 0.125, 0.3)],
                  cell=[[3.1, 0, 0], [2.7 * np.cos(g), 2.7 * np.sin(g), 0], [0, 0, 8]],
                  pbc=[True, True, False])
    with pytest.raises(ValueError, match=r"best candidate.*strain .*ortho_tolerance") as err:
        cz.sim.orthogonalize(atoms)
    assert "cz_atoms_orthogonalize" in str(err.value)
    with pytest.raises(ValueError, match="best candidate"):
        cz.sim.exit_wave(atoms, grid=64, **FAST)
    ortho, info = cz.sim.orthogonalize(atoms, ortho_tolerance=1e-2)
    assert 0 < info["strain"] <= 1e-2 and len(ortho) == 2 * abs(info["det"])
    (i, j), (k, l) = info["matrix"]
    a, b = atoms.cell.array[0, :2], atoms.cell.array[1, :2]
    A, B = i * a + j * b, k * a + l * b
    assert info["strain"] == pytest.approx(abs(A @ B) / abs(A[0] * B[1] - A[1] * B[0]), rel=1e-9)
    # The smallest such supercell: no matrix with entries in [-20, 20] and a smaller |det|
    # has strain <= 1e-2 (exhaustive, vectorised).
    r = np.arange(-20, 21)
    I, J, K, L = np.meshgrid(r, r, r, r, indexing="ij", sparse=True)
    det = I * L - J * K
    S = a[0] * b[1] - a[1] * b[0]
    gram = (a @ a, a @ b, b @ b)
    ab = I * K * gram[0] + (I * L + J * K) * gram[1] + J * L * gram[2]
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (det * np.sign(S) > 0) & (np.abs(ab) <= 1e-2 * np.abs(det) * abs(S))
    assert abs(info["det"]) == np.min(np.abs(det)[ok])
    sim = cz.sim.Simulator.from_atoms(atoms, ortho_tolerance=1e-2, grid=64, **FAST)
    assert sim.ortho["strain"] == info["strain"]


def test_bad_cells_for_orthogonalize():
    with pytest.raises(ValueError, match="z component"):
        cz.sim.orthogonalize(Atoms("C", positions=[(0, 0, 0)],
                                   cell=[[3, 0, 0.5], [0, 3, 0], [0, 0, 5]]))
    with pytest.raises(ValueError, match="parallel"):
        cz.sim.orthogonalize(Atoms("C", positions=[(0, 0, 0)],
                                   cell=[[3, 1, 0], [6, 2, 0], [0, 0, 5]]))
    with pytest.raises(TypeError, match="ase.Atoms"):
        cz.sim.orthogonalize("graphene")


def _spots(wave, hk):
    """|FFT(wave)| at reciprocal-lattice points (h/Lx, k/Ly) of the grid."""
    f = np.abs(np.fft.fft2(np.asarray(wave, dtype=np.complex128)))
    ny, nx = f.shape
    return np.array([f[k % ny, h % nx] for h, k in hk])


def test_mos2_cli_image_matches_ase_supercell_and_is_sixfold(tmp_path):
    """`cz image` on the hexagonal MoS₂ extxyz ASE writes simulates the same structure as
    cz.sim on ASE's own orthogonal supercell, records the supercell, and the exit wave's
    diffraction spots have the hexagonal lattice's six-fold symmetry."""
    cz_bin = os.environ.get("CZ_BIN")
    if not cz_bin:
        pytest.skip("CZ_BIN (the built cz program) is set by ctest")
    import ase.io
    import h5py
    from ase.build import make_supercell, mx2

    atoms = mx2("MoS2", a=3.18, thickness=3.19, vacuum=4.0).repeat((2, 2, 1))
    path = tmp_path / "mos2.xyz"
    ase.io.write(path, atoms, format="extxyz")
    atoms = ase.io.read(path)  # exactly the positions the command line reads
    out = tmp_path / "mos2.h5"
    done = subprocess.run([cz_bin, "image", str(path), "-o", str(out), "--sampling", "0.08",
                           "--slice", "2", "--fftw", "estimate", "--wisdom", ""],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "orthogonal supercell [[1,0],[1,2]] (2 cells" in done.stdout
    ref = make_supercell(atoms, [[1, 0, 0], [1, 2, 0], [0, 0, 1]])
    ref.wrap()
    mine = cz.sim.exit_wave(ref, sampling=0.08, slice_thickness=2, **FAST)
    with h5py.File(out, "r") as f:
        wave = f["exit_wave"][()]
        assert f.attrs["ortho_matrix"].tolist() == [[1, 0], [1, 2]]
        assert f.attrs["ortho_det"] == 2 and f.attrs["ortho_rotation_deg"] == 0
        assert f.attrs["ortho_strain"] < 1e-12
        assert np.allclose(f.attrs["ortho_input_cell_a"], atoms.cell.array)
        assert np.allclose(f.attrs["cell_a"], ref.cell.array, atol=1e-12)
        assert f.attrs["n_atoms"] == len(ref)
        assert np.allclose(_sorted_rows(f["atoms/positions_a"][()], ref.cell.array),
                           _sorted_rows(ref.positions, ref.cell.array), atol=1e-9)
    assert wave.shape == mine.shape
    assert _rms(wave, mine) < 1e-6
    # Six-fold spots: the supercell is 2a × 2a√3, so the first ring of the hexagonal lattice
    # (|g| = 2 / (a√3)) is at (h, k) = (0, ±4), (±2, ±2), the second (|g| = 2 / a) at (±4, 0),
    # (±2, ±6); the spots of each ring agree within a few per cent.
    for ring in ([(0, 4), (0, -4), (2, 2), (-2, -2), (2, -2), (-2, 2)],
                 [(4, 0), (-4, 0), (2, 6), (-2, -6), (2, -6), (-2, 6)]):
        amp = _spots(wave, ring)
        assert amp.min() > 1e-3 * np.abs(np.fft.fft2(wave)).max()
        assert (amp.max() - amp.min()) / amp.mean() < 0.03, amp
    # Points off the hexagonal lattice (odd h + k/2 mixes) stay dark.
    dark = _spots(wave, [(1, 0), (0, 1), (1, 1), (1, 2)])
    assert dark.max() < 1e-3 * _spots(wave, [(0, 4)])[0]
