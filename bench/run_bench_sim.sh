#!/usr/bin/env bash
# run_bench_sim.sh — build libczsim in Release and time the multislice on the shared
# 20,470-atom structure (../shared/reference/bench) at 512², 1024², 2048² (2 Å slices, 300 keV,
# Kirkland, infinite projection). JSON on stdout (FFT-equivalents per slice = time per slice ÷
# time of one complex64 fftwf_plan_dft_2d transform, measured in the same run), build chatter on
# stderr. Also reported: the potential alone, the first image of a wave (forward FFT + one
# condition); extra imaging conditions from the cached exit wave, each timed call a new defocus
# (15 mrad aperture; no aperture; no aperture with both envelopes), a new lens each call (other
# astigmatism) and, apart, the same ctf repeated (repeat_image_*); and the explicit incoherent
# sum cz_sim_image_incoherent, 8 waves × an 8-point focal sum, per (wave × condition), without
# aperture and with the production job's lens (30 mrad aperture, 1 mrad taper, 0.1 mrad
# convergence envelope). Skips cleanly (JSON note, status 0) when the structure is absent. --cpu-time times with process CPU time (steadier on a shared machine,
# single thread only); --finite uses finite projection.
# Usage: bash bench/run_bench_sim.sh [--sizes 512,1024] [--threads N] [--cpu-time] [--finite]
#                                    [REFDIR]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CZ_BENCH_BUILD:-$root/build/bench}
ref=${CZ_REFERENCE_DIR:-$root/../shared/reference}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCZ_WITH_PYTHON=OFF \
    -DCZ_WITH_LAMMPS=OFF -DCZ_WITH_TESTS=OFF >&2
cmake --build "$build" -j"$(nproc)" --target cz_bench_sim >&2
exec "$build/cz_bench_sim" bench "$ref" "$@"
