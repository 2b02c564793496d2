/* plan.h — the cz_sim_plan structure, shared by plan.c and imaging.c (private). */
#ifndef CZ_SIM_PLAN_H
#define CZ_SIM_PLAN_H

#include <math.h>

#include "cz/cz_sim.h"
#include "fft.h"

#ifdef _OPENMP
#define CZI_PRAGMA(x) _Pragma(#x)
/* Parallel loop over independent blocks; schedule(static) keeps the work split fixed. */
#define CZI_OMP_FOR(nt) CZI_PRAGMA(omp parallel for num_threads(nt) schedule(static))
#else
/* Without OpenMP the thread count is only evaluated (it is otherwise unused). */
#define CZI_OMP_FOR(nt) (void)(nt);
#endif

struct cz_sim_plan {
    cz_sim_opts opts;
    size_t nx, ny, nxh, npix, nhalf; /* grid; nxh = nx/2 + 1; nhalf = ny·nxh */
    double lx, ly, lz, dx, dy;       /* cell lengths and pixel size, Å */
    size_t nslices;
    double dz, dz_last;              /* nominal and last slice thickness, Å */
    double lambda, sigma, kcut;      /* Å, rad/(V·Å), 1/Å */
    int nthreads;
    czi_fft fft;
    fftwf_complex *psi, *t;          /* [ny][nx]; in the multislice ψ and t band-compressed,
                                        [ny][ncb] (plan.c); workspace otherwise */
    fftwf_complex *g, *w;            /* [ny][nxh] potential spectrum rows; [nxh][ny] accumulator */
    float *real;                     /* [ny][nx] spread atoms of one species */
    /* Band columns: the ncb columns i with |kx| <= kcut, i.e. i < nlo and i >= nx - (ncb - nlo).
     * Columns outside the band are zero after every band-limited transform and are never
     * column-transformed. Band column u is column czi_band_col(p, u). */
    size_t ncb, nlo;
    fftwf_complex *prop, *prop_last; /* [ncb][ny] P·A/N by band column (prop_last may = prop) */
    float *aa;                       /* [ncb][ny] A/N, antialias aperture for t */
    fftwf_complex *cbuf;             /* [nthreads][colbuf_len] column buffers */
    float *rbuf;                     /* [nthreads][BLOCK][nx] real row buffers */
    fftwf_complex *cwork;            /* [nthreads][2][BLOCK][nx] complex row buffers */
    fftwf_complex *spec;             /* [ncb][ny] FFT(ψ)/N of the last exit wave (cz_sim_image) */
    double *ky;                      /* [ny] spatial frequency of row j, 1/Å */
    int spec_valid;                  /* spec holds a wave's spectrum */
    /* Atoms, sorted by (slice, species); positions in pixel units. */
    size_t natoms, nspec;
    double *ax, *ay;
    unsigned *aspec;
    size_t *slice_start;             /* [nslices + 1] */
    int *spec_z;                     /* [nspec] */
    float *ftab;                     /* [nspec][nxh][ny] F(k)·correction/(N dx dy), by column */
    /* Finite projection (finite.c); unused (NULL, 0) with CZ_SIM_INFINITE. */
    double *az;                      /* [natoms] z, Å */
    float *fin_tab;                  /* [nspec][NH + 1][NR + 1] C(r, h) tables */
    double *fin_reach;               /* [nspec] reach, Å */
    size_t fin_k;                    /* slices an atom can reach beyond its own */
    float *leak;                     /* [ny][nx] real-space part of a slice's potential */
    /* Real-space potential (potential_rs.c): with CZ_SIM_POTENTIAL_REALSPACE a slice's
     * potential is superposed in `real` and rs holds the tables; NULL otherwise. */
    int realspace;
    struct czi_rs *rs;
    /* CZ_SIM_DOUBLE (plan_double.c): double-precision buffers, plans and tables; NULL in single
     * precision. */
    struct czi_dbl *dbl;
};

/* Column index of band column u (see struct cz_sim_plan). */
static inline size_t czi_band_col(const cz_sim_plan *p, size_t u) {
    return u < p->nlo ? u : p->nx - (p->ncb - u);
}

/* Row stride (complex elements) of a compact work array holding n of a grid's nx columns (the
 * imaging passes): a multiple of 8 (64 bytes), odd in those units so that consecutive rows do
 * not share cache sets, when that still fits in a grid row; else n. */
static inline size_t czi_work_ld(size_t n, size_t nx) {
    size_t ld = (n + 7) / 8 * 8;
    if ((ld / 8) % 2 == 0) ld += 8;
    return ld <= nx ? ld : n;
}

/* OpenMP thread number inside a CZI_OMP_FOR loop (0 without OpenMP). */
#ifdef _OPENMP
#include <omp.h>
static inline int czi_tid(void) { return omp_get_thread_num(); }
#else
static inline int czi_tid(void) { return 0; }
#endif

/* Antialias aperture at |k| = k: 1 below kc − w, a cosine taper of width w, 0 above kc. */
double czi_antialias(double k, double kc, double w);
/* tan θ of the beam tilt along x and y (propagator phase −2πiΔz(kx tx + ky ty)). */
void czi_tilt(const cz_sim_plan *p, double *tx, double *ty);
/* The particle mesh's species factor F(k)·(kernel correction)/(N dx dy) at half-spectrum column
 * i < nxh and row j < ny. */
double czi_species_factor(const cz_sim_plan *p, int z, size_t i, size_t j);
/* Spreading weights of atom a: k × k pixels (k = 4 B-spline, 2 bilinear, returned), wrapped
 * columns col[c] and rows row[b] with weights wu[c]·wv[b]. */
int czi_spread_weights(const cz_sim_plan *p, size_t a, size_t col[4], size_t row[4], double wu[4],
                       double wv[4]);

/* Forward FFT of a complex wave [ny][nx] into p->spec (band columns only, scaled by 1/N), using
 * p->psi as workspace; sets p->spec_valid. */
void czi_wave_spectrum(cz_sim_plan *p, const float *wave);

/* Spatial frequency (cycles per length L) of FFT index i of n. */
static inline double czi_freq(size_t i, size_t n, double l) {
    return (i < (n + 1) / 2 ? (double)i : (double)i - (double)n) / l;
}

/* sin and cos of x with Cody–Waite reduction by π/2 (the three-part split of fdlibm) and Taylor
 * polynomials on [−π/4, π/4]: error about 1e-11 for |x| < 1e6, where n·P1 stays exact. Beyond
 * that libm is used. Branch-light so that pixel loops vectorise. */
static inline void czi_sincos(double x, double *s, double *c) {
    if (!(fabs(x) < 1e6)) {
        *s = sin(x);
        *c = cos(x);
        return;
    }
    const double P1 = 1.57079632673412561417e+00, P2 = 6.07710050630396597660e-11,
                 P3 = 2.02226624879595063154e-21;
    double n = floor(x * 0.63661977236758134308 + 0.5);
    double r = ((x - n * P1) - n * P2) - n * P3;
    double r2 = r * r;
    double sp = r + r * r2 * (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 +
                r2 * (1.0 / 362880 + r2 * (-1.0 / 39916800)))));
    double cp = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24 + r2 * (-1.0 / 720 + r2 * (1.0 / 40320 +
                r2 * (-1.0 / 3628800 + r2 * (1.0 / 479001600))))));
    long q = (long)n & 3;
    *s = q == 0 ? sp : q == 1 ? cp : q == 2 ? -sp : -cp;
    *c = q == 0 ? cp : q == 1 ? -sp : q == 2 ? -cp : sp;
}

/* Single-precision sin and cos for the transmission function exp(iσV), where |σV| stays far below
 * 1e4 rad for any physical potential: Cody–Waite reduction by π/2 with a three-part float split
 * and minimax polynomials on [−π/4, π/4] (the coefficients of Cephes' sinf/cosf, S. Moshier).
 * Absolute error about 1e-7 for |x| < 1e4. Branch-free so that the pixel loop vectorises. */
static inline void czi_sincosf(float x, float *s, float *c) {
    const float P1 = 1.5703125f, P2 = 4.837512969970703125e-4f, P3 = 7.54978995489188216e-8f;
    /* Round to nearest by adding and subtracting 1.5·2^23 (exact for |x·2/π| < 2^22), which,
     * unlike floorf, vectorises on every x86-64. */
    float n = (x * 0.636619772367581343f + 12582912.0f) - 12582912.0f;
    float r = ((x - n * P1) - n * P2) - n * P3;
    float r2 = r * r;
    float sp = r + r * r2 * (-1.6666654611e-1f + r2 * (8.3321608736e-3f + r2 * -1.9515295891e-4f));
    float cp = 1.0f - 0.5f * r2 +
               r2 * r2 * (4.166664568298827e-2f + r2 * (-1.388731625493765e-3f +
                                                        r2 * 2.443315711809948e-5f));
    int q = (int)n & 3;
    float s0 = (q & 1) ? cp : sp, c0 = (q & 1) ? sp : cp;
    *s = (q & 2) ? -s0 : s0;
    *c = ((q + 1) & 2) ? -c0 : c0;
}

#endif
