/* detector.c — the camera: geometric distortion, Fourier resampling to the camera pixel size,
 * parametric MTF, dose with Poisson counting noise, Gaussian read noise and integer counts; and
 * the same geometry applied to label maps.
 *
 * Geometry. One mapping serves images and labels: the camera position r (relative to the field
 * centre c) shows the specimen at s = c + A·r·(1 + k1·|r|²/R²) + t. Images are interpolated at s
 * on the fine input grid (Keys bicubic, periodic) before they are resampled to the camera grid;
 * labels take the input pixel nearest to s directly. Distorting before resampling keeps the
 * interpolation on the finely sampled simulation grid, where cubic interpolation is accurate.
 *
 * Resampling. A band-limited periodic image is a trigonometric polynomial; cropping or zero-
 * padding its spectrum and transforming back on the camera grid evaluates that polynomial at the
 * camera pixels (padding), or its low-pass part (cropping). The Nyquist term of an even-sized
 * grid is ambiguous (±N/2 alias): when padding it is split half-and-half between +N/2 and −N/2,
 * and when cropping to an even size the ±M/2 terms are folded onto the new Nyquist bin (their
 * exact sum on the camera samples), so up-then-down sampling is the identity and real images stay
 * real. The MTF multiplies the spectrum in the same pass.
 *
 * Noise. Counts per camera pixel ~ Poisson(λ), λ = I·dose·pixel_area (DESIGN §4), drawn from
 * libczsim's counter-based generator keyed by (seed, frame, pixel): inversion of the cumulative
 * distribution for λ < 10 and Hörmann's PTRS transformed rejection (Insurance: Mathematics and
 * Economics 12 (1993) 39, algorithm PTRS) above, which is exact and needs about 1.1 uniform pairs
 * per sample at any λ. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fft.h"
#include "phonons.h"

#ifdef _OPENMP
#include <omp.h>
#define DET_PRAGMA(x) _Pragma(#x)
#define DET_OMP_FOR(nt) DET_PRAGMA(omp parallel for num_threads(nt) schedule(static))
#else
#define DET_OMP_FOR(nt)
#endif

static const double PI = 3.14159265358979323846;
static const size_t MAX_PIXELS = (size_t)1 << 26;
#define DET_KNOWN_FLAGS (CZ_SIM_DET_INTEGER | CZ_SIM_DET_NOISELESS)

/* Where one output frequency index gathers from: up to two input indices with weights. */
typedef struct gather {
    int count;
    size_t in[2];
    double w[2];
} gather;

struct cz_sim_detector {
    cz_sim_detector_opts opts;
    size_t inx, iny, inpix; /* input grid */
    size_t onx, ony, onpix; /* camera grid */
    double idx, idy;        /* input pixel, Å */
    double odx, ody;        /* camera pixel, Å */
    double lx, ly;          /* field of view, Å */
    int nthreads;
    int distort;       /* the geometry is not the identity */
    int fourier;       /* resampling or MTF needs the Fourier pass */
    czi_fft fin, fout; /* plans for the input and camera grids (fout unused if same) */
    int same_grid;
    fftwf_complex *cin;  /* [iny][inx] */
    fftwf_complex *cout; /* [ony][onx]; = cin when the grids are equal */
    double *dist;        /* [inpix] distorted image, when distort */
    float *mtf;          /* [onpix] MTF(q)/N_in */
    gather *gx, *gy;     /* [onx], [ony] */
};

void cz_sim_detector_opts_default(cz_sim_detector_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->mtf = CZ_SIM_MTF_NONE;
    opts->mtf_q0 = 0.5;
    opts->mtf_floor = 0.0;
    opts->affine[0][0] = opts->affine[1][1] = 1.0;
}

void cz_sim_detector_destroy(cz_sim_detector *d) {
    if (!d) return;
    czi_fft_destroy(&d->fin);
    if (!d->same_grid) czi_fft_destroy(&d->fout);
    if (d->cout != d->cin) fftwf_free(d->cout);
    fftwf_free(d->cin);
    free(d->dist);
    fftwf_free(d->mtf);
    free(d->gx);
    free(d->gy);
    free(d);
}

/* Signed frequency (cycles per field) of FFT index i of n. */
static long freq_of(size_t i, size_t n) { return i < (n + 1) / 2 ? (long)i : (long)i - (long)n; }

/* Gather table of one axis for resampling from n to m points (see the top of the file). */
static void make_gather(size_t n, size_t m, gather *g) {
    for (size_t o = 0; o < m; o++) g[o].count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t outs[2];
        double ws[2];
        int c = 0;
        long f = freq_of(i, n);
        if (n == m) {
            outs[c] = i, ws[c++] = 1.0;
        } else if (n % 2 == 0 && i == n / 2) {
            /* Input Nyquist: split between +n/2 and −n/2 when the camera grid holds both. */
            if (m > n) {
                outs[c] = n / 2, ws[c++] = 0.5;
                outs[c] = m - n / 2, ws[c++] = 0.5;
            }
        } else {
            long af = f < 0 ? -f : f;
            int keep = (m % 2) ? (af <= (long)(m - 1) / 2) : (af <= (long)m / 2);
            if (keep) {
                /* |f| = m/2 on an even camera grid folds onto its Nyquist bin m/2. */
                size_t o = (m % 2 == 0 && af == (long)m / 2) ? m / 2
                           : f >= 0                          ? (size_t)f
                                                             : (size_t)((long)m + f);
                outs[c] = o, ws[c++] = 1.0;
            }
        }
        for (int q = 0; q < c; q++) {
            gather *t = &g[outs[q]];
            t->in[t->count] = i;
            t->w[t->count] = ws[q];
            t->count++;
        }
    }
}

static double mtf_value(const cz_sim_detector_opts *o, double q) {
    double c = o->mtf_floor, x = q / o->mtf_q0;
    switch (o->mtf) {
        case CZ_SIM_MTF_LORENTZIAN:
            return (1.0 - c) / (1.0 + x * x) + c;
        case CZ_SIM_MTF_GAUSSIAN:
            return (1.0 - c) * exp(-0.5 * x * x) + c;
        default:
            return 1.0;
    }
}

/* Plan FFTs for an nx × ny complex grid on `cplx`. czi_fft_create also plans real-to-complex
 * batches, which need buffers of their own for planning only. */
static cz_status plan_grid(czi_fft *f, size_t nx, size_t ny, fftwf_complex *cplx) {
    float *real = fftwf_malloc(nx * ny * sizeof *real);
    fftwf_complex *half = fftwf_malloc((nx / 2 + 1) * ny * sizeof *half);
    if (!real || !half) {
        fftwf_free(real);
        fftwf_free(half);
        return CZ_SIM_FAIL(CZ_ENOMEM, "cannot allocate FFT planning buffers (%zu x %zu)", nx, ny);
    }
    /* FFTW_ESTIMATE and no wisdom file: a camera is cheap next to the multislice, and planning
     * stays fast and free of file I/O. */
    cz_status st = czi_fft_create(f, nx, ny, cplx, real, half, 0, "");
    fftwf_free(real);
    fftwf_free(half);
    return st;
}

static cz_status check_opts(const cz_sim_detector_opts *o) {
    if (!(o->pixel_size >= 0) || !isfinite(o->pixel_size))
        return CZ_SIM_FAIL(CZ_EINVAL, "pixel_size must be finite and >= 0 (got %g)", o->pixel_size);
    if (o->mtf != CZ_SIM_MTF_NONE && o->mtf != CZ_SIM_MTF_LORENTZIAN &&
        o->mtf != CZ_SIM_MTF_GAUSSIAN)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown MTF form %d", (int)o->mtf);
    if (o->mtf != CZ_SIM_MTF_NONE) {
        if (!(o->mtf_q0 > 0) || !isfinite(o->mtf_q0))
            return CZ_SIM_FAIL(CZ_EINVAL, "mtf_q0 must be finite and > 0 (got %g)", o->mtf_q0);
        if (!(o->mtf_floor >= 0 && o->mtf_floor < 1))
            return CZ_SIM_FAIL(CZ_EINVAL, "mtf_floor must be in [0, 1) (got %g)", o->mtf_floor);
    }
    if (!(o->dose_e_per_a2 >= 0) || !isfinite(o->dose_e_per_a2))
        return CZ_SIM_FAIL(CZ_EINVAL, "dose_e_per_a2 must be finite and >= 0 (got %g)",
                           o->dose_e_per_a2);
    if (!(o->read_noise >= 0) || !isfinite(o->read_noise))
        return CZ_SIM_FAIL(CZ_EINVAL, "read_noise must be finite and >= 0 (got %g)", o->read_noise);
    if (o->flags & ~(unsigned)DET_KNOWN_FLAGS)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown flags 0x%x", o->flags & ~(unsigned)DET_KNOWN_FLAGS);
    if (o->dose_e_per_a2 == 0) {
        if (o->read_noise > 0)
            return CZ_SIM_FAIL(CZ_EINVAL, "read_noise = %g counts needs a dose (dose_e_per_a2 = 0)",
                               o->read_noise);
        if (o->flags & (CZ_SIM_DET_INTEGER | CZ_SIM_DET_NOISELESS))
            return CZ_SIM_FAIL(CZ_EINVAL,
                               "CZ_SIM_DET_INTEGER and CZ_SIM_DET_NOISELESS need a dose "
                               "(dose_e_per_a2 = 0)");
    }
    const double g[7] = {o->affine[0][0], o->affine[0][1], o->affine[1][0], o->affine[1][1],
                         o->shift[0],     o->shift[1],     o->radial_k1};
    for (int q = 0; q < 7; q++)
        if (!isfinite(g[q]))
            return CZ_SIM_FAIL(CZ_EINVAL,
                               "distortion parameters must be finite (affine, shift, "
                               "radial_k1)");
    if (o->nthreads < 0)
        return CZ_SIM_FAIL(CZ_EINVAL, "nthreads must be >= 0 (got %d)", o->nthreads);
    return CZ_OK;
}

/* Camera pixels along one axis of length l with n input pixels. */
static cz_status axis_size(size_t want, double pixel, size_t n, double l, char axis, size_t *out) {
    if (want > 0) {
        *out = want;
    } else if (pixel > 0) {
        double m = floor(l / pixel + 0.5);
        if (!(m <= (double)MAX_PIXELS))
            return CZ_SIM_FAIL(CZ_ERANGE, "camera grid along %c (%g pixels) exceeds 2^26", axis, m);
        *out = (size_t)m;
    } else {
        *out = n;
    }
    if (*out < 2)
        return CZ_SIM_FAIL(CZ_EINVAL, "camera grid along %c must have >= 2 pixels (got %zu)", axis,
                           *out);
    return CZ_OK;
}

cz_status cz_sim_detector_create(const cz_sim_detector_opts *opts_in, size_t in_nx, size_t in_ny,
                                 double dx, double dy, cz_sim_detector **out) {
    if (!out) return CZ_SIM_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    cz_sim_detector_opts o;
    if (opts_in)
        o = *opts_in;
    else
        cz_sim_detector_opts_default(&o);
    cz_status st = check_opts(&o);
    if (st) return st;
    if (in_nx < 2 || in_ny < 2)
        return CZ_SIM_FAIL(CZ_EINVAL, "input grid must be at least 2 x 2 (got %zu x %zu)", in_nx,
                           in_ny);
    if (in_nx > MAX_PIXELS / in_ny)
        return CZ_SIM_FAIL(CZ_ERANGE, "input grid %zu x %zu exceeds 2^26 pixels", in_nx, in_ny);
    if (!(dx > 0) || !(dy > 0) || !isfinite(dx) || !isfinite(dy))
        return CZ_SIM_FAIL(CZ_EINVAL, "input pixel size must be finite and > 0 (got %g x %g)", dx,
                           dy);
    double lx = dx * (double)in_nx, ly = dy * (double)in_ny;
    size_t onx = 0, ony = 0;
    if ((st = axis_size(o.nx, o.pixel_size, in_nx, lx, 'x', &onx))) return st;
    if ((st = axis_size(o.ny, o.pixel_size, in_ny, ly, 'y', &ony))) return st;
    if (onx > MAX_PIXELS / ony)
        return CZ_SIM_FAIL(CZ_ERANGE, "camera grid %zu x %zu exceeds 2^26 pixels", onx, ony);

    cz_sim_detector *d = calloc(1, sizeof *d);
    if (!d) return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory");
    d->opts = o;
    d->inx = in_nx;
    d->iny = in_ny;
    d->inpix = in_nx * in_ny;
    d->onx = onx;
    d->ony = ony;
    d->onpix = onx * ony;
    d->idx = dx;
    d->idy = dy;
    d->lx = lx;
    d->ly = ly;
    d->odx = lx / (double)onx;
    d->ody = ly / (double)ony;
#ifdef _OPENMP
    d->nthreads = o.nthreads > 0 ? o.nthreads : omp_get_max_threads();
#else
    d->nthreads = 1;
#endif
    d->distort = !(o.affine[0][0] == 1 && o.affine[0][1] == 0 && o.affine[1][0] == 0 &&
                   o.affine[1][1] == 1 && o.shift[0] == 0 && o.shift[1] == 0 && o.radial_k1 == 0);
    d->same_grid = onx == in_nx && ony == in_ny;
    d->fourier = !d->same_grid || o.mtf != CZ_SIM_MTF_NONE;
    if (d->distort) {
        d->dist = malloc(d->inpix * sizeof *d->dist);
        if (!d->dist) goto nomem;
    }
    if (d->fourier) {
        d->cin = fftwf_malloc(d->inpix * sizeof *d->cin);
        d->cout = d->same_grid ? d->cin : fftwf_malloc(d->onpix * sizeof *d->cout);
        d->mtf = fftwf_malloc(d->onpix * sizeof *d->mtf);
        d->gx = malloc(onx * sizeof *d->gx);
        d->gy = malloc(ony * sizeof *d->gy);
        if (!d->cin || !d->cout || !d->mtf || !d->gx || !d->gy) goto nomem;
        if ((st = plan_grid(&d->fin, in_nx, in_ny, d->cin))) goto fail;
        if (!d->same_grid && (st = plan_grid(&d->fout, onx, ony, d->cout))) goto fail;
        make_gather(in_nx, onx, d->gx);
        make_gather(in_ny, ony, d->gy);
        /* The 1/N of FFTW's unnormalised pair goes into the table: N of the input grid, so that
         * pixel values (not sums) are preserved by resampling. */
        double inv_n = 1.0 / (double)d->inpix;
        for (size_t j = 0; j < ony; j++) {
            double qy = (double)freq_of(j, ony) * 2.0 / (double)ony;
            for (size_t i = 0; i < onx; i++) {
                double qx = (double)freq_of(i, onx) * 2.0 / (double)onx;
                d->mtf[j * onx + i] = (float)(mtf_value(&o, sqrt(qx * qx + qy * qy)) * inv_n);
            }
        }
    }
    *out = d;
    return CZ_OK;
nomem:
    st = CZ_SIM_FAIL(CZ_ENOMEM, "cannot allocate a camera for %zu x %zu -> %zu x %zu pixels", in_nx,
                     in_ny, onx, ony);
fail:
    /* Plans that were never made are zeroed (calloc, or reset by czi_fft_create on failure). */
    cz_sim_detector_destroy(d);
    return st;
}

cz_status cz_sim_detector_geometry(const cz_sim_detector *d, cz_sim_detector_grid *g) {
    if (!d || !g) return CZ_SIM_FAIL(CZ_EINVAL, "det and grid must not be NULL");
    g->in_nx = d->inx;
    g->in_ny = d->iny;
    g->nx = d->onx;
    g->ny = d->ony;
    g->dx = d->odx;
    g->dy = d->ody;
    g->in_len = d->inpix;
    g->out_len = d->onpix;
    return CZ_OK;
}

/* Source position of a point at (x, y) Å on the camera, in input pixel units (unwrapped). */
static inline void source_pixel(const cz_sim_detector *d, double x, double y, double *u,
                                double *v) {
    const cz_sim_detector_opts *o = &d->opts;
    double cx = 0.5 * d->lx, cy = 0.5 * d->ly, r0 = 0.5 * fmin(d->lx, d->ly);
    double rx = x - cx, ry = y - cy;
    double f = 1.0 + o->radial_k1 * (rx * rx + ry * ry) / (r0 * r0);
    double sx = cx + f * (o->affine[0][0] * rx + o->affine[0][1] * ry) + o->shift[0];
    double sy = cy + f * (o->affine[1][0] * rx + o->affine[1][1] * ry) + o->shift[1];
    *u = sx / d->idx;
    *v = sy / d->idy;
}

/* Keys' cubic convolution kernel with a = −1/2 (third-order accurate; Keys, IEEE Trans. ASSP 29
 * (1981) 1153), weights for the four samples at floor(u) − 1 … floor(u) + 2. */
static inline void keys_weights(double t, double w[4]) {
    double t2 = t * t, t3 = t2 * t;
    w[0] = -0.5 * t3 + t2 - 0.5 * t;
    w[1] = 1.5 * t3 - 2.5 * t2 + 1.0;
    w[2] = -1.5 * t3 + 2.0 * t2 + 0.5 * t;
    w[3] = 0.5 * t3 - 0.5 * t2;
}

/* Index i wrapped into [0, n), for any integer i. */
static inline size_t wrap(long i, size_t n) {
    long m = i % (long)n;
    return (size_t)(m < 0 ? m + (long)n : m);
}

/* A coordinate in pixel units wrapped into [0, n) before any conversion to an integer, so that
 * extreme distortions cannot overflow; a non-finite coordinate (only from absurd parameters)
 * maps to 0. */
static inline double wrapd(double u, size_t n) {
    if (!isfinite(u)) return 0.0;
    double w = u - floor(u / (double)n) * (double)n;
    return (w >= 0.0 && w < (double)n) ? w : 0.0;
}

static void distort_image(const cz_sim_detector *d, const double *in, double *out) {
    size_t nx = d->inx, ny = d->iny;
    int nt = d->nthreads;
    DET_OMP_FOR(nt)
    for (size_t j = 0; j < ny; j++) {
        for (size_t i = 0; i < nx; i++) {
            double u, v;
            source_pixel(d, (double)i * d->idx, (double)j * d->idy, &u, &v);
            u = wrapd(u, nx);
            v = wrapd(v, ny);
            double fu = floor(u), fv = floor(v), wu[4], wv[4];
            keys_weights(u - fu, wu);
            keys_weights(v - fv, wv);
            long iu = (long)fu - 1, iv = (long)fv - 1;
            size_t cols[4];
            for (int c = 0; c < 4; c++) cols[c] = wrap(iu + c, nx);
            double acc = 0.0;
            for (int b = 0; b < 4; b++) {
                const double *row = in + wrap(iv + b, ny) * nx;
                acc += wv[b] * (wu[0] * row[cols[0]] + wu[1] * row[cols[1]] + wu[2] * row[cols[2]] +
                                wu[3] * row[cols[3]]);
            }
            out[j * nx + i] = acc;
        }
    }
}

/* log(k!) for integer k ≥ 0: a direct sum below 16, Stirling's series above (error < 1e-13).
 * Written out because lgamma() writes the global signgam (a data race in threaded loops). */
static double log_factorial(double k) {
    if (k < 16) {
        double s = 0.0;
        for (int j = 2; j <= (int)k; j++) s += log((double)j);
        return s;
    }
    double r = 1.0 / k, r2 = r * r;
    return k * log(k) - k + 0.5 * log(2.0 * PI * k) +
           r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 / 1680)));
}

/* One Poisson(λ) sample from site key `key`. */
static double poisson(double lam, uint64_t key) {
    if (!(lam > 0)) return 0.0;
    if (lam < 10.0) {
        /* Inversion: the smallest k with F(k) ≥ u. At λ < 10 it takes about λ + 1 steps; the cap
         * only guards against u rounding above the computed F(∞). */
        double u = czi_sim_rng_uniform(key, 0), p = exp(-lam), cdf = p, k = 0;
        while (u > cdf && k < 200) {
            k += 1;
            p *= lam / k;
            cdf += p;
        }
        return k;
    }
    /* PTRS (Hörmann 1993): a transformed-rejection sampler with a quick acceptance region
     * (us ≥ 0.07, v ≤ v_r) that accepts most candidates without logarithms. */
    double slam = sqrt(lam), loglam = log(lam);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
    for (uint64_t draw = 0;; draw += 2) {
        double u = czi_sim_rng_uniform(key, draw) - 0.5, v = czi_sim_rng_uniform(key, draw + 1);
        double us = 0.5 - fabs(u);
        double k = floor((2.0 * a / us + b) * u + lam + 0.43);
        if (us >= 0.07 && v <= vr) return k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <=
            -lam + k * loglam - log_factorial(k))
            return k;
    }
}

cz_status cz_sim_detector_image(cz_sim_detector *d, uint64_t frame, const double in[],
                                size_t in_len, double out[], size_t out_len) {
    if (!d || !in || !out) return CZ_SIM_FAIL(CZ_EINVAL, "det, in and out must not be NULL");
    if (in_len < d->inpix)
        return CZ_SIM_FAIL(CZ_ERANGE, "in holds %zu values, %zu needed", in_len, d->inpix);
    if (out_len < d->onpix)
        return CZ_SIM_FAIL(CZ_ERANGE, "out holds %zu values, %zu needed", out_len, d->onpix);
    for (size_t i = 0; i < d->inpix; i++)
        if (!isfinite(in[i]))
            return CZ_SIM_FAIL(CZ_EINVAL, "input pixel %zu (x = %zu, y = %zu) is not finite (%g)",
                               i, i % d->inx, i / d->inx, in[i]);
    const cz_sim_detector_opts *o = &d->opts;
    int nt = d->nthreads;
    const double *src = in;
    if (d->distort) {
        distort_image(d, in, d->dist);
        src = d->dist;
    }
    if (d->fourier) {
        const czi_fft *fi = &d->fin, *fo = d->same_grid ? &d->fin : &d->fout;
        fftwf_complex *ci = d->cin, *co = d->cout;
        size_t inx = d->inx, iny = d->iny, onx = d->onx, ony = d->ony;
        size_t nb = czi_batch_nblocks(&fi->row_f);
        DET_OMP_FOR(nt)
        for (size_t b = 0; b < nb; b++) {
            size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < iny ? r0 + CZI_FFT_BLOCK : iny;
            for (size_t i = r0 * inx; i < r1 * inx; i++) {
                ci[i][0] = (float)src[i];
                ci[i][1] = 0.0f;
            }
            czi_batch_c2c(&fi->row_f, b, ci);
        }
        nb = czi_batch_nblocks(&fi->col_f);
        DET_OMP_FOR(nt)
        for (size_t b = 0; b < nb; b++) czi_batch_c2c(&fi->col_f, b, ci);
        const float *mtf = d->mtf;
        if (d->same_grid) {
            for (size_t i = 0; i < d->onpix; i++) {
                co[i][0] *= mtf[i];
                co[i][1] *= mtf[i];
            }
        } else {
            /* Gather each camera frequency from its (at most 2 × 2) input frequencies. */
            const gather *gx = d->gx, *gy = d->gy;
            DET_OMP_FOR(nt)
            for (size_t j = 0; j < ony; j++) {
                for (size_t i = 0; i < onx; i++) {
                    double re = 0.0, im = 0.0;
                    for (int a = 0; a < gy[j].count; a++)
                        for (int c = 0; c < gx[i].count; c++) {
                            double w = gy[j].w[a] * gx[i].w[c];
                            const float *x = ci[gy[j].in[a] * inx + gx[i].in[c]];
                            re += w * x[0];
                            im += w * x[1];
                        }
                    float m = mtf[j * onx + i];
                    co[j * onx + i][0] = (float)re * m;
                    co[j * onx + i][1] = (float)im * m;
                }
            }
        }
        nb = czi_batch_nblocks(&fo->col_b);
        DET_OMP_FOR(nt)
        for (size_t b = 0; b < nb; b++) czi_batch_c2c(&fo->col_b, b, co);
        nb = czi_batch_nblocks(&fo->row_b);
        DET_OMP_FOR(nt)
        for (size_t b = 0; b < nb; b++) {
            czi_batch_c2c(&fo->row_b, b, co);
            size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < ony ? r0 + CZI_FFT_BLOCK : ony;
            for (size_t i = r0 * onx; i < r1 * onx; i++) out[i] = co[i][0];
        }
    } else if (src != out) {
        memcpy(out, src, d->onpix * sizeof *out);
    }
    if (o->dose_e_per_a2 > 0) {
        double scale = o->dose_e_per_a2 * d->odx * d->ody, rn = o->read_noise;
        uint64_t seed = o->seed;
        int noiseless = (o->flags & CZ_SIM_DET_NOISELESS) != 0;
        int integer = (o->flags & CZ_SIM_DET_INTEGER) != 0;
        size_t onpix = d->onpix;
        DET_OMP_FOR(nt)
        for (size_t i = 0; i < onpix; i++) {
            double lam = out[i] > 0 ? out[i] * scale : 0.0;
            double c = lam;
            if (!noiseless) {
                c = poisson(lam, czi_sim_rng_key(seed, CZI_RNG_SHOT, frame, i));
                if (rn > 0) {
                    double g[2];
                    czi_sim_rng_normal2(czi_sim_rng_key(seed, CZI_RNG_READ, frame, i), 0, g);
                    c += rn * g[0];
                }
            }
            if (integer) c = c > 0 ? floor(c + 0.5) : 0.0;
            out[i] = c;
        }
    }
    return CZ_OK;
}

cz_status cz_sim_detector_labels(const cz_sim_detector *d, size_t elem_size, size_t nchan,
                                 const void *in, size_t in_bytes, void *out, size_t out_bytes) {
    if (!d || !in || !out) return CZ_SIM_FAIL(CZ_EINVAL, "det, in and out must not be NULL");
    if (elem_size == 0 || nchan == 0)
        return CZ_SIM_FAIL(CZ_EINVAL, "elem_size and nchan must be > 0 (got %zu, %zu)", elem_size,
                           nchan);
    size_t per_in = d->inpix * elem_size, per_out = d->onpix * elem_size;
    if (nchan > ((size_t)-1) / per_in || nchan > ((size_t)-1) / per_out)
        return CZ_SIM_FAIL(CZ_ERANGE, "%zu channels of %zu-byte labels overflow size_t", nchan,
                           elem_size);
    if (in_bytes < nchan * per_in)
        return CZ_SIM_FAIL(CZ_ERANGE, "in holds %zu bytes, %zu needed", in_bytes, nchan * per_in);
    if (out_bytes < nchan * per_out)
        return CZ_SIM_FAIL(CZ_ERANGE, "out holds %zu bytes, %zu needed", out_bytes,
                           nchan * per_out);
    const unsigned char *src = in;
    unsigned char *dst = out;
    size_t onx = d->onx, ony = d->ony, inx = d->inx, iny = d->iny;
    int nt = d->nthreads;
    DET_OMP_FOR(nt)
    for (size_t j = 0; j < ony; j++) {
        for (size_t i = 0; i < onx; i++) {
            double u, v;
            source_pixel(d, (double)i * d->odx, (double)j * d->ody, &u, &v);
            size_t s = wrap((long)floor(wrapd(v, iny) + 0.5), iny) * inx +
                       wrap((long)floor(wrapd(u, inx) + 0.5), inx);
            size_t t = j * onx + i;
            for (size_t c = 0; c < nchan; c++)
                memcpy(dst + (c * d->onpix + t) * elem_size, src + (c * d->inpix + s) * elem_size,
                       elem_size);
        }
    }
    return CZ_OK;
}

/* Newton's method for r′ (Å, relative to the field centre) with f(r′)·A·r′ = q, f = 1 +
 * k1·|r′|²/R², from r′ = A⁻¹q (exact without radial distortion). The Jacobian is
 * J = f·A + (A·r′) ⊗ ∇f with ∇f = 2·k1·r′/R². The iteration stops when a step is below
 * 1e-12·(1 + |r′|) per axis (Newton converges quadratically, so r′ is then good to about 1e-15
 * relative) or after 60 steps; the solution is accepted when the residual |f·A·r′ − q| is at most
 * 1e-9·(1 + |q| + L) Å per axis. Returns 1 when accepted. */
static int locate_solve(const cz_sim_detector *d, double qx, double qy, double *rx, double *ry) {
    const double(*a)[2] = d->opts.affine;
    double r0 = 0.5 * fmin(d->lx, d->ly), g = 2.0 * d->opts.radial_k1 / (r0 * r0);
    double det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    double x = (a[1][1] * qx - a[0][1] * qy) / det, y = (a[0][0] * qy - a[1][0] * qx) / det;
    for (int it = 0; it < 60; ++it) {
        double f = 1.0 + 0.5 * g * (x * x + y * y);
        double ax = a[0][0] * x + a[0][1] * y, ay = a[1][0] * x + a[1][1] * y;
        double gx = f * ax - qx, gy = f * ay - qy;
        double j00 = f * a[0][0] + ax * g * x, j01 = f * a[0][1] + ax * g * y;
        double j10 = f * a[1][0] + ay * g * x, j11 = f * a[1][1] + ay * g * y;
        double dj = j00 * j11 - j01 * j10;
        if (dj == 0 || !isfinite(dj)) return 0;
        double sx = (j11 * gx - j01 * gy) / dj, sy = (j00 * gy - j10 * gx) / dj;
        x -= sx;
        y -= sy;
        if (fabs(sx) <= 1e-12 * (1.0 + fabs(x)) && fabs(sy) <= 1e-12 * (1.0 + fabs(y))) break;
    }
    double f = 1.0 + 0.5 * g * (x * x + y * y);
    double ex = f * (a[0][0] * x + a[0][1] * y) - qx, ey = f * (a[1][0] * x + a[1][1] * y) - qy;
    *rx = x;
    *ry = y;
    return fabs(ex) <= 1e-9 * (1.0 + fabs(qx) + d->lx) &&
           fabs(ey) <= 1e-9 * (1.0 + fabs(qy) + d->ly);
}

/* Most periodic images of the field per axis that cz_sim_detector_locate tries. */
#define LOCATE_MAX_TILES 4096

/* Periodic images of a point that can appear in the camera field, as tile ranges [t[0], t[1]]
 * along x and [t[2], t[3]] along y: the tiles the field's source positions reach (the forward
 * map sampled on 33 × 33 points of the field), one more on each side for the unsampled extremes
 * and the half-pixel border of the camera field. Only tile 0 without distortion. */
static cz_status locate_tiles(const cz_sim_detector *d, long t[4]) {
    t[0] = t[1] = t[2] = t[3] = 0;
    if (!d->distort) return CZ_OK;
    double lx = d->lx, ly = d->ly;
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int j = 0; j <= 32; ++j)
        for (int i = 0; i <= 32; ++i) {
            double u, v;
            source_pixel(d, lx * i / 32.0, ly * j / 32.0, &u, &v);
            double sx = u * d->idx, sy = v * d->idy;
            lo[0] = fmin(lo[0], sx), hi[0] = fmax(hi[0], sx);
            lo[1] = fmin(lo[1], sy), hi[1] = fmax(hi[1], sy);
        }
    double b[4] = {floor(lo[0] / lx) - 1, ceil(hi[0] / lx) + 1, floor(lo[1] / ly) - 1,
                   ceil(hi[1] / ly) + 1};
    /* Checked before any conversion to long, so that an absurd distortion (or one whose source
     * positions overflow) can neither overflow nor loop for ever. */
    int far = !(fabs(b[0]) < 1e12 && fabs(b[1]) < 1e12 && fabs(b[2]) < 1e12 && fabs(b[3]) < 1e12);
    if (far || !(b[1] - b[0] < LOCATE_MAX_TILES && b[3] - b[2] < LOCATE_MAX_TILES))
        return CZ_SIM_FAIL(CZ_ERANGE,
                           "the distortion shows %g x %g periodic images of the field, %g fields "
                           "away (at most %d per axis, within 1e12 fields, can be located)",
                           b[1] - b[0] - 1, b[3] - b[2] - 1, fmax(fabs(b[0]), fabs(b[2])),
                           LOCATE_MAX_TILES - 2);
    for (int q = 0; q < 4; ++q) t[q] = (long)b[q];
    return CZ_OK;
}

/* One pass of cz_sim_detector_locate over the tiles t (locate_tiles): counts the appearances
 * and, when out_xy is non-NULL, writes them (the caller has checked the capacity with a counting
 * pass). */
static size_t locate_pass(const cz_sim_detector *d, const long t[4], size_t n,
                          const double in_xy[][2], double out_xy[][2], size_t point[]) {
    const cz_sim_detector_opts *o = &d->opts;
    double lx = d->lx, ly = d->ly, cx = 0.5 * lx, cy = 0.5 * ly;
    long mx0 = t[0], mx1 = t[1], my0 = t[2], my1 = t[3];
    double hx = 0.5 * d->odx, hy = 0.5 * d->ody;
    size_t k = 0;
    for (size_t p = 0; p < n; ++p) {
        double x = in_xy[p][0] * d->idx, y = in_xy[p][1] * d->idy;
        /* The periodic image in [−½, n − ½) camera pixels: without distortion, the only one. */
        double bx = x - floor((x + hx) / lx) * lx, by = y - floor((y + hy) / ly) * ly;
        for (long my = my0; my <= my1; ++my)
            for (long mx = mx0; mx <= mx1; ++mx) {
                double tx = bx + (double)mx * lx, ty = by + (double)my * ly, rx, ry;
                if (!d->distort) {
                    rx = tx - cx;
                    ry = ty - cy;
                } else if (!locate_solve(d, tx - cx - o->shift[0], ty - cy - o->shift[1], &rx,
                                         &ry)) {
                    continue;
                }
                double px = (cx + rx) / d->odx, py = (cy + ry) / d->ody;
                if (!(px >= -0.5 && px < (double)d->onx - 0.5 && py >= -0.5 &&
                      py < (double)d->ony - 0.5))
                    continue;
                if (out_xy) {
                    out_xy[k][0] = px;
                    out_xy[k][1] = py;
                    point[k] = p;
                }
                ++k;
            }
    }
    return k;
}

cz_status cz_sim_detector_locate(const cz_sim_detector *d, size_t n, const double in_xy[][2],
                                 double out_xy[][2], size_t point[], size_t cap, size_t *nout) {
    if (!d || !nout) return CZ_SIM_FAIL(CZ_EINVAL, "det and nout must not be NULL");
    *nout = 0;
    if (n > 0 && !in_xy) return CZ_SIM_FAIL(CZ_EINVAL, "in_xy must not be NULL with n = %zu", n);
    if (cap > 0 && (!out_xy || !point))
        return CZ_SIM_FAIL(CZ_EINVAL, "out_xy and point must not be NULL with cap = %zu", cap);
    for (size_t p = 0; p < n; ++p)
        if (!isfinite(in_xy[p][0]) || !isfinite(in_xy[p][1]))
            return CZ_SIM_FAIL(CZ_EINVAL, "point %zu is not finite (%g, %g)", p, in_xy[p][0],
                               in_xy[p][1]);
    const double(*a)[2] = d->opts.affine;
    if (d->distort && a[0][0] * a[1][1] - a[0][1] * a[1][0] == 0)
        return CZ_SIM_FAIL(CZ_EINVAL,
                           "the distortion's affine matrix [[%g, %g], [%g, %g]] is singular: "
                           "positions cannot be located",
                           a[0][0], a[0][1], a[1][0], a[1][1]);
    long t[4];
    cz_status st = locate_tiles(d, t);
    if (st != CZ_OK) return st;
    size_t k = locate_pass(d, t, n, in_xy, NULL, NULL);
    *nout = k;
    if (cap == 0 && !out_xy) return CZ_OK; /* size query */
    if (cap < k) return CZ_SIM_FAIL(CZ_ERANGE, "room for %zu appearances, %zu needed", cap, k);
    locate_pass(d, t, n, in_xy, out_xy, point);
    return CZ_OK;
}
