/* adler32() needs nothing but C; crypt() opens libcrypt.so.1 with dlopen on its first call,
 * as plugins and ctypes bindings do: nothing at import time says the library is needed. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dlfcn.h>

typedef char *(*crypt_function)(const char *key, const char *salt);
static crypt_function crypt_pointer = NULL;

static PyObject *adler32(PyObject *self, PyObject *args) {
    const char *data;
    Py_ssize_t length;
    if (!PyArg_ParseTuple(args, "y#", &data, &length)) return NULL;
    unsigned long a = 1, b = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        a = (a + (unsigned char)data[i]) % 65521;
        b = (b + a) % 65521;
    }
    return PyLong_FromUnsignedLong((b << 16) | a);
}

static PyObject *lazy_crypt(PyObject *self, PyObject *args) {
    const char *key, *salt;
    if (!PyArg_ParseTuple(args, "ss", &key, &salt)) return NULL;
    if (crypt_pointer == NULL) {
        void *library = dlopen("libcrypt.so.1", RTLD_NOW | RTLD_LOCAL);
        if (library == NULL) {
            PyErr_SetString(PyExc_OSError, dlerror());
            return NULL;
        }
        crypt_pointer = (crypt_function)dlsym(library, "crypt");
        if (crypt_pointer == NULL) {
            PyErr_SetString(PyExc_OSError, dlerror());
            return NULL;
        }
    }
    /* crypt() keeps its result in static storage: the GIL is held throughout. */
    const char *result = crypt_pointer(key, salt);
    if (result == NULL || result[0] == '*') {
        PyErr_SetString(PyExc_ValueError, "crypt rejected the salt");
        return NULL;
    }
    return PyUnicode_FromString(result);
}

static PyMethodDef methods[] = {
    {"adler32", adler32, METH_VARARGS, "adler32(data) -> int"},
    {"crypt", lazy_crypt, METH_VARARGS, "crypt(key, salt) -> str, from the system's libcrypt.so.1"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "lazy_crypt._native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
