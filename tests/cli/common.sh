# common.sh — helpers sourced by the tests/cli/test_*.sh scripts (not a test itself).
#
# Every script is called as `bash test_X.sh <path-to-cz> <tmpdir>`, counts its checks, prints
# "N passed, M failed" last, and exits non-zero when anything failed.

if [ $# -lt 2 ]; then
    echo "usage: bash $0 <path-to-cz> <tmpdir>" >&2
    exit 2
fi
CZ=$1
# A private directory per script and process, so scripts can run in parallel under ctest -j.
WORK="$2/cli_$(basename "$0" .sh).$$"
rm -rf "$WORK"
mkdir -p "$WORK" || exit 2
# Kept after a failure, for a look at what was written.
trap '[ "$nfail" -eq 0 ] && rm -rf "$WORK"' EXIT

npass=0
nfail=0

pass() { npass=$((npass + 1)); }
fail() {
    nfail=$((nfail + 1))
    echo "FAIL: $*"
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    local what=$1
    shift
    if "$@"; then pass; else fail "$what"; fi
}

# run ARGS...: run cz; sets RC, OUT (stdout) and ERR (stderr) and keeps the texts in files.
run() {
    "$CZ" "$@" >"$WORK/stdout" 2>"$WORK/stderr"
    RC=$?
    OUT=$(cat "$WORK/stdout")
    ERR=$(cat "$WORK/stderr")
}

# expect_ok DESCRIPTION ARGS...: exit 0 and nothing on stderr.
expect_ok() {
    local what=$1
    shift
    run "$@"
    if [ "$RC" -eq 0 ] && [ -z "$ERR" ]; then
        pass
    else
        fail "$what: exit $RC, stderr: $ERR"
    fi
}

# The atom count is the first word of `cz build`'s summary line.
summary_count() { printf '%s\n' "$OUT" | awk 'NR == 1 {print $1}'; }

# Value of the first `cz info` line whose first word is KEY (the rest of the line).
info_field() {
    printf '%s\n' "$OUT" | awk -v k="$1" '$1 == k {sub(/^[^ ]+ +/, ""); print; exit}'
}

# The three "extent" values of `cz info`'s bbox lines, space-separated.
info_extents() {
    printf '%s\n' "$OUT" | awk '($1 == "bbox" && $6 == "extent") || ($1 ~ /^[yz]$/ && $5 == "extent") \
                                 {printf "%s%s", sep, $NF; sep = " "}'
}

# close A B TOL: |A − B| <= TOL.
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {d = a - b; if (d < 0) d = -d; exit !(d <= t)}'; }

# is_png FILE: the eight PNG signature bytes.
is_png() {
    [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]
}

# png_size FILE: "WIDTH HEIGHT" from the IHDR chunk (big-endian words at bytes 16 and 20).
png_size() {
    od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4, \
                                             $5*16777216 + $6*65536 + $7*256 + $8}'
}

finish() {
    echo "$npass passed, $nfail failed"
    [ "$nfail" -eq 0 ]
    exit
}
