"""Platform tags, parsed in one place: manylinux (legacy PEP 513/571/599 names and PEP 600),
musllinux (PEP 656), plain linux_*, "any", and everything else (macOS, Windows).

Every module that needs a wheel's libc family, its arch or the libc version it claims asks
here; none splits a tag on "_" itself (arch names hold underscores: x86_64)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from harness.vocab.legacy_policies import LEGACY_GLIBC


class Family(StrEnum):
    MANYLINUX = "manylinux"  # glibc, with a floor
    MUSLLINUX = "musllinux"  # musl, with a floor
    LINUX = "linux"  # linux_<arch>: built here, claims nothing (PyPI refuses it)
    ANY = "any"  # pure Python
    OTHER = "other"  # another OS: macosx_*, win_*, ...

    @property
    def libc(self) -> str:
        """The C library the family names: "glibc", "musl", or "" for none in particular."""
        return {Family.MANYLINUX: "glibc", Family.MUSLLINUX: "musl"}.get(self, "")


_PEP600 = re.compile(r"^manylinux_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.+)$")
_MUSL = re.compile(r"^musllinux_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.+)$")
_LEGACY = re.compile(r"^(?P<name>manylinux(?:1|2010|2014))_(?P<arch>.+)$")
_LINUX = re.compile(r"^linux_(?P<arch>.+)$")


@dataclass(frozen=True)
class PlatformTag:
    text: str  # as written, e.g. "manylinux2014_x86_64"
    family: Family
    arch: str = ""  # "x86_64", "aarch64", ... ("" for any and other OSes)
    # The libc floor the tag claims: glibc (2, 17) for manylinux2014, musl (1, 2) for
    # musllinux_1_2; None where the family claims none.
    floor: tuple[int, int] | None = None
    legacy: str = ""  # "manylinux2014" when written in a legacy name

    @property
    def policy(self) -> str:
        """The policy the tag names, without its arch: "manylinux_2_17", "musllinux_1_2";
        the family name for the others ("linux", "any", "other")."""
        if self.floor is not None and self.family in (Family.MANYLINUX, Family.MUSLLINUX):
            return f"{self.family.value}_{self.floor[0]}_{self.floor[1]}"
        return self.family.value

    @property
    def floor_text(self) -> str:
        return f"{self.floor[0]}.{self.floor[1]}" if self.floor else ""


def parse_platform(tag: str) -> PlatformTag:
    """Any platform tag; never raises (an unknown form is Family.OTHER)."""
    if tag == "any":
        return PlatformTag(tag, Family.ANY)
    if match := _PEP600.match(tag):
        floor = (int(match["major"]), int(match["minor"]))
        return PlatformTag(tag, Family.MANYLINUX, match["arch"], floor)
    if match := _LEGACY.match(tag):
        name = match["name"]
        return PlatformTag(tag, Family.MANYLINUX, match["arch"], LEGACY_GLIBC[name], name)
    if match := _MUSL.match(tag):
        floor = (int(match["major"]), int(match["minor"]))
        return PlatformTag(tag, Family.MUSLLINUX, match["arch"], floor)
    if match := _LINUX.match(tag):
        return PlatformTag(tag, Family.LINUX, match["arch"])
    return PlatformTag(tag, Family.OTHER)


def platform_of(tag: str) -> str:
    """The platform part of an interpreter-abi-platform tag ("cp39-abi3-linux_x86_64")."""
    return tag.split("-", 2)[2] if tag.count("-") >= 2 else tag


def interpreter_of(tag: str) -> str:
    """The interpreter-abi part of a full tag: "cp39-abi3"."""
    return "-".join(tag.split("-", 2)[:2])


@dataclass(frozen=True)
class PlatformClaim:
    """What a set of platform tags (one wheel's) claims together."""

    tags: tuple[PlatformTag, ...]

    @classmethod
    def of(cls, platforms: Iterable[str]) -> PlatformClaim:
        return cls(tuple(parse_platform(p) for p in sorted(set(platforms))))

    @property
    def arches(self) -> tuple[str, ...]:
        return tuple(sorted({t.arch for t in self.tags if t.arch}))

    @property
    def families(self) -> frozenset[Family]:
        return frozenset(t.family for t in self.tags)

    @property
    def is_linux(self) -> bool:
        """Installable on some Linux: Linux platform tags or pure Python, nothing else."""
        return bool(self.tags) and self.families <= {
            Family.MANYLINUX,
            Family.MUSLLINUX,
            Family.LINUX,
            Family.ANY,
        }

    def floor(self, family: Family) -> tuple[int, int] | None:
        """The oldest libc floor its tags of that family claim."""
        floors = [t.floor for t in self.tags if t.family is family and t.floor is not None]
        return min(floors) if floors else None

    @property
    def glibc_floor(self) -> tuple[int, int] | None:
        return self.floor(Family.MANYLINUX)

    @property
    def libcs(self) -> frozenset[str]:
        """The C libraries the wheel is built for ("glibc", "musl"); empty when it names none
        in particular (pure Python, linux_*)."""
        return frozenset(t.family.libc for t in self.tags if t.family.libc)

    @property
    def policy(self) -> str:
        """The policy the wheel claims: its oldest manylinux floor, else its oldest
        musllinux, else "linux" (a plain linux_* tag: no claim) or "any" (pure Python)."""
        for family in (Family.MANYLINUX, Family.MUSLLINUX):
            floor = self.floor(family)
            if floor is not None:
                return f"{family.value}_{floor[0]}_{floor[1]}"
        return Family.LINUX.value if Family.LINUX in self.families else Family.ANY.value
