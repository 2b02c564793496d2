/* test_transform.c — affine transforms: rotations (axis–angle, Euler, zone axis), reflection,
 * inversion, composition, inversion of a transform, and every documented error. */
#include <stdint.h>

#include "cz/cz.h"
#include "cz_test.h"

static const double PI = 3.14159265358979323846;

static double det3(const double m[3][3]) {
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
           m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}
static double dot3(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
static double dist3(const double a[3], const double b[3]) {
    double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    return sqrt(dot3(d, d));
}
/* Largest |(m mᵀ − 1)_ij|. */
static double orth_error(const double m[3][3]) {
    double e = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) e = fmax(e, fabs(dot3(m[i], m[j]) - (i == j)));
    return e;
}
/* A deterministic random point in [-L, L]^3. */
static void rand_point(uint64_t stream, uint64_t i, double L, double p[3]) {
    for (int k = 0; k < 3; k++) p[k] = L * (2.0 * cz_rng_uniform(991, stream, 3 * i + k) - 1.0);
}
/* Largest |A(x) − B(x)| over 1000 random points. */
static double max_diff(const cz_transform *a, const cz_transform *b, uint64_t stream) {
    double worst = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        double x[3], ya[3], yb[3];
        rand_point(stream, i, 23.7, x);
        cz_transform_apply(a, x, ya);
        cz_transform_apply(b, x, yb);
        worst = fmax(worst, dist3(ya, yb));
    }
    return worst;
}

static void test_identity_translation(void) {
    cz_transform tf;
    memset(&tf, 0x7f, sizeof tf);
    cz_transform_identity(&tf);
    double x[3] = {3.615, -12.0417, 0.731}, y[3];
    cz_transform_apply(&tf, x, y);
    CZ_CHECK(y[0] == x[0] && y[1] == x[1] && y[2] == x[2], "identity moves a point");

    const double v[3] = {1.2345, -6.789, 10.11};
    CZ_CHECK(cz_transform_translation(v, &tf) == CZ_OK, "translation: %s", cz_last_error());
    cz_transform_apply(&tf, x, y);
    for (int k = 0; k < 3; k++) CZ_CHECK_CLOSE(y[k], x[k] + v[k], 1e-15, "translation %d", k);
    CZ_CHECK(tf.m[0][0] == 1 && tf.m[1][1] == 1 && tf.m[2][2] == 1 && tf.m[0][1] == 0,
             "translation keeps m = 1");

    const double bad[3] = {1.0, NAN, 2.0}, inf[3] = {INFINITY, 0, 0};
    CZ_CHECK_FAILS(cz_transform_translation(bad, &tf), CZ_EINVAL,
                   "cz_transform_translation: translation must be finite");
    CZ_CHECK_FAILS(cz_transform_translation(inf, &tf), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_translation(NULL, &tf), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_transform_translation(v, NULL), CZ_EINVAL, "must not be NULL");
}

static void test_matrix(void) {
    /* A general affine map (shear + scale). */
    const double m[3][3] = {{1.07, 0.23, -0.11}, {0.05, 0.93, 0.31}, {-0.17, 0.02, 1.19}};
    const double t[3] = {0.5, -1.25, 3.615};
    cz_transform tf;
    CZ_CHECK(cz_transform_matrix(m, t, 0, &tf) == CZ_OK, "matrix: %s", cz_last_error());
    double x[3] = {2.2, -3.3, 4.4}, y[3];
    cz_transform_apply(&tf, x, y);
    for (int i = 0; i < 3; i++)
        CZ_CHECK_CLOSE(y[i], m[i][0] * x[0] + m[i][1] * x[1] + m[i][2] * x[2] + t[i], 1e-14,
                       "m acts on column vectors (row %d)", i);
    /* t NULL → no translation. */
    CZ_CHECK(cz_transform_matrix(m, NULL, 0, &tf) == CZ_OK, "matrix without t");
    CZ_CHECK(tf.t[0] == 0 && tf.t[1] == 0 && tf.t[2] == 0, "NULL t gives zero translation");

    /* A proper rotation passes require_orthogonal. */
    cz_transform rot;
    const double ax[3] = {0.3, -0.7, 0.648};
    cz_transform_axis_angle(ax, 71.3, NULL, &rot);
    CZ_CHECK(cz_transform_matrix(CZ_CROWS(rot.m), t, 1, &tf) == CZ_OK, "rotation accepted: %s",
             cz_last_error());

    /* Errors. */
    const double sing[3][3] = {{1, 2, 3}, {2, 4, 6}, {0.5, -1, 2}};
    CZ_CHECK_FAILS(cz_transform_matrix(sing, t, 0, &tf), CZ_EINVAL,
                   "cz_transform_matrix: matrix is singular");
    const double zero[3][3] = {{0}};
    CZ_CHECK_FAILS(cz_transform_matrix(zero, NULL, 0, &tf), CZ_EINVAL, "singular");
    CZ_CHECK_FAILS(cz_transform_matrix(m, t, 1, &tf), CZ_EINVAL, "not orthogonal");
    const double mirror[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, -1}};
    CZ_CHECK_FAILS(cz_transform_matrix(mirror, NULL, 1, &tf), CZ_EINVAL, "reflection");
    CZ_CHECK(cz_transform_matrix(mirror, NULL, 0, &tf) == CZ_OK,
             "a reflection is fine without require_orthogonal");
    /* Orthogonal to 1e-9 only: a slightly scaled rotation is rejected. */
    double scaled[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) scaled[i][j] = rot.m[i][j] * (1.0 + 1e-7);
    CZ_CHECK_FAILS(cz_transform_matrix(CZ_CROWS(scaled), NULL, 1, &tf), CZ_EINVAL,
                   "not orthogonal");
    double nanm[3][3];
    memcpy(nanm, m, sizeof nanm);
    nanm[1][2] = NAN;
    CZ_CHECK_FAILS(cz_transform_matrix(CZ_CROWS(nanm), t, 0, &tf), CZ_EINVAL, "must be finite");
    const double tinf[3] = {0, INFINITY, 0};
    CZ_CHECK_FAILS(cz_transform_matrix(m, tinf, 0, &tf), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_matrix(NULL, t, 0, &tf), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_transform_matrix(m, t, 0, NULL), CZ_EINVAL, "must not be NULL");
}

static void test_axis_angle(void) {
    cz_transform tf;
    const double ez[3] = {0, 0, 1}, ex[3] = {1, 0, 0};
    double y[3];
    CZ_CHECK(cz_transform_axis_angle(ez, 90.0, NULL, &tf) == CZ_OK, "%s", cz_last_error());
    cz_transform_apply(&tf, ex, y);
    CZ_CHECK(fabs(y[0]) < 1e-15 && fabs(y[1] - 1) < 1e-15 && fabs(y[2]) < 1e-15,
             "90° about z sends x to y (got %g %g %g)", y[0], y[1], y[2]);
    const double ey[3] = {0, 1, 0};
    cz_transform_apply(&tf, ey, y);
    CZ_CHECK(fabs(y[0] + 1) < 1e-15 && fabs(y[1]) < 1e-15, "90° about z sends y to -x");
    /* Axis need not be unit. */
    const double ez_long[3] = {0, 0, 12.0417};
    cz_transform tf2;
    cz_transform_axis_angle(ez_long, 90.0, NULL, &tf2);
    CZ_CHECK(max_diff(&tf, &tf2, 1) < 1e-13, "axis length does not matter");
    /* 120° about [111] permutes x → y → z. */
    const double e111[3] = {1, 1, 1};
    cz_transform_axis_angle(e111, 120.0, NULL, &tf);
    cz_transform_apply(&tf, ex, y);
    CZ_CHECK(fabs(y[1] - 1) < 1e-14 && fabs(y[0]) < 1e-14 && fabs(y[2]) < 1e-14,
             "120° about [111] sends x to y (got %g %g %g)", y[0], y[1], y[2]);

    /* Random axes and angles: orthogonal, det +1, axis fixed, angle between the
     * perpendicular parts equals the rotation angle with the right-hand sense. */
    double worst_orth = 0, worst_det = 0, worst_axis = 0, worst_angle = 0;
    for (uint64_t i = 0; i < 200; i++) {
        double axis[3], c[3], v[3];
        rand_point(2, i, 5.0, axis);
        rand_point(3, i, 17.3, c);
        rand_point(4, i, 3.0, v);
        double ang = 359.0 * cz_rng_uniform(7, 5, i) - 179.5;
        CZ_CHECK(cz_transform_axis_angle(axis, ang, c, &tf) == CZ_OK, "%s", cz_last_error());
        worst_orth = fmax(worst_orth, orth_error(CZ_CROWS(tf.m)));
        worst_det = fmax(worst_det, fabs(det3(CZ_CROWS(tf.m)) - 1));
        /* Points on the axis line through c stay put. */
        double p[3], q[3];
        for (int k = 0; k < 3; k++) p[k] = c[k] + 0.731 * axis[k];
        cz_transform_apply(&tf, p, q);
        worst_axis = fmax(worst_axis, dist3(p, q));
        /* Signed angle of v⊥ → (Rv)⊥ about n̂. */
        double l = sqrt(dot3(axis, axis)), n[3] = {axis[0] / l, axis[1] / l, axis[2] / l};
        double w[3], x0[3], x1[3];
        for (int k = 0; k < 3; k++) x0[k] = c[k] + v[k];
        cz_transform_apply(&tf, x0, x1);
        for (int k = 0; k < 3; k++) w[k] = x1[k] - c[k];
        double vp[3], wp[3], vn = dot3(v, n), wn = dot3(w, n);
        for (int k = 0; k < 3; k++) {
            vp[k] = v[k] - vn * n[k];
            wp[k] = w[k] - wn * n[k];
        }
        double cr[3] = {vp[1] * wp[2] - vp[2] * wp[1], vp[2] * wp[0] - vp[0] * wp[2],
                        vp[0] * wp[1] - vp[1] * wp[0]};
        double got = atan2(dot3(cr, n), dot3(vp, wp)) * 180.0 / PI;
        worst_angle = fmax(worst_angle, fabs(got - ang));
    }
    CZ_CHECK(worst_orth < 1e-14, "axis-angle orthogonality error %g", worst_orth);
    CZ_CHECK(worst_det < 1e-14, "axis-angle det error %g", worst_det);
    CZ_CHECK(worst_axis < 1e-12, "axis points moved by %g", worst_axis);
    CZ_CHECK(worst_angle < 1e-9, "rotation angle off by %g degrees", worst_angle);

    const double zero[3] = {0, 0, 0}, nanv[3] = {1, NAN, 0}, c[3] = {1, 2, 3};
    const double cnan[3] = {0, 0, INFINITY};
    CZ_CHECK_FAILS(cz_transform_axis_angle(zero, 30.0, NULL, &tf), CZ_EINVAL,
                   "cz_transform_axis_angle: rotation axis must be non-zero");
    CZ_CHECK_FAILS(cz_transform_axis_angle(nanv, 30.0, NULL, &tf), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_axis_angle(ez, NAN, NULL, &tf), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_axis_angle(ez, INFINITY, c, &tf), CZ_EINVAL, "angle inf");
    CZ_CHECK_FAILS(cz_transform_axis_angle(ez, 30.0, cnan, &tf), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_axis_angle(NULL, 30.0, c, &tf), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_transform_axis_angle(ez, 30.0, c, NULL), CZ_EINVAL, "must not be NULL");
}

static void test_euler(void) {
    const double ez[3] = {0, 0, 1}, ex[3] = {1, 0, 0};
    const double c[3] = {3.615, -2.71, 8.08};
    for (uint64_t i = 0; i < 50; i++) {
        double phi = 720 * cz_rng_uniform(5, 1, i) - 360;
        double theta = 360 * cz_rng_uniform(5, 2, i) - 180;
        double psi = 720 * cz_rng_uniform(5, 3, i) - 360;
        cz_transform e, rphi, rth, rpsi, prod;
        CZ_CHECK(cz_transform_euler(phi, theta, psi, c, &e) == CZ_OK, "%s", cz_last_error());
        /* R = Rz(phi)·Rx(theta)·Rz(psi): applied to a vector, Rz(psi) acts first. */
        cz_transform_axis_angle(ez, phi, c, &rphi);
        cz_transform_axis_angle(ex, theta, c, &rth);
        cz_transform_axis_angle(ez, psi, c, &rpsi);
        cz_transform_compose(&rpsi, &rth, &prod);
        cz_transform_compose(&prod, &rphi, &prod);
        double d = max_diff(&e, &prod, 10 + i);
        CZ_CHECK(d < 1e-12, "Euler (%g, %g, %g) differs from Rz·Rx·Rz by %g", phi, theta, psi, d);
        CZ_CHECK(fabs(det3(CZ_CROWS(e.m)) - 1) < 1e-14 && orth_error(CZ_CROWS(e.m)) < 1e-14,
                 "Euler gives a rotation");
        double y[3];
        cz_transform_apply(&e, c, y);
        CZ_CHECK(dist3(y, c) < 1e-12, "the centre is fixed");
    }
    /* NULL centre = origin; θ = 0 reduces to a z rotation by φ + ψ. */
    cz_transform e, r;
    cz_transform_euler(23.5, 0.0, 41.25, NULL, &e);
    cz_transform_axis_angle(ez, 64.75, NULL, &r);
    CZ_CHECK(max_diff(&e, &r, 99) < 1e-12, "Euler with theta 0 is a z rotation");

    const double cbad[3] = {0, NAN, 0};
    CZ_CHECK_FAILS(cz_transform_euler(NAN, 1, 2, NULL, &e), CZ_EINVAL,
                   "cz_transform_euler: Euler angles must be finite");
    CZ_CHECK_FAILS(cz_transform_euler(1, INFINITY, 2, NULL, &e), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_euler(1, 2, -INFINITY, NULL, &e), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_euler(1, 2, 3, cbad, &e), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_euler(1, 2, 3, NULL, NULL), CZ_EINVAL, "must not be NULL");
}

/* R·d ∥ +z with |R·d| = |d|, R a rotation, reference lattice vector projected onto +x. */
static void check_zone(const cz_lattice *lat, const int uvw[3], double inplane, const char *what) {
    const double c[3] = {1.5, -2.25, 0.75};
    cz_transform tf;
    CZ_CHECK(cz_transform_zone_axis(lat, uvw, inplane, c, &tf) == CZ_OK, "%s: %s", what,
             cz_last_error());
    CZ_CHECK(orth_error(CZ_CROWS(tf.m)) < 1e-13, "%s: zone-axis matrix not orthogonal", what);
    CZ_CHECK(fabs(det3(CZ_CROWS(tf.m)) - 1) < 1e-13, "%s: zone-axis det %g", what,
             det3(CZ_CROWS(tf.m)));
    double d[3], rd[3], y[3];
    for (int k = 0; k < 3; k++)
        d[k] = uvw[0] * lat->cell[0][k] + uvw[1] * lat->cell[1][k] + uvw[2] * lat->cell[2][k];
    double len = sqrt(dot3(d, d));
    /* Linear part only: R·d. */
    for (int i = 0; i < 3; i++) rd[i] = dot3(tf.m[i], d);
    CZ_CHECK(
        fabs(rd[0]) < 1e-12 * len && fabs(rd[1]) < 1e-12 * len && fabs(rd[2] - len) < 1e-12 * len,
        "%s: R·[uvw] = (%g, %g, %g), want (0, 0, %g)", what, rd[0], rd[1], rd[2], len);
    cz_transform_apply(&tf, c, y);
    CZ_CHECK(dist3(y, c) < 1e-12, "%s: centre moved", what);
    /* The first lattice vector not parallel to d projects onto the in-plane direction. */
    for (int i = 0; i < 3; i++) {
        double a[3], ra[3];
        memcpy(a, lat->cell[i], sizeof a);
        double cr[3] = {a[1] * d[2] - a[2] * d[1], a[2] * d[0] - a[0] * d[2],
                        a[0] * d[1] - a[1] * d[0]};
        if (sqrt(dot3(cr, cr)) < 1e-6 * len * sqrt(dot3(a, a))) continue;
        for (int k = 0; k < 3; k++) ra[k] = dot3(tf.m[k], a);
        double ang = atan2(ra[1], ra[0]) * 180 / PI;
        double diff = remainder(ang - inplane, 360.0);
        CZ_CHECK(fabs(diff) < 1e-9, "%s: reference vector %d projects at %g°, want %g°", what, i,
                 ang, inplane);
        break;
    }
}

static void test_zone_axis(void) {
    cz_prototype_opts o;
    cz_prototype_opts_default(&o);
    o.a = 4.08;
    o.z[0] = 79;
    cz_lattice *fcc = NULL;
    CZ_CHECK(cz_lattice_prototype("fcc", &o, &fcc) == CZ_OK, "fcc Au: %s", cz_last_error());
    if (!fcc) return;
    const int z110[3] = {1, 1, 0}, z111[3] = {1, 1, 1}, z001[3] = {0, 0, 1}, z_12_3[3] = {-1, 2, 3};
    check_zone(fcc, z110, 0.0, "fcc [110]");
    check_zone(fcc, z110, 37.25, "fcc [110] +37.25°");
    check_zone(fcc, z111, -12.5, "fcc [111]");
    check_zone(fcc, z001, 0.0, "fcc [001]");
    check_zone(fcc, z_12_3, 171.0, "fcc [-1 2 3]");
    /* [110] explicitly: a + b → |a + b| ẑ, and a projects onto +x. */
    cz_transform tf;
    cz_transform_zone_axis(fcc, z110, 0.0, NULL, &tf);
    double ab[3] = {4.08, 4.08, 0}, y[3];
    cz_transform_apply(&tf, ab, y);
    CZ_CHECK(fabs(y[0]) < 1e-12 && fabs(y[1]) < 1e-12 && fabs(y[2] - 4.08 * sqrt(2.0)) < 1e-12,
             "fcc [110]: a+b → (%g, %g, %g)", y[0], y[1], y[2]);
    double a[3] = {4.08, 0, 0};
    cz_transform_apply(&tf, a, y);
    CZ_CHECK(fabs(y[1]) < 1e-12 && y[0] > 0, "fcc [110]: a projects onto +x (got %g %g %g)", y[0],
             y[1], y[2]);

    /* hcp Mg-like a = 3.21, c = 5.21: [001] sends c to +z (and is the identity here, since c
     * already lies along z and a along x). */
    cz_lattice *hcp = NULL;
    o.a = 3.21;
    o.c = 5.21;
    o.z[0] = 12;
    CZ_CHECK(cz_lattice_prototype("hcp", &o, &hcp) == CZ_OK, "hcp: %s", cz_last_error());
    if (hcp) {
        check_zone(hcp, z001, 0.0, "hcp [001]");
        cz_transform_zone_axis(hcp, z001, 0.0, NULL, &tf);
        cz_transform_apply(&tf, hcp->cell[2], y);
        CZ_CHECK(fabs(y[0]) < 1e-12 && fabs(y[1]) < 1e-12 && fabs(y[2] - 5.21) < 1e-12,
                 "hcp [001]: c → (%g, %g, %g)", y[0], y[1], y[2]);
        const int z100[3] = {1, 0, 0}, z210[3] = {2, 1, 0}, z113[3] = {1, 1, 3};
        check_zone(hcp, z100, 0.0, "hcp [100]");
        check_zone(hcp, z210, 60.0, "hcp [210]");
        check_zone(hcp, z113, -90.0, "hcp [113]");
    }

    /* A triclinic lattice and random zone axes. */
    double cell[3][3];
    CZ_CHECK(cz_cell_from_parameters(5.43, 6.17, 7.29, 81.3, 97.6, 112.4, cell) == CZ_OK,
             "triclinic cell: %s", cz_last_error());
    const double frac[1][3] = {{0.1, 0.2, 0.3}};
    const int zz[1] = {14};
    cz_lattice *tri = NULL;
    CZ_CHECK(cz_lattice_create(CZ_CROWS(cell), 1, frac, zz, &tri) == CZ_OK, "triclinic: %s",
             cz_last_error());
    if (tri) {
        for (uint64_t i = 0; i < 40; i++) {
            int uvw[3];
            for (int k = 0; k < 3; k++) uvw[k] = (int)(cz_rng_u64(3, 3, 3 * i + k) % 7) - 3;
            if (!uvw[0] && !uvw[1] && !uvw[2]) uvw[2] = 1;
            char what[64];
            snprintf(what, sizeof what, "triclinic [%d %d %d]", uvw[0], uvw[1], uvw[2]);
            check_zone(tri, uvw, 360 * cz_rng_uniform(3, 4, i) - 180, what);
        }
    }

    const int z000[3] = {0, 0, 0};
    const double cbad[3] = {NAN, 0, 0};
    CZ_CHECK_FAILS(cz_transform_zone_axis(fcc, z000, 0.0, NULL, &tf), CZ_EINVAL,
                   "cz_transform_zone_axis: zone axis [0 0 0] has no direction");
    CZ_CHECK_FAILS(cz_transform_zone_axis(NULL, z110, 0.0, NULL, &tf), CZ_EINVAL,
                   "must not be NULL");
    CZ_CHECK_FAILS(cz_transform_zone_axis(fcc, NULL, 0.0, NULL, &tf), CZ_EINVAL,
                   "must not be NULL");
    CZ_CHECK_FAILS(cz_transform_zone_axis(fcc, z110, 0.0, NULL, NULL), CZ_EINVAL,
                   "must not be NULL");
    CZ_CHECK_FAILS(cz_transform_zone_axis(fcc, z110, NAN, NULL, &tf), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_zone_axis(fcc, z110, 0.0, cbad, &tf), CZ_EINVAL, "must be finite");
    cz_lattice_destroy(fcc);
    cz_lattice_destroy(hcp);
    cz_lattice_destroy(tri);
}

static void test_reflection_inversion(void) {
    const double n[3] = {0.37, -1.21, 2.05}, p[3] = {3.615, 1.1, -0.4};
    cz_transform m, mm, id;
    CZ_CHECK(cz_transform_reflection(n, p, &m) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(fabs(det3(CZ_CROWS(m.m)) + 1) < 1e-14, "reflection det %g", det3(CZ_CROWS(m.m)));
    CZ_CHECK(orth_error(CZ_CROWS(m.m)) < 1e-14, "reflection is orthogonal");
    cz_transform_compose(&m, &m, &mm);
    cz_transform_identity(&id);
    CZ_CHECK(max_diff(&mm, &id, 31) < 1e-12, "reflection is an involution");
    double worst_fix = 0, worst_mirror = 0;
    double ln = sqrt(dot3(n, n)), nh[3] = {n[0] / ln, n[1] / ln, n[2] / ln};
    for (uint64_t i = 0; i < 500; i++) {
        double x[3], q[3], y[3];
        rand_point(32, i, 12.0417, x);
        /* Project x onto the plane: fixed. */
        double s = dot3(x, nh) - dot3(p, nh);
        for (int k = 0; k < 3; k++) q[k] = x[k] - s * nh[k];
        cz_transform_apply(&m, q, y);
        worst_fix = fmax(worst_fix, dist3(q, y));
        /* x → x − 2 s n̂. */
        cz_transform_apply(&m, x, y);
        for (int k = 0; k < 3; k++) q[k] = x[k] - 2 * s * nh[k];
        worst_mirror = fmax(worst_mirror, dist3(q, y));
    }
    CZ_CHECK(worst_fix < 1e-12, "points on the mirror plane moved by %g", worst_fix);
    CZ_CHECK(worst_mirror < 1e-12, "mirror image off by %g", worst_mirror);
    /* NULL point: plane through the origin. */
    const double ez[3] = {0, 0, 2.5}, x[3] = {1.5, -2.5, 4.75};
    double y[3];
    CZ_CHECK(cz_transform_reflection(ez, NULL, &m) == CZ_OK, "reflection through origin");
    cz_transform_apply(&m, x, y);
    CZ_CHECK(y[0] == 1.5 && y[1] == -2.5 && y[2] == -4.75, "z mirror (got %g %g %g)", y[0], y[1],
             y[2]);

    const double zero[3] = {0, 0, 0}, bad[3] = {0, INFINITY, 1};
    CZ_CHECK_FAILS(cz_transform_reflection(zero, p, &m), CZ_EINVAL,
                   "cz_transform_reflection: mirror normal must be non-zero");
    CZ_CHECK_FAILS(cz_transform_reflection(bad, p, &m), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_reflection(n, bad, &m), CZ_EINVAL, "must be finite");
    CZ_CHECK_FAILS(cz_transform_reflection(NULL, p, &m), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_transform_reflection(n, p, NULL), CZ_EINVAL, "must not be NULL");

    /* Inversion: x → 2c − x, det −1, involution. */
    const double c[3] = {-1.75, 2.125, 6.04};
    cz_transform inv;
    CZ_CHECK(cz_transform_inversion(c, &inv) == CZ_OK, "%s", cz_last_error());
    double worst = 0;
    for (uint64_t i = 0; i < 500; i++) {
        double q[3], r[3];
        rand_point(33, i, 9.9, q);
        cz_transform_apply(&inv, q, r);
        for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(r[k] - (2 * c[k] - q[k])));
    }
    CZ_CHECK(worst < 1e-13, "inversion off by %g", worst);
    CZ_CHECK(det3(CZ_CROWS(inv.m)) == -1.0, "inversion det %g", det3(CZ_CROWS(inv.m)));
    cz_transform_compose(&inv, &inv, &mm);
    CZ_CHECK(max_diff(&mm, &id, 34) < 1e-12, "inversion is an involution");
    CZ_CHECK(cz_transform_inversion(NULL, &inv) == CZ_OK, "inversion through origin");
    cz_transform_apply(&inv, x, y);
    CZ_CHECK(y[0] == -1.5 && y[1] == 2.5 && y[2] == -4.75, "inversion through origin");
    CZ_CHECK_FAILS(cz_transform_inversion(bad, &inv), CZ_EINVAL,
                   "cz_transform_inversion: center must be finite");
    CZ_CHECK_FAILS(cz_transform_inversion(c, NULL), CZ_EINVAL, "must not be NULL");
}

/* A random general affine map (well conditioned). */
static void rand_affine(uint64_t i, cz_transform *tf) {
    double m[3][3], t[3];
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++)
            m[a][b] = (a == b ? 1.3 : 0.0) + 0.8 * (cz_rng_uniform(77, i, 3 * a + b) - 0.5);
    rand_point(78, i, 6.5, t);
    cz_transform_matrix(CZ_CROWS(m), t, 0, tf);
}

static void test_compose_invert(void) {
    double worst_c = 0, worst_i = 0, worst_alias = 0;
    for (uint64_t i = 0; i < 100; i++) {
        cz_transform f, g, gf, finv, id_l, id_r;
        rand_affine(2 * i, &f);
        rand_affine(2 * i + 1, &g);
        cz_transform_compose(&f, &g, &gf);
        for (uint64_t j = 0; j < 20; j++) {
            double x[3], y1[3], y2[3];
            rand_point(40 + i, j, 14.2, x);
            cz_transform_apply(&f, x, y1);
            cz_transform_apply(&g, y1, y1); /* apply may alias */
            cz_transform_apply(&gf, x, y2);
            worst_c = fmax(worst_c, dist3(y1, y2));
        }
        CZ_CHECK(cz_transform_invert(&f, &finv) == CZ_OK, "%s", cz_last_error());
        cz_transform_compose(&f, &finv, &id_l);
        cz_transform_compose(&finv, &f, &id_r);
        for (uint64_t j = 0; j < 20; j++) {
            double x[3], y[3];
            rand_point(300 + i, j, 14.2, x);
            cz_transform_apply(&id_l, x, y);
            worst_i = fmax(worst_i, dist3(x, y));
            cz_transform_apply(&id_r, x, y);
            worst_i = fmax(worst_i, dist3(x, y));
        }
        /* out may alias either input. */
        cz_transform a1 = f, a2 = g;
        cz_transform_compose(&a1, &g, &a1);
        cz_transform_compose(&f, &a2, &a2);
        worst_alias =
            fmax(worst_alias, fmax(max_diff(&a1, &gf, 500 + i), max_diff(&a2, &gf, 600 + i)));
        /* Inverting in place works too. */
        cz_transform b = f;
        CZ_CHECK(cz_transform_invert(&b, &b) == CZ_OK, "in-place invert");
        worst_alias = fmax(worst_alias, max_diff(&b, &finv, 700 + i));
    }
    CZ_CHECK(worst_c < 1e-11, "compose(f, g) differs from g∘f by %g", worst_c);
    CZ_CHECK(worst_i < 1e-11, "invert∘tf differs from identity by %g", worst_i);
    CZ_CHECK(worst_alias < 1e-11, "aliasing compose/invert off by %g", worst_alias);

    /* Order matters: compose(rotate, translate) ≠ compose(translate, rotate). */
    cz_transform r, t, rt, tr;
    const double ez[3] = {0, 0, 1}, v[3] = {3.615, 0, 0}, x[3] = {1, 0, 0};
    cz_transform_axis_angle(ez, 90, NULL, &r);
    cz_transform_translation(v, &t);
    cz_transform_compose(&r, &t, &rt); /* rotate, then translate */
    cz_transform_compose(&t, &r, &tr); /* translate, then rotate */
    double y[3];
    cz_transform_apply(&rt, x, y);
    CZ_CHECK(fabs(y[0] - 3.615) < 1e-14 && fabs(y[1] - 1) < 1e-14, "rotate then translate");
    cz_transform_apply(&tr, x, y);
    CZ_CHECK(fabs(y[0]) < 1e-14 && fabs(y[1] - 4.615) < 1e-14, "translate then rotate");

    /* apply_n = apply on each point, in place. */
    double pts[5][3], ref[5][3];
    for (int i = 0; i < 5; i++) {
        rand_point(900, (uint64_t)i, 7.7, pts[i]);
        cz_transform_apply(&rt, pts[i], ref[i]);
    }
    cz_transform_apply_n(&rt, 5, pts);
    CZ_CHECK(memcmp(pts, ref, sizeof pts) == 0, "apply_n matches apply");
    cz_transform_apply_n(&rt, 0, pts); /* n = 0 is a no-op */
    CZ_CHECK(memcmp(pts, ref, sizeof pts) == 0, "apply_n with n = 0 is a no-op");

    /* Errors. */
    cz_transform s, out;
    cz_transform_identity(&s);
    s.m[2][0] = 2.0;
    s.m[2][1] = 0.0;
    s.m[2][2] = 0.0; /* third row ∥ first: singular */
    s.m[2][0] = 2.0 * s.m[0][0];
    CZ_CHECK_FAILS(cz_transform_invert(&s, &out), CZ_EINVAL,
                   "cz_transform_invert: transform is singular");
    CZ_CHECK_FAILS(cz_transform_invert(NULL, &out), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_transform_invert(&r, NULL), CZ_EINVAL, "must not be NULL");
}

int main(void) {
    test_identity_translation();
    test_matrix();
    test_axis_angle();
    test_euler();
    test_zone_axis();
    test_reflection_inversion();
    test_compose_invert();
    return cz_test_summary("transform");
}
