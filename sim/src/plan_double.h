/* plan_double.h — the CZ_SIM_DOUBLE path: projected potential and multislice in double precision
 * (private). A separate, plain code path: whole 2-D FFTW double plans and four transforms per
 * slice, none of the single-precision path's blocking and fusion; the same tables and formulas
 * in double. */
#ifndef CZ_SIM_PLAN_DOUBLE_H
#define CZ_SIM_PLAN_DOUBLE_H

#include <stddef.h>

#include "cz/cz_sim.h"

struct cz_sim_plan;

/* Buffers, FFTW double plans, propagator and aperture tables (p->dbl). CZ_ENOTSUP when libczsim
 * was built without libfftw3. */
cz_status czi_dbl_create(struct cz_sim_plan *p);
void czi_dbl_destroy(struct cz_sim_plan *p);

/* Species tables of the particle mesh for the plan's atoms (after cz_sim_set_atoms has sorted
 * them); czi_dbl_free_atoms drops them. */
cz_status czi_dbl_set_atoms(struct cz_sim_plan *p);
void czi_dbl_free_atoms(struct cz_sim_plan *p);

/* Projected potential of slice s into v[npix] (V·Å); returns 0 (v untouched) when the slice
 * receives no potential. */
int czi_dbl_potential(struct cz_sim_plan *p, size_t s, double *v);

/* Slices [first, first + count) (count > 0) applied to the wave in fin (complex float) or din
 * (complex double), or to the unit plane wave when both are NULL; the result goes to fout or
 * dout (either may alias the input). With capture the exit wave's spectrum/N is left in p->spec
 * (single precision, band columns) for cz_sim_image. */
void czi_dbl_run(struct cz_sim_plan *p, size_t first, size_t count, const float *fin,
                 const double *din, float *fout, double *dout, int capture);

#endif
