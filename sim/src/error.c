/* error.c — thread-local last-error message and status strings for libczsim.
 *
 * libczsim must not link libczcore, so it keeps its own message buffer. One buffer per thread:
 * plans are used concurrently from different threads and each failure must keep its own text. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[1024];

cz_status czi_sim_fail(cz_status status, const char *func, const char *fmt, ...) {
    int k = snprintf(last_error, sizeof last_error, "%s: ", func ? func : "cz_sim");
    if (k < 0 || (size_t)k >= sizeof last_error) k = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error + k, sizeof last_error - (size_t)k, fmt, ap);
    va_end(ap);
    return status;
}

const char *cz_sim_last_error(void) { return last_error; }

const char *cz_sim_strerror(cz_status status) {
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
