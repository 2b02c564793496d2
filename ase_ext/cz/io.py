"""Structure files through cz's own readers and writers.

Formats: 'extxyz' (.xyz, .extxyz; labels as columns), 'lammps' (.lmp, .data, .lammps; LAMMPS
data, atom_style atomic, write only) and 'prismatic' (.prismatic, .xyzp; Prismatic/computem
xyz with occupancy and thermal rms displacement, orthogonal cells only). For any other format
use ase.io.write on the ase.Atoms cz returns.
"""

from __future__ import annotations

import os

from . import _cz
from ._convert import from_atoms, to_atoms


def _format(format: str | None):
    return None if format is None else _cz.format_from_name(format)


def write(path: str | os.PathLike, atoms, format: str | None = None, *,
          u_rms: float | None = None, occupancy: float | None = None,
          padding: float | None = None, comment: str | None = None) -> None:
    """Write an ase.Atoms (labels from atoms.arrays, 0 where absent).

    Args:
        path: file name; the file is replaced atomically.
        atoms: the structure.
        format: 'extxyz', 'lammps' or 'prismatic'; None = from the extension.
        u_rms: Prismatic thermal rms displacement in Å; None = library default.
        occupancy: Prismatic site occupancy; None = library default.
        padding: vacuum in Å around the atoms on axes without a cell (LAMMPS, Prismatic);
            None = library default.
        comment: text of the comment line; None = "written by cz <version>".

    Raises:
        ValueError: bad format or a cell the format cannot hold. OSError: cannot write.
    """
    arrays = from_atoms(atoms)
    _cz.atoms_write(path, arrays["positions"], arrays["numbers"], arrays["object_id"],
                    arrays["grain_id"], arrays["class_id"], arrays["cell"], arrays["pbc"],
                    format=_format(format), u_rms=u_rms, occupancy=occupancy, padding=padding,
                    comment=comment)


def read(path: str | os.PathLike, format: str | None = None):
    """Read the first structure of an extxyz or Prismatic file as ase.Atoms (labels in
    atoms.arrays). Raises OSError for a missing or malformed file."""
    return to_atoms(_cz.atoms_read(path, format=_format(format)))
