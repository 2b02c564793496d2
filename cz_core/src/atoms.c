/* atoms.c — the cz_atoms container: growth, filtering, cells, distances. */
#include "cz/cz_atoms.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "vec.h"

static void *grow(void *p, size_t count, size_t size) {
    if (count == 0) count = 1;
    return realloc(p, count * size);
}

cz_status cz_atoms_create(size_t capacity, cz_atoms **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (capacity > CZ_MAX_ATOMS)
        return CZ_FAIL(CZ_ERANGE, "capacity %zu exceeds the cap of %zu atoms", capacity,
                       (size_t)CZ_MAX_ATOMS);
    cz_atoms *a = calloc(1, sizeof *a);
    if (!a) return CZ_FAIL(CZ_ENOMEM, "cannot allocate the container");
    cz_status s = cz_atoms_reserve(a, capacity);
    if (s != CZ_OK) {
        cz_atoms_destroy(a);
        return s;
    }
    *out = a;
    return CZ_OK;
}

void cz_atoms_destroy(cz_atoms *a) {
    if (!a) return;
    free(a->xyz);
    free(a->z);
    free(a->object_id);
    free(a->grain_id);
    free(a->class_id);
    free(a);
}

cz_status cz_atoms_reserve(cz_atoms *a, size_t capacity) {
    if (!a) return CZ_FAIL(CZ_EINVAL, "atoms must not be NULL");
    if (capacity > CZ_MAX_ATOMS)
        return CZ_FAIL(CZ_ERANGE, "capacity %zu exceeds the cap of %zu atoms", capacity,
                       (size_t)CZ_MAX_ATOMS);
    if (a->xyz && capacity <= a->cap) return CZ_OK;
    /* Each array is grown separately; a failure part-way leaves the earlier arrays larger
     * than cap, which is harmless because cap is only raised once all succeeded. */
    void *p;
    if (!(p = grow(a->xyz, capacity, sizeof *a->xyz))) goto nomem;
    a->xyz = p;
    if (!(p = grow(a->z, capacity, sizeof *a->z))) goto nomem;
    a->z = p;
    if (!(p = grow(a->object_id, capacity, sizeof *a->object_id))) goto nomem;
    a->object_id = p;
    if (!(p = grow(a->grain_id, capacity, sizeof *a->grain_id))) goto nomem;
    a->grain_id = p;
    if (!(p = grow(a->class_id, capacity, sizeof *a->class_id))) goto nomem;
    a->class_id = p;
    a->cap = capacity;
    return CZ_OK;
nomem:
    return CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu atoms", capacity);
}

cz_status cz_atoms_push(cz_atoms *a, const double xyz[3], int z, int object_id, int grain_id,
                        int class_id) {
    if (!a || !xyz) return CZ_FAIL(CZ_EINVAL, "atoms and xyz must not be NULL");
    if (z < 1 || z > 118) return CZ_FAIL(CZ_EINVAL, "atomic number must be 1..118 (got %d)", z);
    if (!v3_finite(xyz))
        return CZ_FAIL(CZ_EINVAL, "position must be finite (got %g, %g, %g)", xyz[0], xyz[1],
                       xyz[2]);
    if (a->n == a->cap) {
        size_t want = a->cap < 16 ? 16 : a->cap * 2;
        if (want > CZ_MAX_ATOMS) want = CZ_MAX_ATOMS;
        if (want <= a->n)
            return CZ_FAIL(CZ_ERANGE, "cannot hold more than %zu atoms", (size_t)CZ_MAX_ATOMS);
        cz_status s = cz_atoms_reserve(a, want);
        if (s != CZ_OK) return s;
    }
    size_t i = a->n++;
    memcpy(a->xyz[i], xyz, sizeof a->xyz[i]);
    a->z[i] = z;
    a->object_id[i] = object_id;
    a->grain_id[i] = grain_id;
    a->class_id[i] = class_id;
    return CZ_OK;
}

cz_status cz_atoms_append(cz_atoms *dst, const cz_atoms *src) {
    if (!dst || !src) return CZ_FAIL(CZ_EINVAL, "dst and src must not be NULL");
    if (src->n > CZ_MAX_ATOMS - dst->n)
        return CZ_FAIL(CZ_ERANGE, "%zu + %zu atoms exceed the cap of %zu", dst->n, src->n,
                       (size_t)CZ_MAX_ATOMS);
    cz_status s = cz_atoms_reserve(dst, dst->n + src->n);
    if (s != CZ_OK) return s;
    size_t k = dst->n, m = src->n;
    if (m) {
        memcpy(dst->xyz + k, src->xyz, m * sizeof *src->xyz);
        memcpy(dst->z + k, src->z, m * sizeof *src->z);
        memcpy(dst->object_id + k, src->object_id, m * sizeof *src->object_id);
        memcpy(dst->grain_id + k, src->grain_id, m * sizeof *src->grain_id);
        memcpy(dst->class_id + k, src->class_id, m * sizeof *src->class_id);
    }
    dst->n += m;
    return CZ_OK;
}

cz_status cz_atoms_copy(const cz_atoms *src, cz_atoms **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!src) return CZ_FAIL(CZ_EINVAL, "src must not be NULL");
    cz_atoms *a;
    cz_status s = cz_atoms_create(src->n, &a);
    if (s != CZ_OK) return s;
    s = cz_atoms_append(a, src);
    if (s != CZ_OK) {
        cz_atoms_destroy(a);
        return s;
    }
    memcpy(a->cell, src->cell, sizeof a->cell);
    memcpy(a->pbc, src->pbc, sizeof a->pbc);
    *out = a;
    return CZ_OK;
}

cz_status cz_atoms_filter(cz_atoms *a, const unsigned char keep[]) {
    if (!a || (!keep && a->n)) return CZ_FAIL(CZ_EINVAL, "atoms and keep must not be NULL");
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (!keep[i]) continue;
        if (k != i) {
            memcpy(a->xyz[k], a->xyz[i], sizeof a->xyz[k]);
            a->z[k] = a->z[i];
            a->object_id[k] = a->object_id[i];
            a->grain_id[k] = a->grain_id[i];
            a->class_id[k] = a->class_id[i];
        }
        k++;
    }
    a->n = k;
    return CZ_OK;
}

/* Rows present (non-zero) must be linearly independent: test the Gram determinant of the
 * present rows, scaled by their lengths so the test is unit-free. */
static int rows_independent(const double cell[3][3], const int present[3]) {
    double r[3][3];
    int m = 0;
    for (int i = 0; i < 3; i++)
        if (present[i]) {
            double l = v3_norm(cell[i]);
            for (int j = 0; j < 3; j++) r[m][j] = cell[i][j] / l;
            m++;
        }
    if (m == 0) return 1;
    if (m == 1) return 1;
    if (m == 2) {
        double c[3];
        v3_cross(r[0], r[1], c);
        return v3_norm(c) > 1e-9;
    }
    return fabs(m3_det(CZ_CROWS(r))) > 1e-9;
}

cz_status cz_atoms_set_cell(cz_atoms *a, const double cell[3][3], const int pbc[3]) {
    if (!a || !cell || !pbc) return CZ_FAIL(CZ_EINVAL, "atoms, cell and pbc must not be NULL");
    if (!m3_finite(cell)) return CZ_FAIL(CZ_EINVAL, "cell must be finite");
    int present[3];
    for (int i = 0; i < 3; i++) {
        present[i] = v3_norm(cell[i]) > 0.0;
        if (pbc[i] && !present[i])
            return CZ_FAIL(CZ_EINVAL, "axis %d is periodic but its cell row is zero", i);
    }
    if (!rows_independent(cell, present))
        return CZ_FAIL(CZ_EINVAL, "cell rows are linearly dependent (singular cell)");
    memcpy(a->cell, cell, sizeof a->cell);
    for (int i = 0; i < 3; i++) a->pbc[i] = pbc[i] ? 1 : 0;
    return CZ_OK;
}

cz_status cz_atoms_bbox(const cz_atoms *a, double lo[3], double hi[3]) {
    if (!a || !lo || !hi) return CZ_FAIL(CZ_EINVAL, "atoms, lo and hi must not be NULL");
    if (a->n == 0) return CZ_FAIL(CZ_EINVAL, "no atoms: the bounding box is empty");
    for (int k = 0; k < 3; k++) lo[k] = hi[k] = a->xyz[0][k];
    for (size_t i = 1; i < a->n; i++)
        for (int k = 0; k < 3; k++) {
            lo[k] = fmin(lo[k], a->xyz[i][k]);
            hi[k] = fmax(hi[k], a->xyz[i][k]);
        }
    return CZ_OK;
}

cz_status cz_atoms_center(cz_atoms *a, double vacuum) {
    if (!a) return CZ_FAIL(CZ_EINVAL, "atoms must not be NULL");
    if (!(vacuum >= 0.0) || !isfinite(vacuum))
        return CZ_FAIL(CZ_EINVAL, "vacuum must be >= 0 and finite (got %g)", vacuum);
    if (a->n == 0) return CZ_FAIL(CZ_EINVAL, "no atoms to centre");
    for (int i = 0; i < 3; i++) {
        if (!a->pbc[i]) continue;
        for (int j = 0; j < 3; j++)
            if (!a->pbc[j] && fabs(a->cell[i][j]) > 1e-9 * v3_norm(a->cell[i]))
                return CZ_FAIL(CZ_EINVAL,
                               "periodic cell row %d has a component %g along non-periodic axis %d",
                               i, a->cell[i][j], j);
    }
    double lo[3], hi[3];
    cz_atoms_bbox(a, lo, hi);
    for (int i = 0; i < 3; i++) {
        if (a->pbc[i]) continue;
        double shift = vacuum - lo[i];
        for (size_t k = 0; k < a->n; k++) a->xyz[k][i] += shift;
        for (int j = 0; j < 3; j++) a->cell[i][j] = 0.0;
        a->cell[i][i] = hi[i] - lo[i] + 2.0 * vacuum;
    }
    return CZ_OK;
}

cz_status cz_atoms_wrap(cz_atoms *a) {
    if (!a) return CZ_FAIL(CZ_EINVAL, "atoms must not be NULL");
    if (!a->pbc[0] && !a->pbc[1] && !a->pbc[2]) return CZ_OK;
    double inv[3][3];
    if (!m3_inverse(CZ_CROWS(a->cell), inv))
        return CZ_FAIL(CZ_EINVAL, "wrapping needs a non-singular cell");
    for (size_t i = 0; i < a->n; i++) {
        double f[3];
        m3_tmulv(CZ_CROWS(inv), a->xyz[i], f); /* f = x · cell⁻¹ (row vector convention) */
        int moved = 0;
        for (int k = 0; k < 3; k++)
            if (a->pbc[k]) {
                double w = f[k] - floor(f[k]);
                if (w >= 1.0) w = 0.0;
                if (w != f[k]) moved = 1;
                f[k] = w;
            }
        if (moved) m3_tmulv(CZ_CROWS(a->cell), f, a->xyz[i]);
    }
    return CZ_OK;
}

/* ---- minimum distance with cell lists ----------------------------------------------
 * Work in fractional coordinates of a box: the cell along periodic axes, the bounding box
 * along the others. The bins along each axis are at least `cut` wide in real space
 * (measured perpendicular to the other two axes), so any pair closer than `cut` sits in
 * neighbouring bins. The cutoff starts from the mean spacing and doubles until some pair is
 * found, so the search stays O(n) for any density. */

typedef struct {
    double box[3][3], inv[3][3], origin[3];
    double gnorm[3]; /* |g_k|: lengths of the reciprocal vectors (columns of inv) */
    int per[3];
} frame;

static double pair_dist2(const frame *fr, const double a[3], const double b[3]) {
    double d[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
    if (!(fr->per[0] || fr->per[1] || fr->per[2])) return v3_dot(d, d);
    double f[3];
    m3_tmulv(CZ_CROWS(fr->inv), d, f);
    for (int k = 0; k < 3; k++)
        if (fr->per[k]) f[k] -= nearbyint(f[k]);
    m3_tmulv(CZ_CROWS(fr->box), f, d);
    /* Rounding the fractional offsets gives an image d0, but in a skewed cell not always the
     * nearest. Any nearer image e = d0 + Σ n_k·box_k has |e| <= |d0| =: R, and its fractional
     * coordinate e·g_k is bounded by R·|g_k|, so |n_k| <= R·|g_k| + 1/2: search that range. */
    double best = v3_dot(d, d), r = sqrt(best);
    long lim[3];
    for (int k = 0; k < 3; k++)
        lim[k] = fr->per[k] ? (long)ceil(r * fr->gnorm[k] + 0.5) : 0;
    for (long i = -lim[0]; i <= lim[0]; i++)
        for (long j = -lim[1]; j <= lim[1]; j++)
            for (long k = -lim[2]; k <= lim[2]; k++) {
                double e[3];
                for (int c = 0; c < 3; c++)
                    e[c] = d[c] + (double)i * fr->box[0][c] + (double)j * fr->box[1][c] +
                           (double)k * fr->box[2][c];
                best = fmin(best, v3_dot(e, e));
            }
    return best;
}

cz_status cz_atoms_min_distance(const cz_atoms *a, double *dmin, size_t pair[2]) {
    if (!a || !dmin) return CZ_FAIL(CZ_EINVAL, "atoms and dmin must not be NULL");
    *dmin = INFINITY;
    if (pair) pair[0] = pair[1] = 0;
    if (a->n < 2) return CZ_OK;
    frame fr;
    double lo[3], hi[3];
    cz_atoms_bbox(a, lo, hi);
    memset(&fr, 0, sizeof fr);
    for (int i = 0; i < 3; i++) {
        fr.per[i] = a->pbc[i];
        if (a->pbc[i]) {
            memcpy(fr.box[i], a->cell[i], sizeof fr.box[i]);
        } else {
            /* A non-periodic axis spans the atoms' extent along the direction perpendicular to
             * the periodic rows; use the Cartesian axis, padded so no atom sits on an edge. */
            fr.box[i][i] = hi[i] - lo[i] + 1.0;
            fr.origin[i] = lo[i] - 0.5;
        }
    }
    if (!m3_inverse(CZ_CROWS(fr.box), fr.inv)) {
        /* Periodic rows not independent of the chosen Cartesian axes: fall back to the
         * bounding box with the periodic rows kept (cell is validated elsewhere). */
        return CZ_FAIL(CZ_EINVAL, "cell rows and non-periodic axes are degenerate");
    }
    for (int k = 0; k < 3; k++)
        fr.gnorm[k] = sqrt(fr.inv[0][k] * fr.inv[0][k] + fr.inv[1][k] * fr.inv[1][k] +
                           fr.inv[2][k] * fr.inv[2][k]);
    /* Perpendicular widths of the box: |det| / |b × c| etc. */
    double vol = fabs(m3_det(CZ_CROWS(fr.box))), width[3];
    for (int i = 0; i < 3; i++) {
        double c[3];
        v3_cross(fr.box[(i + 1) % 3], fr.box[(i + 2) % 3], c);
        width[i] = vol / v3_norm(c);
    }
    double cut = cbrt(vol / (double)a->n);
    size_t n = a->n;
    double (*f)[3] = malloc(n * sizeof *f);
    size_t *next = malloc(n * sizeof *next);
    if (!f || !next) {
        free(f);
        free(next);
        return CZ_FAIL(CZ_ENOMEM, "cannot allocate cell lists for %zu atoms", n);
    }
    for (size_t i = 0; i < n; i++) {
        double d[3] = {a->xyz[i][0] - fr.origin[0], a->xyz[i][1] - fr.origin[1],
                       a->xyz[i][2] - fr.origin[2]};
        m3_tmulv(CZ_CROWS(fr.inv), d, f[i]);
        for (int k = 0; k < 3; k++) {
            if (fr.per[k]) f[i][k] -= floor(f[i][k]);
            if (f[i][k] >= 1.0) f[i][k] = nextafter(1.0, 0.0);
            if (f[i][k] < 0.0) f[i][k] = 0.0;
        }
    }
    double best = INFINITY;
    size_t bi = 0, bj = 0;
    cz_status st = CZ_OK;
    for (;;) {
        long nb[3];
        size_t total = 1;
        for (int k = 0; k < 3; k++) {
            nb[k] = (long)floor(width[k] / cut);
            if (nb[k] < 1) nb[k] = 1;
            if (nb[k] > 1024) nb[k] = 1024;
            /* With fewer than 3 bins along a periodic axis neighbours wrap onto themselves;
             * a single bin with a full scan is still correct. */
            if (fr.per[k] && nb[k] < 3) nb[k] = 1;
            total *= (size_t)nb[k];
        }
        while (total > 4 * n + 64) {
            /* Keep the bin array proportional to n for very sparse structures. */
            int kmax = 0;
            for (int k = 1; k < 3; k++)
                if (nb[k] > nb[kmax]) kmax = k;
            nb[kmax] = (nb[kmax] + 1) / 2;
            if (fr.per[kmax] && nb[kmax] < 3) nb[kmax] = 1;
            total = (size_t)nb[0] * (size_t)nb[1] * (size_t)nb[2];
        }
        size_t *head = malloc(total * sizeof *head);
        if (!head) {
            st = CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu bins", total);
            break;
        }
        for (size_t b = 0; b < total; b++) head[b] = SIZE_MAX;
        for (size_t i = 0; i < n; i++) {
            long c[3];
            for (int k = 0; k < 3; k++) c[k] = (long)(f[i][k] * (double)nb[k]);
            size_t b = ((size_t)c[2] * (size_t)nb[1] + (size_t)c[1]) * (size_t)nb[0] + (size_t)c[0];
            next[i] = head[b];
            head[b] = i;
        }
        /* Neighbour bins: offsets −1..1, deduplicated when an axis has 1 or 2 bins. */
        for (long cz = 0; cz < nb[2]; cz++)
            for (long cy = 0; cy < nb[1]; cy++)
                for (long cx = 0; cx < nb[0]; cx++) {
                    size_t b0 = ((size_t)cz * (size_t)nb[1] + (size_t)cy) * (size_t)nb[0] + (size_t)cx;
                    for (long dz = -1; dz <= 1; dz++)
                        for (long dy = -1; dy <= 1; dy++)
                            for (long dx = -1; dx <= 1; dx++) {
                                long c[3] = {cx + dx, cy + dy, cz + dz}, d[3] = {dx, dy, dz};
                                int skip = 0;
                                for (int k = 0; k < 3; k++) {
                                    if (nb[k] == 1 && d[k] != 0) skip = 1;
                                    if (c[k] < 0 || c[k] >= nb[k]) {
                                        if (!fr.per[k]) skip = 1;
                                        c[k] = (c[k] + nb[k]) % nb[k];
                                    }
                                }
                                if (skip) continue;
                                size_t b1 = ((size_t)c[2] * (size_t)nb[1] + (size_t)c[1]) *
                                                (size_t)nb[0] + (size_t)c[0];
                                if (b1 < b0) continue; /* each bin pair once */
                                for (size_t i = head[b0]; i != SIZE_MAX; i = next[i])
                                    for (size_t j = head[b1]; j != SIZE_MAX; j = next[j]) {
                                        if (b1 == b0 && j <= i) continue;
                                        double d2 = pair_dist2(&fr, a->xyz[i], a->xyz[j]);
                                        if (d2 < best) {
                                            best = d2;
                                            bi = i < j ? i : j;
                                            bj = i < j ? j : i;
                                        }
                                    }
                            }
                }
        free(head);
        /* Every pair closer than the bin width was seen; if the best is within it, done. */
        int all_one = nb[0] == 1 && nb[1] == 1 && nb[2] == 1;
        if (all_one || sqrt(best) <= cut) break;
        cut *= 2.0;
    }
    free(f);
    free(next);
    if (st != CZ_OK) return st;
    *dmin = sqrt(best);
    if (pair) {
        pair[0] = bi;
        pair[1] = bj;
    }
    return CZ_OK;
}
