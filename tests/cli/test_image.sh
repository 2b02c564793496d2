#!/usr/bin/env bash
# test_image.sh — `cz image`: a small Au particle imaged to HDF5 (datasets, shapes, attributes
# read back with h5py), --config equivalence, preview, and one-line errors for bad options,
# unwritable outputs and missing or unusable structures.
# Usage: bash test_image.sh <path-to-cz> <tmpdir>
set -u
. "$(dirname "$0")/common.sh"

PY=/usr/bin/python3
# FFTW wisdom stays under the test's directory (tests write only to build/).
export CZ_FFTW_WISDOM="$WORK/fftw-wisdom-f"

if ! "$PY" -c 'import h5py' 2>/dev/null; then
    fail "h5py is not importable by $PY (Debian package python3-h5py)"
    finish
fi

# expect_fail DESCRIPTION CODE PATTERN ARGS...: exit CODE, exactly one stderr line starting with
# "cz image: " and matching PATTERN (grep -E), nothing on stdout.
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

# A small Au particle: 6 Å radius (55 atoms) with 3 Å of vacuum, a 14.2 Å box: 142² at 0.1 Å.
expect_ok "build the particle" build --lattice fcc --element Au -a 4.08 --sphere 6 --vacuum 3 \
    -o "$WORK/au.xyz"
natoms=$(summary_count)

# ---- a full run ----------------------------------------------------------------------------
COMMON=(--sampling 0.1 --slice 2 --fftw estimate --wisdom "")
expect_ok "image to HDF5" image "$WORK/au.xyz" -o "$WORK/out/au.h5" "${COMMON[@]}" \
    --energy-kv 300 --cs-mm 1.2 --defocus scherzer,0,-100:100:100 --aperture-mrad 15 \
    --focal-spread 30 --convergence-mrad 0.2 --aberration C12=20,45 --write-potential \
    --seed 7 --preview "$WORK/out/au.png"
check "summary names atoms, images and file" \
    grep -Eq "^$natoms atoms; grid [0-9]+ x [0-9]+ .*5 images; wrote $WORK/out/au.h5; preview" \
    "$WORK/stdout"
check "no temporary file left beside the output" \
    [ "$(find "$WORK/out" -name '*.tmp-*' | wc -l)" -eq 0 ]
check "preview is a PNG" is_png "$WORK/out/au.png"

"$PY" - "$WORK/out/au.h5" "$natoms" "$WORK/out/au.png" >"$WORK/h5check" 2>&1 <<'PY'
import sys
import h5py
import numpy as np

path, natoms, png = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ok = True


def check(cond, what):
    global ok
    if not cond:
        ok = False
        print("FAIL:", what)


with h5py.File(path, "r") as f:
    a = f.attrs
    nx, ny = int(a["nx"]), int(a["ny"])
    want = [int(np.ceil(a["cell_a"][k, k] / 0.1 - 1e-9)) for k in (0, 1)]
    check([nx, ny] == want, f"grid {nx} x {ny}, want ceil(L / 0.1) = {want}")
    for key in ("format", "cz_version", "program", "source", "seed", "energy_kv", "wavelength_a",
                "sigma_rad_per_v_a", "sampling_a", "pixel_size_x_a", "pixel_size_y_a",
                "slice_thickness_a", "nslices", "cell_a", "thickness_a", "potential",
                "projection", "spread", "antialias_cutoff_nyquist", "antialias_taper",
                "antialias_kmax_per_a", "n_atoms"):
        check(key in a, f"root attribute {key}")
    check(a["format"] == "cz-sim/1", f"format {a['format']!r}")
    check(a["energy_kv"] == 300.0, "energy_kv")
    check(abs(a["wavelength_a"] - 0.0196875) < 1e-6, "wavelength at 300 kV")
    check(a["sampling_a"] == 0.1 and a["slice_thickness_a"] == 2.0, "sampling, slice")
    check(abs(a["pixel_size_x_a"] - a["cell_a"][0, 0] / nx) < 1e-12, "pixel size = L / n")
    check(int(a["seed"]) == 7, "seed")
    check(a["potential"] == "kirkland" and a["spread"] == "bspline", "potential, spread")
    check(int(a["n_atoms"]) == natoms, "n_atoms")
    check(int(a["nslices"]) == int(np.ceil(a["cell_a"][2, 2] / 2.0 - 1e-9)), "nslices")
    check("--defocus scherzer,0,-100:100:100" in a["program"], "program holds the command line")
    check(a["source"].endswith("au.xyz"), "source")

    w = f["exit_wave"]
    check(w.shape == (ny, nx) and w.dtype == np.complex64, f"exit_wave {w.shape} {w.dtype}")
    psi = w[()]
    check(np.all(np.isfinite(psi)), "finite exit wave")
    # Au scatters a little beyond the band limit (2/3 Nyquist = 66 mrad at 0.1 Å): 0.5 % here.
    norm = np.mean(np.abs(psi) ** 2)
    check(0.98 < norm <= 1.0 + 1e-6, f"exit wave norm {norm}")

    im = f["images"]
    check(im.shape == (5, ny, nx) and im.dtype == np.float32, f"images {im.shape} {im.dtype}")
    ia = im.attrs
    df = f["defocus_a"][()]
    scherzer = np.sqrt(1.5 * 1.2e7 * a["wavelength_a"])
    check(np.allclose(df, [scherzer, 0, -100, 0, 100]), f"defocus list {df}")
    check(np.array_equal(ia["defocus_a"], df), "defocus attribute = dataset")
    check(np.allclose(ia["cs_mm"], 1.2) and np.allclose(ia["aperture_mrad"], 15), "cs, aperture")
    check(np.allclose(ia["focal_spread_a"], 30) and np.allclose(ia["convergence_mrad"], 0.2),
          "envelopes")
    check(ia["c_nm_a"].shape == (5, 6, 7) and np.allclose(ia["c_nm_a"][:, 1, 2], 20), "C12")
    check(np.allclose(ia["phi_nm_deg"][:, 1, 2], 45), "phi12")
    check(np.allclose(ia["c_nm_a"][:, 1, 0], -df), "C10 = -defocus")
    imgs = im[()]
    check(np.all(np.isfinite(imgs)) and imgs.min() >= 0, "finite, non-negative images")
    check(np.allclose(imgs[1], imgs[3]), "the two zero-defocus images agree")
    check(0.8 < imgs.mean() < 1.0, f"mean intensity {imgs.mean()} (aperture removes a little)")

    v = f["potential"]
    check(v.shape == (ny, nx) and v.attrs["units"] == "V*Angstrom", "potential dataset")
    integral = float(v[()].astype(np.float64).sum()) * a["pixel_size_x_a"] * a["pixel_size_y_a"]
    check(abs(integral / (natoms * 505.270) - 1) < 1e-4, f"potential integral {integral}")

    check(f["atoms/positions_a"].shape == (natoms, 3), "atoms/positions_a")
    check(np.all(f["atoms/numbers"][()] == 79), "atoms/numbers")

with open(png, "rb") as fp:
    head = fp.read(24)
check(int.from_bytes(head[16:20], "big") == nx and int.from_bytes(head[20:24], "big") == ny,
      "preview has one pixel per grid point")
print("OK" if ok else "BAD")
PY
check "HDF5 content read back with h5py ($(tr '\n' ' ' <"$WORK/h5check"))" \
    grep -qx OK "$WORK/h5check"

# ---- --config gives the same result as the options ----------------------------------------------
cat >"$WORK/run.yaml" <<YAML
# every option of the run above, as YAML
structure: $WORK/au.xyz
output: $WORK/out/cfg.h5
sampling: 0.1
slice_thickness: 2
fftw: estimate
wisdom: ""
energy-kv: 300
cs_mm: 1.2
defocus: [scherzer, 0, "-100:100:100"]
aperture_mrad: 15
focal_spread: 30
convergence_mrad: 0.2
aberration: {C12: [20, 45]}
write_potential: true
seed: 7
YAML
expect_ok "image --config" image --config "$WORK/run.yaml"
"$PY" - "$WORK/out/au.h5" "$WORK/out/cfg.h5" >"$WORK/cfgcheck" 2>&1 <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1]) as a, h5py.File(sys.argv[2]) as b:
    same = all(np.array_equal(a[k][()], b[k][()]) for k in ("images", "exit_wave", "potential"))
    same &= all(np.array_equal(a["images"].attrs[k], b["images"].attrs[k])
                for k in a["images"].attrs if k != "description")
    print("OK" if same else "DIFFERENT")
PY
check "--config reproduces the command-line run ($(cat "$WORK/cfgcheck"))" \
    grep -qx OK "$WORK/cfgcheck"
expect_ok "command line overrides --config" image --config "$WORK/run.yaml" --energy-kv 200 \
    --defocus 0 --no-exit-wave -o "$WORK/out/cfg200.h5"
"$PY" -c 'import sys, h5py; f = h5py.File(sys.argv[1]); '\
'print("OK" if f.attrs["energy_kv"] == 200 and f["images"].shape[0] == 1 and "exit_wave" not in f '\
'else "BAD")' "$WORK/out/cfg200.h5" >"$WORK/ovr" 2>&1
check "override: 200 kV, one image, no exit wave ($(cat "$WORK/ovr"))" grep -qx OK "$WORK/ovr"

# ---- help ----------------------------------------------------------------------------------------
expect_ok "image --help" image --help
check "help lists --defocus" grep -q -- "--defocus LIST" "$WORK/stdout"
expect_ok "cz help image" help image
expect_ok "cz --help" --help
check "cz --help lists image" grep -Eq '^  image ' "$WORK/stdout"

# ---- bad options: one line, exit 2 --------------------------------------------------------------
A=("$WORK/au.xyz" -o "$WORK/out/bad.h5" "${COMMON[@]}")
expect_fail "negative energy" 2 "--energy-kv must be > 0" image "${A[@]}" --energy-kv -3
expect_fail "zero sampling" 2 "--sampling must be > 0" image "${A[@]}" --sampling 0
expect_fail "NaN defocus" 2 "--defocus" image "${A[@]}" --defocus nan
expect_fail "empty defocus item" 2 "--defocus" image "${A[@]}" --defocus 1,,2
expect_fail "series going nowhere" 2 "step" image "${A[@]}" --defocus 0:100:-5
expect_fail "unknown potential" 2 "kirkland or lobato" image "${A[@]}" --potential moliere
expect_fail "C10 as aberration" 2 "C10 is set by --defocus" image "${A[@]}" --aberration C10=5
expect_fail "impossible aberration" 2 "C22=1" image "${A[@]}" --aberration C22=1
expect_fail "negative aperture" 2 "--aperture-mrad must be >= 0" image "${A[@]}" --aperture-mrad -1
expect_fail "zero grid" 2 "--grid" image "${A[@]}" --grid 0
expect_fail "unknown option" 2 "unknown option '--energy'" image "${A[@]}" --energy 300
expect_fail "missing value" 2 "--cs-mm needs a value" image "${A[@]}" --cs-mm
expect_fail "two structures" 2 "one structure file only" image "${A[@]}" "$WORK/au.xyz"
expect_fail "no structure" 2 "missing STRUCTURE" image -o "$WORK/out/x.h5"
expect_fail "nothing to write" 2 "nothing to write" image "$WORK/au.xyz"
expect_fail "not an HDF5 name" 2 "expected an HDF5 file name" image "$WORK/au.xyz" -o "$WORK/x.png"
expect_fail "grid above the cap" 1 "max_pixels" image "$WORK/au.xyz" -o "$WORK/out/x.h5" \
    --sampling 0.001 --max-pixels 1000000
check "no output after failures" [ ! -e "$WORK/out/bad.h5" ] && [ ! -e "$WORK/out/x.h5" ]

printf 'energy: 300\n' >"$WORK/unknown.yaml"
expect_fail "unknown config key" 2 "unknown.yaml:1: unknown key 'energy'" \
    image "$WORK/au.xyz" -o "$WORK/out/x.h5" --config "$WORK/unknown.yaml"
printf 'defocus: [0, 1\n' >"$WORK/broken.yaml"
expect_fail "broken YAML" 2 "broken.yaml:2" image "$WORK/au.xyz" -o "$WORK/out/x.h5" \
    --config "$WORK/broken.yaml"
printf 'fft_friendly: perhaps\n' >"$WORK/flag.yaml"
expect_fail "bad flag value" 2 "expected true or false" image "$WORK/au.xyz" -o "$WORK/out/x.h5" \
    --config "$WORK/flag.yaml"
expect_fail "missing config" 1 "nope.yaml" image "$WORK/au.xyz" -o "$WORK/out/x.h5" \
    --config "$WORK/nope.yaml"

# ---- files: missing, unusable, unwritable --------------------------------------------------------
expect_fail "missing structure" 1 "missing.xyz" image "$WORK/missing.xyz" -o "$WORK/out/x.h5"
printf '1\nProperties=species:S:1:pos:R:3 pbc="F F F"\nAu 1 1 1\n' >"$WORK/nocell.xyz"
expect_fail "structure without a cell" 2 "no cell vector a" image "$WORK/nocell.xyz" \
    -o "$WORK/out/x.h5"
printf '1\nLattice="10 0 0 0 10 0 0 0 10" Properties=species:S:1:pos:R:3 pbc="F F F"\nAu 5 5 12\n' \
    >"$WORK/outside.xyz"
expect_fail "atom beyond the exit surface" 2 "atom 0" image "$WORK/outside.xyz" -o "$WORK/out/x.h5"
# An oblique cell with no orthogonal supercell within 20 repeats (b at 100°, |b|/|a| = 1/√2) is
# refused; rational ones are simulated as their supercell (test_image_ortho.sh).
printf '1\nLattice="10 0 0 -1.2278760968653925 6.963642403200189 0 0 0 10" Properties=species:S:1:pos:R:3 pbc="F F F"\nAu 5 5 5\n' \
    >"$WORK/skew.xyz"
expect_fail "oblique cell without an orthogonal supercell" 2 "no orthogonal supercell" image \
    "$WORK/skew.xyz" -o "$WORK/out/x.h5"
: >"$WORK/plain"
expect_fail "output under a file" 1 "not a directory" image "$WORK/au.xyz" -o "$WORK/plain/x.h5" \
    "${COMMON[@]}"
mkdir -p "$WORK/dir.h5"
expect_fail "output is a directory" 1 "is a directory" image "$WORK/au.xyz" -o "$WORK/dir.h5" \
    "${COMMON[@]}"
expect_fail "preview under a file" 1 "not a directory" image "$WORK/au.xyz" \
    --preview "$WORK/plain/x.png" "${COMMON[@]}"
# /proc takes no new files, whoever runs the test (root included).
expect_fail "output in /proc" 1 "/proc/cz-test-image.h5" image "$WORK/au.xyz" \
    -o /proc/cz-test-image.h5 "${COMMON[@]}"
if [ "$(id -u)" -ne 0 ]; then
    mkdir -p "$WORK/ro" && chmod 555 "$WORK/ro"
    expect_fail "read-only directory" 1 "ro/x.h5" image "$WORK/au.xyz" -o "$WORK/ro/x.h5" \
        "${COMMON[@]}"
    chmod 755 "$WORK/ro"
fi
# A failed run leaves an existing result untouched.
cp "$WORK/out/au.h5" "$WORK/out/keep.h5"
expect_fail "bad run" 2 "--slice must be > 0" image "$WORK/au.xyz" -o "$WORK/out/keep.h5" --slice -1
check "existing file untouched" cmp -s "$WORK/out/au.h5" "$WORK/out/keep.h5"

# Potential method and precision: recorded as attributes, and the two methods and the two
# precisions agree (same physics; the methods differ at the per-cent level, the precisions by
# rounding).
expect_ok "fourier potential, double precision" image "$WORK/au.xyz" -o "$WORK/out/pd.h5" \
    "${COMMON[@]}" --potential-method fourier --precision double
expect_ok "real-space potential, single precision" image "$WORK/au.xyz" -o "$WORK/out/ps.h5" \
    "${COMMON[@]}" --potential-method realspace --precision single
check "method and precision attributes; images agree" "$PY" - "$WORK/out/pd.h5" "$WORK/out/ps.h5" <<'PYEOF'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    assert a.attrs["precision"] == "double" and a.attrs["potential_method"] == "fourier"
    assert b.attrs["precision"] == "single" and b.attrs["potential_method"] == "realspace"
    ia, ib = a["images"][...], b["images"][...]
    rms = np.sqrt(np.mean((ia - ib) ** 2)) / np.sqrt(np.mean(ib ** 2))
    assert rms < 0.05, rms
PYEOF
run image "$WORK/au.xyz" -o "$WORK/out/bad.h5" --precision quad
check "--precision quad refused (exit 2)" test "$RC" -eq 2

finish
