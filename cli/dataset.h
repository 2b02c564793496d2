/* dataset.h — private: the pieces of `cz dataset` (config, sampling, HDF5 shards, previews).
 *
 * dataset_config.c  the YAML config: schema, embedded default, validation with file:line
 *                   errors, numeric distributions drawn from (seed, sample, field path), and the
 *                   resolved config as JSON for the manifest;
 * dataset_h5.c      one HDF5 shard per shard_size samples, written under a temporary name and
 *                   renamed into place;
 * dataset.c         the command: per-sample pipeline (scene → relax → phonon exit waves →
 *                   images → labels), shards, resume, --shard / MPI rank splitting, progress,
 *                   previews, manifest, timings.
 */
#ifndef CZ_CLI_DATASET_H
#define CZ_CLI_DATASET_H

#include <stddef.h>
#include <stdint.h>

/* ---- numeric fields that may be distributions ------------------------------------------------ */

typedef enum ds_kind {
    DS_FIXED = 0,
    DS_UNIFORM,     /* p[0], p[1]: low, high */
    DS_NORMAL,      /* p[0], p[1]: mean, sigma */
    DS_TRUNCNORMAL, /* p[0..3]: mean, sigma, low, high (rejection) */
    DS_LOGNORMAL,   /* p[0], p[1]: mu, sigma of the underlying normal */
    DS_CHOICE       /* choice[nchoice] with cumulative weights cum[nchoice] */
} ds_kind;

typedef struct ds_num {
    ds_kind kind;
    double p[4];
    size_t nchoice;
    double *choice; /* owned */
    double *cum;    /* owned: cumulative normalised weights */
    char path[96];  /* field path ("imaging.dose_e_per_a2"): the random stream's key */
    size_t line;    /* line in the config (0 = built-in value) */
} ds_num;

/* Draw the value of a field for one sample. `sub` separates several draws of the same field in
 * one sample (the image index for per-image fields); the result is a pure function of
 * (sample_seed, path, sub). */
double ds_draw(const ds_num *d, uint64_t sample_seed, uint64_t sub);

/* Smallest and largest value a field can take (±inf for normal tails). */
void ds_support(const ds_num *d, double *lo, double *hi);

/* ---- the config ------------------------------------------------------------------------------- */

enum { DS_NABER = 13 };
enum { DS_MAX_UEL = 16 }; /* elements in simulation.u_rms_by_element */ /* C12 C21 C23 C30 C32 C34 C41 C43 C45 C50 C52 C54 C56 */
extern const int ds_aber_nm[DS_NABER][2];

enum { DS_NOISE_NONE = 0, DS_NOISE_POISSON = 1 };
enum { DS_CROP_CENTER = 0, DS_CROP_RANDOM = 1 };

typedef struct ds_config {
    char *source;     /* config file name, or "<default>" */
    char *scene_yaml; /* the scene sub-document, padded so its lines keep their numbers */
    char *scene_json; /* the scene sub-document as JSON (manifest) */
    uint64_t seed;
    size_t n; /* number of samples (structures) */

    /* simulation */
    ds_num energy_kv, sampling, slice_thickness, u_rms, exit_margin;
    size_t n_urms_el;          /* simulation.u_rms_by_element entries */
    int urms_z[DS_MAX_UEL];    /* their atomic numbers */
    ds_num urms_el[DS_MAX_UEL]; /* their values (overriding u_rms for that element) */
    size_t phonons;
    int potential; /* 0 kirkland, 1 lobato */
    int fftw_measure;

    /* imaging */
    size_t ndefocus;
    ds_num *defocus_nm; /* [ndefocus] */
    ds_num defocus_jitter_nm;
    int have_aber[DS_NABER];
    ds_num aber[DS_NABER][2]; /* C_nm (Å), φ_nm (deg) */
    ds_num aperture_mrad, aperture_taper_mrad, focal_spread, convergence_mrad;
    size_t focal_points;
    ds_num dose_e_per_a2, read_noise;
    int noise;
    int mtf; /* cz_sim_mtf */
    ds_num mtf_q0, mtf_floor;
    ds_num camera_pixel;
    ds_num tilt_spread_mrad; /* explicit incoherent sum over illumination tilt (β) */
    int tilt_dist;           /* cz_sim_tilt_dist */
    size_t tilt_points;
    ds_num distortion_affine[2][2], distortion_shift_a[2], distortion_radial_k1;
    size_t crop[2]; /* nx, ny of the camera crop (0 = the whole field) */
    size_t crop_line;
    int crop_position;

    /* labels */
    ds_num phase_threshold_rad, mask_radius, column_tol;
    int columns;

    /* relax */
    int relax;
    char *relax_pair;
    int relax_min; /* cz_relax_min */
    double relax_ftol, relax_etol;
    long relax_max_iterations, relax_anneal_steps;
    double relax_anneal_temperature_k, relax_timeout_s;
    unsigned relax_freeze_classes;
    int relax_ranks;

    /* output */
    int dtype_uint16;
    size_t shard_size, previews;
    int structures;
    double split[3]; /* train, val, test fractions (sum 1) */
} ds_config;

/* The embedded default configuration (YAML text). */
extern const char ds_default_yaml[];

/* Parse and validate a config (path = NULL: the embedded default). Prints the one error line
 * ("cz dataset: FILE:LINE: field: reason") and returns CLI_USAGE or CLI_FAIL on failure. */
int ds_config_load(const char *path, ds_config *cfg);
void ds_config_free(ds_config *cfg);

/* Print a spec error met while building a sample's scene in the config's one-line form
 * ("FILE:LINE: scene.field: reason"); returns CLI_USAGE. */
int ds_report_spec_error(const ds_config *cfg, const char *why);

/* The resolved config as a JSON object (malloc'd). */
char *ds_config_json(const ds_config *cfg);

/* 64-bit FNV-1a of a string. */
uint64_t ds_fnv1a(const char *s);

/* Seed of sample `index` of a run seeded `seed`: depends on nothing else. */
uint64_t ds_sample_seed(uint64_t seed, uint64_t index);

/* Split of a sample (0 train, 1 val, 2 test), from its seed and the fractions. */
int ds_split_of(const ds_config *cfg, uint64_t seed, uint64_t index);

/* ---- growing text buffer ---------------------------------------------------------------------- */

typedef struct ds_buf {
    char *s;
    size_t len, cap;
    int failed;
} ds_buf;

void ds_buf_printf(ds_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void ds_buf_json_string(ds_buf *b, const char *s);
void ds_buf_json_double(ds_buf *b, double v);

/* ---- HDF5 shards ------------------------------------------------------------------------------ */

/* One image's metadata row (units in the names). */
typedef struct ds_meta {
    uint64_t sample;      /* global sample (structure) index */
    uint64_t sample_seed; /* its seed */
    uint32_t image;       /* image index within the sample (defocus index) */
    uint8_t split;        /* 0 train, 1 val, 2 test */
    double defocus_a;     /* applied defocus (nominal + jitter), Å, positive = underfocus */
    double defocus_nominal_a;
    double dose_e_per_a2;
    double focal_spread_a;
    double aperture_mrad;
    double convergence_mrad;
    double energy_kv;
    double camera_pixel_a; /* actual camera pixel (field of view / pixels) */
    double sampling_a;     /* simulation pixel */
    double slice_thickness_a;
    double u_rms_a;        /* simulation.u_rms (every element not in u_rms_by_element) */
    double read_noise;
    double mtf_q0, mtf_floor;
    double phase_threshold_rad;
    double crop_x0_px, crop_y0_px; /* crop origin in the camera's full field, camera pixels */
    double tilt_spread_mrad;       /* explicit tilt sum β (0 = none) */
    uint32_t tilt_points, focal_points;
    double u_rms_by_z_a[104]; /* u_rms used for each atomic number Z (index Z; 0 unused), Å */
    double distortion_affine[2][2], distortion_shift_a[2], distortion_radial_k1;
    double c_nm_a[6][7];
    double phi_nm_deg[6][7];
    uint32_t n_atoms, n_particle_atoms;
    uint32_t phonons;
    double particle_height_a, substrate_thickness_a, cell_z_a;
    uint64_t columns_start; /* rows of /columns belonging to this sample */
    uint32_t columns_count;
    uint32_t scene_draws_count;   /* rows of /scene_draws belonging to this sample */
    uint64_t scene_draws_start;
} ds_meta;

/* One value the scene spec drew for a sample (cz_spec_draws), e.g. the particle radius. */
typedef struct ds_scene_draw {
    uint64_t sample;
    char *path;   /* "scene.objects[1].shape.sphere.radius" (owned) */
    double value; /* NaN for a name */
    char *text;   /* the chosen name, "" for a number (owned) */
} ds_scene_draw;

/* One atom column (camera-crop pixel coordinates). */
typedef struct ds_column {
    uint64_t sample;
    double x_px, y_px;
    int32_t z, object;
    uint32_t count;
} ds_column;

/* Everything one shard holds; images are converted to the output dtype on writing. */
typedef struct ds_shard_data {
    size_t nimages, nx, ny, nclass;
    int dtype_uint16;
    const float *images;           /* [nimages][ny][nx] */
    const uint8_t *masks;          /* [nimages][ny][nx] phase mask (particle) */
    const uint8_t *class_masks;    /* [nimages][nclass][ny][nx] geometric masks */
    const int32_t *object_ids;     /* [nimages][ny][nx] */
    const ds_meta *meta;           /* [nimages] */
    size_t ncolumns;
    const ds_column *columns;      /* [ncolumns] */
    size_t ndraws;
    const ds_scene_draw *draws;    /* [ndraws] */
    /* optional structures */
    size_t nsamples;
    const uint64_t *atom_offsets;  /* [nsamples + 1] */
    const double (*xyz)[3];        /* [atom_offsets[nsamples]][3] */
    const int32_t *numbers, *object_id, *class_id;
    uint64_t first_sample;
    const char *config_json;
} ds_shard_data;

/* Write a shard to `path` atomically (temporary name in the same directory + rename). Returns 0,
 * or -1 with a reason in err. */
int ds_h5_write_shard(const char *path, const ds_shard_data *d, char *err, size_t errlen);

/* "1.12.x" of the linked HDF5 library. */
const char *ds_h5_version(void);

/* ---- MPI (dataset_mpi.c): Open MPI opened at run time under its launcher ---------------------- */

typedef struct ds_mpi {
    int active; /* MPI_Init succeeded: collectives below are real */
    long rank, size;
} ds_mpi;

/* Under Open MPI's launcher (OMPI_COMM_WORLD_SIZE set) load libmpi.so.40 and MPI_Init: returns 1
 * with rank/size. Returns 0 (size 1) without a launcher, or when loading or MPI_Init failed, with
 * the reason in why (empty without a launcher). */
int ds_mpi_start(ds_mpi *m, char *why, size_t whylen);
/* In place over all ranks: v[i] = sum (max = 0) or maximum (max = 1). No-op when not active. */
int ds_mpi_sum(ds_mpi *m, double *v, int n, int max);
void ds_mpi_barrier(ds_mpi *m);
void ds_mpi_end(ds_mpi *m);

#endif /* CZ_CLI_DATASET_H */
