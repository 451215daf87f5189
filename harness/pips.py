"""pip wheels for the pip-version axis, fetched on the host (probe containers have no
network) into the wheel root, which the probes mount read-only."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from harness import installers
from harness.cache import Cache

# "latest" is looked up again after a day; meanwhile (and offline) the wheels at hand serve.
LATEST_MAX_AGE = 24 * 3600


def pips_dir(cache: Cache) -> Path:
    return cache.path("wheels", "pips")


def _have(directory: Path, pip: str) -> bool:
    return any(directory.glob(f"pip-{pip}.*-py*.whl")) or any(directory.glob(f"pip-{pip}-py*.whl"))


def _download(directory: Path, requirement: str, python_version: str | None) -> str:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", "--dest", str(directory)]
    if python_version:
        command += ["--python-version", python_version]
    command.append(requirement)
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode == 0:
        return ""
    lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
    return lines[-1]


def ensure_pips(
    cache: Cache, pips: Iterable[str], python_versions: Iterable[str]
) -> dict[str, str]:
    """Each pip of the axis as a wheel in pips_dir; returns pip -> why it is unavailable."""
    directory = pips_dir(cache)
    directory.mkdir(parents=True, exist_ok=True)
    problems: dict[str, str] = {}
    with cache.lock("pips"):
        for pip in pips:
            if pip != installers.LATEST:
                if not _have(directory, pip):
                    error = _download(directory, installers.requirement(pip), None)
                    if error and not _have(directory, pip):
                        problems[pip] = f"cannot download pip {pip}: {error}"
                continue
            # The newest pip for each Python of the run (pip drops old Pythons over time).
            for python in sorted(set(python_versions)) or [""]:
                stamp = directory / f".latest-{python or 'host'}"
                fresh = stamp.exists() and time.time() - stamp.stat().st_mtime < LATEST_MAX_AGE
                if fresh:
                    continue
                error = _download(directory, "pip", python or None)
                if not error:
                    stamp.touch()
                elif not any(directory.glob("pip-*.whl")):
                    problems[pip] = f"cannot download the latest pip: {error}"
    return problems
