/**
 * cz_transform.h — rigid and affine transforms of space.
 *
 * A cz_transform maps x to x' = m·x + t, with m acting on column vectors
 * (x'_i = Σ_j m[i][j] x_j + t_i). Angles are in degrees. Rotations are proper (det +1);
 * reflections and inversion have det −1. Transforms compose with cz_transform_compose.
 * Objects in a scene carry a transform applied "locked" (lattice and volume together),
 * to the region only, or to the lattice only (cz_scene.h).
 */
#ifndef CZ_TRANSFORM_H
#define CZ_TRANSFORM_H

#include "cz/cz_base.h"
#include "cz/cz_lattice.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cz_transform {
    double m[3][3]; /**< linear part, acting on column vectors */
    double t[3];    /**< translation, Å */
} cz_transform;

/** The identity. */
CZ_API void cz_transform_identity(cz_transform *tf);

/** Translation by v (Å). @return CZ_OK, CZ_EINVAL (non-finite). */
CZ_API cz_status cz_transform_translation(const double v[3], cz_transform *tf);

/**
 * General linear map m followed by translation t. Used for strain-like affine maps and for
 * rotation matrices given by the user.
 * @param require_orthogonal if non-zero, m must be orthogonal (m·mᵀ = 1 to 1e-9) with
 *        det +1 (a rotation).
 * @return CZ_OK, CZ_EINVAL (non-finite, singular, or not a rotation when required).
 */
CZ_API cz_status cz_transform_matrix(const double m[3][3], const double t[3], int require_orthogonal,
                                     cz_transform *tf);

/** Rotation by angle_deg about `axis` through `center` (right-hand rule).
 *  @return CZ_OK, CZ_EINVAL (zero or non-finite axis, non-finite angle or center). */
CZ_API cz_status cz_transform_axis_angle(const double axis[3], double angle_deg,
                                         const double center[3], cz_transform *tf);

/** Proper Euler rotation z–x′–z″ (intrinsic; R = Rz(phi)·Rx(theta)·Rz(psi)) about center.
 *  @return CZ_OK, CZ_EINVAL (non-finite). */
CZ_API cz_status cz_transform_euler(double phi_deg, double theta_deg, double psi_deg,
                                    const double center[3], cz_transform *tf);

/**
 * Rotation about `center` that brings the lattice direction [uvw] (u a + v b + w c of
 * `lattice`) onto the beam direction +z. The in-plane angle is fixed so that the
 * projection of a reference lattice direction (the first of a, b, c not parallel to
 * [uvw]) points along +x, then rotated by `inplane_deg` about z.
 * @return CZ_OK, CZ_EINVAL (NULL lattice, [000], non-finite).
 */
CZ_API cz_status cz_transform_zone_axis(const cz_lattice *lattice, const int uvw[3],
                                        double inplane_deg, const double center[3],
                                        cz_transform *tf);

/** Mirror reflection across the plane through `point` with normal `normal`.
 *  @return CZ_OK, CZ_EINVAL (zero or non-finite normal). */
CZ_API cz_status cz_transform_reflection(const double normal[3], const double point[3],
                                         cz_transform *tf);

/** Inversion through `center` (x → 2c − x). @return CZ_OK, CZ_EINVAL (non-finite). */
CZ_API cz_status cz_transform_inversion(const double center[3], cz_transform *tf);

/** out = second ∘ first (apply `first`, then `second`). out may alias either input. */
CZ_API void cz_transform_compose(const cz_transform *first, const cz_transform *second,
                                 cz_transform *out);

/** Inverse transform. @return CZ_OK, CZ_EINVAL (singular linear part). */
CZ_API cz_status cz_transform_invert(const cz_transform *tf, cz_transform *out);

/** Apply to one point: out = m·x + t. out may alias x. */
CZ_API void cz_transform_apply(const cz_transform *tf, const double x[3], double out[3]);

/** Apply to n points in place. */
CZ_API void cz_transform_apply_n(const cz_transform *tf, size_t n, double xyz[][3]);

#ifdef __cplusplus
}
#endif
#endif /* CZ_TRANSFORM_H */
