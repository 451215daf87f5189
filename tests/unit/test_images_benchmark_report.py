"""The images benchmark's report from a --json (benchmarks/images.py --from-json): an image an
arch does not have is no failure and stays out of the sums their ratio compares."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers.commands import REPO


def _run(arch: str, images: dict[str, float]) -> dict:
    return {
        "arch": arch,
        "kind": "cold",
        "phases": {"wall": 100.0, "images": 90.0, "wheels": 5.0, "cells": 5.0},
        "images": {f"{key}:{arch}": {"seconds": s, "stages": {}} for key, s in images.items()},
        "summary": {},
        "imported": None,
    }


def _report(tmp_path: Path, payload: object) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "bench.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    command = [sys.executable, str(REPO / "benchmarks" / "images.py"), "--from-json", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_an_image_of_one_arch_only_is_left_out_of_the_ratio(tmp_path: Path) -> None:
    runs = [
        _run("aarch64", {"distro:debian-trixie": 200.0}),
        _run("x86_64", {"distro:debian-trixie": 50.0, "distro:musl-1.2": 150.0}),
    ]
    proc = _report(tmp_path, runs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    musl = next(line for line in lines if "musl-1.2" in line and "stages" not in line)
    assert musl.split()[2:] == ["-", "150", "-"]
    total = next(line for line in lines if line.lstrip().startswith("sum of images"))
    assert total.split()[-3:] == ["200", "50", "4.0x"]


def test_a_file_that_is_not_its_json_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = _report(tmp_path, {"not": "runs"})
    assert proc.returncode == 2
    assert proc.stdout.count("\n") == 1 and "not the --json of this benchmark" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
