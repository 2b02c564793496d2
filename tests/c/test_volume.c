/* test_volume.c — volumes: the inside test of every primitive (boundary rule included),
 * exact bounding boxes and support functions, booleans against the boolean of their
 * operands, the private line query czi_volume_line against brute-force sampling, convex
 * hulls, Miller planes, copy independence and every documented error. */
#include <stdint.h>

#include "cz/cz.h"
#include "cz_test.h"
#include "volume.h"

/* ------------------------------------------------------------------ helpers ---- */

static uint64_t rng_counter = 0;
/* Deterministic uniform in [lo, hi). */
static double ur(double lo, double hi) {
    return lo + (hi - lo) * cz_rng_uniform(20240611, 1, rng_counter++);
}
static double dot3(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
static double norm3(const double a[3]) { return sqrt(dot3(a, a)); }
static void cross3(const double a[3], const double b[3], double c[3]) {
    double x = a[1] * b[2] - a[2] * b[1], y = a[2] * b[0] - a[0] * b[2],
           z = a[0] * b[1] - a[1] * b[0];
    c[0] = x;
    c[1] = y;
    c[2] = z;
}
static void unit3(double a[3]) {
    double l = norm3(a);
    for (int k = 0; k < 3; k++) a[k] /= l;
}
static void rand_unit(double u[3]) {
    double l;
    do {
        for (int k = 0; k < 3; k++) u[k] = ur(-1, 1);
        l = norm3(u);
    } while (l < 0.1 || l > 1.0);
    for (int k = 0; k < 3; k++) u[k] /= l;
}
/* Two unit vectors completing the unit vector a to a right-handed orthonormal frame. */
static void frame(const double a[3], double e1[3], double e2[3]) {
    double t[3] = {1, 0, 0};
    if (fabs(a[0]) > 0.6) t[0] = 0, t[1] = 1;
    cross3(a, t, e1);
    unit3(e1);
    cross3(a, e1, e2);
}

/* Expect `call` to succeed and set the volume v; on failure print the message. */
#define OK_VOL(call, v, what)                                                     \
    do {                                                                          \
        cz_status ok_s_ = (call);                                                 \
        CZ_CHECK(ok_s_ == CZ_OK && (v) != NULL, "%s: %s", what, cz_last_error()); \
    } while (0)

/* ----------------------------------------------------------- primitives: inside ---- */

static void test_sphere_contains(void) {
    const double c[3] = {1.25, -3.5, 2.75}, r = 3.615;
    cz_volume *v = NULL;
    OK_VOL(cz_volume_sphere(c, r, &v), v, "sphere");
    if (!v) return;
    CZ_CHECK(cz_volume_contains(v, c), "centre inside");
    int in_ok = 1, out_ok = 1, bd_ok = 1, eps_in = 1, eps_out = 1;
    for (int i = 0; i < 2000; i++) {
        double u[3], x[3];
        rand_unit(u);
        double s = ur(0, 0.999);
        for (int k = 0; k < 3; k++) x[k] = c[k] + s * r * u[k];
        in_ok &= cz_volume_contains(v, x);
        for (int k = 0; k < 3; k++) x[k] = c[k] + r * ur(1.001, 3) * u[k];
        out_ok &= !cz_volume_contains(v, x);
        for (int k = 0; k < 3; k++) x[k] = c[k] + r * u[k];
        bd_ok &= cz_volume_contains(v, x);
        for (int k = 0; k < 3; k++) x[k] = c[k] + (r + 0.5 * CZ_VOLUME_EPS) * u[k];
        eps_in &= cz_volume_contains(v, x);
        for (int k = 0; k < 3; k++) x[k] = c[k] + (r + 3 * CZ_VOLUME_EPS) * u[k];
        eps_out &= !cz_volume_contains(v, x);
    }
    CZ_CHECK(in_ok, "interior points inside");
    CZ_CHECK(out_ok, "exterior points outside");
    CZ_CHECK(bd_ok, "boundary points inside");
    CZ_CHECK(eps_in, "points within CZ_VOLUME_EPS outside the surface count as inside");
    CZ_CHECK(eps_out, "points 3·CZ_VOLUME_EPS outside are outside");
    cz_volume_destroy(v);
}

static void test_halfspace_contains(void) {
    const double n[3] = {0.3, -1.2, 2.05}, p[3] = {3.615, -1.5, 0.25};
    cz_volume *v = NULL;
    OK_VOL(cz_volume_halfspace(n, p, &v), v, "halfspace");
    if (!v) return;
    double nh[3] = {n[0], n[1], n[2]}, e1[3], e2[3];
    unit3(nh);
    frame(nh, e1, e2);
    int ok[5] = {1, 1, 1, 1, 1};
    for (int i = 0; i < 1000; i++) {
        double a = ur(-50, 50), b = ur(-50, 50), x[3];
        const double s[5] = {-ur(1e-3, 40), 0.0, 0.5 * CZ_VOLUME_EPS, 3 * CZ_VOLUME_EPS,
                             ur(1e-3, 40)};
        for (int j = 0; j < 5; j++) {
            for (int k = 0; k < 3; k++) x[k] = p[k] + a * e1[k] + b * e2[k] + s[j] * nh[k];
            ok[j] &= cz_volume_contains(v, x) == (j < 3);
        }
    }
    CZ_CHECK(ok[0], "half-space interior");
    CZ_CHECK(ok[1], "points on the plane are inside");
    CZ_CHECK(ok[2], "points within CZ_VOLUME_EPS of the plane are inside");
    CZ_CHECK(ok[3], "points 3·CZ_VOLUME_EPS beyond the plane are outside");
    CZ_CHECK(ok[4], "half-space exterior");
    /* Unbounded: ±INFINITY except where the plane faces. An axis-aligned half-space
     * x <= 2.5 is bounded above in x only. */
    double lo[3], hi[3];
    CZ_CHECK(cz_volume_bbox(v, lo, hi) == CZ_OK, "bbox");
    int all_inf = 1;
    for (int k = 0; k < 3; k++) all_inf &= lo[k] == -INFINITY && hi[k] == INFINITY;
    CZ_CHECK(all_inf, "tilted half-space bbox is infinite (%g %g %g)-(%g %g %g)", lo[0], lo[1],
             lo[2], hi[0], hi[1], hi[2]);
    CZ_CHECK(cz_volume_is_bounded(v) == 0, "half-space is unbounded");
    CZ_CHECK(cz_volume_support(v, n) == dot3(n, p) ||
                 fabs(cz_volume_support(v, n) - dot3(n, p)) < 1e-12 * norm3(n) * norm3(p),
             "support along the normal is n·p (got %g, want %g)", cz_volume_support(v, n),
             dot3(n, p));
    const double mn[3] = {-n[0], -n[1], -n[2]};
    CZ_CHECK(cz_volume_support(v, mn) == INFINITY, "support against the normal is +inf");
    cz_volume_destroy(v);

    const double ex[3] = {4.0, 0, 0}, px[3] = {2.5, 17, -3};
    OK_VOL(cz_volume_halfspace(ex, px, &v), v, "x <= 2.5");
    if (!v) return;
    cz_volume_bbox(v, lo, hi);
    CZ_CHECK(hi[0] == 2.5 && lo[0] == -INFINITY && lo[1] == -INFINITY && hi[1] == INFINITY &&
                 lo[2] == -INFINITY && hi[2] == INFINITY,
             "x <= 2.5 bbox (%g %g %g)-(%g %g %g)", lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]);
    CZ_CHECK(!cz_volume_is_bounded(v), "x <= 2.5 is unbounded");
    const double zero[3] = {0, 0, 0};
    CZ_CHECK(cz_volume_support(v, zero) == 0.0 || isfinite(cz_volume_support(v, zero)),
             "support of the zero direction is finite");
    cz_volume_destroy(v);
}

static void test_cylinder_contains(void) {
    const double c[3] = {-2.2, 4.4, 1.1}, axis[3] = {1.0, 2.0, -0.5};
    const double r = 2.75, len = 7.5;
    cz_volume *v = NULL;
    OK_VOL(cz_volume_cylinder(c, axis, r, len, &v), v, "cylinder");
    if (!v) return;
    double a[3] = {axis[0], axis[1], axis[2]}, e1[3], e2[3];
    unit3(a);
    frame(a, e1, e2);
    /* Points by (axial h, radial ρ, azimuth φ). */
    int ok_in = 1, ok_out = 1, ok_bd = 1, ok_eps = 1, ok_eps_out = 1;
    for (int i = 0; i < 2000; i++) {
        double phi = ur(0, 6.283185307179586), cp = cos(phi), sp = sin(phi);
        double dir[3];
        for (int k = 0; k < 3; k++) dir[k] = cp * e1[k] + sp * e2[k];
#define CYL_PT(h, rho, x) \
    for (int k = 0; k < 3; k++) (x)[k] = c[k] + (h)*a[k] + (rho)*dir[k]
        double x[3], h = ur(-0.999, 0.999) * len / 2, rho = ur(0, 0.999) * r;
        CYL_PT(h, rho, x);
        ok_in &= cz_volume_contains(v, x);
        /* Outside radially, axially, or both. */
        CYL_PT(h, r * ur(1.001, 2), x);
        ok_out &= !cz_volume_contains(v, x);
        CYL_PT(len / 2 * ur(1.001, 2) * (i % 2 ? 1 : -1), rho, x);
        ok_out &= !cz_volume_contains(v, x);
        /* Boundary: the mantle, the caps and the rim. */
        CYL_PT(h, r, x);
        ok_bd &= cz_volume_contains(v, x);
        CYL_PT(i % 2 ? len / 2 : -len / 2, rho, x);
        ok_bd &= cz_volume_contains(v, x);
        CYL_PT(i % 2 ? len / 2 : -len / 2, r, x);
        ok_bd &= cz_volume_contains(v, x);
        CYL_PT(h, r + 0.5 * CZ_VOLUME_EPS, x);
        ok_eps &= cz_volume_contains(v, x);
        CYL_PT(len / 2 + 0.5 * CZ_VOLUME_EPS, rho, x);
        ok_eps &= cz_volume_contains(v, x);
        CYL_PT(h, r + 3 * CZ_VOLUME_EPS, x);
        ok_eps_out &= !cz_volume_contains(v, x);
        CYL_PT(-len / 2 - 3 * CZ_VOLUME_EPS, rho, x);
        ok_eps_out &= !cz_volume_contains(v, x);
#undef CYL_PT
    }
    CZ_CHECK(ok_in, "cylinder interior inside");
    CZ_CHECK(ok_out, "cylinder exterior outside");
    CZ_CHECK(ok_bd, "cylinder mantle, caps and rim inside");
    CZ_CHECK(ok_eps, "cylinder boundary within CZ_VOLUME_EPS inside");
    CZ_CHECK(ok_eps_out, "cylinder boundary + 3·CZ_VOLUME_EPS outside");

    /* Exact bbox of a tilted cylinder: along axis k, half·|a_k| + r·sqrt(1 − a_k²). */
    double lo[3], hi[3];
    CZ_CHECK(cz_volume_bbox(v, lo, hi) == CZ_OK, "cylinder bbox");
    for (int k = 0; k < 3; k++) {
        double ext = len / 2 * fabs(a[k]) + r * sqrt(1 - a[k] * a[k]);
        CZ_CHECK_CLOSE(hi[k], c[k] + ext, 1e-13, "cylinder hi[%d]", k);
        CZ_CHECK_CLOSE(lo[k], c[k] - ext, 1e-13, "cylinder lo[%d]", k);
    }
    CZ_CHECK(cz_volume_is_bounded(v), "cylinder is bounded");
    /* Support in random directions: max over the two cap circles. */
    double worst = 0;
    for (int i = 0; i < 200; i++) {
        double u[3];
        rand_unit(u);
        for (int k = 0; k < 3; k++) u[k] *= 2.5;
        double ua = dot3(u, a), perp = sqrt(fmax(0, dot3(u, u) - ua * ua));
        double want = dot3(c, u) + len / 2 * fabs(ua) + r * perp;
        worst = fmax(worst, fabs(cz_volume_support(v, u) - want));
    }
    CZ_CHECK(worst < 1e-12, "cylinder support off by %g", worst);
    cz_volume_destroy(v);
}

/* The parallelepiped origin + f·edges: corners, faces and fractional interior. */
static const double BOX_O[3] = {-1.75, 2.5, 0.625};
static const double BOX_E[3][3] = {{6.2, 0.8, -0.3}, {-1.1, 5.4, 0.9}, {0.7, 1.3, 4.08}};

static void box_point(const double f[3], double x[3]) {
    for (int k = 0; k < 3; k++)
        x[k] = BOX_O[k] + f[0] * BOX_E[0][k] + f[1] * BOX_E[1][k] + f[2] * BOX_E[2][k];
}

static void test_box_contains(void) {
    cz_volume *v = NULL;
    OK_VOL(cz_volume_box(BOX_O, BOX_E, &v), v, "box");
    if (!v) return;
    int ok_in = 1, ok_out = 1, ok_face = 1, ok_eps = 1, ok_eps_out = 1;
    for (int i = 0; i < 2000; i++) {
        double f[3], x[3];
        for (int k = 0; k < 3; k++) f[k] = ur(0.001, 0.999);
        box_point(f, x);
        ok_in &= cz_volume_contains(v, x);
        /* Push one coordinate out of [0, 1]. */
        int ax = i % 3;
        double keep = f[ax];
        f[ax] = (i / 3) % 2 ? ur(1.002, 2) : ur(-1, -0.002);
        box_point(f, x);
        ok_out &= !cz_volume_contains(v, x);
        /* On a face: f[ax] = 0 or 1, and then nudged along the outward face normal. */
        int far = (i / 3) % 2;
        f[ax] = far ? 1.0 : 0.0;
        box_point(f, x);
        ok_face &= cz_volume_contains(v, x);
        double nrm[3];
        cross3(BOX_E[(ax + 1) % 3], BOX_E[(ax + 2) % 3], nrm);
        unit3(nrm);
        if (dot3(nrm, BOX_E[ax]) < 0)
            for (int k = 0; k < 3; k++) nrm[k] = -nrm[k];
        double sgn = far ? 1.0 : -1.0, y[3];
        for (int k = 0; k < 3; k++) y[k] = x[k] + sgn * 0.5 * CZ_VOLUME_EPS * nrm[k];
        ok_eps &= cz_volume_contains(v, y);
        for (int k = 0; k < 3; k++) y[k] = x[k] + sgn * 3 * CZ_VOLUME_EPS * nrm[k];
        ok_eps_out &= !cz_volume_contains(v, y);
        f[ax] = keep;
    }
    CZ_CHECK(ok_in, "box interior inside");
    CZ_CHECK(ok_out, "box exterior outside");
    CZ_CHECK(ok_face, "box faces inside");
    CZ_CHECK(ok_eps, "box faces + CZ_VOLUME_EPS/2 inside");
    CZ_CHECK(ok_eps_out, "box faces + 3·CZ_VOLUME_EPS outside");
    /* Corners inside; bbox = the corners' bbox; support = max over corners. */
    double clo[3] = {INFINITY, INFINITY, INFINITY}, chi[3] = {-INFINITY, -INFINITY, -INFINITY};
    double corners[8][3];
    int ok_corner = 1;
    for (int m = 0; m < 8; m++) {
        double f[3] = {m & 1, (m >> 1) & 1, (m >> 2) & 1};
        box_point(f, corners[m]);
        ok_corner &= cz_volume_contains(v, corners[m]);
        for (int k = 0; k < 3; k++) {
            clo[k] = fmin(clo[k], corners[m][k]);
            chi[k] = fmax(chi[k], corners[m][k]);
        }
    }
    CZ_CHECK(ok_corner, "box corners inside");
    double lo[3], hi[3];
    CZ_CHECK(cz_volume_bbox(v, lo, hi) == CZ_OK, "box bbox");
    for (int k = 0; k < 3; k++) {
        CZ_CHECK(fabs(lo[k] - clo[k]) < 1e-12 && fabs(hi[k] - chi[k]) < 1e-12,
                 "box bbox axis %d: (%.15g, %.15g) want (%.15g, %.15g)", k, lo[k], hi[k], clo[k],
                 chi[k]);
    }
    double worst = 0;
    for (int i = 0; i < 200; i++) {
        double u[3], want = -INFINITY;
        rand_unit(u);
        for (int m = 0; m < 8; m++) want = fmax(want, dot3(corners[m], u));
        worst = fmax(worst, fabs(cz_volume_support(v, u) - want));
    }
    CZ_CHECK(worst < 1e-12, "box support off by %g", worst);
    CZ_CHECK(cz_volume_is_bounded(v), "box is bounded");
    cz_volume_destroy(v);

    /* Axis-aligned box from lo to hi; edges given in left-handed order work too. */
    const double o2[3] = {1.0, 2.0, 3.0};
    const double e2[3][3] = {{0, 4.5, 0}, {3.615, 0, 0}, {0, 0, 12.0417}};
    OK_VOL(cz_volume_box(o2, e2, &v), v, "left-handed edges");
    if (!v) return;
    cz_volume_bbox(v, lo, hi);
    CZ_CHECK(lo[0] == 1.0 && lo[1] == 2.0 && lo[2] == 3.0 && fabs(hi[0] - 4.615) < 1e-14 &&
                 fabs(hi[1] - 6.5) < 1e-14 && fabs(hi[2] - 15.0417) < 1e-13,
             "axis-aligned box bbox (%g %g %g)-(%g %g %g)", lo[0], lo[1], lo[2], hi[0], hi[1],
             hi[2]);
    const double mid[3] = {2.8, 4.25, 9.0}, out[3] = {2.8, 4.25, 15.05};
    CZ_CHECK(cz_volume_contains(v, mid) && !cz_volume_contains(v, out), "axis-aligned box");
    cz_volume_destroy(v);
}

/* Regular octahedron |x| + |y| + |z| <= s around c from 8 unnormalised planes. */
static cz_volume *octahedron(const double c[3], double s) {
    double n[8][3], d[8];
    for (int m = 0; m < 8; m++) {
        n[m][0] = (m & 1) ? -2.0 : 2.0;
        n[m][1] = (m & 2) ? -2.0 : 2.0;
        n[m][2] = (m & 4) ? -2.0 : 2.0;
        d[m] = 2.0 * s + dot3(n[m], c);
    }
    cz_volume *v = NULL;
    OK_VOL(cz_volume_polyhedron(8, CZ_CROWS(n), d, &v), v, "octahedron");
    return v;
}

static void test_polyhedron_contains(void) {
    const double c[3] = {0.5, -0.25, 1.75}, s = 3.615;
    cz_volume *v = octahedron(c, s);
    if (!v) return;
    int ok = 1, ok_bd = 1, ok_eps = 1;
    for (int i = 0; i < 3000; i++) {
        double x[3], l1 = 0;
        for (int k = 0; k < 3; k++) {
            x[k] = c[k] + ur(-5, 5);
            l1 += fabs(x[k] - c[k]);
        }
        if (fabs(l1 - s) > 1e-6) ok &= cz_volume_contains(v, x) == (l1 < s);
        /* Scale onto the surface and slightly beyond. */
        double y[3];
        for (int k = 0; k < 3; k++) y[k] = c[k] + (x[k] - c[k]) * s / l1;
        ok_bd &= cz_volume_contains(v, y);
        /* A face's normal distance grows by δ/√3 per δ of L1 norm. */
        for (int k = 0; k < 3; k++) y[k] = c[k] + (x[k] - c[k]) * (s + 6 * CZ_VOLUME_EPS) / l1;
        ok_eps &= !cz_volume_contains(v, y);
    }
    CZ_CHECK(ok, "octahedron inside test matches |x|+|y|+|z| <= s");
    CZ_CHECK(ok_bd, "octahedron surface inside");
    CZ_CHECK(ok_eps, "octahedron surface + 6·eps (3.5·eps normal distance) outside");
    double lo[3], hi[3];
    cz_volume_bbox(v, lo, hi);
    for (int k = 0; k < 3; k++)
        CZ_CHECK(fabs(lo[k] - (c[k] - s)) < 1e-12 && fabs(hi[k] - (c[k] + s)) < 1e-12,
                 "octahedron bbox axis %d: (%g, %g)", k, lo[k], hi[k]);
    cz_volume_destroy(v);

    /* A single plane with n = 1 is a half-space. */
    const double n1[1][3] = {{0, 0, -3.0}}, d1[1] = {-6.0}; /* z >= 2 */
    OK_VOL(cz_volume_polyhedron(1, n1, d1, &v), v, "one plane");
    if (v) {
        const double a[3] = {100, -100, 2.0}, b[3] = {0, 0, 1.9};
        CZ_CHECK(cz_volume_contains(v, a) && !cz_volume_contains(v, b), "z >= 2");
        cz_volume_bbox(v, lo, hi);
        CZ_CHECK(lo[2] == 2.0 && hi[2] == INFINITY && lo[0] == -INFINITY, "z >= 2 bbox lo %g",
                 lo[2]);
        cz_volume_destroy(v);
    }
    /* A slab (two opposite planes): bounded along its normal only. */
    const double ns[2][3] = {{0, 2, 0}, {0, -1, 0}}, ds[2] = {7.0, 1.25}; /* -1.25 <= y <= 3.5 */
    OK_VOL(cz_volume_polyhedron(2, ns, ds, &v), v, "slab");
    if (v) {
        cz_volume_bbox(v, lo, hi);
        CZ_CHECK(lo[1] == -1.25 && hi[1] == 3.5 && lo[0] == -INFINITY && hi[2] == INFINITY,
                 "slab bbox y (%g, %g)", lo[1], hi[1]);
        CZ_CHECK(!cz_volume_is_bounded(v), "slab is unbounded");
        cz_volume_destroy(v);
    }
}

/* Unbounded polyhedra whose support is finite in some directions: an infinite square
 * prism along z (rank 2) and an octant (rank 3, pointed). The header promises an exact
 * support function for primitives and +INFINITY only where the volume is unbounded. */
static void test_unbounded_polyhedron_support(void) {
    const double np[4][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}};
    const double dp[4] = {1.7, 2.3, 0.9, 4.1}; /* -2.3 <= x <= 1.7, -4.1 <= y <= 0.9 */
    cz_volume *prism = NULL, *slab = NULL, *rod = NULL;
    OK_VOL(cz_volume_polyhedron(4, np, dp, &prism), prism, "prism");
    if (!prism) return;
    const double ex[3] = {1, 0, 0}, ey[3] = {0, 1, 0}, ez[3] = {0, 0, 1};
    CZ_CHECK(cz_volume_support(prism, ez) == INFINITY, "prism is unbounded along z");
    CZ_CHECK(cz_volume_support(prism, ex) == 1.7, "infinite prism: support along +x is 1.7, got %g",
             cz_volume_support(prism, ex));
    CZ_CHECK(cz_volume_support(prism, ey) == 0.9, "infinite prism: support along +y is 0.9, got %g",
             cz_volume_support(prism, ey));
    double lo[3], hi[3];
    cz_volume_bbox(prism, lo, hi);
    CZ_CHECK(lo[0] == -2.3 && hi[0] == 1.7 && lo[1] == -4.1 && hi[1] == 0.9 && lo[2] == -INFINITY &&
                 hi[2] == INFINITY,
             "infinite prism bbox (%g %g %g)-(%g %g %g), want (-2.3 -4.1 -inf)-(1.7 0.9 inf)",
             lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]);
    /* Capped by a slab 0 <= z <= 12.0417 the rod is bounded. */
    const double ns[2][3] = {{0, 0, 1}, {0, 0, -1}}, ds[2] = {12.0417, 0};
    OK_VOL(cz_volume_polyhedron(2, ns, ds, &slab), slab, "slab");
    OK_VOL(cz_volume_intersection(prism, slab, &rod), rod, "rod");
    if (rod) {
        CZ_CHECK(cz_volume_is_bounded(rod), "prism ∩ slab is bounded");
        cz_volume_bbox(rod, lo, hi);
        CZ_CHECK(hi[0] == 1.7 && lo[1] == -4.1 && hi[2] == 12.0417 && lo[2] == 0,
                 "prism ∩ slab bbox (%g %g %g)-(%g %g %g)", lo[0], lo[1], lo[2], hi[0], hi[1],
                 hi[2]);
    }
    /* Octant x <= 1, y <= 2, z <= 3: support along +x is 1. */
    const double no[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, dd[3] = {1, 2, 3};
    cz_volume *oct = NULL;
    OK_VOL(cz_volume_polyhedron(3, no, dd, &oct), oct, "octant");
    if (oct) {
        CZ_CHECK(cz_volume_support(oct, ex) == 1.0, "octant: support along +x is 1, got %g",
                 cz_volume_support(oct, ex));
        const double mx[3] = {-1, 0, 0}, d111[3] = {1, 1, 1};
        CZ_CHECK(cz_volume_support(oct, mx) == INFINITY, "octant unbounded along -x");
        CZ_CHECK(fabs(cz_volume_support(oct, d111) - 6.0) < 1e-12,
                 "octant: support along (1,1,1) is 6, got %g", cz_volume_support(oct, d111));
        CZ_CHECK(!cz_volume_is_bounded(oct), "octant is unbounded");
    }
    cz_volume_destroy(prism);
    cz_volume_destroy(slab);
    cz_volume_destroy(rod);
    cz_volume_destroy(oct);
}

/* ------------------------------------------------------------------- hulls ---- */

static void test_hull(void) {
    /* A cube's 8 corners plus interior points: the hull is the cube. */
    const double lo0[3] = {-1.5, 0.25, 2.0}, side[3] = {3.615, 4.08, 2.87};
    double pts[40][3];
    size_t n = 0;
    for (int m = 0; m < 8; m++)
        for (int k = 0; k < 3; k++) pts[n + (size_t)m][k] = lo0[k] + ((m >> k) & 1) * side[k];
    n = 8;
    for (; n < 40; n++)
        for (int k = 0; k < 3; k++) pts[n][k] = lo0[k] + ur(0.05, 0.95) * side[k];
    /* Shuffle the corners among the interior points. */
    for (size_t i = 0; i < 8; i++) {
        size_t j = 8 + 4 * i;
        double t[3];
        memcpy(t, pts[i], sizeof t);
        memcpy(pts[i], pts[j], sizeof t);
        memcpy(pts[j], t, sizeof t);
    }
    cz_volume *h = NULL, *box = NULL;
    const double edges[3][3] = {{side[0], 0, 0}, {0, side[1], 0}, {0, 0, side[2]}};
    OK_VOL(cz_volume_hull(n, CZ_CROWS(pts), &h), h, "cube hull");
    OK_VOL(cz_volume_box(lo0, edges, &box), box, "cube box");
    if (!h || !box) return;
    double lo[3], hi[3];
    cz_volume_bbox(h, lo, hi);
    for (int k = 0; k < 3; k++)
        CZ_CHECK(fabs(lo[k] - lo0[k]) < 1e-12 && fabs(hi[k] - (lo0[k] + side[k])) < 1e-12,
                 "cube hull bbox axis %d: (%g, %g)", k, lo[k], hi[k]);
    int agree = 1, all_in = 1;
    double worst = 0;
    for (int i = 0; i < 5000; i++) {
        double x[3], near = INFINITY;
        for (int k = 0; k < 3; k++) {
            x[k] = lo0[k] + ur(-0.3, 1.3) * side[k];
            near = fmin(near, fmin(fabs(x[k] - lo0[k]), fabs(x[k] - lo0[k] - side[k])));
        }
        if (near > 1e-6) agree &= cz_volume_contains(h, x) == cz_volume_contains(box, x);
        double u[3];
        rand_unit(u);
        worst = fmax(worst, fabs(cz_volume_support(h, u) - cz_volume_support(box, u)));
    }
    for (size_t i = 0; i < n; i++) all_in &= cz_volume_contains(h, pts[i]);
    CZ_CHECK(agree, "hull of the cube's corners and interior points is the cube");
    CZ_CHECK(worst < 1e-12, "hull and cube supports differ by %g", worst);
    CZ_CHECK(all_in, "every input point is inside its hull");
    cz_volume_destroy(h);
    cz_volume_destroy(box);

    /* Random points: the hull's support is max_i u·p_i, so its bbox is the points' bbox. */
    for (int trial = 0; trial < 4; trial++) {
        double p[60][3], plo[3] = {INFINITY, INFINITY, INFINITY};
        double phi[3] = {-INFINITY, -INFINITY, -INFINITY};
        size_t m = 12 + 16 * (size_t)trial;
        for (size_t i = 0; i < m; i++)
            for (int k = 0; k < 3; k++) {
                p[i][k] = (trial % 2 ? 12.0417 : 3.615) * ur(-1, 1) + k;
                plo[k] = fmin(plo[k], p[i][k]);
                phi[k] = fmax(phi[k], p[i][k]);
            }
        OK_VOL(cz_volume_hull(m, CZ_CROWS(p), &h), h, "random hull");
        if (!h) continue;
        cz_volume_bbox(h, lo, hi);
        double e = 0;
        for (int k = 0; k < 3; k++) e = fmax(e, fmax(fabs(lo[k] - plo[k]), fabs(hi[k] - phi[k])));
        CZ_CHECK(e < 1e-9, "hull of %zu points: bbox differs from the points' bbox by %g", m, e);
        double ws = 0;
        int in = 1;
        for (int i = 0; i < 300; i++) {
            double u[3], want = -INFINITY;
            rand_unit(u);
            for (size_t j = 0; j < m; j++) want = fmax(want, dot3(p[j], u));
            ws = fmax(ws, fabs(cz_volume_support(h, u) - want));
        }
        for (size_t j = 0; j < m; j++) in &= cz_volume_contains(h, p[j]);
        CZ_CHECK(ws < 1e-9, "hull of %zu points: support off by %g", m, ws);
        CZ_CHECK(in, "hull of %zu points contains them", m);
        /* Convex combinations are inside; points beyond the support are outside. */
        int comb = 1, beyond = 1;
        for (int i = 0; i < 500; i++) {
            double w[60], sw = 0, x[3] = {0, 0, 0};
            for (size_t j = 0; j < m; j++) sw += (w[j] = ur(0, 1) * ur(0, 1) * ur(0, 1));
            for (size_t j = 0; j < m; j++)
                for (int k = 0; k < 3; k++) x[k] += w[j] / sw * p[j][k];
            comb &= cz_volume_contains(h, x);
            double u[3];
            rand_unit(u);
            double hs = cz_volume_support(h, u);
            for (int k = 0; k < 3; k++) x[k] = u[k] * (hs + 1e-6);
            beyond &= !cz_volume_contains(h, x);
        }
        CZ_CHECK(comb, "convex combinations inside the hull");
        CZ_CHECK(beyond, "points past the support plane outside the hull");
        cz_volume_destroy(h);
    }
}

/* ------------------------------------------------------------------- Miller ---- */

/* Unit normal of (hkl): h a* + k b* + l c*, a* etc. the columns of cell⁻¹ (no 2π). */
static void miller_normal(const double cell[3][3], const int hkl[3], double n[3]) {
    double bc[3], ca[3], ab[3];
    cross3(cell[1], cell[2], bc);
    cross3(cell[2], cell[0], ca);
    cross3(cell[0], cell[1], ab);
    double vol = dot3(cell[0], bc);
    for (int k = 0; k < 3; k++) n[k] = (hkl[0] * bc[k] + hkl[1] * ca[k] + hkl[2] * ab[k]) / vol;
    unit3(n);
}

/* The height n̂·x of the lattice site nearest in height to `dist` (all sites of ±10 cells). */
static double nearest_site_plane(const cz_lattice *lat, const double n[3], double dist) {
    double best = INFINITY;
    for (int i = -10; i <= 10; i++)
        for (int j = -10; j <= 10; j++)
            for (int k = -10; k <= 10; k++)
                for (size_t b = 0; b < lat->nbasis; b++) {
                    double f[3] = {i + lat->frac[b][0], j + lat->frac[b][1], k + lat->frac[b][2]};
                    double x[3];
                    for (int c = 0; c < 3; c++)
                        x[c] = f[0] * lat->cell[0][c] + f[1] * lat->cell[1][c] +
                               f[2] * lat->cell[2][c];
                    double h = dot3(n, x);
                    if (fabs(h - dist) < fabs(best - dist)) best = h;
                }
    return best;
}

/* Snapped facets lie on the atomic plane nearest to the requested distance (header:
 * (integer + f_b·hkl)·d_hkl); unsnapped ones at the distance itself. */
static void check_miller(const cz_lattice *lat, const int hkl[3], double dist, const char *what) {
    double n[3];
    miller_normal(lat->cell, hkl, n);
    cz_volume *v = NULL;
    OK_VOL(cz_volume_miller(lat, hkl, dist, 1, &v), v, what);
    if (!v) return;
    double want = nearest_site_plane(lat, n, dist), got = cz_volume_support(v, n);
    CZ_CHECK(fabs(got - want) < 1e-11,
             "%s (%d %d %d) at %g: snapped plane at %.15g, nearest "
             "atomic plane at %.15g",
             what, hkl[0], hkl[1], hkl[2], dist, got, want);
    /* The plane is perpendicular to n̂: a point just inside stays inside when moved along
     * the plane by lattice vectors orthogonal to n̂ (in general: any direction ⊥ n̂). */
    double e1[3], e2[3], x[3];
    frame(n, e1, e2);
    int ok = 1;
    for (int i = 0; i < 50; i++) {
        double a = ur(-30, 30), b = ur(-30, 30);
        for (int k = 0; k < 3; k++) x[k] = (want - 1e-7) * n[k] + a * e1[k] + b * e2[k];
        ok &= cz_volume_contains(v, x);
        for (int k = 0; k < 3; k++) x[k] += 2e-7 * n[k];
        ok &= !cz_volume_contains(v, x);
    }
    CZ_CHECK(ok, "%s (%d %d %d): facet plane is perpendicular to the reciprocal vector", what,
             hkl[0], hkl[1], hkl[2]);
    cz_volume_destroy(v);
    OK_VOL(cz_volume_miller(lat, hkl, dist, 0, &v), v, what);
    if (!v) return;
    got = cz_volume_support(v, n);
    CZ_CHECK(fabs(got - dist) < 1e-12, "%s (%d %d %d): unsnapped plane at %.15g, want %g", what,
             hkl[0], hkl[1], hkl[2], got, dist);
    cz_volume_destroy(v);
}

static void test_miller(void) {
    cz_prototype_opts o;
    cz_prototype_opts_default(&o);
    o.a = 4.08;
    o.z[0] = 79;
    cz_lattice *fcc = NULL;
    CZ_CHECK(cz_lattice_prototype("fcc", &o, &fcc) == CZ_OK, "fcc: %s", cz_last_error());
    if (!fcc) return;
    const int h111[3] = {1, 1, 1};
    const double d111 = 4.08 / sqrt(3.0);
    double n111[3] = {1, 1, 1};
    unit3(n111);
    cz_volume *v = NULL;
    /* fcc (111): every atomic plane is a multiple of d111; 10 / 2.3556 = 4.245 → 4·d111. */
    OK_VOL(cz_volume_miller(fcc, h111, 10.0, 1, &v), v, "miller 111 snapped");
    if (v) {
        double hs = cz_volume_support(v, n111);
        CZ_CHECK_CLOSE(hs, 4 * d111, 1e-13, "(111) plane snapped to 4·d111 = 4·4.08/√3");
        CZ_CHECK(fabs(hs / d111 - nearbyint(hs / d111)) < 1e-12, "plane at a multiple of d111");
        /* fcc sites: (2, 2, 0)·a lies on that plane (4·d111), (2, 2, 1)·a one layer
         * further out (5·d111), (2, 1, 0)·a one layer inside (3·d111). */
        const double on[3] = {8.16, 8.16, 0.0}, above[3] = {8.16, 8.16, 4.08},
                     below[3] = {8.16, 4.08, 0.0};
        CZ_CHECK(cz_volume_contains(v, on), "site on the facet plane is inside");
        CZ_CHECK(!cz_volume_contains(v, above), "site beyond the facet is outside");
        CZ_CHECK(cz_volume_contains(v, below), "site below the facet is inside");
        cz_volume_destroy(v);
    }
    /* Centred cell: (100) atomic planes come every d200 = a/2 (header example), (1-10)
     * every a/(2√2); 7.77 Å → 7.2125 = 5·a/(2√2). */
    const int h100[3] = {1, 0, 0}, h1m10[3] = {1, -1, 0};
    OK_VOL(cz_volume_miller(fcc, h100, 5.3, 1, &v), v, "miller 100");
    if (v) {
        const double ex[3] = {1, 0, 0};
        CZ_CHECK_CLOSE(cz_volume_support(v, ex), 3 * 2.04, 1e-13, "fcc (100) snaps to 3·d200");
        cz_volume_destroy(v);
    }
    OK_VOL(cz_volume_miller(fcc, h1m10, 7.77, 1, &v), v, "miller 1-10");
    if (v) {
        double n[3] = {1 / sqrt(2.0), -1 / sqrt(2.0), 0};
        CZ_CHECK_CLOSE(cz_volume_support(v, n), 5 * 4.08 / sqrt(8.0), 1e-13,
                       "fcc (1-10) snaps to 5·a/(2√2)");
        cz_volume_destroy(v);
    }
    const int h200[3] = {2, 0, 0}, h_13_2[3] = {-1, 3, 2}, h311[3] = {3, 1, 1};
    check_miller(fcc, h111, 10.0, "fcc");
    check_miller(fcc, h111, -0.9, "fcc");
    check_miller(fcc, h200, -3.3, "fcc");
    check_miller(fcc, h1m10, 7.77, "fcc");
    check_miller(fcc, h_13_2, 5.5, "fcc");
    check_miller(fcc, h311, 12.0417, "fcc");

    /* Hexagonal lattice (hcp a = 3.21, c = 5.21; atoms at z = c/4, 3c/4): (001) facets at
     * (n ± 1/4)·c, (100) facets at (n + 1/3)·a√3/2 or (n + 2/3)·a√3/2, normal a*. */
    cz_lattice *hcp = NULL;
    o.a = 3.21;
    o.c = 5.21;
    o.z[0] = 12;
    CZ_CHECK(cz_lattice_prototype("hcp", &o, &hcp) == CZ_OK, "hcp: %s", cz_last_error());
    if (hcp) {
        const int h001[3] = {0, 0, 1}, h101[3] = {1, 0, 1}, h1m12[3] = {1, -1, 2};
        const double ez[3] = {0, 0, 1};
        OK_VOL(cz_volume_miller(hcp, h001, 12.0, 1, &v), v, "hcp 001");
        if (v) {
            CZ_CHECK_CLOSE(cz_volume_support(v, ez), 2.25 * 5.21, 1e-13, "hcp (001) at 2.25·c");
            cz_volume_destroy(v);
        }
        double astar[3];
        cross3(hcp->cell[1], hcp->cell[2], astar);
        unit3(astar);
        OK_VOL(cz_volume_miller(hcp, h100, 9.0, 1, &v), v, "hcp 100");
        if (v) {
            double dh = 3.21 * sqrt(3.0) / 2;
            CZ_CHECK_CLOSE(cz_volume_support(v, astar), (3 + 1.0 / 3) * dh, 1e-13,
                           "hcp (100) at (3 + 1/3)·a√3/2");
            cz_volume_destroy(v);
        }
        check_miller(hcp, h001, 12.0, "hcp");
        check_miller(hcp, h100, 9.0, "hcp");
        check_miller(hcp, h101, -6.6, "hcp");
        check_miller(hcp, h1m12, 3.615, "hcp");
    }

    const int h000[3] = {0, 0, 0};
    v = (cz_volume *)fcc;
    CZ_CHECK_FAILS(cz_volume_miller(fcc, h000, 5.0, 1, &v), CZ_EINVAL,
                   "cz_volume_miller: Miller indices (0 0 0) define no plane");
    CZ_CHECK(v == NULL, "out NULL on failure");
    CZ_CHECK_FAILS(cz_volume_miller(NULL, h111, 5.0, 1, &v), CZ_EINVAL,
                   "lattice and hkl must not be NULL");
    CZ_CHECK_FAILS(cz_volume_miller(fcc, NULL, 5.0, 1, &v), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_volume_miller(fcc, h111, NAN, 1, &v), CZ_EINVAL,
                   "distance must be finite (got nan)");
    CZ_CHECK_FAILS(cz_volume_miller(fcc, h111, -INFINITY, 0, &v), CZ_EINVAL,
                   "distance must be finite");
    CZ_CHECK_FAILS(cz_volume_miller(fcc, h111, 5.0, 1, NULL), CZ_EINVAL, "out must not be NULL");
    cz_lattice_destroy(fcc);
    cz_lattice_destroy(hcp);
}

/* ------------------------------------------------------- bboxes of transforms ---- */

static void test_transformed_bbox(void) {
    const double c[3] = {1.1, -2.2, 3.3}, r = 2.87;
    cz_volume *s = NULL, *ts = NULL, *b = NULL, *tb = NULL;
    OK_VOL(cz_volume_sphere(c, r, &s), s, "sphere");
    OK_VOL(cz_volume_box(BOX_O, BOX_E, &b), b, "box");
    if (!s || !b) return;
    cz_transform rot, tr, tf;
    const double ax[3] = {0.4, -1.3, 0.7}, ctr[3] = {2, 0, -1}, t[3] = {10.5, -3.25, 0.125};
    cz_transform_axis_angle(ax, 67.5, ctr, &rot);
    cz_transform_translation(t, &tr);
    cz_transform_compose(&rot, &tr, &tf);
    OK_VOL(cz_volume_transform(s, &tf, &ts), ts, "transformed sphere");
    OK_VOL(cz_volume_transform(b, &tf, &tb), tb, "transformed box");
    if (!ts || !tb) return;
    double tc[3], lo[3], hi[3];
    cz_transform_apply(&tf, c, tc);
    cz_volume_bbox(ts, lo, hi);
    for (int k = 0; k < 3; k++)
        CZ_CHECK(fabs(lo[k] - (tc[k] - r)) < 1e-12 && fabs(hi[k] - (tc[k] + r)) < 1e-12,
                 "rotated sphere bbox axis %d", k);
    /* The box's bbox: transformed corners. */
    double clo[3] = {INFINITY, INFINITY, INFINITY}, chi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int m = 0; m < 8; m++) {
        double f[3] = {m & 1, (m >> 1) & 1, (m >> 2) & 1}, x[3], y[3];
        box_point(f, x);
        cz_transform_apply(&tf, x, y);
        for (int k = 0; k < 3; k++) {
            clo[k] = fmin(clo[k], y[k]);
            chi[k] = fmax(chi[k], y[k]);
        }
    }
    cz_volume_bbox(tb, lo, hi);
    for (int k = 0; k < 3; k++)
        CZ_CHECK(fabs(lo[k] - clo[k]) < 1e-12 && fabs(hi[k] - chi[k]) < 1e-12,
                 "rotated box bbox axis %d: (%.15g %.15g) want (%.15g %.15g)", k, lo[k], hi[k],
                 clo[k], chi[k]);
    /* A shear: sphere becomes an ellipsoid with h(u) = t·u + c'·u + r|mᵀu|. */
    const double m[3][3] = {{1.3, 0.4, 0}, {0, 0.8, -0.2}, {0.1, 0, 1.7}};
    cz_transform sh;
    cz_transform_matrix(m, t, 0, &sh);
    cz_volume *es = NULL;
    OK_VOL(cz_volume_transform(s, &sh, &es), es, "sheared sphere");
    if (es) {
        double worst = 0, sc[3];
        cz_transform_apply(&sh, c, sc);
        for (int i = 0; i < 200; i++) {
            double u[3], mtu[3];
            rand_unit(u);
            for (int k = 0; k < 3; k++) mtu[k] = m[0][k] * u[0] + m[1][k] * u[1] + m[2][k] * u[2];
            worst = fmax(worst, fabs(cz_volume_support(es, u) - (dot3(sc, u) + r * norm3(mtu))));
        }
        CZ_CHECK(worst < 1e-12, "ellipsoid support off by %g", worst);
        /* Its inside test is the preimage's. */
        int agree = 1;
        for (int i = 0; i < 2000; i++) {
            double x[3], y[3];
            for (int k = 0; k < 3; k++) x[k] = c[k] + ur(-1.2, 1.2) * r;
            double d[3] = {x[0] - c[0], x[1] - c[1], x[2] - c[2]};
            if (fabs(norm3(d) - r) < 1e-6) continue;
            cz_transform_apply(&sh, x, y);
            agree &= cz_volume_contains(es, y) == cz_volume_contains(s, x);
        }
        CZ_CHECK(agree, "contains(T(v), T(x)) == contains(v, x)");
    }
    /* Union: exact (max of supports); intersection: a containing box. */
    cz_volume *u = NULL, *in = NULL;
    OK_VOL(cz_volume_union(ts, tb, &u), u, "union");
    OK_VOL(cz_volume_intersection(s, b, &in), in, "intersection");
    if (u && in) {
        double l1[3], h1[3], l2[3], h2[3];
        cz_volume_bbox(ts, l1, h1);
        cz_volume_bbox(tb, l2, h2);
        cz_volume_bbox(u, lo, hi);
        int ok = 1;
        for (int k = 0; k < 3; k++)
            ok &= lo[k] == fmin(l1[k], l2[k]) && hi[k] == fmax(h1[k], h2[k]);
        CZ_CHECK(ok, "union bbox is the union of the bboxes");
        cz_volume_bbox(in, lo, hi);
        int contains_all = 1;
        for (int i = 0; i < 4000; i++) {
            double x[3];
            for (int k = 0; k < 3; k++) x[k] = c[k] + ur(-1, 1) * r;
            if (cz_volume_contains(in, x))
                for (int k = 0; k < 3; k++)
                    contains_all &= x[k] >= lo[k] - 1e-12 && x[k] <= hi[k] + 1e-12;
        }
        CZ_CHECK(contains_all, "intersection bbox contains the intersection");
        CZ_CHECK(cz_volume_is_bounded(u) && cz_volume_is_bounded(in), "bounded");
    }
    cz_volume_destroy(s);
    cz_volume_destroy(ts);
    cz_volume_destroy(b);
    cz_volume_destroy(tb);
    cz_volume_destroy(es);
    cz_volume_destroy(u);
    cz_volume_destroy(in);
}

/* --------------------------------------------------------------- booleans ---- */

static void test_booleans(void) {
    const double c1[3] = {0.2, 3.6, 0.9}, c2[3] = {2.2, 3.1, 0.3};
    const double ax[3] = {0.3, 0.9, -0.2};
    cz_volume *a = NULL, *b = NULL, *cy = NULL;
    OK_VOL(cz_volume_sphere(c1, 3.615, &a), a, "a");
    OK_VOL(cz_volume_box(BOX_O, BOX_E, &b), b, "b");
    OK_VOL(cz_volume_cylinder(c2, ax, 1.4, 9.0, &cy), cy, "cyl");
    if (!a || !b || !cy) return;
    cz_volume *i_ab = NULL, *u_ab = NULL, *d_ab = NULL, *d_ba = NULL, *nest = NULL, *tmp = NULL;
    OK_VOL(cz_volume_intersection(a, b, &i_ab), i_ab, "a∩b");
    OK_VOL(cz_volume_union(a, b, &u_ab), u_ab, "a∪b");
    OK_VOL(cz_volume_difference(a, b, &d_ab), d_ab, "a\\b");
    OK_VOL(cz_volume_difference(b, a, &d_ba), d_ba, "b\\a");
    OK_VOL(cz_volume_union(a, b, &tmp), tmp, "tmp");
    OK_VOL(cz_volume_difference(tmp, cy, &nest), nest, "(a∪b)\\c");
    cz_volume_destroy(tmp);
    if (!i_ab || !u_ab || !d_ab || !d_ba || !nest) return;
    int ok_i = 1, ok_u = 1, ok_d = 1, ok_d2 = 1, ok_n = 1;
    size_t nin[3] = {0, 0, 0};
    for (int i = 0; i < 20000; i++) {
        double x[3];
        for (int k = 0; k < 3; k++) x[k] = ur(-4, 9);
        int ia = cz_volume_contains(a, x), ib = cz_volume_contains(b, x);
        int ic = cz_volume_contains(cy, x);
        nin[0] += ia && ib;
        nin[1] += ia && !ib;
        nin[2] += ib && !ia;
        ok_i &= cz_volume_contains(i_ab, x) == (ia && ib);
        ok_u &= cz_volume_contains(u_ab, x) == (ia || ib);
        ok_d &= cz_volume_contains(d_ab, x) == (ia && !ib);
        ok_d2 &= cz_volume_contains(d_ba, x) == (ib && !ia);
        ok_n &= cz_volume_contains(nest, x) == ((ia || ib) && !ic);
    }
    CZ_CHECK(nin[0] > 300 && nin[1] > 300 && nin[2] > 300,
             "test points cover all regions (%zu %zu %zu)", nin[0], nin[1], nin[2]);
    CZ_CHECK(ok_i, "intersection = a && b");
    CZ_CHECK(ok_u, "union = a || b");
    CZ_CHECK(ok_d, "difference = a && !b");
    CZ_CHECK(ok_d2, "difference b \\ a");
    CZ_CHECK(ok_n, "(a ∪ b) \\ c");
    /* A point on b's boundary inside a is removed from a \ b (header rule). */
    double f[3] = {0.5, 0.5, 0.0}, x[3];
    box_point(f, x);
    if (cz_volume_contains(a, x))
        CZ_CHECK(!cz_volume_contains(d_ab, x), "b's boundary is not part of a \\ b");
    /* Self-combinations. */
    cz_volume *aa = NULL, *a_minus_a = NULL;
    OK_VOL(cz_volume_intersection(a, a, &aa), aa, "a∩a");
    OK_VOL(cz_volume_difference(a, a, &a_minus_a), a_minus_a, "a\\a");
    if (aa && a_minus_a) {
        int ok_aa = 1, ok_empty = 1;
        for (int i = 0; i < 2000; i++) {
            double y[3];
            for (int k = 0; k < 3; k++) y[k] = c1[k] + ur(-4, 4);
            ok_aa &= cz_volume_contains(aa, y) == cz_volume_contains(a, y);
            ok_empty &= !cz_volume_contains(a_minus_a, y);
        }
        CZ_CHECK(ok_aa, "a ∩ a = a");
        CZ_CHECK(ok_empty, "a \\ a is empty");
    }
    cz_volume_destroy(aa);
    cz_volume_destroy(a_minus_a);
    cz_volume_destroy(a);
    cz_volume_destroy(b);
    cz_volume_destroy(cy);
    cz_volume_destroy(i_ab);
    cz_volume_destroy(u_ab);
    cz_volume_destroy(d_ab);
    cz_volume_destroy(d_ba);
    cz_volume_destroy(nest);
}

/* ----------------------------------------------------------- line queries ---- */

typedef struct {
    const char *name;
    cz_volume *v;
    double c[3]; /* lines pass within R of c */
    double R;
} line_case;

static int in_intervals(const czi_intervals *iv, double t, double *near) {
    int in = 0;
    *near = INFINITY;
    for (int q = 0; q < iv->n; q++) {
        double t0 = iv->t[2 * q], t1 = iv->t[2 * q + 1];
        if (t >= t0 && t <= t1) in = 1;
        if (isfinite(t0)) *near = fmin(*near, fabs(t - t0));
        if (isfinite(t1)) *near = fmin(*near, fabs(t - t1));
    }
    return in;
}

/* Compare czi_volume_line with cz_volume_contains sampled densely along random lines. */
static void check_lines(const line_case *lc, int nlines) {
    int bad_order = 0, bad_sample = 0, bad_mid = 0, overflow = 0;
    char first[300] = "";
    long samples = 0;
    for (int l = 0; l < nlines; l++) {
        double o[3], u[3];
        for (int k = 0; k < 3; k++) o[k] = lc->c[k] + ur(-1, 1) * lc->R;
        rand_unit(u);
        /* Some lines along the coordinate axes (parallel to faces and cylinder axes). */
        if (l % 7 == 3) {
            u[0] = u[1] = u[2] = 0;
            u[l % 3] = (l % 2) ? 1 : -1;
        }
        double scale = ur(0.3, 3.0);
        for (int k = 0; k < 3; k++) u[k] *= scale;
        czi_intervals iv;
        memset(&iv, 0x5a, sizeof iv);
        czi_volume_line(lc->v, o, u, &iv);
        if (iv.overflow) {
            overflow++;
            continue;
        }
        int sorted = iv.n >= 0 && iv.n <= CZI_IVL_CAP;
        for (int q = 0; sorted && q < iv.n; q++) {
            sorted &= iv.t[2 * q] <= iv.t[2 * q + 1];
            if (q + 1 < iv.n) sorted &= iv.t[2 * q + 1] < iv.t[2 * q + 2];
        }
        if (!sorted) {
            if (!bad_order++)
                snprintf(first, sizeof first, "line %d: intervals not sorted/disjoint (n = %d)", l,
                         iv.n);
            continue;
        }
        /* Dense samples over the stretch of the line near the volume. */
        double T = 2.0 * lc->R * sqrt(3.0) / scale + 1.0;
        const int ns = 2500;
        for (int s = 0; s <= ns; s++) {
            double t = -T + 2 * T * s / ns + 1e-4 * ur(-1, 1), x[3], near;
            for (int k = 0; k < 3; k++) x[k] = o[k] + t * u[k];
            int want = cz_volume_contains(lc->v, x), got = in_intervals(&iv, t, &near);
            samples++;
            if (near < 1e-6) continue;
            if (want != got && !bad_sample++)
                snprintf(first, sizeof first,
                         "line %d o=(%.6g %.6g %.6g) u=(%.6g %.6g %.6g): t = %.9g contains %d, "
                         "intervals %d (n = %d, first [%.9g, %.9g])",
                         l, o[0], o[1], o[2], u[0], u[1], u[2], t, want, got, iv.n,
                         iv.n ? iv.t[0] : 0.0, iv.n ? iv.t[1] : 0.0);
        }
        /* The midpoint of each interval is inside; the middle of each gap is not. */
        for (int q = 0; q < iv.n; q++) {
            double t0 = iv.t[2 * q], t1 = iv.t[2 * q + 1], x[3];
            if (!isfinite(t0) || !isfinite(t1) || t1 - t0 < 4e-6) continue;
            double tm = 0.5 * (t0 + t1);
            for (int k = 0; k < 3; k++) x[k] = o[k] + tm * u[k];
            if (!cz_volume_contains(lc->v, x) && !bad_mid++)
                snprintf(first, sizeof first, "line %d: midpoint %.9g of [%.9g, %.9g] is outside",
                         l, tm, t0, t1);
            if (q + 1 < iv.n && iv.t[2 * q + 2] - t1 > 4e-6) {
                tm = 0.5 * (t1 + iv.t[2 * q + 2]);
                for (int k = 0; k < 3; k++) x[k] = o[k] + tm * u[k];
                if (cz_volume_contains(lc->v, x) && !bad_mid++)
                    snprintf(first, sizeof first, "line %d: gap middle %.9g is inside", l, tm);
            }
        }
    }
    CZ_CHECK(bad_order == 0 && bad_sample == 0 && bad_mid == 0,
             "%s: czi_volume_line disagrees with contains: %d unsorted, %d samples, %d midpoints; "
             "first: %s",
             lc->name, bad_order, bad_sample, bad_mid, first);
    CZ_CHECK(overflow == 0, "%s: %d lines overflowed", lc->name, overflow);
    CZ_CHECK(samples > 0, "%s: sampled", lc->name);
}

static void test_line_queries(void) {
    enum { NV = 40 };
    line_case lc[NV];
    int n = 0;
    memset(lc, 0, sizeof lc);
#define ADD(nm, call, cx, cy, cz, rr)                                        \
    do {                                                                     \
        cz_volume *v_ = NULL;                                                \
        cz_status s_ = (call);                                               \
        CZ_CHECK(s_ == CZ_OK && v_, "%s: %s", nm, cz_last_error());          \
        if (v_ && n < NV) {                                                  \
            lc[n].name = nm;                                                 \
            lc[n].v = v_;                                                    \
            lc[n].c[0] = cx, lc[n].c[1] = cy, lc[n].c[2] = cz, lc[n].R = rr; \
            n++;                                                             \
        }                                                                    \
    } while (0)
#define V_ (&v_)
    const double c0[3] = {0.7, -1.3, 2.1}, ax[3] = {1.0, 2.0, -0.5}, n1[3] = {0.3, -1.2, 2.05};
    ADD("sphere", cz_volume_sphere(c0, 3.615, V_), 0.7, -1.3, 2.1, 4.5);
    ADD("half-space", cz_volume_halfspace(n1, c0, V_), 0.7, -1.3, 2.1, 5);
    ADD("cylinder", cz_volume_cylinder(c0, ax, 2.75, 7.5, V_), 0.7, -1.3, 2.1, 5);
    ADD("box", cz_volume_box(BOX_O, BOX_E, V_), 1.6, 6.0, 3.0, 6);
    const double oc[3] = {-1, 2, 0.5};
    {
        cz_volume *o = octahedron(oc, 3.615);
        if (o) {
            lc[n].name = "octahedron";
            lc[n].v = o;
            memcpy(lc[n].c, oc, sizeof oc);
            lc[n].R = 4.5;
            n++;
        }
    }
    const double np[4][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}},
                 dp[4] = {1.7, 2.3, 0.9, 4.1};
    ADD("infinite prism", cz_volume_polyhedron(4, np, dp, V_), 0, -1.5, 0, 4);
    const double ns[2][3] = {{0.2, 0.3, 1}, {-0.2, -0.3, -1}}, ds[2] = {2.5, 1.0};
    ADD("slab", cz_volume_polyhedron(2, ns, ds, V_), 0, 0, 0, 4);
    cz_volume *slabv = NULL;
    cz_volume_polyhedron(2, ns, ds, &slabv);
    double hp[30][3];
    for (int i = 0; i < 30; i++)
        for (int k = 0; k < 3; k++) hp[i][k] = 3.0 * ur(-1, 1) + 0.5 * k;
    ADD("hull", cz_volume_hull(30, CZ_CROWS(hp), V_), 0, 0.5, 1, 4);
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.a = 4.08;
    po.z[0] = 79;
    cz_lattice *fcc = NULL;
    cz_lattice_prototype("fcc", &po, &fcc);
    const int h111[3] = {1, 1, 1};
    if (fcc) ADD("miller (111)", cz_volume_miller(fcc, h111, 6.5, 1, V_), 3, 3, 3, 5);
    cz_lattice_destroy(fcc);

    /* Booleans and transforms built from fresh primitives. */
    cz_volume *sph = NULL, *box = NULL, *cyl = NULL, *hs = NULL, *oct = octahedron(oc, 3.615);
    cz_volume_sphere(c0, 3.615, &sph);
    cz_volume_box(BOX_O, BOX_E, &box);
    cz_volume_cylinder(c0, ax, 1.5, 12.0, &cyl);
    cz_volume_halfspace(n1, c0, &hs);
    ADD("sphere ∩ box", cz_volume_intersection(sph, box, V_), 0.7, 1, 2, 5);
    ADD("sphere ∪ box", cz_volume_union(sph, box, V_), 0.7, 2, 2, 7);
    ADD("box \\ sphere", cz_volume_difference(box, sph, V_), 1.6, 4, 3, 6);
    ADD("sphere \\ cylinder", cz_volume_difference(sph, cyl, V_), 0.7, -1.3, 2.1, 4.5);
    ADD("sphere ∩ half-space", cz_volume_intersection(sph, hs, V_), 0.7, -1.3, 2.1, 4.5);
    ADD("box ∪ octahedron", cz_volume_union(box, oct, V_), 0.5, 3, 2, 7);
    cz_volume *t1 = NULL, *t2 = NULL, *t3 = NULL;
    cz_volume_union(sph, box, &t1);
    cz_volume_difference(t1, cyl, &t2);
    cz_volume_intersection(t2, hs, &t3);
    ADD("((sphere ∪ box) \\ cylinder) ∩ half-space", cz_volume_copy(t3, V_), 0.7, 1, 2, 7);
    /* Swiss cheese: a box minus several cylinders gives several pieces per line. */
    cz_volume *cheese = NULL;
    cz_volume_copy(box, &cheese);
    for (int i = 0; i < 6; i++) {
        double cc[3], a2[3], f[3] = {ur(0.1, 0.9), ur(0.1, 0.9), ur(0.1, 0.9)};
        box_point(f, cc);
        rand_unit(a2);
        cz_volume *hole = NULL, *next = NULL;
        cz_volume_cylinder(cc, a2, ur(0.3, 0.9), 20.0, &hole);
        cz_volume_difference(cheese, hole, &next);
        cz_volume_destroy(hole);
        cz_volume_destroy(cheese);
        cheese = next;
    }
    ADD("box minus 6 cylinders", cz_volume_copy(cheese, V_), 1.6, 4, 3, 6);
    /* A row of spheres: many pieces per line for unions. */
    cz_volume *row = NULL;
    for (int i = 0; i < 12; i++) {
        const double cc[3] = {2.5 * i, 0.3 * (i % 3), -0.2 * (i % 2)};
        cz_volume *s = NULL, *next = NULL;
        cz_volume_sphere(cc, 1.0 + 0.1 * (i % 4), &s);
        if (!row) {
            row = s;
            continue;
        }
        cz_volume_union(row, s, &next);
        cz_volume_destroy(row);
        cz_volume_destroy(s);
        row = next;
    }
    ADD("12 spheres in a row", cz_volume_copy(row, V_), 14, 0, 0, 14);

    /* Transforms: rotation about a point, reflection (det −1), shear, and nests. */
    cz_transform rot, mir, shear, tr;
    const double rax[3] = {0.2, -0.9, 0.4}, rc[3] = {1, 1, 1}, mn[3] = {1, 1, -0.5};
    const double sm[3][3] = {{1.2, 0.5, 0}, {0, 0.7, 0.3}, {-0.2, 0, 1.4}}, st[3] = {2, -1, 0.5};
    cz_transform_axis_angle(rax, 131.0, rc, &rot);
    cz_transform_reflection(mn, rc, &mir);
    cz_transform_matrix(sm, st, 0, &shear);
    ADD("rotated box", cz_volume_transform(box, &rot, V_), 1.5, 1, 2, 9);
    ADD("mirrored cylinder", cz_volume_transform(cyl, &mir, V_), 1, 1, 1, 8);
    ADD("sheared sphere", cz_volume_transform(sph, &shear, V_), 2.5, -1.5, 3, 7);
    ADD("sheared half-space", cz_volume_transform(hs, &shear, V_), 2.5, -1.5, 3, 7);
    ADD("rotated nested boolean", cz_volume_transform(t3, &rot, V_), 1, 1, 1, 9);
    ADD("rotated swiss cheese", cz_volume_transform(cheese, &rot, V_), 1, 1, 1, 9);
    cz_volume *r1 = NULL, *r2 = NULL;
    cz_volume_transform(sph, &rot, &r1);
    cz_volume_transform(box, &shear, &r2);
    ADD("rotated sphere ∪ sheared box", cz_volume_union(r1, r2, V_), 2, 2, 2, 10);
    ADD("sheared box \\ rotated sphere", cz_volume_difference(r2, r1, V_), 2, 5, 4, 10);
    cz_volume *rr = NULL;
    cz_volume_transform(r2, &mir, &rr);
    ADD("mirrored sheared box", cz_volume_copy(rr, V_), 0, 0, 0, 12);
    cz_transform_translation(st, &tr);
    cz_volume *inner = NULL;
    cz_volume_transform(row, &tr, &inner);
    ADD("translated sphere row ∩ slab", cz_volume_intersection(inner, slabv, V_), 16, -1, 0.5, 14);
#undef ADD
#undef V_
    CZ_CHECK(n == 28, "built %d line cases", n);
    for (int i = 0; i < n; i++) check_lines(&lc[i], 160);
    for (int i = 0; i < n; i++) cz_volume_destroy(lc[i].v);
    cz_volume *all[] = {sph, box, cyl, hs, oct, t1, t2, t3, cheese, row, r1, r2, rr, inner, slabv};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) cz_volume_destroy(all[i]);
}

/* Lines through more pieces than CZI_IVL_CAP: the result is then one bounding interval
 * (n == 1, [t[0], t[1]], the range the fill scans point by point) covering every inside point. */
static void check_overflow_bound(const char *name, const cz_volume *v, const double o[3],
                                 const double u[3], double T) {
    czi_intervals iv;
    memset(&iv, 0, sizeof iv);
    czi_volume_line(v, o, u, &iv);
    double lo = iv.n ? iv.t[0] : INFINITY,
           hi = iv.n ? iv.t[2 * iv.n - 1] : -INFINITY;
    CZ_CHECK(!iv.overflow || iv.n == 1, "%s: an overflowed set is one bounding interval (n = %d)",
             name, iv.n);
    int bad = 0, inside = 0;
    double first_bad = 0;
    for (int s = 0; s <= 40000; s++) {
        double t = -T + 2 * T * s / 40000.0, x[3], near;
        for (int k = 0; k < 3; k++) x[k] = o[k] + t * u[k];
        if (!cz_volume_contains(v, x)) continue;
        inside++;
        int ok = iv.overflow ? (t >= lo - 1e-6 && t <= hi + 1e-6) : in_intervals(&iv, t, &near);
        if (!iv.overflow && !ok && near < 1e-6) ok = 1;
        if (!ok && !bad++) first_bad = t;
    }
    CZ_CHECK(inside > 0, "%s: the line meets the volume", name);
    CZ_CHECK(bad == 0,
             "%s: %d inside samples not covered (first t = %g); n = %d, overflow = %d, "
             "bound [%g, %g]",
             name, bad, first_bad, iv.n, iv.overflow, lo, hi);
}

static void test_line_overflow(void) {
    /* 80 small spheres along x, 1 Å apart: 80 pieces on the x axis. */
    cz_volume *row = NULL;
    for (int i = 0; i < 80; i++) {
        const double cc[3] = {1.0 * i, 0, 0};
        cz_volume *s = NULL, *next = NULL;
        cz_volume_sphere(cc, 0.3, &s);
        if (!row) {
            row = s;
            continue;
        }
        cz_volume_union(row, s, &next);
        cz_volume_destroy(row);
        cz_volume_destroy(s);
        row = next;
    }
    if (!row) return;
    const double o[3] = {0, 0, 0}, u[3] = {1, 0, 0};
    czi_intervals iv;
    czi_volume_line(row, o, u, &iv);
    CZ_CHECK(iv.overflow == 1, "80 pieces overflow the interval list (n = %d)", iv.n);
    check_overflow_bound("80 spheres", row, o, u, 100);
    /* Combinations in which the overflowing operand is the second one. */
    const double lo[3] = {-0.5, -1, -1}, e[3][3] = {{5, 0, 0}, {0, 2, 0}, {0, 0, 2}};
    const double lo2[3] = {30.5, -1, -1};
    cz_volume *box = NULL, *box2 = NULL, *and1 = NULL, *sub1 = NULL, *sub2 = NULL, *or1 = NULL;
    cz_volume_box(lo, e, &box);
    cz_volume_box(lo2, e, &box2);
    OK_VOL(cz_volume_intersection(box, row, &and1), and1, "box ∩ row");
    OK_VOL(cz_volume_difference(box, row, &sub1), sub1, "box \\ row");
    OK_VOL(cz_volume_difference(box2, row, &sub2), sub2, "box2 \\ row");
    OK_VOL(cz_volume_union(box2, row, &or1), or1, "box2 ∪ row");
    if (and1) check_overflow_bound("box ∩ (80 spheres)", and1, o, u, 100);
    if (sub1) check_overflow_bound("box \\ (80 spheres)", sub1, o, u, 100);
    if (sub2) check_overflow_bound("box2 \\ (80 spheres)", sub2, o, u, 100);
    if (or1) check_overflow_bound("box2 ∪ (80 spheres)", or1, o, u, 100);
    cz_volume *and2 = NULL;
    OK_VOL(cz_volume_intersection(row, box2, &and2), and2, "row ∩ box2");
    if (and2) check_overflow_bound("(80 spheres) ∩ box2", and2, o, u, 100);
    cz_volume_destroy(row);
    cz_volume_destroy(box);
    cz_volume_destroy(box2);
    cz_volume_destroy(and1);
    cz_volume_destroy(and2);
    cz_volume_destroy(sub1);
    cz_volume_destroy(sub2);
    cz_volume_destroy(or1);
}

/* ------------------------------------------------------- copy independence ---- */

static void test_copy_independence(void) {
    const double c[3] = {0.25, 0.5, 0.75}, ax[3] = {0, 0.3, 1};
    cz_volume *a = NULL, *b = NULL, *cy = NULL, *ab = NULL, *tab = NULL, *all = NULL;
    cz_volume *copy = NULL;
    cz_volume_sphere(c, 3.615, &a);
    cz_volume_box(BOX_O, BOX_E, &b);
    cz_volume_cylinder(c, ax, 1.2, 5.0, &cy);
    if (!a || !b || !cy) return;
    cz_transform rot;
    cz_transform_axis_angle(ax, 33.0, c, &rot);
    OK_VOL(cz_volume_union(a, b, &ab), ab, "a ∪ b");
    OK_VOL(cz_volume_transform(ab, &rot, &tab), tab, "rot(a ∪ b)");
    OK_VOL(cz_volume_difference(tab, cy, &all), all, "rot(a ∪ b) \\ c");
    /* Reference answers before anything is destroyed. */
    enum { NP = 3000 };
    static double pts[NP][3];
    static int ref[NP];
    for (int i = 0; i < NP; i++) {
        for (int k = 0; k < 3; k++) pts[i][k] = ur(-5, 9);
        ref[i] = cz_volume_contains(all, pts[i]);
    }
    double lo0[3], hi0[3];
    cz_volume_bbox(all, lo0, hi0);
    /* Destroy every operand and intermediate: `all` must stand alone. */
    cz_volume_destroy(a);
    cz_volume_destroy(b);
    cz_volume_destroy(cy);
    cz_volume_destroy(ab);
    cz_volume_destroy(tab);
    OK_VOL(cz_volume_copy(all, &copy), copy, "copy");
    int same = 1;
    for (int i = 0; i < NP; i++) same &= cz_volume_contains(all, pts[i]) == ref[i];
    CZ_CHECK(same, "combination unchanged after its operands were destroyed");
    /* The copy survives the original. */
    cz_volume_destroy(all);
    same = 1;
    for (int i = 0; i < NP; i++) same &= cz_volume_contains(copy, pts[i]) == ref[i];
    CZ_CHECK(same, "copy unchanged after the original was destroyed");
    double lo[3], hi[3];
    cz_volume_bbox(copy, lo, hi);
    CZ_CHECK(memcmp(lo, lo0, sizeof lo) == 0 && memcmp(hi, hi0, sizeof hi) == 0,
             "copy has the same bbox");
    line_case lc = {"copy of a nested volume", copy, {2, 2, 2}, 7};
    check_lines(&lc, 40);
    cz_volume_destroy(copy);
    /* Copies of each primitive kind behave like the original. */
    const double n[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, d[3] = {1, 2, 3};
    double hp[6][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}, {0.2, 0.2, 0.2}};
    cz_volume *prims[4] = {NULL, NULL, NULL, NULL};
    cz_volume_sphere(c, 2.5, &prims[0]);
    cz_volume_polyhedron(3, n, d, &prims[1]);
    cz_volume_hull(6, CZ_CROWS(hp), &prims[2]);
    cz_volume_cylinder(c, ax, 1.0, 3.0, &prims[3]);
    for (int p = 0; p < 4; p++) {
        if (!prims[p]) continue;
        cz_volume *cp = NULL;
        OK_VOL(cz_volume_copy(prims[p], &cp), cp, "copy primitive");
        int ref2[500];
        double q[500][3];
        for (int i = 0; i < 500; i++) {
            for (int k = 0; k < 3; k++) q[i][k] = ur(-3, 4);
            ref2[i] = cz_volume_contains(prims[p], q[i]);
        }
        cz_volume_destroy(prims[p]);
        same = 1;
        for (int i = 0; i < 500; i++) same &= cz_volume_contains(cp, q[i]) == ref2[i];
        CZ_CHECK(same, "copy of primitive %d", p);
        cz_volume_destroy(cp);
    }
}

/* ------------------------------------------------------------------ errors ---- */

static void test_errors(void) {
    const double c[3] = {1, 2, 3}, cnan[3] = {1, NAN, 3}, cinf[3] = {INFINITY, 0, 0};
    const double zero[3] = {0, 0, 0}, ax[3] = {0, 0, 1};
    cz_volume *dummy = NULL, *v = NULL;
    cz_volume_sphere(c, 1.0, &dummy);
    if (!dummy) return;
#define FAILS(call, status, needle)                          \
    do {                                                     \
        v = dummy;                                           \
        CZ_CHECK_FAILS(call, status, needle);                \
        CZ_CHECK(v == NULL, "%s leaves *out = NULL", #call); \
        if (v && v != dummy) cz_volume_destroy(v);           \
    } while (0)

    /* sphere */
    FAILS(cz_volume_sphere(c, 0.0, &v), CZ_EINVAL,
          "cz_volume_sphere: radius must be > 0 and finite (got 0)");
    FAILS(cz_volume_sphere(c, -2.5, &v), CZ_EINVAL, "(got -2.5)");
    FAILS(cz_volume_sphere(c, NAN, &v), CZ_EINVAL, "(got nan)");
    FAILS(cz_volume_sphere(c, INFINITY, &v), CZ_EINVAL, "(got inf)");
    FAILS(cz_volume_sphere(cnan, 1.0, &v), CZ_EINVAL, "center must be finite");
    FAILS(cz_volume_sphere(NULL, 1.0, &v), CZ_EINVAL, "center must not be NULL");
    CZ_CHECK_FAILS(cz_volume_sphere(c, 1.0, NULL), CZ_EINVAL, "out must not be NULL");

    /* half-space */
    FAILS(cz_volume_halfspace(zero, c, &v), CZ_EINVAL,
          "cz_volume_halfspace: half-space normal must be non-zero");
    FAILS(cz_volume_halfspace(cnan, c, &v), CZ_EINVAL, "must be finite");
    FAILS(cz_volume_halfspace(ax, cinf, &v), CZ_EINVAL, "must be finite");
    FAILS(cz_volume_halfspace(NULL, c, &v), CZ_EINVAL, "must not be NULL");
    FAILS(cz_volume_halfspace(ax, NULL, &v), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_volume_halfspace(ax, c, NULL), CZ_EINVAL, "out must not be NULL");

    /* cylinder */
    FAILS(cz_volume_cylinder(c, zero, 1.0, 2.0, &v), CZ_EINVAL,
          "cz_volume_cylinder: cylinder axis must be non-zero");
    FAILS(cz_volume_cylinder(c, ax, 0.0, 2.0, &v), CZ_EINVAL, "radius must be > 0");
    FAILS(cz_volume_cylinder(c, ax, -1.5, 2.0, &v), CZ_EINVAL, "(got -1.5)");
    FAILS(cz_volume_cylinder(c, ax, NAN, 2.0, &v), CZ_EINVAL, "radius must be > 0");
    FAILS(cz_volume_cylinder(c, ax, 1.0, 0.0, &v), CZ_EINVAL, "length must be > 0 and finite");
    FAILS(cz_volume_cylinder(c, ax, 1.0, -3.25, &v), CZ_EINVAL, "(got -3.25)");
    FAILS(cz_volume_cylinder(c, ax, 1.0, INFINITY, &v), CZ_EINVAL, "length must be > 0");
    FAILS(cz_volume_cylinder(cnan, ax, 1.0, 2.0, &v), CZ_EINVAL, "must be finite");
    FAILS(cz_volume_cylinder(c, cinf, 1.0, 2.0, &v), CZ_EINVAL, "must be finite");
    FAILS(cz_volume_cylinder(NULL, ax, 1.0, 2.0, &v), CZ_EINVAL, "must not be NULL");
    FAILS(cz_volume_cylinder(c, NULL, 1.0, 2.0, &v), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_volume_cylinder(c, ax, 1.0, 2.0, NULL), CZ_EINVAL, "out must not be NULL");

    /* box */
    const double flat[3][3] = {{3.615, 0, 0}, {0, 4.08, 0}, {1.0, 2.0, 0}};
    const double zedge[3][3] = {{3.615, 0, 0}, {0, 0, 0}, {0, 0, 2.0}};
    const double allzero[3][3] = {{0}};
    double enan[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    enan[1][1] = NAN;
    FAILS(cz_volume_box(c, flat, &v), CZ_EINVAL, "cz_volume_box: box edges are degenerate");
    FAILS(cz_volume_box(c, zedge, &v), CZ_EINVAL, "degenerate");
    FAILS(cz_volume_box(c, allzero, &v), CZ_EINVAL, "degenerate");
    FAILS(cz_volume_box(c, CZ_CROWS(enan), &v), CZ_EINVAL, "must be finite");
    FAILS(cz_volume_box(cnan, BOX_E, &v), CZ_EINVAL, "must be finite");
    FAILS(cz_volume_box(NULL, BOX_E, &v), CZ_EINVAL, "must not be NULL");
    FAILS(cz_volume_box(c, NULL, &v), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_volume_box(c, BOX_E, NULL), CZ_EINVAL, "out must not be NULL");

    /* polyhedron */
    const double n2[2][3] = {{1, 0, 0}, {-1, 0, 0}}, d2[2] = {-1, -1}; /* x <= -1 and x >= 1 */
    FAILS(cz_volume_polyhedron(2, n2, d2, &v), CZ_EINVAL,
          "cz_volume_polyhedron: planes 0 and 1 leave an empty region");
    FAILS(cz_volume_polyhedron(0, n2, d2, &v), CZ_EINVAL,
          "cz_volume_polyhedron: a polyhedron needs at least one plane");
    const double nz[2][3] = {{1, 0, 0}, {0, 0, 0}}, dz[2] = {1, 1};
    FAILS(cz_volume_polyhedron(2, nz, dz, &v), CZ_EINVAL, "plane 1 has a zero normal");
    const double nn[2][3] = {{1, 0, 0}, {0, NAN, 1}}, dn[2] = {1, 1}, dnan[2] = {1, INFINITY};
    FAILS(cz_volume_polyhedron(2, nn, dn, &v), CZ_EINVAL, "plane 1 is not finite");
    FAILS(cz_volume_polyhedron(2, n2, dnan, &v), CZ_EINVAL, "plane 1 is not finite");
    FAILS(cz_volume_polyhedron(2, NULL, d2, &v), CZ_EINVAL, "must not be NULL");
    FAILS(cz_volume_polyhedron(2, n2, NULL, &v), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_volume_polyhedron(2, n2, d2, NULL), CZ_EINVAL, "out must not be NULL");
    /* Empty cube-like region: x <= 1, x >= 2, plus y and z bounds (rank 3). */
    const double n6[6][3] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
    const double d6[6] = {1, -2, 1, 1, 1, 1};
    FAILS(cz_volume_polyhedron(6, n6, d6, &v), CZ_EINVAL,
          "cz_volume_polyhedron: the 6 planes enclose an empty region");
    /* A tetrahedron turned inside out: x, y, z >= 0 and x + y + z <= -1. */
    const double nt[4][3] = {{-1, 0, 0}, {0, -1, 0}, {0, 0, -1}, {1, 1, 1}}, dt[4] = {0, 0, 0, -1};
    FAILS(cz_volume_polyhedron(4, nt, dt, &v), CZ_EINVAL, "cz_volume_polyhedron: the 4 planes");
    /* Rank 2, empty without any opposite pair: x <= 0, y <= 0, x + y >= 1. */
    const double ntri[3][3] = {{1, 0, 0}, {0, 1, 0}, {-1, -1, 0}}, dtri[3] = {0, 0, -1};
    FAILS(cz_volume_polyhedron(3, ntri, dtri, &v), CZ_EINVAL, "cz_volume_polyhedron: ");
    /* Touching planes (x <= 1, x >= 1) leave a plane: not empty. */
    const double dtouch[2] = {1, -1};
    v = NULL;
    CZ_CHECK(cz_volume_polyhedron(2, n2, dtouch, &v) == CZ_OK, "x = 1 plane is not empty: %s",
             cz_last_error());
    cz_volume_destroy(v);

    /* hull */
    const double p3[3][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}};
    FAILS(cz_volume_hull(3, p3, &v), CZ_EINVAL,
          "cz_volume_hull: a hull needs at least 4 points (got 3)");
    FAILS(cz_volume_hull(0, p3, &v), CZ_EINVAL, "(got 0)");
    double cop[12][3];
    for (int i = 0; i < 12; i++) {
        double s = ur(-3, 3), t = ur(-3, 3);
        /* On the plane through c spanned by (1, 2, 0.5) and (-0.3, 0.1, 1.1). */
        cop[i][0] = c[0] + s * 1.0 - t * 0.3;
        cop[i][1] = c[1] + s * 2.0 + t * 0.1;
        cop[i][2] = c[2] + s * 0.5 + t * 1.1;
    }
    FAILS(cz_volume_hull(12, CZ_CROWS(cop), &v), CZ_EINVAL, "coplanar");
    const double p4c[4][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {3.615, 12.0417, 0}};
    FAILS(cz_volume_hull(4, p4c, &v), CZ_EINVAL, "the 4 points are coplanar");
    const double p4l[5][3] = {{0, 0, 0}, {1, 1, 1}, {2, 2, 2}, {-3, -3, -3}, {5, 5, 5}};
    FAILS(cz_volume_hull(5, p4l, &v), CZ_EINVAL, "coplanar"); /* collinear */
    static double many[501][3];
    for (int i = 0; i < 501; i++)
        for (int k = 0; k < 3; k++) many[i][k] = ur(-1, 1);
    FAILS(cz_volume_hull(501, CZ_CROWS(many), &v), CZ_EINVAL,
          "at most 500 hull points are supported (got 501)");
    double pn[5][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 1}};
    pn[3][2] = NAN;
    FAILS(cz_volume_hull(5, CZ_CROWS(pn), &v), CZ_EINVAL, "point 3 is not finite");
    FAILS(cz_volume_hull(5, NULL, &v), CZ_EINVAL, "points must not be NULL");
    pn[3][2] = 1;
    CZ_CHECK_FAILS(cz_volume_hull(5, CZ_CROWS(pn), NULL), CZ_EINVAL, "out must not be NULL");

    /* booleans: the message names the public function */
    FAILS(cz_volume_intersection(NULL, dummy, &v), CZ_EINVAL,
          "cz_volume_intersection: operands must not be NULL");
    FAILS(cz_volume_intersection(dummy, NULL, &v), CZ_EINVAL, "operands must not be NULL");
    CZ_CHECK_FAILS(cz_volume_intersection(dummy, dummy, NULL), CZ_EINVAL,
                   "cz_volume_intersection: out must not be NULL");
    FAILS(cz_volume_union(NULL, dummy, &v), CZ_EINVAL, "cz_volume_union: operands must not");
    FAILS(cz_volume_union(dummy, NULL, &v), CZ_EINVAL, "cz_volume_union: operands must not");
    CZ_CHECK_FAILS(cz_volume_union(dummy, dummy, NULL), CZ_EINVAL,
                   "cz_volume_union: out must not be NULL");
    FAILS(cz_volume_difference(NULL, dummy, &v), CZ_EINVAL,
          "cz_volume_difference: operands must not");
    FAILS(cz_volume_difference(dummy, NULL, &v), CZ_EINVAL, "cz_volume_difference: operands");
    CZ_CHECK_FAILS(cz_volume_difference(dummy, dummy, NULL), CZ_EINVAL,
                   "cz_volume_difference: out must not be NULL");

    /* transform */
    cz_transform sing, nonfin, id;
    cz_transform_identity(&id);
    cz_transform_identity(&sing);
    sing.m[1][0] = 0, sing.m[1][1] = 0, sing.m[1][2] = 0; /* projects onto y = 0 */
    FAILS(cz_volume_transform(dummy, &sing, &v), CZ_EINVAL,
          "cz_volume_transform: transform is singular");
    cz_transform_identity(&nonfin);
    nonfin.t[2] = NAN;
    FAILS(cz_volume_transform(dummy, &nonfin, &v), CZ_EINVAL, "transform is not finite");
    nonfin.t[2] = 0;
    nonfin.m[0][1] = INFINITY;
    FAILS(cz_volume_transform(dummy, &nonfin, &v), CZ_EINVAL, "transform is not finite");
    FAILS(cz_volume_transform(NULL, &id, &v), CZ_EINVAL, "must not be NULL");
    FAILS(cz_volume_transform(dummy, NULL, &v), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_volume_transform(dummy, &id, NULL), CZ_EINVAL, "out must not be NULL");

    /* copy */
    FAILS(cz_volume_copy(NULL, &v), CZ_EINVAL, "cz_volume_copy: volume must not be NULL");
    CZ_CHECK_FAILS(cz_volume_copy(dummy, NULL), CZ_EINVAL, "out must not be NULL");

    /* bbox, is_bounded, destroy */
    double lo[3], hi[3];
    CZ_CHECK_FAILS(cz_volume_bbox(NULL, lo, hi), CZ_EINVAL,
                   "cz_volume_bbox: volume, lo and hi must not be NULL");
    CZ_CHECK_FAILS(cz_volume_bbox(dummy, NULL, hi), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_volume_bbox(dummy, lo, NULL), CZ_EINVAL, "must not be NULL");
    CZ_CHECK(cz_volume_is_bounded(NULL) == 0, "is_bounded(NULL) is 0");
    cz_volume_destroy(NULL);
    CZ_CHECK(1, "destroy(NULL) is a no-op");
#undef FAILS
    cz_volume_destroy(dummy);
}

int main(void) {
    test_sphere_contains();
    test_halfspace_contains();
    test_cylinder_contains();
    test_box_contains();
    test_polyhedron_contains();
    test_unbounded_polyhedron_support();
    test_hull();
    test_miller();
    test_transformed_bbox();
    test_booleans();
    test_line_queries();
    test_line_overflow();
    test_copy_independence();
    test_errors();
    return cz_test_summary("volume");
}
