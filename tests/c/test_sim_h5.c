/* test_sim_h5.c — cz_sim_h5_write: a file with the HDF5 signature, atomic replacement (a failed
 * write leaves the old file and no temporary), and every documented error code. The content is
 * read back with h5py in tests/cli/test_image.sh and tests/python/test_sim.py. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "cz/cz_sim.h"
#include "cz_test.h"

#ifndef CZ_HAVE_HDF5

int main(void) {
    printf("libczsim built without HDF5: nothing to test\n");
    return cz_test_summary("sim_h5");
}

#else
#include "cz/cz_sim_h5.h"

static int has_hdf5_signature(const char *path) {
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    unsigned char head[8] = {0};
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    size_t n = fread(head, 1, sizeof head, fp);
    fclose(fp);
    return n == sizeof head && memcmp(head, sig, sizeof sig) == 0;
}

static long file_size(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fclose(fp);
    return n;
}

/* Files in dir whose name starts with prefix and contains ".tmp-". */
static int leftovers(const char *dir, const char *prefix) {
    DIR *d = opendir(dir);
    int count = 0;
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strstr(e->d_name, ".tmp-")) count++;
    closedir(d);
    return count;
}

int main(void) {
    cz_sim_opts o;
    cz_sim_opts_default(&o);
    o.nx = 48;
    o.ny = 40;
    o.flags = CZ_SIM_FFTW_ESTIMATE;
    o.wisdom_path = "";
    double cell[3][3] = {{9.6, 0, 0}, {0, 8.4, 0}, {0, 0, 5.3}};
    cz_sim_plan *p = NULL;
    CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
    double xyz[3][3] = {{4.8, 4.2, 1.1}, {1.3, 2.7, 3.9}, {7.7, 6.1, 2.6}};
    int z[3] = {79, 6, 8};
    CZ_CHECK(cz_sim_set_atoms(p, 3, CZ_CROWS(xyz), z) == CZ_OK, "%s", cz_sim_last_error());
    cz_sim_info info;
    cz_sim_plan_info(p, &info);
    float *wave = malloc(info.wave_len * sizeof *wave);
    double *images = malloc(2 * info.image_len * sizeof *images);
    double *pot = malloc(info.image_len * sizeof *pot);
    cz_sim_ctf ctf[2];
    cz_sim_ctf_default(&ctf[0]);
    ctf[0].c[1][0] = -61.7;
    ctf[0].c[3][0] = 1.3e7;
    ctf[0].aperture_mrad = 17.5;
    ctf[1] = ctf[0];
    ctf[1].c[1][0] = 43.1;
    CZ_CHECK(cz_sim_run(p, wave, info.wave_len) == CZ_OK, "run");
    for (int k = 0; k < 2; k++)
        CZ_CHECK(cz_sim_image(p, &ctf[k], wave, info.wave_len, images + k * info.image_len,
                              info.image_len) == CZ_OK,
                 "image %d", k);
    CZ_CHECK(cz_sim_potential(p, 0, pot, info.image_len) == CZ_OK, "potential");

    char path[1100], dir[1024];
    snprintf(dir, sizeof dir, "%s", cz_test_tmpdir());
    snprintf(path, sizeof path, "%s/test_sim_h5.h5", dir);
    remove(path);

    cz_sim_h5_record rec;
    cz_sim_h5_record_default(&rec);
    CZ_CHECK(rec.opts == NULL && rec.wave == NULL && rec.nimages == 0 && rec.seed == 0,
             "record_default zeroes the record");
    rec.opts = &o;
    rec.info = &info;
    memcpy(rec.cell, cell, sizeof cell);

    /* Minimal record: parameters only. */
    CZ_CHECK(cz_sim_h5_write(path, &rec) == CZ_OK, "%s", cz_sim_last_error());
    CZ_CHECK(has_hdf5_signature(path), "HDF5 signature");
    long small = file_size(path);

    /* Everything. */
    rec.wave = wave;
    rec.nimages = 2;
    rec.ctf = ctf;
    rec.images = images;
    rec.potential = pot;
    rec.natoms = 3;
    rec.xyz = CZ_CROWS(xyz);
    rec.z = z;
    rec.seed = 0x9e3779b97f4a7c15ull;
    rec.program = "test_sim_h5";
    rec.source = "inline atoms";
    CZ_CHECK(cz_sim_h5_write(path, &rec) == CZ_OK, "%s", cz_sim_last_error());
    long full = file_size(path);
    /* 8 bytes per pixel of wave, 4 per pixel of each image and of the potential. */
    CZ_CHECK(full > small + (long)(16 * info.image_len), "full file %ld bytes, minimal %ld", full,
             small);
    CZ_CHECK(leftovers(dir, "test_sim_h5.h5") == 0, "no temporary files left");

    /* Errors: nothing written, the existing file untouched. */
    cz_sim_h5_record bad = rec;
    CZ_CHECK_FAILS(cz_sim_h5_write(NULL, &rec), CZ_EINVAL, "path");
    CZ_CHECK_FAILS(cz_sim_h5_write("", &rec), CZ_EINVAL, "path");
    CZ_CHECK_FAILS(cz_sim_h5_write(path, NULL), CZ_EINVAL, "rec");
    bad.opts = NULL;
    CZ_CHECK_FAILS(cz_sim_h5_write(path, &bad), CZ_EINVAL, "opts");
    bad = rec;
    bad.images = NULL;
    CZ_CHECK_FAILS(cz_sim_h5_write(path, &bad), CZ_EINVAL, "nimages = 2");
    bad = rec;
    bad.z = NULL;
    CZ_CHECK_FAILS(cz_sim_h5_write(path, &bad), CZ_EINVAL, "natoms = 3");
    cz_sim_info empty = info;
    empty.nx = 0;
    bad = rec;
    bad.info = &empty;
    CZ_CHECK_FAILS(cz_sim_h5_write(path, &bad), CZ_EINVAL, "grid");
    CZ_CHECK(file_size(path) == full, "failed writes leave the file alone");

    char missing[1100 + 32];
    snprintf(missing, sizeof missing, "%s/no-such-dir-h5/x.h5", dir);
    CZ_CHECK_FAILS(cz_sim_h5_write(missing, &rec), CZ_EIO, "No such file or directory");
    CZ_CHECK_FAILS(cz_sim_h5_write("/proc/cz-test-sim-h5.h5", &rec), CZ_EIO, "cz-test-sim-h5");

    remove(path);
    free(wave);
    free(images);
    free(pot);
    cz_sim_plan_destroy(p);
    return cz_test_summary("sim_h5");
}
#endif
