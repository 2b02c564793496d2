/* test_amorphous.c — random sequential addition: exact counts and composition, minimum
 * distances over all pairs and periodic images (checked by brute force), boxes of any shape and
 * position, determinism, every error code, and an amorphous block inside a scene. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static const double zero3[3] = {0.0, 0.0, 0.0};
static const int pbc_all[3] = {1, 1, 1};

static int species_index(const cz_amorphous_opts *o, int z) {
    for (size_t i = 0; i < o->nspecies; i++)
        if (o->z[i] == z) return (int)i;
    return -1;
}

static void invert(const double m[3][3], double inv[3][3]) {
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            /* Cofactor C[j][i] / det (adjugate transposed). */
            int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
            inv[i][j] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
        }
}

/* Fractional coordinates of x in the box (origin, cell): f = (x − origin) · cell⁻¹. */
static void to_frac(const double inv[3][3], const double origin[3], const double x[3],
                    double f[3]) {
    double d[3] = {x[0] - origin[0], x[1] - origin[1], x[2] - origin[2]};
    for (int k = 0; k < 3; k++) f[k] = d[0] * inv[0][k] + d[1] * inv[1][k] + d[2] * inv[2][k];
}

/* Independent O(N²) check: for every pair (and every atom with its own images) the shortest
 * distance over ALL periodic images, compared with d_min of the pair's species. Images are
 * enumerated explicitly: with the fractional difference reduced to [−½, ½], an image n can only
 * be within d of the atom if |n_k| < d·|column k of cell⁻¹| + ½. Returns the worst ratio
 * distance / d_min (>= 1 when every pair is honoured) and the overall smallest distance. */
static double brute_force_ratio(
    const cz_atoms *a, const double cell[3][3], const int pbc[3], const cz_amorphous_opts *o,
    double *dmin_out, double pair_min[CZ_AMORPHOUS_MAX_SPECIES][CZ_AMORPHOUS_MAX_SPECIES]) {
    double inv[3][3];
    invert(cell, inv);
    double dmax = 0.0;
    for (size_t i = 0; i < o->nspecies; i++)
        for (size_t j = 0; j < o->nspecies; j++) dmax = fmax(dmax, o->d_min[i][j]);
    int lim[3];
    for (int k = 0; k < 3; k++) {
        double col = sqrt(inv[0][k] * inv[0][k] + inv[1][k] * inv[1][k] + inv[2][k] * inv[2][k]);
        lim[k] = pbc[k] ? (int)ceil(dmax * col + 0.5) : 0;
    }
    double worst = INFINITY, dmin = INFINITY;
    if (pair_min)
        for (int i = 0; i < CZ_AMORPHOUS_MAX_SPECIES; i++)
            for (int j = 0; j < CZ_AMORPHOUS_MAX_SPECIES; j++) pair_min[i][j] = INFINITY;
    for (size_t i = 0; i < a->n; i++) {
        int si = species_index(o, a->z[i]);
        for (size_t j = i; j < a->n; j++) {
            int sj = species_index(o, a->z[j]);
            double fd[3];
            double dx[3] = {a->xyz[j][0] - a->xyz[i][0], a->xyz[j][1] - a->xyz[i][1],
                            a->xyz[j][2] - a->xyz[i][2]};
            for (int k = 0; k < 3; k++) {
                fd[k] = dx[0] * inv[0][k] + dx[1] * inv[1][k] + dx[2] * inv[2][k];
                if (pbc[k]) fd[k] -= nearbyint(fd[k]);
            }
            for (int n0 = -lim[0]; n0 <= lim[0]; n0++)
                for (int n1 = -lim[1]; n1 <= lim[1]; n1++)
                    for (int n2 = -lim[2]; n2 <= lim[2]; n2++) {
                        double t[3] = {fd[0] + n0, fd[1] + n1, fd[2] + n2};
                        double r[3];
                        for (int c = 0; c < 3; c++)
                            r[c] = t[0] * cell[0][c] + t[1] * cell[1][c] + t[2] * cell[2][c];
                        double d = sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
                        if (i == j && d < 1e-9) continue; /* the atom itself */
                        dmin = fmin(dmin, d);
                        worst = fmin(worst, d / o->d_min[si][sj]);
                        if (pair_min) {
                            pair_min[si][sj] = fmin(pair_min[si][sj], d);
                            pair_min[sj][si] = pair_min[si][sj];
                        }
                    }
        }
    }
    if (dmin_out) *dmin_out = dmin;
    return worst;
}

/* Every atom inside the half-open box (fractional coordinates in [0, 1), to rounding). */
static int all_inside(const cz_atoms *a, const double origin[3], const double cell[3][3]) {
    double inv[3][3];
    invert(cell, inv);
    for (size_t i = 0; i < a->n; i++) {
        double f[3];
        to_frac(CZ_CROWS(inv), origin, a->xyz[i], f);
        for (int k = 0; k < 3; k++)
            if (f[k] < -1e-12 || f[k] > 1.0 + 1e-12) return 0;
    }
    return 1;
}

static double box_volume(const double c[3][3]) {
    return fabs(c[0][0] * (c[1][1] * c[2][2] - c[1][2] * c[2][1]) -
                c[0][1] * (c[1][0] * c[2][2] - c[1][2] * c[2][0]) +
                c[0][2] * (c[1][0] * c[2][1] - c[1][1] * c[2][0]));
}

/* One fill checked for count, density, box membership, labels and (brute force) distances. */
static void check_box(const char *name, const double origin[3], const double cell[3][3],
                      const int pbc[3], const cz_amorphous_opts *o, int brute) {
    cz_atoms *a = NULL;
    cz_amorphous_stats stats;
    cz_status s = cz_amorphous_fill(origin, cell, pbc, o, &a, &stats);
    CZ_CHECK(s == CZ_OK && a, "%s: %s", name, cz_last_error());
    if (!a) return;
    double vol = box_volume(cell);
    double mass = 0.0, fsum = 0.0;
    for (size_t i = 0; i < o->nspecies; i++) {
        mass += o->fraction[i] * cz_element_mass(o->z[i]);
        fsum += o->fraction[i];
    }
    double nd = o->density_atoms_a3 > 0 ? o->density_atoms_a3
                                        : o->density_g_cm3 * 0.602214076 / (mass / fsum);
    double want = nd * vol;
    CZ_CHECK(fabs((double)a->n - want) <= 0.5, "%s: %zu atoms, density × volume = %.3f", name, a->n,
             want);
    CZ_CHECK(stats.natoms == a->n && stats.attempts >= a->n, "%s: stats %zu atoms %zu attempts",
             name, stats.natoms, stats.attempts);
    /* The mass density of the integer composition: within 0.5 % once N is large enough for one
     * atom more or less (and the apportionment of species) to matter less than that. */
    if (o->density_g_cm3 > 0 && a->n >= 400) {
        double m = 0.0;
        for (size_t i = 0; i < a->n; i++) m += cz_element_mass(a->z[i]);
        double rho = m / 0.602214076 / vol;
        CZ_CHECK(fabs(rho / o->density_g_cm3 - 1.0) < 0.005, "%s: density %.5f g/cm³ (want %g)",
                 name, rho, o->density_g_cm3);
    }
    CZ_CHECK(all_inside(a, origin, cell), "%s: every atom inside the box", name);
    int labels = 1;
    for (size_t i = 0; i < a->n; i++)
        labels &= a->object_id[i] == o->object_id && a->grain_id[i] == o->grain_id &&
                  a->class_id[i] == o->class_id && species_index(o, a->z[i]) >= 0;
    CZ_CHECK(labels, "%s: labels and species", name);
    int any = pbc[0] || pbc[1] || pbc[2];
    CZ_CHECK(any ? (memcmp(a->cell, cell, sizeof a->cell) == 0 && a->pbc[0] == (pbc[0] != 0) &&
                    a->pbc[1] == (pbc[1] != 0) && a->pbc[2] == (pbc[2] != 0))
                 : (a->cell[0][0] == 0.0 && !a->pbc[0] && !a->pbc[1] && !a->pbc[2]),
             "%s: output cell and pbc", name);
    CZ_CHECK(stats.cell_diameter > 0 && stats.scratch_peak_bytes > 0, "%s: grid stats", name);
    if (brute) {
        double dmin = 0.0, pm[CZ_AMORPHOUS_MAX_SPECIES][CZ_AMORPHOUS_MAX_SPECIES];
        double ratio = brute_force_ratio(a, cell, pbc, o, &dmin, pm);
        CZ_CHECK(ratio >= 1.0, "%s: a pair at %.6f of its d_min (N = %zu)", name, ratio, a->n);
        /* Every pair type separately (Si–Si, Si–O, O–O for the oxide). */
        for (size_t i = 0; i < o->nspecies; i++)
            for (size_t j = i; j < o->nspecies; j++)
                CZ_CHECK(pm[i][j] >= o->d_min[i][j], "%s: closest %s–%s pair %.6f < d_min %g", name,
                         cz_element_symbol(o->z[i]), cz_element_symbol(o->z[j]), pm[i][j],
                         o->d_min[i][j]);
        if (o->nspecies > 1 && a->n > 300)
            for (size_t i = 0; i < o->nspecies; i++)
                for (size_t j = i; j < o->nspecies; j++)
                    CZ_CHECK(pm[i][j] < 1.1 * o->d_min[i][j],
                             "%s: the %s–%s distance is reached (closest %.4f, d_min %g)", name,
                             cz_element_symbol(o->z[i]), cz_element_symbol(o->z[j]), pm[i][j],
                             o->d_min[i][j]);
        /* RSA at these densities packs pairs right up to d_min: the constraint is active (only
         * meaningful with enough atoms for some pair to have come close). */
        if (a->n > 100)
            CZ_CHECK(ratio < 1.05, "%s: closest pair at %.4f d_min, RSA should reach d_min", name,
                     ratio);
    }
    cz_atoms_destroy(a);
}

static void test_boxes(void) {
    cz_amorphous_opts o;
    cz_amorphous_opts_default(&o);
    o.seed = 12345;
    /* Periodic, not at the origin, edges that are no multiple of the grid cell (d/√3). */
    const double off[3] = {-7.31, 4.12, 100.23};
    const double rect[3][3] = {{20.37, 0, 0}, {0, 17.93, 0}, {0, 0, 13.11}};
    check_box("periodic offset box", off, rect, pbc_all, &o, 1);
    /* Triclinic periodic box, strongly skewed. */
    const double tri[3][3] = {{16.4, 0.0, 0.0}, {-7.1, 15.3, 0.0}, {4.2, -3.7, 14.9}};
    o.seed = 7;
    check_box("triclinic periodic", off, tri, pbc_all, &o, 1);
    /* Mixed periodicity: a slab periodic in a, b. */
    const int slab[3] = {1, 1, 0};
    const double mono[3][3] = {{18.7, 0.0, 0.0}, {5.3, 16.1, 0.0}, {0.0, 0.0, 11.6}};
    o.seed = 99;
    check_box("slab (1,1,0)", zero3, mono, slab, &o, 1);
    /* No periodicity at all. */
    const int none[3] = {0, 0, 0};
    o.seed = 3;
    check_box("isolated block", off, rect, none, &o, 1);
    /* A periodic box smaller than twice d_min: the search reaches several images of one atom
     * and the atom's own images. */
    const double tiny[3][3] = {{3.7, 0.0, 0.0}, {1.1, 3.3, 0.0}, {0.4, 0.9, 4.1}};
    cz_amorphous_opts_default(&o);
    o.density_g_cm3 = 0.0;
    o.density_atoms_a3 = 0.09;
    for (uint64_t seed = 0; seed < 20; seed++) {
        o.seed = seed;
        check_box("tiny periodic box", zero3, tiny, pbc_all, &o, 1);
    }
    /* Number density given directly (a-Si, 2.33 g/cm³): N = round(0.0499 · V). */
    cz_amorphous_opts_default(&o);
    o.density_g_cm3 = 0.0;
    o.density_atoms_a3 = 0.0499;
    o.z[0] = 14;
    o.d_min[0][0] = 2.05;
    o.object_id = 5;
    o.grain_id = 6;
    o.class_id = CZ_CLASS_PARTICLE;
    check_box("a-Si by number density", off, tri, pbc_all, &o, 1);
}

static void test_sio2(void) {
    cz_amorphous_opts o;
    cz_amorphous_opts_default(&o);
    o.nspecies = 2;
    o.z[0] = 14;
    o.z[1] = 8;
    o.fraction[0] = 1.0;
    o.fraction[1] = 2.0;
    o.d_min[0][0] = 2.8;                  /* Si–Si */
    o.d_min[0][1] = o.d_min[1][0] = 1.45; /* Si–O */
    o.d_min[1][1] = 2.25;                 /* O–O */
    o.density_g_cm3 = 2.2;
    o.seed = 2024;
    const double tri[3][3] = {{23.3, 0.0, 0.0}, {-4.4, 22.1, 0.0}, {2.0, 1.5, 21.7}};
    const double off[3] = {3.3, -12.0, 0.7};
    check_box("a-SiO2 triclinic", off, tri, pbc_all, &o, 1);
    /* Composition exact: the box holds N = 3m atoms → m Si and 2m O. */
    const double cube[3][3] = {{20.0, 0, 0}, {0, 20.0, 0}, {0, 0, 20.0}};
    cz_atoms *a = NULL;
    CZ_CHECK(cz_amorphous_fill(off, cube, pbc_all, &o, &a, NULL) == CZ_OK, "%s", cz_last_error());
    if (a) {
        size_t nsi = 0, no = 0;
        for (size_t i = 0; i < a->n; i++) {
            nsi += a->z[i] == 14;
            no += a->z[i] == 8;
        }
        /* 2.2 g/cm³ of SiO2 (60.08 g/mol per 3 atoms) in 8000 Å³: 529.0 atoms. */
        CZ_CHECK(a->n == 529 && nsi + no == a->n, "a-SiO2 count %zu", a->n);
        CZ_CHECK(nsi == 176 && no == 353, "largest remainder: Si %zu (176) O %zu (353)", nsi, no);
        /* The species are interleaved, not placed in blocks: both appear early. */
        size_t early_si = 0;
        for (size_t i = 0; i < 60 && i < a->n; i++) early_si += a->z[i] == 14;
        CZ_CHECK(early_si > 5 && early_si < 40, "species shuffled (%zu Si in the first 60)",
                 early_si);
        cz_atoms_destroy(a);
    }
    const double box[3][3] = {{21.0, 0, 0}, {0, 20.0, 0}, {0, 0, 20.0}};
    a = NULL;
    o.density_g_cm3 = 0.0;
    o.density_atoms_a3 = 0.075; /* 8400 Å³ → exactly 630 atoms = 210 SiO2 */
    CZ_CHECK(cz_amorphous_fill(off, box, pbc_all, &o, &a, NULL) == CZ_OK, "%s", cz_last_error());
    if (a) {
        size_t nsi = 0;
        for (size_t i = 0; i < a->n; i++) nsi += a->z[i] == 14;
        CZ_CHECK(a->n == 630 && nsi == 210, "exact 1:2 composition: %zu atoms, %zu Si", a->n, nsi);
        cz_atoms_destroy(a);
    }
}

/* Property test over random boxes: random shape (skewed up to half an edge), position,
 * periodicity, density, one or two species. Box parameters come from a fixed counter-based
 * stream, so the test is deterministic. */
static void test_random_boxes(void) {
    int fails_before = cz_test_fail_count;
    for (uint64_t t = 0; t < 24; t++) {
#define U(k) cz_rng_uniform(777, t, (k))
        double len[3] = {5.0 + 8.0 * U(0), 5.0 + 8.0 * U(1), 5.0 + 8.0 * U(2)};
        double cell[3][3] = {{len[0], 0.0, 0.0},
                             {(U(3) - 0.5) * len[1], len[1], 0.0},
                             {(U(4) - 0.5) * len[2], (U(5) - 0.5) * len[2], len[2]}};
        double origin[3] = {200.0 * (U(6) - 0.5), 200.0 * (U(7) - 0.5), 200.0 * (U(8) - 0.5)};
        unsigned bits = (unsigned)(8.0 * U(9));
        int pbc[3] = {(int)(bits & 1), (int)((bits >> 1) & 1), (int)((bits >> 2) & 1)};
        cz_amorphous_opts o;
        cz_amorphous_opts_default(&o);
        o.seed = 1000 + t;
        o.density_g_cm3 = 1.5 + U(10);
        o.d_min[0][0] = 1.3 + 0.2 * U(11);
        if (t % 3 == 2) { /* a carbon–hydrogen mix with three distances */
            o.nspecies = 2;
            o.z[1] = 1;
            o.fraction[1] = 0.25;
            o.d_min[0][1] = o.d_min[1][0] = 0.95 + 0.1 * U(12);
            o.d_min[1][1] = 1.7 + 0.2 * U(13);
            o.density_g_cm3 = 1.2 + 0.5 * U(14);
        }
#undef U
        char name[64];
        snprintf(name, sizeof name, "random box %d (pbc %d%d%d)", (int)t, pbc[0], pbc[1], pbc[2]);
        check_box(name, origin, CZ_CROWS(cell), pbc, &o, 1);
    }
    CZ_CHECK(cz_test_fail_count == fails_before, "24 random boxes");
}

/* A larger periodic block checked with cz_atoms_min_distance (cell lists) instead. */
static void test_large(void) {
    cz_amorphous_opts o;
    cz_amorphous_opts_default(&o);
    o.seed = 31337;
    const double cell[3][3] = {{61.3, 0, 0}, {0, 58.9, 0}, {0, 0, 40.7}};
    cz_atoms *a = NULL;
    cz_amorphous_stats st;
    CZ_CHECK(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, &st) == CZ_OK, "%s", cz_last_error());
    if (!a) return;
    double want = 2.2 * 0.602214076 / cz_element_mass(6) * 61.3 * 58.9 * 40.7;
    CZ_CHECK(fabs((double)a->n - want) <= 0.5, "%zu atoms for %.2f", a->n, want);
    double dmin = 0.0;
    CZ_CHECK(cz_atoms_min_distance(a, &dmin, NULL) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(dmin >= 1.4 && dmin < 1.41, "min distance %.6f (want >= 1.4, and reached)", dmin);
    CZ_CHECK((double)st.scratch_peak_bytes / (double)a->n < 64.0, "%.1f scratch bytes per atom",
             (double)st.scratch_peak_bytes / (double)a->n);
    CZ_CHECK(st.cell_diameter < 1.4, "grid cell diameter %.4f < d_min", st.cell_diameter);
    cz_atoms_destroy(a);
}

static void test_determinism(void) {
    cz_amorphous_opts o;
    cz_amorphous_opts_default(&o);
    o.nspecies = 2;
    o.z[1] = 1;
    o.fraction[1] = 0.3;
    o.d_min[0][1] = o.d_min[1][0] = 1.0;
    o.d_min[1][1] = 1.6;
    o.seed = 42;
    const double cell[3][3] = {{25.1, 0, 0}, {3.0, 24.2, 0}, {0, 0, 19.9}};
    cz_atoms *a = NULL, *b = NULL, *c = NULL;
    cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL);
    cz_amorphous_fill(zero3, cell, pbc_all, &o, &b, NULL);
    o.seed = 43;
    cz_amorphous_fill(zero3, cell, pbc_all, &o, &c, NULL);
    CZ_CHECK(a && b && c, "three fills");
    if (a && b && c) {
        CZ_CHECK(a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0 &&
                     memcmp(a->z, b->z, a->n * sizeof *a->z) == 0,
                 "same seed, same bytes");
        CZ_CHECK(a->n == c->n, "the count does not depend on the seed");
        CZ_CHECK(memcmp(a->xyz, c->xyz, a->n * sizeof *a->xyz) != 0 &&
                     memcmp(a->z, c->z, a->n * sizeof *a->z) != 0,
                 "different seeds, different structures");
    }
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
    cz_atoms_destroy(c);
    /* opts NULL = the defaults (amorphous carbon, seed 0). */
    cz_amorphous_opts_default(&o);
    a = b = NULL;
    CZ_CHECK(cz_amorphous_fill(zero3, cell, pbc_all, NULL, &a, NULL) == CZ_OK, "%s",
             cz_last_error());
    cz_amorphous_fill(zero3, cell, pbc_all, &o, &b, NULL);
    CZ_CHECK(a && b && a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0 &&
                 a->class_id[0] == CZ_CLASS_SUBSTRATE && a->z[0] == 6,
             "NULL opts means the defaults");
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
}

static void test_errors(void) {
    const double cell[3][3] = {{15.3, 0, 0}, {0, 14.7, 0}, {0, 0, 16.1}};
    cz_amorphous_opts o;
    cz_atoms *a = (cz_atoms *)&o; /* must be reset to NULL on failure */
    cz_amorphous_stats st;
#define RESET() (cz_amorphous_opts_default(&o), o.seed = 1)
    RESET();
    CZ_CHECK_FAILS(cz_amorphous_fill(NULL, cell, pbc_all, &o, &a, NULL), CZ_EINVAL, "NULL");
    CZ_CHECK(a == NULL, "out NULLed on failure");
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, NULL, pbc_all, &o, &a, NULL), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, NULL, &o, &a, NULL), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, NULL, NULL), CZ_EINVAL, "NULL");
    o.density_g_cm3 = NAN;
    st.natoms = 77;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, &st), CZ_EINVAL,
                   "density_g_cm3 must be finite and >= 0 (got nan)");
    CZ_CHECK(st.natoms == 0, "stats zeroed on failure");
    o.density_g_cm3 = -2.2;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "density_g_cm3 must be finite and >= 0 (got -2.2)");
    o.density_g_cm3 = INFINITY;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL, "(got inf)");
    RESET();
    o.density_atoms_a3 = -0.1;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "density_atoms_a3 must be finite and >= 0 (got -0.1)");
    o.density_atoms_a3 = 0.1;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "exactly one density");
    o.density_atoms_a3 = 0.0;
    o.density_g_cm3 = 0.0;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "exactly one density");
    RESET();
    o.d_min[0][0] = 0.0;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "d_min[0][0] must be finite and > 0 (got 0)");
    o.d_min[0][0] = -1.4;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL, "(got -1.4)");
    o.d_min[0][0] = NAN;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL, "(got nan)");
    RESET();
    o.nspecies = 2;
    o.z[1] = 8;
    o.fraction[1] = 1.0;
    o.d_min[0][1] = 1.3;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "d_min must be symmetric: d_min[0][1] = 1.3 but d_min[1][0] = 1.4");
    o.d_min[1][0] = 1.3;
    o.z[1] = 6;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "z[0] = z[1] = 6: species must be distinct");
    o.z[1] = 119;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "z[1] = 119 is not an element");
    o.z[1] = 0;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "z[1] = 0 is not an element");
    o.z[1] = 8;
    o.fraction[1] = -0.5;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "fraction[1] must be finite and >= 0 (got -0.5)");
    o.fraction[0] = o.fraction[1] = 0.0;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "fractions must not all be zero");
    RESET();
    o.nspecies = 0;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "nspecies must be 1..8 (got 0)");
    o.nspecies = 9;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL, "(got 9)");
    RESET();
    o.attempts_per_atom = 0.5;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "attempts_per_atom must be finite and >= 1 (got 0.5)");
    RESET();
    o.class_id = 7;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "class_id must be 0..3 (got 7)");
    /* Box errors. */
    RESET();
    const double sing[3][3] = {{10, 0, 0}, {0, 10, 0}, {5, 5, 0}};
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, sing, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "cell is singular");
    const double nan_cell[3][3] = {{10, 0, 0}, {0, NAN, 0}, {0, 0, 10}};
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, nan_cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "cell must be finite");
    const double bad_origin[3] = {0, INFINITY, 0};
    CZ_CHECK_FAILS(cz_amorphous_fill(bad_origin, cell, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "origin must be finite");
    /* A periodic repeat shorter than d_min: every atom would touch its own image. */
    const double thin[3][3] = {{15.0, 0, 0}, {0, 15.0, 0}, {0, 0, 1.3}};
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, thin, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "(0, 0, 1)·cell is 1.3 Å long, shorter than d_min(C–C) = 1.4 Å");
    const int thin_open[3] = {1, 1, 0}; /* the same box open along c is fine */
    CZ_CHECK(cz_amorphous_fill(zero3, thin, thin_open, &o, &a, NULL) == CZ_OK && a,
             "thin slab open along c: %s", cz_last_error());
    cz_atoms_destroy(a);
    /* A skewed periodic cell whose edges are long but whose lattice has a short vector a − b. */
    const double skew[3][3] = {{15.0, 0, 0}, {14.2, 0.9, 0}, {0, 0, 15.0}};
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, skew, pbc_all, &o, &a, NULL), CZ_EINVAL,
                   "(1, -1, 0)·cell is 1.20416 Å long");
    /* Too dense. Far beyond any packing: the grid cells cannot hold the atoms. */
    RESET();
    o.density_g_cm3 = 80.0;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_ERANGE,
                   "cannot be packed");
    /* Beyond random sequential addition's jamming limit (packing fraction 0.38): the candidate
     * budget runs out. */
    o.density_g_cm3 = 6.0;
    o.attempts_per_atom = 20.0;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_ERANGE,
                   "too high for random sequential addition");
    CZ_CHECK(strstr(cz_last_error(), "jams near 0.38") != NULL, "hint: %s", cz_last_error());
    /* Caps. */
    RESET();
    o.max_atoms = 100;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_ERANGE,
                   "exceed the cap of 100 atoms (max_atoms)");
    RESET();
    const double huge[3][3] = {{1e4, 0, 0}, {0, 1e4, 0}, {0, 0, 1e4}};
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, huge, pbc_all, &o, &a, NULL), CZ_ERANGE,
                   "CZ_MAX_ATOMS");
    /* A d_min far below the atomic spacing would need an absurd grid. */
    o.density_g_cm3 = 0.0;
    o.density_atoms_a3 = 1e-4;
    o.d_min[0][0] = 0.05;
    const double big[3][3] = {{100.0, 0, 0}, {0, 100.0, 0}, {0, 0, 100.0}};
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, big, pbc_all, &o, &a, NULL), CZ_ERANGE,
                   "far below the mean atomic spacing");
    /* Pair distances 50 times apart would need an enormous search stencil. */
    RESET();
    o.nspecies = 2;
    o.z[1] = 1;
    o.fraction[1] = 1.0;
    o.d_min[0][0] = 5.0;
    o.d_min[0][1] = o.d_min[1][0] = o.d_min[1][1] = 0.1;
    o.density_g_cm3 = 0.0;
    o.density_atoms_a3 = 0.005;
    CZ_CHECK_FAILS(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL), CZ_ERANGE,
                   "its ratio to the smallest d_min is too large");
    /* An empty result is not an error. */
    RESET();
    o.density_g_cm3 = 1e-6;
    CZ_CHECK(cz_amorphous_fill(zero3, cell, pbc_all, &o, &a, NULL) == CZ_OK && a && a->n == 0,
             "tiny density gives an empty block");
    cz_atoms_destroy(a);
    cz_amorphous_opts_default(NULL); /* no-op */
#undef RESET
}

/* An amorphous carbon block joins a scene as an explicit-atoms object clipped by a box; an Au
 * sphere of higher priority sunk into it removes every carbon atom inside the sphere. */
static void test_scene(void) {
    const double lo[3] = {-30.0, -30.0, -15.0};
    const double edges[3][3] = {{60.0, 0, 0}, {0, 60.0, 0}, {0, 0, 15.0}};
    const int slab[3] = {1, 1, 0};
    cz_amorphous_opts o;
    cz_amorphous_opts_default(&o);
    o.seed = 5;
    cz_atoms *ac = NULL;
    CZ_CHECK(cz_amorphous_fill(lo, edges, slab, &o, &ac, NULL) == CZ_OK, "%s", cz_last_error());
    cz_volume *clip = NULL, *ball = NULL;
    cz_volume_box(lo, edges, &clip);
    const double centre[3] = {0.0, 0.0, 4.0};
    const double radius = 12.0; /* sunk 8 Å into the carbon, whose top is z = 0 */
    cz_volume_sphere(centre, radius, &ball);
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = 79;
    po.a = 4.08;
    cz_lattice *au = NULL;
    cz_lattice_prototype("fcc", &po, &au);
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_object_opts carbon, gold;
    cz_object_opts_default(&carbon);
    carbon.class_id = CZ_CLASS_SUBSTRATE;
    carbon.priority = 0;
    cz_object_opts_default(&gold);
    gold.priority = 10;
    CZ_CHECK(cz_scene_add_atoms(s, ac, clip, &carbon, NULL) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(cz_scene_add_crystal(s, au, ball, &gold, NULL) == CZ_OK, "%s", cz_last_error());
    cz_atoms *a = NULL;
    CZ_CHECK(cz_scene_populate(s, NULL, &a) == CZ_OK && a, "%s", cz_last_error());
    size_t nc = 0, nau = 0, inside = 0, removed_expected = 0;
    for (size_t i = 0; ac && i < ac->n; i++) {
        double d[3] = {ac->xyz[i][0] - centre[0], ac->xyz[i][1] - centre[1],
                       ac->xyz[i][2] - centre[2]};
        removed_expected += sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) <= radius + 1e-9;
    }
    for (size_t i = 0; a && i < a->n; i++) {
        if (a->z[i] == 6) {
            nc++;
            double d[3] = {a->xyz[i][0] - centre[0], a->xyz[i][1] - centre[1],
                           a->xyz[i][2] - centre[2]};
            inside += sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) < radius;
            if (a->class_id[i] != CZ_CLASS_SUBSTRATE || a->object_id[i] != 1) inside += 1000000;
        } else if (a->z[i] == 79) {
            nau++;
        }
    }
    CZ_CHECK(removed_expected > 100, "the sphere overlaps the carbon (%zu atoms)",
             removed_expected);
    CZ_CHECK(a && ac && inside == 0 && nc == ac->n - removed_expected,
             "no carbon inside the Au sphere (%zu inside, %zu of %zu kept, %zu expected removed)",
             inside, nc, ac ? ac->n : 0, removed_expected);
    size_t n_au = 0;
    cz_fill_count(au, ball, NULL, &n_au);
    CZ_CHECK(nau == n_au, "the Au sphere is whole (%zu of %zu)", nau, n_au);
    cz_atoms_destroy(a);
    cz_scene_destroy(s);
    cz_lattice_destroy(au);
    cz_volume_destroy(ball);
    cz_volume_destroy(clip);
    cz_atoms_destroy(ac);
}

int main(void) {
    test_boxes();
    test_sio2();
    test_random_boxes();
    test_large();
    test_determinism();
    test_errors();
    test_scene();
    return cz_test_summary("test_amorphous");
}
