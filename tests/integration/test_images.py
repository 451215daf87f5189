"""Images through the one code path: reuse when the recipe is unchanged, rebuild when not."""

from __future__ import annotations

import dataclasses

from harness.catalog.model import default_catalog
from harness.images.provider import ImageProvider, ResolvedImage
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.util.ownership import IMAGE_LABEL


def test_unchanged_recipe_reuses_the_image(
    engine: Engine, settings: Settings, bookworm_image: ResolvedImage
) -> None:
    spec = default_catalog().distros("local", ["x86_64"], ["debian-bookworm"])[0].image
    again = ImageProvider(engine, Cache(settings.cache_dir), settings).ensure(spec)
    assert not again.built
    assert again.id == bookworm_image.id and again.reference == spec.tag
    assert again.platform == "linux/amd64"


def test_changed_recipe_builds_a_new_image_from_the_same_rootfs(
    engine: Engine, settings: Settings, bookworm_image: ResolvedImage
) -> None:
    spec = default_catalog().distros("local", ["x86_64"], ["debian-bookworm"])[0].image
    changed = dataclasses.replace(
        spec, steps=("echo provisioned > /etc/harness-test",), env=(("HARNESS_TEST", "1"),)
    )
    assert changed.tag != spec.tag and changed.base_tag == spec.base_tag
    engine.remove_image(changed.tag)
    provider = ImageProvider(engine, Cache(settings.cache_dir), settings)
    try:
        built = provider.ensure(changed)
        assert built.built and built.platform == "linux/amd64"
        info = engine.image_info(changed.tag)
        assert info is not None and info.labels[IMAGE_LABEL] == "distro"
        attrs = engine.client.api.inspect_image(changed.tag)
        assert "HARNESS_TEST=1" in attrs["Config"]["Env"]
        assert not (attrs["Config"].get("Volumes") or {})  # no mount leaked into the image
        assert provider.log_path(changed).read_text().count("$ echo provisioned") == 1
    finally:
        engine.remove_image(changed.tag)
