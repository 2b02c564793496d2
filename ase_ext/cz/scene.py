"""Crystal fills and scenes, returned as ase.Atoms with per-atom labels.

A scene holds crystal objects (:meth:`Scene.add`), explicit atoms (:meth:`Scene.add_atoms`),
particles (:meth:`Scene.add_particle`), defected crystals (:meth:`Scene.add_defected_crystal`),
core–shell particles (:meth:`Scene.add_core_shell`) and crystalline substrate slabs
(:meth:`Scene.add_slab`).

Labels are stored in ``atoms.arrays['object_id']`` (1-based object index, 0 = none),
``['grain_id']`` and ``['class_id']`` (0 none, 1 particle, 2 substrate, 3 ligand).
"""

from __future__ import annotations

from . import _cz
from ._convert import atomic_numbers, rows
from ._convert import class_id as _class_id
from ._convert import mat33, pbc3, to_atoms
from .defects import DefectedCrystal, DefectPlane, _planes_arg
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
            grain: int | None = None, object_id: int | None = None) -> int:
        """Add a crystal object and return its index (its atoms get object_id = index + 1).

        Args:
            lattice, volume: the crystal and its region (both copied).
            priority: larger wins overlaps; None = library default (0).
            class_: 'particle', 'substrate', 'ligand', 'none' or a number; None = particle.
            grain: grain label; None = the object id.
            object_id: object label; None = index + 1. Objects sharing an object_id form one
                labelled object (e.g. the grains of a twinned particle).
        """
        return _cz.scene_add_crystal(self._handle, lattice._handle, volume._handle,
                                     priority=priority, class_id=_class_id(class_),
                                     grain_id=grain, object_id=object_id)

    def add_atoms(self, atoms, clip: Volume | None = None, priority: int | None = None,
                  class_=None, grain: int | None = None, object_id: int | None = None) -> int:
        """Add explicit atoms (an amorphous block, a molecule, any ase.Atoms) as one object and
        return its index.

        Only positions and species are copied; the atoms' own labels and cell are ignored.
        For this object the 'lattice' transform mode moves the atoms, 'region' the clip.

        Args:
            atoms: ase.Atoms (or anything with get_positions() and get_atomic_numbers()).
            clip: keep only atoms inside this volume; it is also the object's region in overlap
                resolution. None = keep all and remove nobody else's atoms.
            priority, class_, grain, object_id: as for :meth:`add`.
        """
        return _cz.scene_add_atoms(self._handle, rows(atoms.get_positions(), "positions"),
                                   atomic_numbers(atoms.get_atomic_numbers()),
                                   clip=None if clip is None else clip._handle,
                                   priority=priority, class_id=_class_id(class_),
                                   grain_id=grain, object_id=object_id)

    def add_particle(self, particle, placement: Transform | None = None,
                     priority: int | None = None, class_=None, grain: int | None = None,
                     object_id: int | None = None) -> range:
        """Add a :class:`cz.Particle`: one object per grain, in grain order, all sharing one
        object_id. Atoms shared by neighbouring grains are kept once, by the earlier grain.

        Args:
            particle: a Wulff, Winterbottom, Decahedron or Icosahedron particle.
            placement: particle frame → world, applied locked to every grain; None = identity.
            priority, class_: as for :meth:`add`.
            grain: grain ids grain, grain + 1, ...; None = each grain's own object id (unique
                in the scene).
            object_id: None = the first grain's index + 1.

        Returns:
            range of the grains' scene indices (for per-grain transforms such as strain).
        """
        first = _cz.scene_add_particle(self._handle, particle._handle,
                                       placement=None if placement is None else placement.pair,
                                       object_id=object_id, grain_id=grain, priority=priority,
                                       class_id=_class_id(class_))
        return range(first, first + particle.ngrains)

    def add_defected_crystal(self, lattice: Lattice, volume: Volume, planes=(),
                             placement: Transform | None = None, priority: int | None = None,
                             class_=None, grain: int | None = None,
                             object_id: int | None = None) -> DefectedCrystal:
        """Add a crystal cut by volume and split by defect planes (twins, mirrors, stacking
        faults) into grains; see :mod:`cz.defects`.

        Args:
            lattice: the matrix lattice.
            volume: the region in the particle frame (the lattice's frame), bounded.
            planes: :class:`cz.DefectPlane` objects or dicts (kind, hkl, position, snap,
                shift), e.g. from :func:`cz.defect_planes`; empty = one grain.
            placement: particle frame → world, applied locked to every grain; None = identity.
            priority, class_: as for :meth:`add`.
            grain: grain ids grain, grain + 1, ...; None = each grain's own index + 1.
            object_id: None = the first grain's index + 1, shared by all grains.

        Returns:
            DefectedCrystal(indices, planes): the grains' scene indices and the planes as used
            (snapped positions, explicit shifts). Nothing is added when the call fails.
        """
        first, ngrains, resolved = _cz.scene_add_defected_crystal(
            self._handle, lattice._handle, volume._handle, _planes_arg(planes),
            placement=None if placement is None else placement.pair, priority=priority,
            class_id=_class_id(class_), grain_id=grain, object_id=object_id)
        return DefectedCrystal(range(first, first + ngrains),
                               [DefectPlane._from_tuple(t) for t in resolved])

    def add_core_shell(self, core_lattice: Lattice, core_volume: Volume, shell_lattice: Lattice,
                       shell_volume: Volume, placement: Transform | None = None, *,
                       mismatch: float | None = None, priority: int | None = None,
                       class_=None, grain: int | None = None,
                       object_id: int | None = None) -> range:
        """Add a core–shell particle: the core lattice in core_volume, the shell lattice in
        shell_volume (which may include the core region: the core wins it), sharing one
        object_id with distinct grain ids.

        Args:
            core_lattice, core_volume, shell_lattice, shell_volume: particle frame.
            placement: particle frame → world, locked to both; None = identity.
            mismatch: scale the shell lattice by (1 + mismatch) about the origin (an
                incoherent shell); None = library default (0). For a coherent shell give the
                shell species on the core's spacing and relax with cz.strain.core_shell.
            priority: the shell's; the core gets priority + 1. None = library default.
            class_: as for :meth:`add`.
            grain: core grain, shell grain + 1; None = each object's own index + 1.
            object_id: None = the core's index + 1.

        Returns:
            range(core index, shell index + 1).
        """
        first = _cz.scene_add_core_shell(
            self._handle, core_lattice._handle, core_volume._handle, shell_lattice._handle,
            shell_volume._handle, placement=None if placement is None else placement.pair,
            mismatch=mismatch, priority=priority, class_id=_class_id(class_), grain_id=grain,
            object_id=object_id)
        return range(first, first + 2)

    def add_slab(self, slab, priority: int | None = None, class_=None, grain: int | None = None,
                 object_id: int | None = None) -> int:
        """Add a :class:`cz.Slab` as a crystal object and return its index.

        The scene cell clips the slab laterally, so give the scene the slab's in-plane cell
        first (``Scene(cell=slab.cell, pbc=slab.pbc)``, or a cell with the same a and b rows
        and pbc along them); populating then gives exactly ``slab.natoms`` slab atoms, fewer
        where objects of higher priority take the space.

        Args:
            slab: the slab (copied).
            priority: as for :meth:`add`; None = library default (0).
            class_: None = 'substrate'; otherwise as for :meth:`add`.
            grain, object_id: as for :meth:`add`.
        """
        return _cz.scene_add_slab(self._handle, slab._handle, priority=priority,
                                  class_id=_class_id(class_), grain_id=grain,
                                  object_id=object_id)

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
