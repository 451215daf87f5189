/* crypt(3) from libcrypt.so.1. libcrypt left the manylinux whitelist when Fedora 30 stopped
 * shipping libcrypt.so.1 by default (libxcrypt-compat): a wheel must graft it. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <crypt.h>

static PyObject *hash(PyObject *self, PyObject *args) {
    const char *key, *salt;
    if (!PyArg_ParseTuple(args, "ss", &key, &salt)) return NULL;
    struct crypt_data data;
    data.initialized = 0;
    const char *result = crypt_r(key, salt, &data);
    if (result == NULL || result[0] == '*') {
        PyErr_SetString(PyExc_ValueError, "crypt_r rejected the salt");
        return NULL;
    }
    return PyUnicode_FromString(result);
}

static PyMethodDef methods[] = {
    {"hash", hash, METH_VARARGS, "crypt_r(key, salt)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "crypt_sample", NULL, -1, methods};

PyMODINIT_FUNC PyInit_crypt_sample(void) { return PyModule_Create(&module); }
