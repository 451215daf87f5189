/* A plain C extension: integer and string work with nothing beyond libc. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* Fibonacci modulo 2**64, iteratively: exercises 64-bit integer arithmetic. */
static PyObject *fib(PyObject *self, PyObject *args) {
    unsigned long n;
    if (!PyArg_ParseTuple(args, "k", &n)) return NULL;
    uint64_t a = 0, b = 1;
    for (unsigned long i = 0; i < n; i++) {
        uint64_t next = a + b;
        a = b;
        b = next;
    }
    return PyLong_FromUnsignedLongLong(a);
}

/* Bytes are taken as objects ("S") and read with PyBytes_AsStringAndSize, not with "y#":
 * the meaning of "#" lengths in the limited API changed with Python 3.13's headers (see the
 * abi3 header control), and Py_buffer is limited API only from 3.11. */
static int bytes_of(PyObject *args, char **data, Py_ssize_t *length) {
    PyObject *bytes;
    if (!PyArg_ParseTuple(args, "S", &bytes)) return -1;
    return PyBytes_AsStringAndSize(bytes, data, length);
}

/* CRC-32 (IEEE 802.3, reflected): a table-free bitwise implementation. */
static PyObject *crc32(PyObject *self, PyObject *args) {
    char *data;
    Py_ssize_t length;
    if (bytes_of(args, &data, &length) < 0) return NULL;
    uint32_t crc = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < length; i++) {
        crc ^= (unsigned char)data[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return PyLong_FromUnsignedLong(crc ^ 0xFFFFFFFFu);
}

/* Reverse a byte string through a malloc'ed copy. */
static PyObject *reverse(PyObject *self, PyObject *args) {
    char *data;
    Py_ssize_t length;
    if (bytes_of(args, &data, &length) < 0) return NULL;
    char *out = PyMem_Malloc(length ? length : 1);
    if (!out) return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < length; i++) out[i] = data[length - 1 - i];
    PyObject *result = PyBytes_FromStringAndSize(out, length);
    PyMem_Free(out);
    return result;
}

static PyMethodDef methods[] = {
    {"fib", fib, METH_VARARGS, "n-th Fibonacci number modulo 2**64"},
    {"crc32", crc32, METH_VARARGS, "CRC-32 of a bytes object"},
    {"reverse", reverse, METH_VARARGS, "bytes reversed"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "c_plain", NULL, -1, methods};

PyMODINIT_FUNC PyInit_c_plain(void) { return PyModule_Create(&module); }
