/* Converts key names to keysyms and back through libX11. libX11.so.6 is on every manylinux
 * whitelist, so auditwheel leaves it to the system: the policy promises it is there. Minimal
 * images (slim containers, the local distro images) do not have it, and there the wheel's
 * promise breaks through no fault of its own. The keysym tables are compiled into libX11, so
 * no display is needed to compute. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <X11/Xlib.h>

static PyObject *keysym(PyObject *self, PyObject *args) {
    const char *name;
    if (!PyArg_ParseTuple(args, "s", &name)) return NULL;
    return PyLong_FromUnsignedLong((unsigned long)XStringToKeysym(name));
}

static PyObject *keyname(PyObject *self, PyObject *args) {
    unsigned long sym;
    if (!PyArg_ParseTuple(args, "k", &sym)) return NULL;
    const char *name = XKeysymToString((KeySym)sym);
    if (name == NULL) Py_RETURN_NONE;
    return PyUnicode_FromString(name);
}

static PyMethodDef methods[] = {
    {"keysym", keysym, METH_VARARGS, "XStringToKeysym(name)"},
    {"keyname", keyname, METH_VARARGS, "XKeysymToString(keysym)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "x11_control", NULL, -1, methods};

PyMODINIT_FUNC PyInit_x11_control(void) { return PyModule_Create(&module); }
