"""Relax an ase.Atoms with LAMMPS: :func:`relax`.

This module shells out to the ``cz relax`` program (see ``cz relax --help`` and docs/relax.md)
instead of calling libczrelax through the extension. The C library already runs LAMMPS in a
child process, because Debian's LAMMPS exits the process that hosts it on any input error and
MPI cannot be initialised twice in one process; running the whole relaxation as a program keeps
LAMMPS, MPI and their libraries out of the Python interpreter altogether, lets ``import cz``
work where LAMMPS is not installed, and leaves the GIL free while LAMMPS runs. Atoms travel as
extxyz files (labels as columns) in a private temporary directory.

The program is looked up when :func:`relax` is called, not at import: ``$CZ_BIN``, else a ``cz``
(or ``bin/cz``) inside this package, else ``cz`` on PATH.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

from ._cz import CzError
from .io import read, write


def _program() -> str:
    env = os.environ.get("CZ_BIN")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "cz"), os.path.join(here, "bin", "cz")):
        if os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    found = shutil.which("cz")
    if found:
        return found
    raise CzError("cz.relax: the cz program was not found (set CZ_BIN, or put cz on PATH)")


def _number(x) -> str:
    # repr of a float is the shortest text that reads back as the same double.
    return repr(float(x))


def _lines(value) -> str:
    return value if isinstance(value, str) else ";".join(value)


def relax(atoms, *, pair: str | None = None, pair_commands=None, lj=None,
          potentials: str | None = None, freeze=None, minimizer: str | None = None,
          etol: float | None = None, ftol: float | None = None,
          max_iterations: int | None = None, max_evaluations: int | None = None,
          anneal=None, timestep: float | None = None, seed: int | None = None,
          commands=None, ranks: int | None = None, timeout: float | None = None,
          keep: str | os.PathLike | None = None):
    """Relax ``atoms`` with LAMMPS and return a relaxed copy.

    Periodic axes (``atoms.pbc``) stay periodic; the others are open, so an isolated particle
    needs no cell and a slab (pbc T T F) is periodic in-plane. Every ``None`` means the C
    library's default (``cz relax --help`` lists them).

    Args:
        atoms: ase.Atoms; labels are read from ``atoms.arrays['object_id' | 'grain_id' |
            'class_id']`` (0 where absent).
        pair: "auto" (EAM u3 for metals, Tersoff for C/Si, AIREBO with H, UFF Lennard-Jones
            between them) or "STYLE[=FILE][,STYLE[=FILE]]" (eam, eam/alloy, eam/fs; tersoff,
            airebo, rebo).
        pair_commands: LAMMPS pair lines used as given (a string with ';' between commands,
            or a list of lines).
        lj: (epsilon_eV, sigma_Å) or (epsilon_eV, sigma_Å, cutoff_Å) for metal–covalent pairs.
        potentials: directory where bare potential file names are looked up.
        freeze: class names that do not move ("substrate", or a list such as
            ["substrate", "ligand"]).
        minimizer: "cg", "fire" or "none".
        etol: relative energy tolerance. ftol: force tolerance, eV/Å.
        max_iterations, max_evaluations: minimiser limits.
        anneal: (temperature_K, steps) of Nosé–Hoover MD before the minimisation.
        timestep: MD and FIRE timestep, fs. seed: seed of the MD velocities.
        commands: extra LAMMPS lines run before MD and minimisation.
        ranks: MPI ranks (mpirun for more than one).
        timeout: seconds before LAMMPS is stopped.
        keep: existing directory to run in and keep (in.relax, atoms.data, log.lammps).

    Returns:
        A copy of ``atoms`` (same order, arrays and info) with relaxed positions (Å), a
        SinglePointCalculator holding the final energy and per-atom energies (eV), the
        per-atom energies in ``arrays['energy_ev']`` and ``info['relax']`` = {energy_ev,
        initial_energy_ev, md_steps, min_iterations, converged, stop_reason,
        max_displacement}.

    Raises:
        ValueError: a bad value, or input LAMMPS rejected (the message is the program's one
            line, with LAMMPS's ERROR line). CzError: the run failed (worker, MPI, timeout,
            files), or the cz program was not found.
    """
    args = []
    if pair is not None:
        args += ["--pair", str(pair)]
    if pair_commands is not None:
        args += ["--pair-commands", _lines(pair_commands)]
    if lj is not None:
        args += ["--lj", ",".join(_number(v) for v in lj)]
    if potentials is not None:
        args += ["--potentials", os.fspath(potentials)]
    if freeze is not None:
        names = [freeze] if isinstance(freeze, str) else list(freeze)
        args += ["--freeze", ",".join(str(n) for n in names)]
    if minimizer is not None:
        args += ["--min", str(minimizer)]
    if etol is not None:
        args += ["--etol", _number(etol)]
    if ftol is not None:
        args += ["--ftol", _number(ftol)]
    if max_iterations is not None:
        args += ["--max-iter", str(int(max_iterations))]
    if max_evaluations is not None:
        args += ["--max-eval", str(int(max_evaluations))]
    if anneal is not None:
        temperature, steps = anneal
        args += ["--anneal", f"{_number(temperature)},{int(steps)}"]
    if timestep is not None:
        args += ["--timestep", _number(timestep)]
    if seed is not None:
        args += ["--seed", str(int(seed))]
    if commands is not None:
        args += ["--commands", _lines(commands)]
    if ranks is not None:
        args += ["--ranks", str(int(ranks))]
    if timeout is not None:
        args += ["--timeout", _number(timeout)]
    if keep is not None:
        args += ["--keep", os.fspath(keep)]

    program = _program()
    with tempfile.TemporaryDirectory(prefix="cz-relax-py-") as tmp:
        src = os.path.join(tmp, "in.xyz")
        dst = os.path.join(tmp, "out.xyz")
        report = os.path.join(tmp, "report.json")
        write(src, atoms, format="extxyz")
        try:
            proc = subprocess.run([program, "relax", src, "-o", dst, "--report", report] + args,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True)
        except OSError as exc:
            raise CzError(f"cz.relax: cannot run {program}: {exc}") from None
        if proc.returncode != 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
            msg = lines[-1] if lines else f"{program} relax exited with status {proc.returncode}"
            raise (ValueError if proc.returncode == 2 else CzError)(msg)
        relaxed = read(dst, format="extxyz")
        sent = read(src, format="extxyz")
        with open(report, encoding="utf-8") as f:
            info = json.load(f)

    from ase.calculators.singlepoint import SinglePointCalculator

    out = atoms.copy()
    out.calc = None
    # extxyz holds positions to 1e-10 Å; moving the caller's positions by the displacement the
    # program reports (rather than taking the file's positions) keeps atoms that did not move,
    # such as frozen ones, bit for bit.
    out.set_positions(atoms.get_positions() + (relaxed.get_positions() - sent.get_positions()))
    energies = info.pop("atom_energies_ev")
    info.pop("atoms", None)
    info.pop("output", None)
    out.arrays["energy_ev"] = np.asarray(energies, dtype=float)
    out.info["relax"] = info
    out.calc = SinglePointCalculator(out, energy=info["energy_ev"],
                                     energies=out.arrays["energy_ev"].copy())
    return out
