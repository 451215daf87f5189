from __future__ import annotations

import pytest

from harness.errors import UsageError
from harness.judge.expectation import expect_install
from harness.judge.installers import installer_knows, minimum_pip
from harness.vocab.wheel_name import WheelName
from tests.helpers.factories import facts

C_PLAIN = (
    "mh_c_plain-1.0.0-cp39-abi3-manylinux1_x86_64.manylinux_2_31_x86_64.manylinux_2_5_x86_64.whl"
)
PTHREAD = "mh_glibc_control-1.0.0-cp39-abi3-manylinux_2_34_x86_64.manylinux_2_36_x86_64.whl"


def test_claim_expands_compressed_tags() -> None:
    claim = WheelName.parse(C_PLAIN)
    assert claim.project == "mh-c-plain"
    assert "cp39-abi3-manylinux_2_31_x86_64" in claim.tags
    assert "cp39-abi3-manylinux1_x86_64" in claim.tags
    assert claim.platform.glibc_floor == (2, 5)
    assert claim.arches == ("x86_64",)


def test_bad_wheel_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="not a valid wheel file name"):
        WheelName.parse("not-a-wheel.zip")


def test_installable_where_glibc_is_new_enough() -> None:
    claim = WheelName.parse(PTHREAD)
    expectation = expect_install([claim], facts(python=(3, 11), glibc=(2, 36)))
    assert expectation.installable
    assert expectation.matching_tags == ("cp39-abi3-manylinux_2_36_x86_64",)


def test_refused_below_the_floor_names_the_floor() -> None:
    claim = WheelName.parse(PTHREAD)
    expectation = expect_install([claim], facts(python=(3, 9), glibc=(2, 31)))
    assert not expectation.installable
    assert "needs glibc >= 2.34" in expectation.reason
    assert "has 2.31" in expectation.reason


def test_other_arch_is_refused_by_arch() -> None:
    claim = WheelName.parse(C_PLAIN)
    expectation = expect_install([claim], facts(arch="aarch64"))
    assert not expectation.installable
    assert "built for x86_64" in expectation.reason


def test_python_too_old_for_abi3_floor() -> None:
    claim = WheelName.parse("x-1.0-cp312-abi3-manylinux_2_17_x86_64.whl")
    expectation = expect_install([claim], facts(python=(3, 9)))
    assert not expectation.installable
    assert "Python 3.9" in expectation.reason


def test_old_pip_does_not_know_pep600_tags() -> None:
    claim = WheelName.parse(PTHREAD)
    expectation = expect_install([claim], facts(glibc=(2, 36)), pip_version="20.2")
    assert not expectation.installable
    assert "needs pip >= 20.3" in expectation.reason


def test_every_wheel_of_a_set_must_fit() -> None:
    ok = WheelName.parse(C_PLAIN)
    too_new = WheelName.parse(PTHREAD)
    assert not expect_install([ok, too_new], facts(python=(3, 9), glibc=(2, 31))).installable
    assert expect_install([ok, too_new], facts(python=(3, 9), glibc=(2, 36))).installable


@pytest.mark.parametrize(
    ("tag", "pip", "known"),
    [
        ("manylinux1_x86_64", "8.1", True),
        ("manylinux2010_x86_64", "18.1", False),
        ("manylinux2010_x86_64", "19.0", True),
        ("manylinux2014_x86_64", "19.2.3", False),
        ("manylinux2014_x86_64", "19.3", True),
        ("manylinux_2_28_x86_64", "20.2.4", False),
        ("manylinux_2_28_x86_64", "20.3", True),
        ("linux_x86_64", "1.0", True),
        ("manylinux_2_28_x86_64", None, True),
    ],
)
def test_installer_knows(tag: str, pip: str | None, known: bool) -> None:
    assert installer_knows(tag, pip) is known


def test_minimum_pip_is_the_oldest_family_among_the_tags() -> None:
    assert str(minimum_pip(["manylinux_2_31_x86_64", "manylinux1_x86_64"])) == "8.1"
    assert str(minimum_pip(["manylinux_2_34_x86_64"])) == "20.3"
    assert minimum_pip(["linux_x86_64"]) is None


def test_a_refusal_across_libc_names_both_libcs() -> None:
    musl_wheel = WheelName.parse("numpy-2.1.0-cp311-cp311-musllinux_1_2_x86_64.whl")
    on_glibc = expect_install([musl_wheel], facts(python=(3, 11), glibc=(2, 36)))
    assert not on_glibc.installable
    assert on_glibc.reason == ("built for musl libc (musllinux_1_2), this system has glibc 2.36")
    glibc_wheel = WheelName.parse(
        "x-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    )
    on_musl = expect_install([glibc_wheel], facts(python=(3, 11), musl=(1, 2)))
    assert not on_musl.installable
    assert on_musl.reason == "built for glibc (manylinux_2_17), this system has musl 1.2"
    assert expect_install([musl_wheel], facts(python=(3, 11), musl=(1, 2))).installable
    too_new = WheelName.parse("x-1.0-cp311-cp311-musllinux_1_3_x86_64.whl")
    refused = expect_install([too_new], facts(python=(3, 11), musl=(1, 2)))
    assert refused.reason == "needs musl >= 1.3 (musllinux_1_3), this system has musl 1.2"
