/* kernels.h — the pointwise loops of the multislice and imaging (private).
 *
 * On x86-64 each kernel is compiled for AVX-512F, AVX2 and baseline SSE2 (target_clones); the
 * loader picks one per machine. libczsim is built with -ffp-contract=off, so every clone performs
 * the same IEEE operations per element in the same order and gives the same bits (the vector
 * width changes only how many elements run at once). Complex arrays are interleaved floats. */
#ifndef CZ_SIM_KERNELS_H
#define CZ_SIM_KERNELS_H

#include <stddef.h>

#include "cz/cz_sim.h"

/* t[i] = (cos σv[i], sin σv[i]) for i < n. */
void czi_k_transmission(const float *v, float *t, size_t n, float sigma);
/* y[i] *= tab[i] (complex), i < n. */
void czi_k_cmul(float *y, const float *tab, size_t n);
/* y[i] *= tab[i] (complex × real), i < n. */
void czi_k_rmul(float *y, const float *tab, size_t n);
/* acc[i] = y[i]·tab[i] (set) or acc[i] += y[i]·tab[i] (complex × real), i < n. */
void czi_k_rmul_set(float *acc, const float *y, const float *tab, size_t n);
void czi_k_rmul_add(float *acc, const float *y, const float *tab, size_t n);
/* y[i] = y[i]·tab[i] + acc[i] (complex × real + complex), i < n. */
void czi_k_rmul_plus(float *y, const float *tab, const float *acc, size_t n);
/* out[i] = |y[i]|² in double, i < n. */
void czi_k_abs2(const float *y, double *out, size_t n);

/* ---- Contrast transfer (imaging.c, phonons.c) ----------------------------------------------
 *
 * χ(α) = 2π/λ Σ C_nm α^(n+1)/(n+1) cos(m(φ − φ_nm)) is a polynomial of degree ≤ 6 in the
 * Cartesian components (ax, ay) of α = λk. czi_chi_poly holds its coefficients; along one column
 * of the spectrum (ax fixed) χ and its gradient are polynomials in ay alone (czi_tcol), which the
 * pixel kernel evaluates by Horner's rule in double precision: a dozen multiply-adds per pixel
 * instead of powers and a sum over terms. */

/* χ(ax, ay) = Σ_{a+b ≤ 6} p[a][b]·ax^a·ay^b, rad. */
typedef struct czi_chi_poly {
    double p[7][7];
} czi_chi_poly;

/* The polynomial of the aberrations ctf->c[n][m], φ_nm = ctf->phi_deg[n][m] at wavelength lam,
 * Å. With skip_c10 the defocus C10 is left out (add it with czi_chi_poly_c10). */
void czi_chi_poly_make(czi_chi_poly *cp, const cz_sim_ctf *ctf, double lam, int skip_c10);
/* Add the defocus term 2π/λ·c10·α²/2. */
void czi_chi_poly_c10(czi_chi_poly *cp, double c10, double lam);
/* An upper bound on |χ| for |α| ≤ amax (sum of the terms' magnitudes). */
double czi_chi_bound(const cz_sim_ctf *ctf, double lam, double amax);

/* χ and its gradient along one column: ax = λ·kx (tilt included), χ = Σ c[d]·ay^d,
 * ∂χ/∂ax = Σ gx[d]·ay^d, ∂χ/∂ay = Σ gy[d]·ay^d. */
typedef struct czi_tcol {
    double ax;
    double c[7], gx[6], gy[6];
} czi_tcol;

/* Fill col for the column at ax (gradient too when grad != 0). */
void czi_tcol_make(const czi_chi_poly *cp, double ax, int grad, czi_tcol *col);

/* The amplitude part of a transfer function: ay = lam·(ky + kty); objective-aperture taper
 * amp = ½(1 + cos(π(α − ap + apw)/apw)) where α > ap − apw (apw = 0: none; the hard edge is the
 * caller's choice of pixels); envelopes exp(−(ct·α²)² − b2·|∇_α χ|²) (ct = ½πΔ/λ temporal,
 * b2 = (β/2)² spatial; 0 = none). */
typedef struct czi_tenv {
    double lam, kty;
    double ap, apw;
    double ct, b2;
} czi_tenv;

/* H_j = amp_j·exp(−iχ_j) at the n frequencies ky[0..n) of one column. With spec (n interleaved
 * complex floats): out_j = spec_j·H_j, the product in double rounded once to float; with spec
 * NULL: out_j = H_j rounded to float. Branch-free and vectorised; needs |χ| < 1e6 rad on these
 * pixels (the range of the branch-free sine reduction), which the caller checks with
 * czi_chi_bound. czi_transfer_scalar is the same for any χ (libm beyond 1e6 rad), one pixel at
 * a time. */
void czi_k_transfer(const czi_tcol *col, const czi_tenv *env, const double *ky, size_t n,
                    const float *spec, float *out);
void czi_transfer_scalar(const czi_tcol *col, const czi_tenv *env, const double *ky, size_t n,
                         const float *spec, float *out);

/* y[i] = x[i]·h[i] (complex, float arithmetic), i < n. */
void czi_k_cmul_to(float *y, const float *x, const float *h, size_t n);
/* acc[i] += w·|y[i]|² in double, i < n. */
void czi_k_abs2_acc(const float *y, double *acc, size_t n, double w);
/* acc[i] = (acc[i] + w0·|y0[i]|²) + w1·|y1[i]|² in double, i < n: the same bits as two calls of
 * czi_k_abs2_acc. */
void czi_k_abs2_acc2(const float *y0, const float *y1, double *acc, size_t n, double w0, double w1);

#endif
