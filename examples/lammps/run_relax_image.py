"""in.relax_image from Python: the `lammps` module (Debian: python3-lammps) with cz's styles
registered by cz.lammps.register, since Debian's LAMMPS cannot `plugin load` them.

    PYTHONPATH=../../ase_ext /usr/bin/python3 run_relax_image.py [SEED]

Then the images are numpy arrays through h5py, e.g. the relaxed particle at Scherzer defocus.
"""

import glob
import os
import sys

import h5py
from lammps import lammps

import cz.lammps

here = os.path.dirname(os.path.abspath(__file__))
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 7

lmp = lammps(cmdargs=["-log", "none", "-var", "dir", here, "-var", "seed", str(seed)])
cz.lammps.register(lmp)  # cz_build and fix cz/image now exist in this LAMMPS
lmp.file(os.path.join(here, "in.relax_image"))
lmp.close()

for path in sorted(glob.glob("out/relax.*.h5"), key=lambda p: int(p.split(".")[-2])):
    with h5py.File(path, "r") as f:
        images, defocus = f["images"][()], f["defocus_a"][()]
        print(f"{path}: {len(f['atoms/numbers'])} atoms, images {images.shape}, defocus "
              f"{', '.join(f'{d:.1f}' for d in defocus)} Å, contrast (std) at Scherzer "
              f"{images[0].std():.4f}")
