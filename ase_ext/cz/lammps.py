"""cz's LAMMPS styles in a LAMMPS instance of the ``lammps`` Python module.

LAMMPS learns the command ``cz_build`` and the fix ``cz/image`` (docs/lammps.md) from
``czplugin.so``, which the CMake build makes when liblammps and the LAMMPS C++ headers are there.
Debian's LAMMPS has no PLUGIN package, so ``plugin load`` is not available; :func:`register`
inserts the styles into a running instance instead, through the module's C entry point
``cz_lammps_register`` (ctypes)::

    from lammps import lammps            # Debian: python3-lammps
    import cz.lammps

    lmp = lammps(cmdargs=["-log", "none"])
    cz.lammps.register(lmp)
    lmp.command("cz_build particle.yaml seed 7")
    lmp.command("fix img all cz/image 100 img.*.h5 elements Au")

Registration refuses (:class:`cz.CzError`, naming both versions) when the running LAMMPS is not
the version the styles were compiled for. Note that LAMMPS itself ends the whole process on an
input error (Debian's build has no C++ exceptions): run untrusted input in a subprocess.

The module is found as ``$CZ_LAMMPS_PLUGIN``, else ``czplugin.so`` beside this package (the
CMake build copies it there).
"""

import ctypes
import os

from ._cz import CzError

_lib = None


def plugin_path() -> str:
    """Path of the styles' shared library: ``$CZ_LAMMPS_PLUGIN``, else ``czplugin.so`` in the
    package directory. Raises FileNotFoundError naming where it looked."""
    env = os.environ.get("CZ_LAMMPS_PLUGIN", "")
    candidates = [env] if env else [os.path.join(os.path.dirname(__file__), "czplugin.so")]
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        f"cz.lammps: no LAMMPS styles module at {candidates[0]} (build cz with CMake after "
        "scripts/lammps-headers.sh, or set CZ_LAMMPS_PLUGIN to czplugin.so)")


def _load():
    global _lib
    if _lib is None:
        lib = ctypes.CDLL(plugin_path())
        lib.cz_lammps_register.argtypes = [ctypes.c_void_p]
        lib.cz_lammps_register.restype = ctypes.c_int
        lib.cz_lammps_check_version.argtypes = [ctypes.c_int]
        lib.cz_lammps_check_version.restype = ctypes.c_int
        lib.cz_lammps_built_version.argtypes = []
        lib.cz_lammps_built_version.restype = ctypes.c_int
        lib.cz_lammps_last_error.argtypes = []
        lib.cz_lammps_last_error.restype = ctypes.c_char_p
        _lib = lib
    return _lib


def _message(lib) -> str:
    return lib.cz_lammps_last_error().decode("utf-8", "replace")


def built_version() -> int:
    """The LAMMPS version (YYYYMMDD, as ``lammps.version()``) the styles were compiled for."""
    return int(_load().cz_lammps_built_version())


def check_version(version: int) -> None:
    """Raise :class:`cz.CzError` (naming both versions) unless the styles can run in a LAMMPS of
    ``version`` (YYYYMMDD)."""
    lib = _load()
    if lib.cz_lammps_check_version(int(version)) != 0:
        raise CzError(_message(lib))


def register(lmp) -> None:
    """Register ``cz_build`` and ``fix cz/image`` with a LAMMPS instance: a ``lammps.lammps``
    object (its ``.lmp`` handle is used) or the raw handle (``ctypes.c_void_p`` or an address).
    Call it once per instance, before the styles are used; registering again is harmless.
    Raises ValueError for a closed or missing instance, :class:`cz.CzError` when the running
    LAMMPS is not the one the styles were built for, FileNotFoundError without the module."""
    handle = getattr(lmp, "lmp", lmp)
    if isinstance(handle, ctypes.c_void_p):
        handle = handle.value
    if not isinstance(handle, int) or handle == 0:
        raise ValueError(f"cz.lammps.register: expected a LAMMPS instance (got {lmp!r})")
    lib = _load()
    if lib.cz_lammps_register(ctypes.c_void_p(handle)) != 0:
        raise CzError(_message(lib))


__all__ = ["built_version", "check_version", "plugin_path", "register"]
