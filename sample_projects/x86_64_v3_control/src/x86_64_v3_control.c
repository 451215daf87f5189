/* Sums 32-bit integers with AVX2 (8 lanes at a time): on a CPU without AVX2 the first
 * vpaddd raises SIGILL. Compiled with -march=x86-64-v3; without it (a build that ignores
 * CFLAGS) the target attribute still makes the function AVX2 code. MH_BASELINE (the baseline
 * flavour, the build a publisher offers beside the v3 one) sums one lane at a time instead,
 * for any x86-64 CPU. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#ifdef MH_BASELINE
static uint32_t sum_avx2(const uint32_t *data, Py_ssize_t n)
{
    uint32_t total = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        total += data[i];
    return total;
}
#else
__attribute__((target("avx2"))) static uint32_t sum_avx2(const uint32_t *data, Py_ssize_t n)
{
    __m256i acc = _mm256_setzero_si256();
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8)
        acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i *)(data + i)));
    uint32_t lanes[8];
    _mm256_storeu_si256((__m256i *)lanes, acc);
    uint32_t total = 0;
    for (int k = 0; k < 8; k++)
        total += lanes[k];
    for (; i < n; i++)
        total += data[i];
    return total;
}
#endif

static PyObject *sum_u32(PyObject *self, PyObject *args)
{
    /* PyBytes_AsStringAndSize, not a "y#" format: under the limited API of 3.9 headers the
     * '#' formats' length type depends on the interpreter (see abi3_headers_control) */
    PyObject *bytes;
    char *data;
    Py_ssize_t size;
    if (!PyArg_ParseTuple(args, "S", &bytes) || PyBytes_AsStringAndSize(bytes, &data, &size) < 0)
        return NULL;
    uint32_t buffer[256];
    uint32_t total = 0;
    /* copied to an aligned buffer in chunks: bytes objects give no alignment promise */
    for (Py_ssize_t done = 0; done < size / 4; done += 256) {
        Py_ssize_t n = size / 4 - done < 256 ? size / 4 - done : 256;
        memcpy(buffer, data + 4 * done, (size_t)n * 4);
        total += sum_avx2(buffer, n);
    }
    return PyLong_FromUnsignedLong(total);
}

static PyMethodDef methods[] = {
    {"sum_u32", sum_u32, METH_VARARGS, "sum of little-endian uint32s, modulo 2**32 (AVX2)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "x86_64_v3_control", NULL, -1, methods};

PyMODINIT_FUNC PyInit_x86_64_v3_control(void) { return PyModule_Create(&module); }
