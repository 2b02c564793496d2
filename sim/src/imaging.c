/* imaging.c — contrast transfer from a stored exit wave: aberrations to 5th order, apertures and
 * quasi-coherent envelopes.
 *
 * The plan keeps FFT(ψ)/N of the last exit wave (left by cz_sim_run / cz_sim_propagate, or made
 * by the first cz_sim_image call on a given wave), by band column. An imaging condition is then
 * one inverse FFT: a column pass over only the columns that reach inside both the band limit and
 * the objective aperture (the cached spectrum is read contiguously and multiplied by H on the
 * way into the column buffer), and a row pass fused with |·|². */
#include <math.h>
#include <string.h>

#include "error.h"
#include "kernels.h"
#include "plan.h"

static const double PI = 3.14159265358979323846;

void cz_sim_ctf_default(cz_sim_ctf *ctf) {
    if (ctf) memset(ctf, 0, sizeof *ctf);
}

/* One nonzero aberration term, prepared for the pixel loop. */
typedef struct term {
    int n, m;
    double coef;     /* 2π/λ · C_nm */
    double cphi, sphi; /* cos(m φ_nm), sin(m φ_nm) */
} term;

/* Columns u' = 0..n-1 of the processed set: the first nlo band columns with |kx| <= klim and the
 * last nhi (see struct cz_sim_plan); u' maps to band column q and grid column i. */
typedef struct colset {
    size_t nlo, nhi;
} colset;

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
    term terms[42];
    int nterms = 0;
    cz_status st = check_ctf(&ctf);
    if (st) return st;
    if (wave && wave_len < 2 * p->npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "wave holds %zu floats, %zu needed", wave_len, 2 * p->npix);
    if (img_len < p->npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "img holds %zu values, %zu needed", img_len, p->npix);
    double lam = p->lambda;
    for (int n = 1; n < 6; n++)
        for (int m = 0; m < 7; m++) {
            if (ctf.c[n][m] == 0.0) continue;
            double ph = m * ctf.phi_deg[n][m] * PI / 180.0;
            terms[nterms++] = (term){n, m, 2.0 * PI / lam * ctf.c[n][m], cos(ph), sin(ph)};
        }
    if (!wave && !p->spec_valid)
        return CZ_SIM_FAIL(CZ_EINVAL,
                           "wave is NULL but the plan holds no exit wave (run the plan or pass a "
                           "wave first)");
    if (wave) czi_wave_spectrum(p, wave);
    int mmax = 0;
    for (int q = 0; q < nterms; q++) mmax = terms[q].m > mmax ? terms[q].m : mmax;
    double ap = ctf.aperture_mrad * 1e-3, apw = ctf.aperture_taper_mrad * 1e-3;
    double beta = ctf.convergence_mrad * 1e-3, delta = ctf.focal_spread;
    double kcut = p->kcut, klim = kcut;
    if (ap > 0.0 && ap / lam < klim) klim = ap / lam;
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
    fftwf_complex *work = p->psi, *cbuf = p->cbuf, *spec = p->spec;
    /* Terms for the vectorised χ (kernels.c), and a bound on |χ| inside the band: below 1e6 rad
     * the branch-free sincos applies (Cs = 1.2 mm reaches ~3e5 rad at 2/3 Nyquist of 0.05 Å). */
    czi_chi_term ct[42];
    double chibound = 0.0, amax = lam * klim, gcoef[42];
    for (int q = 0; q < nterms; q++) {
        gcoef[q] = terms[q].coef;
        ct[q] = (czi_chi_term){terms[q].m, (terms[q].n + 1 - terms[q].m) / 2,
                               terms[q].coef / (terms[q].n + 1), terms[q].cphi, terms[q].sphi};
        chibound += fabs(ct[q].coef) * pow(amax, terms[q].n + 1);
    }
    int vec = chibound < 1e6;
    int need_amp = (ap > 0.0 && apw > 0.0) || delta > 0.0 || beta > 0.0;
    CZI_OMP_FOR(nt)
    for (size_t b = 0; b < nb; b++) {
        fftwf_complex *buf = cbuf + (size_t)czi_tid() * cbl;
        size_t cols[CZI_FFT_BLOCK], u0 = b * CZI_FFT_BLOCK;
        size_t nc = nproc - u0 < CZI_FFT_BLOCK ? nproc - u0 : CZI_FFT_BLOCK;
        double ay[CZI_CTF_CHUNK], amp[CZI_CTF_CHUNK];
        for (size_t c = 0; c < CZI_FFT_BLOCK; c++) {
            fftwf_complex *y = buf + c * ldb;
            if (c >= nc) {
                memset(y, 0, ny * sizeof *y);
                continue;
            }
            size_t up = u0 + c, q = up < cs.nlo ? up : ncb - (nproc - up);
            cols[c] = czi_band_col(p, q);
            fftwf_complex *sp = spec + q * ny;
            double kx = czi_freq(cols[c], nx, p->lx), ax = lam * kx;
            /* The frequencies of this column inside the disk |k| <= klim: j in [0, j1) and
             * [j2, ny); the rest carries nothing. */
            const double *kyt = p->ky;
            size_t half = (ny + 1) / 2, j1 = 0, j2 = ny;
            while (j1 < half && kx * kx + kyt[j1] * kyt[j1] <= klim * klim) j1++;
            while (j2 > half && kx * kx + kyt[j2 - 1] * kyt[j2 - 1] <= klim * klim) j2--;
            memset(y + j1, 0, (j2 - j1) * sizeof *y);
            for (int part = 0; part < 2; part++) {
                size_t ja = part ? j2 : 0, jb = part ? ny : j1;
                for (size_t j0 = ja; j0 < jb; j0 += CZI_CTF_CHUNK) {
                    size_t m = jb - j0 < CZI_CTF_CHUNK ? jb - j0 : CZI_CTF_CHUNK;
                    for (size_t j = 0; j < m; j++) ay[j] = lam * kyt[j0 + j];
                    if (need_amp) {
                        for (size_t j = 0; j < m; j++) amp[j] = 1.0;
                        if (ap > 0.0 && apw > 0.0)
                            for (size_t j = 0; j < m; j++) {
                                double alpha = sqrt(ax * ax + ay[j] * ay[j]);
                                if (alpha > ap - apw)
                                    amp[j] = 0.5 * (1.0 + cos(PI * (alpha - ap + apw) / apw));
                            }
                        if (delta > 0.0 || beta > 0.0)
                            czi_k_envelope(amp, m, ax, ay, ct, gcoef, nterms, mmax, lam, delta,
                                           beta);
                    }
                    if (vec) {
                        czi_k_ctf((const float *)(sp + j0), (float *)(y + j0), m, ax, ay, ct,
                                  nterms, mmax, need_amp ? amp : NULL);
                    } else {
                        for (size_t j = 0; j < m; j++) {
                            double chi = 0.0, a2 = ax * ax + ay[j] * ay[j];
                            double zr = 1.0, zi = 0.0, zrm[7], zim[7];
                            zrm[0] = 1.0, zim[0] = 0.0;
                            for (int e = 1; e <= mmax; e++) {
                                double t = zr * ax - zi * ay[j];
                                zi = zr * ay[j] + zi * ax, zr = t;
                                zrm[e] = zr, zim[e] = zi;
                            }
                            for (int qq = 0; qq < nterms; qq++)
                                chi += ct[qq].coef * pow(a2, ct[qq].p) *
                                       (zrm[ct[qq].m] * ct[qq].c + zim[ct[qq].m] * ct[qq].s);
                            double sn, cn, a = need_amp ? amp[j] : 1.0;
                            czi_sincos(-chi, &sn, &cn);
                            double hr = a * cn, hi = a * sn;
                            fftwf_complex *x = sp + j0 + j;
                            y[j0 + j][0] = (float)(x[0][0] * hr - x[0][1] * hi);
                            y[j0 + j][1] = (float)(x[0][0] * hi + x[0][1] * hr);
                        }
                    }
                }
            }
        }
        czi_colbuf_bwd(f, buf);
        czi_scatter(work, nx, ny, cols, nc, buf, ldb);
    }
    size_t nrow = czi_batch_nblocks(&f->row_b), zlo = cs.nlo, nzero = nx - nproc;
    CZI_OMP_FOR(nt)
    for (size_t b = 0; b < nrow; b++) {
        size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
        if (nzero)
            for (size_t r = r0; r < r1; r++) memset(work + r * nx + zlo, 0, nzero * sizeof *work);
        czi_batch_c2c(&f->row_b, b, work);
        czi_k_abs2((const float *)(work + r0 * nx), img + r0 * nx, (r1 - r0) * nx);
    }
    return CZ_OK;
}
