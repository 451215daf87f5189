"""The symbol tables of a wheel's ELF files, for the C++ runtime lint: what each one exports
and defines. Read with pyelftools straight from the zip; whether a file is a Python extension
module is auditwheel's own test (elfutils.elf_is_python_extension). What the files need and
where they find it is auditwheel's lddtree (harness.analysis.audit), not this module's.
"""

from __future__ import annotations

import io
import posixpath
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from auditwheel.elfutils import elf_is_python_extension
from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits, open_wheel


@dataclass(frozen=True)
class ElfSymbols:
    path: str  # inside the wheel
    is_extension: bool  # a Python extension module (auditwheel's test: it defines PyInit_*)
    exported: tuple[str, ...]  # defined, global or weak, default visibility, in .dynsym
    # exported with STB_GNU_UNIQUE binding: the loader binds every reference in the process to
    # one definition, even across RTLD_LOCAL (C++ template statics such as locale facet ids)
    unique: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()  # exported with STB_WEAK: template instantiations, inline code
    defined: tuple[str, ...] = ()  # every defined function/object symbol (.symtab if present)


# pyelftools names binding 10 by its generic name, STB_LOOS; for GNU it is STB_GNU_UNIQUE.
_UNIQUE = ("STB_GNU_UNIQUE", "STB_LOOS")
_KINDS = ("STT_FUNC", "STT_OBJECT", "STT_TLS", "STT_GNU_IFUNC")


def is_elf_member(name: str) -> bool:
    base = posixpath.basename(name)
    return base.endswith(".so") or ".so." in base


def read_symbols(path: str, data: bytes) -> ElfSymbols | None:
    try:
        elf = ELFFile(io.BytesIO(data))
        is_extension, _ = elf_is_python_extension(Path(PurePosixPath(path).name), elf)
    except ELFError:
        return None
    exported: list[str] = []
    unique: list[str] = []
    weak: list[str] = []
    defined: list[str] = []
    for section in elf.iter_sections():
        if not isinstance(section, SymbolTableSection):
            continue
        dynamic = section.name == ".dynsym"
        for symbol in section.iter_symbols():
            if not symbol.name or symbol["st_shndx"] == "SHN_UNDEF":
                continue
            if symbol["st_info"]["type"] not in _KINDS:
                continue
            defined.append(symbol.name)
            bind = symbol["st_info"]["bind"]
            if (
                dynamic
                and bind in ("STB_GLOBAL", "STB_WEAK", *_UNIQUE)
                and symbol["st_other"]["visibility"] == "STV_DEFAULT"
            ):
                exported.append(symbol.name)
                if bind in _UNIQUE:
                    unique.append(symbol.name)
                elif bind == "STB_WEAK":
                    weak.append(symbol.name)
    return ElfSymbols(
        path=path,
        is_extension=is_extension,
        exported=tuple(sorted(set(exported))),
        unique=tuple(sorted(set(unique))),
        weak=tuple(sorted(set(weak))),
        defined=tuple(sorted(set(defined))),
    )


def wheel_symbols(wheel: Path, limits: WheelLimits = DEFAULT_LIMITS) -> tuple[ElfSymbols, ...]:
    """Every ELF shared object of the wheel (a member that is not ELF is skipped)."""
    found: list[ElfSymbols] = []
    with open_wheel(wheel, limits) as archive:
        for member in archive.namelist():
            if is_elf_member(member):
                symbols = read_symbols(member, archive.read(member))
                if symbols is not None:
                    found.append(symbols)
    return tuple(found)
