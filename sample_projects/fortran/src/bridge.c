/* Python bindings for the Fortran kernels (limited API). Fortran arrays are column-major:
 * matrices are passed as flat lists in column-major order. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdlib.h>

#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)
#define CONCAT2(a, b) a##b
#define CONCAT(a, b) CONCAT2(a, b)

void mh_matmul(int n, const double *a, const double *b, double *c);
double mh_norm2(int n, const double *x);
void mh_format(double value, char *buffer, int *length);

static double *doubles_of(PyObject *list, Py_ssize_t expected) {
    if (!PyList_Check(list) || PyList_Size(list) != expected) {
        PyErr_Format(PyExc_ValueError, "expected a list of %zd floats", expected);
        return NULL;
    }
    double *values = malloc(sizeof(double) * (size_t)(expected ? expected : 1));
    if (!values) return (double *)PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < expected; i++) {
        values[i] = PyFloat_AsDouble(PyList_GetItem(list, i));
        if (PyErr_Occurred()) {
            free(values);
            return NULL;
        }
    }
    return values;
}

static PyObject *matmul(PyObject *self, PyObject *args) {
    int n;
    PyObject *a_list, *b_list;
    if (!PyArg_ParseTuple(args, "iO!O!", &n, &PyList_Type, &a_list, &PyList_Type, &b_list)) return NULL;
    if (n < 1 || n > 512) return PyErr_Format(PyExc_ValueError, "n out of range");
    double *a = doubles_of(a_list, (Py_ssize_t)n * n);
    double *b = a ? doubles_of(b_list, (Py_ssize_t)n * n) : NULL;
    double *c = b ? malloc(sizeof(double) * (size_t)n * n) : NULL;
    PyObject *result = NULL;
    if (c) {
        mh_matmul(n, a, b, c);
        result = PyList_New((Py_ssize_t)n * n);
        for (Py_ssize_t i = 0; result && i < (Py_ssize_t)n * n; i++) PyList_SetItem(result, i, PyFloat_FromDouble(c[i]));
    } else if (b) {
        PyErr_NoMemory();
    }
    free(a);
    free(b);
    free(c);
    return result;
}

static PyObject *norm2(PyObject *self, PyObject *args) {
    PyObject *list;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &list)) return NULL;
    Py_ssize_t n = PyList_Size(list);
    double *x = doubles_of(list, n);
    if (!x) return NULL;
    double r = mh_norm2((int)n, x);
    free(x);
    return PyFloat_FromDouble(r);
}

static PyObject *format(PyObject *self, PyObject *args) {
    double value;
    if (!PyArg_ParseTuple(args, "d", &value)) return NULL;
    char buffer[40];
    int length = 0;
    mh_format(value, buffer, &length);
    return PyUnicode_FromStringAndSize(buffer, length);
}

static PyMethodDef methods[] = {
    {"matmul", matmul, METH_VARARGS, "n x n matrix product (column-major flat lists)"},
    {"norm2", norm2, METH_VARARGS, "Euclidean norm"},
    {"format", format, METH_VARARGS, "ES24.16E3 formatting by Fortran I/O"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, STRINGIFY(MODULE_NAME), NULL, -1, methods};

PyMODINIT_FUNC CONCAT(PyInit_, MODULE_NAME)(void) { return PyModule_Create(&module); }
