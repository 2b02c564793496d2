/* error.h — thread-local last-error message of libczsim (private). */
#ifndef CZ_SIM_ERROR_H
#define CZ_SIM_ERROR_H

#include "cz/cz_sim.h"

/* Record a formatted message naming `func` and return `status`. One function, one breakpoint. */
cz_status czi_sim_fail(cz_status status, const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The only way libczsim raises an error: return CZ_SIM_FAIL(CZ_EINVAL, "x must be > 0 (got %g)", x). */
#define CZ_SIM_FAIL(status, ...) czi_sim_fail((status), __func__, __VA_ARGS__)

#endif
