/* defects.c — twins and stacking faults as labelled grains of a scene.
 *
 * A planar defect is a lattice plane beyond which the crystal is transformed. Rather than
 * moving atoms, each region between planes becomes its own scene crystal object whose lattice
 * transform is the composition of the defect operations between it and the matrix; the scene
 * then fills every grain exactly (O(atoms)) and its tie rule settles atoms that lie on a
 * shared boundary. The crystallography lives in choosing the operations:
 *  - a twin is the 180° rotation about the plane normal through a lattice site of the
 *    boundary plane (the Σ3 relation; for fcc, which is centrosymmetric, it equals the
 *    mirror across the {111} layer, and for diamond and zincblende it is the twin the mirror
 *    is not);
 *  - an intrinsic stacking fault translates the far side by one stacking step, the in-plane
 *    vector between neighbouring close-packed layers (a/6<112> in fcc, the Shockley partial;
 *    a/3<1-100> in hcp, the I2 fault; see the chapters on fcc and hcp crystals in Hirth &
 *    Lothe, Theory of Dislocations, 2nd ed.);
 *  - positions snap to atomic planes (twins) or into the narrowest gap between them
 *    (faults), so that the boundaries are coherent and no bond is stretched.
 * All of this is computed in the crystal as it is just below each plane, by pulling the
 * plane back through the operations already applied, so twins on faults, faults inside twin
 * lamellae and faults in polar (wurtzite) stacks come out right. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_defects.h"
#include "cz/cz_fill.h"
#include "cz/cz_rng.h"
#include "error.h"
#include "vec.h"

/* Two plane heights closer than this (Å) are the same atomic plane. */
#define HEIGHT_TOL 1e-6

static const char ADD_FN[] = "cz_scene_add_defected_crystal";
static const char DRAW_FN[] = "cz_defect_planes_draw";

void cz_defect_plane_default(cz_defect_plane *p) {
    if (!p) return;
    p->kind = CZ_DEFECT_TWIN;
    p->hkl[0] = p->hkl[1] = p->hkl[2] = 1;
    p->position = 0.0;
    p->snap = CZ_SNAP_AUTO;
    p->shift[0] = p->shift[1] = p->shift[2] = NAN;
}

void cz_defects_opts_default(cz_defects_opts *o) {
    if (!o) return;
    cz_transform_identity(&o->placement);
    cz_object_opts_default(&o->object);
}

void cz_defect_draw_opts_default(cz_defect_draw_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->ntwins = 1;
    o->nfaults = 0;
    o->family = CZ_FAMILY_CUBIC_111;
    o->nvariants = 0;
    o->same_variant = 1;
    o->min_separation = NAN;
    o->margin = NAN;
}

/* ---- integer helpers ------------------------------------------------------------------ */

/* Extended Euclid: returns g = gcd(a, b) >= 0 and x, y with a·x + b·y = g. */
static long egcd(long a, long b, long *x, long *y) {
    long x0 = 1, y0 = 0, x1 = 0, y1 = 1;
    while (b != 0) {
        long q = a / b, t;
        t = a - q * b, a = b, b = t;
        t = x0 - q * x1, x0 = x1, x1 = t;
        t = y0 - q * y1, y0 = y1, y1 = t;
    }
    if (a < 0) a = -a, x0 = -x0, y0 = -y0;
    *x = x0;
    *y = y0;
    return a;
}

/* ---- the atomic planes of one (hkl) family ------------------------------------------ */

/* Site b of cell v lies at height (v·h + f_b·h)·d along the unit normal n of the reduced
 * Miller indices h, so the atomic planes sit at (m + o)·d for integers m and the distinct
 * fractional parts o of f_b·h (one per period for Bravais lattices; 0, 3/8, 1/2, 7/8 for
 * wurtzite (001); 0, 3/4 for diamond (111)). */
typedef struct {
    int h[3];      /* reduced, signed Miller indices */
    double n[3];   /* unit normal */
    double d;      /* period of the family, Å */
    size_t noff;   /* distinct offsets */
    double *off;   /* [noff] sorted offsets in [0, 1) */
    size_t *basis; /* [noff] a basis site on that offset */
    long *fl;      /* [noff] the integer part removed from f_b·h for that site */
    long u[3];     /* integer vector with u·h = 1 */
} family;

static void family_free(family *f) {
    free(f->off);
    free(f->basis);
    free(f->fl);
    memset(f, 0, sizeof *f);
}

static int cmp_double_idx(const void *a, const void *b) {
    const double *x = a, *y = b;
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* 0 on success, CZ_ENOMEM / CZ_EINVAL (already reported under `func`) otherwise. */
static cz_status family_init(const cz_lattice *lat, const int hkl[3], family *f, const char *func) {
    memset(f, 0, sizeof *f);
    long g1x, g1y, g2x, g2y;
    long g1 = egcd(hkl[0], hkl[1], &g1x, &g1y);
    long g = egcd(g1, hkl[2], &g2x, &g2y);
    if (g == 0) return CZ_FAIL_AS(func, CZ_EINVAL, "Miller indices (0 0 0) define no plane");
    for (int k = 0; k < 3; k++) f->h[k] = (int)(hkl[k] / g);
    /* u·h = 1 for the reduced indices: the coefficients of gcd(h0, h1, h2) = 1. */
    f->u[0] = g1x * g2x;
    f->u[1] = g1y * g2x;
    f->u[2] = g2y;
    if (cz_lattice_plane(lat, f->h, &f->d, f->n) != CZ_OK)
        return CZ_FAIL_AS(func, CZ_EINVAL, "lattice cell is singular");
    size_t nb = lat->nbasis;
    double *tmp = malloc(2 * nb * sizeof *tmp);
    f->off = malloc(nb * sizeof *f->off);
    f->basis = malloc(nb * sizeof *f->basis);
    f->fl = malloc(nb * sizeof *f->fl);
    if (!tmp || !f->off || !f->basis || !f->fl) {
        free(tmp);
        family_free(f);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %zu plane offsets", nb);
    }
    for (size_t b = 0; b < nb; b++) {
        double t =
            f->h[0] * lat->frac[b][0] + f->h[1] * lat->frac[b][1] + f->h[2] * lat->frac[b][2];
        double o = t - floor(t);
        if (o > 1.0 - 1e-9) o = 0.0; /* 0.9999999999 is the plane at 0 of the next period */
        tmp[2 * b] = o;
        tmp[2 * b + 1] = (double)b;
    }
    qsort(tmp, nb, 2 * sizeof *tmp, cmp_double_idx);
    for (size_t i = 0; i < nb; i++) {
        double o = tmp[2 * i];
        if (f->noff > 0 && o - f->off[f->noff - 1] < 1e-9) continue;
        size_t b = (size_t)tmp[2 * i + 1];
        double t =
            f->h[0] * lat->frac[b][0] + f->h[1] * lat->frac[b][1] + f->h[2] * lat->frac[b][2];
        f->off[f->noff] = o;
        f->basis[f->noff] = b;
        f->fl[f->noff] = (long)nearbyint(t - o);
        f->noff++;
    }
    free(tmp);
    return CZ_OK;
}

/* The highest atomic plane at or below height p (to HEIGHT_TOL): layer (m, j). */
static double layer_below(const family *f, double p, long *m_out, size_t *j_out) {
    double best = -INFINITY;
    for (size_t j = 0; j < f->noff; j++) {
        long m = (long)floor((p + HEIGHT_TOL) / f->d - f->off[j]);
        double h = ((double)m + f->off[j]) * f->d;
        /* Settle the rounding of the floor argument with the exact comparison. */
        if (h > p + HEIGHT_TOL) m--, h -= f->d;
        if (h + f->d <= p + HEIGHT_TOL) m++, h += f->d;
        if (h > best) best = h, *m_out = m, *j_out = j;
    }
    return best;
}

/* The lowest atomic plane strictly above height p (beyond HEIGHT_TOL). */
static double layer_above(const family *f, double p, long *m_out, size_t *j_out) {
    double best = INFINITY;
    for (size_t j = 0; j < f->noff; j++) {
        long m = (long)floor((p + HEIGHT_TOL) / f->d - f->off[j]) + 1;
        double h = ((double)m + f->off[j]) * f->d;
        if (h - f->d > p + HEIGHT_TOL) m--, h -= f->d;
        if (h <= p + HEIGHT_TOL) m++, h += f->d;
        if (h < best) best = h, *m_out = m, *j_out = j;
    }
    return best;
}

static double snap_layer(const family *f, double p) {
    long m;
    size_t j;
    double lo = layer_below(f, p, &m, &j), hi = layer_above(f, p, &m, &j);
    return (hi - p < p - lo) ? hi : lo;
}

/* The middle of the nearest of the narrowest gaps between consecutive atomic planes. */
static double snap_gap(const family *f, double p) {
    double gmin = INFINITY;
    for (size_t j = 0; j < f->noff; j++) {
        double next = j + 1 < f->noff ? f->off[j + 1] : f->off[0] + 1.0;
        gmin = fmin(gmin, next - f->off[j]);
    }
    double best = NAN;
    for (size_t j = 0; j < f->noff; j++) {
        double next = j + 1 < f->noff ? f->off[j + 1] : f->off[0] + 1.0;
        if (next - f->off[j] > gmin + 1e-9) continue;
        double base = 0.5 * (f->off[j] + next);
        double c = (nearbyint(p / f->d - base) + base) * f->d;
        if (isnan(best) || fabs(c - p) < fabs(best - p) - 1e-12 ||
            (fabs(fabs(c - p) - fabs(best - p)) <= 1e-12 && c < best))
            best = c;
    }
    return best;
}

/* A lattice site on atomic plane (m, j): v·h = m − fl_j solved as v = (m − fl_j)·u. */
static void layer_site(const cz_lattice *lat, const family *f, long m, size_t j, double x[3],
                       long v[3]) {
    long t = m - f->fl[j];
    size_t b = f->basis[j];
    double fr[3];
    for (int k = 0; k < 3; k++) {
        v[k] = t * f->u[k];
        fr[k] = (double)v[k] + lat->frac[b][k];
    }
    m3_tmulv(lat->cell, fr, x);
}

/* One stacking step: the in-plane part of the shortest vector from a site of the plane at or
 * below p to a site of the next plane above. 0 if found, else the plane above sits directly
 * over the one below (a vertical bond) or no site was found near. */
static int stacking_step(const cz_lattice *lat, const family *f, double p, double w[3]) {
    long m0, m1, v0[3];
    size_t j0, j1;
    double x0[3];
    layer_below(f, p, &m0, &j0);
    double h1 = layer_above(f, p, &m1, &j1);
    layer_site(lat, f, m0, j0, x0, v0);
    /* Sites near x0 on the plane above: a few cells around are enough for any sensible cell;
     * the site nearest in projection is what a stacking step means. */
    double best = INFINITY;
    const int R = 3;
    for (int a = -R; a <= R; a++)
        for (int bb = -R; bb <= R; bb++)
            for (int c = -R; c <= R; c++)
                for (size_t s = 0; s < lat->nbasis; s++) {
                    double fr[3] = {(double)(v0[0] + a) + lat->frac[s][0],
                                    (double)(v0[1] + bb) + lat->frac[s][1],
                                    (double)(v0[2] + c) + lat->frac[s][2]};
                    double x[3];
                    m3_tmulv(lat->cell, fr, x);
                    if (fabs(v3_dot(x, f->n) - h1) > HEIGHT_TOL) continue;
                    double dx[3] = {x[0] - x0[0], x[1] - x0[1], x[2] - x0[2]};
                    double dn = v3_dot(dx, f->n);
                    double ip[3] = {dx[0] - dn * f->n[0], dx[1] - dn * f->n[1],
                                    dx[2] - dn * f->n[2]};
                    double len = v3_norm(ip);
                    if (len < best - 1e-9) {
                        best = len;
                        memcpy(w, ip, sizeof ip);
                    }
                }
    return isfinite(best) && best > 1e-6;
}

/* ---- operations --------------------------------------------------------------------- */

static void op_mirror(const double u[3], double q, cz_transform *op) {
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) op->m[i][j] = (i == j ? 1.0 : 0.0) - 2.0 * u[i] * u[j];
        op->t[i] = 2.0 * q * u[i];
    }
}

/* 180° about the axis along u through s: m = 2uuᵀ − 1, t = s − m s. */
static void op_twin(const double u[3], const double s[3], cz_transform *op) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) op->m[i][j] = 2.0 * u[i] * u[j] - (i == j ? 1.0 : 0.0);
    double ms[3];
    m3_mulv(CZ_CROWS(op->m), s, ms);
    for (int i = 0; i < 3; i++) op->t[i] = s[i] - ms[i];
}

/* ---- plane sets and cells ----------------------------------------------------------- */

typedef struct {
    size_t idx;   /* input index */
    double sigma; /* +1 when the plane's normal is the set's direction, −1 when opposite */
    double q;     /* raw position along the set's direction */
} member;

typedef struct {
    double u[3];   /* unit direction (normal of the set's first plane) */
    int hkl[3];    /* Miller indices of the set's first plane */
    family fam[2]; /* atomic planes along +u (fam[0]) and −u (fam[1]) */
    member *mem;   /* [n] sorted by raw position */
    size_t n;
    double *bound;      /* [n] snapped positions along u */
    cz_transform *slab; /* [n + 1] transform of each slab (slab 0 = matrix) */
} plane_set;

static void set_free(plane_set *s) {
    family_free(&s->fam[0]);
    family_free(&s->fam[1]);
    free(s->mem);
    free(s->bound);
    free(s->slab);
}

static int cmp_member(const void *a, const void *b) {
    const member *x = a, *y = b;
    if (x->q != y->q) return (x->q > y->q) - (x->q < y->q);
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static cz_status check_plane(const cz_defect_plane *p, size_t i) {
    if (p->kind != CZ_DEFECT_TWIN && p->kind != CZ_DEFECT_MIRROR && p->kind != CZ_DEFECT_SHIFT)
        return CZ_FAIL_AS(ADD_FN, CZ_EINVAL, "plane %zu: unknown kind %d", i, (int)p->kind);
    if (p->snap != CZ_SNAP_AUTO && p->snap != CZ_SNAP_NONE && p->snap != CZ_SNAP_LAYER &&
        p->snap != CZ_SNAP_GAP)
        return CZ_FAIL_AS(ADD_FN, CZ_EINVAL, "plane %zu: unknown snap mode %d", i, (int)p->snap);
    if (p->hkl[0] == 0 && p->hkl[1] == 0 && p->hkl[2] == 0)
        return CZ_FAIL_AS(ADD_FN, CZ_EINVAL, "plane %zu: Miller indices (0 0 0) define no plane",
                          i);
    if (!isfinite(p->position))
        return CZ_FAIL_AS(ADD_FN, CZ_EINVAL, "plane %zu: position must be finite (got %g)", i,
                          p->position);
    if (p->kind == CZ_DEFECT_SHIFT) {
        int any_nan = isnan(p->shift[0]) || isnan(p->shift[1]) || isnan(p->shift[2]);
        if (!any_nan && !v3_finite(p->shift))
            return CZ_FAIL_AS(ADD_FN, CZ_EINVAL, "plane %zu: shift must be finite (got %g %g %g)",
                              i, p->shift[0], p->shift[1], p->shift[2]);
    }
    return CZ_OK;
}

/* Snap every plane of the set in the crystal just below it and build the slab transforms. */
static cz_status resolve_set(const cz_lattice *lat, const cz_defect_plane planes[], plane_set *s,
                             cz_defect_plane resolved[]) {
    cz_transform d;
    cz_transform_identity(&d);
    s->slab[0] = d;
    for (size_t r = 0; r < s->n; r++) {
        const member *mb = &s->mem[r];
        const cz_defect_plane *p = &planes[mb->idx];
        /* Pull the plane u·x = q back through d (orthogonal linear part): in the matrix it is
         * n'·y = q − u·t with n' = mᵀu = ±u, measured by the family along n'. */
        double np[3];
        m3_tmulv(CZ_CROWS(d.m), s->u, np);
        const family *f = &s->fam[v3_dot(np, s->u) > 0 ? 0 : 1];
        double shift_t = v3_dot(s->u, d.t);
        double pp = mb->q - shift_t;
        cz_defect_snap snap = p->snap;
        if (snap == CZ_SNAP_AUTO) snap = p->kind == CZ_DEFECT_SHIFT ? CZ_SNAP_GAP : CZ_SNAP_LAYER;
        if (snap == CZ_SNAP_LAYER) pp = snap_layer(f, pp);
        if (snap == CZ_SNAP_GAP) pp = snap_gap(f, pp);
        double q = pp + shift_t;
        cz_transform op;
        double w[3] = {0, 0, 0};
        if (p->kind == CZ_DEFECT_MIRROR) {
            op_mirror(s->u, q, &op);
        } else if (p->kind == CZ_DEFECT_TWIN) {
            long m, v[3];
            size_t j;
            double y0[3], site[3];
            layer_below(f, pp, &m, &j);
            layer_site(lat, f, m, j, y0, v);
            cz_transform_apply(&d, y0, site);
            op_twin(s->u, site, &op);
        } else {
            if (isnan(p->shift[0]) || isnan(p->shift[1]) || isnan(p->shift[2])) {
                double wp[3] = {0, 0, 0};
                if (!stacking_step(lat, f, pp, wp))
                    return CZ_FAIL_AS(
                        ADD_FN, CZ_EINVAL,
                        "plane %zu (%d %d %d) at %g Å: the atomic plane above the cut "
                        "sits directly over the one below, so there is no stacking "
                        "step to shift by; cut another gap or give the shift",
                        mb->idx, p->hkl[0], p->hkl[1], p->hkl[2], mb->sigma * q);
                m3_mulv(CZ_CROWS(d.m), wp, w);
            } else {
                double sc[3];
                m3_tmulv(lat->cell, p->shift, sc);
                for (int k = 0; k < 3; k++) w[k] = mb->sigma * sc[k];
            }
            cz_transform_translation(w, &op);
        }
        if (r > 0 && q - s->bound[r - 1] < HEIGHT_TOL)
            return CZ_FAIL_AS(ADD_FN, CZ_EINVAL,
                              "planes %zu and %zu (%d %d %d) coincide or cross after snapping to "
                              "atomic planes (at %g and %g Å along the first plane's normal)",
                              s->mem[r - 1].idx, mb->idx, s->hkl[0], s->hkl[1], s->hkl[2],
                              s->bound[r - 1], q);
        s->bound[r] = q;
        cz_transform_compose(&d, &op, &d);
        s->slab[r + 1] = d;
        if (resolved) {
            cz_defect_plane *o = &resolved[mb->idx];
            *o = *p;
            o->position = mb->sigma * q;
            o->snap = CZ_SNAP_NONE;
            if (p->kind == CZ_DEFECT_SHIFT) {
                double inv[3][3] = {{0}},
                       own[3] = {mb->sigma * w[0], mb->sigma * w[1], mb->sigma * w[2]};
                m3_inverse(lat->cell, inv);
                m3_tmulv(CZ_CROWS(inv), own, o->shift);
            }
        }
    }
    return CZ_OK;
}

/* A cell of the arrangement: the volume cut by one slab of every set. */
static cz_status cell_volume(const cz_volume *vol, const plane_set *sets, size_t nsets,
                             const size_t slab[], cz_volume **out) {
    cz_volume *v = NULL;
    cz_status st = cz_volume_copy(vol, &v);
    for (size_t k = 0; k < nsets && st == CZ_OK; k++) {
        const plane_set *s = &sets[k];
        for (int side = 0; side < 2 && st == CZ_OK; side++) {
            /* side 0: the lower bound u·x >= bound[j−1]; side 1: the upper bound u·x <= bound[j].
             */
            size_t j = slab[k];
            if ((side == 0 && j == 0) || (side == 1 && j == s->n)) continue;
            double q = side == 0 ? s->bound[j - 1] : s->bound[j];
            double sg = side == 0 ? -1.0 : 1.0;
            double nrm[3] = {sg * s->u[0], sg * s->u[1], sg * s->u[2]};
            double pt[3] = {q * s->u[0], q * s->u[1], q * s->u[2]};
            cz_volume *h = NULL, *both = NULL;
            st = cz_volume_halfspace(nrm, pt, &h);
            if (st == CZ_OK) st = cz_volume_intersection(v, h, &both);
            cz_volume_destroy(h);
            cz_volume_destroy(v);
            v = both;
        }
    }
    if (st != CZ_OK) {
        cz_volume_destroy(v);
        v = NULL;
    }
    *out = v;
    return st;
}

cz_status cz_scene_add_defected_crystal(cz_scene *scene, const cz_lattice *lattice,
                                        const cz_volume *volume, size_t nplanes,
                                        const cz_defect_plane planes[], const cz_defects_opts *opts,
                                        cz_defect_plane resolved[], cz_defects_info *info) {
    if (info) info->first = info->ngrains = 0;
    if (!scene || !lattice || !volume)
        return CZ_FAIL(CZ_EINVAL, "scene, lattice and volume must not be NULL");
    if (nplanes > 0 && !planes)
        return CZ_FAIL(CZ_EINVAL, "planes must not be NULL when nplanes = %zu", nplanes);
    if (nplanes > CZ_DEFECTS_MAX_PLANES)
        return CZ_FAIL(CZ_ERANGE, "%zu planes exceed CZ_DEFECTS_MAX_PLANES = %d", nplanes,
                       CZ_DEFECTS_MAX_PLANES);
    cz_defects_opts o;
    cz_defects_opts_default(&o);
    if (opts) o = *opts;
    cz_transform pinv;
    if (!m3_finite(CZ_CROWS(o.placement.m)) || !v3_finite(o.placement.t) ||
        cz_transform_invert(&o.placement, &pinv) != CZ_OK)
        return CZ_FAIL(CZ_EINVAL, "placement must be finite and invertible (det = %g)",
                       m3_det(CZ_CROWS(o.placement.m)));
    if (o.object.class_id < 0 || o.object.class_id > CZ_CLASS_LIGAND)
        return CZ_FAIL(CZ_EINVAL, "class_id must be 0..3 (got %d)", o.object.class_id);
    if (o.object.grain_id < -1)
        return CZ_FAIL(CZ_EINVAL, "grain_id must be >= -1 (got %d)", o.object.grain_id);
    if (o.object.object_id < 0)
        return CZ_FAIL(CZ_EINVAL, "object_id must be >= 0 (got %d)", o.object.object_id);
    if (!cz_volume_is_bounded(volume))
        return CZ_FAIL(CZ_EINVAL, "volume is unbounded: intersect it with a bounded volume");
    for (size_t i = 0; i < nplanes; i++) {
        cz_status st = check_plane(&planes[i], i);
        if (st != CZ_OK) return st;
    }

    /* Group the planes into sets of parallel planes, in order of first appearance. */
    plane_set *sets = calloc(nplanes ? nplanes : 1, sizeof *sets);
    size_t nsets = 0;
    cz_status st = CZ_OK;
    cz_volume **cells = NULL;
    cz_transform *cell_tf = NULL;
    size_t ncells = 0, nkept = 0;
    if (!sets) return CZ_FAIL(CZ_ENOMEM, "cannot allocate plane sets");
    int *set_of = malloc((nplanes ? nplanes : 1) * sizeof *set_of);
    double *sig = malloc((nplanes ? nplanes : 1) * sizeof *sig);
    if (!set_of || !sig) {
        st = CZ_FAIL(CZ_ENOMEM, "cannot allocate plane sets");
        goto done;
    }
    for (size_t i = 0; i < nplanes && st == CZ_OK; i++) {
        double dsp, n[3];
        if (cz_lattice_plane(lattice, planes[i].hkl, &dsp, n) != CZ_OK) {
            st = CZ_FAIL(CZ_EINVAL, "lattice cell is singular");
            break;
        }
        size_t k = 0;
        for (; k < nsets; k++)
            if (fabs(fabs(v3_dot(n, sets[k].u)) - 1.0) < 1e-9) break;
        if (k == nsets) {
            memcpy(sets[k].u, n, sizeof n);
            memcpy(sets[k].hkl, planes[i].hkl, sizeof sets[k].hkl);
            nsets++;
        }
        set_of[i] = (int)k;
        sig[i] = v3_dot(n, sets[k].u) > 0 ? 1.0 : -1.0;
        sets[k].n++;
    }
    for (size_t k = 0; k < nsets && st == CZ_OK; k++) {
        plane_set *s = &sets[k];
        int neg[3] = {-s->hkl[0], -s->hkl[1], -s->hkl[2]};
        st = family_init(lattice, s->hkl, &s->fam[0], ADD_FN);
        if (st == CZ_OK) st = family_init(lattice, neg, &s->fam[1], ADD_FN);
        if (st != CZ_OK) break;
        s->mem = malloc(s->n * sizeof *s->mem);
        s->bound = malloc(s->n * sizeof *s->bound);
        s->slab = malloc((s->n + 1) * sizeof *s->slab);
        if (!s->mem || !s->bound || !s->slab) {
            st = CZ_FAIL(CZ_ENOMEM, "cannot allocate plane sets");
            break;
        }
        size_t c = 0;
        for (size_t i = 0; i < nplanes; i++)
            if (set_of[i] == (int)k) {
                s->mem[c].idx = i;
                s->mem[c].sigma = sig[i];
                s->mem[c].q = sig[i] * planes[i].position;
                c++;
            }
        qsort(s->mem, s->n, sizeof *s->mem, cmp_member);
        st = resolve_set(lattice, planes, s, resolved);
    }
    if (st != CZ_OK) goto done;

    /* The cells: one slab of every set, enumerated with the first set's slab varying
     * slowest, so one set of parallel planes gives its slabs from the matrix outwards. */
    double total = 1.0;
    for (size_t k = 0; k < nsets; k++) total *= (double)(sets[k].n + 1);
    if (total > CZ_DEFECTS_MAX_CELLS) {
        st = CZ_FAIL(CZ_ERANGE,
                     "%zu sets of non-parallel planes cut the volume into %.0f cells, "
                     "more than CZ_DEFECTS_MAX_CELLS = %d",
                     nsets, total, CZ_DEFECTS_MAX_CELLS);
        goto done;
    }
    ncells = (size_t)total;
    cells = calloc(ncells, sizeof *cells);
    cell_tf = malloc(ncells * sizeof *cell_tf);
    if (!cells || !cell_tf) {
        st = CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu cells", ncells);
        goto done;
    }
    for (size_t c = 0; c < ncells && st == CZ_OK; c++) {
        size_t slab[CZ_DEFECTS_MAX_PLANES + 1], rest = c;
        for (size_t k = nsets; k-- > 0;) {
            slab[k] = rest % (sets[k].n + 1);
            rest /= sets[k].n + 1;
        }
        cz_transform d;
        cz_transform_identity(&d);
        for (size_t k = 0; k < nsets; k++) cz_transform_compose(&d, &sets[k].slab[slab[k]], &d);
        cz_volume *v = NULL;
        st = cell_volume(volume, sets, nsets, slab, &v);
        if (st != CZ_OK) break;
        /* Drop cells without a single lattice site: they would be grains with no atoms. */
        cz_fill_opts fo;
        cz_fill_opts_default(&fo);
        fo.lattice_tf = d;
        size_t count = 0;
        st = cz_fill_count(lattice, v, &fo, &count);
        if (st != CZ_OK || count == 0) {
            cz_volume_destroy(v);
            continue;
        }
        cells[nkept] = v;
        cell_tf[nkept] = d;
        nkept++;
    }
    if (st != CZ_OK) goto done;
    if (nkept == 0) {
        /* A volume without any site: keep one (empty) grain so the object still exists. */
        st = cz_volume_copy(volume, &cells[0]);
        if (st != CZ_OK) goto done;
        cz_transform_identity(&cell_tf[0]);
        nkept = 1;
    }

    size_t first = cz_scene_count(scene);
    if (first + nkept + 1 > (size_t)INT_MAX ||
        (o.object.grain_id >= 0 && (size_t)o.object.grain_id + nkept > (size_t)INT_MAX)) {
        st = CZ_FAIL(CZ_ERANGE, "grain ids would overflow int");
        goto done;
    }
    cz_object_opts oo = o.object;
    oo.object_id = o.object.object_id > 0 ? o.object.object_id : (int)first + 1;
    for (size_t g = 0; g < nkept && st == CZ_OK; g++) {
        size_t idx = 0;
        oo.grain_id = o.object.grain_id >= 0 ? o.object.grain_id + (int)g : (int)(first + g) + 1;
        st = cz_scene_add_crystal(scene, lattice, cells[g], &oo, &idx);
        if (st == CZ_OK) st = cz_scene_transform(scene, idx, &cell_tf[g], CZ_APPLY_LATTICE);
        if (st == CZ_OK) st = cz_scene_transform(scene, idx, &o.placement, CZ_APPLY_LOCKED);
    }
    if (st == CZ_OK && info) {
        info->first = first;
        info->ngrains = nkept;
    }
done:
    for (size_t c = 0; cells && c < ncells; c++) cz_volume_destroy(cells[c]);
    free(cells);
    free(cell_tf);
    for (size_t k = 0; k < nsets; k++) set_free(&sets[k]);
    free(sets);
    free(set_of);
    free(sig);
    return st;
}

/* ---- random planes ---------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static cz_status check_family_cell(const cz_lattice *lat, cz_defect_family fam) {
    const double(*c)[3] = CZ_CROWS(lat->cell);
    double la = v3_norm(c[0]), lb = v3_norm(c[1]), lc = v3_norm(c[2]);
    double cab = v3_dot(c[0], c[1]) / (la * lb), cac = v3_dot(c[0], c[2]) / (la * lc),
           cbc = v3_dot(c[1], c[2]) / (lb * lc);
    if (fam == CZ_FAMILY_CUBIC_111) {
        if (fabs(la - lb) > 1e-6 * la || fabs(la - lc) > 1e-6 * la || fabs(cab) > 1e-6 ||
            fabs(cac) > 1e-6 || fabs(cbc) > 1e-6)
            return CZ_FAIL_AS(DRAW_FN, CZ_EINVAL,
                              "CZ_FAMILY_CUBIC_111 needs a cubic cell (|a| |b| |c| = %g %g %g Å, "
                              "cos(ab, ac, bc) = %g %g %g)",
                              la, lb, lc, cab, cac, cbc);
    } else if (fam == CZ_FAMILY_HEX_0001) {
        if (fabs(la - lb) > 1e-6 * la || fabs(fabs(cab) - 0.5) > 1e-6 || fabs(cac) > 1e-6 ||
            fabs(cbc) > 1e-6)
            return CZ_FAIL_AS(DRAW_FN, CZ_EINVAL,
                              "CZ_FAMILY_HEX_0001 needs a hexagonal cell (|a| |b| = %g %g Å, "
                              "cos(ab, ac, bc) = %g %g %g)",
                              la, lb, cab, cac, cbc);
    }
    return CZ_OK;
}

cz_status cz_defect_planes_draw(const cz_lattice *lattice, const cz_volume *volume,
                                const cz_defect_draw_opts *opts, size_t capacity,
                                cz_defect_plane planes[]) {
    if (!lattice || !volume) return CZ_FAIL(CZ_EINVAL, "lattice and volume must not be NULL");
    cz_defect_draw_opts o;
    cz_defect_draw_opts_default(&o);
    if (opts) o = *opts;
    size_t n = o.ntwins + o.nfaults;
    if (n < o.ntwins || n > CZ_DEFECTS_MAX_PLANES)
        return CZ_FAIL(CZ_ERANGE, "%zu twins + %zu faults exceed CZ_DEFECTS_MAX_PLANES = %d",
                       o.ntwins, o.nfaults, CZ_DEFECTS_MAX_PLANES);
    if (capacity < n)
        return CZ_FAIL(CZ_ERANGE, "capacity %zu is less than ntwins + nfaults = %zu", capacity, n);
    if (n > 0 && !planes) return CZ_FAIL(CZ_EINVAL, "planes must not be NULL");
    int var[4][3];
    size_t nvar = 0;
    if (o.family == CZ_FAMILY_CUBIC_111) {
        const int v111[4][3] = {{1, 1, 1}, {-1, 1, 1}, {1, -1, 1}, {1, 1, -1}};
        memcpy(var, v111, sizeof var);
        nvar = 4;
    } else if (o.family == CZ_FAMILY_HEX_0001) {
        var[0][0] = var[0][1] = 0;
        var[0][2] = 1;
        nvar = 1;
    } else if (o.family == CZ_FAMILY_CUSTOM) {
        if (o.nvariants < 1 || o.nvariants > 4)
            return CZ_FAIL(CZ_EINVAL, "nvariants must be 1..4 (got %zu)", o.nvariants);
        nvar = o.nvariants;
        for (size_t v = 0; v < nvar; v++) {
            if (o.variants[v][0] == 0 && o.variants[v][1] == 0 && o.variants[v][2] == 0)
                return CZ_FAIL(CZ_EINVAL, "variant %zu: Miller indices (0 0 0) define no plane", v);
            memcpy(var[v], o.variants[v], sizeof var[v]);
        }
    } else {
        return CZ_FAIL(CZ_EINVAL, "unknown family %d", (int)o.family);
    }
    cz_status st = check_family_cell(lattice, o.family);
    if (st != CZ_OK) return st;
    if (!(isnan(o.min_separation) || (o.min_separation > 0 && isfinite(o.min_separation))))
        return CZ_FAIL(CZ_EINVAL, "min_separation must be > 0 and finite (got %g)",
                       o.min_separation);
    if (!(isnan(o.margin) || (o.margin >= 0 && isfinite(o.margin))))
        return CZ_FAIL(CZ_EINVAL, "margin must be >= 0 and finite (got %g)", o.margin);
    if (!cz_volume_is_bounded(volume))
        return CZ_FAIL(CZ_EINVAL, "volume is unbounded: intersect it with a bounded volume");
    if (n == 0) return CZ_OK;

    /* Draw layout, one counter per purpose so that changing ntwins does not reshuffle the
     * variants: index 3i (variant of plane i), 3i + 1 (its position), 3i + 2 (kinds). */
    const uint64_t seed = o.seed, stream = o.stream;
    size_t vidx[CZ_DEFECTS_MAX_PLANES];
    cz_defect_kind kind[CZ_DEFECTS_MAX_PLANES];
    for (size_t i = 0; i < n; i++) {
        size_t draw = o.same_variant ? 0 : i;
        size_t v = (size_t)(cz_rng_uniform(seed, stream, 3 * draw) * (double)nvar);
        vidx[i] = v < nvar ? v : nvar - 1;
        kind[i] = i < o.ntwins ? CZ_DEFECT_TWIN : CZ_DEFECT_SHIFT;
    }
    /* Fisher–Yates: a uniformly random order of the kinds along the stacks. */
    for (size_t i = n; i-- > 1;) {
        size_t j = (size_t)(cz_rng_uniform(seed, stream, 3 * i + 2) * (double)(i + 1));
        if (j > i) j = i;
        cz_defect_kind t = kind[i];
        kind[i] = kind[j];
        kind[j] = t;
    }
    /* Positions per variant: m points with gaps >= s_eff uniformly distributed over the room
     * left, by the classic map from m sorted uniforms x_(k) to x_(k) + k·s_eff. */
    cz_defect_plane out[CZ_DEFECTS_MAX_PLANES];
    size_t nout = 0;
    for (size_t v = 0; v < nvar; v++) {
        size_t m = 0, mem[CZ_DEFECTS_MAX_PLANES];
        for (size_t i = 0; i < n; i++)
            if (vidx[i] == v) mem[m++] = i;
        if (m == 0) continue;
        double d, nrm[3];
        if (cz_lattice_plane(lattice, var[v], &d, nrm) != CZ_OK)
            return CZ_FAIL(CZ_EINVAL, "lattice cell is singular");
        /* d of the reduced indices: the period of the atomic planes. */
        long gx, gy;
        long g = egcd(egcd(var[v][0], var[v][1], &gx, &gy), var[v][2], &gx, &gy);
        d *= (double)g;
        double sep = isnan(o.min_separation) ? 2.0 * d : o.min_separation;
        double margin = isnan(o.margin) ? sep : o.margin;
        double neg[3] = {-nrm[0], -nrm[1], -nrm[2]};
        double hi = cz_volume_support(volume, nrm), lo = -cz_volume_support(volume, neg);
        double s_eff = sep + d;
        double room = (hi - lo) - 2.0 * margin, need = (double)(m - 1) * s_eff;
        if (!(room >= need))
            return CZ_FAIL(CZ_EINVAL,
                           "%zu planes (%d %d %d) %g Å apart (min_separation %g + d_hkl %g) with "
                           "margin %g Å do not fit in the volume's extent of %g Å along the normal",
                           m, var[v][0], var[v][1], var[v][2], s_eff, sep, d, margin, hi - lo);
        double x[CZ_DEFECTS_MAX_PLANES];
        for (size_t k = 0; k < m; k++)
            x[k] = cz_rng_uniform(seed, stream, 3 * mem[k] + 1) * (room - need);
        qsort(x, m, sizeof *x, cmp_double);
        for (size_t k = 0; k < m; k++) {
            cz_defect_plane *p = &out[nout++];
            cz_defect_plane_default(p);
            p->kind = kind[mem[k]];
            memcpy(p->hkl, var[v], sizeof p->hkl);
            p->position = lo + margin + x[k] + (double)k * s_eff;
        }
    }
    memcpy(planes, out, n * sizeof *planes);
    return CZ_OK;
}
