"""What the ELF files inside a wheel need and export, read with pyelftools (no tool output
parsing). Pure: a wheel file in, plain data out.

Used for three things: conformance with the claimed policy (auditwheel's whitelist and symbol
versions), the C++ runtime lint, and conditions of declared verdicts.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elftools.common.exceptions import ELFError
from elftools.elf.dynamic import DynamicSection
from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection
from elftools.elf.sections import SymbolTableSection

from harness.probe.facts import version_tuple


@dataclass(frozen=True)
class ElfInfo:
    path: str  # inside the wheel
    is_extension: bool  # a Python extension module (not a grafted library)
    machine: str  # e_machine, e.g. EM_X86_64
    needed: tuple[str, ...]
    # soname -> version names required from it, e.g. {"libstdc++.so.6": ("GLIBCXX_3.4.29",)}
    required_versions: Mapping[str, tuple[str, ...]]
    exported: tuple[str, ...]  # defined, global or weak, default visibility, in .dynsym
    # exported with STB_GNU_UNIQUE binding: the loader binds every reference in the process to
    # one definition, even across RTLD_LOCAL (C++ template statics such as locale facet ids)
    unique: tuple[str, ...] = ()
    weak: tuple[str, ...] = ()  # exported with STB_WEAK: template instantiations, inline code
    defined: tuple[str, ...] = ()  # every defined function/object symbol (.symtab if present)


@dataclass(frozen=True)
class WheelAnalysis:
    wheel: str
    files: tuple[ElfInfo, ...]
    grafted: tuple[str, ...]  # sonames the wheel carries itself (auditwheel's *.libs)
    external: tuple[str, ...]  # sonames it needs from the system
    # family -> newest version required from the system, e.g. {"GLIBC": "2.34", "GLIBCXX": "3.4.29"}
    max_versions: Mapping[str, str] = field(default_factory=dict)

    @property
    def extensions(self) -> tuple[ElfInfo, ...]:
        return tuple(f for f in self.files if f.is_extension)

    def to_json(self) -> dict[str, Any]:
        return {
            "wheel": self.wheel,
            "grafted": list(self.grafted),
            "external": list(self.external),
            "max_versions": dict(self.max_versions),
            "extensions": [
                {"path": f.path, "needed": list(f.needed), "exported": len(f.exported)}
                for f in self.extensions
            ],
        }


# pyelftools names binding 10 by its generic name, STB_LOOS; for GNU it is STB_GNU_UNIQUE.
_UNIQUE = ("STB_GNU_UNIQUE", "STB_LOOS")

# The dynamic loader is every process's interpreter, never a dependency to whitelist or graft.
LOADERS = ("ld-linux", "ld64.so", "ld.so")


def is_loader(soname: str) -> bool:
    return soname.startswith(LOADERS)


def _is_elf_member(name: str) -> bool:
    base = posixpath.basename(name)
    return base.endswith(".so") or ".so." in base


def _analyze_elf(path: str, data: bytes) -> ElfInfo | None:
    try:
        elf = ELFFile(io.BytesIO(data))
    except ELFError:
        return None
    needed: list[str] = []
    required: dict[str, list[str]] = {}
    exported: list[str] = []
    unique: list[str] = []
    weak: list[str] = []
    defined: list[str] = []
    for section in elf.iter_sections():
        if isinstance(section, DynamicSection):
            needed += [
                str(tag.needed)  # type: ignore[attr-defined]  # set by pyelftools for DT_NEEDED
                for tag in section.iter_tags()
                if tag.entry.d_tag == "DT_NEEDED"
            ]
        elif isinstance(section, GNUVerNeedSection):
            for verneed, auxiliaries in section.iter_versions():
                required.setdefault(str(verneed.name), []).extend(
                    str(aux.name) for aux in auxiliaries
                )
        elif isinstance(section, SymbolTableSection):
            dynamic = section.name == ".dynsym"
            for symbol in section.iter_symbols():
                if not symbol.name or symbol["st_shndx"] == "SHN_UNDEF":
                    continue
                if symbol["st_info"]["type"] not in (
                    "STT_FUNC",
                    "STT_OBJECT",
                    "STT_TLS",
                    "STT_GNU_IFUNC",
                ):
                    continue
                defined.append(symbol.name)
                if (
                    dynamic
                    and symbol["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK", *_UNIQUE)
                    and symbol["st_other"]["visibility"] == "STV_DEFAULT"
                ):
                    exported.append(symbol.name)
                    if symbol["st_info"]["bind"] in _UNIQUE:
                        unique.append(symbol.name)
                    elif symbol["st_info"]["bind"] == "STB_WEAK":
                        weak.append(symbol.name)
    in_libs_dir = any(part.endswith(".libs") for part in path.split("/")[:-1])
    return ElfInfo(
        path=path,
        is_extension=not in_libs_dir,
        machine=str(elf["e_machine"]),
        needed=tuple(needed),
        required_versions={lib: tuple(sorted(set(v))) for lib, v in sorted(required.items())},
        exported=tuple(sorted(set(exported))),
        unique=tuple(sorted(set(unique))),
        weak=tuple(sorted(set(weak))),
        defined=tuple(sorted(set(defined))),
    )


def _family_and_version(name: str) -> tuple[str, str] | None:
    """ "GLIBCXX_3.4.29" -> ("GLIBCXX", "3.4.29"); "GLIBC_PRIVATE" -> None."""
    family, sep, version = name.rpartition("_")
    if not sep or not version[:1].isdigit():
        return None
    return family, version


def max_versions(requirements: Iterable[str]) -> dict[str, str]:
    best: dict[str, str] = {}
    for name in requirements:
        parsed = _family_and_version(name)
        if parsed is None:
            continue
        family, version = parsed
        if family not in best or version_tuple(version) > version_tuple(best[family]):
            best[family] = version
    return best


def analyze_wheel(wheel: Path) -> WheelAnalysis:
    files: list[ElfInfo] = []
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if _is_elf_member(member):
                info = _analyze_elf(member, archive.read(member))
                if info is not None:
                    files.append(info)
    grafted = {posixpath.basename(f.path) for f in files if not f.is_extension}
    external = sorted(
        {lib for f in files for lib in f.needed if lib not in grafted and not is_loader(lib)}
    )
    requirements = [
        version
        for f in files
        for lib, versions in f.required_versions.items()
        if lib not in grafted
        for version in versions
    ]
    return WheelAnalysis(
        wheel=wheel.name,
        files=tuple(files),
        grafted=tuple(sorted(grafted)),
        external=tuple(external),
        max_versions=max_versions(requirements),
    )


def requirements_of(analysis: WheelAnalysis) -> dict[str, set[str]]:
    """family -> every version required from the system, e.g. {"GLIBC": {"2.2.5", "2.34"}}."""
    found: dict[str, set[str]] = {}
    for info in analysis.files:
        for lib, versions in info.required_versions.items():
            if lib in analysis.grafted:
                continue
            for name in versions:
                parsed = _family_and_version(name)
                if parsed:
                    found.setdefault(parsed[0], set()).add(parsed[1])
    return found
