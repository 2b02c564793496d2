/* test_sim_masks.c — ground truth: footprint masks per class (exact pixel sets, periodic wrap,
 * clipping), label / object-id maps with priority and nearest-column overlap rules, the phase
 * mask of a particle-only exit wave, atom columns of fcc crystals along [001], errors. */
#include <stdint.h>

#include "cz/cz_sim.h"
#include "cz_test.h"

static cz_sim_label_opts grid(size_t nx, size_t ny, double dx, double dy, double r) {
    cz_sim_label_opts o;
    cz_sim_label_opts_default(&o);
    o.nx = nx;
    o.ny = ny;
    o.dx = dx;
    o.dy = dy;
    o.radius = r;
    return o;
}

/* Brute force: is pixel (i, j) within r of (x, y), minimum image over the periodic field? */
static int covered(const cz_sim_label_opts *o, size_t i, size_t j, double x, double y,
                   int periodic) {
    double lx = o->nx * o->dx, ly = o->ny * o->dy;
    for (int a = periodic ? -1 : 0; a <= (periodic ? 1 : 0); a++)
        for (int b = periodic ? -1 : 0; b <= (periodic ? 1 : 0); b++) {
            double ddx = i * o->dx - (x + a * lx), ddy = j * o->dy - (y + b * ly);
            if (ddx * ddx + ddy * ddy <= o->radius * o->radius) return 1;
        }
    return 0;
}

static void test_footprints(void) {
    cz_sim_label_opts o = grid(90, 70, 0.0731, 0.0687, 1.137);
    size_t npix = o.nx * o.ny;
    uint8_t *m = malloc(3 * npix);
    /* A single atom in the middle, and one across the periodic corner. */
    const double pos[2][2] = {{3.1415, 2.2718}, {6.55, -0.031}};
    for (int t = 0; t < 2; t++) {
        for (int periodic = 1; periodic >= 0; periodic--) {
            o.flags = periodic ? 0 : CZ_SIM_LABEL_NONPERIODIC;
            double xyz[1][3] = {{pos[t][0], pos[t][1], 7.0}};
            int lab[1] = {1};
            CZ_CHECK(cz_sim_mask_classes(&o, 1, CZ_CROWS(xyz), lab, 3, m, 3 * npix) == CZ_OK, "%s",
                     cz_sim_last_error());
            size_t wrong = 0, count = 0, other = 0;
            for (size_t j = 0; j < o.ny; j++)
                for (size_t i = 0; i < o.nx; i++) {
                    int want = covered(&o, i, j, pos[t][0], pos[t][1], periodic);
                    wrong += m[npix + j * o.nx + i] != want;
                    count += want;
                    other += m[j * o.nx + i] + m[2 * npix + j * o.nx + i];
                }
            printf("info: footprint atom %d (%s): %zu pixels, %zu wrong\n", t,
                   periodic ? "periodic" : "clipped", count, wrong);
            CZ_CHECK(wrong == 0 && count > 100 && other == 0,
                     "atom %d periodic %d: %zu wrong of %zu, %zu in other channels", t, periodic,
                     wrong, count, other);
        }
    }
    o.flags = 0;
    /* Classes: labels outside [0, nclass) are ignored; channels overlap. */
    double xyz[3][3] = {{2.0, 2.0, 0}, {2.3, 2.0, 0}, {5.0, 3.0, 0}};
    int lab[3] = {0, 2, 5};
    cz_sim_mask_classes(&o, 3, CZ_CROWS(xyz), lab, 3, m, 3 * npix);
    size_t p = (size_t)(2.0 / o.dy + 0.5) * o.nx + (size_t)(2.15 / o.dx + 0.5);
    CZ_CHECK(m[p] == 1 && m[npix + p] == 0 && m[2 * npix + p] == 1, "overlapping channels");
    size_t far = (size_t)(3.0 / o.dy + 0.5) * o.nx + (size_t)(5.0 / o.dx + 0.5);
    CZ_CHECK(m[far] == 0 && m[npix + far] == 0 && m[2 * npix + far] == 0,
             "label 5 >= nclass is ignored");
    /* Errors. */
    cz_sim_label_opts b = o;
    b.radius = 0;
    CZ_CHECK_FAILS(cz_sim_mask_classes(&b, 3, CZ_CROWS(xyz), lab, 3, m, 3 * npix), CZ_EINVAL,
                   "radius");
    b = o;
    b.dx = -0.1;
    CZ_CHECK_FAILS(cz_sim_mask_classes(&b, 3, CZ_CROWS(xyz), lab, 3, m, 3 * npix), CZ_EINVAL,
                   "pixel size");
    b = o;
    b.nx = 0;
    CZ_CHECK_FAILS(cz_sim_mask_classes(&b, 3, CZ_CROWS(xyz), lab, 3, m, 3 * npix), CZ_EINVAL,
                   "grid");
    b = o;
    b.flags = 1u << 5;
    CZ_CHECK_FAILS(cz_sim_mask_classes(&b, 3, CZ_CROWS(xyz), lab, 3, m, 3 * npix), CZ_EINVAL,
                   "flags");
    CZ_CHECK_FAILS(cz_sim_mask_classes(&o, 3, CZ_CROWS(xyz), lab, 0, m, 3 * npix), CZ_EINVAL,
                   "nclass");
    m[0] = 9;
    CZ_CHECK_FAILS(cz_sim_mask_classes(&o, 3, CZ_CROWS(xyz), lab, 3, m, 3 * npix - 1), CZ_ERANGE,
                   "out holds");
    CZ_CHECK(m[0] == 9, "nothing written on CZ_ERANGE");
    xyz[1][1] = NAN;
    CZ_CHECK_FAILS(cz_sim_mask_classes(&o, 3, CZ_CROWS(xyz), lab, 3, m, 3 * npix), CZ_EINVAL,
                   "atom 1");
    CZ_CHECK_FAILS(cz_sim_mask_classes(NULL, 3, CZ_CROWS(xyz), lab, 3, m, 3 * npix), CZ_EINVAL,
                   "opts");
    free(m);
}

static void test_label_map(void) {
    cz_sim_label_opts o = grid(128, 96, 0.1, 0.1, 1.2);
    size_t npix = o.nx * o.ny;
    int *map = malloc(npix * sizeof *map);
    /* Two separated particles: object 3 (a 7-atom hexagon at (3.2, 4.1)) and object 7 (a 3 × 3
     * square at (8.9, 5.3)); one unlabelled atom (object 0) in between. */
    double xyz[17][3];
    int obj[17];
    size_t n = 0;
    for (int k = 0; k < 7; k++) {
        double a = k ? (k - 1) * 3.14159265358979 / 3 : 0, r = k ? 1.44 : 0;
        xyz[n][0] = 3.2 + r * cos(a), xyz[n][1] = 4.1 + r * sin(a), xyz[n][2] = 1;
        obj[n++] = 3;
    }
    for (int a = 0; a < 3; a++)
        for (int c = 0; c < 3; c++) {
            xyz[n][0] = 8.9 + 1.2 * (a - 1), xyz[n][1] = 5.3 + 1.2 * (c - 1), xyz[n][2] = 1;
            obj[n++] = 7;
        }
    xyz[n][0] = 6.0, xyz[n][1] = 1.0, xyz[n][2] = 1;
    obj[n++] = 0;
    CZ_CHECK(cz_sim_label_map(&o, n, CZ_CROWS(xyz), obj, NULL, map, npix) == CZ_OK, "%s",
             cz_sim_last_error());
    size_t wrong = 0, c3 = 0, c7 = 0;
    for (size_t j = 0; j < o.ny; j++)
        for (size_t i = 0; i < o.nx; i++) {
            int want = 0;
            for (size_t a = 0; a < n; a++)
                if (obj[a] > 0 && covered(&o, i, j, xyz[a][0], xyz[a][1], 1)) want = obj[a];
            wrong += map[j * o.nx + i] != want;
            c3 += map[j * o.nx + i] == 3;
            c7 += map[j * o.nx + i] == 7;
        }
    printf("info: object-id map: %zu px object 3, %zu px object 7, %zu wrong\n", c3, c7, wrong);
    CZ_CHECK(wrong == 0 && c3 > 300 && c7 > 300, "object-id map: %zu wrong", wrong);
    /* Overlap: two atoms 1.0 Å apart. Nearest rule: each pixel goes to the nearer atom (the
     * perpendicular bisector); priority rule: the higher priority takes the whole overlap. */
    double two[2][3] = {{5.03, 4.02, 0}, {6.03, 4.02, 0}};
    int ids[2] = {11, 12}, prio[2] = {0, 5};
    cz_sim_label_map(&o, 2, CZ_CROWS(two), ids, NULL, map, npix);
    size_t bad = 0;
    for (size_t j = 0; j < o.ny; j++)
        for (size_t i = 0; i < o.nx; i++) {
            double d0 = hypot(i * o.dx - 5.03, j * o.dy - 4.02),
                   d1 = hypot(i * o.dx - 6.03, j * o.dy - 4.02);
            int want = (d0 <= 1.2 || d1 <= 1.2) ? (d0 <= d1 ? 11 : 12) : 0;
            if (d0 <= 1.2 && d1 > 1.2) want = 11;
            if (d1 <= 1.2 && d0 > 1.2) want = 12;
            bad += map[j * o.nx + i] != want;
        }
    CZ_CHECK(bad == 0, "nearest-column rule: %zu pixels wrong", bad);
    cz_sim_label_map(&o, 2, CZ_CROWS(two), ids, prio, map, npix);
    bad = 0;
    for (size_t j = 0; j < o.ny; j++)
        for (size_t i = 0; i < o.nx; i++) {
            double d0 = hypot(i * o.dx - 5.03, j * o.dy - 4.02),
                   d1 = hypot(i * o.dx - 6.03, j * o.dy - 4.02);
            int want = d1 <= 1.2 ? 12 : d0 <= 1.2 ? 11 : 0;
            bad += map[j * o.nx + i] != want;
        }
    CZ_CHECK(bad == 0, "priority rule: %zu pixels wrong", bad);
    map[0] = 99;
    CZ_CHECK_FAILS(cz_sim_label_map(&o, 2, CZ_CROWS(two), ids, prio, map, npix - 1), CZ_ERANGE,
                   "out holds");
    CZ_CHECK(map[0] == 99, "nothing written on CZ_ERANGE");
    CZ_CHECK_FAILS(cz_sim_label_map(&o, 2, CZ_CROWS(two), NULL, prio, map, npix), CZ_EINVAL,
                   "label");
    free(map);
}

static void test_phase_mask(void) {
    /* A particle-only exit wave: a small Au cluster in vacuum. */
    cz_sim_opts so;
    cz_sim_opts_default(&so);
    so.nx = so.ny = 160;
    so.flags = CZ_SIM_FFTW_ESTIMATE;
    so.wisdom_path = "";
    double l = 16.32, cell[3][3] = {{l, 0, 0}, {0, l, 0}, {0, 0, 10}};
    cz_sim_plan *p = NULL;
    CZ_CHECK(cz_sim_plan_create(&so, CZ_CROWS(cell), &p) == CZ_OK, "%s", cz_sim_last_error());
    if (!p) return;
    double xyz[8][3];
    int z[8];
    for (int k = 0; k < 8; k++) {
        xyz[k][0] = 6.1 + 2.04 * (k % 2);
        xyz[k][1] = 7.3 + 2.04 * ((k / 2) % 2);
        xyz[k][2] = 3.0 + 2.04 * (k / 4);
        z[k] = 79;
    }
    cz_sim_set_atoms(p, 8, CZ_CROWS(xyz), z);
    cz_sim_info info;
    cz_sim_plan_info(p, &info);
    float *w = malloc(info.wave_len * sizeof *w);
    cz_sim_run(p, w, info.wave_len);
    uint8_t *m = malloc(info.image_len);
    CZ_CHECK(cz_sim_mask_phase(info.nx, info.ny, w, info.wave_len, 0.1, m, info.image_len) == CZ_OK,
             "%s", cz_sim_last_error());
    /* Every column position is inside the mask; nothing farther than 2.5 Å from a column is. */
    int cols_in = 1;
    size_t far_in = 0, count = 0;
    for (int k = 0; k < 4; k++) {
        size_t i = (size_t)(xyz[k][0] / info.dx + 0.5), j = (size_t)(xyz[k][1] / info.dy + 0.5);
        cols_in &= m[j * info.nx + i];
    }
    for (size_t j = 0; j < info.ny; j++)
        for (size_t i = 0; i < info.nx; i++) {
            double dmin = 1e9;
            for (int k = 0; k < 4; k++)
                dmin = fmin(dmin, hypot(i * info.dx - xyz[k][0], j * info.dy - xyz[k][1]));
            far_in += m[j * info.nx + i] && dmin > 2.5;
            count += m[j * info.nx + i];
        }
    printf("info: phase mask (0.1 rad) of an 8-atom Au cluster: %zu px, %zu beyond 2.5 Å\n", count,
           far_in);
    CZ_CHECK(cols_in, "column positions must be in the phase mask");
    CZ_CHECK(far_in == 0, "%zu pixels beyond 2.5 Å of a column are in the mask", far_in);
    /* A synthetic wave: phase exactly ±0.3 rad inside a band, 0 outside; threshold 0.25. */
    for (size_t j = 0; j < info.ny; j++)
        for (size_t i = 0; i < info.nx; i++) {
            double ph = (i >= 40 && i < 60) ? ((j % 2) ? 0.3 : -0.3) : 0.01;
            w[2 * (j * info.nx + i)] = (float)(0.9 * cos(ph));
            w[2 * (j * info.nx + i) + 1] = (float)(0.9 * sin(ph));
        }
    cz_sim_mask_phase(info.nx, info.ny, w, info.wave_len, 0.25, m, info.image_len);
    size_t wrong = 0;
    for (size_t j = 0; j < info.ny; j++)
        for (size_t i = 0; i < info.nx; i++) wrong += m[j * info.nx + i] != (i >= 40 && i < 60);
    CZ_CHECK(wrong == 0, "synthetic phase band: %zu pixels wrong", wrong);
    CZ_CHECK_FAILS(cz_sim_mask_phase(info.nx, info.ny, w, info.wave_len, 0.0, m, info.image_len),
                   CZ_EINVAL, "threshold_rad");
    CZ_CHECK_FAILS(cz_sim_mask_phase(info.nx, info.ny, w, info.wave_len, 4.0, m, info.image_len),
                   CZ_EINVAL, "threshold_rad");
    CZ_CHECK_FAILS(
        cz_sim_mask_phase(info.nx, info.ny, w, info.wave_len - 1, 0.1, m, info.image_len),
        CZ_ERANGE, "wave holds");
    CZ_CHECK_FAILS(
        cz_sim_mask_phase(info.nx, info.ny, w, info.wave_len, 0.1, m, info.image_len - 1),
        CZ_ERANGE, "out holds");
    CZ_CHECK_FAILS(cz_sim_mask_phase(0, info.ny, w, info.wave_len, 0.1, m, info.image_len),
                   CZ_EINVAL, "grid");
    CZ_CHECK_FAILS(cz_sim_mask_phase(info.nx, info.ny, NULL, info.wave_len, 0.1, m, info.image_len),
                   CZ_EINVAL, "NULL");
    free(w);
    free(m);
    cz_sim_plan_destroy(p);
}

/* fcc crystal of nc × nc × nz cubic cells (a), optionally shifted. Along [001] every cell holds
 * 4 columns ((0,0), (½,½) from z = 0 and (½,0), (0,½) from z = ½), each with one atom per cell. */
static size_t fcc(double a, int nc, int nz, double sx, double sy, double (*xyz)[3], int *z,
                  int *obj) {
    const double basis[4][3] = {{0, 0, 0}, {0.5, 0.5, 0}, {0.5, 0, 0.5}, {0, 0.5, 0.5}};
    size_t n = 0;
    for (int k = 0; k < nz; k++)
        for (int j = 0; j < nc; j++)
            for (int i = 0; i < nc; i++)
                for (int b = 0; b < 4; b++) {
                    xyz[n][0] = (i + basis[b][0]) * a + sx;
                    xyz[n][1] = (j + basis[b][1]) * a + sy;
                    xyz[n][2] = (k + basis[b][2]) * a;
                    z[n] = 79;
                    obj[n] = 1;
                    n++;
                }
    return n;
}

static void test_columns(void) {
    const double a = 4.08;
    const int nc = 6, nz = 5;
    size_t nmax = (size_t)4 * nc * nc * nz;
    double(*xyz)[3] = malloc(nmax * sizeof *xyz);
    int *z = malloc(nmax * sizeof *z), *obj = malloc(nmax * sizeof *obj);
    /* Periodic field = the crystal's own period, atoms on the field edge (wrap-around). */
    size_t n = fcc(a, nc, nz, -0.03, 0.0, xyz, z, obj);
    cz_sim_label_opts o = grid(245, 245, a * nc / 245, a * nc / 245, 1.0);
    /* Substitute: in column (0,0) of cell (0,0) three of five atoms become Pt (78), and two atoms
     * of another column belong to object 2. */
    int sub = 0;
    for (size_t i = 0; i < n && sub < 3; i++)
        if (fabs(xyz[i][0] + 0.03) < 1e-9 && xyz[i][1] == 0.0) z[i] = 78, sub++;
    int moved = 0;
    for (size_t i = 0; i < n && moved < 2; i++)
        if (fabs(xyz[i][0] - (2.5 * a - 0.03)) < 1e-9 && fabs(xyz[i][1] - 3.5 * a) < 1e-9)
            obj[i] = 2, moved++;
    /* Thermal-like scatter within the tolerance. */
    for (size_t i = 0; i < n; i++) {
        xyz[i][0] += 0.05 * sin(1.7 * i);
        xyz[i][1] += 0.05 * cos(2.3 * i);
    }
    size_t ncol = 0;
    CZ_CHECK(cz_sim_columns(&o, n, CZ_CROWS(xyz), z, obj, NULL, 0, &ncol) == CZ_OK, "%s",
             cz_sim_last_error());
    CZ_CHECK(ncol == (size_t)4 * nc * nc, "fcc [001]: %zu columns (want %d)", ncol, 4 * nc * nc);
    cz_sim_column *cols = malloc(ncol * sizeof *cols);
    size_t got = 0;
    CZ_CHECK_FAILS(cz_sim_columns(&o, n, CZ_CROWS(xyz), z, obj, cols, ncol - 1, &got), CZ_ERANGE,
                   "columns");
    CZ_CHECK(got == ncol, "ncol set on CZ_ERANGE");
    CZ_CHECK(cz_sim_columns(&o, n, CZ_CROWS(xyz), z, obj, cols, ncol, &got) == CZ_OK, "%s",
             cz_sim_last_error());
    int counts_ok = 1, sorted = 1, on_lattice = 1, pt = 0, obj2 = 0;
    for (size_t c = 0; c < got; c++) {
        counts_ok &= cols[c].count == (size_t)nz;
        if (c)
            sorted &= cols[c].y > cols[c - 1].y ||
                      (cols[c].y == cols[c - 1].y && cols[c].x > cols[c - 1].x);
        /* Column positions: multiples of a/2, minus the 0.03 Å shift (pixel units). */
        double fx = (cols[c].x * o.dx + 0.03) / (0.5 * a), fy = cols[c].y * o.dy / (0.5 * a);
        fx -= floor(fx / (2 * nc)) * 2 * nc;
        on_lattice &= fabs(fx - floor(fx + 0.5)) < 0.05 && fabs(fy - floor(fy + 0.5)) < 0.05;
        if (cols[c].z == 78) pt++;
        if (cols[c].object == 2) obj2++;
        CZ_CHECK(cols[c].x >= 0 && cols[c].x < o.nx && cols[c].y >= 0 && cols[c].y < o.ny,
                 "column %zu inside the field (%g, %g)", c, cols[c].x, cols[c].y);
    }
    CZ_CHECK(counts_ok, "every column holds %d atoms", nz);
    CZ_CHECK(sorted, "columns sorted by y, then x");
    CZ_CHECK(on_lattice, "column positions on the projected lattice");
    CZ_CHECK(pt == 1, "majority Z: one Pt column (got %d)", pt);
    CZ_CHECK(obj2 == 0, "majority object: 2 of 5 atoms do not win (got %d)", obj2);
    printf("info: fcc Au [001] %dx%dx%d cells: %zu columns of %zu atoms\n", nc, nc, nz, got,
           cols[0].count);
    /* Non-periodic, a larger field with the crystal inside and no object array. */
    cz_sim_label_opts onp = grid(400, 400, 0.1, 0.1, 1.0);
    onp.flags = CZ_SIM_LABEL_NONPERIODIC;
    n = fcc(a, 3, 4, 5.0, 6.0, xyz, z, obj);
    CZ_CHECK(cz_sim_columns(&onp, n, CZ_CROWS(xyz), z, NULL, cols, ncol, &got) == CZ_OK, "%s",
             cz_sim_last_error());
    CZ_CHECK(got == 36, "fcc 3x3x4 [001]: %zu columns (want 36)", got);
    int ok = 1;
    for (size_t c = 0; c < got; c++) ok &= cols[c].count == 4 && cols[c].object == 0;
    CZ_CHECK(ok, "non-periodic columns: 4 atoms each, object 0 without object ids");
    /* A tolerance above the projected column spacing (a/2 = 2.04 Å) chains every column of the
     * crystal into one (single linkage). */
    cz_sim_label_opts big = onp;
    big.column_tol = 2.1;
    cz_sim_columns(&big, n, CZ_CROWS(xyz), z, NULL, NULL, 0, &got);
    CZ_CHECK(got == 1, "a tolerance above the column spacing merges the columns (%zu)", got);
    /* Errors. */
    cz_sim_label_opts bad = o;
    bad.column_tol = 0;
    CZ_CHECK_FAILS(cz_sim_columns(&bad, n, CZ_CROWS(xyz), z, NULL, NULL, 0, &got), CZ_EINVAL,
                   "column_tol");
    bad.column_tol = 13.0;
    CZ_CHECK_FAILS(cz_sim_columns(&bad, n, CZ_CROWS(xyz), z, NULL, NULL, 0, &got), CZ_EINVAL,
                   "half the field");
    CZ_CHECK_FAILS(cz_sim_columns(&o, n, CZ_CROWS(xyz), NULL, NULL, NULL, 0, &got), CZ_EINVAL,
                   "NULL");
    CZ_CHECK_FAILS(cz_sim_columns(&o, n, CZ_CROWS(xyz), z, NULL, NULL, 0, NULL), CZ_EINVAL, "ncol");
    CZ_CHECK(cz_sim_columns(&o, 0, NULL, NULL, NULL, NULL, 0, &got) == CZ_OK && got == 0,
             "no atoms, no columns");
    free(xyz);
    free(z);
    free(obj);
    free(cols);
}

int main(void) {
    test_footprints();
    test_label_map();
    test_phase_mask();
    test_columns();
    return cz_test_summary("sim_masks");
}
