/* phonons.h — the counter-based random numbers of libczsim (private; defined in phonons.c).
 *
 * Every random number is a pure function of (seed, domain, stream, index, draw): there is no
 * generator state, so results do not depend on the thread count or on the order in which sites
 * are visited. Domains keep unrelated uses (phonon displacements, shot noise, read noise) apart
 * even when the caller gives them the same seed. */
#ifndef CZ_SIM_PHONONS_H
#define CZ_SIM_PHONONS_H

#include <stdint.h>

enum {
    CZI_RNG_PHONON = 0x70686f6eu, /* stream = configuration, index = atom */
    CZI_RNG_SHOT = 0x73686f74u,   /* stream = frame, index = pixel */
    CZI_RNG_READ = 0x72656164u    /* stream = frame, index = pixel */
};

/* Key of one site: a hash of (seed, domain, stream, index). */
uint64_t czi_sim_rng_key(uint64_t seed, uint64_t domain, uint64_t stream, uint64_t index);

/* Draw number `draw` of a site as 64 random bits, and as a double uniform in the open interval
 * (0, 1) (53 random bits; never 0 or 1, so log() is safe). */
uint64_t czi_sim_rng_bits(uint64_t key, uint64_t draw);
double czi_sim_rng_uniform(uint64_t key, uint64_t draw);

/* Two independent standard normal numbers from draws (draw, draw + 1) (Box–Muller). */
void czi_sim_rng_normal2(uint64_t key, uint64_t draw, double out[2]);

#endif
