/**
 * cz_lammps.h — the C half of cz's LAMMPS styles (private to lammps_fix/).
 *
 * LAMMPS forces its styles to be C++ classes; everything they do beyond talking to LAMMPS lives
 * here, in C11 on top of libczsim, so the C++ files stay glue: `fix cz/image` gathers the atoms
 * on rank 0 and hands plain arrays to czi_lmp_frame() and czi_lmp_imager_fire(), which run the
 * same pipeline as `cz image` (plan → atoms → one exit wave → one image per defocus → HDF5).
 *
 * Conventions as in cz_base.h and cz_sim.h: Å, eV, degrees; cell rows a, b, c; positions
 * double xyz[n][3]; functions return cz_status and leave a thread-local message for
 * czi_lmp_last_error() that names the function and the bad value.
 */
#ifndef CZ_LAMMPS_H
#define CZ_LAMMPS_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz_base.h"
#include "cz/cz_sim.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest defocus list a fix accepts (as `cz image`). */
#define CZI_LMP_MAX_DEFOCUS 100000

/** What `fix cz/image` images, parsed from its arguments. */
typedef struct czi_lmp_image_opts {
  cz_sim_opts sim;       /**< from cz_sim_opts_default, then the fix's keywords */
  cz_sim_ctf ctf;        /**< from cz_sim_ctf_default; C10 is set per image from defocus */
  size_t ndefocus;       /**< images per firing (>= 1) */
  const double *defocus; /**< [ndefocus] Å, positive = underfocus (= −C10); copied */
  int write_wave;        /**< store /exit_wave (default 1 in the fix) */
  int write_potential;   /**< store /potential */
  uint64_t seed;         /**< stored as the file's `seed` attribute */
} czi_lmp_image_opts;

/** Sizes of the last firing, for the fix's log line. */
typedef struct czi_lmp_fire_info {
  size_t nx, ny, nslices, nimages;
  double dx, dy;
} czi_lmp_fire_info;

/** An imager: the options and a simulator plan kept between firings while the cell stays the
 *  same (plan once, run many). */
typedef struct czi_lmp_imager czi_lmp_imager;

/** Message of the last failure of a czi_lmp_ function on this thread ("" if none). */
const char *czi_lmp_last_error(void);

/** 1 when this build can write HDF5 files (libczsim with HDF5), else 0. */
int czi_lmp_have_hdf5(void);

/**
 * Put LAMMPS positions into the simulator's frame and give the cell to image. Along every axis
 * the coordinate becomes x − lo. Periodic axes: wrapped into [0, L) with L = hi − lo (the cell
 * is the box). Non-periodic axes: with vacuum < 0 the cell is the box (L = hi − lo); with
 * vacuum >= 0 (and n > 0) the cell spans the atoms plus `vacuum` Å on either side: x − min + vacuum,
 * L = max − min + 2·vacuum, so shrink-wrapped or moving boxes image a fixed margin.
 * @param lo, hi      box bounds (orthogonal box), Å
 * @param periodic    [3] 1 for periodic axes
 * @param vacuum      Å, or < 0 for "the box"
 * @param n           number of atoms
 * @param xyz         [n][3] in: LAMMPS positions; out: positions in the cell
 * @param cell        [3][3] out: diagonal cell
 * @return CZ_OK; CZ_EINVAL (NULL with n > 0, non-finite input, empty box or cell).
 */
cz_status czi_lmp_frame(const double lo[3], const double hi[3], const int periodic[3],
                        double vacuum, size_t n, double xyz[][3], double cell[3][3]);

/** Create an imager (copies opts and the defocus list; plans nothing yet).
 *  @return CZ_OK, CZ_EINVAL (NULL, ndefocus 0 or above CZI_LMP_MAX_DEFOCUS), CZ_ENOMEM. */
cz_status czi_lmp_imager_create(const czi_lmp_image_opts *opts, czi_lmp_imager **out);

/** Free. NULL is a no-op. */
void czi_lmp_imager_destroy(czi_lmp_imager *im);

/**
 * Image one structure and write the result to `path` (HDF5, layout of cz_sim_h5.h), exactly as
 * `cz image` does for the same atoms, cell and options. Creates missing parent directories.
 * The simulator plan is made on the first call and again whenever the cell changes.
 * @param cell     [3][3] orthorhombic cell (from czi_lmp_frame)
 * @param n, xyz, z  atoms (positions in the cell, atomic numbers)
 * @param path     output file
 * @param program  stored as the `program` attribute (what made the file)
 * @param source   stored as the `source` attribute (e.g. "LAMMPS step 100")
 * @param info     out: grid sizes (may be NULL)
 * @return CZ_OK; CZ_EINVAL (options or atoms the simulator refuses); CZ_ENOTSUP (no HDF5 or a
 *   cell the simulator cannot use); CZ_EIO (cannot create the directory or write the file);
 *   CZ_ENOMEM; CZ_EFFTW; CZ_ERANGE (grid above max_pixels).
 */
cz_status czi_lmp_imager_fire(czi_lmp_imager *im, const double cell[3][3], size_t n,
                              const double xyz[][3], const int z[], const char *path,
                              const char *program, const char *source, czi_lmp_fire_info *info);

#ifdef __cplusplus
}
#endif
#endif /* CZ_LAMMPS_H */
