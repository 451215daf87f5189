from __future__ import annotations

import dataclasses

import pytest

from harness.catalog.model import Catalog, default_catalog
from harness.errors import UsageError


def test_local_build_images_for_x86_64() -> None:
    images = default_catalog().build_images("local", ["x86_64"])
    assert [(b.policy, b.python_tag) for b in images] == [
        ("manylinux_2_31", "cp39-cp39"),
        ("manylinux_2_36", "cp311-cp311"),
        ("manylinux_2_41", "cp313-cp313"),
    ]
    first = images[0]
    assert first.build_identifier == "cp39-manylinux_x86_64"
    assert first.image.base.kind == "debian" and first.image.base.suite == "bullseye"
    assert dict(first.image.env) == {
        "AUDITWHEEL_ARCH": "x86_64",
        "AUDITWHEEL_PLAT": "manylinux_2_31_x86_64",
        "AUDITWHEEL_POLICY": "manylinux_2_31",
    }
    assert any("/opt/python/cp39-cp39" in step for step in first.image.all_steps)


def test_image_tags_follow_the_recipe() -> None:
    spec = default_catalog().build_images("local", ["x86_64"], ["manylinux_2_31"])[0].image
    assert spec.tag.startswith("manylinux-harness/build-manylinux_2_31:x86_64-")
    assert spec.tag == dataclasses.replace(spec).tag  # same recipe, same tag
    changed = dataclasses.replace(spec, steps=(*spec.steps, "true"))
    assert changed.tag != spec.tag
    # the rootfs is shared while only the provisioning changes
    assert changed.base_tag == spec.base_tag
    other_arch = default_catalog().build_images("local", ["aarch64"], ["manylinux_2_31"])[0].image
    assert other_arch.tag != spec.tag and other_arch.base_tag != spec.base_tag


def test_local_distros_and_the_libcrypt_and_x11_variants() -> None:
    distros = default_catalog().distros("local", ["x86_64"])
    names = [d.name for d in distros]
    assert names == [
        "debian-bullseye",
        "debian-bookworm",
        "debian-trixie",
        "debian-forky",
        "debian-trixie-nolibcrypt",
        "debian-trixie-x11",
    ]
    nolibcrypt, x11 = distros[-2:]
    assert nolibcrypt.image.remove_sonames == ("libcrypt.so.1",)
    assert nolibcrypt.image.tag != distros[2].image.tag
    # the x11 variant is trixie plus the whitelisted library the minimal images leave out
    assert "libx11-6" in x11.image.base.packages
    assert "libx11-6" not in distros[2].image.base.packages
    assert x11.image.tag not in (distros[2].image.tag, nolibcrypt.image.tag)


def test_riscv64_only_from_trixie() -> None:
    distros = default_catalog().distros("local", ["riscv64"])
    assert {d.name for d in distros} == {
        "debian-trixie",
        "debian-forky",
        "debian-trixie-nolibcrypt",
        "debian-trixie-x11",
    }
    builds = default_catalog().build_images("local", ["riscv64"])
    assert [b.policy for b in builds] == ["manylinux_2_41"]


def test_official_images_are_pulled_as_they_are() -> None:
    images = default_catalog().build_images("official", ["aarch64"], ["2014"])
    assert len(images) == 1
    spec = images[0].image
    assert spec.base.kind == "pull"
    assert spec.tag == "quay.io/pypa/manylinux2014_aarch64"
    assert images[0].policy == "manylinux_2_17"
    assert images[0].key == "manylinux2014-aarch64"


def test_unknown_names_are_one_line_usage_errors() -> None:
    catalog = default_catalog()
    with pytest.raises(UsageError, match="unknown distro 'debian-potato'.*choose from"):
        catalog.distros("local", names=["debian-potato"])
    with pytest.raises(UsageError, match="unknown profile"):
        catalog.build_images("nightly")
    with pytest.raises(UsageError, match="unknown architecture 'sparc'"):
        catalog.build_images("local", ["sparc"])


def test_recipe_placeholders_are_checked() -> None:
    data = {
        "recipes": {"r": {"steps": ["echo {nonsense}"]}},
        "build_image": [
            {
                "profile": "local",
                "policy": "manylinux_2_31",
                "image": "x",
                "arches": ["x86_64"],
                "recipe": "r",
            }
        ],
    }
    with pytest.raises(UsageError, match="unknown placeholder"):
        Catalog.from_data(data).build_images("local")


def test_local_distro_images_carry_the_probes_template_venv() -> None:
    from harness.probe.distro_probe import TEMPLATE

    for distro in default_catalog().distros("local"):
        assert f"python3 -m venv {TEMPLATE}" in distro.image.all_steps, distro.key
