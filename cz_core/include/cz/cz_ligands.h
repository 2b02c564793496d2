/**
 * cz_ligands.h — surface sites of a particle and ligands/adsorbates placed on them.
 *
 * Two steps (either may be used alone):
 *  1. cz_sites_find: the surface sites of a particle. A site is an atom whose coordination
 *     number (neighbours within `cutoff`) is below the bulk value, with a unit outward normal.
 *     Only top sites (one site per surface atom) are produced; bridge and hollow sites are not
 *     implemented.
 *  2. cz_ligands_place: copies of one molecule bound to a seeded subset of those sites: the
 *     anchor atom (e.g. the S of a thiolate) at bond_length from the site atom along the
 *     normal, the molecule's axis along the normal, a seeded random spin about the normal, and
 *     no atom closer than the clash distances to the structure or to other ligands.
 *
 * Conventions of this header (see cz_base.h for units and cells):
 *  - Normal of a site atom i: n = Σ_j (x_i − x_j) over its neighbours j within the cutoff
 *    (periodic images included), normalised. Missing neighbours leave this sum pointing out of
 *    the material. When the sum is shorter than 0.1 × cutoff (a nearly balanced shell, e.g.
 *    an atom of a one-layer sheet) the direction from the centroid of the selected atoms to
 *    x_i is used instead, and +z if that is shorter than 1e-9 Å.
 *  - Exposure test (opts.exposed_only): an under-coordinated atom is a site only if the point
 *    where its missing neighbour would be, P = x_i + 0.8·cutoff·n (0.8·cutoff is the nearest-
 *    neighbour distance under the automatic cutoff), has at most bulk_coordination/2 atoms
 *    within the cutoff (x_i included). Outside the material P has few (1 above a flat facet,
 *    at most 6 at the steps and kinks of an fcc sphere); in an internal void it has nearly a
 *    full shell (12 at a vacancy in fcc, 9 below a one-atom pit in a {111} facet). So the test
 *    drops the neighbours of vacancies and the atoms at the bottom of one-atom pits; on fcc
 *    Wulff shapes and on spheres cut from fcc it drops none (tests/c/test_ligands.c).
 *  - Coverage: of the m sites, exactly k = floor(coverage · m + 1/2) are chosen (as in
 *    cz_composition.h): site s gets the key cz_rng_u64(seed, stream, s) and the k sites with
 *    the smallest keys are chosen (ties by index). Chosen sites are tried in increasing key
 *    order, so crowding never favours one side of the particle. Attempt a at site s uses the
 *    spin angle 360° · cz_rng_uniform(seed, stream + 1, s · 2^20 + a), so raising
 *    max_attempts only adds attempts. A site whose attempts all clash is skipped; no other
 *    site replaces it (stats report the shortfall).
 *  - Output is a pure function of (atoms, sites, molecule, opts): identical bytes for any
 *    nthreads. The placement itself is sequential (each molecule must see the ones before).
 *  - Neighbour searches use cell lists (spatial hashing of bins at least as wide as the search
 *    radius), exact along periodic axes whatever the cell shape and size; never all pairs.
 * All functions are reentrant; none keeps a caller pointer.
 */
#ifndef CZ_LIGANDS_H
#define CZ_LIGANDS_H

#include <stddef.h>
#include <stdint.h>

#include "cz/cz_atoms.h"
#include "cz/cz_base.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Surface sites (top sites) of a structure: owned arrays of length n. */
typedef struct cz_sites {
    size_t n;              /**< number of sites */
    size_t *atom;          /**< [n] index of the site atom in the structure searched */
    double (*xyz)[3];      /**< [n] position of the site atom (Å), as in the structure */
    double (*normal)[3];   /**< [n] unit outward normals */
    int *coordination;     /**< [n] coordination number of the site atom */
    double cutoff;         /**< Å, the neighbour cutoff used (0 for cz_sites_create) */
    int bulk_coordination; /**< the bulk coordination used (0 for cz_sites_create) */
} cz_sites;

/**
 * Allocate a site list of n sites (arrays zeroed), for callers that bring their own sites
 * (e.g. chosen by hand or computed elsewhere). Fill atom and normal before use; xyz and
 * coordination are for information only (cz_ligands_place reads the site atom's position
 * from the structure).
 * @return CZ_OK, CZ_ERANGE (n > CZ_MAX_ATOMS), CZ_EINVAL (NULL out), CZ_ENOMEM.
 *         *out NULL on failure. Caller destroys with cz_sites_destroy.
 */
CZ_API cz_status cz_sites_create(size_t n, cz_sites **out);

/** Free a site list. NULL is a no-op. */
CZ_API void cz_sites_destroy(cz_sites *sites);

/** Options of cz_sites_find. */
typedef struct cz_site_opts {
    int object_id;         /**< search the atoms of this object id only; 0 = all atoms
                                (default 0). Neighbours are counted among these atoms only,
                                so a particle's surface does not depend on what touches it
                                (the placement's clash test handles that). */
    double cutoff;         /**< neighbour cutoff, Å; NAN (default) = 1.25 × the smallest
                                distance between selected atoms (between the first and second
                                shells of fcc, hcp, bcc and diamond) */
    int bulk_coordination; /**< an atom with fewer neighbours is under-coordinated; 0 (default)
                                = the largest coordination among the selected atoms. Give it
                                (12 for fcc) for clusters too small to have a bulk atom. */
    int exposed_only;      /**< 1 (default): apply the exposure test of the header notes;
                                0: every under-coordinated atom is a site */
    int nthreads;          /**< OpenMP threads for the coordination numbers, 0 = default */
} cz_site_opts;

/** Defaults as listed in cz_site_opts. NULL is a no-op. */
CZ_API void cz_site_opts_default(cz_site_opts *opts);

/**
 * Surface sites: every selected atom whose coordination number (cz_atoms_coordination over
 * the selected atoms, cell and pbc of `atoms`) is below bulk_coordination and, with
 * exposed_only, that passes the exposure test; sites in increasing atom index.
 * @param atoms the structure (not modified).   @param opts NULL = defaults.
 * @param[out] out the sites (possibly n = 0); caller destroys with cz_sites_destroy.
 * @return CZ_OK; CZ_EINVAL (NULL atoms or out, object_id < 0 or with no atoms, cutoff <= 0 or
 *         non-finite, bulk_coordination < 0, exposed_only not 0 or 1, nthreads < 0, an
 *         automatic cutoff with fewer than two selected atoms or two at one place, a periodic
 *         axis with a degenerate cell); CZ_ERANGE (as cz_atoms_coordination, or a cutoff so
 *         much wider than a periodic cell that a search would visit more than 10^4 image
 *         shifts); CZ_ENOMEM.
 *         *out NULL on failure.
 */
CZ_API cz_status cz_sites_find(const cz_atoms *atoms, const cz_site_opts *opts, cz_sites **out);

/** Options of cz_ligands_place. */
typedef struct cz_ligand_opts {
    size_t anchor;          /**< index of the binding atom in the molecule (default 0) */
    double axis[3];         /**< direction in the molecule's frame that is turned onto the
                                 outward normal; (0, 0, 0) (default) = from the anchor to the
                                 centroid (unweighted mean of all atoms) of the molecule.
                                 Ignored for one-atom molecules. */
    double bond_length;     /**< Å from the site atom to the anchor, > 0 (required; default
                                 NAN), e.g. 2.4 for Au–S, 1.9 for Au–C of CO */
    double coverage;        /**< fraction of the sites to cover, in [0, 1] (default 1) */
    double clash_distance;  /**< Å, >= 0: no ligand atom closer than this to any atom of the
                                 structure (all objects, periodic images included) except
                                 the anchor to its own site atom; 0 = no test (default 2.0) */
    double ligand_distance; /**< Å, >= 0: no two atoms of different ligands closer than this
                                 (periodic images included); 0 = no test (default 2.0) */
    int max_attempts;       /**< spins tried per site before it is skipped, 1..1000000
                                 (default 24). Molecules whose atoms all lie on the axis get
                                 one attempt: a spin cannot change them. */
    int object_id;          /**< object label of the ligands; 0 (default) = the largest
                                 object_id in the structure + 1 */
    int per_molecule;       /**< 0 (default): every ligand atom gets object_id; 1: molecule k
                                 (in output order) gets object_id + k */
    uint64_t seed;          /**< default 0 */
    uint64_t stream;        /**< site choice; spins use stream + 1 (default 0) */
    cz_site_opts sites;     /**< used to find the sites when cz_ligands_place gets none */
} cz_ligand_opts;

/** Defaults as listed in cz_ligand_opts (bond_length is NAN: the caller must set it).
 *  NULL is a no-op. */
CZ_API void cz_ligand_opts_default(cz_ligand_opts *opts);

/** What cz_ligands_place did. */
typedef struct cz_ligand_stats {
    size_t sites;     /**< sites available */
    size_t requested; /**< floor(coverage · sites + 1/2) */
    size_t placed;    /**< molecules placed (<= requested) */
    size_t skipped;   /**< requested − placed: sites whose every attempt clashed */
    size_t attempts;  /**< spins tried in all */
} cz_ligand_stats;

/**
 * Bind copies of `molecule` to a seeded subset of the surface sites of `atoms`.
 *
 * For site s (atom position x_s, normal n) a molecule atom at m_k becomes
 *     x_s + bond_length · n + S(θ) · R · (m_k − m_anchor),
 * where R is the smallest rotation taking the molecule's unit axis onto n and S(θ) the spin
 * by θ about n. The anchor lands exactly at bond_length along n. A placement is accepted when
 * no atom is closer than clash_distance to an atom of `atoms` (the anchor–site-atom bond
 * excepted) and none closer than ligand_distance to an atom of an accepted ligand. A ligand
 * is not tested against its own periodic images (which matters only in a cell narrower than
 * the molecule plus ligand_distance), nor are the molecule's internal distances checked.
 *
 * Output: a new cz_atoms holding only the ligands, molecule after molecule in placement
 * order, each in the molecule's atom order, with the molecule's species, class_id
 * CZ_CLASS_LIGAND, grain_id 0, object ids per opts, and the cell and pbc of `atoms`. Positions
 * are not wrapped (each ligand sits next to its site atom). Add it to the structure with
 * cz_atoms_append(atoms_copy, out) (labels kept), or to a scene with cz_scene_add_atoms
 * (which relabels from its own options).
 *
 * @param atoms    the structure the ligands bind to (not modified).
 * @param sites    sites from cz_sites_find(atoms, …) or cz_sites_create; NULL = find them with
 *                 opts->sites.
 * @param molecule the molecule (positions and species; its labels and cell are ignored).
 * @param opts     required (bond_length has no default).
 * @param[out] out the ligands (n may be 0); caller destroys.
 * @param[out] stats may be NULL; zeroed on failure.
 * @return CZ_OK; CZ_EINVAL (NULL atoms, molecule, opts or out; empty molecule; anchor out of
 *         range; molecule positions or axis not finite; molecule Z outside 1..118; a zero
 *         axis with the centroid on the anchor; bond_length not > 0 and finite; coverage
 *         outside [0, 1] or NaN; a clash or ligand distance < 0 or non-finite; max_attempts
 *         outside 1..1000000; object_id < 0; per_molecule not 0 or 1; a site whose atom index
 *         is out of range or whose normal is not a unit vector; errors of cz_sites_find; a
 *         periodic axis with a degenerate cell); CZ_ERANGE (more than CZ_MAX_ATOMS ligand
 *         atoms, object ids beyond INT_MAX, a clash or ligand distance so much wider than a
 *         periodic cell that a search would visit more than 10^4 image shifts); CZ_ENOMEM.
 *         *out NULL on failure.
 */
CZ_API cz_status cz_ligands_place(const cz_atoms *atoms, const cz_sites *sites,
                                  const cz_atoms *molecule, const cz_ligand_opts *opts,
                                  cz_atoms **out, cz_ligand_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* CZ_LIGANDS_H */
