/**
 * cz_orthogonal.h — an orthogonal supercell of a structure whose in-plane cell is oblique.
 *
 * The multislice (libczsim) needs an orthorhombic periodic cell with a ∥ x and b ∥ y, the beam
 * along z. Hexagonal and other oblique in-plane cells (graphene, MoS₂, hcp and wurtzite slabs
 * as ASE writes them: a 120° or 60° angle between a and b) are made simulable the way abTEM's
 * "orthogonalize cell" does it: integer combinations
 *
 *     A = i·a + j·b,   B = k·a + l·b        (the rows of the integer matrix m = [[i, j], [k, l]])
 *
 * are searched for one with A ⊥ B; the structure is turned about z so that A lies along +x
 * and B along +y, and the new cell is filled with every lattice image of every atom that
 * falls inside it. The new cell is |det m| times the old one in area, and so holds exactly
 * |det m| × n atoms.
 *
 * Conventions of this header (besides those of cz_base.h):
 *  - Only the in-plane lattice spanned by a and b is used; both must lie in the xy plane (zero
 *    z components). It is treated as periodic whatever pbc says, as the multislice treats x
 *    and y. The output's pbc along A and B is pbc[0] && pbc[1] of the input.
 *  - c: a c ∥ z (or a zero c row) is kept as it is. A c with in-plane components (a sheared
 *    stack) is replaced by its z part (0, 0, c_z) and the output is NOT periodic along c
 *    (pbc[2] = 0): the multislice never uses periodicity along the beam, but an in-plane
 *    offset between layers cannot be kept in an orthorhombic cell. The z coordinates of the
 *    atoms are never changed.
 *  - Strain: the search accepts near-solutions. The shear strain of (A, B) is
 *    γ = |A·B| / |A × B| = |cot ∠(A, B)|. When γ > 0 the vector B is projected onto the normal
 *    of A (a simple shear that keeps A, the area and the density), and atoms are placed by their
 *    fractional coordinates in (A, B): an atom at fraction f_B along B moves by at most
 *    γ · f_B · |B⊥| along A. With the default tolerance 1e-6 only exact solutions (within
 *    rounding) are accepted.
 *  - Output positions are wrapped into the new cell in-plane, fractional coordinates in [0, 1)
 *    (half-open: an atom on the far edge appears on the near one), each lattice image once.
 *    Order: the images outer, the input atoms inner; the first n atoms are images of atoms
 *    0..n−1 in order. Every per-atom array (z, object_id, grain_id, class_id) is copied.
 *  - Already orthogonal input (a = (a_x > 0, 0, 0), b = (0, b_y > 0, 0), c ∥ z or zero) comes
 *    back as an exact copy, same order, not wrapped, with m = identity and info.changed = 0.
 *  - Choice among solutions, deterministic: smallest |det m|; then A closest to the line of a
 *    (A = ±a when possible: a hexagonal cell with a ∥ x keeps its orientation, A = a,
 *    B = a + 2b for 120°); then the smallest rotation (so a along −x gives A = −a, not a turn
 *    by 180°); then the smallest strain (differences below 1e-12 ignored); then A
 *    counter-clockwise from a rather than clockwise; then the smallest (i, j, k, l) in
 *    lexicographic order.
 * Cost: O(max_repeat³) cell-vector tests (about 2 ms at the default 20, 0.15 s at 100), then
 * O(|det m| · n) to fill. Reentrant; no caller pointer is kept.
 */
#ifndef CZ_ORTHOGONAL_H
#define CZ_ORTHOGONAL_H

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest accepted cz_ortho_opts.max_repeat. */
#define CZ_ORTHO_MAX_REPEAT 100
/** Largest accepted cz_ortho_opts.strain_tolerance. */
#define CZ_ORTHO_MAX_STRAIN 0.25

/** Search limits of cz_atoms_orthogonalize. Initialise with cz_ortho_opts_default. */
typedef struct cz_ortho_opts {
    /** Largest |i|, |j|, |k|, |l| tried, 1..CZ_ORTHO_MAX_REPEAT (default 20). */
    int max_repeat;
    /** Largest shear strain γ accepted, in (0, CZ_ORTHO_MAX_STRAIN] (default 1e-6: exact
     *  solutions only; e.g. 1e-3 lets an irrational angle through with a small shear). */
    double strain_tolerance;
} cz_ortho_opts;

/** What cz_atoms_orthogonalize did. */
typedef struct cz_ortho_info {
    /** New in-plane cell in terms of the old: A = m[0][0]·a + m[0][1]·b,
     *  B = m[1][0]·a + m[1][1]·b (before the rotation and the projection of B). */
    int matrix[2][2];
    /** m[0][0]·m[1][1] − m[0][1]·m[1][0]; the output holds |det| × n atoms. Its sign is that of
     *  a × b along z (A × B always points along +z). */
    int det;
    /** Rotation applied to the structure about +z, degrees, counter-clockwise, in (−180, 180]:
     *  minus the angle of A from +x. */
    double rotation_deg;
    /** Shear strain γ = |A·B| / |A × B| removed by projecting B (0 up to rounding for an exact
     *  solution; always <= strain_tolerance). */
    double strain;
    /** 0 when the input was already orthogonal and was copied unchanged, else 1. */
    int changed;
} cz_ortho_info;

/** Defaults: max_repeat 20, strain_tolerance 1e-6. NULL is a no-op. */
CZ_API void cz_ortho_opts_default(cz_ortho_opts *opts);

/**
 * The smallest orthogonal supercell of the in-plane lattice of `in`, rotated so that its first
 * vector lies along +x, filled with the atoms (see the header's conventions).
 *
 * @param in    the structure; cell rows a and b in the xy plane (|a_z|, |b_z| <= 1e-12 × the
 *              row's length; smaller z components are taken as 0), not parallel.
 * @param opts  search limits, or NULL for cz_ortho_opts_default.
 * @param[out] out  new structure, |det| × in->n atoms; the caller destroys it. NULL on failure.
 * @param[out] info what was done (may be NULL); zeroed on failure.
 * @return CZ_OK;
 *         CZ_EINVAL: NULL in or out; opts out of range (max_repeat outside
 *         1..CZ_ORTHO_MAX_REPEAT, strain_tolerance outside (0, CZ_ORTHO_MAX_STRAIN] or NaN); a
 *         non-finite cell or position; a or b zero, parallel (zero area) or with a z
 *         component; a non-zero c lying in the xy plane; no solution within max_repeat and
 *         strain_tolerance — the message names the best candidate found (its matrix and
 *         strain) and the option to raise;
 *         CZ_ERANGE: |det| × n above CZ_MAX_ATOMS; CZ_ENOMEM.
 * Thread safety: reentrant.
 */
CZ_API cz_status cz_atoms_orthogonalize(const cz_atoms *in, const cz_ortho_opts *opts,
                                        cz_atoms **out, cz_ortho_info *info);

#ifdef __cplusplus
}
#endif
#endif /* CZ_ORTHOGONAL_H */
