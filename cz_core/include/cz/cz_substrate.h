/**
 * cz_substrate.h — crystalline substrate slabs and 2-D layers with a periodic in-plane cell.
 *
 * A cz_slab is a piece of a crystal bounded by two (hkl) lattice planes, turned so that the
 * surface normal (hkl) points along +z (the beam), periodic in-plane.
 *
 * Conventions (see also cz_base.h):
 *  - Lattice. The bulk lattice is first reduced to a primitive cell (pure translations of the
 *    basis, e.g. the face centrings of a conventional fcc cell, become lattice vectors), so
 *    the surface cell is the true 2-D cell of the (hkl) plane: two shortest independent
 *    lattice vectors A, B in the plane (a Lagrange–Gauss reduced basis; A the shortest,
 *    A × B along +z, the angle made obtuse when that keeps B as short). A third lattice
 *    vector C completes the cell (A, B, C) with the same volume as the primitive cell; its
 *    height C_z = d is the spacing of the lattice planes (hkl) of the true lattice: the
 *    conventional d_hkl of an allowed reflection (fcc (111): a/√3, fcc (100): a/2 = d_200).
 *  - Atomic planes. Within one period d the atoms sit on m distinct heights (the atomic
 *    planes: fcc (111) m = 1, 2H-MoS2 (001) m = 6: S Mo S S Mo S). Thicknesses count atomic
 *    planes, or Å between the top plane and the lowest plane kept. `termination` picks which
 *    plane of a period is on top (heights in a period are ordered from the bottom, 0..m−1).
 *    The default cuts at the widest gap between neighbouring planes, which breaks the fewest
 *    bonds: between the layers of graphite or MoS2, above a close bilayer of diamond (111);
 *    ties go to the higher plane. A whole number of periods then has the same termination
 *    at the top and the bottom.
 *  - Frame. A lies along +x (then turned by inplane_deg about z), B in the xy plane, the top
 *    atomic plane at z = z_top. Atom positions are origin + (n + f)·lattice->cell with
 *    origin = (0, 0, z shift).
 *  - In-plane cell. The scene cell rows are a = N11 A + N12 B, b = N21 A + N22 B (integer
 *    N, det N > 0) and c = (0, 0, cell_height), periodic along a and b (pbc 1 1 0). N comes
 *    from explicit repeats (N diagonal), or is the integer matrix whose cell is nearest to a
 *    target in-plane cell T (rows in the xy plane): with CZ_SLAB_SIZE the slab keeps its bulk
 *    lattice and its cell only approximates T; with CZ_SLAB_MATCH the cell is exactly T and
 *    the lattice is homogeneously strained in-plane to fit (z unchanged, no Poisson effect).
 *    Either way the deformation F that maps N·(A, B) onto T is reported as its stretch
 *    (Biot strain U − I, F = R·U) and rotation: the mismatch of an incommensurate lattice.
 *  - Labels: class CZ_CLASS_SUBSTRATE unless set otherwise.
 *
 * Thread safety: all functions are reentrant; a slab is read-only after creation.
 */
#ifndef CZ_SUBSTRATE_H
#define CZ_SUBSTRATE_H

#include <stddef.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"
#include "cz/cz_lattice.h"
#include "cz/cz_scene.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the in-plane cell is chosen. */
typedef enum cz_slab_lateral {
    CZ_SLAB_REPEATS = 0, /**< repeats[0] × repeats[1] surface cells along A and B */
    CZ_SLAB_SIZE = 1,    /**< nearest integer supercell to `target`, bulk lattice kept */
    CZ_SLAB_MATCH = 2    /**< cell = `target` exactly, lattice strained (<= max_strain) */
} cz_slab_lateral;

typedef struct cz_slab_opts {
    int hkl[3];              /**< Miller indices of the surface in the lattice's cell
                                  (default 0 0 1); need not be coprime */
    size_t nplanes;          /**< atomic planes in the slab; 0 = use thickness (default 4) */
    double thickness;        /**< Å from the top plane down, planes within it kept (used when
                                  nplanes == 0; default 0) */
    int termination;         /**< plane of a period on top, 0..m−1; −1 = the plane below the
                                  widest gap (default) */
    double z_top;            /**< height of the top atomic plane, Å; NAN = bottom plane at
                                  z = 1 Å (default NAN) */
    double cell_height;      /**< c row of the cell (0, 0, cell_height), Å; NAN = z_top + 1 Å
                                  (default NAN). The slab must lie within 0 <= z <= cell_height. */
    double inplane_deg;      /**< rotation of the lattice about z, degrees (default 0) */
    cz_slab_lateral lateral; /**< default CZ_SLAB_SIZE */
    int repeats[2];          /**< CZ_SLAB_REPEATS: >= 1 each (default 1, 1) */
    double target[2][2];     /**< CZ_SLAB_SIZE/MATCH: in-plane cell rows (x, y) in Å,
                                  right-handed (default {{30, 0}, {0, 30}}) */
    double max_strain;       /**< CZ_SLAB_MATCH: largest allowed |principal strain| (default
                                  0.02) */
} cz_slab_opts;

/** Defaults as documented per field. */
CZ_API void cz_slab_opts_default(cz_slab_opts *opts);

/** A built slab: transparent, owned; read it, destroy it with cz_slab_destroy. */
typedef struct cz_slab {
    cz_lattice *lattice;   /**< slab lattice in the world frame: rows A, B (z = 0), C
                                (C_z = d); basis = one period (strained when matched) */
    double origin[3];      /**< (0, 0, shift): atoms at origin + (n + f)·lattice->cell */
    int hkl[3];            /**< surface Miller indices in the input cell, made coprime */
    double uvw[3][3];      /**< rows: A, B, C in fractional coordinates of the input cell
                                (half-integers possible for centred cells) */
    double d_spacing;      /**< period d along the normal, Å */
    size_t nplanes_period; /**< m: atomic planes per period */
    double *plane_height;  /**< [m] heights in a period, Å above the period's base, ascending */
    size_t *plane_atoms;   /**< [m] atoms of each plane per 2-D cell */
    int termination;       /**< plane (0..m−1) on top */
    size_t nplanes;        /**< atomic planes in the slab */
    double z_top;          /**< height of the top atomic plane, Å */
    double z_bottom;       /**< height of the bottom atomic plane, Å */
    int repeats[2][2];     /**< N: cell rows in units of A and B */
    size_t ncells;         /**< det N: 2-D cells in the scene cell */
    double cell[3][3];     /**< scene cell: rows a, b (in-plane) and (0, 0, cell_height) */
    int pbc[3];            /**< 1, 1, 0 */
    double strain[2][2];   /**< Biot strain U − I (xx xy; yx yy) mapping the bulk supercell
                                onto the target; zero for CZ_SLAB_REPEATS */
    double strain_max;     /**< largest |principal strain| of `strain` */
    double rotation_deg;   /**< rotation part of that mapping, degrees */
    int strained;          /**< 1 if the strain was applied (CZ_SLAB_MATCH) */
    size_t natoms;         /**< atoms in the slab */
} cz_slab;

/**
 * Build a slab of `lattice` with surface (hkl).
 * @param lattice bulk lattice (any cell and basis).
 * @param opts NULL = defaults.
 * @param[out] out new slab; NULL on failure. Caller destroys with cz_slab_destroy.
 * @return CZ_OK;
 *   CZ_EINVAL — NULL lattice or out; hkl (0 0 0); nplanes 0 with thickness < 0 or NaN;
 *     termination outside −1..m−1; non-finite z_top, cell_height or inplane_deg; repeats < 1;
 *     unknown lateral mode; target singular, left-handed or non-finite; max_strain < 0 or
 *     NaN; a target so small that no supercell fits; the slab outside 0 <= z <= cell_height;
 *   CZ_ERANGE — CZ_SLAB_MATCH needs a strain above max_strain (the message gives it); more
 *     than CZ_MAX_ATOMS atoms;
 *   CZ_ENOMEM.
 */
CZ_API cz_status cz_slab_create(const cz_lattice *lattice, const cz_slab_opts *opts, cz_slab **out);

/**
 * 2H-MoS2 layers (a = 3.16 Å, c = 12.29 Å, S height u = 0.621): `ntrilayers` complete S–Mo–S
 * trilayers (2 = the bilayer), c/2 = 6.145 Å apart, surface (001), a top S plane on top. The
 * hkl, nplanes, thickness and termination fields of opts are ignored.
 * For other transition-metal dichalcogenides build the "2H-MoS2" prototype with other species
 * and use cz_slab_create with nplanes = 3 × ntrilayers.
 * @return as cz_slab_create; CZ_EINVAL also for ntrilayers 0.
 */
CZ_API cz_status cz_slab_mos2(size_t ntrilayers, const cz_slab_opts *opts, cz_slab **out);

/**
 * AB (Bernal) stacked graphene: `nlayers` layers (1 = single-layer graphene), a = 2.46 Å
 * (C–C 1.420 Å), 3.35 Å apart, surface (001). The hkl, nplanes, thickness and termination
 * fields of opts are ignored.
 * @return as cz_slab_create; CZ_EINVAL also for nlayers 0.
 */
CZ_API cz_status cz_slab_graphene(size_t nlayers, const cz_slab_opts *opts, cz_slab **out);

/** Free. NULL is a no-op. */
CZ_API void cz_slab_destroy(cz_slab *slab);

/**
 * The slab's atoms, wrapped into its cell, with the slab's cell and pbc (1, 1, 0).
 * Exactly ncells × Σ plane_atoms over the kept planes atoms, ordered plane by plane from the
 * bottom.
 * @param labels object_id (0 → 1), grain_id (−1 → the object id) and class_id; NULL = object 1,
 *        class CZ_CLASS_SUBSTRATE. priority is ignored.
 * @return CZ_OK, CZ_EINVAL (NULL slab or out, class_id outside 0..3), CZ_ERANGE, CZ_ENOMEM.
 */
CZ_API cz_status cz_slab_atoms(const cz_slab *slab, const cz_object_opts *labels, cz_atoms **out);

/**
 * Add the slab to a scene as a crystal object: slab->lattice moved by slab->origin, cut by
 * the two half-spaces just above the top and just below the bottom atomic plane. The scene
 * cell clips it laterally, so the scene must have the slab's in-plane cell rows (set it with
 * cz_scene_set_cell(scene, slab->cell, slab->pbc), or a cell with the same a and b rows and
 * pbc along them); then populate gives exactly slab->natoms slab atoms (fewer where objects
 * with a higher priority take the space).
 * @param opts NULL = defaults with class_id CZ_CLASS_SUBSTRATE.
 * @param[out] index the object's index (may be NULL).
 * @return CZ_OK, CZ_EINVAL (NULL scene or slab, bad opts), CZ_ENOMEM.
 */
CZ_API cz_status cz_slab_add_to_scene(cz_scene *scene, const cz_slab *slab,
                                      const cz_object_opts *opts, size_t *index);

#ifdef __cplusplus
}
#endif
#endif /* CZ_SUBSTRATE_H */
