/* cz_lammps.c — the C half of cz's LAMMPS styles: the imaging pipeline of `fix cz/image`.
 *
 * The pipeline is the one `cz image` runs (cli/image.c), call for call, so that an image made
 * inside LAMMPS equals `cz image` on the same atoms bit for bit: cz_sim_plan_create →
 * cz_sim_set_atoms → one cz_sim_run → cz_sim_image per defocus from that exit wave →
 * cz_sim_h5_write. Only the plan outlives a call: FFTW planning is the expensive part, and a box
 * that does not change keeps its plan. */
#define _POSIX_C_SOURCE 200809L

#include "cz_lammps.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef CZ_HAVE_HDF5
#include "cz/cz_sim_h5.h"
#endif

struct czi_lmp_imager {
  czi_lmp_image_opts opts; /* opts.defocus points at `defocus` */
  double *defocus;
  cz_sim_plan *plan;      /* NULL until the first firing */
  double plan_cell[3][3]; /* the cell `plan` was made for */
  cz_sim_info info;
  float *wave;
  double *images;
  cz_sim_ctf *ctfs;
  double *potential, *slice_v;
};

static _Thread_local char last_error[1024];

const char *czi_lmp_last_error(void)
{
  return last_error;
}

static cz_status fail(cz_status st, const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static cz_status fail(cz_status st, const char *func, const char *fmt, ...)
{
  int len = snprintf(last_error, sizeof last_error, "%s: ", func);
  if (len < 0 || (size_t) len >= sizeof last_error) len = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error + len, sizeof last_error - (size_t) len, fmt, ap);
  va_end(ap);
  return st;
}

/* A failed libczsim call: its own message already names the function and the value. */
static cz_status sim_fail(cz_status st)
{
  const char *why = cz_sim_last_error();
  snprintf(last_error, sizeof last_error, "%s", why && *why ? why : cz_sim_strerror(st));
  return st;
}

int czi_lmp_have_hdf5(void)
{
#ifdef CZ_HAVE_HDF5
  return 1;
#else
  return 0;
#endif
}

cz_status czi_lmp_frame(const double lo[3], const double hi[3], const int periodic[3],
                        double vacuum, size_t n, double xyz[][3], double cell[3][3])
{
  static const char axis[3] = {'x', 'y', 'z'};
  if (!lo || !hi || !periodic || !cell || (n > 0 && !xyz))
    return fail(CZ_EINVAL, __func__, "NULL argument");
  memset(cell, 0, 9 * sizeof(double));
  for (int k = 0; k < 3; ++k) {
    double length = hi[k] - lo[k];
    if (!isfinite(lo[k]) || !isfinite(hi[k]) || !(length > 0))
      return fail(CZ_EINVAL, __func__, "empty box along %c (%g to %g)", axis[k], lo[k], hi[k]);
    for (size_t i = 0; i < n; ++i) {
      if (!isfinite(xyz[i][k]))
        return fail(CZ_EINVAL, __func__, "atom %zu has a non-finite %c (%g)", i, axis[k],
                    xyz[i][k]);
    }
    if (periodic[k]) {
      /* LAMMPS remaps atoms into a periodic box only when it reneighbours; in between
             * they may sit slightly outside it. */
      for (size_t i = 0; i < n; ++i) {
        double f = xyz[i][k] - lo[k];
        if (f < 0 || f >= length) f -= length * floor(f / length);
        if (f >= length) f = 0.0; /* −1e-17 wraps to L in floating point */
        xyz[i][k] = f;
      }
    } else if (vacuum >= 0 && n > 0) {
      double mn = xyz[0][k], mx = xyz[0][k];
      for (size_t i = 1; i < n; ++i) {
        if (xyz[i][k] < mn) mn = xyz[i][k];
        if (xyz[i][k] > mx) mx = xyz[i][k];
      }
      for (size_t i = 0; i < n; ++i) xyz[i][k] = xyz[i][k] - mn + vacuum;
      length = mx - mn + 2 * vacuum;
      if (!(length > 0))
        return fail(CZ_EINVAL, __func__,
                    "the atoms have no extent along %c and vacuum is 0: give vacuum > 0", axis[k]);
    } else {
      for (size_t i = 0; i < n; ++i) xyz[i][k] = xyz[i][k] - lo[k];
    }
    cell[k][k] = length;
  }
  return CZ_OK;
}

cz_status czi_lmp_imager_create(const czi_lmp_image_opts *opts, czi_lmp_imager **out)
{
  if (!out) return fail(CZ_EINVAL, __func__, "NULL output");
  *out = NULL;
  if (!opts || (opts->ndefocus > 0 && !opts->defocus))
    return fail(CZ_EINVAL, __func__, "NULL options");
  if (opts->ndefocus == 0 || opts->ndefocus > CZI_LMP_MAX_DEFOCUS)
    return fail(CZ_EINVAL, __func__, "number of defocus values must be 1..%d (got %zu)",
                CZI_LMP_MAX_DEFOCUS, opts->ndefocus);
  czi_lmp_imager *im = calloc(1, sizeof *im);
  if (!im) return fail(CZ_ENOMEM, __func__, "out of memory");
  im->defocus = malloc(opts->ndefocus * sizeof *im->defocus);
  im->ctfs = malloc(opts->ndefocus * sizeof *im->ctfs);
  if (!im->defocus || !im->ctfs) {
    czi_lmp_imager_destroy(im);
    return fail(CZ_ENOMEM, __func__, "out of memory");
  }
  memcpy(im->defocus, opts->defocus, opts->ndefocus * sizeof *im->defocus);
  im->opts = *opts;
  im->opts.defocus = im->defocus;
  /* The lens of every image: the base lens with C10 = −defocus (0.0 − x: no −0). */
  for (size_t k = 0; k < opts->ndefocus; ++k) {
    im->ctfs[k] = opts->ctf;
    im->ctfs[k].c[1][0] = 0.0 - im->defocus[k];
  }
  *out = im;
  return CZ_OK;
}

static void free_buffers(czi_lmp_imager *im)
{
  cz_sim_plan_destroy(im->plan);
  im->plan = NULL;
  free(im->wave);
  free(im->images);
  free(im->potential);
  free(im->slice_v);
  im->wave = NULL;
  im->images = im->potential = im->slice_v = NULL;
}

void czi_lmp_imager_destroy(czi_lmp_imager *im)
{
  if (!im) return;
  free_buffers(im);
  free(im->defocus);
  free(im->ctfs);
  free(im);
}

/* A plan (and its buffers) for `cell`, kept from the last firing when the cell is the same. */
static cz_status ensure_plan(czi_lmp_imager *im, const double cell[3][3])
{
  if (im->plan && memcmp(im->plan_cell, cell, sizeof im->plan_cell) == 0) return CZ_OK;
  free_buffers(im);
  cz_status st = cz_sim_plan_create(&im->opts.sim, cell, &im->plan);
  if (st != CZ_OK) return sim_fail(st);
  memcpy(im->plan_cell, cell, sizeof im->plan_cell);
  if ((st = cz_sim_plan_info(im->plan, &im->info)) != CZ_OK) {
    free_buffers(im);
    return sim_fail(st);
  }
  size_t nimg = im->opts.ndefocus;
  im->wave = malloc(im->info.wave_len * sizeof *im->wave);
  im->images = malloc(nimg * im->info.image_len * sizeof *im->images);
  if (im->opts.write_potential) {
    im->potential = malloc(im->info.image_len * sizeof *im->potential);
    im->slice_v = malloc(im->info.image_len * sizeof *im->slice_v);
  }
  if (!im->wave || !im->images || (im->opts.write_potential && (!im->potential || !im->slice_v))) {
    size_t nx = im->info.nx, ny = im->info.ny;
    free_buffers(im);
    return fail(CZ_ENOMEM, "cz/image", "out of memory for %zu images of %zu x %zu pixels", nimg, nx,
                ny);
  }
  return CZ_OK;
}

/* mkdir -p of the directory part of `path`. */
static cz_status make_parent_dirs(const char *path)
{
  char dir[4096];
  size_t len = strlen(path);
  if (len >= sizeof dir) return fail(CZ_EINVAL, "cz/image", "file name too long: %s", path);
  memcpy(dir, path, len + 1);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return CZ_OK;
  *slash = '\0';
  for (char *p = dir + 1;; ++p) {
    if (*p != '/' && *p != '\0') continue;
    char c = *p;
    *p = '\0';
    struct stat sb;
    if (stat(dir, &sb) != 0) {
      if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return fail(CZ_EIO, "cz/image", "cannot create directory '%s': %s", dir, strerror(errno));
    } else if (!S_ISDIR(sb.st_mode)) {
      return fail(CZ_EIO, "cz/image", "'%s' is not a directory", dir);
    }
    *p = c;
    if (c == '\0') break;
  }
  return CZ_OK;
}

cz_status czi_lmp_imager_fire(czi_lmp_imager *im, const double cell[3][3], size_t n,
                              const double xyz[][3], const int z[], const char *path,
                              const char *program, const char *source, czi_lmp_fire_info *info)
{
  if (!im || !cell || !path || !*path || (n > 0 && (!xyz || !z)))
    return fail(CZ_EINVAL, __func__, "NULL argument");
#ifndef CZ_HAVE_HDF5
  (void) program;
  (void) source;
  (void) info;
  return fail(CZ_ENOTSUP, "cz/image", "this build of cz has no HDF5 output (libhdf5-dev)");
#else
  cz_status st = ensure_plan(im, cell);
  if (st != CZ_OK) return st;
  if ((st = cz_sim_set_atoms(im->plan, n, xyz, z)) != CZ_OK) return sim_fail(st);
  if ((st = cz_sim_run(im->plan, im->wave, im->info.wave_len)) != CZ_OK) return sim_fail(st);
  size_t nimg = im->opts.ndefocus, len = im->info.image_len;
  for (size_t k = 0; k < nimg; ++k) {
    st = cz_sim_image(im->plan, &im->ctfs[k], im->wave, im->info.wave_len, im->images + k * len,
                      len);
    if (st != CZ_OK) return sim_fail(st);
  }
  if (im->opts.write_potential) {
    memset(im->potential, 0, len * sizeof *im->potential);
    for (size_t s = 0; s < im->info.nslices; ++s) {
      if ((st = cz_sim_potential(im->plan, s, im->slice_v, len)) != CZ_OK) return sim_fail(st);
      for (size_t i = 0; i < len; ++i) im->potential[i] += im->slice_v[i];
    }
  }
  if ((st = make_parent_dirs(path)) != CZ_OK) return st;
  cz_sim_h5_record rec;
  cz_sim_h5_record_default(&rec);
  rec.opts = &im->opts.sim;
  rec.info = &im->info;
  memcpy(rec.cell, cell, sizeof rec.cell);
  rec.wave = im->opts.write_wave ? im->wave : NULL;
  rec.nimages = nimg;
  rec.ctf = im->ctfs;
  rec.images = im->images;
  rec.potential = im->opts.write_potential ? im->potential : NULL;
  rec.natoms = n;
  rec.xyz = xyz;
  rec.z = z;
  rec.seed = im->opts.seed;
  rec.program = program;
  rec.source = source;
  if ((st = cz_sim_h5_write(path, &rec)) != CZ_OK) return sim_fail(st);
  if (info) {
    info->nx = im->info.nx;
    info->ny = im->info.ny;
    info->nslices = im->info.nslices;
    info->nimages = nimg;
    info->dx = im->info.dx;
    info->dy = im->info.dy;
  }
  return CZ_OK;
#endif
}
