/* imaging.c — contrast transfer from a stored exit wave: aberrations to 5th order, apertures and
 * quasi-coherent envelopes. Two FFTs per imaging condition. */
#include <math.h>
#include <string.h>

#include "error.h"
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
    if (!p || !wave || !img) return CZ_SIM_FAIL(CZ_EINVAL, "plan, wave and img must not be NULL");
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
    if (wave_len < 2 * p->npix)
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
    double ap = ctf.aperture_mrad * 1e-3, apw = ctf.aperture_taper_mrad * 1e-3;
    double beta = ctf.convergence_mrad * 1e-3, delta = ctf.focal_spread;
    double inv_n = 1.0 / (double)p->npix, kcut = p->kcut;
    const czi_fft *f = &p->fft;
    size_t nx = p->nx, ny = p->ny;
    int nt = p->nthreads;
    size_t nrow = czi_batch_nblocks(&f->row_f), ncol = czi_batch_nblocks(&f->col_f);
    fftwf_complex *psi = p->t; /* p->t is scratch between runs */
    memcpy(psi, wave, p->npix * sizeof *psi);
    CZI_OMP_FOR(nt)
    for (size_t b = 0; b < nrow; b++) czi_batch_c2c(&f->row_f, b, psi);
    CZI_OMP_FOR(nt)
    for (size_t b = 0; b < ncol; b++) {
        czi_batch_c2c(&f->col_f, b, psi);
        size_t c0 = b * CZI_FFT_BLOCK, c1 = c0 + CZI_FFT_BLOCK < nx ? c0 + CZI_FFT_BLOCK : nx;
        for (size_t j = 0; j < ny; j++) {
            double ky = czi_freq(j, ny, p->ly);
            for (size_t i = c0; i < c1; i++) {
                double kx = czi_freq(i, nx, p->lx);
                double k = sqrt(kx * kx + ky * ky), alpha = lam * k;
                double amp = inv_n;
                /* Frequencies beyond the simulation's band limit carry nothing. */
                if (k > kcut) amp = 0.0;
                if (ap > 0.0) {
                    if (alpha > ap)
                        amp = 0.0;
                    else if (apw > 0.0 && alpha > ap - apw)
                        amp *= 0.5 * (1.0 + cos(PI * (alpha - ap + apw) / apw));
                }
                size_t idx = j * nx + i;
                if (amp == 0.0) {
                    psi[idx][0] = psi[idx][1] = 0.0f;
                    continue;
                }
                /* χ and its gradient in α (Krivanek notation); cos/sin(mφ) by recurrence. */
                double cphi = k > 0 ? kx / k : 1.0, sphi = k > 0 ? ky / k : 0.0;
                double cm[7], sm[7], apow[7];
                cm[0] = 1.0;
                sm[0] = 0.0;
                apow[0] = 1.0;
                for (int m = 1; m < 7; m++) {
                    cm[m] = cm[m - 1] * cphi - sm[m - 1] * sphi;
                    sm[m] = sm[m - 1] * cphi + cm[m - 1] * sphi;
                    apow[m] = apow[m - 1] * alpha;
                }
                double chi = 0.0, dra = 0.0, dph = 0.0;
                for (int q = 0; q < nterms; q++) {
                    const term *tq = &terms[q];
                    double cosd = cm[tq->m] * tq->cphi + sm[tq->m] * tq->sphi;
                    double sind = sm[tq->m] * tq->cphi - cm[tq->m] * tq->sphi;
                    double an = apow[tq->n];
                    chi += tq->coef * an * alpha / (tq->n + 1) * cosd;
                    dra += tq->coef * an * cosd;
                    dph -= tq->coef * an * tq->m / (tq->n + 1) * sind;
                }
                if (delta > 0.0) {
                    /* Temporal envelope exp(−(½ π λ Δ k²)²) (DESIGN §4). */
                    double e = 0.5 * PI * lam * delta * k * k;
                    amp *= exp(-e * e);
                }
                if (beta > 0.0) amp *= exp(-0.25 * beta * beta * (dra * dra + dph * dph));
                double sn, cs;
                czi_sincos(-chi, &sn, &cs);
                double hr = amp * cs, hi = amp * sn;
                double re = psi[idx][0] * hr - psi[idx][1] * hi;
                double im = psi[idx][0] * hi + psi[idx][1] * hr;
                psi[idx][0] = (float)re;
                psi[idx][1] = (float)im;
            }
        }
        czi_batch_c2c(&f->col_b, b, psi);
    }
    CZI_OMP_FOR(nt)
    for (size_t b = 0; b < nrow; b++) {
        czi_batch_c2c(&f->row_b, b, psi);
        size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
        for (size_t i = r0 * nx; i < r1 * nx; i++)
            img[i] = (double)psi[i][0] * psi[i][0] + (double)psi[i][1] * psi[i][1];
    }
    return CZ_OK;
}
