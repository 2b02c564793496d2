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
 *
 * A build can report the values it drew (cz_spec_draws, given through the build options),
 * one entry per drawn number or name, named by its field path, so that a dataset can record
 * for every sample which radius, thickness or element it got.
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

/**
 * One value a build drew. The strings belong to the cz_spec_draws that holds the entry: they
 * stay valid, independent of the spec, until that object is destroyed or used for another
 * build.
 */
typedef struct cz_spec_draw {
    /** Field path as in error messages, with the subscript of a list element:
     *  "objects[0].shape.sphere.radius", "objects[0].position[1]",
     *  "objects[0].orientation.zone_axis[2]". Unique within one build. */
    const char *path;
    int is_text;      /**< 1: a name was chosen (text); 0: a number was drawn (value) */
    double value;     /**< the number (an integer field's integer, exactly); NAN when is_text */
    const char *text; /**< the name chosen when is_text, else NULL */
    size_t index;     /**< the path's trailing list subscript ("zone_axis[2]" → 2), else 0 */
} cz_spec_draw;

/** The values one build drew: an opaque, growable list that owns its strings. */
typedef struct cz_spec_draws cz_spec_draws;

/** An empty list, to pass in cz_spec_build_opts.draws (it can serve any number of builds).
 *  @return CZ_OK, CZ_EINVAL (out NULL), CZ_ENOMEM. Caller destroys *out. */
CZ_API cz_status cz_spec_draws_create(cz_spec_draws **out);

/** Free the list and its strings. NULL is a no-op. */
CZ_API void cz_spec_draws_destroy(cz_spec_draws *draws);

/** Number of entries (0 for NULL, a fresh list, or after a failed build). */
CZ_API size_t cz_spec_draws_count(const cz_spec_draws *draws);

/** Entry i (0 <= i < count), or NULL when i is out of range or draws is NULL. The pointer
 *  stays valid until the list is destroyed or passed to another build. */
CZ_API const cz_spec_draw *cz_spec_draws_get(const cz_spec_draws *draws, size_t i);

typedef struct cz_spec_build_opts {
    uint64_t seed;    /**< used when use_seed != 0, else the spec's `seed:` (else 0) */
    int use_seed;     /**< default 0 */
    size_t max_atoms; /**< cap (default CZ_MAX_ATOMS; a spec's max_atoms may lower it) */
    int nthreads;     /**< 0 = OpenMP default */
    /** NULL (default), or a list from cz_spec_draws_create that the build empties and then
     *  fills with every value it drew (see cz_spec_build); borrowed for the call only. */
    cz_spec_draws *draws;
} cz_spec_build_opts;

CZ_API void cz_spec_build_opts_default(cz_spec_build_opts *opts);

/**
 * Sample every distribution, validate the whole document and build the scene's atoms.
 *
 * With opts->draws set, the list receives one entry per value drawn, in the order the builder
 * draws them (top-level fields; then each object: lattice, shape or particle, orientation,
 * position, priority, class, rest_on, defects; then every object's strain and composition,
 * then every object's ligands). Reported: each field whose value came from a distribution
 * (a list-valued choice gives one entry per element, "zone_axis[0]" … "zone_axis[2]"; a
 * distribution inside a list gives its element), each `orientation: random` as the Euler
 * angles that reproduce it (path "….orientation.euler[0..2]", degrees, the convention of
 * `orientation: {euler: […]}` and cz_transform_euler), and each drawn set of defect planes
 * (`twins:`/`faults:`) as "….defects.planes[i].kind" (text twin | fault), ".hkl[0..2]" and
 * ".position" (Å), the form of `defects: {planes: […]}`. Fixed values are not reported, nor
 * are per-atom random choices (amorphous positions, substitutions, vacancies, roughness,
 * ligand sites and spins), which follow from the seed and the field's path. The drawing
 * itself is the same with or without the list: the atoms are identical.
 *
 * @param[out] seed_used the seed actually used (may be NULL).
 * @return CZ_OK, CZ_EINVAL (unknown key, wrong type, impossible value: "src:line: field:
 *         reason"), CZ_ERANGE (atom cap), CZ_ENOMEM. Caller destroys *out. On failure
 *         opts->draws is left empty.
 * Thread safety: reentrant; a cz_spec_draws serves one build at a time.
 */
CZ_API cz_status cz_spec_build(const cz_spec *spec, const cz_spec_build_opts *opts,
                               cz_atoms **out, uint64_t *seed_used);

#ifdef __cplusplus
}
#endif
#endif /* CZ_SPEC_H */
