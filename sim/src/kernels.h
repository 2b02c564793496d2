/* kernels.h — the pointwise loops of the multislice and imaging (private).
 *
 * On x86-64 each kernel is compiled for AVX-512F, AVX2 and baseline SSE2 (target_clones); the
 * loader picks one per machine. libczsim is built with -ffp-contract=off, so every clone performs
 * the same IEEE operations per element in the same order and gives the same bits (the vector
 * width changes only how many elements run at once). Complex arrays are interleaved floats. */
#ifndef CZ_SIM_KERNELS_H
#define CZ_SIM_KERNELS_H

#include <stddef.h>

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

#endif

/* One aberration term for czi_k_ctf: χ += coef·(α²)^p·Re[(ax + i ay)^m e^(−imφ)],
 * coef = 2π/λ·C_nm/(n+1), p = (n+1−m)/2, (c, s) = (cos mφ, sin mφ). */
typedef struct czi_chi_term {
    int m, p;
    double coef, c, s;
} czi_chi_term;

/* Largest block czi_k_ctf handles per call. */
#define CZI_CTF_CHUNK 256

/* Transfer for n ≤ CZI_CTF_CHUNK frequencies of one column (ax = λkx, ay[j] = λky_j):
 * y[j] = spec[j]·amp[j]·exp(−iχ_j) (amp NULL = 1), complex interleaved floats. */
void czi_k_ctf(const float *spec, float *y, size_t n, double ax, const double *ay,
               const czi_chi_term *terms, int nterms, int mmax, const double *amp);

/* Envelope amplitudes for n ≤ CZI_CTF_CHUNK frequencies of one column: amp[j] *= exp(−(½πΔ α²/λ)²
 * − (β/2)²|∇_α χ|²) (temporal with focal spread delta, spatial with convergence beta; either
 * may be 0). terms carry n via p and m (n = 2p + m − 1); gcoef[q] = 2π/λ·C_nm. */
void czi_k_envelope(double *amp, size_t n, double ax, const double *ay, const czi_chi_term *terms,
                    const double *gcoef, int nterms, int mmax, double lam, double delta,
                    double beta);
