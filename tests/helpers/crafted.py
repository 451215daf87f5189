"""Hand-made binary wheels that break (or keep) their claims in known ways: a small C file per
extension module, compiled on the host with gcc (abi3, so any CPython >= 3.9 loads it), packed
by make_wheel. No network.

    libcrypt   leaves libcrypt.so.1 to the system (gone from minimal distros)
    glibcxx    needs GLIBCXX_3.4.29 (gcc 11's libstdc++) while claiming manylinux2014
    ffi7       needs libffi.so.7 (bullseye's), neither whitelisted nor grafted
    origin     carries its own library beside it, found through RUNPATH $ORIGIN (as pyarrow)
    execstack  requires an executable stack (GNU_STACK RWE): dlopen refuses it from glibc 2.41
    grafted    its library in <module>.libs/ (where auditwheel grafts) needs GLIBC_2.34
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

import pytest

from tests.helpers.factories import make_wheel

PLATFORM = "manylinux_2_17_x86_64"
TAG = f"cp39-abi3-{PLATFORM}"

_MODULE = r"""
#define Py_LIMITED_API 0x03090000
#include <Python.h>
%(declarations)s
/* Kept and exported, never called: what it references must resolve when the module loads. */
void %(name)s_uses(void) { %(uses)s }
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "%(name)s", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_%(name)s(void) { return PyModule_Create(&def); }
"""

# name -> (declarations, uses, link arguments)
_CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "libcrypt": (
        "extern char *crypt(const char *, const char *);",
        'crypt("x", "ab");',
        ("-l:libcrypt.so.1",),
    ),
    "glibcxx": (
        # std::__throw_bad_array_new_length(), new in GLIBCXX_3.4.29 (gcc 11)
        'extern void needs_new(void) __asm__("_ZSt28__throw_bad_array_new_lengthv");',
        "needs_new();",
        ("-l:libstdc++.so.6",),
    ),
    "ffi7": ("extern void ffi_call(void);", "ffi_call();", ("STUB:libffi.so.7:ffi_call",)),
    "origin": ("extern void origin_helper(void);", "origin_helper();", ("BESIDE:origin_helper",)),
    "execstack": ("", "", ("-Wl,-z,execstack",)),
    "grafted": (
        "extern void grafted_helper(void);",
        "grafted_helper();",
        ("GRAFTED:grafted_helper",),
    ),
}
# A grafted library's code: it starts a thread, and pthread_create is GLIBC_2.34 since glibc
# 2.34 moved libpthread into libc (the host that compiles it has glibc >= 2.34).
_GRAFTED = r"""
#include <pthread.h>
static void *nothing(void *arg) { return arg; }
void %(function)s(void) { pthread_t t; pthread_create(&t, 0, nothing, 0); pthread_join(t, 0); }
"""


def gcc() -> str:
    found = shutil.which("gcc")
    if found is None:
        pytest.skip("no gcc on this host: the crafted wheels are compiled here")
    return found


def compile_source(source: str, output: Path, *args: str) -> None:
    """Compile one C file into a shared object with the host gcc (Python's headers on the
    include path)."""
    include = sysconfig.get_paths()["include"]
    source_path = output.with_suffix(".c")
    source_path.write_text(source)
    subprocess.run(
        [
            gcc(),
            "-shared",
            "-fPIC",
            "-O1",
            f"-I{include}",
            str(source_path),
            "-o",
            str(output),
            *args,
        ],
        check=True,
        capture_output=True,
    )


def _shared_library(directory: Path, soname: str, function: str) -> Path:
    path = directory / soname
    compile_source(f"void {function}(void) {{}}\n", path, f"-Wl,-soname,{soname}")
    return path


def crafted_wheel(directory: Path, name: str) -> Path:
    """The wheel `mh_crafted_<name>-1.0-cp39-abi3-manylinux_2_17_x86_64.whl`."""
    declarations, uses, link = _CASES[name]
    module = f"mh_crafted_{name}"
    work = directory / f"build-{name}"
    work.mkdir(parents=True, exist_ok=True)
    files: dict[str, str | bytes] = {}
    args: list[str] = []
    for item in link:
        kind, _, rest = item.partition(":")
        if kind == "STUB":  # a stand-in to link against; the wheel does not carry it
            soname, function = rest.split(":")
            args.append(str(_shared_library(work, soname, function)))
        elif kind == "GRAFTED":  # where auditwheel grafts, with a hashed name
            soname = f"lib{module}_helper-0123abcd.so.1"
            libs = work / f"{module}.libs"
            libs.mkdir(exist_ok=True)
            helper = libs / soname
            compile_source(
                _GRAFTED % {"function": rest}, helper, f"-Wl,-soname,{soname}", "-pthread"
            )
            files[f"{module}.libs/{soname}"] = helper.read_bytes()
            args += [str(helper), "-Wl,--enable-new-dtags", f"-Wl,-rpath,$ORIGIN/{module}.libs"]
        elif kind == "BESIDE":  # carried in the package, found through RUNPATH $ORIGIN
            soname = f"lib{module}_helper.so.1"
            helper = _shared_library(work, soname, rest)
            files[f"{module}/{soname}"] = helper.read_bytes()
            args += [str(helper), "-Wl,--enable-new-dtags", "-Wl,-rpath,$ORIGIN"]
        else:
            args.append(item)
    extension = work / f"{module}.abi3.so"
    compile_source(
        _MODULE % {"declarations": declarations, "uses": uses, "name": module}, extension, *args
    )
    if "BESIDE" in "".join(link):
        files[f"{module}/{module}.abi3.so"] = extension.read_bytes()
        files[f"{module}/__init__.py"] = f"from {module}.{module} import *\n"
    else:
        files[f"{module}.abi3.so"] = extension.read_bytes()
    return make_wheel(directory, f"{module}-1.0-{TAG}.whl", files, top_level=[module])
