/* celllist.h — private: static cell lists with exact periodic images, for any cell shape.
 *
 * A czi_celllist bins n positions once so that every pair closer than a cutoff can be found
 * by scanning neighbouring bins only (O(n) for bounded density, never all pairs).
 *
 * Frame. Along periodic axes the binning frame is the cell itself (rows a, b, c); positions
 * are wrapped into it. Non-periodic axes are replaced by orthonormal directions perpendicular
 * to the periodic rows (Cartesian axes when nothing is periodic), spanning the positions'
 * extent, so the frame is never degenerate whatever the non-periodic cell rows are.
 *
 * Images. Bins are at least `cutoff` wide measured perpendicular to the other two frame
 * rows where the cell allows; along axes too short for that, neighbour offsets reach as far
 * as needed (offsets −reach..reach) and every offset along a periodic axis carries its own
 * image shift, so a pair is reported once per image within reach. That makes the search
 * exact for skewed (triclinic) cells and for cells shorter than the cutoff: the iterator
 * returns the true displacement of each image, not a rounded minimum image.
 *
 * Usage (the caller tests distances; candidates are a superset of the pairs within cutoff):
 *     czi_celllist cl;
 *     st = czi_celllist_build(&cl, n, xyz, NULL, cell, pbc, cutoff, __func__);
 *     czi_cell_iter it;
 *     czi_celllist_iter_begin(&cl, x, &it);
 *     size_t k0, k1; double sh[3];
 *     while (czi_celllist_next_bin(&cl, &it, &k0, &k1, sh))
 *         for (size_t k = k0; k < k1; k++) {
 *             d = cl.pos[k] + sh − it.x;   (the image of point cl.idx[k] minus the query)
 *             ...
 *         }
 *     czi_celllist_free(&cl);
 * or one candidate at a time with czi_celllist_iter_next. A query for a stored point also
 * returns the point itself (d = 0) and, when the cell is shorter than the cutoff, its own
 * periodic images. `order` (optional) is the order in which points enter their bins: within
 * a bin they appear in that order, so a caller that sorts by some key can stop scanning a bin
 * early. The list copies the positions it needs; xyz is not kept. Build is single-threaded;
 * the built list is read-only, so any number of threads may iterate concurrently.
 */
#ifndef CZI_CELLLIST_H
#define CZI_CELLLIST_H

#include <stddef.h>

#include "cz/cz_base.h"

typedef struct czi_celllist {
    size_t n;         /* stored positions */
    long nb[3];       /* bins along each frame axis (>= 1) */
    long reach[3];    /* neighbour offsets −reach..reach cover the cutoff */
    int per[3];       /* periodic frame axes */
    double box[3][3]; /* frame rows (Å); periodic rows are the cell rows */
    double inv[3][3]; /* box⁻¹: fractional f = (x − origin) · inv */
    double origin[3]; /* frame origin (Å) */
    double cutoff;    /* Å */
    size_t *start;    /* [nbins + 1] offsets of each bin in idx/pos (bins x fastest) */
    size_t *idx;      /* [n] original indices, grouped by bin */
    double (*pos)[3]; /* [n] wrapped positions, same order as idx */
} czi_celllist;

/* Neighbour iteration state; plain data, one per thread. */
typedef struct czi_cell_iter {
    double x[3];     /* wrapped query point */
    double xoff[3];  /* query wrap: x_wrapped = x_given + xoff */
    long c[3];       /* query bin (may lie outside 0..nb−1 along non-periodic axes) */
    long o[3];       /* current offset */
    double shift[3]; /* Cartesian image shift of the current bin */
    size_t k, kend;  /* current slice of idx/pos */
    int started, done;
} czi_cell_iter;

/* Build the list. cell rows are used along periodic axes only (may be zero elsewhere);
 * pbc[k] != 0 marks periodic rows, which must be linearly independent. cutoff > 0.
 * order: NULL, or a permutation of 0..n−1 giving the order of points within each bin.
 * Errors are reported under `func`: CZ_EINVAL (bad cutoff, degenerate periodic rows,
 * non-finite position), CZ_ENOMEM. On failure cl is left freed (czi_celllist_free safe). */
cz_status czi_celllist_build(czi_celllist *cl, size_t n, const double xyz[][3], const size_t *order,
                             const double cell[3][3], const int pbc[3], double cutoff,
                             const char *func);

/* Free the arrays (cl itself is the caller's). Safe on a zeroed or failed list. */
void czi_celllist_free(czi_celllist *cl);

/* Number of bins. */
static inline size_t czi_celllist_nbins(const czi_celllist *cl) {
    return (size_t)cl->nb[0] * (size_t)cl->nb[1] * (size_t)cl->nb[2];
}

/* Start iterating the candidates near x (any point, inside the frame or not). it->x holds
 * the wrapped query point that displacements are measured from. */
void czi_celllist_iter_begin(const czi_celllist *cl, const double x[3], czi_cell_iter *it);

/* Next neighbour bin (each bin image within reach once): its slice [*k0, *k1) of cl->idx and
 * cl->pos and the Cartesian shift to add to cl->pos. Returns 0 when exhausted. */
int czi_celllist_next_bin(const czi_celllist *cl, czi_cell_iter *it, size_t *k0, size_t *k1,
                          double shift[3]);

/* Next candidate: its original index in *j and displacement d = image(xyz[j]) − x.
 * Returns 0 when exhausted. */
int czi_celllist_iter_next(const czi_celllist *cl, czi_cell_iter *it, size_t *j, double d[3]);

/* val[b] := min of val over the neighbour bins of b (offsets −reach..reach, periodic where
 * the frame is): after this, val[b] bounds from below the values of every point that can lie
 * within cutoff of a point in bin b. Separable (three 1-D passes). CZ_ENOMEM under func. */
cz_status czi_celllist_dilate_min(const czi_celllist *cl, unsigned *val, const char *func);

/* bin[i] := bin of original point i, for i < n. */
void czi_celllist_point_bins(const czi_celllist *cl, size_t *bin);

#endif
