/* test_sim_detector.c — camera model: Fourier resampling (exact for band-limited images, up then
 * down is the identity), MTF forms, Poisson counting statistics at small and large λ, read noise,
 * integer output, reproducibility, geometric distortions applied identically to images and label
 * maps, errors. */
#include <stdint.h>

#include "cz/cz_sim.h"
#include "cz_test.h"

static const double PI = 3.14159265358979323846;

/* A band-limited test pattern: cosines with integer frequencies (cycles per field). */
typedef struct wave2 {
    int fx, fy;
    double amp, phase;
} wave2;

static double pattern(const wave2 *w, int nw, double x, double y, double lx, double ly) {
    double v = 1.3;
    for (int q = 0; q < nw; q++)
        v += w[q].amp * cos(2 * PI * (w[q].fx * x / lx + w[q].fy * y / ly) + w[q].phase);
    return v;
}

static cz_sim_detector *make_det(const cz_sim_detector_opts *o, size_t nx, size_t ny, double dx,
                                 double dy) {
    cz_sim_detector *d = NULL;
    cz_status st = cz_sim_detector_create(o, nx, ny, dx, dy, &d);
    CZ_CHECK(st == CZ_OK, "create: %s", cz_sim_last_error());
    return d;
}

static void test_resampling(void) {
    size_t nx = 96, ny = 80;
    double dx = 0.1372, dy = 0.1513, lx = nx * dx, ly = ny * dy;
    /* Includes the input Nyquist along y (fy = 40, phase 0: real) and along x (fx = 48). */
    const wave2 w[6] = {{3, 1, 0.4, 0.3},   {-7, 5, 0.25, 1.1}, {12, -9, 0.2, -0.7},
                        {0, 40, 0.15, 0.0}, {48, 0, 0.1, 0.0},  {29, 33, 0.12, 2.2}};
    double *in = malloc(nx * ny * sizeof *in);
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) in[j * nx + i] = pattern(w, 6, i * dx, j * dy, lx, ly);
    /* Up: 150 × 128 (odd and even), then back down. */
    cz_sim_detector_opts o;
    cz_sim_detector_opts_default(&o);
    o.nx = 150;
    o.ny = 128;
    cz_sim_detector *up = make_det(&o, nx, ny, dx, dy);
    cz_sim_detector_grid g;
    CZ_CHECK(cz_sim_detector_geometry(up, &g) == CZ_OK && g.nx == 150 && g.ny == 128 &&
                 g.in_len == nx * ny && g.out_len == 150 * 128,
             "geometry");
    CZ_CHECK_CLOSE(g.dx, lx / 150, 1e-12, "camera dx keeps the field of view");
    double *mid = malloc(g.out_len * sizeof *mid), *back = malloc(nx * ny * sizeof *back);
    CZ_CHECK(cz_sim_detector_image(up, 0, in, nx * ny, mid, g.out_len) == CZ_OK, "%s",
             cz_sim_last_error());
    /* Zero padding evaluates the trigonometric polynomial at the camera pixels. */
    double err_up = 0;
    for (size_t j = 0; j < g.ny; j++)
        for (size_t i = 0; i < g.nx; i++)
            err_up =
                fmax(err_up, fabs(mid[j * g.nx + i] - pattern(w, 6, i * g.dx, j * g.dy, lx, ly)));
    cz_sim_detector_opts od;
    cz_sim_detector_opts_default(&od);
    od.nx = nx;
    od.ny = ny;
    cz_sim_detector *down = make_det(&od, g.nx, g.ny, g.dx, g.dy);
    cz_sim_detector_image(down, 0, mid, g.out_len, back, nx * ny);
    double err_rt = 0;
    for (size_t i = 0; i < nx * ny; i++) err_rt = fmax(err_rt, fabs(back[i] - in[i]));
    printf("info: resampling 96x80 -> 150x128: max error vs analytic %.2e; and back: %.2e\n",
           err_up, err_rt);
    CZ_CHECK(err_up < 2e-6, "upsampled pattern vs analytic: %g", err_up);
    CZ_CHECK(err_rt < 2e-6, "up then down must return the pattern: %g", err_rt);
    /* Cropping to 51 × 48 keeps the frequencies below the new Nyquist exactly; the pixel size
     * route: pixel_size = L/51 along x gives 51 pixels. */
    const wave2 lo[3] = {{3, 1, 0.4, 0.3}, {-7, 5, 0.25, 1.1}, {12, -9, 0.2, -0.7}};
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) in[j * nx + i] = pattern(lo, 3, i * dx, j * dy, lx, ly);
    cz_sim_detector_opts oc;
    cz_sim_detector_opts_default(&oc);
    oc.pixel_size = lx / 51.0 * 1.004;
    oc.ny = 48;
    cz_sim_detector *crop = make_det(&oc, nx, ny, dx, dy);
    cz_sim_detector_geometry(crop, &g);
    CZ_CHECK(g.nx == 51 && g.ny == 48, "camera grid from pixel_size: %zu x %zu", g.nx, g.ny);
    cz_sim_detector_image(crop, 0, in, nx * ny, mid, g.out_len);
    double err_c = 0, mean = 0;
    for (size_t j = 0; j < g.ny; j++)
        for (size_t i = 0; i < g.nx; i++) {
            err_c =
                fmax(err_c, fabs(mid[j * g.nx + i] - pattern(lo, 3, i * g.dx, j * g.dy, lx, ly)));
            mean += mid[j * g.nx + i] / g.out_len;
        }
    printf("info: crop 96x80 -> 51x48: max error vs analytic %.2e\n", err_c);
    CZ_CHECK(err_c < 2e-6, "cropped band-limited pattern vs analytic: %g", err_c);
    CZ_CHECK(fabs(mean - 1.3) < 1e-6, "mean preserved: %g", mean);
    /* Identity: same grid, nothing to do: exact copy. */
    cz_sim_detector_opts oi;
    cz_sim_detector_opts_default(&oi);
    cz_sim_detector *id = make_det(&oi, nx, ny, dx, dy);
    cz_sim_detector_image(id, 0, in, nx * ny, back, nx * ny);
    CZ_CHECK(memcmp(back, in, nx * ny * sizeof *in) == 0, "identity camera copies the image");
    cz_sim_detector_destroy(up);
    cz_sim_detector_destroy(down);
    cz_sim_detector_destroy(crop);
    cz_sim_detector_destroy(id);
    free(in);
    free(mid);
    free(back);
}

static void test_mtf(void) {
    size_t nx = 64, ny = 72;
    double dx = 0.21, dy = 0.19;
    double *in = malloc(nx * ny * sizeof *in), *out = malloc(nx * ny * sizeof *out);
    int fx = 11, fy = 7; /* q = sqrt((2·11/64)² + (2·7/72)²) */
    double q = sqrt(pow(2.0 * fx / nx, 2) + pow(2.0 * fy / ny, 2));
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++)
            in[j * nx + i] = 2.0 + 0.5 * cos(2 * PI * (fx * (double)i / nx + fy * (double)j / ny));
    for (int form = 1; form <= 2; form++) {
        cz_sim_detector_opts o;
        cz_sim_detector_opts_default(&o);
        o.mtf = (cz_sim_mtf)form;
        o.mtf_q0 = 0.37;
        o.mtf_floor = 0.08;
        cz_sim_detector *d = make_det(&o, nx, ny, dx, dy);
        cz_sim_detector_image(d, 0, in, nx * ny, out, nx * ny);
        double x = q / 0.37;
        double want = form == 1 ? 0.92 / (1 + x * x) + 0.08 : 0.92 * exp(-0.5 * x * x) + 0.08;
        /* Amplitude of the cosine by projection, and the mean. */
        double c = 0, m = 0;
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                c += out[j * nx + i] * cos(2 * PI * (fx * (double)i / nx + fy * (double)j / ny));
                m += out[j * nx + i];
            }
        c = 2 * c / (nx * ny) / 0.5;
        m /= nx * ny;
        printf("info: MTF form %d at q = %.4f: %.6f (want %.6f)\n", form, q, c, want);
        CZ_CHECK(fabs(c - want) < 1e-6, "MTF form %d: %g vs %g", form, c, want);
        CZ_CHECK(fabs(m - 2.0) < 1e-6, "MTF(0) = 1: mean %g", m);
        cz_sim_detector_destroy(d);
    }
    free(in);
    free(out);
}

/* Poisson pmf by recurrence in logs. */
static double pmf(double lam, int k) {
    double l = -lam;
    for (int j = 1; j <= k; j++) l += log(lam / j);
    return exp(l);
}

static void test_noise(void) {
    size_t n = 512;
    double dx = 0.125, dy = 0.125, area = dx * dy, inten = 0.83;
    double *in = malloc(n * n * sizeof *in), *out = malloc(n * n * sizeof *out),
           *out2 = malloc(n * n * sizeof *out2);
    for (size_t i = 0; i < n * n; i++) in[i] = inten;
    const double lams[7] = {0.3, 2.7, 9.9, 10.4, 37.0, 412.0, 25000.0};
    for (int t = 0; t < 7; t++) {
        double lam = lams[t];
        cz_sim_detector_opts o;
        cz_sim_detector_opts_default(&o);
        o.dose_e_per_a2 = lam / (inten * area);
        o.seed = 77 + t;
        cz_sim_detector *d = make_det(&o, n, n, dx, dy);
        cz_sim_detector_image(d, 5, in, n * n, out, n * n);
        double s1 = 0, s2 = 0;
        int integer = 1;
        for (size_t i = 0; i < n * n; i++) {
            s1 += out[i];
            integer &= out[i] == floor(out[i]) && out[i] >= 0;
        }
        double mean = s1 / (n * n);
        for (size_t i = 0; i < n * n; i++) s2 += (out[i] - mean) * (out[i] - mean);
        double var = s2 / (n * n - 1);
        double N = (double)(n * n);
        /* 5-sigma bounds: sd(mean) = sqrt(λ/N), sd(var) ≈ sqrt((2λ² + λ)/N). */
        CZ_CHECK(fabs(mean - lam) < 5 * sqrt(lam / N), "lambda %g: mean %g", lam, mean);
        CZ_CHECK(fabs(var - lam) < 5 * sqrt((2 * lam * lam + lam) / N), "lambda %g: variance %g",
                 lam, var);
        CZ_CHECK(integer, "lambda %g: counts must be integers >= 0", lam);
        /* Histogram against the pmf (chi-square over bins expecting >= 50 counts). */
        double chi2 = 0;
        int dof = 0;
        if (lam < 1000) {
            int kmax = (int)(lam + 10 * sqrt(lam) + 10);
            double *hist = calloc((size_t)kmax + 1, sizeof *hist);
            for (size_t i = 0; i < n * n; i++)
                if (out[i] <= kmax) hist[(int)out[i]] += 1;
            for (int k = 0; k <= kmax; k++) {
                double e = N * pmf(lam, k);
                if (e < 50) continue;
                chi2 += (hist[k] - e) * (hist[k] - e) / e;
                dof++;
            }
            free(hist);
            /* Mean dof, sd sqrt(2 dof): allow 5 sd. */
            CZ_CHECK(chi2 < dof + 5 * sqrt(2.0 * dof) + 5, "lambda %g: chi2 %g for %d bins", lam,
                     chi2, dof);
        }
        printf("info: Poisson lambda %-7g mean %.5g var %.5g chi2 %.1f/%d bins\n", lam, mean, var,
               chi2, dof);
        /* Same frame: same bytes; another frame: other counts. */
        cz_sim_detector_image(d, 5, in, n * n, out2, n * n);
        CZ_CHECK(memcmp(out, out2, n * n * sizeof *out) == 0, "same frame, same bytes");
        cz_sim_detector_image(d, 6, in, n * n, out2, n * n);
        size_t same = 0;
        for (size_t i = 0; i < n * n; i++) same += out[i] == out2[i];
        CZ_CHECK(same < n * n * 0.75, "frames 5 and 6 agree in %zu pixels", same);
        cz_sim_detector_destroy(d);
    }
    /* Read noise adds σ² to the variance; CZ_SIM_DET_INTEGER rounds and clips. */
    {
        cz_sim_detector_opts o;
        cz_sim_detector_opts_default(&o);
        double lam = 6.2, rn = 2.3;
        o.dose_e_per_a2 = lam / (inten * area);
        o.read_noise = rn;
        cz_sim_detector *d = make_det(&o, n, n, dx, dy);
        cz_sim_detector_image(d, 1, in, n * n, out, n * n);
        double s1 = 0, s2 = 0;
        int nonint = 0;
        for (size_t i = 0; i < n * n; i++) s1 += out[i], nonint |= out[i] != floor(out[i]);
        double mean = s1 / (n * n);
        for (size_t i = 0; i < n * n; i++) s2 += (out[i] - mean) * (out[i] - mean);
        double var = s2 / (n * n - 1), N = (double)(n * n), want = lam + rn * rn;
        CZ_CHECK(fabs(mean - lam) < 5 * sqrt(want / N), "read noise: mean %g", mean);
        CZ_CHECK(fabs(var - want) < 5 * want * sqrt(2.0 / N) + 0.05, "read noise: var %g (want %g)",
                 var, want);
        CZ_CHECK(nonint, "read noise makes counts non-integer");
        printf("info: read noise 2.3: mean %.4f var %.4f (want %.4f)\n", mean, var, want);
        cz_sim_detector_destroy(d);
        o.flags = CZ_SIM_DET_INTEGER;
        d = make_det(&o, n, n, dx, dy);
        cz_sim_detector_image(d, 1, in, n * n, out2, n * n);
        int ok = 1;
        for (size_t i = 0; i < n * n; i++)
            ok &= out2[i] == floor(out2[i]) && out2[i] >= 0 &&
                  fabs(out2[i] - fmax(0.0, out[i])) <= 0.5 + 1e-12;
        CZ_CHECK(ok, "integer output: rounded, clipped at 0");
        cz_sim_detector_destroy(d);
        o.flags = CZ_SIM_DET_NOISELESS;
        d = make_det(&o, n, n, dx, dy);
        cz_sim_detector_image(d, 1, in, n * n, out2, n * n);
        CZ_CHECK_CLOSE(out2[123], lam, 1e-12, "noiseless output is the expected count");
        cz_sim_detector_destroy(d);
    }
    free(in);
    free(out);
    free(out2);
}

/* Labelled disc and checkerboard through a distorting, resampling camera. */
static void test_distortion(void) {
    size_t nx = 200, ny = 160;
    double dx = 0.1, dy = 0.1, cx = 8.3, cy = 6.1, rad = 3.0;
    double *img = malloc(nx * ny * sizeof *img);
    int *lab = malloc(nx * ny * sizeof *lab);
    uint8_t *mask = malloc(2 * nx * ny);
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            double r = hypot(i * dx - cx, j * dy - cy);
            img[j * nx + i] = 1.0 + 0.8 * 0.5 * (1 - tanh((r - rad) / 0.2));
            lab[j * nx + i] = r <= rad ? 7 : 0;
            mask[j * nx + i] = r <= rad;
            mask[nx * ny + j * nx + i] = r > rad;
        }
    cz_sim_detector_opts o;
    cz_sim_detector_opts_default(&o);
    o.pixel_size = 0.13;
    o.affine[0][0] = 1.03;
    o.affine[0][1] = 0.02;
    o.affine[1][0] = -0.015;
    o.affine[1][1] = 0.98;
    o.shift[0] = 0.4;
    o.shift[1] = -0.3;
    o.radial_k1 = 0.05;
    cz_sim_detector *d = make_det(&o, nx, ny, dx, dy);
    cz_sim_detector_grid g;
    cz_sim_detector_geometry(d, &g);
    double *oimg = malloc(g.out_len * sizeof *oimg);
    int *olab = malloc(g.out_len * sizeof *olab);
    uint8_t *omask = malloc(2 * g.out_len);
    CZ_CHECK(cz_sim_detector_image(d, 0, img, nx * ny, oimg, g.out_len) == CZ_OK, "%s",
             cz_sim_last_error());
    CZ_CHECK(cz_sim_detector_labels(d, sizeof(int), 1, lab, nx * ny * sizeof(int), olab,
                                    g.out_len * sizeof(int)) == CZ_OK,
             "%s", cz_sim_last_error());
    CZ_CHECK(cz_sim_detector_labels(d, 1, 2, mask, 2 * nx * ny, omask, 2 * g.out_len) == CZ_OK,
             "%s", cz_sim_last_error());
    double wi = 0, xi = 0, yi = 0, wl = 0, xl = 0, yl = 0;
    int consistent = 1;
    for (size_t j = 0; j < g.ny; j++)
        for (size_t i = 0; i < g.nx; i++) {
            size_t p = j * g.nx + i;
            double v = oimg[p] - 1.0;
            wi += v, xi += v * i, yi += v * j;
            if (olab[p] == 7) wl += 1, xl += i, yl += j;
            consistent &= omask[p] == (olab[p] == 7) && omask[g.out_len + p] == (olab[p] != 7);
        }
    xi /= wi, yi /= wi, xl /= wl, yl /= wl;
    /* Where the undistorted camera would put the disc centre. */
    double ux = cx / g.dx, uy = cy / g.dy;
    printf(
        "info: disc centroid (camera px): image (%.3f, %.3f), mask (%.3f, %.3f), undistorted "
        "(%.3f, %.3f)\n",
        xi, yi, xl, yl, ux, uy);
    CZ_CHECK(hypot(xi - xl, yi - yl) < 0.15, "image and mask centroids differ by %g px",
             hypot(xi - xl, yi - yl));
    CZ_CHECK(hypot(xi - ux, yi - uy) > 2.0, "the distortion must move the disc (moved %g px)",
             hypot(xi - ux, yi - uy));
    CZ_CHECK(consistent, "uint8 masks and int labels follow the same mapping");
    /* Checkerboard of 1.6 Å squares through a distortion on the same grid: the interpolated image
     * thresholded at 0.5 agrees with the nearest-neighbour labels except at square edges. */
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            int c = ((i / 16) + (j / 16)) % 2;
            img[j * nx + i] = c;
            lab[j * nx + i] = c + 1;
        }
    cz_sim_detector_opts o2 = o;
    o2.pixel_size = 0;
    cz_sim_detector *d2 = make_det(&o2, nx, ny, dx, dy);
    double *oimg2 = malloc(nx * ny * sizeof *oimg2);
    int *olab2 = malloc(nx * ny * sizeof *olab2);
    cz_sim_detector_image(d2, 0, img, nx * ny, oimg2, nx * ny);
    cz_sim_detector_labels(d2, sizeof(int), 1, lab, nx * ny * sizeof(int), olab2,
                           nx * ny * sizeof(int));
    size_t mism = 0, moved = 0;
    for (size_t p = 0; p < nx * ny; p++) {
        mism += (oimg2[p] > 0.5) != (olab2[p] == 2);
        moved += olab2[p] != lab[p];
    }
    printf("info: checkerboard: %.2f %% of pixels disagree (image vs labels), %.1f %% relabelled\n",
           100.0 * mism / (nx * ny), 100.0 * moved / (nx * ny));
    CZ_CHECK(mism < nx * ny / 100, "checkerboard: %zu of %zu pixels disagree", mism, nx * ny);
    CZ_CHECK(moved > nx * ny / 10, "checkerboard: the distortion must relabel pixels (%zu)", moved);
    /* Identity geometry: labels copied exactly. */
    cz_sim_detector_opts oi;
    cz_sim_detector_opts_default(&oi);
    cz_sim_detector *di = make_det(&oi, nx, ny, dx, dy);
    cz_sim_detector_labels(di, sizeof(int), 1, lab, nx * ny * sizeof(int), olab2,
                           nx * ny * sizeof(int));
    CZ_CHECK(memcmp(olab2, lab, nx * ny * sizeof(int)) == 0, "identity labels");

    /* Determinism over threads for the whole pipeline (distortion, resampling, MTF, noise). */
    cz_sim_detector_opts on = o;
    on.mtf = CZ_SIM_MTF_LORENTZIAN;
    on.dose_e_per_a2 = 120.0;
    on.read_noise = 0.7;
    on.nthreads = 1;
    cz_sim_detector *t1 = make_det(&on, nx, ny, dx, dy);
    on.nthreads = 2;
    cz_sim_detector *t2 = make_det(&on, nx, ny, dx, dy);
    double *r1 = malloc(g.out_len * sizeof *r1), *r2 = malloc(g.out_len * sizeof *r2);
    cz_sim_detector_image(t1, 9, img, nx * ny, r1, g.out_len);
    cz_sim_detector_image(t2, 9, img, nx * ny, r2, g.out_len);
    CZ_CHECK(memcmp(r1, r2, g.out_len * sizeof *r1) == 0, "1 and 2 threads: identical bytes");

    /* Errors. */
    cz_sim_detector *bad = (cz_sim_detector *)&o;
    cz_sim_detector_opts e;
#define BAD_OPTS(field, value, needle)                                                       \
    do {                                                                                     \
        cz_sim_detector_opts_default(&e);                                                    \
        e.field = value;                                                                     \
        CZ_CHECK_FAILS(cz_sim_detector_create(&e, nx, ny, dx, dy, &bad), CZ_EINVAL, needle); \
        CZ_CHECK(bad == NULL, "out set to NULL on failure");                                 \
    } while (0)
    BAD_OPTS(pixel_size, -1.0, "pixel_size");
    BAD_OPTS(mtf, (cz_sim_mtf)9, "MTF");
    cz_sim_detector_opts_default(&e);
    e.mtf = CZ_SIM_MTF_GAUSSIAN;
    e.mtf_q0 = 0.0;
    CZ_CHECK_FAILS(cz_sim_detector_create(&e, nx, ny, dx, dy, &bad), CZ_EINVAL, "mtf_q0");
    e.mtf_q0 = 0.5;
    e.mtf_floor = 1.0;
    CZ_CHECK_FAILS(cz_sim_detector_create(&e, nx, ny, dx, dy, &bad), CZ_EINVAL, "mtf_floor");
    BAD_OPTS(dose_e_per_a2, -3.0, "dose_e_per_a2");
    BAD_OPTS(read_noise, 1.0, "needs a dose");
    BAD_OPTS(flags, CZ_SIM_DET_INTEGER, "need a dose");
    BAD_OPTS(flags, 1u << 9, "unknown flags");
    BAD_OPTS(radial_k1, INFINITY, "distortion");
    BAD_OPTS(nthreads, -2, "nthreads");
    BAD_OPTS(nx, 1, "2 pixels");
    cz_sim_detector_opts_default(&e);
    CZ_CHECK_FAILS(cz_sim_detector_create(&e, 1, ny, dx, dy, &bad), CZ_EINVAL, "input grid");
    CZ_CHECK_FAILS(cz_sim_detector_create(&e, nx, ny, 0.0, dy, &bad), CZ_EINVAL, "pixel size");
    CZ_CHECK_FAILS(cz_sim_detector_create(&e, (size_t)1 << 14, (size_t)1 << 13, dx, dy, &bad),
                   CZ_ERANGE, "2^26");
    e.pixel_size = 1e-6;
    CZ_CHECK_FAILS(cz_sim_detector_create(&e, nx, ny, dx, dy, &bad), CZ_ERANGE, "2^26");
    CZ_CHECK_FAILS(cz_sim_detector_create(&e, nx, ny, dx, dy, NULL), CZ_EINVAL, "out");
    CZ_CHECK_FAILS(cz_sim_detector_image(d, 0, NULL, nx * ny, oimg, g.out_len), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_sim_detector_image(d, 0, img, nx * ny - 1, oimg, g.out_len), CZ_ERANGE,
                   "in holds");
    oimg[0] = -5;
    CZ_CHECK_FAILS(cz_sim_detector_image(d, 0, img, nx * ny, oimg, g.out_len - 1), CZ_ERANGE,
                   "out holds");
    CZ_CHECK(oimg[0] == -5, "nothing written on CZ_ERANGE");
    img[777] = NAN;
    CZ_CHECK_FAILS(cz_sim_detector_image(d, 0, img, nx * ny, oimg, g.out_len), CZ_EINVAL,
                   "pixel 777");
    CZ_CHECK_FAILS(cz_sim_detector_labels(d, 0, 1, lab, nx * ny * 4, olab, g.out_len * 4),
                   CZ_EINVAL, "elem_size");
    CZ_CHECK_FAILS(cz_sim_detector_labels(d, 4, 1, lab, nx * ny * 4 - 1, olab, g.out_len * 4),
                   CZ_ERANGE, "in holds");
    CZ_CHECK_FAILS(cz_sim_detector_labels(d, 4, 2, lab, nx * ny * 8, olab, g.out_len * 4),
                   CZ_ERANGE, "out holds");
    CZ_CHECK_FAILS(cz_sim_detector_geometry(NULL, &g), CZ_EINVAL, "NULL");
    cz_sim_detector_destroy(NULL);

    cz_sim_detector_destroy(d);
    cz_sim_detector_destroy(d2);
    cz_sim_detector_destroy(di);
    cz_sim_detector_destroy(t1);
    cz_sim_detector_destroy(t2);
    free(img);
    free(lab);
    free(mask);
    free(oimg);
    free(olab);
    free(omask);
    free(oimg2);
    free(olab2);
    free(r1);
    free(r2);
}

int main(void) {
    test_resampling();
    test_mtf();
    test_noise();
    test_distortion();
    return cz_test_summary("sim_detector");
}
