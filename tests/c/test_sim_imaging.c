/* test_sim_imaging.c — CTF imaging from a stored exit wave: weak-phase sign test (Scherzer,
 * Cs > 0 dark columns, Cs < 0 bright), perfect lens, vacuum, envelopes, errors, and the fast path
 * against a plain double-precision reference over random lenses. */
#include <stdint.h>

#include "cz/cz_sim.h"
#include "cz_test.h"
#include "sim_ref.h"

/* ---- A straightforward double-precision reference of cz_sim_image --------------------------
 * Direct DFTs, χ and its gradient in polar form term by term (as written in cz_sim.h), libm
 * everywhere. Used to check the fast path (polynomial χ, vectorised kernels, float FFTs) to
 * float rounding over random lenses. */

static const double PI = 3.14159265358979323846;

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static double urand(void) { return ref_urand(&rng_state); }

/* cz_sim_image of wave w by the reference: pixels with k² <= klim² (klim = min(kcut, ap/λ)). */
static void ref_image(const cz_sim_ctf *ctf, const float *w, size_t nx, size_t ny, double lx,
                      double ly, double lam, double kcut, double *img) {
    double *a = malloc(2 * nx * ny * sizeof *a);
    for (size_t i = 0; i < 2 * nx * ny; i++) a[i] = w[i];
    ref_dft2(a, nx, ny, -1);
    double klim = kcut, ap = ctf->aperture_mrad * 1e-3;
    if (ap > 0 && ap / lam < klim) klim = ap / lam;
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            double kx = (i < (nx + 1) / 2 ? (double)i : (double)i - (double)nx) / lx;
            double ky = (j < (ny + 1) / 2 ? (double)j : (double)j - (double)ny) / ly;
            double *v = a + 2 * (j * nx + i), hr = 0, hi = 0;
            if (kx * kx + ky * ky <= klim * klim)
                ref_transfer(ctf, ctf->c[1][0], lam, kx, ky, &hr, &hi);
            double vr = v[0] * hr - v[1] * hi, vi = v[0] * hi + v[1] * hr;
            v[0] = vr, v[1] = vi;
        }
    ref_dft2(a, nx, ny, +1);
    for (size_t i = 0; i < nx * ny; i++) img[i] = a[2 * i] * a[2 * i] + a[2 * i + 1] * a[2 * i + 1];
    free(a);
}

/* A random lens whose phase at the band edge α_max is up to ~40 rad per term (all 14
 * aberrations, random azimuths), with a random aperture (none, or 0.4–1.2 α_max, with or
 * without taper) and random envelopes (none, or damping exp(−3·u) at the edge). */
static void random_ctf(cz_sim_ctf *c, double lam, double amax) {
    static const int nm[14][2] = {{1, 0}, {1, 2}, {2, 1}, {2, 3}, {3, 0}, {3, 2}, {3, 4},
                                  {4, 1}, {4, 3}, {4, 5}, {5, 0}, {5, 2}, {5, 4}, {5, 6}};
    cz_sim_ctf_default(c);
    for (int k = 0; k < 14; k++) {
        int n = nm[k][0], m = nm[k][1];
        double phase = 40.0 * (urand() - 0.5) * 2.0;
        c->c[n][m] = phase * (n + 1) / (2.0 * PI / lam * pow(amax, n + 1));
        c->phi_deg[n][m] = 360.0 * urand() - 180.0;
    }
    if (urand() < 0.6) {
        c->aperture_mrad = (0.4 + 0.8 * urand()) * amax * 1e3;
        if (urand() < 0.6) c->aperture_taper_mrad = 0.3 * urand() * c->aperture_mrad;
    }
    if (urand() < 0.6) c->focal_spread = sqrt(3.0 * urand()) / (0.5 * PI / lam * amax * amax);
    /* |∇χ| is of order 40·(n+1)/α_max per term. */
    if (urand() < 0.6) c->convergence_mrad = 2.0 * sqrt(3.0 * urand()) / (200.0 / amax) * 1e3;
}

static double rel_max_diff(const double *a, const double *b, size_t n) {
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) d = fmax(d, fabs(a[i] - b[i])), m = fmax(m, fabs(b[i]));
    return d / m;
}

/* The fast path against the reference over random lenses, one plan imaging them one after the
 * other from its cached spectrum (so any state kept between calls is exercised: defocus-only
 * changes, then changes of every other field), each result also compared bit for bit with a
 * fresh plan's (a result must not depend on what the plan imaged before), and 1 vs 2 threads. */
static void test_reference(void) {
    size_t nx = 48, ny = 40;
    double lx = 7.37, ly = 6.11;
    cz_sim_opts o;
    cz_sim_opts_default(&o);
    o.nx = nx, o.ny = ny;
    o.flags = CZ_SIM_FFTW_ESTIMATE;
    o.wisdom_path = "";
    o.nthreads = 1;
    double cell[3][3] = {{lx, 0, 0}, {0, ly, 0}, {0, 0, 3.3}};
    cz_sim_plan *p = NULL, *p2 = NULL;
    CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
    o.nthreads = 2;
    CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p2) == CZ_OK, "%s", cz_sim_last_error());
    o.nthreads = 1;
    if (!p || !p2) return;
    cz_sim_info info;
    cz_sim_plan_info(p, &info);
    size_t npix = nx * ny;
    float *w = malloc(2 * npix * sizeof *w);
    for (size_t i = 0; i < npix; i++) {
        double a = 1.0 + 0.4 * (urand() - 0.5), ph = 0.8 * (urand() - 0.5);
        w[2 * i] = (float)(a * cos(ph)), w[2 * i + 1] = (float)(a * sin(ph));
    }
    double *img = malloc(npix * sizeof *img), *ref = malloc(npix * sizeof *ref);
    double *fresh = malloc(npix * sizeof *fresh);
    double lam = info.wavelength, kcut = info.kmax_antialias, amax = lam * kcut;
    CZ_CHECK(cz_sim_image(p, NULL, w, info.wave_len, img, npix) == CZ_OK, "%s",
             cz_sim_last_error());
    double worst = 0;
    int same_fresh = 1, same_threads = 1, ntrial = 0;
    cz_sim_ctf c;
    for (int trial = 0; trial < 12; trial++) {
        random_ctf(&c, lam, amax);
        /* Per lens: itself, two other defocus values, then one other field changed at a time. */
        for (int step = 0; step < 10; step++) {
            switch (step) {
                case 1: c.c[1][0] += 37.3; break;
                case 2: c.c[1][0] *= -0.61; break;
                case 3: c.c[3][0] *= 1.3; break;
                case 4: c.phi_deg[1][2] += 23.0; break;
                case 5: c.c[5][6] = c.c[5][6] ? 0.0 : 1e9; break;
                case 6: c.aperture_mrad = c.aperture_mrad ? 0.0 : 0.8 * amax * 1e3; break;
                case 7: c.aperture_taper_mrad = c.aperture_mrad * 0.21; break;
                case 8: c.focal_spread = c.focal_spread ? 0.0 : 25.0; break;
                case 9: c.convergence_mrad = c.convergence_mrad ? 0.0 : 0.4; break;
                default: break;
            }
            CZ_CHECK(cz_sim_image(p, &c, NULL, 0, img, npix) == CZ_OK, "%s", cz_sim_last_error());
            ref_image(&c, w, nx, ny, lx, ly, lam, kcut, ref);
            worst = fmax(worst, rel_max_diff(img, ref, npix));
            ntrial++;
            if (step % 3 == 0) {
                cz_sim_plan *q = NULL;
                cz_sim_plan_create(&o, CZ_CROWS(cell), &q);
                if (q) cz_sim_image(q, &c, w, info.wave_len, fresh, npix);
                same_fresh &= q && memcmp(img, fresh, npix * sizeof *img) == 0;
                cz_sim_plan_destroy(q);
                cz_sim_image(p2, &c, w, info.wave_len, fresh, npix);
                same_threads &= memcmp(img, fresh, npix * sizeof *img) == 0;
            }
        }
    }
    printf("info: fast cz_sim_image vs double reference, %d lenses: max |diff| / max I = %.2e\n",
           ntrial, worst);
    CZ_CHECK(worst < 2e-6, "cz_sim_image vs double reference: %g", worst);
    CZ_CHECK(same_fresh, "a lens must image to the same bytes whatever the plan imaged before");
    CZ_CHECK(same_threads, "1 and 2 threads must give identical bytes");
    /* |χ| beyond 1e6 rad at the band edge: the scalar path (libm sine). */
    cz_sim_ctf_default(&c);
    c.c[5][0] = 6 * 3e6 / (2.0 * PI / lam * pow(amax, 6));
    c.c[1][2] = 20.0, c.phi_deg[1][2] = 11.0;
    c.focal_spread = 9.0;
    CZ_CHECK(cz_sim_image(p, &c, NULL, 0, img, npix) == CZ_OK, "%s", cz_sim_last_error());
    ref_image(&c, w, nx, ny, lx, ly, lam, kcut, ref);
    double big = rel_max_diff(img, ref, npix);
    printf("info: |chi| up to 3e6 rad (scalar path): max |diff| / max I = %.2e\n", big);
    CZ_CHECK(big < 1e-5, "cz_sim_image with |chi| > 1e6 vs double reference: %g", big);
    free(w);
    free(img);
    free(ref);
    free(fresh);
    cz_sim_plan_destroy(p);
    cz_sim_plan_destroy(p2);
}

int main(void) {
    /* A weak phase object: a column of two C atoms at the centre of a 12.8 Å cell. */
    cz_sim_opts o;
    cz_sim_opts_default(&o);
    o.nx = o.ny = 256;
    o.flags = CZ_SIM_FFTW_ESTIMATE;
    o.wisdom_path = "";
    double cell[3][3] = {{12.8, 0, 0}, {0, 12.8, 0}, {0, 0, 4.0}};
    cz_sim_plan *p;
    CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
    double xyz[2][3] = {{6.4, 6.4, 1.0}, {6.4, 6.4, 3.0}};
    int z[2] = {6, 6};
    cz_sim_set_atoms(p, 2, CZ_CROWS(xyz), z);
    cz_sim_info info;
    cz_sim_plan_info(p, &info);
    float *w = malloc(info.wave_len * sizeof *w), *vac = malloc(info.wave_len * sizeof *vac);
    double *img = malloc(info.image_len * sizeof *img);
    CZ_CHECK(cz_sim_run(p, w, info.wave_len) == CZ_OK, "run");
    size_t centre = 128 * 256 + 128;

    /* Perfect lens: the image is |ψ|². */
    CZ_CHECK(cz_sim_image(p, NULL, w, info.wave_len, img, info.image_len) == CZ_OK, "%s",
             cz_sim_last_error());
    double maxd = 0;
    for (size_t i = 0; i < info.image_len; i++)
        maxd = fmax(maxd, fabs(img[i] - ((double)w[2 * i] * w[2 * i] + (double)w[2 * i + 1] * w[2 * i + 1])));
    CZ_CHECK(maxd < 1e-5, "perfect lens differs from |psi|^2 by %g", maxd);

    /* Sign test. Scherzer conditions for Cs = ±1.2 mm with an aperture at the Scherzer limit
     * (6λ/Cs)^(1/4) ≈ 10 mrad. */
    double mean_img = 0, contrast[2];
    for (int sgn = 0; sgn < 2; sgn++) {
        double cs = sgn ? -1.2e7 : 1.2e7, df;
        cz_sim_scherzer_defocus(300e3, cs, &df);
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = -df; /* defocus = −C10 */
        ctf.c[3][0] = cs;
        ctf.aperture_mrad = 10.0;
        CZ_CHECK(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len) == CZ_OK, "%s",
                 cz_sim_last_error());
        mean_img = 0;
        for (size_t i = 0; i < info.image_len; i++) mean_img += img[i];
        mean_img /= (double)info.image_len;
        contrast[sgn] = img[centre] - mean_img;
    }
    CZ_CHECK(contrast[0] < -0.01, "Cs > 0 at Scherzer: column must be dark (I - <I> = %g)", contrast[0]);
    CZ_CHECK(contrast[1] > 0.01, "Cs < 0 at Scherzer: column must be bright (I - <I> = %g)", contrast[1]);
    printf("info: column contrast at Scherzer: Cs>0 %+.4f, Cs<0 %+.4f\n", contrast[0], contrast[1]);

    /* Envelopes only damp: the contrast at the column shrinks with focal spread and convergence. */
    {
        double df;
        cz_sim_scherzer_defocus(300e3, 1.2e7, &df);
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = -df;
        ctf.c[3][0] = 1.2e7;
        ctf.aperture_mrad = 10.0;
        ctf.focal_spread = 40.0;
        ctf.convergence_mrad = 0.5;
        cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len);
        double m = 0;
        for (size_t i = 0; i < info.image_len; i++) m += img[i];
        m /= (double)info.image_len;
        double c = img[centre] - m;
        CZ_CHECK(c < 0 && fabs(c) < fabs(contrast[0]), "damped contrast %g vs %g", c, contrast[0]);
        /* A soft aperture edge is accepted and gives a finite image. */
        ctf.aperture_taper_mrad = 1.0;
        CZ_CHECK(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len) == CZ_OK, "soft");
        int finite = 1;
        for (size_t i = 0; i < info.image_len; i++) finite &= isfinite(img[i]) && img[i] >= 0;
        CZ_CHECK(finite, "finite, non-negative image");
        /* All 14 aberrations at once (high-entropy values) give a finite image. */
        cz_sim_ctf all;
        cz_sim_ctf_default(&all);
        const int nm[14][2] = {{1, 0}, {1, 2}, {2, 1}, {2, 3}, {3, 0}, {3, 2}, {3, 4},
                               {4, 1}, {4, 3}, {4, 5}, {5, 0}, {5, 2}, {5, 4}, {5, 6}};
        for (int k = 0; k < 14; k++) {
            all.c[nm[k][0]][nm[k][1]] = 13.7 * pow(731.0, nm[k][0] - 1) * (k % 2 ? -1 : 1);
            all.phi_deg[nm[k][0]][nm[k][1]] = 17.3 * k;
        }
        CZ_CHECK(cz_sim_image(p, &all, w, info.wave_len, img, info.image_len) == CZ_OK, "%s",
                 cz_sim_last_error());
        finite = 1;
        for (size_t i = 0; i < info.image_len; i++) finite &= isfinite(img[i]) && img[i] >= 0;
        CZ_CHECK(finite, "finite image with all aberrations");
    }

    /* Vacuum: any aberration leaves a plane wave at intensity 1. */
    for (size_t i = 0; i < info.image_len; i++) vac[2 * i] = 1.0f, vac[2 * i + 1] = 0.0f;
    {
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = 123.4;
        ctf.c[3][0] = 2.2e7;
        ctf.c[2][3] = 5e3;
        ctf.phi_deg[2][3] = 33;
        ctf.aperture_mrad = 21.0;
        cz_sim_image(p, &ctf, vac, info.wave_len, img, info.image_len);
        maxd = 0;
        for (size_t i = 0; i < info.image_len; i++) maxd = fmax(maxd, fabs(img[i] - 1.0));
        CZ_CHECK(maxd < 1e-5, "vacuum image deviates by %g", maxd);
    }

    /* Errors. */
    {
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[2][0] = 10.0; /* n + m even: not an aberration */
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "C20");
        cz_sim_ctf_default(&ctf);
        ctf.c[1][4] = 10.0; /* m > n + 1 */
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "C14");
        cz_sim_ctf_default(&ctf);
        ctf.c[3][0] = NAN;
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "not finite");
        cz_sim_ctf_default(&ctf);
        ctf.aperture_mrad = -1;
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "aperture_mrad");
        cz_sim_ctf_default(&ctf);
        ctf.focal_spread = -1;
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "focal_spread");
        cz_sim_ctf_default(&ctf);
        ctf.convergence_mrad = NAN;
        CZ_CHECK_FAILS(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), CZ_EINVAL, "convergence_mrad");
        CZ_CHECK_FAILS(cz_sim_image(p, NULL, w, info.wave_len - 2, img, info.image_len), CZ_ERANGE, "wave holds");
        CZ_CHECK_FAILS(cz_sim_image(p, NULL, w, info.wave_len, img, 17), CZ_ERANGE, "img holds");
        CZ_CHECK_FAILS(cz_sim_image(p, NULL, w, info.wave_len, NULL, info.image_len), CZ_EINVAL, "NULL");
        CZ_CHECK_FAILS(cz_sim_image(NULL, NULL, w, info.wave_len, img, info.image_len), CZ_EINVAL, "NULL");
    }

    /* The cached spectrum: wave = NULL images the plan's last exit wave. After cz_sim_run it is
     * the run's own spectrum (taken before the last inverse FFT), so it agrees with imaging the
     * returned float wave to float rounding; after an image of an explicit wave it is that
     * wave's spectrum, bit for bit. A fresh plan holds none. */
    {
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = -312.7;
        ctf.c[3][0] = 0.87e7;
        ctf.c[1][2] = 21.3;
        ctf.phi_deg[1][2] = 41.0;
        ctf.aperture_mrad = 23.0;
        double *img2 = malloc(info.image_len * sizeof *img2);
        cz_sim_run(p, w, info.wave_len);
        CZ_CHECK(cz_sim_image(p, &ctf, NULL, 0, img2, info.image_len) == CZ_OK, "%s",
                 cz_sim_last_error());
        cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len);
        double d = 0;
        for (size_t i = 0; i < info.image_len; i++) d = fmax(d, fabs(img[i] - img2[i]));
        CZ_CHECK(d < 1e-5, "cached run spectrum vs explicit wave: max diff %g", d);
        /* Now the cache holds FFT(w) from the explicit call: identical bits. */
        cz_sim_image(p, &ctf, NULL, 0, img2, info.image_len);
        CZ_CHECK(memcmp(img, img2, info.image_len * sizeof *img) == 0, "cached = explicit bytes");
        /* The vacuum wave replaces it. */
        cz_sim_image(p, NULL, vac, info.wave_len, img, info.image_len);
        cz_sim_image(p, &ctf, NULL, 0, img2, info.image_len);
        d = 0;
        for (size_t i = 0; i < info.image_len; i++) d = fmax(d, fabs(img2[i] - 1.0));
        CZ_CHECK(d < 1e-5, "cached vacuum wave images to 1 (max dev %g)", d);
        cz_sim_plan *q;
        CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &q) == CZ_OK, "plan q");
        CZ_CHECK_FAILS(cz_sim_image(q, &ctf, NULL, 0, img2, info.image_len), CZ_EINVAL,
                       "holds no exit wave");
        /* A vacuum run leaves the plane wave's spectrum. */
        cz_sim_run(q, w, info.wave_len);
        CZ_CHECK(cz_sim_image(q, &ctf, NULL, 0, img2, info.image_len) == CZ_OK, "vacuum run");
        d = 0;
        for (size_t i = 0; i < info.image_len; i++) d = fmax(d, fabs(img2[i] - 1.0));
        CZ_CHECK(d < 1e-5, "vacuum run images to 1 (max dev %g)", d);
        cz_sim_plan_destroy(q);
        free(img2);
    }
    free(w);
    free(vac);
    free(img);
    cz_sim_plan_destroy(p);
    test_reference();
    return cz_test_summary("test_sim_imaging");
}
