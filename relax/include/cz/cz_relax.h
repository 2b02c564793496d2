/**
 * cz_relax.h — relax cz atoms with LAMMPS (libczrelax).
 *
 * Conventions (in addition to those of cz_base.h):
 *  - Units: Å, eV, K, fs; LAMMPS runs in `units metal` (Å, eV, ps), the conversion of the
 *    timestep is done here.
 *  - LAMMPS runs in a CHILD process: the program cz-relax-worker (built next to `cz`), which
 *    talks to Debian's liblammps through its C API (library.h), or `mpirun -np N` of it for
 *    N > 1 ranks. Debian's LAMMPS is built without C++ exceptions, so any LAMMPS input error
 *    calls exit(1) in the process that hosts it; in the child that costs nothing, and the
 *    caller gets CZ_EINVAL with LAMMPS's own "ERROR: ..." line as the message. Neither LAMMPS
 *    nor MPI is ever loaded into the calling process.
 *  - Atoms and results travel through files in a private temporary directory (removed after
 *    the call unless opts.work_dir is given). The directory holds a plain LAMMPS input script,
 *    in.relax, and its data file: `lmp -in in.relax` reproduces the run by hand.
 *  - Atom order is preserved: output atom i is input atom i (LAMMPS atom ID i + 1), with the same
 *    labels, cell and pbc. Positions come back unwrapped (an atom that crossed a periodic face
 *    is not folded back), in the caller's frame even when the cell had to be rotated into
 *    LAMMPS's lower-triangular form.
 *  - Errors: functions return cz_status; cz_relax_last_error() gives a thread-local message
 *    naming the function and the bad value, or the LAMMPS ERROR line.
 *  - Thread safety: cz_relax is reentrant (each call has its own directory and child); it
 *    spawns with posix_spawn, which is safe in multi-threaded callers such as Python.
 *
 * The box: along a periodic axis (pbc[i] = 1) the cell row is LAMMPS's periodic box vector;
 * every other axis is shrink-wrapped ("s") around the atoms, so an isolated particle needs no
 * cell at all and a slab scene (pbc = 1 1 0) is periodic in-plane and open along the normal.
 * Cell rows on non-periodic axes are ignored.
 *
 * Interactions (opts.pair), with atom types numbered by increasing Z:
 *  - "auto" (or NULL): every element that is not H, C or Si is a metal and gets Foiles's EAM,
 *    pair_style eam with <El>_u3.eam (Foiles, Baskes, Daw, PRB 33, 7983 (1986); Debian ships
 *    Ag, Au, Cu, Ni, Pd, Pt); C and Si get Tersoff's SiC.tersoff (Tersoff, PRB 39, 5566
 *    (1989)), or AIREBO CH.airebo when H is present (Stuart, Tutein, Harrison, J. Chem. Phys.
 *    112, 6472 (2000)). When metals and covalent elements meet, the styles are combined with
 *    pair_style hybrid and every metal–covalent type pair gets a Lennard-Jones 12-6 term
 *    (lj/cut, shifted to zero at the cutoff), by default from the Universal Force Field
 *    (Rappé et al., J. Am. Chem. Soc. 114, 10024 (1992)): ε = sqrt(D_i D_j),
 *    σ = sqrt(x_i x_j) / 2^(1/6), cutoff 2.5 σ. See docs/relax.md for the table.
 *  - "STYLE[=FILE][,STYLE[=FILE]]": one metal style (eam, eam/alloy, eam/fs) and/or one
 *    covalent style (tersoff, airebo, rebo), each with an optional potential file; a class of
 *    elements present without a style keeps the auto choice. A file name without '/' is
 *    looked up in opts.potentials_dir first. "eam=FILE" (funcfl) needs exactly one metal
 *    element; eam/alloy and eam/fs need a FILE that lists the elements.
 *  - opts.pair_commands: LAMMPS lines ("pair_style ...\npair_coeff ...", ';' or newline
 *    separated) used verbatim instead of all of the above, for anything else.
 *
 * Groups: atoms whose class bit is set in opts.freeze_classes, or with opts.frozen[i] != 0,
 * form the group cz_frozen: their forces are zeroed during minimisation (fix setforce) and
 * they are not integrated in MD, so they do not move at all. The rest is cz_mobile. Per-class
 * groups cz_none, cz_particle, cz_substrate and cz_ligand (CZ_CLASS_* labels; only for classes
 * present) exist too, for opts.extra_commands. (LAMMPS allows 32 groups, too few for one per
 * object.)
 *
 * Protocol: optional annealing MD of the mobile atoms (velocities drawn at
 * anneal_temperature_k with a seed derived from opts.seed, Nosé–Hoover NVT at that
 * temperature, damping 100 timesteps), then a minimisation (CG or FIRE) to etol / ftol; or
 * neither (min = CZ_RELAX_MIN_NONE, no annealing): a single-point energy.
 */
#ifndef CZ_RELAX_H
#define CZ_RELAX_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Minimiser run after any annealing. */
typedef enum cz_relax_min {
    CZ_RELAX_MIN_CG = 0,   /**< Polak–Ribière conjugate gradients (LAMMPS min_style cg) */
    CZ_RELAX_MIN_FIRE = 1, /**< FIRE 2.0 damped dynamics (min_style fire; uses timestep_fs) */
    CZ_RELAX_MIN_NONE = 2  /**< no minimisation */
} cz_relax_min;

/** Options of cz_relax. Fill with cz_relax_opts_default() first. Pointers are borrowed for
 *  the duration of the call. */
typedef struct cz_relax_opts {
    /* ---- interactions ---- */
    const char *pair;           /**< "auto" or "STYLE[=FILE][,STYLE[=FILE]]" (default NULL =
                                     "auto"); see the header comment */
    const char *pair_commands;  /**< raw LAMMPS pair lines replacing `pair` (default NULL) */
    double lj_epsilon_ev;       /**< metal–covalent LJ well depth, eV; 0 = UFF (default 0) */
    double lj_sigma;            /**< metal–covalent LJ σ, Å; 0 = UFF (default 0) */
    double lj_cutoff;           /**< LJ cutoff, Å; 0 = 2.5 σ (default 0) */
    const char *potentials_dir; /**< where bare potential file names are looked up; NULL =
                                     $LAMMPS_POTENTIALS, else /usr/share/lammps/potentials */
    /* ---- groups ---- */
    unsigned freeze_classes;     /**< bit (1u << CZ_CLASS_*) freezes that class (default 0) */
    const unsigned char *frozen; /**< [n] per-atom freeze flags, or NULL (default) */
    /* ---- minimisation ---- */
    cz_relax_min min;     /**< default CZ_RELAX_MIN_CG */
    double etol;          /**< relative energy tolerance, LAMMPS etol (default 1e-10) */
    double ftol_ev_per_a; /**< force tolerance, eV/Å: the 2-norm of the global force
                               vector (LAMMPS ftol; default 1e-4) */
    long max_iterations;  /**< LAMMPS maxiter (default 5000) */
    long max_evaluations; /**< LAMMPS maxeval (default 50000) */
    /* ---- annealing MD (before the minimisation) ---- */
    long anneal_steps;           /**< MD steps; 0 = no annealing (default 0) */
    double anneal_temperature_k; /**< K, > 0 when anneal_steps > 0 (default 300) */
    double timestep_fs;          /**< fs, MD and FIRE (default 1.0) */
    uint64_t seed;               /**< velocities: LAMMPS seed 1 + seed mod 2147483646
                                      (default 1) */
    /* ---- extra input ---- */
    const char *extra_commands; /**< LAMMPS lines run after the setup, before MD and
                                     minimisation (';' or newline separated; default NULL) */
    /* ---- running ---- */
    int ranks;            /**< MPI ranks: 1 runs the worker directly, N > 1 through
                               `mpirun -np N` (default 1) */
    const char *mpirun;   /**< launcher for ranks > 1; NULL = $CZ_MPIRUN, else the one
                               found at build time, else "mpirun" on PATH */
    const char *worker;   /**< worker program; NULL = $CZ_RELAX_WORKER, else the one
                               built with this library, else cz-relax-worker next to
                               the running executable */
    const char *work_dir; /**< existing directory to run in and keep (input script,
                               data file, log); NULL = a private temporary directory,
                               removed afterwards (default) */
    double timeout_s;     /**< wall-clock limit in s; 0 = none (default 0) */
} cz_relax_opts;

/** Outcome of a relaxation besides the positions. */
typedef struct cz_relax_result {
    double energy_ev;         /**< final potential energy, eV (LAMMPS thermo `pe`) */
    double initial_energy_ev; /**< potential energy of the input positions, eV */
    long md_steps;            /**< annealing steps run */
    long min_iterations;      /**< minimiser iterations run */
    int converged;            /**< 1 if the minimiser stopped on etol or ftol (always 1
                                   without minimisation) */
    char stop_reason[64];     /**< LAMMPS's "Stopping criterion" ("energy tolerance",
                                   "max iterations", ...), "" without minimisation */
} cz_relax_result;

/** Fill opts with the defaults listed in cz_relax_opts. */
CZ_API void cz_relax_opts_default(cz_relax_opts *opts);

/**
 * Relax atoms with LAMMPS in a child process (see the header comment).
 *
 * @param atoms  input structure, n >= 1, Z in 1..118, finite positions; not modified.
 * @param opts   options; NULL = defaults.
 * @param[out] out     new atoms: a copy of the input with relaxed positions (Å), same order,
 *                     labels, cell and pbc; NULL on failure. Caller destroys.
 * @param[out] atom_energy_ev  [atoms->n] per-atom potential energy, eV (LAMMPS compute
 *                     pe/atom; sums to result->energy_ev), or NULL if not wanted. Untouched on
 *                     failure.
 * @param[out] result  energies and iteration counts, or NULL if not wanted; zeroed on failure.
 * @return CZ_OK;
 *         CZ_EINVAL: NULL atoms/out, n == 0, bad option value, unparsable pair spec, a path
 *           LAMMPS cannot quote, a periodic axis without a cell row, or LAMMPS rejected the
 *           input (the message is LAMMPS's ERROR line and its "Last command");
 *         CZ_ENOTSUP: no default potential or UFF parameters for an element, the worker or
 *           launcher not found (relax built without LAMMPS);
 *         CZ_EIO: temporary files or work_dir, the child could not be started, died without
 *           an ERROR line (signal, MPI abort), exceeded timeout_s, or left no complete result;
 *         CZ_ERANGE: more atoms than LAMMPS's 32-bit atom IDs hold;
 *         CZ_ENOMEM.
 * Thread safety: reentrant.
 */
CZ_API cz_status cz_relax(const cz_atoms *atoms, const cz_relax_opts *opts, cz_atoms **out,
                          double atom_energy_ev[], cz_relax_result *result);

/** Message of the most recent cz_relax failure on the calling thread ("" if none). Never
 *  NULL; valid until the next failure on this thread. */
CZ_API const char *cz_relax_last_error(void);

#ifdef __cplusplus
}
#endif
#endif /* CZ_RELAX_H */
