#!/usr/bin/env bash
# test_dataset.sh — `cz dataset` on a tiny config: shards, manifest, previews and configs read
# back with h5py; kill -9 + resume, --shard i/n and (when mpirun works) 2 MPI ranks give the
# bytes of an uninterrupted run; bad configs give one line "FILE:LINE: field: reason" and write
# nothing.
# Usage: bash test_dataset.sh <path-to-cz> <tmpdir>
set -u
. "$(dirname "$0")/common.sh"

PY=/usr/bin/python3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TINY=$ROOT/examples/dataset/tiny.yaml
export CZ_FFTW_WISDOM="$WORK/fftw-wisdom-f"

if ! "$PY" -c 'import h5py' 2>/dev/null; then
    fail "h5py is not importable by $PY (Debian package python3-h5py)"
    finish
fi

# same_dataset A B: every shard, the manifest and the previews are byte-identical.
same_dataset() {
    local a=$1 b=$2 f
    [ -f "$a/manifest.json" ] && [ -f "$b/manifest.json" ] || return 1
    cmp -s "$a/manifest.json" "$b/manifest.json" || return 1
    for f in "$a"/shard-*.h5 "$a"/previews/*.png; do
        cmp -s "$f" "$b/${f#"$a"/}" || return 1
    done
    [ "$(ls "$a" | wc -l)" -eq "$(ls "$b" | wc -l)" ]
}

# same_data A B: every dataset of every shard holds the same bytes (h5py), whatever the files.
same_data() {
    "$PY" - "$1" "$2" <<'PY'
import sys, glob, os
import h5py
a, b = sys.argv[1:3]
fa = sorted(glob.glob(os.path.join(a, "shard-*.h5")))
fb = sorted(glob.glob(os.path.join(b, "shard-*.h5")))
assert [os.path.basename(p) for p in fa] == [os.path.basename(p) for p in fb], (fa, fb)
for pa, pb in zip(fa, fb):
    with h5py.File(pa, "r") as x, h5py.File(pb, "r") as y:
        names = []
        x.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
        for n in names:
            u, v = x[n][()], y[n][()]
            # Variable-length strings come back as Python objects: compare values, not pointers.
            same = repr(u.tolist()) == repr(v.tolist()) if u.dtype.hasobject else u.tobytes() == v.tobytes()
            assert same and u.dtype == v.dtype, (pa, n)
PY
}

# ---- a full run ------------------------------------------------------------------------------
expect_ok "tiny dataset" dataset "$TINY" --out "$WORK/a" -n 4
check "summary line" grep -Eq "^4 samples \(12 images of 48 x 48\) in 2 shards: 2 written" \
    "$WORK/stdout"
check "two shards" [ -f "$WORK/a/shard-00000.h5" -a -f "$WORK/a/shard-00001.h5" ]
check "manifest" [ -f "$WORK/a/manifest.json" ]
check "config.json" [ -f "$WORK/a/config.json" ]
check "previews are PNGs" is_png "$WORK/a/previews/sample-000000-image-01.png"
check "preview is image | mask | overlay" \
    [ "$(png_size "$WORK/a/previews/sample-000001-image-02.png")" = "152 48" ]
check "no temporary files" [ "$(find "$WORK/a" -name '*.tmp*' | wc -l)" -eq 0 ]

"$PY" - "$WORK/a" >"$WORK/h5check" 2>&1 <<'PY'
import json, sys
import h5py
import numpy as np
d = sys.argv[1]
m = json.load(open(f"{d}/manifest.json"))
assert m["format"] == "cz-dataset/1" and m["n_samples"] == 4 and m["n_images"] == 12, m
assert m["image_shape"] == [48, 48] and m["images_per_sample"] == 3
assert len(m["sample_seeds"]) == 4 and len(m["shards"]) == 2
assert sum(m["splits"][s]["n_samples"] for s in ("train", "val", "test")) == 4
assert m["config"]["simulation"]["phonons"] == 1 and "objects" in m["config"]["scene"]
assert m["versions"]["cz"] and m["versions"]["hdf5"]
with h5py.File(f"{d}/shard-00001.h5", "r") as f:
    assert f.attrs["format"] == "cz-dataset/1" and int(f.attrs["first_sample"]) == 2
    assert f["images"].shape == (6, 48, 48) and f["images"].dtype == np.float32
    assert f["masks"].shape == (6, 48, 48) and f["masks"].dtype == np.uint8
    assert f["class_masks"].shape == (6, 3, 48, 48) and f["class_masks"].dtype == np.uint8
    assert f["object_ids"].shape == (6, 48, 48) and f["object_ids"].dtype == np.int32
    meta = f["metadata"][:]
    assert list(meta["sample"]) == [2, 2, 2, 3, 3, 3] and list(meta["image"]) == [0, 1, 2] * 2
    assert np.all(np.abs(meta["defocus_nominal_a"][:3] - [-50, 0, 50]) < 1e-9)
    assert np.all((meta["dose_e_per_a2"] >= 100) & (meta["dose_e_per_a2"] <= 1200))
    assert np.all(meta["n_particle_atoms"] > 0) and meta["c_nm_a"].shape == (6, 6, 7)
    img = f["images"][:]
    assert np.all(img >= 0) and np.all(img == np.round(img)), "Poisson counts"
    mask = f["masks"][:]
    assert 0 < mask.mean() < 0.6, mask.mean()
    # The phase mask lies on the particle's geometric footprint.
    part = f["class_masks"][:, 0]
    assert (mask & part).sum() >= 0.8 * mask.sum()
    cols = f["columns"][:]
    assert len(cols) == meta["columns_count"][0] + meta["columns_count"][3]
    assert set(cols["z"]) == {79}
    off = f["structures/atom_offsets"][:]
    assert off[0] == 0 and off[-1] == f["structures/positions_a"].shape[0]
    # The values the scene spec drew, per sample, agree with the stored structures.
    dr = f["scene_draws"][:]
    xyz, cls = f["structures/positions_a"][:], f["structures/class_id"][:]
    for k, smp in enumerate((2, 3)):
        rows = dr[dr["sample"] == smp]
        i0 = int(meta["scene_draws_start"][3 * k])
        assert np.all(meta["scene_draws_count"][3 * k:3 * k + 3] == len(rows))
        assert list(f["scene_draws"]["path"][i0:i0 + len(rows)]) == list(rows["path"])
        v = {r["path"].decode(): r["value"] for r in rows}
        assert {"scene.objects[0].region.slab.top", "scene.objects[1].shape.sphere.radius",
                "scene.objects[1].defects.twins", "scene.objects[1].orientation.euler[0]"} <= set(v), v
        R, top = v["scene.objects[1].shape.sphere.radius"], v["scene.objects[0].region.slab.top"]
        assert 4 <= R <= 8 and 6 <= top <= 10 and v["scene.objects[1].defects.twins"] in (0, 1)
        p = xyz[off[k]:off[k + 1]][cls[off[k]:off[k + 1]] == 1]
        c = xyz[off[k]:off[k + 1]][cls[off[k]:off[k + 1]] == 2]
        rmax = np.linalg.norm(p - p.mean(axis=0), axis=1).max()
        assert R - 2.9 < rmax <= R + 0.3, (R, rmax)
        assert top - 1.5 < c[:, 2].max() <= top + 1e-9, (top, c[:, 2].max())
print("ok")
PY
check "h5py reads shapes, dtypes, metadata ($(tail -1 "$WORK/h5check"))" \
    grep -qx ok "$WORK/h5check"

# ---- rerun: nothing to do ------------------------------------------------------------------
expect_ok "rerun skips complete shards" dataset "$TINY" --out "$WORK/a" -n 4
check "rerun reports 0 written" grep -q "0 written, 2 already complete" "$WORK/stdout"

# ---- kill -9 at random moments, then resume ------------------------------------------------
# Slower settings (8 phonons, 1 thread, 6 samples in 3 shards) so the kills land mid-run. The
# kill times are drawn uniformly over the reference run's duration from a printed seed
# (CZ_TEST_KILL_SEED=S repeats a run's moments); each restart resumes the previous one.
SLOW=(-n 6 --phonons 8 --threads 1 --quiet)
t0=$(date +%s%N)
expect_ok "uninterrupted reference" dataset "$TINY" --out "$WORK/ref" "${SLOW[@]}"
ref_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill_seed=${CZ_TEST_KILL_SEED:-$(( $(date +%s) % 100000 ))}
RANDOM=$kill_seed
kills=0 moments="" scale=1000
for round in $(seq 1 16); do
    [ "$kills" -ge 6 ] && break
    if [ -f "$WORK/killed/manifest.json" ]; then
        # A run finished before its kill: start over, with kill times drawn from a shorter span.
        [ "$kills" -ge 2 ] && break
        rm -rf "$WORK/killed"
    fi
    # Over what is left of the run: the 3 shards' share still missing, plus the start-up.
    left=$(( 3 - $(ls "$WORK/killed" 2>/dev/null | grep -c '^shard-.*h5$') ))
    span=$(( ref_ms * left * scale / 3000 + 30 ))
    delay_ms=$(( (RANDOM * 32768 + RANDOM) % span ))
    "$CZ" dataset "$TINY" --out "$WORK/killed" "${SLOW[@]}" >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if kill -9 "$pid" 2>/dev/null; then
        kills=$((kills + 1))
        moments="$moments ${delay_ms}ms($(ls "$WORK/killed" 2>/dev/null | grep -c '^shard-.*h5$')sh)"
    else
        scale=$((scale / 2))
    fi
    wait "$pid" 2>/dev/null
done
echo "# kill seed $kill_seed, reference ${ref_ms} ms, killed at:$moments"
check "at least two kills -9 landed mid-run (seed $kill_seed:$moments)" [ "$kills" -ge 2 ]
expect_ok "resume after the kills" dataset "$TINY" --out "$WORK/killed" "${SLOW[@]}"
check "resumed data equal the uninterrupted run (h5py; kill seed $kill_seed)" \
    same_data "$WORK/ref" "$WORK/killed"
check "resumed files equal the uninterrupted run (bytes; kill seed $kill_seed)" \
    same_dataset "$WORK/ref" "$WORK/killed"
check "no temporaries left after the resume" \
    [ -z "$(find "$WORK/killed" -name '*.tmp.*' -print -quit)" ]
# A kill at one fixed moment (right after the first shard appears) is always exercised too.
"$CZ" dataset "$TINY" --out "$WORK/killed1" "${SLOW[@]}" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 2000); do
    [ -f "$WORK/killed1/shard-00000.h5" ] && break
    sleep 0.005
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "killed after the first shard, before the manifest" \
    [ -f "$WORK/killed1/shard-00000.h5" -a ! -f "$WORK/killed1/manifest.json" ]
expect_ok "resume" dataset "$TINY" --out "$WORK/killed1" "${SLOW[@]}"
check "resumed files equal the uninterrupted run (bytes)" same_dataset "$WORK/ref" "$WORK/killed1"

# Stale temporaries of a dead writer (a kill during a write) are removed on resume; a live
# writer's are not touched.
sleep 30 & live=$!
touch "$WORK/killed1/manifest.json.tmp.999999999" "$WORK/killed1/config.json.tmp.$live" \
    "$WORK/killed1/shard-00001.h5.tmp.999999999" \
    "$WORK/killed1/previews/sample-000000-image-01.png.tmp.999999999"
rm "$WORK/killed1/shard-00001.h5"
expect_ok "resume removes stale temporaries" dataset "$TINY" --out "$WORK/killed1" "${SLOW[@]}"
check "dead writers' temporaries removed" \
    [ ! -e "$WORK/killed1/manifest.json.tmp.999999999" -a \
      ! -e "$WORK/killed1/shard-00001.h5.tmp.999999999" -a \
      ! -e "$WORK/killed1/previews/sample-000000-image-01.png.tmp.999999999" ]
check "a live writer's temporary kept" [ -e "$WORK/killed1/config.json.tmp.$live" ]
kill "$live" 2>/dev/null
wait "$live" 2>/dev/null
rm -f "$WORK/killed1/config.json.tmp.$live"
check "and the dataset is still the uninterrupted run's" same_dataset "$WORK/ref" "$WORK/killed1"

# ---- --shard i/n ---------------------------------------------------------------------------
expect_ok "shard 1/2" dataset "$TINY" --out "$WORK/split" "${SLOW[@]}" --shard 1/2
check "one part alone writes no manifest" [ ! -f "$WORK/split/manifest.json" ]
expect_ok "shard 0/2" dataset "$TINY" --out "$WORK/split" "${SLOW[@]}" --shard 0/2
check "--shard 0/2 + 1/2 equal the unsplit run" same_dataset "$WORK/ref" "$WORK/split"

# ---- MPI ranks (Open MPI), when mpirun runs here -------------------------------------------
# Open MPI's own allocations are not ours: leak checking is off inside mpirun (sanitizer builds).
if command -v mpirun >/dev/null 2>&1 &&
    mpirun --allow-run-as-root --oversubscribe -np 2 true >/dev/null 2>&1; then
    MPIRUN=(env ASAN_OPTIONS=detect_leaks=0 mpirun --allow-run-as-root --oversubscribe -np 2)
    "${MPIRUN[@]}" "$CZ" dataset "$TINY" --out "$WORK/mpi" "${SLOW[@]}" >/dev/null 2>"$WORK/mpi.err"
    check "2 MPI ranks equal the unsplit run" same_dataset "$WORK/ref" "$WORK/mpi"
    "${MPIRUN[@]}" "$CZ" dataset "$TINY" --out "$WORK/mpi2" -n 6 --phonons 8 --threads 1 \
        >"$WORK/mpi2.out" 2>"$WORK/mpi2.err"
    check "MPI: one summary, from rank 0, on 2 MPI ranks (libmpi loaded)" \
        [ "$(grep -c '(2 MPI ranks)$' "$WORK/mpi2.out")" -eq 1 -a \
          "$(grep -c 'samples (' "$WORK/mpi2.out")" -eq 1 ]
    check "MPI: 3 written in all (rank counts added up)" grep -q ': 3 written, 0 already' "$WORK/mpi2.out"
    # Rank 1 owns shard 1 (samples 2-3): a directory where its preview must go makes it fail;
    # rank 0 finishes its shards, the ranks agree on failure, and no manifest is written.
    sed 's/^  previews: 2/  previews: 6/' "$TINY" >"$WORK/prev6.yaml"
    mkdir -p "$WORK/mpifail/previews/sample-000002-image-00.png/x"
    "${MPIRUN[@]}" "$CZ" dataset "$WORK/prev6.yaml" --out "$WORK/mpifail" "${SLOW[@]}" \
        >"$WORK/mpifail.out" 2>"$WORK/mpifail.err"
    mrc=$?
    check "MPI: one rank failing fails the run (exit $mrc)" [ "$mrc" -ne 0 ]
    check "MPI: the failing rank names the preview" grep -q 'sample-000002-image-00.png' "$WORK/mpifail.err"
    check "MPI: rank 0 says another rank failed" grep -q 'another rank failed' "$WORK/mpifail.err"
    check "MPI: no manifest after a failed rank" [ ! -e "$WORK/mpifail/manifest.json" ]
    check "MPI: rank 0's shards were still written" \
        [ -f "$WORK/mpifail/shard-00000.h5" -a -f "$WORK/mpifail/shard-00002.h5" ]
    rm -rf "$WORK/mpifail/previews/sample-000002-image-00.png"
    "${MPIRUN[@]}" "$CZ" dataset "$WORK/prev6.yaml" --out "$WORK/mpifail" "${SLOW[@]}" >/dev/null 2>&1
    check "MPI: resuming after the failure completes the run (same data as the unsplit run)" \
        same_data "$WORK/ref" "$WORK/mpifail"
    check "MPI: and its manifest" [ -f "$WORK/mpifail/manifest.json" ]
fi

# ---- camera distortion and explicit tilt sums from the config -----------------------------------
# The whole camera field (24 A / 0.4 A = 60 px), no noise, so a shift of t = 0.8 A (2 camera px)
# must roll images, masks, id maps and columns alike: the pixel at r shows the specimen at r + t.
sed -e 's/^  crop: \[48, 48\]/  crop: [60, 60]/' -e 's/^  crop_position: random/  crop_position: center/' \
    -e 's/^  noise: poisson/  noise: none/' "$TINY" >"$WORK/cam0.yaml"
sed 's/^  crop_position: center/  crop_position: center\n  distortion: {shift_a: [0.8, 0]}/' \
    "$WORK/cam0.yaml" >"$WORK/camshift.yaml"
sed 's/^  crop_position: center/  crop_position: center\n  distortion: {affine: [[1.08, 0.05], [-0.05, 1.08]], radial_k1: {uniform: [0.05, 0.1]}}/' \
    "$WORK/cam0.yaml" >"$WORK/camwarp.yaml"
sed 's/^  crop_position: center/  crop_position: center\n  tilt_spread_mrad: {uniform: [0.4, 0.6]}\n  tilt_points: 2/' \
    "$WORK/cam0.yaml" >"$WORK/camtilt.yaml"
for v in cam0 camshift camwarp camtilt; do
    expect_ok "dataset with $v.yaml" dataset "$WORK/$v.yaml" --out "$WORK/$v" -n 2 --quiet
done
"$CZ" dataset "$WORK/camtilt.yaml" --out "$WORK/camtilt-t" -n 2 --quiet --timings >"$WORK/camtilt.json"
"$PY" - "$WORK" >"$WORK/camcheck" 2>&1 <<'PY'
import sys, json
import h5py
import numpy as np
w = sys.argv[1]
def load(v):
    with h5py.File(f"{w}/{v}/shard-00000.h5", "r") as f:
        return {k: f[k][()] for k in ("images", "masks", "class_masks", "object_ids", "metadata", "columns")}
b, sh, wp, tl = load("cam0"), load("camshift"), load("camwarp"), load("camtilt")
assert b["images"].shape[1:] == (60, 60)
# Shift: everything rolls by -2 camera pixels along x.
roll = lambda a: np.roll(a, -2, axis=-1)
err = np.abs(sh["images"] - roll(b["images"])).max() / np.abs(b["images"]).max()
assert err < 1e-5, f"image roll {err}"
for k in ("masks", "class_masks", "object_ids"):
    assert np.array_equal(sh[k], roll(b[k])), k
assert b["masks"].sum() > 0
cb, cs = b["columns"], sh["columns"]
assert len(cb) == len(cs) > 0
dx = (cs["x_px"] - cb["x_px"] + 30) % 60 - 30
assert np.allclose(dx, -2, atol=1e-9) and np.allclose(cs["y_px"], cb["y_px"], atol=1e-9), dx
m = sh["metadata"]
assert np.allclose(m["distortion_shift_a"], [0.8, 0]) and np.allclose(m["distortion_affine"], np.eye(2))
# Warp (affine + random radial): recorded per sample; columns land on the particle's mask.
m = wp["metadata"]
assert np.allclose(m["distortion_affine"][0], [[1.08, 0.05], [-0.05, 1.08]])
k1 = m["distortion_radial_k1"]
assert np.all((k1 >= 0.05) & (k1 <= 0.1)) and k1[0] != k1[-1]
hits = tot = 0
for img in range(len(m)):
    s, c0, nc = m["sample"][img], m["columns_start"][img], m["columns_count"][img]
    cols = wp["columns"][c0:c0 + nc]
    x, y = np.rint(cols["x_px"]).astype(int), np.rint(cols["y_px"]).astype(int)
    ok = (x >= 0) & (x < 60) & (y >= 0) & (y < 60)
    hits += wp["class_masks"][img, 0][y[ok], x[ok]].sum()
    tot += ok.sum()
assert tot > 0 and hits / tot > 0.97, (hits, tot)
assert not np.array_equal(wp["masks"], b["masks"])
# Tilt sum: recorded, changes the images (not the masks), and costs focal x tilt^2 conditions.
m = tl["metadata"]
assert np.all((m["tilt_spread_mrad"] >= 0.4) & (m["tilt_spread_mrad"] <= 0.6)) and np.all(m["tilt_points"] == 2)
assert np.all(b["metadata"]["tilt_spread_mrad"] == 0) and np.all(b["metadata"]["tilt_points"] == 0)
assert np.array_equal(tl["masks"], b["masks"])
d = np.abs(tl["images"] - b["images"]).max() / np.abs(b["images"]).max()
assert 1e-4 < d < 0.5, d
t = json.load(open(f"{w}/camtilt.json"))
assert t["conditions"] == t["images"] * 4 * 4, t   # 4 focal points x 2x2 tilts, 1 phonon
print("ok")
PY
check "distortion and tilt sums from the config ($(tail -1 "$WORK/camcheck"))" grep -qx ok "$WORK/camcheck"
# bad_after NAME FIELD_PATTERN AFTER TEXT: the tiny config with the line TEXT inserted after its
# line "  AFTER": exit 2, "cz dataset: NAME.yaml:LINE: FIELD...", and no output directory.
bad_after() {
    local name=$1 field=$2 after=$3 text=$4
    sed "s/^  $after\$/  $after\n  $text/" "$TINY" >"$WORK/$name.yaml"
    run dataset "$WORK/$name.yaml" --out "$WORK/bad-$name"
    if [ "$RC" -eq 2 ] && [ ! -e "$WORK/bad-$name" ] &&
        printf '%s\n' "$ERR" | grep -Eq "^cz dataset: $WORK/$name.yaml:[0-9]+: $field"; then
        pass
    else
        fail "$name: exit $RC: $ERR"
    fi
}
bad_distortion() { bad_after "$1" "$2" "crop_position: random" "$3"; }
bad_distortion dist_shape 'imaging.distortion.affine: must be' 'distortion: {affine: [1, 0, 0, 1]}'
bad_distortion dist_row 'imaging.distortion.affine\[1\]: must be' 'distortion: {affine: [[1, 0], [0]]}'
bad_distortion dist_key 'imaging.distortion.skew: unknown key' 'distortion: {skew: 1}'
bad_distortion dist_k1 'imaging.distortion.radial_k1' 'distortion: {radial_k1: 5}'
bad_distortion tilt_dist 'imaging.tilt_distribution' 'tilt_distribution: ring'
bad_distortion tilt_neg 'imaging.tilt_spread_mrad' 'tilt_spread_mrad: -1'

# ---- per-element u_rms ------------------------------------------------------------------------
# u_rms 0 for every element present makes two phonon configurations identical, so the images
# equal a one-configuration static run's bytes; moving only the carbon changes them.
sed -e 's/^  u_rms: 0.1/  u_rms: 0/' "$TINY" >"$WORK/u0.yaml"
sed -e 's/^  u_rms: 0.1/  u_rms: 0.1\n  u_rms_by_element: {Au: 0, C: 0}/' "$TINY" >"$WORK/uel0.yaml"
sed -e 's/^  u_rms: 0.1/  u_rms: 0.1\n  u_rms_by_element: {Au: {uniform: [0.05, 0.07]}}/' "$TINY" >"$WORK/uelau.yaml"
expect_ok "u_rms 0, 1 phonon" dataset "$WORK/u0.yaml" --out "$WORK/u0" -n 2 --phonons 1 --quiet
expect_ok "u_rms_by_element all 0, 2 phonons" dataset "$WORK/uel0.yaml" --out "$WORK/uel0" -n 2 --phonons 2 --quiet
expect_ok "u_rms_by_element Au only, 2 phonons" dataset "$WORK/uelau.yaml" --out "$WORK/uelau" -n 2 --phonons 2 --quiet
"$PY" - "$WORK" >"$WORK/urmscheck" 2>&1 <<'PY'
import sys
import h5py
import numpy as np
w = sys.argv[1]
get = lambda v, k: h5py.File(f"{w}/{v}/shard-00000.h5", "r")[k][()]
assert np.array_equal(get("u0", "images"), get("uel0", "images")), "static configurations differ"
assert not np.array_equal(get("uel0", "images"), get("uelau", "images"))
m = get("uelau", "metadata")
u = m["u_rms_by_z_a"]
assert u.shape == (len(m), 104)
assert np.all((u[:, 79] >= 0.05) & (u[:, 79] <= 0.07)) and u[0, 79] != u[-1, 79], u[:, 79]
assert np.all(u[:, 6] == 0.1) and np.all(m["u_rms_a"] == 0.1)
assert np.all(get("uel0", "metadata")["u_rms_by_z_a"][:, [6, 79]] == 0)
print("ok")
PY
check "per-element u_rms ($(tail -1 "$WORK/urmscheck"))" grep -qx ok "$WORK/urmscheck"
bad_urms() { bad_after "$1" "$2" "u_rms: 0.1" "u_rms_by_element: $3"; }
bad_urms urms_symbol 'simulation.u_rms_by_element.Xx: not an element' '{Xx: 0.1}'
bad_urms urms_twice 'simulation.u_rms_by_element.Au: given twice' '{Au: 0.1, Au: 0.2}'
bad_urms urms_negative 'simulation.u_rms_by_element.C' '{C: -0.1}'
bad_urms urms_list 'simulation.u_rms_by_element: must be a mapping' '[0.1]'

# ---- files named inside scene: are relative to the config's directory ------------------------
mkdir -p "$WORK/cfgdir"
cp "$ROOT/examples/molecules/co.xyz" "$WORK/cfgdir/co.xyz"
sed -e 's/^n: 4/n: 1/' -e 's/^      class: particle/      class: particle\n      ligands: {molecule: co.xyz, bond_length: 2.0, coverage: 0.3}/' \
    "$TINY" >"$WORK/cfgdir/lig.yaml"
check "the ligand config names co.xyz by a relative path" grep -q 'molecule: co.xyz' "$WORK/cfgdir/lig.yaml"
expect_ok "a molecule next to the config is found from another working directory" \
    dataset "$WORK/cfgdir/lig.yaml" --out "$WORK/lig" --quiet
rm "$WORK/cfgdir/co.xyz"
run dataset "$WORK/cfgdir/lig.yaml" --out "$WORK/lig-missing"
check "a missing molecule file is an error naming it, nothing written (exit $RC)" \
    [ "$RC" -ne 0 -a ! -e "$WORK/lig-missing" ] && printf '%s' "$ERR" | grep -q 'cfgdir/co.xyz'

# ---- relax in the pipeline (skipped when cz was built without LAMMPS) -------------------------
if "$CZ" relax --help >/dev/null 2>&1 && ! "$CZ" relax --help 2>&1 | grep -q "without"; then
    sed 's/^output:/relax:\n  max_iterations: 50\n  freeze: [substrate]\noutput:/' "$TINY" \
        >"$WORK/relax.yaml"
    expect_ok "relaxed dataset" dataset "$WORK/relax.yaml" --out "$WORK/relax1" -n 2 --quiet
    expect_ok "relaxed dataset again" dataset "$WORK/relax.yaml" --out "$WORK/relax2" -n 2 --quiet
    check "relax is reproducible" same_dataset "$WORK/relax1" "$WORK/relax2"
    sed 's/^  max_iterations: 50/  max_iterations: 50\n  pair: nonsense/' "$WORK/relax.yaml" \
        >"$WORK/relaxbad.yaml"
    run dataset "$WORK/relaxbad.yaml" --out "$WORK/relaxbad" -n 2
    check "a pair style LAMMPS refuses stops the run before anything is written (exit $RC)" \
        [ "$RC" -ne 0 -a ! -e "$WORK/relaxbad" ]
    check "and names LAMMPS's complaint" bash -c 'printf "%s" "$1" | grep -q "nonsense"' _ "$ERR"
    "$PY" - "$WORK/relax1" "$WORK/a" >"$WORK/relaxcheck" 2>&1 <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1] + "/shard-00000.h5") as r, h5py.File(sys.argv[2] + "/shard-00000.h5") as u:
    pr, pu = r["structures/positions_a"][:], u["structures/positions_a"][:]
    cr, cu = r["structures/class_id"][:], u["structures/class_id"][:]
    assert pr.shape == pu.shape and np.array_equal(cr, cu)
    moved = np.abs(pr - pu).max(axis=1)
    assert moved[cr == 1].max() > 1e-3, "particle atoms moved"
    assert moved[cr == 2].max() < 1e-9, "frozen substrate stayed"
print("ok")
PY
    check "relax moved the particle, not the frozen substrate ($(tail -1 "$WORK/relaxcheck"))" \
        grep -qx ok "$WORK/relaxcheck"
fi

# ---- bad configs: one line, file:line, nothing written ---------------------------------------
# bad_config NAME LINE FIELD_PATTERN YAML: exit 2, one stderr line
# "cz dataset: NAME.yaml:LINE: FIELD...", and no output directory.
bad_config() {
    local name=$1 line=$2 field=$3 text=$4
    printf '%s\n' "$text" >"$WORK/$name.yaml"
    run dataset "$WORK/$name.yaml" --out "$WORK/bad-$name"
    local lines
    lines=$(printf '%s' "$ERR" | grep -c '')
    if [ "$RC" -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -e "$WORK/bad-$name" ] &&
        printf '%s\n' "$ERR" | grep -Eq "^cz dataset: $WORK/$name.yaml:$line: $field"; then
        pass
    else
        fail "$name: exit $RC, $lines line(s), wrote: $(ls "$WORK/bad-$name" 2>&1 | head -1): $ERR"
    fi
}
SCENE='scene:
  cell: [20, 20, 20]
  objects:
    - name: p
      lattice: {prototype: fcc, elements: Au, a: 4.08}
      shape: {sphere: {radius: 4}}
      position: [10, 10, 10]
      class: particle'
bad_config unknown_section 1 'colour: unknown key' 'colour: 3
'"$SCENE"
bad_config unknown_key 10 'imaging.dose: unknown key "dose"' "$SCENE"'
imaging:
  dose: 100'
bad_config wrong_type 10 'simulation.energy_kv: must be a number' "$SCENE"'
simulation:
  energy_kv: "300"'
bad_config impossible_range 10 'imaging.dose_e_per_a2.uniform: high must be >= low' "$SCENE"'
imaging:
  dose_e_per_a2: {uniform: [1200, 100]}'
bad_config empty_window 10 'imaging.focal_spread.truncnormal: the window' "$SCENE"'
imaging:
  focal_spread: {truncnormal: [30, 1, 100, 200]}'
bad_config negative_support 10 'imaging.aperture_mrad.normal: every value must be' "$SCENE"'
imaging:
  aperture_mrad: {normal: [20, 5]}'
bad_config scene_field 7 'scene.objects\[0\].shape.sphere.radius: must be > 0' 'scene:
  cell: [20, 20, 20]
  objects:
    - name: p
      lattice: {prototype: fcc, elements: Au, a: 4.08}
      shape:
        sphere: {radius: -4}
      position: [10, 10, 10]'
bad_config splits 10 'output.splits: fractions must' "$SCENE"'
output:
  splits: [0.5, 0.5, 0.5]'
bad_config crop_too_large 10 'imaging.crop' "$SCENE"'
imaging:
  crop: [512, 512]'

# Unwritable output: a path below a regular file.
touch "$WORK/plainfile"
run dataset "$TINY" --out "$WORK/plainfile/ds"
check "unwritable --out: exit 1, one line" \
    [ "$RC" -eq 1 -a "$(printf '%s' "$ERR" | grep -c '')" -eq 1 -a -z "$OUT" ]
check "unwritable --out names the directory" \
    bash -c 'printf "%s" "$1" | grep -q "^cz dataset: --out .*plainfile"' _ "$ERR"
run dataset "$WORK/missing.yaml" --out "$WORK/bad-missing"
check "missing config: exit 1, nothing written" [ "$RC" -eq 1 -a ! -e "$WORK/bad-missing" ]
run dataset "$TINY" --out "$WORK/a" -n 5
check "resuming with another n is refused" \
    [ "$RC" -eq 2 ] && printf '%s' "$ERR" | grep -q 'another config'
run dataset "$TINY"
check "missing --out: exit 2" [ "$RC" -eq 2 ]
expect_ok "--print-default" dataset --print-default
check "the default names the Au-on-carbon scene" grep -q "truncnormal: \[25, 7.5, 15, 35\]" \
    "$WORK/stdout"
expect_ok "help" dataset --help

finish
