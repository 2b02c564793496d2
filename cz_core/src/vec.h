/* vec.h — private 3-vector and 3×3 helpers, written out (clearer than BLAS at this size). */
#ifndef CZI_VEC_H
#define CZI_VEC_H

#include <math.h>

static inline double v3_dot(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
static inline void v3_cross(const double a[3], const double b[3], double out[3]) {
    double x = a[1] * b[2] - a[2] * b[1], y = a[2] * b[0] - a[0] * b[2],
           z = a[0] * b[1] - a[1] * b[0];
    out[0] = x;
    out[1] = y;
    out[2] = z;
}
static inline double v3_norm(const double a[3]) { return sqrt(v3_dot(a, a)); }
static inline int v3_finite(const double a[3]) {
    return isfinite(a[0]) && isfinite(a[1]) && isfinite(a[2]);
}
static inline double m3_det(const double m[3][3]) {
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
           m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}
static inline int m3_finite(const double m[3][3]) {
    return v3_finite(m[0]) && v3_finite(m[1]) && v3_finite(m[2]);
}
/* Inverse by the adjugate; returns 0 when |det| is negligible relative to the entries. */
static inline int m3_inverse(const double m[3][3], double inv[3][3]) {
    double det = m3_det(m);
    double s = 0.0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) s = fmax(s, fabs(m[i][j]));
    if (!(s > 0.0) || !(fabs(det) > 1e-12 * s * s * s)) return 0;
    double r = 1.0 / det;
    inv[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) * r;
    inv[0][1] = (m[0][2] * m[2][1] - m[0][1] * m[2][2]) * r;
    inv[0][2] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) * r;
    inv[1][0] = (m[1][2] * m[2][0] - m[1][0] * m[2][2]) * r;
    inv[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) * r;
    inv[1][2] = (m[0][2] * m[1][0] - m[0][0] * m[1][2]) * r;
    inv[2][0] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) * r;
    inv[2][1] = (m[0][1] * m[2][0] - m[0][0] * m[2][1]) * r;
    inv[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) * r;
    return 1;
}
/* out = m · x (m acting on a column vector). out may alias x. */
static inline void m3_mulv(const double m[3][3], const double x[3], double out[3]) {
    double a = m[0][0] * x[0] + m[0][1] * x[1] + m[0][2] * x[2];
    double b = m[1][0] * x[0] + m[1][1] * x[1] + m[1][2] * x[2];
    double c = m[2][0] * x[0] + m[2][1] * x[1] + m[2][2] * x[2];
    out[0] = a;
    out[1] = b;
    out[2] = c;
}
/* out = mᵀ · x. out may alias x. */
static inline void m3_tmulv(const double m[3][3], const double x[3], double out[3]) {
    double a = m[0][0] * x[0] + m[1][0] * x[1] + m[2][0] * x[2];
    double b = m[0][1] * x[0] + m[1][1] * x[1] + m[2][1] * x[2];
    double c = m[0][2] * x[0] + m[1][2] * x[1] + m[2][2] * x[2];
    out[0] = a;
    out[1] = b;
    out[2] = c;
}
/* out = a · b. out may alias. */
static inline void m3_mul(const double a[3][3], const double b[3][3], double out[3][3]) {
    double t[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) t[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) out[i][j] = t[i][j];
}
#endif
