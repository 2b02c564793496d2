/**
 * cz_volume.h — regions of space that crystals are cut by.
 *
 * A cz_volume is an opaque, immutable handle: primitives (sphere, half-space, cylinder,
 * box, convex polyhedron from planes or from points), their boolean combinations and
 * their images under a cz_transform. Combinators copy their operands, so the caller may
 * destroy the operands right after the call.
 *
 * Inside test: a point is inside a primitive when its signed distance to the boundary is
 * <= CZ_VOLUME_EPS (1e-9 Å); points on a boundary are inside. For a difference A \ B a
 * point on B's boundary is therefore removed. Every volume also answers, exactly, which
 * stretches of a straight line lie inside it; the crystal fill uses that to visit only
 * lattice cells that can hold atoms (cz_fill.h).
 */
#ifndef CZ_VOLUME_H
#define CZ_VOLUME_H

#include <stddef.h>

#include "cz/cz_base.h"
#include "cz/cz_lattice.h"
#include "cz/cz_transform.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CZ_VOLUME_EPS 1e-9

typedef struct cz_volume cz_volume;

/** Ball |x − center| <= radius. @return CZ_OK, CZ_EINVAL (radius <= 0 or non-finite), CZ_ENOMEM. */
CZ_API cz_status cz_volume_sphere(const double center[3], double radius, cz_volume **out);

/** Half-space (x − point)·n <= 0, n the OUTWARD normal (need not be unit).
 *  @return CZ_OK, CZ_EINVAL (zero or non-finite normal/point), CZ_ENOMEM. */
CZ_API cz_status cz_volume_halfspace(const double normal[3], const double point[3], cz_volume **out);

/**
 * Half-space bounded by a plane of Miller indices (hkl) of `lattice`, in the lattice's own
 * (unrotated) frame: outward normal n̂ ∥ h a* + k b* + l c*, plane at `distance` Å from the
 * lattice origin along n̂. With snap != 0 the distance is moved to the nearest plane that
 * holds atoms of the lattice (any basis site: (integer + f_b·hkl)·d_hkl), so the facet lies
 * exactly on an atomic plane; for fcc (100) these come every d_200 = a/2.
 * @return CZ_OK, CZ_EINVAL (NULL lattice, (000), non-finite distance), CZ_ENOMEM.
 */
CZ_API cz_status cz_volume_miller(const cz_lattice *lattice, const int hkl[3], double distance,
                                  int snap, cz_volume **out);

/** Finite solid cylinder: axis through `center` along `axis`, |radial| <= radius,
 *  |axial| <= length/2.
 *  @return CZ_OK, CZ_EINVAL (zero axis, radius or length <= 0, non-finite), CZ_ENOMEM. */
CZ_API cz_status cz_volume_cylinder(const double center[3], const double axis[3], double radius,
                                    double length, cz_volume **out);

/** Parallelepiped origin + Σ f_i·edges[i], f_i ∈ [0, 1] (edges are rows). An axis-aligned box
 *  from lo to hi is origin = lo, edges = diag(hi − lo).
 *  @return CZ_OK, CZ_EINVAL (degenerate edges, non-finite), CZ_ENOMEM. */
CZ_API cz_status cz_volume_box(const double origin[3], const double edges[3][3], cz_volume **out);

/**
 * Convex polyhedron ∩_i {x : normals[i]·x <= offsets[i]} (normals outward, need not be unit).
 * May be unbounded (then it can only be filled inside a bounded combination or a periodic
 * scene cell). @return CZ_OK, CZ_EINVAL (n == 0, zero or non-finite normal, empty region),
 * CZ_ENOMEM.
 */
CZ_API cz_status cz_volume_polyhedron(size_t n, const double normals[][3], const double offsets[],
                                      cz_volume **out);

/** Convex hull of n >= 4 points that are not coplanar (every point triple is tried as a facet; n <= 500).
 *  @return CZ_OK, CZ_EINVAL (too few, coplanar, non-finite, n > 500), CZ_ENOMEM. */
CZ_API cz_status cz_volume_hull(size_t n, const double points[][3], cz_volume **out);

/** a ∩ b (copies a and b). @return CZ_OK, CZ_EINVAL (NULL), CZ_ENOMEM. */
CZ_API cz_status cz_volume_intersection(const cz_volume *a, const cz_volume *b, cz_volume **out);
/** a ∪ b (copies). */
CZ_API cz_status cz_volume_union(const cz_volume *a, const cz_volume *b, cz_volume **out);
/** a \ b (copies). */
CZ_API cz_status cz_volume_difference(const cz_volume *a, const cz_volume *b, cz_volume **out);

/** Image of v under tf: { tf(x) : x ∈ v } (copies v).
 *  @return CZ_OK, CZ_EINVAL (NULL, singular tf), CZ_ENOMEM. */
CZ_API cz_status cz_volume_transform(const cz_volume *v, const cz_transform *tf, cz_volume **out);

/** Deep copy. @return CZ_OK, CZ_EINVAL, CZ_ENOMEM. */
CZ_API cz_status cz_volume_copy(const cz_volume *v, cz_volume **out);

/** Free. NULL is a no-op. */
CZ_API void cz_volume_destroy(cz_volume *v);

/** 1 if x is inside v (see the boundary rule above), else 0. Thread-safe. */
CZ_API int cz_volume_contains(const cz_volume *v, const double x[3]);

/**
 * Support function h(u) = sup_{x ∈ v} x·u: exact for primitives, transforms and unions; an
 * upper bound for intersections (min of the operands') and differences (the minuend's).
 * +INFINITY for directions in which v is unbounded.
 */
CZ_API double cz_volume_support(const cz_volume *v, const double u[3]);

/**
 * Axis-aligned bounding box from the support function (exact for primitives, transforms
 * and unions; a containing box for intersections and differences). Unbounded axes give
 * ±INFINITY. @return CZ_OK, CZ_EINVAL (NULL).
 */
CZ_API cz_status cz_volume_bbox(const cz_volume *v, double lo[3], double hi[3]);

/** 1 if every bbox entry is finite. */
CZ_API int cz_volume_is_bounded(const cz_volume *v);

#ifdef __cplusplus
}
#endif
#endif /* CZ_VOLUME_H */
