/* dataset_config.c — the `cz dataset` config: schema, embedded default, validation with
 * file:line errors, numeric distributions and the resolved config as JSON.
 *
 * The config is one YAML mapping with the sections seed, n, scene, simulation, imaging, labels,
 * relax and output (docs/dataset.md). `scene:` is a cz scene spec (docs/spec.md): its text is cut
 * out of the file and handed to cz_spec_parse_string with blank lines and spaces in front, so the
 * spec parser reports the config's own line numbers. Every other numeric field may be a number
 * or one of the spec's distribution forms (uniform, normal, truncnormal, lognormal, choice +
 * weights); its value for a sample is a pure function of (sample seed, FNV-1a of the field's
 * path, draw index), the spec's counter-based scheme. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cli.h"
#include "cz/cz_elements.h"
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

const int ds_aber_nm[DS_NABER][2] = {{1, 2}, {2, 1}, {2, 3}, {3, 0}, {3, 2}, {3, 4}, {4, 1},
                                     {4, 3}, {4, 5}, {5, 0}, {5, 2}, {5, 4}, {5, 6}};

/* The built-in default: Au nanoparticles resting in amorphous carbon, after published practice
 * for HRTEM nanoparticle segmentation (see docs/dataset.md for the sources of each number). */
const char ds_default_yaml[] =
    "# cz dataset: the embedded default. Au particles resting 0.2 R deep in amorphous carbon.\n"
    "# Every field may be changed; any number may be a distribution (docs/dataset.md).\n"
    "seed: 0\n"
    "n: 64                          # samples (structures); images = n x defocus values\n"
    "scene:\n"
    "  cell: [128, 128, 160]\n"
    "  pbc: [true, true, false]\n"
    "  clash_distance: 2.0\n"
    "  objects:\n"
    "    - name: carbon\n"
    "      amorphous: {elements: {C: 1}, density: 2.2, d_min: 1.4}\n"
    "      region: {slab: {bottom: 2, top: {uniform: [22, 82]}}}   # 20-80 A thick\n"
    "      class: substrate\n"
    "    - name: particle\n"
    "      lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
    "      shape: {sphere: {radius: {truncnormal: [25, 7.5, 15, 35]}}}\n"
    "      defects:                 # 0-3 planar defects on random {111} planes\n"
    "        twins: {choice: [0, 1, 2]}\n"
    "        faults: {choice: [0, 1]}\n"
    "      orientation: random\n"
    "      position: [64, 64]\n"
    "      rest_on: {surface: carbon, depth_fraction: 0.1}   # 0.2 R = 0.1 x height 2R\n"
    "      priority: 1\n"
    "      class: particle\n"
    "simulation:\n"
    "  energy_kv: 300\n"
    "  sampling: 0.1                # A, potential and wave grid\n"
    "  slice_thickness: 2           # A\n"
    "  potential: kirkland\n"
    "  phonons: 8                   # frozen-phonon configurations\n"
    "  u_rms: 0.1                   # A, rms displacement per axis\n"
    "  u_rms_by_element: {}         # per-element overrides, e.g. {Au: 0.085, C: 0.1}\n"
    "  vacuum_margin: 2             # A kept above the top atom: the exit plane\n"
    "  fftw: estimate               # planner; measure is faster but machine-timed (see docs)\n"
    "imaging:\n"
    "  defocus_nm: {range: [-50, 50, 10]}   # one image per value, all from the same waves\n"
    "  defocus_jitter_nm: {normal: [0, 2]}\n"
    "  aberrations:                 # residual C_nm (A) and azimuth (deg), to 5th order\n"
    "    C12: [{uniform: [0, 10]}, {uniform: [0, 360]}]\n"
    "    C21: [{uniform: [0, 300]}, {uniform: [0, 360]}]\n"
    "    C23: [{uniform: [0, 300]}, {uniform: [0, 360]}]\n"
    "    C30: [{uniform: [-1.0e5, 1.0e5]}, 0]\n"
    "    C32: [{uniform: [0, 1.0e4]}, {uniform: [0, 360]}]\n"
    "    C34: [{uniform: [0, 1.0e4]}, {uniform: [0, 360]}]\n"
    "    C41: [{uniform: [0, 1.0e5]}, {uniform: [0, 360]}]\n"
    "    C43: [{uniform: [0, 1.0e5]}, {uniform: [0, 360]}]\n"
    "    C45: [{uniform: [0, 1.0e5]}, {uniform: [0, 360]}]\n"
    "    C50: [{uniform: [0, 5.0e7]}, 0]\n"
    "    C52: [{uniform: [0, 1.0e6]}, {uniform: [0, 360]}]\n"
    "    C54: [{uniform: [0, 1.0e6]}, {uniform: [0, 360]}]\n"
    "    C56: [{uniform: [0, 1.0e6]}, {uniform: [0, 360]}]\n"
    "  aperture_mrad: 30\n"
    "  focal_spread: {uniform: [20, 40]}    # A, 1/e; explicit incoherent sum over defocus\n"
    "  focal_points: 8\n"
    "  convergence_mrad: 0.1        # 1/e semi-angle, spatial envelope\n"
    "  tilt_spread_mrad: 0          # > 0: explicit incoherent sum over illumination tilt\n"
    "  tilt_distribution: gaussian  # or disc\n"
    "  tilt_points: 3               # per axis (gaussian) or rings (disc)\n"
    "  dose_e_per_a2: {uniform: [100, 1200]}\n"
    "  noise: poisson\n"
    "  camera_pixel: 0.2            # A\n"
    "  crop: [512, 512]             # camera pixels\n"
    "  crop_position: center\n"
    "  distortion:                  # camera geometry, applied to images and labels alike\n"
    "    affine: [[1, 0], [0, 1]]\n"
    "    shift_a: [0, 0]\n"
    "    radial_k1: 0\n"
    "labels:\n"
    "  phase_threshold_rad: 0.1     # particle-only exit-wave phase\n"
    "  mask_radius: 1.0             # A, geometric masks\n"
    "  columns: true\n"
    "  column_tol: 0.3              # A\n"
    "output:\n"
    "  dtype: float32\n"
    "  shard_size: 4                # samples per HDF5 shard\n"
    "  previews: 4                  # PNG previews of the first images\n"
    "  structures: false\n"
    "  splits: [0.8, 0.1, 0.1]      # train, val, test, by structure\n";

/* ---- small helpers ---------------------------------------------------------------------------- */

uint64_t ds_fnv1a(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; ++s) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Streams of the run-level draws (sample seeds, splits): fixed words, not field paths. */
static const uint64_t STREAM_SAMPLE = 0x63a7d5e15a3b9f01ULL;
static const uint64_t STREAM_SPLIT = 0x2f6b1c8e0d4a7b53ULL;

uint64_t ds_sample_seed(uint64_t seed, uint64_t index) {
    return cz_rng_u64(seed, STREAM_SAMPLE, index);
}

int ds_split_of(const ds_config *cfg, uint64_t seed, uint64_t index) {
    double u = cz_rng_uniform(seed, STREAM_SPLIT, index);
    if (u < cfg->split[0]) return 0;
    if (u < cfg->split[0] + cfg->split[1]) return 1;
    return 2;
}

void ds_buf_printf(ds_buf *b, const char *fmt, ...) {
    if (b->failed) return;
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int need = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (need < 0) {
        b->failed = 1;
        va_end(ap2);
        return;
    }
    if (b->len + (size_t)need + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)need + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            va_end(ap2);
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    vsnprintf(b->s + b->len, (size_t)need + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)need;
}

void ds_buf_json_string(ds_buf *b, const char *s) {
    ds_buf_printf(b, "\"");
    for (; *s; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            ds_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            ds_buf_printf(b, "\\n");
        else if (c < 0x20)
            ds_buf_printf(b, "\\u%04x", c);
        else
            ds_buf_printf(b, "%c", c);
    }
    ds_buf_printf(b, "\"");
}

void ds_buf_json_double(ds_buf *b, double v) {
    if (!isfinite(v))
        ds_buf_printf(b, "null");
    else
        ds_buf_printf(b, "%.17g", v);
}

/* ---- distributions ---------------------------------------------------------------------------- */

static double draw_u(const ds_num *d, uint64_t seed, uint64_t sub, uint64_t k) {
    return cz_rng_uniform(seed, ds_fnv1a(d->path), (sub << 20) + k);
}

static double draw_n(const ds_num *d, uint64_t seed, uint64_t sub, uint64_t k) {
    return cz_rng_normal(seed, ds_fnv1a(d->path), (sub << 20) + k);
}

double ds_draw(const ds_num *d, uint64_t sample_seed, uint64_t sub) {
    switch (d->kind) {
        case DS_FIXED:
            return d->p[0];
        case DS_UNIFORM:
            return d->p[0] + (d->p[1] - d->p[0]) * draw_u(d, sample_seed, sub, 0);
        case DS_NORMAL:
            return d->p[0] + d->p[1] * draw_n(d, sample_seed, sub, 0);
        case DS_LOGNORMAL:
            return exp(d->p[0] + d->p[1] * draw_n(d, sample_seed, sub, 0));
        case DS_TRUNCNORMAL:
            /* Rejection; the window was checked at load time to hold enough of the normal. */
            for (uint64_t k = 0; k < (1u << 20); ++k) {
                double g = d->p[0] + d->p[1] * draw_n(d, sample_seed, sub, k);
                if (g >= d->p[2] && g <= d->p[3]) return g;
            }
            return 0.5 * (d->p[2] + d->p[3]);
        case DS_CHOICE: {
            double u = draw_u(d, sample_seed, sub, 0);
            for (size_t i = 0; i < d->nchoice; ++i)
                if (u < d->cum[i]) return d->choice[i];
            return d->choice[d->nchoice - 1];
        }
    }
    return d->p[0];
}

void ds_support(const ds_num *d, double *lo, double *hi) {
    switch (d->kind) {
        case DS_FIXED:
            *lo = *hi = d->p[0];
            return;
        case DS_UNIFORM:
            *lo = d->p[0];
            *hi = d->p[1];
            return;
        case DS_NORMAL:
            *lo = d->p[1] > 0 ? -INFINITY : d->p[0];
            *hi = d->p[1] > 0 ? INFINITY : d->p[0];
            return;
        case DS_LOGNORMAL:
            *lo = d->p[1] > 0 ? 0.0 : exp(d->p[0]);
            *hi = d->p[1] > 0 ? INFINITY : exp(d->p[0]);
            return;
        case DS_TRUNCNORMAL:
            *lo = d->p[2];
            *hi = d->p[3];
            return;
        case DS_CHOICE:
            *lo = INFINITY;
            *hi = -INFINITY;
            for (size_t i = 0; i < d->nchoice; ++i) {
                if (d->choice[i] < *lo) *lo = d->choice[i];
                if (d->choice[i] > *hi) *hi = d->choice[i];
            }
            return;
    }
}

static void num_free(ds_num *d) {
    free(d->choice);
    free(d->cum);
    d->choice = d->cum = NULL;
}

static void num_fixed(ds_num *d, const char *path, double v) {
    num_free(d);
    memset(d, 0, sizeof *d);
    d->kind = DS_FIXED;
    d->p[0] = v;
    snprintf(d->path, sizeof d->path, "%s", path);
}

/* ---- the loader ------------------------------------------------------------------------------ */

typedef struct loader {
    const char *src; /* file name for messages */
    yaml_document_t *doc;
    ds_config *cfg;
    int code; /* exit status of the failure */
} loader;

/* "cz dataset: FILE:LINE: path: reason", then -1. */
static int bad(loader *L, const yaml_node_t *n, const char *path, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static int bad(loader *L, const yaml_node_t *n, const char *path, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_error(CLI_USAGE, CMD, "%s:%zu: %s: %s", L->src, n ? n->start_mark.line + 1 : 1, path, msg);
    L->code = CLI_USAGE;
    return -1;
}

static yaml_node_t *node(loader *L, int id) { return yaml_document_get_node(L->doc, id); }

static const char *text(const yaml_node_t *n) { return (const char *)n->data.scalar.value; }

static yaml_node_t *map_get(loader *L, const yaml_node_t *m, const char *key) {
    if (!m || m->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; ++p) {
        yaml_node_t *k = node(L, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp(text(k), key) == 0) return node(L, p->value);
    }
    return NULL;
}

/* Keys must be plain names from `allowed`, each at most once. */
static int check_keys(loader *L, const yaml_node_t *m, const char *path,
                      const char *const allowed[]) {
    if (m->type != YAML_MAPPING_NODE) return bad(L, m, path, "must be a mapping");
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; ++p) {
        yaml_node_t *k = node(L, p->key);
        if (!k || k->type != YAML_SCALAR_NODE) return bad(L, k, path, "keys must be plain names");
        int ok = 0;
        for (size_t i = 0; allowed[i] && !ok; ++i) ok = strcmp(allowed[i], text(k)) == 0;
        char sub[160];
        snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", text(k));
        if (!ok) {
            char list[512] = "";
            for (size_t i = 0; allowed[i]; ++i) {
                strncat(list, allowed[i], sizeof list - strlen(list) - 1);
                if (allowed[i + 1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            return bad(L, k, sub, "unknown key \"%s\" (allowed: %s)", text(k), list);
        }
        for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < p; ++q) {
            yaml_node_t *k2 = node(L, q->key);
            if (k2 && k2->type == YAML_SCALAR_NODE && strcmp(text(k2), text(k)) == 0)
                return bad(L, k, sub, "duplicate key \"%s\"", text(k));
        }
    }
    return 0;
}

static int scalar_number(loader *L, const yaml_node_t *n, const char *path, double *out) {
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return bad(L, n, path, "must be a number");
    char *end;
    errno = 0;
    double v = strtod(text(n), &end);
    if (end == text(n) || *end != '\0' || errno == ERANGE)
        return bad(L, n, path, "must be a number (got \"%s\")", text(n));
    if (!isfinite(v)) return bad(L, n, path, "must be finite (got %s)", text(n));
    *out = v;
    return 0;
}

static int number_list(loader *L, const yaml_node_t *n, const char *path, size_t want, double *v,
                       const char *what) {
    if (n->type != YAML_SEQUENCE_NODE ||
        (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) != want)
        return bad(L, n, path, "must be a list of %zu numbers (%s)", want, what);
    for (size_t i = 0; i < want; ++i)
        if (scalar_number(L, node(L, n->data.sequence.items.start[i]), path, &v[i]) != 0) return -1;
    return 0;
}

/* Limits of a numeric field: lo (inclusive unless open_lo), hi (inclusive). */
typedef struct limits {
    double lo, hi;
    int open_lo;
    int integer;
} limits;

static const limits ANY = {-INFINITY, INFINITY, 0, 0};

static int in_limits(double v, limits lim) {
    if (lim.open_lo ? !(v > lim.lo) : !(v >= lim.lo)) return 0;
    if (!(v <= lim.hi)) return 0;
    if (lim.integer && v != floor(v)) return 0;
    return 1;
}

static void limits_text(limits lim, char *s, size_t len) {
    if (isinf(lim.hi))
        snprintf(s, len, "%s %g", lim.open_lo ? ">" : ">=", lim.lo);
    else if (isinf(lim.lo))
        snprintf(s, len, "<= %g", lim.hi);
    else
        snprintf(s, len, "in %s%g, %g]", lim.open_lo ? "(" : "[", lim.lo, lim.hi);
}

/* A number or a distribution, checked against `lim` over its whole support. */
static int get_num(loader *L, const yaml_node_t *n, const char *path, limits lim, ds_num *d) {
    num_free(d);
    memset(d, 0, sizeof *d);
    snprintf(d->path, sizeof d->path, "%s", path);
    d->line = n->start_mark.line + 1;
    double v[4];
    char lt[64];
    limits_text(lim, lt, sizeof lt);
    if (n->type == YAML_SCALAR_NODE) {
        if (scalar_number(L, n, path, &v[0]) != 0) return -1;
        if (!in_limits(v[0], lim))
            return bad(L, n, path, "must be %s%s (got %g)", lim.integer ? "an integer " : "", lt,
                       v[0]);
        d->kind = DS_FIXED;
        d->p[0] = v[0];
        return 0;
    }
    if (n->type != YAML_MAPPING_NODE)
        return bad(L, n, path, "must be a number or a distribution ({uniform: [low, high]}, ...)");
    static const char *const keys[] = {"uniform", "normal",  "truncnormal", "lognormal",
                                       "choice",  "weights", NULL};
    if (check_keys(L, n, path, keys) != 0) return -1;
    size_t nkeys = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    yaml_node_t *choice = map_get(L, n, "choice"), *weights = map_get(L, n, "weights");
    if (!(nkeys == 1 && !weights) && !(nkeys == 2 && choice && weights))
        return bad(L, n, path,
                   "a distribution has exactly one of uniform, normal, truncnormal, lognormal, "
                   "choice (+ weights)");
    const char *kind = text(node(L, n->data.mapping.pairs.start->key));
    if (choice) kind = "choice";
    yaml_node_t *p = map_get(L, n, kind);
    char sub[160];
    snprintf(sub, sizeof sub, "%s.%s", path, kind);
    if (lim.integer && strcmp(kind, "choice") != 0)
        return bad(L, n, sub, "an integer field takes a number or a choice");
    if (strcmp(kind, "uniform") == 0) {
        if (number_list(L, p, sub, 2, v, "[low, high]") != 0) return -1;
        if (!(v[1] >= v[0])) return bad(L, p, sub, "high must be >= low (got %g, %g)", v[0], v[1]);
        d->kind = DS_UNIFORM;
    } else if (strcmp(kind, "normal") == 0 || strcmp(kind, "lognormal") == 0) {
        if (number_list(L, p, sub, 2, v, "[mean, sigma]") != 0) return -1;
        if (!(v[1] >= 0)) return bad(L, p, sub, "sigma must be >= 0 (got %g)", v[1]);
        d->kind = kind[0] == 'l' ? DS_LOGNORMAL : DS_NORMAL;
    } else if (strcmp(kind, "truncnormal") == 0) {
        if (number_list(L, p, sub, 4, v, "[mean, sigma, low, high]") != 0) return -1;
        if (!(v[1] >= 0)) return bad(L, p, sub, "sigma must be >= 0 (got %g)", v[1]);
        if (!(v[3] >= v[2])) return bad(L, p, sub, "high must be >= low (got %g, %g)", v[2], v[3]);
        /* The window must hold a fair share of the normal, or rejection would never end. */
        double mass = v[1] > 0 ? 0.5 * (erf((v[3] - v[0]) / (v[1] * sqrt(2.0))) -
                                        erf((v[2] - v[0]) / (v[1] * sqrt(2.0))))
                               : (v[0] >= v[2] && v[0] <= v[3]);
        if (!(mass > 1e-4))
            return bad(L, p, sub, "the window [%g, %g] holds almost none of normal(%g, %g)", v[2],
                       v[3], v[0], v[1]);
        d->kind = DS_TRUNCNORMAL;
    } else {
        if (p->type != YAML_SEQUENCE_NODE || p->data.sequence.items.top == p->data.sequence.items.start)
            return bad(L, p, sub, "must be a non-empty list of numbers");
        size_t k = (size_t)(p->data.sequence.items.top - p->data.sequence.items.start);
        d->choice = malloc(k * sizeof *d->choice);
        d->cum = malloc(k * sizeof *d->cum);
        if (!d->choice || !d->cum) return L->code = CLI_FAIL, cli_error(CLI_FAIL, CMD, "out of memory"), -1;
        d->nchoice = k;
        for (size_t i = 0; i < k; ++i) {
            if (scalar_number(L, node(L, p->data.sequence.items.start[i]), sub, &d->choice[i]) != 0)
                return -1;
            d->cum[i] = 1.0;
        }
        if (weights) {
            char wp[160];
            snprintf(wp, sizeof wp, "%s.weights", path);
            if (weights->type != YAML_SEQUENCE_NODE ||
                (size_t)(weights->data.sequence.items.top - weights->data.sequence.items.start) != k)
                return bad(L, weights, wp, "must list %zu weights", k);
            for (size_t i = 0; i < k; ++i) {
                if (scalar_number(L, node(L, weights->data.sequence.items.start[i]), wp,
                                  &d->cum[i]) != 0)
                    return -1;
                if (!(d->cum[i] >= 0)) return bad(L, weights, wp, "weights must be >= 0");
            }
        }
        double total = 0;
        for (size_t i = 0; i < k; ++i) total += d->cum[i];
        if (!(total > 0)) return bad(L, weights, path, "weights must not all be 0");
        double acc = 0;
        for (size_t i = 0; i < k; ++i) {
            acc += d->cum[i];
            d->cum[i] = acc / total;
        }
        d->kind = DS_CHOICE;
    }
    memcpy(d->p, v, sizeof v);
    double lo, hi;
    ds_support(d, &lo, &hi);
    if (!in_limits(lo, lim) || !in_limits(hi, lim)) {
        if (d->kind == DS_CHOICE) {
            for (size_t i = 0; i < d->nchoice; ++i)
                if (!in_limits(d->choice[i], lim))
                    return bad(L, p, sub, "every alternative must be %s%s (got %g)",
                               lim.integer ? "an integer " : "", lt, d->choice[i]);
        }
        return bad(L, p, sub, "every value must be %s (the distribution reaches [%g, %g]%s)", lt,
                   lo, hi, isinf(lo) || isinf(hi) ? "; use truncnormal" : "");
    }
    return 0;
}

static int get_name(loader *L, const yaml_node_t *n, const char *path, const char *const names[],
                    int *out) {
    if (n->type == YAML_SCALAR_NODE) {
        for (int i = 0; names[i]; ++i) {
            if (strcasecmp(text(n), names[i]) == 0) {
                *out = i;
                return 0;
            }
        }
    }
    char list[256] = "";
    for (int i = 0; names[i]; ++i) {
        strncat(list, names[i], sizeof list - strlen(list) - 1);
        if (names[i + 1]) strncat(list, " | ", sizeof list - strlen(list) - 1);
    }
    return bad(L, n, path, "must be one of %s%s%s%s", list, n->type == YAML_SCALAR_NODE ? " (got \"" : "",
               n->type == YAML_SCALAR_NODE ? text(n) : "", n->type == YAML_SCALAR_NODE ? "\")" : "");
}

static int get_bool(loader *L, const yaml_node_t *n, const char *path, int *out) {
    static const char *const names[] = {"false", "true", "no", "yes", "off", "on", NULL};
    int k;
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
        get_name(L, n, path, names, &k) != 0) {
        if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
            return bad(L, n, path, "must be true or false");
        return -1;
    }
    *out = k % 2;
    return 0;
}

static int get_count(loader *L, const yaml_node_t *n, const char *path, double lo, double hi,
                     size_t *out) {
    double v;
    if (scalar_number(L, n, path, &v) != 0) return -1;
    if (v != floor(v) || v < lo || v > hi)
        return bad(L, n, path, "must be an integer in [%.0f, %.0f] (got %g)", lo, hi, v);
    *out = (size_t)v;
    return 0;
}

/* ---- sections -------------------------------------------------------------------------------- */

static int load_simulation(loader *L, const yaml_node_t *m) {
    static const char *const keys[] = {"energy_kv", "sampling",         "slice_thickness",
                                       "potential", "phonons",          "u_rms",
                                       "u_rms_by_element", "vacuum_margin", "fftw",
                                       NULL};
    ds_config *c = L->cfg;
    if (check_keys(L, m, "simulation", keys) != 0) return -1;
    yaml_node_t *v;
    const limits energy = {1, 5000, 0, 0}, sampling = {0.005, 10, 0, 0}, slice = {0.1, 100, 0, 0};
    const limits urms = {0, 1, 0, 0}, margin = {0, 100, 0, 0};
    if ((v = map_get(L, m, "energy_kv")) &&
        get_num(L, v, "simulation.energy_kv", energy, &c->energy_kv) != 0)
        return -1;
    if ((v = map_get(L, m, "sampling")) &&
        get_num(L, v, "simulation.sampling", sampling, &c->sampling) != 0)
        return -1;
    if ((v = map_get(L, m, "slice_thickness")) &&
        get_num(L, v, "simulation.slice_thickness", slice, &c->slice_thickness) != 0)
        return -1;
    if ((v = map_get(L, m, "u_rms")) && get_num(L, v, "simulation.u_rms", urms, &c->u_rms) != 0)
        return -1;
    if ((v = map_get(L, m, "u_rms_by_element"))) {
        if (v->type != YAML_MAPPING_NODE)
            return bad(L, v, "simulation.u_rms_by_element",
                       "must be a mapping {ELEMENT: u_rms, ...} (e.g. {Au: 0.08, C: 0.1})");
        for (yaml_node_pair_t *pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top;
             ++pr) {
            yaml_node_t *k = node(L, pr->key);
            const char *sym = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
            char p[96];
            snprintf(p, sizeof p, "simulation.u_rms_by_element.%s", sym);
            int z = 0;
            if (k->type != YAML_SCALAR_NODE || cz_element_from_symbol(sym, &z) != CZ_OK || z < 1 ||
                z > 103)
                return bad(L, k, p, "not an element symbol (H ... Lr)");
            for (size_t i = 0; i < c->n_urms_el; ++i)
                if (c->urms_z[i] == z) return bad(L, k, p, "given twice");
            if (c->n_urms_el == DS_MAX_UEL)
                return bad(L, k, p, "at most %d elements", (int)DS_MAX_UEL);
            size_t i = c->n_urms_el;
            c->urms_z[i] = z;
            if (get_num(L, node(L, pr->value), p, urms, &c->urms_el[i]) != 0) return -1;
            c->n_urms_el++;
        }
    }
    if ((v = map_get(L, m, "vacuum_margin")) &&
        get_num(L, v, "simulation.vacuum_margin", margin, &c->exit_margin) != 0)
        return -1;
    if ((v = map_get(L, m, "phonons")) &&
        get_count(L, v, "simulation.phonons", 1, 1024, &c->phonons) != 0)
        return -1;
    static const char *const pots[] = {"kirkland", "lobato", NULL};
    if ((v = map_get(L, m, "potential")) &&
        get_name(L, v, "simulation.potential", pots, &c->potential) != 0)
        return -1;
    static const char *const planners[] = {"estimate", "measure", NULL};
    if ((v = map_get(L, m, "fftw")) &&
        get_name(L, v, "simulation.fftw", planners, &c->fftw_measure) != 0)
        return -1;
    return 0;
}

static int load_defocus(loader *L, const yaml_node_t *n) {
    ds_config *c = L->cfg;
    const char *path = "imaging.defocus_nm";
    for (size_t i = 0; i < c->ndefocus; ++i) num_free(&c->defocus_nm[i]);
    free(c->defocus_nm);
    c->defocus_nm = NULL;
    c->ndefocus = 0;
    yaml_node_t *range = map_get(L, n, "range");
    if (n->type == YAML_MAPPING_NODE && range) {
        static const char *const keys[] = {"range", NULL};
        if (check_keys(L, n, path, keys) != 0) return -1;
        double v[3];
        if (number_list(L, range, "imaging.defocus_nm.range", 3, v, "[start, stop, step]") != 0)
            return -1;
        if (v[2] == 0 || (v[1] - v[0]) / v[2] < 0)
            return bad(L, range, "imaging.defocus_nm.range", "step %g does not lead from %g to %g",
                       v[2], v[0], v[1]);
        double count = floor((v[1] - v[0]) / v[2] + 1e-9) + 1;
        if (count > 1000) return bad(L, range, "imaging.defocus_nm.range", "more than 1000 values");
        c->ndefocus = (size_t)count;
        c->defocus_nm = calloc(c->ndefocus, sizeof *c->defocus_nm);
        if (!c->defocus_nm) return L->code = CLI_FAIL, cli_error(CLI_FAIL, CMD, "out of memory"), -1;
        for (size_t k = 0; k < c->ndefocus; ++k) {
            char p[96];
            snprintf(p, sizeof p, "%s[%zu]", path, k);
            num_fixed(&c->defocus_nm[k], p, v[0] + (double)k * v[2]);
            c->defocus_nm[k].line = range->start_mark.line + 1;
        }
        return 0;
    }
    if (n->type != YAML_SEQUENCE_NODE) {
        /* One value or one distribution: a single image per sample. */
        c->defocus_nm = calloc(1, sizeof *c->defocus_nm);
        if (!c->defocus_nm) return L->code = CLI_FAIL, cli_error(CLI_FAIL, CMD, "out of memory"), -1;
        c->ndefocus = 1;
        char p[96];
        snprintf(p, sizeof p, "%s[0]", path);
        return get_num(L, n, p, ANY, &c->defocus_nm[0]);
    }
    size_t k = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (k == 0 || k > 1000) return bad(L, n, path, "must list 1 to 1000 values");
    c->defocus_nm = calloc(k, sizeof *c->defocus_nm);
    if (!c->defocus_nm) return L->code = CLI_FAIL, cli_error(CLI_FAIL, CMD, "out of memory"), -1;
    c->ndefocus = k;
    for (size_t i = 0; i < k; ++i) {
        char p[96];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        if (get_num(L, node(L, n->data.sequence.items.start[i]), p, ANY,
                    &c->defocus_nm[i]) != 0)
            return -1;
    }
    return 0;
}

static int load_aberrations(loader *L, const yaml_node_t *m) {
    ds_config *c = L->cfg;
    static const char *const keys[] = {"C12", "C21", "C23", "C30", "C32", "C34", "C41",
                                       "C43", "C45", "C50", "C52", "C54", "C56", NULL};
    if (check_keys(L, m, "imaging.aberrations", keys) != 0) return -1;
    for (int a = 0; a < DS_NABER; ++a) {
        yaml_node_t *v = map_get(L, m, keys[a]);
        c->have_aber[a] = 0;
        char p[96], q[96];
        snprintf(p, sizeof p, "imaging.aberrations.%s", keys[a]);
        num_fixed(&c->aber[a][0], p, 0);
        snprintf(q, sizeof q, "imaging.aberrations.%s.phi_deg", keys[a]);
        num_fixed(&c->aber[a][1], q, 0);
        if (!v) continue;
        c->have_aber[a] = 1;
        const limits amp = ANY;
        if (v->type == YAML_SEQUENCE_NODE) {
            size_t k = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
            if (k != 2) return bad(L, v, p, "must be VALUE or [VALUE_A, PHI_DEG]");
            if (get_num(L, node(L, v->data.sequence.items.start[0]), p, amp, &c->aber[a][0]) != 0 ||
                get_num(L, node(L, v->data.sequence.items.start[1]), q, ANY, &c->aber[a][1]) != 0)
                return -1;
        } else if (get_num(L, v, p, amp, &c->aber[a][0]) != 0) {
            return -1;
        }
    }
    return 0;
}

/* A sequence node of exactly k items, or an error naming `what`. */
static int seq_items(loader *L, const yaml_node_t *n, const char *path, size_t k, const char *what,
                     yaml_node_t **items) {
    if (n->type != YAML_SEQUENCE_NODE ||
        (size_t)(n->data.sequence.items.top - n->data.sequence.items.start) != k)
        return bad(L, n, path, "must be %s", what);
    for (size_t i = 0; i < k; ++i) items[i] = node(L, n->data.sequence.items.start[i]);
    return 0;
}

/* imaging.distortion: {affine: [[a11, a12], [a21, a22]], shift_a: [tx, ty], radial_k1: k1}; every
 * entry may be a distribution. The camera applies it to images and labels alike. */
static int load_distortion(loader *L, const yaml_node_t *m) {
    static const char *const keys[] = {"affine", "shift_a", "radial_k1", NULL};
    ds_config *c = L->cfg;
    if (m->type != YAML_MAPPING_NODE)
        return bad(L, m, "imaging.distortion", "must be a mapping {affine, shift_a, radial_k1}");
    if (check_keys(L, m, "imaging.distortion", keys) != 0) return -1;
    yaml_node_t *v, *row[2], *el[2];
    char p[96];
    if ((v = map_get(L, m, "affine"))) {
        if (seq_items(L, v, "imaging.distortion.affine", 2, "[[a11, a12], [a21, a22]]", row))
            return -1;
        for (int i = 0; i < 2; ++i) {
            snprintf(p, sizeof p, "imaging.distortion.affine[%d]", i);
            if (seq_items(L, row[i], p, 2, "a row [a_i1, a_i2]", el)) return -1;
            for (int j = 0; j < 2; ++j) {
                snprintf(p, sizeof p, "imaging.distortion.affine[%d][%d]", i, j);
                if (get_num(L, el[j], p, (limits){-10, 10, 0, 0}, &c->distortion_affine[i][j]))
                    return -1;
            }
        }
    }
    if ((v = map_get(L, m, "shift_a"))) {
        if (seq_items(L, v, "imaging.distortion.shift_a", 2, "[tx, ty] in A", el)) return -1;
        for (int j = 0; j < 2; ++j) {
            snprintf(p, sizeof p, "imaging.distortion.shift_a[%d]", j);
            if (get_num(L, el[j], p, (limits){-1e4, 1e4, 0, 0}, &c->distortion_shift_a[j]))
                return -1;
        }
    }
    if ((v = map_get(L, m, "radial_k1")) &&
        get_num(L, v, "imaging.distortion.radial_k1", (limits){-1, 1, 0, 0},
                &c->distortion_radial_k1))
        return -1;
    return 0;
}

static int load_imaging(loader *L, const yaml_node_t *m) {
    static const char *const keys[] = {
        "defocus_nm",       "defocus_jitter_nm", "aberrations",   "aperture_mrad",
        "aperture_taper_mrad", "focal_spread",   "focal_points",  "convergence_mrad",
        "dose_e_per_a2",    "noise",             "read_noise",    "mtf",
        "mtf_q0",           "mtf_floor",         "camera_pixel",  "crop",
        "crop_position",    "tilt_spread_mrad",  "tilt_distribution", "tilt_points",
        "distortion",       NULL};
    ds_config *c = L->cfg;
    if (check_keys(L, m, "imaging", keys) != 0) return -1;
    yaml_node_t *v;
    if ((v = map_get(L, m, "defocus_nm")) && load_defocus(L, v)) return -1;
    if ((v = map_get(L, m, "defocus_jitter_nm")) &&
        get_num(L, v, "imaging.defocus_jitter_nm", ANY, &c->defocus_jitter_nm))
        return -1;
    if ((v = map_get(L, m, "aberrations")) && load_aberrations(L, v)) return -1;
    limits mrad = {0, 500, 0, 0};
    if ((v = map_get(L, m, "aperture_mrad")) && get_num(L, v, "imaging.aperture_mrad", mrad, &c->aperture_mrad)) return -1;
    if ((v = map_get(L, m, "aperture_taper_mrad")) &&
        get_num(L, v, "imaging.aperture_taper_mrad", mrad, &c->aperture_taper_mrad))
        return -1;
    if ((v = map_get(L, m, "focal_spread")) && get_num(L, v, "imaging.focal_spread", (limits){0, 1e4, 0, 0}, &c->focal_spread)) return -1;
    if ((v = map_get(L, m, "focal_points")) && get_count(L, v, "imaging.focal_points", 1, 64, &c->focal_points)) return -1;
    if ((v = map_get(L, m, "convergence_mrad")) &&
        get_num(L, v, "imaging.convergence_mrad", (limits){0, 100, 0, 0}, &c->convergence_mrad))
        return -1;
    if ((v = map_get(L, m, "dose_e_per_a2")) &&
        get_num(L, v, "imaging.dose_e_per_a2", (limits){0, 1e9, 0, 0}, &c->dose_e_per_a2))
        return -1;
    static const char *const noises[] = {"none", "poisson", NULL};
    if ((v = map_get(L, m, "noise")) && get_name(L, v, "imaging.noise", noises, &c->noise)) return -1;
    if ((v = map_get(L, m, "read_noise")) && get_num(L, v, "imaging.read_noise", (limits){0, 1e6, 0, 0}, &c->read_noise)) return -1;
    static const char *const mtfs[] = {"none", "lorentzian", "gaussian", NULL};
    if ((v = map_get(L, m, "mtf")) && get_name(L, v, "imaging.mtf", mtfs, &c->mtf)) return -1;
    if ((v = map_get(L, m, "mtf_q0")) && get_num(L, v, "imaging.mtf_q0", (limits){0, 100, 1, 0}, &c->mtf_q0)) return -1;
    if ((v = map_get(L, m, "mtf_floor")) && get_num(L, v, "imaging.mtf_floor", (limits){0, 0.999, 0, 0}, &c->mtf_floor)) return -1;
    if ((v = map_get(L, m, "camera_pixel")) && get_num(L, v, "imaging.camera_pixel", (limits){0.005, 100, 0, 0}, &c->camera_pixel)) return -1;
    if ((v = map_get(L, m, "crop"))) {
        double w[2];
        if (v->type == YAML_SCALAR_NODE) {
            if (scalar_number(L, v, "imaging.crop", &w[0]) != 0) return -1;
            w[1] = w[0];
        } else if (number_list(L, v, "imaging.crop", 2, w, "[nx, ny] camera pixels") != 0) {
            return -1;
        }
        for (int k = 0; k < 2; ++k)
            if (w[k] != floor(w[k]) || w[k] < 2 || w[k] > 16384)
                return bad(L, v, "imaging.crop", "must be integers in [2, 16384] (got %g)", w[k]);
        c->crop[0] = (size_t)w[0];
        c->crop[1] = (size_t)w[1];
        c->crop_line = v->start_mark.line + 1;
    }
    static const char *const positions[] = {"center", "random", NULL};
    if ((v = map_get(L, m, "crop_position")) && get_name(L, v, "imaging.crop_position", positions, &c->crop_position)) return -1;
    if ((v = map_get(L, m, "tilt_spread_mrad")) &&
        get_num(L, v, "imaging.tilt_spread_mrad", (limits){0, 100, 0, 0}, &c->tilt_spread_mrad))
        return -1;
    static const char *const tilts[] = {"gaussian", "disc", NULL};
    if ((v = map_get(L, m, "tilt_distribution")) && get_name(L, v, "imaging.tilt_distribution", tilts, &c->tilt_dist)) return -1;
    if ((v = map_get(L, m, "tilt_points")) && get_count(L, v, "imaging.tilt_points", 1, 64, &c->tilt_points)) return -1;
    if ((v = map_get(L, m, "distortion")) && load_distortion(L, v)) return -1;
    return 0;
}

static int load_labels(loader *L, const yaml_node_t *m) {
    static const char *const keys[] = {"phase_threshold_rad", "mask_radius", "columns",
                                       "column_tol", NULL};
    ds_config *c = L->cfg;
    if (check_keys(L, m, "labels", keys) != 0) return -1;
    yaml_node_t *v;
    if ((v = map_get(L, m, "phase_threshold_rad")) &&
        get_num(L, v, "labels.phase_threshold_rad", (limits){0, 3.141592653589793, 1, 0}, &c->phase_threshold_rad))
        return -1;
    if ((v = map_get(L, m, "mask_radius")) && get_num(L, v, "labels.mask_radius", (limits){0, 20, 1, 0}, &c->mask_radius)) return -1;
    if ((v = map_get(L, m, "column_tol")) && get_num(L, v, "labels.column_tol", (limits){0, 5, 1, 0}, &c->column_tol)) return -1;
    if ((v = map_get(L, m, "columns")) && get_bool(L, v, "labels.columns", &c->columns)) return -1;
    return 0;
}

static int load_relax(loader *L, const yaml_node_t *m) {
    static const char *const keys[] = {"enabled",        "pair",           "min",
                                       "ftol_ev_per_a",  "etol",           "max_iterations",
                                       "anneal_steps",   "anneal_temperature_k", "freeze",
                                       "ranks",          "timeout_s",      NULL};
    ds_config *c = L->cfg;
    if (check_keys(L, m, "relax", keys) != 0) return -1;
    c->relax = 1;
    yaml_node_t *v;
    if ((v = map_get(L, m, "enabled")) && get_bool(L, v, "relax.enabled", &c->relax)) return -1;
    if ((v = map_get(L, m, "pair"))) {
        if (v->type != YAML_SCALAR_NODE) return bad(L, v, "relax.pair", "must be a string");
        free(c->relax_pair);
        c->relax_pair = strdup(text(v));
        if (!c->relax_pair) return L->code = CLI_FAIL, cli_error(CLI_FAIL, CMD, "out of memory"), -1;
    }
    static const char *const mins[] = {"cg", "fire", "none", NULL};
    if ((v = map_get(L, m, "min")) && get_name(L, v, "relax.min", mins, &c->relax_min)) return -1;
    double x;
    size_t k;
    if ((v = map_get(L, m, "ftol_ev_per_a"))) {
        if (scalar_number(L, v, "relax.ftol_ev_per_a", &x) != 0) return -1;
        if (!(x >= 0)) return bad(L, v, "relax.ftol_ev_per_a", "must be >= 0 (got %g)", x);
        c->relax_ftol = x;
    }
    if ((v = map_get(L, m, "etol"))) {
        if (scalar_number(L, v, "relax.etol", &x) != 0) return -1;
        if (!(x >= 0)) return bad(L, v, "relax.etol", "must be >= 0 (got %g)", x);
        c->relax_etol = x;
    }
    if ((v = map_get(L, m, "max_iterations"))) {
        if (get_count(L, v, "relax.max_iterations", 0, 1e9, &k) != 0) return -1;
        c->relax_max_iterations = (long)k;
    }
    if ((v = map_get(L, m, "anneal_steps"))) {
        if (get_count(L, v, "relax.anneal_steps", 0, 1e9, &k) != 0) return -1;
        c->relax_anneal_steps = (long)k;
    }
    if ((v = map_get(L, m, "anneal_temperature_k"))) {
        if (scalar_number(L, v, "relax.anneal_temperature_k", &x) != 0) return -1;
        if (!(x > 0)) return bad(L, v, "relax.anneal_temperature_k", "must be > 0 (got %g)", x);
        c->relax_anneal_temperature_k = x;
    }
    if ((v = map_get(L, m, "timeout_s"))) {
        if (scalar_number(L, v, "relax.timeout_s", &x) != 0) return -1;
        if (!(x >= 0)) return bad(L, v, "relax.timeout_s", "must be >= 0 (got %g)", x);
        c->relax_timeout_s = x;
    }
    if ((v = map_get(L, m, "ranks"))) {
        if (get_count(L, v, "relax.ranks", 1, 4096, &k) != 0) return -1;
        c->relax_ranks = (int)k;
    }
    if ((v = map_get(L, m, "freeze"))) {
        static const char *const classes[] = {"none", "particle", "substrate", "ligand", NULL};
        c->relax_freeze_classes = 0;
        if (v->type != YAML_SEQUENCE_NODE) return bad(L, v, "relax.freeze", "must be a list of classes");
        for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; ++it) {
            int cls;
            if (get_name(L, node(L, *it), "relax.freeze", classes, &cls) != 0) return -1;
            c->relax_freeze_classes |= 1u << cls;
        }
    }
    return 0;
}

static int load_output(loader *L, const yaml_node_t *m) {
    static const char *const keys[] = {"dtype", "shard_size", "previews", "structures", "splits",
                                       NULL};
    ds_config *c = L->cfg;
    if (check_keys(L, m, "output", keys) != 0) return -1;
    yaml_node_t *v;
    static const char *const dtypes[] = {"float32", "uint16", NULL};
    if ((v = map_get(L, m, "dtype")) && get_name(L, v, "output.dtype", dtypes, &c->dtype_uint16)) return -1;
    if ((v = map_get(L, m, "shard_size")) && get_count(L, v, "output.shard_size", 1, 1e6, &c->shard_size)) return -1;
    if ((v = map_get(L, m, "previews")) && get_count(L, v, "output.previews", 0, 1000, &c->previews)) return -1;
    if ((v = map_get(L, m, "structures")) && get_bool(L, v, "output.structures", &c->structures)) return -1;
    if ((v = map_get(L, m, "splits"))) {
        double s[3];
        if (number_list(L, v, "output.splits", 3, s, "[train, val, test] fractions") != 0) return -1;
        double sum = s[0] + s[1] + s[2];
        if (!(s[0] >= 0 && s[1] >= 0 && s[2] >= 0) || fabs(sum - 1) > 1e-9)
            return bad(L, v, "output.splits", "fractions must be >= 0 and add up to 1 (got %g)", sum);
        memcpy(c->split, s, sizeof s);
    }
    return 0;
}

/* ---- the scene sub-document ------------------------------------------------------------------ */

/* A JSON rendering of a YAML node (plain scalars that read as numbers or booleans stay
 * unquoted), for the manifest. */
static void node_json(loader *L, ds_buf *b, const yaml_node_t *n) {
    if (!n) {
        ds_buf_printf(b, "null");
        return;
    }
    if (n->type == YAML_SCALAR_NODE) {
        const char *s = text(n);
        if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            char *end;
            double v = strtod(s, &end);
            if (end != s && *end == '\0' && isfinite(v)) {
                ds_buf_json_double(b, v);
                return;
            }
            if (!strcmp(s, "true") || !strcmp(s, "false") || !strcmp(s, "null")) {
                ds_buf_printf(b, "%s", s);
                return;
            }
        }
        ds_buf_json_string(b, s);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        ds_buf_printf(b, "[");
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             ++it) {
            if (it > n->data.sequence.items.start) ds_buf_printf(b, ", ");
            node_json(L, b, node(L, *it));
        }
        ds_buf_printf(b, "]");
    } else {
        ds_buf_printf(b, "{");
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             ++p) {
            if (p > n->data.mapping.pairs.start) ds_buf_printf(b, ", ");
            yaml_node_t *k = node(L, p->key);
            ds_buf_json_string(b, k && k->type == YAML_SCALAR_NODE ? text(k) : "?");
            ds_buf_printf(b, ": ");
            node_json(L, b, node(L, p->value));
        }
        ds_buf_printf(b, "}");
    }
}

/* Cut the scene's text out of the document, keeping its line and column: the spec parser then
 * reports the config's own line numbers. */
static int extract_scene(loader *L, const char *src_text, size_t src_len, const yaml_node_t *n) {
    ds_config *c = L->cfg;
    if (n->type != YAML_MAPPING_NODE) return bad(L, n, "scene", "must be a mapping (a scene spec)");
    size_t a = n->start_mark.index, e = n->end_mark.index;
    if (a > src_len || e > src_len || e < a) return bad(L, n, "scene", "cannot locate the text");
    size_t lines = n->start_mark.line, col = n->start_mark.column;
    char *s = malloc(lines + col + (e - a) + 2);
    if (!s) return L->code = CLI_FAIL, cli_error(CLI_FAIL, CMD, "out of memory"), -1;
    memset(s, '\n', lines);
    memset(s + lines, ' ', col);
    memcpy(s + lines + col, src_text + a, e - a);
    s[lines + col + (e - a)] = '\n';
    s[lines + col + (e - a) + 1] = '\0';
    free(c->scene_yaml);
    c->scene_yaml = s;
    ds_buf b = {0};
    node_json(L, &b, n);
    if (b.failed) return L->code = CLI_FAIL, cli_error(CLI_FAIL, CMD, "out of memory"), -1;
    free(c->scene_json);
    c->scene_json = b.s;
    return 0;
}

/* The spec parser's message "cz_spec_build: FILE:LINE: path: reason" becomes
 * "FILE:LINE: scene.path: reason". */
static void report_spec_error(loader *L, const char *why) {
    const char *p = strstr(why, L->src);
    if (!p) {
        cli_error(CLI_USAGE, CMD, "%s: scene: %s", L->src, why);
        return;
    }
    p += strlen(L->src);
    const char *colon = *p == ':' ? strchr(p + 1, ':') : NULL;
    if (colon && colon[1] == ' ')
        cli_error(CLI_USAGE, CMD, "%s%.*s: scene.%s", L->src, (int)(colon - p), p, colon + 2);
    else
        cli_error(CLI_USAGE, CMD, "%s%s", L->src, p);
}

/* ---- whole document --------------------------------------------------------------------------- */

static void set_defaults(ds_config *c) {
    num_fixed(&c->energy_kv, "simulation.energy_kv", 300);
    num_fixed(&c->sampling, "simulation.sampling", 0.1);
    num_fixed(&c->slice_thickness, "simulation.slice_thickness", 2);
    num_fixed(&c->u_rms, "simulation.u_rms", 0.1);
    num_fixed(&c->exit_margin, "simulation.vacuum_margin", 2);
    c->phonons = 8;
    c->potential = 0;
    c->fftw_measure = 1;
    c->defocus_nm = calloc(1, sizeof *c->defocus_nm);
    if (c->defocus_nm) {
        c->ndefocus = 1;
        num_fixed(&c->defocus_nm[0], "imaging.defocus_nm[0]", 0);
    }
    num_fixed(&c->defocus_jitter_nm, "imaging.defocus_jitter_nm", 0);
    for (int a = 0; a < DS_NABER; ++a) {
        num_fixed(&c->aber[a][0], "imaging.aberrations", 0);
        num_fixed(&c->aber[a][1], "imaging.aberrations", 0);
    }
    num_fixed(&c->aperture_mrad, "imaging.aperture_mrad", 0);
    num_fixed(&c->aperture_taper_mrad, "imaging.aperture_taper_mrad", 0);
    num_fixed(&c->focal_spread, "imaging.focal_spread", 0);
    c->focal_points = 7;
    num_fixed(&c->convergence_mrad, "imaging.convergence_mrad", 0);
    num_fixed(&c->dose_e_per_a2, "imaging.dose_e_per_a2", 0);
    num_fixed(&c->read_noise, "imaging.read_noise", 0);
    c->noise = DS_NOISE_POISSON;
    c->mtf = 0;
    num_fixed(&c->mtf_q0, "imaging.mtf_q0", 0.5);
    num_fixed(&c->mtf_floor, "imaging.mtf_floor", 0);
    num_fixed(&c->camera_pixel, "imaging.camera_pixel", 0.2);
    num_fixed(&c->tilt_spread_mrad, "imaging.tilt_spread_mrad", 0);
    c->tilt_dist = 0;
    c->tilt_points = 5;
    for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 2; ++j)
            num_fixed(&c->distortion_affine[i][j], "imaging.distortion.affine", i == j ? 1 : 0);
        num_fixed(&c->distortion_shift_a[i], "imaging.distortion.shift_a", 0);
    }
    num_fixed(&c->distortion_radial_k1, "imaging.distortion.radial_k1", 0);
    c->crop[0] = c->crop[1] = 0; /* 0 = the whole field */
    c->crop_position = DS_CROP_CENTER;
    num_fixed(&c->phase_threshold_rad, "labels.phase_threshold_rad", 0.1);
    num_fixed(&c->mask_radius, "labels.mask_radius", 1.0);
    num_fixed(&c->column_tol, "labels.column_tol", 0.3);
    c->columns = 1;
    c->relax = 0;
    c->relax_min = 0;
    c->relax_ftol = 1e-3;
    c->relax_etol = 0;
    c->relax_max_iterations = 500;
    c->relax_anneal_steps = 0;
    c->relax_anneal_temperature_k = 300;
    c->relax_timeout_s = 0;
    c->relax_freeze_classes = 1u << 2; /* substrate */
    c->relax_ranks = 1;
    c->dtype_uint16 = 0;
    c->shard_size = 4;
    c->previews = 4;
    c->structures = 0;
    c->split[0] = 0.8;
    c->split[1] = 0.1;
    c->split[2] = 0.1;
    c->n = 16;
    c->seed = 0;
}

void ds_config_free(ds_config *c) {
    free(c->source);
    free(c->scene_yaml);
    free(c->scene_json);
    free(c->relax_pair);
    ds_num *all[] = {&c->energy_kv,       &c->sampling,         &c->slice_thickness,
                     &c->u_rms,           &c->exit_margin,      &c->defocus_jitter_nm,
                     &c->aperture_mrad,   &c->aperture_taper_mrad, &c->focal_spread,
                     &c->convergence_mrad, &c->dose_e_per_a2,   &c->read_noise,
                     &c->mtf_q0,          &c->mtf_floor,        &c->camera_pixel,
                     &c->phase_threshold_rad, &c->mask_radius,  &c->column_tol,
                     &c->tilt_spread_mrad, &c->distortion_affine[0][0],
                     &c->distortion_affine[0][1], &c->distortion_affine[1][0],
                     &c->distortion_affine[1][1], &c->distortion_shift_a[0],
                     &c->distortion_shift_a[1], &c->distortion_radial_k1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; ++i) num_free(all[i]);
    for (int a = 0; a < DS_NABER; ++a) num_free(&c->aber[a][0]), num_free(&c->aber[a][1]);
    for (size_t i = 0; i < c->n_urms_el; ++i) num_free(&c->urms_el[i]);
    for (size_t i = 0; i < c->ndefocus; ++i) num_free(&c->defocus_nm[i]);
    free(c->defocus_nm);
    memset(c, 0, sizeof *c);
}

static char *read_file(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 65536;
            char *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(fp);
                errno = ENOMEM;
                return NULL;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, 4096, fp);
        n += got;
        if (got < 4096) break;
    }
    int err = ferror(fp);
    fclose(fp);
    if (err) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int ds_config_load(const char *path, ds_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    set_defaults(cfg);
    const char *src = path ? path : "<default>";
    cfg->source = strdup(src);
    size_t len = 0;
    char *buf = path ? read_file(path, &len) : strdup(ds_default_yaml);
    if (!buf || !cfg->source || !cfg->defocus_nm) {
        int e = errno;
        free(buf);
        if (path) return cli_error(CLI_FAIL, CMD, "%s: %s", path, strerror(e));
        return cli_error(CLI_FAIL, CMD, "out of memory");
    }
    if (!path) len = strlen(buf);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        free(buf);
        return cli_error(CLI_FAIL, CMD, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        cli_error(CLI_USAGE, CMD, "%s:%zu: %s", src, parser.problem_mark.line + 1,
                  parser.problem ? parser.problem : "not valid YAML");
        yaml_parser_delete(&parser);
        free(buf);
        return CLI_USAGE;
    }
    loader L = {src, &doc, cfg, CLI_USAGE};
    int rc = 0;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    static const char *const keys[] = {"seed",   "n",     "scene",  "simulation",
                                       "imaging", "labels", "relax", "output", NULL};
    yaml_node_t *v;
    if (!root) {
        rc = bad(&L, NULL, "(document)", "the file is empty");
    } else if (root->type != YAML_MAPPING_NODE) {
        rc = bad(&L, root, "(document)", "must be a mapping with sections scene, simulation, "
                                         "imaging, labels, relax, output");
    } else if (check_keys(&L, root, "", keys) != 0) {
        rc = -1;
    }
    if (rc == 0 && (v = map_get(&L, root, "seed"))) {
        double s;
        rc = scalar_number(&L, v, "seed", &s);
        if (rc == 0 && (s < 0 || s != floor(s) || s > 9007199254740992.0))
            rc = bad(&L, v, "seed", "must be an integer >= 0 (got %g)", s);
        if (rc == 0) cfg->seed = (uint64_t)s;
    }
    if (rc == 0 && (v = map_get(&L, root, "n"))) rc = get_count(&L, v, "n", 1, 1e9, &cfg->n);
    if (rc == 0) {
        v = map_get(&L, root, "scene");
        if (!v)
            rc = bad(&L, root, "scene", "missing: the config needs a scene spec (docs/spec.md)");
        else
            rc = extract_scene(&L, buf, len, v);
    }
    if (rc == 0 && (v = map_get(&L, root, "simulation"))) rc = load_simulation(&L, v);
    if (rc == 0 && (v = map_get(&L, root, "imaging"))) rc = load_imaging(&L, v);
    if (rc == 0 && (v = map_get(&L, root, "labels"))) rc = load_labels(&L, v);
    if (rc == 0 && (v = map_get(&L, root, "relax"))) rc = load_relax(&L, v);
    if (rc == 0 && (v = map_get(&L, root, "output"))) rc = load_output(&L, v);
    /* Cross-field checks. */
    if (rc == 0 && cfg->dtype_uint16) {
        double lo, hi;
        ds_support(&cfg->dose_e_per_a2, &lo, &hi);
        if (!(lo > 0))
            rc = bad(&L, map_get(&L, root, "output"), "output.dtype",
                     "uint16 stores electron counts: imaging.dose_e_per_a2 must be > 0");
    }
    if (rc == 0) {
        /* The scene must parse; it is built (and fully validated) by the caller. */
        cz_spec *spec = NULL;
        cz_status st = cz_spec_parse_string(cfg->scene_yaml, src, &spec);
        if (st != CZ_OK) {
            report_spec_error(&L, cz_last_error());
            rc = -1;
        }
        cz_spec_destroy(spec);
    }
    int code = L.code;
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(buf);
    return rc == 0 ? CLI_OK : code;
}

int ds_report_spec_error(const ds_config *cfg, const char *why) {
    loader L = {cfg->source, NULL, NULL, CLI_USAGE};
    report_spec_error(&L, why);
    return CLI_USAGE;
}

/* ---- resolved config as JSON ------------------------------------------------------------------ */

static void num_json(ds_buf *b, const ds_num *d) {
    switch (d->kind) {
        case DS_FIXED:
            ds_buf_json_double(b, d->p[0]);
            return;
        case DS_UNIFORM:
            ds_buf_printf(b, "{\"uniform\": [%.17g, %.17g]}", d->p[0], d->p[1]);
            return;
        case DS_NORMAL:
            ds_buf_printf(b, "{\"normal\": [%.17g, %.17g]}", d->p[0], d->p[1]);
            return;
        case DS_LOGNORMAL:
            ds_buf_printf(b, "{\"lognormal\": [%.17g, %.17g]}", d->p[0], d->p[1]);
            return;
        case DS_TRUNCNORMAL:
            ds_buf_printf(b, "{\"truncnormal\": [%.17g, %.17g, %.17g, %.17g]}", d->p[0], d->p[1],
                          d->p[2], d->p[3]);
            return;
        case DS_CHOICE:
            ds_buf_printf(b, "{\"choice\": [");
            for (size_t i = 0; i < d->nchoice; ++i)
                ds_buf_printf(b, "%s%.17g", i ? ", " : "", d->choice[i]);
            ds_buf_printf(b, "], \"weights\": [");
            for (size_t i = 0; i < d->nchoice; ++i)
                ds_buf_printf(b, "%s%.17g", i ? ", " : "", d->cum[i] - (i ? d->cum[i - 1] : 0));
            ds_buf_printf(b, "]}");
            return;
    }
}

#define JNUM(b, key, d)                        \
    do {                                       \
        ds_buf_printf(b, ", \"%s\": ", key);   \
        num_json(b, d);                        \
    } while (0)

char *ds_config_json(const ds_config *c) {
    static const char *const pots[] = {"kirkland", "lobato"};
    static const char *const mtfs[] = {"none", "lorentzian", "gaussian"};
    static const char *const mins[] = {"cg", "fire", "none"};
    ds_buf b = {0};
    ds_buf_printf(&b, "{\"seed\": %llu, \"n\": %zu, \"scene\": %s", (unsigned long long)c->seed,
                  c->n, c->scene_json ? c->scene_json : "null");
    ds_buf_printf(&b, ", \"simulation\": {\"phonons\": %zu, \"potential\": \"%s\", \"fftw\": \"%s\"",
                  c->phonons, pots[c->potential], c->fftw_measure ? "measure" : "estimate");
    JNUM(&b, "energy_kv", &c->energy_kv);
    JNUM(&b, "sampling", &c->sampling);
    JNUM(&b, "slice_thickness", &c->slice_thickness);
    JNUM(&b, "u_rms", &c->u_rms);
    ds_buf_printf(&b, ", \"u_rms_by_element\": {");
    for (size_t i = 0; i < c->n_urms_el; ++i) {
        ds_buf_printf(&b, "%s\"%s\": ", i ? ", " : "", cz_element_symbol(c->urms_z[i]));
        num_json(&b, &c->urms_el[i]);
    }
    ds_buf_printf(&b, "}");
    JNUM(&b, "vacuum_margin", &c->exit_margin);
    ds_buf_printf(&b, "}, \"imaging\": {\"defocus_nm\": [");
    for (size_t i = 0; i < c->ndefocus; ++i) {
        if (i) ds_buf_printf(&b, ", ");
        num_json(&b, &c->defocus_nm[i]);
    }
    ds_buf_printf(&b, "]");
    JNUM(&b, "defocus_jitter_nm", &c->defocus_jitter_nm);
    ds_buf_printf(&b, ", \"aberrations\": {");
    int first = 1;
    for (int a = 0; a < DS_NABER; ++a) {
        if (!c->have_aber[a]) continue;
        ds_buf_printf(&b, "%s\"C%d%d\": [", first ? "" : ", ", ds_aber_nm[a][0], ds_aber_nm[a][1]);
        num_json(&b, &c->aber[a][0]);
        ds_buf_printf(&b, ", ");
        num_json(&b, &c->aber[a][1]);
        ds_buf_printf(&b, "]");
        first = 0;
    }
    ds_buf_printf(&b, "}");
    JNUM(&b, "aperture_mrad", &c->aperture_mrad);
    JNUM(&b, "aperture_taper_mrad", &c->aperture_taper_mrad);
    JNUM(&b, "focal_spread", &c->focal_spread);
    ds_buf_printf(&b, ", \"focal_points\": %zu", c->focal_points);
    JNUM(&b, "convergence_mrad", &c->convergence_mrad);
    JNUM(&b, "dose_e_per_a2", &c->dose_e_per_a2);
    ds_buf_printf(&b, ", \"noise\": \"%s\"", c->noise ? "poisson" : "none");
    JNUM(&b, "read_noise", &c->read_noise);
    ds_buf_printf(&b, ", \"mtf\": \"%s\"", mtfs[c->mtf]);
    JNUM(&b, "mtf_q0", &c->mtf_q0);
    JNUM(&b, "mtf_floor", &c->mtf_floor);
    JNUM(&b, "camera_pixel", &c->camera_pixel);
    JNUM(&b, "tilt_spread_mrad", &c->tilt_spread_mrad);
    ds_buf_printf(&b, ", \"tilt_distribution\": \"%s\", \"tilt_points\": %zu",
                  c->tilt_dist ? "disc" : "gaussian", c->tilt_points);
    ds_buf_printf(&b, ", \"distortion\": {\"affine\": [[");
    num_json(&b, &c->distortion_affine[0][0]);
    ds_buf_printf(&b, ", ");
    num_json(&b, &c->distortion_affine[0][1]);
    ds_buf_printf(&b, "], [");
    num_json(&b, &c->distortion_affine[1][0]);
    ds_buf_printf(&b, ", ");
    num_json(&b, &c->distortion_affine[1][1]);
    ds_buf_printf(&b, "]], \"shift_a\": [");
    num_json(&b, &c->distortion_shift_a[0]);
    ds_buf_printf(&b, ", ");
    num_json(&b, &c->distortion_shift_a[1]);
    ds_buf_printf(&b, "]");
    JNUM(&b, "radial_k1", &c->distortion_radial_k1);
    ds_buf_printf(&b, "}");
    ds_buf_printf(&b, ", \"crop\": [%zu, %zu], \"crop_position\": \"%s\"}", c->crop[0], c->crop[1],
                  c->crop_position ? "random" : "center");
    ds_buf_printf(&b, ", \"labels\": {\"columns\": %s", c->columns ? "true" : "false");
    JNUM(&b, "phase_threshold_rad", &c->phase_threshold_rad);
    JNUM(&b, "mask_radius", &c->mask_radius);
    JNUM(&b, "column_tol", &c->column_tol);
    ds_buf_printf(&b, "}, \"relax\": {\"enabled\": %s, \"pair\": ", c->relax ? "true" : "false");
    ds_buf_json_string(&b, c->relax_pair ? c->relax_pair : "auto");
    ds_buf_printf(&b,
                  ", \"min\": \"%s\", \"ftol_ev_per_a\": %.17g, \"etol\": %.17g, "
                  "\"max_iterations\": %ld, \"anneal_steps\": %ld, \"anneal_temperature_k\": "
                  "%.17g, \"timeout_s\": %.17g, \"ranks\": %d, \"freeze\": [",
                  mins[c->relax_min], c->relax_ftol, c->relax_etol, c->relax_max_iterations,
                  c->relax_anneal_steps, c->relax_anneal_temperature_k, c->relax_timeout_s,
                  c->relax_ranks);
    static const char *const classes[] = {"none", "particle", "substrate", "ligand"};
    first = 1;
    for (int k = 0; k < 4; ++k) {
        if (!(c->relax_freeze_classes & (1u << k))) continue;
        ds_buf_printf(&b, "%s\"%s\"", first ? "" : ", ", classes[k]);
        first = 0;
    }
    ds_buf_printf(&b,
                  "]}, \"output\": {\"dtype\": \"%s\", \"shard_size\": %zu, \"previews\": %zu, "
                  "\"structures\": %s, \"splits\": [%.17g, %.17g, %.17g]}}",
                  c->dtype_uint16 ? "uint16" : "float32", c->shard_size, c->previews,
                  c->structures ? "true" : "false", c->split[0], c->split[1], c->split[2]);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
