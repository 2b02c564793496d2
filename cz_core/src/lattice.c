/* lattice.c — cells, bases, space-group expansion (spglib database) and named prototypes. */
#include "cz/cz_lattice.h"

#include <math.h>
#include <spglib.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_elements.h"
#include "error.h"
#include "vec.h"

static const double DEG = 3.14159265358979323846 / 180.0;

/* cos and sin of an angle in degrees, exact for the angles crystallography uses most, so a
 * hexagonal cell has exactly zero components where it should. */
static void cos_sin_deg(double deg, double *c, double *s) {
    if (deg == 90.0) {
        *c = 0.0;
        *s = 1.0;
    } else if (deg == 120.0) {
        *c = -0.5;
        *s = sqrt(3.0) / 2.0;
    } else if (deg == 60.0) {
        *c = 0.5;
        *s = sqrt(3.0) / 2.0;
    } else {
        *c = cos(deg * DEG);
        *s = sin(deg * DEG);
    }
}

cz_status cz_cell_from_parameters(double a, double b, double c, double alpha, double beta,
                                  double gamma, double cell[3][3]) {
    if (!cell) return CZ_FAIL(CZ_EINVAL, "cell must not be NULL");
    if (!(a > 0 && b > 0 && c > 0) || !isfinite(a) || !isfinite(b) || !isfinite(c))
        return CZ_FAIL(CZ_EINVAL, "lengths must be > 0 and finite (got %g, %g, %g)", a, b, c);
    if (!(alpha > 0 && alpha < 180 && beta > 0 && beta < 180 && gamma > 0 && gamma < 180))
        return CZ_FAIL(CZ_EINVAL, "angles must be in (0, 180) degrees (got %g, %g, %g)", alpha,
                       beta, gamma);
    double ca, sa, cb, sb, cg, sg;
    cos_sin_deg(alpha, &ca, &sa);
    cos_sin_deg(beta, &cb, &sb);
    cos_sin_deg(gamma, &cg, &sg);
    (void)sa;
    (void)sb;
    double cy = (ca - cb * cg) / sg;
    double cz2 = 1.0 - cb * cb - cy * cy;
    if (!(cz2 > 1e-10))
        return CZ_FAIL(CZ_EINVAL, "angles %g, %g, %g do not form a cell", alpha, beta, gamma);
    memset(cell, 0, 9 * sizeof(double));
    cell[0][0] = a;
    cell[1][0] = b * cg;
    cell[1][1] = b * sg;
    cell[2][0] = c * cb;
    cell[2][1] = c * cy;
    cell[2][2] = c * sqrt(cz2);
    return CZ_OK;
}

double cz_cell_volume(const double cell[3][3]) { return m3_det(cell); }

/* Shortest Cartesian distance between fractional points under full periodicity. */
static double periodic_distance(const double cell[3][3], const double f1[3], const double f2[3]) {
    double d[3];
    for (int k = 0; k < 3; k++) {
        d[k] = f2[k] - f1[k];
        d[k] -= nearbyint(d[k]);
    }
    double best = INFINITY;
    for (int i = -1; i <= 1; i++)
        for (int j = -1; j <= 1; j++)
            for (int k = -1; k <= 1; k++) {
                double g[3] = {d[0] + i, d[1] + j, d[2] + k}, r[3];
                m3_tmulv(cell, g, r);
                best = fmin(best, v3_norm(r));
            }
    return best;
}

static double wrap01(double f) {
    double w = f - floor(f);
    /* Values a rounding error below 1 belong at 0, so equivalent sites get one coordinate. */
    if (w >= 1.0 - 1e-12) w = 0.0;
    if (fabs(w) < 1e-12) w = 0.0;
    return w;
}

static cz_status check_cell(const char *func, const double cell[3][3]) {
    if (!m3_finite(cell)) return CZ_FAIL_AS(func, CZ_EINVAL, "cell must be finite");
    double s = fmax(fmax(v3_norm(cell[0]), v3_norm(cell[1])), v3_norm(cell[2]));
    double det = m3_det(cell);
    if (!(s > 0) || !(fabs(det) > 1e-9 * s * s * s))
        return CZ_FAIL_AS(func, CZ_EINVAL, "cell is singular (volume %g Å^3)", det);
    if (det < 0)
        return CZ_FAIL_AS(func, CZ_EINVAL, "cell is left-handed (volume %g Å^3)", det);
    return CZ_OK;
}

static cz_status lattice_alloc(size_t nbasis, cz_lattice **out) {
    cz_lattice *l = calloc(1, sizeof *l);
    if (!l) return CZ_FAIL(CZ_ENOMEM, "cannot allocate a lattice");
    l->frac = malloc(nbasis * sizeof *l->frac);
    l->z = malloc(nbasis * sizeof *l->z);
    if (!l->frac || !l->z) {
        cz_lattice_destroy(l);
        return CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu basis sites", nbasis);
    }
    l->nbasis = nbasis;
    *out = l;
    return CZ_OK;
}

cz_status cz_lattice_create(const double cell[3][3], size_t nbasis, const double frac[][3],
                            const int z[], cz_lattice **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!cell || !frac || !z) return CZ_FAIL(CZ_EINVAL, "cell, frac and z must not be NULL");
    if (nbasis == 0) return CZ_FAIL(CZ_EINVAL, "a lattice needs at least one basis site");
    cz_status s = check_cell(__func__, cell);
    if (s != CZ_OK) return s;
    for (size_t i = 0; i < nbasis; i++) {
        if (!cz_element_symbol(z[i]))
            return CZ_FAIL(CZ_EINVAL, "unknown element Z = %d at basis site %zu", z[i], i);
        if (!v3_finite(frac[i]))
            return CZ_FAIL(CZ_EINVAL, "basis site %zu has a non-finite coordinate", i);
    }
    cz_lattice *l;
    if ((s = lattice_alloc(nbasis, &l)) != CZ_OK) return s;
    memcpy(l->cell, cell, sizeof l->cell);
    for (size_t i = 0; i < nbasis; i++) {
        for (int k = 0; k < 3; k++) l->frac[i][k] = wrap01(frac[i][k]);
        l->z[i] = z[i];
        for (size_t j = 0; j < i; j++)
            if (periodic_distance(cell, l->frac[i], l->frac[j]) < 1e-4) {
                cz_lattice_destroy(l);
                return CZ_FAIL(CZ_EINVAL, "basis sites %zu and %zu coincide", j, i);
            }
    }
    *out = l;
    return CZ_OK;
}

void cz_lattice_destroy(cz_lattice *l) {
    if (!l) return;
    free(l->frac);
    free(l->z);
    free(l);
}

cz_status cz_lattice_copy(const cz_lattice *src, cz_lattice **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!src) return CZ_FAIL(CZ_EINVAL, "src must not be NULL");
    cz_lattice *l;
    cz_status s = lattice_alloc(src->nbasis, &l);
    if (s != CZ_OK) return s;
    memcpy(l->cell, src->cell, sizeof l->cell);
    memcpy(l->frac, src->frac, src->nbasis * sizeof *l->frac);
    memcpy(l->z, src->z, src->nbasis * sizeof *l->z);
    *out = l;
    return CZ_OK;
}

void cz_spacegroup_opts_default(cz_spacegroup_opts *o) {
    o->hall_number = 0;
    o->symprec = 1e-3;
    o->metric_tol = 1e-4;
}

cz_status cz_lattice_from_spacegroup(int number, const double cell[3][3], size_t nsites,
                                     const double frac[][3], const int z[],
                                     const cz_spacegroup_opts *opts, cz_lattice **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!cell || !frac || !z) return CZ_FAIL(CZ_EINVAL, "cell, frac and z must not be NULL");
    cz_spacegroup_opts o;
    cz_spacegroup_opts_default(&o);
    if (opts) o = *opts;
    if (number < 1 || number > 230)
        return CZ_FAIL(CZ_EINVAL, "space group number must be 1..230 (got %d)", number);
    if (o.hall_number < 0 || o.hall_number > 530)
        return CZ_FAIL(CZ_EINVAL, "hall_number must be 0 or 1..530 (got %d)", o.hall_number);
    if (!(o.symprec > 0) || !isfinite(o.symprec))
        return CZ_FAIL(CZ_EINVAL, "symprec must be > 0 (got %g)", o.symprec);
    if (!(o.metric_tol > 0) || !isfinite(o.metric_tol))
        return CZ_FAIL(CZ_EINVAL, "metric_tol must be > 0 (got %g)", o.metric_tol);
    if (nsites == 0) return CZ_FAIL(CZ_EINVAL, "at least one asymmetric-unit site is needed");
    cz_status s = check_cell(__func__, cell);
    if (s != CZ_OK) return s;
    for (size_t i = 0; i < nsites; i++) {
        if (!cz_element_symbol(z[i]))
            return CZ_FAIL(CZ_EINVAL, "unknown element Z = %d at site %zu", z[i], i);
        if (!v3_finite(frac[i])) return CZ_FAIL(CZ_EINVAL, "site %zu is not finite", i);
    }
    int hall = o.hall_number;
    if (hall == 0) {
        /* spglib orders Hall symbols by space-group number; the first of a number is the
         * standard setting of the International Tables. */
        for (int h = 1; h <= 530 && !hall; h++)
            if (spg_get_spacegroup_type(h).number == number) hall = h;
        if (!hall) return CZ_FAIL(CZ_EINTERNAL, "spglib has no setting for group %d", number);
    } else if (spg_get_spacegroup_type(hall).number != number) {
        return CZ_FAIL(CZ_EINVAL, "hall_number %d belongs to space group %d, not %d", hall,
                       spg_get_spacegroup_type(hall).number, number);
    }
    int (*rot)[3][3] = malloc(192 * sizeof *rot);
    double (*trans)[3] = malloc(192 * sizeof *trans);
    double (*sites)[3] = malloc(nsites * 192 * sizeof *sites);
    int *species = malloc(nsites * 192 * sizeof *species);
    cz_lattice *l = NULL;
    if (!rot || !trans || !sites || !species) {
        s = CZ_FAIL(CZ_ENOMEM, "cannot allocate symmetry tables");
        goto done;
    }
    int nops = spg_get_symmetry_from_database(rot, trans, hall);
    if (nops <= 0) {
        s = CZ_FAIL(CZ_EINTERNAL, "spglib returned no operations for Hall number %d", hall);
        goto done;
    }
    /* A symmetry operation R (acting on fractional column vectors) is compatible with the
     * cell only if it preserves the metric G = cell·cellᵀ: Rᵀ G R = G. */
    double g[3][3], gmax = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            g[i][j] = v3_dot(cell[i], cell[j]);
            gmax = fmax(gmax, fabs(g[i][j]));
        }
    for (int op = 0; op < nops; op++)
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) {
                double acc = 0;
                for (int k = 0; k < 3; k++)
                    for (int m = 0; m < 3; m++) acc += rot[op][k][i] * g[k][m] * rot[op][m][j];
                if (fabs(acc - g[i][j]) > o.metric_tol * gmax) {
                    s = CZ_FAIL(CZ_EINVAL,
                                "cell (a=%.4g b=%.4g c=%.4g) is incompatible with space group %d: "
                                "operation %d does not preserve its metric",
                                v3_norm(cell[0]), v3_norm(cell[1]), v3_norm(cell[2]), number, op);
                    goto done;
                }
            }
    size_t n = 0;
    for (size_t i = 0; i < nsites; i++)
        for (int op = 0; op < nops; op++) {
            double f[3];
            for (int k = 0; k < 3; k++)
                f[k] = wrap01(rot[op][k][0] * frac[i][0] + rot[op][k][1] * frac[i][1] +
                              rot[op][k][2] * frac[i][2] + trans[op][k]);
            size_t j;
            for (j = 0; j < n; j++)
                if (periodic_distance(cell, f, sites[j]) < o.symprec) break;
            if (j < n) {
                if (species[j] != z[i]) {
                    s = CZ_FAIL(CZ_EINVAL,
                                "site %zu (Z=%d) maps onto an occupied site of Z=%d in group %d", i,
                                z[i], species[j], number);
                    goto done;
                }
                continue;
            }
            memcpy(sites[n], f, sizeof sites[n]);
            species[n] = z[i];
            n++;
        }
    s = cz_lattice_create(cell, n, CZ_CROWS(sites), species, &l);
done:
    free(rot);
    free(trans);
    free(sites);
    free(species);
    if (s == CZ_OK) *out = l;
    return s;
}

void cz_prototype_opts_default(cz_prototype_opts *o) {
    o->z[0] = o->z[1] = o->z[2] = 0;
    o->a = NAN;
    o->c = NAN;
    o->u = NAN;
}

typedef struct {
    const char *name;
    int hexagonal;        /* 0: cubic cell a, 1: hexagonal cell a, a, c */
    double c_over_a;      /* ideal c/a for hexagonal prototypes */
    double u_default;     /* internal parameter default (NAN if none) */
    int nspecies;         /* how many of z[0..2] are required */
    int nsites;
    double site[12][4];   /* fractional x, y, z and species index; z may use u (see below) */
} prototype;

/* Sites whose height depends on u are written with a marker: for wurtzite the B sites are at
 * z = u and u + 1/2 (encoded 100 + offset), for 2H-MoS2 the S sites at ±u, ½ ± u
 * (encoded 200/300 + offset: 200 → u + off, 300 → −u + off). */
#define U_PLUS(off) (100.0 + (off))
#define MOS2_P(off) (200.0 + (off))
#define MOS2_M(off) (300.0 + (off))

static const prototype PROTOTYPES[] = {
    {"fcc", 0, 0, NAN, 1, 4, {{0, 0, 0, 0}, {0, .5, .5, 0}, {.5, 0, .5, 0}, {.5, .5, 0, 0}}},
    {"bcc", 0, 0, NAN, 1, 2, {{0, 0, 0, 0}, {.5, .5, .5, 0}}},
    {"hcp", 1, 1.6329931618554521, NAN, 1, 2,
     {{1. / 3, 2. / 3, .25, 0}, {2. / 3, 1. / 3, .75, 0}}},
    {"diamond", 0, 0, NAN, 1, 8,
     {{0, 0, 0, 0}, {0, .5, .5, 0}, {.5, 0, .5, 0}, {.5, .5, 0, 0},
      {.25, .25, .25, 0}, {.25, .75, .75, 0}, {.75, .25, .75, 0}, {.75, .75, .25, 0}}},
    {"rocksalt", 0, 0, NAN, 2, 8,
     {{0, 0, 0, 0}, {0, .5, .5, 0}, {.5, 0, .5, 0}, {.5, .5, 0, 0},
      {.5, 0, 0, 1}, {.5, .5, .5, 1}, {0, 0, .5, 1}, {0, .5, 0, 1}}},
    {"zincblende", 0, 0, NAN, 2, 8,
     {{0, 0, 0, 0}, {0, .5, .5, 0}, {.5, 0, .5, 0}, {.5, .5, 0, 0},
      {.25, .25, .25, 1}, {.25, .75, .75, 1}, {.75, .25, .75, 1}, {.75, .75, .25, 1}}},
    {"wurtzite", 1, 1.6329931618554521, 0.375, 2, 4,
     {{1. / 3, 2. / 3, 0, 0}, {2. / 3, 1. / 3, .5, 0},
      {1. / 3, 2. / 3, U_PLUS(0), 1}, {2. / 3, 1. / 3, U_PLUS(.5), 1}}},
    {"fluorite", 0, 0, NAN, 2, 12,
     {{0, 0, 0, 0}, {0, .5, .5, 0}, {.5, 0, .5, 0}, {.5, .5, 0, 0},
      {.25, .25, .25, 1}, {.75, .25, .25, 1}, {.25, .75, .25, 1}, {.75, .75, .25, 1},
      {.25, .25, .75, 1}, {.75, .25, .75, 1}, {.25, .75, .75, 1}, {.75, .75, .75, 1}}},
    {"perovskite", 0, 0, NAN, 3, 5,
     {{0, 0, 0, 0}, {.5, .5, .5, 1}, {.5, .5, 0, 2}, {.5, 0, .5, 2}, {0, .5, .5, 2}}},
    /* Bernal (AB) graphite, P6_3/mmc, a = 2.46 Å, c = 6.71 Å. */
    {"graphite", 1, 6.71 / 2.46, NAN, 1, 4,
     {{0, 0, .25, 0}, {0, 0, .75, 0}, {1. / 3, 2. / 3, .25, 0}, {2. / 3, 1. / 3, .75, 0}}},
    /* 2H-MoS2, P6_3/mmc: metal on 2c (⅓ ⅔ ¼), chalcogen on 4f (⅓ ⅔ z) with z ≈ 0.621;
     * a = 3.16 Å, c = 12.29 Å. */
    {"2H-MoS2", 1, 12.29 / 3.16, 0.621, 2, 6,
     {{1. / 3, 2. / 3, .25, 0}, {2. / 3, 1. / 3, .75, 0},
      {1. / 3, 2. / 3, MOS2_P(0), 1}, {2. / 3, 1. / 3, MOS2_P(.5), 1},
      {2. / 3, 1. / 3, MOS2_M(0), 1}, {1. / 3, 2. / 3, MOS2_M(.5), 1}}},
};

cz_status cz_lattice_prototype(const char *name, const cz_prototype_opts *opts, cz_lattice **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!name || !opts) return CZ_FAIL(CZ_EINVAL, "name and opts must not be NULL");
    const prototype *p = NULL;
    for (size_t i = 0; i < sizeof PROTOTYPES / sizeof PROTOTYPES[0]; i++)
        if (strcmp(PROTOTYPES[i].name, name) == 0) p = &PROTOTYPES[i];
    if (!p)
        return CZ_FAIL(CZ_EINVAL,
                       "unknown prototype \"%s\" (fcc bcc hcp diamond rocksalt zincblende "
                       "wurtzite fluorite perovskite graphite 2H-MoS2)",
                       name);
    for (int k = 0; k < p->nspecies; k++)
        if (!cz_element_symbol(opts->z[k]))
            return CZ_FAIL(CZ_EINVAL, "%s needs %d species; species %d is Z = %d (unknown)", name,
                           p->nspecies, k + 1, opts->z[k]);
    double a = opts->a;
    if (!(a > 0) || !isfinite(a))
        return CZ_FAIL(CZ_EINVAL, "lattice parameter a must be > 0 and finite (got %g)", a);
    double c = a, u = opts->u;
    if (p->hexagonal) {
        c = isnan(opts->c) ? p->c_over_a * a : opts->c;
        if (!(c > 0) || !isfinite(c))
            return CZ_FAIL(CZ_EINVAL, "lattice parameter c must be > 0 and finite (got %g)", c);
    }
    if (isnan(u)) u = p->u_default;
    if (!isnan(p->u_default) && !(u > 0 && u < 1))
        return CZ_FAIL(CZ_EINVAL, "internal parameter u must be in (0, 1) (got %g)", u);
    double cell[3][3];
    cz_status s = p->hexagonal ? cz_cell_from_parameters(a, a, c, 90, 90, 120, cell)
                               : cz_cell_from_parameters(a, a, a, 90, 90, 90, cell);
    if (s != CZ_OK) return s;
    double frac[12][3];
    int z[12];
    for (int i = 0; i < p->nsites; i++) {
        frac[i][0] = p->site[i][0];
        frac[i][1] = p->site[i][1];
        double h = p->site[i][2];
        if (h >= 300.0)
            h = h - 300.0 - u;
        else if (h >= 200.0)
            h = h - 200.0 + u;
        else if (h >= 100.0)
            h = h - 100.0 + u;
        frac[i][2] = h;
        z[i] = opts->z[(int)p->site[i][3]];
    }
    return cz_lattice_create(CZ_CROWS(cell), (size_t)p->nsites, CZ_CROWS(frac), z, out);
}

void cz_lattice_site(const cz_lattice *l, size_t b, const long ijk[3], double xyz[3]) {
    double f[3];
    for (int k = 0; k < 3; k++) f[k] = (double)ijk[k] + l->frac[b][k];
    m3_tmulv(l->cell, f, xyz);
}

cz_status cz_lattice_plane(const cz_lattice *l, const int hkl[3], double *d_spacing,
                           double normal[3]) {
    if (!l || !hkl) return CZ_FAIL(CZ_EINVAL, "lattice and hkl must not be NULL");
    if (hkl[0] == 0 && hkl[1] == 0 && hkl[2] == 0)
        return CZ_FAIL(CZ_EINVAL, "Miller indices (0 0 0) define no plane");
    /* The columns of cell⁻¹ are the reciprocal vectors a*, b*, c* (no 2π). */
    double inv[3][3], g[3];
    if (!m3_inverse(l->cell, inv)) return CZ_FAIL(CZ_EINVAL, "lattice cell is singular");
    double h[3] = {hkl[0], hkl[1], hkl[2]};
    m3_mulv(CZ_CROWS(inv), h, g);
    double len = v3_norm(g);
    if (d_spacing) *d_spacing = 1.0 / len;
    if (normal)
        for (int k = 0; k < 3; k++) normal[k] = g[k] / len;
    return CZ_OK;
}
