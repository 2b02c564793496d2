/* test_sim_locate.c — cz_sim_detector_locate, the inverse of the camera geometry: for affine,
 * shift and radial distortions and their combinations, on equal and resampled grids,
 * locate(s(r)) = r to 1e-9 camera pixels for camera positions r across the field, every
 * appearance maps back onto its point (modulo the periodic field), the point's periodic images
 * give the same appearances, the convention agrees with cz_sim_detector_labels, a shrinking
 * distortion shows points more than once, and every documented error. */
#include <stdint.h>

#include "cz/cz_sim.h"
#include "cz_test.h"

/* A camera and the geometry the test computes independently from the header's formula. */
typedef struct setup {
    const char *name;
    size_t in_nx, in_ny, cnx, cny; /* input grid; camera grid (0 = the input grid) */
    double dx, dy;                 /* input pixel, Å */
    double a[2][2], t[2], k1;      /* distortion */
} setup;

/* Source position s(r) in input pixels of camera pixel coordinates (px, py): the header's
 * s = c + A·r′·(1 + k1·|r′|²/R²) + t, r′ = r − c, R = half the shorter side. */
static void source_of(const setup *s, const cz_sim_detector_grid *g, double px, double py,
                      double *u, double *v) {
    double lx = s->dx * (double)s->in_nx, ly = s->dy * (double)s->in_ny;
    double cx = 0.5 * lx, cy = 0.5 * ly, r0 = 0.5 * fmin(lx, ly);
    double rx = px * g->dx - cx, ry = py * g->dy - cy;
    double f = 1.0 + s->k1 * (rx * rx + ry * ry) / (r0 * r0);
    *u = (cx + f * (s->a[0][0] * rx + s->a[0][1] * ry) + s->t[0]) / s->dx;
    *v = (cy + f * (s->a[1][0] * rx + s->a[1][1] * ry) + s->t[1]) / s->dy;
}

static cz_sim_detector *make(const setup *s, cz_sim_detector_grid *g) {
    cz_sim_detector_opts o;
    cz_sim_detector_opts_default(&o);
    o.nx = s->cnx;
    o.ny = s->cny;
    memcpy(o.affine, s->a, sizeof o.affine);
    o.shift[0] = s->t[0];
    o.shift[1] = s->t[1];
    o.radial_k1 = s->k1;
    cz_sim_detector *d = NULL;
    cz_status st = cz_sim_detector_create(&o, s->in_nx, s->in_ny, s->dx, s->dy, &d);
    CZ_CHECK(st == CZ_OK, "%s: create: %s", s->name, cz_sim_last_error());
    if (d) cz_sim_detector_geometry(d, g);
    return d;
}

/* Deterministic uniform numbers in [0, 1) (SplitMix64). */
static double uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

/* Signed distance of a to the nearest multiple of n from b: (a − b) wrapped into [−n/2, n/2). */
static double wrapped(double a, double b, double n) {
    double d = a - b;
    return d - floor(d / n + 0.5) * n;
}

#define NPT 400

static void check_inverse(const setup *s) {
    cz_sim_detector_grid g;
    cz_sim_detector *d = make(s, &g);
    if (!d) return;
    /* Camera positions across the whole field (its half-pixel border included, where locate's
     * inside test is strict on the upper side) and their source positions, given as they come
     * (unwrapped) and as periodic images shifted by several fields. */
    static double r[NPT][2], src[NPT][2], img[NPT][2];
    uint64_t state = 12345;
    for (size_t p = 0; p < NPT; ++p) {
        r[p][0] = -0.5 + uniform(&state) * (double)g.nx * 0.999999;
        r[p][1] = -0.5 + uniform(&state) * (double)g.ny * 0.999999;
        source_of(s, &g, r[p][0], r[p][1], &src[p][0], &src[p][1]);
        long mx = (long)(p % 7) - 3, my = (long)(p % 5) - 2;
        img[p][0] = src[p][0] + (double)mx * (double)s->in_nx;
        img[p][1] = src[p][1] + (double)my * (double)s->in_ny;
    }
    size_t n = 0;
    cz_status st = cz_sim_detector_locate(d, NPT, (const double(*)[2])src, NULL, NULL, 0, &n);
    CZ_CHECK(st == CZ_OK && n >= NPT, "%s: size query: %s, %zu appearances", s->name,
             cz_sim_last_error(), n);
    double(*out)[2] = malloc((n + 1) * sizeof *out), (*out2)[2] = malloc((n + 1) * sizeof *out2);
    size_t *pt = malloc((n + 1) * sizeof *pt), *pt2 = malloc((n + 1) * sizeof *pt2);
    size_t n1 = 0, n2 = 0;
    st = cz_sim_detector_locate(d, NPT, (const double(*)[2])src, out, pt, n, &n1);
    CZ_CHECK(st == CZ_OK && n1 == n, "%s: locate: %s", s->name, cz_sim_last_error());
    st = cz_sim_detector_locate(d, NPT, (const double(*)[2])img, out2, pt2, n, &n2);
    CZ_CHECK(st == CZ_OK && n2 == n, "%s: locate of periodic images: %s (%zu vs %zu)", s->name,
             cz_sim_last_error(), n2, n);
    /* locate(s(r)) = r: among the appearances of point p, one is r (1e-9 camera pixels). */
    double worst = 0, worst_back = 0, worst_img = 0;
    int inside = 1, ordered = 1;
    size_t q = 0;
    for (size_t p = 0; p < NPT; ++p) {
        double best = INFINITY;
        for (; q < n1 && pt[q] == p; ++q) {
            best = fmin(best, fmax(fabs(out[q][0] - r[p][0]), fabs(out[q][1] - r[p][1])));
            /* Every appearance shows the point: s(out) = src modulo the field. */
            double u, v;
            source_of(s, &g, out[q][0], out[q][1], &u, &v);
            worst_back = fmax(worst_back, fmax(fabs(wrapped(u, src[p][0], (double)s->in_nx)),
                                               fabs(wrapped(v, src[p][1], (double)s->in_ny))));
            inside &= out[q][0] >= -0.5 && out[q][0] < (double)g.nx - 0.5 && out[q][1] >= -0.5 &&
                      out[q][1] < (double)g.ny - 0.5;
        }
        worst = fmax(worst, best);
    }
    ordered = q == n1;
    for (size_t k = 0; k < n1 && k < n2; ++k) {
        worst_img =
            fmax(worst_img, fmax(fabs(out2[k][0] - out[k][0]), fabs(out2[k][1] - out[k][1])));
        ordered &= pt2[k] == pt[k];
    }
    printf(
        "info: %-22s %4zu points -> %4zu appearances; |locate(s(r)) - r| <= %.1e px, "
        "|s(locate) - s| <= %.1e input px, periodic images %.1e px\n",
        s->name, (size_t)NPT, n1, worst, worst_back, worst_img);
    CZ_CHECK(worst <= 1e-9, "%s: locate(s(r)) differs from r by %g camera pixels", s->name, worst);
    CZ_CHECK(worst_back <= 1e-9, "%s: s(locate(s)) differs from s by %g input pixels", s->name,
             worst_back);
    CZ_CHECK(worst_img <= 1e-9, "%s: periodic images of a point located %g pixels apart", s->name,
             worst_img);
    CZ_CHECK(inside, "%s: an appearance outside the camera field", s->name);
    CZ_CHECK(ordered, "%s: appearances not ordered by point, or not alike for periodic images",
             s->name);
    free(out);
    free(out2);
    free(pt);
    free(pt2);
    cz_sim_detector_destroy(d);
}

/* locate agrees with cz_sim_detector_labels' convention: the camera pixel (i, j) takes the input
 * pixel q nearest to its source position, so an appearance of q lies within about half an input
 * pixel of (i, j). */
static void check_labels(const setup *s) {
    cz_sim_detector_grid g;
    cz_sim_detector *d = make(s, &g);
    if (!d) return;
    int *in = malloc(g.in_len * sizeof *in), *lab = malloc(g.out_len * sizeof *lab);
    for (size_t i = 0; i < g.in_len; ++i) in[i] = (int)i;
    cz_status st = cz_sim_detector_labels(d, sizeof(int), 1, in, g.in_len * sizeof *in, lab,
                                          g.out_len * sizeof *lab);
    CZ_CHECK(st == CZ_OK, "%s: labels: %s", s->name, cz_sim_last_error());
    /* Rounding to the nearest input pixel moves the source by up to half an input pixel per axis:
     * on the camera that is about half an input pixel in camera pixels, times |A⁻¹|. */
    double bound = 1.3 * hypot(0.5 * s->dx / g.dx, 0.5 * s->dy / g.dy), worst = 0;
    /* Away from the border, where the rounded source of an edge pixel may lie just outside the
     * part of the specimen the (barrel-distorted) field shows. */
    size_t mx = (size_t)ceil(2.0 * s->dx / g.dx) + 1, my = (size_t)ceil(2.0 * s->dy / g.dy) + 1;
    for (size_t j = my; j + my < g.ny; j += 7)
        for (size_t i = mx; i + mx < g.nx; i += 7) {
            int q = lab[j * g.nx + i];
            double xy[1][2] = {{(double)(q % (int)g.in_nx), (double)(q / (int)g.in_nx)}};
            double out[16][2];
            size_t pt[16], n = 0;
            st = cz_sim_detector_locate(d, 1, (const double(*)[2])xy, out, pt, 16, &n);
            double best = INFINITY;
            for (size_t k = 0; st == CZ_OK && k < n; ++k)
                best = fmin(best, hypot(out[k][0] - (double)i, out[k][1] - (double)j));
            worst = fmax(worst, best);
        }
    printf(
        "info: %-22s labels' nearest input pixel located within %.2f camera pixels (bound "
        "%.2f)\n",
        s->name, worst, bound);
    CZ_CHECK(worst < bound, "%s: labels' pixel located %g camera pixels away", s->name, worst);
    free(in);
    free(lab);
    cz_sim_detector_destroy(d);
}

/* Without distortion a point appears exactly once, at its position in camera pixels, whatever
 * periodic image is given. */
static void test_identity(void) {
    setup s = {"identity 96x80->60x50", 96,     80, 60, 50, 0.1372, 0.1513,
               {{1, 0}, {0, 1}},        {0, 0}, 0};
    cz_sim_detector_grid g;
    cz_sim_detector *d = make(&s, &g);
    if (!d) return;
    const double xy[4][2] = {{10.25, 33.5}, {-3.75, 7.125}, {96.0 + 41.5, -80.0 + 2.25}, {0, 0}};
    double out[8][2];
    size_t pt[8], n = 0;
    cz_status st = cz_sim_detector_locate(d, 4, xy, out, pt, 8, &n);
    CZ_CHECK(st == CZ_OK && n == 4, "identity: %s, %zu appearances", cz_sim_last_error(), n);
    double want[4][2] = {{10.25, 33.5}, {92.25, 7.125}, {41.5, 2.25}, {0, 0}};
    for (size_t p = 0; p < 4 && p < n; ++p) {
        CZ_CHECK(pt[p] == p, "identity: point %zu shown as %zu", p, pt[p]);
        CZ_CHECK_CLOSE(out[p][0], want[p][0] * 60.0 / 96.0, 1e-12, "identity x of point %zu", p);
        CZ_CHECK_CLOSE(out[p][1], want[p][1] * 50.0 / 80.0, 1e-12, "identity y of point %zu", p);
    }
    cz_sim_detector_destroy(d);
}

/* A distortion that shows more than one field (|A| > 1, the specimen shrunk on the camera) shows
 * each point more than once; one that enlarges the specimen leaves some points out. */
static void test_repeated(void) {
    setup s = {"shrunk 2.2x", 64,  72, 0, 0, 0.2113, 0.1987, {{2.2, 0.02}, {-0.03, 2.17}},
               {1.3, -0.4},   0.01};
    cz_sim_detector_grid g;
    cz_sim_detector *d = make(&s, &g);
    if (!d) return;
    const double xy[1][2] = {{20.3, 41.9}};
    size_t n = 0;
    CZ_CHECK(cz_sim_detector_locate(d, 1, xy, NULL, NULL, 0, &n) == CZ_OK && n >= 4,
             "a shrunk specimen shows the point %zu times (want >= 4)", n);
    cz_sim_detector_destroy(d);
    setup e = {"enlarged 2.2x", 64,  72, 0, 0, 0.2113, 0.1987, {{0.45, 0.02}, {-0.03, 0.46}},
               {1.3, -0.4},     0.01};
    d = make(&e, &g);
    if (!d) return;
    static double xy2[200][2];
    uint64_t state = 99;
    for (size_t p = 0; p < 200; ++p) {
        xy2[p][0] = uniform(&state) * 64;
        xy2[p][1] = uniform(&state) * 72;
    }
    CZ_CHECK(cz_sim_detector_locate(d, 200, (const double(*)[2])xy2, NULL, NULL, 0, &n) == CZ_OK &&
                 n > 0 && n < 200,
             "an enlarged specimen shows %zu of 200 points (want some, not all)", n);
    cz_sim_detector_destroy(d);
}

static void test_errors(void) {
    setup s = {"errors", 48, 40, 0, 0, 0.15, 0.16, {{1.01, 0.02}, {0, 0.98}}, {0.2, 0.1}, 0.02};
    cz_sim_detector_grid g;
    cz_sim_detector *d = make(&s, &g);
    if (!d) return;
    double xy[3][2] = {{4.5, 6.25}, {7.0, 1.5}, {30.0, 22.0}};
    double out[8][2] = {{-7, -7}};
    size_t pt[8] = {77}, n = 99;
    CZ_CHECK_FAILS(cz_sim_detector_locate(NULL, 3, (const double(*)[2])xy, out, pt, 8, &n),
                   CZ_EINVAL, "must not be NULL");
    CZ_CHECK(n == 99, "nout untouched without a camera");
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, (const double(*)[2])xy, out, pt, 8, NULL),
                   CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, NULL, out, pt, 8, &n), CZ_EINVAL, "n = 3");
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, (const double(*)[2])xy, NULL, pt, 8, &n), CZ_EINVAL,
                   "cap = 8");
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, (const double(*)[2])xy, out, NULL, 8, &n),
                   CZ_EINVAL, "cap = 8");
    xy[1][1] = NAN;
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, (const double(*)[2])xy, out, pt, 8, &n), CZ_EINVAL,
                   "point 1 is not finite");
    xy[1][1] = 1.5;
    xy[2][0] = -INFINITY;
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, (const double(*)[2])xy, out, pt, 8, &n), CZ_EINVAL,
                   "point 2 is not finite");
    CZ_CHECK(out[0][0] == -7 && pt[0] == 77, "nothing written on CZ_EINVAL");
    xy[2][0] = 30.0;
    /* Too small a buffer: CZ_ERANGE, the count reported, nothing written. */
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, (const double(*)[2])xy, out, pt, 2, &n), CZ_ERANGE,
                   "3 needed");
    CZ_CHECK(n == 3 && out[0][0] == -7 && pt[0] == 77, "CZ_ERANGE: count %zu, nothing written", n);
    CZ_CHECK(
        cz_sim_detector_locate(d, 3, (const double(*)[2])xy, out, pt, 3, &n) == CZ_OK && n == 3,
        "exact capacity: %s", cz_sim_last_error());
    /* No points: nothing to do, with or without arrays. */
    CZ_CHECK(cz_sim_detector_locate(d, 0, NULL, NULL, NULL, 0, &n) == CZ_OK && n == 0, "n = 0: %s",
             cz_sim_last_error());
    cz_sim_detector_destroy(d);
    /* A singular affine matrix cannot be inverted. */
    setup sing = {"singular", 48, 40, 0, 0, 0.15, 0.16, {{1.0, 2.0}, {0.5, 1.0}}, {0, 0}, 0};
    d = make(&sing, &g);
    if (!d) return;
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, (const double(*)[2])xy, out, pt, 8, &n), CZ_EINVAL,
                   "singular");
    cz_sim_detector_destroy(d);
    /* An absurd magnification would show millions of periodic images: refused, not looped. */
    setup huge = {"huge", 48, 40, 0, 0, 0.15, 0.16, {{1e6, 0}, {0, 1e6}}, {0, 0}, 0};
    d = make(&huge, &g);
    if (!d) return;
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, (const double(*)[2])xy, out, pt, 8, &n), CZ_ERANGE,
                   "periodic images of the field");
    CZ_CHECK(n == 0, "nout = 0 when the tiles are refused (got %zu)", n);
    cz_sim_detector_destroy(d);
    setup away = {"away", 48, 40, 0, 0, 0.15, 0.16, {{1, 0}, {0, 1}}, {3e200, 0}, 0};
    d = make(&away, &g);
    if (!d) return;
    CZ_CHECK_FAILS(cz_sim_detector_locate(d, 3, (const double(*)[2])xy, out, pt, 8, &n), CZ_ERANGE,
                   "fields away");
    cz_sim_detector_destroy(d);
}

int main(void) {
    const setup cases[] = {
        {"affine", 96, 80, 0, 0, 0.1372, 0.1513, {{1.037, 0.021}, {-0.018, 0.962}}, {0, 0}, 0},
        {"affine+shift",
         96,
         80,
         0,
         0,
         0.1372,
         0.1513,
         {{0.981, -0.034}, {0.027, 1.046}},
         {3.17, -2.41},
         0},
        {"radial +", 90, 110, 0, 0, 0.1213, 0.1087, {{1, 0}, {0, 1}}, {0, 0}, 0.0437},
        {"radial -", 90, 110, 0, 0, 0.1213, 0.1087, {{1, 0}, {0, 1}}, {0, 0}, -0.0561},
        {"shift only", 64, 64, 0, 0, 0.2, 0.2, {{1, 0}, {0, 1}}, {17.3, -25.9}, 0},
        {"rotation+radial",
         128,
         96,
         0,
         0,
         0.0917,
         0.1121,
         {{0.866, -0.5}, {0.5, 0.866}},
         {0.71, 0.33},
         0.0213},
        {"all, resampled",
         120,
         130,
         96,
         100,
         0.11,
         0.1,
         {{0.98, 0.02}, {0.01, 1.03}},
         {0.4, -0.7},
         -0.03},
        {"all, upsampled",
         70,
         64,
         151,
         128,
         0.2017,
         0.1931,
         {{1.043, 0.031}, {-0.022, 0.971}},
         {0.9, -0.6},
         0.04},
        {"zoom out, shifted",
         80,
         80,
         0,
         0,
         0.13,
         0.13,
         {{1.6, 0.1}, {-0.05, 1.5}},
         {5.0, -3.0},
         -0.05},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; ++c) {
        check_inverse(&cases[c]);
        check_labels(&cases[c]);
    }
    test_identity();
    test_repeated();
    test_errors();
    return cz_test_summary("test_sim_locate");
}
