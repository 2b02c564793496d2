/**
 * cz_sim.h — libczsim: multislice HRTEM simulation on FFTW3 (single precision).
 *
 * Conventions (in addition to those of cz_base.h):
 *  - Units: Å, eV, degrees. Other units are in the name (energy_ev, aperture_mrad). Aberration
 *    coefficients C_nm are in Å (Cs = 1.2 mm is c[3][0] = 1.2e7).
 *  - The cell must be orthorhombic: rows a = (Lx, 0, 0), b = (0, Ly, 0), c = (0, 0, Lz). The
 *    simulation is periodic in x and y. The beam travels along +z; the entrance surface is z = 0.
 *  - Grids have nx × ny pixels, pixel (i, j) at x = i·dx, y = j·dy (origin on a pixel, not a
 *    pixel centre), dx = Lx/nx, dy = Ly/ny. Arrays are row-major with x FASTEST: element (i, j)
 *    is at index j·nx + i. (numpy: an array of shape (ny, nx). Reference data that use axis 0 = x
 *    must be transposed before comparison.)
 *  - Waves are interleaved single-precision complex numbers: float wave[2·nx·ny] with
 *    wave[2p] = Re, wave[2p+1] = Im of pixel p; binary-compatible with C99 `float complex` and
 *    numpy complex64. An incident plane wave has amplitude 1 in every pixel.
 *  - Images and potentials are double img[nx·ny].
 *  - Fourier convention: forward transform exp(−2πi k·x). Transmission t = exp(+iσV), Fresnel
 *    propagator P = exp(−iπλk²Δz), contrast transfer H = exp(−iχ), with χ(k, φ) =
 *    2π/λ Σ C_nm α^(n+1)/(n+1) cos(m(φ − φ_nm)), α = λk. Defocus = −C10 (positive = underfocus).
 *  - Errors: functions return cz_status; cz_sim_last_error() gives a thread-local message naming
 *    the function and the bad value. Nothing prints, exits or aborts on bad input.
 *  - Thread safety: every function is reentrant. A cz_sim_plan serves one call at a time (it owns
 *    the workspace); distinct plans may be used concurrently from different threads. FFTW planning
 *    is serialised internally by one mutex.
 *  - Determinism: results are bitwise identical for any nthreads (OpenMP threads only split
 *    independent rows, columns and pixels; every 1-D FFT uses the same FFTW plan).
 *
 * Memory cap: opts.max_pixels (default 2^26 = 8192²) bounds nx·ny; a plan holds about
 * (52 + 2·nspecies) bytes per pixel (60 when the last slice is thinner than the others), i.e.
 * 3.5 GB at the cap.
 *
 * FFTW wisdom is read from and written to opts.wisdom_path, or when that is NULL to
 * $CZ_FFTW_WISDOM, else $XDG_CACHE_HOME/cz/fftw-wisdom-f, else $HOME/.cache/cz/fftw-wisdom-f.
 * An empty string disables the disk cache. Failure to read or write wisdom is not an error.
 */
#ifndef CZ_SIM_H
#define CZ_SIM_H

#include <stddef.h>

#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Largest atomic number with tabulated scattering factors (both parametrisations). */
#define CZ_SIM_ZMAX 103

/** Electron scattering-factor parametrisation. */
typedef enum cz_sim_param {
    CZ_SIM_KIRKLAND = 0, /**< Kirkland 2010, Appendix C (3 Lorentzians + 3 Gaussians) */
    CZ_SIM_LOBATO = 1    /**< Lobato & Van Dyck, Acta Cryst. A70 (2014) 636 */
} cz_sim_param;

/** How atoms are placed on the grid before the Fourier-space scattering factor is applied. */
typedef enum cz_sim_spread {
    /** Cubic B-spline (4 × 4 pixels per atom), divided out in Fourier space by its sampled
     *  transform (smooth-PME correction): exact for atoms on pixels, cardinal-spline accurate in
     *  between. Default. */
    CZ_SIM_SPREAD_BSPLINE = 0,
    /** Bilinear (2 × 2 pixels) with abTEM 1.0's correction factor |κ|/sin|κ|, κ = (kx·dx, ky·dy):
     *  reproduces abTEM's infinite-projection potential bit for bit in double precision. Offered
     *  only for validation against abTEM; it is less accurate than CZ_SIM_SPREAD_BSPLINE. */
    CZ_SIM_SPREAD_ABTEM = 1
} cz_sim_spread;

/** opts.flags: round nx and ny (when derived from sampling) up to 2^a·3^b·5^c·7^d. */
#define CZ_SIM_FFT_FRIENDLY (1u << 0)
/** opts.flags: plan with FFTW_ESTIMATE instead of FFTW_MEASURE (fast planning, slower FFTs). */
#define CZ_SIM_FFTW_ESTIMATE (1u << 1)
/** opts.flags: refuse atoms with x or y outside [0, L) instead of wrapping them periodically. */
#define CZ_SIM_REFUSE_OUTSIDE (1u << 2)

/** Options for cz_sim_plan_create. Fill with cz_sim_opts_default() first. */
typedef struct cz_sim_opts {
    double energy_ev;         /**< beam energy in eV (default 300e3); > 0 */
    double sampling;          /**< target pixel size in Å, used when nx or ny is 0 (default 0.05) */
    size_t nx, ny;            /**< grid size; 0 = ceil(L / sampling) (default 0, 0) */
    double slice_thickness;   /**< Å (default 2.0); the last slice may be thinner */
    cz_sim_param param;       /**< default CZ_SIM_KIRKLAND */
    cz_sim_spread spread;     /**< default CZ_SIM_SPREAD_BSPLINE */
    double antialias_cutoff;  /**< band limit as a fraction of Nyquist (default 2/3); (0, 1] */
    double antialias_taper;   /**< cosine taper width × max(dx, dy), 1/Å·Å (default 0.01) */
    size_t max_pixels;        /**< memory cap on nx·ny (default 2^26) */
    int nthreads;             /**< OpenMP threads; 0 = OpenMP default (default 0) */
    unsigned flags;           /**< CZ_SIM_* flags (default 0) */
    const char *wisdom_path;  /**< FFTW wisdom file; NULL = default location, "" = none */
} cz_sim_opts;

/** Sizes and derived constants of a plan (see cz_sim_plan_info). */
typedef struct cz_sim_info {
    size_t nx, ny;          /**< grid */
    size_t nslices;         /**< number of slices */
    double dx, dy;          /**< pixel size, Å */
    double wavelength;      /**< relativistic electron wavelength λ, Å */
    double sigma;           /**< interaction parameter σ, rad/(V·Å) */
    double kmax_antialias;  /**< antialias band limit, 1/Å */
    size_t wave_len;        /**< floats in a wave buffer: 2·nx·ny */
    size_t image_len;       /**< doubles in an image or potential buffer: nx·ny */
} cz_sim_info;

/** Imaging conditions applied to a stored exit wave (cz_sim_image). Fill with
 *  cz_sim_ctf_default() first. Index c[n][m] holds C_nm for n = 1..5, 0 ≤ m ≤ n+1 with n+m odd
 *  (C10 defocus, C12 two-fold astigmatism, C21 coma, C23, C30 = Cs, C32, C34, C41, C43, C45,
 *  C50 = C5, C52, C54, C56); other entries must be 0. */
typedef struct cz_sim_ctf {
    double c[6][7];              /**< aberration coefficients C_nm, Å */
    double phi_deg[6][7];        /**< azimuths φ_nm, degrees */
    double aperture_mrad;        /**< objective aperture semi-angle; 0 = none */
    double aperture_taper_mrad;  /**< soft edge width (cosine) inside the aperture; 0 = hard */
    double focal_spread;         /**< 1/e focal spread Δ, Å; temporal envelope; 0 = none */
    double convergence_mrad;     /**< 1/e semi-angle β; spatial envelope; 0 = none */
} cz_sim_ctf;

/** The simulator: grid, FFTW plans, propagator, tables and the atoms binned into slices. */
typedef struct cz_sim_plan cz_sim_plan;

/** Thread-local message describing the last failure in this thread ("" if none). */
CZ_API const char *cz_sim_last_error(void);

/** Static English description of a status code. */
CZ_API const char *cz_sim_strerror(cz_status status);

/** Fill *opts with defaults (300 keV, 0.05 Å, 2 Å slices, Kirkland, B-spline spreading). */
CZ_API void cz_sim_opts_default(cz_sim_opts *opts);

/** Fill *ctf with a perfect lens: all C_nm = 0, no aperture, no envelopes. */
CZ_API void cz_sim_ctf_default(cz_sim_ctf *ctf);

/**
 * Relativistic electron wavelength and interaction parameter (CODATA 2018 constants):
 * λ = h / sqrt(2 m0 e E (1 + eE/(2 m0 c²))) and σ = 2π m e λ / h², m = m0 + eE/c².
 * @param energy_ev  beam energy in eV, finite and > 0
 * @param wavelength out: λ in Å (may be NULL)
 * @param sigma      out: σ in rad/(V·Å) (may be NULL)
 * @return CZ_OK; CZ_EINVAL if energy_ev is not finite and positive (outputs set to 0).
 */
CZ_API cz_status cz_sim_electron(double energy_ev, double *wavelength, double *sigma);

/**
 * Scherzer defocus sign(Cs)·sqrt(1.5·|Cs|·λ) in Å (positive = underfocus, i.e. C10 = −value).
 * @param energy_ev beam energy in eV (> 0)
 * @param cs        spherical aberration C30 in Å (may be negative; 0 gives 0)
 * @param defocus   out: Scherzer defocus in Å
 * @return CZ_OK, or CZ_EINVAL for a non-finite or non-positive energy or non-finite cs.
 */
CZ_API cz_status cz_sim_scherzer_defocus(double energy_ev, double cs, double *defocus);

/**
 * Analytic projected potential v_z(r) of one isolated atom (infinite projection), V·Å.
 * Kirkland 2010 eq. C.20; Lobato 2014 eq. 17 (its projected form).
 * @param z      atomic number, 1..CZ_SIM_ZMAX
 * @param param  parametrisation
 * @param n      number of radii
 * @param r      [n] radii in Å, each finite and > 0
 * @param v      [n] out: v_z(r) in V·Å
 * @return CZ_OK; CZ_EINVAL for unknown z or param, r ≤ 0 or NaN (v untouched).
 */
CZ_API cz_status cz_sim_projected_potential(int z, cz_sim_param param, size_t n, const double r[],
                                            double v[]);

/**
 * Fourier transform of the projected potential of one atom, F(k) = 2π a0 e · f_e(k), V·Å³.
 * F(0) is the integral of v_z over the plane (505.27 V·Å³ for Au, Kirkland).
 * @param z, param as in cz_sim_projected_potential
 * @param n      number of spatial frequencies
 * @param k      [n] |k| in 1/Å, finite and ≥ 0
 * @param f      [n] out: F(k) in V·Å³
 * @return CZ_OK or CZ_EINVAL.
 */
CZ_API cz_status cz_sim_scattering_factor(int z, cz_sim_param param, size_t n, const double k[],
                                          double f[]);

/**
 * Create a simulator for a cell: chooses the grid, makes the FFTW plans (FFTW_MEASURE unless
 * CZ_SIM_FFTW_ESTIMATE; wisdom cached on disk) and precomputes the propagator and antialias
 * aperture. Atoms are given later with cz_sim_set_atoms.
 * @param opts  options (NULL = defaults)
 * @param cell  [3][3] rows a, b, c in Å; must be orthorhombic and axis-aligned (see top)
 * @param out   out: the new plan, NULL on failure; free with cz_sim_plan_destroy
 * @return CZ_OK; CZ_EINVAL (bad energy, sampling ≤ 0 or NaN, slice thickness ≤ 0, cutoff outside
 *   (0, 1], cell lengths ≤ 0 or NaN); CZ_ENOTSUP (non-orthorhombic cell); CZ_ERANGE (nx·ny above
 *   opts.max_pixels); CZ_ENOMEM; CZ_EFFTW.
 * Thread safety: may be called concurrently; FFTW planning is serialised by a mutex.
 */
CZ_API cz_status cz_sim_plan_create(const cz_sim_opts *opts, const double cell[3][3],
                                    cz_sim_plan **out);

/** Free a plan. NULL is a no-op. */
CZ_API void cz_sim_plan_destroy(cz_sim_plan *plan);

/** Grid sizes, slice count, λ, σ and the buffer lengths the other calls expect.
 *  @return CZ_OK, or CZ_EINVAL if plan or info is NULL. */
CZ_API cz_status cz_sim_plan_info(const cz_sim_plan *plan, cz_sim_info *info);

/**
 * Give the plan its atoms (copied; the arrays are not kept). Each atom lies wholly in slice
 * floor(z / slice_thickness) (infinite projection); z = Lz is put in the last slice.
 * Positions with x or y outside [0, L) are wrapped into the cell (periodic), unless
 * CZ_SIM_REFUSE_OUTSIDE was set, which refuses them; z outside [0, Lz] is always refused.
 * Replaces any previous atoms. Allocates (the run calls do not).
 * @param n    number of atoms (0 allowed: vacuum)
 * @param xyz  [n][3] Cartesian positions, Å
 * @param z    [n] atomic numbers 1..CZ_SIM_ZMAX
 * @return CZ_OK; CZ_EINVAL (NULL arrays with n > 0, non-finite coordinates, unknown Z, position
 *   outside the cell as above; the message names the atom index); CZ_ENOMEM. On failure the plan
 *   keeps no atoms.
 */
CZ_API cz_status cz_sim_set_atoms(cz_sim_plan *plan, size_t n, const double xyz[][3],
                                  const int z[]);

/**
 * Projected potential of one slice on the grid, V·Å (the sum over all slices is the total
 * projected potential). Same discretisation the multislice uses.
 * @param slice  slice index < nslices
 * @param v      [nx·ny] out, x fastest
 * @param len    length of v; must be ≥ image_len
 * @return CZ_OK; CZ_EINVAL (NULL, slice out of range); CZ_ERANGE (len too small, nothing written).
 */
CZ_API cz_status cz_sim_potential(cz_sim_plan *plan, size_t slice, double v[], size_t len);

/**
 * Plane-wave multislice through every slice: sets wave to 1 and applies, per slice,
 * t = bandlimit(exp(iσV)); ψ ← ψ·t; ψ ← IFFT(P·A·FFT(ψ)) with P for that slice's thickness.
 * The result is the exit wave at z = Lz. Allocates nothing.
 * @param wave [wave_len] out: the exit wave (interleaved complex float)
 * @param len  length of wave in floats; must be ≥ wave_len
 * @return CZ_OK; CZ_EINVAL (NULL); CZ_ERANGE (len too small, nothing written).
 */
CZ_API cz_status cz_sim_run(cz_sim_plan *plan, float wave[], size_t len);

/**
 * Apply slices [first, first + count) to a wave in place (thickness series, custom incident
 * waves). cz_sim_run equals setting the wave to 1 and propagating through all slices.
 * @return CZ_OK; CZ_EINVAL (NULL, range beyond nslices); CZ_ERANGE (len too small).
 */
CZ_API cz_status cz_sim_propagate(cz_sim_plan *plan, size_t first, size_t count, float wave[],
                                  size_t len);

/**
 * Image intensity from a stored exit wave: I = |IFFT(FFT(ψ)·H·aperture)|² with
 * H = exp(−iχ) (χ in double precision) and, when requested, the temporal envelope
 * E_t = exp(−(½πλΔk²)²) and spatial envelope E_s = exp(−(β/2)²|∇_α χ|²) multiplying the transfer
 * function (quasi-coherent approximation). Two FFTs. Uses the plan's workspace.
 * @param ctf      imaging conditions (NULL = perfect lens)
 * @param wave     [wave_len] exit wave (from cz_sim_run)
 * @param wave_len length of wave in floats (≥ wave_len of the plan)
 * @param img      [nx·ny] out: intensity (1 for an undisturbed plane wave)
 * @param img_len  length of img (≥ image_len)
 * @return CZ_OK; CZ_EINVAL (NULL, non-finite coefficient, C_nm with n+m even or m > n+1 set,
 *   negative aperture or spreads); CZ_ERANGE (a buffer too small, nothing written).
 */
CZ_API cz_status cz_sim_image(cz_sim_plan *plan, const cz_sim_ctf *ctf, const float wave[],
                              size_t wave_len, double img[], size_t img_len);

#ifdef __cplusplus
}
#endif
#endif /* CZ_SIM_H */
