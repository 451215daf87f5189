"""The static scan of many projects' published Linux wheels (no containers): which of their
ELF files the loader will refuse or run short for (harness.analysis.lint's loader findings,
beside auditwheel's analysis), and on which distros of the catalog that would break.

Pure: choosing the wheels of a project's file list, and turning inspections into rows. The
fetching (the index's JSON file lists, the downloads) is bin/scan_static.py's, at the edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from harness.errors import UsageError
from harness.probe.facts import version_tuple
from harness.vocab.platform_tags import Family, parse_platform

# Every arch a Linux wheel is published for that the scan reads (manylinux arch names).
ARCHES = ("x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x")
MAX_BYTES = 100 * 1024 * 1024
# Releases scanned per project: the newest, and the newest of older series users still pin.
RELEASES = 3


@dataclass(frozen=True)
class IndexFile:
    """One file of a project's index page (PEP 691 JSON)."""

    filename: str
    url: str
    size: int  # bytes; -1 when the index does not say (PEP 700)
    sha256: str = ""
    yanked: bool = False


@dataclass(frozen=True)
class Chosen:
    project: str
    version: str
    arch: str
    file: IndexFile
    skipped: str = ""  # why it is not downloaded (over the size limit)


def read_requirements(text: str, where: str) -> list[Requirement]:
    """A requirements-style list: one requirement a line (extras and markers ignored), `#`
    comments and blank lines skipped."""
    found = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            found.append(Requirement(line))
        except InvalidRequirement as exc:
            raise UsageError(
                f"{where}:{number}: {line!r} is not a requirement ({exc}): write NAME or NAME==VERSION"
            ) from None
    if not found:
        raise UsageError(f"{where} names no project: write one requirement a line")
    return found


def _python_rank(wheel: str) -> tuple[int, int]:
    """Prefer the one abi3 wheel, then the newest CPython's: one wheel per release and arch
    stands for the others (they carry the same libraries, built for another interpreter)."""
    _, _, _, tags = parse_wheel_filename(wheel)
    best = (0, 0)
    for tag in tags:
        if tag.abi == "abi3":
            return (2, 0)
        if tag.interpreter.startswith("cp") and tag.interpreter[2:].isdigit():
            minor = int(tag.interpreter[3:] or 0) if tag.interpreter[2] == "3" else 0
            best = max(best, (1, minor))
    return best


def _release_key(version: Version) -> tuple[int, ...]:
    return version.release[:2]


def choose_releases(versions: Iterable[Version], count: int = RELEASES) -> list[Version]:
    """The newest final release, then the newest of each older (major, minor) series before
    it, `count` in all: the series users pin (numpy 1.26 beside 2.x)."""
    finals = sorted({v for v in versions if not v.is_prerelease and not v.is_devrelease})
    chosen: list[Version] = []
    seen: set[tuple[int, ...]] = set()
    for version in reversed(finals):
        series = _release_key(version)
        if series in seen:
            continue
        seen.add(series)
        chosen.append(version)
        if len(chosen) == count:
            break
    return chosen


def choose_wheels(
    project: str,
    files: Sequence[IndexFile],
    requirement: Requirement,
    arches: Sequence[str] = ARCHES,
    releases: int = RELEASES,
    max_bytes: int = MAX_BYTES,
) -> list[Chosen]:
    """One wheel per release, arch and glibc floor of the project's manylinux wheels: the
    releases the requirement allows (choose_releases), each arch it publishes."""
    by_release: dict[Version, list[tuple[IndexFile, str, tuple[int, int]]]] = {}
    for file in files:
        if file.yanked or not file.filename.endswith(".whl"):
            continue
        try:
            name, version, _, tags = parse_wheel_filename(file.filename)
        except (InvalidWheelFilename, InvalidVersion):
            continue
        if canonicalize_name(name) != canonicalize_name(project):
            continue
        if requirement.specifier and version not in requirement.specifier:
            continue
        # the glibc floor per arch of the name's manylinux tags (the lowest it claims)
        floors: dict[str, tuple[int, int]] = {}
        for platform in map(parse_platform, {t.platform for t in tags}):
            if platform.family is Family.MANYLINUX and platform.arch in arches and platform.floor:
                floors[platform.arch] = min(platform.floor, floors.get(platform.arch, (99, 0)))
        for arch, floor in sorted(floors.items()):
            by_release.setdefault(version, []).append((file, arch, floor))
    chosen = []
    for version in choose_releases(by_release, releases):
        best: dict[tuple[str, tuple[int, int]], IndexFile] = {}
        for file, arch, floor in by_release[version]:
            key = (arch, floor)
            if key not in best or _python_rank(file.filename) > _python_rank(best[key].filename):
                best[key] = file
        for (arch, _), file in sorted(best.items()):
            too_big = 0 <= max_bytes < file.size
            chosen.append(
                Chosen(
                    project,
                    str(version),
                    arch,
                    file,
                    f"{file.size / 2**20:.0f} MB, over the {max_bytes // 2**20} MB limit"
                    if too_big
                    else "",
                )
            )
    return chosen


def index_files(page: Mapping[str, Any]) -> list[IndexFile]:
    """The files of a PEP 691 JSON project page."""
    found = []
    for entry in page.get("files", []):
        yanked = entry.get("yanked", False)
        found.append(
            IndexFile(
                filename=str(entry["filename"]),
                url=str(entry["url"]),
                size=int(entry.get("size", -1)),
                sha256=str(entry.get("hashes", {}).get("sha256", "")),
                yanked=bool(yanked),
            )
        )
    return found


def breaking_distros(
    breaks: str, distros: Mapping[str, str], floor: tuple[int, int] | None = None
) -> list[str]:
    """The glibc distros (name -> glibc; "none" for a musl one) a finding's condition
    ("glibc >= 2.41", "glibc < 2.34") holds on, among those the wheel's claim covers (glibc
    at least its tag's `floor`: below it no installer takes the wheel); none for a condition
    that is not on glibc (load order, a library's version)."""
    operator, _, version = breaks.removeprefix("glibc ").partition(" ")
    if not breaks.startswith("glibc ") or operator not in (">=", "<"):
        return []
    bound = version_tuple(version)
    found = []
    for name, glibc in distros.items():
        have = version_tuple(glibc) if glibc else ()
        if not have or (floor is not None and have < floor):
            continue
        if (have >= bound) if operator == ">=" else (have < bound):
            found.append(name)
    return found


def finding_rows(
    chosen: Chosen, inspection: Mapping[str, Any], distros: Mapping[str, str]
) -> list[dict[str, Any]]:
    """A row per loader finding of one scanned wheel (LOADER_KINDS), with the distros of its
    arch where it would break."""
    from harness.analysis.lint import LOADER_KINDS

    claimed = inspection.get("claimed_policy")
    floor = parse_platform(claimed).floor if isinstance(claimed, str) else None
    if floor is not None and parse_platform(str(claimed)).family is not Family.MANYLINUX:
        floor = None
    rows = []
    for finding in inspection.get("lint", []):
        if finding["kind"] not in LOADER_KINDS:
            continue
        breaks = str(finding.get("breaks", ""))
        rows.append(
            {
                "project": chosen.project,
                "version": chosen.version,
                "arch": chosen.arch,
                "wheel": chosen.file.filename,
                "kind": finding["kind"],
                "file": finding["file"],
                "detail": finding["detail"],
                "breaks": breaks,
                "distros": breaking_distros(breaks, distros, floor),
            }
        )
    return rows
