"""The tools a build image is measured for."""

from __future__ import annotations

# The toolchain a build image is measured for, in the order reports list it: the compilers a
# wheel is built with, the linker, the C library it links against, and the repair tools.
# One list, below every stage, so that explain, the measured image facts and the report agree.
TOOLCHAIN: tuple[str, ...] = (
    "gcc",
    "g++",
    "gfortran",
    "binutils",
    "glibc",
    "auditwheel",
    "patchelf",
)
