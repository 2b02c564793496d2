/**
 * cz_elements.h — chemical elements: symbols and standard atomic masses for Z = 1..118.
 * Masses are IUPAC standard atomic weights (conventional values) in g/mol; for elements
 * without stable isotopes, the atomic mass of the longest-lived isotope (the values of
 * ase.data.atomic_masses).
 */
#ifndef CZ_ELEMENTS_H
#define CZ_ELEMENTS_H

#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CZ_MAX_Z 118

/** Symbol of element z ("Au"), or NULL when z is outside 1..118. Static storage. */
CZ_API const char *cz_element_symbol(int z);

/** Standard atomic mass of element z in g/mol (u), or 0.0 when z is outside 1..118. */
CZ_API double cz_element_mass(int z);

/**
 * Atomic number from a symbol. Case-sensitive as written in chemistry ("Au", "C"), but
 * an all-lower-case or all-upper-case symbol ("au", "AU") is accepted too.
 * @return CZ_OK, CZ_EINVAL (NULL or unknown symbol; *z set to 0).
 */
CZ_API cz_status cz_element_from_symbol(const char *symbol, int *z);

#ifdef __cplusplus
}
#endif
#endif /* CZ_ELEMENTS_H */
