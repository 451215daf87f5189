"""benchmarks/images.py runs end to end on a scratch engine of its own and stops it: two
x86_64 images from cold, each with its stages. It measures nothing here; the figures are only
required to exist."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.util.engine import Engine
from tests.helpers.commands import REPO

# Alone: while other integration tests ran beside it (in the suite, twice, and with
# test_publisher and test_verify_crafted), its scratch engine's provisioning container could
# not resolve pypi.org for over a minute; alone, and by hand, it resolves. Until that is
# understood it runs in `tox -e alone`, not in the default suite.
pytestmark = [pytest.mark.xdist_group("scratch-engine"), pytest.mark.alone]

NAME = "mh-bench-test"


def test_images_benchmark_smoke(tmp_path: Path, engine: Engine) -> None:
    before = {info.reference for info in engine.images()}
    out = tmp_path / "bench.json"
    command = [sys.executable, str(REPO / "benchmarks" / "images.py"), "--arch", "x86_64"]
    command += ["--images-only", "--policy", "manylinux_2_36", "--distro", "debian-bookworm"]
    command += ["--engine-name", NAME, "--work-dir", str(tmp_path / "work"), "--json", str(out)]
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (run,) = json.loads(out.read_text())
    assert run["arch"] == "x86_64" and run["kind"] == "cold"
    assert set(run["images"]) == {"build:manylinux_2_36:x86_64", "distro:debian-bookworm:x86_64"}
    for entry in run["images"].values():
        assert entry["built"] and entry["seconds"] > 0
        # native: no twin; a bootstrap, its import, the provisioning and the commit
        assert {"bootstrap", "import", "commit"} <= set(entry["stages"]) and "twin" not in entry[
            "stages"
        ]
    assert "images phase (wall)" in proc.stdout and "load" in proc.stdout
    # the scratch engine is gone, and the working engine's images are as they were
    assert not Path(f"/run/docker-{NAME}.sock").exists()
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True)
    assert f"mh-{NAME}"[:15] not in links.stdout
    assert {info.reference for info in engine.images()} >= before
