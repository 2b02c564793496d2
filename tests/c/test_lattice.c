/* test_lattice.c — cells, bases, space groups and prototypes: geometry checked through
 * neighbour distances and through agreement between independent constructions. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static cz_lattice *proto(const char *name, int z0, int z1, int z2, double a, double c, double u) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z0;
    po.z[1] = z1;
    po.z[2] = z2;
    po.a = a;
    if (!isnan(c)) po.c = c;
    if (!isnan(u)) po.u = u;
    cz_lattice *l = NULL;
    cz_status s = cz_lattice_prototype(name, &po, &l);
    CZ_CHECK(s == CZ_OK, "prototype %s: %s", name, cz_last_error());
    return l;
}

/* Distances from basis site b to every site (any species filter) within rmax, sorted. */
static size_t neighbours(const cz_lattice *l, size_t b, int zfilter, double rmax, double *d,
                         size_t cap) {
    size_t n = 0;
    long o[3] = {0, 0, 0};
    double x0[3];
    cz_lattice_site(l, b, o, x0);
    for (size_t s = 0; s < l->nbasis; s++) {
        if (zfilter && l->z[s] != zfilter) continue;
        for (long i = -3; i <= 3; i++)
            for (long j = -3; j <= 3; j++)
                for (long k = -3; k <= 3; k++) {
                    long ijk[3] = {i, j, k};
                    double x[3];
                    cz_lattice_site(l, s, ijk, x);
                    double r = sqrt((x[0] - x0[0]) * (x[0] - x0[0]) + (x[1] - x0[1]) * (x[1] - x0[1]) +
                                    (x[2] - x0[2]) * (x[2] - x0[2]));
                    if (r > 1e-9 && r <= rmax && n < cap) d[n++] = r;
                }
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && d[j - 1] > d[j]; j--) {
            double t = d[j];
            d[j] = d[j - 1];
            d[j - 1] = t;
        }
    return n;
}

static size_t count_near(const double *d, size_t n, double r) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(d[i] - r) < 5e-4) c++;
    return c;
}

static void test_hcp_and_wurtzite(void) {
    double d[512];
    cz_lattice *mg = proto("hcp", 12, 0, 0, 3.21, 5.21, NAN);
    size_t n = neighbours(mg, 0, 0, 3.3, d, 512);
    CZ_CHECK(n == 12, "hcp Mg: %zu neighbours within 3.3 Å", n);
    CZ_CHECK(fabs(d[0] - 3.197) < 5e-4, "hcp between planes %.4f", d[0]);
    CZ_CHECK(count_near(d, n, 3.197) == 6, "6 neighbours at 3.197 Å");
    CZ_CHECK(count_near(d, n, 3.210) == 6, "6 neighbours at 3.210 Å");
    cz_lattice_destroy(mg);

    cz_lattice *zno = proto("wurtzite", 30, 8, 0, 3.25, 5.21, 0.382);
    for (size_t b = 0; b < zno->nbasis; b++) {
        if (zno->z[b] != 30) continue;
        n = neighbours(zno, b, 8, 2.2, d, 512);
        CZ_CHECK(n == 4, "Zn site %zu: %zu O within 2.2 Å", b, n);
        CZ_CHECK(count_near(d, n, 1.975) == 3, "3 Zn–O at 1.975 (got %.4f %.4f %.4f %.4f)", d[0],
                 d[1], d[2], d[3]);
        CZ_CHECK(count_near(d, n, 1.990) == 1, "1 Zn–O at 1.990 Å");
    }
    cz_lattice_destroy(zno);

    /* 2H-MoS2: Mo–S 2.41 Å (six-fold trigonal prism). */
    cz_lattice *mos2 = proto("2H-MoS2", 42, 16, 0, 3.16, 12.29, 0.621);
    n = neighbours(mos2, 0, 16, 2.6, d, 512);
    CZ_CHECK(n == 6, "Mo has %zu S neighbours", n);
    CZ_CHECK(fabs(d[0] - 2.417) < 2e-3 && fabs(d[n - 1] - d[0]) < 1e-9, "Mo–S %.4f", d[0]);
    cz_lattice_destroy(mos2);

    /* Graphite: in-plane C–C a/√3, interlayer spacing c/2. */
    cz_lattice *gr = proto("graphite", 6, 0, 0, 2.46, 6.71, NAN);
    n = neighbours(gr, 0, 0, 1.5, d, 512);
    CZ_CHECK(n == 3 && fabs(d[0] - 2.46 / sqrt(3.0)) < 1e-9, "graphite: %zu at %.4f", n, d[0]);
    cz_lattice_destroy(gr);
}

static void test_cubic_prototypes(void) {
    double d[1024];
    struct {
        const char *name;
        int z0, z1, z2;
        double a, nn;
        size_t coord, nbasis;
    } cases[] = {
        {"fcc", 29, 0, 0, 3.615, 3.615 / sqrt(2.0), 12, 4},
        {"bcc", 26, 0, 0, 2.8665, 2.8665 * sqrt(3.0) / 2, 8, 2},
        {"diamond", 14, 0, 0, 5.431, 5.431 * sqrt(3.0) / 4, 4, 8},
        {"rocksalt", 11, 17, 0, 5.64, 5.64 / 2, 6, 8},
        {"zincblende", 30, 16, 0, 5.41, 5.41 * sqrt(3.0) / 4, 4, 8},
        {"fluorite", 20, 9, 0, 5.463, 5.463 * sqrt(3.0) / 4, 8, 12},
        {"perovskite", 38, 22, 8, 3.905, 3.905 / 2, 6, 5},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        cz_lattice *l = proto(cases[c].name, cases[c].z0, cases[c].z1, cases[c].z2, cases[c].a,
                              NAN, NAN);
        if (!l) continue;
        CZ_CHECK(l->nbasis == cases[c].nbasis, "%s basis %zu", cases[c].name, l->nbasis);
        /* Coordination of the first site (A cation; for perovskite the B site, index 1, by O). */
        size_t site = strcmp(cases[c].name, "perovskite") == 0 ? 1 : 0;
        int zf = cases[c].z1 ? (strcmp(cases[c].name, "perovskite") == 0 ? cases[c].z2 : cases[c].z1) : 0;
        size_t n = neighbours(l, site, zf, cases[c].nn + 1e-3, d, 1024);
        CZ_CHECK(n == cases[c].coord && fabs(d[0] - cases[c].nn) < 1e-9,
                 "%s: %zu neighbours, nearest %.5f (want %zu at %.5f)", cases[c].name, n,
                 n ? d[0] : 0.0, cases[c].coord, cases[c].nn);
        CZ_CHECK_CLOSE(cz_cell_volume(CZ_CROWS(l->cell)), pow(cases[c].a, 3), 1e-12, "%s volume",
                       cases[c].name);
        cz_lattice_destroy(l);
    }
}

/* Same multiset of (species, fractional position) modulo 1. */
static int same_sites(const cz_lattice *a, const cz_lattice *b) {
    if (a->nbasis != b->nbasis) return 0;
    for (size_t i = 0; i < a->nbasis; i++) {
        int found = 0;
        for (size_t j = 0; j < b->nbasis && !found; j++) {
            if (a->z[i] != b->z[j]) continue;
            int ok = 1;
            for (int k = 0; k < 3; k++) {
                double d = a->frac[i][k] - b->frac[j][k];
                d -= nearbyint(d);
                if (fabs(d) > 1e-9) ok = 0;
            }
            found = ok;
        }
        if (!found) return 0;
    }
    return 1;
}

static void test_spacegroups(void) {
    cz_lattice *fcc = proto("fcc", 79, 0, 0, 4.08, NAN, NAN), *sg = NULL;
    const double origin[1][3] = {{0, 0, 0}};
    const int au[1] = {79};
    CZ_CHECK(cz_lattice_from_spacegroup(225, CZ_CROWS(fcc->cell), 1, origin, au, NULL, &sg) == CZ_OK,
             "%s", cz_last_error());
    CZ_CHECK(sg && same_sites(sg, fcc), "Fm-3m with Au at 0 is the fcc conventional cell");
    cz_lattice_destroy(sg);
    sg = NULL;

    cz_lattice *hcp = proto("hcp", 12, 0, 0, 3.21, 5.21, NAN);
    const double mg_site[1][3] = {{1.0 / 3, 2.0 / 3, 0.25}};
    const int mg[1] = {12};
    CZ_CHECK(cz_lattice_from_spacegroup(194, CZ_CROWS(hcp->cell), 1, mg_site, mg, NULL, &sg) == CZ_OK,
             "%s", cz_last_error());
    CZ_CHECK(sg && same_sites(sg, hcp), "P6_3/mmc with Mg on 2c is hcp");
    cz_lattice_destroy(sg);
    sg = NULL;

    cz_lattice *wz = proto("wurtzite", 30, 8, 0, 3.25, 5.21, 0.382);
    const double wz_sites[2][3] = {{1.0 / 3, 2.0 / 3, 0.0}, {1.0 / 3, 2.0 / 3, 0.382}};
    const int wz_z[2] = {30, 8};
    CZ_CHECK(cz_lattice_from_spacegroup(186, CZ_CROWS(wz->cell), 2, wz_sites, wz_z, NULL, &sg) == CZ_OK,
             "%s", cz_last_error());
    CZ_CHECK(sg && same_sites(sg, wz), "P6_3mc with Zn, O on 2b is wurtzite");
    cz_lattice_destroy(sg);
    sg = NULL;

    cz_lattice *mos2 = proto("2H-MoS2", 42, 16, 0, 3.16, 12.29, 0.621);
    const double m_sites[2][3] = {{1.0 / 3, 2.0 / 3, 0.25}, {1.0 / 3, 2.0 / 3, 0.621}};
    const int m_z[2] = {42, 16};
    CZ_CHECK(cz_lattice_from_spacegroup(194, CZ_CROWS(mos2->cell), 2, m_sites, m_z, NULL, &sg) == CZ_OK,
             "%s", cz_last_error());
    CZ_CHECK(sg && same_sites(sg, mos2), "P6_3/mmc with Mo 2c, S 4f is 2H-MoS2");
    cz_lattice_destroy(sg);
    sg = NULL;

    /* Rutile TiO2 (P4_2/mnm, 136): 2 Ti + 4 O. */
    double tet[3][3];
    cz_cell_from_parameters(4.594, 4.594, 2.959, 90, 90, 90, tet);
    const double r_sites[2][3] = {{0, 0, 0}, {0.3048, 0.3048, 0}};
    const int r_z[2] = {22, 8};
    CZ_CHECK(cz_lattice_from_spacegroup(136, CZ_CROWS(tet), 2, r_sites, r_z, NULL, &sg) == CZ_OK,
             "%s", cz_last_error());
    CZ_CHECK(sg && sg->nbasis == 6, "rutile has 6 atoms per cell (got %zu)", sg ? sg->nbasis : 0);
    cz_lattice_destroy(sg);
    sg = NULL;

    /* Errors. */
    cz_lattice *out = (cz_lattice *)1;
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(0, CZ_CROWS(fcc->cell), 1, origin, au, NULL, &out),
                   CZ_EINVAL, "1..230 (got 0)");
    CZ_CHECK(out == NULL, "out NULLed");
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(231, CZ_CROWS(fcc->cell), 1, origin, au, NULL, &out),
                   CZ_EINVAL, "got 231");
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(194, CZ_CROWS(fcc->cell), 1, mg_site, mg, NULL, &out),
                   CZ_EINVAL, "incompatible with space group 194");
    cz_spacegroup_opts so;
    cz_spacegroup_opts_default(&so);
    so.hall_number = 1;
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(225, CZ_CROWS(fcc->cell), 1, origin, au, &so, &out),
                   CZ_EINVAL, "belongs to space group 1");
    so.hall_number = 531;
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(225, CZ_CROWS(fcc->cell), 1, origin, au, &so, &out),
                   CZ_EINVAL, "hall_number");
    cz_spacegroup_opts_default(&so);
    so.symprec = -1;
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(225, CZ_CROWS(fcc->cell), 1, origin, au, &so, &out),
                   CZ_EINVAL, "symprec");
    const int bad_z[1] = {119};
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(225, CZ_CROWS(fcc->cell), 1, origin, bad_z, NULL, &out),
                   CZ_EINVAL, "unknown element");
    const double two[2][3] = {{0, 0, 0}, {0.5, 0.5, 0}};
    const int two_z[2] = {79, 29};
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(225, CZ_CROWS(fcc->cell), 2, two, two_z, NULL, &out),
                   CZ_EINVAL, "occupied site");
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(225, CZ_CROWS(fcc->cell), 0, origin, au, NULL, &out),
                   CZ_EINVAL, "at least one");
    CZ_CHECK_FAILS(cz_lattice_from_spacegroup(225, CZ_CROWS(fcc->cell), 1, origin, au, NULL, NULL),
                   CZ_EINVAL, "out must not be NULL");
    cz_lattice_destroy(fcc);
    cz_lattice_destroy(hcp);
    cz_lattice_destroy(wz);
    cz_lattice_destroy(mos2);
}

static void test_create_and_errors(void) {
    double cell[3][3];
    CZ_CHECK(cz_cell_from_parameters(3.21, 3.21, 5.21, 90, 90, 120, cell) == CZ_OK, "hex cell");
    CZ_CHECK(cell[1][0] == -1.605 && cell[0][1] == 0 && cell[2][0] == 0 && cell[2][1] == 0,
             "exact hexagonal components");
    CZ_CHECK_CLOSE(cz_cell_volume(CZ_CROWS(cell)), 3.21 * 3.21 * 5.21 * sqrt(3.0) / 2, 1e-12,
                   "hex volume");
    /* Triclinic parameters survive the round trip through the cell rows. */
    CZ_CHECK(cz_cell_from_parameters(3.615, 4.271, 5.093, 71.3, 84.9, 103.7, cell) == CZ_OK, "tri");
    double la = sqrt(cell[0][0] * cell[0][0]), lb = sqrt(cell[1][0] * cell[1][0] + cell[1][1] * cell[1][1]);
    double lc = sqrt(cell[2][0] * cell[2][0] + cell[2][1] * cell[2][1] + cell[2][2] * cell[2][2]);
    CZ_CHECK_CLOSE(la, 3.615, 1e-12, "a");
    CZ_CHECK_CLOSE(lb, 4.271, 1e-12, "b");
    CZ_CHECK_CLOSE(lc, 5.093, 1e-12, "c");
    double cosa = (cell[1][0] * cell[2][0] + cell[1][1] * cell[2][1]) / (lb * lc);
    CZ_CHECK_CLOSE(acos(cosa) * 180 / 3.14159265358979323846, 71.3, 1e-10, "alpha");
    CZ_CHECK_FAILS(cz_cell_from_parameters(-1, 1, 1, 90, 90, 90, cell), CZ_EINVAL, "lengths");
    CZ_CHECK_FAILS(cz_cell_from_parameters(NAN, 1, 1, 90, 90, 90, cell), CZ_EINVAL, "lengths");
    CZ_CHECK_FAILS(cz_cell_from_parameters(1, 1, 1, 0, 90, 90, cell), CZ_EINVAL, "angles");
    CZ_CHECK_FAILS(cz_cell_from_parameters(1, 1, 1, 10, 10, 170, cell), CZ_EINVAL, "do not form");

    const double sing[3][3] = {{1, 0, 0}, {0, 1, 0}, {1, 1, 0}};
    const double f1[1][3] = {{0.25, 0.5, 1.75}};
    const int z1[1] = {6};
    cz_lattice *l = (cz_lattice *)1;
    CZ_CHECK_FAILS(cz_lattice_create(sing, 1, f1, z1, &l), CZ_EINVAL, "singular");
    CZ_CHECK(l == NULL, "out NULLed");
    const double nanc[3][3] = {{NAN, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    CZ_CHECK_FAILS(cz_lattice_create(nanc, 1, f1, z1, &l), CZ_EINVAL, "finite");
    const double lefty[3][3] = {{0, 1, 0}, {1, 0, 0}, {0, 0, 1}};
    CZ_CHECK_FAILS(cz_lattice_create(lefty, 1, f1, z1, &l), CZ_EINVAL, "left-handed");
    const double cube[3][3] = {{2.5, 0, 0}, {0, 2.5, 0}, {0, 0, 2.5}};
    CZ_CHECK_FAILS(cz_lattice_create(cube, 0, f1, z1, &l), CZ_EINVAL, "at least one");
    const int z0[1] = {0};
    CZ_CHECK_FAILS(cz_lattice_create(cube, 1, f1, z0, &l), CZ_EINVAL, "unknown element");
    const double dup[2][3] = {{0, 0, 0}, {1.0, -1.0, 2.0}};
    const int z2[2] = {6, 6};
    CZ_CHECK_FAILS(cz_lattice_create(cube, 2, dup, z2, &l), CZ_EINVAL, "coincide");
    CZ_CHECK(cz_lattice_create(cube, 1, f1, z1, &l) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(l && l->frac[0][2] == 0.75, "fractional coordinates wrapped into [0,1)");
    cz_lattice *cp = NULL;
    CZ_CHECK(cz_lattice_copy(l, &cp) == CZ_OK && cp->nbasis == 1 && cp->z[0] == 6, "copy");
    int hkl[3] = {1, 1, 1};
    double dsp, nrm[3];
    CZ_CHECK(cz_lattice_plane(l, hkl, &dsp, nrm) == CZ_OK, "plane");
    CZ_CHECK_CLOSE(dsp, 2.5 / sqrt(3.0), 1e-12, "d111");
    int h0[3] = {0, 0, 0};
    CZ_CHECK_FAILS(cz_lattice_plane(l, h0, &dsp, nrm), CZ_EINVAL, "(0 0 0)");
    cz_lattice_destroy(l);
    cz_lattice_destroy(cp);
    cz_lattice_destroy(NULL);

    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = 79;
    po.a = 4.08;
    l = NULL;
    CZ_CHECK_FAILS(cz_lattice_prototype("fccc", &po, &l), CZ_EINVAL, "unknown prototype \"fccc\"");
    CZ_CHECK_FAILS(cz_lattice_prototype("rocksalt", &po, &l), CZ_EINVAL, "needs 2 species");
    po.a = -4.08;
    CZ_CHECK_FAILS(cz_lattice_prototype("fcc", &po, &l), CZ_EINVAL, "got -4.08");
    po.a = NAN;
    CZ_CHECK_FAILS(cz_lattice_prototype("fcc", &po, &l), CZ_EINVAL, "> 0 and finite");
    po.a = 3.25;
    po.z[1] = 8;
    po.u = 1.5;
    CZ_CHECK_FAILS(cz_lattice_prototype("wurtzite", &po, &l), CZ_EINVAL, "(0, 1)");
    po.u = NAN;
    po.c = -1;
    CZ_CHECK_FAILS(cz_lattice_prototype("wurtzite", &po, &l), CZ_EINVAL, "parameter c");
    CZ_CHECK_FAILS(cz_lattice_prototype(NULL, &po, &l), CZ_EINVAL, "must not be NULL");
}

/* A triclinic periodic box filled with a commensurate lattice holds exactly
 * (cells × basis) atoms, with no atom duplicated by periodic wrapping. */
static void test_triclinic_periodic_fill(void) {
    double cell[3][3];
    cz_cell_from_parameters(3.615, 4.271, 5.093, 71.3, 84.9, 103.7, cell);
    const double frac[3][3] = {{0, 0, 0}, {0.313, 0.141, 0.592}, {0.777, 0.52, 0.25}};
    const int z[3] = {14, 8, 26};
    cz_lattice *l = NULL;
    cz_lattice_create(CZ_CROWS(cell), 3, frac, z, &l);
    const int reps[3] = {5, 4, 3};
    double box[3][3];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++) box[i][k] = reps[i] * cell[i][k];
    cz_scene *s = NULL;
    cz_scene_create(&s);
    const int pbc[3] = {1, 1, 1};
    CZ_CHECK(cz_scene_set_cell(s, CZ_CROWS(box), pbc) == CZ_OK, "%s", cz_last_error());
    /* An unbounded region (a half-space containing the whole cell) is clipped by the cell. */
    const double n[3] = {0, 0, 1}, p[3] = {0, 0, 1000};
    cz_volume *hs = NULL;
    cz_volume_halfspace(n, p, &hs);
    CZ_CHECK(cz_scene_add_crystal(s, l, hs, NULL, NULL) == CZ_OK, "%s", cz_last_error());
    cz_atoms *a = NULL;
    CZ_CHECK(cz_scene_populate(s, NULL, &a) == CZ_OK, "%s", cz_last_error());
    if (a) {
        CZ_CHECK(a->n == (size_t)(5 * 4 * 3 * 3), "triclinic box: %zu atoms, want 180", a->n);
        double dmin;
        cz_atoms_min_distance(a, &dmin, NULL);
        /* The lattice's own shortest site distance, periodic images included. */
        double best = INFINITY;
        for (size_t i = 0; i < 3; i++)
            for (size_t j = 0; j < 3; j++)
                for (long u = -2; u <= 2; u++)
                    for (long v = -2; v <= 2; v++)
                        for (long w = -2; w <= 2; w++) {
                            long o[3] = {0, 0, 0}, ijk[3] = {u, v, w};
                            double x[3], y[3];
                            cz_lattice_site(l, i, o, x);
                            cz_lattice_site(l, j, ijk, y);
                            double d = sqrt((x[0] - y[0]) * (x[0] - y[0]) + (x[1] - y[1]) * (x[1] - y[1]) +
                                            (x[2] - y[2]) * (x[2] - y[2]));
                            if (d > 1e-9) best = fmin(best, d);
                        }
        CZ_CHECK_CLOSE(dmin, best, 1e-9, "no duplicate under wrapping: min distance");
        CZ_CHECK(a->pbc[0] && a->pbc[1] && a->pbc[2] && a->cell[2][2] == box[2][2], "cell, pbc");
    }
    cz_atoms_destroy(a);
    cz_volume_destroy(hs);
    cz_scene_destroy(s);
    cz_lattice_destroy(l);
}

int main(void) {
    test_hcp_and_wurtzite();
    test_cubic_prototypes();
    test_spacegroups();
    test_create_and_errors();
    test_triclinic_periodic_fill();
    return cz_test_summary("lattice");
}
