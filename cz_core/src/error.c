/* error.c — thread-local last-error message and status strings. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message per thread: cz functions are reentrant, so failures on different threads must
 * not overwrite each other's explanation. */
static _Thread_local char last_error[1024];

cz_status czi_fail(cz_status status, const char *func, const char *file, int line, const char *fmt,
                   ...) {
    (void)file;
    (void)line;
    int k = snprintf(last_error, sizeof last_error, "%s: ", func ? func : "cz");
    if (k < 0 || (size_t)k >= sizeof last_error) k = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error + k, sizeof last_error - (size_t)k, fmt, ap);
    va_end(ap);
    return status;
}

const char *cz_last_error(void) { return last_error; }

void cz_clear_error(void) { last_error[0] = '\0'; }

const char *cz_strerror(cz_status status) {
    switch (status) {
        case CZ_OK: return "success";
        case CZ_EINVAL: return "invalid argument";
        case CZ_ENOMEM: return "out of memory";
        case CZ_ERANGE: return "result out of range";
        case CZ_ENOTSUP: return "not supported";
        case CZ_EFFTW: return "FFTW planning failed";
        case CZ_EINTERNAL: return "internal error";
        case CZ_EIO: return "input/output error";
    }
    return "unknown status";
}

const char *cz_version(void) { return CZ_VERSION_STRING; }
