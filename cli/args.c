/* args.c — argument scanning, value parsing and one-line error reporting for the cz program. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

void cli_print_help(const char *const help[]) {
    for (size_t i = 0; help[i]; ++i) fputs(help[i], stdout);
}

/* ---- error reporting ---------------------------------------------------------------------- */

/* Scripts and tests rely on failures being exactly one line, so any newline that slips into a
 * message (from a file name, or a library message quoting file content) becomes a space. */
static void put_flat(const char *text) {
    for (const char *p = text; *p; ++p) fputc(*p == '\n' || *p == '\r' ? ' ' : *p, stderr);
}

static void vreport(const char *cmd, const char *fmt, va_list ap, const char *tail) {
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fputs(cmd && *cmd ? "cz " : "cz", stderr);
    if (cmd && *cmd) fputs(cmd, stderr);
    fputs(": ", stderr);
    put_flat(msg);
    if (tail && *tail) {
        fputs(": ", stderr);
        put_flat(tail);
    }
    fputc('\n', stderr);
    fflush(stderr);
}

int cli_error(int code, const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap, NULL);
    va_end(ap);
    return code;
}

int cli_cz_error(cz_status status, const char *cmd, const char *fmt, ...) {
    const char *why = cz_last_error();
    if (!why || !*why) why = cz_strerror(status);
    va_list ap;
    va_start(ap, fmt);
    vreport(cmd, fmt, ap, why);
    va_end(ap);
    return status == CZ_EINVAL ? CLI_USAGE : CLI_FAIL;
}

/* ---- command-line scanning ---------------------------------------------------------------- */

void cli_scan_init(cli_scan *scan, const char *cmd, int argc, char **argv) {
    scan->cmd = cmd;
    scan->argc = argc;
    scan->argv = argv;
    scan->i = 1;
    scan->only_positional = 0;
}

int cli_next(cli_scan *scan, const cli_opt opts[], const char **value, const char **opt_name) {
    *value = NULL;
    *opt_name = NULL;
    if (scan->i >= scan->argc) return CLI_NEXT_END;
    const char *arg = scan->argv[scan->i++];
    /* A lone "-" is a positional argument by tradition (stdin/stdout), and so is anything that
     * does not start with a dash. Negative numbers only ever appear as option values, which are
     * taken verbatim below, so they never reach this test. */
    if (scan->only_positional || arg[0] != '-' || arg[1] == '\0') {
        *value = arg;
        return CLI_NEXT_POSITIONAL;
    }
    if (strcmp(arg, "--") == 0) {
        scan->only_positional = 1;
        return cli_next(scan, opts, value, opt_name);
    }
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return CLI_NEXT_HELP;

    /* "--name=value" is accepted for long options. */
    const char *eq = strncmp(arg, "--", 2) == 0 ? strchr(arg, '=') : NULL;
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (const cli_opt *o = opts; o->name; ++o) {
        int hit = (strlen(o->name) == len && strncmp(o->name, arg, len) == 0) ||
                  (!eq && o->alias && strcmp(o->alias, arg) == 0);
        if (!hit) continue;
        *opt_name = o->name;
        if (!o->takes_value) {
            if (eq) {
                cli_error(CLI_USAGE, scan->cmd, "%s takes no value (got '%s')", o->name, eq + 1);
                return CLI_NEXT_ERROR;
            }
            return o->id;
        }
        if (eq) {
            *value = eq + 1;
        } else if (scan->i < scan->argc) {
            *value = scan->argv[scan->i++];
        } else {
            cli_error(CLI_USAGE, scan->cmd, "%s needs a value (see 'cz %s --help')", arg,
                      scan->cmd);
            return CLI_NEXT_ERROR;
        }
        return o->id;
    }
    cli_error(CLI_USAGE, scan->cmd, "unknown option '%.*s' (see 'cz %s --help')", (int)len, arg,
              scan->cmd);
    return CLI_NEXT_ERROR;
}

/* ---- value parsing ------------------------------------------------------------------------ */

/* Parse one real from [text, end); the whole span must be used. NaN and infinities are refused
 * here because no option of cz has a meaning for them, and catching them at the door gives a
 * clearer message than a downstream range check would. */
static int parse_real_span(const char *text, size_t len, double *out) {
    char buf[128];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end == buf || *end != '\0' || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *opt, const char *text, double *out) {
    if (parse_real_span(text, strlen(text), out) != 0) {
        cli_error(CLI_USAGE, cmd, "%s: expected a finite number (got '%s')", opt, text);
        return -1;
    }
    return 0;
}

int cli_parse_doubles(const char *cmd, const char *opt, const char *text, size_t n, double out[]) {
    const char *p = text;
    for (size_t k = 0; k < n; ++k) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int last = k + 1 == n;
        if ((last && comma) || (!last && !comma) || parse_real_span(p, len, &out[k]) != 0) {
            cli_error(CLI_USAGE, cmd,
                      "%s: expected %zu finite numbers separated by commas (got '%s')", opt, n,
                      text);
            return -1;
        }
        p = comma ? comma + 1 : p + len;
    }
    return 0;
}

static int parse_long_span(const char *text, size_t len, long *out) {
    char buf[64];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    char *end = NULL;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (end == buf || *end != '\0' || errno == ERANGE) return -1;
    *out = v;
    return 0;
}

int cli_parse_ints(const char *cmd, const char *opt, const char *text, size_t n, int out[]) {
    const char *p = text;
    for (size_t k = 0; k < n; ++k) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int last = k + 1 == n;
        long v = 0;
        if ((last && comma) || (!last && !comma) || parse_long_span(p, len, &v) != 0 ||
            v < INT_MIN || v > INT_MAX) {
            cli_error(CLI_USAGE, cmd, "%s: expected %zu integers separated by commas (got '%s')",
                      opt, n, text);
            return -1;
        }
        out[k] = (int)v;
        p = comma ? comma + 1 : p + len;
    }
    return 0;
}

int cli_parse_long(const char *cmd, const char *opt, const char *text, long lo, long hi,
                   long *out) {
    long v = 0;
    if (parse_long_span(text, strlen(text), &v) != 0 || v < lo || v > hi) {
        cli_error(CLI_USAGE, cmd, "%s: expected an integer in %ld..%ld (got '%s')", opt, lo, hi,
                  text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t *out) {
    /* strtoull silently negates "-1" into a huge value; a seed written with a sign is a typo. */
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || end == text || *end != '\0' || errno == ERANGE) {
        cli_error(CLI_USAGE, cmd, "%s: expected a non-negative integer (got '%s')", opt, text);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_element(const char *cmd, const char *opt, const char *text, int *z) {
    cz_status st = cz_element_from_symbol(text, z);
    if (st != CZ_OK) {
        cli_cz_error(st, cmd, "%s %s", opt, text);
        return -1;
    }
    return 0;
}

const char *cli_format_name(cz_format format) {
    switch (format) {
        case CZ_FORMAT_EXTXYZ:
            return "extxyz";
        case CZ_FORMAT_LAMMPS:
            return "lammps";
        case CZ_FORMAT_PRISMATIC:
            return "prismatic";
        case CZ_FORMAT_AUTO:
            break;
    }
    return "auto";
}

int cli_make_parent_dirs(const char *cmd, const char *opt, const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return CLI_OK;
    size_t len = (size_t)(slash - path);
    char *dir = malloc(len + 1);
    if (!dir) return cli_error(CLI_FAIL, cmd, "out of memory");
    memcpy(dir, path, len);
    dir[len] = '\0';
    int rc = CLI_OK;
    /* Walk the components left to right; each may exist already. */
    for (size_t k = 1; k <= len && rc == CLI_OK; ++k) {
        if (k < len && dir[k] != '/') continue;
        char saved = dir[k];
        dir[k] = '\0';
        struct stat sb;
        if (stat(dir, &sb) == 0) {
            if (!S_ISDIR(sb.st_mode))
                rc = cli_error(CLI_FAIL, cmd, "%s %s: '%s' is not a directory", opt, path, dir);
        } else if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            rc = cli_error(CLI_FAIL, cmd, "%s %s: cannot create directory '%s': %s", opt, path, dir,
                           strerror(errno));
        }
        dir[k] = saved;
    }
    free(dir);
    return rc;
}
