/* test_spec.c — YAML scene specs: building, seeded distributions, and one-line errors that
 * name source:line and field for malformed documents. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static cz_atoms *build(const char *yaml, uint64_t seed, int use_seed) {
    cz_spec *sp = NULL;
    cz_status s = cz_spec_parse_string(yaml, "t.yaml", &sp);
    CZ_CHECK(s == CZ_OK, "parse: %s", cz_last_error());
    if (s != CZ_OK) return NULL;
    cz_spec_build_opts bo;
    cz_spec_build_opts_default(&bo);
    bo.seed = seed;
    bo.use_seed = use_seed;
    cz_atoms *a = NULL;
    s = cz_spec_build(sp, &bo, &a, NULL);
    CZ_CHECK(s == CZ_OK, "build: %s", cz_last_error());
    cz_spec_destroy(sp);
    return a;
}

static void test_valid(void) {
    const char *au = "objects:\n"
                     "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                     "    shape: {sphere: {radius: 25}}\n"
                     "    orientation: random\n";
    cz_atoms *a = build(au, 3, 1), *b = build(au, 3, 1), *d = build(au, 4, 1);
    CZ_CHECK(a && a->n == 3925, "Au sphere R=25 at a random orientation: %zu", a ? a->n : 0);
    CZ_CHECK(a && b && a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0,
             "same seed ⇒ same bytes");
    CZ_CHECK(a && d && d->n == 3925 && memcmp(a->xyz, d->xyz, a->n * sizeof *a->xyz) != 0,
             "another seed turns the particle differently");
    CZ_CHECK(a && a->cell[0][0] > 50 && !a->pbc[0], "isolated: cell from bbox + vacuum");
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
    cz_atoms_destroy(d);

    /* Distributions: radius from a truncated normal, lattice parameter uniform, prototype and
     * zone axis chosen; every draw in its window; the spec's own seed used without override. */
    const char *dist = "seed: 11\n"
                       "objects:\n"
                       "  - lattice:\n"
                       "      prototype: {choice: [fcc, bcc], weights: [3, 1]}\n"
                       "      elements: [Au]\n"
                       "      a: {uniform: [4.0, 4.2]}\n"
                       "    shape: {sphere: {radius: {truncnormal: [12, 4, 8, 14]}}}\n"
                       "    orientation: {zone_axis: {choice: [[1,1,0], [1,0,0]]}, inplane: "
                       "{normal: [0, 10]}}\n"
                       "    position: [1.5, {lognormal: [0, 0.1]}, -2]\n";
    size_t distinct = 0, prev = 0;
    for (uint64_t seed = 0; seed < 12; seed++) {
        cz_atoms *x = build(dist, seed, 1);
        if (!x) continue;
        /* With a in [4.0, 4.2] and R in [8, 14]: from bcc a = 4.2, R = 8 (about 58 atoms) to
         * fcc a = 4.0, R = 14 (about 720). */
        CZ_CHECK(x->n >= 40 && x->n <= 1100, "seed %d: %zu atoms outside the window",
                 (int)seed, x->n);
        if (x->n != prev) distinct++;
        prev = x->n;
        cz_atoms_destroy(x);
    }
    CZ_CHECK(distinct >= 6, "distributions vary with the seed (%zu distinct)", distinct);

    /* Spacegroup lattice in a periodic cell, planes shape, union. */
    const char *sg = "cell: [20.4, 20.4, 12.24]\n"
                     "pbc: [true, true, false]\n"
                     "objects:\n"
                     "  - lattice:\n"
                     "      spacegroup: 225\n"
                     "      cell: [4.08, 4.08, 4.08, 90, 90, 90]\n"
                     "      sites: [[Au, 0, 0, 0]]\n"
                     "    shape: {box: {size: [100, 100, 100]}}\n"
                     "    class: substrate\n";
    cz_atoms *p = build(sg, 0, 0);
    /* 5×5 cells periodic in-plane, closed along z: 4·25·3 + 2·25 (face at z = 12.24). */
    CZ_CHECK(p && p->n == 25 * 4 * 3 + 25 * 2, "periodic slab: %zu atoms", p ? p->n : 0);
    CZ_CHECK(p && p->class_id[0] == CZ_CLASS_SUBSTRATE && p->pbc[0] && !p->pbc[2], "labels, pbc");
    cz_atoms_destroy(p);
    const char *planes = "objects:\n"
                         "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                         "    shape:\n"
                         "      intersection:\n"
                         "        - sphere: {radius: 20}\n"
                         "        - planes: [{hkl: [1,1,1], distance: 15}, {hkl: [-1,-1,-1], "
                         "distance: 15}]\n";
    cz_atoms *q = build(planes, 0, 0);
    int ok = q != NULL;
    const double d111 = 4.08 / sqrt(3.0);
    if (q) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < q->n; i++) {
            double h = (q->xyz[i][0] + q->xyz[i][1] + q->xyz[i][2]) / sqrt(3.0);
            lo = fmin(lo, h);
            hi = fmax(hi, h);
        }
        /* Snapped planes at ±round(15/d111)·d111: the slab spans 2·6·d111 = 28.27 Å. */
        CZ_CHECK_CLOSE(hi - lo, 2 * 6 * d111, 1e-9, "(111) slab thickness on lattice planes");
    }
    CZ_CHECK(ok, "planes spec builds");
    cz_atoms_destroy(q);
}

/* Every malformed spec: CZ_EINVAL or CZ_EIO, a message starting with "t.yaml:<line>:" that
 * names the field, and no atoms. */
static void expect_error(const char *yaml, int line, const char *needle) {
    cz_spec *sp = NULL;
    cz_atoms *a = (cz_atoms *)1;
    char want[64];
    snprintf(want, sizeof want, "t.yaml:%d:", line);
    cz_status s = cz_spec_parse_string(yaml, "t.yaml", &sp);
    if (s == CZ_OK) s = cz_spec_build(sp, NULL, &a, NULL);
    const char *m = cz_last_error();
    CZ_CHECK(s != CZ_OK && strstr(m, want) && strstr(m, needle) && !strchr(m, '\n'),
             "spec:\n%s\n→ status %d, message \"%s\" (want \"%s\" and \"%s\")", yaml, (int)s, m,
             want, needle);
    if (s == CZ_OK) cz_atoms_destroy(a);
    cz_spec_destroy(sp);
}

static void test_errors(void) {
    const char *obj = "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n";
    char buf[1024];
#define ERR(text, line, needle) expect_error(text, line, needle)
    ERR("objects: [\n", 2, "YAML syntax error");
    ERR("- a\n- b\n", 1, "must be a mapping");
    ERR("objcts: []\n", 1, "unknown key \"objcts\"");
    ERR("seed: 1\n", 1, "missing required key \"objects\"");
    ERR("objects: []\n", 1, "non-empty list");
    ERR("seed: -4\nobjects: [{}]\n", 1, "seed: must be in");
    ERR("seed: abc\nobjects: [{}]\n", 1, "seed: must be a number");
    ERR("cell: [10, 0, 10]\nobjects: [{}]\n", 1, "cell: cell lengths must be > 0");
    ERR("pbc: true\nobjects: [{}]\n", 1, "pbc: periodic boundaries need a cell");
    ERR("objects:\n  - shape: {sphere: {radius: 3}}\n", 2, "objects[0]: missing required key \"lattice\"");
    snprintf(buf, sizeof buf, "objects:\n%s", obj);
    ERR(buf, 2, "objects[0]: give exactly one of shape, particle");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: -3}}\n", obj);
    ERR(buf, 3, "objects[0].shape.sphere.radius: must be > 0");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: .nan}}\n", obj);
    ERR(buf, 3, "radius: must be");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: \"12\"}}\n", obj);
    ERR(buf, 3, "radius: must be a number");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: 3}, box: {size: [1,1,1]}}\n", obj);
    ERR(buf, 3, "objects[0].shape: a shape has exactly one");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: 3}}\n    colour: red\n", obj);
    ERR(buf, 4, "objects[0].colour: unknown key \"colour\"");
    ERR("objects:\n  - lattice: {prototype: fcc, elements: Xx, a: 4.08}\n    shape: {sphere: {radius: 3}}\n",
        2, "objects[0].lattice.elements: unknown element \"Xx\"");
    ERR("objects:\n  - lattice: {prototype: fcx, elements: Au, a: 4.08}\n    shape: {sphere: {radius: 3}}\n",
        2, "unknown prototype");
    ERR("objects:\n  - lattice: {prototype: fcc, elements: Au, a: -4.08}\n    shape: {sphere: {radius: 3}}\n",
        2, "objects[0].lattice.a: must be > 0");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {planes: [{hkl: [0,0,0], distance: 5}]}\n", obj);
    ERR(buf, 3, "planes[0].hkl: Miller indices (0 0 0)");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: {uniform: [5, 2]}}}\n", obj);
    ERR(buf, 3, "radius.uniform: high must be >= low");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: {normal: [5, 1], uniform: [1, 2]}}}\n", obj);
    ERR(buf, 3, "a distribution has exactly one");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: {truncnormal: [5, 0.1, 50, 60]}}}\n", obj);
    ERR(buf, 3, "holds almost none");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: 3}}\n    orientation: sideways\n", obj);
    ERR(buf, 4, "objects[0].orientation: must be random, none");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: 3}}\n    orientation: {zone_axis: [0,0,0]}\n", obj);
    ERR(buf, 4, "zone_axis: cz_transform_zone_axis: zone axis [0 0 0]");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: 3}}\n    class: metal\n", obj);
    ERR(buf, 4, "objects[0].class: unknown class \"metal\"");
    snprintf(buf, sizeof buf, "objects:\n%s    shape: {sphere: {radius: 3}}\n    position: [1, 2]\n", obj);
    ERR(buf, 4, "objects[0].position: must be a list of 3 numbers");
    ERR("objects:\n  - lattice: {spacegroup: 194, cell: [4, 4, 4, 90, 90, 90], sites: [[Mg, 0.3333, 0.6667, 0.25]]}\n"
        "    shape: {sphere: {radius: 5}}\n", 2, "incompatible with space group 194");
    ERR("objects:\n  - lattice: {spacegroup: 225, cell: [4, 4, 4, 90, 90, 90], sites: [[Au, 0, 0]]}\n"
        "    shape: {sphere: {radius: 5}}\n", 2, "sites[0]: must be [element, x, y, z]");
    snprintf(buf, sizeof buf, "max_atoms: 100\nobjects:\n%s    shape: {sphere: {radius: 25}}\n", obj);
    cz_spec *sp = NULL;
    cz_atoms *a = NULL;
    cz_spec_parse_string(buf, "t.yaml", &sp);
    CZ_CHECK_FAILS(cz_spec_build(sp, NULL, &a, NULL), CZ_ERANGE, "max_atoms = 100");
    cz_spec_destroy(sp);
    ERR("a: 1\na: 2\nobjects: []\n", 2, "duplicate key");
    ERR("objects:\n  - amorphous: {elements: C, density: 2.2, d_min: 1.4}\n", 2,
        "objects[0]: missing required key \"region\"");
    ERR("objects:\n  - amorphous: {elements: {Si: 1, O: 2}, density: 2.2, d_min: {Si-O: 1.6}}\n"
        "    region: {box: {lo: [0,0,0], hi: [9,9,9]}}\n", 2, "objects[0].amorphous.d_min: no d_min for Si-Si");
    ERR("objects:\n  - amorphous: {elements: C, density: 2.2, number_density: 0.1, d_min: 1.4}\n"
        "    region: {box: {lo: [0,0,0], hi: [9,9,9]}}\n", 2, "exactly one of density, number_density");
    ERR("objects:\n  - amorphous: {elements: C, density: 9.5, d_min: 1.8}\n"
        "    region: {box: {lo: [0,0,0], hi: [12,12,12]}}\n", 2, "objects[0].amorphous:");
    ERR("objects:\n  - amorphous: {elements: C, density: 2.2, d_min: 1.4}\n"
        "    region: {slab: {bottom: 0, top: 5}}\n", 3, "a slab spans the scene cell");
    CZ_CHECK_FAILS(cz_spec_parse_file("/nonexistent/x.yaml", &sp), CZ_EIO, "cannot open");
    CZ_CHECK_FAILS(cz_spec_parse_string(NULL, "x", &sp), CZ_EINVAL, "text must not be NULL");
    CZ_CHECK_FAILS(cz_spec_build(NULL, NULL, &a, NULL), CZ_EINVAL, "spec must not be NULL");
#undef ERR
}

/* An Au particle sunk into periodic amorphous carbon: exact carbon count for the density, no
 * C–C pair closer than d_min across periodic images, no carbon inside the particle. */
static void test_amorphous_scene(void) {
    const char *y = "cell: [40, 40, 30]\n"
                    "pbc: [true, true, false]\n"
                    "objects:\n"
                    "  - name: substrate\n"
                    "    amorphous: {elements: {C: 1}, density: 2.2, d_min: 1.4}\n"
                    "    region: {slab: {bottom: 0, top: 12}}\n"
                    "  - name: particle\n"
                    "    lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                    "    shape: {sphere: {radius: 8}}\n"
                    "    position: [20, 20, 18.4]\n"
                    "    orientation: random\n"
                    "    priority: 1\n";
    cz_atoms *a = build(y, 21, 1), *b = build(y, 21, 1);
    if (!a || !b) return;
    size_t nc = 0, nau = 0, c_in = 0;
    cz_atoms *carbon = NULL;
    cz_atoms_create(0, &carbon);
    for (size_t i = 0; i < a->n; i++) {
        if (a->z[i] == 6) {
            nc++;
            cz_atoms_push(carbon, a->xyz[i], 6, 0, 0, 0);
            double d[3] = {a->xyz[i][0] - 20, a->xyz[i][1] - 20, a->xyz[i][2] - 18.4};
            if (sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]) <= 8.0) c_in++;
            CZ_CHECK(a->class_id[i] == CZ_CLASS_SUBSTRATE && a->object_id[i] == 1, "C labels");
        } else {
            nau++;
        }
    }
    /* 2.2 g/cm³ of carbon in 40·40·12 Å³ is 1325.3 → 1325 atoms, less those inside the sphere's
     * region below z = 12 (the sphere dips 4.4 Å into the slab). */
    const double n_slab = 2.2 / (12.011 / 6.02214076e23) * 1e-24 * 40 * 40 * 12;
    CZ_CHECK(nc < (size_t)llround(n_slab) && nc > (size_t)llround(n_slab) - 200,
             "carbon %zu of %lld in the slab", nc, (long long)llround(n_slab));
    CZ_CHECK(c_in == 0, "%zu carbon atoms inside the particle", c_in);
    CZ_CHECK(nau > 100, "gold particle (%zu)", nau);
    memcpy(carbon->cell, a->cell, sizeof carbon->cell);
    memcpy(carbon->pbc, a->pbc, sizeof carbon->pbc);
    double dmin = 0;
    cz_atoms_min_distance(carbon, &dmin, NULL);
    CZ_CHECK(dmin >= 1.4, "C–C minimum distance %.4f across periodic images", dmin);
    CZ_CHECK(a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0, "same bytes");
    cz_atoms_destroy(carbon);
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);

    /* An a-SiO2-like block by pairs, no periodicity (a box away from the cell). */
    const char *si = "objects:\n"
                     "  - amorphous:\n"
                     "      elements: {Si: 1, O: 2}\n"
                     "      number_density: 0.066\n"
                     "      d_min: {Si-O: 1.5, O-O: 2.4, default: 2.9}\n"
                     "    region: {box: {lo: [3.5, -2, 1], hi: [23.5, 18, 16]}}\n";
    cz_atoms *q = build(si, 2, 1);
    if (q) {
        size_t nsi = 0;
        for (size_t i = 0; i < q->n; i++) nsi += q->z[i] == 14;
        CZ_CHECK(q->n == (size_t)llround(0.066 * 20 * 20 * 15), "SiO2 count %zu", q->n);
        CZ_CHECK(3 * nsi == q->n, "Si:O = 1:2 (%zu of %zu)", nsi, q->n);
    }
    cz_atoms_destroy(q);
}

static size_t count_distinct(const int *v, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        for (j = 0; j < i; j++)
            if (v[j] == v[i]) break;
        k += j == i;
    }
    return k;
}

/* Particles and defects through the spec: grain labels and magic numbers survive. */
static void test_particles_and_defects(void) {
    const char *deca = "objects:\n"
                       "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                       "    particle: {decahedron: {shells: 4}}\n"
                       "    orientation: random\n";
    cz_atoms *a = build(deca, 1, 1);
    CZ_CHECK(a && a->n == 147, "4-shell Ino decahedron: %zu atoms (want 147)", a ? a->n : 0);
    CZ_CHECK(a && count_distinct(a->grain_id, a->n) == 5, "5 grains");
    CZ_CHECK(a && count_distinct(a->object_id, a->n) == 1, "one object");
    cz_atoms_destroy(a);
    const char *ico = "objects:\n"
                      "  - lattice: {prototype: fcc, elements: Pt, a: 3.92}\n"
                      "    particle: {icosahedron: {shells: 5}}\n";
    a = build(ico, 0, 0);
    CZ_CHECK(a && a->n == 309 && count_distinct(a->grain_id, a->n) == 20,
             "5-shell icosahedron: %zu atoms", a ? a->n : 0);
    cz_atoms_destroy(a);
    const char *wulff = "objects:\n"
                        "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                        "    particle:\n"
                        "      wulff:\n"
                        "        energies: [{hkl: [1,1,1], gamma: 1.0}, {hkl: [1,0,0], gamma: 1.1}]\n"
                        "        radius: 18\n"
                        "    defects: {twins: 2, faults: 1}\n"
                        "    orientation: random\n";
    a = build(wulff, 5, 1);
    cz_atoms *b = build(wulff, 5, 1);
    CZ_CHECK(a && count_distinct(a->grain_id, a->n) == 4, "two twins and a fault: 4 grains (%zu)",
             a ? count_distinct(a->grain_id, a->n) : 0);
    double dmin = 0;
    if (a) cz_atoms_min_distance(a, &dmin, NULL);
    CZ_CHECK(dmin > 0.99 * 4.08 / sqrt(2.0), "coherent boundaries keep the bulk distance (%.4f)", dmin);
    CZ_CHECK(a && b && a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0,
             "same seed ⇒ same defect planes, same bytes");
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                 "    particle: {decahedron: {shells: 3, radius: 9}}\n",
                 3, "objects[0].particle.decahedron: give exactly one of p, shells, radius");
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                 "    particle: {icosahedron: {shells: 3}}\n    defects: {twins: 1}\n",
                 4, "objects[0].defects: defects apply to shapes and Wulff particles");
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                 "    particle: {wulff: {energies: [{hkl: [1,1,1], gamma: -1}], radius: 9}}\n",
                 3, "energies[0].gamma: must be > 0");
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                 "    shape: {sphere: {radius: 12}}\n    defects: {twins: 1, planes: []}\n",
                 4, "objects[0].defects: give planes, or twins/faults");
}

/* A MoS2 bilayer matched to the cell, a particle resting on it, clash removal. */
static void test_substrate_rest_clash(void) {
    const char *y = "cell: [31.6, 32.83987, 40]\n"   /* 10 a × 6 √3 a: commensurate */
                    "pbc: [true, true, false]\n"
                    "clash_distance: 2.6\n"
                    "objects:\n"
                    "  - name: mos2\n"
                    "    substrate: {mos2: {layers: 2}, top: 14}\n"
                    "  - name: particle\n"
                    "    lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                    "    shape: {sphere: {radius: 7}}\n"
                    "    orientation: random\n"
                    "    position: [15, 16]\n"
                    "    rest_on: {surface: mos2, depth: -2.5}\n"
                    "    priority: 1\n";
    cz_atoms *a = build(y, 4, 1);
    if (!a) return;
    size_t nmo = 0, ns = 0, nau = 0;
    double top_s = -INFINITY, low_au = INFINITY;
    for (size_t i = 0; i < a->n; i++) {
        if (a->z[i] == 42) nmo++;
        if (a->z[i] == 16) {
            ns++;
            top_s = fmax(top_s, a->xyz[i][2]);
        }
        if (a->z[i] == 79) {
            nau++;
            low_au = fmin(low_au, a->xyz[i][2]);
        }
    }
    /* 10 × 6 rectangular cells of 2 primitive cells, 2 trilayers: 240 Mo and 480 S. */
    CZ_CHECK(nmo == 240 && ns == 480, "MoS2 bilayer: %zu Mo, %zu S (want 240, 480)", nmo, ns);
    CZ_CHECK(fabs(top_s - 14.0) < 1e-9, "top S plane at %.6f (want 14)", top_s);
    /* The sphere's bottom sits 2.5 Å above the surface; its lowest atom at most one (111)
     * spacing higher. */
    CZ_CHECK(low_au >= 16.5 - 1e-9 && low_au < 16.5 + 2.4, "lowest Au at %.3f", low_au);
    /* An R = 7 Å Au sphere holds about (4/3)π·7³/17.0 ≈ 84 atoms. */
    CZ_CHECK(nau >= 60 && nau <= 110, "particle kept (%zu Au)", nau);
    /* No cross-object pair closer than the clash distance (brute force, minimum image in x, y). */
    double dmin = INFINITY;
    for (size_t i = 0; i < a->n; i++)
        for (size_t j = i + 1; j < a->n; j++) {
            if (a->object_id[i] == a->object_id[j]) continue;
            double d[3];
            for (int k = 0; k < 3; k++) d[k] = a->xyz[j][k] - a->xyz[i][k];
            d[0] -= 31.6 * nearbyint(d[0] / 31.6);
            d[1] -= 32.83987 * nearbyint(d[1] / 32.83987);
            dmin = fmin(dmin, sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
        }
    CZ_CHECK(dmin >= 2.6, "closest cross-object pair %.4f Å (clash distance 2.6)", dmin);
    cz_atoms_destroy(a);
    expect_error("cell: [30, 30, 30]\npbc: [true, true, false]\nobjects:\n"
                 "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                 "    shape: {sphere: {radius: 5}}\n"
                 "    rest_on: {surface: floor}\n",
                 6, "objects[0].rest_on.surface: no earlier substrate or amorphous object named");
    expect_error("objects:\n  - substrate: {mos2: {layers: 2}}\n", 2,
                 "objects[0].substrate: a substrate needs a scene cell");
    expect_error("cell: [31.6, 32.84, 40]\nobjects:\n  - substrate: {graphene: {layers: 0}}\n", 3,
                 "objects[0].substrate.graphene.layers: must be in 1..1000");
}

/* Ligands: molecules anchored on the particle's surface sites after the scene is built. */
static void test_ligands(void) {
    char mol[512], y[2048];
    snprintf(mol, sizeof mol, "%s/spec_co.xyz", cz_test_tmpdir());
    FILE *f = fopen(mol, "w");
    if (!f) return;
    fprintf(f, "2\nProperties=species:S:1:pos:R:3\nC 0 0 0\nO 0 0 1.128\n");
    fclose(f);
    snprintf(y, sizeof y,
             "objects:\n"
             "  - lattice: {prototype: fcc, elements: Pt, a: 3.92}\n"
             "    particle: {wulff: {energies: [{hkl: [1,1,1], gamma: 1}], radius: 9}}\n"
             "    ligands: {molecule: %s, bond_length: 1.85, coverage: 0.5}\n",
             mol);
    cz_atoms *a = build(y, 8, 1), *b = build(y, 8, 1);
    if (!a || !b) return;
    size_t nc = 0, no = 0, npt = 0, bad_class = 0;
    for (size_t i = 0; i < a->n; i++) {
        nc += a->z[i] == 6;
        no += a->z[i] == 8;
        npt += a->z[i] == 78;
        if (a->z[i] != 78 && a->class_id[i] != CZ_CLASS_LIGAND) bad_class++;
    }
    CZ_CHECK(nc > 20 && nc == no && bad_class == 0, "CO ligands: %zu C, %zu O on %zu Pt", nc, no, npt);
    /* Every C sits 1.85 Å from its nearest Pt. */
    size_t off = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->z[i] != 6) continue;
        double best = INFINITY;
        for (size_t j = 0; j < a->n; j++)
            if (a->z[j] == 78) {
                double d[3] = {a->xyz[j][0] - a->xyz[i][0], a->xyz[j][1] - a->xyz[i][1],
                               a->xyz[j][2] - a->xyz[i][2]};
                best = fmin(best, sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]));
            }
        if (fabs(best - 1.85) > 1e-6) off++;
    }
    CZ_CHECK(off == 0, "%zu anchors not at the bond length", off);
    CZ_CHECK(a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0, "same bytes");
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Pt, a: 3.92}\n"
                 "    shape: {sphere: {radius: 6}}\n"
                 "    ligands: {molecule: /nonexistent/m.xyz, bond_length: 1.85}\n",
                 4, "objects[0].ligands: cz_atoms_read");
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Pt, a: 3.92}\n"
                 "    shape: {sphere: {radius: 6}}\n"
                 "    ligands: {molecule: x.xyz, bond_length: 1.85, coverage: 1.5}\n",
                 4, "objects[0].ligands.coverage: must be");
}

/* Core–shell: one object, two grains, the core's atoms inside the core sphere only. */
static void test_core_shell(void) {
    const char *y = "objects:\n"
                    "  - core_shell:\n"
                    "      core: {lattice: {prototype: fcc, elements: Au, a: 4.08}, shape: {sphere: {radius: 8}}}\n"
                    "      shell: {lattice: {prototype: fcc, elements: Ag, a: 4.09}, shape: {sphere: {radius: 14}}}\n"
                    "    orientation: random\n";
    cz_atoms *a = build(y, 3, 1);
    if (!a) return;
    size_t nau = 0, nag = 0;
    double cx = 0, cy = 0, cz = 0, rmax_au = 0, rmin_ag = INFINITY;
    for (size_t i = 0; i < a->n; i++) {
        cx += a->xyz[i][0] / (double)a->n;
        cy += a->xyz[i][1] / (double)a->n;
        cz += a->xyz[i][2] / (double)a->n;
    }
    for (size_t i = 0; i < a->n; i++) {
        double d[3] = {a->xyz[i][0] - cx, a->xyz[i][1] - cy, a->xyz[i][2] - cz};
        double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (a->z[i] == 79) {
            nau++;
            rmax_au = fmax(rmax_au, r);
        } else {
            nag++;
            rmin_ag = fmin(rmin_ag, r);
        }
    }
    CZ_CHECK(count_distinct(a->object_id, a->n) == 1 && count_distinct(a->grain_id, a->n) == 2,
             "core-shell: one object, two grains");
    /* The centroid sits within a fraction of an Å of the common centre. */
    CZ_CHECK(rmax_au <= 8.0 + 0.6 && rmin_ag >= 8.0 - 0.6, "core inside %.2f, shell outside %.2f",
             rmax_au, rmin_ag);
    /* Shell:core volume (14³ − 8³)/8³ ≈ 4.4; lattice discreteness moves it by ±10 %. */
    CZ_CHECK(nau > 100 && nag > 3.5 * nau && nag < 5.2 * nau, "%zu Au, %zu Ag", nau, nag);
    cz_atoms_destroy(a);
    expect_error("objects:\n  - core_shell:\n      core: {lattice: {prototype: fcc, elements: Au, a: 4.08}, shape: {sphere: {radius: 8}}}\n",
                 3, "objects[0].core_shell: missing required key \"shell\"");
    expect_error("objects:\n  - core_shell:\n"
                 "      core: {lattice: {prototype: fcc, elements: Au, a: 4.08}, shape: {sphere: {radius: 8}}}\n"
                 "      shell: {lattice: {prototype: fcc, elements: Ag, a: 4.09}}\n",
                 4, "objects[0].core_shell.shell: give a lattice and a shape");
}

/* strain and composition blocks act on their object only, after the build. */
static void test_strain_composition(void) {
    const char *y = "cell: [60, 60, 60]\n"
                    "objects:\n"
                    "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                    "    shape: {sphere: {radius: 12}}\n"
                    "    position: [15, 30, 30]\n"
                    "    orientation: random\n"
                    "    strain: {homogeneous: [0.02, 0.02, 0.02, 0, 0, 0]}\n"
                    "    composition:\n"
                    "      substitute: [{from: Au, to: Ag, fraction: 0.25}]\n"
                    "      vacancies: 0.1\n"
                    "  - lattice: {prototype: fcc, elements: Cu, a: 3.615}\n"
                    "    shape: {sphere: {radius: 10}}\n"
                    "    position: [45, 30, 30]\n"
                    "    composition: {roughness: 0.5}\n";
    cz_atoms *a = build(y, 6, 1), *b = build(y, 6, 1);
    if (!a || !b) return;
    /* The reference: the same spec without strain and composition. */
    const char *plain = "cell: [60, 60, 60]\n"
                        "objects:\n"
                        "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                        "    shape: {sphere: {radius: 12}}\n"
                        "    position: [15, 30, 30]\n"
                        "    orientation: random\n"
                        "  - lattice: {prototype: fcc, elements: Cu, a: 3.615}\n"
                        "    shape: {sphere: {radius: 10}}\n"
                        "    position: [45, 30, 30]\n";
    cz_atoms *r = build(plain, 6, 1);
    if (!r) return;
    size_t n1 = 0, n1r = 0, nag = 0, n2 = 0, n2r = 0;
    for (size_t i = 0; i < r->n; i++) {
        n1r += r->object_id[i] == 1;
        n2r += r->object_id[i] == 2;
    }
    cz_atoms *p1 = NULL;
    cz_atoms_create(0, &p1);
    for (size_t i = 0; i < a->n; i++) {
        if (a->object_id[i] == 1) {
            n1++;
            nag += a->z[i] == 47;
            cz_atoms_push(p1, a->xyz[i], a->z[i], 1, 1, 1);
        } else {
            n2++;
        }
    }
    /* Vacancies remove exactly round(0.1 n); a quarter of the Au became Ag before that. */
    size_t removed = n1r - n1;
    CZ_CHECK(removed == (size_t)llround(0.1 * (double)n1r), "vacancies: %zu of %zu", removed, n1r);
    CZ_CHECK(nag > 0.2 * (double)n1 && nag < 0.3 * (double)n1, "substituted Ag %zu of %zu", nag, n1);
    /* Homogeneous 2 % expansion: the nearest-neighbour distance grows by exactly 1.02. */
    double dmin = 0;
    cz_atoms_min_distance(p1, &dmin, NULL);
    CZ_CHECK_CLOSE(dmin, 1.02 * 4.08 / sqrt(2.0), 1e-9, "strained nearest-neighbour distance");
    CZ_CHECK(n2 < n2r && n2 > n2r / 2, "roughness removed surface Cu: %zu of %zu kept", n2, n2r);
    CZ_CHECK(a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0 &&
                 memcmp(a->z, b->z, a->n * sizeof *a->z) == 0,
             "same seed ⇒ same bytes");
    cz_atoms_destroy(p1);
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
    cz_atoms_destroy(r);
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                 "    shape: {sphere: {radius: 6}}\n"
                 "    strain: {homogeneous: [0.9, 0, 0, 0, 0, 0]}\n",
                 4, "objects[0].strain.homogeneous: strain components must be within");
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                 "    shape: {sphere: {radius: 6}}\n"
                 "    composition: {substitute: [{from: Au, to: Xq, fraction: 0.2}]}\n",
                 4, "objects[0].composition.substitute[0].to: unknown element");
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                 "    shape: {sphere: {radius: 6}}\n"
                 "    composition: {vacancies: 1.5}\n",
                 4, "objects[0].composition.vacancies: must be");
}

/* A Winterbottom particle set down on its interface facet: a flat bottom layer on the surface. */
static void test_contact_facet(void) {
    const char *y = "objects:\n"
                    "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                    "    particle:\n"
                    "      wulff:\n"
                    "        energies: [{hkl: [1,1,1], gamma: 1.0}, {hkl: [1,0,0], gamma: 1.15}]\n"
                    "        interface: {hkl: [1,-1,1], gamma: 0.3}\n"
                    "        radius: 12\n"
                    "    orientation: {contact_facet: interface, inplane: 33}\n"
                    "    position: [0, 0]\n"
                    "    rest_on: {surface: 10}\n";
    cz_atoms *a = build(y, 0, 0);
    if (!a) return;
    double zmin = INFINITY;
    for (size_t i = 0; i < a->n; i++) zmin = fmin(zmin, a->xyz[i][2]);
    size_t bottom = 0;
    for (size_t i = 0; i < a->n; i++) bottom += fabs(a->xyz[i][2] - zmin) < 1e-6;
    /* cz_atoms_center shifted the structure; the bottom layer is what matters: a full (111)
     * layer (dozens of atoms) in one plane, not one or two corner atoms. */
    CZ_CHECK(bottom >= 20, "%zu atoms in the bottom plane of %zu", bottom, a->n);
    cz_atoms_destroy(a);
    expect_error("objects:\n  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
                 "    shape: {sphere: {radius: 6}}\n"
                 "    orientation: {contact_facet: interface}\n",
                 4, "objects[0].orientation.contact_facet: only a Wulff particle with an interface");
}

int main(void) {
    test_valid();
    test_amorphous_scene();
    test_particles_and_defects();
    test_substrate_rest_clash();
    test_ligands();
    test_core_shell();
    test_strain_composition();
    test_contact_facet();
    test_errors();
    return cz_test_summary("spec");
}
