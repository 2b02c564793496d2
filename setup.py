"""Build the Python package `cz` and its extensions `cz._cz` and `cz._czsim`.

The extension is compiled from ase_ext/_cz.c together with every C source of libczcore listed
in cz_core/SOURCES.txt (the list CMake reads too), so the Python module needs no installed
library. Dependencies are Debian packages: python3-dev, python3-numpy, python3-setuptools,
libsymspg-dev (spglib), libfftw3-dev (for cz._czsim, the simulator, built from ase_ext/_czsim.c
and sim/src), and an OpenMP-capable gcc.

    /usr/bin/python3 setup.py build_ext --inplace      # .so lands in ase_ext/cz/
    pip install --no-build-isolation .                 # inside a --system-site-packages venv

Set CZ_WERROR=1 to make compiler warnings errors.
"""

import os
from pathlib import Path

import numpy
from setuptools import Extension, setup

ROOT = Path(__file__).resolve().parent
CORE = ROOT / "cz_core"


def core_sources():
    """Paths of libczcore's sources, relative to the repository root, from SOURCES.txt."""
    sources = []
    for line in (CORE / "SOURCES.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            sources.append(str(Path("cz_core") / line))
    return sources


def version():
    """The library version, from the CZ_VERSION_STRING macro of cz_base.h."""
    for line in (CORE / "include" / "cz" / "cz_base.h").read_text().splitlines():
        if line.startswith("#define CZ_VERSION_STRING"):
            return line.split('"')[1]
    raise RuntimeError("CZ_VERSION_STRING not found in cz_base.h")


# CZ_WERROR=1 in the environment turns warnings into errors, as -DCZ_WERROR=ON does for CMake.
WARNINGS = ["-Wall", "-Wextra", "-Wshadow"]
if os.environ.get("CZ_WERROR", "0") not in ("", "0", "OFF", "off"):
    WARNINGS.append("-Werror")

extension = Extension(
    "cz._cz",
    sources=["ase_ext/_cz.c", *core_sources()],
    include_dirs=["cz_core/include", "cz_core/src", numpy.get_include()],
    define_macros=[("CZ_USE_OPENMP", "1")],
    libraries=["symspg", "yaml", "m"],
    extra_compile_args=["-std=c11", "-fopenmp", *WARNINGS],
    extra_link_args=["-fopenmp"],
)

# cz._czsim: the simulator, from ase_ext/_czsim.c and libczsim's sources (sim/src/*.c). It never
# links libczcore. The HDF5 writer (h5out.c) is left out: Python users write HDF5 with h5py.
# Needs libfftw3-dev (fftw3f, and fftw3 for the double-precision option). The floating-point
# flags match sim/CMakeLists.txt so that Python and the cz program compute the same bits.
SIM_SOURCES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "sim" / "src").glob("*.c")
                     if p.name != "h5out.c")
sim_extension = Extension(
    "cz._czsim",
    sources=["ase_ext/_czsim.c", *SIM_SOURCES],
    include_dirs=["sim/include", "sim/src", "cz_core/include", numpy.get_include()],
    define_macros=[("CZ_SIM_HAVE_FFTW_DOUBLE", "1")],
    libraries=["fftw3f", "fftw3", "m"],
    extra_compile_args=["-std=c11", "-O3", "-ffp-contract=off", "-fno-math-errno", "-fopenmp",
                        "-pthread", *WARNINGS],
    extra_link_args=["-fopenmp", "-pthread"],
)

setup(
    name="cz",
    version=version(),
    description="Atomic structures for HRTEM simulation: crystals cut by volumes, as ase.Atoms",
    package_dir={"": "ase_ext"},
    packages=["cz"],
    ext_modules=[extension, sim_extension],
    python_requires=">=3.10",
    install_requires=["numpy", "ase"],
    zip_safe=False,
)
