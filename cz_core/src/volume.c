/* volume.c — volumes as a small expression tree of convex primitives, booleans and affine
 * images. Each node answers three questions exactly: is a point inside, which stretches of
 * a line are inside, and how far the volume reaches in a direction (support function). */
#include "cz/cz_volume.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "vec.h"
#include "volume.h"

typedef enum { V_SPHERE, V_CYLINDER, V_POLY, V_AND, V_OR, V_SUB, V_XFORM } kind;

struct cz_volume {
    kind k;
    double c[3], r;            /* sphere, cylinder: centre and radius */
    double axis[3], half;      /* cylinder: unit axis and half length */
    size_t np;                 /* polyhedron: planes n̂·x <= d */
    double (*nrm)[3];
    double *off;
    size_t nv;                 /* polyhedron: vertices (for rank 2: of the cross-section ⊥ L) */
    double (*vert)[3];
    size_t nr;                 /* polyhedron: extreme rays of the recession cone (rank 2, 3) */
    double (*ray)[3];
    double lin[3];             /* polyhedron of rank 2: unit direction of its lineality line */
    int rank;                  /* polyhedron: rank of the normals */
    int bounded;               /* polyhedron: recession cone is {0} */
    cz_volume *a, *b;          /* booleans and transforms */
    cz_transform tf, inv;      /* transform node: image under tf; inv = tf⁻¹ */
};

static cz_volume *vol_new(kind k) {
    cz_volume *v = calloc(1, sizeof *v);
    if (v) v->k = k;
    return v;
}

void cz_volume_destroy(cz_volume *v) {
    if (!v) return;
    cz_volume_destroy(v->a);
    cz_volume_destroy(v->b);
    free(v->nrm);
    free(v->off);
    free(v->vert);
    free(v->ray);
    free(v);
}

cz_status cz_volume_copy(const cz_volume *src, cz_volume **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!src) return CZ_FAIL(CZ_EINVAL, "volume must not be NULL");
    cz_volume *v = malloc(sizeof *v);
    if (!v) return CZ_FAIL(CZ_ENOMEM, "cannot allocate a volume");
    *v = *src;
    v->nrm = NULL;
    v->off = NULL;
    v->vert = NULL;
    v->ray = NULL;
    v->a = v->b = NULL;
    if (src->np) {
        v->nrm = malloc(src->np * sizeof *v->nrm);
        v->off = malloc(src->np * sizeof *v->off);
        if (!v->nrm || !v->off) goto nomem;
        memcpy(v->nrm, src->nrm, src->np * sizeof *v->nrm);
        memcpy(v->off, src->off, src->np * sizeof *v->off);
    }
    if (src->nv) {
        v->vert = malloc(src->nv * sizeof *v->vert);
        if (!v->vert) goto nomem;
        memcpy(v->vert, src->vert, src->nv * sizeof *v->vert);
    }
    if (src->nr) {
        v->ray = malloc(src->nr * sizeof *v->ray);
        if (!v->ray) goto nomem;
        memcpy(v->ray, src->ray, src->nr * sizeof *v->ray);
    }
    if (src->a && cz_volume_copy(src->a, &v->a) != CZ_OK) goto nomem;
    if (src->b && cz_volume_copy(src->b, &v->b) != CZ_OK) goto nomem;
    *out = v;
    return CZ_OK;
nomem:
    cz_volume_destroy(v);
    return CZ_FAIL(CZ_ENOMEM, "cannot copy a volume");
}

/* ------------------------------------------------------------------ primitives ---- */

cz_status cz_volume_sphere(const double center[3], double radius, cz_volume **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!center) return CZ_FAIL(CZ_EINVAL, "center must not be NULL");
    if (!(radius > 0) || !isfinite(radius))
        return CZ_FAIL(CZ_EINVAL, "radius must be > 0 and finite (got %g)", radius);
    if (!v3_finite(center)) return CZ_FAIL(CZ_EINVAL, "center must be finite");
    cz_volume *v = vol_new(V_SPHERE);
    if (!v) return CZ_FAIL(CZ_ENOMEM, "cannot allocate a volume");
    memcpy(v->c, center, sizeof v->c);
    v->r = radius;
    *out = v;
    return CZ_OK;
}

cz_status cz_volume_cylinder(const double center[3], const double axis[3], double radius,
                             double length, cz_volume **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!center || !axis) return CZ_FAIL(CZ_EINVAL, "center and axis must not be NULL");
    if (!v3_finite(center) || !v3_finite(axis))
        return CZ_FAIL(CZ_EINVAL, "center and axis must be finite");
    double l = v3_norm(axis);
    if (!(l > 0)) return CZ_FAIL(CZ_EINVAL, "cylinder axis must be non-zero");
    if (!(radius > 0) || !isfinite(radius))
        return CZ_FAIL(CZ_EINVAL, "radius must be > 0 and finite (got %g)", radius);
    if (!(length > 0) || !isfinite(length))
        return CZ_FAIL(CZ_EINVAL, "length must be > 0 and finite (got %g)", length);
    cz_volume *v = vol_new(V_CYLINDER);
    if (!v) return CZ_FAIL(CZ_ENOMEM, "cannot allocate a volume");
    memcpy(v->c, center, sizeof v->c);
    for (int k = 0; k < 3; k++) v->axis[k] = axis[k] / l;
    v->r = radius;
    v->half = 0.5 * length;
    *out = v;
    return CZ_OK;
}

/* Rank of a set of unit normals (0..3). */
static int normals_rank(size_t n, const double (*nrm)[3]) {
    size_t i0 = 0;
    if (n == 0) return 0;
    for (size_t j = 1; j < n; j++) {
        double c[3];
        v3_cross(nrm[i0], nrm[j], c);
        if (v3_norm(c) > 1e-9) {
            for (size_t k = 0; k < n; k++)
                if (fabs(v3_dot(c, nrm[k])) > 1e-9 * v3_norm(c)) return 3;
            return 2;
        }
    }
    return 1;
}

/* Append p to a growing array of 3-vectors. */
static int push3(double (**arr)[3], size_t *n, size_t *cap, const double p[3]) {
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 16;
        void *t = realloc(*arr, c * sizeof **arr);
        if (!t) return 0;
        *arr = t;
        *cap = c;
    }
    memcpy((*arr)[(*n)++], p, 3 * sizeof(double));
    return 1;
}

/* Describe the polyhedron {x : n̂_i·x <= d_i} exactly, for its support function and emptiness:
 *  - rank 3: vertices (feasible triple-plane intersections) and the extreme rays ±(n̂_i × n̂_j)
 *    of the recession cone {w : n̂_k·w <= 0 ∀k}. A non-empty rank-3 polyhedron is pointed, so it
 *    has a vertex, and its recession cone is generated by those rays.
 *  - rank 2: the normals span a plane; the polyhedron is a prism along the line L ⊥ that plane.
 *    Vertices and rays are those of its cross-section in the plane L·x = 0.
 *  - rank 1: slabs and half-spaces, handled directly by the support function.
 * Vertices found none (ranks 2, 3) means the region is empty. */
static cz_status poly_finish(cz_volume *v, double scale, const char *func) {
    v->rank = normals_rank(v->np, CZ_CROWS(v->nrm));
    v->bounded = 0;
    if (v->rank == 1) {
        for (size_t i = 0; i < v->np; i++)
            for (size_t j = 0; j < v->np; j++)
                if (v3_dot(v->nrm[i], v->nrm[j]) < -1 + 1e-12 && v->off[i] + v->off[j] < -1e-12)
                    return CZ_FAIL_AS(func, CZ_EINVAL, "planes %zu and %zu leave an empty region",
                                      i, j);
        return CZ_OK;
    }
    if (v->rank == 2) {
        /* L: cross product of two independent normals. */
        for (size_t j = 1; j < v->np; j++) {
            v3_cross(v->nrm[0], v->nrm[j], v->lin);
            double l = v3_norm(v->lin);
            if (l > 1e-9) {
                for (int k = 0; k < 3; k++) v->lin[k] /= l;
                break;
            }
        }
    }
    double tol = 1e-9 * fmax(1.0, scale);
    size_t capv = 0, capr = 0;
    cz_status st = CZ_OK;
    for (size_t i = 0; i < v->np && st == CZ_OK; i++)
        for (size_t j = i + 1; j < v->np && st == CZ_OK; j++) {
            size_t kmax = v->rank == 3 ? v->np : j + 2; /* rank 2: one "third plane", L·x = 0 */
            for (size_t k = j + 1; k < kmax && st == CZ_OK; k++) {
                double m[3][3], inv[3][3], p[3];
                memcpy(m[0], v->nrm[i], sizeof m[0]);
                memcpy(m[1], v->nrm[j], sizeof m[1]);
                double d[3] = {v->off[i], v->off[j], 0.0};
                if (v->rank == 3) {
                    memcpy(m[2], v->nrm[k], sizeof m[2]);
                    d[2] = v->off[k];
                } else {
                    memcpy(m[2], v->lin, sizeof m[2]);
                }
                if (fabs(m3_det(CZ_CROWS(m))) < 1e-10 || !m3_inverse(CZ_CROWS(m), inv)) continue;
                m3_mulv(CZ_CROWS(inv), d, p);
                size_t q;
                for (q = 0; q < v->np; q++)
                    if (v3_dot(v->nrm[q], p) > v->off[q] + tol) break;
                if (q == v->np && !push3(&v->vert, &v->nv, &capv, p))
                    st = CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate vertices");
            }
        }
    if (st == CZ_OK && v->nv == 0)
        st = CZ_FAIL_AS(func, CZ_EINVAL, "the %zu planes enclose an empty region", v->np);
    /* Extreme rays: directions along an edge (rank 3: n̂_i × n̂_j; rank 2: n̂_i × L) that keep
     * every constraint. */
    for (size_t i = 0; i < v->np && st == CZ_OK; i++)
        for (size_t j = v->rank == 3 ? i + 1 : 0; j < (v->rank == 3 ? v->np : 1) && st == CZ_OK;
             j++) {
            double w[3];
            v3_cross(v->nrm[i], v->rank == 3 ? v->nrm[j] : v->lin, w);
            double l = v3_norm(w);
            if (l < 1e-9) continue;
            for (int k = 0; k < 3; k++) w[k] /= l;
            for (int sgn = -1; sgn <= 1 && st == CZ_OK; sgn += 2) {
                double r[3] = {sgn * w[0], sgn * w[1], sgn * w[2]};
                size_t q;
                for (q = 0; q < v->np; q++)
                    if (v3_dot(v->nrm[q], r) > 1e-12) break;
                if (q == v->np && !push3(&v->ray, &v->nr, &capr, r))
                    st = CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate rays");
            }
        }
    if (st != CZ_OK) return st;
    v->bounded = v->rank == 3 && v->nr == 0;
    return CZ_OK;
}

static cz_status poly_new(size_t n, const double normals[][3], const double offsets[],
                          cz_volume **out, const char *func) {
    cz_volume *v = vol_new(V_POLY);
    if (!v) return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate a volume");
    v->nrm = malloc(n * sizeof *v->nrm);
    v->off = malloc(n * sizeof *v->off);
    if (!v->nrm || !v->off) {
        cz_volume_destroy(v);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %zu planes", n);
    }
    double scale = 0;
    for (size_t i = 0; i < n; i++) {
        double l = v3_norm(normals[i]);
        for (int k = 0; k < 3; k++) v->nrm[i][k] = normals[i][k] / l;
        v->off[i] = offsets[i] / l;
        scale = fmax(scale, fabs(v->off[i]));
    }
    v->np = n;
    cz_status s = poly_finish(v, scale, func);
    if (s != CZ_OK) {
        cz_volume_destroy(v);
        return s;
    }
    *out = v;
    return CZ_OK;
}

cz_status cz_volume_polyhedron(size_t n, const double normals[][3], const double offsets[],
                               cz_volume **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (n == 0) return CZ_FAIL(CZ_EINVAL, "a polyhedron needs at least one plane");
    if (!normals || !offsets) return CZ_FAIL(CZ_EINVAL, "normals and offsets must not be NULL");
    for (size_t i = 0; i < n; i++) {
        if (!v3_finite(normals[i]) || !isfinite(offsets[i]))
            return CZ_FAIL(CZ_EINVAL, "plane %zu is not finite", i);
        if (!(v3_norm(normals[i]) > 0)) return CZ_FAIL(CZ_EINVAL, "plane %zu has a zero normal", i);
    }
    return poly_new(n, normals, offsets, out, __func__);
}

cz_status cz_volume_halfspace(const double normal[3], const double point[3], cz_volume **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!normal || !point) return CZ_FAIL(CZ_EINVAL, "normal and point must not be NULL");
    if (!v3_finite(normal) || !v3_finite(point))
        return CZ_FAIL(CZ_EINVAL, "normal and point must be finite");
    if (!(v3_norm(normal) > 0)) return CZ_FAIL(CZ_EINVAL, "half-space normal must be non-zero");
    double d = v3_dot(normal, point);
    return poly_new(1, (const double(*)[3])normal, &d, out, __func__);
}

cz_status cz_volume_miller(const cz_lattice *lattice, const int hkl[3], double distance, int snap,
                           cz_volume **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!lattice || !hkl) return CZ_FAIL(CZ_EINVAL, "lattice and hkl must not be NULL");
    if (!isfinite(distance)) return CZ_FAIL(CZ_EINVAL, "distance must be finite (got %g)", distance);
    double dsp, n[3];
    if (hkl[0] == 0 && hkl[1] == 0 && hkl[2] == 0)
        return CZ_FAIL(CZ_EINVAL, "Miller indices (0 0 0) define no plane");
    cz_status s = cz_lattice_plane(lattice, hkl, &dsp, n);
    if (s != CZ_OK) return s;
    double d = distance;
    if (snap) {
        /* Site b of cell (i, j, k) lies at height (h i + k j + l k' + f_b·hkl)·d_hkl along n̂, so
         * atomic planes sit at (integer + f_b·hkl)·d_hkl: with a basis (centred cells) there
         * are planes between the multiples of d_hkl, e.g. every d_200 for fcc (100). */
        double best = INFINITY;
        for (size_t b = 0; b < lattice->nbasis; b++) {
            double off = hkl[0] * lattice->frac[b][0] + hkl[1] * lattice->frac[b][1] +
                         hkl[2] * lattice->frac[b][2];
            double cand = (nearbyint(distance / dsp - off) + off) * dsp;
            if (fabs(cand - distance) < fabs(best - distance)) best = cand;
        }
        d = best;
    }
    return poly_new(1, (const double(*)[3])n, &d, out, __func__);
}

cz_status cz_volume_box(const double origin[3], const double edges[3][3], cz_volume **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!origin || !edges) return CZ_FAIL(CZ_EINVAL, "origin and edges must not be NULL");
    if (!v3_finite(origin) || !m3_finite(edges))
        return CZ_FAIL(CZ_EINVAL, "origin and edges must be finite");
    double det = m3_det(edges);
    double s = fmax(fmax(v3_norm(edges[0]), v3_norm(edges[1])), v3_norm(edges[2]));
    if (!(s > 0) || !(fabs(det) > 1e-9 * s * s * s))
        return CZ_FAIL(CZ_EINVAL, "box edges are degenerate (volume %g Å^3)", det);
    /* Faces: for each edge pair, the normal e_j × e_k oriented away from the box. */
    double nrm[6][3], off[6];
    for (int i = 0; i < 3; i++) {
        double c[3];
        v3_cross(edges[(i + 1) % 3], edges[(i + 2) % 3], c);
        if (v3_dot(c, edges[i]) < 0)
            for (int k = 0; k < 3; k++) c[k] = -c[k];
        double far[3];
        for (int k = 0; k < 3; k++) far[k] = origin[k] + edges[i][k];
        memcpy(nrm[2 * i], c, sizeof c);
        off[2 * i] = v3_dot(c, far);
        for (int k = 0; k < 3; k++) nrm[2 * i + 1][k] = -c[k];
        off[2 * i + 1] = -v3_dot(c, origin);
    }
    return poly_new(6, CZ_CROWS(nrm), off, out, __func__);
}

cz_status cz_volume_hull(size_t n, const double points[][3], cz_volume **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!points) return CZ_FAIL(CZ_EINVAL, "points must not be NULL");
    if (n < 4) return CZ_FAIL(CZ_EINVAL, "a hull needs at least 4 points (got %zu)", n);
    if (n > 500) return CZ_FAIL(CZ_EINVAL, "at most 500 hull points are supported (got %zu)", n);
    double scale = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v3_finite(points[i])) return CZ_FAIL(CZ_EINVAL, "point %zu is not finite", i);
        scale = fmax(scale, v3_norm(points[i]));
    }
    double tol = 1e-9 * fmax(1.0, scale);
    size_t cap = 16, np = 0;
    double (*nrm)[3] = malloc(cap * sizeof *nrm);
    double *off = malloc(cap * sizeof *off);
    cz_status s = CZ_OK;
    if (!nrm || !off) {
        s = CZ_FAIL(CZ_ENOMEM, "cannot allocate hull planes");
        goto done;
    }
    /* A triple spans a facet plane when every point lies on one side of it. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            for (size_t k = j + 1; k < n; k++) {
                double e1[3], e2[3], c[3];
                for (int q = 0; q < 3; q++) {
                    e1[q] = points[j][q] - points[i][q];
                    e2[q] = points[k][q] - points[i][q];
                }
                v3_cross(e1, e2, c);
                double l = v3_norm(c);
                if (l < 1e-12 * fmax(1.0, scale * scale)) continue;
                for (int q = 0; q < 3; q++) c[q] /= l;
                double d = v3_dot(c, points[i]);
                int pos = 0, neg = 0;
                for (size_t m = 0; m < n && !(pos && neg); m++) {
                    double e = v3_dot(c, points[m]) - d;
                    if (e > tol) pos = 1;
                    if (e < -tol) neg = 1;
                }
                if (pos && neg) continue;
                if (!pos && !neg) continue; /* all coplanar */
                if (pos) {
                    for (int q = 0; q < 3; q++) c[q] = -c[q];
                    d = -d;
                }
                size_t q;
                for (q = 0; q < np; q++) {
                    double dn[3] = {nrm[q][0] - c[0], nrm[q][1] - c[1], nrm[q][2] - c[2]};
                    if (v3_norm(dn) < 1e-9 && fabs(off[q] - d) < tol) break;
                }
                if (q < np) continue;
                if (np == cap) {
                    cap *= 2;
                    void *t1 = realloc(nrm, cap * sizeof *nrm);
                    if (t1) nrm = t1;
                    void *t2 = realloc(off, cap * sizeof *off);
                    if (t2) off = t2;
                    if (!t1 || !t2) {
                        s = CZ_FAIL(CZ_ENOMEM, "cannot allocate hull planes");
                        goto done;
                    }
                }
                memcpy(nrm[np], c, sizeof c);
                off[np++] = d;
            }
    if (np < 4) {
        s = CZ_FAIL(CZ_EINVAL, "the %zu points are coplanar: they enclose no volume", n);
        goto done;
    }
    s = poly_new(np, CZ_CROWS(nrm), off, out, __func__);
done:
    free(nrm);
    free(off);
    return s;
}

/* ------------------------------------------------------------------ combinators ---- */

static cz_status combine(kind k, const cz_volume *a, const cz_volume *b, cz_volume **out,
                         const char *func) {
    if (!out) return CZ_FAIL_AS(func, CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!a || !b) return CZ_FAIL_AS(func, CZ_EINVAL, "operands must not be NULL");
    cz_volume *v = vol_new(k);
    if (!v) return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate a volume");
    if (cz_volume_copy(a, &v->a) != CZ_OK || cz_volume_copy(b, &v->b) != CZ_OK) {
        cz_volume_destroy(v);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot copy operands");
    }
    *out = v;
    return CZ_OK;
}

cz_status cz_volume_intersection(const cz_volume *a, const cz_volume *b, cz_volume **out) {
    return combine(V_AND, a, b, out, __func__);
}
cz_status cz_volume_union(const cz_volume *a, const cz_volume *b, cz_volume **out) {
    return combine(V_OR, a, b, out, __func__);
}
cz_status cz_volume_difference(const cz_volume *a, const cz_volume *b, cz_volume **out) {
    return combine(V_SUB, a, b, out, __func__);
}

cz_status cz_volume_transform(const cz_volume *src, const cz_transform *tf, cz_volume **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!src || !tf) return CZ_FAIL(CZ_EINVAL, "volume and transform must not be NULL");
    if (!m3_finite(tf->m) || !v3_finite(tf->t)) return CZ_FAIL(CZ_EINVAL, "transform is not finite");
    cz_volume *v = vol_new(V_XFORM);
    if (!v) return CZ_FAIL(CZ_ENOMEM, "cannot allocate a volume");
    v->tf = *tf;
    if (cz_transform_invert(tf, &v->inv) != CZ_OK) {
        cz_volume_destroy(v);
        return CZ_FAIL(CZ_EINVAL, "transform is singular (det = %g)", m3_det(tf->m));
    }
    if (cz_volume_copy(src, &v->a) != CZ_OK) {
        cz_volume_destroy(v);
        return CZ_FAIL(CZ_ENOMEM, "cannot copy the volume");
    }
    *out = v;
    return CZ_OK;
}

/* ------------------------------------------------------------------ queries ---- */

int cz_volume_contains(const cz_volume *v, const double x[3]) {
    switch (v->k) {
        case V_SPHERE: {
            double d[3] = {x[0] - v->c[0], x[1] - v->c[1], x[2] - v->c[2]};
            double rr = v->r + CZ_VOLUME_EPS;
            return v3_dot(d, d) <= rr * rr;
        }
        case V_CYLINDER: {
            double d[3] = {x[0] - v->c[0], x[1] - v->c[1], x[2] - v->c[2]};
            double h = v3_dot(d, v->axis);
            if (fabs(h) > v->half + CZ_VOLUME_EPS) return 0;
            double p2 = v3_dot(d, d) - h * h, rr = v->r + CZ_VOLUME_EPS;
            return p2 <= rr * rr;
        }
        case V_POLY:
            for (size_t i = 0; i < v->np; i++)
                if (v3_dot(v->nrm[i], x) > v->off[i] + CZ_VOLUME_EPS) return 0;
            return 1;
        case V_AND: return cz_volume_contains(v->a, x) && cz_volume_contains(v->b, x);
        case V_OR: return cz_volume_contains(v->a, x) || cz_volume_contains(v->b, x);
        case V_SUB: return cz_volume_contains(v->a, x) && !cz_volume_contains(v->b, x);
        case V_XFORM: {
            double y[3];
            cz_transform_apply(&v->inv, x, y);
            return cz_volume_contains(v->a, y);
        }
    }
    return 0;
}

double cz_volume_support(const cz_volume *v, const double u[3]) {
    switch (v->k) {
        case V_SPHERE: return v3_dot(v->c, u) + v->r * v3_norm(u);
        case V_CYLINDER: {
            double ua = v3_dot(u, v->axis);
            double perp2 = fmax(0.0, v3_dot(u, u) - ua * ua);
            return v3_dot(v->c, u) + v->half * fabs(ua) + v->r * sqrt(perp2);
        }
        case V_POLY: {
            double uu = v3_norm(u);
            if (uu == 0.0) return 0.0;
            if (v->rank >= 2) {
                /* Unbounded along a recession ray (or the prism's line) that u points into;
                 * otherwise the maximum sits at a vertex. */
                if (v->rank == 2 && fabs(v3_dot(v->lin, u)) > 1e-12 * uu) return INFINITY;
                for (size_t i = 0; i < v->nr; i++)
                    if (v3_dot(v->ray[i], u) > 1e-12 * uu) return INFINITY;
                double h = -INFINITY;
                for (size_t i = 0; i < v->nv; i++) h = fmax(h, v3_dot(v->vert[i], u));
                return h;
            }
            {
                /* All normals parallel to ±n̂: finite only along +n̂ with a plane facing it. */
                double h = INFINITY;
                for (size_t i = 0; i < v->np; i++) {
                    double c = v3_dot(v->nrm[i], u) / uu;
                    if (c > 1 - 1e-12) h = fmin(h, v->off[i] * uu);
                }
                return h;
            }
            return INFINITY;
        }
        case V_AND: return fmin(cz_volume_support(v->a, u), cz_volume_support(v->b, u));
        case V_OR: return fmax(cz_volume_support(v->a, u), cz_volume_support(v->b, u));
        case V_SUB: return cz_volume_support(v->a, u);
        case V_XFORM: {
            /* sup over y ∈ child of (m y + t)·u = t·u + h_child(mᵀ u). */
            double w[3];
            m3_tmulv(v->tf.m, u, w);
            return v3_dot(v->tf.t, u) + cz_volume_support(v->a, w);
        }
    }
    return INFINITY;
}

cz_status cz_volume_bbox(const cz_volume *v, double lo[3], double hi[3]) {
    if (!v || !lo || !hi) return CZ_FAIL(CZ_EINVAL, "volume, lo and hi must not be NULL");
    for (int k = 0; k < 3; k++) {
        double e[3] = {0, 0, 0};
        e[k] = 1;
        hi[k] = cz_volume_support(v, e);
        e[k] = -1;
        lo[k] = -cz_volume_support(v, e);
    }
    return CZ_OK;
}

int cz_volume_is_bounded(const cz_volume *v) {
    double lo[3], hi[3];
    if (!v || cz_volume_bbox(v, lo, hi) != CZ_OK) return 0;
    return v3_finite(lo) && v3_finite(hi);
}

/* ---------------------------------------------------------- line intersection ---- */

static void ivl_set(czi_intervals *r, double t0, double t1) {
    r->overflow = 0;
    if (t0 <= t1) {
        r->n = 1;
        r->t[0] = t0;
        r->t[1] = t1;
    } else {
        r->n = 0;
    }
}

static void ivl_push_merge(czi_intervals *o, double lo, double hi);

/* An overflowed list is only a bound: collapse it to the one interval [first, last] that
 * contains the whole set, the form callers rely on (volume.h). */
static void ivl_collapse(czi_intervals *r) {
    if (!r->overflow || r->n <= 1) return;
    r->t[1] = r->t[2 * r->n - 1];
    r->n = 1;
}

/* Intersection of two interval lists (linear merge). With an overflowed operand (a superset)
 * the result is a superset too, and is marked so. */
static void ivl_and(const czi_intervals *a, const czi_intervals *b, czi_intervals *r) {
    czi_intervals o = {0, a->overflow || b->overflow, {0}};
    int i = 0, j = 0;
    while (i < a->n && j < b->n) {
        double lo = fmax(a->t[2 * i], b->t[2 * j]), hi = fmin(a->t[2 * i + 1], b->t[2 * j + 1]);
        if (lo <= hi) ivl_push_merge(&o, lo, hi);
        if (a->t[2 * i + 1] < b->t[2 * j + 1])
            i++;
        else
            j++;
    }
    ivl_collapse(&o);
    *r = o;
}

/* Append [lo, hi] (lo >= the previous start), merging with the last interval when they touch.
 * A full list grows its last interval instead: a superset, marked as overflowed. */
static void ivl_push_merge(czi_intervals *o, double lo, double hi) {
    if (o->n > 0 && lo <= o->t[2 * o->n - 1]) {
        o->t[2 * o->n - 1] = fmax(o->t[2 * o->n - 1], hi);
    } else if (o->n < CZI_IVL_CAP) {
        o->t[2 * o->n] = lo;
        o->t[2 * o->n + 1] = hi;
        o->n++;
    } else {
        o->overflow = 1;
        o->t[2 * o->n - 1] = fmax(o->t[2 * o->n - 1], hi);
    }
}

static void ivl_or(const czi_intervals *a, const czi_intervals *b, czi_intervals *r) {
    czi_intervals o = {0, a->overflow || b->overflow, {0}};
    int i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int take_a = j >= b->n || (i < a->n && a->t[2 * i] <= b->t[2 * j]);
        const double *p = take_a ? &a->t[2 * i++] : &b->t[2 * j++];
        ivl_push_merge(&o, p[0], p[1]);
    }
    ivl_collapse(&o);
    *r = o;
}

/* a minus b. The result's ends at b's boundaries are open in exact arithmetic; the fill
 * settles such ends with exact membership tests. */
static void ivl_sub(const czi_intervals *a, const czi_intervals *b, czi_intervals *r) {
    if (b->overflow) {
        /* b is only bounded: subtracting the bound would remove too much, so keep all of a,
         * a superset, and let the caller test points. */
        *r = *a;
        r->overflow = 1;
        ivl_collapse(r);
        return;
    }
    czi_intervals o = {0, a->overflow, {0}};
    int j = 0;
    for (int i = 0; i < a->n; i++) {
        double lo = a->t[2 * i], hi = a->t[2 * i + 1];
        while (j < b->n && b->t[2 * j + 1] < lo) j++;
        int jj = j;
        while (lo <= hi) {
            if (jj >= b->n || b->t[2 * jj] > hi) {
                ivl_push_merge(&o, lo, hi);
                break;
            }
            if (b->t[2 * jj] > lo) ivl_push_merge(&o, lo, b->t[2 * jj]);
            lo = b->t[2 * jj + 1];
            jj++;
        }
    }
    ivl_collapse(&o);
    *r = o;
}

/* Interval of t where |o + t u − c|² <= R² (o, u relative to nothing: d = o − c given). */
static void quad_interval(const double d[3], const double u[3], double rr, czi_intervals *r) {
    double A = v3_dot(u, u), B = v3_dot(u, d), C = v3_dot(d, d) - rr * rr;
    if (A == 0.0) {
        if (C <= 0)
            ivl_set(r, -INFINITY, INFINITY);
        else
            r->n = 0, r->overflow = 0;
        return;
    }
    double disc = B * B - A * C;
    if (disc < 0) {
        r->n = 0;
        r->overflow = 0;
        return;
    }
    /* Numerically stable roots of A t² + 2B t + C. */
    double sq = sqrt(disc);
    double q = B >= 0 ? -(B + sq) : -(B - sq);
    double t1 = q / A, t2 = (q != 0.0) ? C / q : 0.0;
    if (q == 0.0) t2 = t1;
    ivl_set(r, fmin(t1, t2), fmax(t1, t2));
}

/* Interval of t where lo_bound <= a + t b <= hi_bound. */
static void slab_interval(double a, double b, double lo_bound, double hi_bound, double *t0,
                          double *t1) {
    if (b == 0.0) {
        if (a < lo_bound || a > hi_bound) {
            *t0 = INFINITY;
            *t1 = -INFINITY;
        }
        return;
    }
    double s0 = (lo_bound - a) / b, s1 = (hi_bound - a) / b;
    if (s0 > s1) {
        double t = s0;
        s0 = s1;
        s1 = t;
    }
    *t0 = fmax(*t0, s0);
    *t1 = fmin(*t1, s1);
}

void czi_volume_line(const cz_volume *v, const double o[3], const double u[3], czi_intervals *r) {
    switch (v->k) {
        case V_SPHERE: {
            double d[3] = {o[0] - v->c[0], o[1] - v->c[1], o[2] - v->c[2]};
            quad_interval(d, u, v->r + CZ_VOLUME_EPS, r);
            return;
        }
        case V_CYLINDER: {
            double d[3] = {o[0] - v->c[0], o[1] - v->c[1], o[2] - v->c[2]};
            double t0 = -INFINITY, t1 = INFINITY;
            slab_interval(v3_dot(d, v->axis), v3_dot(u, v->axis), -v->half - CZ_VOLUME_EPS,
                          v->half + CZ_VOLUME_EPS, &t0, &t1);
            /* Radial part: the components of d and u perpendicular to the axis. */
            double dp[3], up[3], ha = v3_dot(d, v->axis), ua = v3_dot(u, v->axis);
            for (int k = 0; k < 3; k++) {
                dp[k] = d[k] - ha * v->axis[k];
                up[k] = u[k] - ua * v->axis[k];
            }
            czi_intervals q;
            quad_interval(dp, up, v->r + CZ_VOLUME_EPS, &q);
            if (q.n == 0 || t0 > t1) {
                r->n = 0;
                r->overflow = 0;
                return;
            }
            ivl_set(r, fmax(t0, q.t[0]), fmin(t1, q.t[1]));
            return;
        }
        case V_POLY: {
            double t0 = -INFINITY, t1 = INFINITY;
            for (size_t i = 0; i < v->np && t0 <= t1; i++)
                slab_interval(v3_dot(v->nrm[i], o), v3_dot(v->nrm[i], u), -INFINITY,
                              v->off[i] + CZ_VOLUME_EPS, &t0, &t1);
            ivl_set(r, t0, t1);
            return;
        }
        case V_AND:
        case V_OR:
        case V_SUB: {
            czi_intervals ra, rb;
            czi_volume_line(v->a, o, u, &ra);
            if (v->k == V_AND && ra.n == 0) {
                *r = ra;
                return;
            }
            czi_volume_line(v->b, o, u, &rb);
            if (v->k == V_AND)
                ivl_and(&ra, &rb, r);
            else if (v->k == V_OR)
                ivl_or(&ra, &rb, r);
            else
                ivl_sub(&ra, &rb, r);
            return;
        }
        case V_XFORM: {
            /* The inverse map is affine, so it carries the line to a line with the same
             * parameter t: o' = inv(o), u' = inv.m · u. */
            double o2[3], u2[3];
            cz_transform_apply(&v->inv, o, o2);
            m3_mulv(v->inv.m, u, u2);
            czi_volume_line(v->a, o2, u2, r);
            return;
        }
    }
    r->n = 0;
    r->overflow = 0;
}
