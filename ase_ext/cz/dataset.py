"""Read a dataset written by ``cz dataset`` (HDF5 shards + manifest.json).

Example::

    import cz.dataset
    ds = cz.dataset.open("out/dataset")            # or open(..., split="train")
    image, mask, meta = ds[0]                      # numpy arrays and a dict
    len(ds), ds.image_shape, ds.manifest["config"]["imaging"]

    # PyTorch (optional; torch is not needed by this module):
    #   loader = torch.utils.data.DataLoader(ds, batch_size=8, num_workers=4, shuffle=True)

The object implements ``__len__`` and ``__getitem__``, which is all ``torch.utils.data.Dataset``
needs (a map-style dataset). HDF5 files are opened lazily and kept per process (keyed by
``os.getpid()``), so a ``DataLoader`` with worker processes gives each worker its own handles
instead of sharing one across ``fork``.

Items: ``image`` float32 (ny, nx) (uint16 datasets are returned as stored, uint16), ``mask``
uint8 (ny, nx) (1 where the particle's own exit-wave phase exceeds the threshold), ``meta`` a
dict of the metadata row (units in the names: ``defocus_a``, ``dose_e_per_a2``, ...) plus
``shard``, ``index`` and ``scene``: the values the scene spec drew for this structure, by field
path (``meta["scene"]["scene.objects[1].shape.sphere.radius"]``, Å; names for choices of names).
``ds.get(i, fields=(...))`` also returns ``class_masks`` (3, ny, nx),
``object_ids`` (ny, nx) and ``columns`` (the sample's atom columns, crop pixel coordinates).
"""

import json
import os
from pathlib import Path

import numpy as np

__all__ = ["open", "Dataset", "SPLITS"]

SPLITS = {"train": 0, "val": 1, "test": 2}

_FIELDS = ("image", "mask", "meta")


class Dataset:
    """Indexable view of a ``cz dataset`` directory (see the module docstring)."""

    def __init__(self, directory, split=None, fields=_FIELDS):
        import h5py  # noqa: F401  (fail early with ImportError when h5py is missing)

        self.directory = Path(directory)
        manifest = self.directory / "manifest.json"
        if not manifest.is_file():
            raise FileNotFoundError(
                f"{manifest}: no manifest (the run is incomplete, or not a cz dataset directory)")
        with manifest.open() as fh:
            self.manifest = json.load(fh)
        if self.manifest.get("format") != "cz-dataset/1":
            raise ValueError(f"{manifest}: unknown format {self.manifest.get('format')!r}")
        if split is not None and split not in SPLITS:
            raise ValueError(f"split must be one of {sorted(SPLITS)} or None (got {split!r})")
        unknown = set(fields) - {"image", "mask", "meta", "class_masks", "object_ids", "columns"}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        self.fields = tuple(fields)
        self.split = split
        self.image_shape = tuple(self.manifest["image_shape"])
        self.images_per_sample = int(self.manifest["images_per_sample"])
        shards = self.manifest["shards"]
        self._files = [str(self.directory / s["file"]) for s in shards]
        # Global image index → (shard, row). Splits select whole samples (structures).
        rows = []
        keep = None
        if split is not None:
            keep = set(self.manifest["splits"][split]["samples"])
        for k, s in enumerate(shards):
            for j in range(int(s["n_samples"])):
                sample = int(s["first_sample"]) + j
                if keep is not None and sample not in keep:
                    continue
                base = j * self.images_per_sample
                rows.extend((k, base + i) for i in range(self.images_per_sample))
        self._index = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
        self._pid = None
        self._handles = {}

    # ---- per-process HDF5 handles ----------------------------------------------------------
    def _file(self, k):
        import h5py

        pid = os.getpid()
        if self._pid != pid:  # a new process (DataLoader worker): never reuse a parent's handles
            self._handles = {}
            self._pid = pid
        f = self._handles.get(k)
        if f is None:
            f = h5py.File(self._files[k], "r")
            self._handles[k] = f
        return f

    def close(self):
        """Close this process's HDF5 handles (they reopen on the next access)."""
        if self._pid == os.getpid():
            for f in self._handles.values():
                f.close()
        self._handles = {}

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_handles"] = {}
        state["_pid"] = None
        return state

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    # ---- the Dataset protocol --------------------------------------------------------------
    def __len__(self):
        return int(self._index.shape[0])

    def __getitem__(self, i):
        item = self.get(i, self.fields)
        return tuple(item[f] for f in self.fields)

    def get(self, i, fields=("image", "mask", "meta", "class_masks", "object_ids", "columns")):
        """Image i as a dict of the requested fields."""
        n = len(self)
        i = int(i)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"index {i} out of range for a dataset of {n} images")
        k, row = (int(v) for v in self._index[i])
        f = self._file(k)
        out = {}
        meta = None
        if "meta" in fields or "columns" in fields:
            rec = f["metadata"][row]
            meta = {name: _plain(rec[name]) for name in rec.dtype.names}
            meta["shard"] = k
            meta["index"] = i
            if "scene_draws_count" in meta and "scene_draws" in f:
                a, c = int(meta["scene_draws_start"]), int(meta["scene_draws_count"])
                meta["scene"] = {_text(r["path"]): (_text(r["text"]) or float(r["value"]))
                                 for r in f["scene_draws"][a:a + c]}
        for name in fields:
            if name == "image":
                out[name] = f["images"][row]
            elif name == "mask":
                out[name] = f["masks"][row]
            elif name == "class_masks":
                out[name] = f["class_masks"][row]
            elif name == "object_ids":
                out[name] = f["object_ids"][row]
            elif name == "meta":
                out[name] = meta
            elif name == "columns":
                a, c = int(meta["columns_start"]), int(meta["columns_count"])
                out[name] = f["columns"][a:a + c]
        return out

    def metadata(self):
        """The metadata rows of every image of this view, as one numpy structured array."""
        parts = []
        for k in range(len(self._files)):
            sel = self._index[self._index[:, 0] == k, 1]
            if sel.size:
                parts.append(self._file(k)["metadata"][:][sel])
        if not parts:
            return self._file(0)["metadata"][:0] if self._files else np.zeros(0)
        return np.concatenate(parts)

    def __repr__(self):
        return (f"cz.dataset.Dataset({str(self.directory)!r}, split={self.split!r}: {len(self)} "
                f"images of {self.image_shape[0]}x{self.image_shape[1]})")


def _text(v):
    """HDF5 variable-length strings: bytes from h5py's compound fields, str elsewhere."""
    return v.decode() if isinstance(v, bytes) else str(v)


def _plain(v):
    """numpy scalars → Python numbers; arrays stay arrays."""
    if isinstance(v, np.ndarray):
        return v
    return v.item() if hasattr(v, "item") else v


def open(directory, split=None, fields=_FIELDS):  # noqa: A001  (mirrors h5py.File / io.open)
    """Open a ``cz dataset`` output directory. ``split`` = 'train' | 'val' | 'test' | None
    (everything); ``fields`` = what ``ds[i]`` returns, in order (default image, mask, meta)."""
    return Dataset(directory, split=split, fields=fields)
