/* finite.h — finite projection: slab integrals of the 3-D potential and the per-slice
 * redistribution ("leak") of each atom's potential among the slices it reaches (private). */
#ifndef CZ_SIM_FINITE_H
#define CZ_SIM_FINITE_H

#include "cz/cz_sim.h"

/* Table resolution: C(r, h) on (NR + 1) × (NH + 1) nodes r_i = R (i/NR)², h_j = R (j/NH)². */
#define CZI_FIN_NR 128
#define CZI_FIN_NH 128

/* 3-D potential V(ρ) of one atom, V (Kirkland 2010 eq. C.19; for Lobato the 3-D transform of
 * its eq. 13). ρ > 0; z and param valid. */
double czi_v3(int z, cz_sim_param param, double rho);

/* ∫_{z0}^{z1} V(sqrt(r² + z²)) dz in V·Å for r > 0, z0 <= z1 (either may be ±infinity). */
double czi_slab(int z, cz_sim_param param, double r, double z0, double z1);

/* Lateral and vertical reach R of a species: V(ρ) <= 1e-4 V(0.5 Å) for ρ >= R (3 to 5.5 Å). */
double czi_fin_reach(int z, cz_sim_param param);

/* Fill tab[(NH + 1) × (NR + 1)] (row j = h_j) with C(r_i, h_j) = ∫_{h_j}^{R} V dz, R = reach. */
void czi_fin_table(int z, cz_sim_param param, double reach, float *tab);

struct cz_sim_plan;
/* Real-space part of slice s's finite-projection potential into p->leak (V·Å); returns 0 (leak
 * untouched) when no atom reaches the slice. */
int czi_fin_leak(struct cz_sim_plan *p, size_t s);

#endif
