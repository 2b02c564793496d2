/* scene.c — objects with priorities and transforms, clipped to a (periodic) cell. */
#include "cz/cz_scene.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_fill.h"
#include "error.h"
#include "vec.h"

typedef struct {
    cz_lattice *lattice; /* crystal objects */
    cz_atoms *atoms;     /* explicit-atoms objects (lattice NULL) */
    cz_volume *volume;   /* region; NULL only for explicit atoms without a clip */
    cz_transform lattice_tf; /* lattice frame → world */
    cz_transform volume_tf;  /* volume as given → world */
    cz_object_opts opts;
} object;

struct cz_scene {
    object *obj;
    size_t n, cap;
    double cell[3][3];
    int pbc[3];
    int has_cell;
};

void cz_object_opts_default(cz_object_opts *o) {
    o->priority = 0;
    o->class_id = CZ_CLASS_PARTICLE;
    o->grain_id = -1;
    o->object_id = 0;
}

void cz_populate_opts_default(cz_populate_opts *o) {
    o->max_atoms = CZ_MAX_ATOMS;
    o->nthreads = 0;
}

cz_status cz_scene_create(cz_scene **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = calloc(1, sizeof **out);
    if (!*out) return CZ_FAIL(CZ_ENOMEM, "cannot allocate a scene");
    return CZ_OK;
}

void cz_scene_destroy(cz_scene *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        cz_lattice_destroy(s->obj[i].lattice);
        cz_atoms_destroy(s->obj[i].atoms);
        cz_volume_destroy(s->obj[i].volume);
    }
    free(s->obj);
    free(s);
}

cz_status cz_scene_set_cell(cz_scene *s, const double cell[3][3], const int pbc[3]) {
    if (!s || !cell || !pbc) return CZ_FAIL(CZ_EINVAL, "scene, cell and pbc must not be NULL");
    if (!m3_finite(cell)) return CZ_FAIL(CZ_EINVAL, "cell must be finite");
    int zero = 1;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            if (cell[i][j] != 0.0) zero = 0;
    if (zero) {
        if (pbc[0] || pbc[1] || pbc[2])
            return CZ_FAIL(CZ_EINVAL, "periodic boundaries need a cell");
        memset(s->cell, 0, sizeof s->cell);
        memset(s->pbc, 0, sizeof s->pbc);
        s->has_cell = 0;
        return CZ_OK;
    }
    double sc = fmax(fmax(v3_norm(cell[0]), v3_norm(cell[1])), v3_norm(cell[2]));
    if (!(fabs(m3_det(cell)) > 1e-9 * sc * sc * sc))
        return CZ_FAIL(CZ_EINVAL, "scene cell is singular (volume %g Å^3)", m3_det(cell));
    memcpy(s->cell, cell, sizeof s->cell);
    for (int i = 0; i < 3; i++) s->pbc[i] = pbc[i] ? 1 : 0;
    s->has_cell = 1;
    return CZ_OK;
}

/* Validate options and make room for one more object; returns the new slot (not counted). */
static cz_status new_object(cz_scene *s, const cz_object_opts *opts, const char *func,
                            object **slot) {
    cz_object_opts o;
    cz_object_opts_default(&o);
    if (opts) o = *opts;
    if (o.class_id < 0 || o.class_id > CZ_CLASS_LIGAND)
        return CZ_FAIL_AS(func, CZ_EINVAL, "class_id must be 0..3 (got %d)", o.class_id);
    if (o.grain_id < -1)
        return CZ_FAIL_AS(func, CZ_EINVAL, "grain_id must be >= -1 (got %d)", o.grain_id);
    if (o.object_id < 0)
        return CZ_FAIL_AS(func, CZ_EINVAL, "object_id must be >= 0 (got %d)", o.object_id);
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        object *t = realloc(s->obj, cap * sizeof *t);
        if (!t) return CZ_FAIL_AS(func, CZ_ENOMEM, "cannot grow the scene");
        s->obj = t;
        s->cap = cap;
    }
    object *ob = &s->obj[s->n];
    memset(ob, 0, sizeof *ob);
    ob->opts = o;
    cz_transform_identity(&ob->lattice_tf);
    cz_transform_identity(&ob->volume_tf);
    *slot = ob;
    return CZ_OK;
}

cz_status cz_scene_add_atoms(cz_scene *s, const cz_atoms *atoms, const cz_volume *clip,
                             const cz_object_opts *opts, size_t *index) {
    if (!s || !atoms) return CZ_FAIL(CZ_EINVAL, "scene and atoms must not be NULL");
    object *ob;
    cz_status st = new_object(s, opts, __func__, &ob);
    if (st != CZ_OK) return st;
    st = cz_atoms_copy(atoms, &ob->atoms);
    if (st == CZ_OK && clip) st = cz_volume_copy(clip, &ob->volume);
    if (st != CZ_OK) {
        cz_atoms_destroy(ob->atoms);
        cz_volume_destroy(ob->volume);
        return st;
    }
    if (index) *index = s->n;
    s->n++;
    return CZ_OK;
}

cz_status cz_scene_add_crystal(cz_scene *s, const cz_lattice *lattice, const cz_volume *volume,
                               const cz_object_opts *opts, size_t *index) {
    if (!s || !lattice || !volume)
        return CZ_FAIL(CZ_EINVAL, "scene, lattice and volume must not be NULL");
    object *ob;
    cz_status st = new_object(s, opts, __func__, &ob);
    if (st != CZ_OK) return st;
    st = cz_lattice_copy(lattice, &ob->lattice);
    if (st == CZ_OK) st = cz_volume_copy(volume, &ob->volume);
    if (st != CZ_OK) {
        cz_lattice_destroy(ob->lattice);
        cz_volume_destroy(ob->volume);
        return st;
    }
    if (index) *index = s->n;
    s->n++;
    return CZ_OK;
}

size_t cz_scene_count(const cz_scene *s) { return s ? s->n : 0; }

cz_status cz_scene_transform(cz_scene *s, size_t index, const cz_transform *tf,
                             cz_apply_mode mode) {
    if (!s || !tf) return CZ_FAIL(CZ_EINVAL, "scene and transform must not be NULL");
    if (index >= s->n)
        return CZ_FAIL(CZ_EINVAL, "object index %zu out of range (scene has %zu)", index, s->n);
    if (mode != CZ_APPLY_LOCKED && mode != CZ_APPLY_REGION && mode != CZ_APPLY_LATTICE)
        return CZ_FAIL(CZ_EINVAL, "unknown apply mode %d", (int)mode);
    cz_transform inv;
    if (!m3_finite(tf->m) || !v3_finite(tf->t) || cz_transform_invert(tf, &inv) != CZ_OK)
        return CZ_FAIL(CZ_EINVAL, "transform is singular or not finite");
    object *ob = &s->obj[index];
    if (mode != CZ_APPLY_REGION) cz_transform_compose(&ob->lattice_tf, tf, &ob->lattice_tf);
    if (mode != CZ_APPLY_LATTICE) cz_transform_compose(&ob->volume_tf, tf, &ob->volume_tf);
    return CZ_OK;
}

/* The object's region in the world, clipped to the scene cell when there is one. */
static cz_status world_volume(const cz_scene *s, const object *ob, cz_volume **out) {
    if (!ob->volume) {
        *out = NULL;
        return CZ_OK;
    }
    cz_volume *v;
    cz_status st = cz_volume_transform(ob->volume, &ob->volume_tf, &v);
    if (st != CZ_OK || !s->has_cell) {
        *out = v;
        return st;
    }
    const double zero[3] = {0, 0, 0};
    cz_volume *box = NULL, *both = NULL;
    st = cz_volume_box(zero, s->cell, &box);
    if (st == CZ_OK) st = cz_volume_intersection(v, box, &both);
    cz_volume_destroy(v);
    cz_volume_destroy(box);
    *out = both;
    return st;
}

/* Does object j win an overlap against object i? */
static int wins(const cz_scene *s, size_t j, size_t i) {
    int pj = s->obj[j].opts.priority, pi = s->obj[i].opts.priority;
    return pj > pi || (pj == pi && j < i);
}

cz_status cz_scene_populate(const cz_scene *s, const cz_populate_opts *opts, cz_atoms **out) {
    if (!out) return CZ_FAIL(CZ_EINVAL, "out must not be NULL");
    *out = NULL;
    if (!s) return CZ_FAIL(CZ_EINVAL, "scene must not be NULL");
    cz_populate_opts po;
    cz_populate_opts_default(&po);
    if (opts) po = *opts;
    if (po.max_atoms > CZ_MAX_ATOMS)
        return CZ_FAIL(CZ_ERANGE, "max_atoms %zu exceeds the cap CZ_MAX_ATOMS = %zu", po.max_atoms,
                       (size_t)CZ_MAX_ATOMS);
    if (po.nthreads < 0) return CZ_FAIL(CZ_EINVAL, "nthreads must be >= 0 (got %d)", po.nthreads);
    cz_status st = CZ_OK;
    cz_atoms *all = NULL, *part = NULL;
    unsigned char *keep = NULL;
    cz_volume **wv = calloc(s->n ? s->n : 1, sizeof *wv);
    double inv[3][3];
    if (!wv) return CZ_FAIL(CZ_ENOMEM, "cannot allocate object volumes");
    if (s->has_cell) m3_inverse(CZ_CROWS(s->cell), inv);
    for (size_t i = 0; i < s->n && st == CZ_OK; i++) {
        st = world_volume(s, &s->obj[i], &wv[i]);
        if (st == CZ_OK && s->obj[i].lattice && !cz_volume_is_bounded(wv[i]))
            st = CZ_FAIL(CZ_EINVAL,
                         "object %zu is unbounded and the scene has no cell to clip it", i);
    }
    cz_volume *cellbox = NULL;
    if (st == CZ_OK && s->has_cell) {
        const double zero[3] = {0, 0, 0};
        st = cz_volume_box(zero, CZ_CROWS(s->cell), &cellbox);
    }
    if (st == CZ_OK) st = cz_atoms_create(0, &all);
    for (size_t i = 0; i < s->n && st == CZ_OK; i++) {
        const object *ob = &s->obj[i];
        int oid = ob->opts.object_id > 0 ? ob->opts.object_id : (int)i + 1;
        int gid = ob->opts.grain_id >= 0 ? ob->opts.grain_id : oid;
        if (ob->lattice) {
            cz_fill_opts fo;
            cz_fill_opts_default(&fo);
            fo.lattice_tf = ob->lattice_tf;
            fo.max_atoms = po.max_atoms - all->n;
            fo.object_id = oid;
            fo.grain_id = gid;
            fo.class_id = ob->opts.class_id;
            fo.nthreads = po.nthreads;
            st = cz_fill_shape(ob->lattice, wv[i], &fo, &part);
            if (st == CZ_ERANGE)
                st = CZ_FAIL(CZ_ERANGE, "scene would exceed max_atoms = %zu (at object %zu)",
                             po.max_atoms, i);
        } else {
            /* Explicit atoms: move them, label them, keep those in the clip and the cell. */
            st = cz_atoms_copy(ob->atoms, &part);
            if (st == CZ_OK) {
                cz_transform_apply_n(&ob->lattice_tf, part->n, part->xyz);
                memset(part->cell, 0, sizeof part->cell);
                memset(part->pbc, 0, sizeof part->pbc);
                for (size_t a = 0; a < part->n; a++) {
                    part->object_id[a] = oid;
                    part->grain_id[a] = gid;
                    part->class_id[a] = ob->opts.class_id;
                }
            }
        }
        if (st != CZ_OK) break;
        free(keep);
        keep = malloc(part->n ? part->n : 1);
        if (!keep) {
            st = CZ_FAIL(CZ_ENOMEM, "cannot allocate %zu flags", part->n);
            break;
        }
        for (size_t a = 0; a < part->n; a++) {
            const double *x = part->xyz[a];
            int k = 1;
            if (!ob->lattice) {
                /* Crystal fills are already cut to their region and the cell. */
                if (wv[i] && !cz_volume_contains(wv[i], x)) k = 0;
                if (k && cellbox && !cz_volume_contains(cellbox, x)) k = 0;
            }
            /* Along periodic axes the cell is half-open: drop the face at fractional 1 so
             * that no atom and its periodic image are both kept. */
            if (s->has_cell) {
                double f[3];
                m3_tmulv(CZ_CROWS(inv), x, f);
                for (int m = 0; m < 3 && k; m++) {
                    if (!s->pbc[m]) continue;
                    double width = 1.0 / sqrt(inv[0][m] * inv[0][m] + inv[1][m] * inv[1][m] +
                                              inv[2][m] * inv[2][m]);
                    if (f[m] >= 1.0 - CZ_VOLUME_EPS / width) k = 0;
                }
            }
            for (size_t j = 0; j < s->n && k; j++)
                if (j != i && wv[j] && wins(s, j, i) && cz_volume_contains(wv[j], x)) k = 0;
            keep[a] = (unsigned char)k;
        }
        cz_atoms_filter(part, keep);
        if (part->n > po.max_atoms - all->n) {
            st = CZ_FAIL(CZ_ERANGE, "scene would exceed max_atoms = %zu (at object %zu)",
                         po.max_atoms, i);
            break;
        }
        st = cz_atoms_append(all, part);
        cz_atoms_destroy(part);
        part = NULL;
    }
    if (st == CZ_OK && s->has_cell) {
        memcpy(all->cell, s->cell, sizeof all->cell);
        memcpy(all->pbc, s->pbc, sizeof all->pbc);
    }
    for (size_t i = 0; i < s->n; i++) cz_volume_destroy(wv[i]);
    free(wv);
    cz_volume_destroy(cellbox);
    free(keep);
    cz_atoms_destroy(part);
    if (st != CZ_OK) {
        cz_atoms_destroy(all);
        return st;
    }
    *out = all;
    return CZ_OK;
}
