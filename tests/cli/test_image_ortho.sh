#!/usr/bin/env bash
# test_image_ortho.sh — `cz image` and `cz dataset` on oblique in-plane cells: a hexagonal MoS2
# monolayer written by ASE (ase.build.mx2) is simulated as its orthogonal supercell, with the
# same exit wave as ASE's own supercell (make_supercell) and the supercell recorded in the HDF5
# attributes; a 60° cell gives the same area; an irrational angle needs --ortho-tolerance (one
# error line naming the options); bad option values, a z component in a and an orthogonal cell
# (left alone); a dataset whose scene cell is hexagonal says so once (not with --quiet).
# Usage: bash test_image_ortho.sh <path-to-cz> <tmpdir>
set -u
. "$(dirname "$0")/common.sh"

PY=/usr/bin/python3
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export CZ_FFTW_WISDOM="$WORK/fftw-wisdom-f"

if ! "$PY" -c 'import h5py, ase' 2>/dev/null; then
    fail "h5py and ase are not importable by $PY (Debian: python3-h5py, python3-ase)"
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

# Structures written by ASE: hexagonal MoS2 (2 x 2 cells, 120°), ASE's orthogonal supercell of
# exactly the same atoms (rows a, a + 2b), the same lattice with a 60° cell, an irrational
# angle, and an orthogonal cell.
"$PY" - "$WORK" <<'PY' >"$WORK/ase.log" 2>&1
import sys
import numpy as np
import ase.io
from ase import Atoms
from ase.build import make_supercell, mx2

work = sys.argv[1]
hexa = mx2("MoS2", a=3.18, thickness=3.19, vacuum=4.0).repeat((2, 2, 1))
ase.io.write(f"{work}/mos2.xyz", hexa, format="extxyz")
hexa = ase.io.read(f"{work}/mos2.xyz")
ref = make_supercell(hexa, [[1, 0, 0], [1, 2, 0], [0, 0, 1]])
ref.wrap()
ase.io.write(f"{work}/mos2_ase_ortho.xyz", ref, format="extxyz")
# 60°: b' = a + b, the same lattice and atoms.
sixty = hexa.copy()
cell = hexa.cell.array.copy()
cell[1] = cell[0] + cell[1]
sixty.set_cell(cell, scale_atoms=False)
ase.io.write(f"{work}/mos2_60.xyz", sixty, format="extxyz")
g = np.radians(100.0)
irr = Atoms("CuO", scaled_positions=[(0.25, 0.5, 0.4), (0.75, 0.125, 0.3)],
            cell=[[3.1, 0, 0], [2.7 * np.cos(g), 2.7 * np.sin(g), 0], [0, 0, 8]],
            pbc=[True, True, False])
ase.io.write(f"{work}/irr.xyz", irr, format="extxyz")
tilted = Atoms("C", positions=[(1, 1, 2)], cell=[[6, 0, 0.5], [0, 6, 0], [0, 0, 8]])
ase.io.write(f"{work}/tilted.xyz", tilted, format="extxyz")
PY
check "ASE writes the structures" [ -s "$WORK/mos2.xyz" -a -s "$WORK/irr.xyz" ] ||
    cat "$WORK/ase.log"

COMMON=(--sampling 0.08 --slice 2 --fftw estimate --wisdom "")

# ---- the hexagonal cell, and ASE's own supercell ------------------------------------------------
expect_ok "hexagonal MoS2" image "$WORK/mos2.xyz" -o "$WORK/hex.h5" "${COMMON[@]}"
check "summary: 24 atoms and the supercell" grep -Eq \
    "^24 atoms; .*oblique cell simulated as its orthogonal supercell \[\[1,0\],\[1,2\]\] \(2 cells, rotated 0 deg, strain 0\)$" \
    "$WORK/stdout"
expect_ok "ASE's orthogonal supercell" image "$WORK/mos2_ase_ortho.xyz" -o "$WORK/ase.h5" \
    "${COMMON[@]}"
check "orthogonal input: no supercell note" bash -c "! grep -q 'supercell' '$WORK/stdout'"
expect_ok "60° cell" image "$WORK/mos2_60.xyz" -o "$WORK/sixty.h5" "${COMMON[@]}"
check "60° summary: two cells" grep -q "(2 cells, rotated 0 deg" "$WORK/stdout"

"$PY" - "$WORK" >"$WORK/h5check" 2>&1 <<'PY'
import sys
import h5py
import numpy as np

work = sys.argv[1]
ok = True


def check(cond, what):
    global ok
    if not cond:
        ok = False
        print("FAIL:", what)


def rms(a, b):
    return float(np.sqrt(np.mean(np.abs(a - b) ** 2) / np.mean(np.abs(b) ** 2)))


with h5py.File(f"{work}/hex.h5", "r") as f, h5py.File(f"{work}/ase.h5", "r") as g, \
        h5py.File(f"{work}/sixty.h5", "r") as s:
    a = f.attrs
    check(a["ortho_matrix"].tolist() == [[1, 0], [1, 2]], f"ortho_matrix {a['ortho_matrix']}")
    check(a["ortho_det"] == 2, "ortho_det")
    check(a["ortho_rotation_deg"] == 0 and a["ortho_strain"] < 1e-12, "rotation, strain")
    inp = a["ortho_input_cell_a"]
    check(abs(np.degrees(np.arccos(inp[0] @ inp[1] / np.linalg.norm(inp[0]) /
                                   np.linalg.norm(inp[1]))) - 120) < 1e-6, "input cell 120°")
    check(np.allclose(a["cell_a"], g.attrs["cell_a"], atol=1e-9), "cell = ASE's supercell")
    check(np.allclose(a["cell_a"][:2, :2], np.diag([6.36, 6.36 * np.sqrt(3)]), atol=1e-6),
          f"cell {a['cell_a']}")
    check(a["n_atoms"] == 24 == g.attrs["n_atoms"], "24 atoms")
    check(all(k not in g.attrs for k in ("ortho_matrix", "ortho_det")),
          "no ortho attributes for an orthogonal cell")
    # No duplicates: the nearest Mo-S and S-S distances as in MoS2.
    p = f["atoms/positions_a"][()]
    L = a["cell_a"][[0, 1], [0, 1]]
    d = p[:, None, :] - p[None, :, :]
    d[..., :2] -= np.round(d[..., :2] / L) * L
    r = np.sqrt((d ** 2).sum(-1)) + np.eye(len(p)) * 1e9
    check(r.min() > 2.3, f"smallest distance {r.min()} (duplicates?)")
    # The same atoms as ASE's supercell, in another order: the same exit wave.
    w, wa = f["exit_wave"][()], g["exit_wave"][()]
    check(w.shape == wa.shape, f"shapes {w.shape} {wa.shape}")
    check(rms(w, wa) < 1e-6, f"exit waves differ: rms {rms(w, wa)}")
    # The 60° cell: the same rectangle, the same wave.
    check(np.allclose(s.attrs["cell_a"], a["cell_a"], atol=1e-9), "60°: same cell")
    check(rms(s["exit_wave"][()], w) < 1e-6, "60°: same exit wave")
    # Six-fold spots on the first ring (|g| = 2/(a√3): (0, ±4), (±2, ±2) on this 2a × 2a√3 grid).
    F = np.abs(np.fft.fft2(w.astype(np.complex128)))
    ny, nx = F.shape
    ring = np.array([F[k % ny, h % nx] for h, k in
                     [(0, 4), (0, -4), (2, 2), (-2, -2), (2, -2), (-2, 2)]])
    check((ring.max() - ring.min()) / ring.mean() < 0.03, f"first ring {ring}")
print("OK" if ok else "FAILED")
PY
check "HDF5: supercell recorded, same wave as ASE's, six-fold" grep -q '^OK$' "$WORK/h5check" ||
    cat "$WORK/h5check"

# ---- near-solutions: --ortho-tolerance ---------------------------------------------------------
expect_fail "irrational angle" 2 \
    "irr.xyz: no orthogonal supercell .*--ortho-tolerance.*best candidate, matrix \[\[-?[0-9]+, -?[0-9]+\], \[-?[0-9]+, -?[0-9]+\]\] \([0-9]+ cells\), has strain" \
    image "$WORK/irr.xyz" -o "$WORK/irr.h5" --sampling 0.2 --fftw estimate --wisdom ""
check "nothing written after the refusal" [ ! -e "$WORK/irr.h5" ]
expect_ok "irrational angle, --ortho-tolerance 1e-2" image "$WORK/irr.xyz" -o "$WORK/irr.h5" \
    --sampling 0.2 --fftw estimate --wisdom "" --ortho-tolerance 1e-2
strain=$("$PY" -c 'import sys, h5py; print(h5py.File(sys.argv[1])["/"].attrs["ortho_strain"])' \
    "$WORK/irr.h5")
check "strain recorded and within the tolerance ($strain)" \
    awk -v s="$strain" 'BEGIN {exit !(s > 0 && s <= 1e-2)}'
printf 'ortho_tolerance: 1.0e-2\northo_max_repeat: 20\nsampling: 0.2\nfftw: estimate\nwisdom: ""\n' \
    >"$WORK/ortho.yaml"
expect_ok "--config ortho_tolerance" image --config "$WORK/ortho.yaml" "$WORK/irr.xyz" \
    -o "$WORK/irr_cfg.h5"
check "config gives the same supercell" grep -q "strain 0.000554" "$WORK/stdout"
expect_fail "--ortho-max-repeat 1 is too small for 1e-2" 2 \
    "within max_repeat 1 and strain_tolerance 0.01" image "$WORK/irr.xyz" -o "$WORK/irr1.h5" \
    --sampling 0.2 --ortho-tolerance 1e-2 --ortho-max-repeat 1

# ---- bad values and cells ----------------------------------------------------------------------
expect_fail "--ortho-tolerance 0" 2 "--ortho-tolerance must be > 0" image "$WORK/mos2.xyz" \
    -o "$WORK/x.h5" --ortho-tolerance 0
expect_fail "--ortho-tolerance 0.3" 2 "--ortho-tolerance must be in \(0, 0.25\] \(got 0.3\)" \
    image "$WORK/mos2.xyz" -o "$WORK/x.h5" --ortho-tolerance 0.3
expect_fail "--ortho-max-repeat 101" 2 "--ortho-max-repeat: .*1..100.*101" image \
    "$WORK/mos2.xyz" -o "$WORK/x.h5" --ortho-max-repeat 101
expect_fail "a with a z component" 2 "cell vector a = \(6, 0, 0.5\) has a z component" image \
    "$WORK/tilted.xyz" -o "$WORK/x.h5"

# ---- cz dataset: a hexagonal scene cell --------------------------------------------------------
sed -e 's/^  cell: \[24, 24, 40\]$/  cell: [[24, 0, 0], [-12, 20.784609690826528, 0], [0, 0, 40]]/' \
    -e 's/^n: 4$/n: 1/' -e 's/^  previews: 2$/  previews: 0/' \
    "$ROOT/examples/dataset/tiny.yaml" >"$WORK/hex.yaml"
check "hexagonal dataset config" grep -q -- "-12, 20.78" "$WORK/hex.yaml"
"$CZ" dataset "$WORK/hex.yaml" --out "$WORK/ds" >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
check "dataset on a hexagonal cell runs (exit $RC)" [ "$RC" -eq 0 ]
check "dataset says so, once" [ "$(grep -c 'scene.cell is oblique' "$WORK/stderr")" -eq 1 ]
check "dataset names the supercell" grep -q "orthogonal supercell \[\[1,0\],\[1,2\]\] (2 cells" \
    "$WORK/stderr"
"$PY" - "$WORK/ds/shard-00000.h5" >"$WORK/dscheck" 2>&1 <<'PY'
import sys
from collections import Counter
import h5py
import numpy as np

with h5py.File(sys.argv[1], "r") as f:
    p = f["structures/positions_a"][()]
    z = f["structures/numbers"][()]
    c = f["structures/class_id"][()]
# The 24 × 20.8 Å hexagonal scene becomes 24 × 41.6 Å with every atom twice (the second copy is
# the first shifted by b, wrapped): every (Z, class, height) occurs an even number of times, and
# atoms reach beyond the hexagonal cell's height.
counts = Counter(zip(z.tolist(), c.tolist(), np.round(p[:, 2], 6).tolist()))
ok = all(v % 2 == 0 for v in counts.values())
ok = ok and p[:, 0].min() >= 0 and p[:, 0].max() < 24 and p[:, 1].min() >= 0
ok = ok and 20.8 < p[:, 1].max() < 24 * np.sqrt(3)
print("OK" if ok else f"FAILED {p.min(0)} {p.max(0)} {len(p)}")
PY
check "dataset structure is the doubled orthogonal cell" grep -q '^OK$' "$WORK/dscheck" ||
    cat "$WORK/dscheck"
"$CZ" dataset "$WORK/hex.yaml" --out "$WORK/ds_quiet" --quiet >"$WORK/stdout" 2>"$WORK/stderr"
RC=$?
check "dataset --quiet: exit 0, nothing on stderr" [ "$RC" -eq 0 -a ! -s "$WORK/stderr" ]

finish
