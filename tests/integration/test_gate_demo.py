"""The regression gate on a real image change: a candidate manylinux_2_31 build image whose
repair step leaves libcrypt.so.1 out of the wheel (as a whitelist that wrongly listed it
would) must fail the gate, naming the libcrypt cells on the distro without libcrypt.so.1; a
candidate identical to the current image must pass it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.images.provider import ImageProvider
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.vocab.arch import get_arch
from tests.helpers.commands import load_results, run_cli

pytestmark = pytest.mark.xdist_group("local-matrix")

# Earlier on PATH than /usr/local/bin/auditwheel: the image's repair step, changed.
WRAPPER = """#!/bin/sh
if [ "$1" = repair ]; then
    shift
    exec /usr/local/bin/auditwheel repair --exclude libcrypt.so.1 "$@"
fi
exec /usr/local/bin/auditwheel "$@"
"""
CANDIDATE = "manylinux-harness/test-candidate-nolibcrypt:x86_64"
SELECTION = [
    "--profile", "local", "--arch", "x86_64", "--policy", "manylinux_2_31",
    "--sample", "libcrypt", "--distro", "debian-trixie", "--distro", "debian-trixie-nolibcrypt",
    "--pip", "none",
]  # fmt: skip


@pytest.fixture(scope="module")
def current_image(engine: Engine, settings: Settings) -> str:
    spec = default_catalog().build_images("local", ["x86_64"], ["manylinux_2_31"])[0].image
    return ImageProvider(engine, Cache(settings.cache_dir), settings).ensure(spec).reference


@pytest.fixture(scope="module")
def candidate_image(engine: Engine, current_image: str) -> Iterator[str]:
    with engine.container(
        current_image, arch=get_arch("x86_64"), role="test", name_hint="candidate"
    ) as container:
        container.write_file("/usr/local/sbin/auditwheel", WRAPPER, mode=0o755)
        container.commit(CANDIDATE, env={}, labels={"org.manylinux-harness.image": "test"})
    yield CANDIDATE
    engine.remove_image(CANDIDATE)


def test_candidate_dropping_libcrypt_fails_the_gate(tmp_path: Path, candidate_image: str) -> None:
    results_dir = tmp_path / "candidate"
    proc = run_cli(
        "run",
        *SELECTION,
        "--candidate-image",
        f"manylinux_2_31:x86_64={candidate_image}",
        "--results-dir",
        str(results_dir),
        timeout=1800,
    )
    # the candidate's grafted libcrypt wheel breaks where libcrypt.so.1 is missing
    assert proc.returncode == 1, proc.stdout[-4000:] + proc.stderr[-2000:]
    results = load_results(results_dir)
    broken = {(c["row"], c["distro"]): c for c in results["cells"] if c["verdict"] == "violation"}
    assert ("libcrypt[grafted]@manylinux_2_31~candidate", "debian-trixie-nolibcrypt") in broken
    assert (
        "libcrypt.so.1"
        in broken[("libcrypt[grafted]@manylinux_2_31~candidate", "debian-trixie-nolibcrypt")][
            "diagnosis"
        ]
    )

    markdown = tmp_path / "gate.md"
    gate = run_cli("gate", "--baseline", str(results_dir), "--markdown", str(markdown))
    assert gate.returncode == 1, gate.stdout + gate.stderr
    regressed = [line for line in gate.stdout.splitlines() if line.startswith("  libcrypt")]
    # exactly the grafted wheel on the distro without libcrypt.so.1 (the excluded control
    # was already broken there, as declared, in the baseline)
    assert regressed == [
        "  libcrypt[grafted]@manylinux_2_31 | x86_64 | debian-trixie-nolibcrypt | pip=distro"
    ], gate.stdout
    assert "libcrypt.so.1" in markdown.read_text()


def test_identical_candidate_passes_the_gate(tmp_path: Path, current_image: str) -> None:
    results_dir = tmp_path / "same"
    proc = run_cli(
        "run",
        *SELECTION,
        "--candidate-image",
        f"manylinux_2_31:x86_64={current_image}",
        "--results-dir",
        str(results_dir),
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    gate = run_cli("gate", "--baseline", str(results_dir))
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert gate.stdout.startswith("gate passed: none of 4 compared cells regressed")
