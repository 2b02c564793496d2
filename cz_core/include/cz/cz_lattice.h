/**
 * cz_lattice.h — crystal lattices: a cell plus a basis of species at fractional sites.
 *
 * A cz_lattice is a transparent, owned struct. cell rows are the lattice vectors a, b, c
 * in Å (ASE convention); basis sites are fractional coordinates in [0, 1). Lattices come
 * from an explicit cell and basis, from a space group and its asymmetric unit (spglib's
 * database of the 530 Hall settings), or from a named prototype.
 */
#ifndef CZ_LATTICE_H
#define CZ_LATTICE_H

#include <stddef.h>

#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cz_lattice {
    double cell[3][3];  /**< rows a, b, c (Å); non-singular */
    size_t nbasis;      /**< number of basis sites (>= 1) */
    double (*frac)[3];  /**< [nbasis][3] fractional coordinates in [0, 1) */
    int *z;             /**< [nbasis] atomic numbers */
} cz_lattice;

/**
 * Cell rows from lattice parameters in the standard orientation: a along x, b in the
 * xy plane, c completing a right-handed set (the orientation ASE and LAMMPS use).
 * @param a,b,c lengths in Å (> 0)   @param alpha,beta,gamma angles in degrees
 * @param[out] cell rows a, b, c.
 * @return CZ_OK, CZ_EINVAL (non-positive length, angles that make no cell).
 */
CZ_API cz_status cz_cell_from_parameters(double a, double b, double c, double alpha, double beta,
                                         double gamma, double cell[3][3]);

/** Determinant of cell (signed volume, Å³). */
CZ_API double cz_cell_volume(const double cell[3][3]);

/**
 * Create a lattice from a cell and a basis. Fractional coordinates are wrapped into
 * [0, 1); two sites closer than 1e-4 Å (periodic images included) are an error.
 * @param cell rows a, b, c (Å)  @param nbasis >= 1  @param frac [nbasis][3]  @param z [nbasis]
 * @return CZ_OK, CZ_EINVAL (singular or non-finite cell, nbasis 0, unknown element, duplicate
 *         site), CZ_ENOMEM. *out NULL on failure. Caller destroys.
 */
CZ_API cz_status cz_lattice_create(const double cell[3][3], size_t nbasis, const double frac[][3],
                                   const int z[], cz_lattice **out);

/** Free a lattice. NULL is a no-op. */
CZ_API void cz_lattice_destroy(cz_lattice *lattice);

/** Deep copy. @return CZ_OK, CZ_EINVAL, CZ_ENOMEM. */
CZ_API cz_status cz_lattice_copy(const cz_lattice *src, cz_lattice **out);

/** Options of cz_lattice_from_spacegroup. */
typedef struct cz_spacegroup_opts {
    int hall_number;   /**< 0: the standard (first) setting of the number; else 1..530 */
    double symprec;    /**< Å: images closer than this are merged (default 1e-3) */
    double metric_tol; /**< relative tolerance of the metric check (default 1e-4) */
} cz_spacegroup_opts;

CZ_API void cz_spacegroup_opts_default(cz_spacegroup_opts *opts);

/**
 * Lattice of space group `number` (1..230) with the given asymmetric-unit sites: every
 * site is expanded by the group's operations from spglib's database and duplicates are
 * merged. The cell must be compatible with the group: each rotation must preserve its
 * metric tensor (so a hexagonal group needs a = b, γ = 120°).
 * @param number 1..230   @param cell rows a, b, c (conventional cell of the setting)
 * @param nsites >= 1     @param frac [nsites][3] fractional   @param z [nsites]
 * @param opts NULL for defaults.
 * @return CZ_OK, CZ_EINVAL (number or hall_number out of range, cell incompatible with the
 *         group, unknown element, two different species on one site), CZ_ENOMEM.
 */
CZ_API cz_status cz_lattice_from_spacegroup(int number, const double cell[3][3], size_t nsites,
                                            const double frac[][3], const int z[],
                                            const cz_spacegroup_opts *opts, cz_lattice **out);

/** Parameters of the named prototypes. Unset lengths are NAN; see cz_lattice_prototype. */
typedef struct cz_prototype_opts {
    int z[3];   /**< species: z[0] = A, z[1] = B, z[2] = C (0 = unset) */
    double a;   /**< Å (required) */
    double c;   /**< Å, hexagonal prototypes; NAN = ideal (sqrt(8/3)·a for hcp/wurtzite,
                     6.71/2.46·a for graphite, 12.29/3.16·a for 2H-MoS2) */
    double u;   /**< internal parameter: wurtzite u (NAN = 3/8), 2H-MoS2 S height z_S
                     (NAN = 0.621) */
} cz_prototype_opts;

/** Defaults: z = {0,0,0}, a = c = u = NAN. */
CZ_API void cz_prototype_opts_default(cz_prototype_opts *opts);

/**
 * Named prototype lattice. Species needed per name (A = z[0], B = z[1], C = z[2]):
 *   "fcc", "bcc", "hcp", "diamond", "graphite"          A
 *   "rocksalt" (A at 0, B at ½00), "zincblende" (B at ¼¼¼), "wurtzite" (A at 0, B at u·c),
 *   "fluorite" (A cation, B anion: AB2), "2H-MoS2" (A metal, B chalcogen: AB2)   A, B
 *   "perovskite" (ABC3: A corner, B body centre, C face centres)                A, B, C
 * Cubic prototypes use the conventional cubic cell; hcp, wurtzite, graphite and 2H-MoS2
 * the hexagonal cell (a, a, c, 90°, 90°, 120°).
 * @return CZ_OK, CZ_EINVAL (unknown name, missing or unknown species, a <= 0 or NaN,
 *         c <= 0, u outside (0, 1)), CZ_ENOMEM.
 */
CZ_API cz_status cz_lattice_prototype(const char *name, const cz_prototype_opts *opts,
                                      cz_lattice **out);

/** Cartesian position of lattice site `basis` in cell (i, j, k). */
CZ_API void cz_lattice_site(const cz_lattice *lattice, size_t basis, const long ijk[3],
                            double xyz[3]);

/**
 * Spacing of the lattice planes (hkl) of the lattice's cell: d = 1/|h a* + k b* + l c*|
 * (reciprocal vectors without 2π), and the unit normal h a* + k b* + l c* normalised.
 * @return CZ_OK, CZ_EINVAL ((0 0 0)).
 */
CZ_API cz_status cz_lattice_plane(const cz_lattice *lattice, const int hkl[3], double *d_spacing,
                                  double normal[3]);

#ifdef __cplusplus
}
#endif
#endif /* CZ_LATTICE_H */
