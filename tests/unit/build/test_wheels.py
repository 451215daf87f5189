"""Issue 24, item 5: a cached wheelhouse is used only while its wheels are the bytes it
recorded (a truncated wheel was never rebuilt: BadZipFile in every later run), and a wheel over
the run's limits is refused, its cells errors naming the member."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from harness.build.wheels import (
    CACHED,
    MANIFEST,
    REFUSED,
    BuildRequest,
    WheelBuilder,
    _record,
    cache_key,
)
from harness.catalog.model import default_catalog
from harness.catalog.samples import default_samples_dir, discover
from harness.images.provider import ResolvedImage
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.wheel_zip import MIB, WheelLimits
from tests.helpers.factories import bomb_wheel, make_wheel

IMAGE = ResolvedImage(
    "build:manylinux_2_36:x86_64", "manylinux-harness/build:x", "sha256:1", "linux/amd64", False, 0
)


@pytest.fixture
def builder(tmp_path: Path) -> WheelBuilder:
    settings = Settings(cache_dir=tmp_path / "cache")
    return WheelBuilder(None, Cache(settings.cache_dir), settings)  # type: ignore[arg-type]


@pytest.fixture
def request_() -> BuildRequest:
    sample = next(s for s in discover(default_samples_dir()) if s.name == "c_plain")
    image = default_catalog().build_images("local", ["x86_64"], ["manylinux_2_36"])[0]
    return BuildRequest(sample, sample.flavours[0], image)


def entry_with(builder: WheelBuilder, request: BuildRequest, *, manifest: bool = True) -> Path:
    entry = builder.entry_dir(request, cache_key(request, IMAGE, builder.cibw_version))
    make_wheel(entry, "c_plain-1.0-cp39-abi3-manylinux_2_36_x86_64.whl", {"c.py": "X = 1\n" * 50})
    (entry / "build.log").write_text("built")
    if manifest:
        _record(entry)
    return entry


def test_a_cached_wheel_as_recorded_is_used(builder: WheelBuilder, request_: BuildRequest) -> None:
    entry = entry_with(builder, request_)
    found = builder.lookup(request_, IMAGE)
    assert found is not None and found.status == CACHED and found.wheels[0].parent == entry


@pytest.mark.parametrize("how", ["truncated", "other bytes", "manifest damaged", "a wheel more"])
def test_a_damaged_entry_is_built_again(
    builder: WheelBuilder, request_: BuildRequest, how: str
) -> None:
    entry = entry_with(builder, request_)
    (wheel,) = entry.glob("*.whl")
    if how == "truncated":
        wheel.write_bytes(wheel.read_bytes()[:100])
    elif how == "other bytes":
        make_wheel(entry, wheel.name, {"c.py": "X = 2\n" * 50})
    elif how == "manifest damaged":
        (entry / MANIFEST).write_text("{")
    else:
        make_wheel(entry, "extra-1.0-py3-none-any.whl", {"e.py": ""})
    assert builder.lookup(request_, IMAGE) is None
    assert not entry.exists()  # removed: the next build makes it afresh


def test_an_entry_made_before_manifests_is_checked_and_recorded(
    builder: WheelBuilder, request_: BuildRequest
) -> None:
    entry = entry_with(builder, request_, manifest=False)
    assert builder.lookup(request_, IMAGE) is not None
    recorded = json.loads((entry / MANIFEST).read_text())["wheels"]
    assert list(recorded) == [w.name for w in entry.glob("*.whl")]
    # ...and one whose zip does not read back is not taken.
    other = entry_with(builder, request_, manifest=False)
    (other / MANIFEST).unlink()
    (wheel,) = other.glob("*.whl")
    wheel.write_bytes(wheel.read_bytes()[:-30])
    assert builder.lookup(request_, IMAGE) is None


def test_a_wheel_over_the_limits_is_refused_naming_the_member(
    builder: WheelBuilder, request_: BuildRequest
) -> None:
    entry = entry_with(builder, request_)
    bomb_wheel(entry, "bomb-1.0-cp39-abi3-manylinux_2_36_x86_64.whl", 16)
    _record(entry)
    found = builder.lookup(request_, IMAGE)
    assert found is not None and found.status == REFUSED and found.wheels == ()
    assert found.error.startswith("bomb-1.0-cp39-abi3-manylinux_2_36_x86_64.whl: its member ")
    assert "data/zeros.bin declares 16.0 MiB unpacked" in found.error
    generous = dataclasses.replace(
        builder.settings, wheel_limits=WheelLimits(max_unpacked=64 * MIB, max_ratio=5000)
    )
    again = WheelBuilder(None, builder.cache, generous)  # type: ignore[arg-type]
    assert again.lookup(request_, IMAGE).status == CACHED  # type: ignore[union-attr]
