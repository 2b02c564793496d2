/**
 * cz_placement.h — rest particles on substrates; remove clashes between objects.
 *
 * Conventions (see also cz_base.h):
 *  - Beam along +z; a substrate's top surface is a plane z = surface_z and particles rest on
 *    it from above. Lengths in Å, angles in degrees.
 *  - A placement is a rigid transform (particle frame → world) returned as a cz_transform;
 *    apply it to the particle's scene object with cz_scene_transform(..., CZ_APPLY_LOCKED), or
 *    to its atoms with cz_transform_apply_n. Nothing is moved by the placement functions.
 *  - The rotation is about the particle's reference point `center` (its own frame), and that
 *    point lands laterally at (x, y). Vertically, the particle's lowest point goes to
 *    surface_z − depth, where depth = opts.depth + opts.depth_fraction × (extent along z after
 *    rotation). For a volume the lowest point is −h(−ẑ), h the support function of the
 *    rotated volume (exact for primitives, transforms and unions; for intersections and
 *    differences an outer bound, so such particles may sit slightly high); for atoms it is
 *    the lowest rotated atom.
 *  - Randomness: CZ_ORIENT_RANDOM uses cz_rng_rotation(seed, stream, index) (uniform on
 *    SO(3), Shoemake); a random in-plane angle uses 360° × cz_rng_uniform(seed, stream,
 *    index). The same (seed, stream, index) always gives the same placement.
 *  - Clash removal works on populated atoms and their object_id / class_id labels.
 *
 * Thread safety: every function is reentrant; no global state.
 */
#ifndef CZ_PLACEMENT_H
#define CZ_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"
#include "cz/cz_transform.h"
#include "cz/cz_volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the particle is oriented before it is set down. */
typedef enum cz_orient_mode {
    CZ_ORIENT_KEEP = 0,   /**< as given, then turned by inplane_deg about z */
    CZ_ORIENT_RANDOM = 1, /**< uniformly random on SO(3) from (seed, stream, index) */
    CZ_ORIENT_FACET = 2   /**< facet_normal turned to −z (contact facet on the surface, as
                               for a Winterbottom particle), then inplane_deg about z */
} cz_orient_mode;

typedef struct cz_place_opts {
    double xy[2];           /**< lateral position of the reference point, Å (default 0, 0) */
    double surface_z;       /**< height of the surface the particle rests on, Å (default 0) */
    double depth;           /**< embedding depth below surface_z, Å; negative = a gap
                                 (default 0) */
    double depth_fraction;  /**< additional depth as a fraction of the particle's extent along
                                 z after rotation (default 0; 0.1 sinks a sphere by 0.2 R) */
    double center[3];       /**< reference point in the particle's frame, Å (default 0) */
    cz_orient_mode orient;  /**< default CZ_ORIENT_KEEP */
    double facet_normal[3]; /**< CZ_ORIENT_FACET: outward facet normal in the particle's frame
                                 (need not be unit; for Miller indices use cz_lattice_plane)
                                 (default 0, 0, −1) */
    double inplane_deg;     /**< rotation about +z after KEEP or FACET orientation (default 0) */
    int random_inplane;     /**< CZ_ORIENT_FACET: != 0 draws the in-plane angle from
                                 (seed, stream, index) instead of inplane_deg (default 0) */
    uint64_t seed;          /**< random seed (default 0) */
    uint64_t stream;        /**< random stream, e.g. one per particle kind (default 0) */
    uint64_t index;         /**< draw index, e.g. the particle's number (default 0) */
} cz_place_opts;

/** Defaults as documented per field. */
CZ_API void cz_place_opts_default(cz_place_opts *opts);

/** Result of a placement. */
typedef struct cz_placement {
    cz_transform tf;       /**< particle frame → world (rotation about center, then shift) */
    double rotation[3][3]; /**< its rotation part (acting on column vectors) */
    double bottom_z;       /**< lowest point of the placed particle, Å (= surface_z − depth) */
    double top_z;          /**< highest point, Å */
    double extent_z;       /**< top_z − bottom_z, Å */
    double depth;          /**< embedding depth used, Å */
} cz_placement;

/**
 * Place a particle given by its volume (in the particle's own frame).
 * @param particle bounded along ±z after rotation.
 * @param opts NULL = defaults.
 * @param[out] out the placement (zeroed on failure).
 * @return CZ_OK; CZ_EINVAL (NULL particle or out, non-finite option, unknown orient mode,
 *         zero facet normal, volume unbounded along z after rotation); CZ_ENOMEM.
 */
CZ_API cz_status cz_placement_volume(const cz_volume *particle, const cz_place_opts *opts,
                                     cz_placement *out);

/**
 * Place a particle given by its atoms (positions in the particle's own frame): the lowest
 * and highest rotated atoms define bottom and extent, exactly.
 * @return CZ_OK; CZ_EINVAL (NULL, no atoms, non-finite option, unknown orient mode, zero
 *         facet normal).
 */
CZ_API cz_status cz_placement_atoms(const cz_atoms *particle, const cz_place_opts *opts,
                                    cz_placement *out);

/** Options of cz_atoms_remove_clashes. */
typedef struct cz_clash_opts {
    double distance;             /**< Å: pairs of atoms of different objects closer than
                                      this clash (default 2.0) */
    int by_class;                /**< != 0: use class_distance instead (default 0) */
    double class_distance[4][4]; /**< Å per pair of classes CZ_CLASS_* (symmetric, >= 0;
                                      0 = never clash) (default: 2.0 everywhere) */
    const int *priority;         /**< [npriority] priority of object_id k is priority[k];
                                      NULL or k >= npriority → 0 (default NULL) */
    size_t npriority;            /**< length of priority (default 0) */
    int nthreads;                /**< OpenMP threads, 0 = OpenMP default (default 0) */
} cz_clash_opts;

/** Defaults as documented per field. */
CZ_API void cz_clash_opts_default(cz_clash_opts *opts);

/**
 * Remove atoms so that no two atoms of DIFFERENT objects (object_id labels) are closer than
 * the clash distance of their classes; pairs within one object are never considered.
 *
 * Who goes: objects are ranked by priority (higher first), ties by object_id (smaller first,
 * i.e. the earlier object wins, as in cz_scene_populate). Objects are settled in rank order:
 * an atom is kept unless it clashes with a KEPT atom of a better-ranked object, so an atom is
 * only ever removed because of an atom that stays, and atoms of the best object all stay.
 * The result does not depend on the thread count or the atoms' order within an object.
 *
 * Distances use cell lists (O(n), never all pairs) and exact minimum images along the axes
 * with atoms->pbc set, for any cell shape, including cells shorter than the distance.
 * The surviving atoms keep their order (cz_atoms_filter).
 *
 * @param atoms modified in place. Its class_id labels must be 0..3.
 * @param opts NULL = defaults.
 * @param[out] nremoved number of atoms removed (may be NULL).
 * @return CZ_OK; CZ_EINVAL (NULL atoms, distance < 0 or non-finite, class_distance negative,
 *         non-finite or not symmetric, priority NULL with npriority > 0, nthreads < 0, an
 *         atom with class_id outside 0..3, periodic cell rows singular); CZ_ENOMEM (atoms
 *         unchanged).
 */
CZ_API cz_status cz_atoms_remove_clashes(cz_atoms *atoms, const cz_clash_opts *opts,
                                         size_t *nremoved);

#ifdef __cplusplus
}
#endif
#endif /* CZ_PLACEMENT_H */
