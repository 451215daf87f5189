// Shortest round-trip formatting of doubles with std::to_chars: libstdc++ implements the
// floating-point overloads from GCC 11, under the symbol version GLIBCXX_3.4.29. Built with
// a newer toolchain than the target distro's, the module needs a newer libstdc++.so.6 than
// that distro has; its tag must say so. This control is tagged as if it did not.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <charconv>
#include <cstdio>
#include <system_error>

static PyObject *shortest(PyObject *, PyObject *args) {
    double value;
    if (!PyArg_ParseTuple(args, "d", &value)) return nullptr;
    char buffer[64];
#if defined(__GNUC__) && __GNUC__ >= 11
    std::to_chars_result result = std::to_chars(buffer, buffer + sizeof buffer, value);
    if (result.ec != std::errc()) {
        PyErr_SetString(PyExc_ValueError, "to_chars failed");
        return nullptr;
    }
    return PyUnicode_FromStringAndSize(buffer, result.ptr - buffer);
#else
    // An older toolchain has no floating-point to_chars: the module then needs nothing new.
    int length = std::snprintf(buffer, sizeof buffer, "%.17g", value);
    return PyUnicode_FromStringAndSize(buffer, length);
#endif
}

static PyMethodDef methods[] = {
    {"shortest", shortest, METH_VARARGS, "a double formatted by std::to_chars"},
    {nullptr, nullptr, 0, nullptr},
};

static PyModuleDef module = {PyModuleDef_HEAD_INIT, "glibcxx_control", nullptr, -1, methods};

extern "C" PyMODINIT_FUNC PyInit_glibcxx_control(void) { return PyModule_Create(&module); }
