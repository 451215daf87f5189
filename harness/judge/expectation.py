"""What the claims predict for a cell, before anything runs: pure logic.

Installability comes from the wheel's tags and the tags packaging computes for the measured
interpreter (inside the distro container), narrowed to the tag families the installing pip
knows. Declared verdicts come from the sample's data.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from harness.catalog.samples import ExpectRule
from harness.errors import UsageError
from harness.judge.installers import family_of, installer_knows
from harness.probe.facts import DistroFacts, version_tuple
from harness.vocab.platform_tags import (
    Family,
    PlatformTag,
    interpreter_of,
    parse_platform,
    platform_of,
)
from harness.vocab.wheel_name import WheelName


@dataclass(frozen=True)
class Expectation:
    installable: bool
    reason: str  # one line: why it is (the matching tag) or is not (what is missing)
    matching_tags: tuple[str, ...] = ()


def expect_install(
    claims: Sequence[WheelName],
    facts: DistroFacts,
    pip_version: str | None = None,
    installer: str = "pip",
) -> Expectation:
    """Whether the claims say this system (and this pip) installs every wheel in the set."""
    supported = set(facts.supported_tags)
    matches: list[str] = []
    for claim in claims:
        candidates = [tag for tag in claim.tags if tag in supported]
        usable = [t for t in candidates if installer_knows(platform_of(t), pip_version)]
        if usable:
            matches.append(min(usable, key=facts.supported_tags.index))
            continue
        return Expectation(False, _why_not(claim, facts, candidates, pip_version), tuple(matches))
    pip = f"{installer} {pip_version}" if pip_version else installer
    glibc = f"glibc {facts.glibc}" if facts.glibc else "no glibc"
    return Expectation(
        True,
        f"{', '.join(matches)} fits Python {facts.python_version} on {glibc} with {pip}",
        tuple(matches),
    )


def _why_not(
    claim: WheelName, facts: DistroFacts, candidates: list[str], pip_version: str | None
) -> str:
    if candidates:
        family = family_of(platform_of(candidates[0]))
        since = family.since if family else "?"
        return (
            f"pip {pip_version} does not know {family.name if family else 'these'} tags "
            f"(needs pip >= {since})"
        )
    supported = [parse_platform(platform_of(t)) for t in facts.supported_tags]
    supported_arches = {p.arch for p in supported if p.arch}
    if claim.arches and not set(claim.arches) & supported_arches:
        return f"built for {', '.join(claim.arches)}, this system is {facts.python_platform}"
    system_libcs = {p.family.libc for p in supported if p.family.libc}
    wheel_libcs = claim.platform.libcs
    if wheel_libcs and system_libcs and not wheel_libcs & system_libcs:
        return f"built for {_libc_claim(claim)}, this system has {_system_libc(facts, supported)}"
    interpreters = {interpreter_of(t) for t in facts.supported_tags}
    if not claim.interpreters & interpreters:
        return f"no tag of {claim.filename} fits Python {facts.python_version}"
    floor = claim.platform.glibc_floor
    if floor is not None:
        return (
            f"needs glibc >= {floor[0]}.{floor[1]} (manylinux_{floor[0]}_{floor[1]}), "
            f"this system has {facts.glibc or 'none'}"
        )
    musl = claim.platform.floor(Family.MUSLLINUX)
    if musl is not None:
        return (
            f"needs musl >= {musl[0]}.{musl[1]} (musllinux_{musl[0]}_{musl[1]}), "
            f"this system has {_system_libc(facts, supported)}"
        )
    return f"no tag of {claim.filename} is among this interpreter's supported tags"


def _libc_claim(claim: WheelName) -> str:
    """ "musl libc (musllinux_1_2)" / "glibc (manylinux_2_17)": the libc a wheel is built for."""
    names = {"glibc": "glibc", "musl": "musl libc"}
    libc = sorted(claim.platform.libcs)[0]
    return f"{names[libc]} ({claim.platform.policy})"


def _system_libc(facts: DistroFacts, supported: Sequence[PlatformTag]) -> str:
    """The system's C library as its interpreter's tags and the facts say."""
    if facts.glibc:
        return f"glibc {facts.glibc}"
    musl = [p.floor for p in supported if p.family is Family.MUSLLINUX and p.floor]
    return f"musl {max(musl)[0]}.{max(musl)[1]}" if musl else "no glibc"


# -- declared verdicts -------------------------------------------------------------------------


@dataclass(frozen=True)
class CellContext:
    """What a declared rule can condition on."""

    flavour: str
    arch: str
    distro: str
    build_policy: str  # canonical, e.g. "manylinux_2_36"
    build_glibc: tuple[int, int]
    facts: DistroFacts
    build_python: str = ""  # the build image's interpreter, e.g. "3.13"
    # symbol-version family -> newest version the cell's wheels need from the system
    wheel_needs: Mapping[str, str] = field(default_factory=dict)
    wheel_external: tuple[str, ...] = ()  # sonames the cell's wheels leave to the system
    # of those, the ones their claimed policy whitelists and this distro lacks
    # (harness.judge.distro_offer.lacking): where the distro, not the wheel, breaks the claim
    whitelisted_lacking: tuple[str, ...] = ()
    order: str = "given"
    dlopen: str = "default"
    cpu_level: int = 0  # the x86-64 level the import + check ran at (0: not x86-64 / unknown)

    def beyond_distro(self) -> set[str]:
        """Families in which the wheels need a newer version than this system provides."""
        provided = self.facts.version_maxima
        return {
            family
            for family, needed in self.wheel_needs.items()
            if family in provided and version_tuple(needed) > version_tuple(provided[family])
        }


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _version_in(spec: str, version: tuple[int, ...]) -> bool:
    if not version:
        return False
    try:
        return SpecifierSet(spec).contains(Version(".".join(map(str, version))))
    except InvalidSpecifier:
        raise UsageError(
            f"expect rule: {spec!r} is not a version specifier such as '>=2.34'"
        ) from None


def rule_matches(conditions: Mapping[str, Any], ctx: CellContext) -> bool:
    for key, value in conditions.items():
        if key == "flavour" and ctx.flavour not in _as_list(value):
            return False
        if key == "arch" and ctx.arch not in _as_list(value):
            return False
        if key == "distro" and not any(fnmatch.fnmatch(ctx.distro, p) for p in _as_list(value)):
            return False
        if key == "build_policy" and ctx.build_policy not in _as_list(value):
            return False
        if key == "build_glibc" and not _version_in(str(value), ctx.build_glibc):
            return False
        if key == "distro_glibc" and not _version_in(str(value), version_tuple(ctx.facts.glibc)):
            return False
        if key == "distro_lacks" and any(ctx.facts.has_library(lib) for lib in _as_list(value)):
            return False
        if key == "build_python" and not _version_in(str(value), version_tuple(ctx.build_python)):
            return False
        if key == "distro_python" and not _version_in(
            str(value), version_tuple(ctx.facts.python_version)[:2]
        ):
            return False
        if key == "distro_glibcxx" and not _version_in(
            str(value), version_tuple(ctx.facts.glibcxx_max)
        ):
            return False
        if key == "distro_lacks_needed" and bool(value) != any(
            not ctx.facts.has_library(lib) for lib in ctx.wheel_external
        ):
            return False
        if key == "distro_lacks_whitelisted" and bool(value) != bool(ctx.whitelisted_lacking):
            return False
        if key == "requires_beyond_distro" and not set(_as_list(value)) & ctx.beyond_distro():
            return False
        if key == "order" and ctx.order not in _as_list(value):
            return False
        if key == "dlopen" and ctx.dlopen not in _as_list(value):
            return False
        if key == "cpu_level" and not _version_in(str(value), (ctx.cpu_level,)):
            return False
    return True


def declared_rule(rules: Sequence[ExpectRule], ctx: CellContext) -> ExpectRule | None:
    for rule in rules:
        if rule_matches(rule.conditions, ctx):
            return rule
    return None
