/* relax.c — `cz relax IN -o OUT`: relax a structure file with LAMMPS (libczrelax) and write it.
 *
 * Built into `cz` only when relax/ was (CZ_HAVE_RELAX, i.e. liblammps was found); otherwise the
 * command exists but says how to get it, so scripts fail with a reason rather than "unknown
 * command". */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#ifdef CZ_HAVE_RELAX
#include "cz/cz_relax.h"
#endif

static const char *const CMD = "relax";

const char *const cli_relax_help[] = {
    "Usage: cz relax IN -o OUT [options]\n"
    "\n"
    "Relax a structure with LAMMPS and write it with the same atoms in the same order, labels,\n"
    "cell and pbc. LAMMPS runs in a child process (cz-relax-worker, or mpirun -np N of it), so\n"
    "a LAMMPS error ends that process only and comes back here as one line. Periodic axes of\n"
    "the input stay periodic; the others are open (shrink-wrapped): an isolated particle needs\n"
    "no cell, a slab (pbc T T F) is periodic in-plane. Prints one summary line. Lengths in Å,\n"
    "energies in eV.\n"
    "\n"
    "Input and output:\n"
    "  IN                      extxyz (labels as columns) or Prismatic structure\n"
    "  -o, --output FILE       relaxed structure; format from the extension (.xyz .extxyz,\n"
    "                          .lmp .data .lammps, .prismatic .xyzp); directories are created\n"
    "  --format NAME           output format: extxyz, lammps or prismatic\n"
    "  --report FILE.json      energies, iteration counts, stopping criterion and per-atom\n"
    "                          energies (eV) as JSON\n"
    "\n",
    "Interactions (atom types are the elements in increasing Z):\n"
    "  --pair SPEC             auto (default): EAM <El>_u3.eam for metals (Ag Au Cu Ni Pd Pt),\n"
    "                          Tersoff SiC.tersoff for C and Si (AIREBO CH.airebo with H), and\n"
    "                          for metal + carbon a hybrid with a Lennard-Jones cross term.\n"
    "                          Or STYLE[=FILE][,STYLE[=FILE]] with one metal style (eam,\n"
    "                          eam/alloy, eam/fs) and/or one covalent style (tersoff, airebo,\n"
    "                          rebo), e.g. eam/alloy=CuAu.eam.alloy or eam,airebo\n"
    "  --pair-commands TEXT    LAMMPS pair lines used as given, ';' between commands, e.g.\n"
    "                          \"pair_style lj/cut 8; pair_coeff * * 0.01 2.6\"\n"
    "  --lj EPS,SIGMA[,CUT]    metal-covalent LJ: well depth in eV, sigma and cutoff in Å\n"
    "                          (default: UFF mixing, cutoff 2.5 sigma; see docs/relax.md)\n"
    "  --potentials DIR        where bare potential file names are looked up (default\n"
    "                          $LAMMPS_POTENTIALS, else /usr/share/lammps/potentials)\n"
    "\n"
    "What moves:\n"
    "  --freeze CLASSES        comma-separated classes that do not move: substrate, particle,\n"
    "                          ligand, none (unlabelled); e.g. --freeze substrate\n"
    "  --anneal T,STEPS        first STEPS steps of Nose-Hoover MD at T kelvin (velocities from\n"
    "                          --seed), then the minimisation\n"
    "  --timestep FS           MD and FIRE timestep in fs (default 1)\n"
    "  --seed S                seed of the MD velocities (default 1)\n"
    "  --min cg|fire|none      minimiser (default cg); none with no --anneal = energy only\n"
    "  --etol X                relative energy tolerance (default 1e-10)\n"
    "  --ftol X                force tolerance in eV/Å, 2-norm of all forces (default 1e-4)\n"
    "  --max-iter N            minimiser iterations (default 5000)\n"
    "  --max-eval N            force evaluations (default 50000)\n"
    "  --commands TEXT         extra LAMMPS lines before MD/minimisation (';' separated); the\n"
    "                          groups cz_frozen, cz_mobile, cz_particle, cz_substrate, cz_ligand\n"
    "                          exist\n"
    "\n",
    "Running:\n"
    "  --ranks N               MPI ranks (default 1; N > 1 runs mpirun -np N, or $CZ_MPIRUN)\n"
    "  --timeout S             give up after S seconds (default: none)\n"
    "  --keep DIR              run in the existing directory DIR and keep its files: in.relax\n"
    "                          (a plain LAMMPS input, `lmp -in in.relax` repeats the run),\n"
    "                          atoms.data, log.lammps\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 success, 2 bad command line or value (including input LAMMPS rejects: the\n"
    "message is LAMMPS's ERROR line), 1 the run failed (file, worker, timeout).\n"
    "\n"
    "Example:\n"
    "  cz build --default -o out/default.xyz\n"
    "  cz relax out/default.xyz -o out/relaxed.xyz --report out/relaxed.json\n",
    NULL};

#ifndef CZ_HAVE_RELAX

int cli_relax_main(int argc, char **argv) {
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            cli_print_help(cli_relax_help);
            return CLI_OK;
        }
    }
    return cli_error(CLI_FAIL, CMD,
                     "this cz was built without LAMMPS (install liblammps-dev and rebuild)");
}

#else

enum {
    OPT_OUTPUT,
    OPT_FORMAT,
    OPT_REPORT,
    OPT_PAIR,
    OPT_PAIR_COMMANDS,
    OPT_LJ,
    OPT_POTENTIALS,
    OPT_FREEZE,
    OPT_ANNEAL,
    OPT_TIMESTEP,
    OPT_SEED,
    OPT_MIN,
    OPT_ETOL,
    OPT_FTOL,
    OPT_MAX_ITER,
    OPT_MAX_EVAL,
    OPT_COMMANDS,
    OPT_RANKS,
    OPT_TIMEOUT,
    OPT_KEEP
};

static const cli_opt relax_opts[] = {
    {"--output", "-o", 1, OPT_OUTPUT},
    {"--format", NULL, 1, OPT_FORMAT},
    {"--report", NULL, 1, OPT_REPORT},
    {"--pair", NULL, 1, OPT_PAIR},
    {"--pair-commands", NULL, 1, OPT_PAIR_COMMANDS},
    {"--lj", NULL, 1, OPT_LJ},
    {"--potentials", NULL, 1, OPT_POTENTIALS},
    {"--freeze", NULL, 1, OPT_FREEZE},
    {"--anneal", NULL, 1, OPT_ANNEAL},
    {"--timestep", NULL, 1, OPT_TIMESTEP},
    {"--seed", NULL, 1, OPT_SEED},
    {"--min", NULL, 1, OPT_MIN},
    {"--etol", NULL, 1, OPT_ETOL},
    {"--ftol", NULL, 1, OPT_FTOL},
    {"--max-iter", NULL, 1, OPT_MAX_ITER},
    {"--max-eval", NULL, 1, OPT_MAX_EVAL},
    {"--commands", NULL, 1, OPT_COMMANDS},
    {"--ranks", NULL, 1, OPT_RANKS},
    {"--timeout", NULL, 1, OPT_TIMEOUT},
    {"--keep", NULL, 1, OPT_KEEP},
    {NULL, NULL, 0, 0},
};

/* "substrate,ligand" → (1u << CZ_CLASS_SUBSTRATE) | (1u << CZ_CLASS_LIGAND). */
static int parse_classes(const char *opt, const char *text, unsigned *mask) {
    static const struct {
        const char *name;
        int cls;
    } names[] = {{"none", CZ_CLASS_NONE},
                 {"particle", CZ_CLASS_PARTICLE},
                 {"substrate", CZ_CLASS_SUBSTRATE},
                 {"ligand", CZ_CLASS_LIGAND}};
    *mask = 0;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int found = 0;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; ++k) {
            if (strlen(names[k].name) == len && strncasecmp(names[k].name, p, len) == 0) {
                *mask |= 1u << names[k].cls;
                found = 1;
            }
        }
        if (!found) {
            cli_error(CLI_USAGE, CMD,
                      "%s: unknown class '%.*s' (known: substrate, particle, ligand, none)", opt,
                      (int)len, p);
            return -1;
        }
        if (!comma) return 0;
        p = comma + 1;
    }
}

/* "EPS,SIGMA" or "EPS,SIGMA,CUT". */
static int parse_lj(const char *opt, const char *text, cz_relax_opts *o) {
    double v[3] = {0.0, 0.0, 0.0};
    size_t commas = 0;
    for (const char *p = text; *p; ++p) commas += *p == ',';
    if (commas != 1 && commas != 2) {
        cli_error(CLI_USAGE, CMD, "%s: expected EPS,SIGMA or EPS,SIGMA,CUT (got '%s')", opt, text);
        return -1;
    }
    if (cli_parse_doubles(CMD, opt, text, commas + 1, v) != 0) return -1;
    o->lj_epsilon_ev = v[0];
    o->lj_sigma = v[1];
    o->lj_cutoff = v[2];
    return 0;
}

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static int write_report(const char *path, const char *output, const cz_atoms *atoms,
                        const cz_relax_result *res, const double *energies, double max_disp) {
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "{\n  \"atoms\": %zu,\n  \"output\": ", atoms->n);
    json_string(f, output);
    fprintf(f, ",\n  \"energy_ev\": %.17g,\n  \"initial_energy_ev\": %.17g,\n", res->energy_ev,
            res->initial_energy_ev);
    fprintf(f, "  \"md_steps\": %ld,\n  \"min_iterations\": %ld,\n  \"converged\": %s,\n",
            res->md_steps, res->min_iterations, res->converged ? "true" : "false");
    fprintf(f, "  \"stop_reason\": ");
    json_string(f, res->stop_reason);
    fprintf(f, ",\n  \"max_displacement\": %.17g,\n  \"atom_energies_ev\": [", max_disp);
    for (size_t i = 0; i < atoms->n; ++i)
        fprintf(f, "%s%.17g", i ? (i % 4 ? ", " : ",\n    ") : "\n    ", energies[i]);
    fprintf(f, "\n  ]\n}\n");
    int bad = ferror(f);
    if (fclose(f) != 0) bad = 1;
    return bad ? -1 : 0;
}

int cli_relax_main(int argc, char **argv) {
    cli_scan scan;
    cli_scan_init(&scan, CMD, argc, argv);
    cz_relax_opts o;
    cz_relax_opts_default(&o);
    const char *v = NULL, *opt = NULL, *in = NULL, *output = NULL, *format_name = NULL,
               *report = NULL;
    int id, rc = CLI_OK;
    while (rc == CLI_OK && (id = cli_next(&scan, relax_opts, &v, &opt)) != CLI_NEXT_END) {
        long n = 0;
        double x[2];
        switch (id) {
            case CLI_NEXT_HELP:
                cli_print_help(cli_relax_help);
                return CLI_OK;
            case CLI_NEXT_ERROR:
                return CLI_USAGE;
            case CLI_NEXT_POSITIONAL:
                if (in)
                    return cli_error(CLI_USAGE, CMD, "one input file at a time (got '%s' and '%s')",
                                     in, v);
                in = v;
                break;
            case OPT_OUTPUT:
                output = v;
                break;
            case OPT_FORMAT:
                format_name = v;
                break;
            case OPT_REPORT:
                report = v;
                break;
            case OPT_PAIR:
                o.pair = v;
                break;
            case OPT_PAIR_COMMANDS:
                o.pair_commands = v;
                break;
            case OPT_LJ:
                if (parse_lj(opt, v, &o) != 0) rc = CLI_USAGE;
                break;
            case OPT_POTENTIALS:
                o.potentials_dir = v;
                break;
            case OPT_FREEZE:
                if (parse_classes(opt, v, &o.freeze_classes) != 0) rc = CLI_USAGE;
                break;
            case OPT_ANNEAL:
                if (cli_parse_doubles(CMD, opt, v, 2, x) != 0) {
                    rc = CLI_USAGE;
                } else if (!(x[1] >= 0.0 && x[1] <= 2147483647.0 && x[1] == floor(x[1]))) {
                    rc = cli_error(CLI_USAGE, CMD,
                                   "%s: STEPS must be a whole number >= 0 (got '%s')", opt, v);
                } else {
                    o.anneal_temperature_k = x[0];
                    o.anneal_steps = (long)x[1];
                }
                break;
            case OPT_TIMESTEP:
                if (cli_parse_double(CMD, opt, v, &o.timestep_fs) != 0) rc = CLI_USAGE;
                break;
            case OPT_SEED:
                if (cli_parse_u64(CMD, opt, v, &o.seed) != 0) rc = CLI_USAGE;
                break;
            case OPT_MIN:
                if (strcmp(v, "cg") == 0)
                    o.min = CZ_RELAX_MIN_CG;
                else if (strcmp(v, "fire") == 0)
                    o.min = CZ_RELAX_MIN_FIRE;
                else if (strcmp(v, "none") == 0)
                    o.min = CZ_RELAX_MIN_NONE;
                else
                    rc = cli_error(CLI_USAGE, CMD, "%s: expected cg, fire or none (got '%s')", opt,
                                   v);
                break;
            case OPT_ETOL:
                if (cli_parse_double(CMD, opt, v, &o.etol) != 0) rc = CLI_USAGE;
                break;
            case OPT_FTOL:
                if (cli_parse_double(CMD, opt, v, &o.ftol_ev_per_a) != 0) rc = CLI_USAGE;
                break;
            case OPT_MAX_ITER:
                if (cli_parse_long(CMD, opt, v, 1, 2147483647L, &n) != 0) rc = CLI_USAGE;
                o.max_iterations = n;
                break;
            case OPT_MAX_EVAL:
                if (cli_parse_long(CMD, opt, v, 1, 2147483647L, &n) != 0) rc = CLI_USAGE;
                o.max_evaluations = n;
                break;
            case OPT_COMMANDS:
                o.extra_commands = v;
                break;
            case OPT_RANKS:
                if (cli_parse_long(CMD, opt, v, 1, 4096, &n) != 0) rc = CLI_USAGE;
                o.ranks = (int)n;
                break;
            case OPT_TIMEOUT:
                if (cli_parse_double(CMD, opt, v, &o.timeout_s) != 0) rc = CLI_USAGE;
                break;
            case OPT_KEEP:
                o.work_dir = v;
                break;
            default:
                return cli_error(CLI_FAIL, CMD, "internal error: option %d", id);
        }
    }
    if (rc != CLI_OK) return rc;
    if (!in) return cli_error(CLI_USAGE, CMD, "missing input file (see 'cz relax --help')");
    if (!output) return cli_error(CLI_USAGE, CMD, "missing -o OUT (see 'cz relax --help')");

    cz_write_opts wo;
    cz_write_opts_default(&wo);
    cz_status st = CZ_OK;
    if (format_name && (st = cz_format_from_name(format_name, &wo.format)) != CZ_OK)
        return cli_cz_error(st, CMD, "--format %s", format_name);
    if (!format_name && (st = cz_format_from_path(output, &wo.format)) != CZ_OK)
        return cli_cz_error(st, CMD, "-o %s", output);
    cz_format in_format = CZ_FORMAT_AUTO;
    if ((st = cz_format_from_path(in, &in_format)) != CZ_OK) return cli_cz_error(st, CMD, "%s", in);

    cz_atoms *atoms = NULL, *relaxed = NULL;
    double *energies = NULL;
    if ((st = cz_atoms_read(in, in_format, &atoms)) != CZ_OK) {
        cli_cz_error(st, CMD, "%s", in);
        return CLI_FAIL; /* a missing or malformed input is a failed run */
    }
    energies = malloc((atoms->n ? atoms->n : 1) * sizeof *energies);
    if (!energies) {
        cz_atoms_destroy(atoms);
        return cli_error(CLI_FAIL, CMD, "out of memory");
    }
    cz_relax_result res;
    st = cz_relax(atoms, &o, &relaxed, energies, &res);
    if (st != CZ_OK) {
        rc = cli_error(st == CZ_EINVAL ? CLI_USAGE : CLI_FAIL, CMD, "%s", cz_relax_last_error());
        goto done;
    }
    if ((rc = cli_make_parent_dirs(CMD, "-o", output)) != CLI_OK) goto done;
    if ((st = cz_atoms_write(output, relaxed, &wo)) != CZ_OK) {
        cli_cz_error(st, CMD, "-o %s", output);
        rc = CLI_FAIL;
        goto done;
    }
    double max_disp = 0.0;
    for (size_t i = 0; i < atoms->n; ++i) {
        double d2 = 0.0;
        for (int t = 0; t < 3; ++t) {
            double d = relaxed->xyz[i][t] - atoms->xyz[i][t];
            d2 += d * d;
        }
        max_disp = fmax(max_disp, sqrt(d2));
    }
    if (report) {
        if ((rc = cli_make_parent_dirs(CMD, "--report", report)) != CLI_OK) goto done;
        if (write_report(report, output, atoms, &res, energies, max_disp) != 0) {
            rc = cli_error(CLI_FAIL, CMD, "--report %s: cannot write", report);
            goto done;
        }
    }
    printf(
        "relaxed %zu atoms: energy %.6f eV (from %.6f), %ld MD steps, %ld iterations%s%s%s, "
        "max displacement %.4f Å -> %s\n",
        atoms->n, res.energy_ev, res.initial_energy_ev, res.md_steps, res.min_iterations,
        res.stop_reason[0] ? " (" : "", res.stop_reason, res.stop_reason[0] ? ")" : "", max_disp,
        output);
done:
    free(energies);
    cz_atoms_destroy(atoms);
    cz_atoms_destroy(relaxed);
    return rc;
}

#endif /* CZ_HAVE_RELAX */
