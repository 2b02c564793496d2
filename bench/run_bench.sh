#!/usr/bin/env bash
# run_bench.sh — build cz in Release and run the fill benchmark. JSON goes to stdout, build
# chatter to stderr, so `bash bench/run_bench.sh > bench.json` keeps a clean file.
# Usage: bash bench/run_bench.sh [--quick]      (build dir: $CZ_BENCH_BUILD or build/bench)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CZ_BENCH_BUILD:-$root/build/bench}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCZ_WITH_PYTHON=OFF \
    -DCZ_WITH_LAMMPS=OFF -DCZ_WITH_TESTS=OFF >&2
cmake --build "$build" -j"$(nproc)" --target cz cz_bench cz_bench_amorphous >&2
# The Python original's benchmark scene (Au sphere R = 25 Å sunk 5 Å into 100 × 100 × 30 Å of
# amorphous carbon) as a whole `cz build` process; then the amorphous fill on its own.
"$build/cz_bench" "$build/cz" --spec "$root/examples/specs/au_sphere_in_carbon.yaml" "$@"
if [ -x "$build/cz_bench_amorphous" ]; then "$build/cz_bench_amorphous"; fi
