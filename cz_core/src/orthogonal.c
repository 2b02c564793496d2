/* orthogonal.c — orthogonal supercells of oblique in-plane cells (cz_orthogonal.h).
 *
 * The search runs over the primitive lattice vectors A = i·a + j·b, |i|, |j| <= R, and, for
 * each A and each k, over the few l for which B = k·a + l·b can be nearly perpendicular to A,
 * so it costs O(R³) instead of the O(R⁴) of trying every matrix. Filling uses exact integer
 * cosets: the lattice images of one atom inside the new cell correspond one to one to the
 * cosets of Z² modulo the row lattice of m, and the Hermite normal form of m lists them. No
 * image is found by a geometric test, so rounding can never drop or duplicate an atom. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_orthogonal.h"
#include "error.h"

static const double PI = 3.14159265358979323846;
static const double DEG = 3.14159265358979323846 / 180.0;

void cz_ortho_opts_default(cz_ortho_opts *opts) {
    if (!opts) return;
    opts->max_repeat = 20;
    opts->strain_tolerance = 1e-6;
}

/* One candidate supercell and the keys it is ranked by. */
typedef struct cand {
    int m[2][2];
    long det;     /* signed */
    double theta; /* signed angle of A from a, radians, (−π, π] */
    double rot;   /* |angle of A from +x|, radians: the rotation the structure needs */
    double strain;
} cand;

static long gcdl(long x, long y) {
    if (x < 0) x = -x;
    if (y < 0) y = -y;
    while (y) {
        long t = x % y;
        x = y;
        y = t;
    }
    return x;
}

/* Angles closer than this (radians) count as equal: distinct lattice directions within the
 * search range differ by far more. */
#define ANGLE_EPS 1e-9
/* Strains closer than this count as equal: an exact solution's strain is rounding noise. */
#define STRAIN_EPS 1e-12

/* Angle between the lines of A and a, [0, π/2]: A = −a is as good as A = a. */
static double line_angle(double theta) {
    double t = fabs(theta);
    return t > 0.5 * PI ? PI - t : t;
}

/* Does c beat b? The order of cz_orthogonal.h: |det|, the angle between the lines of A and a,
 * the rotation needed, strain, A counter-clockwise from a, then (i, j, k, l). */
static int better(const cand *c, const cand *b) {
    long dc = labs(c->det), db = labs(b->det);
    if (dc != db) return dc < db;
    double tc = line_angle(c->theta), tb = line_angle(b->theta);
    if (fabs(tc - tb) > ANGLE_EPS) return tc < tb;
    if (fabs(c->rot - b->rot) > ANGLE_EPS) return c->rot < b->rot;
    if (fabs(c->strain - b->strain) > STRAIN_EPS) return c->strain < b->strain;
    if ((c->theta >= 0) != (b->theta >= 0)) return c->theta >= 0;
    const int *x = &c->m[0][0], *y = &b->m[0][0];
    for (int q = 0; q < 4; q++)
        if (x[q] != y[q]) return x[q] < y[q];
    return 0;
}

/* The nearest miss when nothing is accepted: smallest strain, then smallest |det|. */
static int closer(const cand *c, const cand *b) {
    if (c->strain != b->strain) return c->strain < b->strain;
    return labs(c->det) < labs(b->det);
}

/* Index of the first atom with a non-finite coordinate, or n. */
static size_t first_nonfinite(const cz_atoms *in) {
    for (size_t p = 0; p < in->n; p++)
        if (!isfinite(in->xyz[p][0]) || !isfinite(in->xyz[p][1]) || !isfinite(in->xyz[p][2]))
            return p;
    return in->n;
}

static cz_status nonfinite_fail(const cz_atoms *in, size_t p) {
    return CZ_FAIL_AS("cz_atoms_orthogonalize", CZ_EINVAL,
                      "position of atom %zu is not finite (got %g, %g, %g)", p, in->xyz[p][0],
                      in->xyz[p][1], in->xyz[p][2]);
}

/* Search all (i, j, k, l) within [−R, R], A and B primitive, A × B along +z. Fills *best (and
 * returns 1) when a solution with strain <= tol exists; *miss always gets the candidate of
 * least strain. */
static int search(const double a[2], const double b[2], double S, int R, double tol, cand *best,
                  cand *miss) {
    int found = 0;
    miss->strain = INFINITY;
    miss->det = 0;
    double t = tol * fabs(S);
    for (int i = -R; i <= R; i++) {
        for (int j = -R; j <= R; j++) {
            if (gcdl(i, j) != 1) continue; /* also skips (0, 0) */
            double A[2] = {i * a[0] + j * b[0], i * a[1] + j * b[1]};
            double alpha = a[0] * A[0] + a[1] * A[1], beta = b[0] * A[0] + b[1] * A[1];
            double theta = atan2(a[0] * A[1] - a[1] * A[0], alpha);
            double rot = fabs(atan2(A[1], A[0]));
            /* |A·B| = |k α + l β| <= t |i l − j k| <= t R (|i| + |j|) bounds l to a window of
             * half-width w around the root l0 = −k α / β of A·B. */
            double M = t * (double)R * (double)(abs(i) + abs(j));
            for (int k = -R; k <= R; k++) {
                int lo = -R, hi = R;
                if (beta != 0) {
                    double l0 = -(double)k * alpha / beta, w = M / fabs(beta);
                    double flo = floor(l0 - w) - 1, fhi = ceil(l0 + w) + 1;
                    /* Clamped, the window still holds the l nearest l0 (for the miss). */
                    lo = flo < -R ? -R : flo > R ? R : (int)flo;
                    hi = fhi > R ? R : fhi < -R ? -R : (int)fhi;
                }
                if (found) {
                    /* Only |det| = |i l − j k| <= the best |det| can still win (the miss no
                     * longer matters): another window on l, which keeps large tolerances
                     * from costing O(R⁴). */
                    long dmax = labs(best->det), jk = (long)j * k;
                    if (i == 0) {
                        if (labs(jk) > dmax) continue;
                    } else {
                        double e1 = (double)(jk - dmax) / i, e2 = (double)(jk + dmax) / i;
                        double dlo = ceil(fmin(e1, e2)), dhi = floor(fmax(e1, e2));
                        if (dlo > lo) lo = dlo > R ? R + 1 : (int)dlo;
                        if (dhi < hi) hi = dhi < -R ? -R - 1 : (int)dhi;
                    }
                }
                for (int l = lo; l <= hi; l++) {
                    long det = (long)i * l - (long)j * k;
                    if (det == 0 || (det > 0) != (S > 0)) continue;
                    if (gcdl(k, l) != 1) continue;
                    double AB = k * alpha + l * beta;
                    cand c = {{{i, j}, {k, l}},
                              det,
                              theta,
                              rot,
                              fabs(AB) / (fabs((double)det) * fabs(S))};
                    if (c.strain <= tol) {
                        if (!found || better(&c, best)) *best = c;
                        found = 1;
                    }
                    if (closer(&c, miss)) *miss = c;
                }
            }
        }
    }
    return found;
}

cz_status cz_atoms_orthogonalize(const cz_atoms *in, const cz_ortho_opts *opts_in, cz_atoms **out,
                                 cz_ortho_info *info) {
    if (info) memset(info, 0, sizeof *info);
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!in) return CZ_FAIL(CZ_EINVAL, "in must not be NULL");
    cz_ortho_opts opts;
    if (opts_in)
        opts = *opts_in;
    else
        cz_ortho_opts_default(&opts);
    if (opts.max_repeat < 1 || opts.max_repeat > CZ_ORTHO_MAX_REPEAT)
        return CZ_FAIL(CZ_EINVAL, "max_repeat must be in 1..%d (got %d)", CZ_ORTHO_MAX_REPEAT,
                       opts.max_repeat);
    if (!(opts.strain_tolerance > 0 && opts.strain_tolerance <= CZ_ORTHO_MAX_STRAIN))
        return CZ_FAIL(CZ_EINVAL, "strain_tolerance must be in (0, %g] (got %g)",
                       CZ_ORTHO_MAX_STRAIN, opts.strain_tolerance);
    const double(*cell)[3] = (const double(*)[3])in->cell;
    for (int r = 0; r < 3; r++)
        for (int q = 0; q < 3; q++)
            if (!isfinite(cell[r][q]))
                return CZ_FAIL(CZ_EINVAL, "cell[%d][%d] is not finite (got %g)", r, q, cell[r][q]);
    if (in->n > 0 && (!in->xyz || !in->z || !in->object_id || !in->grain_id || !in->class_id))
        return CZ_FAIL(CZ_EINVAL, "in has %zu atoms but NULL arrays", in->n);
    static const char row_name[2] = {'a', 'b'};
    double len[2];
    for (int r = 0; r < 2; r++) {
        len[r] = sqrt(cell[r][0] * cell[r][0] + cell[r][1] * cell[r][1] + cell[r][2] * cell[r][2]);
        if (!(len[r] > 0))
            return CZ_FAIL(CZ_EINVAL, "cell vector %c is zero: an in-plane lattice needs a and b",
                           row_name[r]);
        if (fabs(cell[r][2]) > 1e-12 * len[r])
            return CZ_FAIL(CZ_EINVAL,
                           "cell vector %c = (%g, %g, %g) has a z component: a and b must lie in "
                           "the xy plane (the beam runs along z)",
                           row_name[r], cell[r][0], cell[r][1], cell[r][2]);
    }
    const double a[2] = {cell[0][0], cell[0][1]}, b[2] = {cell[1][0], cell[1][1]};
    double S = a[0] * b[1] - a[1] * b[0]; /* (a × b)_z: signed area */
    if (!(fabs(S) > 1e-12 * len[0] * len[1]))
        return CZ_FAIL(CZ_EINVAL,
                       "cell vectors a = (%g, %g) and b = (%g, %g) are parallel (zero area %g Å²)",
                       a[0], a[1], b[0], b[1], S);
    const double *c = cell[2];
    int c_along_z = c[0] == 0 && c[1] == 0;
    if (!c_along_z && !(fabs(c[2]) > 0))
        return CZ_FAIL(CZ_EINVAL, "cell vector c = (%g, %g, %g) lies in the xy plane", c[0], c[1],
                       c[2]);

    /* Already what the multislice needs: an exact copy. */
    if (c_along_z && a[1] == 0 && cell[0][2] == 0 && b[0] == 0 && cell[1][2] == 0 && a[0] > 0 &&
        b[1] > 0) {
        size_t bad = first_nonfinite(in);
        if (bad < in->n) return nonfinite_fail(in, bad);
        cz_status st = cz_atoms_copy(in, out);
        if (st != CZ_OK) return st;
        if (info) {
            info->matrix[0][0] = info->matrix[1][1] = 1;
            info->det = 1;
        }
        return CZ_OK;
    }

    cand best, miss;
    memset(&best, 0, sizeof best);
    memset(&miss, 0, sizeof miss);
    if (!search(a, b, S, opts.max_repeat, opts.strain_tolerance, &best, &miss)) {
        if (miss.det == 0)
            return CZ_FAIL(CZ_EINVAL, "no supercell candidate within max_repeat %d",
                           opts.max_repeat);
        return CZ_FAIL(CZ_EINVAL,
                       "no orthogonal supercell of a = (%g, %g), b = (%g, %g) within max_repeat "
                       "%d and strain_tolerance %g; the best candidate, matrix [[%d, %d], [%d, "
                       "%d]] (%ld cells), has strain %.3g: raise strain_tolerance to at least "
                       "that or raise max_repeat",
                       a[0], a[1], b[0], b[1], opts.max_repeat, opts.strain_tolerance, miss.m[0][0],
                       miss.m[0][1], miss.m[1][0], miss.m[1][1], labs(miss.det), miss.strain);
    }
    const int i = best.m[0][0], j = best.m[0][1], k = best.m[1][0], l = best.m[1][1];
    const long D = best.det, nd = labs(D);
    if (in->n > 0 && (size_t)nd > CZ_MAX_ATOMS / in->n)
        return CZ_FAIL(CZ_ERANGE, "%ld × %zu atoms exceed the cap of %zu atoms", nd, in->n,
                       (size_t)CZ_MAX_ATOMS);
    const double A[2] = {i * a[0] + j * b[0], i * a[1] + j * b[1]};
    const double lenA = hypot(A[0], A[1]);
    /* |B⊥| = |A × B| / |A| = |det| |a × b| / |A|: B projected onto the normal of A. */
    const double Bperp = (double)nd * fabs(S) / lenA;
    double newcell[3][3] = {{lenA, 0, 0}, {0, Bperp, 0}, {0, 0, c[2]}};
    if (c_along_z) memcpy(newcell[2], c, sizeof newcell[2]);
    int pbc_ab = in->pbc[0] && in->pbc[1];
    int pbc[3] = {pbc_ab, pbc_ab, c_along_z ? in->pbc[2] : 0};
    if (newcell[2][2] == 0) pbc[2] = 0;

    /* Coset representatives of Z² / (row lattice of m): row operations bring m to the Hermite
     * form [[g, q], [0, D/g]] with g = gcd(i, k), so (u, v) with 0 <= u < g, 0 <= v < |D|/g is
     * one integer translation per image. */
    const long g = gcdl(i, k);
    const long hv = nd / g;

    /* Checked only now, after the atom cap, so that the cap is testable without gigabytes. */
    size_t bad = first_nonfinite(in);
    if (bad < in->n) return nonfinite_fail(in, bad);
    cz_atoms *o = NULL;
    cz_status st = cz_atoms_create((size_t)nd * in->n, &o);
    if (st != CZ_OK) return st;
    st = cz_atoms_set_cell(o, CZ_CROWS(newcell), pbc);
    if (st != CZ_OK) {
        cz_atoms_destroy(o);
        return st;
    }
    size_t q = 0;
    for (long u = 0; u < g; u++) {
        for (long v = 0; v < hv; v++) {
            for (size_t p = 0; p < in->n; p++) {
                const double *r = in->xyz[p];
                /* Fractional coordinates in (a, b): r_xy = f1 a + f2 b. */
                double f1 = (r[0] * b[1] - r[1] * b[0]) / S + (double)u;
                double f2 = (a[0] * r[1] - a[1] * r[0]) / S + (double)v;
                /* In (A, B): f = F m, so F = f m⁻¹ = f adj(m) / det. */
                double F1 = (f1 * l - f2 * k) / (double)D;
                double F2 = (f2 * i - f1 * j) / (double)D;
                F1 -= floor(F1);
                F2 -= floor(F2);
                if (F1 >= 1) F1 = 0; /* a tiny negative F rounds up to 1 */
                if (F2 >= 1) F2 = 0;
                o->xyz[q][0] = F1 * lenA;
                o->xyz[q][1] = F2 * Bperp;
                o->xyz[q][2] = r[2];
                o->z[q] = in->z[p];
                o->object_id[q] = in->object_id[p];
                o->grain_id[q] = in->grain_id[p];
                o->class_id[q] = in->class_id[p];
                q++;
            }
        }
    }
    o->n = q;
    *out = o;
    if (info) {
        memcpy(info->matrix, best.m, sizeof info->matrix);
        info->det = (int)D;
        double rot = 0.0 - atan2(A[1], A[0]) / DEG; /* 0.0 − x: no −0 */
        if (rot <= -180.0) rot += 360.0;
        info->rotation_deg = rot;
        info->strain = best.strain;
        info->changed = 1;
    }
    return CZ_OK;
}
