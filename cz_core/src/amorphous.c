/* amorphous.c — amorphous solids by random sequential addition (RSA) on a cell grid.
 *
 * The box is cut into a grid of g[0] × g[1] × g[2] parallelepiped cells (edges cell[k]/g[k])
 * whose longest body diagonal is shorter than the smallest d_min, so a cell never holds two
 * atoms and the grid needs one bit per cell. Cells are grouped into blocks of 4×4×4; a block
 * keeps a 64-bit occupancy mask and the offset of its atoms' entries (in bit order) in a shared
 * pool. An entry holds the atom's position relative to its block's corner in single precision,
 * so a neighbour search reads a few short contiguous runs instead of gathering positions from
 * the output array. For amorphous carbon (17 cells per atom) this is about 30 bytes per atom,
 * where a plain grid of ints would take 70.
 *
 * The search stencil is every cell offset whose closest approach to the candidate's cell is
 * below the largest d_min. It is tabulated block-wise: for each of the 64 places a candidate
 * can take inside its block, the list of neighbouring blocks (nearest first) with the mask of
 * stencil cells in each, so one AND gives the occupied stencil cells of a block. Along periodic
 * axes the grid is a whole number of blocks, so blocks tile the period exactly: a neighbouring
 * block beyond a face wraps with an image count, and an entry's offset from its block's corner
 * is the same for the image. A box smaller than the stencil simply wraps several times, so
 * every periodic image within reach is tested, whatever the box size.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_amorphous.h"
#include "cz/cz_elements.h"
#include "cz/cz_rng.h"
#include "error.h"
#include "vec.h"

#define FN "cz_amorphous_fill"

/* Random streams of this module ("amorph" + a tag), fixed so that the output of a seed never
 * changes between versions. */
#define STREAM_POSITION 0x616d6f7270680001ULL
#define STREAM_SPECIES 0x616d6f7270680002ULL

/* Accepted pairs are at least d_min·(1 + DMIN_MARGIN) apart as computed here, so recomputing a
 * distance another way (fractional minimum image, other rounding) cannot fall below d_min. */
#define DMIN_MARGIN 1e-11
/* Grid cells are kept this much (relative) below the smallest d_min in diameter, so that two
 * atoms in one cell would clash even allowing for rounding in the cell assignment. */
#define DIAM_MARGIN 1e-9
/* Pool entries pack (atom index << 3 | species); N <= CZ_MAX_ATOMS = 2^28 keeps them < 2^31. */
#define SPECIES_BITS 3
#define NO_SEGMENT UINT32_MAX
#define NCLASS 6 /* segment capacities 2, 4, 8, 16, 32, 64 */

/* ---- scratch memory, counted so the caller can see the peak ---------------------------------- */

typedef struct scratch {
    size_t now, peak;
} scratch;

static void *sc_alloc(scratch *sc, size_t count, size_t size, int zero) {
    if (count == 0) count = 1;
    if (count > SIZE_MAX / size) return NULL;
    void *p = zero ? calloc(count, size) : malloc(count * size);
    if (p) {
        sc->now += count * size;
        if (sc->now > sc->peak) sc->peak = sc->now;
    }
    return p;
}

static void sc_free(scratch *sc, void *p, size_t count, size_t size) {
    if (!p) return;
    if (count == 0) count = 1;
    sc->now -= count * size;
    free(p);
}

/* ---- the workspace --------------------------------------------------------------------------- */

/* A block of 4×4×4 grid cells: which cells hold an atom, and where its entries start. The two
 * fields sit together so one cache line serves both. */
typedef struct block {
    uint64_t occ; /* bit lx + 4·ly + 16·lz set when that cell holds an atom */
    uint32_t off; /* first entry in the pool; the block's entries follow in bit order */
    uint32_t unused;
} block;

/* One placed atom as the search sees it: its position relative to its block's corner in single
 * precision (so neighbours are read from a few contiguous entries, not gathered from the output
 * array) and its index and species. Distances computed from these are exact to a few 1e-7 Å;
 * a pair that falls within that band of d_min is decided from the double positions. */
typedef struct entry {
    float r[3];
    uint32_t id; /* atom index << SPECIES_BITS | species */
} entry;

/* The pool is a list of chunks so that growing it never copies (and never holds two copies);
 * a block's entries never straddle a chunk. Chunks hold 2^chunk_bits entries, about N/8 (within
 * 2^10 .. 2^16), so the last, partly used chunk costs little at any N. */
#define CHUNK_BITS_MIN 10
#define CHUNK_BITS_MAX 16

typedef struct table_entry {
    uint64_t mask;   /* stencil cells inside the neighbouring block */
    ptrdiff_t boff;  /* its linear offset, valid when no axis wraps */
    long d[3];       /* its offset in blocks */
    double shift[3]; /* its corner minus the corner of the candidate's block, Å */
} table_entry;

typedef struct ws {
    scratch sc;
    double origin[3], a[3][3]; /* the box */
    double u4[3][3];           /* block edges: 4·cell[k]/g[k] */
    int pbc[3];
    long g[3];  /* grid cells along a, b, c */
    long nb[3]; /* blocks of 4 cells along a, b, c */
    size_t nblocks;
    block *blocks;  /* [nblocks] */
    entry **chunks; /* the pool: chunks of 2^chunk_bits entries */
    unsigned chunk_bits;
    uint32_t chunk_size;
    size_t nchunks, chunks_cap;
    uint32_t bump;              /* next unused pool entry */
    uint32_t free_head[NCLASS]; /* recycled segments per capacity class */
    size_t nst;                 /* stencil: cell offsets that can hold a neighbour, nearest first */
    int (*st)[3];
    long r[3];         /* largest |offset| of the stencil per axis, in cells */
    long br[3];        /* ... and in blocks */
    size_t *tab_start; /* [65] block-wise stencil: entries tab_start[l] .. tab_start[l+1] */
    table_entry *tab;  /*      for the candidate at place l inside its block */
    double dm2[CZ_AMORPHOUS_MAX_SPECIES][CZ_AMORPHOUS_MAX_SPECIES]; /* (d_min·(1+margin))² */
    /* Single-precision bands: below lo2 a clash for certain, at or above hi2 none for certain. */
    float lo2[CZ_AMORPHOUS_MAX_SPECIES][CZ_AMORPHOUS_MAX_SPECIES];
    float hi2[CZ_AMORPHOUS_MAX_SPECIES][CZ_AMORPHOUS_MAX_SPECIES];
} ws;

static void ws_free(ws *w) {
    sc_free(&w->sc, w->blocks, w->nblocks, sizeof *w->blocks);
    for (size_t i = 0; i < w->nchunks; i++)
        sc_free(&w->sc, w->chunks[i], w->chunk_size, sizeof **w->chunks);
    sc_free(&w->sc, w->chunks, w->chunks_cap, sizeof *w->chunks);
    sc_free(&w->sc, w->st, w->nst, sizeof *w->st);
    if (w->tab_start) {
        sc_free(&w->sc, w->tab, w->tab_start[64], sizeof *w->tab);
        sc_free(&w->sc, w->tab_start, 65, sizeof *w->tab_start);
    }
    w->blocks = NULL;
    w->chunks = NULL;
    w->nchunks = w->chunks_cap = 0;
    w->st = NULL;
    w->tab = NULL;
    w->tab_start = NULL;
}

static inline entry *pool_at(const ws *w, uint32_t off) {
    return w->chunks[off >> w->chunk_bits] + (off & (w->chunk_size - 1));
}

static inline size_t block_index(const ws *w, const long c[3]) {
    return (size_t)(c[0] >> 2) +
           (size_t)w->nb[0] * ((size_t)(c[1] >> 2) + (size_t)w->nb[1] * (size_t)(c[2] >> 2));
}

/* Position of p relative to the corner of the block holding cell c. */
static inline void block_rel(const ws *w, const long c[3], const double p[3], double rel[3]) {
    double b0 = (double)(c[0] >> 2), b1 = (double)(c[1] >> 2), b2 = (double)(c[2] >> 2);
    for (int k = 0; k < 3; k++)
        rel[k] = (p[k] - w->origin[k]) - (b0 * w->u4[0][k] + b1 * w->u4[1][k] + b2 * w->u4[2][k]);
}

/* ---- bit helpers ------------------------------------------------------------------------------
 */

static inline unsigned popcount64(uint64_t x) {
#if defined(__GNUC__) && defined(__POPCNT__)
    return (unsigned)__builtin_popcountll(x);
#else
    /* Without the POPCNT instruction GCC calls a library routine; the SWAR sum is faster. */
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
#endif
}

static inline unsigned ctz64(uint64_t x) {
#if defined(__GNUC__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}

/* Capacity of a block's segment holding cnt entries: 0, then powers of two from 2. */
static inline unsigned seg_cap(unsigned cnt) {
    if (cnt == 0) return 0;
    unsigned c = 2;
    while (c < cnt) c <<= 1;
    return c;
}

static inline int seg_class(unsigned cap) {
    int k = 0;
    while ((2u << k) < cap) k++;
    return k;
}

static inline long floor_div(long n, long d) { return n >= 0 ? n / d : -((-n + d - 1) / d); }

/* ---- the pool of per-block atom lists ----------------------------------------------------------
 */

static cz_status seg_alloc(ws *w, unsigned cap, uint32_t *out) {
    int k = seg_class(cap);
    if (w->free_head[k] != NO_SEGMENT) {
        /* A recycled segment stores the next free one in its first entry. */
        *out = w->free_head[k];
        w->free_head[k] = pool_at(w, *out)->id;
        return CZ_OK;
    }
    /* Segments do not straddle chunks: skip the tail of the current chunk if needed. */
    uint64_t start = w->bump;
    if ((start & (w->chunk_size - 1)) + cap > w->chunk_size)
        start = (start | (w->chunk_size - 1)) + 1;
    if (start + cap > UINT32_MAX)
        return CZ_FAIL_AS(FN, CZ_ERANGE, "the grid's entry pool exceeds 2^32 entries");
    size_t chunk = (size_t)(start >> w->chunk_bits);
    if (chunk >= w->nchunks) {
        if (w->nchunks == w->chunks_cap) {
            size_t want = w->chunks_cap ? 2 * w->chunks_cap : 16;
            entry **p = sc_alloc(&w->sc, want, sizeof *p, 0);
            if (!p) return CZ_FAIL_AS(FN, CZ_ENOMEM, "cannot allocate the pool's chunk table");
            if (w->nchunks) memcpy(p, w->chunks, w->nchunks * sizeof *p);
            sc_free(&w->sc, w->chunks, w->chunks_cap, sizeof *w->chunks);
            w->chunks = p;
            w->chunks_cap = want;
        }
        entry *c = sc_alloc(&w->sc, w->chunk_size, sizeof *c, 0);
        if (!c) return CZ_FAIL_AS(FN, CZ_ENOMEM, "cannot grow the grid's entry pool");
        w->chunks[w->nchunks++] = c;
    }
    *out = (uint32_t)start;
    w->bump = (uint32_t)(start + cap);
    return CZ_OK;
}

static void seg_release(ws *w, uint32_t o, unsigned cap) {
    int k = seg_class(cap);
    pool_at(w, o)->id = w->free_head[k];
    w->free_head[k] = o;
}

/* Record an accepted atom at p (entry id = index << 3 | species) in grid cell c. */
static cz_status grid_insert(ws *w, const long c[3], const double p[3], uint32_t id) {
    block *b = w->blocks + block_index(w, c);
    unsigned bit = (unsigned)((c[0] & 3) | (c[1] & 3) << 2 | (c[2] & 3) << 4);
    uint64_t occ = b->occ;
    if ((occ >> bit) & 1u)
        return CZ_FAIL_AS(FN, CZ_EINTERNAL, "grid cell (%ld, %ld, %ld) already holds an atom", c[0],
                          c[1], c[2]);
    unsigned cnt = popcount64(occ);
    unsigned rank = popcount64(occ & ((UINT64_C(1) << bit) - 1));
    unsigned cap = seg_cap(cnt), need = seg_cap(cnt + 1);
    if (need != cap) {
        uint32_t no = 0;
        cz_status s = seg_alloc(w, need, &no);
        if (s != CZ_OK) return s;
        if (cnt) memcpy(pool_at(w, no), pool_at(w, b->off), cnt * sizeof(entry));
        if (cap) seg_release(w, b->off, cap);
        b->off = no;
    }
    entry *seg = pool_at(w, b->off);
    memmove(seg + rank + 1, seg + rank, (cnt - rank) * sizeof *seg);
    double rel[3];
    block_rel(w, c, p, rel);
    for (int k = 0; k < 3; k++) seg[rank].r[k] = (float)rel[k];
    seg[rank].id = id;
    b->occ = occ | (UINT64_C(1) << bit);
    return CZ_OK;
}

/* ---- the clash test
 * ------------------------------------------------------------------------------ */

#define SPECIES_MASK ((1u << SPECIES_BITS) - 1)

/* Does a species-s atom at p (in cell c) come closer than d_min to an atom already placed, or
 * to one of its periodic images? */
static int clash(const ws *w, const double (*xyz)[3], const double p[3], const long c[3], int s) {
    const long bc[3] = {c[0] >> 2, c[1] >> 2, c[2] >> 2};
    const unsigned l = (unsigned)((c[0] & 3) | (c[1] & 3) << 2 | (c[2] & 3) << 4);
    /* Away from the faces no neighbouring block wraps or falls outside: use linear offsets. */
    int inner = 1;
    for (int k = 0; k < 3; k++) inner &= bc[k] >= w->br[k] && bc[k] + w->br[k] < w->nb[k];
    const size_t b0 = block_index(w, c);
    double rel[3];
    block_rel(w, c, p, rel);
    const float *lo2 = w->lo2[s], *hi2 = w->hi2[s];
    for (size_t e = w->tab_start[l]; e < w->tab_start[l + 1]; e++) {
        const table_entry *t = w->tab + e;
        const block *bb;
        long img[3] = {0, 0, 0};
        if (inner) {
            bb = w->blocks + (ptrdiff_t)b0 + t->boff;
        } else {
            long n[3];
            int outside = 0;
            for (int k = 0; k < 3; k++) {
                n[k] = bc[k] + t->d[k];
                if (n[k] >= 0 && n[k] < w->nb[k]) continue;
                if (!w->pbc[k]) {
                    outside = 1; /* beyond a non-periodic face: no atoms there */
                    break;
                }
                img[k] = floor_div(n[k], w->nb[k]);
                n[k] -= img[k] * w->nb[k];
            }
            if (outside) continue;
            bb = w->blocks + (size_t)n[0] +
                 (size_t)w->nb[0] * ((size_t)n[1] + (size_t)w->nb[1] * (size_t)n[2]);
        }
        const uint64_t occ = bb->occ;
        uint64_t m = occ & t->mask;
        if (!m) continue;
        const entry *seg = pool_at(w, bb->off);
        /* The candidate relative to the (unwrapped) neighbouring block's corner; an image of an
         * atom sits at the same offset from its image block's corner as the atom from its own. */
        const float px = (float)(rel[0] - t->shift[0]), py = (float)(rel[1] - t->shift[1]),
                    pz = (float)(rel[2] - t->shift[2]);
        while (m) {
            unsigned bit = ctz64(m);
            m &= m - 1;
            const entry *q = seg + popcount64(occ & ((UINT64_C(1) << bit) - 1));
            float dx = q->r[0] - px, dy = q->r[1] - py, dz = q->r[2] - pz;
            float d2 = dx * dx + dy * dy + dz * dz;
            unsigned sq = q->id & SPECIES_MASK;
            if (d2 >= hi2[sq]) continue;
            if (d2 < lo2[sq]) return 1;
            /* Within rounding of d_min in single precision: decide from the double positions. */
            const double *x = xyz[q->id >> SPECIES_BITS];
            double d[3];
            for (int k = 0; k < 3; k++)
                d[k] = x[k] - p[k] + (double)img[0] * w->a[0][k] + (double)img[1] * w->a[1][k] +
                       (double)img[2] * w->a[2][k];
            if (d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < w->dm2[s][sq]) return 1;
        }
    }
    return 0;
}

/* ---- candidates
 * ---------------------------------------------------------------------------------- */

typedef struct candidate {
    double p[3]; /* position, Å */
    long c[3];   /* grid cell */
} candidate;

/* Candidate `index` of the fill: fractional coordinates cz_rng_uniform(seed, stream, 3·index + k),
 * so a candidate depends on its counter only, never on what was accepted before it. */
static void draw_candidate(const ws *w, uint64_t seed, uint64_t index, candidate *cd) {
    double f[3];
    for (int a = 0; a < 3; a++) {
        f[a] = cz_rng_uniform(seed, STREAM_POSITION, 3 * index + (uint64_t)a);
        cd->c[a] = (long)(f[a] * (double)w->g[a]);
        if (cd->c[a] >= w->g[a]) cd->c[a] = w->g[a] - 1; /* f·g rounded up to g */
    }
    for (int j = 0; j < 3; j++)
        cd->p[j] = w->origin[j] + f[0] * w->a[0][j] + f[1] * w->a[1][j] + f[2] * w->a[2][j];
}

/* ---- geometry of the grid ----------------------------------------------------------------------
 */

/* Longest body diagonal of the cell spanned by rows u: max over signs of |u0 ± u1 ± u2|. */
static double cell_diameter(const double u[3][3]) {
    double best = 0.0;
    for (int sb = -1; sb <= 1; sb += 2)
        for (int sc = -1; sc <= 1; sc += 2) {
            double d[3];
            for (int k = 0; k < 3; k++) d[k] = u[0][k] + sb * u[1][k] + sc * u[2][k];
            best = fmax(best, v3_norm(d));
        }
    return best;
}

/* Solve the n×n system m·x = y (n <= 3) by Gaussian elimination with partial pivoting. */
static int solve_small(int n, double m[3][3], double y[3], double x[3]) {
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int r = col + 1; r < n; r++)
            if (fabs(m[r][col]) > fabs(m[piv][col])) piv = r;
        if (!(fabs(m[piv][col]) > 0.0)) return 0;
        if (piv != col) {
            for (int k = 0; k < n; k++) {
                double t = m[col][k];
                m[col][k] = m[piv][k];
                m[piv][k] = t;
            }
            double t = y[col];
            y[col] = y[piv];
            y[piv] = t;
        }
        for (int r = col + 1; r < n; r++) {
            double f = m[r][col] / m[col][col];
            for (int k = col; k < n; k++) m[r][k] -= f * m[col][k];
            y[r] -= f * y[col];
        }
    }
    for (int r = n - 1; r >= 0; r--) {
        double t = y[r];
        for (int k = r + 1; k < n; k++) t -= m[r][k] * x[k];
        x[r] = t / m[r][r];
    }
    return 1;
}

/* Closest approach of grid cell 0 and grid cell d (cells spanned by rows u): the distance from
 * the origin to the parallelepiped { (d + s)·u : s ∈ [−1, 1]³ }. The minimum of this convex
 * quadratic over a box lies in the relative interior of one face (the box itself, a facet, an
 * edge or a vertex), where it is the unconstrained minimum on that face's span; trying all 27
 * faces and keeping the feasible ones is exact. Slightly infeasible points are accepted, which
 * can only underestimate the distance (a larger, still correct stencil). */
static double cell_gap(const double u[3][3], const int d[3]) {
    double best = INFINITY;
    for (int pat = 0; pat < 27; pat++) {
        int mode[3] = {pat % 3, (pat / 3) % 3, pat / 9}; /* 0 free, 1 at −1, 2 at +1 */
        int fr[3], nf = 0;
        double base[3] = {0.0, 0.0, 0.0};
        for (int a = 0; a < 3; a++) {
            double coef = d[a] + (mode[a] == 1 ? -1.0 : mode[a] == 2 ? 1.0 : 0.0);
            for (int k = 0; k < 3; k++) base[k] += coef * u[a][k];
            if (mode[a] == 0) fr[nf++] = a;
        }
        double s[3] = {0.0, 0.0, 0.0};
        if (nf > 0) {
            double m[3][3], y[3];
            for (int i = 0; i < nf; i++) {
                for (int j = 0; j < nf; j++) m[i][j] = v3_dot(u[fr[i]], u[fr[j]]);
                y[i] = -v3_dot(u[fr[i]], base);
            }
            if (!solve_small(nf, m, y, s)) continue;
            int ok = 1;
            for (int i = 0; i < nf; i++) ok &= fabs(s[i]) <= 1.0 + 1e-12;
            if (!ok) continue;
        }
        double x[3] = {base[0], base[1], base[2]};
        for (int i = 0; i < nf; i++)
            for (int k = 0; k < 3; k++) x[k] += s[i] * u[fr[i]][k];
        best = fmin(best, v3_norm(x));
    }
    return best;
}

typedef struct gap_offset {
    double gap;
    int d[3];
} gap_offset;

static int cmp_gap(const void *pa, const void *pb) {
    const gap_offset *a = pa, *b = pb;
    if (a->gap != b->gap) return a->gap < b->gap ? -1 : 1;
    for (int k = 0; k < 3; k++)
        if (a->d[k] != b->d[k]) return a->d[k] < b->d[k] ? -1 : 1;
    return 0;
}

/* The stencil: every cell offset whose closest approach to cell 0 is below reach, nearest
 * first (most clashes are found in the first few cells). */
static cz_status build_stencil(ws *w, const double inv[3][3], double reach) {
    double u[3][3];
    long rmax[3];
    double total = 1.0;
    for (int a = 0; a < 3; a++) {
        for (int k = 0; k < 3; k++) u[a][k] = w->a[a][k] / (double)w->g[a];
        /* |t_a| <= |x|·|column a of u⁻¹| = |x|·g_a·|column a of cell⁻¹| for x = t·u, so offsets
         * beyond 1 + reach·g_a·|col| along axis a cannot be within reach. */
        double col = sqrt(inv[0][a] * inv[0][a] + inv[1][a] * inv[1][a] + inv[2][a] * inv[2][a]);
        double lim = floor(reach * (double)w->g[a] * col) + 1.0;
        rmax[a] = (long)lim;
        total *= 2.0 * lim + 1.0;
    }
    /* About (2·√3·ratio + 3)³ cells for a ratio of largest to smallest d_min: 2^20 allows a
     * ratio near 28 and bounds the transient memory of this step at ~25 MB. */
    if (total > (double)(1 << 20))
        return CZ_FAIL_AS(FN, CZ_ERANGE,
                          "the largest d_min (%g Å) spans %.0f grid cells: its ratio to the "
                          "smallest d_min is too large",
                          reach, total);
    size_t cap = (size_t)total, n = 0;
    gap_offset *all = sc_alloc(&w->sc, cap, sizeof *all, 0);
    if (!all) return CZ_FAIL_AS(FN, CZ_ENOMEM, "cannot allocate the stencil (%zu cells)", cap);
    for (long i = -rmax[0]; i <= rmax[0]; i++)
        for (long j = -rmax[1]; j <= rmax[1]; j++)
            for (long k = -rmax[2]; k <= rmax[2]; k++) {
                int d[3] = {(int)i, (int)j, (int)k};
                double gap = cell_gap(CZ_CROWS(u), d);
                if (gap < reach) {
                    all[n].gap = gap;
                    memcpy(all[n].d, d, sizeof d);
                    n++;
                }
            }
    qsort(all, n, sizeof *all, cmp_gap);
    w->st = sc_alloc(&w->sc, n, sizeof *w->st, 0);
    if (!w->st) {
        sc_free(&w->sc, all, cap, sizeof *all);
        return CZ_FAIL_AS(FN, CZ_ENOMEM, "cannot allocate the stencil (%zu cells)", n);
    }
    w->nst = n;
    w->r[0] = w->r[1] = w->r[2] = 0;
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++) {
            w->st[i][k] = all[i].d[k];
            if (labs((long)all[i].d[k]) > w->r[k]) w->r[k] = labs((long)all[i].d[k]);
        }
    sc_free(&w->sc, all, cap, sizeof *all);
    return CZ_OK;
}

typedef struct block_offset {
    long d2;
    int idx;
} block_offset;

static int cmp_block(const void *pa, const void *pb) {
    const block_offset *a = pa, *b = pb;
    if (a->d2 != b->d2) return a->d2 < b->d2 ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Block-wise form of the stencil: for a candidate at place l (lx + 4·ly + 16·lz) inside its
 * block and each neighbouring block (nearest blocks first), the 64-bit mask of stencil cells
 * in that block. */
static cz_status build_table(ws *w) {
    long *br = w->br, nd[3];
    for (int k = 0; k < 3; k++) {
        br[k] = (w->r[k] + 3) / 4; /* blocks reached: floor((3 + r)/4) = ceil(r/4) each way */
        nd[k] = 2 * br[k] + 1;
    }
    size_t ndense = (size_t)(nd[0] * nd[1] * nd[2]);
    uint64_t *dense = sc_alloc(&w->sc, 64 * ndense, sizeof *dense, 1);
    block_offset *order = sc_alloc(&w->sc, ndense, sizeof *order, 0);
    w->tab_start = sc_alloc(&w->sc, 65, sizeof *w->tab_start, 0);
    cz_status st = CZ_OK;
    if (!dense || !order || !w->tab_start) {
        st = CZ_FAIL_AS(FN, CZ_ENOMEM, "cannot allocate the stencil table");
        goto done;
    }
    for (unsigned l = 0; l < 64; l++) {
        long lc[3] = {l & 3, (l >> 2) & 3, (l >> 4) & 3};
        for (size_t i = 0; i < w->nst; i++) {
            long bd[3];
            unsigned bit = 0;
            for (int k = 0; k < 3; k++) {
                long n = lc[k] + w->st[i][k];
                bd[k] = floor_div(n, 4);
                bit |= (unsigned)(n - 4 * bd[k]) << (2 * k);
            }
            size_t di =
                (size_t)((bd[0] + br[0]) + nd[0] * ((bd[1] + br[1]) + nd[1] * (bd[2] + br[2])));
            dense[l * ndense + di] |= UINT64_C(1) << bit;
        }
    }
    for (size_t di = 0; di < ndense; di++) {
        long b0 = (long)(di % (size_t)nd[0]) - br[0];
        long b1 = (long)((di / (size_t)nd[0]) % (size_t)nd[1]) - br[1];
        long b2 = (long)(di / (size_t)(nd[0] * nd[1])) - br[2];
        order[di].d2 = b0 * b0 + b1 * b1 + b2 * b2;
        order[di].idx = (int)di;
    }
    qsort(order, ndense, sizeof *order, cmp_block);
    size_t count = 0;
    for (size_t i = 0; i < 64 * ndense; i++) count += dense[i] != 0;
    w->tab = sc_alloc(&w->sc, count, sizeof *w->tab, 0);
    if (!w->tab) {
        st = CZ_FAIL_AS(FN, CZ_ENOMEM, "cannot allocate the stencil table");
        goto done;
    }
    size_t e = 0;
    for (unsigned l = 0; l < 64; l++) {
        w->tab_start[l] = e;
        for (size_t i = 0; i < ndense; i++) {
            size_t di = (size_t)order[i].idx;
            uint64_t m = dense[l * ndense + di];
            if (!m) continue;
            long b0 = (long)(di % (size_t)nd[0]) - br[0];
            long b1 = (long)((di / (size_t)nd[0]) % (size_t)nd[1]) - br[1];
            long b2 = (long)(di / (size_t)(nd[0] * nd[1])) - br[2];
            w->tab[e].boff = (ptrdiff_t)(b0 + w->nb[0] * (b1 + w->nb[1] * b2));
            w->tab[e].mask = m;
            w->tab[e].d[0] = b0;
            w->tab[e].d[1] = b1;
            w->tab[e].d[2] = b2;
            for (int k = 0; k < 3; k++)
                w->tab[e].shift[k] =
                    (double)b0 * w->u4[0][k] + (double)b1 * w->u4[1][k] + (double)b2 * w->u4[2][k];
            e++;
        }
    }
    w->tab_start[64] = e;
    /* The table replaces the cell stencil from here on. */
    sc_free(&w->sc, w->st, w->nst, sizeof *w->st);
    w->st = NULL;
    w->nst = 0;
done:
    sc_free(&w->sc, dense, 64 * ndense, sizeof *dense);
    sc_free(&w->sc, order, ndense, sizeof *order);
    if (st != CZ_OK && w->tab_start) {
        sc_free(&w->sc, w->tab_start, 65, sizeof *w->tab_start);
        w->tab_start = NULL;
    }
    return st;
}

/* ---- options ------------------------------------------------------------------------------------
 */

void cz_amorphous_opts_default(cz_amorphous_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->nspecies = 1;
    o->z[0] = 6;
    o->fraction[0] = 1.0;
    for (int i = 0; i < CZ_AMORPHOUS_MAX_SPECIES; i++)
        for (int j = 0; j < CZ_AMORPHOUS_MAX_SPECIES; j++) o->d_min[i][j] = 1.4;
    o->density_g_cm3 = 2.2;
    o->density_atoms_a3 = 0.0;
    o->attempts_per_atom = 200.0;
    o->max_atoms = CZ_MAX_ATOMS;
    o->seed = 0;
    o->object_id = 0;
    o->grain_id = 0;
    o->class_id = CZ_CLASS_SUBSTRATE;
}

static cz_status check_opts(const cz_amorphous_opts *o) {
    size_t ns = o->nspecies;
    if (ns < 1 || ns > CZ_AMORPHOUS_MAX_SPECIES)
        return CZ_FAIL_AS(FN, CZ_EINVAL, "nspecies must be 1..%d (got %zu)",
                          CZ_AMORPHOUS_MAX_SPECIES, ns);
    double fsum = 0.0;
    for (size_t i = 0; i < ns; i++) {
        if (o->z[i] < 1 || o->z[i] > CZ_MAX_Z)
            return CZ_FAIL_AS(FN, CZ_EINVAL, "z[%zu] = %d is not an element (1..%d)", i, o->z[i],
                              CZ_MAX_Z);
        for (size_t j = 0; j < i; j++)
            if (o->z[j] == o->z[i])
                return CZ_FAIL_AS(FN, CZ_EINVAL, "z[%zu] = z[%zu] = %d: species must be distinct",
                                  j, i, o->z[i]);
        if (!isfinite(o->fraction[i]) || o->fraction[i] < 0.0)
            return CZ_FAIL_AS(FN, CZ_EINVAL, "fraction[%zu] must be finite and >= 0 (got %g)", i,
                              o->fraction[i]);
        fsum += o->fraction[i];
    }
    if (!(fsum > 0.0)) return CZ_FAIL_AS(FN, CZ_EINVAL, "fractions must not all be zero");
    for (size_t i = 0; i < ns; i++)
        for (size_t j = 0; j < ns; j++) {
            double d = o->d_min[i][j];
            if (!isfinite(d) || !(d > 0.0))
                return CZ_FAIL_AS(FN, CZ_EINVAL, "d_min[%zu][%zu] must be finite and > 0 (got %g)",
                                  i, j, d);
            if (d != o->d_min[j][i])
                return CZ_FAIL_AS(FN, CZ_EINVAL,
                                  "d_min must be symmetric: d_min[%zu][%zu] = %g but "
                                  "d_min[%zu][%zu] = %g",
                                  i, j, d, j, i, o->d_min[j][i]);
        }
    if (!isfinite(o->density_g_cm3) || o->density_g_cm3 < 0.0)
        return CZ_FAIL_AS(FN, CZ_EINVAL, "density_g_cm3 must be finite and >= 0 (got %g)",
                          o->density_g_cm3);
    if (!isfinite(o->density_atoms_a3) || o->density_atoms_a3 < 0.0)
        return CZ_FAIL_AS(FN, CZ_EINVAL, "density_atoms_a3 must be finite and >= 0 (got %g)",
                          o->density_atoms_a3);
    if ((o->density_g_cm3 > 0.0) == (o->density_atoms_a3 > 0.0))
        return CZ_FAIL_AS(FN, CZ_EINVAL,
                          "give exactly one density > 0 (got density_g_cm3 = %g, "
                          "density_atoms_a3 = %g)",
                          o->density_g_cm3, o->density_atoms_a3);
    if (!isfinite(o->attempts_per_atom) || !(o->attempts_per_atom >= 1.0))
        return CZ_FAIL_AS(FN, CZ_EINVAL, "attempts_per_atom must be finite and >= 1 (got %g)",
                          o->attempts_per_atom);
    if (o->class_id < 0 || o->class_id > CZ_CLASS_LIGAND)
        return CZ_FAIL_AS(FN, CZ_EINVAL, "class_id must be 0..3 (got %d)", o->class_id);
    return CZ_OK;
}

/* Shortest non-zero translation n·cell with integer n on the periodic axes only, if it is
 * shorter than `reach` (else INFINITY). */
static cz_status shortest_period(const double a[3][3], const double inv[3][3], const int pbc[3],
                                 double reach, double *len, long best_n[3]) {
    long lim[3];
    double total = 1.0;
    for (int k = 0; k < 3; k++) {
        double col = sqrt(inv[0][k] * inv[0][k] + inv[1][k] * inv[1][k] + inv[2][k] * inv[2][k]);
        /* n_k = T·(column k of cell⁻¹), so |n_k| <= |T|·|column|. */
        double l = pbc[k] ? floor(reach * col) : 0.0;
        if (l > 1000.0) l = 1000.0;
        lim[k] = (long)l;
        total *= 2.0 * l + 1.0;
    }
    *len = INFINITY;
    if (total > 1e6)
        return CZ_FAIL_AS(FN, CZ_EINVAL,
                          "periodic box far thinner than d_min (%.0f translations shorter than "
                          "%g Å): atoms would overlap their own images",
                          total, reach);
    for (long i = -lim[0]; i <= lim[0]; i++)
        for (long j = -lim[1]; j <= lim[1]; j++)
            for (long k = -lim[2]; k <= lim[2]; k++) {
                if (!i && !j && !k) continue;
                double t[3];
                for (int c = 0; c < 3; c++)
                    t[c] = (double)i * a[0][c] + (double)j * a[1][c] + (double)k * a[2][c];
                double l = v3_norm(t);
                /* T and −T are equally long; report the one whose first non-zero index is
                 * positive, as a person would write it. */
                int canon = i > 0 || (i == 0 && (j > 0 || (j == 0 && k > 0)));
                if (l < *len || (l == *len && canon)) {
                    *len = l;
                    best_n[0] = i;
                    best_n[1] = j;
                    best_n[2] = k;
                }
            }
    return CZ_OK;
}

/* ---- the fill ----------------------------------------------------------------------------------
 */

cz_status cz_amorphous_fill(const double origin[3], const double cell[3][3], const int pbc[3],
                            const cz_amorphous_opts *opts, cz_atoms **out,
                            cz_amorphous_stats *stats) {
    if (out) *out = NULL;
    if (stats) memset(stats, 0, sizeof *stats);
    if (!origin || !cell || !pbc || !out)
        return CZ_FAIL(CZ_EINVAL, "origin, cell, pbc and out must not be NULL");
    cz_amorphous_opts o;
    if (opts)
        o = *opts;
    else
        cz_amorphous_opts_default(&o);
    cz_status st = check_opts(&o);
    if (st != CZ_OK) return st;
    if (!v3_finite(origin))
        return CZ_FAIL(CZ_EINVAL, "origin must be finite (got %g, %g, %g)", origin[0], origin[1],
                       origin[2]);
    if (!m3_finite(cell)) return CZ_FAIL(CZ_EINVAL, "cell must be finite");
    double inv[3][3];
    double vol = fabs(m3_det(cell));
    if (!m3_inverse(cell, inv)) return CZ_FAIL(CZ_EINVAL, "cell is singular (volume %g Å³)", vol);
    const int ns = (int)o.nspecies;

    /* Number density: a mass density needs the composition's mean atomic mass. */
    double fsum = 0.0, msum = 0.0;
    for (int i = 0; i < ns; i++) {
        fsum += o.fraction[i];
        msum += o.fraction[i] * cz_element_mass(o.z[i]);
    }
    double ndens = o.density_atoms_a3 > 0.0 ? o.density_atoms_a3
                                            : o.density_g_cm3 * 0.602214076 / (msum / fsum);
    double nreal = ndens * vol;
    size_t cap = o.max_atoms < CZ_MAX_ATOMS ? o.max_atoms : CZ_MAX_ATOMS;
    if (!(nreal < (double)cap + 0.5))
        return CZ_FAIL(CZ_ERANGE,
                       "%.6g atoms (%g atoms/Å³ × %g Å³) exceed the cap of %zu atoms (%s)", nreal,
                       ndens, vol, cap, o.max_atoms < CZ_MAX_ATOMS ? "max_atoms" : "CZ_MAX_ATOMS");
    const size_t n = (size_t)llround(nreal);

    /* Species counts by largest remainder, so they sum to n exactly. */
    size_t count[CZ_AMORPHOUS_MAX_SPECIES], given = 0;
    double rem[CZ_AMORPHOUS_MAX_SPECIES];
    for (int i = 0; i < ns; i++) {
        double want = (double)n * o.fraction[i] / fsum;
        count[i] = (size_t)floor(want);
        if (count[i] > n) count[i] = n;
        rem[i] = want - (double)count[i];
        given += count[i];
    }
    while (given < n) {
        int best = -1;
        for (int i = 0; i < ns; i++)
            if (o.fraction[i] > 0.0 && (best < 0 || rem[i] > rem[best])) best = i;
        count[best]++;
        rem[best] = -1.0;
        given++;
    }
    while (given > n) { /* only reachable through rounding of want above */
        int best = 0;
        for (int i = 1; i < ns; i++)
            if (count[i] > count[best]) best = i;
        count[best]--;
        given--;
    }

    /* Distances among the species actually placed. */
    double dsmall = INFINITY, dlarge = 0.0;
    for (int i = 0; i < ns; i++)
        for (int j = 0; j < ns; j++)
            if (count[i] && count[j]) {
                dsmall = fmin(dsmall, o.d_min[i][j]);
                dlarge = fmax(dlarge, o.d_min[i][j]);
            }

    int per[3] = {pbc[0] != 0, pbc[1] != 0, pbc[2] != 0};
    cz_atoms *atoms = NULL;
    ws w;
    memset(&w, 0, sizeof w);
    for (int k = 0; k < NCLASS; k++) w.free_head[k] = NO_SEGMENT;
    memcpy(w.origin, origin, sizeof w.origin);
    memcpy(w.a, cell, sizeof w.a);
    memcpy(w.pbc, per, sizeof w.pbc);
    uint64_t attempts = 0;
    double diam = 0.0;

    if (n > 0) {
        /* An atom must not meet its own periodic image. */
        double self = 0.0;
        for (int i = 0; i < ns; i++)
            if (count[i]) self = fmax(self, o.d_min[i][i]);
        double plen;
        long pn[3] = {0, 0, 0};
        st = shortest_period(cell, CZ_CROWS(inv), per, self * (1.0 + 1e-6), &plen, pn);
        if (st != CZ_OK) return st;
        for (int i = 0; i < ns; i++)
            if (count[i] && plen < o.d_min[i][i] * (1.0 + DMIN_MARGIN))
                return CZ_FAIL(CZ_EINVAL,
                               "periodic translation (%ld, %ld, %ld)·cell is %g Å long, shorter "
                               "than d_min(%s–%s) = %g Å: an atom would overlap its own image",
                               pn[0], pn[1], pn[2], plen, cz_element_symbol(o.z[i]),
                               cz_element_symbol(o.z[i]), o.d_min[i][i]);

        /* Grid: cells whose diameter stays below the smallest d_min hold at most one atom. Start
         * from the cube rule (edge d/√3) and refine the longest edges while a skewed cell's body
         * diagonal is still too long. */
        double target = dsmall * (1.0 - DIAM_MARGIN);
        double gd[3];
        for (int k = 0; k < 3; k++) gd[k] = fmax(1.0, ceil(v3_norm(cell[k]) * sqrt(3.0) / target));
        for (int iter = 0;; iter++) {
            double u[3][3];
            for (int a = 0; a < 3; a++)
                for (int k = 0; k < 3; k++) u[a][k] = cell[a][k] / gd[a];
            diam = cell_diameter(CZ_CROWS(u));
            if (diam <= target || gd[0] * gd[1] * gd[2] > 1e18 || iter > 10000) break;
            double ratio = diam / target, lmax = 0.0;
            for (int a = 0; a < 3; a++) lmax = fmax(lmax, v3_norm(u[a]));
            for (int a = 0; a < 3; a++)
                if (v3_norm(u[a]) >= 0.5 * lmax) gd[a] = fmax(gd[a] + 1.0, ceil(gd[a] * ratio));
        }
        /* Along periodic axes the grid is a whole number of blocks, so that blocks tile the
         * period. Finer cells never have a longer diagonal: max over signs of |v ± t·u| grows
         * with |t|. */
        for (int k = 0; k < 3; k++)
            if (per[k]) gd[k] = 4.0 * ceil(gd[k] / 4.0);
        {
            double u[3][3];
            for (int a = 0; a < 3; a++)
                for (int k = 0; k < 3; k++) u[a][k] = cell[a][k] / gd[a];
            diam = cell_diameter(CZ_CROWS(u));
        }
        double cells = gd[0] * gd[1] * gd[2];
        double blocks = ceil(gd[0] / 4.0) * ceil(gd[1] / 4.0) * ceil(gd[2] / 4.0);
        if (!(blocks <= 16.0 * (double)n + (double)(1 << 20)))
            return CZ_FAIL(CZ_ERANGE,
                           "a search grid of %.3g cells would be needed for %zu atoms: d_min = "
                           "%g Å is far below the mean atomic spacing %g Å",
                           cells, n, dsmall, cbrt(vol / (double)n));
        if (!(diam <= target))
            return CZ_FAIL(CZ_EINTERNAL, "grid refinement did not converge (diameter %g Å)", diam);
        if ((double)n > cells)
            return CZ_FAIL(CZ_ERANGE,
                           "%zu atoms cannot be packed: with d_min = %g Å no two atoms fit in one "
                           "of the %.0f grid cells (diameter %g Å)",
                           n, dsmall, cells, diam);
        for (int k = 0; k < 3; k++) {
            w.g[k] = (long)gd[k];
            w.nb[k] = (w.g[k] + 3) / 4;
        }
        w.nblocks = (size_t)blocks;
        double ext = 0.0; /* longest path along a block's edges: bounds |offset from corner| */
        for (int a = 0; a < 3; a++) {
            for (int k = 0; k < 3; k++) w.u4[a][k] = 4.0 * cell[a][k] / gd[a];
            ext += v3_norm(w.u4[a]);
        }

        /* Reach of the stencil: the largest d_min plus a hair for rounding of cell indices. */
        double scale = fabs(origin[0]) + fabs(origin[1]) + fabs(origin[2]) + v3_norm(cell[0]) +
                       v3_norm(cell[1]) + v3_norm(cell[2]);
        double reach = dlarge * (1.0 + 1e-9) + 1e-9 * scale;

        /* Error bound of a single-precision distance: each coordinate of an entry (|.| <= ext)
         * and of the candidate relative to a neighbouring block's corner (<= reach + 2 ext) is
         * rounded once, and so is their difference (<= reach + 3 ext); the double offsets they
         * come from carry ~1e-16 of the absolute coordinates. The squared sum adds three float
         * roundings (< 1e-6 relative, thresholds included). */
        double err = sqrt(3.0) * (0x1.0p-24 * (2.0 * reach + 6.0 * ext) + 1e-15 * scale);
        for (int i = 0; i < ns; i++)
            for (int j = 0; j < ns; j++) {
                double d = o.d_min[i][j] * (1.0 + DMIN_MARGIN);
                w.dm2[i][j] = d * d;
                double lo = fmax(d - err, 0.0), hi = d + err;
                w.lo2[i][j] = (float)(lo * lo * (1.0 - 1e-6));
                w.hi2[i][j] = (float)(hi * hi * (1.0 + 1e-6));
            }
        if ((st = build_stencil(&w, CZ_CROWS(inv), reach)) != CZ_OK) goto fail;
        if ((st = build_table(&w)) != CZ_OK) goto fail;
        w.chunk_bits = CHUNK_BITS_MIN;
        while (w.chunk_bits < CHUNK_BITS_MAX && ((size_t)1 << (w.chunk_bits + 3)) < n)
            w.chunk_bits++;
        w.chunk_size = (uint32_t)1 << w.chunk_bits;
        w.blocks = sc_alloc(&w.sc, w.nblocks, sizeof *w.blocks, 1);
        if (!w.blocks) {
            st = CZ_FAIL(CZ_ENOMEM, "cannot allocate the search grid (%zu blocks)", w.nblocks);
            goto fail;
        }
    }

    if ((st = cz_atoms_create(n, &atoms)) != CZ_OK) goto fail;

    /* Placement order of the species: an exact multiset, shuffled (Fisher–Yates) so that no
     * species is placed systematically before another. The modulo bias is below 2^-35. */
    {
        size_t k = 0;
        for (int i = 0; i < ns; i++)
            for (size_t c = 0; c < count[i]; c++) atoms->z[k++] = i;
        if (ns > 1)
            for (size_t i = n; i-- > 1;) {
                size_t j = (size_t)(cz_rng_u64(o.seed, STREAM_SPECIES, i) % (uint64_t)(i + 1));
                int t = atoms->z[i];
                atoms->z[i] = atoms->z[j];
                atoms->z[j] = t;
            }
    }

    if (n > 0) {
        double budget_d = ceil(o.attempts_per_atom * (double)n);
        uint64_t budget = budget_d > 4e18 ? UINT64_C(4000000000000000000) : (uint64_t)budget_d;
        if (budget < 1000) budget = 1000;
        /* For the message only: volume fraction of spheres of diameter d_min(s, s). */
        double packing = 0.0;
        for (int i = 0; i < ns; i++)
            packing += (double)count[i] * 0.5235987755982988 * pow(o.d_min[i][i], 3.0) / vol;
        const double(*xyz)[3] = (const double(*)[3])atoms->xyz;
        for (size_t k = 0; k < n; k++) {
            int s = atoms->z[k]; /* species index until the labels are written below */
            candidate cd;
            for (;;) {
                if (attempts == budget) {
                    st = CZ_FAIL(CZ_ERANGE,
                                 "placed only %zu of %zu atoms after %llu candidates "
                                 "(attempts_per_atom = %g): the density %g atoms/Å³ is too high "
                                 "for random sequential addition at these d_min (spheres of "
                                 "diameter d_min would fill %.3f of the volume; random sequential "
                                 "addition jams near 0.38)",
                                 k, n, (unsigned long long)attempts, o.attempts_per_atom, ndens,
                                 packing);
                    goto fail;
                }
                draw_candidate(&w, o.seed, attempts++, &cd);
                if (!clash(&w, xyz, cd.p, cd.c, s)) break;
            }
            st = grid_insert(&w, cd.c, cd.p, (uint32_t)(k << SPECIES_BITS) | (uint32_t)s);
            if (st != CZ_OK) goto fail;
            memcpy(atoms->xyz[k], cd.p, sizeof cd.p);
        }
    }

    for (size_t k = 0; k < n; k++) {
        atoms->z[k] = o.z[atoms->z[k]];
        atoms->object_id[k] = o.object_id;
        atoms->grain_id[k] = o.grain_id;
        atoms->class_id[k] = o.class_id;
    }
    atoms->n = n;
    if (per[0] || per[1] || per[2]) {
        memcpy(atoms->cell, cell, sizeof atoms->cell);
        memcpy(atoms->pbc, per, sizeof atoms->pbc);
    }
    if (stats) {
        stats->natoms = n;
        stats->attempts = (size_t)attempts;
        for (int k = 0; k < 3; k++) stats->grid[k] = (size_t)w.g[k];
        stats->cell_diameter = diam;
        stats->scratch_peak_bytes = w.sc.peak;
    }
    ws_free(&w);
    *out = atoms;
    return CZ_OK;
fail:
    ws_free(&w);
    cz_atoms_destroy(atoms);
    return st;
}
