/**
 * cz_sim.h — libczsim: multislice HRTEM simulation on FFTW3 (single precision; double as an
 * option, CZ_SIM_DOUBLE).
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
 *    is serialised internally (one mutex per FFTW precision library).
 *  - Determinism: results are bitwise identical for any nthreads (OpenMP threads only split
 *    independent rows, columns and pixels; every 1-D FFT uses the same FFTW plan).
 *
 * Memory cap: opts.max_pixels (default 2^26 = 8192²) bounds nx·ny; a plan holds about 42 bytes
 * per pixel (+2·nspecies with CZ_SIM_POTENTIAL_FOURIER, +5 when the last slice is thinner than
 * the others, +4 with finite projection), i.e. 2.9 GB at the cap; CZ_SIM_DOUBLE adds about 80
 * (+16 for a thinner last slice, +4·nspecies with CZ_SIM_POTENTIAL_FOURIER).
 *
 * FFTW wisdom is read from and written to opts.wisdom_path, or when that is NULL to
 * $CZ_FFTW_WISDOM, else $XDG_CACHE_HOME/cz/fftw-wisdom-f, else $HOME/.cache/cz/fftw-wisdom-f.
 * An empty string disables the disk cache. Failure to read or write wisdom is not an error.
 */
#ifndef CZ_SIM_H
#define CZ_SIM_H

#include <stddef.h>
#include <stdint.h>

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

/** How atoms are placed on the grid before the Fourier-space scattering factor is applied
 *  (CZ_SIM_POTENTIAL_FOURIER). */
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

/** Largest beam tilt accepted (opts.tilt_mrad): the propagator's tilt is a small-angle form. */
#define CZ_SIM_TILT_MAX_MRAD 100

/** How the 3-D potential of an atom is divided among slices. */
typedef enum cz_sim_projection {
    /** Each atom lies wholly in the slice holding its z (its full projected potential). Default. */
    CZ_SIM_INFINITE = 0,
    /** Each slice receives the 3-D potential integrated over its own depth range, from every atom
     *  within reach (slab integrals of the parametrised potential; see cz_sim_slab_potential).
     *  Summed over all slices it equals the infinite projection. */
    CZ_SIM_FINITE = 1
} cz_sim_projection;

/** How the projected potential of a slice is put on the grid (infinite projection, and each
 *  atom's own-slice part with finite projection). Both give each atom the grid integral F(0)
 *  exactly. Accuracy and cost of both, and why real space is the default: docs/sim.md. */
typedef enum cz_sim_potential_method {
    /** Particle mesh: atoms spread with the opts.spread kernel, scattering factor applied in
     *  Fourier space. The grid potential is band-limited: its spectrum is exact inside the grid's
     *  Nyquist square for atoms on pixels (4e-3 relative RMS inside the antialias band for atoms
     *  between pixels), while in real space it rings along the grid axes (−1 … −6 % of v_z). */
    CZ_SIM_POTENTIAL_FOURIER = 0,
    /** Superposition of tabulated radial profiles v_z(r) sampled at the pixel centres (exact
     *  sub-pixel placement, periodic images by wrap-around): pointwise within 2e-4 of v_z at
     *  every pixel with 0.1 Å ≤ r < R_t. Per species, R_t is the radius beyond which v_z holds
     *  1e-4 of F(0) (3.6 Å for C, 3.9 Å for Au, up to 9 Å for alkali metals); the profile is
     *  tapered smoothly to 0 at R_t + 0.5 Å and the annulus keeps the tail's mass. The mass that
     *  point sampling misses at the logarithmic core is added to the four pixels around the
     *  atom. Its spectrum inside the band carries the aliased content beyond Nyquist (1–3e-2
     *  relative RMS at 0.1 Å sampling); exit waves are closer to the converged multislice than
     *  with the particle mesh. Default. */
    CZ_SIM_POTENTIAL_REALSPACE = 1
} cz_sim_potential_method;

/** Floating-point precision of the potential and the multislice. */
typedef enum cz_sim_precision {
    CZ_SIM_SINGLE = 0, /**< complex64 waves, blocked float FFTs (fast path) */
    /** complex128 throughout the potential and the multislice (FFTW double plans, FFTW_ESTIMATE,
     *  one thread per FFT): for checking rounding, not for speed. Read its exit wave with
     *  cz_sim_run_double / cz_sim_propagate_double (cz_sim_run rounds it to complex64). Needs
     *  libczsim built with libfftw3 (CZ_SIM_HAVE_FFTW_DOUBLE); otherwise CZ_ENOTSUP. */
    CZ_SIM_DOUBLE = 1
} cz_sim_precision;

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
    double tilt_mrad;         /**< beam tilt against the specimen's z axis, mrad (default 0);
                                   0..CZ_SIM_TILT_MAX_MRAD; enters the propagator (small angle) */
    double tilt_azimuth_deg;  /**< direction of the tilt in the xy plane from +x, deg (default 0) */
    cz_sim_projection projection; /**< default CZ_SIM_INFINITE */
    cz_sim_potential_method potential_method; /**< default CZ_SIM_POTENTIAL_REALSPACE;
                                   spread = CZ_SIM_SPREAD_ABTEM selects abTEM's particle mesh
                                   whatever this says */
    cz_sim_precision precision;               /**< default CZ_SIM_SINGLE */
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

/** Fill *opts with defaults (300 keV, 0.05 Å, 2 Å slices, Kirkland, infinite projection,
 *  real-space potential, single precision). */
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
 * Potential of one isolated atom at the origin integrated along z over [z0, z1] at lateral
 * distance r: ∫ V(sqrt(r² + z²)) dz, V·Å (the slab integral that finite projection assigns to a
 * slice). Gaussian terms in closed form (erf), Yukawa terms by Gauss–Legendre quadrature in
 * z = r sinh t. z0 = −∞, z1 = +∞ gives cz_sim_projected_potential.
 * @param z, param as in cz_sim_projected_potential
 * @param n      number of radii
 * @param r      [n] lateral distances in Å, each finite and > 0
 * @param z0, z1 slab limits relative to the atom, Å; z0 < z1; ±INFINITY allowed
 * @param v      [n] out: V·Å
 * @return CZ_OK; CZ_EINVAL for unknown z or param, r ≤ 0 or NaN, NaN limits or z0 ≥ z1.
 */
CZ_API cz_status cz_sim_slab_potential(int z, cz_sim_param param, size_t n, const double r[],
                                       double z0, double z1, double v[]);

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
 * Give the plan its atoms (copied; the arrays are not kept). With CZ_SIM_INFINITE each atom lies
 * wholly in slice floor(z / slice_thickness); z = Lz is put in the last slice. With
 * CZ_SIM_FINITE each slice receives the slab integral of every atom's 3-D potential over its
 * depth (atoms reach 3–5.5 Å, where V falls below 1e-4 of its value at 0.5 Å; the first and last
 * slices extend to ∓∞); this call then also tabulates the slab integrals of each species. It
 * also makes the species tables of the potential method (radial profiles, or Fourier-space
 * factors).
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
 * projected potential). Same discretisation the multislice uses (computed in double precision
 * with CZ_SIM_DOUBLE).
 * @param slice  slice index < nslices
 * @param v      [nx·ny] out, x fastest
 * @param len    length of v; must be ≥ image_len
 * @return CZ_OK; CZ_EINVAL (NULL, slice out of range); CZ_ERANGE (len too small, nothing written).
 */
CZ_API cz_status cz_sim_potential(cz_sim_plan *plan, size_t slice, double v[], size_t len);

/**
 * Plane-wave multislice through every slice: sets wave to 1 and applies, per slice,
 * t = bandlimit(exp(iσV)); ψ ← ψ·t; ψ ← IFFT(P·A·FFT(ψ)) with P for that slice's thickness.
 * The result is the exit wave at z = Lz. Vacuum slices ahead of the first atom are skipped (they
 * leave the plane wave unchanged). The plan keeps the exit wave's spectrum for cz_sim_image with
 * wave = NULL. With a CZ_SIM_DOUBLE plan the run is done in double precision and the exit wave
 * rounded to complex64 (cz_sim_run_double returns it unrounded). Allocates nothing.
 * @param wave [wave_len] out: the exit wave (interleaved complex float)
 * @param len  length of wave in floats; must be ≥ wave_len
 * @return CZ_OK; CZ_EINVAL (NULL); CZ_ERANGE (len too small, nothing written).
 */
CZ_API cz_status cz_sim_run(cz_sim_plan *plan, float wave[], size_t len);

/**
 * Apply slices [first, first + count) to a wave in place (thickness series, custom incident
 * waves). cz_sim_run equals setting the wave to 1 and propagating through all slices. With
 * count > 0 the plan keeps the result's spectrum for cz_sim_image with wave = NULL.
 * @return CZ_OK; CZ_EINVAL (NULL, range beyond nslices); CZ_ERANGE (len too small).
 */
CZ_API cz_status cz_sim_propagate(cz_sim_plan *plan, size_t first, size_t count, float wave[],
                                  size_t len);

/**
 * cz_sim_run for a plan made with precision = CZ_SIM_DOUBLE: the exit wave as interleaved
 * complex double, wave[2p] = Re, wave[2p+1] = Im (numpy complex128). The potential, the
 * transmission function and every FFT are computed in double precision (with single-precision
 * plans cz_sim_run is the only run call). Like cz_sim_run it keeps the exit wave's spectrum (in
 * single precision) for cz_sim_image with wave = NULL. Allocates nothing.
 * @param wave [wave_len] out: the exit wave (2·nx·ny doubles)
 * @param len  length of wave in doubles; must be ≥ wave_len
 * @return CZ_OK; CZ_EINVAL (NULL, or a single-precision plan); CZ_ERANGE (len too small).
 */
CZ_API cz_status cz_sim_run_double(cz_sim_plan *plan, double wave[], size_t len);

/**
 * cz_sim_propagate for a plan made with precision = CZ_SIM_DOUBLE, on a complex double wave in
 * place (see cz_sim_run_double).
 * @return CZ_OK; CZ_EINVAL (NULL, range beyond nslices, single-precision plan); CZ_ERANGE.
 */
CZ_API cz_status cz_sim_propagate_double(cz_sim_plan *plan, size_t first, size_t count,
                                         double wave[], size_t len);

/**
 * Image intensity from a stored exit wave: I = |IFFT(FFT(ψ)·H·aperture)|² with
 * H = exp(−iχ) (χ in double precision) and, when requested, the temporal envelope
 * E_t = exp(−(½πλΔk²)²) and spatial envelope E_s = exp(−(β/2)²|∇_α χ|²) multiplying the transfer
 * function (quasi-coherent approximation). Uses the plan's workspace.
 * The plan caches FFT(ψ) of the last exit wave: cz_sim_run and cz_sim_propagate leave it, and a
 * call with a wave replaces it. A call with wave = NULL images the cached wave and costs one
 * inverse FFT restricted to the frequencies inside the band limit and the aperture, so many
 * imaging conditions of one exit wave cost about one FFT each; a call with a wave adds one
 * forward FFT.
 * @param ctf      imaging conditions (NULL = perfect lens)
 * @param wave     [wave_len] exit wave (from cz_sim_run), or NULL for the cached one (above)
 * @param wave_len length of wave in floats (≥ wave_len of the plan; ignored if wave is NULL)
 * @param img      [nx·ny] out: intensity (1 for an undisturbed plane wave)
 * @param img_len  length of img (≥ image_len)
 * @return CZ_OK; CZ_EINVAL (NULL plan or img, wave NULL with no cached exit wave, non-finite
 *   coefficient, C_nm with n+m even or m > n+1 set,
 *   negative aperture or spreads); CZ_ERANGE (a buffer too small, nothing written).
 */
CZ_API cz_status cz_sim_image(cz_sim_plan *plan, const cz_sim_ctf *ctf, const float wave[],
                              size_t wave_len, double img[], size_t img_len);

/* =============================================================================================
 * Frozen phonons, incoherent sums, detector and ground truth (issue 4, items 4–7).
 * Sources: sim/src/phonons.c, detector.c, masks.c. Manual with formulas and tolerances:
 * docs/sim_detector.md.
 *
 * Randomness: every random number is a pure function of (seed, stream, index) through a
 * counter-based generator (SplitMix64-style mixer; no state, no global RNG), so results are
 * bitwise identical for any thread count and any order of calls. Phonon displacements are keyed
 * by (opts.seed, configuration, atom index); detector noise by (opts.seed, frame, pixel).
 * Label maps are int [ny·nx] (0 = background, matching cz_atoms' object_id/class_id 0 = none);
 * binary masks are uint8_t [ny·nx] (or [nchannels][ny·nx]); both x fastest like images.
 * ============================================================================================= */

/** Maximum order of the quadrature rules of cz_sim_coherence (and of tilt rings). */
#define CZ_SIM_QUAD_MAX 64

/** cz_sim_phonon_opts.flags: displace x and y only (z kept), e.g. so that no atom leaves
 *  [0, Lz] or changes slice. */
#define CZ_SIM_PHONON_FIX_Z (1u << 0)

/** Frozen-phonon options. Fill with cz_sim_phonon_opts_default() first. */
typedef struct cz_sim_phonon_opts {
    uint64_t seed;                  /**< configuration k of atom i depends only on (seed, k, i) */
    double u_rms[CZ_SIM_ZMAX + 1];  /**< per element (index Z): rms displacement along EACH of
                                         x, y, z, Å (B = 8π²u²); default 0 (not displaced) */
    unsigned flags;                 /**< CZ_SIM_PHONON_* (default 0) */
} cz_sim_phonon_opts;

/** Fill *opts: seed 0, every u_rms 0, no flags. */
CZ_API void cz_sim_phonon_opts_default(cz_sim_phonon_opts *opts);

/**
 * Positions of frozen-phonon configuration `config`: out[i] = xyz[i] + u_i·g, g three independent
 * standard normal numbers that depend only on (opts->seed, config, i) — not on n, on other atoms
 * or on the thread count. The caller loops over configurations: displace → cz_sim_set_atoms →
 * cz_sim_run (keep each exit wave for post-hoc imaging) → cz_sim_image_incoherent.
 * Displaced z must stay inside [0, Lz] for cz_sim_set_atoms: leave a vacuum margin of several
 * u_rms or set CZ_SIM_PHONON_FIX_Z.
 * @param opts        seed, per-element u_rms, flags (not NULL)
 * @param config      configuration index k
 * @param n           number of atoms (0: nothing to do)
 * @param xyz         [n][3] positions, Å
 * @param z           [n] atomic numbers 1..CZ_SIM_ZMAX
 * @param u_rms_atom  [n] per-atom rms displacement per axis, Å, overriding opts->u_rms; or NULL
 * @param out         [n][3] out: displaced positions (may be the same array as xyz)
 * @return CZ_OK; CZ_EINVAL (NULL pointers with n > 0, non-finite position, Z out of range,
 *   negative or non-finite u_rms; out untouched).
 * Thread safety: reentrant, no shared state.
 */
CZ_API cz_status cz_sim_phonon_displace(const cz_sim_phonon_opts *opts, uint64_t config, size_t n,
                                        const double xyz[][3], const int z[],
                                        const double u_rms_atom[], double out[][3]);

/** Shape of the illumination-tilt distribution of cz_sim_coherence. */
typedef enum cz_sim_tilt_dist {
    CZ_SIM_TILT_GAUSSIAN = 0, /**< density ∝ exp(−|α|²/β²) (β = 1/e semi-angle) */
    CZ_SIM_TILT_DISC = 1      /**< uniform over |α| ≤ β (a condenser aperture image) */
} cz_sim_tilt_dist;

/** Explicit incoherent sums for cz_sim_image_incoherent. Fill with cz_sim_coherence_default(). */
typedef struct cz_sim_coherence {
    double focal_spread;       /**< 1/e focal spread Δ, Å: defocus offsets δ with density
                                    ∝ exp(−δ²/Δ²), i.e. σ = Δ/√2; 0 = none (default 0) */
    size_t focal_points;       /**< Gauss–Hermite order for the defocus sum, 1..CZ_SIM_QUAD_MAX
                                    (default 7) */
    double convergence_mrad;   /**< β: 1/e semi-angle (Gaussian) or radius (disc) of the tilt
                                    distribution, mrad; 0 = none (default 0) */
    cz_sim_tilt_dist tilt_dist; /**< default CZ_SIM_TILT_GAUSSIAN */
    size_t tilt_points;        /**< Gaussian: Gauss–Hermite order m per axis (m² tilts); disc:
                                    m Gauss–Legendre rings with 6, 12, … 6m azimuths
                                    (3m(m+1) tilts); 1..CZ_SIM_QUAD_MAX (default 5) */
} cz_sim_coherence;

/** Fill *coh: no spreads, focal_points 7, Gaussian tilts, tilt_points 5. */
CZ_API void cz_sim_coherence_default(cz_sim_coherence *coh);

/**
 * Number of imaging conditions (inverse FFTs per wave) the sums of *coh need:
 * focal × tilt points (1 when both spreads are 0).
 * @return CZ_OK; CZ_EINVAL (NULL or invalid coh; *nconditions = 0).
 */
CZ_API cz_status cz_sim_coherence_count(const cz_sim_coherence *coh, size_t *nconditions);

/**
 * Incoherent image from stored exit waves: the average over the waves (e.g. frozen-phonon
 * configurations) of the weighted sum over defocus offsets and illumination tilts of
 * |IFFT(FFT(ψ)·H(k + k_t))|², H as in cz_sim_image with C10 → C10 − δ. A tilt k_t = α_t/λ is
 * approximated by shifting the transfer function (and the objective aperture) by k_t while
 * keeping the exit wave computed at normal incidence: valid when the specimen's scattering does
 * not change over the tilt range (thin specimens, tilts well below Bragg angles). The weights of
 * each rule add up to 1, so a vacuum wave gives an image of 1. Quadratures: Gauss–Hermite in
 * defocus and for Gaussian tilts (product rule), Gauss–Legendre rings for the disc; all are
 * symmetric, so the sums add no net defocus or tilt. Cost per wave: one forward FFT, then per
 * condition (see cz_sim_coherence_count) one inverse FFT restricted to the columns inside the
 * band limit and the shifted aperture. The ctf envelopes (focal_spread, convergence_mrad) are
 * applied on top when non-zero; set them to 0 to use only the explicit sums. Uses the plan's
 * workspace; like cz_sim_image with a wave, it leaves the spectrum of the last wave cached in
 * the plan (cz_sim_image with wave = NULL then images that wave).
 * @param plan     the plan that made the waves (grid, λ, band limit, workspace)
 * @param ctf      lens (NULL = perfect lens)
 * @param coh      sums (NULL = none: the coherent image averaged over waves)
 * @param nwaves   number of waves (≥ 1)
 * @param waves    [nwaves][wave_len] exit waves, interleaved complex float, wave w at
 *                 waves + w·wave_len
 * @param wave_len floats per wave (the stride), ≥ the plan's wave_len
 * @param img      [nx·ny] out: the incoherent image (1 for vacuum)
 * @param img_len  length of img (≥ image_len)
 * @return CZ_OK; CZ_EINVAL (NULL, nwaves 0, invalid ctf or coh); CZ_ERANGE (a buffer too small,
 *   nothing written); CZ_ENOMEM.
 */
CZ_API cz_status cz_sim_image_incoherent(cz_sim_plan *plan, const cz_sim_ctf *ctf,
                                         const cz_sim_coherence *coh, size_t nwaves,
                                         const float waves[], size_t wave_len, double img[],
                                         size_t img_len);

/** Parametric detector MTF, q = spatial frequency in units of the camera's Nyquist frequency
 *  (q = 1 at 1/(2·pixel) along an axis; q = sqrt(qx² + qy²)), c = mtf_floor, q0 = mtf_q0. */
typedef enum cz_sim_mtf {
    CZ_SIM_MTF_NONE = 0,       /**< MTF = 1 */
    CZ_SIM_MTF_LORENTZIAN = 1, /**< MTF = (1 − c)/(1 + (q/q0)²) + c */
    CZ_SIM_MTF_GAUSSIAN = 2    /**< MTF = (1 − c)·exp(−q²/(2 q0²)) + c */
} cz_sim_mtf;

/** cz_sim_detector_opts.flags: round the output to whole counts and clip at 0 (needs a dose). */
#define CZ_SIM_DET_INTEGER (1u << 0)
/** cz_sim_detector_opts.flags: output the expected counts I·dose·pixel_area, no noise. */
#define CZ_SIM_DET_NOISELESS (1u << 1)

/** Camera model. Fill with cz_sim_detector_opts_default() first. */
typedef struct cz_sim_detector_opts {
    double pixel_size;     /**< camera pixel size referred to the specimen, Å; the camera has
                                round(L/pixel_size) pixels per axis over the same field of view
                                L, so the pixel is adjusted to L/n. 0 = the input sampling
                                (default 0) */
    size_t nx, ny;         /**< camera pixels; when non-zero they override pixel_size (default 0) */
    cz_sim_mtf mtf;        /**< default CZ_SIM_MTF_NONE */
    double mtf_q0;         /**< MTF width, units of the camera Nyquist frequency, > 0 (default 0.5) */
    double mtf_floor;      /**< MTF value c at high q, in [0, 1) (default 0) */
    double dose_e_per_a2;  /**< electron dose, e⁻/Å²; 0 = no dose: the output is the intensity
                                (1 = vacuum) and no noise is added (default 0) */
    double read_noise;     /**< rms of additive Gaussian read noise, counts (default 0; needs a
                                dose) */
    double affine[2][2];   /**< distortion matrix A (default identity) */
    double shift[2];       /**< distortion shift t, Å (default 0) */
    double radial_k1;      /**< radial distortion k1 (dimensionless, see below; default 0) */
    uint64_t seed;         /**< noise seed (default 0) */
    int nthreads;          /**< OpenMP threads; 0 = OpenMP default (default 0) */
    unsigned flags;        /**< CZ_SIM_DET_* (default 0) */
} cz_sim_detector_opts;

/** A camera: input and output grids, FFT plans, MTF table and workspace. */
typedef struct cz_sim_detector cz_sim_detector;

/** Sizes of a detector (see cz_sim_detector_geometry). */
typedef struct cz_sim_detector_grid {
    size_t in_nx, in_ny;  /**< input grid */
    size_t nx, ny;        /**< camera grid */
    double dx, dy;        /**< camera pixel size, Å */
    size_t in_len;        /**< values in an input image: in_nx·in_ny */
    size_t out_len;       /**< values in an output image or label map: nx·ny */
} cz_sim_detector_grid;

/** Fill *opts: no resampling, no MTF, no dose, identity distortion, seed 0. */
CZ_API void cz_sim_detector_opts_default(cz_sim_detector_opts *opts);

/**
 * Create a camera for input images of in_nx × in_ny pixels of dx × dy Å (x fastest, pixel (i, j)
 * at (i·dx, j·dy), e.g. cz_sim_info's grid). Plans the FFTs (FFTW_ESTIMATE, behind libczsim's
 * planner mutex) and precomputes the MTF. The pipeline of cz_sim_detector_image is:
 * (1) geometric distortion on the input grid: output position r (relative to the field centre
 *     c) takes the input value at s = c + A·r·(1 + k1·|r|²/R²) + t, R = half the shorter side of
 *     the field, by periodic Keys bicubic interpolation (the field is periodic, like the
 *     simulation cell);
 * (2) resampling to the camera grid by Fourier cropping or zero padding over the same field of
 *     view (exact for band-limited images; Nyquist terms split or folded so that real images stay
 *     real and up-then-down sampling is the identity), with the MTF multiplied in the same pass;
 * (3) with a dose: λ = max(I, 0)·dose·dx·dy expected counts per camera pixel, counts ~
 *     Poisson(λ) (inversion below λ = 10, Hörmann's PTRS transformed rejection above), plus
 *     N(0, read_noise²); optionally rounded to integers ≥ 0.
 * @param opts   camera options (NULL = defaults)
 * @param in_nx, in_ny  input grid, each ≥ 2
 * @param dx, dy input pixel size, Å (> 0)
 * @param out    out: the camera, NULL on failure; free with cz_sim_detector_destroy
 * @return CZ_OK; CZ_EINVAL (bad size, pixel size, MTF parameters, negative dose or noise, read
 *   noise or CZ_SIM_DET_INTEGER without a dose, non-finite distortion, nthreads < 0); CZ_ERANGE
 *   (a grid above 2^26 pixels); CZ_ENOMEM; CZ_EFFTW.
 */
CZ_API cz_status cz_sim_detector_create(const cz_sim_detector_opts *opts, size_t in_nx,
                                        size_t in_ny, double dx, double dy,
                                        cz_sim_detector **out);

/** Free a camera. NULL is a no-op. */
CZ_API void cz_sim_detector_destroy(cz_sim_detector *det);

/** Input and camera grid sizes and buffer lengths. @return CZ_OK or CZ_EINVAL (NULL). */
CZ_API cz_status cz_sim_detector_geometry(const cz_sim_detector *det, cz_sim_detector_grid *grid);

/**
 * Record one camera frame of an image (pipeline in cz_sim_detector_create).
 * @param frame   noise stream: frame f of seed s always gets the same noise; use a distinct
 *                frame per image
 * @param in      [in_len] image on the input grid, finite
 * @param out     [out_len] out: intensity (no dose) or counts
 * @return CZ_OK; CZ_EINVAL (NULL, non-finite input pixel); CZ_ERANGE (buffer too small, nothing
 *   written).
 * Thread safety: one call at a time per camera (it owns the workspace).
 */
CZ_API cz_status cz_sim_detector_image(cz_sim_detector *det, uint64_t frame, const double in[],
                                       size_t in_len, double out[], size_t out_len);

/**
 * Map label images (masks, id maps) onto the camera grid with exactly the geometry of
 * cz_sim_detector_image: camera pixel r takes the input pixel nearest to the source position of
 * step (1) (periodic). Any element type: elements are copied as elem_size-byte values.
 * @param elem_size  bytes per element (e.g. 1 for uint8_t masks, sizeof(int) for label maps)
 * @param nchan      number of stacked channels ([nchan][in_len] in, [nchan][out_len] out)
 * @param in, in_bytes    input labels and their size in bytes
 * @param out, out_bytes  output labels and their size in bytes
 * @return CZ_OK; CZ_EINVAL (NULL, elem_size or nchan 0); CZ_ERANGE (a buffer too small).
 * Thread safety: reentrant (uses no workspace).
 */
CZ_API cz_status cz_sim_detector_labels(const cz_sim_detector *det, size_t elem_size, size_t nchan,
                                        const void *in, size_t in_bytes, void *out,
                                        size_t out_bytes);

/**
 * Where points of the input grid (e.g. atom columns from cz_sim_columns) appear on the camera:
 * the inverse of the geometry of cz_sim_detector_image step (1) and cz_sim_detector_labels. The
 * field is periodic, so point p at in_xy[p] = (u, v) appears at every camera position r in the
 * camera field whose source position s(r) (cz_sim_detector_create, in input pixels) is (u, v) or
 * a periodic image (u + m·in_nx, v + k·in_ny) of it. Without distortion that is exactly one
 * position; a distortion that shows more than one field (|A| > 1: the specimen shrunk on the
 * camera) can show a point several times, and one that enlarges it can leave points out.
 * Per periodic image, r is solved by Newton's method from r − c = A⁻¹(s − c − t) (exact without
 * radial distortion): the iteration stops when a step is below 1e-12·(1 + |r − c|/Å) Å per axis
 * and the solution is accepted when |s(r) − s| ≤ 1e-9·(1 + |s − c − t|/Å + L/Å) Å per axis (a
 * periodic image where the iteration does not converge, e.g. beyond the fold of a strong
 * negative radial distortion, does not appear).
 * @param n       number of points (0 allowed)
 * @param in_xy   [n][2] positions in input pixel coordinates (x/dx, y/dy, the convention of
 *                cz_sim_column), finite; any periodic image may be given
 * @param out_xy  [cap][2] out: camera pixel coordinates (x/camera dx, y/camera dy), each in
 *                [−½, nx − ½) × [−½, ny − ½); ordered by point, then by periodic image
 * @param point   [cap] out: the index p of the point each appearance shows
 * @param cap     capacity of out_xy and point; NULL arrays with cap 0 is a size query
 * @param nout    out: number of appearances (also set on CZ_ERANGE)
 * @return CZ_OK; CZ_EINVAL (NULL det, nout, or in_xy with n > 0, NULL outputs with cap > 0, a
 *   non-finite position (the message names the point), a singular affine matrix); CZ_ERANGE
 *   (cap < *nout with outputs given, nothing written; or a distortion that shows more than
 *   4094 periodic images of the field along an axis, or shifts it by 1e12 fields or more;
 *   *nout = 0).
 * Thread safety: reentrant (uses no workspace).
 */
CZ_API cz_status cz_sim_detector_locate(const cz_sim_detector *det, size_t n,
                                        const double in_xy[][2], double out_xy[][2],
                                        size_t point[], size_t cap, size_t *nout);

/** cz_sim_label_opts.flags: the grid is not periodic: positions are used as given (no wrapping
 *  into [0, nx·dx) × [0, ny·dy)), footprints are clipped at the grid edges (an atom just outside
 *  still covers the pixels within r) and columns may lie outside the grid. */
#define CZ_SIM_LABEL_NONPERIODIC (1u << 0)

/** Grid and footprint options of the ground-truth functions. Fill with
 *  cz_sim_label_opts_default(), then set the grid (e.g. from cz_sim_info). */
typedef struct cz_sim_label_opts {
    size_t nx, ny;        /**< grid; pixel (i, j) at (i·dx, j·dy) like the simulation (no default) */
    double dx, dy;        /**< pixel size, Å (no default) */
    double radius;        /**< footprint radius r: a pixel is covered by an atom when its sample
                               point lies within r of the atom's projected (x, y), Å (default 1.0) */
    double column_tol;    /**< atoms whose projected positions lie within this distance (chained)
                               form one column, Å (default 0.3) */
    unsigned flags;       /**< CZ_SIM_LABEL_* (default 0: periodic) */
} cz_sim_label_opts;

/** Fill *opts: empty grid, radius 1.0 Å, column_tol 0.3 Å, periodic. */
CZ_API void cz_sim_label_opts_default(cz_sim_label_opts *opts);

/**
 * Geometric masks per class: channel c (0 ≤ c < nclass) is 1 at every pixel covered by the
 * footprint of an atom with label[i] == c, else 0; channels may overlap. Atoms whose label is
 * outside [0, nclass) are ignored.
 * @param n, xyz   atoms ([n][3], Å; only x and y are used)
 * @param label    [n] class of each atom (e.g. cz_atoms.class_id)
 * @param nclass   number of channels (≥ 1)
 * @param out      [nclass][ny·nx] out
 * @param out_len  length of out in bytes (≥ nclass·nx·ny)
 * @return CZ_OK; CZ_EINVAL (NULL, bad grid or radius, non-finite position); CZ_ERANGE (out too
 *   small, nothing written).
 */
CZ_API cz_status cz_sim_mask_classes(const cz_sim_label_opts *opts, size_t n, const double xyz[][3],
                                     const int label[], size_t nclass, uint8_t out[],
                                     size_t out_len);

/**
 * Per-pixel label map: every pixel covered by footprints takes the label of one covering atom,
 * others are 0. Atoms with label ≤ 0 (e.g. object_id 0 = none) cover nothing. Overlaps: the
 * atom with the highest priority wins; among equal priorities (or when priority is NULL) the
 * atom nearest to the pixel in projection (the nearest column); exact ties go to the lower atom
 * index. With label = object ids this is the object-id (instance) map; with class ids it is a
 * semantic map.
 * @param label     [n] labels
 * @param priority  [n] priorities (larger wins) or NULL
 * @param out       [ny·nx] out
 * @param out_len   length of out (≥ nx·ny)
 * @return CZ_OK; CZ_EINVAL; CZ_ERANGE (out too small, nothing written); CZ_ENOMEM.
 */
CZ_API cz_status cz_sim_label_map(const cz_sim_label_opts *opts, size_t n, const double xyz[][3],
                                  const int label[], const int priority[], int out[],
                                  size_t out_len);

/**
 * Physical mask: 1 where |arg ψ| ≥ threshold_rad, ψ the exit wave of the labelled objects alone
 * (the caller runs the simulator with only those atoms). The phase is relative to vacuum, which
 * is 0 for waves from cz_sim_run (plane wave 1, band-limited propagator with P(0) = 1); it is a
 * property of the exit wave, so the mask does not depend on the imaging defocus. Phases beyond
 * π wrap (thick, heavy columns): see docs/sim_detector.md.
 * @param nx, ny         grid of the wave
 * @param wave           [2·nx·ny] exit wave (interleaved complex float)
 * @param wave_len       floats in wave (≥ 2·nx·ny)
 * @param threshold_rad  phase threshold, rad, in (0, π]
 * @param out            [ny·nx] out
 * @return CZ_OK; CZ_EINVAL (NULL, empty grid, threshold outside (0, π]); CZ_ERANGE.
 */
CZ_API cz_status cz_sim_mask_phase(size_t nx, size_t ny, const float wave[], size_t wave_len,
                                   double threshold_rad, uint8_t out[], size_t out_len);

/** One atom column of cz_sim_columns. */
typedef struct cz_sim_column {
    double x, y;   /**< mean projected position in pixel coordinates (x/dx, y/dy) */
    int z;         /**< the most frequent atomic number in the column (ties: the larger Z) */
    int object;    /**< the most frequent object id (ties: the smaller id; 0 if object is NULL) */
    size_t count;  /**< number of atoms */
} cz_sim_column;

/**
 * Atom columns: atoms whose projected (x, y) lie within opts->column_tol of each other (single
 * linkage, periodic unless CZ_SIM_LABEL_NONPERIODIC) form one column. Columns are sorted by y,
 * then x. O(n) with a cell list.
 * @param z       [n] atomic numbers
 * @param object  [n] object ids, or NULL
 * @param out     [cap] out: columns; NULL with cap 0 is a size query
 * @param cap     capacity of out
 * @param ncol    out: number of columns (also set on CZ_ERANGE)
 * @return CZ_OK; CZ_EINVAL (NULL, bad grid or tolerance, non-finite position); CZ_ERANGE (cap <
 *   *ncol with out non-NULL; nothing written); CZ_ENOMEM.
 */
CZ_API cz_status cz_sim_columns(const cz_sim_label_opts *opts, size_t n, const double xyz[][3],
                                const int z[], const int object[], cz_sim_column out[], size_t cap,
                                size_t *ncol);

#ifdef __cplusplus
}
#endif
#endif /* CZ_SIM_H */
