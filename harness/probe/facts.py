"""Facts measured inside a running container (never trusted from the catalog)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.vocab.versions import version_tuple


@dataclass(frozen=True)
class DistroFacts:
    os_name: str  # PRETTY_NAME from os-release
    machine: str  # uname -m
    python_version: str
    python_platform: str  # sysconfig.get_platform(), e.g. linux-i686 in a 32-bit userland
    glibc: str | None  # None on a system without glibc
    glibcxx_max: str | None  # newest GLIBCXX_ version libstdc++.so.6 provides
    pip_version: str
    packaging_version: str
    sonames: tuple[str, ...] = ()  # libraries the dynamic loader knows
    cxxabi_max: str | None = None
    # symbol-version family -> newest version its library defines (GLIBCXX, CXXABI, GCC,
    # LIBATOMIC, ZLIB: harness.probe.agent_facts.VERSIONED_LIBRARIES); pairs, so facts stay hashable.
    symbol_maxima: tuple[tuple[str, str], ...] = ()
    # The platform tags packaging computes for this interpreter, best first. Kept out of the
    # results file (thousands of entries); used for expectations.
    supported_tags: tuple[str, ...] = field(default=(), compare=False, repr=False)
    musl: str | None = None  # musl's version, as its loader reports it ("1.2.3")

    @property
    def libc(self) -> str:
        """The C library: "glibc", "musl", or "" when neither was measured."""
        return "glibc" if self.glibc else "musl" if self.musl else ""

    @property
    def libc_text(self) -> str:
        """ "glibc 2.36", "musl 1.2.3", or "no glibc" (none measured)."""
        if self.glibc:
            return f"glibc {self.glibc}"
        return f"musl {self.musl}" if self.musl else "no glibc"

    @property
    def glibc_tuple(self) -> tuple[int, ...]:
        return version_tuple(self.glibc)

    def has_library(self, soname: str) -> bool:
        return soname in self.sonames

    @property
    def version_maxima(self) -> dict[str, str]:
        """Symbol-version families this system provides, newest version of each."""
        found = {
            **dict(self.symbol_maxima),
            "GLIBC": self.glibc,
            "GLIBCXX": self.glibcxx_max,
            "CXXABI": self.cxxabi_max,
        }
        return {family: version for family, version in found.items() if version}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DistroFacts:
        return cls(
            os_name=str(data.get("os_name", "")),
            machine=str(data.get("machine", "")),
            python_version=str(data.get("python_version", "")),
            python_platform=str(data.get("python_platform", "")),
            glibc=data.get("glibc"),
            glibcxx_max=data.get("glibcxx_max"),
            pip_version=str(data.get("pip_version", "")),
            packaging_version=str(data.get("packaging_version", "")),
            sonames=tuple(data.get("sonames", ())),
            cxxabi_max=data.get("cxxabi_max"),
            symbol_maxima=tuple(sorted((data.get("symbol_maxima") or {}).items())),
            supported_tags=tuple(data.get("supported_tags", ())),
            musl=data.get("musl"),
        )

    def to_json(self, with_tags: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "os_name": self.os_name,
            "machine": self.machine,
            "python_version": self.python_version,
            "python_platform": self.python_platform,
            "glibc": self.glibc,
            "glibcxx_max": self.glibcxx_max,
            "cxxabi_max": self.cxxabi_max,
            "pip_version": self.pip_version,
            "packaging_version": self.packaging_version,
            "sonames": list(self.sonames),
            "symbol_maxima": dict(self.symbol_maxima),
        }
        if self.musl:
            # Only where measured, so that a glibc distro's record keeps its shape.
            data["musl"] = self.musl
        if with_tags:
            data["supported_tags"] = list(self.supported_tags)
        return data
