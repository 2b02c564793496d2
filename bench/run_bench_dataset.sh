#!/usr/bin/env bash
# run_bench_dataset.sh — throughput of `cz dataset` on the embedded default configuration (Au
# particles in amorphous carbon, 1280² simulation grid, 11 defocus values, 512² crops): images per
# core-hour and the time split into structure, relax, plan, potential (atoms → slices), multislice
# per phonon, masks (the particle-only exit wave and labels), imaging per condition (one
# focal-sum point of one phonon wave) and writing. JSON from `cz dataset --timings` on stdout,
# build chatter on stderr.
#
# The full default (8 phonons) costs ~35 s per sample (11 images) on 2 cores; a documented
# scaled-down run takes fewer samples and phonons:
#   bash bench/run_bench_dataset.sh                 # N=2 samples, 8 phonons (the default physics)
#   bash bench/run_bench_dataset.sh -n 1 --phonons 2 --threads 1
#   bash bench/run_bench_dataset.sh --with-relax -n 1   # the default plus a relax: block
#                                                       # (CG, 200 iterations, substrate frozen)
# Extra arguments go to `cz dataset` (e.g. a CONFIG.yaml to benchmark another configuration).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CZ_BENCH_BUILD:-$root/build/bench}
out=${CZ_BENCH_OUT:-$build/dataset-bench}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCZ_WITH_PYTHON=OFF \
    -DCZ_WITH_LAMMPS=OFF -DCZ_WITH_TESTS=OFF >&2
cmake --build "$build" -j"$(nproc)" --target cz >&2
# cz relax runs LAMMPS in its worker program.
cmake --build "$build" -j"$(nproc)" --target cz-relax-worker >&2 2>/dev/null ||
    echo "run_bench_dataset: no cz-relax-worker (LAMMPS not found): --with-relax will fail" >&2
rm -rf "$out"
args=()
for a in "$@"; do
    if [ "$a" = "--with-relax" ]; then
        # The embedded default with relaxation in LAMMPS before imaging.
        mkdir -p "$build"
        "$build/cz" dataset --print-default |
            sed 's/^output:/relax:\n  max_iterations: 200\n  freeze: [substrate]\noutput:/' \
                >"$build/default-relax.yaml"
        args+=("$build/default-relax.yaml")
    else
        args+=("$a")
    fi
done
have_n=0
for a in "$@"; do [ "$a" = "-n" ] && have_n=1; done
[ "$have_n" -eq 1 ] || args+=(-n 2)
# Timings JSON only: the summary line is dropped with --quiet.
exec "$build/cz" dataset --out "$out" --quiet --timings "${args[@]}"
