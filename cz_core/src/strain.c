/* strain.c — homogeneous strain as affine maps; radial and core–shell displacement fields. */
#include <math.h>
#include <string.h>

#include "cz/cz_strain.h"
#include "error.h"
#include "vec.h"

cz_status cz_strain_from_voigt(const double v[6], double eps[3][3]) {
    if (!v || !eps) return CZ_FAIL(CZ_EINVAL, "voigt and eps must not be NULL");
    for (int i = 0; i < 6; i++)
        if (!isfinite(v[i]))
            return CZ_FAIL(CZ_EINVAL, "voigt[%d] must be finite (got %g)", i, v[i]);
    /* Engineering shears: γ_ij = 2 ε_ij, so the tensor takes half of each. */
    eps[0][0] = v[0];
    eps[1][1] = v[1];
    eps[2][2] = v[2];
    eps[1][2] = eps[2][1] = 0.5 * v[3];
    eps[0][2] = eps[2][0] = 0.5 * v[4];
    eps[0][1] = eps[1][0] = 0.5 * v[5];
    return CZ_OK;
}

/* F = 1 + eps, checked to keep orientation: det F <= 0 would turn space inside out. */
static cz_status deformation(const double eps[3][3], double f[3][3], const char *func) {
    if (!m3_finite(eps)) return CZ_FAIL_AS(func, CZ_EINVAL, "eps must be finite");
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) f[i][j] = eps[i][j] + (i == j ? 1.0 : 0.0);
    double det = m3_det(CZ_CROWS(f));
    if (!(det > 1e-12))
        return CZ_FAIL_AS(func, CZ_EINVAL, "1 + eps must have a positive determinant (got %g)",
                          det);
    return CZ_OK;
}

cz_status cz_strain_transform(const double eps[3][3], cz_strain_frame frame,
                              const cz_transform *placement, const double center[3],
                              cz_transform *out) {
    if (!eps || !out) return CZ_FAIL(CZ_EINVAL, "eps and out must not be NULL");
    if (frame != CZ_STRAIN_CARTESIAN && frame != CZ_STRAIN_CRYSTAL)
        return CZ_FAIL(CZ_EINVAL, "unknown strain frame %d", (int)frame);
    if (center && !v3_finite(center)) return CZ_FAIL(CZ_EINVAL, "center must be finite");
    double f[3][3];
    cz_status st = deformation(eps, f, __func__);
    if (st != CZ_OK) return st;
    if (frame == CZ_STRAIN_CRYSTAL && placement) {
        /* The crystal's axes are M e_i in the world, so the world-frame map is M F M⁻¹. */
        double minv[3][3];
        if (!m3_finite(CZ_CROWS(placement->m)) || !m3_inverse(CZ_CROWS(placement->m), minv))
            return CZ_FAIL(CZ_EINVAL, "placement is singular or not finite (det = %g)",
                           m3_det(CZ_CROWS(placement->m)));
        m3_mul(CZ_CROWS(placement->m), CZ_CROWS(f), f);
        m3_mul(CZ_CROWS(f), CZ_CROWS(minv), f);
    }
    double c[3] = {0, 0, 0}, fc[3];
    if (center) memcpy(c, center, sizeof c);
    memcpy(out->m, f, sizeof out->m);
    m3_mulv(CZ_CROWS(f), c, fc);
    for (int i = 0; i < 3; i++) out->t[i] = c[i] - fc[i];
    return CZ_OK;
}

cz_status cz_lattice_strain(const cz_lattice *lattice, const double eps[3][3], cz_lattice **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!lattice || !eps) return CZ_FAIL(CZ_EINVAL, "lattice and eps must not be NULL");
    double f[3][3];
    cz_status st = deformation(eps, f, __func__);
    if (st != CZ_OK) return st;
    cz_lattice *l = NULL;
    st = cz_lattice_copy(lattice, &l);
    if (st != CZ_OK) return st;
    /* Each row is a lattice vector r (a column vector for F): r' = F r. */
    for (int i = 0; i < 3; i++) m3_mulv(CZ_CROWS(f), lattice->cell[i], l->cell[i]);
    *out = l;
    return CZ_OK;
}

void cz_radial_strain_opts_default(cz_radial_strain_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->epsilon = 0.0;
    o->radius = 1.0;
    o->exponent = 0.0;
    o->profile = CZ_RADIAL_POWER;
    o->object_id = 0;
}

void cz_core_shell_strain_opts_default(cz_core_shell_strain_opts *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->core_radius = NAN;
    o->shell_radius = NAN;
    o->misfit = 0.0;
    o->poisson = 0.3;
    o->object_id = 0;
}

/* Move every selected atom by g(r) (x − c), i.e. u = f(r) r̂ with f(r) = r g(r). g is
 * evaluated per atom, so the result does not depend on order or threads. */
typedef double (*radial_gain)(double r, const double *par);

static size_t apply_radial(cz_atoms *a, const double c[3], int object_id, radial_gain g,
                           const double *par) {
    size_t moved = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (object_id > 0 && a->object_id[i] != object_id) continue;
        double d[3] = {a->xyz[i][0] - c[0], a->xyz[i][1] - c[1], a->xyz[i][2] - c[2]};
        double r = v3_norm(d);
        moved++;
        if (r == 0.0) continue;
        double k = g(r, par);
        for (int m = 0; m < 3; m++) a->xyz[i][m] += k * d[m];
    }
    return moved;
}

/* par = {ε, R, p}: f/r = ε (r/R)^p. */
static double gain_power(double r, const double *par) {
    return par[2] == 0.0 ? par[0] : par[0] * pow(r / par[1], par[2]);
}

/* par = {ε, R}: f/r = ε inside, ε R³/r³ outside. */
static double gain_inclusion(double r, const double *par) {
    if (r <= par[1]) return par[0];
    double q = par[1] / r;
    return par[0] * q * q * q;
}

/* par = {A, B, C, R_c}: f/r = A inside, B + C/r³ outside. */
static double gain_core_shell(double r, const double *par) {
    return r <= par[3] ? par[0] : par[1] + par[2] / (r * r * r);
}

cz_status cz_strain_radial(cz_atoms *atoms, const cz_radial_strain_opts *opts, size_t *moved) {
    if (moved) *moved = 0;
    if (!atoms || !opts) return CZ_FAIL(CZ_EINVAL, "atoms and opts must not be NULL");
    const cz_radial_strain_opts *o = opts;
    if (!v3_finite(o->center)) return CZ_FAIL(CZ_EINVAL, "center must be finite");
    if (!(o->epsilon > -1.0) || !isfinite(o->epsilon))
        return CZ_FAIL(CZ_EINVAL, "epsilon must be > -1 and finite (got %g)", o->epsilon);
    if (!(o->radius > 0) || !isfinite(o->radius))
        return CZ_FAIL(CZ_EINVAL, "radius must be > 0 and finite (got %g)", o->radius);
    if (o->object_id < 0)
        return CZ_FAIL(CZ_EINVAL, "object_id must be >= 0 (got %d)", o->object_id);
    double par[3] = {o->epsilon, o->radius, o->exponent};
    radial_gain g;
    if (o->profile == CZ_RADIAL_POWER) {
        if (!(o->exponent >= 0) || !isfinite(o->exponent))
            return CZ_FAIL(CZ_EINVAL, "exponent must be >= 0 and finite (got %g)", o->exponent);
        g = gain_power;
    } else if (o->profile == CZ_RADIAL_INCLUSION) {
        g = gain_inclusion;
    } else {
        return CZ_FAIL(CZ_EINVAL, "unknown radial profile %d", (int)o->profile);
    }
    size_t n = apply_radial(atoms, o->center, o->object_id, g, par);
    if (moved) *moved = n;
    return CZ_OK;
}

cz_status cz_strain_core_shell(cz_atoms *atoms, const cz_core_shell_strain_opts *opts,
                               size_t *moved) {
    if (moved) *moved = 0;
    if (!atoms || !opts) return CZ_FAIL(CZ_EINVAL, "atoms and opts must not be NULL");
    const cz_core_shell_strain_opts *o = opts;
    if (!v3_finite(o->center)) return CZ_FAIL(CZ_EINVAL, "center must be finite");
    if (!(o->core_radius > 0) || !isfinite(o->core_radius))
        return CZ_FAIL(CZ_EINVAL, "core_radius must be > 0 and finite (got %g)", o->core_radius);
    if (!(o->shell_radius > o->core_radius) || !isfinite(o->shell_radius))
        return CZ_FAIL(CZ_EINVAL, "shell_radius must be > core_radius = %g and finite (got %g)",
                       o->core_radius, o->shell_radius);
    if (!(fabs(o->misfit) < 0.5))
        return CZ_FAIL(CZ_EINVAL, "misfit must be in (-0.5, 0.5) (got %g)", o->misfit);
    if (!(o->poisson > -1.0 && o->poisson < 0.5))
        return CZ_FAIL(CZ_EINVAL, "poisson must be in (-1, 0.5) (got %g)", o->poisson);
    if (o->object_id < 0)
        return CZ_FAIL(CZ_EINVAL, "object_id must be >= 0 (got %d)", o->object_id);
    /* Lamé: in each region u = B r + C/r² (C = 0 in the core, regular at r = 0). With the
     * shell's eigenstrain δ, σ_rr = 3K (B − δ) − 4μ C/r³ in the shell and 3K A in the core;
     * continuity of u and σ_rr at R_c and σ_rr(R_s) = 0 give the constants below, where
     * 3K/(3K + 4μ) = α = (1 + ν)/(3(1 − ν)) and 4μ/(3K + 4μ) = β = 1 − α. */
    double nu = o->poisson, delta = o->misfit;
    double alpha = (1.0 + nu) / (3.0 * (1.0 - nu)), beta = 1.0 - alpha;
    double rc = o->core_radius, x = rc / o->shell_radius, x3 = x * x * x;
    double par[4] = {delta * beta * (1.0 - x3), delta * (1.0 - beta * x3),
                     -delta * alpha * rc * rc * rc, rc};
    size_t n = apply_radial(atoms, o->center, o->object_id, gain_core_shell, par);
    if (moved) *moved = n;
    return CZ_OK;
}
