/* relax.c — cz_relax: validate, write the LAMMPS inputs, run the worker, read the result back.
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cz/cz_relax.h"
#include "error.h"
#include "run.h"
#include "script.h"

void cz_relax_opts_default(cz_relax_opts *opts) {
    if (!opts) return;
    memset(opts, 0, sizeof *opts);
    opts->pair = NULL;
    opts->pair_commands = NULL;
    opts->lj_epsilon_ev = 0.0;
    opts->lj_sigma = 0.0;
    opts->lj_cutoff = 0.0;
    opts->potentials_dir = NULL;
    opts->freeze_classes = 0u;
    opts->frozen = NULL;
    opts->min = CZ_RELAX_MIN_CG;
    opts->etol = 1e-10;
    opts->ftol_ev_per_a = 1e-4;
    opts->max_iterations = 5000;
    opts->max_evaluations = 50000;
    opts->anneal_steps = 0;
    opts->anneal_temperature_k = 300.0;
    opts->timestep_fs = 1.0;
    opts->seed = 1;
    opts->extra_commands = NULL;
    opts->ranks = 1;
    opts->mpirun = NULL;
    opts->worker = NULL;
    opts->work_dir = NULL;
    opts->timeout_s = 0.0;
}

static int finite_nonneg(double v) { return isfinite(v) && v >= 0.0; }

static cz_status check_opts(const cz_relax_opts *o) {
    if (o->min != CZ_RELAX_MIN_CG && o->min != CZ_RELAX_MIN_FIRE && o->min != CZ_RELAX_MIN_NONE)
        return RELAX_FAIL(CZ_EINVAL, "min must be CZ_RELAX_MIN_CG, _FIRE or _NONE (got %d)",
                          (int)o->min);
    if (!finite_nonneg(o->etol))
        return RELAX_FAIL(CZ_EINVAL, "etol must be >= 0 (got %g)", o->etol);
    if (!finite_nonneg(o->ftol_ev_per_a))
        return RELAX_FAIL(CZ_EINVAL, "ftol_ev_per_a must be >= 0 (got %g)", o->ftol_ev_per_a);
    if (o->min != CZ_RELAX_MIN_NONE) {
        if (o->max_iterations < 1 || o->max_iterations > INT_MAX)
            return RELAX_FAIL(CZ_EINVAL, "max_iterations must be in 1..%d (got %ld)", INT_MAX,
                              o->max_iterations);
        if (o->max_evaluations < 1 || o->max_evaluations > INT_MAX)
            return RELAX_FAIL(CZ_EINVAL, "max_evaluations must be in 1..%d (got %ld)", INT_MAX,
                              o->max_evaluations);
    }
    if (o->anneal_steps < 0 || o->anneal_steps > INT_MAX)
        return RELAX_FAIL(CZ_EINVAL, "anneal_steps must be in 0..%d (got %ld)", INT_MAX,
                          o->anneal_steps);
    if (o->anneal_steps > 0 && !(isfinite(o->anneal_temperature_k) && o->anneal_temperature_k > 0))
        return RELAX_FAIL(CZ_EINVAL, "anneal_temperature_k must be > 0 (got %g)",
                          o->anneal_temperature_k);
    if (!(isfinite(o->timestep_fs) && o->timestep_fs > 0.0))
        return RELAX_FAIL(CZ_EINVAL, "timestep_fs must be > 0 (got %g)", o->timestep_fs);
    if (!finite_nonneg(o->lj_epsilon_ev))
        return RELAX_FAIL(CZ_EINVAL, "lj_epsilon_ev must be >= 0 (got %g)", o->lj_epsilon_ev);
    if (!finite_nonneg(o->lj_sigma))
        return RELAX_FAIL(CZ_EINVAL, "lj_sigma must be >= 0 (got %g)", o->lj_sigma);
    if (!finite_nonneg(o->lj_cutoff))
        return RELAX_FAIL(CZ_EINVAL, "lj_cutoff must be >= 0 (got %g)", o->lj_cutoff);
    if ((o->lj_epsilon_ev > 0.0) != (o->lj_sigma > 0.0))
        return RELAX_FAIL(CZ_EINVAL,
                          "lj_epsilon_ev and lj_sigma go together (got %g and %g; 0 and 0 = UFF)",
                          o->lj_epsilon_ev, o->lj_sigma);
    if (o->ranks < 1 || o->ranks > 4096)
        return RELAX_FAIL(CZ_EINVAL, "ranks must be in 1..4096 (got %d)", o->ranks);
    if (!finite_nonneg(o->timeout_s))
        return RELAX_FAIL(CZ_EINVAL, "timeout_s must be >= 0 (got %g)", o->timeout_s);
    if (o->work_dir && !czi_relax_path_ok(o->work_dir))
        return RELAX_FAIL(CZ_EINVAL,
                          "work_dir '%s': LAMMPS cannot quote a path holding '\"', '$' or a line "
                          "break",
                          o->work_dir);
    return CZ_OK;
}

static cz_status check_atoms(const cz_atoms *atoms) {
    if (atoms->n == 0) return RELAX_FAIL(CZ_EINVAL, "no atoms to relax");
    if (atoms->n > (size_t)INT_MAX)
        return RELAX_FAIL(CZ_ERANGE, "%zu atoms: LAMMPS (SMALLBIG) takes at most %d", atoms->n,
                          INT_MAX);
    for (size_t i = 0; i < atoms->n; ++i) {
        if (atoms->z[i] < 1 || atoms->z[i] > CZ_MAX_Z)
            return RELAX_FAIL(CZ_EINVAL, "atom %zu: Z must be in 1..%d (got %d)", i, CZ_MAX_Z,
                              atoms->z[i]);
        if (!(isfinite(atoms->xyz[i][0]) && isfinite(atoms->xyz[i][1]) &&
              isfinite(atoms->xyz[i][2])))
            return RELAX_FAIL(CZ_EINVAL, "atom %zu: non-finite position", i);
    }
    for (int k = 0; k < 3; ++k)
        for (int t = 0; t < 3; ++t)
            if (!isfinite(atoms->cell[k][t])) return RELAX_FAIL(CZ_EINVAL, "non-finite cell");
    return CZ_OK;
}

/* The run directory: the caller's (emptied of a previous run's outputs, so a stale result is
 * never read) or a private one. */
static cz_status open_dir(const cz_relax_opts *opts, char dir[PATH_MAX], int *owned) {
    *owned = 0;
    if (!opts->work_dir) {
        cz_status st = czi_relax_make_dir(dir);
        if (st == CZ_OK) *owned = 1;
        return st;
    }
    struct stat sb;
    if (stat(opts->work_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return RELAX_FAIL(CZ_EIO, "work_dir '%s' is not an existing directory", opts->work_dir);
    char *real = realpath(opts->work_dir, NULL);
    if (!real || strlen(real) >= PATH_MAX - 64 || !czi_relax_path_ok(real)) {
        free(real);
        return RELAX_FAIL(CZ_EINVAL, "work_dir '%s': cannot use this path", opts->work_dir);
    }
    czi_relax_copy_path(dir, real);
    free(real);
    static const char *const stale[] = {CZI_RELAX_RESULT, CZI_RELAX_LOG, CZI_RELAX_OUTPUT};
    for (size_t i = 0; i < sizeof stale / sizeof stale[0]; ++i) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", dir, stale[i]);
        remove(path);
    }
    return CZ_OK;
}

typedef struct run_output {
    double energy, initial;
    long long steps;
    double (*u)[3]; /* unwrapped final positions, LAMMPS frame */
    double *pe;
} run_output;

/* Read dir/result.txt (see worker.c for the format). Returns 0 on success. */
static int read_result(const char *dir, size_t n, run_output *r) {
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, CZI_RELAX_RESULT);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = 0;
    long long natoms = -1;
    char word[32];
    ok = fscanf(f, "cz-relax-result 1 natoms %lld energy %lf initial_energy %lf steps %lld %31s",
                &natoms, &r->energy, &r->initial, &r->steps, word) == 5 &&
         natoms == (long long)n && strcmp(word, "atoms") == 0;
    for (size_t i = 0; ok && i < n; ++i)
        ok = fscanf(f, "%lf %lf %lf %lf", &r->u[i][0], &r->u[i][1], &r->u[i][2], &r->pe[i]) == 4;
    ok = ok && fscanf(f, "%31s", word) == 1 && strcmp(word, "end") == 0;
    fclose(f);
    return ok ? 0 : -1;
}

/* Run the worker and turn how it ended into a status (CZ_OK: result.txt is there). */
static cz_status run_worker(const cz_relax_opts *opts, const char *dir) {
    char worker[PATH_MAX];
    cz_status st = czi_relax_find_worker(opts->worker, worker);
    if (st != CZ_OK) return st;
    char ranks[32];
    snprintf(ranks, sizeof ranks, "%d", opts->ranks);
    char *argv[8];
    int k = 0;
    if (opts->ranks > 1) {
        argv[k++] = (char *)czi_relax_mpirun(opts->mpirun);
        argv[k++] = "-np";
        argv[k++] = ranks;
    }
    argv[k++] = worker;
    argv[k++] = (char *)dir;
    argv[k] = NULL;

    czi_relax_exit ex;
    if ((st = czi_relax_spawn(argv, dir, opts->timeout_s, &ex)) != CZ_OK) return st;
    char path[PATH_MAX + 64], msg[1600];
    snprintf(path, sizeof path, "%s/%s", dir, CZI_RELAX_RESULT);
    struct stat sb;
    int have_result = stat(path, &sb) == 0;
    if (ex.timed_out)
        return RELAX_FAIL(CZ_EIO, "LAMMPS did not finish within %g s", opts->timeout_s);
    if (have_result && (!ex.known || (ex.code == 0 && ex.signal == 0))) return CZ_OK;
    if (czi_relax_find_error(dir, msg, sizeof msg)) return RELAX_FAIL(CZ_EINVAL, "LAMMPS: %s", msg);
    czi_relax_last_output(dir, msg, sizeof msg);
    char how[64];
    if (!ex.known)
        snprintf(how, sizeof how, "ended without a result");
    else if (ex.signal)
        snprintf(how, sizeof how, "was killed by signal %d", ex.signal);
    else
        snprintf(how, sizeof how, "exited with status %d", ex.code);
    return RELAX_FAIL(CZ_EIO, "%s %s%s%s", argv[0], how, msg[0] ? ": " : "", msg);
}

cz_status cz_relax(const cz_atoms *atoms, const cz_relax_opts *opts, cz_atoms **out,
                   double atom_energy_ev[], cz_relax_result *result) {
    if (out) *out = NULL;
    if (result) memset(result, 0, sizeof *result);
    if (!atoms) return RELAX_FAIL(CZ_EINVAL, "atoms is NULL");
    if (!out) return RELAX_FAIL(CZ_EINVAL, "out is NULL");
    cz_relax_opts defaults;
    cz_relax_opts_default(&defaults);
    if (!opts) opts = &defaults;
    cz_status st = check_atoms(atoms);
    if (st == CZ_OK) st = check_opts(opts);
    if (st != CZ_OK) return st;

    size_t n = atoms->n, nfrozen = 0;
    czi_relax_frame frame;
    run_output r = {0};
    cz_atoms *res = NULL;
    char dir[PATH_MAX] = "";
    int owned = 0;
    unsigned char *frozen = malloc(n);
    r.u = malloc(n * sizeof *r.u);
    r.pe = malloc(n * sizeof *r.pe);
    memset(&frame, 0, sizeof frame);
    if (!frozen || !r.u || !r.pe) {
        st = RELAX_FAIL(CZ_ENOMEM, "out of memory for %zu atoms", n);
        goto done;
    }
    for (size_t i = 0; i < n; ++i) {
        int c = atoms->class_id[i];
        int by_class =
            c >= 0 && c < (int)(sizeof(unsigned) * CHAR_BIT) && (opts->freeze_classes >> c) & 1u;
        frozen[i] = by_class || (opts->frozen && opts->frozen[i]);
        nfrozen += frozen[i];
    }

    if ((st = czi_relax_frame_make(atoms, &frame)) != CZ_OK) goto done;
    if ((st = open_dir(opts, dir, &owned)) != CZ_OK) goto done;
    if ((st = czi_relax_write_inputs(dir, atoms, opts, &frame, frozen, nfrozen)) != CZ_OK)
        goto done;
    if ((st = run_worker(opts, dir)) != CZ_OK) goto done;
    if (read_result(dir, n, &r) != 0) {
        st =
            RELAX_FAIL(CZ_EIO, "the LAMMPS worker left an incomplete %s/%s", dir, CZI_RELAX_RESULT);
        goto done;
    }

    if (cz_atoms_copy(atoms, &res) != CZ_OK) {
        st = RELAX_FAIL(CZ_ENOMEM, "out of memory copying %zu atoms", n);
        goto done;
    }
    /* Back to the caller's frame: add the displacement LAMMPS made, rotated by R^T, to the
     * input position (rather than rotating LAMMPS's positions back), so that an atom that did
     * not move comes back bit for bit; frozen atoms are exactly where they were. */
    for (size_t i = 0; i < n; ++i) {
        if (frozen[i]) continue;
        double d[3] = {r.u[i][0] - frame.xyz[i][0], r.u[i][1] - frame.xyz[i][1],
                       r.u[i][2] - frame.xyz[i][2]};
        for (int t = 0; t < 3; ++t) {
            double dt = frame.identity ? d[t]
                                       : frame.rot[0][t] * d[0] + frame.rot[1][t] * d[1] +
                                             frame.rot[2][t] * d[2];
            res->xyz[i][t] = atoms->xyz[i][t] + dt;
        }
    }
    if (atom_energy_ev) memcpy(atom_energy_ev, r.pe, n * sizeof *r.pe);
    if (result) {
        long md = opts->anneal_steps > 0 && nfrozen < n ? opts->anneal_steps : 0;
        result->energy_ev = r.energy;
        result->initial_energy_ev = r.initial;
        result->md_steps = md;
        result->min_iterations = opts->min == CZ_RELAX_MIN_NONE ? 0 : (long)(r.steps - md);
        result->converged = 1;
        if (opts->min != CZ_RELAX_MIN_NONE) {
            czi_relax_stop_reason(dir, result->stop_reason, sizeof result->stop_reason);
            const char *s = result->stop_reason;
            result->converged = strcmp(s, "energy tolerance") == 0 ||
                                strcmp(s, "force tolerance") == 0 ||
                                strcmp(s, "forces are zero") == 0;
        }
    }
    *out = res;
    res = NULL;
    st = CZ_OK;
done:
    if (owned) czi_relax_remove_dir(dir);
    czi_relax_frame_free(&frame);
    cz_atoms_destroy(res);
    free(frozen);
    free(r.u);
    free(r.pe);
    return st;
}
