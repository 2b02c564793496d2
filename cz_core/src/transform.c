/* transform.c — affine maps x' = m·x + t: rotations, reflections, inversion, zone axes. */
#include "cz/cz_transform.h"

#include <math.h>
#include <string.h>

#include "error.h"
#include "vec.h"

static const double DEG = 3.14159265358979323846 / 180.0;

void cz_transform_identity(cz_transform *tf) {
    memset(tf, 0, sizeof *tf);
    tf->m[0][0] = tf->m[1][1] = tf->m[2][2] = 1.0;
}

cz_status cz_transform_translation(const double v[3], cz_transform *tf) {
    if (!v || !tf) return CZ_FAIL(CZ_EINVAL, "v and tf must not be NULL");
    if (!v3_finite(v)) return CZ_FAIL(CZ_EINVAL, "translation must be finite");
    cz_transform_identity(tf);
    memcpy(tf->t, v, sizeof tf->t);
    return CZ_OK;
}

/* A linear map about a fixed centre c: x' = m(x − c) + c, so t = c − m c. */
static void set_about(cz_transform *tf, const double m[3][3], const double center[3]) {
    memcpy(tf->m, m, sizeof tf->m);
    double c[3] = {0, 0, 0};
    if (center) memcpy(c, center, sizeof c);
    double mc[3];
    m3_mulv(m, c, mc);
    for (int i = 0; i < 3; i++) tf->t[i] = c[i] - mc[i];
}

cz_status cz_transform_matrix(const double m[3][3], const double t[3], int require_orthogonal,
                              cz_transform *tf) {
    if (!m || !tf) return CZ_FAIL(CZ_EINVAL, "m and tf must not be NULL");
    if (!m3_finite(m) || (t && !v3_finite(t)))
        return CZ_FAIL(CZ_EINVAL, "matrix and translation must be finite");
    double inv[3][3];
    if (!m3_inverse(m, inv)) return CZ_FAIL(CZ_EINVAL, "matrix is singular (det = %g)", m3_det(m));
    if (require_orthogonal) {
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double g = v3_dot(m[i], m[j]) - (i == j ? 1.0 : 0.0);
                if (fabs(g) > 1e-9)
                    return CZ_FAIL(CZ_EINVAL, "matrix is not orthogonal (row %d · row %d off by %g)",
                                   i, j, g);
            }
        if (m3_det(m) < 0)
            return CZ_FAIL(CZ_EINVAL, "matrix is a reflection (det = %g), not a rotation",
                           m3_det(m));
    }
    memcpy(tf->m, m, sizeof tf->m);
    if (t)
        memcpy(tf->t, t, sizeof tf->t);
    else
        tf->t[0] = tf->t[1] = tf->t[2] = 0.0;
    return CZ_OK;
}

/* Rodrigues' rotation formula for a unit axis n and angle θ. */
static void rodrigues(const double n[3], double theta, double r[3][3]) {
    double c = cos(theta), s = sin(theta), C = 1.0 - c;
    double x = n[0], y = n[1], z = n[2];
    r[0][0] = c + x * x * C;
    r[0][1] = x * y * C - z * s;
    r[0][2] = x * z * C + y * s;
    r[1][0] = y * x * C + z * s;
    r[1][1] = c + y * y * C;
    r[1][2] = y * z * C - x * s;
    r[2][0] = z * x * C - y * s;
    r[2][1] = z * y * C + x * s;
    r[2][2] = c + z * z * C;
}

cz_status cz_transform_axis_angle(const double axis[3], double angle_deg, const double center[3],
                                  cz_transform *tf) {
    if (!axis || !tf) return CZ_FAIL(CZ_EINVAL, "axis and tf must not be NULL");
    if (!v3_finite(axis) || !isfinite(angle_deg) || (center && !v3_finite(center)))
        return CZ_FAIL(CZ_EINVAL, "axis, angle and center must be finite (angle %g)", angle_deg);
    double l = v3_norm(axis);
    if (!(l > 0.0)) return CZ_FAIL(CZ_EINVAL, "rotation axis must be non-zero");
    double n[3] = {axis[0] / l, axis[1] / l, axis[2] / l}, r[3][3];
    rodrigues(n, angle_deg * DEG, r);
    set_about(tf, CZ_CROWS(r), center);
    return CZ_OK;
}

cz_status cz_transform_euler(double phi_deg, double theta_deg, double psi_deg,
                             const double center[3], cz_transform *tf) {
    if (!tf) return CZ_FAIL(CZ_EINVAL, "tf must not be NULL");
    if (!isfinite(phi_deg) || !isfinite(theta_deg) || !isfinite(psi_deg) ||
        (center && !v3_finite(center)))
        return CZ_FAIL(CZ_EINVAL, "Euler angles must be finite (got %g, %g, %g)", phi_deg,
                       theta_deg, psi_deg);
    const double ez[3] = {0, 0, 1}, ex[3] = {1, 0, 0};
    double a[3][3], b[3][3], c[3][3];
    rodrigues(ez, phi_deg * DEG, a);
    rodrigues(ex, theta_deg * DEG, b);
    rodrigues(ez, psi_deg * DEG, c);
    m3_mul(CZ_CROWS(a), CZ_CROWS(b), a);
    m3_mul(CZ_CROWS(a), CZ_CROWS(c), a);
    set_about(tf, CZ_CROWS(a), center);
    return CZ_OK;
}

cz_status cz_transform_zone_axis(const cz_lattice *lattice, const int uvw[3], double inplane_deg,
                                 const double center[3], cz_transform *tf) {
    if (!lattice || !uvw || !tf) return CZ_FAIL(CZ_EINVAL, "lattice, uvw and tf must not be NULL");
    if (uvw[0] == 0 && uvw[1] == 0 && uvw[2] == 0)
        return CZ_FAIL(CZ_EINVAL, "zone axis [0 0 0] has no direction");
    if (!isfinite(inplane_deg) || (center && !v3_finite(center)))
        return CZ_FAIL(CZ_EINVAL, "in-plane angle and center must be finite");
    /* Direction d = u a + v b + w c becomes the new z; a reference lattice vector not
     * parallel to d, orthogonalised against it, becomes the new x. The rows of r are the new
     * axes expressed in the old frame, so r maps old coordinates to new ones. */
    double d[3], r[3][3];
    for (int k = 0; k < 3; k++)
        d[k] = uvw[0] * lattice->cell[0][k] + uvw[1] * lattice->cell[1][k] +
               uvw[2] * lattice->cell[2][k];
    double l = v3_norm(d);
    for (int k = 0; k < 3; k++) r[2][k] = d[k] / l;
    int done = 0;
    for (int i = 0; i < 3 && !done; i++) {
        double x[3];
        memcpy(x, lattice->cell[i], sizeof x);
        double p = v3_dot(x, r[2]);
        for (int k = 0; k < 3; k++) x[k] -= p * r[2][k];
        double lx = v3_norm(x);
        if (lx > 1e-6 * v3_norm(lattice->cell[i])) {
            for (int k = 0; k < 3; k++) r[0][k] = x[k] / lx;
            done = 1;
        }
    }
    if (!done) return CZ_FAIL(CZ_EINTERNAL, "no lattice vector off the zone axis");
    v3_cross(r[2], r[0], r[1]);
    if (inplane_deg != 0.0) {
        const double ez[3] = {0, 0, 1};
        double q[3][3];
        rodrigues(ez, inplane_deg * DEG, q);
        m3_mul(CZ_CROWS(q), CZ_CROWS(r), r);
    }
    set_about(tf, CZ_CROWS(r), center);
    return CZ_OK;
}

cz_status cz_transform_reflection(const double normal[3], const double point[3],
                                  cz_transform *tf) {
    if (!normal || !tf) return CZ_FAIL(CZ_EINVAL, "normal and tf must not be NULL");
    if (!v3_finite(normal) || (point && !v3_finite(point)))
        return CZ_FAIL(CZ_EINVAL, "normal and point must be finite");
    double l = v3_norm(normal);
    if (!(l > 0.0)) return CZ_FAIL(CZ_EINVAL, "mirror normal must be non-zero");
    double n[3] = {normal[0] / l, normal[1] / l, normal[2] / l}, m[3][3];
    /* Householder matrix 1 − 2 n nᵀ. */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) m[i][j] = (i == j ? 1.0 : 0.0) - 2.0 * n[i] * n[j];
    set_about(tf, CZ_CROWS(m), point);
    return CZ_OK;
}

cz_status cz_transform_inversion(const double center[3], cz_transform *tf) {
    if (!tf) return CZ_FAIL(CZ_EINVAL, "tf must not be NULL");
    if (center && !v3_finite(center)) return CZ_FAIL(CZ_EINVAL, "center must be finite");
    double m[3][3] = {{-1, 0, 0}, {0, -1, 0}, {0, 0, -1}};
    set_about(tf, CZ_CROWS(m), center);
    return CZ_OK;
}

void cz_transform_compose(const cz_transform *first, const cz_transform *second,
                          cz_transform *out) {
    /* second(first(x)) = m2 (m1 x + t1) + t2. */
    cz_transform r;
    m3_mul(second->m, first->m, r.m);
    m3_mulv(second->m, first->t, r.t);
    for (int i = 0; i < 3; i++) r.t[i] += second->t[i];
    *out = r;
}

cz_status cz_transform_invert(const cz_transform *tf, cz_transform *out) {
    if (!tf || !out) return CZ_FAIL(CZ_EINVAL, "tf and out must not be NULL");
    cz_transform r;
    if (!m3_inverse(tf->m, r.m)) return CZ_FAIL(CZ_EINVAL, "transform is singular");
    m3_mulv(CZ_CROWS(r.m), tf->t, r.t);
    for (int i = 0; i < 3; i++) r.t[i] = -r.t[i];
    *out = r;
    return CZ_OK;
}

void cz_transform_apply(const cz_transform *tf, const double x[3], double out[3]) {
    double y[3];
    m3_mulv(tf->m, x, y);
    for (int i = 0; i < 3; i++) out[i] = y[i] + tf->t[i];
}

void cz_transform_apply_n(const cz_transform *tf, size_t n, double xyz[][3]) {
    for (size_t i = 0; i < n; i++) cz_transform_apply(tf, xyz[i], xyz[i]);
}
