/* io.c — structure files: extended XYZ, LAMMPS data and Prismatic/computem xyz (cz_io.h).
 *
 * Numbers are printed with printf and parsed with strtod, both of which follow LC_NUMERIC.
 * Every host cz runs in (the CLI, CPython, LAMMPS) leaves LC_NUMERIC at "C", which is what
 * all three file formats require. */
#define _POSIX_C_SOURCE 200809L

#include "cz/cz_io.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cz/cz_elements.h"
#include "cz/cz_error.h"
#include "error.h"
#include "vec.h"

/* Failures inside helpers are reported under the public function the user called. */
static const char WRITE_FN[] = "cz_atoms_write";
static const char READ_FN[] = "cz_atoms_read";

/* Reading does not trust the atom count in a file header for its first allocation: a
 * corrupt or hostile count would otherwise reserve gigabytes before the first atom line. The
 * container grows from this size as atoms are actually read. */
#define INITIAL_READ_CAPACITY ((size_t)1 << 16)

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* strerror() may use a shared buffer; the XSI strerror_r keeps the message in ours, which is
 * what keeps these functions reentrant. */
static const char *errno_text(int e, char *buf, size_t len) {
    if (strerror_r(e, buf, len) != 0) snprintf(buf, len, "error %d", e);
    return buf;
}

/* Whitespace in the ASCII sense only, so parsing never depends on the locale's ctype. */
static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

static int equal_nocase(const char *a, const char *b) {
    for (; *a && *b; a++, b++) {
        if (ascii_lower(*a) != ascii_lower(*b)) return 0;
    }
    return *a == *b;
}

static int row_is_zero(const double r[3]) { return r[0] == 0.0 && r[1] == 0.0 && r[2] == 0.0; }

static int cell_is_zero(const double cell[3][3]) {
    return row_is_zero(cell[0]) && row_is_zero(cell[1]) && row_is_zero(cell[2]);
}

/* Split s in place at whitespace (and at commas when `commas` is set), storing at most `max`
 * token pointers. Returns the total number of tokens, which may exceed `max`. */
static size_t split_tokens(char *s, int commas, char **tok, size_t max) {
    size_t count = 0;
    char *p = s;
    for (;;) {
        while (*p && (is_space(*p) || (commas && *p == ','))) p++;
        if (!*p) break;
        if (count < max) tok[count] = p;
        count++;
        while (*p && !is_space(*p) && !(commas && *p == ',')) p++;
        if (!*p) break;
        *p++ = '\0';
    }
    return count;
}

/* Whole-token conversions: trailing garbage, empty strings, overflow and (for doubles)
 * non-finite values are all refused, because a half-parsed number in a structure file is a
 * silently wrong structure. */
static int parse_double(const char *s, double *v) {
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end != '\0' || !isfinite(x)) return 0;
    *v = x;
    return 1;
}

static int parse_int(const char *s, int *v) {
    char *end = NULL;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE || x < INT_MIN || x > INT_MAX) return 0;
    *v = (int)x;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Formats and options                                                                        */
/* ------------------------------------------------------------------------------------------ */

void cz_write_opts_default(cz_write_opts *opts) {
    if (!opts) return;
    opts->format = CZ_FORMAT_AUTO;
    opts->u_rms = 0.08;
    opts->occupancy = 1.0;
    opts->padding = 5.0;
    opts->comment = NULL;
}

cz_status cz_format_from_path(const char *path, cz_format *format) {
    if (format) *format = CZ_FORMAT_AUTO;
    if (!path) return CZ_FAIL(CZ_EINVAL, "path is NULL");
    if (!format) return CZ_FAIL(CZ_EINVAL, "output format is NULL");
    /* The extension is whatever follows the last dot of the last path component; a leading
     * dot (".xyz" as a whole file name) marks a hidden file, not an extension. */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base) {
        return CZ_FAIL(CZ_EINVAL,
                       "cannot tell the format of '%s': no file extension (use .xyz, .extxyz, "
                       ".lmp, .data, .lammps, .prismatic or .xyzp, or name the format)",
                       path);
    }
    static const struct {
        const char *ext;
        cz_format format;
    } known[] = {{".xyz", CZ_FORMAT_EXTXYZ},    {".extxyz", CZ_FORMAT_EXTXYZ},
                 {".lmp", CZ_FORMAT_LAMMPS},    {".data", CZ_FORMAT_LAMMPS},
                 {".lammps", CZ_FORMAT_LAMMPS}, {".prismatic", CZ_FORMAT_PRISMATIC},
                 {".xyzp", CZ_FORMAT_PRISMATIC}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (equal_nocase(dot, known[i].ext)) {
            *format = known[i].format;
            return CZ_OK;
        }
    }
    return CZ_FAIL(CZ_EINVAL,
                   "unknown file extension '%s' in '%s' (use .xyz, .extxyz, .lmp, .data, .lammps, "
                   ".prismatic or .xyzp, or name the format)",
                   dot, path);
}

cz_status cz_format_from_name(const char *name, cz_format *format) {
    if (format) *format = CZ_FORMAT_AUTO;
    if (!name) return CZ_FAIL(CZ_EINVAL, "format name is NULL");
    if (!format) return CZ_FAIL(CZ_EINVAL, "output format is NULL");
    static const struct {
        const char *name;
        cz_format format;
    } known[] = {{"auto", CZ_FORMAT_AUTO},          {"extxyz", CZ_FORMAT_EXTXYZ},
                 {"xyz", CZ_FORMAT_EXTXYZ},         {"lammps", CZ_FORMAT_LAMMPS},
                 {"lammps-data", CZ_FORMAT_LAMMPS}, {"prismatic", CZ_FORMAT_PRISMATIC}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (equal_nocase(name, known[i].name)) {
            *format = known[i].format;
            return CZ_OK;
        }
    }
    return CZ_FAIL(CZ_EINVAL,
                   "unknown format '%.64s' (use extxyz, xyz, lammps, lammps-data, prismatic or "
                   "auto)",
                   name);
}

/* Resolve CZ_FORMAT_AUTO from the path and refuse values outside the enum (a cast integer). */
static cz_status resolve_format(const char *fn, const char *path, cz_format requested,
                                cz_format *format) {
    if (requested == CZ_FORMAT_AUTO) {
        cz_status s = cz_format_from_path(path, format);
        if (s != CZ_OK) {
            /* Report under the caller's name: "cz_atoms_write: unknown file extension ...". */
            static const char prefix[] = "cz_format_from_path: ";
            char msg[512];
            const char *m = cz_last_error();
            if (strncmp(m, prefix, sizeof prefix - 1) == 0) m += sizeof prefix - 1;
            snprintf(msg, sizeof msg, "%s", m);
            return CZ_FAIL_AS(fn, s, "%s", msg);
        }
        return CZ_OK;
    }
    if (requested != CZ_FORMAT_EXTXYZ && requested != CZ_FORMAT_LAMMPS &&
        requested != CZ_FORMAT_PRISMATIC) {
        return CZ_FAIL_AS(fn, CZ_EINVAL, "unknown format %d for '%s'", (int)requested, path);
    }
    *format = requested;
    return CZ_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Output file: temporary name, then rename                                                   */
/* ------------------------------------------------------------------------------------------ */

/* Writers never touch the target until the file is complete: they write "<path>.tmp.<pid>"
 * and rename it over the target, which POSIX makes atomic within one file system. A reader
 * of the target therefore sees either the old file or the whole new one. */
typedef struct out_file {
    FILE *f;
    const char *path;
    char *tmp;
    int err; /* errno of the first failed write; 0 while every write succeeded */
} out_file;

static cz_status out_open(out_file *o, const char *path) {
    o->f = NULL;
    o->path = path;
    o->err = 0;
    size_t len = strlen(path) + 48;
    o->tmp = malloc(len);
    if (!o->tmp) return CZ_FAIL_AS(WRITE_FN, CZ_ENOMEM, "out of memory for '%s'", path);
    /* "wx" (C11) creates the file exclusively. Two threads of one process writing the same
     * target would otherwise share a temporary name; the numbered fallbacks keep them apart,
     * as well as a stale temporary file left by an earlier process with the same pid. */
    long pid = (long)getpid();
    int e = 0;
    for (int k = 0; k < 64; k++) {
        if (k == 0) {
            snprintf(o->tmp, len, "%s.tmp.%ld", path, pid);
        } else {
            snprintf(o->tmp, len, "%s.tmp.%ld.%d", path, pid, k);
        }
        errno = 0;
        o->f = fopen(o->tmp, "wx");
        if (o->f) return CZ_OK;
        e = errno;
        if (e != EEXIST) break;
    }
    char eb[128];
    cz_status s = CZ_FAIL_AS(WRITE_FN, CZ_EIO, "cannot create '%s' (temporary file '%s'): %s", path,
                             o->tmp, errno_text(e, eb, sizeof eb));
    free(o->tmp);
    o->tmp = NULL;
    return s;
}

/* v exactly as printf("%17.10f") writes it (right-aligned in 17 columns, 10 decimals), for
 * |v| < 1e5 Å (so |v|·1e10 < 2^53 and its integer part is exact); larger values, which no
 * structure has, go through snprintf. The product p = |v|·1e10 is rounded, but fma
 * gives its exact error e (1e10 is exact in binary), so the exact fraction of |v|·1e10 is
 * (p − ⌊p⌋) + e and the rounding below matches printf's correctly rounded result. A tie cannot
 * happen: it would need a binary |v| with a factor 5^10 in its denominator.
 * Returns the number of characters written (no terminating NUL). */
static size_t fmt_fixed10(char *out, double v) {
    if (!(fabs(v) < 1e5)) return (size_t)snprintf(out, 64, "%17.10f", v);
    double a = fabs(v), p = a * 1e10, e = fma(a, 1e10, -p), fl = floor(p);
    /* d = fraction − ½ is exact and, when not zero, at least one ulp of p, while |e| <= ulp/2:
     * so the exact fraction is above ½ iff d > 0, or d == 0 and e > 0. */
    double d = (p - fl) - 0.5;
    unsigned long long u = (unsigned long long)fl + ((d > 0 || (d == 0 && e > 0)) ? 1u : 0u);
    int neg = signbit(v) != 0;
    char tmp[32];
    int n = 0;
    for (int digit = 0; digit < 10; digit++) {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    }
    tmp[n++] = '.';
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (neg) tmp[n++] = '-';
    size_t k = 0;
    for (int pad = 17 - n; pad > 0; pad--) out[k++] = ' ';
    while (n > 0) out[k++] = tmp[--n];
    return k;
}

static void out_printf(out_file *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void out_printf(out_file *o, const char *fmt, ...) {
    if (o->err) return;
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    int r = vfprintf(o->f, fmt, ap);
    va_end(ap);
    if (r < 0) o->err = errno ? errno : EIO;
}

/* Finish the file: on success flush, close and rename over the target; on any failure (a
 * previous status, a failed write, close or rename) remove the temporary file. */
static cz_status out_close(out_file *o, cz_status status) {
    char eb[128];
    int e = o->err;
    if (status == CZ_OK && !e) {
        errno = 0;
        if (fflush(o->f) != 0 || ferror(o->f)) e = errno ? errno : EIO;
    }
    errno = 0;
    if (fclose(o->f) != 0 && !e) e = errno ? errno : EIO;
    o->f = NULL;
    if (status == CZ_OK && e) {
        status = CZ_FAIL_AS(WRITE_FN, CZ_EIO, "cannot write '%s': %s", o->path,
                            errno_text(e, eb, sizeof eb));
    }
    if (status == CZ_OK) {
        errno = 0;
        if (rename(o->tmp, o->path) != 0) {
            e = errno;
            status = CZ_FAIL_AS(WRITE_FN, CZ_EIO, "cannot rename '%s' to '%s': %s", o->tmp, o->path,
                                errno_text(e, eb, sizeof eb));
        }
    }
    if (status != CZ_OK) remove(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Validation shared by the writers                                                           */
/* ------------------------------------------------------------------------------------------ */

static cz_status check_atoms(const cz_atoms *atoms) {
    if (atoms->n > 0 && (!atoms->xyz || !atoms->z)) {
        return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL, "atoms has n = %zu but NULL position or Z arrays",
                          atoms->n);
    }
    if (!m3_finite(atoms->cell)) return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL, "cell is not finite");
    for (size_t i = 0; i < atoms->n; i++) {
        if (atoms->z[i] < 1 || atoms->z[i] > CZ_MAX_Z) {
            return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL, "atom %zu has atomic number %d (not 1..%d)", i,
                              atoms->z[i], CZ_MAX_Z);
        }
        if (!v3_finite(atoms->xyz[i])) {
            return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL, "atom %zu has a non-finite position", i);
        }
    }
    return CZ_OK;
}

static cz_status check_opts(const cz_write_opts *opts) {
    if (!isfinite(opts->padding) || opts->padding < 0.0) {
        return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL, "padding must be >= 0 Å (got %g)", opts->padding);
    }
    if (!isfinite(opts->u_rms) || opts->u_rms < 0.0) {
        return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL, "u_rms must be >= 0 Å (got %g)", opts->u_rms);
    }
    if (!isfinite(opts->occupancy) || opts->occupancy < 0.0 || opts->occupancy > 1.0) {
        return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL, "occupancy must be in [0, 1] (got %g)",
                          opts->occupancy);
    }
    if (opts->comment && strpbrk(opts->comment, "\n\r")) {
        return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL, "comment must be a single line");
    }
    return CZ_OK;
}

static int label(const int *labels, size_t i) { return labels ? labels[i] : 0; }

/* ------------------------------------------------------------------------------------------ */
/* Extended XYZ writer                                                                        */
/* ------------------------------------------------------------------------------------------ */

static void write_extxyz(out_file *o, const cz_atoms *atoms, const char *comment) {
    out_printf(o, "%zu\n", atoms->n);
    /* ASE reads a missing Lattice as "no cell"; an all-zero Lattice would instead be a
     * singular cell, so it is left out. */
    if (!cell_is_zero(atoms->cell)) {
        const double(*c)[3] = atoms->cell;
        out_printf(o, "Lattice=\"%.10f %.10f %.10f %.10f %.10f %.10f %.10f %.10f %.10f\" ", c[0][0],
                   c[0][1], c[0][2], c[1][0], c[1][1], c[1][2], c[2][0], c[2][1], c[2][2]);
    }
    out_printf(o,
               "Properties=species:S:1:pos:R:3:object_id:I:1:grain_id:I:1:class_id:I:1 "
               "pbc=\"%c %c %c\"",
               atoms->pbc[0] ? 'T' : 'F', atoms->pbc[1] ? 'T' : 'F', atoms->pbc[2] ? 'T' : 'F');
    if (comment[0]) {
        /* The comment travels as a quoted value that ASE puts in atoms.info["comment"]; quotes
         * and backslashes are escaped the way ASE's key=value parser unescapes them. */
        out_printf(o, " comment=\"");
        for (const char *p = comment; *p; p++) {
            if (*p == '"' || *p == '\\') out_printf(o, "\\");
            out_printf(o, "%c", *p);
        }
        out_printf(o, "\"");
    }
    out_printf(o, "\n");
    /* The atom lines are most of the file: formatting them by hand is ~10× faster than
     * printf and makes writing cheaper than building (a 37 k-atom scene: 50 ms → 5 ms). */
    char line[160];
    for (size_t i = 0; i < atoms->n && !o->err; i++) {
        const double *r = atoms->xyz[i];
        const char *sym = cz_element_symbol(atoms->z[i]);
        size_t k = 0;
        line[k++] = sym[0];
        line[k++] = sym[1] ? sym[1] : ' ';
        for (int d = 0; d < 3; d++) {
            line[k++] = ' ';
            k += fmt_fixed10(line + k, r[d]);
        }
        k += (size_t)snprintf(line + k, sizeof line - k, " %d %d %d\n", label(atoms->object_id, i),
                              label(atoms->grain_id, i), label(atoms->class_id, i));
        if (fwrite(line, 1, k, o->f) != k) o->err = errno ? errno : EIO;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Prismatic / computem writer                                                                */
/* ------------------------------------------------------------------------------------------ */

/* The format has only three box lengths, so every non-zero cell row must lie along its own
 * Cartesian axis. A zero row gets the atoms' extent plus `padding` on both sides, and the
 * atoms are shifted along that axis so the padding really is on both sides: Prismatic's box
 * always starts at 0. Along axes with a cell row the positions are written as they are, so a
 * caller who wants every atom inside [0, a) wraps them first (cz_atoms_wrap). */
typedef struct prismatic_box {
    double length[3];
    double shift[3];
} prismatic_box;

static cz_status prismatic_prepare(const cz_atoms *atoms, double padding, prismatic_box *box) {
    static const char axis[3] = {'x', 'y', 'z'};
    static const char row_name[3] = {'a', 'b', 'c'};
    double lo[3] = {0.0, 0.0, 0.0}, hi[3] = {0.0, 0.0, 0.0};
    for (int k = 0; k < 3; k++) {
        lo[k] = INFINITY;
        hi[k] = -INFINITY;
    }
    for (size_t i = 0; i < atoms->n; i++) {
        for (int k = 0; k < 3; k++) {
            lo[k] = fmin(lo[k], atoms->xyz[i][k]);
            hi[k] = fmax(hi[k], atoms->xyz[i][k]);
        }
    }
    for (int k = 0; k < 3; k++) {
        const double *r = atoms->cell[k];
        box->shift[k] = 0.0;
        if (row_is_zero(r)) {
            double extent = atoms->n ? hi[k] - lo[k] : 0.0;
            box->length[k] = extent + 2.0 * padding;
            if (atoms->n) box->shift[k] = padding - lo[k];
            if (!(box->length[k] > 0.0)) {
                return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL,
                                  "prismatic: the box along %c would have zero length (no cell "
                                  "row %c, atoms flat along %c, padding %g): set padding > 0",
                                  axis[k], row_name[k], axis[k], padding);
            }
            continue;
        }
        /* Off-axis components up to 1e-10 of the row length are rounding noise from cells
         * built from angles (cos 90° is 6e-17 in double precision), not a tilt. */
        double norm = v3_norm(r);
        int aligned = r[k] > 0.0;
        for (int j = 0; j < 3; j++) {
            if (j != k && fabs(r[j]) > 1e-10 * norm) aligned = 0;
        }
        if (!aligned) {
            return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL,
                              "prismatic needs an orthogonal cell with a along +x, b along +y and "
                              "c along +z; row %c is (%g, %g, %g)",
                              row_name[k], r[0], r[1], r[2]);
        }
        box->length[k] = r[k];
    }
    return CZ_OK;
}

static void write_prismatic(out_file *o, const cz_atoms *atoms, const prismatic_box *box,
                            const cz_write_opts *opts, const char *comment) {
    out_printf(o, "%s\n", comment);
    out_printf(o, "    %.10f %.10f %.10f\n", box->length[0], box->length[1], box->length[2]);
    for (size_t i = 0; i < atoms->n && !o->err; i++) {
        const double *r = atoms->xyz[i];
        out_printf(o, "%d %.10f %.10f %.10f %.10g %.10g\n", atoms->z[i], r[0] + box->shift[0],
                   r[1] + box->shift[1], r[2] + box->shift[2], opts->occupancy, opts->u_rms);
    }
    out_printf(o, "-1\n");
}

/* ------------------------------------------------------------------------------------------ */
/* LAMMPS data writer                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* LAMMPS describes a box by an origin (xlo, ylo, zlo) and edge vectors A = (lx, 0, 0),
 * B = (xy, ly, 0), C = (xz, yz, lz): a along +x, b in the xy plane with positive y, c with
 * positive z, which is a right-handed, lower-triangular cell. */
typedef struct lammps_box {
    double origin[3];
    double lx, ly, lz, xy, xz, yz;
    double lo[3], hi[3]; /* box bounds as printed */
    double rot[3][3];    /* rows: the LAMMPS x, y, z axes in the cz frame */
    int rotated;         /* 1 when rot is not the identity */
    int tilt_reduced;    /* 1 when tilt factors were reduced by lattice vectors */
    int tilt_large;      /* 1 when a tilt factor still exceeds LAMMPS's default limit */
    double (*xyz)[3];    /* [n] positions in the LAMMPS frame */
    int type_of_z[CZ_MAX_Z + 1];
    int ntypes;
} lammps_box;

/* A number as LAMMPS will read it back from our "%.10f". The buffer holds any finite double
 * in that format (at most 309 integer digits). */
static double printed(double v) {
    char s[400];
    snprintf(s, sizeof s, "%.10f", v);
    return strtod(s, NULL);
}

/* The printed tilt. LAMMPS tests |tilt / (hi − lo)| > 0.5 on the numbers it reads, so a tilt
 * that sits on the limit (a hexagonal cell has xy = −lx/2 exactly) can fail that test by one
 * rounding. Such a tilt is moved toward zero by the last printed digit (1e-10 Å), the
 * precision of the file anyway, until LAMMPS's test passes. Larger tilts are left alone. */
static double fit_tilt(double tilt, double len, double printed_len) {
    double t = printed(tilt);
    if (fabs(tilt) > 0.5 * len * (1.0 + 1e-9)) return t;
    for (int k = 0; k < 16 && fabs(t / printed_len) > 0.5; k++) {
        t = printed(t - copysign(1e-10, t));
    }
    return t;
}

/* For an axis without a cell row, pick a unit direction orthogonal to the span of the `nq`
 * orthonormal vectors q: the Cartesian axis of the same index when it is well away from that
 * span (so axis-aligned structures keep x, y, z), otherwise the Cartesian axis farthest from it
 * (the three residuals' squares sum to at least 1, so the best is at least 1/√3 long). */
static void complete_direction(int axis, const double q[3][3], int nq, double u[3]) {
    double best[3] = {0.0, 0.0, 0.0};
    double best_norm = -1.0;
    for (int t = 0; t < 3; t++) {
        int k = (axis + t) % 3;
        double w[3] = {0.0, 0.0, 0.0};
        w[k] = 1.0;
        for (int j = 0; j < nq; j++) {
            double d = v3_dot(w, q[j]);
            for (int m = 0; m < 3; m++) w[m] -= d * q[j][m];
        }
        double norm = v3_norm(w);
        if (t == 0 && norm * norm >= 0.3) {
            best_norm = norm;
            memcpy(best, w, sizeof best);
            break;
        }
        if (norm > best_norm) {
            best_norm = norm;
            memcpy(best, w, sizeof best);
        }
    }
    for (int m = 0; m < 3; m++) u[m] = best[m] / best_norm;
}

static cz_status lammps_prepare(const cz_atoms *atoms, double padding, lammps_box *box) {
    static const char row_name[3] = {'a', 'b', 'c'};
    box->xyz = NULL;
    if (atoms->n == 0) {
        return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL,
                          "lammps: a data file needs at least one atom (atom types come from the "
                          "elements present)");
    }

    /* Atom types: one per element present, numbered in increasing Z. */
    memset(box->type_of_z, 0, sizeof box->type_of_z);
    for (size_t i = 0; i < atoms->n; i++) box->type_of_z[atoms->z[i]] = 1;
    box->ntypes = 0;
    for (int z = 1; z <= CZ_MAX_Z; z++) {
        if (box->type_of_z[z]) box->type_of_z[z] = ++box->ntypes;
    }

    /* Box edges: the non-zero cell rows as given, checked for independence by Gram–Schmidt. */
    double m[3][3], origin[3] = {0.0, 0.0, 0.0}, q[3][3];
    int given[3], nq = 0;
    memcpy(m, atoms->cell, sizeof m);
    for (int k = 0; k < 3; k++) {
        given[k] = !row_is_zero(m[k]);
        if (!given[k]) continue;
        double w[3] = {m[k][0], m[k][1], m[k][2]};
        for (int j = 0; j < nq; j++) {
            double d = v3_dot(w, q[j]);
            for (int t = 0; t < 3; t++) w[t] -= d * q[j][t];
        }
        double norm = v3_norm(w);
        if (!(norm > 1e-9 * v3_norm(m[k]))) {
            return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL,
                              "lammps: cell row %c is linearly dependent on the rows before it",
                              row_name[k]);
        }
        for (int t = 0; t < 3; t++) q[nq][t] = w[t] / norm;
        nq++;
    }

    /* Axes without a cell row: an edge orthogonal to every other edge, spanning the atoms'
     * extent along it plus the padding on both sides. Orthogonality makes the atoms'
     * coordinate along that edge simply r·u, whatever the other edges are. */
    for (int k = 0; k < 3; k++) {
        if (given[k]) continue;
        double u[3];
        complete_direction(k, CZ_CROWS(q), nq, u);
        memcpy(q[nq++], u, sizeof u);
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < atoms->n; i++) {
            double p = v3_dot(atoms->xyz[i], u);
            lo = fmin(lo, p);
            hi = fmax(hi, p);
        }
        double len = hi - lo + 2.0 * padding;
        if (!(len > 0.0)) {
            return CZ_FAIL_AS(WRITE_FN, CZ_EINVAL,
                              "lammps: the box along cell row %c would have zero length (no cell "
                              "row, atoms flat along it, padding %g): set padding > 0",
                              row_name[k], padding);
        }
        for (int t = 0; t < 3; t++) {
            m[k][t] = len * u[t];
            origin[t] += (lo - padding) * u[t];
        }
    }

    /* A left-handed set of edges cannot be rotated into LAMMPS's form. Using −c from the far
     * corner (origin + c) describes exactly the same parallelepiped and the same lattice, so
     * no atom moves. */
    if (m3_det(CZ_CROWS(m)) < 0.0) {
        for (int t = 0; t < 3; t++) {
            origin[t] += m[2][t];
            m[2][t] = -m[2][t];
        }
    }

    /* Rotation into the LAMMPS frame (the Q of a QR factorisation of the edges): x along a,
     * y along the part of b orthogonal to a, z = x × y. Cells that are already
     * lower-triangular are used as they are, so their positions are written bit for bit. */
    box->rotated =
        !(m[0][1] == 0.0 && m[0][2] == 0.0 && m[1][2] == 0.0 && m[0][0] > 0.0 && m[1][1] > 0.0);
    if (box->rotated) {
        double *e1 = box->rot[0], *e2 = box->rot[1], *e3 = box->rot[2];
        double na = v3_norm(m[0]);
        for (int t = 0; t < 3; t++) e1[t] = m[0][t] / na;
        double d = v3_dot(m[1], e1);
        for (int t = 0; t < 3; t++) e2[t] = m[1][t] - d * e1[t];
        double nb = v3_norm(e2);
        for (int t = 0; t < 3; t++) e2[t] /= nb;
        v3_cross(e1, e2, e3);
        box->lx = na;
        box->xy = v3_dot(m[1], e1);
        box->ly = v3_dot(m[1], e2);
        box->xz = v3_dot(m[2], e1);
        box->yz = v3_dot(m[2], e2);
        box->lz = v3_dot(m[2], e3);
        m3_mulv(CZ_CROWS(box->rot), origin, box->origin);
    } else {
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) box->rot[i][j] = (i == j) ? 1.0 : 0.0;
        }
        box->lx = m[0][0];
        box->xy = m[1][0];
        box->ly = m[1][1];
        box->xz = m[2][0];
        box->yz = m[2][1];
        box->lz = m[2][2];
        memcpy(box->origin, origin, sizeof origin);
    }

    box->xyz = malloc(atoms->n * sizeof *box->xyz);
    if (!box->xyz) {
        return CZ_FAIL_AS(WRITE_FN, CZ_ENOMEM, "lammps: out of memory for %zu positions", atoms->n);
    }
    for (size_t i = 0; i < atoms->n; i++) {
        if (box->rotated) {
            m3_mulv(CZ_CROWS(box->rot), atoms->xyz[i], box->xyz[i]);
        } else {
            memcpy(box->xyz[i], atoms->xyz[i], sizeof box->xyz[i]);
        }
    }

    /* LAMMPS (up to at least the 2022 releases) refuses a box whose tilt factors exceed half
     * the edge they lean on, |xy|, |xz| > lx/2 or |yz| > ly/2, along periodic axes unless the
     * input says "box tilt large". Along a periodic axis the lattice vector may be added to
     * the other edges without changing the crystal, so the tilts are reduced that way (yz
     * first, since it moves xz too); atoms that leave the new box along that axis are moved
     * back by the same lattice vector. Non-periodic axes cannot be treated so, and their tilt
     * is written as it is with a note in the file header. A tilt within 1e-9 of the limit
     * (hexagonal cells sit exactly on it) is not reduced; see fit_tilt() for how it is
     * printed. */
    const double tol = 1.0 + 1e-9;
    int pa = atoms->pbc[0] && given[0], pb = atoms->pbc[1] && given[1];
    int shift_a = 0, shift_b = 0;
    if (pb && fabs(box->yz) > 0.5 * box->ly * tol) {
        double k = round(box->yz / box->ly);
        box->yz -= k * box->ly;
        box->xz -= k * box->xy;
        shift_b = 1;
    }
    if (pa && fabs(box->xz) > 0.5 * box->lx * tol) {
        box->xz -= round(box->xz / box->lx) * box->lx;
        shift_a = 1;
    }
    if (pa && fabs(box->xy) > 0.5 * box->lx * tol) {
        box->xy -= round(box->xy / box->lx) * box->lx;
        shift_a = 1;
    }
    box->tilt_reduced = shift_a || shift_b;
    if (box->tilt_reduced) {
        for (size_t i = 0; i < atoms->n; i++) {
            double *r = box->xyz[i];
            double d[3] = {r[0] - box->origin[0], r[1] - box->origin[1], r[2] - box->origin[2]};
            double fc = d[2] / box->lz;
            double fb = (d[1] - fc * box->yz) / box->ly;
            if (shift_b && (fb < 0.0 || fb >= 1.0)) {
                double k = floor(fb);
                r[0] -= k * box->xy;
                r[1] -= k * box->ly;
                d[0] -= k * box->xy;
                fb -= k;
            }
            double fa = (d[0] - fb * box->xy - fc * box->xz) / box->lx;
            if (shift_a && (fa < 0.0 || fa >= 1.0)) r[0] -= floor(fa) * box->lx;
        }
    }
    box->tilt_large = fabs(box->xy) > 0.5 * box->lx * tol || fabs(box->xz) > 0.5 * box->lx * tol ||
                      fabs(box->yz) > 0.5 * box->ly * tol;

    /* Tilts at the level of rounding noise (a rotated orthogonal cell) are exactly zero, so
     * such boxes are written as orthogonal ones. */
    double scale = fmax(box->lx, fmax(box->ly, box->lz));
    if (fabs(box->xy) <= 1e-12 * scale) box->xy = 0.0;
    if (fabs(box->xz) <= 1e-12 * scale) box->xz = 0.0;
    if (fabs(box->yz) <= 1e-12 * scale) box->yz = 0.0;

    /* The bounds and tilts exactly as they will be printed and as LAMMPS will read them. */
    for (int k = 0; k < 3; k++) {
        double len = k == 0 ? box->lx : (k == 1 ? box->ly : box->lz);
        box->lo[k] = printed(box->origin[k]);
        box->hi[k] = printed(box->origin[k] + len);
    }
    double plx = box->hi[0] - box->lo[0], ply = box->hi[1] - box->lo[1];
    box->xy = fit_tilt(box->xy, box->lx, plx);
    box->xz = fit_tilt(box->xz, box->lx, plx);
    box->yz = fit_tilt(box->yz, box->ly, ply);
    return CZ_OK;
}

static void write_lammps(out_file *o, const cz_atoms *atoms, const lammps_box *box,
                         const char *comment) {
    /* LAMMPS skips the first line of a data file; "#" lines later in the header are comments. */
    out_printf(o, "%s\n\n", comment);
    if (box->rotated) {
        const double(*r)[3] = box->rot;
        out_printf(o,
                   "# cell rotated into the LAMMPS frame: x' = R x with R rows (%.12f %.12f "
                   "%.12f) (%.12f %.12f %.12f) (%.12f %.12f %.12f)\n",
                   r[0][0], r[0][1], r[0][2], r[1][0], r[1][1], r[1][2], r[2][0], r[2][1], r[2][2]);
    }
    if (box->tilt_reduced) {
        out_printf(o,
                   "# tilt factors reduced by periodic lattice vectors (same crystal); atoms "
                   "wrapped into the box\n");
    }
    if (box->tilt_large) {
        out_printf(o,
                   "# tilt factors exceed half the box length along a non-periodic axis: "
                   "LAMMPS needs 'box tilt large' before read_data if that axis is periodic\n");
    }
    out_printf(o, "%zu atoms\n%d atom types\n\n", atoms->n, box->ntypes);
    out_printf(o, "%.10f %.10f xlo xhi\n", box->lo[0], box->hi[0]);
    out_printf(o, "%.10f %.10f ylo yhi\n", box->lo[1], box->hi[1]);
    out_printf(o, "%.10f %.10f zlo zhi\n", box->lo[2], box->hi[2]);
    if (box->xy != 0.0 || box->xz != 0.0 || box->yz != 0.0) {
        out_printf(o, "%.10f %.10f %.10f xy xz yz\n", box->xy, box->xz, box->yz);
    }
    out_printf(o, "\nMasses\n\n");
    for (int z = 1; z <= CZ_MAX_Z; z++) {
        if (box->type_of_z[z]) {
            out_printf(o, "%d %.12g  # %s\n", box->type_of_z[z], cz_element_mass(z),
                       cz_element_symbol(z));
        }
    }
    out_printf(o, "\nAtoms  # atomic\n\n");
    for (size_t i = 0; i < atoms->n && !o->err; i++) {
        const double *r = box->xyz[i];
        out_printf(o, "%zu %d %.10f %.10f %.10f\n", i + 1, box->type_of_z[atoms->z[i]], r[0], r[1],
                   r[2]);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* cz_atoms_write                                                                              */
/* ------------------------------------------------------------------------------------------ */

cz_status cz_atoms_write(const char *path, const cz_atoms *atoms, const cz_write_opts *opts) {
    if (!path) return CZ_FAIL(CZ_EINVAL, "path is NULL");
    if (!path[0]) return CZ_FAIL(CZ_EINVAL, "path is empty");
    if (!atoms) return CZ_FAIL(CZ_EINVAL, "atoms is NULL (writing '%s')", path);
    cz_write_opts defaults;
    cz_write_opts_default(&defaults);
    if (!opts) opts = &defaults;

    cz_format format = CZ_FORMAT_AUTO;
    cz_status s = resolve_format(WRITE_FN, path, opts->format, &format);
    if (s != CZ_OK) return s;
    if ((s = check_opts(opts)) != CZ_OK) return s;
    if ((s = check_atoms(atoms)) != CZ_OK) return s;

    char default_comment[64];
    snprintf(default_comment, sizeof default_comment, "written by cz %s", cz_version());
    const char *comment = opts->comment ? opts->comment : default_comment;

    /* Everything that can fail for a reason other than the file system is settled before the
     * temporary file is created. */
    prismatic_box pbox;
    lammps_box lbox;
    lbox.xyz = NULL;
    if (format == CZ_FORMAT_PRISMATIC) {
        s = prismatic_prepare(atoms, opts->padding, &pbox);
    } else if (format == CZ_FORMAT_LAMMPS) {
        s = lammps_prepare(atoms, opts->padding, &lbox);
    }
    if (s != CZ_OK) {
        free(lbox.xyz);
        return s;
    }

    out_file o;
    s = out_open(&o, path);
    if (s == CZ_OK) {
        if (format == CZ_FORMAT_EXTXYZ) {
            write_extxyz(&o, atoms, comment);
        } else if (format == CZ_FORMAT_LAMMPS) {
            write_lammps(&o, atoms, &lbox, comment);
        } else {
            write_prismatic(&o, atoms, &pbox, opts, comment);
        }
        s = out_close(&o, CZ_OK);
    }
    free(lbox.xyz);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Line reader                                                                                */
/* ------------------------------------------------------------------------------------------ */

typedef struct in_file {
    FILE *f;
    const char *path;
    char *line; /* current line without its end-of-line characters */
    size_t cap;
    size_t lineno; /* 1-based number of the current line */
} in_file;

/* Next line into r->line (CR LF and LF endings both accepted). Returns 1 for a line, 0 at the
 * end of the file, or a cz_status failure (as a negative number) when reading fails. */
static int next_line(in_file *r, cz_status *status) {
    errno = 0;
    ssize_t len = getline(&r->line, &r->cap, r->f);
    if (len < 0) {
        if (ferror(r->f)) {
            char eb[128];
            int e = errno ? errno : EIO;
            *status = (e == ENOMEM)
                          ? CZ_FAIL_AS(READ_FN, CZ_ENOMEM, "%s:%zu: out of memory for a line",
                                       r->path, r->lineno + 1)
                          : CZ_FAIL_AS(READ_FN, CZ_EIO, "cannot read '%s': %s", r->path,
                                       errno_text(e, eb, sizeof eb));
            return -1;
        }
        return 0;
    }
    r->lineno++;
    while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r')) {
        r->line[--len] = '\0';
    }
    return 1;
}

static int is_blank(const char *s) {
    while (*s && is_space(*s)) s++;
    return *s == '\0';
}

/* Parse failures name the file and line, as compilers do. */
static cz_status parse_fail(const in_file *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static cz_status parse_fail(const in_file *r, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return CZ_FAIL_AS(READ_FN, CZ_EIO, "%s:%zu: %s", r->path, r->lineno, msg);
}

/* Add one atom; translate the container's failures into reader messages with file:line. */
static cz_status add_atom(const in_file *r, cz_atoms *atoms, const double xyz[3], int z, int oid,
                          int gid, int cid) {
    cz_status s = cz_atoms_push(atoms, xyz, z, oid, gid, cid);
    if (s == CZ_OK) return CZ_OK;
    if (s == CZ_ENOMEM) {
        return CZ_FAIL_AS(READ_FN, CZ_ENOMEM, "%s:%zu: out of memory after %zu atoms", r->path,
                          r->lineno, atoms->n);
    }
    char msg[512];
    snprintf(msg, sizeof msg, "%s", cz_last_error());
    return parse_fail(r, "atom rejected: %s", msg);
}

/* ------------------------------------------------------------------------------------------ */
/* Extended XYZ reader                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* The comment line is a list of key=value pairs in ASE's dialect: a value (or key) may be
 * quoted with "…", '…', {…} or […] (no nesting), a backslash takes the next character
 * literally, whitespace may surround '=', and a key without '=' is a flag. The lexer turns
 * the line into words and '=' signs; words are NUL-separated in `buf`. */
typedef struct kv_pair {
    const char *key;
    const char *value; /* "T" for a bare flag */
    int extra_equals;  /* value was followed by another "=word" (key=a=b) */
} kv_pair;

static cz_status lex_kv_line(const in_file *r, const char *line, char *buf, kv_pair *pairs,
                             size_t *npairs) {
    /* Pass 1: words and '=' tokens. A word pointer of NULL stands for '='. */
    size_t nwords = 0, len = strlen(line);
    const char **words = malloc((len + 1) * sizeof *words);
    if (!words) return CZ_FAIL_AS(READ_FN, CZ_ENOMEM, "%s:%zu: out of memory", r->path, r->lineno);
    char *out = buf;
    const char *p = line;
    for (;;) {
        while (*p && is_space(*p)) p++;
        if (!*p) break;
        if (*p == '=') {
            words[nwords++] = NULL;
            p++;
            continue;
        }
        words[nwords++] = out;
        char close = 0;
        while (*p) {
            char c = *p++;
            if (c == '\\') {
                if (*p) *out++ = *p++;
            } else if (close) {
                if (c == close) {
                    close = 0;
                } else {
                    *out++ = c;
                }
            } else if (c == '"' || c == '\'') {
                close = c;
            } else if (c == '{') {
                close = '}';
            } else if (c == '[') {
                close = ']';
            } else if (is_space(c) || c == '=') {
                p--;
                break;
            } else {
                *out++ = c;
            }
        }
        *out++ = '\0';
        if (close) {
            free(words);
            return parse_fail(r, "unterminated %c in the key=value line", close);
        }
    }

    /* Pass 2: key [= value [= more]...]. */
    size_t n = 0;
    for (size_t i = 0; i < nwords;) {
        kv_pair kv = {"", "T", 0};
        if (words[i]) kv.key = words[i++];
        if (i < nwords && !words[i]) {
            i++;
            kv.value = "";
            if (i < nwords && words[i]) kv.value = words[i++];
            while (i < nwords && !words[i]) {
                kv.extra_equals = 1;
                i++;
                if (i < nwords && words[i]) i++;
            }
        }
        pairs[n++] = kv;
    }
    free(words);
    *npairs = n;
    return CZ_OK;
}

/* Roles of the columns an extxyz file declares. */
enum { COL_SKIP, COL_SPECIES, COL_Z, COL_POS, COL_OBJECT, COL_GRAIN, COL_CLASS };

typedef struct xyz_column {
    int role;
    size_t first; /* index of the column's first token on an atom line */
} xyz_column;

typedef struct xyz_header {
    int has_lattice;
    double cell[3][3];
    int has_pbc;
    int pbc[3];
    const char *properties;
} xyz_header;

static cz_status parse_lattice(const in_file *r, const char *value, double cell[3][3]) {
    char tmp[1024];
    if (strlen(value) >= sizeof tmp) return parse_fail(r, "Lattice value is too long");
    snprintf(tmp, sizeof tmp, "%s", value);
    for (char *p = tmp; *p; p++) {
        if (*p == '[' || *p == ']') *p = ' ';
    }
    char *tok[10];
    size_t nt = split_tokens(tmp, 1, tok, 10);
    if (nt != 9) return parse_fail(r, "Lattice needs 9 numbers (got %zu)", nt);
    for (size_t i = 0; i < 9; i++) {
        if (!parse_double(tok[i], &cell[i / 3][i % 3])) {
            return parse_fail(r, "Lattice entry %zu is not a finite number: '%.32s'", i + 1,
                              tok[i]);
        }
    }
    return CZ_OK;
}

static cz_status parse_pbc(const in_file *r, const char *value, int pbc[3]) {
    char tmp[256];
    if (strlen(value) >= sizeof tmp) return parse_fail(r, "pbc value is too long");
    snprintf(tmp, sizeof tmp, "%s", value);
    for (char *p = tmp; *p; p++) {
        if (*p == '[' || *p == ']') *p = ' ';
    }
    char *tok[4];
    size_t nt = split_tokens(tmp, 1, tok, 4);
    if (nt != 3) return parse_fail(r, "pbc needs 3 flags such as \"T T F\" (got %zu)", nt);
    for (int i = 0; i < 3; i++) {
        const char *t = tok[i];
        if (equal_nocase(t, "T") || equal_nocase(t, "true") || strcmp(t, "1") == 0) {
            pbc[i] = 1;
        } else if (equal_nocase(t, "F") || equal_nocase(t, "false") || strcmp(t, "0") == 0) {
            pbc[i] = 0;
        } else {
            return parse_fail(r, "pbc flag '%.16s' is not T or F", t);
        }
    }
    return CZ_OK;
}

/* Properties=name:type:count:... → column roles. Known names must have their expected type and
 * width; anything else is skipped by its declared width. */
static cz_status parse_properties(const in_file *r, const char *value, xyz_column **cols_out,
                                  size_t *ncols_out, size_t *width_out) {
    static const struct {
        const char *name;
        char type;
        int count;
        int role;
    } known[] = {{"species", 'S', 1, COL_SPECIES}, {"Z", 'I', 1, COL_Z},
                 {"pos", 'R', 3, COL_POS},         {"object_id", 'I', 1, COL_OBJECT},
                 {"grain_id", 'I', 1, COL_GRAIN},  {"class_id", 'I', 1, COL_CLASS}};
    size_t len = strlen(value);
    char *tmp = malloc(len + 1);
    xyz_column *cols = malloc((len / 2 + 1) * sizeof *cols);
    cz_status s = CZ_OK;
    if (!tmp || !cols) {
        s = CZ_FAIL_AS(READ_FN, CZ_ENOMEM, "%s:%zu: out of memory", r->path, r->lineno);
        goto fail;
    }
    memcpy(tmp, value, len + 1);

    size_t ncols = 0, width = 0;
    char *field[3];
    char *p = tmp;
    int done = (len == 0);
    if (done) {
        s = parse_fail(r, "Properties is empty");
        goto fail;
    }
    while (!done) {
        for (int k = 0; k < 3; k++) {
            field[k] = p;
            char *colon = strchr(p, ':');
            if (colon) {
                *colon = '\0';
                p = colon + 1;
            } else {
                if (k != 2) {
                    s = parse_fail(r, "Properties must be name:type:count triples ('%.64s')",
                                   value);
                    goto fail;
                }
                done = 1;
            }
        }
        const char *name = field[0], *type = field[1];
        int count = 0;
        if (!name[0] || strlen(type) != 1 || !strchr("SRIL", type[0]) ||
            !parse_int(field[2], &count) || count < 1) {
            s = parse_fail(r, "bad Properties entry '%s:%s:%s' (want name:S|R|I|L:count)", name,
                           type, field[2]);
            goto fail;
        }
        int role = COL_SKIP;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
            if (strcmp(name, known[k].name) != 0) continue;
            if (type[0] != known[k].type || count != known[k].count) {
                s = parse_fail(r, "Properties column %s must be %s:%c:%d (got %s:%s:%d)", name,
                               name, known[k].type, known[k].count, name, type, count);
                goto fail;
            }
            role = known[k].role;
        }
        cols[ncols].role = role;
        cols[ncols].first = width;
        ncols++;
        width += (size_t)count;
    }
    free(tmp);
    *cols_out = cols;
    *ncols_out = ncols;
    *width_out = width;
    return CZ_OK;
fail:
    free(tmp);
    free(cols);
    return s;
}

static cz_status read_extxyz(in_file *r, cz_atoms **out) {
    cz_status s = CZ_OK;
    cz_atoms *atoms = NULL;
    char *buf = NULL;
    kv_pair *pairs = NULL;
    xyz_column *cols = NULL;
    char **tok = NULL;
    size_t ncols = 0, width = 0;

    int got = next_line(r, &s);
    if (got < 0) goto fail;
    if (got == 0) {
        r->lineno = 1;
        s = parse_fail(r, "empty file: expected the number of atoms");
        goto fail;
    }
    char *count_tok[2];
    size_t nt = split_tokens(r->line, 0, count_tok, 2);
    long long natoms = -1;
    if (nt == 1) {
        char *end = NULL;
        errno = 0;
        natoms = strtoll(count_tok[0], &end, 10);
        if (*end != '\0' || end == count_tok[0] || errno == ERANGE) natoms = -1;
    }
    if (natoms < 0) {
        s = parse_fail(r, "expected the number of atoms on the first line");
        goto fail;
    }
    if ((unsigned long long)natoms > (unsigned long long)CZ_MAX_ATOMS) {
        s = parse_fail(r, "%lld atoms exceed the limit of %zu (CZ_MAX_ATOMS)", natoms,
                       CZ_MAX_ATOMS);
        goto fail;
    }
    size_t n = (size_t)natoms;

    got = next_line(r, &s);
    if (got < 0) goto fail;
    if (got == 0) {
        r->lineno++;
        s = parse_fail(r, "unexpected end of file: missing the comment line");
        goto fail;
    }
    size_t len = strlen(r->line);
    buf = malloc(len + 1);
    pairs = malloc((len + 1) * sizeof *pairs);
    if (!buf || !pairs) {
        s = CZ_FAIL_AS(READ_FN, CZ_ENOMEM, "%s:%zu: out of memory", r->path, r->lineno);
        goto fail;
    }
    size_t npairs = 0;
    if ((s = lex_kv_line(r, r->line, buf, pairs, &npairs)) != CZ_OK) goto fail;

    xyz_header h = {0, {{0.0}}, 0, {0, 0, 0}, "species:S:1:pos:R:3"};
    for (size_t i = 0; i < npairs; i++) {
        const kv_pair *kv = &pairs[i];
        int lattice = equal_nocase(kv->key, "Lattice"), props = equal_nocase(kv->key, "Properties"),
            pbc = equal_nocase(kv->key, "pbc");
        if ((lattice || props || pbc) && kv->extra_equals) {
            s = parse_fail(r, "malformed value of %s (stray '=')", kv->key);
            goto fail;
        }
        if (lattice) {
            if ((s = parse_lattice(r, kv->value, h.cell)) != CZ_OK) goto fail;
            h.has_lattice = 1;
        } else if (props) {
            h.properties = kv->value;
        } else if (pbc) {
            if ((s = parse_pbc(r, kv->value, h.pbc)) != CZ_OK) goto fail;
            h.has_pbc = 1;
        }
    }
    if ((s = parse_properties(r, h.properties, &cols, &ncols, &width)) != CZ_OK) goto fail;
    int species = -1, zcol = -1, pos = -1, label_col[3] = {-1, -1, -1};
    for (size_t c = 0; c < ncols; c++) {
        int role = cols[c].role;
        if (role == COL_SPECIES) species = (int)c;
        if (role == COL_Z) zcol = (int)c;
        if (role == COL_POS) pos = (int)c;
        if (role >= COL_OBJECT) label_col[role - COL_OBJECT] = (int)c;
    }
    if (pos < 0) {
        s = parse_fail(r, "Properties has no pos:R:3 column");
        goto fail;
    }
    if (species < 0 && zcol < 0) {
        s = parse_fail(r, "Properties has neither species:S:1 nor Z:I:1");
        goto fail;
    }

    /* ASE's rule: pbc defaults to all T when a Lattice is given and all F otherwise. A
     * periodic axis without a cell row (ASE writes pbc="T T T" for Atoms(pbc=True) without a
     * cell) carries no information, so it is dropped rather than refused. */
    int pbc[3];
    for (int k = 0; k < 3; k++) {
        pbc[k] = h.has_pbc ? h.pbc[k] : h.has_lattice;
        if (row_is_zero(h.cell[k])) pbc[k] = 0;
    }
    s = cz_atoms_create(n < INITIAL_READ_CAPACITY ? n : INITIAL_READ_CAPACITY, &atoms);
    if (s != CZ_OK) goto fail;
    s = cz_atoms_set_cell(atoms, CZ_CROWS(h.cell), pbc);
    if (s != CZ_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", cz_last_error());
        s = parse_fail(r, "unusable Lattice/pbc: %s", msg);
        goto fail;
    }

    tok = malloc((width + 1) * sizeof *tok);
    if (!tok) {
        s = CZ_FAIL_AS(READ_FN, CZ_ENOMEM, "%s:%zu: out of memory", r->path, r->lineno);
        goto fail;
    }
    /* Species repeat line after line; remembering the last lookup makes them nearly free. */
    char last_symbol[8] = "";
    int last_z = 0;
    for (size_t i = 0; i < n; i++) {
        got = next_line(r, &s);
        if (got < 0) goto fail;
        if (got == 0) {
            r->lineno++;
            s = parse_fail(r, "unexpected end of file: expected %zu atoms, found %zu", n, i);
            goto fail;
        }
        size_t ntok = split_tokens(r->line, 0, tok, width + 1);
        if (ntok != width) {
            s = parse_fail(r, "expected %zu columns (from Properties), found %zu", width, ntok);
            goto fail;
        }
        int z = 0;
        if (species >= 0) {
            const char *sym = tok[cols[species].first];
            if (last_z && strcmp(sym, last_symbol) == 0) {
                z = last_z;
            } else if (cz_element_from_symbol(sym, &z) != CZ_OK) {
                s = parse_fail(r, "unknown element '%.16s'", sym);
                goto fail;
            } else if (strlen(sym) < sizeof last_symbol) {
                snprintf(last_symbol, sizeof last_symbol, "%s", sym);
                last_z = z;
            }
        }
        if (zcol >= 0) {
            const char *t = tok[cols[zcol].first];
            int zz = 0;
            if (!parse_int(t, &zz) || zz < 1 || zz > CZ_MAX_Z) {
                s = parse_fail(r, "Z '%.16s' is not an atomic number 1..%d", t, CZ_MAX_Z);
                goto fail;
            }
            if (species >= 0 && zz != z) {
                s = parse_fail(r, "Z %d contradicts species %s", zz, tok[cols[species].first]);
                goto fail;
            }
            z = zz;
        }
        double xyz[3];
        for (int k = 0; k < 3; k++) {
            const char *t = tok[cols[pos].first + (size_t)k];
            if (!parse_double(t, &xyz[k])) {
                s = parse_fail(r, "position '%.32s' is not a finite number", t);
                goto fail;
            }
        }
        int lab[3] = {0, 0, 0};
        for (int k = 0; k < 3; k++) {
            if (label_col[k] < 0) continue;
            const char *t = tok[cols[label_col[k]].first];
            if (!parse_int(t, &lab[k])) {
                s = parse_fail(r, "label '%.32s' is not an integer", t);
                goto fail;
            }
        }
        if ((s = add_atom(r, atoms, xyz, z, lab[0], lab[1], lab[2])) != CZ_OK) goto fail;
    }
    free(tok);
    free(cols);
    free(pairs);
    free(buf);
    *out = atoms;
    return CZ_OK;
fail:
    free(tok);
    free(cols);
    free(pairs);
    free(buf);
    cz_atoms_destroy(atoms);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* Prismatic / computem reader                                                                */
/* ------------------------------------------------------------------------------------------ */

/* The format has no periodicity flags: the result has cell diag(a, b, c) and pbc all 0 (the
 * simulator treats the lateral box as periodic anyway). Occupancy and u_rms are checked to be
 * numbers but not kept, as cz_atoms has no place for them. The final "-1" is required: without
 * it a truncated file could not be told from a complete one. */
static cz_status read_prismatic(in_file *r, cz_atoms **out) {
    cz_status s = CZ_OK;
    cz_atoms *atoms = NULL;
    int got = next_line(r, &s);
    if (got < 0) return s;
    if (got == 0) {
        r->lineno = 1;
        return parse_fail(r, "empty file: expected a comment line");
    }
    got = next_line(r, &s);
    if (got < 0) return s;
    if (got == 0) {
        r->lineno++;
        return parse_fail(r, "unexpected end of file: expected the cell lengths 'a b c'");
    }
    char *tok[7];
    double len[3];
    size_t nt = split_tokens(r->line, 1, tok, 7);
    if (nt != 3) return parse_fail(r, "expected the cell lengths 'a b c' (got %zu fields)", nt);
    for (int k = 0; k < 3; k++) {
        if (!parse_double(tok[k], &len[k]) || !(len[k] > 0.0)) {
            return parse_fail(r, "cell length '%.32s' is not a positive number", tok[k]);
        }
    }
    double cell[3][3] = {{len[0], 0.0, 0.0}, {0.0, len[1], 0.0}, {0.0, 0.0, len[2]}};
    const int pbc[3] = {0, 0, 0};
    if ((s = cz_atoms_create(1024, &atoms)) != CZ_OK) return s;
    if ((s = cz_atoms_set_cell(atoms, CZ_CROWS(cell), pbc)) != CZ_OK) goto fail;

    for (;;) {
        got = next_line(r, &s);
        if (got < 0) goto fail;
        if (got == 0) {
            r->lineno++;
            s = parse_fail(r, "unexpected end of file: missing the final -1");
            goto fail;
        }
        if (is_blank(r->line)) continue;
        nt = split_tokens(r->line, 1, tok, 7);
        int z = 0;
        if (nt == 1 && parse_int(tok[0], &z) && z == -1) break;
        if (nt < 4 || nt > 6) {
            s = parse_fail(r, "expected 'Z x y z occupancy u_rms' (got %zu fields)", nt);
            goto fail;
        }
        if (!parse_int(tok[0], &z) || z < 1 || z > CZ_MAX_Z) {
            s = parse_fail(r, "'%.16s' is not an atomic number 1..%d", tok[0], CZ_MAX_Z);
            goto fail;
        }
        double v[5];
        for (size_t k = 1; k < nt; k++) {
            if (!parse_double(tok[k], &v[k - 1])) {
                s = parse_fail(r, "field %zu '%.32s' is not a finite number", k + 1, tok[k]);
                goto fail;
            }
        }
        if (atoms->n >= CZ_MAX_ATOMS) {
            s = parse_fail(r, "more than %zu atoms (CZ_MAX_ATOMS)", CZ_MAX_ATOMS);
            goto fail;
        }
        if ((s = add_atom(r, atoms, v, z, 0, 0, 0)) != CZ_OK) goto fail;
    }
    *out = atoms;
    return CZ_OK;
fail:
    cz_atoms_destroy(atoms);
    return s;
}

/* ------------------------------------------------------------------------------------------ */
/* cz_atoms_read                                                                              */
/* ------------------------------------------------------------------------------------------ */

cz_status cz_atoms_read(const char *path, cz_format format, cz_atoms **out) {
    if (out) *out = NULL;
    if (!out) return CZ_FAIL(CZ_EINVAL, "output pointer is NULL");
    if (!path) return CZ_FAIL(CZ_EINVAL, "path is NULL");
    cz_format f = CZ_FORMAT_AUTO;
    cz_status s = resolve_format(READ_FN, path, format, &f);
    if (s != CZ_OK) return s;
    if (f == CZ_FORMAT_LAMMPS) {
        return CZ_FAIL(CZ_ENOTSUP,
                       "reading LAMMPS data files is not supported ('%s'); use extxyz or "
                       "prismatic",
                       path);
    }
    in_file r = {NULL, path, NULL, 0, 0};
    errno = 0;
    r.f = fopen(path, "r");
    if (!r.f) {
        char eb[128];
        int e = errno;
        return CZ_FAIL(CZ_EIO, "cannot open '%s': %s", path, errno_text(e, eb, sizeof eb));
    }
    if (f == CZ_FORMAT_EXTXYZ) {
        s = read_extxyz(&r, out);
    } else {
        s = read_prismatic(&r, out);
    }
    free(r.line);
    fclose(r.f);
    return s;
}
