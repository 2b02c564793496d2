/* test_sim_phonons.c — frozen phonons (displacement statistics, counter-based reproducibility,
 * Debye–Waller damping of Bragg beams) and explicit incoherent sums over exit waves, defocus and
 * illumination tilt (exact single-beam checks against the envelopes, weak-phase-object check,
 * symmetry, determinism, errors; the fast path against a plain double-precision reference). */
#include <stdint.h>

#include "cz/cz_sim.h"
#include "cz_test.h"
#include "sim_ref.h"

static const double PI = 3.14159265358979323846;

static cz_sim_plan *make_plan(double lx, double ly, double lz, size_t nx, size_t ny, double dz,
                              int nthreads) {
    cz_sim_opts o;
    cz_sim_opts_default(&o);
    o.nx = nx;
    o.ny = ny;
    o.slice_thickness = dz;
    o.flags = CZ_SIM_FFTW_ESTIMATE;
    o.wisdom_path = "";
    o.nthreads = nthreads;
    double cell[3][3] = {{lx, 0, 0}, {0, ly, 0}, {0, 0, lz}};
    cz_sim_plan *p = NULL;
    cz_status st = cz_sim_plan_create(&o, CZ_CROWS(cell), &p);
    CZ_CHECK(st == CZ_OK, "plan: %s", cz_sim_last_error());
    return p;
}

/* Fourier coefficient (1/N) Σ ψ(r) exp(−2πi (h i/nx + k j/ny)) at integer frequencies (h, k). */
static void fourier_coef(const float *w, size_t nx, size_t ny, long h, long k, double out[2]) {
    double *tx = malloc(2 * nx * sizeof *tx), *ty = malloc(2 * ny * sizeof *ty);
    for (size_t i = 0; i < nx; i++) {
        double ph = -2.0 * PI * (double)((h * (long)i) % (long)nx) / (double)nx;
        tx[2 * i] = cos(ph), tx[2 * i + 1] = sin(ph);
    }
    for (size_t j = 0; j < ny; j++) {
        double ph = -2.0 * PI * (double)((k * (long)j) % (long)ny) / (double)ny;
        ty[2 * j] = cos(ph), ty[2 * j + 1] = sin(ph);
    }
    double re = 0, im = 0;
    for (size_t j = 0; j < ny; j++) {
        double ry = 0, iy = 0;
        const float *v = w + 2 * j * nx;
        for (size_t i = 0; i < nx; i++) {
            ry += v[2 * i] * tx[2 * i] - v[2 * i + 1] * tx[2 * i + 1];
            iy += v[2 * i] * tx[2 * i + 1] + v[2 * i + 1] * tx[2 * i];
        }
        re += ry * ty[2 * j] - iy * ty[2 * j + 1];
        im += ry * ty[2 * j + 1] + iy * ty[2 * j];
    }
    free(tx);
    free(ty);
    out[0] = re / (double)(nx * ny);
    out[1] = im / (double)(nx * ny);
}

static void test_displacements(void) {
    size_t n = 200000;
    double(*xyz)[3] = malloc(n * sizeof *xyz), (*a)[3] = malloc(n * sizeof *a),
    (*b)[3] = malloc(n * sizeof *b);
    int *z = malloc(n * sizeof *z);
    for (size_t i = 0; i < n; i++) {
        xyz[i][0] = 0.37 * (double)(i % 97);
        xyz[i][1] = 0.41 * (double)(i % 89);
        xyz[i][2] = 5.0 + 0.013 * (double)(i % 101);
        z[i] = (i % 3 == 0) ? 8 : 79;
    }
    cz_sim_phonon_opts o;
    cz_sim_phonon_opts_default(&o);
    o.seed = 0x5eed1234abcdull;
    o.u_rms[79] = 0.0873;
    o.u_rms[8] = 0.1210;
    CZ_CHECK(cz_sim_phonon_displace(&o, 3, n, CZ_CROWS(xyz), z, NULL, a) == CZ_OK, "%s",
             cz_sim_last_error());
    /* Per axis and element: mean ≈ 0 and rms ≈ u_rms, fourth moment ≈ 3 (Gaussian), no
     * correlation between axes. */
    for (int el = 0; el < 2; el++) {
        int zz = el ? 79 : 8;
        double u = o.u_rms[zz];
        double s1[3] = {0}, s2[3] = {0}, s4[3] = {0}, sxy = 0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            if (z[i] != zz) continue;
            m++;
            double d[3];
            for (int c = 0; c < 3; c++) {
                d[c] = (a[i][c] - xyz[i][c]) / u;
                s1[c] += d[c];
                s2[c] += d[c] * d[c];
                s4[c] += d[c] * d[c] * d[c] * d[c];
            }
            sxy += d[0] * d[1];
        }
        for (int c = 0; c < 3; c++) {
            double mean = s1[c] / (double)m, var = s2[c] / (double)m;
            double kurt = s4[c] / (double)m / (var * var);
            /* 4-sigma bounds: mean ± 4/sqrt(m), rms ± 4/sqrt(2m), kurtosis ± 4·sqrt(24/m). */
            CZ_CHECK(fabs(mean) < 4.0 / sqrt((double)m), "Z=%d axis %d: mean %g u", zz, c, mean);
            CZ_CHECK(fabs(sqrt(var) - 1.0) < 4.0 / sqrt(2.0 * (double)m),
                     "Z=%d axis %d: rms/u_rms = %g", zz, c, sqrt(var));
            CZ_CHECK(fabs(kurt - 3.0) < 4.0 * sqrt(24.0 / (double)m), "Z=%d axis %d: kurtosis %g",
                     zz, c, kurt);
            if (el == 1)
                printf("info: Z=79 axis %d: mean %+.5f u, rms %.5f u, kurtosis %.4f (m = %zu)\n", c,
                       mean, sqrt(var), kurt, m);
        }
        CZ_CHECK(fabs(sxy / (double)m) < 4.0 / sqrt((double)m), "Z=%d: xy correlation %g", zz,
                 sxy / (double)m);
    }
    /* Same seed and configuration: identical bytes. Other configuration or seed: every atom moves
     * differently. */
    CZ_CHECK(cz_sim_phonon_displace(&o, 3, n, CZ_CROWS(xyz), z, NULL, b) == CZ_OK, "again");
    CZ_CHECK(memcmp(a, b, n * sizeof *a) == 0, "same seed and config must give identical bytes");
    cz_sim_phonon_displace(&o, 4, n, CZ_CROWS(xyz), z, NULL, b);
    size_t same = 0;
    for (size_t i = 0; i < n; i++) same += a[i][0] == b[i][0] || a[i][1] == b[i][1];
    CZ_CHECK(same == 0, "configs 3 and 4 share %zu coordinates", same);
    cz_sim_phonon_opts o2 = o;
    o2.seed++;
    cz_sim_phonon_displace(&o2, 3, n, CZ_CROWS(xyz), z, NULL, b);
    same = 0;
    for (size_t i = 0; i < n; i++) same += a[i][0] == b[i][0];
    CZ_CHECK(same == 0, "seeds s and s+1 share %zu coordinates", same);
    /* Counter-based: atom i's displacement does not depend on n or on the other atoms. */
    double sub[10][3];
    cz_sim_phonon_displace(&o, 3, 10, CZ_CROWS(xyz), z, NULL, sub);
    int indep = memcmp(sub, a, sizeof sub) == 0;
    CZ_CHECK(indep, "the first 10 atoms alone must move exactly as in the 200000-atom call");
    /* Per-atom override, zero amplitude, FIX_Z, in-place. */
    double ua[10];
    for (int i = 0; i < 10; i++) ua[i] = i % 2 ? 0.0 : 0.25;
    cz_sim_phonon_displace(&o, 3, 10, CZ_CROWS(xyz), z, ua, sub);
    int ok = 1;
    for (int i = 0; i < 10; i++) {
        if (i % 2)
            ok &= sub[i][0] == xyz[i][0] && sub[i][1] == xyz[i][1] && sub[i][2] == xyz[i][2];
        else /* same normals, scaled by 0.25 instead of u_rms(Z) */
            ok &=
                fabs((sub[i][0] - xyz[i][0]) / 0.25 - (a[i][0] - xyz[i][0]) / o.u_rms[z[i]]) < 1e-9;
    }
    CZ_CHECK(ok, "per-atom u_rms overrides the element table with the same normals");
    cz_sim_phonon_opts of = o;
    of.flags = CZ_SIM_PHONON_FIX_Z;
    cz_sim_phonon_displace(&of, 3, 10, CZ_CROWS(xyz), z, NULL, sub);
    ok = 1;
    for (int i = 0; i < 10; i++)
        ok &= sub[i][2] == xyz[i][2] && sub[i][0] == a[i][0] && sub[i][1] == a[i][1];
    CZ_CHECK(ok, "CZ_SIM_PHONON_FIX_Z keeps z and leaves x, y unchanged");
    memcpy(b, xyz, 10 * sizeof *b);
    cz_sim_phonon_displace(&o, 3, 10, CZ_CROWS(b), z, NULL, b);
    CZ_CHECK(memcmp(b, a, 10 * sizeof *b) == 0, "out may alias xyz");
    /* Errors. */
    CZ_CHECK_FAILS(cz_sim_phonon_displace(NULL, 0, 1, CZ_CROWS(xyz), z, NULL, b), CZ_EINVAL,
                   "opts");
    CZ_CHECK_FAILS(cz_sim_phonon_displace(&o, 0, 1, NULL, z, NULL, b), CZ_EINVAL, "NULL");
    o2 = o;
    o2.u_rms[26] = -0.1;
    CZ_CHECK_FAILS(cz_sim_phonon_displace(&o2, 0, 1, CZ_CROWS(xyz), z, NULL, b), CZ_EINVAL,
                   "u_rms[26]");
    double bad[1][3] = {{1.0, NAN, 2.0}};
    CZ_CHECK_FAILS(cz_sim_phonon_displace(&o, 0, 1, CZ_CROWS(bad), z, NULL, b), CZ_EINVAL,
                   "non-finite");
    int zbad = 0;
    CZ_CHECK_FAILS(cz_sim_phonon_displace(&o, 0, 1, CZ_CROWS(xyz), &zbad, NULL, b), CZ_EINVAL,
                   "atomic number");
    double uneg = -1;
    CZ_CHECK_FAILS(cz_sim_phonon_displace(&o, 0, 1, CZ_CROWS(xyz), z, &uneg, b), CZ_EINVAL,
                   "u_rms_atom[0]");
    CZ_CHECK(cz_sim_phonon_displace(&o, 0, 0, NULL, NULL, NULL, NULL) == CZ_OK, "n = 0");
    free(xyz);
    free(a);
    free(b);
    free(z);
}

/* Debye–Waller damping. A single layer of Si atoms on a square net (a = 2.556 Å, 16 × 16 cells)
 * in one slice: with non-overlapping atoms the exit wave's Bragg amplitudes are
 * Ψ(g) ∝ T(g)·Σ_j exp(−2πi g·r_j), so thermal displacements damp the mean amplitude by
 * exp(−2π²u²g²) and the mean intensity by exp(−4π²u²g²) plus the diffuse share (1 − DW)/M. */
static void test_debye_waller(void) {
    const double a = 2.556, u = 0.1;
    const int nc = 16, nconf = 48;
    double l = a * nc;
    size_t ng = 256;
    cz_sim_plan *p = make_plan(l, l, 4.0, ng, ng, 4.0, 1);
    if (!p) return;
    cz_sim_info info;
    cz_sim_plan_info(p, &info);
    size_t n = (size_t)nc * nc;
    double(*xyz)[3] = malloc(n * sizeof *xyz), (*d)[3] = malloc(n * sizeof *d);
    int *z = malloc(n * sizeof *z);
    for (int j = 0; j < nc; j++)
        for (int i = 0; i < nc; i++) {
            size_t k = (size_t)j * nc + i;
            xyz[k][0] = (i + 0.31) * a;
            xyz[k][1] = (j + 0.47) * a;
            xyz[k][2] = 2.0;
            z[k] = 14;
        }
    float *w = malloc(info.wave_len * sizeof *w);
    /* Reflection families (h, k) and their square-symmetry equivalents. */
    const int fam[6][2] = {{1, 0}, {1, 1}, {2, 0}, {2, 2}, {3, 1}, {4, 0}};
    long eq[6][8][2];
    int neq[6];
    for (int f = 0; f < 6; f++) {
        neq[f] = 0;
        int h = fam[f][0], k = fam[f][1];
        int cand[8][2] = {{h, k}, {-h, k}, {h, -k}, {-h, -k}, {k, h}, {-k, h}, {k, -h}, {-k, -h}};
        for (int c = 0; c < 8; c++) {
            int dup = 0;
            for (int e = 0; e < neq[f]; e++)
                dup |= eq[f][e][0] == cand[c][0] * nc && eq[f][e][1] == cand[c][1] * nc;
            if (!dup) {
                eq[f][neq[f]][0] = cand[c][0] * nc;
                eq[f][neq[f]][1] = cand[c][1] * nc;
                neq[f]++;
            }
        }
    }
    /* Perfect crystal. */
    double i0[6] = {0};
    cz_sim_set_atoms(p, n, CZ_CROWS(xyz), z);
    cz_sim_run(p, w, info.wave_len);
    for (int f = 0; f < 6; f++)
        for (int e = 0; e < neq[f]; e++) {
            double c[2];
            fourier_coef(w, ng, ng, eq[f][e][0], eq[f][e][1], c);
            i0[f] += (c[0] * c[0] + c[1] * c[1]) / neq[f];
        }
    /* Frozen phonons. */
    cz_sim_phonon_opts po;
    cz_sim_phonon_opts_default(&po);
    po.seed = 20240917;
    po.u_rms[14] = u;
    double iav[6] = {0}, amp[6][8][2];
    memset(amp, 0, sizeof amp);
    for (int cfg = 0; cfg < nconf; cfg++) {
        cz_sim_phonon_displace(&po, (uint64_t)cfg, n, CZ_CROWS(xyz), z, NULL, d);
        CZ_CHECK(cz_sim_set_atoms(p, n, CZ_CROWS(d), z) == CZ_OK, "%s", cz_sim_last_error());
        cz_sim_run(p, w, info.wave_len);
        for (int f = 0; f < 6; f++)
            for (int e = 0; e < neq[f]; e++) {
                double c[2];
                fourier_coef(w, ng, ng, eq[f][e][0], eq[f][e][1], c);
                iav[f] += (c[0] * c[0] + c[1] * c[1]) / (neq[f] * (double)nconf);
                amp[f][e][0] += c[0] / nconf;
                amp[f][e][1] += c[1] / nconf;
            }
    }
    double worst_i = 0, worst_a = 0;
    for (int f = 0; f < 6; f++) {
        double g = sqrt((double)(fam[f][0] * fam[f][0] + fam[f][1] * fam[f][1])) / a;
        double dw = exp(-4.0 * PI * PI * u * u * g * g);
        double want_i = dw + (1.0 - dw) / (double)n;
        double ratio_i = iav[f] / i0[f];
        double ca = 0;
        for (int e = 0; e < neq[f]; e++)
            ca += (amp[f][e][0] * amp[f][e][0] + amp[f][e][1] * amp[f][e][1]) / neq[f];
        double ratio_a = sqrt(ca / i0[f]), want_a = sqrt(dw);
        printf(
            "info: DW g = %.3f 1/Å (%d%d): <I>/I0 = %.4f (want %.4f), |<psi>|/|psi0| = %.4f "
            "(want %.4f)\n",
            g, fam[f][0], fam[f][1], ratio_i, want_i, ratio_a, want_a);
        worst_i = fmax(worst_i, fabs(ratio_i / want_i - 1));
        worst_a = fmax(worst_a, fabs(ratio_a / want_a - 1));
    }
    /* Statistical error of 48 configurations × 256 atoms × 4–8 equivalents is below 1 %; the
     * tolerance adds the overlap of neighbouring atoms' potential tails and the grid. */
    CZ_CHECK(worst_i < 0.03, "mean Bragg intensity departs from the Debye-Waller factor by %.3f",
             worst_i);
    CZ_CHECK(worst_a < 0.03, "mean Bragg amplitude departs from the Debye-Waller factor by %.3f",
             worst_a);
    printf("info: Debye-Waller worst relative error: intensity %.4f, amplitude %.4f\n", worst_i,
           worst_a);
    free(xyz);
    free(d);
    free(z);
    free(w);
    cz_sim_plan_destroy(p);
}

/* A wave with a single weak beam: ψ = 1 + ε exp(2πi g·r). Its image is 1 + ε² + 2ε Re(H̄ ...),
 * so an explicit incoherent sum and the envelope image differ by exactly ε²(1 − E²) wherever the
 * interference term is damped by E (the square term |ε H|² is not damped by an incoherent sum). */
static void single_beam(float *w, size_t nx, size_t ny, long h, long k, double eps) {
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            double ph = 2.0 * PI *
                        ((double)(h * (long)i) / (double)nx + (double)(k * (long)j) / (double)ny);
            w[2 * (j * nx + i)] = (float)(1.0 + eps * cos(ph));
            w[2 * (j * nx + i) + 1] = (float)(eps * sin(ph));
        }
}

static double max_abs_diff(const double *a, const double *b, size_t n, double offset) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i] - offset));
    return m;
}

static void test_incoherent_sums(void) {
    size_t ng = 192;
    double l = 12.8 * 192.0 / 256.0 * 1.37; /* 13.152 Å */
    cz_sim_plan *p = make_plan(l, l, 4.0, ng, ng, 2.0, 1);
    cz_sim_plan *p1 = make_plan(l, l, 4.0, ng, ng, 2.0, 1);
    cz_sim_plan *p2 = make_plan(l, l, 4.0, ng, ng, 2.0, 2);
    if (!p || !p1 || !p2) return;
    cz_sim_info info;
    cz_sim_plan_info(p, &info);
    size_t npix = info.image_len;
    float *w = malloc(2 * info.wave_len * sizeof *w);
    double *img = malloc(npix * sizeof *img), *ref = malloc(npix * sizeof *ref);
    double lam = info.wavelength;

    /* --- Exact single-beam checks of the quadratures. --- */
    long h = 9, k = 4; /* |g| = 0.75 1/Å */
    double g = sqrt((double)(h * h + k * k)) / l, eps = 0.1;
    single_beam(w, ng, ng, h, k, eps);
    cz_sim_ctf ctf;
    cz_sim_ctf_default(&ctf);
    ctf.c[1][0] = -212.7; /* 212.7 Å underfocus */
    /* Defocus: Gaussian focal spread Δ = 47 Å, Gauss–Hermite order 16. */
    cz_sim_coherence coh;
    cz_sim_coherence_default(&coh);
    coh.focal_spread = 47.0;
    coh.focal_points = 16;
    CZ_CHECK(cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix) == CZ_OK, "%s",
             cz_sim_last_error());
    cz_sim_ctf env = ctf;
    env.focal_spread = 47.0;
    cz_sim_image(p, &env, w, info.wave_len, ref, npix);
    double e = 0.5 * PI * lam * 47.0 * g * g, et = exp(-e * e);
    double dmax = max_abs_diff(img, ref, npix, eps * eps * (1 - et * et));
    printf(
        "info: single beam, focal spread: E_t = %.4f, max |sum - envelope - eps^2(1-E^2)| = %.2e\n",
        et, dmax);
    CZ_CHECK(dmax < 2e-6, "defocus sum vs temporal envelope (single beam): %g", dmax);
    /* Too few points: visibly wrong, which is what makes the check meaningful. */
    coh.focal_points = 2;
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix);
    CZ_CHECK(max_abs_diff(img, ref, npix, eps * eps * (1 - et * et)) > 1e-3,
             "order 2 should not match");
    /* Tilt: Gaussian of 1/e semi-angle β = 0.8 mrad, order 8 per axis; with C10 only, χ(k + k_t) −
     * χ(k_t) is linear in k_t, so the sum reproduces exp(−(β/2)²|∇χ|²) exactly. */
    cz_sim_coherence_default(&coh);
    coh.convergence_mrad = 0.8;
    coh.tilt_points = 8;
    size_t ncond = 0;
    CZ_CHECK(cz_sim_coherence_count(&coh, &ncond) == CZ_OK && ncond == 64, "count %zu", ncond);
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix);
    env = ctf;
    env.convergence_mrad = 0.8;
    cz_sim_image(p, &env, w, info.wave_len, ref, npix);
    double grad = 2.0 * PI * 212.7 * g, es = exp(-0.25 * 0.8e-3 * 0.8e-3 * grad * grad);
    dmax = max_abs_diff(img, ref, npix, eps * eps * (1 - es * es));
    printf(
        "info: single beam, Gaussian tilts: E_s = %.4f, max |sum - envelope - eps^2(1-E^2)| = "
        "%.2e\n",
        es, dmax);
    CZ_CHECK(dmax < 2e-6, "tilt sum vs spatial envelope (single beam): %g", dmax);
    /* Disc of radius β: the mean of exp(i c·α) over a uniform disc is 2 J1(cβ)/(cβ). */
    coh.tilt_dist = CZ_SIM_TILT_DISC;
    coh.tilt_points = 5;
    CZ_CHECK(cz_sim_coherence_count(&coh, &ncond) == CZ_OK && ncond == 3 * 5 * 6, "disc count %zu",
             ncond);
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix);
    cz_sim_image(p, &ctf, w, info.wave_len, ref, npix);
    {
        double x = grad * 0.8e-3;
        /* J1 by its power series (x ≈ 0.8 here). */
        double j1 = 0, term = x / 2;
        for (int m = 0; m < 30; m++) {
            j1 += term;
            term *= -(x * x / 4) / ((m + 1.0) * (m + 2.0));
        }
        double ed = 2 * j1 / x;
        /* Coherent image: 1 + ε² + 2ε cos(·); disc sum: 1 + ε² + 2ε·ed·cos(·). */
        double worst = 0;
        for (size_t i = 0; i < npix; i++)
            worst = fmax(worst, fabs((img[i] - 1 - eps * eps) - ed * (ref[i] - 1 - eps * eps)));
        printf("info: single beam, disc tilts: 2J1(x)/x = %.4f, max deviation %.2e\n", ed, worst);
        CZ_CHECK(worst < 2e-5, "disc tilt sum vs 2 J1(x)/x damping: %g", worst);
    }
    /* Vacuum: the weights of every rule add up to 1. */
    for (size_t i = 0; i < npix; i++) w[2 * i] = 1.0f, w[2 * i + 1] = 0.0f;
    coh.focal_spread = 33.0;
    coh.focal_points = 5;
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix);
    double vmax = 0;
    for (size_t i = 0; i < npix; i++) vmax = fmax(vmax, fabs(img[i] - 1));
    CZ_CHECK(vmax < 1e-6, "vacuum image must be 1 (max deviation %g)", vmax);

    /* --- A weak phase object: two C atoms in a column. --- */
    double xyz[2][3] = {{0.5 * l, 0.5 * l, 1.0}, {0.5 * l, 0.5 * l, 3.0}};
    int z[2] = {6, 6};
    cz_sim_set_atoms(p, 2, CZ_CROWS(xyz), z);
    cz_sim_run(p, w, info.wave_len);
    double df;
    cz_sim_scherzer_defocus(300e3, 1.2e7, &df);
    cz_sim_ctf_default(&ctf);
    ctf.c[1][0] = -df;
    ctf.c[3][0] = 1.2e7;
    ctf.aperture_mrad = 10.0;
    /* Tiny spreads and coh = NULL reproduce cz_sim_image. */
    cz_sim_image(p, &ctf, w, info.wave_len, ref, npix);
    CZ_CHECK(cz_sim_image_incoherent(p, &ctf, NULL, 1, w, info.wave_len, img, npix) == CZ_OK, "%s",
             cz_sim_last_error());
    double d0 = max_abs_diff(img, ref, npix, 0);
    cz_sim_coherence_default(&coh);
    coh.focal_spread = 1e-6;
    coh.convergence_mrad = 1e-6;
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix);
    double d1 = max_abs_diff(img, ref, npix, 0);
    coh.tilt_dist = CZ_SIM_TILT_DISC;
    coh.tilt_points = 2;
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix);
    double d2 = max_abs_diff(img, ref, npix, 0);
    printf("info: tiny spreads vs single image: %.2e (none), %.2e (Gaussian), %.2e (disc)\n", d0,
           d1, d2);
    CZ_CHECK(d0 < 1e-6 && d1 < 1e-6 && d2 < 1e-6, "tiny spreads: %g %g %g", d0, d1, d2);
    /* Focal spread Δ = 40 Å: the explicit sum and the quasi-coherent temporal envelope differ only
     * by second-order (scattered × scattered) terms: compare the contrast I − <I>. */
    cz_sim_coherence_default(&coh);
    coh.focal_spread = 40.0;
    coh.focal_points = 10;
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix);
    env = ctf;
    env.focal_spread = 40.0;
    cz_sim_image(p, &env, w, info.wave_len, ref, npix);
    double mi = 0, mr = 0;
    for (size_t i = 0; i < npix; i++) mi += img[i] / npix, mr += ref[i] / npix;
    double num = 0, den = 0;
    for (size_t i = 0; i < npix; i++) {
        double ci = img[i] - mi, cr = ref[i] - mr;
        num += (ci - cr) * (ci - cr);
        den += cr * cr;
    }
    double rel_t = sqrt(num / den);
    /* Spatial: β = 0.25 mrad Gaussian tilts vs the spatial envelope, defocus only and no
     * aperture, where the envelope's linearisation of χ(k + k_t) is exact: what remains are the
     * second-order terms. (With an objective aperture the explicit sum also moves the aperture
     * edge with the tilt, which the envelope ignores: 1.2 % at 0.25 mrad, 4 % at 0.5 mrad for a
     * 10 mrad aperture; see docs/sim_detector.md.) */
    cz_sim_ctf ctf_df;
    cz_sim_ctf_default(&ctf_df);
    ctf_df.c[1][0] = -df;
    cz_sim_coherence_default(&coh);
    coh.convergence_mrad = 0.25;
    coh.tilt_points = 10;
    cz_sim_image_incoherent(p, &ctf_df, &coh, 1, w, info.wave_len, img, npix);
    env = ctf_df;
    env.convergence_mrad = 0.25;
    cz_sim_image(p, &env, w, info.wave_len, ref, npix);
    mi = mr = 0;
    for (size_t i = 0; i < npix; i++) mi += img[i] / npix, mr += ref[i] / npix;
    num = den = 0;
    for (size_t i = 0; i < npix; i++) {
        double ci = img[i] - mi, cr = ref[i] - mr;
        num += (ci - cr) * (ci - cr);
        den += cr * cr;
    }
    double rel_s = sqrt(num / den);
    printf(
        "info: weak phase object, contrast rel. RMS explicit sum vs envelope: focal %.4f, "
        "tilt %.4f\n",
        rel_t, rel_s);
    CZ_CHECK(rel_t < 0.005, "focal sum vs temporal envelope (weak phase object): %g", rel_t);
    CZ_CHECK(rel_s < 0.005, "tilt sum vs spatial envelope (weak phase object): %g", rel_s);
    /* A symmetric rule adds no net tilt: the column image stays mirror symmetric about it. */
    coh.tilt_dist = CZ_SIM_TILT_DISC;
    coh.tilt_points = 3;
    coh.convergence_mrad = 0.7;
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix);
    double asym = 0;
    size_t c0 = ng / 2;
    for (size_t j = 0; j < ng; j++)
        for (size_t i = 1; i < ng / 2; i++)
            asym = fmax(asym, fabs(img[j * ng + c0 + i] - img[j * ng + c0 - i]));
    CZ_CHECK(asym < 1e-5, "disc tilt sum must keep the mirror symmetry (max asymmetry %g)", asym);

    /* --- Averages over several waves (frozen-phonon configurations). --- */
    float *w2 = w + info.wave_len;
    double xyz2[2][3] = {{0.5 * l + 0.11, 0.5 * l - 0.07, 1.0},
                         {0.5 * l - 0.05, 0.5 * l + 0.09, 3.0}};
    cz_sim_set_atoms(p, 2, CZ_CROWS(xyz2), z);
    cz_sim_run(p, w2, info.wave_len);
    cz_sim_coherence_default(&coh);
    coh.focal_spread = 30.0;
    coh.focal_points = 4;
    double *i1 = malloc(npix * sizeof *i1);
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, i1, npix);
    cz_sim_image_incoherent(p, &ctf, &coh, 1, w2, info.wave_len, ref, npix);
    cz_sim_image_incoherent(p, &ctf, &coh, 2, w, info.wave_len, img, npix);
    double dav = 0;
    for (size_t i = 0; i < npix; i++) dav = fmax(dav, fabs(img[i] - 0.5 * (i1[i] + ref[i])));
    CZ_CHECK(dav < 1e-9, "average over 2 waves = mean of their images (max diff %g)", dav);
    /* Determinism: 1 and 2 threads give identical bytes. */
    coh.convergence_mrad = 0.4;
    coh.tilt_points = 3;
    cz_sim_image_incoherent(p1, &ctf, &coh, 2, w, info.wave_len, i1, npix);
    cz_sim_image_incoherent(p2, &ctf, &coh, 2, w, info.wave_len, img, npix);
    CZ_CHECK(memcmp(i1, img, npix * sizeof *img) == 0, "1 and 2 threads must give identical bytes");

    /* --- Errors. --- */
    CZ_CHECK_FAILS(cz_sim_image_incoherent(NULL, &ctf, &coh, 1, w, info.wave_len, img, npix),
                   CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_sim_image_incoherent(p, &ctf, &coh, 0, w, info.wave_len, img, npix),
                   CZ_EINVAL, "nwaves");
    cz_sim_coherence bad = coh;
    bad.focal_spread = -1;
    CZ_CHECK_FAILS(cz_sim_image_incoherent(p, &ctf, &bad, 1, w, info.wave_len, img, npix),
                   CZ_EINVAL, "focal_spread");
    bad = coh;
    bad.focal_points = 0;
    CZ_CHECK_FAILS(cz_sim_image_incoherent(p, &ctf, &bad, 1, w, info.wave_len, img, npix),
                   CZ_EINVAL, "focal_points");
    bad = coh;
    bad.tilt_points = CZ_SIM_QUAD_MAX + 1;
    CZ_CHECK_FAILS(cz_sim_image_incoherent(p, &ctf, &bad, 1, w, info.wave_len, img, npix),
                   CZ_EINVAL, "tilt_points");
    bad = coh;
    bad.convergence_mrad = NAN;
    CZ_CHECK_FAILS(cz_sim_coherence_count(&bad, &ncond), CZ_EINVAL, "convergence_mrad");
    CZ_CHECK(ncond == 0, "count set to 0 on failure");
    bad = coh;
    bad.tilt_dist = (cz_sim_tilt_dist)7;
    CZ_CHECK_FAILS(cz_sim_image_incoherent(p, &ctf, &bad, 1, w, info.wave_len, img, npix),
                   CZ_EINVAL, "tilt distribution");
    cz_sim_ctf bctf = ctf;
    bctf.c[2][0] = 5.0;
    CZ_CHECK_FAILS(cz_sim_image_incoherent(p, &bctf, &coh, 1, w, info.wave_len, img, npix),
                   CZ_EINVAL, "C20");
    bctf = ctf;
    bctf.aperture_mrad = -1;
    CZ_CHECK_FAILS(cz_sim_image_incoherent(p, &bctf, &coh, 1, w, info.wave_len, img, npix),
                   CZ_EINVAL, "aperture_mrad");
    CZ_CHECK_FAILS(cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len - 1, img, npix),
                   CZ_ERANGE, "wave_len");
    img[0] = 42.0;
    CZ_CHECK_FAILS(cz_sim_image_incoherent(p, &ctf, &coh, 1, w, info.wave_len, img, npix - 1),
                   CZ_ERANGE, "img holds");
    CZ_CHECK(img[0] == 42.0, "nothing written on CZ_ERANGE");
    CZ_CHECK_FAILS(cz_sim_coherence_count(NULL, &ncond), CZ_EINVAL, "NULL");

    free(w);
    free(img);
    free(ref);
    free(i1);
    cz_sim_plan_destroy(p);
    cz_sim_plan_destroy(p1);
    cz_sim_plan_destroy(p2);
}

/* ---- The explicit sums against a straightforward double-precision reference -----------------
 * Direct DFTs; per condition the transfer function at k + k_t with C10 − δ, χ and its gradient in
 * polar form term by term, libm everywhere; the quadrature nodes in closed form. */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double urand(void) { return ref_urand(&rng_state); }

/* One condition of the sums: defocus offset, tilt (rad), weight. */
typedef struct rcond {
    double ddf, tx, ty, w;
} rcond;

/* Conditions of a coherence setting in closed form, for the orders used here: Gauss–Hermite of
 * order 2–4 (nodes and weights of the weight exp(−x²)/√π) and Gauss–Legendre of order 2. */
static size_t ref_conditions(const cz_sim_coherence *coh, rcond *out) {
    double s2 = sqrt(2.0), s6 = sqrt(6.0);
    double gx[4][4] = {{0}, {-1 / s2, 1 / s2}, {-sqrt(1.5), 0, sqrt(1.5)},
                       {-sqrt((3 + s6) / 2), -sqrt((3 - s6) / 2), sqrt((3 - s6) / 2),
                        sqrt((3 + s6) / 2)}};
    double gw[4][4] = {{1}, {0.5, 0.5}, {1.0 / 6, 2.0 / 3, 1.0 / 6},
                       {1 / (4 * (3 + s6)), 1 / (4 * (3 - s6)), 1 / (4 * (3 - s6)),
                        1 / (4 * (3 + s6))}};
    size_t nf = coh->focal_spread > 0 ? coh->focal_points : 1, nc = 0;
    double beta = coh->convergence_mrad * 1e-3;
    for (size_t a = 0; a < nf; a++) {
        double d = nf > 1 ? coh->focal_spread * gx[nf - 1][a] : 0.0, fw = gw[nf - 1][a];
        if (beta == 0) {
            out[nc++] = (rcond){d, 0, 0, fw};
        } else if (coh->tilt_dist == CZ_SIM_TILT_GAUSSIAN) {
            size_t m = coh->tilt_points;
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < m; j++)
                    out[nc++] = (rcond){d, beta * gx[m - 1][i], beta * gx[m - 1][j],
                                        fw * gw[m - 1][i] * gw[m - 1][j]};
        } else { /* disc, 2 rings: u = (1 ∓ 1/√3)/2, each ring half the weight */
            for (size_t i = 0; i < 2; i++) {
                double u = 0.5 * (1.0 + (i ? 1 : -1) / sqrt(3.0)), r = beta * sqrt(u);
                size_t naz = 6 * (i + 1);
                double off = i ? PI / (double)naz : 0.0;
                for (size_t q = 0; q < naz; q++) {
                    double th = off + 2.0 * PI * (double)q / (double)naz;
                    out[nc++] = (rcond){d, r * cos(th), r * sin(th), fw * 0.5 / (double)naz};
                }
            }
        }
    }
    return nc;
}

/* cz_sim_image_incoherent by the reference: per wave and condition, pixels inside the band
 * (kx² + ky² <= kcut²) and the shifted aperture (λ|k + k_t| <= ap). */
static void ref_incoherent(const cz_sim_ctf *ctf, const cz_sim_coherence *coh, size_t nwaves,
                           const float *waves, size_t stride, size_t nx, size_t ny, double lx,
                           double ly, double lam, double kcut, double *img) {
    rcond cond[512];
    size_t nc = ref_conditions(coh, cond);
    double *a = malloc(2 * nx * ny * sizeof *a), *b = malloc(2 * nx * ny * sizeof *b);
    double ap = ctf->aperture_mrad * 1e-3;
    memset(img, 0, nx * ny * sizeof *img);
    for (size_t wv = 0; wv < nwaves; wv++) {
        for (size_t i = 0; i < 2 * nx * ny; i++) a[i] = waves[wv * stride + i];
        ref_dft2(a, nx, ny, -1);
        for (size_t q = 0; q < nc; q++) {
            double ktx = cond[q].tx / lam, kty = cond[q].ty / lam;
            for (size_t j = 0; j < ny; j++)
                for (size_t i = 0; i < nx; i++) {
                    double kx = (i < (nx + 1) / 2 ? (double)i : (double)i - (double)nx) / lx;
                    double ky = (j < (ny + 1) / 2 ? (double)j : (double)j - (double)ny) / ly;
                    double ux = kx + ktx, uy = ky + kty, hr = 0, hi = 0;
                    size_t pp = 2 * (j * nx + i);
                    if (kx * kx + ky * ky <= kcut * kcut &&
                        !(ap > 0 && lam * sqrt(ux * ux + uy * uy) > ap))
                        ref_transfer(ctf, ctf->c[1][0] - cond[q].ddf, lam, ux, uy, &hr, &hi);
                    b[pp] = a[pp] * hr - a[pp + 1] * hi;
                    b[pp + 1] = a[pp] * hi + a[pp + 1] * hr;
                }
            ref_dft2(b, nx, ny, +1);
            for (size_t i = 0; i < nx * ny; i++)
                img[i] += cond[q].w / (double)nwaves *
                          (b[2 * i] * b[2 * i] + b[2 * i + 1] * b[2 * i + 1]);
        }
    }
    free(a);
    free(b);
}

static double rel_max_diff(const double *x, const double *y, size_t n) {
    double d = 0, m = 0;
    for (size_t i = 0; i < n; i++) d = fmax(d, fabs(x[i] - y[i])), m = fmax(m, fabs(y[i]));
    return d / m;
}

/* Random lenses (all 14 aberrations up to ~40 rad per term at the band edge, apertures with and
 * without taper, both envelopes) and focal, Gaussian-tilt and disc sums over 1–3 random waves,
 * against the reference. The cases use the transfer tables (several waves), the on-the-fly
 * path (one wave) and more conditions than one chunk of tables holds (72). Also: the tables and
 * the on-the-fly path give the same transfer bits, 1 and 2 threads the same bytes, and the plan's
 * cache is left holding the last wave. */
static void test_incoherent_reference(void) {
    size_t nx = 40, ny = 36;
    double lx = 6.29, ly = 5.53;
    cz_sim_plan *p = make_plan(lx, ly, 3.1, nx, ny, 2.0, 1);
    cz_sim_plan *p2 = make_plan(lx, ly, 3.1, nx, ny, 2.0, 2);
    if (!p || !p2) return;
    cz_sim_info info;
    cz_sim_plan_info(p, &info);
    size_t npix = nx * ny, stride = info.wave_len + 6;
    double lam = info.wavelength, kcut = info.kmax_antialias, amax = lam * kcut;
    float *w = malloc(3 * stride * sizeof *w);
    for (size_t k = 0; k < 3 * stride / 2; k++) {
        double a = 1.0 + 0.4 * (urand() - 0.5), ph = 0.8 * (urand() - 0.5);
        w[2 * k] = (float)(a * cos(ph)), w[2 * k + 1] = (float)(a * sin(ph));
    }
    double *img = malloc(npix * sizeof *img), *ref = malloc(npix * sizeof *ref);
    double *alt = malloc(npix * sizeof *alt);
    static const int nm[14][2] = {{1, 0}, {1, 2}, {2, 1}, {2, 3}, {3, 0}, {3, 2}, {3, 4},
                                  {4, 1}, {4, 3}, {4, 5}, {5, 0}, {5, 2}, {5, 4}, {5, 6}};
    double worst = 0;
    for (int trial = 0; trial < 8; trial++) {
        cz_sim_ctf c;
        cz_sim_ctf_default(&c);
        for (int k = 0; k < 14; k++) {
            int n = nm[k][0], m = nm[k][1];
            double phase = 40.0 * (urand() - 0.5) * 2.0;
            c.c[n][m] = phase * (n + 1) / (2.0 * PI / lam * pow(amax, n + 1));
            c.phi_deg[n][m] = 360.0 * urand() - 180.0;
        }
        if (trial % 4 != 3) {
            c.aperture_mrad = (0.5 + 0.6 * urand()) * amax * 1e3;
            if (trial % 2) c.aperture_taper_mrad = 0.3 * urand() * c.aperture_mrad;
        }
        if (trial % 3 != 0) {
            c.focal_spread = sqrt(2.0 * urand()) / (0.5 * PI / lam * amax * amax);
            c.convergence_mrad = 2.0 * sqrt(2.0 * urand()) / (200.0 / amax) * 1e3;
        }
        cz_sim_coherence coh;
        cz_sim_coherence_default(&coh);
        /* Spreads large enough to move χ by a few rad at the band edge. */
        double dfs = 4.0 / (PI / lam * amax * amax), tilt = 0.05 * amax * 1e3;
        size_t nwaves = 1 + (size_t)trial % 3;
        switch (trial % 4) {
            case 0: coh.focal_spread = dfs, coh.focal_points = 3; break;
            case 1:
                coh.focal_spread = dfs, coh.focal_points = 2;
                coh.convergence_mrad = tilt, coh.tilt_points = 2;
                break;
            case 2:
                coh.focal_spread = dfs, coh.focal_points = 4;
                coh.convergence_mrad = tilt, coh.tilt_dist = CZ_SIM_TILT_DISC;
                coh.tilt_points = 2;
                nwaves = 2; /* 72 conditions: two chunks of tables */
                break;
            default:
                coh.convergence_mrad = tilt, coh.tilt_dist = CZ_SIM_TILT_DISC;
                coh.tilt_points = 2;
                break;
        }
        CZ_CHECK(cz_sim_image_incoherent(p, &c, &coh, nwaves, w, stride, img, npix) == CZ_OK,
                 "%s", cz_sim_last_error());
        ref_incoherent(&c, &coh, nwaves, w, stride, nx, ny, lx, ly, lam, kcut, ref);
        double d = rel_max_diff(img, ref, npix);
        worst = fmax(worst, d);
        if (trial == 2) {
            /* The cache holds the last wave; 2 threads give the same bytes. */
            cz_sim_image(p, &c, NULL, 0, ref, npix);
            cz_sim_image(p2, &c, w + (nwaves - 1) * stride, stride, alt, npix);
            CZ_CHECK(memcmp(ref, alt, npix * sizeof *ref) == 0,
                     "after the sums the plan's cache must hold the last wave");
            cz_sim_image_incoherent(p2, &c, &coh, nwaves, w, stride, alt, npix);
            CZ_CHECK(memcmp(img, alt, npix * sizeof *img) == 0,
                     "1 and 2 threads must give identical bytes (72 conditions, 2 waves)");
            /* Two copies of one wave (tables) vs the wave alone (on the fly). */
            float *w2 = malloc(2 * stride * sizeof *w2);
            memcpy(w2, w, stride * sizeof *w2);
            memcpy(w2 + stride, w, stride * sizeof *w2);
            cz_sim_image_incoherent(p, &c, &coh, 2, w2, stride, alt, npix);
            cz_sim_image_incoherent(p, &c, &coh, 1, w, stride, ref, npix);
            double dd = rel_max_diff(alt, ref, npix);
            CZ_CHECK(dd < 1e-13, "tables vs on-the-fly transfer: %g", dd);
            free(w2);
        }
    }
    printf("info: cz_sim_image_incoherent vs double reference, 8 lenses and sums: max |diff| / "
           "max I = %.2e\n",
           worst);
    CZ_CHECK(worst < 2e-6, "cz_sim_image_incoherent vs double reference: %g", worst);
    free(w);
    free(img);
    free(ref);
    free(alt);
    cz_sim_plan_destroy(p);
    cz_sim_plan_destroy(p2);
}

int main(void) {
    test_displacements();
    test_debye_waller();
    test_incoherent_sums();
    test_incoherent_reference();
    return cz_test_summary("sim_phonons");
}
