/* composition.c — substitution, vacancies, coordination, surface roughness, core–shell. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_composition.h"

#ifdef CZ_USE_OPENMP
#include <omp.h>
#endif

#include "cz/cz_elements.h"
#include "cz/cz_rng.h"
#include "error.h"
#include "vec.h"

void cz_substitute_opts_default(cz_substitute_opts *o) {
    if (o) memset(o, 0, sizeof *o);
}

void cz_vacancy_opts_default(cz_vacancy_opts *o) {
    if (o) memset(o, 0, sizeof *o);
}

void cz_roughen_opts_default(cz_roughen_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->cutoff = NAN;
    o->passes = 1;
}

void cz_core_shell_opts_default(cz_core_shell_opts *o) {
    if (!o) return;
    cz_transform_identity(&o->placement);
    o->mismatch = 0.0;
    cz_object_opts_default(&o->object);
}

/* ---- exact random subsets -------------------------------------------------------------- */

typedef struct {
    uint64_t key;
    size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b) {
    const keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* k = floor(fraction · m + 1/2): the documented rounding, exact for any m. */
static size_t exact_count(double fraction, size_t m) {
    double k = floor(fraction * (double)m + 0.5);
    return k > (double)m ? m : (size_t)k;
}

/* Mark in `chosen` (n flags, zeroed here) exactly k of the atoms with eligible[i] != 0: those
 * with the smallest keys cz_rng_u64(seed, stream, i). Sorting the m eligible keys makes every
 * k-subset equally likely and depends on nothing but (seed, stream, i). */
static cz_status choose(size_t n, const unsigned char eligible[], double fraction, uint64_t seed,
                        uint64_t stream, unsigned char chosen[], size_t *count, const char *func) {
    memset(chosen, 0, n ? n : 1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) m += eligible[i] != 0;
    size_t k = exact_count(fraction, m);
    *count = k;
    if (k == 0) return CZ_OK;
    if (k == m) {
        for (size_t i = 0; i < n; i++) chosen[i] = eligible[i] != 0;
        return CZ_OK;
    }
    keyed *ks = malloc(m * sizeof *ks);
    if (!ks) return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate %zu random keys", m);
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (eligible[i]) {
            ks[c].key = cz_rng_u64(seed, stream, (uint64_t)i);
            ks[c].i = i;
            c++;
        }
    qsort(ks, m, sizeof *ks, cmp_keyed);
    for (size_t j = 0; j < k; j++) chosen[ks[j].i] = 1;
    free(ks);
    return CZ_OK;
}

static cz_status check_fraction(double f, const char *func) {
    if (!(f >= 0.0 && f <= 1.0))
        return CZ_FAIL_AS(func, CZ_EINVAL, "fraction must be in [0, 1] (got %g)", f);
    return CZ_OK;
}

cz_status cz_atoms_substitute(cz_atoms *atoms, const cz_substitute_opts *opts, size_t *count) {
    if (count) *count = 0;
    if (!atoms || !opts) return CZ_FAIL(CZ_EINVAL, "atoms and opts must not be NULL");
    if (!cz_element_symbol(opts->z_from))
        return CZ_FAIL(CZ_EINVAL, "z_from must be an element 1..118 (got %d)", opts->z_from);
    if (!cz_element_symbol(opts->z_to))
        return CZ_FAIL(CZ_EINVAL, "z_to must be an element 1..118 (got %d)", opts->z_to);
    cz_status st = check_fraction(opts->fraction, __func__);
    if (st != CZ_OK) return st;
    if (opts->object_id < 0)
        return CZ_FAIL(CZ_EINVAL, "object_id must be >= 0 (got %d)", opts->object_id);
    size_t n = atoms->n;
    unsigned char *el = calloc(2 * (n ? n : 1), 1);
    if (!el) return CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu flags", n);
    unsigned char *ch = el + (n ? n : 1);
    for (size_t i = 0; i < n; i++)
        el[i] = atoms->z[i] == opts->z_from &&
                (opts->object_id == 0 || atoms->object_id[i] == opts->object_id);
    size_t k = 0;
    st = choose(n, el, opts->fraction, opts->seed, opts->stream, ch, &k, __func__);
    if (st == CZ_OK) {
        for (size_t i = 0; i < n; i++)
            if (ch[i]) atoms->z[i] = opts->z_to;
        if (count) *count = k;
    }
    free(el);
    return st;
}

cz_status cz_atoms_vacate(cz_atoms *atoms, const cz_vacancy_opts *opts, size_t *removed) {
    if (removed) *removed = 0;
    if (!atoms || !opts) return CZ_FAIL(CZ_EINVAL, "atoms and opts must not be NULL");
    cz_status st = check_fraction(opts->fraction, __func__);
    if (st != CZ_OK) return st;
    if (opts->z != 0 && !cz_element_symbol(opts->z))
        return CZ_FAIL(CZ_EINVAL, "z must be 0 (any) or an element 1..118 (got %d)", opts->z);
    if (opts->object_id < 0)
        return CZ_FAIL(CZ_EINVAL, "object_id must be >= 0 (got %d)", opts->object_id);
    size_t n = atoms->n;
    unsigned char *el = calloc(2 * (n ? n : 1), 1);
    if (!el) return CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu flags", n);
    unsigned char *ch = el + (n ? n : 1);
    for (size_t i = 0; i < n; i++)
        el[i] = (opts->z == 0 || atoms->z[i] == opts->z) &&
                (opts->object_id == 0 || atoms->object_id[i] == opts->object_id);
    size_t k = 0;
    st = choose(n, el, opts->fraction, opts->seed, opts->stream, ch, &k, __func__);
    if (st == CZ_OK) {
        for (size_t i = 0; i < n; i++) ch[i] = !ch[i];
        cz_atoms_filter(atoms, ch);
        if (removed) *removed = k;
    }
    free(el);
    return st;
}

/* ---- coordination with cell lists ------------------------------------------------------ */

/* Fractional frame: cell rows along periodic axes, padded bounding-box edges along the
 * others. Bins along axis k are width_k/nb_k wide measured perpendicular to the other two
 * rows, so two atoms closer than the cutoff are at most r_k = ceil(cutoff·nb_k/width_k) bins
 * apart along k. Along a periodic axis the bin offsets are taken unwrapped: offset o from bin
 * b reaches bin (b + o) mod nb in image floor((b + o)/nb), so every (atom, image) pair within
 * the cutoff is met exactly once, however small the cell. */
typedef struct {
    double box[3][3], inv[3][3], origin[3];
    int per[3];
    long nb[3], r[3];
    size_t *start;  /* [nbins + 1] CSR offsets */
    size_t *list;   /* [n] atom indices by bin, ascending within a bin */
    long *bin;      /* [n][3] bin of each atom */
    double (*x)[3]; /* [n] Cartesian positions wrapped into the cell along periodic axes */
    double cut2;
    size_t n;
} grid;

static void grid_free(grid *g) {
    free(g->start);
    free(g->list);
    free(g->bin);
    free(g->x);
}

static cz_status grid_build(const cz_atoms *a, double cutoff, grid *g, const char *func) {
    memset(g, 0, sizeof *g);
    size_t n = a->n;
    g->n = n;
    g->cut2 = cutoff * cutoff;
    double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    cz_atoms_bbox(a, lo, hi);
    for (int k = 0; k < 3; k++) {
        g->per[k] = a->pbc[k] != 0;
        if (g->per[k]) {
            memcpy(g->box[k], a->cell[k], sizeof g->box[k]);
        } else {
            g->box[k][k] = hi[k] - lo[k] + 2.0;
            g->origin[k] = lo[k] - 1.0;
        }
    }
    if (!m3_inverse(CZ_CROWS(g->box), g->inv))
        return CZ_FAIL_AS(func, CZ_EINVAL,
                          "the periodic cell rows and the non-periodic axes are degenerate");
    double vol = fabs(m3_det(CZ_CROWS(g->box))), width[3];
    for (int k = 0; k < 3; k++) {
        double c[3];
        v3_cross(g->box[(k + 1) % 3], g->box[(k + 2) % 3], c);
        width[k] = vol / v3_norm(c);
        double nbk = floor(width[k] / cutoff);
        g->nb[k] = nbk < 1.0 ? 1 : (nbk > 1e6 ? 1000000 : (long)nbk);
    }
    /* Keep the bin count near the atom count: sparse structures (a particle far from a slab)
     * would otherwise allocate mostly empty bins. */
    double limit = 2.0 * (double)n + 8.0;
    while ((double)g->nb[0] * (double)g->nb[1] * (double)g->nb[2] > limit) {
        int k = 0;
        for (int m = 1; m < 3; m++)
            if (g->nb[m] > g->nb[k]) k = m;
        g->nb[k] = (g->nb[k] + 1) / 2;
    }
    /* Refuse a search that would visit absurdly many bins per atom (a cutoff far beyond the
     * periodic cell) before running it. */
    double visits = 1.0;
    for (int k = 0; k < 3; k++) {
        double rk = ceil(cutoff * (double)g->nb[k] / width[k]);
        double span = 2.0 * rk + 1.0;
        if (!g->per[k] && span > (double)g->nb[k]) span = (double)g->nb[k];
        visits *= span;
        if (rk > 1e6 || visits > 1e8)
            return CZ_FAIL_AS(func, CZ_ERANGE,
                              "cutoff %g Å is too large for this structure (%.3g bins to visit per "
                              "atom)",
                              cutoff, visits);
        g->r[k] = (long)rk;
    }
    size_t nbins = (size_t)(g->nb[0] * g->nb[1] * g->nb[2]);
    g->start = calloc(nbins + 1, sizeof *g->start);
    g->list = malloc((n ? n : 1) * sizeof *g->list);
    g->bin = malloc(3 * (n ? n : 1) * sizeof *g->bin);
    g->x = malloc((n ? n : 1) * sizeof *g->x);
    if (!g->start || !g->list || !g->bin || !g->x) {
        grid_free(g);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate cell lists for %zu atoms", n);
    }
    for (size_t i = 0; i < n; i++) {
        double d[3] = {a->xyz[i][0] - g->origin[0], a->xyz[i][1] - g->origin[1],
                       a->xyz[i][2] - g->origin[2]};
        double f[3];
        m3_tmulv(CZ_CROWS(g->inv), d, f);
        for (int k = 0; k < 3; k++) {
            double fk = f[k];
            if (g->per[k]) {
                fk -= floor(fk);
                if (fk >= 1.0) fk = 0.0;
                f[k] = fk;
            }
            long b = (long)floor(fk * (double)g->nb[k]);
            /* Clamping is monotone, so it never separates two atoms by more bins. */
            if (b < 0) b = 0;
            if (b >= g->nb[k]) b = g->nb[k] - 1;
            g->bin[3 * i + k] = b;
        }
        m3_tmulv(CZ_CROWS(g->box), f, g->x[i]);
        size_t id =
            (size_t)((g->bin[3 * i] * g->nb[1] + g->bin[3 * i + 1]) * g->nb[2] + g->bin[3 * i + 2]);
        g->start[id + 1]++;
    }
    for (size_t b = 0; b < nbins; b++) g->start[b + 1] += g->start[b];
    size_t *fillp = malloc((nbins ? nbins : 1) * sizeof *fillp);
    if (!fillp) {
        grid_free(g);
        return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot allocate cell lists for %zu atoms", n);
    }
    memcpy(fillp, g->start, nbins * sizeof *fillp);
    for (size_t i = 0; i < n; i++) {
        size_t id =
            (size_t)((g->bin[3 * i] * g->nb[1] + g->bin[3 * i + 1]) * g->nb[2] + g->bin[3 * i + 2]);
        g->list[fillp[id]++] = i;
    }
    free(fillp);
    return CZ_OK;
}

/* Bin offsets to visit along axis k from bin b: all of [−r, r] along a periodic axis (each
 * offset is a distinct image), only the bins that exist along a non-periodic one. */
static void offset_range(const grid *g, int k, long b, long *lo, long *hi) {
    *lo = -g->r[k];
    *hi = g->r[k];
    if (!g->per[k]) {
        if (*lo < -b) *lo = -b;
        if (*hi > g->nb[k] - 1 - b) *hi = g->nb[k] - 1 - b;
    }
}

/* Neighbours of atom i within the cutoff, images included; −1 beyond INT_MAX. */
static long count_one(const grid *g, size_t i) {
    long cnt = 0;
    const long *bi = &g->bin[3 * i];
    long lo0, hi0, lo1, hi1, lo2, hi2;
    offset_range(g, 0, bi[0], &lo0, &hi0);
    offset_range(g, 1, bi[1], &lo1, &hi1);
    offset_range(g, 2, bi[2], &lo2, &hi2);
    for (long o0 = lo0; o0 <= hi0; o0++) {
        long u0 = bi[0] + o0;
        long w0 = ((u0 % g->nb[0]) + g->nb[0]) % g->nb[0], s0 = (u0 - w0) / g->nb[0];
        for (long o1 = lo1; o1 <= hi1; o1++) {
            long u1 = bi[1] + o1;
            long w1 = ((u1 % g->nb[1]) + g->nb[1]) % g->nb[1], s1 = (u1 - w1) / g->nb[1];
            for (long o2 = lo2; o2 <= hi2; o2++) {
                long u2 = bi[2] + o2;
                long w2 = ((u2 % g->nb[2]) + g->nb[2]) % g->nb[2], s2 = (u2 - w2) / g->nb[2];
                size_t id = (size_t)((w0 * g->nb[1] + w1) * g->nb[2] + w2);
                /* The image's offset, once per bin: then each pair costs one subtraction. */
                double sh[3] = {(double)s0, (double)s1, (double)s2}, off[3];
                m3_tmulv(CZ_CROWS(g->box), sh, off);
                const double *xi = g->x[i];
                for (size_t q = g->start[id]; q < g->start[id + 1]; q++) {
                    size_t j = g->list[q];
                    if (j == i && s0 == 0 && s1 == 0 && s2 == 0) continue;
                    double d[3] = {g->x[j][0] + off[0] - xi[0], g->x[j][1] + off[1] - xi[1],
                                   g->x[j][2] + off[2] - xi[2]};
                    if (v3_dot(d, d) <= g->cut2 && ++cnt > INT_MAX) return -1;
                }
            }
        }
    }
    return cnt;
}

cz_status cz_atoms_coordination(const cz_atoms *atoms, double cutoff, int nthreads, int counts[]) {
    if (!atoms || !counts) return CZ_FAIL(CZ_EINVAL, "atoms and counts must not be NULL");
    if (!(cutoff > 0) || !isfinite(cutoff))
        return CZ_FAIL(CZ_EINVAL, "cutoff must be > 0 and finite (got %g)", cutoff);
    if (nthreads < 0) return CZ_FAIL(CZ_EINVAL, "nthreads must be >= 0 (got %d)", nthreads);
    if (atoms->n == 0) return CZ_OK;
    grid g;
    cz_status st = grid_build(atoms, cutoff, &g, __func__);
    if (st != CZ_OK) return st;
    const grid *gp = &g;
    const size_t n = atoms->n;
    int bad = 0;
#ifdef CZ_USE_OPENMP
    int nt = nthreads > 0 ? nthreads : omp_get_max_threads();
    if (n < 5000) nt = 1;
#pragma omp parallel for num_threads(nt) schedule(static) default(none) shared(gp, counts) \
    firstprivate(n) reduction(|                                                            \
                              : bad)
#endif
    for (size_t i = 0; i < n; i++) {
        long c = count_one(gp, i);
        if (c < 0) bad = 1;
        counts[i] = c < 0 ? INT_MAX : (int)c;
    }
    grid_free(&g);
    if (bad) return CZ_FAIL(CZ_ERANGE, "cutoff %g Å gives more than INT_MAX neighbours", cutoff);
    return CZ_OK;
}

cz_status cz_atoms_roughen(cz_atoms *atoms, const cz_roughen_opts *opts, size_t *removed) {
    if (removed) *removed = 0;
    if (!atoms || !opts) return CZ_FAIL(CZ_EINVAL, "atoms and opts must not be NULL");
    const cz_roughen_opts *o = opts;
    cz_status st = check_fraction(o->fraction, __func__);
    if (st != CZ_OK) return st;
    if (!isnan(o->cutoff) && (!(o->cutoff > 0) || !isfinite(o->cutoff)))
        return CZ_FAIL(CZ_EINVAL, "cutoff must be > 0 and finite, or NAN (got %g)", o->cutoff);
    if (o->bulk_coordination < 0)
        return CZ_FAIL(CZ_EINVAL, "bulk_coordination must be >= 0 (got %d)", o->bulk_coordination);
    if (o->object_id < 0)
        return CZ_FAIL(CZ_EINVAL, "object_id must be >= 0 (got %d)", o->object_id);
    if (o->passes < 1) return CZ_FAIL(CZ_EINVAL, "passes must be >= 1 (got %d)", o->passes);
    if (o->nthreads < 0) return CZ_FAIL(CZ_EINVAL, "nthreads must be >= 0 (got %d)", o->nthreads);
    double cutoff = o->cutoff;
    if (isnan(cutoff)) {
        double dmin = INFINITY;
        if (atoms->n < 2)
            return CZ_FAIL(CZ_EINVAL, "an automatic cutoff needs at least two atoms (got %zu)",
                           atoms->n);
        st = cz_atoms_min_distance(atoms, &dmin, NULL);
        if (st != CZ_OK) return st;
        if (!(dmin > 0))
            return CZ_FAIL(CZ_EINVAL, "two atoms coincide, so no automatic cutoff (give one)");
        cutoff = 1.25 * dmin;
    }
    size_t total = 0;
    for (int pass = 0; pass < o->passes; pass++) {
        size_t n = atoms->n;
        int *cn = malloc((n ? n : 1) * sizeof *cn);
        unsigned char *el = calloc(2 * (n ? n : 1), 1);
        if (!cn || !el) {
            free(cn);
            free(el);
            return CZ_FAIL(CZ_ENOMEM, "cannot allocate coordination for %zu atoms", n);
        }
        unsigned char *ch = el + (n ? n : 1);
        st = cz_atoms_coordination(atoms, cutoff, o->nthreads, cn);
        int bulk = o->bulk_coordination;
        if (st == CZ_OK && bulk == 0)
            for (size_t i = 0; i < n; i++)
                if ((o->object_id == 0 || atoms->object_id[i] == o->object_id) && cn[i] > bulk)
                    bulk = cn[i];
        for (size_t i = 0; st == CZ_OK && i < n; i++)
            el[i] = (o->object_id == 0 || atoms->object_id[i] == o->object_id) && cn[i] < bulk;
        size_t k = 0;
        if (st == CZ_OK)
            st = choose(n, el, o->fraction, o->seed, o->stream + (uint64_t)pass, ch, &k, __func__);
        if (st == CZ_OK) {
            for (size_t i = 0; i < n; i++) ch[i] = !ch[i];
            cz_atoms_filter(atoms, ch);
            total += k;
        }
        free(cn);
        free(el);
        if (st != CZ_OK) return st;
    }
    if (removed) *removed = total;
    return CZ_OK;
}

/* ---- core–shell ------------------------------------------------------------------------- */

cz_status cz_scene_add_core_shell(cz_scene *scene, const cz_lattice *core_lattice,
                                  const cz_volume *core_volume, const cz_lattice *shell_lattice,
                                  const cz_volume *shell_volume, const cz_core_shell_opts *opts,
                                  size_t *first) {
    if (!scene || !core_lattice || !core_volume || !shell_lattice || !shell_volume)
        return CZ_FAIL(CZ_EINVAL, "scene, lattices and volumes must not be NULL");
    cz_core_shell_opts o;
    cz_core_shell_opts_default(&o);
    if (opts) o = *opts;
    if (!(o.mismatch > -1.0) || !isfinite(o.mismatch))
        return CZ_FAIL(CZ_EINVAL, "mismatch must be > -1 and finite (got %g)", o.mismatch);
    cz_transform pinv;
    if (!m3_finite(CZ_CROWS(o.placement.m)) || !v3_finite(o.placement.t) ||
        cz_transform_invert(&o.placement, &pinv) != CZ_OK)
        return CZ_FAIL(CZ_EINVAL, "placement must be finite and invertible (det = %g)",
                       m3_det(CZ_CROWS(o.placement.m)));
    const cz_object_opts *ob = &o.object;
    if (ob->class_id < 0 || ob->class_id > CZ_CLASS_LIGAND)
        return CZ_FAIL(CZ_EINVAL, "class_id must be 0..3 (got %d)", ob->class_id);
    if (ob->grain_id < -1 || ob->grain_id == INT_MAX)
        return CZ_FAIL(CZ_EINVAL, "grain_id must be -1 or 0..INT_MAX-1 (got %d)", ob->grain_id);
    if (ob->object_id < 0)
        return CZ_FAIL(CZ_EINVAL, "object_id must be >= 0 (got %d)", ob->object_id);
    if (ob->priority == INT_MAX)
        return CZ_FAIL(CZ_EINVAL, "priority must be < INT_MAX (the core takes priority + 1)");
    size_t idx0 = cz_scene_count(scene);
    if (idx0 + 2 > (size_t)INT_MAX) return CZ_FAIL(CZ_EINVAL, "scene has too many objects");
    cz_object_opts oc = *ob, os = *ob;
    oc.object_id = os.object_id = ob->object_id > 0 ? ob->object_id : (int)idx0 + 1;
    oc.priority = ob->priority + 1;
    oc.grain_id = ob->grain_id >= 0 ? ob->grain_id : (int)idx0 + 1;
    os.grain_id = ob->grain_id >= 0 ? ob->grain_id + 1 : (int)idx0 + 2;
    size_t ic = 0, is = 0;
    cz_status st = cz_scene_add_crystal(scene, core_lattice, core_volume, &oc, &ic);
    if (st == CZ_OK) st = cz_scene_add_crystal(scene, shell_lattice, shell_volume, &os, &is);
    if (st == CZ_OK && o.mismatch != 0.0) {
        /* Lattice only: the shell keeps its region, its lattice spacing grows by (1 + δ). */
        cz_transform sc;
        const double zero[3] = {0, 0, 0};
        double m[3][3] = {{1 + o.mismatch, 0, 0}, {0, 1 + o.mismatch, 0}, {0, 0, 1 + o.mismatch}};
        cz_transform_matrix(CZ_CROWS(m), zero, 0, &sc);
        st = cz_scene_transform(scene, is, &sc, CZ_APPLY_LATTICE);
    }
    if (st == CZ_OK) st = cz_scene_transform(scene, ic, &o.placement, CZ_APPLY_LOCKED);
    if (st == CZ_OK) st = cz_scene_transform(scene, is, &o.placement, CZ_APPLY_LOCKED);
    if (st == CZ_OK && first) *first = ic;
    return st;
}
