"""cz.lammps: cz's LAMMPS styles registered in the `lammps` Python module's LAMMPS.

LAMMPS runs in a child interpreter: it initialises MPI and ends its process on any input error,
neither of which the pytest process should live through. Skipped without python3-lammps or
without the styles' module (czplugin.so: CZ_LAMMPS_PLUGIN, or beside the package).
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import cz
import cz.lammps

SPEC = Path(__file__).resolve().parents[1] / "lammps" / "data" / "au_on_carbon.yaml"


def _plugin():
    try:
        return cz.lammps.plugin_path()
    except FileNotFoundError:
        return None


pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("lammps") is None,
                       reason="the lammps Python module is missing (Debian: python3-lammps)"),
    pytest.mark.skipif(_plugin() is None,
                       reason="czplugin.so not built (run scripts/lammps-headers.sh, then CMake)"),
]

CHILD = r"""
import json, sys
import numpy as np
from lammps import lammps, LAMMPS_INT
import cz.lammps

spec, workdir = sys.argv[1], sys.argv[2]
lmp = lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
out = {"version": lmp.version()}
cz.lammps.register(lmp)
cz.lammps.register(lmp.lmp)  # twice, and by handle: harmless
for line in ["units metal", "boundary p p f", f"cz_build {spec} seed 5",
             "pair_style zero 6.0", "pair_coeff * *",
             f"fix img all cz/image 5 {workdir}/img.*.h5 elements C Au sampling 0.3 "
             "fftw estimate wisdom none exit_wave no",
             "run 5"]:
    lmp.command(line)
n = lmp.get_natoms()
nlocal = lmp.extract_global("nlocal")
ids = np.array(lmp.numpy.extract_atom("id")[:nlocal])
order = np.argsort(ids)
x = np.array(lmp.numpy.extract_atom("x")[:nlocal])[order]
types = np.array(lmp.numpy.extract_atom("type")[:nlocal])[order]
labels = [np.ctypeslib.as_array(lmp.extract_atom(name, LAMMPS_INT), shape=(nlocal,))[order].tolist()
          for name in ("i_cz_object", "i_cz_grain", "i_cz_class")]
out.update(n=n, ids=ids[order].tolist(), x=x.tolist(), types=types.tolist(), labels=labels)
lmp.close()
print(json.dumps(out))
"""


def _child(tmp_path, *args):
    # The child imports the same cz as this process, from any working directory.
    package_parent = str(Path(cz.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (package_parent, os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=path)
    return subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)


def test_register_builds_the_scene_and_images_it(tmp_path):
    proc = _child(tmp_path, SPEC, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    ref = cz.Spec(str(SPEC)).build(seed=5)
    assert got["n"] == len(ref)
    assert got["ids"] == list(range(1, len(ref) + 1))
    # Bit for bit the atoms cz builds in this process (no file in between): pair style zero
    # and no integrator, so nothing moved during `run 5`.
    assert np.array_equal(np.array(got["x"]), ref.get_positions())
    elements = {1: 6, 2: 79}  # types by increasing Z
    assert [elements[t] for t in got["types"]] == ref.numbers.tolist()
    assert got["labels"] == [ref.arrays["object_id"].tolist(), ref.arrays["grain_id"].tolist(),
                             ref.arrays["class_id"].tolist()]
    files = sorted(p.name for p in tmp_path.glob("img.*.h5"))
    assert files == ["img.0.h5", "img.5.h5"]


def test_version_check_names_both_versions():
    built = cz.lammps.built_version()
    assert built >= 20210929
    cz.lammps.check_version(built)
    with pytest.raises(cz.CzError) as err:
        cz.lammps.check_version(20200303)
    assert str(built) in str(err.value) and "20200303" in str(err.value)


def test_register_refuses_what_is_not_a_lammps():
    with pytest.raises(ValueError, match="expected a LAMMPS instance"):
        cz.lammps.register(None)
    with pytest.raises(ValueError):
        cz.lammps.register(0)
