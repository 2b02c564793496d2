"""cz.dataset.open: a tiny `cz dataset` run read back as an indexable (image, mask, meta) set."""

import os
import pickle
import subprocess
from pathlib import Path

import numpy as np
import pytest

import cz
import cz.dataset

h5py = pytest.importorskip("h5py")

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "examples" / "dataset" / "tiny.yaml"


def _cz_program():
    exe = os.environ.get("CZ_BIN")
    if exe and Path(exe).is_file():
        return exe
    for cand in (ROOT / "build" / "cz",):
        if cand.is_file():
            return str(cand)
    pytest.skip("the cz program is not built (set CZ_BIN)")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("dataset") / "tiny"
    env = dict(os.environ)
    env.setdefault("CZ_FFTW_WISDOM", "")
    subprocess.run([_cz_program(), "dataset", str(TINY), "--out", str(out), "-n", "4", "--quiet"],
                   check=True, env=env)
    return out


def test_open_len_and_items(tiny):
    ds = cz.dataset.open(tiny)
    assert len(ds) == 12 and ds.image_shape == (48, 48) and ds.images_per_sample == 3
    image, mask, meta = ds[0]
    assert image.shape == (48, 48) and image.dtype == np.float32
    assert mask.shape == (48, 48) and mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1}
    assert meta["sample"] == 0 and meta["image"] == 0 and meta["index"] == 0
    assert meta["defocus_nominal_a"] == pytest.approx(-50.0)
    assert 100 <= meta["dose_e_per_a2"] <= 1200
    assert meta["c_nm_a"].shape == (6, 7) and meta["c_nm_a"][1, 0] == pytest.approx(
        -meta["defocus_a"])
    last = ds[-1]
    assert last[2]["sample"] == 3 and last[2]["image"] == 2
    # The values the scene spec drew: per structure, the same for every image of it.
    sc = meta["scene"]
    assert 4 <= sc["scene.objects[1].shape.sphere.radius"] <= 8
    assert 6 <= sc["scene.objects[0].region.slab.top"] <= 10
    assert sc["scene.objects[1].defects.twins"] in (0, 1)
    assert ds[1][2]["scene"] == sc and last[2]["scene"] != sc
    with pytest.raises(IndexError):
        ds[12]


def test_items_match_the_shards(tiny):
    ds = cz.dataset.open(tiny)
    with h5py.File(tiny / "shard-00001.h5", "r") as f:
        np.testing.assert_array_equal(ds[7][0], f["images"][1])
        np.testing.assert_array_equal(ds[7][1], f["masks"][1])
    full = ds.get(4)
    assert full["class_masks"].shape == (3, 48, 48) and full["object_ids"].dtype == np.int32
    assert len(full["columns"]) == full["meta"]["columns_count"] > 0
    assert np.all(full["columns"]["sample"] == 1)


def test_splits_partition_the_samples(tiny):
    ds = cz.dataset.open(tiny)
    parts = [cz.dataset.open(tiny, split=s) for s in ("train", "val", "test")]
    assert sum(len(p) for p in parts) == len(ds)
    samples = [set(p.metadata()["sample"].tolist()) for p in parts]
    assert not (samples[0] & samples[1]) and not (samples[0] & samples[2])
    assert all(set(p.metadata()["split"].tolist()) <= {k} for k, p in enumerate(parts))
    with pytest.raises(ValueError, match="split"):
        cz.dataset.open(tiny, split="validation")


def test_fields_and_errors(tiny, tmp_path):
    ds = cz.dataset.open(tiny, fields=("image", "object_ids"))
    image, ids = ds[2]
    assert image.shape == ids.shape == (48, 48)
    with pytest.raises(ValueError, match="unknown fields"):
        cz.dataset.open(tiny, fields=("image", "labels"))
    with pytest.raises(FileNotFoundError, match="manifest"):
        cz.dataset.open(tmp_path)


def test_handles_are_per_process(tiny):
    """A pickled copy (what a DataLoader worker gets) opens its own files."""
    ds = cz.dataset.open(tiny)
    ds[0]
    assert ds._handles
    copy = pickle.loads(pickle.dumps(ds))
    assert copy._handles == {} and copy._pid is None
    np.testing.assert_array_equal(copy[5][0], ds[5][0])
    # A forked child never reuses the parent's handle.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        ok = ds[3][2]["sample"] == 1 and ds._pid == os.getpid()
        os.write(w, b"1" if ok else b"0")
        os._exit(0)
    os.close(w)
    got = os.read(r, 1)
    os.waitpid(pid, 0)
    assert got == b"1"
    ds.close()
