/* params.c — physical constants, electron wavelength and interaction parameter, scattering
 * factors and analytic projected potentials. */
#include "params.h"

#include <math.h>

#include "error.h"

/* CODATA 2018 (exact where the SI defines them). */
#define H_PLANCK 6.62607015e-34      /* J s */
#define E_CHARGE 1.602176634e-19     /* C */
#define M_ELECTRON 9.1093837015e-31  /* kg */
#define C_LIGHT 299792458.0          /* m/s */
#define EPS0 8.8541878128e-12        /* F/m */
#define BOHR_A 0.529177210903        /* Å */

static const double PI = 3.14159265358979323846;

double czi_pot_prefactor(void) {
    /* e/(4π ε0) in V·Å, times a0 in Å: the atomic unit of potential × length², then 2π (Kirkland
     * 2010 eq. 5.16 writes V = 2π a0 e ∫ f_e exp(...) d³q with e a0 = 14.4 V·Å × 0.529 Å). */
    double e_over_4pieps0 = E_CHARGE / (4.0 * PI * EPS0) * 1e10;
    return 2.0 * PI * BOHR_A * e_over_4pieps0;
}

cz_status cz_sim_electron(double energy_ev, double *wavelength, double *sigma) {
    if (wavelength) *wavelength = 0.0;
    if (sigma) *sigma = 0.0;
    if (!isfinite(energy_ev) || energy_ev <= 0.0)
        return CZ_SIM_FAIL(CZ_EINVAL, "energy_ev must be finite and > 0 (got %g)", energy_ev);
    double ee = E_CHARGE * energy_ev; /* J */
    double mc2 = M_ELECTRON * C_LIGHT * C_LIGHT;
    /* Kirkland 2010 eq. 2.5: λ = h / sqrt(2 m0 eV (1 + eV/(2 m0 c²))). */
    double lam = H_PLANCK / sqrt(2.0 * M_ELECTRON * ee * (1.0 + ee / (2.0 * mc2))); /* m */
    /* Kirkland 2010 eq. 5.6: σ = 2π m e λ / h², m = m0 (1 + eV/(m0 c²)); in rad/(V·m). */
    double m = M_ELECTRON * (1.0 + ee / mc2);
    double sig = 2.0 * PI * m * E_CHARGE * lam / (H_PLANCK * H_PLANCK);
    if (wavelength) *wavelength = lam * 1e10;
    if (sigma) *sigma = sig * 1e-10;
    return CZ_OK;
}

cz_status cz_sim_scherzer_defocus(double energy_ev, double cs, double *defocus) {
    if (defocus) *defocus = 0.0;
    if (!defocus) return CZ_SIM_FAIL(CZ_EINVAL, "defocus must not be NULL");
    if (!isfinite(cs)) return CZ_SIM_FAIL(CZ_EINVAL, "cs must be finite (got %g)", cs);
    double lam;
    cz_status st = cz_sim_electron(energy_ev, &lam, NULL);
    if (st) return st;
    double d = sqrt(1.5 * fabs(cs) * lam);
    *defocus = cs < 0 ? -d : d;
    return CZ_OK;
}

/* Abramowitz & Stegun (1964) 9.8.1–9.8.8: polynomial approximations with relative error below
 * about 2e-7, ample for potentials compared at the 1e-5 level. */
static double bessel_i0(double x) {
    double t = x / 3.75, t2 = t * t;
    return 1.0 + t2 * (3.5156229 + t2 * (3.0899424 + t2 * (1.2067492 + t2 * (0.2659732 +
                 t2 * (0.0360768 + t2 * 0.0045813)))));
}

static double bessel_i1(double x) {
    double t = x / 3.75, t2 = t * t;
    return x * (0.5 + t2 * (0.87890594 + t2 * (0.51498869 + t2 * (0.15084934 +
                t2 * (0.02658733 + t2 * (0.00301532 + t2 * 0.00032411))))));
}

double czi_bessel_k0(double x) {
    if (x <= 2.0) {
        double y = x * x / 4.0;
        return -log(x / 2.0) * bessel_i0(x) +
               (-0.57721566 + y * (0.42278420 + y * (0.23069756 + y * (0.03488590 +
                y * (0.00262698 + y * (0.00010750 + y * 0.00000740))))));
    }
    double y = 2.0 / x;
    return exp(-x) / sqrt(x) *
           (1.25331414 + y * (-0.07832358 + y * (0.02189568 + y * (-0.01062446 +
            y * (0.00587872 + y * (-0.00251540 + y * 0.00053208))))));
}

double czi_bessel_k1(double x) {
    if (x <= 2.0) {
        double y = x * x / 4.0;
        return (x * log(x / 2.0) * bessel_i1(x) +
                (1.0 + y * (0.15443144 + y * (-0.67278579 + y * (-0.18156897 +
                 y * (-0.01919402 + y * (-0.00110404 + y * (-0.00004686)))))))) / x;
    }
    double y = 2.0 / x;
    return exp(-x) / sqrt(x) *
           (1.25331414 + y * (0.23498619 + y * (-0.03655620 + y * (0.01504268 +
            y * (-0.00780353 + y * (0.00325614 + y * (-0.00068245)))))));
}

double czi_scatt(int z, cz_sim_param param, double k2) {
    double f = 0.0;
    if (param == CZ_SIM_KIRKLAND) {
        const double *p = czi_kirkland[z];
        /* Kirkland 2010 eq. C.15: Lorentzians a/(q²+b) plus Gaussians c·exp(−d q²). */
        for (int i = 0; i < 3; i++) f += p[i] / (k2 + p[3 + i]) + p[6 + i] * exp(-p[9 + i] * k2);
    } else {
        const double *p = czi_lobato[z];
        /* Lobato & Van Dyck 2014 eq. 13: a (2 + b g²)/(1 + b g²)². */
        for (int i = 0; i < 5; i++) {
            double d = 1.0 + p[5 + i] * k2;
            f += p[i] * (2.0 + p[5 + i] * k2) / (d * d);
        }
    }
    return czi_pot_prefactor() * f;
}

double czi_vz(int z, cz_sim_param param, double r) {
    double v = 0.0;
    if (param == CZ_SIM_KIRKLAND) {
        const double *p = czi_kirkland[z];
        /* Kirkland 2010 eq. C.20: the 2-D transform of a/(q²+b) is 2π a K0(2π r √b), that of
         * c exp(−d q²) is (π c/d) exp(−π² r²/d). */
        for (int i = 0; i < 3; i++) {
            v += 2.0 * PI * p[i] * czi_bessel_k0(2.0 * PI * r * sqrt(p[3 + i]));
            v += PI * p[6 + i] / p[9 + i] * exp(-PI * PI * r * r / p[9 + i]);
        }
    } else {
        const double *p = czi_lobato[z];
        /* Lobato 2014: (2 + b g²)/(1 + b g²)² = 1/(1 + b g²) + 1/(1 + b g²)². Their 2-D
         * transforms are (2π/b) K0(2π r/√b) and (2π² r/b^{3/2}) K1(2π r/√b). */
        for (int i = 0; i < 5; i++) {
            double b = p[5 + i], sb = sqrt(b), x = 2.0 * PI * r / sb;
            v += p[i] * (2.0 * PI / b * czi_bessel_k0(x) +
                         2.0 * PI * PI * r / (b * sb) * czi_bessel_k1(x));
        }
    }
    return czi_pot_prefactor() * v;
}

double czi_vz_tail(int z, cz_sim_param param, double r) {
    double m = 0.0;
    if (param == CZ_SIM_KIRKLAND) {
        const double *p = czi_kirkland[z];
        /* ∫_R^∞ 2πr K0(κr) dr = 2πR K1(κR)/κ (from d[x K1(x)]/dx = −x K0(x)), and
         * ∫_R^∞ 2πr (πc/d) e^{−π²r²/d} dr = c e^{−π²R²/d}. */
        for (int i = 0; i < 3; i++) {
            double kap = 2.0 * PI * sqrt(p[3 + i]);
            m += 2.0 * PI * p[i] * 2.0 * PI * r * czi_bessel_k1(kap * r) / kap;
            m += p[6 + i] * exp(-PI * PI * r * r / p[9 + i]);
        }
    } else {
        const double *p = czi_lobato[z];
        /* The K0 term as above; ∫_R^∞ 2πr·r K1(κr) dr = 2πR² K2(κR)/κ (d[x² K2]/dx = −x² K1),
         * K2(x) = K0(x) + 2 K1(x)/x. */
        for (int i = 0; i < 5; i++) {
            double b = p[5 + i], sb = sqrt(b), kap = 2.0 * PI / sb, x = kap * r;
            double k0 = czi_bessel_k0(x), k1 = czi_bessel_k1(x), k2 = k0 + 2.0 * k1 / x;
            m += p[i] * (2.0 * PI / b * 2.0 * PI * r * k1 / kap +
                         2.0 * PI * PI / (b * sb) * 2.0 * PI * r * r * k2 / kap);
        }
    }
    return czi_pot_prefactor() * m;
}

static cz_status check_species(int z, cz_sim_param param) {
    if (param != CZ_SIM_KIRKLAND && param != CZ_SIM_LOBATO)
        return CZ_SIM_FAIL(CZ_EINVAL, "unknown parametrisation %d", (int)param);
    if (z < 1 || z > CZI_PARAM_ZMAX)
        return CZ_SIM_FAIL(CZ_EINVAL, "atomic number must be in 1..%d (got %d)", CZI_PARAM_ZMAX, z);
    return CZ_OK;
}

cz_status cz_sim_projected_potential(int z, cz_sim_param param, size_t n, const double r[],
                                     double v[]) {
    cz_status st = check_species(z, param);
    if (st) return st;
    if (n && (!r || !v)) return CZ_SIM_FAIL(CZ_EINVAL, "r and v must not be NULL");
    for (size_t i = 0; i < n; i++)
        if (!(r[i] > 0.0) || !isfinite(r[i]))
            return CZ_SIM_FAIL(CZ_EINVAL, "r[%zu] must be finite and > 0 (got %g)", i, r[i]);
    for (size_t i = 0; i < n; i++) v[i] = czi_vz(z, param, r[i]);
    return CZ_OK;
}

cz_status cz_sim_scattering_factor(int z, cz_sim_param param, size_t n, const double k[],
                                   double f[]) {
    cz_status st = check_species(z, param);
    if (st) return st;
    if (n && (!k || !f)) return CZ_SIM_FAIL(CZ_EINVAL, "k and f must not be NULL");
    for (size_t i = 0; i < n; i++)
        if (!(k[i] >= 0.0) || !isfinite(k[i]))
            return CZ_SIM_FAIL(CZ_EINVAL, "k[%zu] must be finite and >= 0 (got %g)", i, k[i]);
    for (size_t i = 0; i < n; i++) f[i] = czi_scatt(z, param, k[i] * k[i]);
    return CZ_OK;
}
