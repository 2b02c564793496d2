/* placement.c — particles resting on substrates; cross-object clash removal. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_placement.h"

#ifdef CZ_USE_OPENMP
#include <omp.h>
#endif

#include "celllist.h"
#include "cz/cz_rng.h"
#include "error.h"
#include "vec.h"

static const double PI = 3.14159265358979323846;

void cz_place_opts_default(cz_place_opts *o) {
    memset(o, 0, sizeof *o);
    o->orient = CZ_ORIENT_KEEP;
    o->facet_normal[2] = -1.0;
}

void cz_clash_opts_default(cz_clash_opts *o) {
    memset(o, 0, sizeof *o);
    o->distance = 2.0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) o->class_distance[i][j] = 2.0;
}

/* ---- placement ------------------------------------------------------------------------- */

static void rot_z(double deg, double r[3][3]) {
    double c = cos(deg * PI / 180.0), s = sin(deg * PI / 180.0);
    double m[3][3] = {{c, -s, 0}, {s, c, 0}, {0, 0, 1}};
    memcpy(r, m, sizeof m);
}

/* Rotation taking the unit vector a onto b (Rodrigues: R = I + [v]× + [v]×²/(1 + a·b),
 * v = a × b). The formula loses accuracy as a·b → −1, so callers keep a·b >= 0. */
static void rot_onto(const double a[3], const double b[3], double r[3][3]) {
    double v[3], c = v3_dot(a, b);
    v3_cross(a, b, v);
    double k[3][3] = {{0, -v[2], v[1]}, {v[2], 0, -v[0]}, {-v[1], v[0], 0}}, k2[3][3];
    m3_mul(CZ_CROWS(k), CZ_CROWS(k), k2);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) r[i][j] = (i == j) + k[i][j] + k2[i][j] / (1.0 + c);
}

/* Rotation turning the (non-zero) facet normal n to −z. When n points upwards a half turn
 * about x first brings it into the lower hemisphere, so the Rodrigues step never meets the
 * antiparallel case. */
static void rot_facet_down(const double n[3], double r[3][3]) {
    double len = v3_norm(n), a[3] = {n[0] / len, n[1] / len, n[2] / len};
    const double down[3] = {0, 0, -1};
    double pre[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    if (a[2] > 0.0) {
        pre[1][1] = pre[2][2] = -1.0;
        a[1] = -a[1];
        a[2] = -a[2];
    }
    double r2[3][3];
    rot_onto(a, down, r2);
    m3_mul(CZ_CROWS(r2), CZ_CROWS(pre), r);
}

static cz_status check_place_opts(const cz_place_opts *o, const char *func) {
    if (!isfinite(o->xy[0]) || !isfinite(o->xy[1]))
        return CZ_FAIL_AS(func, CZ_EINVAL, "xy must be finite (got %g, %g)", o->xy[0], o->xy[1]);
    if (!isfinite(o->surface_z))
        return CZ_FAIL_AS(func, CZ_EINVAL, "surface_z must be finite (got %g)", o->surface_z);
    if (!isfinite(o->depth))
        return CZ_FAIL_AS(func, CZ_EINVAL, "depth must be finite (got %g)", o->depth);
    if (!isfinite(o->depth_fraction))
        return CZ_FAIL_AS(func, CZ_EINVAL, "depth_fraction must be finite (got %g)",
                          o->depth_fraction);
    if (!v3_finite(o->center))
        return CZ_FAIL_AS(func, CZ_EINVAL, "center must be finite (got %g, %g, %g)", o->center[0],
                          o->center[1], o->center[2]);
    if (!isfinite(o->inplane_deg))
        return CZ_FAIL_AS(func, CZ_EINVAL, "inplane_deg must be finite (got %g)", o->inplane_deg);
    if (o->orient != CZ_ORIENT_KEEP && o->orient != CZ_ORIENT_RANDOM &&
        o->orient != CZ_ORIENT_FACET)
        return CZ_FAIL_AS(func, CZ_EINVAL, "unknown orient mode %d (0 keep, 1 random, 2 facet)",
                          (int)o->orient);
    if (o->orient == CZ_ORIENT_FACET &&
        (!v3_finite(o->facet_normal) || !(v3_norm(o->facet_normal) > 0.0)))
        return CZ_FAIL_AS(func, CZ_EINVAL,
                          "facet_normal must be finite and non-zero (got %g, %g, %g)",
                          o->facet_normal[0], o->facet_normal[1], o->facet_normal[2]);
    return CZ_OK;
}

/* The rotation of the placement and the transform "rotate about center". */
static void orientation(const cz_place_opts *o, double rot[3][3], cz_transform *about) {
    double rz[3][3];
    switch (o->orient) {
        case CZ_ORIENT_RANDOM:
            cz_rng_rotation(o->seed, o->stream, o->index, rot);
            break;
        case CZ_ORIENT_FACET: {
            double down[3][3];
            rot_facet_down(o->facet_normal, down);
            double ang = o->random_inplane ? 360.0 * cz_rng_uniform(o->seed, o->stream, o->index)
                                           : o->inplane_deg;
            rot_z(ang, rz);
            m3_mul(CZ_CROWS(rz), CZ_CROWS(down), rot);
            break;
        }
        default:
            rot_z(o->inplane_deg, rot);
            break;
    }
    /* x → R(x − c) + c. */
    double rc[3];
    m3_mulv(CZ_CROWS(rot), o->center, rc);
    memcpy(about->m, rot, sizeof about->m);
    for (int k = 0; k < 3; k++) about->t[k] = o->center[k] - rc[k];
}

/* Finish: shift so the reference point lands at (x, y) and the bottom at surface − depth. */
static void finish(const cz_place_opts *o, const double rot[3][3], const cz_transform *about,
                   double bottom, double top, cz_placement *out) {
    double extent = top - bottom;
    double depth = o->depth + o->depth_fraction * extent;
    double dz = o->surface_z - depth - bottom;
    memcpy(out->rotation, rot, sizeof out->rotation);
    out->tf = *about;
    out->tf.t[0] += o->xy[0] - o->center[0];
    out->tf.t[1] += o->xy[1] - o->center[1];
    out->tf.t[2] += dz;
    out->bottom_z = bottom + dz;
    out->top_z = top + dz;
    out->extent_z = extent;
    out->depth = depth;
}

cz_status cz_placement_volume(const cz_volume *particle, const cz_place_opts *opts,
                              cz_placement *out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    memset(out, 0, sizeof *out);
    if (!particle) return CZ_FAIL(CZ_EINVAL, "particle volume must not be NULL");
    cz_place_opts o;
    cz_place_opts_default(&o);
    if (opts) o = *opts;
    cz_status st = check_place_opts(&o, __func__);
    if (st != CZ_OK) return st;
    double rot[3][3];
    cz_transform about;
    orientation(&o, rot, &about);
    cz_volume *v = NULL;
    st = cz_volume_transform(particle, &about, &v);
    if (st != CZ_OK) return st;
    /* Bottom and top of the rotated volume from its support function: min z = −h(−ẑ). */
    const double up[3] = {0, 0, 1}, down[3] = {0, 0, -1};
    double top = cz_volume_support(v, up), bottom = -cz_volume_support(v, down);
    cz_volume_destroy(v);
    if (!isfinite(top) || !isfinite(bottom))
        return CZ_FAIL(CZ_EINVAL,
                       "particle volume is unbounded along z after rotation (z range %g .. %g)",
                       bottom, top);
    finish(&o, CZ_CROWS(rot), &about, bottom, top, out);
    return CZ_OK;
}

cz_status cz_placement_atoms(const cz_atoms *particle, const cz_place_opts *opts,
                             cz_placement *out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    memset(out, 0, sizeof *out);
    if (!particle) return CZ_FAIL(CZ_EINVAL, "particle atoms must not be NULL");
    if (particle->n == 0) return CZ_FAIL(CZ_EINVAL, "particle has no atoms");
    cz_place_opts o;
    cz_place_opts_default(&o);
    if (opts) o = *opts;
    cz_status st = check_place_opts(&o, __func__);
    if (st != CZ_OK) return st;
    double rot[3][3];
    cz_transform about;
    orientation(&o, rot, &about);
    /* Only the rotated z matters: z' = R_z·x + t_z (third row of the transform). */
    double bottom = INFINITY, top = -INFINITY;
    for (size_t i = 0; i < particle->n; i++) {
        const double *x = particle->xyz[i];
        double z = about.m[2][0] * x[0] + about.m[2][1] * x[1] + about.m[2][2] * x[2] + about.t[2];
        bottom = fmin(bottom, z);
        top = fmax(top, z);
    }
    finish(&o, CZ_CROWS(rot), &about, bottom, top, out);
    return CZ_OK;
}

/* ---- clash removal --------------------------------------------------------------------- */

typedef struct {
    int id;
    int priority;
} objkey;

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Better objects first: higher priority, then the smaller (earlier) object id. */
static int cmp_rank(const void *a, const void *b) {
    const objkey *x = a, *y = b;
    if (x->priority != y->priority) return x->priority > y->priority ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

cz_status cz_atoms_remove_clashes(cz_atoms *atoms, const cz_clash_opts *opts, size_t *nremoved) {
    if (nremoved) *nremoved = 0;
    if (!atoms) return CZ_FAIL(CZ_EINVAL, "atoms must not be NULL");
    cz_clash_opts o;
    cz_clash_opts_default(&o);
    if (opts) o = *opts;
    double dc[4][4];
    if (o.by_class) {
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                double d = o.class_distance[i][j];
                if (!(d >= 0.0) || !isfinite(d))
                    return CZ_FAIL(CZ_EINVAL,
                                   "class_distance[%d][%d] must be >= 0 and finite (got %g)", i, j,
                                   d);
                if (d != o.class_distance[j][i])
                    return CZ_FAIL(
                        CZ_EINVAL,
                        "class_distance must be symmetric ([%d][%d] = %g, [%d][%d] = %g)", i, j, d,
                        j, i, o.class_distance[j][i]);
                dc[i][j] = d;
            }
    } else {
        if (!(o.distance >= 0.0) || !isfinite(o.distance))
            return CZ_FAIL(CZ_EINVAL, "clash distance must be >= 0 and finite (got %g)",
                           o.distance);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) dc[i][j] = o.distance;
    }
    if (!o.priority && o.npriority > 0)
        return CZ_FAIL(CZ_EINVAL, "priority is NULL but npriority is %zu", o.npriority);
    if (o.nthreads < 0) return CZ_FAIL(CZ_EINVAL, "nthreads must be >= 0 (got %d)", o.nthreads);
    const size_t n = atoms->n;
    int present[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        int c = atoms->class_id[i];
        if (c < 0 || c > 3)
            return CZ_FAIL(CZ_EINVAL, "atom %zu has class_id %d (must be 0..3)", i, c);
        present[c] = 1;
    }
    /* The largest distance among the classes that occur sets the cell-list cutoff. */
    double cutoff = 0.0;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            if (present[i] && present[j]) cutoff = fmax(cutoff, dc[i][j]);
    if (n < 2 || cutoff == 0.0) return CZ_OK;

    cz_status st = CZ_OK;
    int *ids = malloc(n * sizeof *ids);
    objkey *keys = NULL;
    size_t *rank_of_id = NULL, *arank = NULL, *order = NULL, *gstart = NULL;
    unsigned char *kept = NULL;
    unsigned *near_rank = NULL, *slot_rank = NULL;
    size_t *abin = NULL, nbins = 0;
    czi_celllist cl;
    memset(&cl, 0, sizeof cl);
    if (!ids) goto nomem;
    /* Distinct object ids, then their ranks. Populated atoms come object by object, so only
     * the first id of each run of equal ids needs sorting. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || atoms->object_id[i] != atoms->object_id[i - 1])
            ids[m++] = atoms->object_id[i];
    qsort(ids, m, sizeof *ids, cmp_int);
    {
        size_t u = 0;
        for (size_t i = 0; i < m; i++)
            if (u == 0 || ids[i] != ids[u - 1]) ids[u++] = ids[i];
        m = u;
    }
    if (m < 2) goto done; /* one object: nothing can clash */
    keys = malloc(m * sizeof *keys);
    rank_of_id = malloc(m * sizeof *rank_of_id);
    arank = malloc(n * sizeof *arank);
    order = malloc(n * sizeof *order);
    gstart = calloc(m + 1, sizeof *gstart);
    kept = malloc(n);
    if (!keys || !rank_of_id || !arank || !order || !gstart || !kept) goto nomem;
    for (size_t u = 0; u < m; u++) {
        int id = ids[u];
        keys[u].id = id;
        keys[u].priority = (id >= 0 && (size_t)id < o.npriority) ? o.priority[id] : 0;
    }
    qsort(keys, m, sizeof *keys, cmp_rank);
    for (size_t r = 0; r < m; r++) {
        const int *hit = bsearch(&keys[r].id, ids, m, sizeof *ids, cmp_int);
        rank_of_id[hit - ids] = r;
    }
    /* Atoms grouped by rank (counting sort keeps the input order inside a group). */
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || atoms->object_id[i] != atoms->object_id[i - 1]) {
            const int *hit = bsearch(&atoms->object_id[i], ids, m, sizeof *ids, cmp_int);
            arank[i] = rank_of_id[hit - ids];
        } else {
            arank[i] = arank[i - 1];
        }
        gstart[arank[i] + 1]++;
        kept[i] = 1;
    }
    for (size_t r = 0; r < m; r++) gstart[r + 1] += gstart[r];
    {
        size_t *fillp = malloc((m + 1) * sizeof *fillp);
        if (!fillp) goto nomem;
        memcpy(fillp, gstart, (m + 1) * sizeof *fillp);
        for (size_t i = 0; i < n; i++) order[fillp[arank[i]]++] = i;
        free(fillp);
    }
    /* Points enter their bins in rank order, so every bin lists its better-ranked atoms first
     * and a scan for an atom of rank r stops at the first atom of rank >= r. */
    st = czi_celllist_build(&cl, n, CZ_CROWS(atoms->xyz), order, CZ_CROWS(atoms->cell), atoms->pbc,
                            cutoff, __func__);
    if (st != CZ_OK) goto done;
    nbins = czi_celllist_nbins(&cl);
    near_rank = malloc(nbins * sizeof *near_rank);
    abin = malloc(n * sizeof *abin);
    slot_rank = malloc(n * sizeof *slot_rank);
    if (!near_rank || !abin || !slot_rank) goto nomem;
    for (size_t k = 0; k < n; k++) slot_rank[k] = (unsigned)arank[cl.idx[k]];
    /* Best rank within reach of each bin: atoms whose neighbourhood holds no better-ranked atom
     * (most of a substrate, far from any particle) need no search at all. */
    for (size_t b = 0; b < nbins; b++)
        near_rank[b] = cl.start[b + 1] > cl.start[b] ? slot_rank[cl.start[b]] : UINT_MAX;
    if ((st = czi_celllist_dilate_min(&cl, near_rank, __func__)) != CZ_OK) goto done;
    czi_celllist_point_bins(&cl, abin);
    double dc2[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) dc2[i][j] = dc[i][j] * dc[i][j];
    const int *cls = atoms->class_id;
    const double(*xyz)[3] = CZ_CROWS(atoms->xyz);
#ifdef CZ_USE_OPENMP
    int nt = o.nthreads > 0 ? o.nthreads : omp_get_max_threads();
    if (n < 20000) nt = 1;
#endif
    /* The best-ranked object keeps every atom. Each later group reads only the settled kept
     * flags of better groups, so its atoms are independent of each other and of the thread
     * count. */
    const czi_celllist *clp = &cl;
    for (size_t r = 1; r < m; r++) {
        const size_t g0 = gstart[r], g1 = gstart[r + 1];
        const unsigned ru = (unsigned)r;
#ifdef CZ_USE_OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 256) default(none) \
    shared(clp, order, kept, cls, xyz, dc2, near_rank, abin, slot_rank) firstprivate(g0, g1, ru)
#endif
        for (size_t q = g0; q < g1; q++) {
            size_t i = order[q], k0, k1;
            if (near_rank[abin[i]] >= ru) continue;
            const double *lim = dc2[cls[i]];
            czi_cell_iter it;
            double sh[3];
            czi_celllist_iter_begin(clp, xyz[i], &it);
            int clash = 0;
            while (!clash && czi_celllist_next_bin(clp, &it, &k0, &k1, sh)) {
                for (size_t k = k0; k < k1 && slot_rank[k] < ru; k++) {
                    size_t j = clp->idx[k];
                    if (!kept[j]) continue;
                    double d0 = clp->pos[k][0] + sh[0] - it.x[0];
                    double d1 = clp->pos[k][1] + sh[1] - it.x[1];
                    double d2 = clp->pos[k][2] + sh[2] - it.x[2];
                    if (d0 * d0 + d1 * d1 + d2 * d2 < lim[cls[j]]) {
                        clash = 1;
                        break;
                    }
                }
            }
            if (clash) kept[i] = 0;
        }
    }
    size_t removed = 0;
    for (size_t i = 0; i < n; i++) removed += !kept[i];
    cz_atoms_filter(atoms, kept);
    if (nremoved) *nremoved = removed;
    goto done;
nomem:
    st = CZ_FAIL(CZ_ENOMEM, "cannot allocate clash-removal work arrays for %zu atoms", n);
done:
    czi_celllist_free(&cl);
    free(ids);
    free(keys);
    free(rank_of_id);
    free(arank);
    free(order);
    free(gstart);
    free(kept);
    free(near_rank);
    free(slot_rank);
    free(abin);
    return st;
}
