/* volume.h — private: exact line–volume intersection used by the crystal fill. */
#ifndef CZI_VOLUME_H
#define CZI_VOLUME_H

#include "cz/cz_volume.h"

/* Sorted, disjoint closed intervals of a line parameter t. */
#define CZI_IVL_CAP 64
typedef struct {
    int n;
    int overflow; /* the exact pieces were too many (or an operand was only bounded): then
                     n == 1 and [t[0], t[1]] contains the whole set, so callers must test each
                     point of that interval */
    double t[2 * CZI_IVL_CAP];
} czi_intervals;

/* The parameters t for which origin + t·dir lies inside v (inside meaning as in
 * cz_volume_contains, up to rounding at the ends). */
void czi_volume_line(const cz_volume *v, const double origin[3], const double dir[3],
                     czi_intervals *out);

#endif
