"""What the claims predict for a cell, before anything runs: pure logic.

Installability comes from the wheel's tags and the tags packaging computes for the measured
interpreter (inside the distro container), narrowed to the tag families the installing pip
knows, and each wheel's Requires-Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from harness.judge.installers import family_of, installer_knows
from harness.probe.facts import DistroFacts
from harness.vocab.platform_tags import (
    Family,
    PlatformTag,
    interpreter_of,
    parse_platform,
    platform_of,
)
from harness.vocab.wheel_name import WheelName


class Excluder(StrEnum):
    """Which of a wheel's claims excludes a system: its tags, or its Requires-Python."""

    TAGS = "the tags"
    REQUIRES_PYTHON = "Requires-Python"

    @property
    def says(self) -> str:
        return f"{self.value} say" if self is Excluder.TAGS else f"{self.value} says"

    @property
    def claims(self) -> str:
        return f"{self.value} claim" if self is Excluder.TAGS else f"{self.value} claims"


@dataclass(frozen=True)
class Expectation:
    installable: bool
    reason: str  # one line: why it is (the matching tag) or is not (what is missing)
    matching_tags: tuple[str, ...] = ()
    excluded_by: Excluder = Excluder.TAGS  # when not installable: which claim excludes it
    # the tags fit the interpreter, but the installing pip does not know their family
    installer_too_old: bool = False


def python_excluded(spec: str | None, python_version: str) -> bool:
    """Whether a Requires-Python excludes this interpreter (pip ignores what it cannot read,
    and so does the expectation)."""
    if not spec or not python_version:
        return False
    try:
        return not SpecifierSet(spec).contains(python_version, prereleases=True)
    except InvalidSpecifier:
        return False


def expect(
    wheels: Sequence[WheelName],
    facts: DistroFacts,
    pip_version: str | None = None,
    installer: str = "pip",
    requires_python: Mapping[str, str | None] | None = None,
) -> Expectation:
    """expect_install (the tags x the interpreter's supported tags x the installing pip; None:
    a pip that knows every family), then Requires-Python: a wheel whose metadata excludes
    this Python claims it does not fit."""
    expectation = expect_install(wheels, facts, pip_version, installer)
    if not expectation.installable:
        return expectation
    for wheel in wheels:
        spec = (requires_python or {}).get(wheel.filename)
        if python_excluded(spec, facts.python_version):
            return Expectation(
                False,
                f"{wheel.filename} requires Python {spec}, this system has {facts.python_version}",
                expectation.matching_tags,
                Excluder.REQUIRES_PYTHON,
            )
    return expectation


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
        return Expectation(
            False,
            _why_not(claim, facts, candidates, pip_version),
            tuple(matches),
            installer_too_old=bool(candidates),
        )
    pip = f"{installer} {pip_version}" if pip_version else installer
    return Expectation(
        True,
        f"{', '.join(matches)} fits Python {facts.python_version} on {facts.libc_text} with {pip}",
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
    """The system's C library as the facts and its interpreter's tags say."""
    if facts.glibc or facts.musl:
        return facts.libc_text
    musl = [p.floor for p in supported if p.family is Family.MUSLLINUX and p.floor]
    return f"musl {max(musl)[0]}.{max(musl)[1]}" if musl else "no glibc"
