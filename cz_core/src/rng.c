/* rng.c — counter-based random numbers: a pure function of (seed, stream, index). */
#include "cz/cz_rng.h"

#include <math.h>

/* The SplitMix64 output function (Steele, Lea, Flood 2014): a bijective 64-bit mixer whose
 * outputs for consecutive inputs pass BigCrush. Folding the keys in between two rounds
 * with distinct odd constants gives independent streams for distinct (seed, stream). */
static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

uint64_t cz_rng_u64(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t k = mix64(seed + 0x9e3779b97f4a7c15ULL);
    k = mix64(k ^ (stream * 0xd1b54a32d192ed03ULL + 0x8cb92ba72f3d8dd7ULL));
    return mix64(k + index * 0x9e3779b97f4a7c15ULL);
}

double cz_rng_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
    return (double)(cz_rng_u64(seed, stream, index) >> 11) * 0x1.0p-53;
}

double cz_rng_normal(uint64_t seed, uint64_t stream, uint64_t index) {
    /* Box–Muller; 1 − u keeps the logarithm's argument in (0, 1]. */
    double u1 = 1.0 - cz_rng_uniform(seed, stream, 2 * index);
    double u2 = cz_rng_uniform(seed, stream, 2 * index + 1);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

void cz_rng_rotation(uint64_t seed, uint64_t stream, uint64_t index, double rot[3][3]) {
    /* Shoemake (1992), "Uniform random rotations": a uniform unit quaternion from three
     * uniform deviates. */
    const double two_pi = 2.0 * 3.14159265358979323846;
    double u1 = cz_rng_uniform(seed, stream, 3 * index);
    double u2 = cz_rng_uniform(seed, stream, 3 * index + 1);
    double u3 = cz_rng_uniform(seed, stream, 3 * index + 2);
    double s1 = sqrt(1.0 - u1), s2 = sqrt(u1);
    double w = s1 * sin(two_pi * u2), x = s1 * cos(two_pi * u2);
    double y = s2 * sin(two_pi * u3), z = s2 * cos(two_pi * u3);
    rot[0][0] = 1 - 2 * (y * y + z * z);
    rot[0][1] = 2 * (x * y - z * w);
    rot[0][2] = 2 * (x * z + y * w);
    rot[1][0] = 2 * (x * y + z * w);
    rot[1][1] = 1 - 2 * (x * x + z * z);
    rot[1][2] = 2 * (y * z - x * w);
    rot[2][0] = 2 * (x * z - y * w);
    rot[2][1] = 2 * (y * z + x * w);
    rot[2][2] = 1 - 2 * (x * x + y * y);
}
