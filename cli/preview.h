/* preview.h — private: PNG previews of a structure (projections along x, y and z). */
#ifndef CZ_CLI_PREVIEW_H
#define CZ_CLI_PREVIEW_H

#include <stddef.h>

#include "cz/cz_atoms.h"

typedef struct cli_preview_opts {
    double px_per_a; /* pixels per Å before the width cap (default 8) */
    int max_width;   /* cap on the PNG width in pixels; the scale shrinks to fit (default 1800) */
    int labels;      /* draw the small axis key in each panel (default 1) */
} cli_preview_opts;

void cli_preview_opts_default(cli_preview_opts *opts);

/* Write an 8-bit grey PNG: the projections along x, y and z side by side (left to right),
 * separated by 1-px grey lines. Each atom is a soft disc whose brightness grows with Z, so the
 * picture reads like a projected potential (heavy columns bright on black). The file is written
 * under a temporary name in the same directory and renamed into place, so a failure never leaves
 * a truncated PNG. Returns 0, or -1 with a one-line reason in err[errlen]. */
int cli_preview_write(const char *path, const cz_atoms *atoms, const cli_preview_opts *opts,
                      char *err, size_t errlen);

/* Write an 8-bit grey PNG of width × height pixels, grey[y·width + x], row 0 at the top, with
 * the same temporary-name-and-rename safety. Returns 0, or -1 with a reason in err[errlen]. */
int cli_png_write_grey(const char *path, int width, int height, const unsigned char *grey,
                       char *err, size_t errlen);

#endif /* CZ_CLI_PREVIEW_H */
