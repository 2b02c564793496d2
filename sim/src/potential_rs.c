/* potential_rs.c — real-space projected potential (CZ_SIM_POTENTIAL_REALSPACE).
 *
 * Each atom adds its projected potential v_z(r) (Kirkland 2010 eq. C.20, or Lobato 2014), read
 * from a per-species table, to every pixel centre within its cutoff radius: sampling is exact at
 * any sub-pixel position and periodic images come from wrapping the footprint around the cell.
 * The grid potential therefore equals the parametrised sum pointwise, where the particle mesh
 * (plan.c) is band-limited at the grid's Nyquist frequency and rings along the grid axes.
 *
 * Table. Linear interpolation in s = r² on geometrically spaced nodes read off the float bits of
 * s (RS_SHIFT below): no sqrt or log per pixel, 128 nodes per octave of s, about 2100 per species
 * (17 KB, in L1). A table uniform in s would need ~10⁶ nodes to resolve the logarithmic core, one
 * uniform in r a sqrt per pixel.
 *
 * Cutoff. Per species, R_t is the radius beyond which the profile holds CZI_RS_TAIL (1e-4) of
 * its integral F(0) (closed forms in K0, K1, K2, params.c): about 3.6 Å for C, 3.9 Å for Au,
 * up to 9 Å for the alkali metals. Inside R_t the table is v_z itself. On [R_t, R_c],
 * R_c = R_t + CZI_RS_TAPER, it is v_z·cos²(πs/2) + c·sin²(πs), s = (r − R_t)/(R_c − R_t): C¹ at
 * both ends (no step for the FFT to ring on), and c is chosen so that the annulus holds the
 * whole tail's mass. The profile's integral is therefore F(0) and the truncation only moves
 * 1e-4 of it by less than 1 Å outward-in: any Fourier component changes by less than
 * 2e-4·F(0), and v_z is unchanged for r < R_t.
 *
 * Core. Point values of the logarithmic core do not integrate to its mass. Inside
 * r_min = e^{−1/2}·sqrt(dx·dy/π) (the radius at which a logarithm equals its average over a disc
 * of one pixel's area) the table holds v_z(r_min). The mass the sampled values still miss — the
 * core's, plus aliasing, about 2e-3 of F(0) at 0.05 Å and 3e-2 at 0.16 Å — is measured per atom
 * as F(0)/(dx·dy) minus the sum of the values it added, and added to the four pixels around the
 * atom with bilinear weights (centroid at the atom). Every atom's grid sum is thus exactly F(0),
 * and pixels farther than √2 pixels from an atom keep their exact samples.
 *
 * Threads. Rows are processed in blocks of CZI_FFT_BLOCK; each block visits the atoms in their
 * (fixed) slice order and records each atom's partial sum for that block, so every pixel
 * receives its contributions in the same order and every sum is formed the same way for any
 * thread count. The core corrections are then added serially. Partial sums use eight fixed
 * lanes, so the AVX-512, AVX2 and SSE2 clones give the same bits. */
#include "potential_rs.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "params.h"
#include "plan.h"

static const double PI = 3.14159265358979323846;

#ifdef _OPENMP
/* Atoms are often clustered (a particle on a support), so row blocks are handed out
 * dynamically; which thread runs a block does not change what the block computes. */
#define RS_OMP_FOR(nt) CZI_PRAGMA(omp parallel for num_threads(nt) schedule(dynamic))
#else
#define RS_OMP_FOR(nt) (void)(nt);
#endif

/* Pixels per chunk of the row kernel (a stack buffer of values). */
#define RS_CHUNK 256

/* Table nodes are the floats s_i whose bit patterns are (base + i)·2^RS_SHIFT: the bits of
 * s = r² above RS_SHIFT are the node index plus base and the bits below are the fraction for
 * linear interpolation in s. The nodes are spaced geometrically, 2^(23 − RS_SHIFT) = 128 per
 * octave of s (relative spacing ≤ 1/128): fine where the core needs it, coarse in the tail, and
 * found without a sqrt or a log. Interpolation error: δ²A/16 near the core (v ≈ −(A/2) ln s),
 * 3e-6 of v_z at 0.1 Å for Au; δ²sκ²/32 in an e^{−κr} tail, 1.5e-4 at 3 Å. */
#define RS_SHIFT 16

typedef struct rs_species {
    double rc;       /* cutoff radius, Å */
    double target;   /* F(0)/(dx·dy): the atom's grid sum, V·Å */
    float smin;      /* s_0 = r_min² rounded down to a node: s is clamped to it */
    int base;        /* bits of s_0 >> RS_SHIFT */
    int n;           /* nodes 0..n; node n is the first at or beyond R_c², and 0 */
    float *tv, *td;  /* [n + 1]: value at s_i and difference to node i + 1 (0 at n) */
    double *dv, *dd; /* the same in double precision, or NULL */
} rs_species;

static float node_s(int bits_hi) {
    uint32_t b = (uint32_t)bits_hi << RS_SHIFT;
    float f;
    memcpy(&f, &b, sizeof f);
    return f;
}

static int node_hi(float s) {
    uint32_t b;
    memcpy(&b, &s, sizeof b);
    return (int)(b >> RS_SHIFT);
}

/* One horizontal segment of an atom's footprint over a run of rows: footprint columns
 * [klo, khi] (column k at x = x0 + k·dx from the atom; dst points to column klo of the first
 * row), rows j0 … j0 + nrows − 1 (unwrapped, row stride ld). */
typedef struct rs_run {
    float *dst;
    size_t ld;
    long j0;
    int nrows, klo, khi;
    double v, dy;                     /* the atom's row position (pixels) and the row spacing, Å */
    float x0, fdx, uoff, rc2, inv_dx; /* uoff: the atom's column in footprint columns */
} rs_run;

/* Add the profile to the pixels of a run that lie within R_c and return the sum of the values
 * added. Each row is limited to the chord of the disc (computed with a one-pixel margin: pixels
 * beyond R_c add exactly 0, so the margin changes no result). A pixel's x depends only on its
 * footprint column and its dy only on its row, never on how rows and segments were grouped.
 * Indices are int: converting a 64-bit integer to float does not vectorise below AVX-512DQ. */
typedef double (*rs_run_fn)(const rs_run *run, const rs_species *sp);

/* Profile values of m pixels of a row (footprint columns k0 …) into val. m is a multiple of 16
 * (callers pad: pixels beyond R_c give exactly 0), so no vector width needs a scalar epilogue,
 * which on 40-pixel rows cost as much as the vector loop. */
static inline __attribute__((always_inline)) void chunk_body(float *restrict val, int m, int k0,
                                                             float x0, float fdx, float dy2,
                                                             const rs_species *sp) {
    const float *restrict tv = sp->tv, *restrict td = sp->td;
    const float smin = sp->smin, scale = 1.0f / (float)(1 << RS_SHIFT);
    const int base = sp->base, nmax = sp->n;
    for (int k = 0; k < m; k++) {
        float x = x0 + (float)(k0 + k) * fdx;
        float s = x * x + dy2;
        s = s > smin ? s : smin;
        uint32_t bits;
        memcpy(&bits, &s, sizeof bits);
        int i = (int)(bits >> RS_SHIFT) - base;
        i = i < nmax ? i : nmax;
        val[k] = tv[i] + (float)(int)(bits & ((1u << RS_SHIFT) - 1)) * scale * td[i];
    }
}

static inline __attribute__((always_inline)) double run_body(const rs_run *run,
                                                             const rs_species *sp) {
    float val[RS_CHUNK];
    double total = 0.0;
    for (int r = 0; r < run->nrows; r++) {
        float fdy = (float)(((double)(run->j0 + r) - run->v) * run->dy), dy2 = fdy * fdy;
        float rem = run->rc2 - dy2;
        if (!(rem >= 0.0f)) continue;
        float cx = sqrtf(rem) * run->inv_dx + 1.0f, lo = run->uoff - cx, hi = run->uoff + cx;
        int ka = lo > (float)run->klo ? (int)lo : run->klo;
        int kz = hi < (float)run->khi ? (int)hi + 1 : run->khi;
        float *restrict d = run->dst + (size_t)r * run->ld - run->klo;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int c = ka; c <= kz; c += RS_CHUNK) {
            int m = kz - c + 1 < RS_CHUNK ? kz - c + 1 : RS_CHUNK;
            chunk_body(val, (m + 15) & ~15, c, run->x0, run->fdx, dy2, sp);
            float *restrict dc = d + c;
            for (int k = 0; k < m; k++) dc[k] += val[k];
            /* Eight fixed lanes: the same sums whatever the vector width. */
            int k = 0;
            for (; k + 8 <= m; k += 8)
                for (int l = 0; l < 8; l++) acc[l] += val[k + l];
            for (int l = 0; k < m; k++, l++) acc[l] += val[k];
        }
        total += (double)(((acc[0] + acc[1]) + (acc[2] + acc[3])) +
                          ((acc[4] + acc[5]) + (acc[6] + acc[7])));
    }
    return total;
}

/* The same body compiled for baseline x86-64 and for AVX2 and AVX-512 with the tuning of CPUs
 * that have fast gathers (GCC's generic tuning emulates the two table lookups with scalar
 * loads, 2–3× slower here). -ffp-contract=off: every variant does the same IEEE operations per
 * pixel, so all give the same bits; the variant is chosen once per plan. */
static double run_default(const rs_run *run, const rs_species *sp) { return run_body(run, sp); }

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RS_DISPATCH 1
__attribute__((target("avx2,tune=haswell"))) static double run_avx2(const rs_run *run,
                                                                    const rs_species *sp) {
    return run_body(run, sp);
}
__attribute__((target("avx512f,tune=skylake-avx512,prefer-vector-width=512"))) static double
run_avx512(const rs_run *run, const rs_species *sp) {
    return run_body(run, sp);
}
#endif

static rs_run_fn pick_kernel(void) {
#ifdef RS_DISPATCH
    if (__builtin_cpu_supports("avx512f")) return run_avx512;
    if (__builtin_cpu_supports("avx2")) return run_avx2;
#endif
    return run_default;
}

static double segment_d(double *restrict dst, int n, int k0, double x0, double dx, double dy2,
                        const rs_species *sp) {
    const double *tv = sp->dv, *td = sp->dd;
    double total = 0.0;
    for (int k = 0; k < n; k++) {
        double x = x0 + (double)(k0 + k) * dx, s = x * x + dy2;
        s = s > sp->smin ? s : sp->smin;
        int hi = node_hi((float)s), i = hi - sp->base;
        double y = 0.0;
        if (i < sp->n) {
            double s0 = node_s(hi), s1 = node_s(hi + 1);
            y = tv[i] + (s - s0) / (s1 - s0) * td[i];
        }
        dst[k] += y;
        total += y;
    }
    return total;
}

/* Geometry of one atom of the current slice, in pixel units. */
typedef struct rs_atom {
    double u, v;      /* position */
    long jlo, jhi;    /* rows of the footprint (unwrapped) */
    long ilo;         /* first column of the footprint's widest row (unwrapped): x origin */
    long bfirst, nbt; /* first row block touched (wrapped) and the number of blocks touched */
    unsigned sp;
} rs_atom;

struct czi_rs {
    size_t nspec, nrb, nbpa, maxatoms;
    rs_species *sp;
    float *ftab;
    double *dtab;
    rs_atom *atoms;   /* [maxatoms] */
    double *psum;     /* [maxatoms][nbpa]: an atom's sum over row block bfirst + d at d */
    rs_run_fn kernel; /* the row kernel for this CPU */
};

void czi_rs_radii(int z, cz_sim_param param, double *rt, double *rc) {
    /* The tail mass decreases monotonically: bisection on [0.1, 40] Å. */
    double f0 = czi_scatt(z, param, 0.0), lo = 0.1, hi = 40.0;
    for (int it = 0; it < 60; it++) {
        double mid = 0.5 * (lo + hi);
        if (czi_vz_tail(z, param, mid) > CZI_RS_TAIL * f0)
            lo = mid;
        else
            hi = mid;
    }
    *rt = hi;
    *rc = hi + CZI_RS_TAPER;
}

/* 8-point Gauss–Legendre on [−1, 1] (symmetric half). */
static const double GLX[4] = {0.18343464249564980, 0.52553240991632899, 0.79666647741362674,
                              0.96028985649753623};
static const double GLW[4] = {0.36268378337836198, 0.31370664587788727, 0.22238103445337447,
                              0.10122853629037626};

/* ∫_{rt}^{rc} g(r) 2πr dr for g = v_z·cos²(πs/2) (which = 0) or sin²(πs) (which = 1). */
static double annulus_integral(int z, cz_sim_param param, double rt, double rc, int which) {
    const int npanel = 32;
    double w = (rc - rt) / npanel, sum = 0.0;
    for (int k = 0; k < npanel; k++) {
        double mid = rt + (k + 0.5) * w;
        for (int q = 0; q < 4; q++)
            for (int sg = -1; sg <= 1; sg += 2) {
                double r = mid + sg * 0.5 * w * GLX[q], s = (r - rt) / (rc - rt), g;
                if (which == 0) {
                    double c = cos(0.5 * PI * s);
                    g = czi_vz(z, param, r) * c * c;
                } else {
                    double sn = sin(PI * s);
                    g = sn * sn;
                }
                sum += GLW[q] * g * 2.0 * PI * r;
            }
    }
    return sum * 0.5 * w;
}

/* The profile at radius r: v_z inside R_t, the mass-conserving taper on [R_t, R_c], 0 beyond. */
static double profile(int z, cz_sim_param param, double r, double rt, double rc, double cb) {
    if (r >= rc) return 0.0;
    double f = czi_vz(z, param, r);
    if (r > rt) {
        double x = (r - rt) / (rc - rt), c = cos(0.5 * PI * x), sn = sin(PI * x);
        f = f * c * c + cb * sn * sn;
    }
    return f;
}

/* Node range of a species (s_0 and n), before its storage is attached. */
static void species_nodes(rs_species *s, double rc, double dx, double dy) {
    double rmin = exp(-0.5) * sqrt(dx * dy / PI);
    s->base = node_hi((float)(rmin * rmin));
    s->smin = node_s(s->base);
    s->n = node_hi((float)(rc * rc)) + 1 - s->base;
    /* Footprints reach to node n, the first node at or beyond R_c²: pixels beyond it read node n
     * (value and slope 0) and add exactly 0, so how far a row is evaluated never matters. */
    s->rc = sqrt((double)node_s(s->base + s->n));
}

/* Fill the tables of one species (nodes set, storage attached). */
static void build_species(rs_species *s, int z, cz_sim_param param, double dx, double dy) {
    double rt, rc;
    czi_rs_radii(z, param, &rt, &rc);
    /* Taper constant: the annulus [R_t, R_c] holds the tail mass beyond R_t. */
    double cb = (czi_vz_tail(z, param, rt) - annulus_integral(z, param, rt, rc, 0)) /
                annulus_integral(z, param, rt, rc, 1);
    s->target = czi_scatt(z, param, 0.0) / (dx * dy);
    double prev = 0.0;
    for (int i = 0; i <= s->n; i++) {
        double f =
            i == s->n ? 0.0 : profile(z, param, sqrt((double)node_s(s->base + i)), rt, rc, cb);
        if (i > 0) {
            s->td[i - 1] = (float)(f - prev);
            if (s->dd) s->dd[i - 1] = f - prev;
        }
        s->tv[i] = (float)f;
        if (s->dv) s->dv[i] = f;
        prev = f;
    }
    s->td[s->n] = 0.0f;
    if (s->dd) s->dd[s->n] = 0.0;
}

void czi_rs_free(cz_sim_plan *p) {
    struct czi_rs *rs = p->rs;
    if (!rs) return;
    free(rs->sp);
    free(rs->ftab);
    free(rs->dtab);
    free(rs->atoms);
    free(rs->psum);
    free(rs);
    p->rs = NULL;
}

cz_status czi_rs_prepare(cz_sim_plan *p, int dbl) {
    czi_rs_free(p);
    struct czi_rs *rs = calloc(1, sizeof *rs);
    if (!rs) return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory");
    p->rs = rs;
    rs->nspec = p->nspec;
    rs->nrb = (p->ny + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK;
    rs->kernel = pick_kernel();
    rs->sp = calloc(p->nspec ? p->nspec : 1, sizeof *rs->sp);
    if (!rs->sp) goto nomem;
    size_t ntot = 0;
    double rcmax = 0.0;
    for (size_t k = 0; k < p->nspec; k++) {
        double rt, rc;
        czi_rs_radii(p->spec_z[k], p->opts.param, &rt, &rc);
        species_nodes(&rs->sp[k], rc, p->dx, p->dy);
        ntot += (size_t)rs->sp[k].n + 1;
        if (rs->sp[k].rc > rcmax) rcmax = rs->sp[k].rc;
    }
    rs->ftab = malloc(2 * (ntot ? ntot : 1) * sizeof *rs->ftab);
    if (dbl) rs->dtab = malloc(2 * (ntot ? ntot : 1) * sizeof *rs->dtab);
    size_t maxat = 0;
    for (size_t s = 0; s < p->nslices; s++) {
        size_t na = p->slice_start[s + 1] - p->slice_start[s];
        if (na > maxat) maxat = na;
    }
    /* Rows an atom's footprint spans, and so row blocks it touches (at most): a run of S rows
     * meets ⌈S/blk⌉ + 1 blocks, and one more when it wraps across the periodic edge of a grid
     * whose height is not a multiple of the block (the partial last block, then block 0). */
    size_t smax = (size_t)(2.0 * rcmax / p->dy) + 2;
    rs->nbpa = (smax + CZI_FFT_BLOCK - 1) / CZI_FFT_BLOCK + 2;
    if (rs->nbpa > rs->nrb) rs->nbpa = rs->nrb;
    rs->maxatoms = maxat;
    rs->atoms = malloc((maxat ? maxat : 1) * sizeof *rs->atoms);
    rs->psum = malloc((maxat ? maxat : 1) * rs->nbpa * sizeof *rs->psum);
    if (!rs->ftab || (dbl && !rs->dtab) || !rs->atoms || !rs->psum) goto nomem;
    size_t off = 0;
    for (size_t k = 0; k < p->nspec; k++) {
        rs_species *s = &rs->sp[k];
        size_t len = (size_t)s->n + 1;
        s->tv = rs->ftab + 2 * off;
        s->td = s->tv + len;
        if (dbl) {
            s->dv = rs->dtab + 2 * off;
            s->dd = s->dv + len;
        }
        build_species(s, p->spec_z[k], p->opts.param, p->dx, p->dy);
        off += len;
    }
    return CZ_OK;
nomem:
    czi_rs_free(p);
    return CZ_SIM_FAIL(CZ_ENOMEM, "out of memory for the real-space potential tables");
}

static long mod_l(long a, long n) { return ((a % n) + n) % n; }

/* Footprints of the atoms [a0, a1) of a slice. */
static void slice_atoms(cz_sim_plan *p, size_t a0, size_t a1) {
    struct czi_rs *rs = p->rs;
    long ny = (long)p->ny, nrb = (long)rs->nrb, blk = CZI_FFT_BLOCK;
    for (size_t a = a0; a < a1; a++) {
        rs_atom *at = &rs->atoms[a - a0];
        const rs_species *s = &rs->sp[p->aspec[a]];
        at->u = p->ax[a];
        at->v = p->ay[a];
        at->sp = p->aspec[a];
        at->jlo = (long)ceil(at->v - s->rc / p->dy);
        at->jhi = (long)floor(at->v + s->rc / p->dy);
        at->ilo = (long)ceil(at->u - s->rc / p->dx);
        long span = at->jhi - at->jlo + 1;
        if (span >= ny) {
            at->bfirst = 0;
            at->nbt = nrb;
        } else {
            long jw = mod_l(at->jlo, ny), jend = jw + span - 1;
            at->bfirst = jw / blk;
            at->nbt = jend < ny ? jend / blk - at->bfirst + 1
                                : (nrb - at->bfirst) + (jend - ny) / blk + 1;
            if (at->nbt > nrb) at->nbt = nrb;
        }
        assert(at->nbt <= (long)rs->nbpa); /* nbpa bounds the blocks any footprint touches */
    }
}

/* The multiple of n at or below a (a loop: footprints rarely wrap more than once, and integer
 * division per row would cost more). */
static long wrap_base(long a, long n) {
    long b = 0;
    while (b > a) b -= n;
    while (b + n <= a) b += n;
    return b;
}

/* One atom's contribution to rows [r0, r1) of v (float or double grid, by dbl); returns the sum
 * of the values added. Rows and columns of the footprint are unwrapped indices, mapped into the
 * cell; the footprint is cut where it wraps around. */
static double atom_rows(const cz_sim_plan *p, const rs_atom *at, long r0, long r1, void *v,
                        int dbl) {
    const struct czi_rs *rs = p->rs;
    const rs_species *s = &rs->sp[at->sp];
    long nx = (long)p->nx, ny = (long)p->ny;
    double rc2 = s->rc * s->rc, sum = 0.0, dx = p->dx, dy = p->dy, u = at->u;
    double x0d = ((double)at->ilo - u) * dx;
    long ihi = (long)floor(u + s->rc / dx);
    rs_run run = {.ld = (size_t)nx,
                  .v = at->v,
                  .dy = dy,
                  .x0 = (float)x0d,
                  .fdx = (float)dx,
                  .uoff = (float)(u - (double)at->ilo),
                  .rc2 = (float)rc2,
                  .inv_dx = (float)(1.0 / dx)};
    for (long base = wrap_base(at->jlo, ny); base <= at->jhi; base += ny) {
        long ja = at->jlo > base + r0 ? at->jlo : base + r0;
        long jb = at->jhi < base + r1 - 1 ? at->jhi : base + r1 - 1;
        if (ja > jb) continue;
        if (!dbl) {
            for (long bx = wrap_base(at->ilo, nx); bx <= ihi; bx += nx) {
                long sa = at->ilo > bx ? at->ilo : bx, sb = ihi < bx + nx - 1 ? ihi : bx + nx - 1;
                run.dst = (float *)v + (size_t)(ja - base) * (size_t)nx + (size_t)(sa - bx);
                run.j0 = ja;
                run.nrows = (int)(jb - ja + 1);
                run.klo = (int)(sa - at->ilo);
                run.khi = (int)(sb - at->ilo);
                sum += rs->kernel(&run, s);
            }
            continue;
        }
        for (long jj = ja; jj <= jb; jj++) {
            double ddy = ((double)jj - at->v) * dy, rem = rc2 - ddy * ddy;
            if (rem <= 0.0) continue;
            double cx = sqrt(rem) / dx;
            long ia = (long)ceil(u - cx), ib = (long)floor(u + cx);
            size_t roff = (size_t)(jj - base) * (size_t)nx;
            for (long bx = wrap_base(ia, nx); bx <= ib; bx += nx) {
                long sa = ia > bx ? ia : bx, sb = ib < bx + nx - 1 ? ib : bx + nx - 1;
                sum += segment_d((double *)v + roff + (size_t)(sa - bx), (int)(sb - sa + 1),
                                 (int)(sa - at->ilo), x0d, dx, ddy * ddy, s);
            }
        }
    }
    return sum;
}

static int rs_slice(cz_sim_plan *p, size_t s, void *v, int dbl) {
    size_t a0 = p->slice_start[s], a1 = p->slice_start[s + 1];
    if (a0 == a1) return 0;
    struct czi_rs *rs = p->rs;
    slice_atoms(p, a0, a1);
    size_t na = a1 - a0, nbpa = rs->nbpa, nx = p->nx, ny = p->ny;
    long nrb = (long)rs->nrb;
    size_t esz = dbl ? sizeof(double) : sizeof(float);
    RS_OMP_FOR(p->nthreads)
    for (long b = 0; b < nrb; b++) {
        long r0 = b * CZI_FFT_BLOCK,
             r1 = r0 + CZI_FFT_BLOCK < (long)ny ? r0 + CZI_FFT_BLOCK : (long)ny;
        memset((char *)v + (size_t)r0 * nx * esz, 0, (size_t)(r1 - r0) * nx * esz);
        for (size_t k = 0; k < na; k++) {
            const rs_atom *at = &rs->atoms[k];
            long d = b - at->bfirst;
            if (d < 0) d += nrb;
            if (d >= at->nbt) continue;
            rs->psum[k * nbpa + (size_t)d] = atom_rows(p, at, r0, r1, v, dbl);
        }
    }
    /* Core: the mass the samples miss, on the four pixels around the atom (bilinear). */
    for (size_t k = 0; k < na; k++) {
        const rs_atom *at = &rs->atoms[k];
        double total = 0.0;
        for (long d = 0; d < at->nbt; d++) total += rs->psum[k * nbpa + (size_t)d];
        double rem = rs->sp[at->sp].target - total;
        double fu = floor(at->u), fv = floor(at->v), tu = at->u - fu, tv = at->v - fv;
        size_t i0 = (size_t)fu % nx, j0 = (size_t)fv % ny;
        size_t i1 = (i0 + 1) % nx, j1 = (j0 + 1) % ny;
        size_t q[4] = {j0 * nx + i0, j0 * nx + i1, j1 * nx + i0, j1 * nx + i1};
        double w[4] = {(1 - tu) * (1 - tv), tu * (1 - tv), (1 - tu) * tv, tu * tv};
        for (int c = 0; c < 4; c++) {
            if (dbl)
                ((double *)v)[q[c]] += rem * w[c];
            else
                ((float *)v)[q[c]] += (float)(rem * w[c]);
        }
    }
    return 1;
}

int czi_rs_slice(cz_sim_plan *p, size_t s, float *v) { return rs_slice(p, s, v, 0); }

int czi_rs_slice_d(cz_sim_plan *p, size_t s, double *v) { return rs_slice(p, s, v, 1); }
