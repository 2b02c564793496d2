/**
 * cz_error.h — error reporting of libczcore.
 *
 * Every fallible function returns a cz_status. On failure a thread-local message
 * naming the function and the bad value is recorded ("cz_volume_sphere: radius must be
 * > 0 (got -2.5)") and can be read with cz_last_error() on the same thread until the
 * next failure on that thread. Successful calls do not clear it.
 */
#ifndef CZ_ERROR_H
#define CZ_ERROR_H

#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Message of the most recent failure on the calling thread ("" if none). Thread-local;
 *  valid until the next cz failure on this thread. Never NULL. */
CZ_API const char *cz_last_error(void);

/** Short static description of a status code ("invalid argument", ...). Never NULL. */
CZ_API const char *cz_strerror(cz_status status);

/** Clear the calling thread's last error message. */
CZ_API void cz_clear_error(void);

/** Version string of the library, e.g. "0.1.0". */
CZ_API const char *cz_version(void);

#ifdef __cplusplus
}
#endif
#endif /* CZ_ERROR_H */
