"""The C++ runtime lint on musllinux wheels: their libstdc++ is always grafted under a hashed
name, which is the runtime loaded all the same, not a private static copy."""

from __future__ import annotations

from harness.analysis.elf import ElfSymbols
from harness.analysis.lint import PRIVATE_RUNTIME, cxx_runtime_findings, loads_libstdcxx

RUNTIME = tuple(f"_ZNSt6locale{i}Ev" for i in range(25))


def _module(path: str) -> ElfSymbols:
    return ElfSymbols(path, True, ("PyInit_m",), defined=RUNTIME)


def test_a_grafted_libstdcxx_is_the_runtime_loaded() -> None:
    assert loads_libstdcxx(("libstdc++-5d72f927.so.6.0.33", "libc.musl-x86_64.so.1"))
    assert loads_libstdcxx(("libstdc++.so.6",))
    assert not loads_libstdcxx(("libc.so.6", "libm.so.6"))
    files = (_module("m/a.so"), _module("m/b.so"))
    needed = {"m/a.so": ("libstdc++-5d72f927.so.6.0.33",), "m/b.so": ("libc.musl-x86_64.so.1",)}
    found = [f for f in cxx_runtime_findings(files, needed) if f.kind == PRIVATE_RUNTIME]
    assert [f.file for f in found] == ["m/b.so"]  # only the module without any libstdc++
