/* A limited-API (cp39-abi3) module that parses bytes with "y#", as the documentation says
 * to, with PY_SSIZE_T_CLEAN defined.
 *
 * Found by this harness on its first run: compiled against Python >= 3.13 headers, the
 * module calls PyArg_ParseTuple itself, which from 3.13 takes Py_ssize_t lengths (gh-104922);
 * older headers map it to _PyArg_ParseTuple_SizeT under PY_SSIZE_T_CLEAN. On Python 3.9 to
 * 3.12, the symbol PyArg_ParseTuple still writes an int length (3.9: half a Py_ssize_t) or
 * refuses '#' formats (3.10+: SystemError). The wheel is tagged cp39-abi3 either way. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static PyObject *checksum(PyObject *self, PyObject *args) {
    const char *data;
    /* Not left uninitialised: an int written into it must leave a visibly wrong length on
     * every arch, little- or big-endian. Uninitialised, the other half is whatever the stack
     * held: on aarch64 it happened to be zero and Python 3.9 computed the right answer. */
    Py_ssize_t length = -1;
    if (!PyArg_ParseTuple(args, "y#", &data, &length)) return NULL;
    uint32_t a = 1, b = 0; /* Adler-32 */
    for (Py_ssize_t i = 0; i < length; i++) {
        a = (a + (unsigned char)data[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    return PyLong_FromUnsignedLong((b << 16) | a);
}

static PyMethodDef methods[] = {
    {"checksum", checksum, METH_VARARGS, "Adler-32 of a bytes object"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "abi3_headers_control", NULL, -1, methods};

PyMODINIT_FUNC PyInit_abi3_headers_control(void) { return PyModule_Create(&module); }
