/* run.c — the child process of a relaxation.
 *
 * LAMMPS as Debian builds it exits the hosting process on any input error, and MPI
 * initialisation cannot be undone, so LAMMPS always runs in a separate program. posix_spawn
 * (rather than fork + exec by hand) is async-signal-safe in multi-threaded callers, which a
 * Python interpreter or an OpenMP program is. */
#define _XOPEN_SOURCE 700

#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "script.h"

extern char **environ;

static int executable(const char *path) {
    struct stat sb;
    return path && *path && stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

cz_status czi_relax_find_worker(const char *given, char out[PATH_MAX]) {
    if (given && *given) {
        if (!executable(given))
            return RELAX_FAIL(CZ_ENOTSUP, "worker '%s' is not an executable file", given);
        if (czi_relax_copy_path(out, given) != 0)
            return RELAX_FAIL(CZ_EINVAL, "worker path too long");
        return CZ_OK;
    }
    const char *env = getenv("CZ_RELAX_WORKER");
    if (env && *env) {
        if (!executable(env))
            return RELAX_FAIL(CZ_ENOTSUP, "CZ_RELAX_WORKER='%s' is not an executable file", env);
        if (czi_relax_copy_path(out, env) != 0)
            return RELAX_FAIL(CZ_EINVAL, "CZ_RELAX_WORKER path too long");
        return CZ_OK;
    }
#ifdef CZ_RELAX_WORKER_PATH
    if (executable(CZ_RELAX_WORKER_PATH) && czi_relax_copy_path(out, CZ_RELAX_WORKER_PATH) == 0)
        return CZ_OK;
#endif
    /* An installed or copied cz keeps the worker beside itself. */
    char self[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
    if (k > 0) {
        self[k] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            char cand[PATH_MAX + 32];
            snprintf(cand, sizeof cand, "%s/cz-relax-worker", self);
            if (executable(cand) && czi_relax_copy_path(out, cand) == 0) return CZ_OK;
        }
    }
    return RELAX_FAIL(CZ_ENOTSUP,
                      "the LAMMPS worker cz-relax-worker was not found (set CZ_RELAX_WORKER or "
                      "opts.worker; it is built with cz when liblammps-dev is installed)");
}

const char *czi_relax_mpirun(const char *given) {
    if (given && *given) return given;
    const char *env = getenv("CZ_MPIRUN");
    if (env && *env) return env;
#ifdef CZ_RELAX_MPIRUN
    if (executable(CZ_RELAX_MPIRUN)) return CZ_RELAX_MPIRUN;
#endif
    return "mpirun";
}

cz_status czi_relax_make_dir(char out[PATH_MAX]) {
    const char *base = getenv("TMPDIR");
    /* The directory name ends up quoted in a LAMMPS script. */
    if (!base || !*base || !czi_relax_path_ok(base) || strlen(base) > PATH_MAX - 64) base = "/tmp";
    snprintf(out, PATH_MAX, "%s/cz-relax-XXXXXX", base);
    if (!mkdtemp(out)) {
        int err = errno;
        char tried[PATH_MAX];
        snprintf(tried, sizeof tried, "%s", out);
        out[0] = '\0';
        return RELAX_FAIL(CZ_EIO, "cannot create a temporary directory %s: %s", tried,
                          strerror(err));
    }
    return CZ_OK;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void czi_relax_remove_dir(const char *dir) {
    if (dir && *dir) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The child's environment: the caller's, without the variables through which Open MPI, PMIx
 * and PMI tell a process that it is a rank of a running job. A caller that is itself an MPI
 * rank (cz dataset under mpirun) would otherwise have the worker, or the nested mpirun, join
 * the caller's job. Open MPI refuses to run as root unless told twice, and refuses more ranks
 * than cores unless allowed to oversubscribe; both are wanted here (a container's root, a
 * laptop with fewer cores than requested ranks). */
static char **child_environment(void) {
    static const char *const drop[] = {"OMPI_", "PMIX_", "PMI_", "OPAL_", NULL};
    static char *const add[] = {"OMPI_ALLOW_RUN_AS_ROOT=1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1",
                                "OMPI_MCA_rmaps_base_oversubscribe=1"};
    size_t n = 0;
    while (environ && environ[n]) ++n;
    size_t nadd = sizeof add / sizeof add[0];
    char **env = malloc((n + nadd + 1) * sizeof *env);
    if (!env) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
        int keep = 1;
        for (size_t d = 0; drop[d]; ++d)
            if (strncmp(environ[i], drop[d], strlen(drop[d])) == 0) keep = 0;
        if (keep) env[k++] = environ[i];
    }
    for (size_t i = 0; i < nadd; ++i) env[k++] = add[i];
    env[k] = NULL;
    return env;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void nap(double seconds) {
    struct timespec ts = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Wait for pid without blocking; 1 when it has ended (status in *status, or lost). */
static int reaped(pid_t pid, int *status, int *lost) {
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid) return 1;
        if (r == 0) return 0;
        if (errno == EINTR) continue;
        /* ECHILD: the caller ignores SIGCHLD, so the child was reaped by the kernel. */
        *lost = 1;
        return 1;
    }
}

cz_status czi_relax_spawn(char *const argv[], const char *dir, double timeout_s,
                          czi_relax_exit *ex) {
    memset(ex, 0, sizeof *ex);
    ex->code = -1;
    char out_path[PATH_MAX + 64];
    snprintf(out_path, sizeof out_path, "%s/%s", dir, CZI_RELAX_OUTPUT);

    char **env = child_environment();
    if (!env) return RELAX_FAIL(CZ_ENOMEM, "out of memory for the child's environment");
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0) {
        free(env);
        return RELAX_FAIL(CZ_ENOMEM, "posix_spawn_file_actions_init: %s", strerror(rc));
    }
    rc = posix_spawnattr_init(&attr);
    if (rc != 0) {
        posix_spawn_file_actions_destroy(&fa);
        free(env);
        return RELAX_FAIL(CZ_ENOMEM, "posix_spawnattr_init: %s", strerror(rc));
    }
    /* stdin from /dev/null: mpirun forwards stdin to rank 0 and must not take the caller's. */
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    /* Ignored signals stay ignored across exec; Python ignores SIGPIPE, which MPI launchers
     * expect to have. A blocked signal mask would be inherited too. */
    sigset_t none, def;
    sigemptyset(&none);
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    pid_t pid = 0;
    rc = posix_spawnp(&pid, argv[0], &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(env);
    if (rc == ENOENT)
        return RELAX_FAIL(CZ_ENOTSUP, "cannot run '%s': not found%s", argv[0],
                          strchr(argv[0], '/') ? "" : " on PATH (Debian package openmpi-bin)");
    if (rc != 0) return RELAX_FAIL(CZ_EIO, "cannot run '%s': %s", argv[0], strerror(rc));

    int status = 0, lost = 0;
    if (timeout_s > 0.0) {
        double start = now_s(), pause = 0.001;
        while (!reaped(pid, &status, &lost)) {
            if (now_s() - start > timeout_s) {
                /* mpirun passes SIGTERM on to its ranks; a worker run directly just ends. */
                kill(pid, SIGTERM);
                double t0 = now_s();
                while (!reaped(pid, &status, &lost)) {
                    if (now_s() - t0 > 5.0) {
                        kill(pid, SIGKILL);
                        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
                        }
                        break;
                    }
                    nap(0.01);
                }
                ex->timed_out = 1;
                break;
            }
            nap(pause);
            if (pause < 0.02) pause *= 2.0;
        }
    } else {
        for (;;) {
            if (waitpid(pid, &status, 0) == pid) break;
            if (errno != EINTR) {
                lost = 1;
                break;
            }
        }
    }
    if (lost) return CZ_OK;
    ex->known = 1;
    if (WIFEXITED(status)) ex->code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) ex->signal = WTERMSIG(status);
    return CZ_OK;
}

/* Copy a line without its line break, flattening tabs and stray breaks to spaces. */
static void copy_line(char *dst, size_t cap, const char *src) {
    size_t k = 0;
    for (; src[k] && k + 1 < cap; ++k)
        dst[k] = (src[k] == '\n' || src[k] == '\r' || src[k] == '\t') ? ' ' : src[k];
    dst[k] = '\0';
    while (k > 0 && dst[k - 1] == ' ') dst[--k] = '\0';
}

static int error_in(const char *path, char *msg, size_t cap) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char *line = NULL;
    size_t len = 0;
    int found = 0;
    while (getline(&line, &len, f) >= 0) {
        if (strncmp(line, "ERROR", 5) != 0) continue;
        char first[1024];
        copy_line(first, sizeof first, line);
        found = 1;
        if (getline(&line, &len, f) >= 0 && strncmp(line, "Last command:", 13) == 0) {
            char last[1024];
            copy_line(last, sizeof last, line + 13);
            const char *l = last;
            while (*l == ' ') ++l;
            snprintf(msg, cap, "%s (last command: %s)", first, l);
        } else {
            snprintf(msg, cap, "%s", first);
        }
        break;
    }
    free(line);
    fclose(f);
    return found;
}

int czi_relax_find_error(const char *dir, char *msg, size_t cap) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, CZI_RELAX_LOG);
    if (error_in(path, msg, cap)) return 1;
    snprintf(path, sizeof path, "%s/%s", dir, CZI_RELAX_OUTPUT);
    return error_in(path, msg, cap);
}

void czi_relax_last_output(const char *dir, char *msg, size_t cap) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, CZI_RELAX_OUTPUT);
    msg[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *line = NULL;
    size_t len = 0;
    while (getline(&line, &len, f) >= 0) {
        /* Skip blank lines and the rules of dashes Open MPI draws around its messages. */
        const char *p = line;
        while (*p == ' ' || *p == '-' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
        if (*p) copy_line(msg, cap, line);
    }
    free(line);
    fclose(f);
}

void czi_relax_stop_reason(const char *dir, char *out, size_t cap) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, CZI_RELAX_LOG);
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *line = NULL;
    size_t len = 0;
    static const char key[] = "Stopping criterion = ";
    while (getline(&line, &len, f) >= 0) {
        const char *p = strstr(line, key);
        if (p) copy_line(out, cap, p + sizeof key - 1);
    }
    free(line);
    fclose(f);
}
