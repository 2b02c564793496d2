/*
 * _cz.c — CPython bindings of libczcore: the extension module cz._cz.
 *
 * Every binding has the same four steps: validate and convert the Python arguments, call ONE
 * cz_ function with the GIL released, translate a failing cz_status into a Python exception
 * carrying cz_last_error(), and convert the outputs into Python objects. There is no geometry,
 * physics or default value here: options structs are initialised by the library's own
 * cz_*_opts_default() and only the arguments the caller actually gave (not None) override them.
 *
 * C objects live in PyCapsules whose destructors call the matching cz_*_destroy, so every object
 * is freed exactly once whatever path Python takes. Lattices and volumes are immutable after
 * creation and may be used from several threads at once; a scene is mutable, so its capsule
 * carries a lock that serialises every call on that scene.
 *
 * The cz error message is thread-local and the C work runs on the calling thread (only the GIL
 * is released), so reading cz_last_error() after reacquiring the GIL yields this call's message.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "cz/cz.h"

/* Capsule names: PyCapsule compares them with strcmp, so distinct kinds cannot be confused. */
static const char LATTICE_CAPSULE[] = "cz._cz.lattice";
static const char VOLUME_CAPSULE[] = "cz._cz.volume";
static const char SCENE_CAPSULE[] = "cz._cz.scene";

/* The C API takes `const double m[3][3]`; ISO C (before C2x) does not convert double (*)[3] to
 * const double (*)[3] implicitly, so the qualifier is added explicitly. */
#define CONST33(a) ((const double(*)[3])(a))

/* cz.CzError, the exception for every status other than EINVAL, ENOMEM and EIO. */
static PyObject *CzError = NULL;

/* Run `stmt` (a call into cz) without the GIL. The thread's previous message is cleared first so
 * that a failure always reports its own text. */
#define CZ_NOGIL(stmt)         \
    do {                       \
        Py_BEGIN_ALLOW_THREADS \
            cz_clear_error();  \
            stmt;              \
        Py_END_ALLOW_THREADS   \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */
/* ------------------------------------------------------------------------------------------ */

/* Raise the Python exception for `status` with the calling thread's cz message and return NULL.
 * The exception instance gets a `status` attribute holding the numeric cz_status. */
static PyObject *raise_status(cz_status status) {
    PyObject *type;
    switch (status) {
        case CZ_EINVAL: type = PyExc_ValueError; break;
        case CZ_ENOMEM: type = PyExc_MemoryError; break;
        case CZ_EIO: type = PyExc_OSError; break;
        default: type = CzError; break;
    }
    const char *text = cz_last_error();
    if (text == NULL || text[0] == '\0') text = cz_strerror(status);
    /* File names in messages need not be UTF-8; never let decoding hide the real error. */
    PyObject *msg = PyUnicode_DecodeUTF8(text, (Py_ssize_t)strlen(text), "replace");
    if (msg == NULL) return NULL;
    PyObject *exc = PyObject_CallOneArg(type, msg);
    Py_DECREF(msg);
    if (exc == NULL) return NULL;
    PyObject *code = PyLong_FromLong((long)status);
    if (code == NULL || PyObject_SetAttrString(exc, "status", code) < 0) {
        Py_XDECREF(code);
        Py_DECREF(exc);
        return NULL;
    }
    Py_DECREF(code);
    PyErr_SetObject(type, exc);
    Py_DECREF(exc);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Argument conversion                                                                         */
/* ------------------------------------------------------------------------------------------ */

/* Describe a shape such as (n, 3) into buf; a negative entry prints as "n". */
static void format_shape(char *buf, size_t size, int ndim, const npy_intp *dims) {
    size_t k = 0;
    int w = snprintf(buf, size, "(");
    if (w > 0) k = (size_t)w;
    for (int d = 0; d < ndim && k < size; d++) {
        if (dims[d] < 0)
            w = snprintf(buf + k, size - k, "%sn", d ? ", " : "");
        else
            w = snprintf(buf + k, size - k, "%s%ld", d ? ", " : "", (long)dims[d]);
        if (w > 0) k += (size_t)w;
    }
    if (k < size) snprintf(buf + k, size - k, ndim == 1 ? ",)" : ")");
}

/* Check that `a` has `ndim` dimensions matching `want` (negative = any length). On mismatch
 * raise ValueError naming the argument and return 0. */
static int check_shape(PyArrayObject *a, const char *name, int ndim, const npy_intp *want) {
    int ok = PyArray_NDIM(a) == ndim;
    for (int d = 0; ok && d < ndim; d++) ok = want[d] < 0 || PyArray_DIM(a, d) == want[d];
    if (ok) return 1;
    char expected[64], got[96];
    format_shape(expected, sizeof expected, ndim, want);
    int got_ndim = PyArray_NDIM(a) > 4 ? 4 : PyArray_NDIM(a);
    format_shape(got, sizeof got, got_ndim, PyArray_DIMS(a));
    PyErr_Format(PyExc_ValueError, "%s must have shape %s, got %s", name, expected, got);
    return 0;
}

/* C-contiguous float64 view or copy of `obj` with the given shape (d < 0: any length).
 * New reference, or NULL with an exception set. */
static PyArrayObject *double_array(PyObject *obj, const char *name, int ndim, npy_intp d0,
                                   npy_intp d1) {
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(obj, NPY_DOUBLE, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (a == NULL) return NULL;
    npy_intp want[2] = {d0, d1};
    if (!check_shape(a, name, ndim, want)) {
        Py_DECREF(a);
        return NULL;
    }
    return a;
}

/* Copy a length-3 vector into out. Returns 1, or 0 with an exception set. */
static int get_vec3(PyObject *obj, const char *name, double out[3]) {
    PyArrayObject *a = double_array(obj, name, 1, 3, 0);
    if (a == NULL) return 0;
    memcpy(out, PyArray_DATA(a), 3 * sizeof(double));
    Py_DECREF(a);
    return 1;
}

/* Copy a 3×3 matrix (rows) into out. Returns 1, or 0 with an exception set. */
static int get_mat33(PyObject *obj, const char *name, double out[3][3]) {
    PyArrayObject *a = double_array(obj, name, 2, 3, 3);
    if (a == NULL) return 0;
    memcpy(out, PyArray_DATA(a), 9 * sizeof(double));
    Py_DECREF(a);
    return 1;
}

/* Copy exactly three integers (Miller indices, zone axes) into out. */
static int get_int3(PyObject *obj, const char *name, int out[3]) {
    PyObject *seq = PySequence_Fast(obj, "");
    if (seq == NULL) {
        PyErr_Format(PyExc_TypeError, "%s must be a sequence of 3 integers", name);
        return 0;
    }
    if (PySequence_Fast_GET_SIZE(seq) != 3) {
        PyErr_Format(PyExc_ValueError, "%s must have 3 entries, got %zd", name,
                     PySequence_Fast_GET_SIZE(seq));
        Py_DECREF(seq);
        return 0;
    }
    for (Py_ssize_t k = 0; k < 3; k++) {
        int overflow = 0;
        long v = PyLong_AsLongAndOverflow(PySequence_Fast_GET_ITEM(seq, k), &overflow);
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return 0;
        }
        if (overflow || v < INT_MIN || v > INT_MAX) {
            PyErr_Format(PyExc_ValueError, "%s: entry %zd is out of range", name, k);
            Py_DECREF(seq);
            return 0;
        }
        out[k] = (int)v;
    }
    Py_DECREF(seq);
    return 1;
}

/* Three truth values (periodicity along a, b, c). */
static int get_pbc(PyObject *obj, int out[3]) {
    PyObject *seq = PySequence_Fast(obj, "pbc must be a sequence of 3 booleans");
    if (seq == NULL) return 0;
    if (PySequence_Fast_GET_SIZE(seq) != 3) {
        PyErr_Format(PyExc_ValueError, "pbc must have 3 entries, got %zd",
                     PySequence_Fast_GET_SIZE(seq));
        Py_DECREF(seq);
        return 0;
    }
    for (Py_ssize_t k = 0; k < 3; k++) {
        int v = PyObject_IsTrue(PySequence_Fast_GET_ITEM(seq, k));
        if (v < 0) {
            Py_DECREF(seq);
            return 0;
        }
        out[k] = v;
    }
    Py_DECREF(seq);
    return 1;
}

/* Integer array of C ints: a 1-D array of length *n (or any length when *n < 0 on entry; the
 * length is returned in *n). Returns a PyMem buffer the caller frees, or NULL with an exception
 * set. Values are range-checked rather than silently truncated. */
static int *int_buffer(PyObject *obj, const char *name, npy_intp *n) {
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(obj, NPY_INT64, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (a == NULL) return NULL;
    npy_intp want[1] = {*n};
    if (!check_shape(a, name, 1, want)) {
        Py_DECREF(a);
        return NULL;
    }
    npy_intp len = PyArray_DIM(a, 0);
    int *buf = PyMem_Malloc((size_t)(len > 0 ? len : 1) * sizeof(int));
    if (buf == NULL) {
        Py_DECREF(a);
        PyErr_NoMemory();
        return NULL;
    }
    const int64_t *src = PyArray_DATA(a);
    for (npy_intp i = 0; i < len; i++) {
        if (src[i] < INT_MIN || src[i] > INT_MAX) {
            PyErr_Format(PyExc_ValueError, "%s[%ld] = %lld is out of range", name, (long)i,
                         (long long)src[i]);
            PyMem_Free(buf);
            Py_DECREF(a);
            return NULL;
        }
        buf[i] = (int)src[i];
    }
    Py_DECREF(a);
    *n = len;
    return buf;
}

/* A transform given as the pair (m, t): m the 3×3 linear part acting on column vectors, t the
 * translation in Å. */
static int get_transform(PyObject *obj, cz_transform *tf) {
    PyObject *seq = PySequence_Fast(obj, "a transform must be a pair (m, t)");
    if (seq == NULL) return 0;
    int ok = PySequence_Fast_GET_SIZE(seq) == 2;
    if (!ok)
        PyErr_SetString(PyExc_ValueError, "a transform must be a pair (m, t)");
    else
        ok = get_mat33(PySequence_Fast_GET_ITEM(seq, 0), "transform m", tf->m) &&
             get_vec3(PySequence_Fast_GET_ITEM(seq, 1), "transform t", tf->t);
    Py_DECREF(seq);
    return ok;
}

/* Optional scalars: leave *out untouched (the library default) when obj is NULL or None. */
static int opt_double(PyObject *obj, double *out) {
    if (obj == NULL || obj == Py_None) return 1;
    double v = PyFloat_AsDouble(obj);
    if (v == -1.0 && PyErr_Occurred()) return 0;
    *out = v;
    return 1;
}

static int opt_int(PyObject *obj, const char *name, int *out) {
    if (obj == NULL || obj == Py_None) return 1;
    int overflow = 0;
    long v = PyLong_AsLongAndOverflow(obj, &overflow);
    if (v == -1 && PyErr_Occurred()) return 0;
    if (overflow || v < INT_MIN || v > INT_MAX) {
        PyErr_Format(PyExc_ValueError, "%s is out of range", name);
        return 0;
    }
    *out = (int)v;
    return 1;
}

static int opt_size(PyObject *obj, const char *name, size_t *out) {
    if (obj == NULL || obj == Py_None) return 1;
    PyObject *num = PyNumber_Index(obj);
    if (num == NULL) return 0;
    if (PyLong_AsLong(num) < 0 && !PyErr_Occurred()) {
        PyErr_Format(PyExc_ValueError, "%s must be >= 0 (got %S)", name, num);
        Py_DECREF(num);
        return 0;
    }
    PyErr_Clear(); /* a huge value overflows long; PyLong_AsSize_t below judges it */
    size_t v = PyLong_AsSize_t(num);
    Py_DECREF(num);
    if (v == (size_t)-1 && PyErr_Occurred()) return 0;
    *out = v;
    return 1;
}

/* Unsigned 64-bit integer (seeds, streams, indices); negative values raise OverflowError. */
static int get_u64(PyObject *obj, void *out) {
    PyObject *num = PyNumber_Index(obj);
    if (num == NULL) return 0;
    unsigned long long v = PyLong_AsUnsignedLongLong(num);
    Py_DECREF(num);
    if (v == (unsigned long long)-1 && PyErr_Occurred()) return 0;
    *(uint64_t *)out = (uint64_t)v;
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Capsules                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static void lattice_capsule_free(PyObject *cap) {
    cz_lattice_destroy(PyCapsule_GetPointer(cap, LATTICE_CAPSULE));
}

static void volume_capsule_free(PyObject *cap) {
    cz_volume_destroy(PyCapsule_GetPointer(cap, VOLUME_CAPSULE));
}

static void scene_capsule_free(PyObject *cap) {
    cz_scene_destroy(PyCapsule_GetPointer(cap, SCENE_CAPSULE));
    PyThread_type_lock lock = PyCapsule_GetContext(cap);
    if (lock != NULL) PyThread_free_lock(lock);
}

/* Wrap a new lattice; destroys it if the capsule cannot be made. */
static PyObject *wrap_lattice(cz_lattice *lattice) {
    PyObject *cap = PyCapsule_New(lattice, LATTICE_CAPSULE, lattice_capsule_free);
    if (cap == NULL) cz_lattice_destroy(lattice);
    return cap;
}

static PyObject *wrap_volume(cz_volume *volume) {
    PyObject *cap = PyCapsule_New(volume, VOLUME_CAPSULE, volume_capsule_free);
    if (cap == NULL) cz_volume_destroy(volume);
    return cap;
}

static const cz_lattice *get_lattice(PyObject *obj) {
    if (!PyCapsule_IsValid(obj, LATTICE_CAPSULE)) {
        PyErr_Format(PyExc_TypeError, "expected a cz lattice handle, got %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return PyCapsule_GetPointer(obj, LATTICE_CAPSULE);
}

static const cz_volume *get_volume(PyObject *obj) {
    if (!PyCapsule_IsValid(obj, VOLUME_CAPSULE)) {
        PyErr_Format(PyExc_TypeError, "expected a cz volume handle, got %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return PyCapsule_GetPointer(obj, VOLUME_CAPSULE);
}

static cz_scene *get_scene(PyObject *obj, PyThread_type_lock *lock) {
    if (!PyCapsule_IsValid(obj, SCENE_CAPSULE)) {
        PyErr_Format(PyExc_TypeError, "expected a cz scene handle, got %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    *lock = PyCapsule_GetContext(obj);
    return PyCapsule_GetPointer(obj, SCENE_CAPSULE);
}

/* Like CZ_NOGIL, holding the scene's lock: scenes are mutable and calls on one scene from
 * several Python threads must not interleave. The lock is taken without the GIL so a thread
 * waiting for it never blocks the interpreter. */
#define CZ_NOGIL_LOCKED(lock, stmt)                   \
    do {                                              \
        Py_BEGIN_ALLOW_THREADS                        \
            PyThread_acquire_lock((lock), WAIT_LOCK); \
            cz_clear_error();                         \
            stmt;                                     \
            PyThread_release_lock(lock);              \
        Py_END_ALLOW_THREADS                          \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Output conversion                                                                           */
/* ------------------------------------------------------------------------------------------ */

/* dict[key] = value, stealing value. Returns 0 on success, -1 with an exception set. */
static int dict_put(PyObject *dict, const char *key, PyObject *value) {
    if (value == NULL) return -1;
    int rc = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return rc;
}

static PyObject *new_double_array(int ndim, npy_intp d0, npy_intp d1) {
    npy_intp dims[2] = {d0, d1};
    return PyArray_SimpleNew(ndim, dims, NPY_DOUBLE);
}

static PyObject *vec3_array(const double v[3]) {
    PyObject *a = new_double_array(1, 3, 0);
    if (a != NULL) memcpy(PyArray_DATA((PyArrayObject *)a), v, 3 * sizeof(double));
    return a;
}

static PyObject *mat33_array(const double (*m)[3]) {
    PyObject *a = new_double_array(2, 3, 3);
    if (a != NULL) memcpy(PyArray_DATA((PyArrayObject *)a), m, 9 * sizeof(double));
    return a;
}

static PyObject *transform_tuple(const cz_transform *tf) {
    PyObject *m = mat33_array(CONST33(tf->m));
    PyObject *t = vec3_array(tf->t);
    if (m == NULL || t == NULL) {
        Py_XDECREF(m);
        Py_XDECREF(t);
        return NULL;
    }
    return Py_BuildValue("(NN)", m, t);
}

/* Convert a cz_atoms into a dict of numpy arrays and destroy it (on every path): positions
 * (n, 3) float64 Å, numbers / object_id / grain_id / class_id (n,) int64, cell (3, 3) float64
 * (rows a, b, c), pbc (3,) bool. */
static PyObject *atoms_to_dict(cz_atoms *atoms) {
    npy_intp n = (npy_intp)atoms->n;
    npy_intp dn[1] = {n}, d3[1] = {3};
    PyArrayObject *pos = (PyArrayObject *)new_double_array(2, n, 3);
    PyArrayObject *ints[4] = {NULL, NULL, NULL, NULL};
    for (int k = 0; k < 4; k++) ints[k] = (PyArrayObject *)PyArray_SimpleNew(1, dn, NPY_INT64);
    PyArrayObject *pbc = (PyArrayObject *)PyArray_SimpleNew(1, d3, NPY_BOOL);
    PyObject *cell = mat33_array(CONST33(atoms->cell));
    PyObject *dict = PyDict_New();
    int ok = pos && ints[0] && ints[1] && ints[2] && ints[3] && pbc && cell && dict;
    if (ok) {
        /* Large structures: copy without holding the interpreter. */
        Py_BEGIN_ALLOW_THREADS
            if (n > 0) memcpy(PyArray_DATA(pos), atoms->xyz, (size_t)n * 3 * sizeof(double));
            const int *src[4] = {atoms->z, atoms->object_id, atoms->grain_id, atoms->class_id};
            for (int k = 0; k < 4; k++) {
                int64_t *dst = PyArray_DATA(ints[k]);
                for (npy_intp i = 0; i < n; i++) dst[i] = src[k][i];
            }
            npy_bool *p = PyArray_DATA(pbc);
            for (int k = 0; k < 3; k++) p[k] = atoms->pbc[k] ? NPY_TRUE : NPY_FALSE;
        Py_END_ALLOW_THREADS
    }
    cz_atoms_destroy(atoms);
    if (!ok) {
        Py_XDECREF(pos);
        for (int k = 0; k < 4; k++) Py_XDECREF(ints[k]);
        Py_XDECREF(pbc);
        Py_XDECREF(cell);
        Py_XDECREF(dict);
        return NULL;
    }
    /* Every value is handed over exactly once: stored (dict_put steals it) while all goes
     * well, released after the first failure. */
    static const char *names[7] = {"positions", "numbers", "object_id", "grain_id",
                                   "class_id",  "cell",    "pbc"};
    PyObject *values[7] = {(PyObject *)pos,     (PyObject *)ints[0], (PyObject *)ints[1],
                           (PyObject *)ints[2], (PyObject *)ints[3], cell,
                           (PyObject *)pbc};
    for (int k = 0; k < 7; k++) {
        if (ok)
            ok = dict_put(dict, names[k], values[k]) == 0;
        else
            Py_DECREF(values[k]);
    }
    if (!ok) {
        Py_DECREF(dict);
        return NULL;
    }
    return dict;
}

/* ------------------------------------------------------------------------------------------ */
/* Library, errors, elements, random numbers                                                   */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_version(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    return PyUnicode_FromString(cz_version());
}

static PyObject *py_strerror(PyObject *Py_UNUSED(self), PyObject *args) {
    int status;
    if (!PyArg_ParseTuple(args, "i:strerror", &status)) return NULL;
    return PyUnicode_FromString(cz_strerror((cz_status)status));
}

static PyObject *py_element_symbol(PyObject *Py_UNUSED(self), PyObject *args) {
    int z;
    if (!PyArg_ParseTuple(args, "i:element_symbol", &z)) return NULL;
    const char *symbol = cz_element_symbol(z);
    if (symbol == NULL)
        return PyErr_Format(PyExc_ValueError,
                            "cz_element_symbol: atomic number must be in 1..%d (got %d)", CZ_MAX_Z,
                            z);
    return PyUnicode_FromString(symbol);
}

static PyObject *py_element_mass(PyObject *Py_UNUSED(self), PyObject *args) {
    int z;
    if (!PyArg_ParseTuple(args, "i:element_mass", &z)) return NULL;
    double mass = cz_element_mass(z);
    if (!(mass > 0.0))
        return PyErr_Format(PyExc_ValueError,
                            "cz_element_mass: atomic number must be in 1..%d (got %d)", CZ_MAX_Z,
                            z);
    return PyFloat_FromDouble(mass);
}

static PyObject *py_element_from_symbol(PyObject *Py_UNUSED(self), PyObject *args) {
    const char *symbol;
    int z = 0;
    cz_status st;
    if (!PyArg_ParseTuple(args, "s:element_from_symbol", &symbol)) return NULL;
    CZ_NOGIL(st = cz_element_from_symbol(symbol, &z));
    if (st != CZ_OK) return raise_status(st);
    return PyLong_FromLong(z);
}

static PyObject *py_rng_u64(PyObject *Py_UNUSED(self), PyObject *args) {
    uint64_t seed, stream, index, v;
    if (!PyArg_ParseTuple(args, "O&O&O&:rng_u64", get_u64, &seed, get_u64, &stream, get_u64,
                          &index))
        return NULL;
    CZ_NOGIL(v = cz_rng_u64(seed, stream, index));
    return PyLong_FromUnsignedLongLong((unsigned long long)v);
}

static PyObject *py_rng_uniform(PyObject *Py_UNUSED(self), PyObject *args) {
    uint64_t seed, stream, index;
    double v;
    if (!PyArg_ParseTuple(args, "O&O&O&:rng_uniform", get_u64, &seed, get_u64, &stream, get_u64,
                          &index))
        return NULL;
    CZ_NOGIL(v = cz_rng_uniform(seed, stream, index));
    return PyFloat_FromDouble(v);
}

static PyObject *py_rng_normal(PyObject *Py_UNUSED(self), PyObject *args) {
    uint64_t seed, stream, index;
    double v;
    if (!PyArg_ParseTuple(args, "O&O&O&:rng_normal", get_u64, &seed, get_u64, &stream, get_u64,
                          &index))
        return NULL;
    CZ_NOGIL(v = cz_rng_normal(seed, stream, index));
    return PyFloat_FromDouble(v);
}

static PyObject *py_rng_rotation(PyObject *Py_UNUSED(self), PyObject *args) {
    uint64_t seed, stream, index;
    double rot[3][3];
    if (!PyArg_ParseTuple(args, "O&O&O&:rng_rotation", get_u64, &seed, get_u64, &stream, get_u64,
                          &index))
        return NULL;
    CZ_NOGIL(cz_rng_rotation(seed, stream, index, rot));
    return mat33_array(CONST33(rot));
}

/* ------------------------------------------------------------------------------------------ */
/* Options defaults (so Python never hard-codes a default)                                     */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_fill_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_fill_opts o;
    cz_fill_opts_default(&o);
    return Py_BuildValue("{s:N,s:n,s:i,s:i,s:i,s:i}", "lattice_tf", transform_tuple(&o.lattice_tf),
                         "max_atoms", (Py_ssize_t)o.max_atoms, "object_id", o.object_id, "grain_id",
                         o.grain_id, "class_id", o.class_id, "nthreads", o.nthreads);
}

static PyObject *py_spacegroup_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_spacegroup_opts o;
    cz_spacegroup_opts_default(&o);
    return Py_BuildValue("{s:i,s:d,s:d}", "hall_number", o.hall_number, "symprec", o.symprec,
                         "metric_tol", o.metric_tol);
}

static PyObject *py_prototype_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_prototype_opts o;
    cz_prototype_opts_default(&o);
    return Py_BuildValue("{s:(iii),s:d,s:d,s:d}", "z", o.z[0], o.z[1], o.z[2], "a", o.a, "c", o.c,
                         "u", o.u);
}

static PyObject *py_object_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_object_opts o;
    cz_object_opts_default(&o);
    return Py_BuildValue("{s:i,s:i,s:i,s:i}", "priority", o.priority, "class_id", o.class_id,
                         "grain_id", o.grain_id, "object_id", o.object_id);
}

static PyObject *py_populate_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_populate_opts o;
    cz_populate_opts_default(&o);
    return Py_BuildValue("{s:n,s:i}", "max_atoms", (Py_ssize_t)o.max_atoms, "nthreads", o.nthreads);
}

static PyObject *py_write_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_write_opts o;
    cz_write_opts_default(&o);
    return Py_BuildValue("{s:i,s:d,s:d,s:d,s:z}", "format", (int)o.format, "u_rms", o.u_rms,
                         "occupancy", o.occupancy, "padding", o.padding, "comment", o.comment);
}

/* ------------------------------------------------------------------------------------------ */
/* Cells and lattices                                                                          */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_cell_from_parameters(PyObject *Py_UNUSED(self), PyObject *args) {
    double a, b, c, alpha, beta, gamma, cell[3][3];
    cz_status st;
    if (!PyArg_ParseTuple(args, "dddddd:cell_from_parameters", &a, &b, &c, &alpha, &beta, &gamma))
        return NULL;
    CZ_NOGIL(st = cz_cell_from_parameters(a, b, c, alpha, beta, gamma, cell));
    if (st != CZ_OK) return raise_status(st);
    return mat33_array(CONST33(cell));
}

static PyObject *py_cell_volume(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cell_obj;
    double cell[3][3], v;
    if (!PyArg_ParseTuple(args, "O:cell_volume", &cell_obj)) return NULL;
    if (!get_mat33(cell_obj, "cell", cell)) return NULL;
    CZ_NOGIL(v = cz_cell_volume(CONST33(cell)));
    return PyFloat_FromDouble(v);
}

/* Shared input of lattice_create and lattice_from_spacegroup: cell (3, 3), frac (n, 3), z (n,). */
typedef struct basis_args {
    double cell[3][3];
    PyArrayObject *frac;
    int *z;
    npy_intp n;
} basis_args;

static int get_basis(PyObject *cell, PyObject *frac, PyObject *z, basis_args *out) {
    out->frac = NULL;
    out->z = NULL;
    if (!get_mat33(cell, "cell", out->cell)) return 0;
    out->frac = double_array(frac, "frac", 2, -1, 3);
    if (out->frac == NULL) return 0;
    out->n = PyArray_DIM(out->frac, 0);
    out->z = int_buffer(z, "z", &out->n);
    if (out->z == NULL) {
        Py_CLEAR(out->frac);
        return 0;
    }
    return 1;
}

static void free_basis(basis_args *b) {
    Py_XDECREF(b->frac);
    PyMem_Free(b->z);
}

static PyObject *py_lattice_create(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"cell", "frac", "z", NULL};
    PyObject *cell, *frac, *z;
    basis_args b;
    cz_lattice *lattice = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO:lattice_create", kwlist, &cell, &frac, &z))
        return NULL;
    if (!get_basis(cell, frac, z, &b)) return NULL;
    const double(*fp)[3] = CONST33(PyArray_DATA(b.frac));
    CZ_NOGIL(st = cz_lattice_create(CONST33(b.cell), (size_t)b.n, fp, b.z, &lattice));
    free_basis(&b);
    if (st != CZ_OK) return raise_status(st);
    return wrap_lattice(lattice);
}

static PyObject *py_lattice_prototype(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"name", "z", "a", "c", "u", NULL};
    const char *name;
    PyObject *zs, *a = NULL, *c = NULL, *u = NULL;
    cz_prototype_opts o;
    cz_lattice *lattice = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "sOO|OO:lattice_prototype", kwlist, &name, &zs, &a,
                                     &c, &u))
        return NULL;
    cz_prototype_opts_default(&o);
    npy_intp n = -1;
    int *z = int_buffer(zs, "z", &n);
    if (z == NULL) return NULL;
    if (n > 3) {
        PyMem_Free(z);
        return PyErr_Format(PyExc_ValueError, "z: at most 3 species, got %ld", (long)n);
    }
    for (npy_intp i = 0; i < n; i++) o.z[i] = z[i];
    PyMem_Free(z);
    if (!opt_double(a, &o.a) || !opt_double(c, &o.c) || !opt_double(u, &o.u)) return NULL;
    CZ_NOGIL(st = cz_lattice_prototype(name, &o, &lattice));
    if (st != CZ_OK) return raise_status(st);
    return wrap_lattice(lattice);
}

static PyObject *py_lattice_from_spacegroup(PyObject *Py_UNUSED(self), PyObject *args,
                                            PyObject *kw) {
    static char *kwlist[] = {"number",      "cell",    "frac",       "z",
                             "hall_number", "symprec", "metric_tol", NULL};
    int number;
    PyObject *cell, *frac, *z, *hall = NULL, *symprec = NULL, *metric_tol = NULL;
    cz_spacegroup_opts o;
    basis_args b;
    cz_lattice *lattice = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "iOOO|OOO:lattice_from_spacegroup", kwlist, &number,
                                     &cell, &frac, &z, &hall, &symprec, &metric_tol))
        return NULL;
    cz_spacegroup_opts_default(&o);
    if (!opt_int(hall, "hall_number", &o.hall_number) || !opt_double(symprec, &o.symprec) ||
        !opt_double(metric_tol, &o.metric_tol))
        return NULL;
    if (!get_basis(cell, frac, z, &b)) return NULL;
    const double(*fp)[3] = CONST33(PyArray_DATA(b.frac));
    CZ_NOGIL(st = cz_lattice_from_spacegroup(number, CONST33(b.cell), (size_t)b.n, fp, b.z, &o,
                                             &lattice));
    free_basis(&b);
    if (st != CZ_OK) return raise_status(st);
    return wrap_lattice(lattice);
}

/* (cell (3, 3), frac (n, 3), z (n,) int64) of a lattice: plain copies of the struct's fields. */
static PyObject *py_lattice_data(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O:lattice_data", &cap)) return NULL;
    const cz_lattice *lat = get_lattice(cap);
    if (lat == NULL) return NULL;
    npy_intp n = (npy_intp)lat->nbasis;
    PyObject *cell = mat33_array(CONST33(lat->cell));
    PyObject *frac = new_double_array(2, n, 3);
    PyObject *z = PyArray_SimpleNew(1, &n, NPY_INT64);
    if (cell == NULL || frac == NULL || z == NULL) {
        Py_XDECREF(cell);
        Py_XDECREF(frac);
        Py_XDECREF(z);
        return NULL;
    }
    memcpy(PyArray_DATA((PyArrayObject *)frac), lat->frac, (size_t)n * 3 * sizeof(double));
    int64_t *zd = PyArray_DATA((PyArrayObject *)z);
    for (npy_intp i = 0; i < n; i++) zd[i] = lat->z[i];
    return Py_BuildValue("(NNN)", cell, frac, z);
}

static PyObject *py_lattice_plane(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *hkl_obj;
    int hkl[3];
    double d = 0.0, normal[3];
    cz_status st;
    if (!PyArg_ParseTuple(args, "OO:lattice_plane", &cap, &hkl_obj)) return NULL;
    const cz_lattice *lat = get_lattice(cap);
    if (lat == NULL || !get_int3(hkl_obj, "hkl", hkl)) return NULL;
    CZ_NOGIL(st = cz_lattice_plane(lat, hkl, &d, normal));
    if (st != CZ_OK) return raise_status(st);
    return Py_BuildValue("(dN)", d, vec3_array(normal));
}

/* ------------------------------------------------------------------------------------------ */
/* Transforms: passed between Python and C as the pair (m (3, 3), t (3,))                      */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_transform_identity(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_transform tf;
    CZ_NOGIL(cz_transform_identity(&tf));
    return transform_tuple(&tf);
}

static PyObject *py_transform_translation(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *v_obj;
    double v[3];
    cz_transform tf;
    cz_status st;
    if (!PyArg_ParseTuple(args, "O:transform_translation", &v_obj)) return NULL;
    if (!get_vec3(v_obj, "vector", v)) return NULL;
    CZ_NOGIL(st = cz_transform_translation(v, &tf));
    if (st != CZ_OK) return raise_status(st);
    return transform_tuple(&tf);
}

static PyObject *py_transform_matrix(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"m", "t", "require_orthogonal", NULL};
    PyObject *m_obj, *t_obj;
    int orthogonal = 0;
    double m[3][3], t[3];
    cz_transform tf;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|p:transform_matrix", kwlist, &m_obj, &t_obj,
                                     &orthogonal))
        return NULL;
    if (!get_mat33(m_obj, "m", m) || !get_vec3(t_obj, "t", t)) return NULL;
    CZ_NOGIL(st = cz_transform_matrix(CONST33(m), t, orthogonal, &tf));
    if (st != CZ_OK) return raise_status(st);
    return transform_tuple(&tf);
}

static PyObject *py_transform_axis_angle(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *axis_obj, *center_obj;
    double axis[3], center[3], angle_deg;
    cz_transform tf;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OdO:transform_axis_angle", &axis_obj, &angle_deg, &center_obj))
        return NULL;
    if (!get_vec3(axis_obj, "axis", axis) || !get_vec3(center_obj, "center", center)) return NULL;
    CZ_NOGIL(st = cz_transform_axis_angle(axis, angle_deg, center, &tf));
    if (st != CZ_OK) return raise_status(st);
    return transform_tuple(&tf);
}

static PyObject *py_transform_euler(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *center_obj;
    double phi, theta, psi, center[3];
    cz_transform tf;
    cz_status st;
    if (!PyArg_ParseTuple(args, "dddO:transform_euler", &phi, &theta, &psi, &center_obj))
        return NULL;
    if (!get_vec3(center_obj, "center", center)) return NULL;
    CZ_NOGIL(st = cz_transform_euler(phi, theta, psi, center, &tf));
    if (st != CZ_OK) return raise_status(st);
    return transform_tuple(&tf);
}

static PyObject *py_transform_zone_axis(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *uvw_obj, *center_obj;
    int uvw[3];
    double inplane_deg, center[3];
    cz_transform tf;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OOdO:transform_zone_axis", &cap, &uvw_obj, &inplane_deg,
                          &center_obj))
        return NULL;
    const cz_lattice *lat = get_lattice(cap);
    if (lat == NULL || !get_int3(uvw_obj, "uvw", uvw) || !get_vec3(center_obj, "center", center))
        return NULL;
    CZ_NOGIL(st = cz_transform_zone_axis(lat, uvw, inplane_deg, center, &tf));
    if (st != CZ_OK) return raise_status(st);
    return transform_tuple(&tf);
}

static PyObject *py_transform_reflection(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *normal_obj, *point_obj;
    double normal[3], point[3];
    cz_transform tf;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OO:transform_reflection", &normal_obj, &point_obj)) return NULL;
    if (!get_vec3(normal_obj, "normal", normal) || !get_vec3(point_obj, "point", point))
        return NULL;
    CZ_NOGIL(st = cz_transform_reflection(normal, point, &tf));
    if (st != CZ_OK) return raise_status(st);
    return transform_tuple(&tf);
}

static PyObject *py_transform_inversion(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *center_obj;
    double center[3];
    cz_transform tf;
    cz_status st;
    if (!PyArg_ParseTuple(args, "O:transform_inversion", &center_obj)) return NULL;
    if (!get_vec3(center_obj, "center", center)) return NULL;
    CZ_NOGIL(st = cz_transform_inversion(center, &tf));
    if (st != CZ_OK) return raise_status(st);
    return transform_tuple(&tf);
}

static PyObject *py_transform_compose(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *first_obj, *second_obj;
    cz_transform first, second, out;
    if (!PyArg_ParseTuple(args, "OO:transform_compose", &first_obj, &second_obj)) return NULL;
    if (!get_transform(first_obj, &first) || !get_transform(second_obj, &second)) return NULL;
    CZ_NOGIL(cz_transform_compose(&first, &second, &out));
    return transform_tuple(&out);
}

static PyObject *py_transform_invert(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *tf_obj;
    cz_transform tf, out;
    cz_status st;
    if (!PyArg_ParseTuple(args, "O:transform_invert", &tf_obj)) return NULL;
    if (!get_transform(tf_obj, &tf)) return NULL;
    CZ_NOGIL(st = cz_transform_invert(&tf, &out));
    if (st != CZ_OK) return raise_status(st);
    return transform_tuple(&out);
}

/* New (n, 3) array tf(points); the input is never modified. */
static PyObject *py_transform_apply(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *tf_obj, *points_obj;
    cz_transform tf;
    if (!PyArg_ParseTuple(args, "OO:transform_apply", &tf_obj, &points_obj)) return NULL;
    if (!get_transform(tf_obj, &tf)) return NULL;
    PyArrayObject *pts = (PyArrayObject *)PyArray_FROMANY(points_obj, NPY_DOUBLE, 0, 0,
                                                          NPY_ARRAY_CARRAY | NPY_ARRAY_ENSURECOPY);
    if (pts == NULL) return NULL;
    npy_intp want[2] = {-1, 3};
    if (!check_shape(pts, "points", 2, want)) {
        Py_DECREF(pts);
        return NULL;
    }
    size_t n = (size_t)PyArray_DIM(pts, 0);
    double(*xyz)[3] = (double(*)[3])PyArray_DATA(pts);
    CZ_NOGIL(cz_transform_apply_n(&tf, n, xyz));
    return (PyObject *)pts;
}

/* ------------------------------------------------------------------------------------------ */
/* Volumes                                                                                     */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_volume_sphere(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *center_obj;
    double center[3], radius;
    cz_volume *v = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "Od:volume_sphere", &center_obj, &radius)) return NULL;
    if (!get_vec3(center_obj, "center", center)) return NULL;
    CZ_NOGIL(st = cz_volume_sphere(center, radius, &v));
    if (st != CZ_OK) return raise_status(st);
    return wrap_volume(v);
}

static PyObject *py_volume_halfspace(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *normal_obj, *point_obj;
    double normal[3], point[3];
    cz_volume *v = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OO:volume_halfspace", &normal_obj, &point_obj)) return NULL;
    if (!get_vec3(normal_obj, "normal", normal) || !get_vec3(point_obj, "point", point))
        return NULL;
    CZ_NOGIL(st = cz_volume_halfspace(normal, point, &v));
    if (st != CZ_OK) return raise_status(st);
    return wrap_volume(v);
}

static PyObject *py_volume_miller(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *hkl_obj;
    int hkl[3], snap;
    double distance;
    cz_volume *v = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OOdp:volume_miller", &cap, &hkl_obj, &distance, &snap))
        return NULL;
    const cz_lattice *lat = get_lattice(cap);
    if (lat == NULL || !get_int3(hkl_obj, "hkl", hkl)) return NULL;
    CZ_NOGIL(st = cz_volume_miller(lat, hkl, distance, snap, &v));
    if (st != CZ_OK) return raise_status(st);
    return wrap_volume(v);
}

static PyObject *py_volume_cylinder(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *center_obj, *axis_obj;
    double center[3], axis[3], radius, length;
    cz_volume *v = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OOdd:volume_cylinder", &center_obj, &axis_obj, &radius, &length))
        return NULL;
    if (!get_vec3(center_obj, "center", center) || !get_vec3(axis_obj, "axis", axis)) return NULL;
    CZ_NOGIL(st = cz_volume_cylinder(center, axis, radius, length, &v));
    if (st != CZ_OK) return raise_status(st);
    return wrap_volume(v);
}

static PyObject *py_volume_box(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *origin_obj, *edges_obj;
    double origin[3], edges[3][3];
    cz_volume *v = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OO:volume_box", &origin_obj, &edges_obj)) return NULL;
    if (!get_vec3(origin_obj, "origin", origin) || !get_mat33(edges_obj, "edges", edges))
        return NULL;
    CZ_NOGIL(st = cz_volume_box(origin, CONST33(edges), &v));
    if (st != CZ_OK) return raise_status(st);
    return wrap_volume(v);
}

static PyObject *py_volume_polyhedron(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *normals_obj, *offsets_obj;
    cz_volume *v = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OO:volume_polyhedron", &normals_obj, &offsets_obj)) return NULL;
    PyArrayObject *normals = double_array(normals_obj, "normals", 2, -1, 3);
    if (normals == NULL) return NULL;
    PyArrayObject *offsets = double_array(offsets_obj, "offsets", 1, PyArray_DIM(normals, 0), 0);
    if (offsets == NULL) {
        Py_DECREF(normals);
        return NULL;
    }
    size_t n = (size_t)PyArray_DIM(normals, 0);
    const double(*np_)[3] = CONST33(PyArray_DATA(normals));
    const double *op = PyArray_DATA(offsets);
    CZ_NOGIL(st = cz_volume_polyhedron(n, np_, op, &v));
    Py_DECREF(normals);
    Py_DECREF(offsets);
    if (st != CZ_OK) return raise_status(st);
    return wrap_volume(v);
}

static PyObject *py_volume_hull(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *points_obj;
    cz_volume *v = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "O:volume_hull", &points_obj)) return NULL;
    PyArrayObject *points = double_array(points_obj, "points", 2, -1, 3);
    if (points == NULL) return NULL;
    size_t n = (size_t)PyArray_DIM(points, 0);
    const double(*pp)[3] = CONST33(PyArray_DATA(points));
    CZ_NOGIL(st = cz_volume_hull(n, pp, &v));
    Py_DECREF(points);
    if (st != CZ_OK) return raise_status(st);
    return wrap_volume(v);
}

typedef cz_status (*volume_binary_fn)(const cz_volume *, const cz_volume *, cz_volume **);

static PyObject *volume_binary(PyObject *args, const char *format, volume_binary_fn fn) {
    PyObject *a_obj, *b_obj;
    cz_volume *v = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, format, &a_obj, &b_obj)) return NULL;
    const cz_volume *a = get_volume(a_obj);
    const cz_volume *b = a ? get_volume(b_obj) : NULL;
    if (b == NULL) return NULL;
    CZ_NOGIL(st = fn(a, b, &v));
    if (st != CZ_OK) return raise_status(st);
    return wrap_volume(v);
}

static PyObject *py_volume_intersection(PyObject *Py_UNUSED(self), PyObject *args) {
    return volume_binary(args, "OO:volume_intersection", cz_volume_intersection);
}

static PyObject *py_volume_union(PyObject *Py_UNUSED(self), PyObject *args) {
    return volume_binary(args, "OO:volume_union", cz_volume_union);
}

static PyObject *py_volume_difference(PyObject *Py_UNUSED(self), PyObject *args) {
    return volume_binary(args, "OO:volume_difference", cz_volume_difference);
}

static PyObject *py_volume_transform(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *v_obj, *tf_obj;
    cz_transform tf;
    cz_volume *v = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OO:volume_transform", &v_obj, &tf_obj)) return NULL;
    const cz_volume *src = get_volume(v_obj);
    if (src == NULL || !get_transform(tf_obj, &tf)) return NULL;
    CZ_NOGIL(st = cz_volume_transform(src, &tf, &v));
    if (st != CZ_OK) return raise_status(st);
    return wrap_volume(v);
}

/* (n,) bool array: cz_volume_contains for every row of an (n, 3) array. */
static PyObject *py_volume_contains(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *v_obj, *points_obj;
    if (!PyArg_ParseTuple(args, "OO:volume_contains", &v_obj, &points_obj)) return NULL;
    const cz_volume *v = get_volume(v_obj);
    if (v == NULL) return NULL;
    PyArrayObject *points = double_array(points_obj, "points", 2, -1, 3);
    if (points == NULL) return NULL;
    npy_intp n = PyArray_DIM(points, 0);
    PyArrayObject *out = (PyArrayObject *)PyArray_SimpleNew(1, &n, NPY_BOOL);
    if (out == NULL) {
        Py_DECREF(points);
        return NULL;
    }
    const double(*xyz)[3] = CONST33(PyArray_DATA(points));
    npy_bool *inside = PyArray_DATA(out);
    Py_BEGIN_ALLOW_THREADS
        for (npy_intp i = 0; i < n; i++)
            inside[i] = cz_volume_contains(v, xyz[i]) ? NPY_TRUE : NPY_FALSE;
    Py_END_ALLOW_THREADS
    Py_DECREF(points);
    return (PyObject *)out;
}

static PyObject *py_volume_bbox(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *v_obj;
    double lo[3], hi[3];
    cz_status st;
    if (!PyArg_ParseTuple(args, "O:volume_bbox", &v_obj)) return NULL;
    const cz_volume *v = get_volume(v_obj);
    if (v == NULL) return NULL;
    CZ_NOGIL(st = cz_volume_bbox(v, lo, hi));
    if (st != CZ_OK) return raise_status(st);
    return Py_BuildValue("(NN)", vec3_array(lo), vec3_array(hi));
}

static PyObject *py_volume_support(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *v_obj, *u_obj;
    double u[3], h;
    if (!PyArg_ParseTuple(args, "OO:volume_support", &v_obj, &u_obj)) return NULL;
    const cz_volume *v = get_volume(v_obj);
    if (v == NULL || !get_vec3(u_obj, "direction", u)) return NULL;
    CZ_NOGIL(h = cz_volume_support(v, u));
    return PyFloat_FromDouble(h);
}

static PyObject *py_volume_is_bounded(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *v_obj;
    int bounded;
    if (!PyArg_ParseTuple(args, "O:volume_is_bounded", &v_obj)) return NULL;
    const cz_volume *v = get_volume(v_obj);
    if (v == NULL) return NULL;
    CZ_NOGIL(bounded = cz_volume_is_bounded(v));
    return PyBool_FromLong(bounded);
}

/* ------------------------------------------------------------------------------------------ */
/* Fill                                                                                        */
/* ------------------------------------------------------------------------------------------ */

/* Shared arguments of fill_count and fill_shape; None keeps cz_fill_opts_default's value. */
static int get_fill_opts(PyObject *tf, PyObject *max_atoms, PyObject *object_id, PyObject *grain_id,
                         PyObject *class_id, PyObject *nthreads, cz_fill_opts *o) {
    cz_fill_opts_default(o);
    if (tf != NULL && tf != Py_None && !get_transform(tf, &o->lattice_tf)) return 0;
    return opt_size(max_atoms, "max_atoms", &o->max_atoms) &&
           opt_int(object_id, "object_id", &o->object_id) &&
           opt_int(grain_id, "grain_id", &o->grain_id) &&
           opt_int(class_id, "class_id", &o->class_id) &&
           opt_int(nthreads, "nthreads", &o->nthreads);
}

static char *fill_kwlist[] = {"lattice",  "volume",   "lattice_tf", "max_atoms", "object_id",
                              "grain_id", "class_id", "nthreads",   NULL};

static PyObject *py_fill_count(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    PyObject *lat_obj, *vol_obj, *tf = NULL, *max_atoms = NULL, *object_id = NULL, *grain_id = NULL,
                                 *class_id = NULL, *nthreads = NULL;
    cz_fill_opts o;
    size_t count = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOOOOO:fill_count", fill_kwlist, &lat_obj,
                                     &vol_obj, &tf, &max_atoms, &object_id, &grain_id, &class_id,
                                     &nthreads))
        return NULL;
    const cz_lattice *lat = get_lattice(lat_obj);
    const cz_volume *vol = lat ? get_volume(vol_obj) : NULL;
    if (vol == NULL) return NULL;
    if (!get_fill_opts(tf, max_atoms, object_id, grain_id, class_id, nthreads, &o)) return NULL;
    CZ_NOGIL(st = cz_fill_count(lat, vol, &o, &count));
    if (st != CZ_OK) return raise_status(st);
    return PyLong_FromSize_t(count);
}

static PyObject *py_fill_shape(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    PyObject *lat_obj, *vol_obj, *tf = NULL, *max_atoms = NULL, *object_id = NULL, *grain_id = NULL,
                                 *class_id = NULL, *nthreads = NULL;
    cz_fill_opts o;
    cz_atoms *atoms = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOOOOO:fill_shape", fill_kwlist, &lat_obj,
                                     &vol_obj, &tf, &max_atoms, &object_id, &grain_id, &class_id,
                                     &nthreads))
        return NULL;
    const cz_lattice *lat = get_lattice(lat_obj);
    const cz_volume *vol = lat ? get_volume(vol_obj) : NULL;
    if (vol == NULL) return NULL;
    if (!get_fill_opts(tf, max_atoms, object_id, grain_id, class_id, nthreads, &o)) return NULL;
    CZ_NOGIL(st = cz_fill_shape(lat, vol, &o, &atoms));
    if (st != CZ_OK) {
        cz_atoms_destroy(atoms); /* NULL by contract; harmless either way */
        return raise_status(st);
    }
    return atoms_to_dict(atoms);
}

/* ------------------------------------------------------------------------------------------ */
/* Scenes                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_scene_create(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_scene *scene = NULL;
    cz_status st;
    PyThread_type_lock lock = PyThread_allocate_lock();
    if (lock == NULL) return PyErr_NoMemory();
    CZ_NOGIL(st = cz_scene_create(&scene));
    if (st != CZ_OK) {
        PyThread_free_lock(lock);
        return raise_status(st);
    }
    PyObject *cap = PyCapsule_New(scene, SCENE_CAPSULE, NULL);
    if (cap == NULL) {
        PyThread_free_lock(lock);
        cz_scene_destroy(scene);
        return NULL;
    }
    /* The destructor is installed only once the context holds the lock it frees. */
    if (PyCapsule_SetContext(cap, lock) < 0 ||
        PyCapsule_SetDestructor(cap, scene_capsule_free) < 0) {
        PyThread_free_lock(lock);
        cz_scene_destroy(scene);
        PyCapsule_SetDestructor(cap, NULL);
        Py_DECREF(cap);
        return NULL;
    }
    return cap;
}

static PyObject *py_scene_set_cell(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *cell_obj, *pbc_obj;
    PyThread_type_lock lock;
    double cell[3][3];
    int pbc[3];
    cz_status st;
    if (!PyArg_ParseTuple(args, "OOO:scene_set_cell", &cap, &cell_obj, &pbc_obj)) return NULL;
    cz_scene *scene = get_scene(cap, &lock);
    if (scene == NULL || !get_mat33(cell_obj, "cell", cell) || !get_pbc(pbc_obj, pbc)) return NULL;
    CZ_NOGIL_LOCKED(lock, st = cz_scene_set_cell(scene, CONST33(cell), pbc));
    if (st != CZ_OK) return raise_status(st);
    Py_RETURN_NONE;
}

static PyObject *py_scene_add_crystal(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"scene",    "lattice",  "volume",    "priority",
                             "class_id", "grain_id", "object_id", NULL};
    PyObject *cap, *lat_obj, *vol_obj, *priority = NULL, *class_id = NULL, *grain_id = NULL,
                                       *object_id = NULL;
    PyThread_type_lock lock;
    cz_object_opts o;
    size_t index = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOOO:scene_add_crystal", kwlist, &cap,
                                     &lat_obj, &vol_obj, &priority, &class_id, &grain_id,
                                     &object_id))
        return NULL;
    cz_scene *scene = get_scene(cap, &lock);
    const cz_lattice *lat = scene ? get_lattice(lat_obj) : NULL;
    const cz_volume *vol = lat ? get_volume(vol_obj) : NULL;
    if (vol == NULL) return NULL;
    cz_object_opts_default(&o);
    if (!opt_int(priority, "priority", &o.priority) ||
        !opt_int(class_id, "class_id", &o.class_id) ||
        !opt_int(grain_id, "grain_id", &o.grain_id) ||
        !opt_int(object_id, "object_id", &o.object_id))
        return NULL;
    CZ_NOGIL_LOCKED(lock, st = cz_scene_add_crystal(scene, lat, vol, &o, &index));
    if (st != CZ_OK) return raise_status(st);
    return PyLong_FromSize_t(index);
}

static PyObject *py_scene_count(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    PyThread_type_lock lock;
    size_t n;
    if (!PyArg_ParseTuple(args, "O:scene_count", &cap)) return NULL;
    cz_scene *scene = get_scene(cap, &lock);
    if (scene == NULL) return NULL;
    CZ_NOGIL_LOCKED(lock, n = cz_scene_count(scene));
    return PyLong_FromSize_t(n);
}

static PyObject *py_scene_transform(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *index_obj, *tf_obj;
    PyThread_type_lock lock;
    cz_transform tf;
    size_t index = 0;
    int mode;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OOOi:scene_transform", &cap, &index_obj, &tf_obj, &mode))
        return NULL;
    cz_scene *scene = get_scene(cap, &lock);
    if (scene == NULL || !opt_size(index_obj, "index", &index) || !get_transform(tf_obj, &tf))
        return NULL;
    CZ_NOGIL_LOCKED(lock, st = cz_scene_transform(scene, index, &tf, (cz_apply_mode)mode));
    if (st != CZ_OK) return raise_status(st);
    Py_RETURN_NONE;
}

static PyObject *py_scene_populate(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"scene", "max_atoms", "nthreads", NULL};
    PyObject *cap, *max_atoms = NULL, *nthreads = NULL;
    PyThread_type_lock lock;
    cz_populate_opts o;
    cz_atoms *atoms = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO:scene_populate", kwlist, &cap, &max_atoms,
                                     &nthreads))
        return NULL;
    cz_scene *scene = get_scene(cap, &lock);
    if (scene == NULL) return NULL;
    cz_populate_opts_default(&o);
    if (!opt_size(max_atoms, "max_atoms", &o.max_atoms) ||
        !opt_int(nthreads, "nthreads", &o.nthreads))
        return NULL;
    CZ_NOGIL_LOCKED(lock, st = cz_scene_populate(scene, &o, &atoms));
    if (st != CZ_OK) {
        cz_atoms_destroy(atoms);
        return raise_status(st);
    }
    return atoms_to_dict(atoms);
}

/* ------------------------------------------------------------------------------------------ */
/* Scene specs                                                                                 */
/* ------------------------------------------------------------------------------------------ */

static const char SPEC_CAPSULE[] = "cz._cz.spec";

static void spec_capsule_free(PyObject *cap) {
    cz_spec_destroy(PyCapsule_GetPointer(cap, SPEC_CAPSULE));
}

static PyObject *wrap_spec(cz_status st, cz_spec *spec) {
    if (st != CZ_OK) return raise_status(st);
    PyObject *cap = PyCapsule_New(spec, SPEC_CAPSULE, spec_capsule_free);
    if (cap == NULL) cz_spec_destroy(spec);
    return cap;
}

static PyObject *py_spec_parse_file(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *path_obj;
    if (!PyArg_ParseTuple(args, "O&:spec_parse_file", PyUnicode_FSConverter, &path_obj))
        return NULL;
    cz_spec *spec = NULL;
    cz_status st;
    const char *path = PyBytes_AS_STRING(path_obj);
    CZ_NOGIL(st = cz_spec_parse_file(path, &spec));
    Py_DECREF(path_obj);
    return wrap_spec(st, spec);
}

static PyObject *py_spec_parse_string(PyObject *Py_UNUSED(self), PyObject *args) {
    const char *text, *name;
    if (!PyArg_ParseTuple(args, "ss:spec_parse_string", &text, &name)) return NULL;
    cz_spec *spec = NULL;
    cz_status st;
    CZ_NOGIL(st = cz_spec_parse_string(text, name, &spec));
    return wrap_spec(st, spec);
}

static PyObject *py_spec_build(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"spec", "seed", "max_atoms", "nthreads", NULL};
    PyObject *cap, *seed = NULL, *max_atoms = NULL, *nthreads = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOO:spec_build", kwlist, &cap, &seed,
                                     &max_atoms, &nthreads))
        return NULL;
    cz_spec *spec = PyCapsule_GetPointer(cap, SPEC_CAPSULE);
    if (spec == NULL) return NULL;
    cz_spec_build_opts o;
    cz_spec_build_opts_default(&o);
    if (seed != NULL && seed != Py_None) {
        if (!get_u64(seed, &o.seed)) return NULL;
        o.use_seed = 1;
    }
    if (!opt_size(max_atoms, "max_atoms", &o.max_atoms) ||
        !opt_int(nthreads, "nthreads", &o.nthreads))
        return NULL;
    cz_atoms *atoms = NULL;
    uint64_t used = 0;
    cz_status st;
    /* A parsed spec is immutable, so concurrent builds from several threads are safe. */
    CZ_NOGIL(st = cz_spec_build(spec, &o, &atoms, &used));
    if (st != CZ_OK) {
        cz_atoms_destroy(atoms);
        return raise_status(st);
    }
    PyObject *d = atoms_to_dict(atoms);
    if (d == NULL) return NULL;
    PyObject *u = PyLong_FromUnsignedLongLong((unsigned long long)used);
    if (u == NULL || PyDict_SetItemString(d, "seed", u) < 0) {
        Py_XDECREF(u);
        Py_DECREF(d);
        return NULL;
    }
    Py_DECREF(u);
    return d;
}

/* ------------------------------------------------------------------------------------------ */
/* Files                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_format_from_name(PyObject *Py_UNUSED(self), PyObject *args) {
    const char *name;
    cz_format format = CZ_FORMAT_AUTO;
    cz_status st;
    if (!PyArg_ParseTuple(args, "s:format_from_name", &name)) return NULL;
    CZ_NOGIL(st = cz_format_from_name(name, &format));
    if (st != CZ_OK) return raise_status(st);
    return PyLong_FromLong((long)format);
}

static PyObject *py_format_from_path(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *path = NULL;
    cz_format format = CZ_FORMAT_AUTO;
    cz_status st;
    if (!PyArg_ParseTuple(args, "O&:format_from_path", PyUnicode_FSConverter, &path)) return NULL;
    const char *p = PyBytes_AS_STRING(path);
    CZ_NOGIL(st = cz_format_from_path(p, &format));
    Py_DECREF(path);
    if (st != CZ_OK) return raise_status(st);
    return PyLong_FromLong((long)format);
}

/* Write arrays as a structure file. The cz_atoms handed to cz_atoms_write is a read-only view:
 * its xyz points into the (n, 3) float64 positions array, its integer columns into converted
 * copies; cz_atoms_write takes a const pointer and keeps nothing. */
static PyObject *py_atoms_write(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path",      "positions", "numbers", "object_id", "grain_id",
                             "class_id",  "cell",      "pbc",     "format",    "u_rms",
                             "occupancy", "padding",   "comment", NULL};
    PyObject *path = NULL, *pos_obj, *z_obj, *obj_obj, *grain_obj, *class_obj, *cell_obj, *pbc_obj;
    PyObject *format = NULL, *u_rms = NULL, *occupancy = NULL, *padding = NULL;
    const char *comment = NULL;
    cz_write_opts o;
    cz_atoms view;
    int *cols[4] = {NULL, NULL, NULL, NULL};
    PyArrayObject *pos = NULL;
    PyObject *result = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&OOOOOOO|OOOOz:atoms_write", kwlist,
                                     PyUnicode_FSConverter, &path, &pos_obj, &z_obj, &obj_obj,
                                     &grain_obj, &class_obj, &cell_obj, &pbc_obj, &format, &u_rms,
                                     &occupancy, &padding, &comment))
        return NULL;
    memset(&view, 0, sizeof view);
    cz_write_opts_default(&o);
    int fmt = (int)o.format;
    if (!opt_int(format, "format", &fmt) || !opt_double(u_rms, &o.u_rms) ||
        !opt_double(occupancy, &o.occupancy) || !opt_double(padding, &o.padding))
        goto done;
    o.format = (cz_format)fmt;
    if (comment != NULL) o.comment = comment;
    pos = double_array(pos_obj, "positions", 2, -1, 3);
    if (pos == NULL) goto done;
    npy_intp n = PyArray_DIM(pos, 0);
    PyObject *col_objs[4] = {z_obj, obj_obj, grain_obj, class_obj};
    static const char *col_names[4] = {"numbers", "object_id", "grain_id", "class_id"};
    for (int k = 0; k < 4; k++) {
        npy_intp len = n;
        cols[k] = int_buffer(col_objs[k], col_names[k], &len);
        if (cols[k] == NULL) goto done;
    }
    if (!get_mat33(cell_obj, "cell", view.cell) || !get_pbc(pbc_obj, view.pbc)) goto done;
    view.n = view.cap = (size_t)n;
    view.xyz = (double(*)[3])PyArray_DATA(pos);
    view.z = cols[0];
    view.object_id = cols[1];
    view.grain_id = cols[2];
    view.class_id = cols[3];
    const char *p = PyBytes_AS_STRING(path);
    CZ_NOGIL(st = cz_atoms_write(p, &view, &o));
    if (st != CZ_OK) {
        raise_status(st);
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    for (int k = 0; k < 4; k++) PyMem_Free(cols[k]);
    Py_XDECREF(pos);
    Py_XDECREF(path);
    return result;
}

static PyObject *py_atoms_read(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"path", "format", NULL};
    PyObject *path = NULL, *format = NULL;
    int fmt = (int)CZ_FORMAT_AUTO;
    cz_atoms *atoms = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&|O:atoms_read", kwlist, PyUnicode_FSConverter,
                                     &path, &format))
        return NULL;
    if (!opt_int(format, "format", &fmt)) {
        Py_DECREF(path);
        return NULL;
    }
    const char *p = PyBytes_AS_STRING(path);
    CZ_NOGIL(st = cz_atoms_read(p, (cz_format)fmt, &atoms));
    Py_DECREF(path);
    if (st != CZ_OK) {
        cz_atoms_destroy(atoms);
        return raise_status(st);
    }
    return atoms_to_dict(atoms);
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers of the particle, defect, strain, composition and amorphous bindings                 */
/* ------------------------------------------------------------------------------------------ */

/* More optional arguments: None (or absent) keeps the library default already in *out. */
static int opt_u64(PyObject *obj, uint64_t *out) {
    if (obj == NULL || obj == Py_None) return 1;
    return get_u64(obj, out);
}

static int opt_bool(PyObject *obj, int *out) {
    if (obj == NULL || obj == Py_None) return 1;
    int v = PyObject_IsTrue(obj);
    if (v < 0) return 0;
    *out = v;
    return 1;
}

static int opt_vec3(PyObject *obj, const char *name, double out[3]) {
    if (obj == NULL || obj == Py_None) return 1;
    return get_vec3(obj, name, out);
}

static int opt_int3(PyObject *obj, const char *name, int out[3]) {
    if (obj == NULL || obj == Py_None) return 1;
    return get_int3(obj, name, out);
}

static int opt_transform(PyObject *obj, cz_transform *tf) {
    if (obj == NULL || obj == Py_None) return 1;
    return get_transform(obj, tf);
}

/* Override the labels and priority of an already defaulted cz_object_opts. */
static int opt_object(PyObject *priority, PyObject *class_id, PyObject *grain_id,
                      PyObject *object_id, cz_object_opts *o) {
    return opt_int(priority, "priority", &o->priority) &&
           opt_int(class_id, "class_id", &o->class_id) &&
           opt_int(grain_id, "grain_id", &o->grain_id) &&
           opt_int(object_id, "object_id", &o->object_id);
}

/* A cz_atoms built from Python arrays for one call. Every array belongs to the view: positions
 * are a fresh copy (the C functions of cz_strain.h move them in place, and the copy is handed
 * back as the result), numbers and object ids are converted copies, grain and class columns are
 * zero (the bindings that remove atoms put each atom's original index in grain_id, a column the
 * C function carries along but never reads, to report which atoms survived). The C functions
 * change contents and n at most; they never reallocate a cz_atoms they did not create. */
typedef struct atoms_view {
    cz_atoms a;
    PyArrayObject *pos;
    int *cols[4];
} atoms_view;

static void free_atoms_view(atoms_view *v) {
    Py_CLEAR(v->pos);
    for (int k = 0; k < 4; k++) {
        PyMem_Free(v->cols[k]);
        v->cols[k] = NULL;
    }
}

/* positions (n, 3); numbers (n,); object_ids (n,) or None (zeros); cell (3, 3) or None (no
 * cell); pbc three booleans or None (none periodic). Returns 1, or 0 with an exception set. */
static int get_atoms_view(PyObject *pos_obj, PyObject *z_obj, PyObject *obj_obj, PyObject *cell_obj,
                          PyObject *pbc_obj, atoms_view *v) {
    memset(v, 0, sizeof *v);
    v->pos = (PyArrayObject *)PyArray_FROMANY(pos_obj, NPY_DOUBLE, 0, 0,
                                              NPY_ARRAY_CARRAY | NPY_ARRAY_ENSURECOPY);
    if (v->pos == NULL) return 0;
    npy_intp want[2] = {-1, 3};
    if (!check_shape(v->pos, "positions", 2, want)) goto fail;
    npy_intp n = PyArray_DIM(v->pos, 0), len = n;
    v->cols[0] = int_buffer(z_obj, "numbers", &len);
    if (v->cols[0] == NULL) goto fail;
    if (obj_obj != NULL && obj_obj != Py_None) {
        len = n;
        v->cols[1] = int_buffer(obj_obj, "object_id", &len);
        if (v->cols[1] == NULL) goto fail;
    }
    for (int k = 1; k < 4; k++) {
        if (v->cols[k] != NULL) continue;
        v->cols[k] = PyMem_Calloc((size_t)(n > 0 ? n : 1), sizeof(int));
        if (v->cols[k] == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }
    if (cell_obj != NULL && cell_obj != Py_None && !get_mat33(cell_obj, "cell", v->a.cell))
        goto fail;
    if (pbc_obj != NULL && pbc_obj != Py_None && !get_pbc(pbc_obj, v->a.pbc)) goto fail;
    v->a.n = v->a.cap = (size_t)n;
    v->a.xyz = (double(*)[3])PyArray_DATA(v->pos);
    v->a.z = v->cols[0];
    v->a.object_id = v->cols[1];
    v->a.grain_id = v->cols[2];
    v->a.class_id = v->cols[3];
    return 1;
fail:
    free_atoms_view(v);
    return 0;
}

/* (m,) int64 array of the original indices of the atoms left in a view whose grain_id column
 * was set to 0, 1, ..., n − 1 before the call. */
static PyObject *view_survivors(const atoms_view *v) {
    npy_intp m = (npy_intp)v->a.n;
    PyObject *out = PyArray_SimpleNew(1, &m, NPY_INT64);
    if (out == NULL) return NULL;
    int64_t *dst = PyArray_DATA((PyArrayObject *)out);
    for (npy_intp i = 0; i < m; i++) dst[i] = v->a.grain_id[i];
    return out;
}

static void view_number_atoms(atoms_view *v) {
    for (size_t i = 0; i < v->a.n; i++) v->a.grain_id[i] = (int)i;
}

/* NaN-aware tuple of three doubles. */
static PyObject *double3_tuple(const double v[3]) {
    return Py_BuildValue("(ddd)", v[0], v[1], v[2]);
}

/* ------------------------------------------------------------------------------------------ */
/* Orthogonal supercells                                                                       */
/* ------------------------------------------------------------------------------------------ */

/* atoms_orthogonalize(positions, numbers, cell, pbc=None, max_repeat=None,
 * strain_tolerance=None) -> (dict, info). The dict holds positions, numbers, cell, pbc and
 * index: for every output atom the index of the input atom it is an image of (carried through
 * the C call in grain_id), so the caller can map any per-atom array. info: matrix ((i, j),
 * (k, l)), det, rotation_deg, strain, changed. */
static PyObject *py_atoms_orthogonalize(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions",  "numbers",          "cell", "pbc",
                             "max_repeat", "strain_tolerance", NULL};
    PyObject *pos, *z, *cell, *pbc = NULL, *max_repeat = NULL, *tol = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOO:atoms_orthogonalize", kwlist, &pos, &z,
                                     &cell, &pbc, &max_repeat, &tol))
        return NULL;
    cz_ortho_opts o;
    cz_ortho_opts_default(&o);
    if (!opt_int(max_repeat, "max_repeat", &o.max_repeat) || !opt_double(tol, &o.strain_tolerance))
        return NULL;
    if (cell == Py_None) {
        PyErr_SetString(PyExc_ValueError, "cell must be given (rows a, b, c in Å)");
        return NULL;
    }
    atoms_view v;
    if (!get_atoms_view(pos, z, NULL, cell, pbc, &v)) return NULL;
    view_number_atoms(&v);
    cz_atoms *out = NULL;
    cz_ortho_info info;
    cz_status st;
    CZ_NOGIL(st = cz_atoms_orthogonalize(&v.a, &o, &out, &info));
    free_atoms_view(&v);
    if (st != CZ_OK) return raise_status(st);
    PyObject *dict = atoms_to_dict(out); /* destroys out */
    if (dict == NULL) return NULL;
    PyObject *index = PyDict_GetItemString(dict, "grain_id"); /* borrowed */
    if (index == NULL || PyDict_SetItemString(dict, "index", index) < 0 ||
        PyDict_DelItemString(dict, "grain_id") < 0 || PyDict_DelItemString(dict, "object_id") < 0 ||
        PyDict_DelItemString(dict, "class_id") < 0) {
        Py_DECREF(dict);
        return NULL;
    }
    return Py_BuildValue("(N{s:((ii)(ii)),s:i,s:d,s:d,s:O})", dict, "matrix", info.matrix[0][0],
                         info.matrix[0][1], info.matrix[1][0], info.matrix[1][1], "det", info.det,
                         "rotation_deg", info.rotation_deg, "strain", info.strain, "changed",
                         info.changed ? Py_True : Py_False);
}

/* ------------------------------------------------------------------------------------------ */
/* Scenes: explicit atoms                                                                      */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_scene_add_atoms(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"scene",    "positions", "numbers",   "clip", "priority",
                             "class_id", "grain_id",  "object_id", NULL};
    PyObject *cap, *pos_obj, *z_obj, *clip_obj = NULL, *priority = NULL, *class_id = NULL,
                                     *grain_id = NULL, *object_id = NULL;
    PyThread_type_lock lock;
    const cz_volume *clip = NULL;
    cz_object_opts o;
    atoms_view v;
    size_t index = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOOOO:scene_add_atoms", kwlist, &cap, &pos_obj,
                                     &z_obj, &clip_obj, &priority, &class_id, &grain_id,
                                     &object_id))
        return NULL;
    cz_scene *scene = get_scene(cap, &lock);
    if (scene == NULL) return NULL;
    if (clip_obj != NULL && clip_obj != Py_None && (clip = get_volume(clip_obj)) == NULL)
        return NULL;
    cz_object_opts_default(&o);
    if (!opt_object(priority, class_id, grain_id, object_id, &o)) return NULL;
    if (!get_atoms_view(pos_obj, z_obj, NULL, NULL, NULL, &v)) return NULL;
    CZ_NOGIL_LOCKED(lock, st = cz_scene_add_atoms(scene, &v.a, clip, &o, &index));
    free_atoms_view(&v);
    if (st != CZ_OK) return raise_status(st);
    return PyLong_FromSize_t(index);
}

/* ------------------------------------------------------------------------------------------ */
/* Amorphous solids                                                                            */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_amorphous_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_amorphous_opts o;
    cz_amorphous_opts_default(&o);
    PyObject *z = PyTuple_New((Py_ssize_t)o.nspecies);
    PyObject *fraction = PyTuple_New((Py_ssize_t)o.nspecies);
    PyObject *d_min = new_double_array(2, CZ_AMORPHOUS_MAX_SPECIES, CZ_AMORPHOUS_MAX_SPECIES);
    if (z == NULL || fraction == NULL || d_min == NULL) goto fail;
    for (size_t i = 0; i < o.nspecies; i++) {
        PyObject *zi = PyLong_FromLong(o.z[i]), *fi = PyFloat_FromDouble(o.fraction[i]);
        if (zi == NULL || fi == NULL) {
            Py_XDECREF(zi);
            Py_XDECREF(fi);
            goto fail;
        }
        PyTuple_SET_ITEM(z, (Py_ssize_t)i, zi);
        PyTuple_SET_ITEM(fraction, (Py_ssize_t)i, fi);
    }
    memcpy(PyArray_DATA((PyArrayObject *)d_min), o.d_min, sizeof o.d_min);
    return Py_BuildValue(
        "{s:N,s:N,s:N,s:d,s:d,s:d,s:n,s:K,s:i,s:i,s:i,s:i}", "z", z, "fraction", fraction, "d_min",
        d_min, "density_g_cm3", o.density_g_cm3, "density_atoms_a3", o.density_atoms_a3,
        "attempts_per_atom", o.attempts_per_atom, "max_atoms", (Py_ssize_t)o.max_atoms, "seed",
        (unsigned long long)o.seed, "object_id", o.object_id, "grain_id", o.grain_id, "class_id",
        o.class_id, "max_species", CZ_AMORPHOUS_MAX_SPECIES);
fail:
    Py_XDECREF(z);
    Py_XDECREF(fraction);
    Py_XDECREF(d_min);
    return NULL;
}

/* Species (z, fraction, d_min) of cz_amorphous_opts from arrays; None keeps the defaults. */
static int get_amorphous_species(PyObject *z_obj, PyObject *fraction_obj, PyObject *d_min_obj,
                                 cz_amorphous_opts *o) {
    if (z_obj != NULL && z_obj != Py_None) {
        npy_intp n = -1;
        int *z = int_buffer(z_obj, "z", &n);
        if (z == NULL) return 0;
        if (n > CZ_AMORPHOUS_MAX_SPECIES) {
            PyMem_Free(z);
            PyErr_Format(PyExc_ValueError, "cz_amorphous_fill: at most %d species (got %ld)",
                         CZ_AMORPHOUS_MAX_SPECIES, (long)n);
            return 0;
        }
        memcpy(o->z, z, (size_t)n * sizeof(int));
        PyMem_Free(z);
        o->nspecies = (size_t)n;
    }
    npy_intp ns = (npy_intp)o->nspecies;
    if (fraction_obj != NULL && fraction_obj != Py_None) {
        PyArrayObject *f = double_array(fraction_obj, "fraction", 1, ns, 0);
        if (f == NULL) return 0;
        memcpy(o->fraction, PyArray_DATA(f), (size_t)ns * sizeof(double));
        Py_DECREF(f);
    }
    if (d_min_obj != NULL && d_min_obj != Py_None) {
        PyArrayObject *d = double_array(d_min_obj, "d_min", 2, ns, ns);
        if (d == NULL) return 0;
        const double *src = PyArray_DATA(d);
        for (npy_intp i = 0; i < ns; i++)
            for (npy_intp j = 0; j < ns; j++) o->d_min[i][j] = src[i * ns + j];
        Py_DECREF(d);
    }
    return 1;
}

static PyObject *py_amorphous_fill(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"origin",
                             "cell",
                             "pbc",
                             "z",
                             "fraction",
                             "d_min",
                             "density_g_cm3",
                             "density_atoms_a3",
                             "attempts_per_atom",
                             "max_atoms",
                             "seed",
                             "object_id",
                             "grain_id",
                             "class_id",
                             NULL};
    PyObject *origin_obj, *cell_obj, *pbc_obj,
        *z = NULL, *fraction = NULL, *d_min = NULL, *rho = NULL, *number_density = NULL,
        *attempts = NULL, *max_atoms = NULL, *seed = NULL, *object_id = NULL, *grain_id = NULL,
        *class_id = NULL;
    double origin[3], cell[3][3];
    int pbc[3];
    cz_amorphous_opts o;
    cz_amorphous_stats stats;
    cz_atoms *atoms = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOOOOOOOOOO:amorphous_fill", kwlist,
                                     &origin_obj, &cell_obj, &pbc_obj, &z, &fraction, &d_min, &rho,
                                     &number_density, &attempts, &max_atoms, &seed, &object_id,
                                     &grain_id, &class_id))
        return NULL;
    if (!get_vec3(origin_obj, "origin", origin) || !get_mat33(cell_obj, "cell", cell) ||
        !get_pbc(pbc_obj, pbc))
        return NULL;
    cz_amorphous_opts_default(&o);
    if (!get_amorphous_species(z, fraction, d_min, &o)) return NULL;
    /* The two densities are alternatives: a number density given alone replaces the default
     * mass density rather than adding to it (giving both is the library's error to report). */
    if (number_density != NULL && number_density != Py_None && (rho == NULL || rho == Py_None))
        o.density_g_cm3 = 0.0;
    if (!opt_double(rho, &o.density_g_cm3) || !opt_double(number_density, &o.density_atoms_a3) ||
        !opt_double(attempts, &o.attempts_per_atom) ||
        !opt_size(max_atoms, "max_atoms", &o.max_atoms) || !opt_u64(seed, &o.seed) ||
        !opt_int(object_id, "object_id", &o.object_id) ||
        !opt_int(grain_id, "grain_id", &o.grain_id) || !opt_int(class_id, "class_id", &o.class_id))
        return NULL;
    CZ_NOGIL(st = cz_amorphous_fill(origin, CONST33(cell), pbc, &o, &atoms, &stats));
    if (st != CZ_OK) {
        cz_atoms_destroy(atoms);
        return raise_status(st);
    }
    PyObject *d = atoms_to_dict(atoms);
    if (d == NULL) return NULL;
    return Py_BuildValue("(N{s:n,s:n,s:(nnn),s:d,s:n})", d, "natoms", (Py_ssize_t)stats.natoms,
                         "attempts", (Py_ssize_t)stats.attempts, "grid", (Py_ssize_t)stats.grid[0],
                         (Py_ssize_t)stats.grid[1], (Py_ssize_t)stats.grid[2], "cell_diameter",
                         stats.cell_diameter, "scratch_peak_bytes",
                         (Py_ssize_t)stats.scratch_peak_bytes);
}

/* ------------------------------------------------------------------------------------------ */
/* Particles: Wulff, Winterbottom, decahedra, icosahedra                                       */
/* ------------------------------------------------------------------------------------------ */

/* A cz_particle is immutable after construction, so one capsule may be read, filled and added
 * to scenes from several threads at once. */
static const char PARTICLE_CAPSULE[] = "cz._cz.particle";

static void particle_capsule_free(PyObject *cap) {
    cz_particle_destroy(PyCapsule_GetPointer(cap, PARTICLE_CAPSULE));
}

static PyObject *wrap_particle(cz_particle *particle) {
    PyObject *cap = PyCapsule_New(particle, PARTICLE_CAPSULE, particle_capsule_free);
    if (cap == NULL) cz_particle_destroy(particle);
    return cap;
}

static const cz_particle *get_particle(PyObject *obj) {
    if (!PyCapsule_IsValid(obj, PARTICLE_CAPSULE)) {
        PyErr_Format(PyExc_TypeError, "expected a cz particle handle, got %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return PyCapsule_GetPointer(obj, PARTICLE_CAPSULE);
}

static PyObject *py_wulff_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_wulff_opts o;
    cz_wulff_opts_default(&o);
    return Py_BuildValue("{s:d,s:i,s:n,s:O,s:N,s:d,s:(iii),s:d,s:d,s:n}", "radius", o.radius,
                         "radius_kind", (int)o.radius_kind, "target_atoms",
                         (Py_ssize_t)o.target_atoms, "snap", o.snap ? Py_True : Py_False, "center",
                         vec3_array(o.center), "symprec", o.symprec, "interface_hkl",
                         o.interface_hkl[0], o.interface_hkl[1], o.interface_hkl[2],
                         "interface_gamma", o.interface_gamma, "substrate_gamma", o.substrate_gamma,
                         "max_atoms", (Py_ssize_t)o.max_atoms);
}

static PyObject *py_decahedron_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_decahedron_opts o;
    cz_decahedron_opts_default(&o);
    return Py_BuildValue("{s:i,s:i,s:i,s:i,s:d,s:i,s:d,s:d,s:n}", "p", o.p, "q", o.q, "r", o.r,
                         "shells", o.shells, "radius", o.radius, "strain", (int)o.strain,
                         "poisson_ratio", o.poisson_ratio, "symprec", o.symprec, "max_atoms",
                         (Py_ssize_t)o.max_atoms);
}

static PyObject *py_icosahedron_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_icosahedron_opts o;
    cz_icosahedron_opts_default(&o);
    return Py_BuildValue("{s:i,s:d,s:d,s:n}", "shells", o.shells, "radius", o.radius, "symprec",
                         o.symprec, "max_atoms", (Py_ssize_t)o.max_atoms);
}

static PyObject *py_particle_place_opts_default(PyObject *Py_UNUSED(self),
                                                PyObject *Py_UNUSED(args)) {
    cz_particle_place_opts o;
    cz_particle_place_opts_default(&o);
    return Py_BuildValue("{s:N,s:i,s:i,s:i,s:i}", "placement", transform_tuple(&o.placement),
                         "object_id", o.object_id, "grain_id", o.grain_id, "priority", o.priority,
                         "class_id", o.class_id);
}

/* The family {hkl} as a list of (h, k, l) tuples. symprec None = the Wulff default, the
 * tolerance every particle constructor uses. */
static PyObject *py_miller_family(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"lattice", "hkl", "symprec", NULL};
    PyObject *lat_obj, *hkl_obj, *symprec = NULL;
    int hkl[3], out[CZ_MAX_FAMILY][3];
    size_t n = 0;
    cz_wulff_opts w;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O:miller_family", kwlist, &lat_obj, &hkl_obj,
                                     &symprec))
        return NULL;
    const cz_lattice *lat = get_lattice(lat_obj);
    if (lat == NULL || !get_int3(hkl_obj, "hkl", hkl)) return NULL;
    cz_wulff_opts_default(&w);
    if (!opt_double(symprec, &w.symprec)) return NULL;
    CZ_NOGIL(st = cz_miller_family(lat, hkl, w.symprec, out, CZ_MAX_FAMILY, &n));
    if (st != CZ_OK) return raise_status(st);
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (list == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *t = Py_BuildValue("(iii)", out[i][0], out[i][1], out[i][2]);
        if (t == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    return list;
}

/* Surface-energy table from a sequence of (hkl, gamma) pairs; a PyMem buffer the caller frees. */
static cz_surface_energy *get_energy_table(PyObject *obj, size_t *n) {
    PyObject *seq = PySequence_Fast(obj, "table must be a sequence of (hkl, gamma) pairs");
    if (seq == NULL) return NULL;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(seq);
    cz_surface_energy *table = PyMem_Malloc((size_t)(len > 0 ? len : 1) * sizeof *table);
    if (table == NULL) {
        Py_DECREF(seq);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *row = PySequence_Fast_GET_ITEM(seq, i);
        PyObject *pair = PySequence_Fast(row, "table rows must be (hkl, gamma) pairs");
        int ok = pair != NULL && PySequence_Fast_GET_SIZE(pair) == 2;
        if (pair != NULL && !ok)
            PyErr_Format(PyExc_ValueError, "table[%zd] must be a pair (hkl, gamma)", i);
        if (ok) ok = get_int3(PySequence_Fast_GET_ITEM(pair, 0), "hkl", table[i].hkl);
        if (ok) {
            table[i].gamma = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(pair, 1));
            ok = !(table[i].gamma == -1.0 && PyErr_Occurred());
        }
        Py_XDECREF(pair);
        if (!ok) {
            PyMem_Free(table);
            Py_DECREF(seq);
            return NULL;
        }
    }
    Py_DECREF(seq);
    *n = (size_t)len;
    return table;
}

static PyObject *py_particle_wulff(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {
        "lattice", "table",   "radius",        "radius_kind",     "target_atoms",    "snap",
        "center",  "symprec", "interface_hkl", "interface_gamma", "substrate_gamma", "max_atoms",
        NULL};
    PyObject *lat_obj, *table_obj,
        *radius = NULL, *radius_kind = NULL, *target = NULL, *snap = NULL, *center = NULL,
        *symprec = NULL, *interface_hkl = NULL, *interface_gamma = NULL, *substrate_gamma = NULL,
        *max_atoms = NULL;
    cz_wulff_opts o;
    cz_particle *particle = NULL;
    size_t n = 0;
    int kind;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOOOOOOOOO:particle_wulff", kwlist, &lat_obj,
                                     &table_obj, &radius, &radius_kind, &target, &snap, &center,
                                     &symprec, &interface_hkl, &interface_gamma, &substrate_gamma,
                                     &max_atoms))
        return NULL;
    const cz_lattice *lat = get_lattice(lat_obj);
    if (lat == NULL) return NULL;
    cz_wulff_opts_default(&o);
    kind = (int)o.radius_kind;
    if (!opt_double(radius, &o.radius) || !opt_int(radius_kind, "radius_kind", &kind) ||
        !opt_size(target, "target_atoms", &o.target_atoms) || !opt_bool(snap, &o.snap) ||
        !opt_vec3(center, "center", o.center) || !opt_double(symprec, &o.symprec) ||
        !opt_int3(interface_hkl, "interface_hkl", o.interface_hkl) ||
        !opt_double(interface_gamma, &o.interface_gamma) ||
        !opt_double(substrate_gamma, &o.substrate_gamma) ||
        !opt_size(max_atoms, "max_atoms", &o.max_atoms))
        return NULL;
    o.radius_kind = (cz_radius_kind)kind;
    cz_surface_energy *table = get_energy_table(table_obj, &n);
    if (table == NULL) return NULL;
    CZ_NOGIL(st = cz_particle_wulff(lat, n, table, &o, &particle));
    PyMem_Free(table);
    if (st != CZ_OK) return raise_status(st);
    return wrap_particle(particle);
}

static PyObject *py_particle_decahedron(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"lattice", "p",         "q",      "r",
                             "shells",  "radius",    "strain", "poisson_ratio",
                             "symprec", "max_atoms", NULL};
    PyObject *lat_obj, *p = NULL, *q = NULL, *r = NULL, *shells = NULL, *radius = NULL,
                       *strain = NULL, *nu = NULL, *symprec = NULL, *max_atoms = NULL;
    cz_decahedron_opts o;
    cz_particle *particle = NULL;
    int model;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOOOOOOO:particle_decahedron", kwlist, &lat_obj,
                                     &p, &q, &r, &shells, &radius, &strain, &nu, &symprec,
                                     &max_atoms))
        return NULL;
    const cz_lattice *lat = get_lattice(lat_obj);
    if (lat == NULL) return NULL;
    cz_decahedron_opts_default(&o);
    model = (int)o.strain;
    if (!opt_int(p, "p", &o.p) || !opt_int(q, "q", &o.q) || !opt_int(r, "r", &o.r) ||
        !opt_int(shells, "shells", &o.shells) || !opt_double(radius, &o.radius) ||
        !opt_int(strain, "strain", &model) || !opt_double(nu, &o.poisson_ratio) ||
        !opt_double(symprec, &o.symprec) || !opt_size(max_atoms, "max_atoms", &o.max_atoms))
        return NULL;
    o.strain = (cz_mtp_strain)model;
    CZ_NOGIL(st = cz_particle_decahedron(lat, &o, &particle));
    if (st != CZ_OK) return raise_status(st);
    return wrap_particle(particle);
}

static PyObject *py_particle_icosahedron(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"lattice", "shells", "radius", "symprec", "max_atoms", NULL};
    PyObject *lat_obj, *shells = NULL, *radius = NULL, *symprec = NULL, *max_atoms = NULL;
    cz_icosahedron_opts o;
    cz_particle *particle = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOO:particle_icosahedron", kwlist, &lat_obj,
                                     &shells, &radius, &symprec, &max_atoms))
        return NULL;
    const cz_lattice *lat = get_lattice(lat_obj);
    if (lat == NULL) return NULL;
    cz_icosahedron_opts_default(&o);
    if (!opt_int(shells, "shells", &o.shells) || !opt_double(radius, &o.radius) ||
        !opt_double(symprec, &o.symprec) || !opt_size(max_atoms, "max_atoms", &o.max_atoms))
        return NULL;
    CZ_NOGIL(st = cz_particle_icosahedron(lat, &o, &particle));
    if (st != CZ_OK) return raise_status(st);
    return wrap_particle(particle);
}

static PyObject *facet_dict(const cz_facet *f) {
    return Py_BuildValue("{s:(iii),s:N,s:d,s:d,s:d,s:d,s:d,s:i,s:O}", "hkl", f->hkl[0], f->hkl[1],
                         f->hkl[2], "normal", vec3_array(f->normal), "gamma", f->gamma, "target",
                         f->target, "distance", f->distance, "spacing", f->spacing, "area", f->area,
                         "family", f->family, "active", f->active ? Py_True : Py_False);
}

/* Plain copies of the particle's scalar fields and facet table (a dict); no cz call. */
static PyObject *py_particle_info(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O:particle_info", &cap)) return NULL;
    const cz_particle *p = get_particle(cap);
    if (p == NULL) return NULL;
    PyObject *facets = PyList_New((Py_ssize_t)p->nfacets);
    PyObject *explicit_atoms = PyList_New((Py_ssize_t)p->ngrains);
    if (facets == NULL || explicit_atoms == NULL) goto fail;
    for (size_t i = 0; i < p->nfacets; i++) {
        PyObject *f = facet_dict(&p->facets[i]);
        if (f == NULL) goto fail;
        PyList_SET_ITEM(facets, (Py_ssize_t)i, f);
    }
    for (size_t g = 0; g < p->ngrains; g++)
        PyList_SET_ITEM(explicit_atoms, (Py_ssize_t)g,
                        Py_NewRef(p->grains[g].atoms != NULL ? Py_True : Py_False));
    return Py_BuildValue("{s:i,s:n,s:n,s:N,s:N,s:N,s:n,s:i,s:d,s:d,s:d,s:d,s:N}", "kind",
                         (int)p->kind, "ngrains", (Py_ssize_t)p->ngrains, "natoms",
                         (Py_ssize_t)p->natoms, "center", vec3_array(p->center), "axis",
                         vec3_array(p->axis), "facets", facets, "nactive", (Py_ssize_t)p->nactive,
                         "interface_facet", p->interface_facet, "scale", p->scale, "volume_a3",
                         p->volume_a3, "radius_equivalent", p->radius_equivalent, "radius_max",
                         p->radius_max, "explicit_atoms", explicit_atoms);
fail:
    Py_XDECREF(facets);
    Py_XDECREF(explicit_atoms);
    return NULL;
}

/* A copy of the particle's lattice, as a lattice handle. */
static PyObject *py_particle_lattice(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    cz_lattice *lattice = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "O:particle_lattice", &cap)) return NULL;
    const cz_particle *p = get_particle(cap);
    if (p == NULL) return NULL;
    CZ_NOGIL(st = cz_lattice_copy(p->lattice, &lattice));
    if (st != CZ_OK) return raise_status(st);
    return wrap_lattice(lattice);
}

/* Grain g: (a copy of its region as a volume handle, its lattice transform (m, t)). */
static PyObject *py_particle_grain(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *g_obj;
    size_t g = 0;
    cz_volume *volume = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OO:particle_grain", &cap, &g_obj)) return NULL;
    const cz_particle *p = get_particle(cap);
    if (p == NULL || !opt_size(g_obj, "grain", &g)) return NULL;
    if (g >= p->ngrains)
        return PyErr_Format(PyExc_IndexError, "grain %zu out of range (the particle has %zu)", g,
                            p->ngrains);
    const cz_grain *gr = &p->grains[g];
    CZ_NOGIL(st = cz_volume_copy(gr->volume, &volume));
    if (st != CZ_OK) return raise_status(st);
    PyObject *v = wrap_volume(volume);
    if (v == NULL) return NULL;
    return Py_BuildValue("(NN)", v, transform_tuple(&gr->lattice_tf));
}

static char *place_kwlist[] = {"particle", "placement", "object_id", "grain_id",
                               "priority", "class_id",  NULL};

static int get_place_opts(PyObject *placement, PyObject *object_id, PyObject *grain_id,
                          PyObject *priority, PyObject *class_id, cz_particle_place_opts *o) {
    cz_particle_place_opts_default(o);
    return opt_transform(placement, &o->placement) &&
           opt_int(object_id, "object_id", &o->object_id) &&
           opt_int(grain_id, "grain_id", &o->grain_id) &&
           opt_int(priority, "priority", &o->priority) &&
           opt_int(class_id, "class_id", &o->class_id);
}

static PyObject *py_particle_fill(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    PyObject *cap, *placement = NULL, *object_id = NULL, *grain_id = NULL, *priority = NULL,
                   *class_id = NULL;
    cz_particle_place_opts o;
    cz_atoms *atoms = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOOO:particle_fill", place_kwlist, &cap,
                                     &placement, &object_id, &grain_id, &priority, &class_id))
        return NULL;
    const cz_particle *p = get_particle(cap);
    if (p == NULL || !get_place_opts(placement, object_id, grain_id, priority, class_id, &o))
        return NULL;
    CZ_NOGIL(st = cz_particle_fill(p, &o, &atoms));
    if (st != CZ_OK) {
        cz_atoms_destroy(atoms);
        return raise_status(st);
    }
    return atoms_to_dict(atoms);
}

static PyObject *py_scene_add_particle(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"scene",    "particle", "placement", "object_id",
                             "grain_id", "priority", "class_id",  NULL};
    PyObject *scene_obj, *cap, *placement = NULL, *object_id = NULL, *grain_id = NULL,
                               *priority = NULL, *class_id = NULL;
    PyThread_type_lock lock;
    cz_particle_place_opts o;
    size_t first = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOOOO:scene_add_particle", kwlist, &scene_obj,
                                     &cap, &placement, &object_id, &grain_id, &priority, &class_id))
        return NULL;
    cz_scene *scene = get_scene(scene_obj, &lock);
    const cz_particle *p = scene ? get_particle(cap) : NULL;
    if (p == NULL || !get_place_opts(placement, object_id, grain_id, priority, class_id, &o))
        return NULL;
    CZ_NOGIL_LOCKED(lock, st = cz_scene_add_particle(scene, p, &o, &first));
    if (st != CZ_OK) return raise_status(st);
    return PyLong_FromSize_t(first);
}

/* ------------------------------------------------------------------------------------------ */
/* Planar defects                                                                              */
/* ------------------------------------------------------------------------------------------ */

/* A defect plane crosses the boundary as the tuple (kind, (h, k, l), position Å, snap,
 * (s_a, s_b, s_c)); a NaN shift component means "automatic". On input every entry may be
 * None, which keeps cz_defect_plane_default's value. */
static PyObject *plane_tuple(const cz_defect_plane *p) {
    return Py_BuildValue("(i(iii)diN)", (int)p->kind, p->hkl[0], p->hkl[1], p->hkl[2], p->position,
                         (int)p->snap, double3_tuple(p->shift));
}

static int get_plane(PyObject *obj, Py_ssize_t index, cz_defect_plane *p) {
    cz_defect_plane_default(p);
    PyObject *seq = PySequence_Fast(obj, "a defect plane must be a sequence");
    if (seq == NULL) return 0;
    int ok = PySequence_Fast_GET_SIZE(seq) == 5;
    if (!ok)
        PyErr_Format(PyExc_ValueError,
                     "planes[%zd] must be (kind, hkl, position, snap, shift), got %zd entries",
                     index, PySequence_Fast_GET_SIZE(seq));
    PyObject **item = PySequence_Fast_ITEMS(seq);
    int kind = (int)p->kind, snap = (int)p->snap;
    if (ok)
        ok = opt_int(item[0], "kind", &kind) && opt_int3(item[1], "hkl", p->hkl) &&
             opt_double(item[2], &p->position) && opt_int(item[3], "snap", &snap) &&
             opt_vec3(item[4], "shift", p->shift);
    p->kind = (cz_defect_kind)kind;
    p->snap = (cz_defect_snap)snap;
    Py_DECREF(seq);
    return ok;
}

static PyObject *py_defect_plane_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_defect_plane p;
    cz_defect_plane_default(&p);
    return plane_tuple(&p);
}

static PyObject *py_defect_draw_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_defect_draw_opts o;
    cz_defect_draw_opts_default(&o);
    return Py_BuildValue("{s:K,s:K,s:n,s:n,s:i,s:O,s:d,s:d}", "seed", (unsigned long long)o.seed,
                         "stream", (unsigned long long)o.stream, "ntwins", (Py_ssize_t)o.ntwins,
                         "nfaults", (Py_ssize_t)o.nfaults, "family", (int)o.family, "same_variant",
                         o.same_variant ? Py_True : Py_False, "min_separation", o.min_separation,
                         "margin", o.margin);
}

static PyObject *planes_list(size_t n, const cz_defect_plane *planes) {
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (list == NULL) return NULL;
    for (size_t i = 0; i < n; i++) {
        PyObject *t = plane_tuple(&planes[i]);
        if (t == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, t);
    }
    return list;
}

/* -> (first scene index, number of grains, resolved planes). */
static PyObject *py_scene_add_defected_crystal(PyObject *Py_UNUSED(self), PyObject *args,
                                               PyObject *kw) {
    static char *kwlist[] = {"scene",    "lattice",  "volume",   "planes",    "placement",
                             "priority", "class_id", "grain_id", "object_id", NULL};
    PyObject *cap, *lat_obj, *vol_obj, *planes_obj,
        *placement = NULL, *priority = NULL, *class_id = NULL, *grain_id = NULL, *object_id = NULL;
    PyThread_type_lock lock;
    cz_defects_opts o;
    cz_defects_info info = {0, 0};
    cz_defect_plane *planes = NULL, *resolved = NULL;
    PyObject *seq = NULL, *result = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOO|OOOOO:scene_add_defected_crystal", kwlist,
                                     &cap, &lat_obj, &vol_obj, &planes_obj, &placement, &priority,
                                     &class_id, &grain_id, &object_id))
        return NULL;
    cz_scene *scene = get_scene(cap, &lock);
    const cz_lattice *lat = scene ? get_lattice(lat_obj) : NULL;
    const cz_volume *vol = lat ? get_volume(vol_obj) : NULL;
    if (vol == NULL) return NULL;
    cz_defects_opts_default(&o);
    if (!opt_transform(placement, &o.placement) ||
        !opt_object(priority, class_id, grain_id, object_id, &o.object))
        return NULL;
    seq = PySequence_Fast(planes_obj, "planes must be a sequence of defect planes");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    planes = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof *planes);
    resolved = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof *resolved);
    if (planes == NULL || resolved == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (!get_plane(PySequence_Fast_GET_ITEM(seq, i), i, &planes[i])) goto done;
    CZ_NOGIL_LOCKED(lock, st = cz_scene_add_defected_crystal(scene, lat, vol, (size_t)n, planes, &o,
                                                             resolved, &info));
    if (st != CZ_OK) {
        raise_status(st);
        goto done;
    }
    result = Py_BuildValue("(nnN)", (Py_ssize_t)info.first, (Py_ssize_t)info.ngrains,
                           planes_list((size_t)n, resolved));
done:
    PyMem_Free(planes);
    PyMem_Free(resolved);
    Py_XDECREF(seq);
    return result;
}

static PyObject *py_defect_planes_draw(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"lattice",      "volume",         "ntwins", "nfaults",
                             "seed",         "stream",         "family", "variants",
                             "same_variant", "min_separation", "margin", NULL};
    PyObject *lat_obj, *vol_obj, *ntwins = NULL, *nfaults = NULL, *seed = NULL, *stream = NULL,
                                 *family = NULL, *variants = NULL, *same = NULL, *sep = NULL,
                                 *margin = NULL;
    cz_defect_draw_opts o;
    cz_defect_plane planes[CZ_DEFECTS_MAX_PLANES];
    int fam;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOOOOOOOO:defect_planes_draw", kwlist, &lat_obj,
                                     &vol_obj, &ntwins, &nfaults, &seed, &stream, &family,
                                     &variants, &same, &sep, &margin))
        return NULL;
    const cz_lattice *lat = get_lattice(lat_obj);
    const cz_volume *vol = lat ? get_volume(vol_obj) : NULL;
    if (vol == NULL) return NULL;
    cz_defect_draw_opts_default(&o);
    fam = (int)o.family;
    if (!opt_size(ntwins, "ntwins", &o.ntwins) || !opt_size(nfaults, "nfaults", &o.nfaults) ||
        !opt_u64(seed, &o.seed) || !opt_u64(stream, &o.stream) ||
        !opt_int(family, "family", &fam) || !opt_bool(same, &o.same_variant) ||
        !opt_double(sep, &o.min_separation) || !opt_double(margin, &o.margin))
        return NULL;
    o.family = (cz_defect_family)fam;
    if (variants != NULL && variants != Py_None) {
        PyObject *seq = PySequence_Fast(variants, "variants must be a sequence of hkl");
        if (seq == NULL) return NULL;
        /* The library judges the count (1..4); only the rows that fit are copied. */
        o.nvariants = (size_t)PySequence_Fast_GET_SIZE(seq);
        for (size_t v = 0; v < o.nvariants && v < 4; v++)
            if (!get_int3(PySequence_Fast_GET_ITEM(seq, (Py_ssize_t)v), "variant", o.variants[v])) {
                Py_DECREF(seq);
                return NULL;
            }
        Py_DECREF(seq);
    }
    CZ_NOGIL(st = cz_defect_planes_draw(lat, vol, &o, CZ_DEFECTS_MAX_PLANES, planes));
    if (st != CZ_OK) return raise_status(st);
    return planes_list(o.ntwins + o.nfaults, planes);
}

/* ------------------------------------------------------------------------------------------ */
/* Strain                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_strain_from_voigt(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *v_obj;
    double eps[3][3];
    cz_status st;
    if (!PyArg_ParseTuple(args, "O:strain_from_voigt", &v_obj)) return NULL;
    PyArrayObject *v = double_array(v_obj, "voigt", 1, 6, 0);
    if (v == NULL) return NULL;
    const double *voigt = PyArray_DATA(v);
    CZ_NOGIL(st = cz_strain_from_voigt(voigt, eps));
    Py_DECREF(v);
    if (st != CZ_OK) return raise_status(st);
    return mat33_array(CONST33(eps));
}

static PyObject *py_strain_transform(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"eps", "frame", "placement", "center", NULL};
    PyObject *eps_obj, *placement_obj = NULL, *center_obj = NULL;
    int frame;
    double eps[3][3], center[3];
    cz_transform placement, tf;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "Oi|OO:strain_transform", kwlist, &eps_obj, &frame,
                                     &placement_obj, &center_obj))
        return NULL;
    if (!get_mat33(eps_obj, "eps", eps)) return NULL;
    const cz_transform *pp = NULL;
    const double *cp = NULL;
    if (placement_obj != NULL && placement_obj != Py_None) {
        if (!get_transform(placement_obj, &placement)) return NULL;
        pp = &placement;
    }
    if (center_obj != NULL && center_obj != Py_None) {
        if (!get_vec3(center_obj, "center", center)) return NULL;
        cp = center;
    }
    CZ_NOGIL(st = cz_strain_transform(CONST33(eps), (cz_strain_frame)frame, pp, cp, &tf));
    if (st != CZ_OK) return raise_status(st);
    return transform_tuple(&tf);
}

static PyObject *py_lattice_strain(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *lat_obj, *eps_obj;
    double eps[3][3];
    cz_lattice *out = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "OO:lattice_strain", &lat_obj, &eps_obj)) return NULL;
    const cz_lattice *lat = get_lattice(lat_obj);
    if (lat == NULL || !get_mat33(eps_obj, "eps", eps)) return NULL;
    CZ_NOGIL(st = cz_lattice_strain(lat, CONST33(eps), &out));
    if (st != CZ_OK) return raise_status(st);
    return wrap_lattice(out);
}

static PyObject *py_radial_strain_opts_default(PyObject *Py_UNUSED(self),
                                               PyObject *Py_UNUSED(args)) {
    cz_radial_strain_opts o;
    cz_radial_strain_opts_default(&o);
    return Py_BuildValue("{s:N,s:d,s:d,s:d,s:i,s:i}", "center", vec3_array(o.center), "epsilon",
                         o.epsilon, "radius", o.radius, "exponent", o.exponent, "profile",
                         (int)o.profile, "object_id", o.object_id);
}

static PyObject *py_core_shell_strain_opts_default(PyObject *Py_UNUSED(self),
                                                   PyObject *Py_UNUSED(args)) {
    cz_core_shell_strain_opts o;
    cz_core_shell_strain_opts_default(&o);
    return Py_BuildValue("{s:N,s:d,s:d,s:d,s:d,s:i}", "center", vec3_array(o.center), "core_radius",
                         o.core_radius, "shell_radius", o.shell_radius, "misfit", o.misfit,
                         "poisson", o.poisson, "object_id", o.object_id);
}

/* (new positions (n, 3), atoms moved). The input arrays are never modified. */
static PyObject *moved_positions(atoms_view *v, cz_status st, size_t moved) {
    if (st != CZ_OK) {
        free_atoms_view(v);
        return raise_status(st);
    }
    PyObject *pos = Py_NewRef((PyObject *)v->pos);
    free_atoms_view(v);
    return Py_BuildValue("(Nn)", pos, (Py_ssize_t)moved);
}

static PyObject *py_strain_radial(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions", "numbers",  "object_ids", "center",    "epsilon",
                             "radius",    "exponent", "profile",    "object_id", NULL};
    PyObject *pos, *z, *ids, *center = NULL, *epsilon = NULL, *radius = NULL, *exponent = NULL,
                             *profile = NULL, *object_id = NULL;
    cz_radial_strain_opts o;
    atoms_view v;
    size_t moved = 0;
    int prof;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOOOOO:strain_radial", kwlist, &pos, &z, &ids,
                                     &center, &epsilon, &radius, &exponent, &profile, &object_id))
        return NULL;
    cz_radial_strain_opts_default(&o);
    prof = (int)o.profile;
    if (!opt_vec3(center, "center", o.center) || !opt_double(epsilon, &o.epsilon) ||
        !opt_double(radius, &o.radius) || !opt_double(exponent, &o.exponent) ||
        !opt_int(profile, "profile", &prof) || !opt_int(object_id, "object_id", &o.object_id))
        return NULL;
    o.profile = (cz_radial_profile)prof;
    if (!get_atoms_view(pos, z, ids, NULL, NULL, &v)) return NULL;
    CZ_NOGIL(st = cz_strain_radial(&v.a, &o, &moved));
    return moved_positions(&v, st, moved);
}

static PyObject *py_strain_core_shell(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions",    "numbers", "object_ids", "center",    "core_radius",
                             "shell_radius", "misfit",  "poisson",    "object_id", NULL};
    PyObject *pos, *z, *ids, *center = NULL, *rc = NULL, *rs = NULL, *misfit = NULL,
                             *poisson = NULL, *object_id = NULL;
    cz_core_shell_strain_opts o;
    atoms_view v;
    size_t moved = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOOOOO:strain_core_shell", kwlist, &pos, &z,
                                     &ids, &center, &rc, &rs, &misfit, &poisson, &object_id))
        return NULL;
    cz_core_shell_strain_opts_default(&o);
    if (!opt_vec3(center, "center", o.center) || !opt_double(rc, &o.core_radius) ||
        !opt_double(rs, &o.shell_radius) || !opt_double(misfit, &o.misfit) ||
        !opt_double(poisson, &o.poisson) || !opt_int(object_id, "object_id", &o.object_id))
        return NULL;
    if (!get_atoms_view(pos, z, ids, NULL, NULL, &v)) return NULL;
    CZ_NOGIL(st = cz_strain_core_shell(&v.a, &o, &moved));
    return moved_positions(&v, st, moved);
}

/* ------------------------------------------------------------------------------------------ */
/* Composition: substitution, vacancies, coordination, roughness, core-shell                   */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_substitute_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_substitute_opts o;
    cz_substitute_opts_default(&o);
    return Py_BuildValue("{s:i,s:i,s:d,s:i,s:K,s:K}", "z_from", o.z_from, "z_to", o.z_to,
                         "fraction", o.fraction, "object_id", o.object_id, "seed",
                         (unsigned long long)o.seed, "stream", (unsigned long long)o.stream);
}

static PyObject *py_vacancy_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_vacancy_opts o;
    cz_vacancy_opts_default(&o);
    return Py_BuildValue("{s:d,s:i,s:i,s:K,s:K}", "fraction", o.fraction, "z", o.z, "object_id",
                         o.object_id, "seed", (unsigned long long)o.seed, "stream",
                         (unsigned long long)o.stream);
}

static PyObject *py_roughen_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_roughen_opts o;
    cz_roughen_opts_default(&o);
    return Py_BuildValue("{s:d,s:d,s:i,s:i,s:i,s:K,s:K,s:i}", "fraction", o.fraction, "cutoff",
                         o.cutoff, "bulk_coordination", o.bulk_coordination, "object_id",
                         o.object_id, "passes", o.passes, "seed", (unsigned long long)o.seed,
                         "stream", (unsigned long long)o.stream, "nthreads", o.nthreads);
}

static PyObject *py_core_shell_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_core_shell_opts o;
    cz_core_shell_opts_default(&o);
    return Py_BuildValue("{s:N,s:d,s:i,s:i,s:i,s:i}", "placement", transform_tuple(&o.placement),
                         "mismatch", o.mismatch, "priority", o.object.priority, "class_id",
                         o.object.class_id, "grain_id", o.object.grain_id, "object_id",
                         o.object.object_id);
}

/* -> (new numbers (n,) int64, atoms changed). */
static PyObject *py_atoms_substitute(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions", "numbers",   "object_ids", "z_from", "z_to",
                             "fraction",  "object_id", "seed",       "stream", NULL};
    PyObject *pos, *z, *ids, *z_from = NULL, *z_to = NULL, *fraction = NULL, *object_id = NULL,
                             *seed = NULL, *stream = NULL;
    cz_substitute_opts o;
    atoms_view v;
    size_t count = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOOOOO:atoms_substitute", kwlist, &pos, &z,
                                     &ids, &z_from, &z_to, &fraction, &object_id, &seed, &stream))
        return NULL;
    cz_substitute_opts_default(&o);
    if (!opt_int(z_from, "z_from", &o.z_from) || !opt_int(z_to, "z_to", &o.z_to) ||
        !opt_double(fraction, &o.fraction) || !opt_int(object_id, "object_id", &o.object_id) ||
        !opt_u64(seed, &o.seed) || !opt_u64(stream, &o.stream))
        return NULL;
    if (!get_atoms_view(pos, z, ids, NULL, NULL, &v)) return NULL;
    CZ_NOGIL(st = cz_atoms_substitute(&v.a, &o, &count));
    if (st != CZ_OK) {
        free_atoms_view(&v);
        return raise_status(st);
    }
    npy_intp n = (npy_intp)v.a.n;
    PyObject *out = PyArray_SimpleNew(1, &n, NPY_INT64);
    if (out != NULL) {
        int64_t *dst = PyArray_DATA((PyArrayObject *)out);
        for (npy_intp i = 0; i < n; i++) dst[i] = v.a.z[i];
    }
    free_atoms_view(&v);
    if (out == NULL) return NULL;
    return Py_BuildValue("(Nn)", out, (Py_ssize_t)count);
}

/* -> (original indices of the atoms kept, (m,) int64, atoms removed). */
static PyObject *py_atoms_vacate(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions", "numbers", "object_ids", "fraction", "z",
                             "object_id", "seed",    "stream",     NULL};
    PyObject *pos, *z_arr, *ids, *fraction = NULL, *z = NULL, *object_id = NULL, *seed = NULL,
                                 *stream = NULL;
    cz_vacancy_opts o;
    atoms_view v;
    size_t removed = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOO|OOOOO:atoms_vacate", kwlist, &pos, &z_arr, &ids,
                                     &fraction, &z, &object_id, &seed, &stream))
        return NULL;
    cz_vacancy_opts_default(&o);
    if (!opt_double(fraction, &o.fraction) || !opt_int(z, "z", &o.z) ||
        !opt_int(object_id, "object_id", &o.object_id) || !opt_u64(seed, &o.seed) ||
        !opt_u64(stream, &o.stream))
        return NULL;
    if (!get_atoms_view(pos, z_arr, ids, NULL, NULL, &v)) return NULL;
    view_number_atoms(&v);
    CZ_NOGIL(st = cz_atoms_vacate(&v.a, &o, &removed));
    if (st != CZ_OK) {
        free_atoms_view(&v);
        return raise_status(st);
    }
    PyObject *kept = view_survivors(&v);
    free_atoms_view(&v);
    if (kept == NULL) return NULL;
    return Py_BuildValue("(Nn)", kept, (Py_ssize_t)removed);
}

static PyObject *py_atoms_coordination(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions", "numbers", "cell", "pbc", "cutoff", "nthreads", NULL};
    PyObject *pos, *z, *cell, *pbc, *nthreads = NULL;
    double cutoff;
    cz_roughen_opts r;
    atoms_view v;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOOd|O:atoms_coordination", kwlist, &pos, &z,
                                     &cell, &pbc, &cutoff, &nthreads))
        return NULL;
    /* The thread-count default is the one every cz_atoms_coordination caller in the library
     * uses (cz_roughen_opts.nthreads: the OpenMP default). */
    cz_roughen_opts_default(&r);
    if (!opt_int(nthreads, "nthreads", &r.nthreads)) return NULL;
    if (!get_atoms_view(pos, z, NULL, cell, pbc, &v)) return NULL;
    npy_intp n = (npy_intp)v.a.n;
    int *counts = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(int));
    if (counts == NULL) {
        free_atoms_view(&v);
        return PyErr_NoMemory();
    }
    CZ_NOGIL(st = cz_atoms_coordination(&v.a, cutoff, r.nthreads, counts));
    free_atoms_view(&v);
    if (st != CZ_OK) {
        PyMem_Free(counts);
        return raise_status(st);
    }
    PyObject *out = PyArray_SimpleNew(1, &n, NPY_INT64);
    if (out != NULL) {
        int64_t *dst = PyArray_DATA((PyArrayObject *)out);
        for (npy_intp i = 0; i < n; i++) dst[i] = counts[i];
    }
    PyMem_Free(counts);
    return out;
}

/* -> (original indices of the atoms kept, atoms removed). */
static PyObject *py_atoms_roughen(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions", "numbers", "object_ids",        "cell",      "pbc",
                             "fraction",  "cutoff",  "bulk_coordination", "object_id", "passes",
                             "seed",      "stream",  "nthreads",          NULL};
    PyObject *pos, *z, *ids, *cell, *pbc, *fraction = NULL, *cutoff = NULL, *bulk = NULL,
                                          *object_id = NULL, *passes = NULL, *seed = NULL,
                                          *stream = NULL, *nthreads = NULL;
    cz_roughen_opts o;
    atoms_view v;
    size_t removed = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOOO|OOOOOOOO:atoms_roughen", kwlist, &pos, &z,
                                     &ids, &cell, &pbc, &fraction, &cutoff, &bulk, &object_id,
                                     &passes, &seed, &stream, &nthreads))
        return NULL;
    cz_roughen_opts_default(&o);
    if (!opt_double(fraction, &o.fraction) || !opt_double(cutoff, &o.cutoff) ||
        !opt_int(bulk, "bulk_coordination", &o.bulk_coordination) ||
        !opt_int(object_id, "object_id", &o.object_id) || !opt_int(passes, "passes", &o.passes) ||
        !opt_u64(seed, &o.seed) || !opt_u64(stream, &o.stream) ||
        !opt_int(nthreads, "nthreads", &o.nthreads))
        return NULL;
    if (!get_atoms_view(pos, z, ids, cell, pbc, &v)) return NULL;
    view_number_atoms(&v);
    CZ_NOGIL(st = cz_atoms_roughen(&v.a, &o, &removed));
    if (st != CZ_OK) {
        free_atoms_view(&v);
        return raise_status(st);
    }
    PyObject *kept = view_survivors(&v);
    free_atoms_view(&v);
    if (kept == NULL) return NULL;
    return Py_BuildValue("(Nn)", kept, (Py_ssize_t)removed);
}

static PyObject *py_scene_add_core_shell(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"scene",        "core_lattice", "core_volume", "shell_lattice",
                             "shell_volume", "placement",    "mismatch",    "priority",
                             "class_id",     "grain_id",     "object_id",   NULL};
    PyObject *cap, *cl_obj, *cv_obj, *sl_obj, *sv_obj,
        *placement = NULL, *mismatch = NULL, *priority = NULL, *class_id = NULL, *grain_id = NULL,
        *object_id = NULL;
    PyThread_type_lock lock;
    cz_core_shell_opts o;
    size_t first = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOOO|OOOOOO:scene_add_core_shell", kwlist, &cap,
                                     &cl_obj, &cv_obj, &sl_obj, &sv_obj, &placement, &mismatch,
                                     &priority, &class_id, &grain_id, &object_id))
        return NULL;
    cz_scene *scene = get_scene(cap, &lock);
    const cz_lattice *cl = scene ? get_lattice(cl_obj) : NULL;
    const cz_volume *cv = cl ? get_volume(cv_obj) : NULL;
    const cz_lattice *sl = cv ? get_lattice(sl_obj) : NULL;
    const cz_volume *sv = sl ? get_volume(sv_obj) : NULL;
    if (sv == NULL) return NULL;
    cz_core_shell_opts_default(&o);
    if (!opt_transform(placement, &o.placement) || !opt_double(mismatch, &o.mismatch) ||
        !opt_object(priority, class_id, grain_id, object_id, &o.object))
        return NULL;
    CZ_NOGIL_LOCKED(lock, st = cz_scene_add_core_shell(scene, cl, cv, sl, sv, &o, &first));
    if (st != CZ_OK) return raise_status(st);
    return PyLong_FromSize_t(first);
}

/* ------------------------------------------------------------------------------------------ */
/* Crystalline substrates: slabs                                                               */
/* ------------------------------------------------------------------------------------------ */

/* A cz_slab is read-only after creation, so one capsule may be read, turned into atoms and added
 * to scenes from several threads at once. */
static const char SLAB_CAPSULE[] = "cz._cz.slab";

static void slab_capsule_free(PyObject *cap) {
    cz_slab_destroy(PyCapsule_GetPointer(cap, SLAB_CAPSULE));
}

static PyObject *wrap_slab(cz_status st, cz_slab *slab) {
    if (st != CZ_OK) return raise_status(st);
    PyObject *cap = PyCapsule_New(slab, SLAB_CAPSULE, slab_capsule_free);
    if (cap == NULL) cz_slab_destroy(slab);
    return cap;
}

static const cz_slab *get_slab(PyObject *obj) {
    if (!PyCapsule_IsValid(obj, SLAB_CAPSULE)) {
        PyErr_Format(PyExc_TypeError, "expected a cz slab handle, got %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    return PyCapsule_GetPointer(obj, SLAB_CAPSULE);
}

static PyObject *py_slab_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_slab_opts o;
    cz_slab_opts_default(&o);
    return Py_BuildValue(
        "{s:(iii),s:n,s:d,s:i,s:d,s:d,s:d,s:i,s:(ii),s:((dd)(dd)),s:d}", "hkl", o.hkl[0], o.hkl[1],
        o.hkl[2], "nplanes", (Py_ssize_t)o.nplanes, "thickness", o.thickness, "termination",
        o.termination, "z_top", o.z_top, "cell_height", o.cell_height, "inplane_deg", o.inplane_deg,
        "lateral", (int)o.lateral, "repeats", o.repeats[0], o.repeats[1], "target", o.target[0][0],
        o.target[0][1], o.target[1][0], o.target[1][1], "max_strain", o.max_strain);
}

/* The fields of cz_slab_opts every slab builder reads (frame and in-plane cell); None keeps the
 * default already in *o. */
static int get_slab_frame(PyObject *z_top, PyObject *cell_height, PyObject *inplane_deg,
                          PyObject *lateral, PyObject *repeats, PyObject *target,
                          PyObject *max_strain, cz_slab_opts *o) {
    int mode = (int)o->lateral;
    if (!opt_double(z_top, &o->z_top) || !opt_double(cell_height, &o->cell_height) ||
        !opt_double(inplane_deg, &o->inplane_deg) || !opt_int(lateral, "lateral", &mode) ||
        !opt_double(max_strain, &o->max_strain))
        return 0;
    o->lateral = (cz_slab_lateral)mode;
    if (repeats != NULL && repeats != Py_None) {
        npy_intp n = 2;
        int *r = int_buffer(repeats, "repeats", &n);
        if (r == NULL) return 0;
        o->repeats[0] = r[0];
        o->repeats[1] = r[1];
        PyMem_Free(r);
    }
    if (target != NULL && target != Py_None) {
        PyArrayObject *t = double_array(target, "target", 2, 2, 2);
        if (t == NULL) return 0;
        memcpy(o->target, PyArray_DATA(t), sizeof o->target);
        Py_DECREF(t);
    }
    return 1;
}

static PyObject *py_slab_create(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"lattice", "hkl",         "nplanes",     "thickness", "termination",
                             "z_top",   "cell_height", "inplane_deg", "lateral",   "repeats",
                             "target",  "max_strain",  NULL};
    PyObject *lat_obj, *hkl = NULL, *nplanes = NULL, *thickness = NULL, *termination = NULL,
                       *z_top = NULL, *cell_height = NULL, *inplane = NULL, *lateral = NULL,
                       *repeats = NULL, *target = NULL, *max_strain = NULL;
    cz_slab_opts o;
    cz_slab *slab = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOOOOOOOOO:slab_create", kwlist, &lat_obj, &hkl,
                                     &nplanes, &thickness, &termination, &z_top, &cell_height,
                                     &inplane, &lateral, &repeats, &target, &max_strain))
        return NULL;
    const cz_lattice *lat = get_lattice(lat_obj);
    if (lat == NULL) return NULL;
    cz_slab_opts_default(&o);
    /* Plane count and thickness are alternatives: a thickness given alone replaces the default
     * plane count rather than being ignored by it (giving both is the caller's to reject). */
    if (thickness != NULL && thickness != Py_None && (nplanes == NULL || nplanes == Py_None))
        o.nplanes = 0;
    if (!opt_int3(hkl, "hkl", o.hkl) || !opt_size(nplanes, "nplanes", &o.nplanes) ||
        !opt_double(thickness, &o.thickness) ||
        !opt_int(termination, "termination", &o.termination) ||
        !get_slab_frame(z_top, cell_height, inplane, lateral, repeats, target, max_strain, &o))
        return NULL;
    CZ_NOGIL(st = cz_slab_create(lat, &o, &slab));
    return wrap_slab(st, slab);
}

typedef cz_status (*slab_layers_fn)(size_t, const cz_slab_opts *, cz_slab **);

/* cz_slab_mos2 and cz_slab_graphene: a layer count and the frame fields (the others are
 * ignored by both, so they are not accepted). */
static PyObject *slab_layers(PyObject *args, PyObject *kw, const char *format, slab_layers_fn fn) {
    static char *kwlist[] = {"layers",  "z_top",  "cell_height", "inplane_deg", "lateral",
                             "repeats", "target", "max_strain",  NULL};
    PyObject *layers_obj, *z_top = NULL, *cell_height = NULL, *inplane = NULL, *lateral = NULL,
                          *repeats = NULL, *target = NULL, *max_strain = NULL;
    size_t layers = 0;
    cz_slab_opts o;
    cz_slab *slab = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, format, kwlist, &layers_obj, &z_top, &cell_height,
                                     &inplane, &lateral, &repeats, &target, &max_strain))
        return NULL;
    cz_slab_opts_default(&o);
    if (!opt_size(layers_obj, "layers", &layers) ||
        !get_slab_frame(z_top, cell_height, inplane, lateral, repeats, target, max_strain, &o))
        return NULL;
    CZ_NOGIL(st = fn(layers, &o, &slab));
    return wrap_slab(st, slab);
}

static PyObject *py_slab_mos2(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    return slab_layers(args, kw, "O|OOOOOOO:slab_mos2", cz_slab_mos2);
}

static PyObject *py_slab_graphene(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    return slab_layers(args, kw, "O|OOOOOOO:slab_graphene", cz_slab_graphene);
}

static PyObject *mat22_array(const double (*m)[2]) {
    PyObject *a = new_double_array(2, 2, 2);
    if (a != NULL) memcpy(PyArray_DATA((PyArrayObject *)a), m, 4 * sizeof(double));
    return a;
}

/* Plain copies of the slab's fields (a dict); no cz call. */
static PyObject *py_slab_info(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O:slab_info", &cap)) return NULL;
    const cz_slab *s = get_slab(cap);
    if (s == NULL) return NULL;
    npy_intp m = (npy_intp)s->nplanes_period;
    PyObject *heights = new_double_array(1, m, 0);
    PyObject *counts = PyArray_SimpleNew(1, &m, NPY_INT64);
    if (heights == NULL || counts == NULL) {
        Py_XDECREF(heights);
        Py_XDECREF(counts);
        return NULL;
    }
    if (m > 0)
        memcpy(PyArray_DATA((PyArrayObject *)heights), s->plane_height, (size_t)m * sizeof(double));
    int64_t *c = PyArray_DATA((PyArrayObject *)counts);
    for (npy_intp q = 0; q < m; q++) c[q] = (int64_t)s->plane_atoms[q];
    return Py_BuildValue(
        "{s:N,s:(iii),s:N,s:d,s:n,s:N,s:N,s:i,s:n,s:d,s:d,s:((ii)(ii)),s:n,s:N,s:(OOO),s:N,s:d,"
        "s:d,s:O,s:n}",
        "origin", vec3_array(s->origin), "hkl", s->hkl[0], s->hkl[1], s->hkl[2], "uvw",
        mat33_array(CONST33(s->uvw)), "d_spacing", s->d_spacing, "nplanes_period",
        (Py_ssize_t)s->nplanes_period, "plane_height", heights, "plane_atoms", counts,
        "termination", s->termination, "nplanes", (Py_ssize_t)s->nplanes, "z_top", s->z_top,
        "z_bottom", s->z_bottom, "repeats", s->repeats[0][0], s->repeats[0][1], s->repeats[1][0],
        s->repeats[1][1], "ncells", (Py_ssize_t)s->ncells, "cell", mat33_array(CONST33(s->cell)),
        "pbc", s->pbc[0] ? Py_True : Py_False, s->pbc[1] ? Py_True : Py_False,
        s->pbc[2] ? Py_True : Py_False, "strain", mat22_array((const double(*)[2])s->strain),
        "strain_max", s->strain_max, "rotation_deg", s->rotation_deg, "strained",
        s->strained ? Py_True : Py_False, "natoms", (Py_ssize_t)s->natoms);
}

/* A copy of the slab's lattice (world frame, strained when matched), as a lattice handle. */
static PyObject *py_slab_lattice(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    cz_lattice *lattice = NULL;
    cz_status st;
    if (!PyArg_ParseTuple(args, "O:slab_lattice", &cap)) return NULL;
    const cz_slab *s = get_slab(cap);
    if (s == NULL) return NULL;
    CZ_NOGIL(st = cz_lattice_copy(s->lattice, &lattice));
    if (st != CZ_OK) return raise_status(st);
    return wrap_lattice(lattice);
}

/* Labels of a slab. *out is NULL (the library's substrate defaults) when none is given; when
 * some are, the others keep the values cz_substrate.h documents for NULL: cz_object_opts_default
 * with class_id CZ_CLASS_SUBSTRATE. Returns 1, or 0 with an exception set. */
static int slab_labels(PyObject *priority, PyObject *class_id, PyObject *grain_id,
                       PyObject *object_id, cz_object_opts *o, const cz_object_opts **out) {
    PyObject *given[4] = {priority, class_id, grain_id, object_id};
    int any = 0;
    for (int k = 0; k < 4; k++) any |= given[k] != NULL && given[k] != Py_None;
    *out = NULL;
    if (!any) return 1;
    cz_object_opts_default(o);
    o->class_id = CZ_CLASS_SUBSTRATE;
    if (!opt_object(priority, class_id, grain_id, object_id, o)) return 0;
    *out = o;
    return 1;
}

static PyObject *py_slab_atoms(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"slab", "object_id", "grain_id", "class_id", NULL};
    PyObject *cap, *object_id = NULL, *grain_id = NULL, *class_id = NULL;
    cz_object_opts o;
    cz_atoms *atoms = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOO:slab_atoms", kwlist, &cap, &object_id,
                                     &grain_id, &class_id))
        return NULL;
    const cz_slab *s = get_slab(cap);
    if (s == NULL) return NULL;
    const cz_object_opts *lp = NULL;
    if (!slab_labels(NULL, class_id, grain_id, object_id, &o, &lp)) return NULL;
    CZ_NOGIL(st = cz_slab_atoms(s, lp, &atoms));
    if (st != CZ_OK) {
        cz_atoms_destroy(atoms);
        return raise_status(st);
    }
    return atoms_to_dict(atoms);
}

static PyObject *py_scene_add_slab(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"scene",    "slab",      "priority", "class_id",
                             "grain_id", "object_id", NULL};
    PyObject *scene_obj, *cap, *priority = NULL, *class_id = NULL, *grain_id = NULL,
                               *object_id = NULL;
    PyThread_type_lock lock;
    cz_object_opts o;
    size_t index = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOOO:scene_add_slab", kwlist, &scene_obj, &cap,
                                     &priority, &class_id, &grain_id, &object_id))
        return NULL;
    cz_scene *scene = get_scene(scene_obj, &lock);
    const cz_slab *s = scene ? get_slab(cap) : NULL;
    if (s == NULL) return NULL;
    const cz_object_opts *op = NULL;
    if (!slab_labels(priority, class_id, grain_id, object_id, &o, &op)) return NULL;
    CZ_NOGIL_LOCKED(lock, st = cz_slab_add_to_scene(scene, s, op, &index));
    if (st != CZ_OK) return raise_status(st);
    return PyLong_FromSize_t(index);
}

/* ------------------------------------------------------------------------------------------ */
/* Placement on a surface; clash removal                                                       */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_place_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_place_opts o;
    cz_place_opts_default(&o);
    return Py_BuildValue("{s:(dd),s:d,s:d,s:d,s:N,s:i,s:N,s:d,s:O,s:K,s:K,s:K}", "xy", o.xy[0],
                         o.xy[1], "surface_z", o.surface_z, "depth", o.depth, "depth_fraction",
                         o.depth_fraction, "center", vec3_array(o.center), "orient", (int)o.orient,
                         "facet_normal", vec3_array(o.facet_normal), "inplane_deg", o.inplane_deg,
                         "random_inplane", o.random_inplane ? Py_True : Py_False, "seed",
                         (unsigned long long)o.seed, "stream", (unsigned long long)o.stream,
                         "index", (unsigned long long)o.index);
}

/* The optional arguments of both placement bindings, in kwlist order. */
typedef struct rest_args {
    PyObject *xy, *surface_z, *depth, *depth_fraction, *center, *orient, *facet_normal,
        *inplane_deg, *random_inplane, *seed, *stream, *index;
} rest_args;

static int get_rest_opts(const rest_args *r, cz_place_opts *o) {
    cz_place_opts_default(o);
    int orient = (int)o->orient;
    if (r->xy != NULL && r->xy != Py_None) {
        PyArrayObject *xy = double_array(r->xy, "xy", 1, 2, 0);
        if (xy == NULL) return 0;
        memcpy(o->xy, PyArray_DATA(xy), sizeof o->xy);
        Py_DECREF(xy);
    }
    if (!opt_double(r->surface_z, &o->surface_z) || !opt_double(r->depth, &o->depth) ||
        !opt_double(r->depth_fraction, &o->depth_fraction) ||
        !opt_vec3(r->center, "center", o->center) || !opt_int(r->orient, "orient", &orient) ||
        !opt_vec3(r->facet_normal, "facet_normal", o->facet_normal) ||
        !opt_double(r->inplane_deg, &o->inplane_deg) ||
        !opt_bool(r->random_inplane, &o->random_inplane) || !opt_u64(r->seed, &o->seed) ||
        !opt_u64(r->stream, &o->stream) || !opt_u64(r->index, &o->index))
        return 0;
    o->orient = (cz_orient_mode)orient;
    return 1;
}

static PyObject *placement_dict(cz_status st, const cz_placement *p) {
    if (st != CZ_OK) return raise_status(st);
    return Py_BuildValue("{s:N,s:N,s:d,s:d,s:d,s:d}", "transform", transform_tuple(&p->tf),
                         "rotation", mat33_array(CONST33(p->rotation)), "bottom_z", p->bottom_z,
                         "top_z", p->top_z, "extent_z", p->extent_z, "depth", p->depth);
}

static PyObject *py_placement_volume(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"volume", "xy",     "surface_z",    "depth",       "depth_fraction",
                             "center", "orient", "facet_normal", "inplane_deg", "random_inplane",
                             "seed",   "stream", "index",        NULL};
    PyObject *vol_obj;
    rest_args r = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    cz_place_opts o;
    cz_placement p;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOOOOOOOOOO:placement_volume", kwlist, &vol_obj,
                                     &r.xy, &r.surface_z, &r.depth, &r.depth_fraction, &r.center,
                                     &r.orient, &r.facet_normal, &r.inplane_deg, &r.random_inplane,
                                     &r.seed, &r.stream, &r.index))
        return NULL;
    const cz_volume *v = get_volume(vol_obj);
    if (v == NULL || !get_rest_opts(&r, &o)) return NULL;
    CZ_NOGIL(st = cz_placement_volume(v, &o, &p));
    return placement_dict(st, &p);
}

static PyObject *py_placement_atoms(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions",      "numbers", "xy",     "surface_z",    "depth",
                             "depth_fraction", "center",  "orient", "facet_normal", "inplane_deg",
                             "random_inplane", "seed",    "stream", "index",        NULL};
    PyObject *pos, *z;
    rest_args r = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    cz_place_opts o;
    cz_placement p;
    atoms_view v;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOOOOOOOOOOO:placement_atoms", kwlist, &pos, &z,
                                     &r.xy, &r.surface_z, &r.depth, &r.depth_fraction, &r.center,
                                     &r.orient, &r.facet_normal, &r.inplane_deg, &r.random_inplane,
                                     &r.seed, &r.stream, &r.index))
        return NULL;
    if (!get_rest_opts(&r, &o)) return NULL;
    if (!get_atoms_view(pos, z, NULL, NULL, NULL, &v)) return NULL;
    CZ_NOGIL(st = cz_placement_atoms(&v.a, &o, &p));
    free_atoms_view(&v);
    return placement_dict(st, &p);
}

static PyObject *py_clash_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_clash_opts o;
    cz_clash_opts_default(&o);
    PyObject *cd = new_double_array(2, 4, 4);
    if (cd == NULL) return NULL;
    memcpy(PyArray_DATA((PyArrayObject *)cd), o.class_distance, sizeof o.class_distance);
    return Py_BuildValue("{s:d,s:O,s:N,s:n,s:i}", "distance", o.distance, "by_class",
                         o.by_class ? Py_True : Py_False, "class_distance", cd, "npriority",
                         (Py_ssize_t)o.npriority, "nthreads", o.nthreads);
}

/* Replace the zero class column of a view by the caller's class ids. */
static int view_set_class(atoms_view *v, PyObject *obj) {
    npy_intp len = (npy_intp)v->a.n;
    int *col = int_buffer(obj, "class_id", &len);
    if (col == NULL) return 0;
    PyMem_Free(v->cols[3]);
    v->cols[3] = col;
    v->a.class_id = col;
    return 1;
}

/* -> (original indices of the atoms kept, atoms removed). class_distance given switches to the
 * per-class distances (by_class); priority[k] is the priority of object_id k. */
static PyObject *py_atoms_remove_clashes(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions", "numbers",  "object_ids", "class_ids",
                             "cell",      "pbc",      "distance",   "class_distance",
                             "priority",  "nthreads", NULL};
    PyObject *pos, *z, *ids, *classes, *cell, *pbc, *distance = NULL, *class_distance = NULL,
                                                    *priority = NULL, *nthreads = NULL;
    cz_clash_opts o;
    atoms_view v;
    int *prio = NULL;
    size_t removed = 0;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOOOO|OOOO:atoms_remove_clashes", kwlist, &pos, &z,
                                     &ids, &classes, &cell, &pbc, &distance, &class_distance,
                                     &priority, &nthreads))
        return NULL;
    cz_clash_opts_default(&o);
    if (!opt_double(distance, &o.distance) || !opt_int(nthreads, "nthreads", &o.nthreads))
        return NULL;
    if (class_distance != NULL && class_distance != Py_None) {
        PyArrayObject *cd = double_array(class_distance, "class_distance", 2, 4, 4);
        if (cd == NULL) return NULL;
        memcpy(o.class_distance, PyArray_DATA(cd), sizeof o.class_distance);
        Py_DECREF(cd);
        o.by_class = 1;
    }
    if (priority != NULL && priority != Py_None) {
        npy_intp np_ = -1;
        prio = int_buffer(priority, "priority", &np_);
        if (prio == NULL) return NULL;
        o.priority = prio;
        o.npriority = (size_t)np_;
    }
    if (!get_atoms_view(pos, z, ids, cell, pbc, &v)) {
        PyMem_Free(prio);
        return NULL;
    }
    if (!view_set_class(&v, classes)) {
        free_atoms_view(&v);
        PyMem_Free(prio);
        return NULL;
    }
    view_number_atoms(&v);
    CZ_NOGIL(st = cz_atoms_remove_clashes(&v.a, &o, &removed));
    PyMem_Free(prio);
    if (st != CZ_OK) {
        free_atoms_view(&v);
        return raise_status(st);
    }
    PyObject *kept = view_survivors(&v);
    free_atoms_view(&v);
    if (kept == NULL) return NULL;
    return Py_BuildValue("(Nn)", kept, (Py_ssize_t)removed);
}

/* ------------------------------------------------------------------------------------------ */
/* Surface sites and ligands                                                                   */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_site_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_site_opts o;
    cz_site_opts_default(&o);
    return Py_BuildValue("{s:i,s:d,s:i,s:O,s:i}", "object_id", o.object_id, "cutoff", o.cutoff,
                         "bulk_coordination", o.bulk_coordination, "exposed_only",
                         o.exposed_only ? Py_True : Py_False, "nthreads", o.nthreads);
}

static PyObject *py_ligand_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_ligand_opts o;
    cz_ligand_opts_default(&o);
    return Py_BuildValue(
        "{s:n,s:N,s:d,s:d,s:d,s:d,s:i,s:i,s:O,s:K,s:K}", "anchor", (Py_ssize_t)o.anchor, "axis",
        vec3_array(o.axis), "bond_length", o.bond_length, "coverage", o.coverage, "clash_distance",
        o.clash_distance, "ligand_distance", o.ligand_distance, "max_attempts", o.max_attempts,
        "object_id", o.object_id, "per_molecule", o.per_molecule ? Py_True : Py_False, "seed",
        (unsigned long long)o.seed, "stream", (unsigned long long)o.stream);
}

/* Override the fields of an already defaulted cz_site_opts. */
static int opt_sites(PyObject *object_id, PyObject *cutoff, PyObject *bulk, PyObject *exposed,
                     PyObject *nthreads, cz_site_opts *o) {
    return opt_int(object_id, "object_id", &o->object_id) && opt_double(cutoff, &o->cutoff) &&
           opt_int(bulk, "bulk_coordination", &o->bulk_coordination) &&
           opt_bool(exposed, &o->exposed_only) && opt_int(nthreads, "nthreads", &o->nthreads);
}

/* Convert a cz_sites into a dict and destroy it (on every path): atom (n,) int64, xyz (n, 3),
 * normal (n, 3), coordination (n,) int64, cutoff, bulk_coordination. */
static PyObject *sites_to_dict(cz_sites *s) {
    npy_intp n = (npy_intp)s->n;
    PyObject *atom = PyArray_SimpleNew(1, &n, NPY_INT64);
    PyObject *coord = PyArray_SimpleNew(1, &n, NPY_INT64);
    PyObject *xyz = new_double_array(2, n, 3);
    PyObject *normal = new_double_array(2, n, 3);
    PyObject *result = NULL;
    if (atom != NULL && coord != NULL && xyz != NULL && normal != NULL) {
        int64_t *a = PyArray_DATA((PyArrayObject *)atom);
        int64_t *c = PyArray_DATA((PyArrayObject *)coord);
        for (npy_intp i = 0; i < n; i++) {
            a[i] = (int64_t)s->atom[i];
            c[i] = s->coordination[i];
        }
        if (n > 0) {
            memcpy(PyArray_DATA((PyArrayObject *)xyz), s->xyz, (size_t)n * 3 * sizeof(double));
            memcpy(PyArray_DATA((PyArrayObject *)normal), s->normal,
                   (size_t)n * 3 * sizeof(double));
        }
        result = Py_BuildValue("{s:O,s:O,s:O,s:O,s:d,s:i}", "atom", atom, "xyz", xyz, "normal",
                               normal, "coordination", coord, "cutoff", s->cutoff,
                               "bulk_coordination", s->bulk_coordination);
    }
    Py_XDECREF(atom);
    Py_XDECREF(coord);
    Py_XDECREF(xyz);
    Py_XDECREF(normal);
    cz_sites_destroy(s);
    return result;
}

static PyObject *py_sites_find(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions",    "numbers",   "object_ids", "cell",
                             "pbc",          "object_id", "cutoff",     "bulk_coordination",
                             "exposed_only", "nthreads",  NULL};
    PyObject *pos, *z, *ids, *cell, *pbc, *object_id = NULL, *cutoff = NULL, *bulk = NULL,
                                          *exposed = NULL, *nthreads = NULL;
    cz_site_opts o;
    atoms_view v;
    cz_sites *sites = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOOO|OOOOO:sites_find", kwlist, &pos, &z, &ids,
                                     &cell, &pbc, &object_id, &cutoff, &bulk, &exposed, &nthreads))
        return NULL;
    cz_site_opts_default(&o);
    if (!opt_sites(object_id, cutoff, bulk, exposed, nthreads, &o)) return NULL;
    if (!get_atoms_view(pos, z, ids, cell, pbc, &v)) return NULL;
    CZ_NOGIL(st = cz_sites_find(&v.a, &o, &sites));
    free_atoms_view(&v);
    if (st != CZ_OK) {
        cz_sites_destroy(sites);
        return raise_status(st);
    }
    return sites_to_dict(sites);
}

/* A cz_sites built from the caller's site atoms (n,) and unit normals (n, 3) for one call, as
 * cz_sites_create would lay it out (xyz and coordination zero: informational only). All
 * buffers belong to the view. */
typedef struct sites_view {
    cz_sites s;
    size_t *atom;
    double (*xyz)[3];
    PyArrayObject *normal;
    int *coordination;
} sites_view;

static void free_sites_view(sites_view *v) {
    PyMem_Free(v->atom);
    PyMem_Free(v->xyz);
    Py_CLEAR(v->normal);
    PyMem_Free(v->coordination);
    memset(v, 0, sizeof *v);
}

static int get_sites_view(PyObject *atom_obj, PyObject *normal_obj, sites_view *v) {
    memset(v, 0, sizeof *v);
    PyArrayObject *a =
        (PyArrayObject *)PyArray_FROMANY(atom_obj, NPY_INT64, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (a == NULL) return 0;
    npy_intp want[1] = {-1};
    if (!check_shape(a, "site atoms", 1, want)) {
        Py_DECREF(a);
        return 0;
    }
    npy_intp n = PyArray_DIM(a, 0);
    v->normal = double_array(normal_obj, "site normals", 2, n, 3);
    size_t cap = (size_t)(n > 0 ? n : 1);
    v->atom = PyMem_Malloc(cap * sizeof *v->atom);
    v->xyz = PyMem_Calloc(cap, sizeof *v->xyz);
    v->coordination = PyMem_Calloc(cap, sizeof *v->coordination);
    if (v->normal == NULL || v->atom == NULL || v->xyz == NULL || v->coordination == NULL) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        goto fail;
    }
    const int64_t *src = PyArray_DATA(a);
    for (npy_intp i = 0; i < n; i++) {
        if (src[i] < 0) {
            PyErr_Format(PyExc_ValueError, "site atoms[%ld] = %lld is negative", (long)i,
                         (long long)src[i]);
            goto fail;
        }
        v->atom[i] = (size_t)src[i];
    }
    Py_DECREF(a);
    v->s.n = (size_t)n;
    v->s.atom = v->atom;
    v->s.xyz = v->xyz;
    v->s.normal = (double(*)[3])PyArray_DATA(v->normal);
    v->s.coordination = v->coordination;
    return 1;
fail:
    Py_DECREF(a);
    free_sites_view(v);
    return 0;
}

/* -> (dict of the ligand atoms, stats dict). Sites: site_atoms with site_normals, or None (the
 * library finds them with the site_* options). */
static PyObject *py_ligands_place(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kw) {
    static char *kwlist[] = {"positions",
                             "numbers",
                             "object_ids",
                             "cell",
                             "pbc",
                             "molecule_positions",
                             "molecule_numbers",
                             "bond_length",
                             "site_atoms",
                             "site_normals",
                             "anchor",
                             "axis",
                             "coverage",
                             "clash_distance",
                             "ligand_distance",
                             "max_attempts",
                             "object_id",
                             "per_molecule",
                             "seed",
                             "stream",
                             "site_object_id",
                             "cutoff",
                             "bulk_coordination",
                             "exposed_only",
                             "nthreads",
                             NULL};
    PyObject *pos, *z, *ids, *cell, *pbc, *mol_pos, *mol_z,
        *bond = NULL, *site_atoms = NULL, *site_normals = NULL, *anchor = NULL, *axis = NULL,
        *coverage = NULL, *clash = NULL, *ligdist = NULL, *attempts = NULL, *object_id = NULL,
        *per_molecule = NULL, *seed = NULL, *stream = NULL, *site_object_id = NULL, *cutoff = NULL,
        *bulk = NULL, *exposed = NULL, *nthreads = NULL;
    cz_ligand_opts o;
    cz_ligand_stats stats;
    atoms_view v, mol;
    sites_view sv;
    const cz_sites *sp = NULL;
    cz_atoms *ligands = NULL;
    cz_status st;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OOOOOOO|OOOOOOOOOOOOOOOOOO:ligands_place", kwlist,
                                     &pos, &z, &ids, &cell, &pbc, &mol_pos, &mol_z, &bond,
                                     &site_atoms, &site_normals, &anchor, &axis, &coverage, &clash,
                                     &ligdist, &attempts, &object_id, &per_molecule, &seed, &stream,
                                     &site_object_id, &cutoff, &bulk, &exposed, &nthreads))
        return NULL;
    cz_ligand_opts_default(&o);
    if (!opt_double(bond, &o.bond_length) || !opt_size(anchor, "anchor", &o.anchor) ||
        !opt_vec3(axis, "axis", o.axis) || !opt_double(coverage, &o.coverage) ||
        !opt_double(clash, &o.clash_distance) || !opt_double(ligdist, &o.ligand_distance) ||
        !opt_int(attempts, "max_attempts", &o.max_attempts) ||
        !opt_int(object_id, "object_id", &o.object_id) ||
        !opt_bool(per_molecule, &o.per_molecule) || !opt_u64(seed, &o.seed) ||
        !opt_u64(stream, &o.stream) ||
        !opt_sites(site_object_id, cutoff, bulk, exposed, nthreads, &o.sites))
        return NULL;
    int have_sites = site_atoms != NULL && site_atoms != Py_None;
    if (have_sites != (site_normals != NULL && site_normals != Py_None)) {
        PyErr_SetString(PyExc_ValueError, "site_atoms and site_normals go together");
        return NULL;
    }
    if (have_sites) {
        if (!get_sites_view(site_atoms, site_normals, &sv)) return NULL;
        sp = &sv.s;
    }
    if (!get_atoms_view(pos, z, ids, cell, pbc, &v)) {
        if (have_sites) free_sites_view(&sv);
        return NULL;
    }
    if (!get_atoms_view(mol_pos, mol_z, NULL, NULL, NULL, &mol)) {
        free_atoms_view(&v);
        if (have_sites) free_sites_view(&sv);
        return NULL;
    }
    CZ_NOGIL(st = cz_ligands_place(&v.a, sp, &mol.a, &o, &ligands, &stats));
    free_atoms_view(&v);
    free_atoms_view(&mol);
    if (have_sites) free_sites_view(&sv);
    if (st != CZ_OK) {
        cz_atoms_destroy(ligands);
        return raise_status(st);
    }
    PyObject *d = atoms_to_dict(ligands);
    if (d == NULL) return NULL;
    return Py_BuildValue("(N{s:n,s:n,s:n,s:n,s:n})", d, "sites", (Py_ssize_t)stats.sites,
                         "requested", (Py_ssize_t)stats.requested, "placed",
                         (Py_ssize_t)stats.placed, "skipped", (Py_ssize_t)stats.skipped, "attempts",
                         (Py_ssize_t)stats.attempts);
}

/* ------------------------------------------------------------------------------------------ */
/* Module                                                                                      */
/* ------------------------------------------------------------------------------------------ */

#define VARARGS(name, doc) \
    { #name, (PyCFunction)py_##name, METH_VARARGS, doc }
#define KWARGS(name, doc) \
    { #name, (PyCFunction)(void (*)(void))py_##name, METH_VARARGS | METH_KEYWORDS, doc }
#define NOARGS(name, doc) \
    { #name, (PyCFunction)py_##name, METH_NOARGS, doc }

static PyMethodDef methods[] = {
    NOARGS(version, "version() -> str: version of libczcore."),
    VARARGS(strerror, "strerror(status) -> str: description of a cz_status code."),
    VARARGS(element_symbol, "element_symbol(z) -> str (cz_element_symbol)."),
    VARARGS(element_mass, "element_mass(z) -> float, g/mol (cz_element_mass)."),
    VARARGS(element_from_symbol, "element_from_symbol(symbol) -> int (cz_element_from_symbol)."),
    VARARGS(rng_u64, "rng_u64(seed, stream, index) -> int (cz_rng_u64)."),
    VARARGS(rng_uniform, "rng_uniform(seed, stream, index) -> float in [0, 1) (cz_rng_uniform)."),
    VARARGS(rng_normal, "rng_normal(seed, stream, index) -> float (cz_rng_normal)."),
    VARARGS(rng_rotation, "rng_rotation(seed, stream, index) -> (3, 3) (cz_rng_rotation)."),
    NOARGS(fill_opts_default, "Defaults of cz_fill_opts as a dict."),
    NOARGS(spacegroup_opts_default, "Defaults of cz_spacegroup_opts as a dict."),
    NOARGS(prototype_opts_default, "Defaults of cz_prototype_opts as a dict."),
    NOARGS(object_opts_default, "Defaults of cz_object_opts as a dict."),
    NOARGS(populate_opts_default, "Defaults of cz_populate_opts as a dict."),
    NOARGS(write_opts_default, "Defaults of cz_write_opts as a dict."),
    VARARGS(cell_from_parameters,
            "cell_from_parameters(a, b, c, alpha, beta, gamma) -> (3, 3) cell rows, Å "
            "(cz_cell_from_parameters; angles in degrees)."),
    VARARGS(cell_volume, "cell_volume(cell) -> float, signed volume in Å³ (cz_cell_volume)."),
    KWARGS(lattice_create, "lattice_create(cell, frac, z) -> lattice (cz_lattice_create)."),
    KWARGS(lattice_prototype,
           "lattice_prototype(name, z, a, c=None, u=None) -> lattice (cz_lattice_prototype)."),
    KWARGS(lattice_from_spacegroup,
           "lattice_from_spacegroup(number, cell, frac, z, hall_number=None, symprec=None, "
           "metric_tol=None) -> lattice (cz_lattice_from_spacegroup)."),
    VARARGS(lattice_data, "lattice_data(lattice) -> (cell, frac, z) copies of the struct."),
    VARARGS(lattice_plane,
            "lattice_plane(lattice, hkl) -> (d_spacing Å, unit normal) "
            "(cz_lattice_plane)."),
    NOARGS(transform_identity, "transform_identity() -> (m, t)."),
    VARARGS(transform_translation, "transform_translation(v) -> (m, t)."),
    KWARGS(transform_matrix, "transform_matrix(m, t, require_orthogonal=False) -> (m, t)."),
    VARARGS(transform_axis_angle, "transform_axis_angle(axis, angle_deg, center) -> (m, t)."),
    VARARGS(transform_euler, "transform_euler(phi_deg, theta_deg, psi_deg, center) -> (m, t)."),
    VARARGS(transform_zone_axis,
            "transform_zone_axis(lattice, uvw, inplane_deg, center) -> (m, t)."),
    VARARGS(transform_reflection, "transform_reflection(normal, point) -> (m, t)."),
    VARARGS(transform_inversion, "transform_inversion(center) -> (m, t)."),
    VARARGS(transform_compose, "transform_compose(first, second) -> second ∘ first as (m, t)."),
    VARARGS(transform_invert, "transform_invert(tf) -> (m, t)."),
    VARARGS(transform_apply, "transform_apply(tf, points) -> new (n, 3) array."),
    VARARGS(volume_sphere, "volume_sphere(center, radius) -> volume."),
    VARARGS(volume_halfspace, "volume_halfspace(normal, point) -> volume."),
    VARARGS(volume_miller, "volume_miller(lattice, hkl, distance, snap) -> volume."),
    VARARGS(volume_cylinder, "volume_cylinder(center, axis, radius, length) -> volume."),
    VARARGS(volume_box, "volume_box(origin, edges) -> volume."),
    VARARGS(volume_polyhedron, "volume_polyhedron(normals, offsets) -> volume."),
    VARARGS(volume_hull, "volume_hull(points) -> volume."),
    VARARGS(volume_intersection, "volume_intersection(a, b) -> volume."),
    VARARGS(volume_union, "volume_union(a, b) -> volume."),
    VARARGS(volume_difference, "volume_difference(a, b) -> volume."),
    VARARGS(volume_transform, "volume_transform(volume, tf) -> volume."),
    VARARGS(volume_contains, "volume_contains(volume, points) -> (n,) bool."),
    VARARGS(volume_bbox, "volume_bbox(volume) -> (lo, hi)."),
    VARARGS(volume_support, "volume_support(volume, direction) -> float."),
    VARARGS(volume_is_bounded, "volume_is_bounded(volume) -> bool."),
    KWARGS(fill_count,
           "fill_count(lattice, volume, lattice_tf=None, max_atoms=None, object_id=None, "
           "grain_id=None, class_id=None, nthreads=None) -> int (cz_fill_count)."),
    KWARGS(fill_shape,
           "fill_shape(lattice, volume, lattice_tf=None, max_atoms=None, object_id=None, "
           "grain_id=None, class_id=None, nthreads=None) -> dict of arrays (cz_fill_shape)."),
    NOARGS(scene_create, "scene_create() -> scene."),
    VARARGS(scene_set_cell, "scene_set_cell(scene, cell, pbc)."),
    KWARGS(scene_add_crystal,
           "scene_add_crystal(scene, lattice, volume, priority=None, "
           "class_id=None, grain_id=None) -> index."),
    VARARGS(scene_count, "scene_count(scene) -> int."),
    VARARGS(scene_transform, "scene_transform(scene, index, tf, mode)."),
    KWARGS(scene_populate,
           "scene_populate(scene, max_atoms=None, nthreads=None) -> dict of arrays."),
    VARARGS(spec_parse_file, "spec_parse_file(path) -> spec (cz_spec_parse_file)."),
    VARARGS(spec_parse_string, "spec_parse_string(text, name) -> spec (cz_spec_parse_string)."),
    KWARGS(spec_build,
           "spec_build(spec, seed=None, max_atoms=None, nthreads=None) -> dict of arrays "
           "plus 'seed' (cz_spec_build)."),
    VARARGS(format_from_name, "format_from_name(name) -> int (cz_format_from_name)."),
    VARARGS(format_from_path, "format_from_path(path) -> int (cz_format_from_path)."),
    KWARGS(atoms_write,
           "atoms_write(path, positions, numbers, object_id, grain_id, class_id, cell, pbc, "
           "format=None, u_rms=None, occupancy=None, padding=None, comment=None) "
           "(cz_atoms_write)."),
    KWARGS(atoms_read, "atoms_read(path, format=None) -> dict of arrays (cz_atoms_read)."),
    KWARGS(atoms_orthogonalize,
           "atoms_orthogonalize(positions, numbers, cell, pbc=None, max_repeat=None, "
           "strain_tolerance=None) -> (dict of positions, numbers, cell, pbc, index; info dict "
           "of matrix, det, rotation_deg, strain, changed) (cz_atoms_orthogonalize)."),
    KWARGS(scene_add_atoms,
           "scene_add_atoms(scene, positions, numbers, clip=None, priority=None, class_id=None, "
           "grain_id=None, object_id=None) -> index (cz_scene_add_atoms)."),
    NOARGS(amorphous_opts_default, "Defaults of cz_amorphous_opts as a dict."),
    KWARGS(amorphous_fill,
           "amorphous_fill(origin, cell, pbc, z=None, fraction=None, d_min=None, "
           "density_g_cm3=None, density_atoms_a3=None, attempts_per_atom=None, max_atoms=None, "
           "seed=None, object_id=None, grain_id=None, class_id=None) -> (dict of arrays, stats) "
           "(cz_amorphous_fill)."),
    NOARGS(wulff_opts_default, "Defaults of cz_wulff_opts as a dict."),
    NOARGS(decahedron_opts_default, "Defaults of cz_decahedron_opts as a dict."),
    NOARGS(icosahedron_opts_default, "Defaults of cz_icosahedron_opts as a dict."),
    NOARGS(particle_place_opts_default, "Defaults of cz_particle_place_opts as a dict."),
    KWARGS(miller_family,
           "miller_family(lattice, hkl, symprec=None) -> list of (h, k, l) (cz_miller_family)."),
    KWARGS(particle_wulff,
           "particle_wulff(lattice, table, radius=None, radius_kind=None, target_atoms=None, "
           "snap=None, center=None, symprec=None, interface_hkl=None, interface_gamma=None, "
           "substrate_gamma=None, max_atoms=None) -> particle (cz_particle_wulff)."),
    KWARGS(particle_decahedron,
           "particle_decahedron(lattice, p=None, q=None, r=None, shells=None, radius=None, "
           "strain=None, poisson_ratio=None, symprec=None, max_atoms=None) -> particle "
           "(cz_particle_decahedron)."),
    KWARGS(particle_icosahedron,
           "particle_icosahedron(lattice, shells=None, radius=None, symprec=None, "
           "max_atoms=None) -> particle (cz_particle_icosahedron)."),
    VARARGS(particle_info, "particle_info(particle) -> dict: copies of the struct's fields."),
    VARARGS(particle_lattice, "particle_lattice(particle) -> lattice (cz_lattice_copy)."),
    VARARGS(particle_grain,
            "particle_grain(particle, g) -> (volume, (m, t)): grain g's region (a copy) and "
            "lattice transform."),
    KWARGS(particle_fill,
           "particle_fill(particle, placement=None, object_id=None, grain_id=None, "
           "priority=None, class_id=None) -> dict of arrays (cz_particle_fill)."),
    KWARGS(scene_add_particle,
           "scene_add_particle(scene, particle, placement=None, object_id=None, grain_id=None, "
           "priority=None, class_id=None) -> first index (cz_scene_add_particle)."),
    NOARGS(defect_plane_default,
           "defect_plane_default() -> (kind, hkl, position, snap, shift) "
           "(cz_defect_plane_default)."),
    NOARGS(defect_draw_opts_default, "Defaults of cz_defect_draw_opts as a dict."),
    KWARGS(scene_add_defected_crystal,
           "scene_add_defected_crystal(scene, lattice, volume, planes, placement=None, "
           "priority=None, class_id=None, grain_id=None, object_id=None) -> (first, ngrains, "
           "resolved planes) (cz_scene_add_defected_crystal)."),
    KWARGS(defect_planes_draw,
           "defect_planes_draw(lattice, volume, ntwins=None, nfaults=None, seed=None, "
           "stream=None, family=None, variants=None, same_variant=None, min_separation=None, "
           "margin=None) -> list of planes (cz_defect_planes_draw)."),
    VARARGS(strain_from_voigt, "strain_from_voigt(voigt) -> (3, 3) (cz_strain_from_voigt)."),
    KWARGS(strain_transform,
           "strain_transform(eps, frame, placement=None, center=None) -> (m, t) "
           "(cz_strain_transform)."),
    VARARGS(lattice_strain, "lattice_strain(lattice, eps) -> lattice (cz_lattice_strain)."),
    NOARGS(radial_strain_opts_default, "Defaults of cz_radial_strain_opts as a dict."),
    NOARGS(core_shell_strain_opts_default, "Defaults of cz_core_shell_strain_opts as a dict."),
    KWARGS(strain_radial,
           "strain_radial(positions, numbers, object_ids, center=None, epsilon=None, "
           "radius=None, exponent=None, profile=None, object_id=None) -> (new positions, moved) "
           "(cz_strain_radial)."),
    KWARGS(strain_core_shell,
           "strain_core_shell(positions, numbers, object_ids, center=None, core_radius=None, "
           "shell_radius=None, misfit=None, poisson=None, object_id=None) -> (new positions, "
           "moved) (cz_strain_core_shell)."),
    NOARGS(substitute_opts_default, "Defaults of cz_substitute_opts as a dict."),
    NOARGS(vacancy_opts_default, "Defaults of cz_vacancy_opts as a dict."),
    NOARGS(roughen_opts_default, "Defaults of cz_roughen_opts as a dict."),
    NOARGS(core_shell_opts_default, "Defaults of cz_core_shell_opts as a dict."),
    KWARGS(atoms_substitute,
           "atoms_substitute(positions, numbers, object_ids, z_from=None, z_to=None, "
           "fraction=None, object_id=None, seed=None, stream=None) -> (new numbers, count) "
           "(cz_atoms_substitute)."),
    KWARGS(atoms_vacate,
           "atoms_vacate(positions, numbers, object_ids, fraction=None, z=None, object_id=None, "
           "seed=None, stream=None) -> (indices kept, removed) (cz_atoms_vacate)."),
    KWARGS(atoms_coordination,
           "atoms_coordination(positions, numbers, cell, pbc, cutoff, nthreads=None) -> (n,) "
           "int64 (cz_atoms_coordination)."),
    KWARGS(atoms_roughen,
           "atoms_roughen(positions, numbers, object_ids, cell, pbc, fraction=None, cutoff=None, "
           "bulk_coordination=None, object_id=None, passes=None, seed=None, stream=None, "
           "nthreads=None) -> (indices kept, removed) (cz_atoms_roughen)."),
    KWARGS(scene_add_core_shell,
           "scene_add_core_shell(scene, core_lattice, core_volume, shell_lattice, shell_volume, "
           "placement=None, mismatch=None, priority=None, class_id=None, grain_id=None, "
           "object_id=None) -> index of the core (cz_scene_add_core_shell)."),
    NOARGS(slab_opts_default, "Defaults of cz_slab_opts as a dict."),
    KWARGS(slab_create,
           "slab_create(lattice, hkl=None, nplanes=None, thickness=None, termination=None, "
           "z_top=None, cell_height=None, inplane_deg=None, lateral=None, repeats=None, "
           "target=None, max_strain=None) -> slab (cz_slab_create)."),
    KWARGS(slab_mos2,
           "slab_mos2(layers, z_top=None, cell_height=None, inplane_deg=None, lateral=None, "
           "repeats=None, target=None, max_strain=None) -> slab (cz_slab_mos2)."),
    KWARGS(slab_graphene,
           "slab_graphene(layers, z_top=None, cell_height=None, inplane_deg=None, lateral=None, "
           "repeats=None, target=None, max_strain=None) -> slab (cz_slab_graphene)."),
    VARARGS(slab_info, "slab_info(slab) -> dict: copies of the struct's fields."),
    VARARGS(slab_lattice, "slab_lattice(slab) -> lattice (cz_lattice_copy of slab->lattice)."),
    KWARGS(slab_atoms,
           "slab_atoms(slab, object_id=None, grain_id=None, class_id=None) -> dict of arrays "
           "(cz_slab_atoms)."),
    KWARGS(scene_add_slab,
           "scene_add_slab(scene, slab, priority=None, class_id=None, grain_id=None, "
           "object_id=None) -> index (cz_slab_add_to_scene)."),
    NOARGS(place_opts_default, "Defaults of cz_place_opts as a dict."),
    KWARGS(placement_volume,
           "placement_volume(volume, xy=None, surface_z=None, depth=None, depth_fraction=None, "
           "center=None, orient=None, facet_normal=None, inplane_deg=None, random_inplane=None, "
           "seed=None, stream=None, index=None) -> dict (cz_placement_volume)."),
    KWARGS(placement_atoms,
           "placement_atoms(positions, numbers, xy=None, ...) -> dict (cz_placement_atoms; "
           "options as placement_volume)."),
    NOARGS(clash_opts_default, "Defaults of cz_clash_opts as a dict."),
    KWARGS(atoms_remove_clashes,
           "atoms_remove_clashes(positions, numbers, object_ids, class_ids, cell, pbc, "
           "distance=None, class_distance=None, priority=None, nthreads=None) -> (indices kept, "
           "removed) (cz_atoms_remove_clashes)."),
    NOARGS(site_opts_default, "Defaults of cz_site_opts as a dict."),
    NOARGS(ligand_opts_default, "Defaults of cz_ligand_opts (without sites) as a dict."),
    KWARGS(sites_find,
           "sites_find(positions, numbers, object_ids, cell, pbc, object_id=None, cutoff=None, "
           "bulk_coordination=None, exposed_only=None, nthreads=None) -> dict (cz_sites_find)."),
    KWARGS(ligands_place,
           "ligands_place(positions, numbers, object_ids, cell, pbc, molecule_positions, "
           "molecule_numbers, bond_length=None, site_atoms=None, site_normals=None, anchor=None, "
           "axis=None, coverage=None, clash_distance=None, ligand_distance=None, "
           "max_attempts=None, object_id=None, per_molecule=None, seed=None, stream=None, "
           "site_object_id=None, cutoff=None, bulk_coordination=None, exposed_only=None, "
           "nthreads=None) -> (dict of ligand arrays, stats) (cz_ligands_place)."),
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "_cz",
    "Low-level bindings of libczcore. Use the `cz` package instead of calling these directly.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL};

/* Integer constants of the C API, exported under their C names without the CZ_ prefix. */
static int add_constants(PyObject *m) {
    static const struct {
        const char *name;
        long value;
    } ints[] = {
        {"OK", CZ_OK},
        {"EINVAL", CZ_EINVAL},
        {"ENOMEM", CZ_ENOMEM},
        {"ERANGE", CZ_ERANGE},
        {"ENOTSUP", CZ_ENOTSUP},
        {"EFFTW", CZ_EFFTW},
        {"EINTERNAL", CZ_EINTERNAL},
        {"EIO", CZ_EIO},
        {"CLASS_NONE", CZ_CLASS_NONE},
        {"CLASS_PARTICLE", CZ_CLASS_PARTICLE},
        {"CLASS_SUBSTRATE", CZ_CLASS_SUBSTRATE},
        {"CLASS_LIGAND", CZ_CLASS_LIGAND},
        {"APPLY_LOCKED", CZ_APPLY_LOCKED},
        {"APPLY_REGION", CZ_APPLY_REGION},
        {"APPLY_LATTICE", CZ_APPLY_LATTICE},
        {"FORMAT_AUTO", CZ_FORMAT_AUTO},
        {"FORMAT_EXTXYZ", CZ_FORMAT_EXTXYZ},
        {"FORMAT_LAMMPS", CZ_FORMAT_LAMMPS},
        {"FORMAT_PRISMATIC", CZ_FORMAT_PRISMATIC},
        {"MAX_Z", CZ_MAX_Z},
        {"AMORPHOUS_MAX_SPECIES", CZ_AMORPHOUS_MAX_SPECIES},
        {"MAX_FAMILY", CZ_MAX_FAMILY},
        {"PARTICLE_WULFF", CZ_PARTICLE_WULFF},
        {"PARTICLE_WINTERBOTTOM", CZ_PARTICLE_WINTERBOTTOM},
        {"PARTICLE_DECAHEDRON", CZ_PARTICLE_DECAHEDRON},
        {"PARTICLE_ICOSAHEDRON", CZ_PARTICLE_ICOSAHEDRON},
        {"RADIUS_EQUIVALENT", CZ_RADIUS_EQUIVALENT},
        {"RADIUS_MAX", CZ_RADIUS_MAX},
        {"MTP_STRAIN_HOMOGENEOUS", CZ_MTP_STRAIN_HOMOGENEOUS},
        {"MTP_STRAIN_RADIAL", CZ_MTP_STRAIN_RADIAL},
        {"MTP_STRAIN_NONE", CZ_MTP_STRAIN_NONE},
        {"DEFECTS_MAX_PLANES", CZ_DEFECTS_MAX_PLANES},
        {"DEFECTS_MAX_CELLS", CZ_DEFECTS_MAX_CELLS},
        {"DEFECT_TWIN", CZ_DEFECT_TWIN},
        {"DEFECT_MIRROR", CZ_DEFECT_MIRROR},
        {"DEFECT_SHIFT", CZ_DEFECT_SHIFT},
        {"SNAP_AUTO", CZ_SNAP_AUTO},
        {"SNAP_NONE", CZ_SNAP_NONE},
        {"SNAP_LAYER", CZ_SNAP_LAYER},
        {"SNAP_GAP", CZ_SNAP_GAP},
        {"FAMILY_CUBIC_111", CZ_FAMILY_CUBIC_111},
        {"FAMILY_HEX_0001", CZ_FAMILY_HEX_0001},
        {"FAMILY_CUSTOM", CZ_FAMILY_CUSTOM},
        {"STRAIN_CARTESIAN", CZ_STRAIN_CARTESIAN},
        {"STRAIN_CRYSTAL", CZ_STRAIN_CRYSTAL},
        {"RADIAL_POWER", CZ_RADIAL_POWER},
        {"RADIAL_INCLUSION", CZ_RADIAL_INCLUSION},
        {"SLAB_REPEATS", CZ_SLAB_REPEATS},
        {"SLAB_SIZE", CZ_SLAB_SIZE},
        {"SLAB_MATCH", CZ_SLAB_MATCH},
        {"ORIENT_KEEP", CZ_ORIENT_KEEP},
        {"ORIENT_RANDOM", CZ_ORIENT_RANDOM},
        {"ORIENT_FACET", CZ_ORIENT_FACET},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (PyModule_AddIntConstant(m, ints[i].name, ints[i].value) < 0) return -1;
    PyObject *max_atoms = PyLong_FromSize_t(CZ_MAX_ATOMS);
    int rc = PyModule_AddObjectRef(m, "MAX_ATOMS", max_atoms);
    Py_XDECREF(max_atoms);
    if (rc < 0) return -1;
    PyObject *eps = PyFloat_FromDouble(CZ_VOLUME_EPS);
    rc = PyModule_AddObjectRef(m, "VOLUME_EPS", eps);
    Py_XDECREF(eps);
    if (rc < 0) return -1;
    if (PyModule_AddStringConstant(m, "VERSION", CZ_VERSION_STRING) < 0) return -1;
    return 0;
}

PyMODINIT_FUNC PyInit__cz(void) {
    import_array();
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (CzError == NULL) {
        CzError = PyErr_NewExceptionWithDoc(
            "cz.CzError",
            "A cz library failure that is not a bad argument, a memory shortage or a file "
            "error: CZ_ERANGE (atom cap exceeded), CZ_ENOTSUP, CZ_EINTERNAL. The `status` "
            "attribute holds the numeric cz_status.",
            PyExc_RuntimeError, NULL);
        if (CzError == NULL) goto fail;
    }
    if (PyModule_AddObjectRef(m, "CzError", CzError) < 0) goto fail;
    if (add_constants(m) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
