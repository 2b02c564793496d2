/* info.c — `cz info FILE`: what a structure file holds, as plain aligned text. */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "preview.h"

static const char *const CMD = "info";

const char *const cli_info_help[] = {
    "Usage: cz info [--format NAME] [--preview FILE.png] FILE\n"
    "\n"
    "Describe a structure file: the detected format; the atom count; counts by element and by\n"
    "label (object id, grain id, class); the cell rows (Å) and periodicity; the bounding box of\n"
    "the atoms (Å); and the smallest interatomic distance (Å, minimum image along periodic\n"
    "axes) with the pair of atoms (0-based indices) that has it.\n"
    "\n"
    "Options:\n"
    "  --format NAME       extxyz or prismatic (default: from the extension, .xyz .extxyz\n"
    "                      extxyz, .prismatic .xyzp Prismatic; LAMMPS data cannot be read)\n"
    "  --preview FILE.png  also write a PNG of the projections along x, y and z\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 success, 2 bad command line, 1 file missing or unreadable.\n"
    "\n"
    "Example:\n"
    "  cz info out/default.xyz\n",
    NULL};

enum { OPT_FORMAT, OPT_PREVIEW };

static const cli_opt info_opts[] = {
    {"--format", NULL, 1, OPT_FORMAT},
    {"--preview", NULL, 1, OPT_PREVIEW},
    {NULL, NULL, 0, 0},
};

static const char *class_name(int class_id) {
    switch (class_id) {
        case CZ_CLASS_NONE:
            return "none";
        case CZ_CLASS_PARTICLE:
            return "particle";
        case CZ_CLASS_SUBSTRATE:
            return "substrate";
        case CZ_CLASS_LIGAND:
            return "ligand";
        default:
            return "?";
    }
}

typedef struct label_key {
    int object_id, grain_id, class_id;
} label_key;

static int compare_labels(const void *pa, const void *pb) {
    const label_key *a = pa, *b = pb;
    if (a->object_id != b->object_id) return a->object_id < b->object_id ? -1 : 1;
    if (a->grain_id != b->grain_id) return a->grain_id < b->grain_id ? -1 : 1;
    if (a->class_id != b->class_id) return a->class_id < b->class_id ? -1 : 1;
    return 0;
}

/* Sorting a copy of the label triples costs O(n log n) with no assumption on how many objects
 * or grains a file holds (a polycrystal may have thousands). */
static int print_labels(const cz_atoms *atoms) {
    label_key *keys = malloc((atoms->n ? atoms->n : 1) * sizeof *keys);
    if (!keys) return cli_error(CLI_FAIL, CMD, "out of memory");
    for (size_t i = 0; i < atoms->n; ++i) {
        keys[i].object_id = atoms->object_id[i];
        keys[i].grain_id = atoms->grain_id[i];
        keys[i].class_id = atoms->class_id[i];
    }
    qsort(keys, atoms->n, sizeof *keys, compare_labels);
    printf("%-10s %8s %8s %-10s %10s\n", "labels", "object", "grain", "class", "atoms");
    for (size_t i = 0; i < atoms->n;) {
        size_t j = i;
        while (j < atoms->n && compare_labels(&keys[i], &keys[j]) == 0) ++j;
        printf("%-10s %8d %8d %-10s %10zu\n", "", keys[i].object_id, keys[i].grain_id,
               class_name(keys[i].class_id), j - i);
        i = j;
    }
    free(keys);
    return CLI_OK;
}

static void print_elements(const cz_atoms *atoms) {
    size_t count[CZ_MAX_Z + 1] = {0};
    for (size_t i = 0; i < atoms->n; ++i)
        if (atoms->z[i] >= 1 && atoms->z[i] <= CZ_MAX_Z) count[atoms->z[i]]++;
    int first = 1;
    for (int z = 1; z <= CZ_MAX_Z; ++z) {
        if (!count[z]) continue;
        printf("%-10s %-3s %10zu  (Z = %d)\n", first ? "elements" : "", cz_element_symbol(z),
               count[z], z);
        first = 0;
    }
}

static int print_info(const char *path, cz_format format, const cz_atoms *atoms) {
    printf("%-10s %s\n", "file", path);
    printf("%-10s %s\n", "format", cli_format_name(format));
    printf("%-10s %zu\n", "atoms", atoms->n);
    print_elements(atoms);
    int rc = print_labels(atoms);
    if (rc != CLI_OK) return rc;

    static const char rows[3] = {'a', 'b', 'c'};
    for (int i = 0; i < 3; ++i) {
        const double *r = atoms->cell[i];
        printf("%-10s %c %12.6f %12.6f %12.6f   |%c| = %.6f\n", i == 0 ? "cell" : "", rows[i], r[0],
               r[1], r[2], rows[i], sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]));
    }
    printf("%-10s %s %s %s\n", "pbc", atoms->pbc[0] ? "T" : "F", atoms->pbc[1] ? "T" : "F",
           atoms->pbc[2] ? "T" : "F");

    if (atoms->n == 0) {
        printf("%-10s (no atoms)\n", "bbox");
        printf("%-10s (fewer than two atoms)\n", "min dist");
        return CLI_OK;
    }
    double lo[3], hi[3];
    cz_status st = cz_atoms_bbox(atoms, lo, hi);
    if (st != CZ_OK) return cli_cz_error(st, CMD, "%s: bounding box", path);
    static const char axes[3] = {'x', 'y', 'z'};
    for (int i = 0; i < 3; ++i)
        printf("%-10s %c %12.6f .. %12.6f   extent %.6f\n", i == 0 ? "bbox" : "", axes[i], lo[i],
               hi[i], hi[i] - lo[i]);

    double dmin = INFINITY;
    size_t pair[2] = {0, 0};
    st = cz_atoms_min_distance(atoms, &dmin, pair);
    if (st != CZ_OK) return cli_cz_error(st, CMD, "%s: minimum distance", path);
    if (atoms->n < 2 || !isfinite(dmin)) {
        printf("%-10s (fewer than two atoms)\n", "min dist");
    } else {
        const char *s0 = cz_element_symbol(atoms->z[pair[0]]);
        const char *s1 = cz_element_symbol(atoms->z[pair[1]]);
        printf("%-10s %.6f   between atoms %zu (%s) and %zu (%s)\n", "min dist", dmin, pair[0],
               s0 ? s0 : "?", pair[1], s1 ? s1 : "?");
    }
    return CLI_OK;
}

int cli_info_main(int argc, char **argv) {
    cli_scan scan;
    cli_scan_init(&scan, CMD, argc, argv);
    const char *v = NULL, *opt = NULL, *path = NULL, *format_name = NULL, *preview = NULL;
    int id;
    while ((id = cli_next(&scan, info_opts, &v, &opt)) != CLI_NEXT_END) {
        switch (id) {
            case CLI_NEXT_HELP:
                cli_print_help(cli_info_help);
                return CLI_OK;
            case CLI_NEXT_ERROR:
                return CLI_USAGE;
            case CLI_NEXT_POSITIONAL:
                if (path)
                    return cli_error(CLI_USAGE, CMD, "one file at a time (got '%s' and '%s')", path,
                                     v);
                path = v;
                break;
            case OPT_FORMAT:
                format_name = v;
                break;
            case OPT_PREVIEW:
                preview = v;
                break;
            default:
                return cli_error(CLI_FAIL, CMD, "internal error: option %d", id);
        }
    }
    if (!path) return cli_error(CLI_USAGE, CMD, "missing FILE (see 'cz info --help')");

    cz_format format = CZ_FORMAT_AUTO;
    cz_status st = format_name ? cz_format_from_name(format_name, &format)
                               : cz_format_from_path(path, &format);
    if (st != CZ_OK)
        return format_name ? cli_cz_error(st, CMD, "--format %s", format_name)
                           : cli_cz_error(st, CMD, "%s", path);

    cz_atoms *atoms = NULL;
    st = cz_atoms_read(path, format, &atoms);
    if (st != CZ_OK) {
        /* A missing or malformed file is a failed run whatever status the reader chose. */
        cli_cz_error(st, CMD, "%s", path);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    if (preview) rc = cli_make_parent_dirs(CMD, "--preview", preview);
    if (rc == CLI_OK && preview) {
        cli_preview_opts pv;
        cli_preview_opts_default(&pv);
        char err[512];
        if (cli_preview_write(preview, atoms, &pv, err, sizeof err) != 0)
            rc = cli_error(CLI_FAIL, CMD, "--preview %s: %s", preview, err);
    }
    if (rc == CLI_OK) rc = print_info(path, format, atoms);
    cz_atoms_destroy(atoms);
    return rc;
}
