/* script.c — the LAMMPS data file and input script of one relaxation.
 *
 * Everything LAMMPS does is written into a plain input script (in.relax) and data file
 * (atoms.data), so that a run can be repeated by hand with `lmp -in in.relax`, and so that the
 * worker program stays a thin loop around library.h. All reals are printed with %.17g, which
 * reads back as the same double: the positions LAMMPS starts from are exactly the ones kept
 * in czi_relax_frame.xyz. */
#define _XOPEN_SOURCE 700

#include "script.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* ---- small vector helpers ---------------------------------------------------------------- */

static double dot3(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static void cross3(const double a[3], const double b[3], double out[3]) {
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

static int row_is_zero(const double r[3]) { return r[0] == 0.0 && r[1] == 0.0 && r[2] == 0.0; }

/* ---- frame and box ----------------------------------------------------------------------- */

/* LAMMPS refuses a triclinic box with |tilt| > half the edge it leans on along a periodic axis
 * ("Triclinic box skew is too large", tested with a strict '>' on the numbers it holds). The
 * lattice allows adding a periodic edge to the others, so tilts are reduced by whole edges; a
 * tilt that lands on the limit within rounding (hexagonal cells sit exactly on it) is nudged
 * towards zero by a few ulps, which changes the cell by ~1e-16 relative. */
static double reduce_tilt(double tilt, double edge) {
    if (fabs(tilt) > 0.5 * edge * (1.0 + 1e-12)) tilt -= round(tilt / edge) * edge;
    for (int k = 0; k < 64 && fabs(tilt / edge) > 0.5; ++k) tilt = nextafter(tilt, 0.0);
    return tilt;
}

cz_status czi_relax_frame_make(const cz_atoms *atoms, czi_relax_frame *frame) {
    static const char row_name[3] = {'a', 'b', 'c'};
    memset(frame, 0, sizeof *frame);

    /* Periodic rows, in order: they become LAMMPS's x (and y, z) box vectors. */
    double v[3][3];
    int np = 0;
    for (int k = 0; k < 3; ++k) {
        if (!atoms->pbc[k]) continue;
        if (row_is_zero(atoms->cell[k]))
            return RELAX_FAIL(CZ_EINVAL, "pbc along %c needs a non-zero cell row %c", row_name[k],
                              row_name[k]);
        memcpy(v[np++], atoms->cell[k], sizeof v[0]);
    }

    /* Orthonormal LAMMPS axes e[0..2] in the caller's frame (a QR factorisation of the
     * periodic rows, completed by a right-handed set). */
    double e[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    frame->identity = 1;
    if (np >= 1) {
        double n0 = sqrt(dot3(v[0], v[0]));
        double e0[3] = {v[0][0] / n0, v[0][1] / n0, v[0][2] / n0};
        double e1[3];
        if (np >= 2) {
            double d = dot3(v[1], e0);
            for (int t = 0; t < 3; ++t) e1[t] = v[1][t] - d * e0[t];
            double n1 = sqrt(dot3(e1, e1));
            if (!(n1 > 1e-9 * sqrt(dot3(v[1], v[1]))))
                return RELAX_FAIL(CZ_EINVAL, "the periodic cell rows are linearly dependent");
            for (int t = 0; t < 3; ++t) e1[t] /= n1;
        } else {
            /* One periodic axis (a wire): complete with the Cartesian axis least aligned with
             * it, so a wire along x keeps y and z. */
            int k = 0;
            for (int t = 1; t < 3; ++t)
                if (fabs(e0[t]) < fabs(e0[k])) k = t;
            double w[3] = {0.0, 0.0, 0.0};
            w[k] = 1.0;
            double d = dot3(w, e0);
            for (int t = 0; t < 3; ++t) e1[t] = w[t] - d * e0[t];
            double n1 = sqrt(dot3(e1, e1));
            for (int t = 0; t < 3; ++t) e1[t] /= n1;
        }
        double e2[3];
        cross3(e0, e1, e2);
        memcpy(e[0], e0, sizeof e0);
        memcpy(e[1], e1, sizeof e1);
        memcpy(e[2], e2, sizeof e2);
        frame->identity = 0;
        if (e0[0] == 1.0 && e0[1] == 0.0 && e0[2] == 0.0 && e1[0] == 0.0 && e1[1] == 1.0 &&
            e1[2] == 0.0)
            frame->identity = 1; /* then e2 is exactly (0, 0, 1) too */
    }
    if (frame->identity) {
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) frame->rot[i][j] = i == j ? 1.0 : 0.0;
    } else {
        memcpy(frame->rot, e, sizeof e);
    }

    /* Atom types: one per element present, numbered in increasing Z (as cz's LAMMPS writer). */
    for (size_t i = 0; i < atoms->n; ++i) frame->type_of_z[atoms->z[i]] = 1;
    for (int z = 1; z <= CZ_MAX_Z; ++z) {
        if (!frame->type_of_z[z]) continue;
        frame->type_of_z[z] = ++frame->ntypes;
        frame->z_of_type[frame->ntypes] = z;
    }

    frame->xyz = malloc(atoms->n * sizeof *frame->xyz);
    if (!frame->xyz) return RELAX_FAIL(CZ_ENOMEM, "out of memory for %zu positions", atoms->n);
    double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (size_t i = 0; i < atoms->n; ++i) {
        double *r = frame->xyz[i];
        if (frame->identity) {
            memcpy(r, atoms->xyz[i], sizeof frame->xyz[i]);
        } else {
            for (int t = 0; t < 3; ++t) r[t] = dot3(frame->rot[t], atoms->xyz[i]);
        }
        for (int t = 0; t < 3; ++t) {
            lo[t] = fmin(lo[t], r[t]);
            hi[t] = fmax(hi[t], r[t]);
        }
    }

    /* Box. Periodic axes: the lattice vectors from the origin (cz's cells start there);
     * read_data folds atoms outside into the box and records image flags, which the worker
     * undoes. Open axes: shrink-wrapped, starting from the atoms' extent plus a margin (read
     *_data drops atoms outside a non-periodic box; shrink-wrapping then fits it exactly). */
    const double margin = 1.0;
    double lv[3][3] = {{0}};
    for (int k = 0; k < np; ++k)
        for (int t = 0; t < 3; ++t) lv[k][t] = dot3(e[t], v[k]);
    /* A left-handed set: −c spans the same lattice and makes lz > 0. */
    if (np == 3 && lv[2][2] < 0.0)
        for (int t = 0; t < 3; ++t) lv[2][t] = -lv[2][t];
    if (np == 3 && !(lv[2][2] > 1e-9 * sqrt(dot3(v[2], v[2])))) {
        czi_relax_frame_free(frame);
        return RELAX_FAIL(CZ_EINVAL, "the periodic cell rows are linearly dependent");
    }
    double len[3];
    for (int k = 0; k < 3; ++k) {
        frame->boundary[k] = k < np ? 'p' : 's';
        if (k < np) {
            frame->lo[k] = 0.0;
            len[k] = lv[k][k];
            frame->hi[k] = len[k];
        } else {
            frame->lo[k] = lo[k] - margin;
            frame->hi[k] = hi[k] + margin;
        }
    }
    if (np >= 2) {
        if (np == 3) {
            double yz = lv[2][1], xz = lv[2][0];
            if (fabs(yz) > 0.5 * len[1] * (1.0 + 1e-12)) {
                double k = round(yz / len[1]);
                yz -= k * len[1];
                xz -= k * lv[1][0];
            }
            frame->yz = reduce_tilt(yz, len[1]);
            frame->xz = reduce_tilt(xz, len[0]);
        }
        frame->xy = reduce_tilt(lv[1][0], len[0]);
    }
    /* Rounding noise from rotating an orthogonal cell is not a tilt. */
    double scale = fmax(fabs(frame->hi[0] - frame->lo[0]), fabs(frame->hi[1] - frame->lo[1]));
    if (fabs(frame->xy) <= 1e-13 * scale) frame->xy = 0.0;
    if (fabs(frame->xz) <= 1e-13 * scale) frame->xz = 0.0;
    if (fabs(frame->yz) <= 1e-13 * scale) frame->yz = 0.0;
    return CZ_OK;
}

void czi_relax_frame_free(czi_relax_frame *frame) {
    if (!frame) return;
    free(frame->xyz);
    frame->xyz = NULL;
}

/* ---- text buffer --------------------------------------------------------------------------- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    for (;;) {
        size_t room = b->cap - b->len;
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? room : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && (size_t)k < room) {
            b->len += (size_t)k;
            return;
        }
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len <= (size_t)k) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
}

/* User-given LAMMPS lines: ';' separates commands as a newline does. */
static void sb_lines(sbuf *b, const char *text) {
    for (const char *p = text; *p; ++p) {
        char c = *p == ';' ? '\n' : *p;
        sb_printf(b, "%c", c);
    }
    sb_printf(b, "\n");
}

int czi_relax_copy_path(char *out, const char *src) {
    size_t n = strlen(src);
    if (n >= PATH_MAX) {
        out[0] = '\0';
        return -1;
    }
    memcpy(out, src, n + 1);
    return 0;
}

int czi_relax_path_ok(const char *path) { return path && !strpbrk(path, "\"$\n\r"); }

/* ---- interactions ----------------------------------------------------------------------- */

/* Universal Force Field van der Waals parameters (Rappé, Casewit, Colwell, Goddard, Skiff,
 * J. Am. Chem. Soc. 114, 10024 (1992), Table 1): x_i is the LJ minimum distance in Å and D_i
 * the well depth in kcal/mol, for the elements a metal–covalent interface in cz scenes can
 * hold. UFF combines them geometrically. */
typedef struct uff_vdw {
    int z;
    double x, d_kcal;
} uff_vdw;

static const uff_vdw uff_table[] = {
    {1, 2.886, 0.044},  {6, 3.851, 0.105},  {7, 3.660, 0.069},  {8, 3.500, 0.060},
    {13, 4.499, 0.505}, {14, 4.295, 0.402}, {16, 4.035, 0.274}, {22, 3.175, 0.017},
    {26, 2.912, 0.013}, {27, 2.872, 0.014}, {28, 2.834, 0.015}, {29, 3.495, 0.005},
    {30, 2.763, 0.124}, {44, 2.963, 0.056}, {45, 2.929, 0.053}, {46, 2.899, 0.048},
    {47, 3.148, 0.036}, {48, 2.848, 0.228}, {77, 2.840, 0.073}, {78, 2.754, 0.080},
    {79, 3.293, 0.039},
};

/* 1 kcal/mol in eV: 4.184 kJ/mol divided by the Faraday constant, 96.485332 kJ/(mol eV). */
static const double KCAL_PER_MOL_EV = 4.184 / 96.485332;

static const uff_vdw *uff_find(int z) {
    for (size_t i = 0; i < sizeof uff_table / sizeof uff_table[0]; ++i)
        if (uff_table[i].z == z) return &uff_table[i];
    return NULL;
}

/* Elements given to the covalent (bond-order) potentials; every other element is a metal. */
static int is_covalent(int z) { return z == 1 || z == 6 || z == 14; }

typedef struct style_info {
    const char *name;
    int covalent;         /* 0 metal style, 1 covalent style */
    const char *args;     /* pair_style arguments */
    const char *def_file; /* default potential file (NULL: per element or required) */
} style_info;

/* AIREBO "3.0 1 1": LJ cutoff 3σ, LJ and torsion terms on (Stuart et al. 2000, the LAMMPS
 * doc's example). */
static const style_info styles[] = {
    {"eam", 0, "", NULL},
    {"eam/alloy", 0, "", NULL},
    {"eam/fs", 0, "", NULL},
    {"tersoff", 1, "", "SiC.tersoff"},
    {"airebo", 1, " 3.0 1 1", "CH.airebo"},
    {"rebo", 1, "", "CH.rebo"},
};

typedef struct pair_choice {
    const style_info *style;
    char file[PATH_MAX]; /* "" = default */
} pair_choice;

static const style_info *find_style(const char *name, size_t len) {
    for (size_t i = 0; i < sizeof styles / sizeof styles[0]; ++i)
        if (strlen(styles[i].name) == len && strncmp(styles[i].name, name, len) == 0)
            return &styles[i];
    return NULL;
}

/* Parse "auto" | "STYLE[=FILE][,STYLE[=FILE]]" into a metal and a covalent choice. */
static cz_status parse_pair(const char *spec, pair_choice *metal, pair_choice *covalent) {
    memset(metal, 0, sizeof *metal);
    memset(covalent, 0, sizeof *covalent);
    if (!spec) return CZ_OK;
    const char *p = spec;
    while (*p == ' ') ++p;
    if (*p == '\0' || strcmp(p, "auto") == 0) return CZ_OK;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t tok = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', tok);
        size_t name_len = eq ? (size_t)(eq - p) : tok;
        while (name_len > 0 && p[name_len - 1] == ' ') --name_len;
        const style_info *st = find_style(p, name_len);
        if (!st)
            return RELAX_FAIL(CZ_EINVAL,
                              "pair '%s': unknown style '%.*s' (known: eam, eam/alloy, eam/fs, "
                              "tersoff, airebo, rebo; or use pair_commands)",
                              spec, (int)name_len, p);
        pair_choice *c = st->covalent ? covalent : metal;
        if (c->style)
            return RELAX_FAIL(CZ_EINVAL, "pair '%s': two %s styles (%s and %s)", spec,
                              st->covalent ? "covalent" : "metal", c->style->name, st->name);
        c->style = st;
        if (eq) {
            const char *f = eq + 1;
            size_t flen = tok - (size_t)(f - p);
            while (flen > 0 && *f == ' ') ++f, --flen;
            while (flen > 0 && f[flen - 1] == ' ') --flen;
            if (flen == 0)
                return RELAX_FAIL(CZ_EINVAL, "pair '%s': empty file name after '%s='", spec,
                                  st->name);
            if (flen >= sizeof c->file)
                return RELAX_FAIL(CZ_EINVAL, "pair '%s': file name too long", spec);
            memcpy(c->file, f, flen);
            c->file[flen] = '\0';
        }
        if (!end) break;
        p = end + 1;
        while (*p == ' ') ++p;
        if (*p == '\0') return RELAX_FAIL(CZ_EINVAL, "pair '%s': empty entry after ','", spec);
    }
    return CZ_OK;
}

static const char *potentials_dir(const cz_relax_opts *opts) {
    if (opts->potentials_dir && *opts->potentials_dir) return opts->potentials_dir;
    const char *env = getenv("LAMMPS_POTENTIALS");
    if (env && *env) return env;
    return "/usr/share/lammps/potentials";
}

/* A potential file as the script names it: a bare name found in the potentials directory gets
 * that directory; an existing relative path becomes absolute (the script must work from any
 * directory); anything else is passed on as given, for LAMMPS to report if it cannot open it. */
static cz_status resolve_file(const char *dir, const char *name, char out[PATH_MAX]) {
    char cand[PATH_MAX + 512];
    out[0] = '\0';
    if (!strchr(name, '/')) {
        snprintf(cand, sizeof cand, "%s/%s", dir, name);
        if (access(cand, R_OK) == 0) czi_relax_copy_path(out, cand);
    }
    if (out[0] == '\0') {
        char *real = realpath(name, NULL);
        int bad = czi_relax_copy_path(out, real ? real : name);
        free(real);
        if (bad) return RELAX_FAIL(CZ_EINVAL, "potential file name too long: %.80s...", name);
    }
    if (!czi_relax_path_ok(out))
        return RELAX_FAIL(CZ_EINVAL,
                          "potential file '%s': LAMMPS cannot quote a path holding "
                          "'\"', '$' or a line break",
                          out);
    return CZ_OK;
}

/* Element list for "pair_coeff * * FILE ...": the element symbol for types of the class the
 * style handles, NULL for the others (only used under hybrid). */
static void coeff_elements(sbuf *b, const czi_relax_frame *frame, int covalent, int hybrid) {
    for (int t = 1; t <= frame->ntypes; ++t) {
        int z = frame->z_of_type[t];
        if (hybrid && is_covalent(z) != covalent)
            sb_printf(b, " NULL");
        else
            sb_printf(b, " %s", cz_element_symbol(z));
    }
}

/* What the pair lines need, once the spec is parsed and the files are found. */
typedef struct pair_plan {
    pair_choice metal, covalent;
    int nmetal, ncovalent;
    char (*metal_files)[PATH_MAX]; /* [ntypes + 1]: funcfl file per metal type (eam), or NULL */
    char alloy_file[PATH_MAX];     /* eam/alloy or eam/fs setfl file */
    char covalent_file[PATH_MAX];
} pair_plan;

/* The metal part: pair_style eam with one funcfl file per element (the u3 defaults or the one
 * given), or eam/alloy / eam/fs with the given setfl file. */
static cz_status plan_metal(pair_plan *p, const char *dir, const czi_relax_frame *frame) {
    if (!p->metal.style) p->metal.style = &styles[0];
    if (strcmp(p->metal.style->name, "eam") != 0) {
        if (!p->metal.file[0])
            return RELAX_FAIL(CZ_EINVAL, "pair %s needs a potential file (%s=FILE)",
                              p->metal.style->name, p->metal.style->name);
        return resolve_file(dir, p->metal.file, p->alloy_file);
    }
    if (p->metal.file[0] && p->nmetal > 1)
        return RELAX_FAIL(CZ_EINVAL,
                          "pair eam=%s: one funcfl file for %d metal elements; use eam without a "
                          "file (per-element <El>_u3.eam) or eam/alloy",
                          p->metal.file, p->nmetal);
    p->metal_files = calloc((size_t)frame->ntypes + 1, sizeof *p->metal_files);
    if (!p->metal_files) return RELAX_FAIL(CZ_ENOMEM, "out of memory");
    for (int t = 1; t <= frame->ntypes; ++t) {
        int z = frame->z_of_type[t];
        if (is_covalent(z)) continue;
        if (p->metal.file[0]) {
            cz_status st = resolve_file(dir, p->metal.file, p->metal_files[t]);
            if (st != CZ_OK) return st;
            continue;
        }
        char name[64], cand[PATH_MAX + 80];
        snprintf(name, sizeof name, "%s_u3.eam", cz_element_symbol(z));
        snprintf(cand, sizeof cand, "%s/%s", dir, name);
        if (access(cand, R_OK) != 0)
            return RELAX_FAIL(CZ_ENOTSUP,
                              "no default potential for %s: %s not found (Debian package "
                              "lammps-data ships Ag Au Cu Ni Pd Pt); give pair "
                              "\"eam/alloy=FILE\" or pair_commands",
                              cz_element_symbol(z), cand);
        cz_status st = resolve_file(dir, name, p->metal_files[t]);
        if (st != CZ_OK) return st;
    }
    return CZ_OK;
}

/* The covalent part: Tersoff, or AIREBO when H is present (SiC.tersoff has no H). */
static cz_status plan_covalent(pair_plan *p, const char *dir, int has_h, int has_si) {
    if (!p->covalent.style) {
        if (has_h && has_si)
            return RELAX_FAIL(CZ_ENOTSUP,
                              "no default potential for Si together with H (Tersoff SiC.tersoff "
                              "has no H, AIREBO no Si); give pair_commands");
        p->covalent.style = has_h ? &styles[4] : &styles[3];
    }
    const char *name = p->covalent.file[0] ? p->covalent.file : p->covalent.style->def_file;
    if (!p->covalent.file[0]) {
        char cand[PATH_MAX + 80];
        snprintf(cand, sizeof cand, "%s/%s", dir, name);
        if (access(cand, R_OK) != 0)
            return RELAX_FAIL(CZ_ENOTSUP,
                              "no default %s potential: %s not found (Debian package "
                              "lammps-data); give %s=FILE or pair_commands",
                              p->covalent.style->name, cand, p->covalent.style->name);
    }
    return resolve_file(dir, name, p->covalent_file);
}

/* LJ parameters of one metal–covalent pair: the given ones, or UFF's. */
static cz_status cross_term(const cz_relax_opts *opts, int zm, int zc, double *eps, double *sigma,
                            double *cut) {
    *eps = opts->lj_epsilon_ev;
    *sigma = opts->lj_sigma;
    if (!(*eps > 0.0)) {
        const uff_vdw *a = uff_find(zm), *c = uff_find(zc);
        if (!a || !c)
            return RELAX_FAIL(CZ_ENOTSUP,
                              "no UFF parameters for the %s-%s cross term; give lj_epsilon_ev "
                              "and lj_sigma",
                              cz_element_symbol(zm), cz_element_symbol(zc));
        *eps = sqrt(a->d_kcal * c->d_kcal) * KCAL_PER_MOL_EV;
        *sigma = sqrt(a->x * c->x) / pow(2.0, 1.0 / 6.0);
    }
    *cut = opts->lj_cutoff > 0.0 ? opts->lj_cutoff : 2.5 * *sigma;
    return CZ_OK;
}

static void single_style_lines(sbuf *b, const pair_plan *p, const czi_relax_frame *frame) {
    if (p->nmetal > 0 && p->metal_files) {
        sb_printf(b, "pair_style eam\n");
        for (int t = 1; t <= frame->ntypes; ++t)
            sb_printf(b, "pair_coeff %d %d \"%s\"\n", t, t, p->metal_files[t]);
    } else if (p->nmetal > 0) {
        sb_printf(b, "pair_style %s\npair_coeff * * \"%s\"", p->metal.style->name, p->alloy_file);
        coeff_elements(b, frame, 0, 0);
        sb_printf(b, "\n");
    } else {
        sb_printf(b, "pair_style %s%s\npair_coeff * * \"%s\"", p->covalent.style->name,
                  p->covalent.style->args, p->covalent_file);
        coeff_elements(b, frame, 1, 0);
        sb_printf(b, "\n");
    }
}

/* pair_style hybrid: every type pair has exactly one sub-style (metal–metal: EAM,
 * covalent–covalent: the bond-order potential, metal–covalent: LJ). hybrid/overlay would give
 * the same energy here, since no pair is covered twice; plain hybrid makes LAMMPS check that
 * every pair is covered. Metal pairs between different u3 elements are mixed by EAM itself
 * (hybrid allows that when both i,i and j,j use the same sub-style). */
static cz_status hybrid_lines(sbuf *b, const pair_plan *p, const cz_relax_opts *opts,
                              const czi_relax_frame *frame) {
    double cut_max = 0.0, eps, sigma, cut;
    for (int i = 1; i <= frame->ntypes; ++i)
        for (int j = 1; j <= frame->ntypes; ++j) {
            int zi = frame->z_of_type[i], zj = frame->z_of_type[j];
            if (is_covalent(zi) || !is_covalent(zj)) continue;
            cz_status st = cross_term(opts, zi, zj, &eps, &sigma, &cut);
            if (st != CZ_OK) return st;
            cut_max = fmax(cut_max, cut);
        }
    sb_printf(b, "pair_style hybrid %s %s%s lj/cut %.17g\n", p->metal.style->name,
              p->covalent.style->name, p->covalent.style->args, cut_max);
    if (p->metal_files) {
        for (int t = 1; t <= frame->ntypes; ++t)
            if (!is_covalent(frame->z_of_type[t]))
                sb_printf(b, "pair_coeff %d %d eam \"%s\"\n", t, t, p->metal_files[t]);
    } else {
        sb_printf(b, "pair_coeff * * %s \"%s\"", p->metal.style->name, p->alloy_file);
        coeff_elements(b, frame, 0, 1);
        sb_printf(b, "\n");
    }
    sb_printf(b, "pair_coeff * * %s \"%s\"", p->covalent.style->name, p->covalent_file);
    coeff_elements(b, frame, 1, 1);
    sb_printf(b, "\n");
    for (int i = 1; i <= frame->ntypes; ++i)
        for (int j = 1; j <= frame->ntypes; ++j) {
            int zi = frame->z_of_type[i], zj = frame->z_of_type[j];
            if (is_covalent(zi) || !is_covalent(zj)) continue;
            cross_term(opts, zi, zj, &eps, &sigma, &cut);
            sb_printf(b, "pair_coeff %d %d lj/cut %.17g %.17g %.17g  # %s-%s, %s\n", i < j ? i : j,
                      i < j ? j : i, eps, sigma, cut, cz_element_symbol(zi), cz_element_symbol(zj),
                      opts->lj_epsilon_ev > 0.0 ? "given" : "UFF");
        }
    /* Shifted to zero at the cutoff, so the energy the minimiser sees is continuous. */
    sb_printf(b, "pair_modify pair lj/cut shift yes\n");
    return CZ_OK;
}

static cz_status pair_lines(sbuf *b, const cz_relax_opts *opts, const czi_relax_frame *frame) {
    if (opts->pair_commands) {
        sb_printf(b, "# pair lines as given (pair_commands)\n");
        sb_lines(b, opts->pair_commands);
        return CZ_OK;
    }
    pair_plan p;
    memset(&p, 0, sizeof p);
    cz_status st = parse_pair(opts->pair, &p.metal, &p.covalent);
    if (st != CZ_OK) return st;
    int has_h = 0, has_si = 0;
    for (int t = 1; t <= frame->ntypes; ++t) {
        int z = frame->z_of_type[t];
        if (is_covalent(z)) {
            ++p.ncovalent;
            has_h |= z == 1;
            has_si |= z == 14;
        } else {
            ++p.nmetal;
        }
    }
    /* A style for a class of elements that is absent is not used (one pair spec can serve a
     * whole batch of scenes). */
    const char *dir = potentials_dir(opts);
    if (p.nmetal > 0) st = plan_metal(&p, dir, frame);
    if (st == CZ_OK && p.ncovalent > 0) st = plan_covalent(&p, dir, has_h, has_si);
    if (st == CZ_OK) {
        if (p.nmetal > 0 && p.ncovalent > 0)
            st = hybrid_lines(b, &p, opts, frame);
        else
            single_style_lines(b, &p, frame);
    }
    free(p.metal_files);
    return st;
}

/* ---- groups ---------------------------------------------------------------------------- */

/* "group NAME id a:b c ..." for the atoms with sel(i) true, as ID ranges, at most 100 ranges per
 * command (repeating "group NAME id" adds to the group); "group NAME empty" when none. */
static void group_lines(sbuf *b, const char *name, size_t n, const unsigned char *sel) {
    size_t nranges = 0;
    for (size_t i = 0; i < n;) {
        if (!sel[i]) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j + 1 < n && sel[j + 1]) ++j;
        if (nranges % 100 == 0) sb_printf(b, "%sgroup %s id", nranges ? "\n" : "", name);
        if (j > i)
            sb_printf(b, " %zu:%zu", i + 1, j + 1);
        else
            sb_printf(b, " %zu", i + 1);
        ++nranges;
        i = j + 1;
    }
    if (nranges)
        sb_printf(b, "\n");
    else
        sb_printf(b, "group %s empty\n", name);
}

/* ---- the two files ------------------------------------------------------------------------ */

static cz_status write_text(const char *path, const char *text, size_t len) {
    FILE *f = fopen(path, "w");
    if (!f) return RELAX_FAIL(CZ_EIO, "cannot create %s: %s", path, strerror(errno));
    size_t put = fwrite(text, 1, len, f);
    int bad = put != len || ferror(f);
    int err = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    if (bad) return RELAX_FAIL(CZ_EIO, "cannot write %s: %s", path, strerror(err));
    return CZ_OK;
}

static cz_status write_data(const char *path, const cz_atoms *atoms, const czi_relax_frame *fr) {
    sbuf b = {0};
    sb_printf(&b, "LAMMPS data file written by cz_relax (cz %s); positions in the LAMMPS frame\n\n",
              CZ_VERSION_STRING);
    sb_printf(&b, "%zu atoms\n%d atom types\n\n", atoms->n, fr->ntypes);
    static const char axis[3] = {'x', 'y', 'z'};
    for (int k = 0; k < 3; ++k)
        sb_printf(&b, "%.17g %.17g %clo %chi\n", fr->lo[k], fr->hi[k], axis[k], axis[k]);
    if (fr->xy != 0.0 || fr->xz != 0.0 || fr->yz != 0.0)
        sb_printf(&b, "%.17g %.17g %.17g xy xz yz\n", fr->xy, fr->xz, fr->yz);
    sb_printf(&b, "\nMasses\n\n");
    for (int t = 1; t <= fr->ntypes; ++t)
        sb_printf(&b, "%d %.17g  # %s\n", t, cz_element_mass(fr->z_of_type[t]),
                  cz_element_symbol(fr->z_of_type[t]));
    sb_printf(&b, "\nAtoms  # atomic\n\n");
    for (size_t i = 0; i < atoms->n && !b.oom; ++i) {
        const double *r = fr->xyz[i];
        sb_printf(&b, "%zu %d %.17g %.17g %.17g\n", i + 1, fr->type_of_z[atoms->z[i]], r[0], r[1],
                  r[2]);
    }
    if (b.oom) {
        free(b.s);
        return RELAX_FAIL(CZ_ENOMEM, "out of memory writing the data file");
    }
    cz_status st = write_text(path, b.s, b.len);
    free(b.s);
    return st;
}

static const char *class_group(int c) {
    switch (c) {
        case CZ_CLASS_NONE:
            return "cz_none";
        case CZ_CLASS_PARTICLE:
            return "cz_particle";
        case CZ_CLASS_SUBSTRATE:
            return "cz_substrate";
        case CZ_CLASS_LIGAND:
            return "cz_ligand";
        default:
            return NULL;
    }
}

cz_status czi_relax_write_inputs(const char *dir, const cz_atoms *atoms, const cz_relax_opts *opts,
                                 const czi_relax_frame *frame, const unsigned char *frozen,
                                 size_t nfrozen) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, CZI_RELAX_DATA);
    cz_status st = write_data(path, atoms, frame);
    if (st != CZ_OK) return st;

    unsigned char *sel = malloc(atoms->n);
    if (!sel) return RELAX_FAIL(CZ_ENOMEM, "out of memory for %zu atoms", atoms->n);

    sbuf b = {0};
    sb_printf(&b,
              "# in.relax — written by cz_relax (cz %s). A plain LAMMPS input:\n"
              "# `lmp -in in.relax` repeats the run (the worker then gathers the results).\n",
              CZ_VERSION_STRING);
    if (!frame->identity) {
        const double(*r)[3] = frame->rot;
        sb_printf(&b,
                  "# Positions are in the LAMMPS frame x' = R x, R rows (%.17g %.17g %.17g)\n"
                  "#   (%.17g %.17g %.17g) (%.17g %.17g %.17g)\n",
                  r[0][0], r[0][1], r[0][2], r[1][0], r[1][1], r[1][2], r[2][0], r[2][1], r[2][2]);
    }
    sb_printf(&b, "units metal\natom_style atomic\n");
    /* An atom map lets the worker gather per-atom data in atom-ID (= input) order. */
    sb_printf(&b, "atom_modify map yes\n");
    sb_printf(&b, "boundary %c %c %c\n", frame->boundary[0], frame->boundary[1],
              frame->boundary[2]);
    sb_printf(&b, "read_data \"%s/%s\"\n", dir, CZI_RELAX_DATA);
    for (int t = 1; t <= frame->ntypes; ++t)
        sb_printf(&b, "# type %d = %s\n", t, cz_element_symbol(frame->z_of_type[t]));
    if ((st = pair_lines(&b, opts, frame)) != CZ_OK) goto done;

    /* Groups. */
    for (int c = CZ_CLASS_NONE; c <= CZ_CLASS_LIGAND; ++c) {
        size_t count = 0;
        for (size_t i = 0; i < atoms->n; ++i) count += (sel[i] = atoms->class_id[i] == c);
        if (count) group_lines(&b, class_group(c), atoms->n, sel);
    }
    group_lines(&b, "cz_frozen", atoms->n, frozen);
    sb_printf(&b, "group cz_mobile subtract all cz_frozen\n");
    if (nfrozen) sb_printf(&b, "fix cz_freeze cz_frozen setforce 0.0 0.0 0.0\n");

    /* Per-atom energies. The reduce in the thermo line makes LAMMPS tally them at every thermo
     * output, and a minimisation ends with one, so they are current when the worker gathers. */
    sb_printf(&b, "compute %s all pe/atom\n", CZI_RELAX_PE_COMPUTE);
    sb_printf(&b, "compute cz_pe_sum all reduce sum c_%s\n", CZI_RELAX_PE_COMPUTE);
    sb_printf(&b, "thermo_style custom step temp pe fnorm c_cz_pe_sum\nthermo 100\n");
    /* metal units: ps. */
    sb_printf(&b, "timestep %.17g\n", opts->timestep_fs * 1e-3);
    if (opts->extra_commands) {
        sb_printf(&b, "# extra_commands\n");
        sb_lines(&b, opts->extra_commands);
    }
    sb_printf(&b, "run 0\nvariable %s equal $(pe:%%.17g)\n", CZI_RELAX_E0_VARIABLE);

    if (opts->anneal_steps > 0 && nfrozen < atoms->n) {
        /* Velocities by atom position ("loop geom"), so the draw does not depend on the number
         * of ranks; net momentum zeroed, and angular momentum too when no axis is periodic (a
         * free particle must not spin). */
        int periodic = frame->boundary[0] == 'p';
        unsigned long long seed = 1ull + opts->seed % 2147483646ull;
        sb_printf(&b,
                  "velocity cz_mobile create %.17g %llu mom yes rot %s dist gaussian loop geom\n",
                  opts->anneal_temperature_k, seed, periodic ? "no" : "yes");
        sb_printf(&b, "fix cz_nvt cz_mobile nvt temp %.17g %.17g %.17g\n",
                  opts->anneal_temperature_k, opts->anneal_temperature_k,
                  100.0 * opts->timestep_fs * 1e-3);
        sb_printf(&b, "run %ld\nunfix cz_nvt\n", opts->anneal_steps);
    }
    if (opts->min != CZ_RELAX_MIN_NONE) {
        sb_printf(&b, "min_style %s\n", opts->min == CZ_RELAX_MIN_FIRE ? "fire" : "cg");
        sb_printf(&b, "minimize %.17g %.17g %ld %ld\n", opts->etol, opts->ftol_ev_per_a,
                  opts->max_iterations, opts->max_evaluations);
    }
    if (b.oom) {
        st = RELAX_FAIL(CZ_ENOMEM, "out of memory writing the input script");
        goto done;
    }
    snprintf(path, sizeof path, "%s/%s", dir, CZI_RELAX_INPUT);
    st = write_text(path, b.s, b.len);
done:
    free(sel);
    free(b.s);
    return st;
}
