"""cz.sim beyond one exit wave: frozen phonons, explicit incoherent sums, the camera and ground
truth (masks, id maps, phase mask, atom columns) on the images' geometry, and the same through
`cz image` into HDF5.

Grids stay at or below 160² (0.1 Å pixels on boxes of about 14 Å), FFTW plans with ESTIMATE
and no wisdom file.
"""

import os
import subprocess

import numpy as np
import pytest
from ase import Atoms

import cz

FAST = {"fftw": "estimate", "wisdom": ""}
"""Planner options for every test: quick planning, no wisdom file written."""

SIM = {"sampling": 0.1, **FAST}


def labelled_particle():
    """A 55-atom Au particle (class 1, object 1) with three C atoms below it (class 2, object 2)
    in a 15.3 Å box; every atom 3 Å or more from the faces along z."""
    atoms = cz.fill(cz.Lattice.prototype("fcc", "Au", a=4.08), cz.Sphere(6.0))
    atoms.arrays["object_id"][:] = 1
    atoms.center(vacuum=3.5)
    atoms.cell[2, 2] += 1.0
    carbon = Atoms("C3", positions=[(1.2, 1.3, 1.0), (2.6, 1.4, 1.2), (1.9, 2.6, 0.8)])
    carbon.arrays["object_id"] = np.full(3, 2)
    carbon.arrays["grain_id"] = np.zeros(3, int)
    carbon.arrays["class_id"] = np.full(3, 2)
    atoms.positions[:, 2] += 1.0
    atoms.extend(carbon)
    assert set(atoms.arrays["class_id"]) == {1, 2}
    return atoms


def gold_particle():
    atoms = labelled_particle()
    return atoms[atoms.arrays["class_id"] == 1]


def blob_centroid(weights):
    """Centroid (x, y) in pixels of a non-negative weight image (ny, nx)."""
    ny, nx = weights.shape
    total = weights.sum()
    return (np.sum(weights.sum(axis=0) * np.arange(nx)) / total,
            np.sum(weights.sum(axis=1) * np.arange(ny)) / total)


# ---- frozen phonons -----------------------------------------------------------------------------


def test_phonon_average_is_the_mean_of_the_configurations_and_differs_from_static():
    atoms = gold_particle()
    sim = cz.sim.Simulator.from_atoms(atoms, **SIM)
    waves = sim.frozen_phonon_waves(4, {"Au": 0.1}, seed=11)
    assert isinstance(waves, cz.sim.ExitWave) and waves.shape == (4, *sim.shape)
    assert waves.dtype == np.complex64
    assert waves.params["phonons"]["configurations"] == 4
    lens = {"defocus": 60.0, "cs_mm": 1.2, "aperture_mrad": 20.0}
    average = cz.sim.image(waves, **lens)
    each = np.mean([cz.sim.image(waves[k], **lens) for k in range(4)], axis=0)
    assert average.shape == sim.shape
    assert np.max(np.abs(average - each)) < 1e-6
    static = sim.image(sim.exit_wave(), **lens)
    assert np.max(np.abs(average - static)) > 0.02  # thermal diffuse scattering moves intensity
    assert abs(average.mean() - static.mean()) < 0.02
    # The configurations differ from each other; the simulator keeps the static atoms.
    assert not np.allclose(waves[0], waves[1])
    assert np.array_equal(sim.exit_wave(), cz.sim.exit_wave(atoms, **SIM))
    # A list of defoci images every configuration for each.
    stack = cz.sim.image(waves, defocus=[0.0, 60.0], cs_mm=1.2, aperture_mrad=20.0)
    assert stack.shape == (2, *sim.shape) and np.array_equal(stack[1], average)


def test_phonons_same_seed_same_bytes_for_one_and_two_threads():
    atoms = gold_particle()
    one = cz.sim.frozen_phonon_waves(atoms, 2, 0.09, seed=7, threads=1, **SIM)
    two = cz.sim.frozen_phonon_waves(atoms, 2, 0.09, seed=7, threads=2, **SIM)
    assert one.tobytes() == two.tobytes()
    other = cz.sim.frozen_phonon_waves(atoms, 2, 0.09, seed=8, threads=2, **SIM)
    assert one.tobytes() != other.tobytes()
    # One number for all elements = the same number by symbol = the same per atom.
    by_symbol = cz.sim.frozen_phonon_waves(atoms, 2, {"Au": 0.09}, seed=7, **SIM)
    per_atom = cz.sim.frozen_phonon_waves(atoms, 2, np.full(len(atoms), 0.09), seed=7, **SIM)
    assert by_symbol.tobytes() == one.tobytes() == per_atom.tobytes()


def test_phonon_displacements_and_errors():
    atoms = labelled_particle()
    pos, z = atoms.positions, atoms.numbers
    table = np.zeros(cz._czsim.ZMAX + 1)
    table[79] = 0.1
    moved = cz._czsim.phonon_displace(pos, z, 3, seed=5, u_rms=table)
    carbon = z == 6
    assert np.array_equal(moved[carbon], pos[carbon])  # no u_rms for C: not displaced
    d = moved[~carbon] - pos[~carbon]
    assert 0.05 < d.std() < 0.15
    flat = cz._czsim.phonon_displace(pos, z, 3, seed=5, u_rms=table,
                                     flags=cz._czsim.PHONON_FIX_Z)
    assert np.array_equal(flat[:, 2], pos[:, 2]) and np.array_equal(flat[:, :2], moved[:, :2])
    with pytest.raises(ValueError, match="unknown element 'Xx'"):
        cz.sim.frozen_phonon_waves(atoms, 2, {"Xx": 0.1}, **SIM)
    with pytest.raises(ValueError, match=r"shape \(58,\)"):
        cz.sim.frozen_phonon_waves(atoms, 2, [0.1, 0.2], **SIM)
    with pytest.raises(ValueError, match="u_rms"):
        cz.sim.frozen_phonon_waves(atoms, 2, -0.1, **SIM)
    with pytest.raises(ValueError, match=">= 1"):
        cz.sim.frozen_phonon_waves(atoms, 0, 0.1, **SIM)
    # A displacement through the exit surface is refused with the atom's index.
    thin = Atoms("Au", positions=[(5.0, 5.0, 0.0)], cell=[10.0, 10.0, 4.0])
    with pytest.raises(ValueError, match="atom 0"):
        cz.sim.frozen_phonon_waves(thin, 4, 0.5, seed=3, grid=64, **FAST)
    ok = cz.sim.frozen_phonon_waves(thin, 4, 0.5, seed=3, fix_z=True, grid=64, **FAST)
    assert ok.shape == (4, 64, 64)


# ---- explicit incoherent sums -------------------------------------------------------------------


def test_explicit_sums_against_envelopes():
    vacuum = cz.sim.exit_wave(Atoms(cell=[9.7, 10.3, 4.0]), grid=(97, 103), **FAST)
    flat = cz.sim.image(vacuum, defocus=120, cs_mm=1.0, focal_spread_sum=(40, 9),
                        convergence_sum=(0.5, 3, "disc"))
    assert np.max(np.abs(flat - 1)) < 1e-5  # the weights of each rule add up to 1

    wave = cz.sim.exit_wave(gold_particle(), **SIM)
    lens = {"defocus": 300.0, "cs_mm": 1.2, "aperture_mrad": 15.0}
    coherent = cz.sim.image(wave, **lens)
    zero = cz.sim.image(wave, focal_spread_sum=0.0, **lens)
    assert np.max(np.abs(zero - coherent)) < 1e-6
    envelope = cz.sim.image(wave, focal_spread=50.0, **lens)
    summed = cz.sim.image(wave, focal_spread_sum=(50.0, 9), **lens)

    def pattern_difference(a, b):
        return np.std((a - a.mean()) - (b - b.mean()))

    # The sum keeps the intensity inside the aperture (every defocus passes the same beams);
    # the envelope also damps the |scattered|² terms and loses some (docs/image.md).
    assert abs(summed.mean() - coherent.mean()) < 1e-6
    assert envelope.mean() < coherent.mean() - 0.003
    # Both damp the interference terms alike: the contrast patterns agree.
    assert pattern_difference(summed, coherent) > 4 * pattern_difference(summed, envelope)
    gauss = cz.sim.image(wave, convergence_sum=(0.5, 3), **lens)
    spatial = cz.sim.image(wave, convergence_mrad=0.5, **lens)
    assert pattern_difference(gauss, coherent) > 2 * pattern_difference(gauss, spatial)
    disc = cz.sim.image(wave, convergence_sum=(0.5, 3, "disc"), **lens)
    assert not np.allclose(gauss, disc)
    with pytest.raises(ValueError, match="disc"):
        cz.sim.image(wave, convergence_sum=(0.5, "cone"))
    with pytest.raises(ValueError, match="focal_points"):
        cz.sim.image(wave, focal_spread_sum=(50.0, 99))


# ---- the camera ---------------------------------------------------------------------------------


def test_detector_counts_follow_the_dose():
    sim = cz.sim.Simulator.from_atoms(gold_particle(), **SIM)
    img = sim.image(sim.exit_wave(), defocus=50.0, cs_mm=1.2, aperture_mrad=20.0)
    dose = 350.0
    cam = cz.sim.Detector(sim.shape, sim.pixel_size, camera_pixel=0.2, dose=dose, counts=True,
                          seed=3)
    counts = cam.image(img)
    ny, nx = cam.shape
    assert counts.shape == (ny, nx)
    assert (nx, ny) == (round(sim.shape[1] / 2), round(sim.shape[0] / 2))
    assert counts.dtype == np.int32 and counts.min() >= 0
    area = cam.pixel_size[0] * cam.pixel_size[1]
    expected = dose * area * img.mean()  # resampling keeps the mean
    assert abs(counts.mean() - expected) < 5 * np.sqrt(expected / counts.size)
    # Same seed and frame: same bytes, for any thread count; another frame: other counts.
    again = cz.sim.detector(img, pixel_size=sim.pixel_size, camera_pixel=0.2, dose=dose,
                            counts=True, seed=3, threads=1)
    assert again.tobytes() == counts.tobytes()
    assert not np.array_equal(cam.image(img, frame=1), counts)
    # Noiseless: the expected counts; without a dose the intensity itself.
    clean = cz.sim.detector(img, pixel_size=sim.pixel_size, camera_pixel=0.2, dose=dose,
                            noiseless=True)
    assert abs(clean.mean() - expected) < 1e-6 * expected
    plain = cz.sim.detector(img, pixel_size=sim.pixel_size)
    assert np.max(np.abs(plain - img)) < 1e-12
    # A stack gets frames 0, 1, ...
    stack = cam.image(np.stack([img, img]))
    assert np.array_equal(stack[0], counts) and np.array_equal(stack[1], cam.image(img, frame=1))
    with pytest.raises(ValueError, match="lorentzian"):
        cz.sim.Detector(sim.shape, sim.pixel_size, mtf="cauchy:0.5")
    with pytest.raises(ValueError, match="read_noise"):
        cz.sim.Detector(sim.shape, sim.pixel_size, read_noise=2.0)
    with pytest.raises(ValueError, match="affine"):
        cz.sim.Detector(sim.shape, sim.pixel_size, distortion="affine:1,0,0")


def test_mtf_damps_the_image_contrast():
    sim = cz.sim.Simulator.from_atoms(gold_particle(), **SIM)
    img = sim.image(sim.exit_wave(), defocus=50.0, cs_mm=1.2)
    sharp = cz.sim.detector(img, pixel_size=sim.pixel_size, camera_pixel=0.15)
    soft = cz.sim.detector(img, pixel_size=sim.pixel_size, camera_pixel=0.15,
                           mtf="lorentzian:0.3,0.05")
    gauss = cz.sim.detector(img, pixel_size=sim.pixel_size, camera_pixel=0.15,
                            mtf=("gaussian", 0.3))
    assert soft.std() < 0.8 * sharp.std() and gauss.std() < 0.8 * sharp.std()
    assert abs(soft.mean() - sharp.mean()) < 1e-6  # MTF(0) = 1


# ---- ground truth -------------------------------------------------------------------------------


def test_masks_cover_the_atoms_and_nothing_far_from_them():
    atoms = labelled_particle()
    sim = cz.sim.Simulator.from_atoms(atoms, **SIM)
    masks, ids = sim.masks(radius=1.2)
    ny, nx = sim.shape
    assert masks.shape == (4, ny, nx) and masks.dtype == np.uint8
    assert ids.shape == (ny, nx) and ids.dtype == np.int32
    dx, dy = sim.pixel_size
    particle = atoms.arrays["class_id"] == 1
    # Every particle atom's projected position lies on the particle mask ...
    i = np.round(atoms.positions[particle, 0] / dx).astype(int) % nx
    j = np.round(atoms.positions[particle, 1] / dy).astype(int) % ny
    assert np.all(masks[1, j, i] == 1) and np.all(ids[j, i] == 1)
    # ... and every mask pixel lies within the radius of an atom of its class.
    for cls, radius in ((1, 1.2), (2, 1.2)):
        jj, ii = np.nonzero(masks[cls])
        xy = np.stack([ii * dx, jj * dy], axis=1)
        where = atoms.positions[atoms.arrays["class_id"] == cls, :2]
        d = np.linalg.norm(xy[:, None, :] - where[None, :, :], axis=2).min(axis=1)
        assert d.max() <= radius + 1e-9
    assert not masks[0].any() and not masks[3].any()
    assert set(np.unique(ids)) == {0, 1, 2}
    assert np.all(masks[1][ids == 1] == 1) and np.all(masks[2][ids == 2] == 1)
    assert np.array_equal(ids > 0, masks.any(axis=0))
    # The one-call form and the class map agree with the simulator's.
    m2, ids2 = cz.sim.masks(atoms, radius=1.2, **SIM)
    assert np.array_equal(m2, masks) and np.array_equal(ids2, ids)
    classes = cz.sim.label_map(atoms, "class_id", radius=1.2, **SIM)
    assert np.array_equal(classes > 0, masks.any(axis=0))
    # Unlabelled atoms: a single channel-0 mask, an empty id map.
    bare = Atoms(atoms.numbers, positions=atoms.positions, cell=atoms.cell)
    m0, ids0 = cz.sim.masks(bare, **SIM)
    assert m0[0].any() and not m0[1:].any() and not ids0.any()


def test_phase_mask_covers_the_particle_columns():
    atoms = labelled_particle()
    sim = cz.sim.Simulator.from_atoms(atoms, **SIM)
    before = sim.exit_wave()
    mask = sim.phase_mask(threshold=0.1)
    assert np.array_equal(sim.exit_wave(), before)  # all atoms are back
    ny, nx = sim.shape
    dx, dy = sim.pixel_size
    cols = sim.columns()
    gold = cols[cols["object_id"] == 1]
    assert np.all(mask[np.round(gold["y_px"]).astype(int) % ny,
                       np.round(gold["x_px"]).astype(int) % nx] == 1)
    jj, ii = np.nonzero(mask)
    xy = np.stack([ii * dx, jj * dy], axis=1)
    where = atoms.positions[atoms.arrays["class_id"] == 1, :2]
    assert np.linalg.norm(xy[:, None] - where[None], axis=2).min(axis=1).max() < 2.5
    # The carbon atoms are not simulated for it: nothing near them alone.
    c = atoms.positions[atoms.arrays["class_id"] == 2, :2].mean(axis=0)
    assert mask[int(round(c[1] / dy)), int(round(c[0] / dx))] == 0
    with pytest.raises(ValueError, match="class_id 3"):
        sim.phase_mask(class_id=3)


def test_columns_table():
    atoms = labelled_particle()
    cols = cz.sim.columns(atoms, **SIM)
    assert cols.dtype == cz.sim.COLUMN_DTYPE
    assert cols["count"].sum() == len(atoms)
    assert set(cols["z"]) == {6, 79} and set(cols["object_id"]) == {1, 2}
    sim = cz.sim.Simulator.from_atoms(atoms, **SIM)
    assert np.allclose(cols["x_a"], cols["x_px"] * sim.pixel_size[0])
    assert np.all(np.diff(cols["y_px"]) >= 0)
    wide = cz.sim.columns(atoms, column_tol=5.0, **SIM)
    assert len(wide) < len(cols)


def test_labels_follow_the_camera_distortion():
    """After a distortion and resampling the mask's centroid stays on the image's dark blob,
    and the columns land inside the mask, while the blob itself moved by several pixels."""
    atoms = gold_particle()
    sim = cz.sim.Simulator.from_atoms(atoms, **SIM)
    img = sim.image(sim.exit_wave(), aperture_mrad=8.0)  # an aperture makes the particle dark
    camera = {"camera_pixel": 0.16, "distortion": {"affine": (1.04, 0.03, -0.02, 0.97),
                                                   "shift": (0.9, -0.6), "radial": 0.04}}
    cam = cz.sim.Detector(sim.shape, sim.pixel_size, **camera)
    frame = cam.image(img)
    masks, ids = sim.masks(radius=1.5, camera=cam)
    assert masks.shape == (4, *cam.shape) and ids.shape == cam.shape
    dark = np.clip(1.0 - frame, 0, None)
    dark[dark < 0.2 * dark.max()] = 0
    blob = np.array(blob_centroid(dark))
    mask = np.array(blob_centroid(masks[1].astype(float)))
    assert np.linalg.norm(blob - mask) < 1.0, (blob, mask)
    plain = cz.sim.Detector(sim.shape, sim.pixel_size, camera_pixel=0.16)
    moved = np.array(blob_centroid(plain.labels(sim.masks(radius=1.5)[0])[1].astype(float)))
    assert np.linalg.norm(moved - mask) > 4.0  # the distortion moved the particle
    # The same camera as a dict of options gives the same labels.
    m2, _ = sim.masks(radius=1.5, camera=camera)
    assert np.array_equal(m2, masks)
    # Columns land on the distorted mask; their mean is its centroid.
    cols = sim.columns(camera=cam)
    ny, nx = cam.shape
    assert len(cols) == len(sim.columns())  # nothing duplicated or lost for this mild distortion
    assert np.all(masks[1, np.round(cols["y_px"]).astype(int), np.round(cols["x_px"]).astype(int)])
    weights = cols["count"] / cols["count"].sum()
    centre = np.array([np.sum(weights * cols["x_px"]), np.sum(weights * cols["y_px"])])
    assert np.linalg.norm(centre - mask) < 1.0
    # Phase mask through the same camera.
    labelled = atoms.copy()
    pm = cz.sim.phase_mask(labelled, camera=camera, **SIM)
    assert pm.shape == cam.shape
    assert np.linalg.norm(np.array(blob_centroid(pm.astype(float))) - mask) < 1.0


def test_locate_inverts_the_distortion():
    cam = cz.sim.Detector((120, 130), (0.11, 0.1), camera_grid=(96, 100),
                          distortion=["affine:0.98,0.02,0.01,1.03,0.4,-0.7", "radial:-0.03"])
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 1, (50, 2)) * [14.3, 12.0]
    pixels, index = cam.locate(xy)
    assert len(pixels) >= 40 and pixels.shape == (len(index), 2)
    assert np.all(pixels >= -0.5) and np.all(pixels < [96 - 0.5, 100 - 0.5])
    # Forward map of the camera positions gives the points back (modulo the field).
    lx, ly = 14.3, 12.0
    r = pixels * cam.pixel_size - [lx / 2, ly / 2]
    f = 1 - 0.03 * np.sum(r * r, axis=1) / (min(lx, ly) / 2) ** 2
    s = [lx / 2, ly / 2] + f[:, None] * (r @ cam.affine.T) + [0.4, -0.7]
    d = (s - xy[index] + [lx / 2, ly / 2]) % [lx, ly] - [lx / 2, ly / 2]
    assert np.max(np.abs(d)) < 1e-9
    # Periodic images of the points give the same appearances.
    again, index2 = cam.locate(xy + [[3 * lx, -2 * ly]])
    assert np.array_equal(index2, index) and np.max(np.abs(again - pixels)) < 1e-9
    # The binding takes input pixel coordinates (cz_sim_detector_locate).
    raw, raw_index = cz._czsim.detector_locate(cam._det, xy / [0.11, 0.1])
    assert np.array_equal(raw_index, index) and np.array_equal(raw, pixels)
    assert raw_index.dtype == np.int64 and raw.shape == (len(index), 2)
    empty, none = cam.locate(np.zeros((0, 2)))
    assert empty.shape == (0, 2) and none.shape == (0,)


def test_locate_repeats_points_of_a_shrunk_specimen_and_refuses_bad_points():
    """A distortion that shows more than one field (|A| > 1) shows every point several times
    (each maps back onto the point); non-finite points and a singular matrix are refused."""
    shrink = cz.sim.Detector((64, 72), (0.2113, 0.1987), distortion="affine:2.2,0.02,-0.03,2.17")
    xy = np.array([[4.1, 9.3], [11.7, 2.2], [0.0, 0.0]])
    pixels, index = shrink.locate(xy)
    assert np.all(np.bincount(index, minlength=3) >= 4)
    with pytest.raises(ValueError, match=r"cz_sim_detector_locate: point 1 is not finite"):
        shrink.locate([[1.0, 2.0], [np.nan, 3.0]])
    with pytest.raises(ValueError, match=r"points must have shape \(n, 2\)"):
        cz._czsim.detector_locate(shrink._det, np.zeros((3, 3)))
    flat = cz.sim.Detector((64, 72), (0.2113, 0.1987), distortion="affine:1,2,0.5,1")
    with pytest.raises(ValueError, match="singular"):
        flat.locate(xy)


def test_columns_of_a_shrunk_specimen_appear_several_times():
    """Columns on a camera that shows about four fields: every column appears, several times,
    each appearance at a camera position that shows it."""
    atoms = gold_particle()
    sim = cz.sim.Simulator.from_atoms(atoms, **SIM)
    camera = {"distortion": "affine:1.9,0.05,-0.04,2.05,1.5,-2.5"}
    cols, plain = sim.columns(camera=camera), sim.columns()
    assert len(cols) > 3 * len(plain)
    keys = set(zip(plain["x_a"], plain["y_a"]))
    assert set(zip(cols["x_a"], cols["y_a"])) == keys
    assert np.all(np.diff(cols["y_px"]) >= 0)


# ---- agreement with `cz image` ------------------------------------------------------------------


def test_cli_hdf5_agrees_with_python(tmp_path):
    cz_bin = os.environ.get("CZ_BIN")
    if not cz_bin:
        pytest.skip("CZ_BIN (the built cz program) is set by ctest")
    import h5py  # Debian: python3-h5py

    path = tmp_path / "scene.xyz"
    cz.write(str(path), labelled_particle())
    atoms = cz.read(str(path))
    args = [cz_bin, "image", str(path), "-o", str(tmp_path / "gt.h5"), "--sampling", "0.1",
            "--fftw", "estimate", "--wisdom", "", "--cs-mm", "1.2", "--defocus", "0,80",
            "--aperture-mrad", "20", "--phonons", "3", "--u-rms", "Au=0.08,C=0.1", "--seed", "9",
            "--keep-waves", "--focal-spread-sum", "30,3", "--camera-pixel", "0.2",
            "--mtf", "lorentzian:0.5,0.1", "--dose", "400", "--counts",
            "--distortion", "affine:1.02,0.01,0,0.99,0.3,-0.2", "--distortion", "radial:0.02",
            "--write-noiseless", "--masks", "--mask-radius", "1.2", "--phase-mask",
            "--columns"]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr

    sim = cz.sim.Simulator.from_atoms(atoms, **SIM)
    waves = sim.frozen_phonon_waves(3, {"Au": 0.08, "C": 0.1}, seed=9)
    lens = {"cs_mm": 1.2, "aperture_mrad": 20, "focal_spread_sum": (30, 3)}
    images = cz.sim.image(waves, defocus=[0, 80], **lens)
    camera = {"camera_pixel": 0.2, "mtf": "lorentzian:0.5,0.1", "dose": 400, "seed": 9,
              "distortion": ["affine:1.02,0.01,0,0.99,0.3,-0.2", "radial:0.02"]}
    cam = cz.sim.Detector(sim.shape, sim.pixel_size, counts=True, **camera)
    clean = cz.sim.Detector(sim.shape, sim.pixel_size, noiseless=True, **camera).image(images)
    masks, ids = sim.masks(radius=1.2, camera=cam)
    with h5py.File(tmp_path / "gt.h5", "r") as f:
        a = f.attrs
        assert a["phonon_configurations"] == 3 and a["phonon_seed"] == 9
        assert a["phonon_u_rms_a"][79] == 0.08 and a["phonon_u_rms_a"][6] == 0.1
        assert a["image_grid"] == "camera" and a["dose_e_per_a2"] == 400
        assert (a["camera_nx"], a["camera_ny"]) == (cam.shape[1], cam.shape[0])
        assert a["camera_pixel_size_x_a"] == pytest.approx(cam.pixel_size[0], rel=1e-12)
        assert a["mtf"] == "lorentzian" and a["mtf_q0_nyquist"] == 0.5
        assert np.allclose(a["distortion_affine"], [[1.02, 0.01], [0, 0.99]])
        assert np.allclose(a["distortion_shift_a"], [0.3, -0.2]) and a["integer_counts"] == 1
        assert "exit_wave" not in f
        their_waves = f["exit_waves"][()]
        assert their_waves.shape == waves.shape and np.max(np.abs(their_waves - waves)) < 1e-6
        im = f["images"]
        assert im.dtype == np.int32 and im.shape == (2, *cam.shape)
        assert np.all(im.attrs["focal_spread_sum_a"] == 30)
        assert np.all(im.attrs["focal_points"] == 3)
        assert im.attrs["units"] == "electrons per pixel"
        theirs = f["images_noiseless"][()]
        assert np.max(np.abs(theirs - clean)) < 1e-5 * clean.max()
        # Counts: Poisson draws keyed by (seed, frame, pixel) from the same expectations.
        counts = cam.image(images)
        assert np.mean(im[()] == counts) > 0.999
        lab = f["labels"]
        assert np.array_equal(lab["masks"][()], masks) and np.array_equal(lab["object_id"][()], ids)
        assert lab["masks"].attrs["radius_a"] == 1.2
        assert lab["masks"].attrs["class_names"].split(",")[:2] == ["none", "particle"]
        assert np.array_equal(lab["phase_mask"][()], sim.phase_mask(camera=cam))
        assert lab["phase_mask"].attrs["threshold_rad"] == 0.1
        cols = lab["columns"][()]
        mine = sim.columns(camera=cam)
        assert cols.dtype.names == mine.dtype.names and len(cols) == len(mine)
        # One function (cz_sim_detector_locate) places the columns for both: the same bits.
        for name in ("x_px", "y_px", "x_a", "y_a"):
            assert np.array_equal(cols[name], mine[name]), name
        for name in ("z", "object_id", "count"):
            assert np.array_equal(cols[name], mine[name])


def test_cli_phonon_images_are_the_mean_of_the_configurations(tmp_path):
    """`cz image --phonons N --keep-waves`: each image is the mean over the stored
    configurations' images (1e-6), and the waves are cz.sim's."""
    cz_bin = os.environ.get("CZ_BIN")
    if not cz_bin:
        pytest.skip("CZ_BIN (the built cz program) is set by ctest")
    import h5py

    path = tmp_path / "au.xyz"
    cz.write(str(path), gold_particle())
    atoms = cz.read(str(path))
    args = [cz_bin, "image", str(path), "-o", str(tmp_path / "fp.h5"), "--sampling", "0.1",
            "--fftw", "estimate", "--wisdom", "", "--cs-mm", "-0.02", "--defocus", "-50,50",
            "--aperture-mrad", "25", "--phonons", "3", "--u-rms", "0.1", "--seed", "2",
            "--keep-waves"]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    with h5py.File(tmp_path / "fp.h5", "r") as f:
        waves, images = f["exit_waves"][()], f["images"][()]
        assert f.attrs["image_grid"] == "simulation"
    mine = cz.sim.frozen_phonon_waves(atoms, 3, 0.1, seed=2, **SIM)
    assert waves.tobytes() == np.asarray(mine).tobytes()
    lens = {"cs_mm": -0.02, "aperture_mrad": 25}
    for k, df in enumerate((-50, 50)):
        each = [cz.sim.image(waves[c], cell=atoms.cell, defocus=df, **lens, **FAST)
                for c in range(3)]
        assert np.max(np.abs(images[k] - np.mean(each, axis=0))) < 1e-6 * np.max(images[k])
