/**
 * cz_composition.h — chemistry and site occupancy: random substitution, vacancies, surface
 * roughness, coordination numbers, and core–shell particles.
 *
 * Conventions of this header:
 *  - Functions on cz_atoms change the atoms IN PLACE (species, or removal with
 *    cz_atoms_filter semantics: survivors keep their order and labels).
 *  - Counts are exact: of the `m` eligible atoms, exactly k = floor(fraction · m + 1/2) are
 *    chosen (fraction 0.5 of 5 atoms chooses 3).
 *  - Randomness is counter based: atom i (its index in the array on entry) gets the key
 *    cz_rng_u64(seed, stream, i) and the k eligible atoms with the smallest keys are chosen
 *    (ties by index), a uniformly random k-subset. The choice is a pure function of (seed,
 *    stream, atoms), identical for any thread count; the same seed on the same atoms chooses
 *    the same atoms.
 *  - Neighbours are found with cell lists (never all pairs). Along periodic axes every
 *    image within the cutoff counts, not only the nearest one, so cells narrower than twice
 *    the cutoff are handled correctly.
 * All functions are reentrant; none keeps a caller pointer.
 */
#ifndef CZ_COMPOSITION_H
#define CZ_COMPOSITION_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"
#include "cz/cz_lattice.h"
#include "cz/cz_scene.h"
#include "cz/cz_transform.h"
#include "cz/cz_volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Options of cz_atoms_substitute. */
typedef struct cz_substitute_opts {
    int z_from;      /**< element replaced, 1..118 (required; default 0) */
    int z_to;        /**< replacement element, 1..118 (required; default 0) */
    double fraction; /**< of the eligible atoms, in [0, 1] (default 0) */
    int object_id;   /**< eligible only within this object id; 0 = every object (default) */
    uint64_t seed;   /**< default 0 */
    uint64_t stream; /**< default 0 */
} cz_substitute_opts;

CZ_API void cz_substitute_opts_default(cz_substitute_opts *opts);

/**
 * Random substitution (alloys, dopants): of the atoms with z == z_from (and the object id, if
 * given), exactly round(fraction · eligible) become z_to.
 * @param[out] count atoms changed; may be NULL.
 * @return CZ_OK, CZ_EINVAL (NULL atoms or opts, unknown z_from or z_to, fraction outside
 *         [0, 1] or NaN, object_id < 0), CZ_ENOMEM.
 */
CZ_API cz_status cz_atoms_substitute(cz_atoms *atoms, const cz_substitute_opts *opts,
                                     size_t *count);

/** Options of cz_atoms_vacate. */
typedef struct cz_vacancy_opts {
    double fraction; /**< of the eligible atoms removed, in [0, 1] (default 0) */
    int z;           /**< eligible only with this atomic number; 0 = any element (default) */
    int object_id;   /**< eligible only within this object id; 0 = every object (default) */
    uint64_t seed;   /**< default 0 */
    uint64_t stream; /**< default 0 */
} cz_vacancy_opts;

CZ_API void cz_vacancy_opts_default(cz_vacancy_opts *opts);

/**
 * Vacancies: remove exactly round(fraction · eligible) randomly chosen eligible atoms.
 * @param[out] removed atoms removed; may be NULL.
 * @return CZ_OK, CZ_EINVAL (NULL atoms or opts, fraction outside [0, 1] or NaN, z outside
 *         0..118, object_id < 0), CZ_ENOMEM.
 */
CZ_API cz_status cz_atoms_vacate(cz_atoms *atoms, const cz_vacancy_opts *opts, size_t *removed);

/**
 * Coordination numbers: counts[i] = number of atoms j (periodic images along periodic axes
 * included, i itself only as a true periodic image) with |x_j − x_i| <= cutoff. Cell lists,
 * O(n) for bounded density.
 * @param atoms   the structure (its cell and pbc are honoured)
 * @param cutoff  Å, > 0
 * @param nthreads OpenMP threads, 0 = OpenMP default; the result does not depend on it
 * @param counts  [atoms->n] output
 * @return CZ_OK, CZ_EINVAL (NULL, cutoff <= 0 or non-finite, nthreads < 0, a periodic axis
 *         with a degenerate cell), CZ_ERANGE (a cutoff so large that the search would
 *         visit more than 10^8 bins per atom, or an atom would have more than INT_MAX
 *         neighbours), CZ_ENOMEM.
 */
CZ_API cz_status cz_atoms_coordination(const cz_atoms *atoms, double cutoff, int nthreads,
                                       int counts[]);

/** Options of cz_atoms_roughen. */
typedef struct cz_roughen_opts {
    double fraction;       /**< of the surface atoms removed per pass, in [0, 1] (default 0) */
    double cutoff;         /**< neighbour cutoff, Å; NAN (default) = 1.25 × the smallest
                                interatomic distance (between the first and second shells of
                                fcc, hcp, bcc and diamond) */
    int bulk_coordination; /**< coordination of a bulk atom; 0 (default) = the largest
                                coordination found among the eligible atoms */
    int object_id;         /**< only atoms of this object can be removed; 0 = any (default).
                                Neighbours are counted among all atoms. */
    int passes;            /**< repeat (surface recomputed each time) for deeper roughness;
                                default 1 */
    uint64_t seed;         /**< default 0 */
    uint64_t stream;       /**< default 0; pass k uses stream + k */
    int nthreads;          /**< OpenMP threads for the coordination, 0 = default */
} cz_roughen_opts;

CZ_API void cz_roughen_opts_default(cz_roughen_opts *opts);

/**
 * Surface roughness: a SURFACE atom is an eligible atom whose coordination (within cutoff) is
 * below bulk_coordination; each pass removes exactly round(fraction · surface atoms) of them,
 * chosen at random. In a pass k > 0 the keys come from stream + k over the atoms left.
 * @param[out] removed atoms removed over all passes; may be NULL.
 * @return CZ_OK, CZ_EINVAL (NULL atoms or opts, fraction outside [0, 1] or NaN, cutoff <= 0,
 *         bulk_coordination < 0, object_id < 0, passes < 1, nthreads < 0, an automatic
 *         cutoff with fewer than two atoms or with two atoms at one place), CZ_ERANGE (as
 *         cz_atoms_coordination), CZ_ENOMEM.
 */
CZ_API cz_status cz_atoms_roughen(cz_atoms *atoms, const cz_roughen_opts *opts, size_t *removed);

/** Options of cz_scene_add_core_shell. */
typedef struct cz_core_shell_opts {
    /** Particle frame → world, applied locked to core and shell (default identity). The
     *  lattices and volumes are given in the particle frame. */
    cz_transform placement;
    /** Lattice mismatch: the shell lattice is scaled isotropically by (1 + mismatch) about
     *  the particle-frame origin before filling (default 0 = the shell lattice as given).
     *  Must be > −1. */
    double mismatch;
    /** priority: the shell gets it, the core priority + 1, so the core wins the overlap;
     *  class_id of both; object_id 0 (default) = the core's index + 1, shared by both;
     *  grain_id −1 (default) = each object's own index + 1, g >= 0: core g, shell g + 1. */
    cz_object_opts object;
} cz_core_shell_opts;

CZ_API void cz_core_shell_opts_default(cz_core_shell_opts *opts);

/**
 * Core–shell particle: two scene crystal objects, the core lattice in core_volume and the
 * shell lattice in shell_volume (e.g. two concentric spheres; the shell volume may include
 * the core region, which the core wins by priority). Both share one object_id and carry
 * distinct grain ids. The core is added first (index first), then the shell (first + 1).
 * For a coherent (epitaxial) shell give the shell species on the core's spacing and relax the
 * misfit after cz_scene_populate with cz_strain_core_shell; for an incoherent shell give its
 * own lattice (or scale it with `mismatch`).
 * @param[out] first scene index of the core; may be NULL.
 * @return CZ_OK, CZ_EINVAL (NULL scene, lattices or volumes, mismatch <= −1 or non-finite,
 *         singular placement, bad object options, priority == INT_MAX), CZ_ENOMEM.
 *         Nothing is added unless the call succeeds (short of CZ_ENOMEM).
 */
CZ_API cz_status cz_scene_add_core_shell(cz_scene *scene, const cz_lattice *core_lattice,
                                         const cz_volume *core_volume,
                                         const cz_lattice *shell_lattice,
                                         const cz_volume *shell_volume,
                                         const cz_core_shell_opts *opts, size_t *first);

#ifdef __cplusplus
}
#endif
#endif /* CZ_COMPOSITION_H */
