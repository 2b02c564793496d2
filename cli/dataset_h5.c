/* dataset_h5.c — `cz dataset` shards: one HDF5 file per shard_size samples.
 *
 * Layout (docs/dataset.md): /images [n][ny][nx] float32 or uint16, /masks [n][ny][nx] uint8,
 * /class_masks [n][nclass][ny][nx] uint8, /object_ids [n][ny][nx] int32, /metadata [n] compound
 * (units in the field names), /columns [m] compound, /scene_draws [k] compound (the values the
 * scene spec drew per sample), optional /structures/..., and attributes
 * format, cz_version, first_sample, n_samples, config_json.
 *
 * Reproducible bytes: object modification times are not recorded (H5Pset_obj_track_times), so
 * the same samples give the same file whatever the run that wrote it. The file is written under
 * a temporary name in the same directory and renamed into place, so a shard either exists
 * complete or not at all — which is what resume relies on.
 *
 * The HDF5 headers are not on this target's include path (libczsim links HDF5 privately), so the
 * Debian location is named explicitly; the library itself comes through libczsim's link line. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cz/cz.h"
#include "dataset.h"

#if defined(CZ_HAVE_HDF5) && defined(__has_include)
#if __has_include(<hdf5.h>)
#include <hdf5.h>
#define DS_HAVE_H5 1
#elif __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#define DS_HAVE_H5 1
#endif
#endif

#ifndef DS_HAVE_H5

int ds_h5_write_shard(const char *path, const ds_shard_data *d, char *err, size_t errlen) {
    (void)path;
    (void)d;
    snprintf(err, errlen, "this cz was built without HDF5 (libhdf5-dev)");
    return -1;
}

const char *ds_h5_version(void) { return "none"; }

#else

const char *ds_h5_version(void) {
    static char v[32];
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(v, sizeof v, "%u.%u.%u", maj, min, rel);
    return v;
}

typedef struct w5 {
    hid_t file;
    char *err;
    size_t errlen;
    int failed;
} w5;

static void fail(w5 *w, const char *what) {
    if (!w->failed) snprintf(w->err, w->errlen, "HDF5 could not write %s", what);
    w->failed = 1;
}

/* A dataset of `rank` dims, chunked per leading index when `chunk` (deflate level `gzip`). */
static void put(w5 *w, hid_t where, const char *name, hid_t ftype, hid_t mtype, int rank,
                const hsize_t *dims, const void *data, int chunk, int gzip) {
    if (w->failed) return;
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hsize_t total = 1;
    for (int k = 0; k < rank; ++k) total *= dims[k];
    if (chunk && total > 0) {
        hsize_t cd[8];
        cd[0] = 1;
        for (int k = 1; k < rank; ++k) cd[k] = dims[k];
        H5Pset_chunk(dcpl, rank, cd);
        if (gzip) H5Pset_deflate(dcpl, (unsigned)gzip);
    }
    hid_t ds = H5Dcreate2(where, name, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0 || (total > 0 && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0))
        fail(w, name);
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
}

static void attr_string(w5 *w, hid_t where, const char *name, const char *value) {
    if (w->failed) return;
    /* Variable-length UTF-8: h5py reads it as str (fixed-length strings come back as bytes). */
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(where, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, t, &value) < 0) fail(w, name);
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
}

static void attr_u64(w5 *w, hid_t where, const char *name, uint64_t value) {
    if (w->failed) return;
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(where, name, H5T_STD_U64LE, s, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, H5T_NATIVE_UINT64, &value) < 0) fail(w, name);
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
}

#define MEMBER(t, name, field, type) H5Tinsert(t, name, HOFFSET(ds_meta, field), type)

static hid_t meta_type(void) {
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(ds_meta));
    hsize_t ab[2] = {6, 7};
    hid_t arr = H5Tarray_create2(H5T_NATIVE_DOUBLE, 2, ab);
    hsize_t d22[2] = {2, 2}, d2[1] = {2}, dz[1] = {104};
    hid_t az = H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, dz);
    hid_t a22 = H5Tarray_create2(H5T_NATIVE_DOUBLE, 2, d22), a2 = H5Tarray_create2(H5T_NATIVE_DOUBLE, 1, d2);
    MEMBER(t, "sample", sample, H5T_NATIVE_UINT64);
    MEMBER(t, "sample_seed", sample_seed, H5T_NATIVE_UINT64);
    MEMBER(t, "image", image, H5T_NATIVE_UINT32);
    MEMBER(t, "split", split, H5T_NATIVE_UINT8);
    MEMBER(t, "defocus_a", defocus_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "defocus_nominal_a", defocus_nominal_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "dose_e_per_a2", dose_e_per_a2, H5T_NATIVE_DOUBLE);
    MEMBER(t, "focal_spread_a", focal_spread_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "aperture_mrad", aperture_mrad, H5T_NATIVE_DOUBLE);
    MEMBER(t, "convergence_mrad", convergence_mrad, H5T_NATIVE_DOUBLE);
    MEMBER(t, "energy_kv", energy_kv, H5T_NATIVE_DOUBLE);
    MEMBER(t, "camera_pixel_a", camera_pixel_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "sampling_a", sampling_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "slice_thickness_a", slice_thickness_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "u_rms_a", u_rms_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "read_noise_counts", read_noise, H5T_NATIVE_DOUBLE);
    MEMBER(t, "mtf_q0_nyquist", mtf_q0, H5T_NATIVE_DOUBLE);
    MEMBER(t, "mtf_floor", mtf_floor, H5T_NATIVE_DOUBLE);
    MEMBER(t, "phase_threshold_rad", phase_threshold_rad, H5T_NATIVE_DOUBLE);
    MEMBER(t, "crop_x0_px", crop_x0_px, H5T_NATIVE_DOUBLE);
    MEMBER(t, "crop_y0_px", crop_y0_px, H5T_NATIVE_DOUBLE);
    MEMBER(t, "tilt_spread_mrad", tilt_spread_mrad, H5T_NATIVE_DOUBLE);
    MEMBER(t, "tilt_points", tilt_points, H5T_NATIVE_UINT32);
    MEMBER(t, "focal_points", focal_points, H5T_NATIVE_UINT32);
    MEMBER(t, "distortion_affine", distortion_affine, a22);
    MEMBER(t, "distortion_shift_a", distortion_shift_a, a2);
    MEMBER(t, "distortion_radial_k1", distortion_radial_k1, H5T_NATIVE_DOUBLE);
    MEMBER(t, "u_rms_by_z_a", u_rms_by_z_a, az);
    MEMBER(t, "c_nm_a", c_nm_a, arr);
    MEMBER(t, "phi_nm_deg", phi_nm_deg, arr);
    MEMBER(t, "n_atoms", n_atoms, H5T_NATIVE_UINT32);
    MEMBER(t, "n_particle_atoms", n_particle_atoms, H5T_NATIVE_UINT32);
    MEMBER(t, "phonons", phonons, H5T_NATIVE_UINT32);
    MEMBER(t, "particle_height_a", particle_height_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "substrate_thickness_a", substrate_thickness_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "cell_z_a", cell_z_a, H5T_NATIVE_DOUBLE);
    MEMBER(t, "columns_start", columns_start, H5T_NATIVE_UINT64);
    MEMBER(t, "columns_count", columns_count, H5T_NATIVE_UINT32);
    MEMBER(t, "scene_draws_start", scene_draws_start, H5T_NATIVE_UINT64);
    MEMBER(t, "scene_draws_count", scene_draws_count, H5T_NATIVE_UINT32);
    H5Tclose(arr);
    H5Tclose(a22);
    H5Tclose(a2);
    H5Tclose(az);
    return t;
}

static hid_t column_type(void) {
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(ds_column));
    H5Tinsert(t, "sample", HOFFSET(ds_column, sample), H5T_NATIVE_UINT64);
    H5Tinsert(t, "x_px", HOFFSET(ds_column, x_px), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "y_px", HOFFSET(ds_column, y_px), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "z", HOFFSET(ds_column, z), H5T_NATIVE_INT32);
    H5Tinsert(t, "object", HOFFSET(ds_column, object), H5T_NATIVE_INT32);
    H5Tinsert(t, "count", HOFFSET(ds_column, count), H5T_NATIVE_UINT32);
    return t;
}

/* /scene_draws rows: variable-length strings for the field path and the chosen name. */
static hid_t draw_type(void) {
    hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, H5T_VARIABLE);
    H5Tset_cset(str, H5T_CSET_UTF8);
    hid_t t = H5Tcreate(H5T_COMPOUND, sizeof(ds_scene_draw));
    H5Tinsert(t, "sample", HOFFSET(ds_scene_draw, sample), H5T_NATIVE_UINT64);
    H5Tinsert(t, "path", HOFFSET(ds_scene_draw, path), str);
    H5Tinsert(t, "value", HOFFSET(ds_scene_draw, value), H5T_NATIVE_DOUBLE);
    H5Tinsert(t, "text", HOFFSET(ds_scene_draw, text), str);
    H5Tclose(str);
    return t;
}

int ds_h5_write_shard(const char *path, const ds_shard_data *d, char *err, size_t errlen) {
    /* HDF5 must not print its error stack: failures are reported as one line by the caller. */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0);
    w5 w = {H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT), err, errlen, 0};
    H5Pclose(fcpl);
    if (w.file < 0) {
        snprintf(err, errlen, "%s: cannot create the file", tmp);
        return -1;
    }
    size_t n = d->nimages, npix = d->nx * d->ny;
    hsize_t dims[4] = {n, d->ny, d->nx, 0};
    if (d->dtype_uint16) {
        uint16_t *u = malloc((n * npix > 0 ? n * npix : 1) * sizeof *u);
        if (!u) {
            fail(&w, "images (out of memory)");
        } else {
            for (size_t i = 0; i < n * npix; ++i) {
                float v = d->images[i];
                u[i] = (uint16_t)(v <= 0 ? 0 : v >= 65535.0f ? 65535 : (unsigned)(v + 0.5f));
            }
            put(&w, w.file, "images", H5T_STD_U16LE, H5T_NATIVE_UINT16, 3, dims, u, 1, 0);
            free(u);
        }
    } else {
        put(&w, w.file, "images", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, dims, d->images, 1, 0);
    }
    put(&w, w.file, "masks", H5T_STD_U8LE, H5T_NATIVE_UINT8, 3, dims, d->masks, 1, 1);
    hsize_t cdims[4] = {n, d->nclass, d->ny, d->nx};
    put(&w, w.file, "class_masks", H5T_STD_U8LE, H5T_NATIVE_UINT8, 4, cdims, d->class_masks, 1, 1);
    put(&w, w.file, "object_ids", H5T_STD_I32LE, H5T_NATIVE_INT32, 3, dims, d->object_ids, 1, 1);
    hid_t mt = meta_type();
    hsize_t mdims[1] = {n};
    put(&w, w.file, "metadata", mt, mt, 1, mdims, d->meta, 0, 0);
    H5Tclose(mt);
    hid_t ct = column_type();
    hsize_t coldims[1] = {d->ncolumns};
    put(&w, w.file, "columns", ct, ct, 1, coldims, d->columns, 0, 0);
    H5Tclose(ct);
    hid_t dt = draw_type();
    hsize_t drdims[1] = {d->ndraws};
    put(&w, w.file, "scene_draws", dt, dt, 1, drdims, d->draws, 0, 0);
    H5Tclose(dt);
    if (d->xyz && !w.failed) {
        hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
        H5Pset_obj_track_times(gcpl, 0);
        hid_t g = H5Gcreate2(w.file, "structures", H5P_DEFAULT, gcpl, H5P_DEFAULT);
        H5Pclose(gcpl);
        if (g < 0) {
            fail(&w, "structures");
        } else {
            hsize_t na = d->atom_offsets[d->nsamples];
            hsize_t pd[2] = {na, 3}, od[1] = {d->nsamples + 1}, ad[1] = {na};
            put(&w, g, "atom_offsets", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, od, d->atom_offsets, 0,
                0);
            put(&w, g, "positions_a", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, pd, d->xyz, 0, 0);
            put(&w, g, "numbers", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, ad, d->numbers, 0, 0);
            put(&w, g, "object_id", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, ad, d->object_id, 0, 0);
            put(&w, g, "class_id", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, ad, d->class_id, 0, 0);
            H5Gclose(g);
        }
    }
    attr_string(&w, w.file, "format", "cz-dataset/1");
    attr_string(&w, w.file, "cz_version", cz_version());
    attr_u64(&w, w.file, "first_sample", d->first_sample);
    attr_u64(&w, w.file, "n_samples", d->nsamples);
    attr_string(&w, w.file, "class_names", "particle,substrate,ligand");
    attr_string(&w, w.file, "config_json", d->config_json ? d->config_json : "{}");
    if (H5Fclose(w.file) < 0) fail(&w, "the file (close)");
    if (w.failed) {
        remove(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: cannot rename into place: %s", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

#endif
