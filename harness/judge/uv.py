"""The uv side of the installer axis (data in resources/installers.toml): which uv releases a
run selects, how the axis names them ("uv-latest", "uv-0.4"), and fetching each one's static
binary on the host from its PyPI wheel into the wheel root, which probes mount read-only.
What was fetched is recorded with version and hash: uv floats on purpose."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from harness.errors import UsageError
from harness.probe.facts import version_tuple
from harness.util.resources import load_toml
from harness.vocab.installer import LATEST, Installer

if TYPE_CHECKING:
    from harness.util.cache import Cache

LATEST_MAX_AGE = 24 * 3600  # as pip's "latest": looked up again after a day


@dataclass(frozen=True)
class UvBinary:
    """One fetched uv: what the record keeps about it."""

    release: str  # as selected: "latest", "0.4"
    version: str  # as fetched: "0.13.9"
    wheel: str  # the wheel's file name
    wheel_sha256: str
    binary: str  # host path of the extracted binary (inside the wheel root)
    binary_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "version": self.version,
            "wheel": self.wheel,
            "wheel_sha256": self.wheel_sha256,
            "binary": self.binary,
            "binary_sha256": self.binary_sha256,
        }


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


# -- fetching, on the host ----------------------------------------------------------------------


def uv_dir(cache: Cache) -> Path:
    return cache.path("wheels", "uv")


def _requirement(release: str) -> str:
    return "uv" if release == LATEST else f"uv=={release}.*"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _platforms(arch: str) -> list[str]:
    """The wheel platforms to take uv's binary from, in order of preference: the static musl
    build runs anywhere; on arches where uv stopped publishing it (ppc64le, s390x: musl
    wheels end at 0.5), the manylinux build, linked against glibc 2.17, runs on every glibc
    distro a manylinux wheel can target."""
    data = _data()
    patterns = data.get("wheel_platforms") or [data.get("wheel_platform", "musllinux_1_1_{arch}")]
    return [str(pattern).format(arch=arch) for pattern in patterns]


def _download_for(directory: Path, release: str, platform: str) -> Path | str:
    """The release's wheel of one platform in directory; or why not."""
    before = set(directory.glob("uv-*.whl"))
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
    command += ["--only-binary=:all:", "--platform", platform, "--dest", str(directory)]
    command.append(_requirement(release))
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        return f"cannot download uv {release} for {platform}: {lines[-1]}"
    # pip names the file it saved on its last "Saved"/"File was already downloaded" line only
    # without --quiet: the newest matching wheel in the directory is the one.
    wheels = sorted(set(directory.glob(f"uv-*{platform}*.whl")) - before) or sorted(
        directory.glob(f"uv-*{platform}*.whl"), key=lambda p: p.stat().st_mtime
    )
    matching = [w for w in wheels if release == LATEST or _version(w).startswith(release + ".")]
    return matching[-1] if matching else f"uv {release}: pip downloaded no {platform} wheel"


def _download(directory: Path, release: str, arch: str) -> Path | str:
    """The release's wheel (its uv binary inside) in directory; or why not. Of the platforms'
    wheels the newest version wins, the preferred platform on a tie, so that "latest" is not
    an old static build where a newer manylinux one exists."""
    found: list[Path] = []
    problems: list[str] = []
    for platform in _platforms(arch):
        got = _download_for(directory, release, platform)
        if isinstance(got, str):
            problems.append(got)
        else:
            found.append(got)
    if not found:
        return "; ".join(problems)
    return max(found, key=lambda w: (version_tuple(_version(w)), -found.index(w)))


def _version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def _extract(wheel: Path, target: Path) -> None:
    """The wheel's `uv` executable (in its .data/scripts), executable."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/scripts/uv"))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(archive.read(name))
    os.chmod(partial, 0o755)
    partial.replace(target)


def _fetch(directory: Path, release: str, arch: str) -> UvBinary | str:
    record = directory / f"{release}-{arch}.json"
    if record.exists():
        known = json.loads(record.read_text())
        fresh = release != LATEST or time.time() - record.stat().st_mtime < LATEST_MAX_AGE
        if fresh and Path(known["binary"]).exists():
            return UvBinary(**known)
    wheel = _download(directory, release, arch)
    if isinstance(wheel, str):
        # Offline with a binary at hand: the one fetched before serves (and is recorded).
        return UvBinary(**json.loads(record.read_text())) if record.exists() else wheel
    binary = directory / f"{_version(wheel)}-{arch}" / "uv"
    if not binary.exists():
        _extract(wheel, binary)
    found = UvBinary(
        release=release,
        version=_version(wheel),
        wheel=wheel.name,
        wheel_sha256=_sha256(wheel),
        binary=str(binary),
        binary_sha256=_sha256(binary),
    )
    record.write_text(json.dumps(found.to_json(), indent=2))
    return found


def ensure_uvs(
    cache: Cache, installers: Iterable[Installer], arches: Iterable[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each selected uv's binary for each arch; returns (installer@arch -> what was fetched,
    installer -> why it is unavailable)."""
    directory = uv_dir(cache)
    directory.mkdir(parents=True, exist_ok=True)
    fetched: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    with cache.lock("uv"):
        for installer in installers:
            for arch in sorted(set(arches)):
                got = _fetch(directory, installer.release, arch)
                if isinstance(got, str):
                    problems[str(installer)] = got
                else:
                    fetched[f"{installer}@{arch}"] = got.to_json()
    return fetched, problems


def binary_for(fetched: dict[str, dict[str, Any]], installer: Installer, arch: str) -> Path | None:
    entry = fetched.get(f"{installer}@{arch}")
    return Path(entry["binary"]) if entry else None
