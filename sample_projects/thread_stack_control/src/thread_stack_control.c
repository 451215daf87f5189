/* A worker thread started with default attributes that needs more stack than musl gives it.
 *
 * pthread_create(..., NULL, ...) gets the C library's default stack: glibc's is RLIMIT_STACK
 * (8 MiB in a container), musl's is 128 KiB. Code that recurses a few hundred frames deep in
 * such a thread (a parser, a tree walk: duckdb/duckdb#25010) works on glibc and overflows on
 * musl, and nothing in a wheel's tags or in auditwheel's checks can say so. Each frame of the
 * walk below holds FRAME_BYTES and is touched from the top down, so the first byte beyond the
 * thread's stack is the guard page: the overflow is a SIGSEGV, never a silent write elsewhere.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdint.h>

#define FRAME_BYTES 1024

struct walk {
    int depth;
    uint64_t seed, result;
};

static uint64_t next(uint64_t x) { return x * 6364136223846793005ULL + 1442695040888963407ULL; }

/* One frame per level; the frame is read again after the call, so no call becomes a jump. */
__attribute__((noinline)) static uint64_t descend(int depth, uint64_t x) {
    volatile unsigned char frame[FRAME_BYTES];
    for (int i = FRAME_BYTES - 1; i > 0; i -= 64) frame[i] = (unsigned char)(x >> (i % 56));
    frame[0] = (unsigned char)x;
    if (depth == 0) return x;
    uint64_t below = descend(depth - 1, next(x));
    return below ^ frame[FRAME_BYTES - 1] ^ ((uint64_t)frame[0] << 8);
}

static void *run(void *arg) {
    struct walk *walk = arg;
    walk->result = descend(walk->depth, walk->seed);
    return NULL;
}

/* descend(depth, seed) in a new thread with default attributes. */
static PyObject *walk_in_thread(PyObject *self, PyObject *args) {
    struct walk walk = {0, 0, 0};
    unsigned long long seed;
    if (!PyArg_ParseTuple(args, "iK", &walk.depth, &seed)) return NULL;
    if (walk.depth < 0 || walk.depth > 4096) {
        PyErr_SetString(PyExc_ValueError, "depth must be in 0..4096");
        return NULL;
    }
    walk.seed = seed;
    pthread_t id;
    int failed;
    Py_BEGIN_ALLOW_THREADS
    failed = pthread_create(&id, NULL, run, &walk);
    if (!failed) pthread_join(id, NULL);
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_SetString(PyExc_RuntimeError, "pthread_create failed");
        return NULL;
    }
    return PyLong_FromUnsignedLongLong(walk.result);
}

static PyMethodDef methods[] = {
    {"walk_in_thread", walk_in_thread, METH_VARARGS,
     "walk_in_thread(depth, seed): a walk DEPTH frames of 1 KiB deep in a new default thread"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "thread_stack_control", NULL, -1, methods,
};

PyMODINIT_FUNC PyInit_thread_stack_control(void) { return PyModule_Create(&module); }
