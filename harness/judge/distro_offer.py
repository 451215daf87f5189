"""What a distro offers a policy: the whitelisted libraries it lacks, and the symbol versions
of the present ones that fall short of the policy. Pure logic over measured facts.

A policy's whitelist is a promise made on the distro's behalf: a wheel may leave these
libraries to the system. Where a distro lacks one (libGL on slim images, libnsl.so.1 on RHEL
8+), a wheel relying on it fails to load although its tags claim the system; that failure is
the distro's, not the wheel's, and the record keeps the two apart. The policy data is
auditwheel's (harness.judge.policy); the facts are measured in the distro's container.

A musllinux policy offers less and asks less: libc (under the arch's musl soname) and libz,
and a musl floor instead of symbol versions. A policy for the other C library is offered
nothing at all: its wheels are refused there, whatever the libraries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from harness.judge.policy import PolicyInfo
from harness.probe.agent_facts import VERSIONED_LIBRARIES
from harness.probe.facts import DistroFacts
from harness.vocab.versions import version_tuple

# The library whose version definitions bound each symbol-version family. GLIBC is the C
# library's own version; the others are measured by the agent from the library itself.
FAMILY_LIBRARIES: Mapping[str, str] = {"GLIBC": "libc.so.6", **dict(VERSIONED_LIBRARIES)}

# auditwheel lists non-numeric symbol versions too (CXXABI_FLOAT128, CXXABI_TM_1): they are
# not ceilings, and version_tuple would read "FLOAT128" as 128.
_NUMERIC = re.compile(r"^\d+(\.\d+)*$")

CAUSE_PREFIX = "distro lacks whitelisted"


@dataclass(frozen=True)
class Shortfall:
    """A present library whose newest symbol version is older than the policy allows."""

    family: str  # "GLIBCXX"
    library: str  # "libstdc++.so.6"
    provided: str  # newest version the distro's library defines
    required: str  # newest version the policy lets a wheel use

    @property
    def text(self) -> str:
        return f"{self.family} {self.provided} < {self.required}"


@dataclass(frozen=True)
class Offer:
    """One distro against one policy."""

    distro: str
    policy: str  # canonical, e.g. "manylinux_2_17"
    absent: tuple[str, ...]  # whitelisted sonames the distro's loader does not know
    short: tuple[Shortfall, ...]
    unmeasured: tuple[str, ...] = ()  # families whose version the facts do not carry
    # the distro's C library when the policy is for the other one ("musl" for a manylinux
    # policy on a musl distro): nothing of the policy applies there
    other_libc: str = ""

    @property
    def satisfied(self) -> bool:
        """Every wheel of the policy loads here as far as its system libraries go."""
        return not self.other_libc and not self.absent and not self.short

    @property
    def summary(self) -> str:
        """One short phrase: "satisfied", or what is missing."""
        if self.other_libc:
            return f"not for {self.other_libc}"
        if self.satisfied:
            unknown = f" (not measured: {', '.join(self.unmeasured)})" if self.unmeasured else ""
            return f"satisfied{unknown}"
        parts = [s.text for s in self.short]
        if self.absent:
            parts.append(f"lacks {len(self.absent)} whitelisted")
        return "; ".join(parts)


def ceiling(versions: Iterable[str]) -> str:
    """The newest numeric version of a policy's allowed set ("" when it allows none)."""
    numeric = [v for v in versions if _NUMERIC.match(v)]
    return max(numeric, key=version_tuple) if numeric else ""


def offer(distro: str, facts: DistroFacts, policy: PolicyInfo) -> Offer:
    if facts.libc and facts.libc != policy.libc:
        return Offer(distro, policy.name, (), (), other_libc=facts.libc)
    absent = tuple(sorted(lib for lib in policy.whitelist if not facts.has_library(lib)))
    provided = facts.version_maxima
    short: list[Shortfall] = []
    unmeasured: list[str] = []
    if policy.libc == "musl":
        # musllinux bounds no symbol versions: the floor is musl's own version
        floor = ".".join(map(str, policy.glibc))
        if not facts.musl:
            unmeasured.append("musl")
        elif version_tuple(facts.musl)[:2] < policy.glibc:
            short.append(Shortfall("musl", "libc", facts.musl, floor))
    # GLIBC first: below the glibc floor, the rest follows from it
    families = sorted(policy.symbol_versions.items(), key=lambda item: item[0] != "GLIBC")
    for family, versions in families:
        required = ceiling(versions)
        library = FAMILY_LIBRARIES.get(family, "")
        if not required or not library or library in absent:
            continue  # nothing to bound, or already counted as absent
        have = provided.get(family)
        if have is None:
            unmeasured.append(family)
        elif version_tuple(have) < version_tuple(required):
            short.append(Shortfall(family, library, have, required))
    return Offer(distro, policy.name, absent, tuple(short), tuple(unmeasured))


def lacking(
    external: Iterable[str], facts: DistroFacts, whitelist: Iterable[str]
) -> tuple[str, ...]:
    """The whitelisted sonames a wheel leaves to the system and this distro lacks: where its
    tags claim the system, the distro breaks the policy's promise."""
    allowed = set(whitelist)
    return tuple(
        sorted(lib for lib in set(external) if lib in allowed and not facts.has_library(lib))
    )


def cause(libraries: Iterable[str]) -> str:
    """The cause a cell record carries when the distro, not the wheel, broke the claim."""
    names = sorted(libraries)
    return f"{CAUSE_PREFIX} {', '.join(names)}" if names else ""


def cell_lacking(
    wheels: Iterable[tuple[str | None, Iterable[str]]], facts: DistroFacts, arch: str
) -> tuple[str, ...]:
    """`lacking` over a cell's wheels, each given as (the policy it claims, with its arch:
    "manylinux_2_17_x86_64"; the sonames it leaves to the system) and held to that policy's
    whitelist (a musllinux policy's: libc and libz). A wheel that claims neither a manylinux
    nor a musllinux policy was promised nothing."""
    from harness.judge import policy as policy_mod

    found: set[str] = set()
    for claimed, external in wheels:
        if not claimed or not claimed.startswith(("manylinux", "musllinux")):
            continue
        # The policy table is keyed by the bare name.
        whitelist = policy_mod.any_policy(claimed.removesuffix("_" + arch), arch).whitelist
        found.update(lacking(external, facts, whitelist))
    return tuple(sorted(found))
