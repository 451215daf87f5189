/* Calls a C function through libffi. libffi is not on the manylinux whitelist and its soname
 * changed (libffi.so.7 in Debian 11, libffi.so.8 from Debian 12): a wheel that leaves it to
 * the system works only where that very soname is installed. This control is repaired with
 * libffi excluded from grafting. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <ffi.h>

static long weighted(long a, long b, long c) { return a + 10 * b + 100 * c; }

static PyObject *call(PyObject *self, PyObject *args) {
    long a, b, c;
    if (!PyArg_ParseTuple(args, "lll", &a, &b, &c)) return NULL;
    ffi_cif cif;
    ffi_type *types[3] = {&ffi_type_slong, &ffi_type_slong, &ffi_type_slong};
    void *values[3] = {&a, &b, &c};
    if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, 3, &ffi_type_slong, types) != FFI_OK) {
        PyErr_SetString(PyExc_RuntimeError, "ffi_prep_cif failed");
        return NULL;
    }
    ffi_arg result = 0;
    ffi_call(&cif, FFI_FN(weighted), &result, values);
    return PyLong_FromLong((long)result);
}

static PyMethodDef methods[] = {
    {"call", call, METH_VARARGS, "a + 10b + 100c, computed through ffi_call"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "ffi_control", NULL, -1, methods};

PyMODINIT_FUNC PyInit_ffi_control(void) { return PyModule_Create(&module); }
