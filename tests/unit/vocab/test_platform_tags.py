"""Every platform-tag form auditwheel's policies and packaging's tag code know, through the one
parser."""

from __future__ import annotations

import json

import pytest
from auditwheel.libc import Libc
from auditwheel.policy import _POLICY_JSON_MAP
from packaging.tags import _manylinux, _musllinux

from harness.vocab.arch import arch_names
from harness.vocab.platform_tags import Family, PlatformClaim, parse_platform, platform_of
from harness.vocab.wheel_name import WheelName

# packaging spells the arches it knows as uname does; auditwheel's are the same names.
ARCHES = sorted({*arch_names(), "ppc64", "armv7l", "loongarch64"})


def _auditwheel_names() -> list[tuple[str, Family, str]]:
    """(tag, family, arch) for every policy name and alias, for every arch, in the installed
    auditwheel's policy files (manylinux-policy.json, musllinux-policy.json)."""
    found = []
    for libc, family in ((Libc.GLIBC, Family.MANYLINUX), (Libc.MUSL, Family.MUSLLINUX)):
        for policy in json.loads(_POLICY_JSON_MAP[libc].read_text()):
            for arch in policy["symbol_versions"]:
                for name in (policy["name"], *policy["aliases"]):
                    found.append((f"{name}_{arch}", family, arch))
    return found


AUDITWHEEL = _auditwheel_names()


def test_auditwheel_knows_policies_for_every_arch_we_name() -> None:
    assert {arch for _, _, arch in AUDITWHEEL} >= {"x86_64", "aarch64", "i686", "s390x"}
    assert any(name.startswith("musllinux_1_2_") for name, _, _ in AUDITWHEEL)
    assert any(name.startswith("manylinux2014_") for name, _, _ in AUDITWHEEL)


@pytest.mark.parametrize(("tag", "family", "arch"), AUDITWHEEL, ids=[t for t, _, _ in AUDITWHEEL])
def test_every_auditwheel_policy_name(tag: str, family: Family, arch: str) -> None:
    parsed = parse_platform(tag)
    assert parsed.family is family
    assert parsed.arch == arch
    assert parsed.floor is not None
    assert parsed.policy.startswith(family.value + "_")
    # the policy name plus the arch spells a PEP 600 / 656 tag of the same floor
    assert parse_platform(f"{parsed.policy}_{arch}").floor == parsed.floor


def test_packagings_legacy_names_are_the_floors_they_stand_for() -> None:
    for (major, minor), name in _manylinux._LEGACY_MANYLINUX_MAP.items():
        for arch in ARCHES:
            parsed = parse_platform(f"{name}_{arch}")
            assert parsed.family is Family.MANYLINUX and parsed.legacy == name
            assert parsed.floor == (major, minor) and parsed.arch == arch
            assert parsed.policy == f"manylinux_{major}_{minor}"


@pytest.mark.parametrize("arch", ARCHES)
def test_the_forms_packaging_generates(arch: str) -> None:
    """What packaging.tags yields for an interpreter: manylinux_X_Y_ARCH for each glibc
    minor, musllinux_X_Y_ARCH for each musl minor, linux_ARCH."""
    for minor in range(0, 45):
        parsed = parse_platform(f"manylinux_2_{minor}_{arch}")
        assert (parsed.family, parsed.floor, parsed.arch) == (Family.MANYLINUX, (2, minor), arch)
    musl_tags = list(_musllinux.platform_tags([arch]))  # empty off musl: build them by hand
    for minor in range(0, 4):
        musl_tags.append(f"musllinux_1_{minor}_{arch}")
    for tag in musl_tags:
        parsed = parse_platform(tag)
        assert parsed.family is Family.MUSLLINUX and parsed.arch == arch
        assert parsed.family.libc == "musl"
    plain = parse_platform(f"linux_{arch}")
    assert (plain.family, plain.arch, plain.floor, plain.policy) == (
        Family.LINUX,
        arch,
        None,
        "linux",
    )


@pytest.mark.parametrize(
    ("tag", "family", "arch", "policy"),
    [
        ("any", Family.ANY, "", "any"),
        ("macosx_11_0_arm64", Family.OTHER, "", "other"),
        ("win_amd64", Family.OTHER, "", "other"),
        ("musllinux_1_2_x86_64", Family.MUSLLINUX, "x86_64", "musllinux_1_2"),
        ("manylinux_2_17_x86_64", Family.MANYLINUX, "x86_64", "manylinux_2_17"),
        ("manylinux1_i686", Family.MANYLINUX, "i686", "manylinux_2_5"),
        ("manylinux2014_armv7l", Family.MANYLINUX, "armv7l", "manylinux_2_17"),
        ("linux_armv6l", Family.LINUX, "armv6l", "linux"),
    ],
)
def test_named_forms(tag: str, family: Family, arch: str, policy: str) -> None:
    parsed = parse_platform(tag)
    assert (parsed.family, parsed.arch, parsed.policy) == (family, arch, policy)


def test_a_wheels_claim_across_its_tags() -> None:
    musl = WheelName.parse("numpy-2.1.0-cp312-cp312-musllinux_1_2_x86_64.whl")
    assert musl.arches == ("x86_64",)  # not "1_2_x86_64"
    assert musl.platform.libcs == {"musl"} and musl.platform.policy == "musllinux_1_2"
    assert musl.platform.glibc_floor is None
    many = WheelName.parse(
        "mh_c_plain-1.0.0-cp39-abi3-manylinux1_x86_64.manylinux_2_31_x86_64.manylinux_2_5_x86_64.whl"
    )
    assert many.platform.glibc_floor == (2, 5) and many.platform.policy == "manylinux_2_5"
    assert many.interpreters == {"cp39-abi3"}
    both = PlatformClaim.of(["manylinux_2_17_aarch64", "musllinux_1_1_aarch64"])
    assert both.libcs == {"glibc", "musl"} and both.arches == ("aarch64",)
    pure = WheelName.parse("six-1.16.0-py2.py3-none-any.whl")
    assert pure.arches == () and pure.platform.policy == "any" and pure.platform.is_linux
    mac = WheelName.parse("numpy-2.1.0-cp312-cp312-macosx_14_0_arm64.whl")
    assert not mac.platform.is_linux


def test_platform_of_a_full_tag() -> None:
    assert platform_of("cp39-abi3-manylinux_2_17_x86_64") == "manylinux_2_17_x86_64"
    assert platform_of("py3-none-any") == "any"
