#!/usr/bin/env bash
# The main job on its built-in default: install missing Debian packages, build, and generate a
# small labelled HRTEM training set from the embedded Au-on-amorphous-carbon default
# (`cz dataset --print-default` shows it) with its full physics (8 frozen phonons): 4 structures
# × 11 defoci = 44 images of 512², about a minute on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/deps.sh
build=${CZ_BUILD_DIR:-build/release}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCZ_WITH_TESTS=OFF -DCZ_WITH_PYTHON=OFF \
  -DCZ_WITH_LAMMPS=OFF >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target cz
"$build/cz" dataset --out out/dataset -n 4
echo "cz: dataset in out/dataset (shard-*.h5, manifest.json); previews (image | mask | overlay) in out/dataset/previews/"
