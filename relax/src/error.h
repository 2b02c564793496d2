/* error.h — private: how libczrelax records failures (one entry point, as in cz_core). */
#ifndef CZI_RELAX_ERROR_H
#define CZI_RELAX_ERROR_H

#include "cz/cz_base.h"

/* Record "func: message" as the thread's last relax error and return status. */
cz_status czi_relax_fail(cz_status status, const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Every failure is reported under the public entry point's name: the user called cz_relax,
 * not one of its helpers. */
#define RELAX_FAIL(status, ...) czi_relax_fail((status), "cz_relax", __VA_ARGS__)

#endif
