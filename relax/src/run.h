/* run.h — private: the child process of a relaxation. Finding the worker and the MPI launcher,
 * the private run directory, spawning and waiting (with a time limit), and reading what LAMMPS
 * left behind (its ERROR line, the minimiser's stopping criterion). */
#ifndef CZI_RELAX_RUN_H
#define CZI_RELAX_RUN_H

#include <stddef.h>

#include "cz/cz_base.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* How the child ended. */
typedef struct czi_relax_exit {
    int known;     /* 0 when the status was lost (the caller ignores SIGCHLD) */
    int code;      /* exit code when it exited normally, else -1 */
    int signal;    /* terminating signal, else 0 */
    int timed_out; /* 1 when it was killed for exceeding the time limit */
} czi_relax_exit;

/* The worker program: `given`, else $CZ_RELAX_WORKER, else the one built with this library,
 * else cz-relax-worker next to the running executable. CZ_ENOTSUP when none is executable. */
cz_status czi_relax_find_worker(const char *given, char out[PATH_MAX]);

/* The MPI launcher: `given`, else $CZ_MPIRUN, else the one found at build time, else "mpirun"
 * (searched on PATH when spawned). */
const char *czi_relax_mpirun(const char *given);

/* A new private directory under $TMPDIR (or /tmp). CZ_EIO on failure. */
cz_status czi_relax_make_dir(char out[PATH_MAX]);

/* Remove a directory made by czi_relax_make_dir and everything in it (best effort). */
void czi_relax_remove_dir(const char *dir);

/* Run argv (argv[0] searched on PATH when it has no '/') with stdin from /dev/null and
 * stdout + stderr into dir/output.txt, in a cleaned environment (see run.c), and wait for it,
 * at most timeout_s seconds when timeout_s > 0. CZ_ENOTSUP when argv[0] cannot be found,
 * CZ_EIO when it cannot be started; CZ_OK once it has ended, however it ended (see *ex). */
cz_status czi_relax_spawn(char *const argv[], const char *dir, double timeout_s,
                          czi_relax_exit *ex);

/* LAMMPS's first "ERROR..." line in dir/log.lammps or dir/output.txt, with the "Last command"
 * line that follows it, as one line in msg. Returns 1 when found, 0 otherwise. */
int czi_relax_find_error(const char *dir, char *msg, size_t cap);

/* The last meaningful line the child printed (for failures without an ERROR line). */
void czi_relax_last_output(const char *dir, char *msg, size_t cap);

/* The last "Stopping criterion = ..." of the log, or "" (cap bytes incl. the NUL). */
void czi_relax_stop_reason(const char *dir, char *out, size_t cap);

#endif
