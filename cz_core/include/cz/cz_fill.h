/**
 * cz_fill.h — fill a volume with the atoms of a lattice.
 *
 * The fill visits only lattice rows that can meet the volume: the volume's support
 * function bounds the two outer lattice indices, and for every row of cells along a the
 * volume reports the exact stretches of that line inside it, so the work is proportional to
 * the number of atoms produced plus the number of rows (O(N^{2/3})), for any cell and any
 * orientation. Atoms are produced in a deterministic order (basis site, then c, b, a index)
 * that does not depend on the thread count.
 */
#ifndef CZ_FILL_H
#define CZ_FILL_H

#include <stddef.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"
#include "cz/cz_lattice.h"
#include "cz/cz_transform.h"
#include "cz/cz_volume.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cz_fill_opts {
    cz_transform lattice_tf; /**< places the lattice: lattice frame → world (default identity).
                                  The volume is given in the world frame. */
    size_t max_atoms;        /**< cap on the result (default CZ_MAX_ATOMS); more → CZ_ERANGE */
    int object_id;           /**< labels written to every atom (default 0, 0, CZ_CLASS_PARTICLE) */
    int grain_id;
    int class_id;
    int nthreads;            /**< OpenMP threads, 0 = OpenMP default (default 0) */
} cz_fill_opts;

CZ_API void cz_fill_opts_default(cz_fill_opts *opts);

/**
 * Number of atoms cz_fill_shape would produce (same rules, no allocation of atoms).
 * @return CZ_OK, CZ_EINVAL (NULL, unbounded volume, singular lattice_tf), CZ_ERANGE (more
 *         than opts->max_atoms, or a volume so large that even its lattice rows exceed it).
 */
CZ_API cz_status cz_fill_count(const cz_lattice *lattice, const cz_volume *volume,
                               const cz_fill_opts *opts, size_t *count);

/**
 * Every lattice site r = lattice_tf((i, j, k) · cell + frac_b · cell) that lies inside
 * `volume`, as a new cz_atoms (cell zero, pbc 0; labels from opts). opts NULL = defaults.
 * @return CZ_OK, CZ_EINVAL (NULL, unbounded volume, singular transform), CZ_ERANGE (more
 *         than opts->max_atoms), CZ_ENOMEM. *out NULL on failure; caller destroys.
 */
CZ_API cz_status cz_fill_shape(const cz_lattice *lattice, const cz_volume *volume,
                               const cz_fill_opts *opts, cz_atoms **out);

#ifdef __cplusplus
}
#endif
#endif /* CZ_FILL_H */
