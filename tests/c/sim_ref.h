/* sim_ref.h — a plain double-precision reference for the imaging tests (test_sim_imaging.c,
 * test_sim_phonons.c): direct DFTs, the transfer function term by term in polar form (as written
 * in cz_sim.h), libm everywhere, and a small seeded generator for random lenses. Header-only:
 * every function is static. */
#ifndef CZ_TEST_SIM_REF_H
#define CZ_TEST_SIM_REF_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "cz/cz_sim.h"

static const double REF_PI = 3.14159265358979323846;

/* xorshift64*, uniform in [0, 1); each test keeps its own state. */
static inline double ref_urand(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 0x2545f4914f6cdd1dull) >> 11) * (1.0 / 9007199254740992.0);
}

/* 2-D DFT of a complex [ny][nx] array (interleaved doubles), sign −1 (forward, scaled by 1/N)
 * or +1 (inverse, unscaled). */
static void ref_dft2(double *a, size_t nx, size_t ny, int sign) {
    size_t nm = nx > ny ? nx : ny;
    double *t = malloc(2 * nm * sizeof *t), *tw = malloc(2 * nm * sizeof *tw);
    for (size_t pass = 0; pass < 2; pass++) {
        size_t n = pass ? ny : nx, cnt = pass ? nx : ny;
        size_t step = pass ? nx : 1, dist = pass ? 1 : nx;
        for (size_t x = 0; x < n; x++) {
            double ph = sign * 2.0 * REF_PI * (double)x / (double)n;
            tw[2 * x] = cos(ph), tw[2 * x + 1] = sin(ph);
        }
        for (size_t c = 0; c < cnt; c++) {
            double *v = a + 2 * c * dist;
            for (size_t k = 0; k < n; k++) {
                double re = 0, im = 0;
                for (size_t x = 0; x < n; x++) {
                    const double *e = tw + 2 * ((k * x) % n);
                    double vr = v[2 * x * step], vi = v[2 * x * step + 1];
                    re += vr * e[0] - vi * e[1];
                    im += vr * e[1] + vi * e[0];
                }
                t[2 * k] = re, t[2 * k + 1] = im;
            }
            for (size_t k = 0; k < n; k++) {
                v[2 * k * step] = t[2 * k] / (sign < 0 ? (double)n : 1.0);
                v[2 * k * step + 1] = t[2 * k + 1] / (sign < 0 ? (double)n : 1.0);
            }
        }
    }
    free(t);
    free(tw);
}

/* H = amp·exp(−iχ) at α = λu (u = k + k_t, 1/Å) with C10 replaced by c10: aperture taper (not
 * the hard edge, which the caller applies), temporal and spatial envelopes. */
static void ref_transfer(const cz_sim_ctf *ctf, double c10, double lam, double ux, double uy,
                         double *hr, double *hi) {
    double k = sqrt(ux * ux + uy * uy), al = lam * k, phi = atan2(uy, ux);
    double chi = 0, dra = 0, dph = 0;
    for (int n = 1; n < 6; n++)
        for (int m = 0; m < 7; m++) {
            double c = (n == 1 && m == 0) ? c10 : ctf->c[n][m];
            if (c == 0.0) continue;
            double d = m * (phi - ctf->phi_deg[n][m] * REF_PI / 180.0), g = 2.0 * REF_PI / lam * c;
            chi += g * pow(al, n + 1) / (n + 1) * cos(d);
            dra += g * pow(al, n) * cos(d);
            dph -= g * pow(al, n) * m / (n + 1) * sin(d);
        }
    double amp = 1.0, ap = ctf->aperture_mrad * 1e-3, apw = ctf->aperture_taper_mrad * 1e-3;
    if (ap > 0 && apw > 0 && al > ap - apw) amp = 0.5 * (1.0 + cos(REF_PI * (al - ap + apw) / apw));
    double e = 0.5 * REF_PI * ctf->focal_spread / lam * al * al, b = ctf->convergence_mrad * 1e-3;
    amp *= exp(-e * e - 0.25 * b * b * (dra * dra + dph * dph));
    *hr = amp * cos(chi);
    *hi = -amp * sin(chi);
}

#endif /* CZ_TEST_SIM_REF_H */
