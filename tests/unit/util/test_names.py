"""The one name sanitiser, and the one table of legacy policy names."""

from __future__ import annotations

from harness.judge.installers import expected_pip
from harness.util.names import MAX_LENGTH, safe_name
from harness.vocab.installer import Installer
from harness.vocab.legacy_policies import legacy_name, legacy_platform


def test_safe_names_keep_plain_text_and_stay_distinct() -> None:
    assert safe_name("c_plain-manylinux_2_31-x86_64") == "c_plain-manylinux_2_31-x86_64"
    one, two = safe_name("a | b"), safe_name("a_|_b")
    assert one != two and one.startswith("a___b-")
    long = safe_name("x" * 300)
    assert len(long) == MAX_LENGTH and long != safe_name("x" * 301)
    assert all(ch.isalnum() or ch in "-_." for ch in safe_name("numpy-2.1 + six | pip=distro"))


def test_legacy_names() -> None:
    assert legacy_name((2, 17)) == "manylinux2014" and legacy_name((2, 28)) is None
    assert legacy_platform((2, 5), "x86_64") == "manylinux1_x86_64"
    assert legacy_platform((2, 5), "aarch64") is None
    assert legacy_platform((2, 17), "aarch64") == "manylinux2014_aarch64"


def test_the_pip_a_cells_expectation_assumes() -> None:
    assert expected_pip(Installer.parse("distro"), "23.0.1") == "23.0.1"
    assert expected_pip(Installer.parse("latest"), "23.0.1") is None
    assert expected_pip(Installer.parse("19.3"), "23.0.1") == "19.3"
