#!/usr/bin/env bash
# validate_abtem.sh — compare libczsim with the shared abTEM reference (../shared/reference):
# single-atom potentials (Kirkland, Lobato; Au, C), the Au octahedron's projected potential,
# exit wave and both HRTEM images, with abTEM's choices (CZ_SIM_SPREAD_ABTEM), and with each of
# cz's potential methods — the real-space superposition (CZ_SIM_POTENTIAL_REALSPACE, the
# default) and the B-spline particle mesh (CZ_SIM_POTENTIAL_FOURIER) — with infinite and with
# finite projection (CZ_SIM_FINITE). Prints JSON; exit status 0 when every bound holds (≤ 1e-3
# relative RMS with abTEM's choices, ≤ 5e-2 with the documented different choices), and 0 with a
# "skipped" note when the reference is absent. `cz_bench_sim converge` (same build) measures each
# scheme against the converged multislice instead (docs/sim.md).
# Usage: bash scripts/validate_abtem.sh [REFDIR]   (build dir: $CZ_SIM_BUILD or build/sim)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-${CZ_REFERENCE_DIR:-$root/../shared/reference}}
if [ ! -f "$ref/abtem/hrtem_exit_wave.npy" ]; then
    echo "{\"skipped\": \"abTEM reference not found at $ref\"}"
    exit 0
fi
build=${CZ_SIM_BUILD:-$root/build/sim}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCZ_WITH_PYTHON=OFF \
    -DCZ_WITH_LAMMPS=OFF -DCZ_WITH_TESTS=OFF >&2
cmake --build "$build" -j"$(nproc)" --target cz_bench_sim >&2
exec "$build/cz_bench_sim" validate "$ref"
