/* phonons.c — incoherent sums: frozen-phonon displacements (with libczsim's counter-based random
 * numbers) and images averaged over exit waves, defocus (focal spread) and illumination tilt
 * (beam convergence), all from stored exit waves.
 *
 * Random numbers. A SplitMix64-style design (Steele, Lea & Flood, OOPSLA 2014): a site key is
 * built by feeding seed, domain, stream and index one after another through a bijective 64-bit
 * finaliser, and draw d of a site is the finaliser applied to key + (d + 1)·γ with γ the odd
 * "golden" increment — exactly the d-th output of a SplitMix64 generator seeded with the key.
 * Nothing is stored between calls, so a value depends only on its coordinates.
 *
 * Partial coherence. The quasi-coherent envelopes of cz_sim_image damp only the linear
 * interference terms. The explicit sums here average whole images, which is what an experiment
 * does: a weighted sum over defocus offsets (Gauss–Hermite nodes for the Gaussian focal spread)
 * and over illumination tilts (Gauss–Hermite product rule for a Gaussian tilt distribution,
 * Gauss–Legendre rings for a uniform disc). Each condition costs one inverse FFT: the forward
 * FFT of the exit wave is done once per wave. */
#include "phonons.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "plan.h"

static const double PI = 3.14159265358979323846;

/* ---------------------------------------------------------------------------------------------
 * Counter-based random numbers
 * ------------------------------------------------------------------------------------------- */

static const uint64_t GAMMA = 0x9e3779b97f4a7c15ull; /* 2^64 / golden ratio, odd */

/* The SplitMix64 finaliser (variant 13 of D. Stafford's mixers): a bijection of 64-bit words
 * with full avalanche, so distinct inputs always give distinct outputs. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t czi_sim_rng_key(uint64_t seed, uint64_t domain, uint64_t stream, uint64_t index) {
    /* Each word is absorbed after the previous ones have been mixed, so (seed, stream, index)
     * and permutations of it give unrelated keys. Adding distinct multiples of γ keeps a zero
     * word from leaving the state unchanged. */
    uint64_t h = mix64(seed + GAMMA);
    h = mix64(h ^ (domain + 2 * GAMMA));
    h = mix64(h ^ (stream + 3 * GAMMA));
    h = mix64(h ^ (index + 4 * GAMMA));
    return h;
}

uint64_t czi_sim_rng_bits(uint64_t key, uint64_t draw) { return mix64(key + (draw + 1) * GAMMA); }

double czi_sim_rng_uniform(uint64_t key, uint64_t draw) {
    /* The top 53 bits, shifted by half a unit: values (k + ½)/2^53 lie strictly inside (0, 1). */
    return ((double)(czi_sim_rng_bits(key, draw) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

void czi_sim_rng_normal2(uint64_t key, uint64_t draw, double out[2]) {
    /* Box–Muller: exact, and it needs a fixed number of draws, which keeps every site's draw
     * numbers independent of the values drawn. */
    double u1 = czi_sim_rng_uniform(key, draw), u2 = czi_sim_rng_uniform(key, draw + 1);
    double r = sqrt(-2.0 * log(u1)), t = 2.0 * PI * u2;
    out[0] = r * cos(t);
    out[1] = r * sin(t);
}

/* ---------------------------------------------------------------------------------------------
 * Frozen phonons
 * ------------------------------------------------------------------------------------------- */

void cz_sim_phonon_opts_default(cz_sim_phonon_opts *opts) {
    if (opts) memset(opts, 0, sizeof *opts);
}

cz_status cz_sim_phonon_displace(const cz_sim_phonon_opts *opts, uint64_t config, size_t n,
                                 const double xyz[][3], const int z[], const double u_rms_atom[],
                                 double out[][3]) {
    if (!opts) return CZ_SIM_FAIL(CZ_EINVAL, "opts must not be NULL");
    if (n == 0) return CZ_OK;
    if (!xyz || !z || !out) return CZ_SIM_FAIL(CZ_EINVAL, "xyz, z and out must not be NULL");
    for (int k = 0; k <= CZ_SIM_ZMAX; k++)
        if (!(opts->u_rms[k] >= 0) || !isfinite(opts->u_rms[k]))
            return CZ_SIM_FAIL(CZ_EINVAL, "u_rms[%d] must be finite and >= 0 (got %g)", k,
                               opts->u_rms[k]);
    /* Validate everything before writing, so that a failure leaves out untouched (out may
     * alias xyz). */
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(xyz[i][0]) || !isfinite(xyz[i][1]) || !isfinite(xyz[i][2]))
            return CZ_SIM_FAIL(CZ_EINVAL, "atom %zu has a non-finite position (%g, %g, %g)", i,
                               xyz[i][0], xyz[i][1], xyz[i][2]);
        if (z[i] < 1 || z[i] > CZ_SIM_ZMAX)
            return CZ_SIM_FAIL(CZ_EINVAL, "atom %zu: atomic number must be in 1..%d (got %d)", i,
                               CZ_SIM_ZMAX, z[i]);
        if (u_rms_atom && (!(u_rms_atom[i] >= 0) || !isfinite(u_rms_atom[i])))
            return CZ_SIM_FAIL(CZ_EINVAL, "u_rms_atom[%zu] must be finite and >= 0 (got %g)", i,
                               u_rms_atom[i]);
    }
    int fix_z = (opts->flags & CZ_SIM_PHONON_FIX_Z) != 0;
    for (size_t i = 0; i < n; i++) {
        double u = u_rms_atom ? u_rms_atom[i] : opts->u_rms[z[i]];
        double r[3] = {xyz[i][0], xyz[i][1], xyz[i][2]};
        if (u > 0) {
            /* Four draws give two Box–Muller pairs; the fourth normal is unused. The z component
             * is drawn even when it is not applied, so x and y do not depend on the flag. */
            uint64_t key = czi_sim_rng_key(opts->seed, CZI_RNG_PHONON, config, i);
            double g[4];
            czi_sim_rng_normal2(key, 0, g);
            czi_sim_rng_normal2(key, 2, g + 2);
            r[0] += u * g[0];
            r[1] += u * g[1];
            if (!fix_z) r[2] += u * g[2];
        }
        out[i][0] = r[0];
        out[i][1] = r[1];
        out[i][2] = r[2];
    }
    return CZ_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Quadrature rules
 * ------------------------------------------------------------------------------------------- */

/* Orthonormal Hermite polynomial p_n(x) for the weight exp(−x²), and p_{n−1}(x) in *pm1:
 * p_0 = π^(−1/4), p_j = x·sqrt(2/j)·p_{j−1} − sqrt((j−1)/j)·p_{j−2}. */
static double hermite(int n, double x, double *pm1) {
    double prev = 0.0, p = 0.75112554446494248286; /* π^(−1/4) */
    for (int j = 1; j <= n; j++) {
        double next = x * sqrt(2.0 / j) * p - sqrt((j - 1.0) / j) * prev;
        prev = p;
        p = next;
    }
    *pm1 = prev;
    return p;
}

/* Gauss–Hermite rule of order n (∫ exp(−x²) f(x) dx ≈ Σ w_i f(x_i), exact for polynomials of
 * degree < 2n). The roots of p_n lie inside ±sqrt(2n + 1) and are at least about
 * π/sqrt(2n + 1) apart; a scan with a step 32 times finer brackets each one, bisection finds it
 * to rounding. The weight is 2/p_n'(x)² with p_n' = sqrt(2n)·p_{n−1}. */
static void gauss_hermite(int n, double x[], double w[]) {
    double xm = sqrt(2.0 * n + 1.0) + 0.1, h = PI / sqrt(2.0 * n + 1.0) / 32.0;
    int found = 0;
    double a = -xm, pm1, fa = hermite(n, a, &pm1);
    while (found < n && a < xm) {
        double b = a + h, fb = hermite(n, b, &pm1);
        if (fa == 0.0 || fa * fb < 0.0) {
            double lo = a, hi = b, flo = fa;
            if (fa != 0.0) {
                for (int it = 0; it < 200 && hi - lo > 1e-15 * (1.0 + fabs(lo)); it++) {
                    double mid = 0.5 * (lo + hi), fm = hermite(n, mid, &pm1);
                    if (fm == 0.0) {
                        lo = hi = mid;
                        break;
                    }
                    if ((fm < 0) == (flo < 0)) {
                        lo = mid;
                        flo = fm;
                    } else {
                        hi = mid;
                    }
                }
            } else {
                hi = lo;
            }
            double r = 0.5 * (lo + hi);
            hermite(n, r, &pm1);
            x[found] = r;
            w[found] = 2.0 / (2.0 * n * pm1 * pm1);
            found++;
            if (fa == 0.0) {
                /* The root sat on the scan point: step past it. */
                a = b;
                fa = fb;
                continue;
            }
        }
        a = b;
        fa = fb;
    }
    /* Symmetrise: the rule is exactly symmetric, rounding in the bisection is not. */
    for (int i = 0; i < n / 2; i++) {
        double xs = 0.5 * (x[n - 1 - i] - x[i]), ws = 0.5 * (w[i] + w[n - 1 - i]);
        x[i] = -xs;
        x[n - 1 - i] = xs;
        w[i] = w[n - 1 - i] = ws;
    }
    if (n % 2) x[n / 2] = 0.0;
}

/* Gauss–Legendre rule of order n on [−1, 1], by Newton's method from the classical initial
 * guesses cos(π(i + 3/4)/(n + 1/2)), which converge to the i-th root for every n. */
static void gauss_legendre(int n, double x[], double w[]) {
    for (int i = 0; i < n; i++) {
        double r = cos(PI * (i + 0.75) / (n + 0.5)), dp = 1.0;
        for (int it = 0; it < 100; it++) {
            double p0 = 1.0, p1 = r;
            for (int j = 2; j <= n; j++) {
                double p2 = ((2.0 * j - 1.0) * r * p1 - (j - 1.0) * p0) / j;
                p0 = p1;
                p1 = p2;
            }
            double pn = n == 1 ? r : p1, pn1 = n == 1 ? 1.0 : p0;
            dp = n * (r * pn - pn1) / (r * r - 1.0);
            double dr = pn / dp;
            r -= dr;
            if (fabs(dr) < 1e-16) break;
        }
        x[i] = r;
        w[i] = 2.0 / ((1.0 - r * r) * dp * dp);
    }
}

/* One imaging condition of an incoherent sum: defocus offset, tilt and weight. */
typedef struct condition {
    double ddf;    /* defocus offset δ, Å (C10 → C10 − δ) */
    double tx, ty; /* illumination tilt, rad */
    double weight; /* quadrature weight; the weights of a sum add up to 1 */
} condition;

void cz_sim_coherence_default(cz_sim_coherence *coh) {
    if (!coh) return;
    memset(coh, 0, sizeof *coh);
    coh->focal_points = 7;
    coh->tilt_dist = CZ_SIM_TILT_GAUSSIAN;
    coh->tilt_points = 5;
}

static cz_status check_coherence(const cz_sim_coherence *c) {
    if (!(c->focal_spread >= 0) || !isfinite(c->focal_spread))
        return CZ_SIM_FAIL(CZ_EINVAL, "focal_spread must be finite and >= 0 (got %g)",
                           c->focal_spread);
    if (!(c->convergence_mrad >= 0) || !isfinite(c->convergence_mrad))
        return CZ_SIM_FAIL(CZ_EINVAL, "convergence_mrad must be finite and >= 0 (got %g)",
                           c->convergence_mrad);
    if (c->focal_spread > 0 && (c->focal_points < 1 || c->focal_points > CZ_SIM_QUAD_MAX))
        return CZ_SIM_FAIL(CZ_EINVAL, "focal_points must be in 1..%d (got %zu)", CZ_SIM_QUAD_MAX,
                           c->focal_points);
    if (c->tilt_dist != CZ_SIM_TILT_GAUSSIAN && c->tilt_dist != CZ_SIM_TILT_DISC)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown tilt distribution %d", (int)c->tilt_dist);
    if (c->convergence_mrad > 0 && (c->tilt_points < 1 || c->tilt_points > CZ_SIM_QUAD_MAX))
        return CZ_SIM_FAIL(CZ_EINVAL, "tilt_points must be in 1..%d (got %zu)", CZ_SIM_QUAD_MAX,
                           c->tilt_points);
    return CZ_OK;
}

/* Number of conditions the sums need (focal × tilt). */
static size_t count_conditions(const cz_sim_coherence *c) {
    size_t nf = c->focal_spread > 0 ? c->focal_points : 1, nt = 1;
    if (c->convergence_mrad > 0) {
        size_t m = c->tilt_points;
        nt = c->tilt_dist == CZ_SIM_TILT_GAUSSIAN ? m * m : 3 * m * (m + 1);
    }
    return nf * nt;
}

cz_status cz_sim_coherence_count(const cz_sim_coherence *coh, size_t *nconditions) {
    if (!coh || !nconditions) return CZ_SIM_FAIL(CZ_EINVAL, "coh and nconditions must not be NULL");
    *nconditions = 0;
    cz_status st = check_coherence(coh);
    if (st) return st;
    *nconditions = count_conditions(coh);
    return CZ_OK;
}

/* Fill the conditions (count_conditions(c) of them). Defocus: the focal spread is Gaussian with
 * density ∝ exp(−δ²/Δ²) (σ = Δ/√2, DESIGN §4), so δ_i = Δ·x_i with Gauss–Hermite nodes and
 * weights w_i/√π. Averaging exp(−iπλδk²) over it gives exp(−(½πλΔk²)²), the temporal envelope.
 * Tilt, Gaussian: density ∝ exp(−|α|²/β²), the product of two such rules (α = β·(x_i, x_j),
 * weight w_i w_j/π); its linear-term average is exp(−(β/2)²|∇χ|²), the spatial envelope.
 * Tilt, disc: uniform over |α| ≤ β. With u = |α|²/β² the area element is uniform in u on
 * [0, 1], so ring radii come from Gauss–Legendre in u (m rings), and ring i (inner first) carries
 * 6(i + 1) equally spaced azimuths, alternate rings offset by half a step. Every rule is
 * symmetric under α → −α, so the sums add no net tilt (no image shift). */
static void make_conditions(const cz_sim_coherence *c, condition *cond) {
    double fx[CZ_SIM_QUAD_MAX], fw[CZ_SIM_QUAD_MAX];
    size_t nf = 1;
    fx[0] = 0.0;
    fw[0] = 1.0;
    if (c->focal_spread > 0) {
        nf = c->focal_points;
        gauss_hermite((int)nf, fx, fw);
        for (size_t i = 0; i < nf; i++) {
            fx[i] *= c->focal_spread;
            fw[i] /= sqrt(PI);
        }
    }
    size_t nc = 0;
    double beta = c->convergence_mrad * 1e-3;
    for (size_t a = 0; a < nf; a++) {
        if (beta == 0.0) {
            cond[nc++] = (condition){fx[a], 0.0, 0.0, fw[a]};
            continue;
        }
        size_t m = c->tilt_points;
        double tx[CZ_SIM_QUAD_MAX], tw[CZ_SIM_QUAD_MAX];
        if (c->tilt_dist == CZ_SIM_TILT_GAUSSIAN) {
            gauss_hermite((int)m, tx, tw);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < m; j++)
                    cond[nc++] =
                        (condition){fx[a], beta * tx[i], beta * tx[j], fw[a] * tw[i] * tw[j] / PI};
        } else {
            gauss_legendre((int)m, tx, tw);
            for (size_t i = 0; i < m; i++) {
                /* gauss_legendre returns nodes in decreasing order; ring i counts from inside. */
                double u = 0.5 * (1.0 + tx[m - 1 - i]), wr = 0.5 * tw[m - 1 - i];
                double r = beta * sqrt(u);
                size_t naz = 6 * (i + 1);
                double off = (i % 2) ? PI / (double)naz : 0.0;
                for (size_t q = 0; q < naz; q++) {
                    double th = off + 2.0 * PI * (double)q / (double)naz;
                    cond[nc++] =
                        (condition){fx[a], r * cos(th), r * sin(th), fw[a] * wr / (double)naz};
                }
            }
        }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Imaging with explicit incoherent sums
 * ------------------------------------------------------------------------------------------- */

/* One aberration term prepared for the pixel loop (C10 is kept apart: the defocus sum moves it). */
typedef struct term {
    int n, m;
    double coef;       /* 2π/λ · C_nm */
    double cphi, sphi; /* cos(m φ_nm), sin(m φ_nm) */
} term;

static cz_status check_ctf(const cz_sim_ctf *ctf) {
    for (int n = 0; n < 6; n++)
        for (int m = 0; m < 7; m++) {
            double c = ctf->c[n][m], phi = ctf->phi_deg[n][m];
            if (!isfinite(c) || !isfinite(phi))
                return CZ_SIM_FAIL(CZ_EINVAL, "C%d%d or phi%d%d is not finite", n, m, n, m);
            if (c != 0.0 && (n < 1 || m > n + 1 || (n + m) % 2 == 0))
                return CZ_SIM_FAIL(CZ_EINVAL,
                                   "C%d%d is not an aberration (need n = 1..5, m <= n+1, n+m odd);"
                                   " got %g",
                                   n, m, c);
        }
    const double v[4] = {ctf->aperture_mrad, ctf->aperture_taper_mrad, ctf->focal_spread,
                         ctf->convergence_mrad};
    const char *name[4] = {"aperture_mrad", "aperture_taper_mrad", "focal_spread",
                           "convergence_mrad"};
    for (int q = 0; q < 4; q++)
        if (!(v[q] >= 0) || !isfinite(v[q]))
            return CZ_SIM_FAIL(CZ_EINVAL, "ctf %s must be finite and >= 0 (got %g)", name[q], v[q]);
    return CZ_OK;
}

cz_status cz_sim_image_incoherent(cz_sim_plan *p, const cz_sim_ctf *ctf_in,
                                  const cz_sim_coherence *coh_in, size_t nwaves,
                                  const float waves[], size_t wave_len, double img[],
                                  size_t img_len) {
    if (!p || !waves || !img) return CZ_SIM_FAIL(CZ_EINVAL, "plan, waves and img must not be NULL");
    if (nwaves < 1) return CZ_SIM_FAIL(CZ_EINVAL, "nwaves must be >= 1 (got 0)");
    cz_sim_ctf ctf;
    if (ctf_in)
        ctf = *ctf_in;
    else
        cz_sim_ctf_default(&ctf);
    cz_sim_coherence coh;
    if (coh_in) {
        coh = *coh_in;
    } else {
        cz_sim_coherence_default(&coh);
    }
    cz_status st = check_ctf(&ctf);
    if (st) return st;
    st = check_coherence(&coh);
    if (st) return st;
    size_t npix = p->npix;
    if (wave_len < 2 * npix)
        return CZ_SIM_FAIL(CZ_ERANGE,
                           "wave_len (the stride between waves) is %zu floats, %zu needed",
                           wave_len, 2 * npix);
    if (nwaves > ((size_t)-1) / wave_len)
        return CZ_SIM_FAIL(CZ_ERANGE, "nwaves = %zu waves of %zu floats overflow size_t", nwaves,
                           wave_len);
    if (img_len < npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "img holds %zu values, %zu needed", img_len, npix);
    size_t ncond = count_conditions(&coh);
    condition *cond = malloc(ncond * sizeof *cond);
    if (!cond) return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory for %zu conditions", ncond);
    make_conditions(&coh, cond);

    double lam = p->lambda;
    term terms[42];
    int nterms = 0;
    for (int n = 1; n < 6; n++)
        for (int m = 0; m < 7; m++) {
            if (ctf.c[n][m] == 0.0 || (n == 1 && m == 0)) continue;
            double ph = m * ctf.phi_deg[n][m] * PI / 180.0;
            terms[nterms++] = (term){n, m, 2.0 * PI / lam * ctf.c[n][m], cos(ph), sin(ph)};
        }
    double ap = ctf.aperture_mrad * 1e-3, apw = ctf.aperture_taper_mrad * 1e-3;
    double beta_env = ctf.convergence_mrad * 1e-3, delta_env = ctf.focal_spread;
    double kcut = p->kcut, kap = ap > 0.0 ? ap / lam : INFINITY;
    const czi_fft *f = &p->fft;
    size_t nx = p->nx, ny = p->ny, ncb = p->ncb, ldb = f->ldb, cbl = czi_colbuf_len(f);
    int nt = p->nthreads;
    /* Per condition: the band columns that reach inside the (shifted) aperture, and the runs of
     * grid columns left at zero for the row pass. */
    size_t *plist = malloc((ncb + 1) * sizeof *plist), *zrun = malloc((nx + 2) * sizeof *zrun);
    unsigned char *proc = malloc(nx);
    if (!plist || !zrun || !proc) {
        free(cond);
        free(plist);
        free(zrun);
        free(proc);
        return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory for a %zu x %zu grid", nx, ny);
    }
    /* The spectrum comes from the plan's cache machinery (czi_wave_spectrum: FFT(ψ)/N by band
     * column, p->psi as workspace); p->psi is then the work array of each condition. */
    fftwf_complex *work = p->psi, *cbuf = p->cbuf, *spec = p->spec;
    memset(img, 0, npix * sizeof *img);
    for (size_t wv = 0; wv < nwaves; wv++) {
        czi_wave_spectrum(p, waves + wv * wave_len);
        for (size_t q = 0; q < ncond; q++) {
            double c10 = ctf.c[1][0] - cond[q].ddf; /* defocus = −C10 grows by δ */
            double c10coef = 2.0 * PI / lam * c10;
            /* A tilt k_t moves diffracted beam k to k + k_t in the back focal plane: the lens (χ
             * and aperture) is evaluated there. */
            double ktx = cond[q].tx / lam, kty = cond[q].ty / lam;
            double wgt = cond[q].weight / (double)nwaves;
            size_t npl = 0, nz = 0;
            memset(proc, 0, nx);
            for (size_t u = 0; u < ncb; u++) {
                size_t i = czi_band_col(p, u);
                double kx = czi_freq(i, nx, p->lx);
                if (fabs(kx) <= kcut && fabs(kx + ktx) <= kap) {
                    proc[i] = 1;
                    plist[npl++] = u;
                }
            }
            for (size_t i = 0; i < nx;) {
                if (proc[i]) {
                    i++;
                    continue;
                }
                size_t e = i;
                while (e < nx && !proc[e]) e++;
                zrun[nz++] = i;
                zrun[nz++] = e - i;
                i = e;
            }
            size_t nb = (npl + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK;
            CZI_OMP_FOR(nt)
            for (size_t b = 0; b < nb; b++) {
                fftwf_complex *buf = cbuf + (size_t)czi_tid() * cbl;
                size_t cols[CZI_FFT_BLOCK], u0 = b * CZI_FFT_BLOCK;
                size_t nc = npl - u0 < CZI_FFT_BLOCK ? npl - u0 : CZI_FFT_BLOCK;
                for (size_t c = 0; c < CZI_FFT_BLOCK; c++) {
                    fftwf_complex *y = buf + c * ldb;
                    if (c >= nc) {
                        memset(y, 0, ny * sizeof *y);
                        continue;
                    }
                    size_t u = plist[u0 + c];
                    cols[c] = czi_band_col(p, u);
                    fftwf_complex *sp = spec + u * ny;
                    double kx = czi_freq(cols[c], nx, p->lx), ux = kx + ktx;
                    for (size_t j = 0; j < ny; j++) {
                        double ky = czi_freq(j, ny, p->ly);
                        /* The wave carries nothing beyond the simulation's band limit. */
                        if (kx * kx + ky * ky > kcut * kcut) {
                            y[j][0] = y[j][1] = 0.0f;
                            continue;
                        }
                        double uy = ky + kty;
                        double k = sqrt(ux * ux + uy * uy), alpha = lam * k;
                        double amp = 1.0;
                        if (ap > 0.0) {
                            if (alpha > ap)
                                amp = 0.0;
                            else if (apw > 0.0 && alpha > ap - apw)
                                amp = 0.5 * (1.0 + cos(PI * (alpha - ap + apw) / apw));
                        }
                        if (amp == 0.0) {
                            y[j][0] = y[j][1] = 0.0f;
                            continue;
                        }
                        double cphi = k > 0 ? ux / k : 1.0, sphi = k > 0 ? uy / k : 0.0;
                        double cm[7], sm[7], apow[7];
                        cm[0] = 1.0;
                        sm[0] = 0.0;
                        apow[0] = 1.0;
                        for (int m = 1; m < 7; m++) {
                            cm[m] = cm[m - 1] * cphi - sm[m - 1] * sphi;
                            sm[m] = sm[m - 1] * cphi + cm[m - 1] * sphi;
                            apow[m] = apow[m - 1] * alpha;
                        }
                        /* χ = 2π/λ Σ C_nm α^(n+1)/(n+1) cos(m(φ − φ_nm)), and its gradient in α
                         * (radial, azimuthal) for the optional spatial envelope. */
                        double chi = 0.5 * c10coef * alpha * alpha, dra = c10coef * alpha;
                        double dph = 0.0;
                        for (int t = 0; t < nterms; t++) {
                            const term *tq = &terms[t];
                            double cosd = cm[tq->m] * tq->cphi + sm[tq->m] * tq->sphi;
                            double sind = sm[tq->m] * tq->cphi - cm[tq->m] * tq->sphi;
                            double an = apow[tq->n];
                            chi += tq->coef * an * alpha / (tq->n + 1) * cosd;
                            dra += tq->coef * an * cosd;
                            dph -= tq->coef * an * tq->m / (tq->n + 1) * sind;
                        }
                        if (delta_env > 0.0) {
                            double e = 0.5 * PI * lam * delta_env * k * k;
                            amp *= exp(-e * e);
                        }
                        if (beta_env > 0.0)
                            amp *= exp(-0.25 * beta_env * beta_env * (dra * dra + dph * dph));
                        double sn, cs;
                        czi_sincos(-chi, &sn, &cs);
                        double hr = amp * cs, hi = amp * sn;
                        y[j][0] = (float)(sp[j][0] * hr - sp[j][1] * hi);
                        y[j][1] = (float)(sp[j][0] * hi + sp[j][1] * hr);
                    }
                }
                czi_colbuf_bwd(f, buf);
                czi_scatter(work, nx, ny, cols, nc, buf, ldb);
            }
            size_t nrow = czi_batch_nblocks(&f->row_b);
            CZI_OMP_FOR(nt)
            for (size_t b = 0; b < nrow; b++) {
                size_t r0 = b * CZI_FFT_BLOCK,
                       r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
                for (size_t r = r0; r < r1; r++)
                    for (size_t z = 0; z < nz; z += 2)
                        memset(work + r * nx + zrun[z], 0, zrun[z + 1] * sizeof *work);
                czi_batch_c2c(&f->row_b, b, work);
                for (size_t i = r0 * nx; i < r1 * nx; i++)
                    img[i] +=
                        wgt * ((double)work[i][0] * work[i][0] + (double)work[i][1] * work[i][1]);
            }
        }
    }
    free(plist);
    free(zrun);
    free(proc);
    free(cond);
    return CZ_OK;
}
