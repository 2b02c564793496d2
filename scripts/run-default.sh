#!/usr/bin/env bash
# The main job on its built-in default: install missing Debian packages, build, and build the
# default particle scene into out/default.xyz with a PNG preview of its three projections.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/deps.sh
build=${CZ_BUILD_DIR:-build/release}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCZ_WITH_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" --target cz
mkdir -p out
"$build/cz" build --default -o out/default.xyz --preview out/default.png
"$build/cz" info out/default.xyz
echo "cz: wrote out/default.xyz and out/default.png"
