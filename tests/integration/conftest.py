"""Integration fixtures: the real engine, real local images, the real CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import EngineUnavailable
from harness.images.provider import ImageProvider, ResolvedImage
from harness.settings import Settings
from harness.util.cache import Cache, default_cache_dir
from harness.util.engine import Engine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    try:
        engine = Engine.connect()
    except EngineUnavailable as exc:
        # Integration tests never skip silently: no engine is a failure with the fix in it.
        pytest.fail(str(exc), pytrace=False)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def bookworm_image(engine: Engine, settings: Settings) -> ResolvedImage:
    """A real local distro image, through the same code path as any run."""
    spec = default_catalog().distros("local", ["x86_64"], ["debian-bookworm"])[0].image
    return ImageProvider(engine, Cache(settings.cache_dir), settings).ensure(spec)


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return default_cache_dir()
