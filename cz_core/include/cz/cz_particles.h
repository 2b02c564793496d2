/**
 * cz_particles.h — nanoparticles: Wulff and Winterbottom shapes, decahedra and icosahedra.
 *
 * A cz_particle is a transparent, owned description of one particle made of one or more
 * grains. Each grain is a piece of the particle's lattice: a region (cz_volume, in the
 * particle frame) plus the affine map that carries the lattice frame into the particle frame
 * (rotation and, for multiply-twinned particles, the homogeneous strain that closes their
 * gaps). Grains of the inhomogeneous strain model carry explicit atoms instead. A particle is
 * placed with cz_scene_add_particle (one scene object per grain, all sharing one object_id,
 * each with its own grain_id) or turned into atoms directly with cz_particle_fill.
 *
 * Conventions (see cz_base.h): lengths in Å, angles in degrees, surface energies in any one
 * unit (only their ratios matter). Miller indices (h k l) refer to the lattice's own cell
 * (three-index form: for hexagonal cells write (h k i l) as (h k l)). A Miller normal is
 * h a* + k b* + l c* (cz_lattice_plane). Families {hkl} are expanded with the crystal's point
 * group found by spglib, acting on Miller indices as h' = h·W⁻¹ (W the fractional rotation),
 * so for a crystal without inversion (hkl) and (h̄k̄l̄) are different families.
 *
 * Frames: a Wulff or Winterbottom particle is built in the lattice frame (the particle frame
 * is the lattice frame; its centre is the Wulff point opts.center). Multiply-twinned particles
 * are built in their own frame: centre at the origin, the decahedron's 5-fold axis along +z,
 * grain k of a decahedron centred on the azimuth 72°·k from +x.
 *
 * Thread safety: every function is reentrant; a cz_particle is immutable after construction
 * and may be read from several threads.
 */
#ifndef CZ_PARTICLES_H
#define CZ_PARTICLES_H

#include <stddef.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"
#include "cz/cz_lattice.h"
#include "cz/cz_scene.h"
#include "cz/cz_transform.h"
#include "cz/cz_volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ symmetry ---- */

/** Most planes a family {hkl} can have (the order of the largest crystallographic point
 *  group, m-3m). An output buffer of this many rows always suffices. */
#define CZ_MAX_FAMILY 48

/**
 * The symmetry-equivalent planes of (hkl) under the point group of `lattice` (cell and basis,
 * found by spglib with tolerance `symprec`, Å): every distinct h·W⁻¹, with (hkl) first. The
 * indices are divided by their common divisor first, so (200) gives the family of (100).
 * @param hkl     Miller indices, not (0 0 0).
 * @param symprec spglib tolerance in Å (> 0; 1e-3 is a good default).
 * @param out     [cap][3] receives the family.   @param cap rows of out (>= CZ_MAX_FAMILY
 *                always suffices).   @param[out] n number of planes written.
 * @return CZ_OK, CZ_EINVAL (NULL, (0 0 0), symprec <= 0 or NaN, spglib failed on the lattice),
 *         CZ_ERANGE (cap smaller than the family; nothing written, *n = the size needed).
 */
CZ_API cz_status cz_miller_family(const cz_lattice *lattice, const int hkl[3], double symprec,
                                  int out[][3], size_t cap, size_t *n);

/* ------------------------------------------------------------------ particles ---- */

/** One grain of a particle. */
typedef struct cz_grain {
    cz_volume *volume;       /**< region in the particle frame (owned by the particle). For
                                  explicit-atoms grains: a convex region holding every atom. */
    cz_transform lattice_tf; /**< lattice frame → particle frame (rotation ∘ strain); for
                                  explicit-atoms grains the homogeneous model's map (the
                                  grain's mean orientation), for information */
    cz_atoms *atoms;         /**< NULL for crystal grains; explicit atoms in the particle frame
                                  for the inhomogeneous strain model (owned) */
} cz_grain;

/** One bounding plane of a Wulff or Winterbottom particle. */
typedef struct cz_facet {
    int hkl[3];       /**< Miller indices (common divisor removed) */
    double normal[3]; /**< unit outward normal, particle frame */
    double gamma;     /**< energy that placed it: γ of its family, or γ_int − γ_sub */
    double target;    /**< Å from the centre before snapping: scale·gamma */
    double distance;  /**< Å from the centre after snapping onto an atomic plane */
    double spacing;   /**< Å between the atomic planes of this orientation (<= d_hkl) */
    double area;      /**< Å², area of its face on the snapped polyhedron (0 if none) */
    int family;       /**< index into the energy table; −1 for the Winterbottom interface */
    int active;       /**< 1 if the plane carries a face of positive area */
} cz_facet;

/** Kinds of particle. */
typedef enum cz_particle_kind {
    CZ_PARTICLE_WULFF = 0,        /**< single crystal, free Wulff shape */
    CZ_PARTICLE_WINTERBOTTOM = 1, /**< single crystal truncated by an interface plane */
    CZ_PARTICLE_DECAHEDRON = 2,   /**< five fcc grains around a 5-fold axis */
    CZ_PARTICLE_ICOSAHEDRON = 3   /**< twenty fcc grains sharing the centre */
} cz_particle_kind;

typedef struct cz_particle {
    cz_particle_kind kind;
    cz_lattice *lattice; /**< the lattice every grain is cut from (owned). Wulff: a copy of the
                              caller's; MTPs: the conventional fcc cell (a, a, a, 90°) with an
                              atom at the origin. */
    size_t ngrains;      /**< 1 (Wulff), 5 (decahedron), 20 (icosahedron) */
    cz_grain *grains;    /**< [ngrains] */
    size_t natoms;       /**< atoms the particle holds (atoms shared by grains counted once) */
    double center[3];    /**< Å, particle frame: Wulff point / centre of the MTP */
    double axis[3];      /**< unit 5-fold axis (decahedron: +z); zero for other kinds */
    /* Wulff and Winterbottom only (nfacets = 0 for MTPs): */
    size_t nfacets;      /**< bounding planes, one per member of every family (+ interface) */
    cz_facet *facets;    /**< [nfacets] */
    size_t nactive;      /**< facets with a face of positive area: the facet count */
    int interface_facet; /**< index of the Winterbottom contact plane in facets, −1 if none */
    double scale;        /**< Å per unit of γ: facet target distance = scale·γ */
    double volume_a3;    /**< Å³ of the snapped polyhedron */
    double radius_equivalent; /**< Å, radius of the sphere of equal volume (snapped) */
    double radius_max;        /**< Å, largest distance of a vertex from the centre (snapped) */
} cz_particle;

/** Free a particle (its grains, volumes, atoms, facets and lattice). NULL is a no-op. */
CZ_API void cz_particle_destroy(cz_particle *particle);

/* ------------------------------------------------------------------ Wulff ---- */

/** One row of the surface-energy table: the family {hkl} has energy gamma (> 0, any unit). */
typedef struct cz_surface_energy {
    int hkl[3];
    double gamma;
} cz_surface_energy;

/** What opts.radius measures. */
typedef enum cz_radius_kind {
    CZ_RADIUS_EQUIVALENT = 0, /**< radius of the sphere of equal volume */
    CZ_RADIUS_MAX = 1         /**< largest distance of a vertex from the Wulff point */
} cz_radius_kind;

typedef struct cz_wulff_opts {
    double radius;              /**< Å; size by radius (exactly one of radius > 0 and
                                     target_atoms > 0). Default 0. */
    cz_radius_kind radius_kind; /**< default CZ_RADIUS_EQUIVALENT */
    size_t target_atoms;        /**< size by atom count instead (default 0) */
    int snap;                   /**< 1: move every facet to the nearest atomic plane (default 1) */
    double center[3];           /**< Å, lattice frame: the Wulff point (default 0, 0, 0) */
    double symprec;         /**< Å, spglib tolerance of the point-group search (default 1e-3) */
    int interface_hkl[3];   /**< Winterbottom contact plane, outward normal pointing into the
                                 substrate; (0 0 0) = a free particle (default) */
    double interface_gamma; /**< γ_int of the particle–substrate interface (default 0) */
    double substrate_gamma; /**< γ_sub of the bare substrate (default 0). The interface plane
                                 lies at scale·(γ_int − γ_sub) from the Wulff point. */
    size_t max_atoms;       /**< cap on the particle (default CZ_MAX_ATOMS) */
} cz_wulff_opts;

/** Defaults as listed in cz_wulff_opts (no size set: the caller must set one). */
CZ_API void cz_wulff_opts_default(cz_wulff_opts *opts);

/**
 * Wulff construction (Wulff 1901), optionally truncated by a substrate (Winterbottom 1967).
 *
 * Every family of `table` is expanded with the point group (cz_miller_family); each plane
 * (hkl) with unit outward normal n̂ bounds the half-space n̂·(x − center) <= scale·γ_hkl. The
 * Winterbottom plane, if opts->interface_hkl is not (0 0 0), bounds n̂·(x − center) <=
 * scale·(γ_int − γ_sub): the standard construction, in which the adhesion-modified energy
 * γ_int − γ_sub = γ_hkl − W_adh (Young–Dupré, W_adh the work of adhesion) takes the place of
 * γ_hkl for the contact orientation. If a family contains the contact orientation, the nearer
 * of the two planes is used. γ_int − γ_sub <= −(the free particle's extent opposite the
 * contact)/scale means complete wetting (an error); >= γ_hkl of the contact orientation means
 * non-wetting (the plane does not cut).
 *
 * Size: scale is set so that the unsnapped shape has opts->radius (of opts->radius_kind), or,
 * with opts->target_atoms, bisected with cz_fill_count over the snapped shapes: the result is
 * the shape of this one-parameter family whose atom count is nearest the target (exact when
 * the family reaches it; with snapping the count grows by whole atomic layers of a facet
 * family, so the nearest count may differ by part of a layer). Snapping moves each plane to
 * the nearest plane holding atoms of any basis site, so every facet lies within half an
 * atomic-plane spacing of scale·γ. Facets are counted by the snapped polyhedron's active
 * planes (faces of positive area).
 *
 * Output: one grain whose volume is the polyhedron in the lattice frame (lattice_tf identity).
 * @param lattice any lattice.   @param n rows of table (>= 1).   @param table [n] energies.
 * @param opts NULL is an error (a size is required).
 * @return CZ_OK; CZ_EINVAL (NULL, n == 0, (0 0 0), γ <= 0 or non-finite, one plane given two
 *         energies, no or two sizes, radius or center non-finite, symprec <= 0, planes that
 *         enclose no bounded region, complete wetting, a particle too small to hold an atom);
 *         CZ_ERANGE (target_atoms or the result above max_atoms, max_atoms above CZ_MAX_ATOMS);
 *         CZ_ENOMEM. *out NULL on failure; caller destroys with cz_particle_destroy.
 */
CZ_API cz_status cz_particle_wulff(const cz_lattice *lattice, size_t n,
                                   const cz_surface_energy table[], const cz_wulff_opts *opts,
                                   cz_particle **out);

/* ------------------------------------------------------------ twinned particles ---- */

/** How a multiply-twinned particle closes its solid-angle deficit. */
typedef enum cz_mtp_strain {
    CZ_MTP_STRAIN_HOMOGENEOUS = 0, /**< per-grain affine strain; crystal grains (default) */
    CZ_MTP_STRAIN_RADIAL = 1,      /**< decahedron only: the displacement field of a wedge
                                        disclination in an isotropic cylinder (de Wit 1972);
                                        explicit-atoms grains */
    CZ_MTP_STRAIN_NONE = 2         /**< decahedron only, for diagnostics: unstrained grains
                                        centred on 70.53°·k, the 7.35° gap left open between
                                        grains 4 and 0 (its two faces' atoms near the axis are
                                        only 2r·sin 3.68° apart) */
} cz_mtp_strain;

typedef struct cz_decahedron_opts {
    int p;         /**< atoms along the edges of the {100} facets perpendicular to the
                        axis (the pentagon edge), >= 1 (ASE's Decahedron p) */
    int q;         /**< atoms along the {100} facets parallel to the axis: 1 = no Ino
                        facets (regular decahedron); 0 = same as p (default): the Ino
                        form whose counts are the icosahedral magic numbers */
    int r;         /**< depth of the Marks re-entrant {111} notches at the twin
                        boundaries, in {111} layers; 0 = none (default) */
    int shells;    /**< alternative size: p = shells (1 → 1 atom, 2 → 13, 3 → 55 …) */
    double radius; /**< alternative size, Å: p chosen so that the un-notched pentagon's
                        corner lies nearest this distance from the axis */
    cz_mtp_strain strain; /**< default CZ_MTP_STRAIN_HOMOGENEOUS */
    double poisson_ratio; /**< ν of CZ_MTP_STRAIN_RADIAL, in [0, 0.5) (default 0.44, Au) */
    double symprec;       /**< Å, tolerance of the fcc check (default 1e-3) */
    size_t max_atoms;     /**< cap (default CZ_MAX_ATOMS) */
} cz_decahedron_opts;

/** Defaults as listed in cz_decahedron_opts (no size set). */
CZ_API void cz_decahedron_opts_default(cz_decahedron_opts *opts);

/**
 * Decahedral multiply-twinned particle (Ino 1969; Marks 1984) of an fcc lattice.
 *
 * Five tetrahedral grains share the 5-fold axis (+z, a ⟨110⟩ direction of every grain);
 * neighbouring grains are {111} twins, mirror images across their shared plane. Grain k spans
 * the azimuths 72°·k ± 36°. Shape (p, q, r) as ASE's Decahedron: h = p + q + 2r − 1 atoms on
 * the axis, {100} (Ino) facets p atoms wide and q atoms tall, Marks notches r {111} layers
 * deep. Five unstrained wedges span 352.65°; the homogeneous model stretches each grain
 * tangentially and compresses it radially (s_t/s_r = tan 36°/tan 35.26°) so that its twin
 * planes stay unstrained and five wedges tile 360° exactly. The radial model applies the
 * displacement field of a wedge disclination instead (see docs/particles.md).
 * Size: exactly one of p, shells, radius.
 * @param lattice an fcc lattice (space group 225, one atom per primitive cell), any setting;
 *        only its element and lattice parameter are used.
 * @return CZ_OK; CZ_EINVAL (NULL, no or two sizes, p, q or r out of range, radius too small
 *         for the notch depth, ν outside [0, 0.5), unknown strain model); CZ_ENOTSUP (not fcc);
 *         CZ_ERANGE (more than max_atoms atoms, or sizes beyond 100000 layers); CZ_ENOMEM.
 */
CZ_API cz_status cz_particle_decahedron(const cz_lattice *lattice, const cz_decahedron_opts *opts,
                                        cz_particle **out);

typedef struct cz_icosahedron_opts {
    int shells;     /**< shells including the central atom: 1 → 1 atom, 2 → 13, 3 → 55 … */
    double radius;  /**< alternative size, Å: the vertex distance nearest this */
    double symprec; /**< Å, tolerance of the fcc check (default 1e-3) */
    size_t max_atoms; /**< cap (default CZ_MAX_ATOMS) */
} cz_icosahedron_opts;

/** Defaults as listed in cz_icosahedron_opts (no size set). */
CZ_API void cz_icosahedron_opts_default(cz_icosahedron_opts *opts);

/**
 * Mackay icosahedron (Mackay 1962): twenty tetrahedral fcc grains sharing the central atom,
 * each a homogeneously strained tetrahedron whose three radial edges keep the bulk
 * nearest-neighbour distance b and whose outer {111} face is stretched by 5.15 % to the
 * icosahedron's face. n shells hold (10n³ − 15n² + 11n − 3)/3 atoms: 1, 13, 55, 147, 309 ….
 * Size: exactly one of shells, radius (vertex distance (shells − 1)·b).
 * @return CZ_OK; CZ_EINVAL (NULL, no or two sizes, non-finite radius); CZ_ENOTSUP (not fcc);
 *         CZ_ERANGE (more than max_atoms, shells > 100000); CZ_ENOMEM.
 */
CZ_API cz_status cz_particle_icosahedron(const cz_lattice *lattice, const cz_icosahedron_opts *opts,
                                         cz_particle **out);

/* ------------------------------------------------------------------ placement ---- */

typedef struct cz_particle_place_opts {
    cz_transform placement; /**< particle frame → world, applied locked to every grain
                                 (default identity) */
    int object_id;          /**< label of the whole particle; 0 = the first grain's object
                                 index + 1 (default 0) */
    int grain_id;           /**< grain labels first_grain_id + g; −1 = each grain's own object
                                 index + 1, unique in the scene (default −1) */
    int priority;           /**< scene priority of every grain (default 0) */
    int class_id;           /**< CZ_CLASS_* (default CZ_CLASS_PARTICLE) */
} cz_particle_place_opts;

CZ_API void cz_particle_place_opts_default(cz_particle_place_opts *opts);

/**
 * Add the particle to a scene: one object per grain (crystal objects, or explicit-atoms
 * objects clipped by the grain region), in grain order, all with the same object_id. Atoms
 * shared by neighbouring grains (twin planes, axis, centre) are kept once, by the earlier
 * grain (the scene's tie rule). opts NULL = defaults.
 * @param[out] first_index scene index of the first grain's object (may be NULL).
 * @return CZ_OK, CZ_EINVAL (NULL, singular placement, bad labels), CZ_ERANGE (more than
 *         INT32_MAX objects), CZ_ENOMEM (the scene may then hold the grains added before the
 *         failure).
 */
CZ_API cz_status cz_scene_add_particle(cz_scene *scene, const cz_particle *particle,
                                       const cz_particle_place_opts *opts, size_t *first_index);

/**
 * The particle's atoms (a scene holding only this particle, populated): isolated structure,
 * labels from opts (NULL = defaults: object 1, grains 1..ngrains).
 * @return CZ_OK, CZ_EINVAL, CZ_ENOMEM. *out NULL on failure; caller destroys.
 */
CZ_API cz_status cz_particle_fill(const cz_particle *particle, const cz_particle_place_opts *opts,
                                  cz_atoms **out);

#ifdef __cplusplus
}
#endif
#endif /* CZ_PARTICLES_H */
