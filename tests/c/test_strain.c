/* test_strain.c — homogeneous strain (Voigt, Cartesian and crystal frames, lattice copies),
 * radial fields, the core–shell misfit field checked against the elasticity equations it
 * solves, object restriction, and every documented error. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "cz/cz.h"
#include "cz_test.h"

static cz_lattice *fcc(int z, double a) {
    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = z;
    po.a = a;
    cz_lattice *l = NULL;
    cz_lattice_prototype("fcc", &po, &l);
    return l;
}

static int cmp_d(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Spacing of the distinct values of x·dir (planes ⟂ dir): min and max gap between
 * consecutive distinct values. */
static void plane_spacing(const cz_atoms *a, const double dir[3], double *gmin, double *gmax) {
    double *v = malloc(a->n * sizeof *v);
    for (size_t i = 0; i < a->n; i++)
        v[i] = a->xyz[i][0] * dir[0] + a->xyz[i][1] * dir[1] + a->xyz[i][2] * dir[2];
    qsort(v, a->n, sizeof *v, cmp_d);
    *gmin = INFINITY;
    *gmax = 0;
    double last = v[0];
    for (size_t i = 1; i < a->n; i++) {
        if (v[i] - last < 1e-6) continue;
        *gmin = fmin(*gmin, v[i] - last);
        *gmax = fmax(*gmax, v[i] - last);
        last = v[i];
    }
    free(v);
}

static void test_voigt(void) {
    const double v[6] = {0.0137, -0.0071, 0.0213, 0.0042, -0.0088, 0.0061};
    double e[3][3];
    CZ_CHECK(cz_strain_from_voigt(v, e) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(e[0][0] == 0.0137 && e[1][1] == -0.0071 && e[2][2] == 0.0213, "diagonal");
    CZ_CHECK(e[1][2] == 0.0021 && e[2][1] == 0.0021 && e[0][2] == -0.0044 && e[2][0] == -0.0044 &&
                 e[0][1] == 0.00305 && e[1][0] == 0.00305,
             "engineering shears halved and symmetric");
    const double bad[6] = {0, 0, NAN, 0, 0, 0};
    CZ_CHECK_FAILS(cz_strain_from_voigt(bad, e), CZ_EINVAL, "voigt[2]");
    CZ_CHECK_FAILS(cz_strain_from_voigt(NULL, e), CZ_EINVAL, "must not be NULL");
}

static void test_homogeneous(void) {
    const double a = 4.078;
    cz_lattice *l = fcc(79, a);
    const double o[3] = {-1.3, 0.7, 2.1}, e[3][3] = {{31, 0, 0}, {0, 27, 0}, {0, 0, 23}};
    cz_volume *box = NULL;
    cz_volume_box(o, e, &box);
    const double eps[3][3] = {{0.0137, 0, 0}, {0, -0.0071, 0}, {0, 0, 0.0213}};
    const double c[3] = {3.3, -1.7, 2.2};
    for (int mode = 0; mode < 2; mode++) {
        cz_scene *s = NULL;
        cz_scene_create(&s);
        cz_scene_add_crystal(s, l, box, NULL, NULL);
        cz_transform tf;
        CZ_CHECK(cz_strain_transform(eps, CZ_STRAIN_CARTESIAN, NULL, c, &tf) == CZ_OK, "%s",
                 cz_last_error());
        cz_scene_transform(s, 0, &tf, mode ? CZ_APPLY_LOCKED : CZ_APPLY_LATTICE);
        cz_atoms *at = NULL;
        cz_scene_populate(s, NULL, &at);
        for (int k = 0; k < 3; k++) {
            double dir[3] = {0, 0, 0}, gmin, gmax;
            dir[k] = 1;
            plane_spacing(at, dir, &gmin, &gmax);
            double want = a / 2 * (1 + eps[k][k]);
            CZ_CHECK_CLOSE(gmin, want, 1e-9, "mode %d axis %d: spacing (1+eps) a/2", mode, k);
            CZ_CHECK_CLOSE(gmax, want, 1e-9, "mode %d axis %d: uniform spacing", mode, k);
        }
        if (mode == 1) {
            size_t n0 = 0;
            cz_fill_count(l, box, NULL, &n0);
            CZ_CHECK(at->n == n0, "locked strain keeps the atom count (%zu vs %zu)", at->n, n0);
        }
        cz_atoms_destroy(at);
        cz_scene_destroy(s);
    }
    /* Crystal frame under a rotated placement, with shear: every atom maps back to a site. */
    double rot[3][3];
    cz_rng_rotation(42, 0, 0, rot);
    const double t[3] = {10.5, -3.25, 7.75};
    cz_transform place;
    cz_transform_matrix(CZ_CROWS(rot), t, 1, &place);
    const double v[6] = {0.0113, -0.0067, 0.0049, 0.0078, -0.0031, 0.0125};
    double es[3][3];
    cz_strain_from_voigt(v, es);
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_scene_add_crystal(s, l, box, NULL, NULL);
    cz_scene_transform(s, 0, &place, CZ_APPLY_LOCKED);
    double cw[3];
    cz_transform_apply(&place, c, cw);
    cz_transform tf;
    CZ_CHECK(cz_strain_transform(CZ_CROWS(es), CZ_STRAIN_CRYSTAL, &place, cw, &tf) == CZ_OK, "%s",
             cz_last_error());
    cz_scene_transform(s, 0, &tf, CZ_APPLY_LATTICE);
    cz_atoms *at = NULL;
    cz_scene_populate(s, NULL, &at);
    /* Undo: world → strained crystal frame: y = place⁻¹(x); y_c = c + F⁻¹(y − c). */
    cz_transform pinv;
    cz_transform_invert(&place, &pinv);
    double f[3][3], finv[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) f[i][j] = es[i][j] + (i == j);
    cz_transform ft, ftinv;
    cz_transform_matrix(CZ_CROWS(f), NULL, 0, &ft);
    cz_transform_invert(&ft, &ftinv);
    memcpy(finv, ftinv.m, sizeof finv);
    int sites = 1;
    for (size_t i = 0; i < at->n; i++) {
        double y[3], d[3], q[3];
        cz_transform_apply(&pinv, at->xyz[i], y);
        for (int k = 0; k < 3; k++) d[k] = y[k] - c[k];
        for (int k = 0; k < 3; k++)
            q[k] = c[k] + finv[k][0] * d[0] + finv[k][1] * d[1] + finv[k][2] * d[2];
        int sum = 0;
        for (int k = 0; k < 3; k++) {
            double g = 2 * q[k] / a;
            if (fabs(g - nearbyint(g)) > 1e-9) sites = 0;
            sum += (int)llround(g);
        }
        if (sum % 2) sites = 0;
        if (!cz_volume_contains(box, y)) sites = 0;
    }
    CZ_CHECK(sites && at->n > 1000, "crystal-frame strain: %zu atoms on strained sites, in region",
             at->n);
    /* The spacing of the crystal's (100) planes along the strained a axis: project on the
     * world image of the reciprocal direction (F⁻ᵀ e_x, rotated), spacing (a/2)/|F⁻ᵀ e_x|. */
    double gx[3] = {finv[0][0], finv[1][0], finv[2][0]}, gw[3];
    double ng = sqrt(gx[0] * gx[0] + gx[1] * gx[1] + gx[2] * gx[2]);
    for (int k = 0; k < 3; k++)
        gw[k] = (rot[k][0] * gx[0] + rot[k][1] * gx[1] + rot[k][2] * gx[2]) / ng;
    double gmin, gmax;
    plane_spacing(at, gw, &gmin, &gmax);
    CZ_CHECK_CLOSE(gmin, a / 2 / ng, 1e-9, "strained (200) spacing");
    CZ_CHECK_CLOSE(gmax, a / 2 / ng, 1e-9, "strained (200) spacing, uniform");
    cz_atoms_destroy(at);
    cz_scene_destroy(s);

    /* A strained lattice copy. */
    cz_lattice *ls = NULL;
    CZ_CHECK(cz_lattice_strain(l, CZ_CROWS(es), &ls) == CZ_OK, "%s", cz_last_error());
    double detf = f[0][0] * (f[1][1] * f[2][2] - f[1][2] * f[2][1]) -
                  f[0][1] * (f[1][0] * f[2][2] - f[1][2] * f[2][0]) +
                  f[0][2] * (f[1][0] * f[2][1] - f[1][1] * f[2][0]);
    CZ_CHECK_CLOSE(cz_cell_volume(CZ_CROWS(ls->cell)), detf * a * a * a, 1e-12, "volume det F");
    CZ_CHECK_CLOSE(ls->cell[0][0], a * f[0][0], 1e-14, "a' = F a");
    CZ_CHECK_CLOSE(ls->cell[0][1], a * f[1][0], 1e-14, "a' = F a (y)");
    CZ_CHECK(ls->nbasis == 4 && memcmp(ls->frac, l->frac, 4 * sizeof *l->frac) == 0, "basis kept");
    cz_lattice_destroy(ls);

    /* Errors. */
    CZ_CHECK_FAILS(cz_strain_transform(NULL, CZ_STRAIN_CARTESIAN, NULL, NULL, &tf), CZ_EINVAL,
                   "must not be NULL");
    CZ_CHECK_FAILS(cz_strain_transform(eps, (cz_strain_frame)3, NULL, NULL, &tf), CZ_EINVAL,
                   "unknown strain frame 3");
    const double inv_eps[3][3] = {{-2, 0, 0}, {0, 0, 0}, {0, 0, 0}};
    CZ_CHECK_FAILS(cz_strain_transform(inv_eps, CZ_STRAIN_CARTESIAN, NULL, NULL, &tf), CZ_EINVAL,
                   "positive determinant (got -1)");
    const double nan_eps[3][3] = {{0, 0, 0}, {0, NAN, 0}, {0, 0, 0}};
    CZ_CHECK_FAILS(cz_strain_transform(nan_eps, CZ_STRAIN_CARTESIAN, NULL, NULL, &tf), CZ_EINVAL,
                   "finite");
    const double bad_c[3] = {0, INFINITY, 0};
    CZ_CHECK_FAILS(cz_strain_transform(eps, CZ_STRAIN_CARTESIAN, NULL, bad_c, &tf), CZ_EINVAL,
                   "center");
    cz_transform sing;
    memset(&sing, 0, sizeof sing);
    CZ_CHECK_FAILS(cz_strain_transform(eps, CZ_STRAIN_CRYSTAL, &sing, NULL, &tf), CZ_EINVAL,
                   "placement is singular");
    CZ_CHECK_FAILS(cz_lattice_strain(NULL, eps, &ls), CZ_EINVAL, "must not be NULL");
    ls = (cz_lattice *)&tf;
    CZ_CHECK_FAILS(cz_lattice_strain(l, inv_eps, &ls), CZ_EINVAL, "positive determinant");
    CZ_CHECK(ls == NULL, "out NULLed on failure");
    cz_volume_destroy(box);
    cz_lattice_destroy(l);
}

/* Two objects: an Au sphere (object 1) and a Cu sphere (object 2) off the origin. */
static cz_atoms *two_spheres(const double c2[3], double r2) {
    cz_lattice *au = fcc(79, 4.078), *cu = fcc(29, 3.615);
    const double c1[3] = {-30, 4, 1};
    cz_volume *s1 = NULL, *s2 = NULL;
    cz_volume_sphere(c1, 8.0, &s1);
    cz_volume_sphere(c2, r2, &s2);
    cz_scene *s = NULL;
    cz_scene_create(&s);
    cz_scene_add_crystal(s, au, s1, NULL, NULL);
    cz_scene_add_crystal(s, cu, s2, NULL, NULL);
    /* Put the Cu lattice origin at the sphere centre so the centre is a site. */
    cz_transform t;
    cz_transform_translation(c2, &t);
    cz_scene_transform(s, 1, &t, CZ_APPLY_LATTICE);
    cz_atoms *a = NULL;
    cz_scene_populate(s, NULL, &a);
    cz_scene_destroy(s);
    cz_volume_destroy(s1);
    cz_volume_destroy(s2);
    cz_lattice_destroy(au);
    cz_lattice_destroy(cu);
    return a;
}

static void test_radial(void) {
    const double c2[3] = {12.5, -7.25, 3.125};
    cz_atoms *ref = two_spheres(c2, 17.0);
    for (int prof = 0; prof < 3; prof++) {
        cz_atoms *a = NULL;
        cz_atoms_copy(ref, &a);
        cz_radial_strain_opts o;
        cz_radial_strain_opts_default(&o);
        memcpy(o.center, c2, sizeof o.center);
        o.epsilon = prof == 2 ? 0.0183 : -0.021;
        o.radius = prof == 2 ? 9.5 : 15.0;
        o.exponent = prof == 1 ? 1.3 : 0.0;
        o.profile = prof == 2 ? CZ_RADIAL_INCLUSION : CZ_RADIAL_POWER;
        o.object_id = 2;
        size_t moved = 0, n2 = 0;
        CZ_CHECK(cz_strain_radial(a, &o, &moved) == CZ_OK, "%s", cz_last_error());
        int exact = 1, others = 1;
        for (size_t i = 0; i < a->n; i++) {
            if (ref->object_id[i] != 2) {
                if (memcmp(a->xyz[i], ref->xyz[i], sizeof a->xyz[i]) != 0) others = 0;
                continue;
            }
            n2++;
            double d[3], r;
            for (int k = 0; k < 3; k++) d[k] = ref->xyz[i][k] - c2[k];
            r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            double f;
            if (prof == 2)
                f = r <= o.radius ? o.epsilon * r : o.epsilon * pow(o.radius, 3) / (r * r);
            else
                f = o.epsilon * r * pow(r / o.radius, o.exponent);
            for (int k = 0; k < 3; k++) {
                double want = r > 0 ? ref->xyz[i][k] + f * d[k] / r : ref->xyz[i][k];
                if (fabs(a->xyz[i][k] - want) > 1e-12) exact = 0;
            }
        }
        CZ_CHECK(moved == n2 && n2 > 500, "profile %d: moved %zu of %zu", prof, moved, n2);
        CZ_CHECK(exact, "profile %d: u = f(r) r-hat as documented", prof);
        CZ_CHECK(others, "profile %d: other objects untouched", prof);
        if (prof == 0) {
            /* Uniform dilatation: every distance within the object scales by (1 + ε). */
            int ok = 1;
            for (size_t i = 0; i < a->n && i < 4000; i += 37)
                for (size_t j = 1; j < a->n; j += 101) {
                    if (ref->object_id[i] != 2 || ref->object_id[j] != 2) continue;
                    double d0 = 0, d1 = 0;
                    for (int k = 0; k < 3; k++) {
                        d0 += pow(ref->xyz[i][k] - ref->xyz[j][k], 2);
                        d1 += pow(a->xyz[i][k] - a->xyz[j][k], 2);
                    }
                    if (d0 > 0 && fabs(sqrt(d1 / d0) - (1 + o.epsilon)) > 1e-12) ok = 0;
                }
            CZ_CHECK(ok, "p = 0 scales distances by 1 + eps");
        }
        cz_atoms_destroy(a);
    }
    /* Without object restriction every atom moves. */
    cz_atoms *a = NULL;
    cz_atoms_copy(ref, &a);
    cz_radial_strain_opts o;
    cz_radial_strain_opts_default(&o);
    o.epsilon = 0.01;
    size_t moved = 0;
    cz_strain_radial(a, &o, &moved);
    CZ_CHECK(moved == a->n, "all atoms selected (%zu of %zu)", moved, a->n);
    /* Errors. */
    CZ_CHECK_FAILS(cz_strain_radial(NULL, &o, NULL), CZ_EINVAL, "must not be NULL");
    o.epsilon = -1.0;
    CZ_CHECK_FAILS(cz_strain_radial(a, &o, NULL), CZ_EINVAL, "epsilon must be > -1");
    cz_radial_strain_opts_default(&o);
    o.radius = 0;
    CZ_CHECK_FAILS(cz_strain_radial(a, &o, NULL), CZ_EINVAL, "radius must be > 0");
    cz_radial_strain_opts_default(&o);
    o.exponent = -0.5;
    CZ_CHECK_FAILS(cz_strain_radial(a, &o, NULL), CZ_EINVAL, "exponent must be >= 0");
    cz_radial_strain_opts_default(&o);
    o.profile = (cz_radial_profile)4;
    CZ_CHECK_FAILS(cz_strain_radial(a, &o, NULL), CZ_EINVAL, "unknown radial profile 4");
    cz_radial_strain_opts_default(&o);
    o.object_id = -1;
    CZ_CHECK_FAILS(cz_strain_radial(a, &o, NULL), CZ_EINVAL, "object_id");
    cz_radial_strain_opts_default(&o);
    o.center[1] = NAN;
    CZ_CHECK_FAILS(cz_strain_radial(a, &o, NULL), CZ_EINVAL, "center");
    cz_atoms_destroy(a);
    cz_atoms_destroy(ref);
}

/* Least-squares fit of u/r = B + C/r³ over (r, u/r) samples. */
static void fit_shell(const double *r, const double *g, size_t n, double *B, double *C) {
    double s1 = 0, sx = 0, sxx = 0, sy = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        double x = 1.0 / (r[i] * r[i] * r[i]);
        s1 += 1, sx += x, sxx += x * x, sy += g[i], sxy += x * g[i];
    }
    *C = (s1 * sxy - sx * sy) / (s1 * sxx - sx * sx);
    *B = (sy - *C * sx) / s1;
}

static void test_core_shell(void) {
    const double c2[3] = {12.5, -7.25, 3.125};
    cz_atoms *ref = two_spheres(c2, 21.0);
    const double rc = 9.7, rs = 21.0, delta = 0.0417, nu = 0.42;
    cz_atoms *a = NULL;
    cz_atoms_copy(ref, &a);
    cz_core_shell_strain_opts o;
    cz_core_shell_strain_opts_default(&o);
    memcpy(o.center, c2, sizeof o.center);
    o.core_radius = rc;
    o.shell_radius = rs;
    o.misfit = delta;
    o.poisson = nu;
    o.object_id = 2;
    size_t moved = 0;
    CZ_CHECK(cz_strain_core_shell(a, &o, &moved) == CZ_OK, "%s", cz_last_error());
    /* Recover the field from the atoms and check the equations it must solve. */
    size_t ns = 0, nc = 0;
    double *rr = malloc(a->n * sizeof *rr), *gg = malloc(a->n * sizeof *gg);
    double amin = INFINITY, amax = -INFINITY;
    int radial = 1, others = 1;
    for (size_t i = 0; i < a->n; i++) {
        if (ref->object_id[i] != 2) {
            if (memcmp(a->xyz[i], ref->xyz[i], sizeof a->xyz[i]) != 0) others = 0;
            continue;
        }
        double d[3], u[3], r;
        for (int k = 0; k < 3; k++) {
            d[k] = ref->xyz[i][k] - c2[k];
            u[k] = a->xyz[i][k] - ref->xyz[i][k];
        }
        r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (r == 0) continue;
        double ur = (u[0] * d[0] + u[1] * d[1] + u[2] * d[2]) / r;
        for (int k = 0; k < 3; k++)
            if (fabs(u[k] - ur * d[k] / r) > 1e-12) radial = 0;
        if (r <= rc) {
            nc++;
            amin = fmin(amin, ur / r);
            amax = fmax(amax, ur / r);
        } else {
            rr[ns] = r;
            gg[ns] = ur / r;
            ns++;
        }
    }
    CZ_CHECK(radial && others, "radial field, other objects untouched");
    CZ_CHECK(nc > 100 && ns > 1000, "core %zu, shell %zu atoms", nc, ns);
    double A = amin, B, C;
    CZ_CHECK_CLOSE(amin, amax, 1e-12, "the core dilates uniformly");
    fit_shell(rr, gg, ns, &B, &C);
    /* Continuity of u, continuity of σ_rr at R_c (in units of 2μ/(1−2ν)) and a free surface:
     * σ_rr ∝ (1+ν)(B − δ) − 2(1−2ν) C/r³ in the shell and (1+ν) A in the core. */
    double jump_u = A * rc - (B * rc + C / (rc * rc));
    double sig_core = (1 + nu) * A;
    double sig_shell_rc = (1 + nu) * (B - delta) - 2 * (1 - 2 * nu) * C / pow(rc, 3);
    double sig_rs = (1 + nu) * (B - delta) - 2 * (1 - 2 * nu) * C / pow(rs, 3);
    printf(
        "core-shell: A = %.9f, B = %.9f, C = %.6f Å^3; [u](Rc) = %.2e Å, "
        "[sigma](Rc) = %.2e, sigma(Rs) = %.2e\n",
        A, B, C, jump_u, sig_core - sig_shell_rc, sig_rs);
    CZ_CHECK(fabs(jump_u) < 1e-10, "u continuous at R_c (%g)", jump_u);
    CZ_CHECK(fabs(sig_core - sig_shell_rc) < 1e-10, "traction continuous at R_c");
    CZ_CHECK(fabs(sig_rs) < 1e-10, "free outer surface (%g)", sig_rs);
    CZ_CHECK(moved == nc + ns + 1 || moved == nc + ns, "moved %zu", moved);
    free(rr);
    free(gg);
    cz_atoms_destroy(a);
    /* A small core in a thick shell: the outer shell relaxes to its natural spacing. */
    cz_atoms_copy(ref, &a);
    o.core_radius = 1.0;
    cz_strain_core_shell(a, &o, NULL);
    double worst = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (ref->object_id[i] != 2) continue;
        double d[3], u[3];
        for (int k = 0; k < 3; k++) {
            d[k] = ref->xyz[i][k] - c2[k];
            u[k] = a->xyz[i][k] - ref->xyz[i][k];
        }
        double r = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (r < 15) continue;
        double ur = (u[0] * d[0] + u[1] * d[1] + u[2] * d[2]) / r;
        worst = fmax(worst, fabs(ur / r - delta) / delta);
    }
    CZ_CHECK(worst < 1e-3, "outer shell at its natural spacing within %g", worst);
    /* Errors. */
    cz_core_shell_strain_opts_default(&o);
    CZ_CHECK_FAILS(cz_strain_core_shell(a, &o, NULL), CZ_EINVAL, "core_radius");
    o.core_radius = 5;
    CZ_CHECK_FAILS(cz_strain_core_shell(a, &o, NULL), CZ_EINVAL, "shell_radius");
    o.shell_radius = 4;
    CZ_CHECK_FAILS(cz_strain_core_shell(a, &o, NULL), CZ_EINVAL, "shell_radius must be > core");
    o.shell_radius = 9;
    o.misfit = 0.7;
    CZ_CHECK_FAILS(cz_strain_core_shell(a, &o, NULL), CZ_EINVAL, "misfit");
    o.misfit = 0.01;
    o.poisson = 0.5;
    CZ_CHECK_FAILS(cz_strain_core_shell(a, &o, NULL), CZ_EINVAL, "poisson");
    o.poisson = 0.3;
    o.object_id = -3;
    CZ_CHECK_FAILS(cz_strain_core_shell(a, &o, NULL), CZ_EINVAL, "object_id");
    o.object_id = 0;
    o.center[2] = INFINITY;
    CZ_CHECK_FAILS(cz_strain_core_shell(a, &o, NULL), CZ_EINVAL, "center");
    CZ_CHECK_FAILS(cz_strain_core_shell(NULL, &o, NULL), CZ_EINVAL, "must not be NULL");
    cz_radial_strain_opts_default(NULL);
    cz_core_shell_strain_opts_default(NULL);
    cz_atoms_destroy(a);
    cz_atoms_destroy(ref);
}

int main(void) {
    test_voigt();
    test_homogeneous();
    test_radial();
    test_core_shell();
    return cz_test_summary("strain");
}
