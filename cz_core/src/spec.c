/* spec.c — YAML scene specs: a line-numbered tree, seeded distributions on any leaf, and a
 * builder that turns the tree into a scene. Parsing happens in two layers: libyaml gives a
 * document, which is copied into a small tree of our own, so nothing past this file sees
 * libyaml types; the builder reads the tree with typed getters that know each field's path and
 * line, which is what the error messages print. */
#include "cz/cz_spec.h"
#include "cz/cz_strain.h"

#include "cz/cz_substrate.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cz/cz_amorphous.h"
#include "cz/cz_composition.h"
#include "cz/cz_defects.h"
#include "cz/cz_elements.h"
#include "cz/cz_io.h"
#include "cz/cz_lattice.h"
#include "cz/cz_ligands.h"
#include "cz/cz_particles.h"
#include "cz/cz_placement.h"
#include "cz/cz_rng.h"
#include "cz/cz_scene.h"
#include "cz/cz_transform.h"
#include "cz/cz_volume.h"
#include "error.h"
#include "vec.h"

/* ------------------------------------------------------------------ the tree ---- */

typedef enum { N_SCALAR, N_SEQ, N_MAP } nkind;

typedef struct snode {
    nkind kind;
    int line;             /* 1-based */
    int quoted;           /* scalar was quoted: never a number or boolean */
    char *text;           /* scalar */
    size_t n;             /* sequence items or mapping pairs */
    char **keys;          /* mapping keys */
    struct snode **kids;  /* items / values */
} snode;

struct cz_spec {
    char *name;
    char *dir; /* directory of the spec file ("" for strings): relative paths start there */
    snode *root;
};

static void node_free(snode *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        node_free(s->kids[i]);
        if (s->keys) free(s->keys[i]);
    }
    free(s->kids);
    free(s->keys);
    free(s->text);
    free(s);
}

static char *dupstr(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Copy libyaml node `idx` into our tree. Aliases resolve to shared libyaml nodes, so a
 * self-referencing document could recurse forever: depth is capped. */
static snode *convert(yaml_document_t *doc, int idx, int depth, const char **why, int *line) {
    yaml_node_t *y = yaml_document_get_node(doc, idx);
    if (!y) {
        *why = "dangling node";
        return NULL;
    }
    if (depth > 64) {
        *why = "nesting deeper than 64 levels (recursive alias?)";
        return NULL;
    }
    snode *s = calloc(1, sizeof *s);
    if (!s) {
        *why = "out of memory";
        return NULL;
    }
    s->line = (int)y->start_mark.line + 1;
    if (y->type == YAML_SCALAR_NODE) {
        s->kind = N_SCALAR;
        s->text = dupstr((const char *)y->data.scalar.value);
        s->quoted = y->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                    y->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        if (!s->text) goto nomem;
        return s;
    }
    if (y->type == YAML_SEQUENCE_NODE) {
        s->kind = N_SEQ;
        size_t n = (size_t)(y->data.sequence.items.top - y->data.sequence.items.start);
        s->kids = calloc(n ? n : 1, sizeof *s->kids);
        if (!s->kids) goto nomem;
        for (size_t i = 0; i < n; i++) {
            s->kids[i] = convert(doc, y->data.sequence.items.start[i], depth + 1, why, line);
            if (!s->kids[i]) goto fail;
            s->n = i + 1;
        }
        return s;
    }
    s->kind = N_MAP;
    size_t n = (size_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
    s->kids = calloc(n ? n : 1, sizeof *s->kids);
    s->keys = calloc(n ? n : 1, sizeof *s->keys);
    if (!s->kids || !s->keys) goto nomem;
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &y->data.mapping.pairs.start[i];
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (!k || k->type != YAML_SCALAR_NODE) {
            *why = "mapping keys must be plain scalars";
            *line = s->line;
            goto fail;
        }
        s->keys[i] = dupstr((const char *)k->data.scalar.value);
        if (!s->keys[i]) goto nomem;
        s->kids[i] = convert(doc, p->value, depth + 1, why, line);
        s->n = i + 1;
        if (!s->kids[i]) goto fail;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->keys[j], s->keys[i]) == 0) {
                *why = "duplicate key";
                *line = (int)k->start_mark.line + 1;
                goto fail;
            }
    }
    return s;
nomem:
    *why = "out of memory";
fail:
    node_free(s);
    return NULL;
}

static cz_status parse(const char *text, size_t len, const char *name, cz_spec **out) {
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return CZ_FAIL_AS("cz_spec_parse", CZ_ENOMEM, "libyaml");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        cz_status s = CZ_FAIL_AS("cz_spec_parse", CZ_EIO, "%s:%d: YAML syntax error: %s%s%s", name,
                                 (int)parser.problem_mark.line + 1,
                                 parser.problem ? parser.problem : "unknown",
                                 parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        return s;
    }
    yaml_parser_delete(&parser);
    if (!yaml_document_get_root_node(&doc)) {
        yaml_document_delete(&doc);
        return CZ_FAIL_AS("cz_spec_parse", CZ_EIO, "%s:1: the document is empty", name);
    }
    const char *why = "";
    int line = 1;
    snode *root = convert(&doc, 1, 0, &why, &line);
    yaml_document_delete(&doc);
    if (!root) return CZ_FAIL_AS("cz_spec_parse", CZ_EIO, "%s:%d: %s", name, line, why);
    if (root->kind != N_MAP) {
        int l = root->line;
        node_free(root);
        return CZ_FAIL_AS("cz_spec_parse", CZ_EIO, "%s:%d: the document must be a mapping", name,
                          l);
    }
    cz_spec *sp = calloc(1, sizeof *sp);
    if (!sp || !(sp->name = dupstr(name))) {
        free(sp);
        node_free(root);
        return CZ_FAIL_AS("cz_spec_parse", CZ_ENOMEM, "cannot allocate the spec");
    }
    sp->root = root;
    /* Files named in a spec (molecules, structures) are relative to the spec's directory. */
    const char *slash = strrchr(name, '/');
    size_t dl = slash && name[0] != '<' ? (size_t)(slash - name) + 1 : 0;
    sp->dir = malloc(dl + 1);
    if (!sp->dir) {
        cz_spec_destroy(sp);
        return CZ_FAIL_AS("cz_spec_parse", CZ_ENOMEM, "cannot allocate the spec");
    }
    memcpy(sp->dir, name, dl);
    sp->dir[dl] = '\0';
    *out = sp;
    return CZ_OK;
}

cz_status cz_spec_parse_string(const char *text, const char *name, cz_spec **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!text) return CZ_FAIL(CZ_EINVAL, "text must not be NULL");
    return parse(text, strlen(text), name ? name : "<string>", out);
}

cz_status cz_spec_parse_file(const char *path, cz_spec **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!path) return CZ_FAIL(CZ_EINVAL, "path must not be NULL");
    FILE *f = fopen(path, "rb");
    if (!f) return CZ_FAIL(CZ_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (n < cap) break;
        if (cap > ((size_t)64 << 20)) {
            fclose(f);
            free(buf);
            return CZ_FAIL(CZ_EIO, "%s: larger than 64 MiB: not a scene spec", path);
        }
        char *t = realloc(buf, cap * 2);
        if (!t) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = t;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf) return CZ_FAIL(CZ_ENOMEM, "cannot read %s", path);
    if (err) {
        free(buf);
        return CZ_FAIL(CZ_EIO, "%s: read error", path);
    }
    cz_status s = parse(buf, n, path, out);
    free(buf);
    return s;
}

void cz_spec_destroy(cz_spec *sp) {
    if (!sp) return;
    node_free(sp->root);
    free(sp->name);
    free(sp->dir);
    free(sp);
}

/* ------------------------------------------------------------ build context ---- */

typedef struct {
    const cz_spec *spec;
    uint64_t seed;
    char path[512];
    size_t plen;
    /* Where drawn values are recorded (NULL: nowhere); mute > 0 inside a list choice, which
     * reports the list it resolves to rather than the draws it makes on the way. */
    cz_spec_draws *draws;
    int mute;
    double cell[3][3]; /* the scene cell (zero without one) */
    int pbc[3];
    int has_cell;
    /* Objects built so far: priority by object id (for clash removal) and, for substrates,
     * the height of their top surface by name (for rest_on). */
    int prio[4096];
    struct {
        const char *name;
        double top;
    } surf[64];
    size_t nsurf;
    /* Work on an object's atoms after the scene is built (strain, composition, ligands):
     * its object id, its mapping, its field path and its placement. */
    struct {
        int object_id;
        const snode *node;
        char path[512];
        cz_transform placement; /* particle frame → world */
        double center[3];       /* world position of the particle's centre */
    } post[64];
    size_t npost;
} ctx;

/* Path segments: ".key" or "[i]"; the leading dot is dropped for display. */
static size_t path_push(ctx *c, const char *fmt, ...) {
    size_t old = c->plen;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(c->path + c->plen, sizeof c->path - c->plen, fmt, ap);
    va_end(ap);
    if (k > 0) c->plen = fmin((double)(c->plen + (size_t)k), (double)(sizeof c->path - 1));
    return old;
}
static void path_pop(ctx *c, size_t old) {
    c->plen = old;
    c->path[old] = '\0';
}
static const char *path_str(const ctx *c) {
    return c->path[0] == '.' ? c->path + 1 : (c->path[0] ? c->path : "(top level)");
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static cz_status bad(const ctx *c, const snode *n, const char *fmt, ...) {
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return CZ_FAIL_AS("cz_spec_build", CZ_EINVAL, "%s:%d: %s: %s", c->spec->name, n ? n->line : 1,
                      path_str(c), msg);
}

/* Stream of a field: FNV-1a of its path, so each field draws its own numbers. */
static uint64_t field_stream(const ctx *c) {
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = c->path; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    return h;
}

/* ------------------------------------------------------------------ draws ---- */

/* Entries are appended while the build runs, their strings into one character buffer that
 * may move as it grows; so entries hold offsets until the build succeeds, and pointers after
 * (draws_finish). A list that serves many builds keeps its buffers and reallocates nothing
 * once they are large enough. */
struct cz_spec_draws {
    size_t n, cap;
    cz_spec_draw *items;
    size_t (*off)[2]; /* offsets of path and text in chars; text NO_TEXT when a number */
    char *chars;
    size_t nchars, capchars;
};

#define NO_TEXT ((size_t)-1)

cz_status cz_spec_draws_create(cz_spec_draws **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return CZ_FAIL(CZ_ENOMEM, "cannot allocate a list of draws");
    return CZ_OK;
}

void cz_spec_draws_destroy(cz_spec_draws *d) {
    if (!d) return;
    free(d->items);
    free(d->off);
    free(d->chars);
    free(d);
}

size_t cz_spec_draws_count(const cz_spec_draws *d) { return d ? d->n : 0; }

const cz_spec_draw *cz_spec_draws_get(const cz_spec_draws *d, size_t i) {
    return d && i < d->n ? &d->items[i] : NULL;
}

static void draws_finish(cz_spec_draws *d) {
    for (size_t i = 0; i < d->n; i++) {
        d->items[i].path = d->chars + d->off[i][0];
        d->items[i].text = d->off[i][1] == NO_TEXT ? NULL : d->chars + d->off[i][1];
    }
}

/* Record the value of the field at the current path: a number, or a name when text is set. */
static cz_status record(ctx *c, double value, const char *text) {
    cz_spec_draws *d = c->draws;
    if (!d || c->mute) return CZ_OK;
    const char *p = path_str(c);
    size_t lp = strlen(p) + 1, lt = text ? strlen(text) + 1 : 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 32;
        cz_spec_draw *it = realloc(d->items, cap * sizeof *it);
        if (it) d->items = it;
        size_t(*off)[2] = it ? realloc(d->off, cap * sizeof *off) : NULL;
        if (!off) return CZ_FAIL_AS("cz_spec_build", CZ_ENOMEM, "cannot record %zu draws", cap);
        d->off = off;
        d->cap = cap;
    }
    if (d->capchars - d->nchars < lp + lt) {
        size_t cap = d->capchars ? 2 * d->capchars : 1024;
        while (cap - d->nchars < lp + lt) cap *= 2;
        char *ch = realloc(d->chars, cap);
        if (!ch) return CZ_FAIL_AS("cz_spec_build", CZ_ENOMEM, "cannot record draws (%zu B)", cap);
        d->chars = ch;
        d->capchars = cap;
    }
    cz_spec_draw *e = &d->items[d->n];
    memset(e, 0, sizeof *e);
    /* The index is the subscript that ends the path, if it ends with one ("hkl[2]" → 2). */
    size_t len = lp - 1;
    if (len > 2 && p[len - 1] == ']') {
        const char *open = strrchr(p, '[');
        if (open) e->index = (size_t)strtoull(open + 1, NULL, 10);
    }
    e->is_text = text != NULL;
    e->value = text ? NAN : value;
    d->off[d->n][0] = d->nchars;
    memcpy(d->chars + d->nchars, p, lp);
    d->nchars += lp;
    d->off[d->n][1] = NO_TEXT;
    if (text) {
        d->off[d->n][1] = d->nchars;
        memcpy(d->chars + d->nchars, text, lt);
        d->nchars += lt;
    }
    d->n++;
    return CZ_OK;
}

/* Record element k of a drawn list under the current path ("zone_axis" → "zone_axis[2]"). */
static cz_status record_element(ctx *c, size_t k, double value) {
    size_t o = path_push(c, "[%zu]", k);
    cz_status s = record(c, value, NULL);
    path_pop(c, o);
    return s;
}

static const snode *map_get(const snode *m, const char *key) {
    if (!m || m->kind != N_MAP) return NULL;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->keys[i], key) == 0) return m->kids[i];
    return NULL;
}

/* Every key of mapping m must be one of `allowed` (NULL-terminated). */
static cz_status check_keys(ctx *c, const snode *m, const char *const *allowed, const char *what) {
    if (m->kind != N_MAP) return bad(c, m, "must be a mapping (%s)", what);
    for (size_t i = 0; i < m->n; i++) {
        int ok = 0;
        for (const char *const *a = allowed; *a && !ok; a++) ok = strcmp(*a, m->keys[i]) == 0;
        if (!ok) {
            char list[256] = "";
            for (const char *const *a = allowed; *a; a++) {
                strncat(list, *a, sizeof list - strlen(list) - 1);
                if (a[1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            size_t o = path_push(c, ".%s", m->keys[i]);
            cz_status s = bad(c, m->kids[i], "unknown key \"%s\" (allowed: %s)", m->keys[i], list);
            path_pop(c, o);
            return s;
        }
    }
    return CZ_OK;
}

static int is_distribution(const snode *n) {
    static const char *const keys[] = {"uniform", "normal", "truncnormal", "lognormal", "choice"};
    if (!n || n->kind != N_MAP) return 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        if (map_get(n, keys[k])) return 1;
    return 0;
}

static cz_status scalar_number(ctx *c, const snode *n, double *out) {
    if (n->kind != N_SCALAR || n->quoted) return bad(c, n, "must be a number");
    char *end;
    errno = 0;
    double v = strtod(n->text, &end);
    if (end == n->text || *end != '\0' || errno == ERANGE)
        return bad(c, n, "must be a number (got \"%s\")", n->text);
    if (!isfinite(v)) return bad(c, n, "must be finite (got %s)", n->text);
    *out = v;
    return CZ_OK;
}

static cz_status number_list(ctx *c, const snode *n, size_t want, double *v, const char *what) {
    if (n->kind != N_SEQ || n->n != want)
        return bad(c, n, "must be a list of %zu numbers (%s)", want, what);
    for (size_t i = 0; i < want; i++) {
        cz_status s = scalar_number(c, n->kids[i], &v[i]);
        if (s != CZ_OK) return s;
    }
    return CZ_OK;
}

/* Index of a weighted choice among n alternatives (weights may be absent = equal). */
static cz_status pick(ctx *c, const snode *dist, size_t n, size_t *idx) {
    const snode *w = map_get(dist, "weights");
    double total = (double)n, wv[256];
    if (n == 0) return bad(c, dist, "choice needs at least one alternative");
    if (n > 256) return bad(c, dist, "choice has more than 256 alternatives");
    for (size_t i = 0; i < n; i++) wv[i] = 1.0;
    if (w) {
        size_t o = path_push(c, ".weights");
        cz_status s = w->kind == N_SEQ && w->n == n ? CZ_OK
                                                    : bad(c, w, "must list %zu weights", n);
        total = 0;
        for (size_t i = 0; i < n && s == CZ_OK; i++) {
            s = scalar_number(c, w->kids[i], &wv[i]);
            if (s == CZ_OK && !(wv[i] >= 0)) s = bad(c, w->kids[i], "weights must be >= 0");
            total += wv[i];
        }
        if (s == CZ_OK && !(total > 0)) s = bad(c, w, "weights must not all be 0");
        path_pop(c, o);
        if (s != CZ_OK) return s;
    }
    double u = cz_rng_uniform(c->seed, field_stream(c), 0) * total, acc = 0;
    *idx = n - 1;
    for (size_t i = 0; i < n; i++) {
        acc += wv[i];
        if (u < acc) {
            *idx = i;
            break;
        }
    }
    return CZ_OK;
}

/* A number, or a distribution of numbers. */
static cz_status get_number(ctx *c, const snode *n, double *out) {
    if (!is_distribution(n)) return scalar_number(c, n, out);
    static const char *const keys[] = {"uniform", "normal", "truncnormal", "lognormal",
                                       "choice",  "weights", NULL};
    cz_status s = check_keys(c, n, keys, "a distribution");
    if (s != CZ_OK) return s;
    if (n->n != 1 && !(n->n == 2 && map_get(n, "choice") && map_get(n, "weights")))
        return bad(c, n, "a distribution has exactly one of uniform, normal, truncnormal, "
                         "lognormal, choice (+ weights)");
    const char *kind = n->keys[0];
    if (map_get(n, "choice")) kind = "choice";
    const snode *p = map_get(n, kind);
    size_t o = path_push(c, ".%s", kind);
    uint64_t stream = field_stream(c);
    double v[4];
    if (strcmp(kind, "choice") == 0) {
        size_t idx;
        if (p->kind != N_SEQ) s = bad(c, p, "must be a list of alternatives");
        if (s == CZ_OK) s = pick(c, n, p->n, &idx);
        for (size_t i = 0; i < (s == CZ_OK ? p->n : 0); i++) {
            double t;
            size_t o2 = path_push(c, "[%zu]", i);
            s = scalar_number(c, p->kids[i], &t);
            path_pop(c, o2);
            if (s != CZ_OK) break;
            if (i == idx) *out = t;
        }
    } else if (strcmp(kind, "uniform") == 0) {
        s = number_list(c, p, 2, v, "[low, high]");
        if (s == CZ_OK && !(v[1] >= v[0])) s = bad(c, p, "high must be >= low (got %g, %g)", v[0], v[1]);
        if (s == CZ_OK) *out = v[0] + (v[1] - v[0]) * cz_rng_uniform(c->seed, stream, 0);
    } else if (strcmp(kind, "normal") == 0 || strcmp(kind, "lognormal") == 0) {
        s = number_list(c, p, 2, v, "[mean, sigma]");
        if (s == CZ_OK && !(v[1] >= 0)) s = bad(c, p, "sigma must be >= 0 (got %g)", v[1]);
        if (s == CZ_OK) {
            double g = v[0] + v[1] * cz_rng_normal(c->seed, stream, 0);
            *out = kind[0] == 'l' ? exp(g) : g;
        }
    } else {
        s = number_list(c, p, 4, v, "[mean, sigma, low, high]");
        if (s == CZ_OK && !(v[1] >= 0)) s = bad(c, p, "sigma must be >= 0 (got %g)", v[1]);
        if (s == CZ_OK && !(v[3] >= v[2])) s = bad(c, p, "high must be >= low (got %g, %g)", v[2], v[3]);
        if (s == CZ_OK) {
            /* Rejection from the normal; a window holding almost none of it is refused. */
            uint64_t k = 0;
            for (; k < 100000; k++) {
                double g = v[0] + v[1] * cz_rng_normal(c->seed, stream, k);
                if (g >= v[2] && g <= v[3]) {
                    *out = g;
                    break;
                }
            }
            if (k == 100000)
                s = bad(c, p, "the window [%g, %g] holds almost none of normal(%g, %g)", v[2], v[3],
                        v[0], v[1]);
        }
    }
    path_pop(c, o);
    if (s == CZ_OK) s = record(c, *out, NULL);
    return s;
}

static cz_status get_number_in(ctx *c, const snode *n, double lo, double hi, int open_lo,
                               double *out) {
    cz_status s = get_number(c, n, out);
    if (s != CZ_OK) return s;
    if ((open_lo ? !(*out > lo) : !(*out >= lo)) || !(*out <= hi))
        return bad(c, n, "must be %s %g%s (got %g)", open_lo ? ">" : ">=", lo,
                   isfinite(hi) ? " and <= limit" : "", *out);
    return CZ_OK;
}

/* A string, or a weighted choice of strings. Returns a pointer into the tree. */
static cz_status get_string(ctx *c, const snode *n, const char **out) {
    if (n->kind == N_SCALAR) {
        *out = n->text;
        return CZ_OK;
    }
    if (!is_distribution(n) || !map_get(n, "choice")) return bad(c, n, "must be a name");
    static const char *const keys[] = {"choice", "weights", NULL};
    cz_status s = check_keys(c, n, keys, "a choice");
    if (s != CZ_OK) return s;
    const snode *p = map_get(n, "choice");
    size_t o = path_push(c, ".choice"), idx = 0;
    if (p->kind != N_SEQ) s = bad(c, p, "must be a list of names");
    if (s == CZ_OK) s = pick(c, n, p->n, &idx);
    for (size_t i = 0; s == CZ_OK && i < p->n; i++)
        if (p->kids[i]->kind != N_SCALAR) s = bad(c, p->kids[i], "alternatives must be names");
    if (s == CZ_OK) *out = p->kids[idx]->text;
    path_pop(c, o);
    if (s == CZ_OK) s = record(c, NAN, *out);
    return s;
}

/* A list of `want` numbers (each may be a distribution), or a choice among such lists. */
static cz_status get_vector(ctx *c, const snode *n, size_t want, double *v) {
    if (is_distribution(n) && map_get(n, "choice")) {
        static const char *const keys[] = {"choice", "weights", NULL};
        cz_status s = check_keys(c, n, keys, "a choice");
        if (s != CZ_OK) return s;
        const snode *p = map_get(n, "choice");
        size_t o = path_push(c, ".choice"), idx = 0;
        if (p->kind != N_SEQ) s = bad(c, p, "must be a list of alternatives");
        if (s == CZ_OK) s = pick(c, n, p->n, &idx);
        /* Every alternative is read (and checked), but only the list chosen is reported,
         * element by element, whatever distributions it holds. */
        c->mute++;
        for (size_t i = 0; s == CZ_OK && i < p->n; i++) {
            double t[16];
            size_t o2 = path_push(c, "[%zu]", i);
            s = get_vector(c, p->kids[i], want, t);
            path_pop(c, o2);
            if (s == CZ_OK && i == idx) memcpy(v, t, want * sizeof *v);
        }
        c->mute--;
        path_pop(c, o);
        for (size_t k = 0; s == CZ_OK && k < want; k++) s = record_element(c, k, v[k]);
        return s;
    }
    if (n->kind != N_SEQ || n->n != want) return bad(c, n, "must be a list of %zu numbers", want);
    for (size_t i = 0; i < want; i++) {
        size_t o = path_push(c, "[%zu]", i);
        cz_status s = get_number(c, n->kids[i], &v[i]);
        path_pop(c, o);
        if (s != CZ_OK) return s;
    }
    return CZ_OK;
}

static cz_status get_bool(ctx *c, const snode *n, int *out) {
    static const char *const yes[] = {"true", "True", "TRUE", "yes", "on", "1"};
    static const char *const no[] = {"false", "False", "FALSE", "no", "off", "0"};
    if (n->kind == N_SCALAR && !n->quoted)
        for (int i = 0; i < 6; i++) {
            if (strcmp(n->text, yes[i]) == 0) return *out = 1, CZ_OK;
            if (strcmp(n->text, no[i]) == 0) return *out = 0, CZ_OK;
        }
    return bad(c, n, "must be true or false");
}

static cz_status get_int(ctx *c, const snode *n, long lo, long hi, long *out) {
    double v;
    cz_status s = get_number(c, n, &v);
    if (s != CZ_OK) return s;
    if (v != floor(v)) return bad(c, n, "must be an integer (got %g)", v);
    if (v < (double)lo || v > (double)hi)
        return bad(c, n, "must be in %ld..%ld (got %g)", lo, hi, v);
    *out = (long)v;
    return CZ_OK;
}

static cz_status get_element(ctx *c, const snode *n, int *z) {
    const char *sym;
    cz_status s = get_string(c, n, &sym);
    if (s != CZ_OK) return s;
    if (cz_element_from_symbol(sym, z) != CZ_OK) return bad(c, n, "unknown element \"%s\"", sym);
    return CZ_OK;
}

/* Field accessors that push the key onto the path. `req` = required. */
#define FIELD(c, m, key, req, call)                                                          \
    do {                                                                                     \
        const snode *fn_ = map_get((m), (key));                                              \
        if (!fn_) {                                                                          \
            if (req) return bad((c), (m), "missing required key \"%s\"", (key));             \
        } else {                                                                             \
            size_t fo_ = path_push((c), ".%s", (key));                                       \
            const snode *node = fn_;                                                         \
            cz_status fs_ = (call);                                                          \
            path_pop((c), fo_);                                                              \
            if (fs_ != CZ_OK) return fs_;                                                    \
        }                                                                                    \
    } while (0)

/* --------------------------------------------------------------- lattices ---- */

static cz_status build_lattice(ctx *c, const snode *m, cz_lattice **out) {
    static const char *const keys[] = {"prototype", "elements", "a", "c", "u", "spacegroup",
                                       "cell", "sites", "hall_number", "file", NULL};
    cz_status s = check_keys(c, m, keys, "a lattice");
    if (s != CZ_OK) return s;
    int has_p = map_get(m, "prototype") != NULL, has_sg = map_get(m, "spacegroup") != NULL,
        has_f = map_get(m, "file") != NULL;
    if (has_p + has_sg + has_f != 1)
        return bad(c, m, "give exactly one of prototype, spacegroup, file");
    if (has_p) {
        cz_prototype_opts po;
        cz_prototype_opts_default(&po);
        const char *name = NULL;
        FIELD(c, m, "prototype", 1, get_string(c, node, &name));
        const snode *el = map_get(m, "elements");
        if (!el) return bad(c, m, "missing required key \"elements\"");
        size_t o = path_push(c, ".elements");
        if (el->kind == N_SEQ) {
            if (el->n < 1 || el->n > 3) s = bad(c, el, "must list 1 to 3 elements");
            for (size_t i = 0; s == CZ_OK && i < el->n; i++) {
                size_t o2 = path_push(c, "[%zu]", i);
                s = get_element(c, el->kids[i], &po.z[i]);
                path_pop(c, o2);
            }
        } else {
            s = get_element(c, el, &po.z[0]);
        }
        path_pop(c, o);
        if (s != CZ_OK) return s;
        FIELD(c, m, "a", 1, get_number_in(c, node, 0, INFINITY, 1, &po.a));
        FIELD(c, m, "c", 0, get_number_in(c, node, 0, INFINITY, 1, &po.c));
        FIELD(c, m, "u", 0, get_number(c, node, &po.u));
        if (map_get(m, "spacegroup") || map_get(m, "sites") || map_get(m, "cell"))
            return bad(c, m, "cell and sites belong to a spacegroup lattice");
        s = cz_lattice_prototype(name, &po, out);
        if (s != CZ_OK) return bad(c, map_get(m, "prototype"), "%s", cz_last_error());
        return CZ_OK;
    }
    if (has_f) {
        const char *path = NULL;
        FIELD(c, m, "file", 1, get_string(c, node, &path));
        cz_atoms *a = NULL;
        s = cz_atoms_read(path, CZ_FORMAT_AUTO, &a);
        if (s != CZ_OK) return bad(c, map_get(m, "file"), "%s", cz_last_error());
        double inv[3][3];
        if (!m3_inverse(CZ_CROWS(a->cell), inv)) {
            cz_atoms_destroy(a);
            return bad(c, map_get(m, "file"), "the structure has no full cell to use as a lattice");
        }
        double (*frac)[3] = malloc((a->n ? a->n : 1) * sizeof *frac);
        if (!frac) {
            cz_atoms_destroy(a);
            return CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu sites", a->n);
        }
        for (size_t i = 0; i < a->n; i++) m3_tmulv(CZ_CROWS(inv), a->xyz[i], frac[i]);
        s = cz_lattice_create(CZ_CROWS(a->cell), a->n, CZ_CROWS(frac), a->z, out);
        free(frac);
        cz_atoms_destroy(a);
        if (s != CZ_OK) return bad(c, map_get(m, "file"), "%s", cz_last_error());
        return CZ_OK;
    }
    long number = 0, hall = 0;
    FIELD(c, m, "spacegroup", 1, get_int(c, node, 1, 230, &number));
    FIELD(c, m, "hall_number", 0, get_int(c, node, 1, 530, &hall));
    double par[6], cell[3][3];
    const snode *cn = map_get(m, "cell");
    if (!cn) return bad(c, m, "missing required key \"cell\"");
    size_t o = path_push(c, ".cell");
    s = get_vector(c, cn, 6, par);
    if (s == CZ_OK && cz_cell_from_parameters(par[0], par[1], par[2], par[3], par[4], par[5],
                                              cell) != CZ_OK)
        s = bad(c, cn, "%s", cz_last_error());
    path_pop(c, o);
    if (s != CZ_OK) return s;
    const snode *sites = map_get(m, "sites");
    if (!sites) return bad(c, m, "missing required key \"sites\"");
    o = path_push(c, ".sites");
    if (sites->kind != N_SEQ || sites->n == 0 || sites->n > 1024)
        s = bad(c, sites, "must be a list of [element, x, y, z] (1 to 1024 sites)");
    double (*frac)[3] = NULL;
    int *z = NULL;
    if (s == CZ_OK) {
        frac = malloc(sites->n * sizeof *frac);
        z = malloc(sites->n * sizeof *z);
        if (!frac || !z) s = CZ_FAIL(CZ_ENOMEM, "cannot allocate sites");
    }
    for (size_t i = 0; s == CZ_OK && i < sites->n; i++) {
        const snode *e = sites->kids[i];
        size_t o2 = path_push(c, "[%zu]", i);
        if (e->kind != N_SEQ || e->n != 4) s = bad(c, e, "must be [element, x, y, z]");
        if (s == CZ_OK) s = get_element(c, e->kids[0], &z[i]);
        for (int k = 0; s == CZ_OK && k < 3; k++) s = get_number(c, e->kids[k + 1], &frac[i][k]);
        path_pop(c, o2);
    }
    path_pop(c, o);
    if (s == CZ_OK) {
        cz_spacegroup_opts so;
        cz_spacegroup_opts_default(&so);
        so.hall_number = (int)hall;
        s = cz_lattice_from_spacegroup((int)number, CZ_CROWS(cell), sites->n, CZ_CROWS(frac), z,
                                       &so, out);
        if (s != CZ_OK) s = bad(c, map_get(m, "spacegroup"), "%s", cz_last_error());
    }
    free(frac);
    free(z);
    return s;
}

/* ----------------------------------------------------------------- shapes ---- */

static cz_status build_shape(ctx *c, const snode *m, const cz_lattice *lat, cz_volume **out);
static cz_status get_hkl(ctx *c, const snode *n, int hkl[3]);

/* acc ← acc ∪ v or acc ∩ v (acc NULL: v). Takes v; on failure frees both and clears acc. */
static cz_status accumulate(cz_volume **acc, cz_volume *v, int is_union) {
    if (!*acc) {
        *acc = v;
        return CZ_OK;
    }
    cz_volume *t = NULL;
    cz_status s = is_union ? cz_volume_union(*acc, v, &t) : cz_volume_intersection(*acc, v, &t);
    cz_volume_destroy(*acc);
    cz_volume_destroy(v);
    *acc = t;
    return s;
}

static cz_status build_shape_list(ctx *c, const snode *l, const cz_lattice *lat, int is_union,
                                  cz_volume **out) {
    if (l->kind != N_SEQ || l->n < 1) return bad(c, l, "must be a list of shapes");
    cz_volume *acc = NULL;
    for (size_t i = 0; i < l->n; i++) {
        cz_volume *v = NULL;
        size_t o = path_push(c, "[%zu]", i);
        cz_status s = build_shape(c, l->kids[i], lat, &v);
        path_pop(c, o);
        if (s == CZ_OK) s = accumulate(&acc, v, is_union);
        if (s != CZ_OK) {
            cz_volume_destroy(acc);
            return s;
        }
    }
    *out = acc;
    return CZ_OK;
}

static cz_status build_planes(ctx *c, const snode *l, const cz_lattice *lat, cz_volume **out) {
    if (l->kind != N_SEQ || l->n < 1) return bad(c, l, "must be a list of {hkl, distance}");
    cz_volume *acc = NULL;
    for (size_t i = 0; i < l->n; i++) {
        static const char *const keys[] = {"hkl", "distance", "snap", NULL};
        const snode *p = l->kids[i];
        size_t o = path_push(c, "[%zu]", i);
        cz_status s = check_keys(c, p, keys, "a plane");
        int hkl[3] = {0, 0, 0};
        double d = 0;
        int snap = 1;
        cz_volume *v = NULL;
        if (s == CZ_OK) {
            const snode *hn = map_get(p, "hkl"), *dn = map_get(p, "distance"),
                        *sn = map_get(p, "snap");
            if (!hn || !dn) s = bad(c, p, "a plane needs hkl and distance");
            if (s == CZ_OK) {
                size_t o2 = path_push(c, ".hkl");
                s = get_hkl(c, hn, hkl);
                path_pop(c, o2);
            }
            if (s == CZ_OK) {
                size_t o2 = path_push(c, ".distance");
                s = get_number_in(c, dn, 0, INFINITY, 1, &d);
                path_pop(c, o2);
            }
            if (s == CZ_OK && sn) {
                size_t o2 = path_push(c, ".snap");
                s = get_bool(c, sn, &snap);
                path_pop(c, o2);
            }
        }
        if (s == CZ_OK && cz_volume_miller(lat, hkl, d, snap, &v) != CZ_OK)
            s = bad(c, p, "%s", cz_last_error());
        path_pop(c, o);
        if (s == CZ_OK) s = accumulate(&acc, v, 0);
        if (s != CZ_OK) {
            cz_volume_destroy(acc);
            return s;
        }
    }
    *out = acc;
    return CZ_OK;
}

/* Shapes are centred on the object's origin, in the crystal's frame (they turn with it). */
static cz_status build_shape(ctx *c, const snode *m, const cz_lattice *lat, cz_volume **out) {
    static const char *const keys[] = {"sphere", "box", "cylinder", "planes",
                                       "intersection", "union", NULL};
    cz_status s = check_keys(c, m, keys, "a shape");
    if (s != CZ_OK) return s;
    if (m->n != 1)
        return bad(c, m, "a shape has exactly one of sphere, box, cylinder, planes, intersection, "
                         "union");
    const char *kind = m->keys[0];
    const snode *p = m->kids[0];
    const double zero[3] = {0, 0, 0};
    size_t o = path_push(c, ".%s", kind);
    if (strcmp(kind, "sphere") == 0) {
        static const char *const k2[] = {"radius", NULL};
        double r = 0;
        s = check_keys(c, p, k2, "a sphere");
        if (s == CZ_OK) {
            const snode *rn = map_get(p, "radius");
            size_t o2 = path_push(c, ".radius");
            s = rn ? get_number_in(c, rn, 0, INFINITY, 1, &r) : bad(c, p, "missing radius");
            path_pop(c, o2);
        }
        if (s == CZ_OK && cz_volume_sphere(zero, r, out) != CZ_OK) s = bad(c, p, "%s", cz_last_error());
    } else if (strcmp(kind, "box") == 0) {
        static const char *const k2[] = {"size", NULL};
        double l[3] = {0, 0, 0};
        s = check_keys(c, p, k2, "a box");
        if (s == CZ_OK) {
            const snode *sn = map_get(p, "size");
            size_t o2 = path_push(c, ".size");
            s = sn ? get_vector(c, sn, 3, l) : bad(c, p, "missing size");
            for (int k = 0; s == CZ_OK && k < 3; k++)
                if (!(l[k] > 0)) s = bad(c, sn, "lengths must be > 0 (got %g)", l[k]);
            path_pop(c, o2);
        }
        if (s == CZ_OK) {
            const double org[3] = {-l[0] / 2, -l[1] / 2, -l[2] / 2};
            const double e[3][3] = {{l[0], 0, 0}, {0, l[1], 0}, {0, 0, l[2]}};
            if (cz_volume_box(org, e, out) != CZ_OK) s = bad(c, p, "%s", cz_last_error());
        }
    } else if (strcmp(kind, "cylinder") == 0) {
        static const char *const k2[] = {"radius", "length", "axis", NULL};
        double r = 0, len = 0, ax[3] = {0, 0, 1};
        s = check_keys(c, p, k2, "a cylinder");
        if (s == CZ_OK) {
            const snode *rn = map_get(p, "radius"), *ln = map_get(p, "length"),
                        *an = map_get(p, "axis");
            if (!rn || !ln) s = bad(c, p, "a cylinder needs radius and length");
            size_t o2;
            if (s == CZ_OK) {
                o2 = path_push(c, ".radius");
                s = get_number_in(c, rn, 0, INFINITY, 1, &r);
                path_pop(c, o2);
            }
            if (s == CZ_OK) {
                o2 = path_push(c, ".length");
                s = get_number_in(c, ln, 0, INFINITY, 1, &len);
                path_pop(c, o2);
            }
            if (s == CZ_OK && an) {
                o2 = path_push(c, ".axis");
                s = get_vector(c, an, 3, ax);
                if (s == CZ_OK && v3_norm(ax) == 0) s = bad(c, an, "axis must be non-zero");
                path_pop(c, o2);
            }
        }
        if (s == CZ_OK && cz_volume_cylinder(zero, ax, r, len, out) != CZ_OK)
            s = bad(c, p, "%s", cz_last_error());
    } else if (strcmp(kind, "planes") == 0) {
        s = build_planes(c, p, lat, out);
    } else {
        s = build_shape_list(c, p, lat, strcmp(kind, "union") == 0, out);
    }
    path_pop(c, o);
    return s;
}

/* ------------------------------------------------------------ orientation ---- */


/* Proper Euler angles (degrees) of rotation r in the convention of cz_transform_euler,
 * r = Rz(phi)·Rx(theta)·Rz(psi): r[0][2] = sin phi sin theta, r[1][2] = −cos phi sin theta,
 * r[2][0] = sin theta sin psi, r[2][1] = sin theta cos psi, r[2][2] = cos theta. At theta = 0
 * or 180° only phi ± psi is defined, and psi = 0 is taken. */
static void euler_zxz(const double r[3][3], double e[3]) {
    const double deg = 180.0 / 3.14159265358979323846;
    double st = hypot(r[0][2], r[1][2]);
    e[1] = atan2(st, r[2][2]) * deg;
    if (st > 1e-12) {
        e[0] = atan2(r[0][2], -r[1][2]) * deg;
        e[2] = atan2(r[2][0], r[2][1]) * deg;
    } else {
        e[0] = atan2(r[1][0], r[0][0]) * deg;
        e[2] = 0;
    }
}

/* Rotation that turns unit vector n onto −z (Rodrigues about n × (−z)). */
static void turn_to_minus_z(const double n[3], cz_transform *tf) {
    const double down[3] = {0, 0, -1};
    double axis[3], zero[3] = {0, 0, 0};
    v3_cross(n, down, axis);
    double sn = v3_norm(axis), cs = v3_dot(n, down);
    if (sn < 1e-12) {
        /* Already down, or straight up: then half a turn about x. */
        const double ex[3] = {1, 0, 0};
        cz_transform_axis_angle(ex, cs > 0 ? 0.0 : 180.0, zero, tf);
        return;
    }
    cz_transform_axis_angle(axis, atan2(sn, cs) * 180.0 / 3.14159265358979323846, zero, tf);
}

static cz_status build_orientation(ctx *c, const snode *n, const cz_lattice *lat,
                                   const double *facet, cz_transform *tf) {
    cz_transform_identity(tf);
    if (n->kind == N_SCALAR || (is_distribution(n) && map_get(n, "choice") &&
                                map_get(n, "choice")->kind == N_SEQ &&
                                map_get(n, "choice")->n > 0 &&
                                map_get(n, "choice")->kids[0]->kind == N_SCALAR)) {
        const char *w;
        cz_status s = get_string(c, n, &w);
        if (s != CZ_OK) return s;
        if (strcmp(w, "none") == 0) return CZ_OK;
        if (strcmp(w, "random") == 0) {
            /* Uniform on SO(3), from this field's own stream. */
            double r[3][3], e[3];
            cz_rng_rotation(c->seed, field_stream(c), 0, r);
            /* Reported as the Euler angles that `orientation: {euler: [...]}` turns back
             * into this rotation. */
            euler_zxz(CZ_CROWS(r), e);
            size_t o = path_push(c, ".euler");
            for (size_t k = 0; s == CZ_OK && k < 3; k++) s = record_element(c, k, e[k]);
            path_pop(c, o);
            if (s != CZ_OK) return s;
            return cz_transform_matrix(CZ_CROWS(r), NULL, 1, tf);
        }
        return bad(c, n, "must be random, none, or a mapping (zone_axis, euler, axis+angle)");
    }
    static const char *const keys[] = {"zone_axis", "inplane", "euler", "axis", "angle",
                                       "contact_facet", NULL};
    cz_status s = check_keys(c, n, keys, "an orientation");
    if (s != CZ_OK) return s;
    const snode *cf = map_get(n, "contact_facet");
    if (cf) {
        /* A facet turned onto −z (it faces the surface below), then a turn about z. */
        if (map_get(n, "zone_axis") || map_get(n, "euler") || map_get(n, "axis"))
            return bad(c, n, "contact_facet does not combine with zone_axis, euler or axis");
        double nrm[3], inplane = 0;
        size_t o = path_push(c, ".contact_facet");
        if (cf->kind == N_SCALAR && strcmp(cf->text, "interface") == 0) {
            if (!facet) s = bad(c, cf, "only a Wulff particle with an interface has one");
            else memcpy(nrm, facet, sizeof nrm);
        } else {
            int hkl[3];
            s = get_hkl(c, cf, hkl);
            if (s == CZ_OK && cz_lattice_plane(lat, hkl, NULL, nrm) != CZ_OK)
                s = bad(c, cf, "%s", cz_last_error());
        }
        path_pop(c, o);
        if (s != CZ_OK) return s;
        FIELD(c, n, "inplane", 0, get_number(c, node, &inplane));
        cz_transform down, spin;
        const double ez[3] = {0, 0, 1}, zero[3] = {0, 0, 0};
        turn_to_minus_z(nrm, &down);
        cz_transform_axis_angle(ez, inplane, zero, &spin);
        cz_transform_compose(&down, &spin, tf);
        return CZ_OK;
    }
    const snode *za = map_get(n, "zone_axis"), *eu = map_get(n, "euler"), *ax = map_get(n, "axis");
    if ((za != NULL) + (eu != NULL) + (ax != NULL) != 1)
        return bad(c, n, "give exactly one of zone_axis, euler, axis (+ angle)");
    if (za) {
        double uvw[3], inplane = 0;
        FIELD(c, n, "zone_axis", 1, get_vector(c, node, 3, uvw));
        FIELD(c, n, "inplane", 0, get_number(c, node, &inplane));
        for (int k = 0; k < 3; k++)
            if (uvw[k] != floor(uvw[k]))
                return bad(c, za, "zone-axis indices must be integers");
        const int iv[3] = {(int)uvw[0], (int)uvw[1], (int)uvw[2]};
        if (cz_transform_zone_axis(lat, iv, inplane, NULL, tf) != CZ_OK) {
            size_t o = path_push(c, ".zone_axis");
            s = bad(c, za, "%s", cz_last_error());
            path_pop(c, o);
        }
        return s;
    }
    if (map_get(n, "inplane")) return bad(c, map_get(n, "inplane"), "inplane goes with zone_axis");
    if (eu) {
        double e[3];
        FIELD(c, n, "euler", 1, get_vector(c, node, 3, e));
        return cz_transform_euler(e[0], e[1], e[2], NULL, tf);
    }
    double a[3], ang = 0;
    FIELD(c, n, "axis", 1, get_vector(c, node, 3, a));
    FIELD(c, n, "angle", 1, get_number(c, node, &ang));
    if (cz_transform_axis_angle(a, ang, NULL, tf) != CZ_OK) return bad(c, ax, "%s", cz_last_error());
    return CZ_OK;
}

/* ---------------------------------------------------------------- objects ---- */

static cz_status class_from_name(ctx *c, const snode *n, int *cls) {
    const char *w;
    cz_status s = get_string(c, n, &w);
    if (s != CZ_OK) return s;
    static const char *const names[] = {"none", "particle", "substrate", "ligand"};
    for (int i = 0; i < 4; i++)
        if (strcmp(w, names[i]) == 0) return *cls = i, CZ_OK;
    return bad(c, n, "unknown class \"%s\" (particle, substrate, ligand, none)", w);
}

/* Remember an object's priority under the object id it will get (first scene index + 1). */
static cz_status note_object(ctx *c, const snode *m, const cz_scene *scene, long prio) {
    size_t id = cz_scene_count(scene) + 1;
    if (id >= sizeof c->prio / sizeof c->prio[0]) return bad(c, m, "too many objects (at most 4095)");
    c->prio[id] = (int)prio;
    return CZ_OK;
}

/* A named object's top surface, for other objects to rest on. */
static void note_surface(ctx *c, const snode *m, double top) {
    const snode *nm = map_get(m, "name");
    if (!nm || nm->kind != N_SCALAR || c->nsurf >= sizeof c->surf / sizeof c->surf[0]) return;
    c->surf[c->nsurf].name = nm->text;
    c->surf[c->nsurf].top = top;
    c->nsurf++;
}

/* The amorphous block's composition and minimum distances. */
static cz_status build_amorphous_opts(ctx *c, const snode *m, cz_amorphous_opts *ao) {
    static const char *const keys[] = {"elements", "density", "number_density", "d_min",
                                       "attempts_per_atom", NULL};
    cz_status s = check_keys(c, m, keys, "an amorphous generator");
    if (s != CZ_OK) return s;
    const snode *el = map_get(m, "elements");
    if (!el) return bad(c, m, "missing required key \"elements\"");
    size_t o = path_push(c, ".elements");
    if (el->kind == N_MAP) {
        if (el->n < 1 || el->n > CZ_AMORPHOUS_MAX_SPECIES)
            s = bad(c, el, "must map 1 to %d elements to atom fractions", CZ_AMORPHOUS_MAX_SPECIES);
        ao->nspecies = el->n;
        for (size_t i = 0; s == CZ_OK && i < el->n; i++) {
            size_t o2 = path_push(c, ".%s", el->keys[i]);
            if (cz_element_from_symbol(el->keys[i], &ao->z[i]) != CZ_OK)
                s = bad(c, el->kids[i], "unknown element \"%s\"", el->keys[i]);
            if (s == CZ_OK) s = get_number_in(c, el->kids[i], 0, INFINITY, 0, &ao->fraction[i]);
            path_pop(c, o2);
        }
    } else {
        ao->nspecies = 1;
        ao->fraction[0] = 1.0;
        s = get_element(c, el, &ao->z[0]);
    }
    path_pop(c, o);
    if (s != CZ_OK) return s;
    const snode *dn = map_get(m, "density"), *nd = map_get(m, "number_density");
    if ((dn != NULL) == (nd != NULL)) return bad(c, m, "give exactly one of density, number_density");
    ao->density_g_cm3 = 0;
    ao->density_atoms_a3 = 0;
    FIELD(c, m, "density", 0, get_number_in(c, node, 0, INFINITY, 1, &ao->density_g_cm3));
    FIELD(c, m, "number_density", 0, get_number_in(c, node, 0, INFINITY, 1, &ao->density_atoms_a3));
    FIELD(c, m, "attempts_per_atom", 0, get_number_in(c, node, 1, INFINITY, 0, &ao->attempts_per_atom));
    const snode *dm = map_get(m, "d_min");
    if (!dm) return bad(c, m, "missing required key \"d_min\"");
    o = path_push(c, ".d_min");
    if (dm->kind != N_MAP || is_distribution(dm)) {
        double d = 0;
        s = get_number_in(c, dm, 0, INFINITY, 1, &d);
        for (size_t i = 0; i < ao->nspecies; i++)
            for (size_t j = 0; j < ao->nspecies; j++) ao->d_min[i][j] = d;
    } else {
        /* Pairs "A-B" (either order), with an optional "default" for the rest. */
        double def = NAN;
        for (size_t i = 0; i < ao->nspecies; i++)
            for (size_t j = 0; j < ao->nspecies; j++) ao->d_min[i][j] = NAN;
        for (size_t k = 0; s == CZ_OK && k < dm->n; k++) {
            size_t o2 = path_push(c, ".%s", dm->keys[k]);
            double d = 0;
            s = get_number_in(c, dm->kids[k], 0, INFINITY, 1, &d);
            if (s == CZ_OK && strcmp(dm->keys[k], "default") == 0) {
                def = d;
            } else if (s == CZ_OK) {
                char a[8] = "", b[8] = "";
                int za = 0, zb = 0;
                const char *dash = strchr(dm->keys[k], '-');
                if (dash && dash - dm->keys[k] < 8 && strlen(dash + 1) < 8) {
                    memcpy(a, dm->keys[k], (size_t)(dash - dm->keys[k]));
                    strcpy(b, dash + 1);
                }
                if (!dash || cz_element_from_symbol(a, &za) != CZ_OK ||
                    cz_element_from_symbol(b, &zb) != CZ_OK)
                    s = bad(c, dm->kids[k], "keys are element pairs like \"Si-O\" or \"default\"");
                int ia = -1, ib = -1;
                for (size_t i = 0; s == CZ_OK && i < ao->nspecies; i++) {
                    if (ao->z[i] == za) ia = (int)i;
                    if (ao->z[i] == zb) ib = (int)i;
                }
                if (s == CZ_OK && (ia < 0 || ib < 0))
                    s = bad(c, dm->kids[k], "pair %s names an element not in elements", dm->keys[k]);
                if (s == CZ_OK) ao->d_min[ia][ib] = ao->d_min[ib][ia] = d;
            }
            path_pop(c, o2);
        }
        for (size_t i = 0; s == CZ_OK && i < ao->nspecies; i++)
            for (size_t j = 0; s == CZ_OK && j < ao->nspecies; j++) {
                if (isnan(ao->d_min[i][j])) ao->d_min[i][j] = def;
                if (isnan(ao->d_min[i][j]))
                    s = bad(c, dm, "no d_min for %s-%s (give it or a default)",
                            cz_element_symbol(ao->z[i]), cz_element_symbol(ao->z[j]));
            }
    }
    path_pop(c, o);
    return s;
}

/* The block an amorphous object fills: a box {lo, hi} in the world frame, or a slab
 * {bottom, top} spanning the scene cell's a and b (which must lie in the xy plane). Periodic
 * along an axis when the scene is, and the block spans the cell along it. */
static cz_status build_block(ctx *c, const snode *m, double origin[3], double edges[3][3],
                             int pbc[3]) {
    static const char *const keys[] = {"box", "slab", NULL};
    cz_status s = check_keys(c, m, keys, "a region");
    if (s != CZ_OK) return s;
    if (m->n != 1) return bad(c, m, "a region has exactly one of box, slab");
    memset(edges, 0, 9 * sizeof(double));
    pbc[0] = pbc[1] = pbc[2] = 0;
    const snode *p = m->kids[0];
    size_t o = path_push(c, ".%s", m->keys[0]);
    if (strcmp(m->keys[0], "box") == 0) {
        static const char *const k2[] = {"lo", "hi", NULL};
        double lo[3], hi[3];
        s = check_keys(c, p, k2, "a box");
        if (s == CZ_OK && (!map_get(p, "lo") || !map_get(p, "hi")))
            s = bad(c, p, "a box needs lo and hi");
        if (s == CZ_OK) {
            size_t o2 = path_push(c, ".lo");
            s = get_vector(c, map_get(p, "lo"), 3, lo);
            path_pop(c, o2);
        }
        if (s == CZ_OK) {
            size_t o2 = path_push(c, ".hi");
            s = get_vector(c, map_get(p, "hi"), 3, hi);
            for (int k = 0; s == CZ_OK && k < 3; k++)
                if (!(hi[k] > lo[k])) s = bad(c, map_get(p, "hi"), "hi must exceed lo on every axis");
            path_pop(c, o2);
        }
        for (int k = 0; s == CZ_OK && k < 3; k++) {
            origin[k] = lo[k];
            edges[k][k] = hi[k] - lo[k];
            /* Periodic only where the block is exactly the (orthogonal) cell along that axis. */
            int ortho = c->has_cell && fabs(v3_norm(c->cell[k]) - fabs(c->cell[k][k])) < 1e-12;
            pbc[k] = c->pbc[k] && ortho && lo[k] == 0 && fabs(hi[k] - c->cell[k][k]) < 1e-9;
        }
    } else {
        static const char *const k2[] = {"bottom", "top", NULL};
        double z0 = 0, z1 = 0;
        s = check_keys(c, p, k2, "a slab");
        if (s == CZ_OK && !c->has_cell) s = bad(c, p, "a slab spans the scene cell: give a cell");
        if (s == CZ_OK && (fabs(c->cell[0][2]) > 1e-12 || fabs(c->cell[1][2]) > 1e-12))
            s = bad(c, p, "a slab needs cell rows a and b in the xy plane");
        if (s == CZ_OK && (!map_get(p, "bottom") || !map_get(p, "top")))
            s = bad(c, p, "a slab needs bottom and top");
        if (s == CZ_OK) {
            size_t o2 = path_push(c, ".bottom");
            s = get_number(c, map_get(p, "bottom"), &z0);
            path_pop(c, o2);
        }
        if (s == CZ_OK) {
            size_t o2 = path_push(c, ".top");
            s = get_number(c, map_get(p, "top"), &z1);
            if (s == CZ_OK && !(z1 > z0)) s = bad(c, map_get(p, "top"), "top must exceed bottom");
            path_pop(c, o2);
        }
        if (s == CZ_OK) {
            origin[0] = origin[1] = 0;
            origin[2] = z0;
            memcpy(edges[0], c->cell[0], sizeof edges[0]);
            memcpy(edges[1], c->cell[1], sizeof edges[1]);
            edges[2][2] = z1 - z0;
            pbc[0] = c->pbc[0];
            pbc[1] = c->pbc[1];
        }
    }
    path_pop(c, o);
    return s;
}

static cz_status class_from_name(ctx *c, const snode *n, int *cls);

static cz_status build_amorphous_object(ctx *c, const snode *m, cz_scene *scene) {
    static const char *const keys[] = {"name", "amorphous", "region", "priority", "class", NULL};
    cz_status s = check_keys(c, m, keys, "an amorphous object");
    if (s != CZ_OK) return s;
    if (!map_get(m, "region")) return bad(c, m, "missing required key \"region\"");
    cz_amorphous_opts ao;
    cz_amorphous_opts_default(&ao);
    cz_object_opts oo;
    cz_object_opts_default(&oo);
    oo.class_id = CZ_CLASS_SUBSTRATE;
    long prio = 0;
    double origin[3], edges[3][3];
    int pbc[3];
    FIELD(c, m, "amorphous", 1, build_amorphous_opts(c, node, &ao));
    FIELD(c, m, "region", 1, build_block(c, node, origin, edges, pbc));
    FIELD(c, m, "priority", 0, get_int(c, node, -1000000, 1000000, &prio));
    FIELD(c, m, "class", 0, class_from_name(c, node, &oo.class_id));
    oo.priority = (int)prio;
    if ((s = note_object(c, m, scene, prio)) != CZ_OK) return s;
    note_surface(c, m, origin[2] + edges[2][2]);
    /* The block's own seed: from the scene seed and this object's path. */
    size_t o = path_push(c, ".amorphous");
    ao.seed = cz_rng_u64(c->seed, field_stream(c), 0);
    cz_atoms *block = NULL;
    cz_volume *clip = NULL;
    s = cz_amorphous_fill(origin, CZ_CROWS(edges), pbc, &ao, &block, NULL);
    if (s == CZ_EINVAL || s == CZ_ERANGE) s = bad(c, map_get(m, "amorphous"), "%s", cz_last_error());
    path_pop(c, o);
    if (s == CZ_OK) s = cz_volume_box(origin, CZ_CROWS(edges), &clip);
    if (s == CZ_OK) s = cz_scene_add_atoms(scene, block, clip, &oo, NULL);
    cz_atoms_destroy(block);
    cz_volume_destroy(clip);
    return s;
}

/* ------------------------------------------------------- particles, defects ---- */

static cz_status get_hkl(ctx *c, const snode *n, int hkl[3]) {
    double h[3];
    cz_status s = get_vector(c, n, 3, h);
    for (int k = 0; s == CZ_OK && k < 3; k++) {
        if (h[k] != floor(h[k]) || fabs(h[k]) > 1000) s = bad(c, n, "Miller indices must be integers");
        hkl[k] = (int)h[k];
    }
    if (s == CZ_OK && !hkl[0] && !hkl[1] && !hkl[2])
        s = bad(c, n, "Miller indices (0 0 0) define no plane");
    return s;
}

static cz_status get_size(ctx *c, const snode *n, size_t *out) {
    long v = 0;
    cz_status s = get_int(c, n, 1, (long)CZ_MAX_ATOMS, &v);
    if (s == CZ_OK) *out = (size_t)v;
    return s;
}

static cz_status build_wulff(ctx *c, const snode *m, const cz_lattice *lat, cz_particle **out) {
    static const char *const keys[] = {"energies", "radius", "atoms", "radius_kind", "interface",
                                       NULL};
    cz_status s = check_keys(c, m, keys, "a Wulff particle");
    if (s != CZ_OK) return s;
    cz_wulff_opts wo;
    cz_wulff_opts_default(&wo);
    const snode *en = map_get(m, "energies");
    if (!en) return bad(c, m, "missing required key \"energies\"");
    if ((map_get(m, "radius") != NULL) == (map_get(m, "atoms") != NULL))
        return bad(c, m, "give exactly one of radius, atoms");
    FIELD(c, m, "radius", 0, get_number_in(c, node, 0, INFINITY, 1, &wo.radius));
    FIELD(c, m, "atoms", 0, get_size(c, node, &wo.target_atoms));
    const snode *rk = map_get(m, "radius_kind");
    if (rk) {
        const char *w = NULL;
        FIELD(c, m, "radius_kind", 1, get_string(c, node, &w));
        if (strcmp(w, "equivalent") == 0)
            wo.radius_kind = CZ_RADIUS_EQUIVALENT;
        else if (strcmp(w, "max") == 0)
            wo.radius_kind = CZ_RADIUS_MAX;
        else
            return bad(c, rk, "must be equivalent or max");
    }
    const snode *in = map_get(m, "interface");
    if (in) {
        static const char *const k2[] = {"hkl", "gamma", NULL};
        size_t o = path_push(c, ".interface");
        s = check_keys(c, in, k2, "a Winterbottom interface");
        if (s == CZ_OK && (!map_get(in, "hkl") || !map_get(in, "gamma")))
            s = bad(c, in, "an interface needs hkl and gamma (γ_interface − γ_substrate)");
        if (s == CZ_OK) {
            size_t o2 = path_push(c, ".hkl");
            s = get_hkl(c, map_get(in, "hkl"), wo.interface_hkl);
            path_pop(c, o2);
        }
        if (s == CZ_OK) {
            size_t o2 = path_push(c, ".gamma");
            s = get_number(c, map_get(in, "gamma"), &wo.interface_gamma);
            path_pop(c, o2);
        }
        path_pop(c, o);
        if (s != CZ_OK) return s;
    }
    size_t o = path_push(c, ".energies");
    cz_surface_energy table[64];
    if (en->kind != N_SEQ || en->n < 1 || en->n > 64)
        s = bad(c, en, "must be a list of 1 to 64 {hkl, gamma}");
    for (size_t i = 0; s == CZ_OK && i < en->n; i++) {
        static const char *const k2[] = {"hkl", "gamma", NULL};
        size_t o2 = path_push(c, "[%zu]", i);
        s = check_keys(c, en->kids[i], k2, "a surface energy");
        if (s == CZ_OK && (!map_get(en->kids[i], "hkl") || !map_get(en->kids[i], "gamma")))
            s = bad(c, en->kids[i], "a surface energy needs hkl and gamma");
        if (s == CZ_OK) {
            size_t o3 = path_push(c, ".hkl");
            s = get_hkl(c, map_get(en->kids[i], "hkl"), table[i].hkl);
            path_pop(c, o3);
        }
        if (s == CZ_OK) {
            size_t o3 = path_push(c, ".gamma");
            s = get_number_in(c, map_get(en->kids[i], "gamma"), 0, INFINITY, 1, &table[i].gamma);
            path_pop(c, o3);
        }
        path_pop(c, o2);
    }
    if (s == CZ_OK && cz_particle_wulff(lat, en->n, table, &wo, out) != CZ_OK)
        s = bad(c, m, "%s", cz_last_error());
    path_pop(c, o);
    return s;
}

static cz_status build_mtp(ctx *c, const snode *m, const cz_lattice *lat, int deca,
                           cz_particle **out) {
    static const char *const kd[] = {"p", "q", "r", "shells", "radius", "strain", "poisson_ratio",
                                     NULL};
    static const char *const ki[] = {"shells", "radius", NULL};
    cz_status s = check_keys(c, m, deca ? kd : ki, deca ? "a decahedron" : "an icosahedron");
    if (s != CZ_OK) return s;
    int nsize = (map_get(m, "shells") != NULL) + (map_get(m, "radius") != NULL) +
                (deca && map_get(m, "p") != NULL);
    if (nsize != 1)
        return bad(c, m, deca ? "give exactly one of p, shells, radius" : "give exactly one of shells, radius");
    long iv = 0;
    if (deca) {
        cz_decahedron_opts d;
        cz_decahedron_opts_default(&d);
        FIELD(c, m, "p", 0, get_int(c, node, 1, 1000, &iv));
        if (map_get(m, "p")) d.p = (int)iv;
        FIELD(c, m, "q", 0, get_int(c, node, 0, 1000, &iv));
        if (map_get(m, "q")) d.q = (int)iv;
        FIELD(c, m, "r", 0, get_int(c, node, 0, 1000, &iv));
        if (map_get(m, "r")) d.r = (int)iv;
        FIELD(c, m, "shells", 0, get_int(c, node, 1, 1000, &iv));
        if (map_get(m, "shells")) d.shells = (int)iv;
        FIELD(c, m, "radius", 0, get_number_in(c, node, 0, INFINITY, 1, &d.radius));
        FIELD(c, m, "poisson_ratio", 0, get_number_in(c, node, 0, 0.5, 0, &d.poisson_ratio));
        const snode *st = map_get(m, "strain");
        if (st) {
            const char *w = NULL;
            FIELD(c, m, "strain", 1, get_string(c, node, &w));
            if (strcmp(w, "homogeneous") == 0)
                d.strain = CZ_MTP_STRAIN_HOMOGENEOUS;
            else if (strcmp(w, "radial") == 0)
                d.strain = CZ_MTP_STRAIN_RADIAL;
            else if (strcmp(w, "none") == 0)
                d.strain = CZ_MTP_STRAIN_NONE;
            else
                return bad(c, st, "must be homogeneous, radial or none");
        }
        if (cz_particle_decahedron(lat, &d, out) != CZ_OK) return bad(c, m, "%s", cz_last_error());
        return CZ_OK;
    }
    cz_icosahedron_opts io;
    cz_icosahedron_opts_default(&io);
    FIELD(c, m, "shells", 0, get_int(c, node, 1, 1000, &iv));
    if (map_get(m, "shells")) io.shells = (int)iv;
    FIELD(c, m, "radius", 0, get_number_in(c, node, 0, INFINITY, 1, &io.radius));
    if (cz_particle_icosahedron(lat, &io, out) != CZ_OK) return bad(c, m, "%s", cz_last_error());
    return CZ_OK;
}

static cz_status build_particle(ctx *c, const snode *m, const cz_lattice *lat, cz_particle **out) {
    static const char *const keys[] = {"wulff", "decahedron", "icosahedron", NULL};
    cz_status s = check_keys(c, m, keys, "a particle");
    if (s != CZ_OK) return s;
    if (m->n != 1) return bad(c, m, "a particle has exactly one of wulff, decahedron, icosahedron");
    size_t o = path_push(c, ".%s", m->keys[0]);
    if (strcmp(m->keys[0], "wulff") == 0)
        s = build_wulff(c, m->kids[0], lat, out);
    else
        s = build_mtp(c, m->kids[0], lat, strcmp(m->keys[0], "decahedron") == 0, out);
    path_pop(c, o);
    return s;
}

/* Defect planes: explicit ones, or a seeded draw of twins and faults. */
static cz_status build_defects(ctx *c, const snode *m, const cz_lattice *lat, const cz_volume *vol,
                               cz_defect_plane *planes, size_t *n) {
    static const char *const keys[] = {"twins", "faults", "family", "min_separation", "planes",
                                       NULL};
    cz_status s = check_keys(c, m, keys, "defects");
    if (s != CZ_OK) return s;
    const snode *pl = map_get(m, "planes");
    if (pl) {
        if (map_get(m, "twins") || map_get(m, "faults"))
            return bad(c, m, "give planes, or twins/faults to draw, not both");
        size_t o = path_push(c, ".planes");
        if (pl->kind != N_SEQ || pl->n > CZ_DEFECTS_MAX_PLANES)
            s = bad(c, pl, "must be a list of at most %d planes", CZ_DEFECTS_MAX_PLANES);
        for (size_t i = 0; s == CZ_OK && i < pl->n; i++) {
            static const char *const k2[] = {"kind", "hkl", "position", NULL};
            size_t o2 = path_push(c, "[%zu]", i);
            const snode *e = pl->kids[i];
            cz_defect_plane_default(&planes[i]);
            s = check_keys(c, e, k2, "a defect plane");
            const char *kind = "twin";
            if (s == CZ_OK && map_get(e, "kind")) {
                size_t o3 = path_push(c, ".kind");
                s = get_string(c, map_get(e, "kind"), &kind);
                if (s == CZ_OK && strcmp(kind, "twin") && strcmp(kind, "fault") && strcmp(kind, "mirror"))
                    s = bad(c, map_get(e, "kind"), "must be twin, fault or mirror");
                path_pop(c, o3);
            }
            planes[i].kind = kind[0] == 't' ? CZ_DEFECT_TWIN : kind[0] == 'f' ? CZ_DEFECT_SHIFT
                                                                              : CZ_DEFECT_MIRROR;
            if (s == CZ_OK && map_get(e, "hkl")) {
                size_t o3 = path_push(c, ".hkl");
                s = get_hkl(c, map_get(e, "hkl"), planes[i].hkl);
                path_pop(c, o3);
            }
            if (s == CZ_OK && map_get(e, "position")) {
                size_t o3 = path_push(c, ".position");
                s = get_number(c, map_get(e, "position"), &planes[i].position);
                path_pop(c, o3);
            }
            path_pop(c, o2);
        }
        path_pop(c, o);
        if (s == CZ_OK) *n = pl->n;
        return s;
    }
    cz_defect_draw_opts d;
    cz_defect_draw_opts_default(&d);
    long nt = 0, nf = 0;
    FIELD(c, m, "twins", 0, get_int(c, node, 0, CZ_DEFECTS_MAX_PLANES, &nt));
    FIELD(c, m, "faults", 0, get_int(c, node, 0, CZ_DEFECTS_MAX_PLANES, &nf));
    FIELD(c, m, "min_separation", 0, get_number_in(c, node, 0, INFINITY, 1, &d.min_separation));
    const snode *fam = map_get(m, "family");
    if (fam) {
        const char *w = NULL;
        FIELD(c, m, "family", 1, get_string(c, node, &w));
        if (strcmp(w, "cubic111") == 0)
            d.family = CZ_FAMILY_CUBIC_111;
        else if (strcmp(w, "hex0001") == 0)
            d.family = CZ_FAMILY_HEX_0001;
        else
            return bad(c, fam, "must be cubic111 or hex0001");
    }
    if (nt + nf > CZ_DEFECTS_MAX_PLANES)
        return bad(c, m, "at most %d planes (got %ld)", CZ_DEFECTS_MAX_PLANES, nt + nf);
    *n = (size_t)(nt + nf);
    if (*n == 0) return CZ_OK;
    d.ntwins = (size_t)nt;
    d.nfaults = (size_t)nf;
    d.seed = c->seed;
    d.stream = field_stream(c);
    if (cz_defect_planes_draw(lat, vol, &d, CZ_DEFECTS_MAX_PLANES, planes) != CZ_OK)
        return bad(c, m, "%s", cz_last_error());
    /* Reported in the form of explicit `planes:`, which build the same crystal. */
    for (size_t i = 0; s == CZ_OK && i < *n; i++) {
        const cz_defect_plane *pl_i = &planes[i];
        const char *kind = pl_i->kind == CZ_DEFECT_TWIN ? "twin" : "fault";
        if (pl_i->kind == CZ_DEFECT_MIRROR) kind = "mirror";
        size_t o = path_push(c, ".planes[%zu]", i), o2 = path_push(c, ".kind");
        s = record(c, NAN, kind);
        path_pop(c, o2);
        o2 = path_push(c, ".hkl");
        for (size_t k = 0; s == CZ_OK && k < 3; k++) s = record_element(c, k, pl_i->hkl[k]);
        path_pop(c, o2);
        o2 = path_push(c, ".position");
        if (s == CZ_OK) s = record(c, pl_i->position, NULL);
        path_pop(c, o2);
        path_pop(c, o);
    }
    return s;
}

/* A crystalline slab matched to the scene cell. */
static cz_status build_substrate_object(ctx *c, const snode *m, cz_scene *scene) {
    static const char *const keys[] = {"name", "substrate", "lattice", "priority", "class", NULL};
    cz_status s = check_keys(c, m, keys, "a substrate object");
    if (s != CZ_OK) return s;
    const snode *sn = map_get(m, "substrate");
    static const char *const k2[] = {"mos2", "graphene", "slab", "top", "max_strain", NULL};
    size_t o = path_push(c, ".substrate");
    if (!c->has_cell || fabs(c->cell[0][2]) > 1e-12 || fabs(c->cell[1][2]) > 1e-12 ||
        fabs(c->cell[2][0]) > 1e-12 || fabs(c->cell[2][1]) > 1e-12) {
        s = bad(c, sn, "a substrate needs a scene cell with a, b in the xy plane and c along z");
        path_pop(c, o);
        return s;
    }
    s = check_keys(c, sn, k2, "a substrate");
    int nkinds = (map_get(sn, "mos2") != NULL) + (map_get(sn, "graphene") != NULL) +
                 (map_get(sn, "slab") != NULL);
    if (s == CZ_OK && nkinds != 1) s = bad(c, sn, "give exactly one of mos2, graphene, slab");
    cz_slab_opts so;
    cz_slab_opts_default(&so);
    so.lateral = CZ_SLAB_MATCH;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) so.target[i][k] = c->cell[i][k];
    so.cell_height = c->cell[2][2];
    so.z_top = NAN;
    if (s == CZ_OK && map_get(sn, "top")) {
        size_t o2 = path_push(c, ".top");
        s = get_number_in(c, map_get(sn, "top"), 0, c->cell[2][2], 0, &so.z_top);
        path_pop(c, o2);
    }
    if (s == CZ_OK && map_get(sn, "max_strain")) {
        size_t o2 = path_push(c, ".max_strain");
        s = get_number_in(c, map_get(sn, "max_strain"), 0, 0.5, 0, &so.max_strain);
        path_pop(c, o2);
    }
    cz_slab *slab = NULL;
    cz_lattice *lat = NULL;
    if (s == CZ_OK && !map_get(sn, "slab")) {
        int mos2 = map_get(sn, "mos2") != NULL;
        const snode *kn = mos2 ? map_get(sn, "mos2") : map_get(sn, "graphene");
        static const char *const k3[] = {"layers", NULL};
        long layers = 1;
        size_t o2 = path_push(c, mos2 ? ".mos2" : ".graphene");
        s = check_keys(c, kn, k3, "layers");
        if (s == CZ_OK && map_get(kn, "layers")) {
            size_t o3 = path_push(c, ".layers");
            s = get_int(c, map_get(kn, "layers"), 1, 1000, &layers);
            path_pop(c, o3);
        }
        if (s == CZ_OK && map_get(m, "lattice"))
            s = bad(c, map_get(m, "lattice"), "named substrates bring their own lattice");
        if (s == CZ_OK) {
            s = mos2 ? cz_slab_mos2((size_t)layers, &so, &slab) : cz_slab_graphene((size_t)layers, &so, &slab);
            if (s != CZ_OK) s = bad(c, kn, "%s", cz_last_error());
        }
        path_pop(c, o2);
    } else if (s == CZ_OK) {
        const snode *kn = map_get(sn, "slab");
        static const char *const k3[] = {"hkl", "planes", "thickness", "termination", "inplane",
                                         NULL};
        size_t o2 = path_push(c, ".slab");
        s = check_keys(c, kn, k3, "a slab");
        if (s == CZ_OK && !map_get(m, "lattice")) s = bad(c, kn, "a slab needs the object's lattice");
        if (s == CZ_OK && map_get(kn, "planes") && map_get(kn, "thickness"))
            s = bad(c, kn, "give planes or thickness, not both");
        long v = 0;
        if (s == CZ_OK && map_get(kn, "hkl")) {
            size_t o3 = path_push(c, ".hkl");
            s = get_hkl(c, map_get(kn, "hkl"), so.hkl);
            path_pop(c, o3);
        }
        if (s == CZ_OK && map_get(kn, "planes")) {
            size_t o3 = path_push(c, ".planes");
            s = get_int(c, map_get(kn, "planes"), 1, 100000, &v);
            so.nplanes = (size_t)v;
            path_pop(c, o3);
        }
        if (s == CZ_OK && map_get(kn, "thickness")) {
            size_t o3 = path_push(c, ".thickness");
            s = get_number_in(c, map_get(kn, "thickness"), 0, INFINITY, 1, &so.thickness);
            so.nplanes = 0;
            path_pop(c, o3);
        }
        if (s == CZ_OK && map_get(kn, "termination")) {
            size_t o3 = path_push(c, ".termination");
            s = get_int(c, map_get(kn, "termination"), -1, 1000, &v);
            so.termination = (int)v;
            path_pop(c, o3);
        }
        if (s == CZ_OK && map_get(kn, "inplane")) {
            size_t o3 = path_push(c, ".inplane");
            s = get_number(c, map_get(kn, "inplane"), &so.inplane_deg);
            path_pop(c, o3);
        }
        path_pop(c, o2);
        if (s == CZ_OK) {
            /* The lattice is the object's, not the substrate's: path objects[i].lattice. */
            path_pop(c, o);
            size_t o3 = path_push(c, ".lattice");
            s = build_lattice(c, map_get(m, "lattice"), &lat);
            path_pop(c, o3);
            o = path_push(c, ".substrate");
        }
        if (s == CZ_OK && cz_slab_create(lat, &so, &slab) != CZ_OK) {
            o2 = path_push(c, ".slab");
            s = bad(c, kn, "%s", cz_last_error());
            path_pop(c, o2);
        }
    }
    path_pop(c, o);
    cz_object_opts oo;
    cz_object_opts_default(&oo);
    oo.class_id = CZ_CLASS_SUBSTRATE;
    long prio = 0;
    if (s == CZ_OK && map_get(m, "priority")) {
        o = path_push(c, ".priority");
        s = get_int(c, map_get(m, "priority"), -1000000, 1000000, &prio);
        path_pop(c, o);
    }
    if (s == CZ_OK && map_get(m, "class")) {
        o = path_push(c, ".class");
        s = class_from_name(c, map_get(m, "class"), &oo.class_id);
        path_pop(c, o);
    }
    oo.priority = (int)prio;
    if (s == CZ_OK) s = note_object(c, m, scene, prio);
    if (s == CZ_OK) {
        note_surface(c, m, slab->z_top);
        s = cz_slab_add_to_scene(scene, slab, &oo, NULL);
    }
    cz_slab_destroy(slab);
    cz_lattice_destroy(lat);
    return s;
}

/* rest_on: {surface: height or the name of an earlier object, depth: Å, depth_fraction: f}.
 * Returns the z shift that sets the turned particle down: its lowest point at
 * surface − depth − f·extent. `region` is in the particle frame; `turn` turns it. */
static cz_status rest_shift(ctx *c, const snode *m, const cz_volume *region,
                            const cz_transform *turn, double *dz) {
    static const char *const keys[] = {"surface", "depth", "depth_fraction", NULL};
    cz_status s = check_keys(c, m, keys, "rest_on");
    if (s != CZ_OK) return s;
    const snode *sf = map_get(m, "surface");
    if (!sf) return bad(c, m, "missing required key \"surface\"");
    double surface = NAN, depth = 0, frac = 0;
    if (sf->kind == N_SCALAR && !sf->quoted) {
        char *end;
        double v = strtod(sf->text, &end);
        if (end != sf->text && *end == '\0') surface = v;
    }
    if (isnan(surface)) {
        size_t o = path_push(c, ".surface");
        if (sf->kind != N_SCALAR) {
            s = bad(c, sf, "must be a height (Å) or an object name");
        } else {
            for (size_t i = 0; i < c->nsurf; i++)
                if (strcmp(c->surf[i].name, sf->text) == 0) surface = c->surf[i].top;
            if (isnan(surface))
                s = bad(c, sf, "no earlier substrate or amorphous object named \"%s\"", sf->text);
        }
        path_pop(c, o);
        if (s != CZ_OK) return s;
    }
    FIELD(c, m, "depth", 0, get_number(c, node, &depth));
    FIELD(c, m, "depth_fraction", 0, get_number_in(c, node, 0, 1, 0, &frac));
    cz_volume *t = NULL;
    if ((s = cz_volume_transform(region, turn, &t)) != CZ_OK) return s;
    const double up[3] = {0, 0, 1}, down[3] = {0, 0, -1};
    double hi = cz_volume_support(t, up), lo = -cz_volume_support(t, down);
    cz_volume_destroy(t);
    if (!isfinite(hi) || !isfinite(lo)) return bad(c, m, "the particle is unbounded along z");
    *dz = surface - depth - frac * (hi - lo) - lo;
    return CZ_OK;
}

/* strain: {homogeneous: Voigt 6-vector | {voigt: [...], frame: crystal|cartesian},
 *          radial: {epsilon, exponent, radius, profile: power|inclusion}} — in place on the
 * object's atoms, about the particle's centre. */
static cz_status apply_strain(ctx *c, const snode *m, int object_id, const cz_transform *place,
                              const double center[3], cz_atoms *atoms) {
    static const char *const keys[] = {"homogeneous", "radial", NULL};
    cz_status s = check_keys(c, m, keys, "a strain");
    if (s != CZ_OK) return s;
    const snode *h = map_get(m, "homogeneous");
    if (h) {
        size_t o = path_push(c, ".homogeneous");
        double v[6], eps[3][3];
        cz_strain_frame frame = CZ_STRAIN_CRYSTAL;
        if (h->kind == N_MAP && !is_distribution(h)) {
            static const char *const k2[] = {"voigt", "frame", NULL};
            s = check_keys(c, h, k2, "a homogeneous strain");
            if (s == CZ_OK && !map_get(h, "voigt")) s = bad(c, h, "missing required key \"voigt\"");
            if (s == CZ_OK) {
                size_t o2 = path_push(c, ".voigt");
                s = get_vector(c, map_get(h, "voigt"), 6, v);
                path_pop(c, o2);
            }
            if (s == CZ_OK && map_get(h, "frame")) {
                const char *w = NULL;
                size_t o2 = path_push(c, ".frame");
                s = get_string(c, map_get(h, "frame"), &w);
                if (s == CZ_OK && strcmp(w, "crystal") == 0) frame = CZ_STRAIN_CRYSTAL;
                else if (s == CZ_OK && strcmp(w, "cartesian") == 0) frame = CZ_STRAIN_CARTESIAN;
                else if (s == CZ_OK) s = bad(c, map_get(h, "frame"), "must be crystal or cartesian");
                path_pop(c, o2);
            }
        } else {
            s = get_vector(c, h, 6, v);
        }
        for (int k = 0; s == CZ_OK && k < 6; k++)
            if (fabs(v[k]) > 0.5) s = bad(c, h, "strain components must be within ±0.5 (got %g)", v[k]);
        cz_transform tf;
        if (s == CZ_OK) s = cz_strain_from_voigt(v, eps);
        if (s == CZ_OK) s = cz_strain_transform(CZ_CROWS(eps), frame, place, center, &tf);
        if (s == CZ_OK)
            for (size_t i = 0; i < atoms->n; i++)
                if (atoms->object_id[i] == object_id)
                    cz_transform_apply(&tf, atoms->xyz[i], atoms->xyz[i]);
        path_pop(c, o);
        if (s != CZ_OK) return s;
    }
    const snode *r = map_get(m, "radial");
    if (r) {
        static const char *const k2[] = {"epsilon", "exponent", "radius", "profile", NULL};
        cz_radial_strain_opts ro;
        cz_radial_strain_opts_default(&ro);
        size_t o = path_push(c, ".radial");
        s = check_keys(c, r, k2, "a radial strain");
        if (s == CZ_OK && !map_get(r, "epsilon")) s = bad(c, r, "missing required key \"epsilon\"");
        if (s == CZ_OK) {
            size_t o2 = path_push(c, ".epsilon");
            s = get_number_in(c, map_get(r, "epsilon"), -0.5, 0.5, 0, &ro.epsilon);
            path_pop(c, o2);
        }
        if (s == CZ_OK && map_get(r, "exponent")) {
            size_t o2 = path_push(c, ".exponent");
            s = get_number_in(c, map_get(r, "exponent"), 0, 100, 0, &ro.exponent);
            path_pop(c, o2);
        }
        if (s == CZ_OK && map_get(r, "radius")) {
            size_t o2 = path_push(c, ".radius");
            s = get_number_in(c, map_get(r, "radius"), 0, INFINITY, 1, &ro.radius);
            path_pop(c, o2);
        } else if (s == CZ_OK) {
            /* R defaults to the object's largest distance from its centre. */
            double rmax = 0;
            for (size_t i = 0; i < atoms->n; i++)
                if (atoms->object_id[i] == object_id) {
                    double d[3] = {atoms->xyz[i][0] - center[0], atoms->xyz[i][1] - center[1],
                                   atoms->xyz[i][2] - center[2]};
                    rmax = fmax(rmax, v3_norm(d));
                }
            ro.radius = rmax > 0 ? rmax : 1.0;
        }
        if (s == CZ_OK && map_get(r, "profile")) {
            const char *w = NULL;
            size_t o2 = path_push(c, ".profile");
            s = get_string(c, map_get(r, "profile"), &w);
            if (s == CZ_OK && strcmp(w, "power") == 0) ro.profile = CZ_RADIAL_POWER;
            else if (s == CZ_OK && strcmp(w, "inclusion") == 0) ro.profile = CZ_RADIAL_INCLUSION;
            else if (s == CZ_OK) s = bad(c, map_get(r, "profile"), "must be power or inclusion");
            path_pop(c, o2);
        }
        memcpy(ro.center, center, sizeof ro.center);
        ro.object_id = object_id;
        if (s == CZ_OK && cz_strain_radial(atoms, &ro, NULL) != CZ_OK) s = bad(c, r, "%s", cz_last_error());
        path_pop(c, o);
    }
    return s;
}

/* composition: {substitute: [{from, to, fraction}], vacancies: f | {fraction, element},
 *               roughness: f | {fraction, passes}} — on the object's atoms, seeded. */
static cz_status apply_composition(ctx *c, const snode *m, int object_id, size_t k,
                                   cz_atoms *atoms) {
    static const char *const keys[] = {"substitute", "vacancies", "roughness", NULL};
    cz_status s = check_keys(c, m, keys, "a composition");
    if (s != CZ_OK) return s;
    uint64_t stream = field_stream(c) + 64 * k;
    const snode *sb = map_get(m, "substitute");
    if (sb) {
        size_t o = path_push(c, ".substitute");
        if (sb->kind != N_SEQ) s = bad(c, sb, "must be a list of {from, to, fraction}");
        for (size_t i = 0; s == CZ_OK && i < sb->n; i++) {
            static const char *const k2[] = {"from", "to", "fraction", NULL};
            const snode *e = sb->kids[i];
            cz_substitute_opts so;
            cz_substitute_opts_default(&so);
            size_t o2 = path_push(c, "[%zu]", i);
            s = check_keys(c, e, k2, "a substitution");
            if (s == CZ_OK && (!map_get(e, "from") || !map_get(e, "to") || !map_get(e, "fraction")))
                s = bad(c, e, "a substitution needs from, to and fraction");
            if (s == CZ_OK) {
                size_t o3 = path_push(c, ".from");
                s = get_element(c, map_get(e, "from"), &so.z_from);
                path_pop(c, o3);
            }
            if (s == CZ_OK) {
                size_t o3 = path_push(c, ".to");
                s = get_element(c, map_get(e, "to"), &so.z_to);
                path_pop(c, o3);
            }
            if (s == CZ_OK) {
                size_t o3 = path_push(c, ".fraction");
                s = get_number_in(c, map_get(e, "fraction"), 0, 1, 0, &so.fraction);
                path_pop(c, o3);
            }
            so.object_id = object_id;
            so.seed = c->seed;
            so.stream = stream + i;
            if (s == CZ_OK && cz_atoms_substitute(atoms, &so, NULL) != CZ_OK)
                s = bad(c, e, "%s", cz_last_error());
            path_pop(c, o2);
        }
        path_pop(c, o);
        if (s != CZ_OK) return s;
    }
    const snode *vn = map_get(m, "vacancies");
    if (vn) {
        cz_vacancy_opts vo;
        cz_vacancy_opts_default(&vo);
        size_t o = path_push(c, ".vacancies");
        if (vn->kind == N_MAP && !is_distribution(vn)) {
            static const char *const k2[] = {"fraction", "element", NULL};
            s = check_keys(c, vn, k2, "vacancies");
            if (s == CZ_OK && !map_get(vn, "fraction")) s = bad(c, vn, "missing required key \"fraction\"");
            if (s == CZ_OK) {
                size_t o2 = path_push(c, ".fraction");
                s = get_number_in(c, map_get(vn, "fraction"), 0, 1, 0, &vo.fraction);
                path_pop(c, o2);
            }
            if (s == CZ_OK && map_get(vn, "element")) {
                size_t o2 = path_push(c, ".element");
                s = get_element(c, map_get(vn, "element"), &vo.z);
                path_pop(c, o2);
            }
        } else {
            s = get_number_in(c, vn, 0, 1, 0, &vo.fraction);
        }
        vo.object_id = object_id;
        vo.seed = c->seed;
        vo.stream = stream + 32;
        if (s == CZ_OK && cz_atoms_vacate(atoms, &vo, NULL) != CZ_OK) s = bad(c, vn, "%s", cz_last_error());
        path_pop(c, o);
        if (s != CZ_OK) return s;
    }
    const snode *rn = map_get(m, "roughness");
    if (rn) {
        cz_roughen_opts ro;
        cz_roughen_opts_default(&ro);
        long passes = 1;
        size_t o = path_push(c, ".roughness");
        if (rn->kind == N_MAP && !is_distribution(rn)) {
            static const char *const k2[] = {"fraction", "passes", NULL};
            s = check_keys(c, rn, k2, "a roughness");
            if (s == CZ_OK && !map_get(rn, "fraction")) s = bad(c, rn, "missing required key \"fraction\"");
            if (s == CZ_OK) {
                size_t o2 = path_push(c, ".fraction");
                s = get_number_in(c, map_get(rn, "fraction"), 0, 1, 0, &ro.fraction);
                path_pop(c, o2);
            }
            if (s == CZ_OK && map_get(rn, "passes")) {
                size_t o2 = path_push(c, ".passes");
                s = get_int(c, map_get(rn, "passes"), 1, 100, &passes);
                path_pop(c, o2);
            }
        } else {
            s = get_number_in(c, rn, 0, 1, 0, &ro.fraction);
        }
        ro.passes = (int)passes;
        ro.object_id = object_id;
        ro.seed = c->seed;
        ro.stream = stream + 40;
        if (s == CZ_OK && cz_atoms_roughen(atoms, &ro, NULL) != CZ_OK) s = bad(c, rn, "%s", cz_last_error());
        path_pop(c, o);
    }
    return s;
}

/* A file named in the spec: absolute, or relative to the spec's directory. */
static void spec_path(const ctx *c, const char *name, char *buf, size_t len) {
    if (name[0] == '/' || !c->spec->dir[0])
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "%s%s", c->spec->dir, name);
}

/* Decorate object `object_id` with molecules (after the scene is built, so the sites are the
 * particle's real surface atoms) and append them to the atoms. */
static cz_status apply_ligands(ctx *c, const snode *m, int object_id, size_t k, cz_atoms *atoms) {
    static const char *const keys[] = {"molecule", "anchor", "bond_length", "coverage",
                                       "clash_distance", "ligand_distance", NULL};
    cz_status s = check_keys(c, m, keys, "ligands");
    if (s != CZ_OK) return s;
    cz_ligand_opts lo;
    cz_ligand_opts_default(&lo);
    const char *file = NULL;
    long anchor = 0;
    FIELD(c, m, "molecule", 1, get_string(c, node, &file));
    FIELD(c, m, "bond_length", 1, get_number_in(c, node, 0, 10, 1, &lo.bond_length));
    FIELD(c, m, "anchor", 0, get_int(c, node, 0, 100000, &anchor));
    FIELD(c, m, "coverage", 0, get_number_in(c, node, 0, 1, 0, &lo.coverage));
    FIELD(c, m, "clash_distance", 0, get_number_in(c, node, 0, 10, 0, &lo.clash_distance));
    FIELD(c, m, "ligand_distance", 0, get_number_in(c, node, 0, 10, 0, &lo.ligand_distance));
    lo.anchor = (size_t)anchor;
    lo.sites.object_id = object_id;
    lo.seed = c->seed;
    lo.stream = field_stream(c) + 2 * k;
    char path[1024];
    spec_path(c, file, path, sizeof path);
    cz_atoms *mol = NULL, *ligs = NULL;
    s = cz_atoms_read(path, CZ_FORMAT_AUTO, &mol);
    if (s == CZ_OK) s = cz_ligands_place(atoms, NULL, mol, &lo, &ligs, NULL);
    if (s == CZ_OK) s = cz_atoms_append(atoms, ligs);
    cz_atoms_destroy(mol);
    cz_atoms_destroy(ligs);
    if (s == CZ_EINVAL || s == CZ_EIO) s = bad(c, m, "%s", cz_last_error());
    return s;
}

/* Orientation, position (x, y, z; or x, y with rest_on), priority and class of an object:
 * `tf` takes the particle frame to the world. The particle's centre goes to the origin, the
 * orientation turns it about that point, then it moves to its position. `region` (particle
 * frame) is what rest_on sets down. */
static cz_status build_placement(ctx *c, const snode *m, const cz_lattice *lat,
                                 const cz_volume *region, const double center[3],
                                 const double *facet, cz_transform *tf, long *prio, int *cls) {
    cz_transform rot, move, shift;
    double pos[3] = {0, 0, 0}, mc[3] = {-center[0], -center[1], -center[2]};
    const snode *on = map_get(m, "orientation"), *rn = map_get(m, "rest_on");
    cz_transform_identity(&rot);
    FIELD(c, m, "orientation", 0, build_orientation(c, node, lat, facet, &rot));
    /* Resting particles take their height from the surface: x, y only. */
    FIELD(c, m, "position", 0, get_vector(c, node, rn ? 2 : 3, pos));
    FIELD(c, m, "priority", 0, get_int(c, node, -1000000, 1000000, prio));
    FIELD(c, m, "class", 0, class_from_name(c, node, cls));
    (void)on;
    cz_transform_translation(mc, &shift);
    cz_transform_compose(&shift, &rot, tf);
    FIELD(c, m, "rest_on", 0, rest_shift(c, node, region, tf, &pos[2]));
    cz_transform_translation(pos, &move);
    cz_transform_compose(tf, &move, tf);
    return CZ_OK;
}

/* Remember an object whose atoms get strain, composition or ligands after the build. */
static cz_status note_post(ctx *c, const snode *m, const cz_scene *scene, const cz_transform *tf,
                           const double center_pf[3]) {
    if (!map_get(m, "ligands") && !map_get(m, "strain") && !map_get(m, "composition"))
        return CZ_OK;
    if (c->npost >= sizeof c->post / sizeof c->post[0])
        return bad(c, m, "at most 64 objects with strain, composition or ligands");
    c->post[c->npost].object_id = (int)cz_scene_count(scene) + 1;
    c->post[c->npost].node = m;
    memcpy(c->post[c->npost].path, c->path, c->plen + 1);
    c->post[c->npost].placement = *tf;
    cz_transform_apply(tf, center_pf, c->post[c->npost].center);
    c->npost++;
    return CZ_OK;
}

/* A core–shell particle: two lattices in two shapes, the core winning the overlap. */
static cz_status build_core_shell_object(ctx *c, const snode *m, cz_scene *scene) {
    static const char *const keys[] = {"name", "core_shell", "position", "orientation",
                                       "rest_on", "priority", "class", "ligands", "strain",
                                       "composition", NULL};
    cz_status s = check_keys(c, m, keys, "a core-shell object");
    if (s != CZ_OK) return s;
    const snode *cs = map_get(m, "core_shell");
    static const char *const k2[] = {"core", "shell", "mismatch", NULL};
    static const char *const k3[] = {"lattice", "shape", NULL};
    cz_lattice *lat[2] = {NULL, NULL};
    cz_volume *vol[2] = {NULL, NULL};
    cz_core_shell_opts co;
    cz_core_shell_opts_default(&co);
    size_t o = path_push(c, ".core_shell");
    s = check_keys(c, cs, k2, "a core and a shell");
    for (int i = 0; s == CZ_OK && i < 2; i++) {
        const char *part = i ? "shell" : "core";
        const snode *pn = map_get(cs, part);
        if (!pn) {
            s = bad(c, cs, "missing required key \"%s\"", part);
            break;
        }
        size_t o2 = path_push(c, ".%s", part);
        s = check_keys(c, pn, k3, "a lattice and a shape");
        if (s == CZ_OK && (!map_get(pn, "lattice") || !map_get(pn, "shape")))
            s = bad(c, pn, "give a lattice and a shape");
        if (s == CZ_OK) {
            size_t o3 = path_push(c, ".lattice");
            s = build_lattice(c, map_get(pn, "lattice"), &lat[i]);
            path_pop(c, o3);
        }
        if (s == CZ_OK) {
            size_t o3 = path_push(c, ".shape");
            s = build_shape(c, map_get(pn, "shape"), lat[i], &vol[i]);
            path_pop(c, o3);
        }
        path_pop(c, o2);
    }
    if (s == CZ_OK && map_get(cs, "mismatch")) {
        size_t o2 = path_push(c, ".mismatch");
        s = get_number_in(c, map_get(cs, "mismatch"), -0.5, 0.5, 0, &co.mismatch);
        path_pop(c, o2);
    }
    path_pop(c, o);
    long prio = 0;
    int cls = CZ_CLASS_PARTICLE;
    const double zero[3] = {0, 0, 0};
    if (s == CZ_OK)
        s = build_placement(c, m, lat[0], vol[1], zero, NULL, &co.placement, &prio, &cls);
    if (s == CZ_OK) s = note_object(c, m, scene, prio);
    if (s == CZ_OK) s = note_post(c, m, scene, &co.placement, zero);
    if (s == CZ_OK) {
        co.object.priority = (int)prio;
        co.object.class_id = cls;
        s = cz_scene_add_core_shell(scene, lat[0], vol[0], lat[1], vol[1], &co, NULL);
        if (s != CZ_OK) s = bad(c, cs, "%s", cz_last_error());
    }
    for (int i = 0; i < 2; i++) {
        cz_lattice_destroy(lat[i]);
        cz_volume_destroy(vol[i]);
    }
    return s;
}

static cz_status build_object(ctx *c, const snode *m, cz_scene *scene) {
    if (m->kind == N_MAP && map_get(m, "amorphous")) return build_amorphous_object(c, m, scene);
    if (m->kind == N_MAP && map_get(m, "substrate")) return build_substrate_object(c, m, scene);
    if (m->kind == N_MAP && map_get(m, "core_shell")) return build_core_shell_object(c, m, scene);
    static const char *const keys[] = {"name", "lattice", "shape", "particle", "defects",
                                       "position", "orientation", "priority", "class",
                                       "amorphous", "substrate", "rest_on", "ligands",
                                       "core_shell", "strain", "composition", NULL};
    cz_status s = check_keys(c, m, keys, "an object");
    if (s != CZ_OK) return s;
    const snode *ln = map_get(m, "lattice"), *sn = map_get(m, "shape"), *pn_ = map_get(m, "particle"),
                *dn = map_get(m, "defects");
    if (!ln) return bad(c, m, "missing required key \"lattice\"");
    if ((sn != NULL) == (pn_ != NULL)) return bad(c, m, "give exactly one of shape, particle");
    if (map_get(m, "name") && map_get(m, "name")->kind != N_SCALAR)
        return bad(c, map_get(m, "name"), "must be a name");
    cz_lattice *lat = NULL;
    cz_volume *vol = NULL;
    cz_particle *part = NULL;
    cz_transform both;
    long prio = 0;
    int cls = CZ_CLASS_PARTICLE;
    size_t o = path_push(c, ".lattice");
    s = build_lattice(c, ln, &lat);
    path_pop(c, o);
    if (s != CZ_OK) return s;
    if (sn) {
        o = path_push(c, ".shape");
        s = build_shape(c, sn, lat, &vol);
        path_pop(c, o);
    } else {
        o = path_push(c, ".particle");
        s = build_particle(c, pn_, lat, &part);
        path_pop(c, o);
    }
    /* The particle's region (the shape, or the union of its grains) for rest_on. */
    cz_volume *region = NULL;
    if (s == CZ_OK && vol) {
        s = cz_volume_copy(vol, &region);
    } else if (s == CZ_OK) {
        for (size_t g = 0; s == CZ_OK && g < part->ngrains; g++) {
            cz_volume *v = NULL;
            s = cz_volume_copy(part->grains[g].volume, &v);
            if (s == CZ_OK) s = accumulate(&region, v, 1);
        }
    }
    const double zero[3] = {0, 0, 0};
    if (s == CZ_OK)
        s = build_placement(c, m, lat, region, part ? part->center : zero,
                            part && part->interface_facet >= 0
                                ? part->facets[part->interface_facet].normal
                                : NULL,
                            &both, &prio, &cls);
    cz_volume_destroy(region);
    if (s == CZ_OK) s = note_object(c, m, scene, prio);
    if (s == CZ_OK) s = note_post(c, m, scene, &both, part ? part->center : zero);
    /* Defects split one crystal region: a shape, or a single-grain (Wulff) particle. */
    cz_defect_plane planes[CZ_DEFECTS_MAX_PLANES];
    size_t nplanes = 0;
    if (s == CZ_OK && dn) {
        const cz_volume *cut = vol;
        o = path_push(c, ".defects");
        if (part && (part->kind != CZ_PARTICLE_WULFF || part->ngrains != 1))
            s = bad(c, dn, "defects apply to shapes and Wulff particles, not multiply twinned ones");
        if (s == CZ_OK && part) cut = part->grains[0].volume;
        if (s == CZ_OK) s = build_defects(c, dn, lat, cut, planes, &nplanes);
        path_pop(c, o);
        if (s == CZ_OK && part && !vol) s = cz_volume_copy(part->grains[0].volume, &vol);
    }
    if (s == CZ_OK && dn) {
        cz_defects_opts dopt;
        cz_defects_opts_default(&dopt);
        dopt.placement = both;
        dopt.object.priority = (int)prio;
        dopt.object.class_id = cls;
        const cz_lattice *glat = part ? part->lattice : lat;
        s = cz_scene_add_defected_crystal(scene, glat, vol, nplanes, planes, &dopt, NULL, NULL);
        if (s != CZ_OK) {
            o = path_push(c, ".defects");
            s = bad(c, dn, "%s", cz_last_error());
            path_pop(c, o);
        }
    } else if (s == CZ_OK && part) {
        cz_particle_place_opts po;
        cz_particle_place_opts_default(&po);
        po.placement = both;
        po.priority = (int)prio;
        po.class_id = cls;
        s = cz_scene_add_particle(scene, part, &po, NULL);
    } else if (s == CZ_OK) {
        cz_object_opts oo;
        cz_object_opts_default(&oo);
        oo.priority = (int)prio;
        oo.class_id = cls;
        size_t idx = 0;
        s = cz_scene_add_crystal(scene, lat, vol, &oo, &idx);
        if (s == CZ_OK) s = cz_scene_transform(scene, idx, &both, CZ_APPLY_LOCKED);
    }
    cz_particle_destroy(part);
    cz_lattice_destroy(lat);
    cz_volume_destroy(vol);
    return s;
}

/* ------------------------------------------------------------------ build ---- */

void cz_spec_build_opts_default(cz_spec_build_opts *o) {
    o->seed = 0;
    o->use_seed = 0;
    o->max_atoms = CZ_MAX_ATOMS;
    o->nthreads = 0;
    o->draws = NULL;
}

/* The whole build; cz_spec_build checks the arguments and settles the list of draws. */
static cz_status build_scene(const cz_spec *spec, const cz_spec_build_opts *opts, cz_atoms **out,
                             uint64_t *seed_used) {
    cz_spec_build_opts bo;
    cz_spec_build_opts_default(&bo);
    if (opts) bo = *opts;
    ctx c;
    memset(&c, 0, sizeof c);
    c.spec = spec;
    c.draws = bo.draws;
    const snode *root = spec->root;
    static const char *const keys[] = {"seed", "cell", "pbc", "vacuum", "max_atoms", "objects",
                                       "clash_distance", NULL};
    cz_status s = check_keys(&c, root, keys, "a scene spec");
    if (s != CZ_OK) return s;
    long seed = 0, cap = 0;
    FIELD(&c, root, "seed", 0, get_int(&c, node, 0, 9007199254740991L, &seed));
    c.seed = bo.use_seed ? bo.seed : (uint64_t)seed;
    if (seed_used) *seed_used = c.seed;
    FIELD(&c, root, "max_atoms", 0, get_int(&c, node, 1, (long)CZ_MAX_ATOMS, &cap));
    if (cap > 0 && (size_t)cap < bo.max_atoms) bo.max_atoms = (size_t)cap;
    double cell[3][3] = {{0}}, vacuum = 5.0;
    int pbc[3] = {0, 0, 0}, has_cell = 0;
    const snode *cn = map_get(root, "cell");
    if (cn) {
        size_t o = path_push(&c, ".cell");
        double l[3];
        if (cn->kind == N_SEQ && cn->n == 3 && cn->kids[0]->kind == N_SEQ) {
            for (int i = 0; i < 3 && s == CZ_OK; i++) {
                size_t o2 = path_push(&c, "[%d]", i);
                s = get_vector(&c, cn->kids[i], 3, cell[i]);
                path_pop(&c, o2);
            }
        } else {
            s = get_vector(&c, cn, 3, l);
            for (int i = 0; i < 3 && s == CZ_OK; i++) {
                if (!(l[i] > 0)) s = bad(&c, cn, "cell lengths must be > 0 (got %g)", l[i]);
                cell[i][i] = l[i];
            }
        }
        path_pop(&c, o);
        if (s != CZ_OK) return s;
        has_cell = 1;
    }
    const snode *pn = map_get(root, "pbc");
    if (pn) {
        size_t o = path_push(&c, ".pbc");
        if (pn->kind == N_SEQ && pn->n == 3) {
            for (int i = 0; i < 3 && s == CZ_OK; i++) s = get_bool(&c, pn->kids[i], &pbc[i]);
        } else {
            s = get_bool(&c, pn, &pbc[0]);
            pbc[1] = pbc[2] = pbc[0];
        }
        if (s == CZ_OK && !has_cell && (pbc[0] || pbc[1] || pbc[2]))
            s = bad(&c, pn, "periodic boundaries need a cell");
        path_pop(&c, o);
        if (s != CZ_OK) return s;
    }
    FIELD(&c, root, "vacuum", 0, get_number_in(&c, node, 0, INFINITY, 0, &vacuum));
    double clash = 0;
    FIELD(&c, root, "clash_distance", 0, get_number_in(&c, node, 0, 10, 0, &clash));
    const snode *objs = map_get(root, "objects");
    if (!objs) return bad(&c, root, "missing required key \"objects\"");
    if (objs->kind != N_SEQ || objs->n == 0)
        return bad(&c, objs, "objects must be a non-empty list");
    cz_scene *scene = NULL;
    if ((s = cz_scene_create(&scene)) != CZ_OK) return s;
    memcpy(c.cell, cell, sizeof c.cell);
    memcpy(c.pbc, pbc, sizeof c.pbc);
    c.has_cell = has_cell;
    if (has_cell && cz_scene_set_cell(scene, CZ_CROWS(cell), pbc) != CZ_OK) {
        size_t o = path_push(&c, ".cell");
        s = bad(&c, cn, "%s", cz_last_error());
        path_pop(&c, o);
    }
    for (size_t i = 0; s == CZ_OK && i < objs->n; i++) {
        size_t o = path_push(&c, ".objects[%zu]", i);
        s = build_object(&c, objs->kids[i], scene);
        path_pop(&c, o);
    }
    cz_atoms *atoms = NULL;
    if (s == CZ_OK) {
        cz_populate_opts po;
        cz_populate_opts_default(&po);
        po.max_atoms = bo.max_atoms;
        po.nthreads = bo.nthreads;
        s = cz_scene_populate(scene, &po, &atoms);
        /* After the build: each object's strain and composition, then clash removal across
         * objects, then ligands on the final surfaces. */
        for (int phase = 0; phase < 3 && s == CZ_OK; phase++) {
            if (phase == 1 && clash > 0) {
                /* No two atoms of different objects closer than clash_distance; priorities
                 * decide, ties go to the earlier object, as for overlaps. */
                cz_clash_opts co;
                cz_clash_opts_default(&co);
                co.distance = clash;
                co.priority = c.prio;
                co.npriority = cz_scene_count(scene) + 1;
                co.nthreads = bo.nthreads;
                s = cz_atoms_remove_clashes(atoms, &co, NULL);
            }
            for (size_t k = 0; phase != 1 && s == CZ_OK && k < c.npost; k++) {
                const snode *m = c.post[k].node;
                const char *what = phase == 0 ? "strain" : "ligands";
                size_t len = strlen(c.post[k].path);
                memcpy(c.path, c.post[k].path, len + 1);
                c.plen = len;
                for (int sub = 0; sub < (phase == 0 ? 2 : 1) && s == CZ_OK; sub++) {
                    if (phase == 0 && sub == 1) what = "composition";
                    const snode *blk = map_get(m, what);
                    if (!blk) continue;
                    size_t o = path_push(&c, ".%s", what);
                    if (phase == 2)
                        s = apply_ligands(&c, blk, c.post[k].object_id, k, atoms);
                    else if (sub == 0)
                        s = apply_strain(&c, blk, c.post[k].object_id, &c.post[k].placement,
                                         c.post[k].center, atoms);
                    else
                        s = apply_composition(&c, blk, c.post[k].object_id, k, atoms);
                    path_pop(&c, o);
                }
                c.path[0] = '\0';
                c.plen = 0;
            }
        }
        if (s == CZ_OK && atoms->n == 0) {
            s = bad(&c, objs, "the scene holds no atoms");
        } else if (s == CZ_OK && !has_cell) {
            s = cz_atoms_center(atoms, vacuum);
        }
    }
    cz_scene_destroy(scene);
    if (s != CZ_OK) {
        cz_atoms_destroy(atoms);
        return s;
    }
    *out = atoms;
    return CZ_OK;
}

cz_status cz_spec_build(const cz_spec *spec, const cz_spec_build_opts *opts, cz_atoms **out,
                        uint64_t *seed_used) {
    cz_spec_draws *d = opts ? opts->draws : NULL;
    if (d) d->n = d->nchars = 0;
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!spec) return CZ_FAIL(CZ_EINVAL, "spec must not be NULL");
    cz_status s = build_scene(spec, opts, out, seed_used);
    /* Entries become visible only for a scene that was built. */
    if (d && s == CZ_OK) draws_finish(d);
    if (d && s != CZ_OK) d->n = d->nchars = 0;
    return s;
}
