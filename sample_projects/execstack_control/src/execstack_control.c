/* A hash over bytes whose step is the assembler routine in mix.S. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

uint32_t mh_mix(uint32_t a, uint32_t b);

static PyObject *hash(PyObject *self, PyObject *arg) {
    Py_ssize_t length;
    char *data;
    if (PyBytes_AsStringAndSize(arg, &data, &length) < 0) return NULL;
    uint32_t h = 0;
    for (Py_ssize_t i = 0; i < length; i++) h = mh_mix(h, (unsigned char)data[i]);
    return PyLong_FromUnsignedLong(h);
}

static PyMethodDef methods[] = {
    {"hash", hash, METH_O, "h = h * 31 + byte over the bytes, modulo 2**32"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "execstack_control", NULL, -1, methods};

PyMODINIT_FUNC PyInit_execstack_control(void) { return PyModule_Create(&module); }
