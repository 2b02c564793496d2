/* bench_amorphous.c — speed and memory of cz_amorphous_fill; JSON on stdout.
 *
 * Usage: cz_bench_amorphous [--quick]
 *
 * Cases (all with a fixed seed):
 *  1. "a-C 200x200x50": amorphous carbon, 2.2 g/cm³, d_min 1.4 Å, a 200 × 200 × 50 Å block
 *     periodic along all three axes (the target: >= 2 M atoms/s, <= 64 bytes/atom).
 *  2. "a-C slab 100x100x30": the same carbon as the 100 × 100 × 30 Å substrate of the Python
 *     original's benchmark scene, periodic in x and y only.
 *  3. "a-SiO2 100^3 triclinic": an a-SiO2-like Si:O = 1:2 mix at 2.2 g/cm³ with three pair
 *     distances, in a skewed periodic box.
 *  4. "a-C 400x400x100" (skipped with --quick): eight times case 1, to show the scaling.
 *
 * Time: best of k runs, CLOCK_MONOTONIC around the call (the output's allocation included).
 * Memory, two ways:
 *  - "scratch_bytes_per_atom": the fill's own count of its working memory at its peak
 *    (cz_amorphous_stats.scratch_peak_bytes / N), i.e. everything beyond the output cz_atoms;
 *  - "maxrss_extra_bytes_per_atom": the growth of the process's peak resident set
 *    (getrusage ru_maxrss) over the FIRST run of case 1, which runs before anything else has
 *    touched memory, minus the output arrays (40 bytes/atom: xyz 24, z 4, three labels 12),
 *    per atom. It includes allocator overhead and is the number a user would see in `top`.
 * Nothing here asserts a time; the tests never do either.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cz/cz.h"

static const uint64_t SEED = 20240611;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long maxrss_kib(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss; /* KiB on Linux */
}

static void die_cz(const char *what, cz_status st) {
    fprintf(stderr, "cz_bench_amorphous: %s: %s\n", what,
            cz_last_error()[0] ? cz_last_error() : cz_strerror(st));
    exit(1);
}

/* Bytes of the output cz_atoms per atom: xyz, z and the three label arrays. */
static double output_bytes_per_atom(void) {
    cz_atoms a;
    return (double)(sizeof *a.xyz + sizeof *a.z + sizeof *a.object_id + sizeof *a.grain_id +
                    sizeof *a.class_id);
}

typedef struct bench_case {
    const char *name;
    double cell[3][3];
    int pbc[3];
    int sio2;
    int repeats;
} bench_case;

static void run_case(const bench_case *bc, int first, int last) {
    cz_amorphous_opts o;
    cz_amorphous_opts_default(&o);
    o.seed = SEED;
    if (bc->sio2) {
        o.nspecies = 2;
        o.z[0] = 14;
        o.z[1] = 8;
        o.fraction[0] = 1.0;
        o.fraction[1] = 2.0;
        o.d_min[0][0] = 2.8;
        o.d_min[0][1] = o.d_min[1][0] = 1.45;
        o.d_min[1][1] = 2.25;
    }
    const double origin[3] = {0.0, 0.0, 0.0};
    double best = 1e300, total = 0.0;
    cz_amorphous_stats stats;
    long rss0 = maxrss_kib(), rss1 = rss0;
    for (int r = 0; r < bc->repeats; ++r) {
        cz_atoms *a = NULL;
        double t0 = now_s();
        cz_status st = cz_amorphous_fill(origin, CZ_CROWS(bc->cell), bc->pbc, &o, &a, &stats);
        double dt = now_s() - t0;
        if (st != CZ_OK) die_cz(bc->name, st);
        if (r == 0) rss1 = maxrss_kib();
        cz_atoms_destroy(a);
        total += dt;
        if (dt < best) best = dt;
    }
    double n = (double)stats.natoms;
    printf("    {\"name\": \"%s\", \"pbc\": [%d, %d, %d], \"atoms\": %zu, \"attempts\": %zu,\n",
           bc->name, bc->pbc[0], bc->pbc[1], bc->pbc[2], stats.natoms, stats.attempts);
    printf("     \"grid\": [%zu, %zu, %zu], \"cell_diameter\": %.4f, \"repeats\": %d,\n",
           stats.grid[0], stats.grid[1], stats.grid[2], stats.cell_diameter, bc->repeats);
    printf("     \"best_s\": %.6g, \"mean_s\": %.6g, \"atoms_per_s\": %.4g,\n", best,
           total / bc->repeats, n / best);
    printf("     \"scratch_bytes_per_atom\": %.2f", (double)stats.scratch_peak_bytes / n);
    if (first) {
        double extra = ((double)(rss1 - rss0) * 1024.0) / n - output_bytes_per_atom();
        printf(",\n     \"maxrss_delta_kib\": %ld, \"maxrss_extra_bytes_per_atom\": %.2f",
               rss1 - rss0, extra);
    }
    printf("}%s\n", last ? "" : ",");
    fflush(stdout);
}

int main(int argc, char **argv) {
    int quick = 0;
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf(
                "Usage: cz_bench_amorphous [--quick]\n"
                "Times cz_amorphous_fill (amorphous carbon 200x200x50 Å periodic, a 100x100x30 Å\n"
                "slab, a-SiO2 in a triclinic box, and 400x400x100 Å unless --quick) and reports\n"
                "its working memory per atom; JSON on stdout.\n");
            return 0;
        } else {
            fprintf(stderr, "cz_bench_amorphous: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    const bench_case cases[] = {
        {"a-C 200x200x50", {{200, 0, 0}, {0, 200, 0}, {0, 0, 50}}, {1, 1, 1}, 0, 5},
        {"a-C slab 100x100x30", {{100, 0, 0}, {0, 100, 0}, {0, 0, 30}}, {1, 1, 0}, 0, 10},
        {"a-SiO2 100^3 triclinic", {{100, 0, 0}, {-20, 98, 0}, {10, 10, 97}}, {1, 1, 1}, 1, 3},
        {"a-C 400x400x100", {{400, 0, 0}, {0, 400, 0}, {0, 0, 100}}, {1, 1, 1}, 0, 2},
    };
    size_t ncases = quick ? 3 : sizeof cases / sizeof cases[0];
    printf("{\n  \"cz_version\": \"%s\", \"seed\": %llu, \"nthreads\": 1,\n", cz_version(),
           (unsigned long long)SEED);
    printf("  \"amorphous\": [\n");
    for (size_t i = 0; i < ncases; ++i) run_case(&cases[i], i == 0, i + 1 == ncases);
    printf("  ]\n}\n");
    return 0;
}
