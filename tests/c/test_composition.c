/* test_composition.c — exact-count substitution and vacancies with seeded choices, cell-list
 * coordination against brute force (periodic images, tiny and skewed cells), surface
 * roughness that removes only under-coordinated atoms, core–shell particles, and every
 * documented error. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static cz_lattice *proto(const char *name, int z, double a) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z;
    po.a = a;
    cz_lattice *l = NULL;
    cz_lattice_prototype(name, &po, &l);
    return l;
}

/* Object 1: Au sphere at c1 (R1); object 2: Cu sphere at c2 (R2). */
static cz_atoms *two_particles(double r1, double r2) {
    cz_lattice *au = proto("fcc", 79, 4.078), *cu = proto("fcc", 29, 3.615);
    const double c1[3] = {-21.5, 3.25, 1.75}, c2[3] = {19.0, -2.5, 4.125};
    cz_volume *s1 = NULL, *s2 = NULL;
    cz_volume_sphere(c1, r1, &s1);
    cz_volume_sphere(c2, r2, &s2);
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_scene_add_crystal(s, au, s1, NULL, NULL);
    cz_scene_add_crystal(s, cu, s2, NULL, NULL);
    cz_atoms *a = NULL;
    cz_scene_populate(s, NULL, &a);
    /* Tag every atom with its original index, to see which atoms a removal took. */
    for (size_t i = 0; a && i < a->n; i++) a->grain_id[i] = (int)i;
    cz_scene_destroy(s);
    cz_volume_destroy(s1);
    cz_volume_destroy(s2);
    cz_lattice_destroy(au);
    cz_lattice_destroy(cu);
    return a;
}

static size_t count_z(const cz_atoms *a, int z, int object_id) {
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++)
        n += a->z[i] == z && (object_id == 0 || a->object_id[i] == object_id);
    return n;
}

static void test_substitute(void) {
    cz_atoms *ref = two_particles(14.0, 12.0);
    size_t n_au = count_z(ref, 79, 1);
    const double fr[5] = {0.0, 0.0137, 0.237, 0.5, 1.0};
    for (int f = 0; f < 5; f++) {
        cz_atoms *a = NULL, *b = NULL;
        cz_atoms_copy(ref, &a);
        cz_atoms_copy(ref, &b);
        cz_substitute_opts o;
        cz_substitute_opts_default(&o);
        o.z_from = 79;
        o.z_to = 47;
        o.fraction = fr[f];
        o.object_id = 1;
        o.seed = 0x5eed + (uint64_t)f;
        size_t k = 0, k2 = 0;
        CZ_CHECK(cz_atoms_substitute(a, &o, &k) == CZ_OK, "%s", cz_last_error());
        size_t want = (size_t)floor(fr[f] * (double)n_au + 0.5);
        CZ_CHECK(k == want && count_z(a, 47, 1) == want && count_z(a, 79, 1) == n_au - want,
                 "fraction %g: %zu Ag of %zu Au (want %zu)", fr[f], count_z(a, 47, 1), n_au, want);
        CZ_CHECK(count_z(a, 29, 2) == count_z(ref, 29, 2) && count_z(a, 47, 2) == 0,
                 "object 2 untouched");
        cz_atoms_substitute(b, &o, &k2);
        CZ_CHECK(memcmp(a->z, b->z, a->n * sizeof *a->z) == 0, "same seed, same atoms");
        if (f > 0 && f < 4) {
            cz_atoms_destroy(b);
            cz_atoms_copy(ref, &b);
            o.seed += 1000;
            cz_atoms_substitute(b, &o, &k2);
            CZ_CHECK(k2 == k && memcmp(a->z, b->z, a->n * sizeof *a->z) != 0,
                     "other seed: same count, other atoms");
            cz_atoms_destroy(b);
            cz_atoms_copy(ref, &b);
            o.seed -= 1000;
            o.stream = 9;
            cz_atoms_substitute(b, &o, &k2);
            CZ_CHECK(memcmp(a->z, b->z, a->n * sizeof *a->z) != 0, "other stream, other atoms");
        }
        if (f == 3) {
            /* Uniform choice: about half of each half of the sphere. */
            size_t lo = 0, nlo = 0;
            for (size_t i = 0; i < a->n; i++)
                if (ref->z[i] == 79) {
                    if (ref->xyz[i][2] < 1.75) nlo++, lo += a->z[i] == 47;
                }
            double p = (double)lo / (double)nlo;
            CZ_CHECK(fabs(p - 0.5) < 5 * 0.5 / sqrt((double)nlo), "unbiased: %g of the lower half",
                     p);
        }
        cz_atoms_destroy(a);
        cz_atoms_destroy(b);
    }
    /* Rounding: 0.5 of 5 eligible atoms is 3; 0.3 of 5 is 2 (1.5 rounds up). */
    cz_atoms *s = NULL;
    cz_atoms_create(0, &s);
    for (int i = 0; i < 5; i++) {
        double x[3] = {1.1 * i, 0, 0};
        cz_atoms_push(s, x, 26, 1, 1, 1);
    }
    cz_substitute_opts o;
    cz_substitute_opts_default(&o);
    o.z_from = 26;
    o.z_to = 28;
    o.fraction = 0.5;
    size_t k = 0;
    cz_atoms_substitute(s, &o, &k);
    CZ_CHECK(k == 3 && count_z(s, 28, 0) == 3, "0.5 of 5 -> 3 (%zu)", k);
    o.z_from = 28;
    o.z_to = 27;
    o.fraction = 0.5;
    cz_atoms_substitute(s, &o, &k);
    CZ_CHECK(k == 2 && count_z(s, 27, 0) == 2, "0.5 of 3 -> 2 (%zu)", k);
    /* Errors. */
    cz_substitute_opts_default(&o);
    o.z_to = 28;
    CZ_CHECK_FAILS(cz_atoms_substitute(s, &o, NULL), CZ_EINVAL, "z_from");
    o.z_from = 26;
    o.z_to = 119;
    CZ_CHECK_FAILS(cz_atoms_substitute(s, &o, NULL), CZ_EINVAL,
                   "z_to must be an element 1..118 (got 119)");
    o.z_to = 28;
    o.fraction = 1.5;
    CZ_CHECK_FAILS(cz_atoms_substitute(s, &o, NULL), CZ_EINVAL,
                   "fraction must be in [0, 1] (got 1.5)");
    o.fraction = NAN;
    CZ_CHECK_FAILS(cz_atoms_substitute(s, &o, NULL), CZ_EINVAL, "fraction");
    o.fraction = 0.2;
    o.object_id = -1;
    CZ_CHECK_FAILS(cz_atoms_substitute(s, &o, NULL), CZ_EINVAL, "object_id");
    CZ_CHECK_FAILS(cz_atoms_substitute(NULL, &o, NULL), CZ_EINVAL, "must not be NULL");
    cz_atoms_destroy(s);
    cz_atoms_destroy(ref);
}

static void test_vacate(void) {
    cz_atoms *ref = two_particles(14.0, 12.0);
    size_t n1 = 0;
    for (size_t i = 0; i < ref->n; i++) n1 += ref->object_id[i] == 1;
    const double fr[4] = {0.0, 0.0713, 0.31, 1.0};
    for (int f = 0; f < 4; f++) {
        cz_atoms *a = NULL, *b = NULL;
        cz_atoms_copy(ref, &a);
        cz_atoms_copy(ref, &b);
        cz_vacancy_opts o;
        cz_vacancy_opts_default(&o);
        o.fraction = fr[f];
        o.object_id = 1;
        o.seed = 77;
        size_t k = 0, k2 = 0;
        CZ_CHECK(cz_atoms_vacate(a, &o, &k) == CZ_OK, "%s", cz_last_error());
        size_t want = (size_t)floor(fr[f] * (double)n1 + 0.5);
        CZ_CHECK(k == want && a->n == ref->n - want, "fraction %g: removed %zu (want %zu)", fr[f],
                 k, want);
        /* Survivors keep their order and labels; only object 1 lost atoms. */
        int order = 1;
        size_t j = 0;
        for (size_t i = 0; i < a->n; i++) {
            size_t orig = (size_t)a->grain_id[i];
            if (orig < j || ref->object_id[orig] != a->object_id[i] || ref->z[orig] != a->z[i])
                order = 0;
            for (; j < orig; j++)
                if (ref->object_id[j] != 1) order = 0;
            j = orig + 1;
        }
        CZ_CHECK(order, "fraction %g: survivors in order, removals only in object 1", fr[f]);
        cz_atoms_vacate(b, &o, &k2);
        CZ_CHECK(b->n == a->n && memcmp(a->grain_id, b->grain_id, a->n * sizeof(int)) == 0,
                 "same seed, same vacancies");
        cz_atoms_destroy(a);
        cz_atoms_destroy(b);
    }
    /* By element, no object restriction. */
    cz_atoms *a = NULL;
    cz_atoms_copy(ref, &a);
    cz_vacancy_opts o;
    cz_vacancy_opts_default(&o);
    o.fraction = 0.4;
    o.z = 29;
    size_t k = 0, ncu = count_z(ref, 29, 0);
    cz_atoms_vacate(a, &o, &k);
    CZ_CHECK(k == (size_t)floor(0.4 * (double)ncu + 0.5) && count_z(a, 29, 0) == ncu - k &&
                 count_z(a, 79, 0) == count_z(ref, 79, 0),
             "Cu vacancies only (%zu)", k);
    o.z = 200;
    CZ_CHECK_FAILS(cz_atoms_vacate(a, &o, NULL), CZ_EINVAL, "z must be 0 (any) or an element");
    o.z = 0;
    o.fraction = -0.1;
    CZ_CHECK_FAILS(cz_atoms_vacate(a, &o, NULL), CZ_EINVAL, "fraction");
    o.fraction = 0.1;
    o.object_id = -7;
    CZ_CHECK_FAILS(cz_atoms_vacate(a, &o, NULL), CZ_EINVAL, "object_id");
    CZ_CHECK_FAILS(cz_atoms_vacate(a, NULL, NULL), CZ_EINVAL, "must not be NULL");
    cz_atoms_destroy(a);
    cz_atoms_destroy(ref);
}

/* Brute force: all pairs and all periodic images with |n_k| <= m along periodic axes. */
static void brute_coordination(const cz_atoms *a, double cut, int m, int *out) {
    for (size_t i = 0; i < a->n; i++) {
        int c = 0;
        for (size_t j = 0; j < a->n; j++)
            for (int p = -m; p <= m; p++)
                for (int q = -m; q <= m; q++)
                    for (int r = -m; r <= m; r++) {
                        int sh[3] = {p, q, r};
                        int skip = 0;
                        for (int k = 0; k < 3; k++)
                            if (!a->pbc[k] && sh[k] != 0) skip = 1;
                        if (skip || (i == j && p == 0 && q == 0 && r == 0)) continue;
                        double d2 = 0;
                        for (int k = 0; k < 3; k++) {
                            double dk = a->xyz[j][k] - a->xyz[i][k] + p * a->cell[0][k] +
                                        q * a->cell[1][k] + r * a->cell[2][k];
                            d2 += dk * dk;
                        }
                        c += d2 <= cut * cut;
                    }
        out[i] = c;
    }
}

static cz_atoms *periodic_block(const char *name, double a, int nx, int ny, int nz,
                                const int pbc[3]) {
    cz_lattice *l = proto(name, 26, a);
    double cell[3][3];
    for (int k = 0; k < 3; k++)
        for (int m = 0; m < 3; m++) cell[k][m] = l->cell[k][m] * (k == 0 ? nx : k == 1 ? ny : nz);
    cz_scene *s = NULL;
    cz_scene_create(&s);
    const int all[3] = {1, 1, 1};
    cz_scene_set_cell(s, CZ_CROWS(cell), all);
    const double c[3] = {0, 0, 0};
    cz_volume *big = NULL;
    cz_volume_sphere(c, 1000.0, &big);
    cz_scene_add_crystal(s, l, big, NULL, NULL);
    cz_atoms *at = NULL;
    cz_scene_populate(s, NULL, &at);
    /* Shift off the lattice origin so atoms sit inside the cell, not on its faces. */
    const double sh[3] = {0.137, 0.211, 0.173};
    cz_transform t;
    cz_transform_translation(sh, &t);
    cz_transform_apply_n(&t, at->n, at->xyz);
    cz_atoms_set_cell(at, CZ_CROWS(cell), pbc);
    cz_scene_destroy(s);
    cz_volume_destroy(big);
    cz_lattice_destroy(l);
    return at;
}

static void test_coordination(void) {
    const int all[3] = {1, 1, 1}, slab[3] = {1, 1, 0};
    /* fcc bulk: 12 nearest, 18 with the second shell; a 1×1×1 cell counts images only. */
    for (int size = 1; size <= 3; size += 2) {
        cz_atoms *a = periodic_block("fcc", 3.567, size, size, size, all);
        int *cn = malloc(a->n * sizeof *cn), *bf = malloc(a->n * sizeof *bf);
        for (int shell = 0; shell < 2; shell++) {
            double cut = shell ? 1.05 * 3.567 : 0.85 * 3.567;
            CZ_CHECK(cz_atoms_coordination(a, cut, 0, cn) == CZ_OK, "%s", cz_last_error());
            int ok = 1;
            for (size_t i = 0; i < a->n; i++) ok &= cn[i] == (shell ? 18 : 12);
            CZ_CHECK(ok, "fcc %d^3 cells, shell %d: %d neighbours", size, shell, cn[0]);
        }
        /* A cutoff of 2.3 a in a 3.567 Å cell: many images of every atom. */
        double cut = 2.3 * 3.567;
        cz_atoms_coordination(a, cut, 0, cn);
        brute_coordination(a, cut, 4, bf);
        CZ_CHECK(memcmp(cn, bf, a->n * sizeof *cn) == 0,
                 "size %d: large cutoff = brute force (%d vs %d)", size, cn[0], bf[0]);
        free(cn);
        free(bf);
        cz_atoms_destroy(a);
    }
    /* Hexagonal (skewed) cell and a slab periodic in x, y only: brute force. */
    for (int k = 0; k < 2; k++) {
        cz_atoms *a = k ? periodic_block("fcc", 3.615, 3, 2, 2, slab)
                        : periodic_block("hcp", 2.5071, 3, 3, 2, all);
        int *cn = malloc(a->n * sizeof *cn), *bf = malloc(a->n * sizeof *bf);
        double cut = k ? 3.1 : 3.3;
        CZ_CHECK(cz_atoms_coordination(a, cut, 1, cn) == CZ_OK, "%s", cz_last_error());
        brute_coordination(a, cut, 2, bf);
        CZ_CHECK(memcmp(cn, bf, a->n * sizeof *cn) == 0, "%s: cell lists = brute force",
                 k ? "slab" : "hcp");
        if (!k) {
            int ok = 1;
            for (size_t i = 0; i < a->n; i++) ok &= cn[i] == 12;
            CZ_CHECK(ok, "hcp bulk: 12 neighbours (%d)", cn[0]);
        }
        free(cn);
        free(bf);
        cz_atoms_destroy(a);
    }
    /* Isolated particles: brute force, and the thread count does not matter. */
    cz_atoms *a = two_particles(24.0, 21.0);
    int *c1 = malloc(a->n * sizeof *c1), *c2 = malloc(a->n * sizeof *c2),
        *bf = malloc(a->n * sizeof *bf);
    cz_atoms_coordination(a, 3.3, 1, c1);
    cz_atoms_coordination(a, 3.3, 2, c2);
    brute_coordination(a, 3.3, 0, bf);
    CZ_CHECK(a->n > 5000, "enough atoms for threads (%zu)", a->n);
    CZ_CHECK(memcmp(c1, bf, a->n * sizeof *c1) == 0, "isolated: cell lists = brute force");
    CZ_CHECK(memcmp(c1, c2, a->n * sizeof *c1) == 0, "nthreads 1 and 2 agree");
    CZ_CHECK_FAILS(cz_atoms_coordination(a, 0.0, 0, c1), CZ_EINVAL, "cutoff must be > 0");
    CZ_CHECK_FAILS(cz_atoms_coordination(a, INFINITY, 0, c1), CZ_EINVAL, "cutoff");
    CZ_CHECK_FAILS(cz_atoms_coordination(a, 3.0, -1, c1), CZ_EINVAL, "nthreads");
    CZ_CHECK_FAILS(cz_atoms_coordination(NULL, 3.0, 0, c1), CZ_EINVAL, "must not be NULL");
    /* A periodic row parallel to a non-periodic axis cannot be binned. */
    cz_atoms *d = NULL;
    cz_atoms_copy(a, &d);
    const double cell[3][3] = {{0, 0, 0}, {0, 0, 0}, {7.5, 0, 0}};
    d->cell[0][0] = d->cell[1][1] = 0;
    memcpy(d->cell, cell, sizeof cell);
    d->pbc[0] = d->pbc[1] = 0;
    d->pbc[2] = 1;
    CZ_CHECK_FAILS(cz_atoms_coordination(d, 3.0, 0, c1), CZ_EINVAL, "degenerate");
    /* A huge cutoff would count more neighbours than an int holds. */
    cz_atoms *t = periodic_block("fcc", 3.567, 1, 1, 1, all);
    CZ_CHECK_FAILS(cz_atoms_coordination(t, 1e5, 0, c1), CZ_ERANGE, "cutoff");
    cz_atoms_destroy(t);
    cz_atoms_destroy(d);
    free(c1);
    free(c2);
    free(bf);
    cz_atoms_destroy(a);
}

static void test_roughen(void) {
    cz_atoms *ref = two_particles(16.3, 13.7);
    int *cn = malloc(ref->n * sizeof *cn);
    cz_atoms_coordination(ref, 1.25 * 3.615 / sqrt(2.0), 0, cn);
    /* The automatic cutoff is 1.25 × the Cu–Cu distance: Au's first shell (2.88 Å) fits too. */
    size_t nsurf = 0, nsurf2 = 0;
    for (size_t i = 0; i < ref->n; i++) {
        nsurf += cn[i] < 12;
        nsurf2 += cn[i] < 12 && ref->object_id[i] == 2;
    }
    cz_atoms *a = NULL, *b = NULL;
    cz_atoms_copy(ref, &a);
    cz_atoms_copy(ref, &b);
    cz_roughen_opts o;
    cz_roughen_opts_default(&o);
    o.fraction = 0.3;
    o.seed = 2718;
    size_t k = 0, k2 = 0;
    CZ_CHECK(cz_atoms_roughen(a, &o, &k) == CZ_OK, "%s", cz_last_error());
    size_t want = (size_t)floor(0.3 * (double)nsurf + 0.5);
    CZ_CHECK(k == want && a->n == ref->n - want, "removed %zu of %zu surface atoms (want %zu)", k,
             nsurf, want);
    unsigned char *kept = calloc(ref->n, 1);
    for (size_t i = 0; i < a->n; i++) kept[a->grain_id[i]] = 1;
    int only_surface = 1;
    for (size_t i = 0; i < ref->n; i++)
        if (!kept[i] && cn[i] >= 12) only_surface = 0;
    CZ_CHECK(only_surface, "only under-coordinated (surface) atoms are removed");
    printf("roughness: %zu atoms, %zu surface (cn < 12), %zu removed\n", ref->n, nsurf, k);
    cz_atoms_roughen(b, &o, &k2);
    CZ_CHECK(b->n == a->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0,
             "same seed, same surface");
    cz_atoms_destroy(b);
    /* Restricted to object 2, explicit cutoff and bulk coordination. */
    cz_atoms_copy(ref, &b);
    o.object_id = 2;
    o.cutoff = 3.1;
    o.bulk_coordination = 12;
    cz_atoms_roughen(b, &o, &k2);
    int only2 = 1;
    memset(kept, 0, ref->n);
    for (size_t i = 0; i < b->n; i++) kept[b->grain_id[i]] = 1;
    for (size_t i = 0; i < ref->n; i++)
        if (!kept[i] && ref->object_id[i] != 2) only2 = 0;
    CZ_CHECK(only2 && k2 == (size_t)floor(0.3 * (double)nsurf2 + 0.5), "object 2 only: %zu", k2);
    cz_atoms_destroy(b);
    /* Two passes dig deeper than one. */
    cz_atoms_copy(ref, &b);
    cz_roughen_opts_default(&o);
    o.fraction = 0.3;
    o.passes = 2;
    cz_atoms_roughen(b, &o, &k2);
    CZ_CHECK(k2 > k, "two passes remove more (%zu > %zu)", k2, k);
    cz_atoms_destroy(b);
    /* A periodic bulk crystal has no surface. */
    const int all[3] = {1, 1, 1};
    cz_atoms *bulk = periodic_block("fcc", 3.615, 3, 3, 3, all);
    cz_roughen_opts_default(&o);
    o.fraction = 0.5;
    o.bulk_coordination = 12;
    CZ_CHECK(cz_atoms_roughen(bulk, &o, &k2) == CZ_OK && k2 == 0 && bulk->n == 108,
             "periodic bulk: nothing removed (%zu)", k2);
    /* Errors. */
    cz_roughen_opts_default(&o);
    o.fraction = 2;
    CZ_CHECK_FAILS(cz_atoms_roughen(a, &o, NULL), CZ_EINVAL, "fraction");
    cz_roughen_opts_default(&o);
    o.cutoff = -1;
    CZ_CHECK_FAILS(cz_atoms_roughen(a, &o, NULL), CZ_EINVAL, "cutoff must be > 0");
    cz_roughen_opts_default(&o);
    o.bulk_coordination = -2;
    CZ_CHECK_FAILS(cz_atoms_roughen(a, &o, NULL), CZ_EINVAL, "bulk_coordination");
    cz_roughen_opts_default(&o);
    o.object_id = -1;
    CZ_CHECK_FAILS(cz_atoms_roughen(a, &o, NULL), CZ_EINVAL, "object_id");
    cz_roughen_opts_default(&o);
    o.passes = 0;
    CZ_CHECK_FAILS(cz_atoms_roughen(a, &o, NULL), CZ_EINVAL, "passes");
    cz_roughen_opts_default(&o);
    o.nthreads = -1;
    CZ_CHECK_FAILS(cz_atoms_roughen(a, &o, NULL), CZ_EINVAL, "nthreads");
    cz_roughen_opts_default(&o);
    CZ_CHECK_FAILS(cz_atoms_roughen(NULL, &o, NULL), CZ_EINVAL, "must not be NULL");
    cz_atoms *one = NULL;
    cz_atoms_create(0, &one);
    const double x0[3] = {0, 0, 0};
    cz_atoms_push(one, x0, 6, 0, 0, 0);
    CZ_CHECK_FAILS(cz_atoms_roughen(one, &o, NULL), CZ_EINVAL, "at least two atoms");
    o.cutoff = 1e5;
    o.fraction = 0.5;
    CZ_CHECK_FAILS(cz_atoms_roughen(bulk, &o, NULL), CZ_ERANGE, "cutoff");
    cz_atoms_destroy(one);
    cz_atoms_destroy(bulk);
    free(kept);
    free(cn);
    cz_atoms_destroy(a);
    cz_atoms_destroy(ref);
}

/* Is y/(scale) − origin a site of fcc with parameter a? */
static int fcc_site(const double y[3], double a, double scale) {
    int s = 0;
    for (int k = 0; k < 3; k++) {
        double g = 2 * y[k] / (a * scale);
        if (fabs(g - nearbyint(g)) > 1e-8) return 0;
        s += (int)llround(g);
    }
    return s % 2 == 0;
}

static void test_core_shell(void) {
    const double a_au = 4.078, a_ag = 4.086, rc = 9.3, rs = 15.1, mis = 0.0213;
    cz_lattice *au = proto("fcc", 79, a_au), *ag = proto("fcc", 47, a_ag);
    const double c[3] = {0.3, -0.2, 0.1};
    cz_volume *core = NULL, *shell = NULL;
    cz_volume_sphere(c, rc, &core);
    cz_volume_sphere(c, rs, &shell);
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_scene_add_crystal(s, au, core, NULL, NULL); /* an unrelated object 1 first */
    double rot[3][3];
    cz_rng_rotation(9, 9, 9, rot);
    const double t[3] = {40.0, 35.5, 30.25};
    cz_core_shell_opts o;
    cz_core_shell_opts_default(&o);
    cz_transform_matrix(CZ_CROWS(rot), t, 1, &o.placement);
    o.mismatch = mis;
    o.object.class_id = CZ_CLASS_PARTICLE;
    size_t first = 0;
    CZ_CHECK(cz_scene_add_core_shell(s, au, core, ag, shell, &o, &first) == CZ_OK, "%s",
             cz_last_error());
    CZ_CHECK(first == 1 && cz_scene_count(s) == 3, "core at index 1, shell at 2");
    cz_atoms *at = NULL;
    cz_scene_populate(s, NULL, &at);
    cz_transform inv;
    cz_transform_invert(&o.placement, &inv);
    size_t ncore = 0, nshell = 0;
    int ok = 1;
    for (size_t i = 0; i < at->n; i++) {
        if (at->object_id[i] == 1) continue;
        double y[3];
        cz_transform_apply(&inv, at->xyz[i], y);
        double d = sqrt(pow(y[0] - c[0], 2) + pow(y[1] - c[1], 2) + pow(y[2] - c[2], 2));
        if (at->object_id[i] != 2) ok = 0;
        if (at->grain_id[i] == 2) {
            ncore++;
            if (at->z[i] != 79 || d > rc + 1e-9 || !fcc_site(y, a_au, 1.0)) ok = 0;
        } else if (at->grain_id[i] == 3) {
            nshell++;
            if (at->z[i] != 47 || d <= rc || d > rs + 1e-9 || !fcc_site(y, a_ag, 1 + mis)) ok = 0;
        } else {
            ok = 0;
        }
    }
    /* Expected counts: the core's fill, and the shell's scaled lattice outside the core. */
    size_t want_core = 0;
    cz_fill_count(au, core, NULL, &want_core);
    cz_fill_opts fo;
    cz_fill_opts_default(&fo);
    double m[3][3] = {{1 + mis, 0, 0}, {0, 1 + mis, 0}, {0, 0, 1 + mis}};
    cz_transform_matrix(CZ_CROWS(m), NULL, 0, &fo.lattice_tf);
    cz_atoms *sh = NULL;
    cz_fill_shape(ag, shell, &fo, &sh);
    size_t want_shell = 0;
    for (size_t i = 0; i < sh->n; i++) want_shell += !cz_volume_contains(core, sh->xyz[i]);
    CZ_CHECK(ok, "labels: one object, core grain 2 (Au, inside R_c), shell grain 3 (Ag, scaled)");
    CZ_CHECK(ncore == want_core && nshell == want_shell,
             "core %zu (want %zu), shell %zu (want %zu)", ncore, want_core, nshell, want_shell);
    cz_atoms_destroy(sh);
    cz_atoms_destroy(at);

    /* Coherent shell (Au spacing, Ag species) relaxed by the misfit field: the core wins by
     * priority, grains distinct, and the field leaves the structure intact. */
    cz_scene_destroy(s);
    cz_scene_create(&s);
    cz_lattice *ag_coh = NULL;
    cz_lattice_copy(au, &ag_coh);
    for (size_t b = 0; b < ag_coh->nbasis; b++) ag_coh->z[b] = 47;
    cz_core_shell_opts_default(&o);
    o.object.grain_id = 10;
    o.object.priority = 2;
    cz_scene_add_core_shell(s, au, core, ag_coh, shell, &o, &first);
    at = NULL;
    cz_scene_populate(s, NULL, &at);
    size_t g10 = 0, g11 = 0;
    for (size_t i = 0; i < at->n; i++) {
        g10 += at->grain_id[i] == 10 && at->z[i] == 79;
        g11 += at->grain_id[i] == 11 && at->z[i] == 47;
    }
    CZ_CHECK(g10 + g11 == at->n && g10 == want_core, "grain ids 10 (core) and 11 (shell)");
    double d0 = 0, d1 = 0;
    cz_atoms_min_distance(at, &d0, NULL);
    cz_core_shell_strain_opts so;
    cz_core_shell_strain_opts_default(&so);
    memcpy(so.center, c, sizeof so.center);
    so.core_radius = rc;
    so.shell_radius = rs;
    so.misfit = a_ag / a_au - 1;
    cz_strain_core_shell(at, &so, NULL);
    cz_atoms_min_distance(at, &d1, NULL);
    CZ_CHECK_CLOSE(d0, a_au / sqrt(2.0), 1e-9, "coherent core-shell: bulk distance before");
    CZ_CHECK(d1 > 0.99 * d0 && d1 < d0 * (1 + so.misfit), "relaxed: %g vs %g", d1, d0);
    cz_atoms_destroy(at);
    cz_lattice_destroy(ag_coh);

    /* Errors: nothing is added. */
    size_t n0 = cz_scene_count(s);
    CZ_CHECK_FAILS(cz_scene_add_core_shell(s, au, core, NULL, shell, NULL, NULL), CZ_EINVAL,
                   "must not be NULL");
    cz_core_shell_opts_default(&o);
    o.mismatch = -1.0;
    CZ_CHECK_FAILS(cz_scene_add_core_shell(s, au, core, ag, shell, &o, NULL), CZ_EINVAL,
                   "mismatch");
    cz_core_shell_opts_default(&o);
    memset(&o.placement, 0, sizeof o.placement);
    CZ_CHECK_FAILS(cz_scene_add_core_shell(s, au, core, ag, shell, &o, NULL), CZ_EINVAL,
                   "invertible");
    cz_core_shell_opts_default(&o);
    o.object.class_id = -1;
    CZ_CHECK_FAILS(cz_scene_add_core_shell(s, au, core, ag, shell, &o, NULL), CZ_EINVAL,
                   "class_id");
    cz_core_shell_opts_default(&o);
    o.object.grain_id = -2;
    CZ_CHECK_FAILS(cz_scene_add_core_shell(s, au, core, ag, shell, &o, NULL), CZ_EINVAL,
                   "grain_id");
    cz_core_shell_opts_default(&o);
    o.object.object_id = -2;
    CZ_CHECK_FAILS(cz_scene_add_core_shell(s, au, core, ag, shell, &o, NULL), CZ_EINVAL,
                   "object_id");
    cz_core_shell_opts_default(&o);
    o.object.priority = INT_MAX;
    CZ_CHECK_FAILS(cz_scene_add_core_shell(s, au, core, ag, shell, &o, NULL), CZ_EINVAL,
                   "priority");
    CZ_CHECK(cz_scene_count(s) == n0, "failed calls add nothing");
    cz_substitute_opts_default(NULL);
    cz_vacancy_opts_default(NULL);
    cz_roughen_opts_default(NULL);
    cz_core_shell_opts_default(NULL);
    cz_scene_destroy(s);
    cz_volume_destroy(core);
    cz_volume_destroy(shell);
    cz_lattice_destroy(au);
    cz_lattice_destroy(ag);
}

int main(void) {
    test_substitute();
    test_vacate();
    test_coordination();
    test_roughen();
    test_core_shell();
    return cz_test_summary("composition");
}
