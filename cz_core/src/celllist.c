/* celllist.c — static cell lists with exact periodic images (see celllist.h). */
#include "celllist.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "vec.h"

/* Keep the bin array proportional to the number of points, so sparse sets (a few atoms in
 * a large cell) cost no more memory than dense ones. */
#define MAX_BINS_PER_POINT 2
#define MAX_BINS_FLOOR 64

void czi_celllist_free(czi_celllist *cl) {
    if (!cl) return;
    free(cl->start);
    free(cl->idx);
    free(cl->pos);
    cl->start = NULL;
    cl->idx = NULL;
    cl->pos = NULL;
}

/* Fractional frame coordinates of x. */
static void to_frac(const czi_celllist *cl, const double x[3], double f[3]) {
    double d[3] = {x[0] - cl->origin[0], x[1] - cl->origin[1], x[2] - cl->origin[2]};
    m3_tmulv(CZ_CROWS(cl->inv), d, f);
}

/* Wrap x along periodic axes (in place) and return its bin coordinates. Along non-periodic
 * axes the bin is clamped into range when `clamp` (stored points) and otherwise kept, but
 * limited to just outside the reachable range so far-away queries cannot overflow. */
static void locate(const czi_celllist *cl, double x[3], double shift_out[3], long c[3], int clamp) {
    double f[3];
    to_frac(cl, x, f);
    shift_out[0] = shift_out[1] = shift_out[2] = 0.0;
    for (int k = 0; k < 3; k++) {
        if (cl->per[k]) {
            double w = floor(f[k]);
            if (w != 0.0) {
                for (int m = 0; m < 3; m++) {
                    x[m] -= w * cl->box[k][m];
                    shift_out[m] -= w * cl->box[k][m];
                }
                f[k] -= w;
            }
            long b = (long)(f[k] * (double)cl->nb[k]);
            if (b < 0) b = 0;
            if (b >= cl->nb[k]) b = cl->nb[k] - 1;
            c[k] = b;
        } else {
            double b = floor(f[k] * (double)cl->nb[k]);
            double lo = clamp ? 0.0 : -(double)cl->reach[k] - 1.0;
            double hi = clamp ? (double)(cl->nb[k] - 1) : (double)(cl->nb[k] + cl->reach[k]);
            if (!(b >= lo)) b = lo; /* also catches NaN */
            if (b > hi) b = hi;
            c[k] = (long)b;
        }
    }
}

cz_status czi_celllist_build(czi_celllist *cl, size_t n, const double xyz[][3], const size_t *order,
                             const double cell[3][3], const int pbc[3], double cutoff,
                             const char *func) {
    memset(cl, 0, sizeof *cl);
    if (!(cutoff > 0.0) || !isfinite(cutoff))
        return CZ_FAIL_AS(func, CZ_EINVAL, "cell-list cutoff must be > 0 and finite (got %g)",
                          cutoff);
    for (size_t i = 0; i < n; i++)
        if (!v3_finite(xyz[i])) return CZ_FAIL_AS(func, CZ_EINVAL, "position %zu is not finite", i);
    cl->n = n;
    cl->cutoff = cutoff;
    /* Orthonormal basis q of the periodic rows' span, then complement directions taken from
     * the Cartesian axis least parallel to what is already spanned. */
    double q[3][3];
    int nq = 0;
    for (int k = 0; k < 3; k++) {
        cl->per[k] = pbc[k] ? 1 : 0;
        if (!cl->per[k]) continue;
        memcpy(cl->box[k], cell[k], sizeof cl->box[k]);
        double u[3] = {cell[k][0], cell[k][1], cell[k][2]}, len0 = v3_norm(u);
        for (int m = 0; m < nq; m++) {
            double p = v3_dot(u, q[m]);
            for (int c = 0; c < 3; c++) u[c] -= p * q[m][c];
        }
        double len = v3_norm(u);
        if (!(len0 > 0.0) || !(len > 1e-9 * len0))
            return CZ_FAIL_AS(func, CZ_EINVAL,
                              "periodic cell rows are zero or linearly dependent (row %d)", k);
        for (int c = 0; c < 3; c++) q[nq][c] = u[c] / len;
        nq++;
    }
    for (int k = 0; k < 3; k++) {
        if (cl->per[k]) continue;
        double best[3] = {0, 0, 0}, blen = -1.0;
        for (int e = 0; e < 3; e++) {
            double u[3] = {0, 0, 0};
            u[e] = 1.0;
            for (int m = 0; m < nq; m++) {
                double p = v3_dot(u, q[m]);
                for (int c = 0; c < 3; c++) u[c] -= p * q[m][c];
            }
            double len = v3_norm(u);
            if (len > blen + 1e-12) {
                blen = len;
                for (int c = 0; c < 3; c++) best[c] = u[c] / len;
            }
        }
        memcpy(q[nq], best, sizeof best);
        nq++;
        /* Span the positions' extent along this direction, with a small margin. */
        double lo = 0.0, hi = 0.0;
        for (size_t i = 0; i < n; i++) {
            double p = v3_dot(xyz[i], best);
            if (i == 0 || p < lo) lo = p;
            if (i == 0 || p > hi) hi = p;
        }
        double pad = 1e-3 + 1e-9 * (fabs(lo) + fabs(hi));
        double span = fmax(hi - lo + 2.0 * pad, cutoff);
        for (int c = 0; c < 3; c++) {
            cl->box[k][c] = best[c] * span;
            cl->origin[c] += best[c] * (lo - pad);
        }
    }
    if (!m3_inverse(CZ_CROWS(cl->box), cl->inv))
        return CZ_FAIL_AS(func, CZ_EINVAL, "cell-list frame is singular");
    /* Perpendicular widths |det| / |b × c| etc. decide how many bins fit along each axis. */
    double vol = fabs(m3_det(CZ_CROWS(cl->box))), width[3];
    for (int k = 0; k < 3; k++) {
        double c[3];
        v3_cross(cl->box[(k + 1) % 3], cl->box[(k + 2) % 3], c);
        width[k] = vol / v3_norm(c);
        double nbk = floor(width[k] / cutoff);
        cl->nb[k] = nbk < 1.0 ? 1 : (nbk > 1048576.0 ? 1048576 : (long)nbk);
    }
    double cap = (double)MAX_BINS_PER_POINT * (double)n + MAX_BINS_FLOOR;
    while ((double)cl->nb[0] * (double)cl->nb[1] * (double)cl->nb[2] > cap) {
        int kmax = 0;
        for (int k = 1; k < 3; k++)
            if (cl->nb[k] > cl->nb[kmax]) kmax = k;
        cl->nb[kmax] = (cl->nb[kmax] + 1) / 2;
    }
    /* A pair within cutoff differs by at most cutoff/width in fractional coordinate k, i.e.
     * by at most ceil(cutoff·nb/width) bins (floor(a) − floor(b) <= r when a − b <= r). The
     * tiny relative margin absorbs rounding of the widths. */
    for (int k = 0; k < 3; k++) {
        double r = ceil(cutoff * (double)cl->nb[k] / width[k] * (1.0 + 1e-12));
        if (r < 1.0) r = 1.0;
        if (!cl->per[k] && r > (double)cl->nb[k]) r = (double)cl->nb[k];
        if (r > 1048576.0)
            return CZ_FAIL_AS(func, CZ_EINVAL,
                              "cutoff %g Å is more than 10^6 periodic cell widths (%g Å)", cutoff,
                              width[k]);
        cl->reach[k] = (long)r;
    }
    size_t nbins = (size_t)cl->nb[0] * (size_t)cl->nb[1] * (size_t)cl->nb[2];
    size_t *bin = malloc((n ? n : 1) * sizeof *bin);
    cl->start = calloc(nbins + 1, sizeof *cl->start);
    cl->idx = malloc((n ? n : 1) * sizeof *cl->idx);
    cl->pos = malloc((n ? n : 1) * sizeof *cl->pos);
    double(*wrapped)[3] = malloc((n ? n : 1) * sizeof *wrapped);
    if (!bin || !cl->start || !cl->idx || !cl->pos || !wrapped) {
        free(bin);
        free(wrapped);
        czi_celllist_free(cl);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate cell lists for %zu points", n);
    }
    /* Counting sort by bin: stable, so within a bin points keep the given order (input order
     * when none) and the iteration order is deterministic. */
    for (size_t i = 0; i < n; i++) {
        long c[3];
        double sh[3];
        memcpy(wrapped[i], xyz[i], sizeof wrapped[i]);
        locate(cl, wrapped[i], sh, c, 1);
        bin[i] =
            ((size_t)c[2] * (size_t)cl->nb[1] + (size_t)c[1]) * (size_t)cl->nb[0] + (size_t)c[0];
        cl->start[bin[i] + 1]++;
    }
    for (size_t b = 0; b < nbins; b++) cl->start[b + 1] += cl->start[b];
    for (size_t t = 0; t < n; t++) {
        size_t i = order ? order[t] : t;
        size_t k = cl->start[bin[i]]++;
        cl->idx[k] = i;
        memcpy(cl->pos[k], wrapped[i], sizeof cl->pos[k]);
    }
    /* The fill loop advanced each start to the next bin's start: shift back by one bin. */
    for (size_t b = nbins; b > 0; b--) cl->start[b] = cl->start[b - 1];
    cl->start[0] = 0;
    free(bin);
    free(wrapped);
    return CZ_OK;
}

/* The bin of the current offset and its image shift (in it->shift); 0 if it does not exist. */
static int enter_bin(const czi_celllist *cl, czi_cell_iter *it, size_t *k0, size_t *k1) {
    long b[3];
    it->shift[0] = it->shift[1] = it->shift[2] = 0.0;
    for (int k = 0; k < 3; k++) {
        long t = it->c[k] + it->o[k];
        if (cl->per[k]) {
            /* Floor division: t = s·nb + b with 0 <= b < nb; the bin's contents sit one image
             * s·box_k away. */
            long s = t >= 0 ? t / cl->nb[k] : -((-t + cl->nb[k] - 1) / cl->nb[k]);
            b[k] = t - s * cl->nb[k];
            if (s != 0)
                for (int m = 0; m < 3; m++) it->shift[m] += (double)s * cl->box[k][m];
        } else {
            if (t < 0 || t >= cl->nb[k]) return 0;
            b[k] = t;
        }
    }
    size_t bi =
        ((size_t)b[2] * (size_t)cl->nb[1] + (size_t)b[1]) * (size_t)cl->nb[0] + (size_t)b[0];
    *k0 = cl->start[bi];
    *k1 = cl->start[bi + 1];
    return 1;
}

/* Advance to the next offset in −reach..reach (x fastest); 0 when all were visited. */
static int next_offset(const czi_celllist *cl, czi_cell_iter *it) {
    for (int k = 0; k < 3; k++) {
        if (it->o[k] < cl->reach[k]) {
            it->o[k]++;
            return 1;
        }
        it->o[k] = -cl->reach[k];
    }
    return 0;
}

void czi_celllist_iter_begin(const czi_celllist *cl, const double x[3], czi_cell_iter *it) {
    memcpy(it->x, x, sizeof it->x);
    locate(cl, it->x, it->xoff, it->c, 0);
    for (int k = 0; k < 3; k++) it->o[k] = -cl->reach[k];
    it->k = it->kend = 0;
    it->started = 0;
    it->done = cl->n == 0;
}

int czi_celllist_next_bin(const czi_celllist *cl, czi_cell_iter *it, size_t *k0, size_t *k1,
                          double shift[3]) {
    while (!it->done) {
        if (it->started && !next_offset(cl, it)) {
            it->done = 1;
            break;
        }
        it->started = 1;
        if (enter_bin(cl, it, k0, k1) && *k1 > *k0) {
            memcpy(shift, it->shift, sizeof it->shift);
            return 1;
        }
    }
    return 0;
}

int czi_celllist_iter_next(const czi_celllist *cl, czi_cell_iter *it, size_t *j, double d[3]) {
    for (;;) {
        if (it->k < it->kend) {
            size_t k = it->k++;
            *j = cl->idx[k];
            for (int m = 0; m < 3; m++) d[m] = cl->pos[k][m] + it->shift[m] - it->x[m];
            return 1;
        }
        size_t k0, k1;
        double sh[3];
        if (!czi_celllist_next_bin(cl, it, &k0, &k1, sh)) return 0;
        it->k = k0;
        it->kend = k1;
    }
}

cz_status czi_celllist_dilate_min(const czi_celllist *cl, unsigned *val, const char *func) {
    long nbmax = cl->nb[0] > cl->nb[1] ? cl->nb[0] : cl->nb[1];
    if (cl->nb[2] > nbmax) nbmax = cl->nb[2];
    unsigned *line = malloc((size_t)nbmax * sizeof *line);
    if (!line) return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %ld bins", nbmax);
    const size_t stride[3] = {1, (size_t)cl->nb[0], (size_t)cl->nb[0] * (size_t)cl->nb[1]};
    /* A min filter over a box is three 1-D min filters, one per axis, each applied to every
     * line of bins along that axis (copied out first so the filter reads unfiltered values). */
    for (int k = 0; k < 3; k++) {
        const long nbk = cl->nb[k], r = cl->reach[k];
        const int a1 = (k + 1) % 3, a2 = (k + 2) % 3;
        const int whole = cl->per[k] && 2 * r + 1 >= nbk;
        for (long u2 = 0; u2 < cl->nb[a2]; u2++)
            for (long u1 = 0; u1 < cl->nb[a1]; u1++) {
                size_t base = (size_t)u1 * stride[a1] + (size_t)u2 * stride[a2];
                unsigned all = UINT_MAX;
                for (long c = 0; c < nbk; c++) {
                    line[c] = val[base + (size_t)c * stride[k]];
                    if (line[c] < all) all = line[c];
                }
                for (long c = 0; c < nbk; c++) {
                    unsigned m = all;
                    if (!whole) {
                        m = UINT_MAX;
                        for (long t = c - r; t <= c + r; t++) {
                            long w = t;
                            if (w < 0 || w >= nbk) {
                                if (!cl->per[k]) continue;
                                w = w < 0 ? w + nbk : w - nbk; /* |t − c| <= r < nbk here */
                            }
                            if (line[w] < m) m = line[w];
                        }
                    }
                    val[base + (size_t)c * stride[k]] = m;
                }
            }
    }
    free(line);
    return CZ_OK;
}

void czi_celllist_point_bins(const czi_celllist *cl, size_t *bin) {
    size_t nbins = czi_celllist_nbins(cl);
    for (size_t b = 0; b < nbins; b++)
        for (size_t k = cl->start[b]; k < cl->start[b + 1]; k++) bin[cl->idx[k]] = b;
}
