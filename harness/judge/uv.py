"""The uv side of the installer axis (data in resources/installers.toml): which uv releases a
run selects, and the defects of releases the harness has seen (declared findings). Fetching
their binaries is harness.runner.supply's."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from harness.errors import UsageError
from harness.resources import load_toml
from harness.vocab.installer import LATEST, Installer

if TYPE_CHECKING:
    pass


@functools.cache
def _data() -> dict:
    return dict(load_toml("installers.toml").get("uv", {}))


def releases() -> tuple[str, ...]:
    """Every release the data knows: latest first, then the configured older ones."""
    return (LATEST, *(row["version"] for row in _data().get("release", ())))


@dataclass(frozen=True)
class KnownFinding:
    """What a uv release was seen doing on an arch (installers.toml's [[uv.finding]])."""

    release: str
    arch: str
    verdict: str
    why: str


def known_finding(installer: Installer, arch: str) -> KnownFinding | None:
    """The declared finding for this uv release on this arch, if the data has one."""
    if not installer.is_uv:
        return None
    for row in _data().get("finding", ()):
        if row["release"] == installer.release and row["arch"] == arch:
            return KnownFinding(row["release"], row["arch"], row["verdict"], row["why"])
    return None


def default_uvs() -> tuple[Installer, ...]:
    return tuple(Installer.uv(r) for r in _data().get("default", (LATEST,)))


def parse_uvs(values: Iterable[str]) -> tuple[Installer, ...]:
    """--uv latest --uv 0.4, 'all' for every configured release, 'none' for no uv cells."""
    found: list[Installer] = []
    for value in values:
        for item in value.replace(",", " ").split():
            if item == "none":
                return ()
            chosen = releases() if item == "all" else (item,)
            for release in chosen:
                if release != LATEST:
                    try:
                        Version(release)
                    except InvalidVersion:
                        raise UsageError(
                            f"--uv {release!r} is not a uv release: write e.g. 0.4, latest, "
                            "all or none"
                        ) from None
                if Installer.uv(release) not in found:
                    found.append(Installer.uv(release))
    return tuple(found)


def wheel_platforms(arch: str) -> list[str]:
    """The wheel platforms to take uv's binary from, in order of preference: the static musl
    build runs anywhere; on arches where uv stopped publishing it (ppc64le, s390x: musl
    wheels end at 0.5), the manylinux build, linked against glibc 2.17, runs on every glibc
    distro a manylinux wheel can target."""
    data = _data()
    patterns = data.get("wheel_platforms") or [data.get("wheel_platform", "musllinux_1_1_{arch}")]
    return [str(pattern).format(arch=arch) for pattern in patterns]
