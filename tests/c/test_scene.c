/* test_scene.c — objects, priorities, transform modes, cell clipping, labels, errors. */
#include <math.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static cz_lattice *fcc(int z, double a) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z;
    po.a = a;
    cz_lattice *l = NULL;
    cz_lattice_prototype("fcc", &po, &l);
    return l;
}

/* Is x − shift a site of the fcc lattice with parameter a (integer or half-integer pairs)? */
static int is_fcc_site(const double x[3], const double shift[3], double a) {
    double f[3];
    int s = 0;
    for (int k = 0; k < 3; k++) {
        f[k] = (x[k] - shift[k]) / a * 2.0;
        if (fabs(f[k] - nearbyint(f[k])) > 1e-9) return 0;
        s += (int)llround(f[k]);
    }
    return s % 2 == 0;
}

static size_t count_obj(const cz_atoms *a, int id) {
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) n += a->object_id[i] == id;
    return n;
}

static void test_priority_and_labels(void) {
    cz_lattice *au = fcc(79, 4.08), *cu = fcc(29, 3.615);
    const double c1[3] = {0, 0, 0}, c2[3] = {10.3, 0.7, -0.2};
    cz_volume *s1, *s2;
    cz_volume_sphere(c1, 15.0, &s1);
    cz_volume_sphere(c2, 14.1, &s2);
    size_t n_au = 0, n_cu = 0;
    cz_fill_count(au, s1, NULL, &n_au);
    cz_fill_count(cu, s2, NULL, &n_cu);
    /* Cu atoms that fall inside the Au sphere. */
    cz_atoms *cu_all = NULL;
    cz_fill_shape(cu, s2, NULL, &cu_all);
    size_t cu_in_au = 0;
    for (size_t i = 0; i < cu_all->n; i++) cu_in_au += cz_volume_contains(s1, cu_all->xyz[i]);
    CZ_CHECK(cu_in_au > 100, "the two spheres overlap (%zu)", cu_in_au);

    for (int tie = 0; tie < 2; tie++) {
        cz_scene *s = NULL;
        cz_scene_create(&s);
        cz_object_opts o1, o2;
        cz_object_opts_default(&o1);
        cz_object_opts_default(&o2);
        /* Case 0: Au added first, equal priority → Au wins by the tie rule.
         * Case 1: Cu added first but Au has the higher priority → Au wins by priority. */
        o1.priority = tie ? 5 : 0;
        o2.priority = 0;
        o2.class_id = CZ_CLASS_SUBSTRATE;
        o2.grain_id = 42;
        size_t i_au, i_cu;
        if (tie) {
            cz_scene_add_crystal(s, cu, s2, &o2, &i_cu);
            cz_scene_add_crystal(s, au, s1, &o1, &i_au);
        } else {
            cz_scene_add_crystal(s, au, s1, &o1, &i_au);
            cz_scene_add_crystal(s, cu, s2, &o2, &i_cu);
        }
        CZ_CHECK(cz_scene_count(s) == 2, "two objects");
        cz_atoms *a = NULL;
        CZ_CHECK(cz_scene_populate(s, NULL, &a) == CZ_OK, "%s", cz_last_error());
        int id_au = (int)i_au + 1, id_cu = (int)i_cu + 1;
        CZ_CHECK(count_obj(a, id_au) == n_au, "case %d: Au keeps all %zu atoms (got %zu)", tie, n_au,
                 count_obj(a, id_au));
        CZ_CHECK(count_obj(a, id_cu) == n_cu - cu_in_au, "case %d: Cu %zu, want %zu", tie,
                 count_obj(a, id_cu), n_cu - cu_in_au);
        int labels = 1;
        for (size_t i = 0; i < a->n; i++) {
            if (a->object_id[i] == id_au &&
                (a->z[i] != 79 || a->grain_id[i] != id_au || a->class_id[i] != CZ_CLASS_PARTICLE))
                labels = 0;
            if (a->object_id[i] == id_cu &&
                (a->z[i] != 29 || a->grain_id[i] != 42 || a->class_id[i] != CZ_CLASS_SUBSTRATE))
                labels = 0;
            if (a->object_id[i] == id_cu && cz_volume_contains(s1, a->xyz[i])) labels = 0;
        }
        CZ_CHECK(labels, "case %d: labels and exclusion", tie);
        CZ_CHECK(a->cell[0][0] == 0 && !a->pbc[0], "no cell without scene bounds");
        cz_atoms_destroy(a);
        cz_scene_destroy(s);
    }
    /* Reverse: Cu first with equal priority → Cu wins the overlap, Au loses atoms. */
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_scene_add_crystal(s, cu, s2, NULL, NULL);
    cz_scene_add_crystal(s, au, s1, NULL, NULL);
    cz_atoms *a = NULL;
    cz_scene_populate(s, NULL, &a);
    CZ_CHECK(count_obj(a, 1) == n_cu && count_obj(a, 2) < n_au, "earlier object wins ties");
    cz_atoms_destroy(a);
    cz_scene_destroy(s);
    cz_atoms_destroy(cu_all);
    cz_volume_destroy(s1);
    cz_volume_destroy(s2);
    cz_lattice_destroy(au);
    cz_lattice_destroy(cu);
}

static void test_transform_modes(void) {
    cz_lattice *au = fcc(79, 4.08);
    const double c[3] = {0, 0, 0};
    cz_volume *sph;
    cz_volume_sphere(c, 12.5, &sph);
    const double shift[3] = {0.37, -0.61, 1.13};
    cz_transform t;
    cz_transform_translation(shift, &t);
    size_t n0 = 0;
    cz_fill_count(au, sph, NULL, &n0);
    for (int mode = 0; mode < 3; mode++) {
        cz_scene *s = NULL;
        cz_scene_create(&s);
        cz_scene_add_crystal(s, au, sph, NULL, NULL);
        CZ_CHECK(cz_scene_transform(s, 0, &t, (cz_apply_mode)mode) == CZ_OK, "%s", cz_last_error());
        cz_atoms *a = NULL;
        cz_scene_populate(s, NULL, &a);
        int lattice_ok = 1, inside_ok = 1;
        const double zero[3] = {0, 0, 0};
        /* Locked and lattice-only modes move the lattice; locked and region-only move the cut. */
        const double *lat_shift = mode == CZ_APPLY_REGION ? zero : shift;
        const double *vol_shift = mode == CZ_APPLY_LATTICE ? zero : shift;
        for (size_t i = 0; i < a->n; i++) {
            if (!is_fcc_site(a->xyz[i], lat_shift, 4.08)) lattice_ok = 0;
            double d[3] = {a->xyz[i][0] - vol_shift[0], a->xyz[i][1] - vol_shift[1],
                           a->xyz[i][2] - vol_shift[2]};
            if (sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) > 12.5 + 1e-9) inside_ok = 0;
        }
        CZ_CHECK(lattice_ok && inside_ok, "mode %d: lattice %d inside %d", mode, lattice_ok,
                 inside_ok);
        if (mode == CZ_APPLY_LOCKED) CZ_CHECK(a->n == n0, "locked move keeps the count");
        if (mode != CZ_APPLY_LOCKED) CZ_CHECK(a->n != n0, "mode %d cuts another piece (%zu)", mode, a->n);
        cz_atoms_destroy(a);
        cz_scene_destroy(s);
    }
    /* Locked random rotation about the centre, through the scene API. */
    const size_t want = 3925;
    cz_volume *s25;
    cz_volume_sphere(c, 25.0, &s25);
    for (uint64_t k = 0; k < 4; k++) {
        cz_scene *s = NULL;
        cz_scene_create(&s);
        cz_scene_add_crystal(s, au, s25, NULL, NULL);
        double rm[3][3];
        cz_rng_rotation(11, 1, k, rm);
        cz_transform r;
        cz_transform_matrix(CZ_CROWS(rm), NULL, 1, &r);
        cz_scene_transform(s, 0, &r, CZ_APPLY_LOCKED);
        cz_atoms *a = NULL;
        cz_scene_populate(s, NULL, &a);
        CZ_CHECK(a && a->n == want, "locked rotation %d: %zu atoms", (int)k, a ? a->n : 0);
        cz_atoms_destroy(a);
        cz_scene_destroy(s);
    }
    cz_volume_destroy(s25);
    cz_volume_destroy(sph);
    cz_lattice_destroy(au);
}

static void test_cell_clip_and_errors(void) {
    cz_lattice *au = fcc(79, 4.08);
    const double c[3] = {10, 10, 10};
    cz_volume *big;
    cz_volume_sphere(c, 100.0, &big);
    /* Non-periodic cell of 5×4×3 conventional cells: closed box, so faces are kept:
     * (5·2+1)(4·2+1)(3·2+1) points of the doubled simple-cubic grid with even index sum. */
    const double cell[3][3] = {{20.4, 0, 0}, {0, 16.32, 0}, {0, 0, 12.24}};
    const int nopbc[3] = {0, 0, 0}, pbc[3] = {1, 1, 1};
    cz_scene *s = NULL;
    cz_scene_create(&s);
    CZ_CHECK(cz_scene_set_cell(s, cell, nopbc) == CZ_OK, "%s", cz_last_error());
    cz_scene_add_crystal(s, au, big, NULL, NULL);
    cz_atoms *a = NULL;
    CZ_CHECK(cz_scene_populate(s, NULL, &a) == CZ_OK, "%s", cz_last_error());
    size_t closed = 0;
    for (int i = 0; i <= 10; i++)
        for (int j = 0; j <= 8; j++)
            for (int k = 0; k <= 6; k++) closed += (i + j + k) % 2 == 0;
    CZ_CHECK(a && a->n == closed, "closed box: %zu atoms, want %zu", a ? a->n : 0, closed);
    cz_atoms_destroy(a);
    a = NULL;
    CZ_CHECK(cz_scene_set_cell(s, cell, pbc) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(cz_scene_populate(s, NULL, &a) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(a && a->n == 5 * 4 * 3 * 4, "periodic box: %zu atoms, want 240", a ? a->n : 0);
    double dmin = 0;
    cz_atoms_min_distance(a, &dmin, NULL);
    CZ_CHECK_CLOSE(dmin, 4.08 / sqrt(2.0), 1e-9, "no periodic duplicates");
    cz_atoms_destroy(a);
    a = (cz_atoms *)1;
    cz_populate_opts po;
    cz_populate_opts_default(&po);
    po.max_atoms = 239;
    CZ_CHECK_FAILS(cz_scene_populate(s, &po, &a), CZ_ERANGE, "max_atoms = 239");
    CZ_CHECK(a == NULL, "out NULLed");
    po.max_atoms = CZ_MAX_ATOMS + 1;
    CZ_CHECK_FAILS(cz_scene_populate(s, &po, &a), CZ_ERANGE, "CZ_MAX_ATOMS");
    cz_populate_opts_default(&po);
    po.nthreads = -2;
    CZ_CHECK_FAILS(cz_scene_populate(s, &po, &a), CZ_EINVAL, "nthreads");
    CZ_CHECK_FAILS(cz_scene_populate(NULL, NULL, &a), CZ_EINVAL, "scene must not be NULL");
    cz_transform t;
    cz_transform_identity(&t);
    CZ_CHECK_FAILS(cz_scene_transform(s, 1, &t, CZ_APPLY_LOCKED), CZ_EINVAL, "out of range");
    CZ_CHECK_FAILS(cz_scene_transform(s, 0, &t, (cz_apply_mode)7), CZ_EINVAL, "unknown apply mode");
    cz_transform sing;
    memset(&sing, 0, sizeof sing);
    CZ_CHECK_FAILS(cz_scene_transform(s, 0, &sing, CZ_APPLY_LOCKED), CZ_EINVAL, "singular");
    cz_object_opts oo;
    cz_object_opts_default(&oo);
    oo.class_id = 4;
    CZ_CHECK_FAILS(cz_scene_add_crystal(s, au, big, &oo, NULL), CZ_EINVAL, "class_id");
    cz_object_opts_default(&oo);
    oo.grain_id = -3;
    CZ_CHECK_FAILS(cz_scene_add_crystal(s, au, big, &oo, NULL), CZ_EINVAL, "grain_id");
    CZ_CHECK_FAILS(cz_scene_add_crystal(s, NULL, big, NULL, NULL), CZ_EINVAL, "must not be NULL");
    const double sing_cell[3][3] = {{1, 0, 0}, {2, 0, 0}, {0, 0, 1}};
    CZ_CHECK_FAILS(cz_scene_set_cell(s, sing_cell, nopbc), CZ_EINVAL, "singular");
    const double zero[3][3] = {{0}};
    CZ_CHECK_FAILS(cz_scene_set_cell(s, zero, pbc), CZ_EINVAL, "need a cell");
    CZ_CHECK(cz_scene_set_cell(s, zero, nopbc) == CZ_OK, "zero cell removes the bounds");
    /* Without bounds an unbounded object cannot be filled. */
    const double n[3] = {0, 0, 1};
    cz_volume *hs;
    cz_volume_halfspace(n, c, &hs);
    cz_scene_add_crystal(s, au, hs, NULL, NULL);
    CZ_CHECK_FAILS(cz_scene_populate(s, NULL, &a), CZ_EINVAL, "unbounded");
    cz_volume_destroy(hs);
    cz_scene_destroy(s);
    cz_scene_destroy(NULL);
    cz_volume_destroy(big);
    cz_lattice_destroy(au);
}

/* Explicit-atoms objects: moved by the "lattice" transform, clipped by their region, labelled
 * by the scene; several objects can share one object_id as grains of one particle. */
static void test_atoms_objects(void) {
    cz_atoms *blob = NULL;
    cz_atoms_create(0, &blob);
    for (int i = 0; i < 10; i++) {
        double x[3] = {1.37 * i, 0.5, -0.25};
        cz_atoms_push(blob, x, 6, 99, 98, 3);
    }
    const double c[3] = {4.0, 0.5, -0.25};
    cz_volume *clip = NULL;
    cz_volume_sphere(c, 3.0, &clip); /* keeps x in [1, 7]: atoms 1..5 (1.37..6.85) */
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_object_opts o;
    cz_object_opts_default(&o);
    o.class_id = CZ_CLASS_LIGAND;
    o.object_id = 12;
    o.grain_id = 4;
    size_t idx = 9;
    CZ_CHECK(cz_scene_add_atoms(s, blob, clip, &o, &idx) == CZ_OK && idx == 0, "%s", cz_last_error());
    /* The same atoms again, unclipped, shifted by 100 Å in y with the lattice transform. */
    cz_object_opts_default(&o);
    o.object_id = 12;
    CZ_CHECK(cz_scene_add_atoms(s, blob, NULL, &o, NULL) == CZ_OK, "%s", cz_last_error());
    const double dy[3] = {0, 100.0, 0};
    cz_transform t;
    cz_transform_translation(dy, &t);
    cz_scene_transform(s, 1, &t, CZ_APPLY_LATTICE);
    cz_atoms *a = NULL;
    CZ_CHECK(cz_scene_populate(s, NULL, &a) == CZ_OK, "%s", cz_last_error());
    size_t clipped = 0, moved = 0;
    int labels = 1;
    for (size_t i = 0; a && i < a->n; i++) {
        if (a->object_id[i] != 12) labels = 0;
        if (a->grain_id[i] == 4) {
            clipped++;
            if (a->class_id[i] != CZ_CLASS_LIGAND || fabs(a->xyz[i][0] - 4.0) > 3.0) labels = 0;
        } else {
            moved++;
            /* Default grain = the object id; the unclipped copy keeps every atom, shifted. */
            if (a->grain_id[i] != 12 || fabs(a->xyz[i][1] - 100.5) > 1e-12) labels = 0;
        }
    }
    CZ_CHECK(a && clipped == 5 && moved == 10, "clipped %zu (want 5), moved %zu (want 10)", clipped,
             moved);
    CZ_CHECK(labels, "labels and positions of explicit-atoms objects");
    cz_atoms_destroy(a);
    /* A crystal added after the clipped blob, with equal priority, loses the clip region. */
    cz_lattice *au = fcc(79, 4.08);
    cz_volume *big;
    cz_volume_sphere(c, 9.0, &big);
    cz_scene_add_crystal(s, au, big, NULL, NULL);
    a = NULL;
    cz_scene_populate(s, NULL, &a);
    size_t au_in_clip = 0, au_n = 0;
    for (size_t i = 0; a && i < a->n; i++)
        if (a->z[i] == 79) {
            au_n++;
            au_in_clip += cz_volume_contains(clip, a->xyz[i]);
        }
    CZ_CHECK(au_n > 0 && au_in_clip == 0, "gold kept out of the blob's region (%zu of %zu)",
             au_in_clip, au_n);
    cz_atoms_destroy(a);
    a = NULL;
    cz_populate_opts po;
    cz_populate_opts_default(&po);
    po.max_atoms = 14;
    CZ_CHECK_FAILS(cz_scene_populate(s, &po, &a), CZ_ERANGE, "max_atoms = 14");
    cz_object_opts_default(&o);
    o.object_id = -2;
    CZ_CHECK_FAILS(cz_scene_add_atoms(s, blob, NULL, &o, NULL), CZ_EINVAL, "object_id");
    CZ_CHECK_FAILS(cz_scene_add_atoms(s, NULL, NULL, NULL, NULL), CZ_EINVAL, "must not be NULL");
    cz_atoms_destroy(a);
    cz_volume_destroy(big);
    cz_lattice_destroy(au);
    cz_volume_destroy(clip);
    cz_atoms_destroy(blob);
    cz_scene_destroy(s);
}

int main(void) {
    test_priority_and_labels();
    test_transform_modes();
    test_cell_clip_and_errors();
    test_atoms_objects();
    return cz_test_summary("scene");
}
