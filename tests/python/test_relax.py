"""cz.relax: LAMMPS relaxation through the `cz relax` program.

Compared with plain LAMMPS (Debian's lmp run on cz's own data file with the same settings),
plus labels, frozen groups, periodic slabs and errors raised as exceptions with the program's
one-line message (the Python process is never the one LAMMPS exits).
"""

import os
import shutil
import subprocess

import numpy as np
import pytest
from ase.build import fcc111
from ase.cluster import Icosahedron

import cz


def _program():
    return os.environ.get("CZ_BIN") or shutil.which("cz")


def _relax_available():
    prog = _program()
    if not prog or not os.access(prog, os.X_OK):
        return False
    proc = subprocess.run([prog, "relax", "/nonexistent.xyz", "-o", "/nonexistent-out.xyz"],
                          capture_output=True, text=True)
    return "built without LAMMPS" not in proc.stderr


pytestmark = pytest.mark.skipif(not _relax_available(),
                                reason="the cz program with LAMMPS support is not available")

POTENTIALS = os.environ.get("LAMMPS_POTENTIALS") or "/usr/share/lammps/potentials"


@pytest.fixture(scope="module")
def au147():
    atoms = Icosahedron("Au", noshells=4, latticeconstant=4.08)
    atoms.center()
    atoms.arrays["class_id"] = np.full(len(atoms), 1, dtype=int)
    atoms.arrays["object_id"] = np.full(len(atoms), 1, dtype=int)
    return atoms


def test_relax_icosahedron(au147):
    out = cz.relax(au147)
    assert out is not au147 and len(out) == len(au147) == 147
    np.testing.assert_array_equal(out.numbers, au147.numbers)
    np.testing.assert_array_equal(out.arrays["class_id"], au147.arrays["class_id"])
    info = out.info["relax"]
    assert info["energy_ev"] < info["initial_energy_ev"]
    assert info["converged"] and info["min_iterations"] > 0 and info["md_steps"] == 0
    assert out.get_potential_energy() == pytest.approx(info["energy_ev"], abs=1e-9)
    assert out.arrays["energy_ev"].sum() == pytest.approx(info["energy_ev"], abs=1e-8)
    # Surface atoms (fewer than 12 neighbours) move towards the centre on average.
    d = np.linalg.norm(au147.positions[:, None] - au147.positions[None], axis=2)
    surface = ((d > 0) & (d < 3.4)).sum(axis=1) < 12
    centre = au147.positions.mean(axis=0)
    radial = (np.linalg.norm(out.positions[surface] - centre, axis=1)
              - np.linalg.norm(au147.positions[surface] - centre, axis=1))
    assert surface.sum() == 92 and radial.mean() < 0
    # The input is untouched.
    assert "relax" not in au147.info


def test_matches_plain_lammps(au147, tmp_path):
    """Same final energy (1e-6 eV) and positions (1e-6 Å) as `lmp -in` with the same
    settings (the C test does this for 1 and 2 ranks)."""
    lmp = shutil.which("lmp")
    if not lmp:
        pytest.skip("Debian's lmp is not installed")
    out = cz.relax(au147, etol=1e-12, ftol=1e-6, max_iterations=2000)
    data = tmp_path / "plain.data"
    cz.write(data, au147, format="lammps")
    dump = tmp_path / "plain.dump"
    (tmp_path / "in.plain").write_text(
        "units metal\natom_style atomic\nboundary s s s\n"
        f"read_data {data}\npair_style eam\npair_coeff * * {POTENTIALS}/Au_u3.eam\n"
        "min_style cg\nminimize 1e-12 1e-06 2000 50000\n"
        'print "PLAIN_ENERGY $(pe:%.17g)"\n'
        f"write_dump all custom {dump} id xu yu zu modify sort id format float %.17g\n")
    log = tmp_path / "plain.log"
    subprocess.run([lmp, "-in", str(tmp_path / "in.plain"), "-log", str(log), "-screen", "none",
                    "-nocite"], check=True, capture_output=True)
    energy = [float(line.split()[1]) for line in log.read_text().splitlines()
              if line.startswith("PLAIN_ENERGY ")][-1]
    xyz = np.loadtxt(dump, skiprows=9)
    assert out.info["relax"]["energy_ev"] == pytest.approx(energy, abs=1e-6)
    np.testing.assert_allclose(out.positions, xyz[:, 1:4], atol=1e-6, rtol=0)


def test_frozen_substrate_on_a_periodic_slab():
    slab = fcc111("Au", size=(3, 3, 4), a=4.08, vacuum=8.0, periodic=False)
    slab.pbc = (True, True, False)
    bottom = slab.positions[:, 2] < slab.positions[:, 2].min() + 1.0
    slab.arrays["class_id"] = np.where(bottom, 2, 1)
    out = cz.relax(slab, freeze="substrate")
    np.testing.assert_array_equal(out.positions[bottom], slab.positions[bottom])
    assert np.abs(out.positions[~bottom] - slab.positions[~bottom]).max() > 1e-3
    np.testing.assert_array_equal(out.cell.array, slab.cell.array)
    assert out.pbc.tolist() == [True, True, False]
    # The outermost interlayer spacing contracts.
    z = slab.positions[:, 2]
    top = z > z.max() - 0.5
    second = (z > z.max() - 3.0) & ~top
    before = z[top].mean() - z[second].mean()
    after = out.positions[top, 2].mean() - out.positions[second, 2].mean()
    assert after < before


def test_anneal_is_seeded(au147):
    a = cz.relax(au147, anneal=(400.0, 30), seed=11, timestep=2.0)
    b = cz.relax(au147, anneal=(400.0, 30), seed=11, timestep=2.0)
    assert a.info["relax"]["md_steps"] == 30
    np.testing.assert_array_equal(a.positions, b.positions)


def test_lammps_error_raises_with_its_message(au147):
    with pytest.raises(ValueError, match="ERROR: Unrecognized pair style 'nonsense'"):
        cz.relax(au147, pair_commands=["pair_style nonsense", "pair_coeff * *"])
    with pytest.raises(ValueError, match="Missing_u3.eam"):
        cz.relax(au147, pair="eam=/nonexistent/Missing_u3.eam", ranks=2)
    # Still alive, and still working.
    assert cz.relax(au147, minimizer="none").info["relax"]["min_iterations"] == 0


def test_bad_values_raise(au147):
    with pytest.raises(ValueError, match="--ranks"):
        cz.relax(au147, ranks=0)
    with pytest.raises(ValueError, match="unknown class 'rock'"):
        cz.relax(au147, freeze="rock")
    with pytest.raises(ValueError, match="unknown style 'lennard'"):
        cz.relax(au147, pair="lennard")


def test_missing_program_raises(au147, monkeypatch):
    monkeypatch.setenv("CZ_BIN", "/nonexistent/cz")
    with pytest.raises(cz.CzError, match="cannot run /nonexistent/cz"):
        cz.relax(au147)
