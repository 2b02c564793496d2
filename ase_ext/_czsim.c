/*
 * _czsim.c — CPython bindings of libczsim (the multislice simulator): the extension module
 * cz._czsim. A second module beside cz._cz because libczsim never links libczcore.
 *
 * Same rules as _cz.c: each binding validates and converts its arguments, calls ONE cz_sim_
 * function with the GIL released, turns a failing cz_status into a Python exception carrying
 * cz_sim_last_error(), and converts the outputs. No physics, no defaults: option structs start
 * from cz_sim_opts_default() / cz_sim_ctf_default() and only arguments that were given (and are
 * not None) override a field.
 *
 * A plan lives in a PyCapsule whose destructor calls cz_sim_plan_destroy. A plan serves one call
 * at a time (it owns the workspace), so its capsule carries a lock that every call takes, without
 * the GIL, around the C work. The error message is thread-local and the C work runs on the
 * calling thread, so reading it after reacquiring the GIL gives this call's message.
 *
 * Exceptions: CZ_EINVAL → ValueError, CZ_ENOMEM → MemoryError, CZ_EIO → OSError, everything else
 * cz.CzError — the very class cz._cz defines, imported from it at module initialisation.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
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
        dict_put(d, "flags", PyLong_FromUnsignedLong(o.flags)) < 0) {
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

static PyObject *py_plan_create(PyObject *Py_UNUSED(self), PyObject *args, PyObject *kwargs) {
    static char *kwlist[] = {"cell",
                             "energy_ev",
                             "sampling",
                             "nx",
                             "ny",
                             "slice_thickness",
                             "param",
                             "spread",
                             "antialias_cutoff",
                             "antialias_taper",
                             "max_pixels",
                             "nthreads",
                             "flags",
                             "wisdom_path",
                             NULL};
    PyObject *cell_obj, *o[13] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|$OOOOOOOOOOOOO:plan_create", kwlist,
                                     &cell_obj, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6],
                                     &o[7], &o[8], &o[9], &o[10], &o[11], &o[12]))
        return NULL;
    double cell[3][3];
    if (!set_table(cell_obj, "cell", 3, 3, &cell[0][0])) return NULL;
    cz_sim_opts opts;
    cz_sim_opts_default(&opts);
    int param = (int)opts.param, spread = (int)opts.spread;
    size_t flags = opts.flags;
    if (!set_double(o[0], &opts.energy_ev) || !set_double(o[1], &opts.sampling) ||
        !set_size(o[2], "nx", &opts.nx) || !set_size(o[3], "ny", &opts.ny) ||
        !set_double(o[4], &opts.slice_thickness) || !set_int(o[5], "param", &param) ||
        !set_int(o[6], "spread", &spread) || !set_double(o[7], &opts.antialias_cutoff) ||
        !set_double(o[8], &opts.antialias_taper) ||
        !set_size(o[9], "max_pixels", &opts.max_pixels) ||
        !set_int(o[10], "nthreads", &opts.nthreads) || !set_size(o[11], "flags", &flags))
        return NULL;
    if (param != CZ_SIM_KIRKLAND && param != CZ_SIM_LOBATO)
        return PyErr_Format(PyExc_ValueError, "param must be KIRKLAND or LOBATO (got %d)", param);
    if (spread != CZ_SIM_SPREAD_BSPLINE && spread != CZ_SIM_SPREAD_ABTEM)
        return PyErr_Format(PyExc_ValueError,
                            "spread must be SPREAD_BSPLINE or SPREAD_ABTEM (got %d)", spread);
    opts.param = (cz_sim_param)param;
    opts.spread = (cz_sim_spread)spread;
    opts.flags = (unsigned)flags;
    /* The wisdom path is borrowed by cz_sim_plan_create for the call only. */
    PyObject *wisdom = NULL;
    if (given(o[12])) {
        if (!PyUnicode_FSConverter(o[12], &wisdom)) return NULL;
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
           "antialias_cutoff, antialias_taper, max_pixels, nthreads, flags, wisdom_path) -> plan "
           "(cz_sim_plan_create; omitted or None = default)."),
    VARARGS(plan_info, "plan_info(plan) -> dict (cz_sim_plan_info)."),
    VARARGS(set_atoms, "set_atoms(plan, positions (n, 3), numbers (n,)) (cz_sim_set_atoms)."),
    VARARGS(run, "run(plan) -> complex64 (ny, nx) exit wave (cz_sim_run)."),
    VARARGS(potential, "potential(plan, slice) -> float64 (ny, nx), V·Å (cz_sim_potential)."),
    KWARGS(image,
           "image(plan, wave, *, c, phi_deg, aperture_mrad, aperture_taper_mrad, focal_spread, "
           "convergence_mrad) -> float64 (ny, nx) (cz_sim_image; omitted or None = default)."),
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
