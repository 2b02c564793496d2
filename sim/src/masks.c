/* masks.c — ground truth a microscope does not give: geometric footprint masks per class,
 * per-pixel label (object-id) maps with overlap resolution, phase-threshold masks from a
 * particle-only exit wave, and atom-column lists in pixel coordinates.
 *
 * Footprints visit only the pixels inside each atom's bounding square, so the cost is
 * O(n·(r/dx)²), independent of the grid size beyond clearing it. Columns are found by single-
 * linkage grouping on a cell list (cells at least column_tol wide, so only the 3 × 3 neighbouring
 * cells can hold partners) with union–find: O(n). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static const size_t MAX_PIXELS = (size_t)1 << 26;

void cz_sim_label_opts_default(cz_sim_label_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->radius = 1.0;
    opts->column_tol = 0.3;
}

static cz_status check_grid(const cz_sim_label_opts *o) {
    if (o->nx < 1 || o->ny < 1 || o->nx > MAX_PIXELS / o->ny)
        return CZ_SIM_FAIL(CZ_EINVAL, "grid must have 1 to 2^26 pixels (got %zu x %zu)", o->nx,
                           o->ny);
    if (!(o->dx > 0) || !(o->dy > 0) || !isfinite(o->dx) || !isfinite(o->dy))
        return CZ_SIM_FAIL(CZ_EINVAL, "pixel size must be finite and > 0 (got %g x %g)", o->dx,
                           o->dy);
    if (o->flags & ~CZ_SIM_LABEL_NONPERIODIC)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown flags 0x%x", o->flags & ~CZ_SIM_LABEL_NONPERIODIC);
    return CZ_OK;
}

static cz_status check_atoms(size_t n, const double xyz[][3]) {
    for (size_t a = 0; a < n; a++)
        if (!isfinite(xyz[a][0]) || !isfinite(xyz[a][1]))
            return CZ_SIM_FAIL(CZ_EINVAL, "atom %zu has a non-finite position (%g, %g)", a,
                               xyz[a][0], xyz[a][1]);
    return CZ_OK;
}

static cz_status check_footprint(const cz_sim_label_opts *o, size_t n, const double xyz[][3]) {
    if (!o) return CZ_SIM_FAIL(CZ_EINVAL, "opts must not be NULL");
    cz_status st = check_grid(o);
    if (st) return st;
    if (!(o->radius > 0) || !isfinite(o->radius))
        return CZ_SIM_FAIL(CZ_EINVAL, "radius must be finite and > 0 (got %g)", o->radius);
    /* A footprint wider than the grid would visit pixels several times for nothing. */
    double lx = o->dx * (double)o->nx, ly = o->dy * (double)o->ny;
    if (o->radius > lx + ly)
        return CZ_SIM_FAIL(CZ_EINVAL, "radius %g Å exceeds the field of view %g x %g Å", o->radius,
                           lx, ly);
    if (n > 0 && !xyz) return CZ_SIM_FAIL(CZ_EINVAL, "xyz must not be NULL when n > 0");
    return check_atoms(n, xyz);
}

/* Pixels covered by one atom: calls visit(ctx, pixel, d²) for every pixel whose sample point
 * lies within r of (x, y). Periodic grids take x, y modulo the field and wrap pixel indices;
 * otherwise pixels outside the grid are skipped. */
typedef struct footprint {
    const cz_sim_label_opts *o;
    int periodic;
    double lx, ly, r2;
} footprint;

#define FOR_FOOTPRINT(fp, x0, y0, PIX, D2, BODY)                                           \
    do {                                                                                   \
        const cz_sim_label_opts *o_ = (fp)->o;                                             \
        double x_ = (x0), y_ = (y0), r_ = o_->radius;                                      \
        if ((fp)->periodic) {                                                              \
            x_ -= floor(x_ / (fp)->lx) * (fp)->lx;                                         \
            y_ -= floor(y_ / (fp)->ly) * (fp)->ly;                                         \
        }                                                                                  \
        double fi0_ = ceil((x_ - r_) / o_->dx), fi1_ = floor((x_ + r_) / o_->dx);          \
        double fj0_ = ceil((y_ - r_) / o_->dy), fj1_ = floor((y_ + r_) / o_->dy);          \
        long nxl_ = (long)o_->nx, nyl_ = (long)o_->ny;                                     \
        if (!(fp)->periodic) {                                                             \
            /* Clip in floating point first: a far-away atom must not overflow a long. */  \
            fi0_ = fmax(fi0_, 0.0), fj0_ = fmax(fj0_, 0.0);                                \
            fi1_ = fmin(fi1_, (double)(nxl_ - 1)), fj1_ = fmin(fj1_, (double)(nyl_ - 1));  \
            if (fi0_ > fi1_ || fj0_ > fj1_) break;                                         \
        }                                                                                  \
        long i0_ = (long)fi0_, i1_ = (long)fi1_, j0_ = (long)fj0_, j1_ = (long)fj1_;       \
        for (long j_ = j0_; j_ <= j1_; j_++) {                                             \
            double ddy_ = (double)j_ * o_->dy - y_;                                        \
            long jw_ = ((j_ % nyl_) + nyl_) % nyl_;                                        \
            for (long i_ = i0_; i_ <= i1_; i_++) {                                         \
                double ddx_ = (double)i_ * o_->dx - x_;                                    \
                double D2 = ddx_ * ddx_ + ddy_ * ddy_;                                     \
                if (D2 > (fp)->r2) continue;                                               \
                size_t PIX = (size_t)jw_ * o_->nx + (size_t)(((i_ % nxl_) + nxl_) % nxl_); \
                BODY                                                                       \
            }                                                                              \
        }                                                                                  \
    } while (0)

static footprint make_footprint(const cz_sim_label_opts *o) {
    footprint fp = {o, !(o->flags & CZ_SIM_LABEL_NONPERIODIC), o->dx * (double)o->nx,
                    o->dy * (double)o->ny, o->radius * o->radius};
    return fp;
}

cz_status cz_sim_mask_classes(const cz_sim_label_opts *opts, size_t n, const double xyz[][3],
                              const int label[], size_t nclass, uint8_t out[], size_t out_len) {
    cz_status st = check_footprint(opts, n, xyz);
    if (st) return st;
    if (!out || (n > 0 && !label)) return CZ_SIM_FAIL(CZ_EINVAL, "label and out must not be NULL");
    if (nclass < 1) return CZ_SIM_FAIL(CZ_EINVAL, "nclass must be >= 1 (got 0)");
    size_t npix = opts->nx * opts->ny;
    if (nclass > ((size_t)-1) / npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "nclass = %zu channels overflow size_t", nclass);
    if (out_len < nclass * npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "out holds %zu bytes, %zu needed", out_len, nclass * npix);
    memset(out, 0, nclass * npix);
    footprint fp = make_footprint(opts);
    for (size_t a = 0; a < n; a++) {
        if (label[a] < 0 || (size_t)label[a] >= nclass) continue;
        uint8_t *ch = out + (size_t)label[a] * npix;
        FOR_FOOTPRINT(&fp, xyz[a][0], xyz[a][1], p, d2, {
            (void)d2;
            ch[p] = 1;
        });
    }
    return CZ_OK;
}

cz_status cz_sim_label_map(const cz_sim_label_opts *opts, size_t n, const double xyz[][3],
                           const int label[], const int priority[], int out[], size_t out_len) {
    cz_status st = check_footprint(opts, n, xyz);
    if (st) return st;
    if (!out || (n > 0 && !label)) return CZ_SIM_FAIL(CZ_EINVAL, "label and out must not be NULL");
    size_t npix = opts->nx * opts->ny;
    if (out_len < npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "out holds %zu values, %zu needed", out_len, npix);
    /* Per pixel: the winning atom's priority and squared distance. */
    int *best_prio = malloc(npix * sizeof *best_prio);
    double *best_d2 = malloc(npix * sizeof *best_d2);
    if (!best_prio || !best_d2) {
        free(best_prio);
        free(best_d2);
        return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory for a %zu x %zu label map", opts->nx,
                           opts->ny);
    }
    for (size_t p = 0; p < npix; p++) {
        out[p] = 0;
        best_d2[p] = INFINITY;
        best_prio[p] = 0;
    }
    footprint fp = make_footprint(opts);
    for (size_t a = 0; a < n; a++) {
        int lab = label[a];
        if (lab <= 0) continue;
        int pr = priority ? priority[a] : 0;
        /* Atoms are visited in index order and only a strictly better claim replaces a pixel, so
         * exact ties keep the lower index: the map does not depend on anything but the input. */
        FOR_FOOTPRINT(&fp, xyz[a][0], xyz[a][1], p, d2, {
            if (out[p] == 0 || pr > best_prio[p] || (pr == best_prio[p] && d2 < best_d2[p])) {
                out[p] = lab;
                best_prio[p] = pr;
                best_d2[p] = d2;
            }
        });
    }
    free(best_prio);
    free(best_d2);
    return CZ_OK;
}

cz_status cz_sim_mask_phase(size_t nx, size_t ny, const float wave[], size_t wave_len,
                            double threshold_rad, uint8_t out[], size_t out_len) {
    if (!wave || !out) return CZ_SIM_FAIL(CZ_EINVAL, "wave and out must not be NULL");
    if (nx < 1 || ny < 1 || nx > MAX_PIXELS / ny)
        return CZ_SIM_FAIL(CZ_EINVAL, "grid must have 1 to 2^26 pixels (got %zu x %zu)", nx, ny);
    if (!(threshold_rad > 0 && threshold_rad <= 3.14159265358979323846))
        return CZ_SIM_FAIL(CZ_EINVAL, "threshold_rad must be in (0, pi] (got %g)", threshold_rad);
    size_t npix = nx * ny;
    if (wave_len < 2 * npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "wave holds %zu floats, %zu needed", wave_len, 2 * npix);
    if (out_len < npix)
        return CZ_SIM_FAIL(CZ_ERANGE, "out holds %zu bytes, %zu needed", out_len, npix);
    /* The exit wave's phase is a property of the specimen alone (no lens), so this mask does not
     * move with defocus, unlike thresholds on images. */
    for (size_t p = 0; p < npix; p++) {
        double ph = atan2((double)wave[2 * p + 1], (double)wave[2 * p]);
        out[p] = fabs(ph) >= threshold_rad;
    }
    return CZ_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Atom columns
 * ------------------------------------------------------------------------------------------- */

static size_t uf_find(size_t *parent, size_t a) {
    while (parent[a] != a) {
        parent[a] = parent[parent[a]]; /* path halving */
        a = parent[a];
    }
    return a;
}

static void uf_union(size_t *parent, size_t a, size_t b) {
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    /* The smaller index becomes the root: the result does not depend on the visiting order. */
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_column(const void *a, const void *b) {
    const cz_sim_column *p = a, *q = b;
    if (p->y != q->y) return p->y < q->y ? -1 : 1;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return 0;
}

/* The most frequent value of v[0..m) (sorted in place); ties go to the larger value if
 * prefer_large, else to the smaller. */
static int majority(int *v, size_t m, int prefer_large) {
    qsort(v, m, sizeof *v, cmp_int);
    int best = v[0];
    size_t best_n = 0;
    for (size_t s = 0; s < m;) {
        size_t e = s;
        while (e < m && v[e] == v[s]) e++;
        size_t c = e - s;
        if (c > best_n || (c == best_n && prefer_large)) {
            best = v[s];
            best_n = c;
        }
        s = e;
    }
    return best;
}

cz_status cz_sim_columns(const cz_sim_label_opts *opts, size_t n, const double xyz[][3],
                         const int z[], const int object[], cz_sim_column out[], size_t cap,
                         size_t *ncol) {
    if (ncol) *ncol = 0;
    if (!opts || !ncol) return CZ_SIM_FAIL(CZ_EINVAL, "opts and ncol must not be NULL");
    cz_status st = check_grid(opts);
    if (st) return st;
    double tol = opts->column_tol;
    if (!(tol > 0) || !isfinite(tol))
        return CZ_SIM_FAIL(CZ_EINVAL, "column_tol must be finite and > 0 (got %g)", tol);
    if (n == 0) return CZ_OK;
    if (!xyz || !z) return CZ_SIM_FAIL(CZ_EINVAL, "xyz and z must not be NULL when n > 0");
    if ((st = check_atoms(n, xyz))) return st;
    int periodic = !(opts->flags & CZ_SIM_LABEL_NONPERIODIC);
    double lx = opts->dx * (double)opts->nx, ly = opts->dy * (double)opts->ny;
    if (periodic && (tol >= 0.5 * lx || tol >= 0.5 * ly))
        return CZ_SIM_FAIL(CZ_EINVAL, "column_tol %g Å must be below half the field (%g x %g Å)",
                           tol, lx, ly);

    double *px = malloc(n * sizeof *px), *py = malloc(n * sizeof *py);
    size_t *parent = malloc(n * sizeof *parent), *cell_of = malloc(n * sizeof *cell_of);
    size_t *order = malloc(n * sizeof *order);
    size_t *start = NULL, *col_of = NULL;
    int *tmp = NULL;
    cz_sim_column *cols = NULL;
    if (!px || !py || !parent || !cell_of || !order) goto nomem;

    /* Positions: wrapped into the field (periodic) or as given. */
    double x0 = 0, y0 = 0, x1 = lx, y1 = ly;
    for (size_t a = 0; a < n; a++) {
        double x = xyz[a][0], y = xyz[a][1];
        if (periodic) {
            x -= floor(x / lx) * lx;
            y -= floor(y / ly) * ly;
            if (x >= lx) x -= lx; /* rounding of floor() for tiny negative x */
            if (y >= ly) y -= ly;
        }
        px[a] = x;
        py[a] = y;
        parent[a] = a;
    }
    if (!periodic) {
        x0 = x1 = px[0];
        y0 = y1 = py[0];
        for (size_t a = 1; a < n; a++) {
            x0 = fmin(x0, px[a]), x1 = fmax(x1, px[a]);
            y0 = fmin(y0, py[a]), y1 = fmax(y1, py[a]);
        }
    }
    /* Cells at least tol wide; no more of them than about 4n, so a tiny tolerance cannot blow
     * up memory (larger cells stay correct, they only hold more candidates). */
    double wx = fmax(x1 - x0, tol), wy = fmax(y1 - y0, tol);
    double fcx = fmax(1.0, floor(wx / tol)), fcy = fmax(1.0, floor(wy / tol));
    double limit = 4.0 * (double)n + 16.0;
    while (fcx * fcy > limit) {
        fcx = fmax(1.0, floor(fcx / 2)), fcy = fmax(1.0, floor(fcy / 2));
    }
    size_t ncx = (size_t)fcx, ncy = (size_t)fcy, ncell = ncx * ncy;
    double cw = wx / (double)ncx, ch = wy / (double)ncy;
    start = calloc(ncell + 1, sizeof *start);
    if (!start) goto nomem;
    for (size_t a = 0; a < n; a++) {
        size_t cx = (size_t)fmin((double)(ncx - 1), floor((px[a] - x0) / cw));
        size_t cy = (size_t)fmin((double)(ncy - 1), floor((py[a] - y0) / ch));
        cell_of[a] = cy * ncx + cx;
        start[cell_of[a] + 1]++;
    }
    for (size_t c = 0; c < ncell; c++) start[c + 1] += start[c];
    {
        size_t *fill = malloc(ncell * sizeof *fill);
        if (!fill) goto nomem;
        memcpy(fill, start, ncell * sizeof *fill);
        for (size_t a = 0; a < n; a++) order[fill[cell_of[a]]++] = a;
        free(fill);
    }
    /* Link every pair within tol (minimum image when periodic). Neighbour cells are listed once
     * each even when the grid has fewer than three cells along an axis. */
    double tol2 = tol * tol;
    for (size_t a = 0; a < n; a++) {
        long cx = (long)(cell_of[a] % ncx), cy = (long)(cell_of[a] / ncx);
        size_t nbx[3], nby[3];
        int kx = 0, ky = 0;
        for (long d = -1; d <= 1; d++) {
            long x = cx + d, y = cy + d;
            if (periodic) {
                x = (x + (long)ncx) % (long)ncx;
                y = (y + (long)ncy) % (long)ncy;
            }
            int dupx = 0, dupy = 0;
            for (int q = 0; q < kx; q++) dupx |= nbx[q] == (size_t)x;
            for (int q = 0; q < ky; q++) dupy |= nby[q] == (size_t)y;
            if (x >= 0 && x < (long)ncx && !dupx) nbx[kx++] = (size_t)x;
            if (y >= 0 && y < (long)ncy && !dupy) nby[ky++] = (size_t)y;
        }
        for (int q = 0; q < ky; q++)
            for (int r = 0; r < kx; r++) {
                size_t c = nby[q] * ncx + nbx[r];
                for (size_t s = start[c]; s < start[c + 1]; s++) {
                    size_t b = order[s];
                    if (b <= a) continue;
                    double ddx = px[b] - px[a], ddy = py[b] - py[a];
                    if (periodic) {
                        ddx -= lx * floor(ddx / lx + 0.5);
                        ddy -= ly * floor(ddy / ly + 0.5);
                    }
                    if (ddx * ddx + ddy * ddy <= tol2) uf_union(parent, a, b);
                }
            }
    }
    /* Number the columns by their root (the smallest atom index in each), in index order. */
    col_of = malloc(n * sizeof *col_of);
    if (!col_of) goto nomem;
    size_t nc = 0;
    for (size_t a = 0; a < n; a++) {
        size_t r = uf_find(parent, a);
        col_of[a] = (r == a) ? nc++ : col_of[r];
    }
    *ncol = nc;
    if (!out) {
        st = CZ_OK;
        goto done;
    }
    if (cap < nc) {
        st = CZ_SIM_FAIL(CZ_ERANGE, "out holds %zu columns, %zu needed", cap, nc);
        goto done;
    }
    /* Members of each column, contiguous (reusing start/order as a counting sort by column). */
    free(start);
    start = calloc(nc + 1, sizeof *start);
    cols = calloc(nc, sizeof *cols);
    tmp = malloc(n * sizeof *tmp);
    if (!start || !cols || !tmp) goto nomem;
    for (size_t a = 0; a < n; a++) start[col_of[a] + 1]++;
    for (size_t c = 0; c < nc; c++) start[c + 1] += start[c];
    memcpy(cell_of, start, nc * sizeof *cell_of); /* cell_of reused as fill pointers */
    for (size_t a = 0; a < n; a++) order[cell_of[col_of[a]]++] = a;
    for (size_t c = 0; c < nc; c++) {
        size_t s0 = start[c], s1 = start[c + 1], m = s1 - s0;
        size_t root = order[s0];
        double sx = 0, sy = 0;
        for (size_t s = s0; s < s1; s++) {
            size_t a = order[s];
            double ddx = px[a] - px[root], ddy = py[a] - py[root];
            if (periodic) {
                /* Members may straddle the field edge: average their images nearest the root. */
                ddx -= lx * floor(ddx / lx + 0.5);
                ddy -= ly * floor(ddy / ly + 0.5);
            }
            sx += ddx;
            sy += ddy;
        }
        double mx = px[root] + sx / (double)m, my = py[root] + sy / (double)m;
        if (periodic) {
            mx -= floor(mx / lx) * lx;
            my -= floor(my / ly) * ly;
        }
        cols[c].x = mx / opts->dx;
        cols[c].y = my / opts->dy;
        cols[c].count = m;
        for (size_t s = s0; s < s1; s++) tmp[s - s0] = z[order[s]];
        cols[c].z = majority(tmp, m, 1);
        if (object) {
            for (size_t s = s0; s < s1; s++) tmp[s - s0] = object[order[s]];
            cols[c].object = majority(tmp, m, 0);
        }
    }
    qsort(cols, nc, sizeof *cols, cmp_column);
    memcpy(out, cols, nc * sizeof *cols);
    st = CZ_OK;
    goto done;
nomem:
    st = CZ_SIM_FAIL(CZ_ENOMEM, "out of memory for %zu atoms", n);
    *ncol = 0;
done:
    free(px);
    free(py);
    free(parent);
    free(cell_of);
    free(order);
    free(start);
    free(col_of);
    free(tmp);
    free(cols);
    return st;
}
