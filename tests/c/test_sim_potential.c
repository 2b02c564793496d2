/* test_sim_potential.c — scattering factors, analytic projected potentials, and the gridded
 * projected potential of both methods (particle mesh in Fourier space, real-space superposition):
 * integral, sub-pixel placement, pointwise profile in every direction, truncation, periodic
 * images and wrapping, determinism for 1 and 2 threads, errors. */
#include <complex.h>
#include <stdint.h>

#include "cz/cz_sim.h"
#include "cz_test.h"

static const double PI = 3.14159265358979323846;

/* Potential schemes: the particle mesh with the B-spline or abTEM's kernel, and real space. */
enum { PM_BSPLINE, PM_ABTEM, REALSPACE, NSCHEME };
static const char *scheme_name[NSCHEME] = {"particle mesh (B-spline)", "particle mesh (abTEM)",
                                           "real space"};

/* A 20 × 20 × 4 Å cell, one slice, 400 × 400 pixels (0.05 Å), as in the reference data. */
static cz_sim_plan *make_plan(cz_sim_param param, int scheme, size_t n, unsigned flags) {
    cz_sim_opts o;
    cz_sim_opts_default(&o);
    o.nx = o.ny = n;
    o.slice_thickness = 4.0;
    o.param = param;
    o.spread = scheme == PM_ABTEM ? CZ_SIM_SPREAD_ABTEM : CZ_SIM_SPREAD_BSPLINE;
    o.potential_method =
        scheme == REALSPACE ? CZ_SIM_POTENTIAL_REALSPACE : CZ_SIM_POTENTIAL_FOURIER;
    o.flags = CZ_SIM_FFTW_ESTIMATE | flags;
    o.wisdom_path = "";
    double cell[3][3] = {{20, 0, 0}, {0, 20, 0}, {0, 0, 4}};
    cz_sim_plan *p = NULL;
    cz_status st = cz_sim_plan_create(&o, CZ_CROWS(cell), &p);
    CZ_CHECK(st == CZ_OK, "plan: %s", cz_sim_last_error());
    return p;
}

static double grid_sum(const double *v, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i];
    return s;
}

int main(void) {
    /* --- Scattering factors: F(0) is the integral of v_z over the plane. */
    double k0 = 0.0, f = 0.0;
    CZ_CHECK(cz_sim_scattering_factor(79, CZ_SIM_KIRKLAND, 1, &k0, &f) == CZ_OK, "F(0) Au");
    CZ_CHECK_CLOSE(f, 505.270, 1e-5, "Kirkland Au integral V·Å³");
    CZ_CHECK(cz_sim_scattering_factor(6, CZ_SIM_KIRKLAND, 1, &k0, &f) == CZ_OK, "F(0) C");
    CZ_CHECK_CLOSE(f, 120.238, 1e-5, "Kirkland C integral V·Å³");
    /* Every element of both tables is present and physical: F(0) > 0 and grows roughly with Z. */
    for (int z = 1; z <= CZ_SIM_ZMAX; z++)
        for (int pr = 0; pr < 2; pr++) {
            double ks[3] = {0.0, 1.0, 5.0}, fs[3];
            cz_status st = cz_sim_scattering_factor(z, (cz_sim_param)pr, 3, ks, fs);
            CZ_CHECK(st == CZ_OK && fs[0] > 0 && fs[1] > 0 && fs[1] < fs[0] && fs[2] < fs[1],
                     "Z = %d param %d: F = %g %g %g", z, pr, fs[0], fs[1], fs[2]);
            CZ_CHECK(fs[0] > 3.0 * z && fs[0] < 60.0 * z + 60.0, "Z = %d param %d F(0) = %g", z, pr,
                     fs[0]);
        }
    /* Kirkland and Lobato fit the same physics: their integrals agree to ~1 %. */
    double fl;
    cz_sim_scattering_factor(79, CZ_SIM_LOBATO, 1, &k0, &fl);
    CZ_CHECK(fabs(fl - 505.270) < 0.01 * 505.270, "Lobato Au integral %g", fl);

    /* --- Analytic v_z(r) against the reference profile extract (abTEM, analytic Kirkland). */
    FILE *fp = fopen(CZ_TEST_DATA_DIR "/kirkland_radial_profiles_extract.txt", "r");
    CZ_CHECK(fp != NULL, "cannot open reference profile extract");
    double prof[40][3];
    int nprof = 0;
    if (fp) {
        char line[256];
        while (fgets(line, sizeof line, fp) && nprof < 40) {
            if (line[0] == '#') continue;
            if (sscanf(line, "%lf %lf %lf", &prof[nprof][0], &prof[nprof][1], &prof[nprof][2]) == 3)
                nprof++;
        }
        fclose(fp);
    }
    CZ_CHECK(nprof == 40, "read %d profile rows", nprof);
    for (int i = 0; i < nprof; i++) {
        double v[2];
        cz_sim_projected_potential(79, CZ_SIM_KIRKLAND, 1, &prof[i][0], &v[0]);
        cz_sim_projected_potential(6, CZ_SIM_KIRKLAND, 1, &prof[i][0], &v[1]);
        CZ_CHECK_CLOSE(v[0], prof[i][1], 2e-6, "Au v_z(%g)", prof[i][0]);
        CZ_CHECK_CLOSE(v[1], prof[i][2], 2e-6, "C v_z(%g)", prof[i][0]);
    }
    double r3[3] = {0.5, 1.0, 2.0}, v3[3];
    cz_sim_projected_potential(79, CZ_SIM_KIRKLAND, 3, r3, v3);
    CZ_CHECK(fabs(v3[0] - 132.04) < 0.005 && fabs(v3[1] - 18.516) < 0.0005 &&
                 fabs(v3[2] - 0.8713) < 0.00005,
             "Au v_z at 0.5/1/2 Å: %g %g %g", v3[0], v3[1], v3[2]);
    /* Lobato: v_z is the inverse transform of F. Check ∫ v_z 2πr dr = F(0) by quadrature
     * (substitution r = e^s handles the log singularity at 0). */
    {
        double sum = 0, ds = 1e-3;
        for (double s = -16; s < 4; s += ds) {
            double r = exp(s + 0.5 * ds), v;
            cz_sim_projected_potential(79, CZ_SIM_LOBATO, 1, &r, &v);
            sum += v * 2 * PI * r * r * ds;
        }
        CZ_CHECK_CLOSE(sum, fl, 1e-4, "Lobato v_z integrates to F(0)");
    }

    /* --- Gridded potential of one atom. */
    size_t n = 400, np = n * n;
    double *v = malloc(np * sizeof *v), *v2 = malloc(np * sizeof *v2);
    const double dxa = 0.05;
    /* Integral over the plane: 505.270 (Au) and 120.238 (C) V·Å³ with Kirkland's parameters, to
     * 1e-5, for every scheme, several sub-pixel positions (also on a pixel, and on a pixel
     * corner) and both parametrisations. The particle mesh's grid sum is its k = 0 coefficient;
     * the real-space profile keeps its tail's mass in its taper and adds what point sampling
     * misses at the core to the pixels around the atom. */
    {
        const double pos[3][2] = {{10.0131, 9.9817}, {10.0, 10.0}, {10.025, 9.975}};
        const int zs[2] = {79, 6};
        for (int pr = 0; pr < 2; pr++)
            for (int sc = 0; sc < NSCHEME; sc++)
                for (int e = 0; e < 2; e++)
                    for (int q = 0; q < 3; q++) {
                        cz_sim_plan *p = make_plan((cz_sim_param)pr, sc, n, 0);
                        double xyz[1][3] = {{pos[q][0], pos[q][1], 1.3}};
                        int z = zs[e];
                        CZ_CHECK(cz_sim_set_atoms(p, 1, CZ_CROWS(xyz), &z) == CZ_OK, "%s",
                                 cz_sim_last_error());
                        CZ_CHECK(cz_sim_potential(p, 0, v, np) == CZ_OK, "%s", cz_sim_last_error());
                        double want;
                        cz_sim_scattering_factor(z, (cz_sim_param)pr, 1, &k0, &want);
                        if (pr == 0) CZ_CHECK_CLOSE(want, e ? 120.238 : 505.270, 1e-5, "F(0)");
                        CZ_CHECK_CLOSE(grid_sum(v, np) * dxa * dxa, want, 1e-5,
                                       "grid integral (Z %d, param %d, %s, position %d)", z, pr,
                                       scheme_name[sc], q);
                        cz_sim_plan_destroy(p);
                    }
    }

    /* Sub-pixel placement: compare with the exact Fourier series of the periodic potential,
     * V(x) = (1/A) Σ_k F(k) exp(2πi k·(x − r_atom)), on a small grid where it can be summed
     * directly. Particle mesh: differences live near Nyquist, a few 1e-3 of the RMS inside the
     * band limit. Real space: the sampled profile's spectrum beyond Nyquist aliases into the
     * band (1–3e-2 at this 0.1 Å sampling); its point values are exact instead (below). */
    for (int sc = PM_BSPLINE; sc <= REALSPACE; sc += REALSPACE - PM_BSPLINE) {
        size_t m = 64;
        cz_sim_opts o;
        cz_sim_opts_default(&o);
        o.potential_method =
            sc == REALSPACE ? CZ_SIM_POTENTIAL_REALSPACE : CZ_SIM_POTENTIAL_FOURIER;
        o.nx = o.ny = m;
        o.flags = CZ_SIM_FFTW_ESTIMATE;
        o.wisdom_path = "";
        o.slice_thickness = 4;
        double cell[3][3] = {{6.4, 0, 0}, {0, 6.4, 0}, {0, 0, 4}};
        cz_sim_plan *p;
        CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
        double xyz[2][3] = {{2.2345, 3.0817, 1.0}, {4.7771, 1.1113, 3.0}};
        int z[2] = {14, 14};
        cz_sim_set_atoms(p, 2, CZ_CROWS(xyz), z);
        double *vg = malloc(m * m * sizeof *vg);
        cz_sim_potential(p, 0, vg, m * m);
        double complex *fk = malloc(m * m * sizeof *fk);
        for (size_t j = 0; j < m; j++)
            for (size_t i = 0; i < m; i++) {
                double kx = ((double)(i < m / 2 ? (long)i : (long)i - (long)m)) / 6.4;
                double ky = ((double)(j < m / 2 ? (long)j : (long)j - (long)m)) / 6.4;
                double kk = sqrt(kx * kx + ky * ky), fv;
                cz_sim_scattering_factor(14, CZ_SIM_KIRKLAND, 1, &kk, &fv);
                double complex s = 0;
                for (int a = 0; a < 2; a++) s += cexp(-2 * PI * I * (kx * xyz[a][0] + ky * xyz[a][1]));
                fk[j * m + i] = fv * s / (6.4 * 6.4);
            }
        /* Forward DFT of the grid potential (separable, direct), scaled to V·Å³ per cell. */
        double complex *gk = calloc(m * m, sizeof *gk), *tmp = calloc(m * m, sizeof *tmp);
        for (size_t y = 0; y < m; y++)
            for (size_t i = 0; i < m; i++)
                for (size_t x = 0; x < m; x++)
                    tmp[y * m + i] += vg[y * m + x] * cexp(-2 * PI * I * (double)(i * x) / (double)m);
        for (size_t j = 0; j < m; j++)
            for (size_t y = 0; y < m; y++)
                for (size_t i = 0; i < m; i++)
                    gk[j * m + i] += tmp[y * m + i] * cexp(-2 * PI * I * (double)(j * y) / (double)m);
        /* Compare inside the antialias band (|k| ≤ 2/3 Nyquist), which is what the multislice
         * keeps of products with the wave, and over the whole grid. */
        double num = 0, den = 0, numa = 0, dena = 0, kn = 0.5 / 0.1;
        for (size_t j = 0; j < m; j++)
            for (size_t i = 0; i < m; i++) {
                double kx = ((double)(i < m / 2 ? (long)i : (long)i - (long)m)) / 6.4;
                double ky = ((double)(j < m / 2 ? (long)j : (long)j - (long)m)) / 6.4;
                double complex g = gk[j * m + i] / (double)(m * m);
                double d2 = cabs(g - fk[j * m + i]) * cabs(g - fk[j * m + i]);
                double r2 = cabs(fk[j * m + i]) * cabs(fk[j * m + i]);
                numa += d2;
                dena += r2;
                if (sqrt(kx * kx + ky * ky) <= 2.0 / 3.0 * kn) num += d2, den += r2;
            }
        CZ_CHECK(sqrt(num / den) < (sc == REALSPACE ? 0.05 : 0.01),
                 "%s vs exact structure factor in band: %.3e", scheme_name[sc], sqrt(num / den));
        printf(
            "info: %s: sub-pixel placement vs exact Fourier series: rel RMS %.3e inside the "
            "band limit, %.3e over the grid\n",
            scheme_name[sc], sqrt(num / den), sqrt(numa / dena));
        free(gk);
        free(tmp);
        free(vg);
        free(fk);
        cz_sim_plan_destroy(p);
    }

    /* Pointwise against the analytic profile: an atom on a pixel (10, 10); pixels along the two
     * diagonals (where the square grid's Nyquist truncation rings least) from r = 0.14 to 2 Å,
     * and the azimuthal average in 0.05 Å rings from 0.15 to 1.5 Å. Along the grid axes the
     * band-limited grid potential rings by a few per cent of v_z (−2.6 % at 0.1 Å, −2.3 % at
     * 1 Å; documented in docs/sim.md, and abTEM's potential does the same): a 0.05 Å grid
     * cannot hold the log singularity's spectrum beyond its Nyquist frequency. */
    {
        cz_sim_plan *p = make_plan(CZ_SIM_KIRKLAND, PM_BSPLINE, n, 0);
        double xyz[1][3] = {{10, 10, 2}};
        int z = 79;
        cz_sim_set_atoms(p, 1, CZ_CROWS(xyz), &z);
        cz_sim_potential(p, 0, v, np);
        double worst = 0, rworst = 0;
        for (int sgn = 0; sgn < 4; sgn++)
            for (long t = 2; t <= 28; t++) {
                long i = 200 + ((sgn & 1) ? t : -t), j = 200 + ((sgn & 2) ? t : -t);
                double r = sqrt(2.0) * (double)t * dxa, a;
                cz_sim_projected_potential(79, CZ_SIM_KIRKLAND, 1, &r, &a);
                double e = fabs(v[(size_t)j * n + (size_t)i] - a) / a;
                if (e > worst) worst = e, rworst = r;
            }
        CZ_CHECK(worst <= 0.01, "diagonal pointwise error %.3e at r = %g Å", worst, rworst);
        printf(
            "info: particle mesh: pointwise (diagonals, 0.14-2 Å) max rel error %.3e at "
            "r = %.3f\n",
            worst, rworst);
        for (long t = 2; t <= 40; t *= 2) {
            double r = (double)t * dxa, a;
            cz_sim_projected_potential(79, CZ_SIM_KIRKLAND, 1, &r, &a);
            printf("info: particle mesh: on-axis r = %.2f Å: grid %.5g, analytic %.5g (%+.2f %%)\n",
                   r, v[200 * n + 200 + (size_t)t], a,
                   100 * (v[200 * n + 200 + (size_t)t] - a) / a);
        }
        double sum[40] = {0}, cnt[40] = {0};
        for (size_t j = 0; j < n; j++)
            for (size_t i = 0; i < n; i++) {
                double r = hypot(((double)i - 200) * dxa, ((double)j - 200) * dxa);
                int b = (int)floor(r / 0.05 + 0.5);
                if (b >= 3 && b <= 30) sum[b] += v[j * n + i], cnt[b]++;
            }
        double worst2 = 0, bworst = 0;
        for (int b = 3; b <= 30; b++) {
            /* Average the analytic profile over the same pixels. */
            double acc = 0;
            for (size_t j = 0; j < n; j++)
                for (size_t i = 0; i < n; i++) {
                    double r = hypot(((double)i - 200) * dxa, ((double)j - 200) * dxa), a;
                    if ((int)floor(r / 0.05 + 0.5) != b) continue;
                    cz_sim_projected_potential(79, CZ_SIM_KIRKLAND, 1, &r, &a);
                    acc += a;
                }
            double e = fabs(sum[b] - acc) / acc;
            if (e > worst2) worst2 = e, bworst = b * 0.05;
        }
        CZ_CHECK(worst2 <= 0.01, "azimuthal-average error %.3e", worst2);
        printf("info: particle mesh: azimuthal average (0.15-1.5 Å) max rel error %.3e at %.2f Å\n",
               worst2, bworst);
        cz_sim_plan_destroy(p);
    }

    /* --- Real space: pointwise against the analytic profile at EVERY pixel with
     * 0.1 Å ≤ r ≤ 3 Å, Au and C, 0.05 Å grid, atom on a pixel, off-pixel and on a pixel corner
     * (sub-pixel placement is exact). The worst errors along the grid axes, along the diagonals
     * and over all directions are reported; the must-show bound is 1 %, the table's design
     * accuracy 2e-4 (1e-3 checked). Lobato's profile likewise. */
    {
        const double pos[3][2] = {{10.0, 10.0}, {10.0131, 9.9817}, {10.025, 10.025}};
        const int zs[2] = {79, 6};
        double wall = 0, waxis = 0, wdiag = 0;
        for (int pr = 0; pr < 2; pr++)
            for (int e = 0; e < 2; e++)
                for (int q = 0; q < 3; q++) {
                    cz_sim_plan *p = make_plan((cz_sim_param)pr, REALSPACE, n, 0);
                    double xyz[1][3] = {{pos[q][0], pos[q][1], 2.0}};
                    int z = zs[e];
                    cz_sim_set_atoms(p, 1, CZ_CROWS(xyz), &z);
                    CZ_CHECK(cz_sim_potential(p, 0, v, np) == CZ_OK, "%s", cz_sim_last_error());
                    /* The pixel nearest the atom: axes and diagonals run through it. */
                    long ic = lround(pos[q][0] / dxa), jc = lround(pos[q][1] / dxa);
                    double w_all = 0, w_axis = 0, w_diag = 0, r_all = 0;
                    long zero_bad = 0;
                    for (size_t j = 0; j < n; j++)
                        for (size_t i = 0; i < n; i++) {
                            double x = (double)i * dxa - pos[q][0], y = (double)j * dxa - pos[q][1];
                            double r = hypot(x, y), a;
                            /* Beyond the cutoff (Kirkland 4.35 Å for Au, 4.12 Å for C;
                             * Lobato 4.53, 3.94) nothing. */
                            if (r > 4.6) zero_bad += v[j * n + i] != 0.0;
                            if (r < 0.1 || r > 3.0) continue;
                            cz_sim_projected_potential(z, (cz_sim_param)pr, 1, &r, &a);
                            double err = fabs(v[j * n + i] - a) / a;
                            long di = (long)i - ic, dj = (long)j - jc;
                            if (err > w_all) w_all = err, r_all = r;
                            if (di == 0 || dj == 0) w_axis = fmax(w_axis, err);
                            if (labs(di) == labs(dj)) w_diag = fmax(w_diag, err);
                        }
                    CZ_CHECK(w_all <= 0.01, "Z %d param %d position %d: pointwise %.3e at r = %.3f",
                             z, pr, q, w_all, r_all);
                    CZ_CHECK(w_all <= 1e-3, "Z %d param %d position %d: pointwise %.3e at r = %.3f",
                             z, pr, q, w_all, r_all);
                    CZ_CHECK(zero_bad == 0, "Z %d: %ld pixels beyond 4.6 Å are not 0", z, zero_bad);
                    if (pr == 0)
                        printf(
                            "info: real space, %s at (%g, %g): pointwise max rel error "
                            "(0.1-3 Å) %.2e on the axes, %.2e on the diagonals, %.2e over "
                            "all pixels (at r = %.3f Å)\n",
                            e ? "C" : "Au", pos[q][0], pos[q][1], w_axis, w_diag, w_all, r_all);
                    wall = fmax(wall, w_all), waxis = fmax(waxis, w_axis);
                    wdiag = fmax(wdiag, w_diag);
                    /* Against the reference profile itself: every pixel at exactly a
                     * tabulated radius 0.1, 0.2, … 3 Å from the atom on a pixel — the axes and
                     * the directions of Pythagorean triples (3, 4), (5, 12), (8, 15), … */
                    if (pr == 0 && q == 0 && nprof == 40) {
                        double wf = 0;
                        int nf = 0;
                        for (long dj = -60; dj <= 60; dj++)
                            for (long di = -60; di <= 60; di++) {
                                long s2 = di * di + dj * dj, m = lround(sqrt((double)s2) / 2);
                                if (m < 1 || m > 30 || 4 * m * m != s2) continue;
                                double g = v[(size_t)(jc + dj) * n + (size_t)(ic + di)];
                                double want = prof[m - 1][1 + e];
                                wf = fmax(wf, fabs(g - want) / want);
                                nf++;
                            }
                        CZ_CHECK(nf > 120 && wf <= 0.01, "%s vs reference profile: %.3e (%d px)",
                                 e ? "C" : "Au", wf, nf);
                        printf("info: real space, %s on a pixel vs the reference profile file at "
                               "%d pixels at tabulated radii 0.1-3 Å: max rel error %.2e\n",
                               e ? "C" : "Au", nf, wf);
                    }
                    /* A second call gives the same bits (the slice buffer is overwritten). */
                    cz_sim_potential(p, 0, v2, np);
                    CZ_CHECK(memcmp(v, v2, np * sizeof *v) == 0, "repeatable");
                    cz_sim_plan_destroy(p);
                }
        printf(
            "info: real space, Au and C, Kirkland and Lobato, 3 positions: max rel error %.2e "
            "(axes %.2e, diagonals %.2e)\n",
            wall, waxis, wdiag);
    }

    /* Periodic images by wrap-around, also when the footprint wraps more than once: one Si atom
     * (cutoff 5.6 Å) in a 4 × 4 Å cell equals the same atom in a 7 × 7 supercell with the
     * supercell's tiles summed onto one cell. */
    {
        size_t m = 40, ms = 7 * m;
        double a4 = 4.0;
        double *vs = malloc(ms * ms * sizeof *vs), *vf = calloc(m * m, sizeof *vf);
        for (int big = 0; big < 2; big++) {
            cz_sim_opts o;
            cz_sim_opts_default(&o);
            o.potential_method = CZ_SIM_POTENTIAL_REALSPACE;
            o.nx = o.ny = big ? ms : m;
            o.flags = CZ_SIM_FFTW_ESTIMATE;
            o.wisdom_path = "";
            double l = big ? 7 * a4 : a4;
            double cell[3][3] = {{l, 0, 0}, {0, l, 0}, {0, 0, 2}};
            cz_sim_plan *p;
            CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s",
                     cz_sim_last_error());
            double off = big ? 3 * a4 : 0.0, xyz[1][3] = {{1.3717 + off, 2.6173 + off, 1.0}};
            int z = 14;
            CZ_CHECK(cz_sim_set_atoms(p, 1, CZ_CROWS(xyz), &z) == CZ_OK, "%s", cz_sim_last_error());
            cz_sim_potential(p, 0, big ? vs : v, big ? ms * ms : m * m);
            cz_sim_plan_destroy(p);
        }
        for (size_t j = 0; j < ms; j++)
            for (size_t i = 0; i < ms; i++) vf[(j % m) * m + i % m] += vs[j * ms + i];
        double maxd = 0, maxv = 0;
        for (size_t k = 0; k < m * m; k++)
            maxd = fmax(maxd, fabs(v[k] - vf[k])), maxv = fmax(maxv, v[k]);
        CZ_CHECK(maxd < 1e-5 * maxv, "4 Å cell vs folded supercell: max difference %g (max %g)",
                 maxd, maxv);
        printf(
            "info: real space, Si in a 4 Å cell vs folded 28 Å supercell: max difference %.2e "
            "of the maximum\n",
            maxd / maxv);
        free(vs);
        free(vf);
    }

    /* Determinism: 120 Au and C atoms, some across the cell edges, give identical bytes for 1 and
     * 2 threads; abTEM's kernel selects abTEM's particle mesh even with the real-space method. */
    {
        enum { NAT = 120 };
        double xyz[NAT][3];
        int zs[NAT];
        uint64_t r = 0x9E3779B97F4A7C15ull;
        for (int k = 0; k < NAT; k++) {
            for (int c = 0; c < 3; c++) {
                r ^= r << 13, r ^= r >> 7, r ^= r << 17;
                xyz[k][c] = (double)(r >> 11) / 9007199254740992.0 * (c < 2 ? 20.0 : 4.0);
            }
            zs[k] = (k % 4) ? 6 : 79;
        }
        double *vt[2] = {v, v2};
        for (int nt = 1; nt <= 2; nt++) {
            cz_sim_opts o;
            cz_sim_opts_default(&o);
            o.nx = o.ny = n;
            o.slice_thickness = 4.0;
            o.nthreads = nt;
            o.flags = CZ_SIM_FFTW_ESTIMATE;
            o.wisdom_path = "";
            CZ_CHECK(o.potential_method == CZ_SIM_POTENTIAL_REALSPACE, "real space is the default");
            double cell[3][3] = {{20, 0, 0}, {0, 20, 0}, {0, 0, 4}};
            cz_sim_plan *p;
            cz_sim_plan_create(&o, CZ_CROWS(cell), &p);
            cz_sim_set_atoms(p, NAT, CZ_CROWS(xyz), zs);
            cz_sim_potential(p, 0, vt[nt - 1], np);
            cz_sim_plan_destroy(p);
        }
        CZ_CHECK(memcmp(v, v2, np * sizeof *v) == 0, "real space: 1 and 2 threads identical");
        double want = 0, f0;
        for (int k = 0; k < NAT; k++) {
            cz_sim_scattering_factor(zs[k], CZ_SIM_KIRKLAND, 1, &k0, &f0);
            want += f0;
        }
        CZ_CHECK_CLOSE(grid_sum(v, np) * dxa * dxa, want, 1e-5, "120 atoms: integral");
        cz_sim_plan *p1 = make_plan(CZ_SIM_KIRKLAND, PM_ABTEM, n, 0), *p2;
        cz_sim_opts o;
        cz_sim_opts_default(&o);
        o.nx = o.ny = n;
        o.slice_thickness = 4.0;
        o.spread = CZ_SIM_SPREAD_ABTEM;
        o.flags = CZ_SIM_FFTW_ESTIMATE;
        o.wisdom_path = "";
        double cell[3][3] = {{20, 0, 0}, {0, 20, 0}, {0, 0, 4}};
        cz_sim_plan_create(&o, CZ_CROWS(cell), &p2);
        cz_sim_set_atoms(p1, NAT, CZ_CROWS(xyz), zs);
        cz_sim_set_atoms(p2, NAT, CZ_CROWS(xyz), zs);
        cz_sim_potential(p1, 0, v, np);
        cz_sim_potential(p2, 0, v2, np);
        CZ_CHECK(memcmp(v, v2, np * sizeof *v) == 0, "CZ_SIM_SPREAD_ABTEM selects abTEM's scheme");
        cz_sim_plan_destroy(p1);
        cz_sim_plan_destroy(p2);
    }

    /* Periodic wrapping: an atom at x − L is the same atom (identical bits); refusing works. */
    {
        cz_sim_plan *p = make_plan(CZ_SIM_KIRKLAND, PM_BSPLINE, 100, 0);
        int z = 29;
        double a[1][3] = {{3.7, 18.2, 1.0}}, b[1][3] = {{3.7 - 20.0, 18.2 + 40.0, 1.0}};
        cz_sim_set_atoms(p, 1, CZ_CROWS(a), &z);
        cz_sim_potential(p, 0, v, np);
        cz_sim_set_atoms(p, 1, CZ_CROWS(b), &z);
        cz_sim_potential(p, 0, v2, np);
        double maxd = 0;
        for (size_t i = 0; i < 100 * 100; i++) maxd = fmax(maxd, fabs(v[i] - v2[i]));
        CZ_CHECK(maxd < 1e-9 * grid_sum(v, 100 * 100), "wrapped atom differs by %g", maxd);
        cz_sim_plan_destroy(p);
        p = make_plan(CZ_SIM_KIRKLAND, REALSPACE, 100, CZ_SIM_REFUSE_OUTSIDE);
        CZ_CHECK_FAILS(cz_sim_set_atoms(p, 1, CZ_CROWS(b), &z), CZ_EINVAL, "outside the cell");
        CZ_CHECK(cz_sim_set_atoms(p, 1, CZ_CROWS(a), &z) == CZ_OK, "inside is fine");
        cz_sim_plan_destroy(p);
    }

    /* Errors: unknown Z, NaN positions, z outside the cell, bad radii, bad slice, short buffer. */
    {
        cz_sim_plan *p = make_plan(CZ_SIM_KIRKLAND, REALSPACE, 100, 0);
        double xyz[2][3] = {{1, 1, 1}, {2, 2, 2}};
        int zbad[2] = {6, 104}, zok[2] = {6, 8}, zneg[2] = {0, 6};
        CZ_CHECK_FAILS(cz_sim_set_atoms(p, 2, CZ_CROWS(xyz), zbad), CZ_EINVAL, "atom 1: atomic number");
        CZ_CHECK_FAILS(cz_sim_set_atoms(p, 2, CZ_CROWS(xyz), zneg), CZ_EINVAL, "got 0");
        double nan_xyz[2][3] = {{1, 1, 1}, {2, NAN, 2}};
        CZ_CHECK_FAILS(cz_sim_set_atoms(p, 2, CZ_CROWS(nan_xyz), zok), CZ_EINVAL, "atom 1 has a non-finite");
        double inf_xyz[2][3] = {{INFINITY, 1, 1}, {2, 2, 2}};
        CZ_CHECK_FAILS(cz_sim_set_atoms(p, 2, CZ_CROWS(inf_xyz), zok), CZ_EINVAL, "atom 0");
        double high[2][3] = {{1, 1, 1}, {2, 2, 4.5}};
        CZ_CHECK_FAILS(cz_sim_set_atoms(p, 2, CZ_CROWS(high), zok), CZ_EINVAL, "z = 4.5");
        double low[2][3] = {{1, 1, -0.1}, {2, 2, 2}};
        CZ_CHECK_FAILS(cz_sim_set_atoms(p, 2, CZ_CROWS(low), zok), CZ_EINVAL, "outside the cell");
        CZ_CHECK_FAILS(cz_sim_set_atoms(p, 2, NULL, zok), CZ_EINVAL, "must not be NULL");
        /* After a failure the plan holds no atoms: the potential is zero. */
        CZ_CHECK(cz_sim_potential(p, 0, v, np) == CZ_OK && grid_sum(v, 100 * 100) == 0.0,
                 "no atoms after failure");
        /* z = Lz exactly belongs to the last slice. */
        double top[1][3] = {{1, 1, 4.0}};
        CZ_CHECK(cz_sim_set_atoms(p, 1, CZ_CROWS(top), zok) == CZ_OK, "z = Lz accepted");
        CZ_CHECK_FAILS(cz_sim_potential(p, 1, v, np), CZ_EINVAL, "slice 1 out of range");
        CZ_CHECK_FAILS(cz_sim_potential(p, 0, v, 100 * 100 - 1), CZ_ERANGE, "9999");
        CZ_CHECK_FAILS(cz_sim_potential(NULL, 0, v, np), CZ_EINVAL, "NULL");
        double r[2] = {1.0, 0.0}, out[2];
        CZ_CHECK_FAILS(cz_sim_projected_potential(79, CZ_SIM_KIRKLAND, 2, r, out), CZ_EINVAL, "r[1]");
        r[1] = NAN;
        CZ_CHECK_FAILS(cz_sim_projected_potential(79, CZ_SIM_KIRKLAND, 2, r, out), CZ_EINVAL, "r[1]");
        CZ_CHECK_FAILS(cz_sim_projected_potential(0, CZ_SIM_KIRKLAND, 1, r, out), CZ_EINVAL, "got 0");
        CZ_CHECK_FAILS(cz_sim_projected_potential(6, (cz_sim_param)7, 1, r, out), CZ_EINVAL, "parametrisation");
        double kneg = -1;
        CZ_CHECK_FAILS(cz_sim_scattering_factor(6, CZ_SIM_LOBATO, 1, &kneg, out), CZ_EINVAL, "k[0]");
        CZ_CHECK_FAILS(cz_sim_scattering_factor(104, CZ_SIM_LOBATO, 1, &k0, out), CZ_EINVAL, "got 104");
        cz_sim_opts o;
        cz_sim_opts_default(&o);
        o.potential_method = (cz_sim_potential_method)2;
        double cell[3][3] = {{20, 0, 0}, {0, 20, 0}, {0, 0, 4}};
        cz_sim_plan *q = NULL;
        CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &q), CZ_EINVAL, "potential_method 2");
        cz_sim_opts_default(&o);
        o.precision = (cz_sim_precision)-1;
        CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &q), CZ_EINVAL, "precision -1");
        CZ_CHECK(q == NULL, "no plan on failure");
        cz_sim_plan_destroy(p);
    }
    free(v);
    free(v2);
    /* --- Regression: grids whose height is not a multiple of the 16-row FFT block, with atoms
     * whose footprints wrap across the periodic edge, touch the partial last block and block 0:
     * up to ⌈S/16⌉ + 2 blocks. The per-atom block sums must hold them (an overrun here once
     * corrupted memory silently in Release builds; Debug builds assert). A sweep over grid
     * heights and sub-row offsets meets every wrap alignment; every atom keeps its integral. */
    {
        size_t bad = 0, runs = 0;
        for (size_t nodd = 97; nodd <= 143; nodd += 3) {
            cz_sim_plan *p = make_plan(CZ_SIM_KIRKLAND, REALSPACE, nodd, 0);
            if (!p) continue;
            double d = 20.0 / (double)nodd, xyz[32][3], want = 0, f0 = 0, k0z = 0;
            int zz[32];
            for (int i = 0; i < 32; i++) {
                xyz[i][0] = 0.61 * i + 0.11;
                /* y sweeps 2 rows across the edge at y = 0 in steps of 1/16 row. */
                xyz[i][1] = fmod(20.0 + (i / 16.0 - 1.0) * d, 20.0);
                xyz[i][2] = 1.7;
                zz[i] = (i % 3) ? 6 : 79;
                cz_sim_scattering_factor(zz[i], CZ_SIM_KIRKLAND, 1, &k0z, &f0);
                want += f0;
            }
            size_t n2 = nodd * nodd;
            double *vodd = malloc(n2 * sizeof *vodd);
            if (vodd && cz_sim_set_atoms(p, 32, CZ_CROWS(xyz), zz) == CZ_OK &&
                cz_sim_potential(p, 0, vodd, n2) == CZ_OK) {
                runs++;
                if (fabs(grid_sum(vodd, n2) * d * d - want) > 1e-5 * want) bad++;
            }
            free(vodd);
            cz_sim_plan_destroy(p);
        }
        CZ_CHECK(runs == 16 && bad == 0,
                 "wrapped footprints on odd grids: %zu of %zu grids lose mass", bad, runs);
    }
    return cz_test_summary("test_sim_potential");
}
