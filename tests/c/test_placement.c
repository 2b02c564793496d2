/* test_placement.c — particles resting on surfaces (support function, random SO(3),
 * contact facet) and cross-object clash removal checked against brute force. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

/* ---- placement ------------------------------------------------------------------------- */

static cz_lattice *fcc(int z, double a) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z;
    po.a = a;
    cz_lattice *l = NULL;
    cz_lattice_prototype("fcc", &po, &l);
    return l;
}

static double det3(const double m[3][3]) {
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
           m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

static int is_rotation(const double r[3][3]) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double d = r[0][i] * r[0][j] + r[1][i] * r[1][j] + r[2][i] * r[2][j];
            if (fabs(d - (i == j)) > 1e-12) return 0;
        }
    return fabs(det3(r) - 1.0) < 1e-12;
}

static void test_sphere(void) {
    /* The benchmark geometry: R = 25 Å sunk by 0.2 R = 5 Å (a tenth of its height). */
    const double c[3] = {0, 0, 0};
    cz_volume *sph = NULL;
    cz_volume_sphere(c, 25.0, &sph);
    cz_place_opts o;
    cz_place_opts_default(&o);
    o.xy[0] = 50.0;
    o.xy[1] = 47.5;
    o.surface_z = 30.0;
    o.depth_fraction = 0.1;
    cz_placement p;
    CZ_CHECK(cz_placement_volume(sph, &o, &p) == CZ_OK, "%s", cz_last_error());
    double x[3];
    cz_transform_apply(&p.tf, c, x);
    CZ_CHECK(fabs(x[0] - 50.0) < 1e-12 && fabs(x[1] - 47.5) < 1e-12 && fabs(x[2] - 50.0) < 1e-12,
             "centre lands at (50, 47.5, 50) (got %g %g %g)", x[0], x[1], x[2]);
    CZ_CHECK_CLOSE(p.bottom_z, 25.0, 1e-12, "bottom = surface − 5 Å");
    CZ_CHECK_CLOSE(p.top_z, 75.0, 1e-12, "top");
    CZ_CHECK_CLOSE(p.extent_z, 50.0, 1e-12, "extent 2R");
    CZ_CHECK_CLOSE(p.depth, 5.0, 1e-12, "depth");
    /* The same with an absolute depth; a negative depth leaves a gap. */
    o.depth_fraction = 0.0;
    o.depth = 5.0;
    cz_placement q;
    cz_placement_volume(sph, &o, &q);
    CZ_CHECK(memcmp(&p.tf, &q.tf, sizeof p.tf) == 0, "depth 5 Å = depth_fraction 0.1");
    o.depth = -2.5;
    cz_placement_volume(sph, &o, &q);
    CZ_CHECK_CLOSE(q.bottom_z, 32.5, 1e-12, "gap of 2.5 Å");
    /* Atoms: the lowest atom goes exactly to surface − depth. */
    cz_lattice *au = fcc(79, 4.08);
    cz_atoms *a = NULL;
    cz_fill_shape(au, sph, NULL, &a);
    o.depth = 1.75;
    o.orient = CZ_ORIENT_RANDOM;
    o.seed = 99;
    o.index = 3;
    CZ_CHECK(cz_placement_atoms(a, &o, &q) == CZ_OK, "%s", cz_last_error());
    cz_transform_apply_n(&q.tf, a->n, a->xyz);
    double lo[3], hi[3];
    cz_atoms_bbox(a, lo, hi);
    CZ_CHECK(fabs(lo[2] - (30.0 - 1.75)) < 1e-9 && fabs(hi[2] - q.top_z) < 1e-9,
             "atoms: bottom %g (want 28.25), top %g vs %g", lo[2], hi[2], q.top_z);
    cz_atoms_destroy(a);
    cz_lattice_destroy(au);
    cz_volume_destroy(sph);
}

static void test_random_orientation(void) {
    /* A box is not rotation invariant, so its support after rotation tests the rotation. */
    const double org[3] = {-3.1, -5.2, -1.7},
                 edges[3][3] = {{8.3, 0, 0}, {1.1, 6.4, 0}, {0, 0.7, 4.9}};
    cz_volume *box = NULL;
    cz_volume_box(org, edges, &box);
    cz_place_opts o;
    cz_place_opts_default(&o);
    o.orient = CZ_ORIENT_RANDOM;
    o.seed = 2024;
    o.stream = 7;
    o.surface_z = 12.0;
    o.depth_fraction = 0.25;
    o.center[0] = 0.9;
    o.center[1] = -0.3;
    o.center[2] = 0.4;
    o.xy[0] = 3.0;
    o.xy[1] = 4.0;
    double mean = 0.0, mean2 = 0.0;
    const int nrot = 4000;
    int ok_rot = 1, ok_bottom = 1, ok_lateral = 1;
    for (int k = 0; k < nrot; k++) {
        o.index = (uint64_t)k;
        cz_placement p;
        cz_placement_volume(box, &o, &p);
        ok_rot &= is_rotation(CZ_CROWS(p.rotation));
        /* Bottom from the corners, independently of the support function. */
        double zmin = INFINITY, zmax = -INFINITY;
        for (int c = 0; c < 8; c++) {
            double x[3];
            for (int m = 0; m < 3; m++)
                x[m] = org[m] + (c & 1) * edges[0][m] + ((c >> 1) & 1) * edges[1][m] +
                       ((c >> 2) & 1) * edges[2][m];
            cz_transform_apply(&p.tf, x, x);
            zmin = fmin(zmin, x[2]);
            zmax = fmax(zmax, x[2]);
        }
        ok_bottom &= fabs(zmin - (12.0 - 0.25 * (zmax - zmin))) < 1e-9;
        double cc[3];
        cz_transform_apply(&p.tf, o.center, cc);
        ok_lateral &= fabs(cc[0] - 3.0) < 1e-12 && fabs(cc[1] - 4.0) < 1e-12;
        /* z component of the rotated z axis: uniform on [−1, 1] for uniform rotations. */
        mean += p.rotation[2][2] / nrot;
        mean2 += p.rotation[2][2] * p.rotation[2][2] / nrot;
    }
    CZ_CHECK(ok_rot, "proper rotations");
    CZ_CHECK(ok_bottom, "bottom corner at surface − depth_fraction × extent");
    CZ_CHECK(ok_lateral, "reference point at (x, y)");
    CZ_CHECK(fabs(mean) < 0.05 && fabs(mean2 - 1.0 / 3.0) < 0.03,
             "uniform on SO(3): <cos> = %g, <cos²> = %g", mean, mean2);
    /* Deterministic from (seed, stream, index); a different index or stream differs. */
    cz_placement p1, p2, p3, p4;
    o.index = 17;
    cz_placement_volume(box, &o, &p1);
    cz_placement_volume(box, &o, &p2);
    o.index = 18;
    cz_placement_volume(box, &o, &p3);
    o.index = 17;
    o.stream = 8;
    cz_placement_volume(box, &o, &p4);
    CZ_CHECK(memcmp(&p1, &p2, sizeof p1) == 0, "same draw, same placement");
    CZ_CHECK(memcmp(&p1.tf, &p3.tf, sizeof p1.tf) != 0, "next index differs");
    CZ_CHECK(memcmp(&p1.tf, &p4.tf, sizeof p1.tf) != 0, "other stream differs");
    cz_volume_destroy(box);
}

static void test_facet(void) {
    /* Winterbottom-like particle: {111} at 10 Å, {100} at 11 Å, and the (−1 −1 −1) facet cut
     * back to 4 Å: that facet goes down onto the surface. */
    double normals[15][3], offsets[15];
    int n = 0;
    for (int s = 0; s < 8; s++) {
        normals[n][0] = (s & 1) ? -1 : 1;
        normals[n][1] = (s & 2) ? -1 : 1;
        normals[n][2] = (s & 4) ? -1 : 1;
        offsets[n] = (s == 7 ? 4.0 : 10.0) * sqrt(3.0);
        n++;
    }
    for (int k = 0; k < 3; k++)
        for (int sg = -1; sg <= 1; sg += 2) {
            memset(normals[n], 0, sizeof normals[n]);
            normals[n][k] = sg;
            offsets[n] = 11.0;
            n++;
        }
    cz_volume *v = NULL;
    CZ_CHECK(cz_volume_polyhedron((size_t)n, CZ_CROWS(normals), offsets, &v) == CZ_OK, "%s",
             cz_last_error());
    cz_place_opts o;
    cz_place_opts_default(&o);
    o.orient = CZ_ORIENT_FACET;
    o.facet_normal[0] = o.facet_normal[1] = o.facet_normal[2] = -1.0;
    o.surface_z = 12.0;
    o.inplane_deg = 37.0;
    o.xy[0] = 20.0;
    o.xy[1] = 21.0;
    cz_placement p;
    CZ_CHECK(cz_placement_volume(v, &o, &p) == CZ_OK, "%s", cz_last_error());
    double nhat[3] = {-1 / sqrt(3.0), -1 / sqrt(3.0), -1 / sqrt(3.0)}, rn[3];
    for (int i = 0; i < 3; i++)
        rn[i] =
            p.rotation[i][0] * nhat[0] + p.rotation[i][1] * nhat[1] + p.rotation[i][2] * nhat[2];
    CZ_CHECK(fabs(rn[0]) < 1e-12 && fabs(rn[1]) < 1e-12 && fabs(rn[2] + 1.0) < 1e-12,
             "facet normal → −z (got %g %g %g)", rn[0], rn[1], rn[2]);
    /* Points of the contact facet (its centre and two more points on it) rest on z = 12. */
    const double f0 = -4.0 / sqrt(3.0), dpt[3][3] = {{0, 0, 0}, {1, -1, 0}, {0.5, 0.5, -1}};
    for (int k = 0; k < 3; k++) {
        double x[3] = {f0 + dpt[k][0], f0 + dpt[k][1], f0 + dpt[k][2]};
        cz_transform_apply(&p.tf, x, x);
        CZ_CHECK(fabs(x[2] - 12.0) < 1e-9, "facet point %d at z = %g", k, x[2]);
    }
    CZ_CHECK(fabs(p.bottom_z - 12.0) < 1e-9, "bottom on the surface");
    /* The filled particle: its facet atoms lie flat on one height, nothing below it. */
    cz_lattice *au = fcc(79, 4.08);
    cz_atoms *a = NULL;
    cz_fill_shape(au, v, NULL, &a);
    cz_placement pa;
    CZ_CHECK(cz_placement_atoms(a, &o, &pa) == CZ_OK, "%s", cz_last_error());
    cz_transform_apply_n(&pa.tf, a->n, a->xyz);
    size_t at_bottom = 0;
    double zmin = INFINITY;
    for (size_t i = 0; i < a->n; i++) zmin = fmin(zmin, a->xyz[i][2]);
    for (size_t i = 0; i < a->n; i++) at_bottom += fabs(a->xyz[i][2] - zmin) < 1e-6;
    CZ_CHECK(fabs(zmin - 12.0) < 1e-9 && at_bottom >= 10,
             "atoms: %zu atoms on the contact (111) plane at %g", at_bottom, zmin);
    cz_atoms_destroy(a);
    cz_lattice_destroy(au);
    /* A facet pointing up is turned over too (the antiparallel case). */
    o.facet_normal[0] = o.facet_normal[1] = 0.0;
    o.facet_normal[2] = 2.0;
    cz_placement_volume(v, &o, &p);
    CZ_CHECK(is_rotation(CZ_CROWS(p.rotation)) && fabs(p.rotation[2][2] + 1.0) < 1e-12,
             "+z facet turned to −z");
    CZ_CHECK_CLOSE(p.extent_z, 22.0, 1e-12, "extent along the {100} axis");
    /* Random in-plane angle: deterministic, keeps the facet down. */
    o.facet_normal[0] = 0.3;
    o.facet_normal[1] = -0.5;
    o.facet_normal[2] = 0.8;
    o.random_inplane = 1;
    o.seed = 5;
    o.index = 11;
    cz_placement r1, r2;
    cz_placement_volume(v, &o, &r1);
    cz_placement_volume(v, &o, &r2);
    double l = sqrt(0.09 + 0.25 + 0.64);
    double z2 = (r1.rotation[2][0] * 0.3 - r1.rotation[2][1] * 0.5 + r1.rotation[2][2] * 0.8) / l;
    CZ_CHECK(memcmp(&r1, &r2, sizeof r1) == 0 && fabs(z2 + 1.0) < 1e-12,
             "random in-plane angle keeps the facet down (%g)", z2);
    cz_volume_destroy(v);
}

static void test_place_errors(void) {
    const double c[3] = {0, 0, 0}, up[3] = {0, 0, 1};
    cz_volume *s = NULL, *h = NULL;
    cz_volume_sphere(c, 3.0, &s);
    cz_volume_halfspace(up, c, &h);
    cz_placement p;
    cz_place_opts o;
    cz_place_opts_default(&o);
    CZ_CHECK_FAILS(cz_placement_volume(NULL, &o, &p), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_placement_volume(s, &o, NULL), CZ_EINVAL, "out must not be NULL");
    CZ_CHECK_FAILS(cz_placement_volume(h, &o, &p), CZ_EINVAL, "unbounded along z");
    o.surface_z = NAN;
    CZ_CHECK_FAILS(cz_placement_volume(s, &o, &p), CZ_EINVAL, "surface_z must be finite");
    cz_place_opts_default(&o);
    o.depth_fraction = INFINITY;
    CZ_CHECK_FAILS(cz_placement_volume(s, &o, &p), CZ_EINVAL, "depth_fraction must be finite");
    cz_place_opts_default(&o);
    o.orient = (cz_orient_mode)5;
    CZ_CHECK_FAILS(cz_placement_volume(s, &o, &p), CZ_EINVAL, "unknown orient mode 5");
    cz_place_opts_default(&o);
    o.orient = CZ_ORIENT_FACET;
    o.facet_normal[2] = 0.0;
    CZ_CHECK_FAILS(cz_placement_volume(s, &o, &p), CZ_EINVAL,
                   "facet_normal must be finite and non-zero");
    cz_atoms *a = NULL;
    cz_atoms_create(0, &a);
    cz_place_opts_default(&o);
    CZ_CHECK_FAILS(cz_placement_atoms(a, &o, &p), CZ_EINVAL, "no atoms");
    CZ_CHECK_FAILS(cz_placement_atoms(NULL, &o, &p), CZ_EINVAL, "must not be NULL");
    cz_atoms_destroy(a);
    cz_volume_destroy(s);
    cz_volume_destroy(h);
}

/* ---- clash removal: brute-force references --------------------------------------------- */

/* Smallest distance between i and any image of j (periodic shifts −k..k). */
static double img_dist(const cz_atoms *a, size_t i, size_t j, int k) {
    double best = INFINITY;
    int lim[3];
    for (int m = 0; m < 3; m++) lim[m] = a->pbc[m] ? k : 0;
    for (int u = -lim[0]; u <= lim[0]; u++)
        for (int v = -lim[1]; v <= lim[1]; v++)
            for (int w = -lim[2]; w <= lim[2]; w++) {
                double d2 = 0;
                for (int m = 0; m < 3; m++) {
                    double d = a->xyz[j][m] + u * a->cell[0][m] + v * a->cell[1][m] +
                               w * a->cell[2][m] - a->xyz[i][m];
                    d2 += d * d;
                }
                best = fmin(best, d2);
            }
    return sqrt(best);
}

static int prio_of(int id, const int *prio, size_t np) {
    return (id >= 0 && (size_t)id < np) ? prio[id] : 0;
}

/* Does object id x beat y (higher priority, then smaller id)? */
static int beats(int x, int y, const int *prio, size_t np) {
    int px = prio_of(x, prio, np), py = prio_of(y, prio, np);
    return px > py || (px == py && x < y);
}

/* The documented rule, all pairs: atoms settle object by object in rank order; an atom is
 * kept unless a kept atom of a better object lies closer than the class distance. */
static void reference_keep(const cz_atoms *a, double dc[4][4], const int *prio, size_t np, int k,
                           unsigned char *keep) {
    size_t n = a->n;
    int *ids = malloc(n * sizeof *ids);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int seen = 0;
        for (size_t q = 0; q < m; q++) seen |= ids[q] == a->object_id[i];
        if (!seen) ids[m++] = a->object_id[i];
    }
    /* Selection sort of objects by rank. */
    for (size_t x = 0; x < m; x++)
        for (size_t y = x + 1; y < m; y++)
            if (beats(ids[y], ids[x], prio, np)) {
                int t = ids[x];
                ids[x] = ids[y];
                ids[y] = t;
            }
    for (size_t i = 0; i < n; i++) keep[i] = 1;
    for (size_t r = 0; r < m; r++)
        for (size_t i = 0; i < n; i++) {
            if (a->object_id[i] != ids[r]) continue;
            for (size_t j = 0; j < n && keep[i]; j++) {
                if (!keep[j] || a->object_id[j] == ids[r]) continue;
                if (!beats(a->object_id[j], ids[r], prio, np)) continue;
                if (img_dist(a, i, j, k) < dc[a->class_id[i]][a->class_id[j]]) keep[i] = 0;
            }
        }
    free(ids);
}

static void push_random(cz_atoms *a, size_t n, const double lo[3], const double span[3], int z,
                        int oid, int cls, uint64_t stream) {
    for (size_t i = 0; i < n; i++) {
        double x[3];
        for (int m = 0; m < 3; m++) x[m] = lo[m] + span[m] * cz_rng_uniform(77, stream, 3 * i + m);
        cz_atoms_push(a, x, z, oid, oid, cls);
    }
}

/* Run removal on a copy and compare with the reference; then check the promised properties
 * independently: no cross pair below its distance, untouched best object, within-object pairs
 * kept, every removed atom clashed with a survivor of a better object. */
static void check_against_reference(const char *name, const cz_atoms *a0, const cz_clash_opts *o,
                                    int k) {
    double dc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) dc[i][j] = o->by_class ? o->class_distance[i][j] : o->distance;
    unsigned char *keep = malloc(a0->n);
    reference_keep(a0, dc, o->priority, o->npriority, k, keep);
    size_t want_removed = 0;
    for (size_t i = 0; i < a0->n; i++) want_removed += !keep[i];
    cz_atoms *a = NULL;
    cz_atoms_copy(a0, &a);
    size_t nrem = 0;
    CZ_CHECK(cz_atoms_remove_clashes(a, o, &nrem) == CZ_OK, "%s: %s", name, cz_last_error());
    CZ_CHECK(nrem == want_removed && a->n == a0->n - nrem, "%s: removed %zu, reference %zu", name,
             nrem, want_removed);
    /* Same survivors, same order. */
    cz_atoms *ref = NULL;
    cz_atoms_copy(a0, &ref);
    cz_atoms_filter(ref, keep);
    CZ_CHECK(ref->n == a->n && memcmp(ref->xyz, a->xyz, a->n * sizeof *a->xyz) == 0 &&
                 memcmp(ref->object_id, a->object_id, a->n * sizeof(int)) == 0,
             "%s: survivors match the brute-force reference", name);
    /* Independent check: no pair of different objects closer than its distance. */
    double worst = INFINITY;
    size_t bad = 0;
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = i + 1; j < a->n; j++) {
            if (a->object_id[i] == a->object_id[j]) continue;
            double d = img_dist(a, i, j, k), lim = dc[a->class_id[i]][a->class_id[j]];
            if (d < lim) bad++;
            if (lim > 0) worst = fmin(worst, d / lim);
        }
    CZ_CHECK(bad == 0, "%s: %zu cross-object pairs closer than d (worst %g × d)", name, bad, worst);
    /* Within-object pairs untouched: close same-object pairs of survivors are still there, and
     * every removed atom had a clash with a surviving atom of a better object. */
    size_t close_same = 0, close_same_kept = 0, unexplained = 0;
    for (size_t i = 0; i < a0->n; i++) {
        for (size_t j = i + 1; j < a0->n; j++)
            if (a0->object_id[i] == a0->object_id[j] && img_dist(a0, i, j, k) < dc[0][0] + 2.0) {
                close_same++;
                close_same_kept += keep[i] && keep[j];
            }
        if (keep[i]) continue;
        int why = 0;
        for (size_t j = 0; j < a0->n && !why; j++)
            why = keep[j] && a0->object_id[j] != a0->object_id[i] &&
                  beats(a0->object_id[j], a0->object_id[i], o->priority, o->npriority) &&
                  img_dist(a0, i, j, k) < dc[a0->class_id[i]][a0->class_id[j]];
        unexplained += !why;
    }
    CZ_CHECK(unexplained == 0, "%s: %zu removals without a clash", name, unexplained);
    CZ_CHECK(close_same > 0 || a0->n < 50, "%s: the scene has close same-object pairs", name);
    (void)close_same_kept;
    cz_atoms_destroy(ref);
    cz_atoms_destroy(a);
    free(keep);
}

static void test_clash_scene(void) {
    /* A "substrate" of random points (with their own close pairs, which must stay), a fcc
     * particle straddling the periodic x boundary, and a few "ligand" atoms. */
    cz_atoms *a = NULL;
    cz_atoms_create(0, &a);
    const double lo[3] = {0, 0, 0}, span[3] = {24.0, 22.0, 12.0};
    push_random(a, 900, lo, span, 6, 1, CZ_CLASS_SUBSTRATE, 1);
    cz_lattice *au = fcc(79, 4.08);
    const double c[3] = {0.7, 11.0, 11.0};
    cz_volume *sph = NULL;
    cz_volume_sphere(c, 6.5, &sph);
    cz_atoms *p = NULL;
    cz_fill_opts fo;
    cz_fill_opts_default(&fo);
    fo.object_id = 2;
    fo.grain_id = 2;
    fo.class_id = CZ_CLASS_PARTICLE;
    cz_fill_shape(au, sph, &fo, &p);
    cz_atoms_append(a, p);
    const double llo[3] = {4.0, 6.0, 14.0}, lspan[3] = {6.0, 10.0, 6.0};
    push_random(a, 60, llo, lspan, 16, 3, CZ_CLASS_LIGAND, 2);
    const double cell[3][3] = {{24, 0, 0}, {0, 22, 0}, {0, 0, 40}};
    const int pbc[3] = {1, 1, 0};
    cz_atoms_set_cell(a, cell, pbc);
    cz_atoms_wrap(a);
    size_t n_particle = p->n;
    cz_clash_opts o;
    cz_clash_opts_default(&o);
    o.distance = 2.2;
    int prio[4] = {0, 0, 5, 0};
    o.priority = prio;
    o.npriority = 4;
    check_against_reference("particle wins", a, &o, 1);
    /* The particle keeps every atom; check the particle's count directly. */
    cz_atoms *b = NULL;
    cz_atoms_copy(a, &b);
    size_t nrem = 0;
    cz_atoms_remove_clashes(b, &o, &nrem);
    size_t kept_p = 0;
    for (size_t i = 0; i < b->n; i++) kept_p += b->object_id[i] == 2;
    CZ_CHECK(kept_p == n_particle && nrem > 20, "particle untouched (%zu of %zu), %zu removed",
             kept_p, n_particle, nrem);
    cz_atoms_destroy(b);
    /* Priority decides: the substrate on top now eats into the particle. */
    prio[1] = 9;
    check_against_reference("substrate wins", a, &o, 1);
    cz_atoms_copy(a, &b);
    cz_atoms_remove_clashes(b, &o, &nrem);
    size_t kept_s = 0;
    for (size_t i = 0; i < b->n; i++) kept_s += b->object_id[i] == 1;
    CZ_CHECK(kept_s == 900, "substrate untouched when it wins (%zu)", kept_s);
    cz_atoms_destroy(b);
    /* No priorities: ties go to the earlier object (smaller id). */
    o.priority = NULL;
    o.npriority = 0;
    check_against_reference("ties", a, &o, 1);
    /* Per class pair: particle–substrate 2.6, substrate–ligand 1.2, particle–ligand 3.0. */
    cz_clash_opts oc;
    cz_clash_opts_default(&oc);
    oc.by_class = 1;
    memset(oc.class_distance, 0, sizeof oc.class_distance);
    oc.class_distance[1][2] = oc.class_distance[2][1] = 2.6;
    oc.class_distance[2][3] = oc.class_distance[3][2] = 1.2;
    oc.class_distance[1][3] = oc.class_distance[3][1] = 3.0;
    int prio2[4] = {0, 1, 3, 2};
    oc.priority = prio2;
    oc.npriority = 4;
    check_against_reference("class distances", a, &oc, 1);
    /* Order of the input does not matter for who survives (reverse the atoms). */
    cz_atoms *r = NULL;
    cz_atoms_copy(a, &r);
    for (size_t i = 0; i < r->n / 2; i++) {
        size_t j = r->n - 1 - i;
        double t[3];
        memcpy(t, r->xyz[i], sizeof t);
        memcpy(r->xyz[i], r->xyz[j], sizeof t);
        memcpy(r->xyz[j], t, sizeof t);
        int tz = r->z[i], to = r->object_id[i], tg = r->grain_id[i], tc = r->class_id[i];
        r->z[i] = r->z[j], r->object_id[i] = r->object_id[j], r->grain_id[i] = r->grain_id[j],
        r->class_id[i] = r->class_id[j];
        r->z[j] = tz, r->object_id[j] = to, r->grain_id[j] = tg, r->class_id[j] = tc;
    }
    cz_atoms_copy(a, &b);
    size_t n1 = 0, n2 = 0;
    cz_atoms_remove_clashes(b, &oc, &n1);
    cz_atoms_remove_clashes(r, &oc, &n2);
    CZ_CHECK(n1 == n2 && n1 > 0, "same removals in reversed order (%zu, %zu)", n1, n2);
    cz_atoms_destroy(r);
    cz_atoms_destroy(b);
    cz_atoms_destroy(p);
    cz_volume_destroy(sph);
    cz_lattice_destroy(au);
    cz_atoms_destroy(a);
}

static void test_clash_periodic(void) {
    /* Two atoms 0.7 Å apart only across the periodic x boundary. */
    cz_atoms *a = NULL;
    cz_atoms_create(0, &a);
    const double x1[3] = {0.4, 5.0, 5.0}, x2[3] = {23.7, 5.0, 5.0};
    cz_atoms_push(a, x1, 6, 1, 1, CZ_CLASS_SUBSTRATE);
    cz_atoms_push(a, x2, 79, 2, 2, CZ_CLASS_PARTICLE);
    const double cell[3][3] = {{24, 0, 0}, {0, 10, 0}, {0, 0, 10}};
    int pbc[3] = {1, 0, 0};
    cz_atoms_set_cell(a, cell, pbc);
    cz_atoms *b = NULL;
    cz_atoms_copy(a, &b);
    size_t nrem = 0;
    cz_atoms_remove_clashes(b, NULL, &nrem);
    CZ_CHECK(nrem == 1 && b->n == 1 && b->object_id[0] == 1,
             "periodic wrap: the later object's atom goes (removed %zu)", nrem);
    cz_atoms_destroy(b);
    pbc[0] = 0;
    cz_atoms_set_cell(a, cell, pbc);
    cz_atoms_remove_clashes(a, NULL, &nrem);
    CZ_CHECK(nrem == 0 && a->n == 2, "without pbc they are 23.3 Å apart (removed %zu)", nrem);
    cz_atoms_destroy(a);
    /* A skewed triclinic cell shorter than the clash distance along a: many images count. */
    cz_atoms_create(0, &a);
    const double tri[3][3] = {{3.0, 0, 0}, {1.3, 9.0, 0}, {0.7, -0.4, 8.5}};
    const int p3[3] = {1, 1, 1};
    for (int i = 0; i < 60; i++) {
        double f[3], x[3];
        for (int m = 0; m < 3; m++) f[m] = cz_rng_uniform(5, 9, 3 * (uint64_t)i + m);
        for (int m = 0; m < 3; m++) x[m] = f[0] * tri[0][m] + f[1] * tri[1][m] + f[2] * tri[2][m];
        cz_atoms_push(a, x, 6, 1 + i % 3, 1, i % 2 ? CZ_CLASS_PARTICLE : CZ_CLASS_SUBSTRATE);
    }
    cz_atoms_set_cell(a, tri, p3);
    cz_clash_opts o;
    cz_clash_opts_default(&o);
    o.distance = 4.0;
    check_against_reference("triclinic, cell shorter than d", a, &o, 3);
    o.distance = 1.3;
    check_against_reference("triclinic, d = 1.3", a, &o, 2);
    /* One tilted periodic row (a wire along (6, 2.5, 1.5)); then no periodicity at all. */
    const double wire[3][3] = {{6.0, 2.5, 1.5}, {0, 0, 0}, {0, 0, 0}};
    const int p1[3] = {1, 0, 0}, p0[3] = {0, 0, 0};
    cz_atoms_set_cell(a, wire, p1);
    o.distance = 2.1;
    check_against_reference("one tilted periodic row", a, &o, 2);
    cz_atoms_set_cell(a, wire, p0);
    check_against_reference("no periodicity", a, &o, 0);
    cz_atoms_destroy(a);
}

static void test_clash_threads(void) {
    /* Large enough for the parallel path; nthreads 1 and 4 give the same bytes. */
    cz_atoms *a = NULL;
    cz_atoms_create(0, &a);
    const double lo[3] = {0, 0, 0}, span[3] = {60, 60, 60};
    push_random(a, 15000, lo, span, 6, 1, CZ_CLASS_SUBSTRATE, 11);
    push_random(a, 12000, lo, span, 14, 2, CZ_CLASS_PARTICLE, 12);
    push_random(a, 6000, lo, span, 8, 3, CZ_CLASS_LIGAND, 13);
    const double cell[3][3] = {{60, 0, 0}, {0, 60, 0}, {0, 0, 60}};
    const int pbc[3] = {1, 1, 1};
    cz_atoms_set_cell(a, cell, pbc);
    cz_atoms *b = NULL;
    cz_atoms_copy(a, &b);
    cz_clash_opts o;
    cz_clash_opts_default(&o);
    o.distance = 1.1;
    o.nthreads = 1;
    size_t n1 = 0, n4 = 0;
    cz_atoms_remove_clashes(a, &o, &n1);
    o.nthreads = 4;
    cz_atoms_remove_clashes(b, &o, &n4);
    CZ_CHECK(
        n1 == n4 && n1 > 1000 && a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0,
        "threads 1 and 4 agree (%zu, %zu removed)", n1, n4);
    /* Spot check of a sample of atoms against all others, by brute force. */
    double worst = INFINITY;
    for (size_t i = 0; i < a->n; i += 1009)
        for (size_t j = 0; j < a->n; j++)
            if (a->object_id[i] != a->object_id[j]) worst = fmin(worst, img_dist(a, i, j, 1));
    CZ_CHECK(worst >= 1.1, "sampled cross pairs >= d (%g)", worst);
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
}

static void test_clash_errors(void) {
    cz_atoms *a = NULL;
    cz_atoms_create(0, &a);
    const double x[3] = {0, 0, 0}, y[3] = {1, 0, 0};
    cz_atoms_push(a, x, 6, 1, 1, 2);
    cz_atoms_push(a, y, 6, 2, 2, 1);
    cz_clash_opts o;
    size_t nrem = 5;
    CZ_CHECK_FAILS(cz_atoms_remove_clashes(NULL, NULL, &nrem), CZ_EINVAL, "atoms must not be NULL");
    CZ_CHECK(nrem == 0, "nremoved zeroed");
    cz_clash_opts_default(&o);
    o.distance = -1.0;
    CZ_CHECK_FAILS(cz_atoms_remove_clashes(a, &o, NULL), CZ_EINVAL, "clash distance must be >= 0");
    cz_clash_opts_default(&o);
    o.by_class = 1;
    o.class_distance[1][2] = 3.0;
    CZ_CHECK_FAILS(cz_atoms_remove_clashes(a, &o, NULL), CZ_EINVAL, "must be symmetric");
    o.class_distance[1][2] = NAN;
    CZ_CHECK_FAILS(cz_atoms_remove_clashes(a, &o, NULL), CZ_EINVAL, "class_distance[1][2]");
    cz_clash_opts_default(&o);
    o.npriority = 3;
    CZ_CHECK_FAILS(cz_atoms_remove_clashes(a, &o, NULL), CZ_EINVAL, "priority is NULL");
    cz_clash_opts_default(&o);
    o.nthreads = -2;
    CZ_CHECK_FAILS(cz_atoms_remove_clashes(a, &o, NULL), CZ_EINVAL, "nthreads must be >= 0");
    a->class_id[1] = 7;
    CZ_CHECK_FAILS(cz_atoms_remove_clashes(a, NULL, NULL), CZ_EINVAL, "class_id 7");
    CZ_CHECK(a->n == 2, "nothing removed on failure");
    a->class_id[1] = 1;
    /* Zero distance: nothing clashes; one object: nothing clashes. */
    cz_clash_opts_default(&o);
    o.distance = 0.0;
    CZ_CHECK(cz_atoms_remove_clashes(a, &o, &nrem) == CZ_OK && nrem == 0, "d = 0");
    a->object_id[1] = 1;
    CZ_CHECK(cz_atoms_remove_clashes(a, NULL, &nrem) == CZ_OK && nrem == 0 && a->n == 2,
             "one object");
    cz_atoms_destroy(a);
}

int main(void) {
    test_sphere();
    test_random_orientation();
    test_facet();
    test_place_errors();
    test_clash_scene();
    test_clash_periodic();
    test_clash_threads();
    test_clash_errors();
    return cz_test_summary("test_placement");
}
