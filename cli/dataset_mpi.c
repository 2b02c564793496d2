/* dataset_mpi.c — Open MPI for `cz dataset`, loaded at run time.
 *
 * cz is not linked with MPI: a plain run must not pay for loading it, and cz must run where no
 * MPI is installed. Under Open MPI's launcher (OMPI_COMM_WORLD_SIZE in the environment) the
 * library libmpi.so.40 is opened with dlopen and the few calls the run needs are looked up:
 * MPI_Init, MPI_Comm_rank/size, MPI_Allreduce, MPI_Barrier, MPI_Finalize, and the predefined
 * handles, which Open MPI exports as data symbols (MPI_COMM_WORLD is &ompi_mpi_comm_world, and so
 * on). Those handles are pointers in Open MPI's ABI, so they are passed here as void *. */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"

typedef void *mpi_handle;

static struct {
    void *lib;
    int (*init)(int *, char ***);
    int (*finalize)(void);
    int (*comm_rank)(mpi_handle, int *);
    int (*comm_size)(mpi_handle, int *);
    int (*allreduce)(const void *, void *, int, mpi_handle, mpi_handle, mpi_handle);
    int (*barrier)(mpi_handle);
    mpi_handle world, t_double, op_sum, op_max;
} M;

static void *sym(const char *name, int *missing) {
    void *p = dlsym(M.lib, name);
    if (!p) *missing = 1;
    return p;
}

int ds_mpi_start(ds_mpi *m, char *why, size_t whylen) {
    memset(m, 0, sizeof *m);
    m->size = 1;
    why[0] = '\0';
    const char *sz = getenv("OMPI_COMM_WORLD_SIZE");
    if (!sz || atol(sz) < 1) return 0;
    static const char *const names[] = {"libmpi.so.40", "libmpi.so"};
    for (size_t k = 0; k < 2 && !M.lib; ++k) M.lib = dlopen(names[k], RTLD_NOW | RTLD_GLOBAL);
    if (!M.lib) {
        const char *e = dlerror();
        snprintf(why, whylen, "cannot load Open MPI's libmpi.so.40 (%s)", e ? e : "not found");
        return 0;
    }
    int missing = 0;
    /* ISO C has no conversion from void * to a function pointer; copy the bits. */
#define FN(f, name)                          \
    do {                                     \
        void *p_ = sym(name, &missing);      \
        memcpy(&(f), &p_, sizeof p_);        \
    } while (0)
    FN(M.init, "MPI_Init");
    FN(M.finalize, "MPI_Finalize");
    FN(M.comm_rank, "MPI_Comm_rank");
    FN(M.comm_size, "MPI_Comm_size");
    FN(M.allreduce, "MPI_Allreduce");
    FN(M.barrier, "MPI_Barrier");
#undef FN
    M.world = sym("ompi_mpi_comm_world", &missing);
    M.t_double = sym("ompi_mpi_double", &missing);
    M.op_sum = sym("ompi_mpi_op_sum", &missing);
    M.op_max = sym("ompi_mpi_op_max", &missing);
    if (missing) {
        snprintf(why, whylen, "libmpi.so.40 is not Open MPI's (symbols missing)");
        dlclose(M.lib);
        M.lib = NULL;
        return 0;
    }
    int r = 0, s = 1;
    if (M.init(NULL, NULL) != 0 || M.comm_rank(M.world, &r) != 0 ||
        M.comm_size(M.world, &s) != 0) {
        snprintf(why, whylen, "MPI_Init failed");
        return 0;
    }
    m->active = 1;
    m->rank = r;
    m->size = s;
    return 1;
}

int ds_mpi_sum(ds_mpi *m, double *v, int n, int max) {
    if (!m->active || n <= 0) return 0;
    double *out = malloc((size_t)n * sizeof *out);
    if (!out) return -1;
    int rc = M.allreduce(v, out, n, M.t_double, max ? M.op_max : M.op_sum, M.world);
    if (rc == 0) memcpy(v, out, (size_t)n * sizeof *out);
    free(out);
    return rc == 0 ? 0 : -1;
}

void ds_mpi_barrier(ds_mpi *m) {
    if (m->active) M.barrier(M.world);
}

void ds_mpi_end(ds_mpi *m) {
    if (m->active) M.finalize();
    m->active = 0;
}
