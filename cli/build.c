/* build.c — `cz build`: a crystal cut to a shape, oriented, centred in vacuum, written out. */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "preview.h"

static const char *const CMD = "build";

const char *const cli_build_help[] = {
    "Usage: cz build LATTICE SHAPE [ORIENTATION] [OUTPUT]\n"
    "       cz build SPEC.yaml [--seed S] [OUTPUT]\n"
    "       cz build --default [-o FILE] [--preview FILE.png]\n"
    "\n"
    "Build a crystal cut to a shape, turn it, centre it in a box of vacuum and write it.\n"
    "A lattice point sits at the origin and the shape is centred on --center, so the default\n"
    "particle has an atom at its centre. Prints one summary line (atoms, elements, file).\n"
    "Lengths are in Å, angles in degrees.\n"
    "\n"
    "A scene spec (YAML, schema in docs/spec.md) describes a whole scene, with random\n"
    "distributions allowed for any number or name; --seed S overrides its seed: the same spec\n"
    "and seed give the same atoms, byte for byte. Lattice, shape and orientation options do\n"
    "not combine with a spec.\n"
    "\n"
    "Lattice (one of --lattice, --spacegroup, --from-file):\n"
    "  --lattice NAME          prototype: fcc bcc hcp diamond rocksalt zincblende wurtzite\n"
    "                          fluorite perovskite graphite 2H-MoS2\n"
    "  --element X             species of a one-element prototype (Au)\n"
    "  --elements A,B[,C]      species in the prototype's order: rocksalt Na,Cl; zincblende and\n"
    "                          wurtzite Zn,S; fluorite Ca,F; 2H-MoS2 Mo,S; perovskite Sr,Ti,O\n"
    "  -a A                    lattice constant a, Å (required with --lattice)\n"
    "  -c C                    hexagonal c, Å (default: ideal, sqrt(8/3)·a for hcp and wurtzite,\n"
    "                          6.71/2.46·a for graphite, 12.29/3.16·a for 2H-MoS2)\n"
    "  -u U                    internal parameter, fraction of c: wurtzite u (default 0.375),\n"
    "                          2H-MoS2 sulfur height (default 0.621)\n"
    "  --spacegroup N          space group 1..230 (standard setting); needs --cell and --site\n"
    "  --cell a,b,c,al,be,ga   lattice parameters, Å and degrees (with --spacegroup)\n"
    "  --site X:F1,F2,F3       asymmetric-unit site X at fractional F1,F2,F3; repeat per site\n"
    "  --from-file FILE        the cell and fractional positions of a structure file (extxyz\n"
    "                          with Lattice=, or Prismatic) are the basis\n"
    "\n",
    "Shape (at least one; --planes cuts any of the others, the result is the intersection):\n"
    "  --sphere R              ball of radius R, Å\n"
    "  --box LX,LY,LZ          box with edges LX, LY, LZ along x, y, z, Å\n"
    "  --cylinder R,L          cylinder of radius R and length L, Å, axis along z (the beam)\n"
    "  --planes \"SPEC;...\"     crystal facets. h,k,l:D keeps the side of plane (hkl) that holds\n"
    "                          the centre, D Å from it; {h,k,l}:D adds every sign change and\n"
    "                          permutation of h,k,l (the cubic family: {1,1,1} = 8 planes).\n"
    "                          D is snapped to the nearest lattice plane. May be repeated.\n"
    "  --center X,Y,Z          centre of the shape, Å (default 0,0,0: a lattice point)\n"
    "\n"
    "Orientation (applied in this order, as rotations about the centre; default: none):\n"
    "  --zone-axis U,V,W       bring lattice direction [uvw] onto the beam, +z\n"
    "  --rotate AX,AY,AZ:DEG   rotate by DEG degrees about axis (AX,AY,AZ), right-hand rule\n"
    "  --euler PHI,THETA,PSI   Euler rotation z-x'-z'', degrees\n"
    "  --random-orientation SEED   uniformly random rotation, reproducible from SEED (>= 0)\n"
    "  The crystal and its --planes facets turn together; --sphere, --box and --cylinder stay in\n"
    "  the output frame (box edges along x, y, z; cylinder along the beam).\n"
    "\n",
    "Output:\n"
    "  -o, --output FILE       write the structure (default: not written). Format from the\n"
    "                          extension: .xyz .extxyz extxyz; .lmp .data .lammps LAMMPS data;\n"
    "                          .prismatic .xyzp Prismatic. Missing directories are created.\n"
    "  --format NAME           extxyz, lammps or prismatic (overrides the extension)\n"
    "  --vacuum V              vacuum between the atoms and each cell face, Å (default 5)\n"
    "  --preview FILE.png      PNG of the projections along x, y and z (8 px/Å, <= 1800 px)\n"
    "  --max-atoms N           fail instead of building more than N atoms (default 268435456)\n"
    "  --threads N             threads for the fill, 0 = all cores (default 0)\n"
    "  --default               the built-in scene: Au fcc (a = 4.08 Å), sphere R = 20 Å cut by\n"
    "                          {111} planes at 17 Å and {100} planes at 18 Å (a truncated\n"
    "                          octahedron), along zone axis [110], 10 Å of vacuum. Options given\n"
    "                          with it replace that part: lattice fields one by one; any shape\n"
    "                          option the whole shape; any orientation option the zone axis.\n"
    "  -h, --help              show this help\n"
    "\n",
    "Exit status: 0 success, 2 bad command line or value, 1 failure while building or writing.\n"
    "\n"
    "Examples:\n"
    "  cz build --lattice fcc --element Au -a 4.08 --sphere 25 -o au.xyz\n"
    "  cz build --lattice fcc --element Pt -a 3.92 --planes \"{1,1,1}:15;{1,0,0}:16\" \\\n"
    "           --zone-axis 1,1,0 -o pt.xyz --preview pt.png\n"
    "  cz build --lattice wurtzite --elements Zn,O -a 3.25 -c 5.21 -u 0.382 --box 40,40,30 \\\n"
    "           --zone-axis 1,1,0 -o zno.lmp\n"
    "  cz build --spacegroup 225 --cell 5.64,5.64,5.64,90,90,90 --site Na:0,0,0 \\\n"
    "           --site Cl:0.5,0.5,0.5 --sphere 20 --random-orientation 7 -o nacl.xyz\n"
    "  cz build --default -o out/default.xyz --preview out/default.png\n",
    NULL};

enum {
    OPT_LATTICE,
    OPT_ELEMENT,
    OPT_ELEMENTS,
    OPT_A,
    OPT_C,
    OPT_U,
    OPT_SPACEGROUP,
    OPT_CELL,
    OPT_SITE,
    OPT_FROM_FILE,
    OPT_SPHERE,
    OPT_BOX,
    OPT_CYLINDER,
    OPT_PLANES,
    OPT_CENTER,
    OPT_ZONE_AXIS,
    OPT_ROTATE,
    OPT_EULER,
    OPT_RANDOM,
    OPT_OUTPUT,
    OPT_FORMAT,
    OPT_VACUUM,
    OPT_PREVIEW,
    OPT_MAX_ATOMS,
    OPT_THREADS,
    OPT_DEFAULT,
    OPT_SEED
};

static const cli_opt build_opts[] = {
    {"--lattice", NULL, 1, OPT_LATTICE},
    {"--element", NULL, 1, OPT_ELEMENT},
    {"--elements", NULL, 1, OPT_ELEMENTS},
    {"-a", NULL, 1, OPT_A},
    {"-c", NULL, 1, OPT_C},
    {"-u", NULL, 1, OPT_U},
    {"--spacegroup", NULL, 1, OPT_SPACEGROUP},
    {"--cell", NULL, 1, OPT_CELL},
    {"--site", NULL, 1, OPT_SITE},
    {"--from-file", NULL, 1, OPT_FROM_FILE},
    {"--sphere", NULL, 1, OPT_SPHERE},
    {"--box", NULL, 1, OPT_BOX},
    {"--cylinder", NULL, 1, OPT_CYLINDER},
    {"--planes", NULL, 1, OPT_PLANES},
    {"--center", "--centre", 1, OPT_CENTER},
    {"--zone-axis", NULL, 1, OPT_ZONE_AXIS},
    {"--rotate", NULL, 1, OPT_ROTATE},
    {"--euler", NULL, 1, OPT_EULER},
    {"--random-orientation", NULL, 1, OPT_RANDOM},
    {"--output", "-o", 1, OPT_OUTPUT},
    {"--format", NULL, 1, OPT_FORMAT},
    {"--vacuum", NULL, 1, OPT_VACUUM},
    {"--preview", NULL, 1, OPT_PREVIEW},
    {"--max-atoms", NULL, 1, OPT_MAX_ATOMS},
    {"--threads", NULL, 1, OPT_THREADS},
    {"--default", NULL, 0, OPT_DEFAULT},
    {"--seed", NULL, 1, OPT_SEED},
    {NULL, NULL, 0, 0},
};

enum { SHAPE_NONE, SHAPE_SPHERE, SHAPE_BOX, SHAPE_CYLINDER };

typedef struct plane_spec {
    int hkl[3];
    double distance; /* Å from the shape centre */
} plane_spec;

/* Everything the command line said, before any library call. */
typedef struct build_args {
    const char *lattice_name;
    int species[3];
    double a, c, u; /* NAN = not given */
    int have_spacegroup;
    int spacegroup;
    int have_cell;
    double cellpar[6];
    size_t nsites, cap_sites;
    double (*site_frac)[3];
    int *site_z;
    const char *from_file;

    int shape;
    const char *shape_opt; /* spelling of the shape option, for messages */
    double radius;
    double box[3];
    double cylinder[2];
    size_t nplanes, cap_planes;
    plane_spec *planes;
    double center[3];

    int have_zone;
    int uvw[3];
    int have_rotate;
    double rotate_axis[3];
    double rotate_deg;
    int have_euler;
    double euler[3];
    int have_random;
    uint64_t seed;

    const char *output;
    const char *format_name;
    int have_vacuum;
    double vacuum;
    const char *preview;
    size_t max_atoms;
    int threads;
    int use_default;
    const char *spec; /* scene spec file (positional) */
    int have_seed;
    uint64_t spec_seed;
} build_args;

static void args_init(build_args *A) {
    memset(A, 0, sizeof *A);
    A->a = A->c = A->u = NAN;
    A->vacuum = 5.0;
    A->max_atoms = CZ_MAX_ATOMS;
}

static void args_free(build_args *A) {
    free(A->site_frac);
    free(A->site_z);
    free(A->planes);
}

/* ---- parsing of the structured option values ----------------------------------------------- */

static int add_plane(build_args *A, const int hkl[3], double distance) {
    for (size_t i = 0; i < A->nplanes; ++i) {
        const plane_spec *p = &A->planes[i];
        /* A family expansion revisits the same triple (e.g. {1,1,1} permuted); the later
         * distance wins, as for any repeated option. */
        if (p->hkl[0] == hkl[0] && p->hkl[1] == hkl[1] && p->hkl[2] == hkl[2]) {
            A->planes[i].distance = distance;
            return 0;
        }
    }
    if (A->nplanes == A->cap_planes) {
        size_t cap = A->cap_planes ? 2 * A->cap_planes : 16;
        plane_spec *p = realloc(A->planes, cap * sizeof *p);
        if (!p) return cli_error(CLI_FAIL, CMD, "out of memory"), -1;
        A->planes = p;
        A->cap_planes = cap;
    }
    plane_spec *p = &A->planes[A->nplanes++];
    memcpy(p->hkl, hkl, sizeof p->hkl);
    p->distance = distance;
    return 0;
}

/* Every sign change and permutation of (h, k, l): the members of a cubic form {hkl}. */
static int add_family(build_args *A, const int hkl[3], double distance) {
    static const int perm[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                   {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    for (int p = 0; p < 6; ++p) {
        for (int s = 0; s < 8; ++s) {
            int v[3];
            for (int i = 0; i < 3; ++i) v[i] = hkl[perm[p][i]] * ((s >> i) & 1 ? -1 : 1);
            if (add_plane(A, v, distance) != 0) return -1;
        }
    }
    return 0;
}

static const char *skip_space(const char *p) {
    while (isspace((unsigned char)*p)) ++p;
    return p;
}

/* "h,k,l:D;{h,k,l}:D;..." */
static int parse_planes(build_args *A, const char *opt, const char *text) {
    const char *p = text;
    int nitems = 0;
    while (*(p = skip_space(p))) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char item[128];
        if (len >= sizeof item) {
            cli_error(CLI_USAGE, CMD, "%s: plane '%.*s' is too long", opt, (int)len, p);
            return -1;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        while (len > 0 && isspace((unsigned char)item[len - 1])) item[--len] = '\0';
        p = end ? end + 1 : p + strlen(p);
        if (len == 0) continue;

        char *hkl_text = item;
        int family = 0;
        char *colon = strrchr(item, ':');
        if (!colon) {
            cli_error(CLI_USAGE, CMD, "%s: expected h,k,l:D or {h,k,l}:D (got '%s')", opt, item);
            return -1;
        }
        *colon = '\0';
        if (hkl_text[0] == '{') {
            char *close = strchr(hkl_text, '}');
            if (!close || skip_space(close + 1)[0] != '\0') {
                cli_error(CLI_USAGE, CMD, "%s: unbalanced braces in '%s'", opt, hkl_text);
                return -1;
            }
            *close = '\0';
            ++hkl_text;
            family = 1;
        }
        int hkl[3];
        double d = 0.0;
        char what[160];
        snprintf(what, sizeof what, "%s (Miller indices)", opt);
        if (cli_parse_ints(CMD, what, skip_space(hkl_text), 3, hkl) != 0) return -1;
        snprintf(what, sizeof what, "%s (plane distance, Å)", opt);
        if (cli_parse_double(CMD, what, skip_space(colon + 1), &d) != 0) return -1;
        if (family ? add_family(A, hkl, d) : add_plane(A, hkl, d)) return -1;
        ++nitems;
    }
    if (nitems == 0) {
        cli_error(CLI_USAGE, CMD, "%s: no planes given (e.g. \"{1,1,1}:15;{1,0,0}:16\")", opt);
        return -1;
    }
    return 0;
}

/* "Au:0,0,0" */
static int parse_site(build_args *A, const char *opt, const char *text) {
    const char *colon = strchr(text, ':');
    char symbol[16];
    size_t len = colon ? (size_t)(colon - text) : 0;
    if (!colon || len == 0 || len >= sizeof symbol) {
        cli_error(CLI_USAGE, CMD, "%s: expected X:F1,F2,F3, e.g. Au:0,0,0 (got '%s')", opt, text);
        return -1;
    }
    memcpy(symbol, text, len);
    symbol[len] = '\0';
    int z = 0;
    double f[3];
    if (cli_parse_element(CMD, opt, symbol, &z) != 0) return -1;
    if (cli_parse_doubles(CMD, opt, colon + 1, 3, f) != 0) return -1;
    if (A->nsites == A->cap_sites) {
        size_t cap = A->cap_sites ? 2 * A->cap_sites : 8;
        double(*frac)[3] = realloc(A->site_frac, cap * sizeof *frac);
        if (!frac) return cli_error(CLI_FAIL, CMD, "out of memory"), -1;
        A->site_frac = frac;
        int *zs = realloc(A->site_z, cap * sizeof *zs);
        if (!zs) return cli_error(CLI_FAIL, CMD, "out of memory"), -1;
        A->site_z = zs;
        A->cap_sites = cap;
    }
    memcpy(A->site_frac[A->nsites], f, sizeof f);
    A->site_z[A->nsites] = z;
    A->nsites++;
    return 0;
}

/* "Zn,O" */
static int parse_species(build_args *A, const char *opt, const char *text) {
    int z[3] = {0, 0, 0};
    const char *p = text;
    int count = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char symbol[16];
        if (count == 3 || len == 0 || len >= sizeof symbol) {
            cli_error(CLI_USAGE, CMD, "%s: expected 1 to 3 element symbols, e.g. Zn,O (got '%s')",
                      opt, text);
            return -1;
        }
        memcpy(symbol, p, len);
        symbol[len] = '\0';
        if (cli_parse_element(CMD, opt, symbol, &z[count]) != 0) return -1;
        ++count;
        if (!comma) break;
        p = comma + 1;
    }
    memcpy(A->species, z, sizeof z);
    return 0;
}

/* "AX,AY,AZ:DEG" */
static int parse_rotate(build_args *A, const char *opt, const char *text) {
    const char *colon = strchr(text, ':');
    char axis[256];
    size_t len = colon ? (size_t)(colon - text) : 0;
    if (!colon || len >= sizeof axis) {
        cli_error(CLI_USAGE, CMD, "%s: expected AX,AY,AZ:DEG, e.g. 0,0,1:30 (got '%s')", opt, text);
        return -1;
    }
    memcpy(axis, text, len);
    axis[len] = '\0';
    if (cli_parse_doubles(CMD, opt, axis, 3, A->rotate_axis) != 0) return -1;
    if (cli_parse_double(CMD, opt, colon + 1, &A->rotate_deg) != 0) return -1;
    A->have_rotate = 1;
    return 0;
}

static int set_shape(build_args *A, int shape, const char *opt) {
    if (A->shape != SHAPE_NONE && A->shape != shape) {
        cli_error(CLI_USAGE, CMD,
                  "%s and %s cannot be combined: give one of --sphere, --box, --cylinder "
                  "(cut it with --planes)",
                  A->shape_opt, opt);
        return -1;
    }
    A->shape = shape;
    A->shape_opt = opt;
    return 0;
}

/* Returns 0 to go on, 1 after printing help, -1 after printing an error. */
static int parse_args(build_args *A, int argc, char **argv) {
    cli_scan scan;
    cli_scan_init(&scan, CMD, argc, argv);
    const char *v = NULL, *opt = NULL;
    int id;
    while ((id = cli_next(&scan, build_opts, &v, &opt)) != CLI_NEXT_END) {
        int rc = 0;
        long n = 0;
        uint64_t u64 = 0;
        switch (id) {
            case CLI_NEXT_HELP:
                cli_print_help(cli_build_help);
                return 1;
            case CLI_NEXT_ERROR:
                return -1;
            case CLI_NEXT_POSITIONAL:
                if (A->spec) {
                    cli_error(CLI_USAGE, CMD, "unexpected argument '%s' (one spec file only)", v);
                    return -1;
                }
                A->spec = v;
                break;
            case OPT_SEED:
                rc = cli_parse_u64(CMD, opt, v, &A->spec_seed);
                A->have_seed = 1;
                break;
            case OPT_LATTICE:
                A->lattice_name = v;
                break;
            case OPT_ELEMENT:
                memset(A->species, 0, sizeof A->species);
                rc = cli_parse_element(CMD, opt, v, &A->species[0]);
                break;
            case OPT_ELEMENTS:
                rc = parse_species(A, opt, v);
                break;
            case OPT_A:
                rc = cli_parse_double(CMD, opt, v, &A->a);
                break;
            case OPT_C:
                rc = cli_parse_double(CMD, opt, v, &A->c);
                break;
            case OPT_U:
                rc = cli_parse_double(CMD, opt, v, &A->u);
                break;
            case OPT_SPACEGROUP:
                rc = cli_parse_long(CMD, opt, v, -1000000, 1000000, &n);
                A->spacegroup = (int)n;
                A->have_spacegroup = 1;
                break;
            case OPT_CELL:
                rc = cli_parse_doubles(CMD, opt, v, 6, A->cellpar);
                A->have_cell = 1;
                break;
            case OPT_SITE:
                rc = parse_site(A, opt, v);
                break;
            case OPT_FROM_FILE:
                A->from_file = v;
                break;
            case OPT_SPHERE:
                rc = set_shape(A, SHAPE_SPHERE, opt);
                if (rc == 0) rc = cli_parse_double(CMD, opt, v, &A->radius);
                break;
            case OPT_BOX:
                rc = set_shape(A, SHAPE_BOX, opt);
                if (rc == 0) rc = cli_parse_doubles(CMD, opt, v, 3, A->box);
                break;
            case OPT_CYLINDER:
                rc = set_shape(A, SHAPE_CYLINDER, opt);
                if (rc == 0) rc = cli_parse_doubles(CMD, opt, v, 2, A->cylinder);
                break;
            case OPT_PLANES:
                rc = parse_planes(A, opt, v);
                break;
            case OPT_CENTER:
                rc = cli_parse_doubles(CMD, opt, v, 3, A->center);
                break;
            case OPT_ZONE_AXIS:
                rc = cli_parse_ints(CMD, opt, v, 3, A->uvw);
                A->have_zone = 1;
                break;
            case OPT_ROTATE:
                rc = parse_rotate(A, opt, v);
                break;
            case OPT_EULER:
                rc = cli_parse_doubles(CMD, opt, v, 3, A->euler);
                A->have_euler = 1;
                break;
            case OPT_RANDOM:
                rc = cli_parse_u64(CMD, opt, v, &A->seed);
                A->have_random = 1;
                break;
            case OPT_OUTPUT:
                A->output = v;
                break;
            case OPT_FORMAT:
                A->format_name = v;
                break;
            case OPT_VACUUM:
                rc = cli_parse_double(CMD, opt, v, &A->vacuum);
                A->have_vacuum = 1;
                break;
            case OPT_PREVIEW:
                A->preview = v;
                break;
            case OPT_MAX_ATOMS:
                rc = cli_parse_u64(CMD, opt, v, &u64);
                if (rc == 0 && u64 == 0) {
                    cli_error(CLI_USAGE, CMD, "%s: must be at least 1 (got %s)", opt, v);
                    rc = -1;
                }
                A->max_atoms = u64 > CZ_MAX_ATOMS ? CZ_MAX_ATOMS : (size_t)u64;
                break;
            case OPT_THREADS:
                rc = cli_parse_long(CMD, opt, v, 0, 4096, &n);
                A->threads = (int)n;
                break;
            case OPT_DEFAULT:
                A->use_default = 1;
                break;
            default:
                return cli_error(CLI_FAIL, CMD, "internal error: option %d", id), -1;
        }
        if (rc != 0) return -1;
    }
    return 0;
}

/* ---- the default scene and consistency checks ---------------------------------------------- */

static int apply_default_scene(build_args *A) {
    if (!A->have_spacegroup && !A->from_file) {
        if (!A->lattice_name) A->lattice_name = "fcc";
        if (A->species[0] == 0) A->species[0] = 79; /* Au */
        if (isnan(A->a)) A->a = 4.08;
    }
    if (A->shape == SHAPE_NONE && A->nplanes == 0) {
        A->shape = SHAPE_SPHERE;
        A->shape_opt = "--sphere";
        A->radius = 20.0;
        const int h111[3] = {1, 1, 1}, h100[3] = {1, 0, 0};
        if (add_family(A, h111, 17.0) != 0 || add_family(A, h100, 18.0) != 0) return -1;
    }
    if (!A->have_zone && !A->have_rotate && !A->have_euler && !A->have_random) {
        A->have_zone = 1;
        A->uvw[0] = 1;
        A->uvw[1] = 1;
        A->uvw[2] = 0;
    }
    if (!A->have_vacuum) A->vacuum = 10.0;
    return 0;
}

static int check_args(const build_args *A) {
    int sources = (A->lattice_name != NULL) + A->have_spacegroup + (A->from_file != NULL);
    if (sources == 0)
        return cli_error(CLI_USAGE, CMD,
                         "no lattice: give --lattice, --spacegroup or --from-file "
                         "(or --default; see 'cz build --help')");
    if (sources > 1)
        return cli_error(CLI_USAGE, CMD,
                         "--lattice, --spacegroup and --from-file are alternatives; give one");
    if (A->lattice_name) {
        if (A->species[0] == 0)
            return cli_error(CLI_USAGE, CMD, "--lattice %s needs --element or --elements",
                             A->lattice_name);
        if (isnan(A->a))
            return cli_error(CLI_USAGE, CMD, "--lattice %s needs -a (lattice constant, Å)",
                             A->lattice_name);
    } else if (A->species[0] != 0 || !isnan(A->a) || !isnan(A->c) || !isnan(A->u)) {
        return cli_error(CLI_USAGE, CMD, "--element, --elements, -a, -c and -u go with --lattice");
    }
    if (A->have_spacegroup) {
        if (!A->have_cell)
            return cli_error(CLI_USAGE, CMD, "--spacegroup needs --cell a,b,c,alpha,beta,gamma");
        if (A->nsites == 0)
            return cli_error(CLI_USAGE, CMD, "--spacegroup needs at least one --site X:F1,F2,F3");
    } else if (A->have_cell || A->nsites > 0) {
        return cli_error(CLI_USAGE, CMD, "--cell and --site go with --spacegroup");
    }
    if (A->shape == SHAPE_NONE && A->nplanes == 0)
        return cli_error(CLI_USAGE, CMD,
                         "no shape: give --sphere, --box, --cylinder or --planes "
                         "(see 'cz build --help')");
    /* The library takes any parallelepiped, of either handedness; a negative edge on the command
     * line is a typo, not a mirrored box. */
    if (A->shape == SHAPE_BOX && !(A->box[0] > 0 && A->box[1] > 0 && A->box[2] > 0))
        return cli_error(CLI_USAGE, CMD, "--box: edge lengths must be > 0 (got %g,%g,%g)",
                         A->box[0], A->box[1], A->box[2]);
    if (A->format_name && !A->output) return cli_error(CLI_USAGE, CMD, "--format needs -o FILE");
    return CLI_OK;
}

/* ---- lattice -------------------------------------------------------------------------------- */

/* Inverse of a 3×3 matrix by the adjugate; 0 when the rows are (numerically) dependent. */
static int invert3(const double m[3][3], double inv[3][3]) {
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    double scale = 1.0;
    for (int i = 0; i < 3; ++i)
        scale *= sqrt(m[i][0] * m[i][0] + m[i][1] * m[i][1] + m[i][2] * m[i][2]);
    if (!(fabs(det) > 1e-9 * scale)) return 0;
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) {
            /* Cofactor of m[j][i], divided by det: the adjugate is the transposed cofactor. */
            int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
            inv[i][j] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
        }
    }
    return 1;
}

/* A structure file's cell and positions become a lattice basis (f = r · cell⁻¹). */
static int lattice_from_file(const char *path, cz_lattice **out) {
    cz_atoms *atoms = NULL;
    cz_status st = cz_atoms_read(path, CZ_FORMAT_AUTO, &atoms);
    if (st != CZ_OK) {
        /* A file the user named that cannot be read is a failed run, not a bad option. */
        cli_cz_error(st, CMD, "--from-file %s", path);
        return CLI_FAIL;
    }
    int rc = CLI_OK;
    double inv[3][3];
    double(*frac)[3] = NULL;
    if (atoms->n == 0) {
        rc = cli_error(CLI_USAGE, CMD, "--from-file %s: the file holds no atoms", path);
        goto done;
    }
    if (!invert3((const double(*)[3])atoms->cell, inv)) {
        rc = cli_error(CLI_USAGE, CMD,
                       "--from-file %s: needs a full cell of three lattice vectors "
                       "(extxyz Lattice=\"...\")",
                       path);
        goto done;
    }
    frac = malloc(atoms->n * sizeof *frac);
    if (!frac) {
        rc = cli_error(CLI_FAIL, CMD, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < atoms->n; ++i)
        for (int j = 0; j < 3; ++j)
            frac[i][j] = atoms->xyz[i][0] * inv[0][j] + atoms->xyz[i][1] * inv[1][j] +
                         atoms->xyz[i][2] * inv[2][j];
    st = cz_lattice_create((const double(*)[3])atoms->cell, atoms->n, (const double(*)[3])frac,
                           atoms->z, out);
    if (st != CZ_OK) rc = cli_cz_error(st, CMD, "--from-file %s", path);
done:
    free(frac);
    cz_atoms_destroy(atoms);
    return rc;
}

static int make_lattice(const build_args *A, cz_lattice **out) {
    cz_status st;
    if (A->from_file) return lattice_from_file(A->from_file, out);
    if (A->have_spacegroup) {
        double cell[3][3];
        const double *p = A->cellpar;
        st = cz_cell_from_parameters(p[0], p[1], p[2], p[3], p[4], p[5], cell);
        if (st != CZ_OK)
            return cli_cz_error(st, CMD, "--cell %g,%g,%g,%g,%g,%g", p[0], p[1], p[2], p[3], p[4],
                                p[5]);
        st = cz_lattice_from_spacegroup(A->spacegroup, (const double(*)[3])cell, A->nsites,
                                        (const double(*)[3])A->site_frac, A->site_z, NULL, out);
        if (st != CZ_OK) return cli_cz_error(st, CMD, "--spacegroup %d", A->spacegroup);
        return CLI_OK;
    }
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    memcpy(po.z, A->species, sizeof po.z);
    po.a = A->a;
    if (!isnan(A->c)) po.c = A->c;
    if (!isnan(A->u)) po.u = A->u;
    st = cz_lattice_prototype(A->lattice_name, &po, out);
    if (st != CZ_OK) return cli_cz_error(st, CMD, "--lattice %s", A->lattice_name);
    return CLI_OK;
}

/* ---- orientation and shape ------------------------------------------------------------------ */

/* The orientation options, composed in the documented order, as one rotation about the centre. */
static int make_orientation(const build_args *A, const cz_lattice *lat, cz_transform *R) {
    cz_transform_identity(R);
    cz_transform step;
    cz_status st;
    if (A->have_zone) {
        st = cz_transform_zone_axis(lat, A->uvw, 0.0, A->center, &step);
        if (st != CZ_OK)
            return cli_cz_error(st, CMD, "--zone-axis %d,%d,%d", A->uvw[0], A->uvw[1], A->uvw[2]);
        cz_transform_compose(R, &step, R);
    }
    if (A->have_rotate) {
        st = cz_transform_axis_angle(A->rotate_axis, A->rotate_deg, A->center, &step);
        if (st != CZ_OK)
            return cli_cz_error(st, CMD, "--rotate %g,%g,%g:%g", A->rotate_axis[0],
                                A->rotate_axis[1], A->rotate_axis[2], A->rotate_deg);
        cz_transform_compose(R, &step, R);
    }
    if (A->have_euler) {
        st = cz_transform_euler(A->euler[0], A->euler[1], A->euler[2], A->center, &step);
        if (st != CZ_OK)
            return cli_cz_error(st, CMD, "--euler %g,%g,%g", A->euler[0], A->euler[1], A->euler[2]);
        cz_transform_compose(R, &step, R);
    }
    if (A->have_random) {
        double m[3][3], t[3];
        cz_rng_rotation(A->seed, 0, 0, m);
        /* About the centre: x' = m (x − c) + c. */
        for (int i = 0; i < 3; ++i)
            t[i] = A->center[i] -
                   (m[i][0] * A->center[0] + m[i][1] * A->center[1] + m[i][2] * A->center[2]);
        st = cz_transform_matrix((const double(*)[3])m, t, 1, &step);
        if (st != CZ_OK)
            return cli_cz_error(st, CMD, "--random-orientation %llu", (unsigned long long)A->seed);
        cz_transform_compose(R, &step, R);
    }
    return CLI_OK;
}

/* The object's volume in the crystal frame. The scene turns crystal and volume together
 * (locked), so a box or cylinder meant to stay in the output frame is built here already turned
 * back by R⁻¹ = Rᵀ about the centre: its edge i is row i of R's linear part. A sphere about the
 * centre needs no such care. */
static int make_volume(const build_args *A, const cz_lattice *lat, const cz_transform *R,
                       cz_volume **out) {
    const double *c = A->center;
    const double(*m)[3] = R->m;
    cz_volume *vol = NULL, *plane = NULL, *both = NULL;
    cz_status st = CZ_OK;
    int rc = CLI_OK;
    *out = NULL;

    switch (A->shape) {
        case SHAPE_SPHERE:
            st = cz_volume_sphere(c, A->radius, &vol);
            if (st != CZ_OK) return cli_cz_error(st, CMD, "--sphere %g", A->radius);
            break;
        case SHAPE_BOX: {
            double origin[3], edges[3][3];
            for (int j = 0; j < 3; ++j) {
                origin[j] = c[j];
                for (int i = 0; i < 3; ++i) {
                    edges[i][j] = A->box[i] * m[i][j];
                    origin[j] -= 0.5 * A->box[i] * m[i][j];
                }
            }
            st = cz_volume_box(origin, (const double(*)[3])edges, &vol);
            if (st != CZ_OK)
                return cli_cz_error(st, CMD, "--box %g,%g,%g", A->box[0], A->box[1], A->box[2]);
            break;
        }
        case SHAPE_CYLINDER:
            st = cz_volume_cylinder(c, m[2], A->cylinder[0], A->cylinder[1], &vol);
            if (st != CZ_OK)
                return cli_cz_error(st, CMD, "--cylinder %g,%g", A->cylinder[0], A->cylinder[1]);
            break;
        default:
            break;
    }

    for (size_t i = 0; i < A->nplanes; ++i) {
        const plane_spec *p = &A->planes[i];
        double d_spacing = 0.0, normal[3];
        st = cz_lattice_plane(lat, p->hkl, &d_spacing, normal);
        if (st == CZ_OK) {
            /* The user measures D from the centre; cz_volume_miller from the lattice origin. */
            double from_origin =
                p->distance + normal[0] * c[0] + normal[1] * c[1] + normal[2] * c[2];
            st = cz_volume_miller(lat, p->hkl, from_origin, 1, &plane);
        }
        if (st == CZ_OK && vol) {
            st = cz_volume_intersection(vol, plane, &both);
            cz_volume_destroy(vol);
            cz_volume_destroy(plane);
            plane = NULL;
            vol = both;
            both = NULL;
        } else if (st == CZ_OK) {
            vol = plane;
            plane = NULL;
        }
        if (st != CZ_OK) {
            rc = cli_cz_error(st, CMD, "--planes %d,%d,%d:%g", p->hkl[0], p->hkl[1], p->hkl[2],
                              p->distance);
            cz_volume_destroy(vol);
            return rc;
        }
    }
    *out = vol;
    return CLI_OK;
}

/* ---- output ---------------------------------------------------------------------------------- */

static int is_identity(const cz_transform *tf) {
    for (int i = 0; i < 3; ++i) {
        if (tf->t[i] != 0.0) return 0;
        for (int j = 0; j < 3; ++j)
            if (tf->m[i][j] != (i == j ? 1.0 : 0.0)) return 0;
    }
    return 1;
}

/* "Au 3925" or "Zn 1200, O 1200", in increasing Z. */
static void element_summary(const cz_atoms *atoms, char *buf, size_t len) {
    size_t count[CZ_MAX_Z + 1] = {0};
    for (size_t i = 0; i < atoms->n; ++i)
        if (atoms->z[i] >= 1 && atoms->z[i] <= CZ_MAX_Z) count[atoms->z[i]]++;
    size_t used = 0;
    buf[0] = '\0';
    for (int z = 1; z <= CZ_MAX_Z && used < len; ++z) {
        if (!count[z]) continue;
        int k = snprintf(buf + used, len - used, "%s%s %zu", used ? ", " : "", cz_element_symbol(z),
                         count[z]);
        if (k < 0) break;
        used += (size_t)k;
    }
}

int cli_build_main(int argc, char **argv) {
    build_args A;
    args_init(&A);
    cz_lattice *lat = NULL;
    cz_volume *vol = NULL;
    cz_scene *scene = NULL;
    cz_atoms *atoms = NULL;
    cz_format format = CZ_FORMAT_AUTO;
    cz_status st;
    int rc = parse_args(&A, argc, argv);
    if (rc != 0) {
        rc = rc > 0 ? CLI_OK : CLI_USAGE;
        goto done;
    }
    if (A.spec) {
        if (A.lattice_name || A.have_spacegroup || A.from_file || A.shape || A.nplanes ||
            A.have_zone || A.have_rotate || A.have_euler || A.have_random || A.use_default) {
            rc = cli_error(CLI_USAGE, CMD,
                           "%s describes the whole scene: lattice, shape and orientation options "
                           "do not combine with a spec",
                           A.spec);
            goto done;
        }
    } else {
        if (A.have_seed) {
            rc = cli_error(CLI_USAGE, CMD, "--seed goes with a spec file (see 'cz build --help')");
            goto done;
        }
        if (A.use_default && apply_default_scene(&A) != 0) {
            rc = CLI_FAIL;
            goto done;
        }
        if ((rc = check_args(&A)) != CLI_OK) goto done;
    }

    /* Settle everything about the output before the (possibly long) build, so a typo in a file
     * name costs nothing. */
    if (A.output) {
        st = A.format_name ? cz_format_from_name(A.format_name, &format)
                           : cz_format_from_path(A.output, &format);
        if (st != CZ_OK) {
            rc = A.format_name ? cli_cz_error(st, CMD, "--format %s", A.format_name)
                               : cli_cz_error(st, CMD, "-o %s", A.output);
            goto done;
        }
        if ((rc = cli_make_parent_dirs(CMD, "-o", A.output)) != CLI_OK) goto done;
    }
    if (A.preview && (rc = cli_make_parent_dirs(CMD, "--preview", A.preview)) != CLI_OK) goto done;

    if (A.spec) {
        /* The spec is parsed and fully validated before anything is written. */
        cz_spec *sp = NULL;
        st = cz_spec_parse_file(A.spec, &sp);
        if (st == CZ_OK) {
            cz_spec_build_opts bo;
            cz_spec_build_opts_default(&bo);
            bo.seed = A.spec_seed;
            bo.use_seed = A.have_seed;
            bo.max_atoms = A.max_atoms;
            bo.nthreads = A.threads;
            st = cz_spec_build(sp, &bo, &atoms, NULL);
        }
        cz_spec_destroy(sp);
        if (st != CZ_OK) {
            rc = cli_cz_error(st, CMD, "%s", A.spec);
            goto done;
        }
        goto write;
    }
    if ((rc = make_lattice(&A, &lat)) != CLI_OK) goto done;
    cz_transform R;
    if ((rc = make_orientation(&A, lat, &R)) != CLI_OK) goto done;
    if ((rc = make_volume(&A, lat, &R, &vol)) != CLI_OK) goto done;

    st = cz_scene_create(&scene);
    size_t index = 0;
    if (st == CZ_OK) st = cz_scene_add_crystal(scene, lat, vol, NULL, &index);
    if (st == CZ_OK && !is_identity(&R)) st = cz_scene_transform(scene, index, &R, CZ_APPLY_LOCKED);
    if (st != CZ_OK) {
        rc = cli_cz_error(st, CMD, "setting up the scene");
        goto done;
    }
    cz_populate_opts po;
    cz_populate_opts_default(&po);
    po.max_atoms = A.max_atoms;
    po.nthreads = A.threads;
    st = cz_scene_populate(scene, &po, &atoms);
    if (st != CZ_OK) {
        rc = st == CZ_ERANGE && A.max_atoms < CZ_MAX_ATOMS
                 ? cli_cz_error(st, CMD, "--max-atoms %zu exceeded", A.max_atoms)
                 : cli_cz_error(st, CMD, "building");
        goto done;
    }
    if (atoms->n == 0) {
        rc = cli_error(CLI_FAIL, CMD, "the shape holds no atoms (is it smaller than the cell?)");
        goto done;
    }
    st = cz_atoms_center(atoms, A.vacuum);
    if (st != CZ_OK) {
        rc = cli_cz_error(st, CMD, "--vacuum %g", A.vacuum);
        goto done;
    }

write:
    if (A.output) {
        cz_write_opts wo;
        cz_write_opts_default(&wo);
        wo.format = format;
        st = cz_atoms_write(A.output, atoms, &wo);
        if (st != CZ_OK) {
            rc = cli_cz_error(st, CMD, "writing %s", A.output);
            goto done;
        }
    }
    if (A.preview) {
        cli_preview_opts pv;
        cli_preview_opts_default(&pv);
        char err[512];
        if (cli_preview_write(A.preview, atoms, &pv, err, sizeof err) != 0) {
            rc = cli_error(CLI_FAIL, CMD, "--preview %s: %s", A.preview, err);
            goto done;
        }
    }

    char elements[1024];
    element_summary(atoms, elements, sizeof elements);
    printf("%zu atoms (%s); cell %.2f x %.2f x %.2f Å", atoms->n, elements, atoms->cell[0][0],
           atoms->cell[1][1], atoms->cell[2][2]);
    if (A.output)
        printf("; wrote %s [%s]", A.output, cli_format_name(format));
    else
        printf("; not written (no -o)");
    if (A.preview) printf("; preview %s", A.preview);
    printf("\n");
    rc = CLI_OK;

done:
    cz_atoms_destroy(atoms);
    cz_scene_destroy(scene);
    cz_volume_destroy(vol);
    cz_lattice_destroy(lat);
    args_free(&A);
    return rc;
}
