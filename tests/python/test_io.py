"""Structure files: extxyz through ASE, Prismatic round trip, LAMMPS data read by lmp."""

import re
import shutil
import subprocess

import ase.io
import numpy as np
import pytest

import cz


@pytest.fixture(scope="module")
def labelled_scene():
    """Two objects in a periodic orthogonal cell, with distinct labels."""
    gold = cz.Lattice.prototype("fcc", "Au", a=4.08)
    mgo = cz.Lattice.prototype("rocksalt", ("Mg", "O"), a=4.212)
    cell = np.diag([4.08 * 5, 4.08 * 5, 30.0])
    scene = cz.Scene(cell=cell, pbc=(True, True, False))
    scene.add(mgo, cz.Box((-1, -1, 0.5), (100, 100, 9.0)), class_="substrate", grain=3)
    scene.add(gold, cz.Sphere(6.0, center=(10.2, 10.2, 16.0)), priority=1)
    return scene.to_atoms()


def test_extxyz_read_by_ase(tmp_path, labelled_scene):
    path = tmp_path / "scene.xyz"
    cz.write(path, labelled_scene)
    back = ase.io.read(path)
    assert len(back) == len(labelled_scene)
    np.testing.assert_allclose(back.positions, labelled_scene.positions, atol=1e-8)
    np.testing.assert_array_equal(back.numbers, labelled_scene.numbers)
    np.testing.assert_allclose(back.cell.array, labelled_scene.cell.array, atol=1e-8)
    assert back.pbc.tolist() == [True, True, False]
    for key in ("object_id", "grain_id", "class_id"):
        np.testing.assert_array_equal(back.arrays[key], labelled_scene.arrays[key])
    assert set(back.arrays["object_id"]) == {1, 2}
    assert set(back.arrays["grain_id"]) == {3, 2}


def test_extxyz_read_by_cz(tmp_path, labelled_scene):
    path = tmp_path / "scene.extxyz"
    cz.write(path, labelled_scene, comment="two objects")
    back = cz.read(str(path))
    np.testing.assert_allclose(back.positions, labelled_scene.positions, atol=1e-8)
    np.testing.assert_array_equal(back.numbers, labelled_scene.numbers)
    assert back.pbc.tolist() == [True, True, False]
    for key in ("object_id", "grain_id", "class_id"):
        np.testing.assert_array_equal(back.arrays[key], labelled_scene.arrays[key])


def test_ase_written_extxyz_read_by_cz(tmp_path):
    atoms = cz.fill(cz.Lattice.prototype("fcc", "Pt", a=3.92), cz.Sphere(7.0), object_id=5)
    path = tmp_path / "ase.xyz"
    ase.io.write(path, atoms, format="extxyz")
    back = cz.read(path)
    np.testing.assert_allclose(back.positions, atoms.positions, atol=1e-8)
    np.testing.assert_array_equal(back.arrays["object_id"], np.full(len(atoms), 5))


def test_prismatic_round_trip(tmp_path, labelled_scene):
    path = tmp_path / "scene.xyz"
    cz.write(path, labelled_scene, format="prismatic", u_rms=0.1, comment="cz test")
    text = path.read_text().splitlines()
    assert text[0] == "cz test" and text[-1].strip() == "-1"
    assert len(text) == len(labelled_scene) + 3
    assert text[2].split()[4:] == ["1", "0.1"]
    back = cz.read(path, format="prismatic")
    np.testing.assert_array_equal(back.numbers, labelled_scene.numbers)
    np.testing.assert_allclose(back.positions, labelled_scene.positions, atol=1e-9)
    np.testing.assert_allclose(back.cell.array, labelled_scene.cell.array, atol=1e-9)


def test_prismatic_refuses_oblique_cell(tmp_path):
    mg = cz.Lattice.prototype("hcp", "Mg", a=3.21, c=5.21)
    with pytest.raises(ValueError, match="orthogonal"):
        cz.write(tmp_path / "mg.xyz", mg.to_atoms(), format="prismatic")
    assert not (tmp_path / "mg.xyz").exists()


def _run_lammps(tmp_path, data, boundary):
    script = tmp_path / "in.read"
    script.write_text(
        "units metal\n"
        "atom_style atomic\n"
        f"boundary {boundary}\n"
        f"read_data {data}\n"
        "variable n equal atoms\n"
        'print "CZ_NATOMS ${n}"\n'
    )
    result = subprocess.run(["lmp", "-in", str(script), "-log", str(tmp_path / "log.lammps")],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    match = re.search(r"^CZ_NATOMS (\d+)$", result.stdout, re.MULTILINE)
    assert match, result.stdout
    return int(match.group(1))


@pytest.mark.skipif(shutil.which("lmp") is None, reason="LAMMPS (lmp) is not installed")
def test_lammps_data_read_by_lmp_periodic(tmp_path, labelled_scene):
    path = tmp_path / "scene.data"
    cz.write(path, labelled_scene, format="lammps")
    assert _run_lammps(tmp_path, path, "p p f") == len(labelled_scene)


@pytest.mark.skipif(shutil.which("lmp") is None, reason="LAMMPS (lmp) is not installed")
def test_lammps_data_read_by_lmp_isolated_and_triclinic(tmp_path):
    zno = cz.Lattice.prototype("wurtzite", ("Zn", "O"), a=3.25, c=5.207, u=0.382)
    particle = cz.fill(zno, cz.Sphere(12.0))
    cz.write(tmp_path / "particle.lmp", particle, padding=4.0)
    assert _run_lammps(tmp_path, tmp_path / "particle.lmp", "f f f") == len(particle)

    scene = cz.Scene(cell=zno.cell * (4, 4, 3), pbc=True)
    scene.add(zno, cz.Sphere(1000.0))
    crystal = scene.to_atoms()
    assert len(crystal) == 4 * 48
    cz.write(tmp_path / "crystal.lmp", crystal)
    assert _run_lammps(tmp_path, tmp_path / "crystal.lmp", "p p p") == len(crystal)


def test_unreadable_file_is_os_error(tmp_path):
    with pytest.raises(OSError, match="missing.xyz"):
        cz.read(tmp_path / "missing.xyz")
    bad = tmp_path / "bad.xyz"
    bad.write_text("3\nLattice=\"1 0 0 0 1 0 0 0 1\"\nAu 0 0\n")
    with pytest.raises(OSError, match="bad.xyz"):
        cz.read(bad)
    with pytest.raises(OSError):
        cz.write(tmp_path / "no-such-dir" / "out.xyz", cz.Lattice.prototype(
            "fcc", "Au", a=4.08).to_atoms())


def test_format_errors(tmp_path):
    atoms = cz.Lattice.prototype("fcc", "Au", a=4.08).to_atoms()
    with pytest.raises(ValueError, match="cz_format_from_name"):
        cz.write(tmp_path / "a.xyz", atoms, format="pdb")
    with pytest.raises(ValueError):
        cz.write(tmp_path / "a.unknown", atoms)
    cz.write(tmp_path / "a.data", atoms)
    with pytest.raises(cz.CzError) as info:
        cz.read(tmp_path / "a.data")  # reading LAMMPS data is not supported
    assert info.value.status == cz._cz.ENOTSUP
