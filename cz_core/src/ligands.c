/* ligands.c — surface sites and ligand placement (see cz_ligands.h). */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_composition.h"
#include "cz/cz_ligands.h"
#include "cz/cz_rng.h"
#include "error.h"
#include "vec.h"

/* Spin draws of site s live at indices s·SPIN_STRIDE + attempt, so raising max_attempts only
 * appends attempts and never changes the spins already drawn. max_attempts is capped below. */
#define SPIN_STRIDE ((uint64_t)1 << 20)
#define MAX_ATTEMPTS 1000000
/* Refuse searches that would visit more periodic image shifts than this per query: only a
 * search radius many times larger than a periodic cell width gets there. */
#define MAX_SHIFTS 10000.0

static const double TWO_PI = 2.0 * 3.14159265358979323846;

void cz_site_opts_default(cz_site_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->cutoff = NAN;
    o->exposed_only = 1;
}

void cz_ligand_opts_default(cz_ligand_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->bond_length = NAN;
    o->coverage = 1.0;
    o->clash_distance = 2.0;
    o->ligand_distance = 2.0;
    o->max_attempts = 24;
    cz_site_opts_default(&o->sites);
}

/* ---- frame: periodic rows of the cell, completed to a basis ----------------------------- */

/* Along periodic axes positions are wrapped into the cell, and image shifts are whole cell
 * rows. Non-periodic axes need no row of their own, but a full basis makes "fractional along
 * a periodic axis" well defined, so they get unit vectors perpendicular to the periodic rows
 * (any zero or skew non-periodic cell row is thereby harmless). */
typedef struct frame {
    int per[3];
    int nper;
    double box[3][3]; /* rows; the cell rows along periodic axes */
    double inv[3][3]; /* box⁻¹: fractional f = x · inv */
    double width[3];  /* Å between the faces of the frame cell normal to row k */
} frame;

static void unit(double v[3]) {
    double s = v3_norm(v);
    v[0] /= s;
    v[1] /= s;
    v[2] /= s;
}

static cz_status frame_build(const cz_atoms *a, frame *f, const char *func) {
    memset(f, 0, sizeof *f);
    int pk[3], nk[3], np = 0, nn = 0;
    for (int k = 0; k < 3; k++) {
        f->per[k] = a->pbc[k] != 0;
        if (f->per[k]) {
            if (!v3_finite(a->cell[k]))
                return CZ_FAIL_AS(func, CZ_EINVAL, "cell row %d is not finite", k);
            memcpy(f->box[k], a->cell[k], sizeof f->box[k]);
            pk[np++] = k;
        } else {
            nk[nn++] = k;
        }
    }
    f->nper = np;
    if (np == 1) {
        /* Two unit vectors perpendicular to the periodic row: start from the Cartesian axis
         * least aligned with it so the Gram–Schmidt step is well conditioned. */
        double u[3] = {f->box[pk[0]][0], f->box[pk[0]][1], f->box[pk[0]][2]};
        if (!(v3_norm(u) > 0))
            return CZ_FAIL_AS(func, CZ_EINVAL, "periodic cell row %d is zero", pk[0]);
        unit(u);
        int m = 0;
        for (int k = 1; k < 3; k++)
            if (fabs(u[k]) < fabs(u[m])) m = k;
        double e[3] = {0.0, 0.0, 0.0};
        e[m] = 1.0;
        double t = v3_dot(e, u);
        double v1[3] = {e[0] - t * u[0], e[1] - t * u[1], e[2] - t * u[2]}, v2[3];
        unit(v1);
        v3_cross(u, v1, v2);
        memcpy(f->box[nk[0]], v1, sizeof v1);
        memcpy(f->box[nk[1]], v2, sizeof v2);
    } else if (np == 2) {
        double v[3];
        v3_cross(f->box[pk[0]], f->box[pk[1]], v);
        if (!(v3_norm(v) > 0))
            return CZ_FAIL_AS(func, CZ_EINVAL, "periodic cell rows %d and %d are parallel or zero",
                              pk[0], pk[1]);
        unit(v);
        memcpy(f->box[nk[0]], v, sizeof v);
    } else if (np == 0) {
        for (int k = 0; k < 3; k++) f->box[k][k] = 1.0;
    }
    if (!m3_inverse(CZ_CROWS(f->box), f->inv))
        return CZ_FAIL_AS(func, CZ_EINVAL, "the periodic cell rows are degenerate");
    /* |∇f_k| is the length of column k of inv; planes of constant f_k are 1/|∇f_k| apart. */
    for (int k = 0; k < 3; k++) {
        double c[3] = {f->inv[0][k], f->inv[1][k], f->inv[2][k]};
        f->width[k] = 1.0 / v3_norm(c);
    }
    return CZ_OK;
}

/* Fractional coordinates f = x · inv. */
static void frame_frac(const frame *f, const double x[3], double fr[3]) { m3_tmulv(f->inv, x, fr); }

/* x moved by whole periodic rows so that its fractional coordinate along every periodic axis
 * lies in [0, 1) (up to rounding). */
static void frame_wrap(const frame *f, const double x[3], double out[3]) {
    double fr[3];
    frame_frac(f, x, fr);
    out[0] = x[0];
    out[1] = x[1];
    out[2] = x[2];
    for (int k = 0; k < 3; k++) {
        if (!f->per[k]) continue;
        double w = floor(fr[k]);
        if (w == 0.0) continue;
        for (int m = 0; m < 3; m++) out[m] -= w * f->box[k][m];
    }
}

/* ---- grid: cell list by spatial hashing, with insertion -------------------------------- */

/* Points are binned in Cartesian cubes of edge h and the occupied bins hashed into a table,
 * so the grid needs no bounding box and accepts points one at a time (the ligands placed so
 * far). A query of radius r <= h visits at most 3 bins per axis for each periodic image shift
 * that can reach the frame cell, so it costs O(1) for bounded density. */
typedef long long binkey[3];

typedef struct grid {
    const frame *fr;
    double h;
    size_t n, cap;
    double (*pos)[3]; /* wrapped positions */
    binkey *key;      /* bin of each point */
    size_t *id;       /* the caller's index of each point */
    size_t *next;     /* next point in the same bucket; SIZE_MAX ends the chain */
    size_t *head;     /* [mask + 1] first point of each bucket */
    size_t mask;
    long reach[3]; /* image shifts −reach..reach along periodic axes */
} grid;

#define NIL ((size_t)-1)

static void grid_free(grid *g) {
    free(g->pos);
    free(g->key);
    free(g->id);
    free(g->next);
    free(g->head);
    memset(g, 0, sizeof *g);
}

static long long bin_of(double x, double h) {
    /* Clamping keeps the conversion defined for absurd coordinates; clamped bins merely
     * share a key, and every candidate's distance is tested anyway. */
    double b = floor(x / h);
    if (b > 1e15) b = 1e15;
    if (b < -1e15) b = -1e15;
    return (long long)b;
}

static size_t bucket_of(const grid *g, const long long k[3]) {
    uint64_t x = (uint64_t)k[0] * 0x9E3779B97F4A7C15u ^ (uint64_t)k[1] * 0xC2B2AE3D27D4EB4Fu ^
                 (uint64_t)k[2] * 0x165667B19E3779F9u;
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9u;
    x ^= x >> 32;
    return (size_t)x & g->mask;
}

static cz_status grid_init(grid *g, const frame *fr, double h, size_t cap, const char *func) {
    memset(g, 0, sizeof *g);
    g->fr = fr;
    g->h = h;
    g->cap = cap;
    double shifts = 1.0;
    for (int k = 0; k < 3; k++) {
        if (!fr->per[k]) continue;
        /* Wrapped points differ by less than one row along k (plus rounding), and a pair
         * within h differs by at most h/width rows more, so 2 + h/width shifts suffice. */
        double r = 2.0 + floor(h / fr->width[k]);
        shifts *= 2.0 * r + 1.0;
        if (!(shifts <= MAX_SHIFTS))
            return CZ_FAIL_AS(func, CZ_ERANGE,
                              "search radius %g Å is too large for a periodic cell %g Å wide", h,
                              fr->width[k]);
        g->reach[k] = (long)r;
    }
    size_t nb = 16;
    while (nb < 2 * cap) nb *= 2;
    g->mask = nb - 1;
    size_t c = cap ? cap : 1;
    g->pos = malloc(c * sizeof *g->pos);
    g->key = malloc(c * sizeof *g->key);
    g->id = malloc(c * sizeof *g->id);
    g->next = malloc(c * sizeof *g->next);
    g->head = malloc(nb * sizeof *g->head);
    if (!g->pos || !g->key || !g->id || !g->next || !g->head) {
        grid_free(g);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate a cell list of %zu points", cap);
    }
    for (size_t b = 0; b < nb; b++) g->head[b] = NIL;
    return CZ_OK;
}

/* Insert x under the caller's index id. The caller sized the grid (n < cap). */
static void grid_add(grid *g, const double x[3], size_t id) {
    size_t j = g->n++;
    frame_wrap(g->fr, x, g->pos[j]);
    for (int m = 0; m < 3; m++) g->key[j][m] = bin_of(g->pos[j][m], g->h);
    g->id[j] = id;
    size_t b = bucket_of(g, g->key[j]);
    g->next[j] = g->head[b];
    g->head[b] = j;
}

/* visit(ctx, id, d, d2) for every stored point image within r (<= h) of x, with d = image − x
 * and d2 = |d|²; each image once. Stops early and returns 1 when visit returns non-zero. */
typedef int (*visit_fn)(void *ctx, size_t id, const double d[3], double d2);

static int grid_query(const grid *g, const double x[3], double r, visit_fn visit, void *ctx) {
    if (g->n == 0) return 0;
    const frame *fr = g->fr;
    double xw[3], fq[3];
    frame_wrap(fr, x, xw);
    frame_frac(fr, xw, fq);
    double r2 = r * r;
    long lo[3], hi[3];
    for (int k = 0; k < 3; k++) lo[k] = -g->reach[k], hi[k] = g->reach[k];
    long n[3];
    for (n[0] = lo[0]; n[0] <= hi[0]; n[0]++) {
        for (n[1] = lo[1]; n[1] <= hi[1]; n[1]++) {
            for (n[2] = lo[2]; n[2] <= hi[2]; n[2]++) {
                /* The query moved by −n rows must come within r of the frame cell along every
                 * periodic axis, where all stored points lie; skip the shifts that cannot. */
                int far = 0;
                double q[3] = {xw[0], xw[1], xw[2]};
                for (int k = 0; k < 3 && !far; k++) {
                    if (!fr->per[k] || n[k] == 0) continue;
                    double fk = fq[k] - (double)n[k], slack = r / fr->width[k] + 1e-9;
                    if (fk < -slack || fk > 1.0 + slack) far = 1;
                    for (int m = 0; m < 3; m++) q[m] -= (double)n[k] * fr->box[k][m];
                }
                if (far) continue;
                long long b0[3], b1[3], b[3];
                for (int m = 0; m < 3; m++) {
                    b0[m] = bin_of(q[m] - r, g->h);
                    b1[m] = bin_of(q[m] + r, g->h);
                }
                for (b[0] = b0[0]; b[0] <= b1[0]; b[0]++)
                    for (b[1] = b0[1]; b[1] <= b1[1]; b[1]++)
                        for (b[2] = b0[2]; b[2] <= b1[2]; b[2]++) {
                            for (size_t j = g->head[bucket_of(g, b)]; j != NIL; j = g->next[j]) {
                                /* Different bins can share a bucket: take only this bin's
                                 * points, so no image is reported twice. */
                                if (g->key[j][0] != b[0] || g->key[j][1] != b[1] ||
                                    g->key[j][2] != b[2])
                                    continue;
                                double d[3] = {g->pos[j][0] - q[0], g->pos[j][1] - q[1],
                                               g->pos[j][2] - q[2]};
                                double d2 = v3_dot(d, d);
                                if (d2 <= r2 && visit(ctx, g->id[j], d, d2)) return 1;
                            }
                        }
            }
        }
    }
    return 0;
}

/* ---- site list ------------------------------------------------------------------------- */

cz_status cz_sites_create(size_t n, cz_sites **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (n > CZ_MAX_ATOMS)
        return CZ_FAIL(CZ_ERANGE, "%zu sites exceed the cap of %zu", n, (size_t)CZ_MAX_ATOMS);
    cz_sites *s = calloc(1, sizeof *s);
    size_t c = n ? n : 1;
    if (s) {
        s->atom = calloc(c, sizeof *s->atom);
        s->xyz = calloc(c, sizeof *s->xyz);
        s->normal = calloc(c, sizeof *s->normal);
        s->coordination = calloc(c, sizeof *s->coordination);
    }
    if (!s || !s->atom || !s->xyz || !s->normal || !s->coordination) {
        cz_sites_destroy(s);
        return CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu sites", n);
    }
    s->n = n;
    *out = s;
    return CZ_OK;
}

void cz_sites_destroy(cz_sites *s) {
    if (!s) return;
    free(s->atom);
    free(s->xyz);
    free(s->normal);
    free(s->coordination);
    free(s);
}

/* ---- site detection -------------------------------------------------------------------- */

/* Sum of the vectors from the neighbours to the centre: −Σ d over images with d ≠ 0 (the
 * centre itself comes back with d = 0 and contributes nothing either way). */
static int visit_sum(void *ctx, size_t id, const double d[3], double d2) {
    (void)id;
    double *s = ctx;
    if (d2 > 0.0) {
        s[0] -= d[0];
        s[1] -= d[1];
        s[2] -= d[2];
    }
    return 0;
}

/* Count the atoms around the probe point; stop once the count exceeds the limit. */
typedef struct probe_ctx {
    int count, limit;
} probe_ctx;

static int visit_probe(void *ctx, size_t id, const double d[3], double d2) {
    (void)id;
    (void)d;
    (void)d2;
    probe_ctx *p = ctx;
    return ++p->count > p->limit;
}

cz_status cz_sites_find(const cz_atoms *atoms, const cz_site_opts *opts, cz_sites **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!atoms) return CZ_FAIL(CZ_EINVAL, "atoms must not be NULL");
    cz_site_opts o;
    if (opts)
        o = *opts;
    else
        cz_site_opts_default(&o);
    if (o.object_id < 0) return CZ_FAIL(CZ_EINVAL, "object_id must be >= 0 (got %d)", o.object_id);
    if (!isnan(o.cutoff) && (!(o.cutoff > 0) || !isfinite(o.cutoff)))
        return CZ_FAIL(CZ_EINVAL, "cutoff must be > 0 and finite, or NAN (got %g)", o.cutoff);
    if (o.bulk_coordination < 0)
        return CZ_FAIL(CZ_EINVAL, "bulk_coordination must be >= 0 (got %d)", o.bulk_coordination);
    if (o.exposed_only != 0 && o.exposed_only != 1)
        return CZ_FAIL(CZ_EINVAL, "exposed_only must be 0 or 1 (got %d)", o.exposed_only);
    if (o.nthreads < 0) return CZ_FAIL(CZ_EINVAL, "nthreads must be >= 0 (got %d)", o.nthreads);

    size_t m = 0;
    for (size_t i = 0; i < atoms->n; i++)
        m += o.object_id == 0 || atoms->object_id[i] == o.object_id;
    if (m == 0) {
        if (o.object_id == 0) return CZ_FAIL(CZ_EINVAL, "the structure has no atoms");
        return CZ_FAIL(CZ_EINVAL, "no atom has object_id %d", o.object_id);
    }

    cz_status st;
    cz_atoms *sel = NULL;
    size_t *map = NULL;
    int *cn = NULL;
    grid g = {0};
    frame fr;
    cz_sites *s = NULL;
    unsigned char *is_site = NULL;
    double(*nrm)[3] = NULL;

    /* The selection as its own structure (same cell and pbc), so that coordination, minimum
     * distance and normals all see the particle alone. */
    if ((st = cz_atoms_create(m, &sel)) != CZ_OK) goto fail;
    map = malloc(m * sizeof *map);
    cn = malloc(m * sizeof *cn);
    is_site = calloc(m, 1);
    nrm = malloc(m * sizeof *nrm);
    if (!map || !cn || !is_site || !nrm) {
        st = CZ_FAIL(CZ_ENOMEM, "cannot allocate work arrays for %zu atoms", m);
        goto fail;
    }
    for (size_t i = 0, k = 0; i < atoms->n; i++) {
        if (!(o.object_id == 0 || atoms->object_id[i] == o.object_id)) continue;
        memcpy(sel->xyz[k], atoms->xyz[i], sizeof sel->xyz[k]);
        sel->z[k] = atoms->z[i];
        sel->object_id[k] = atoms->object_id[i];
        sel->grain_id[k] = atoms->grain_id[i];
        sel->class_id[k] = atoms->class_id[i];
        map[k++] = i;
    }
    sel->n = m;
    memcpy(sel->cell, atoms->cell, sizeof sel->cell);
    memcpy(sel->pbc, atoms->pbc, sizeof sel->pbc);
    for (size_t k = 0; k < m; k++)
        if (!v3_finite(sel->xyz[k])) {
            st = CZ_FAIL(CZ_EINVAL, "atom %zu has a non-finite position", map[k]);
            goto fail;
        }

    /* The frame first: a bad periodic cell is reported here, under this function's name. */
    if ((st = frame_build(sel, &fr, __func__)) != CZ_OK) goto fail;
    double cutoff = o.cutoff;
    if (isnan(cutoff)) {
        if (m < 2) {
            st = CZ_FAIL(CZ_EINVAL, "an automatic cutoff needs at least two atoms (got %zu)", m);
            goto fail;
        }
        double dmin = 0.0;
        if ((st = cz_atoms_min_distance(sel, &dmin, NULL)) != CZ_OK) goto fail;
        if (!(dmin > 0)) {
            st = CZ_FAIL(CZ_EINVAL, "two atoms coincide, so no automatic cutoff (give one)");
            goto fail;
        }
        cutoff = 1.25 * dmin;
    }
    if ((st = cz_atoms_coordination(sel, cutoff, o.nthreads, cn)) != CZ_OK) goto fail;
    int bulk = o.bulk_coordination;
    if (bulk == 0)
        for (size_t k = 0; k < m; k++) bulk = cn[k] > bulk ? cn[k] : bulk;

    if ((st = grid_init(&g, &fr, cutoff, m, __func__)) != CZ_OK) goto fail;
    for (size_t k = 0; k < m; k++) grid_add(&g, sel->xyz[k], k);

    double cen[3] = {0.0, 0.0, 0.0};
    for (size_t k = 0; k < m; k++)
        for (int c = 0; c < 3; c++) cen[c] += sel->xyz[k][c];
    for (int c = 0; c < 3; c++) cen[c] /= (double)m;

    size_t nsites = 0;
    for (size_t k = 0; k < m; k++) {
        if (cn[k] >= bulk) continue;
        double sum[3] = {0.0, 0.0, 0.0};
        grid_query(&g, sel->xyz[k], cutoff, visit_sum, sum);
        /* One missing neighbour already makes the sum as long as a bond (~0.8 cutoff); a
         * sum below 0.1 cutoff means the missing neighbours nearly cancel, and its direction
         * would be noise, so the centroid direction serves instead. */
        if (!(v3_norm(sum) >= 0.1 * cutoff)) {
            for (int c = 0; c < 3; c++) sum[c] = sel->xyz[k][c] - cen[c];
            if (!(v3_norm(sum) > 1e-9)) sum[0] = sum[1] = 0.0, sum[2] = 1.0;
        }
        unit(sum);
        memcpy(nrm[k], sum, sizeof sum);
        if (o.exposed_only) {
            /* The probe sits where the missing neighbour would be (0.8·cutoff is the nearest-
             * neighbour distance under the automatic cutoff). Outside the material that point
             * has few atoms around it (1 on a flat facet, at most 6 at the steps and kinks of
             * an fcc sphere); inside a void it has nearly a bulk shell (12 at a vacancy). */
            probe_ctx p = {0, bulk / 2};
            double x[3];
            for (int c = 0; c < 3; c++) x[c] = sel->xyz[k][c] + 0.8 * cutoff * sum[c];
            if (grid_query(&g, x, cutoff, visit_probe, &p)) continue;
        }
        is_site[k] = 1;
        nsites++;
    }

    if ((st = cz_sites_create(nsites, &s)) != CZ_OK) goto fail;
    for (size_t k = 0, j = 0; k < m; k++) {
        if (!is_site[k]) continue;
        s->atom[j] = map[k];
        memcpy(s->xyz[j], sel->xyz[k], sizeof s->xyz[j]);
        memcpy(s->normal[j], nrm[k], sizeof s->normal[j]);
        s->coordination[j] = cn[k];
        j++;
    }
    s->cutoff = cutoff;
    s->bulk_coordination = bulk;
    *out = s;
    s = NULL;
    st = CZ_OK;
fail:
    cz_sites_destroy(s);
    grid_free(&g);
    free(nrm);
    free(is_site);
    free(cn);
    free(map);
    cz_atoms_destroy(sel);
    return st;
}

/* ---- placement ------------------------------------------------------------------------- */

/* Cross-product matrix [v]× (K x = v × x). */
static void cross_matrix(const double v[3], double k[3][3]) {
    k[0][0] = 0.0, k[0][1] = -v[2], k[0][2] = v[1];
    k[1][0] = v[2], k[1][1] = 0.0, k[1][2] = -v[0];
    k[2][0] = -v[1], k[2][1] = v[0], k[2][2] = 0.0;
}

/* Smallest rotation taking unit u onto unit n, by Rodrigues' formula R = I + K + K²/(1 + c)
 * with K = [u × n]× and c = u·n. It is ill-conditioned for c near −1, so there u is first
 * turned by 180° about an axis perpendicular to it (onto −u) and −u is aligned instead. */
static void rotation_align(const double u[3], const double n[3], double r[3][3]) {
    double c = v3_dot(u, n);
    double pre[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    double src[3] = {u[0], u[1], u[2]};
    if (c < 0.0) {
        int m = 0;
        for (int k = 1; k < 3; k++)
            if (fabs(u[k]) < fabs(u[m])) m = k;
        double e[3] = {0.0, 0.0, 0.0};
        e[m] = 1.0;
        double t = v3_dot(e, u);
        double p[3] = {e[0] - t * u[0], e[1] - t * u[1], e[2] - t * u[2]};
        unit(p);
        /* Rotation by π about p: 2ppᵀ − I. */
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) pre[i][j] = 2.0 * p[i] * p[j] - (i == j ? 1.0 : 0.0);
        src[0] = -u[0], src[1] = -u[1], src[2] = -u[2];
        c = -c;
    }
    double v[3], k[3][3], k2[3][3], a[3][3];
    v3_cross(src, n, v);
    cross_matrix(v, k);
    m3_mul(CZ_CROWS(k), CZ_CROWS(k), k2);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) a[i][j] = (i == j ? 1.0 : 0.0) + k[i][j] + k2[i][j] / (1.0 + c);
    m3_mul(CZ_CROWS(a), CZ_CROWS(pre), r);
}

/* Rotation by theta (radians) about unit n: cos θ I + sin θ [n]× + (1 − cos θ) n nᵀ. */
static void rotation_axis(const double n[3], double theta, double r[3][3]) {
    double c = cos(theta), s = sin(theta), k[3][3];
    cross_matrix(n, k);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[i][j] = (i == j ? c : 0.0) + s * k[i][j] + (1.0 - c) * n[i] * n[j];
}

typedef struct clash_ctx {
    double r2;     /* squared clash distance */
    size_t exempt; /* site atom the anchor binds to; NIL when the atom is not the anchor */
    double bond;   /* the anchor–site distance that is exempt */
} clash_ctx;

static int visit_clash(void *ctx, size_t id, const double d[3], double d2) {
    (void)d;
    const clash_ctx *c = ctx;
    if (!(d2 < c->r2)) return 0;
    /* The anchor's own bond: the site atom at exactly the bond length (another periodic
     * image of the site atom would sit elsewhere and still counts). */
    if (id == c->exempt && fabs(sqrt(d2) - c->bond) <= 1e-9 * fmax(1.0, c->bond)) return 0;
    return 1;
}

static int visit_any(void *ctx, size_t id, const double d[3], double d2) {
    (void)id;
    (void)d;
    return d2 < *(const double *)ctx;
}

typedef struct site_key {
    uint64_t key;
    size_t site;
} site_key;

static int cmp_key(const void *pa, const void *pb) {
    const site_key *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return (a->site > b->site) - (a->site < b->site);
}

static cz_status check_opts(const cz_ligand_opts *o, const cz_atoms *mol) {
    if (mol->n == 0)
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL, "molecule is empty (0 atoms)");
    if (o->anchor >= mol->n)
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL,
                          "anchor index %zu is out of range (molecule has %zu atoms)", o->anchor,
                          mol->n);
    for (size_t k = 0; k < mol->n; k++) {
        if (!v3_finite(mol->xyz[k]))
            return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL,
                              "molecule atom %zu has a non-finite position", k);
        if (mol->z[k] < 1 || mol->z[k] > 118)
            return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL,
                              "molecule atom %zu has Z %d (want 1..118)", k, mol->z[k]);
    }
    if (!v3_finite(o->axis))
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL, "axis must be finite (got %g %g %g)",
                          o->axis[0], o->axis[1], o->axis[2]);
    if (!(o->bond_length > 0) || !isfinite(o->bond_length))
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL,
                          "bond_length must be > 0 and finite (got %g)", o->bond_length);
    if (!(o->coverage >= 0.0 && o->coverage <= 1.0))
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL, "coverage must be in [0, 1] (got %g)",
                          o->coverage);
    if (!(o->clash_distance >= 0) || !isfinite(o->clash_distance))
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL,
                          "clash_distance must be >= 0 and finite (got %g)", o->clash_distance);
    if (!(o->ligand_distance >= 0) || !isfinite(o->ligand_distance))
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL,
                          "ligand_distance must be >= 0 and finite (got %g)", o->ligand_distance);
    if (o->max_attempts < 1 || o->max_attempts > MAX_ATTEMPTS)
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL, "max_attempts must be in 1..%d (got %d)",
                          MAX_ATTEMPTS, o->max_attempts);
    if (o->object_id < 0)
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL, "object_id must be >= 0 (got %d)",
                          o->object_id);
    if (o->per_molecule != 0 && o->per_molecule != 1)
        return CZ_FAIL_AS("cz_ligands_place", CZ_EINVAL, "per_molecule must be 0 or 1 (got %d)",
                          o->per_molecule);
    return CZ_OK;
}

cz_status cz_ligands_place(const cz_atoms *atoms, const cz_sites *sites, const cz_atoms *molecule,
                           const cz_ligand_opts *opts, cz_atoms **out, cz_ligand_stats *stats) {
    if (stats) memset(stats, 0, sizeof *stats);
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!atoms) return CZ_FAIL(CZ_EINVAL, "atoms must not be NULL");
    if (!molecule) return CZ_FAIL(CZ_EINVAL, "molecule must not be NULL");
    if (!opts) return CZ_FAIL(CZ_EINVAL, "opts must not be NULL (bond_length has no default)");
    cz_status st = check_opts(opts, molecule);
    if (st != CZ_OK) return st;

    cz_sites *own = NULL;
    cz_atoms *res = NULL;
    site_key *order = NULL;
    double(*rel)[3] = NULL, (*cand)[3] = NULL;
    grid gs = {0}, gl = {0};
    frame fr;
    cz_ligand_stats sx = {0};

    if (!sites) {
        if ((st = cz_sites_find(atoms, &opts->sites, &own)) != CZ_OK) goto fail;
        sites = own;
    }
    size_t m = sites->n;
    for (size_t s = 0; s < m; s++) {
        if (sites->atom[s] >= atoms->n) {
            st = CZ_FAIL(CZ_EINVAL, "site %zu names atom %zu, out of range (structure has %zu)", s,
                         sites->atom[s], atoms->n);
            goto fail;
        }
        double nn = v3_norm(sites->normal[s]);
        if (!(fabs(nn - 1.0) <= 1e-6)) {
            st = CZ_FAIL(CZ_EINVAL, "site %zu: normal must be a unit vector (length %g)", s, nn);
            goto fail;
        }
        if (!v3_finite(atoms->xyz[sites->atom[s]])) {
            st = CZ_FAIL(CZ_EINVAL, "site %zu: atom %zu has a non-finite position", s,
                         sites->atom[s]);
            goto fail;
        }
    }

    size_t nm = molecule->n, anchor = opts->anchor;
    /* Exact count, chosen as the k smallest keys (cz_composition.h's rule). */
    size_t want = (size_t)floor(opts->coverage * (double)m + 0.5);
    if (want > m) want = m;
    if (want > 0 && nm > CZ_MAX_ATOMS / want) {
        st = CZ_FAIL(CZ_ERANGE, "%zu molecules of %zu atoms exceed the cap of %zu atoms", want, nm,
                     (size_t)CZ_MAX_ATOMS);
        goto fail;
    }
    int base = opts->object_id;
    if (base == 0) {
        int top = 0;
        for (size_t i = 0; i < atoms->n; i++)
            top = atoms->object_id[i] > top ? atoms->object_id[i] : top;
        if (top == INT_MAX) {
            st = CZ_FAIL(CZ_ERANGE, "the structure already uses object_id %d", INT_MAX);
            goto fail;
        }
        base = top + 1;
    }
    if (opts->per_molecule && want > 0 && (size_t)(INT_MAX - base) < want - 1) {
        st = CZ_FAIL(CZ_ERANGE, "object ids %d + %zu molecules exceed INT_MAX", base, want);
        goto fail;
    }
    /* The molecule relative to its anchor, and its unit axis. */
    rel = malloc(nm * sizeof *rel);
    cand = malloc(nm * sizeof *cand);
    if (!rel || !cand) {
        st = CZ_FAIL(CZ_ENOMEM, "cannot allocate a molecule of %zu atoms", nm);
        goto fail;
    }
    double u[3] = {opts->axis[0], opts->axis[1], opts->axis[2]};
    int spins = opts->max_attempts;
    for (size_t k = 0; k < nm; k++)
        for (int c = 0; c < 3; c++) rel[k][c] = molecule->xyz[k][c] - molecule->xyz[anchor][c];
    if (nm == 1) {
        /* A lone atom has no orientation: align nothing, try once. */
        u[0] = u[1] = 0.0, u[2] = 1.0;
        spins = 1;
    } else {
        if (!(v3_norm(u) > 0)) {
            u[0] = u[1] = u[2] = 0.0;
            for (size_t k = 0; k < nm; k++)
                for (int c = 0; c < 3; c++) u[c] += rel[k][c] / (double)nm;
            if (!(v3_norm(u) > 1e-6)) {
                st = CZ_FAIL(CZ_EINVAL,
                             "the molecule's centroid lies on the anchor atom %zu, so it has no "
                             "default axis (set opts.axis)",
                             anchor);
                goto fail;
            }
        }
        unit(u);
        /* A spin about the axis moves nothing when every atom is on it (CO, N2, HCN). */
        double off = 0.0;
        for (size_t k = 0; k < nm; k++) {
            double t = v3_dot(rel[k], u);
            double p[3] = {rel[k][0] - t * u[0], rel[k][1] - t * u[1], rel[k][2] - t * u[2]};
            off = fmax(off, v3_norm(p));
        }
        if (off < 1e-9) spins = 1;
    }

    order = malloc((m ? m : 1) * sizeof *order);
    if (!order) {
        st = CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu site keys", m);
        goto fail;
    }
    for (size_t s = 0; s < m; s++) {
        order[s].key = cz_rng_u64(opts->seed, opts->stream, (uint64_t)s);
        order[s].site = s;
    }
    qsort(order, m, sizeof *order, cmp_key);

    if ((st = frame_build(atoms, &fr, __func__)) != CZ_OK) goto fail;
    double dc = opts->clash_distance, dl = opts->ligand_distance;
    if (dc > 0) {
        if ((st = grid_init(&gs, &fr, dc, atoms->n, __func__)) != CZ_OK) goto fail;
        for (size_t i = 0; i < atoms->n; i++) {
            if (!v3_finite(atoms->xyz[i])) {
                st = CZ_FAIL(CZ_EINVAL, "atom %zu has a non-finite position", i);
                goto fail;
            }
            grid_add(&gs, atoms->xyz[i], i);
        }
    }
    if (dl > 0 && (st = grid_init(&gl, &fr, dl, want * nm, __func__)) != CZ_OK) goto fail;
    if ((st = cz_atoms_create(want * nm, &res)) != CZ_OK) goto fail;
    memcpy(res->cell, atoms->cell, sizeof res->cell);
    memcpy(res->pbc, atoms->pbc, sizeof res->pbc);

    double bond = opts->bond_length, dc2 = dc * dc, dl2 = dl * dl;
    for (size_t r = 0; r < want; r++) {
        size_t s = order[r].site, ia = sites->atom[s];
        double n[3] = {sites->normal[s][0], sites->normal[s][1], sites->normal[s][2]};
        unit(n);
        double align[3][3], spin[3][3], rot[3][3], a0[3];
        rotation_align(u, n, align);
        for (int c = 0; c < 3; c++) a0[c] = atoms->xyz[ia][c] + bond * n[c];
        int ok = 0;
        for (int a = 0; a < spins && !ok; a++) {
            double theta = TWO_PI * cz_rng_uniform(opts->seed, opts->stream + 1,
                                                   (uint64_t)s * SPIN_STRIDE + (uint64_t)a);
            rotation_axis(n, theta, spin);
            m3_mul(CZ_CROWS(spin), CZ_CROWS(align), rot);
            for (size_t k = 0; k < nm; k++) {
                double t[3];
                m3_mulv(CZ_CROWS(rot), rel[k], t);
                /* The anchor has rel = 0, so it lands exactly at a0. */
                for (int c = 0; c < 3; c++) cand[k][c] = a0[c] + t[c];
            }
            sx.attempts++;
            ok = 1;
            for (size_t k = 0; k < nm && ok; k++) {
                if (dc > 0) {
                    clash_ctx cc = {dc2, k == anchor ? ia : NIL, bond};
                    if (grid_query(&gs, cand[k], dc, visit_clash, &cc)) ok = 0;
                }
                if (ok && dl > 0 && grid_query(&gl, cand[k], dl, visit_any, &dl2)) ok = 0;
            }
        }
        if (!ok) continue;
        int oid = opts->per_molecule ? base + (int)sx.placed : base;
        for (size_t k = 0; k < nm; k++) {
            if (dl > 0) grid_add(&gl, cand[k], res->n);
            if ((st = cz_atoms_push(res, cand[k], molecule->z[k], oid, 0, CZ_CLASS_LIGAND)) !=
                CZ_OK)
                goto fail;
        }
        sx.placed++;
    }
    sx.sites = m;
    sx.requested = want;
    sx.skipped = want - sx.placed;
    if (stats) *stats = sx;
    *out = res;
    res = NULL;
    st = CZ_OK;
fail:
    cz_atoms_destroy(res);
    grid_free(&gl);
    grid_free(&gs);
    free(order);
    free(cand);
    free(rel);
    cz_sites_destroy(own);
    return st;
}
