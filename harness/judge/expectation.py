"""What the claims predict for a cell, before anything runs: pure logic.

Installability comes from the wheel's tags and the tags packaging computes for the measured
interpreter (inside the distro container), narrowed to the tag families the installing pip
knows. Declared verdicts come from the sample's data.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from harness.catalog.samples import ExpectRule
from harness.errors import UsageError
from harness.judge.installers import family_of, installer_knows
from harness.probe.facts import DistroFacts, version_tuple
from harness.vocab.legacy_policies import legacy_glibc

_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(.+)$")


# -- wheels ----------------------------------------------------------------------------------


def manylinux_glibc(platform_tag: str) -> tuple[int, int] | None:
    """glibc floor of a manylinux platform tag ("manylinux2014_x86_64" -> (2, 17))."""
    match = _MANYLINUX.match(platform_tag)
    if match:
        return int(match.group(1)), int(match.group(2))
    return legacy_glibc(platform_tag)


@dataclass(frozen=True)
class WheelClaim:
    filename: str
    project: str
    tags: tuple[str, ...]  # every interpreter-abi-platform tag the filename expands to
    platforms: tuple[str, ...]

    @classmethod
    def from_filename(cls, filename: str) -> WheelClaim:
        try:
            name, _version, _build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename as exc:
            raise UsageError(f"{filename} is not a wheel file name ({exc})") from None
        ordered = sorted(str(tag) for tag in tags)
        platforms = sorted({tag.platform for tag in tags})
        return cls(
            filename=filename, project=str(name), tags=tuple(ordered), platforms=tuple(platforms)
        )

    @property
    def glibc_floor(self) -> tuple[int, int] | None:
        """The oldest glibc any of its manylinux tags claims."""
        floors = [g for p in self.platforms if (g := manylinux_glibc(p)) is not None]
        return min(floors) if floors else None

    @property
    def arches(self) -> tuple[str, ...]:
        found = set()
        for platform in self.platforms:
            match = _MANYLINUX.match(platform)
            if match:
                found.add(match.group(3))
            else:
                found.add(platform.split("_", 1)[1] if "_" in platform else platform)
        return tuple(sorted(found))


@dataclass(frozen=True)
class Expectation:
    installable: bool
    reason: str  # one line: why it is (the matching tag) or is not (what is missing)
    matching_tags: tuple[str, ...] = ()


def expect_install(
    claims: Sequence[WheelClaim],
    facts: DistroFacts,
    pip_version: str | None = None,
    installer: str = "pip",
) -> Expectation:
    """Whether the claims say this system (and this pip) installs every wheel in the set."""
    supported = set(facts.supported_tags)
    matches: list[str] = []
    for claim in claims:
        candidates = [tag for tag in claim.tags if tag in supported]
        usable = [t for t in candidates if installer_knows(t.split("-")[2], pip_version)]
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
    claim: WheelClaim, facts: DistroFacts, candidates: list[str], pip_version: str | None
) -> str:
    if candidates:
        family = family_of(candidates[0].split("-")[2])
        since = family.since if family else "?"
        return (
            f"pip {pip_version} does not know {family.name if family else 'these'} tags "
            f"(needs pip >= {since})"
        )
    supported_platforms = {t.split("-")[2] for t in facts.supported_tags}
    supported_arches = {p.split("_")[-1] for p in supported_platforms} | {
        p.removeprefix("linux_") for p in supported_platforms if p.startswith("linux_")
    }
    if not set(claim.arches) & supported_arches:
        return f"built for {', '.join(claim.arches)}, this system is {facts.python_platform}"
    interpreters = {"-".join(t.split("-")[:2]) for t in facts.supported_tags}
    if not any("-".join(t.split("-")[:2]) in interpreters for t in claim.tags):
        return f"no tag of {claim.filename} fits Python {facts.python_version}"
    floor = claim.glibc_floor
    if floor is not None:
        return (
            f"needs glibc >= {floor[0]}.{floor[1]} (manylinux_{floor[0]}_{floor[1]}), "
            f"this system has {facts.glibc or 'none'}"
        )
    return f"no tag of {claim.filename} is among this interpreter's supported tags"


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
