/* cz_test.h — minimal test harness: CZ_CHECK, CZ_CHECK_CLOSE, PASS/FAIL lines, summary. */
#ifndef CZ_TEST_H
#define CZ_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cz_test_pass_count = 0;
static int cz_test_fail_count = 0;

#define CZ_CHECK(cond, ...)                                                \
    do {                                                                   \
        if (cond) {                                                        \
            cz_test_pass_count++;                                          \
        } else {                                                           \
            cz_test_fail_count++;                                          \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);         \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
        }                                                                  \
    } while (0)

/* |a − b| <= rtol·max(|a|, |b|) (or both exactly equal). */
#define CZ_CHECK_CLOSE(a, b, rtol, ...)                                                   \
    do {                                                                                  \
        double cz_a_ = (double)(a), cz_b_ = (double)(b);                                  \
        int cz_ok_ = (cz_a_ == cz_b_) ||                                                  \
                     (fabs(cz_a_ - cz_b_) <= (rtol) * fmax(fabs(cz_a_), fabs(cz_b_)));    \
        if (cz_ok_) {                                                                     \
            cz_test_pass_count++;                                                         \
        } else {                                                                          \
            cz_test_fail_count++;                                                         \
            printf("FAIL %s:%d: %s = %.12g vs %s = %.12g: ", __FILE__, __LINE__, #a, cz_a_, \
                   #b, cz_b_);                                                            \
            printf(__VA_ARGS__);                                                          \
            printf("\n");                                                                 \
        }                                                                                 \
    } while (0)

/* The error-message getter: cz_last_error for libczcore, cz_sim_last_error for libczsim. */
#ifndef CZ_TEST_LAST_ERROR
#define CZ_TEST_LAST_ERROR cz_last_error
#endif

/* The call must fail with `status` and leave a message mentioning `needle`. */
#define CZ_CHECK_FAILS(call, status, needle)                                              \
    do {                                                                                  \
        cz_status cz_s_ = (call);                                                         \
        const char *cz_m_ = CZ_TEST_LAST_ERROR();                                              \
        CZ_CHECK(cz_s_ == (status) && strstr(cz_m_, (needle)) != NULL,                    \
                 "%s returned %d (want %d), message \"%s\" (want \"%s\")", #call, (int)cz_s_, \
                 (int)(status), cz_m_, (needle));                                         \
    } while (0)

static inline int cz_test_summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, cz_test_pass_count, cz_test_fail_count);
    if (cz_test_fail_count == 0) printf("PASS %s\n", name);
    return cz_test_fail_count == 0 ? 0 : 1;
}

/* Directory for test output files: $CZ_TEST_TMP or /tmp. */
static inline const char *cz_test_tmpdir(void) {
    const char *d = getenv("CZ_TEST_TMP");
    return (d && *d) ? d : "/tmp";
}

#endif
