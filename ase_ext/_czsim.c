/*
 * _czsim.c — CPython bindings of libczsim (the multislice simulator): the extension module
 * cz._czsim. A second module beside cz._cz because libczsim never links libczcore.
 *
 * Same rules as _cz.c: each binding validates and converts its arguments, calls ONE cz_sim_
 * function with the GIL released, turns a failing cz_status into a Python exception carrying
 * cz_sim_last_error(), and converts the outputs. No physics, no defaults: option structs start
 * from cz_sim_opts_default() / cz_sim_ctf_default() and only arguments that were given (and are
 * not None) override a field. plan_create takes cz_sim_opts by its field names as keywords.
 *
 * A plan lives in a PyCapsule whose destructor calls cz_sim_plan_destroy. A plan serves one call
 * at a time (it owns the workspace), so its capsule carries a lock that every call takes, without
 * the GIL, around the C work. A camera (cz_sim_detector) lives in a capsule of its own, with a
 * lock for cz_sim_detector_image (its workspace); cz_sim_detector_labels and
 * cz_sim_detector_locate are reentrant. The error message is thread-local and the C work runs on
 * the calling thread, so reading it after reacquiring the GIL gives this call's message.
 *
 * Exceptions: CZ_EINVAL → ValueError, CZ_ENOMEM → MemoryError, CZ_EIO → OSError, everything else
 * cz.CzError — the very class cz._cz defines, imported from it at module initialisation.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cz/cz_sim.h"

static const char PLAN_CAPSULE[] = "cz._czsim.plan";

#define CONST33(a) ((const double(*)[3])(a))

static PyObject *CzError = NULL; /* cz._cz.CzError */

/* ------------------------------------------------------------------------------------------ */
/* Errors                                                                                      */
/* ------------------------------------------------------------------------------------------ */

static PyObject *raise_status(cz_status status) {
    PyObject *type;
    switch (status) {
        case CZ_EINVAL:
            type = PyExc_ValueError;
            break;
        case CZ_ENOMEM:
            type = PyExc_MemoryError;
            break;
        case CZ_EIO:
            type = PyExc_OSError;
            break;
        default:
            type = CzError;
            break;
    }
    const char *text = cz_sim_last_error();
    if (text == NULL || text[0] == '\0') text = cz_sim_strerror(status);
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
/* Plans                                                                                       */
/* ------------------------------------------------------------------------------------------ */

static void plan_capsule_free(PyObject *cap) {
    cz_sim_plan_destroy(PyCapsule_GetPointer(cap, PLAN_CAPSULE));
    PyThread_type_lock lock = PyCapsule_GetContext(cap);
    if (lock != NULL) PyThread_free_lock(lock);
}

static cz_sim_plan *get_plan(PyObject *obj, PyThread_type_lock *lock) {
    if (!PyCapsule_IsValid(obj, PLAN_CAPSULE)) {
        PyErr_Format(PyExc_TypeError, "expected a cz simulation plan handle, got %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    *lock = PyCapsule_GetContext(obj);
    return PyCapsule_GetPointer(obj, PLAN_CAPSULE);
}

/* Run `stmt` without the GIL, holding the plan's lock (taken without the GIL so a thread that
 * waits for it never blocks the interpreter). */
#define SIM_NOGIL_LOCKED(lock, stmt)                                     \
    do {                                                                 \
        Py_BEGIN_ALLOW_THREADS PyThread_acquire_lock((lock), WAIT_LOCK); \
        stmt;                                                            \
        PyThread_release_lock(lock);                                     \
        Py_END_ALLOW_THREADS                                             \
    } while (0)

/* ------------------------------------------------------------------------------------------ */
/* Argument conversion: an argument left out or given as None keeps the C default             */
/* ------------------------------------------------------------------------------------------ */

static int given(PyObject *o) { return o != NULL && o != Py_None; }

static int set_double(PyObject *o, double *out) {
    if (!given(o)) return 1;
    double v = PyFloat_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) return 0;
    *out = v;
    return 1;
}

static int set_size(PyObject *o, const char *name, size_t *out) {
    if (!given(o)) return 1;
    if (!PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, got %.100s", name, Py_TYPE(o)->tp_name);
        return 0;
    }
    size_t v = PyLong_AsSize_t(o);
    if (v == (size_t)-1 && PyErr_Occurred()) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "%s must be a non-negative int", name);
        return 0;
    }
    *out = v;
    return 1;
}

static int set_int(PyObject *o, const char *name, int *out) {
    if (!given(o)) return 1;
    if (!PyLong_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, got %.100s", name, Py_TYPE(o)->tp_name);
        return 0;
    }
    int overflow = 0;
    long v = PyLong_AsLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred()) return 0;
    if (overflow || v < -2147483647L || v > 2147483647L) {
        PyErr_Format(PyExc_ValueError, "%s is out of range", name);
        return 0;
    }
    *out = (int)v;
    return 1;
}

/* A C-contiguous float64 array of exactly the given 2-D shape, copied into out. */
static int set_table(PyObject *o, const char *name, npy_intp rows, npy_intp cols, double *out) {
    if (!given(o)) return 1;
    PyArrayObject *a = (PyArrayObject *)PyArray_FROMANY(o, NPY_DOUBLE, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (a == NULL) return 0;
    if (PyArray_NDIM(a) != 2 || PyArray_DIM(a, 0) != rows || PyArray_DIM(a, 1) != cols) {
        PyErr_Format(PyExc_ValueError, "%s must have shape (%ld, %ld)", name, (long)rows,
                     (long)cols);
        Py_DECREF(a);
        return 0;
    }
    memcpy(out, PyArray_DATA(a), (size_t)(rows * cols) * sizeof(double));
    Py_DECREF(a);
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Output conversion                                                                           */
/* ------------------------------------------------------------------------------------------ */

static int dict_put(PyObject *dict, const char *key, PyObject *value) {
    if (value == NULL) return -1;
    int rc = PyDict_SetItemString(dict, key, value);
    Py_DECREF(value);
    return rc;
}

static PyObject *table_array(const double *data, npy_intp rows, npy_intp cols) {
    npy_intp dims[2] = {rows, cols};
    PyObject *a = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    if (a != NULL)
        memcpy(PyArray_DATA((PyArrayObject *)a), data, (size_t)(rows * cols) * sizeof(double));
    return a;
}

/* ------------------------------------------------------------------------------------------ */
/* Stateless functions                                                                         */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_version(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    return PyUnicode_FromString(CZ_VERSION_STRING);
}

static PyObject *py_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_sim_opts o;
    cz_sim_opts_default(&o);
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    if (dict_put(d, "energy_ev", PyFloat_FromDouble(o.energy_ev)) < 0 ||
        dict_put(d, "sampling", PyFloat_FromDouble(o.sampling)) < 0 ||
        dict_put(d, "nx", PyLong_FromSize_t(o.nx)) < 0 ||
        dict_put(d, "ny", PyLong_FromSize_t(o.ny)) < 0 ||
        dict_put(d, "slice_thickness", PyFloat_FromDouble(o.slice_thickness)) < 0 ||
        dict_put(d, "param", PyLong_FromLong((long)o.param)) < 0 ||
        dict_put(d, "spread", PyLong_FromLong((long)o.spread)) < 0 ||
        dict_put(d, "antialias_cutoff", PyFloat_FromDouble(o.antialias_cutoff)) < 0 ||
        dict_put(d, "antialias_taper", PyFloat_FromDouble(o.antialias_taper)) < 0 ||
        dict_put(d, "max_pixels", PyLong_FromSize_t(o.max_pixels)) < 0 ||
        dict_put(d, "nthreads", PyLong_FromLong(o.nthreads)) < 0 ||
        dict_put(d, "flags", PyLong_FromUnsignedLong(o.flags)) < 0 ||
        dict_put(d, "tilt_mrad", PyFloat_FromDouble(o.tilt_mrad)) < 0 ||
        dict_put(d, "tilt_azimuth_deg", PyFloat_FromDouble(o.tilt_azimuth_deg)) < 0 ||
        dict_put(d, "projection", PyLong_FromLong((long)o.projection)) < 0 ||
        dict_put(d, "potential_method", PyLong_FromLong((long)o.potential_method)) < 0 ||
        dict_put(d, "precision", PyLong_FromLong((long)o.precision)) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *py_ctf_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_sim_ctf c;
    cz_sim_ctf_default(&c);
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    if (dict_put(d, "c", table_array(&c.c[0][0], 6, 7)) < 0 ||
        dict_put(d, "phi_deg", table_array(&c.phi_deg[0][0], 6, 7)) < 0 ||
        dict_put(d, "aperture_mrad", PyFloat_FromDouble(c.aperture_mrad)) < 0 ||
        dict_put(d, "aperture_taper_mrad", PyFloat_FromDouble(c.aperture_taper_mrad)) < 0 ||
        dict_put(d, "focal_spread", PyFloat_FromDouble(c.focal_spread)) < 0 ||
        dict_put(d, "convergence_mrad", PyFloat_FromDouble(c.convergence_mrad)) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *py_electron(PyObject *Py_UNUSED(self), PyObject *args) {
    double energy_ev, wavelength = 0, sigma = 0;
    if (!PyArg_ParseTuple(args, "d:electron", &energy_ev)) return NULL;
    cz_status st = cz_sim_electron(energy_ev, &wavelength, &sigma);
    if (st != CZ_OK) return raise_status(st);
    return Py_BuildValue("(dd)", wavelength, sigma);
}

static PyObject *py_scherzer_defocus(PyObject *Py_UNUSED(self), PyObject *args) {
    double energy_ev, cs, defocus = 0;
    if (!PyArg_ParseTuple(args, "dd:scherzer_defocus", &energy_ev, &cs)) return NULL;
    cz_status st = cz_sim_scherzer_defocus(energy_ev, cs, &defocus);
    if (st != CZ_OK) return raise_status(st);
    return PyFloat_FromDouble(defocus);
}

/* ------------------------------------------------------------------------------------------ */
/* Plan bindings                                                                               */
/* ------------------------------------------------------------------------------------------ */

/* The keywords of plan_create: the names of cz_sim_opts' fields. */
static const char *const PLAN_KEYWORDS[] = {"energy_ev",   "sampling",         "nx",
                                            "ny",          "slice_thickness",  "param",
                                            "spread",      "antialias_cutoff", "antialias_taper",
                                            "max_pixels",  "nthreads",         "flags",
                                            "wisdom_path", "tilt_mrad",        "tilt_azimuth_deg",
                                            "projection",  "potential_method", "precision",
                                            NULL};

/* kwargs[name], borrowed, or NULL when it is absent (or kwargs is NULL). */
static PyObject *keyword(PyObject *kwargs, const char *name) {
    return kwargs != NULL ? PyDict_GetItemString(kwargs, name) : NULL;
}

/* 1 when every key of kwargs is one of names (a NULL-terminated list); else 0 with a TypeError
 * naming the first unknown keyword. */
static int known_keywords(PyObject *kwargs, const char *const names[], const char *func) {
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (kwargs != NULL && PyDict_Next(kwargs, &pos, &key, &value)) {
        const char *k = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        if (k == NULL) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "%s: keywords must be strings", func);
            return 0;
        }
        int found = 0;
        for (size_t i = 0; names[i] != NULL && !found; i++) found = strcmp(k, names[i]) == 0;
        if (!found) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%s'", func, k);
            return 0;
        }
    }
    return 1;
}

/* plan_create(cell, **opts): opts by the names of cz_sim_opts' fields (PLAN_KEYWORDS), each given
 * one (not None) overriding cz_sim_opts_default(); enumerations as the module's int constants. */
static PyObject *py_plan_create(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs) {
    PyObject *cell_obj;
    if (!PyArg_ParseTuple(args, "O:plan_create", &cell_obj)) return NULL;
    if (!known_keywords(kwargs, PLAN_KEYWORDS, "plan_create")) return NULL;
    double cell[3][3];
    if (!set_table(cell_obj, "cell", 3, 3, &cell[0][0])) return NULL;
    cz_sim_opts opts;
    cz_sim_opts_default(&opts);
    size_t flags = opts.flags;
    /* Enumerations travel as ints; cz_sim_plan_create checks their values. */
    int param = (int)opts.param, spread = (int)opts.spread, projection = (int)opts.projection;
    int method = (int)opts.potential_method, precision = (int)opts.precision;
    if (!set_double(keyword(kwargs, "energy_ev"), &opts.energy_ev) ||
        !set_double(keyword(kwargs, "sampling"), &opts.sampling) ||
        !set_size(keyword(kwargs, "nx"), "nx", &opts.nx) ||
        !set_size(keyword(kwargs, "ny"), "ny", &opts.ny) ||
        !set_double(keyword(kwargs, "slice_thickness"), &opts.slice_thickness) ||
        !set_int(keyword(kwargs, "param"), "param", &param) ||
        !set_int(keyword(kwargs, "spread"), "spread", &spread) ||
        !set_double(keyword(kwargs, "antialias_cutoff"), &opts.antialias_cutoff) ||
        !set_double(keyword(kwargs, "antialias_taper"), &opts.antialias_taper) ||
        !set_size(keyword(kwargs, "max_pixels"), "max_pixels", &opts.max_pixels) ||
        !set_int(keyword(kwargs, "nthreads"), "nthreads", &opts.nthreads) ||
        !set_size(keyword(kwargs, "flags"), "flags", &flags) ||
        !set_double(keyword(kwargs, "tilt_mrad"), &opts.tilt_mrad) ||
        !set_double(keyword(kwargs, "tilt_azimuth_deg"), &opts.tilt_azimuth_deg) ||
        !set_int(keyword(kwargs, "projection"), "projection", &projection) ||
        !set_int(keyword(kwargs, "potential_method"), "potential_method", &method) ||
        !set_int(keyword(kwargs, "precision"), "precision", &precision))
        return NULL;
    opts.flags = (unsigned)flags;
    opts.param = (cz_sim_param)param;
    opts.spread = (cz_sim_spread)spread;
    opts.projection = (cz_sim_projection)projection;
    opts.potential_method = (cz_sim_potential_method)method;
    opts.precision = (cz_sim_precision)precision;
    /* The wisdom path is borrowed by cz_sim_plan_create for the call only. */
    PyObject *wisdom = NULL;
    PyObject *wisdom_obj = keyword(kwargs, "wisdom_path");
    if (given(wisdom_obj)) {
        if (!PyUnicode_FSConverter(wisdom_obj, &wisdom)) return NULL;
        opts.wisdom_path = PyBytes_AS_STRING(wisdom);
    }
    PyThread_type_lock lock = PyThread_allocate_lock();
    if (lock == NULL) {
        Py_XDECREF(wisdom);
        return PyErr_NoMemory();
    }
    cz_sim_plan *plan = NULL;
    cz_status st;
    Py_BEGIN_ALLOW_THREADS st = cz_sim_plan_create(&opts, CONST33(cell), &plan);
    Py_END_ALLOW_THREADS Py_XDECREF(wisdom);
    if (st != CZ_OK) {
        PyThread_free_lock(lock);
        return raise_status(st);
    }
    PyObject *cap = PyCapsule_New(plan, PLAN_CAPSULE, NULL);
    if (cap == NULL) {
        PyThread_free_lock(lock);
        cz_sim_plan_destroy(plan);
        return NULL;
    }
    /* The destructor is installed only once the context holds the lock it frees. */
    if (PyCapsule_SetContext(cap, lock) < 0 ||
        PyCapsule_SetDestructor(cap, plan_capsule_free) < 0) {
        PyThread_free_lock(lock);
        cz_sim_plan_destroy(plan);
        PyCapsule_SetDestructor(cap, NULL);
        Py_DECREF(cap);
        return NULL;
    }
    return cap;
}

/* Plan info, fetched under the lock (the struct is small; callers need nx, ny, lengths). */
static int plan_info(PyObject *cap, cz_sim_plan **plan, PyThread_type_lock *lock,
                     cz_sim_info *info) {
    *plan = get_plan(cap, lock);
    if (*plan == NULL) return 0;
    cz_status st;
    SIM_NOGIL_LOCKED(*lock, st = cz_sim_plan_info(*plan, info));
    if (st != CZ_OK) {
        raise_status(st);
        return 0;
    }
    return 1;
}

static PyObject *py_plan_info(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O:plan_info", &cap)) return NULL;
    cz_sim_plan *plan;
    PyThread_type_lock lock;
    cz_sim_info in;
    if (!plan_info(cap, &plan, &lock, &in)) return NULL;
    return Py_BuildValue("{s:n,s:n,s:n,s:d,s:d,s:d,s:d,s:d,s:n,s:n}", "nx", (Py_ssize_t)in.nx, "ny",
                         (Py_ssize_t)in.ny, "nslices", (Py_ssize_t)in.nslices, "dx", in.dx, "dy",
                         in.dy, "wavelength", in.wavelength, "sigma", in.sigma, "kmax_antialias",
                         in.kmax_antialias, "wave_len", (Py_ssize_t)in.wave_len, "image_len",
                         (Py_ssize_t)in.image_len);
}

static PyObject *py_set_atoms(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *pos_obj, *z_obj;
    if (!PyArg_ParseTuple(args, "OOO:set_atoms", &cap, &pos_obj, &z_obj)) return NULL;
    PyThread_type_lock lock;
    cz_sim_plan *plan = get_plan(cap, &lock);
    if (plan == NULL) return NULL;
    PyArrayObject *pos =
        (PyArrayObject *)PyArray_FROMANY(pos_obj, NPY_DOUBLE, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (pos == NULL) return NULL;
    PyArrayObject *z = (PyArrayObject *)PyArray_FROMANY(z_obj, NPY_INT, 0, 0,
                                                        NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
    if (z == NULL) {
        Py_DECREF(pos);
        return NULL;
    }
    npy_intp n = PyArray_NDIM(z) == 1 ? PyArray_DIM(z, 0) : -1;
    if (n < 0 || PyArray_NDIM(pos) != 2 || PyArray_DIM(pos, 0) != n || PyArray_DIM(pos, 1) != 3) {
        PyErr_SetString(PyExc_ValueError,
                        "positions must have shape (n, 3) and numbers shape (n,) with the same n");
        Py_DECREF(pos);
        Py_DECREF(z);
        return NULL;
    }
    cz_status st;
    const double(*xyz)[3] = n > 0 ? (const double(*)[3])PyArray_DATA(pos) : NULL;
    const int *zz = n > 0 ? (const int *)PyArray_DATA(z) : NULL;
    SIM_NOGIL_LOCKED(lock, st = cz_sim_set_atoms(plan, (size_t)n, xyz, zz));
    Py_DECREF(pos);
    Py_DECREF(z);
    if (st != CZ_OK) return raise_status(st);
    Py_RETURN_NONE;
}

static PyObject *py_run(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O:run", &cap)) return NULL;
    cz_sim_plan *plan;
    PyThread_type_lock lock;
    cz_sim_info in;
    if (!plan_info(cap, &plan, &lock, &in)) return NULL;
    npy_intp dims[2] = {(npy_intp)in.ny, (npy_intp)in.nx};
    PyObject *wave = PyArray_SimpleNew(2, dims, NPY_COMPLEX64);
    if (wave == NULL) return NULL;
    float *data = PyArray_DATA((PyArrayObject *)wave);
    cz_status st;
    SIM_NOGIL_LOCKED(lock, st = cz_sim_run(plan, data, in.wave_len));
    if (st != CZ_OK) {
        Py_DECREF(wave);
        return raise_status(st);
    }
    return wave;
}

/* The exit wave of a precision = DOUBLE plan, unrounded: complex128 (cz_sim_run_double). */
static PyObject *py_run_double(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O:run_double", &cap)) return NULL;
    cz_sim_plan *plan;
    PyThread_type_lock lock;
    cz_sim_info in;
    if (!plan_info(cap, &plan, &lock, &in)) return NULL;
    npy_intp dims[2] = {(npy_intp)in.ny, (npy_intp)in.nx};
    PyObject *wave = PyArray_SimpleNew(2, dims, NPY_COMPLEX128);
    if (wave == NULL) return NULL;
    double *data = PyArray_DATA((PyArrayObject *)wave);
    cz_status st;
    SIM_NOGIL_LOCKED(lock, st = cz_sim_run_double(plan, data, in.wave_len));
    if (st != CZ_OK) {
        Py_DECREF(wave);
        return raise_status(st);
    }
    return wave;
}

static PyObject *py_potential(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    Py_ssize_t slice;
    if (!PyArg_ParseTuple(args, "On:potential", &cap, &slice)) return NULL;
    cz_sim_plan *plan;
    PyThread_type_lock lock;
    cz_sim_info in;
    if (!plan_info(cap, &plan, &lock, &in)) return NULL;
    if (slice < 0) return PyErr_Format(PyExc_ValueError, "slice must be >= 0 (got %zd)", slice);
    npy_intp dims[2] = {(npy_intp)in.ny, (npy_intp)in.nx};
    PyObject *v = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    if (v == NULL) return NULL;
    double *data = PyArray_DATA((PyArrayObject *)v);
    cz_status st;
    SIM_NOGIL_LOCKED(lock, st = cz_sim_potential(plan, (size_t)slice, data, in.image_len));
    if (st != CZ_OK) {
        Py_DECREF(v);
        return raise_status(st);
    }
    return v;
}

static PyObject *py_image(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"plan",
                             "wave",
                             "c",
                             "phi_deg",
                             "aperture_mrad",
                             "aperture_taper_mrad",
                             "focal_spread",
                             "convergence_mrad",
                             NULL};
    PyObject *cap, *wave_obj, *o[6] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|$OOOOOO:image", kwlist, &cap, &wave_obj,
                                     &o[0], &o[1], &o[2], &o[3], &o[4], &o[5]))
        return NULL;
    cz_sim_ctf ctf;
    cz_sim_ctf_default(&ctf);
    if (!set_table(o[0], "c", 6, 7, &ctf.c[0][0]) ||
        !set_table(o[1], "phi_deg", 6, 7, &ctf.phi_deg[0][0]) ||
        !set_double(o[2], &ctf.aperture_mrad) || !set_double(o[3], &ctf.aperture_taper_mrad) ||
        !set_double(o[4], &ctf.focal_spread) || !set_double(o[5], &ctf.convergence_mrad))
        return NULL;
    cz_sim_plan *plan;
    PyThread_type_lock lock;
    cz_sim_info in;
    if (!plan_info(cap, &plan, &lock, &in)) return NULL;
    PyArrayObject *wave =
        (PyArrayObject *)PyArray_FROMANY(wave_obj, NPY_COMPLEX64, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (wave == NULL) return NULL;
    if (PyArray_NDIM(wave) != 2 || PyArray_DIM(wave, 0) != (npy_intp)in.ny ||
        PyArray_DIM(wave, 1) != (npy_intp)in.nx) {
        PyErr_Format(PyExc_ValueError, "wave must have shape (%zu, %zu) (ny, nx) for this plan",
                     in.ny, in.nx);
        Py_DECREF(wave);
        return NULL;
    }
    npy_intp dims[2] = {(npy_intp)in.ny, (npy_intp)in.nx};
    PyObject *img = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    if (img == NULL) {
        Py_DECREF(wave);
        return NULL;
    }
    const float *w = PyArray_DATA(wave);
    double *out = PyArray_DATA((PyArrayObject *)img);
    cz_status st;
    SIM_NOGIL_LOCKED(lock, st = cz_sim_image(plan, &ctf, w, in.wave_len, out, in.image_len));
    Py_DECREF(wave);
    if (st != CZ_OK) {
        Py_DECREF(img);
        return raise_status(st);
    }
    return img;
}

/* ------------------------------------------------------------------------------------------ */
/* Frozen phonons and incoherent imaging                                                       */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_coherence_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_sim_coherence c;
    cz_sim_coherence_default(&c);
    return Py_BuildValue("{s:d,s:n,s:d,s:i,s:n}", "focal_spread", c.focal_spread, "focal_points",
                         (Py_ssize_t)c.focal_points, "convergence_mrad", c.convergence_mrad,
                         "tilt_dist", (int)c.tilt_dist, "tilt_points", (Py_ssize_t)c.tilt_points);
}

/* positions (n, 3) float64 and numbers (n,) int, both C-contiguous; NULL with an exception. */
static int atoms_arrays(PyObject *pos_obj, PyObject *z_obj, PyArrayObject **pos,
                        PyArrayObject **z) {
    *pos = (PyArrayObject *)PyArray_FROMANY(pos_obj, NPY_DOUBLE, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (*pos == NULL) return 0;
    *z = (PyArrayObject *)PyArray_FROMANY(z_obj, NPY_INT, 0, 0,
                                          NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
    if (*z == NULL) {
        Py_CLEAR(*pos);
        return 0;
    }
    npy_intp n = PyArray_NDIM(*z) == 1 ? PyArray_DIM(*z, 0) : -1;
    if (n < 0 || PyArray_NDIM(*pos) != 2 || PyArray_DIM(*pos, 0) != n ||
        PyArray_DIM(*pos, 1) != 3) {
        PyErr_SetString(PyExc_ValueError,
                        "positions must have shape (n, 3) and the per-atom array shape (n,) with "
                        "the same n");
        Py_CLEAR(*pos);
        Py_CLEAR(*z);
        return 0;
    }
    return 1;
}

static PyObject *py_phonon_displace(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"positions", "numbers",    "config", "seed",
                             "u_rms",     "u_rms_atom", "flags",  NULL};
    PyObject *pos_obj, *z_obj, *seed_obj = NULL, *table_obj = NULL, *atom_obj = NULL;
    PyObject *flags_obj = NULL;
    unsigned long long config;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOK|$OOOO:phonon_displace", kwlist, &pos_obj,
                                     &z_obj, &config, &seed_obj, &table_obj, &atom_obj, &flags_obj))
        return NULL;
    cz_sim_phonon_opts opts;
    cz_sim_phonon_opts_default(&opts);
    if (given(seed_obj)) {
        unsigned long long s = PyLong_AsUnsignedLongLong(seed_obj);
        if (s == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
        opts.seed = (uint64_t)s;
    }
    size_t flags = opts.flags;
    if (!set_size(flags_obj, "flags", &flags)) return NULL;
    opts.flags = (unsigned)flags;
    if (given(table_obj)) {
        PyArrayObject *t =
            (PyArrayObject *)PyArray_FROMANY(table_obj, NPY_DOUBLE, 0, 0, NPY_ARRAY_IN_ARRAY);
        if (t == NULL) return NULL;
        if (PyArray_NDIM(t) != 1 || PyArray_DIM(t, 0) != CZ_SIM_ZMAX + 1) {
            Py_DECREF(t);
            return PyErr_Format(PyExc_ValueError, "u_rms must have shape (%d,) (index Z)",
                                CZ_SIM_ZMAX + 1);
        }
        memcpy(opts.u_rms, PyArray_DATA(t), sizeof opts.u_rms);
        Py_DECREF(t);
    }
    PyArrayObject *pos, *z, *per_atom = NULL;
    if (!atoms_arrays(pos_obj, z_obj, &pos, &z)) return NULL;
    npy_intp n = PyArray_DIM(z, 0);
    if (given(atom_obj)) {
        per_atom = (PyArrayObject *)PyArray_FROMANY(atom_obj, NPY_DOUBLE, 0, 0, NPY_ARRAY_IN_ARRAY);
        if (per_atom == NULL || PyArray_NDIM(per_atom) != 1 || PyArray_DIM(per_atom, 0) != n) {
            if (per_atom != NULL)
                PyErr_Format(PyExc_ValueError, "u_rms_atom must have shape (%ld,)", (long)n);
            Py_XDECREF(per_atom);
            Py_DECREF(pos);
            Py_DECREF(z);
            return NULL;
        }
    }
    npy_intp dims[2] = {n, 3};
    PyObject *out = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    if (out == NULL) {
        Py_XDECREF(per_atom);
        Py_DECREF(pos);
        Py_DECREF(z);
        return NULL;
    }
    const double(*xyz)[3] = n > 0 ? (const double(*)[3])PyArray_DATA(pos) : NULL;
    const int *zz = n > 0 ? (const int *)PyArray_DATA(z) : NULL;
    const double *ua = per_atom != NULL ? (const double *)PyArray_DATA(per_atom) : NULL;
    double(*o)[3] = n > 0 ? (double(*)[3])PyArray_DATA((PyArrayObject *)out) : NULL;
    cz_status st;
    Py_BEGIN_ALLOW_THREADS st =
        cz_sim_phonon_displace(&opts, (uint64_t)config, (size_t)n, xyz, zz, ua, o);
    Py_END_ALLOW_THREADS Py_XDECREF(per_atom);
    Py_DECREF(pos);
    Py_DECREF(z);
    if (st != CZ_OK) {
        Py_DECREF(out);
        return raise_status(st);
    }
    return out;
}

static PyObject *py_image_incoherent(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"plan",
                             "waves",
                             "c",
                             "phi_deg",
                             "aperture_mrad",
                             "aperture_taper_mrad",
                             "focal_spread",
                             "convergence_mrad",
                             "sum_focal_spread",
                             "focal_points",
                             "sum_convergence_mrad",
                             "tilt_dist",
                             "tilt_points",
                             NULL};
    PyObject *cap, *waves_obj, *o[11] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|$OOOOOOOOOOO:image_incoherent", kwlist, &cap,
                                     &waves_obj, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6],
                                     &o[7], &o[8], &o[9], &o[10]))
        return NULL;
    cz_sim_ctf ctf;
    cz_sim_ctf_default(&ctf);
    cz_sim_coherence coh;
    cz_sim_coherence_default(&coh);
    int dist = (int)coh.tilt_dist;
    if (!set_table(o[0], "c", 6, 7, &ctf.c[0][0]) ||
        !set_table(o[1], "phi_deg", 6, 7, &ctf.phi_deg[0][0]) ||
        !set_double(o[2], &ctf.aperture_mrad) || !set_double(o[3], &ctf.aperture_taper_mrad) ||
        !set_double(o[4], &ctf.focal_spread) || !set_double(o[5], &ctf.convergence_mrad) ||
        !set_double(o[6], &coh.focal_spread) ||
        !set_size(o[7], "focal_points", &coh.focal_points) ||
        !set_double(o[8], &coh.convergence_mrad) || !set_int(o[9], "tilt_dist", &dist) ||
        !set_size(o[10], "tilt_points", &coh.tilt_points))
        return NULL;
    if (dist != CZ_SIM_TILT_GAUSSIAN && dist != CZ_SIM_TILT_DISC)
        return PyErr_Format(PyExc_ValueError,
                            "tilt_dist must be TILT_GAUSSIAN or TILT_DISC (got %d)", dist);
    coh.tilt_dist = (cz_sim_tilt_dist)dist;
    cz_sim_plan *plan;
    PyThread_type_lock lock;
    cz_sim_info in;
    if (!plan_info(cap, &plan, &lock, &in)) return NULL;
    PyArrayObject *waves =
        (PyArrayObject *)PyArray_FROMANY(waves_obj, NPY_COMPLEX64, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (waves == NULL) return NULL;
    int nd = PyArray_NDIM(waves);
    if ((nd != 2 && nd != 3) || PyArray_DIM(waves, nd - 2) != (npy_intp)in.ny ||
        PyArray_DIM(waves, nd - 1) != (npy_intp)in.nx || (nd == 3 && PyArray_DIM(waves, 0) < 1)) {
        PyErr_Format(PyExc_ValueError,
                     "waves must have shape (n, %zu, %zu) or (%zu, %zu) for this plan", in.ny,
                     in.nx, in.ny, in.nx);
        Py_DECREF(waves);
        return NULL;
    }
    size_t nwaves = nd == 3 ? (size_t)PyArray_DIM(waves, 0) : 1;
    npy_intp dims[2] = {(npy_intp)in.ny, (npy_intp)in.nx};
    PyObject *img = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    if (img == NULL) {
        Py_DECREF(waves);
        return NULL;
    }
    const float *w = PyArray_DATA(waves);
    double *out = PyArray_DATA((PyArrayObject *)img);
    cz_status st;
    SIM_NOGIL_LOCKED(lock, st = cz_sim_image_incoherent(plan, &ctf, &coh, nwaves, w, in.wave_len,
                                                        out, in.image_len));
    Py_DECREF(waves);
    if (st != CZ_OK) {
        Py_DECREF(img);
        return raise_status(st);
    }
    return img;
}

/* ------------------------------------------------------------------------------------------ */
/* Detector                                                                                    */
/* ------------------------------------------------------------------------------------------ */

static const char DETECTOR_CAPSULE[] = "cz._czsim.detector";

static void detector_capsule_free(PyObject *cap) {
    cz_sim_detector_destroy(PyCapsule_GetPointer(cap, DETECTOR_CAPSULE));
    PyThread_type_lock lock = PyCapsule_GetContext(cap);
    if (lock != NULL) PyThread_free_lock(lock);
}

static cz_sim_detector *get_detector(PyObject *obj, PyThread_type_lock *lock) {
    if (!PyCapsule_IsValid(obj, DETECTOR_CAPSULE)) {
        PyErr_Format(PyExc_TypeError, "expected a cz detector handle, got %.100s",
                     Py_TYPE(obj)->tp_name);
        return NULL;
    }
    *lock = PyCapsule_GetContext(obj);
    return PyCapsule_GetPointer(obj, DETECTOR_CAPSULE);
}

static PyObject *py_detector_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_sim_detector_opts o;
    cz_sim_detector_opts_default(&o);
    PyObject *d = PyDict_New();
    if (d == NULL) return NULL;
    if (dict_put(d, "pixel_size", PyFloat_FromDouble(o.pixel_size)) < 0 ||
        dict_put(d, "nx", PyLong_FromSize_t(o.nx)) < 0 ||
        dict_put(d, "ny", PyLong_FromSize_t(o.ny)) < 0 ||
        dict_put(d, "mtf", PyLong_FromLong((long)o.mtf)) < 0 ||
        dict_put(d, "mtf_q0", PyFloat_FromDouble(o.mtf_q0)) < 0 ||
        dict_put(d, "mtf_floor", PyFloat_FromDouble(o.mtf_floor)) < 0 ||
        dict_put(d, "dose_e_per_a2", PyFloat_FromDouble(o.dose_e_per_a2)) < 0 ||
        dict_put(d, "read_noise", PyFloat_FromDouble(o.read_noise)) < 0 ||
        dict_put(d, "affine", table_array(&o.affine[0][0], 2, 2)) < 0 ||
        dict_put(d, "shift", Py_BuildValue("(dd)", o.shift[0], o.shift[1])) < 0 ||
        dict_put(d, "radial_k1", PyFloat_FromDouble(o.radial_k1)) < 0 ||
        dict_put(d, "seed", PyLong_FromUnsignedLongLong(o.seed)) < 0 ||
        dict_put(d, "nthreads", PyLong_FromLong(o.nthreads)) < 0 ||
        dict_put(d, "flags", PyLong_FromUnsignedLong(o.flags)) < 0) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *py_detector_create(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {
        "nx",     "ny",    "dx",        "dy",        "pixel_size",    "cnx",
        "cny",    "mtf",   "mtf_q0",    "mtf_floor", "dose_e_per_a2", "read_noise",
        "affine", "shift", "radial_k1", "seed",      "nthreads",      "flags",
        NULL};
    Py_ssize_t nx, ny;
    double dx, dy;
    PyObject *o[14] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "nndd|$OOOOOOOOOOOOOO:detector_create", kwlist,
                                     &nx, &ny, &dx, &dy, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5],
                                     &o[6], &o[7], &o[8], &o[9], &o[10], &o[11], &o[12], &o[13]))
        return NULL;
    if (nx < 0 || ny < 0) return PyErr_Format(PyExc_ValueError, "nx and ny must be >= 0");
    cz_sim_detector_opts d;
    cz_sim_detector_opts_default(&d);
    int mtf = (int)d.mtf;
    size_t flags = d.flags;
    if (!set_double(o[0], &d.pixel_size) || !set_size(o[1], "cnx", &d.nx) ||
        !set_size(o[2], "cny", &d.ny) || !set_int(o[3], "mtf", &mtf) ||
        !set_double(o[4], &d.mtf_q0) || !set_double(o[5], &d.mtf_floor) ||
        !set_double(o[6], &d.dose_e_per_a2) || !set_double(o[7], &d.read_noise) ||
        !set_table(o[8], "affine", 2, 2, &d.affine[0][0]) ||
        !set_table(o[9], "shift", 1, 2, d.shift) || !set_double(o[10], &d.radial_k1) ||
        !set_int(o[12], "nthreads", &d.nthreads) || !set_size(o[13], "flags", &flags))
        return NULL;
    if (given(o[11])) {
        unsigned long long s = PyLong_AsUnsignedLongLong(o[11]);
        if (s == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
        d.seed = (uint64_t)s;
    }
    if (mtf != CZ_SIM_MTF_NONE && mtf != CZ_SIM_MTF_LORENTZIAN && mtf != CZ_SIM_MTF_GAUSSIAN)
        return PyErr_Format(PyExc_ValueError,
                            "mtf must be MTF_NONE, MTF_LORENTZIAN or MTF_GAUSSIAN "
                            "(got %d)",
                            mtf);
    d.mtf = (cz_sim_mtf)mtf;
    d.flags = (unsigned)flags;
    PyThread_type_lock lock = PyThread_allocate_lock();
    if (lock == NULL) return PyErr_NoMemory();
    cz_sim_detector *det = NULL;
    cz_status st;
    Py_BEGIN_ALLOW_THREADS st = cz_sim_detector_create(&d, (size_t)nx, (size_t)ny, dx, dy, &det);
    Py_END_ALLOW_THREADS if (st != CZ_OK) {
        PyThread_free_lock(lock);
        return raise_status(st);
    }
    PyObject *cap = PyCapsule_New(det, DETECTOR_CAPSULE, NULL);
    if (cap == NULL) {
        PyThread_free_lock(lock);
        cz_sim_detector_destroy(det);
        return NULL;
    }
    if (PyCapsule_SetContext(cap, lock) < 0 ||
        PyCapsule_SetDestructor(cap, detector_capsule_free) < 0) {
        PyThread_free_lock(lock);
        cz_sim_detector_destroy(det);
        PyCapsule_SetDestructor(cap, NULL);
        Py_DECREF(cap);
        return NULL;
    }
    return cap;
}

static int detector_grid(PyObject *cap, cz_sim_detector **det, PyThread_type_lock *lock,
                         cz_sim_detector_grid *g) {
    *det = get_detector(cap, lock);
    if (*det == NULL) return 0;
    cz_status st = cz_sim_detector_geometry(*det, g); /* reads constants only: no lock needed */
    if (st != CZ_OK) {
        raise_status(st);
        return 0;
    }
    return 1;
}

static PyObject *py_detector_geometry(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap;
    if (!PyArg_ParseTuple(args, "O:detector_geometry", &cap)) return NULL;
    cz_sim_detector *det;
    PyThread_type_lock lock;
    cz_sim_detector_grid g;
    if (!detector_grid(cap, &det, &lock, &g)) return NULL;
    return Py_BuildValue("{s:n,s:n,s:n,s:n,s:d,s:d}", "in_nx", (Py_ssize_t)g.in_nx, "in_ny",
                         (Py_ssize_t)g.in_ny, "nx", (Py_ssize_t)g.nx, "ny", (Py_ssize_t)g.ny, "dx",
                         g.dx, "dy", g.dy);
}

static PyObject *py_detector_image(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *img_obj;
    unsigned long long frame;
    if (!PyArg_ParseTuple(args, "OKO:detector_image", &cap, &frame, &img_obj)) return NULL;
    cz_sim_detector *det;
    PyThread_type_lock lock;
    cz_sim_detector_grid g;
    if (!detector_grid(cap, &det, &lock, &g)) return NULL;
    PyArrayObject *img =
        (PyArrayObject *)PyArray_FROMANY(img_obj, NPY_DOUBLE, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (img == NULL) return NULL;
    if (PyArray_NDIM(img) != 2 || PyArray_DIM(img, 0) != (npy_intp)g.in_ny ||
        PyArray_DIM(img, 1) != (npy_intp)g.in_nx) {
        PyErr_Format(PyExc_ValueError, "image must have shape (%zu, %zu) (ny, nx) for this camera",
                     g.in_ny, g.in_nx);
        Py_DECREF(img);
        return NULL;
    }
    npy_intp dims[2] = {(npy_intp)g.ny, (npy_intp)g.nx};
    PyObject *out = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    if (out == NULL) {
        Py_DECREF(img);
        return NULL;
    }
    const double *in = PyArray_DATA(img);
    double *o = PyArray_DATA((PyArrayObject *)out);
    cz_status st;
    SIM_NOGIL_LOCKED(lock,
                     st = cz_sim_detector_image(det, (uint64_t)frame, in, g.in_len, o, g.out_len));
    Py_DECREF(img);
    if (st != CZ_OK) {
        Py_DECREF(out);
        return raise_status(st);
    }
    return out;
}

/* Labels of any fixed-size element type, shape (..., in_ny, in_nx) → (..., ny, nx). */
static PyObject *py_detector_labels(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *lab_obj;
    if (!PyArg_ParseTuple(args, "OO:detector_labels", &cap, &lab_obj)) return NULL;
    cz_sim_detector *det;
    PyThread_type_lock lock;
    cz_sim_detector_grid g;
    if (!detector_grid(cap, &det, &lock, &g)) return NULL;
    PyArrayObject *lab =
        (PyArrayObject *)PyArray_FROMANY(lab_obj, NPY_NOTYPE, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (lab == NULL) return NULL;
    int nd = PyArray_NDIM(lab);
    if (nd < 2 || nd > NPY_MAXDIMS || PyArray_DIM(lab, nd - 2) != (npy_intp)g.in_ny ||
        PyArray_DIM(lab, nd - 1) != (npy_intp)g.in_nx || PyArray_ITEMSIZE(lab) < 1 ||
        PyDataType_REFCHK(PyArray_DESCR(lab))) {
        PyErr_Format(PyExc_ValueError,
                     "labels must be a numeric array of shape (..., %zu, %zu) (ny, nx) for this "
                     "camera",
                     g.in_ny, g.in_nx);
        Py_DECREF(lab);
        return NULL;
    }
    npy_intp dims[NPY_MAXDIMS];
    size_t nchan = 1;
    for (int k = 0; k < nd - 2; k++) {
        dims[k] = PyArray_DIM(lab, k);
        nchan *= (size_t)dims[k];
    }
    dims[nd - 2] = (npy_intp)g.ny;
    dims[nd - 1] = (npy_intp)g.nx;
    PyArray_Descr *descr = PyArray_DESCR(lab);
    Py_INCREF(descr);
    PyObject *out = PyArray_NewFromDescr(&PyArray_Type, descr, nd, dims, NULL, NULL, 0, NULL);
    if (out == NULL) {
        Py_DECREF(lab);
        return NULL;
    }
    if (nchan == 0) {
        Py_DECREF(lab);
        return out;
    }
    size_t elem = (size_t)PyArray_ITEMSIZE(lab);
    const void *in = PyArray_DATA(lab);
    void *o = PyArray_DATA((PyArrayObject *)out);
    size_t in_bytes = (size_t)PyArray_NBYTES(lab),
           out_bytes = (size_t)PyArray_NBYTES((PyArrayObject *)out);
    cz_status st;
    Py_BEGIN_ALLOW_THREADS st =
        cz_sim_detector_labels(det, elem, nchan, in, in_bytes, o, out_bytes);
    Py_END_ALLOW_THREADS Py_DECREF(lab);
    if (st != CZ_OK) {
        Py_DECREF(out);
        return raise_status(st);
    }
    return out;
}

/* Points (n, 2) in input pixel coordinates → (camera pixels (k, 2), point index (k,) int64): every
 * appearance in the camera field (cz_sim_detector_locate; a size query, then the appearances). */
static PyObject *py_detector_locate(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *cap, *xy_obj;
    if (!PyArg_ParseTuple(args, "OO:detector_locate", &cap, &xy_obj)) return NULL;
    PyThread_type_lock lock;
    cz_sim_detector *det = get_detector(cap, &lock);
    if (det == NULL) return NULL;
    PyArrayObject *xy =
        (PyArrayObject *)PyArray_FROMANY(xy_obj, NPY_DOUBLE, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (xy == NULL) return NULL;
    if (PyArray_NDIM(xy) != 2 || PyArray_DIM(xy, 1) != 2) {
        Py_DECREF(xy);
        return PyErr_Format(PyExc_ValueError, "points must have shape (n, 2) (x, y)");
    }
    size_t n = (size_t)PyArray_DIM(xy, 0), k = 0;
    const double(*in)[2] = n > 0 ? (const double(*)[2])PyArray_DATA(xy) : NULL;
    double(*px)[2] = NULL;
    size_t *which = NULL;
    int nomem = 0;
    cz_status st;
    Py_BEGIN_ALLOW_THREADS st = cz_sim_detector_locate(det, n, in, NULL, NULL, 0, &k);
    if (st == CZ_OK && k > 0) {
        px = malloc(k * sizeof *px);
        which = malloc(k * sizeof *which);
        if (px != NULL && which != NULL)
            st = cz_sim_detector_locate(det, n, in, px, which, k, &k);
        else
            nomem = 1;
    }
    Py_END_ALLOW_THREADS Py_DECREF(xy);
    if (nomem || st != CZ_OK) {
        free(px);
        free(which);
        return nomem ? PyErr_NoMemory() : raise_status(st);
    }
    npy_intp dims[2] = {(npy_intp)k, 2};
    PyObject *apx = PyArray_SimpleNew(2, dims, NPY_DOUBLE);
    PyObject *apt = PyArray_SimpleNew(1, dims, NPY_INT64);
    if (apx == NULL || apt == NULL) {
        Py_XDECREF(apx);
        Py_XDECREF(apt);
        free(px);
        free(which);
        return NULL;
    }
    if (k > 0) memcpy(PyArray_DATA((PyArrayObject *)apx), px, k * sizeof *px);
    int64_t *pt = PyArray_DATA((PyArrayObject *)apt);
    for (size_t q = 0; q < k; q++) pt[q] = (int64_t)which[q];
    free(px);
    free(which);
    return Py_BuildValue("(NN)", apx, apt);
}

/* ------------------------------------------------------------------------------------------ */
/* Ground truth                                                                                */
/* ------------------------------------------------------------------------------------------ */

static PyObject *py_label_opts_default(PyObject *Py_UNUSED(self), PyObject *Py_UNUSED(args)) {
    cz_sim_label_opts o;
    cz_sim_label_opts_default(&o);
    return Py_BuildValue("{s:d,s:d,s:I}", "radius", o.radius, "column_tol", o.column_tol, "flags",
                         o.flags);
}

/* Label options from the keyword arguments grid=(nx, ny), pixel=(dx, dy), radius, column_tol,
 * flags. Returns 1, or 0 with an exception set. */
static int label_opts(PyObject *grid, PyObject *pixel, PyObject *radius, PyObject *tol,
                      PyObject *flags_obj, cz_sim_label_opts *o) {
    cz_sim_label_opts_default(o);
    Py_ssize_t nx = 0, ny = 0;
    if (!given(grid) || !PyArg_ParseTuple(grid, "nn", &nx, &ny)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "grid=(nx, ny) is required");
        return 0;
    }
    if (!given(pixel) || !PyArg_ParseTuple(pixel, "dd", &o->dx, &o->dy)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "pixel=(dx, dy) is required");
        return 0;
    }
    if (nx < 0 || ny < 0) {
        PyErr_SetString(PyExc_ValueError, "grid sizes must be >= 0");
        return 0;
    }
    o->nx = (size_t)nx;
    o->ny = (size_t)ny;
    size_t flags = o->flags;
    if (!set_double(radius, &o->radius) || !set_double(tol, &o->column_tol) ||
        !set_size(flags_obj, "flags", &flags))
        return 0;
    o->flags = (unsigned)flags;
    return 1;
}

static PyObject *py_mask_classes(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"positions", "labels", "nclass", "grid",
                             "pixel",     "radius", "flags",  NULL};
    PyObject *pos_obj, *lab_obj, *grid = NULL, *pixel = NULL, *radius = NULL, *flags = NULL;
    Py_ssize_t nclass;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOn|$OOOO:mask_classes", kwlist, &pos_obj,
                                     &lab_obj, &nclass, &grid, &pixel, &radius, &flags))
        return NULL;
    cz_sim_label_opts o;
    if (!label_opts(grid, pixel, radius, NULL, flags, &o)) return NULL;
    if (nclass < 1) return PyErr_Format(PyExc_ValueError, "nclass must be >= 1 (got %zd)", nclass);
    PyArrayObject *pos, *lab;
    if (!atoms_arrays(pos_obj, lab_obj, &pos, &lab)) return NULL;
    npy_intp n = PyArray_DIM(lab, 0);
    npy_intp dims[3] = {nclass, (npy_intp)o.ny, (npy_intp)o.nx};
    PyObject *out = PyArray_SimpleNew(3, dims, NPY_UINT8);
    if (out == NULL) {
        Py_DECREF(pos);
        Py_DECREF(lab);
        return NULL;
    }
    const double(*xyz)[3] = n > 0 ? (const double(*)[3])PyArray_DATA(pos) : NULL;
    const int *l = n > 0 ? (const int *)PyArray_DATA(lab) : NULL;
    uint8_t *m = PyArray_DATA((PyArrayObject *)out);
    size_t len = (size_t)PyArray_NBYTES((PyArrayObject *)out);
    cz_status st;
    Py_BEGIN_ALLOW_THREADS st = cz_sim_mask_classes(&o, (size_t)n, xyz, l, (size_t)nclass, m, len);
    Py_END_ALLOW_THREADS Py_DECREF(pos);
    Py_DECREF(lab);
    if (st != CZ_OK) {
        Py_DECREF(out);
        return raise_status(st);
    }
    return out;
}

static PyObject *py_label_map(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"positions", "labels", "priority", "grid",
                             "pixel",     "radius", "flags",    NULL};
    PyObject *pos_obj, *lab_obj, *prio_obj = NULL, *grid = NULL, *pixel = NULL, *radius = NULL;
    PyObject *flags = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O$OOOO:label_map", kwlist, &pos_obj,
                                     &lab_obj, &prio_obj, &grid, &pixel, &radius, &flags))
        return NULL;
    cz_sim_label_opts o;
    if (!label_opts(grid, pixel, radius, NULL, flags, &o)) return NULL;
    PyArrayObject *pos, *lab, *prio = NULL;
    if (!atoms_arrays(pos_obj, lab_obj, &pos, &lab)) return NULL;
    npy_intp n = PyArray_DIM(lab, 0);
    if (given(prio_obj)) {
        prio = (PyArrayObject *)PyArray_FROMANY(prio_obj, NPY_INT, 0, 0,
                                                NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
        if (prio == NULL || PyArray_NDIM(prio) != 1 || PyArray_DIM(prio, 0) != n) {
            if (prio != NULL)
                PyErr_Format(PyExc_ValueError, "priority must have shape (%ld,)", (long)n);
            Py_XDECREF(prio);
            Py_DECREF(pos);
            Py_DECREF(lab);
            return NULL;
        }
    }
    npy_intp dims[2] = {(npy_intp)o.ny, (npy_intp)o.nx};
    PyObject *out = PyArray_SimpleNew(2, dims, NPY_INT);
    if (out == NULL) {
        Py_XDECREF(prio);
        Py_DECREF(pos);
        Py_DECREF(lab);
        return NULL;
    }
    const double(*xyz)[3] = n > 0 ? (const double(*)[3])PyArray_DATA(pos) : NULL;
    const int *l = n > 0 ? (const int *)PyArray_DATA(lab) : NULL;
    const int *p = prio != NULL && n > 0 ? (const int *)PyArray_DATA(prio) : NULL;
    int *m = PyArray_DATA((PyArrayObject *)out);
    size_t len = o.nx * o.ny;
    cz_status st;
    Py_BEGIN_ALLOW_THREADS st = cz_sim_label_map(&o, (size_t)n, xyz, l, p, m, len);
    Py_END_ALLOW_THREADS Py_XDECREF(prio);
    Py_DECREF(pos);
    Py_DECREF(lab);
    if (st != CZ_OK) {
        Py_DECREF(out);
        return raise_status(st);
    }
    return out;
}

static PyObject *py_mask_phase(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *wave_obj;
    double threshold;
    if (!PyArg_ParseTuple(args, "Od:mask_phase", &wave_obj, &threshold)) return NULL;
    PyArrayObject *wave =
        (PyArrayObject *)PyArray_FROMANY(wave_obj, NPY_COMPLEX64, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (wave == NULL) return NULL;
    if (PyArray_NDIM(wave) != 2) {
        Py_DECREF(wave);
        return PyErr_Format(PyExc_ValueError, "wave must have shape (ny, nx)");
    }
    npy_intp dims[2] = {PyArray_DIM(wave, 0), PyArray_DIM(wave, 1)};
    PyObject *out = PyArray_SimpleNew(2, dims, NPY_UINT8);
    if (out == NULL) {
        Py_DECREF(wave);
        return NULL;
    }
    size_t nx = (size_t)dims[1], ny = (size_t)dims[0];
    const float *w = PyArray_DATA(wave);
    uint8_t *m = PyArray_DATA((PyArrayObject *)out);
    cz_status st;
    Py_BEGIN_ALLOW_THREADS st = cz_sim_mask_phase(nx, ny, w, 2 * nx * ny, threshold, m, nx * ny);
    Py_END_ALLOW_THREADS Py_DECREF(wave);
    if (st != CZ_OK) {
        Py_DECREF(out);
        return raise_status(st);
    }
    return out;
}

/* Columns as a tuple of arrays (x_px, y_px, z, object_id, count); cz.sim builds the table. */
static PyObject *py_columns(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"positions", "numbers",    "object", "grid",
                             "pixel",     "column_tol", "flags",  NULL};
    PyObject *pos_obj, *z_obj, *obj_obj = NULL, *grid = NULL, *pixel = NULL, *tol = NULL;
    PyObject *flags = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O$OOOO:columns", kwlist, &pos_obj, &z_obj,
                                     &obj_obj, &grid, &pixel, &tol, &flags))
        return NULL;
    cz_sim_label_opts o;
    if (!label_opts(grid, pixel, NULL, tol, flags, &o)) return NULL;
    PyArrayObject *pos, *z, *obj = NULL;
    if (!atoms_arrays(pos_obj, z_obj, &pos, &z)) return NULL;
    npy_intp n = PyArray_DIM(z, 0);
    if (given(obj_obj)) {
        obj = (PyArrayObject *)PyArray_FROMANY(obj_obj, NPY_INT, 0, 0,
                                               NPY_ARRAY_IN_ARRAY | NPY_ARRAY_FORCECAST);
        if (obj == NULL || PyArray_NDIM(obj) != 1 || PyArray_DIM(obj, 0) != n) {
            if (obj != NULL)
                PyErr_Format(PyExc_ValueError, "object must have shape (%ld,)", (long)n);
            Py_XDECREF(obj);
            Py_DECREF(pos);
            Py_DECREF(z);
            return NULL;
        }
    }
    const double(*xyz)[3] = n > 0 ? (const double(*)[3])PyArray_DATA(pos) : NULL;
    const int *zz = n > 0 ? (const int *)PyArray_DATA(z) : NULL;
    const int *ob = obj != NULL && n > 0 ? (const int *)PyArray_DATA(obj) : NULL;
    size_t ncol = 0;
    cz_sim_column *cols = NULL;
    int nomem = 0;
    cz_status st;
    /* A size query, then the columns (the same call with room for them). */
    Py_BEGIN_ALLOW_THREADS st = cz_sim_columns(&o, (size_t)n, xyz, zz, ob, NULL, 0, &ncol);
    if (st == CZ_OK && ncol > 0) {
        cols = malloc(ncol * sizeof *cols);
        if (cols != NULL)
            st = cz_sim_columns(&o, (size_t)n, xyz, zz, ob, cols, ncol, &ncol);
        else
            nomem = 1;
    }
    Py_END_ALLOW_THREADS Py_XDECREF(obj);
    Py_DECREF(pos);
    Py_DECREF(z);
    if (nomem) return PyErr_NoMemory();
    if (st != CZ_OK) {
        free(cols);
        return raise_status(st);
    }
    npy_intp dims[1] = {(npy_intp)ncol};
    PyObject *ax = PyArray_SimpleNew(1, dims, NPY_DOUBLE),
             *ay = PyArray_SimpleNew(1, dims, NPY_DOUBLE);
    PyObject *az = PyArray_SimpleNew(1, dims, NPY_INT32),
             *ao = PyArray_SimpleNew(1, dims, NPY_INT32);
    PyObject *ac = PyArray_SimpleNew(1, dims, NPY_INT64);
    if (!ax || !ay || !az || !ao || !ac) {
        Py_XDECREF(ax);
        Py_XDECREF(ay);
        Py_XDECREF(az);
        Py_XDECREF(ao);
        Py_XDECREF(ac);
        free(cols);
        return NULL;
    }
    double *x = PyArray_DATA((PyArrayObject *)ax), *y = PyArray_DATA((PyArrayObject *)ay);
    int32_t *zo = PyArray_DATA((PyArrayObject *)az), *oo = PyArray_DATA((PyArrayObject *)ao);
    int64_t *co = PyArray_DATA((PyArrayObject *)ac);
    for (size_t k = 0; k < ncol; k++) {
        x[k] = cols[k].x;
        y[k] = cols[k].y;
        zo[k] = cols[k].z;
        oo[k] = cols[k].object;
        co[k] = (int64_t)cols[k].count;
    }
    free(cols);
    return Py_BuildValue("(NNNNN)", ax, ay, az, ao, ac);
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
    NOARGS(version, "version() -> str: version of libczsim."),
    NOARGS(opts_default, "opts_default() -> dict: cz_sim_opts_default() (without wisdom_path)."),
    NOARGS(ctf_default, "ctf_default() -> dict: cz_sim_ctf_default()."),
    VARARGS(electron, "electron(energy_ev) -> (wavelength Å, sigma rad/(V·Å)) (cz_sim_electron)."),
    VARARGS(scherzer_defocus,
            "scherzer_defocus(energy_ev, cs) -> defocus Å; cs (C30) in Å "
            "(cz_sim_scherzer_defocus)."),
    KWARGS(plan_create,
           "plan_create(cell, *, energy_ev, sampling, nx, ny, slice_thickness, param, spread, "
           "antialias_cutoff, antialias_taper, max_pixels, nthreads, flags, wisdom_path, "
           "tilt_mrad, tilt_azimuth_deg, projection, potential_method, precision) -> plan "
           "(cz_sim_plan_create; keywords are cz_sim_opts' fields, omitted or None = default)."),
    VARARGS(plan_info, "plan_info(plan) -> dict (cz_sim_plan_info)."),
    VARARGS(set_atoms, "set_atoms(plan, positions (n, 3), numbers (n,)) (cz_sim_set_atoms)."),
    VARARGS(run, "run(plan) -> complex64 (ny, nx) exit wave (cz_sim_run)."),
    VARARGS(run_double,
            "run_double(plan) -> complex128 (ny, nx) exit wave of a precision=DOUBLE plan "
            "(cz_sim_run_double)."),
    VARARGS(potential, "potential(plan, slice) -> float64 (ny, nx), V·Å (cz_sim_potential)."),
    KWARGS(image,
           "image(plan, wave, *, c, phi_deg, aperture_mrad, aperture_taper_mrad, focal_spread, "
           "convergence_mrad) -> float64 (ny, nx) (cz_sim_image; omitted or None = default)."),
    NOARGS(coherence_default, "coherence_default() -> dict: cz_sim_coherence_default()."),
    KWARGS(phonon_displace,
           "phonon_displace(positions (n, 3), numbers (n,), config, *, seed, u_rms (ZMAX+1,), "
           "u_rms_atom (n,), flags) -> displaced positions (n, 3) (cz_sim_phonon_displace)."),
    KWARGS(image_incoherent,
           "image_incoherent(plan, waves (n, ny, nx) or (ny, nx), *, c, phi_deg, aperture_mrad, "
           "aperture_taper_mrad, focal_spread, convergence_mrad, sum_focal_spread, focal_points, "
           "sum_convergence_mrad, tilt_dist, tilt_points) -> float64 (ny, nx) "
           "(cz_sim_image_incoherent)."),
    NOARGS(detector_opts_default,
           "detector_opts_default() -> dict: cz_sim_detector_opts_default()."),
    KWARGS(detector_create,
           "detector_create(nx, ny, dx, dy, *, pixel_size, cnx, cny, mtf, mtf_q0, mtf_floor, "
           "dose_e_per_a2, read_noise, affine (2, 2), shift (1, 2), radial_k1, seed, nthreads, "
           "flags) -> detector (cz_sim_detector_create)."),
    VARARGS(detector_geometry, "detector_geometry(det) -> dict (cz_sim_detector_geometry)."),
    VARARGS(detector_image,
            "detector_image(det, frame, image (in_ny, in_nx)) -> float64 (ny, nx) "
            "(cz_sim_detector_image)."),
    VARARGS(detector_labels,
            "detector_labels(det, labels (..., in_ny, in_nx)) -> same dtype (..., ny, nx) "
            "(cz_sim_detector_labels)."),
    VARARGS(detector_locate,
            "detector_locate(det, points (n, 2) input pixels) -> (camera pixels (k, 2), point "
            "index int64 (k,)): every appearance in the camera field (cz_sim_detector_locate)."),
    NOARGS(label_opts_default, "label_opts_default() -> dict: cz_sim_label_opts_default()."),
    KWARGS(mask_classes,
           "mask_classes(positions, labels, nclass, *, grid=(nx, ny), pixel=(dx, dy), radius, "
           "flags) -> uint8 (nclass, ny, nx) (cz_sim_mask_classes)."),
    KWARGS(label_map,
           "label_map(positions, labels, priority=None, *, grid, pixel, radius, flags) -> int32 "
           "(ny, nx) (cz_sim_label_map)."),
    VARARGS(mask_phase,
            "mask_phase(wave (ny, nx), threshold_rad) -> uint8 (ny, nx) (cz_sim_mask_phase)."),
    KWARGS(columns,
           "columns(positions, numbers, object=None, *, grid, pixel, column_tol, flags) -> "
           "(x_px, y_px, z, object_id, count) arrays (cz_sim_columns)."),
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    "_czsim",
    "Low-level bindings of libczsim. Use `cz.sim` instead of calling these directly.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL};

static int add_constants(PyObject *m) {
    static const struct {
        const char *name;
        long value;
    } ints[] = {
        {"KIRKLAND", CZ_SIM_KIRKLAND},
        {"LOBATO", CZ_SIM_LOBATO},
        {"SPREAD_BSPLINE", CZ_SIM_SPREAD_BSPLINE},
        {"SPREAD_ABTEM", CZ_SIM_SPREAD_ABTEM},
        {"FFT_FRIENDLY", (long)CZ_SIM_FFT_FRIENDLY},
        {"FFTW_ESTIMATE", (long)CZ_SIM_FFTW_ESTIMATE},
        {"REFUSE_OUTSIDE", (long)CZ_SIM_REFUSE_OUTSIDE},
        {"ZMAX", CZ_SIM_ZMAX},
        {"INFINITE", CZ_SIM_INFINITE},
        {"FINITE", CZ_SIM_FINITE},
        {"POTENTIAL_FOURIER", CZ_SIM_POTENTIAL_FOURIER},
        {"POTENTIAL_REALSPACE", CZ_SIM_POTENTIAL_REALSPACE},
        {"SINGLE", CZ_SIM_SINGLE},
        {"DOUBLE", CZ_SIM_DOUBLE},
        {"PHONON_FIX_Z", (long)CZ_SIM_PHONON_FIX_Z},
        {"TILT_GAUSSIAN", CZ_SIM_TILT_GAUSSIAN},
        {"TILT_DISC", CZ_SIM_TILT_DISC},
        {"MTF_NONE", CZ_SIM_MTF_NONE},
        {"MTF_LORENTZIAN", CZ_SIM_MTF_LORENTZIAN},
        {"MTF_GAUSSIAN", CZ_SIM_MTF_GAUSSIAN},
        {"DET_INTEGER", (long)CZ_SIM_DET_INTEGER},
        {"DET_NOISELESS", (long)CZ_SIM_DET_NOISELESS},
        {"LABEL_NONPERIODIC", (long)CZ_SIM_LABEL_NONPERIODIC},
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (PyModule_AddIntConstant(m, ints[i].name, ints[i].value) < 0) return -1;
    return 0;
}

PyMODINIT_FUNC PyInit__czsim(void) {
    import_array();
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (CzError == NULL) {
        /* One exception class for the whole package: cz._cz's. */
        PyObject *core = PyImport_ImportModule("cz._cz");
        if (core == NULL) goto fail;
        CzError = PyObject_GetAttrString(core, "CzError");
        Py_DECREF(core);
        if (CzError == NULL) goto fail;
    }
    if (PyModule_AddObjectRef(m, "CzError", CzError) < 0) goto fail;
    if (add_constants(m) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
