/**
 * cz_io.h — structure files.
 *
 *  extxyz   : extended XYZ as ASE reads and writes it. Lattice="ax ay az bx ... cz",
 *             Properties=species:S:1:pos:R:3:object_id:I:1:grain_id:I:1:class_id:I:1,
 *             pbc="T T F". The comment is written as comment="…" (ASE reads it into
 *             atoms.info). The reader accepts any Properties line (species:S or Z:I,
 *             pos:R:3, optional label columns; unknown columns are skipped); pbc on an axis
 *             with a zero Lattice row is dropped; an atom count above CZ_MAX_ATOMS is CZ_EIO.
 *  lammps   : LAMMPS data file, atom_style atomic, one atom type per element (types in
 *             increasing Z), Masses section. LAMMPS needs a lower-triangular cell (a ∥ x,
 *             b in xy); other cells are rotated into that frame. Non-periodic structures
 *             get a box around the atoms with `padding` Å on each side. Tilt factors beyond
 *             LAMMPS's limits are reduced by lattice vectors along periodic axes (atoms moved
 *             back into the box by the same vectors); left-handed cells are written as −c
 *             from the far corner.
 *  prismatic: Prismatic / computem xyz: comment line; "a b c" of an orthogonal cell; one line
 *             "Z x y z occupancy u_rms" per atom; final "-1". Non-orthogonal cells are refused.
 *             Axes without a cell row get extent + 2·padding, and the atoms are shifted by
 *             padding − min along them. Reading gives cell diag(a, b, c), pbc all 0, labels 0;
 *             occupancy and u_rms are not kept; the final -1 is required.
 *
 * All functions are reentrant; nothing is kept open after return. On failure of a writer
 * the target file is not left half-written (written to a temporary name, then renamed).
 */
#ifndef CZ_IO_H
#define CZ_IO_H

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cz_format {
    CZ_FORMAT_AUTO = 0, /**< from the file extension */
    CZ_FORMAT_EXTXYZ,   /**< .xyz .extxyz */
    CZ_FORMAT_LAMMPS,   /**< .lmp .data .lammps */
    CZ_FORMAT_PRISMATIC /**< .prismatic .xyzp (or explicit) */
} cz_format;

typedef struct cz_write_opts {
    cz_format format;  /**< default CZ_FORMAT_AUTO */
    double u_rms;      /**< prismatic: thermal rms displacement in Å (default 0.08) */
    double occupancy;  /**< prismatic: site occupancy (default 1.0) */
    double padding;    /**< lammps, prismatic: vacuum around atoms on axes without a cell (default 5 Å) */
    const char *comment; /**< first/comment line text (default NULL: "written by cz X.Y.Z") */
} cz_write_opts;

CZ_API void cz_write_opts_default(cz_write_opts *opts);

/** Format from a file name's extension, any letter case ("a.XYZ" → CZ_FORMAT_EXTXYZ).
 *  @return CZ_OK, CZ_EINVAL (NULL or unknown extension). */
CZ_API cz_status cz_format_from_path(const char *path, cz_format *format);

/** Format from its name, any letter case ("extxyz", "xyz", "lammps", "lammps-data",
 *  "prismatic", or "auto" for CZ_FORMAT_AUTO).
 *  @return CZ_OK, CZ_EINVAL. */
CZ_API cz_status cz_format_from_name(const char *name, cz_format *format);

/**
 * Write atoms to `path` in opts->format (AUTO: by extension). opts NULL = defaults.
 * @return CZ_OK, CZ_EINVAL (NULL or empty path, unknown format, cell the format cannot hold,
 *         padding < 0, u_rms < 0, occupancy outside [0, 1], a comment with a line break, Z
 *         outside 1..118, non-finite positions or cell, LAMMPS with no atoms, a padded box of
 *         zero length), CZ_EIO (cannot create/write; message carries strerror), CZ_ENOMEM.
 */
CZ_API cz_status cz_atoms_write(const char *path, const cz_atoms *atoms, const cz_write_opts *opts);

/**
 * Read a structure (extxyz: the first frame; prismatic). format CZ_FORMAT_AUTO = by extension.
 * Reading LAMMPS data is not supported (CZ_ENOTSUP).
 * @return CZ_OK, CZ_EINVAL (NULL, unknown format), CZ_EIO (cannot open, or malformed: the
 *         message names file:line), CZ_ENOTSUP, CZ_ENOMEM. Caller destroys *out.
 */
CZ_API cz_status cz_atoms_read(const char *path, cz_format format, cz_atoms **out);

#ifdef __cplusplus
}
#endif
#endif /* CZ_IO_H */
