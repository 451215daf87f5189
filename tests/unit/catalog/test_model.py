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
        ("musllinux_1_2", "cp313-cp313"),
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
        "musl-1.2",
    ]
    nolibcrypt, x11 = distros[-3:-1]
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
        # the musl distro's venv gets the distro's pip from its wheel, not through ensurepip
        made = (f"python3 -m venv {TEMPLATE}", f"python3 -m venv --without-pip {TEMPLATE}")
        assert set(made) & set(distro.image.all_steps), distro.key


def test_the_musl_images_start_from_one_stage() -> None:
    """The musllinux build image is the stage provisioned further; the musl distro is one
    directory of the stage as its whole root filesystem. One stage image serves both, and its
    hash names the sources it builds."""
    catalog = default_catalog()
    (build,) = catalog.build_images("local", ["x86_64"], ["musllinux_1_2"])
    (distro,) = catalog.distros("local", ["x86_64"], ["musl-1.2"])
    assert build.libc == "musllinux" and build.build_identifier == "cp313-musllinux_x86_64"
    assert build.python_version == "3.13" and build.glibc == (0, 0)
    assert dict(build.image.env)["AUDITWHEEL_PLAT"] == "musllinux_1_2_x86_64"
    assert build.image.base.kind == "stage" and distro.image.base.kind == "stage-rootfs"
    stage = build.image.base.stage
    assert stage is not None and stage == distro.image.base.stage
    assert build.image.base_tag == stage.tag
    assert distro.image.base_tag.startswith("manylinux-harness/rootfs-musl-1.2:x86_64-")
    assert distro.image.base.rootfs == "/opt/_internal/musl-rootfs"
    assert (distro.expected_glibc, distro.expected_musl) == ("none", "1.2")
    # every fetched file is pinned, and its checksum is part of the stage's recipe
    pinned = {s.file: s.sha256 for s in stage.sources}
    assert set(pinned) == {
        "python3.13_3.13.5.orig.tar.xz",
        "zlib_1.3.dfsg+really1.3.1.orig.tar.gz",
        "libffi_3.4.8.orig.tar.gz",
        "busybox_1.37.0.orig.tar.bz2",
    }
    assert all(s.debian.startswith("main/") for s in stage.sources)
    assert [s["sha256"] for s in stage.recipe()["sources"]] == [s.sha256 for s in stage.sources]
    assert [s.pypi for s in distro.image.sources] == ["pip==25.1.1"]


def test_a_changed_source_pin_is_a_new_stage_and_new_images_on_it() -> None:
    (distro,) = default_catalog().distros("local", ["x86_64"], ["musl-1.2"])
    stage = distro.image.base.stage
    assert stage is not None
    first, *rest = stage.sources
    moved = dataclasses.replace(stage, sources=(dataclasses.replace(first, sha256="0" * 64), *rest))
    assert moved.tag != stage.tag
    on_moved = dataclasses.replace(
        distro.image, base=dataclasses.replace(distro.image.base, stage=moved)
    )
    assert on_moved.tag != distro.image.tag and on_moved.base_tag != distro.image.base_tag


def test_no_arch_without_its_stage() -> None:
    """The musl stage is made for x86_64 only: other arches have no musl rows at all."""
    catalog = default_catalog()
    assert not catalog.distros("local", ["aarch64"], None) or all(
        d.name != "musl-1.2" for d in catalog.distros("local", ["aarch64"])
    )
    assert all(b.policy != "musllinux_1_2" for b in catalog.build_images("local", ["aarch64"]))
