/* A per-thread block of TLS_BYTES bytes with the TLS model TLS_MODEL_ATTRIBUTE names: every
 * byte is written and read back, so the block is really used on each thread. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define CONCAT_(a, b) a##b
#define CONCAT(a, b) CONCAT_(a, b)

static __thread unsigned char block[TLS_BYTES] TLS_MODEL_ATTRIBUTE;

/* Fill the calling thread's block from `seed`, return the sum of its bytes. */
static PyObject *fill(PyObject *self, PyObject *arg) {
    unsigned long seed = PyLong_AsUnsignedLong(arg);
    if (PyErr_Occurred()) return NULL;
    for (size_t i = 0; i < sizeof block; i++) block[i] = (unsigned char)(seed + i * 7);
    unsigned long long total = 0;
    for (size_t i = 0; i < sizeof block; i++) total += block[i];
    return PyLong_FromUnsignedLongLong(total);
}

static PyObject *size(PyObject *self, PyObject *unused) { return PyLong_FromSize_t(sizeof block); }

static PyMethodDef methods[] = {
    {"fill", fill, METH_O, "fill this thread's block from a seed; the sum of its bytes"},
    {"size", size, METH_NOARGS, "bytes of the thread-local block"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, STRINGIFY(MODULE_NAME), NULL, -1, methods};

PyMODINIT_FUNC CONCAT(PyInit_, MODULE_NAME)(void) { return PyModule_Create(&module); }
