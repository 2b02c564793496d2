/* test_defects.c — twins and stacking faults as grains: stacking sequences read from projected
 * layer positions, grain labels, coherence (minimum distances), atoms on twin planes kept once,
 * off-centre rotated volumes, hcp / wurtzite basal faults, diamond twins, seeded random planes,
 * and every documented error. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static cz_lattice *proto(const char *name, int z0, int z1, double a, double c, double u) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z0;
    po.z[1] = z1;
    po.a = a;
    po.c = c;
    po.u = u;
    cz_lattice *l = NULL;
    cz_lattice_prototype(name, &po, &l);
    return l;
}

static const double AU_A = 4.078;

/* ---- reading stacking sequences ----------------------------------------------------------
 * Atoms are mapped back into the particle frame, grouped into atomic planes by their height
 * h = n̂·y (plane k at h = h0 + k·dz) and classified by their in-plane position relative to
 * the lattice origin: with e1, e2 two in-plane lattice vectors at 60°, a site of a
 * close-packed layer has y∥ = α e1 + β e2 with 3α, 3β integers, and the three stacking
 * positions A, B, C are (3α + 3β) mod 3. Every atom of a plane must agree. */

#define MAXL 256

typedef struct {
    int kmin, kmax;
    int cls[MAXL]; /* class per plane, −1 = no atom */
    int ok;        /* all atoms on planes and lattice positions, planes uniform */
} stacking;

static void read_stacking(const cz_atoms *a, const cz_transform *place, const double n[3],
                          const double e1[3], const double e2[3], double h0, double dz, int zsel,
                          stacking *s) {
    cz_transform inv;
    cz_transform_invert(place, &inv);
    s->kmin = 1 << 20;
    s->kmax = -(1 << 20);
    s->ok = 1;
    for (int k = 0; k < MAXL; k++) s->cls[k] = -1;
    double g11 = e1[0] * e1[0] + e1[1] * e1[1] + e1[2] * e1[2];
    double g22 = e2[0] * e2[0] + e2[1] * e2[1] + e2[2] * e2[2];
    double g12 = e1[0] * e2[0] + e1[1] * e2[1] + e1[2] * e2[2];
    double det = g11 * g22 - g12 * g12;
    for (size_t i = 0; i < a->n; i++) {
        if (zsel && a->z[i] != zsel) continue;
        double y[3];
        cz_transform_apply(&inv, a->xyz[i], y);
        double h = y[0] * n[0] + y[1] * n[1] + y[2] * n[2];
        double kf = (h - h0) / dz;
        int k = (int)lround(kf);
        if (fabs(kf - k) > 1e-6) {
            s->ok = 0;
            continue;
        }
        double w[3] = {y[0] - h * n[0], y[1] - h * n[1], y[2] - h * n[2]};
        double b1 = w[0] * e1[0] + w[1] * e1[1] + w[2] * e1[2];
        double b2 = w[0] * e2[0] + w[1] * e2[1] + w[2] * e2[2];
        double al = (g22 * b1 - g12 * b2) / det, be = (g11 * b2 - g12 * b1) / det;
        double t1 = 3 * al, t2 = 3 * be;
        if (fabs(t1 - lround(t1)) > 1e-6 || fabs(t2 - lround(t2)) > 1e-6) {
            s->ok = 0;
            continue;
        }
        int c = (int)(((lround(t1) + lround(t2)) % 3 + 3) % 3);
        int slot = k + MAXL / 2;
        if (slot < 0 || slot >= MAXL) {
            s->ok = 0;
            continue;
        }
        if (s->cls[slot] >= 0 && s->cls[slot] != c) s->ok = 0;
        s->cls[slot] = c;
        if (k < s->kmin) s->kmin = k;
        if (k > s->kmax) s->kmax = k;
    }
}

/* Letters: the matrix (lowest planes) reads "ABC" upwards from the plane through the lattice
 * origin (class 0 = A); `bar_after` lists planes after which to print '|'. */
static void stacking_string(const stacking *s, const int *bar_after, int nbar, char *out) {
    int c0 = s->cls[s->kmin + MAXL / 2], c1 = s->cls[s->kmin + 1 + MAXL / 2];
    int sigma = ((c1 - c0) % 3 + 3) % 3 == 1 ? 1 : -1;
    size_t p = 0;
    for (int k = s->kmin; k <= s->kmax; k++) {
        int c = s->cls[k + MAXL / 2];
        out[p++] = c < 0 ? '.' : "ABC"[((sigma * c) % 3 + 3) % 3];
        for (int b = 0; b < nbar; b++)
            if (bar_after[b] == k) out[p++] = '|';
    }
    out[p] = 0;
}

/* Expected sequence of an fcc matrix (plane k reads "ABC"[k mod 3]) with twins on planes and
 * faults in the gaps above planes, built by the stacking rules: a twin reverses the stacking
 * direction above its plane, an intrinsic fault skips one position. */
static void expected_string(int kmin, int kmax, const int *twin, int ntwin, const int *fault,
                            int nfault, const int *bar_after, int nbar, char *out) {
    int c = ((kmin % 3) + 3) % 3, sigma = 1;
    size_t p = 0;
    for (int k = kmin; k <= kmax; k++) {
        out[p++] = "ABC"[c];
        for (int b = 0; b < nbar; b++)
            if (bar_after[b] == k) out[p++] = '|';
        for (int t = 0; t < ntwin; t++)
            if (twin[t] == k) sigma = -sigma;
        int step = sigma;
        for (int f = 0; f < nfault; f++)
            if (fault[f] == k) step = 2 * sigma;
        c = ((c + step) % 3 + 3) % 3;
    }
    out[p] = 0;
}

static void fcc_inplane(int h, int k, int l, double a, double n[3], double e1[3], double e2[3]) {
    double s = sqrt(3.0);
    n[0] = h / s, n[1] = k / s, n[2] = l / s;
    e1[0] = a / 2 * h, e1[1] = -a / 2 * k, e1[2] = 0;
    e2[0] = a / 2 * h, e2[1] = 0, e2[2] = -a / 2 * l;
}

static int count_grains(const cz_atoms *a, int *gmin, int *gmax) {
    int seen[4096] = {0}, n = 0;
    *gmin = 1 << 30;
    *gmax = -1;
    for (size_t i = 0; i < a->n; i++) {
        int g = a->grain_id[i];
        if (g < 0 || g >= 4096) continue;
        if (!seen[g]) n++;
        seen[g]++;
        if (g < *gmin) *gmin = g;
        if (g > *gmax) *gmax = g;
    }
    return n;
}

/* Cylinder along [111] of fcc Au, off the origin, placed with [111] along the beam (z). */
static void au_cylinder(cz_lattice **l, cz_volume **v, cz_transform *place) {
    *l = proto("fcc", 79, 0, AU_A, NAN, NAN);
    const double c0[3] = {1.3, -0.8, 0.45}, ax[3] = {1, 1, 1};
    cz_volume_cylinder(c0, ax, 9.0, 36.0, v);
    const int uvw[3] = {1, 1, 1};
    const double zero[3] = {0, 0, 0};
    cz_transform_zone_axis(*l, uvw, 17.0, zero, place);
    const double t[3] = {20.5, 30.25, 40.125};
    for (int k = 0; k < 3; k++) place->t[k] += t[k];
}

static cz_atoms *build(const cz_lattice *l, const cz_volume *v, const cz_transform *place,
                       size_t np, const cz_defect_plane *pl, cz_defect_plane *res,
                       cz_defects_info *info) {
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_defects_opts o;
    cz_defects_opts_default(&o);
    if (place) o.placement = *place;
    cz_atoms *a = NULL;
    cz_status st = cz_scene_add_defected_crystal(s, l, v, np, pl, &o, res, info);
    CZ_CHECK(st == CZ_OK, "add_defected_crystal: %s", cz_last_error());
    if (st == CZ_OK) {
        st = cz_scene_populate(s, NULL, &a);
        CZ_CHECK(st == CZ_OK, "populate: %s", cz_last_error());
    }
    cz_scene_destroy(s);
    return a;
}

static void test_twin_and_fault_sequences(void) {
    cz_lattice *l;
    cz_volume *v;
    cz_transform place;
    au_cylinder(&l, &v, &place);
    const double d = AU_A / sqrt(3.0), dnn = AU_A / sqrt(2.0);
    double n[3], e1[3], e2[3];
    fcc_inplane(1, 1, 1, AU_A, n, e1, e2);
    /* The placement brings [111] onto z: the planes below are the layers "grouped by z". */
    double nz[3];
    for (int k = 0; k < 3; k++)
        nz[k] = place.m[k][0] * n[0] + place.m[k][1] * n[1] + place.m[k][2] * n[2];
    CZ_CHECK(fabs(nz[2] - 1.0) < 1e-12, "[111] along z after placement (%g)", nz[2]);

    /* Twin on plane 2 (a C plane of the matrix), position off by 0.3 Å: snapped onto it. */
    cz_defect_plane tw, res;
    cz_defect_plane_default(&tw);
    tw.position = 2 * d + 0.3;
    cz_defects_info info;
    cz_atoms *a = build(l, v, &place, 1, &tw, &res, &info);
    CZ_CHECK_CLOSE(res.position, 2 * d, 1e-12, "twin snapped onto plane 2");
    CZ_CHECK(info.ngrains == 2 && info.first == 0, "two grains (%zu)", info.ngrains);
    stacking st;
    read_stacking(a, &place, n, e1, e2, 0.0, d, 0, &st);
    char obs[2 * MAXL], want[2 * MAXL];
    int bar = 2;
    stacking_string(&st, &bar, 1, obs);
    int twin_k = 2;
    expected_string(st.kmin, st.kmax, &twin_k, 1, NULL, 0, &bar, 1, want);
    printf("twin  (111) at plane 2:        %s\n", obs);
    CZ_CHECK(st.ok, "every atom on a plane and a stacking position");
    CZ_CHECK(strstr(obs, "ABCABC|BACBA") != NULL, "twin reads ...ABCABC|BACBA...: %s", obs);
    CZ_CHECK(strcmp(obs, want) == 0, "twin sequence %s, want %s", obs, want);
    double dmin = 0;
    cz_atoms_min_distance(a, &dmin, NULL);
    printf("twin: min distance %.12f Å, bulk %.12f Å (ratio %.12f)\n", dmin, dnn, dmin / dnn);
    CZ_CHECK(dmin >= 0.85 * dnn, "twin min distance %g >= 0.85 d_nn", dmin);
    CZ_CHECK_CLOSE(dmin, dnn, 1e-9, "a coherent twin keeps the bulk distance");
    int gmin, gmax;
    CZ_CHECK(count_grains(a, &gmin, &gmax) == 2 && gmin == 1 && gmax == 2, "grain ids 1 and 2");
    int labels = 1;
    for (size_t i = 0; i < a->n; i++) {
        double y[3];
        cz_transform inv;
        cz_transform_invert(&place, &inv);
        cz_transform_apply(&inv, a->xyz[i], y);
        double h = y[0] * n[0] + y[1] * n[1] + y[2] * n[2];
        if (a->object_id[i] != 1) labels = 0;
        /* Atoms on the twin plane belong to the grain nearer the matrix. */
        if ((h <= 2 * d + 1e-6) != (a->grain_id[i] == 1)) labels = 0;
        if (!cz_volume_contains(v, y)) labels = 0;
    }
    CZ_CHECK(labels, "one object; grain 1 below and on the twin plane, grain 2 above; all inside");
    /* The twin plane's atoms appear once: as many as the matrix has on that plane. */
    cz_atoms *bulk = NULL;
    cz_fill_shape(l, v, NULL, &bulk);
    size_t on_bulk = 0, on_twin = 0;
    for (size_t i = 0; i < bulk->n; i++) {
        double h = bulk->xyz[i][0] * n[0] + bulk->xyz[i][1] * n[1] + bulk->xyz[i][2] * n[2];
        on_bulk += fabs(h - 2 * d) < 1e-6;
    }
    for (size_t i = 0; i < a->n; i++) {
        double y[3];
        cz_transform inv;
        cz_transform_invert(&place, &inv);
        cz_transform_apply(&inv, a->xyz[i], y);
        on_twin += fabs(y[0] * n[0] + y[1] * n[1] + y[2] * n[2] - 2 * d) < 1e-6;
    }
    CZ_CHECK(on_twin == on_bulk && on_bulk > 10, "twin plane atoms once: %zu, matrix %zu", on_twin,
             on_bulk);
    size_t n_twin = a->n;

    /* The mirror gives the same fcc twin (fcc is centrosymmetric), atom for atom. */
    cz_defect_plane mi = tw;
    mi.kind = CZ_DEFECT_MIRROR;
    cz_atoms *m = build(l, v, &place, 1, &mi, NULL, NULL);
    int same = m && m->n == a->n;
    for (size_t i = 0; same && i < a->n; i++) {
        double best = INFINITY;
        for (size_t j = 0; j < m->n; j++) {
            double dx = a->xyz[i][0] - m->xyz[j][0], dy = a->xyz[i][1] - m->xyz[j][1],
                   dzz = a->xyz[i][2] - m->xyz[j][2];
            best = fmin(best, dx * dx + dy * dy + dzz * dzz);
        }
        if (best > 1e-16) same = 0;
    }
    CZ_CHECK(same, "fcc mirror twin = rotation twin (%zu vs %zu atoms)", m ? m->n : 0, a->n);
    cz_atoms_destroy(m);
    cz_atoms_destroy(a);

    /* Intrinsic fault in the gap above plane 1 (a B plane): ...ABCAB|ABC... */
    cz_defect_plane sf;
    cz_defect_plane_default(&sf);
    sf.kind = CZ_DEFECT_SHIFT;
    sf.position = 1 * d + 0.6;
    a = build(l, v, &place, 1, &sf, &res, &info);
    CZ_CHECK_CLOSE(res.position, 1.5 * d, 1e-12, "fault snapped to the middle of the gap");
    /* The automatic shift is one stacking step, an a/6<112> Shockley partial. */
    double sl = AU_A * sqrt(res.shift[0] * res.shift[0] + res.shift[1] * res.shift[1] +
                            res.shift[2] * res.shift[2]);
    double sdot = res.shift[0] + res.shift[1] + res.shift[2];
    CZ_CHECK_CLOSE(sl, AU_A / sqrt(6.0), 1e-12, "|shift| = a/sqrt(6) (got %g)", sl);
    CZ_CHECK(fabs(sdot) < 1e-12, "shift lies in the (111) plane (%g)", sdot);
    read_stacking(a, &place, n, e1, e2, 0.0, d, 0, &st);
    bar = 1;
    stacking_string(&st, &bar, 1, obs);
    int fault_k = 1;
    expected_string(st.kmin, st.kmax, NULL, 0, &fault_k, 1, &bar, 1, want);
    printf("fault (111) above plane 1:     %s\n", obs);
    CZ_CHECK(st.ok, "fault: atoms on planes and stacking positions");
    CZ_CHECK(strstr(obs, "ABCAB|ABC") != NULL, "intrinsic fault reads ...ABCAB|ABC...: %s", obs);
    CZ_CHECK(strcmp(obs, want) == 0, "fault sequence %s, want %s", obs, want);
    cz_atoms_min_distance(a, &dmin, NULL);
    CZ_CHECK_CLOSE(dmin, dnn, 1e-9, "an intrinsic fault keeps the bulk distance (%g)", dmin);
    cz_atoms_destroy(a);

    /* Twin lamella and a fault: planes given out of order, the fault with the opposite
     * normal (−1 −1 −1); the first plane listed (1 1 1) fixes the matrix at the bottom. */
    cz_defect_plane pl[3];
    cz_defect_plane_default(&pl[0]);
    pl[0].position = 5 * d - 0.2; /* twin on plane 5 */
    cz_defect_plane_default(&pl[1]);
    pl[1].kind = CZ_DEFECT_SHIFT;
    pl[1].hkl[0] = pl[1].hkl[1] = pl[1].hkl[2] = -1;
    pl[1].position = 3.5 * d + 0.1; /* the gap between planes −4 and −3 */
    cz_defect_plane_default(&pl[2]);
    pl[2].position = 0.0 + 0.4; /* twin on plane 0 */
    cz_defect_plane rs[3];
    a = build(l, v, &place, 3, pl, rs, &info);
    CZ_CHECK(info.ngrains == 4, "three planes, four grains (%zu)", info.ngrains);
    CZ_CHECK_CLOSE(rs[1].position, 3.5 * d, 1e-12, "reversed-normal fault position %g",
                   rs[1].position);
    read_stacking(a, &place, n, e1, e2, 0.0, d, 0, &st);
    int bars[3] = {-4, 0, 5}, twins[2] = {0, 5}, faults[1] = {-4};
    stacking_string(&st, bars, 3, obs);
    expected_string(st.kmin, st.kmax, twins, 2, faults, 1, bars, 3, want);
    printf("fault + twin lamella:          %s\n", obs);
    CZ_CHECK(st.ok && strcmp(obs, want) == 0, "lamella sequence %s, want %s", obs, want);
    cz_atoms_min_distance(a, &dmin, NULL);
    CZ_CHECK_CLOSE(dmin, dnn, 1e-9, "lamella keeps the bulk distance (%g)", dmin);
    CZ_CHECK(count_grains(a, &gmin, &gmax) == 4 && gmin == 1 && gmax == 4, "grain ids 1..4");
    size_t per[5] = {0};
    for (size_t i = 0; i < a->n; i++)
        if (a->grain_id[i] >= 1 && a->grain_id[i] <= 4) per[a->grain_id[i]]++;
    CZ_CHECK(per[1] + per[2] + per[3] + per[4] == a->n && per[1] && per[2] && per[3] && per[4],
             "atoms per grain add up: %zu %zu %zu %zu of %zu", per[1], per[2], per[3], per[4],
             a->n);
    /* Re-feeding the resolved planes builds the same atoms. */
    cz_atoms *b = build(l, v, &place, 3, rs, NULL, NULL);
    CZ_CHECK(b && b->n == a->n && memcmp(b->xyz, a->xyz, a->n * sizeof *a->xyz) == 0,
             "resolved planes rebuild the same structure");
    cz_atoms_destroy(b);
    cz_atoms_destroy(a);
    CZ_CHECK(n_twin > 500, "cylinder holds %zu atoms", n_twin);
    cz_atoms_destroy(bulk);
    cz_volume_destroy(v);
    cz_lattice_destroy(l);
}

/* Random planes in a sphere that is not at the origin, placed with a random rotation. */
static void test_random_planes_offcentre(void) {
    cz_lattice *l = proto("fcc", 79, 0, AU_A, NAN, NAN);
    const double c0[3] = {7.3, -4.1, 2.9};
    const double R = 21.5;
    cz_volume *v = NULL;
    cz_volume_sphere(c0, R, &v);
    const double d = AU_A / sqrt(3.0), dnn = AU_A / sqrt(2.0);
    for (uint64_t seed = 11; seed < 15; seed++) {
        cz_defect_draw_opts dro;
        cz_defect_draw_opts_default(&dro);
        dro.seed = seed;
        dro.ntwins = 2;
        dro.nfaults = 1;
        dro.min_separation = 6.1;
        cz_defect_plane p1[3], p2[3], rs[3];
        CZ_CHECK(cz_defect_planes_draw(l, v, &dro, 3, p1) == CZ_OK, "%s", cz_last_error());
        cz_defect_planes_draw(l, v, &dro, 3, p2);
        CZ_CHECK(memcmp(p1, p2, sizeof p1) == 0, "same seed, same planes");
        dro.seed = seed + 1000;
        cz_defect_planes_draw(l, v, &dro, 3, p2);
        CZ_CHECK(memcmp(p1, p2, sizeof p1) != 0, "another seed, other planes");
        int ntw = 0, nsf = 0;
        for (int i = 0; i < 3; i++) {
            ntw += p1[i].kind == CZ_DEFECT_TWIN;
            nsf += p1[i].kind == CZ_DEFECT_SHIFT;
            CZ_CHECK(memcmp(p1[i].hkl, p1[0].hkl, sizeof p1[0].hkl) == 0, "one variant");
        }
        CZ_CHECK(ntw == 2 && nsf == 1, "two twins and a fault (%d, %d)", ntw, nsf);

        double rot[3][3];
        cz_rng_rotation(seed, 3, 0, rot);
        const double t[3] = {50.0, 41.5, 33.25};
        cz_transform place;
        cz_transform_matrix(CZ_CROWS(rot), t, 1, &place);
        cz_defects_info info;
        cz_atoms *a = build(l, v, &place, 3, p1, rs, &info);
        if (!a) continue;
        /* Snapped planes stay min_separation apart and inside the sphere. */
        double pos[3];
        for (int i = 0; i < 3; i++) pos[i] = rs[i].position;
        for (int i = 0; i < 3; i++)
            for (int j = i + 1; j < 3; j++)
                CZ_CHECK(fabs(pos[i] - pos[j]) >= 6.1 - 1e-9, "separation %g",
                         fabs(pos[i] - pos[j]));
        double n[3], e1[3], e2[3];
        fcc_inplane(p1[0].hkl[0], p1[0].hkl[1], p1[0].hkl[2], AU_A, n, e1, e2);
        double hc = c0[0] * n[0] + c0[1] * n[1] + c0[2] * n[2];
        for (int i = 0; i < 3; i++)
            CZ_CHECK(fabs(pos[i] - hc) <= R - 6.1 + d, "plane %g inside the sphere", pos[i]);
        /* Expected stacking from the resolved planes. */
        int tw[3], nt = 0, sf[3], nf = 0, bars[3];
        for (int i = 0; i < 3; i++) {
            double k = pos[i] / d;
            if (rs[i].kind == CZ_DEFECT_TWIN) {
                tw[nt++] = (int)lround(k);
                bars[i] = (int)lround(k);
                CZ_CHECK(fabs(k - lround(k)) < 1e-9, "twin on an atomic plane (%g)", k);
            } else {
                sf[nf++] = (int)floor(k);
                bars[i] = (int)floor(k);
                CZ_CHECK(fabs(k - floor(k) - 0.5) < 1e-9, "fault mid-gap (%g)", k);
            }
        }
        stacking st;
        read_stacking(a, &place, n, e1, e2, 0.0, d, 0, &st);
        char obs[2 * MAXL], want[2 * MAXL];
        stacking_string(&st, bars, 3, obs);
        expected_string(st.kmin, st.kmax, tw, nt, sf, nf, bars, 3, want);
        if (seed == 11)
            printf("random (%d %d %d), seed 11:     %s\n", p1[0].hkl[0], p1[0].hkl[1], p1[0].hkl[2],
                   obs);
        CZ_CHECK(st.ok && strcmp(obs, want) == 0, "seed %d: %s, want %s", (int)seed, obs, want);
        double dmin = 0;
        cz_atoms_min_distance(a, &dmin, NULL);
        CZ_CHECK_CLOSE(dmin, dnn, 1e-9, "seed %d: coherent boundaries (%g)", (int)seed, dmin);
        /* Inside the placed sphere; one object; four grains adding up. */
        int inside = 1;
        for (size_t i = 0; i < a->n; i++) {
            double y[3];
            cz_transform inv;
            cz_transform_invert(&place, &inv);
            cz_transform_apply(&inv, a->xyz[i], y);
            if (!cz_volume_contains(v, y) || a->object_id[i] != 1) inside = 0;
        }
        CZ_CHECK(inside, "seed %d: atoms inside the rotated, shifted sphere", (int)seed);
        int gmin, gmax;
        CZ_CHECK(count_grains(a, &gmin, &gmax) == 4 && info.ngrains == 4, "seed %d: 4 grains",
                 (int)seed);
        /* Same seed, same bytes. */
        cz_atoms *b = build(l, v, &place, 3, p1, NULL, NULL);
        CZ_CHECK(b && b->n == a->n && memcmp(a->xyz, b->xyz, a->n * sizeof *a->xyz) == 0 &&
                     memcmp(a->grain_id, b->grain_id, a->n * sizeof *a->grain_id) == 0,
                 "seed %d: identical atoms", (int)seed);
        cz_atoms_destroy(b);
        cz_atoms_destroy(a);
    }
    /* Independent variants: crossing planes make cells; labels still add up, no duplicates. */
    cz_defect_draw_opts dro;
    cz_defect_draw_opts_default(&dro);
    dro.ntwins = 3;
    dro.same_variant = 0;
    dro.seed = 5;
    cz_defect_plane p[3];
    CZ_CHECK(cz_defect_planes_draw(l, v, &dro, 3, p) == CZ_OK, "%s", cz_last_error());
    int distinct = memcmp(p[0].hkl, p[1].hkl, sizeof p[0].hkl) != 0 ||
                   memcmp(p[1].hkl, p[2].hkl, sizeof p[0].hkl) != 0;
    CZ_CHECK(distinct, "seed 5 draws more than one variant");
    cz_defects_info info;
    cz_atoms *a = build(l, v, NULL, 3, p, NULL, &info);
    if (a) {
        int gmin, gmax;
        int ng = count_grains(a, &gmin, &gmax);
        CZ_CHECK(ng == (int)info.ngrains && ng >= 4, "crossing planes: %d grains (%zu)", ng,
                 info.ngrains);
        double dmin = 0;
        cz_atoms_min_distance(a, &dmin, NULL);
        CZ_CHECK(dmin > 0.3, "no duplicated atoms across crossing planes (%g)", dmin);
        printf("crossing {111} twins: %d grains, min distance %.4f Å (bulk %.4f)\n", ng, dmin, dnn);
    }
    cz_atoms_destroy(a);
    cz_volume_destroy(v);
    cz_lattice_destroy(l);
}

/* Basal faults: hcp Co and wurtzite ZnO read ...ABAB|CACA... (I2); wurtzite keeps its bonds. */
static void test_hexagonal_faults(void) {
    for (int w = 0; w < 2; w++) {
        cz_lattice *l = w ? proto("wurtzite", 30, 8, 3.2495, 5.2069, 0.3819)
                          : proto("hcp", 27, 0, 2.5071, 4.0695, NAN);
        double a = l->cell[0][0], c = l->cell[2][2];
        const double c0[3] = {0.4, -0.3, 0.3}, ax[3] = {0, 0, 1};
        const double len = 40.0;
        cz_volume *v = NULL;
        cz_volume_cylinder(c0, ax, 8.5, len, &v);
        /* Cation planes at z = z1 + k c/2; choose the cut above an odd plane counted from the
         * lowest one, so the plane below the cut is the second letter, B. */
        double z1 = w ? 0.0 : 0.25 * c;
        double zlo = c0[2] - len / 2;
        int kmin = (int)ceil((zlo - z1) / (c / 2) - 1e-9);
        int kcut = kmin + 7;
        cz_defect_plane sf, res;
        cz_defect_plane_default(&sf);
        sf.kind = CZ_DEFECT_SHIFT;
        sf.hkl[0] = sf.hkl[1] = 0;
        sf.hkl[2] = 1;
        sf.position = z1 + kcut * c / 2 + (w ? 0.4 * c : 0.3);
        double rot[3][3];
        cz_rng_rotation(77, 1, (uint64_t)w, rot);
        const double t[3] = {-3.5, 8.25, 1.5};
        cz_transform place;
        cz_transform_matrix(CZ_CROWS(rot), t, 1, &place);
        cz_atoms *at = build(l, v, &place, 1, &sf, &res, NULL);
        if (!at) continue;
        if (w) {
            /* The cut sits in the narrow (c/8-like) gap between an anion plane and the next
             * cation plane: (u + 1/2)/2 modulo 1/2. */
            double f = fmod(res.position / c, 0.5);
            CZ_CHECK_CLOSE(f, (0.3819 + 0.5) / 2, 1e-9, "wurtzite cut in the narrow gap (%g)", f);
        } else {
            CZ_CHECK_CLOSE(res.position, z1 + (kcut + 0.5) * c / 2, 1e-12, "hcp cut mid-gap");
        }
        const double n[3] = {0, 0, 1}, e1[3] = {a, 0, 0};
        double e2[3] = {l->cell[0][0] + l->cell[1][0], l->cell[0][1] + l->cell[1][1], 0};
        stacking st;
        read_stacking(at, &place, n, e1, e2, z1, c / 2, w ? 30 : 0, &st);
        /* Letters by first appearance from the bottom. */
        char map[3] = {0, 0, 0}, next = 'A', obs[2 * MAXL];
        size_t p = 0;
        for (int k = st.kmin; k <= st.kmax; k++) {
            int cl = st.cls[k + MAXL / 2];
            if (cl < 0) {
                obs[p++] = '.';
                continue;
            }
            if (!map[cl]) map[cl] = next++;
            obs[p++] = map[cl];
            if (k == kcut) obs[p++] = '|';
        }
        obs[p] = 0;
        printf("%s basal fault (I2):   %s\n", w ? "wurtzite" : "hcp     ", obs);
        CZ_CHECK(st.ok && st.kmin == kmin, "%s: planes read (kmin %d vs %d)", w ? "wz" : "hcp",
                 st.kmin, kmin);
        CZ_CHECK(strstr(obs, "ABABAB|CACACA") != NULL, "%s: I2 fault ...ABAB|CACA...: %s",
                 w ? "wurtzite" : "hcp", obs);
        /* Coherent: the faulted crystal's closest pair is the bulk's. */
        cz_atoms *bulk = build(l, v, &place, 0, NULL, NULL, NULL);
        double dmin = 0, dbulk = 0;
        cz_atoms_min_distance(at, &dmin, NULL);
        cz_atoms_min_distance(bulk, &dbulk, NULL);
        CZ_CHECK_CLOSE(dmin, dbulk, 1e-9, "%s: fault keeps the bulk distance (%g vs %g)",
                       w ? "wz" : "hcp", dmin, dbulk);
        cz_atoms_destroy(bulk);
        if (w) {
            /* Cutting the vertical bond has no stacking step: an error naming the plane. */
            cz_scene *s = NULL;
            cz_scene_create(&s);
            cz_defect_plane bad = sf;
            bad.snap = CZ_SNAP_NONE;
            bad.position = 0.1 * c;
            CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &bad, NULL, NULL, NULL),
                           CZ_EINVAL, "directly over");
            CZ_CHECK(cz_scene_count(s) == 0, "nothing added on failure");
            cz_scene_destroy(s);
        }
        cz_atoms_destroy(at);
        cz_volume_destroy(v);
        cz_lattice_destroy(l);
    }
}

/* Diamond: the rotation twin is coherent; the mirror puts atoms 1.57 Å apart. */
static void test_diamond_twin(void) {
    const double a = 5.431;
    cz_lattice *l = proto("diamond", 14, 0, a, NAN, NAN);
    const double c0[3] = {0.7, 0.2, -0.5};
    cz_volume *v = NULL;
    cz_volume_sphere(c0, 14.0, &v);
    const double bond = a * sqrt(3.0) / 4;
    cz_defect_plane tw;
    cz_defect_plane_default(&tw);
    tw.position = 0.9;
    for (int k = 0; k < 2; k++) {
        tw.kind = k ? CZ_DEFECT_MIRROR : CZ_DEFECT_TWIN;
        cz_atoms *at = build(l, v, NULL, 1, &tw, NULL, NULL);
        double dmin = 0;
        cz_atoms_min_distance(at, &dmin, NULL);
        printf("diamond Si (111) %s: min distance %.6f Å (bond %.6f)\n", k ? "mirror" : "twin  ",
               dmin, bond);
        if (k)
            CZ_CHECK(dmin < 0.85 * bond, "the {111} mirror is not a diamond twin (%g)", dmin);
        else
            CZ_CHECK_CLOSE(dmin, bond, 1e-9, "diamond rotation twin keeps the bond (%g)", dmin);
        /* Every atom keeps four neighbours at the bond length in the interior. */
        if (!k) {
            int *cn = malloc(at->n * sizeof *cn);
            cz_atoms_coordination(at, 1.1 * bond, 0, cn);
            size_t over = 0;
            for (size_t i = 0; i < at->n; i++) over += cn[i] > 4;
            CZ_CHECK(over == 0, "no atom with more than 4 bonds (%zu)", over);
            free(cn);
        }
        cz_atoms_destroy(at);
    }
    cz_volume_destroy(v);
    cz_lattice_destroy(l);
}

static void test_labels_and_options(void) {
    cz_lattice *l = proto("fcc", 29, 0, 3.615, NAN, NAN);
    const double c0[3] = {30, 30, 30};
    cz_volume *v = NULL, *sub = NULL;
    cz_volume_sphere(c0, 12.0, &v);
    const double lo[3] = {0, 0, 0}, e[3][3] = {{20, 0, 0}, {0, 20, 0}, {0, 0, 8}};
    cz_volume_box(lo, e, &sub);
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_object_opts so;
    cz_object_opts_default(&so);
    so.class_id = CZ_CLASS_SUBSTRATE;
    cz_scene_add_crystal(s, l, sub, &so, NULL); /* object 1 */
    cz_defect_plane pl[2];
    cz_defect_plane_default(&pl[0]);
    cz_defect_plane_default(&pl[1]);
    double d = 3.615 / sqrt(3.0), hc = 90.0 / sqrt(3.0);
    pl[0].position = hc - 2 * d;
    pl[1].position = hc + 2 * d;
    cz_defects_opts o;
    cz_defects_opts_default(&o);
    o.object.grain_id = 40;
    o.object.priority = 3;
    cz_defects_info info;
    CZ_CHECK(cz_scene_add_defected_crystal(s, l, v, 2, pl, &o, NULL, &info) == CZ_OK, "%s",
             cz_last_error());
    CZ_CHECK(info.first == 1 && info.ngrains == 3 && cz_scene_count(s) == 4, "indices 1..3");
    cz_scene_add_crystal(s, l, sub, NULL, NULL); /* object 5: default labels */
    cz_atoms *a = NULL;
    cz_scene_populate(s, NULL, &a);
    size_t g[3] = {0}, other = 0;
    int ok = 1;
    for (size_t i = 0; a && i < a->n; i++) {
        if (a->object_id[i] == 2) {
            if (a->grain_id[i] < 40 || a->grain_id[i] > 42 || a->class_id[i] != CZ_CLASS_PARTICLE)
                ok = 0;
            else
                g[a->grain_id[i] - 40]++;
        } else {
            other++;
            if (a->object_id[i] != 1 && a->object_id[i] != 5) ok = 0;
        }
    }
    CZ_CHECK(ok && g[0] && g[1] && g[2], "grains 40, 41, 42 of object 2: %zu %zu %zu", g[0], g[1],
             g[2]);
    cz_atoms_destroy(a);
    cz_scene_destroy(s);

    /* No planes: one grain, the plain crystal. */
    cz_scene_create(&s);
    CZ_CHECK(cz_scene_add_defected_crystal(s, l, v, 0, NULL, NULL, NULL, &info) == CZ_OK &&
                 info.ngrains == 1,
             "no planes, one grain");
    cz_scene_populate(s, NULL, &a);
    size_t want = 0;
    cz_fill_count(l, v, NULL, &want);
    CZ_CHECK(a && a->n == want, "plain crystal: %zu atoms, want %zu", a ? a->n : 0, want);
    cz_atoms_destroy(a);
    cz_scene_destroy(s);
    /* A plane outside the volume leaves an empty cell, which is dropped. */
    cz_scene_create(&s);
    pl[0].position = hc + 40.0;
    CZ_CHECK(cz_scene_add_defected_crystal(s, l, v, 1, pl, NULL, NULL, &info) == CZ_OK &&
                 info.ngrains == 1,
             "empty cells are dropped (%zu)", info.ngrains);
    cz_scene_destroy(s);
    /* Any volume: an octahedron of {111} facets away from the origin, with a twin and a
     * fault on (−1 1 1) near its centre. */
    const double nrm[8][3] = {{1, 1, 1},  {1, 1, -1},  {1, -1, 1},  {1, -1, -1},
                              {-1, 1, 1}, {-1, 1, -1}, {-1, -1, 1}, {-1, -1, -1}};
    double off[8];
    const double oc[3] = {-6.5, 3.25, 11.0};
    for (int k = 0; k < 8; k++)
        off[k] = (nrm[k][0] * oc[0] + nrm[k][1] * oc[1] + nrm[k][2] * oc[2]) + 14.0 * sqrt(3.0);
    cz_volume *oct = NULL;
    cz_volume_polyhedron(8, nrm, off, &oct);
    cz_defect_plane_default(&pl[0]);
    pl[0].hkl[0] = -1;
    pl[0].position = (6.5 + 3.25 + 11.0) / sqrt(3.0) + 1.0;
    cz_defect_plane_default(&pl[1]);
    pl[1].hkl[0] = -1;
    pl[1].kind = CZ_DEFECT_SHIFT;
    pl[1].position = pl[0].position - 7.0;
    cz_scene_create(&s);
    CZ_CHECK(cz_scene_add_defected_crystal(s, l, oct, 2, pl, NULL, NULL, &info) == CZ_OK &&
                 info.ngrains == 3,
             "octahedron: 3 grains (%zu)", info.ngrains);
    cz_scene_populate(s, NULL, &a);
    double dmin = 0;
    cz_atoms_min_distance(a, &dmin, NULL);
    int in = 1;
    for (size_t i = 0; i < a->n; i++) in &= cz_volume_contains(oct, a->xyz[i]);
    CZ_CHECK(in && a->n > 1000, "octahedron: %zu atoms inside", a->n);
    CZ_CHECK_CLOSE(dmin, 3.615 / sqrt(2.0), 1e-9, "octahedron: coherent (%g)", dmin);
    cz_atoms_destroy(a);
    cz_scene_destroy(s);
    cz_volume_destroy(oct);
    cz_volume_destroy(v);
    cz_volume_destroy(sub);
    cz_lattice_destroy(l);
}

static void test_errors(void) {
    cz_lattice *l = proto("fcc", 79, 0, AU_A, NAN, NAN), *h = proto("hcp", 27, 0, 2.5071, NAN, NAN);
    const double c0[3] = {0, 0, 0}, nz[3] = {0, 0, 1};
    cz_volume *v = NULL, *hs = NULL;
    cz_volume_sphere(c0, 10.0, &v);
    cz_volume_halfspace(nz, c0, &hs);
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_defect_plane p;
    cz_defect_plane_default(&p);
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(NULL, l, v, 1, &p, NULL, NULL, NULL), CZ_EINVAL,
                   "must not be NULL");
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, NULL, NULL, NULL, NULL), CZ_EINVAL,
                   "planes must not be NULL");
    cz_defect_plane many[CZ_DEFECTS_MAX_PLANES + 1];
    for (int i = 0; i <= CZ_DEFECTS_MAX_PLANES; i++) cz_defect_plane_default(&many[i]);
    CZ_CHECK_FAILS(
        cz_scene_add_defected_crystal(s, l, v, CZ_DEFECTS_MAX_PLANES + 1, many, NULL, NULL, NULL),
        CZ_ERANGE, "CZ_DEFECTS_MAX_PLANES");
    cz_defect_plane q = p;
    q.hkl[0] = q.hkl[1] = q.hkl[2] = 0;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &q, NULL, NULL, NULL), CZ_EINVAL,
                   "(0 0 0)");
    q = p;
    q.position = NAN;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &q, NULL, NULL, NULL), CZ_EINVAL,
                   "position must be finite");
    q = p;
    q.kind = CZ_DEFECT_SHIFT;
    q.shift[0] = INFINITY;
    q.shift[1] = q.shift[2] = 0;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &q, NULL, NULL, NULL), CZ_EINVAL,
                   "shift must be finite");
    q = p;
    q.kind = (cz_defect_kind)9;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &q, NULL, NULL, NULL), CZ_EINVAL,
                   "unknown kind 9");
    q = p;
    q.snap = (cz_defect_snap)7;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &q, NULL, NULL, NULL), CZ_EINVAL,
                   "unknown snap mode 7");
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, hs, 1, &p, NULL, NULL, NULL), CZ_EINVAL,
                   "unbounded");
    cz_defects_opts o;
    cz_defects_opts_default(&o);
    memset(o.placement.m, 0, sizeof o.placement.m);
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &p, &o, NULL, NULL), CZ_EINVAL,
                   "invertible");
    cz_defects_opts_default(&o);
    o.object.class_id = 5;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &p, &o, NULL, NULL), CZ_EINVAL,
                   "class_id");
    cz_defects_opts_default(&o);
    o.object.grain_id = -4;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &p, &o, NULL, NULL), CZ_EINVAL,
                   "grain_id");
    cz_defects_opts_default(&o);
    o.object.object_id = -1;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &p, &o, NULL, NULL), CZ_EINVAL,
                   "object_id");
    /* Two twins that snap onto the same plane; (2 2 2) is the same family as (1 1 1). */
    cz_defect_plane two[2] = {p, p};
    two[0].position = 0.2;
    two[1].hkl[0] = two[1].hkl[1] = two[1].hkl[2] = 2;
    two[1].position = -0.3;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 2, two, NULL, NULL, NULL), CZ_EINVAL,
                   "coincide");
    /* Four crossing families of eight planes: 9^4 cells. */
    const int var[4][3] = {{1, 1, 1}, {-1, 1, 1}, {1, -1, 1}, {1, 1, -1}};
    for (int f = 0; f < 4; f++)
        for (int k = 0; k < 8; k++) {
            cz_defect_plane *m = &many[8 * f + k];
            memcpy(m->hkl, var[f], sizeof m->hkl);
            m->position = (k - 4) * 2.5;
        }
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 32, many, NULL, NULL, NULL), CZ_ERANGE,
                   "CZ_DEFECTS_MAX_CELLS");
    /* A volume far too large to count, and grain ids past INT_MAX. */
    cz_volume *huge = NULL;
    cz_volume_sphere(c0, 1e7, &huge);
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, huge, 1, &p, NULL, NULL, NULL), CZ_ERANGE,
                   "cap");
    cz_volume_destroy(huge);
    cz_defects_opts_default(&o);
    o.object.grain_id = 2147483647 - 1;
    CZ_CHECK_FAILS(cz_scene_add_defected_crystal(s, l, v, 1, &p, &o, NULL, NULL), CZ_ERANGE,
                   "overflow");
    CZ_CHECK(cz_scene_count(s) == 0, "failed calls add nothing");

    /* cz_defect_planes_draw. */
    cz_defect_draw_opts d;
    cz_defect_draw_opts_default(&d);
    cz_defect_plane out[4];
    CZ_CHECK_FAILS(cz_defect_planes_draw(NULL, v, &d, 4, out), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 0, out), CZ_ERANGE, "capacity 0");
    d.ntwins = 40;
    d.nfaults = 40;
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 4, out), CZ_ERANGE, "CZ_DEFECTS_MAX_PLANES");
    cz_defect_draw_opts_default(&d);
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 1, NULL), CZ_EINVAL, "planes must not be NULL");
    d.family = (cz_defect_family)8;
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 4, out), CZ_EINVAL, "unknown family 8");
    d.family = CZ_FAMILY_CUSTOM;
    d.nvariants = 5;
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 4, out), CZ_EINVAL, "nvariants must be 1..4");
    d.nvariants = 1;
    memset(d.variants, 0, sizeof d.variants);
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 4, out), CZ_EINVAL, "(0 0 0)");
    cz_defect_draw_opts_default(&d);
    CZ_CHECK_FAILS(cz_defect_planes_draw(h, v, &d, 4, out), CZ_EINVAL, "cubic cell");
    d.family = CZ_FAMILY_HEX_0001;
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 4, out), CZ_EINVAL, "hexagonal cell");
    CZ_CHECK(cz_defect_planes_draw(h, v, &d, 4, out) == CZ_OK && out[0].hkl[2] == 1 &&
                 out[0].hkl[0] == 0,
             "basal planes for hcp: %s", cz_last_error());
    cz_defect_draw_opts_default(&d);
    d.min_separation = -1;
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 4, out), CZ_EINVAL, "min_separation");
    cz_defect_draw_opts_default(&d);
    d.margin = -0.5;
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 4, out), CZ_EINVAL, "margin");
    cz_defect_draw_opts_default(&d);
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, hs, &d, 4, out), CZ_EINVAL, "unbounded");
    d.ntwins = 4;
    d.min_separation = 5.0;
    CZ_CHECK_FAILS(cz_defect_planes_draw(l, v, &d, 4, out), CZ_EINVAL, "do not fit");
    cz_defect_draw_opts_default(&d);
    d.ntwins = 0;
    CZ_CHECK(cz_defect_planes_draw(l, v, &d, 0, NULL) == CZ_OK, "zero planes is fine");
    cz_defect_plane_default(NULL);
    cz_defects_opts_default(NULL);
    cz_defect_draw_opts_default(NULL);
    cz_scene_destroy(s);
    cz_volume_destroy(v);
    cz_volume_destroy(hs);
    cz_lattice_destroy(l);
    cz_lattice_destroy(h);
}

int main(void) {
    test_twin_and_fault_sequences();
    test_random_planes_offcentre();
    test_hexagonal_faults();
    test_diamond_twin();
    test_labels_and_options();
    test_errors();
    return cz_test_summary("defects");
}
