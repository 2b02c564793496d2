/* image.c — `cz image`: multislice HRTEM images of a structure file, written to HDF5.
 *
 * Every parameter comes from the command line or from a YAML file (--config) whose keys are the
 * long option names (dashes or underscores); the command line wins. The structure is read with
 * cz_atoms_read, simulated once with libczsim (plan → atoms → exit wave) and imaged under every
 * requested defocus from that one exit wave; cz_sim_h5_write stores the result. */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "preview.h"

#ifdef CZ_HAVE_SIM
#include <yaml.h>

#include "cz/cz_sim.h"
#ifdef CZ_HAVE_HDF5
#include "cz/cz_sim_h5.h"
#endif
#endif

static const char *const CMD = "image";

const char *const cli_image_help[] = {
    "Usage: cz image STRUCTURE -o OUT.h5 [options]\n"
    "       cz image --config RUN.yaml [STRUCTURE] [-o OUT.h5] [options]\n"
    "\n"
    "Simulate HRTEM images of a structure: plane-wave multislice to the exit wave (once), then\n"
    "one image per defocus through the objective lens. Writes an HDF5 file (readable with\n"
    "h5py) holding the exit wave, the images, optionally the projected potential, the atoms,\n"
    "and every parameter as an attribute with its unit in the name (docs/image.md).\n"
    "Prints one summary line. Lengths in Å, angles in degrees unless the name says mrad.\n"
    "\n"
    "STRUCTURE is an extxyz (.xyz, .extxyz) or Prismatic (.prismatic, .xyzp) file with an\n"
    "orthorhombic, axis-aligned cell: the beam runs along +z, the entrance surface is z = 0,\n"
    "and x and y are periodic (atoms outside [0, L) are wrapped). Write one with\n"
    "'cz build ... -o particle.xyz' (its --vacuum sets the box).\n"
    "\n"
    "Simulation:\n"
    "  --energy-kv KV          beam energy, kV (default 300)\n"
    "  --sampling A            pixel size, Å (default 0.05); the grid is ceil(L / A)\n"
    "  --grid NX[,NY]          grid size in pixels (overrides --sampling)\n"
    "  --fft-friendly          round the grid up to 2^a 3^b 5^c 7^d\n"
    "  --slice A               slice thickness, Å (default 2); alias --slice-thickness\n"
    "  --potential NAME        kirkland or lobato scattering factors (default kirkland)\n"
    "  --spread NAME           bspline (default) or abtem (abTEM 1.0's scheme, for comparison)\n"
    "  --antialias F           band limit as a fraction of Nyquist, (0, 1] (default 2/3)\n"
    "  --antialias-taper T     cosine taper width, × the pixel size (default 0.01)\n"
    "  --refuse-outside        refuse atoms outside the cell in x, y instead of wrapping them\n"
    "  --max-pixels N          refuse grids above N pixels (default 67108864 = 8192²)\n"
    "  --threads N             threads, 0 = all cores (default 0)\n"
    "  --fftw MODE             measure (default: slower planning, faster FFTs) or estimate\n"
    "  --wisdom FILE           FFTW wisdom cache (default ~/.cache/cz/fftw-wisdom-f or\n"
    "                          $CZ_FFTW_WISDOM; '' disables the cache)\n"
    "\n",
    "Imaging (one image per defocus, all from the same exit wave):\n"
    "  --defocus LIST          defocus values, Å, positive = underfocus (= −C10), separated by\n"
    "                          commas; START:STOP:STEP is a series; 'scherzer' is the Scherzer\n"
    "                          defocus for --cs-mm and the energy (default 0)\n"
    "  --cs-mm CS              spherical aberration C30, mm (default 0)\n"
    "  --c5-mm C5              fifth-order spherical aberration C50, mm (default 0)\n"
    "  --aberration CNM=V[,PHI]  any other aberration C_nm (C12, C21, C23, C32, C34, C41, C43,\n"
    "                          C45, C52, C54, C56; also C30, C50) in Å with azimuth PHI in\n"
    "                          degrees; repeat for several\n"
    "  --aperture-mrad A       objective aperture semi-angle, mrad (default 0 = none)\n"
    "  --aperture-taper-mrad T soft aperture edge width, mrad (default 0 = hard)\n"
    "  --focal-spread D        1/e focal spread, Å: temporal envelope (default 0)\n"
    "  --convergence-mrad B    1/e beam convergence semi-angle, mrad: spatial envelope\n"
    "                          (default 0)\n"
    "\n",
    "Output:\n"
    "  -o, --output FILE.h5    the HDF5 file (.h5, .hdf5 or .hdf); written under a temporary\n"
    "                          name and renamed, so it is never left half-written. Missing\n"
    "                          directories are created.\n"
    "  --preview FILE.png      8-bit PNG of the first image (0.5–99.5 % contrast stretch, row 0\n"
    "                          at the top as numpy shows it)\n"
    "  --write-potential       also store the total projected potential, V·Å\n"
    "  --no-exit-wave          do not store the exit wave\n"
    "  --format NAME           structure format: extxyz or prismatic (default: by extension)\n"
    "  --seed S                seed stored with the result (reserved for frozen phonons and\n"
    "                          noise; this plane-wave simulation uses no randomness)\n"
    "  --config FILE.yaml      read options from a YAML mapping: keys are option names with\n"
    "                          dashes or underscores (energy_kv: 200, defocus: [0, 50, 100],\n"
    "                          aberration: {C12: [20, 45]}, fft_friendly: true), plus structure\n"
    "                          and output; options on the command line override it\n"
    "  -h, --help              show this help\n"
    "\n"
    "On a terminal, progress is shown on stderr for runs longer than a second.\n"
    "Exit status: 0 success, 2 bad command line, value or structure, 1 failure while\n"
    "simulating or writing.\n"
    "\n"
    "Examples:\n"
    "  cz build --lattice fcc --element Au -a 4.08 --sphere 10 --vacuum 3 -o au.xyz\n"
    "  cz image au.xyz -o au.h5 --cs-mm 1.2 --defocus scherzer,0,-200 --aperture-mrad 15 \\\n"
    "           --focal-spread 30 --preview au.png\n"
    "  cz image au.xyz -o series.h5 --sampling 0.1 --defocus -300:300:50 --cs-mm -0.02\n"
    "  cz image --config run.yaml --threads 4\n",
    NULL};

#ifndef CZ_HAVE_SIM

int cli_image_main(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_print_help(cli_image_help);
            return CLI_OK;
        }
    }
    return cli_error(CLI_FAIL, CMD, "this cz was built without the simulator (sim/, FFTW3)");
}

#else /* CZ_HAVE_SIM */

enum {
    OPT_OUTPUT,
    OPT_FORMAT,
    OPT_CONFIG,
    OPT_ENERGY,
    OPT_SAMPLING,
    OPT_GRID,
    OPT_FFT_FRIENDLY,
    OPT_SLICE,
    OPT_POTENTIAL,
    OPT_SPREAD,
    OPT_ANTIALIAS,
    OPT_ANTIALIAS_TAPER,
    OPT_REFUSE_OUTSIDE,
    OPT_MAX_PIXELS,
    OPT_THREADS,
    OPT_FFTW,
    OPT_WISDOM,
    OPT_DEFOCUS,
    OPT_CS,
    OPT_C5,
    OPT_ABERRATION,
    OPT_APERTURE,
    OPT_APERTURE_TAPER,
    OPT_FOCAL_SPREAD,
    OPT_CONVERGENCE,
    OPT_PREVIEW,
    OPT_WRITE_POTENTIAL,
    OPT_NO_EXIT_WAVE,
    OPT_SEED
};

static const cli_opt image_opts[] = {
    {"--output", "-o", 1, OPT_OUTPUT},
    {"--format", NULL, 1, OPT_FORMAT},
    {"--config", NULL, 1, OPT_CONFIG},
    {"--energy-kv", NULL, 1, OPT_ENERGY},
    {"--sampling", NULL, 1, OPT_SAMPLING},
    {"--grid", NULL, 1, OPT_GRID},
    {"--fft-friendly", NULL, 0, OPT_FFT_FRIENDLY},
    {"--slice", "--slice-thickness", 1, OPT_SLICE},
    {"--potential", NULL, 1, OPT_POTENTIAL},
    {"--spread", NULL, 1, OPT_SPREAD},
    {"--antialias", NULL, 1, OPT_ANTIALIAS},
    {"--antialias-taper", NULL, 1, OPT_ANTIALIAS_TAPER},
    {"--refuse-outside", NULL, 0, OPT_REFUSE_OUTSIDE},
    {"--max-pixels", NULL, 1, OPT_MAX_PIXELS},
    {"--threads", NULL, 1, OPT_THREADS},
    {"--fftw", NULL, 1, OPT_FFTW},
    {"--wisdom", NULL, 1, OPT_WISDOM},
    {"--defocus", NULL, 1, OPT_DEFOCUS},
    {"--cs-mm", NULL, 1, OPT_CS},
    {"--c5-mm", NULL, 1, OPT_C5},
    {"--aberration", NULL, 1, OPT_ABERRATION},
    {"--aperture-mrad", NULL, 1, OPT_APERTURE},
    {"--aperture-taper-mrad", NULL, 1, OPT_APERTURE_TAPER},
    {"--focal-spread", NULL, 1, OPT_FOCAL_SPREAD},
    {"--convergence-mrad", NULL, 1, OPT_CONVERGENCE},
    {"--preview", NULL, 1, OPT_PREVIEW},
    {"--write-potential", NULL, 0, OPT_WRITE_POTENTIAL},
    {"--no-exit-wave", NULL, 0, OPT_NO_EXIT_WAVE},
    {"--seed", NULL, 1, OPT_SEED},
    {NULL, NULL, 0, 0},
};

/* Longest defocus list (a series written as START:STOP:STEP included). */
enum { MAX_DEFOCUS = 100000 };

typedef struct image_args {
    const char *structure;
    const char *output;
    const char *format_name;
    const char *preview;
    const char *config;
    cz_sim_opts opts; /* from cz_sim_opts_default, then the options given */
    cz_sim_ctf ctf;   /* from cz_sim_ctf_default; C10 is set per image from the defocus list */
    size_t ndefocus;
    double *defocus;         /* [ndefocus] Å */
    unsigned char *scherzer; /* [ndefocus] 1 = "scherzer", resolved once Cs and energy are known */
    int write_potential;
    int no_wave;
    uint64_t seed;
    int fail_code; /* exit status of a failed parse: CLI_USAGE, or CLI_FAIL for file errors */
    /* Strings that outlive the YAML document they came from. */
    char **pool;
    size_t npool, cap_pool;
} image_args;

static int args_init(image_args *A) {
    memset(A, 0, sizeof *A);
    cz_sim_opts_default(&A->opts);
    cz_sim_ctf_default(&A->ctf);
    A->defocus = calloc(1, sizeof *A->defocus);
    A->scherzer = calloc(1, sizeof *A->scherzer);
    if (!A->defocus || !A->scherzer) return cli_error(CLI_FAIL, CMD, "out of memory"), -1;
    A->ndefocus = 1;
    A->fail_code = CLI_USAGE;
    return 0;
}

static void args_free(image_args *A) {
    free(A->defocus);
    free(A->scherzer);
    for (size_t i = 0; i < A->npool; ++i) free(A->pool[i]);
    free(A->pool);
}

/* A copy of text owned by A (freed by args_free), or NULL after printing the error. */
static const char *keep(image_args *A, const char *text) {
    if (A->npool == A->cap_pool) {
        size_t cap = A->cap_pool ? 2 * A->cap_pool : 16;
        char **p = realloc(A->pool, cap * sizeof *p);
        if (!p) return cli_error(CLI_FAIL, CMD, "out of memory"), NULL;
        A->pool = p;
        A->cap_pool = cap;
    }
    char *copy = malloc(strlen(text) + 1);
    if (!copy) return cli_error(CLI_FAIL, CMD, "out of memory"), NULL;
    strcpy(copy, text);
    A->pool[A->npool++] = copy;
    return copy;
}

/* Report a failed libczsim call: "cz image: <context>: <cz_sim_last_error()>". CZ_EINVAL means
 * a value the user gave (option or structure) was refused. */
static int sim_error(cz_status st, const char *context) {
    const char *why = cz_sim_last_error();
    if (!why || !*why) why = cz_sim_strerror(st);
    cli_error(0, CMD, "%s: %s", context, why);
    return st == CZ_EINVAL ? CLI_USAGE : CLI_FAIL;
}

/* ---- option values ------------------------------------------------------------------------- */

static int parse_choice(const char *opt, const char *text, const char *const names[], int n,
                        int *out) {
    for (int i = 0; i < n; ++i) {
        if (strcasecmp(text, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    char list[160] = "";
    for (int i = 0; i < n; ++i) {
        strncat(list, i ? " or " : "", sizeof list - strlen(list) - 1);
        strncat(list, names[i], sizeof list - strlen(list) - 1);
    }
    cli_error(CLI_USAGE, CMD, "%s: expected %s (got '%s')", opt, list, text);
    return -1;
}

/* A real number that must be > 0 (positive != 0) or >= 0. */
static int parse_sign(const char *opt, const char *text, int strictly, double *out) {
    if (cli_parse_double(CMD, opt, text, out) != 0) return -1;
    if (strictly ? !(*out > 0) : !(*out >= 0)) {
        cli_error(CLI_USAGE, CMD, "%s must be %s (got %s)", opt, strictly ? "> 0" : ">= 0", text);
        return -1;
    }
    return 0;
}

/* "NX" or "NX,NY". */
static int parse_grid(image_args *A, const char *opt, const char *text) {
    long v[2] = {0, 0};
    const char *comma = strchr(text, ',');
    if (!comma) {
        if (cli_parse_long(CMD, opt, text, 1, 1L << 30, &v[0]) != 0) return -1;
        v[1] = v[0];
    } else {
        int n[2];
        if (cli_parse_ints(CMD, opt, text, 2, n) != 0) return -1;
        if (n[0] < 1 || n[1] < 1) {
            cli_error(CLI_USAGE, CMD, "%s: grid sizes must be >= 1 (got '%s')", opt, text);
            return -1;
        }
        v[0] = n[0];
        v[1] = n[1];
    }
    A->opts.nx = (size_t)v[0];
    A->opts.ny = (size_t)v[1];
    return 0;
}

/* Append one defocus to the growing lists. */
static int push_defocus(double **df, unsigned char **sch, size_t *n, size_t *cap, double value,
                        int scherzer, const char *opt) {
    if (*n == MAX_DEFOCUS) {
        cli_error(CLI_USAGE, CMD, "%s: more than %d defocus values", opt, MAX_DEFOCUS);
        return -1;
    }
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        double *d = realloc(*df, c * sizeof *d);
        if (!d) return cli_error(CLI_FAIL, CMD, "out of memory"), -1;
        *df = d;
        unsigned char *s = realloc(*sch, c * sizeof *s);
        if (!s) return cli_error(CLI_FAIL, CMD, "out of memory"), -1;
        *sch = s;
        *cap = c;
    }
    (*df)[*n] = value;
    (*sch)[*n] = (unsigned char)scherzer;
    ++*n;
    return 0;
}

/* "0,50,-100", "scherzer", "-300:300:50" (inclusive series), or any mix separated by commas. */
static int parse_defocus(image_args *A, const char *opt, const char *text) {
    double *df = NULL;
    unsigned char *sch = NULL;
    size_t n = 0, cap = 0;
    const char *p = text;
    int rc = 0;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[128];
        while (len > 0 && isspace((unsigned char)*p)) ++p, --len;
        while (len > 0 && isspace((unsigned char)p[len - 1])) --len;
        if (len == 0 || len >= sizeof item) {
            rc = cli_error(CLI_USAGE, CMD,
                           "%s: expected Å values, 'scherzer' or START:STOP:STEP separated by "
                           "commas (got '%s')",
                           opt, text);
            break;
        }
        memcpy(item, p, len);
        item[len] = '\0';
        char *c1 = strchr(item, ':');
        if (strcasecmp(item, "scherzer") == 0) {
            rc = push_defocus(&df, &sch, &n, &cap, 0.0, 1, opt);
        } else if (c1) {
            char *c2 = strchr(c1 + 1, ':');
            double a = 0, b = 0, step = 0;
            if (!c2) {
                rc = cli_error(CLI_USAGE, CMD, "%s: a series is START:STOP:STEP (got '%s')", opt,
                               item);
                break;
            }
            *c1 = *c2 = '\0';
            if (cli_parse_double(CMD, opt, item, &a) || cli_parse_double(CMD, opt, c1 + 1, &b) ||
                cli_parse_double(CMD, opt, c2 + 1, &step)) {
                rc = -1;
                break;
            }
            if (step == 0 || (b - a) / step < 0) {
                rc = cli_error(CLI_USAGE, CMD, "%s: step %g does not lead from %g to %g", opt, step,
                               a, b);
                break;
            }
            double count = floor((b - a) / step + 1e-9) + 1;
            if (count > MAX_DEFOCUS) {
                rc = cli_error(CLI_USAGE, CMD, "%s: more than %d defocus values", opt, MAX_DEFOCUS);
                break;
            }
            for (long k = 0; k < (long)count && rc == 0; ++k)
                rc = push_defocus(&df, &sch, &n, &cap, a + (double)k * step, 0, opt);
        } else {
            double v = 0;
            rc = cli_parse_double(CMD, opt, item, &v);
            if (rc == 0) rc = push_defocus(&df, &sch, &n, &cap, v, 0, opt);
        }
        if (rc != 0 || !comma) break;
        p = comma + 1;
    }
    if (rc != 0) {
        free(df);
        free(sch);
        return -1;
    }
    free(A->defocus);
    free(A->scherzer);
    A->defocus = df;
    A->scherzer = sch;
    A->ndefocus = n;
    return 0;
}

/* "C12=25" or "C12=25,30": C_nm in Å and φ_nm in degrees. C10 is the defocus list's. */
static int parse_aberration(image_args *A, const char *opt, const char *text) {
    const char *eq = strchr(text, '=');
    int n = -1, m = -1;
    if (eq && eq - text == 3 && (text[0] == 'C' || text[0] == 'c') &&
        isdigit((unsigned char)text[1]) && isdigit((unsigned char)text[2])) {
        n = text[1] - '0';
        m = text[2] - '0';
    }
    if (n < 1 || n > 5 || m > n + 1 || (n + m) % 2 == 0) {
        cli_error(CLI_USAGE, CMD,
                  "%s: expected CNM=VALUE[,PHI] with C_nm one of C12 C21 C23 C30 C32 C34 C41 C43 "
                  "C45 C50 C52 C54 C56 (got '%s')",
                  opt, text);
        return -1;
    }
    if (n == 1 && m == 0) {
        cli_error(CLI_USAGE, CMD, "%s: C10 is set by --defocus (defocus = -C10)", opt);
        return -1;
    }
    double v[2] = {0.0, 0.0};
    int rc = strchr(eq + 1, ',') ? cli_parse_doubles(CMD, opt, eq + 1, 2, v)
                                 : cli_parse_double(CMD, opt, eq + 1, &v[0]);
    if (rc != 0) return -1;
    A->ctf.c[n][m] = v[0];
    A->ctf.phi_deg[n][m] = v[1];
    return 0;
}

/* Apply one option. `opt` names it in messages (the option, or FILE:LINE: key). Returns 0, or -1
 * after printing the error. */
static int apply(image_args *A, int id, const char *v, const char *opt) {
    static const char *const params[] = {"kirkland", "lobato"};
    static const char *const spreads[] = {"bspline", "abtem"};
    static const char *const planners[] = {"measure", "estimate"};
    cz_sim_opts *o = &A->opts;
    cz_sim_ctf *c = &A->ctf;
    double x = 0.0;
    long n = 0;
    int k = 0;
    switch (id) {
        case OPT_OUTPUT:
            A->output = v;
            return 0;
        case OPT_FORMAT:
            A->format_name = v;
            return 0;
        case OPT_CONFIG:
            A->config = v;
            return 0;
        case OPT_PREVIEW:
            A->preview = v;
            return 0;
        case OPT_ENERGY:
            if (parse_sign(opt, v, 1, &x) != 0) return -1;
            o->energy_ev = x * 1e3;
            return 0;
        case OPT_SAMPLING:
            if (parse_sign(opt, v, 1, &o->sampling) != 0) return -1;
            o->nx = o->ny = 0; /* the last of --grid and --sampling decides */
            return 0;
        case OPT_GRID:
            return parse_grid(A, opt, v);
        case OPT_FFT_FRIENDLY:
            o->flags |= CZ_SIM_FFT_FRIENDLY;
            return 0;
        case OPT_SLICE:
            return parse_sign(opt, v, 1, &o->slice_thickness);
        case OPT_POTENTIAL:
            if (parse_choice(opt, v, params, 2, &k) != 0) return -1;
            o->param = k == 0 ? CZ_SIM_KIRKLAND : CZ_SIM_LOBATO;
            return 0;
        case OPT_SPREAD:
            if (parse_choice(opt, v, spreads, 2, &k) != 0) return -1;
            o->spread = k == 0 ? CZ_SIM_SPREAD_BSPLINE : CZ_SIM_SPREAD_ABTEM;
            return 0;
        case OPT_ANTIALIAS:
            if (parse_sign(opt, v, 1, &x) != 0) return -1;
            if (x > 1) {
                cli_error(CLI_USAGE, CMD, "%s must be in (0, 1] (got %s)", opt, v);
                return -1;
            }
            o->antialias_cutoff = x;
            return 0;
        case OPT_ANTIALIAS_TAPER:
            return parse_sign(opt, v, 0, &o->antialias_taper);
        case OPT_REFUSE_OUTSIDE:
            o->flags |= CZ_SIM_REFUSE_OUTSIDE;
            return 0;
        case OPT_MAX_PIXELS:
            if (cli_parse_long(CMD, opt, v, 1, 1L << 40, &n) != 0) return -1;
            o->max_pixels = (size_t)n;
            return 0;
        case OPT_THREADS:
            if (cli_parse_long(CMD, opt, v, 0, 4096, &n) != 0) return -1;
            o->nthreads = (int)n;
            return 0;
        case OPT_FFTW:
            if (parse_choice(opt, v, planners, 2, &k) != 0) return -1;
            if (k == 1)
                o->flags |= CZ_SIM_FFTW_ESTIMATE;
            else
                o->flags &= ~CZ_SIM_FFTW_ESTIMATE;
            return 0;
        case OPT_WISDOM:
            o->wisdom_path = v;
            return 0;
        case OPT_DEFOCUS:
            return parse_defocus(A, opt, v);
        case OPT_CS:
            if (cli_parse_double(CMD, opt, v, &x) != 0) return -1;
            c->c[3][0] = x * 1e7; /* mm → Å */
            return 0;
        case OPT_C5:
            if (cli_parse_double(CMD, opt, v, &x) != 0) return -1;
            c->c[5][0] = x * 1e7;
            return 0;
        case OPT_ABERRATION:
            return parse_aberration(A, opt, v);
        case OPT_APERTURE:
            return parse_sign(opt, v, 0, &c->aperture_mrad);
        case OPT_APERTURE_TAPER:
            return parse_sign(opt, v, 0, &c->aperture_taper_mrad);
        case OPT_FOCAL_SPREAD:
            return parse_sign(opt, v, 0, &c->focal_spread);
        case OPT_CONVERGENCE:
            return parse_sign(opt, v, 0, &c->convergence_mrad);
        case OPT_WRITE_POTENTIAL:
            A->write_potential = 1;
            return 0;
        case OPT_NO_EXIT_WAVE:
            A->no_wave = 1;
            return 0;
        case OPT_SEED:
            return cli_parse_u64(CMD, opt, v, &A->seed);
        default:
            break;
    }
    cli_error(CLI_FAIL, CMD, "internal error: unhandled option %s", opt);
    return -1;
}

/* ---- the YAML config ------------------------------------------------------------------------- */

/* The option a config key names: "energy_kv" and "energy-kv" both give --energy-kv. */
static const cli_opt *option_for_key(const char *key) {
    char name[64] = "--";
    size_t len = strlen(key);
    if (len == 0 || len + 3 > sizeof name) return NULL;
    for (size_t i = 0; i <= len; ++i) name[2 + i] = key[i] == '_' ? '-' : key[i];
    for (const cli_opt *o = image_opts; o->name; ++o)
        if (strcmp(o->name, name) == 0 || (o->alias && strcmp(o->alias, name) == 0)) return o;
    return NULL;
}

static const char *scalar(const yaml_node_t *node) { return (const char *)node->data.scalar.value; }

static int yaml_true(const char *s, int *out) {
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (int i = 0; i < 4; ++i) {
        if (strcasecmp(s, yes[i]) == 0) return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0) return *out = 0, 0;
    }
    return -1;
}

/* "a,b,c" from a sequence of scalars; NULL after printing the error. */
static const char *join_sequence(image_args *A, yaml_document_t *doc, const yaml_node_t *seq,
                                 const char *where) {
    size_t total = 1;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         ++it) {
        yaml_node_t *item = yaml_document_get_node(doc, *it);
        if (!item || item->type != YAML_SCALAR_NODE) {
            cli_error(CLI_USAGE, CMD, "%s: expected a list of numbers or words", where);
            return NULL;
        }
        total += strlen(scalar(item)) + 1;
    }
    char *buf = malloc(total);
    if (!buf) return cli_error(CLI_FAIL, CMD, "out of memory"), NULL;
    buf[0] = '\0';
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         ++it) {
        if (buf[0]) strcat(buf, ",");
        strcat(buf, scalar(yaml_document_get_node(doc, *it)));
    }
    const char *kept = keep(A, buf);
    free(buf);
    return kept;
}

/* aberration: {C12: [20, 45], C23: 500} or a list of "C12=20,45" strings. */
static int apply_aberrations(image_args *A, yaml_document_t *doc, const yaml_node_t *node,
                             const char *where) {
    if (node->type == YAML_SCALAR_NODE) return apply(A, OPT_ABERRATION, scalar(node), where);
    if (node->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; ++it) {
            yaml_node_t *item = yaml_document_get_node(doc, *it);
            if (!item || item->type != YAML_SCALAR_NODE) {
                cli_error(CLI_USAGE, CMD, "%s: expected strings such as \"C12=20,45\"", where);
                return -1;
            }
            if (apply(A, OPT_ABERRATION, scalar(item), where) != 0) return -1;
        }
        return 0;
    }
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         ++p) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        const char *value = NULL;
        if (k && k->type == YAML_SCALAR_NODE && v && v->type == YAML_SCALAR_NODE)
            value = scalar(v);
        else if (k && k->type == YAML_SCALAR_NODE && v && v->type == YAML_SEQUENCE_NODE)
            value = join_sequence(A, doc, v, where);
        else {
            cli_error(CLI_USAGE, CMD, "%s: expected CNM: VALUE or CNM: [VALUE, PHI]", where);
            return -1;
        }
        if (!value) return -1;
        char text[256];
        snprintf(text, sizeof text, "%s=%s", scalar(k), value);
        if (apply(A, OPT_ABERRATION, text, where) != 0) return -1;
    }
    return 0;
}

static int apply_config(image_args *A, const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        A->fail_code = CLI_FAIL;
        return cli_error(CLI_FAIL, CMD, "--config %s: %s", path, strerror(errno)), -1;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    int rc = 0;
    if (!yaml_parser_initialize(&parser)) {
        fclose(fp);
        return cli_error(CLI_FAIL, CMD, "out of memory"), -1;
    }
    yaml_parser_set_input_file(&parser, fp);
    if (!yaml_parser_load(&parser, &doc)) {
        cli_error(CLI_USAGE, CMD, "--config %s:%zu: %s", path, parser.problem_mark.line + 1,
                  parser.problem ? parser.problem : "not valid YAML");
        yaml_parser_delete(&parser);
        fclose(fp);
        return -1;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = cli_error(CLI_USAGE, CMD, "--config %s: the file is empty", path);
    } else if (root->type != YAML_MAPPING_NODE) {
        rc = cli_error(CLI_USAGE, CMD, "--config %s: expected a mapping of option: value", path);
    }
    yaml_node_pair_t *first = rc == 0 ? root->data.mapping.pairs.start : NULL;
    yaml_node_pair_t *last = rc == 0 ? root->data.mapping.pairs.top : NULL;
    for (yaml_node_pair_t *p = first; p < last && rc == 0; ++p) {
        yaml_node_t *k = yaml_document_get_node(&doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&doc, p->value);
        char where[512];
        size_t line = k ? k->start_mark.line + 1 : 0;
        if (!k || k->type != YAML_SCALAR_NODE || !v) {
            rc = cli_error(CLI_USAGE, CMD, "--config %s:%zu: keys must be plain names", path, line);
            break;
        }
        const char *key = scalar(k);
        snprintf(where, sizeof where, "--config %s:%zu: %s", path, line, key);
        const char *text = NULL;
        if (v->type == YAML_SCALAR_NODE)
            text = scalar(v);
        else if (v->type == YAML_SEQUENCE_NODE && strcmp(key, "aberration") != 0)
            text = join_sequence(A, &doc, v, where);
        else if (strcmp(key, "aberration") != 0) {
            rc = cli_error(CLI_USAGE, CMD, "%s: expected a value or a list", where);
            break;
        }
        if (strcmp(key, "aberration") == 0) {
            rc = apply_aberrations(A, &doc, v, where);
            continue;
        }
        if (!text) {
            rc = -1;
            break;
        }
        if (strcmp(key, "structure") == 0) {
            rc = (A->structure = keep(A, text)) ? 0 : -1;
            continue;
        }
        const cli_opt *o = option_for_key(key);
        if (!o || o->id == OPT_CONFIG) {
            rc = cli_error(CLI_USAGE, CMD,
                           "--config %s:%zu: unknown key '%s' (see 'cz image --help')", path, line,
                           key);
            break;
        }
        if (!o->takes_value) {
            int on = 0;
            if (yaml_true(text, &on) != 0) {
                rc =
                    cli_error(CLI_USAGE, CMD, "%s: expected true or false (got '%s')", where, text);
                break;
            }
            if (on) rc = apply(A, o->id, NULL, where);
            continue;
        }
        const char *kept = keep(A, text);
        rc = kept ? apply(A, o->id, kept, where) : -1;
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(fp);
    return rc == 0 ? 0 : -1;
}

/* ---- command line ------------------------------------------------------------------------------
 */

/* Returns 0 to go on, 1 after printing help, -1 after printing an error. The command line is
 * scanned twice: once to find --config (and any unknown option) before a file is read, once to
 * apply the options on top of the config's. */
static int parse_args(image_args *A, int argc, char **argv) {
    cli_scan scan;
    const char *v = NULL, *opt = NULL;
    int id;
    cli_scan_init(&scan, CMD, argc, argv);
    while ((id = cli_next(&scan, image_opts, &v, &opt)) != CLI_NEXT_END) {
        if (id == CLI_NEXT_HELP) {
            cli_print_help(cli_image_help);
            return 1;
        }
        if (id == CLI_NEXT_ERROR) return -1;
        if (id == OPT_CONFIG) A->config = v;
    }
    if (A->config && apply_config(A, A->config) != 0) return -1;
    const char *positional = NULL;
    cli_scan_init(&scan, CMD, argc, argv);
    while ((id = cli_next(&scan, image_opts, &v, &opt)) != CLI_NEXT_END) {
        if (id == CLI_NEXT_POSITIONAL) {
            if (positional) {
                cli_error(CLI_USAGE, CMD, "unexpected argument '%s' (one structure file only)", v);
                return -1;
            }
            positional = v;
            continue;
        }
        if (id == OPT_CONFIG) continue;
        if (apply(A, id, v, opt) != 0) return -1;
    }
    if (positional) A->structure = positional;
    return 0;
}

#ifdef CZ_HAVE_HDF5
/* The command line as one string, shell-quoted where needed (stored as `program`). */
static char *command_line(int argc, char **argv) {
    size_t len = 16;
    for (int i = 0; i < argc; ++i) len += 4 * strlen(argv[i]) + 3;
    char *s = malloc(len);
    if (!s) return NULL;
    strcpy(s, "cz");
    char *p = s + 2;
    for (int i = 0; i < argc; ++i) {
        const char *a = argv[i];
        int plain = *a != '\0';
        for (const char *q = a; *q && plain; ++q)
            plain = isalnum((unsigned char)*q) || strchr("_./=,:@+-%", *q) != NULL;
        *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", a);
            continue;
        }
        *p++ = '\'';
        for (const char *q = a; *q; ++q) {
            if (*q == '\'') {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *q;
            }
        }
        *p++ = '\'';
        *p = '\0';
    }
    return s;
}
#endif

/* ---- progress -------------------------------------------------------------------------------- */

/* A one-line progress report on stderr, shown only on a terminal and only once a run has taken
 * more than a second; the line is erased when the work is done, so stderr stays empty for the
 * one-line error convention. */
typedef struct progress {
    int tty;
    int shown;
    struct timespec t0;
} progress;

static double seconds_since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void progress_start(progress *pg) {
    pg->tty = isatty(STDERR_FILENO);
    pg->shown = 0;
    clock_gettime(CLOCK_MONOTONIC, &pg->t0);
}

/* A status line for one long step, shown at once on a terminal (the step gives no progress). */
static void progress_phase(progress *pg, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void progress_phase(progress *pg, const char *fmt, ...) {
    if (!pg->tty) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("\rcz image: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\033[K", stderr);
    va_end(ap);
    fflush(stderr);
    pg->shown = 1;
}

static void progress_update(progress *pg, const char *what, size_t done, size_t total) {
    if (!pg->tty || seconds_since(&pg->t0) < 1.0) return;
    fprintf(stderr, "\rcz image: %s %zu/%zu\033[K", what, done, total);
    fflush(stderr);
    pg->shown = 1;
}

static void progress_end(progress *pg) {
    if (pg->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    pg->shown = 0;
}

/* ---- preview --------------------------------------------------------------------------------- */

/* 8-bit grey PNG of one image, contrast stretched between its 0.5 and 99.5 percentiles (from a
 * 4096-bin histogram, so it costs two passes whatever the size). */
static int write_preview(const char *path, const double *img, size_t nx, size_t ny) {
    size_t npix = nx * ny;
    if (nx > 1u << 20 || ny > 1u << 20)
        return cli_error(CLI_FAIL, CMD, "--preview %s: image too large for a PNG", path);
    double lo = img[0], hi = img[0];
    for (size_t i = 1; i < npix; ++i) {
        if (img[i] < lo) lo = img[i];
        if (img[i] > hi) hi = img[i];
    }
    enum { NBIN = 4096 };
    size_t *hist = calloc(NBIN, sizeof *hist);
    unsigned char *grey = malloc(npix);
    if (!hist || !grey) {
        free(hist);
        free(grey);
        return cli_error(CLI_FAIL, CMD, "out of memory");
    }
    double a = lo, b = hi;
    if (hi > lo) {
        double scale = (NBIN - 1) / (hi - lo);
        for (size_t i = 0; i < npix; ++i) hist[(size_t)((img[i] - lo) * scale)]++;
        size_t cut = npix / 200, sum = 0;
        size_t k = 0;
        for (; k < NBIN && sum + hist[k] <= cut; ++k) sum += hist[k];
        a = lo + (double)k / scale;
        sum = 0;
        for (k = NBIN; k > 0 && sum + hist[k - 1] <= cut; --k) sum += hist[k - 1];
        b = lo + (double)k / scale;
        if (!(b > a)) a = lo, b = hi;
    }
    double inv = b > a ? 255.0 / (b - a) : 0.0;
    for (size_t i = 0; i < npix; ++i) {
        double g = (img[i] - a) * inv;
        grey[i] = (unsigned char)(g < 0 ? 0 : g > 255 ? 255 : g + 0.5);
    }
    char err[512];
    int rc = cli_png_write_grey(path, (int)nx, (int)ny, grey, err, sizeof err);
    free(hist);
    free(grey);
    if (rc != 0) return cli_error(CLI_FAIL, CMD, "--preview %s: %s", path, err);
    return CLI_OK;
}

/* ---- checks before the work ------------------------------------------------------------------ */

static int has_extension(const char *path, const char *ext) {
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

/* Everything about the output is settled before the (possibly long) simulation, so a typo in a
 * file name costs nothing. */
static int check_outputs(const image_args *A) {
    if (!A->structure)
        return cli_error(CLI_USAGE, CMD, "missing STRUCTURE file (see 'cz image --help')");
    if (!A->output && !A->preview)
        return cli_error(CLI_USAGE, CMD,
                         "nothing to write: give -o FILE.h5 and/or --preview FILE.png");
    if (A->output) {
#ifndef CZ_HAVE_HDF5
        return cli_error(CLI_FAIL, CMD, "-o %s: this cz was built without HDF5 (libhdf5-dev)",
                         A->output);
#else
        if (!has_extension(A->output, ".h5") && !has_extension(A->output, ".hdf5") &&
            !has_extension(A->output, ".hdf"))
            return cli_error(CLI_USAGE, CMD, "-o %s: expected an HDF5 file name (.h5 or .hdf5)",
                             A->output);
        struct stat sb;
        if (stat(A->output, &sb) == 0 && S_ISDIR(sb.st_mode))
            return cli_error(CLI_FAIL, CMD, "-o %s: is a directory", A->output);
        int rc = cli_make_parent_dirs(CMD, "-o", A->output);
        if (rc != CLI_OK) return rc;
        /* The file is written last; a directory we cannot write in should fail now, not after
         * the simulation. (The writer reports any later failure with the system's reason.) */
        const char *slash = strrchr(A->output, '/');
        char dir[4096] = ".";
        if (slash && (size_t)(slash - A->output) < sizeof dir) {
            size_t len = slash == A->output ? 1 : (size_t)(slash - A->output);
            memcpy(dir, A->output, len);
            dir[len] = '\0';
        }
        if (access(dir, W_OK | X_OK) != 0)
            return cli_error(CLI_FAIL, CMD, "-o %s: cannot write in '%s': %s", A->output, dir,
                             strerror(errno));
#endif
    }
    if (A->preview) {
        if (!has_extension(A->preview, ".png"))
            return cli_error(CLI_USAGE, CMD, "--preview %s: expected a .png file name", A->preview);
        int rc = cli_make_parent_dirs(CMD, "--preview", A->preview);
        if (rc != CLI_OK) return rc;
    }
    return CLI_OK;
}

static int check_cell(const cz_atoms *atoms, const char *path) {
    static const char axis[3] = {'a', 'b', 'c'};
    for (int r = 0; r < 3; ++r) {
        double len2 = 0;
        for (int k = 0; k < 3; ++k) len2 += atoms->cell[r][k] * atoms->cell[r][k];
        if (!(len2 > 0))
            return cli_error(CLI_USAGE, CMD,
                             "%s: no cell vector %c: the simulation needs an orthorhombic box "
                             "(write the file with a cell, e.g. 'cz build ... --vacuum 5')",
                             path, axis[r]);
    }
    if (atoms->n == 0) return cli_error(CLI_USAGE, CMD, "%s: no atoms", path);
    return CLI_OK;
}

/* ---- the run --------------------------------------------------------------------------------- */

int cli_image_main(int argc, char **argv) {
    image_args A;
    cz_atoms *atoms = NULL;
    cz_sim_plan *plan = NULL;
    float *wave = NULL;
    double *images = NULL, *potential = NULL, *slice_v = NULL;
    cz_sim_ctf *ctfs = NULL;
    char *program = NULL;
    cz_status st;
    int rc;
    if (args_init(&A) != 0) {
        args_free(&A);
        return CLI_FAIL;
    }
    rc = parse_args(&A, argc, argv);
    if (rc != 0) {
        rc = rc > 0 ? CLI_OK : A.fail_code;
        goto done;
    }
    if ((rc = check_outputs(&A)) != CLI_OK) goto done;

    cz_format format = CZ_FORMAT_AUTO;
    if (A.format_name && (st = cz_format_from_name(A.format_name, &format)) != CZ_OK) {
        rc = cli_cz_error(st, CMD, "--format %s", A.format_name);
        goto done;
    }
    st = cz_atoms_read(A.structure, format, &atoms);
    if (st != CZ_OK) {
        rc = cli_cz_error(st, CMD, "%s", A.structure);
        goto done;
    }
    if ((rc = check_cell(atoms, A.structure)) != CLI_OK) goto done;

    /* Scherzer entries of the defocus list, now that Cs and the energy are final. */
    for (size_t k = 0; k < A.ndefocus; ++k) {
        if (!A.scherzer[k]) continue;
        st = cz_sim_scherzer_defocus(A.opts.energy_ev, A.ctf.c[3][0], &A.defocus[k]);
        if (st != CZ_OK) {
            rc = sim_error(st, "--defocus scherzer");
            goto done;
        }
    }

    st = cz_sim_plan_create(&A.opts, CZ_CROWS(atoms->cell), &plan);
    if (st != CZ_OK) {
        char what[1100];
        snprintf(what, sizeof what, "cannot simulate %s", A.structure);
        rc = sim_error(st, what);
        goto done;
    }
    st = cz_sim_set_atoms(plan, atoms->n, CZ_CROWS(atoms->xyz), atoms->z);
    if (st != CZ_OK) {
        rc = sim_error(st, A.structure);
        goto done;
    }
    cz_sim_info info;
    if ((st = cz_sim_plan_info(plan, &info)) != CZ_OK) {
        rc = sim_error(st, "plan");
        goto done;
    }
    size_t nimg = A.ndefocus;
    wave = malloc(info.wave_len * sizeof *wave);
    images = malloc(nimg * info.image_len * sizeof *images);
    ctfs = malloc(nimg * sizeof *ctfs);
    if (!wave || !images || !ctfs) {
        rc = cli_error(CLI_FAIL, CMD, "out of memory for %zu images of %zu x %zu pixels", nimg,
                       info.nx, info.ny);
        goto done;
    }

    /* One cz_sim_run, exactly as cz.sim does it, so the CLI and Python give the same bits
     * (propagating slice ranges in steps rounds differently in the fused FFT passes). A terminal
     * gets a status line for it, then progress per image. */
    progress pg;
    progress_start(&pg);
    progress_phase(&pg, "multislice through %zu slices of %zu x %zu pixels", info.nslices, info.nx,
                   info.ny);
    st = cz_sim_run(plan, wave, info.wave_len);
    if (st != CZ_OK) {
        progress_end(&pg);
        rc = sim_error(st, "multislice");
        goto done;
    }
    for (size_t k = 0; k < nimg; ++k) {
        ctfs[k] = A.ctf;
        ctfs[k].c[1][0] = 0.0 - A.defocus[k]; /* defocus = −C10 (0.0 − x: no −0) */
        st = cz_sim_image(plan, &ctfs[k], wave, info.wave_len, images + k * info.image_len,
                          info.image_len);
        if (st != CZ_OK) {
            progress_end(&pg);
            rc = sim_error(st, "imaging");
            goto done;
        }
        progress_update(&pg, "image", k + 1, nimg);
    }
    if (A.write_potential) {
        potential = calloc(info.image_len, sizeof *potential);
        slice_v = malloc(info.image_len * sizeof *slice_v);
        if (!potential || !slice_v) {
            progress_end(&pg);
            rc = cli_error(CLI_FAIL, CMD, "out of memory for the potential");
            goto done;
        }
        for (size_t s = 0; s < info.nslices; ++s) {
            st = cz_sim_potential(plan, s, slice_v, info.image_len);
            if (st != CZ_OK) {
                progress_end(&pg);
                rc = sim_error(st, "potential");
                goto done;
            }
            for (size_t i = 0; i < info.image_len; ++i) potential[i] += slice_v[i];
            progress_update(&pg, "potential slice", s + 1, info.nslices);
        }
    }

#ifdef CZ_HAVE_HDF5
    if (A.output) {
        progress_phase(&pg, "writing %s", A.output);
        program = command_line(argc, argv);
        cz_sim_h5_record rec;
        cz_sim_h5_record_default(&rec);
        rec.opts = &A.opts;
        rec.info = &info;
        memcpy(rec.cell, atoms->cell, sizeof rec.cell);
        rec.wave = A.no_wave ? NULL : wave;
        rec.nimages = nimg;
        rec.ctf = ctfs;
        rec.images = images;
        rec.potential = potential;
        rec.natoms = atoms->n;
        rec.xyz = CZ_CROWS(atoms->xyz);
        rec.z = atoms->z;
        rec.seed = A.seed;
        rec.program = program;
        rec.source = A.structure;
        st = cz_sim_h5_write(A.output, &rec);
        progress_end(&pg);
        if (st != CZ_OK) {
            rc = sim_error(st, "-o");
            if (rc == CLI_USAGE) rc = CLI_FAIL;
            goto done;
        }
    }
#endif
    progress_end(&pg);
    if (A.preview && (rc = write_preview(A.preview, images, info.nx, info.ny)) != CLI_OK) goto done;

    printf("%zu atoms; grid %zu x %zu (%.4f x %.4f Å), %zu slices of %g Å, %g kV; %zu image%s",
           atoms->n, info.nx, info.ny, info.dx, info.dy, info.nslices, A.opts.slice_thickness,
           A.opts.energy_ev * 1e-3, nimg, nimg == 1 ? "" : "s");
    if (nimg == 1) printf(" at defocus %.2f Å", A.defocus[0]);
    if (A.output) printf("; wrote %s", A.output);
    if (A.preview) printf("; preview %s", A.preview);
    printf("\n");
    rc = CLI_OK;

done:
    free(program);
    free(slice_v);
    free(potential);
    free(ctfs);
    free(images);
    free(wave);
    cz_sim_plan_destroy(plan);
    cz_atoms_destroy(atoms);
    args_free(&A);
    return rc;
}

#endif /* CZ_HAVE_SIM */
