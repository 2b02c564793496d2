#!/usr/bin/env bash
# test_build.sh — `cz build`: lattice-point counts, orientations, non-orthogonal cells, output
# formats, the default scene and its PNG preview.
# Usage: bash test_build.sh <path-to-cz> <tmpdir>
set -u
. "$(dirname "$0")/common.sh"

AU="--lattice fcc --element Au -a 4.08"

# fcc Au, a = 4.08 Å, lattice point at the centre: 3,925 atoms within 25 Å, 30,885 within 50 Å
# (no lattice point lies within 0.015 Å of either radius, so the boundary rule cannot matter).
expect_ok "fcc R=25" build $AU --sphere 25 -o "$WORK/au25.xyz"
check "fcc R=25 gives 3925 atoms (got $(summary_count))" [ "$(summary_count)" = 3925 ]
check "fcc R=25 file written" [ -s "$WORK/au25.xyz" ]
expect_ok "info reads the R=25 file" info "$WORK/au25.xyz"
check "info counts 3925 atoms" [ "$(info_field atoms)" = 3925 ]

expect_ok "fcc R=50" build $AU --sphere 50
check "fcc R=50 gives 30885 atoms (got $(summary_count))" [ "$(summary_count)" = 30885 ]

# A rotation about a lattice point maps the sphere onto itself: the count cannot change.
for seed in 1 20240611; do
    expect_ok "fcc R=25 random orientation $seed" build $AU --sphere 25 --random-orientation $seed
    check "fcc R=25 seed $seed gives 3925 (got $(summary_count))" [ "$(summary_count)" = 3925 ]
done
expect_ok "fcc R=50 random orientation" build $AU --sphere 50 --random-orientation 7
check "fcc R=50 rotated gives 30885 (got $(summary_count))" [ "$(summary_count)" = 30885 ]
expect_ok "fcc R=25 zone axis + rotate + euler" build $AU --sphere 25 --zone-axis 1,1,2 \
    --rotate 0,0,1:17 --euler 10,20,30
check "fcc R=25 composed rotations give 3925" [ "$(summary_count)" = 3925 ]

# A 20 Å cube about a lattice point holds the fcc points (i, j, k)·a/2 with |i|,|j|,|k| <= 4 and
# i + j + k even: (9³ + 1)/2 = 365.
expect_ok "fcc box" build $AU --box 20,20,20
check "fcc 20 Å cube gives 365 atoms (got $(summary_count))" [ "$(summary_count)" = 365 ]
# The box stays in the output frame when the crystal turns: its atoms span < 20 Å along x, y, z.
expect_ok "fcc box zone axis" build $AU --box 20,20,20 --zone-axis 1,1,1 --vacuum 0 -o "$WORK/box.xyz"
expect_ok "info box" info "$WORK/box.xyz"
ext=$(info_extents)
check "turned box stays axis-aligned (extents: $ext)" \
    awk -v e="$ext" 'BEGIN {n = split(e, v, " "); ok = n == 3
                            for (i = 1; i <= n; i++) if (v[i] > 20 || v[i] < 14) ok = 0
                            exit !ok}'

# Thread count must not change the result (counter-based, ordered fill).
expect_ok "threads 1" build $AU --sphere 30 --random-orientation 5 --threads 1 -o "$WORK/t1.xyz"
expect_ok "threads 4" build $AU --sphere 30 --random-orientation 5 --threads 4 -o "$WORK/t4.xyz"
check "threads 1 and 4 write identical files" cmp -s "$WORK/t1.xyz" "$WORK/t4.xyz"

# Non-orthogonal cells. hcp Mg (a = 3.21, c = 5.21 Å): nearest neighbours 3.197 Å between planes.
expect_ok "hcp Mg" build --lattice hcp --element Mg -a 3.21 -c 5.21 --sphere 15 -o "$WORK/mg.xyz"
check "hcp file written" [ -s "$WORK/mg.xyz" ]
expect_ok "info hcp" info "$WORK/mg.xyz"
dmin=$(info_field "min" | awk '{print $2}')
check "hcp Mg min distance 3.197 Å (got $dmin)" close "$dmin" 3.197 0.001

# Wurtzite ZnO (a = 3.25, c = 5.21 Å, u = 0.382): Zn–O 1.975 Å.
expect_ok "wurtzite ZnO" build --lattice wurtzite --elements Zn,O -a 3.25 -c 5.21 -u 0.382 \
    --cylinder 12,20 --zone-axis 1,1,0 -o "$WORK/zno.xyz"
expect_ok "info wurtzite" info "$WORK/zno.xyz"
dmin=$(info_field "min" | awk '{print $2}')
check "wurtzite Zn-O min distance 1.975 Å (got $dmin)" close "$dmin" 1.975 0.001
check "wurtzite has Zn and O" grep -Eq '^ +Zn +[0-9]+' "$WORK/stdout"

# Triclinic: space group 1 with an arbitrary cell keeps every site once.
expect_ok "triclinic P1" build --spacegroup 1 --cell 4.13,5.27,6.71,81.3,97.2,103.9 \
    --site Cu:0,0,0 --site O:0.31,0.22,0.57 --sphere 12 -o "$WORK/tric.xyz"
n=$(summary_count)
check "triclinic build has atoms (got $n)" [ "${n:-0}" -gt 100 ]
expect_ok "info triclinic" info "$WORK/tric.xyz"
check "info agrees with the triclinic summary" [ "$(info_field atoms)" = "$n" ]
expect_ok "monoclinic P2/m" build --spacegroup 10 --cell 5.1,6.2,7.3,90,104.5,90 \
    --site Fe:0.1,0.2,0.3 --box 20,20,20 --zone-axis 0,1,0

# The space-group and prototype routes agree: rocksalt NaCl.
expect_ok "NaCl via space group 225" build --spacegroup 225 --cell 5.64,5.64,5.64,90,90,90 \
    --site Na:0,0,0 --site Cl:0.5,0.5,0.5 --sphere 14
n_sg=$(summary_count)
expect_ok "NaCl via prototype" build --lattice rocksalt --elements Na,Cl -a 5.64 --sphere 14
check "space group and prototype NaCl agree ($n_sg vs $(summary_count))" [ "$n_sg" = "$(summary_count)" ]

# Other prototypes build.
expect_ok "perovskite" build --lattice perovskite --elements Sr,Ti,O -a 3.905 --sphere 10
expect_ok "2H-MoS2" build --lattice 2H-MoS2 --elements Mo,S -a 3.16 --box 30,30,13
expect_ok "graphite" build --lattice graphite --element C -a 2.46 --box 20,20,14
expect_ok "fluorite" build --lattice fluorite --elements Ca,F -a 5.46 --sphere 10
expect_ok "diamond" build --lattice diamond --element Si -a 5.431 --sphere 10
expect_ok "bcc" build --lattice bcc --element Fe -a 2.87 --sphere 10
expect_ok "zincblende" build --lattice zincblende --elements Ga,As -a 5.653 --sphere 10

# --from-file: the basis of a one-cell file reproduces the prototype.
cat >"$WORK/nacl_cell.xyz" <<'XYZ'
8
Lattice="5.64 0.0 0.0 0.0 5.64 0.0 0.0 0.0 5.64" Properties=species:S:1:pos:R:3 pbc="T T T"
Na 0.0 0.0 0.0
Na 0.0 2.82 2.82
Na 2.82 0.0 2.82
Na 2.82 2.82 0.0
Cl 2.82 0.0 0.0
Cl 0.0 2.82 0.0
Cl 0.0 0.0 2.82
Cl 2.82 2.82 2.82
XYZ
expect_ok "from-file NaCl" build --from-file "$WORK/nacl_cell.xyz" --sphere 14
check "from-file NaCl matches the prototype count ($(summary_count) vs $n_sg)" \
    [ "$(summary_count)" = "$n_sg" ]

# Output formats.
expect_ok "lammps output" build $AU --sphere 10 -o "$WORK/au.lmp"
check "lammps data file has an atoms line" grep -q "atoms" "$WORK/au.lmp"
expect_ok "prismatic output by --format" build $AU --sphere 10 -o "$WORK/au.txt" --format prismatic
check "prismatic file ends with -1" [ "$(tail -n 1 "$WORK/au.txt" | tr -d ' \r')" = "-1" ]
expect_ok "missing output directories are created" build $AU --sphere 8 -o "$WORK/a/b/c.xyz"
check "nested output written" [ -s "$WORK/a/b/c.xyz" ]

# Facets: {111} + {100} planes alone make a closed (truncated octahedral) particle.
expect_ok "planes only" build $AU --planes "{1,1,1}:12;{1,0,0}:13"
n_planes=$(summary_count)
expect_ok "planes and sphere" build $AU --planes "{1,1,1}:12;{1,0,0}:13" --sphere 14
check "a sphere only removes atoms ($(summary_count) <= $n_planes)" [ "$(summary_count)" -le "$n_planes" ]

# The default scene: Au truncated octahedron along [110], both files written, a real PNG.
expect_ok "default scene" build --default -o "$WORK/out/default.xyz" --preview "$WORK/out/default.png"
check "default structure written" [ -s "$WORK/out/default.xyz" ]
check "default preview is a PNG" is_png "$WORK/out/default.png"
size=$(png_size "$WORK/out/default.png")
check "preview at most 1800 px wide ($size)" [ "${size%% *}" -le 1800 ]
check "default summary names Au" grep -q "Au" "$WORK/stdout"
expect_ok "info default" info "$WORK/out/default.xyz"
check "default atoms are object 1, class particle" \
    grep -Eq '^ +1 +1 +particle +[0-9]+$' "$WORK/stdout"
# Large structures shrink the scale to stay within 1800 px.
expect_ok "big preview" build $AU --sphere 120 --preview "$WORK/big.png"
size=$(png_size "$WORK/big.png")
check "big preview at most 1800 px wide ($size)" [ "${size%% *}" -le 1800 ]

# Help and version.
expect_ok "build --help" build --help
check "build help has an example" grep -q "Example" "$WORK/stdout"
expect_ok "help build" help build
expect_ok "--version" --version
check "version printed" grep -q "^cz [0-9]" "$WORK/stdout"
expect_ok "--help" --help

finish
