"""Scene specs from Python: files and dicts, seeds, errors naming source:line and field."""

import numpy as np
import pytest

import cz

AU = {
    "objects": [
        {
            "lattice": {"prototype": "fcc", "elements": "Au", "a": 4.08},
            "shape": {"sphere": {"radius": 25}},
            "orientation": "random",
        }
    ]
}


def test_dict_spec_counts_and_seed():
    a = cz.Scene.from_spec(AU, seed=5).to_atoms()
    b = cz.Scene.from_spec(AU, seed=5).to_atoms()
    c = cz.Scene.from_spec(AU, seed=6).to_atoms()
    assert len(a) == 3925 and len(c) == 3925
    assert np.array_equal(a.positions, b.positions)
    assert not np.array_equal(a.positions, c.positions)
    assert a.info["seed"] == 5
    assert set(a.arrays["class_id"]) == {1}


def test_file_spec_with_distributions(tmp_path):
    path = tmp_path / "scene.yaml"
    path.write_text(
        "seed: 9\n"
        "objects:\n"
        "  - lattice: {prototype: fcc, elements: Cu, a: {uniform: [3.6, 3.63]}}\n"
        "    shape: {sphere: {radius: {truncnormal: [10, 3, 8, 12]}}}\n"
    )
    spec = cz.Spec(path)
    sizes = {len(spec.build(seed=s)) for s in range(8)}
    assert len(sizes) > 3
    # Cu sphere radius 8..12 Å, a ≈ 3.6 Å: about 180 to 640 atoms.
    assert min(sizes) > 150 and max(sizes) < 700
    assert spec.build().info["seed"] == 9


def test_spec_errors_name_line_and_field(tmp_path):
    bad = dict(AU)
    bad["objects"] = [dict(AU["objects"][0], shape={"sphere": {"radius": -2}})]
    with pytest.raises(ValueError, match=r"<dict>:\d+: objects\[0\]\.shape\.sphere\.radius: must be > 0"):
        cz.Scene.from_spec(bad).to_atoms()
    path = tmp_path / "bad.yaml"
    path.write_text("objects:\n  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                    "    shape: {sphere: {radius: 5}}\n    paint: blue\n")
    with pytest.raises(ValueError, match=r"bad\.yaml:4: objects\[0\]\.paint: unknown key"):
        cz.Spec(path).build()
    path.write_text("objects: [\n")
    with pytest.raises(OSError, match=r"bad\.yaml:2: YAML syntax error"):
        cz.Spec(path)
    with pytest.raises(OSError, match="cannot open"):
        cz.Spec(tmp_path / "missing.yaml")
    with pytest.raises(TypeError):
        cz.Spec(42)
