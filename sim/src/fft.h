/* fft.h — deterministic, threaded 2-D FFTs built from batched 1-D FFTW plans (private).
 *
 * A 2-D transform is a pass of 1-D transforms over rows (x, contiguous) and a pass over columns
 * (y, stride = row length). Each pass is cut into blocks of CZI_FFT_BLOCK rows or columns; every
 * block is transformed by the SAME FFTW plan (plus one plan for a final partial block), so the
 * arithmetic done on each row or column does not depend on how blocks are shared among threads:
 * results are bitwise identical for any thread count. The caller interleaves its own pointwise
 * work with the blocks while they are in cache (see plan.c).
 *
 * Columns can be transformed two ways. The strided batches col_f/col_b work in place; they are
 * simple but slow (FFTW copies each strided column through a buffer, and on power-of-two grids
 * every row of a column block falls into the same cache set). The fast path gathers a block of
 * columns into a contiguous per-thread column buffer (czi_gather: one read of each row segment),
 * runs cb_f/cb_b there, does the caller's pointwise work on contiguous memory, and scatters the
 * block back: on this machine 0.7 of a 2-D FFT for a forward + backward column pair instead of
 * 1.3. The buffer's column stride ldb is padded to an odd multiple of 64 bytes so that its
 * columns do not alias in the cache either. */
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
    size_t ldb;                /* column stride (complex elements) of a column buffer */
    czi_batch row_f, row_b;    /* c2c along x on complex [ny][nx] */
    czi_batch col_f, col_b;    /* c2c along y on complex [ny][nx] (strided, in place) */
    czi_batch rrow_f, rrow_b;  /* r2c real [ny][nx] -> complex [ny][nxh]; c2r back */
    fftwf_plan cb_f, cb_b;     /* CZI_FFT_BLOCK contiguous length-ny c2c in a column buffer */
} czi_fft;

/* Complex elements in one column buffer (CZI_FFT_BLOCK columns of ldb). */
static inline size_t czi_colbuf_len(const czi_fft *f) { return CZI_FFT_BLOCK * f->ldb; }

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
/* c2c of rows [block·BLOCK, …) held in `rows`, a buffer with just that block's rows (row r of
 * the block at rows + r·nx). */
void czi_batch_c2c_rows(const czi_batch *b, size_t block, fftwf_complex *rows);
/* c2r of block `block` of the half-spectrum array `in` into `rows`, which receives the block's
 * rows only (row r of the block at rows + r·nx; a per-thread buffer of CZI_FFT_BLOCK rows). */
void czi_batch_c2r_rows(const czi_batch *b, size_t block, fftwf_complex *in, float *rows);

/* Copy columns cols[0..nc) of the complex array src (ny rows, row stride ld) into the column
 * buffer buf (column c at buf + c·ldb, contiguous), and zero the unused columns nc..BLOCK-1 so
 * that the fixed-size transforms never see stale data. nc ≤ CZI_FFT_BLOCK. */
void czi_gather(fftwf_complex *src, size_t ld, size_t ny, const size_t *cols, size_t nc,
                fftwf_complex *buf, size_t ldb);
/* The inverse of czi_gather: write buffer columns 0..nc-1 back to columns cols[] of dst. */
void czi_scatter(fftwf_complex *dst, size_t ld, size_t ny, const size_t *cols, size_t nc,
                 fftwf_complex *buf, size_t ldb);
/* Forward / backward transforms of all CZI_FFT_BLOCK columns of a column buffer, in place. */
static inline void czi_colbuf_fwd(const czi_fft *f, fftwf_complex *buf) {
    fftwf_execute_dft(f->cb_f, buf, buf);
}
static inline void czi_colbuf_bwd(const czi_fft *f, fftwf_complex *buf) {
    fftwf_execute_dft(f->cb_b, buf, buf);
}

/* The default wisdom path (for documentation and tests); writes into buf, returns buf or NULL. */
const char *czi_fft_wisdom_path(const char *opt, char *buf, size_t len);

#endif
