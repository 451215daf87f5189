from __future__ import annotations

import pytest

from harness.errors import UsageError
from harness.judge import policy
from harness.vocab import policy_names
from harness.vocab.arch import all_arches, get_arch, platform_matches


@pytest.mark.parametrize("spelling", ["armv7l", "armhf", "linux/arm/v7"])
def test_arch_by_any_spelling(spelling: str) -> None:
    assert get_arch(spelling).name == "armv7l"


def test_names_are_unique_across_columns() -> None:
    arches = all_arches()
    for column in ("name", "debian", "oci_platform", "binfmt"):
        values = [getattr(a, column) for a in arches]
        assert len(values) == len(set(values)), column


def test_platform_variant_must_match_only_when_required() -> None:
    assert platform_matches(get_arch("aarch64"), "linux", "arm64", "v8")
    assert platform_matches(get_arch("armv7l"), "linux", "arm", "v7")
    assert not platform_matches(get_arch("armv7l"), "linux", "arm", "v6")
    assert not platform_matches(get_arch("armv7l"), "linux", "arm", None)
    assert not platform_matches(get_arch("x86_64"), "linux", "arm64", None)


def test_native_hosts() -> None:
    assert get_arch("i686").is_native_on("x86_64")
    assert not get_arch("aarch64").is_native_on("x86_64")


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("manylinux2014", "manylinux_2_17"),
        ("2014", "manylinux_2_17"),
        ("1", "manylinux_2_5"),
        ("2010", "manylinux_2_12"),
        ("2_28", "manylinux_2_28"),
        ("manylinux_2_41", "manylinux_2_41"),
    ],
)
def test_policy_aliases(name: str, canonical: str) -> None:
    assert policy_names.canonical_name(name) == canonical


def test_policies_come_from_auditwheel() -> None:
    pol = policy.get_policy("manylinux2014", "x86_64")
    assert pol.glibc == (2, 17)
    assert "libc.so.6" in pol.whitelist
    assert "libcrypt.so.1" not in pol.whitelist  # removed from the whitelist (Fedora 30)
    assert "2.17" in pol.symbol_versions["GLIBC"]
    assert "3.4.19" in pol.symbol_versions["GLIBCXX"]
    # riscv64 starts at manylinux_2_31
    assert policy.policies("riscv64")[0].name == "manylinux_2_31"


def test_unknown_policy() -> None:
    with pytest.raises(UsageError, match="unknown manylinux policy"):
        policy_names.canonical_name("manylinux_latest")
    with pytest.raises(UsageError, match="auditwheel has no policy manylinux_2_5 for aarch64"):
        policy.get_policy("manylinux1", "aarch64")
