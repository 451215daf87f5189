"""The manylinux and musllinux policies, read from the installed auditwheel's policy data.

Symbol versions and library whitelists are never re-typed here: auditwheel is the
authority, and a newer auditwheel brings newer policies with no change to this code.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from auditwheel.architecture import Architecture
from auditwheel.libc import Libc
from auditwheel.policy import WheelPolicies

from harness.errors import UsageError
from harness.vocab.policy_names import canonical_name, glibc_of, is_musl


@dataclass(frozen=True)
class PolicyInfo:
    name: str  # PEP 600 name without arch, e.g. "manylinux_2_17"; or "musllinux_1_2"
    aliases: tuple[str, ...]  # legacy names without arch, e.g. ("manylinux2014",)
    glibc: tuple[int, int]  # the libc floor: glibc's, or musl's for a musllinux policy
    symbol_versions: Mapping[str, frozenset[str]]  # e.g. {"GLIBCXX": {"3.4", ...}}
    whitelist: frozenset[str]  # sonames a wheel may leave to the system

    def tag(self, arch: str) -> str:
        return f"{self.name}_{arch}"

    @property
    def display_name(self) -> str:
        return self.aliases[0] if self.aliases else self.name

    @property
    def libc(self) -> str:
        """ "glibc" or "musl": the C library the policy's wheels are built for."""
        return "musl" if is_musl(self.name) else "glibc"

    @property
    def floor_text(self) -> str:
        """ "glibc 2.17", "musl 1.2" """
        return f"{self.libc} {self.glibc[0]}.{self.glibc[1]}"


@functools.cache
def policies(arch: str) -> tuple[PolicyInfo, ...]:
    """Every manylinux policy auditwheel knows for this arch, oldest glibc first."""
    try:
        wheel_policies = WheelPolicies(libc=Libc.GLIBC, arch=Architecture(arch))
    except ValueError as exc:
        raise UsageError(f"auditwheel has no manylinux policies for arch {arch!r}") from exc
    found = []
    suffix = f"_{Architecture(arch).baseline.value}"
    for pol in wheel_policies:
        if not pol.name.startswith("manylinux"):
            continue
        name = pol.name.removesuffix(suffix)
        found.append(
            PolicyInfo(
                name=name,
                aliases=tuple(alias.removesuffix(suffix) for alias in pol.aliases),
                glibc=glibc_of(name),
                symbol_versions=pol.symbol_versions,
                whitelist=pol.whitelist,
            )
        )
    return tuple(sorted(found, key=lambda p: p.glibc))


def get_policy(policy_name: str, arch: str) -> PolicyInfo:
    name = canonical_name(policy_name)
    for pol in policies(arch):
        if pol.name == name:
            return pol
    known = ", ".join(p.name for p in policies(arch))
    raise UsageError(
        f"auditwheel has no policy {name} for {arch} (it knows: {known}); "
        "upgrade auditwheel if the policy is newer than it"
    )


@functools.cache
def musl_policy(name: str, arch: str) -> PolicyInfo:
    """A musllinux policy of the installed auditwheel for this arch: its whitelist (libc under
    the arch's musl soname, libz) and its floor, musl's version."""
    name = name.strip()
    try:
        found = list(WheelPolicies(libc=Libc.MUSL, arch=Architecture(arch), musl_policy=name))
    except ValueError as exc:
        raise UsageError(f"auditwheel has no musllinux policy {name} for {arch}") from exc
    suffix = f"_{Architecture(arch).baseline.value}"
    for pol in found:
        if pol.name.removesuffix(suffix) == name:
            major, minor = name.removeprefix("musllinux_").split("_")
            return PolicyInfo(
                name=name,
                aliases=(),
                glibc=(int(major), int(minor)),
                symbol_versions=pol.symbol_versions,
                whitelist=pol.whitelist,
            )
    raise UsageError(f"auditwheel has no musllinux policy {name} for {arch}")


def any_policy(policy_name: str, arch: str) -> PolicyInfo:
    """A manylinux or musllinux policy by name (without the arch)."""
    return musl_policy(policy_name, arch) if is_musl(policy_name) else get_policy(policy_name, arch)


def lowest_policy_for_glibc(glibc: tuple[int, int], arch: str) -> PolicyInfo | None:
    """The newest policy whose glibc floor is at most `glibc` (what a system of it satisfies)."""
    fitting = [p for p in policies(arch) if p.glibc <= glibc]
    return fitting[-1] if fitting else None
