/**
 * cz_base.h — status codes, visibility macro and version of the cz libraries.
 *
 * Conventions shared by every cz header:
 *  - Units: Å for lengths, eV for energies, degrees for angles. Any other unit is
 *    spelled in the name (voltage_kv, semiangle_mrad, dose_e_per_a2).
 *  - Cells are double cell[3][3] whose ROWS are the lattice vectors a, b, c (ASE's
 *    convention). Fractional coordinates f map to Cartesian r = f · cell.
 *  - Arrays are flat, C-contiguous, row-major: positions are double xyz[n][3].
 *  - Fallible functions return cz_status; results go through out-parameters that are
 *    set to NULL (or zero) on failure. cz_last_error() then names the function and
 *    the offending value. Nothing in cz prints, exits or aborts on bad input.
 *  - Objects come in _create/_destroy pairs; _destroy(NULL) is a no-op. Pointer
 *    parameters are borrowed for the duration of the call only.
 *
 * This header is self-contained and header-only in spirit: sim/ may include it without
 * linking libczcore.
 */
#ifndef CZ_BASE_H
#define CZ_BASE_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define CZ_API __declspec(dllexport)
#elif defined(__GNUC__)
#define CZ_API __attribute__((visibility("default")))
#else
#define CZ_API
#endif

#define CZ_VERSION_MAJOR 0
#define CZ_VERSION_MINOR 1
#define CZ_VERSION_PATCH 0
#define CZ_VERSION_STRING "0.1.0"

/**
 * Array parameters such as `const double cell[3][3]` or `const double xyz[][3]` have type
 * `const double (*)[3]`. ISO C before C23 does not convert `double (*)[3]` to it implicitly
 * (GCC warns under -Wpedantic), so C11 callers holding non-const arrays pass them through
 * CZ_CROWS(p). C++ and C23 callers need no cast.
 */
#define CZ_CROWS(p) ((const double(*)[3])(p))

/** Status codes returned by every fallible cz function. */
typedef enum cz_status {
    CZ_OK = 0,        /**< success */
    CZ_EINVAL = 1,    /**< invalid argument (bad value, NaN, unknown name, singular cell) */
    CZ_ENOMEM = 2,    /**< allocation failed */
    CZ_ERANGE = 3,    /**< result too large (atom cap) or output buffer too small */
    CZ_ENOTSUP = 4,   /**< valid request that this build or format does not support */
    CZ_EFFTW = 5,     /**< FFTW planning failed (sim only) */
    CZ_EINTERNAL = 6, /**< broken internal invariant: a bug, please report */
    CZ_EIO = 7        /**< file could not be opened, read, written or parsed */
} cz_status;

#ifdef __cplusplus
}
#endif
#endif /* CZ_BASE_H */
