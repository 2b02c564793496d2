/**
 * cz_spec.h — scene specifications: YAML documents that describe a scene, with random
 * distributions allowed for any numeric or categorical field.
 *
 * A spec is parsed once (cz_spec_parse_*), then built any number of times with different
 * seeds (cz_spec_build). Every random value is drawn from the counter-based generator keyed by
 * (seed, hash of the field's path, draw index), so the same spec and seed give the same bytes,
 * and changing one field's distribution does not reshuffle the others.
 *
 * Errors name the source, line and field: "scene.yaml:12: objects[0].shape.sphere.radius:
 * must be > 0 (got -3)". Unknown keys, wrong types and impossible ranges are errors; nothing
 * is built or written on error. The schema is documented in docs/spec.md.
 */
#ifndef CZ_SPEC_H
#define CZ_SPEC_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cz_spec cz_spec;

/** Parse a YAML file. @return CZ_OK, CZ_EINVAL (NULL), CZ_EIO (cannot read; YAML syntax
 *  error, message "path:line: reason"), CZ_ENOMEM. Caller destroys *out. */
CZ_API cz_status cz_spec_parse_file(const char *path, cz_spec **out);

/** Parse YAML (or JSON, a subset) from memory; `name` labels error messages ("<dict>").
 *  @return as cz_spec_parse_file. */
CZ_API cz_status cz_spec_parse_string(const char *text, const char *name, cz_spec **out);

/** Free. NULL is a no-op. */
CZ_API void cz_spec_destroy(cz_spec *spec);

typedef struct cz_spec_build_opts {
    uint64_t seed;    /**< used when use_seed != 0, else the spec's `seed:` (else 0) */
    int use_seed;     /**< default 0 */
    size_t max_atoms; /**< cap (default CZ_MAX_ATOMS; a spec's max_atoms may lower it) */
    int nthreads;     /**< 0 = OpenMP default */
} cz_spec_build_opts;

CZ_API void cz_spec_build_opts_default(cz_spec_build_opts *opts);

/**
 * Sample every distribution, validate the whole document and build the scene's atoms.
 * @param[out] seed_used the seed actually used (may be NULL).
 * @return CZ_OK, CZ_EINVAL (unknown key, wrong type, impossible value: "src:line: field:
 *         reason"), CZ_ERANGE (atom cap), CZ_ENOMEM. Caller destroys *out.
 */
CZ_API cz_status cz_spec_build(const cz_spec *spec, const cz_spec_build_opts *opts,
                               cz_atoms **out, uint64_t *seed_used);

#ifdef __cplusplus
}
#endif
#endif /* CZ_SPEC_H */
