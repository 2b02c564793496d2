/* test_rng.c — counter-based RNG: purity, stream separation and statistical quality of
 * cz_rng_u64, cz_rng_uniform, cz_rng_normal and cz_rng_rotation. The functions have no
 * error paths (they are total), so every test here is a property test. */
#include <stdint.h>
#include <stdlib.h>

#include "cz/cz.h"
#include "cz_test.h"

static const uint64_t SEED = 0x5eed1234abcdULL;

static double det3(const double m[3][3]) {
    return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
           m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
           m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

/* Purity: the same (seed, stream, index) always gives the same value, whatever was drawn
 * in between; changing any one key changes the value. */
static void test_determinism(void) {
    const uint64_t keys[][3] = {{SEED, 7, 0},        {SEED, 7, 1},         {0, 0, 0},
                                {UINT64_MAX, 3, 12}, {42, UINT64_MAX, 99}, {12345, 2, UINT64_MAX}};
    const size_t nk = sizeof keys / sizeof keys[0];
    uint64_t first[6];
    double firstu[6], firstn[6];
    for (size_t i = 0; i < nk; i++) {
        first[i] = cz_rng_u64(keys[i][0], keys[i][1], keys[i][2]);
        firstu[i] = cz_rng_uniform(keys[i][0], keys[i][1], keys[i][2]);
        firstn[i] = cz_rng_normal(keys[i][0], keys[i][1], keys[i][2]);
    }
    /* Interleave unrelated draws, then ask again in reverse order. */
    volatile uint64_t sink = 0;
    for (uint64_t i = 0; i < 1000; i++) sink ^= cz_rng_u64(SEED + i, i, i * 3);
    (void)sink;
    for (size_t r = nk; r-- > 0;) {
        CZ_CHECK(cz_rng_u64(keys[r][0], keys[r][1], keys[r][2]) == first[r], "u64 key %zu", r);
        CZ_CHECK(cz_rng_uniform(keys[r][0], keys[r][1], keys[r][2]) == firstu[r], "uniform %zu", r);
        CZ_CHECK(cz_rng_normal(keys[r][0], keys[r][1], keys[r][2]) == firstn[r], "normal %zu", r);
    }
    double r1[3][3], r2[3][3];
    cz_rng_rotation(SEED, 11, 37, r1);
    cz_rng_rotation(SEED + 1, 11, 37, r2);
    cz_rng_rotation(SEED, 11, 37, r2);
    CZ_CHECK(memcmp(r1, r2, sizeof r1) == 0, "rotation is a pure function of its keys");

    /* The uniform is the top 53 bits of the u64. */
    uint64_t b = cz_rng_u64(SEED, 5, 8);
    CZ_CHECK(cz_rng_uniform(SEED, 5, 8) == (double)(b >> 11) * 0x1.0p-53,
             "uniform uses the top 53 bits of cz_rng_u64");
}

/* Distinct keys give distinct values: no collisions among 3 × 20000 neighbouring keys
 * (a 64-bit collision among them has probability ~1e-11), and no key is ignored. */
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_streams_differ(void) {
    const size_t m = 20000;
    uint64_t *v = malloc(3 * m * sizeof *v);
    if (!v) {
        CZ_CHECK(0, "allocation");
        return;
    }
    for (size_t i = 0; i < m; i++) {
        v[i] = cz_rng_u64(SEED, 3, i);                     /* indices */
        v[m + i] = cz_rng_u64(SEED, 1000 + i, 3);          /* streams */
        v[2 * m + i] = cz_rng_u64(SEED + 7 * i + 1, 3, 3); /* seeds */
    }
    qsort(v, 3 * m, sizeof *v, cmp_u64);
    size_t dup = 0;
    for (size_t i = 1; i < 3 * m; i++) dup += v[i] == v[i - 1];
    CZ_CHECK(dup == 0, "%zu duplicate values among distinct keys", dup);
    free(v);

    CZ_CHECK(cz_rng_u64(SEED, 0, 1) != cz_rng_u64(SEED, 1, 0),
             "stream and index are not swappable");
    CZ_CHECK(cz_rng_u64(0, 1, 0) != cz_rng_u64(1, 0, 0), "seed and stream are not swappable");
    CZ_CHECK(cz_rng_u64(0, 0, 1) != cz_rng_u64(1, 0, 0), "seed and index are not swappable");

    /* Streams are uncorrelated: the correlation of uniforms of streams 17 and 18 at the same
     * index is ~N(0, 1/sqrt(n)). */
    const size_t n = 200000;
    double sxy = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double x = cz_rng_uniform(SEED, 17, i), y = cz_rng_uniform(SEED, 18, i);
        sx += x;
        sy += y;
        sxy += x * y;
        sxx += x * x;
        syy += y * y;
    }
    double cov = sxy / n - (sx / n) * (sy / n);
    double corr = cov / sqrt((sxx / n - sx * sx / n / n) * (syy / n - sy * sy / n / n));
    CZ_CHECK(fabs(corr) < 0.01, "streams 17 and 18 correlated: r = %g", corr);

    /* Serial correlation within a stream (lag 1). */
    sxy = sx = sxx = 0;
    double prev = cz_rng_uniform(SEED, 19, 0);
    for (size_t i = 1; i <= n; i++) {
        double x = cz_rng_uniform(SEED, 19, i);
        sxy += (prev - 0.5) * (x - 0.5);
        prev = x;
    }
    double lag1 = (sxy / n) * 12.0;
    CZ_CHECK(fabs(lag1) < 0.01, "lag-1 autocorrelation %g", lag1);

    /* Every bit of the u64 is fair: each bit set in 50% ± 0.6% of 2e5 draws (5.4 sd). */
    size_t ones[64] = {0};
    const size_t nb = 200000;
    for (size_t i = 0; i < nb; i++) {
        uint64_t x = cz_rng_u64(SEED ^ 0xabcdefULL, 23, i);
        for (int k = 0; k < 64; k++) ones[k] += (x >> k) & 1u;
    }
    int bad = -1;
    for (int k = 0; k < 64; k++)
        if (fabs((double)ones[k] / nb - 0.5) > 0.006) bad = k;
    CZ_CHECK(bad < 0, "bit %d is biased (%zu of %zu set)", bad, bad >= 0 ? ones[bad] : 0, nb);
}

/* 1e6 uniforms: range [0, 1), mean, variance and a 100-bin chi-square. */
static void test_uniform(void) {
    const size_t n = 1000000;
    size_t bins[100] = {0};
    double s = 0, ss = 0, lo = 1, hi = 0;
    for (size_t i = 0; i < n; i++) {
        double u = cz_rng_uniform(SEED, 2, i);
        s += u;
        ss += u * u;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
        size_t b = (size_t)(u * 100.0);
        if (b < 100) bins[b]++;
    }
    double mean = s / n, var = ss / n - mean * mean;
    CZ_CHECK(lo >= 0.0 && hi < 1.0, "uniform out of [0, 1): min %.17g max %.17g", lo, hi);
    CZ_CHECK(fabs(mean - 0.5) < 0.005, "uniform mean %g", mean);
    CZ_CHECK(fabs(var - 1.0 / 12.0) < 0.002, "uniform variance %g (want %g)", var, 1.0 / 12.0);
    double chi2 = 0, expect = n / 100.0;
    size_t total = 0;
    for (int b = 0; b < 100; b++) {
        chi2 += (bins[b] - expect) * (bins[b] - expect) / expect;
        total += bins[b];
    }
    CZ_CHECK(total == n, "every uniform landed in a bin (%zu of %zu)", total, n);
    /* 99 degrees of freedom: the 0.999 quantile is 148; 200 is generous. */
    CZ_CHECK(chi2 < 200.0, "chi-square of 100 bins = %g", chi2);
    /* And not suspiciously perfect either (0.001 quantile is 59). */
    CZ_CHECK(chi2 > 50.0, "chi-square of 100 bins = %g is too small", chi2);

    /* The extreme values are reachable in the representation: 0 maps to 0. */
    CZ_CHECK((double)(UINT64_MAX >> 11) * 0x1.0p-53 < 1.0, "largest uniform is below 1");
}

/* 1e6 normals: mean, variance, symmetry and tail mass. */
static void test_normal(void) {
    const size_t n = 1000000;
    double s = 0, ss = 0, s4 = 0;
    size_t beyond2 = 0, neg = 0;
    int finite = 1;
    for (size_t i = 0; i < n; i++) {
        double g = cz_rng_normal(SEED, 4, i);
        if (!isfinite(g)) finite = 0;
        s += g;
        ss += g * g;
        s4 += g * g * g * g;
        beyond2 += fabs(g) > 2.0;
        neg += g < 0;
    }
    double mean = s / n, var = ss / n - mean * mean, kurt = s4 / n;
    CZ_CHECK(finite, "every normal deviate is finite");
    CZ_CHECK(fabs(mean) < 0.005, "normal mean %g", mean);
    CZ_CHECK(fabs(var - 1.0) < 0.01, "normal variance %g", var);
    CZ_CHECK(fabs(kurt - 3.0) < 0.05, "normal fourth moment %g (want 3)", kurt);
    /* P(|g| > 2) = 0.0455; binomial sd over 1e6 is 2.1e-4. */
    CZ_CHECK(fabs((double)beyond2 / n - 0.0455003) < 0.0015, "tail mass %g", (double)beyond2 / n);
    CZ_CHECK(fabs((double)neg / n - 0.5) < 0.005, "fraction negative %g", (double)neg / n);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Random rotations: orthogonal, det +1, and Haar-uniform on SO(3). */
static void test_rotation(void) {
    const size_t n = 100000;
    double *zc = malloc(n * sizeof *zc);
    if (!zc) {
        CZ_CHECK(0, "allocation");
        return;
    }
    const double v[3] = {0.36, -0.48, 0.8}; /* unit vector */
    double mean[3] = {0, 0, 0}, mean_r[3][3] = {{0}};
    double worst_orth = 0, worst_det = 0;
    for (size_t i = 0; i < n; i++) {
        double r[3][3];
        cz_rng_rotation(SEED, 9, i, r);
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                double g = r[a][0] * r[b][0] + r[a][1] * r[b][1] + r[a][2] * r[b][2];
                worst_orth = fmax(worst_orth, fabs(g - (a == b)));
                mean_r[a][b] += r[a][b] / n;
            }
        worst_det = fmax(worst_det, fabs(det3(CZ_CROWS(r)) - 1.0));
        for (int a = 0; a < 3; a++)
            mean[a] += (r[a][0] * v[0] + r[a][1] * v[1] + r[a][2] * v[2]) / n;
        zc[i] = r[2][2]; /* z-component of R·ẑ */
    }
    CZ_CHECK(worst_orth < 1e-12, "R·Rᵀ deviates from 1 by %g", worst_orth);
    CZ_CHECK(worst_det < 1e-12, "det R deviates from +1 by %g", worst_det);
    double mlen = sqrt(mean[0] * mean[0] + mean[1] * mean[1] + mean[2] * mean[2]);
    CZ_CHECK(mlen < 0.01, "|mean of R·v| = %g", mlen);
    double worst_mean = 0;
    for (int a = 0; a < 3; a++)
        for (int b = 0; b < 3; b++) worst_mean = fmax(worst_mean, fabs(mean_r[a][b]));
    CZ_CHECK(worst_mean < 0.01, "every entry of E[R] is 0 (worst %g)", worst_mean);

    /* Kolmogorov–Smirnov of (R·ẑ)_z against U(−1, 1). */
    qsort(zc, n, sizeof *zc, cmp_double);
    double dks = 0;
    for (size_t i = 0; i < n; i++) {
        double cdf = 0.5 * (zc[i] + 1.0);
        dks = fmax(dks, fmax(fabs(cdf - (double)i / n), fabs((double)(i + 1) / n - cdf)));
    }
    CZ_CHECK(dks < 0.01, "KS distance of (R·z)_z from U(-1,1): %g", dks);
    CZ_CHECK(zc[0] >= -1.0 - 1e-12 && zc[n - 1] <= 1.0 + 1e-12, "(R·z)_z within [-1, 1]");

    /* The rotation angle θ of a Haar rotation has density (1 − cos θ)/π, so
     * E[tr R] = E[1 + 2 cos θ] = 0. */
    double tr = mean_r[0][0] + mean_r[1][1] + mean_r[2][2];
    CZ_CHECK(fabs(tr) < 0.02, "mean trace %g", tr);
    free(zc);
}

int main(void) {
    test_determinism();
    test_streams_differ();
    test_uniform();
    test_normal();
    test_rotation();
    return cz_test_summary("rng");
}
