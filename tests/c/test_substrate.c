/* test_substrate.c — crystalline slabs: surface cells, counts, plane spacings, periodicity,
 * bulk sites, MoS2 and graphene builders, matching strain, scene objects, errors. */
#include <math.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static cz_lattice *proto(const char *name, int z0, int z1, double a, double c) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z0;
    po.z[1] = z1;
    po.a = a;
    po.c = c;
    cz_lattice *l = NULL;
    cz_status st = cz_lattice_prototype(name, &po, &l);
    CZ_CHECK(st == CZ_OK, "prototype %s: %s", name, cz_last_error());
    return l;
}

/* Bulk nearest-neighbour distance, independently: a filled sphere, no periodicity. */
static double bulk_nn(const cz_lattice *l) {
    const double c[3] = {0.1234, -0.0567, 0.0891};
    cz_volume *v = NULL;
    cz_volume_sphere(c, 14.0, &v);
    cz_atoms *a = NULL;
    cz_fill_shape(l, v, NULL, &a);
    double d = 0.0;
    cz_atoms_min_distance(a, &d, NULL);
    cz_atoms_destroy(a);
    cz_volume_destroy(v);
    return d;
}

/* Distinct z values of the atoms (sorted ascending) within 1e-6 Å; returns their count. */
static size_t distinct_z(const cz_atoms *a, double *zs, size_t cap) {
    size_t m = 0;
    for (size_t i = 0; i < a->n; i++) {
        int seen = 0;
        for (size_t k = 0; k < m; k++)
            if (fabs(zs[k] - a->xyz[i][2]) < 1e-6) seen = 1;
        if (!seen && m < cap) zs[m++] = a->xyz[i][2];
    }
    for (size_t i = 1; i < m; i++)
        for (size_t k = i; k > 0 && zs[k - 1] > zs[k]; k--) {
            double t = zs[k];
            zs[k] = zs[k - 1];
            zs[k - 1] = t;
        }
    return m;
}

static double area2d(const double cell[3][3]) {
    return fabs(cell[0][0] * cell[1][1] - cell[0][1] * cell[1][0]);
}

/* Every atom must be a site of the bulk lattice: undo the slab's rotation (from the uvw of
 * A, B, C) and its origin, then compare fractional coordinates with the basis. */
static int all_bulk_sites(const cz_slab *s, const cz_lattice *bulk, const cz_atoms *a) {
    double mb[3][3], mw[3][3], inv[3][3], rt[3][3];
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++) {
            mb[r][k] = s->uvw[r][0] * bulk->cell[0][k] + s->uvw[r][1] * bulk->cell[1][k] +
                       s->uvw[r][2] * bulk->cell[2][k];
            mw[r][k] = s->lattice->cell[r][k];
        }
    /* mw = mb · Rᵀ  →  Rᵀ = mb⁻¹ · mw; a world point x maps back to y = x · R. */
    double det = mb[0][0] * (mb[1][1] * mb[2][2] - mb[1][2] * mb[2][1]) -
                 mb[0][1] * (mb[1][0] * mb[2][2] - mb[1][2] * mb[2][0]) +
                 mb[0][2] * (mb[1][0] * mb[2][1] - mb[1][1] * mb[2][0]);
    inv[0][0] = (mb[1][1] * mb[2][2] - mb[1][2] * mb[2][1]) / det;
    inv[0][1] = (mb[0][2] * mb[2][1] - mb[0][1] * mb[2][2]) / det;
    inv[0][2] = (mb[0][1] * mb[1][2] - mb[0][2] * mb[1][1]) / det;
    inv[1][0] = (mb[1][2] * mb[2][0] - mb[1][0] * mb[2][2]) / det;
    inv[1][1] = (mb[0][0] * mb[2][2] - mb[0][2] * mb[2][0]) / det;
    inv[1][2] = (mb[0][2] * mb[1][0] - mb[0][0] * mb[1][2]) / det;
    inv[2][0] = (mb[1][0] * mb[2][1] - mb[1][1] * mb[2][0]) / det;
    inv[2][1] = (mb[0][1] * mb[2][0] - mb[0][0] * mb[2][1]) / det;
    inv[2][2] = (mb[0][0] * mb[1][1] - mb[0][1] * mb[1][0]) / det;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            rt[i][j] = inv[i][0] * mw[0][j] + inv[i][1] * mw[1][j] + inv[i][2] * mw[2][j];
    /* Rᵀ must be a proper rotation. */
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double dot = rt[i][0] * rt[j][0] + rt[i][1] * rt[j][1] + rt[i][2] * rt[j][2];
            if (fabs(dot - (i == j)) > 1e-9) return 0;
        }
    /* Bulk cell inverse for fractional coordinates. */
    const double(*c)[3] = CZ_CROWS(bulk->cell);
    double cd = c[0][0] * (c[1][1] * c[2][2] - c[1][2] * c[2][1]) -
                c[0][1] * (c[1][0] * c[2][2] - c[1][2] * c[2][0]) +
                c[0][2] * (c[1][0] * c[2][1] - c[1][1] * c[2][0]);
    double ci[3][3] = {
        {(c[1][1] * c[2][2] - c[1][2] * c[2][1]) / cd, (c[0][2] * c[2][1] - c[0][1] * c[2][2]) / cd,
         (c[0][1] * c[1][2] - c[0][2] * c[1][1]) / cd},
        {(c[1][2] * c[2][0] - c[1][0] * c[2][2]) / cd, (c[0][0] * c[2][2] - c[0][2] * c[2][0]) / cd,
         (c[0][2] * c[1][0] - c[0][0] * c[1][2]) / cd},
        {(c[1][0] * c[2][1] - c[1][1] * c[2][0]) / cd, (c[0][1] * c[2][0] - c[0][0] * c[2][1]) / cd,
         (c[0][0] * c[1][1] - c[0][1] * c[1][0]) / cd}};
    for (size_t i = 0; i < a->n; i++) {
        double x[3] = {a->xyz[i][0] - s->origin[0], a->xyz[i][1] - s->origin[1],
                       a->xyz[i][2] - s->origin[2]},
               y[3], f[3];
        /* Row form: x = y · Rᵀ, so y = x · R, i.e. y_j = Σ_i x_i (Rᵀ)_ji. */
        for (int j = 0; j < 3; j++) y[j] = x[0] * rt[j][0] + x[1] * rt[j][1] + x[2] * rt[j][2];
        for (int k = 0; k < 3; k++) f[k] = y[0] * ci[0][k] + y[1] * ci[1][k] + y[2] * ci[2][k];
        int found = 0;
        for (size_t b = 0; b < bulk->nbasis && !found; b++) {
            int ok = bulk->z[b] == a->z[i];
            for (int k = 0; k < 3 && ok; k++) {
                double df = f[k] - bulk->frac[b][k];
                if (fabs(df - nearbyint(df)) > 1e-7) ok = 0;
            }
            found = ok;
        }
        if (!found) return 0;
    }
    return 1;
}

/* Generic properties of one slab of `bulk` with surface hkl. */
static void check_slab(const char *name, const cz_lattice *bulk, const int hkl[3], double want_d,
                       size_t want_m, double want_a, const cz_slab_opts *opts) {
    cz_slab_opts o = *opts;
    memcpy(o.hkl, hkl, sizeof o.hkl);
    cz_slab *s = NULL;
    cz_status st = cz_slab_create(bulk, &o, &s);
    CZ_CHECK(st == CZ_OK, "%s: %s", name, cz_last_error());
    if (st != CZ_OK) return;
    if (want_d > 0) CZ_CHECK_CLOSE(s->d_spacing, want_d, 1e-12, "%s: plane period d", name);
    if (want_m > 0)
        CZ_CHECK(s->nplanes_period == want_m, "%s: %zu planes per period (want %zu)", name,
                 s->nplanes_period, want_m);
    if (want_a > 0)
        CZ_CHECK_CLOSE(sqrt(s->lattice->cell[0][0] * s->lattice->cell[0][0] +
                            s->lattice->cell[0][1] * s->lattice->cell[0][1]),
                       want_a, 1e-12, "%s: |A|", name);
    /* A and B lie in the surface (z = 0) and span it right-handed; C climbs by d. */
    CZ_CHECK(s->lattice->cell[0][2] == 0.0 && s->lattice->cell[1][2] == 0.0, "%s: A, B in xy",
             name);
    CZ_CHECK(s->lattice->cell[0][0] * s->lattice->cell[1][1] -
                     s->lattice->cell[0][1] * s->lattice->cell[1][0] >
                 0,
             "%s: A × B along +z", name);
    CZ_CHECK_CLOSE(s->lattice->cell[2][2], s->d_spacing, 1e-12, "%s: C_z = d", name);
    /* A and B are lattice vectors in the (hkl) plane. */
    for (int r = 0; r < 2; r++) {
        double dot = s->uvw[r][0] * s->hkl[0] + s->uvw[r][1] * s->hkl[1] + s->uvw[r][2] * s->hkl[2];
        CZ_CHECK(fabs(dot) < 1e-12, "%s: row %d in plane (hkl·uvw = %g)", name, r, dot);
    }
    /* The normal of (hkl) in the bulk frame goes to +z: d_hkl (conventional) divides d. */
    double dconv = 0, nrm[3];
    cz_lattice_plane(bulk, s->hkl, &dconv, nrm);
    double ratio = s->d_spacing / dconv;
    CZ_CHECK(fabs(ratio - nearbyint(ratio)) < 1e-9 || fabs(1 / ratio - nearbyint(1 / ratio)) < 1e-9,
             "%s: d = %g is commensurate with d_hkl = %g", name, s->d_spacing, dconv);
    cz_atoms *a = NULL;
    st = cz_slab_atoms(s, NULL, &a);
    CZ_CHECK(st == CZ_OK, "%s: atoms: %s", name, cz_last_error());
    if (st != CZ_OK) {
        cz_slab_destroy(s);
        return;
    }
    /* Exact count: cells × atoms per 2-D cell summed over the kept planes. */
    size_t per = 0;
    for (size_t g = 0; g < s->nplanes; g++) {
        long p = (long)s->termination - (long)g;
        long m = (long)s->nplanes_period;
        p = ((p % m) + m) % m;
        per += s->plane_atoms[p];
    }
    CZ_CHECK(a->n == s->ncells * per && a->n == s->natoms, "%s: %zu atoms, want %zu × %zu", name,
             a->n, s->ncells, per);
    /* Density of the slab equals the bulk: n / (area · nplanes/m · d) = nbasis / V. */
    double vol_bulk = fabs(cz_cell_volume(CZ_CROWS(bulk->cell)));
    double slab_vol =
        area2d(CZ_CROWS(a->cell)) * s->d_spacing * (double)s->nplanes / (double)s->nplanes_period;
    if (!s->strained && s->nplanes % s->nplanes_period == 0)
        CZ_CHECK_CLOSE((double)a->n / slab_vol, (double)bulk->nbasis / vol_bulk, 1e-9,
                       "%s: bulk density", name);
    /* Planes: the atoms' heights are exactly the slab's planes, top at z_top. */
    double zs[512];
    size_t nz = distinct_z(a, zs, 512);
    CZ_CHECK(nz == s->nplanes, "%s: %zu distinct heights, want %zu", name, nz, s->nplanes);
    CZ_CHECK(fabs(zs[nz - 1] - s->z_top) < 1e-9 && fabs(zs[0] - s->z_bottom) < 1e-9,
             "%s: z range %g..%g vs slab %g..%g", name, zs[0], zs[nz - 1], s->z_bottom, s->z_top);
    if (s->nplanes_period == 1 && nz > 1)
        for (size_t k = 1; k < nz; k++)
            CZ_CHECK_CLOSE(zs[k] - zs[k - 1], s->d_spacing, 1e-9, "%s: layer spacing", name);
    /* Periodic in-plane with no duplicates: the minimum distance with pbc is the bulk one. */
    if (!s->strained) {
        double dmin = 0;
        cz_atoms_min_distance(a, &dmin, NULL);
        CZ_CHECK_CLOSE(dmin, bulk_nn(bulk), 1e-9, "%s: min distance with pbc", name);
        CZ_CHECK(all_bulk_sites(s, bulk, a), "%s: every atom is a bulk lattice site", name);
    }
    CZ_CHECK(a->pbc[0] && a->pbc[1] && !a->pbc[2], "%s: pbc 1 1 0", name);
    for (size_t i = 0; i < a->n; i++)
        if (a->class_id[i] != CZ_CLASS_SUBSTRATE || a->object_id[i] != 1) {
            CZ_CHECK(0, "%s: default labels", name);
            break;
        }
    /* Same slab through a scene: identical count and distances. */
    cz_scene *sc = NULL;
    cz_scene_create(&sc);
    cz_scene_set_cell(sc, CZ_CROWS(s->cell), s->pbc);
    CZ_CHECK(cz_slab_add_to_scene(sc, s, NULL, NULL) == CZ_OK, "%s: %s", name, cz_last_error());
    cz_atoms *b = NULL;
    CZ_CHECK(cz_scene_populate(sc, NULL, &b) == CZ_OK, "%s: populate: %s", name, cz_last_error());
    if (b) {
        CZ_CHECK(b->n == a->n, "%s: scene gives %zu atoms, slab_atoms %zu", name, b->n, a->n);
        double d1 = 0, d2 = 0;
        cz_atoms_min_distance(a, &d1, NULL);
        cz_atoms_min_distance(b, &d2, NULL);
        CZ_CHECK_CLOSE(d1, d2, 1e-9, "%s: scene min distance", name);
        double zb[512];
        size_t nzb = distinct_z(b, zb, 512);
        CZ_CHECK(nzb == nz && fabs(zb[0] - zs[0]) < 1e-9 && fabs(zb[nzb - 1] - zs[nz - 1]) < 1e-9,
                 "%s: scene planes", name);
        CZ_CHECK(b->class_id[0] == CZ_CLASS_SUBSTRATE, "%s: scene class", name);
    }
    cz_atoms_destroy(b);
    cz_scene_destroy(sc);
    cz_atoms_destroy(a);
    cz_slab_destroy(s);
}

static void test_fcc_surfaces(void) {
    const double a = 4.0782;
    cz_lattice *au = proto("fcc", 79, 0, a, NAN);
    cz_slab_opts o;
    cz_slab_opts_default(&o);
    o.lateral = CZ_SLAB_REPEATS;
    o.repeats[0] = 3;
    o.repeats[1] = 4;
    o.nplanes = 5;
    const int h111[3] = {1, 1, 1}, h100[3] = {1, 0, 0}, h110[3] = {1, 1, 0}, h311[3] = {3, 1, 1},
              h222[3] = {2, 2, 2}, hm[3] = {-1, 2, 1};
    /* Primitive surface cells: (111) hexagonal a/√2, (100) square a/√2, (110) a/√2 × a. */
    check_slab("fcc(111)", au, h111, a / sqrt(3.0), 1, a / sqrt(2.0), &o);
    check_slab("fcc(100)", au, h100, a / 2.0, 1, a / sqrt(2.0), &o);
    check_slab("fcc(110)", au, h110, a / (2.0 * sqrt(2.0)), 1, a / sqrt(2.0), &o);
    check_slab("fcc(311)", au, h311, a / sqrt(11.0), 1, 0, &o);
    check_slab("fcc(-1 2 1)", au, hm, 0, 1, 0, &o);
    /* Thickness in Å instead of planes. */
    cz_slab_opts t = o;
    t.nplanes = 0;
    t.thickness = 10.0; /* floor(10 / 2.3546) + 1 = 5 planes of (111) */
    cz_slab *s = NULL;
    CZ_CHECK(cz_slab_create(au, &t, &s) == CZ_OK, "%s", cz_last_error());
    if (s) {
        CZ_CHECK(s->nplanes == 5, "10 Å of Au(111) = 5 planes (got %zu)", s->nplanes);
        CZ_CHECK(s->natoms == 12 * 5, "3×4 cells × 5 planes = 60 atoms (got %zu)", s->natoms);
        CZ_CHECK(s->z_top - s->z_bottom <= 10.0, "thickness kept");
    }
    cz_slab_destroy(s);
    /* (222) is the (111) surface. */
    cz_slab *s1 = NULL, *s2 = NULL;
    cz_slab_opts o1 = o, o2 = o;
    memcpy(o1.hkl, h111, sizeof o1.hkl);
    memcpy(o2.hkl, h222, sizeof o2.hkl);
    cz_slab_create(au, &o1, &s1);
    cz_slab_create(au, &o2, &s2);
    CZ_CHECK(s1 && s2 && s2->hkl[0] == 1 && s2->natoms == s1->natoms &&
                 memcmp(s1->lattice->cell, s2->lattice->cell, sizeof s1->lattice->cell) == 0,
             "(222) builds the same slab as (111)");
    /* Top plane at a chosen z; same options give identical bytes. */
    o1.z_top = 17.25;
    o1.cell_height = 40.0;
    cz_slab_destroy(s1);
    s1 = NULL;
    cz_slab_create(au, &o1, &s1);
    cz_atoms *x1 = NULL, *x2 = NULL;
    cz_slab_atoms(s1, NULL, &x1);
    cz_slab_atoms(s1, NULL, &x2);
    double zmax = -1e9;
    for (size_t i = 0; i < x1->n; i++) zmax = fmax(zmax, x1->xyz[i][2]);
    CZ_CHECK(fabs(zmax - 17.25) < 1e-9, "top plane at z_top (got %g)", zmax);
    CZ_CHECK(s1->cell[2][2] == 40.0, "cell height");
    CZ_CHECK(x1->n == x2->n && memcmp(x1->xyz, x2->xyz, x1->n * sizeof *x1->xyz) == 0,
             "deterministic");
    cz_atoms_destroy(x1);
    cz_atoms_destroy(x2);
    cz_slab_destroy(s1);
    cz_slab_destroy(s2);
    cz_lattice_destroy(au);
}

static void test_other_lattices(void) {
    cz_slab_opts o;
    cz_slab_opts_default(&o);
    o.lateral = CZ_SLAB_REPEATS;
    o.repeats[0] = 4;
    o.repeats[1] = 3;
    o.nplanes = 6;
    /* hcp Mg (0001): two planes per period (A, B), c/2 apart. */
    cz_lattice *mg = proto("hcp", 12, 0, 3.2094, 5.2108);
    const int h001[3] = {0, 0, 1}, h100[3] = {1, 0, 0}, h101[3] = {1, 0, 1};
    check_slab("hcp(0001)", mg, h001, 5.2108, 2, 3.2094, &o);
    check_slab("hcp(10-10)", mg, h100, 0, 0, 0, &o);
    check_slab("hcp(10-11)", mg, h101, 0, 0, 0, &o);
    cz_lattice_destroy(mg);
    /* bcc Fe (110): the densest plane, d = a/√2. */
    cz_lattice *fe = proto("bcc", 26, 0, 2.8665, NAN);
    const int h110[3] = {1, 1, 0}, h111[3] = {1, 1, 1};
    check_slab("bcc(110)", fe, h110, 2.8665 / sqrt(2.0), 1, 0, &o);
    check_slab("bcc(111)", fe, h111, 2.8665 / sqrt(3.0) / 2.0, 1, 0, &o);
    cz_lattice_destroy(fe);
    /* Rocksalt MgO (100) and (111) (polar: alternating Mg and O planes). */
    cz_lattice *mgo = proto("rocksalt", 12, 8, 4.212, NAN);
    check_slab("rocksalt(100)", mgo, h100, 4.212 / 2.0, 1, 4.212 / sqrt(2.0), &o);
    check_slab("rocksalt(111)", mgo, h111, 4.212 / sqrt(3.0), 2, 0, &o);
    cz_lattice_destroy(mgo);
    /* Silicon (111): the diamond double layers. */
    cz_lattice *si = proto("diamond", 14, 0, 5.431, NAN);
    check_slab("diamond(111)", si, h111, 5.431 / sqrt(3.0), 2, 5.431 / sqrt(2.0), &o);
    check_slab("diamond(110)", si, h110, 0, 0, 0, &o);
    /* Default termination cuts the wide (one-bond) gap: the top two planes form a close
     * bilayer (a√3/12 = 0.784 Å apart), then 3a√3/12 = 2.352 Å to the next bilayer. An explicit
     * termination puts the other plane on top. */
    {
        cz_slab_opts t = o;
        memcpy(t.hkl, h111, sizeof t.hkl);
        t.nplanes = 4;
        cz_slab *s = NULL;
        cz_atoms *a = NULL;
        CZ_CHECK(cz_slab_create(si, &t, &s) == CZ_OK && cz_slab_atoms(s, NULL, &a) == CZ_OK, "%s",
                 cz_last_error());
        t.termination = s->termination == 0 ? 1 : 0;
        double zs[8];
        size_t nz = distinct_z(a, zs, 8);
        double top_gap = zs[nz - 1] - zs[nz - 2], next_gap = zs[nz - 2] - zs[nz - 3];
        CZ_CHECK(nz == 4 && fabs(top_gap - 5.431 * sqrt(3.0) / 12) < 1e-9 &&
                     fabs(next_gap - 5.431 * sqrt(3.0) / 4) < 1e-9,
                 "diamond(111) default termination: gaps %g, %g", top_gap, next_gap);
        cz_atoms_destroy(a);
        cz_slab_destroy(s);
        s = NULL;
        a = NULL;
        CZ_CHECK(cz_slab_create(si, &t, &s) == CZ_OK && cz_slab_atoms(s, NULL, &a) == CZ_OK, "%s",
                 cz_last_error());
        nz = distinct_z(a, zs, 8);
        top_gap = zs[nz - 1] - zs[nz - 2];
        CZ_CHECK(fabs(top_gap - 5.431 * sqrt(3.0) / 4) < 1e-9,
                 "diamond(111) other termination: top gap %g", top_gap);
        cz_atoms_destroy(a);
        cz_slab_destroy(s);
    }
    cz_lattice_destroy(si);
    /* A triclinic lattice with two species and an awkward surface. */
    double cell[3][3];
    cz_cell_from_parameters(4.13, 5.27, 6.31, 81.5, 97.2, 104.8, cell);
    const double frac[3][3] = {{0.1, 0.2, 0.3}, {0.6, 0.45, 0.85}, {0.33, 0.71, 0.05}};
    const int z[3] = {8, 22, 8};
    cz_lattice *tri = NULL;
    CZ_CHECK(cz_lattice_create(CZ_CROWS(cell), 3, frac, z, &tri) == CZ_OK, "%s", cz_last_error());
    const int h12m1[3] = {1, 2, -1}, h013[3] = {0, 1, 3};
    check_slab("triclinic(1 2 -1)", tri, h12m1, 0, 3, 0, &o);
    cz_slab_opts t = o;
    t.nplanes = 0;
    t.thickness = 12.5;
    t.inplane_deg = 23.0;
    check_slab("triclinic(0 1 3) 12.5 Å rotated", tri, h013, 0, 0, 0, &t);
    cz_lattice_destroy(tri);
}

static void test_mos2(void) {
    cz_slab_opts o;
    cz_slab_opts_default(&o);
    o.lateral = CZ_SLAB_REPEATS;
    o.repeats[0] = 5;
    o.repeats[1] = 5;
    o.z_top = 20.0;
    o.cell_height = 30.0;
    cz_slab *s = NULL;
    CZ_CHECK(cz_slab_mos2(2, &o, &s) == CZ_OK, "%s", cz_last_error());
    if (!s) return;
    CZ_CHECK(s->nplanes_period == 6, "MoS2 (001): 6 planes per period (got %zu)",
             s->nplanes_period);
    CZ_CHECK(s->nplanes == 6, "bilayer: 6 planes (got %zu)", s->nplanes);
    CZ_CHECK(s->natoms == 25 * 6, "5×5 cells × 2 trilayers × 3 atoms = 150 (got %zu)", s->natoms);
    CZ_CHECK_CLOSE(s->d_spacing, 12.29, 1e-12, "period c");
    cz_atoms *a = NULL;
    CZ_CHECK(cz_slab_atoms(s, NULL, &a) == CZ_OK, "%s", cz_last_error());
    double zs[16];
    size_t nz = distinct_z(a, zs, 16);
    CZ_CHECK(nz == 6, "6 atomic planes (got %zu)", nz);
    /* Species per plane from the bottom: S Mo S S Mo S, each plane one atom per 2-D cell. */
    const int want[6] = {16, 42, 16, 16, 42, 16};
    for (size_t k = 0; k < nz && k < 6; k++) {
        size_t cnt = 0, bad = 0;
        for (size_t i = 0; i < a->n; i++)
            if (fabs(a->xyz[i][2] - zs[k]) < 1e-6) {
                cnt++;
                bad += a->z[i] != want[k];
            }
        CZ_CHECK(cnt == 25 && bad == 0, "plane %zu: %zu atoms, %zu of the wrong species", k, cnt,
                 bad);
    }
    /* Interlayer spacing c/2 (Mo to Mo) = 6.145 Å; top S at z_top. */
    CZ_CHECK_CLOSE(zs[4] - zs[1], 12.29 / 2.0, 1e-9, "Mo–Mo interlayer spacing");
    CZ_CHECK(fabs(zs[5] - 20.0) < 1e-9, "top S at z_top");
    /* Mo–S bond 2.41 Å: the nearest S of every Mo, with pbc. */
    double mos = INFINITY, mos_max = 0.0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->z[i] != 42) continue;
        double best = INFINITY;
        for (size_t j = 0; j < a->n; j++) {
            if (a->z[j] != 16) continue;
            for (int u = -1; u <= 1; u++)
                for (int v = -1; v <= 1; v++) {
                    double d[3];
                    for (int k = 0; k < 3; k++)
                        d[k] = a->xyz[j][k] + u * a->cell[0][k] + v * a->cell[1][k] - a->xyz[i][k];
                    best = fmin(best, sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
                }
        }
        mos = fmin(mos, best);
        mos_max = fmax(mos_max, best);
    }
    CZ_CHECK(fabs(mos - 2.41) < 0.01 && fabs(mos_max - mos) < 1e-9, "Mo–S = %.4f Å (want 2.41)",
             mos);
    double dmin = 0;
    cz_atoms_min_distance(a, &dmin, NULL);
    CZ_CHECK(fabs(dmin - mos) < 1e-9, "shortest pair is Mo–S, no duplicates (%g)", dmin);
    cz_atoms_destroy(a);
    cz_slab_destroy(s);
    /* One trilayer: three planes S Mo S. */
    CZ_CHECK(cz_slab_mos2(1, &o, &s) == CZ_OK && s->nplanes == 3 && s->natoms == 75, "monolayer");
    cz_slab_destroy(s);
    s = NULL;
    CZ_CHECK_FAILS(cz_slab_mos2(0, &o, &s), CZ_EINVAL, "ntrilayers must be >= 1");
}

static void test_graphene(void) {
    cz_slab_opts o;
    cz_slab_opts_default(&o);
    o.lateral = CZ_SLAB_REPEATS;
    o.repeats[0] = 6;
    o.repeats[1] = 6;
    cz_slab *s = NULL;
    CZ_CHECK(cz_slab_graphene(1, &o, &s) == CZ_OK, "%s", cz_last_error());
    cz_atoms *a = NULL;
    cz_slab_atoms(s, NULL, &a);
    CZ_CHECK(a->n == 72, "single layer: 36 cells × 2 atoms (got %zu)", a->n);
    double dmin = 0;
    cz_atoms_min_distance(a, &dmin, NULL);
    CZ_CHECK(fabs(dmin - 1.42) < 0.001, "C–C %.5f Å", dmin);
    CZ_CHECK_CLOSE(dmin, 2.46 / sqrt(3.0), 1e-9, "C–C = a/√3");
    cz_atoms_destroy(a);
    cz_slab_destroy(s);
    /* Three layers ABA, 3.35 Å apart. */
    o.z_top = 12.0;
    o.cell_height = 20.0;
    CZ_CHECK(cz_slab_graphene(3, &o, &s) == CZ_OK, "%s", cz_last_error());
    cz_slab_atoms(s, NULL, &a);
    CZ_CHECK(a->n == 216, "3 layers × 72 (got %zu)", a->n);
    double zs[8];
    size_t nz = distinct_z(a, zs, 8);
    CZ_CHECK(nz == 3, "3 planes (got %zu)", nz);
    for (size_t k = 1; k < nz; k++) CZ_CHECK_CLOSE(zs[k] - zs[k - 1], 3.35, 1e-9, "interlayer");
    /* AB stacking: in the middle layer half of the atoms sit over atoms of the layer below,
     * half over hexagon centres; the top layer repeats the bottom one (ABA). */
    size_t over = 0, n_mid = 0, same = 0, n_top = 0;
    for (size_t i = 0; i < a->n; i++) {
        int layer =
            fabs(a->xyz[i][2] - zs[1]) < 1e-6 ? 1 : (fabs(a->xyz[i][2] - zs[2]) < 1e-6 ? 2 : 0);
        if (layer == 0) continue;
        int hit = 0;
        for (size_t j = 0; j < a->n && !hit; j++) {
            if (fabs(a->xyz[j][2] - zs[0]) > 1e-6) continue;
            for (int u = -1; u <= 1 && !hit; u++)
                for (int v = -1; v <= 1 && !hit; v++) {
                    double dx = a->xyz[j][0] + u * a->cell[0][0] + v * a->cell[1][0] - a->xyz[i][0];
                    double dy = a->xyz[j][1] + u * a->cell[0][1] + v * a->cell[1][1] - a->xyz[i][1];
                    hit = dx * dx + dy * dy < 1e-12;
                }
        }
        if (layer == 1) {
            n_mid++;
            over += hit;
        } else {
            n_top++;
            same += hit;
        }
    }
    CZ_CHECK(n_mid == 72 && over == 36, "AB: %zu of %zu atoms over atoms", over, n_mid);
    CZ_CHECK(n_top == 72 && same == 72, "ABA: %zu of %zu top atoms over bottom atoms", same, n_top);
    dmin = 0;
    cz_atoms_min_distance(a, &dmin, NULL);
    CZ_CHECK_CLOSE(dmin, 2.46 / sqrt(3.0), 1e-9, "multilayer min distance is C–C");
    cz_atoms_destroy(a);
    cz_slab_destroy(s);
    s = NULL;
    CZ_CHECK_FAILS(cz_slab_graphene(0, &o, &s), CZ_EINVAL, "nlayers must be >= 1");
}

static void test_lateral(void) {
    /* Graphene in a 100 × 100 Å rectangle: incommensurate, so SIZE reports a mismatch and
     * MATCH strains the lattice by that much. */
    cz_slab_opts o;
    cz_slab_opts_default(&o);
    o.lateral = CZ_SLAB_SIZE;
    o.target[0][0] = 100.0;
    o.target[0][1] = 0.0;
    o.target[1][0] = 0.0;
    o.target[1][1] = 100.0;
    cz_slab *sz = NULL, *mt = NULL;
    CZ_CHECK(cz_slab_graphene(2, &o, &sz) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(!sz->strained && sz->strain_max > 0 && sz->strain_max < 0.02,
             "SIZE: mismatch %g reported, not applied", sz->strain_max);
    CZ_CHECK(fabs(sz->cell[0][0] - 100.0) < 2.46 && fabs(sz->cell[1][1] - 100.0) < 2.46,
             "SIZE: cell near the target (%g, %g)", sz->cell[0][0], sz->cell[1][1]);
    o.lateral = CZ_SLAB_MATCH;
    o.max_strain = 0.02;
    CZ_CHECK(cz_slab_graphene(2, &o, &mt) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(mt->strained && mt->cell[0][0] == 100.0 && mt->cell[1][1] == 100.0 &&
                 mt->cell[0][1] == 0.0 && mt->cell[1][0] == 0.0,
             "MATCH: cell is the target");
    CZ_CHECK(mt->ncells == sz->ncells && fabs(mt->strain_max - sz->strain_max) < 1e-15,
             "MATCH uses the SIZE supercell and strain");
    cz_atoms *a = NULL;
    cz_slab_atoms(mt, NULL, &a);
    CZ_CHECK(a->n == mt->natoms && a->n == mt->ncells * 4, "matched count %zu", a->n);
    double dmin = 0;
    cz_atoms_min_distance(a, &dmin, NULL);
    double cc = 2.46 / sqrt(3.0);
    CZ_CHECK(dmin > cc * (1 - mt->strain_max) - 1e-9 && dmin < cc * (1 + mt->strain_max) + 1e-9,
             "strained C–C %g within %g of %g", dmin, mt->strain_max, cc);
    /* The strained lattice is exactly periodic in the target cell: the lattice vectors N·(A, B)
     * equal the target rows. */
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) {
            double v = mt->repeats[i][0] * mt->lattice->cell[0][k] +
                       mt->repeats[i][1] * mt->lattice->cell[1][k];
            CZ_CHECK(fabs(v - o.target[i][k]) < 1e-9, "N·(A,B) row %d = target (%g)", i, v);
        }
    cz_atoms_destroy(a);
    /* Too little allowed strain: CZ_ERANGE naming the strain. */
    cz_slab *bad = NULL;
    o.max_strain = 1e-5;
    CZ_CHECK_FAILS(cz_slab_graphene(2, &o, &bad), CZ_ERANGE, "in-plane strain");
    CZ_CHECK(bad == NULL, "no slab on failure");
    /* A commensurate target needs no strain: 20 × (a, 0) and the rectangular (0, a√3) rows. */
    o.max_strain = 1e-12;
    o.target[0][0] = 20 * 2.46;
    o.target[1][1] = 12 * 2.46 * sqrt(3.0);
    cz_slab *ok = NULL;
    CZ_CHECK(cz_slab_graphene(1, &o, &ok) == CZ_OK, "commensurate: %s", cz_last_error());
    CZ_CHECK(ok && ok->strain_max < 1e-12 && ok->ncells == 20 * 24,
             "commensurate rectangle: %zu cells", ok ? ok->ncells : 0);
    if (ok) {
        cz_slab_atoms(ok, NULL, &a);
        cz_atoms_min_distance(a, &dmin, NULL);
        CZ_CHECK_CLOSE(dmin, cc, 1e-9, "rectangular graphene C–C");
        cz_atoms_destroy(a);
    }
    cz_slab_destroy(ok);
    cz_slab_destroy(sz);
    cz_slab_destroy(mt);
    /* Rotated lattice in a rectangular cell of Au(111), matched with a small strain. */
    cz_lattice *au = proto("fcc", 79, 0, 4.08, NAN);
    cz_slab_opts r;
    cz_slab_opts_default(&r);
    r.hkl[0] = r.hkl[1] = r.hkl[2] = 1;
    r.lateral = CZ_SLAB_MATCH;
    r.target[0][0] = 40.0;
    r.target[1][1] = 35.0;
    r.inplane_deg = 11.0;
    r.max_strain = 0.05;
    cz_slab *s = NULL;
    CZ_CHECK(cz_slab_create(au, &r, &s) == CZ_OK, "%s", cz_last_error());
    if (s) {
        cz_slab_atoms(s, NULL, &a);
        CZ_CHECK(a->n == s->natoms && a->n == s->ncells * 4, "rotated match count");
        cz_atoms_min_distance(a, &dmin, NULL);
        double nn = 4.08 / sqrt(2.0);
        CZ_CHECK(dmin > nn * (1 - s->strain_max) - 1e-9, "no duplicates under wrapping (%g)", dmin);
        cz_atoms_destroy(a);
    }
    cz_slab_destroy(s);
    cz_lattice_destroy(au);
}

static void test_errors(void) {
    cz_lattice *au = proto("fcc", 79, 0, 4.08, NAN);
    cz_slab_opts o;
    cz_slab *s = NULL;
    cz_slab_opts_default(&o);
    o.hkl[2] = 0;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "(0 0 0)");
    CZ_CHECK_FAILS(cz_slab_create(NULL, NULL, &s), CZ_EINVAL, "lattice must not be NULL");
    CZ_CHECK_FAILS(cz_slab_create(au, NULL, NULL), CZ_EINVAL, "out must not be NULL");
    cz_slab_opts_default(&o);
    o.nplanes = 0;
    o.thickness = -1.5;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "thickness must be >= 0");
    cz_slab_opts_default(&o);
    o.termination = 3;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "termination 3 out of range");
    o.termination = -4;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "termination must be -1");
    cz_slab_opts_default(&o);
    o.lateral = CZ_SLAB_REPEATS;
    o.repeats[1] = 0;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "repeats must be >= 1 (got 1, 0)");
    cz_slab_opts_default(&o);
    o.lateral = (cz_slab_lateral)7;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "unknown lateral mode 7");
    cz_slab_opts_default(&o);
    o.target[1][1] = -30.0;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "right-handed");
    cz_slab_opts_default(&o);
    o.target[0][0] = 1.0;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "too small");
    cz_slab_opts_default(&o);
    o.lateral = CZ_SLAB_MATCH;
    o.max_strain = NAN;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "max_strain must be >= 0");
    cz_slab_opts_default(&o);
    o.z_top = 2.0; /* 4 planes of (001) span 6.1 Å: the bottom would be below z = 0 */
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "outside its cell");
    o.z_top = 20.0;
    o.cell_height = 15.0;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "cell_height");
    cz_slab_opts_default(&o);
    o.inplane_deg = INFINITY;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_EINVAL, "inplane_deg must be finite");
    cz_slab_opts_default(&o);
    o.nplanes = (size_t)1 << 40;
    CZ_CHECK_FAILS(cz_slab_create(au, &o, &s), CZ_ERANGE, "exceeds the atom cap");
    CZ_CHECK(s == NULL, "no slab after failures");
    cz_slab_opts_default(&o);
    CZ_CHECK(cz_slab_create(au, &o, &s) == CZ_OK, "%s", cz_last_error());
    cz_atoms *a = NULL;
    cz_object_opts lo;
    cz_object_opts_default(&lo);
    lo.class_id = 9;
    CZ_CHECK_FAILS(cz_slab_atoms(s, &lo, &a), CZ_EINVAL, "class_id must be 0..3 (got 9)");
    CZ_CHECK_FAILS(cz_slab_atoms(NULL, NULL, &a), CZ_EINVAL, "slab must not be NULL");
    CZ_CHECK_FAILS(cz_slab_add_to_scene(NULL, s, NULL, NULL), CZ_EINVAL, "must not be NULL");
    /* Labels are honoured. */
    lo.class_id = CZ_CLASS_PARTICLE;
    lo.object_id = 7;
    lo.grain_id = -1;
    CZ_CHECK(cz_slab_atoms(s, &lo, &a) == CZ_OK && a->object_id[0] == 7 && a->grain_id[0] == 7 &&
                 a->class_id[0] == CZ_CLASS_PARTICLE,
             "labels");
    cz_atoms_destroy(a);
    cz_slab_destroy(s);
    cz_slab_destroy(NULL);
    cz_lattice_destroy(au);
}

int main(void) {
    test_fcc_surfaces();
    test_other_lattices();
    test_mos2();
    test_graphene();
    test_lateral();
    test_errors();
    return cz_test_summary("test_substrate");
}
