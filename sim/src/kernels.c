/* kernels.c — pointwise loops, cloned per instruction set (see kernels.h). */
#include "kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "plan.h"

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif
#endif
#ifndef CLONES
#define CLONES
#endif

CLONES void czi_k_transmission(const float *restrict v, float *restrict t, size_t n, float sigma) {
    for (size_t i = 0; i < n; i++) {
        float sn, cs;
        czi_sincosf(sigma * v[i], &sn, &cs);
        t[2 * i] = cs;
        t[2 * i + 1] = sn;
    }
}

CLONES void czi_k_cmul(float *restrict y, const float *restrict tab, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float a = y[2 * i], b = y[2 * i + 1], c = tab[2 * i], d = tab[2 * i + 1];
        y[2 * i] = a * c - b * d;
        y[2 * i + 1] = a * d + b * c;
    }
}

CLONES void czi_k_rmul(float *restrict y, const float *restrict tab, size_t n) {
    for (size_t i = 0; i < n; i++) {
        y[2 * i] *= tab[i];
        y[2 * i + 1] *= tab[i];
    }
}

CLONES void czi_k_rmul_set(float *restrict acc, const float *restrict y, const float *restrict tab,
                           size_t n) {
    for (size_t i = 0; i < n; i++) {
        acc[2 * i] = y[2 * i] * tab[i];
        acc[2 * i + 1] = y[2 * i + 1] * tab[i];
    }
}

CLONES void czi_k_rmul_add(float *restrict acc, const float *restrict y, const float *restrict tab,
                           size_t n) {
    for (size_t i = 0; i < n; i++) {
        acc[2 * i] += y[2 * i] * tab[i];
        acc[2 * i + 1] += y[2 * i + 1] * tab[i];
    }
}

CLONES void czi_k_rmul_plus(float *restrict y, const float *restrict tab, const float *restrict acc,
                            size_t n) {
    for (size_t i = 0; i < n; i++) {
        y[2 * i] = y[2 * i] * tab[i] + acc[2 * i];
        y[2 * i + 1] = y[2 * i + 1] * tab[i] + acc[2 * i + 1];
    }
}

CLONES void czi_k_abs2(const float *restrict y, double *restrict out, size_t n) {
    for (size_t i = 0; i < n; i++)
        out[i] = (double)y[2 * i] * y[2 * i] + (double)y[2 * i + 1] * y[2 * i + 1];
}

CLONES void czi_k_cmul_to(float *restrict y, const float *restrict x, const float *restrict h,
                          size_t n) {
    for (size_t i = 0; i < n; i++) {
        float a = x[2 * i], b = x[2 * i + 1], c = h[2 * i], d = h[2 * i + 1];
        y[2 * i] = a * c - b * d;
        y[2 * i + 1] = a * d + b * c;
    }
}

CLONES void czi_k_abs2_acc(const float *restrict y, double *restrict acc, size_t n, double w) {
    for (size_t i = 0; i < n; i++)
        acc[i] += w * ((double)y[2 * i] * y[2 * i] + (double)y[2 * i + 1] * y[2 * i + 1]);
}

CLONES void czi_k_abs2_acc2(const float *restrict y0, const float *restrict y1,
                            double *restrict acc, size_t n, double w0, double w1) {
    for (size_t i = 0; i < n; i++) {
        double a =
            acc[i] + w0 * ((double)y0[2 * i] * y0[2 * i] + (double)y0[2 * i + 1] * y0[2 * i + 1]);
        acc[i] = a + w1 * ((double)y1[2 * i] * y1[2 * i] + (double)y1[2 * i + 1] * y1[2 * i + 1]);
    }
}

/* ---- Contrast transfer ------------------------------------------------------------------- */

static const double PI = 3.14159265358979323846;

void czi_chi_poly_make(czi_chi_poly *cp, const cz_sim_ctf *ctf, double lam, int skip_c10) {
    /* Binomial coefficients up to 6. */
    static const double BIN[7][7] = {{1},
                                     {1, 1},
                                     {1, 2, 1},
                                     {1, 3, 3, 1},
                                     {1, 4, 6, 4, 1},
                                     {1, 5, 10, 10, 5, 1},
                                     {1, 6, 15, 20, 15, 6, 1}};
    memset(cp, 0, sizeof *cp);
    for (int n = 1; n < 6; n++)
        for (int m = 0; m < 7; m++) {
            double cnm = ctf->c[n][m];
            if (cnm == 0.0 || (skip_c10 && n == 1 && m == 0)) continue;
            /* Term k·(ax² + ay²)^p·Re[(ax + i·ay)^m·e^(−imφ)], k = 2π/λ·C_nm/(n+1), p = (n+1−m)/2.
             * (ax + i·ay)^m = Σ_b binom(m, b)·ax^(m−b)·(i·ay)^b: even b are real with sign
             * (−1)^(b/2), odd b imaginary with sign (−1)^((b−1)/2); the real part of the product
             * with cos mφ − i sin mφ takes the real ones times cos mφ and the imaginary ones
             * times sin mφ. */
            double ph = m * ctf->phi_deg[n][m] * PI / 180.0, cm = cos(ph), sm = sin(ph);
            double k = 2.0 * PI / lam * cnm / (n + 1);
            int p = (n + 1 - m) / 2;
            for (int b = 0; b <= m; b++) {
                double sign = ((b / 2) % 2) ? -1.0 : 1.0;
                double r = BIN[m][b] * sign * ((b % 2) ? sm : cm);
                for (int l = 0; l <= p; l++)
                    cp->p[m - b + 2 * (p - l)][b + 2 * l] += k * r * BIN[p][l];
            }
        }
}

void czi_chi_poly_c10(czi_chi_poly *cp, double c10, double lam) {
    double k = 2.0 * PI / lam * c10 / 2.0;
    cp->p[2][0] += k;
    cp->p[0][2] += k;
}

double czi_chi_bound(const cz_sim_ctf *ctf, double lam, double amax) {
    double bound = 0.0;
    for (int n = 1; n < 6; n++)
        for (int m = 0; m < 7; m++)
            bound += fabs(2.0 * PI / lam * ctf->c[n][m] / (n + 1)) * pow(amax, n + 1);
    return bound;
}

void czi_tcol_make(const czi_chi_poly *cp, double ax, int grad, czi_tcol *col) {
    memset(col, 0, sizeof *col);
    col->ax = ax;
    /* c[b] = Σ_a p[a][b]·ax^a and ∂/∂ax: Σ_a a·p[a][b]·ax^(a−1), by Horner's rule in ax. */
    for (int b = 0; b < 7; b++) {
        double v = 0.0, d = 0.0;
        for (int a = 6 - b; a >= 0; a--) {
            if (a > 0) d = d * ax + a * cp->p[a][b];
            v = v * ax + cp->p[a][b];
        }
        col->c[b] = v;
        if (grad && b < 6) col->gx[b] = d;
    }
    if (grad)
        for (int b = 0; b < 6; b++) col->gy[b] = (b + 1) * col->c[b + 1];
}

/* e^x for x <= 0 to float precision, branch-free: x = k·ln2 + r in double (ln2 in two parts),
 * e^r on |r| <= ln2/2 by its Taylor series to degree 7 in float (error 5e-9 before rounding),
 * 2^k from the exponent bits of a float. Below about e^−69 ≈ 1e-30 it returns 0: such
 * amplitudes are invisible in a float image, and as float wave values they could become
 * denormal numbers, on which every later FFT would run many times slower. x is first clamped
 * to −200 (keeping k in int range) as max(x, c) = ½((x + c) + |x − c|): a select between doubles
 * in a loop with float results defeats GCC's vectoriser. */
static inline float exp_negf(double x) {
    x = 0.5 * ((x - 200.0) + fabs(x + 200.0));
    double k = (x * 1.4426950408889634 + 6755399441055744.0) - 6755399441055744.0;
    float r = (float)((x - k * 0.6931471803691238) - k * 1.9082149292705877e-10);
    float e =
        1.0f +
        r * (1.0f +
             r * (1.0f / 2 +
                  r * (1.0f / 6 +
                       r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    int32_t ki = (int32_t)k, ex = ki < -99 ? 0 : ki + 127;
    int32_t bits = ex << 23;
    float p2;
    memcpy(&p2, &bits, sizeof p2);
    return e * p2;
}

/* sin and cos of x, |x| < 1e6, to float precision, branch-free: the Cody–Waite reduction by π/2
 * of czi_sincos (plan.h) in double, so that large phases keep their accuracy (rounding to
 * nearest by adding and subtracting 1.5·2^52, exact for |x·2/π| < 2^51, which vectorises where
 * floor may not), then the single-precision minimax polynomials of czi_sincosf on [−π/4, π/4]
 * (error about 6e-8, the rounding of a float). */
static inline void sincos_df(double x, float *s, float *c) {
    const double P1 = 1.57079632673412561417e+00, P2 = 6.07710050630396597660e-11,
                 P3 = 2.02226624879595063154e-21;
    double nq = (x * 0.63661977236758134308 + 6755399441055744.0) - 6755399441055744.0;
    float r = (float)(((x - nq * P1) - nq * P2) - nq * P3), r2 = r * r;
    float sp = r + r * r2 * (-1.6666654611e-1f + r2 * (8.3321608736e-3f + r2 * -1.9515295891e-4f));
    float cp =
        1.0f - 0.5f * r2 +
        r2 * r2 *
            (4.166664568298827e-2f + r2 * (-1.388731625493765e-3f + r2 * 2.443315711809948e-5f));
    int iq = (int)nq & 3;
    float sn = (iq & 1) ? cp : sp, cs = (iq & 1) ? sp : cp;
    *s = (iq & 2) ? -sn : sn;
    *c = ((iq + 1) & 2) ? -cs : cs;
}

/* One pixel loop of czi_k_transfer / czi_transfer_scalar, specialised by the constant flags
 * (taper; envk: 0 no envelope, 1 temporal only, 2 spatial and temporal; mul: multiply spec;
 * big: libm sine beyond 1e6 rad, scalar). Chunks of TCHUNK pixels go through simple loops (χ in
 * double; the amplitude; the sine, H and the product in float), which vectorise where one fused
 * loop does not. */
#define TCHUNK 64
static inline __attribute__((always_inline)) void transfer_body(
    const czi_tcol *col, const czi_tenv *env, const double *restrict ky, size_t n,
    const float *restrict spec, float *restrict out, const int taper, const int envk, const int mul,
    const int big) {
    const double ax = col->ax, lam = env->lam, kty = env->kty, ap = env->ap, apw = env->apw;
    const double ct = env->ct, b2 = env->b2, pia = apw > 0.0 ? PI / apw : 0.0;
    const double c0 = col->c[0], c1 = col->c[1], c2 = col->c[2], c3 = col->c[3], c4 = col->c[4],
                 c5 = col->c[5], c6 = col->c[6];
    const double x0 = col->gx[0], x1 = col->gx[1], x2 = col->gx[2], x3 = col->gx[3],
                 x4 = col->gx[4], x5 = col->gx[5];
    const double y0 = col->gy[0], y1 = col->gy[1], y2 = col->gy[2], y3 = col->gy[3],
                 y4 = col->gy[4], y5 = col->gy[5];
    double chi[TCHUNK];
    float amp[TCHUNK];
    for (size_t j0 = 0; j0 < n; j0 += TCHUNK) {
        size_t m = n - j0 < TCHUNK ? n - j0 : TCHUNK;
        const double *kyc = ky + j0;
        for (size_t j = 0; j < m; j++) {
            double ay = lam * (kyc[j] + kty);
            chi[j] = -((((((c6 * ay + c5) * ay + c4) * ay + c3) * ay + c2) * ay + c1) * ay + c0);
        }
        if (taper || envk)
            for (size_t j = 0; j < m; j++) {
                double ay = lam * (kyc[j] + kty), a2 = ax * ax + ay * ay;
                float a = 1.0f;
                if (taper) {
                    /* ½(1 + cos x), x = π·max(α − ap + apw, 0)/apw: 1 inside the taper ring
                     * (x = 0 gives exactly 1), down to 0 at α = ap. x is capped at 4 for safety
                     * (pixels beyond the aperture are not the kernel's). */
                    double t = sqrt(a2) - ap + apw;
                    t = 0.5 * (t + fabs(t)) * pia;
                    t = 0.5 * ((t + 4.0) - fabs(t - 4.0));
                    float ts, tc;
                    sincos_df(t, &ts, &tc);
                    a = 0.5f * (1.0f + tc);
                }
                if (envk) {
                    double e = ct * a2, expo = -e * e;
                    if (envk == 2) {
                        double gx = ((((x5 * ay + x4) * ay + x3) * ay + x2) * ay + x1) * ay + x0;
                        double gy = ((((y5 * ay + y4) * ay + y3) * ay + y2) * ay + y1) * ay + y0;
                        expo -= b2 * (gx * gx + gy * gy);
                    }
                    a *= exp_negf(expo);
                }
                amp[j] = a;
            }
        const float *sp = spec ? spec + 2 * j0 : NULL;
        float *o = out + 2 * j0;
        for (size_t j = 0; j < m; j++) {
            float hr, hi, a = (taper || envk) ? amp[j] : 1.0f;
            if (big) {
                double sn, cs;
                czi_sincos(chi[j], &sn, &cs);
                hr = a * (float)cs, hi = a * (float)sn;
            } else {
                float sn, cs;
                sincos_df(chi[j], &sn, &cs);
                hr = a * cs, hi = a * sn;
            }
            if (mul) {
                float xr = sp[2 * j], xi = sp[2 * j + 1];
                o[2 * j] = xr * hr - xi * hi;
                o[2 * j + 1] = xr * hi + xi * hr;
            } else {
                o[2 * j] = hr;
                o[2 * j + 1] = hi;
            }
        }
    }
}

/* The twelve specialisations of transfer_body for one value of big. */
#define TRANSFER_DISPATCH(big)                                                          \
    do {                                                                                \
        int taper_ = env->apw > 0.0, envk_ = env->b2 > 0.0 ? 2 : env->ct > 0.0 ? 1 : 0; \
        int mul_ = spec != NULL, k_ = (taper_ * 3 + envk_) * 2 + mul_;                  \
        switch (k_) {                                                                   \
            case 0:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 0, 0, 0, big);                \
                break;                                                                  \
            case 1:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 0, 0, 1, big);                \
                break;                                                                  \
            case 2:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 0, 1, 0, big);                \
                break;                                                                  \
            case 3:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 0, 1, 1, big);                \
                break;                                                                  \
            case 4:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 0, 2, 0, big);                \
                break;                                                                  \
            case 5:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 0, 2, 1, big);                \
                break;                                                                  \
            case 6:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 1, 0, 0, big);                \
                break;                                                                  \
            case 7:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 1, 0, 1, big);                \
                break;                                                                  \
            case 8:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 1, 1, 0, big);                \
                break;                                                                  \
            case 9:                                                                     \
                transfer_body(col, env, ky, n, spec, out, 1, 1, 1, big);                \
                break;                                                                  \
            case 10:                                                                    \
                transfer_body(col, env, ky, n, spec, out, 1, 2, 0, big);                \
                break;                                                                  \
            default:                                                                    \
                transfer_body(col, env, ky, n, spec, out, 1, 2, 1, big);                \
                break;                                                                  \
        }                                                                               \
    } while (0)

/* With a taper, only the pixels with α > ap − apw need it: a prefix and a suffix of a column's
 * run (α² is convex along it), found by scanning in from both ends; the middle goes through the
 * branch without taper. The taper branch gives exactly 1 where α <= ap − apw, so where the
 * split falls does not change any bit. */
static void taper_split(const czi_tcol *col, const czi_tenv *env, const double *ky, size_t n,
                        size_t *lo, size_t *hi) {
    double thr = env->ap - env->apw, thr2 = thr > 0.0 ? thr * thr : 0.0, ax2 = col->ax * col->ax;
    size_t a = 0, b = n;
    while (a < b && ax2 + (env->lam * (ky[a] + env->kty)) * (env->lam * (ky[a] + env->kty)) > thr2)
        a++;
    while (b > a &&
           ax2 + (env->lam * (ky[b - 1] + env->kty)) * (env->lam * (ky[b - 1] + env->kty)) > thr2)
        b--;
    *lo = a, *hi = b;
}

CLONES void czi_k_transfer(const czi_tcol *col, const czi_tenv *env_all, const double *ky_all,
                           size_t n_all, const float *spec_all, float *out_all) {
    /* Parts [start, end) of the run and their amplitude parameters. */
    czi_tenv plain = *env_all;
    size_t cut[4] = {0, 0, n_all, n_all};
    if (env_all->apw > 0.0) {
        taper_split(col, env_all, ky_all, n_all, &cut[1], &cut[2]);
        plain.apw = 0.0;
    }
    for (int part = 0; part < 3; part++) {
        size_t a = cut[part], b = cut[part + 1];
        if (b <= a) continue;
        const czi_tenv *env = part == 1 ? &plain : env_all;
        const double *ky = ky_all + a;
        const float *spec = spec_all ? spec_all + 2 * a : NULL;
        float *out = out_all + 2 * a;
        size_t n = b - a;
        TRANSFER_DISPATCH(0);
    }
}

void czi_transfer_scalar(const czi_tcol *col, const czi_tenv *env, const double *ky, size_t n,
                         const float *spec, float *out) {
    TRANSFER_DISPATCH(1);
}
