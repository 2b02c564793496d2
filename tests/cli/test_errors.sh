#!/usr/bin/env bash
# test_errors.sh — bad input: a non-zero exit (2 for a bad command line or value, 1 for a failed
# run), exactly one line on stderr naming the problem, nothing on stdout, never a signal.
# Usage: bash test_errors.sh <path-to-cz> <tmpdir>
set -u
. "$(dirname "$0")/common.sh"

# expect_fail CODE DESCRIPTION ARGS...
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
    elif [ "$nlines" -ne 1 ]; then
        fail "$what: $nlines lines on stderr, expected 1: $ERR"
    elif [ "${ERR#cz}" = "$ERR" ]; then
        fail "$what: stderr does not start with 'cz': $ERR"
    elif [ -n "$OUT" ]; then
        fail "$what: printed on stdout: $OUT"
    else
        pass
    fi
}

AU="--lattice fcc --element Au -a 4.08"

# Bad values (exit 2).
expect_fail 2 "negative radius" build $AU --sphere -5
check "negative radius message names the value" grep -q -- "-5" "$WORK/stderr"
expect_fail 2 "zero radius" build $AU --sphere 0
expect_fail 2 "NaN radius" build $AU --sphere nan
expect_fail 2 "infinite radius" build $AU --sphere inf
expect_fail 2 "radius not a number" build $AU --sphere 2x
expect_fail 2 "unknown element" build --lattice fcc --element Xx -a 4.08 --sphere 10
check "unknown element message names it" grep -q "Xx" "$WORK/stderr"
expect_fail 2 "unknown element in --elements" build --lattice rocksalt --elements Na,Qq -a 5.6 --sphere 10
expect_fail 2 "unknown lattice" build --lattice fcx --element Au -a 4.08 --sphere 10
check "unknown lattice message names it" grep -q "fcx" "$WORK/stderr"
expect_fail 2 "missing species" build --lattice rocksalt --element Na -a 5.64 --sphere 10
expect_fail 2 "negative lattice constant" build --lattice fcc --element Au -a -4.08 --sphere 10
expect_fail 2 "wurtzite u out of range" build --lattice wurtzite --elements Zn,O -a 3.25 -u 1.5 --sphere 10
expect_fail 2 "Miller 0,0,0" build $AU --sphere 20 --planes "0,0,0:10"
expect_fail 2 "Miller family {0,0,0}" build $AU --planes "{0,0,0}:10"
expect_fail 2 "malformed planes" build $AU --planes "1,1:10"
expect_fail 2 "planes without distance" build $AU --planes "1,1,1"
expect_fail 2 "empty planes" build $AU --planes ";"
expect_fail 2 "singular cell" build --spacegroup 1 --cell 1,1,1,0,0,0 --site Au:0,0,0 --sphere 5
expect_fail 2 "flat triclinic cell" build --spacegroup 1 --cell 4,4,4,60,60,120 --site Au:0,0,0 --sphere 5
expect_fail 2 "space group 231" build --spacegroup 231 --cell 4,4,4,90,90,90 --site Au:0,0,0 --sphere 5
expect_fail 2 "cell incompatible with the group" build --spacegroup 194 --cell 3,4,5,90,90,90 \
    --site Mg:0.333333,0.666667,0.25 --sphere 5
expect_fail 2 "cell with five numbers" build --spacegroup 1 --cell 4,4,4,90,90 --site Au:0,0,0 --sphere 5
expect_fail 2 "malformed site" build --spacegroup 1 --cell 4,4,4,90,90,90 --site Au0,0,0 --sphere 5
expect_fail 2 "zone axis 0,0,0" build $AU --sphere 10 --zone-axis 0,0,0
expect_fail 2 "rotation about a zero axis" build $AU --sphere 10 --rotate 0,0,0:30
expect_fail 2 "negative seed" build $AU --sphere 10 --random-orientation -1
expect_fail 2 "negative vacuum" build $AU --sphere 10 --vacuum -1
expect_fail 2 "negative box edge" build $AU --box 10,-10,10
expect_fail 2 "zero cylinder length" build $AU --cylinder 10,0
expect_fail 2 "threads -1" build $AU --sphere 10 --threads -1
expect_fail 2 "max-atoms 0" build $AU --sphere 10 --max-atoms 0
expect_fail 2 "unknown format name" build $AU --sphere 10 -o "$WORK/x.xyz" --format pdb
expect_fail 2 "unknown output extension" build $AU --sphere 10 -o "$WORK/x.pdb"

# Bad command lines (exit 2).
expect_fail 2 "unknown option" build $AU --sphere 10 --bogus
check "unknown option message names it" grep -q -- "--bogus" "$WORK/stderr"
expect_fail 2 "option without its value" build $AU --sphere
expect_fail 2 "stray argument" build $AU --sphere 10 extra
expect_fail 2 "no lattice" build --sphere 10
expect_fail 2 "no shape" build $AU
expect_fail 2 "no -a" build --lattice fcc --element Au --sphere 10
expect_fail 2 "two lattice sources" build $AU --spacegroup 225 --cell 4,4,4,90,90,90 --site Au:0,0,0 --sphere 10
expect_fail 2 "two shapes" build $AU --sphere 10 --box 10,10,10
expect_fail 2 "space group without a site" build --spacegroup 225 --cell 4,4,4,90,90,90 --sphere 5
expect_fail 2 "flag with a value" build --default=yes
expect_fail 2 "unknown command" frobnicate
expect_fail 2 "no command" 
expect_fail 2 "unknown top-level option" --bogus
expect_fail 2 "help on an unknown command" help frobnicate
expect_fail 2 "info without a file" info
expect_fail 2 "info with two files" info a.xyz b.xyz
expect_fail 2 "info unknown option" info --bogus x.xyz

# Failed runs (exit 1).
expect_fail 1 "max-atoms exceeded" build $AU --sphere 25 --max-atoms 1000
expect_fail 1 "beyond the library's atom cap" build $AU --sphere 1e6
expect_fail 1 "missing file" info "$WORK/missing.xyz"
check "missing file message names it" grep -q "missing.xyz" "$WORK/stderr"
expect_fail 1 "missing --from-file" build --from-file "$WORK/missing.xyz" --sphere 10
printf 'not a structure\n' >"$WORK/garbage.xyz"
expect_fail 1 "malformed file" info "$WORK/garbage.xyz"
expect_fail 1 "reading LAMMPS data is not supported" info "$WORK/x.lmp"
# A regular file where a directory should be cannot be written into, even by root.
: >"$WORK/plainfile"
expect_fail 1 "unwritable output" build $AU --sphere 10 -o "$WORK/plainfile/out.xyz"
expect_fail 1 "unwritable preview" build $AU --sphere 10 --preview "$WORK/plainfile/p.png"
mkdir -p "$WORK/dir.xyz"
expect_fail 1 "output is a directory" build $AU --sphere 10 -o "$WORK/dir.xyz"
expect_fail 1 "shape without atoms" build $AU --sphere 0.5 --center 1,1,1
check "nothing half-written" [ ! -e "$WORK/plainfile/out.xyz" ]

# Without a cell, a file gives no lattice for --from-file.
printf '1\nProperties=species:S:1:pos:R:3\nAu 0 0 0\n' >"$WORK/nocell.xyz"
expect_fail 2 "from-file without a cell" build --from-file "$WORK/nocell.xyz" --sphere 10

finish
