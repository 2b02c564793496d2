/* potential_rs.h — real-space projected potential: superposition of tabulated radial profiles
 * (CZ_SIM_POTENTIAL_REALSPACE; private). */
#ifndef CZ_SIM_POTENTIAL_RS_H
#define CZ_SIM_POTENTIAL_RS_H

#include <stddef.h>

#include "cz/cz_sim.h"

/* Tail mass beyond the radius R_t up to which a profile is kept unchanged, relative to F(0). */
#define CZI_RS_TAIL 1e-4
/* Width of the taper that takes the profile from R_t to 0 at the cutoff R_c = R_t + width, Å. */
#define CZI_RS_TAPER 0.5

struct cz_sim_plan;

/* The radii of a species' profile: R_t (kept unchanged inside) and R_c = R_t + CZI_RS_TAPER. */
void czi_rs_radii(int z, cz_sim_param param, double *rt, double *rc);

/* Build the species tables and the per-slice workspace for the plan's atoms (called by
 * cz_sim_set_atoms once atoms, species and slices are known). Frees any previous state.
 * With dbl != 0 the tables are also made in double precision. */
cz_status czi_rs_prepare(struct cz_sim_plan *p, int dbl);
void czi_rs_free(struct cz_sim_plan *p);

/* Projected potential of slice s (V·Å) into v ([ny][nx], overwritten); returns 0 (v untouched)
 * for a slice without atoms. czi_rs_slice_d is the double-precision version. */
int czi_rs_slice(struct cz_sim_plan *p, size_t s, float *v);
int czi_rs_slice_d(struct cz_sim_plan *p, size_t s, double *v);

#endif
