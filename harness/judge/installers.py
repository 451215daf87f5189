"""The pip-version axis, all of it (data in resources/installers.toml): which pips a cell is
installed with, which Pythons each runs on, which manylinux tag families each pip knows (so
the oldest pip a wheel calls for), and fetching the axis's pip wheels on the host (probe
containers have no network) into the wheel root, which the probes mount read-only."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from harness.errors import UsageError
from harness.util.resources import load_toml
from harness.vocab.installer import DISTRO_PIP, LATEST, Installer

if TYPE_CHECKING:
    from harness.util.cache import Cache

# "latest" is looked up again after a day; meanwhile (and offline) the wheels at hand serve.
LATEST_MAX_AGE = 24 * 3600


@dataclass(frozen=True)
class PipRelease:
    version: str  # "19.0": the newest patch release of that minor is used
    runs_on_python: SpecifierSet
    why: str


@dataclass(frozen=True)
class TagFamily:
    name: str
    pattern: re.Pattern[str]
    since: Version  # first pip release that generates these tags


@functools.cache
def _data() -> dict:
    return load_toml("installers.toml")


# -- the axis ----------------------------------------------------------------------------------


def default_pips() -> tuple[Installer, ...]:
    return tuple(Installer.pip(str(release)) for release in _data()["axis"]["default"])


def releases() -> dict[str, PipRelease]:
    return {
        row["version"]: PipRelease(row["version"], SpecifierSet(row["runs_on_python"]), row["why"])
        for row in _data().get("pip", ())
    }


def parse_pips(values: Iterable[str]) -> tuple[Installer, ...]:
    """--pip 19.0 --pip latest, or --pip none for the distro's pip only."""
    found: list[Installer] = []
    for value in values:
        for item in value.replace(",", " ").split():
            if item == "none":
                return ()
            if item != LATEST:
                try:
                    Version(item)
                except InvalidVersion:
                    raise UsageError(
                        f"--pip {item!r} is not a pip version: write e.g. 19.3, 20.3, latest or none"
                    ) from None
            if Installer.pip(item) not in found:
                found.append(Installer.pip(item))
    return tuple(found)


def requirement(pip: str) -> str:
    """What the probe installs into the cell's venv."""
    return "pip" if pip == LATEST else f"pip=={pip}.*"


def cannot_run(pip: str, python_version: str) -> str | None:
    """Why this pip does not run on that Python (None: it runs, as far as the data knows)."""
    release = releases().get(pip)
    if release is None or not python_version:
        return None
    try:
        runs = Version(python_version) in release.runs_on_python
    except InvalidVersion:
        return None
    return None if runs else f"{release.why} (Python {python_version})"


def expected_pip(installer: Installer, distro_pip: str) -> str | None:
    """The pip version a cell's tag expectation assumes for its installer (None: one that
    knows every tag family)."""
    if installer == DISTRO_PIP:
        return distro_pip
    # "latest" knows every family; so does every uv release the axis has (uv generated the
    # manylinux_x_y, legacy and musllinux tags from its first release).
    return None if installer.is_latest or installer.is_uv else installer.release


def notes() -> tuple[tuple[str, str], ...]:
    """(installer, why it is not on the axis or how it decides), for the report."""
    return tuple((row["installer"], row["text"]) for row in _data().get("note", ()))


# -- the tag families each pip knows ------------------------------------------------------------


@functools.cache
def tag_families() -> tuple[TagFamily, ...]:
    return tuple(
        TagFamily(name=row["name"], pattern=re.compile(row["pattern"]), since=Version(row["since"]))
        for row in _data()["tag_family"]
    )


def family_of(platform_tag: str) -> TagFamily | None:
    for family in tag_families():
        if family.pattern.match(platform_tag):
            return family
    return None


def installer_knows(platform_tag: str, pip_version: str | None) -> bool:
    """Whether a pip release generates this platform tag at all (None: assume it does)."""
    if not pip_version:
        return True
    family = family_of(platform_tag)
    if family is None:
        return True
    try:
        return Version(pip_version) >= family.since
    except ValueError:
        return True


def minimum_pip(platform_tags: Iterable[str]) -> Version | None:
    """The oldest pip that understands at least one of these platform tags."""
    known = [f.since for tag in platform_tags if (f := family_of(tag)) is not None]
    return min(known) if known else None


# -- the axis's pip wheels, on the host ----------------------------------------------------------


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
    """`pips`: releases ("19.3", "latest")."""
    """Each pip of the axis as a wheel in pips_dir; returns pip -> why it is unavailable."""
    directory = pips_dir(cache)
    directory.mkdir(parents=True, exist_ok=True)
    problems: dict[str, str] = {}
    with cache.lock("pips"):
        for pip in pips:
            if pip != LATEST:
                if not _have(directory, pip):
                    error = _download(directory, requirement(pip), None)
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
