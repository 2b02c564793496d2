/* test_io.c — structure files (cz_io.h): extxyz, LAMMPS data, Prismatic xyz; formats, options,
 * round trips and every documented failure. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cz/cz_atoms.h"
#include "cz/cz_elements.h"
#include "cz/cz_error.h"
#include "cz/cz_io.h"
#include "cz/cz_rng.h"
#include "cz_test.h"

/* AddressSanitizer reserves terabytes of address space, so the out-of-memory tests, which
 * lower RLIMIT_AS, cannot run under it. */
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void tpath(char *buf, size_t len, const char *name) {
    snprintf(buf, len, "%s/io_%s", cz_test_tmpdir(), name);
}

static void put_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        printf("cannot create %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fputs(text, f);
    fclose(f);
}

/* Whole file as a string (caller frees); NULL if it cannot be read. */
static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *s = malloc(cap);
    size_t got;
    while (s && (got = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len < 2) {
            char *t = realloc(s, cap * 2);
            if (!t) {
                free(s);
                s = NULL;
                break;
            }
            s = t;
            cap *= 2;
        }
    }
    fclose(f);
    if (s) s[len] = '\0';
    return s;
}

/* Line k (1-based) of text, copied into buf. */
static const char *line_of(const char *text, int k, char *buf, size_t len) {
    const char *p = text;
    for (int i = 1; i < k && p; i++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    buf[0] = '\0';
    if (!p) return buf;
    size_t n = strcspn(p, "\n");
    if (n >= len) n = len - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
    return buf;
}

/* Number of entries in the test directory whose name starts with `prefix` and that contain
 * ".tmp." — the writers' temporary files, which must never be left behind. */
static int count_temporaries(const char *prefix) {
    DIR *d = opendir(cz_test_tmpdir());
    if (!d) return -1;
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strstr(e->d_name, ".tmp.")) count++;
    }
    closedir(d);
    return count;
}

static const double PI = 3.14159265358979323846;

static const double ZERO_CELL[3][3] = {{0, 0, 0}, {0, 0, 0}, {0, 0, 0}};

/* Six atoms with unround coordinates and varied labels, in the given cell. */
static cz_atoms *make_sample(const double cell[3][3], const int pbc[3]) {
    static const double xyz[6][3] = {{0.0, 0.0, 0.0},
                                     {1.8075, 1.8075, 0.0},
                                     {3.615, 12.0417, 7.3291},
                                     {-2.71828, 3.14159, 1.41421},
                                     {12.0417, -0.577215, 5.0e-5},
                                     {1000.123456789, 2.5, -7.75}};
    static const int z[6] = {79, 46, 6, 8, 14, 79};
    static const int oid[6] = {1, 1, 2, 2, 3, 0};
    static const int gid[6] = {1, 2, 3, 3, 7, 0};
    static const int cid[6] = {1, 1, 2, 3, 2, 0};
    cz_atoms *a = NULL;
    if (cz_atoms_create(0, &a) != CZ_OK) exit(2);
    for (int i = 0; i < 6; i++) {
        if (cz_atoms_push(a, xyz[i], z[i], oid[i], gid[i], cid[i]) != CZ_OK) exit(2);
    }
    if (cz_atoms_set_cell(a, cell, pbc) != CZ_OK) {
        printf("make_sample: %s\n", cz_last_error());
        exit(2);
    }
    return a;
}

static double max_pos_diff(const cz_atoms *a, const cz_atoms *b) {
    double d = 0.0;
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        for (int k = 0; k < 3; k++) d = fmax(d, fabs(a->xyz[i][k] - b->xyz[i][k]));
    }
    return d;
}

static double max_cell_diff(const double a[3][3], const double b[3][3]) {
    double d = 0.0;
    for (int i = 0; i < 3; i++) {
        for (int k = 0; k < 3; k++) d = fmax(d, fabs(a[i][k] - b[i][k]));
    }
    return d;
}

/* Rotation by `deg` degrees about `axis` (Rodrigues), rows acting on column vectors. */
static void rotation(const double axis[3], double deg, double r[3][3]) {
    double n = sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]);
    double x = axis[0] / n, y = axis[1] / n, z = axis[2] / n;
    double t = deg * PI / 180.0, c = cos(t), s = sin(t), C = 1.0 - c;
    double m[3][3] = {{c + x * x * C, x * y * C - z * s, x * z * C + y * s},
                      {y * x * C + z * s, c + y * y * C, y * z * C - x * s},
                      {z * x * C - y * s, z * y * C + x * s, c + z * z * C}};
    memcpy(r, m, sizeof m);
}

/* out = m·x; out may alias x. */
static void mulv(const double m[3][3], const double x[3], double out[3]) {
    double t[3];
    for (int i = 0; i < 3; i++) t[i] = m[i][0] * x[0] + m[i][1] * x[1] + m[i][2] * x[2];
    memcpy(out, t, sizeof t);
}

/* Fractional coordinates of x in the cell whose rows are r (Cramer's rule). */
static void frac_of(const double r[3][3], const double x[3], double f[3]) {
    double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
                 r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
                 r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
    for (int k = 0; k < 3; k++) {
        double m[3][3];
        memcpy(m, r, sizeof m);
        for (int j = 0; j < 3; j++) m[k][j] = x[j];
        f[k] = (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])) /
               det;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* A small reader of what our LAMMPS writer produces, for checking it.                        */
/* ------------------------------------------------------------------------------------------ */

#define LMP_MAX 64

typedef struct lmp_data {
    size_t natoms;
    int ntypes;
    double lo[3], hi[3], xy, xz, yz;
    int has_tilt;
    double mass[8];
    char sym[8][4];
    size_t n;
    int id[LMP_MAX], type[LMP_MAX];
    double x[LMP_MAX][3];
    int tilt_note, rotated_note;
} lmp_data;

static int parse_lammps(const char *path, lmp_data *d) {
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[512];
    int section = 0, ok = 1;
    if (!fgets(line, sizeof line, f)) ok = 0;
    while (ok && fgets(line, sizeof line, f)) {
        if (strstr(line, "box tilt large")) d->tilt_note = 1;
        if (strstr(line, "rotated into the LAMMPS frame")) d->rotated_note = 1;
        char *hash = strchr(line, '#');
        char comment[64] = "";
        if (hash) {
            sscanf(hash + 1, "%63s", comment);
            *hash = '\0';
        }
        char word[64] = "";
        if (sscanf(line, "%63s", word) != 1) continue;
        if (strcmp(word, "Masses") == 0) {
            section = 1;
            continue;
        }
        if (strcmp(word, "Atoms") == 0) {
            section = 2;
            continue;
        }
        if (section == 1) {
            int t;
            double m;
            if (sscanf(line, "%d %lf", &t, &m) != 2 || t < 1 || t > 7) ok = 0;
            if (ok) {
                d->mass[t] = m;
                snprintf(d->sym[t], sizeof d->sym[t], "%.3s", comment);
            }
        } else if (section == 2) {
            if (d->n >= LMP_MAX) continue;
            size_t i = d->n++;
            if (sscanf(line, "%d %d %lf %lf %lf", &d->id[i], &d->type[i], &d->x[i][0], &d->x[i][1],
                       &d->x[i][2]) != 5)
                ok = 0;
        } else if (strstr(line, "atom types")) {
            ok = sscanf(line, "%d", &d->ntypes) == 1;
        } else if (strstr(line, "atoms")) {
            ok = sscanf(line, "%zu", &d->natoms) == 1;
        } else if (strstr(line, "xy xz yz")) {
            ok = sscanf(line, "%lf %lf %lf", &d->xy, &d->xz, &d->yz) == 3;
            d->has_tilt = 1;
        } else {
            for (int k = 0; k < 3; k++) {
                static const char *const keys[3] = {"xlo xhi", "ylo yhi", "zlo zhi"};
                if (strstr(line, keys[k])) ok = sscanf(line, "%lf %lf", &d->lo[k], &d->hi[k]) == 2;
            }
        }
    }
    fclose(f);
    return ok;
}

static void lmp_edges(const lmp_data *d, double e[3][3]) {
    double m[3][3] = {{d->hi[0] - d->lo[0], 0, 0},
                      {d->xy, d->hi[1] - d->lo[1], 0},
                      {d->xz, d->yz, d->hi[2] - d->lo[2]}};
    memcpy(e, m, sizeof m);
}

/* ------------------------------------------------------------------------------------------ */
/* Options and formats                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void test_opts_and_formats(void) {
    cz_write_opts o;
    memset(&o, 0x5a, sizeof o);
    cz_write_opts_default(&o);
    CZ_CHECK(o.format == CZ_FORMAT_AUTO, "default format");
    CZ_CHECK(o.u_rms == 0.08 && o.occupancy == 1.0 && o.padding == 5.0, "default numbers");
    CZ_CHECK(o.comment == NULL, "default comment");
    cz_write_opts_default(NULL);

    static const struct {
        const char *path;
        cz_format format;
    } good[] = {{"a.xyz", CZ_FORMAT_EXTXYZ},
                {"/some/dir.v2/Au_147.extxyz", CZ_FORMAT_EXTXYZ},
                {"SCENE.XYZ", CZ_FORMAT_EXTXYZ},
                {"in.lmp", CZ_FORMAT_LAMMPS},
                {"run/au.data", CZ_FORMAT_LAMMPS},
                {"x.lammps", CZ_FORMAT_LAMMPS},
                {"model.prismatic", CZ_FORMAT_PRISMATIC},
                {"model.xyzp", CZ_FORMAT_PRISMATIC}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        cz_format f = CZ_FORMAT_AUTO;
        cz_status s = cz_format_from_path(good[i].path, &f);
        CZ_CHECK(s == CZ_OK && f == good[i].format, "%s -> %d (status %d)", good[i].path, (int)f,
                 (int)s);
    }
    cz_format f = CZ_FORMAT_LAMMPS;
    CZ_CHECK_FAILS(cz_format_from_path("structure.cif", &f), CZ_EINVAL, "'.cif'");
    CZ_CHECK(f == CZ_FORMAT_AUTO, "format reset on failure");
    CZ_CHECK_FAILS(cz_format_from_path("structure.cif", &f), CZ_EINVAL, "cz_format_from_path");
    CZ_CHECK_FAILS(cz_format_from_path("noext", &f), CZ_EINVAL, "no file extension");
    CZ_CHECK_FAILS(cz_format_from_path("dir.xyz/noext", &f), CZ_EINVAL, "no file extension");
    CZ_CHECK_FAILS(cz_format_from_path(".xyz", &f), CZ_EINVAL, "no file extension");
    CZ_CHECK_FAILS(cz_format_from_path("a.xyz.gz", &f), CZ_EINVAL, "'.gz'");
    CZ_CHECK_FAILS(cz_format_from_path(NULL, &f), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_format_from_path("a.xyz", NULL), CZ_EINVAL, "NULL");

    static const struct {
        const char *name;
        cz_format format;
    } names[] = {{"extxyz", CZ_FORMAT_EXTXYZ}, {"xyz", CZ_FORMAT_EXTXYZ},
                 {"lammps", CZ_FORMAT_LAMMPS}, {"lammps-data", CZ_FORMAT_LAMMPS},
                 {"LAMMPS", CZ_FORMAT_LAMMPS}, {"prismatic", CZ_FORMAT_PRISMATIC},
                 {"auto", CZ_FORMAT_AUTO}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        f = CZ_FORMAT_PRISMATIC;
        if (names[i].format == CZ_FORMAT_PRISMATIC) f = CZ_FORMAT_EXTXYZ;
        cz_status s = cz_format_from_name(names[i].name, &f);
        CZ_CHECK(s == CZ_OK && f == names[i].format, "%s -> %d", names[i].name, (int)f);
    }
    CZ_CHECK_FAILS(cz_format_from_name("pdb", &f), CZ_EINVAL, "'pdb'");
    CZ_CHECK_FAILS(cz_format_from_name("", &f), CZ_EINVAL, "''");
    CZ_CHECK_FAILS(cz_format_from_name(NULL, &f), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_format_from_name("xyz", NULL), CZ_EINVAL, "NULL");
}

/* ------------------------------------------------------------------------------------------ */
/* Extended XYZ                                                                               */
/* ------------------------------------------------------------------------------------------ */

static const double TRICLINIC[3][3] = {
    {7.23, 0.0, 0.0}, {-2.1386, 4.9912, 0.0}, {-1.2044, 0.8213, 8.9871}};

static void check_same_atoms(const cz_atoms *a, const cz_atoms *b, double tol, const char *what) {
    CZ_CHECK(a->n == b->n, "%s: n %zu vs %zu", what, a->n, b->n);
    if (a->n != b->n) return;
    int z_ok = 1, labels_ok = 1;
    for (size_t i = 0; i < a->n; i++) {
        if (a->z[i] != b->z[i]) z_ok = 0;
        if (a->object_id[i] != b->object_id[i] || a->grain_id[i] != b->grain_id[i] ||
            a->class_id[i] != b->class_id[i])
            labels_ok = 0;
    }
    CZ_CHECK(z_ok, "%s: atomic numbers", what);
    CZ_CHECK(labels_ok, "%s: labels", what);
    CZ_CHECK(max_pos_diff(a, b) <= tol, "%s: positions differ by %g", what, max_pos_diff(a, b));
    CZ_CHECK(max_cell_diff(a->cell, b->cell) <= tol, "%s: cell differs by %g", what,
             max_cell_diff(a->cell, b->cell));
    CZ_CHECK(a->pbc[0] == b->pbc[0] && a->pbc[1] == b->pbc[1] && a->pbc[2] == b->pbc[2],
             "%s: pbc %d%d%d vs %d%d%d", what, a->pbc[0], a->pbc[1], a->pbc[2], b->pbc[0],
             b->pbc[1], b->pbc[2]);
}

static void test_extxyz_roundtrip(void) {
    char path[512], buf[512];
    const int pbc[3] = {1, 1, 0};
    cz_atoms *a = make_sample(TRICLINIC, pbc);
    tpath(path, sizeof path, "tri.xyz");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "write: %s", cz_last_error());

    char *text = slurp(path);
    CZ_CHECK(text != NULL, "file exists");
    if (text) {
        CZ_CHECK(strcmp(line_of(text, 1, buf, sizeof buf), "6") == 0, "count line '%s'", buf);
        line_of(text, 2, buf, sizeof buf);
        CZ_CHECK(strstr(buf,
                        "Lattice=\"7.2300000000 0.0000000000 0.0000000000 -2.1386000000 "
                        "4.9912000000 0.0000000000 -1.2044000000 0.8213000000 "
                        "8.9871000000\"") == buf,
                 "Lattice first, rows a b c: %s", buf);
        CZ_CHECK(strstr(buf,
                        " Properties=species:S:1:pos:R:3:object_id:I:1:grain_id:I:1:"
                        "class_id:I:1 ") != NULL,
                 "Properties: %s", buf);
        CZ_CHECK(strstr(buf, " pbc=\"T T F\"") != NULL, "pbc: %s", buf);
        CZ_CHECK(strstr(buf, "comment=\"written by cz ") != NULL, "default comment: %s", buf);
        line_of(text, 5, buf, sizeof buf);
        CZ_CHECK(strstr(buf, "C ") == buf && strstr(buf, "12.0417000000") && strstr(buf, "7.3291"),
                 "atom line: %s", buf);
        free(text);
    }

    cz_atoms *b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "read: %s", cz_last_error());
    if (b) check_same_atoms(a, b, 1e-9, "extxyz triclinic");
    cz_atoms_destroy(b);

    /* Explicit format with a neutral extension. */
    tpath(path, sizeof path, "tri.txt");
    cz_write_opts o;
    cz_write_opts_default(&o);
    o.format = CZ_FORMAT_EXTXYZ;
    o.comment = "Au \"147\" on C, path C:\\data";
    CZ_CHECK(cz_atoms_write(path, a, &o) == CZ_OK, "write explicit: %s", cz_last_error());
    text = slurp(path);
    if (text) {
        CZ_CHECK(strstr(text, "comment=\"Au \\\"147\\\" on C, path C:\\\\data\"") != NULL,
                 "escaped comment: %s", line_of(text, 2, buf, sizeof buf));
        free(text);
    }
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_EXTXYZ, &b) == CZ_OK, "read explicit: %s",
             cz_last_error());
    if (b) check_same_atoms(a, b, 1e-9, "extxyz explicit format");
    cz_atoms_destroy(b);
    cz_atoms_destroy(a);

    /* An isolated structure: no Lattice key, and no cell or pbc after reading. */
    const int none[3] = {0, 0, 0};
    a = make_sample(ZERO_CELL, none);
    tpath(path, sizeof path, "iso.extxyz");
    o.format = CZ_FORMAT_AUTO;
    o.comment = "";
    CZ_CHECK(cz_atoms_write(path, a, &o) == CZ_OK, "write isolated: %s", cz_last_error());
    text = slurp(path);
    if (text) {
        line_of(text, 2, buf, sizeof buf);
        CZ_CHECK(strstr(buf, "Lattice") == NULL && strstr(buf, "pbc=\"F F F\"") &&
                     strstr(buf, "comment") == NULL,
                 "no Lattice and no comment: %s", buf);
        free(text);
    }
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "read isolated: %s",
             cz_last_error());
    if (b) check_same_atoms(a, b, 1e-9, "extxyz isolated");
    cz_atoms_destroy(b);

    /* A slab: periodic a and b, zero c row. Positions with 13 significant digits come back to
     * the 1e-10 Å the format carries. */
    double slab[3][3] = {{3.615 * 7.0, 0.0, 0.0}, {0.0, 3.615 * 6.0, 0.0}, {0.0, 0.0, 0.0}};
    const int pbc_xy[3] = {1, 1, 0};
    cz_atoms_set_cell(a, CZ_CROWS(slab), pbc_xy);
    a->xyz[2][0] = 12.04170000012345;
    a->xyz[2][2] = -3.999999999987;
    tpath(path, sizeof path, "slab.xyz");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "write slab: %s", cz_last_error());
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "read slab: %s", cz_last_error());
    if (b) check_same_atoms(a, b, 1e-9, "extxyz slab");
    cz_atoms_destroy(b);

    /* An empty structure is a valid file too. */
    cz_atoms *e = NULL;
    cz_atoms_create(0, &e);
    cz_atoms_set_cell(e, CZ_CROWS(slab), pbc_xy);
    tpath(path, sizeof path, "empty.xyz");
    CZ_CHECK(cz_atoms_write(path, e, NULL) == CZ_OK, "write empty: %s", cz_last_error());
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "read empty: %s", cz_last_error());
    if (b) check_same_atoms(e, b, 0.0, "extxyz empty");
    cz_atoms_destroy(b);
    cz_atoms_destroy(e);

    /* Overwriting replaces the file and leaves no temporary files behind. */
    tpath(path, sizeof path, "tri.xyz");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "overwrite: %s", cz_last_error());
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "re-read: %s", cz_last_error());
    if (b) CZ_CHECK(b->pbc[2] == 0 && b->cell[2][2] == 0.0, "the new content was read");
    cz_atoms_destroy(b);
    CZ_CHECK(count_temporaries("io_") == 0, "no temporary files left");
    cz_atoms_destroy(a);
}

/* Files as ASE 3.22 writes them (ase.io.write(..., format="extxyz")), and other dialects
 * of the comment line that ASE reads. */
static void test_extxyz_foreign(void) {
    char path[512];
    cz_atoms *b = NULL;
    tpath(path, sizeof path, "ase1.xyz");
    put_file(path,
             "2\n"
             "Lattice=\"0.0 1.8075 1.8075 1.8075 0.0 1.8075 3.615 3.615 0.0\" "
             "Properties=species:S:1:pos:R:3:forces:R:3 energy=-7.25 config_type=\"bulk fcc\" "
             "pbc=\"T T F\"\n"
             "Cu       0.00000000       0.00000000       0.00000000       0.10000000       "
             "0.20000000       0.30000000\n"
             "Cu       1.80750000       1.80750000       0.00000000      -0.10000000       "
             "0.00000000       0.50000000\n");
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "ASE file: %s", cz_last_error());
    if (b) {
        CZ_CHECK(b->n == 2 && b->z[0] == 29 && b->z[1] == 29, "Cu x2");
        CZ_CHECK(b->xyz[1][0] == 1.8075 && b->xyz[1][1] == 1.8075 && b->xyz[1][2] == 0.0,
                 "position skipped past forces");
        CZ_CHECK(b->cell[0][1] == 1.8075 && b->cell[2][0] == 3.615 && b->cell[2][2] == 0.0,
                 "cell rows a b c");
        CZ_CHECK(b->pbc[0] == 1 && b->pbc[1] == 1 && b->pbc[2] == 0, "pbc");
        CZ_CHECK(b->object_id[1] == 0 && b->grain_id[1] == 0 && b->class_id[1] == 0,
                 "labels default to 0");
    }
    cz_atoms_destroy(b);

    /* ASE writes pbc="T T T" for Atoms(pbc=True) without a cell; such axes are not periodic. */
    tpath(path, sizeof path, "ase3.xyz");
    put_file(path,
             "3\nProperties=species:S:1:pos:R:3 pbc=\"T T T\"\n"
             "H        0.00000000       0.00000000       0.00000000\n"
             "H        0.75700000       0.58600000       0.00000000\n"
             "O       -0.75700000       0.58600000       0.00000000\n");
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "pbc without cell: %s",
             cz_last_error());
    if (b) {
        CZ_CHECK(b->n == 3 && b->z[2] == 8 && b->xyz[2][0] == -0.757, "H2O");
        CZ_CHECK(b->pbc[0] == 0 && b->pbc[1] == 0 && b->pbc[2] == 0, "no periodic zero rows");
    }
    cz_atoms_destroy(b);

    /* Z instead of species; Lattice without pbc means all periodic (ASE's rule); spaces around
     * '=', single quotes, braces, a bare flag, CR LF line ends, a trailing second frame. */
    tpath(path, sizeof path, "dialect.xyz");
    put_file(path,
             "  2  \r\n"
             "flag Lattice = '4.0782 0 0 0 4.0782 0 0 0 4.0782' Properties={Z:I:1:pos:R:3:"
             "grain_id:I:1:tag:S:1:class_id:I:1} note=\"a=b\" escaped=\\\"x\r\n"
             "79 0.0 0.0 0.0 5 first 2\r\n"
             "  79\t2.0391 2.0391 0.0 6 second 3  \r\n"
             "1\n\nH 0 0 0\n");
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "dialects: %s", cz_last_error());
    if (b) {
        CZ_CHECK(b->n == 2 && b->z[0] == 79 && b->z[1] == 79, "Z column");
        CZ_CHECK(b->xyz[1][1] == 2.0391, "position");
        CZ_CHECK(b->grain_id[1] == 6 && b->class_id[1] == 3 && b->object_id[1] == 0,
                 "labels found among other columns");
        CZ_CHECK(b->pbc[0] && b->pbc[1] && b->pbc[2] && b->cell[2][2] == 4.0782,
                 "Lattice without pbc is periodic");
    }
    cz_atoms_destroy(b);

    /* Plain xyz with a free-text comment line: species and positions by default. */
    tpath(path, sizeof path, "plain.xyz");
    put_file(path, "2\nCO molecule, from a 1990s program\nc 0 0 0\nO 0 0 1.128\n");
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "plain xyz: %s", cz_last_error());
    if (b) CZ_CHECK(b->n == 2 && b->z[0] == 6 && b->z[1] == 8 && b->xyz[1][2] == 1.128, "CO");
    cz_atoms_destroy(b);

    /* species and Z both present and agreeing. */
    tpath(path, sizeof path, "both.xyz");
    put_file(path, "1\nProperties=species:S:1:pos:R:3:Z:I:1\nAu 1 2 3 79\n");
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "species+Z: %s", cz_last_error());
    if (b) CZ_CHECK(b->n == 1 && b->z[0] == 79, "Au");
    cz_atoms_destroy(b);
}

static void expect_read_fails(const char *name, const char *content, cz_format format,
                              const char *needle) {
    char path[512], want[600];
    tpath(path, sizeof path, name);
    put_file(path, content);
    cz_atoms *b = (cz_atoms *)&b; /* must be reset to NULL */
    cz_status s = cz_atoms_read(path, format, &b);
    snprintf(want, sizeof want, "%s:%s", path, needle);
    CZ_CHECK(s == CZ_EIO && strstr(cz_last_error(), want) != NULL && b == NULL,
             "%s: status %d, message \"%s\" (want \"%s\")", name, (int)s, cz_last_error(), want);
}

static void test_extxyz_malformed(void) {
    const cz_format X = CZ_FORMAT_EXTXYZ;
    expect_read_fails("m_empty.xyz", "", X, "1: empty file");
    expect_read_fails("m_count.xyz", "six\n\n", X, "1: expected the number of atoms");
    expect_read_fails("m_count2.xyz", "2 3\n\n", X, "1: expected the number of atoms");
    expect_read_fails("m_negative.xyz", "-3\n\n", X, "1: expected the number of atoms");
    expect_read_fails("m_huge.xyz", "99999999999\n\n", X, "1: 99999999999 atoms exceed");
    expect_read_fails("m_nocomment.xyz", "2\n", X, "2: unexpected end of file");
    expect_read_fails("m_quote.xyz", "1\nLattice=\"1 0 0 0 1 0 0 0 1\nH 0 0 0\n", X,
                      "2: unterminated \"");
    expect_read_fails("m_lattice8.xyz", "1\nLattice=\"1 0 0 0 1 0 0 0\"\nH 0 0 0\n", X,
                      "2: Lattice needs 9 numbers (got 8)");
    expect_read_fails("m_latticenan.xyz", "1\nLattice=\"1 0 0 0 one 0 0 0 1\"\nH 0 0 0\n", X,
                      "2: Lattice entry 5");
    expect_read_fails("m_singular.xyz", "1\nLattice=\"1 0 0 2 0 0 0 0 1\" pbc=\"T T T\"\nH 0 0 0\n",
                      X, "2: unusable Lattice/pbc");
    expect_read_fails("m_pbc.xyz", "1\npbc=\"T X F\"\nH 0 0 0\n", X, "2: pbc flag 'X'");
    expect_read_fails("m_pbc2.xyz", "1\npbc=\"T T\"\nH 0 0 0\n", X, "2: pbc needs 3 flags");
    expect_read_fails("m_stray.xyz", "1\nLattice=1=2\nH 0 0 0\n", X, "2: malformed value");
    expect_read_fails("m_nopos.xyz", "1\nProperties=species:S:1:position:R:3\nH 0 0 0\n", X,
                      "2: Properties has no pos:R:3");
    expect_read_fails("m_nospecies.xyz", "1\nProperties=pos:R:3\n0 0 0\n", X,
                      "2: Properties has neither species");
    expect_read_fails("m_triple.xyz", "1\nProperties=species:S:1:pos:R\nH 0 0 0\n", X,
                      "2: Properties must be name:type:count");
    expect_read_fails("m_type.xyz", "1\nProperties=species:S:1:pos:X:3\nH 0 0 0\n", X,
                      "2: bad Properties entry 'pos:X:3'");
    expect_read_fails("m_width.xyz", "1\nProperties=species:S:1:pos:R:2\nH 0 0\n", X,
                      "2: Properties column pos must be pos:R:3");
    expect_read_fails("m_short.xyz", "3\n\nH 0 0 0\nH 0 0 1\n", X,
                      "5: unexpected end of file: expected 3 atoms, found 2");
    expect_read_fails("m_columns.xyz", "1\n\nH 0 0\n", X, "3: expected 4 columns");
    expect_read_fails("m_extra.xyz", "1\n\nH 0 0 0 7\n", X, "3: expected 4 columns");
    expect_read_fails("m_element.xyz", "2\n\nH 0 0 0\nXx 0 0 1\n", X, "4: unknown element 'Xx'");
    expect_read_fails("m_mixedcase.xyz", "1\n\naU 0 0 0\n", X, "3: unknown element 'aU'");
    expect_read_fails("m_number.xyz", "1\n\nH 0 1.0.0 0\n", X, "3: position '1.0.0'");
    expect_read_fails("m_nan.xyz", "1\n\nH 0 nan 0\n", X, "3: position 'nan'");
    expect_read_fails("m_label.xyz",
                      "1\nProperties=species:S:1:pos:R:3:object_id:I:1\nH 0 0 0 1.5\n", X,
                      "3: label '1.5'");
    expect_read_fails("m_z.xyz", "1\nProperties=Z:I:1:pos:R:3\n0 0 0 0\n", X,
                      "3: Z '0' is not an atomic number");
    expect_read_fails("m_zspecies.xyz", "1\nProperties=species:S:1:pos:R:3:Z:I:1\nAu 0 0 0 78\n", X,
                      "3: Z 78 contradicts species Au");
}

/* ------------------------------------------------------------------------------------------ */
/* Prismatic                                                                                  */
/* ------------------------------------------------------------------------------------------ */

static void test_prismatic(void) {
    char path[512], buf[512];
    double cell[3][3] = {{21.69, 0.0, 0.0}, {0.0, 25.305, 0.0}, {0.0, 0.0, 18.075}};
    const int pbc[3] = {1, 1, 0};
    cz_atoms *a = make_sample(CZ_CROWS(cell), pbc);
    tpath(path, sizeof path, "ortho.prismatic");
    cz_write_opts o;
    cz_write_opts_default(&o);
    o.comment = "Au-Pd on C, 300 kV";
    CZ_CHECK(cz_atoms_write(path, a, &o) == CZ_OK, "write: %s", cz_last_error());
    char *text = slurp(path);
    if (text) {
        CZ_CHECK(strcmp(line_of(text, 1, buf, sizeof buf), "Au-Pd on C, 300 kV") == 0,
                 "comment line: %s", buf);
        CZ_CHECK(strstr(line_of(text, 2, buf, sizeof buf),
                        "21.6900000000 25.3050000000 "
                        "18.0750000000") != NULL,
                 "cell line: %s", buf);
        CZ_CHECK(strcmp(line_of(text, 5, buf, sizeof buf),
                        "6 3.6150000000 12.0417000000 7.3291000000 1 0.08") == 0,
                 "atom line: %s", buf);
        CZ_CHECK(strcmp(line_of(text, 9, buf, sizeof buf), "-1") == 0, "final -1: %s", buf);
        CZ_CHECK(strcmp(line_of(text, 10, buf, sizeof buf), "") == 0, "nothing after -1");
        free(text);
    }
    cz_atoms *b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "read: %s", cz_last_error());
    if (b) {
        CZ_CHECK(b->n == a->n, "count");
        int z_ok = 1;
        for (size_t i = 0; i < a->n && i < b->n; i++) z_ok &= a->z[i] == b->z[i];
        CZ_CHECK(z_ok, "Z");
        CZ_CHECK(max_pos_diff(a, b) <= 1e-9, "positions differ by %g", max_pos_diff(a, b));
        CZ_CHECK(max_cell_diff(CZ_CROWS(a->cell), CZ_CROWS(b->cell)) == 0.0, "cell");
        CZ_CHECK(b->pbc[0] == 0 && b->pbc[1] == 0 && b->pbc[2] == 0, "no pbc in this format");
    }
    cz_atoms_destroy(b);

    /* Options: occupancy and u_rms appear on every line. */
    o.occupancy = 0.5;
    o.u_rms = 0.0753;
    o.comment = NULL;
    CZ_CHECK(cz_atoms_write(path, a, &o) == CZ_OK, "write with options: %s", cz_last_error());
    text = slurp(path);
    if (text) {
        CZ_CHECK(strstr(line_of(text, 1, buf, sizeof buf), "written by cz") != NULL,
                 "default comment: %s", buf);
        CZ_CHECK(strstr(line_of(text, 3, buf, sizeof buf), " 0.5 0.0753") != NULL,
                 "occupancy and u_rms: %s", buf);
        free(text);
    }

    /* Noise-level off-diagonal entries (cells built from 90° angles) are accepted. */
    cell[2][0] = 18.075 * cos(PI / 2.0);
    cell[1][0] = 25.305 * cos(PI / 2.0);
    cz_atoms_set_cell(a, CZ_CROWS(cell), pbc);
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "90° cell: %s", cz_last_error());

    /* Axes without a cell row: the box is the extent plus padding on both sides, and the
     * atoms are shifted so that the padding is on both sides. */
    double slab[3][3] = {{21.69, 0.0, 0.0}, {0.0, 25.305, 0.0}, {0.0, 0.0, 0.0}};
    cz_atoms_set_cell(a, CZ_CROWS(slab), pbc);
    tpath(path, sizeof path, "slab.xyzp");
    o.padding = 7.5;
    CZ_CHECK(cz_atoms_write(path, a, &o) == CZ_OK, "slab: %s", cz_last_error());
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_PRISMATIC, &b) == CZ_OK, "read slab: %s",
             cz_last_error());
    if (b) {
        double zlo = -7.75, zhi = 7.3291;
        CZ_CHECK_CLOSE(b->cell[2][2], zhi - zlo + 15.0, 1e-12, "c = extent + 2 padding");
        CZ_CHECK(b->cell[0][0] == 21.69 && b->cell[1][1] == 25.305, "a and b kept");
        double dz = 0.0, dxy = 0.0;
        for (size_t i = 0; i < b->n; i++) {
            dz = fmax(dz, fabs(b->xyz[i][2] - (a->xyz[i][2] - zlo + 7.5)));
            dxy = fmax(dxy, fabs(b->xyz[i][0] - a->xyz[i][0]) + fabs(b->xyz[i][1] - a->xyz[i][1]));
        }
        CZ_CHECK(dz <= 1e-9 && dxy <= 1e-9, "only z shifted: dz %g dxy %g", dz, dxy);
    }
    cz_atoms_destroy(b);

    /* Isolated: all three axes from the extent. */
    cz_atoms_set_cell(a, ZERO_CELL, (const int[3]){0, 0, 0});
    tpath(path, sizeof path, "iso.xyzp");
    o.padding = 2.25;
    CZ_CHECK(cz_atoms_write(path, a, &o) == CZ_OK, "isolated: %s", cz_last_error());
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "read isolated: %s",
             cz_last_error());
    if (b) {
        CZ_CHECK_CLOSE(b->cell[0][0], 1000.123456789 + 2.71828 + 4.5, 1e-12, "a");
        CZ_CHECK_CLOSE(b->cell[1][1], 12.0417 + 0.577215 + 4.5, 1e-12, "b");
        CZ_CHECK_CLOSE(b->xyz[3][0], 2.25, 1e-12, "lowest x at the padding");
        CZ_CHECK_CLOSE(b->xyz[4][1], 2.25, 1e-12, "lowest y at the padding");
    }
    cz_atoms_destroy(b);

    /* Refusals (EINVAL) leave an existing file untouched. */
    tpath(path, sizeof path, "ortho.prismatic");
    char *before = slurp(path);
    cz_atoms_set_cell(a, TRICLINIC, (const int[3]){1, 1, 1});
    CZ_CHECK_FAILS(cz_atoms_write(path, a, NULL), CZ_EINVAL, "orthogonal cell");
    CZ_CHECK_FAILS(cz_atoms_write(path, a, NULL), CZ_EINVAL, "row b is (-2.1386, 4.9912, 0)");
    double swapped[3][3] = {{0.0, 21.69, 0.0}, {25.305, 0.0, 0.0}, {0.0, 0.0, 18.075}};
    cz_atoms_set_cell(a, CZ_CROWS(swapped), pbc);
    CZ_CHECK_FAILS(cz_atoms_write(path, a, NULL), CZ_EINVAL, "row a is (0, 21.69, 0)");
    char *after = slurp(path);
    CZ_CHECK(before && after && strcmp(before, after) == 0, "file untouched by refused writes");
    free(before);
    free(after);

    /* A flat structure with no padding would have a zero-length box. */
    cz_atoms_set_cell(a, CZ_CROWS(slab), pbc);
    for (size_t i = 0; i < a->n; i++) a->xyz[i][2] = 1.25;
    o.padding = 0.0;
    CZ_CHECK_FAILS(cz_atoms_write(path, a, &o), CZ_EINVAL, "zero length");
    cz_atoms_destroy(a);

    /* Foreign files: computem style with commas, blank lines, 4-field lines, trailing text. */
    tpath(path, sizeof path, "computem.xyzp");
    put_file(path,
             "Si [110] from computem\n"
             "  5.43, 3.8396, 7.679\n"
             "14, 0.0, 0.0, 0.0, 1.0, 0.076\n"
             "\n"
             "14 1.3575 1.9198 1.9198\n"
             "  -1  \n"
             "ignored text\n");
    b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK, "computem file: %s",
             cz_last_error());
    if (b) {
        CZ_CHECK(b->n == 2 && b->z[1] == 14 && b->xyz[1][0] == 1.3575, "atoms");
        CZ_CHECK(b->cell[0][0] == 5.43 && b->cell[1][1] == 3.8396 && b->cell[2][2] == 7.679,
                 "cell");
    }
    cz_atoms_destroy(b);

    const cz_format P = CZ_FORMAT_PRISMATIC;
    expect_read_fails("pm_empty.xyzp", "", P, "1: empty file");
    expect_read_fails("pm_nocell.xyzp", "comment\n", P, "2: unexpected end of file");
    expect_read_fails("pm_cell2.xyzp", "c\n5.43 5.43\n-1\n", P, "2: expected the cell lengths");
    expect_read_fails("pm_cellneg.xyzp", "c\n5.43 -5.43 5.43\n-1\n", P,
                      "2: cell length '-5.43' is not a positive number");
    expect_read_fails("pm_fields.xyzp", "c\n5 5 5\n14 0 0\n-1\n", P,
                      "3: expected 'Z x y z occupancy u_rms' (got 3 fields)");
    expect_read_fails("pm_fields7.xyzp", "c\n5 5 5\n14 0 0 0 1 0.07 9\n-1\n", P, "3: expected");
    expect_read_fails("pm_z.xyzp", "c\n5 5 5\n14 0 0 0 1 0.07\n0 0 0 0 1 0.07\n-1\n", P,
                      "4: '0' is not an atomic number");
    expect_read_fails("pm_symbol.xyzp", "c\n5 5 5\nSi 0 0 0 1 0.07\n-1\n", P,
                      "3: 'Si' is not an atomic number");
    expect_read_fails("pm_pos.xyzp", "c\n5 5 5\n14 0 x 0 1 0.07\n-1\n", P,
                      "3: field 3 'x' is not a finite number");
    expect_read_fails("pm_occ.xyzp", "c\n5 5 5\n14 0 0 0 inf 0.07\n-1\n", P, "3: field 5 'inf'");
    expect_read_fails("pm_end.xyzp", "c\n5 5 5\n14 0 0 0 1 0.07\n", P,
                      "4: unexpected end of file: missing the final -1");
}

/* ------------------------------------------------------------------------------------------ */
/* LAMMPS data                                                                                */
/* ------------------------------------------------------------------------------------------ */

/* The structure in LAMMPS's frame must be the input rotated: same edge lengths and angles,
 * same fractional coordinates of every atom, same distances. `edges_in` are the box edges the
 * writer should have used in the cz frame (the cell, or the completed box). */
static void check_lammps_equivalent(const cz_atoms *a, const lmp_data *d,
                                    const double edges_in[3][3], const char *what) {
    double e[3][3];
    lmp_edges(d, e);
    double gram_err = 0.0;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            double g_in = 0.0, g_out = 0.0;
            for (int k = 0; k < 3; k++) {
                g_in += edges_in[i][k] * edges_in[j][k];
                g_out += e[i][k] * e[j][k];
            }
            gram_err = fmax(gram_err, fabs(g_in - g_out));
        }
    }
    CZ_CHECK(gram_err <= 1e-8, "%s: edge lengths and angles kept (metric error %g)", what,
             gram_err);
    double ferr = 0.0;
    for (size_t i = 0; i < a->n && i < d->n; i++) {
        double f_in[3], f_out[3], rel[3];
        frac_of(edges_in, a->xyz[i], f_in);
        for (int k = 0; k < 3; k++) rel[k] = d->x[i][k] - d->lo[k];
        frac_of(CZ_CROWS(e), rel, f_out);
        /* The input fractions are relative to the cz origin, the output ones to the box
         * origin; compare differences between atoms, which do not depend on the origin. */
        if (i == 0) continue;
        double f0_in[3], f0_out[3], rel0[3];
        frac_of(edges_in, a->xyz[0], f0_in);
        for (int k = 0; k < 3; k++) rel0[k] = d->x[0][k] - d->lo[k];
        frac_of(CZ_CROWS(e), rel0, f0_out);
        for (int k = 0; k < 3; k++) {
            ferr = fmax(ferr, fabs((f_in[k] - f0_in[k]) - (f_out[k] - f0_out[k])));
        }
    }
    CZ_CHECK(ferr <= 1e-9, "%s: fractional coordinates kept (error %g)", what, ferr);
}

static void test_lammps(void) {
    char path[512], buf[512];
    lmp_data d;

    /* A lower-triangular triclinic cell is used as it is: exact positions and box. */
    const int pbc3[3] = {1, 1, 1};
    cz_atoms *a = make_sample(TRICLINIC, pbc3);
    tpath(path, sizeof path, "tri.lmp");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "write: %s", cz_last_error());
    CZ_CHECK(parse_lammps(path, &d), "parse");
    CZ_CHECK(d.natoms == 6 && d.n == 6 && d.ntypes == 5, "6 atoms, 5 types (got %zu, %d)", d.natoms,
             d.ntypes);
    /* Types in increasing Z: C=1 O=2 Si=3 Pd=4 Au=5. */
    CZ_CHECK(strcmp(d.sym[1], "C") == 0 && strcmp(d.sym[2], "O") == 0 &&
                 strcmp(d.sym[3], "Si") == 0 && strcmp(d.sym[4], "Pd") == 0 &&
                 strcmp(d.sym[5], "Au") == 0,
             "type symbols %s %s %s %s %s", d.sym[1], d.sym[2], d.sym[3], d.sym[4], d.sym[5]);
    CZ_CHECK(d.mass[5] == 196.966569 && d.mass[1] == 12.011 && d.mass[3] == 28.085, "masses");
    CZ_CHECK(d.type[0] == 5 && d.type[1] == 4 && d.type[2] == 1 && d.type[3] == 2 &&
                 d.type[4] == 3 && d.type[5] == 5,
             "atom types");
    CZ_CHECK(d.id[0] == 1 && d.id[5] == 6, "ids from 1");
    CZ_CHECK(d.lo[0] == 0.0 && d.hi[0] == 7.23 && d.hi[1] == 4.9912 && d.hi[2] == 8.9871,
             "box from the cell");
    CZ_CHECK(d.has_tilt && d.xy == -2.1386 && d.xz == -1.2044 && d.yz == 0.8213, "tilts");
    CZ_CHECK(!d.rotated_note, "not rotated");
    double dmax = 0.0;
    for (size_t i = 0; i < 6; i++) {
        for (int k = 0; k < 3; k++) dmax = fmax(dmax, fabs(d.x[i][k] - a->xyz[i][k]));
    }
    CZ_CHECK(dmax <= 1e-10, "positions as given (%g)", dmax);
    char *text = slurp(path);
    if (text) {
        CZ_CHECK(strstr(line_of(text, 1, buf, sizeof buf), "written by cz") != NULL,
                 "first line: %s", buf);
        CZ_CHECK(strstr(text, "\nMasses\n\n1 12.011  # C\n") != NULL, "Masses section");
        CZ_CHECK(strstr(text, "\nAtoms  # atomic\n\n1 5 0.0000000000 0.0000000000") != NULL,
                 "Atoms section");
        free(text);
    }

    /* An orthogonal cell: no tilt line. */
    double ortho[3][3] = {{21.69, 0.0, 0.0}, {0.0, 25.305, 0.0}, {0.0, 0.0, 18.075}};
    cz_atoms_set_cell(a, CZ_CROWS(ortho), pbc3);
    tpath(path, sizeof path, "ortho.data");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "orthogonal: %s", cz_last_error());
    CZ_CHECK(parse_lammps(path, &d) && !d.has_tilt && d.hi[1] == 25.305, "no tilt line");

    /* A general (rotated, triclinic) cell is rotated into the LAMMPS frame. */
    double rot[3][3], cell[3][3];
    rotation((const double[3]){1.0, -2.0, 3.0}, 37.3, rot);
    for (int i = 0; i < 3; i++) mulv(CZ_CROWS(rot), TRICLINIC[i], cell[i]);
    for (size_t i = 0; i < a->n; i++) mulv(CZ_CROWS(rot), a->xyz[i], a->xyz[i]);
    cz_atoms_set_cell(a, CZ_CROWS(cell), pbc3);
    tpath(path, sizeof path, "rotated.lammps");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "rotated: %s", cz_last_error());
    CZ_CHECK(parse_lammps(path, &d), "parse rotated");
    CZ_CHECK(d.rotated_note, "rotation noted in the header");
    CZ_CHECK(d.hi[0] - d.lo[0] > 0 && d.hi[1] - d.lo[1] > 0 && d.hi[2] - d.lo[2] > 0,
             "positive box lengths");
    CZ_CHECK(fabs(d.xy) <= 0.5 * (d.hi[0] - d.lo[0]) && fabs(d.xz) <= 0.5 * (d.hi[0] - d.lo[0]) &&
                 fabs(d.yz) <= 0.5 * (d.hi[1] - d.lo[1]),
             "tilts within LAMMPS's limits");
    check_lammps_equivalent(a, &d, CZ_CROWS(cell), "rotated");
    double dist_in = 0.0, dist_out = 0.0;
    for (int k = 0; k < 3; k++) {
        dist_in += pow(a->xyz[2][k] - a->xyz[4][k], 2);
        dist_out += pow(d.x[2][k] - d.x[4][k], 2);
    }
    CZ_CHECK_CLOSE(sqrt(dist_in), sqrt(dist_out), 1e-11, "distance kept");

    /* A left-handed cell: described from the far corner with −c; positions unchanged. */
    double left[3][3] = {{21.69, 0.0, 0.0}, {0.0, 25.305, 0.0}, {0.0, 0.0, -18.075}};
    cz_atoms_destroy(a);
    a = make_sample(CZ_CROWS(left), pbc3);
    tpath(path, sizeof path, "left.lmp");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "left-handed: %s", cz_last_error());
    CZ_CHECK(parse_lammps(path, &d), "parse left-handed");
    CZ_CHECK(d.lo[2] == -18.075 && d.hi[2] == 0.0 && !d.rotated_note, "z from -c to 0");
    CZ_CHECK(d.x[2][2] == 7.3291 && d.x[5][0] == 1000.123456789, "positions unchanged");
    cz_atoms_destroy(a);

    /* Large tilts along periodic axes are reduced by lattice vectors, atoms wrapped. */
    double skew[3][3] = {{4.0782, 0.0, 0.0}, {3.9, 2.7, 0.0}, {0.3, 4.4, 5.1}};
    a = make_sample(CZ_CROWS(skew), pbc3);
    tpath(path, sizeof path, "skew.lmp");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "skewed: %s", cz_last_error());
    CZ_CHECK(parse_lammps(path, &d), "parse skewed");
    double lx = d.hi[0] - d.lo[0], ly = d.hi[1] - d.lo[1];
    CZ_CHECK(fabs(d.xy) <= 0.5 * lx && fabs(d.xz) <= 0.5 * lx && fabs(d.yz) <= 0.5 * ly,
             "reduced tilts xy %g xz %g yz %g", d.xy, d.xz, d.yz);
    CZ_CHECK(fabs(d.xy - (3.9 - 4.0782)) < 1e-10, "xy = 3.9 - a (got %.12g)", d.xy);
    CZ_CHECK(fabs(d.yz - (4.4 - 2 * 2.7)) < 1e-10, "yz = 4.4 - 2 b_y (got %.12g)", d.yz);
    CZ_CHECK(fabs(d.xz - (0.3 - 2 * 3.9 + 2 * 4.0782)) < 1e-10,
             "xz = 0.3 - 2 b_x + 2 a (got %.12g)", d.xz);
    int lattice_ok = 1, inside_ok = 1;
    double e[3][3];
    lmp_edges(&d, e);
    for (size_t i = 0; i < a->n; i++) {
        double delta[3], f[3], rel[3];
        for (int k = 0; k < 3; k++) delta[k] = d.x[i][k] - a->xyz[i][k];
        frac_of(CZ_CROWS(skew), delta, f);
        for (int k = 0; k < 3; k++) {
            if (fabs(f[k] - round(f[k])) > 1e-9) lattice_ok = 0;
        }
        for (int k = 0; k < 3; k++) rel[k] = d.x[i][k] - d.lo[k];
        frac_of(CZ_CROWS(e), rel, f);
        if (f[0] < -1e-12 || f[0] >= 1.0 || f[1] < -1e-12 || f[1] >= 1.0) inside_ok = 0;
    }
    CZ_CHECK(lattice_ok, "atoms moved by lattice vectors only");
    CZ_CHECK(inside_ok, "atoms inside the reduced box along a and b");

    /* The same skew along non-periodic axes cannot be reduced: written as it is, with a note. */
    const int pbc_z[3] = {0, 0, 1};
    cz_atoms_set_cell(a, CZ_CROWS(skew), pbc_z);
    tpath(path, sizeof path, "skew_np.lmp");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "skew, non-periodic: %s", cz_last_error());
    CZ_CHECK(parse_lammps(path, &d) && d.xy == 3.9 && d.yz == 4.4 && d.tilt_note,
             "tilt kept and noted");
    CZ_CHECK(d.x[3][0] == -2.71828, "positions untouched");
    cz_atoms_destroy(a);

    /* Isolated structure: box = extent ± padding, positions untouched. */
    const int none[3] = {0, 0, 0};
    a = make_sample(ZERO_CELL, none);
    cz_write_opts o;
    cz_write_opts_default(&o);
    o.padding = 3.25;
    o.comment = "Au147 cluster";
    tpath(path, sizeof path, "iso.lmp");
    CZ_CHECK(cz_atoms_write(path, a, &o) == CZ_OK, "isolated: %s", cz_last_error());
    CZ_CHECK(parse_lammps(path, &d), "parse isolated");
    CZ_CHECK(fabs(d.lo[0] - (-2.71828 - 3.25)) < 1e-10 &&
                 fabs(d.hi[0] - (1000.123456789 + 3.25)) < 1e-10,
             "x box %g %g", d.lo[0], d.hi[0]);
    CZ_CHECK(fabs(d.lo[1] - (-0.577215 - 3.25)) < 1e-10 && fabs(d.hi[1] - (12.0417 + 3.25)) < 1e-10,
             "y box");
    CZ_CHECK(fabs(d.lo[2] - (-7.75 - 3.25)) < 1e-10 && fabs(d.hi[2] - (7.3291 + 3.25)) < 1e-10,
             "z box");
    CZ_CHECK(!d.has_tilt && !d.rotated_note, "orthogonal, not rotated");
    CZ_CHECK(d.x[2][1] == 12.0417 && d.x[3][2] == 1.41421, "positions untouched");
    text = slurp(path);
    if (text) {
        CZ_CHECK(strcmp(line_of(text, 1, buf, sizeof buf), "Au147 cluster") == 0, "comment");
        free(text);
    }

    /* A hexagonal slab rotated about z, without a c row: c is completed along the normal. */
    rotation((const double[3]){0.0, 0.0, 1.0}, 17.0, rot);
    double hex[3][3] = {
        {2.46 * 5, 0.0, 0.0}, {-2.46 * 2.5, 2.46 * 5 * sqrt(3.0) / 2, 0.0}, {0, 0, 0}};
    for (int i = 0; i < 2; i++) mulv(CZ_CROWS(rot), hex[i], hex[i]);
    cz_atoms_set_cell(a, CZ_CROWS(hex), (const int[3]){1, 1, 0});
    tpath(path, sizeof path, "hexslab.lmp");
    o.padding = 5.0;
    CZ_CHECK(cz_atoms_write(path, a, &o) == CZ_OK, "hex slab: %s", cz_last_error());
    CZ_CHECK(parse_lammps(path, &d), "parse hex slab");
    CZ_CHECK(d.xz == 0.0 && d.yz == 0.0, "c normal to the slab");
    CZ_CHECK(fabs(d.hi[2] - d.lo[2] - (7.3291 + 7.75 + 10.0)) < 1e-9, "c = extent + 2 padding");
    double box_in[3][3] = {{hex[0][0], hex[0][1], 0}, {hex[1][0], hex[1][1], 0}, {0, 0, 25.0791}};
    check_lammps_equivalent(a, &d, CZ_CROWS(box_in), "hex slab");
    cz_atoms_destroy(a);

    /* Hexagonal cells put xy exactly on LAMMPS's limit of lx/2. Whatever the orientation (and
     * with a left-handed c, which moves the box origin), the numbers in the file must pass
     * LAMMPS's own test, |xy / (xhi - xlo)| <= 0.5, computed on the values it reads. */
    int limit_ok = 1, metric_ok = 1;
    for (int t = 0; t < 36; t++) {
        double hc[3][3] = {{3.2094, 0.0, 0.0},
                           {-1.6047, 3.2094 * sqrt(3.0) / 2.0, 0.0},
                           {0.37 * t, -0.21 * t, (t % 2 ? -1.0 : 1.0) * 5.2108}};
        rotation((const double[3]){0.3 * t, 1.0, 2.0 - 0.1 * t}, 10.0 * t, rot);
        for (int i = 0; i < 3; i++) mulv(CZ_CROWS(rot), hc[i], hc[i]);
        a = make_sample(CZ_CROWS(hc), pbc3);
        tpath(path, sizeof path, "hexlimit.lmp");
        if (cz_atoms_write(path, a, NULL) != CZ_OK || !parse_lammps(path, &d)) {
            limit_ok = 0;
        } else {
            if (fabs(d.xy / (d.hi[0] - d.lo[0])) > 0.5 || fabs(d.xz / (d.hi[0] - d.lo[0])) > 0.5 ||
                fabs(d.yz / (d.hi[1] - d.lo[1])) > 0.5)
                limit_ok = 0;
            double e2[3][3];
            lmp_edges(&d, e2);
            /* Same lattice: |det| and the length of a are kept. */
            double det_in = fabs(hc[0][0] * (hc[1][1] * hc[2][2] - hc[1][2] * hc[2][1]) -
                                 hc[0][1] * (hc[1][0] * hc[2][2] - hc[1][2] * hc[2][0]) +
                                 hc[0][2] * (hc[1][0] * hc[2][1] - hc[1][1] * hc[2][0]));
            double det_out = e2[0][0] * e2[1][1] * e2[2][2];
            if (fabs(det_in - det_out) > 1e-8 || fabs(e2[0][0] - 3.2094) > 1e-9) metric_ok = 0;
        }
        cz_atoms_destroy(a);
    }
    CZ_CHECK(limit_ok, "hexagonal cells pass LAMMPS's tilt test in every orientation");
    CZ_CHECK(metric_ok, "hexagonal cells keep their volume and a");

    /* Refusals. */
    cz_atoms *empty = NULL;
    cz_atoms_create(0, &empty);
    CZ_CHECK_FAILS(cz_atoms_write(path, empty, NULL), CZ_EINVAL, "at least one atom");
    cz_atoms_destroy(empty);
    a = make_sample(ZERO_CELL, none);
    for (size_t i = 0; i < a->n; i++) a->xyz[i][1] = 0.5;
    o.padding = 0.0;
    CZ_CHECK_FAILS(cz_atoms_write(path, a, &o), CZ_EINVAL, "zero length");
    cz_atoms_destroy(a);

    /* Reading LAMMPS data is not supported, by extension or by name. */
    cz_atoms *b = (cz_atoms *)&b;
    CZ_CHECK_FAILS(cz_atoms_read(path, CZ_FORMAT_AUTO, &b), CZ_ENOTSUP, "LAMMPS");
    CZ_CHECK(b == NULL, "out reset");
    tpath(path, sizeof path, "tri.xyz");
    CZ_CHECK_FAILS(cz_atoms_read(path, CZ_FORMAT_LAMMPS, &b), CZ_ENOTSUP, "not supported");
}

/* ------------------------------------------------------------------------------------------ */
/* Argument and file-system errors                                                            */
/* ------------------------------------------------------------------------------------------ */

static void test_write_errors(void) {
    char path[512];
    const int pbc[3] = {1, 1, 0};
    cz_atoms *a = make_sample(TRICLINIC, pbc);
    tpath(path, sizeof path, "err.xyz");
    cz_write_opts o;

    CZ_CHECK_FAILS(cz_atoms_write(NULL, a, NULL), CZ_EINVAL, "path is NULL");
    CZ_CHECK_FAILS(cz_atoms_write("", a, NULL), CZ_EINVAL, "path is empty");
    CZ_CHECK_FAILS(cz_atoms_write(path, NULL, NULL), CZ_EINVAL, "atoms is NULL");
    CZ_CHECK_FAILS(cz_atoms_write("out.cif", a, NULL), CZ_EINVAL, "'.cif'");
    CZ_CHECK_FAILS(cz_atoms_write("out.cif", a, NULL), CZ_EINVAL, "cz_atoms_write");
    cz_write_opts_default(&o);
    o.format = (cz_format)42;
    CZ_CHECK_FAILS(cz_atoms_write(path, a, &o), CZ_EINVAL, "unknown format 42");
    cz_write_opts_default(&o);
    o.padding = -1.5;
    CZ_CHECK_FAILS(cz_atoms_write(path, a, &o), CZ_EINVAL, "padding must be >= 0");
    cz_write_opts_default(&o);
    o.u_rms = NAN;
    CZ_CHECK_FAILS(cz_atoms_write(path, a, &o), CZ_EINVAL, "u_rms");
    cz_write_opts_default(&o);
    o.occupancy = 1.5;
    CZ_CHECK_FAILS(cz_atoms_write(path, a, &o), CZ_EINVAL, "occupancy must be in [0, 1]");
    cz_write_opts_default(&o);
    o.comment = "two\nlines";
    CZ_CHECK_FAILS(cz_atoms_write(path, a, &o), CZ_EINVAL, "single line");

    /* Atoms the container would not have accepted, edited in place. */
    a->z[3] = 0;
    CZ_CHECK_FAILS(cz_atoms_write(path, a, NULL), CZ_EINVAL, "atom 3 has atomic number 0");
    a->z[3] = 8;
    a->xyz[4][1] = INFINITY;
    CZ_CHECK_FAILS(cz_atoms_write(path, a, NULL), CZ_EINVAL, "atom 4 has a non-finite position");
    a->xyz[4][1] = -0.577215;
    a->cell[1][1] = NAN;
    CZ_CHECK_FAILS(cz_atoms_write(path, a, NULL), CZ_EINVAL, "cell is not finite");
    a->cell[1][1] = 4.9912;

    /* File-system failures: the message carries the path and strerror. */
    CZ_CHECK_FAILS(cz_atoms_write("/nonexistent/dir/x.xyz", a, NULL), CZ_EIO,
                   "/nonexistent/dir/x.xyz");
    CZ_CHECK_FAILS(cz_atoms_write("/nonexistent/dir/x.xyz", a, NULL), CZ_EIO, strerror(ENOENT));
    /* The target is a directory: the temporary file is written, the rename fails, and the
     * temporary file is removed. */
    char dir[512];
    tpath(dir, sizeof dir, "adir.xyz");
    mkdir(dir, 0755);
    CZ_CHECK_FAILS(cz_atoms_write(dir, a, NULL), CZ_EIO, "cannot rename");
    CZ_CHECK_FAILS(cz_atoms_write(dir, a, NULL), CZ_EIO, strerror(EISDIR));
    CZ_CHECK(count_temporaries("io_adir") == 0, "temporary file removed after failure");
    struct stat st;
    CZ_CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode), "directory untouched");
    /* A stale temporary file of this pid does not block the write. */
    char stale[600];
    tpath(path, sizeof path, "stale.xyz");
    snprintf(stale, sizeof stale, "%s.tmp.%ld", path, (long)getpid());
    put_file(stale, "stale");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "write beside a stale temporary: %s",
             cz_last_error());
    remove(stale);
    cz_atoms_destroy(a);
}

/* A write that fails part-way (here: a file-size limit in a child process, EFBIG) must report
 * CZ_EIO with the path and strerror, remove its temporary file and leave the old target. */
static void test_write_fails_midway(void) {
    char path[512];
    tpath(path, sizeof path, "midway.xyz");
    put_file(path, "old content\n");
    cz_atoms *a = NULL;
    cz_atoms_create(0, &a);
    for (int i = 0; i < 500; i++) {
        double r[3] = {0.731 * i, 1.0417 * (i % 13), 2.2 * (i % 7)};
        cz_atoms_push(a, r, 79, 1, 1, 1);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max = 4096;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(100);
        cz_status s = cz_atoms_write(path, a, NULL);
        const char *m = cz_last_error();
        int ok = s == CZ_EIO && strstr(m, "cannot write") && strstr(m, path) &&
                 strstr(m, strerror(EFBIG));
        if (!ok) printf("child: status %d, message \"%s\"\n", (int)s, m);
        fflush(stdout);
        _exit(ok ? 0 : 1);
    }
    int st = 0;
    CZ_CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
             "write beyond RLIMIT_FSIZE fails with CZ_EIO (child status %d)", st);
    char *text = slurp(path);
    CZ_CHECK(text && strcmp(text, "old content\n") == 0, "old file kept");
    free(text);
    CZ_CHECK(count_temporaries("io_midway") == 0, "temporary file removed");
    cz_atoms_destroy(a);
}

static void test_read_errors(void) {
    char path[512];
    cz_atoms *b = (cz_atoms *)&b;
    tpath(path, sizeof path, "tri.xyz");
    CZ_CHECK_FAILS(cz_atoms_read(path, CZ_FORMAT_AUTO, NULL), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_atoms_read(NULL, CZ_FORMAT_AUTO, &b), CZ_EINVAL, "path is NULL");
    CZ_CHECK(b == NULL, "out reset to NULL");
    CZ_CHECK_FAILS(cz_atoms_read("in.pdb", CZ_FORMAT_AUTO, &b), CZ_EINVAL, "'.pdb'");
    CZ_CHECK_FAILS(cz_atoms_read("in.pdb", CZ_FORMAT_AUTO, &b), CZ_EINVAL, "cz_atoms_read");
    CZ_CHECK_FAILS(cz_atoms_read(path, (cz_format)-3, &b), CZ_EINVAL, "unknown format -3");
    CZ_CHECK_FAILS(cz_atoms_read("/nonexistent/dir/x.xyz", CZ_FORMAT_AUTO, &b), CZ_EIO,
                   "cannot open '/nonexistent/dir/x.xyz'");
    CZ_CHECK_FAILS(cz_atoms_read("/nonexistent/dir/x.xyz", CZ_FORMAT_AUTO, &b), CZ_EIO,
                   strerror(ENOENT));
    /* A directory opens but cannot be read. */
    CZ_CHECK_FAILS(cz_atoms_read(cz_test_tmpdir(), CZ_FORMAT_EXTXYZ, &b), CZ_EIO, strerror(EISDIR));
    CZ_CHECK_FAILS(cz_atoms_read(cz_test_tmpdir(), CZ_FORMAT_PRISMATIC, &b), CZ_EIO, "cannot read");
    CZ_CHECK(b == NULL, "out still NULL");
}

/* ------------------------------------------------------------------------------------------ */
/* Out of memory: a child process with a tight address-space limit                            */
/* ------------------------------------------------------------------------------------------ */

#if !defined(TEST_ASAN)
#define BIG_N 200000

static long address_space_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = -1;
    if (f) {
        if (fscanf(f, "%ld", &pages) != 1) pages = -1;
        fclose(f);
    }
    return pages < 0 ? -1 : pages * sysconf(_SC_PAGESIZE);
}

/* Run `what` (0 = LAMMPS write, 1 = extxyz read) in a child allowed only 1 MiB more address
 * space than it has; returns the cz_status it got, or -1 when the test cannot run. */
static int status_under_limit(int what, const char *path, const cz_atoms *a) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        long vm = address_space_bytes();
        if (vm < 0) _exit(100);
        struct rlimit rl;
        rl.rlim_cur = rl.rlim_max = (rlim_t)vm + (1 << 20);
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(100);
        cz_status s;
        if (what == 0) {
            s = cz_atoms_write(path, a, NULL);
        } else {
            cz_atoms *b = NULL;
            s = cz_atoms_read(path, CZ_FORMAT_AUTO, &b);
            cz_atoms_destroy(b);
        }
        _exit((int)s);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) == 100) return -1;
    return WEXITSTATUS(st);
}

static void test_out_of_memory(void) {
    char path[512];
    cz_atoms *a = NULL;
    cz_atoms_create(BIG_N, &a);
    for (size_t i = 0; i < BIG_N; i++) {
        double r[3] = {0.37 * (double)(i % 97), 0.41 * (double)(i % 89), 0.29 * (double)(i % 83)};
        cz_atoms_push(a, r, 79, 1, 1, 1);
    }
    tpath(path, sizeof path, "big.lmp");
    int s = status_under_limit(0, path, a);
    if (s >= 0) {
        CZ_CHECK(s == CZ_ENOMEM, "LAMMPS writer under a memory limit: status %d", s);
    } else {
        printf("SKIP out-of-memory write test (no /proc or no fork)\n");
    }
    tpath(path, sizeof path, "big.xyz");
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "big file: %s", cz_last_error());
    cz_atoms_destroy(a);
    s = status_under_limit(1, path, NULL);
    if (s >= 0) {
        CZ_CHECK(s == CZ_ENOMEM, "extxyz reader under a memory limit: status %d", s);
    } else {
        printf("SKIP out-of-memory read test\n");
    }
    cz_atoms *b = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_AUTO, &b) == CZ_OK && b && b->n == BIG_N,
             "the same file reads without the limit: %s", cz_last_error());
    cz_atoms_destroy(b);
    remove(path);
}
#endif

/* The extxyz writer formats coordinates by hand; every number must be exactly what
 * printf("%17.10f") writes, including values next to a rounding boundary of the 10th decimal
 * and negative values that round to zero. */
static void test_extxyz_number_format(void) {
    cz_atoms *a = NULL;
    cz_atoms_create(0, &a);
    size_t n = 0;
    for (uint64_t i = 0; i < 60000; i++) {
        double x[3];
        for (int k = 0; k < 3; k++) {
            double u = cz_rng_uniform(77, (uint64_t)k, i);
            switch ((i + (uint64_t)k) % 4) {
                case 0: x[k] = (u - 0.5) * 2e4; break;                 /* ordinary */
                case 1: x[k] = (double)(long)(u * 1e6) * 1e-10 + 0.5e-10; break; /* near a tie */
                case 2: x[k] = -(u * 1e-11); break;                    /* rounds to −0 */
                default: x[k] = (u - 0.5) * 1.9e8; break;              /* beyond 1e8: printf */
            }
        }
        cz_atoms_push(a, x, 1 + (int)(i % 90), 0, 0, 0);
        n++;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/format_check.xyz", cz_test_tmpdir());
    CZ_CHECK(cz_atoms_write(path, a, NULL) == CZ_OK, "%s", cz_last_error());
    FILE *f = fopen(path, "r");
    char line[256], want[64];
    size_t bad = 0, seen = 0;
    if (f && fgets(line, sizeof line, f) && fgets(line, sizeof line, f)) {
        for (size_t i = 0; i < n && fgets(line, sizeof line, f); i++, seen++) {
            char *save = NULL, *tok = strtok_r(line, " \n", &save); /* species */
            for (int k = 0; k < 3; k++) {
                tok = strtok_r(NULL, " \n", &save);
                snprintf(want, sizeof want, "%.10f", a->xyz[i][k]);
                if (!tok || strcmp(tok, want) != 0) {
                    if (!bad) printf("  first mismatch: line %zu col %d: %s vs %s\n", i, k, tok ? tok : "(none)", want);
                    bad++;
                }
            }
        }
    }
    if (f) fclose(f);
    CZ_CHECK(seen == n && bad == 0, "%zu of %zu lines read, %zu numbers differ from printf", seen,
             n, bad);
    remove(path);
    cz_atoms_destroy(a);
}

int main(void) {
    test_opts_and_formats();
    test_extxyz_roundtrip();
    test_extxyz_number_format();
    test_extxyz_foreign();
    test_extxyz_malformed();
    test_prismatic();
    test_lammps();
    test_write_errors();
    test_write_fails_midway();
    test_read_errors();
#if !defined(TEST_ASAN)
    test_out_of_memory();
#else
    printf("SKIP out-of-memory tests under AddressSanitizer\n");
#endif
    return cz_test_summary("io");
}
