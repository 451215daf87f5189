/* Hands a buffer of 32-bit words to the grafted library's threaded sum. The module itself
 * calls nothing of libc newer than its tag's glibc. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

int mh_threaded_sum(const uint32_t *words, size_t count, uint64_t *sum);

static PyObject *threaded_sum(PyObject *self, PyObject *arg) {
    Py_ssize_t length;
    char *data;
    uint64_t sum = 0;
    if (PyBytes_AsStringAndSize(arg, &data, &length) < 0) return NULL;
    if (length % 4) {
        PyErr_SetString(PyExc_ValueError, "length must be a multiple of 4");
        return NULL;
    }
    if (mh_threaded_sum((const uint32_t *)data, (size_t)length / 4, &sum)) {
        PyErr_SetString(PyExc_OSError, "the summing thread could not run");
        return NULL;
    }
    return PyLong_FromUnsignedLongLong(sum);
}

static PyMethodDef methods[] = {
    {"threaded_sum", threaded_sum, METH_O, "sum of native-endian 32-bit words, on another thread"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "grafted_glibc_control", NULL, -1, methods};

PyMODINIT_FUNC PyInit_grafted_glibc_control(void) { return PyModule_Create(&module); }
