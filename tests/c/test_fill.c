/* test_fill.c — crystal fill: exact lattice-point counts, completeness against brute force
 * for arbitrary cells and orientations, determinism across thread counts, error paths. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static cz_lattice *fcc_au(void) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = 79;
    po.a = 4.08;
    cz_lattice *l = NULL;
    cz_lattice_prototype("fcc", &po, &l);
    return l;
}

static size_t fill_count_sphere(const cz_lattice *l, double r, const cz_transform *lat_tf) {
    const double c[3] = {0, 0, 0};
    cz_volume *v = NULL;
    cz_volume_sphere(c, r, &v);
    cz_fill_opts o;
    cz_fill_opts_default(&o);
    if (lat_tf) o.lattice_tf = *lat_tf;
    cz_atoms *a = NULL;
    cz_status s = cz_fill_shape(l, v, &o, &a);
    size_t n = (s == CZ_OK) ? a->n : (size_t)-1;
    cz_atoms_destroy(a);
    cz_volume_destroy(v);
    return n;
}

/* Reference facts (shared/reference/README.md): fcc Au a = 4.08 Å, lattice point at the
 * centre, |r| <= R. */
static void test_reference_counts(void) {
    cz_lattice *l = fcc_au();
    const double radius[3] = {25, 50, 100};
    const size_t want[3] = {3925, 30885, 246617};
    for (int i = 0; i < 3; i++) {
        CZ_CHECK(fill_count_sphere(l, radius[i], NULL) == want[i], "R = %g: got %zu want %zu",
                 radius[i], fill_count_sphere(l, radius[i], NULL), want[i]);
        /* A locked rotation about the centre moves lattice and sphere together: the count
         * cannot change. Rotate both: lattice_tf = R, volume = R(sphere) = sphere. */
        for (uint64_t k = 0; k < 3; k++) {
            cz_transform tf;
            double rot[3][3];
            cz_rng_rotation(2024, 7, k, rot);
            const double zero[3] = {0, 0, 0};
            cz_transform_matrix(CZ_CROWS(rot), zero, 1, &tf);
            size_t n = fill_count_sphere(l, radius[i], &tf);
            CZ_CHECK(n == want[i], "R = %g rotated #%d: got %zu want %zu", radius[i], (int)k, n,
                     want[i]);
        }
    }
    cz_lattice_destroy(l);
}

/* Brute force: enumerate every lattice site of a generous index box and count those inside.
 * The fill must produce exactly that set (same count, every atom inside). */
static void brute_force_compare(const cz_lattice *l, const cz_volume *v, const cz_transform *tf,
                                long range, const char *what) {
    cz_fill_opts o;
    cz_fill_opts_default(&o);
    o.lattice_tf = *tf;
    cz_atoms *a = NULL;
    cz_status s = cz_fill_shape(l, v, &o, &a);
    CZ_CHECK(s == CZ_OK, "%s: fill failed: %s", what, cz_last_error());
    if (s != CZ_OK) return;
    size_t brute = 0;
    for (size_t b = 0; b < l->nbasis; b++)
        for (long i = -range; i <= range; i++)
            for (long j = -range; j <= range; j++)
                for (long k = -range; k <= range; k++) {
                    long ijk[3] = {i, j, k};
                    double x[3], y[3];
                    cz_lattice_site(l, b, ijk, x);
                    cz_transform_apply(tf, x, y);
                    /* The fill tests membership in the lattice frame; test the same way, up to
                     * rounding, by mapping the volume point back is not possible here, so
                     * accept points whose world position is inside. */
                    if (cz_volume_contains(v, y)) brute++;
                }
    size_t outside = 0;
    for (size_t i = 0; i < a->n; i++)
        if (!cz_volume_contains(v, a->xyz[i])) outside++;
    CZ_CHECK(a->n == brute, "%s: fill %zu atoms, brute force %zu", what, a->n, brute);
    CZ_CHECK(outside == 0, "%s: %zu atoms outside the volume", what, outside);
    size_t cnt = 0;
    CZ_CHECK(cz_fill_count(l, v, &o, &cnt) == CZ_OK && cnt == a->n, "%s: count %zu vs %zu", what,
             cnt, a->n);
    cz_atoms_destroy(a);
}

static void test_against_brute_force(void) {
    /* A triclinic lattice with a 3-site basis, several volumes, random orientations. */
    double cell[3][3];
    cz_cell_from_parameters(3.615, 4.271, 5.093, 71.3, 84.9, 103.7, cell);
    const double frac[3][3] = {{0, 0, 0}, {0.313, 0.141, 0.592}, {0.777, 0.52, 0.25}};
    const int z[3] = {14, 8, 26};
    cz_lattice *l = NULL;
    CZ_CHECK(cz_lattice_create(CZ_CROWS(cell), 3, frac, z, &l) == CZ_OK, "%s", cz_last_error());
    const double c[3] = {0.37, -1.21, 0.83};
    cz_volume *sph, *cyl, *box, *hs, *cut, *uni, *dif, *hull, *rot;
    cz_volume_sphere(c, 11.3, &sph);
    const double axis[3] = {0.3, 1.0, -0.4};
    cz_volume_cylinder(c, axis, 6.1, 17.9, &cyl);
    const double org[3] = {-7.1, -5.3, -6.2};
    const double edges[3][3] = {{13.3, 1.7, 0.4}, {-2.1, 11.9, 1.3}, {0.9, -1.1, 12.2}};
    cz_volume_box(org, edges, &box);
    const double n[3] = {1, 1, 1}, p[3] = {1.1, 0.2, 0.3};
    cz_volume_halfspace(n, p, &hs);
    cz_volume_intersection(sph, hs, &cut);
    cz_volume_union(cut, cyl, &uni);
    cz_volume_difference(box, sph, &dif);
    const double pts[6][3] = {{9, 0, 0}, {-8.5, 0.3, 0}, {0, 9.2, 0.1}, {0, -7.7, 0},
                              {0.4, 0, 10.1}, {0, 0.2, -9.3}};
    cz_volume_hull(6, pts, &hull);
    cz_transform t;
    cz_transform_euler(31.0, 47.0, -12.5, c, &t);
    cz_volume_transform(dif, &t, &rot);
    const cz_volume *vols[] = {sph, cyl, box, cut, uni, dif, hull, rot};
    const char *names[] = {"sphere", "cylinder", "box", "sphere∩halfspace",
                           "union",  "box\\sphere", "hull", "rotated difference"};
    for (int v = 0; v < 8; v++)
        for (uint64_t k = 0; k < 3; k++) {
            cz_transform tf;
            double rm[3][3];
            cz_rng_rotation(99, 3, k, rm);
            const double shift[3] = {0.21 * (double)k, -0.13, 0.05};
            cz_transform_matrix(CZ_CROWS(rm), shift, 1, &tf);
            char what[96];
            snprintf(what, sizeof what, "%s, orientation %d", names[v], (int)k);
            brute_force_compare(l, vols[v], &tf, 14, what);
        }
    cz_volume_destroy(sph);
    cz_volume_destroy(cyl);
    cz_volume_destroy(box);
    cz_volume_destroy(hs);
    cz_volume_destroy(cut);
    cz_volume_destroy(uni);
    cz_volume_destroy(dif);
    cz_volume_destroy(hull);
    cz_volume_destroy(rot);
    cz_lattice_destroy(l);
}

static void test_labels_and_determinism(void) {
    cz_lattice *l = fcc_au();
    const double c[3] = {0.5, 0.25, -0.75};
    cz_volume *v;
    cz_volume_sphere(c, 50.0, &v);
    cz_fill_opts o;
    cz_fill_opts_default(&o);
    o.object_id = 7;
    o.grain_id = 3;
    o.class_id = CZ_CLASS_SUBSTRATE;
    double rm[3][3];
    cz_rng_rotation(5, 0, 0, rm);
    cz_transform_matrix(CZ_CROWS(rm), c, 1, &o.lattice_tf);
    cz_atoms *a1 = NULL, *a2 = NULL;
    o.nthreads = 1;
    CZ_CHECK(cz_fill_shape(l, v, &o, &a1) == CZ_OK, "%s", cz_last_error());
    o.nthreads = 2;
    CZ_CHECK(cz_fill_shape(l, v, &o, &a2) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(a1->n == a2->n && a1->n > 20000, "n %zu vs %zu", a1->n, a2->n);
    CZ_CHECK(memcmp(a1->xyz, a2->xyz, a1->n * sizeof *a1->xyz) == 0,
             "positions differ between 1 and 2 threads");
    int labels_ok = 1;
    for (size_t i = 0; i < a1->n; i++)
        if (a1->z[i] != 79 || a1->object_id[i] != 7 || a1->grain_id[i] != 3 ||
            a1->class_id[i] != CZ_CLASS_SUBSTRATE)
            labels_ok = 0;
    CZ_CHECK(labels_ok, "labels not carried to every atom");
    /* Nearest neighbours of fcc: a/√2, never closer. */
    double dmin;
    cz_atoms_min_distance(a1, &dmin, NULL);
    CZ_CHECK_CLOSE(dmin, 4.08 / sqrt(2.0), 1e-9, "fcc nearest-neighbour distance");
    cz_atoms_destroy(a1);
    cz_atoms_destroy(a2);
    cz_volume_destroy(v);
    cz_lattice_destroy(l);
}

static void test_errors(void) {
    cz_lattice *l = fcc_au();
    const double c[3] = {0, 0, 0}, n[3] = {0, 0, 1};
    cz_volume *sph, *hs, *huge;
    cz_volume_sphere(c, 25.0, &sph);
    cz_volume_halfspace(n, c, &hs);
    cz_volume_sphere(c, 1e7, &huge);
    cz_atoms *a = (cz_atoms *)1;
    CZ_CHECK_FAILS(cz_fill_shape(NULL, sph, NULL, &a), CZ_EINVAL, "must not be NULL");
    CZ_CHECK(a == NULL, "out not NULLed on failure");
    CZ_CHECK_FAILS(cz_fill_shape(l, NULL, NULL, &a), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_fill_shape(l, sph, NULL, NULL), CZ_EINVAL, "out must not be NULL");
    CZ_CHECK_FAILS(cz_fill_shape(l, hs, NULL, &a), CZ_EINVAL, "unbounded");
    cz_fill_opts o;
    cz_fill_opts_default(&o);
    o.max_atoms = 3924;
    CZ_CHECK_FAILS(cz_fill_shape(l, sph, &o, &a), CZ_ERANGE, "max_atoms = 3924");
    o.max_atoms = 3925;
    CZ_CHECK(cz_fill_shape(l, sph, &o, &a) == CZ_OK && a->n == 3925, "exact cap accepted");
    cz_atoms_destroy(a);
    /* A sphere of 10 km: refused before any loop over its cells. */
    CZ_CHECK_FAILS(cz_fill_shape(l, huge, NULL, &a), CZ_ERANGE, "cap");
    size_t cnt = 1;
    CZ_CHECK_FAILS(cz_fill_count(l, huge, NULL, &cnt), CZ_ERANGE, "cap");
    CZ_CHECK_FAILS(cz_fill_count(l, sph, NULL, NULL), CZ_EINVAL, "count must not be NULL");
    cz_fill_opts_default(&o);
    o.max_atoms = CZ_MAX_ATOMS + 1;
    CZ_CHECK_FAILS(cz_fill_shape(l, sph, &o, &a), CZ_ERANGE, "CZ_MAX_ATOMS");
    cz_fill_opts_default(&o);
    o.class_id = 9;
    CZ_CHECK_FAILS(cz_fill_shape(l, sph, &o, &a), CZ_EINVAL, "class_id");
    cz_fill_opts_default(&o);
    o.nthreads = -1;
    CZ_CHECK_FAILS(cz_fill_shape(l, sph, &o, &a), CZ_EINVAL, "nthreads");
    cz_fill_opts_default(&o);
    memset(o.lattice_tf.m, 0, sizeof o.lattice_tf.m);
    CZ_CHECK_FAILS(cz_fill_shape(l, sph, &o, &a), CZ_EINVAL, "singular");
    cz_fill_opts_default(&o);
    o.lattice_tf.t[1] = NAN;
    CZ_CHECK_FAILS(cz_fill_shape(l, sph, &o, &a), CZ_EINVAL, "not finite");
    cz_volume_destroy(sph);
    cz_volume_destroy(hs);
    cz_volume_destroy(huge);
    cz_lattice_destroy(l);
}

int main(void) {
    test_reference_counts();
    test_against_brute_force();
    test_labels_and_determinism();
    test_errors();
    return cz_test_summary("fill");
}
