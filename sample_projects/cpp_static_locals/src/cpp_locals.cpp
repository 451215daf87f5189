// The C++ runtime features behind the dual-runtime crashes (pyarrow + tensorflow through
// std::call_once, SimpleITK, numpy#28570): function-local statics with non-trivial
// constructors (guard variables), std::call_once with a static once_flag, thread_local
// objects with constructors and destructors, a mutex, exceptions thrown and caught inside
// the module, std::string and iostreams. work() touches all of them; threaded_work() does
// so from several threads at once, with the GIL released.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)
#define CONCAT2(a, b) a##b
#define CONCAT(a, b) CONCAT2(a, b)

namespace {

// A function-local static with a non-trivial constructor: initialised under
// __cxa_guard_acquire/__cxa_guard_release, once, whichever thread comes first.
struct Registry {
    std::map<std::string, long> entries;
    std::mutex lock;
    Registry() {
        for (int i = 0; i < 16; ++i) entries["key" + std::to_string(i)] = static_cast<long>(i) * i;
    }
};

Registry &registry() {
    static Registry instance;
    return instance;
}

// std::call_once on a static once_flag: the machinery of the pyarrow/tensorflow crash.
std::atomic<int> once_runs{0};

long once_value() {
    static std::once_flag flag;
    static long value = 0;
    std::call_once(flag, [] {
        value = 42;
        once_runs.fetch_add(1);
    });
    return value;
}

// A thread_local object with a constructor and a destructor.
std::atomic<long> thread_objects_destroyed{0};

struct PerThread {
    long calls = 0;
    std::string tag;
    PerThread() : tag("per-thread") {}
    ~PerThread() { thread_objects_destroyed.fetch_add(1); }
};

thread_local PerThread per_thread;

// Exceptions thrown and caught inside the module.
long parse_or_default(const std::string &text) {
    try {
        std::size_t used = 0;
        long value = std::stol(text, &used);
        if (used != text.size()) throw std::invalid_argument("trailing characters");
        return value;
    } catch (const std::invalid_argument &) {
        return -1;
    } catch (const std::out_of_range &) {
        return -2;
    }
}

std::string describe(long n) {
    std::ostringstream out;
    out << "n=" << n << ";hex=" << std::hex << n;
    return out.str();
}

long work(long rounds) {
    long total = 0;
    for (long r = 0; r < rounds; ++r) {
        Registry &reg = registry();
        {
            std::lock_guard<std::mutex> guard(reg.lock);
            total += reg.entries.at("key" + std::to_string(r % 16));
        }
        total += once_value();
        total += parse_or_default(std::to_string(r));
        total += parse_or_default("x" + std::to_string(r));  // throws inside, caught: -1
        total += static_cast<long>(describe(r).size());
        per_thread.calls += 1;
    }
    return total;
}

PyObject *py_work(PyObject *, PyObject *args) {
    long rounds;
    if (!PyArg_ParseTuple(args, "l", &rounds)) return nullptr;
    long result;
    Py_BEGIN_ALLOW_THREADS
    result = work(rounds);
    Py_END_ALLOW_THREADS
    return PyLong_FromLong(result);
}

// work() on `threads` std::threads at once; returns the sum of their results.
PyObject *py_threaded_work(PyObject *, PyObject *args) {
    int threads;
    long rounds;
    if (!PyArg_ParseTuple(args, "il", &threads, &rounds)) return nullptr;
    if (threads < 1 || threads > 64) {
        PyErr_SetString(PyExc_ValueError, "threads must be in 1..64");
        return nullptr;
    }
    std::vector<long> results(static_cast<std::size_t>(threads), 0);
    std::string error;
    Py_BEGIN_ALLOW_THREADS
    try {
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&results, t, rounds] { results[static_cast<std::size_t>(t)] = work(rounds); });
        for (auto &thread : pool) thread.join();
    } catch (const std::exception &exc) {
        error = exc.what();
    }
    Py_END_ALLOW_THREADS
    if (!error.empty()) {
        PyErr_SetString(PyExc_RuntimeError, error.c_str());
        return nullptr;
    }
    long total = 0;
    for (long value : results) total += value;
    return PyLong_FromLong(total);
}

PyObject *py_stats(PyObject *, PyObject *) {
    return Py_BuildValue("{s:i,s:l,s:l}", "once_runs", once_runs.load(), "thread_objects_destroyed",
                         thread_objects_destroyed.load(), "calls_on_this_thread", per_thread.calls);
}

PyObject *py_describe(PyObject *, PyObject *args) {
    long n;
    if (!PyArg_ParseTuple(args, "l", &n)) return nullptr;
    std::string text = describe(n);
    return PyUnicode_FromStringAndSize(text.data(), static_cast<Py_ssize_t>(text.size()));
}

PyMethodDef methods[] = {
    {"work", py_work, METH_VARARGS, "exercise statics, call_once, thread_local, exceptions"},
    {"threaded_work", py_threaded_work, METH_VARARGS, "work() on several std::threads at once"},
    {"stats", py_stats, METH_NOARGS, "counters of the runtime features"},
    {"describe", py_describe, METH_VARARGS, "ostringstream formatting"},
    {nullptr, nullptr, 0, nullptr},
};

PyModuleDef module = {PyModuleDef_HEAD_INIT, STRINGIFY(MODULE_NAME), nullptr, -1, methods};

}  // namespace

extern "C" PyMODINIT_FUNC CONCAT(PyInit_, MODULE_NAME)(void) { return PyModule_Create(&module); }
