/**
 * cz_scene.h — scenes: objects (generator + volume + priority + transforms) in a cell.
 *
 * An object is a crystal lattice cut by a volume. Its transform can be applied "locked"
 * (lattice and volume move together, as a rigid particle), to the region only (the cut moves,
 * the lattice stays: a different piece of the same crystal) or to the lattice only (the
 * crystal rotates inside a fixed region). Transforms accumulate in the order applied.
 *
 * Objects are crystals (a lattice cut by a volume) or explicit atoms (an amorphous block, a
 * molecule, any pre-built structure) optionally clipped by a volume. For explicit atoms the
 * "lattice" transform moves the atoms and the "region" transform moves the clip volume.
 *
 * Overlaps: an atom of object i is removed when it lies inside the (transformed) volume of an
 * object j that wins over i: priority_j > priority_i, or equal priorities and j added before i
 * (ties go to the earlier object). An explicit-atoms object without a clip volume has no
 * region and removes nobody's atoms. Labels: object_id = index + 1 unless set in the options;
 * grain_id defaults to the object id; class_id from the object options.
 *
 * Bounds: a scene with a cell (rows a, b, c from the origin) clips every object to that
 * parallelepiped and hands the cell and pbc to the output. Along periodic axes the cell is
 * half-open (fractional coordinate in [0, 1), to 1e-9 Å), so no atom is duplicated under
 * periodic wrapping when the lattice is commensurate with the cell. A scene without a
 * cell produces an isolated structure (zero cell, no pbc) and needs bounded volumes.
 */
#ifndef CZ_SCENE_H
#define CZ_SCENE_H

#include <stddef.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"
#include "cz/cz_lattice.h"
#include "cz/cz_transform.h"
#include "cz/cz_volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cz_scene cz_scene;

/** How an object transform is applied. */
typedef enum cz_apply_mode {
    CZ_APPLY_LOCKED = 0,  /**< lattice and volume together */
    CZ_APPLY_REGION = 1,  /**< volume only */
    CZ_APPLY_LATTICE = 2  /**< lattice only */
} cz_apply_mode;

typedef struct cz_object_opts {
    int priority;  /**< larger wins overlaps (default 0) */
    int class_id;  /**< CZ_CLASS_* (default CZ_CLASS_PARTICLE) */
    int grain_id;  /**< grain label; -1 = the object id (default -1) */
    int object_id; /**< object label; 0 = index + 1 (default 0). Several scene objects that share
                        an object_id form one labelled object: the grains of a twinned particle. */
} cz_object_opts;

CZ_API void cz_object_opts_default(cz_object_opts *opts);

typedef struct cz_populate_opts {
    size_t max_atoms; /**< cap on the scene's atoms (default CZ_MAX_ATOMS) */
    int nthreads;     /**< 0 = OpenMP default */
} cz_populate_opts;

CZ_API void cz_populate_opts_default(cz_populate_opts *opts);

/** Empty scene without a cell. @return CZ_OK, CZ_ENOMEM. */
CZ_API cz_status cz_scene_create(cz_scene **out);

/** Free. NULL is a no-op. */
CZ_API void cz_scene_destroy(cz_scene *scene);

/** Set the scene cell (rows, Å, from the origin) and pbc. A zero cell removes the bounds.
 *  @return CZ_OK, CZ_EINVAL (singular or non-finite cell, pbc without a cell). */
CZ_API cz_status cz_scene_set_cell(cz_scene *scene, const double cell[3][3], const int pbc[3]);

/**
 * Add a crystal object (copies lattice and volume). opts NULL = defaults.
 * @param[out] index the object's index (object_id = index + 1); may be NULL.
 * @return CZ_OK, CZ_EINVAL (NULL, class_id outside 0..3), CZ_ENOMEM.
 */
CZ_API cz_status cz_scene_add_crystal(cz_scene *scene, const cz_lattice *lattice,
                                      const cz_volume *volume, const cz_object_opts *opts,
                                      size_t *index);

/**
 * Add an explicit-atoms object: a copy of `atoms` (positions and species; its labels and cell
 * are ignored), kept where inside `clip` (NULL = no clip; then the object has no region for
 * overlap resolution and, in a scene without a cell, is kept whole). opts NULL = defaults.
 * @param[out] index the object's index; may be NULL.
 * @return CZ_OK, CZ_EINVAL (NULL scene or atoms, bad opts), CZ_ENOMEM.
 */
CZ_API cz_status cz_scene_add_atoms(cz_scene *scene, const cz_atoms *atoms, const cz_volume *clip,
                                    const cz_object_opts *opts, size_t *index);

/** Number of objects. */
CZ_API size_t cz_scene_count(const cz_scene *scene);

/**
 * Apply tf to object `index` (after its earlier transforms) in the given mode.
 * @return CZ_OK, CZ_EINVAL (NULL, index out of range, singular tf, unknown mode).
 */
CZ_API cz_status cz_scene_transform(cz_scene *scene, size_t index, const cz_transform *tf,
                                    cz_apply_mode mode);

/**
 * Build the atoms of every object, resolve overlaps by priority, clip to the cell.
 * Atoms appear object by object in insertion order, each in cz_fill_shape's order.
 * @return CZ_OK, CZ_EINVAL (NULL, an unbounded object in a scene without a cell),
 *         CZ_ERANGE (more than opts->max_atoms), CZ_ENOMEM. Caller destroys *out.
 */
CZ_API cz_status cz_scene_populate(const cz_scene *scene, const cz_populate_opts *opts,
                                   cz_atoms **out);

#ifdef __cplusplus
}
#endif
#endif /* CZ_SCENE_H */
