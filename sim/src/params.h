/* params.h — scattering-factor tables and the analytic potentials built from them (private). */
#ifndef CZ_SIM_PARAMS_H
#define CZ_SIM_PARAMS_H

#include "cz/cz_sim.h"

#define CZI_PARAM_ZMAX 103

extern const double czi_kirkland[CZI_PARAM_ZMAX + 1][12];
extern const double czi_lobato[CZI_PARAM_ZMAX + 1][10];

/* 2π a0 e in V·Å²: converts a scattering factor in Å into a potential transform in V·Å³
 * (Kirkland 2010, eq. 5.16 and C.20). */
double czi_pot_prefactor(void);

/* F(k²) = 2π a0 e f_e(k) in V·Å³ for k² in 1/Å². z and param must be valid. */
double czi_scatt(int z, cz_sim_param param, double k2);

/* v_z(r) in V·Å for r > 0. z and param must be valid. */
double czi_vz(int z, cz_sim_param param, double r);

/* Mass of v_z beyond r: ∫_r^∞ v_z(ρ) 2πρ dρ in V·Å³, r > 0 (closed forms in K0, K1, K2);
 * F(0) minus the mass inside r. z and param must be valid. */
double czi_vz_tail(int z, cz_sim_param param, double r);

/* Modified Bessel functions of the second kind, x > 0 (Abramowitz & Stegun 9.8.5–9.8.8). */
double czi_bessel_k0(double x);
double czi_bessel_k1(double x);

#endif
