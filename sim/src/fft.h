/* fft.h — deterministic, threaded 2-D FFTs built from batched 1-D FFTW plans (private).
 *
 * A 2-D transform is a pass of 1-D transforms over rows (x, contiguous) and a pass over columns
 * (y, stride = row length). Each pass is cut into blocks of CZI_FFT_BLOCK rows or columns; every
 * block is transformed by the SAME FFTW plan (plus one plan for a final partial block), so the
 * arithmetic done on each row or column does not depend on how blocks are shared among threads:
 * results are bitwise identical for any thread count. The caller interleaves its own pointwise
 * work with the blocks while they are in cache (see plan.c). */
#ifndef CZ_SIM_FFT_H
#define CZ_SIM_FFT_H

#include <fftw3.h>
#include <stddef.h>

#include "cz/cz_base.h"

#define CZI_FFT_BLOCK 16

/* One batch of 1-D transforms: `count` transforms, done CZI_FFT_BLOCK at a time. */
typedef struct czi_batch {
    fftwf_plan full, rem; /* plan for CZI_FFT_BLOCK transforms; plan for count % BLOCK (or NULL) */
    size_t count;         /* number of 1-D transforms */
    size_t in_step, out_step; /* element offset between consecutive transforms (input / output) */
} czi_batch;

/* All the batches a plan needs, for an nx × ny grid (rows of nx, x fastest). */
typedef struct czi_fft {
    size_t nx, ny, nxh;        /* nxh = nx/2 + 1: length of a half-spectrum row */
    czi_batch row_f, row_b;    /* c2c along x on complex [ny][nx] */
    czi_batch col_f, col_b;    /* c2c along y on complex [ny][nx] */
    czi_batch rrow_f, rrow_b;  /* r2c real [ny][nx] -> complex [ny][nxh]; c2r back */
    czi_batch hcol_f, hcol_b;  /* c2c along y on complex [ny][nxh] */
} czi_fft;

/* Plan every batch on the given work arrays (which FFTW_MEASURE overwrites). `cplx` is complex
 * [ny][nx], `real` is float [ny][nx], `half` is complex [ny][nxh]; all from fftwf_malloc.
 * measure != 0 uses FFTW_MEASURE. wisdom: file path, NULL = default location, "" = none.
 * On failure everything made so far is destroyed and the message is recorded. */
cz_status czi_fft_create(czi_fft *f, size_t nx, size_t ny, fftwf_complex *cplx, float *real,
                         fftwf_complex *half, int measure, const char *wisdom);
void czi_fft_destroy(czi_fft *f);

/* Number of blocks of a batch, and running block b (in-place c2c, or r2c/c2r out of place with
 * the pointers of the whole arrays). */
static inline size_t czi_batch_nblocks(const czi_batch *b) {
    return (b->count + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK;
}
void czi_batch_c2c(const czi_batch *b, size_t block, fftwf_complex *data);
void czi_batch_r2c(const czi_batch *b, size_t block, float *in, fftwf_complex *out);
void czi_batch_c2r(const czi_batch *b, size_t block, fftwf_complex *in, float *out);

/* The default wisdom path (for documentation and tests); writes into buf, returns buf or NULL. */
const char *czi_fft_wisdom_path(const char *opt, char *buf, size_t len);

#endif
