"""The record's static analysis equals `auditwheel show` on real PyPI wheels: a wheel with
grafted libraries (psycopg2-binary) and one that finds its own libraries through RUNPATH
$ORIGIN (pyarrow's layout; the crafted `origin` wheel has it too, without the download)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.analysis.lint import inspect_wheel
from tests.helpers.commands import NETWORK_ERROR, auditwheel_show
from tests.helpers.crafted import crafted_wheel

REAL = ("psycopg2-binary==2.9.13", "lxml==6.2.0")


@pytest.fixture(scope="module")
def real_wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("real")
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--disable-pip-version-check"),
            *("--no-deps", "--only-binary=:all:", "--implementation", "cp"),
            *("--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64"),
            *("--python-version", "3.11", "--timeout", "15", "--retries", "1"),
            *("-d", str(directory), *REAL),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        if NETWORK_ERROR.search(output):
            pytest.skip(f"PyPI is unreachable: {output.strip().splitlines()[-1]}")
        pytest.fail(f"pip download failed: {output[-2000:]}", pytrace=False)
    return sorted(directory.glob("*.whl"))


def agrees(wheel: Path) -> dict:
    shown = auditwheel_show(wheel)
    recorded = inspect_wheel(wheel, "x86_64")
    assert recorded["policy"] == shown["overall_tag"], wheel.name
    assert recorded["external_libs"] == sorted(shown["external_libs"]), wheel.name
    assert recorded["versioned_symbols"] == shown["versioned_symbols"], wheel.name
    return recorded


def test_real_wheels_agree_with_auditwheel_show(real_wheels: list[Path]) -> None:
    assert len(real_wheels) == len(REAL)
    for wheel in real_wheels:
        recorded = agrees(wheel)
        assert recorded["policy_problems"] == [], (wheel.name, recorded["policy_problems"])
    psycopg = next(w for w in real_wheels if w.name.startswith("psycopg2"))
    grafted = inspect_wheel(psycopg, "x86_64")["bundled"]
    assert any(path.startswith("psycopg2_binary.libs/libpq-") for path in grafted.values())


def test_runpath_origin_libraries_are_bundled_as_auditwheel_says(tmp_path: Path) -> None:
    recorded = agrees(crafted_wheel(tmp_path, "origin"))
    assert recorded["policy_problems"] == [] and recorded["external_libs"] == []
    assert recorded["elves"][0]["runpath"] == ["WHEEL/mh_crafted_origin"]
