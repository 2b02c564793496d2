/* test_particles.c — Wulff and Winterbottom shapes, decahedra, icosahedra, placement, errors. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static const double A_AU = 4.078;

static cz_lattice *proto(const char *name, int z, double a, double c) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z;
    po.z[1] = 16;
    po.a = a;
    po.c = c;
    cz_lattice *l = NULL;
    cz_lattice_prototype(name, &po, &l);
    return l;
}

static double dot3(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

static int has_hkl(int set[][3], size_t n, int h, int k, int l) {
    for (size_t i = 0; i < n; i++)
        if (set[i][0] == h && set[i][1] == k && set[i][2] == l) return 1;
    return 0;
}

/* Number of distinct values among the first n entries of v (small n). */
static size_t distinct(const int *v, size_t n) {
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        for (j = 0; j < i; j++)
            if (v[j] == v[i]) break;
        d += j == i;
    }
    return d;
}

/* ------------------------------------------------------------------ families ---- */

static void test_miller_family(void) {
    cz_lattice *au = proto("fcc", 79, A_AU, NAN), *co = proto("hcp", 27, 2.507, 4.07);
    cz_lattice *zns = proto("zincblende", 30, 5.41, NAN);
    int out[CZ_MAX_FAMILY][3];
    size_t n = 0;
    const struct {
        int hkl[3];
        size_t want;
    } cubic[] = {{{1, 0, 0}, 6},  {{1, 1, 1}, 8}, {{1, 1, 0}, 12}, {{2, 1, 0}, 24},
                 {{3, 2, 1}, 48}, {{2, 0, 0}, 6}, {{3, 1, 1}, 24}};
    for (size_t i = 0; i < sizeof cubic / sizeof cubic[0]; i++) {
        CZ_CHECK(cz_miller_family(au, cubic[i].hkl, 1e-3, out, CZ_MAX_FAMILY, &n) == CZ_OK, "%s",
                 cz_last_error());
        CZ_CHECK(n == cubic[i].want, "fcc {%d%d%d}: %zu planes, want %zu", cubic[i].hkl[0],
                 cubic[i].hkl[1], cubic[i].hkl[2], n, cubic[i].want);
    }
    const int h200[3] = {2, 0, 0};
    cz_miller_family(au, h200, 1e-3, out, CZ_MAX_FAMILY, &n);
    CZ_CHECK(out[0][0] == 1 && out[0][1] == 0 && out[0][2] == 0, "(200) reduces to (100) first");
    /* Hexagonal: Miller indices transform with W⁻¹ (row vectors), so {10-10} = (100) gives
     * (100), (010), (1-10) and their negatives, never (110), which is {11-20}. */
    const int h100[3] = {1, 0, 0}, h001[3] = {0, 0, 1}, h101[3] = {1, 0, 1}, h110[3] = {1, 1, 0};
    CZ_CHECK(cz_miller_family(co, h100, 1e-3, out, CZ_MAX_FAMILY, &n) == CZ_OK, "%s",
             cz_last_error());
    int ok = n == 6 && has_hkl(out, n, 1, 0, 0) && has_hkl(out, n, 0, 1, 0) &&
             has_hkl(out, n, 1, -1, 0) && has_hkl(out, n, -1, 0, 0) && has_hkl(out, n, 0, -1, 0) &&
             has_hkl(out, n, -1, 1, 0) && !has_hkl(out, n, 1, 1, 0);
    CZ_CHECK(ok, "hcp {10-10}: %zu planes, the (100), (010), (1-10) set", n);
    cz_miller_family(co, h110, 1e-3, out, CZ_MAX_FAMILY, &n);
    CZ_CHECK(n == 6 && has_hkl(out, n, -1, 2, 0) && has_hkl(out, n, 2, -1, 0),
             "hcp {11-20}: %zu planes incl. (-120), (2-10)", n);
    cz_miller_family(co, h001, 1e-3, out, CZ_MAX_FAMILY, &n);
    CZ_CHECK(n == 2, "hcp {0001}: %zu planes, want 2", n);
    cz_miller_family(co, h101, 1e-3, out, CZ_MAX_FAMILY, &n);
    CZ_CHECK(n == 12, "hcp {10-11}: %zu planes, want 12", n);
    /* Without inversion (zincblende, -43m) (111) and (-1-1-1) are different families. */
    const int h111[3] = {1, 1, 1};
    cz_miller_family(zns, h111, 1e-3, out, CZ_MAX_FAMILY, &n);
    CZ_CHECK(n == 4 && !has_hkl(out, n, -1, -1, -1), "zincblende {111}: %zu planes, want 4", n);
    /* Errors. */
    const int h000[3] = {0, 0, 0};
    CZ_CHECK_FAILS(cz_miller_family(au, h100, 1e-3, out, 4, &n), CZ_ERANGE, "holds 4");
    CZ_CHECK(n == 6, "the needed size is reported (%zu)", n);
    CZ_CHECK_FAILS(cz_miller_family(au, h000, 1e-3, out, CZ_MAX_FAMILY, &n), CZ_EINVAL, "(0 0 0)");
    CZ_CHECK_FAILS(cz_miller_family(au, h100, 0.0, out, CZ_MAX_FAMILY, &n), CZ_EINVAL, "symprec");
    CZ_CHECK_FAILS(cz_miller_family(NULL, h100, 1e-3, out, CZ_MAX_FAMILY, &n), CZ_EINVAL, "NULL");
    cz_lattice_destroy(au);
    cz_lattice_destroy(co);
    cz_lattice_destroy(zns);
}

/* ------------------------------------------------------------------ Wulff ---- */

static cz_particle *wulff(const cz_lattice *l, size_t n, const cz_surface_energy *t, double radius,
                          size_t target) {
    cz_wulff_opts o;
    cz_wulff_opts_default(&o);
    o.radius = radius;
    o.target_atoms = target;
    cz_particle *p = NULL;
    cz_status s = cz_particle_wulff(l, n, t, &o, &p);
    CZ_CHECK(s == CZ_OK, "wulff: %s", cz_last_error());
    return p;
}

/* Every active facet lies within half an atomic-plane spacing (<= d_hkl) of scale·γ, and the
 * outermost atoms along its normal sit exactly on it. */
static void check_facets(const cz_lattice *l, const cz_particle *p, const cz_atoms *a,
                         const char *what) {
    int ok_plan = 1, ok_atoms = 1;
    double worst = 0;
    for (size_t i = 0; i < p->nfacets; i++) {
        const cz_facet *f = &p->facets[i];
        double dhkl;
        cz_lattice_plane(l, f->hkl, &dhkl, NULL);
        if (fabs(f->target - p->scale * f->gamma) > 1e-9 * fabs(f->target)) ok_plan = 0;
        if (f->spacing > dhkl + 1e-12 || fabs(f->distance - f->target) > 0.5 * f->spacing + 1e-9)
            ok_plan = 0;
        if (!f->active) continue;
        double hmax = -INFINITY;
        for (size_t j = 0; j < a->n; j++) {
            double d[3] = {a->xyz[j][0] - p->center[0], a->xyz[j][1] - p->center[1],
                           a->xyz[j][2] - p->center[2]};
            hmax = fmax(hmax, dot3(f->normal, d));
        }
        if (fabs(hmax - f->distance) > 1e-6) ok_atoms = 0;
        worst = fmax(worst, fabs(hmax - p->scale * f->gamma) / dhkl);
    }
    CZ_CHECK(ok_plan, "%s: planes within half a spacing of scale*gamma", what);
    CZ_CHECK(ok_atoms && worst <= 0.5 + 1e-9,
             "%s: outermost atoms on every facet (worst |h - scale*gamma| = %.3f d_hkl)", what,
             worst);
    printf(
        "  %s: %zu atoms, %zu facets, scale %.4f A/gamma, R_eq %.2f A, worst facet offset "
        "%.3f d_hkl\n",
        what, p->natoms, p->nactive, p->scale, p->radius_equivalent, worst);
}

static size_t count_active(const cz_particle *p, int h, int k, int l) {
    /* active facets whose |hkl| is a permutation of |h k l| (cubic families) */
    size_t n = 0;
    for (size_t i = 0; i < p->nfacets; i++) {
        if (!p->facets[i].active) continue;
        int a[3] = {abs(p->facets[i].hkl[0]), abs(p->facets[i].hkl[1]), abs(p->facets[i].hkl[2])};
        int b[3] = {abs(h), abs(k), abs(l)};
        for (int x = 0; x < 3; x++)
            for (int y = x + 1; y < 3; y++) {
                if (a[x] < a[y]) {
                    int t = a[x];
                    a[x] = a[y];
                    a[y] = t;
                }
                if (b[x] < b[y]) {
                    int t = b[x];
                    b[x] = b[y];
                    b[y] = t;
                }
            }
        n += a[0] == b[0] && a[1] == b[1] && a[2] == b[2];
    }
    return n;
}

static void test_wulff_fcc(void) {
    cz_lattice *au = proto("fcc", 79, A_AU, NAN);
    const cz_surface_energy cube[] = {{{1, 0, 0}, 1.0}};
    const cz_surface_energy octa[] = {{{1, 1, 1}, 0.8}};
    const cz_surface_energy trunc[] = {{{1, 0, 0}, 1.1}, {{1, 1, 1}, 1.0}, {{1, 1, 0}, 1.5}};
    const struct {
        const cz_surface_energy *t;
        size_t n;
        size_t facets;
        const char *name;
    } cases[] = {{cube, 1, 6, "cube {100}"},
                 {octa, 1, 8, "octahedron {111}"},
                 {trunc, 3, 14, "truncated octahedron g100/g111 = 1.1"}};
    for (size_t c = 0; c < 3; c++) {
        cz_particle *p = wulff(au, cases[c].n, cases[c].t, 17.3, 0);
        if (!p) continue;
        CZ_CHECK(p->nactive == cases[c].facets, "%s: %zu facets, want %zu", cases[c].name,
                 p->nactive, cases[c].facets);
        CZ_CHECK(p->ngrains == 1 && p->kind == CZ_PARTICLE_WULFF, "one grain");
        cz_atoms *a = NULL;
        CZ_CHECK(cz_particle_fill(p, NULL, &a) == CZ_OK, "%s", cz_last_error());
        if (a) {
            CZ_CHECK(a->n == p->natoms, "%s: fill %zu atoms = natoms %zu", cases[c].name, a->n,
                     p->natoms);
            check_facets(au, p, a, cases[c].name);
            double dmin;
            cz_atoms_min_distance(a, &dmin, NULL);
            CZ_CHECK_CLOSE(dmin, A_AU / sqrt(2.0), 1e-9, "bulk spacing");
        }
        CZ_CHECK(fabs(p->radius_equivalent - 17.3) < 0.1 * 17.3, "%s: R_eq %.2f vs 17.3",
                 cases[c].name, p->radius_equivalent);
        if (c == 2)
            CZ_CHECK(count_active(p, 1, 0, 0) == 6 && count_active(p, 1, 1, 1) == 8 &&
                         count_active(p, 1, 1, 0) == 0,
                     "truncated octahedron: 6 {100} + 8 {111}, no {110}");
        cz_atoms_destroy(a);
        cz_particle_destroy(p);
    }
    /* Radius of the farthest vertex, and an off-origin Wulff point. */
    cz_wulff_opts o;
    cz_wulff_opts_default(&o);
    o.radius = 12.0;
    o.radius_kind = CZ_RADIUS_MAX;
    o.center[0] = 1.0195; /* a/4 along x: not a site */
    cz_particle *p = NULL;
    CZ_CHECK(cz_particle_wulff(au, 2, trunc, &o, &p) == CZ_OK, "%s", cz_last_error());
    if (p) {
        CZ_CHECK(fabs(p->radius_max - 12.0) < A_AU, "R_max %.2f vs 12", p->radius_max);
        cz_atoms *a = NULL;
        cz_particle_fill(p, NULL, &a);
        if (a) check_facets(au, p, a, "off-centre truncated octahedron");
        cz_atoms_destroy(a);
    }
    cz_particle_destroy(p);
    /* Without snapping the planes sit exactly at scale·γ. */
    o.radius_kind = CZ_RADIUS_EQUIVALENT;
    o.snap = 0;
    o.center[0] = 0;
    p = NULL;
    cz_particle_wulff(au, 2, trunc, &o, &p);
    int exact = p != NULL;
    for (size_t i = 0; p && i < p->nfacets; i++)
        if (p->facets[i].distance != p->facets[i].target) exact = 0;
    CZ_CHECK(exact && fabs(p->radius_equivalent - 12.0) < 1e-9, "unsnapped: exact distances");
    cz_particle_destroy(p);
    cz_lattice_destroy(au);
}

static void test_wulff_atoms(void) {
    cz_lattice *au = proto("fcc", 79, A_AU, NAN);
    const cz_surface_energy trunc[] = {{{1, 0, 0}, 1.1}, {{1, 1, 1}, 1.0}};
    const size_t targets[] = {201, 1000, 5000};
    for (int snap = 1; snap >= 0; snap--)
        for (size_t t = 0; t < 3; t++) {
            cz_wulff_opts o;
            cz_wulff_opts_default(&o);
            o.target_atoms = targets[t];
            o.snap = snap;
            cz_particle *p = NULL;
            CZ_CHECK(cz_particle_wulff(au, 2, trunc, &o, &p) == CZ_OK, "%s", cz_last_error());
            if (!p) continue;
            cz_atoms *a = NULL;
            cz_particle_fill(p, NULL, &a);
            double rel = fabs((double)p->natoms - (double)targets[t]) / (double)targets[t];
            CZ_CHECK(a && a->n == p->natoms, "count agrees with the fill");
            /* Symmetric facets take in whole atomic layers at once, snapped or not, so the
             * family of shapes skips counts; the result is the nearest it reaches. */
            CZ_CHECK(rel < 0.15, "target %zu (snap %d): got %zu", targets[t], snap, p->natoms);
            CZ_CHECK(p->nactive == 14, "target %zu (snap %d): %zu facets", targets[t], snap,
                     p->nactive);
            printf("  target %zu atoms (snap %d): %zu atoms, %zu facets\n", targets[t], snap,
                   p->natoms, p->nactive);
            cz_atoms_destroy(a);
            cz_particle_destroy(p);
        }
    cz_lattice_destroy(au);
}

static void test_wulff_hcp(void) {
    cz_lattice *co = proto("hcp", 27, 2.507, 4.07);
    const cz_surface_energy t[] = {{{0, 0, 1}, 1.0}, {{1, 0, 0}, 1.05}};
    cz_particle *p = wulff(co, 2, t, 14.0, 0);
    if (p) {
        CZ_CHECK(p->nactive == 8, "hcp {0001} + {10-10}: %zu facets, want 2 + 6", p->nactive);
        int allowed = 1;
        size_t basal = 0, prism = 0;
        for (size_t i = 0; i < p->nfacets; i++) {
            const int *h = p->facets[i].hkl;
            if (!p->facets[i].active) continue;
            if (h[0] == 0 && h[1] == 0 && abs(h[2]) == 1)
                basal++;
            else if (h[2] == 0 && ((abs(h[0]) == 1 && h[1] == 0) || (h[0] == 0 && abs(h[1]) == 1) ||
                                   (h[0] == -h[1] && abs(h[0]) == 1)))
                prism++;
            else
                allowed = 0;
            /* prism normals are perpendicular to c and 60° apart */
            if (h[2] == 0 && fabs(p->facets[i].normal[2]) > 1e-12) allowed = 0;
        }
        CZ_CHECK(allowed && basal == 2 && prism == 6, "hcp facets: %zu basal + %zu prism", basal,
                 prism);
        cz_atoms *a = NULL;
        cz_particle_fill(p, NULL, &a);
        if (a) check_facets(co, p, a, "hcp Co {0001}+{10-10}");
        cz_atoms_destroy(a);
    }
    cz_particle_destroy(p);
    /* {0001} alone is a slab: unbounded. */
    cz_wulff_opts o;
    cz_wulff_opts_default(&o);
    o.radius = 10;
    CZ_CHECK_FAILS(cz_particle_wulff(co, 1, t, &o, &p), CZ_EINVAL, "bounded");
    CZ_CHECK(p == NULL, "out NULL on failure");
    cz_lattice_destroy(co);
}

static void test_winterbottom(void) {
    cz_lattice *au = proto("fcc", 79, A_AU, NAN);
    const cz_surface_energy t[] = {{{1, 1, 1}, 1.0}, {{1, 0, 0}, 1.1}};
    cz_wulff_opts o;
    cz_wulff_opts_default(&o);
    o.radius = 18.0;
    cz_particle *free_p = NULL;
    cz_particle_wulff(au, 2, t, &o, &free_p);
    const double dgs[] = {0.4, -0.3, 0.0};
    for (int c = 0; c < 3; c++) {
        o.interface_hkl[0] = o.interface_hkl[1] = o.interface_hkl[2] = 1;
        o.interface_gamma = 0.5 + dgs[c];
        o.substrate_gamma = 0.5;
        cz_particle *p = NULL;
        CZ_CHECK(cz_particle_wulff(au, 2, t, &o, &p) == CZ_OK, "%s", cz_last_error());
        if (!p) continue;
        CZ_CHECK(p->kind == CZ_PARTICLE_WINTERBOTTOM && p->interface_facet >= 0, "interface");
        const cz_facet *f = &p->facets[p->interface_facet];
        CZ_CHECK(f->family == -1 && f->active && f->hkl[0] == 1 && f->hkl[1] == 1 && f->hkl[2] == 1,
                 "interface facet (111) active");
        CZ_CHECK(fabs(f->distance - p->scale * dgs[c]) <= 0.5 * f->spacing + 1e-9,
                 "interface at %.3f A, set height %.3f A (spacing %.3f)", f->distance,
                 p->scale * dgs[c], f->spacing);
        cz_atoms *a = NULL;
        cz_particle_fill(p, NULL, &a);
        if (a) {
            double hmax = -INFINITY, hmin = INFINITY;
            for (size_t j = 0; j < a->n; j++) {
                hmax = fmax(hmax, dot3(f->normal, a->xyz[j]));
                hmin = fmin(hmin, dot3(f->normal, a->xyz[j]));
            }
            CZ_CHECK(fabs(hmax - f->distance) < 1e-6,
                     "dg %.1f: contact layer at %.4f A = facet %.4f A", dgs[c], hmax, f->distance);
            /* the opposite (-1-1-1) facet stays at the free height */
            CZ_CHECK(fabs(-hmin - p->scale * 1.0) <= 0.5 * f->spacing + 1e-9,
                     "opposite facet at %.3f A, free height %.3f A", -hmin, p->scale);
            check_facets(au, p, a, dgs[c] > 0 ? "Winterbottom dg = +0.4" : "Winterbottom dg <= 0");
            CZ_CHECK(fabs(p->radius_equivalent - 18.0) < 0.1 * 18.0, "R_eq %.2f A vs 18 A",
                     p->radius_equivalent);
            printf(
                "  Winterbottom dg/g111 = %+.1f: interface at %.3f A (set %.3f A), %zu atoms "
                "(free %zu), %zu facets\n",
                dgs[c], f->distance, p->scale * dgs[c], a->n, free_p->natoms, p->nactive);
        }
        cz_atoms_destroy(a);
        cz_particle_destroy(p);
    }
    /* Non-wetting: γ_int − γ_sub >= γ111 leaves the free shape. */
    o.interface_gamma = 2.0;
    o.substrate_gamma = 0.5;
    cz_particle *p = NULL;
    cz_particle_wulff(au, 2, t, &o, &p);
    CZ_CHECK(p && p->natoms == free_p->natoms && p->facets[p->interface_facet].family == 0,
             "non-wetting: free shape, contact on the free (111) facet");
    cz_particle_destroy(p);
    /* A contact plane outside the table: (110) at a height that cuts. */
    o.interface_hkl[0] = 1;
    o.interface_hkl[1] = -1;
    o.interface_hkl[2] = 0;
    o.interface_gamma = 0.6;
    o.substrate_gamma = 0.0;
    p = NULL;
    cz_particle_wulff(au, 2, t, &o, &p);
    CZ_CHECK(p && p->nactive == 15 && p->facets[p->interface_facet].active,
             "(1-10) contact adds a 15th facet (%zu)", p ? p->nactive : 0);
    cz_particle_destroy(p);
    /* Complete wetting. */
    o.interface_hkl[0] = o.interface_hkl[1] = o.interface_hkl[2] = 1;
    o.interface_gamma = 0.0;
    o.substrate_gamma = 1.2;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, t, &o, &p), CZ_EINVAL, "complete wetting");
    cz_particle_destroy(free_p);
    cz_lattice_destroy(au);
}

static void test_wulff_errors(void) {
    cz_lattice *au = proto("fcc", 79, A_AU, NAN);
    const cz_surface_energy good[] = {{{1, 1, 1}, 1.0}, {{1, 0, 0}, 1.1}};
    cz_surface_energy bad[2] = {{{1, 1, 1}, 1.0}, {{1, 0, 0}, 1.1}};
    cz_wulff_opts o;
    cz_wulff_opts_default(&o);
    o.radius = 10;
    cz_particle *p = (cz_particle *)1;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 0, good, &o, &p), CZ_EINVAL, "empty");
    CZ_CHECK(p == NULL, "out NULL on failure");
    bad[1].gamma = 0.0;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, bad, &o, &p), CZ_EINVAL, "gamma must be > 0");
    bad[1].gamma = -1.0;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, bad, &o, &p), CZ_EINVAL, "(got -1)");
    bad[1].gamma = NAN;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, bad, &o, &p), CZ_EINVAL, "table[1] (1 0 0)");
    bad[1].gamma = 1.1;
    bad[1].hkl[0] = 0;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, bad, &o, &p), CZ_EINVAL, "(0 0 0)");
    /* (111) and (-1-11) are one family in fcc: two energies for one plane. */
    const cz_surface_energy clash[] = {{{1, 1, 1}, 1.0}, {{-1, -1, 1}, 1.2}};
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, clash, &o, &p), CZ_EINVAL, "two energies");
    o.radius = 0;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_EINVAL, "exactly one size");
    o.radius = -3.5;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_EINVAL, "got -3.5");
    o.radius = NAN;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_EINVAL, "radius");
    o.radius = 10;
    o.target_atoms = 100;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_EINVAL, "exactly one size");
    o.radius = 0;
    o.target_atoms = 5000;
    o.max_atoms = 1000;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_ERANGE, "exceeds max_atoms");
    o.target_atoms = 0;
    o.radius = 30.0;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_ERANGE, "max_atoms = 1000");
    o.max_atoms = CZ_MAX_ATOMS + 1;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_ERANGE, "CZ_MAX_ATOMS");
    o.max_atoms = CZ_MAX_ATOMS;
    o.radius = 1e6;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_ERANGE, "max_atoms");
    o.radius = 0.3;
    o.center[0] = 1.0;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_EINVAL, "too small");
    o.center[0] = 0;
    o.radius = 10;
    o.symprec = -1;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_EINVAL, "symprec");
    o.symprec = 1e-3;
    o.radius_kind = (cz_radius_kind)7;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_EINVAL, "radius_kind");
    o.radius_kind = CZ_RADIUS_EQUIVALENT;
    o.center[2] = INFINITY;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_EINVAL, "center");
    o.center[2] = 0;
    o.interface_hkl[2] = 1;
    o.interface_gamma = NAN;
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, &p), CZ_EINVAL, "interface_gamma");
    o.interface_hkl[2] = 0;
    CZ_CHECK_FAILS(cz_particle_wulff(NULL, 2, good, &o, &p), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, NULL, &o, &p), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, NULL, &p), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_particle_wulff(au, 2, good, &o, NULL), CZ_EINVAL, "NULL");
    cz_particle_destroy(NULL);
    cz_lattice_destroy(au);
}

/* ------------------------------------------------------------ twinned particles ---- */

static const double MAGIC[] = {1, 13, 55, 147, 309, 561};

/* Grain labels present among the atoms of object `oid`. */
static size_t grain_count(const cz_atoms *a, int oid) {
    int ids[64];
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->object_id[i] != oid) return 0;
        size_t j;
        for (j = 0; j < n; j++)
            if (ids[j] == a->grain_id[i]) break;
        if (j == n && n < 64) ids[n++] = a->grain_id[i];
    }
    return distinct(ids, n);
}

/* Neighbouring grains k and k+1 of a decahedron are mirror images across their shared plane
 * (through the axis at azimuth 72°k + 36°): every atom of grain k+1 reflects onto an atom of
 * the particle inside grain k's closed wedge, and the plane is a {111} plane of both grain
 * lattices. */
static void check_twins(const cz_particle *p, const cz_atoms *a, const char *what) {
    int mirror_ok = 1, plane_ok = 1;
    size_t pairs = 0, populated = 0;
    for (int k = 0; k < 5; k++) {
        int k1 = (k + 1) % 5;
        double phi = (72.0 * k + 36.0) * 3.14159265358979323846 / 180.0;
        double nrm[3] = {-sin(phi), cos(phi), 0};
        /* A twin boundary: atoms off the axis lying on the shared plane, inside the wedges. */
        size_t on_plane = 0;
        for (size_t i = 0; i < a->n; i++) {
            double r = hypot(a->xyz[i][0], a->xyz[i][1]);
            if (r > 1e-6 && fabs(dot3(nrm, a->xyz[i])) < 1e-6 &&
                a->xyz[i][0] * cos(phi) + a->xyz[i][1] * sin(phi) > 0)
                on_plane++;
        }
        populated += on_plane > 0;
        for (int side = 0; side < 2; side++) {
            int from = side ? k : k1;
            double lo = 72.0 * (side ? k1 : k) - 36.0 - 1e-6, hi = lo + 72.0 + 2e-6;
            for (size_t i = 0; i < a->n; i++) {
                if (a->grain_id[i] != from + 1) continue;
                double d = dot3(nrm, a->xyz[i]), m[3];
                for (int q = 0; q < 3; q++) m[q] = a->xyz[i][q] - 2.0 * d * nrm[q];
                size_t j;
                for (j = 0; j < a->n; j++) {
                    double e[3] = {a->xyz[j][0] - m[0], a->xyz[j][1] - m[1], a->xyz[j][2] - m[2]};
                    if (dot3(e, e) < 1e-12) break;
                }
                double az = atan2(m[1], m[0]) * 180.0 / 3.14159265358979323846;
                while (az < lo) az += 360.0;
                while (az > hi) az -= 360.0;
                if (j == a->n || (hypot(m[0], m[1]) > 1e-6 && (az < lo || az > hi))) mirror_ok = 0;
                pairs++;
            }
        }
        /* The shared plane's normal, taken into either grain's lattice frame (n_L ∝ Mᵀ n_w),
         * is a <111> direction. */
        for (int g = 0; g < 2; g++) {
            const cz_transform *tf = &p->grains[g ? k1 : k].lattice_tf;
            double nl[3];
            for (int c = 0; c < 3; c++)
                nl[c] = tf->m[0][c] * nrm[0] + tf->m[1][c] * nrm[1] + tf->m[2][c] * nrm[2];
            double s = fabs(nl[0]);
            for (int c = 0; c < 3; c++)
                if (fabs(fabs(nl[c]) - s) > 1e-9 * s) plane_ok = 0;
        }
    }
    CZ_CHECK(mirror_ok, "%s: neighbouring grains mirror each other (%zu atoms checked)", what,
             pairs);
    CZ_CHECK(plane_ok, "%s: the 5 twin planes are {111} planes of both grains", what);
    CZ_CHECK(populated == 5, "%s: %zu of 5 twin boundaries hold atoms", what, populated);
}

static void test_decahedron(void) {
    cz_lattice *au = proto("fcc", 79, A_AU, NAN);
    const double b = A_AU / sqrt(2.0);
    cz_decahedron_opts o;
    /* Ino form by shells: the icosahedral magic numbers, exactly. */
    for (int n = 1; n <= 5; n++) {
        cz_decahedron_opts_default(&o);
        o.shells = n;
        cz_particle *p = NULL;
        CZ_CHECK(cz_particle_decahedron(au, &o, &p) == CZ_OK, "%s", cz_last_error());
        if (!p) continue;
        cz_atoms *a = NULL;
        cz_particle_fill(p, NULL, &a);
        CZ_CHECK(p->natoms == (size_t)MAGIC[n - 1] && a && a->n == p->natoms,
                 "Ino decahedron %d shells: %zu atoms (fill %zu), want %.0f", n, p->natoms,
                 a ? a->n : 0, MAGIC[n - 1]);
        if (n == 5) {
            printf("  Ino decahedra, shells 1..5: 1, 13, 55, 147, %zu atoms\n", a->n);
            CZ_CHECK(grain_count(a, 1) == 5, "5 grains (%zu)", grain_count(a, 1));
            double dmin;
            cz_atoms_min_distance(a, &dmin, NULL);
            CZ_CHECK(dmin >= 0.85 * b, "homogeneous: min distance %.4f A >= 0.85 b", dmin);
            CZ_CHECK_CLOSE(dmin, b, 1e-9, "the twin planes and the axis keep the bulk bond");
            printf("  Ino decahedron 5 shells: min distance %.4f A = %.4f b\n", dmin, dmin / b);
            check_twins(p, a, "Ino decahedron");
        }
        cz_atoms_destroy(a);
        cz_particle_destroy(p);
    }
    /* ASE's Decahedron(p, q, r): regular (q = 1), Ino, Marks notches; count from the fill
     * (twin-plane atoms shared) equals the closed form. */
    const int pqr[][4] = {{3, 1, 0, 23}, {4, 1, 0, 54}, {4, 2, 1, 0},
                          {5, 3, 2, 0},  {6, 2, 2, 0},  {2, 4, 3, 0}};
    for (size_t c = 0; c < sizeof pqr / sizeof pqr[0]; c++) {
        cz_decahedron_opts_default(&o);
        o.p = pqr[c][0];
        o.q = pqr[c][1];
        o.r = pqr[c][2];
        cz_particle *p = NULL;
        CZ_CHECK(cz_particle_decahedron(au, &o, &p) == CZ_OK, "%s", cz_last_error());
        if (!p) continue;
        cz_atoms *a = NULL;
        cz_particle_fill(p, NULL, &a);
        CZ_CHECK(a && a->n == p->natoms, "(p q r) = (%d %d %d): fill %zu, count %zu", o.p, o.q, o.r,
                 a ? a->n : 0, p->natoms);
        if (pqr[c][3]) CZ_CHECK(p->natoms == (size_t)pqr[c][3], "regular decahedron count");
        double dmin = 0;
        if (a) cz_atoms_min_distance(a, &dmin, NULL);
        CZ_CHECK(dmin >= 0.85 * b, "min distance %.4f", dmin);
        if (c == 3) {
            check_twins(p, a, "Marks decahedron (5 3 2)");
            CZ_CHECK(grain_count(a, 1) == 5, "Marks: 5 grains");
            /* The re-entrant notch: at the equator (z = 0), no atom lies on the twin plane
             * beyond the notch bottom although grain interiors reach farther out. */
            double rt = 0, rg = 0;
            for (size_t i = 0; i < a->n; i++) {
                double r = hypot(a->xyz[i][0], a->xyz[i][1]);
                double az = atan2(a->xyz[i][1], a->xyz[i][0]) * 180 / 3.14159265358979323846;
                double off = fmod(az + 360.0 + 36.0, 72.0); /* 0 on a twin plane */
                if (fabs(off) < 1e-6 || fabs(off - 72.0) < 1e-6)
                    rt = fmax(rt, r);
                else
                    rg = fmax(rg, r);
            }
            CZ_CHECK(rt < rg - 1.0, "Marks notch: twin planes reach %.2f A, grains %.2f A", rt, rg);
            printf(
                "  Marks decahedron (5 3 2): %zu atoms, twin planes reach %.2f A, grains %.2f A\n",
                a->n, rt, rg);
        }
        cz_atoms_destroy(a);
        cz_particle_destroy(p);
    }
    /* Size in Å: the pentagon corner nearest the radius; the radial strain model; no strain. */
    cz_decahedron_opts_default(&o);
    o.radius = 15.0;
    o.q = 1;
    cz_particle *ph = NULL, *pr = NULL, *pn = NULL;
    CZ_CHECK(cz_particle_decahedron(au, &o, &ph) == CZ_OK, "%s", cz_last_error());
    o.strain = CZ_MTP_STRAIN_RADIAL;
    CZ_CHECK(cz_particle_decahedron(au, &o, &pr) == CZ_OK, "%s", cz_last_error());
    o.strain = CZ_MTP_STRAIN_NONE;
    CZ_CHECK(cz_particle_decahedron(au, &o, &pn) == CZ_OK, "%s", cz_last_error());
    if (ph && pr && pn) {
        cz_atoms *ah = NULL, *ar = NULL, *an = NULL;
        cz_particle_fill(ph, NULL, &ah);
        cz_particle_fill(pr, NULL, &ar);
        cz_particle_fill(pn, NULL, &an);
        double rc = 0;
        for (size_t i = 0; i < ah->n; i++) rc = fmax(rc, hypot(ah->xyz[i][0], ah->xyz[i][1]));
        CZ_CHECK(fabs(rc - 15.0) <= 0.5 * b * sqrt(3.0) / 2.0 + 1e-9,
                 "radius 15 A: corner at %.3f A", rc);
        CZ_CHECK(ar->n == ah->n && pr->natoms == ah->n, "radial model keeps the atoms (%zu, %zu)",
                 ar->n, ah->n);
        CZ_CHECK(grain_count(ar, 1) == 5, "radial: 5 grains");
        double dh, dr;
        cz_atoms_min_distance(ah, &dh, NULL);
        cz_atoms_min_distance(ar, &dr, NULL);
        CZ_CHECK(dr >= 0.85 * b, "radial model: min distance %.4f A >= 0.85 b", dr);
        check_twins(pr, ar, "radial-strain decahedron");
        printf(
            "  decahedron R = 15 A (regular, %zu atoms): min distance homogeneous %.4f A "
            "(%.4f b), radial %.4f A (%.4f b)\n",
            ah->n, dh, dh / b, dr, dr / b);
        /* Unstrained: the 7.35° gap between grains 4 and 0 stays open. */
        double max4 = -1e9, min0 = 1e9;
        for (size_t i = 0; i < an->n; i++) {
            if (hypot(an->xyz[i][0], an->xyz[i][1]) < 1e-6) continue;
            double az = atan2(an->xyz[i][1], an->xyz[i][0]) * 180 / 3.14159265358979323846;
            if (an->grain_id[i] == 5) max4 = fmax(max4, az < 0 ? az + 360 : az);
            if (an->grain_id[i] == 1) min0 = fmin(min0, az + 360); /* grain 0: |az| < 36 */
        }
        CZ_CHECK(fabs((min0 - max4) - 7.3561) < 1e-3, "unstrained gap %.4f deg", min0 - max4);
        CZ_CHECK(an->n > ah->n && an->n == pn->natoms,
                 "unstrained: the gap's two faces are not shared (%zu atoms, natoms %zu)", an->n,
                 pn->natoms);
        cz_atoms_destroy(ah);
        cz_atoms_destroy(ar);
        cz_atoms_destroy(an);
    }
    cz_particle_destroy(ph);
    cz_particle_destroy(pr);
    cz_particle_destroy(pn);
    cz_lattice_destroy(au);
}

static void test_icosahedron(void) {
    cz_lattice *au = proto("fcc", 79, A_AU, NAN);
    const double b = A_AU / sqrt(2.0);
    for (int n = 1; n <= 6; n++) {
        cz_icosahedron_opts o;
        cz_icosahedron_opts_default(&o);
        o.shells = n;
        cz_particle *p = NULL;
        CZ_CHECK(cz_particle_icosahedron(au, &o, &p) == CZ_OK, "%s", cz_last_error());
        if (!p) continue;
        cz_atoms *a = NULL;
        cz_particle_fill(p, NULL, &a);
        CZ_CHECK(p->natoms == (size_t)MAGIC[n - 1] && a && a->n == p->natoms,
                 "icosahedron %d shells: %zu atoms (fill %zu), want %.0f", n, p->natoms,
                 a ? a->n : 0, MAGIC[n - 1]);
        CZ_CHECK(p->ngrains == 20, "20 grains");
        if (n >= 3 && a) {
            /* From 4 shells on every grain owns atoms that no other grain shares, so all
             * twenty labels appear (with 3 shells every atom lies on a shared face). */
            size_t ng = grain_count(a, 1);
            if (n >= 4)
                CZ_CHECK(ng == 20, "icosahedron %d shells: %zu grain labels, want 20", n, ng);
            double dmin, rmax = 0;
            cz_atoms_min_distance(a, &dmin, NULL);
            for (size_t i = 0; i < a->n; i++) rmax = fmax(rmax, sqrt(dot3(a->xyz[i], a->xyz[i])));
            CZ_CHECK(dmin >= 0.85 * b, "min distance %.4f A >= 0.85 b", dmin);
            CZ_CHECK_CLOSE(dmin, b, 1e-9, "radial bonds keep the bulk distance");
            CZ_CHECK_CLOSE(rmax, (n - 1) * b, 1e-9, "vertex at (n-1) b");
            if (n == 6)
                printf(
                    "  Mackay icosahedra, shells 1..6: 1, 13, 55, 147, 309, %zu atoms; 20 "
                    "grains; min distance %.4f A = %.4f b\n",
                    a->n, dmin, dmin / b);
        }
        cz_atoms_destroy(a);
        cz_particle_destroy(p);
    }
    cz_icosahedron_opts o;
    cz_icosahedron_opts_default(&o);
    o.radius = 11.0; /* nearest vertex distance: 4 b = 11.53 */
    cz_particle *p = NULL;
    CZ_CHECK(cz_particle_icosahedron(au, &o, &p) == CZ_OK && p->natoms == 309,
             "radius 11 A -> 5 shells (%zu atoms)", p ? p->natoms : 0);
    cz_particle_destroy(p);
    cz_lattice_destroy(au);
}

/* ------------------------------------------------------------------ placement ---- */

static void test_placement(void) {
    cz_lattice *au = proto("fcc", 79, A_AU, NAN);
    cz_icosahedron_opts io;
    cz_icosahedron_opts_default(&io);
    io.shells = 4;
    cz_particle *ico = NULL;
    cz_particle_icosahedron(au, &io, &ico);
    cz_scene *s = NULL;
    cz_scene_create(&s);
    /* An unrelated object first, so that labels must not collide with it. */
    const double c0[3] = {-40, 0, 0};
    cz_volume *ball;
    cz_volume_sphere(c0, 6.0, &ball);
    cz_scene_add_crystal(s, au, ball, NULL, NULL);
    cz_particle_place_opts po;
    cz_particle_place_opts_default(&po);
    const double axis[3] = {0.3, -0.2, 0.9}, shift[3] = {12.5, -3.25, 7.0};
    cz_transform rot, tr;
    cz_transform_axis_angle(axis, 37.0, NULL, &rot);
    cz_transform_translation(shift, &tr);
    cz_transform_compose(&rot, &tr, &po.placement);
    size_t first = 99;
    CZ_CHECK(cz_scene_add_particle(s, ico, &po, &first) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(first == 1 && cz_scene_count(s) == 21, "20 grain objects after index %zu", first);
    cz_atoms *a = NULL;
    CZ_CHECK(cz_scene_populate(s, NULL, &a) == CZ_OK, "%s", cz_last_error());
    size_t n_ico = 0, labels_ok = 1;
    int gmin = 1 << 30, gmax = -1;
    double rmax = 0;
    for (size_t i = 0; a && i < a->n; i++) {
        if (a->object_id[i] == 1) {
            if (a->grain_id[i] != 1) labels_ok = 0;
            continue;
        }
        if (a->object_id[i] != 2) labels_ok = 0;
        n_ico++;
        gmin = a->grain_id[i] < gmin ? a->grain_id[i] : gmin;
        gmax = a->grain_id[i] > gmax ? a->grain_id[i] : gmax;
        double d[3] = {a->xyz[i][0] - shift[0], a->xyz[i][1] - shift[1], a->xyz[i][2] - shift[2]};
        rmax = fmax(rmax, sqrt(dot3(d, d)));
    }
    CZ_CHECK(n_ico == 147 && labels_ok && gmin == 2 && gmax == 21,
             "placed icosahedron: %zu atoms, object 2, grains %d..%d", n_ico, gmin, gmax);
    CZ_CHECK_CLOSE(rmax, 3 * A_AU / sqrt(2.0), 1e-9, "placement moves the centre");
    cz_atoms_destroy(a);
    /* Explicit labels and the radial (explicit-atoms) decahedron in the same scene. */
    cz_decahedron_opts dopt;
    cz_decahedron_opts_default(&dopt);
    dopt.shells = 3;
    dopt.strain = CZ_MTP_STRAIN_RADIAL;
    cz_particle *dec = NULL;
    cz_particle_decahedron(au, &dopt, &dec);
    cz_particle_place_opts_default(&po);
    const double far[3] = {0, 40, 0};
    cz_transform_translation(far, &po.placement);
    po.object_id = 7;
    po.grain_id = 100;
    po.class_id = CZ_CLASS_PARTICLE;
    CZ_CHECK(cz_scene_add_particle(s, dec, &po, NULL) == CZ_OK, "%s", cz_last_error());
    a = NULL;
    cz_scene_populate(s, NULL, &a);
    size_t n7 = 0;
    int g_ok = 1;
    for (size_t i = 0; a && i < a->n; i++)
        if (a->object_id[i] == 7) {
            n7++;
            if (a->grain_id[i] < 100 || a->grain_id[i] > 104 || a->xyz[i][1] < 30) g_ok = 0;
        }
    CZ_CHECK(n7 == 55 && g_ok, "labelled radial decahedron: %zu atoms, grains 100..104", n7);
    cz_atoms_destroy(a);
    /* Errors. */
    po.placement.m[0][0] = po.placement.m[1][1] = po.placement.m[2][2] = 0;
    CZ_CHECK_FAILS(cz_scene_add_particle(s, dec, &po, NULL), CZ_EINVAL, "singular");
    cz_particle_place_opts_default(&po);
    po.class_id = 9;
    CZ_CHECK_FAILS(cz_scene_add_particle(s, dec, &po, NULL), CZ_EINVAL, "class_id");
    po.class_id = CZ_CLASS_PARTICLE;
    po.grain_id = -4;
    CZ_CHECK_FAILS(cz_scene_add_particle(s, dec, &po, NULL), CZ_EINVAL, "grain_id");
    po.grain_id = -1;
    po.object_id = -2;
    CZ_CHECK_FAILS(cz_scene_add_particle(s, dec, &po, NULL), CZ_EINVAL, "object_id");
    CZ_CHECK_FAILS(cz_scene_add_particle(NULL, dec, NULL, NULL), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_scene_add_particle(s, NULL, NULL, NULL), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_particle_fill(NULL, NULL, &a), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_particle_fill(dec, NULL, NULL), CZ_EINVAL, "NULL");
    cz_scene_destroy(s);
    cz_volume_destroy(ball);
    cz_particle_destroy(ico);
    cz_particle_destroy(dec);
    cz_lattice_destroy(au);
}

static void test_mtp_errors(void) {
    cz_lattice *au = proto("fcc", 79, A_AU, NAN), *fe = proto("bcc", 26, 2.87, NAN);
    cz_lattice *co = proto("hcp", 27, 2.507, 4.07), *nacl = proto("rocksalt", 11, 5.64, NAN);
    cz_decahedron_opts o;
    cz_particle *p = (cz_particle *)1;
    cz_decahedron_opts_default(&o);
    o.shells = 3;
    CZ_CHECK_FAILS(cz_particle_decahedron(fe, &o, &p), CZ_ENOTSUP, "space group 229");
    CZ_CHECK(p == NULL, "out NULL on failure");
    CZ_CHECK_FAILS(cz_particle_decahedron(co, &o, &p), CZ_ENOTSUP, "fcc");
    CZ_CHECK_FAILS(cz_particle_decahedron(nacl, &o, &p), CZ_ENOTSUP, "with 8");
    CZ_CHECK_FAILS(cz_particle_decahedron(NULL, &o, &p), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_particle_decahedron(au, NULL, &p), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, NULL), CZ_EINVAL, "NULL");
    o.shells = 0;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "exactly one size");
    o.shells = -2;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "shells must be >= 1 (got -2)");
    o.shells = 3;
    o.p = 3;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "exactly one size");
    o.p = 0;
    o.radius = -1.0;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "radius");
    o.radius = 0;
    o.q = -1;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "q must be");
    o.q = 0;
    o.r = -1;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "r must be");
    o.r = 4;
    o.shells = 0;
    o.radius = 5.0;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "too small for notch depth");
    o.r = 0;
    o.radius = 0;
    o.shells = 3;
    o.poisson_ratio = 0.5;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "poisson_ratio");
    o.poisson_ratio = 0.3;
    o.strain = (cz_mtp_strain)9;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "strain model");
    o.strain = CZ_MTP_STRAIN_HOMOGENEOUS;
    o.symprec = 0;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_EINVAL, "symprec");
    o.symprec = 1e-3;
    o.max_atoms = 50;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_ERANGE, "55 atoms, above max_atoms = 50");
    o.max_atoms = CZ_MAX_ATOMS;
    o.shells = 2000;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_ERANGE, "max_atoms");
    o.shells = 1 << 20;
    CZ_CHECK_FAILS(cz_particle_decahedron(au, &o, &p), CZ_ERANGE, "<= 100000");

    cz_icosahedron_opts io;
    cz_icosahedron_opts_default(&io);
    io.shells = 3;
    CZ_CHECK_FAILS(cz_particle_icosahedron(fe, &io, &p), CZ_ENOTSUP, "fcc");
    CZ_CHECK_FAILS(cz_particle_icosahedron(NULL, &io, &p), CZ_EINVAL, "NULL");
    CZ_CHECK_FAILS(cz_particle_icosahedron(au, NULL, &p), CZ_EINVAL, "NULL");
    io.shells = 0;
    CZ_CHECK_FAILS(cz_particle_icosahedron(au, &io, &p), CZ_EINVAL, "exactly one size");
    io.shells = -1;
    CZ_CHECK_FAILS(cz_particle_icosahedron(au, &io, &p), CZ_EINVAL, "shells must be >= 1");
    io.shells = 0;
    io.radius = NAN;
    CZ_CHECK_FAILS(cz_particle_icosahedron(au, &io, &p), CZ_EINVAL, "radius");
    io.radius = 0;
    io.shells = 1000;
    CZ_CHECK_FAILS(cz_particle_icosahedron(au, &io, &p), CZ_ERANGE, "max_atoms");
    io.shells = 200000;
    CZ_CHECK_FAILS(cz_particle_icosahedron(au, &io, &p), CZ_ERANGE, "<= 100000");
    io.shells = 3;
    io.max_atoms = CZ_MAX_ATOMS + 1;
    CZ_CHECK_FAILS(cz_particle_icosahedron(au, &io, &p), CZ_ERANGE, "CZ_MAX_ATOMS");
    cz_lattice_destroy(au);
    cz_lattice_destroy(fe);
    cz_lattice_destroy(co);
    cz_lattice_destroy(nacl);
}

int main(void) {
    test_miller_family();
    test_wulff_fcc();
    test_wulff_atoms();
    test_wulff_hcp();
    test_winterbottom();
    test_wulff_errors();
    test_decahedron();
    test_icosahedron();
    test_placement();
    test_mtp_errors();
    return cz_test_summary("test_particles");
}
