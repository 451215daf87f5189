"""Integration fixtures: the real engine, real local images, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import EngineUnavailable
from harness.images.provider import ImageProvider, ResolvedImage
from harness.settings import Settings
from harness.util.cache import Cache, default_cache_dir
from harness.util.engine import Engine

REPO = Path(__file__).resolve().parents[2]


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


def run_cli(
    *args: str, timeout: float = 3600, env: Mapping[str, str] | None = None, **kwargs
) -> subprocess.CompletedProcess[str]:
    """The real command line, as a user runs it (`env`: variables set on top of ours)."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        **kwargs,
    )


def load_results(results_dir: Path) -> dict:
    return json.loads((results_dir / "results.json").read_text())


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return default_cache_dir()
