#!/usr/bin/env bash
# test_image_gt.sh — `cz image` beyond one exit wave: frozen phonons (averaged images, kept
# waves, same bytes for 1 and 2 threads), explicit focal-spread and convergence sums, the camera
# (resampling, MTF, dose and Poisson counts, integer output, distortion, noiseless frames) and
# ground truth (masks, id maps, phase mask, atom columns) on the camera's geometry, all read back
# with h5py; the same options from YAML; one-line errors for options that need each other.
# Usage: bash test_image_gt.sh <path-to-cz> <tmpdir>
set -u
. "$(dirname "$0")/common.sh"

PY=/usr/bin/python3
export CZ_FFTW_WISDOM="$WORK/fftw-wisdom-f"

if ! "$PY" -c 'import h5py' 2>/dev/null; then
    fail "h5py is not importable by $PY (Debian package python3-h5py)"
    finish
fi

# expect_fail DESCRIPTION CODE PATTERN ARGS...: exit CODE, one stderr line "cz image: ...PATTERN".
expect_fail() {
    local what=$1 code=$2 pattern=$3
    shift 3
    run "$@"
    local lines
    lines=$(printf '%s' "$ERR" | grep -c '')
    if [ "$RC" -eq "$code" ] && [ "$lines" -eq 1 ] && [ -z "$OUT" ] &&
        printf '%s\n' "$ERR" | grep -Eq "^cz image: .*$pattern"; then
        pass
    else
        fail "$what: exit $RC (want $code), $lines stderr line(s): $ERR"
    fi
}

# py NAME ARGS...: run the Python check on stdin; it prints OK or the failures.
py() {
    local name=$1
    shift
    "$PY" - "$@" >"$WORK/$name" 2>&1
    check "$name ($(tr '\n' ' ' <"$WORK/$name"))" grep -qx OK "$WORK/$name"
}

# A 55-atom Au particle (class_id 1 = particle, object_id 1) with 3.5 Å of vacuum: 152² at 0.1 Å.
expect_ok "build the particle" build --lattice fcc --element Au -a 4.08 --sphere 6 --vacuum 3.5 \
    -o "$WORK/au.xyz"

COMMON=(--sampling 0.1 --slice 2 --fftw estimate --wisdom "" --cs-mm 1.2 --defocus 0,60
    --aperture-mrad 20)
PHONONS=(--phonons 3 --u-rms Au=0.09 --seed 17)
CAMERA=(--camera-pixel 0.2 --mtf lorentzian:0.5,0.1 --dose 300 --counts --read-noise 0.5
    --distortion affine:1.03,0.02,-0.01,0.98,0.4,-0.3 --distortion radial:0.03)

# ---- everything at once ---------------------------------------------------------------------------
expect_ok "static" image "$WORK/au.xyz" -o "$WORK/static.h5" "${COMMON[@]}"
expect_ok "phonons, camera, labels" image "$WORK/au.xyz" -o "$WORK/all.h5" "${COMMON[@]}" \
    "${PHONONS[@]}" --keep-waves "${CAMERA[@]}" --write-noiseless --masks --mask-radius 1.2 \
    --phase-mask --phase-threshold 0.12 --columns --threads 2
check "summary names configurations, camera and columns" \
    grep -Eq "2 images; wrote .*all.h5; 3 phonon configurations; camera 76 x 76 .*; [0-9]+ columns$" \
    "$WORK/stdout"
expect_ok "phonons without camera" image "$WORK/au.xyz" -o "$WORK/fp.h5" "${COMMON[@]}" \
    "${PHONONS[@]}"

py content "$WORK/all.h5" "$WORK/static.h5" "$WORK/fp.h5" <<'PY'
import sys
import h5py
import numpy as np

ok = True


def check(cond, what):
    global ok
    if not cond:
        ok = False
        print("FAIL:", what)


with h5py.File(sys.argv[1]) as f, h5py.File(sys.argv[2]) as s, h5py.File(sys.argv[3]) as p:
    a = f.attrs
    nx, ny = int(a["nx"]), int(a["ny"])
    cnx, cny = int(a["camera_nx"]), int(a["camera_ny"])
    check((cnx, cny) == (round(nx / 2), round(ny / 2)), f"camera grid {cnx} x {cny}")
    for key in ("phonon_configurations", "phonon_seed", "phonon_u_rms_a", "phonon_fix_z",
                "camera_pixel_size_x_a", "camera_pixel_size_y_a",
                "camera_pixel_size_requested_a", "mtf", "mtf_q0_nyquist", "mtf_floor",
                "dose_e_per_a2", "read_noise_counts", "integer_counts", "distortion_affine",
                "distortion_shift_a", "distortion_radial_k1", "noise_seed", "image_grid",
                "projection", "tilt_mrad", "tilt_azimuth_deg"):
        check(key in a, f"root attribute {key}")
    check(a["image_grid"] == "camera" and s.attrs["image_grid"] == "simulation", "image_grid")
    check(a["phonon_configurations"] == 3 and a["phonon_u_rms_a"][79] == 0.09, "phonons")
    check(a["phonon_u_rms_a"][6] == 0 and a["noise_seed"] == 17, "u_rms of C, noise seed")
    check(a["dose_e_per_a2"] == 300 and a["read_noise_counts"] == 0.5, "dose, read noise")
    check(np.allclose(a["distortion_affine"], [[1.03, 0.02], [-0.01, 0.98]]), "affine")
    check(np.allclose(a["distortion_shift_a"], [0.4, -0.3]) and a["distortion_radial_k1"] == 0.03,
          "shift, k1")
    check("exit_wave" not in f and "exit_wave" in s, "/exit_wave only for the static run")
    w = f["exit_waves"]
    check(w.shape == (3, ny, nx) and w.dtype == np.complex64, f"exit_waves {w.shape} {w.dtype}")
    waves = w[()]
    check(not np.allclose(waves[0], waves[1]), "configurations differ")

    im = f["images"]
    check(im.shape == (2, cny, cnx) and im.dtype == np.int32, f"images {im.shape} {im.dtype}")
    check(im.attrs["units"] == "electrons per pixel", "units of counts")
    for key in ("focal_spread_sum_a", "focal_points", "convergence_sum_mrad", "tilt_points",
                "tilt_disc"):
        check(key in im.attrs and len(im.attrs[key]) == 2, f"images attribute {key}")
    counts = im[()].astype(np.float64)
    clean = f["images_noiseless"][()].astype(np.float64)
    check(clean.shape == counts.shape and counts.min() >= 0, "noiseless frames")
    # Poisson + read noise: the mean counts are the expected counts, dose·pixel area·<I>.
    area = a["camera_pixel_size_x_a"] * a["camera_pixel_size_y_a"]
    for k in range(2):
        lam = clean[k].mean()
        mean_i = p["images"][k].astype(np.float64).mean()
        check(abs(lam - 300 * area * mean_i) < 0.01 * lam,
              f"expected counts {lam} vs dose*area*<I> {300 * area * mean_i}")
        sd = np.sqrt((lam + 0.25) / counts[k].size)
        check(abs(counts[k].mean() - lam) < 5 * sd, f"mean counts {counts[k].mean()} vs {lam}")
    # Frozen phonons change the image; the average keeps the mean intensity.
    fp, st = p["images"][()], s["images"][()]
    check(np.max(np.abs(fp - st)) > 0.02, "phonon-averaged image differs from the static one")
    check(abs(fp.mean() - st.mean()) < 0.02, "and keeps the mean intensity")
    check(p.attrs["image_grid"] == "simulation" and "exit_waves" not in p, "no camera, no waves")

    lab = f["labels"]
    masks, ids = lab["masks"][()], lab["object_id"][()]
    check(masks.shape == (4, cny, cnx) and masks.dtype == np.uint8, f"masks {masks.shape}")
    check(lab["masks"].attrs["radius_a"] == 1.2, "radius_a")
    check(lab["masks"].attrs["class_names"] == "none,particle,substrate,ligand", "class names")
    check(ids.dtype == np.int32 and set(np.unique(ids)) == {0, 1}, "object-id map")
    check(np.array_equal(lab["class_id"][()] > 0, masks[1] == 1), "class map = particle mask")
    check(not masks[0].any() and not masks[2:].any(), "only the particle channel is set")
    pm = lab["phase_mask"][()]
    check(pm.shape == (cny, cnx) and lab["phase_mask"].attrs["threshold_rad"] == 0.12,
          "phase mask")
    check(lab["phase_mask"].attrs["n_atoms"] == 55, "phase mask of all 55 particle atoms")
    cols = lab["columns"][()]
    check(cols.dtype.names == ("x_px", "y_px", "x_a", "y_a", "z", "object_id", "count"),
          f"column fields {cols.dtype.names}")
    check(cols["count"].sum() == 55 and np.all(cols["z"] == 79), "columns hold every atom")
    check(lab["columns"].attrs["column_tol_a"] == 0.3, "column_tol_a")
    # Labels follow the distorted camera: every column on the masks, the masks on the dark blob.
    i, j = np.round(cols["x_px"]).astype(int), np.round(cols["y_px"]).astype(int)
    check(np.all(masks[1, j, i] == 1) and np.all(pm[j, i] == 1), "columns lie on the masks")
    yy, xx = np.mgrid[0:cny, 0:cnx]
    m = masks[1].astype(float)
    centre = np.array([(xx * m).sum(), (yy * m).sum()]) / m.sum()
    dark = np.clip(clean[0].mean() - clean[0], 0, None)
    dark[dark < 0.3 * dark.max()] = 0
    blob = np.array([(xx * dark).sum(), (yy * dark).sum()]) / dark.sum()
    check(np.linalg.norm(blob - centre) < 1.0, f"dark blob {blob} vs mask centroid {centre}")
print("OK" if ok else "BAD")
PY

# ---- determinism: same seed, same bytes for 1 and 2 threads; another seed differs ----------------
expect_ok "one thread" image "$WORK/au.xyz" -o "$WORK/t1.h5" "${COMMON[@]}" "${PHONONS[@]}" \
    --keep-waves "${CAMERA[@]}" --write-noiseless --masks --mask-radius 1.2 --phase-mask \
    --phase-threshold 0.12 --columns --threads 1
expect_ok "another seed" image "$WORK/au.xyz" -o "$WORK/s18.h5" "${COMMON[@]}" \
    --phonons 3 --u-rms Au=0.09 --seed 18 --keep-waves "${CAMERA[@]}" --threads 2
py determinism "$WORK/all.h5" "$WORK/t1.h5" "$WORK/s18.h5" <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1]) as a, h5py.File(sys.argv[2]) as b, h5py.File(sys.argv[3]) as c:
    names = ["exit_waves", "images", "images_noiseless", "labels/masks", "labels/object_id",
             "labels/phase_mask", "labels/columns"]
    same = [n for n in names if a[n][()].tobytes() == b[n][()].tobytes()]
    other = [n for n in ("exit_waves", "images") if a[n][()].tobytes() != c[n][()].tobytes()]
    print("OK" if len(same) == len(names) and len(other) == 2
          else f"same: {same}; differ with another seed: {other}")
PY

# ---- explicit sums ---------------------------------------------------------------------------------
expect_ok "explicit sums" image "$WORK/au.xyz" -o "$WORK/sums.h5" "${COMMON[@]}" \
    --focal-spread-sum 40,5 --convergence-sum 0.3,2,disc
expect_ok "envelopes" image "$WORK/au.xyz" -o "$WORK/env.h5" "${COMMON[@]}" \
    --focal-spread 40 --convergence-mrad 0.3
py sums "$WORK/sums.h5" "$WORK/env.h5" "$WORK/static.h5" <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1]) as s, h5py.File(sys.argv[2]) as e, h5py.File(sys.argv[3]) as c:
    ia = s["images"].attrs
    good = (np.all(ia["focal_spread_sum_a"] == 40) and np.all(ia["focal_points"] == 5)
            and np.all(ia["convergence_sum_mrad"] == 0.3) and np.all(ia["tilt_points"] == 2)
            and np.all(ia["tilt_disc"] == 1) and np.all(ia["focal_spread_a"] == 0))
    good &= np.all(e["images"].attrs["focal_points"] == 7)  # the default, unused
    si, ei, ci = (f["images"][()].astype(np.float64) for f in (s, e, c))
    good &= not np.allclose(si, ci, atol=1e-3) and not np.allclose(si, ei, atol=1e-3)
    print("OK" if good else f"BAD attrs {dict(ia)}")
PY

# ---- YAML: mappings and lists for the repeatable options -------------------------------------------
cat >"$WORK/gt.yaml" <<YAML
structure: $WORK/au.xyz
output: $WORK/cfg.h5
sampling: 0.1
slice: 2
fftw: estimate
wisdom: ""
cs_mm: 1.2
defocus: [0, 60]
aperture_mrad: 20
phonons: 3
u_rms: {Au: 0.09}
seed: 17
keep_waves: true
camera_pixel: 0.2
mtf: "lorentzian:0.5,0.1"
dose: 300
counts: true
read_noise: 0.5
distortion: ["affine:1.03,0.02,-0.01,0.98,0.4,-0.3", "radial:0.03"]
write_noiseless: true
masks: true
mask_radius: 1.2
phase_mask: true
phase_threshold: 0.12
columns: true
threads: 1
YAML
expect_ok "image --config" image --config "$WORK/gt.yaml"
py config "$WORK/t1.h5" "$WORK/cfg.h5" <<'PY'
import sys
import h5py
with h5py.File(sys.argv[1]) as a, h5py.File(sys.argv[2]) as b:
    names = ["exit_waves", "images", "images_noiseless", "labels/masks", "labels/phase_mask",
             "labels/columns"]
    bad = [n for n in names if a[n][()].tobytes() != b[n][()].tobytes()]
    print("OK" if not bad else f"differ: {bad}")
PY
printf 'distortion: {affine: [1.03, 0.02, -0.01, 0.98, 0.4, -0.3], radial: 0.03}\n' \
    >"$WORK/map.yaml"
expect_ok "distortion as a YAML mapping" image "$WORK/au.xyz" -o "$WORK/map.h5" "${COMMON[@]}" \
    --config "$WORK/map.yaml"
"$PY" -c 'import sys, h5py; a = h5py.File(sys.argv[1]).attrs; '\
'print("OK" if a["distortion_radial_k1"] == 0.03 and a["distortion_affine"][0, 1] == 0.02 '\
'else "BAD")' "$WORK/map.h5" >"$WORK/mapcheck" 2>&1
check "distortion mapping applied ($(cat "$WORK/mapcheck"))" grep -qx OK "$WORK/mapcheck"

# ---- options that need each other; bad values ---------------------------------------------------------
A=("$WORK/au.xyz" -o "$WORK/bad.h5" --sampling 0.1 --fftw estimate --wisdom "")
expect_fail "phonons without u_rms" 2 "--phonons 3 needs --u-rms" image "${A[@]}" --phonons 3
expect_fail "u_rms without phonons" 2 "--u-rms needs --phonons" image "${A[@]}" --u-rms 0.1
expect_fail "keep-waves without phonons" 2 "--keep-waves needs --phonons" image "${A[@]}" \
    --keep-waves
expect_fail "unknown element" 2 "--u-rms" image "${A[@]}" --phonons 2 --u-rms Xx=0.1
expect_fail "negative u_rms" 2 "u_rms must be >= 0" image "${A[@]}" --phonons 2 --u-rms Au=-1
expect_fail "envelope and sum" 2 "give one" image "${A[@]}" --focal-spread 30 \
    --focal-spread-sum 30
expect_fail "too many focal points" 2 "--focal-spread-sum" image "${A[@]}" \
    --focal-spread-sum 30,100
expect_fail "unknown tilt distribution" 2 "gaussian or disc" image "${A[@]}" \
    --convergence-sum 0.3,cone
expect_fail "counts without dose" 2 "--counts needs --dose" image "${A[@]}" --counts
expect_fail "read noise without dose" 2 "--read-noise needs --dose" image "${A[@]}" \
    --read-noise 1
expect_fail "noiseless without dose" 2 "--write-noiseless needs --dose" image "${A[@]}" \
    --write-noiseless
expect_fail "unknown MTF" 2 "lorentzian:Q0" image "${A[@]}" --mtf cauchy:0.5
expect_fail "MTF floor" 2 "floor in \\[0, 1\\)" image "${A[@]}" --mtf gaussian:0.5,1.5
expect_fail "bad distortion" 2 "affine:A,B,C,D" image "${A[@]}" --distortion affine:1,0,0
expect_fail "singular distortion" 2 "singular" image "${A[@]}" --distortion affine:1,2,2,4
expect_fail "zero camera pixel" 2 "--camera-pixel must be > 0" image "${A[@]}" --camera-pixel 0
expect_fail "mask radius alone" 2 "--mask-radius needs --masks" image "${A[@]}" --mask-radius 1
expect_fail "threshold beyond pi" 2 "--phase-threshold must be in" image "${A[@]}" \
    --phase-mask --phase-threshold 4
expect_fail "no atom of the class" 2 "no atom .* has class_id 3" image "${A[@]}" --phase-mask \
    --phase-class 3
expect_fail "displaced through the exit surface" 2 "frozen-phonon configuration .*atom" \
    image "${A[@]}" --phonons 4 --u-rms 2.5
expect_fail "tilt too large" 2 "--tilt-mrad must be <= 100" image "${A[@]}" --tilt-mrad 150
check "no output after failures" [ ! -e "$WORK/bad.h5" ]

finish
