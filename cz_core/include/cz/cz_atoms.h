/**
 * cz_atoms.h — the atoms container shared by every part of cz.
 *
 * A cz_atoms is a transparent struct: n atoms with Cartesian positions xyz[n][3] (Å),
 * atomic numbers z[n] and three per-atom labels (object id, grain id, class), plus a cell
 * whose ROWS are the lattice vectors (Å) and per-axis periodicity. A zero cell row means
 * "no cell along that axis" (an isolated structure). Arrays are owned by the struct and
 * grown by cz_atoms_reserve()/cz_atoms_push(); callers may read and write elements
 * 0..n-1 directly but must not free or replace the arrays.
 */
#ifndef CZ_ATOMS_H
#define CZ_ATOMS_H

#include <stddef.h>

#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Atom classes used by the segmentation labels. */
enum {
    CZ_CLASS_NONE = 0,
    CZ_CLASS_PARTICLE = 1,
    CZ_CLASS_SUBSTRATE = 2,
    CZ_CLASS_LIGAND = 3
};

/** Largest atom count any cz function will produce (documented cap, 2^28 ≈ 268 M atoms,
 *  about 11 GB of cz_atoms). Requests beyond it fail with CZ_ERANGE before allocating. */
#define CZ_MAX_ATOMS ((size_t)1 << 28)

typedef struct cz_atoms {
    size_t n;           /**< number of atoms */
    size_t cap;         /**< allocated capacity (>= n) */
    double (*xyz)[3];   /**< [n][3] Cartesian positions, Å */
    int *z;             /**< [n] atomic numbers, 1..118 */
    int *object_id;     /**< [n] object index in the scene, 1-based; 0 = none */
    int *grain_id;      /**< [n] grain index (unique per grain within a scene) */
    int *class_id;      /**< [n] CZ_CLASS_* */
    double cell[3][3];  /**< rows a, b, c in Å; zero rows = no cell on that axis */
    int pbc[3];         /**< 1 if periodic along a, b, c */
} cz_atoms;

/**
 * Create an empty atoms container with room for `capacity` atoms (may be 0).
 * Cell is zero, pbc all 0.
 * @return CZ_OK, CZ_ERANGE (capacity > CZ_MAX_ATOMS), CZ_ENOMEM. *out NULL on failure.
 */
CZ_API cz_status cz_atoms_create(size_t capacity, cz_atoms **out);

/** Free the container and its arrays. NULL is a no-op. */
CZ_API void cz_atoms_destroy(cz_atoms *atoms);

/** Ensure capacity for at least `capacity` atoms; contents preserved.
 *  @return CZ_OK, CZ_EINVAL (NULL atoms), CZ_ERANGE (> CZ_MAX_ATOMS), CZ_ENOMEM (atoms unchanged). */
CZ_API cz_status cz_atoms_reserve(cz_atoms *atoms, size_t capacity);

/** Append one atom. Labels are (object_id, grain_id, class_id).
 *  @return CZ_OK, CZ_EINVAL (NULL atoms, z outside 1..118, non-finite position),
 *  CZ_ERANGE, CZ_ENOMEM. */
CZ_API cz_status cz_atoms_push(cz_atoms *atoms, const double xyz[3], int z, int object_id,
                               int grain_id, int class_id);

/** Append every atom of `src` to `dst` (labels kept; dst's cell and pbc untouched).
 *  @return CZ_OK, CZ_EINVAL (NULL), CZ_ERANGE, CZ_ENOMEM. */
CZ_API cz_status cz_atoms_append(cz_atoms *dst, const cz_atoms *src);

/** Deep copy. @return CZ_OK, CZ_EINVAL, CZ_ENOMEM. */
CZ_API cz_status cz_atoms_copy(const cz_atoms *src, cz_atoms **out);

/**
 * Keep only atoms with keep[i] != 0, preserving order (in place, O(n)).
 * @param keep [atoms->n] flags.  @return CZ_OK, CZ_EINVAL (NULL).
 */
CZ_API cz_status cz_atoms_filter(cz_atoms *atoms, const unsigned char keep[]);

/** Set cell (rows a, b, c, Å) and periodicity. A periodic axis needs a non-zero row, and the
 *  non-zero rows must be linearly independent.
 *  @return CZ_OK, CZ_EINVAL (NULL, non-finite, pbc on a zero row, degenerate rows). */
CZ_API cz_status cz_atoms_set_cell(cz_atoms *atoms, const double cell[3][3], const int pbc[3]);

/** Axis-aligned bounding box of the positions. Fails with CZ_EINVAL when n == 0. */
CZ_API cz_status cz_atoms_bbox(const cz_atoms *atoms, double lo[3], double hi[3]);

/**
 * Smallest interatomic distance, with minimum-image convention along periodic axes
 * (cell lists: O(n) for bounded density). Pairs (i, j) of that distance are returned too.
 * @param[out] dmin distance in Å; INFINITY when n < 2.
 * @param[out] pair the two indices (may be NULL).
 * @return CZ_OK, CZ_EINVAL (NULL), CZ_ENOMEM.
 */
CZ_API cz_status cz_atoms_min_distance(const cz_atoms *atoms, double *dmin, size_t pair[2]);

/**
 * Give an isolated structure a cell, as ASE's center(vacuum): for every NON-periodic axis i
 * the atoms are shifted so that their bounding box along Cartesian axis i starts at `vacuum` and cell row i becomes (hi−lo+2·vacuum) ê_i. Periodic
 * axes keep their cell rows. Requires the periodic rows (if any) to be orthogonal to the
 * non-periodic axes' unit vectors (true for ASE-style slabs with c ∥ z).
 * @return CZ_OK, CZ_EINVAL (NULL, n == 0, vacuum < 0 or NaN, incompatible periodic rows).
 */
CZ_API cz_status cz_atoms_center(cz_atoms *atoms, double vacuum);

/** Wrap positions into the cell along periodic axes (fractional coordinate in [0, 1)).
 *  @return CZ_OK, CZ_EINVAL (NULL, or a periodic axis with a singular cell). */
CZ_API cz_status cz_atoms_wrap(cz_atoms *atoms);

#ifdef __cplusplus
}
#endif
#endif /* CZ_ATOMS_H */
