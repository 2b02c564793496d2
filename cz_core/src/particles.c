/* particles.c — Wulff and Winterbottom shapes, decahedral and icosahedral multiply-twinned
 * particles, and their placement in scenes as one labelled object of several grains. */
#include <math.h>
#include <spglib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_fill.h"
#include "cz/cz_particles.h"
#include "error.h"
#include "vec.h"

/* 2-D twin of CZ_CROWS for polygon buffers. */
#define CZ_CROWS2(p) ((const double(*)[2])(p))

static const double PI = 3.14159265358979323846;
static const double DEG = 3.14159265358979323846 / 180.0;

/* Sizes in layers beyond this are refused before any arithmetic can overflow: a particle
 * with 10^5 atoms along an edge is ~30 µm across, far beyond CZ_MAX_ATOMS anyway. */
#define MAX_LAYERS 100000

/* ================================================================== symmetry ==== */

static int igcd(int a, int b) {
    a = abs(a);
    b = abs(b);
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* (hkl) divided by the common divisor of its entries: (200) and (100) are one orientation,
 * and basis-aware snapping finds the same atomic planes for both. */
static void reduce_hkl(const int in[3], int out[3]) {
    int g = igcd(igcd(in[0], in[1]), in[2]);
    if (g == 0) g = 1;
    for (int k = 0; k < 3; k++) out[k] = in[k] / g;
}

static int hkl_eq(const int a[3], const int b[3]) {
    return a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
}

/* The distinct rotation parts W of the lattice's space group, as spglib gives them in the
 * lattice's own (fractional) basis, replaced by W⁻¹: a plane h·x = c maps under x' = Wx + w
 * to (h·W⁻¹)·x' = c', so Miller row vectors transform with the inverse. Integer matrices of
 * determinant ±1 have integer inverses (adjugate / det). */
static cz_status miller_ops(const cz_lattice *l, double symprec, const char *func, int ops[][3][3],
                            int *nops) {
    double lat[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) lat[i][j] = l->cell[j][i]; /* spglib: columns a, b, c */
    double(*pos)[3] = malloc(l->nbasis * sizeof *pos);
    int *types = malloc(l->nbasis * sizeof *types);
    if (!pos || !types) {
        free(pos);
        free(types);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %zu sites for spglib", l->nbasis);
    }
    memcpy(pos, l->frac, l->nbasis * sizeof *pos);
    memcpy(types, l->z, l->nbasis * sizeof *types);
    SpglibDataset *ds = spg_get_dataset(lat, pos, types, (int)l->nbasis, symprec);
    free(pos);
    free(types);
    if (!ds)
        return CZ_FAIL_AS(func, CZ_EINVAL,
                          "spglib could not find the symmetry of the lattice (symprec %g Å)",
                          symprec);
    int n = 0;
    cz_status st = CZ_OK;
    for (int o = 0; o < ds->n_operations && st == CZ_OK; o++) {
        int(*w)[3] = ds->rotations[o];
        int inv[3][3];
        inv[0][0] = w[1][1] * w[2][2] - w[1][2] * w[2][1];
        inv[0][1] = w[0][2] * w[2][1] - w[0][1] * w[2][2];
        inv[0][2] = w[0][1] * w[1][2] - w[0][2] * w[1][1];
        inv[1][0] = w[1][2] * w[2][0] - w[1][0] * w[2][2];
        inv[1][1] = w[0][0] * w[2][2] - w[0][2] * w[2][0];
        inv[1][2] = w[0][2] * w[1][0] - w[0][0] * w[1][2];
        inv[2][0] = w[1][0] * w[2][1] - w[1][1] * w[2][0];
        inv[2][1] = w[0][1] * w[2][0] - w[0][0] * w[2][1];
        inv[2][2] = w[0][0] * w[1][1] - w[0][1] * w[1][0];
        int det = w[0][0] * inv[0][0] + w[0][1] * inv[1][0] + w[0][2] * inv[2][0];
        if (det != 1 && det != -1) {
            st = CZ_FAIL_AS(func, CZ_EINTERNAL, "spglib rotation %d has determinant %d", o, det);
            break;
        }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) inv[i][j] *= det;
        int seen = 0;
        for (int q = 0; q < n && !seen; q++) seen = memcmp(ops[q], inv, sizeof inv) == 0;
        if (seen) continue;
        if (n == CZ_MAX_FAMILY) {
            st = CZ_FAIL_AS(func, CZ_EINTERNAL, "point group with more than %d operations",
                            CZ_MAX_FAMILY);
            break;
        }
        memcpy(ops[n++], inv, sizeof inv);
    }
    spg_free_dataset(ds);
    *nops = n;
    return st;
}

/* Orbit of a reduced (hkl) under the Miller operations; (hkl) itself first. */
static int orbit(const int hkl[3], int nops, int ops[][3][3], int out[CZ_MAX_FAMILY][3]) {
    int n = 0;
    memcpy(out[n++], hkl, 3 * sizeof(int));
    for (int o = 0; o < nops; o++) {
        int h[3];
        for (int j = 0; j < 3; j++)
            h[j] = hkl[0] * ops[o][0][j] + hkl[1] * ops[o][1][j] + hkl[2] * ops[o][2][j];
        int seen = 0;
        for (int q = 0; q < n && !seen; q++) seen = hkl_eq(out[q], h);
        if (!seen && n < CZ_MAX_FAMILY) memcpy(out[n++], h, sizeof h);
    }
    return n;
}

cz_status cz_miller_family(const cz_lattice *lattice, const int hkl[3], double symprec,
                           int out[][3], size_t cap, size_t *n) {
    if (!n) return CZ_FAIL(CZ_EINVAL, "n must not be NULL");
    *n = 0;
    if (!lattice || !hkl || !out)
        return CZ_FAIL(CZ_EINVAL, "lattice, hkl and out must not be NULL");
    if (hkl[0] == 0 && hkl[1] == 0 && hkl[2] == 0)
        return CZ_FAIL(CZ_EINVAL, "Miller indices (0 0 0) define no plane");
    if (!(symprec > 0) || !isfinite(symprec))
        return CZ_FAIL(CZ_EINVAL, "symprec must be > 0 and finite (got %g)", symprec);
    int ops[CZ_MAX_FAMILY][3][3], nops = 0;
    cz_status st = miller_ops(lattice, symprec, __func__, ops, &nops);
    if (st != CZ_OK) return st;
    int h[3], fam[CZ_MAX_FAMILY][3];
    reduce_hkl(hkl, h);
    int m = orbit(h, nops, ops, fam);
    if ((size_t)m > cap) {
        *n = (size_t)m;
        return CZ_FAIL(CZ_ERANGE, "the family of (%d %d %d) has %d planes but out holds %zu",
                       hkl[0], hkl[1], hkl[2], m, cap);
    }
    memcpy(out, fam, (size_t)m * sizeof fam[0]);
    *n = (size_t)m;
    return CZ_OK;
}

/* ======================================================= polyhedron geometry ==== */

/* Geometry of ∩_i {x : n_i·x <= d_i} for unit normals n_i and offsets d_i measured from the
 * particle centre: vertices, the face each plane carries, volume and circumradius. */
typedef struct {
    int bounded; /* the recession cone is {0} */
    int empty;   /* no interior */
    size_t nv;   /* distinct vertices */
    double (*v)[3];
    double *area;  /* [n] area of the face on each plane (0: the plane only touches or misses) */
    int *touch;    /* [n] 1 if a vertex lies on the plane: only such planes can cut */
    double volume; /* Å³ (or unit³) */
    double rmax;   /* largest |vertex| */
} geom;

static void geom_free(geom *g) {
    free(g->v);
    free(g->area);
    free(g->touch);
    memset(g, 0, sizeof *g);
}

/* A set of normals bounds a region in every direction only if it spans space and no direction
 * w has n_i·w <= 0 for all i. With rank 3 the cone {w : n_i·w <= 0} is pointed, so it is
 * non-trivial exactly when one of its candidate extreme rays ±(n_i × n_j) lies in it. */
static int normals_bound(size_t n, const double (*nrm)[3]) {
    int rank3 = 0;
    for (size_t i = 0; i < n && !rank3; i++)
        for (size_t j = i + 1; j < n && !rank3; j++) {
            double c[3];
            v3_cross(nrm[i], nrm[j], c);
            if (v3_norm(c) < 1e-9) continue;
            for (size_t k = 0; k < n && !rank3; k++)
                if (fabs(v3_dot(c, nrm[k])) > 1e-9) rank3 = 1;
        }
    if (!rank3) return 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double w[3];
            v3_cross(nrm[i], nrm[j], w);
            if (v3_norm(w) < 1e-9) continue;
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                size_t q;
                for (q = 0; q < n; q++)
                    if (sgn * v3_dot(nrm[q], w) > 1e-12) break;
                if (q == n) return 0;
            }
        }
    return 1;
}

/* Clip the convex polygon P[0..m) (coordinates s, t in a plane) by a·s + b·t <= c, writing
 * the result to Q (Sutherland–Hodgman); returns the new vertex count. */
static size_t clip_polygon(const double (*P)[2], size_t m, double a, double b, double c, double tol,
                           double (*Q)[2]) {
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        const double *u = P[i], *w = P[(i + 1) % m];
        double fu = a * u[0] + b * u[1] - c, fw = a * w[0] + b * w[1] - c;
        if (fu <= tol) {
            Q[k][0] = u[0];
            Q[k][1] = u[1];
            k++;
        }
        if ((fu <= tol) != (fw <= tol)) {
            double t = fu / (fu - fw);
            Q[k][0] = u[0] + t * (w[0] - u[0]);
            Q[k][1] = u[1] + t * (w[1] - u[1]);
            k++;
        }
    }
    return k;
}

/* Faces by clipping: the face on plane i is a large square in that plane cut by every other
 * half-space, which costs O(n²) clips instead of the O(n⁴) of testing every vertex triple
 * against every plane, so energy tables of several 48-member families stay cheap. A face that
 * still reaches the square's border means the square was too small: it is enlarged and the
 * faces are redone (for a bounded polyhedron this ends). */
static cz_status geom_compute(size_t n, const double (*nrm)[3], const double *off, int check_bound,
                              const char *func, geom *g) {
    memset(g, 0, sizeof *g);
    double(*P)[2] = malloc((n + 8) * sizeof *P), (*Q)[2] = malloc((n + 8) * sizeof *Q);
    size_t cap = 64;
    g->area = calloc(n, sizeof *g->area);
    g->touch = calloc(n, sizeof *g->touch);
    g->v = malloc(cap * sizeof *g->v);
    if (!P || !Q || !g->area || !g->touch || !g->v) goto nomem;
    g->bounded = check_bound ? normals_bound(n, nrm) : 1;
    g->empty = 1;
    if (!g->bounded) goto done;
    double scale = 1.0;
    for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(off[i]));
    const double tol = 1e-9 * scale, dtol = 1e-7 * scale;
    for (double L = 100.0 * scale;; L *= 8.0) {
        int border = 0;
        g->nv = 0;
        for (size_t i = 0; i < n; i++) {
            g->area[i] = 0.0;
            g->touch[i] = 0;
            /* An orthonormal frame (e1, e2) of plane i, right-handed about n_i. */
            const double *ni = nrm[i];
            double e1[3] = {0, 0, 0}, e2[3], p0[3];
            int ax = fabs(ni[0]) <= fabs(ni[1]) ? (fabs(ni[0]) <= fabs(ni[2]) ? 0 : 2)
                                                : (fabs(ni[1]) <= fabs(ni[2]) ? 1 : 2);
            e1[ax] = 1.0;
            double pr = v3_dot(e1, ni);
            for (int q = 0; q < 3; q++) e1[q] -= pr * ni[q];
            double l1 = v3_norm(e1);
            for (int q = 0; q < 3; q++) {
                e1[q] /= l1;
                p0[q] = off[i] * ni[q];
            }
            v3_cross(ni, e1, e2);
            const double sq[4][2] = {{-L, -L}, {L, -L}, {L, L}, {-L, L}};
            memcpy(P, sq, sizeof sq);
            size_t m = 4;
            for (size_t j = 0; j < n && m > 0; j++) {
                if (j == i) continue;
                double a = v3_dot(nrm[j], e1), b = v3_dot(nrm[j], e2);
                double c = off[j] - v3_dot(nrm[j], p0);
                m = clip_polygon(CZ_CROWS2(P), m, a, b, c, tol, Q);
                double(*t)[2] = P;
                P = Q;
                Q = t;
            }
            if (m == 0) continue;
            g->touch[i] = 1;
            double area = 0;
            for (size_t k = 0; k < m; k++) {
                const double *u = P[k], *w = P[(k + 1) % m];
                area += 0.5 * (u[0] * w[1] - u[1] * w[0]);
                if (fabs(u[0]) >= L * (1 - 1e-12) || fabs(u[1]) >= L * (1 - 1e-12)) border = 1;
                double x[3];
                for (int q = 0; q < 3; q++) x[q] = p0[q] + u[0] * e1[q] + u[1] * e2[q];
                size_t e;
                for (e = 0; e < g->nv; e++) {
                    double d[3] = {g->v[e][0] - x[0], g->v[e][1] - x[1], g->v[e][2] - x[2]};
                    if (v3_norm(d) < dtol) break;
                }
                if (e < g->nv) continue;
                if (g->nv == cap) {
                    cap *= 2;
                    void *t = realloc(g->v, cap * sizeof *g->v);
                    if (!t) goto nomem;
                    g->v = t;
                }
                memcpy(g->v[g->nv++], x, sizeof x);
            }
            g->area[i] = fabs(area);
        }
        if (!border) break;
        if (L > 1e12 * scale) {
            g->bounded = 0;
            goto done;
        }
    }
    /* Volume by the divergence theorem, V = ⅓ Σ_i d_i A_i, valid for any centre. */
    g->volume = 0.0;
    g->rmax = 0.0;
    for (size_t i = 0; i < n; i++) g->volume += off[i] * g->area[i] / 3.0;
    for (size_t e = 0; e < g->nv; e++) g->rmax = fmax(g->rmax, v3_norm(g->v[e]));
    double r = fmax(g->rmax, 1e-300);
    g->empty = g->nv == 0 || !(g->volume > 1e-9 * r * r * r);
    for (size_t i = 0; i < n; i++)
        if (g->area[i] <= 1e-8 * r * r) g->area[i] = 0.0;
done:
    free(P);
    free(Q);
    return CZ_OK;
nomem:
    free(P);
    free(Q);
    geom_free(g);
    return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate polyhedron geometry (%zu planes)", n);
}

/* ================================================================== Wulff ==== */

void cz_wulff_opts_default(cz_wulff_opts *o) {
    memset(o, 0, sizeof *o);
    o->radius = 0.0;
    o->radius_kind = CZ_RADIUS_EQUIVALENT;
    o->target_atoms = 0;
    o->snap = 1;
    o->symprec = 1e-3;
    o->max_atoms = CZ_MAX_ATOMS;
}

/* Height (Å, from the lattice origin along n̂) of the atomic plane of orientation (hkl)
 * nearest to D. Site b of cell (i, j, k) lies at (h i + k j + l k' + hkl·f_b)·d_hkl, so the
 * planes that hold atoms sit at (integer + hkl·f_b)·d_hkl (the rule of cz_volume_miller). */
static double snap_height(const cz_lattice *l, const int hkl[3], double dsp, double D) {
    double best = INFINITY;
    for (size_t b = 0; b < l->nbasis; b++) {
        double o = hkl[0] * l->frac[b][0] + hkl[1] * l->frac[b][1] + hkl[2] * l->frac[b][2];
        double cand = (nearbyint(D / dsp - o) + o) * dsp;
        if (fabs(cand - D) < fabs(best - D)) best = cand;
    }
    return best;
}

/* Smallest distance between neighbouring atomic planes of orientation (hkl): d_hkl times the
 * smallest circular gap between the offsets hkl·f_b (mod 1). */
static double plane_spacing(const cz_lattice *l, const int hkl[3], double dsp) {
    double gap = 1.0;
    for (size_t b = 0; b < l->nbasis; b++)
        for (size_t c = b + 1; c < l->nbasis; c++) {
            double ob = hkl[0] * l->frac[b][0] + hkl[1] * l->frac[b][1] + hkl[2] * l->frac[b][2];
            double oc = hkl[0] * l->frac[c][0] + hkl[1] * l->frac[c][1] + hkl[2] * l->frac[c][2];
            double d = ob - oc;
            d -= floor(d);
            d = fmin(d, 1.0 - d);
            if (d > 1e-9) gap = fmin(gap, d);
        }
    return gap * dsp;
}

typedef struct {
    const cz_lattice *lat;
    size_t nf;
    cz_facet *f;
    double center[3];
    int snap;
    size_t max_atoms;
    double (*nrm)[3]; /* scratch [nf] */
    double *off;      /* scratch [nf] */
    double (*wn)[3];  /* scratch [nf]: planes handed to the volume */
    double *woff;
} wulff_ctx;

/* Offsets (from the centre) of every plane at `scale`, snapped if asked. */
static void wulff_offsets(const wulff_ctx *c, double scale, double *off) {
    for (size_t i = 0; i < c->nf; i++) {
        double target = scale * c->f[i].gamma;
        if (!c->snap) {
            off[i] = target;
            continue;
        }
        double nc = v3_dot(c->f[i].normal, c->center);
        double dsp = 1.0;
        cz_lattice_plane(c->lat, c->f[i].hkl, &dsp, NULL);
        off[i] = snap_height(c->lat, c->f[i].hkl, dsp, nc + target) - nc;
    }
}

/* The snapped shape at `scale`: geometry (in *g, caller frees), volume (NULL if empty) and
 * atom count (SIZE_MAX if above max_atoms). */
static cz_status wulff_shape(wulff_ctx *c, double scale, geom *g, cz_volume **vol, size_t *count) {
    *vol = NULL;
    *count = 0;
    wulff_offsets(c, scale, c->off);
    cz_status st = geom_compute(c->nf, CZ_CROWS(c->nrm), c->off, 0, "cz_particle_wulff", g);
    if (st != CZ_OK) return st;
    if (!g->bounded) return CZ_FAIL_AS("cz_particle_wulff", CZ_EINTERNAL, "unbounded shape");
    if (g->empty) return CZ_OK;
    /* Only planes that reach the polyhedron can cut: the others are left out of the volume,
     * which keeps the fill's per-row work small for long energy tables. */
    size_t m = 0;
    for (size_t i = 0; i < c->nf; i++) {
        if (!g->touch[i]) continue;
        memcpy(c->wn[m], c->nrm[i], sizeof c->wn[m]);
        c->woff[m] = c->off[i] + v3_dot(c->nrm[i], c->center);
        m++;
    }
    st = cz_volume_polyhedron(m, CZ_CROWS(c->wn), c->woff, vol);
    if (st == CZ_EINVAL) { /* degenerate sliver: nothing inside */
        g->empty = 1;
        return CZ_OK;
    }
    if (st != CZ_OK) return st;
    cz_fill_opts fo;
    cz_fill_opts_default(&fo);
    fo.max_atoms = c->max_atoms;
    st = cz_fill_count(c->lat, *vol, &fo, count);
    if (st == CZ_ERANGE) {
        *count = SIZE_MAX;
        st = CZ_OK;
    }
    if (st != CZ_OK) {
        cz_volume_destroy(*vol);
        *vol = NULL;
    }
    return st;
}

/* Atom count at `scale` (0 when empty, SIZE_MAX above the cap). */
static cz_status wulff_count(wulff_ctx *c, double scale, size_t *count) {
    geom g;
    cz_volume *v = NULL;
    cz_status st = wulff_shape(c, scale, &g, &v, count);
    geom_free(&g);
    cz_volume_destroy(v);
    return st;
}

/* Scale whose snapped shape holds the atom count nearest `target`. The count grows with the
 * scale in steps (whole atomic layers appear at once when snapping), so the target is
 * bracketed by growing/shrinking a first guess from the bulk density and then bisected until
 * the bracket cannot shrink; of the two sides the nearer count wins (ties: the smaller). */
static cz_status wulff_bisect(wulff_ctx *c, double volume1, size_t target, double *scale) {
    double density = (double)c->lat->nbasis / fabs(cz_cell_volume(c->lat->cell));
    double s = cbrt((double)target / (density * volume1));
    size_t n, nlo = 0, nhi = SIZE_MAX;
    cz_status st = wulff_count(c, s, &n);
    if (st != CZ_OK) return st;
    if (n == target) {
        *scale = s;
        return CZ_OK;
    }
    double lo = 0.0, hi = INFINITY;
    if (n < target) {
        lo = s;
        nlo = n;
        for (int it = 0; it < 200 && n < target; it++) {
            s *= 1.25;
            if ((st = wulff_count(c, s, &n)) != CZ_OK) return st;
            if (n < target) {
                lo = s;
                nlo = n;
            }
        }
        hi = s;
        nhi = n;
    } else {
        hi = s;
        nhi = n;
        for (int it = 0; it < 200 && n > target; it++) {
            s *= 0.8;
            if ((st = wulff_count(c, s, &n)) != CZ_OK) return st;
            if (n > target) {
                hi = s;
                nhi = n;
            }
        }
        lo = s;
        nlo = n;
    }
    if (nlo == target) {
        *scale = lo;
        return CZ_OK;
    }
    for (int it = 0; it < 80 && hi - lo > 1e-13 * hi; it++) {
        double mid = 0.5 * (lo + hi);
        if ((st = wulff_count(c, mid, &n)) != CZ_OK) return st;
        if (n == target) {
            *scale = mid;
            return CZ_OK;
        }
        if (n < target) {
            lo = mid;
            nlo = n;
        } else {
            hi = mid;
            nhi = n;
        }
    }
    *scale = (nhi == SIZE_MAX || target - nlo <= nhi - target) ? lo : hi;
    return CZ_OK;
}

static cz_status particle_alloc(cz_particle_kind kind, size_t ngrains, const char *func,
                                cz_particle **out) {
    cz_particle *p = calloc(1, sizeof *p);
    if (!p) return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate a particle");
    p->grains = calloc(ngrains, sizeof *p->grains);
    if (!p->grains) {
        free(p);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %zu grains", ngrains);
    }
    p->kind = kind;
    p->ngrains = ngrains;
    p->interface_facet = -1;
    for (size_t g = 0; g < ngrains; g++) cz_transform_identity(&p->grains[g].lattice_tf);
    *out = p;
    return CZ_OK;
}

void cz_particle_destroy(cz_particle *p) {
    if (!p) return;
    for (size_t g = 0; g < p->ngrains && p->grains; g++) {
        cz_volume_destroy(p->grains[g].volume);
        cz_atoms_destroy(p->grains[g].atoms);
    }
    free(p->grains);
    free(p->facets);
    cz_lattice_destroy(p->lattice);
    free(p);
}

cz_status cz_particle_wulff(const cz_lattice *lat, size_t n, const cz_surface_energy table[],
                            const cz_wulff_opts *opts, cz_particle **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!lat || !table || !opts)
        return CZ_FAIL(CZ_EINVAL,
                       "lattice, table and opts must not be NULL (opts carries the size)");
    if (n == 0) return CZ_FAIL(CZ_EINVAL, "the surface-energy table is empty");
    for (size_t i = 0; i < n; i++) {
        const int *h = table[i].hkl;
        if (h[0] == 0 && h[1] == 0 && h[2] == 0)
            return CZ_FAIL(CZ_EINVAL, "table[%zu]: Miller indices (0 0 0) define no plane", i);
        if (!(table[i].gamma > 0) || !isfinite(table[i].gamma))
            return CZ_FAIL(CZ_EINVAL,
                           "table[%zu] (%d %d %d): gamma must be > 0 and finite (got %g)", i, h[0],
                           h[1], h[2], table[i].gamma);
    }
    const cz_wulff_opts o = *opts;
    if (isnan(o.radius) || o.radius < 0 || isinf(o.radius))
        return CZ_FAIL(CZ_EINVAL, "radius must be >= 0 and finite (got %g)", o.radius);
    if ((o.radius > 0) == (o.target_atoms > 0))
        return CZ_FAIL(CZ_EINVAL,
                       "give exactly one size: radius > 0 (got %g) or target_atoms > 0 (got %zu)",
                       o.radius, o.target_atoms);
    if (o.radius_kind != CZ_RADIUS_EQUIVALENT && o.radius_kind != CZ_RADIUS_MAX)
        return CZ_FAIL(CZ_EINVAL, "unknown radius_kind %d", (int)o.radius_kind);
    if (o.max_atoms > CZ_MAX_ATOMS)
        return CZ_FAIL(CZ_ERANGE, "max_atoms %zu exceeds the cap CZ_MAX_ATOMS = %zu", o.max_atoms,
                       (size_t)CZ_MAX_ATOMS);
    if (o.target_atoms > o.max_atoms)
        return CZ_FAIL(CZ_ERANGE, "target_atoms %zu exceeds max_atoms = %zu", o.target_atoms,
                       o.max_atoms);
    if (!(o.symprec > 0) || !isfinite(o.symprec))
        return CZ_FAIL(CZ_EINVAL, "symprec must be > 0 and finite (got %g)", o.symprec);
    if (!v3_finite(o.center)) return CZ_FAIL(CZ_EINVAL, "center must be finite");
    const int *ih = o.interface_hkl;
    int has_if = ih[0] != 0 || ih[1] != 0 || ih[2] != 0;
    if (has_if && (!isfinite(o.interface_gamma) || !isfinite(o.substrate_gamma)))
        return CZ_FAIL(CZ_EINVAL, "interface_gamma and substrate_gamma must be finite (got %g, %g)",
                       o.interface_gamma, o.substrate_gamma);

    int ops[CZ_MAX_FAMILY][3][3], nops = 0;
    cz_status st = miller_ops(lat, o.symprec, __func__, ops, &nops);
    if (st != CZ_OK) return st;

    wulff_ctx c;
    memset(&c, 0, sizeof c);
    cz_particle *p = NULL;
    cz_volume *vol = NULL;
    geom g;
    memset(&g, 0, sizeof g);
    size_t cap = n * CZ_MAX_FAMILY + 1;
    c.f = calloc(cap, sizeof *c.f);
    c.nrm = malloc(cap * sizeof *c.nrm);
    c.off = malloc(cap * sizeof *c.off);
    c.wn = malloc(cap * sizeof *c.wn);
    c.woff = malloc(cap * sizeof *c.woff);
    if (!c.f || !c.nrm || !c.off || !c.wn || !c.woff) {
        st = CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu planes", cap);
        goto fail;
    }
    c.lat = lat;
    c.snap = o.snap != 0;
    c.max_atoms = o.max_atoms;
    memcpy(c.center, o.center, sizeof c.center);
    int iface = -1;

    /* Expand every family with the point group; one orientation may carry one energy only. */
    for (size_t i = 0; i < n; i++) {
        int h[3], fam[CZ_MAX_FAMILY][3];
        reduce_hkl(table[i].hkl, h);
        int m = orbit(h, nops, ops, fam);
        for (int k = 0; k < m; k++) {
            size_t e;
            for (e = 0; e < c.nf; e++)
                if (hkl_eq(c.f[e].hkl, fam[k])) break;
            if (e < c.nf) {
                if (c.f[e].gamma != table[i].gamma) {
                    const int *h0 = table[c.f[e].family].hkl, *h1 = table[i].hkl;
                    st = CZ_FAIL(CZ_EINVAL,
                                 "table[%d] (%d %d %d) and table[%zu] (%d %d %d) give the plane "
                                 "(%d %d %d) two energies (%g and %g)",
                                 c.f[e].family, h0[0], h0[1], h0[2], i, h1[0], h1[1], h1[2],
                                 fam[k][0], fam[k][1], fam[k][2], c.f[e].gamma, table[i].gamma);
                    goto fail;
                }
                continue;
            }
            cz_facet *f = &c.f[c.nf++];
            memcpy(f->hkl, fam[k], sizeof f->hkl);
            f->gamma = table[i].gamma;
            f->family = (int)i;
        }
    }
    /* Winterbottom (1967): the contact orientation's energy γ_hkl is replaced by the
     * adhesion-modified γ_int − γ_sub. If the table already has that orientation the nearer
     * plane wins (γ_int − γ_sub >= γ_hkl: the particle does not wet and keeps its facet). */
    if (has_if) {
        int h[3];
        reduce_hkl(ih, h);
        double dg = o.interface_gamma - o.substrate_gamma;
        size_t e;
        for (e = 0; e < c.nf; e++)
            if (hkl_eq(c.f[e].hkl, h)) break;
        if (e == c.nf) {
            c.nf++;
            memcpy(c.f[e].hkl, h, sizeof h);
            c.f[e].gamma = dg;
            c.f[e].family = -1;
        } else if (dg < c.f[e].gamma) {
            c.f[e].gamma = dg;
            c.f[e].family = -1;
        }
        iface = (int)e;
    }
    for (size_t i = 0; i < c.nf; i++) {
        double dsp;
        st = cz_lattice_plane(lat, c.f[i].hkl, &dsp, c.f[i].normal);
        if (st != CZ_OK) goto fail;
        c.f[i].spacing = plane_spacing(lat, c.f[i].hkl, dsp);
        memcpy(c.nrm[i], c.f[i].normal, sizeof c.nrm[i]);
    }

    /* The shape at unit scale, unsnapped: boundedness, wetting, volume and radii. */
    for (size_t i = 0; i < c.nf; i++) c.off[i] = c.f[i].gamma;
    st = geom_compute(c.nf, CZ_CROWS(c.nrm), c.off, 1, __func__, &g);
    if (st != CZ_OK) goto fail;
    if (!g.bounded) {
        st = CZ_FAIL(CZ_EINVAL,
                     "the %zu planes of the table do not enclose a bounded particle: add families "
                     "whose normals surround every direction",
                     c.nf);
        goto fail;
    }
    if (g.empty) {
        st = iface >= 0
                 ? CZ_FAIL(CZ_EINVAL,
                           "complete wetting: interface_gamma - substrate_gamma = %g leaves no "
                           "particle on the free side of the (%d %d %d) interface",
                           o.interface_gamma - o.substrate_gamma, ih[0], ih[1], ih[2])
                 : CZ_FAIL(CZ_EINTERNAL, "positive energies gave an empty Wulff shape");
        goto fail;
    }
    double volume1 = g.volume;
    double r1 = o.radius_kind == CZ_RADIUS_MAX ? g.rmax : cbrt(3.0 * g.volume / (4.0 * PI));
    geom_free(&g);

    double scale = 0;
    if (o.radius > 0) {
        scale = o.radius / r1;
    } else {
        st = wulff_bisect(&c, volume1, o.target_atoms, &scale);
        if (st != CZ_OK) goto fail;
    }
    size_t count = 0;
    st = wulff_shape(&c, scale, &g, &vol, &count);
    if (st != CZ_OK) goto fail;
    if (g.empty || count == 0) {
        st = CZ_FAIL(CZ_EINVAL, "the particle is too small to hold an atom (scale %g Å per unit γ)",
                     scale);
        goto fail;
    }
    if (count == SIZE_MAX) {
        st = CZ_FAIL(CZ_ERANGE, "the particle would hold more than max_atoms = %zu atoms",
                     o.max_atoms);
        goto fail;
    }

    st = particle_alloc(iface >= 0 ? CZ_PARTICLE_WINTERBOTTOM : CZ_PARTICLE_WULFF, 1, __func__, &p);
    if (st != CZ_OK) goto fail;
    st = cz_lattice_copy(lat, &p->lattice);
    if (st != CZ_OK) goto fail;
    p->grains[0].volume = vol;
    vol = NULL;
    p->natoms = count;
    memcpy(p->center, o.center, sizeof p->center);
    p->scale = scale;
    p->volume_a3 = g.volume;
    p->radius_equivalent = cbrt(3.0 * g.volume / (4.0 * PI));
    p->radius_max = g.rmax;
    p->interface_facet = iface;
    for (size_t i = 0; i < c.nf; i++) {
        c.f[i].target = scale * c.f[i].gamma;
        c.f[i].distance = c.off[i];
        c.f[i].area = g.area[i];
        c.f[i].active = g.area[i] > 0;
        p->nactive += (size_t)c.f[i].active;
    }
    p->facets = c.f;
    p->nfacets = c.nf;
    c.f = NULL;
    geom_free(&g);
    free(c.nrm);
    free(c.off);
    free(c.wn);
    free(c.woff);
    *out = p;
    return CZ_OK;
fail:
    geom_free(&g);
    cz_volume_destroy(vol);
    cz_particle_destroy(p);
    free(c.f);
    free(c.nrm);
    free(c.off);
    free(c.wn);
    free(c.woff);
    return st;
}

/* ======================================================= twinned particles ==== */

void cz_decahedron_opts_default(cz_decahedron_opts *o) {
    memset(o, 0, sizeof *o);
    o->strain = CZ_MTP_STRAIN_HOMOGENEOUS;
    o->poisson_ratio = 0.44;
    o->symprec = 1e-3;
    o->max_atoms = CZ_MAX_ATOMS;
}

void cz_icosahedron_opts_default(cz_icosahedron_opts *o) {
    memset(o, 0, sizeof *o);
    o->symprec = 1e-3;
    o->max_atoms = CZ_MAX_ATOMS;
}

/* The conventional fcc lattice (atom at the origin) of the caller's element and lattice
 * parameter, after checking with spglib that the caller's lattice is fcc in some setting:
 * space group Fm-3m (225) with one atom per primitive cell (4 in the conventional cell). */
static cz_status fcc_lattice(const cz_lattice *l, double symprec, const char *func,
                             cz_lattice **fcc, double *a) {
    *fcc = NULL;
    if (!(symprec > 0) || !isfinite(symprec))
        return CZ_FAIL_AS(func, CZ_EINVAL, "symprec must be > 0 and finite (got %g)", symprec);
    double lat[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) lat[i][j] = l->cell[j][i];
    double(*pos)[3] = malloc(l->nbasis * sizeof *pos);
    int *types = malloc(l->nbasis * sizeof *types);
    if (!pos || !types) {
        free(pos);
        free(types);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %zu sites for spglib", l->nbasis);
    }
    memcpy(pos, l->frac, l->nbasis * sizeof *pos);
    memcpy(types, l->z, l->nbasis * sizeof *types);
    SpglibDataset *ds = spg_get_dataset(lat, pos, types, (int)l->nbasis, symprec);
    free(pos);
    free(types);
    if (!ds)
        return CZ_FAIL_AS(func, CZ_EINVAL, "spglib could not analyse the lattice (symprec %g Å)",
                          symprec);
    int sg = ds->spacegroup_number, nstd = ds->n_std_atoms, z = ds->std_types[0];
    double aa = sqrt(ds->std_lattice[0][0] * ds->std_lattice[0][0] +
                     ds->std_lattice[1][0] * ds->std_lattice[1][0] +
                     ds->std_lattice[2][0] * ds->std_lattice[2][0]);
    char sym[16];
    snprintf(sym, sizeof sym, "%s", ds->international_symbol);
    spg_free_dataset(ds);
    if (sg != 225 || nstd != 4)
        return CZ_FAIL_AS(func, CZ_ENOTSUP,
                          "multiply-twinned particles need an fcc lattice (space group 225 with 4 "
                          "atoms in the conventional cell); got space group %d (%s) with %d",
                          sg, sym, nstd);
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z;
    po.a = aa;
    cz_status st = cz_lattice_prototype("fcc", &po, fcc);
    if (st != CZ_OK) return st;
    *a = aa;
    return CZ_OK;
}

/* Rotation about z by phi (radians), as a matrix acting on column vectors. */
static void rot_z(double phi, double m[3][3]) {
    double c = cos(phi), s = sin(phi);
    const double r[3][3] = {{c, -s, 0}, {s, c, 0}, {0, 0, 1}};
    memcpy(m, r, sizeof r);
}

/* Plane n·x <= d in the frame y = A x (A linear): (A⁻ᵀ n)·y <= d. */
static void plane_image(const double ainv[3][3], const double n[3], double out[3]) {
    m3_tmulv(ainv, n, out);
}

/* Number of atoms of ASE's Decahedron(p, q, r) (the same selection as this construction):
 * h atoms on the axis, and on ring n (n = 1 .. min(g, h) − 1) five edges of c_n positions,
 * each a column of h − n atoms along the axis; c_n counts the positions i of an edge allowed
 * by the Marks notches (both barycentric coefficients below g − r). */
static double deca_count(int p, int q, int r) {
    long h = (long)p + q + 2L * r - 1, g = (long)p + 2L * r;
    double n_atoms = (double)h;
    for (long n = 1; n < g && n < h; n++) {
        long lo = n - (g - r) + 1, hi = g - r - 1;
        if (lo < 0) lo = 0;
        if (hi > n - 1) hi = n - 1;
        if (hi >= lo) n_atoms += 5.0 * (double)(hi - lo + 1) * (double)(h - n);
    }
    return n_atoms;
}

/* Grain k of a decahedron. In the grain's lattice frame (units u = a/2, origin on an atom) the
 * axis is [110], the wedge bisector [001] and the tangent [1-10]; the wedge between the twin
 * planes (1-1-1) and (-11-1) holds the points with barycentric coefficients α = (1,-1,1)·y/2
 * and β = (-1,1,1)·y/2 >= 0 along the corner directions (1 0 1) and (0 1 1). The shape of
 * ASE's Decahedron(p, q, r) is then (Marks 1984; Ino 1969):
 *   α + β = y_z <= g − 1            Ino {100} facet (001)
 *   α, β <= g − r − 1               Marks re-entrant {111} notches (1-11), (-111)
 *   (±1,±1,1)·y <= h − 1            {111} caps: columns of h − n atoms on ring n
 * with g = p + 2r and h = p + q + 2r − 1. Outer planes sit half a layer outside the last
 * atomic layer so that rounding cannot drop a facet atom; the wedge planes pass exactly
 * through the twin planes, whose atoms the neighbouring grains share. */
typedef struct {
    double a; /* lattice parameter, Å */
    int h, g, r;
    double cl[3];  /* Å: the particle centre in the lattice frame */
    double sr, st; /* radial and tangential stretch */
    double half;   /* wedge half-angle, radians */
} deca_geo;

static void deca_map(const deca_geo *d, double phi, double m[3][3]) {
    const double s2 = sqrt(0.5);
    const double r0[3][3] = {{0, 0, 1}, {s2, -s2, 0}, {s2, s2, 0}}; /* rows r̂, t̂, ẑ */
    double dm[3][3] = {{d->sr, 0, 0}, {0, d->st, 0}, {0, 0, 1}}, rz[3][3];
    rot_z(phi, rz);
    m3_mul(CZ_CROWS(dm), r0, m);
    m3_mul(CZ_CROWS(rz), CZ_CROWS(m), m);
}

/* World planes of the grain centred on azimuth phi with linear map m (lattice → particle). */
static void deca_planes(const deca_geo *d, double phi, const double m[3][3], double nrm[7][3],
                        double off[7]) {
    double minv[3][3];
    m3_inverse(m, minv);
    const double u = d->a / 2.0;
    const double nl[5][3] = {{0, 0, 1}, {1, -1, 1}, {-1, 1, 1}, {1, 1, 1}, {-1, -1, 1}};
    const double ol[5] = {(d->g - 0.5) * u, (2.0 * (d->g - d->r - 1) + 1.0) * u,
                          (2.0 * (d->g - d->r - 1) + 1.0) * u, (double)d->h * u, (double)d->h * u};
    double up = phi + d->half, lo = phi - d->half;
    nrm[0][0] = -sin(up);
    nrm[0][1] = cos(up);
    nrm[0][2] = 0;
    off[0] = 0;
    nrm[1][0] = sin(lo);
    nrm[1][1] = -cos(lo);
    nrm[1][2] = 0;
    off[1] = 0;
    for (int k = 0; k < 5; k++) {
        plane_image(CZ_CROWS(minv), nl[k], nrm[2 + k]);
        off[2 + k] = ol[k];
    }
}

/* Radial map of a positive wedge disclination closing the gap (de Wit 1972, isotropic
 * cylinder of radius R, plane strain): azimuths scale by κ = 2π/(2π − Ω) so the five wedges
 * close exactly, and u_r = ε0/(2(1−ν))·r·[(1−2ν) ln(r/R) − (1−ν)] with ε0 = κ − 1; the stresses
 * σ_rr ∝ ln(r/R), σ_θθ ∝ 1 + ln(r/R) vanish radially at r = R (traction-free surface). */
static void disclination_map(double kappa, double nu, double rmax, double rot, double x[3]) {
    double r = hypot(x[0], x[1]);
    if (!(r > 1e-12) || !(rmax > 0)) return;
    double th = atan2(x[1], x[0]) * kappa + rot;
    double e0 = kappa - 1.0;
    double ur = e0 / (2.0 * (1.0 - nu)) * r * ((1.0 - 2.0 * nu) * log(r / rmax) - (1.0 - nu));
    double rr = r + ur;
    x[0] = rr * cos(th);
    x[1] = rr * sin(th);
}

cz_status cz_particle_decahedron(const cz_lattice *lat, const cz_decahedron_opts *opts,
                                 cz_particle **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!lat || !opts)
        return CZ_FAIL(CZ_EINVAL, "lattice and opts must not be NULL (opts carries the size)");
    cz_decahedron_opts o = *opts;
    if (o.p < 0) return CZ_FAIL(CZ_EINVAL, "p must be >= 1 (got %d)", o.p);
    if (o.shells < 0) return CZ_FAIL(CZ_EINVAL, "shells must be >= 1 (got %d)", o.shells);
    if (isnan(o.radius) || o.radius < 0 || isinf(o.radius))
        return CZ_FAIL(CZ_EINVAL, "radius must be >= 0 and finite (got %g)", o.radius);
    if ((o.p > 0) + (o.shells > 0) + (o.radius > 0) != 1)
        return CZ_FAIL(CZ_EINVAL,
                       "give exactly one size: p (got %d), shells (got %d) or radius (got %g)", o.p,
                       o.shells, o.radius);
    if (o.q < 0) return CZ_FAIL(CZ_EINVAL, "q must be >= 1, or 0 for q = p (got %d)", o.q);
    if (o.r < 0) return CZ_FAIL(CZ_EINVAL, "r must be >= 0 (got %d)", o.r);
    if (o.strain != CZ_MTP_STRAIN_HOMOGENEOUS && o.strain != CZ_MTP_STRAIN_RADIAL &&
        o.strain != CZ_MTP_STRAIN_NONE)
        return CZ_FAIL(CZ_EINVAL, "unknown strain model %d", (int)o.strain);
    if (!(o.poisson_ratio >= 0 && o.poisson_ratio < 0.5))
        return CZ_FAIL(CZ_EINVAL, "poisson_ratio must be in [0, 0.5) (got %g)", o.poisson_ratio);
    if (o.max_atoms > CZ_MAX_ATOMS)
        return CZ_FAIL(CZ_ERANGE, "max_atoms %zu exceeds the cap CZ_MAX_ATOMS = %zu", o.max_atoms,
                       (size_t)CZ_MAX_ATOMS);
    if (o.p > MAX_LAYERS || o.q > MAX_LAYERS || o.r > MAX_LAYERS || o.shells > MAX_LAYERS)
        return CZ_FAIL(CZ_ERANGE, "p, q, r and shells must be <= %d (got %d, %d, %d, %d)",
                       MAX_LAYERS, o.p, o.q, o.r, o.shells);
    cz_lattice *fcc = NULL;
    double a = 0;
    cz_status st = fcc_lattice(lat, o.symprec, __func__, &fcc, &a);
    if (st != CZ_OK) return st;
    const double b = a / sqrt(2.0), corner = b * sqrt(3.0) / 2.0;
    int p = o.p;
    if (o.shells > 0) p = o.shells;
    if (o.radius > 0) {
        /* The pentagon corner of a grain with g − 1 rings lies (g − 1)·b√3/2 from the axis
         * (the homogeneous strain keeps the twin planes, and so this distance, unstrained). */
        double gg = nearbyint(o.radius / corner) + 1.0;
        if (gg > MAX_LAYERS) {
            cz_lattice_destroy(fcc);
            return CZ_FAIL(CZ_ERANGE, "radius %g Å is beyond the supported size", o.radius);
        }
        p = (int)gg - 2 * o.r;
        if (p < 1) {
            cz_lattice_destroy(fcc);
            return CZ_FAIL(CZ_EINVAL,
                           "radius %g Å is too small for notch depth r = %d (needs >= %g Å)",
                           o.radius, o.r, (2.0 * o.r - 0.5) * corner);
        }
    }
    int q = o.q > 0 ? o.q : p;
    double natoms = deca_count(p, q, o.r);
    if (o.strain == CZ_MTP_STRAIN_NONE) {
        /* The open gap's two faces are no longer one shared twin plane: add the atoms of one
         * twin plane off the axis (β = 0, α = n on ring n, columns of h − n atoms). */
        long h = (long)p + q + 2L * o.r - 1, g = (long)p + 2L * o.r;
        for (long n = 1; n <= g - o.r - 1 && n < h; n++) natoms += (double)(h - n);
    }
    if (natoms > (double)o.max_atoms) {
        cz_lattice_destroy(fcc);
        return CZ_FAIL(CZ_ERANGE,
                       "decahedron (p %d, q %d, r %d) holds %.0f atoms, above max_atoms = %zu", p,
                       q, o.r, natoms, o.max_atoms);
    }

    deca_geo d;
    d.a = a;
    d.h = p + q + 2 * o.r - 1;
    d.g = p + 2 * o.r;
    d.r = o.r;
    /* With an odd number of axis atoms the centre is an atom; with an even number it lies
     * half a bond along the axis from one. */
    d.cl[0] = d.cl[1] = (d.h % 2 == 0) ? a / 4.0 : 0.0;
    d.cl[2] = 0.0;
    const double alpha0 = atan(sqrt(0.5)); /* half the 70.53° wedge of a tetrahedron */
    /* Homogeneous strain (Ino 1969): stretch the tangential direction against the radial one
     * by κ = tan 36°/tan α0 so the wedge opens to 72°, with the split chosen so that the twin
     * plane direction (cos α0, sin α0) keeps its length: s_r²cos²α0 + s_t²sin²α0 = 1. The
     * twin boundaries then stay perfect unstrained {111} nets, as in ASE's construction. */
    double kap = tan(36.0 * DEG) / tan(alpha0);
    double hom_sr = 1.0 / sqrt(cos(alpha0) * cos(alpha0) + kap * kap * sin(alpha0) * sin(alpha0));
    double hom_st = kap * hom_sr;

    cz_particle *pt = NULL;
    st = particle_alloc(CZ_PARTICLE_DECAHEDRON, 5, __func__, &pt);
    if (st != CZ_OK) {
        cz_lattice_destroy(fcc);
        return st;
    }
    pt->lattice = fcc;
    pt->natoms = (size_t)natoms;
    pt->axis[2] = 1.0;
    double rmax = 0.0;
    for (int k = 0; k < 5 && st == CZ_OK; k++) {
        cz_grain *gr = &pt->grains[k];
        double m[3][3], nrm[7][3], off[7], phi;
        deca_geo dk = d;
        if (o.strain == CZ_MTP_STRAIN_HOMOGENEOUS) {
            dk.sr = hom_sr;
            dk.st = hom_st;
            dk.half = 36.0 * DEG;
            phi = 72.0 * DEG * k;
        } else {
            /* Unstrained wedges of 2α0. NONE: grains 0..4 from azimuth 0 on, the gap between
             * grains 4 and 0. RADIAL: centred so that the gap sits at azimuth π before the
             * disclination map closes it. */
            dk.sr = dk.st = 1.0;
            dk.half = alpha0;
            phi = 2.0 * alpha0 * (o.strain == CZ_MTP_STRAIN_NONE ? k : k - 2);
        }
        deca_map(&dk, phi, m);
        double t[3];
        m3_mulv(CZ_CROWS(m), d.cl, t);
        for (int q3 = 0; q3 < 3; q3++) t[q3] = -t[q3];
        st = cz_transform_matrix(CZ_CROWS(m), t, 0, &gr->lattice_tf);
        if (st != CZ_OK) break;
        deca_planes(&dk, phi, CZ_CROWS(m), nrm, off);
        st = cz_volume_polyhedron(7, CZ_CROWS(nrm), off, &gr->volume);
        if (st != CZ_OK) break;
        if (o.strain == CZ_MTP_STRAIN_RADIAL) {
            cz_fill_opts fo;
            cz_fill_opts_default(&fo);
            fo.lattice_tf = gr->lattice_tf;
            st = cz_fill_shape(fcc, gr->volume, &fo, &gr->atoms);
            for (size_t i = 0; st == CZ_OK && i < gr->atoms->n; i++)
                rmax = fmax(rmax, hypot(gr->atoms->xyz[i][0], gr->atoms->xyz[i][1]));
        }
    }
    if (st == CZ_OK && o.strain == CZ_MTP_STRAIN_RADIAL) {
        /* Map every grain's atoms, then replace its region by the tightest polyhedron with the
         * homogeneous grain's face normals that holds them: the wedge planes stay exact (the
         * map carries the twin planes onto the 72° wedges) and the outer planes move out to the
         * farthest atom. Rotating by 144° puts grain k on azimuth 72°·k as in the other models. */
        double kappa = PI / (5.0 * alpha0);
        for (int k = 0; k < 5 && st == CZ_OK; k++) {
            cz_grain *gr = &pt->grains[k];
            for (size_t i = 0; i < gr->atoms->n; i++)
                disclination_map(kappa, o.poisson_ratio, rmax, 144.0 * DEG, gr->atoms->xyz[i]);
            deca_geo dk = d;
            dk.sr = hom_sr;
            dk.st = hom_st;
            dk.half = 36.0 * DEG;
            double m[3][3], nrm[7][3], off[7], t[3];
            deca_map(&dk, 72.0 * DEG * k, m);
            deca_planes(&dk, 72.0 * DEG * k, CZ_CROWS(m), nrm, off);
            for (int j = 0; j < 7; j++) {
                double l = v3_norm(nrm[j]), hmax = -INFINITY;
                for (int q3 = 0; q3 < 3; q3++) nrm[j][q3] /= l;
                for (size_t i = 0; i < gr->atoms->n; i++)
                    hmax = fmax(hmax, v3_dot(nrm[j], gr->atoms->xyz[i]));
                off[j] = j < 2 ? fmax(0.0, hmax) : hmax + 1e-6;
            }
            cz_volume_destroy(gr->volume);
            gr->volume = NULL;
            st = cz_volume_polyhedron(7, CZ_CROWS(nrm), off, &gr->volume);
            if (st != CZ_OK) break;
            /* lattice_tf: the homogeneous grain's map, the grain's mean orientation. */
            m3_mulv(CZ_CROWS(m), d.cl, t);
            for (int q3 = 0; q3 < 3; q3++) t[q3] = -t[q3];
            st = cz_transform_matrix(CZ_CROWS(m), t, 0, &gr->lattice_tf);
        }
    }
    if (st != CZ_OK) {
        cz_particle_destroy(pt);
        return st;
    }
    *out = pt;
    return CZ_OK;
}

cz_status cz_particle_icosahedron(const cz_lattice *lat, const cz_icosahedron_opts *opts,
                                  cz_particle **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!lat || !opts)
        return CZ_FAIL(CZ_EINVAL, "lattice and opts must not be NULL (opts carries the size)");
    cz_icosahedron_opts o = *opts;
    if (o.shells < 0) return CZ_FAIL(CZ_EINVAL, "shells must be >= 1 (got %d)", o.shells);
    if (isnan(o.radius) || o.radius < 0 || isinf(o.radius))
        return CZ_FAIL(CZ_EINVAL, "radius must be >= 0 and finite (got %g)", o.radius);
    if ((o.shells > 0) == (o.radius > 0))
        return CZ_FAIL(CZ_EINVAL, "give exactly one size: shells (got %d) or radius (got %g)",
                       o.shells, o.radius);
    if (o.max_atoms > CZ_MAX_ATOMS)
        return CZ_FAIL(CZ_ERANGE, "max_atoms %zu exceeds the cap CZ_MAX_ATOMS = %zu", o.max_atoms,
                       (size_t)CZ_MAX_ATOMS);
    if (o.shells > MAX_LAYERS)
        return CZ_FAIL(CZ_ERANGE, "shells must be <= %d (got %d)", MAX_LAYERS, o.shells);
    cz_lattice *fcc = NULL;
    double a = 0;
    cz_status st = fcc_lattice(lat, o.symprec, __func__, &fcc, &a);
    if (st != CZ_OK) return st;
    const double b = a / sqrt(2.0);
    double nsh = o.shells;
    if (o.radius > 0) nsh = nearbyint(o.radius / b) + 1.0;
    if (nsh > MAX_LAYERS) {
        cz_lattice_destroy(fcc);
        return CZ_FAIL(CZ_ERANGE, "radius %g Å is beyond the supported size", o.radius);
    }
    /* Mackay (1962): shell j >= 1 holds 10 j² + 2 atoms. */
    double natoms = (10.0 * nsh * nsh * nsh - 15.0 * nsh * nsh + 11.0 * nsh - 3.0) / 3.0;
    if (natoms > (double)o.max_atoms) {
        cz_lattice_destroy(fcc);
        return CZ_FAIL(CZ_ERANGE,
                       "icosahedron of %.0f shells holds %.0f atoms, above max_atoms = %zu", nsh,
                       natoms, o.max_atoms);
    }
    int n = (int)nsh;

    /* The twelve vertices (0, ±1, ±τ) and cyclic permutations, and the twenty faces: the
     * triples of mutually adjacent vertices (edge length 2), ordered counter-clockwise seen
     * from outside so that every grain map below is a proper (det > 0) transform. */
    const double tau = 0.5 * (1.0 + sqrt(5.0));
    double v[12][3];
    int nv = 0;
    for (int c = 0; c < 3; c++)
        for (int s1 = -1; s1 <= 1; s1 += 2)
            for (int s2 = -1; s2 <= 1; s2 += 2) {
                double w[3];
                w[c] = 0.0;
                w[(c + 1) % 3] = s1;
                w[(c + 2) % 3] = s2 * tau;
                memcpy(v[nv++], w, sizeof w);
            }
    int face[20][3], nfc = 0;
    for (int i = 0; i < 12; i++)
        for (int j = i + 1; j < 12; j++)
            for (int k = j + 1; k < 12; k++) {
                double dij[3], djk[3], dki[3];
                for (int q3 = 0; q3 < 3; q3++) {
                    dij[q3] = v[i][q3] - v[j][q3];
                    djk[q3] = v[j][q3] - v[k][q3];
                    dki[q3] = v[k][q3] - v[i][q3];
                }
                if (fabs(v3_norm(dij) - 2) > 1e-9 || fabs(v3_norm(djk) - 2) > 1e-9 ||
                    fabs(v3_norm(dki) - 2) > 1e-9)
                    continue;
                double mm[3][3];
                memcpy(mm[0], v[i], sizeof mm[0]);
                memcpy(mm[1], v[j], sizeof mm[1]);
                memcpy(mm[2], v[k], sizeof mm[2]);
                int f0 = i, f1 = j, f2 = k;
                if (m3_det(CZ_CROWS(mm)) < 0) {
                    f1 = k;
                    f2 = j;
                }
                if (nfc < 20) {
                    face[nfc][0] = f0;
                    face[nfc][1] = f1;
                    face[nfc][2] = f2;
                }
                nfc++;
            }
    if (nfc != 20) {
        cz_lattice_destroy(fcc);
        return CZ_FAIL(CZ_EINTERNAL, "found %d icosahedron faces instead of 20", nfc);
    }
    cz_particle *pt = NULL;
    st = particle_alloc(CZ_PARTICLE_ICOSAHEDRON, 20, __func__, &pt);
    if (st != CZ_OK) {
        cz_lattice_destroy(fcc);
        return st;
    }
    pt->lattice = fcc;
    pt->natoms = (size_t)natoms;
    /* Lattice-frame tetrahedron: the centre atom and three nearest neighbours (0 1 1), (1 0 1),
     * (1 1 0)·a/2 forming a regular tetrahedron with {111} faces; det > 0. */
    const double u = a / 2.0;
    const double lcols[3][3] = {{0, u, u}, {u, 0, u}, {u, u, 0}}; /* columns A, B, C */
    double linv[3][3];
    m3_inverse(lcols, linv);
    for (int gi = 0; gi < 20 && st == CZ_OK; gi++) {
        cz_grain *gr = &pt->grains[gi];
        /* Homogeneous strain: the map sending the three lattice edges onto the three radial
         * edges b·v̂ of the icosahedral grain. Radial bonds keep length b; the outer face's
         * bonds stretch to 2b/|v| = 1.0515 b (the Mackay icosahedron's 5 % misfit). */
        double vc[3][3], m[3][3], minv[3][3];
        for (int c = 0; c < 3; c++) {
            const double *w = v[face[gi][c]];
            double l = v3_norm(w);
            for (int q3 = 0; q3 < 3; q3++) vc[q3][c] = b * w[q3] / l;
        }
        m3_mul(CZ_CROWS(vc), CZ_CROWS(linv), m);
        const double zero[3] = {0, 0, 0};
        st = cz_transform_matrix(CZ_CROWS(m), zero, 0, &gr->lattice_tf);
        if (st != CZ_OK) break;
        m3_inverse(CZ_CROWS(m), minv);
        double nrm[4][3], off[4];
        for (int c = 0; c < 3; c++) {
            /* Face through the centre and vertices c, c+1, opposite vertex c+2. */
            const double *p0 = v[face[gi][c]], *p1 = v[face[gi][(c + 1) % 3]],
                         *p2 = v[face[gi][(c + 2) % 3]];
            v3_cross(p0, p1, nrm[c]);
            if (v3_dot(nrm[c], p2) > 0)
                for (int q3 = 0; q3 < 3; q3++) nrm[c][q3] = -nrm[c][q3];
            off[c] = 0.0;
        }
        /* Outer {111} face: lattice plane (1 1 1)·y = 2(n − 1)u holds shell n − 1; the bound
         * sits half a layer beyond it. */
        const double n111[3] = {1, 1, 1};
        plane_image(CZ_CROWS(minv), n111, nrm[3]);
        off[3] = (2.0 * (n - 1) + 1.0) * u;
        st = cz_volume_polyhedron(4, CZ_CROWS(nrm), off, &gr->volume);
    }
    if (st != CZ_OK) {
        cz_particle_destroy(pt);
        return st;
    }
    *out = pt;
    return CZ_OK;
}

/* ================================================================ placement ==== */

void cz_particle_place_opts_default(cz_particle_place_opts *o) {
    cz_transform_identity(&o->placement);
    o->object_id = 0;
    o->grain_id = -1;
    o->priority = 0;
    o->class_id = CZ_CLASS_PARTICLE;
}

cz_status cz_scene_add_particle(cz_scene *scene, const cz_particle *p,
                                const cz_particle_place_opts *opts, size_t *first_index) {
    if (!scene || !p) return CZ_FAIL(CZ_EINVAL, "scene and particle must not be NULL");
    cz_particle_place_opts o;
    cz_particle_place_opts_default(&o);
    if (opts) o = *opts;
    cz_transform inv;
    if (!m3_finite(CZ_CROWS(o.placement.m)) || !v3_finite(o.placement.t) ||
        cz_transform_invert(&o.placement, &inv) != CZ_OK)
        return CZ_FAIL(CZ_EINVAL, "placement is singular or not finite (det = %g)",
                       m3_det(CZ_CROWS(o.placement.m)));
    if (o.class_id < 0 || o.class_id > CZ_CLASS_LIGAND)
        return CZ_FAIL(CZ_EINVAL, "class_id must be 0..3 (got %d)", o.class_id);
    if (o.object_id < 0) return CZ_FAIL(CZ_EINVAL, "object_id must be >= 0 (got %d)", o.object_id);
    if (o.grain_id < -1) return CZ_FAIL(CZ_EINVAL, "grain_id must be >= -1 (got %d)", o.grain_id);
    if (!p->lattice || !p->grains || p->ngrains == 0)
        return CZ_FAIL(CZ_EINVAL, "particle has no grains");
    size_t i0 = cz_scene_count(scene);
    if (i0 + p->ngrains >= (size_t)INT32_MAX)
        return CZ_FAIL(CZ_ERANGE, "scene holds too many objects (%zu) for int labels", i0);
    int oid = o.object_id > 0 ? o.object_id : (int)i0 + 1;
    cz_status st = CZ_OK;
    for (size_t g = 0; g < p->ngrains && st == CZ_OK; g++) {
        const cz_grain *gr = &p->grains[g];
        cz_object_opts oo;
        cz_object_opts_default(&oo);
        oo.priority = o.priority;
        oo.class_id = o.class_id;
        oo.object_id = oid;
        oo.grain_id = o.grain_id >= 0 ? o.grain_id + (int)g : (int)(i0 + g) + 1;
        size_t idx = 0;
        if (gr->atoms) {
            st = cz_scene_add_atoms(scene, gr->atoms, gr->volume, &oo, &idx);
        } else {
            st = cz_scene_add_crystal(scene, p->lattice, gr->volume, &oo, &idx);
            if (st == CZ_OK) st = cz_scene_transform(scene, idx, &gr->lattice_tf, CZ_APPLY_LATTICE);
        }
        if (st == CZ_OK) st = cz_scene_transform(scene, idx, &o.placement, CZ_APPLY_LOCKED);
    }
    if (st == CZ_OK && first_index) *first_index = i0;
    return st;
}

cz_status cz_particle_fill(const cz_particle *p, const cz_particle_place_opts *opts,
                           cz_atoms **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!p) return CZ_FAIL(CZ_EINVAL, "particle must not be NULL");
    cz_scene *s = NULL;
    cz_status st = cz_scene_create(&s);
    if (st == CZ_OK) st = cz_scene_add_particle(s, p, opts, NULL);
    if (st == CZ_OK) st = cz_scene_populate(s, NULL, out);
    cz_scene_destroy(s);
    return st;
}
