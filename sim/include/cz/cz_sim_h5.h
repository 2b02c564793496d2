/**
 * cz_sim_h5.h — libczsim: simulation results as an HDF5 file readable with h5py.
 *
 * Present only when libczsim was built with HDF5 (CMake defines CZ_HAVE_HDF5 for every target
 * that links cz::sim); the HDF5 headers themselves stay private to the library.
 *
 * Conventions (in addition to those of cz_sim.h):
 *  - Every parameter is an attribute whose name carries its unit (energy_kv, slice_thickness_a,
 *    aperture_mrad, cs_mm); lengths are in Å ("_a"), angles in degrees ("_deg") or mrad.
 *  - Arrays keep cz_sim.h's layout, x fastest: h5py returns images as (n, ny, nx), the exit wave
 *    and the potential as (ny, nx), exactly the numpy shapes cz.sim returns.
 *  - The exit wave is a compound {float32 r, float32 i}, which h5py reads as numpy complex64.
 *    Images and the potential are stored as float32.
 *  - The file is written under a temporary name in the target's directory and renamed into
 *    place: a failure never leaves a truncated file and never harms an existing one.
 *
 * File layout (names in the file are stable; new ones may be added):
 *
 *   /                  attributes: format ("cz-sim/1"), cz_version, program, source, seed,
 *                      energy_kv, wavelength_a, sigma_rad_per_v_a, sampling_a (requested),
 *                      pixel_size_x_a, pixel_size_y_a, nx, ny, slice_thickness_a, nslices,
 *                      cell_a [3][3], thickness_a, potential ("kirkland" | "lobato"),
 *                      projection ("infinite"), spread ("bspline" | "abtem"),
 *                      antialias_cutoff_nyquist, antialias_taper, antialias_kmax_per_a,
 *                      fft_friendly, n_atoms
 *   /exit_wave         [ny][nx] complex (r, i), the wave at the exit plane (if given)
 *   /images            [n][ny][nx] float32, one intensity per imaging condition (if any);
 *                      attributes, each an array over the n conditions: defocus_a, cs_mm,
 *                      c5_mm, aperture_mrad, aperture_taper_mrad, focal_spread_a,
 *                      convergence_mrad, and the full aberration set c_nm_a [n][6][7] and
 *                      phi_nm_deg [n][6][7] (index [n][m] as in cz_sim_ctf)
 *   /defocus_a         [n] float64, the defocus of each image (= −C10, Å)
 *   /potential         [ny][nx] float32, total projected potential (sum over slices), V·Å
 *                      (attribute units = "V*Angstrom") (if given)
 *   /atoms/positions_a [natoms][3] float64 and /atoms/numbers [natoms] int32 (if given)
 *
 * Thread safety: reentrant. Calls into HDF5 are serialised by a mutex inside libczsim (the
 * serial HDF5 library need not be thread-safe); a program that calls HDF5 itself from other
 * threads at the same time must serialise those calls on its own.
 */
#ifndef CZ_SIM_H5_H
#define CZ_SIM_H5_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz_sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What cz_sim_h5_write stores. Fill with cz_sim_h5_record_default() first; every array is
 *  borrowed for the call only. */
typedef struct cz_sim_h5_record {
    const cz_sim_opts *opts; /**< options the plan was created with (required) */
    const cz_sim_info *info; /**< cz_sim_plan_info of that plan (required) */
    double cell[3][3];       /**< the simulated cell, rows a, b, c, Å */
    const float *wave;       /**< [info->wave_len] exit wave, or NULL (not written) */
    size_t nimages;          /**< number of imaging conditions (0 = no /images) */
    const cz_sim_ctf *ctf;   /**< [nimages] imaging conditions */
    const double *images;    /**< [nimages · ny · nx] intensities, image k at k·image_len */
    const double *potential; /**< [ny · nx] total projected potential, V·Å, or NULL */
    size_t natoms;           /**< atoms stored under /atoms (0 = none) */
    const double (*xyz)[3];  /**< [natoms][3] positions, Å */
    const int *z;            /**< [natoms] atomic numbers */
    uint64_t seed;           /**< the run's seed, stored as the `seed` attribute */
    const char *program;     /**< what made the file (a command line), or NULL = "libczsim" */
    const char *source;      /**< the structure's file name, or NULL (attribute omitted) */
} cz_sim_h5_record;

/** Zero every field (no wave, no images, no atoms, seed 0). */
CZ_API void cz_sim_h5_record_default(cz_sim_h5_record *rec);

/**
 * Write a simulation result to an HDF5 file (layout above), replacing `path` atomically.
 * @param path  output file name (its directory must exist)
 * @param rec   what to write; opts and info are required, the other parts are optional
 * @return CZ_OK; CZ_EINVAL (NULL or empty path, NULL opts/info, nimages > 0 with NULL ctf or
 *   images, natoms > 0 with NULL xyz or z, a zero-sized grid); CZ_EIO (the file cannot be
 *   created, written or renamed: the message names the file and the reason); CZ_ENOMEM.
 *   Messages via cz_sim_last_error().
 */
CZ_API cz_status cz_sim_h5_write(const char *path, const cz_sim_h5_record *rec);

#ifdef __cplusplus
}
#endif
#endif /* CZ_SIM_H5_H */
