/**
 * cz_defects.h — planar defects: twins and stacking faults as labelled grains of a scene.
 *
 * Conventions of this header:
 *  - A defected crystal is designed in its own PARTICLE FRAME, the frame of the lattice as
 *    given (cell rows a, b, c in Å): the volume and every defect plane are given in it, and
 *    one placement transform then carries the whole particle into the world, applied
 *    "locked" to every grain (cz_scene.h). A volume known in the world frame is brought into
 *    the particle frame with cz_volume_transform(world_volume, inverse(placement)).
 *  - A defect plane is a lattice plane (hkl) of the lattice's own cell, with unit normal
 *    n̂ ∥ h a* + k b* + l c*, at `position` Å from the lattice origin along n̂ (the convention
 *    of cz_volume_miller). Everything on the far side of the plane (n̂·x >= position) is
 *    transformed relative to the near side: reflected (MIRROR), rotated by 180° about n̂
 *    (TWIN), or translated (SHIFT, a stacking fault).
 *  - Planes are grouped into sets of parallel planes. Within a set the side opposite to the
 *    normal of the set's first plane is the untransformed MATRIX, and each plane transforms
 *    the crystal as it is just before that plane (the lattice of the slab below it), so a
 *    stack of planes composes from the matrix outwards: twin lamellae, twins on top of
 *    faults, extrinsic faults as two faults on neighbouring gaps. A parallel plane whose
 *    normal points the other way is treated as the same plane with the normal (and an
 *    explicit shift) reversed: the structure is the same up to a rigid motion.
 *  - Non-parallel sets cut the volume into the cells of their arrangement; a cell's lattice
 *    is the composition of the sets' slab transforms in the order the sets first appear.
 *    Boundaries between non-parallel sets are in general incoherent (no minimum distance is
 *    promised there); within a set, twins and faults snapped to atomic planes are coherent
 *    and keep the bulk nearest-neighbour distance.
 *  - Every non-empty cell becomes one scene crystal object (a grain). All grains of one call
 *    share one object_id and carry distinct grain ids. Neighbouring grains share their
 *    boundary plane; the scene's tie rule (the earlier object wins) keeps an atom that lies
 *    exactly on it once, in the grain nearer the matrix.
 *
 * Randomness: cz_defect_planes_draw is a pure function of (seed, stream) and its inputs.
 * All functions are reentrant; none keeps a caller pointer.
 */
#ifndef CZ_DEFECTS_H
#define CZ_DEFECTS_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz_base.h"
#include "cz/cz_lattice.h"
#include "cz/cz_scene.h"
#include "cz/cz_transform.h"
#include "cz/cz_volume.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most planes one call accepts; more → CZ_ERANGE. */
#define CZ_DEFECTS_MAX_PLANES 64
/** Most cells (grains before dropping empty ones) one call may create; more → CZ_ERANGE. */
#define CZ_DEFECTS_MAX_CELLS 4096

/** What a defect plane does to the crystal beyond it. */
typedef enum cz_defect_kind {
    /** Σ3 twin: 180° rotation about n̂ through a lattice site of the atomic plane at (or just
     *  below) the cut. For a centrosymmetric Bravais lattice such as fcc this equals the
     *  mirror across that atomic plane (…ABCABC|BACBA…); unlike the mirror it is also the
     *  correct twin of diamond and zincblende, whose {111} mirror is not a symmetry-related
     *  orientation (in Si it puts atoms 1.57 Å apart). */
    CZ_DEFECT_TWIN = 0,
    /** Pure reflection across the plane: the general "reflect the lattice" operation. */
    CZ_DEFECT_MIRROR = 1,
    /** Rigid translation of everything beyond the plane (a stacking fault). */
    CZ_DEFECT_SHIFT = 2
} cz_defect_kind;

/** Where a plane's position is moved before it is used. */
typedef enum cz_defect_snap {
    CZ_SNAP_AUTO = 0,  /**< LAYER for TWIN and MIRROR, GAP for SHIFT (default) */
    CZ_SNAP_NONE = 1,  /**< use the position as given */
    CZ_SNAP_LAYER = 2, /**< the nearest atomic plane (ties: the lower one) */
    CZ_SNAP_GAP = 3    /**< the middle of the nearest of the narrowest gaps between atomic
                            planes: between two layers in fcc and hcp, inside the bilayer gap
                            (c/8 wide) in wurtzite and the glide-set gap in diamond, so the
                            vertical bonds are never cut */
} cz_defect_snap;

/** One defect plane. Start from cz_defect_plane_default(). */
typedef struct cz_defect_plane {
    cz_defect_kind kind; /**< default CZ_DEFECT_TWIN */
    int hkl[3];          /**< Miller indices in the lattice's cell (not all zero; a common factor
                              is ignored); default (1 1 1) */
    double position;     /**< Å from the lattice origin along n̂ (particle frame); default 0 */
    cz_defect_snap snap; /**< default CZ_SNAP_AUTO */
    /** SHIFT only: the translation as fractional coordinates of the lattice cell (Cartesian
     *  s = shift · cell, particle frame); a/6[1 1 −2] in conventional fcc is {1/6, 1/6, −1/3}.
     *  NAN in any component (the default) = automatic: one stacking step, the in-plane part
     *  of the shortest vector from a site of the atomic plane just below the cut to a site of
     *  the plane just above it, measured in the crystal as it is below the cut. Shifting the
     *  far side by one step removes one layer from the sequence: the intrinsic fault
     *  …ABCAB|ABC… in fcc, I2 …ABAB|CACA… in hcp and wurtzite. */
    double shift[3];
} cz_defect_plane;

/** Defaults: TWIN, hkl (1 1 1), position 0, CZ_SNAP_AUTO, shift NAN (automatic). */
CZ_API void cz_defect_plane_default(cz_defect_plane *plane);

/** Options of cz_scene_add_defected_crystal. */
typedef struct cz_defects_opts {
    /** Particle frame → world, applied locked to every grain after its defect transform
     *  (default identity). Must be invertible. */
    cz_transform placement;
    /** Labels and priority of every grain: priority and class_id as for any object;
     *  object_id 0 (default) = index of the first grain + 1; grain_id −1 (default) = each
     *  grain's own scene index + 1 (so grain ids never collide with other default-labelled
     *  objects of the scene), grain_id g >= 0 = g, g + 1, … in grain order. */
    cz_object_opts object;
} cz_defects_opts;

/** Defaults: placement identity, object from cz_object_opts_default(). */
CZ_API void cz_defects_opts_default(cz_defects_opts *opts);

/** Which grains a call added. */
typedef struct cz_defects_info {
    size_t first;   /**< scene index of the first grain */
    size_t ngrains; /**< grains added: scene indices first .. first + ngrains − 1 */
} cz_defects_info;

/**
 * Add a crystal cut by `volume` and split by defect planes into grains, each a scene crystal
 * object with its own lattice transform (see the conventions above). Grains are added set by
 * set, slab by slab from the matrix outwards; cells of the arrangement that hold no lattice
 * site are dropped. With nplanes == 0 the crystal is added as one grain.
 *
 * Nothing is added unless the call succeeds (all planes and cells are resolved first; only
 * CZ_ENOMEM while copying into the scene can leave some grains behind).
 *
 * @param scene    the scene that receives the grains
 * @param lattice  the matrix lattice (copied)
 * @param volume   the particle's region in the particle frame (bounded)
 * @param nplanes  0 .. CZ_DEFECTS_MAX_PLANES
 * @param planes   [nplanes] defect planes (may be NULL when nplanes == 0)
 * @param opts     NULL for defaults
 * @param resolved [nplanes] or NULL: the planes as used, in the input order: position snapped
 *                 (snap = CZ_SNAP_NONE), SHIFT's automatic shift made explicit (fractional
 *                 coordinates of the lattice cell, along the plane's own normal). Feeding them
 *                 back builds the same structure.
 * @param info     NULL or receives the grains' scene indices.
 * @return CZ_OK; CZ_EINVAL (NULL scene, lattice or volume, planes NULL with nplanes > 0,
 *         hkl (0 0 0), non-finite position or shift, unknown kind or snap, unbounded volume,
 *         singular placement, two parallel planes that coincide after snapping, no automatic
 *         shift because the plane above the cut sits directly over the one below, bad object
 *         options); CZ_ERANGE (more than CZ_DEFECTS_MAX_PLANES planes or
 *         CZ_DEFECTS_MAX_CELLS cells, or a volume too large to count); CZ_ENOMEM.
 *         Not thread-safe on one scene; distinct scenes are independent.
 */
CZ_API cz_status cz_scene_add_defected_crystal(cz_scene *scene, const cz_lattice *lattice,
                                               const cz_volume *volume, size_t nplanes,
                                               const cz_defect_plane planes[],
                                               const cz_defects_opts *opts,
                                               cz_defect_plane resolved[], cz_defects_info *info);

/** Families of candidate planes for cz_defect_planes_draw. */
typedef enum cz_defect_family {
    /** The four {111} variants (1 1 1), (−1 1 1), (1 −1 1), (1 1 −1) of a conventional cubic
     *  cell (fcc, diamond, zincblende, rocksalt, …); the lattice cell must be cubic. */
    CZ_FAMILY_CUBIC_111 = 0,
    /** The basal plane (0 0 1) of a hexagonal cell (hcp, wurtzite, graphite, 2H-MoS2); the
     *  cell must have |a| = |b|, γ = 120° (or 60°) and c ⟂ a, b. */
    CZ_FAMILY_HEX_0001 = 1,
    /** The nvariants planes in `variants`. */
    CZ_FAMILY_CUSTOM = 2
} cz_defect_family;

/** Options of cz_defect_planes_draw. */
typedef struct cz_defect_draw_opts {
    uint64_t seed;           /**< default 0 */
    uint64_t stream;         /**< default 0 */
    size_t ntwins;           /**< CZ_DEFECT_TWIN planes (default 1) */
    size_t nfaults;          /**< CZ_DEFECT_SHIFT planes with automatic shift (default 0) */
    cz_defect_family family; /**< default CZ_FAMILY_CUBIC_111 */
    size_t nvariants;        /**< CZ_FAMILY_CUSTOM: 1..4 */
    int variants[4][3];      /**< CZ_FAMILY_CUSTOM: candidate hkl */
    /** 1 (default): one variant drawn for all planes, giving parallel lamellae (what twinned
     *  and faulted nanoparticles show); 0: each plane draws its own variant. */
    int same_variant;
    /** Minimum distance in Å between the snapped positions of parallel planes; NAN (default)
     *  = 2 d_hkl (two periods of the plane family: 4.7 Å for Au {111}). Must be > 0. */
    double min_separation;
    /** Planes keep this many Å inside the volume's extent along their normal; NAN (default)
     *  = min_separation, so no grain is a sliver. Must be >= 0. */
    double margin;
} cz_defect_draw_opts;

/** Defaults as documented on each field. */
CZ_API void cz_defect_draw_opts_default(cz_defect_draw_opts *opts);

/**
 * Draw ntwins + nfaults random defect planes crossing `volume` (particle frame): which variant
 * (uniform over the family), where (uniform over all placements that respect the separation:
 * positions are drawn with a gap of min_separation + d_hkl so that snapping, which moves a
 * plane by at most d_hkl/2, keeps them min_separation apart), and which of them are twins
 * (a uniformly random order of the kinds along each stack). Output planes have snap
 * CZ_SNAP_AUTO and automatic shifts; cz_scene_add_defected_crystal snaps them. They are
 * sorted by variant index, then by position.
 *
 * @param lattice   the matrix lattice
 * @param volume    the particle's region, particle frame, bounded
 * @param opts      NULL for defaults
 * @param capacity  length of `planes`; must be >= ntwins + nfaults
 * @param planes    [capacity] output; the first ntwins + nfaults entries are written
 * @return CZ_OK; CZ_EINVAL (NULL arguments, unknown family, nvariants outside 1..4 or a (0 0 0)
 *         variant for CZ_FAMILY_CUSTOM, a cell that is not cubic / hexagonal for the family,
 *         min_separation <= 0 or margin < 0 or non-finite, unbounded volume, planes that do
 *         not fit: the message gives the extent and the room needed); CZ_ERANGE (capacity
 *         too small, or more than CZ_DEFECTS_MAX_PLANES planes; nothing written).
 *         Pure and thread-safe.
 */
CZ_API cz_status cz_defect_planes_draw(const cz_lattice *lattice, const cz_volume *volume,
                                       const cz_defect_draw_opts *opts, size_t capacity,
                                       cz_defect_plane planes[]);

#ifdef __cplusplus
}
#endif
#endif /* CZ_DEFECTS_H */
