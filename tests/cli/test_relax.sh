#!/usr/bin/env bash
# test_relax.sh — `cz relax`: relax a built particle with LAMMPS (1 and 2 ranks), the report,
# the keep directory, private temporary files removed, and failures as one line with a
# non-zero exit (a LAMMPS input error gives LAMMPS's ERROR line; cz is never killed).
# Usage: bash test_relax.sh <path-to-cz> <tmpdir>
set -u
. "$(dirname "$0")/common.sh"

run relax --help
check "relax --help" [ "$RC" -eq 0 ]
if ! printf '%s\n' "$OUT" | grep -q "^Usage: cz relax"; then fail "relax --help prints the usage"; fi
run relax "$WORK/none.xyz" -o "$WORK/out.xyz"
if printf '%s\n' "$ERR" | grep -q "built without LAMMPS"; then
    echo "SKIP: cz was built without LAMMPS (liblammps-dev)"
    finish
fi

# Private temporary directories go under $TMPDIR: point it into the work folder to see them go.
# (Open MPI keeps its session directory there too, so only cz-relax-* entries count.)
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
leftovers() { find "$TMPDIR" -maxdepth 1 -name 'cz-relax-*' | wc -l; }

# expect_fail CODE DESCRIPTION ARGS...: exit CODE, one line on stderr starting with "cz relax",
# nothing on stdout, no signal.
expect_fail() {
    local code=$1 what=$2
    shift 2
    run "$@"
    local nlines
    nlines=$(wc -l <"$WORK/stderr")
    if [ "$RC" -ge 128 ]; then
        fail "$what: killed by signal $((RC - 128))"
    elif [ "$RC" -ne "$code" ]; then
        fail "$what: exit $RC, expected $code (stderr: $ERR)"
    elif [ "$nlines" -ne 1 ] || [ "${ERR#cz relax: }" = "$ERR" ]; then
        fail "$what: expected one 'cz relax: ...' line on stderr, got: $ERR"
    elif [ -n "$OUT" ]; then
        fail "$what: printed on stdout: $OUT"
    else
        pass
    fi
}

# json_number FILE KEY: the number after "KEY": in the report.
json_number() { sed -n "s/^ *\"$2\": \([-0-9.eE+]*\),*$/\1/p" "$1"; }

expect_ok "build a particle" build --lattice fcc --element Au -a 4.08 --sphere 8 -o "$WORK/p.xyz"
N=$(summary_count)
expect_ok "relax, 1 rank" relax "$WORK/p.xyz" -o "$WORK/r1.xyz" --report "$WORK/r1.json"
check "summary line" grep -q "^relaxed $N atoms: energy .* (energy tolerance)" "$WORK/stdout"
check "output written" [ -s "$WORK/r1.xyz" ]
expect_ok "cz info reads the output" info "$WORK/r1.xyz"
check "same atom count" [ "$(info_field atoms)" = "$N" ]
check "report has per-atom energies" grep -q '"atom_energies_ev": \[' "$WORK/r1.json"
E1=$(json_number "$WORK/r1.json" energy_ev)
E0=$(json_number "$WORK/r1.json" initial_energy_ev)
check "report energy is a number ($E1)" [ -n "$E1" ]
check "energy drops ($E0 -> $E1)" awk -v a="$E1" -v b="$E0" 'BEGIN {exit !(a < b)}'
check "converged" grep -q '"converged": true' "$WORK/r1.json"

expect_ok "relax, 2 ranks" relax "$WORK/p.xyz" -o "$WORK/r2.xyz" --ranks 2 --report "$WORK/r2.json"
E2=$(json_number "$WORK/r2.json" energy_ev)
check "2 ranks: same energy ($E1 vs $E2)" close "$E1" "$E2" 1e-6

expect_ok "anneal then FIRE" relax "$WORK/p.xyz" -o "$WORK/ra.lmp" --anneal 300,40 --seed 5 \
    --timestep 2 --min fire --report "$WORK/ra.json"
check "40 MD steps reported" grep -q '"md_steps": 40,' "$WORK/ra.json"
check "LAMMPS data output" grep -q "atom types" "$WORK/ra.lmp"

mkdir -p "$WORK/keep"
expect_ok "--keep" relax "$WORK/p.xyz" -o "$WORK/rk.xyz" --keep "$WORK/keep" --min none \
    --freeze particle
check "--keep leaves in.relax" grep -q "^read_data" "$WORK/keep/in.relax"
check "--freeze particle writes the group" grep -q "^fix cz_freeze cz_frozen setforce" \
    "$WORK/keep/in.relax"
check "no private directories left in TMPDIR" [ "$(leftovers)" -eq 0 ]

# LAMMPS rejects the input: exit 2 with its ERROR line, in one line.
expect_fail 2 "unknown LAMMPS pair style" relax "$WORK/p.xyz" -o "$WORK/x.xyz" \
    --pair-commands "pair_style nonsense"
check "LAMMPS's ERROR line" grep -q "ERROR: Unrecognized pair style 'nonsense'" "$WORK/stderr"
expect_fail 2 "missing potential file, 2 ranks" relax "$WORK/p.xyz" -o "$WORK/x.xyz" \
    --pair eam=/nonexistent/Missing_u3.eam --ranks 2
check "names the missing file" grep -q "Missing_u3.eam" "$WORK/stderr"
check "no output after a failure" [ ! -e "$WORK/x.xyz" ]
check "no private directories left after failures" [ "$(leftovers)" -eq 0 ]

# Bad command lines and values.
expect_fail 2 "no output file" relax "$WORK/p.xyz"
expect_fail 2 "no input file" relax -o "$WORK/x.xyz"
expect_fail 1 "missing input" relax "$WORK/missing.xyz" -o "$WORK/x.xyz"
expect_fail 2 "unknown option" relax "$WORK/p.xyz" -o "$WORK/x.xyz" --frobnicate
expect_fail 2 "bad --min" relax "$WORK/p.xyz" -o "$WORK/x.xyz" --min bfgs
check "--min names the value" grep -q "bfgs" "$WORK/stderr"
expect_fail 2 "bad --anneal" relax "$WORK/p.xyz" -o "$WORK/x.xyz" --anneal 300
expect_fail 2 "fractional anneal steps" relax "$WORK/p.xyz" -o "$WORK/x.xyz" --anneal 300,2.5
expect_fail 2 "--ranks 0" relax "$WORK/p.xyz" -o "$WORK/x.xyz" --ranks 0
expect_fail 2 "unknown class" relax "$WORK/p.xyz" -o "$WORK/x.xyz" --freeze rock
expect_fail 2 "unknown pair style" relax "$WORK/p.xyz" -o "$WORK/x.xyz" --pair lennard
expect_fail 2 "negative etol" relax "$WORK/p.xyz" -o "$WORK/x.xyz" --etol -1
expect_fail 2 "--lj with one number" relax "$WORK/p.xyz" -o "$WORK/x.xyz" --lj 0.01
expect_fail 1 "--keep on a missing directory" relax "$WORK/p.xyz" -o "$WORK/x.xyz" \
    --keep "$WORK/nowhere"

finish
