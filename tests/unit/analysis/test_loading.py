"""The loader findings on wheels compiled here with gcc: an executable stack (flagged, or no
GNU_STACK header at all), initial-exec TLS, and a grafted library needing a newer glibc than
the wheel's tag claims, each naming its file."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from elftools.elf.elffile import ELFFile

from harness.analysis.lint import (
    EXECUTABLE_STACK,
    GRAFTED_BEYOND_CLAIM,
    STATIC_TLS,
    inspect_wheel,
)
from harness.analysis.loading import read_load_needs
from tests.helpers.crafted import TAG, compile_source
from tests.helpers.factories import make_wheel

MODULE = r"""
#define Py_LIMITED_API 0x03090000
#include <Python.h>
%(body)s
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "%(name)s", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_%(name)s(void) { return PyModule_Create(&def); }
"""


def _module(tmp_path: Path, name: str, body: str, *args: str) -> bytes:
    output = tmp_path / f"{name}.abi3.so"
    compile_source(MODULE % {"body": body, "name": name}, output, *args)
    return output.read_bytes()


def _kinds(wheel: Path) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for finding in inspect_wheel(wheel, "x86_64")["lint"]:
        found.setdefault(finding["kind"], []).append(finding)
    return found


def _without_gnu_stack(data: bytes) -> bytes:
    """The same object with its PT_GNU_STACK program header turned into PT_NULL, as if
    linked from objects that carry no .note.GNU-stack and a linker that adds no header."""
    elf = ELFFile(io.BytesIO(data))
    patched = bytearray(data)
    for index, segment in enumerate(elf.iter_segments()):
        if segment["p_type"] == "PT_GNU_STACK":
            offset = elf["e_phoff"] + index * elf["e_phentsize"]
            struct.pack_into("<I", patched, offset, 0)  # p_type = PT_NULL
    return bytes(patched)


def test_an_executable_stack_is_found_and_dated(tmp_path: Path) -> None:
    data = _module(tmp_path, "mh_stack", "", "-Wl,-z,execstack")
    assert read_load_needs("mh_stack.abi3.so", data).stack == "executable"  # type: ignore[union-attr]
    wheel = make_wheel(tmp_path, f"mh_stack-1.0-{TAG}.whl", {"mh_stack.abi3.so": data})
    (finding,) = _kinds(wheel)[EXECUTABLE_STACK]
    assert finding["file"] == "mh_stack.abi3.so"
    assert finding["breaks"] == "glibc >= 2.41"
    assert "GNU_STACK is RWE" in finding["detail"]


def test_no_gnu_stack_header_asks_for_an_executable_stack(tmp_path: Path) -> None:
    data = _without_gnu_stack(_module(tmp_path, "mh_nohdr", "", "-Wl,-z,noexecstack"))
    assert read_load_needs("x.so", data).stack == "missing"  # type: ignore[union-attr]
    wheel = make_wheel(tmp_path, f"mh_nohdr-1.0-{TAG}.whl", {"mh_nohdr.abi3.so": data})
    (finding,) = _kinds(wheel)[EXECUTABLE_STACK]
    assert "no GNU_STACK header" in finding["detail"]


def test_a_non_executable_stack_and_dynamic_tls_give_nothing(tmp_path: Path) -> None:
    data = _module(
        tmp_path, "mh_clean", "__thread char block[4096]; char *mh_at(int i) { return block + i; }"
    )
    needs = read_load_needs("x.so", data)
    assert needs is not None and needs.stack == "non-executable"
    assert needs.tls_bytes == 4096 and not needs.static_tls  # general-dynamic: no surplus
    wheel = make_wheel(tmp_path, f"mh_clean-1.0-{TAG}.whl", {"mh_clean.abi3.so": data})
    kinds = _kinds(wheel)
    assert EXECUTABLE_STACK not in kinds and STATIC_TLS not in kinds


def test_initial_exec_tls_is_found_with_its_size(tmp_path: Path) -> None:
    body = (
        '__thread char block[1536] __attribute__((tls_model("initial-exec")));'
        "char *mh_at(int i) { return block + i; }"
    )
    wheel = make_wheel(
        tmp_path, f"mh_tls-1.0-{TAG}.whl", {"mh_tls.abi3.so": _module(tmp_path, "mh_tls", body)}
    )
    (finding,) = _kinds(wheel)[STATIC_TLS]
    assert "1536 bytes of initial-exec TLS" in finding["detail"]
    assert finding["breaks"] == "load order"


def test_a_grafted_library_beyond_the_claim_is_named(tmp_path: Path) -> None:
    """A library in auditwheel's <package>.libs/ that calls pthread_create (GLIBC_2.34 on a
    host with glibc >= 2.34), under a manylinux_2_17 tag; the extension itself needs
    nothing new, and the finding names the grafted file, not it."""
    libs = "mh_graft.libs"
    soname = "libmh_helper-0123abcd.so"
    helper = tmp_path / soname
    compile_source(
        "#include <pthread.h>\n"
        "static void *run(void *a) { return a; }\n"
        "int mh_helper(void) { pthread_t t; if (pthread_create(&t, 0, run, 0)) return 1;"
        " return pthread_join(t, 0); }\n",
        helper,
        f"-Wl,-soname,{soname}",
        "-pthread",
    )
    module = _module(
        tmp_path,
        "mh_graft",
        "extern int mh_helper(void); int mh_uses(void) { return mh_helper(); }",
        str(helper),
        "-Wl,--enable-new-dtags",
        f"-Wl,-rpath,$ORIGIN/{libs}",
    )
    files = {"mh_graft.abi3.so": module, f"{libs}/{soname}": helper.read_bytes()}
    wheel = make_wheel(tmp_path, f"mh_graft-1.0-{TAG}.whl", files)
    (finding,) = _kinds(wheel)[GRAFTED_BEYOND_CLAIM]
    assert finding["file"] == f"{libs}/{soname}"
    assert finding["breaks"] == "glibc < 2.34"
    assert f"grafted library {soname} needs GLIBC_2.34 of libc.so.6" in finding["detail"]
    assert "beyond the claimed manylinux2014" in finding["detail"]
