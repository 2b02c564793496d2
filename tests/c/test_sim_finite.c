/* test_sim_finite.c — finite projection: slab integrals of the 3-D potential (against the
 * closed-form projected potential, spherical symmetry, the volume integral F(0)), the gridded
 * slice potentials (sum over slices = infinite projection, per-slice integrals against the
 * Fourier-space closed form, thin slices against the slab integral), the multislice with finite
 * projection (determinism, leading-slice logic) and every error. */
#include <stdint.h>

#include "cz/cz_sim.h"
#include "cz_test.h"
#include "params.h"

static const double PI = 3.14159265358979323846;

static double slab1(int z, cz_sim_param pr, double r, double z0, double z1) {
    double v = NAN;
    cz_status st = cz_sim_slab_potential(z, pr, 1, &r, z0, z1, &v);
    CZ_CHECK(st == CZ_OK, "slab: %s", cz_sim_last_error());
    return v;
}

/* Integral over the plane of the slab [z0, z1] of a Kirkland atom at the origin, V·Å³, from the
 * mixed representation (2-D transform at k = 0, real in z): a Lorentzian a/(q² + b) gives
 * (π/√b) e^{−2π√b|z|} along z, a Gaussian c e^{−dq²} gives c √(π/d) e^{−π²z²/d}. */
static double plane_integral(int z, double z0, double z1) {
    const double *k = czi_kirkland[z];
    double s = 0.0;
    for (int i = 0; i < 3; i++) {
        double kap = sqrt(k[3 + i]);
        /* ∫ e^{−2πκ|u|} du = sign(u)(1 − e^{−2πκ|u|})/(2πκ). */
        double g1 = copysign(1.0 - exp(-2 * PI * kap * fabs(z1)), z1) / (2 * PI * kap);
        double g0 = copysign(1.0 - exp(-2 * PI * kap * fabs(z0)), z0) / (2 * PI * kap);
        s += k[i] * PI / kap * (g1 - g0);
        double sd = sqrt(k[9 + i]);
        s += k[6 + i] * 0.5 * (erf(PI * z1 / sd) - erf(PI * z0 / sd));
    }
    double f0 = 0.0, kk = 0.0;
    cz_sim_scattering_factor(z, CZ_SIM_KIRKLAND, 1, &kk, &f0);
    /* F(0) = prefactor · f_e(0); scale the f_e-unit sum by the same prefactor. */
    double fe0 = 0.0;
    for (int i = 0; i < 3; i++) fe0 += k[i] / k[3 + i] + k[6 + i];
    return s * f0 / fe0;
}

/* Potential method of the gridded tests (both are run). */
static cz_sim_potential_method method = CZ_SIM_POTENTIAL_REALSPACE;
static const char *method_name(void) {
    return method == CZ_SIM_POTENTIAL_REALSPACE ? "real space" : "particle mesh";
}

static cz_sim_plan *plan_for(double lz, double dz, cz_sim_projection proj, size_t n, int nt) {
    cz_sim_opts o;
    cz_sim_opts_default(&o);
    o.potential_method = method;
    o.nx = o.ny = n;
    o.slice_thickness = dz;
    o.projection = proj;
    o.flags = CZ_SIM_FFTW_ESTIMATE;
    o.wisdom_path = "";
    o.nthreads = nt;
    double cell[3][3] = {{20, 0, 0}, {0, 20, 0}, {0, 0, lz}};
    cz_sim_plan *p = NULL;
    CZ_CHECK(cz_sim_plan_create(&o, CZ_CROWS(cell), &p) == CZ_OK, "plan: %s", cz_sim_last_error());
    return p;
}

int main(void) {
    /* --- Slab integrals. Over the whole line: the projected potential (Kirkland's K0 form,
     * Lobato's K0 + K1 form), which the quadrature never uses. */
    const double rs[5] = {0.013, 0.05, 0.31, 1.07, 2.6};
    for (int pr = 0; pr < 2; pr++)
        for (int e = 0; e < 3; e++) {
            int z = (int[]){79, 6, 29}[e];
            for (int i = 0; i < 5; i++) {
                double full = slab1(z, (cz_sim_param)pr, rs[i], -INFINITY, INFINITY), vz;
                cz_sim_projected_potential(z, (cz_sim_param)pr, 1, &rs[i], &vz);
                /* The projected potential's K0/K1 come from polynomial fits good to ~1e-7. */
                CZ_CHECK_CLOSE(full, vz, 2e-6, "Z %d param %d r %g: slab(-inf, inf)", z, pr, rs[i]);
            }
        }
    /* Additivity and mirror symmetry. */
    {
        double r = 0.437, cuts[5] = {-INFINITY, -0.7, 0.2, 1.9, INFINITY}, sum = 0;
        for (int i = 0; i < 4; i++) sum += slab1(79, CZ_SIM_KIRKLAND, r, cuts[i], cuts[i + 1]);
        CZ_CHECK_CLOSE(sum, slab1(79, CZ_SIM_KIRKLAND, r, -INFINITY, INFINITY), 1e-12, "additive");
        CZ_CHECK_CLOSE(slab1(79, CZ_SIM_KIRKLAND, r, 0.3, 1.1),
                       slab1(79, CZ_SIM_KIRKLAND, r, -1.1, -0.3), 1e-12, "mirror");
    }
    /* Thin slabs give the 3-D potential, which is spherically symmetric: the same ρ reached
     * with different (r, z) splits gives the same value although the quadratures differ. */
    {
        const double d = 1e-3;
        double rho = 0.9,
               pairs[3][2] = {{0.9, 0.0}, {0.5, sqrt(0.9 * 0.9 - 0.25)}, {0.1, sqrt(0.81 - 0.01)}};
        double v0 =
            slab1(79, CZ_SIM_KIRKLAND, pairs[0][0], pairs[0][1] - d / 2, pairs[0][1] + d / 2) / d;
        for (int q = 1; q < 3; q++) {
            double v =
                slab1(79, CZ_SIM_KIRKLAND, pairs[q][0], pairs[q][1] - d / 2, pairs[q][1] + d / 2) /
                d;
            CZ_CHECK_CLOSE(v, v0, 1e-5, "thin slab at rho %g via r = %g", rho, pairs[q][0]);
        }
        /* Volume integral of V: ∫ 4πρ² V(ρ) dρ = F(0) = 505.270 V·Å³ for Au (the parametrised
         * scattering factor at q = 0), with V from thin slabs (ρ = e^s). */
        for (int pr = 0; pr < 2; pr++) {
            double sum = 0, ds = 0.004;
            for (double s = -10; s < 2.6; s += ds) {
                double r = exp(s + 0.5 * ds), w = r * 1e-4;
                double v = slab1(79, (cz_sim_param)pr, r, -w / 2, w / 2) / w;
                sum += 4 * PI * r * r * v * r * ds;
            }
            double f0, k0 = 0;
            cz_sim_scattering_factor(79, (cz_sim_param)pr, 1, &k0, &f0);
            CZ_CHECK_CLOSE(sum, f0, 1e-4, "volume integral of V (param %d)", pr);
        }
    }

    size_t n = 400, np = n * n;
    double *v = malloc(np * sizeof *v), *vs = calloc(np, sizeof *vs), *vi = malloc(np * sizeof *vi);
    /* The gridded and multislice checks, for both potential methods (each atom's own-slice part
     * is the method's infinite projection; the leak is the same real-space redistribution). */
    for (int im = 0; im < 2; im++) {
        method = im ? CZ_SIM_POTENTIAL_FOURIER : CZ_SIM_POTENTIAL_REALSPACE;
        memset(vs, 0, np * sizeof *vs);
        /* --- Gridded: one Au atom, 20 × 20 × 8 Å, 1 Å slices, 400², off-pixel. */
        {
            double xyz[1][3] = {{10.0131, 9.9817, 3.4123}};
            int z = 79;
            cz_sim_plan *pf = plan_for(8.0, 1.0, CZ_SIM_FINITE, n, 1);
            cz_sim_plan *pi = plan_for(8.0, 1.0, CZ_SIM_INFINITE, n, 1);
            CZ_CHECK(cz_sim_set_atoms(pf, 1, CZ_CROWS(xyz), &z) == CZ_OK, "%s",
                     cz_sim_last_error());
            cz_sim_set_atoms(pi, 1, CZ_CROWS(xyz), &z);
            cz_sim_potential(pi, 3, vi, np);
            int nonzero = 0;
            for (size_t s = 0; s < 8; s++) {
                CZ_CHECK(cz_sim_potential(pf, s, v, np) == CZ_OK, "%s", cz_sim_last_error());
                double integ = 0;
                for (size_t i = 0; i < np; i++) vs[i] += v[i], integ += v[i];
                integ *= 0.05 * 0.05;
                double want = plane_integral(79, (double)s - 3.4123, (double)s + 1 - 3.4123);
                if (s == 0) want = plane_integral(79, -INFINITY, 1 - 3.4123);
                if (s == 7) want = plane_integral(79, 7 - 3.4123, INFINITY);
                /* Per-slice integrals: real-space tables vs the Fourier-space closed form; the leak
                 * is cut at the reach (V < 1e-4 V(0.5 Å)). */
                CZ_CHECK(fabs(integ - want) < 2e-3 * 505.27,
                         "slice %zu integral %.5f, closed form %.5f", s, integ, want);
                if (fabs(integ) > 1e-3) nonzero++;
                printf("info: %s: slice %zu: integral %9.5f V·Å³ (closed form %9.5f)\n",
                       method_name(), s, integ, want);
            }
            CZ_CHECK(nonzero >= 4, "the atom reaches %d slices", nonzero);
            double num = 0, den = 0;
            for (size_t i = 0; i < np; i++)
                num += (vs[i] - vi[i]) * (vs[i] - vi[i]), den += vi[i] * vi[i];
            CZ_CHECK(sqrt(num / den) < 1e-4, "sum over slices vs infinite projection: rel RMS %.2e",
                     sqrt(num / den));
            printf("info: %s: finite projection summed over slices vs infinite: rel RMS %.2e\n",
                   method_name(), sqrt(num / den));
            cz_sim_plan_destroy(pf);
            cz_sim_plan_destroy(pi);
        }
        /* Thin slices (0.25 Å): the slice holding the atom, at pixels along the grid diagonals
         * (where both methods give v_z to 3e-4, test_sim_potential), against the slab
         * integral. This slice is the infinite projection minus large leaks (at 1 Å it keeps a
         * fifth of v_z), so it tests the tables where cancellation is strongest. */
        {
            double xyz[1][3] = {{10, 10, 2.125}};
            int z = 79;
            cz_sim_plan *pf = plan_for(4.0, 0.25, CZ_SIM_FINITE, n, 1);
            cz_sim_set_atoms(pf, 1, CZ_CROWS(xyz), &z);
            cz_sim_potential(pf, 8, v, np);
            double worst = 0, rworst = 0;
            for (int sgn = 0; sgn < 4; sgn++)
                for (long t = 6; t <= 28; t++) {
                    long i = 200 + ((sgn & 1) ? t : -t), j = 200 + ((sgn & 2) ? t : -t);
                    double r = sqrt(2.0) * (double)t * 0.05;
                    double a = slab1(79, CZ_SIM_KIRKLAND, r, -0.125, 0.125);
                    double e = fabs(v[(size_t)j * n + (size_t)i] - a) / a;
                    if (e > worst) worst = e, rworst = r;
                }
            CZ_CHECK(worst < 0.02, "thin slice vs slab integral: worst %.3e at r = %.2f Å", worst,
                     rworst);
            printf(
                "info: %s: 0.25 Å slice vs slab integral (diagonals, 0.42-2 Å): max rel "
                "error %.2e at %.2f Å\n",
                method_name(), worst, rworst);
            /* Symmetric placement: the slices just above and below get the same potential. */
            double *v2 = malloc(np * sizeof *v2), d = 0, m = 0;
            cz_sim_potential(pf, 7, v, np);
            cz_sim_potential(pf, 9, v2, np);
            for (size_t i = 0; i < np; i++)
                d = fmax(d, fabs(v[i] - v2[i])), m = fmax(m, fabs(v[i]));
            CZ_CHECK(d < 1e-4 * m, "slices 7 and 9 differ by %g (max %g)", d, m);
            free(v2);
            cz_sim_plan_destroy(pf);
        }

        /* --- Multislice with finite projection: 1 and 2 threads give identical bytes; an atom near
         * the top of slice 2 reaches slice 1, so the run must not skip it (run = propagate from 0).
         */
        {
            enum { NAT = 30 };
            double xyz[NAT][3];
            int zs[NAT];
            uint64_t s = 0x2545F4914F6CDD1Dull;
            for (int a = 0; a < NAT; a++) {
                for (int c = 0; c < 3; c++) {
                    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
                    xyz[a][c] = (double)(s >> 11) / 9007199254740992.0 * (c < 2 ? 20.0 : 3.0) +
                                (c == 2 ? 4.05 : 0.0);
                }
                zs[a] = (a % 3) ? 14 : 79;
            }
            float *w[2] = {NULL, NULL};
            size_t wl = 0;
            for (int nt = 1; nt <= 2; nt++) {
                cz_sim_plan *p = plan_for(10.0, 2.0, CZ_SIM_FINITE, 128, nt);
                CZ_CHECK(cz_sim_set_atoms(p, NAT, CZ_CROWS(xyz), zs) == CZ_OK, "%s",
                         cz_sim_last_error());
                cz_sim_info info;
                cz_sim_plan_info(p, &info);
                wl = info.wave_len;
                w[nt - 1] = malloc(wl * sizeof(float));
                CZ_CHECK(cz_sim_run(p, w[nt - 1], wl) == CZ_OK, "run");
                if (nt == 1) {
                    float *b = malloc(wl * sizeof *b);
                    for (size_t i = 0; i < info.image_len; i++)
                        b[2 * i] = 1.0f, b[2 * i + 1] = 0.0f;
                    cz_sim_propagate(p, 0, info.nslices, b, wl);
                    double maxd = 0;
                    for (size_t i = 0; i < wl; i++) maxd = fmax(maxd, fabs(b[i] - w[0][i]));
                    CZ_CHECK(maxd < 1e-5, "run vs propagate from slice 0: %g", maxd);
                    /* Slice 1 (2–4 Å) holds no atom but receives potential. */
                    double *v1 = malloc(info.image_len * sizeof *v1), m = 0;
                    cz_sim_potential(p, 1, v1, info.image_len);
                    for (size_t i = 0; i < info.image_len; i++) m = fmax(m, fabs(v1[i]));
                    CZ_CHECK(m > 1.0, "slice 1 receives potential from below (max %g V·Å)", m);
                    free(v1);
                    free(b);
                }
                cz_sim_plan_destroy(p);
            }
            CZ_CHECK(memcmp(w[0], w[1], wl * sizeof(float)) == 0,
                     "%s, finite projection: 1 and 2 threads identical", method_name());
            int finite = 1;
            for (size_t i = 0; i < wl; i++) finite &= isfinite(w[0][i]);
            CZ_CHECK(finite, "finite exit wave");
            free(w[0]);
            free(w[1]);
        }
    }

    /* --- Errors. */
    {
        double r[2] = {0.5, 0.0}, out[2];
        CZ_CHECK_FAILS(cz_sim_slab_potential(79, CZ_SIM_KIRKLAND, 2, r, -1, 1, out), CZ_EINVAL,
                       "r[1]");
        r[1] = NAN;
        CZ_CHECK_FAILS(cz_sim_slab_potential(79, CZ_SIM_KIRKLAND, 2, r, -1, 1, out), CZ_EINVAL,
                       "r[1]");
        r[1] = 1.0;
        CZ_CHECK_FAILS(cz_sim_slab_potential(79, CZ_SIM_KIRKLAND, 2, r, 1, 1, out), CZ_EINVAL,
                       "z0 < z1");
        CZ_CHECK_FAILS(cz_sim_slab_potential(79, CZ_SIM_KIRKLAND, 2, r, 2, -1, out), CZ_EINVAL,
                       "z0 < z1");
        CZ_CHECK_FAILS(cz_sim_slab_potential(79, CZ_SIM_KIRKLAND, 2, r, NAN, 1, out), CZ_EINVAL,
                       "z0 < z1");
        CZ_CHECK_FAILS(cz_sim_slab_potential(0, CZ_SIM_KIRKLAND, 2, r, -1, 1, out), CZ_EINVAL,
                       "got 0");
        CZ_CHECK_FAILS(cz_sim_slab_potential(104, CZ_SIM_LOBATO, 2, r, -1, 1, out), CZ_EINVAL,
                       "got 104");
        CZ_CHECK_FAILS(cz_sim_slab_potential(6, (cz_sim_param)5, 2, r, -1, 1, out), CZ_EINVAL,
                       "parametrisation");
        CZ_CHECK_FAILS(cz_sim_slab_potential(6, CZ_SIM_LOBATO, 2, NULL, -1, 1, out), CZ_EINVAL,
                       "NULL");
        CZ_CHECK(cz_sim_slab_potential(6, CZ_SIM_LOBATO, 0, NULL, -1, 1, NULL) == CZ_OK, "n = 0");
        cz_sim_opts o;
        cz_sim_opts_default(&o);
        o.projection = (cz_sim_projection)3;
        o.wisdom_path = "";
        double cell[3][3] = {{10, 0, 0}, {0, 10, 0}, {0, 0, 4}};
        cz_sim_plan *p = NULL;
        CZ_CHECK_FAILS(cz_sim_plan_create(&o, CZ_CROWS(cell), &p), CZ_EINVAL, "unknown projection");
    }
    free(v);
    free(vs);
    free(vi);
    return cz_test_summary("test_sim_finite");
}
