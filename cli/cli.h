/* cli.h — private: shared pieces of the `cz` program (command table, argument parsing,
 * one-line error reporting).
 *
 * Conventions of every subcommand:
 *  - exit status CLI_OK on success, CLI_USAGE (2) for a bad command line or a bad value, CLI_FAIL
 *    (1) when the work itself fails (file cannot be read or written, result too large, ...);
 *  - exactly one line on stderr on failure, "cz <command>: <reason>", with cz_last_error()
 *    appended when a library call failed; nothing on stderr on success;
 *  - results and summaries go to stdout.
 */
#ifndef CZ_CLI_H
#define CZ_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* One subcommand. `run` receives argv with argv[0] = the command name. */
typedef struct cli_command {
    const char *name;
    const char *summary; /* one line for `cz --help` */
    /* Full text for `cz <name> --help` and `cz help <name>`: sections, NULL-terminated (ISO C only
     * promises string literals of 4095 characters, so long help comes in pieces). */
    const char *const *help;
    int (*run)(int argc, char **argv);
} cli_command;

int cli_build_main(int argc, char **argv);
int cli_info_main(int argc, char **argv);
int cli_image_main(int argc, char **argv);
int cli_relax_main(int argc, char **argv);
int cli_dataset_main(int argc, char **argv);
extern const char *const cli_build_help[];
extern const char *const cli_info_help[];
extern const char *const cli_image_help[];
extern const char *const cli_relax_help[];
extern const char *const cli_dataset_help[];

/* Print a help text (see cli_command.help) to stdout. */
void cli_print_help(const char *const help[]);

/* ---- error reporting ---------------------------------------------------------------------- */

/* Print "cz <cmd>: <message>" as one line on stderr (newlines in the message are flattened) and
 * return `code`, so callers can write `return cli_error(CLI_USAGE, cmd, "...")`. */
int cli_error(int code, const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Report a failed library call: "cz <cmd>: <context>: <cz_last_error()>" (or the status text
 * when the library left no message). Returns CLI_USAGE for CZ_EINVAL — the library rejected a
 * value the user gave — and CLI_FAIL for everything else. */
int cli_cz_error(cz_status status, const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- command-line scanning ---------------------------------------------------------------- */

typedef struct cli_opt {
    const char *name;  /* "--sphere" */
    const char *alias; /* "-a", or NULL */
    int takes_value;   /* 1: needs a value ("--x V" or "--x=V"); 0: a flag */
    int id;            /* returned by cli_next */
} cli_opt;

typedef struct cli_scan {
    const char *cmd; /* for error messages */
    int argc;
    char **argv;
    int i;               /* next argv index to look at */
    int only_positional; /* set after "--" */
} cli_scan;

enum {
    CLI_NEXT_END = -1,        /* no arguments left */
    CLI_NEXT_POSITIONAL = -2, /* *value is a positional argument */
    CLI_NEXT_ERROR = -3,      /* unknown option or missing value; the error line is printed */
    CLI_NEXT_HELP = -4        /* -h or --help */
};

/* Start scanning argv[1..argc-1]. */
void cli_scan_init(cli_scan *scan, const char *cmd, int argc, char **argv);

/* Next option: its id (with *value set when it takes one), or one of CLI_NEXT_*. The option
 * table ends with an entry whose name is NULL. *opt_name receives the spelling used. */
int cli_next(cli_scan *scan, const cli_opt opts[], const char **value, const char **opt_name);

/* ---- value parsing: each prints the one error line and returns -1 on failure ------------------
 */

/* A finite real number. */
int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out);
/* Exactly n finite reals separated by commas ("1.5,2,3"). */
int cli_parse_doubles(const char *cmd, const char *opt, const char *text, size_t n, double out[]);
/* Exactly n integers separated by commas ("1,-1,0"). */
int cli_parse_ints(const char *cmd, const char *opt, const char *text, size_t n, int out[]);
/* An integer in [lo, hi]. */
int cli_parse_long(const char *cmd, const char *opt, const char *text, long lo, long hi, long *out);
/* A non-negative integer that fits in uint64_t (seeds). */
int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t *out);
/* An element symbol ("Au", "au"). */
int cli_parse_element(const char *cmd, const char *opt, const char *text, int *z);

/* Create the missing directories leading to `path` (like mkdir -p on its dirname), so that
 * "-o out/a.xyz" works in a fresh checkout. Prints the error line and returns CLI_FAIL when a
 * directory cannot be made; CLI_OK otherwise. */
int cli_make_parent_dirs(const char *cmd, const char *opt, const char *path);

/* Name of a file format as the --format option spells it ("extxyz", "lammps", "prismatic"). */
const char *cli_format_name(cz_format format);

#endif /* CZ_CLI_H */
