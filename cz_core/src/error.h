/* error.h — private: how cz_core records failures (GSL_ERROR-style single entry point). */
#ifndef CZI_ERROR_H
#define CZI_ERROR_H

#include "cz/cz_error.h"

/* Record "func: message" as the thread's last error and return status. Every failure goes
 * through here, so one breakpoint on czi_fail catches them all. */
cz_status czi_fail(cz_status status, const char *func, const char *file, int line, const char *fmt,
                   ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#define CZ_FAIL(status, ...) czi_fail((status), __func__, __FILE__, __LINE__, __VA_ARGS__)

/* Same as CZ_FAIL but reports under an explicit public function name (for helpers). */
#define CZ_FAIL_AS(func, status, ...) czi_fail((status), (func), __FILE__, __LINE__, __VA_ARGS__)

#endif
