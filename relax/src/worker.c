/* worker.c — cz-relax-worker DIR: the child process of cz_relax.
 *
 * Runs DIR/in.relax in LAMMPS through its C library API (library.h), then gathers the
 * unwrapped positions and per-atom energies in atom-ID order and writes DIR/result.txt. Run
 * directly for one rank or under `mpirun -np N` for N ranks: every rank opens LAMMPS on
 * MPI_COMM_WORLD (lammps_open_no_mpi initialises MPI when the launcher has not), the gathers
 * are collective, and rank 0 writes the file.
 *
 * LAMMPS writes its log to DIR/log.lammps and nothing to the screen; an input error in a
 * LAMMPS built without C++ exceptions (Debian's) ends this process with exit(1) after writing
 * "ERROR: ..." to the log, which is where cz_relax finds it. With a LAMMPS built with
 * exceptions the error is caught here and printed in the same form.
 *
 * The result file is written under a temporary name and renamed, so a file named result.txt
 * is always complete:
 *   cz-relax-result 1
 *   natoms N
 *   energy E            (eV, thermo pe at the end)
 *   initial_energy E0   (eV, of the input positions)
 *   steps S             (final timestep: MD steps + minimiser iterations)
 *   atoms
 *   x y z pe            (N lines, atom-ID order: unwrapped positions in the LAMMPS frame, Å;
 *                        per-atom energy, eV)
 *   end
 */
#define _POSIX_C_SOURCE 200809L

#include <lammps/library.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
/* Under CZ_SANITIZE=address this thin shim is instrumented too. Open MPI and LAMMPS keep
 * allocations until exit by design; LeakSanitizer would report them and turn a good run into
 * exit status 1, so leak detection is off here (it stays on in libczrelax and the tests). */
__attribute__((visibility("default"))) const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

static int fail_lammps(void *lmp, const char *what) {
    char buf[1024] = "";
    if (lmp && lammps_has_error(lmp)) lammps_get_last_error_message(lmp, buf, sizeof buf);
    printf("ERROR: %s%s%s\n", what, buf[0] ? ": " : "", buf);
    fflush(stdout);
    if (lmp) lammps_close(lmp);
    lammps_mpi_finalize();
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: cz-relax-worker DIR (runs DIR/in.relax; started by cz_relax)\n");
        return 2;
    }
    const char *dir = argv[1];
    size_t dlen = strlen(dir) + 64;
    char *log = malloc(dlen), *input = malloc(dlen), *tmp = malloc(dlen), *result = malloc(dlen);
    if (!log || !input || !tmp || !result) return 3;
    snprintf(log, dlen, "%s/log.lammps", dir);
    snprintf(input, dlen, "%s/in.relax", dir);
    snprintf(result, dlen, "%s/result.txt", dir);

    /* -nocite: no log.cite in the caller's working directory. */
    char *largs[] = {"cz-relax-worker", "-log", log, "-screen", "none", "-nocite", NULL};
    void *lmp = lammps_open_no_mpi(6, largs, NULL);
    if (!lmp) return fail_lammps(NULL, "lammps_open_no_mpi failed");
    lammps_file(lmp, input);
    if (lammps_has_error(lmp)) return fail_lammps(lmp, "in.relax");

    int me = lammps_extract_setting(lmp, "world_rank");
    snprintf(tmp, dlen, "%s/result.txt.%d", dir, me);
    double natoms = lammps_get_natoms(lmp);
    if (!(natoms >= 1.0 && natoms < 2147483647.0)) return fail_lammps(lmp, "bad atom count");
    int n = (int)natoms;
    double *x = malloc(3 * (size_t)n * sizeof *x);
    double *pe = malloc((size_t)n * sizeof *pe);
    int *image = malloc((size_t)n * sizeof *image);
    if (!x || !pe || !image) return fail_lammps(lmp, "out of memory");
    /* Image flags are plain ints in the SMALLBIG build Debian ships; other builds store them in
     * 64 bits, which this gather does not read. */
    if (lammps_extract_setting(lmp, "imageint") != 4)
        return fail_lammps(lmp, "this worker needs LAMMPS built with 32-bit image flags");
    lammps_gather_atoms(lmp, "x", 1, 3, x);
    lammps_gather_atoms(lmp, "image", 0, 1, image);
    lammps_gather(lmp, "c_cz_pe", 1, 1, pe);
    if (lammps_has_error(lmp)) return fail_lammps(lmp, "gathering the atoms");
    double energy = lammps_get_thermo(lmp, "pe");
    double *e0 = lammps_extract_variable(lmp, "cz_e0", NULL);
    int64_t *step = lammps_extract_global(lmp, "ntimestep");
    if (!e0 || !step) return fail_lammps(lmp, "reading cz_e0 and ntimestep");
    double initial = *e0;
    lammps_free(e0);

    int rc = 0;
    if (me == 0) {
        double lo[3], hi[3], xy = 0.0, yz = 0.0, xz = 0.0;
        int periodic[3], changed = 0;
        lammps_extract_box(lmp, lo, hi, &xy, &yz, &xz, periodic, &changed);
        double lx = hi[0] - lo[0], ly = hi[1] - lo[1], lz = hi[2] - lo[2];
        FILE *f = fopen(tmp, "w");
        if (!f) {
            rc = 1;
        } else {
            fprintf(f, "cz-relax-result 1\nnatoms %d\nenergy %.17g\ninitial_energy %.17g\n", n,
                    energy, initial);
            fprintf(f, "steps %lld\natoms\n", (long long)*step);
            for (int i = 0; i < n; ++i) {
                /* Undo the folding into the periodic box (LAMMPS's Domain::unmap); image flags
                 * are zero along shrink-wrapped axes. */
                int im[3];
                lammps_decode_image_flags(image[i], im);
                const double *r = x + 3 * (size_t)i;
                double ux = r[0] + im[0] * lx + im[1] * xy + im[2] * xz;
                double uy = r[1] + im[1] * ly + im[2] * yz;
                double uz = r[2] + im[2] * lz;
                fprintf(f, "%.17g %.17g %.17g %.17g\n", ux, uy, uz, pe[i]);
            }
            fprintf(f, "end\n");
            if (ferror(f)) rc = 1;
            if (fclose(f) != 0) rc = 1;
            if (rc == 0 && rename(tmp, result) != 0) rc = 1;
        }
        if (rc) printf("cz-relax-worker: cannot write %s\n", result);
    }
    free(x);
    free(pe);
    free(image);
    lammps_close(lmp);
    lammps_mpi_finalize();
    free(log);
    free(input);
    free(tmp);
    free(result);
    return rc;
}
