/* test_orthogonal.c — cz_atoms_orthogonalize: hexagonal (120° and 60°), rational triclinic
 * and irrational in-plane cells checked against exhaustive searches over all small integer
 * matrices; neighbour shells, minimum distances, counts, density and labels preserved; an
 * orthogonal cell returned byte for byte; rotated cells turned back; every documented error. */
#include <stdint.h>

#include "cz/cz.h"
#include "cz_test.h"

static const double PI = 3.14159265358979323846;

/* A structure with the given cell rows and atoms (fractional in-plane coordinates in a, b;
 * Cartesian z), labels object_id = 10 + p, grain_id = 20 + p, class_id = p % 4. */
static cz_atoms *make(const double cell[3][3], const int pbc[3], size_t n, const double frac[][3],
                      const int z[]) {
    cz_atoms *at = NULL;
    if (cz_atoms_create(n, &at) != CZ_OK) return NULL;
    for (size_t p = 0; p < n; p++) {
        double r[3];
        for (int q = 0; q < 3; q++) r[q] = frac[p][0] * cell[0][q] + frac[p][1] * cell[1][q];
        r[2] += frac[p][2];
        if (cz_atoms_push(at, r, z[p], 10 + (int)p, 20 + (int)p, (int)(p % 4)) != CZ_OK) {
            cz_atoms_destroy(at);
            return NULL;
        }
    }
    /* Cells with an in-plane c are set directly (cz_atoms_set_cell accepts them too). */
    if (cz_atoms_set_cell(at, cell, pbc) != CZ_OK) {
        cz_atoms_destroy(at);
        return NULL;
    }
    return at;
}

static void hex_cell(double a, double gamma_deg, double rot_deg, double c, double cell[3][3]) {
    double g = gamma_deg * PI / 180, r = rot_deg * PI / 180;
    double a2[2] = {a, 0}, b2[2] = {a * cos(g), a * sin(g)};
    memset(cell, 0, 9 * sizeof(double));
    cell[0][0] = a2[0] * cos(r) - a2[1] * sin(r);
    cell[0][1] = a2[0] * sin(r) + a2[1] * cos(r);
    cell[1][0] = b2[0] * cos(r) - b2[1] * sin(r);
    cell[1][1] = b2[0] * sin(r) + b2[1] * cos(r);
    cell[2][2] = c;
}

static double area2(const double cell[3][3]) {
    return fabs(cell[0][0] * cell[1][1] - cell[0][1] * cell[1][0]);
}

/* Sorted distances below rc (at most m of them) from atom p to every atom and in-plane
 * periodic image, itself at the origin excluded: a duplicate shows as a distance 0. The image
 * range covers rc along both cell heights. Returns the count stored. */
static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}
static size_t shell(const cz_atoms *at, size_t p, double rc, double *d, size_t m) {
    const double(*c)[3] = (const double(*)[3])at->cell;
    double S = area2(CZ_CROWS(at->cell));
    int nu = (int)ceil(rc / (S / hypot(c[1][0], c[1][1]))) + 1;
    int nv = (int)ceil(rc / (S / hypot(c[0][0], c[0][1]))) + 1;
    size_t cnt = 0;
    for (size_t q = 0; q < at->n; q++)
        for (int u = -nu; u <= nu; u++)
            for (int v = -nv; v <= nv; v++) {
                if (q == p && u == 0 && v == 0) continue;
                double s2 = 0;
                for (int k = 0; k < 3; k++) {
                    double r = at->xyz[q][k] + u * c[0][k] + v * c[1][k] - at->xyz[p][k];
                    s2 += r * r;
                }
                double dd = sqrt(s2);
                if (dd >= rc) continue;
                if (cnt < m) {
                    d[cnt++] = dd;
                } else {
                    /* Keep the m smallest: replace the largest kept. */
                    size_t w = 0;
                    for (size_t t = 1; t < m; t++)
                        if (d[t] > d[w]) w = t;
                    if (dd < d[w]) d[w] = dd;
                }
            }
    qsort(d, cnt, sizeof *d, cmp_double);
    return cnt;
}

/* Smallest distance between two atoms or an atom and its own images (any in-plane image). */
static double min_dist(const cz_atoms *at) {
    double best = INFINITY, d[1];
    for (size_t p = 0; p < at->n; p++)
        if (shell(at, p, 6.0, d, 1) == 1 && d[0] < best) best = d[0];
    return best;
}

/* Every output atom: inside [0, L) in x and y, labels of input atom q % n, and the same
 * neighbour shell (every distance below 4.5 Å) as that input atom. */
static void check_structure(const char *what, const cz_atoms *in, const cz_atoms *out, long det) {
    size_t n = in->n;
    CZ_CHECK(out->n == (size_t)labs(det) * n, "%s: %zu atoms, want |%ld| × %zu", what, out->n, det,
             n);
    CZ_CHECK(out->cell[0][1] == 0 && out->cell[0][2] == 0 && out->cell[1][0] == 0 &&
                 out->cell[1][2] == 0 && out->cell[0][0] > 0 && out->cell[1][1] > 0,
             "%s: output cell not orthogonal along x, y", what);
    CZ_CHECK_CLOSE(area2(CZ_CROWS(out->cell)), labs(det) * area2(CZ_CROWS(in->cell)), 1e-12,
                   "%s: area", what);
    /* Density: atoms per in-plane area. */
    CZ_CHECK_CLOSE((double)out->n / area2(CZ_CROWS(out->cell)),
                   (double)n / area2(CZ_CROWS(in->cell)), 1e-12, "%s: density", what);
    int inside = 1, labels = 1, shells = 1;
    double din[64], dout[64];
    for (size_t q = 0; q < out->n; q++) {
        size_t p = q % n;
        for (int k = 0; k < 2; k++)
            if (!(out->xyz[q][k] >= 0 && out->xyz[q][k] < out->cell[k][k])) inside = 0;
        if (out->z[q] != in->z[p] || out->object_id[q] != in->object_id[p] ||
            out->grain_id[q] != in->grain_id[p] || out->class_id[q] != in->class_id[p])
            labels = 0;
        if (fabs(out->xyz[q][2] - in->xyz[p][2]) > 0) labels = 0;
        size_t m1 = shell(in, p, 4.5, din, 64), m2 = shell(out, q, 4.5, dout, 64);
        if (m1 != m2) shells = 0;
        for (size_t k = 0; k < m1 && k < m2; k++)
            if (fabs(din[k] - dout[k]) > 1e-9) shells = 0;
    }
    CZ_CHECK(inside, "%s: an atom outside [0, L)", what);
    CZ_CHECK(labels, "%s: z, labels or height of some atom not those of its source", what);
    CZ_CHECK(shells, "%s: a neighbour shell changed", what);
    CZ_CHECK_CLOSE(min_dist(out), min_dist(in), 1e-9, "%s: minimum distance (duplicates?)", what);
}

/* Graphene (C at 1/3, 2/3 and 2/3, 1/3 of a 120° cell, a = 2.46 Å) and a MoS₂-like monolayer
 * (Mo at the origin, S above and below at 2/3, 1/3 — ASE's mx2 layout, a = 3.18 Å). */
static void test_hexagonal(void) {
    const int pbc[3] = {1, 1, 0};
    double cell[3][3];
    hex_cell(2.46, 120, 0, 12.3, cell);
    const double gfrac[2][3] = {{1.0 / 3, 2.0 / 3, 6.15}, {2.0 / 3, 1.0 / 3, 6.15}};
    const int gz[2] = {6, 6};
    cz_atoms *in = make(CZ_CROWS(cell), pbc, 2, gfrac, gz), *out = NULL;
    cz_ortho_info info;
    CZ_CHECK(cz_atoms_orthogonalize(in, NULL, &out, &info) == CZ_OK, "graphene: %s",
             cz_last_error());
    if (out) {
        CZ_CHECK(info.det == 2 && info.matrix[0][0] == 1 && info.matrix[0][1] == 0 &&
                     info.matrix[1][0] == 1 && info.matrix[1][1] == 2,
                 "graphene: matrix [[%d %d] [%d %d]] det %d, want [[1 0] [1 2]] det 2",
                 info.matrix[0][0], info.matrix[0][1], info.matrix[1][0], info.matrix[1][1],
                 info.det);
        CZ_CHECK(info.changed == 1 && info.rotation_deg == 0 && info.strain < 1e-12,
                 "graphene: changed %d rotation %g strain %g", info.changed, info.rotation_deg,
                 info.strain);
        CZ_CHECK_CLOSE(out->cell[0][0], 2.46, 1e-14, "graphene: |A| = a");
        CZ_CHECK_CLOSE(out->cell[1][1], 2.46 * sqrt(3.0), 1e-12, "graphene: |B| = a√3");
        CZ_CHECK(out->cell[2][0] == 0 && out->cell[2][1] == 0 && out->cell[2][2] == 12.3 &&
                     out->pbc[0] == 1 && out->pbc[1] == 1 && out->pbc[2] == 0,
                 "graphene: c and pbc kept");
        check_structure("graphene", in, out, info.det);
        /* The C–C bond, a/√3 = 1.42 Å, three per atom. */
        double d[12];
        int bonds = 1;
        for (size_t q = 0; q < out->n; q++) {
            shell(out, q, 4.0, d, 4);
            if (fabs(d[0] - 2.46 / sqrt(3.0)) > 1e-9 || fabs(d[2] - d[0]) > 1e-9 ||
                !(d[3] > d[0] + 0.5))
                bonds = 0;
        }
        CZ_CHECK(bonds, "graphene: every atom has three bonds of 1.420 Å");
        CZ_CHECK_CLOSE(min_dist(out), 2.46 / sqrt(3.0), 1e-12, "graphene: min distance 1.42 Å");
    }
    cz_atoms_destroy(out);
    out = NULL;

    /* The same lattice with a 60° angle: the same area (and the same shells). */
    double cell60[3][3];
    hex_cell(2.46, 60, 0, 12.3, cell60);
    const double gfrac60[2][3] = {{1.0 / 3, 1.0 / 3, 6.15}, {2.0 / 3, 2.0 / 3, 6.15}};
    cz_atoms *in60 = make(CZ_CROWS(cell60), pbc, 2, gfrac60, gz);
    cz_ortho_info info60;
    CZ_CHECK(cz_atoms_orthogonalize(in60, NULL, &out, &info60) == CZ_OK, "60°: %s",
             cz_last_error());
    if (out) {
        CZ_CHECK(labs(info60.det) == 2, "60°: |det| %d, want 2", info60.det);
        CZ_CHECK_CLOSE(area2(CZ_CROWS(out->cell)), 2.46 * 2.46 * sqrt(3.0), 1e-12,
                       "60°: area a²√3");
        CZ_CHECK_CLOSE(out->cell[0][0], 2.46, 1e-14, "60°: A = a keeps the orientation");
        check_structure("60°", in60, out, info60.det);
    }
    cz_atoms_destroy(out);
    out = NULL;
    cz_atoms_destroy(in60);
    cz_atoms_destroy(in);

    /* MoS₂ with labels, rotated by 17°: turned back by −17°, A = a. */
    double mcell[3][3];
    hex_cell(3.18, 120, 17, 20, mcell);
    const double mfrac[3][3] = {{0, 0, 10}, {2.0 / 3, 1.0 / 3, 11.56}, {2.0 / 3, 1.0 / 3, 8.44}};
    const int mz[3] = {42, 16, 16};
    in = make(CZ_CROWS(mcell), pbc, 3, mfrac, mz);
    CZ_CHECK(cz_atoms_orthogonalize(in, NULL, &out, &info) == CZ_OK, "MoS2: %s", cz_last_error());
    if (out) {
        CZ_CHECK(info.det == 2 && info.matrix[0][0] == 1 && info.matrix[0][1] == 0,
                 "MoS2: det %d, A = %d a + %d b", info.det, info.matrix[0][0], info.matrix[0][1]);
        CZ_CHECK_CLOSE(info.rotation_deg, -17.0, 1e-12, "MoS2: rotation reported");
        CZ_CHECK_CLOSE(out->cell[0][0], 3.18, 1e-14, "MoS2: |A|");
        check_structure("MoS2", in, out, info.det);
        size_t cnt[4] = {0, 0, 0, 0};
        for (size_t q = 0; q < out->n; q++) cnt[out->class_id[q]]++;
        CZ_CHECK(cnt[0] == 2 && cnt[1] == 2 && cnt[2] == 2 && cnt[3] == 0,
                 "MoS2: class counts %zu %zu %zu", cnt[0], cnt[1], cnt[2]);
        /* Mo at the origin of copy 0 stays at the origin: turned back exactly. */
        CZ_CHECK(fabs(out->xyz[0][0]) < 1e-12 && fabs(out->xyz[0][1]) < 1e-12,
                 "MoS2: Mo at (%g, %g)", out->xyz[0][0], out->xyz[0][1]);
    }
    cz_atoms_destroy(out);
    cz_atoms_destroy(in);
}

/* Exhaustive search over every integer matrix with entries in [−R, R]: the smallest |det| with
 * strain <= tol and A × B along +z. Gram entries exact integers when `gram` is given. */
static long brute_min_det(const double a[2], const double b[2], int R, double tol,
                          const long gram[3]) {
    double S = a[0] * b[1] - a[1] * b[0];
    long best = 0;
    for (int i = -R; i <= R; i++)
        for (int j = -R; j <= R; j++)
            for (int k = -R; k <= R; k++)
                for (int l = -R; l <= R; l++) {
                    long d = (long)i * l - (long)j * k;
                    if (d == 0 || (d > 0) != (S > 0)) continue;
                    if (best && labs(d) >= best) continue;
                    int ok;
                    if (gram) {
                        long ab = (long)i * k * gram[0] + ((long)i * l + (long)j * k) * gram[1] +
                                  (long)j * l * gram[2];
                        ok = ab == 0;
                    } else {
                        double A[2] = {i * a[0] + j * b[0], i * a[1] + j * b[1]};
                        double B[2] = {k * a[0] + l * b[0], k * a[1] + l * b[1]};
                        ok = fabs(A[0] * B[0] + A[1] * B[1]) / (labs(d) * fabs(S)) <= tol;
                    }
                    if (ok) best = labs(d);
                }
    return best;
}

/* Cells with integer coordinates (times a scale, then rotated): exact solutions whose smallest
 * determinant the brute force knows. */
static void test_rational(void) {
    static const int cases[][3] = {{3, 1, 2}, {5, 2, 3}, {4, 1, 3}, {7, 3, 2}, {3, -2, 5}};
    const double scale = 1.37;
    const int pbc[3] = {1, 1, 1};
    const double frac[3][3] = {{0.1, 0.2, 1.0}, {0.55, 0.35, 2.5}, {0.8, 0.9, 4.0}};
    const int z[3] = {8, 14, 79};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int p = cases[t][0], q = cases[t][1], r = cases[t][2];
        long gram[3] = {(long)p * p, (long)p * q, (long)q * q + (long)r * r};
        double rot = (t == 0 ? 0.0 : 23.0 * (double)t) * PI / 180;
        double cell[3][3] = {{0}};
        double a0[2] = {p * scale, 0}, b0[2] = {q * scale, r * scale};
        cell[0][0] = a0[0] * cos(rot);
        cell[0][1] = a0[0] * sin(rot);
        cell[1][0] = b0[0] * cos(rot) - b0[1] * sin(rot);
        cell[1][1] = b0[0] * sin(rot) + b0[1] * cos(rot);
        cell[2][2] = 9.5;
        cz_atoms *in = make(CZ_CROWS(cell), pbc, 3, frac, z), *out = NULL;
        cz_ortho_info info;
        cz_status st = cz_atoms_orthogonalize(in, NULL, &out, &info);
        CZ_CHECK(st == CZ_OK, "rational %d,%d,%d: %s", p, q, r, cz_last_error());
        long want = brute_min_det(cell[0], cell[1], 20, 0, gram);
        char what[64];
        snprintf(what, sizeof what, "rational (%d,0),(%d,%d) rot %.0f°", p, q, r, rot * 180 / PI);
        if (out) {
            CZ_CHECK(labs(info.det) == want, "%s: |det| %d, brute force %ld", what, info.det, want);
            long ab = (long)info.matrix[0][0] * info.matrix[1][0] * gram[0] +
                      ((long)info.matrix[0][0] * info.matrix[1][1] +
                       (long)info.matrix[0][1] * info.matrix[1][0]) *
                          gram[1] +
                      (long)info.matrix[0][1] * info.matrix[1][1] * gram[2];
            CZ_CHECK(ab == 0 && info.strain < 1e-12, "%s: A·B %ld (exact), strain %g", what, ab,
                     info.strain);
            CZ_CHECK(info.det == info.matrix[0][0] * info.matrix[1][1] -
                                     info.matrix[0][1] * info.matrix[1][0],
                     "%s: det consistent with matrix", what);
            check_structure(what, in, out, info.det);
        }
        if (t == 0 && out) {
            /* (3, 0), (1, 2): A = a, B = −a + 3b = (0, 6)·scale. */
            CZ_CHECK(info.matrix[0][0] == 1 && info.matrix[0][1] == 0 && info.matrix[1][0] == -1 &&
                         info.matrix[1][1] == 3,
                     "(3,0),(1,2): matrix [[%d %d] [%d %d]]", info.matrix[0][0], info.matrix[0][1],
                     info.matrix[1][0], info.matrix[1][1]);
            CZ_CHECK_CLOSE(out->cell[1][1], 6 * scale, 1e-12, "(3,0),(1,2): |B|");
        }
        cz_atoms_destroy(out);
        cz_atoms_destroy(in);
    }
}

/* An angle with no exact solution: refused at the default tolerance with the documented
 * message, accepted at 1e-2 with the smallest determinant the brute force finds. */
static void test_irrational(void) {
    const int pbc[3] = {1, 1, 0};
    double g = 100.0 * PI / 180;
    double cell[3][3] = {{3.1, 0, 0}, {2.7 * cos(g), 2.7 * sin(g), 0}, {0, 0, 8}};
    const double frac[2][3] = {{0.25, 0.5, 4}, {0.75, 0.125, 3}};
    const int z[2] = {29, 8};
    cz_atoms *in = make(CZ_CROWS(cell), pbc, 2, frac, z), *out = (cz_atoms *)1;
    cz_ortho_info info;
    info.det = 99;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(in, NULL, &out, &info), CZ_EINVAL, "strain_tolerance");
    const char *msg = cz_last_error();
    CZ_CHECK(strstr(msg, "best candidate") && strstr(msg, "max_repeat") &&
                 strstr(msg, "cz_atoms_orthogonalize"),
             "message names the best candidate and the options: %s", msg);
    CZ_CHECK(out == NULL && info.det == 0, "failure: out NULL, info zeroed");
    cz_ortho_opts o;
    cz_ortho_opts_default(&o);
    o.strain_tolerance = 1e-2;
    CZ_CHECK(cz_atoms_orthogonalize(in, &o, &out, &info) == CZ_OK, "tol 1e-2: %s", cz_last_error());
    if (out) {
        long want = brute_min_det(cell[0], cell[1], 20, 1e-2, NULL);
        CZ_CHECK(labs(info.det) == want, "tol 1e-2: |det| %d, brute force %ld", info.det, want);
        CZ_CHECK(info.strain > 0 && info.strain <= 1e-2, "tol 1e-2: strain %g", info.strain);
        /* The reported strain is that of the reported matrix. */
        int(*m)[2] = info.matrix;
        double A[2] = {m[0][0] * cell[0][0] + m[0][1] * cell[1][0],
                       m[0][0] * cell[0][1] + m[0][1] * cell[1][1]};
        double B[2] = {m[1][0] * cell[0][0] + m[1][1] * cell[1][0],
                       m[1][0] * cell[0][1] + m[1][1] * cell[1][1]};
        double gamma = fabs(A[0] * B[0] + A[1] * B[1]) / fabs(A[0] * B[1] - A[1] * B[0]);
        CZ_CHECK_CLOSE(info.strain, gamma, 1e-9, "tol 1e-2: strain = |A·B| / |A × B|");
        CZ_CHECK_CLOSE(out->cell[0][0], hypot(A[0], A[1]), 1e-12, "tol 1e-2: |A| kept");
        CZ_CHECK(out->n == (size_t)labs(info.det) * 2, "tol 1e-2: %zu atoms", out->n);
        CZ_CHECK_CLOSE(area2(CZ_CROWS(out->cell)), labs(info.det) * area2(CZ_CROWS(cell)), 1e-12,
                       "tol 1e-2: area (the shear keeps it)");
        int inside = 1;
        for (size_t q = 0; q < out->n; q++)
            for (int k = 0; k < 2; k++)
                if (!(out->xyz[q][k] >= 0 && out->xyz[q][k] < out->cell[k][k])) inside = 0;
        CZ_CHECK(inside, "tol 1e-2: every atom inside the cell");
    }
    cz_atoms_destroy(out);
    cz_atoms_destroy(in);
}

/* An orthogonal cell with a ∥ x comes back byte for byte, atoms outside the cell included. */
static void test_unchanged(void) {
    const int pbc[3] = {1, 1, 0};
    double cell[3][3] = {{4.0782, 0, 0}, {0, 5.4311, 0}, {0, 0, 11.2}};
    const double frac[3][3] = {{0.1, 0.3, 2}, {1.4, -0.2, 5}, {0.7, 0.6, 9}};
    const int z[3] = {79, 6, 1};
    cz_atoms *in = make(CZ_CROWS(cell), pbc, 3, frac, z), *out = NULL;
    cz_ortho_info info;
    CZ_CHECK(cz_atoms_orthogonalize(in, NULL, &out, &info) == CZ_OK, "%s", cz_last_error());
    if (out) {
        CZ_CHECK(out->n == in->n && !memcmp(out->xyz, in->xyz, in->n * sizeof *in->xyz) &&
                     !memcmp(out->z, in->z, in->n * sizeof *in->z) &&
                     !memcmp(out->object_id, in->object_id, in->n * sizeof(int)) &&
                     !memcmp(out->grain_id, in->grain_id, in->n * sizeof(int)) &&
                     !memcmp(out->class_id, in->class_id, in->n * sizeof(int)) &&
                     !memcmp(out->cell, in->cell, sizeof in->cell) &&
                     !memcmp(out->pbc, in->pbc, sizeof in->pbc),
                 "orthogonal input not returned byte for byte");
        CZ_CHECK(info.changed == 0 && info.det == 1 && info.matrix[0][0] == 1 &&
                     info.matrix[1][1] == 1 && info.matrix[0][1] == 0 && info.matrix[1][0] == 0 &&
                     info.rotation_deg == 0 && info.strain == 0,
                 "unchanged info");
    }
    cz_atoms_destroy(out);
    cz_atoms_destroy(in);
}

/* A rectangular cell turned by 30° about z: turned back, det 1, positions those of the
 * unrotated structure, the angle reported. Also: a c with in-plane components. */
static void test_rotated(void) {
    const double L[2] = {3.615, 4.2}, th = 30 * PI / 180;
    const double ref[3][3] = {{0.5, 0.7, 1.0}, {2.2, 3.1, 2.0}, {3.0, 0.2, 3.0}};
    cz_atoms *in = NULL, *out = NULL;
    cz_atoms_create(3, &in);
    for (int p = 0; p < 3; p++) {
        double r[3] = {ref[p][0] * cos(th) - ref[p][1] * sin(th),
                       ref[p][0] * sin(th) + ref[p][1] * cos(th), ref[p][2]};
        cz_atoms_push(in, r, 26, p + 1, 0, 1);
    }
    double cell[3][3] = {
        {L[0] * cos(th), L[0] * sin(th), 0}, {-L[1] * sin(th), L[1] * cos(th), 0}, {0.5, 0.3, 10}};
    const int pbc[3] = {1, 1, 1};
    CZ_CHECK(cz_atoms_set_cell(in, CZ_CROWS(cell), pbc) == CZ_OK, "%s", cz_last_error());
    cz_ortho_info info;
    CZ_CHECK(cz_atoms_orthogonalize(in, NULL, &out, &info) == CZ_OK, "%s", cz_last_error());
    if (out) {
        CZ_CHECK(
            info.det == 1 && info.matrix[0][0] == 1 && info.matrix[1][1] == 1 && info.changed == 1,
            "rotated: det %d", info.det);
        CZ_CHECK_CLOSE(info.rotation_deg, -30.0, 1e-12, "rotated: rotation");
        CZ_CHECK_CLOSE(out->cell[0][0], L[0], 1e-14, "rotated: Lx");
        CZ_CHECK_CLOSE(out->cell[1][1], L[1], 1e-14, "rotated: Ly");
        double err = 0;
        for (int p = 0; p < 3; p++)
            for (int k = 0; k < 3; k++) err = fmax(err, fabs(out->xyz[p][k] - ref[p][k]));
        CZ_CHECK(err < 1e-12, "rotated: positions differ from the unrotated ones by %g", err);
        CZ_CHECK(out->object_id[2] == 3 && out->class_id[1] == 1 && out->z[0] == 26,
                 "rotated: labels");
        /* c had in-plane components: its z part is kept, not periodic along c. */
        CZ_CHECK(out->cell[2][0] == 0 && out->cell[2][1] == 0 && out->cell[2][2] == 10 &&
                     out->pbc[2] == 0 && out->pbc[0] == 1 && out->pbc[1] == 1,
                 "rotated: tilted c replaced by (0, 0, c_z), pbc[2] = 0");
    }
    cz_atoms_destroy(out);
    out = NULL;
    /* A left-handed in-plane cell (b along −y): still A × B along +z. */
    double left[3][3] = {{3.3, 0, 0}, {-1.65, -1.65 * sqrt(3.0), 0}, {0, 0, 7}};
    const int pbc2[3] = {1, 1, 0};
    const double frac[1][3] = {{0.3, 0.6, 1}};
    const int z[1] = {14};
    cz_atoms_destroy(in);
    in = make(CZ_CROWS(left), pbc2, 1, frac, z);
    CZ_CHECK(cz_atoms_orthogonalize(in, NULL, &out, &info) == CZ_OK, "left: %s", cz_last_error());
    if (out) {
        CZ_CHECK(info.det == -2, "left-handed: det %d, want -2", info.det);
        check_structure("left-handed", in, out, info.det);
    }
    cz_atoms_destroy(out);
    cz_atoms_destroy(in);
    /* a along −x, b along −y: A = −a, B = −b (no turn by 180°), positions only wrapped. */
    double neg[3][3] = {{-4.0782, 0, 0}, {0, -5.4311, 0}, {0, 0, 9}};
    const double nfrac[2][3] = {{0.25, 0.5, 1}, {0.75, 0.125, 2}};
    const int nz[2] = {79, 8};
    in = make(CZ_CROWS(neg), pbc2, 2, nfrac, nz);
    out = NULL;
    CZ_CHECK(cz_atoms_orthogonalize(in, NULL, &out, &info) == CZ_OK, "negative: %s",
             cz_last_error());
    if (out) {
        CZ_CHECK(info.det == 1 && info.matrix[0][0] == -1 && info.matrix[1][1] == -1 &&
                     info.matrix[0][1] == 0 && info.matrix[1][0] == 0 && info.rotation_deg == 0,
                 "negative: matrix [[%d %d] [%d %d]], rotation %g", info.matrix[0][0],
                 info.matrix[0][1], info.matrix[1][0], info.matrix[1][1], info.rotation_deg);
        double err = 0;
        for (size_t p = 0; p < 2; p++)
            for (int k = 0; k < 2; k++) {
                double len = -neg[k][k], want = fmod(in->xyz[p][k] + 10 * len, len);
                err = fmax(err, fabs(out->xyz[p][k] - want));
            }
        CZ_CHECK(err < 1e-12, "negative: positions move by more than a lattice vector (%g)", err);
        check_structure("negative", in, out, info.det);
    }
    cz_atoms_destroy(out);
    cz_atoms_destroy(in);
}

/* Atoms on lattice points and simple fractions of hexagonal cells at many orientations: the
 * half-open wrapping keeps every atom inside [0, L) even when rounding lands a coordinate a
 * hair below 0 or at L, and no atom is lost or doubled. */
static void test_edges(void) {
    const int pbc[3] = {1, 1, 0};
    double frac[36][3];
    int z[36];
    for (int u = 0; u < 6; u++)
        for (int v = 0; v < 6; v++) {
            frac[6 * u + v][0] = u / 6.0;
            frac[6 * u + v][1] = v / 6.0;
            frac[6 * u + v][2] = 1.0;
            z[6 * u + v] = 6;
        }
    int inside = 1, counts = 1, dups = 1;
    for (int deg = 0; deg < 360; deg += 5) {
        double cell[3][3];
        hex_cell(2.46, deg % 2 ? 60 : 120, deg, 10, cell);
        cz_atoms *in = make(CZ_CROWS(cell), pbc, 36, (const double(*)[3])frac, z), *out = NULL;
        cz_ortho_info info;
        if (cz_atoms_orthogonalize(in, NULL, &out, &info) != CZ_OK || !out) {
            counts = 0;
            cz_atoms_destroy(in);
            continue;
        }
        if (out->n != 72) counts = 0;
        for (size_t q = 0; q < out->n; q++)
            for (int k = 0; k < 2; k++)
                if (!(out->xyz[q][k] >= 0 && out->xyz[q][k] < out->cell[k][k])) inside = 0;
        if (!(min_dist(out) > 0.99 * 2.46 / 6)) dups = 0;
        cz_atoms_destroy(out);
        cz_atoms_destroy(in);
    }
    CZ_CHECK(inside, "edges: an atom outside [0, L)");
    CZ_CHECK(counts, "edges: a count differs from 2 × 36");
    CZ_CHECK(dups, "edges: two atoms closer than the grid spacing");
}

static void test_errors(void) {
    const int pbc[3] = {1, 1, 0};
    double cell[3][3];
    hex_cell(2.46, 120, 0, 10, cell);
    const double frac[1][3] = {{0.2, 0.4, 1}};
    const int z[1] = {6};
    cz_atoms *in = make(CZ_CROWS(cell), pbc, 1, frac, z), *out = (cz_atoms *)1;
    cz_ortho_info info;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(NULL, NULL, &out, &info), CZ_EINVAL, "in must not");
    CZ_CHECK(out == NULL, "out NULL after failure");
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(in, NULL, NULL, &info), CZ_EINVAL, "out must not");
    cz_ortho_opts o;
    cz_ortho_opts_default(&o);
    CZ_CHECK(o.max_repeat == 20 && o.strain_tolerance == 1e-6, "defaults");
    cz_ortho_opts_default(NULL);
    o.max_repeat = 0;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(in, &o, &out, &info), CZ_EINVAL, "max_repeat");
    o.max_repeat = CZ_ORTHO_MAX_REPEAT + 1;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(in, &o, &out, &info), CZ_EINVAL, "(got 101)");
    cz_ortho_opts_default(&o);
    o.strain_tolerance = 0;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(in, &o, &out, &info), CZ_EINVAL, "strain_tolerance");
    o.strain_tolerance = NAN;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(in, &o, &out, &info), CZ_EINVAL, "strain_tolerance");
    o.strain_tolerance = 0.3;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(in, &o, &out, &info), CZ_EINVAL, "(got 0.3)");

    cz_atoms bad = *in;
    /* Zero area: b parallel to a. */
    bad.cell[1][0] = 2 * cell[0][0];
    bad.cell[1][1] = 2 * cell[0][1];
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_EINVAL, "parallel");
    memcpy(bad.cell, in->cell, sizeof bad.cell);
    memset(bad.cell[0], 0, sizeof bad.cell[0]);
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_EINVAL, "a is zero");
    memcpy(bad.cell, in->cell, sizeof bad.cell);
    bad.cell[0][2] = 0.3;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_EINVAL, "z component");
    memcpy(bad.cell, in->cell, sizeof bad.cell);
    bad.cell[1][2] = -1e-3;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_EINVAL, "vector b");
    memcpy(bad.cell, in->cell, sizeof bad.cell);
    bad.cell[2][0] = 1;
    bad.cell[2][2] = 0;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_EINVAL, "xy plane");
    memcpy(bad.cell, in->cell, sizeof bad.cell);
    bad.cell[0][1] = INFINITY;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_EINVAL, "not finite");
    memcpy(bad.cell, in->cell, sizeof bad.cell);
    double nanpos[1][3] = {{0.1, NAN, 1}};
    bad.xyz = nanpos;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_EINVAL, "atom 0");
    /* Orthogonal input with a NaN position: refused too. */
    double rect[3][3] = {{3, 0, 0}, {0, 4, 0}, {0, 0, 5}};
    memcpy(bad.cell, rect, sizeof rect);
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_EINVAL, "not finite");
    /* The atom cap: a view claiming 2^27 + 1 atoms of a hexagonal cell (det 2) is refused
     * before any position is read or memory allocated. */
    memcpy(bad.cell, in->cell, sizeof bad.cell);
    bad.xyz = in->xyz;
    bad.n = CZ_MAX_ATOMS / 2 + 1;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_ERANGE, "cap");
    CZ_CHECK(out == NULL, "out NULL after ERANGE");
    /* Arrays missing. */
    bad = *in;
    bad.class_id = NULL;
    CZ_CHECK_FAILS(cz_atoms_orthogonalize(&bad, NULL, &out, &info), CZ_EINVAL, "NULL arrays");
    /* Zero atoms are fine: an empty supercell. */
    bad = *in;
    bad.n = 0;
    CZ_CHECK(cz_atoms_orthogonalize(&bad, NULL, &out, &info) == CZ_OK && out && out->n == 0 &&
                 info.det == 2,
             "empty structure");
    cz_atoms_destroy(out);
    /* info may be NULL. */
    out = NULL;
    CZ_CHECK(cz_atoms_orthogonalize(in, NULL, &out, NULL) == CZ_OK && out && out->n == 2,
             "info NULL");
    cz_atoms_destroy(out);
    cz_atoms_destroy(in);
}

int main(void) {
    test_hexagonal();
    test_rational();
    test_irrational();
    test_unchanged();
    test_rotated();
    test_edges();
    test_errors();
    return cz_test_summary("orthogonal");
}
