#!/usr/bin/env bash
# Every test, from scratch: install missing Debian packages, build (warnings are errors),
# run ctest (C unit tests, CLI tests, pytest), then rebuild the C libraries and tests under
# AddressSanitizer + UndefinedBehaviorSanitizer and run the C and CLI tests again.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
bash scripts/deps.sh
# LAMMPS's C++ headers for the styles in lammps_fix/ (Debian's lammps source package, cached
# outside the repository); without them the styles and their tests are skipped, and say so.
bash scripts/lammps-headers.sh >/dev/null ||
  echo "cz: LAMMPS C++ headers unavailable: the LAMMPS styles and their tests (label lammps) are skipped" >&2

jobs=$(nproc 2>/dev/null || echo 2)
build=${CZ_BUILD_DIR:-build/ci}
asan=${CZ_ASAN_BUILD_DIR:-build/asan}

echo "== build ($build)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCZ_WERROR=ON -DCZ_PYTHON=/usr/bin/python3 >/dev/null
cmake --build "$build" -j"$jobs"

echo "== tests"
(cd "$build" && ctest -j"$jobs" --output-on-failure)

echo "== sanitizer build ($asan): address,undefined"
cmake -S . -B "$asan" -DCMAKE_BUILD_TYPE=Debug -DCZ_WERROR=ON -DCZ_SANITIZE=address,undefined \
  -DCZ_WITH_PYTHON=OFF >/dev/null
cmake --build "$asan" -j"$jobs"
(cd "$asan" && ASAN_OPTIONS=detect_leaks=1 ctest -j"$jobs" -L 'c|cli' --output-on-failure)
