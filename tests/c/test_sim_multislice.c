/* test_sim_multislice.c — plan creation and its errors, intensity conservation, vacuum,
 * thickness series, determinism across thread counts; the double-precision path
 * (CZ_SIM_DOUBLE): conservation to 1e-12, agreement with single precision, determinism. */
#include <stdint.h>
#include "cz/cz_sim.h"
#include "cz_test.h"

static const double PI = 3.14159265358979323846;

static void opts_small(cz_sim_opts *o) {
    cz_sim_opts_default(o);
    o->flags = CZ_SIM_FFTW_ESTIMATE;
    o->wisdom_path = "";
}

static double total_intensity(const float *w, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)w[2 * i] * w[2 * i] + (double)w[2 * i + 1] * w[2 * i + 1];
    return s;
}

int main(void) {
    cz_sim_opts o;
    cz_sim_plan *p = NULL;
    double cell[3][3] = {{12.8, 0, 0}, {0, 9.6, 0}, {0, 0, 200.0}};

    /* --- Plan creation: grid from sampling, info, and every documented error. */
    opts_small(&o);
    o.sampling = 0.1;
    CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
    cz_sim_info info;
    CZ_CHECK(cz_sim_plan_info(p, &info) == CZ_OK, "info");
    CZ_CHECK(info.nx == 128 && info.ny == 96 && info.nslices == 100, "grid %zu x %zu, %zu slices",
             info.nx, info.ny, info.nslices);
    CZ_CHECK(info.wave_len == 2 * 128 * 96 && info.image_len == 128 * 96, "buffer lengths");
    CZ_CHECK_CLOSE(info.dx, 0.1, 1e-12, "dx");
    CZ_CHECK_CLOSE(info.kmax_antialias, (2.0 / 3.0) / (2 * 0.1), 1e-12,
                   "band limit");

    /* Zero potential: a wave made of 64 plane waves with pseudo-random amplitudes and phases,
     * all strictly inside the band limit, keeps |ψ|² through 100 slices (the propagator is a
     * pure phase there; what remains is float rounding in 200 FFTs). */
    size_t n = info.nx * info.ny;
    float *w = malloc(info.wave_len * sizeof *w), *w2 = malloc(info.wave_len * sizeof *w2);
    {
        enum { NPW = 64 };
        double kxs[NPW], kys[NPW], amp[NPW], pha[NPW];
        uint64_t r = 12345;
        for (int q = 0; q < NPW;) {
            r ^= r << 13, r ^= r >> 7, r ^= r << 17;
            int hx = (int)(r % 41) - 20, hy = (int)((r >> 8) % 31) - 15;
            double kx = hx / 12.8, ky = hy / 9.6;
            if (sqrt(kx * kx + ky * ky) > 0.9 * info.kmax_antialias) continue;
            kxs[q] = kx, kys[q] = ky;
            amp[q] = 0.2 + (double)((r >> 20) % 1000) / 1000.0;
            pha[q] = 2 * PI * (double)((r >> 40) % 1000) / 1000.0;
            q++;
        }
        for (size_t j = 0; j < info.ny; j++)
            for (size_t i = 0; i < info.nx; i++) {
                double x = (double)i * info.dx, y = (double)j * info.dy, re = 0, im = 0;
                for (int q = 0; q < NPW; q++) {
                    double ph = 2 * PI * (kxs[q] * x + kys[q] * y) + pha[q];
                    re += amp[q] * cos(ph);
                    im += amp[q] * sin(ph);
                }
                w[2 * (j * info.nx + i)] = (float)re;
                w[2 * (j * info.nx + i) + 1] = (float)im;
            }
    }
    memcpy(w2, w, info.wave_len * sizeof *w); /* for the double-precision check below */
    double i0 = total_intensity(w, n);
    CZ_CHECK(cz_sim_propagate(p, 0, info.nslices, w, info.wave_len) == CZ_OK, "%s", cz_sim_last_error());
    double i1 = total_intensity(w, n);
    CZ_CHECK(fabs(i1 - i0) <= 1e-6 * i0, "intensity %.9g -> %.9g (rel %.2e)", i0, i1, fabs(i1 - i0) / i0);
    printf("info: |psi|^2 after 100 vacuum slices: relative change %.2e\n", fabs(i1 - i0) / i0);
    /* Outside the band limit, content is removed (so intensity drops). */
    for (size_t i = 0; i < n; i++) w[2 * i] = (i % 2) ? 1.0f : -1.0f, w[2 * i + 1] = 0.0f;
    cz_sim_propagate(p, 0, 1, w, info.wave_len);
    CZ_CHECK(total_intensity(w, n) < 1e-6 * (double)n, "Nyquist wave removed: %g", total_intensity(w, n));
    /* Vacuum run gives the incident plane wave. */
    CZ_CHECK(cz_sim_run(p, w, info.wave_len) == CZ_OK, "run");
    double maxdev = 0;
    for (size_t i = 0; i < n; i++) maxdev = fmax(maxdev, fabs(w[2 * i] - 1.0) + fabs(w[2 * i + 1]));
    /* The DC term is transformed exactly, so the FFT-bias correction (plan.c) shows here as a
     * few 1e-7 per slice. */
    CZ_CHECK(maxdev < 3e-5, "vacuum exit wave deviates by %g", maxdev);
    /* Errors of the run calls. */
    CZ_CHECK_FAILS(cz_sim_run(p, w, info.wave_len - 1), CZ_ERANGE, "floats");
    CZ_CHECK_FAILS(cz_sim_run(NULL, w, info.wave_len), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_sim_propagate(p, 99, 2, w, info.wave_len), CZ_EINVAL, "out of range");
    CZ_CHECK_FAILS(cz_sim_propagate(p, 0, 1, w, 10), CZ_ERANGE, "needed");
    CZ_CHECK_FAILS(cz_sim_plan_info(NULL, &info), CZ_EINVAL, "NULL");
    cz_sim_plan_destroy(p);
    cz_sim_plan_destroy(NULL);

    /* Grid beyond the memory cap, bad sampling, bad cells, bad options. */
    opts_small(&o);
    o.sampling = 0.001; /* 12800 x 9600 > 2^26 */
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_ERANGE, "exceeds max_pixels");
    CZ_CHECK(p == NULL, "out is NULL on failure");
    opts_small(&o);
    o.nx = o.ny = 1000;
    o.max_pixels = 999999;
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_ERANGE, "1000 x 1000");
    const double bad_sampling[3] = {0.0, -0.05, NAN};
    for (int k = 0; k < 3; k++) {
        opts_small(&o);
        o.sampling = bad_sampling[k];
        CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_EINVAL, "sampling must be");
    }
    opts_small(&o);
    o.energy_ev = -1;
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_EINVAL, "energy_ev");
    opts_small(&o);
    o.slice_thickness = 0;
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_EINVAL, "slice_thickness");
    opts_small(&o);
    o.antialias_cutoff = 1.5;
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_EINVAL, "antialias_cutoff");
    opts_small(&o);
    o.nthreads = -2;
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_EINVAL, "nthreads");
    opts_small(&o);
    double hex[3][3] = {{3.21, 0, 0}, {-1.605, 2.78, 0}, {0, 0, 5.21}};
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(hex), &p), CZ_ENOTSUP, "orthorhombic");
    double flat[3][3] = {{10, 0, 0}, {0, 0, 0}, {0, 0, 5}};
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(flat), &p), CZ_EINVAL, "cell lengths");
    double nanc[3][3] = {{10, 0, 0}, {0, NAN, 0}, {0, 0, 5}};
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(nanc), &p), CZ_EINVAL, "cell[1][1]");
    CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), NULL), CZ_EINVAL, "out must not");
    /* FFT-friendly rounding. */
    opts_small(&o);
    o.sampling = 0.1;
    o.flags |= CZ_SIM_FFT_FRIENDLY;
    CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
    cz_sim_plan_info(p, &info);
    CZ_CHECK(info.nx == 128 && info.ny == 96, "friendly grid %zu x %zu", info.nx, info.ny);
    cz_sim_plan_destroy(p);

    /* --- Beam tilt: a band-limited wave packet through 100 vacuum slices of 2 Å with a tilt of
     * 7.3 mrad at azimuth 31° moves by L·tan θ = 200 Å × tan(7.3 mrad) = 1.460 Å along the
     * azimuth (the small-angle propagator is a lateral shift per slice); its intensity is kept.
     * The centre is read from the phase of the first Fourier harmonic of |ψ|² (periodic cell). */
    {
        opts_small(&o);
        o.sampling = 0.1;
        o.tilt_mrad = 7.3;
        o.tilt_azimuth_deg = 31.0;
        CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
        cz_sim_plan_info(p, &info);
        for (size_t j = 0; j < info.ny; j++)
            for (size_t i = 0; i < info.nx; i++) {
                double x = (double)i * info.dx - 6.4, y = (double)j * info.dy - 4.8;
                w[2 * (j * info.nx + i)] = (float)exp(-(x * x + y * y) / (2 * 0.9 * 0.9));
                w[2 * (j * info.nx + i) + 1] = 0.0f;
            }
        double c0[2], c1[2], e0 = total_intensity(w, n);
        for (int pass = 0; pass < 2; pass++) {
            double *c = pass ? c1 : c0;
            double sx = 0, cx = 0, sy = 0, cy = 0;
            for (size_t j = 0; j < info.ny; j++)
                for (size_t i = 0; i < info.nx; i++) {
                    size_t q = j * info.nx + i;
                    double in = (double)w[2 * q] * w[2 * q] + (double)w[2 * q + 1] * w[2 * q + 1];
                    double ax = 2 * PI * (double)i / (double)info.nx, ay = 2 * PI * (double)j / (double)info.ny;
                    sx += in * sin(ax), cx += in * cos(ax), sy += in * sin(ay), cy += in * cos(ay);
                }
            c[0] = atan2(sx, cx) / (2 * PI) * 12.8;
            c[1] = atan2(sy, cy) / (2 * PI) * 9.6;
            if (pass == 0) {
                CZ_CHECK(cz_sim_propagate(p, 0, info.nslices, w, info.wave_len) == CZ_OK, "%s",
                         cz_sim_last_error());
            }
        }
        double shift = 200.0 * tan(7.3e-3);
        double dxs = remainder(c1[0] - c0[0], 12.8), dys = remainder(c1[1] - c0[1], 9.6);
        CZ_CHECK(fabs(dxs - shift * cos(31 * PI / 180)) < 2e-3 && fabs(dys - shift * sin(31 * PI / 180)) < 2e-3,
                 "tilt shift (%.4f, %.4f) Å, want (%.4f, %.4f)", dxs, dys, shift * cos(31 * PI / 180),
                 shift * sin(31 * PI / 180));
        printf("info: tilted packet moved (%.4f, %.4f) Å, expected (%.4f, %.4f)\n", dxs, dys,
               shift * cos(31 * PI / 180), shift * sin(31 * PI / 180));
        /* The packet is smooth (σ = 0.9 Å): its content beyond the band limit is negligible. */
        CZ_CHECK(fabs(total_intensity(w, n) - e0) < 1e-5 * e0, "tilted vacuum keeps |psi|^2");
        cz_sim_plan_destroy(p);
        /* A tilted plane wave through vacuum stays the plane wave (k = 0 has no tilt phase). */
        opts_small(&o);
        o.sampling = 0.1;
        o.tilt_mrad = 12.0;
        cz_sim_plan_create(&o, CZ_CROWS(cell), &p);
        for (size_t i = 0; i < n; i++) w[2 * i] = 1.0f, w[2 * i + 1] = 0.0f;
        cz_sim_propagate(p, 0, 10, w, info.wave_len);
        double dev = 0;
        for (size_t i = 0; i < n; i++) dev = fmax(dev, fabs(w[2 * i] - 1.0) + fabs(w[2 * i + 1]));
        CZ_CHECK(dev < 1e-5, "tilted vacuum plane wave deviates by %g", dev);
        cz_sim_plan_destroy(p);
        /* Errors. */
        const double bad_tilt[3] = {-1.0, 150.0, NAN};
        for (int k = 0; k < 3; k++) {
            opts_small(&o);
            o.tilt_mrad = bad_tilt[k];
            CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_EINVAL, "tilt_mrad");
        }
        opts_small(&o);
        o.tilt_azimuth_deg = INFINITY;
        CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_EINVAL, "tilt_azimuth_deg");
    }

    /* --- A small Au/C structure: determinism (1 vs 2 threads, repeated runs) and thickness
     * series (propagating in two pieces equals one run up to float rounding). */
    double cell2[3][3] = {{10.2, 0, 0}, {0, 10.2, 0}, {0, 0, 9.0}};
    enum { NAT = 60 };
    double xyz[NAT][3];
    int z[NAT];
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (int a = 0; a < NAT; a++) {
        for (int c = 0; c < 3; c++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            xyz[a][c] = (double)(s >> 11) / 9007199254740992.0 * (c < 2 ? 10.2 : 9.0);
        }
        z[a] = (a % 3) ? 6 : 79;
    }
    float *ref = NULL;
    for (int nt = 1; nt <= 2; nt++) {
        opts_small(&o);
        o.nx = o.ny = 96;
        o.nthreads = nt;
        CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell2), &p) == CZ_OK, "%s", cz_sim_last_error());
        CZ_CHECK(cz_sim_set_atoms(p, NAT, CZ_CROWS(xyz), z) == CZ_OK, "%s", cz_sim_last_error());
        cz_sim_plan_info(p, &info);
        CZ_CHECK(info.nslices == 5, "nslices %zu (last slice 1 Å thick)", info.nslices);
        float *a = malloc(info.wave_len * sizeof *a), *b = malloc(info.wave_len * sizeof *b);
        cz_sim_run(p, a, info.wave_len);
        cz_sim_run(p, b, info.wave_len);
        CZ_CHECK(memcmp(a, b, info.wave_len * sizeof *a) == 0, "repeat run identical (nt %d)", nt);
        for (size_t i = 0; i < info.wave_len; i++) CZ_CHECK(isfinite(a[i]), "finite");
        if (!ref) {
            ref = a;
            /* Thickness series: slices 0-1 then 2-4. */
            for (size_t i = 0; i < info.image_len; i++) b[2 * i] = 1.0f, b[2 * i + 1] = 0.0f;
            cz_sim_propagate(p, 0, 2, b, info.wave_len);
            cz_sim_propagate(p, 2, 3, b, info.wave_len);
            double maxd = 0;
            for (size_t i = 0; i < info.wave_len; i++) maxd = fmax(maxd, fabs(a[i] - b[i]));
            CZ_CHECK(maxd < 1e-5, "two-piece propagation differs by %g", maxd);
            /* The structure scatters: the exit wave is not a plane wave, |ψ|² ≈ conserved. */
            double it = total_intensity(a, info.image_len);
            CZ_CHECK(fabs(it / (double)info.image_len - 1) < 0.02, "mean intensity %g",
                     it / (double)info.image_len);
        } else {
            CZ_CHECK(memcmp(ref, a, info.wave_len * sizeof *a) == 0,
                     "exit wave bytes identical for 1 and 2 threads");
            free(a);
        }
        free(b);
        cz_sim_plan_destroy(p);
    }
    free(ref);

    /* --- Double precision. The same structure with both potential methods: the double exit
     * wave agrees with the single-precision one to ~1e-6 (float rounding); cz_sim_run on a
     * double plan is the double wave rounded; 1 and 2 threads give identical bytes; a thickness
     * series in two pieces equals one run to 1e-12; the cached spectrum images the wave. */
    for (int method = 0; method < 2; method++) {
        double *wd[2] = {NULL, NULL};
        size_t wl = 0;
        for (int nt = 1; nt <= 2; nt++) {
            opts_small(&o);
            o.nx = o.ny = 96;
            o.nthreads = nt;
            o.potential_method = (cz_sim_potential_method)method;
            o.precision = CZ_SIM_DOUBLE;
            cz_status st = cz_sim_plan_create(&o, CZ_CROWS(cell2), &p);
            CZ_CHECK(st == CZ_OK, "double plan: %s", cz_sim_last_error());
            if (st) break;
            CZ_CHECK(cz_sim_set_atoms(p, NAT, CZ_CROWS(xyz), z) == CZ_OK, "%s",
                     cz_sim_last_error());
            cz_sim_plan_info(p, &info);
            wl = info.wave_len;
            wd[nt - 1] = malloc(wl * sizeof(double));
            CZ_CHECK(cz_sim_run_double(p, wd[nt - 1], wl) == CZ_OK, "%s", cz_sim_last_error());
            if (nt == 1) {
                /* Against single precision. */
                cz_sim_opts os = o;
                os.precision = CZ_SIM_SINGLE;
                cz_sim_plan *ps;
                cz_sim_plan_create(&os, CZ_CROWS(cell2), &ps);
                cz_sim_set_atoms(ps, NAT, CZ_CROWS(xyz), z);
                float *wf = malloc(wl * sizeof *wf), *wr = malloc(wl * sizeof *wr);
                cz_sim_run(ps, wf, wl);
                double num = 0, den = 0, maxd = 0;
                for (size_t i = 0; i < wl; i++) {
                    double d = wf[i] - wd[0][i];
                    num += d * d, den += wd[0][i] * wd[0][i], maxd = fmax(maxd, fabs(d));
                }
                CZ_CHECK(sqrt(num / den) < 1e-5 && maxd < 3e-5,
                         "method %d: float vs double exit wave: rel RMS %.2e, max %.2e", method,
                         sqrt(num / den), maxd);
                printf(
                    "info: method %d: single vs double precision exit wave: rel RMS %.2e, max "
                    "|difference| %.2e\n",
                    method, sqrt(num / den), maxd);
                /* The potentials agree to float rounding; the double one integrates exactly. */
                double *va = malloc(info.image_len * sizeof *va),
                       *vb = malloc(info.image_len * sizeof *vb);
                double sa = 0, sb = 0, md = 0, mv = 0;
                for (size_t sl = 0; sl < info.nslices; sl++) {
                    cz_sim_potential(p, sl, va, info.image_len);
                    cz_sim_potential(ps, sl, vb, info.image_len);
                    for (size_t i = 0; i < info.image_len; i++) {
                        sa += va[i], sb += vb[i];
                        md = fmax(md, fabs(va[i] - vb[i])), mv = fmax(mv, fabs(va[i]));
                    }
                }
                double want = 0, f0, k0 = 0;
                for (int a = 0; a < NAT; a++) {
                    cz_sim_scattering_factor(z[a], CZ_SIM_KIRKLAND, 1, &k0, &f0);
                    want += f0;
                }
                CZ_CHECK_CLOSE(sa * info.dx * info.dy, want, 1e-9, "double potential integral");
                CZ_CHECK_CLOSE(sb * info.dx * info.dy, want, 1e-5, "float potential integral");
                /* Largest at core pixels, whose correction is a difference of float sums. */
                CZ_CHECK(md < 1e-5 * mv, "potentials differ by %g (max %g)", md, mv);
                /* cz_sim_run on a double plan rounds the double wave. */
                cz_sim_run(p, wr, wl);
                int same = 1;
                for (size_t i = 0; i < wl; i++) same &= wr[i] == (float)wd[0][i];
                CZ_CHECK(same, "cz_sim_run on a double plan = rounded double wave");
                /* The cached spectrum images the exit wave (vs imaging the rounded wave). */
                double *im1 = malloc(info.image_len * sizeof *im1),
                       *im2 = malloc(info.image_len * sizeof *im2);
                cz_sim_ctf ctf;
                cz_sim_ctf_default(&ctf);
                ctf.c[1][0] = -50.0;
                CZ_CHECK(cz_sim_image(p, &ctf, NULL, 0, im1, info.image_len) == CZ_OK, "%s",
                         cz_sim_last_error());
                cz_sim_image(p, &ctf, wr, wl, im2, info.image_len);
                double di = 0;
                for (size_t i = 0; i < info.image_len; i++) di = fmax(di, fabs(im1[i] - im2[i]));
                CZ_CHECK(di < 1e-5, "image from the cached double spectrum differs by %g", di);
                /* Thickness series in two pieces. */
                double *wb = malloc(wl * sizeof *wb);
                for (size_t i = 0; i < info.image_len; i++) wb[2 * i] = 1.0, wb[2 * i + 1] = 0.0;
                cz_sim_propagate_double(p, 0, 2, wb, wl);
                cz_sim_propagate_double(p, 2, info.nslices - 2, wb, wl);
                double mx = 0;
                for (size_t i = 0; i < wl; i++) mx = fmax(mx, fabs(wb[i] - wd[0][i]));
                CZ_CHECK(mx < 1e-12, "double two-piece propagation differs by %g", mx);
                /* Errors. */
                CZ_CHECK_FAILS(cz_sim_run_double(p, wb, wl - 1), CZ_ERANGE, "doubles");
                CZ_CHECK_FAILS(cz_sim_propagate_double(p, 3, 9, wb, wl), CZ_EINVAL, "out of range");
                CZ_CHECK_FAILS(cz_sim_run_double(ps, wb, wl), CZ_EINVAL, "CZ_SIM_SINGLE");
                CZ_CHECK_FAILS(cz_sim_propagate_double(ps, 0, 1, wb, wl), CZ_EINVAL,
                               "CZ_SIM_SINGLE");
                free(wb);
                free(im1);
                free(im2);
                free(va);
                free(vb);
                free(wf);
                free(wr);
                cz_sim_plan_destroy(ps);
            }
            cz_sim_plan_destroy(p);
        }
        if (wd[0] && wd[1])
            CZ_CHECK(memcmp(wd[0], wd[1], wl * sizeof(double)) == 0,
                     "method %d: double exit wave identical for 1 and 2 threads", method);
        free(wd[0]);
        free(wd[1]);
    }
    /* Zero potential in double: the 64 plane waves inside the band limit keep |ψ|² to 1e-12
     * through 100 slices (single precision: 1e-6, above). */
    {
        opts_small(&o);
        o.sampling = 0.1;
        o.precision = CZ_SIM_DOUBLE;
        CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
        cz_sim_plan_info(p, &info);
        double *wd = malloc(info.wave_len * sizeof *wd), e0 = 0, e1 = 0;
        for (size_t i = 0; i < info.wave_len; i++) wd[i] = w2[i];
        for (size_t i = 0; i < info.wave_len; i++) e0 += wd[i] * wd[i];
        CZ_CHECK(cz_sim_propagate_double(p, 0, info.nslices, wd, info.wave_len) == CZ_OK, "%s",
                 cz_sim_last_error());
        for (size_t i = 0; i < info.wave_len; i++) e1 += wd[i] * wd[i];
        CZ_CHECK(fabs(e1 - e0) <= 1e-12 * e0, "double: intensity %.15g -> %.15g (rel %.2e)", e0, e1,
                 fabs(e1 - e0) / e0);
        printf("info: double precision: |psi|^2 after 100 vacuum slices: relative change %.2e\n",
               fabs(e1 - e0) / e0);
        double *vac = malloc(info.wave_len * sizeof *vac), dev = 0;
        CZ_CHECK(cz_sim_run_double(p, vac, info.wave_len) == CZ_OK, "vacuum run");
        for (size_t i = 0; i < info.image_len; i++)
            dev = fmax(dev, fabs(vac[2 * i] - 1.0) + fabs(vac[2 * i + 1]));
        CZ_CHECK(dev == 0.0, "double vacuum run deviates by %g", dev);
        free(vac);
        free(wd);
        cz_sim_plan_destroy(p);
    }
    free(w);
    free(w2);
    return cz_test_summary("test_sim_multislice");
}
