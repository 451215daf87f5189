"""What cells need installed besides their wheels, fetched on the host (probe containers have
no network) into the wheel root the probes mount read-only: the pip axis's pip wheels and each
uv release's static binary (from its PyPI wheel), recorded with version and hashes (uv
floats on purpose)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.judge import uv
from harness.util.cache import Cache
from harness.util.progress import Progress
from harness.util.wheel_zip import open_wheel
from harness.vocab.installer import LATEST, Installer
from harness.vocab.versions import version_tuple

# "latest" is looked up again after a day; meanwhile (and offline) what is at hand serves.
LATEST_MAX_AGE = 24 * 3600


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


@dataclass(frozen=True)
class InstallerSupply:
    """What a run fetched for its installer axis: where the pip wheels are and which could
    not be had, and each uv binary per arch ("uv-latest@x86_64" -> UvBinary's record, or
    "uv-latest" -> {"error": why})."""

    pips_dir: Path | None = None
    pip_problems: Mapping[str, str] = field(default_factory=dict)  # release -> why not
    uvs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def locate(self, installer: Installer, arch: str) -> tuple[Path | None, Path | None]:
        """(uv binary, pip wheels directory) for a cell of this installer; raises HarnessError
        when what it needs could not be fetched (the cell cannot be told)."""
        if installer.is_distro:
            return None, None
        if installer.is_uv:
            failed = self.uvs.get(str(installer), {}).get("error")
            entry = self.uvs.get(f"{installer}@{arch}")
            if failed or entry is None:
                raise HarnessError(failed or f"{installer} was not fetched for {arch}")
            return Path(entry["binary"]), None
        if installer.release in self.pip_problems:
            raise HarnessError(self.pip_problems[installer.release])
        if self.pips_dir is None:
            raise HarnessError(f"no pip wheels for pip {installer.release}")
        return None, self.pips_dir

    @property
    def directories(self) -> tuple[Path, ...]:
        """Where what it fetched lies, for a probe to mount."""
        found = [self.pips_dir] if self.pips_dir else []
        found += [Path(e["binary"]).parent for e in self.uvs.values() if "binary" in e]
        return tuple(found)

    def to_json(self) -> dict[str, Any]:
        return {
            "pips_dir": str(self.pips_dir) if self.pips_dir else None,
            "pips": dict(self.pip_problems),
            "uvs": {name: dict(entry) for name, entry in self.uvs.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InstallerSupply:
        pips_dir = data.get("pips_dir")
        return cls(
            pips_dir=Path(pips_dir) if pips_dir else None,
            pip_problems=dict(data.get("pips") or {}),
            uvs=dict(data.get("uvs") or {}),
        )


# -- pip wheels ---------------------------------------------------------------------------------


def pips_dir(cache: Cache) -> Path:
    return cache.path("wheels", "pips")


def _have_pip(directory: Path, pip: str) -> bool:
    return any(directory.glob(f"pip-{pip}.*-py*.whl")) or any(directory.glob(f"pip-{pip}-py*.whl"))


def _download_pip(directory: Path, requirement: str, python_version: str | None) -> str:
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
    """Each pip of the axis (by release: "19.3", "latest") as a wheel in pips_dir; returns
    release -> why it is unavailable."""
    directory = pips_dir(cache)
    directory.mkdir(parents=True, exist_ok=True)
    problems: dict[str, str] = {}
    with cache.lock("pips"):
        for pip in pips:
            if pip != LATEST:
                if not _have_pip(directory, pip):
                    error = _download_pip(directory, Installer.pip(pip).requirement, None)
                    if error and not _have_pip(directory, pip):
                        problems[pip] = f"cannot download pip {pip}: {error}"
                continue
            # The newest pip for each Python of the run (pip drops old Pythons over time).
            for python in sorted(set(python_versions)) or [""]:
                stamp = directory / f".latest-{python or 'host'}"
                fresh = stamp.exists() and time.time() - stamp.stat().st_mtime < LATEST_MAX_AGE
                if fresh:
                    continue
                error = _download_pip(directory, "pip", python or None)
                if not error:
                    stamp.touch()
                elif not any(directory.glob("pip-*.whl")):
                    problems[pip] = f"cannot download the latest pip: {error}"
    return problems


# -- uv binaries --------------------------------------------------------------------------------


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


def _download_uv_for(directory: Path, release: str, platform: str) -> Path | str:
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


def _download_uv(directory: Path, release: str, arch: str) -> Path | str:
    """The release's wheel (its uv binary inside) in directory; or why not. Of the platforms'
    wheels the newest version wins, the preferred platform on a tie, so that "latest" is not
    an old static build where a newer manylinux one exists."""
    found: list[Path] = []
    problems: list[str] = []
    for platform in uv.wheel_platforms(arch):
        got = _download_uv_for(directory, release, platform)
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
    with open_wheel(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith("/scripts/uv"))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(archive.read(name))
    os.chmod(partial, 0o755)
    partial.replace(target)


def _recorded(directory: Path, record: Path) -> UvBinary | None:
    """The uv a record names, where its binary is now and with the bytes it recorded; None
    when there is no such record or binary. The record keeps the binary's path relative to
    the uv directory, so that a cache copied or moved elsewhere still serves (a record made
    before kept it absolute: its last two parts are the same)."""
    try:
        known = json.loads(record.read_text(encoding="utf-8"))
        binary = directory / Path(known["binary"]).parent.name / "uv"
        found = UvBinary(**{**known, "binary": str(binary)})
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not binary.is_file() or _sha256(binary) != found.binary_sha256:
        return None
    return found


def _fetch(directory: Path, release: str, arch: str) -> UvBinary | str:
    record = directory / f"{release}-{arch}.json"
    known = _recorded(directory, record)
    if known is not None:
        fresh = release != LATEST or time.time() - record.stat().st_mtime < LATEST_MAX_AGE
        if fresh:
            return known
    wheel = _download_uv(directory, release, arch)
    if isinstance(wheel, str):
        # Offline with a binary at hand: the one fetched before serves (and is recorded).
        return known or wheel
    binary = directory / f"{_version(wheel)}-{arch}" / "uv"
    if known is None or Path(known.binary) != binary:
        _extract(wheel, binary)  # no record vouches for a binary there: from the wheel
    found = UvBinary(
        release=release,
        version=_version(wheel),
        wheel=wheel.name,
        wheel_sha256=_sha256(wheel),
        binary=str(binary),
        binary_sha256=_sha256(binary),
    )
    kept = {**found.to_json(), "binary": str(binary.relative_to(directory))}
    record.write_text(json.dumps(kept, indent=2))
    return found


def ensure_uvs(
    cache: Cache, releases: Iterable[Installer], arches: Iterable[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each selected uv's binary for each arch; returns (installer@arch -> what was fetched,
    installer -> why it is unavailable)."""
    directory = uv_dir(cache)
    directory.mkdir(parents=True, exist_ok=True)
    fetched: dict[str, dict[str, Any]] = {}
    problems: dict[str, str] = {}
    with cache.lock("uv"):
        for installer in releases:
            for arch in sorted(set(arches)):
                got = _fetch(directory, installer.release, arch)
                if isinstance(got, str):
                    problems[str(installer)] = got
                else:
                    fetched[f"{installer}@{arch}"] = got.to_json()
    return fetched, problems


def supply_for(
    cache: Cache,
    cells: Iterable[tuple[Installer, str]],
    pythons: Iterable[str],
    progress: Progress,
) -> InstallerSupply:
    """What the cells' installers need (cells given as (installer, arch)), fetched: the
    axis's pips for each Python the run's distros have, each uv for each arch it installs on.
    What cannot be fetched is said once and makes those cells `error`."""
    cells = list(cells)
    pips = sorted({i.release for i, _ in cells if not i.is_uv and not i.is_distro})
    problems: dict[str, str] = {}
    directory = None
    if pips:
        versions = {".".join(p.split(".")[:2]) for p in pythons if p}
        progress.line(
            f"pip axis: fetching pip {', '.join(pips)} for Python {', '.join(sorted(versions))}"
        )
        problems = ensure_pips(cache, pips, versions)
        for problem in sorted(problems.values()):
            progress.line(f"pip axis: {problem}")
        directory = pips_dir(cache)
    uvs = sorted({i for i, _ in cells if i.is_uv}, key=lambda i: i.order)
    fetched: dict[str, Mapping[str, Any]] = {}
    if uvs:
        arches = {arch for i, arch in cells if i.is_uv}
        found, failed = ensure_uvs(cache, uvs, arches)
        for entry in found.values():
            progress.line(
                f"installer axis: uv {entry['release']} is {entry['version']} "
                f"(sha256 {entry['binary_sha256'][:16]})"
            )
        for _name, problem in sorted(failed.items()):
            progress.line(f"installer axis: {problem}")
        fetched = {**found, **{name: {"error": why} for name, why in failed.items()}}
    return InstallerSupply(directory, problems, fetched)
