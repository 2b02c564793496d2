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
#include "kernels.h"
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
 *
 * The transfer function of a condition, H = amp·exp(−iχ(k + k_t; C10 − δ)), does not depend on
 * the wave. With several waves it is tabulated once per call as complex floats over the pixels
 * where it is non-zero (band limit ∩ shifted aperture), by the vectorised kernel of kernels.c, and
 * every (wave, condition) pair then costs one complex multiply per pixel, the inverse FFT over
 * the processed columns and rows, and the |·|² accumulation. The tables of at most HTAB_CHUNK
 * conditions and HTAB_MAX_BYTES bytes are held at once; longer sums are done in chunks of
 * conditions, each chunk re-reading the waves (one forward FFT per wave per chunk; alternate
 * chunks visit the waves in reverse order so that consecutive chunks share one spectrum). A
 * condition whose table alone exceeds the cap, and every condition when there is one wave, is
 * evaluated on the fly column by column with the same kernel, so every path gives the same
 * bits.
 * ------------------------------------------------------------------------------------------- */

/* Memory cap on the transfer tables of one call (bytes), and conditions per chunk (bounds the
 * per-chunk column lists). */
#define HTAB_MAX_BYTES ((size_t)256 << 20)
#define HTAB_CHUNK 64

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

/* Everything about the lens that is the same for all conditions of a call. */
typedef struct lens {
    const cz_sim_ctf *ctf;
    czi_chi_poly cp0; /* χ without C10 */
    double lam, kcut; /* Å, band limit 1/Å */
    double ap, apw;   /* aperture and taper, rad (0 = none) */
    double ct, b2;    /* envelope coefficients (czi_tenv) */
} lens;

/* One processed column of a condition: band column u, the rows where the transfer is non-zero,
 * j in [s1, e1) and [s2, e2), and the offset of its values in the condition's table. */
typedef struct ccol {
    size_t u, s1, e1, s2, e2, off;
} ccol;

/* A condition prepared for the pixel loops. */
typedef struct cprep {
    czi_chi_poly cp; /* χ with this condition's C10 */
    czi_tenv env;
    double ktx; /* tilt along x, 1/Å */
    int vec;    /* |χ| < 1e6 on its pixels: the vectorised kernel applies */
} cprep;

static void prepare(const lens *L, const condition *cd, cprep *cq) {
    cq->cp = L->cp0;
    double c10 = L->ctf->c[1][0] - cd->ddf; /* defocus = −C10 grows by δ */
    czi_chi_poly_c10(&cq->cp, c10, L->lam);
    /* A tilt k_t moves diffracted beam k to k + k_t in the back focal plane: the lens (χ and
     * aperture) is evaluated there. */
    cq->ktx = cd->tx / L->lam;
    cq->env = (czi_tenv){L->lam, cd->ty / L->lam, L->ap, L->apw, L->ct, L->b2};
    cz_sim_ctf c = *L->ctf;
    c.c[1][0] = c10;
    double amax = L->lam * L->kcut + hypot(cd->tx, cd->ty);
    if (L->ap > 0.0 && L->ap < amax) amax = L->ap;
    cq->vec = czi_chi_bound(&c, L->lam, amax * (1.0 + 1e-9)) < 1e6;
}

/* Pixels of band column u (frequency kx) that a condition keeps: the band limit
 * kx² + ky² <= kcut² and, with an aperture, λ|k + k_t| <= ap. Both hold on an interval of the
 * row frequency index f (ky = f/ly); each interval is estimated from its closed form and then
 * settled with the exact predicates. Returns the number of pixels and fills the runs. */
static int in_band(const cz_sim_plan *p, double kx, long f) {
    double ky = (double)f / p->ly;
    return !(kx * kx + ky * ky > p->kcut * p->kcut);
}

static int in_aperture(const lens *L, double ux, double kty, double ly, long f) {
    double uy = (double)f / ly + kty;
    return !(L->lam * sqrt(ux * ux + uy * uy) > L->ap);
}

static size_t column_rows(const cz_sim_plan *p, const lens *L, const cprep *cq, size_t u,
                          ccol *cc) {
    size_t nx = p->nx, ny = p->ny;
    long fmin = -(long)(ny / 2), fmax = (long)((ny - 1) / 2);
    double kx = czi_freq(czi_band_col(p, u), nx, p->lx), ly = p->ly;
    cc->u = u;
    cc->s1 = cc->e1 = cc->s2 = cc->e2 = 0;
    /* Band interval |f| <= F. */
    double r2 = p->kcut * p->kcut - kx * kx;
    long lo = (long)floor(-sqrt(r2 > 0 ? r2 : 0) * ly) - 1, hi = -lo;
    lo = lo < fmin ? fmin : lo;
    hi = hi > fmax ? fmax : hi;
    long lim = hi;
    while (lo <= lim && !in_band(p, kx, lo)) lo++;
    while (hi >= lo && !in_band(p, kx, hi)) hi--;
    if (lo > hi) return 0;
    if (L->ap > 0.0) {
        double ux = kx + cq->ktx, kty = cq->env.kty, ka = L->ap / L->lam;
        double ra2 = ka * ka - ux * ux, ra = sqrt(ra2 > 0 ? ra2 : 0);
        long alo = (long)floor((-kty - ra) * ly) - 1, ahi = (long)ceil((-kty + ra) * ly) + 1;
        alo = alo < lo ? lo : alo;
        ahi = ahi > hi ? hi : ahi;
        long alim = ahi;
        while (alo <= alim && !in_aperture(L, ux, kty, ly, alo)) alo++;
        while (ahi >= alo && !in_aperture(L, ux, kty, ly, ahi)) ahi--;
        lo = alo;
        hi = ahi;
        if (lo > hi) return 0;
    }
    /* Rows in FFT order: f >= 0 at j = f, f < 0 at j = f + ny. */
    if (lo >= 0) {
        cc->s1 = (size_t)lo, cc->e1 = (size_t)hi + 1;
    } else if (hi < 0) {
        cc->s2 = (size_t)(lo + (long)ny), cc->e2 = (size_t)(hi + (long)ny) + 1;
    } else {
        cc->s1 = 0, cc->e1 = (size_t)hi + 1;
        cc->s2 = (size_t)(lo + (long)ny), cc->e2 = ny;
    }
    return (cc->e1 - cc->s1) + (cc->e2 - cc->s2);
}

/* The processed columns of a condition (cols: room for ncb) and its pixel count. */
static size_t condition_columns(const cz_sim_plan *p, const lens *L, const cprep *cq, ccol *cols,
                                size_t *ncols) {
    size_t n = 0, npix = 0;
    for (size_t u = 0; u < p->ncb; u++) {
        size_t m = column_rows(p, L, cq, u, &cols[n]);
        if (!m) continue;
        cols[n++].off = npix;
        npix += m;
    }
    *ncols = n;
    return npix;
}

/* H of one column (both runs) into h (interleaved complex, (e1 − s1) + (e2 − s2) values). */
static void column_transfer(const cz_sim_plan *p, const cprep *cq, const ccol *cc, float *h) {
    double kx = czi_freq(czi_band_col(p, cc->u), p->nx, p->lx);
    czi_tcol tc;
    czi_tcol_make(&cq->cp, cq->env.lam * (kx + cq->ktx), cq->env.b2 > 0.0, &tc);
    void (*fn)(const czi_tcol *, const czi_tenv *, const double *, size_t, const float *, float *) =
        cq->vec ? czi_k_transfer : czi_transfer_scalar;
    size_t n1 = cc->e1 - cc->s1;
    fn(&tc, &cq->env, p->ky + cc->s1, n1, NULL, h);
    fn(&tc, &cq->env, p->ky + cc->s2, cc->e2 - cc->s2, NULL, h + 2 * n1);
}

/* Runs of consecutive grid columns among a condition's processed columns: grid columns
 * [grid, grid + len) are compact columns [comp, comp + len) of its work array. */
typedef struct crun {
    size_t grid, comp, len;
} crun;

static size_t column_runs(const cz_sim_plan *p, const ccol *cols, size_t ncols, crun *runs) {
    size_t nr = 0;
    for (size_t k = 0; k < ncols; k++) {
        size_t g = czi_band_col(p, cols[k].u);
        if (nr && runs[nr - 1].grid + runs[nr - 1].len == g)
            runs[nr - 1].len++;
        else
            runs[nr++] = (crun){g, k, 1};
    }
    return nr;
}

/* Column pass of one (wave, condition) pair: the inverse column FFTs of spec·H over the processed
 * columns, into work, a compact [ny][ncols] array (row r, processed column k at r·ncols + k). H
 * comes from tab (the condition's table) or, when tab is NULL, is computed column by column
 * into hbuf ([nthreads][2·ny] floats). */
static void column_pass(cz_sim_plan *p, const cprep *cq, const ccol *cols, size_t ncols,
                        const float *tab, float *hbuf, fftwf_complex *work) {
    const czi_fft *f = &p->fft;
    size_t ny = p->ny, ldb = f->ldb, cbl = czi_colbuf_len(f);
    fftwf_complex *cbuf = p->cbuf, *spec = p->spec;
    size_t nb = (ncols + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK;
    CZI_OMP_FOR(p->nthreads)
    for (size_t b = 0; b < nb; b++) {
        int tid = czi_tid();
        fftwf_complex *buf = cbuf + (size_t)tid * cbl;
        float *hb = hbuf + (size_t)tid * 2 * ny;
        size_t cidx[CZI_FFT_BLOCK], u0 = b * CZI_FFT_BLOCK;
        size_t nc = ncols - u0 < CZI_FFT_BLOCK ? ncols - u0 : CZI_FFT_BLOCK;
        for (size_t c = 0; c < CZI_FFT_BLOCK; c++) {
            fftwf_complex *y = buf + c * ldb;
            if (c >= nc) {
                memset(y, 0, ny * sizeof *y);
                continue;
            }
            const ccol *cc = &cols[u0 + c];
            cidx[c] = u0 + c;
            const float *h = tab ? tab + 2 * cc->off : hb;
            if (!tab) column_transfer(p, cq, cc, hb);
            const float *sp = (const float *)(spec + cc->u * ny);
            size_t n1 = cc->e1 - cc->s1, n2 = cc->e2 - cc->s2;
            /* Zero outside the runs [s1, e1) and [s2, e2) (run 2, when used, ends the column
             * or run 1 starts it). */
            size_t z0 = n1 ? cc->s1 : (n2 ? cc->s2 : ny), z1 = n1 ? cc->e1 : ny;
            size_t z2 = n2 ? cc->s2 : ny, z3 = n2 ? cc->e2 : ny;
            if (n1 && n2) z0 = 0;
            memset(y, 0, z0 * sizeof *y);
            if (z2 > z1) memset(y + z1, 0, (z2 - z1) * sizeof *y);
            if (z3 < ny) memset(y + z3, 0, (ny - z3) * sizeof *y);
            czi_k_cmul_to((float *)(y + cc->s1), sp + 2 * cc->s1, h, n1);
            czi_k_cmul_to((float *)(y + cc->s2), sp + 2 * cc->s2, h + 2 * n1, n2);
        }
        czi_colbuf_bwd(f, buf);
        czi_scatter(work, czi_work_ld(ncols, p->nx), ny, cidx, nc, buf, ldb);
    }
}

/* Row pass of one or two (wave, condition) pairs whose column passes are in work[0..nw): per
 * block of rows, each is expanded to full rows in a per-thread buffer (zero in the columns not
 * processed), transformed, and img += wgt[0]·|ψ0|² (+ wgt[1]·|ψ1|², added after the first, as
 * two single passes would). */
static void row_pass(cz_sim_plan *p, int nw, fftwf_complex *const work[2], const size_t ncols[2],
                     const crun *const runs[2], const size_t nrun[2], const double wgt[2],
                     double *img) {
    const czi_fft *f = &p->fft;
    size_t nx = p->nx, ny = p->ny, rbl = CZI_FFT_BLOCK * nx;
    size_t nrow = czi_batch_nblocks(&f->row_b);
    fftwf_complex *cw = p->cwork;
    CZI_OMP_FOR(p->nthreads)
    for (size_t b = 0; b < nrow; b++) {
        fftwf_complex *rb[2];
        rb[0] = cw + (size_t)czi_tid() * 2 * rbl;
        rb[1] = rb[0] + rbl;
        size_t r0 = b * CZI_FFT_BLOCK, r1 = r0 + CZI_FFT_BLOCK < ny ? r0 + CZI_FFT_BLOCK : ny;
        for (int k = 0; k < nw; k++) {
            for (size_t r = r0; r < r1; r++) {
                fftwf_complex *src = work[k] + r * czi_work_ld(ncols[k], nx);
                fftwf_complex *dst = rb[k] + (r - r0) * nx;
                size_t end = 0;
                for (size_t q = 0; q < nrun[k]; q++) {
                    const crun *cr = &runs[k][q];
                    memset(dst + end, 0, (cr->grid - end) * sizeof *dst);
                    memcpy(dst + cr->grid, src + cr->comp, cr->len * sizeof *dst);
                    end = cr->grid + cr->len;
                }
                memset(dst + end, 0, (nx - end) * sizeof *dst);
            }
            czi_batch_c2c_rows(&f->row_b, b, rb[k]);
        }
        if (nw == 2)
            czi_k_abs2_acc2((const float *)rb[0], (const float *)rb[1], img + r0 * nx,
                            (r1 - r0) * nx, wgt[0], wgt[1]);
        else
            czi_k_abs2_acc((const float *)rb[0], img + r0 * nx, (r1 - r0) * nx, wgt[0]);
    }
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
    size_t nx = p->nx, ny = p->ny, ncb = p->ncb, nt = (size_t)p->nthreads;
    lens L;
    L.ctf = &ctf;
    L.lam = p->lambda;
    L.kcut = p->kcut;
    L.ap = ctf.aperture_mrad * 1e-3;
    L.apw = (L.ap > 0.0 && ctf.aperture_taper_mrad > 0.0) ? ctf.aperture_taper_mrad * 1e-3 : 0.0;
    L.ct = 0.5 * PI * ctf.focal_spread / L.lam;
    L.b2 = 0.25 * (ctf.convergence_mrad * 1e-3) * (ctf.convergence_mrad * 1e-3);
    czi_chi_poly_make(&L.cp0, &ctf, L.lam, 1);
    /* Tables only pay when a condition is used for more than one wave. */
    int tables = nwaves > 1;
    size_t chunk = tables ? (ncond < HTAB_CHUNK ? ncond : HTAB_CHUNK) : 1;
    condition *cond = malloc(ncond * sizeof *cond);
    cprep *prep = malloc(chunk * sizeof *prep);
    ccol *cols = malloc(chunk * ncb * sizeof *cols);
    size_t *ncols = malloc(chunk * sizeof *ncols), *cpix = malloc(chunk * sizeof *cpix);
    crun *runs = malloc(2 * nx * sizeof *runs);
    float *hbuf = malloc(nt * 2 * ny * sizeof *hbuf), *tab = NULL;
    size_t tab_cap = 0;
    if (!cond || !prep || !cols || !ncols || !cpix || !runs || !hbuf) {
        st = CZ_SIM_FAIL(CZ_ENOMEM, "out of memory for %zu conditions on a %zu x %zu grid", ncond,
                         nx, ny);
        goto done;
    }
    make_conditions(&coh, cond);
    memset(img, 0, npix * sizeof *img);
    /* Chunks of conditions [q0, q1): the tables of one chunk fit under the cap. A condition too
     * large for the cap on its own forms a chunk evaluated on the fly. The spectrum cache holds
     * wave `have` (none yet: nwaves). */
    size_t have = nwaves;
    int reverse = 0;
    for (size_t q0 = 0; q0 < ncond;) {
        size_t q1 = q0, bytes = 0;
        int fly = !tables;
        while (q1 < ncond && q1 - q0 < chunk) {
            size_t k = q1 - q0;
            prepare(&L, &cond[q1], &prep[k]);
            cpix[k] = condition_columns(p, &L, &prep[k], cols + k * ncb, &ncols[k]);
            size_t need = cpix[k] * 2 * sizeof(float);
            if (tables && need > HTAB_MAX_BYTES) {
                /* Too large for a table: alone, on the fly. */
                if (k == 0) {
                    fly = 1;
                    q1++;
                }
                break;
            }
            if (tables && bytes + need > HTAB_MAX_BYTES) break;
            bytes += need;
            q1++;
        }
        size_t nq = q1 - q0;
        if (!fly) {
            if (bytes > tab_cap) {
                free(tab);
                tab = malloc(bytes);
                tab_cap = tab ? bytes : 0;
                if (!tab) {
                    st = CZ_SIM_FAIL(CZ_ENOMEM, "out of memory for %zu bytes of transfer tables",
                                     bytes);
                    goto done;
                }
            }
            /* Table offsets of the chunk's conditions, then each condition's columns in
             * parallel: a column's values depend only on the column. */
            size_t base = 0;
            for (size_t k = 0; k < nq; k++) {
                for (size_t c = 0; c < ncols[k]; c++) cols[k * ncb + c].off += base;
                base += cpix[k];
            }
            for (size_t k = 0; k < nq; k++) {
                const cprep *cq = &prep[k];
                const ccol *ck = cols + k * ncb;
                size_t nck = ncols[k];
                float *tb = tab;
                CZI_OMP_FOR(p->nthreads)
                for (size_t c = 0; c < nck; c++) column_transfer(p, cq, &ck[c], tb + 2 * ck[c].off);
            }
        }
        /* Waves in alternating order: the last wave of a chunk is the first of the next, so its
         * spectrum is reused. */
        for (size_t i = 0; i < nwaves; i++) {
            size_t wv = reverse ? nwaves - 1 - i : i;
            if (wv != have) {
                czi_wave_spectrum(p, waves + wv * wave_len);
                have = wv;
            }
            /* Conditions two at a time: their column passes go to p->psi and p->t, and one
             * row pass reads and writes img once for both. */
            for (size_t k = 0; k < nq; k += 2) {
                int nw = k + 1 < nq ? 2 : 1;
                fftwf_complex *work[2] = {p->psi, p->t};
                size_t nc2[2] = {0, 0}, nr2[2] = {0, 0};
                const crun *rs[2] = {runs, runs + nx};
                double wg[2] = {0.0, 0.0};
                for (int e = 0; e < nw; e++) {
                    size_t kk = k + (size_t)e;
                    const ccol *ck = cols + kk * ncb;
                    column_pass(p, &prep[kk], ck, ncols[kk], fly ? NULL : tab, hbuf, work[e]);
                    nc2[e] = ncols[kk];
                    nr2[e] = column_runs(p, ck, ncols[kk], runs + (size_t)e * nx);
                    wg[e] = cond[q0 + kk].weight / (double)nwaves;
                }
                row_pass(p, nw, work, nc2, rs, nr2, wg, img);
            }
        }
        reverse = !reverse;
        q0 = q1;
    }
    /* The plan's cache must end with the last wave's spectrum. */
    if (have != nwaves - 1) czi_wave_spectrum(p, waves + (nwaves - 1) * wave_len);
    st = CZ_OK;
done:
    free(cond);
    free(prep);
    free(cols);
    free(ncols);
    free(cpix);
    free(runs);
    free(hbuf);
    free(tab);
    return st;
}
