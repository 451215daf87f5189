/* A control whose glibc floor is the build image's, not a fixed one.
 *
 * glibc 2.34 merged libpthread into libc and gave pthread_create and pthread_join the
 * new symbol version GLIBC_2.34. Built on glibc >= 2.34 this module needs glibc >= 2.34
 * (auditwheel tags it manylinux_2_34 or newer); built on an older glibc it does not.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>

struct job {
    uint64_t start, stop, sum;
};

static void *sum_squares(void *arg) {
    struct job *job = arg;
    uint64_t sum = 0;
    for (uint64_t i = job->start; i < job->stop; i++) sum += i * i;
    job->sum = sum;
    return NULL;
}

/* Sum of i*i for i in [0, n), split over `threads` POSIX threads. */
static PyObject *threaded_sum_of_squares(PyObject *self, PyObject *args) {
    unsigned long long n;
    int threads;
    if (!PyArg_ParseTuple(args, "Ki", &n, &threads)) return NULL;
    if (threads < 1 || threads > 64) {
        PyErr_SetString(PyExc_ValueError, "threads must be in 1..64");
        return NULL;
    }
    pthread_t ids[64];
    struct job jobs[64];
    uint64_t chunk = n / threads;
    for (int t = 0; t < threads; t++) {
        jobs[t].start = t * chunk;
        jobs[t].stop = t == threads - 1 ? n : (t + 1) * chunk;
        jobs[t].sum = 0;
    }
    int failed = 0, started = 0;
    Py_BEGIN_ALLOW_THREADS
    for (; started < threads; started++) {
        if (pthread_create(&ids[started], NULL, sum_squares, &jobs[started]) != 0) {
            failed = 1;
            break;
        }
    }
    for (int t = 0; t < started; t++) pthread_join(ids[t], NULL);
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_SetString(PyExc_RuntimeError, "pthread_create failed");
        return NULL;
    }
    uint64_t total = 0;
    for (int t = 0; t < threads; t++) total += jobs[t].sum;
    return PyLong_FromUnsignedLongLong(total);
}

static PyMethodDef methods[] = {
    {"threaded_sum_of_squares", threaded_sum_of_squares, METH_VARARGS,
     "sum of i*i for i < n, computed on several pthreads (modulo 2**64)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "glibc_control", NULL, -1, methods};

PyMODINIT_FUNC PyInit_glibc_control(void) { return PyModule_Create(&module); }
