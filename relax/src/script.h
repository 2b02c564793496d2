/* script.h — private: the LAMMPS side of a relaxation, as files. Maps cz atoms into LAMMPS's
 * frame and box, chooses the pair style, and writes the data file and the input script that
 * the worker (or a plain `lmp -in`) runs. */
#ifndef CZI_RELAX_SCRIPT_H
#define CZI_RELAX_SCRIPT_H

#include <stddef.h>

#include "cz/cz_atoms.h"
#include "cz/cz_elements.h"
#include "cz/cz_relax.h"

/* Names of the files inside the run directory. */
#define CZI_RELAX_DATA "atoms.data"
#define CZI_RELAX_INPUT "in.relax"
#define CZI_RELAX_LOG "log.lammps"
#define CZI_RELAX_OUTPUT "output.txt"
#define CZI_RELAX_RESULT "result.txt"

/* The variable the script sets to the energy of the input positions (read by the worker). */
#define CZI_RELAX_E0_VARIABLE "cz_e0"
/* The per-atom energy compute (gathered by the worker). */
#define CZI_RELAX_PE_COMPUTE "cz_pe"

/* The caller's atoms in LAMMPS's frame. LAMMPS wants a box with a along x and b in the xy
 * plane; the rotation rot (rows: LAMMPS's x, y, z axes in the caller's frame) takes the cell
 * there, and rot^T takes displacements back. */
typedef struct czi_relax_frame {
    double rot[3][3];
    int identity; /* rot is exactly the identity (positions copied bit for bit) */
    double lo[3], hi[3];
    double xy, xz, yz; /* tilt factors; all 0 for an orthogonal box */
    char boundary[3];  /* 'p' or 's' per LAMMPS axis */
    double (*xyz)[3];  /* [n] positions in the LAMMPS frame, as written to the data file */
    int type_of_z[CZ_MAX_Z + 1]; /* 0 = element absent; types in increasing Z */
    int z_of_type[CZ_MAX_Z + 1];
    int ntypes;
} czi_relax_frame;

/* Fill `frame` (frame->xyz allocated; release with czi_relax_frame_free). Fails with
 * CZ_EINVAL for pbc on a zero cell row or dependent periodic rows, CZ_ENOMEM. */
cz_status czi_relax_frame_make(const cz_atoms *atoms, czi_relax_frame *frame);
void czi_relax_frame_free(czi_relax_frame *frame);

/* Write dir/atoms.data and dir/in.relax for this relaxation. `frozen` is the per-atom freeze
 * mask already combined from the options; `nfrozen` its count. Fails with CZ_EINVAL (pair spec,
 * unquotable path, option values LAMMPS would reject), CZ_ENOTSUP (no default potential),
 * CZ_EIO, CZ_ENOMEM. */
cz_status czi_relax_write_inputs(const char *dir, const cz_atoms *atoms, const cz_relax_opts *opts,
                                 const czi_relax_frame *frame, const unsigned char *frozen,
                                 size_t nfrozen);

/* Copy src into out (PATH_MAX bytes); -1, with out empty, when it does not fit. */
int czi_relax_copy_path(char *out, const char *src);

/* Nonzero if LAMMPS can take `path` inside double quotes (no '"', '$' or line breaks). */
int czi_relax_path_ok(const char *path);

#endif
