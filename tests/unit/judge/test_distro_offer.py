"""What a distro offers a policy (harness.distro_offer), against auditwheel's policy data."""

from __future__ import annotations

import dataclasses

from harness.catalog.samples import ExpectRule
from harness.judge import distro_offer
from harness.judge.declared import CellContext, declared_rule
from harness.judge.distro_offer import (
    FAMILY_LIBRARIES,
    Shortfall,
    cause,
    cell_lacking,
    lacking,
    offer,
)
from harness.judge.policy import get_policy, musl_policy, policies
from harness.probe.facts import DistroFacts
from harness.vocab.verdict import Verdict
from tests.helpers.factories import facts

POL_2_17 = get_policy("manylinux2014", "x86_64")
POL_2_34 = get_policy("manylinux_2_34", "x86_64")


def _full(glibc: tuple[int, int] = (2, 36), missing: tuple[str, ...] = ()) -> DistroFacts:
    """A distro with every whitelisted library of every policy, at bookworm's versions."""
    everything = sorted(set().union(*(p.whitelist for p in policies("x86_64"))))
    base = facts(glibc=glibc, sonames=tuple(lib for lib in everything if lib not in missing))
    return dataclasses.replace(
        base,
        glibcxx_max="3.4.30",
        cxxabi_max="1.3.13",
        symbol_maxima=(("GCC", "12.0.0"), ("LIBATOMIC", "1.2"), ("ZLIB", "1.2.13")),
    )


def test_every_family_auditwheel_bounds_has_a_measured_library() -> None:
    families = {f for p in policies("x86_64") for f in p.symbol_versions}
    assert families <= set(FAMILY_LIBRARIES)
    # and each is a whitelisted library: a wheel may leave it to the system
    assert set(FAMILY_LIBRARIES.values()) <= POL_2_34.whitelist


def test_a_full_distro_satisfies_the_policies_its_glibc_reaches() -> None:
    found = offer("bookworm-full", _full(), POL_2_34)
    assert found.satisfied and found.summary == "satisfied"
    assert found.absent == () and found.short == ()


def test_absent_whitelisted_libraries_are_named() -> None:
    found = offer("slim", _full(missing=("libX11.so.6", "libGL.so.1")), POL_2_17)
    assert not found.satisfied
    assert found.absent == ("libGL.so.1", "libX11.so.6")
    assert found.summary == "lacks 2 whitelisted"


def test_versions_short_of_the_policy_glibc_first() -> None:
    found = offer("bullseye", _full(glibc=(2, 31)), POL_2_34)
    assert found.short[0] == Shortfall("GLIBC", "libc.so.6", "2.31", "2.34")
    assert found.summary.startswith("GLIBC 2.31 < 2.34")
    # bookworm's libstdc++ (3.4.30) is newer than manylinux_2_34's ceiling (3.4.29): no shortfall
    assert "GLIBCXX" not in {s.family for s in found.short}


def test_an_absent_library_is_not_also_a_shortfall_and_unmeasured_families_are_said() -> None:
    no_zlib = dataclasses.replace(_full(missing=("libz.so.1",)), symbol_maxima=())
    found = offer("no-zlib", no_zlib, POL_2_34)
    assert "libz.so.1" in found.absent
    assert "ZLIB" not in {s.family for s in found.short}
    assert set(found.unmeasured) == {"GCC", "LIBATOMIC"}  # an older record's facts


def test_lacking_is_whitelisted_and_absent_only() -> None:
    distro = facts(sonames=("libc.so.6", "libffi.so.8"))
    external = ["libX11.so.6", "libffi.so.7", "libc.so.6"]
    # libffi.so.7 is absent too, but not whitelisted: that is the wheel's own fault
    assert lacking(external, distro, POL_2_17.whitelist) == ("libX11.so.6",)
    assert cause(["libX11.so.6"]) == "distro lacks whitelisted libX11.so.6"
    assert cause([]) == ""


def test_cell_lacking_holds_each_wheel_to_the_policy_it_claims() -> None:
    distro = facts(sonames=("libc.so.6",))
    wheels: list[tuple[str | None, tuple[str, ...]]] = [
        # as harness.analysis.lint names it: the policy with its arch
        ("manylinux_2_5_x86_64", ("libc.so.6", "libX11.so.6")),
        (None, ("libGL.so.1",)),  # no manylinux claim
        # held to the musllinux whitelist (libc, libz), where libX11 is not: the wheel's fault
        ("musllinux_1_2_x86_64", ("libX11.so.6",)),
        (None, ()),
    ]
    assert cell_lacking(wheels, distro, "x86_64") == ("libX11.so.6",)


def test_the_distro_lacks_whitelisted_rule_condition() -> None:
    def _ctx(lacking: tuple[str, ...] = ()) -> CellContext:
        return CellContext(
            flavour="default",
            arch="x86_64",
            distro="debian-trixie",
            build_policy="manylinux_2_41",
            build_glibc=(2, 41),
            facts=facts(glibc=(2, 41)),
            whitelisted_lacking=lacking,
        )

    rules = [
        ExpectRule(Verdict.VIOLATION, {"distro_lacks_whitelisted": True}),
        ExpectRule(Verdict.OK, {}),
    ]
    lacking_ctx = _ctx(("libX11.so.6",))
    rule = declared_rule(rules, lacking_ctx)
    assert rule is not None and rule.verdict is Verdict.VIOLATION
    rule = declared_rule(rules, _ctx())
    assert rule is not None and rule.verdict is Verdict.OK
    assert distro_offer.CAUSE_PREFIX == "distro lacks whitelisted"


MUSL_1_2 = musl_policy("musllinux_1_2", "x86_64")


def _musl(sonames: tuple[str, ...] = ("libc.musl-x86_64.so.1", "libz.so.1")) -> DistroFacts:
    return dataclasses.replace(facts(musl=(1, 2), sonames=sonames), musl="1.2.3")


def test_a_musllinux_policy_offers_libc_and_libz_and_a_musl_floor() -> None:
    assert MUSL_1_2.libc == "musl" and MUSL_1_2.floor_text == "musl 1.2"
    assert MUSL_1_2.whitelist == {"libc.musl-x86_64.so.1", "libz.so.1"}
    assert offer("musl-1.2", _musl(), MUSL_1_2).summary == "satisfied"
    no_zlib = offer("musl-1.2", _musl(sonames=("libc.musl-x86_64.so.1",)), MUSL_1_2)
    assert no_zlib.absent == ("libz.so.1",) and no_zlib.summary == "lacks 1 whitelisted"
    older = dataclasses.replace(_musl(), musl="1.1.24")
    assert offer("alpine-3.12", older, MUSL_1_2).short == (
        Shortfall("musl", "libc", "1.1.24", "1.2"),
    )


def test_a_policy_for_the_other_libc_offers_nothing() -> None:
    on_musl = offer("musl-1.2", _musl(), POL_2_17)
    assert not on_musl.satisfied and on_musl.summary == "not for musl"
    assert on_musl.absent == () and on_musl.short == ()
    on_glibc = offer("bookworm", _full(), MUSL_1_2)
    assert on_glibc.summary == "not for glibc"


def test_a_musllinux_wheel_is_held_to_the_musllinux_whitelist() -> None:
    without_zlib = _musl(sonames=("libc.musl-x86_64.so.1",))
    wheels = [("musllinux_1_2_x86_64", ("libc.musl-x86_64.so.1", "libz.so.1", "libffi.so.8"))]
    # libffi is not whitelisted: the wheel's own fault; libz is, and this distro lacks it
    assert cell_lacking(wheels, without_zlib, "x86_64") == ("libz.so.1",)
    assert cell_lacking(wheels, _musl(), "x86_64") == ()
