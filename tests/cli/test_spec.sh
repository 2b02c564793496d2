# test_spec.sh — `cz build SPEC.yaml`: seeded, byte-identical builds; bad specs give one line
# naming file:line and field, exit 2, and write nothing.
. "$(dirname "$0")/common.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SPEC=$ROOT/examples/specs/au_particle.yaml

expect_ok "example spec, seed 3" build "$SPEC" --seed 3 -o "$WORK/a.xyz" --preview "$WORK/a.png"
n1=$(summary_count)
expect_ok "example spec, seed 3 again" build "$SPEC" --seed 3 -o "$WORK/b.xyz"
check "same seed ⇒ same bytes" cmp -s "$WORK/a.xyz" "$WORK/b.xyz"
expect_ok "example spec, seed 4" build "$SPEC" --seed 4 -o "$WORK/c.xyz"
check "another seed ⇒ another particle" bash -c "! cmp -s '$WORK/a.xyz' '$WORK/c.xyz'"
check "preview is a PNG" is_png "$WORK/a.png"
check "a particle of plausible size ($n1 atoms)" test "${n1:-0}" -ge 500 -a "${n1:-0}" -le 12000
expect_ok "spec's own seed" build "$SPEC" -o "$WORK/d.xyz"

# expect_spec_error TEXT LINE FIELD: a spec that must fail with one line "…spec.yaml:LINE: …FIELD".
expect_spec_error() {
    printf '%s\n' "$1" >"$WORK/bad.yaml"
    rm -f "$WORK/out.xyz"
    run build "$WORK/bad.yaml" -o "$WORK/out.xyz"
    local lines
    lines=$(printf '%s\n' "$ERR" | grep -c .)
    if [ "$RC" -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -e "$WORK/out.xyz" ] &&
        printf '%s' "$ERR" | grep -qF "bad.yaml:$2:" && printf '%s' "$ERR" | grep -qF -- "$3"; then
        pass
    else
        fail "spec error (want line $2, field '$3'): exit $RC, stderr: $ERR"
    fi
}
expect_spec_error 'objects:
  - lattice: {prototype: fcc, elements: Au, a: 4.08}
    shape: {sphere: {radius: -1}}' 3 "objects[0].shape.sphere.radius"
expect_spec_error 'objects:
  - lattice: {prototype: fcc, elements: Au, a: 4.08}
    shape: {sphere: {radius: 5}}
    speed: 3' 4 'unknown key "speed"'
expect_spec_error 'seed: 1
objects:
  - lattice: {prototype: fcc, elements: Qq, a: 4.08}
    shape: {sphere: {radius: 5}}' 3 "objects[0].lattice.elements"

run build "$WORK/missing.yaml" -o "$WORK/out.xyz"
check "missing spec file: exit 1" test "$RC" -eq 1
check "missing spec file: names it" bash -c "printf '%s' \"\$1\" | grep -q 'missing.yaml'" _ "$ERR"
run build "$SPEC" --sphere 5
check "spec with shape options refused (exit 2)" test "$RC" -eq 2
run build --lattice fcc --element Au -a 4.08 --sphere 5 --seed 3
check "--seed without a spec refused (exit 2)" test "$RC" -eq 2
finish
