"""Crystal fills and scenes, returned as ase.Atoms with per-atom labels.

Labels are stored in ``atoms.arrays['object_id']`` (1-based object index, 0 = none),
``['grain_id']`` and ``['class_id']`` (0 none, 1 particle, 2 substrate, 3 ligand).
"""

from __future__ import annotations

from . import _cz
from ._convert import class_id as _class_id
from ._convert import mat33, pbc3, to_atoms
from .lattice import Lattice
from .transform import Transform
from .volume import Volume

_MODES = {
    "locked": _cz.APPLY_LOCKED,
    "region": _cz.APPLY_REGION,
    "lattice": _cz.APPLY_LATTICE,
}


def fill(lattice: Lattice, volume: Volume, transform: Transform | None = None, *,
         object_id: int | None = None, grain_id: int | None = None, class_=None,
         max_atoms: int | None = None, nthreads: int | None = None):
    """Every site of lattice, placed by transform, that lies inside volume.

    The work is proportional to the number of atoms produced, for any cell and orientation,
    and the atom order does not depend on the thread count. The GIL is released meanwhile.

    Args:
        lattice: the crystal.
        volume: the region, in the world frame (Å).
        transform: places the lattice (lattice frame → world); None = identity.
        object_id, grain_id: labels written to every atom; None = library defaults.
        class_: 'particle', 'substrate', 'ligand', 'none' or a class number; None = library
            default (particle).
        max_atoms: cap on the result (more raises cz.CzError); None = library cap.
        nthreads: OpenMP threads; None or 0 = OpenMP's default.

    Returns:
        ase.Atoms without cell or periodicity, labels in atoms.arrays.
    """
    data = _cz.fill_shape(lattice._handle, volume._handle,
                          None if transform is None else transform.pair,
                          max_atoms=max_atoms, object_id=object_id, grain_id=grain_id,
                          class_id=_class_id(class_), nthreads=nthreads)
    return to_atoms(data)


def count(lattice: Lattice, volume: Volume, transform: Transform | None = None, *,
          max_atoms: int | None = None) -> int:
    """Number of atoms :func:`fill` would produce, without building them."""
    return _cz.fill_count(lattice._handle, volume._handle,
                          None if transform is None else transform.pair, max_atoms=max_atoms)


class Scene:
    """Crystal objects (lattice cut by a volume) in an optional cell.

    Overlaps are resolved by priority (higher wins; ties go to the object added first). With a
    cell, every object is clipped to it and the result carries the cell and pbc; without one,
    the structure is isolated and every volume must be bounded.

    Args:
        cell: (3, 3) rows a, b, c in Å from the origin, or None for an isolated structure.
        pbc: periodicity, one bool or three.
    """

    __slots__ = ("_handle",)

    def __init__(self, cell=None, pbc=False):
        self._handle = _cz.scene_create()
        if cell is not None:
            self.set_cell(cell, pbc)

    def set_cell(self, cell, pbc=False) -> None:
        """Set the cell (rows, Å) and periodicity. An all-zero cell removes the bounds."""
        _cz.scene_set_cell(self._handle, mat33(cell, "cell"), pbc3(pbc))

    def add(self, lattice: Lattice, volume: Volume, priority: int | None = None, class_=None,
            grain: int | None = None) -> int:
        """Add a crystal object and return its index (its atoms get object_id = index + 1).

        Args:
            lattice, volume: the crystal and its region (both copied).
            priority: larger wins overlaps; None = library default (0).
            class_: 'particle', 'substrate', 'ligand', 'none' or a number; None = particle.
            grain: grain label; None = the object id.
        """
        return _cz.scene_add_crystal(self._handle, lattice._handle, volume._handle,
                                     priority=priority, class_id=_class_id(class_),
                                     grain_id=grain)

    def transform(self, index: int, transform: Transform, mode: str = "locked") -> None:
        """Apply transform to object index after its earlier transforms.

        mode: 'locked' moves lattice and volume together (a rigid particle), 'region' moves
        only the cut, 'lattice' rotates/shifts only the crystal inside a fixed region.
        """
        try:
            code = _MODES[mode]
        except KeyError:
            raise ValueError(f"mode must be one of {sorted(_MODES)}, got {mode!r}") from None
        _cz.scene_transform(self._handle, index, transform.pair, code)

    def __len__(self) -> int:
        return _cz.scene_count(self._handle)

    @staticmethod
    def from_spec(source, seed: int | None = None):
        """A scene described by a YAML spec file or an equivalent dict (docs/spec.md), with its
        distributions sampled by ``seed`` (None: the spec's own). Returns an object whose
        ``to_atoms()`` builds it; the same spec and seed give the same atoms."""
        from .spec import Spec, SpecScene

        return SpecScene(source if isinstance(source, Spec) else Spec(source), seed)

    def to_atoms(self, max_atoms: int | None = None, nthreads: int | None = None):
        """Build every object, resolve overlaps, clip to the cell; returns ase.Atoms.

        max_atoms: cap (more raises cz.CzError); nthreads: OpenMP threads (None = default).
        """
        return to_atoms(_cz.scene_populate(self._handle, max_atoms=max_atoms, nthreads=nthreads))
