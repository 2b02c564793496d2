/* substrate.c — crystalline slabs with an (hkl) surface along +z and a periodic in-plane cell.
 *
 * Steps: (1) reduce the bulk lattice to a primitive cell, so centring translations count as
 * lattice vectors; (2) express (hkl) in that cell and find an integer unimodular basis
 * (v1, v2, v3) with v1, v2 spanning the plane's lattice and hkl·v3 = 1; (3) Lagrange–Gauss
 * reduce (v1, v2) and shorten v3 laterally; (4) rotate the normal onto +z; (5) pick the
 * in-plane supercell and, when matching, the in-plane strain; (6) pick the atomic planes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_substrate.h"
#include "cz/cz_volume.h"
#include "error.h"
#include "vec.h"

static const double PI = 3.14159265358979323846;
/* Two atoms whose heights differ by less than this share an atomic plane (Å). */
static const double PLANE_TOL = 1e-6;
/* Sites closer than this are the same site (Å), as in cz_lattice_create. */
static const double SITE_TOL = 1e-4;
/* Margin between a slab and its cell's z faces when z_top / cell_height are not given (Å). */
static const double Z_MARGIN = 1.0;

void cz_slab_opts_default(cz_slab_opts *o) {
    memset(o, 0, sizeof *o);
    o->hkl[2] = 1;
    o->nplanes = 4;
    o->thickness = 0.0;
    o->termination = -1;
    o->z_top = NAN;
    o->cell_height = NAN;
    o->inplane_deg = 0.0;
    o->lateral = CZ_SLAB_SIZE;
    o->repeats[0] = o->repeats[1] = 1;
    o->target[0][0] = 30.0;
    o->target[1][1] = 30.0;
    o->max_strain = 0.02;
}

void cz_slab_destroy(cz_slab *s) {
    if (!s) return;
    cz_lattice_destroy(s->lattice);
    free(s->plane_height);
    free(s->plane_atoms);
    free(s);
}

/* ---- integer helpers ------------------------------------------------------------------- */

static long labs_(long x) { return x < 0 ? -x : x; }

static long gcd_(long a, long b) {
    a = labs_(a);
    b = labs_(b);
    while (b) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Extended Euclid: x·a + y·b = g = gcd(a, b) >= 0. */
static long ext_gcd(long a, long b, long *x, long *y) {
    long x0 = 1, y0 = 0, x1 = 0, y1 = 1;
    while (b != 0) {
        long q = a / b, t;
        t = a - q * b;
        a = b;
        b = t;
        t = x0 - q * x1;
        x0 = x1;
        x1 = t;
        t = y0 - q * y1;
        y0 = y1;
        y1 = t;
    }
    if (a < 0) {
        a = -a;
        x0 = -x0;
        y0 = -y0;
    }
    *x = x0;
    *y = y0;
    return a;
}

static long floordiv(long a, long b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* ---- (1) primitive cell ---------------------------------------------------------------- */

typedef struct {
    double cell[3][3]; /* primitive rows (Å) */
    long h[3][3];      /* primitive row i = (h[i] / nt) · conventional cell */
    long nt;           /* number of pure translations (1 for a primitive input) */
    size_t nb;
    double (*frac)[3]; /* primitive basis */
    int *z;
} prim;

static void prim_free(prim *p) {
    free(p->frac);
    free(p->z);
}

/* Minimum-image distance between fractional points of `cell` (rounding each component is
 * enough at the tiny tolerances used here). */
static double frac_dist(const double cell[3][3], const double a[3], const double b[3]) {
    double d[3], x[3];
    for (int k = 0; k < 3; k++) {
        d[k] = a[k] - b[k];
        d[k] -= nearbyint(d[k]);
    }
    m3_tmulv(cell, d, x);
    return v3_norm(x);
}

/* Hermite-style triangularisation of integer row vectors: rows 0..2 become a basis of the
 * lattice the rows generate (Euclid on each column). */
static void hnf3(long (*g)[3], size_t nrows) {
    for (int c = 0; c < 3; c++) {
        for (;;) {
            size_t piv = nrows;
            for (size_t r = (size_t)c; r < nrows; r++)
                if (g[r][c] != 0 && (piv == nrows || labs_(g[r][c]) < labs_(g[piv][c]))) piv = r;
            if (piv == nrows) break; /* cannot happen: nt·I is among the rows */
            if (piv != (size_t)c)
                for (int k = 0; k < 3; k++) {
                    long t = g[c][k];
                    g[c][k] = g[piv][k];
                    g[piv][k] = t;
                }
            int clean = 1;
            for (size_t r = (size_t)c + 1; r < nrows; r++) {
                long q = g[r][c] / g[c][c];
                for (int k = 0; k < 3; k++) g[r][k] -= q * g[c][k];
                if (g[r][c] != 0) clean = 0;
            }
            if (clean) break;
        }
        if (g[c][c] < 0)
            for (int k = 0; k < 3; k++) g[c][k] = -g[c][k];
    }
}

static cz_status make_prim(const cz_lattice *lat, prim *p, const char *func) {
    memset(p, 0, sizeof *p);
    size_t nb = lat->nbasis;
    double(*tau)[3] = malloc(nb * sizeof *tau);
    if (!tau) return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %zu translations", nb);
    /* Pure translations: f_b − f_0 maps every site onto a site of the same species. */
    size_t nt = 0;
    for (size_t b = 0; b < nb; b++) {
        if (lat->z[b] != lat->z[0]) continue;
        double t[3];
        for (int k = 0; k < 3; k++) t[k] = lat->frac[b][k] - lat->frac[0][k];
        int ok = 1;
        for (size_t i = 0; i < nb && ok; i++) {
            double f[3] = {lat->frac[i][0] + t[0], lat->frac[i][1] + t[1], lat->frac[i][2] + t[2]};
            int found = 0;
            for (size_t j = 0; j < nb && !found; j++)
                found = lat->z[j] == lat->z[i] && frac_dist(lat->cell, f, lat->frac[j]) < SITE_TOL;
            ok = found;
        }
        if (ok) memcpy(tau[nt++], t, sizeof t);
    }
    /* The translations form a group of order nt, so nt·τ is an integer vector. */
    size_t nrows = 3 + nt;
    long(*g)[3] = calloc(nrows, sizeof *g);
    if (!g) {
        free(tau);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %zu rows", nrows);
    }
    int exact = 1;
    for (int k = 0; k < 3; k++) g[k][k] = (long)nt;
    for (size_t t = 0; t < nt; t++)
        for (int k = 0; k < 3; k++) {
            double v = (double)nt * tau[t][k];
            g[3 + t][k] = (long)nearbyint(v);
            if (fabs(v - nearbyint(v)) > 1e-3) exact = 0;
        }
    free(tau);
    if (!exact) {
        /* Noisy coordinates: keep the input cell rather than guess a primitive one. */
        nt = 1;
        nrows = 3;
        memset(g, 0, 3 * sizeof *g);
        for (int k = 0; k < 3; k++) g[k][k] = 1;
    }
    hnf3(g, nrows);
    p->nt = (long)nt;
    double bm[3][3], binv[3][3];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++) {
            p->h[i][k] = g[i][k];
            bm[i][k] = (double)g[i][k] / (double)nt;
        }
    free(g);
    m3_mul(CZ_CROWS(bm), lat->cell, p->cell);
    if (!m3_inverse(CZ_CROWS(bm), binv))
        return CZ_FAIL_AS(func, CZ_EINTERNAL, "primitive cell search gave a singular cell");
    /* Primitive basis: every site in primitive coordinates, duplicates (images under the
     * translations) dropped. */
    p->frac = malloc(nb * sizeof *p->frac);
    p->z = malloc(nb * sizeof *p->z);
    if (!p->frac || !p->z) {
        prim_free(p);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate the primitive basis");
    }
    for (size_t i = 0; i < nb; i++) {
        double f[3];
        m3_tmulv(CZ_CROWS(binv), lat->frac[i], f);
        for (int k = 0; k < 3; k++) {
            f[k] -= floor(f[k]);
            if (f[k] >= 1.0) f[k] = 0.0;
        }
        int dup = 0;
        for (size_t j = 0; j < p->nb && !dup; j++)
            dup = frac_dist(CZ_CROWS(p->cell), f, p->frac[j]) < SITE_TOL;
        if (dup) continue;
        memcpy(p->frac[p->nb], f, sizeof f);
        p->z[p->nb++] = lat->z[i];
    }
    if (p->nb * (size_t)nt != nb) {
        prim_free(p);
        return CZ_FAIL_AS(func, CZ_EINTERNAL, "primitive basis has %zu sites, expected %zu / %zu",
                          p->nb, nb, nt);
    }
    return CZ_OK;
}

/* ---- (2)–(4) surface cell ------------------------------------------------------------- */

static void ivec_cart(const long v[3], const double cell[3][3], double out[3]) {
    double f[3] = {(double)v[0], (double)v[1], (double)v[2]};
    m3_tmulv(cell, f, out);
}

/* Integer basis of the primitive lattice adapted to the plane (h k l) (coprime):
 * h·v1 = h·v2 = 0, h·v3 = 1, so (v1, v2, v3) is unimodular. */
static void plane_basis(const long h[3], long v[3][3]) {
    long k = h[1], l = h[2];
    memset(v, 0, 9 * sizeof(long));
    if (k == 0 && l == 0) {
        /* h = ±1 */
        v[0][1] = 1;
        v[1][2] = 1;
        v[2][0] = h[0];
        return;
    }
    long p, q, a, b;
    long g = ext_gcd(k, l, &p, &q); /* p·k + q·l = g */
    /* Kernel vectors: (0, l/g, −k/g) spans those with zero first component; any kernel vector
     * has a first component divisible by g (gcd(h, g) = 1), and (g, −h p, −h q) reaches it. */
    v[0][0] = 0;
    v[0][1] = l / g;
    v[0][2] = -k / g;
    v[1][0] = g;
    v[1][1] = -h[0] * p;
    v[1][2] = -h[0] * q;
    ext_gcd(h[0], g, &a, &b); /* a·h + b·g = 1 */
    v[2][0] = a;
    v[2][1] = b * p;
    v[2][2] = b * q;
}

typedef struct {
    long v[3][3];      /* integer rows in primitive coordinates: A, B, C */
    double cart[3][3]; /* the same in Cartesian (bulk frame) */
    double normal[3];  /* unit surface normal (bulk frame) */
    double d;          /* plane spacing */
} surface;

static void lincomb(long a[3], const long b[3], long m) {
    for (int k = 0; k < 3; k++) a[k] -= m * b[k];
}

static void make_surface(const prim *p, const long hp[3], surface *s) {
    plane_basis(hp, s->v);
    double inv[3][3], g[3], hd[3] = {(double)hp[0], (double)hp[1], (double)hp[2]};
    m3_inverse(CZ_CROWS(p->cell), inv);
    m3_mulv(CZ_CROWS(inv), hd, g); /* h a* + k b* + l c* (columns of cell⁻¹) */
    double gl = v3_norm(g);
    for (int k = 0; k < 3; k++) s->normal[k] = g[k] / gl;
    for (int i = 0; i < 3; i++) ivec_cart(s->v[i], CZ_CROWS(p->cell), s->cart[i]);
    /* Lagrange–Gauss reduction of the in-plane pair. */
    for (int it = 0; it < 1000; it++) {
        if (v3_dot(s->cart[0], s->cart[0]) > v3_dot(s->cart[1], s->cart[1])) {
            long t[3];
            memcpy(t, s->v[0], sizeof t);
            memcpy(s->v[0], s->v[1], sizeof t);
            memcpy(s->v[1], t, sizeof t);
            ivec_cart(s->v[0], CZ_CROWS(p->cell), s->cart[0]);
            ivec_cart(s->v[1], CZ_CROWS(p->cell), s->cart[1]);
        }
        double mu = nearbyint(v3_dot(s->cart[0], s->cart[1]) / v3_dot(s->cart[0], s->cart[0]));
        if (mu == 0.0) break;
        lincomb(s->v[1], s->v[0], (long)mu);
        ivec_cart(s->v[1], CZ_CROWS(p->cell), s->cart[1]);
    }
    /* Right-handed about the normal, then obtuse when B − A is no longer than B (the usual
     * 120° hexagonal setting rather than 60°). */
    double c[3];
    v3_cross(s->cart[0], s->cart[1], c);
    if (v3_dot(c, s->normal) < 0.0)
        for (int k = 0; k < 3; k++) s->v[1][k] = -s->v[1][k];
    ivec_cart(s->v[1], CZ_CROWS(p->cell), s->cart[1]);
    if (v3_dot(s->cart[0], s->cart[1]) > 0.0) {
        double bm[3];
        for (int k = 0; k < 3; k++) bm[k] = s->cart[1][k] - s->cart[0][k];
        if (v3_dot(bm, bm) <= v3_dot(s->cart[1], s->cart[1]) * (1.0 + 1e-9)) {
            lincomb(s->v[1], s->v[0], 1);
            ivec_cart(s->v[1], CZ_CROWS(p->cell), s->cart[1]);
        }
    }
    /* Shorten C laterally: remove the nearest lattice vector of the plane from its in-plane
     * part (solve the 2×2 Gram system for its coordinates along A and B). */
    double g11 = v3_dot(s->cart[0], s->cart[0]), g12 = v3_dot(s->cart[0], s->cart[1]),
           g22 = v3_dot(s->cart[1], s->cart[1]);
    double r1 = v3_dot(s->cart[2], s->cart[0]), r2 = v3_dot(s->cart[2], s->cart[1]);
    double det = g11 * g22 - g12 * g12;
    double al = (r1 * g22 - r2 * g12) / det, be = (r2 * g11 - r1 * g12) / det;
    lincomb(s->v[2], s->v[0], (long)nearbyint(al));
    lincomb(s->v[2], s->v[1], (long)nearbyint(be));
    ivec_cart(s->v[2], CZ_CROWS(p->cell), s->cart[2]);
    s->d = v3_dot(s->cart[2], s->normal);
}

/* ---- atomic planes --------------------------------------------------------------------- */

/* Height of site b within its period as a fraction of C, with values just below 1 folded to
 * just below 0 so one plane never splits across the period boundary. */
static double site_height(const cz_lattice *l, size_t b, double tolf) {
    double f = l->frac[b][2];
    return f > 1.0 - tolf ? f - 1.0 : f;
}

typedef struct {
    size_t m;
    double *h;     /* [m] fractional heights (first site of each plane) */
    size_t *count; /* [m] sites per plane */
    size_t *plane; /* [nbasis] plane of each site */
} planes;

static void planes_free(planes *pl) {
    free(pl->h);
    free(pl->count);
    free(pl->plane);
}

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static cz_status find_planes(const cz_lattice *l, double d, planes *pl, const char *func) {
    size_t nb = l->nbasis;
    double tolf = PLANE_TOL / d;
    memset(pl, 0, sizeof *pl);
    double *hs = malloc(nb * sizeof *hs);
    pl->h = malloc(nb * sizeof *pl->h);
    pl->count = calloc(nb, sizeof *pl->count);
    pl->plane = malloc(nb * sizeof *pl->plane);
    if (!hs || !pl->h || !pl->count || !pl->plane) {
        free(hs);
        planes_free(pl);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %zu plane heights", nb);
    }
    for (size_t b = 0; b < nb; b++) hs[b] = site_height(l, b, tolf);
    qsort(hs, nb, sizeof *hs, cmp_dbl);
    for (size_t b = 0; b < nb; b++)
        if (pl->m == 0 || hs[b] - pl->h[pl->m - 1] > tolf) pl->h[pl->m++] = hs[b];
    free(hs);
    for (size_t b = 0; b < nb; b++) {
        double h = site_height(l, b, tolf);
        size_t best = 0;
        for (size_t q = 1; q < pl->m; q++)
            if (fabs(pl->h[q] - h) < fabs(pl->h[best] - h)) best = q;
        pl->plane[b] = best;
        pl->count[best]++;
    }
    return CZ_OK;
}

/* Height (in units of d) of global plane G = s·m + p. */
static double plane_z(const planes *pl, long g) {
    long m = (long)pl->m, s = floordiv(g, m);
    return (double)s + pl->h[g - s * m];
}

/* ---- (5) in-plane cell ----------------------------------------------------------------- */

/* Integer n (2) minimising |n·P − t| (rows of P in xy): rounding the exact coefficients is
 * not always the nearest lattice point, so the 4×4 integers around them are searched. */
static void nearest_cell_row(const double pm[2][2], const double t[2], long n[2]) {
    double det = pm[0][0] * pm[1][1] - pm[0][1] * pm[1][0];
    double c0 = (t[0] * pm[1][1] - t[1] * pm[1][0]) / det;
    double c1 = (t[1] * pm[0][0] - t[0] * pm[0][1]) / det;
    double best = INFINITY;
    long f0 = (long)floor(c0), f1 = (long)floor(c1);
    n[0] = f0;
    n[1] = f1;
    for (long a = f0 - 1; a <= f0 + 2; a++)
        for (long b = f1 - 1; b <= f1 + 2; b++) {
            double x = (double)a * pm[0][0] + (double)b * pm[1][0] - t[0];
            double y = (double)a * pm[0][1] + (double)b * pm[1][1] - t[1];
            double e = x * x + y * y;
            if (e < best - 1e-12 * (t[0] * t[0] + t[1] * t[1])) {
                best = e;
                n[0] = a;
                n[1] = b;
            }
        }
}

/* Stretch and rotation of the row-vector map x → x·D (column form F = Dᵀ = R·U). */
static void polar2(const double dm[2][2], double strain[2][2], double *emax, double *rot_deg) {
    double f[2][2] = {{dm[0][0], dm[1][0]}, {dm[0][1], dm[1][1]}};
    /* C = FᵀF; U = (C + √det C · I) / √(tr C + 2√det C) for 2×2 SPD C. */
    double c11 = f[0][0] * f[0][0] + f[1][0] * f[1][0];
    double c12 = f[0][0] * f[0][1] + f[1][0] * f[1][1];
    double c22 = f[0][1] * f[0][1] + f[1][1] * f[1][1];
    double sd = sqrt(c11 * c22 - c12 * c12), t = sqrt(c11 + c22 + 2.0 * sd);
    double u11 = (c11 + sd) / t, u12 = c12 / t, u22 = (c22 + sd) / t;
    strain[0][0] = u11 - 1.0;
    strain[0][1] = strain[1][0] = u12;
    strain[1][1] = u22 - 1.0;
    double mean = 0.5 * (strain[0][0] + strain[1][1]);
    double rad = hypot(0.5 * (strain[0][0] - strain[1][1]), u12);
    *emax = fmax(fabs(mean + rad), fabs(mean - rad));
    /* R = F U⁻¹; its angle from the first column. */
    double du = u11 * u22 - u12 * u12;
    double r00 = (f[0][0] * u22 - f[0][1] * u12) / du, r10 = (f[1][0] * u22 - f[1][1] * u12) / du;
    *rot_deg = atan2(r10, r00) * 180.0 / PI;
}

/* ---- slab ------------------------------------------------------------------------------ */

static cz_status check_opts(const cz_slab_opts *o, const char *func) {
    if (o->hkl[0] == 0 && o->hkl[1] == 0 && o->hkl[2] == 0)
        return CZ_FAIL_AS(func, CZ_EINVAL, "Miller indices (0 0 0) define no surface");
    if (o->nplanes == 0 && (!(o->thickness >= 0.0) || !isfinite(o->thickness)))
        return CZ_FAIL_AS(func, CZ_EINVAL,
                          "thickness must be >= 0 and finite when nplanes is 0 (got %g)",
                          o->thickness);
    if (o->termination < -1)
        return CZ_FAIL_AS(func, CZ_EINVAL, "termination must be -1 or a plane index (got %d)",
                          o->termination);
    if (isinf(o->z_top)) return CZ_FAIL_AS(func, CZ_EINVAL, "z_top must be finite or NAN");
    if (isinf(o->cell_height))
        return CZ_FAIL_AS(func, CZ_EINVAL, "cell_height must be finite or NAN");
    if (!isfinite(o->inplane_deg))
        return CZ_FAIL_AS(func, CZ_EINVAL, "inplane_deg must be finite (got %g)", o->inplane_deg);
    if (o->lateral == CZ_SLAB_REPEATS) {
        if (o->repeats[0] < 1 || o->repeats[1] < 1)
            return CZ_FAIL_AS(func, CZ_EINVAL, "repeats must be >= 1 (got %d, %d)", o->repeats[0],
                              o->repeats[1]);
    } else if (o->lateral == CZ_SLAB_SIZE || o->lateral == CZ_SLAB_MATCH) {
        const double(*t)[2] = o->target;
        if (!isfinite(t[0][0]) || !isfinite(t[0][1]) || !isfinite(t[1][0]) || !isfinite(t[1][1]))
            return CZ_FAIL_AS(func, CZ_EINVAL, "target cell must be finite");
        double det = t[0][0] * t[1][1] - t[0][1] * t[1][0];
        double sc = hypot(t[0][0], t[0][1]) * hypot(t[1][0], t[1][1]);
        if (!(det > 1e-9 * sc))
            return CZ_FAIL_AS(func, CZ_EINVAL,
                              "target cell must be right-handed and non-singular (area %g Å^2)",
                              det);
        if (o->lateral == CZ_SLAB_MATCH && (!(o->max_strain >= 0.0) || !isfinite(o->max_strain)))
            return CZ_FAIL_AS(func, CZ_EINVAL, "max_strain must be >= 0 and finite (got %g)",
                              o->max_strain);
    } else {
        return CZ_FAIL_AS(func, CZ_EINVAL, "unknown lateral mode %d (0 repeats, 1 size, 2 match)",
                          (int)o->lateral);
    }
    return CZ_OK;
}

static cz_status slab_build(const cz_lattice *lat, const cz_slab_opts *o, cz_slab **out,
                            const char *func) {
    cz_status st = check_opts(o, func);
    if (st != CZ_OK) return st;
    prim p;
    if ((st = make_prim(lat, &p, func)) != CZ_OK) return st;
    cz_slab *s = calloc(1, sizeof *s);
    planes pl;
    memset(&pl, 0, sizeof pl);
    if (!s) {
        prim_free(&p);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate a slab");
    }
    /* Miller indices in the primitive cell: h_p,i = p_i · g ∝ H_i · hkl. */
    long g0 = gcd_(gcd_(o->hkl[0], o->hkl[1]), o->hkl[2]), hp[3];
    for (int k = 0; k < 3; k++) s->hkl[k] = (int)(o->hkl[k] / g0);
    for (int i = 0; i < 3; i++)
        hp[i] = p.h[i][0] * s->hkl[0] + p.h[i][1] * s->hkl[1] + p.h[i][2] * s->hkl[2];
    long gp = gcd_(gcd_(hp[0], hp[1]), hp[2]);
    for (int i = 0; i < 3; i++) hp[i] /= gp;
    surface sf;
    make_surface(&p, hp, &sf);
    /* uvw of A, B, C in the input cell: v · (H / nt). */
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++) {
            double acc = 0.0;
            for (int i = 0; i < 3; i++) acc += (double)sf.v[r][i] * (double)p.h[i][k];
            s->uvw[r][k] = acc / (double)p.nt;
        }
    /* (4) Rotation: A along x, the normal along z, then inplane_deg about z. */
    double rot[3][3], ex[3], ey[3], la = v3_norm(sf.cart[0]);
    for (int k = 0; k < 3; k++) ex[k] = sf.cart[0][k] / la;
    v3_cross(sf.normal, ex, ey);
    double cz = cos(o->inplane_deg * PI / 180.0), sz = sin(o->inplane_deg * PI / 180.0);
    for (int k = 0; k < 3; k++) {
        rot[0][k] = cz * ex[k] - sz * ey[k];
        rot[1][k] = sz * ex[k] + cz * ey[k];
        rot[2][k] = sf.normal[k];
    }
    double wcell[3][3];
    for (int r = 0; r < 3; r++) m3_mulv(CZ_CROWS(rot), sf.cart[r], wcell[r]);
    wcell[0][2] = wcell[1][2] = 0.0; /* in the plane by construction; drop rounding */
    s->d_spacing = wcell[2][2];
    /* (5) In-plane cell. */
    double pm[2][2] = {{wcell[0][0], wcell[0][1]}, {wcell[1][0], wcell[1][1]}};
    long nmat[2][2];
    if (o->lateral == CZ_SLAB_REPEATS) {
        nmat[0][0] = o->repeats[0];
        nmat[0][1] = nmat[1][0] = 0;
        nmat[1][1] = o->repeats[1];
    } else {
        nearest_cell_row((const double(*)[2])pm, o->target[0], nmat[0]);
        nearest_cell_row((const double(*)[2])pm, o->target[1], nmat[1]);
    }
    long ndet = nmat[0][0] * nmat[1][1] - nmat[0][1] * nmat[1][0];
    if (ndet <= 0) {
        st = CZ_FAIL_AS(func, CZ_EINVAL,
                        "target cell (rows %g × %g Å) is too small for the surface cell "
                        "(|A| = %g Å, |B| = %g Å): no supercell fits",
                        hypot(o->target[0][0], o->target[0][1]),
                        hypot(o->target[1][0], o->target[1][1]), hypot(pm[0][0], pm[0][1]),
                        hypot(pm[1][0], pm[1][1]));
        goto fail;
    }
    double sc[2][2]; /* N·P */
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++)
            sc[i][k] = (double)nmat[i][0] * pm[0][k] + (double)nmat[i][1] * pm[1][k];
    double dm[2][2] = {{1, 0}, {0, 1}};
    if (o->lateral != CZ_SLAB_REPEATS) {
        /* D = (N P)⁻¹ T maps the bulk supercell onto the target (row vectors). */
        double sdet = sc[0][0] * sc[1][1] - sc[0][1] * sc[1][0];
        double si[2][2] = {{sc[1][1] / sdet, -sc[0][1] / sdet},
                           {-sc[1][0] / sdet, sc[0][0] / sdet}};
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 2; k++)
                dm[i][k] = si[i][0] * o->target[0][k] + si[i][1] * o->target[1][k];
        polar2((const double(*)[2])dm, s->strain, &s->strain_max, &s->rotation_deg);
    }
    if (o->lateral == CZ_SLAB_MATCH) {
        if (s->strain_max > o->max_strain * (1.0 + 1e-12)) {
            st = CZ_FAIL_AS(func, CZ_ERANGE,
                            "matching the target cell needs an in-plane strain of %.4g "
                            "(%d %d / %d %d surface cells; strain xx %.4g yy %.4g xy %.4g), "
                            "above max_strain = %g",
                            s->strain_max, (int)nmat[0][0], (int)nmat[0][1], (int)nmat[1][0],
                            (int)nmat[1][1], s->strain[0][0], s->strain[1][1], s->strain[0][1],
                            o->max_strain);
            goto fail;
        }
        for (int r = 0; r < 3; r++) {
            double x = wcell[r][0], y = wcell[r][1];
            wcell[r][0] = x * dm[0][0] + y * dm[1][0];
            wcell[r][1] = x * dm[0][1] + y * dm[1][1];
        }
        s->strained = 1;
    }
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) s->repeats[i][k] = (int)nmat[i][k];
    s->ncells = (size_t)ndet;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++)
            s->cell[i][k] = o->lateral == CZ_SLAB_MATCH ? o->target[i][k] : sc[i][k];
    s->pbc[0] = s->pbc[1] = 1;
    /* Slab lattice: the primitive basis in the (A, B, C) cell, f_s = f_p · U⁻¹. */
    {
        double um[3][3], ui[3][3];
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 3; k++) um[i][k] = (double)sf.v[i][k];
        m3_inverse(CZ_CROWS(um), ui);
        double(*fs)[3] = malloc(p.nb * sizeof *fs);
        if (!fs) {
            st = CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate the slab basis");
            goto fail;
        }
        for (size_t b = 0; b < p.nb; b++) m3_tmulv(CZ_CROWS(ui), p.frac[b], fs[b]);
        st = cz_lattice_create(CZ_CROWS(wcell), p.nb, CZ_CROWS(fs), p.z, &s->lattice);
        free(fs);
        if (st != CZ_OK) goto fail;
    }
    /* (6) Atomic planes and the slab's extent. */
    if ((st = find_planes(s->lattice, s->d_spacing, &pl, func)) != CZ_OK) goto fail;
    s->nplanes_period = pl.m;
    if (o->termination >= (int)pl.m) {
        st = CZ_FAIL_AS(func, CZ_EINVAL,
                        "termination %d out of range: the (%d %d %d) period has %zu atomic planes",
                        o->termination, s->hkl[0], s->hkl[1], s->hkl[2], pl.m);
        goto fail;
    }
    s->termination = o->termination;
    if (s->termination < 0) {
        /* Cut at the widest gap between neighbouring planes: the termination that breaks the
         * fewest bonds (between the layers of graphite or MoS2, above a bilayer of diamond
         * (111)). Ties go to the higher plane. */
        double widest = -1.0;
        for (size_t q = 0; q < pl.m; q++) {
            double gap = (q + 1 < pl.m ? pl.h[q + 1] : pl.h[0] + 1.0) - pl.h[q];
            if (gap >= widest - 1e-9) {
                widest = gap;
                s->termination = (int)q;
            }
        }
    }
    long gtop = s->termination, gbot;
    if (o->nplanes > 0) {
        if (o->nplanes > CZ_MAX_ATOMS) {
            st = CZ_FAIL_AS(func, CZ_ERANGE, "nplanes %zu exceeds the atom cap", o->nplanes);
            goto fail;
        }
        gbot = gtop - (long)o->nplanes + 1;
    } else {
        double periods = o->thickness / s->d_spacing;
        if (periods * (double)pl.m > (double)CZ_MAX_ATOMS) {
            st = CZ_FAIL_AS(func, CZ_ERANGE, "thickness %g Å holds more planes than the atom cap",
                            o->thickness);
            goto fail;
        }
        double ztop = plane_z(&pl, gtop);
        gbot = gtop;
        while ((ztop - plane_z(&pl, gbot - 1)) * s->d_spacing <= o->thickness + PLANE_TOL) gbot--;
    }
    s->nplanes = (size_t)(gtop - gbot + 1);
    double span = (plane_z(&pl, gtop) - plane_z(&pl, gbot)) * s->d_spacing;
    s->z_top = isnan(o->z_top) ? Z_MARGIN + span : o->z_top;
    s->z_bottom = s->z_top - span;
    double height = isnan(o->cell_height) ? s->z_top + Z_MARGIN : o->cell_height;
    if (s->z_bottom < -1e-9 || s->z_top > height + 1e-9) {
        st = CZ_FAIL_AS(func, CZ_EINVAL,
                        "slab spans z = %g .. %g Å, outside its cell 0 .. %g Å (cell_height)",
                        s->z_bottom, s->z_top, height);
        goto fail;
    }
    s->cell[2][2] = height;
    s->pbc[2] = 0;
    s->origin[2] = s->z_top - plane_z(&pl, gtop) * s->d_spacing;
    double per_cell = 0.0;
    for (long g = gbot; g <= gtop; g++)
        per_cell += (double)pl.count[g - floordiv(g, (long)pl.m) * (long)pl.m];
    if (per_cell * (double)s->ncells > (double)CZ_MAX_ATOMS) {
        st = CZ_FAIL_AS(func, CZ_ERANGE, "slab would hold %.3g atoms, above CZ_MAX_ATOMS",
                        per_cell * (double)s->ncells);
        goto fail;
    }
    s->natoms = (size_t)per_cell * s->ncells;
    s->plane_height = malloc(pl.m * sizeof *s->plane_height);
    s->plane_atoms = malloc(pl.m * sizeof *s->plane_atoms);
    if (!s->plane_height || !s->plane_atoms) {
        st = CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate plane tables");
        goto fail;
    }
    for (size_t q = 0; q < pl.m; q++) {
        s->plane_height[q] = pl.h[q] * s->d_spacing;
        s->plane_atoms[q] = pl.count[q];
    }
    planes_free(&pl);
    prim_free(&p);
    *out = s;
    return CZ_OK;
fail:
    planes_free(&pl);
    prim_free(&p);
    cz_slab_destroy(s);
    return st;
}

cz_status cz_slab_create(const cz_lattice *lattice, const cz_slab_opts *opts, cz_slab **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!lattice) return CZ_FAIL(CZ_EINVAL, "lattice must not be NULL");
    cz_slab_opts o;
    cz_slab_opts_default(&o);
    if (opts) o = *opts;
    return slab_build(lattice, &o, out, __func__);
}

static cz_status named(const char *proto, int z0, int z1, double a, double c, size_t nplanes,
                       const cz_slab_opts *opts, cz_slab **out, const char *func) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z0;
    po.z[1] = z1;
    po.a = a;
    po.c = c;
    cz_lattice *lat = NULL;
    cz_status st = cz_lattice_prototype(proto, &po, &lat);
    if (st != CZ_OK) return st;
    cz_slab_opts o;
    cz_slab_opts_default(&o);
    if (opts) o = *opts;
    o.hkl[0] = o.hkl[1] = 0;
    o.hkl[2] = 1;
    o.nplanes = nplanes;
    o.thickness = 0.0;
    o.termination = -1;
    st = slab_build(lat, &o, out, func);
    cz_lattice_destroy(lat);
    return st;
}

cz_status cz_slab_mos2(size_t ntrilayers, const cz_slab_opts *opts, cz_slab **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (ntrilayers == 0 || ntrilayers > CZ_MAX_ATOMS)
        return CZ_FAIL(CZ_EINVAL, "ntrilayers must be >= 1 (got %zu)", ntrilayers);
    /* In the (001) period the planes run S Mo S | S Mo S from the bottom; the widest gaps are
     * the van der Waals gaps between trilayers (S–S 2.97 Å against Mo–S 1.59 Å in z), so the
     * default termination is the top S of a trilayer and 3·n planes are n whole trilayers. */
    return named("2H-MoS2", 42, 16, 3.16, 12.29, 3 * ntrilayers, opts, out, __func__);
}

cz_status cz_slab_graphene(size_t nlayers, const cz_slab_opts *opts, cz_slab **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (nlayers == 0 || nlayers > CZ_MAX_ATOMS)
        return CZ_FAIL(CZ_EINVAL, "nlayers must be >= 1 (got %zu)", nlayers);
    /* Bernal graphite with c = 2 × 3.35 Å gives the AB stacking at the requested spacing. */
    return named("graphite", 6, 0, 2.46, 6.70, nlayers, opts, out, __func__);
}

static cz_status labels_of(const cz_object_opts *lo, int *oid, int *gid, int *cid,
                           const char *func) {
    cz_object_opts o;
    cz_object_opts_default(&o);
    o.class_id = CZ_CLASS_SUBSTRATE;
    if (lo) o = *lo;
    if (o.class_id < 0 || o.class_id > CZ_CLASS_LIGAND)
        return CZ_FAIL_AS(func, CZ_EINVAL, "class_id must be 0..3 (got %d)", o.class_id);
    if (o.object_id < 0)
        return CZ_FAIL_AS(func, CZ_EINVAL, "object_id must be >= 0 (got %d)", o.object_id);
    if (o.grain_id < -1)
        return CZ_FAIL_AS(func, CZ_EINVAL, "grain_id must be >= -1 (got %d)", o.grain_id);
    *oid = o.object_id > 0 ? o.object_id : 1;
    *gid = o.grain_id >= 0 ? o.grain_id : *oid;
    *cid = o.class_id;
    return CZ_OK;
}

cz_status cz_slab_atoms(const cz_slab *s, const cz_object_opts *labels, cz_atoms **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!s || !s->lattice) return CZ_FAIL(CZ_EINVAL, "slab must not be NULL");
    int oid = 0, gid = 0, cid = 0;
    cz_status st = labels_of(labels, &oid, &gid, &cid, __func__);
    if (st != CZ_OK) return st;
    planes pl;
    if ((st = find_planes(s->lattice, s->d_spacing, &pl, __func__)) != CZ_OK) return st;
    cz_atoms *a = NULL;
    if ((st = cz_atoms_create(s->natoms, &a)) != CZ_OK) {
        planes_free(&pl);
        return st;
    }
    const cz_lattice *l = s->lattice;
    const long m = (long)pl.m, gtop = s->termination, gbot = gtop - (long)s->nplanes + 1;
    const long n00 = s->repeats[0][0], n01 = s->repeats[0][1], n10 = s->repeats[1][0],
               n11 = s->repeats[1][1], det = n00 * n11 - n01 * n10;
    /* The 2-D lattice points (i, j) of one supercell: supercell coordinates
     * (i·N11 − j·N10, −i·N01 + j·N00) / det in [0, 1). Scan the bounding box of its corners. */
    long ilo = 0, ihi = 0, jlo = 0, jhi = 0;
    const long ci[4] = {0, n00, n10, n00 + n10}, cj[4] = {0, n01, n11, n01 + n11};
    for (int k = 0; k < 4; k++) {
        ilo = ci[k] < ilo ? ci[k] : ilo;
        ihi = ci[k] > ihi ? ci[k] : ihi;
        jlo = cj[k] < jlo ? cj[k] : jlo;
        jhi = cj[k] > jhi ? cj[k] : jhi;
    }
    double tolf = PLANE_TOL / s->d_spacing;
    int overflow = 0;
    for (long g = gbot; g <= gtop; g++) {
        long sp = floordiv(g, m), p = g - sp * m;
        for (long j = jlo; j <= jhi; j++)
            for (long i = ilo; i <= ihi; i++) {
                long u = i * n11 - j * n10, v = -i * n01 + j * n00;
                if (u < 0 || u >= det || v < 0 || v >= det) continue;
                for (size_t b = 0; b < l->nbasis; b++) {
                    if (pl.plane[b] != (size_t)p) continue;
                    if (a->n == s->natoms) { /* never for a consistent slab; see below */
                        overflow = 1;
                        continue;
                    }
                    double f[3] = {(double)i + l->frac[b][0], (double)j + l->frac[b][1],
                                   (double)sp + site_height(l, b, tolf)},
                           x[3];
                    m3_tmulv(l->cell, f, x);
                    for (int k = 0; k < 3; k++) x[k] += s->origin[k];
                    a->n++;
                    size_t q = a->n - 1;
                    memcpy(a->xyz[q], x, sizeof x);
                    a->z[q] = l->z[b];
                    a->object_id[q] = oid;
                    a->grain_id[q] = gid;
                    a->class_id[q] = cid;
                }
            }
    }
    planes_free(&pl);
    if (overflow || a->n != s->natoms) {
        size_t got = a->n;
        cz_atoms_destroy(a);
        return CZ_FAIL(CZ_EINTERNAL, "slab enumeration gave %zu atoms, expected %zu", got,
                       s->natoms);
    }
    if ((st = cz_atoms_set_cell(a, CZ_CROWS(s->cell), s->pbc)) == CZ_OK) st = cz_atoms_wrap(a);
    if (st != CZ_OK) {
        cz_atoms_destroy(a);
        return st;
    }
    *out = a;
    return CZ_OK;
}

cz_status cz_slab_add_to_scene(cz_scene *scene, const cz_slab *s, const cz_object_opts *opts,
                               size_t *index) {
    if (!scene || !s || !s->lattice) return CZ_FAIL(CZ_EINVAL, "scene and slab must not be NULL");
    cz_object_opts o;
    cz_object_opts_default(&o);
    o.class_id = CZ_CLASS_SUBSTRATE;
    if (opts) o = *opts;
    /* Cut halfway into the smallest gap between atomic planes, so rounding can neither drop a
     * plane of the slab nor add the next one. */
    double gap = s->d_spacing;
    for (size_t q = 0; q < s->nplanes_period; q++) {
        double next =
            q + 1 < s->nplanes_period ? s->plane_height[q + 1] : s->plane_height[0] + s->d_spacing;
        gap = fmin(gap, next - s->plane_height[q]);
    }
    const double normals[2][3] = {{0, 0, 1}, {0, 0, -1}};
    const double offsets[2] = {s->z_top + 0.5 * gap, -(s->z_bottom - 0.5 * gap)};
    cz_volume *v = NULL;
    cz_status st = cz_volume_polyhedron(2, normals, offsets, &v);
    if (st != CZ_OK) return st;
    size_t idx = 0;
    st = cz_scene_add_crystal(scene, s->lattice, v, &o, &idx);
    cz_volume_destroy(v);
    if (st != CZ_OK) return st;
    cz_transform tf;
    cz_transform_translation(s->origin, &tf);
    st = cz_scene_transform(scene, idx, &tf, CZ_APPLY_LATTICE);
    if (st != CZ_OK) return st;
    if (index) *index = idx;
    return CZ_OK;
}
