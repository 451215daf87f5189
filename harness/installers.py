"""The pip-version axis (data in resources/installers.toml): which pips a cell is installed
with, which Pythons each runs on, and the minimum pip a wheel's tags call for. Pure."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from harness.errors import UsageError
from harness.resources import load_toml

DISTRO = "distro"  # the distro's own pip, in the venv python3 -m venv makes
LATEST = "latest"


@dataclass(frozen=True)
class PipRelease:
    version: str  # "19.0": the newest patch release of that minor is used
    runs_on_python: SpecifierSet
    why: str


@functools.cache
def _data() -> dict:
    return load_toml("installers.toml")


def default_pips() -> tuple[str, ...]:
    return tuple(_data()["axis"]["default"])


def releases() -> dict[str, PipRelease]:
    return {
        row["version"]: PipRelease(row["version"], SpecifierSet(row["runs_on_python"]), row["why"])
        for row in _data().get("pip", ())
    }


def parse_pips(values: Iterable[str]) -> tuple[str, ...]:
    """--pip 19.0 --pip latest, or --pip none for the distro's pip only."""
    found: list[str] = []
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
            if item not in found:
                found.append(item)
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
