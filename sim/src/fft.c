/* fft.c — FFTW planning (behind one mutex, with wisdom cached on disk) and blocked execution.
 *
 * FFTW's planner is not thread-safe (FFTW manual §5.4): every call that creates or destroys a
 * plan, or touches wisdom, takes planner_lock. fftwf_execute_* on existing plans is thread-safe
 * and needs no lock. */
#include "fft.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"

static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;
/* Path of the wisdom file already imported in this process (guarded by planner_lock). FFTW's
 * wisdom is itself process-global, so this is the only other global state in libczsim. */
static char wisdom_loaded[4096];

const char *czi_fft_wisdom_path(const char *opt, char *buf, size_t len) {
    if (opt) {
        if (!*opt) return NULL;
        snprintf(buf, len, "%s", opt);
        return buf;
    }
    const char *env = getenv("CZ_FFTW_WISDOM");
    if (env) {
        if (!*env) return NULL;
        snprintf(buf, len, "%s", env);
        return buf;
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg) {
        snprintf(buf, len, "%s/cz/fftw-wisdom-f", xdg);
        return buf;
    }
    const char *home = getenv("HOME");
    if (home && *home) {
        snprintf(buf, len, "%s/.cache/cz/fftw-wisdom-f", home);
        return buf;
    }
    return NULL;
}

/* mkdir -p of the directory part of path; failures are ignored (the cache is optional). */
static void make_parent_dirs(const char *path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return;
        *p = '/';
    }
}

/* Write wisdom atomically (temporary file + rename) so concurrent processes, e.g. MPI ranks,
 * never read a half-written file. */
static void save_wisdom(const char *path) {
    char tmp[4200];
    make_parent_dirs(path);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *fp = fopen(tmp, "w");
    if (!fp) return;
    fftwf_export_wisdom_to_file(fp);
    if (fclose(fp) == 0) {
        if (rename(tmp, path) != 0) remove(tmp);
    } else {
        remove(tmp);
    }
}

static void batch_destroy(czi_batch *b) {
    if (b->full) fftwf_destroy_plan(b->full);
    if (b->rem) fftwf_destroy_plan(b->rem);
    b->full = b->rem = NULL;
}

enum kind { C2C, R2C, C2R };

/* Plan `count` 1-D transforms of length n: element stride `stride`, transform j starting at
 * j·dist_in (input) and j·dist_out (output). Blocks start at multiples of CZI_FFT_BLOCK
 * transforms, so every block has the alignment the plan was made with (a multiple of 64 bytes
 * for the strides used here). */
static int batch_plan(czi_batch *b, enum kind kind, int sign, int n, size_t count, int stride,
                      size_t dist_in, size_t dist_out, void *in, void *out, unsigned flags) {
    b->count = count;
    b->in_step = dist_in;
    b->out_step = dist_out;
    b->full = b->rem = NULL;
    size_t how[2] = {count < CZI_FFT_BLOCK ? 0 : CZI_FFT_BLOCK, count % CZI_FFT_BLOCK};
    fftwf_plan *dst[2] = {&b->full, &b->rem};
    for (int k = 0; k < 2; k++) {
        if (how[k] == 0) continue;
        int hm = (int)how[k];
        if (kind == C2C) {
            *dst[k] = fftwf_plan_many_dft(1, &n, hm, in, NULL, stride, (int)dist_in, out, NULL,
                                          stride, (int)dist_out, sign, flags);
        } else if (kind == R2C) {
            *dst[k] = fftwf_plan_many_dft_r2c(1, &n, hm, in, NULL, stride, (int)dist_in, out,
                                              NULL, stride, (int)dist_out, flags);
        } else {
            *dst[k] = fftwf_plan_many_dft_c2r(1, &n, hm, in, NULL, stride, (int)dist_in, out,
                                              NULL, stride, (int)dist_out, flags);
        }
        if (!*dst[k]) return -1;
    }
    return 0;
}

cz_status czi_fft_create(czi_fft *f, size_t nx, size_t ny, fftwf_complex *cplx, float *real,
                         fftwf_complex *half, int measure, const char *wisdom) {
    memset(f, 0, sizeof *f);
    f->nx = nx;
    f->ny = ny;
    f->nxh = nx / 2 + 1;
    /* Column stride of a column buffer: ny rounded up to a multiple of 8 complex (64 bytes) and
     * then made an odd multiple of 64 bytes, so consecutive buffer columns start in different
     * cache sets (a power-of-two stride would map all of them onto one set). */
    f->ldb = (ny + 7) / 8 * 8;
    if ((f->ldb / 8) % 2 == 0) f->ldb += 8;
    fftwf_complex *colbuf = fftwf_malloc(CZI_FFT_BLOCK * f->ldb * sizeof *colbuf);
    if (!colbuf) return CZ_SIM_FAIL(CZ_ENOMEM, "cannot allocate a column buffer (%zu rows)", ny);
    unsigned flags = measure ? FFTW_MEASURE : FFTW_ESTIMATE;
    char pathbuf[4096];
    const char *path = czi_fft_wisdom_path(wisdom, pathbuf, sizeof pathbuf);

    pthread_mutex_lock(&planner_lock);
    if (path && strcmp(path, wisdom_loaded) != 0) {
        FILE *fp = fopen(path, "r");
        if (fp) {
            fftwf_import_wisdom_from_file(fp);
            fclose(fp);
        }
        snprintf(wisdom_loaded, sizeof wisdom_loaded, "%s", path);
    }
    int nxi = (int)nx, nyi = (int)ny;
    int bad = 0;
    /* Rows along x: transform j starts at j·nx. Columns along y: element stride nx, transform
     * (column) j starts at j. FFTW_DESTROY_INPUT is the default for c2r only. */
    bad |= batch_plan(&f->row_f, C2C, FFTW_FORWARD, nxi, ny, 1, nx, nx, cplx, cplx, flags);
    bad |= batch_plan(&f->row_b, C2C, FFTW_BACKWARD, nxi, ny, 1, nx, nx, cplx, cplx, flags);
    bad |= batch_plan(&f->col_f, C2C, FFTW_FORWARD, nyi, nx, nxi, 1, 1, cplx, cplx, flags);
    bad |= batch_plan(&f->col_b, C2C, FFTW_BACKWARD, nyi, nx, nxi, 1, 1, cplx, cplx, flags);
    bad |= batch_plan(&f->rrow_f, R2C, 0, nxi, ny, 1, nx, f->nxh, real, half, flags);
    bad |= batch_plan(&f->rrow_b, C2R, 0, nxi, ny, 1, f->nxh, nx, half, real, flags);
    int ldbi = (int)f->ldb;
    f->cb_f = fftwf_plan_many_dft(1, &nyi, CZI_FFT_BLOCK, colbuf, NULL, 1, ldbi, colbuf, NULL, 1,
                                  ldbi, FFTW_FORWARD, flags);
    f->cb_b = fftwf_plan_many_dft(1, &nyi, CZI_FFT_BLOCK, colbuf, NULL, 1, ldbi, colbuf, NULL, 1,
                                  ldbi, FFTW_BACKWARD, flags);
    bad |= !f->cb_f || !f->cb_b;
    if (!bad && path && measure) save_wisdom(path);
    pthread_mutex_unlock(&planner_lock);
    fftwf_free(colbuf);
    if (bad) {
        czi_fft_destroy(f);
        return CZ_SIM_FAIL(CZ_EFFTW, "FFTW could not plan a %zu x %zu transform", nx, ny);
    }
    return CZ_OK;
}

void czi_fft_destroy(czi_fft *f) {
    pthread_mutex_lock(&planner_lock);
    batch_destroy(&f->row_f);
    batch_destroy(&f->row_b);
    batch_destroy(&f->col_f);
    batch_destroy(&f->col_b);
    batch_destroy(&f->rrow_f);
    batch_destroy(&f->rrow_b);
    if (f->cb_f) fftwf_destroy_plan(f->cb_f);
    if (f->cb_b) fftwf_destroy_plan(f->cb_b);
    f->cb_f = f->cb_b = NULL;
    pthread_mutex_unlock(&planner_lock);
}

static fftwf_plan pick(const czi_batch *b, size_t block) {
    return ((block + 1) * CZI_FFT_BLOCK <= b->count) ? b->full : b->rem;
}

void czi_batch_c2c(const czi_batch *b, size_t block, fftwf_complex *data) {
    fftwf_complex *p = data + block * CZI_FFT_BLOCK * b->in_step;
    fftwf_execute_dft(pick(b, block), p, p);
}

void czi_batch_r2c(const czi_batch *b, size_t block, float *in, fftwf_complex *out) {
    size_t j = block * CZI_FFT_BLOCK;
    fftwf_execute_dft_r2c(pick(b, block), in + j * b->in_step, out + j * b->out_step);
}

void czi_batch_c2r(const czi_batch *b, size_t block, fftwf_complex *in, float *out) {
    size_t j = block * CZI_FFT_BLOCK;
    fftwf_execute_dft_c2r(pick(b, block), in + j * b->in_step, out + j * b->out_step);
}

void czi_batch_c2c_rows(const czi_batch *b, size_t block, fftwf_complex *rows) {
    fftwf_execute_dft(pick(b, block), rows, rows);
}

void czi_batch_c2r_rows(const czi_batch *b, size_t block, fftwf_complex *in, float *rows) {
    fftwf_execute_dft_c2r(pick(b, block), in + block * CZI_FFT_BLOCK * b->in_step, rows);
}

/* Gather and scatter move 2 × 2 tiles of complex floats (one 16-byte load per row pair of
 * adjacent columns, a 64-bit unpack, one 16-byte store per column) when two neighbouring entries
 * of cols[] are adjacent columns, which is every pair except at the band gap. Rows come four at
 * a time and the rows a few steps ahead are prefetched: the row stride is a power of two on the
 * usual grids, which the hardware prefetchers do not follow. SSE2 is part of x86-64; other
 * targets use the plain copies. */
#if defined(__SSE2__)
#include <emmintrin.h>
#define CZI_HAVE_SSE2 1
#endif

#define PREFETCH_ROWS 8

void czi_gather(fftwf_complex *src, size_t ld, size_t ny, const size_t *cols, size_t nc,
                fftwf_complex *buf, size_t ldb) {
    size_t j = 0;
    for (; j + 2 <= ny; j += 2) {
        fftwf_complex *r0 = src + j * ld, *r1 = r0 + ld;
        if (j + PREFETCH_ROWS + 1 < ny) {
            __builtin_prefetch(r0 + PREFETCH_ROWS * ld + cols[0]);
            __builtin_prefetch(r0 + PREFETCH_ROWS * ld + cols[nc - 1]);
            __builtin_prefetch(r1 + PREFETCH_ROWS * ld + cols[0]);
            __builtin_prefetch(r1 + PREFETCH_ROWS * ld + cols[nc - 1]);
        }
        size_t c = 0;
#ifdef CZI_HAVE_SSE2
        for (; c + 2 <= nc; c += 2) {
            size_t i = cols[c];
            if (cols[c + 1] != i + 1) break;
            __m128d a = _mm_loadu_pd((const double *)(r0 + i)); /* r0[i], r0[i+1] */
            __m128d b = _mm_loadu_pd((const double *)(r1 + i)); /* r1[i], r1[i+1] */
            _mm_storeu_pd((double *)(buf + c * ldb + j), _mm_unpacklo_pd(a, b));
            _mm_storeu_pd((double *)(buf + (c + 1) * ldb + j), _mm_unpackhi_pd(a, b));
        }
#endif
        for (; c < nc; c++) {
            memcpy(buf[c * ldb + j], r0[cols[c]], sizeof *buf);
            memcpy(buf[c * ldb + j + 1], r1[cols[c]], sizeof *buf);
        }
    }
    for (; j < ny; j++)
        for (size_t c = 0; c < nc; c++)
            memcpy(buf[c * ldb + j], src[j * ld + cols[c]], sizeof *buf);
    for (size_t c = nc; c < CZI_FFT_BLOCK; c++) memset(buf + c * ldb, 0, ny * sizeof *buf);
}

void czi_scatter(fftwf_complex *dst, size_t ld, size_t ny, const size_t *cols, size_t nc,
                 fftwf_complex *buf, size_t ldb) {
    size_t j = 0;
    for (; j + 2 <= ny; j += 2) {
        fftwf_complex *r0 = dst + j * ld, *r1 = r0 + ld;
        if (j + PREFETCH_ROWS + 1 < ny) {
            __builtin_prefetch(r0 + PREFETCH_ROWS * ld + cols[0], 1);
            __builtin_prefetch(r0 + PREFETCH_ROWS * ld + cols[nc - 1], 1);
            __builtin_prefetch(r1 + PREFETCH_ROWS * ld + cols[0], 1);
            __builtin_prefetch(r1 + PREFETCH_ROWS * ld + cols[nc - 1], 1);
        }
        size_t c = 0;
#ifdef CZI_HAVE_SSE2
        for (; c + 2 <= nc; c += 2) {
            size_t i = cols[c];
            if (cols[c + 1] != i + 1) break;
            __m128d a = _mm_loadu_pd((const double *)(buf + c * ldb + j));       /* col c */
            __m128d b = _mm_loadu_pd((const double *)(buf + (c + 1) * ldb + j)); /* col c+1 */
            _mm_storeu_pd((double *)(r0 + i), _mm_unpacklo_pd(a, b));
            _mm_storeu_pd((double *)(r1 + i), _mm_unpackhi_pd(a, b));
        }
#endif
        for (; c < nc; c++) {
            memcpy(r0[cols[c]], buf[c * ldb + j], sizeof *buf);
            memcpy(r1[cols[c]], buf[c * ldb + j + 1], sizeof *buf);
        }
    }
    for (; j < ny; j++)
        for (size_t c = 0; c < nc; c++)
            memcpy(dst[j * ld + cols[c]], buf[c * ldb + j], sizeof *buf);
}
