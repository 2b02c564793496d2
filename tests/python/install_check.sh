#!/usr/bin/env bash
# The README's second way to install: pip into a venv that sees Debian's numpy and ASE.
# Works on a copy of the source tree so the checkout is not written to.
# Usage: install_check.sh PYTHON WORKDIR
set -euo pipefail
py=$1
work=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rm -rf "$work"
mkdir -p "$work/src"
(cd "$root" && tar --exclude=./build --exclude=./out --exclude=./venv --exclude='*.so' \
   --exclude=__pycache__ -cf - .) | tar -xf - -C "$work/src"
"$py" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install -q --no-build-isolation --no-index --no-deps "$work/src"
cd "$work"
"$work/venv/bin/python" - <<'PY'
import os, sys
import cz
assert os.path.realpath(cz.__file__).startswith(os.path.realpath(sys.prefix)), cz.__file__
au = cz.Lattice.prototype("fcc", "Au", a=4.08)
n = len(cz.fill(au, cz.Sphere(25.0)))
assert n == 3925, n
print(f"installed cz {cz.__version__} from {os.path.dirname(cz.__file__)}: {n} atoms")
print("1 passed, 0 failed")
PY
