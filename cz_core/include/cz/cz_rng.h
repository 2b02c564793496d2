/**
 * cz_rng.h — counter-based random numbers.
 *
 * Every random value in cz is a pure function of (seed, stream, index): no state is
 * carried between calls, so results do not depend on thread count, rank count or order
 * of evaluation. The generator is a 64-bit mixing function (the SplitMix64 finaliser,
 * applied twice with the three keys folded in); it passes the statistical checks in
 * tests/c/test_rng.c. Streams separate independent uses (e.g. one stream per object or
 * per kind of choice); indices count the draws within a stream.
 */
#ifndef CZ_RNG_H
#define CZ_RNG_H

#include <stdint.h>

#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** 64 random bits for (seed, stream, index). Pure, thread-safe. */
CZ_API uint64_t cz_rng_u64(uint64_t seed, uint64_t stream, uint64_t index);

/** Uniform double in [0, 1) with 53 random bits. Pure, thread-safe. */
CZ_API double cz_rng_uniform(uint64_t seed, uint64_t stream, uint64_t index);

/** Standard normal deviate (Box–Muller on draws 2·index and 2·index+1 of the stream). */
CZ_API double cz_rng_normal(uint64_t seed, uint64_t stream, uint64_t index);

/** Uniformly random rotation on SO(3) (Shoemake's quaternion method) from draws
 *  3·index .. 3·index+2 of the stream. rot is a proper rotation matrix (det +1). */
CZ_API void cz_rng_rotation(uint64_t seed, uint64_t stream, uint64_t index, double rot[3][3]);

#ifdef __cplusplus
}
#endif
#endif /* CZ_RNG_H */
