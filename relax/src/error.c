/* error.c — thread-local last-error message of libczrelax.
 *
 * libczrelax keeps its own message rather than writing cz_core's: cz_core's setter is private
 * to that library (and hidden when it is built shared), and a separate channel keeps a relax
 * failure from overwriting an unrelated cz_core message the caller may still want. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

#include "cz/cz_relax.h"

static _Thread_local char last_error[2048];

cz_status czi_relax_fail(cz_status status, const char *func, const char *fmt, ...) {
    int k = snprintf(last_error, sizeof last_error, "%s: ", func ? func : "cz_relax");
    if (k < 0 || (size_t)k >= sizeof last_error) k = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error + k, sizeof last_error - (size_t)k, fmt, ap);
    va_end(ap);
    return status;
}

const char *cz_relax_last_error(void) { return last_error; }
