#!/usr/bin/env bash
# test_info.sh — `cz info`: counts, labels, cell, bounding box and closest pair of known files.
# Usage: bash test_info.sh <path-to-cz> <tmpdir>
set -u
. "$(dirname "$0")/common.sh"

# A file written by hand: four atoms of two elements, a periodic orthorhombic cell.
cat >"$WORK/hand.xyz" <<'XYZ'
4
Lattice="10.0 0.0 0.0 0.0 12.0 0.0 0.0 0.0 14.0" Properties=species:S:1:pos:R:3:object_id:I:1:grain_id:I:1:class_id:I:1 pbc="T T F"
Au 1.0 2.0 3.0 1 1 1
Au 4.0 2.0 3.0 1 1 1
C 1.0 2.0 4.5 2 5 2
C 9.8 2.0 3.0 2 5 2
XYZ
expect_ok "info on a hand-written file" info "$WORK/hand.xyz"
check "format extxyz" [ "$(info_field format)" = extxyz ]
check "4 atoms" [ "$(info_field atoms)" = 4 ]
check "element C counted" grep -Eq '^elements +C +2 ' "$WORK/stdout"
check "element Au counted" grep -Eq '^ +Au +2 ' "$WORK/stdout"
check "label group 1/1/particle" grep -Eq '^ +1 +1 +particle +2$' "$WORK/stdout"
check "label group 2/5/substrate" grep -Eq '^ +2 +5 +substrate +2$' "$WORK/stdout"
check "cell row a" grep -Eq '^cell +a +10\.000000 +0\.000000 +0\.000000' "$WORK/stdout"
check "pbc T T F" [ "$(info_field pbc)" = "T T F" ]
check "bbox x 1 .. 9.8" grep -Eq '^bbox +x +1\.000000 \.\. +9\.800000 +extent 8\.800000' "$WORK/stdout"
# Along periodic x, atoms 0 (x = 1) and 3 (x = 9.8) are 1.2 Å apart through the boundary, closer
# than any direct pair (1.5 Å between atoms 0 and 2).
dmin=$(info_field min | awk '{print $2}')
check "min distance 1.2 Å by minimum image (got $dmin)" close "$dmin" 1.2 1e-6
check "closest pair is atoms 0 and 3" grep -Eq '^min dist .*atoms (0 \(Au\) and 3 \(C\)|3 \(C\) and 0 \(Au\))' "$WORK/stdout"

# Counts of a built particle.
expect_ok "build R=25" build --lattice fcc --element Au -a 4.08 --sphere 25 -o "$WORK/au.xyz"
expect_ok "info R=25" info "$WORK/au.xyz"
check "3925 atoms" [ "$(info_field atoms)" = 3925 ]
check "all Au" grep -Eq '^elements +Au +3925 ' "$WORK/stdout"
check "one label group: object 1, grain 1, particle" grep -Eq '^ +1 +1 +particle +3925$' "$WORK/stdout"
check "isolated: pbc F F F" [ "$(info_field pbc)" = "F F F" ]
dmin=$(info_field min | awk '{print $2}')
check "fcc nearest neighbour a/sqrt(2) = 2.884996 Å (got $dmin)" close "$dmin" 2.884996 1e-5
# With 5 Å of vacuum the atoms start at 5 Å (the bbox lies 5 Å inside every face).
lo=$(printf '%s\n' "$OUT" | awk '$1 == "bbox" {print $3}')
check "vacuum puts the atoms at 5 Å (got $lo)" close "$lo" 5 1e-6

# Prismatic files are read too, and --preview draws any file.
expect_ok "build prismatic" build --lattice fcc --element Au -a 4.08 --sphere 9 \
    -o "$WORK/au.prismatic"
n=$(summary_count)
expect_ok "info prismatic" info "$WORK/au.prismatic" --preview "$WORK/info.png"
check "prismatic format detected" [ "$(info_field format)" = prismatic ]
check "prismatic count matches ($n)" [ "$(info_field atoms)" = "$n" ]
check "info --preview writes a PNG" is_png "$WORK/info.png"
expect_ok "--format overrides the extension" info --format extxyz "$WORK/au.xyz"

# A single atom: no pair to report, no crash.
printf '1\nLattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3 pbc="F F F"\nFe 1 1 1\n' \
    >"$WORK/one.xyz"
expect_ok "info on one atom" info "$WORK/one.xyz"
check "one atom: no pair" grep -q "fewer than two atoms" "$WORK/stdout"

expect_ok "info --help" info --help
check "info help has an example" grep -q "Example" "$WORK/stdout"

finish
