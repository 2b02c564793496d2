"""cz — nanoscale atomic structures for HRTEM simulation, as ase.Atoms.

A crystal is a :class:`Lattice` cut by a :class:`Volume`, optionally moved by a
:class:`Transform`; :func:`fill` builds one crystal, a :class:`Scene` combines several with
priorities and a cell. Results are ``ase.Atoms`` with the cell, pbc and per-atom labels in
``atoms.arrays['object_id']``, ``['grain_id']`` and ``['class_id']``.

Units: Å for lengths, degrees for angles. Cells are rows a, b, c (ASE's convention).

Example::

    import cz
    au = cz.Lattice.prototype("fcc", "Au", a=4.08)
    particle = cz.fill(au, cz.Sphere(25.0))           # 3925 atoms
    cz.write("particle.xyz", particle)

Beyond single crystals: :class:`Wulff`, :class:`Winterbottom`, :class:`Decahedron` and
:class:`Icosahedron` particles, planar defects (:class:`DefectPlane`,
:meth:`Scene.add_defected_crystal`, :func:`defect_planes`), strain (:mod:`cz.strain`),
composition (:func:`substitute`, :func:`vacate`, :func:`roughen`, :func:`coordination`,
:meth:`Scene.add_core_shell`), amorphous solids (:func:`amorphous`), crystalline substrates
(:class:`Slab`, :meth:`Scene.add_slab`), particles resting on them (:func:`place`),
cross-object clash removal (:func:`remove_clashes`) and ligands on surface sites
(:func:`surface_sites`, :func:`add_ligands`).

Errors: invalid arguments raise ValueError, allocation failures MemoryError, file problems
OSError, anything else from the C library :class:`CzError` (a RuntimeError), always with the
library's message naming the function and the offending value.
"""

from . import _cz, dataset, rng, sim, strain
from ._cz import CzError
from .amorphous import amorphous
from .composition import coordination, roughen, substitute, vacate
from .defects import DefectedCrystal, DefectPlane, defect_planes
from .io import read, write
from .lattice import Lattice, cell_from_parameters
from .ligands import Sites, add_ligands, surface_sites
from .particles import (Decahedron, Facet, Grain, Icosahedron, Particle, Winterbottom, Wulff,
                        miller_family)
from .placement import Placement, place, remove_clashes
# cz.relax(atoms, ...) runs the `cz relax` program (LAMMPS stays out of this process); the
# program is looked up at call time, so the import works without LAMMPS.
from .relax import relax
# cz.lammps.register(lmp) gives a `lammps` module instance the command cz_build and the fix
# cz/image (ctypes on czplugin.so, loaded only when called).
from . import lammps
from .scene import Scene, count, fill
from .spec import Spec
from .substrate import Slab
from .transform import Transform
from .volume import Box, Cylinder, HalfSpace, Hull, MillerPlane, Polyhedron, Sphere, Volume

__version__ = _cz.version()

MAX_ATOMS = _cz.MAX_ATOMS
"""Largest number of atoms any cz function produces."""


def element_symbol(z: int) -> str:
    """Chemical symbol of atomic number z (1..118)."""
    return _cz.element_symbol(z)


def element_mass(z: int) -> float:
    """Standard atomic mass of element z in g/mol."""
    return _cz.element_mass(z)


def atomic_number(symbol: str) -> int:
    """Atomic number of a chemical symbol ('Au'; 'au' and 'AU' are accepted too)."""
    return _cz.element_from_symbol(symbol)


def defaults() -> dict:
    """The C library's option defaults, by options struct (fill, spacegroup, prototype, object,
    populate, write, amorphous, wulff, decahedron, icosahedron, particle_place, defect_plane,
    defect_draw, radial_strain, core_shell_strain, substitute, vacancy, roughen, core_shell,
    slab, place, clash, site, ligand).
    Every ``None`` argument in this package means "this default"."""
    return {
        "fill": _cz.fill_opts_default(),
        "spacegroup": _cz.spacegroup_opts_default(),
        "prototype": _cz.prototype_opts_default(),
        "object": _cz.object_opts_default(),
        "populate": _cz.populate_opts_default(),
        "write": _cz.write_opts_default(),
        "amorphous": _cz.amorphous_opts_default(),
        "wulff": _cz.wulff_opts_default(),
        "decahedron": _cz.decahedron_opts_default(),
        "icosahedron": _cz.icosahedron_opts_default(),
        "particle_place": _cz.particle_place_opts_default(),
        "defect_plane": DefectPlane._from_tuple(_cz.defect_plane_default()),
        "defect_draw": _cz.defect_draw_opts_default(),
        "radial_strain": _cz.radial_strain_opts_default(),
        "core_shell_strain": _cz.core_shell_strain_opts_default(),
        "substitute": _cz.substitute_opts_default(),
        "vacancy": _cz.vacancy_opts_default(),
        "roughen": _cz.roughen_opts_default(),
        "core_shell": _cz.core_shell_opts_default(),
        "slab": _cz.slab_opts_default(),
        "place": _cz.place_opts_default(),
        "clash": _cz.clash_opts_default(),
        "site": _cz.site_opts_default(),
        "ligand": _cz.ligand_opts_default(),
    }


__all__ = [
    "Box",
    "CzError",
    "Cylinder",
    "Decahedron",
    "DefectPlane",
    "DefectedCrystal",
    "Facet",
    "Grain",
    "HalfSpace",
    "Hull",
    "Icosahedron",
    "Lattice",
    "MAX_ATOMS",
    "MillerPlane",
    "Particle",
    "Placement",
    "Polyhedron",
    "Scene",
    "Sites",
    "Slab",
    "Spec",
    "Sphere",
    "Transform",
    "Volume",
    "Winterbottom",
    "Wulff",
    "add_ligands",
    "amorphous",
    "atomic_number",
    "cell_from_parameters",
    "coordination",
    "count",
    "defaults",
    "defect_planes",
    "element_mass",
    "element_symbol",
    "fill",
    "lammps",
    "miller_family",
    "place",
    "read",
    "relax",
    "remove_clashes",
    "rng",
    "roughen",
    "sim",
    "strain",
    "substitute",
    "surface_sites",
    "vacate",
    "write",
]
