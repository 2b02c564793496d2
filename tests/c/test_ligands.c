/* test_ligands.c — surface sites of fcc Au particles (counts against brute-force coordination,
 * exact facet normals, exposure test around a vacancy), ligands placed at the bond length along
 * the normal with seeded spins and exact coverage counts, no clashes with the particle or
 * between ligands (checked all-pairs here, with periodic images for a slab), byte-identical
 * output for one seed and any thread count, and every documented error. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static const double A_AU = 4.078;

static cz_lattice *fcc_au(void) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = 79;
    po.a = A_AU;
    cz_lattice *l = NULL;
    cz_lattice_prototype("fcc", &po, &l);
    return l;
}

/* Truncated octahedron ({111} and {100} facets), object 1. */
static cz_atoms *truncated_octahedron(double radius) {
    cz_lattice *au = fcc_au();
    const cz_surface_energy t[] = {{{1, 1, 1}, 1.0}, {{1, 0, 0}, 1.12}};
    cz_wulff_opts o;
    cz_wulff_opts_default(&o);
    o.radius = radius;
    cz_particle *p = NULL;
    cz_atoms *a = NULL;
    CZ_CHECK(cz_particle_wulff(au, 2, t, &o, &p) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(cz_particle_fill(p, NULL, &a) == CZ_OK, "%s", cz_last_error());
    cz_particle_destroy(p);
    cz_lattice_destroy(au);
    return a;
}

/* A sphere cut from fcc Au, off-centre so that its surface is irregular. */
static cz_atoms *sphere(const double c[3], double r, int object_id) {
    cz_lattice *au = fcc_au();
    cz_volume *v = NULL;
    cz_volume_sphere(c, r, &v);
    cz_fill_opts fo;
    cz_fill_opts_default(&fo);
    fo.object_id = object_id;
    fo.grain_id = object_id;
    cz_atoms *a = NULL;
    CZ_CHECK(cz_fill_shape(au, v, &fo, &a) == CZ_OK, "%s", cz_last_error());
    cz_volume_destroy(v);
    cz_lattice_destroy(au);
    return a;
}

static double dist(const double a[3], const double b[3]) {
    double d[3] = {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
    return sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
}

/* All-pairs coordination (the reference the cell-list code must match). */
static void brute_cn(const cz_atoms *a, double cutoff, int cn[]) {
    for (size_t i = 0; i < a->n; i++) {
        cn[i] = 0;
        for (size_t j = 0; j < a->n; j++) cn[i] += j != i && dist(a->xyz[i], a->xyz[j]) <= cutoff;
    }
}

static void centroid(const cz_atoms *a, double c[3]) {
    c[0] = c[1] = c[2] = 0.0;
    for (size_t i = 0; i < a->n; i++)
        for (int k = 0; k < 3; k++) c[k] += a->xyz[i][k] / (double)a->n;
}

static cz_atoms *read_molecule(const char *name) {
    /* The example molecules live beside the tests in the source tree. */
    char path[4096];
    const char *self = __FILE__, *cut = strstr(self, "tests/c/test_ligands.c");
    size_t len = cut ? (size_t)(cut - self) : 0;
    snprintf(path, sizeof path, "%.*sexamples/molecules/%s", (int)len, self, name);
    cz_atoms *m = NULL;
    CZ_CHECK(cz_atoms_read(path, CZ_FORMAT_EXTXYZ, &m) == CZ_OK, "%s: %s", path, cz_last_error());
    return m;
}

static int same_atoms(const cz_atoms *a, const cz_atoms *b) {
    return a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0 &&
           memcmp(a->z, b->z, a->n * sizeof *a->z) == 0 &&
           memcmp(a->object_id, b->object_id, a->n * sizeof *a->object_id) == 0 &&
           memcmp(a->grain_id, b->grain_id, a->n * sizeof *a->grain_id) == 0 &&
           memcmp(a->class_id, b->class_id, a->n * sizeof *a->class_id) == 0;
}

/* ------------------------------------------------------------------ sites ---- */

static void test_sites_truncated_octahedron(void) {
    cz_atoms *a = truncated_octahedron(11.3);
    double dnn = A_AU / sqrt(2.0), cut = 1.25 * dnn, c[3];
    int *cn = malloc(a->n * sizeof *cn);
    brute_cn(a, cut, cn);
    centroid(a, c);
    size_t under = 0;
    for (size_t i = 0; i < a->n; i++) under += cn[i] < 12;

    cz_sites *s = NULL;
    CZ_CHECK(cz_sites_find(a, NULL, &s) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK_CLOSE(s->cutoff, cut, 1e-9, "automatic cutoff is 1.25 d_nn");
    CZ_CHECK(s->bulk_coordination == 12, "bulk CN %d", s->bulk_coordination);
    CZ_CHECK(s->n == under && under > 0 && under < a->n, "%zu sites, %zu atoms with CN < 12 of %zu",
             s->n, under, a->n);
    unsigned char *hit = calloc(a->n, 1);
    size_t bad_cn = 0, bad_out = 0, bad_unit = 0, bad_facet = 0, n111 = 0, n100 = 0;
    double min_cos = 1.0;
    for (size_t k = 0; k < s->n; k++) {
        size_t i = s->atom[k];
        hit[i] = 1;
        const double *n = s->normal[k];
        bad_cn += cn[i] >= 12 || s->coordination[k] != cn[i] || (k && s->atom[k - 1] >= i);
        bad_cn += memcmp(s->xyz[k], a->xyz[i], sizeof s->xyz[k]) != 0;
        bad_unit += fabs(sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]) - 1.0) > 1e-12;
        double r[3] = {a->xyz[i][0] - c[0], a->xyz[i][1] - c[1], a->xyz[i][2] - c[2]};
        double cosang = (r[0] * n[0] + r[1] * n[1] + r[2] * n[2]) /
                        sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2]);
        bad_out += !(cosang > 0);
        min_cos = fmin(min_cos, cosang);
        /* Facet atoms: 3 missing neighbours above a {111} plane (CN 9) or 4 above a {100}
         * plane (CN 8) leave a sum exactly along the facet normal. */
        if (cn[i] == 9) {
            n111++;
            for (int m = 0; m < 3; m++) bad_facet += fabs(fabs(n[m]) - 1.0 / sqrt(3.0)) > 1e-9;
        } else if (cn[i] == 8) {
            n100++;
            int ones = 0;
            for (int m = 0; m < 3; m++) ones += fabs(fabs(n[m]) - 1.0) < 1e-9;
            bad_facet += ones != 1;
        }
    }
    size_t interior_hit = 0;
    for (size_t i = 0; i < a->n; i++) interior_hit += cn[i] == 12 && hit[i];
    CZ_CHECK(bad_cn == 0 && interior_hit == 0, "%zu sites with a wrong CN, %zu interior", bad_cn,
             interior_hit);
    CZ_CHECK(bad_unit == 0, "%zu normals not unit", bad_unit);
    CZ_CHECK(bad_out == 0, "%zu normals point inward (min cos %g)", bad_out, min_cos);
    CZ_CHECK(n111 > 0 && n100 > 0 && bad_facet == 0,
             "%zu {111} and %zu {100} facet atoms, %zu facet normals off their plane normal", n111,
             n100, bad_facet);
    printf(
        "truncated octahedron: %zu atoms, %zu sites (%zu on {111}, %zu on {100}), min cos(n, r) "
        "= %.3f\n",
        a->n, s->n, n111, n100, min_cos);

    /* The same with thread counts 1 and 4, and with an explicit cutoff and bulk value. */
    cz_site_opts o;
    cz_site_opts_default(&o);
    for (int t = 1; t <= 4; t += 3) {
        o.nthreads = t;
        cz_sites *s2 = NULL;
        CZ_CHECK(cz_sites_find(a, &o, &s2) == CZ_OK, "%s", cz_last_error());
        CZ_CHECK(s2 && s2->n == s->n && memcmp(s2->atom, s->atom, s->n * sizeof *s->atom) == 0 &&
                     memcmp(s2->normal, s->normal, s->n * sizeof *s->normal) == 0,
                 "nthreads %d changes the sites", t);
        cz_sites_destroy(s2);
    }
    /* A one-atom pit in a {111} facet: the three atoms below it drop to CN 11 but face a
     * hole narrower than a neighbour shell, so the exposure test refuses them. */
    size_t pit = SIZE_MAX;
    for (size_t i = 0; i < a->n && pit == SIZE_MAX; i++) {
        if (cn[i] != 9) continue;
        int flat = 0;
        for (size_t j = 0; j < a->n; j++)
            flat += j != i && cn[j] == 9 && dist(a->xyz[i], a->xyz[j]) <= cut;
        if (flat == 6) pit = i;
    }
    CZ_CHECK(pit != SIZE_MAX, "no {111} atom with six {111} neighbours");
    if (pit != SIZE_MAX) {
        unsigned char *keep = malloc(a->n);
        memset(keep, 1, a->n);
        keep[pit] = 0;
        cz_atoms *p = NULL;
        cz_atoms_copy(a, &p);
        cz_atoms_filter(p, keep);
        int *cnp = malloc(p->n * sizeof *cnp);
        brute_cn(p, cut, cnp);
        size_t underp = 0;
        for (size_t i = 0; i < p->n; i++) underp += cnp[i] < 12;
        cz_sites *sp = NULL;
        CZ_CHECK(cz_sites_find(p, NULL, &sp) == CZ_OK, "%s", cz_last_error());
        CZ_CHECK(underp == s->n - 1 + 3 && sp && sp->n == s->n - 1,
                 "pit: %zu under-coordinated (want %zu), %zu sites (want %zu)", underp, s->n + 2,
                 sp ? sp->n : 0, s->n - 1);
        free(cnp);
        cz_sites_destroy(sp);
        cz_atoms_destroy(p);
        free(keep);
    }

    o.nthreads = 0;
    o.cutoff = 3.3;
    o.bulk_coordination = 12;
    cz_sites *s3 = NULL;
    CZ_CHECK(cz_sites_find(a, &o, &s3) == CZ_OK && s3->n == s->n && s3->cutoff == 3.3,
             "explicit cutoff 3.3 Å: %s", cz_last_error());
    cz_sites_destroy(s3);
    free(hit);
    free(cn);
    cz_sites_destroy(s);
    cz_atoms_destroy(a);
}

static void test_sites_sphere_and_vacancy(void) {
    const double c[3] = {0.37, -0.21, 0.13};
    cz_atoms *a = sphere(c, 10.7, 1);
    double cut = 1.25 * A_AU / sqrt(2.0);
    int *cn = malloc(a->n * sizeof *cn);
    brute_cn(a, cut, cn);
    size_t under = 0;
    for (size_t i = 0; i < a->n; i++) under += cn[i] < 12;

    cz_site_opts all;
    cz_site_opts_default(&all);
    all.exposed_only = 0;
    cz_sites *s_all = NULL, *s_exp = NULL;
    CZ_CHECK(cz_sites_find(a, &all, &s_all) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(cz_sites_find(a, NULL, &s_exp) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(s_all->n == under, "sphere, no exposure test: %zu sites, %zu with CN < 12", s_all->n,
             under);
    /* Every under-coordinated atom of a sphere faces the outside: the exposure test keeps all. */
    CZ_CHECK(
        s_exp->n == under && memcmp(s_exp->atom, s_all->atom, under * sizeof *s_exp->atom) == 0,
        "sphere with exposure test: %zu sites, %zu with CN < 12", s_exp->n, under);
    size_t bad_out = 0;
    for (size_t k = 0; k < s_exp->n; k++) {
        double r[3] = {s_exp->xyz[k][0] - c[0], s_exp->xyz[k][1] - c[1], s_exp->xyz[k][2] - c[2]};
        bad_out +=
            !(r[0] * s_exp->normal[k][0] + r[1] * s_exp->normal[k][1] + r[2] * s_exp->normal[k][2] >
              0);
    }
    CZ_CHECK(bad_out == 0, "%zu exposed normals point inward", bad_out);
    printf("sphere R = 10.7 Å: %zu atoms, %zu with CN < 12, %zu sites\n", a->n, under, s_exp->n);

    /* A vacancy at the centre: its 12 neighbours drop to CN 11 but face a closed void. */
    size_t ic = 0;
    for (size_t i = 1; i < a->n; i++)
        if (dist(a->xyz[i], c) < dist(a->xyz[ic], c)) ic = i;
    unsigned char *keep = malloc(a->n);
    memset(keep, 1, a->n);
    keep[ic] = 0;
    cz_atoms *v = NULL;
    cz_atoms_copy(a, &v);
    cz_atoms_filter(v, keep);
    cz_sites *v_all = NULL, *v_exp = NULL;
    CZ_CHECK(cz_sites_find(v, &all, &v_all) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(cz_sites_find(v, NULL, &v_exp) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(v_all->n == s_all->n + 12,
             "without exposure test the vacancy adds %zu sites (want 12)", v_all->n - s_all->n);
    CZ_CHECK(v_exp->n == s_exp->n, "with it the vacancy adds %zu sites (want 0)",
             v_exp->n - s_exp->n);

    /* Two objects: the sites of object 2 are those of the sphere alone, whatever is nearby. */
    const double c2[3] = {c[0], c[1], c[2] + 6 * A_AU}; /* a lattice translation away */
    cz_atoms *b = sphere(c2, 10.7, 2), *ab = NULL;
    cz_atoms_copy(a, &ab);
    cz_atoms_append(ab, b);
    cz_site_opts o2;
    cz_site_opts_default(&o2);
    o2.object_id = 2;
    cz_sites *s2 = NULL;
    CZ_CHECK(cz_sites_find(ab, &o2, &s2) == CZ_OK, "%s", cz_last_error());
    size_t bad = 0;
    for (size_t k = 0; s2 && k < s2->n; k++) bad += ab->object_id[s2->atom[k]] != 2;
    CZ_CHECK(s2 && s2->n == s_exp->n && bad == 0, "object 2: %zu sites (want %zu), %zu foreign",
             s2 ? s2->n : 0, s_exp->n, bad);

    cz_sites_destroy(s2);
    cz_atoms_destroy(ab);
    cz_atoms_destroy(b);
    cz_sites_destroy(v_all);
    cz_sites_destroy(v_exp);
    cz_atoms_destroy(v);
    free(keep);
    cz_sites_destroy(s_all);
    cz_sites_destroy(s_exp);
    free(cn);
    cz_atoms_destroy(a);
}

/* ------------------------------------------------------------------ placement ---- */

/* Image shifts along the periodic axes of `a` (only 0 when nothing is periodic). */
static int image_shifts(const cz_atoms *a, double sh[27][3]) {
    int n = 0;
    for (int i = -1; i <= 1; i++)
        for (int j = -1; j <= 1; j++)
            for (int k = -1; k <= 1; k++) {
                int o[3] = {i, j, k};
                int ok = 1;
                for (int m = 0; m < 3; m++) ok &= o[m] == 0 || a->pbc[m];
                if (!ok) continue;
                for (int m = 0; m < 3; m++)
                    sh[n][m] = i * a->cell[0][m] + j * a->cell[1][m] + k * a->cell[2][m];
                n++;
            }
    return n;
}

static double dist_img(const double x[3], const double y[3], const double sh[3]) {
    double d[3] = {y[0] + sh[0] - x[0], y[1] + sh[1] - x[1], y[2] + sh[2] - x[2]};
    return sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
}

/* Every property the placement promises, checked all-pairs (with the 3^p nearest images). */
static void check_ligands(const char *what, const cz_atoms *a, const cz_sites *s,
                          const cz_atoms *mol, const cz_ligand_opts *o, const cz_atoms *lig,
                          const cz_ligand_stats *st) {
    size_t nm = mol->n, placed = st->placed;
    CZ_CHECK(st->sites == s->n &&
                 st->requested == (size_t)floor(o->coverage * (double)s->n + 0.5) &&
                 st->placed + st->skipped == st->requested && lig->n == placed * nm,
             "%s: stats sites %zu requested %zu placed %zu skipped %zu, %zu atoms", what, st->sites,
             st->requested, st->placed, st->skipped, lig->n);
    double sh[27][3];
    int nsh = image_shifts(a, sh);
    unsigned char *used = calloc(s->n ? s->n : 1, 1);
    size_t *site_of = malloc((placed ? placed : 1) * sizeof *site_of);
    size_t bad_bond = 0, bad_rigid = 0, bad_label = 0, bad_axis = 0;
    /* Molecule axis as the library defines it by default: anchor → centroid. */
    double mc[3];
    centroid(mol, mc);
    double mu[3] = {mc[0] - mol->xyz[o->anchor][0], mc[1] - mol->xyz[o->anchor][1],
                    mc[2] - mol->xyz[o->anchor][2]};
    double mul = sqrt(mu[0] * mu[0] + mu[1] * mu[1] + mu[2] * mu[2]);
    int oid0 = o->object_id;
    if (oid0 == 0)
        for (size_t i = 0; i < a->n; i++)
            oid0 = a->object_id[i] >= oid0 ? a->object_id[i] + 1 : oid0;
    for (size_t q = 0; q < placed; q++) {
        const double *an = lig->xyz[q * nm + o->anchor];
        size_t found = SIZE_MAX;
        for (size_t k = 0; k < s->n && found == SIZE_MAX; k++) {
            const double *x = a->xyz[s->atom[k]], *n = s->normal[k];
            double e = 0.0;
            for (int m = 0; m < 3; m++) e = fmax(e, fabs(an[m] - x[m] - o->bond_length * n[m]));
            if (e < 1e-9 && !used[k]) found = k;
        }
        if (found == SIZE_MAX) {
            bad_bond++;
            site_of[q] = SIZE_MAX;
            continue;
        }
        used[found] = 1;
        site_of[q] = found;
        bad_bond += fabs(dist(an, a->xyz[s->atom[found]]) - o->bond_length) > 1e-9;
        double lc[3] = {0, 0, 0};
        for (size_t k = 0; k < nm; k++) {
            const double *x = lig->xyz[q * nm + k];
            bad_rigid += fabs(dist(x, an) - dist(mol->xyz[k], mol->xyz[o->anchor])) > 1e-9;
            for (size_t k2 = 0; k2 < k; k2++)
                bad_rigid +=
                    fabs(dist(x, lig->xyz[q * nm + k2]) - dist(mol->xyz[k], mol->xyz[k2])) > 1e-9;
            bad_label += lig->z[q * nm + k] != mol->z[k] ||
                         lig->class_id[q * nm + k] != CZ_CLASS_LIGAND ||
                         lig->grain_id[q * nm + k] != 0 ||
                         lig->object_id[q * nm + k] != oid0 + (o->per_molecule ? (int)q : 0);
            for (int m = 0; m < 3; m++) lc[m] += x[m] / (double)nm;
        }
        if (nm > 1) {
            double d[3] = {lc[0] - an[0], lc[1] - an[1], lc[2] - an[2]}, cosang = 0.0;
            for (int m = 0; m < 3; m++) cosang += d[m] * s->normal[found][m] / mul;
            bad_axis += fabs(cosang - 1.0) > 1e-9;
        }
    }
    CZ_CHECK(bad_bond == 0, "%s: %zu anchors not at the bond length along a distinct site normal",
             what, bad_bond);
    CZ_CHECK(bad_rigid == 0 && bad_label == 0 && bad_axis == 0,
             "%s: %zu distorted, %zu mislabelled, %zu off-axis", what, bad_rigid, bad_label,
             bad_axis);

    /* Ligand–structure: nothing closer than the clash distance except each anchor's bond. */
    double dmin_ls = INFINITY, dmin_ll = INFINITY;
    size_t bad_ls = 0, bad_ll = 0;
    for (size_t i = 0; i < lig->n; i++) {
        size_t q = i / nm;
        for (size_t j = 0; j < a->n; j++)
            for (int t = 0; t < nsh; t++) {
                double d = dist_img(lig->xyz[i], a->xyz[j], sh[t]);
                int bond = i % nm == o->anchor && q < placed && site_of[q] != SIZE_MAX &&
                           j == s->atom[site_of[q]] && fabs(d - o->bond_length) < 1e-9;
                if (bond) continue;
                dmin_ls = fmin(dmin_ls, d);
                bad_ls += d < o->clash_distance;
            }
        for (size_t j = 0; j < lig->n; j++) {
            if (j / nm == q) continue;
            for (int t = 0; t < nsh; t++) {
                double d = dist_img(lig->xyz[i], lig->xyz[j], sh[t]);
                dmin_ll = fmin(dmin_ll, d);
                bad_ll += d < o->ligand_distance;
            }
        }
    }
    CZ_CHECK(bad_ls == 0, "%s: %zu ligand–structure pairs closer than %g Å (min %g)", what, bad_ls,
             o->clash_distance, dmin_ls);
    CZ_CHECK(bad_ll == 0, "%s: %zu ligand–ligand pairs closer than %g Å (min %g)", what, bad_ll,
             o->ligand_distance, dmin_ll);
    printf(
        "%s: %zu sites, coverage %.2f → %zu requested, %zu placed, %zu skipped, %zu spins; "
        "min ligand–structure %.3f Å, ligand–ligand %.3f Å\n",
        what, st->sites, o->coverage, st->requested, st->placed, st->skipped, st->attempts, dmin_ls,
        dmin_ll);
    free(site_of);
    free(used);
}

static void test_place_co(void) {
    cz_atoms *a = truncated_octahedron(11.3), *co = read_molecule("co.xyz");
    cz_sites *s = NULL;
    cz_sites_find(a, NULL, &s);
    cz_ligand_opts o;
    cz_ligand_opts_default(&o);
    o.bond_length = 1.93;
    o.seed = 0xC0FFEE;
    const double cov[3] = {1.0, 0.5, 0.0};
    for (int f = 0; f < 3; f++) {
        o.coverage = cov[f];
        cz_atoms *lig = NULL;
        cz_ligand_stats st;
        CZ_CHECK(cz_ligands_place(a, s, co, &o, &lig, &st) == CZ_OK, "%s", cz_last_error());
        size_t want = (size_t)floor(cov[f] * (double)s->n + 0.5);
        /* Linear CO upright on top sites 2.88 Å apart never crowds at 2 Å: all fit. */
        CZ_CHECK(st.requested == want && st.placed == want && st.skipped == 0,
                 "CO coverage %g: %zu placed of %zu (want %zu)", cov[f], st.placed, st.requested,
                 want);
        CZ_CHECK(st.attempts == st.placed, "a linear molecule needs one spin per site (%zu, %zu)",
                 st.attempts, st.placed);
        char what[64];
        snprintf(what, sizeof what, "CO on Au TO, coverage %.1f", cov[f]);
        check_ligands(what, a, s, co, &o, lig, &st);
        CZ_CHECK(memcmp(lig->cell, a->cell, sizeof a->cell) == 0, "cell copied");
        cz_atoms_destroy(lig);
    }
    cz_sites_destroy(s);
    cz_atoms_destroy(co);
    cz_atoms_destroy(a);
}

static void test_place_thiol(void) {
    cz_atoms *a = truncated_octahedron(11.3), *sch3 = read_molecule("methanethiolate.xyz");
    CZ_CHECK(sch3 && sch3->n == 5 && sch3->z[0] == 16, "methanethiolate.xyz: S first, 5 atoms");
    cz_sites *s = NULL;
    cz_sites_find(a, NULL, &s);
    cz_ligand_opts o;
    cz_ligand_opts_default(&o);
    o.bond_length = 2.42;
    o.per_molecule = 1;
    o.seed = 20240607;
    o.clash_distance = 2.1;
    o.ligand_distance = 1.85;
    cz_atoms *full = NULL, *half = NULL;
    cz_ligand_stats sf, sh;
    CZ_CHECK(cz_ligands_place(a, s, sch3, &o, &full, &sf) == CZ_OK, "%s", cz_last_error());
    check_ligands("SCH3 on Au TO, coverage 1.0", a, s, sch3, &o, full, &sf);
    CZ_CHECK(sf.placed > sf.requested / 2, "most thiolates fit (%zu of %zu)", sf.placed,
             sf.requested);
    o.coverage = 0.5;
    CZ_CHECK(cz_ligands_place(a, s, sch3, &o, &half, &sh) == CZ_OK, "%s", cz_last_error());
    check_ligands("SCH3 on Au TO, coverage 0.5", a, s, sch3, &o, half, &sh);
    CZ_CHECK(sh.requested == (size_t)floor(0.5 * (double)s->n + 0.5) && sh.placed <= sh.requested &&
                 sh.placed > 0,
             "half coverage: %zu of %zu", sh.placed, sh.requested);

    /* Same seed ⇒ identical bytes, whether the sites are passed in or found inside, with any
     * thread count; another seed differs. */
    cz_atoms *again = NULL, *inside1 = NULL, *inside4 = NULL, *other = NULL;
    cz_ligands_place(a, s, sch3, &o, &again, NULL);
    CZ_CHECK(again && same_atoms(again, half), "same seed, same bytes");
    o.sites.nthreads = 1;
    CZ_CHECK(cz_ligands_place(a, NULL, sch3, &o, &inside1, NULL) == CZ_OK, "%s", cz_last_error());
    o.sites.nthreads = 4;
    CZ_CHECK(cz_ligands_place(a, NULL, sch3, &o, &inside4, NULL) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(inside1 && inside4 && same_atoms(inside1, half) && same_atoms(inside4, half),
             "sites found inside (nthreads 1 and 4) give the same bytes");
    o.seed++;
    cz_ligands_place(a, s, sch3, &o, &other, NULL);
    CZ_CHECK(other && !same_atoms(other, half), "another seed, other ligands");

    /* Ready to join the particle: one structure, labels intact. */
    cz_atoms *joined = NULL;
    cz_atoms_copy(a, &joined);
    CZ_CHECK(cz_atoms_append(joined, half) == CZ_OK && joined->n == a->n + half->n &&
                 joined->class_id[a->n] == CZ_CLASS_LIGAND && joined->object_id[a->n] == 2,
             "append: %s", cz_last_error());

    /* A one-atom adsorbate (O) needs no axis and one try per site. */
    cz_atoms *ox = NULL, *ol = NULL;
    cz_atoms_create(1, &ox);
    const double x0[3] = {0.3, -0.7, 1.1};
    cz_atoms_push(ox, x0, 8, 0, 0, 0);
    cz_ligand_opts oo;
    cz_ligand_opts_default(&oo);
    oo.bond_length = 2.05;
    oo.coverage = 0.75;
    cz_ligand_stats so;
    CZ_CHECK(cz_ligands_place(a, s, ox, &oo, &ol, &so) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(so.placed == so.requested && so.attempts == so.placed,
             "O adatoms: %zu of %zu, %zu tries", so.placed, so.requested, so.attempts);
    check_ligands("O adatoms on Au TO, coverage 0.75", a, s, ox, &oo, ol, &so);

    /* An explicit axis: water bound through O with the axis along its bisector. */
    cz_atoms *h2o = read_molecule("h2o.xyz"), *wl = NULL;
    cz_ligand_opts ow;
    cz_ligand_opts_default(&ow);
    ow.bond_length = 2.2;
    ow.axis[2] = 3.5; /* the bisector is +z in h2o.xyz; any length */
    ow.coverage = 0.4;
    ow.seed = 99;
    cz_ligand_stats sw;
    CZ_CHECK(cz_ligands_place(a, s, h2o, &ow, &wl, &sw) == CZ_OK, "%s", cz_last_error());
    check_ligands("H2O on Au TO, coverage 0.4", a, s, h2o, &ow, wl, &sw);

    cz_atoms_destroy(wl);
    cz_atoms_destroy(h2o);
    cz_atoms_destroy(ol);
    cz_atoms_destroy(ox);
    cz_atoms_destroy(joined);
    cz_atoms_destroy(other);
    cz_atoms_destroy(inside4);
    cz_atoms_destroy(inside1);
    cz_atoms_destroy(again);
    cz_atoms_destroy(half);
    cz_atoms_destroy(full);
    cz_sites_destroy(s);
    cz_atoms_destroy(sch3);
    cz_atoms_destroy(a);
}

/* A periodic Au(100) slab: ligands crowd across the cell edges, so the clash tests must see
 * periodic images. */
static void test_place_periodic(void) {
    cz_lattice *au = fcc_au();
    cz_scene *sc = NULL;
    cz_scene_create(&sc);
    const double cell[3][3] = {{3 * A_AU, 0, 0}, {0, 3 * A_AU, 0}, {0, 0, 30.0}};
    const int pbc[3] = {1, 1, 0};
    cz_scene_set_cell(sc, cell, pbc);
    const double org[3] = {-50.0, -50.0, 9.9},
                 edges[3][3] = {{100, 0, 0}, {0, 100, 0}, {0, 0, 7.9}};
    cz_volume *box = NULL;
    cz_volume_box(org, edges, &box);
    cz_scene_add_crystal(sc, au, box, NULL, NULL);
    cz_atoms *a = NULL;
    CZ_CHECK(cz_scene_populate(sc, NULL, &a) == CZ_OK && a->n == 4 * 18, "slab: %s, %zu atoms",
             cz_last_error(), a ? a->n : 0);
    cz_sites *s = NULL;
    CZ_CHECK(cz_sites_find(a, NULL, &s) == CZ_OK && s->n == 2 * 18, "slab sites: %zu (want 36)",
             s ? s->n : 0);
    size_t bad = 0;
    for (size_t k = 0; s && k < s->n; k++)
        bad += fabs(fabs(s->normal[k][2]) - 1.0) > 1e-12 || s->coordination[k] != 8 ||
               s->normal[k][2] * (s->xyz[k][2] - 13.9) <= 0;
    CZ_CHECK(bad == 0, "%zu slab sites without a ±z normal pointing away from the slab", bad);
    cz_atoms *h2o = read_molecule("h2o.xyz"), *lig = NULL;
    cz_ligand_opts o;
    cz_ligand_opts_default(&o);
    o.bond_length = 2.25;
    o.ligand_distance = 2.3;
    o.seed = 7;
    cz_ligand_stats st;
    CZ_CHECK(cz_ligands_place(a, s, h2o, &o, &lig, &st) == CZ_OK, "%s", cz_last_error());
    check_ligands("H2O on periodic Au(100) slab", a, s, h2o, &o, lig, &st);
    /* Some water pair must straddle a cell edge: their unwrapped distance is large and the
     * image distance small. */
    size_t across = 0;
    double sh[27][3];
    int nsh = image_shifts(a, sh);
    for (size_t i = 0; i < lig->n; i += 3)
        for (size_t j = 0; j < i; j += 3)
            for (int t = 0; t < nsh; t++)
                across += (sh[t][0] != 0 || sh[t][1] != 0) &&
                          dist_img(lig->xyz[i], lig->xyz[j], sh[t]) < 4.5;
    CZ_CHECK(across > 0, "no ligand pair across a periodic edge: the test would prove nothing");
    /* Control: the same sites with the periodicity switched off crowd across the edges. */
    cz_atoms *flat = NULL, *lig0 = NULL;
    cz_atoms_copy(a, &flat);
    flat->pbc[0] = flat->pbc[1] = 0;
    cz_ligand_stats st0;
    CZ_CHECK(cz_ligands_place(flat, s, h2o, &o, &lig0, &st0) == CZ_OK, "%s", cz_last_error());
    size_t crowded = 0;
    for (size_t i = 0; lig0 && i < lig0->n; i++)
        for (size_t j = 0; j < lig0->n; j++)
            for (int t = 0; t < nsh; t++)
                crowded += i / 3 != j / 3 && dist_img(lig0->xyz[i], lig0->xyz[j], sh[t]) < 2.3;
    CZ_CHECK(st0.placed > st.placed && crowded > 0,
             "without pbc %zu placed (periodic %zu), %zu pairs too close through the edges",
             st0.placed, st.placed, crowded);
    cz_atoms_destroy(lig0);
    cz_atoms_destroy(flat);
    cz_atoms_destroy(lig);
    cz_atoms_destroy(h2o);
    cz_sites_destroy(s);
    cz_atoms_destroy(a);
    cz_volume_destroy(box);
    cz_scene_destroy(sc);
    cz_lattice_destroy(au);
}

/* A particle alone in a large skewed cell, periodic along 1, 2 or 3 axes: no image is within
 * reach, so sites and ligands must match the isolated particle, although the cell lists wrap
 * the atoms (centred on the origin) far across the cell. */
static void test_skewed_cells(void) {
    cz_atoms *a = truncated_octahedron(8.5), *sch3 = read_molecule("methanethiolate.xyz");
    cz_sites *s0 = NULL;
    cz_sites_find(a, NULL, &s0);
    cz_ligand_opts o;
    cz_ligand_opts_default(&o);
    o.bond_length = 2.42;
    o.seed = 31337;
    cz_atoms *l0 = NULL;
    cz_ligand_stats st0;
    cz_ligands_place(a, s0, sch3, &o, &l0, &st0);
    const double cell[3][3] = {{61.3, 0.0, 0.0}, {-27.1, 55.9, 0.0}, {13.7, -9.4, 58.2}};
    const int pbcs[4][3] = {{1, 0, 0}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}};
    for (int t = 0; t < 4; t++) {
        cz_atoms *p = NULL, *l = NULL;
        cz_atoms_copy(a, &p);
        CZ_CHECK(cz_atoms_set_cell(p, cell, pbcs[t]) == CZ_OK, "%s", cz_last_error());
        cz_sites *sp = NULL;
        CZ_CHECK(cz_sites_find(p, NULL, &sp) == CZ_OK, "%s", cz_last_error());
        int same =
            sp && sp->n == s0->n && memcmp(sp->atom, s0->atom, s0->n * sizeof *s0->atom) == 0;
        double dn = 0.0;
        for (size_t k = 0; same && k < s0->n; k++)
            for (int m = 0; m < 3; m++) dn = fmax(dn, fabs(sp->normal[k][m] - s0->normal[k][m]));
        CZ_CHECK(same && dn < 1e-12, "pbc %d%d%d: %zu sites (want %zu), normals differ by %g",
                 pbcs[t][0], pbcs[t][1], pbcs[t][2], sp ? sp->n : 0, s0->n, dn);
        cz_ligand_stats st;
        CZ_CHECK(cz_ligands_place(p, s0, sch3, &o, &l, &st) == CZ_OK, "%s", cz_last_error());
        double dx = 0.0;
        same = l && l->n == l0->n;
        for (size_t i = 0; same && i < l->n; i++)
            for (int m = 0; m < 3; m++) dx = fmax(dx, fabs(l->xyz[i][m] - l0->xyz[i][m]));
        CZ_CHECK(same && dx == 0.0 && st.placed == st0.placed && st.attempts == st0.attempts,
                 "pbc %d%d%d: %zu placed (want %zu), positions differ by %g", pbcs[t][0],
                 pbcs[t][1], pbcs[t][2], st.placed, st0.placed, dx);
        cz_atoms_destroy(l);
        cz_sites_destroy(sp);
        cz_atoms_destroy(p);
    }
    cz_atoms_destroy(l0);
    cz_sites_destroy(s0);
    cz_atoms_destroy(sch3);
    cz_atoms_destroy(a);
}

static void test_user_sites(void) {
    cz_atoms *a = truncated_octahedron(8.5), *co = read_molecule("co.xyz"), *lig = NULL;
    cz_sites *s = NULL;
    CZ_CHECK(cz_sites_create(1, &s) == CZ_OK && s->n == 1, "%s", cz_last_error());
    /* Bind to the atom farthest along +x, along +x. */
    size_t far = 0;
    for (size_t i = 1; i < a->n; i++)
        if (a->xyz[i][0] > a->xyz[far][0]) far = i;
    s->atom[0] = far;
    s->normal[0][0] = 1.0;
    cz_ligand_opts o;
    cz_ligand_opts_default(&o);
    o.bond_length = 1.87;
    o.object_id = 41;
    cz_ligand_stats st;
    CZ_CHECK(cz_ligands_place(a, s, co, &o, &lig, &st) == CZ_OK && st.placed == 1 && lig->n == 2,
             "%s", cz_last_error());
    CZ_CHECK(lig && fabs(lig->xyz[0][0] - a->xyz[far][0] - 1.87) < 1e-12 &&
                 fabs(lig->xyz[1][0] - a->xyz[far][0] - 1.87 - 1.128) < 1e-9 &&
                 lig->object_id[0] == 41 && lig->object_id[1] == 41,
             "CO along +x from the outermost atom");
    cz_atoms_destroy(lig);
    lig = NULL;
    s->normal[0][0] = 0.9;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL, "unit vector");
    CZ_CHECK(lig == NULL && st.placed == 0 && st.sites == 0, "failure leaves out NULL, stats 0");
    s->normal[0][0] = 1.0;
    s->atom[0] = a->n;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, NULL), CZ_EINVAL, "out of range");
    cz_sites_destroy(s);
    cz_atoms_destroy(co);
    cz_atoms_destroy(a);
}

/* ------------------------------------------------------------------ errors ---- */

static void test_errors(void) {
    cz_atoms *a = truncated_octahedron(8.5), *co = read_molecule("co.xyz");
    cz_sites *s = NULL;
    cz_site_opts so;
    cz_site_opts_default(&so);

    /* cz_sites_create / cz_sites_find */
    CZ_CHECK_FAILS(cz_sites_create(1, NULL), CZ_EINVAL, "out must not be NULL");
    CZ_CHECK_FAILS(cz_sites_create(CZ_MAX_ATOMS + 1, &s), CZ_ERANGE, "exceed the cap");
    CZ_CHECK_FAILS(cz_sites_find(a, NULL, NULL), CZ_EINVAL, "cz_sites_find: out must not be NULL");
    CZ_CHECK_FAILS(cz_sites_find(NULL, NULL, &s), CZ_EINVAL, "atoms must not be NULL");
    so.object_id = -1;
    CZ_CHECK_FAILS(cz_sites_find(a, &so, &s), CZ_EINVAL, "object_id must be >= 0 (got -1)");
    so.object_id = 99;
    CZ_CHECK_FAILS(cz_sites_find(a, &so, &s), CZ_EINVAL, "no atom has object_id 99");
    cz_site_opts_default(&so);
    so.cutoff = -2.5;
    CZ_CHECK_FAILS(cz_sites_find(a, &so, &s), CZ_EINVAL,
                   "cutoff must be > 0 and finite, or NAN (got -2.5)");
    so.cutoff = INFINITY;
    CZ_CHECK_FAILS(cz_sites_find(a, &so, &s), CZ_EINVAL, "cutoff must be > 0");
    cz_site_opts_default(&so);
    so.bulk_coordination = -3;
    CZ_CHECK_FAILS(cz_sites_find(a, &so, &s), CZ_EINVAL, "bulk_coordination must be >= 0 (got -3)");
    cz_site_opts_default(&so);
    so.exposed_only = 2;
    CZ_CHECK_FAILS(cz_sites_find(a, &so, &s), CZ_EINVAL, "exposed_only must be 0 or 1 (got 2)");
    cz_site_opts_default(&so);
    so.nthreads = -1;
    CZ_CHECK_FAILS(cz_sites_find(a, &so, &s), CZ_EINVAL, "nthreads must be >= 0 (got -1)");
    CZ_CHECK(s == NULL, "failures leave *out NULL");
    cz_atoms *empty = NULL, *one = NULL, *two = NULL;
    cz_atoms_create(0, &empty);
    CZ_CHECK_FAILS(cz_sites_find(empty, NULL, &s), CZ_EINVAL, "the structure has no atoms");
    cz_atoms_create(2, &one);
    const double p0[3] = {1.5, 2.5, 3.5};
    cz_atoms_push(one, p0, 79, 1, 1, 1);
    CZ_CHECK_FAILS(cz_sites_find(one, NULL, &s), CZ_EINVAL, "at least two atoms (got 1)");
    cz_atoms_copy(one, &two);
    cz_atoms_push(two, p0, 79, 1, 1, 1);
    CZ_CHECK_FAILS(cz_sites_find(two, NULL, &s), CZ_EINVAL, "coincide");
    cz_atoms *bad_cell = NULL;
    cz_atoms_copy(a, &bad_cell);
    bad_cell->pbc[0] = 1; /* periodic along a zero cell row */
    CZ_CHECK_FAILS(cz_sites_find(bad_cell, NULL, &s), CZ_EINVAL,
                   "cz_sites_find: periodic cell row 0 is zero");
    bad_cell->pbc[1] = 1;
    bad_cell->cell[0][0] = 30.0;
    bad_cell->cell[1][0] = -60.0; /* parallel to row 0 */
    CZ_CHECK_FAILS(cz_sites_find(bad_cell, NULL, &s), CZ_EINVAL, "rows 0 and 1 are parallel");
    bad_cell->pbc[2] = 1;
    bad_cell->cell[2][2] = 30.0;
    CZ_CHECK_FAILS(cz_sites_find(bad_cell, NULL, &s), CZ_EINVAL, "degenerate");
    cz_ligand_opts d0;
    cz_ligand_opts_default(&d0);
    d0.bond_length = 1.9;
    cz_atoms *lig0 = NULL;
    CZ_CHECK_FAILS(cz_ligands_place(bad_cell, NULL, co, &d0, &lig0, NULL), CZ_EINVAL,
                   "cz_sites_find: the periodic cell rows are degenerate");
    cz_sites *one_site = NULL;
    cz_sites_create(1, &one_site);
    one_site->normal[0][2] = 1.0;
    CZ_CHECK_FAILS(cz_ligands_place(bad_cell, one_site, co, &d0, &lig0, NULL), CZ_EINVAL,
                   "cz_ligands_place: the periodic cell rows are degenerate");
    cz_sites_destroy(one_site);
    /* A lone atom with an explicit cutoff is fine: no bulk to compare with, so no site. */
    so.nthreads = 0;
    so.cutoff = 3.0;
    CZ_CHECK(cz_sites_find(one, &so, &s) == CZ_OK && s->n == 0, "lone atom: %s", cz_last_error());
    cz_sites_destroy(s);
    s = NULL;

    /* cz_ligands_place */
    cz_sites_find(a, NULL, &s);
    cz_ligand_opts o, d;
    cz_ligand_opts_default(&d);
    d.bond_length = 1.9;
    cz_atoms *lig = NULL;
    cz_ligand_stats st;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &d, NULL, &st), CZ_EINVAL, "out must not be NULL");
    CZ_CHECK_FAILS(cz_ligands_place(NULL, s, co, &d, &lig, &st), CZ_EINVAL,
                   "atoms must not be NULL");
    CZ_CHECK_FAILS(cz_ligands_place(a, s, NULL, &d, &lig, &st), CZ_EINVAL,
                   "molecule must not be NULL");
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, NULL, &lig, &st), CZ_EINVAL, "opts must not be NULL");
    CZ_CHECK_FAILS(cz_ligands_place(a, s, empty, &d, &lig, &st), CZ_EINVAL,
                   "cz_ligands_place: molecule is empty");
    o = d;
    o.anchor = 2;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL,
                   "cz_ligands_place: anchor index 2 is out of range (molecule has 2 atoms)");
    o = d;
    cz_ligand_opts_default(&o); /* bond_length left NAN */
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL,
                   "bond_length must be > 0 and finite (got nan)");
    o.bond_length = -1.5;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL, "(got -1.5)");
    o.bond_length = INFINITY;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL, "bond_length");
    const double badcov[3] = {1.25, -0.1, NAN};
    for (int k = 0; k < 3; k++) {
        o = d;
        o.coverage = badcov[k];
        CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL,
                       "coverage must be in [0, 1]");
    }
    o = d;
    o.clash_distance = -0.5;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL,
                   "clash_distance must be >= 0 and finite (got -0.5)");
    o = d;
    o.ligand_distance = NAN;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL, "ligand_distance");
    o = d;
    o.max_attempts = 0;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL,
                   "max_attempts must be in 1..1000000 (got 0)");
    o = d;
    o.object_id = -4;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL,
                   "object_id must be >= 0 (got -4)");
    o = d;
    o.per_molecule = 2;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL,
                   "per_molecule must be 0 or 1");
    o = d;
    o.axis[1] = NAN;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_EINVAL, "axis must be finite");
    /* CO2 bound through its central C: no default axis; an explicit one works. */
    cz_atoms *co2 = NULL;
    cz_atoms_create(3, &co2);
    const double pc[3] = {0, 0, 0}, po1[3] = {0, 0, 1.16}, po2[3] = {0, 0, -1.16};
    cz_atoms_push(co2, pc, 6, 0, 0, 0);
    cz_atoms_push(co2, po1, 8, 0, 0, 0);
    cz_atoms_push(co2, po2, 8, 0, 0, 0);
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co2, &d, &lig, &st), CZ_EINVAL,
                   "centroid lies on the anchor");
    o = d;
    o.axis[0] = 1.0;
    o.coverage = 0.2;
    CZ_CHECK(cz_ligands_place(a, s, co2, &o, &lig, &st) == CZ_OK && st.placed > 0 &&
                 st.placed * 10 >= st.requested * 8,
             "CO2 side-on with an explicit axis: %zu of %zu", st.placed, st.requested);
    size_t bad_side = 0;
    for (size_t q = 0; lig && q < st.placed; q++) {
        /* Side-on: the O–O line is perpendicular to the site normal. */
        const double *c0 = lig->xyz[3 * q], *o1 = lig->xyz[3 * q + 1], *o2 = lig->xyz[3 * q + 2];
        size_t k = 0;
        while (k < s->n && dist(c0, a->xyz[s->atom[k]]) > 1.9 + 1e-9) k++;
        double dot = 0.0;
        for (int m = 0; m < 3 && k < s->n; m++) dot += (o1[m] - o2[m]) * s->normal[k][m];
        bad_side += k == s->n || fabs(dot) > 1e-9;
    }
    CZ_CHECK(bad_side == 0, "%zu CO2 not lying flat on their site", bad_side);
    cz_atoms_destroy(lig);
    lig = NULL;
    cz_atoms *nanmol = NULL;
    cz_atoms_copy(co, &nanmol);
    nanmol->xyz[1][2] = NAN;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, nanmol, &d, &lig, &st), CZ_EINVAL,
                   "molecule atom 1 has a non-finite position");
    nanmol->xyz[1][2] = 1.128;
    nanmol->z[0] = 0;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, nanmol, &d, &lig, &st), CZ_EINVAL,
                   "molecule atom 0 has Z 0 (want 1..118)");
    /* Errors of the site search surface through cz_ligands_place when it finds the sites. */
    o = d;
    o.sites.bulk_coordination = -1;
    CZ_CHECK_FAILS(cz_ligands_place(a, NULL, co, &o, &lig, &st), CZ_EINVAL,
                   "cz_sites_find: bulk_coordination");
    /* Object ids beyond INT_MAX. */
    o = d;
    o.object_id = INT_MAX;
    o.per_molecule = 1;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, co, &o, &lig, &st), CZ_ERANGE, "exceed INT_MAX");
    cz_atoms *top = NULL;
    cz_atoms_copy(a, &top);
    top->object_id[0] = INT_MAX;
    CZ_CHECK_FAILS(cz_ligands_place(top, s, co, &d, &lig, &st), CZ_ERANGE,
                   "already uses object_id");
    /* A clash distance many periodic cells wide. */
    cz_atoms *tiny = NULL;
    cz_atoms_copy(a, &tiny);
    const double c5[3][3] = {{5.1, 0, 0}, {0, 5.2, 0}, {0.3, 0, 5.3}};
    const int p111[3] = {1, 1, 1};
    cz_atoms_set_cell(tiny, c5, p111);
    o = d;
    o.clash_distance = 60.0;
    CZ_CHECK_FAILS(cz_ligands_place(tiny, s, co, &o, &lig, &st), CZ_ERANGE,
                   "too large for a periodic cell");
    cz_atoms_destroy(tiny);
    /* More ligand atoms than CZ_MAX_ATOMS: refused before any large allocation. */
    size_t big = CZ_MAX_ATOMS / s->n + 1;
    cz_atoms *huge = NULL;
    cz_atoms_create(big, &huge);
    for (size_t k = 0; k < big; k++) {
        double x[3] = {0.0, 0.0, 1.0 * (double)k};
        memcpy(huge->xyz[k], x, sizeof x);
        huge->z[k] = 1;
    }
    huge->n = big;
    CZ_CHECK_FAILS(cz_ligands_place(a, s, huge, &d, &lig, &st), CZ_ERANGE, "exceed the cap");
    CZ_CHECK(lig == NULL, "failures leave *out NULL");

    cz_atoms_destroy(huge);
    cz_atoms_destroy(top);
    cz_atoms_destroy(nanmol);
    cz_atoms_destroy(co2);
    cz_atoms_destroy(bad_cell);
    cz_atoms_destroy(two);
    cz_atoms_destroy(one);
    cz_atoms_destroy(empty);
    cz_sites_destroy(s);
    cz_atoms_destroy(co);
    cz_atoms_destroy(a);
    cz_sites_destroy(NULL);
    cz_site_opts_default(NULL);
    cz_ligand_opts_default(NULL);
}

int main(void) {
    test_sites_truncated_octahedron();
    test_sites_sphere_and_vacancy();
    test_place_co();
    test_place_thiol();
    test_place_periodic();
    test_skewed_cells();
    test_user_sites();
    test_errors();
    return cz_test_summary("test_ligands");
}
