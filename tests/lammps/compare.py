"""Checks for the LAMMPS input-script tests (tests/lammps/run_test.sh); /usr/bin/python3 with
numpy and h5py. Each subcommand prints one line and exits 1 on a mismatch.

  dump2xyz DUMP STEP OUT.xyz EL1[,EL2...]   one frame of a LAMMPS custom dump (id type x y z,
                                            sorted by id) as extxyz in fix cz/image's frame
  atoms DUMP REF.xyz ELS [--shift DX,DY,DZ] [--first ID] [--label-offset K]
                                            the dump's first frame holds exactly REF's atoms
  images A.h5 B.h5 TOL                      /images of two cz-sim HDF5 files agree to TOL
"""
import math
import sys

import numpy as np


def read_dump(path, step=None):
    """Frames of a LAMMPS text dump: {step: (bounds[3][2], periodic[3], columns, rows)}."""
    frames = {}
    with open(path) as f:
        lines = f.read().splitlines()
    i = 0
    while i < len(lines):
        assert lines[i].startswith("ITEM: TIMESTEP"), lines[i]
        t = int(lines[i + 1])
        n = int(lines[i + 3])
        flags = lines[i + 4].split()[3:]
        bounds = [tuple(float(v) for v in lines[i + 5 + k].split()[:2]) for k in range(3)]
        cols = lines[i + 8].split()[2:]
        rows = [lines[i + 9 + k].split() for k in range(n)]
        frames[t] = (bounds, [fl == "pp" for fl in flags], cols, rows)
        i += 9 + n
    return frames if step is None else frames[step]


def frame_positions(bounds, periodic, x):
    """The arithmetic of czi_lmp_frame (box mode), operation for operation."""
    out = []
    for k in range(3):
        lo, hi = bounds[k]
        length = hi - lo
        f = x[k] - lo
        if periodic[k]:
            if f < 0 or f >= length:
                f -= length * math.floor(f / length)
            if f >= length:
                f = 0.0
        out.append(f)
    return out


def dump2xyz(dump, step, out, elements):
    bounds, periodic, cols, rows = read_dump(dump, int(step))
    els = elements.split(",")
    ix, it = cols.index("x"), cols.index("type")
    ids = [int(r[cols.index("id")]) for r in rows]
    assert ids == sorted(ids), "dump not sorted by id"
    L = [hi - lo for lo, hi in bounds]
    with open(out, "w") as f:
        f.write(f"{len(rows)}\n")
        f.write(f'Lattice="{L[0]!r} 0 0 0 {L[1]!r} 0 0 0 {L[2]!r}" '
                'Properties=species:S:1:pos:R:3 pbc="F F F"\n')
        for r in rows:
            p = frame_positions(bounds, periodic, [float(v) for v in r[ix:ix + 3]])
            f.write(f"{els[int(r[it]) - 1]} {p[0]!r} {p[1]!r} {p[2]!r}\n")
    print(f"step {step}: {len(rows)} atoms -> {out}")


def read_extxyz(path):
    with open(path) as f:
        n = int(f.readline())
        f.readline()
        rows = [f.readline().split() for _ in range(n)]
    return rows


def atoms(dump, ref, elements, *opts):
    """Atoms first..first+n-1 of the dump's first frame are REF's n atoms, in order: element
    (type k is ELEMENTS[k-1]), position + shift (to the file's 1e-10 Å), labels (+ offset)."""
    shift, first, offset = [0.0, 0.0, 0.0], 1, 0
    for k in range(0, len(opts), 2):
        if opts[k] == "--shift":
            shift = [float(v) for v in opts[k + 1].split(",")]
        elif opts[k] == "--first":
            first = int(opts[k + 1])
        elif opts[k] == "--label-offset":
            offset = int(opts[k + 1])
    els = elements.split(",")
    frames = read_dump(dump)
    bounds, periodic, cols, rows = frames[min(frames)]
    want = read_extxyz(ref)
    n = len(want)
    c = {name: cols.index(name) for name in cols}
    ids = [int(r[c["id"]]) for r in rows]
    mine = [r for r in rows if first <= int(r[c["id"]]) < first + n]
    if [int(r[c["id"]]) for r in mine] != list(range(first, first + n)):
        print(f"FAIL: atom ids {first}..{first + n - 1} are not all in {dump} ({len(rows)} atoms)")
        return 1
    got = np.array([[float(r[c[a]]) for a in "xyz"] for r in mine])
    exp = np.array([[float(v) + shift[k] for k, v in enumerate(w[1:4])] for w in want])
    dmax = float(np.abs(got - exp).max())
    species = sum(1 for r, w in zip(mine, want) if els[int(r[c["type"]]) - 1] != w[0])
    labels = 0
    if "i_cz_object" in c:
        for r, w in zip(mine, want):
            o, g, k = (int(v) for v in w[4:7])
            exp_l = [o + offset if o > 0 else o, g + offset if g > 0 else g, k]
            labels += [int(r[c[a]]) for a in ("i_cz_object", "i_cz_grain", "i_cz_class")] != exp_l
    if dmax > 1e-9 or species or labels:
        print(f"FAIL: atoms {first}..{first + n - 1}: max |dx| {dmax:.3g} Å, {species} wrong "
              f"elements, {labels} wrong labels")
        return 1
    print(f"atoms {first}..{first + n - 1} of {len(ids)} equal to {ref}"
          f"{' + shift ' + ','.join(f'{v:g}' for v in shift) if any(shift) else ''}: elements, "
          f"order, labels{f' (+{offset})' if offset else ''}, positions to {dmax:.2g} Å "
          "(the file's precision)")
    return 0


def images(a, b, tol):
    import h5py
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        ia, ib = fa["images"][()], fb["images"][()]
        ca, cb = fa.attrs["cell_a"], fb.attrs["cell_a"]
    if ia.shape != ib.shape:
        print(f"FAIL: shapes {ia.shape} and {ib.shape}")
        return 1
    d = float(np.abs(ia.astype(np.float64) - ib).max())
    dc = float(np.abs(np.asarray(ca) - np.asarray(cb)).max())
    if d > float(tol) or dc > 1e-12:
        print(f"FAIL: max |difference| {d:.3g} (tolerance {tol}), cells differ by {dc:.3g}")
        return 1
    print(f"images {ia.shape} equal: max |difference| {d:.3g} <= {tol}")
    return 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "dump2xyz":
        dump2xyz(*args)
        sys.exit(0)
    sys.exit({"atoms": atoms, "images": images}[cmd](*args))
