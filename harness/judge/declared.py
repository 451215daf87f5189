"""The verdict a cell is declared to produce: the sample's own rules (its sample.toml's
[[expect]], first match wins, conditioned on the cell's measured context), and the harness's
rules that hold whatever a sample says (cross-arch refusals, old pips that do not know a tag
family, known installer defects, a distro lacking a library the policy whitelists). Pure."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from harness.catalog.samples import ExpectRule
from harness.errors import UsageError
from harness.judge import distro_offer, uv
from harness.probe.facts import DistroFacts
from harness.vocab.installer import Installer
from harness.vocab.verdict import Verdict
from harness.vocab.versions import version_tuple

# Harness-level, for every cross-arch cell: pip must refuse a wheel of another architecture;
# no sample may declare otherwise.
CROSS_ARCH_REFUSAL = ExpectRule(
    Verdict.REFUSED_AS_CLAIMED, {}, "a wheel of another architecture: pip must refuse it"
)


def cross_libc_refusal(wheel_libc: str, system_libc: str) -> ExpectRule:
    """Harness-level, for a wheel built for another C library than the distro's (a
    manylinux wheel on musl, a musllinux wheel on glibc): installers must refuse it, whatever
    a sample declares for its own libc."""
    return ExpectRule(
        Verdict.REFUSED_AS_CLAIMED,
        {},
        f"a wheel for {wheel_libc} on a {system_libc} system: installers must refuse it",
    )


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
        if key == "distro_libc" and ctx.facts.libc not in _as_list(value):
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


def harness_rule(
    installer: Installer,
    arch: str,
    installable: bool,
    reason: str,
    *,
    cross_arch: bool,
    cross_libc: tuple[str, str] | None = None,
) -> ExpectRule | None:
    """What the harness declares whatever a sample says, before the sample's rules.
    `cross_libc`: (the wheels' libc, the system's) when they differ."""
    known = uv.known_finding(installer, arch)
    if known is not None and installable:
        # From installers.toml: a defect of that installer release seen here.
        return ExpectRule(Verdict(known.verdict), {}, known.why)
    if not installer.is_distro and not installable:
        # Samples declare outcomes for the distro's pip; an older pip that does not know
        # the wheel's tag family must refuse it (from installers.toml).
        return ExpectRule(Verdict.REFUSED_AS_CLAIMED, {}, reason)
    if cross_arch:
        return CROSS_ARCH_REFUSAL
    if cross_libc is not None:
        return cross_libc_refusal(*cross_libc)
    return None


def sample_rule(rules: Sequence[ExpectRule], ctx: CellContext) -> ExpectRule | None:
    """The sample's rule for the cell; where it declares none and the distro lacks a library
    the wheels' policy whitelists, a violation all the same (the tags claim this system, and
    the claim breaks for the user), its cause the distro's."""
    declared = declared_rule(rules, ctx)
    if declared is None and ctx.whitelisted_lacking:
        return ExpectRule(Verdict.VIOLATION, {}, distro_offer.cause(ctx.whitelisted_lacking))
    return declared
