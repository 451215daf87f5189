"""PyPA's build images as data (harness/resources/pypa-images.toml): every policy auditwheel's
installed policy file knows has a row or an explicit "no image", every value names its source,
and the sources agree where they overlap."""

from __future__ import annotations

import json
from importlib import resources

from harness.explain.pypa_images import shipped
from harness.vocab import policy_names


def auditwheel_policies() -> set[str]:
    names = set()
    for file in ("manylinux-policy.json", "musllinux-policy.json"):
        text = resources.files("auditwheel.policy").joinpath(file).read_text(encoding="utf-8")
        names |= {p["name"] for p in json.loads(text) if p["name"] != "linux"}
    return names


def test_every_auditwheel_policy_has_a_row_or_an_explicit_no_image() -> None:
    data = shipped()
    for name in auditwheel_policies():
        assert (name in data.policies) != (name in data.no_image), name
    for name, why in data.no_image.items():
        assert why.startswith("not published by PyPA"), name


def test_every_published_arch_has_its_inspected_image() -> None:
    data = shipped()
    for pol in data.policies.values():
        assert pol.arch_list, pol.policy
        for arch in pol.arch_list:
            image = data.image(pol.policy, arch)
            assert image is not None, (pol.policy, arch)
            assert image.image.startswith(f"quay.io/pypa/{pol.name}_{arch}:")


def test_the_images_libc_is_the_policys_floor() -> None:
    """A stale or mistyped row shows here: the inspected image's own C library is what its
    policy is named after."""
    for (policy, _arch), image in shipped().images.items():
        if policy_names.is_musl(policy):
            major, minor = policy.removeprefix("musllinux_").split("_")
            assert image.libc.startswith(f"musl {major}.{minor}."), (policy, image.libc)
        else:
            floor = policy_names.glibc_of(policy)
            assert image.glibc == f"{floor[0]}.{floor[1]}", (policy, image.libc)


def test_readmes_toolchain_line_agrees_with_the_measured_gcc() -> None:
    """README.rst's "Toolchain: GCC N" against `gcc --version` in the inspected image: a
    difference means one source has gone stale."""
    data = shipped()
    compared = 0
    for (policy, _arch), image in data.images.items():
        pol = data.policies[policy]
        if image.gcc.published:
            assert image.gcc.value.startswith(f"{pol.gcc_major.value}."), (policy, image.gcc)
            compared += 1
    assert compared >= 25  # every image the inspector ran `gcc --version` in


def test_every_fact_names_its_source() -> None:
    data = shipped()
    for pol in data.policies.values():
        for fact in (pol.base, pol.gcc_major, pol.arches, pol.base_image, pol.toolset):
            assert fact.source, pol.policy
    for policy, arch in data.images:
        for name, fact in data.toolchain(policy, arch).items():
            assert fact.source, (policy, arch, name)
            if not fact.published:
                assert "not published" in fact.source or "no PyPA" in fact.source
    for source in data.sources.values():
        assert source.commit and source.read, source


def test_the_toolchain_of_a_switchs_images() -> None:
    data = shipped()
    old = data.toolchain("manylinux_2_17", "x86_64")
    assert old["gcc"].value.startswith("10.") and "gcc --version" in old["gcc"].source
    assert old["g++"].value == old["gcc"].value and "install-runtime-packages" in old["g++"].source
    assert old["binutils"].published is False
    first = data.toolchain("manylinux_2_5", "x86_64")
    assert first["gcc"].value == "4.8 (major)" and "README.rst" in first["gcc"].source
    assert first["glibc"].value == "2.5"
    none = data.toolchain("manylinux_2_31", "x86_64")
    assert none["gcc"].source == "no PyPA manylinux_2_31 image for x86_64 (published for armv7l)"
    assert data.toolchain("manylinux_2_26", "x86_64")["gcc"].source.startswith(
        "not published by PyPA"
    )
