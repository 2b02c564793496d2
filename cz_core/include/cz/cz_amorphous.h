/**
 * cz_amorphous.h — amorphous solids by random sequential addition (RSA).
 *
 * cz_amorphous_fill() places exactly N = round(density × volume) atoms uniformly at random in
 * a box, one after the other, rejecting every candidate position that comes closer than
 * d_min(Zi, Zj) to an atom already placed (periodic images included). The result is a
 * hard-sphere-like amorphous structure (amorphous carbon, an a-SiO2-like Si/O mix, ...) that
 * is a good starting point for a relaxation with a real potential.
 *
 * Conventions (see also cz_base.h):
 *  - The box is the half-open parallelepiped { origin + f · cell : f ∈ [0, 1)³ }: `cell` rows
 *    are the edge vectors a, b, c in Å, any shape (triclinic included), any position.
 *    `pbc[k]` != 0 makes the box periodic along row k. Every atom lies inside the box.
 *  - Density: exactly one of opts.density_g_cm3 (mass density, g/cm³) and
 *    opts.density_atoms_a3 (number density, atoms/Å³) is > 0. A mass density is turned into a
 *    number density with the composition's mean atomic mass (standard atomic weights,
 *    cz_elements.h) and Avogadro's constant: n = ρ · 0.602214076 / M̄ atoms/Å³.
 *  - Composition: opts.fraction[] are ATOM fractions (Si:O = 1:2 is {1, 2}); they need not sum
 *    to 1. The species counts are the largest-remainder apportionment of N (ties to the lower
 *    species index), so they add up to N and are exact whenever N·fraction is an integer.
 *  - Minimum distances: opts.d_min[i][j] (Å) for species i and j; the matrix must be
 *    symmetric. Every pair in the output, periodic images included, is at least d_min apart
 *    (the fill keeps a relative margin of 1e-11, so a later recomputation of the distance in
 *    double precision cannot fall below d_min).
 *  - Randomness: candidate c (0, 1, 2, ... over the whole fill) takes its fractional position
 *    from cz_rng_uniform(seed, stream, 3c + k); the order in which species are placed is a
 *    Fisher–Yates shuffle driven by cz_rng_u64(seed, another stream, i). The fill is
 *    sequential, so the output bytes depend only on the box and the options.
 *  - Labels: every atom gets opts.object_id, opts.grain_id and opts.class_id.
 *
 * See docs/amorphous.md for the algorithm (a cell grid with at most one atom per cell, packed
 * as 64-cell occupancy bitmasks), the measured speed and memory, and the limits.
 */
#ifndef CZ_AMORPHOUS_H
#define CZ_AMORPHOUS_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest number of species in one amorphous fill. */
#define CZ_AMORPHOUS_MAX_SPECIES 8

typedef struct cz_amorphous_opts {
    size_t nspecies;                           /**< 1..CZ_AMORPHOUS_MAX_SPECIES (default 1) */
    int z[CZ_AMORPHOUS_MAX_SPECIES];           /**< distinct atomic numbers 1..118 (default {6}) */
    double fraction[CZ_AMORPHOUS_MAX_SPECIES]; /**< atom fractions, finite, >= 0, sum > 0
                                                    (default {1}) */
    double d_min[CZ_AMORPHOUS_MAX_SPECIES][CZ_AMORPHOUS_MAX_SPECIES];
    /**< minimum distances in Å, finite, > 0 and symmetric over the first nspecies rows and
         columns (default 1.4 Å everywhere: amorphous carbon) */
    double density_g_cm3;     /**< mass density in g/cm³ (default 2.2), or 0 */
    double density_atoms_a3;  /**< number density in atoms/Å³ (default 0), or 0 */
    double attempts_per_atom; /**< candidate budget: the fill gives up with CZ_ERANGE after
                                   max(1000, ceil(attempts_per_atom · N)) candidates in all;
                                   finite, >= 1 (default 200) */
    size_t max_atoms;         /**< cap on N (default CZ_MAX_ATOMS); larger N → CZ_ERANGE */
    uint64_t seed;            /**< random seed (default 0) */
    int object_id;            /**< object label of every atom (default 0) */
    int grain_id;             /**< grain label of every atom (default 0) */
    int class_id;             /**< CZ_CLASS_* of every atom (default CZ_CLASS_SUBSTRATE) */
} cz_amorphous_opts;

/** Defaults: amorphous carbon, 2.2 g/cm³, d_min 1.4 Å, seed 0, substrate class. */
CZ_API void cz_amorphous_opts_default(cz_amorphous_opts *opts);

/** Optional report of one fill (pass NULL to cz_amorphous_fill when not wanted). */
typedef struct cz_amorphous_stats {
    size_t natoms;             /**< atoms placed (N) */
    size_t attempts;           /**< candidate positions drawn (>= N) */
    size_t grid[3];            /**< cells of the search grid along a, b, c */
    double cell_diameter;      /**< longest body diagonal of a grid cell, Å (< smallest d_min) */
    size_t scratch_peak_bytes; /**< peak bytes of working memory the call held at once, beyond
                                    the output cz_atoms (counted at every allocation) */
} cz_amorphous_stats;

/**
 * Fill a box with an amorphous solid by random sequential addition.
 *
 * @param origin [3] corner of the box, Å (finite).
 * @param cell   [3][3] rows a, b, c: the box edges, Å (finite, non-singular). C11 callers with
 *               a non-const array pass CZ_CROWS(cell).
 * @param pbc    [3] periodicity along a, b, c (non-zero = periodic).
 * @param opts   options; NULL = cz_amorphous_opts_default().
 * @param[out] out new atoms (n = N, in placement order). Its cell is `cell` and pbc `pbc` when
 *               any axis is periodic, else zero (an isolated block). NULL on failure; the caller
 *               destroys it with cz_atoms_destroy().
 * @param[out] stats filled on success (may be NULL); zeroed on failure.
 * @return CZ_OK;
 *   CZ_EINVAL — NULL origin, cell, pbc or out; non-finite origin or cell; singular cell; bad
 *     nspecies; z outside 1..118 or repeated; fraction negative, non-finite or all zero;
 *     d_min <= 0, non-finite or not symmetric; density NaN, negative, infinite, both or
 *     neither given; attempts_per_atom < 1 or NaN; class_id outside 0..3; a periodic
 *     translation of the box shorter than the d_min of a species with itself (an atom would
 *     touch its own image);
 *   CZ_ERANGE — N above opts->max_atoms or CZ_MAX_ATOMS; N larger than the number of grid
 *     cells (no packing can exist: a cell cannot hold two atoms); the candidate budget spent
 *     before N atoms were placed (the density is too high for random sequential addition at
 *     these d_min, which jams near a packing fraction of 0.38; the message gives the count
 *     reached); a search grid that would need more than 16 N + 2^20 blocks of 64 cells (d_min
 *     far below the mean atomic spacing); a largest d_min more than about 28 times the
 *     smallest (the search stencil would exceed 2^20 cells);
 *   CZ_ENOMEM;
 *   CZ_EINTERNAL — a broken invariant (a bug).
 * Thread safety: reentrant; no global state. The fill runs on the calling thread.
 */
CZ_API cz_status cz_amorphous_fill(const double origin[3], const double cell[3][3],
                                   const int pbc[3], const cz_amorphous_opts *opts, cz_atoms **out,
                                   cz_amorphous_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* CZ_AMORPHOUS_H */
