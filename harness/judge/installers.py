"""The pip-version axis (data in resources/installers.toml): which pips a cell is installed
with, which Pythons each runs on, and which manylinux tag families each pip knows (so the
oldest pip a wheel calls for). Fetching their wheels is harness.runner.supply's."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from harness.errors import UsageError
from harness.resources import load_toml
from harness.vocab.installer import DISTRO_PIP, LATEST, Installer

if TYPE_CHECKING:
    pass


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
