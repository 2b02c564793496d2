/* test_spec_draws.c — the values a spec build reports it drew (cz_spec_build_opts.draws): they
 * are the values in the built scene (measured on the atoms, and by rebuilding the spec with
 * every drawn value written in as a fixed one), deterministic in the seed, absent for fixed
 * values, emptied on failure, and owned by the list. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

/* A periodic scene with every kind of distribution: amorphous carbon whose thickness is
 * uniform; a twinned sphere whose element is a choice of names, lattice parameter uniform,
 * radius a truncated normal, y position normal, orientation random and twin count a choice of
 * integers; a Wulff particle with a uniform surface energy nested in its list of energies, a
 * zone axis chosen among lists (one holding its own choice), a lognormal in-plane angle and a
 * uniform vacancy fraction. Each %s is the drawn field, or its fixed value. */
static const char *const TEMPLATE =
    "cell: [60, 40.8, 50]\n"
    "pbc: [true, true, false]\n"
    "objects:\n"
    "  - name: carbon\n"
    "    amorphous: {elements: C, number_density: 0.1, d_min: 1.4}\n"
    "    region: {slab: {bottom: 0, top: %s}}\n"
    "  - name: sphere\n"
    "    lattice: {prototype: fcc, elements: %s, a: %s}\n"
    "    shape: {sphere: {radius: %s}}\n"
    "    orientation: %s\n"
    "    position: [15, %s, 30]\n"
    "    defects: %s\n"
    "  - name: wulff\n"
    "    lattice: {prototype: fcc, elements: [Pd], a: 3.89}\n"
    "    particle:\n"
    "      wulff:\n"
    "        energies: [{hkl: [1,1,1], gamma: 1.0}, {hkl: [1,0,0], gamma: %s}]\n"
    "        radius: 8\n"
    "    orientation: {zone_axis: %s, inplane: %s}\n"
    "    position: [45, 20.4, 30]\n"
    "    composition: {vacancies: %s}\n";

static char drawn_yaml[4096];

static void make_drawn_yaml(void) {
    snprintf(drawn_yaml, sizeof drawn_yaml, TEMPLATE, "{uniform: [6, 10]}",
             "{choice: [Au, Ag, Pt], weights: [1, 2, 1]}", "{uniform: [4.0, 4.2]}",
             "{truncnormal: [11, 1.5, 9.5, 13]}", "random", "{normal: [20.4, 1.0]}",
             "{twins: {choice: [1, 2]}, min_separation: 3}", "{uniform: [1.05, 1.25]}",
             "{choice: [[1,1,0], [1,0,0], [1,1,{choice: [1, 2]}]]}", "{lognormal: [3, 0.2]}",
             "{uniform: [0.01, 0.05]}");
}

static cz_spec *parse(const char *yaml) {
    cz_spec *sp = NULL;
    cz_status s = cz_spec_parse_string(yaml, "t.yaml", &sp);
    CZ_CHECK(s == CZ_OK, "parse: %s", cz_last_error());
    return sp;
}

/* Build with seed; draws may be NULL. */
static cz_status build(const cz_spec *sp, uint64_t seed, cz_spec_draws *draws, cz_atoms **out) {
    cz_spec_build_opts bo;
    cz_spec_build_opts_default(&bo);
    bo.seed = seed;
    bo.use_seed = 1;
    bo.draws = draws;
    return cz_spec_build(sp, &bo, out, NULL);
}

static int missing = 0; /* entries num() or text() did not find */

static const cz_spec_draw *find(const cz_spec_draws *d, const char *path) {
    for (size_t i = 0; i < cz_spec_draws_count(d); i++)
        if (strcmp(cz_spec_draws_get(d, i)->path, path) == 0) return cz_spec_draws_get(d, i);
    return NULL;
}

/* The drawn number at path (NAN, and a failed check, when it is missing or a name). */
static double num(const cz_spec_draws *d, const char *path) {
    const cz_spec_draw *e = find(d, path);
    CZ_CHECK(e && !e->is_text && e->text == NULL && isfinite(e->value),
             "%s: a drawn number is reported", path);
    if (!e || e->is_text) missing++;
    return e && !e->is_text ? e->value : NAN;
}

static const char *text(const cz_spec_draws *d, const char *path) {
    const cz_spec_draw *e = find(d, path);
    CZ_CHECK(e && e->is_text && e->text && isnan(e->value), "%s: a drawn name is reported", path);
    if (!e || !e->is_text || !e->text) missing++;
    return e && e->is_text && e->text ? e->text : "?";
}

static int same_atoms(const cz_atoms *a, const cz_atoms *b, double tol) {
    if (!a || !b || a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->z[i] != b->z[i] || a->object_id[i] != b->object_id[i] ||
            a->grain_id[i] != b->grain_id[i] || a->class_id[i] != b->class_id[i])
            return 0;
        for (int k = 0; k < 3; k++)
            if (!(fabs(a->xyz[i][k] - b->xyz[i][k]) <= tol)) return 0;
    }
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 3; k++)
            if (!(fabs(a->cell[r][k] - b->cell[r][k]) <= tol)) return 0;
    return memcmp(a->pbc, b->pbc, sizeof a->pbc) == 0;
}

static int same_bytes(const cz_atoms *a, const cz_atoms *b) {
    return a && b && a->n == b->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0 &&
           memcmp(a->z, b->z, a->n * sizeof *a->z) == 0 &&
           memcmp(a->object_id, b->object_id, a->n * sizeof *a->object_id) == 0 &&
           memcmp(a->grain_id, b->grain_id, a->n * sizeof *a->grain_id) == 0 &&
           memcmp(a->class_id, b->class_id, a->n * sizeof *a->class_id) == 0 &&
           memcmp(a->cell, b->cell, sizeof a->cell) == 0;
}

static int same_draws(const cz_spec_draws *a, const cz_spec_draws *b) {
    if (cz_spec_draws_count(a) != cz_spec_draws_count(b)) return 0;
    for (size_t i = 0; i < cz_spec_draws_count(a); i++) {
        const cz_spec_draw *x = cz_spec_draws_get(a, i), *y = cz_spec_draws_get(b, i);
        if (strcmp(x->path, y->path) || x->is_text != y->is_text || x->index != y->index) return 0;
        if (x->is_text ? strcmp(x->text, y->text) != 0
                       : memcmp(&x->value, &y->value, sizeof x->value) != 0)
            return 0;
    }
    return 1;
}

/* The spec with every drawn value written in: orientation as Euler angles, the twins as
 * explicit planes. Returns 0 when a needed entry is missing. */
static int make_fixed_yaml(const cz_spec_draws *d, char *buf, size_t len) {
    char top[32], a[32], r[32], ori[128], y[32], def[1024], gam[32], za[96], inpl[32], vac[32];
    const char *ob = "objects[1].orientation.euler", *pb = "objects[1].defects.planes";
    char p[128];
    missing = 0;
    snprintf(top, sizeof top, "%.17g", num(d, "objects[0].region.slab.top"));
    snprintf(a, sizeof a, "%.17g", num(d, "objects[1].lattice.a"));
    snprintf(r, sizeof r, "%.17g", num(d, "objects[1].shape.sphere.radius"));
    double e[3];
    for (int k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s[%d]", ob, k);
        e[k] = num(d, p);
    }
    snprintf(ori, sizeof ori, "{euler: [%.17g, %.17g, %.17g]}", e[0], e[1], e[2]);
    snprintf(y, sizeof y, "%.17g", num(d, "objects[1].position[1]"));
    long nt = lround(num(d, "objects[1].defects.twins"));
    size_t at = (size_t)snprintf(def, sizeof def, "{planes: [");
    for (long i = 0; i < nt && at < sizeof def; i++) {
        double h[3];
        for (int k = 0; k < 3; k++) {
            snprintf(p, sizeof p, "%s[%ld].hkl[%d]", pb, i, k);
            h[k] = num(d, p);
        }
        snprintf(p, sizeof p, "%s[%ld].kind", pb, i);
        const char *kind = text(d, p);
        snprintf(p, sizeof p, "%s[%ld].position", pb, i);
        at += (size_t)snprintf(def + at, sizeof def - at,
                               "%s{kind: %s, hkl: [%g, %g, %g], position: %.17g}", i ? ", " : "",
                               kind, h[0], h[1], h[2], num(d, p));
    }
    if (at < sizeof def) snprintf(def + at, sizeof def - at, "]}");
    snprintf(gam, sizeof gam, "%.17g", num(d, "objects[2].particle.wulff.energies[1].gamma"));
    snprintf(za, sizeof za, "[%g, %g, %g]", num(d, "objects[2].orientation.zone_axis[0]"),
             num(d, "objects[2].orientation.zone_axis[1]"),
             num(d, "objects[2].orientation.zone_axis[2]"));
    snprintf(inpl, sizeof inpl, "%.17g", num(d, "objects[2].orientation.inplane"));
    snprintf(vac, sizeof vac, "%.17g", num(d, "objects[2].composition.vacancies"));
    snprintf(buf, len, TEMPLATE, top, text(d, "objects[1].lattice.elements"), a, r, ori, y, def,
             gam, za, inpl, vac);
    return nt >= 1 && missing == 0;
}

/* The reported values are the ones in the scene: measured on the atoms, and reproduced by the
 * spec with the drawn values written in. */
static void test_values_in_scene(void) {
    cz_spec *sp = parse(drawn_yaml);
    cz_spec_draws *d = NULL;
    CZ_CHECK(cz_spec_draws_create(&d) == CZ_OK && d, "create: %s", cz_last_error());
    if (!sp || !d) return;
    int names[3] = {0, 0, 0}, twins[3] = {0, 0, 0};
    for (uint64_t seed = 0; seed < 6; seed++) {
        cz_atoms *at = NULL;
        cz_status s = build(sp, seed, d, &at);
        CZ_CHECK(s == CZ_OK, "seed %d: %s", (int)seed, cz_last_error());
        if (s != CZ_OK) continue;
        /* Every draw, and nothing else, in the builder's order. Object 1 draws its twin planes
         * after the twin count; object 2's vacancies come last (applied after the build). */
        long nt = lround(num(d, "objects[1].defects.twins"));
        const char *order[64];
        size_t n = 0;
        static char planes[2][5][80];
        order[n++] = "objects[0].region.slab.top";
        order[n++] = "objects[1].lattice.elements";
        order[n++] = "objects[1].lattice.a";
        order[n++] = "objects[1].shape.sphere.radius";
        order[n++] = "objects[1].orientation.euler[0]";
        order[n++] = "objects[1].orientation.euler[1]";
        order[n++] = "objects[1].orientation.euler[2]";
        order[n++] = "objects[1].position[1]";
        order[n++] = "objects[1].defects.twins";
        for (long i = 0; i < nt && i < 2; i++) {
            const char *f[5] = {"kind", "hkl[0]", "hkl[1]", "hkl[2]", "position"};
            for (int k = 0; k < 5; k++) {
                snprintf(planes[i][k], sizeof planes[i][k], "objects[1].defects.planes[%ld].%s", i,
                         f[k]);
                order[n++] = planes[i][k];
            }
        }
        order[n++] = "objects[2].particle.wulff.energies[1].gamma";
        order[n++] = "objects[2].orientation.zone_axis[0]";
        order[n++] = "objects[2].orientation.zone_axis[1]";
        order[n++] = "objects[2].orientation.zone_axis[2]";
        order[n++] = "objects[2].orientation.inplane";
        order[n++] = "objects[2].composition.vacancies";
        int ok = cz_spec_draws_count(d) == n;
        for (size_t i = 0; ok && i < n; i++)
            ok = strcmp(cz_spec_draws_get(d, i)->path, order[i]) == 0;
        CZ_CHECK(ok, "seed %d: %zu draws in the builder's order (want %zu, twins %ld)", (int)seed,
                 cz_spec_draws_count(d), n, nt);
        CZ_CHECK(cz_spec_draws_get(d, cz_spec_draws_count(d)) == NULL, "get past the end is NULL");
        /* Indices: the trailing subscript. */
        CZ_CHECK(find(d, "objects[1].position[1]") && find(d, "objects[1].position[1]")->index == 1,
                 "position[1] has index 1");
        for (size_t k = 0; k < 3; k++) {
            char p[64];
            snprintf(p, sizeof p, "objects[2].orientation.zone_axis[%zu]", k);
            CZ_CHECK(find(d, p) && find(d, p)->index == k, "%s has index %zu", p, k);
        }
        CZ_CHECK(find(d, "objects[1].shape.sphere.radius") &&
                     find(d, "objects[1].shape.sphere.radius")->index == 0,
                 "a scalar field has index 0");

        double top = num(d, "objects[0].region.slab.top"), a = num(d, "objects[1].lattice.a"),
               R = num(d, "objects[1].shape.sphere.radius"), y = num(d, "objects[1].position[1]");
        const char *el = text(d, "objects[1].lattice.elements");
        CZ_CHECK(top >= 6 && top <= 10 && a >= 4.0 && a <= 4.2 && R >= 9.5 && R <= 13,
                 "seed %d: draws inside their windows (top %g, a %g, R %g)", (int)seed, top, a, R);
        int zel = 0;
        CZ_CHECK(cz_element_from_symbol(el, &zel) == CZ_OK && zel > 0, "element %s", el);
        names[zel == 79 ? 0 : zel == 47 ? 1 : 2]++;
        twins[nt == 1 ? 1 : nt == 2 ? 2 : 0]++;

        /* Carbon: exactly round(0.1 · 60 · 40.8 · top) atoms, none above top, some within 1 Å. */
        size_t nc = 0, nsph = 0;
        double zmax = -INFINITY, c0[3] = {15, y, 30}, rmax = 0, lo[3], hi[3];
        int grains[64], ng = 0, zok = 1;
        for (int k = 0; k < 3; k++) lo[k] = INFINITY, hi[k] = -INFINITY;
        for (size_t i = 0; i < at->n; i++) {
            if (at->class_id[i] == CZ_CLASS_SUBSTRATE) {
                nc++;
                zmax = fmax(zmax, at->xyz[i][2]);
            } else if (at->xyz[i][0] < 30) {
                /* The sphere: its species, its radius about the drawn centre, its grains. */
                nsph++;
                zok &= at->z[i] == zel;
                double dv[3] = {at->xyz[i][0] - c0[0], at->xyz[i][1] - c0[1],
                                at->xyz[i][2] - c0[2]};
                rmax = fmax(rmax, sqrt(dv[0] * dv[0] + dv[1] * dv[1] + dv[2] * dv[2]));
                for (int k = 0; k < 3; k++) {
                    lo[k] = fmin(lo[k], at->xyz[i][k]);
                    hi[k] = fmax(hi[k], at->xyz[i][k]);
                }
                int seen = 0;
                for (int g = 0; g < ng; g++) seen |= grains[g] == at->grain_id[i];
                if (!seen && ng < 64) grains[ng++] = at->grain_id[i];
            }
        }
        CZ_CHECK((double)nc == round(0.1 * 60 * 40.8 * top), "seed %d: %zu carbon atoms for top %g",
                 (int)seed, nc, top);
        CZ_CHECK(zmax < top && zmax > top - 1.0, "seed %d: carbon top %g for drawn %g", (int)seed,
                 zmax, top);
        CZ_CHECK(nsph > 100 && zok, "seed %d: %zu sphere atoms, all %s", (int)seed, nsph, el);
        CZ_CHECK(rmax <= R + 1e-9 && rmax > R - a, "seed %d: sphere reaches %g for drawn R %g",
                 (int)seed, rmax, R);
        CZ_CHECK(fabs((lo[1] + hi[1]) / 2 - y) < a, "seed %d: sphere centred at y %g for drawn %g",
                 (int)seed, (lo[1] + hi[1]) / 2, y);
        CZ_CHECK(ng == nt + 1, "seed %d: %d grains for %ld drawn twins", (int)seed, ng, nt);
        /* The nearest neighbours within one grain sit a/√2 apart (the twins keep the fcc
         * lattice inside each grain). */
        double dmin = INFINITY;
        for (size_t i = 0; i < at->n; i++) {
            if (at->class_id[i] != CZ_CLASS_PARTICLE || at->xyz[i][0] >= 30) continue;
            for (size_t j = i + 1; j < at->n; j++) {
                if (at->class_id[j] != CZ_CLASS_PARTICLE || at->xyz[j][0] >= 30 ||
                    at->grain_id[j] != at->grain_id[i])
                    continue;
                double dv[3] = {at->xyz[i][0] - at->xyz[j][0], at->xyz[i][1] - at->xyz[j][1],
                                at->xyz[i][2] - at->xyz[j][2]};
                dmin = fmin(dmin, sqrt(dv[0] * dv[0] + dv[1] * dv[1] + dv[2] * dv[2]));
            }
        }
        CZ_CHECK_CLOSE(dmin, a / sqrt(2.0), 1e-9, "seed %d: nearest neighbours for drawn a",
                       (int)seed);
        /* Vacancies: of the m Pd atoms, floor(f·m + 1/2) are gone. */
        size_t npd = 0;
        for (size_t i = 0; i < at->n; i++) npd += at->z[i] == 46;
        char *fixed = malloc(8192), *novac = malloc(8192);
        int have = fixed && novac && make_fixed_yaml(d, fixed, 8192);
        CZ_CHECK(have, "seed %d: fixed spec written", (int)seed);
        if (have) {
            /* The same spec with every drawn value fixed: no draws, the same atoms (the Euler
             * angles reproduce the random rotation to rounding). */
            cz_spec *fs = parse(fixed);
            cz_spec_draws *d2 = NULL;
            cz_atoms *b = NULL;
            cz_spec_draws_create(&d2);
            s = fs ? build(fs, seed, d2, &b) : CZ_EINVAL;
            CZ_CHECK(s == CZ_OK, "seed %d: fixed spec builds: %s\n%s", (int)seed, cz_last_error(),
                     fixed);
            CZ_CHECK(s != CZ_OK || cz_spec_draws_count(d2) == 0,
                     "fixed values are not reported (%zu)", cz_spec_draws_count(d2));
            CZ_CHECK(s != CZ_OK || same_atoms(at, b, 1e-9),
                     "seed %d: the drawn values rebuild the same scene (%zu vs %zu atoms)",
                     (int)seed, at->n, b ? b->n : 0);
            cz_atoms_destroy(b);
            cz_spec_destroy(fs);
            cz_spec_draws_destroy(d2);
            /* And without vacancies: the count they removed. */
            char *v = strstr(fixed, "vacancies: ");
            double f = num(d, "objects[2].composition.vacancies");
            memcpy(novac, fixed, 8192);
            if (v) {
                snprintf(novac + (v - fixed), 8192 - (size_t)(v - fixed), "vacancies: 0}\n");
                fs = parse(novac);
                b = NULL;
                s = fs ? build(fs, seed, NULL, &b) : CZ_EINVAL;
                size_t m = 0;
                for (size_t i = 0; s == CZ_OK && i < b->n; i++) m += b->z[i] == 46;
                CZ_CHECK(s == CZ_OK && npd == m - (size_t)floor(f * (double)m + 0.5),
                         "seed %d: %zu Pd left of %zu for drawn vacancy fraction %g", (int)seed,
                         npd, m, f);
                cz_atoms_destroy(b);
                cz_spec_destroy(fs);
            }
        }
        free(fixed);
        free(novac);
        cz_atoms_destroy(at);
    }
    CZ_CHECK(names[0] + names[1] + names[2] == 6 && twins[1] + twins[2] == 6,
             "choices land on the alternatives (Au %d, Ag %d, Pt %d; 1 twin %d, 2 twins %d)",
             names[0], names[1], names[2], twins[1], twins[2]);
    CZ_CHECK((names[0] > 0) + (names[1] > 0) + (names[2] > 0) >= 2 && twins[1] && twins[2],
             "the seeds reach several alternatives");
    cz_spec_draws_destroy(d);
    cz_spec_destroy(sp);
}

/* Same seed ⇒ the same draws, byte for byte; another seed ⇒ other values; recording changes
 * nothing in the atoms; the entries own their strings and outlive the spec. */
static void test_determinism(void) {
    cz_spec *sp = parse(drawn_yaml);
    cz_spec_draws *d1 = NULL, *d2 = NULL, *d3 = NULL;
    cz_spec_draws_create(&d1);
    cz_spec_draws_create(&d2);
    cz_spec_draws_create(&d3);
    cz_atoms *a = NULL, *b = NULL, *c = NULL, *plain = NULL;
    cz_status s1 = sp ? build(sp, 42, d1, &a) : CZ_EINVAL,
              s2 = sp ? build(sp, 42, d2, &b) : CZ_EINVAL,
              s3 = sp ? build(sp, 43, d3, &c) : CZ_EINVAL,
              s4 = sp ? build(sp, 42, NULL, &plain) : CZ_EINVAL;
    CZ_CHECK(s1 == CZ_OK && s2 == CZ_OK && s3 == CZ_OK && s4 == CZ_OK, "builds: %s",
             cz_last_error());
    CZ_CHECK(same_draws(d1, d2) && cz_spec_draws_count(d1) >= 18, "same seed ⇒ same %zu draws",
             cz_spec_draws_count(d1));
    CZ_CHECK(same_bytes(a, plain), "recording draws leaves the atoms' bytes unchanged");
    CZ_CHECK(same_bytes(a, b), "same seed ⇒ same atoms");
    size_t differ = 0;
    for (size_t i = 0; i < cz_spec_draws_count(d1); i++) {
        const cz_spec_draw *x = cz_spec_draws_get(d1, i), *y = find(d3, x->path);
        if (!x->is_text && y && !y->is_text && x->value != y->value) differ++;
    }
    CZ_CHECK(differ >= 8, "another seed draws other numbers (%zu differ)", differ);
    /* The spec is gone; the entries (names included) still read correctly. */
    const cz_spec_draw *el = find(d1, "objects[1].lattice.elements");
    char want[8] = "";
    if (el && el->text) snprintf(want, sizeof want, "%s", el->text);
    cz_spec_destroy(sp);
    el = find(d1, "objects[1].lattice.elements");
    CZ_CHECK(el && el->text && strcmp(el->text, want) == 0 &&
                 (!strcmp(want, "Au") || !strcmp(want, "Ag") || !strcmp(want, "Pt")),
             "names outlive the spec (%s)", want);
    size_t chars = 0;
    for (size_t i = 0; i < cz_spec_draws_count(d1); i++)
        chars += strlen(cz_spec_draws_get(d1, i)->path);
    CZ_CHECK(chars > 100, "paths outlive the spec");
    /* A list serves builds one after another: the second build's entries only. */
    cz_spec *sp2 = parse(drawn_yaml);
    cz_atoms *e = NULL;
    CZ_CHECK(sp2 && build(sp2, 43, d1, &e) == CZ_OK && same_draws(d1, d3),
             "a reused list holds the last build's draws");
    cz_spec_destroy(sp2);
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
    cz_atoms_destroy(c);
    cz_atoms_destroy(e);
    cz_atoms_destroy(plain);
    cz_spec_draws_destroy(d1);
    cz_spec_draws_destroy(d2);
    cz_spec_draws_destroy(d3);
}

/* No distribution ⇒ no draws; `orientation: random` alone ⇒ three Euler angles that rebuild
 * the same particle; a choice between names reports the name. */
static void test_fixed_and_random(void) {
    cz_spec_draws *d = NULL;
    cz_spec_draws_create(&d);
    cz_spec *sp = parse(
        "objects:\n"
        "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
        "    shape: {sphere: {radius: 12.5}}\n"
        "    orientation: {zone_axis: [1, 1, 0], inplane: 17}\n"
        "    position: [1.5, 2.5, 3.5]\n");
    cz_atoms *a = NULL;
    CZ_CHECK(sp && build(sp, 9, d, &a) == CZ_OK && cz_spec_draws_count(d) == 0 &&
                 cz_spec_draws_get(d, 0) == NULL,
             "fixed spec: %zu draws", cz_spec_draws_count(d));
    cz_atoms_destroy(a);
    cz_spec_destroy(sp);

    const char *rnd =
        "objects:\n"
        "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
        "    shape: {sphere: {radius: 12.5}}\n"
        "    orientation: %s\n";
    char buf[512];
    snprintf(buf, sizeof buf, rnd, "{choice: [random, random, none], weights: [1, 1, 0]}");
    sp = parse(buf);
    a = NULL;
    cz_status s = sp ? build(sp, 12345, d, &a) : CZ_EINVAL;
    CZ_CHECK(s == CZ_OK && cz_spec_draws_count(d) == 4, "random orientation: %zu draws",
             cz_spec_draws_count(d));
    const cz_spec_draw *o = cz_spec_draws_get(d, 0);
    CZ_CHECK(o && o->is_text && !strcmp(o->path, "objects[0].orientation") &&
                 !strcmp(o->text, "random") && o->index == 0,
             "the chosen name comes first");
    double e[3] = {0, 0, 0};
    for (size_t k = 0; k < 3; k++) {
        const cz_spec_draw *x = cz_spec_draws_get(d, k + 1);
        char p[64];
        snprintf(p, sizeof p, "objects[0].orientation.euler[%zu]", k);
        CZ_CHECK(x && !strcmp(x->path, p) && x->index == k && !x->is_text && !x->text,
                 "entry %zu is %s", k + 1, p);
        if (x) e[k] = x->value;
    }
    CZ_CHECK(e[1] >= 0 && e[1] <= 180 && fabs(e[0]) <= 180 && fabs(e[2]) <= 180 &&
                 (e[0] != 0 || e[1] != 0 || e[2] != 0),
             "Euler angles in range (%g, %g, %g)", e[0], e[1], e[2]);
    char eul[160];
    snprintf(eul, sizeof eul, "{euler: [%.17g, %.17g, %.17g]}", e[0], e[1], e[2]);
    snprintf(buf, sizeof buf, rnd, eul);
    cz_spec *sp2 = parse(buf);
    cz_atoms *b = NULL;
    s = sp2 ? build(sp2, 0, NULL, &b) : CZ_EINVAL;
    CZ_CHECK(s == CZ_OK && same_atoms(a, b, 1e-9),
             "the reported Euler angles rebuild the rotation");
    cz_atoms_destroy(b);
    /* And another seed turns it differently. */
    b = NULL;
    cz_spec_draws *d2 = NULL;
    cz_spec_draws_create(&d2);
    s = sp ? build(sp, 54321, d2, &b) : CZ_EINVAL;
    CZ_CHECK(s == CZ_OK && cz_spec_draws_count(d2) == 4 && cz_spec_draws_get(d2, 1)->value != e[0],
             "another seed, another rotation");
    cz_atoms_destroy(a);
    cz_atoms_destroy(b);
    cz_spec_destroy(sp);
    cz_spec_destroy(sp2);
    cz_spec_draws_destroy(d);
    cz_spec_draws_destroy(d2);
}

/* Failures leave the list empty, whether they come before any draw, after some, or after the
 * whole scene was drawn (atom cap); NULL arguments. */
static void test_errors(void) {
    cz_spec_draws *d = NULL;
    CZ_CHECK_FAILS(cz_spec_draws_create(NULL), CZ_EINVAL, "out must not be NULL");
    CZ_CHECK(cz_spec_draws_create(&d) == CZ_OK && cz_spec_draws_count(d) == 0,
             "fresh list is empty");
    cz_spec_draws_destroy(NULL);
    CZ_CHECK(cz_spec_draws_count(NULL) == 0 && cz_spec_draws_get(NULL, 0) == NULL, "NULL list");
    const char *good =
        "objects:\n"
        "  - lattice: {prototype: fcc, elements: Au, a: {uniform: [4.0, 4.1]}}\n"
        "    shape: {sphere: {radius: {normal: [8, 0.5]}}}\n";
    const char *bad[] = {
        /* before any draw is kept */
        "objects:\n"
        "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
        "    shape: {sphere: {radius: {uniform: [5, 2]}}}\n",
        /* after two draws: a later object is wrong */
        "objects:\n"
        "  - lattice: {prototype: fcc, elements: Au, a: {uniform: [4.0, 4.1]}}\n"
        "    shape: {sphere: {radius: {normal: [8, 0.5]}}}\n"
        "  - lattice: {prototype: fcc, elements: Au, a: 4.08}\n"
        "    shape: {sphere: {radius: 3}}\n"
        "    colour: red\n",
        /* after every draw: the atom cap */
        "max_atoms: 50\n"
        "objects:\n"
        "  - lattice: {prototype: fcc, elements: Au, a: {uniform: [4.0, 4.1]}}\n"
        "    shape: {sphere: {radius: {normal: [8, 0.5]}}}\n",
        /* in the post-build phase: a drawn vacancy fraction out of range */
        "objects:\n"
        "  - lattice: {prototype: fcc, elements: Au, a: {uniform: [4.0, 4.1]}}\n"
        "    shape: {sphere: {radius: 8}}\n"
        "    composition: {vacancies: {uniform: [1.5, 2]}}\n",
    };
    const cz_status want[] = {CZ_EINVAL, CZ_EINVAL, CZ_ERANGE, CZ_EINVAL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cz_spec *g = parse(good), *b = parse(bad[i]);
        cz_atoms *a = NULL;
        cz_status s = g ? build(g, 1, d, &a) : CZ_EINVAL;
        CZ_CHECK(s == CZ_OK && cz_spec_draws_count(d) == 2, "good spec: 2 draws (%zu)",
                 cz_spec_draws_count(d));
        cz_atoms_destroy(a);
        a = (cz_atoms *)1;
        s = b ? build(b, 1, d, &a) : CZ_EINVAL;
        CZ_CHECK(s == want[i] && a == NULL && cz_spec_draws_count(d) == 0 &&
                     cz_spec_draws_get(d, 0) == NULL,
                 "bad spec %zu: status %d, %zu draws left (%s)", i, (int)s, cz_spec_draws_count(d),
                 cz_last_error());
        cz_spec_destroy(g);
        cz_spec_destroy(b);
    }
    /* NULL spec and NULL out also empty the list. */
    cz_spec *g = parse(good);
    cz_atoms *a = NULL;
    cz_spec_build_opts bo;
    cz_spec_build_opts_default(&bo);
    CZ_CHECK(bo.draws == NULL, "draws default to NULL");
    bo.draws = d;
    CZ_CHECK(g && cz_spec_build(g, &bo, &a, NULL) == CZ_OK && cz_spec_draws_count(d) == 2,
             "refill");
    cz_atoms_destroy(a);
    CZ_CHECK_FAILS(cz_spec_build(NULL, &bo, &a, NULL), CZ_EINVAL, "spec must not be NULL");
    CZ_CHECK(cz_spec_draws_count(d) == 0, "NULL spec: no draws");
    CZ_CHECK(g && cz_spec_build(g, &bo, &a, NULL) == CZ_OK && cz_spec_draws_count(d) == 2,
             "refill");
    cz_atoms_destroy(a);
    CZ_CHECK_FAILS(cz_spec_build(g, &bo, NULL, NULL), CZ_EINVAL, "out must not be NULL");
    CZ_CHECK(cz_spec_draws_count(d) == 0, "NULL out: no draws");
    cz_spec_destroy(g);
    cz_spec_draws_destroy(d);
}

int main(void) {
    make_drawn_yaml();
    test_values_in_scene();
    test_determinism();
    test_fixed_and_random();
    test_errors();
    return cz_test_summary("test_spec_draws");
}
