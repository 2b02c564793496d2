/* h5out.c — simulation results as HDF5 (cz_sim_h5.h): exit wave(s), images (simulated or
 * recorded by the camera), potential, atoms, ground-truth labels and every parameter as an
 * attribute with its unit in the name.
 *
 * The file is built under a temporary name beside the target and renamed into place, so a reader
 * (or a crashed run) never sees a half-written file. HDF5 would print its error stack on stderr;
 * the library must not print, so automatic printing is switched off around every call
 * (H5E_BEGIN_TRY) and the innermost HDF5 message is copied into cz_sim_last_error() instead. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cz/cz_sim_h5.h"
#include "error.h"

/* The serial HDF5 library is not thread-safe in every build; one lock covers all our calls. */
static pthread_mutex_t h5_lock = PTHREAD_MUTEX_INITIALIZER;
/* Distinguishes the temporary files of concurrent writers in one process. */
static atomic_uint tmp_counter;

void cz_sim_h5_record_default(cz_sim_h5_record *rec) {
    if (!rec) return;
    memset(rec, 0, sizeof *rec);
}

/* ---- HDF5 error text ------------------------------------------------------------------------ */

typedef struct h5_reason {
    char text[256];
    int found;
} h5_reason;

static herr_t take_first(unsigned n, const H5E_error2_t *e, void *data) {
    (void)n;
    h5_reason *r = data;
    if (!r->found && e && e->desc && e->desc[0]) {
        snprintf(r->text, sizeof r->text, "%s", e->desc);
        r->found = 1;
    }
    return 0;
}

/* ---- writer state ---------------------------------------------------------------------------- */

typedef struct writer {
    hid_t file;
    cz_status status; /* first failure */
    char what[160];   /* what was being written when it failed */
    char reason[256]; /* HDF5's message for the first failed call */
} writer;

/* Keep the deepest message of the HDF5 error stack ("unable to open file", with errno text when
 * HDF5 recorded one). It must be read right after the failing call: the next HDF5 call, even a
 * successful close, clears the stack. Only the first failure is kept. */
static void h5_capture(writer *w) {
    if (w->reason[0]) return;
    h5_reason r = {{0}, 0};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, take_first, &r);
    snprintf(w->reason, sizeof w->reason, "%s", r.found ? r.text : "HDF5 call failed");
}

/* Record the first failure: what was being written. Later failures are consequences. */
static int w_fail(writer *w, const char *what) {
    if (w->status == CZ_OK) {
        w->status = CZ_EIO;
        snprintf(w->what, sizeof w->what, "%s", what);
    }
    return -1;
}

static int attr_write(writer *w, hid_t loc, const char *name, hid_t type, int rank,
                      const hsize_t *dims, const void *data) {
    if (w->status != CZ_OK) return -1;
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    hid_t attr = space < 0 ? -1 : H5Acreate2(loc, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = attr < 0 ? -1 : H5Awrite(attr, type, data);
    if (rc < 0) h5_capture(w);
    if (attr >= 0) H5Aclose(attr);
    if (space >= 0) H5Sclose(space);
    if (rc < 0) {
        char what[160];
        snprintf(what, sizeof what, "attribute %s", name);
        return w_fail(w, what);
    }
    return 0;
}

static int attr_double(writer *w, hid_t loc, const char *name, double v) {
    return attr_write(w, loc, name, H5T_NATIVE_DOUBLE, 0, NULL, &v);
}

static int attr_doubles(writer *w, hid_t loc, const char *name, int rank, const hsize_t *dims,
                        const double *v) {
    return attr_write(w, loc, name, H5T_NATIVE_DOUBLE, rank, dims, v);
}

static int attr_i64s(writer *w, hid_t loc, const char *name, size_t n, const long long *v) {
    hsize_t dims[1] = {n};
    return attr_write(w, loc, name, H5T_NATIVE_LLONG, 1, dims, v);
}

static int attr_u64(writer *w, hid_t loc, const char *name, uint64_t v) {
    unsigned long long u = v;
    return attr_write(w, loc, name, H5T_NATIVE_ULLONG, 0, NULL, &u);
}

static int attr_i64(writer *w, hid_t loc, const char *name, long long v) {
    return attr_write(w, loc, name, H5T_NATIVE_LLONG, 0, NULL, &v);
}

/* Variable-length UTF-8 strings: h5py 3 returns them as Python str. */
static int attr_string(writer *w, hid_t loc, const char *name, const char *text) {
    if (w->status != CZ_OK) return -1;
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type < 0 || H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) {
        h5_capture(w);
        if (type >= 0) H5Tclose(type);
        return w_fail(w, "a string type");
    }
    const char *p = text ? text : "";
    int rc = attr_write(w, loc, name, type, 0, NULL, &p);
    H5Tclose(type);
    return rc;
}

/* Create dataset `name` under loc from memory data; returns the open dataset (caller closes) or
 * -1. */
static hid_t dataset_write(writer *w, hid_t loc, const char *name, hid_t file_type, hid_t mem_type,
                           int rank, const hsize_t *dims, const void *data) {
    if (w->status != CZ_OK) return -1;
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dset =
        space < 0 ? -1
                  : H5Dcreate2(loc, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = dset < 0 ? -1 : H5Dwrite(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
    if (rc < 0) h5_capture(w);
    if (space >= 0) H5Sclose(space);
    if (rc < 0) {
        if (dset >= 0) H5Dclose(dset);
        char what[160];
        snprintf(what, sizeof what, "dataset %s", name);
        w_fail(w, what);
        return -1;
    }
    return dset;
}

/* ---- the parts of the file ------------------------------------------------------------------- */

static const char *param_name(cz_sim_param p) {
    switch (p) {
        case CZ_SIM_KIRKLAND:
            return "kirkland";
        case CZ_SIM_LOBATO:
            return "lobato";
    }
    return "unknown";
}

static const char *mtf_name(cz_sim_mtf m) {
    switch (m) {
        case CZ_SIM_MTF_NONE:
            return "none";
        case CZ_SIM_MTF_LORENTZIAN:
            return "lorentzian";
        case CZ_SIM_MTF_GAUSSIAN:
            return "gaussian";
    }
    return "unknown";
}

static const char *spread_name(cz_sim_spread s) {
    switch (s) {
        case CZ_SIM_SPREAD_BSPLINE:
            return "bspline";
        case CZ_SIM_SPREAD_ABTEM:
            return "abtem";
    }
    return "unknown";
}

static void write_root(writer *w, const cz_sim_h5_record *rec) {
    const cz_sim_opts *o = rec->opts;
    const cz_sim_info *in = rec->info;
    hid_t f = w->file;
    hsize_t d33[2] = {3, 3};
    attr_string(w, f, "format", "cz-sim/1");
    attr_string(w, f, "cz_version", CZ_VERSION_STRING);
    attr_string(w, f, "program", rec->program ? rec->program : "libczsim");
    if (rec->source) attr_string(w, f, "source", rec->source);
    attr_u64(w, f, "seed", rec->seed);
    attr_double(w, f, "energy_kv", o->energy_ev * 1e-3);
    attr_double(w, f, "wavelength_a", in->wavelength);
    attr_double(w, f, "sigma_rad_per_v_a", in->sigma);
    attr_double(w, f, "sampling_a", o->sampling);
    attr_double(w, f, "pixel_size_x_a", in->dx);
    attr_double(w, f, "pixel_size_y_a", in->dy);
    attr_i64(w, f, "nx", (long long)in->nx);
    attr_i64(w, f, "ny", (long long)in->ny);
    attr_double(w, f, "slice_thickness_a", o->slice_thickness);
    attr_i64(w, f, "nslices", (long long)in->nslices);
    attr_doubles(w, f, "cell_a", 2, d33, &rec->cell[0][0]);
    attr_double(w, f, "thickness_a", rec->cell[2][2]);
    attr_string(w, f, "potential", param_name(o->param));
    attr_string(w, f, "projection", o->projection == CZ_SIM_FINITE ? "finite" : "infinite");
    attr_double(w, f, "tilt_mrad", o->tilt_mrad);
    attr_double(w, f, "tilt_azimuth_deg", o->tilt_azimuth_deg);
    attr_string(w, f, "spread", spread_name(o->spread));
    attr_string(w, f, "potential_method",
                o->potential_method == CZ_SIM_POTENTIAL_REALSPACE ? "realspace" : "fourier");
    attr_string(w, f, "precision", o->precision == CZ_SIM_DOUBLE ? "double" : "single");
    attr_double(w, f, "antialias_cutoff_nyquist", o->antialias_cutoff);
    attr_double(w, f, "antialias_taper", o->antialias_taper);
    attr_double(w, f, "antialias_kmax_per_a", in->kmax_antialias);
    attr_i64(w, f, "fft_friendly", (o->flags & CZ_SIM_FFT_FRIENDLY) ? 1 : 0);
    attr_i64(w, f, "n_atoms", (long long)rec->natoms);
    attr_string(w, f, "image_grid", rec->detector ? "camera" : "simulation");
    if (rec->nconfig > 0) {
        const cz_sim_phonon_opts *ph = rec->phonon;
        hsize_t dz[1] = {CZ_SIM_ZMAX + 1};
        attr_i64(w, f, "phonon_configurations", (long long)rec->nconfig);
        attr_u64(w, f, "phonon_seed", ph->seed);
        attr_doubles(w, f, "phonon_u_rms_a", 1, dz, ph->u_rms);
        attr_i64(w, f, "phonon_fix_z", (ph->flags & CZ_SIM_PHONON_FIX_Z) ? 1 : 0);
    }
    if (rec->detector) {
        const cz_sim_detector_opts *d = rec->detector;
        const cz_sim_detector_grid *g = rec->camera;
        hsize_t d22[2] = {2, 2}, d2[1] = {2};
        attr_i64(w, f, "camera_nx", (long long)g->nx);
        attr_i64(w, f, "camera_ny", (long long)g->ny);
        attr_double(w, f, "camera_pixel_size_x_a", g->dx);
        attr_double(w, f, "camera_pixel_size_y_a", g->dy);
        attr_double(w, f, "camera_pixel_size_requested_a", d->pixel_size);
        attr_string(w, f, "mtf", mtf_name(d->mtf));
        attr_double(w, f, "mtf_q0_nyquist", d->mtf_q0);
        attr_double(w, f, "mtf_floor", d->mtf_floor);
        attr_double(w, f, "dose_e_per_a2", d->dose_e_per_a2);
        attr_double(w, f, "read_noise_counts", d->read_noise);
        attr_i64(w, f, "integer_counts", (d->flags & CZ_SIM_DET_INTEGER) ? 1 : 0);
        attr_doubles(w, f, "distortion_affine", 2, d22, &d->affine[0][0]);
        attr_doubles(w, f, "distortion_shift_a", 1, d2, d->shift);
        attr_double(w, f, "distortion_radial_k1", d->radial_k1);
        attr_u64(w, f, "noise_seed", d->seed);
    }
}

/* Pixels of the image grid (camera or simulation) along x and y. */
static void image_grid(const cz_sim_h5_record *rec, size_t *nx, size_t *ny) {
    *nx = rec->detector ? rec->camera->nx : rec->info->nx;
    *ny = rec->detector ? rec->camera->ny : rec->info->ny;
}

/* One exit wave ([ny][nx]) or a stack ([count][ny][nx]) as the complex compound. */
static void write_waves(writer *w, const cz_sim_h5_record *rec, const char *name, const float *data,
                        size_t count, int stack, const char *description) {
    if (w->status != CZ_OK) return;
    /* Interleaved (re, im) floats in memory are exactly the compound {r at 0, i at 4}. */
    hid_t mem = H5Tcreate(H5T_COMPOUND, 2 * sizeof(float));
    hid_t file = H5Tcreate(H5T_COMPOUND, 8);
    if (mem < 0 || file < 0 || H5Tinsert(mem, "r", 0, H5T_NATIVE_FLOAT) < 0 ||
        H5Tinsert(mem, "i", sizeof(float), H5T_NATIVE_FLOAT) < 0 ||
        H5Tinsert(file, "r", 0, H5T_IEEE_F32LE) < 0 ||
        H5Tinsert(file, "i", 4, H5T_IEEE_F32LE) < 0) {
        h5_capture(w);
        w_fail(w, "the complex type");
    } else {
        hsize_t dims[3] = {count, rec->info->ny, rec->info->nx};
        hid_t d = stack ? dataset_write(w, w->file, name, file, mem, 3, dims, data)
                        : dataset_write(w, w->file, name, file, mem, 2, dims + 1, data);
        if (d >= 0) {
            attr_string(w, d, "description", description);
            H5Dclose(d);
        }
    }
    if (mem >= 0) H5Tclose(mem);
    if (file >= 0) H5Tclose(file);
}

static void write_images(writer *w, const cz_sim_h5_record *rec) {
    size_t n = rec->nimages, nx, ny;
    image_grid(rec, &nx, &ny);
    hsize_t dims[3] = {n, ny, nx};
    const cz_sim_detector_opts *det = rec->detector;
    int counts = det && det->dose_e_per_a2 > 0;
    hid_t type = det && (det->flags & CZ_SIM_DET_INTEGER) ? H5T_STD_I32LE : H5T_IEEE_F32LE;
    hid_t d = dataset_write(w, w->file, "images", type, H5T_NATIVE_DOUBLE, 3, dims, rec->images);
    if (d < 0) return;
    /* Per-condition parameters, one array each: 8 + 5 scalars and 2 tables per condition. */
    double *v = malloc(n * (13 + 2 * 42) * sizeof *v);
    long long *iv = malloc(n * 3 * sizeof *iv);
    if (!v || !iv) {
        free(v);
        free(iv);
        H5Dclose(d);
        if (w->status == CZ_OK) {
            w->status = CZ_ENOMEM;
            snprintf(w->what, sizeof w->what, "image attributes");
        }
        return;
    }
    double *defocus = v, *cs = v + n, *c5 = v + 2 * n, *ap = v + 3 * n, *taper = v + 4 * n;
    double *spread = v + 5 * n, *conv = v + 6 * n, *fsum = v + 8 * n, *csum = v + 9 * n;
    double *cnm = v + 13 * n, *phi = cnm + 42 * n;
    long long *fpts = iv, *tpts = iv + n, *disc = iv + 2 * n;
    cz_sim_coherence none;
    cz_sim_coherence_default(&none);
    for (size_t k = 0; k < n; ++k) {
        const cz_sim_ctf *c = &rec->ctf[k];
        const cz_sim_coherence *h = rec->coh ? &rec->coh[k] : &none;
        defocus[k] = 0.0 - c->c[1][0]; /* defocus = −C10, never −0 */
        cs[k] = c->c[3][0] * 1e-7;     /* Å → mm */
        c5[k] = c->c[5][0] * 1e-7;
        ap[k] = c->aperture_mrad;
        taper[k] = c->aperture_taper_mrad;
        spread[k] = c->focal_spread;
        conv[k] = c->convergence_mrad;
        fsum[k] = h->focal_spread;
        csum[k] = h->convergence_mrad;
        fpts[k] = (long long)h->focal_points;
        tpts[k] = (long long)h->tilt_points;
        disc[k] = h->tilt_dist == CZ_SIM_TILT_DISC ? 1 : 0;
        memcpy(cnm + 42 * k, &c->c[0][0], 42 * sizeof(double));
        memcpy(phi + 42 * k, &c->phi_deg[0][0], 42 * sizeof(double));
    }
    hsize_t d1[1] = {n}, d3[3] = {n, 6, 7};
    attr_doubles(w, d, "defocus_a", 1, d1, defocus);
    attr_doubles(w, d, "cs_mm", 1, d1, cs);
    attr_doubles(w, d, "c5_mm", 1, d1, c5);
    attr_doubles(w, d, "aperture_mrad", 1, d1, ap);
    attr_doubles(w, d, "aperture_taper_mrad", 1, d1, taper);
    attr_doubles(w, d, "focal_spread_a", 1, d1, spread);
    attr_doubles(w, d, "convergence_mrad", 1, d1, conv);
    attr_doubles(w, d, "focal_spread_sum_a", 1, d1, fsum);
    attr_i64s(w, d, "focal_points", n, fpts);
    attr_doubles(w, d, "convergence_sum_mrad", 1, d1, csum);
    attr_i64s(w, d, "tilt_points", n, tpts);
    attr_i64s(w, d, "tilt_disc", n, disc);
    attr_doubles(w, d, "c_nm_a", 3, d3, cnm);
    attr_doubles(w, d, "phi_nm_deg", 3, d3, phi);
    attr_string(w, d, "units", counts ? "electrons per pixel" : "intensity (1 = incident beam)");
    attr_string(w, d, "description",
                !det     ? "intensity |IFFT(FFT(psi) H)|^2 per imaging condition; 1 = incident beam"
                : counts ? "camera frames: distortion, resampling, MTF, Poisson counts of "
                           "intensity * dose_e_per_a2 * pixel area, read noise"
                         : "camera frames without a dose: distorted, resampled intensity after "
                           "the MTF; 1 = incident beam");
    H5Dclose(d);
    hid_t df =
        dataset_write(w, w->file, "defocus_a", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, d1, defocus);
    if (df >= 0) H5Dclose(df);
    free(v);
    free(iv);
}

static void write_noiseless(writer *w, const cz_sim_h5_record *rec) {
    size_t nx, ny;
    image_grid(rec, &nx, &ny);
    hsize_t dims[3] = {rec->nimages, ny, nx};
    hid_t d = dataset_write(w, w->file, "images_noiseless", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, 3,
                            dims, rec->noiseless);
    if (d < 0) return;
    attr_string(w, d, "units", "electrons per pixel (expected)");
    attr_string(w, d, "description",
                "the camera frames of /images before counting and read noise: intensity * "
                "dose_e_per_a2 * pixel area after distortion, resampling and MTF");
    H5Dclose(d);
}

static void write_potential(writer *w, const cz_sim_h5_record *rec) {
    hsize_t dims[2] = {rec->info->ny, rec->info->nx};
    hid_t d = dataset_write(w, w->file, "potential", H5T_IEEE_F32LE, H5T_NATIVE_DOUBLE, 2, dims,
                            rec->potential);
    if (d < 0) return;
    attr_string(w, d, "units", "V*Angstrom");
    attr_string(w, d, "description", "total projected potential, sum over all slices");
    H5Dclose(d);
}

static void write_atoms(writer *w, const cz_sim_h5_record *rec) {
    if (w->status != CZ_OK) return;
    hid_t g = H5Gcreate2(w->file, "atoms", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        h5_capture(w);
        w_fail(w, "group atoms");
        return;
    }
    hsize_t d2[2] = {rec->natoms, 3}, d1[1] = {rec->natoms};
    hid_t d =
        dataset_write(w, g, "positions_a", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2, rec->xyz);
    if (d >= 0) H5Dclose(d);
    d = dataset_write(w, g, "numbers", H5T_STD_I32LE, H5T_NATIVE_INT, 1, d1, rec->z);
    if (d >= 0) H5Dclose(d);
    H5Gclose(g);
}

/* One row of /labels/columns in memory (and, packed, in the file). */
typedef struct column_row {
    double x_px, y_px, x_a, y_a;
    int32_t z, object_id;
    int64_t count;
} column_row;

static void write_columns(writer *w, hid_t g, const cz_sim_h5_record *rec) {
    if (w->status != CZ_OK) return;
    size_t n = rec->ncolumns, nx, ny;
    image_grid(rec, &nx, &ny);
    double dx = rec->detector ? rec->camera->dx : rec->info->dx;
    double dy = rec->detector ? rec->camera->dy : rec->info->dy;
    column_row *rows = malloc((n ? n : 1) * sizeof *rows);
    hid_t mem = H5Tcreate(H5T_COMPOUND, sizeof(column_row));
    hid_t file = H5Tcreate(H5T_COMPOUND, 4 * 8 + 2 * 4 + 8);
    if (!rows) {
        if (mem >= 0) H5Tclose(mem);
        if (file >= 0) H5Tclose(file);
        if (w->status == CZ_OK) {
            w->status = CZ_ENOMEM;
            snprintf(w->what, sizeof w->what, "the column table");
        }
        return;
    }
    static const char *const names[7] = {"x_px", "y_px", "x_a", "y_a", "z", "object_id", "count"};
    const size_t offs[7] = {offsetof(column_row, x_px), offsetof(column_row, y_px),
                            offsetof(column_row, x_a),  offsetof(column_row, y_a),
                            offsetof(column_row, z),    offsetof(column_row, object_id),
                            offsetof(column_row, count)};
    const size_t foff[7] = {0, 8, 16, 24, 32, 36, 40};
    hid_t mt[7] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE, H5T_NATIVE_DOUBLE,
                   H5T_NATIVE_INT32,  H5T_NATIVE_INT32,  H5T_NATIVE_INT64};
    hid_t ft[7] = {H5T_IEEE_F64LE, H5T_IEEE_F64LE, H5T_IEEE_F64LE, H5T_IEEE_F64LE,
                   H5T_STD_I32LE,  H5T_STD_I32LE,  H5T_STD_I64LE};
    int bad = mem < 0 || file < 0;
    for (int f = 0; f < 7 && !bad; f++)
        bad = H5Tinsert(mem, names[f], offs[f], mt[f]) < 0 ||
              H5Tinsert(file, names[f], foff[f], ft[f]) < 0;
    if (bad) {
        h5_capture(w);
        w_fail(w, "the column type");
    } else {
        for (size_t k = 0; k < n; k++) {
            const cz_sim_column *c = &rec->columns[k];
            rows[k].x_px = c->x;
            rows[k].y_px = c->y;
            rows[k].x_a = rec->columns_a ? rec->columns_a[k][0] : c->x * dx;
            rows[k].y_a = rec->columns_a ? rec->columns_a[k][1] : c->y * dy;
            rows[k].z = c->z;
            rows[k].object_id = c->object;
            rows[k].count = (int64_t)c->count;
        }
        hsize_t dims[1] = {n};
        hid_t d = dataset_write(w, g, "columns", file, mem, 1, dims, rows);
        if (d >= 0) {
            attr_double(w, d, "column_tol_a", rec->column_tol);
            attr_string(w, d, "description",
                        "atom columns: position in pixels of the image grid (x_px, y_px; pixel "
                        "(i, j) at (i dx, j dy)) and in the specimen (x_a, y_a), most frequent Z "
                        "and object id, number of atoms");
            H5Dclose(d);
        }
    }
    free(rows);
    if (mem >= 0) H5Tclose(mem);
    if (file >= 0) H5Tclose(file);
}

/* Ground truth under /labels, on the image grid. */
static void write_labels(writer *w, const cz_sim_h5_record *rec) {
    if (w->status != CZ_OK) return;
    hid_t g = H5Gcreate2(w->file, "labels", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) {
        h5_capture(w);
        w_fail(w, "group labels");
        return;
    }
    size_t nx, ny;
    image_grid(rec, &nx, &ny);
    hsize_t d2[2] = {ny, nx}, d3[3] = {rec->nclass, ny, nx};
    hid_t d;
    if (rec->masks) {
        d = dataset_write(w, g, "masks", H5T_STD_U8LE, H5T_NATIVE_UINT8, 3, d3, rec->masks);
        if (d >= 0) {
            attr_double(w, d, "radius_a", rec->label_radius);
            if (rec->class_names) attr_string(w, d, "class_names", rec->class_names);
            attr_string(w, d, "description",
                        "channel c: 1 within radius_a of the projected position of an atom of "
                        "class c");
            H5Dclose(d);
        }
    }
    if (rec->object_map) {
        d = dataset_write(w, g, "object_id", H5T_STD_I32LE, H5T_NATIVE_INT, 2, d2, rec->object_map);
        if (d >= 0) {
            attr_double(w, d, "radius_a", rec->label_radius);
            attr_string(w, d, "description",
                        "object id of the atom nearest each pixel within radius_a; 0 = none");
            H5Dclose(d);
        }
    }
    if (rec->class_map) {
        d = dataset_write(w, g, "class_id", H5T_STD_I32LE, H5T_NATIVE_INT, 2, d2, rec->class_map);
        if (d >= 0) {
            attr_double(w, d, "radius_a", rec->label_radius);
            attr_string(w, d, "description",
                        "class of the atom nearest each pixel within radius_a; 0 = none");
            H5Dclose(d);
        }
    }
    if (rec->phase_mask) {
        d = dataset_write(w, g, "phase_mask", H5T_STD_U8LE, H5T_NATIVE_UINT8, 2, d2,
                          rec->phase_mask);
        if (d >= 0) {
            attr_double(w, d, "threshold_rad", rec->phase_threshold_rad);
            attr_i64(w, d, "class_id", rec->phase_class);
            attr_i64(w, d, "n_atoms", (long long)rec->phase_natoms);
            attr_string(w, d, "description",
                        "1 where |arg psi| >= threshold_rad, psi the exit wave of the atoms of "
                        "class_id alone");
            H5Dclose(d);
        }
    }
    if (rec->columns) write_columns(w, g, rec);
    H5Gclose(g);
}

/* ---- entry point ------------------------------------------------------------------------------
 */

static cz_status check_record(const char *path, const cz_sim_h5_record *rec) {
    if (!path || !*path) return CZ_SIM_FAIL(CZ_EINVAL, "path must be a non-empty file name");
    if (!rec) return CZ_SIM_FAIL(CZ_EINVAL, "rec must not be NULL");
    if (!rec->opts || !rec->info)
        return CZ_SIM_FAIL(CZ_EINVAL, "rec->opts and rec->info are required");
    const cz_sim_info *in = rec->info;
    if (in->nx == 0 || in->ny == 0 || in->image_len != in->nx * in->ny ||
        in->wave_len != 2 * in->image_len)
        return CZ_SIM_FAIL(CZ_EINVAL,
                           "rec->info describes an empty or inconsistent grid (%zu x %zu)", in->nx,
                           in->ny);
    if (rec->nimages > 0 && (!rec->ctf || !rec->images))
        return CZ_SIM_FAIL(CZ_EINVAL, "rec->nimages = %zu needs rec->ctf and rec->images",
                           rec->nimages);
    if (rec->natoms > 0 && (!rec->xyz || !rec->z))
        return CZ_SIM_FAIL(CZ_EINVAL, "rec->natoms = %zu needs rec->xyz and rec->z", rec->natoms);
    if (rec->nconfig > 0 && !rec->phonon)
        return CZ_SIM_FAIL(CZ_EINVAL, "rec->nconfig = %zu needs rec->phonon", rec->nconfig);
    if (rec->waves && rec->nconfig == 0)
        return CZ_SIM_FAIL(CZ_EINVAL, "rec->waves needs rec->nconfig > 0");
    if (rec->detector) {
        const cz_sim_detector_grid *g = rec->camera;
        if (!g) return CZ_SIM_FAIL(CZ_EINVAL, "rec->detector needs rec->camera");
        if (g->in_nx != in->nx || g->in_ny != in->ny || g->nx == 0 || g->ny == 0)
            return CZ_SIM_FAIL(CZ_EINVAL,
                               "rec->camera (%zu x %zu -> %zu x %zu) does not fit the %zu x %zu "
                               "simulation grid",
                               g->in_nx, g->in_ny, g->nx, g->ny, in->nx, in->ny);
    }
    if (rec->noiseless && (!rec->detector || rec->nimages == 0))
        return CZ_SIM_FAIL(CZ_EINVAL, "rec->noiseless needs rec->detector and images");
    if (rec->masks && rec->nclass == 0)
        return CZ_SIM_FAIL(CZ_EINVAL, "rec->masks needs rec->nclass > 0");
    return CZ_OK;
}

cz_status cz_sim_h5_write(const char *path, const cz_sim_h5_record *rec) {
    cz_status st = check_record(path, rec);
    if (st != CZ_OK) return st;

    /* The temporary file is created here with open(), so that a directory we cannot write gives
     * the system's reason (HDF5's own message would not), and permissions follow the umask like
     * any new file. */
    size_t len = strlen(path);
    char *tmp = malloc(len + 64);
    if (!tmp) return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory");
    snprintf(tmp, len + 64, "%s.tmp-%ld-%u", path, (long)getpid(),
             atomic_fetch_add(&tmp_counter, 1u));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return CZ_SIM_FAIL(CZ_EIO, "cannot create a file beside '%s': %s", path, strerror(e));
    }
    close(fd);

    writer w;
    memset(&w, 0, sizeof w);
    w.status = CZ_OK;
    pthread_mutex_lock(&h5_lock);
    H5E_BEGIN_TRY {
        w.file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        if (w.file < 0) {
            h5_capture(&w);
            w_fail(&w, "the file");
        } else {
            write_root(&w, rec);
            if (rec->wave)
                write_waves(&w, rec, "exit_wave", rec->wave, 1, 0,
                            "exit wave at z = thickness_a for a unit-amplitude plane wave");
            if (rec->waves)
                write_waves(&w, rec, "exit_waves", rec->waves, rec->nconfig, 1,
                            "exit wave of every frozen-phonon configuration (index 0 .. "
                            "phonon_configurations - 1) for a unit-amplitude plane wave");
            if (rec->nimages > 0) write_images(&w, rec);
            if (rec->noiseless) write_noiseless(&w, rec);
            if (rec->potential) write_potential(&w, rec);
            if (rec->natoms > 0) write_atoms(&w, rec);
            if (rec->masks || rec->object_map || rec->class_map || rec->phase_mask || rec->columns)
                write_labels(&w, rec);
            /* H5Fclose flushes: a full disk shows up here. */
            if (H5Fclose(w.file) < 0) {
                h5_capture(&w);
                w_fail(&w, "the file (closing)");
            }
        }
    }
    H5E_END_TRY;
    pthread_mutex_unlock(&h5_lock);

    if (w.status == CZ_OK && rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return CZ_SIM_FAIL(CZ_EIO, "cannot rename the finished file to '%s': %s", path,
                           strerror(e));
    }
    if (w.status != CZ_OK) {
        unlink(tmp);
        free(tmp);
        if (w.status == CZ_ENOMEM) return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory (%s)", w.what);
        return CZ_SIM_FAIL(CZ_EIO, "writing %s of '%s': %s", w.what, path,
                           w.reason[0] ? w.reason : "HDF5 call failed");
    }
    free(tmp);
    return CZ_OK;
}
