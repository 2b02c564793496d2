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
 *                      projection ("infinite" | "finite"), tilt_mrad, tilt_azimuth_deg,
 *                      spread ("bspline" | "abtem"),
 *                      antialias_cutoff_nyquist, antialias_taper, antialias_kmax_per_a,
 *                      fft_friendly, n_atoms, image_grid ("simulation" | "camera");
 *                      with frozen phonons: phonon_configurations, phonon_seed,
 *                      phonon_u_rms_a [CZ_SIM_ZMAX + 1] (index Z), phonon_fix_z;
 *                      with a camera: camera_nx, camera_ny, camera_pixel_size_x_a,
 *                      camera_pixel_size_y_a, camera_pixel_size_requested_a (0 = the
 *                      simulation's), mtf ("none" | "lorentzian" | "gaussian"), mtf_q0_nyquist,
 *                      mtf_floor, dose_e_per_a2, read_noise_counts, integer_counts,
 *                      distortion_affine [2][2], distortion_shift_a [2], distortion_radial_k1,
 *                      noise_seed
 *   /exit_wave         [ny][nx] complex (r, i), the wave at the exit plane (if given)
 *   /exit_waves        [nconfig][ny][nx] complex, every frozen-phonon configuration (if given)
 *   /images            [n][ny][nx] float32, one intensity per imaging condition (if any); on
 *                      the camera grid and in counts when a camera was used (int32 with
 *                      integer counts); attributes, each an array over the n conditions:
 *                      defocus_a, cs_mm, c5_mm, aperture_mrad, aperture_taper_mrad,
 *                      focal_spread_a, convergence_mrad (envelopes), focal_spread_sum_a,
 *                      focal_points, convergence_sum_mrad, tilt_points, tilt_disc (explicit
 *                      sums; 0 = none; tilt_disc 1 = uniform disc, 0 = Gaussian), the full
 *                      aberration set c_nm_a [n][6][7] and phi_nm_deg [n][6][7] (index [n][m] as
 *                      in cz_sim_ctf); and units ("intensity (1 = incident beam)" or
 *                      "electrons per pixel")
 *   /images_noiseless  [n][ny][nx] float32, the camera's expected counts before noise (if given)
 *   /defocus_a         [n] float64, the defocus of each image (= −C10, Å)
 *   /potential         [ny][nx] float32, total projected potential (sum over slices), V·Å
 *                      (attribute units = "V*Angstrom") (if given)
 *   /atoms/positions_a [natoms][3] float64 and /atoms/numbers [natoms] int32 (if given)
 *   /labels/           ground truth on the grid of /images (the camera's, through exactly its
 *                      distortion and resampling, when a camera was used), each if given:
 *     masks            [nclass][ny][nx] uint8, channel c = footprints of atoms with class c;
 *                      attributes radius_a, class_names (comma-separated)
 *     object_id        [ny][nx] int32 object-id map (0 = background); attribute radius_a
 *     class_id         [ny][nx] int32 semantic map (0 = background); attribute radius_a
 *     phase_mask       [ny][nx] uint8, |arg ψ| ≥ threshold for the wave of one class alone;
 *                      attributes threshold_rad, class_id, n_atoms
 *     columns          [ncolumns] compound {float64 x_px, y_px, x_a, y_a; int32 z, object_id;
 *                      int64 count}: pixel coordinates on the image grid, specimen position in
 *                      Å, most frequent Z and object id, atoms; attribute column_tol_a
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
 *  borrowed for the call only. "The image grid" is the camera's (camera->nx × camera->ny) when
 *  `detector` is set, else the simulation's (info->nx × info->ny). */
typedef struct cz_sim_h5_record {
    const cz_sim_opts *opts; /**< options the plan was created with (required) */
    const cz_sim_info *info; /**< cz_sim_plan_info of that plan (required) */
    double cell[3][3];       /**< the simulated cell, rows a, b, c, Å */
    const float *wave;       /**< [info->wave_len] exit wave, or NULL (not written) */
    size_t nimages;          /**< number of imaging conditions (0 = no /images) */
    const cz_sim_ctf *ctf;   /**< [nimages] imaging conditions */
    const double *images;    /**< [nimages][image grid] intensities or counts, image k at
                                  k · (pixels of the image grid) */
    const double *potential; /**< [ny · nx] total projected potential, V·Å, or NULL */
    size_t natoms;           /**< atoms stored under /atoms (0 = none) */
    const double (*xyz)[3];  /**< [natoms][3] positions, Å */
    const int *z;            /**< [natoms] atomic numbers */
    uint64_t seed;           /**< the run's seed, stored as the `seed` attribute */
    const char *program;     /**< what made the file (a command line), or NULL = "libczsim" */
    const char *source;      /**< the structure's file name, or NULL (attribute omitted) */

    /* Frozen phonons and explicit incoherent sums. */
    size_t nconfig;                   /**< frozen-phonon configurations averaged in each image
                                           (0 = static lattice: no phonon attributes) */
    const cz_sim_phonon_opts *phonon; /**< their options (required when nconfig > 0) */
    const float *waves;               /**< [nconfig][info->wave_len] every configuration's exit
                                           wave (/exit_waves), or NULL */
    const cz_sim_coherence *coh;      /**< [nimages] explicit sums of each image, or NULL (none) */

    /* Camera. */
    const cz_sim_detector_opts *detector; /**< camera options, or NULL (no camera) */
    const cz_sim_detector_grid *camera;   /**< its geometry (required with detector; in_nx and
                                               in_ny must be the simulation grid) */
    const double *noiseless;              /**< [nimages][image grid] expected counts before noise
                                               (/images_noiseless), or NULL */

    /* Ground truth, on the image grid. */
    double label_radius;          /**< footprint radius of masks and maps, Å */
    size_t nclass;                /**< channels of masks */
    const uint8_t *masks;         /**< [nclass][image grid] class masks, or NULL */
    const char *class_names;      /**< comma-separated names of the channels, or NULL */
    const int *object_map;        /**< [image grid] object-id map, or NULL */
    const int *class_map;         /**< [image grid] class-id map, or NULL */
    const uint8_t *phase_mask;    /**< [image grid] phase mask, or NULL */
    double phase_threshold_rad;   /**< its threshold */
    int phase_class;              /**< the class simulated alone for it */
    size_t phase_natoms;          /**< the atoms of that class */
    const cz_sim_column *columns; /**< [ncolumns] columns, x and y in pixels of the image grid, or
                                       NULL (not written; non-NULL with ncolumns = 0 writes an
                                       empty table) */
    const double (*columns_a)[2]; /**< [ncolumns] their specimen positions x, y in Å, or NULL
                                       (then x_px·dx, y_px·dy of the image grid) */
    size_t ncolumns;              /**< rows of columns */
    double column_tol;            /**< column tolerance used, Å */
} cz_sim_h5_record;

/** Zero every field (no wave, no images, no atoms, seed 0). */
CZ_API void cz_sim_h5_record_default(cz_sim_h5_record *rec);

/**
 * Write a simulation result to an HDF5 file (layout above), replacing `path` atomically.
 * @param path  output file name (its directory must exist)
 * @param rec   what to write; opts and info are required, the other parts are optional
 * @return CZ_OK; CZ_EINVAL (NULL or empty path, NULL opts/info, nimages > 0 with NULL ctf or
 *   images, natoms > 0 with NULL xyz or z, a zero-sized grid, nconfig > 0 without phonon,
 *   detector without camera or a camera for another grid, masks with nclass 0); CZ_EIO (the
 *   file cannot be created, written or renamed: the message names the file and the reason);
 *   CZ_ENOMEM.
 *   Messages via cz_sim_last_error().
 */
CZ_API cz_status cz_sim_h5_write(const char *path, const cz_sim_h5_record *rec);

#ifdef __cplusplus
}
#endif
#endif /* CZ_SIM_H5_H */
