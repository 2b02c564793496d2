/* kernels.c — pointwise loops, cloned per instruction set (see kernels.h). */
#include "kernels.h"

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

CLONES void czi_k_ctf(const float *restrict spec, float *restrict y, size_t n, double ax,
                      const double *restrict ay, const czi_chi_term *terms, int nterms, int mmax,
                      const double *restrict amp) {
    /* Powers of z = ax + i ay and of α² = |z|², one vector loop per power, then one loop per
     * term: all loops are over j with invariant bounds, so they vectorise. */
    double zr[7][CZI_CTF_CHUNK], zi[7][CZI_CTF_CHUNK], a2p[4][CZI_CTF_CHUNK], chi[CZI_CTF_CHUNK];
    for (size_t j = 0; j < n; j++) {
        zr[0][j] = 1.0, zi[0][j] = 0.0, a2p[0][j] = 1.0, chi[j] = 0.0;
        a2p[1][j] = ax * ax + ay[j] * ay[j];
    }
    for (int e = 2; e < 4; e++)
        for (size_t j = 0; j < n; j++) a2p[e][j] = a2p[e - 1][j] * a2p[1][j];
    for (int m = 1; m <= mmax; m++)
        for (size_t j = 0; j < n; j++) {
            zr[m][j] = zr[m - 1][j] * ax - zi[m - 1][j] * ay[j];
            zi[m][j] = zr[m - 1][j] * ay[j] + zi[m - 1][j] * ax;
        }
    for (int q = 0; q < nterms; q++) {
        const double *pr = zr[terms[q].m], *pi = zi[terms[q].m], *pp = a2p[terms[q].p];
        double k = terms[q].coef, c = terms[q].c, s = terms[q].s;
        for (size_t j = 0; j < n; j++) chi[j] += k * pp[j] * (pr[j] * c + pi[j] * s);
    }
    /* exp(−iχ) with the reduction of czi_sincos, branch-free: valid for |χ| < 1e6, which the
     * caller has checked. */
    for (size_t j = 0; j < n; j++) {
        const double P1 = 1.57079632673412561417e+00, P2 = 6.07710050630396597660e-11,
                     P3 = 2.02226624879595063154e-21;
        double x = -chi[j];
        /* Round to nearest by adding and subtracting 1.5·2^52 (exact for |x·2/π| < 2^51),
         * which vectorises where floor may not. */
        double nq = (x * 0.63661977236758134308 + 6755399441055744.0) - 6755399441055744.0;
        double r = ((x - nq * P1) - nq * P2) - nq * P3, r2 = r * r;
        double sp =
            r +
            r * r2 *
                (-1.0 / 6 + r2 * (1.0 / 120 + r2 * (-1.0 / 5040 +
                                                    r2 * (1.0 / 362880 + r2 * (-1.0 / 39916800)))));
        double cp =
            1.0 + r2 * (-0.5 + r2 * (1.0 / 24 +
                                     r2 * (-1.0 / 720 +
                                           r2 * (1.0 / 40320 +
                                                 r2 * (-1.0 / 3628800 + r2 * (1.0 / 479001600))))));
        int iq = (int)nq & 3;
        double sn = (iq & 1) ? cp : sp, cs = (iq & 1) ? sp : cp;
        sn = (iq & 2) ? -sn : sn;
        cs = ((iq + 1) & 2) ? -cs : cs;
        double a = amp ? amp[j] : 1.0, hr = a * cs, hi = a * sn;
        double xr = spec[2 * j], xi = spec[2 * j + 1];
        y[2 * j] = (float)(xr * hr - xi * hi);
        y[2 * j + 1] = (float)(xr * hi + xi * hr);
    }
}

/* exp(x) for x <= 0: x = k ln2 + r, |r| <= ln2/2, e^r by its Taylor series to degree 13
 * (error < 2e-16), 2^k from the exponent bits. Branch-free. Below e^−69 ≈ 1e-30 it returns 0:
 * such amplitudes are invisible in a float image, and as float wave values they would be
 * denormal numbers, on which every later FFT would run many times slower. */
static inline double exp_neg(double x) {
    double keep = x < -69.0 ? 0.0 : 1.0;
    x = x < -69.0 ? -69.0 : x;
    double k = (x * 1.4426950408889634 + 6755399441055744.0) - 6755399441055744.0;
    double r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10;
    double e =
        1.0 +
        r * (1.0 +
             r * (1.0 / 2 +
                  r * (1.0 / 6 +
                       r * (1.0 / 24 +
                            r * (1.0 / 120 +
                                 r * (1.0 / 720 +
                                      r * (1.0 / 5040 +
                                           r * (1.0 / 40320 +
                                                r * (1.0 / 362880 +
                                                     r * (1.0 / 3628800 +
                                                          r * (1.0 / 39916800 +
                                                               r * (1.0 / 479001600 +
                                                                    r * (1.0 /
                                                                         6227020800.0)))))))))))));
    int64_t bits = (int64_t)((int)k + 1023) << 52;
    double p2;
    memcpy(&p2, &bits, sizeof p2);
    return e * p2 * keep;
}

CLONES void czi_k_envelope(double *restrict amp, size_t n, double ax, const double *restrict ay,
                           const czi_chi_term *terms, const double *gcoef, int nterms, int mmax,
                           double lam, double delta, double beta) {
    double zr[7][CZI_CTF_CHUNK], zi[7][CZI_CTF_CHUNK], a2p[3][CZI_CTF_CHUNK];
    double al[CZI_CTF_CHUNK], ial[CZI_CTF_CHUNK], dra[CZI_CTF_CHUNK], dph[CZI_CTF_CHUNK];
    double expo[CZI_CTF_CHUNK];
    double ct = 0.5 * 3.14159265358979323846 * delta / lam;
    for (size_t j = 0; j < n; j++) {
        double a2 = ax * ax + ay[j] * ay[j], e = ct * a2;
        zr[0][j] = 1.0, zi[0][j] = 0.0, a2p[0][j] = 1.0, a2p[1][j] = a2, a2p[2][j] = a2 * a2;
        al[j] = sqrt(a2);
        /* At α = 0 the gradient of every aberration vanishes (n >= 1); 1/α is then unused. */
        ial[j] = a2 > 0.0 ? 1.0 / al[j] : 0.0;
        dra[j] = dph[j] = 0.0;
        expo[j] = -e * e;
    }
    if (beta > 0.0) {
        for (int m = 1; m <= mmax; m++)
            for (size_t j = 0; j < n; j++) {
                zr[m][j] = zr[m - 1][j] * ax - zi[m - 1][j] * ay[j];
                zi[m][j] = zr[m - 1][j] * ay[j] + zi[m - 1][j] * ax;
            }
        for (int q = 0; q < nterms; q++) {
            int m = terms[q].m, nn = 2 * terms[q].p + m - 1, nm = nn - m;
            const double *pr = zr[m], *pi = zi[m];
            double c = terms[q].c, s = terms[q].s, g = gcoef[q], gm = g * m / (nn + 1);
            if (nm < 0) {
                for (size_t j = 0; j < n; j++) {
                    double wr = pr[j] * c + pi[j] * s, wi = pi[j] * c - pr[j] * s;
                    dra[j] += g * ial[j] * wr;
                    dph[j] -= gm * ial[j] * wi;
                }
            } else {
                const double *pp = a2p[(nm - 1) / 2];
                for (size_t j = 0; j < n; j++) {
                    double wr = pr[j] * c + pi[j] * s, wi = pi[j] * c - pr[j] * s;
                    double anm = al[j] * pp[j];
                    dra[j] += g * anm * wr;
                    dph[j] -= gm * anm * wi;
                }
            }
        }
        double b2 = 0.25 * beta * beta;
        for (size_t j = 0; j < n; j++) expo[j] -= b2 * (dra[j] * dra[j] + dph[j] * dph[j]);
    }
    for (size_t j = 0; j < n; j++) amp[j] *= exp_neg(expo[j]);
}
