/* bench_sim.c — speed of libczsim on the shared 20,470-atom structure, and validation against the
 * shared abTEM reference (../shared/reference). Both skip cleanly when the data are absent.
 *
 *   cz_bench_sim bench    [REFDIR] [--sizes 512,1024,2048] [--threads N] [--estimate]
 *                         [--cpu-time] [--finite] [--method fourier|realspace] [--double]
 *   cz_bench_sim validate [REFDIR]
 *   cz_bench_sim converge [REFDIR]
 *
 * REFDIR defaults to $CZ_REFERENCE_DIR or <source>/../shared/reference. Output: JSON on stdout.
 * bench: time per slice divided by the time of one complex64 2-D FFTW transform of the same size
 * (fftwf_plan_dft_2d, FFTW_MEASURE, one thread), both measured in this run; likewise imaging
 * from the cached exit wave (every timed call a condition not used before; a repeated ctf apart)
 * and explicit incoherent sums per (wave × condition).
 * validate: relative RMS differences sqrt(Σ|a − b|² / Σ|b|²) against abTEM's arrays (transposed:
 * the reference has axis 0 = x, cz has x fastest). Exit status 1 if a bound is missed.
 * converge: each potential scheme's exit wave against the same run on a 4× finer grid with the
 * same band limit (the converged multislice), relative RMS inside the band. */
#define _POSIX_C_SOURCE 200809L
#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cz/cz_sim.h"

#ifndef CZ_SOURCE_DIR
#define CZ_SOURCE_DIR "."
#endif

/* Wall-clock time, or with --cpu-time the process CPU time: on a shared machine the CPU time
 * of a single-threaded run does not count the time other processes hold the core, so the ratio
 * "time per slice ÷ time of one FFT" is steadier (both are measured the same way). */
static int use_cpu_time = 0;
static double now(void) {
    struct timespec ts;
    clock_gettime(use_cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A little .npy reader: little-endian, C order, dtypes <f4 <f8 <c8 <i8 <i4, any rank <= 3. */
typedef struct npy {
    char type;   /* 'f' float32, 'd' float64, 'c' complex64, 'l' int64, 'i' int32 */
    size_t shape[3], ndim, count;
    void *data;
} npy;

static int npy_load(const char *path, npy *a) {
    memset(a, 0, sizeof *a);
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    unsigned char mag[10];
    if (fread(mag, 1, 10, fp) != 10 || memcmp(mag, "\x93NUMPY", 6) != 0) {
        fclose(fp);
        return -1;
    }
    size_t hlen = mag[8] | ((size_t)mag[9] << 8);
    if (mag[6] >= 2) {
        unsigned char ex[2];
        if (fread(ex, 1, 2, fp) != 2) {
            fclose(fp);
            return -1;
        }
        hlen |= ((size_t)ex[0] << 16) | ((size_t)ex[1] << 24);
    }
    char *h = calloc(hlen + 1, 1);
    if (!h || fread(h, 1, hlen, fp) != hlen) {
        free(h);
        fclose(fp);
        return -1;
    }
    size_t es = 0;
    if (strstr(h, "'<f4'")) a->type = 'f', es = 4;
    else if (strstr(h, "'<f8'")) a->type = 'd', es = 8;
    else if (strstr(h, "'<c8'")) a->type = 'c', es = 8;
    else if (strstr(h, "'<i8'")) a->type = 'l', es = 8;
    else if (strstr(h, "'<i4'")) a->type = 'i', es = 4;
    const char *sh = strstr(h, "'shape': (");
    if (!es || strstr(h, "'fortran_order': True") || !sh) {
        free(h);
        fclose(fp);
        return -1;
    }
    sh += 10;
    a->count = 1;
    while (*sh && *sh != ')' && a->ndim < 3) {
        char *end;
        unsigned long v = strtoul(sh, &end, 10);
        if (end == sh) break;
        a->shape[a->ndim++] = v;
        a->count *= v;
        sh = end;
        while (*sh == ',' || *sh == ' ') sh++;
    }
    free(h);
    a->data = malloc(a->count * es);
    if (!a->data || fread(a->data, es, a->count, fp) != a->count) {
        free(a->data);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    return 0;
}

static double npy_get(const npy *a, size_t i) {
    switch (a->type) {
        case 'f': return ((float *)a->data)[i];
        case 'd': return ((double *)a->data)[i];
        case 'l': return (double)((int64_t *)a->data)[i];
        case 'i': return ((int32_t *)a->data)[i];
    }
    return NAN;
}

static const char *refdir_default(void) {
    const char *e = getenv("CZ_REFERENCE_DIR");
    return (e && *e) ? e : CZ_SOURCE_DIR "/../shared/reference";
}

static int check(cz_status st, const char *what) {
    if (st != CZ_OK) {
        fprintf(stderr, "%s: %s\n", what, cz_sim_last_error());
        exit(2);
    }
    return 0;
}

/* ---------------------------------------------------------------- validation */

/* Relative RMS of a (ours, x fastest: a[j*nx+i]) against ref (axis 0 = x: ref[i*ny+j]); with
 * demean, both means are removed first (a constant potential is a global phase). */
static double rel_rms_real(const double *a, const npy *ref, size_t nx, size_t ny, int demean) {
    double ma = 0, mb = 0;
    if (demean) {
        for (size_t k = 0; k < nx * ny; k++) ma += a[k], mb += npy_get(ref, k);
        ma /= (double)(nx * ny);
        mb /= (double)(nx * ny);
    }
    double num = 0, den = 0;
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            double x = a[j * nx + i] - ma, y = npy_get(ref, i * ny + j) - mb;
            num += (x - y) * (x - y);
            den += y * y;
        }
    return sqrt(num / den);
}

static double rel_rms_wave(const float *w, const npy *ref, size_t nx, size_t ny) {
    const float *r = ref->data;
    double num = 0, den = 0;
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            size_t p = j * nx + i, q = i * ny + j;
            double dr = w[2 * p] - r[2 * q], di = w[2 * p + 1] - r[2 * q + 1];
            num += dr * dr + di * di;
            den += (double)r[2 * q] * r[2 * q] + (double)r[2 * q + 1] * r[2 * q + 1];
        }
    return sqrt(num / den);
}

static int validate(const char *dir) {
    char path[4096];
    int fail = 0;
    printf("{\n  \"reference\": \"%s\",\n", dir);
    /* Single atoms: 20 × 20 Å, 400², atom at (10, 10), one 4 Å slice. */
    const char *pname[2] = {"kirkland", "lobato"};
    const char *ename[2] = {"Au", "C"};
    int zs[2] = {79, 6};
    const char *scheme[3] = {"fourier_bspline", "abtem", "realspace"};
    printf("  \"single_atom\": [\n");
    for (int pi = 0; pi < 2; pi++)
        for (int ei = 0; ei < 2; ei++) {
            npy ref;
            snprintf(path, sizeof path, "%s/abtem/potential_%s_%s_infinite.npy", dir, ename[ei],
                     pname[pi]);
            if (npy_load(path, &ref)) {
                fprintf(stderr, "cannot read %s\n", path);
                return 2;
            }
            /* Schemes: 0 particle mesh with the B-spline, 1 abTEM's, 2 real space. */
            for (int sp = 0; sp < 3; sp++) {
                cz_sim_opts o;
                cz_sim_opts_default(&o);
                o.nx = o.ny = 400;
                o.slice_thickness = 4.0;
                o.param = pi ? CZ_SIM_LOBATO : CZ_SIM_KIRKLAND;
                o.spread = sp == 1 ? CZ_SIM_SPREAD_ABTEM : CZ_SIM_SPREAD_BSPLINE;
                o.potential_method =
                    sp == 2 ? CZ_SIM_POTENTIAL_REALSPACE : CZ_SIM_POTENTIAL_FOURIER;
                o.flags = CZ_SIM_FFTW_ESTIMATE;
                double cell[3][3] = {{20, 0, 0}, {0, 20, 0}, {0, 0, 4}};
                cz_sim_plan *p;
                check(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), "plan");
                double xyz[1][3] = {{10, 10, 2}};
                check(cz_sim_set_atoms(p, 1, CZ_CROWS(xyz), &zs[ei]), "atoms");
                double *v = malloc(400 * 400 * sizeof *v);
                check(cz_sim_potential(p, 0, v, 400 * 400), "potential");
                double sum = 0, rsum = 0;
                for (size_t k = 0; k < 400 * 400; k++) sum += v[k], rsum += npy_get(&ref, k);
                double rms = rel_rms_real(v, &ref, 400, 400, 1);
                printf(
                    "    {\"element\": \"%s\", \"param\": \"%s\", \"scheme\": \"%s\", "
                    "\"integral\": %.6f, \"ref_integral\": %.6f, \"rel_rms\": %.3e}%s\n",
                    ename[ei], pname[pi], scheme[sp], sum * 0.0025, rsum * 0.0025, rms,
                    (pi == 1 && ei == 1 && sp == 2) ? "" : ",");
                if (sp == 1 && rms > 1e-4) fail = 1;
                free(v);
                cz_sim_plan_destroy(p);
            }
            free(ref.data);
        }
    printf("  ],\n");

    /* HRTEM: Au octahedron, 40 Å cube, 800², 20 slices of 2 Å, 300 keV. */
    npy pos, exitw, pot, im1, im2;
    const char *names[5] = {"atoms_octahedron_au7_positions", "hrtem_exit_wave",
                            "hrtem_projected_potential", "hrtem_image_df_m100_cs0",
                            "hrtem_image_scherzer_cs_1p2mm_ap15"};
    npy *arrs[5] = {&pos, &exitw, &pot, &im1, &im2};
    for (int k = 0; k < 5; k++) {
        snprintf(path, sizeof path, "%s/abtem/%s.npy", dir, names[k]);
        if (npy_load(path, arrs[k])) {
            fprintf(stderr, "cannot read %s\n", path);
            return 2;
        }
    }
    size_t n = pos.shape[0];
    double(*xyz)[3] = malloc(n * sizeof *xyz);
    int *z = malloc(n * sizeof *z);
    for (size_t a = 0; a < n; a++) {
        for (int c = 0; c < 3; c++) xyz[a][c] = npy_get(&pos, 3 * a + (size_t)c);
        z[a] = 79;
    }
    printf("  \"hrtem\": [\n");
    /* Rows: abTEM's choices (bound 1e-3); the B-spline particle mesh and the real-space
     * potential, each with infinite and finite projection (bounds 5e-2: documented different
     * choices). */
    const char *rowname[5] = {"abtem", "fourier_bspline", "fourier_bspline", "realspace",
                              "realspace"};
    for (int row = 0; row < 5; row++) {
        int sp = row == 0;
        cz_sim_opts o;
        cz_sim_opts_default(&o);
        o.nx = o.ny = 800;
        o.spread = sp ? CZ_SIM_SPREAD_ABTEM : CZ_SIM_SPREAD_BSPLINE;
        o.potential_method = row >= 3 ? CZ_SIM_POTENTIAL_REALSPACE : CZ_SIM_POTENTIAL_FOURIER;
        if (row == 2 || row == 4) o.projection = CZ_SIM_FINITE;
        double cell[3][3] = {{40, 0, 0}, {0, 40, 0}, {0, 0, 40}};
        cz_sim_plan *p;
        check(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), "plan");
        check(cz_sim_set_atoms(p, n, CZ_CROWS(xyz), z), "atoms");
        cz_sim_info info;
        cz_sim_plan_info(p, &info);
        double *v = calloc(info.image_len, sizeof *v), *vs = malloc(info.image_len * sizeof *vs);
        for (size_t s = 0; s < info.nslices; s++) {
            check(cz_sim_potential(p, s, vs, info.image_len), "potential");
            for (size_t k = 0; k < info.image_len; k++) v[k] += vs[k];
        }
        float *w = malloc(info.wave_len * sizeof *w);
        double t0 = now();
        check(cz_sim_run(p, w, info.wave_len), "run");
        double trun = now() - t0;
        double e_pot = rel_rms_real(v, &pot, 800, 800, 1);
        double e_wave = rel_rms_wave(w, &exitw, 800, 800);
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = 100.0; /* defocus −100 Å */
        double *img = malloc(info.image_len * sizeof *img);
        check(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), "image");
        double e_im1 = rel_rms_real(img, &im1, 800, 800, 0);
        double df;
        cz_sim_scherzer_defocus(300e3, 1.2e7, &df);
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = -df;
        ctf.c[3][0] = 1.2e7;
        ctf.aperture_mrad = 15.0;
        check(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), "image");
        double e_im2 = rel_rms_real(img, &im2, 800, 800, 0);
        printf(
            "    {\"scheme\": \"%s\", \"projection\": \"%s\", \"potential_rel_rms\": %.3e, "
            "\"exit_wave_rel_rms\": %.3e, \"image_df_m100_rel_rms\": %.3e, "
            "\"image_scherzer_rel_rms\": %.3e, \"run_seconds\": %.3f}%s\n",
            rowname[row], (row == 2 || row == 4) ? "finite" : "infinite", e_pot, e_wave, e_im1,
            e_im2, trun, row < 4 ? "," : "");
        if (sp == 1 && (e_wave > 1e-3 || e_im1 > 1e-3 || e_im2 > 1e-3)) fail = 1;
        if (sp == 0 && (e_wave > 0.05 || e_im1 > 0.05 || e_im2 > 0.05)) fail = 1;
        free(v);
        free(vs);
        free(w);
        free(img);
        cz_sim_plan_destroy(p);
    }
    printf("  ],\n  \"pass\": %s\n}\n", fail ? "false" : "true");
    for (int k = 0; k < 5; k++) free(arrs[k]->data);
    free(xyz);
    free(z);
    return fail;
}

/* ---------------------------------------------------------------- convergence */

/* Exit wave of a structure on an n × n grid with the band limit fixed in 1/Å at that of an
 * nc × nc grid (antialias_cutoff and taper scaled by nc/n), so that grids finer than nc differ
 * only in how the potential and the transmission function are sampled. */
static float *converge_run(size_t n, size_t nc, const double cell[3][3], size_t na,
                           const double (*xyz)[3], const int *z, int scheme) {
    cz_sim_opts o;
    cz_sim_opts_default(&o);
    o.nx = o.ny = n;
    o.antialias_cutoff = (2.0 / 3.0) * (double)nc / (double)n;
    o.antialias_taper = 0.01 * (double)nc / (double)n;
    o.spread = scheme == 1 ? CZ_SIM_SPREAD_ABTEM : CZ_SIM_SPREAD_BSPLINE;
    o.potential_method = scheme == 2 ? CZ_SIM_POTENTIAL_REALSPACE : CZ_SIM_POTENTIAL_FOURIER;
    o.flags = CZ_SIM_FFTW_ESTIMATE;
    cz_sim_plan *p;
    check(cz_sim_plan_create(&o, cell, &p), "plan");
    check(cz_sim_set_atoms(p, na, xyz, z), "atoms");
    float *w = malloc(2 * n * n * sizeof *w);
    check(cz_sim_run(p, w, 2 * n * n), "run");
    cz_sim_plan_destroy(p);
    return w;
}

/* In place: the wave's spectrum divided by the pixel count (complex64). */
static void converge_spectrum(float *w, size_t n) {
    fftwf_complex *a = (fftwf_complex *)w;
    fftwf_plan pl = fftwf_plan_dft_2d((int)n, (int)n, a, a, FFTW_FORWARD, FFTW_ESTIMATE);
    fftwf_execute(pl);
    fftwf_destroy_plan(pl);
    for (size_t i = 0; i < 2 * n * n; i++) w[i] /= (float)((double)n * (double)n);
}

/* Relative RMS of spectrum a (n1²) against b (n2²) over the frequencies inside the band limit
 * kc (1/Å) of a square cell of side l. */
static double converge_cmp(const float *a, size_t n1, const float *b, size_t n2, double l,
                           double kc) {
    double num = 0, den = 0;
    long h = (long)n1 / 2;
    for (long j = -h; j < h; j++)
        for (long i = -h; i < h; i++) {
            if (hypot((double)i / l, (double)j / l) > kc) continue;
            size_t p =
                (size_t)((j + (long)n1) % (long)n1) * n1 + (size_t)((i + (long)n1) % (long)n1);
            size_t q =
                (size_t)((j + (long)n2) % (long)n2) * n2 + (size_t)((i + (long)n2) % (long)n2);
            double dr = a[2 * p] - b[2 * q], di = a[2 * p + 1] - b[2 * q + 1];
            num += dr * dr + di * di;
            den += (double)b[2 * q] * b[2 * q] + (double)b[2 * q + 1] * b[2 * q + 1];
        }
    return sqrt(num / den);
}

/* How far each potential scheme's exit wave is from the converged multislice: the same structure
 * on a grid 4× finer with the same band limit (both methods there agree to 2e-4–2e-3), compared
 * inside the band. Cases: the abTEM reference's Au octahedron (800², 0.05 Å) and the benchmark
 * structure (512², 0.156 Å). */
static int converge(const char *dir) {
    char path[4096];
    npy pos, num, cellv;
    printf("{\n  \"cases\": [\n");
    for (int c = 0; c < 2; c++) {
        double cell[3][3] = {{0}};
        size_t na, nc;
        if (c == 0) {
            snprintf(path, sizeof path, "%s/abtem/atoms_octahedron_au7_positions.npy", dir);
            if (npy_load(path, &pos)) return 2;
            na = pos.shape[0];
            num.data = NULL;
            cell[0][0] = cell[1][1] = cell[2][2] = 40.0;
            nc = 800;
        } else {
            snprintf(path, sizeof path, "%s/bench/bench_structure_positions.npy", dir);
            int bad = npy_load(path, &pos);
            snprintf(path, sizeof path, "%s/bench/bench_structure_numbers.npy", dir);
            bad |= npy_load(path, &num);
            snprintf(path, sizeof path, "%s/bench/bench_structure_cell.npy", dir);
            bad |= npy_load(path, &cellv);
            if (bad) return 2;
            na = pos.shape[0];
            for (int r = 0; r < 3; r++)
                for (int k = 0; k < 3; k++)
                    cell[r][k] = cellv.count == 3 ? (r == k ? npy_get(&cellv, (size_t)r) : 0.0)
                                                  : npy_get(&cellv, 3 * (size_t)r + (size_t)k);
            free(cellv.data);
            nc = 512;
        }
        double(*xyz)[3] = malloc(na * sizeof *xyz);
        int *z = malloc(na * sizeof *z);
        for (size_t a = 0; a < na; a++) {
            for (int k = 0; k < 3; k++) xyz[a][k] = npy_get(&pos, 3 * a + (size_t)k);
            z[a] = num.data ? (int)npy_get(&num, a) : 79;
        }
        double l = cell[0][0], kc = 0.999 * (2.0 / 3.0) / (2.0 * l / (double)nc);
        size_t nf = 4 * nc;
        float *ref[2];
        for (int m = 0; m < 2; m++) {
            ref[m] = converge_run(nf, nc, CZ_CROWS(cell), na, CZ_CROWS(xyz), z, m ? 2 : 0);
            converge_spectrum(ref[m], nf);
        }
        printf(
            "    {\"case\": \"%s\", \"n\": %zu, \"sampling\": %.4f, \"reference_n\": %zu, "
            "\"references_differ\": %.3e, \"exit_wave_rel_rms\": {",
            c ? "bench_structure" : "au_octahedron", nc, l / (double)nc, nf,
            converge_cmp(ref[0], nf, ref[1], nf, l, kc));
        const char *name[3] = {"fourier_bspline", "abtem", "realspace"};
        for (int sc = 0; sc < 3; sc++) {
            float *w = converge_run(nc, nc, CZ_CROWS(cell), na, CZ_CROWS(xyz), z, sc);
            converge_spectrum(w, nc);
            printf("\"%s\": [%.3e, %.3e]%s", name[sc], converge_cmp(w, nc, ref[1], nf, l, kc),
                   converge_cmp(w, nc, ref[0], nf, l, kc), sc < 2 ? ", " : "");
            free(w);
        }
        printf("}}%s\n", c ? "" : ",");
        free(ref[0]);
        free(ref[1]);
        free(xyz);
        free(z);
        free(pos.data);
        free(num.data);
    }
    printf(
        "  ],\n  \"note\": \"each scheme: [vs real-space reference, vs particle-mesh "
        "reference]\"\n}\n");
    return 0;
}

/* ---------------------------------------------------------------- benchmark */

/* The reference: one complex64 2-D FFTW transform of an n × n array (fftwf_plan_dft_2d,
 * FFTW_MEASURE, one thread). Timed in short bursts between the simulator's runs, so that both
 * see the same machine state; the minimum over all bursts is used. */
typedef struct fftref {
    fftwf_complex *a;
    fftwf_plan pl;
    double best;
} fftref;

static void fftref_init(fftref *r, size_t n) {
    r->a = fftwf_malloc(n * n * sizeof *r->a);
    r->pl = fftwf_plan_dft_2d((int)n, (int)n, r->a, r->a, FFTW_FORWARD, FFTW_MEASURE);
    for (size_t i = 0; i < n * n; i++) r->a[i][0] = (float)(i % 7) * 0.1f, r->a[i][1] = 0.0f;
    fftwf_execute(r->pl);
    r->best = 1e30;
}

static void fftref_time(fftref *r, int reps) {
    for (int k = 0; k < 3; k++) {
        double t0 = now();
        for (int q = 0; q < reps; q++) fftwf_execute(r->pl);
        double t = (now() - t0) / reps;
        if (t < r->best) r->best = t;
    }
}

static void fftref_free(fftref *r) {
    fftwf_destroy_plan(r->pl);
    fftwf_free(r->a);
}

/* A defocus (or other coefficient) never used before in this process: base − 0.731·k for the
 * k-th call, so that timed imaging calls are genuinely new conditions. */
static double defocus_step(double base) {
    static long k = 0;
    return base - 0.731 * (double)(++k);
}

static int bench(const char *dir, const char *sizes, int nthreads, int estimate, int finite,
                 int method, int dbl) {
    char path[4096];
    npy pos, num, cellv;
    snprintf(path, sizeof path, "%s/bench/bench_structure_positions.npy", dir);
    int bad = npy_load(path, &pos);
    snprintf(path, sizeof path, "%s/bench/bench_structure_numbers.npy", dir);
    bad |= npy_load(path, &num);
    snprintf(path, sizeof path, "%s/bench/bench_structure_cell.npy", dir);
    bad |= npy_load(path, &cellv);
    if (bad) {
        printf("{\"skipped\": \"bench structure not found under %s\"}\n", dir);
        return 0;
    }
    size_t n = pos.shape[0];
    double(*xyz)[3] = malloc(n * sizeof *xyz);
    int *z = malloc(n * sizeof *z);
    for (size_t a = 0; a < n; a++) {
        for (int c = 0; c < 3; c++) xyz[a][c] = npy_get(&pos, 3 * a + (size_t)c);
        z[a] = (int)npy_get(&num, a);
    }
    /* The cell file holds either the three lengths or the 3 × 3 matrix. */
    double cell[3][3] = {{0}};
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            cell[r][c] = cellv.count == 3 ? (r == c ? npy_get(&cellv, (size_t)r) : 0.0)
                                          : npy_get(&cellv, 3 * (size_t)r + (size_t)c);
    printf(
        "{\n  \"atoms\": %zu, \"threads\": %d, \"clock\": \"%s\", \"slice_thickness\": 2.0,"
        " \"energy_ev\": 3e5, \"param\": \"kirkland\", \"projection\": \"%s\",\n"
        "  \"potential_method\": \"%s\", \"precision\": \"%s\",\n  \"sizes\": [\n",
        n, nthreads, use_cpu_time ? "process_cpu" : "wall", finite ? "finite" : "infinite",
        method < 0 ? "default"
        : method   ? "realspace"
                   : "fourier",
        dbl ? "double" : "single");
    const char *s = sizes;
    int firstrow = 1;
    while (*s) {
        char *end;
        size_t g = strtoul(s, &end, 10);
        if (end == s) break;
        s = *end ? end + 1 : end;
        cz_sim_opts o;
        cz_sim_opts_default(&o);
        o.nx = o.ny = g;
        o.nthreads = nthreads;
        if (estimate) o.flags |= CZ_SIM_FFTW_ESTIMATE;
        if (finite) o.projection = CZ_SIM_FINITE;
        if (method >= 0) o.potential_method = (cz_sim_potential_method)method;
        if (dbl) o.precision = CZ_SIM_DOUBLE;
        double t0 = now();
        cz_sim_plan *p;
        check(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), "plan");
        double tplan = now() - t0;
        t0 = now();
        check(cz_sim_set_atoms(p, n, CZ_CROWS(xyz), z), "atoms");
        double tatoms = now() - t0;
        cz_sim_info info;
        cz_sim_plan_info(p, &info);
        float *w = malloc(info.wave_len * sizeof *w);
        double *img = malloc(info.image_len * sizeof *img);
        fftref ref;
        fftref_init(&ref, g);
        int freps = g <= 512 ? 20 : g <= 1024 ? 8 : 3;
        double trun = 1e30, tpot = 1e30, timg = 1e30, timg2 = 1e30, timg3 = 1e30, timg4 = 1e30;
        double timg5 = 1e30, timg6 = 1e30;
        int reps = g <= 512 ? 5 : g <= 1024 ? 3 : 2;
        /* Extra conditions from the cached exit wave. Every timed call gets a defocus it has
         * never had before (defocus_step() below), so no call can be answered from a cache of an
         * identical ctf; that case is timed apart (repeat_image_*). */
        cz_sim_ctf ctf;
        cz_sim_ctf_default(&ctf);
        ctf.c[1][0] = -595.0;
        ctf.c[3][0] = 1.2e7;
        ctf.aperture_mrad = 15;
        /* The costliest conditions: no aperture (χ at every frequency inside the band limit),
         * with astigmatism, without and with both envelopes. */
        cz_sim_ctf ctf3, ctf4;
        cz_sim_ctf_default(&ctf3);
        ctf3.c[1][0] = 100.0;
        ctf3.c[1][2] = 20.0;
        ctf3.phi_deg[1][2] = 30.0;
        ctf3.c[3][0] = 1.2e7;
        ctf4 = ctf3;
        ctf4.focal_spread = 30.0;
        ctf4.convergence_mrad = 0.3;
        /* Explicit incoherent sums (cz_sim_image_incoherent) over NW stored waves: an 8-point
         * focal sum without aperture (Cs, defocus, astigmatism), and the production job's
         * conditions (30 mrad aperture with a 1 mrad taper, 0.1 mrad convergence envelope,
         * 8-point focal sum). The waves are copies of the exit wave with a different phase
         * factor each (the cost does not depend on their content). */
        enum { NW = 8 };
        cz_sim_coherence coh;
        cz_sim_coherence_default(&coh);
        coh.focal_spread = 30.0;
        coh.focal_points = 8;
        cz_sim_ctf ctfp;
        cz_sim_ctf_default(&ctfp);
        ctfp.c[1][0] = -300.0;
        ctfp.c[3][0] = 1.2e7;
        ctfp.aperture_mrad = 30.0;
        ctfp.aperture_taper_mrad = 1.0;
        ctfp.convergence_mrad = 0.1;
        double tinc = 1e30, tincp = 1e30;
        float *waves = malloc(NW * info.wave_len * sizeof *waves);
        for (int r = 0; r < reps; r++) {
            fftref_time(&ref, freps);
            t0 = now();
            check(cz_sim_run(p, w, info.wave_len), "run");
            double t = now() - t0;
            if (t < trun) trun = t;
            fftref_time(&ref, freps);
            /* Potential alone: every slice's projected potential (what the run computes). */
            t0 = now();
            for (size_t sl = 0; sl < info.nslices; sl++)
                check(cz_sim_potential(p, sl, img, info.image_len), "potential");
            t = now() - t0;
            if (t < tpot) tpot = t;
            /* First image of a given wave (forward FFT + one condition), then an extra
             * condition of the same (cached) exit wave. */
            t0 = now();
            check(cz_sim_image(p, &ctf, w, info.wave_len, img, info.image_len), "image");
            t = now() - t0;
            if (t < timg) timg = t;
            t0 = now();
            for (int k = 0; k < 4; k++) {
                ctf.c[1][0] = defocus_step(-595.0);
                check(cz_sim_image(p, &ctf, NULL, 0, img, info.image_len), "image (cached)");
            }
            t = (now() - t0) / 4;
            if (t < timg2) timg2 = t;
            t0 = now();
            for (int k = 0; k < 4; k++) {
                ctf3.c[1][0] = defocus_step(100.0);
                check(cz_sim_image(p, &ctf3, NULL, 0, img, info.image_len), "image (no aperture)");
            }
            t = (now() - t0) / 4;
            if (t < timg3) timg3 = t;
            t0 = now();
            for (int k = 0; k < 4; k++) {
                ctf4.c[1][0] = defocus_step(100.0);
                check(cz_sim_image(p, &ctf4, NULL, 0, img, info.image_len), "image (envelopes)");
            }
            t = (now() - t0) / 4;
            if (t < timg4) timg4 = t;
            /* A new lens each call (astigmatism changes): nothing but the wave can be reused. */
            t0 = now();
            for (int k = 0; k < 4; k++) {
                cz_sim_ctf c5 = ctf4;
                c5.c[1][2] = defocus_step(20.0);
                check(cz_sim_image(p, &c5, NULL, 0, img, info.image_len), "image (new lens)");
            }
            t = (now() - t0) / 4;
            if (t < timg5) timg5 = t;
            /* The same ctf again (a repeated condition; reported apart). */
            check(cz_sim_image(p, &ctf4, NULL, 0, img, info.image_len), "image (repeat)");
            t0 = now();
            for (int k = 0; k < 4; k++)
                check(cz_sim_image(p, &ctf4, NULL, 0, img, info.image_len), "image (repeat)");
            t = (now() - t0) / 4;
            if (t < timg6) timg6 = t;
            fftref_time(&ref, freps);
            for (int k = 0; k < NW; k++) {
                float c = (float)cos(0.37 * k), sn = (float)sin(0.37 * k);
                float *d = waves + k * info.wave_len;
                for (size_t i = 0; i < info.image_len; i++) {
                    d[2 * i] = c * w[2 * i] - sn * w[2 * i + 1];
                    d[2 * i + 1] = sn * w[2 * i] + c * w[2 * i + 1];
                }
            }
            ctf3.c[1][0] = defocus_step(100.0);
            t0 = now();
            check(cz_sim_image_incoherent(p, &ctf3, &coh, NW, waves, info.wave_len, img,
                                          info.image_len),
                  "incoherent");
            t = now() - t0;
            if (t < tinc) tinc = t;
            ctfp.c[1][0] = defocus_step(-300.0);
            t0 = now();
            check(cz_sim_image_incoherent(p, &ctfp, &coh, NW, waves, info.wave_len, img,
                                          info.image_len),
                  "incoherent (production)");
            t = now() - t0;
            if (t < tincp) tincp = t;
        }
        free(waves);
        fftref_time(&ref, freps);
        double tfft = ref.best;
        fftref_free(&ref);
        double per_slice = trun / (double)info.nslices, npair = (double)NW * coh.focal_points;
        printf("%s    {\"n\": %zu, \"nslices\": %zu, \"fft_seconds\": %.6f, \"run_seconds\": %.4f,"
               " \"slice_seconds\": %.6f, \"fft_equivalents_per_slice\": %.2f,"
               " \"potential_fft_equivalents_per_slice\": %.2f,"
               " \"image_fft_equivalents\": %.2f, \"extra_image_fft_equivalents\": %.2f,"
               " \"extra_image_no_aperture_fft_equivalents\": %.2f,"
               " \"extra_image_no_aperture_envelopes_fft_equivalents\": %.2f,"
               " \"extra_image_new_lens_no_aperture_envelopes_fft_equivalents\": %.2f,"
               " \"repeat_image_no_aperture_envelopes_fft_equivalents\": %.2f,"
               " \"incoherent_focal8_no_aperture_fft_equivalents_per_wave_condition\": %.2f,"
               " \"incoherent_focal8_production_fft_equivalents_per_wave_condition\": %.2f,"
               " \"incoherent_waves\": %d,"
               " \"plan_seconds\": %.3f, \"set_atoms_seconds\": %.3f}",
               firstrow ? "" : ",\n", g, info.nslices, tfft, trun, per_slice, per_slice / tfft,
               tpot / (double)info.nslices / tfft, timg / tfft, timg2 / tfft, timg3 / tfft,
               timg4 / tfft, timg5 / tfft, timg6 / tfft, tinc / npair / tfft,
               tincp / npair / tfft, NW, tplan, tatoms);
        firstrow = 0;
        free(w);
        free(img);
        cz_sim_plan_destroy(p);
    }
    printf("\n  ]\n}\n");
    free(xyz);
    free(z);
    free(pos.data);
    free(num.data);
    free(cellv.data);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "bench";
    const char *dir = refdir_default();
    const char *sizes = "512,1024,2048";
    int nthreads = 1, estimate = 0, finite = 0, method = -1, dbl = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--sizes") && i + 1 < argc) sizes = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) nthreads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--estimate")) estimate = 1;
        else if (!strcmp(argv[i], "--cpu-time")) use_cpu_time = 1;
        else if (!strcmp(argv[i], "--finite")) finite = 1;
        else if (!strcmp(argv[i], "--double"))
            dbl = 1;
        else if (!strcmp(argv[i], "--method") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "fourier"))
                method = CZ_SIM_POTENTIAL_FOURIER;
            else if (!strcmp(argv[i], "realspace"))
                method = CZ_SIM_POTENTIAL_REALSPACE;
            else {
                fprintf(stderr, "--method: fourier or realspace (got %s)\n", argv[i]);
                return 2;
            }
        } else
            dir = argv[i];
    }
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/README.md", dir);
    FILE *fp = fopen(probe, "r");
    if (!fp) {
        printf("{\"skipped\": \"reference directory %s not found\"}\n", dir);
        return 0;
    }
    fclose(fp);
    if (!strcmp(mode, "validate")) return validate(dir);
    if (!strcmp(mode, "converge")) return converge(dir);
    if (!strcmp(mode, "bench")) return bench(dir, sizes, nthreads, estimate, finite, method, dbl);
    fprintf(stderr,
            "usage: %s bench|validate|converge [REFDIR] [--sizes LIST] [--threads N] [--estimate] "
            "[--cpu-time] [--finite] [--method fourier|realspace] [--double]\n",
            argv[0]);
    return 2;
}
