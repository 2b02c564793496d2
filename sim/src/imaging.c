/* imaging.c — contrast transfer from a stored exit wave: aberrations to 5th order, apertures and
 * quasi-coherent envelopes.
 *
 * The plan keeps FFT(ψ)/N of the last exit wave (left by cz_sim_run / cz_sim_propagate, or made
 * by the first cz_sim_image call on a given wave), by band column. An imaging condition is then
 * one inverse FFT: a column pass over only the columns that reach inside both the band limit and
 * the objective aperture (the cached spectrum is read contiguously and multiplied by H on the
 * way into the column buffer), and a row pass fused with |·|².
 *
 * H = amp·exp(−iχ) is computed afresh by every call, and only from the ctf: nothing about a lens
 * is kept between calls, so a result never depends on what the plan imaged before. It is cheap
 * because χ, a polynomial of degree ≤ 6 in α = λk, is along one column a polynomial in λky alone
 * (coefficients per column from czi_tcol_make): per pixel a Horner evaluation in double, the
 * sine and cosine reduced in double and finished in float, and the envelopes (kernels.c). A
 * defocus series therefore costs the same per condition as any other series of lenses. */
#include <math.h>
#include <string.h>

#include "error.h"
#include "kernels.h"
#include "plan.h"

static const double PI = 3.14159265358979323846;

void cz_sim_ctf_default(cz_sim_ctf *ctf) {
    if (ctf) memset(ctf, 0, sizeof *ctf);
}

/* Columns u' = 0..n-1 of the processed set: the first nlo band columns with |kx| <= klim and the
 * last nhi (see struct cz_sim_plan); u' maps to band column q and grid column i. */
typedef struct colset {
    size_t nlo, nhi;
} colset;

/* The rows of a column (frequency kx) inside the disk kx² + ky² <= klim²: j in [0, j1) and
 * [j2, ny), j1 <= (ny + 1)/2 <= j2. Started from the closed form and settled with the
 * predicate itself, so the result is that of scanning every row. */
static void disk_rows(const double *ky, size_t ny, double kx, double klim, double ly, size_t *j1,
                      size_t *j2) {
    size_t half = (ny + 1) / 2;
    double r2 = klim * klim - kx * kx, f = r2 > 0.0 ? sqrt(r2) * ly : 0.0;
    size_t est = f + 1.0 < (double)half ? (size_t)(f + 1.0) : half;
#define IN_DISK(j) (kx * kx + ky[j] * ky[j] <= klim * klim)
    size_t a = est;
    while (a > 0 && !IN_DISK(a - 1)) a--;
    while (a < half && IN_DISK(a)) a++;
    size_t b = ny - est > half ? ny - est : half;
    while (b < ny && !IN_DISK(b)) b++;
    while (b > half && IN_DISK(b - 1)) b--;
#undef IN_DISK
    *j1 = a, *j2 = b;
}

static cz_status check_ctf(const cz_sim_ctf *ctf) {
    for (int n = 0; n < 6; n++)
        for (int m = 0; m < 7; m++) {
            double c = ctf->c[n][m], phi = ctf->phi_deg[n][m];
            if (!isfinite(c) || !isfinite(phi))
                return CZ_SIM_FAIL(CZ_EINVAL, "C%d%d or phi%d%d is not finite", n, m, n, m);
            if (c == 0.0) continue;
            if (n < 1 || m > n + 1 || (n + m) % 2 == 0)
                return CZ_SIM_FAIL(CZ_EINVAL,
                                   "C%d%d is not an aberration (need n = 1..5, m <= n+1, n+m odd);"
                                   " got %g",
                                   n, m, c);
        }
    if (!(ctf->aperture_mrad >= 0) || !isfinite(ctf->aperture_mrad))
        return CZ_SIM_FAIL(CZ_EINVAL, "aperture_mrad must be finite and >= 0 (got %g)",
                           ctf->aperture_mrad);
    if (!(ctf->aperture_taper_mrad >= 0) || !isfinite(ctf->aperture_taper_mrad))
        return CZ_SIM_FAIL(CZ_EINVAL, "aperture_taper_mrad must be finite and >= 0 (got %g)",
                           ctf->aperture_taper_mrad);
    if (!(ctf->focal_spread >= 0) || !isfinite(ctf->focal_spread))
        return CZ_SIM_FAIL(CZ_EINVAL, "focal_spread must be finite and >= 0 (got %g)",
                           ctf->focal_spread);
    if (!(ctf->convergence_mrad >= 0) || !isfinite(ctf->convergence_mrad))
        return CZ_SIM_FAIL(CZ_EINVAL, "convergence_mrad must be finite and >= 0 (got %g)",
                           ctf->convergence_mrad);
    return CZ_OK;
}

cz_status cz_sim_image(cz_sim_plan *p, const cz_sim_ctf *ctf_in, const float wave[],
                       size_t wave_len, double img[], size_t img_len) {
    if (!p || !img) return CZ_SIM_FAIL(CZ_EINVAL, "plan and img must not be NULL");
    cz_sim_ctf ctf;
    if (ctf_in) {
        ctf = *ctf_in;
    } else {
        cz_sim_ctf_default(&ctf);
    }
    cz_status st = check_ctf(&ctf);
    if (st) return st;
    if (wave && wave_len < 2 * p->npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "wave holds %zu floats, %zu needed", wave_len, 2 * p->npix);
    if (img_len < p->npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "img holds %zu values, %zu needed", img_len, p->npix);
    if (!wave && !p->spec_valid)
        return CZ_SIM_FAIL(CZ_EINVAL,
                           "wave is NULL but the plan holds no exit wave (run the plan or pass a "
                           "wave first)");
    if (wave) czi_wave_spectrum(p, wave);
    double lam = p->lambda;
    double ap = ctf.aperture_mrad * 1e-3, apw = ctf.aperture_taper_mrad * 1e-3;
    double beta = ctf.convergence_mrad * 1e-3, delta = ctf.focal_spread;
    double kcut = p->kcut, klim = kcut;
    if (ap > 0.0 && ap / lam < klim) klim = ap / lam;
    /* χ as a polynomial in (λkx, λky) (kernels.h); per column it is evaluated by Horner's rule
     * in double precision. Below 1e6 rad the branch-free sine applies (Cs = 1.2 mm reaches
     * ~3e5 rad at 2/3 Nyquist of 0.05 Å); beyond it, the scalar path with libm. */
    czi_chi_poly cp;
    czi_chi_poly_make(&cp, &ctf, lam, 0);
    int vec = czi_chi_bound(&ctf, lam, lam * klim) < 1e6;
    czi_tenv env = {lam,
                    0.0,
                    ap,
                    (ap > 0.0 && apw > 0.0) ? apw : 0.0,
                    0.5 * PI * delta / lam,
                    0.25 * beta * beta};
    int grad = beta > 0.0;
    const czi_fft *f = &p->fft;
    size_t nx = p->nx, ny = p->ny, ldb = f->ldb, cbl = czi_colbuf_len(f), ncb = p->ncb;
    int nt = p->nthreads;
    /* Processed columns: |kx| <= klim (a subset of the band columns, of the same two-run form). */
    colset cs = {0, 0};
    for (size_t u = 0; u < p->nlo; u++)
        if (fabs(czi_freq(czi_band_col(p, u), nx, p->lx)) <= klim) cs.nlo++;
    for (size_t u = p->nlo; u < ncb; u++)
        if (fabs(czi_freq(czi_band_col(p, u), nx, p->lx)) <= klim) cs.nhi++;
    size_t nproc = cs.nlo + cs.nhi, nb = (nproc + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK;
    size_t ldw = czi_work_ld(nproc, nx);
    /* The column pass leaves the processed columns compact in p->psi (row stride ldw >= nproc:
     * u' at r·ldw + u'); the row pass expands each block of rows into a per-thread buffer with the
     * other columns zero, transforms it and writes |·|². Compact rows move less memory than
     * full ones. */
    fftwf_complex *work = p->psi, *cbuf = p->cbuf, *spec = p->spec, *cw = p->cwork;
    CZI_OMP_FOR(nt)
    for (size_t b = 0; b < nb; b++) {
        fftwf_complex *buf = cbuf + (size_t)czi_tid() * cbl;
        size_t cols[CZI_FFT_BLOCK], u0 = b * CZI_FFT_BLOCK;
        size_t nc = nproc - u0 < CZI_FFT_BLOCK ? nproc - u0 : CZI_FFT_BLOCK;
        for (size_t c = 0; c < CZI_FFT_BLOCK; c++) {
            fftwf_complex *y = buf + c * ldb;
            if (c >= nc) {
                memset(y, 0, ny * sizeof *y);
                continue;
            }
            size_t up = u0 + c, q = up < cs.nlo ? up : ncb - (nproc - up);
            cols[c] = up;
            fftwf_complex *sp = spec + q * ny;
            double kx = czi_freq(czi_band_col(p, q), nx, p->lx);
            /* The frequencies of this column inside the disk |k| <= klim: j in [0, j1) and
             * [j2, ny); the rest carries nothing. */
            const double *kyt = p->ky;
            size_t j1, j2;
            disk_rows(kyt, ny, kx, klim, p->ly, &j1, &j2);
            memset(y + j1, 0, (j2 - j1) * sizeof *y);
            czi_tcol tc;
            czi_tcol_make(&cp, lam * kx, grad, &tc);
            void (*fn)(const czi_tcol *, const czi_tenv *, const double *, size_t, const float *,
                       float *) = vec ? czi_k_transfer : czi_transfer_scalar;
            fn(&tc, &env, kyt, j1, (const float *)sp, (float *)y);
            fn(&tc, &env, kyt + j2, ny - j2, (const float *)(sp + j2), (float *)(y + j2));
        }
        czi_colbuf_bwd(f, buf);
        czi_scatter(work, ldw, ny, cols, nc, buf, ldb);
    }
    size_t nrow = czi_batch_nblocks(&f->row_b), nlo = cs.nlo, nhi = cs.nhi,
           rbl = CZI_FFT_BLOCK * nx;
    CZI_OMP_FOR(nt)
    for (size_t b = 0; b < nrow; b++) {
        fftwf_complex *rb = cw + (size_t)czi_tid() * 2 * rbl;
        size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
        for (size_t r = r0; r < r1; r++) {
            fftwf_complex *src = work + r * ldw, *dst = rb + (r - r0) * nx;
            memcpy(dst, src, nlo * sizeof *dst);
            memset(dst + nlo, 0, (nx - nproc) * sizeof *dst);
            memcpy(dst + nx - nhi, src + nlo, nhi * sizeof *dst);
        }
        czi_batch_c2c_rows(&f->row_b, b, rb);
        czi_k_abs2((const float *)rb, img + r0 * nx, (r1 - r0) * nx);
    }
    return CZ_OK;
}
