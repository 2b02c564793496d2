/* image.c — `cz image`: multislice HRTEM images of a structure file, written to HDF5.
 *
 * Every parameter comes from the command line or from a YAML file (--config) whose keys are the
 * long option names (dashes or underscores); the command line wins. The structure is read with
 * cz_atoms_read and simulated with libczsim (plan → atoms → exit wave), once or once per
 * frozen-phonon configuration (cz_sim_phonon_displace), and imaged under every requested defocus
 * from each exit wave (cz_sim_image, or cz_sim_image_incoherent for explicit focal-spread and
 * convergence sums), configurations averaged incoherently. An optional camera
 * (cz_sim_detector_*) records the images, and ground truth (masks, id maps, a phase mask,
 * atom columns) is made on the simulation grid and carried to the camera with exactly the
 * images' geometry. cz_sim_h5_write stores the result. */
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
/* The supercell attributes are added to the file cz_sim_h5_write made (libhdf5 directly, as
 * dataset_h5.c does). */
#if defined(__has_include)
#if __has_include(<hdf5.h>)
#include <hdf5.h>
#define IMAGE_HAVE_H5 1
#elif __has_include(<hdf5/serial/hdf5.h>)
#include <hdf5/serial/hdf5.h>
#define IMAGE_HAVE_H5 1
#endif
#endif
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
    "'cz build ... -o particle.xyz' (its --vacuum sets the box). An oblique in-plane cell\n"
    "(a, b in the xy plane, e.g. hexagonal: graphene, MoS2) is replaced by its smallest\n"
    "orthogonal supercell, turned so that its first vector lies along x, and filled with the\n"
    "atoms (cz_atoms_orthogonalize; the summary line says so, the HDF5 file records it):\n"
    "  --ortho-tolerance G     largest shear strain accepted for that supercell (default 1e-6:\n"
    "                          exact solutions only; e.g. 1e-3 for an irrational angle)\n"
    "  --ortho-max-repeat N    largest cell multiple tried per vector, 1..100 (default 20)\n"
    "\n"
    "Simulation:\n"
    "  --energy-kv KV          beam energy, kV (default 300)\n"
    "  --sampling A            pixel size, Å (default 0.05); the grid is ceil(L / A)\n"
    "  --grid NX[,NY]          grid size in pixels (overrides --sampling)\n"
    "  --fft-friendly          round the grid up to 2^a 3^b 5^c 7^d\n"
    "  --slice A               slice thickness, Å (default 2); alias --slice-thickness\n"
    "  --potential NAME        kirkland or lobato scattering factors (default kirkland)\n"
    "  --potential-method NAME realspace (default: tabulated radial profiles summed at pixel\n"
    "                          centres, pointwise exact) or fourier (particle mesh, band-limited)\n"
    "  --spread NAME           fourier method's kernel: bspline (default) or abtem (abTEM 1.0's\n"
    "                          scheme, for comparison; selects the fourier method)\n"
    "  --precision NAME        single (default, fast) or double (a plain double-precision path)\n"
    "  --projection NAME       infinite (default: each atom wholly in its slice) or finite (the\n"
    "                          3-D potential integrated over each slice)\n"
    "  --tilt-mrad T           beam tilt against the z axis, mrad (default 0, at most 100)\n"
    "  --tilt-azimuth-deg A    direction of the tilt from +x, degrees (default 0)\n"
    "  --antialias F           band limit as a fraction of Nyquist, (0, 1] (default 2/3)\n"
    "  --antialias-taper T     cosine taper width, × the pixel size (default 0.01)\n"
    "  --refuse-outside        refuse atoms outside the cell in x, y instead of wrapping them\n"
    "  --max-pixels N          refuse grids above N pixels (default 67108864 = 8192²)\n"
    "  --threads N             threads, 0 = all cores (default 0)\n"
    "  --fftw MODE             measure (default: slower planning, faster FFTs) or estimate\n"
    "  --wisdom FILE           FFTW wisdom cache (default ~/.cache/cz/fftw-wisdom-f or\n"
    "                          $CZ_FFTW_WISDOM; '' disables the cache)\n"
    "\n",
    "Imaging (one image per defocus, all from the same exit wave or waves):\n"
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
    "  --focal-spread-sum D[,N]  explicit incoherent sum over defocus instead of the envelope:\n"
    "                          offsets with density exp(-d^2/D^2) (D the 1/e spread, Å), N\n"
    "                          Gauss-Hermite points (default 7); one inverse FFT per point\n"
    "  --convergence-sum B[,N][,gaussian|disc]  explicit incoherent sum over illumination\n"
    "                          tilts instead of the envelope: a Gaussian of 1/e semi-angle B\n"
    "                          mrad (N x N points, default 5) or a uniform disc of radius B\n"
    "                          (N rings, 3N(N+1) tilts). The envelopes are cheap (one FFT per\n"
    "                          image) but drop the undamped |scattered|^2 terms an experiment\n"
    "                          records; the sums keep them (see docs/image.md)\n"
    "\n",
    "Frozen phonons (images averaged incoherently over configurations):\n"
    "  --phonons N             number of configurations (default 0: static lattice)\n"
    "  --u-rms SPEC            rms displacement along each axis, Å: one value for every\n"
    "                          element (0.1), or per element (Au=0.085,C=0.1; unlisted elements\n"
    "                          stay put); repeatable\n"
    "  --phonon-fix-z          displace x and y only (atoms keep their slice)\n"
    "  --keep-waves            store every configuration's exit wave (/exit_waves)\n"
    "  Configuration k of atom i depends only on (--seed, k, i): the same seed gives the same\n"
    "  bytes for any thread count.\n"
    "\n"
    "Camera (any of these records the images with a detector; the labels follow the same\n"
    "geometry):\n"
    "  --camera-pixel A        camera pixel referred to the specimen, Å: round(L/A) pixels over\n"
    "                          the same field of view L (Fourier resampling)\n"
    "  --camera-grid NX[,NY]   camera pixels (overrides --camera-pixel)\n"
    "  --mtf SPEC              none, lorentzian:Q0[,C] ((1-C)/(1+(q/Q0)^2)+C) or\n"
    "                          gaussian:SIGMA[,C] ((1-C)exp(-q^2/2SIGMA^2)+C); q in units of the\n"
    "                          camera's Nyquist frequency\n"
    "  --dose D                electron dose, e/Å^2: counts ~ Poisson(I * D * pixel area)\n"
    "  --read-noise S          Gaussian read noise, rms counts (needs --dose)\n"
    "  --counts                whole counts >= 0, stored as int32 (needs --dose)\n"
    "  --distortion SPEC       affine:A,B,C,D[,TX,TY] (matrix [[A,B],[C,D]], shift in Å) or\n"
    "                          radial:K1 (K1 = 0.02 moves the edge of the shorter side by 2 %);\n"
    "                          repeatable. The camera position r (from the centre c) shows the\n"
    "                          specimen at c + A r (1 + K1 r^2/R^2) + t, R = half the shorter "
    "side\n"
    "  --write-noiseless       also store the expected counts before noise (needs --dose)\n"
    "\n",
    "Ground truth (on the image grid: the camera's when one is used):\n"
    "  --masks                 per-class footprint masks (/labels/masks, channel = class_id of\n"
    "                          the structure's extxyz class_id column: 0 none, 1 particle,\n"
    "                          2 substrate, 3 ligand), object-id and class-id maps\n"
    "  --mask-radius A         footprint radius around each projected atom, Å (default 1)\n"
    "  --phase-mask            simulate the particle atoms alone (class_id = --phase-class) and\n"
    "                          mark pixels where the exit-wave phase reaches --phase-threshold\n"
    "  --phase-threshold RAD   phase threshold, rad, in (0, pi] (default 0.1)\n"
    "  --phase-class C         class simulated for --phase-mask (default 1 = particle)\n"
    "  --columns               atom columns: pixel position, Z, object id, atom count\n"
    "                          (/labels/columns)\n"
    "  --column-tol A          atoms within A of each other in projection form a column, Å\n"
    "                          (default 0.3)\n"
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
    "  --seed S                seed of the frozen phonons and the camera noise, stored with\n"
    "                          the result (default 0)\n"
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
    "  cz image --config run.yaml --threads 4\n"
    "  cz image au.xyz -o fp.h5 --phonons 16 --u-rms Au=0.085 --cs-mm 1.2 --defocus scherzer \\\n"
    "           --camera-pixel 0.1 --mtf lorentzian:0.5 --dose 2000 --counts --masks --columns\n",
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
    OPT_POTENTIAL_METHOD,
    OPT_PRECISION,
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
    OPT_SEED,
    OPT_FOCAL_SUM,
    OPT_CONVERGENCE_SUM,
    OPT_PHONONS,
    OPT_U_RMS,
    OPT_PHONON_FIX_Z,
    OPT_KEEP_WAVES,
    OPT_CAMERA_PIXEL,
    OPT_CAMERA_GRID,
    OPT_MTF,
    OPT_DOSE,
    OPT_READ_NOISE,
    OPT_COUNTS,
    OPT_DISTORTION,
    OPT_WRITE_NOISELESS,
    OPT_MASKS,
    OPT_MASK_RADIUS,
    OPT_PHASE_MASK,
    OPT_PHASE_THRESHOLD,
    OPT_PHASE_CLASS,
    OPT_COLUMNS,
    OPT_COLUMN_TOL,
    OPT_PROJECTION,
    OPT_TILT,
    OPT_TILT_AZIMUTH,
    OPT_ORTHO_TOLERANCE,
    OPT_ORTHO_MAX_REPEAT
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
    {"--potential-method", NULL, 1, OPT_POTENTIAL_METHOD},
    {"--precision", NULL, 1, OPT_PRECISION},
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
    {"--focal-spread-sum", NULL, 1, OPT_FOCAL_SUM},
    {"--convergence-sum", NULL, 1, OPT_CONVERGENCE_SUM},
    {"--phonons", NULL, 1, OPT_PHONONS},
    {"--u-rms", NULL, 1, OPT_U_RMS},
    {"--phonon-fix-z", NULL, 0, OPT_PHONON_FIX_Z},
    {"--keep-waves", NULL, 0, OPT_KEEP_WAVES},
    {"--camera-pixel", NULL, 1, OPT_CAMERA_PIXEL},
    {"--camera-grid", NULL, 1, OPT_CAMERA_GRID},
    {"--mtf", NULL, 1, OPT_MTF},
    {"--dose", NULL, 1, OPT_DOSE},
    {"--read-noise", NULL, 1, OPT_READ_NOISE},
    {"--counts", NULL, 0, OPT_COUNTS},
    {"--distortion", NULL, 1, OPT_DISTORTION},
    {"--write-noiseless", NULL, 0, OPT_WRITE_NOISELESS},
    {"--masks", NULL, 0, OPT_MASKS},
    {"--mask-radius", NULL, 1, OPT_MASK_RADIUS},
    {"--phase-mask", NULL, 0, OPT_PHASE_MASK},
    {"--phase-threshold", NULL, 1, OPT_PHASE_THRESHOLD},
    {"--phase-class", NULL, 1, OPT_PHASE_CLASS},
    {"--columns", NULL, 0, OPT_COLUMNS},
    {"--column-tol", NULL, 1, OPT_COLUMN_TOL},
    {"--projection", NULL, 1, OPT_PROJECTION},
    {"--tilt-mrad", NULL, 1, OPT_TILT},
    {"--tilt-azimuth-deg", NULL, 1, OPT_TILT_AZIMUTH},
    {"--ortho-tolerance", NULL, 1, OPT_ORTHO_TOLERANCE},
    {"--ortho-max-repeat", NULL, 1, OPT_ORTHO_MAX_REPEAT},
    {NULL, NULL, 0, 0},
};

/* Options that may be given several times and add up (a YAML list or mapping applies each). */
static int repeatable(int id) {
    return id == OPT_ABERRATION || id == OPT_DISTORTION || id == OPT_U_RMS;
}

/* Default phase threshold of --phase-mask, rad (docs/sim_detector.md: 0.05-0.2 rad suits
 * nanoparticles of a few nm; cz.sim.PHASE_THRESHOLD is the same). */
#define PHASE_THRESHOLD_DEFAULT 0.1
/* Class of the particle atoms (cz_atoms' CZ_CLASS_PARTICLE), simulated alone for --phase-mask. */
#define PHASE_CLASS_DEFAULT CZ_CLASS_PARTICLE
/* Channels of --masks at least: the classes of cz_atoms (none, particle, substrate, ligand). */
#define NCLASS_MIN 4
#define CLASS_NAMES "none,particle,substrate,ligand"

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
    /* Explicit incoherent sums (cz_sim_coherence_default, then the options). */
    cz_sim_coherence coh;
    int focal_sum, convergence_sum; /* given */
    /* Frozen phonons: configurations, u_rms per element (phonon.seed is set from seed). */
    long nconfig;
    cz_sim_phonon_opts phonon;
    int u_rms_given, fix_z_given, keep_waves;
    /* Camera: any camera option given makes one. */
    cz_sim_detector_opts det;
    int camera, write_noiseless;
    /* Ground truth. */
    cz_sim_label_opts lab; /* radius, column_tol (the grid is the simulation's) */
    int masks, phase_mask, columns;
    int radius_given, threshold_given, class_given, tol_given;
    double phase_threshold;
    long phase_class;
    int fail_code; /* exit status of a failed parse: CLI_USAGE, or CLI_FAIL for file errors */
    cz_ortho_opts ortho; /* orthogonal supercell of an oblique in-plane cell */
    /* Strings that outlive the YAML document they came from. */
    char **pool;
    size_t npool, cap_pool;
} image_args;

static int args_init(image_args *A) {
    memset(A, 0, sizeof *A);
    cz_sim_opts_default(&A->opts);
    cz_sim_ctf_default(&A->ctf);
    cz_sim_coherence_default(&A->coh);
    cz_sim_phonon_opts_default(&A->phonon);
    cz_sim_detector_opts_default(&A->det);
    cz_sim_label_opts_default(&A->lab);
    cz_ortho_opts_default(&A->ortho);
    A->phase_threshold = PHASE_THRESHOLD_DEFAULT;
    A->phase_class = PHASE_CLASS_DEFAULT;
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

/* Split "a,b,c" into at most `max` trimmed items of at most 63 characters; returns the count or
 * -1 after printing the error. */
static int split_items(const char *opt, const char *text, char items[][64], int max) {
    int n = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len > 0 && isspace((unsigned char)*p)) ++p, --len;
        while (len > 0 && isspace((unsigned char)p[len - 1])) --len;
        if (len == 0 || len >= 64 || n == max) {
            cli_error(CLI_USAGE, CMD, "%s: %s (got '%s')", opt,
                      n == max ? "too many values" : "empty or overlong value", text);
            return -1;
        }
        memcpy(items[n], p, len);
        items[n][len] = '\0';
        ++n;
        if (!comma) return n;
        p = comma + 1;
    }
}

/* "KIND:v1,v2,..." (or KIND=...): the kind in `kind`, the numbers in v. Returns the number of
 * values or -1 after printing the error. */
static int parse_kind(const char *opt, const char *text, char kind[16], double v[], int max) {
    size_t k = strcspn(text, ":=");
    if (k == 0 || k >= 16) {
        cli_error(CLI_USAGE, CMD, "%s: expected KIND:NUMBER,... (got '%s')", opt, text);
        return -1;
    }
    for (size_t i = 0; i < k; ++i) kind[i] = (char)tolower((unsigned char)text[i]);
    kind[k] = '\0';
    if (text[k] == '\0') return 0;
    char items[8][64];
    int n = split_items(opt, text + k + 1, items, max < 8 ? max : 8);
    if (n < 0) return -1;
    for (int i = 0; i < n; ++i)
        if (cli_parse_double(CMD, opt, items[i], &v[i]) != 0) return -1;
    return n;
}

/* "0.1" (every element), "Au=0.085,C=0.1", or a mix; later values win. */
static int parse_u_rms(image_args *A, const char *opt, const char *text) {
    char items[CZ_SIM_ZMAX + 1][64];
    int n = split_items(opt, text, items, CZ_SIM_ZMAX + 1);
    if (n < 0) return -1;
    for (int i = 0; i < n; ++i) {
        char *eq = strchr(items[i], '=');
        double u = 0;
        if (cli_parse_double(CMD, opt, eq ? eq + 1 : items[i], &u) != 0) return -1;
        if (!(u >= 0)) {
            cli_error(CLI_USAGE, CMD, "%s: u_rms must be >= 0 Å (got '%s')", opt, items[i]);
            return -1;
        }
        if (!eq) {
            for (int z = 1; z <= CZ_SIM_ZMAX; ++z) A->phonon.u_rms[z] = u;
            continue;
        }
        *eq = '\0';
        int z = 0;
        if (cli_parse_element(CMD, opt, items[i], &z) != 0) return -1;
        if (z > CZ_SIM_ZMAX) {
            cli_error(CLI_USAGE, CMD, "%s: %s (Z = %d) has no scattering factors (Z <= %d)", opt,
                      items[i], z, CZ_SIM_ZMAX);
            return -1;
        }
        A->phonon.u_rms[z] = u;
    }
    A->u_rms_given = 1;
    return 0;
}

/* "D" or "D,N": 1/e focal spread in Å and Gauss-Hermite points. */
static int parse_focal_sum(image_args *A, const char *opt, const char *text) {
    char items[2][64];
    int n = split_items(opt, text, items, 2);
    if (n < 0 || parse_sign(opt, items[0], 0, &A->coh.focal_spread) != 0) return -1;
    if (n == 2) {
        long points = 0;
        if (cli_parse_long(CMD, opt, items[1], 1, CZ_SIM_QUAD_MAX, &points) != 0) return -1;
        A->coh.focal_points = (size_t)points;
    }
    A->focal_sum = 1;
    return 0;
}

/* "B", "B,N", "B,disc", "B,N,gaussian": semi-angle in mrad, points, distribution. */
static int parse_convergence_sum(image_args *A, const char *opt, const char *text) {
    static const char *const dists[] = {"gaussian", "disc"};
    char items[3][64];
    int n = split_items(opt, text, items, 3);
    if (n < 0 || parse_sign(opt, items[0], 0, &A->coh.convergence_mrad) != 0) return -1;
    for (int i = 1; i < n; ++i) {
        if (isdigit((unsigned char)items[i][0])) {
            long points = 0;
            if (cli_parse_long(CMD, opt, items[i], 1, CZ_SIM_QUAD_MAX, &points) != 0) return -1;
            A->coh.tilt_points = (size_t)points;
        } else {
            int k = 0;
            if (parse_choice(opt, items[i], dists, 2, &k) != 0) return -1;
            A->coh.tilt_dist = k == 0 ? CZ_SIM_TILT_GAUSSIAN : CZ_SIM_TILT_DISC;
        }
    }
    A->convergence_sum = 1;
    return 0;
}

/* "none", "lorentzian:Q0[,C]", "gaussian:SIGMA[,C]". */
static int parse_mtf(image_args *A, const char *opt, const char *text) {
    char kind[16];
    double v[2] = {0, 0};
    int n = parse_kind(opt, text, kind, v, 2);
    if (n < 0) return -1;
    if (strcmp(kind, "none") == 0 && n == 0) {
        A->det.mtf = CZ_SIM_MTF_NONE;
        return 0;
    }
    int lorentz = strcmp(kind, "lorentzian") == 0, gauss = strcmp(kind, "gaussian") == 0;
    if (!(lorentz || gauss) || n < 1) {
        cli_error(CLI_USAGE, CMD,
                  "%s: expected none, lorentzian:Q0[,C] or gaussian:SIGMA[,C] (got '%s')", opt,
                  text);
        return -1;
    }
    if (!(v[0] > 0) || !(v[1] >= 0 && v[1] < 1)) {
        cli_error(CLI_USAGE, CMD, "%s: the width must be > 0 and the floor in [0, 1) (got '%s')",
                  opt, text);
        return -1;
    }
    A->det.mtf = lorentz ? CZ_SIM_MTF_LORENTZIAN : CZ_SIM_MTF_GAUSSIAN;
    A->det.mtf_q0 = v[0];
    A->det.mtf_floor = n == 2 ? v[1] : 0.0;
    return 0;
}

/* "affine:A,B,C,D[,TX,TY]" or "radial:K1"; each sets its part of the distortion. */
static int parse_distortion(image_args *A, const char *opt, const char *text) {
    char kind[16];
    double v[6] = {0};
    int n = parse_kind(opt, text, kind, v, 6);
    if (n < 0) return -1;
    if (strcmp(kind, "affine") == 0 && (n == 4 || n == 6)) {
        A->det.affine[0][0] = v[0];
        A->det.affine[0][1] = v[1];
        A->det.affine[1][0] = v[2];
        A->det.affine[1][1] = v[3];
        A->det.shift[0] = n == 6 ? v[4] : 0.0;
        A->det.shift[1] = n == 6 ? v[5] : 0.0;
        if (v[0] * v[3] - v[1] * v[2] == 0) {
            cli_error(CLI_USAGE, CMD, "%s: the affine matrix is singular (got '%s')", opt, text);
            return -1;
        }
        return 0;
    }
    if (strcmp(kind, "radial") == 0 && n == 1) {
        A->det.radial_k1 = v[0];
        return 0;
    }
    cli_error(CLI_USAGE, CMD, "%s: expected affine:A,B,C,D[,TX,TY] or radial:K1 (got '%s')", opt,
              text);
    return -1;
}

/* "NX" or "NX,NY" camera pixels. */
static int parse_camera_grid(image_args *A, const char *opt, const char *text) {
    char items[2][64];
    long v[2] = {0, 0};
    int n = split_items(opt, text, items, 2);
    if (n < 0) return -1;
    for (int i = 0; i < n; ++i)
        if (cli_parse_long(CMD, opt, items[i], 2, 1L << 26, &v[i]) != 0) return -1;
    A->det.nx = (size_t)v[0];
    A->det.ny = (size_t)(n == 2 ? v[1] : v[0]);
    return 0;
}

/* Apply one option. `opt` names it in messages (the option, or FILE:LINE: key). Returns 0, or -1
 * after printing the error. */
static int apply(image_args *A, int id, const char *v, const char *opt) {
    static const char *const params[] = {"kirkland", "lobato"};
    static const char *const spreads[] = {"bspline", "abtem"};
    static const char *const methods[] = {"fourier", "realspace"};
    static const char *const precisions[] = {"single", "double"};
    static const char *const planners[] = {"measure", "estimate"};
    static const char *const projections[] = {"infinite", "finite"};
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
        case OPT_POTENTIAL_METHOD:
            if (parse_choice(opt, v, methods, 2, &k) != 0) return -1;
            o->potential_method = k == 0 ? CZ_SIM_POTENTIAL_FOURIER : CZ_SIM_POTENTIAL_REALSPACE;
            return 0;
        case OPT_PRECISION:
            if (parse_choice(opt, v, precisions, 2, &k) != 0) return -1;
            o->precision = k == 0 ? CZ_SIM_SINGLE : CZ_SIM_DOUBLE;
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
        case OPT_FOCAL_SUM:
            return parse_focal_sum(A, opt, v);
        case OPT_CONVERGENCE_SUM:
            return parse_convergence_sum(A, opt, v);
        case OPT_PHONONS:
            return cli_parse_long(CMD, opt, v, 0, 100000, &A->nconfig);
        case OPT_U_RMS:
            return parse_u_rms(A, opt, v);
        case OPT_PHONON_FIX_Z:
            A->phonon.flags |= CZ_SIM_PHONON_FIX_Z;
            A->fix_z_given = 1;
            return 0;
        case OPT_KEEP_WAVES:
            A->keep_waves = 1;
            return 0;
        case OPT_MASKS:
            A->masks = 1;
            return 0;
        case OPT_MASK_RADIUS:
            A->radius_given = 1;
            return parse_sign(opt, v, 1, &A->lab.radius);
        case OPT_PHASE_MASK:
            A->phase_mask = 1;
            return 0;
        case OPT_PHASE_THRESHOLD:
            A->threshold_given = 1;
            if (parse_sign(opt, v, 1, &A->phase_threshold) != 0) return -1;
            if (A->phase_threshold > 3.14159265358979323846) {
                cli_error(CLI_USAGE, CMD, "%s must be in (0, pi] rad (got %s)", opt, v);
                return -1;
            }
            return 0;
        case OPT_PHASE_CLASS:
            A->class_given = 1;
            return cli_parse_long(CMD, opt, v, 0, 1L << 30, &A->phase_class);
        case OPT_COLUMNS:
            A->columns = 1;
            return 0;
        case OPT_COLUMN_TOL:
            A->tol_given = 1;
            return parse_sign(opt, v, 1, &A->lab.column_tol);
        case OPT_PROJECTION:
            if (parse_choice(opt, v, projections, 2, &k) != 0) return -1;
            o->projection = k == 0 ? CZ_SIM_INFINITE : CZ_SIM_FINITE;
            return 0;
        case OPT_TILT:
            if (parse_sign(opt, v, 0, &o->tilt_mrad) != 0) return -1;
            if (o->tilt_mrad > CZ_SIM_TILT_MAX_MRAD) {
                cli_error(CLI_USAGE, CMD, "%s must be <= %d mrad (got %s)", opt,
                          CZ_SIM_TILT_MAX_MRAD, v);
                return -1;
            }
            return 0;
        case OPT_TILT_AZIMUTH:
            return cli_parse_double(CMD, opt, v, &o->tilt_azimuth_deg);
        case OPT_ORTHO_TOLERANCE:
            if (parse_sign(opt, v, 1, &x) != 0) return -1;
            if (x > CZ_ORTHO_MAX_STRAIN) {
                cli_error(CLI_USAGE, CMD, "%s must be in (0, %g] (got %s)", opt,
                          CZ_ORTHO_MAX_STRAIN, v);
                return -1;
            }
            A->ortho.strain_tolerance = x;
            return 0;
        case OPT_ORTHO_MAX_REPEAT:
            if (cli_parse_long(CMD, opt, v, 1, CZ_ORTHO_MAX_REPEAT, &n) != 0) return -1;
            A->ortho.max_repeat = (int)n;
            return 0;
        default:
            break;
    }
    /* The camera options: each one given makes a camera. */
    A->camera = 1;
    switch (id) {
        case OPT_CAMERA_PIXEL:
            return parse_sign(opt, v, 1, &A->det.pixel_size);
        case OPT_CAMERA_GRID:
            return parse_camera_grid(A, opt, v);
        case OPT_MTF:
            return parse_mtf(A, opt, v);
        case OPT_DOSE:
            return parse_sign(opt, v, 0, &A->det.dose_e_per_a2);
        case OPT_READ_NOISE:
            return parse_sign(opt, v, 0, &A->det.read_noise);
        case OPT_COUNTS:
            A->det.flags |= CZ_SIM_DET_INTEGER;
            return 0;
        case OPT_DISTORTION:
            return parse_distortion(A, opt, v);
        case OPT_WRITE_NOISELESS:
            A->write_noiseless = 1;
            return 0;
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

/* A repeatable option (see repeatable()) from YAML: a value, a list of values, or a mapping
 * KEY: VALUE or KEY: [VALUES] applied as "KEY=VALUE[,VALUE...]" — aberration: {C12: [20, 45]},
 * u_rms: {Au: 0.085, C: 0.1}, distortion: {affine: [1.01, 0, 0, 0.99], radial: 0.02}. */
static int apply_repeatable(image_args *A, int id, yaml_document_t *doc, const yaml_node_t *node,
                            const char *where) {
    if (node->type == YAML_SCALAR_NODE) return apply(A, id, scalar(node), where);
    if (node->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; ++it) {
            yaml_node_t *item = yaml_document_get_node(doc, *it);
            if (!item || item->type != YAML_SCALAR_NODE) {
                cli_error(CLI_USAGE, CMD, "%s: expected a list of strings such as \"%s\"", where,
                          id == OPT_ABERRATION ? "C12=20,45"
                          : id == OPT_U_RMS    ? "Au=0.085"
                                               : "radial:0.02");
                return -1;
            }
            if (apply(A, id, scalar(item), where) != 0) return -1;
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
            cli_error(CLI_USAGE, CMD, "%s: expected KEY: VALUE or KEY: [VALUES]", where);
            return -1;
        }
        if (!value) return -1;
        char text[512];
        snprintf(text, sizeof text, "%s=%s", scalar(k), value);
        const char *kept = keep(A, text);
        if (!kept || apply(A, id, kept, where) != 0) return -1;
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
        if (strcmp(key, "structure") == 0 || strcmp(key, "output") == 0) {
            if (v->type != YAML_SCALAR_NODE) {
                rc = cli_error(CLI_USAGE, CMD, "%s: expected a file name", where);
                break;
            }
            const char *kept = keep(A, scalar(v));
            if (!kept) {
                rc = -1;
                break;
            }
            if (key[0] == 's')
                A->structure = kept;
            else
                A->output = kept;
            continue;
        }
        const cli_opt *o = option_for_key(key);
        if (!o || o->id == OPT_CONFIG) {
            rc = cli_error(CLI_USAGE, CMD,
                           "--config %s:%zu: unknown key '%s' (see 'cz image --help')", path, line,
                           key);
            break;
        }
        if (repeatable(o->id)) {
            rc = apply_repeatable(A, o->id, &doc, v, where);
            continue;
        }
        const char *text = NULL;
        if (v->type == YAML_SCALAR_NODE)
            text = scalar(v);
        else if (v->type == YAML_SEQUENCE_NODE)
            text = join_sequence(A, &doc, v, where);
        else {
            rc = cli_error(CLI_USAGE, CMD, "%s: expected a value or a list", where);
            break;
        }
        if (!text) {
            rc = -1;
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

/* Options that only make sense together, checked once everything is parsed (command line and
 * config). Returns CLI_OK or the exit code after printing the error. */
static int check_combinations(const image_args *A) {
    if (A->nconfig > 0 && !A->u_rms_given)
        return cli_error(CLI_USAGE, CMD,
                         "--phonons %ld needs --u-rms (the rms displacement, e.g. 0.1 or "
                         "Au=0.085,C=0.1)",
                         A->nconfig);
    if (A->nconfig == 0 && (A->u_rms_given || A->fix_z_given || A->keep_waves))
        return cli_error(CLI_USAGE, CMD, "%s needs --phonons N",
                         A->u_rms_given   ? "--u-rms"
                         : A->fix_z_given ? "--phonon-fix-z"
                                          : "--keep-waves");
    if (A->focal_sum && A->ctf.focal_spread > 0)
        return cli_error(CLI_USAGE, CMD,
                         "--focal-spread (envelope) and --focal-spread-sum (explicit sum) both "
                         "model the focal spread; give one");
    if (A->convergence_sum && A->ctf.convergence_mrad > 0)
        return cli_error(CLI_USAGE, CMD,
                         "--convergence-mrad (envelope) and --convergence-sum (explicit sum) both "
                         "model the beam convergence; give one");
    int dose = A->det.dose_e_per_a2 > 0;
    if (!dose && A->det.read_noise > 0)
        return cli_error(CLI_USAGE, CMD, "--read-noise needs --dose (noise is in counts)");
    if (!dose && (A->det.flags & CZ_SIM_DET_INTEGER))
        return cli_error(CLI_USAGE, CMD, "--counts needs --dose");
    if (!dose && A->write_noiseless)
        return cli_error(CLI_USAGE, CMD,
                         "--write-noiseless needs --dose (without a dose there is no noise)");
    if (A->radius_given && !A->masks)
        return cli_error(CLI_USAGE, CMD, "--mask-radius needs --masks");
    if ((A->threshold_given || A->class_given) && !A->phase_mask)
        return cli_error(CLI_USAGE, CMD, "%s needs --phase-mask",
                         A->threshold_given ? "--phase-threshold" : "--phase-class");
    if (A->tol_given && !A->columns)
        return cli_error(CLI_USAGE, CMD, "--column-tol needs --columns");
    return CLI_OK;
}

/* ---- columns on the camera ----------------------------------------------------------------- */

/* A column on the camera and its specimen position. */
typedef struct camera_column {
    cz_sim_column c; /* x, y in camera pixels */
    double x_a, y_a; /* specimen position, Å */
} camera_column;

static int cmp_camera_column(const void *pa, const void *pb) {
    const camera_column *a = pa, *b = pb;
    if (a->c.y != b->c.y) return a->c.y < b->c.y ? -1 : 1;
    if (a->c.x != b->c.x) return a->c.x < b->c.x ? -1 : 1;
    return 0;
}

/* Columns (pixel coordinates of the simulation grid, dx × dy) on the camera: every appearance
 * in the camera field (cz_sim_detector_locate), x and y in camera pixels, sorted by y then x.
 * Returns CZ_OK with a malloc'd array (at least one element) in *out and its length in *n, or a
 * failing status (CZ_ENOMEM, or locate's) with *out = NULL. */
static cz_status camera_columns(const cz_sim_detector *cam, double dx, double dy,
                                const cz_sim_column *cols, size_t ncol, camera_column **out,
                                size_t *n) {
    *out = NULL;
    *n = 0;
    double(*xy)[2] = malloc((ncol ? ncol : 1) * sizeof *xy);
    if (!xy) return CZ_ENOMEM;
    for (size_t c = 0; c < ncol; ++c) {
        xy[c][0] = cols[c].x;
        xy[c][1] = cols[c].y;
    }
    size_t k = 0;
    cz_status st = cz_sim_detector_locate(cam, ncol, (const double(*)[2])xy, NULL, NULL, 0, &k);
    double(*px)[2] = st == CZ_OK ? malloc((k ? k : 1) * sizeof *px) : NULL;
    size_t *which = px ? malloc((k ? k : 1) * sizeof *which) : NULL;
    camera_column *cc = which ? malloc((k ? k : 1) * sizeof *cc) : NULL;
    if (st == CZ_OK && !cc) st = CZ_ENOMEM;
    if (st == CZ_OK)
        st = cz_sim_detector_locate(cam, ncol, (const double(*)[2])xy, px, which, k, &k);
    if (st == CZ_OK) {
        for (size_t q = 0; q < k; ++q) {
            const cz_sim_column *src = &cols[which[q]];
            cc[q].c = *src;
            cc[q].c.x = px[q][0];
            cc[q].c.y = px[q][1];
            cc[q].x_a = src->x * dx;
            cc[q].y_a = src->y * dy;
        }
        qsort(cc, k, sizeof *cc, cmp_camera_column);
        *out = cc;
        *n = k;
    } else {
        free(cc);
    }
    free(which);
    free(px);
    free(xy);
    return st;
}

/* ---- the run --------------------------------------------------------------------------------- */

/* Everything a run allocates, freed in one place. */
typedef struct run_state {
    cz_atoms *atoms;
    cz_sim_plan *plan;
    cz_sim_detector *cam, *cam_clean;
    float *waves;               /* [nkeep][wave_len] */
    float *phase_wave;          /* [wave_len] exit wave of one class alone */
    double (*moved)[3];         /* [n][3] displaced positions */
    double *sim_images, *tmp;   /* [nimg][image_len], [image_len] */
    double *images, *noiseless; /* [nimg][out_len] (camera) */
    double *potential, *slice_v;
    cz_sim_ctf *ctfs;
    cz_sim_coherence *cohs;
    uint8_t *masks_sim, *masks, *phase_sim, *phase;
    int *ids_sim, *ids, *cls_sim, *cls;
    double (*sub_xyz)[3];
    int *sub_z;
    cz_sim_column *cols_sim, *cols;
    double (*cols_a)[2];
    char *program;
} run_state;

static void run_free(run_state *R) {
    free(R->program);
    free(R->cols_a);
    free(R->cols);
    free(R->cols_sim);
    free(R->sub_z);
    free(R->sub_xyz);
    if (R->cls != R->cls_sim) free(R->cls);
    free(R->cls_sim);
    if (R->ids != R->ids_sim) free(R->ids);
    free(R->ids_sim);
    if (R->phase != R->phase_sim) free(R->phase);
    free(R->phase_sim);
    if (R->masks != R->masks_sim) free(R->masks);
    free(R->masks_sim);
    free(R->cohs);
    free(R->ctfs);
    free(R->slice_v);
    free(R->potential);
    free(R->noiseless);
    if (R->images != R->sim_images) free(R->images);
    free(R->tmp);
    free(R->sim_images);
    free(R->moved);
    free(R->phase_wave);
    free(R->waves);
    cz_sim_detector_destroy(R->cam_clean);
    cz_sim_detector_destroy(R->cam);
    cz_sim_plan_destroy(R->plan);
    cz_atoms_destroy(R->atoms);
}

/* Labels of the simulation grid carried to the camera (or kept as they are without one). */
static int to_camera(const run_state *R, size_t elem, size_t nchan, void *sim, size_t sim_len,
                     void **out, size_t out_len) {
    if (!R->cam) {
        *out = sim;
        return CLI_OK;
    }
    *out = malloc(nchan * out_len * elem);
    if (!*out) return cli_error(CLI_FAIL, CMD, "out of memory for the labels");
    cz_status st = cz_sim_detector_labels(R->cam, elem, nchan, sim, nchan * sim_len * elem, *out,
                                          nchan * out_len * elem);
    return st == CZ_OK ? CLI_OK : sim_error(st, "camera labels");
}

#ifdef CZ_HAVE_HDF5
/* Record the orthogonal supercell in the root attributes of the written file: ortho_matrix
 * [2][2] int32 (rows: A and B in terms of a and b), ortho_det, ortho_rotation_deg,
 * ortho_strain and ortho_input_cell_a [3][3] (the structure's own cell; cell_a is the
 * simulated one). */
static int write_ortho_attrs(const char *path, const cz_ortho_info *info,
                             const double input_cell[3][3]) {
#ifdef IMAGE_HAVE_H5
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* failures are reported here, in one line */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    int ok = f >= 0;
    struct {
        const char *name;
        hid_t mem, file;
        int rank;
        hsize_t dims[2];
        const void *data;
    } attrs[5] = {
        {"ortho_matrix", H5T_NATIVE_INT, H5T_STD_I32LE, 2, {2, 2}, info->matrix},
        {"ortho_det", H5T_NATIVE_INT, H5T_STD_I32LE, 0, {0, 0}, &info->det},
        {"ortho_rotation_deg", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 0, {0, 0}, &info->rotation_deg},
        {"ortho_strain", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 0, {0, 0}, &info->strain},
        {"ortho_input_cell_a", H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 2, {3, 3}, input_cell},
    };
    for (int k = 0; ok && k < 5; ++k) {
        hid_t sp = attrs[k].rank ? H5Screate_simple(attrs[k].rank, attrs[k].dims, NULL)
                                 : H5Screate(H5S_SCALAR);
        hid_t a = sp >= 0 ? H5Acreate2(f, attrs[k].name, attrs[k].file, sp, H5P_DEFAULT,
                                       H5P_DEFAULT)
                          : -1;
        ok = a >= 0 && H5Awrite(a, attrs[k].mem, attrs[k].data) >= 0;
        if (a >= 0) H5Aclose(a);
        if (sp >= 0) H5Sclose(sp);
    }
    if (f >= 0 && H5Fclose(f) < 0) ok = 0;
    if (!ok)
        return cli_error(CLI_FAIL, CMD, "-o %s: cannot record the orthogonal supercell", path);
    return CLI_OK;
#else
    (void)info;
    (void)input_cell;
    return cli_error(CLI_FAIL, CMD, "-o %s: hdf5.h not found: cannot record the supercell", path);
#endif
}
#endif

int cli_image_main(int argc, char **argv) {
    image_args A;
    run_state R;
    memset(&R, 0, sizeof R);
    cz_status st;
    int rc;
    progress pg = {0, 0, {0, 0}};
    if (args_init(&A) != 0) {
        args_free(&A);
        return CLI_FAIL;
    }
    rc = parse_args(&A, argc, argv);
    if (rc != 0) {
        rc = rc > 0 ? CLI_OK : A.fail_code;
        goto done;
    }
    if ((rc = check_combinations(&A)) != CLI_OK) goto done;
    if ((rc = check_outputs(&A)) != CLI_OK) goto done;

    cz_format format = CZ_FORMAT_AUTO;
    if (A.format_name && (st = cz_format_from_name(A.format_name, &format)) != CZ_OK) {
        rc = cli_cz_error(st, CMD, "--format %s", A.format_name);
        goto done;
    }
    st = cz_atoms_read(A.structure, format, &R.atoms);
    if (st != CZ_OK) {
        rc = cli_cz_error(st, CMD, "%s", A.structure);
        goto done;
    }
    const cz_atoms *atoms = R.atoms;
    if ((rc = check_cell(atoms, A.structure)) != CLI_OK) goto done;
    /* The multislice needs a ∥ x, b ∥ y: an oblique in-plane cell becomes its smallest
     * orthogonal supercell (an orthogonal one comes back unchanged, ortho.changed = 0). */
    double input_cell[3][3];
    memcpy(input_cell, atoms->cell, sizeof input_cell);
    cz_ortho_info ortho;
    {
        cz_atoms *orth = NULL;
        st = cz_atoms_orthogonalize(atoms, &A.ortho, &orth, &ortho);
        if (st != CZ_OK) {
            rc = cli_cz_error(st, CMD,
                              "%s: no orthogonal supercell of the cell (options --ortho-tolerance "
                              "for strain_tolerance, --ortho-max-repeat for max_repeat)",
                              A.structure);
            goto done;
        }
        cz_atoms_destroy(R.atoms);
        R.atoms = orth;
        atoms = orth;
    }

    /* Scherzer entries of the defocus list, now that Cs and the energy are final. */
    for (size_t k = 0; k < A.ndefocus; ++k) {
        if (!A.scherzer[k]) continue;
        st = cz_sim_scherzer_defocus(A.opts.energy_ev, A.ctf.c[3][0], &A.defocus[k]);
        if (st != CZ_OK) {
            rc = sim_error(st, "--defocus scherzer");
            goto done;
        }
    }

    st = cz_sim_plan_create(&A.opts, CZ_CROWS(atoms->cell), &R.plan);
    if (st != CZ_OK) {
        char what[1100];
        snprintf(what, sizeof what, "cannot simulate %s", A.structure);
        rc = sim_error(st, what);
        goto done;
    }
    cz_sim_plan *plan = R.plan;
    /* The undisplaced atoms first, also with phonons: errors then name the structure's atoms. */
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

    /* The camera, before the (long) simulation, so that bad camera options fail at once. */
    cz_sim_detector_grid grid = {info.nx, info.ny, info.nx,        info.ny,
                                 info.dx, info.dy, info.image_len, info.image_len};
    if (A.camera) {
        A.det.seed = A.seed;
        A.det.nthreads = A.opts.nthreads;
        st = cz_sim_detector_create(&A.det, info.nx, info.ny, info.dx, info.dy, &R.cam);
        if (st == CZ_OK && A.write_noiseless) {
            cz_sim_detector_opts clean = A.det;
            clean.flags = (clean.flags & ~CZ_SIM_DET_INTEGER) | CZ_SIM_DET_NOISELESS;
            clean.read_noise = 0;
            st = cz_sim_detector_create(&clean, info.nx, info.ny, info.dx, info.dy, &R.cam_clean);
        }
        if (st != CZ_OK) {
            rc = sim_error(st, "camera");
            goto done;
        }
        cz_sim_detector_geometry(R.cam, &grid);
    }
    size_t out_len = grid.out_len;

    size_t nimg = A.ndefocus, nconf = A.nconfig > 0 ? (size_t)A.nconfig : 1;
    size_t nkeep = A.keep_waves ? nconf : 1;
    int use_coh = A.focal_sum || A.convergence_sum;
    if (nkeep > ((size_t)-1) / sizeof(float) / info.wave_len) {
        rc = cli_error(CLI_FAIL, CMD, "%zu exit waves of %zu x %zu pixels do not fit in memory",
                       nkeep, info.nx, info.ny);
        goto done;
    }
    R.waves = malloc(nkeep * info.wave_len * sizeof *R.waves);
    R.sim_images = calloc(nimg * info.image_len, sizeof *R.sim_images);
    R.tmp = malloc(info.image_len * sizeof *R.tmp);
    R.ctfs = malloc(nimg * sizeof *R.ctfs);
    R.cohs = malloc(nimg * sizeof *R.cohs);
    R.moved = A.nconfig > 0 ? malloc(atoms->n * sizeof *R.moved) : NULL;
    if (!R.waves || !R.sim_images || !R.tmp || !R.ctfs || !R.cohs || (A.nconfig > 0 && !R.moved)) {
        rc = cli_error(CLI_FAIL, CMD, "out of memory for %zu images of %zu x %zu pixels", nimg,
                       info.nx, info.ny);
        goto done;
    }
    for (size_t k = 0; k < nimg; ++k) {
        R.ctfs[k] = A.ctf;
        R.ctfs[k].c[1][0] = 0.0 - A.defocus[k]; /* defocus = −C10 (0.0 − x: no −0) */
        R.cohs[k] = A.coh;
    }

    /* Per configuration: displace, one cz_sim_run (exactly as cz.sim does it, so the CLI and
     * Python give the same bits), then every imaging condition from that exit wave; the images
     * of the configurations are summed and divided by their number (the incoherent average). */
    progress_start(&pg);
    A.phonon.seed = A.seed;
    for (size_t c = 0; c < nconf; ++c) {
        float *wave = R.waves + (A.keep_waves ? c : 0) * info.wave_len;
        if (A.nconfig > 0) {
            st = cz_sim_phonon_displace(&A.phonon, c, atoms->n, CZ_CROWS(atoms->xyz), atoms->z,
                                        NULL, R.moved);
            if (st == CZ_OK) st = cz_sim_set_atoms(plan, atoms->n, CZ_CROWS(R.moved), atoms->z);
            if (st != CZ_OK) {
                progress_end(&pg);
                char what[160];
                snprintf(what, sizeof what,
                         "frozen-phonon configuration %zu (leave vacuum along z or use "
                         "--phonon-fix-z)",
                         c);
                rc = sim_error(st, what);
                goto done;
            }
            progress_update(&pg, "frozen-phonon configuration", c + 1, nconf);
        } else {
            progress_phase(&pg, "multislice through %zu slices of %zu x %zu pixels", info.nslices,
                           info.nx, info.ny);
        }
        st = cz_sim_run(plan, wave, info.wave_len);
        if (st != CZ_OK) {
            progress_end(&pg);
            rc = sim_error(st, "multislice");
            goto done;
        }
        for (size_t k = 0; k < nimg; ++k) {
            double *img = nconf == 1 ? R.sim_images + k * info.image_len : R.tmp;
            if (use_coh)
                st = cz_sim_image_incoherent(plan, &R.ctfs[k], &R.cohs[k], 1, wave, info.wave_len,
                                             img, info.image_len);
            else
                st = cz_sim_image(plan, &R.ctfs[k], wave, info.wave_len, img, info.image_len);
            if (st != CZ_OK) {
                progress_end(&pg);
                rc = sim_error(st, "imaging");
                goto done;
            }
            if (nconf > 1) {
                double *acc = R.sim_images + k * info.image_len;
                for (size_t i = 0; i < info.image_len; ++i) acc[i] += img[i];
            }
            if (nconf == 1) progress_update(&pg, "image", k + 1, nimg);
        }
    }
    if (nconf > 1) {
        double inv = 1.0 / (double)nconf;
        for (size_t i = 0; i < nimg * info.image_len; ++i) R.sim_images[i] *= inv;
    }
    if (A.nconfig > 0) {
        /* The potential describes the undisplaced structure. */
        st = cz_sim_set_atoms(plan, atoms->n, CZ_CROWS(atoms->xyz), atoms->z);
        if (st != CZ_OK) {
            progress_end(&pg);
            rc = sim_error(st, A.structure);
            goto done;
        }
    }

    /* The camera: frame k for image k. */
    R.images = R.sim_images;
    if (R.cam) {
        R.images = malloc(nimg * out_len * sizeof *R.images);
        R.noiseless = R.cam_clean ? malloc(nimg * out_len * sizeof *R.noiseless) : NULL;
        if (!R.images || (R.cam_clean && !R.noiseless)) {
            progress_end(&pg);
            rc = cli_error(CLI_FAIL, CMD, "out of memory for %zu camera frames", nimg);
            goto done;
        }
        for (size_t k = 0; k < nimg && st == CZ_OK; ++k) {
            const double *in = R.sim_images + k * info.image_len;
            st = cz_sim_detector_image(R.cam, k, in, info.image_len, R.images + k * out_len,
                                       out_len);
            if (st == CZ_OK && R.cam_clean)
                st = cz_sim_detector_image(R.cam_clean, k, in, info.image_len,
                                           R.noiseless + k * out_len, out_len);
        }
        if (st != CZ_OK) {
            progress_end(&pg);
            rc = sim_error(st, "camera");
            goto done;
        }
    }

    if (A.write_potential) {
        R.potential = calloc(info.image_len, sizeof *R.potential);
        R.slice_v = malloc(info.image_len * sizeof *R.slice_v);
        if (!R.potential || !R.slice_v) {
            progress_end(&pg);
            rc = cli_error(CLI_FAIL, CMD, "out of memory for the potential");
            goto done;
        }
        for (size_t s = 0; s < info.nslices; ++s) {
            st = cz_sim_potential(plan, s, R.slice_v, info.image_len);
            if (st != CZ_OK) {
                progress_end(&pg);
                rc = sim_error(st, "potential");
                goto done;
            }
            for (size_t i = 0; i < info.image_len; ++i) R.potential[i] += R.slice_v[i];
            progress_update(&pg, "potential slice", s + 1, info.nslices);
        }
    }

    /* Ground truth on the simulation grid, then on the camera's. */
    cz_sim_label_opts lab = A.lab;
    lab.nx = info.nx;
    lab.ny = info.ny;
    lab.dx = info.dx;
    lab.dy = info.dy;
    size_t nclass = NCLASS_MIN;
    if (A.masks) {
        for (size_t i = 0; i < atoms->n; ++i)
            if (atoms->class_id[i] >= 0 && (size_t)atoms->class_id[i] >= nclass)
                nclass = (size_t)atoms->class_id[i] + 1;
        if (nclass > 256) {
            progress_end(&pg);
            rc = cli_error(CLI_USAGE, CMD, "--masks: class_id %zu in %s is above 255", nclass - 1,
                           A.structure);
            goto done;
        }
        R.masks_sim = malloc(nclass * info.image_len);
        R.ids_sim = malloc(info.image_len * sizeof *R.ids_sim);
        R.cls_sim = malloc(info.image_len * sizeof *R.cls_sim);
        if (!R.masks_sim || !R.ids_sim || !R.cls_sim) {
            progress_end(&pg);
            rc = cli_error(CLI_FAIL, CMD, "out of memory for the masks");
            goto done;
        }
        const double(*xyz)[3] = CZ_CROWS(atoms->xyz);
        st = cz_sim_mask_classes(&lab, atoms->n, xyz, atoms->class_id, nclass, R.masks_sim,
                                 nclass * info.image_len);
        if (st == CZ_OK)
            st = cz_sim_label_map(&lab, atoms->n, xyz, atoms->object_id, NULL, R.ids_sim,
                                  info.image_len);
        if (st == CZ_OK)
            st = cz_sim_label_map(&lab, atoms->n, xyz, atoms->class_id, NULL, R.cls_sim,
                                  info.image_len);
        if (st != CZ_OK) {
            progress_end(&pg);
            rc = sim_error(st, "--masks");
            goto done;
        }
        void *m = NULL, *ids = NULL, *cls = NULL;
        if ((rc = to_camera(&R, 1, nclass, R.masks_sim, info.image_len, &m, out_len)) != CLI_OK)
            goto done;
        R.masks = m;
        if ((rc = to_camera(&R, sizeof(int), 1, R.ids_sim, info.image_len, &ids, out_len)) !=
            CLI_OK)
            goto done;
        R.ids = ids;
        if ((rc = to_camera(&R, sizeof(int), 1, R.cls_sim, info.image_len, &cls, out_len)) !=
            CLI_OK)
            goto done;
        R.cls = cls;
    }
    size_t nsub = 0;
    if (A.phase_mask) {
        for (size_t i = 0; i < atoms->n; ++i) nsub += atoms->class_id[i] == A.phase_class;
        if (nsub == 0) {
            progress_end(&pg);
            rc = cli_error(CLI_USAGE, CMD,
                           "--phase-mask: no atom of %s has class_id %ld (the extxyz class_id "
                           "column; see --phase-class)",
                           A.structure, A.phase_class);
            goto done;
        }
        R.sub_xyz = malloc(nsub * sizeof *R.sub_xyz);
        R.sub_z = malloc(nsub * sizeof *R.sub_z);
        R.phase_sim = malloc(info.image_len);
        R.phase_wave = malloc(info.wave_len * sizeof *R.phase_wave);
        if (!R.sub_xyz || !R.sub_z || !R.phase_sim || !R.phase_wave) {
            progress_end(&pg);
            rc = cli_error(CLI_FAIL, CMD, "out of memory for the phase mask");
            goto done;
        }
        for (size_t i = 0, j = 0; i < atoms->n; ++i) {
            if (atoms->class_id[i] != A.phase_class) continue;
            memcpy(R.sub_xyz[j], atoms->xyz[i], sizeof R.sub_xyz[j]);
            R.sub_z[j++] = atoms->z[i];
        }
        progress_phase(&pg, "multislice of the %zu atoms of class %ld", nsub, A.phase_class);
        st = cz_sim_set_atoms(plan, nsub, CZ_CROWS(R.sub_xyz), R.sub_z);
        if (st == CZ_OK) st = cz_sim_run(plan, R.phase_wave, info.wave_len);
        if (st == CZ_OK)
            st = cz_sim_mask_phase(info.nx, info.ny, R.phase_wave, info.wave_len, A.phase_threshold,
                                   R.phase_sim, info.image_len);
        if (st != CZ_OK) {
            progress_end(&pg);
            rc = sim_error(st, "--phase-mask");
            goto done;
        }
        void *m = NULL;
        if ((rc = to_camera(&R, 1, 1, R.phase_sim, info.image_len, &m, out_len)) != CLI_OK)
            goto done;
        R.phase = m;
    }
    size_t ncol = 0;
    if (A.columns) {
        st = cz_sim_columns(&lab, atoms->n, CZ_CROWS(atoms->xyz), atoms->z, atoms->object_id, NULL,
                            0, &ncol);
        if (st == CZ_OK) {
            R.cols_sim = malloc((ncol ? ncol : 1) * sizeof *R.cols_sim);
            if (!R.cols_sim) {
                progress_end(&pg);
                rc = cli_error(CLI_FAIL, CMD, "out of memory for %zu columns", ncol);
                goto done;
            }
            st = cz_sim_columns(&lab, atoms->n, CZ_CROWS(atoms->xyz), atoms->z, atoms->object_id,
                                R.cols_sim, ncol, &ncol);
        }
        if (st != CZ_OK) {
            progress_end(&pg);
            rc = sim_error(st, "--columns");
            goto done;
        }
        if (R.cam) {
            size_t n = 0;
            camera_column *cc = NULL;
            st = camera_columns(R.cam, info.dx, info.dy, R.cols_sim, ncol, &cc, &n);
            if (st != CZ_OK) {
                progress_end(&pg);
                rc = st == CZ_ENOMEM
                         ? cli_error(CLI_FAIL, CMD, "out of memory for %zu columns", ncol)
                         : sim_error(st, "--columns");
                goto done;
            }
            R.cols = malloc((n ? n : 1) * sizeof *R.cols);
            R.cols_a = malloc((n ? n : 1) * sizeof *R.cols_a);
            if (!R.cols || !R.cols_a) {
                free(cc);
                progress_end(&pg);
                rc = cli_error(CLI_FAIL, CMD, "out of memory for %zu columns", ncol);
                goto done;
            }
            for (size_t k = 0; k < n; ++k) {
                R.cols[k] = cc[k].c;
                R.cols_a[k][0] = cc[k].x_a;
                R.cols_a[k][1] = cc[k].y_a;
            }
            free(cc);
            ncol = n;
        }
    }

#ifdef CZ_HAVE_HDF5
    if (A.output) {
        progress_phase(&pg, "writing %s", A.output);
        R.program = command_line(argc, argv);
        cz_sim_h5_record rec;
        cz_sim_h5_record_default(&rec);
        rec.opts = &A.opts;
        rec.info = &info;
        memcpy(rec.cell, atoms->cell, sizeof rec.cell);
        rec.wave = A.no_wave || A.nconfig > 0 ? NULL : R.waves;
        rec.nimages = nimg;
        rec.ctf = R.ctfs;
        rec.coh = use_coh ? R.cohs : NULL;
        rec.images = R.images;
        rec.potential = R.potential;
        rec.natoms = atoms->n;
        rec.xyz = CZ_CROWS(atoms->xyz);
        rec.z = atoms->z;
        rec.seed = A.seed;
        rec.program = R.program;
        rec.source = A.structure;
        if (A.nconfig > 0) {
            rec.nconfig = nconf;
            rec.phonon = &A.phonon;
            rec.waves = A.keep_waves ? R.waves : NULL;
        }
        if (R.cam) {
            rec.detector = &A.det;
            rec.camera = &grid;
            rec.noiseless = R.noiseless;
        }
        rec.label_radius = lab.radius;
        if (A.masks) {
            rec.nclass = nclass;
            rec.masks = R.masks;
            rec.class_names = CLASS_NAMES;
            rec.object_map = R.ids;
            rec.class_map = R.cls;
        }
        if (A.phase_mask) {
            rec.phase_mask = R.phase;
            rec.phase_threshold_rad = A.phase_threshold;
            rec.phase_class = (int)A.phase_class;
            rec.phase_natoms = nsub;
        }
        if (A.columns) {
            rec.columns = R.cam ? R.cols : R.cols_sim;
            rec.columns_a = R.cam ? (const double(*)[2])R.cols_a : NULL;
            rec.ncolumns = ncol;
            rec.column_tol = lab.column_tol;
        }
        st = cz_sim_h5_write(A.output, &rec);
        progress_end(&pg);
        if (st != CZ_OK) {
            rc = sim_error(st, "-o");
            if (rc == CLI_USAGE) rc = CLI_FAIL;
            goto done;
        }
        if (ortho.changed &&
            (rc = write_ortho_attrs(A.output, &ortho, CZ_CROWS(input_cell))) != CLI_OK)
            goto done;
    }
#endif
    progress_end(&pg);
    if (A.preview && (rc = write_preview(A.preview, R.images, grid.nx, grid.ny)) != CLI_OK)
        goto done;

    printf("%zu atoms; grid %zu x %zu (%.4f x %.4f Å), %zu slices of %g Å, %g kV; %zu image%s",
           atoms->n, info.nx, info.ny, info.dx, info.dy, info.nslices, A.opts.slice_thickness,
           A.opts.energy_ev * 1e-3, nimg, nimg == 1 ? "" : "s");
    if (nimg == 1) printf(" at defocus %.2f Å", A.defocus[0]);
    if (A.output) printf("; wrote %s", A.output);
    if (A.preview) printf("; preview %s", A.preview);
    if (A.nconfig > 0) printf("; %zu phonon configurations", nconf);
    if (R.cam) printf("; camera %zu x %zu (%.4f x %.4f Å)", grid.nx, grid.ny, grid.dx, grid.dy);
    if (A.columns) printf("; %zu columns", ncol);
    if (ortho.changed)
        printf("; oblique cell simulated as its orthogonal supercell [[%d,%d],[%d,%d]] (%d cells, "
               "rotated %.6g deg, strain %.3g)",
               ortho.matrix[0][0], ortho.matrix[0][1], ortho.matrix[1][0], ortho.matrix[1][1],
               abs(ortho.det), ortho.rotation_deg, ortho.strain);
    printf("\n");
    rc = CLI_OK;

done:
    progress_end(&pg);
    run_free(&R);
    args_free(&A);
    return rc;
}

#endif /* CZ_HAVE_SIM */
