/* test_atoms.c — the cz_atoms container: growth, copying, filtering, cells, bounding box,
 * centring, wrapping and the minimum-image minimum distance (checked against an exhaustive
 * all-pairs search), plus every documented error. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>

#include "cz/cz.h"
#include "cz_test.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CZ_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define CZ_TEST_ASAN 1
#endif
/* Out-of-memory paths are provoked by capping the address space (RLIMIT_AS) and asking for
 * gigabytes; AddressSanitizer reserves terabytes of shadow memory, so not under ASan. */
#if defined(__linux__) && !defined(CZ_TEST_ASAN)
#define CZ_TEST_ENOMEM 1
#include <sys/resource.h>
#endif

static double dot3(const double a[3], const double b[3]) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
static void cross3(const double a[3], const double b[3], double c[3]) {
    c[0] = a[1] * b[2] - a[2] * b[1];
    c[1] = a[2] * b[0] - a[0] * b[2];
    c[2] = a[0] * b[1] - a[1] * b[0];
}
static double det3(const double m[3][3]) {
    double c[3];
    cross3(m[1], m[2], c);
    return dot3(m[0], c);
}
/* inv such that f = x · inv gives the coefficients of x in the rows of m. */
static void inv3(const double m[3][3], double inv[3][3]) {
    double c0[3], c1[3], c2[3], d = det3(m);
    cross3(m[1], m[2], c0);
    cross3(m[2], m[0], c1);
    cross3(m[0], m[1], c2);
    for (int k = 0; k < 3; k++) {
        inv[k][0] = c0[k] / d;
        inv[k][1] = c1[k] / d;
        inv[k][2] = c2[k] / d;
    }
}
static void to_frac(const double inv[3][3], const double x[3], double f[3]) {
    for (int k = 0; k < 3; k++) f[k] = x[0] * inv[0][k] + x[1] * inv[1][k] + x[2] * inv[2][k];
}

static double urand(uint64_t stream, uint64_t i) { return cz_rng_uniform(4242, stream, i); }

/* ------------------------------------------------------------------ create/push ---- */

static void test_create_push(void) {
    cz_atoms *a = NULL;
    CZ_CHECK(cz_atoms_create(0, &a) == CZ_OK && a, "create(0): %s", cz_last_error());
    if (!a) return;
    CZ_CHECK(a->n == 0, "new container is empty");
    int zero_cell = 1;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) zero_cell &= a->cell[i][j] == 0.0;
        zero_cell &= a->pbc[i] == 0;
    }
    CZ_CHECK(zero_cell, "new container has zero cell and no pbc");
    /* Push 1000 atoms through several reallocations; everything preserved. */
    for (int i = 0; i < 1000; i++) {
        double x[3] = {3.615 * i, -12.0417 + 0.25 * i, 0.001 * i * i};
        cz_status s = cz_atoms_push(a, x, 1 + i % 118, i + 7, -i, i % 4);
        if (s != CZ_OK) {
            CZ_CHECK(0, "push %d: %s", i, cz_last_error());
            break;
        }
    }
    CZ_CHECK(a->n == 1000 && a->cap >= 1000, "n %zu cap %zu", a->n, a->cap);
    int ok = 1;
    for (int i = 0; i < (int)a->n; i++)
        ok &= a->xyz[i][0] == 3.615 * i && a->xyz[i][1] == -12.0417 + 0.25 * i &&
              a->xyz[i][2] == 0.001 * i * i && a->z[i] == 1 + i % 118 && a->object_id[i] == i + 7 &&
              a->grain_id[i] == -i && a->class_id[i] == i % 4;
    CZ_CHECK(ok, "pushed atoms read back unchanged");

    /* Errors of push: the container stays as it was. */
    const double x[3] = {1.5, 2.5, 3.5}, xnan[3] = {1.5, NAN, 3.5}, xinf[3] = {0, 0, -INFINITY};
    CZ_CHECK_FAILS(cz_atoms_push(a, x, 0, 0, 0, 0), CZ_EINVAL,
                   "cz_atoms_push: atomic number must be 1..118 (got 0)");
    CZ_CHECK_FAILS(cz_atoms_push(a, x, 119, 0, 0, 0), CZ_EINVAL, "(got 119)");
    CZ_CHECK_FAILS(cz_atoms_push(a, x, -6, 0, 0, 0), CZ_EINVAL, "(got -6)");
    CZ_CHECK_FAILS(cz_atoms_push(a, xnan, 29, 0, 0, 0), CZ_EINVAL, "position must be finite");
    CZ_CHECK_FAILS(cz_atoms_push(a, xinf, 29, 0, 0, 0), CZ_EINVAL, "position must be finite");
    CZ_CHECK_FAILS(cz_atoms_push(NULL, x, 29, 0, 0, 0), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_atoms_push(a, NULL, 29, 0, 0, 0), CZ_EINVAL, "must not be NULL");
    CZ_CHECK(a->n == 1000, "failed pushes add nothing (n = %zu)", a->n);
    CZ_CHECK(cz_atoms_push(a, x, 1, 0, 0, 0) == CZ_OK && cz_atoms_push(a, x, 118, 0, 0, 0) == CZ_OK,
             "z = 1 and z = 118 are accepted");

    /* A full container at the cap: push fails with ERANGE before touching the arrays (the
     * struct is transparent, so the state is faked without allocating 2^28 atoms). */
    cz_atoms full;
    memset(&full, 0, sizeof full);
    full.n = full.cap = CZ_MAX_ATOMS;
    CZ_CHECK_FAILS(cz_atoms_push(&full, x, 6, 0, 0, 0), CZ_ERANGE, "cannot hold more than");
    CZ_CHECK(full.n == CZ_MAX_ATOMS, "failed push leaves n");
    cz_atoms_destroy(a);

    /* create errors */
    a = (cz_atoms *)&full;
    CZ_CHECK_FAILS(cz_atoms_create(CZ_MAX_ATOMS + 1, &a), CZ_ERANGE,
                   "cz_atoms_create: capacity 268435457 exceeds the cap");
    CZ_CHECK(a == NULL, "out is NULL on failure");
    CZ_CHECK_FAILS(cz_atoms_create(SIZE_MAX, &a), CZ_ERANGE, "exceeds the cap");
    CZ_CHECK_FAILS(cz_atoms_create(10, NULL), CZ_EINVAL, "out must not be NULL");
    CZ_CHECK(cz_atoms_create(123, &a) == CZ_OK && a && a->cap >= 123 && a->n == 0, "create(123)");
    cz_atoms_destroy(a);
    cz_atoms_destroy(NULL); /* no-op */
    CZ_CHECK(1, "destroy(NULL) is a no-op");
}

static void test_reserve(void) {
    cz_atoms *a = NULL;
    cz_atoms_create(2, &a);
    if (!a) return;
    const double x0[3] = {0.5, 1.5, 2.5}, x1[3] = {-4.08, 7.7, 1.0};
    cz_atoms_push(a, x0, 79, 1, 2, 1);
    cz_atoms_push(a, x1, 8, 3, 4, 2);
    CZ_CHECK(cz_atoms_reserve(a, 5000) == CZ_OK && a->cap >= 5000, "reserve 5000: %s",
             cz_last_error());
    CZ_CHECK(a->n == 2 && a->xyz[1][0] == -4.08 && a->z[0] == 79 && a->class_id[1] == 2 &&
                 a->object_id[1] == 3 && a->grain_id[0] == 2,
             "reserve preserves contents");
    size_t cap = a->cap;
    CZ_CHECK(cz_atoms_reserve(a, 10) == CZ_OK && a->cap == cap, "reserve never shrinks");
    CZ_CHECK(cz_atoms_reserve(a, 0) == CZ_OK && a->n == 2, "reserve(0) is a no-op");
    CZ_CHECK_FAILS(cz_atoms_reserve(a, CZ_MAX_ATOMS + 1), CZ_ERANGE,
                   "cz_atoms_reserve: capacity 268435457 exceeds the cap");
    CZ_CHECK(a->cap == cap && a->n == 2 && a->z[1] == 8, "failed reserve leaves atoms unchanged");
    CZ_CHECK_FAILS(cz_atoms_reserve(NULL, 10), CZ_EINVAL, "atoms must not be NULL");
    cz_atoms_destroy(a);
}

#ifdef CZ_TEST_ENOMEM
/* Cap the address space at the current size + 256 MB. Returns 0 if that is impossible. */
static int limit_memory(struct rlimit *old) {
    if (getrlimit(RLIMIT_AS, old) != 0) return 0;
    FILE *fp = fopen("/proc/self/statm", "r");
    if (!fp) return 0;
    unsigned long pages = 0;
    int got = fscanf(fp, "%lu", &pages);
    fclose(fp);
    if (got != 1) return 0;
    struct rlimit lim = *old;
    rlim_t want = (rlim_t)pages * 4096u + ((rlim_t)256 << 20);
    if (old->rlim_max != RLIM_INFINITY && old->rlim_max < want) return 0;
    lim.rlim_cur = want;
    return setrlimit(RLIMIT_AS, &lim) == 0;
}
#endif

/* ENOMEM of create/reserve/push/append/copy: multi-gigabyte requests under a capped address
 * space. The container must be left unchanged. */
static void test_enomem(void) {
#ifdef CZ_TEST_ENOMEM
    cz_atoms *a = NULL;
    cz_atoms_create(4, &a);
    if (!a) return;
    const double x[3] = {1.25, 2.5, 3.75};
    cz_atoms_push(a, x, 47, 5, 6, 1);
    struct rlimit old;
    if (!limit_memory(&old)) {
        printf("SKIP enomem: cannot set RLIMIT_AS\n");
        cz_atoms_destroy(a);
        return;
    }
    const size_t big = (size_t)1 << 27; /* 3.2 GB of positions */
    cz_atoms *b = (cz_atoms *)a;
    cz_status s_create = cz_atoms_create(big, &b);
    const char *m_create = cz_last_error();
    int create_ok = s_create == CZ_ENOMEM && b == NULL && strstr(m_create, "cannot allocate");
    char msg_create[256];
    snprintf(msg_create, sizeof msg_create, "%s", m_create);

    size_t cap = a->cap;
    cz_status s_res = cz_atoms_reserve(a, CZ_MAX_ATOMS);
    char msg_res[256];
    snprintf(msg_res, sizeof msg_res, "%s", cz_last_error());

    /* push into a (fake) full container of 2^26 atoms whose arrays are NULL: it must grow to
     * 2^27 and fail. */
    cz_atoms fake;
    memset(&fake, 0, sizeof fake);
    fake.n = fake.cap = (size_t)1 << 26;
    cz_status s_push = cz_atoms_push(&fake, x, 6, 0, 0, 0);
    char msg_push[256];
    snprintf(msg_push, sizeof msg_push, "%s", cz_last_error());

    /* append/copy of a (fake) huge source: both fail while reserving, before reading it. */
    cz_atoms huge;
    memset(&huge, 0, sizeof huge);
    huge.n = big;
    cz_status s_app = cz_atoms_append(a, &huge);
    char msg_app[256];
    snprintf(msg_app, sizeof msg_app, "%s", cz_last_error());
    cz_atoms *c = (cz_atoms *)a;
    cz_status s_copy = cz_atoms_copy(&huge, &c);
    char msg_copy[256];
    snprintf(msg_copy, sizeof msg_copy, "%s", cz_last_error());

    setrlimit(RLIMIT_AS, &old);

    CZ_CHECK(create_ok, "create(2^27) under a memory cap: status %d, \"%s\"", (int)s_create,
             msg_create);
    CZ_CHECK(s_res == CZ_ENOMEM && strstr(msg_res, "cz_atoms_reserve: cannot allocate"),
             "reserve(2^28): status %d, \"%s\"", (int)s_res, msg_res);
    CZ_CHECK(
        a->n == 1 && a->cap == cap && a->xyz[0][2] == 3.75 && a->z[0] == 47 && a->grain_id[0] == 6,
        "failed reserve leaves the atoms unchanged");
    CZ_CHECK(s_push == CZ_ENOMEM && strstr(msg_push, "cannot allocate") && fake.n == fake.cap,
             "push: status %d, \"%s\"", (int)s_push, msg_push);
    CZ_CHECK(s_app == CZ_ENOMEM && strstr(msg_app, "cannot allocate") && a->n == 1,
             "append: status %d, \"%s\"", (int)s_app, msg_app);
    CZ_CHECK(s_copy == CZ_ENOMEM && c == NULL && strstr(msg_copy, "cannot allocate"),
             "copy: status %d, \"%s\"", (int)s_copy, msg_copy);
    cz_atoms_destroy(a);
#else
    printf("SKIP enomem: not provoked under AddressSanitizer\n");
#endif
}

/* ------------------------------------------------------------ append/copy/filter ---- */

static cz_atoms *make_random(size_t n, uint64_t stream) {
    cz_atoms *a = NULL;
    if (cz_atoms_create(n, &a) != CZ_OK) return NULL;
    for (size_t i = 0; i < n; i++) {
        double x[3] = {20 * urand(stream, 3 * i) - 3, 17 * urand(stream, 3 * i + 1) + 1,
                       9.5 * urand(stream, 3 * i + 2)};
        cz_atoms_push(a, x, 1 + (int)(cz_rng_u64(1, stream, i) % 118), (int)i, (int)(i % 7),
                      (int)(i % 4));
    }
    return a;
}

static int same_atom(const cz_atoms *a, size_t i, const cz_atoms *b, size_t j) {
    return memcmp(a->xyz[i], b->xyz[j], sizeof a->xyz[i]) == 0 && a->z[i] == b->z[j] &&
           a->object_id[i] == b->object_id[j] && a->grain_id[i] == b->grain_id[j] &&
           a->class_id[i] == b->class_id[j];
}

static void test_append_copy_filter(void) {
    cz_atoms *a = make_random(37, 1), *b = make_random(250, 2);
    if (!a || !b) return;
    const double cell[3][3] = {{12.5, 0, 0}, {1.5, 11.25, 0}, {0, 0, 30.0}};
    const int pbc[3] = {1, 1, 0}, pbc2[3] = {0, 1, 1};
    const double cell2[3][3] = {{3.0, 0, 0}, {0, 4.0, 0}, {0, 0, 5.0}};
    cz_atoms_set_cell(a, cell, pbc);
    cz_atoms_set_cell(b, cell2, pbc2);
    cz_atoms *a0 = NULL;
    CZ_CHECK(cz_atoms_copy(a, &a0) == CZ_OK && a0, "copy: %s", cz_last_error());
    if (!a0) return;
    CZ_CHECK(cz_atoms_append(a, b) == CZ_OK, "append: %s", cz_last_error());
    CZ_CHECK(a->n == 287, "appended count %zu", a->n);
    int ok = 1;
    for (size_t i = 0; i < 37; i++) ok &= same_atom(a, i, a0, i);
    for (size_t i = 0; i < 250; i++) ok &= same_atom(a, 37 + i, b, i);
    CZ_CHECK(ok, "append keeps positions and labels, in order");
    CZ_CHECK(memcmp(a->cell, cell, sizeof cell) == 0 && a->pbc[0] == 1 && a->pbc[1] == 1 &&
                 a->pbc[2] == 0,
             "append leaves dst's cell and pbc");
    /* Appending an empty set changes nothing. */
    cz_atoms *e = NULL;
    cz_atoms_create(0, &e);
    CZ_CHECK(cz_atoms_append(a, e) == CZ_OK && a->n == 287, "append empty");
    CZ_CHECK(cz_atoms_append(e, a) == CZ_OK && e->n == 287, "append into empty");
    ok = 1;
    for (size_t i = 0; i < 287; i++) ok &= same_atom(a, i, e, i);
    CZ_CHECK(ok, "append into empty copies everything");

    /* Copy is deep: cell, pbc, every array; changing the copy leaves the original. */
    cz_atoms *c = NULL;
    CZ_CHECK(cz_atoms_copy(a, &c) == CZ_OK && c, "copy: %s", cz_last_error());
    if (c) {
        ok = c->n == a->n && memcmp(c->cell, a->cell, sizeof a->cell) == 0 &&
             memcmp(c->pbc, a->pbc, sizeof a->pbc) == 0;
        for (size_t i = 0; i < a->n; i++) ok &= same_atom(a, i, c, i);
        CZ_CHECK(ok, "copy is equal");
        CZ_CHECK(c->xyz != a->xyz && c->z != a->z && c->object_id != a->object_id &&
                     c->grain_id != a->grain_id && c->class_id != a->class_id,
                 "copy owns its arrays");
        c->xyz[5][1] = -99.0;
        c->z[5] = 3;
        c->cell[0][0] = 1.0;
        const double x[3] = {1, 1, 1};
        cz_atoms_push(c, x, 6, 0, 0, 0);
        CZ_CHECK(
            a->xyz[5][1] != -99.0 && a->z[5] == a0->z[5] && a->cell[0][0] == 12.5 && a->n == 287,
            "modifying the copy leaves the original");
        cz_atoms_destroy(c);
    }
    cz_atoms *ec = NULL, *empty = NULL;
    cz_atoms_create(0, &empty);
    CZ_CHECK(cz_atoms_copy(empty, &ec) == CZ_OK && ec && ec->n == 0, "copy of an empty set");
    cz_atoms_destroy(ec);

    /* Filter keeps order and labels. */
    unsigned char *keep = malloc(a->n);
    cz_atoms *ref = NULL;
    cz_atoms_copy(a, &ref);
    size_t nk = 0;
    for (size_t i = 0; i < a->n; i++) {
        keep[i] = (unsigned char)(cz_rng_u64(8, 8, i) % 3 == 0 ? 0 : 1 + i % 5);
        nk += keep[i] != 0;
    }
    CZ_CHECK(cz_atoms_filter(a, keep) == CZ_OK, "filter: %s", cz_last_error());
    CZ_CHECK(a->n == nk, "filter kept %zu of %zu wanted", a->n, nk);
    size_t k = 0;
    ok = 1;
    for (size_t i = 0; i < ref->n; i++)
        if (keep[i]) ok &= k < a->n && same_atom(a, k++, ref, i);
    CZ_CHECK(ok, "filter preserves order and labels");
    memset(keep, 0, ref->n);
    CZ_CHECK(cz_atoms_filter(a, keep) == CZ_OK && a->n == 0, "filter everything away");
    CZ_CHECK(cz_atoms_filter(a, NULL) == CZ_OK, "filter of n = 0 accepts NULL keep");

    /* Errors. */
    cz_atoms *out = (cz_atoms *)ref;
    CZ_CHECK_FAILS(cz_atoms_copy(NULL, &out), CZ_EINVAL, "cz_atoms_copy: src must not be NULL");
    CZ_CHECK(out == NULL, "copy sets out to NULL on failure");
    CZ_CHECK_FAILS(cz_atoms_copy(ref, NULL), CZ_EINVAL, "out must not be NULL");
    CZ_CHECK_FAILS(cz_atoms_append(NULL, ref), CZ_EINVAL, "cz_atoms_append: dst and src must");
    CZ_CHECK_FAILS(cz_atoms_append(ref, NULL), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_atoms_filter(ref, NULL), CZ_EINVAL, "cz_atoms_filter: atoms and keep");
    CZ_CHECK_FAILS(cz_atoms_filter(NULL, keep), CZ_EINVAL, "must not be NULL");
    free(keep);
    /* Appending past the cap: a fake source of 2^28 atoms (never read). */
    cz_atoms fake;
    memset(&fake, 0, sizeof fake);
    fake.n = CZ_MAX_ATOMS;
    size_t n_before = ref->n;
    CZ_CHECK_FAILS(cz_atoms_append(ref, &fake), CZ_ERANGE, "exceed the cap of 268435456");
    CZ_CHECK(ref->n == n_before, "failed append leaves dst");

    cz_atoms_destroy(a);
    cz_atoms_destroy(a0);
    cz_atoms_destroy(b);
    cz_atoms_destroy(e);
    cz_atoms_destroy(ref);
    cz_atoms_destroy(empty);
}

/* -------------------------------------------------------------- cell/bbox/center ---- */

static void test_cell_bbox(void) {
    cz_atoms *a = NULL;
    cz_atoms_create(0, &a);
    if (!a) return;
    const double cell[3][3] = {{4.08, 0, 0}, {2.04, 3.5333, 0}, {0.7, -0.3, 12.0417}};
    const int pbc[3] = {1, 0, 7};
    CZ_CHECK(cz_atoms_set_cell(a, cell, pbc) == CZ_OK, "set_cell: %s", cz_last_error());
    CZ_CHECK(memcmp(a->cell, cell, sizeof cell) == 0, "cell stored");
    CZ_CHECK(a->pbc[0] == 1 && a->pbc[1] == 0 && a->pbc[2] == 1, "pbc normalised to 0/1");
    /* Zero rows are fine on non-periodic axes (wire along a). */
    const double wire[3][3] = {{3.3, 0.1, 0}, {0, 0, 0}, {0, 0, 0}};
    const int pbc_wire[3] = {1, 0, 0}, pbc_none[3] = {0, 0, 0};
    CZ_CHECK(cz_atoms_set_cell(a, wire, pbc_wire) == CZ_OK, "wire cell: %s", cz_last_error());
    const double zero[3][3] = {{0}};
    CZ_CHECK(cz_atoms_set_cell(a, zero, pbc_none) == CZ_OK, "zero cell without pbc");

    /* Errors; the previous cell is kept. */
    CZ_CHECK(cz_atoms_set_cell(a, cell, pbc) == CZ_OK, "reset");
    const int pbc_all[3] = {1, 1, 1}, pbc_c[3] = {0, 0, 1};
    CZ_CHECK_FAILS(cz_atoms_set_cell(a, wire, pbc_all), CZ_EINVAL,
                   "cz_atoms_set_cell: axis 1 is periodic but its cell row is zero");
    const double slab[3][3] = {{5, 0, 0}, {0, 5, 0}, {0, 0, 0}};
    CZ_CHECK_FAILS(cz_atoms_set_cell(a, slab, pbc_c), CZ_EINVAL, "axis 2 is periodic");
    const double dep[3][3] = {{4.08, 0, 0}, {0, 3.615, 0}, {4.08, 3.615, 0}}; /* c = a + b */
    CZ_CHECK_FAILS(cz_atoms_set_cell(a, dep, pbc_none), CZ_EINVAL, "linearly dependent");
    CZ_CHECK_FAILS(cz_atoms_set_cell(a, dep, pbc_all), CZ_EINVAL, "linearly dependent");
    const double par[3][3] = {{4.08, 1.0, 0}, {0, 0, 0}, {-8.16, -2.0, 0}}; /* a ∥ c */
    CZ_CHECK_FAILS(cz_atoms_set_cell(a, par, pbc_none), CZ_EINVAL, "linearly dependent");
    double nanc[3][3];
    memcpy(nanc, cell, sizeof nanc);
    nanc[2][1] = NAN;
    CZ_CHECK_FAILS(cz_atoms_set_cell(a, CZ_CROWS(nanc), pbc), CZ_EINVAL, "cell must be finite");
    nanc[2][1] = INFINITY;
    CZ_CHECK_FAILS(cz_atoms_set_cell(a, CZ_CROWS(nanc), pbc), CZ_EINVAL, "cell must be finite");
    CZ_CHECK_FAILS(cz_atoms_set_cell(NULL, cell, pbc), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_atoms_set_cell(a, NULL, pbc), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_atoms_set_cell(a, cell, NULL), CZ_EINVAL, "must not be NULL");
    CZ_CHECK(memcmp(a->cell, cell, sizeof cell) == 0 && a->pbc[0] == 1 && a->pbc[2] == 1,
             "failed set_cell keeps the old cell");

    /* bbox */
    double lo[3], hi[3];
    CZ_CHECK_FAILS(cz_atoms_bbox(a, lo, hi), CZ_EINVAL,
                   "cz_atoms_bbox: no atoms: the bounding box is empty");
    const double p[4][3] = {
        {3.615, -1.25, 0.5}, {-2.75, 8.125, 0.25}, {0.0, 0.0, -7.5}, {1.0, 2.0, 12.0417}};
    for (int i = 0; i < 4; i++) cz_atoms_push(a, p[i], 26, 0, 0, 0);
    CZ_CHECK(cz_atoms_bbox(a, lo, hi) == CZ_OK, "bbox: %s", cz_last_error());
    CZ_CHECK(lo[0] == -2.75 && lo[1] == -1.25 && lo[2] == -7.5 && hi[0] == 3.615 &&
                 hi[1] == 8.125 && hi[2] == 12.0417,
             "bbox (%g %g %g)-(%g %g %g)", lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]);
    CZ_CHECK_FAILS(cz_atoms_bbox(NULL, lo, hi), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_atoms_bbox(a, NULL, hi), CZ_EINVAL, "must not be NULL");
    CZ_CHECK_FAILS(cz_atoms_bbox(a, lo, NULL), CZ_EINVAL, "must not be NULL");
    cz_atoms_destroy(a);
}

static void test_center(void) {
    /* Isolated cluster. */
    cz_atoms *a = make_random(60, 11);
    if (!a) return;
    double lo0[3], hi0[3], lo[3], hi[3];
    cz_atoms_bbox(a, lo0, hi0);
    double before[3] = {a->xyz[17][0], a->xyz[17][1], a->xyz[17][2]};
    const double vac = 7.25;
    CZ_CHECK(cz_atoms_center(a, vac) == CZ_OK, "center: %s", cz_last_error());
    cz_atoms_bbox(a, lo, hi);
    for (int k = 0; k < 3; k++) {
        CZ_CHECK_CLOSE(lo[k], vac, 1e-12, "bbox starts at the vacuum (axis %d)", k);
        CZ_CHECK_CLOSE(a->cell[k][k], hi0[k] - lo0[k] + 2 * vac, 1e-12, "cell length %d", k);
        CZ_CHECK_CLOSE(a->cell[k][k] - hi[k], vac, 1e-12, "vacuum on the far side %d", k);
        CZ_CHECK(a->cell[k][(k + 1) % 3] == 0 && a->cell[k][(k + 2) % 3] == 0,
                 "cell row %d is along its axis", k);
        CZ_CHECK_CLOSE(a->xyz[17][k] - before[k], vac - lo0[k], 1e-12, "rigid shift %d", k);
    }
    CZ_CHECK(a->pbc[0] == 0 && a->pbc[1] == 0 && a->pbc[2] == 0, "center keeps pbc");
    /* Zero vacuum is allowed. */
    CZ_CHECK(cz_atoms_center(a, 0.0) == CZ_OK, "vacuum 0");
    cz_atoms_bbox(a, lo, hi);
    CZ_CHECK(fabs(lo[1]) < 1e-12 && fabs(a->cell[1][1] - (hi0[1] - lo0[1])) < 1e-12,
             "vacuum 0 gives a tight cell");

    /* Slab periodic in x, y (a, b in the xy plane): only z is centred. */
    const double cell[3][3] = {{8.16, 0, 0}, {4.08, 7.0667, 0}, {0, 0, 0}};
    const int pbc[3] = {1, 1, 0};
    CZ_CHECK(cz_atoms_set_cell(a, cell, pbc) == CZ_OK, "slab cell: %s", cz_last_error());
    cz_atoms_bbox(a, lo0, hi0);
    double x17[3] = {a->xyz[17][0], a->xyz[17][1], a->xyz[17][2]};
    CZ_CHECK(cz_atoms_center(a, 12.0417) == CZ_OK, "slab center: %s", cz_last_error());
    cz_atoms_bbox(a, lo, hi);
    CZ_CHECK(memcmp(a->cell[0], cell[0], sizeof cell[0]) == 0 &&
                 memcmp(a->cell[1], cell[1], sizeof cell[1]) == 0,
             "periodic rows are kept");
    CZ_CHECK(a->xyz[17][0] == x17[0] && a->xyz[17][1] == x17[1], "periodic axes not shifted");
    CZ_CHECK_CLOSE(lo[2], 12.0417, 1e-12, "slab bottom vacuum");
    CZ_CHECK_CLOSE(a->cell[2][2], hi0[2] - lo0[2] + 2 * 12.0417, 1e-12, "slab c length");

    /* Errors. */
    CZ_CHECK_FAILS(cz_atoms_center(a, -0.5), CZ_EINVAL,
                   "cz_atoms_center: vacuum must be >= 0 and finite (got -0.5)");
    CZ_CHECK_FAILS(cz_atoms_center(a, NAN), CZ_EINVAL, "vacuum must be >= 0");
    CZ_CHECK_FAILS(cz_atoms_center(a, INFINITY), CZ_EINVAL, "vacuum must be >= 0");
    const double tilted[3][3] = {{8.16, 0, 0}, {4.08, 7.0667, 1.5}, {0, 0, 0}};
    CZ_CHECK(cz_atoms_set_cell(a, tilted, pbc) == CZ_OK, "tilted slab cell");
    CZ_CHECK_FAILS(cz_atoms_center(a, 5.0), CZ_EINVAL,
                   "periodic cell row 1 has a component 1.5 along non-periodic axis 2");
    CZ_CHECK_FAILS(cz_atoms_center(NULL, 5.0), CZ_EINVAL, "atoms must not be NULL");
    cz_atoms *e = NULL;
    cz_atoms_create(0, &e);
    CZ_CHECK_FAILS(cz_atoms_center(e, 5.0), CZ_EINVAL, "no atoms to centre");
    cz_atoms_destroy(e);
    cz_atoms_destroy(a);
}

/* ----------------------------------------------------------------------- wrap ---- */

static void check_wrap(const double cell[3][3], const int pbc[3], const char *what) {
    cz_atoms *a = NULL;
    cz_atoms_create(0, &a);
    if (!a) return;
    for (uint64_t i = 0; i < 400; i++) {
        double f[3], x[3];
        for (int k = 0; k < 3; k++) f[k] = 7.0 * urand(50, 3 * i + k) - 3.0;
        if (i == 0) f[0] = f[1] = f[2] = 0.0;               /* on the origin */
        if (i == 1) f[0] = 1.0, f[1] = -1.0, f[2] = 2.0;    /* on corners */
        if (i == 2) f[0] = -1e-17, f[1] = 0.5, f[2] = -0.0; /* just below 0 */
        for (int k = 0; k < 3; k++)
            x[k] = f[0] * cell[0][k] + f[1] * cell[1][k] + f[2] * cell[2][k];
        cz_atoms_push(a, x, 14, (int)i, 0, 0);
    }
    CZ_CHECK(cz_atoms_set_cell(a, cell, pbc) == CZ_OK, "%s: set_cell", what);
    cz_atoms *ref = NULL;
    cz_atoms_copy(a, &ref);
    CZ_CHECK(cz_atoms_wrap(a) == CZ_OK, "%s: wrap: %s", what, cz_last_error());
    double inv[3][3];
    inv3(cell, inv);
    int in_range = 1, lattice_shift = 1, np_kept = 1, labels = 1;
    for (size_t i = 0; i < a->n; i++) {
        double f[3], f0[3];
        to_frac(CZ_CROWS(inv), a->xyz[i], f);
        to_frac(CZ_CROWS(inv), ref->xyz[i], f0);
        for (int k = 0; k < 3; k++) {
            double dk = f[k] - f0[k];
            if (pbc[k]) {
                if (!(f[k] >= -1e-12 && f[k] < 1.0 + 1e-12)) in_range = 0;
                if (fabs(dk - nearbyint(dk)) > 1e-9) lattice_shift = 0;
            } else if (fabs(dk) > 1e-9) {
                np_kept = 0;
            }
        }
        labels &= a->object_id[i] == (int)i && a->z[i] == 14;
    }
    CZ_CHECK(in_range, "%s: wrapped fractional coordinates in [0, 1)", what);
    CZ_CHECK(lattice_shift, "%s: atoms moved by lattice vectors only", what);
    CZ_CHECK(np_kept, "%s: non-periodic coordinates kept", what);
    CZ_CHECK(labels, "%s: order and labels kept", what);
    /* Wrapping twice changes nothing more (to rounding). */
    cz_atoms *w1 = NULL;
    cz_atoms_copy(a, &w1);
    cz_atoms_wrap(a);
    double worst = 0;
    for (size_t i = 0; i < a->n; i++)
        for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(a->xyz[i][k] - w1->xyz[i][k]));
    CZ_CHECK(worst < 1e-9, "%s: wrap is idempotent (moved %g)", what, worst);
    /* Minimum distance is invariant under wrapping. */
    double d0, d1;
    cz_atoms_min_distance(ref, &d0, NULL);
    cz_atoms_min_distance(a, &d1, NULL);
    CZ_CHECK(fabs(d0 - d1) < 1e-9, "%s: min distance %g before, %g after wrap", what, d0, d1);
    cz_atoms_destroy(w1);
    cz_atoms_destroy(ref);
    cz_atoms_destroy(a);
}

static void test_wrap(void) {
    const double tric[3][3] = {{5.43, 0, 0}, {-1.9, 6.1, 0}, {1.3, 2.2, 7.29}};
    const int all[3] = {1, 1, 1}, xy[3] = {1, 1, 0}, z_only[3] = {0, 0, 1};
    check_wrap(tric, all, "triclinic pbc 111");
    check_wrap(tric, xy, "triclinic pbc 110");
    check_wrap(tric, z_only, "triclinic pbc 001");
    /* No periodic axis: nothing moves, even with a zero cell. */
    cz_atoms *a = make_random(20, 60);
    cz_atoms *ref = NULL;
    cz_atoms_copy(a, &ref);
    CZ_CHECK(cz_atoms_wrap(a) == CZ_OK && memcmp(a->xyz, ref->xyz, 20 * sizeof *a->xyz) == 0,
             "wrap without pbc is a no-op");
    /* A periodic axis with a singular cell (the struct is transparent and can be set so). */
    a->pbc[0] = 1;
    a->cell[0][0] = 3.0;
    CZ_CHECK_FAILS(cz_atoms_wrap(a), CZ_EINVAL,
                   "cz_atoms_wrap: wrapping needs a non-singular cell");
    CZ_CHECK(memcmp(a->xyz, ref->xyz, 20 * sizeof *a->xyz) == 0, "failed wrap moves nothing");
    CZ_CHECK_FAILS(cz_atoms_wrap(NULL), CZ_EINVAL, "atoms must not be NULL");
    cz_atoms_destroy(ref);
    cz_atoms_destroy(a);
}

/* -------------------------------------------------------------- min distance ---- */

/* Exhaustive minimum-image distance of d over lattice translations along periodic rows.
 * basis: full-rank rows (periodic rows of the cell, completed on non-periodic axes). For an
 * image e = (f + n)·basis, |f_k + n_k| <= |e|·|b*_k|, so with r an upper bound of the answer
 * only |n_k + f_k| <= r |b*_k| need be tried. */
static double brute_mic(const double basis[3][3], const double inv[3][3], const int pbc[3],
                        const double d[3]) {
    double f[3], r2 = dot3(d, d);
    to_frac(inv, d, f);
    double best = r2;
    /* A first upper bound: the rounded image. */
    double e[3];
    for (int c = 0; c < 3; c++) {
        e[c] = d[c];
        for (int k = 0; k < 3; k++)
            if (pbc[k]) e[c] -= nearbyint(f[k]) * basis[k][c];
    }
    best = fmin(best, dot3(e, e));
    double r = sqrt(best) * (1 + 1e-12), lo[3], hi[3];
    for (int k = 0; k < 3; k++) {
        double bk[3] = {inv[0][k], inv[1][k], inv[2][k]};
        double w = r * sqrt(dot3(bk, bk));
        lo[k] = pbc[k] ? ceil(-f[k] - w) : 0;
        hi[k] = pbc[k] ? floor(-f[k] + w) : 0;
    }
    for (double i = lo[0]; i <= hi[0]; i++)
        for (double j = lo[1]; j <= hi[1]; j++)
            for (double k = lo[2]; k <= hi[2]; k++) {
                for (int c = 0; c < 3; c++)
                    e[c] = d[c] + i * basis[0][c] + j * basis[1][c] + k * basis[2][c];
                best = fmin(best, dot3(e, e));
            }
    return sqrt(best);
}

/* Complete the periodic rows of cell with orthogonal unit vectors on the other axes. */
static void full_basis(const double cell[3][3], const int pbc[3], double basis[3][3]) {
    double q[3][3];
    int m = 0;
    for (int k = 0; k < 3; k++)
        if (pbc[k]) memcpy(q[m++], cell[k], sizeof q[0]);
    memcpy(basis, cell, 9 * sizeof(double));
    for (int k = 0; k < 3; k++) {
        if (pbc[k]) continue;
        /* The Cartesian axis with the largest component orthogonal to what we have. */
        double best[3] = {0, 0, 0}, bn = -1;
        for (int c = 0; c < 3; c++) {
            double v[3] = {0, 0, 0};
            v[c] = 1;
            for (int t = 0; t < m; t++) {
                double s = dot3(v, q[t]) / dot3(q[t], q[t]);
                for (int u = 0; u < 3; u++) v[u] -= s * q[t][u];
            }
            double l = sqrt(dot3(v, v));
            if (l > bn) {
                bn = l;
                for (int u = 0; u < 3; u++) best[u] = v[u] / l;
            }
        }
        memcpy(q[m++], best, sizeof best);
        memcpy(basis[k], best, sizeof best);
    }
}

/* Random atoms (fractional in [f_lo, f_hi) of the cell, or a box when aperiodic); compare
 * cz_atoms_min_distance with the exhaustive all-pairs minimum image (every lattice image
 * that can be nearer, not just the 27 around the raw difference). */
static void check_min_distance(const double cell[3][3], const int pbc[3], size_t n, double f_lo,
                               double f_hi, uint64_t stream, const char *what) {
    cz_atoms *a = NULL;
    cz_atoms_create(n, &a);
    if (!a) return;
    double basis[3][3], inv[3][3];
    full_basis(cell, pbc, basis);
    inv3(CZ_CROWS(basis), inv);
    for (size_t i = 0; i < n; i++) {
        double f[3], x[3];
        for (int k = 0; k < 3; k++) f[k] = f_lo + (f_hi - f_lo) * urand(stream, 3 * i + k);
        for (int k = 0; k < 3; k++)
            x[k] = f[0] * basis[0][k] + f[1] * basis[1][k] + f[2] * basis[2][k];
        /* Non-periodic axes: spread over 14.5 Å instead of a unit vector. */
        for (int c = 0; c < 3; c++)
            if (!pbc[c])
                for (int k = 0; k < 3; k++) x[k] += (14.5 - 1.0) * f[c] * basis[c][k];
        cz_atoms_push(a, x, 6, 0, 0, 0);
    }
    CZ_CHECK(cz_atoms_set_cell(a, cell, pbc) == CZ_OK, "%s: set_cell: %s", what, cz_last_error());
    /* All pairs, exhaustively; a pair is skipped only when a lower bound of its distance
     * (|e| >= |f_k + n_k| / |b*_k| for every image e) already exceeds the best so far. */
    double gn[3];
    for (int k = 0; k < 3; k++)
        gn[k] = sqrt(inv[0][k] * inv[0][k] + inv[1][k] * inv[1][k] + inv[2][k] * inv[2][k]);
    double ref = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double d[3] = {a->xyz[j][0] - a->xyz[i][0], a->xyz[j][1] - a->xyz[i][1],
                           a->xyz[j][2] - a->xyz[i][2]};
            double f[3], lb = 0;
            to_frac(CZ_CROWS(inv), d, f);
            for (int k = 0; k < 3; k++)
                lb = fmax(lb, fabs(pbc[k] ? f[k] - nearbyint(f[k]) : f[k]) / gn[k]);
            if (lb * (1 - 1e-12) > ref) continue;
            ref = fmin(ref, brute_mic(CZ_CROWS(basis), CZ_CROWS(inv), pbc, d));
        }
    double dmin = -1;
    size_t pair[2] = {SIZE_MAX, SIZE_MAX};
    CZ_CHECK(cz_atoms_min_distance(a, &dmin, pair) == CZ_OK, "%s: %s", what, cz_last_error());
    CZ_CHECK(fabs(dmin - ref) <= 1e-10 * fmax(1.0, ref),
             "%s: min distance %.12g, exhaustive minimum image %.12g", what, dmin, ref);
    CZ_CHECK(pair[0] < pair[1] && pair[1] < n, "%s: pair (%zu, %zu)", what, pair[0], pair[1]);
    if (pair[0] < pair[1] && pair[1] < n) {
        double d[3] = {a->xyz[pair[1]][0] - a->xyz[pair[0]][0],
                       a->xyz[pair[1]][1] - a->xyz[pair[0]][1],
                       a->xyz[pair[1]][2] - a->xyz[pair[0]][2]};
        double dp = brute_mic(CZ_CROWS(basis), CZ_CROWS(inv), pbc, d);
        CZ_CHECK(fabs(dp - dmin) <= 1e-10 * fmax(1.0, dp), "%s: the returned pair is %g apart",
                 what, dp);
    }
    /* The result does not depend on where the atoms are in the periodic images. */
    int any_pbc = pbc[0] || pbc[1] || pbc[2];
    if (any_pbc) {
        for (size_t i = 0; i < n; i++) {
            long s[3];
            for (int k = 0; k < 3; k++)
                s[k] = pbc[k] ? (long)(cz_rng_u64(stream, 77, 3 * i + k) % 5) - 2 : 0;
            for (int c = 0; c < 3; c++)
                a->xyz[i][c] += s[0] * cell[0][c] + s[1] * cell[1][c] + s[2] * cell[2][c];
        }
        double d2 = -1;
        CZ_CHECK(cz_atoms_min_distance(a, &d2, NULL) == CZ_OK, "%s: shifted", what);
        CZ_CHECK(fabs(d2 - ref) <= 1e-9 * fmax(1.0, ref),
                 "%s: after shifting atoms by lattice vectors: %.12g, want %.12g", what, d2, ref);
    }
    cz_atoms_destroy(a);
}

static void test_min_distance(void) {
    const int all[3] = {1, 1, 1}, none[3] = {0, 0, 0}, xy[3] = {1, 1, 0}, xonly[3] = {1, 0, 0};
    const int yz[3] = {0, 1, 1};
    const double cubic[3][3] = {{12.0417, 0, 0}, {0, 12.0417, 0}, {0, 0, 12.0417}};
    double tric[3][3];
    cz_cell_from_parameters(9.37, 10.21, 11.63, 71.5, 103.2, 118.7, tric);
    /* Strongly skewed: b at 11° to a, c leaning far over both. */
    double skew[3][3];
    cz_cell_from_parameters(8.3, 9.1, 10.7, 21.0, 25.0, 11.0, skew);
    /* Left-handed, skewed cell written out directly. */
    const double lefty[3][3] = {{6.2, 0.4, -0.3}, {5.1, 2.2, 0.0}, {-3.9, 1.7, -4.4}};
    /* A thin sheet: short c. */
    const double thin[3][3] = {{15.3, 0, 0}, {4.1, 13.9, 0}, {2.2, -1.4, 2.75}};

    check_min_distance(CZ_CROWS(cubic), all, 300, 0, 1, 1, "cubic pbc");
    check_min_distance(CZ_CROWS(tric), all, 300, 0, 1, 2, "triclinic pbc");
    check_min_distance(CZ_CROWS(tric), all, 250, -2, 3, 3, "triclinic pbc, atoms outside cell");
    check_min_distance(CZ_CROWS(skew), all, 150, 0, 1, 4, "skewed pbc");
    check_min_distance(CZ_CROWS(skew), all, 40, 0, 1, 5, "skewed pbc, sparse");
    check_min_distance(CZ_CROWS(skew), all, 6, -1, 2, 6, "skewed pbc, 6 atoms");
    check_min_distance(lefty, all, 200, 0, 1, 7, "left-handed skewed pbc");
    check_min_distance(lefty, all, 3, 0, 1, 8, "left-handed skewed pbc, 3 atoms");
    check_min_distance(thin, all, 200, 0, 1, 9, "thin cell pbc");
    check_min_distance(CZ_CROWS(tric), xy, 250, 0, 1, 10, "triclinic slab pbc 110");
    check_min_distance(CZ_CROWS(skew), yz, 150, 0, 1, 11, "skewed pbc 011");
    check_min_distance(CZ_CROWS(tric), xonly, 200, 0, 1, 12, "triclinic wire pbc 100");
    check_min_distance(CZ_CROWS(tric), none, 300, 0, 1, 13, "triclinic cell, no pbc");
    const double zero[3][3] = {{0}};
    check_min_distance(zero, none, 400, 0, 1, 14, "no cell");
    check_min_distance(zero, none, 2, 0, 1, 15, "no cell, two atoms");
    /* Zero rows on non-periodic axes. */
    const double slab0[3][3] = {{11.3, 0, 0}, {-3.2, 9.8, 0}, {0, 0, 0}};
    check_min_distance(slab0, xy, 250, 0, 1, 16, "slab with zero c row");
    const double wire0[3][3] = {{0, 0, 0}, {0, 0, 0}, {1.1, 0.7, 6.6}};
    const int zonly[3] = {0, 0, 1};
    check_min_distance(wire0, zonly, 200, 0, 1, 17, "tilted wire with zero a, b rows");
    for (uint64_t s = 0; s < 12; s++) {
        double c[3][3];
        cz_cell_from_parameters(4 + 8 * urand(90, 6 * s), 4 + 8 * urand(90, 6 * s + 1),
                                4 + 8 * urand(90, 6 * s + 2), 40 + 100 * urand(90, 6 * s + 3),
                                40 + 100 * urand(90, 6 * s + 4), 40 + 100 * urand(90, 6 * s + 5),
                                c);
        char what[64];
        snprintf(what, sizeof what, "random cell %d", (int)s);
        check_min_distance(CZ_CROWS(c), all, 20 + 15 * s, 0, 1, 100 + s, what);
    }

    /* A perfect fcc crystal (Au, a = 4.08) in a periodic 5×5×5 supercell with one atom
     * nudged towards its neighbour: exactly known answer. */
    cz_atoms *a = NULL;
    cz_atoms_create(500, &a);
    const double fb[4][3] = {{0, 0, 0}, {0, .5, .5}, {.5, 0, .5}, {.5, .5, 0}};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++)
            for (int k = 0; k < 5; k++)
                for (int b = 0; b < 4; b++) {
                    double x[3] = {4.08 * (i + fb[b][0]), 4.08 * (j + fb[b][1]),
                                   4.08 * (k + fb[b][2])};
                    cz_atoms_push(a, x, 79, 0, 0, 0);
                }
    const double sc[3][3] = {{20.4, 0, 0}, {0, 20.4, 0}, {0, 0, 20.4}};
    cz_atoms_set_cell(a, sc, all);
    double d;
    size_t pair[2];
    CZ_CHECK(cz_atoms_min_distance(a, &d, pair) == CZ_OK, "fcc: %s", cz_last_error());
    CZ_CHECK_CLOSE(d, 4.08 / sqrt(2.0), 1e-12, "fcc nearest neighbour");
    /* Atom 0 sits at the origin; its neighbour (0, ½, ½) across the boundary is the image of
     * atom (0, 4, 4, basis 1). Move atom 0 by -0.3 Å along (0, 1, 1)/√2: it approaches the
     * periodic image of that atom. */
    size_t far = ((size_t)(0 * 5 + 4) * 5 + 4) * 4 + 1;
    for (int c = 1; c < 3; c++) a->xyz[0][c] -= 0.3 / sqrt(2.0);
    CZ_CHECK(cz_atoms_min_distance(a, &d, pair) == CZ_OK, "fcc nudged");
    CZ_CHECK_CLOSE(d, 4.08 / sqrt(2.0) - 0.3, 1e-12,
                   "nudged nearest neighbour across the boundary");
    CZ_CHECK(pair[0] == 0 && pair[1] == far, "pair (%zu, %zu), want (0, %zu)", pair[0], pair[1],
             far);
    /* Without pbc that pair is far apart: the answer is the ordinary nearest neighbour. */
    cz_atoms_set_cell(a, sc, none);
    CZ_CHECK(cz_atoms_min_distance(a, &d, NULL) == CZ_OK, "fcc open");
    CZ_CHECK_CLOSE(d, 4.08 / sqrt(2.0), 1e-12, "open fcc nearest neighbour");

    /* Sparse cloud with one close pair far from everything: the search radius must grow. */
    cz_atoms *s = NULL;
    cz_atoms_create(0, &s);
    for (int i = 0; i < 50; i++) {
        double x[3] = {1000 * urand(91, 3 * i), 1000 * urand(91, 3 * i + 1),
                       1000 * urand(91, 3 * i + 2)};
        cz_atoms_push(s, x, 8, 0, 0, 0);
    }
    const double p1[3] = {-512.25, 3000.5, 7.0}, p2[3] = {-512.25, 3000.5, 8.1};
    cz_atoms_push(s, p1, 8, 0, 0, 0);
    cz_atoms_push(s, p2, 8, 0, 0, 0);
    CZ_CHECK(cz_atoms_min_distance(s, &d, pair) == CZ_OK, "sparse");
    CZ_CHECK_CLOSE(d, 1.1, 1e-12, "sparse cloud close pair");
    CZ_CHECK(pair[0] == 50 && pair[1] == 51, "sparse pair (%zu, %zu)", pair[0], pair[1]);
    /* Coincident atoms: distance 0. */
    cz_atoms_push(s, p1, 8, 0, 0, 0);
    CZ_CHECK(
        cz_atoms_min_distance(s, &d, pair) == CZ_OK && d == 0.0 && pair[0] == 50 && pair[1] == 52,
        "coincident atoms: %g (%zu, %zu)", d, pair[0], pair[1]);
    /* All atoms on one plane (zero extent along z). */
    cz_atoms *flat = NULL;
    cz_atoms_create(0, &flat);
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 6; j++) {
            double x[3] = {2.46 * i + 1.23 * j, 2.1304 * j, 3.35};
            cz_atoms_push(flat, x, 6, 0, 0, 0);
        }
    CZ_CHECK(cz_atoms_min_distance(flat, &d, NULL) == CZ_OK, "flat");
    CZ_CHECK_CLOSE(d, sqrt(1.23 * 1.23 + 2.1304 * 2.1304), 1e-12, "planar set");

    /* n < 2 → INFINITY; pair may be NULL. */
    cz_atoms *one = NULL;
    cz_atoms_create(0, &one);
    CZ_CHECK(cz_atoms_min_distance(one, &d, pair) == CZ_OK && isinf(d) && d > 0, "n = 0");
    cz_atoms_push(one, p1, 1, 0, 0, 0);
    CZ_CHECK(cz_atoms_min_distance(one, &d, NULL) == CZ_OK && isinf(d) && d > 0, "n = 1");
    cz_atoms_set_cell(one, sc, all);
    CZ_CHECK(cz_atoms_min_distance(one, &d, NULL) == CZ_OK && isinf(d), "n = 1 periodic");

    CZ_CHECK_FAILS(cz_atoms_min_distance(NULL, &d, pair), CZ_EINVAL,
                   "cz_atoms_min_distance: atoms and dmin must not be NULL");
    CZ_CHECK_FAILS(cz_atoms_min_distance(one, NULL, pair), CZ_EINVAL, "must not be NULL");
    cz_atoms_destroy(a);
    cz_atoms_destroy(s);
    cz_atoms_destroy(flat);
    cz_atoms_destroy(one);
}

/* Few atoms in triclinic cells: the nearest image of a pair is then often several lattice
 * vectors away from the one that rounding the fractional difference picks. */
static void test_min_distance_sparse(void) {
    const int all[3] = {1, 1, 1};
    /* An explicit case: a = 9.0, b = 8.2, c = 6.2 Å, α = 47°, β = 40°, γ = 65° (longest edge
     * / thinnest width = 2.9), atoms at fractional (0, 0, 0) and (0.55, 0.45, 0.50). */
    double cell[3][3];
    cz_cell_from_parameters(9.0, 8.2, 6.2, 47, 40, 65, cell);
    const double f1[3] = {0.55, 0.45, 0.50};
    cz_atoms *a = NULL;
    cz_atoms_create(2, &a);
    const double x0[3] = {0, 0, 0};
    double x1[3];
    for (int k = 0; k < 3; k++)
        x1[k] = f1[0] * cell[0][k] + f1[1] * cell[1][k] + f1[2] * cell[2][k];
    cz_atoms_push(a, x0, 6, 0, 0, 0);
    cz_atoms_push(a, x1, 6, 0, 0, 0);
    cz_atoms_set_cell(a, CZ_CROWS(cell), all);
    double basis[3][3], inv[3][3], d = -1;
    full_basis(CZ_CROWS(cell), all, basis);
    inv3(CZ_CROWS(basis), inv);
    double ref = brute_mic(CZ_CROWS(basis), CZ_CROWS(inv), all, x1);
    CZ_CHECK(cz_atoms_min_distance(a, &d, NULL) == CZ_OK, "%s", cz_last_error());
    CZ_CHECK(fabs(d - ref) < 1e-10,
             "cell (9.0, 8.2, 6.2, 47°, 40°, 65°), fractional (0,0,0)-(0.55,0.45,0.5): "
             "min distance %.9g, exhaustive minimum image %.9g",
             d, ref);
    cz_atoms_destroy(a);

    /* Random triclinic cells (angles 35°–145°, edges 4–10 Å) with 2–5 atoms each. */
    int bad = 0, tried = 0;
    char first[256] = "";
    for (uint64_t s = 0; s < 1200; s++) {
        double c[3][3];
        double p[6] = {4 + 6 * urand(200, 6 * s),        4 + 6 * urand(200, 6 * s + 1),
                       4 + 6 * urand(200, 6 * s + 2),    35 + 110 * urand(200, 6 * s + 3),
                       35 + 110 * urand(200, 6 * s + 4), 35 + 110 * urand(200, 6 * s + 5)};
        if (cz_cell_from_parameters(p[0], p[1], p[2], p[3], p[4], p[5], c) != CZ_OK) continue;
        /* Keep cells whose longest edge is at most 4 times their thinnest width. */
        double vol = fabs(cz_cell_volume(CZ_CROWS(c))), maxlen = 0, minw = INFINITY;
        for (int r = 0; r < 3; r++) {
            double cr[3];
            cross3(c[(r + 1) % 3], c[(r + 2) % 3], cr);
            minw = fmin(minw, vol / sqrt(dot3(cr, cr)));
            maxlen = fmax(maxlen, sqrt(dot3(c[r], c[r])));
        }
        if (maxlen > 4 * minw) continue;
        size_t n = 2 + (size_t)(s % 4);
        cz_atoms *b = NULL;
        cz_atoms_create(n, &b);
        for (size_t i = 0; i < n; i++) {
            double x[3];
            for (int k = 0; k < 3; k++) x[k] = 0;
            for (int r = 0; r < 3; r++) {
                double f = urand(201 + s, 3 * i + (uint64_t)r);
                for (int k = 0; k < 3; k++) x[k] += f * c[r][k];
            }
            cz_atoms_push(b, x, 6, 0, 0, 0);
        }
        cz_atoms_set_cell(b, CZ_CROWS(c), all);
        full_basis(CZ_CROWS(c), all, basis);
        inv3(CZ_CROWS(basis), inv);
        double want = INFINITY, got = -1;
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++) {
                double dd[3] = {b->xyz[j][0] - b->xyz[i][0], b->xyz[j][1] - b->xyz[i][1],
                                b->xyz[j][2] - b->xyz[i][2]};
                want = fmin(want, brute_mic(CZ_CROWS(basis), CZ_CROWS(inv), all, dd));
            }
        cz_atoms_min_distance(b, &got, NULL);
        tried++;
        if (fabs(got - want) > 1e-10 * fmax(1, want)) {
            if (!bad)
                snprintf(first, sizeof first,
                         "cell (%.4g, %.4g, %.4g, %.4g°, %.4g°, %.4g°), %zu atoms: got %.9g, "
                         "want %.9g",
                         p[0], p[1], p[2], p[3], p[4], p[5], n, got, want);
            bad++;
        }
        cz_atoms_destroy(b);
    }
    CZ_CHECK(tried > 200, "only %d cells tried", tried);
    CZ_CHECK(bad == 0, "%d of %d sparse triclinic sets miss the nearest image; first: %s", bad,
             tried, first);
}

int main(void) {
    test_create_push();
    test_reserve();
    test_enomem();
    test_append_copy_filter();
    test_cell_bbox();
    test_center();
    test_wrap();
    test_min_distance();
    test_min_distance_sparse();
    return cz_test_summary("atoms");
}
