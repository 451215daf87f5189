"""The agent and the tag logic it ships run on the oldest interpreter these machines have:
bullseye's Python 3.9 (harness.probe.deps.OLDEST_PYTHON). The grammar test
(tests/unit/probe/test_grammar.py) catches syntax; this catches what only running shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.images.provider import ImageProvider
from harness.probe import deps as probe_deps
from harness.probe.distro_probe import DistroProbe
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine

pytestmark = pytest.mark.xdist_group("probe-oldest")


def test_agent_and_tags_run_on_the_oldest_python(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    distro = default_catalog().distros("local", ["x86_64"], ["debian-bullseye"])[0]
    image = ImageProvider(engine, Cache(settings.cache_dir), settings).ensure(distro.image)
    with DistroProbe(engine, distro, image.reference, tmp_path / "wheels", settings) as probe:
        facts = probe.facts
    assert facts is not None
    oldest = ".".join(map(str, probe_deps.OLDEST_PYTHON))
    assert facts.python_version.startswith(oldest + "."), facts.python_version
    (pin,) = [p for p in probe_deps.pinned() if p.name == "packaging"]
    assert facts.packaging_version == pin.version
    # packaging's tag logic ran there: the interpreter's own tags, glibc's manylinux ladder
    assert facts.supported_tags[0].startswith("cp39-cp39-manylinux_2_31_x86_64")
    assert "cp39-abi3-manylinux2014_x86_64" in facts.supported_tags
    assert "py3-none-any" in facts.supported_tags
