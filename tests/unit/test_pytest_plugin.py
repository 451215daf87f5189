"""The matrix relies on pytest-xdist's --dist loadgroup (one distro container per worker);
pytest 9.2 broke it silently for xdist <= 3.8. This guards the pinned combination."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GROUPED = """
import os, pytest

@pytest.mark.parametrize("n", range(6))
@pytest.mark.xdist_group("one-distro")
def test_grouped(n):
    with open(os.environ["WORKER_LOG"], "a") as log:
        log.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    pass
"""


def test_loadgroup_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouping.py").write_text(GROUPED)
    log = tmp_path / "workers.log"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_grouping.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"WORKER_LOG": str(log), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    workers = log.read_text().split()
    assert len(workers) == 6
    assert len(set(workers)) == 1, f"grouped tests ran on {sorted(set(workers))}"
