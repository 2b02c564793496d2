/* bench_fill.c — timing of the crystal fill and of a whole `cz build` run; JSON on stdout.
 *
 * Usage: cz_bench PATH/TO/cz [--quick]
 *
 * 1. cz_fill_shape on fcc Au (a = 4.08 Å) spheres of R = 25, 50, 100, 200 Å about a lattice
 *    point, single thread, with the lattice unrotated and at one random orientation (fixed
 *    seed): best-of-k seconds, atoms per second and the rotated/unrotated ratio. The design asks
 *    that rotated crystals cost at most a small factor more; this measures that factor.
 * 2. Wall time of the whole `cz build` process for the R = 25 Å particle (3,925 atoms) written to
 *    extxyz, best of 10, timed around posix_spawn + waitpid: what a user waits for.
 * Times use CLOCK_MONOTONIC. Nothing here asserts a time; the tests never do either.
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cz/cz.h"

extern char **environ;

static const double LATTICE_A = 4.08;
static const uint64_t ORIENTATION_SEED = 20240611;
static const int BUILD_RUNS = 10;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void die_cz(const char *what, cz_status st) {
    fprintf(stderr, "cz_bench: %s: %s\n", what,
            cz_last_error()[0] ? cz_last_error() : cz_strerror(st));
    exit(1);
}

/* Best of `repeats` timings of one fill; the atom count of the last run goes to *natoms. */
static double time_fill(const cz_lattice *lat, const cz_volume *vol, const cz_fill_opts *opts,
                        int repeats, size_t *natoms) {
    double best = 1e300;
    for (int r = 0; r < repeats; ++r) {
        cz_atoms *atoms = NULL;
        double t0 = now_s();
        cz_status st = cz_fill_shape(lat, vol, opts, &atoms);
        double dt = now_s() - t0;
        if (st != CZ_OK) die_cz("cz_fill_shape", st);
        *natoms = atoms->n;
        cz_atoms_destroy(atoms);
        if (dt < best) best = dt;
    }
    return best;
}

static void bench_fill(int quick) {
    static const double radii[] = {25.0, 50.0, 100.0, 200.0};
    /* Fewer repeats for the big spheres: R = 200 Å is ~2 M atoms, where noise matters less. */
    static const int repeats[] = {15, 9, 5, 3};
    size_t ncases = quick ? 2 : sizeof radii / sizeof radii[0];

    cz_prototype_opts po;
    cz_prototype_opts_default(&po);
    po.z[0] = 79;
    po.a = LATTICE_A;
    cz_lattice *lat = NULL;
    cz_status st = cz_lattice_prototype("fcc", &po, &lat);
    if (st != CZ_OK) die_cz("cz_lattice_prototype", st);

    cz_fill_opts plain;
    cz_fill_opts_default(&plain);
    plain.nthreads = 1;
    cz_fill_opts turned = plain;
    double rot[3][3], zero[3] = {0.0, 0.0, 0.0};
    cz_rng_rotation(ORIENTATION_SEED, 0, 0, rot);
    st = cz_transform_matrix((const double(*)[3])rot, zero, 1, &turned.lattice_tf);
    if (st != CZ_OK) die_cz("cz_transform_matrix", st);

    printf("  \"fill\": {\n");
    printf("    \"lattice\": \"fcc\", \"element\": \"Au\", \"a\": %.2f, \"nthreads\": 1,\n",
           LATTICE_A);
    printf("    \"orientation_seed\": %llu,\n", (unsigned long long)ORIENTATION_SEED);
    printf("    \"cases\": [\n");
    for (size_t i = 0; i < ncases; ++i) {
        double center[3] = {0.0, 0.0, 0.0};
        cz_volume *vol = NULL;
        st = cz_volume_sphere(center, radii[i], &vol);
        if (st != CZ_OK) die_cz("cz_volume_sphere", st);
        size_t n_plain = 0, n_turned = 0;
        double t_plain = time_fill(lat, vol, &plain, repeats[i], &n_plain);
        double t_turned = time_fill(lat, vol, &turned, repeats[i], &n_turned);
        cz_volume_destroy(vol);
        printf(
            "      {\"radius\": %.0f, \"atoms\": %zu, \"atoms_rotated\": %zu, \"repeats\": %d,\n",
            radii[i], n_plain, n_turned, repeats[i]);
        printf("       \"unrotated_s\": %.6g, \"rotated_s\": %.6g,\n", t_plain, t_turned);
        printf("       \"unrotated_atoms_per_s\": %.4g, \"rotated_atoms_per_s\": %.4g,\n",
               (double)n_plain / t_plain, (double)n_turned / t_turned);
        printf("       \"rotated_over_unrotated\": %.3f}%s\n", t_turned / t_plain,
               i + 1 < ncases ? "," : "");
        fflush(stdout);
    }
    printf("    ]\n  }");
    cz_lattice_destroy(lat);
}

/* One `cz build` run with stdout sent to `out_path`; returns its wall time, or -1 on failure. */
static double time_process(char *const argv[], const char *out_path) {
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return -1.0;
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path, O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    double t0 = now_s();
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    int status = 0;
    if (rc == 0 && waitpid(pid, &status, 0) < 0) rc = -1;
    double dt = now_s() - t0;
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1.0;
    return dt;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Time the whole `cz ARGS... -o OUT` process, best and median of BUILD_RUNS, as JSON under
 * `key`. The summary line's first word (the atom count) is reported to show what was built. */
static void bench_process(const char *key, const char *cz_path, const char *const args[],
                          const char *describe) {
    const char *base = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cz_bench.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "cz_bench: cannot create a temporary directory under %s\n", dir);
        exit(1);
    }
    char xyz[600], out[600];
    snprintf(xyz, sizeof xyz, "%s/structure.xyz", dir);
    snprintf(out, sizeof out, "%s/stdout.txt", dir);
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)cz_path;
    for (int i = 0; args[i] && n < 28; i++) argv[n++] = (char *)args[i];
    argv[n++] = "-o";
    argv[n++] = xyz;
    argv[n] = NULL;

    double t[16];
    for (int r = 0; r < BUILD_RUNS; ++r) {
        t[r] = time_process(argv, out);
        if (t[r] < 0) {
            fprintf(stderr, "cz_bench: '%s %s ...' failed (see %s)\n", cz_path, args[0], out);
            exit(1);
        }
    }
    long natoms = -1;
    FILE *fp = fopen(out, "r");
    if (fp) {
        if (fscanf(fp, "%ld", &natoms) != 1) natoms = -1;
        fclose(fp);
    }
    qsort(t, (size_t)BUILD_RUNS, sizeof t[0], compare_double);
    printf("  \"%s\": {\n", key);
    printf("    \"command\": \"%s\",\n", describe);
    printf("    \"atoms\": %ld, \"runs\": %d, \"best_s\": %.6g, \"median_s\": %.6g\n  }", natoms,
           BUILD_RUNS, t[0], 0.5 * (t[(BUILD_RUNS - 1) / 2] + t[BUILD_RUNS / 2]));
    unlink(xyz);
    unlink(out);
    rmdir(dir);
}

int main(int argc, char **argv) {
    const char *cz_path = NULL, *spec = NULL;
    int quick = 0;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--spec") == 0 && i + 1 < argc)
            spec = argv[++i];
        else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf(
                "Usage: cz_bench PATH/TO/cz [--quick] [--spec SCENE.yaml]\n"
                "Times cz_fill_shape (fcc Au spheres R = 25..200 Å, unrotated and rotated,\n"
                "one thread) and the whole `cz build` process for 3,925 atoms; with --spec also\n"
                "the whole `cz build SCENE.yaml -o X.xyz` process; JSON on stdout.\n"
                "--quick: only R = 25 and 50 Å.\n");
            return 0;
        } else if (!cz_path)
            cz_path = argv[i];
        else {
            fprintf(stderr, "cz_bench: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!cz_path) {
        fprintf(stderr, "cz_bench: missing the path of the cz program (cz_bench PATH/TO/cz)\n");
        return 2;
    }
    if (access(cz_path, X_OK) != 0) {
        fprintf(stderr, "cz_bench: '%s' is not an executable\n", cz_path);
        return 2;
    }
    printf("{\n  \"cz_version\": \"%s\",\n", cz_version());
    bench_fill(quick);
    printf(",\n");
    static const char *const sphere[] = {"build", "--lattice", "fcc", "--element", "Au",
                                         "-a",    "4.08",      "--sphere", "25", NULL};
    bench_process("cz_build_process", cz_path, sphere,
                  "cz build --lattice fcc --element Au -a 4.08 --sphere 25 -o au_r25.xyz");
    if (spec) {
        const char *const scene[] = {"build", spec, NULL};
        char describe[700];
        snprintf(describe, sizeof describe, "cz build %s -o scene.xyz", spec);
        printf(",\n");
        bench_process("cz_build_spec_process", cz_path, scene, describe);
    }
    printf("\n}\n");
    return 0;
}
