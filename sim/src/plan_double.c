/* plan_double.c — CZ_SIM_DOUBLE: the projected potential and the multislice in double precision.
 *
 * Speed is not the point: this path exists to measure what single precision costs in accuracy
 * (the float multislice's FFT rounding, the float transmission function and tables). It is kept
 * apart from the fused, blocked single-precision loops of plan.c and shares only what fixes
 * the physics: the same grid, slices and atoms, the same potential discretisation (real-space
 * tables or particle-mesh species factors, computed in double), the same antialias aperture and
 * propagator formulas. Per slice (Kirkland 2010, eq. 6.92):
 *     t = IFFT(A/N·FFT(exp(iσV))),  ψ ← ψ·t,  ψ ← IFFT(P·A/N·FFT(ψ)),
 * four whole 2-D FFTW double transforms (two for a slice without potential). The FFTs run on one
 * thread; pointwise loops use OpenMP and each element is computed the same way whatever the
 * thread count, so results are identical for any nthreads. exp(iσV) uses libm's sin and cos.
 * The finite-projection leak (finite.c) is computed in single precision and added in double:
 * its table interpolation error (~1e-3 of the leak) is far above float rounding. */
#include "plan_double.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "finite.h"
#include "plan.h"
#include "potential_rs.h"

#ifdef CZ_SIM_HAVE_FFTW_DOUBLE

#include <pthread.h>

static const double PI = 3.14159265358979323846;

/* FFTW's planner is not thread-safe (FFTW manual §5.4). The double-precision library (libfftw3)
 * keeps its planner and wisdom apart from the single-precision one (libfftw3f) that fft.c
 * serialises with its own lock, so the double plans need only a lock of their own, here. They
 * use FFTW_ESTIMATE: no wisdom, and the same plan in every process (reproducible bits). */
static pthread_mutex_t dplanner_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whole 2-D double plans: c2c forward and backward in place on complex [ny][nx], r2c real
 * [ny][nx] -> complex [ny][nxh] and c2r back; executed on other fftw_malloc'd arrays (same
 * alignment) with the new-array interface. */
typedef struct czi_fftd {
    fftw_plan c2c_f, c2c_b, r2c, c2r;
} czi_fftd;

static void fftd_destroy(czi_fftd *f) {
    pthread_mutex_lock(&dplanner_lock);
    fftw_plan *pl[4] = {&f->c2c_f, &f->c2c_b, &f->r2c, &f->c2r};
    for (int k = 0; k < 4; k++) {
        if (*pl[k]) fftw_destroy_plan(*pl[k]);
        *pl[k] = NULL;
    }
    pthread_mutex_unlock(&dplanner_lock);
}

static cz_status fftd_create(czi_fftd *f, size_t nx, size_t ny, fftw_complex *cplx, double *real,
                             fftw_complex *half) {
    memset(f, 0, sizeof *f);
    int nxi = (int)nx, nyi = (int)ny;
    pthread_mutex_lock(&dplanner_lock);
    f->c2c_f = fftw_plan_dft_2d(nyi, nxi, cplx, cplx, FFTW_FORWARD, FFTW_ESTIMATE);
    f->c2c_b = fftw_plan_dft_2d(nyi, nxi, cplx, cplx, FFTW_BACKWARD, FFTW_ESTIMATE);
    f->r2c = fftw_plan_dft_r2c_2d(nyi, nxi, real, half, FFTW_ESTIMATE);
    f->c2r = fftw_plan_dft_c2r_2d(nyi, nxi, half, real, FFTW_ESTIMATE);
    pthread_mutex_unlock(&dplanner_lock);
    if (!f->c2c_f || !f->c2c_b || !f->r2c || !f->c2r) {
        fftd_destroy(f);
        return CZ_SIM_FAIL(CZ_EFFTW, "FFTW could not plan a %zu x %zu double transform", nx, ny);
    }
    return CZ_OK;
}

struct czi_dbl {
    czi_fftd fft;
    fftw_complex *psi, *t;          /* [ny][nx] wave, transmission function */
    double *v;                      /* [ny][nx] slice potential */
    double *real;                   /* [ny][nx] spread atoms (particle mesh) */
    fftw_complex *half;             /* [ny][nxh] spectrum (particle mesh) */
    fftw_complex *prop, *prop_last; /* [ny][nx] P·A/N (prop_last may be prop) */
    double *aa;                     /* [ny][nx] A/N */
    double *ftab;                   /* [nspec][ny][nxh] species factors, or NULL */
};

void czi_dbl_destroy(cz_sim_plan *p) {
    struct czi_dbl *d = p->dbl;
    if (!d) return;
    fftd_destroy(&d->fft);
    fftw_free(d->psi);
    fftw_free(d->t);
    fftw_free(d->v);
    fftw_free(d->real);
    fftw_free(d->half);
    if (d->prop_last != d->prop) fftw_free(d->prop_last);
    fftw_free(d->prop);
    fftw_free(d->aa);
    fftw_free(d->ftab);
    free(d);
    p->dbl = NULL;
}

/* P·A/N for a slice of thickness dz (the formulas of plan.c's fill_propagator, in double). */
static void fill_prop(const cz_sim_plan *p, fftw_complex *prop, double dz) {
    double w = p->opts.antialias_taper / fmax(p->dx, p->dy), tx, ty;
    double inv_n = 1.0 / (double)p->npix;
    czi_tilt(p, &tx, &ty);
    for (size_t j = 0; j < p->ny; j++) {
        double ky = czi_freq(j, p->ny, p->ly);
        for (size_t i = 0; i < p->nx; i++) {
            double kx = czi_freq(i, p->nx, p->lx), k2 = kx * kx + ky * ky;
            double a = czi_antialias(sqrt(k2), p->kcut, w) * inv_n;
            double ph = -PI * p->lambda * k2 * dz - 2.0 * PI * dz * (kx * tx + ky * ty);
            prop[j * p->nx + i][0] = a * cos(ph);
            prop[j * p->nx + i][1] = a * sin(ph);
        }
    }
}

cz_status czi_dbl_create(cz_sim_plan *p) {
    struct czi_dbl *d = calloc(1, sizeof *d);
    if (!d) return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory");
    p->dbl = d;
    size_t n = p->npix;
    d->psi = fftw_malloc(n * sizeof *d->psi);
    d->t = fftw_malloc(n * sizeof *d->t);
    d->v = fftw_malloc(n * sizeof *d->v);
    d->real = fftw_malloc(n * sizeof *d->real);
    d->half = fftw_malloc(p->nhalf * sizeof *d->half);
    d->prop = fftw_malloc(n * sizeof *d->prop);
    d->aa = fftw_malloc(n * sizeof *d->aa);
    int thin_last = fabs(p->dz_last - p->dz) > 1e-9 * p->dz;
    d->prop_last = thin_last ? fftw_malloc(n * sizeof *d->prop_last) : d->prop;
    if (!d->psi || !d->t || !d->v || !d->real || !d->half || !d->prop || !d->aa || !d->prop_last) {
        czi_dbl_destroy(p);
        return CZ_SIM_FAIL(CZ_ENOMEM, "cannot allocate double-precision buffers for %zu x %zu",
                           p->nx, p->ny);
    }
    cz_status st = fftd_create(&d->fft, p->nx, p->ny, d->psi, d->real, d->half);
    if (st) {
        czi_dbl_destroy(p);
        return st;
    }
    fill_prop(p, d->prop, p->dz);
    if (thin_last) fill_prop(p, d->prop_last, p->dz_last);
    double w = p->opts.antialias_taper / fmax(p->dx, p->dy), inv_n = 1.0 / (double)n;
    for (size_t j = 0; j < p->ny; j++) {
        double ky = czi_freq(j, p->ny, p->ly);
        for (size_t i = 0; i < p->nx; i++) {
            double kx = czi_freq(i, p->nx, p->lx);
            d->aa[j * p->nx + i] = czi_antialias(sqrt(kx * kx + ky * ky), p->kcut, w) * inv_n;
        }
    }
    return CZ_OK;
}

void czi_dbl_free_atoms(cz_sim_plan *p) {
    if (!p->dbl) return;
    fftw_free(p->dbl->ftab);
    p->dbl->ftab = NULL;
}

cz_status czi_dbl_set_atoms(cz_sim_plan *p) {
    struct czi_dbl *d = p->dbl;
    czi_dbl_free_atoms(p);
    if (p->realspace || p->nspec == 0) return CZ_OK;
    d->ftab = fftw_malloc(p->nspec * p->nhalf * sizeof *d->ftab);
    if (!d->ftab) return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory for %zu species tables", p->nspec);
    for (size_t s = 0; s < p->nspec; s++)
        for (size_t j = 0; j < p->ny; j++)
            for (size_t i = 0; i < p->nxh; i++)
                d->ftab[(s * p->ny + j) * p->nxh + i] = czi_species_factor(p, p->spec_z[s], i, j);
    return CZ_OK;
}

/* Particle mesh in double: per species, spread with unit weights, r2c, multiply by the species
 * factor and sum (in t, free at this point), then c2r into v. */
static int pm_potential(cz_sim_plan *p, size_t s, double *v) {
    size_t a = p->slice_start[s], a1 = p->slice_start[s + 1];
    if (a == a1) return 0;
    struct czi_dbl *d = p->dbl;
    size_t nh = p->nhalf, nx = p->nx;
    fftw_complex *acc = d->t;
    memset(acc, 0, nh * sizeof *acc);
    while (a < a1) {
        unsigned sp = p->aspec[a];
        size_t e = a;
        while (e < a1 && p->aspec[e] == sp) e++;
        memset(d->real, 0, p->npix * sizeof *d->real);
        for (size_t q = a; q < e; q++) {
            size_t col[4], row[4];
            double wu[4], wv[4];
            int k = czi_spread_weights(p, q, col, row, wu, wv);
            for (int b = 0; b < k; b++)
                for (int c = 0; c < k; c++) d->real[row[b] * nx + col[c]] += wu[c] * wv[b];
        }
        fftw_execute_dft_r2c(d->fft.r2c, d->real, d->half);
        const double *tab = d->ftab + (size_t)sp * nh;
        fftw_complex *half = d->half;
        CZI_OMP_FOR(p->nthreads)
        for (size_t i = 0; i < nh; i++) {
            acc[i][0] += half[i][0] * tab[i];
            acc[i][1] += half[i][1] * tab[i];
        }
        a = e;
    }
    memcpy(d->half, acc, nh * sizeof *acc);
    fftw_execute_dft_c2r(d->fft.c2r, d->half, v);
    return 1;
}

int czi_dbl_potential(cz_sim_plan *p, size_t s, double *v) {
    int has = p->realspace ? czi_rs_slice_d(p, s, v) : pm_potential(p, s, v);
    if (p->leak && czi_fin_leak(p, s)) {
        if (!has) memset(v, 0, p->npix * sizeof *v);
        const float *leak = p->leak;
        size_t n = p->npix;
        CZI_OMP_FOR(p->nthreads)
        for (size_t i = 0; i < n; i++) v[i] += (double)leak[i];
        has = 1;
    }
    return has;
}

/* y[i] *= tab[i] (complex) or (real), i < n. */
static void cmul(fftw_complex *y, fftw_complex *tab, size_t n, int nt) {
    CZI_OMP_FOR(nt)
    for (size_t i = 0; i < n; i++) {
        double a = y[i][0], b = y[i][1];
        y[i][0] = a * tab[i][0] - b * tab[i][1];
        y[i][1] = a * tab[i][1] + b * tab[i][0];
    }
}

static void rmul(fftw_complex *y, const double *tab, size_t n, int nt) {
    CZI_OMP_FOR(nt)
    for (size_t i = 0; i < n; i++) y[i][0] *= tab[i], y[i][1] *= tab[i];
}

void czi_dbl_run(cz_sim_plan *p, size_t first, size_t count, const float *fin, const double *din,
                 float *fout, double *dout, int capture) {
    struct czi_dbl *d = p->dbl;
    size_t n = p->npix;
    int nt = p->nthreads;
    fftw_complex *psi = d->psi, *t = d->t;
    double *v = d->v, sigma = p->sigma;
    CZI_OMP_FOR(nt)
    for (size_t i = 0; i < n; i++) {
        psi[i][0] = fin ? (double)fin[2 * i] : din ? din[2 * i] : 1.0;
        psi[i][1] = fin ? (double)fin[2 * i + 1] : din ? din[2 * i + 1] : 0.0;
    }
    for (size_t s = first; s < first + count; s++) {
        if (czi_dbl_potential(p, s, v)) {
            CZI_OMP_FOR(nt)
            for (size_t i = 0; i < n; i++) t[i][0] = cos(sigma * v[i]), t[i][1] = sin(sigma * v[i]);
            fftw_execute_dft(d->fft.c2c_f, t, t);
            rmul(t, d->aa, n, nt);
            fftw_execute_dft(d->fft.c2c_b, t, t);
            cmul(psi, t, n, nt);
        }
        fftw_execute_dft(d->fft.c2c_f, psi, psi);
        cmul(psi, s == p->nslices - 1 ? d->prop_last : d->prop, n, nt);
        if (capture && s == first + count - 1) {
            /* FFT(ψ_exit)/N, band columns, for cz_sim_image (single precision). */
            for (size_t u = 0; u < p->ncb; u++) {
                size_t col = czi_band_col(p, u);
                for (size_t j = 0; j < p->ny; j++) {
                    p->spec[u * p->ny + j][0] = (float)psi[j * p->nx + col][0];
                    p->spec[u * p->ny + j][1] = (float)psi[j * p->nx + col][1];
                }
            }
        }
        fftw_execute_dft(d->fft.c2c_b, psi, psi);
    }
    CZI_OMP_FOR(nt)
    for (size_t i = 0; i < n; i++) {
        if (fout) {
            fout[2 * i] = (float)psi[i][0];
            fout[2 * i + 1] = (float)psi[i][1];
        } else {
            dout[2 * i] = psi[i][0];
            dout[2 * i + 1] = psi[i][1];
        }
    }
    p->spec_valid = capture;
}

#else /* !CZ_SIM_HAVE_FFTW_DOUBLE */

cz_status czi_dbl_create(cz_sim_plan *p) {
    (void)p;
    return CZ_SIM_FAIL(CZ_ENOTSUP,
                       "precision = CZ_SIM_DOUBLE needs libczsim built with libfftw3 (double)");
}
void czi_dbl_destroy(cz_sim_plan *p) { (void)p; }
cz_status czi_dbl_set_atoms(cz_sim_plan *p) {
    (void)p;
    return CZ_OK;
}
void czi_dbl_free_atoms(cz_sim_plan *p) { (void)p; }
int czi_dbl_potential(cz_sim_plan *p, size_t s, double *v) {
    (void)p, (void)s, (void)v;
    return 0;
}
void czi_dbl_run(cz_sim_plan *p, size_t first, size_t count, const float *fin, const double *din,
                 float *fout, double *dout, int capture) {
    (void)p, (void)first, (void)count, (void)fin, (void)din, (void)fout, (void)dout, (void)capture;
}

#endif
