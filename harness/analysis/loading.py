"""What the dynamic loader will demand of a wheel's ELF files when Python dlopens them, beyond
what a manylinux policy describes, read with pyelftools from the program headers and the
dynamic section (the same library elf.py reads the symbol tables with):

- the stack: PT_GNU_STACK with PF_X, or no PT_GNU_STACK at all (assembler objects without
  .note.GNU-stack), asks for an executable stack, which dlopen refuses from glibc 2.41;
- thread-local storage: DF_STATIC_TLS (initial-exec TLS) in a dlopen'ed object must come out
  of glibc's small static TLS surplus, shared with every module loaded before it;
- the symbol versions each file requires (DT_VERNEED), so that a grafted library needing more
  than the wheel's tag claims is named (auditwheel's own analysis counts those versions for
  the whole wheel, not per file).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

from harness.analysis.elf import is_elf_member
from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits, open_wheel

# From <elf.h>: the segment flag and the DT_FLAGS bit these checks read.
PF_X = 0x1
DF_STATIC_TLS = 0x10
# The first glibc whose dlopen refuses an object that requires an executable stack.
EXECSTACK_REFUSED_FROM = (2, 41)


@dataclass(frozen=True)
class LoadNeeds:
    """One ELF file of the wheel, as the loader will see it."""

    path: str  # inside the wheel
    # "executable" (PT_GNU_STACK with PF_X), "missing" (no PT_GNU_STACK: the arch's default,
    # executable on the arches manylinux covers) or "non-executable"
    stack: str
    static_tls: bool  # DT_FLAGS has DF_STATIC_TLS: initial-exec TLS
    tls_bytes: int  # PT_TLS p_memsz: the thread-local block's size
    # needed soname -> the version names this file requires of it (DT_VERNEED)
    versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def executable_stack(self) -> bool:
        return self.stack != "non-executable"


def _stack(elf: ELFFile) -> str:
    for segment in elf.iter_segments():
        if segment["p_type"] == "PT_GNU_STACK":
            return "executable" if segment["p_flags"] & PF_X else "non-executable"
    return "missing"


def _tls_bytes(elf: ELFFile) -> int:
    return sum(int(s["p_memsz"]) for s in elf.iter_segments() if s["p_type"] == "PT_TLS")


def _static_tls(elf: ELFFile) -> bool:
    for section in elf.iter_sections():
        if isinstance(section, DynamicSection):
            for tag in section.iter_tags():
                if tag.entry.d_tag == "DT_FLAGS" and int(tag.entry.d_val) & DF_STATIC_TLS:
                    return True
    return False


def _versions(elf: ELFFile) -> dict[str, tuple[str, ...]]:
    found: dict[str, tuple[str, ...]] = {}
    for section in elf.iter_sections():
        if isinstance(section, GNUVerNeedSection):
            for verneed, auxiliaries in section.iter_versions():
                soname = str(verneed.name)
                names = {str(aux.name) for aux in auxiliaries}
                found[soname] = tuple(sorted(names | set(found.get(soname, ()))))
    return dict(sorted(found.items()))


def read_load_needs(path: str, data: bytes) -> LoadNeeds | None:
    """None when the bytes are not ELF (a text file named like a library)."""
    try:
        elf = ELFFile(io.BytesIO(data))
        return LoadNeeds(
            path=path,
            stack=_stack(elf),
            static_tls=_static_tls(elf),
            tls_bytes=_tls_bytes(elf),
            versions=_versions(elf),
        )
    except ELFError:
        return None


def wheel_load_needs(wheel: Path, limits: WheelLimits = DEFAULT_LIMITS) -> tuple[LoadNeeds, ...]:
    """Every ELF shared object of the wheel, by path."""
    found = []
    with open_wheel(wheel, limits) as archive:
        for member in sorted(archive.namelist()):
            if is_elf_member(member):
                needs = read_load_needs(member, archive.read(member))
                if needs is not None:
                    found.append(needs)
    return tuple(found)
