/* dataset.c — `cz dataset`: the relax-then-image training-set generator.
 *
 * Per sample s (a structure): seed_s = f(seed, s); the scene spec is built with seed_s, optionally
 * relaxed, simulated through `phonons` frozen-phonon exit waves (plus one static exit wave of the
 * particle atoms alone, for the phase mask), then imaged under every defocus of the list with the
 * explicit incoherent focal-spread sum, recorded by the camera model (resampling, MTF, dose and
 * Poisson noise) and cropped. Labels (phase mask, geometric class masks, object-id map, atom
 * columns) are carried to the camera grid with the detector's own geometry.
 *
 * Samples are grouped into shards of output.shard_size; a shard is one HDF5 file, written under a
 * temporary name and renamed, so "the final file exists" means "complete": a rerun skips complete
 * shards, and since every number of a sample depends only on (seed, s), the resumed dataset has
 * the bytes of an uninterrupted run. --shard i/n (SLURM arrays) and MPI launchers (mpirun: the
 * rank and size are read from the launcher's environment) take every n-th shard. */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cz/cz_rng.h"
#include "cz/cz_spec.h"
#include "dataset.h"

#ifdef CZ_HAVE_SIM
#include "cz/cz_sim.h"
#endif
#ifdef CZ_HAVE_RELAX
#include "cz/cz_relax.h"
#endif

static const char *const CMD = "dataset";

const char *const cli_dataset_help[] = {
    "Usage: cz dataset [CONFIG.yaml] --out DIR [options]\n"
    "\n"
    "Generate a labelled HRTEM training set: for each sample, build a scene from the config's\n"
    "scene spec (seeded), optionally relax it with LAMMPS, simulate frozen-phonon exit waves,\n"
    "image them under every defocus of the list (explicit focal-spread sum, residual\n"
    "aberrations, camera with dose and Poisson noise), and label them (phase mask of the\n"
    "particle's own exit wave, geometric class masks, object-id map, atom columns).\n"
    "\n"
    "Without CONFIG the embedded default is used: Au particles (radius 25 ± 7.5 Å, 15–35 Å,\n"
    "0–3 twins/faults, random orientation) resting 0.2 R deep in 20–80 Å of amorphous carbon\n"
    "in a 128 × 128 Å cell; 300 kV, 0.1 Å sampling, 2 Å slices, 8 phonons; defocus −50…50 nm\n"
    "in 10 nm steps; dose 100–1200 e/Å²; 0.2 Å camera pixels, 512² crops. Print it with\n"
    "--print-default; schema in docs/dataset.md.\n"
    "\n"
    "Output in DIR: shard-NNNNN.h5 (HDF5: images, masks, class_masks, object_ids, metadata,\n"
    "columns), manifest.json (versions, resolved config, seeds, counts, splits), config.json,\n"
    "previews/*.png (image | mask | overlay). Read it with cz.dataset.open(DIR).\n"
    "\n",
    "Options:\n"
    "  -o, --out DIR          output directory (created; rerun with the same DIR to resume)\n"
    "  -n N                   number of samples (structures); overrides the config's n\n"
    "  --seed S               run seed; overrides the config's seed\n"
    "  --phonons K            frozen-phonon configurations; overrides simulation.phonons\n"
    "  --shard I/N            process only shards I, I+N, I+2N, ... (SLURM array jobs);\n"
    "                         the union of all N parts equals the unsplit run byte for byte\n"
    "  --threads T            threads per process (default: all cores, divided among MPI\n"
    "                         ranks)\n"
    "  --quiet                no progress and no summary\n"
    "  --timings              print the time split as JSON on stdout at the end\n"
    "  --print-default        print the embedded default config and exit\n"
    "  -h, --help             show this help\n"
    "\n"
    "Under Open MPI's mpirun, cz loads libmpi.so.40 at run time: each rank takes every\n"
    "size-th shard, the ranks agree on the outcome, and rank 0 writes the manifest. Under\n"
    "another launcher that sets PMI_RANK/PMI_SIZE the split is the same and the last process\n"
    "to finish writes the manifest.\n"
    "Exit status: 0 success, 2 bad command line or config, 1 failure while running.\n"
    "\n"
    "Examples:\n"
    "  cz dataset --out out/dataset -n 2 --phonons 2\n"
    "  cz dataset examples/dataset/tiny.yaml --out out/tiny\n"
    "  cz dataset cfg.yaml --out /scratch/ds --shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\n",
    NULL};

#ifndef CZ_HAVE_SIM

int cli_dataset_main(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_print_help(cli_dataset_help);
            return CLI_OK;
        }
    }
    return cli_error(CLI_FAIL, CMD, "this cz was built without the simulator (sim/, FFTW3)");
}

#else /* CZ_HAVE_SIM */

enum { NCLASS = 3 };
_Static_assert(sizeof(((ds_meta *)0)->u_rms_by_z_a) / sizeof(double) == CZ_SIM_ZMAX + 1,
               "ds_meta.u_rms_by_z_a holds one value per Z = 0..CZ_SIM_ZMAX");

/* ---- time ------------------------------------------------------------------------------------ */

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct timings {
    double structure, relax, plan, potential, multislice, masks, imaging, labels, writing;
    size_t samples, phonon_runs, images, conditions;
} timings;

/* ---- arguments ------------------------------------------------------------------------------- */

enum {
    OPT_OUT,
    OPT_N,
    OPT_SEED,
    OPT_PHONONS,
    OPT_SHARD,
    OPT_THREADS,
    OPT_QUIET,
    OPT_TIMINGS,
    OPT_PRINT_DEFAULT
};

static const cli_opt dataset_opts[] = {
    {"--out", "-o", 1, OPT_OUT},           {"-n", "--n", 1, OPT_N},
    {"--seed", NULL, 1, OPT_SEED},         {"--phonons", NULL, 1, OPT_PHONONS},
    {"--shard", NULL, 1, OPT_SHARD},       {"--threads", NULL, 1, OPT_THREADS},
    {"--quiet", "-q", 0, OPT_QUIET},       {"--timings", NULL, 0, OPT_TIMINGS},
    {"--print-default", NULL, 0, OPT_PRINT_DEFAULT}, {NULL, NULL, 0, 0},
};

typedef struct ds_args {
    const char *config;
    const char *out;
    long n, phonons, threads;
    uint64_t seed;
    int have_seed;
    long part, nparts; /* --shard I/N */
    int quiet, timings;
} ds_args;

static int parse_shard(const char *opt, const char *text, long *part, long *nparts) {
    const char *slash = strchr(text, '/');
    char a[32], b[32];
    if (!slash || (size_t)(slash - text) >= sizeof a || strlen(slash + 1) >= sizeof b)
        return cli_error(CLI_USAGE, CMD, "%s: expected I/N, e.g. 0/4 (got '%s')", opt, text), -1;
    memcpy(a, text, (size_t)(slash - text));
    a[slash - text] = '\0';
    strcpy(b, slash + 1);
    if (cli_parse_long(CMD, opt, b, 1, 1000000, nparts) != 0) return -1;
    if (cli_parse_long(CMD, opt, a, 0, *nparts - 1, part) != 0) return -1;
    return 0;
}

/* 0 to go on, 1 after printing help or the default, -1 after an error. */
static int parse_args(ds_args *A, int argc, char **argv) {
    cli_scan scan;
    const char *v = NULL, *opt = NULL;
    int id;
    memset(A, 0, sizeof *A);
    A->n = A->phonons = A->threads = -1;
    A->nparts = 1;
    cli_scan_init(&scan, CMD, argc, argv);
    while ((id = cli_next(&scan, dataset_opts, &v, &opt)) != CLI_NEXT_END) {
        switch (id) {
            case CLI_NEXT_HELP:
                cli_print_help(cli_dataset_help);
                return 1;
            case CLI_NEXT_ERROR:
                return -1;
            case CLI_NEXT_POSITIONAL:
                if (A->config)
                    return cli_error(CLI_USAGE, CMD, "unexpected argument '%s' (one config only)",
                                     v),
                           -1;
                A->config = v;
                break;
            case OPT_OUT:
                A->out = v;
                break;
            case OPT_N:
                if (cli_parse_long(CMD, opt, v, 1, 1000000000L, &A->n) != 0) return -1;
                break;
            case OPT_SEED:
                if (cli_parse_u64(CMD, opt, v, &A->seed) != 0) return -1;
                A->have_seed = 1;
                break;
            case OPT_PHONONS:
                if (cli_parse_long(CMD, opt, v, 1, 1024, &A->phonons) != 0) return -1;
                break;
            case OPT_SHARD:
                if (parse_shard(opt, v, &A->part, &A->nparts) != 0) return -1;
                break;
            case OPT_THREADS:
                if (cli_parse_long(CMD, opt, v, 0, 4096, &A->threads) != 0) return -1;
                break;
            case OPT_QUIET:
                A->quiet = 1;
                break;
            case OPT_TIMINGS:
                A->timings = 1;
                break;
            case OPT_PRINT_DEFAULT:
                fputs(ds_default_yaml, stdout);
                return 1;
            default:
                return cli_error(CLI_FAIL, CMD, "internal error: option %s", opt), -1;
        }
    }
    if (!A->out) return cli_error(CLI_USAGE, CMD, "missing --out DIR (see 'cz dataset --help')"), -1;
    return 0;
}

/* Rank and size from an MPI launcher's environment (Open MPI, MPICH/Hydra, Intel MPI). */
static void mpi_rank(long *rank, long *size) {
    static const char *const pairs[][2] = {{"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
                                           {"PMI_RANK", "PMI_SIZE"},
                                           {"PMIX_RANK", "OMPI_UNIVERSE_SIZE"}};
    *rank = 0;
    *size = 1;
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; ++k) {
        const char *r = getenv(pairs[k][0]), *s = getenv(pairs[k][1]);
        if (r && s && atol(s) >= 1 && atol(r) >= 0 && atol(r) < atol(s)) {
            *rank = atol(r);
            *size = atol(s);
            return;
        }
    }
}

/* ---- output directory ------------------------------------------------------------------------ */

/* The directory can be created (or exists and is writable), checked without creating anything. */
static int check_out_dir(const char *dir) {
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode))
            return cli_error(CLI_FAIL, CMD, "--out %s: exists and is not a directory", dir);
        if (access(dir, W_OK | X_OK) != 0)
            return cli_error(CLI_FAIL, CMD, "--out %s: cannot write in it: %s", dir,
                             strerror(errno));
        return CLI_OK;
    }
    /* The nearest existing ancestor must be a writable directory. */
    char *p = strdup(dir);
    if (!p) return cli_error(CLI_FAIL, CMD, "out of memory");
    int rc = CLI_OK;
    for (;;) {
        char *slash = strrchr(p, '/');
        while (slash && slash > p && slash[1] == '\0') {
            *slash = '\0';
            slash = strrchr(p, '/');
        }
        const char *parent = ".";
        if (slash == p)
            parent = "/";
        else if (slash) {
            *slash = '\0';
            parent = p;
        }
        if (stat(parent, &sb) == 0) {
            if (!S_ISDIR(sb.st_mode))
                rc = cli_error(CLI_FAIL, CMD, "--out %s: '%s' is not a directory", dir, parent);
            else if (access(parent, W_OK | X_OK) != 0)
                rc = cli_error(CLI_FAIL, CMD, "--out %s: cannot create it in '%s': %s", dir, parent,
                               strerror(errno));
            break;
        }
        if (!slash) break;
    }
    free(p);
    return rc;
}

static int make_dir(const char *dir) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s/x", dir) >= (int)sizeof path)
        return cli_error(CLI_FAIL, CMD, "--out %s: path too long", dir);
    int rc = cli_make_parent_dirs(CMD, "--out", path);
    if (rc != CLI_OK) return rc;
    snprintf(path, sizeof path, "%s/previews/x", dir);
    return cli_make_parent_dirs(CMD, "--out", path);
}

static int file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static char *slurp(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    ds_buf b = {0};
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, fp)) > 0) ds_buf_printf(&b, "%.*s", (int)got, chunk);
    fclose(fp);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    if (!b.s) b.s = calloc(1, 1);
    return b.s;
}

/* Write text to path atomically (unique temporary name + rename). */
static int write_text(const char *path, const char *text) {
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wb");
    if (!fp) return cli_error(CLI_FAIL, CMD, "%s: %s", tmp, strerror(errno));
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, fp) == len;
    ok = (fclose(fp) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return cli_error(CLI_FAIL, CMD, "%s: cannot write: %s", path, strerror(e));
    }
    return CLI_OK;
}

/* Leftover temporaries of killed runs (every write goes to NAME.tmp.PID, then is renamed):
 * those of the shards this process owns and of their previews, whoever wrote them; and those of
 * the manifest and config.json when their writer is no longer running on this host. */
static int pid_dead(const char *name) {
    const char *t = strstr(name, ".tmp.");
    if (!t) return 0;
    char *end;
    long pid = strtol(t + 5, &end, 10);
    if (*end || pid <= 0) return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static void remove_stale(const ds_config *cfg, const char *dir, long part, long nparts) {
    for (int sub = 0; sub < 2; ++sub) {
        char dpath[4200];
        snprintf(dpath, sizeof dpath, sub ? "%s/previews" : "%s", dir);
        DIR *d = opendir(dpath);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            unsigned long k, img;
            char tail[8];
            int stale = 0;
            if (!sub && sscanf(e->d_name, "shard-%lu.h5.tm%1s", &k, tail) == 2)
                stale = (long)(k % (unsigned long)nparts) == part;
            else if (sub && sscanf(e->d_name, "sample-%lu-image-%lu.png.tm%1s", &k, &img, tail) == 3)
                stale = (long)((k / cfg->shard_size) % (unsigned long)nparts) == part;
            else if (!sub && (strncmp(e->d_name, "manifest.json.tmp.", 18) == 0 ||
                              strncmp(e->d_name, "config.json.tmp.", 16) == 0))
                stale = pid_dead(e->d_name);
            if (stale) {
                char path[4600];
                snprintf(path, sizeof path, "%s/%s", dpath, e->d_name);
                remove(path);
            }
        }
        closedir(d);
    }
}

/* ---- previews -------------------------------------------------------------------------------- */

typedef struct png_err_ctx {
    char *msg;
    size_t len;
} png_err_ctx;

static void on_png_error(png_structp png, png_const_charp msg) {
    png_err_ctx *e = png_get_error_ptr(png);
    if (e && e->msg && e->len) snprintf(e->msg, e->len, "libpng: %s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg) {
    (void)png;
    (void)msg;
}

static int png_rgb(FILE *fp, int w, int h, const unsigned char *rgb, png_err_ctx *e) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, on_png_error, on_png_warning);
    if (!png) return -1;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; ++y) png_write_row(png, (png_bytep)(rgb + (size_t)y * 3 * (size_t)w));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

/* image | mask | overlay (mask in red over the image), 8-bit RGB, 0.5–99.5 % contrast. */
static int write_preview(const char *path, const float *img, const uint8_t *mask, size_t nx,
                         size_t ny) {
    size_t npix = nx * ny, W = 3 * nx + 8;
    float lo = img[0], hi = img[0];
    for (size_t i = 1; i < npix; ++i) lo = img[i] < lo ? img[i] : lo, hi = img[i] > hi ? img[i] : hi;
    enum { NBIN = 4096 };
    size_t *hist = calloc(NBIN, sizeof *hist);
    unsigned char *rgb = calloc(W * ny * 3, 1);
    if (!hist || !rgb) {
        free(hist);
        free(rgb);
        return cli_error(CLI_FAIL, CMD, "out of memory");
    }
    double a = lo, b = hi;
    if (hi > lo) {
        double scale = (NBIN - 1) / ((double)hi - lo);
        for (size_t i = 0; i < npix; ++i) hist[(size_t)((img[i] - lo) * scale)]++;
        size_t cut = npix / 200, sum = 0, k = 0;
        for (; k < NBIN && sum + hist[k] <= cut; ++k) sum += hist[k];
        a = lo + (double)k / scale;
        sum = 0;
        for (k = NBIN; k > 0 && sum + hist[k - 1] <= cut; --k) sum += hist[k - 1];
        b = lo + (double)k / scale;
        if (!(b > a)) a = lo, b = hi;
    }
    double inv = b > a ? 255.0 / (b - a) : 0.0;
    for (size_t y = 0; y < ny; ++y) {
        unsigned char *row = rgb + y * W * 3;
        for (size_t x = 0; x < 4; ++x) {
            for (int c = 0; c < 3; ++c) {
                row[3 * (nx + x) + (size_t)c] = 128;
                row[3 * (2 * nx + 4 + x) + (size_t)c] = 128;
            }
        }
        for (size_t x = 0; x < nx; ++x) {
            size_t i = y * nx + x;
            double g = (img[i] - a) * inv;
            unsigned char v = (unsigned char)(g < 0 ? 0 : g > 255 ? 255 : g + 0.5);
            unsigned char m = mask[i] ? 255 : 0;
            unsigned char *p0 = row + 3 * x, *p1 = row + 3 * (nx + 4 + x),
                          *p2 = row + 3 * (2 * nx + 8 + x);
            p0[0] = p0[1] = p0[2] = v;
            p1[0] = p1[1] = p1[2] = m;
            p2[0] = mask[i] ? (unsigned char)(0.55 * v + 0.45 * 255) : v;
            p2[1] = mask[i] ? (unsigned char)(0.55 * v) : v;
            p2[2] = mask[i] ? (unsigned char)(0.55 * v) : v;
        }
    }
    char tmp[4400], err[256] = "";
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *fp = fopen(tmp, "wb");
    int rc = -1;
    if (!fp) snprintf(err, sizeof err, "%s", strerror(errno));
    if (fp) {
        png_err_ctx e = {err, sizeof err};
        rc = png_rgb(fp, (int)W, (int)ny, rgb, &e);
        if (fclose(fp) != 0) rc = -1;
        if (rc == 0 && rename(tmp, path) != 0) {
            snprintf(err, sizeof err, "%s", strerror(errno));
            rc = -1;
        }
        if (rc != 0) remove(tmp);
    }
    free(hist);
    free(rgb);
    if (rc != 0)
        return cli_error(CLI_FAIL, CMD, "%s: cannot write the preview%s%s", path, *err ? ": " : "",
                         err);
    return CLI_OK;
}

/* ---- one sample ------------------------------------------------------------------------------ */

/* Streams of a sample's own random draws (besides the config fields). */
static const uint64_t STREAM_PHONON = 0x5d1f3a7c9b2e4f61ULL;
static const uint64_t STREAM_NOISE = 0x7b3e91c4a6d2f805ULL;
static const uint64_t STREAM_CROP = 0x1c9a4e7f3b6d2a98ULL;

typedef struct run {
    const ds_config *cfg;
    ds_args *args;
    int nthreads;
    size_t nx, ny; /* crop size (camera pixels) */
    size_t nimg;   /* images per sample */
    timings t;
    /* shard buffers */
    float *images;
    uint8_t *masks, *class_masks;
    int32_t *ids;
    ds_meta *meta;
    ds_column *cols;
    size_t ncols, cap_cols;
    uint64_t *atom_off;
    double (*sxyz)[3];
    int32_t *snum, *sobj, *scls;
    size_t satoms, cap_atoms;
    cz_spec_draws *draws;   /* the values the scene spec drew for the last build */
    ds_scene_draw *drows;   /* this shard's /scene_draws rows */
    size_t ndrows, cap_drows;
    char *config_json;
} run;

static int sim_fail(cz_status st, long sample, const char *what) {
    const char *why = cz_sim_last_error();
    if (!why || !*why) why = cz_sim_strerror(st);
    cli_error(0, CMD, "sample %ld: %s: %s", sample, what, why);
    return st == CZ_EINVAL ? CLI_USAGE : CLI_FAIL;
}

/* Build (and optionally relax) the scene of sample s; `probe`: the check before the run (a
 * one-iteration relax). */
static int make_structure(run *R, uint64_t s, uint64_t seed_s, int probe, cz_atoms **out) {
    const ds_config *cfg = R->cfg;
    double t0 = now();
    cz_spec *spec = NULL;
    cz_status st = cz_spec_parse_string(cfg->scene_yaml, cfg->source, &spec);
    if (st == CZ_OK) {
        cz_spec_build_opts bo;
        cz_spec_build_opts_default(&bo);
        bo.seed = seed_s;
        bo.use_seed = 1;
        bo.nthreads = R->nthreads;
        bo.draws = R->draws;
        st = cz_spec_build(spec, &bo, out, NULL);
    }
    cz_spec_destroy(spec);
    R->t.structure += now() - t0;
    if (st != CZ_OK) {
        if (st == CZ_EINVAL) return ds_report_spec_error(cfg, cz_last_error());
        return cli_cz_error(st, CMD, "sample %llu: scene", (unsigned long long)s);
    }
    /* The simulation needs a ∥ x, b ∥ y: an oblique in-plane scene cell (a hexagonal substrate)
     * becomes its smallest orthogonal supercell, filled with the scene's atoms; an orthogonal
     * cell comes back unchanged. Said once, at the check before the run. */
    cz_atoms *orth = NULL;
    cz_ortho_info oi;
    st = cz_atoms_orthogonalize(*out, NULL, &orth, &oi);
    if (st != CZ_OK)
        return cli_cz_error(st, CMD, "%s: scene.cell: no orthogonal supercell for the simulation",
                            cfg->source);
    cz_atoms_destroy(*out);
    *out = orth;
    if (oi.changed && probe && !R->args->quiet)
        fprintf(stderr,
                "cz dataset: note: %s: scene.cell is oblique; every sample is simulated as its "
                "orthogonal supercell [[%d,%d],[%d,%d]] (%d cells, rotated %.6g deg, strain "
                "%.3g)\n",
                cfg->source, oi.matrix[0][0], oi.matrix[0][1], oi.matrix[1][0], oi.matrix[1][1],
                abs(oi.det), oi.rotation_deg, oi.strain);
    if ((*out)->n == 0) return cli_error(CLI_USAGE, CMD, "%s: scene: no atoms", cfg->source);
    if (!cfg->relax) return CLI_OK;
#ifdef CZ_HAVE_RELAX
    t0 = now();
    cz_relax_opts ro;
    cz_relax_opts_default(&ro);
    ro.pair = cfg->relax_pair;
    ro.min = (cz_relax_min)cfg->relax_min;
    ro.ftol_ev_per_a = cfg->relax_ftol;
    ro.etol = cfg->relax_etol;
    ro.max_iterations = cfg->relax_max_iterations;
    ro.anneal_steps = cfg->relax_anneal_steps;
    ro.anneal_temperature_k = cfg->relax_anneal_temperature_k;
    ro.timeout_s = cfg->relax_timeout_s;
    ro.freeze_classes = cfg->relax_freeze_classes;
    ro.ranks = cfg->relax_ranks;
    ro.seed = cz_rng_u64(seed_s, ds_fnv1a("relax"), 0);
    if (probe) {
        /* The check before anything is written only has to show that LAMMPS accepts the
         * scene and the potentials: one minimiser iteration, no annealing. */
        ro.max_iterations = 1;
        ro.anneal_steps = 0;
    }
    cz_atoms *relaxed = NULL;
    st = cz_relax(*out, &ro, &relaxed, NULL, NULL);
    R->t.relax += now() - t0;
    if (st != CZ_OK) {
        const char *why = cz_relax_last_error();
        cli_error(0, CMD, "sample %llu: relax: %s", (unsigned long long)s,
                  why && *why ? why : "failed");
        return st == CZ_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    cz_atoms_destroy(*out);
    *out = relaxed;
    return CLI_OK;
#else
    return cli_error(CLI_FAIL, CMD, "relax: this cz was built without LAMMPS (liblammps-dev)");
#endif
}

/* Holes of a mask (background pixels not connected to the border, 4-connected, periodic edges
 * not joined) are filled: the phase of thick, heavy columns can wrap past π and read as small. */
static void fill_holes(uint8_t *m, size_t nx, size_t ny, size_t *stack) {
    size_t npix = nx * ny, top = 0;
    /* 2 = background reached from the border */
    for (size_t x = 0; x < nx; ++x) {
        size_t a = x, b = (ny - 1) * nx + x;
        if (!m[a]) m[a] = 2, stack[top++] = a;
        if (!m[b]) m[b] = 2, stack[top++] = b;
    }
    for (size_t y = 0; y < ny; ++y) {
        size_t a = y * nx, b = y * nx + nx - 1;
        if (!m[a]) m[a] = 2, stack[top++] = a;
        if (!m[b]) m[b] = 2, stack[top++] = b;
    }
    while (top) {
        size_t p = stack[--top], x = p % nx, y = p / nx;
        size_t nb[4];
        int k = 0;
        if (x > 0) nb[k++] = p - 1;
        if (x + 1 < nx) nb[k++] = p + 1;
        if (y > 0) nb[k++] = p - nx;
        if (y + 1 < ny) nb[k++] = p + nx;
        for (int j = 0; j < k; ++j)
            if (!m[nb[j]]) m[nb[j]] = 2, stack[top++] = nb[j];
    }
    for (size_t i = 0; i < npix; ++i) m[i] = m[i] == 2 ? 0 : 1;
}

static int push_column(run *R, const ds_column *c) {
    if (R->ncols == R->cap_cols) {
        size_t cap = R->cap_cols ? 2 * R->cap_cols : 1024;
        ds_column *p = realloc(R->cols, cap * sizeof *p);
        if (!p) return -1;
        R->cols = p;
        R->cap_cols = cap;
    }
    R->cols[R->ncols++] = *c;
    return 0;
}

static void clear_drows(run *R) {
    for (size_t i = 0; i < R->ndrows; ++i) free(R->drows[i].path), free(R->drows[i].text);
    R->ndrows = 0;
}

/* Append the values the last scene build drew, as rows of sample s ("scene." + field path). */
static int push_draws(run *R, uint64_t s) {
    size_t n = cz_spec_draws_count(R->draws);
    if (R->ndrows + n > R->cap_drows) {
        size_t cap = R->cap_drows ? 2 * R->cap_drows : 256;
        while (cap < R->ndrows + n) cap *= 2;
        ds_scene_draw *p = realloc(R->drows, cap * sizeof *p);
        if (!p) return -1;
        R->drows = p;
        R->cap_drows = cap;
    }
    for (size_t i = 0; i < n; ++i) {
        const cz_spec_draw *e = cz_spec_draws_get(R->draws, i);
        ds_scene_draw *d = &R->drows[R->ndrows];
        size_t len = strlen(e->path) + 7;
        d->sample = s;
        d->path = malloc(len);
        d->text = strdup(e->is_text && e->text ? e->text : "");
        d->value = e->is_text ? NAN : e->value;
        if (!d->path || !d->text) {
            free(d->path);
            free(d->text);
            return -1;
        }
        snprintf(d->path, len, "scene.%s", e->path);
        R->ndrows++;
    }
    return 0;
}

/* Simulate, image and label sample s into slot `slot` of the shard buffers. */
static int do_sample(run *R, uint64_t s, size_t slot) {
    const ds_config *cfg = R->cfg;
    uint64_t seed_s = ds_sample_seed(cfg->seed, s);
    cz_atoms *atoms = NULL;
    cz_sim_plan *plan = NULL;
    cz_sim_detector *cam = NULL, *lab = NULL;
    float *waves = NULL, *pwave = NULL;
    double (*disp)[3] = NULL, (*pxyz)[3] = NULL;
    int *pz = NULL, *lbl = NULL, *ids_sim = NULL, *ids_cam = NULL, *pobj = NULL;
    uint8_t *mask_sim = NULL, *cls_sim = NULL, *mask_cam = NULL, *cls_cam = NULL;
    double *img = NULL, *frame = NULL;
    size_t *stack = NULL;
    cz_sim_column *cols = NULL;
    cz_status st;
    int rc = make_structure(R, s, seed_s, 0, &atoms);
    if (rc != CLI_OK) goto done;
    size_t draws_start = R->ndrows;
    if (push_draws(R, s) != 0) {
        rc = cli_error(CLI_FAIL, CMD, "out of memory");
        goto done;
    }

    /* Per-sample values of the config's fields. */
    double energy_kv = ds_draw(&cfg->energy_kv, seed_s, 0);
    double sampling = ds_draw(&cfg->sampling, seed_s, 0);
    double slice = ds_draw(&cfg->slice_thickness, seed_s, 0);
    double u_rms = ds_draw(&cfg->u_rms, seed_s, 0);
    double margin = ds_draw(&cfg->exit_margin, seed_s, 0);

    /* The simulation cell: the scene's a and b; along z from the lowest atom − margin to the
     * highest + margin, so the exit plane sits `margin` above the top atom whatever the
     * scene's own cell height (free propagation through empty space would add defocus). */
    size_t n = atoms->n;
    double zlo = INFINITY, zhi = -INFINITY;
    size_t npart = 0;
    double plo = INFINITY, phi = -INFINITY, slo = INFINITY, shi = -INFINITY;
    for (size_t i = 0; i < n; ++i) {
        double z = atoms->xyz[i][2];
        zlo = z < zlo ? z : zlo;
        zhi = z > zhi ? z : zhi;
        if (atoms->class_id[i] == CZ_CLASS_PARTICLE) {
            ++npart;
            plo = z < plo ? z : plo;
            phi = z > phi ? z : phi;
        } else if (atoms->class_id[i] == CZ_CLASS_SUBSTRATE) {
            slo = z < slo ? z : slo;
            shi = z > shi ? z : shi;
        }
    }
    for (size_t i = 0; i < n; ++i) atoms->xyz[i][2] += margin - zlo;
    double cell[3][3] = {{atoms->cell[0][0], 0, 0}, {0, atoms->cell[1][1], 0},
                         {0, 0, zhi - zlo + 2 * margin}};

    double t0 = now();
    cz_sim_opts so;
    cz_sim_opts_default(&so);
    so.energy_ev = energy_kv * 1e3;
    so.sampling = sampling;
    so.slice_thickness = slice;
    so.param = cfg->potential ? CZ_SIM_LOBATO : CZ_SIM_KIRKLAND;
    so.nthreads = R->nthreads;
    so.flags = CZ_SIM_FFT_FRIENDLY | (cfg->fftw_measure ? 0u : CZ_SIM_FFTW_ESTIMATE);
    if ((st = cz_sim_plan_create(&so, CZ_CROWS(cell), &plan)) != CZ_OK) {
        rc = sim_fail(st, (long)s, "simulation plan");
        goto done;
    }
    cz_sim_info info;
    cz_sim_plan_info(plan, &info);
    R->t.plan += now() - t0;

    size_t K = cfg->phonons, npix = info.image_len;
    waves = malloc(K * info.wave_len * sizeof *waves);
    pwave = malloc(info.wave_len * sizeof *pwave);
    disp = malloc((n ? n : 1) * sizeof *disp);
    img = malloc(npix * sizeof *img);
    if (!waves || !pwave || !disp || !img) {
        rc = cli_error(CLI_FAIL, CMD, "sample %llu: out of memory for %zu exit waves of %zu x %zu",
                       (unsigned long long)s, K, info.nx, info.ny);
        goto done;
    }

    /* Frozen phonons: one exit wave per configuration, each kept for the incoherent sums. */
    cz_sim_phonon_opts po;
    cz_sim_phonon_opts_default(&po);
    po.seed = cz_rng_u64(seed_s, STREAM_PHONON, 0);
    for (int z = 1; z <= CZ_SIM_ZMAX; ++z) po.u_rms[z] = u_rms;
    for (size_t i = 0; i < cfg->n_urms_el; ++i)
        po.u_rms[cfg->urms_z[i]] = ds_draw(&cfg->urms_el[i], seed_s, 0);
    for (size_t k = 0; k < K; ++k) {
        if ((st = cz_sim_phonon_displace(&po, k, n, CZ_CROWS(atoms->xyz), atoms->z, NULL, disp)) !=
            CZ_OK) {
            rc = sim_fail(st, (long)s, "phonons");
            goto done;
        }
        /* A displacement beyond the vacuum margin (a many-sigma event) is clipped to the cell. */
        for (size_t i = 0; i < n; ++i)
            disp[i][2] = disp[i][2] < 0 ? 0 : disp[i][2] > cell[2][2] ? cell[2][2] : disp[i][2];
        t0 = now();
        st = cz_sim_set_atoms(plan, n, CZ_CROWS(disp), atoms->z);
        R->t.potential += now() - t0;
        if (st != CZ_OK) {
            rc = sim_fail(st, (long)s, "atoms");
            goto done;
        }
        t0 = now();
        st = cz_sim_run(plan, waves + k * info.wave_len, info.wave_len);
        R->t.multislice += now() - t0;
        R->t.phonon_runs++;
        if (st != CZ_OK) {
            rc = sim_fail(st, (long)s, "multislice");
            goto done;
        }
    }

    /* The particle alone, static: its exit-wave phase is the physical mask. */
    t0 = now();
    pxyz = malloc((npart ? npart : 1) * sizeof *pxyz);
    pz = malloc((npart ? npart : 1) * sizeof *pz);
    pobj = malloc((npart ? npart : 1) * sizeof *pobj);
    lbl = malloc((n ? n : 1) * sizeof *lbl);
    mask_sim = malloc(npix);
    cls_sim = malloc(NCLASS * npix);
    ids_sim = malloc(npix * sizeof *ids_sim);
    stack = malloc(npix * sizeof *stack);
    if (!pxyz || !pz || !pobj || !lbl || !mask_sim || !cls_sim || !ids_sim || !stack) {
        rc = cli_error(CLI_FAIL, CMD, "out of memory");
        goto done;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; ++i) {
        if (atoms->class_id[i] != CZ_CLASS_PARTICLE) continue;
        memcpy(pxyz[j], atoms->xyz[i], sizeof pxyz[j]);
        pz[j] = atoms->z[i];
        pobj[j] = atoms->object_id[i];
        ++j;
    }
    double threshold = ds_draw(&cfg->phase_threshold_rad, seed_s, 0);
    if (npart > 0) {
        if ((st = cz_sim_set_atoms(plan, npart, CZ_CROWS(pxyz), pz)) != CZ_OK ||
            (st = cz_sim_run(plan, pwave, info.wave_len)) != CZ_OK ||
            (st = cz_sim_mask_phase(info.nx, info.ny, pwave, info.wave_len, threshold, mask_sim,
                                    npix)) != CZ_OK) {
            rc = sim_fail(st, (long)s, "particle exit wave");
            goto done;
        }
        fill_holes(mask_sim, info.nx, info.ny, stack);
    } else {
        memset(mask_sim, 0, npix);
    }
    /* Geometric class masks (channel c = class c + 1) and the object-id map of particle and
     * ligand atoms (the substrate would cover everything). */
    cz_sim_label_opts lo;
    cz_sim_label_opts_default(&lo);
    lo.nx = info.nx;
    lo.ny = info.ny;
    lo.dx = info.dx;
    lo.dy = info.dy;
    lo.radius = ds_draw(&cfg->mask_radius, seed_s, 0);
    lo.column_tol = ds_draw(&cfg->column_tol, seed_s, 0);
    for (size_t i = 0; i < n; ++i) lbl[i] = atoms->class_id[i] - 1;
    if ((st = cz_sim_mask_classes(&lo, n, CZ_CROWS(atoms->xyz), lbl, NCLASS, cls_sim,
                                  NCLASS * npix)) != CZ_OK) {
        rc = sim_fail(st, (long)s, "class masks");
        goto done;
    }
    for (size_t i = 0; i < n; ++i)
        lbl[i] = atoms->class_id[i] == CZ_CLASS_PARTICLE || atoms->class_id[i] == CZ_CLASS_LIGAND
                     ? atoms->object_id[i]
                     : 0;
    if ((st = cz_sim_label_map(&lo, n, CZ_CROWS(atoms->xyz), lbl, NULL, ids_sim, npix)) != CZ_OK) {
        rc = sim_fail(st, (long)s, "object-id map");
        goto done;
    }
    R->t.masks += now() - t0;

    /* Per-sample microscope state. */
    cz_sim_ctf ctf;
    cz_sim_ctf_default(&ctf);
    for (int a = 0; a < DS_NABER; ++a) {
        int nn = ds_aber_nm[a][0], mm = ds_aber_nm[a][1];
        ctf.c[nn][mm] = ds_draw(&cfg->aber[a][0], seed_s, 0);
        ctf.phi_deg[nn][mm] = mm ? ds_draw(&cfg->aber[a][1], seed_s, 0) : 0.0;
    }
    ctf.aperture_mrad = ds_draw(&cfg->aperture_mrad, seed_s, 0);
    ctf.aperture_taper_mrad = ds_draw(&cfg->aperture_taper_mrad, seed_s, 0);
    ctf.convergence_mrad = ds_draw(&cfg->convergence_mrad, seed_s, 0);
    cz_sim_coherence coh;
    cz_sim_coherence_default(&coh);
    coh.focal_spread = ds_draw(&cfg->focal_spread, seed_s, 0);
    coh.focal_points = cfg->focal_points;
    coh.convergence_mrad = ds_draw(&cfg->tilt_spread_mrad, seed_s, 0);
    coh.tilt_dist = (cz_sim_tilt_dist)cfg->tilt_dist;
    coh.tilt_points = cfg->tilt_points;
    size_t nconditions = 1;
    cz_sim_coherence_count(&coh, &nconditions);

    cz_sim_detector_opts dopt;
    cz_sim_detector_opts_default(&dopt);
    dopt.pixel_size = ds_draw(&cfg->camera_pixel, seed_s, 0);
    dopt.mtf = (cz_sim_mtf)cfg->mtf;
    dopt.mtf_q0 = ds_draw(&cfg->mtf_q0, seed_s, 0);
    dopt.mtf_floor = ds_draw(&cfg->mtf_floor, seed_s, 0);
    dopt.nthreads = R->nthreads;
    dopt.seed = cz_rng_u64(seed_s, STREAM_NOISE, 0);
    for (int i = 0; i < 2; ++i) {
        for (int q = 0; q < 2; ++q) dopt.affine[i][q] = ds_draw(&cfg->distortion_affine[i][q], seed_s, 0);
        dopt.shift[i] = ds_draw(&cfg->distortion_shift_a[i], seed_s, 0);
    }
    dopt.radial_k1 = ds_draw(&cfg->distortion_radial_k1, seed_s, 0);
    double read_noise = ds_draw(&cfg->read_noise, seed_s, 0);
    /* The label camera: same geometry, no dose. */
    if ((st = cz_sim_detector_create(&dopt, info.nx, info.ny, info.dx, info.dy, &lab)) != CZ_OK) {
        rc = sim_fail(st, (long)s, "camera");
        goto done;
    }
    cz_sim_detector_grid grid;
    cz_sim_detector_geometry(lab, &grid);
    size_t cx = R->nx ? R->nx : grid.nx, cy = R->ny ? R->ny : grid.ny;
    if (cx > grid.nx || cy > grid.ny) {
        rc = cli_error(CLI_USAGE, CMD,
                       "%s:%zu: imaging.crop: %zu x %zu is larger than the camera field of "
                       "%zu x %zu pixels (sample %llu: cell / camera_pixel)",
                       cfg->source, cfg->crop_line, cx, cy, grid.nx, grid.ny,
                       (unsigned long long)s);
        goto done;
    }
    size_t x0 = (grid.nx - cx) / 2, y0 = (grid.ny - cy) / 2;
    if (cfg->crop_position == DS_CROP_RANDOM) {
        x0 = (size_t)floor(cz_rng_uniform(seed_s, STREAM_CROP, 0) * (double)(grid.nx - cx + 1));
        y0 = (size_t)floor(cz_rng_uniform(seed_s, STREAM_CROP, 1) * (double)(grid.ny - cy + 1));
    }
    t0 = now();
    mask_cam = malloc(grid.out_len);
    cls_cam = malloc(NCLASS * grid.out_len);
    ids_cam = malloc(grid.out_len * sizeof *ids_cam);
    frame = malloc(grid.out_len * sizeof *frame);
    if (!mask_cam || !cls_cam || !ids_cam || !frame) {
        rc = cli_error(CLI_FAIL, CMD, "out of memory");
        goto done;
    }
    if ((st = cz_sim_detector_labels(lab, 1, 1, mask_sim, npix, mask_cam, grid.out_len)) != CZ_OK ||
        (st = cz_sim_detector_labels(lab, 1, NCLASS, cls_sim, NCLASS * npix, cls_cam,
                                     NCLASS * grid.out_len)) != CZ_OK ||
        (st = cz_sim_detector_labels(lab, sizeof(int), 1, ids_sim, npix * sizeof(int), ids_cam,
                                     grid.out_len * sizeof(int))) != CZ_OK) {
        rc = sim_fail(st, (long)s, "labels");
        goto done;
    }
    /* Atom columns of the particle, in crop pixel coordinates: located on the camera with its
     * own geometry (a distortion can show a column twice or not at all). */
    size_t col_start = R->ncols, ncol = 0;
    if (cfg->columns && npart > 0) {
        if ((st = cz_sim_columns(&lo, npart, CZ_CROWS(pxyz), pz, pobj, NULL, 0, &ncol)) != CZ_OK &&
            st != CZ_ERANGE) {
            rc = sim_fail(st, (long)s, "columns");
            goto done;
        }
        cols = malloc((ncol ? ncol : 1) * sizeof *cols);
        if (!cols) {
            rc = cli_error(CLI_FAIL, CMD, "out of memory");
            goto done;
        }
        if ((st = cz_sim_columns(&lo, npart, CZ_CROWS(pxyz), pz, pobj, cols, ncol, &ncol)) !=
            CZ_OK) {
            rc = sim_fail(st, (long)s, "columns");
            goto done;
        }
        double(*in_xy)[2] = malloc((ncol ? ncol : 1) * sizeof *in_xy), (*out_xy)[2] = NULL;
        size_t *which = NULL, nout = 0;
        if (!in_xy) {
            rc = cli_error(CLI_FAIL, CMD, "out of memory");
            goto done;
        }
        for (size_t c = 0; c < ncol; ++c) in_xy[c][0] = cols[c].x, in_xy[c][1] = cols[c].y;
        st = cz_sim_detector_locate(lab, ncol, (const double(*)[2])in_xy, NULL, NULL, 0, &nout);
        if (st == CZ_OK || st == CZ_ERANGE) {
            out_xy = malloc((nout ? nout : 1) * sizeof *out_xy);
            which = malloc((nout ? nout : 1) * sizeof *which);
            st = out_xy && which ? cz_sim_detector_locate(lab, ncol, (const double(*)[2])in_xy, out_xy,
                                                          which, nout, &nout)
                                 : CZ_ENOMEM;
        }
        free(in_xy);
        for (size_t a = 0; st == CZ_OK && a < nout; ++a) {
            const cz_sim_column *cc = &cols[which[a]];
            ds_column dc;
            memset(&dc, 0, sizeof dc); /* padding bytes go to the file too: keep them zero */
            dc.sample = s;
            dc.x_px = out_xy[a][0] - (double)x0;
            dc.y_px = out_xy[a][1] - (double)y0;
            dc.z = cc->z;
            dc.object = cc->object;
            dc.count = (uint32_t)cc->count;
            if (push_column(R, &dc) != 0) st = CZ_ENOMEM;
        }
        free(out_xy);
        free(which);
        if (st != CZ_OK) {
            rc = sim_fail(st, (long)s, "columns on the camera");
            goto done;
        }
        ncol = R->ncols - col_start;
    }
    R->t.labels += now() - t0;

    /* Images: one per defocus, each from all phonon waves with the explicit focal sum. */
    for (size_t k = 0; k < R->nimg; ++k) {
        size_t g = slot * R->nimg + k, cpix = cx * cy;
        double nominal_a = 10.0 * ds_draw(&cfg->defocus_nm[k], seed_s, 0);
        double defocus_a = nominal_a + 10.0 * ds_draw(&cfg->defocus_jitter_nm, seed_s, k);
        double dose = ds_draw(&cfg->dose_e_per_a2, seed_s, k);
        ctf.c[1][0] = 0.0 - defocus_a;
        t0 = now();
        st = cz_sim_image_incoherent(plan, &ctf, &coh, K, waves, info.wave_len, img, npix);
        if (st != CZ_OK) {
            rc = sim_fail(st, (long)s, "imaging");
            goto done;
        }
        cz_sim_detector_opts d2 = dopt;
        d2.dose_e_per_a2 = dose;
        d2.read_noise = dose > 0 ? read_noise : 0;
        d2.flags = dose > 0 && cfg->noise == DS_NOISE_NONE ? CZ_SIM_DET_NOISELESS : 0u;
        cz_sim_detector_destroy(cam);
        cam = NULL;
        if ((st = cz_sim_detector_create(&d2, info.nx, info.ny, info.dx, info.dy, &cam)) != CZ_OK ||
            (st = cz_sim_detector_image(cam, k, img, npix, frame, grid.out_len)) != CZ_OK) {
            rc = sim_fail(st, (long)s, "camera");
            goto done;
        }
        R->t.imaging += now() - t0;
        R->t.images++;
        R->t.conditions += nconditions * K;
        for (size_t y = 0; y < cy; ++y) {
            size_t src = (y0 + y) * grid.nx + x0, dst = g * cpix + y * cx;
            for (size_t x = 0; x < cx; ++x) {
                R->images[dst + x] = (float)frame[src + x];
                R->masks[dst + x] = mask_cam[src + x];
                R->ids[dst + x] = ids_cam[src + x];
                for (size_t c = 0; c < NCLASS; ++c)
                    R->class_masks[(g * NCLASS + c) * cpix + y * cx + x] =
                        cls_cam[c * grid.out_len + src + x];
            }
        }
        ds_meta *m = &R->meta[g];
        memset(m, 0, sizeof *m);
        m->sample = s;
        m->sample_seed = seed_s;
        m->image = (uint32_t)k;
        m->split = (uint8_t)ds_split_of(cfg, cfg->seed, s);
        m->defocus_a = defocus_a;
        m->defocus_nominal_a = nominal_a;
        m->dose_e_per_a2 = dose;
        m->focal_spread_a = coh.focal_spread;
        m->aperture_mrad = ctf.aperture_mrad;
        m->convergence_mrad = ctf.convergence_mrad;
        m->energy_kv = energy_kv;
        m->camera_pixel_a = grid.dx;
        m->sampling_a = info.dx;
        m->slice_thickness_a = slice;
        m->u_rms_a = u_rms;
        for (int z = 1; z <= CZ_SIM_ZMAX; ++z) m->u_rms_by_z_a[z] = po.u_rms[z];
        m->read_noise = d2.read_noise;
        m->mtf_q0 = dopt.mtf_q0;
        m->mtf_floor = dopt.mtf_floor;
        m->phase_threshold_rad = threshold;
        m->crop_x0_px = (double)x0;
        m->crop_y0_px = (double)y0;
        m->tilt_spread_mrad = coh.convergence_mrad;
        m->tilt_points = coh.convergence_mrad > 0 ? (uint32_t)coh.tilt_points : 0;
        m->focal_points = coh.focal_spread > 0 ? (uint32_t)coh.focal_points : 0;
        memcpy(m->distortion_affine, dopt.affine, sizeof dopt.affine);
        memcpy(m->distortion_shift_a, dopt.shift, sizeof dopt.shift);
        m->distortion_radial_k1 = dopt.radial_k1;
        memcpy(m->c_nm_a, ctf.c, sizeof ctf.c);
        memcpy(m->phi_nm_deg, ctf.phi_deg, sizeof ctf.phi_deg);
        m->n_atoms = (uint32_t)n;
        m->n_particle_atoms = (uint32_t)npart;
        m->phonons = (uint32_t)K;
        m->particle_height_a = npart ? phi - plo : 0;
        m->substrate_thickness_a = shi >= slo ? shi - slo : 0;
        m->cell_z_a = cell[2][2];
        m->columns_start = col_start;
        m->columns_count = (uint32_t)ncol;
        m->scene_draws_start = draws_start;
        m->scene_draws_count = (uint32_t)(R->ndrows - draws_start);
    }
    if (cfg->structures) {
        if (R->satoms + n > R->cap_atoms) {
            size_t cap = R->cap_atoms ? R->cap_atoms : 1 << 16;
            while (cap < R->satoms + n) cap *= 2;
            double(*a)[3] = realloc(R->sxyz, cap * sizeof *a);
            if (a) R->sxyz = a;
            int32_t *b = realloc(R->snum, cap * sizeof *b);
            if (b) R->snum = b;
            int32_t *c = realloc(R->sobj, cap * sizeof *c);
            if (c) R->sobj = c;
            int32_t *d = realloc(R->scls, cap * sizeof *d);
            if (d) R->scls = d;
            if (!a || !b || !c || !d) {
                rc = cli_error(CLI_FAIL, CMD, "out of memory");
                goto done;
            }
            R->cap_atoms = cap;
        }
        for (size_t i = 0; i < n; ++i) {
            memcpy(R->sxyz[R->satoms + i], atoms->xyz[i], sizeof R->sxyz[0]);
            R->snum[R->satoms + i] = atoms->z[i];
            R->sobj[R->satoms + i] = atoms->object_id[i];
            R->scls[R->satoms + i] = atoms->class_id[i];
        }
        R->satoms += n;
        R->atom_off[slot + 1] = R->satoms;
    }
    R->t.samples++;
    rc = CLI_OK;
done:
    free(cols);
    free(stack);
    free(frame);
    free(ids_cam);
    free(cls_cam);
    free(mask_cam);
    free(ids_sim);
    free(cls_sim);
    free(mask_sim);
    free(lbl);
    free(pobj);
    free(pz);
    free(pxyz);
    free(img);
    free(disp);
    free(pwave);
    free(waves);
    cz_sim_detector_destroy(cam);
    cz_sim_detector_destroy(lab);
    cz_sim_plan_destroy(plan);
    cz_atoms_destroy(atoms);
    return rc;
}

/* ---- progress -------------------------------------------------------------------------------- */

typedef struct progress {
    int tty, quiet, shown;
    double t0, last;
    size_t total, done;
} progress;

static void fmt_time(double s, char *buf, size_t len) {
    if (!(s >= 0) || s > 1e8) {
        snprintf(buf, len, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60)
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
    else
        snprintf(buf, len, "%lds", t);
}

/* A terminal gets a live line on stderr (erased at the end); otherwise plain lines on stdout at
 * most every 10 s. */
static void progress_update(progress *pg, const char *what, int force) {
    if (pg->quiet) return;
    double t = now(), el = t - pg->t0;
    double rate = el > 0 ? (double)pg->done / el : 0;
    char eta[32], elapsed[32];
    fmt_time(rate > 0 ? (double)(pg->total - pg->done) / rate : -1, eta, sizeof eta);
    fmt_time(el, elapsed, sizeof elapsed);
    if (pg->tty) {
        fprintf(stderr, "\rcz dataset: %zu/%zu samples, %.3g samples/min, ETA %s — %s\033[K",
                pg->done, pg->total, 60 * rate, eta, what);
        fflush(stderr);
        pg->shown = 1;
    } else if (force || t - pg->last >= 10) {
        printf("progress: %zu/%zu samples, %.3g samples/min, elapsed %s, ETA %s (%s)\n", pg->done,
               pg->total, 60 * rate, elapsed, eta, what);
        fflush(stdout);
        pg->last = t;
    }
}

static void progress_end(progress *pg) {
    if (pg->shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    pg->shown = 0;
}

/* ---- manifest -------------------------------------------------------------------------------- */

static int write_manifest(const run *R, const char *dir, size_t nshards) {
    const ds_config *cfg = R->cfg;
    ds_buf b = {0};
    size_t cnt[3] = {0, 0, 0};
    ds_buf_printf(&b, "{\n  \"format\": \"cz-dataset/1\",\n  \"versions\": {\"cz\": ");
    ds_buf_json_string(&b, cz_version());
    ds_buf_printf(&b, ", \"hdf5\": ");
    ds_buf_json_string(&b, ds_h5_version());
    ds_buf_printf(&b, ", \"fftw_planner\": \"%s\"},\n", cfg->fftw_measure ? "measure" : "estimate");
    ds_buf_printf(&b, "  \"seed\": %llu,\n  \"n_samples\": %zu,\n  \"images_per_sample\": %zu,\n",
                  (unsigned long long)cfg->seed, cfg->n, R->nimg);
    ds_buf_printf(&b, "  \"n_images\": %zu,\n  \"image_shape\": [%zu, %zu],\n", cfg->n * R->nimg,
                  R->ny, R->nx);
    ds_buf_printf(&b, "  \"dtype\": \"%s\",\n  \"classes\": [\"particle\", \"substrate\", \"ligand\"],\n",
                  cfg->dtype_uint16 ? "uint16" : "float32");
    ds_buf_printf(&b,
                  "  \"seeding\": \"sample seed = cz_rng_u64(seed, 0x63a7d5e15a3b9f01, sample); "
                  "field values = f(sample seed, FNV-1a(field path), draw)\",\n");
    ds_buf_printf(&b, "  \"shards\": [");
    for (size_t k = 0; k < nshards; ++k) {
        size_t lo = k * cfg->shard_size, hi = lo + cfg->shard_size;
        if (hi > cfg->n) hi = cfg->n;
        ds_buf_printf(&b,
                      "%s\n    {\"file\": \"shard-%05zu.h5\", \"first_sample\": %zu, "
                      "\"n_samples\": %zu, \"n_images\": %zu}",
                      k ? "," : "", k, lo, hi - lo, (hi - lo) * R->nimg);
    }
    ds_buf_printf(&b, "\n  ],\n  \"sample_seeds\": [");
    for (size_t s = 0; s < cfg->n; ++s) {
        ds_buf_printf(&b, "%s%llu", s ? ", " : "",
                      (unsigned long long)ds_sample_seed(cfg->seed, s));
        cnt[ds_split_of(cfg, cfg->seed, s)]++;
    }
    static const char *const names[] = {"train", "val", "test"};
    ds_buf_printf(&b, "],\n  \"splits\": {");
    for (int sp = 0; sp < 3; ++sp) {
        ds_buf_printf(&b, "%s\n    \"%s\": {\"n_samples\": %zu, \"n_images\": %zu, \"samples\": [",
                      sp ? "," : "", names[sp], cnt[sp], cnt[sp] * R->nimg);
        int first = 1;
        for (size_t s = 0; s < cfg->n; ++s) {
            if (ds_split_of(cfg, cfg->seed, s) != sp) continue;
            ds_buf_printf(&b, "%s%zu", first ? "" : ", ", s);
            first = 0;
        }
        ds_buf_printf(&b, "]}");
    }
    ds_buf_printf(&b, "\n  },\n  \"config\": %s\n}\n", R->config_json);
    if (b.failed) {
        free(b.s);
        return cli_error(CLI_FAIL, CMD, "out of memory");
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    int rc = write_text(path, b.s);
    free(b.s);
    return rc;
}

/* ---- the command ----------------------------------------------------------------------------- */

static void print_timings(const run *R, double wall, int cores) {
    const timings *t = &R->t;
    double cpu_h = wall * cores / 3600.0;
    printf("{\"samples\": %zu, \"images\": %zu, \"phonon_runs\": %zu, \"conditions\": %zu, "
           "\"wall_s\": %.3f, \"cores\": %d, \"images_per_core_hour\": %.1f,\n",
           t->samples, t->images, t->phonon_runs, t->conditions, wall, cores,
           cpu_h > 0 ? (double)t->images / cpu_h : 0.0);
    printf(" \"seconds\": {\"structure\": %.3f, \"relax\": %.3f, \"plan\": %.3f, "
           "\"potential\": %.3f, \"multislice\": %.3f, \"masks\": %.3f, \"labels\": %.3f, "
           "\"imaging\": %.3f, \"writing\": %.3f},\n",
           t->structure, t->relax, t->plan, t->potential, t->multislice, t->masks, t->labels,
           t->imaging, t->writing);
    double ns = t->samples ? (double)t->samples : 1, nr = t->phonon_runs ? (double)t->phonon_runs : 1,
           ni = t->images ? (double)t->images : 1;
    printf(" \"per_unit_s\": {\"structure_per_sample\": %.4f, \"relax_per_sample\": %.4f, "
           "\"plan_per_sample\": %.4f, \"potential_per_phonon\": %.4f, "
           "\"multislice_per_phonon\": %.4f, \"masks_per_sample\": %.4f, "
           "\"imaging_per_image\": %.4f, \"imaging_per_condition\": %.6f, "
           "\"writing_per_image\": %.4f}}\n",
           t->structure / ns, t->relax / ns, t->plan / ns, t->potential / nr,
           t->multislice / nr, (t->masks + t->labels) / ns, t->imaging / ni,
           t->conditions ? t->imaging / (double)t->conditions : 0.0, t->writing / ni);
}

static void run_free(run *R) {
    clear_drows(R);
    free(R->drows);
    cz_spec_draws_destroy(R->draws);
    free(R->images);
    free(R->masks);
    free(R->class_masks);
    free(R->ids);
    free(R->meta);
    free(R->cols);
    free(R->atom_off);
    free(R->sxyz);
    free(R->snum);
    free(R->sobj);
    free(R->scls);
    free(R->config_json);
}

/* Every process ends here, with its own status: under MPI the ranks agree on the outcome and
 * add up their counts and times (one collective, so a rank that failed early just waits for the
 * others); then one process writes the manifest once every shard exists: rank 0 under MPI,
 * otherwise whichever part finds the set complete (its bytes do not depend on which). */
static int finish_run(run *R, const ds_args *A, ds_mpi *mpi, int rc, size_t written,
                      size_t skipped, size_t nshards, double wall0, int threads) {
    const ds_config *cfg = R->cfg;
    int have_run = nshards > 0 && R->nimg > 0;
    if (mpi->active) {
        timings *t = &R->t;
        double mx[2] = {rc == CLI_OK ? 0 : rc == CLI_USAGE ? 1 : 2, now() - wall0};
        double sm[15] = {(double)written, (double)skipped, t->structure, t->relax, t->plan,
                         t->potential, t->multislice, t->masks, t->imaging, t->labels,
                         t->writing, (double)t->samples, (double)t->phonon_runs,
                         (double)t->images, (double)t->conditions};
        if (ds_mpi_sum(mpi, mx, 2, 1) != 0 || ds_mpi_sum(mpi, sm, 15, 0) != 0)
            return cli_error(CLI_FAIL, CMD, "MPI_Allreduce failed");
        if (rc == CLI_OK && mx[0] > 0) {
            if (mpi->rank == 0) cli_error(0, CMD, "stopped: another rank failed (see above)");
            rc = mx[0] > 1 ? CLI_FAIL : CLI_USAGE;
        }
        written = (size_t)sm[0], skipped = (size_t)sm[1];
        t->structure = sm[2], t->relax = sm[3], t->plan = sm[4], t->potential = sm[5];
        t->multislice = sm[6], t->masks = sm[7], t->imaging = sm[8], t->labels = sm[9];
        t->writing = sm[10], t->samples = (size_t)sm[11], t->phonon_runs = (size_t)sm[12];
        t->images = (size_t)sm[13], t->conditions = (size_t)sm[14];
        wall0 = now() - mx[1];
        threads *= (int)mpi->size;
        if (mpi->rank != 0) return rc;
    }
    if (rc != CLI_OK || !have_run) return rc;
    char mpi_note[64];
    snprintf(mpi_note, sizeof mpi_note, " (%ld MPI ranks)", mpi->size);
    size_t complete = 0;
    for (size_t k = 0; k < nshards; ++k) {
        char path[4200];
        snprintf(path, sizeof path, "%s/shard-%05zu.h5", A->out, k);
        complete += file_exists(path);
    }
    double t0 = now();
    if (complete == nshards && (rc = write_manifest(R, A->out, nshards)) != CLI_OK) return rc;
    R->t.writing += now() - t0;
    double wall = now() - wall0;
    if (!A->quiet) {
        printf("%zu samples (%zu images of %zu x %zu) in %zu shard%s: %zu written, %zu already "
               "complete%s; %s in %.1f s%s\n",
               cfg->n, cfg->n * R->nimg, R->nx, R->ny, nshards, nshards == 1 ? "" : "s",
               written, skipped,
               complete == nshards ? "" : " (other parts pending: no manifest yet)", A->out, wall,
               mpi->active ? mpi_note : "");
    }
    if (A->timings) print_timings(R, wall, threads);
    return CLI_OK;
}

int cli_dataset_main(int argc, char **argv) {
    ds_args A;
    ds_config cfg;
    run R;
    memset(&R, 0, sizeof R);
    memset(&cfg, 0, sizeof cfg);
    int rc = parse_args(&A, argc, argv);
    if (rc != 0) return rc > 0 ? CLI_OK : CLI_USAGE;
    if ((rc = ds_config_load(A.config, &cfg)) != CLI_OK) {
        ds_config_free(&cfg);
        return rc;
    }
    if (A.n > 0) cfg.n = (size_t)A.n;
    if (A.have_seed) cfg.seed = A.seed;
    if (A.phonons > 0) cfg.phonons = (size_t)A.phonons;
    double wall0 = now();
    ds_mpi mpi;
    char mpi_why[512];
    long rank, size;
    if (ds_mpi_start(&mpi, mpi_why, sizeof mpi_why)) {
        rank = mpi.rank;
        size = mpi.size;
    } else {
        if (mpi_why[0] && !A.quiet)
            fprintf(stderr,
                    "cz dataset: warning: %s; ranks split by the launcher's environment and the "
                    "last to finish writes the manifest\n",
                    mpi_why);
        mpi_rank(&rank, &size);
    }
    long part = A.part * size + rank, nparts = A.nparts * size;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1) ncpu = 1;
    size_t nshards = 0, written = 0, skipped = 0;
    R.cfg = &cfg;
    R.args = &A;
    R.nthreads = A.threads >= 0 ? (int)A.threads : size > 1 ? (int)(ncpu / size > 0 ? ncpu / size : 1) : 0;
    R.nimg = cfg.ndefocus;
    R.config_json = ds_config_json(&cfg);
    if (!R.config_json || cz_spec_draws_create(&R.draws) != CZ_OK) {
        rc = cli_error(CLI_FAIL, CMD, "out of memory");
        goto done;
    }
    if ((rc = check_out_dir(A.out)) != CLI_OK) goto done;

    /* Everything that can be wrong with the config shows on the first sample's scene; build it
     * before anything is written. Without a crop the images are the camera's whole field. */
    R.nx = cfg.crop[0];
    R.ny = cfg.crop[1];
    {
        cz_atoms *probe = NULL;
        rc = make_structure(&R, 0, ds_sample_seed(cfg.seed, 0), 1, &probe);
        double lo, hi;
        ds_support(&cfg.camera_pixel, &lo, &hi);
        if (rc == CLI_OK && R.nx == 0) {
            if (lo != hi)
                rc = cli_error(CLI_USAGE, CMD,
                               "%s: imaging.crop: give [nx, ny] when camera_pixel is a "
                               "distribution",
                               cfg.source);
            R.nx = (size_t)lround(probe->cell[0][0] / lo);
            R.ny = (size_t)lround(probe->cell[1][1] / lo);
        } else if (rc == CLI_OK) {
            /* The camera has round(L / pixel) pixels per axis (cz_sim_detector_create). */
            double fx = (double)lround(probe->cell[0][0] / hi),
                   fy = (double)lround(probe->cell[1][1] / hi);
            if ((double)R.nx > fx || (double)R.ny > fy)
                rc = cli_error(CLI_USAGE, CMD,
                               "%s:%zu: imaging.crop: %zu x %zu is larger than the camera field "
                               "of %.0f x %.0f pixels (scene cell / camera_pixel)",
                               cfg.source, cfg.crop_line, R.nx, R.ny, fx, fy);
        }
        cz_atoms_destroy(probe);
        memset(&R.t, 0, sizeof R.t);
        if (rc != CLI_OK) goto done;
    }
    if ((rc = make_dir(A.out)) != CLI_OK) goto done;
    /* config.json pins the run: resuming with another config, seed, n or shard size would mix
     * two datasets. */
    {
        ds_buf pin = {0};
        ds_buf_printf(&pin, "%s\n", R.config_json);
        char path[4200];
        snprintf(path, sizeof path, "%s/config.json", A.out);
        char *old = file_exists(path) ? slurp(path) : NULL;
        if (old && strcmp(old, pin.s) != 0) {
            rc = cli_error(CLI_USAGE, CMD,
                           "--out %s holds a dataset made with another config, seed, n or "
                           "phonons (config.json differs); use a new directory",
                           A.out);
        } else if (!old) {
            rc = pin.failed ? cli_error(CLI_FAIL, CMD, "out of memory") : write_text(path, pin.s);
        }
        free(old);
        free(pin.s);
        if (rc != CLI_OK) goto done;
    }
    remove_stale(&cfg, A.out, part, nparts);

    size_t S = cfg.shard_size;
    nshards = (cfg.n + S - 1) / S;
    size_t cpix = R.nx * R.ny, per = S * R.nimg;
    R.images = malloc(per * cpix * sizeof *R.images);
    R.masks = malloc(per * cpix);
    R.class_masks = malloc(per * NCLASS * cpix);
    R.ids = malloc(per * cpix * sizeof *R.ids);
    R.meta = malloc(per * sizeof *R.meta);
    R.atom_off = calloc(S + 1, sizeof *R.atom_off);
    if (!R.images || !R.masks || !R.class_masks || !R.ids || !R.meta || !R.atom_off) {
        rc = cli_error(CLI_FAIL, CMD, "out of memory for a shard of %zu images of %zu x %zu", per,
                       R.nx, R.ny);
        goto done;
    }

    /* Under several ranks only rank 0 shows its progress (one line on a terminal). */
    progress pg = {isatty(STDERR_FILENO), A.quiet || rank > 0, 0, now(), now(), 0, 0};
    for (size_t k = 0; k < nshards; ++k) {
        if ((long)(k % (size_t)nparts) != part) continue;
        size_t lo = k * S, hi = lo + S < cfg.n ? lo + S : cfg.n;
        char path[4200];
        snprintf(path, sizeof path, "%s/shard-%05zu.h5", A.out, k);
        if (!file_exists(path)) pg.total += hi - lo;
    }
    for (size_t k = 0; k < nshards; ++k) {
        if ((long)(k % (size_t)nparts) != part) continue;
        size_t lo = k * S, hi = lo + S < cfg.n ? lo + S : cfg.n;
        char path[4200];
        snprintf(path, sizeof path, "%s/shard-%05zu.h5", A.out, k);
        if (file_exists(path)) {
            ++skipped;
            continue;
        }
        R.ncols = 0;
        clear_drows(&R);
        R.satoms = 0;
        R.atom_off[0] = 0;
        for (size_t s = lo; s < hi; ++s) {
            char what[64];
            snprintf(what, sizeof what, "sample %zu", s);
            progress_update(&pg, what, 0);
            rc = do_sample(&R, s, s - lo);
            if (rc != CLI_OK) {
                progress_end(&pg);
                goto done;
            }
            pg.done++;
        }
        double t0 = now();
        /* Previews before the shard: a complete shard implies its previews exist. */
        for (size_t s = lo; s < hi; ++s) {
            if (s >= cfg.previews) break;
            size_t img = R.nimg > 1 ? (s + R.nimg / 2) % R.nimg : 0, g = (s - lo) * R.nimg + img;
            char png[4300];
            snprintf(png, sizeof png, "%s/previews/sample-%06zu-image-%02zu.png", A.out, s, img);
            if ((rc = write_preview(png, R.images + g * cpix, R.masks + g * cpix, R.nx, R.ny)) !=
                CLI_OK) {
                progress_end(&pg);
                goto done;
            }
        }
        ds_shard_data d = {(hi - lo) * R.nimg, R.nx, R.ny, NCLASS, cfg.dtype_uint16, R.images,
                           R.masks, R.class_masks, R.ids, R.meta, R.ncols, R.cols,
                           R.ndrows, R.drows, hi - lo, R.atom_off, cfg.structures ? (const double(*)[3])R.sxyz : NULL,
                           R.snum, R.sobj, R.scls, lo, R.config_json};
        char err[1024];
        if (ds_h5_write_shard(path, &d, err, sizeof err) != 0) {
            progress_end(&pg);
            rc = cli_error(CLI_FAIL, CMD, "%s", err);
            goto done;
        }
        R.t.writing += now() - t0;
        ++written;
        char what[64];
        snprintf(what, sizeof what, "wrote shard-%05zu.h5", k);
        progress_update(&pg, what, 1);
    }
    progress_end(&pg);
    rc = CLI_OK;
done:
    rc = finish_run(&R, &A, &mpi, rc, written, skipped, nshards, wall0,
                    R.nthreads > 0 ? R.nthreads : (int)ncpu);
    ds_mpi_end(&mpi);
    run_free(&R);
    ds_config_free(&cfg);
    return rc;
}

#endif /* CZ_HAVE_SIM */
