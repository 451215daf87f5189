"""The verdicts cells are declared to produce: the sample's rules, first match wins, on the
cell's measured context; the harness's own before them."""

from __future__ import annotations

from typing import Any

import pytest

from harness.catalog.samples import ExpectRule
from harness.errors import UsageError
from harness.judge.declared import (
    CROSS_ARCH_REFUSAL,
    CellContext,
    declared_rule,
    harness_rule,
    sample_rule,
)
from harness.vocab.installer import DISTRO_PIP, Installer
from harness.vocab.verdict import Verdict
from tests.helpers.factories import facts


def _ctx(**overrides: Any) -> CellContext:
    values: dict[str, Any] = dict(
        flavour="default",
        arch="x86_64",
        distro="debian-bullseye",
        build_policy="manylinux_2_36",
        build_glibc=(2, 36),
        facts=facts(python=(3, 9), glibc=(2, 31)),
    )
    values.update(overrides)
    return CellContext(**values)


def _rule(rules: list[ExpectRule], ctx: CellContext) -> ExpectRule:
    rule = declared_rule(rules, ctx)
    assert rule is not None
    return rule


def test_declared_rules_first_match_wins() -> None:
    rules = [
        ExpectRule(Verdict.REFUSED_AS_CLAIMED, {"build_glibc": ">=2.34", "distro_glibc": "<2.34"}),
        ExpectRule(Verdict.OK, {}),
    ]
    assert _rule(rules, _ctx()).verdict is Verdict.REFUSED_AS_CLAIMED
    assert _rule(rules, _ctx(build_glibc=(2, 31))).verdict is Verdict.OK
    newer = _ctx(facts=facts(python=(3, 11), glibc=(2, 36)))
    assert _rule(rules, newer).verdict is Verdict.OK


def test_declared_rule_on_missing_library_and_distro_pattern() -> None:
    rules = [ExpectRule(Verdict.VIOLATION, {"distro_lacks": "libcrypt.so.1", "distro": "debian-*"})]
    without = _ctx(facts=facts(sonames=("libc.so.6",)))
    assert declared_rule(rules, without) is not None
    assert declared_rule(rules, _ctx()) is None  # default facts have libcrypt.so.1
    assert declared_rule(rules, _ctx(distro="fedora-40", facts=without.facts)) is None


def test_bad_specifier_is_a_usage_error() -> None:
    rules = [ExpectRule(Verdict.OK, {"build_glibc": "two point thirty"})]
    with pytest.raises(UsageError, match="not a version specifier"):
        declared_rule(rules, _ctx())


def test_the_harness_declares_before_any_sample() -> None:
    uv_01 = Installer.uv("0.1")
    known = harness_rule(uv_01, "i686", True, "fits", cross_arch=False)
    assert known is not None and known.verdict is Verdict.VIOLATION
    assert (
        harness_rule(uv_01, "i686", False, "", cross_arch=False) is not None
    )  # not the distro's pip
    old = harness_rule(
        Installer.pip("19.0"), "x86_64", False, "pip 19.0 does not know", cross_arch=False
    )
    assert (
        old is not None
        and old.verdict is Verdict.REFUSED_AS_CLAIMED
        and old.reason.startswith("pip")
    )
    assert harness_rule(DISTRO_PIP, "x86_64", False, "", cross_arch=True) is CROSS_ARCH_REFUSAL
    assert harness_rule(DISTRO_PIP, "x86_64", True, "", cross_arch=False) is None


def test_a_lacking_whitelisted_library_is_a_violation_where_the_sample_is_silent() -> None:
    ctx = _ctx(whitelisted_lacking=("libX11.so.6",))
    rule = sample_rule([], ctx)
    assert rule is not None and rule.verdict is Verdict.VIOLATION
    assert rule.reason == "distro lacks whitelisted libX11.so.6"
    said = ExpectRule(Verdict.OK, {}, "the sample knows better")
    assert sample_rule([said], ctx) is said
    assert sample_rule([], _ctx()) is None


def test_distro_libc_tells_musl_from_glibc_by_what_was_measured() -> None:
    rules = [ExpectRule(Verdict.VIOLATION, {"distro_libc": "musl"}), ExpectRule(Verdict.OK, {})]
    on_musl = _ctx(facts=facts(python=(3, 11), musl=(1, 2)))
    assert _rule(rules, on_musl).verdict is Verdict.VIOLATION
    assert _rule(rules, _ctx()).verdict is Verdict.OK
    # a glibc floor never matches a musl system (it has no glibc version to compare)
    below = [ExpectRule(Verdict.VIOLATION, {"distro_glibc": "<2.99"})]
    assert declared_rule(below, on_musl) is None


def test_the_other_libc_is_the_harnesss_refusal_after_cross_arch() -> None:
    other = harness_rule(
        DISTRO_PIP,
        "x86_64",
        False,
        "built for glibc",
        cross_arch=False,
        cross_libc=("glibc", "musl"),
    )
    assert other is not None and other.verdict is Verdict.REFUSED_AS_CLAIMED
    assert other.reason == "a wheel for glibc on a musl system: installers must refuse it"
    both = harness_rule(
        DISTRO_PIP, "x86_64", False, "", cross_arch=True, cross_libc=("glibc", "musl")
    )
    assert both is CROSS_ARCH_REFUSAL
    assert harness_rule(DISTRO_PIP, "x86_64", True, "", cross_arch=False) is None
