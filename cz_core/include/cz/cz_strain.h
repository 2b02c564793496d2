/**
 * cz_strain.h — homogeneous strain of lattices and scene objects, and built-in inhomogeneous
 * displacement fields applied to atoms.
 *
 * Conventions of this header:
 *  - A strain is a 3×3 displacement gradient ε (dimensionless, acting on column vectors): a
 *    point x moves to c + (1 + ε)(x − c) about a fixed centre c. A symmetric ε is a pure
 *    strain; an antisymmetric part is a small rotation. A distance along a principal
 *    direction of a symmetric ε with eigenvalue e changes by exactly (1 + e).
 *  - Voigt strain vectors are (ε_xx, ε_yy, ε_zz, γ_yz, γ_xz, γ_xy) with ENGINEERING shears
 *    γ_ij = 2 ε_ij, the convention of elastic-constant tables.
 *  - Frames: CZ_STRAIN_CARTESIAN means the world axes x, y, z; CZ_STRAIN_CRYSTAL means the
 *    lattice's own Cartesian frame (the frame of its cell rows before any placement, e.g.
 *    x ∥ a for the prototypes), carried into the world by the placement's linear part M as
 *    M (1 + ε) M⁻¹.
 *  - Homogeneous strain of a scene object is an affine transform: build it with
 *    cz_strain_transform and apply it with cz_scene_transform(scene, index, &tf, mode):
 *    CZ_APPLY_LATTICE strains the crystal inside an unchanged region (a strained particle of
 *    the same shape: the usual choice), CZ_APPLY_LOCKED strains region and lattice together
 *    (the whole particle deforms). For a multi-grain object apply it to every grain index.
 *  - Inhomogeneous fields move atoms of a cz_atoms IN PLACE: x → x + u(x). They are radial
 *    about a centre, u = f(r) r̂ with r = |x − c|, and can be restricted to one object_id.
 *    Atoms exactly at the centre do not move.
 * All functions are reentrant; none keeps a caller pointer.
 */
#ifndef CZ_STRAIN_H
#define CZ_STRAIN_H

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"
#include "cz/cz_lattice.h"
#include "cz/cz_transform.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The frame a strain tensor is written in. */
typedef enum cz_strain_frame {
    CZ_STRAIN_CARTESIAN = 0, /**< world x, y, z */
    CZ_STRAIN_CRYSTAL = 1    /**< the lattice's own frame, carried by the placement */
} cz_strain_frame;

/**
 * Strain tensor from a Voigt vector (ε_xx, ε_yy, ε_zz, γ_yz, γ_xz, γ_xy), engineering shears:
 * eps = [[ε_xx, γ_xy/2, γ_xz/2], [γ_xy/2, ε_yy, γ_yz/2], [γ_xz/2, γ_yz/2, ε_zz]].
 * @return CZ_OK, CZ_EINVAL (NULL, non-finite entry).
 */
CZ_API cz_status cz_strain_from_voigt(const double voigt[6], double eps[3][3]);

/**
 * The affine map of a homogeneous strain: x → c + F (x − c) with F = 1 + eps in the Cartesian
 * frame, or F = M (1 + eps) M⁻¹ in the crystal frame (M the linear part of `placement`).
 * @param eps        displacement gradient (dimensionless)
 * @param frame      CZ_STRAIN_CARTESIAN or CZ_STRAIN_CRYSTAL
 * @param placement  lattice frame → world (crystal frame only; NULL = identity; ignored for
 *                   the Cartesian frame)
 * @param center     fixed point c in world Å (NULL = origin)
 * @param[out] out   the transform, for cz_scene_transform or cz_transform_apply_n.
 * @return CZ_OK, CZ_EINVAL (NULL eps or out, non-finite values, unknown frame, singular
 *         placement, det(1 + eps) <= 0: a strain that inverts space).
 */
CZ_API cz_status cz_strain_transform(const double eps[3][3], cz_strain_frame frame,
                                     const cz_transform *placement, const double center[3],
                                     cz_transform *out);

/**
 * A strained copy of a lattice: every cell row r (a lattice vector) becomes (1 + eps) r;
 * fractional coordinates of the basis are unchanged. The strain is in the lattice's own frame.
 * @return CZ_OK, CZ_EINVAL (NULL, non-finite eps, det(1 + eps) <= 0), CZ_ENOMEM.
 *         *out NULL on failure; caller destroys.
 */
CZ_API cz_status cz_lattice_strain(const cz_lattice *lattice, const double eps[3][3],
                                   cz_lattice **out);

/** Radial profiles f(r) of cz_strain_radial (ε = epsilon, R = radius, p = exponent). */
typedef enum cz_radial_profile {
    /** f(r) = ε r (r/R)^p. p = 0: uniform isotropic dilatation about the centre (ε < 0 a
     *  contraction towards it), every distance scaled by (1 + ε). p > 0 concentrates the strain
     *  near r = R (surface relaxation of a particle of radius R): the tangential strain is
     *  ε (r/R)^p and the radial strain ε (p + 1)(r/R)^p. */
    CZ_RADIAL_POWER = 0,
    /** The field of a misfitting sphere of radius R in an infinite isotropic matrix (Eshelby
     *  1957): f(r) = ε r inside (uniform dilatation), f(r) = ε R³/r² outside (a
     *  volume-preserving decay). ε is the constrained strain of the inclusion. */
    CZ_RADIAL_INCLUSION = 1
} cz_radial_profile;

/** Options of cz_strain_radial. */
typedef struct cz_radial_strain_opts {
    double center[3];          /**< c, world Å (default 0) */
    double epsilon;            /**< ε, dimensionless, > −1 (default 0) */
    double radius;             /**< R, Å, > 0 (default 1) */
    double exponent;           /**< p >= 0, CZ_RADIAL_POWER only (default 0) */
    cz_radial_profile profile; /**< default CZ_RADIAL_POWER */
    int object_id;             /**< only atoms with this object id; 0 = every atom (default) */
} cz_radial_strain_opts;

/** Defaults as documented on each field. */
CZ_API void cz_radial_strain_opts_default(cz_radial_strain_opts *opts);

/**
 * Move atoms by the radial field u = f(r) r̂ (in place).
 * @param[out] moved number of atoms displaced (those selected by object_id); may be NULL.
 * @return CZ_OK, CZ_EINVAL (NULL atoms or opts, non-finite centre, epsilon <= −1 or
 *         non-finite, radius <= 0, exponent < 0, unknown profile, object_id < 0).
 */
CZ_API cz_status cz_strain_radial(cz_atoms *atoms, const cz_radial_strain_opts *opts,
                                  size_t *moved);

/** Options of cz_strain_core_shell. */
typedef struct cz_core_shell_strain_opts {
    double center[3];    /**< particle centre, world Å (default 0) */
    double core_radius;  /**< R_c, Å, > 0 (required; default NAN) */
    double shell_radius; /**< R_s, Å, > R_c: the free outer surface (required; default NAN) */
    double misfit;       /**< δ = a_shell / a_built − 1: the shell's natural lattice parameter
                              relative to the spacing it was built with (default 0) */
    double poisson;      /**< ν, in (−1, 0.5) (default 0.3) */
    int object_id;       /**< only atoms with this object id; 0 = every atom (default) */
} cz_core_shell_strain_opts;

/** Defaults as documented on each field. */
CZ_API void cz_core_shell_strain_opts_default(cz_core_shell_strain_opts *opts);

/**
 * Relax the misfit of a COHERENT core–shell sphere (in place). The atoms are taken as built
 * on one common spacing (a shell grown epitaxially on the core: e.g. the core lattice with
 * the shell's species, or cz_scene_add_core_shell with a coherent shell lattice), and the
 * shell as wanting a lattice parameter larger by δ. Linear isotropic elasticity with equal
 * moduli in core and shell and a traction-free outer surface at R_s gives the Lamé solution
 * u = B r + C/r² of a sphere with a spherically symmetric eigenstrain (as for thermal
 * stresses in Timoshenko & Goodier, Theory of Elasticity), here δ in the shell:
 *     core  r <= R_c:  u = A r,           A = δ β (1 − R_c³/R_s³)
 *     shell r >  R_c:  u = B r + C / r²,  B = δ (1 − β R_c³/R_s³),  C = −δ α R_c³
 * with α = (1 + ν) / (3 (1 − ν)) and β = 1 − α = 2 (1 − 2ν) / (3 (1 − ν)). u is continuous
 * at R_c, the radial traction is continuous there and zero at R_s; far from a small core the
 * shell relaxes to its natural spacing (u → δ r), and a thin shell on a large core is
 * strained tangentially to match it. Atoms are assigned to core or shell by radius alone
 * (the field is continuous, so labels do not matter); atoms beyond R_s follow the shell law.
 * @param[out] moved number of atoms displaced; may be NULL.
 * @return CZ_OK, CZ_EINVAL (NULL atoms or opts, non-finite centre, core_radius <= 0,
 *         shell_radius <= core_radius, |misfit| >= 0.5 or non-finite, poisson outside
 *         (−1, 0.5), object_id < 0).
 */
CZ_API cz_status cz_strain_core_shell(cz_atoms *atoms, const cz_core_shell_strain_opts *opts,
                                      size_t *moved);

#ifdef __cplusplus
}
#endif
#endif /* CZ_STRAIN_H */
