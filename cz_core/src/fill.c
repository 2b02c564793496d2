/* fill.c — O(atoms) crystal fill: exact per-row index ranges, then a parallel emit. */
#include "cz/cz_fill.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef CZ_USE_OPENMP
#include <omp.h>
#endif

#include "error.h"
#include "vec.h"
#include "volume.h"

void cz_fill_opts_default(cz_fill_opts *o) {
    cz_transform_identity(&o->lattice_tf);
    o->max_atoms = CZ_MAX_ATOMS;
    o->object_id = 0;
    o->grain_id = 0;
    o->class_id = CZ_CLASS_PARTICLE;
    o->nthreads = 0;
}

/* One run of consecutive a-indices [ilo, ihi] on the row (basis b, j, k). */
typedef struct {
    long ilo, ihi, j, k;
    size_t b;
} run;

typedef struct {
    run *runs;
    size_t n, cap;
    size_t atoms;
} plan;

static int plan_push(plan *p, run r) {
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 256;
        run *t = realloc(p->runs, cap * sizeof *t);
        if (!t) return 0;
        p->runs = t;
        p->cap = cap;
    }
    p->runs[p->n++] = r;
    return 1;
}

/* Is lattice-frame point o + i·a inside the (lattice-frame) volume? */
static int inside_at(const cz_volume *v, const double o[3], const double a[3], long i) {
    double x[3] = {o[0] + (double)i * a[0], o[1] + (double)i * a[1], o[2] + (double)i * a[2]};
    return cz_volume_contains(v, x);
}

/* Every row of cells along a, for every basis site, reduced to exact runs of indices.
 * The volume is first carried into the lattice frame, so a rotated crystal costs the same
 * as an unrotated one. */
static cz_status make_plan(const cz_lattice *lat, const cz_volume *world, const cz_fill_opts *o,
                           plan *p, const char *func) {
    memset(p, 0, sizeof *p);
    cz_transform to_lattice;
    if (cz_transform_invert(&o->lattice_tf, &to_lattice) != CZ_OK)
        return CZ_FAIL_AS(func, CZ_EINVAL, "lattice transform is singular");
    cz_volume *v;
    cz_status s = cz_volume_transform(world, &to_lattice, &v);
    if (s != CZ_OK) return s;
    double inv[3][3];
    if (!m3_inverse(lat->cell, inv)) {
        cz_volume_destroy(v);
        return CZ_FAIL_AS(func, CZ_EINVAL, "lattice cell is singular");
    }
    /* Fractional coordinate m of x is x·g_m with g_m the m-th column of cell⁻¹, so its range
     * over the volume is [−h(−g_m), h(g_m)] with h the support function. */
    double fmin_[3], fmax_[3];
    for (int m = 0; m < 3; m++) {
        double g[3] = {inv[0][m], inv[1][m], inv[2][m]}, ng[3] = {-g[0], -g[1], -g[2]};
        fmax_[m] = cz_volume_support(v, g);
        fmin_[m] = -cz_volume_support(v, ng);
        if (!isfinite(fmax_[m]) || !isfinite(fmin_[m])) {
            cz_volume_destroy(v);
            return CZ_FAIL_AS(func, CZ_EINVAL,
                              "volume is unbounded along lattice vector %c: intersect it with a "
                              "bounded volume or fill a periodic scene cell",
                              "abc"[m]);
        }
    }
    /* Refuse absurd extents before looping over them. */
    double rows = 1.0, cells = 1.0;
    for (int m = 0; m < 3; m++) {
        double span = floor(fmax_[m]) - ceil(fmin_[m]) + 2.0;
        if (m > 0) rows *= span;
        cells *= span;
    }
    if (rows * (double)lat->nbasis > 4.0 * (double)o->max_atoms + 1e6 ||
        cells * (double)lat->nbasis > 64.0 * (double)o->max_atoms + 1e9) {
        cz_volume_destroy(v);
        return CZ_FAIL_AS(func, CZ_ERANGE,
                          "volume spans about %.3g lattice cells, far above the cap of %zu atoms",
                          cells, o->max_atoms);
    }
    const double *a = lat->cell[0];
    for (size_t b = 0; b < lat->nbasis; b++) {
        const double *fb = lat->frac[b];
        long k0 = (long)ceil(fmin_[2] - fb[2] - 1e-9), k1 = (long)floor(fmax_[2] - fb[2] + 1e-9);
        long j0 = (long)ceil(fmin_[1] - fb[1] - 1e-9), j1 = (long)floor(fmax_[1] - fb[1] + 1e-9);
        for (long k = k0; k <= k1; k++)
            for (long j = j0; j <= j1; j++) {
                double f[3] = {fb[0], (double)j + fb[1], (double)k + fb[2]}, org[3];
                m3_tmulv(lat->cell, f, org);
                czi_intervals iv;
                czi_volume_line(v, org, a, &iv);
                long prev_hi = -(1L << 62);
                for (int q = 0; q < iv.n; q++) {
                    double t0 = iv.t[2 * q], t1 = iv.t[2 * q + 1];
                    long lo = (long)ceil(t0), hi = (long)floor(t1);
                    /* Settle both ends with the exact membership test: the interval ends
                     * carry rounding errors and, for differences, open ends. */
                    for (int step = 0; step < 2 && lo - 1 > prev_hi && inside_at(v, org, a, lo - 1);
                         step++)
                        lo--;
                    if (lo <= prev_hi) lo = prev_hi + 1;
                    for (int step = 0; step < 2 && inside_at(v, org, a, hi + 1); step++) hi++;
                    while (lo <= hi && !inside_at(v, org, a, lo)) lo++;
                    while (hi >= lo && !inside_at(v, org, a, hi)) hi--;
                    if (lo > hi) continue;
                    if (iv.overflow) {
                        /* Fall back to one run per contiguous stretch found by testing. */
                        long i = lo;
                        while (i <= hi) {
                            while (i <= hi && !inside_at(v, org, a, i)) i++;
                            long st = i;
                            while (i <= hi && inside_at(v, org, a, i)) i++;
                            if (i > st) {
                                run r = {st, i - 1, j, k, b};
                                if (!plan_push(p, r)) goto nomem;
                                p->atoms += (size_t)(i - st);
                            }
                        }
                    } else {
                        run r = {lo, hi, j, k, b};
                        if (!plan_push(p, r)) goto nomem;
                        p->atoms += (size_t)(hi - lo + 1);
                    }
                    prev_hi = hi;
                    if (p->atoms > o->max_atoms) {
                        cz_volume_destroy(v);
                        free(p->runs);
                        p->runs = NULL;
                        return CZ_FAIL_AS(func, CZ_ERANGE,
                                          "fill would produce more than max_atoms = %zu atoms",
                                          o->max_atoms);
                    }
                }
            }
    }
    cz_volume_destroy(v);
    return CZ_OK;
nomem:
    cz_volume_destroy(v);
    free(p->runs);
    p->runs = NULL;
    return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate the row plan");
}

static cz_status check_args(const cz_lattice *lat, const cz_volume *vol, const cz_fill_opts *o,
                            const char *func) {
    if (!lat || !vol) return CZ_FAIL_AS(func, CZ_EINVAL, "lattice and volume must not be NULL");
    if (!m3_finite(o->lattice_tf.m) || !v3_finite(o->lattice_tf.t))
        return CZ_FAIL_AS(func, CZ_EINVAL, "lattice transform is not finite");
    if (o->max_atoms > CZ_MAX_ATOMS)
        return CZ_FAIL_AS(func, CZ_ERANGE, "max_atoms %zu exceeds the cap CZ_MAX_ATOMS = %zu",
                          o->max_atoms, (size_t)CZ_MAX_ATOMS);
    if (o->class_id < 0 || o->class_id > CZ_CLASS_LIGAND)
        return CZ_FAIL_AS(func, CZ_EINVAL, "class_id must be 0..3 (got %d)", o->class_id);
    if (o->nthreads < 0)
        return CZ_FAIL_AS(func, CZ_EINVAL, "nthreads must be >= 0 (got %d)", o->nthreads);
    return CZ_OK;
}

cz_status cz_fill_count(const cz_lattice *lat, const cz_volume *vol, const cz_fill_opts *opts,
                        size_t *count) {
    if (!count) return CZ_FAIL(CZ_EINVAL, "count must not be NULL");
    *count = 0;
    cz_fill_opts o;
    cz_fill_opts_default(&o);
    if (opts) o = *opts;
    cz_status s = check_args(lat, vol, &o, __func__);
    if (s != CZ_OK) return s;
    plan p;
    if ((s = make_plan(lat, vol, &o, &p, __func__)) != CZ_OK) return s;
    *count = p.atoms;
    free(p.runs);
    return CZ_OK;
}

cz_status cz_fill_shape(const cz_lattice *lat, const cz_volume *vol, const cz_fill_opts *opts,
                        cz_atoms **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    cz_fill_opts o;
    cz_fill_opts_default(&o);
    if (opts) o = *opts;
    cz_status s = check_args(lat, vol, &o, __func__);
    if (s != CZ_OK) return s;
    plan p;
    if ((s = make_plan(lat, vol, &o, &p, __func__)) != CZ_OK) return s;
    cz_atoms *at;
    if ((s = cz_atoms_create(p.atoms, &at)) != CZ_OK) {
        free(p.runs);
        return s;
    }
    /* Offsets of each run in the output: a prefix sum, so the emit below writes the same
     * bytes in the same places whatever the thread count. */
    size_t *start = malloc((p.n + 1) * sizeof *start);
    if (!start) {
        free(p.runs);
        cz_atoms_destroy(at);
        return CZ_FAIL(CZ_ENOMEM, "cannot allocate run offsets");
    }
    start[0] = 0;
    for (size_t r = 0; r < p.n; r++) start[r + 1] = start[r] + (size_t)(p.runs[r].ihi - p.runs[r].ilo + 1);
    /* World position of index i on a row: tf(org + i·a) = (M·org + t) + i·(M·a). */
    double step[3];
    m3_mulv(CZ_CROWS(o.lattice_tf.m), lat->cell[0], step);
    const run *runs = p.runs;
    const size_t nruns = p.n;
    const cz_transform tf = o.lattice_tf;
    const int oid = o.object_id, gid = o.grain_id, cid = o.class_id;
    double (*xyz)[3] = at->xyz;
    int *zs = at->z, *obj = at->object_id, *grain = at->grain_id, *cls = at->class_id;
    const cz_lattice *L = lat;
#ifdef CZ_USE_OPENMP
    int nt = o.nthreads > 0 ? o.nthreads : omp_get_max_threads();
    if (p.atoms < 20000) nt = 1;
#pragma omp parallel for num_threads(nt) schedule(static) default(none) \
    shared(runs, start, step, tf, xyz, zs, obj, grain, cls, L) firstprivate(nruns, oid, gid, cid)
#endif
    for (size_t r = 0; r < nruns; r++) {
        const run *rr = &runs[r];
        double f[3] = {L->frac[rr->b][0], (double)rr->j + L->frac[rr->b][1],
                       (double)rr->k + L->frac[rr->b][2]},
               org[3], w0[3];
        m3_tmulv(L->cell, f, org);
        cz_transform_apply(&tf, org, w0);
        int zb = L->z[rr->b];
        size_t at_i = start[r];
        for (long i = rr->ilo; i <= rr->ihi; i++, at_i++) {
            double di = (double)i;
            xyz[at_i][0] = w0[0] + di * step[0];
            xyz[at_i][1] = w0[1] + di * step[1];
            xyz[at_i][2] = w0[2] + di * step[2];
            zs[at_i] = zb;
            obj[at_i] = oid;
            grain[at_i] = gid;
            cls[at_i] = cid;
        }
    }
    at->n = p.atoms;
    free(start);
    free(p.runs);
    *out = at;
    return CZ_OK;
}
