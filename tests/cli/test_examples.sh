# test_examples.sh — every example spec builds (two seeds), writes its structure and preview,
# and the same seed gives the same bytes.
. "$(dirname "$0")/common.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
for spec in "$ROOT"/examples/specs/*.yaml; do
    name=$(basename "$spec" .yaml)
    for seed in 1 2; do
        expect_ok "$name seed $seed" build "$spec" --seed "$seed" -o "$WORK/$name.$seed.xyz" \
            --preview "$WORK/$name.$seed.png"
        check "$name seed $seed: preview" is_png "$WORK/$name.$seed.png"
    done
    expect_ok "$name seed 1 again" build "$spec" --seed 1 -o "$WORK/$name.again.xyz"
    check "$name: same seed, same bytes" cmp -s "$WORK/$name.1.xyz" "$WORK/$name.again.xyz"
    run info "$WORK/$name.1.xyz"
    check "$name: cz info reads it" test "$RC" -eq 0
done
finish
