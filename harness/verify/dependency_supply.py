"""What the given wheels need besides themselves, fetched on the host (probe containers have
no network): wheels of their runtime dependencies (Requires-Dist, with the test extras) and of
the test requirements, for each distinct (Python, arch, platform tags) of the selected
distros, into the wheel cache keyed by exactly what determines them. A second run with the
same inputs fetches nothing. pip downloads with `--only-binary=:all:`, so nothing is built
on the host: a requirement that has no wheel for a target makes that target's cells `error`,
naming it (never a violation of the wheel under test). The dependency wheels are served to
the installer as find-links beside the given wheels: installed, never judged."""

from __future__ import annotations

import email.parser
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from harness.catalog.model import Distro
from harness.errors import UsageError
from harness.util.cache import Cache, key_of
from harness.util.progress import Progress
from harness.verify.given_wheels import GivenWheel, parse_wheel

_LEGACY = {(2, 5): "manylinux1", (2, 12): "manylinux2010", (2, 17): "manylinux2014"}
_NO_WHEEL = re.compile(
    r"No matching distribution found for (?P<a>\S+)"
    r"|Could not find a version that satisfies the requirement (?P<b>\S+)"
)
DONE = "fetched.json"  # written last: an entry without it is incomplete
_ROUNDS = 6
# What an entry holds and how it was resolved: a change of either makes new entries.
_LAYOUT = 2


@dataclass(frozen=True)
class Target:
    """One (Python, arch, libc and its version) the selected distros present."""

    python: str  # "3.11"
    arch: str
    libc: str  # "glibc" or "musl"
    version: tuple[int, int]  # glibc's; (1, 2) for musl (musllinux_1_2 is the newest tag)

    @property
    def label(self) -> str:
        family = "manylinux" if self.libc == "glibc" else "musllinux"
        major, minor = self.version
        return f"cp{self.python.replace('.', '')}-{family}_{major}_{minor}_{self.arch}"

    def platforms(self) -> tuple[str, ...]:
        """Every platform tag this system takes, newest first (as pip would order them)."""
        major, newest = self.version
        if self.libc == "musl":
            return tuple(f"musllinux_{major}_{m}_{self.arch}" for m in range(newest, -1, -1))
        found = []
        for minor in range(newest, 4, -1):
            found.append(f"manylinux_{major}_{minor}_{self.arch}")
            if (major, minor) in _LEGACY:
                found.append(f"{_LEGACY[(major, minor)]}_{self.arch}")
        return tuple(found)

    def marker_environment(self) -> dict[str, str]:
        """PEP 508's marker variables of this target's interpreter."""
        found = {k: str(v) for k, v in default_environment().items()}
        found.update(
            python_version=self.python,
            python_full_version=f"{self.python}.0",
            implementation_name="cpython",
            implementation_version=f"{self.python}.0",
            platform_python_implementation="CPython",
            platform_machine=self.arch,
            platform_system="Linux",
            sys_platform="linux",
            os_name="posix",
        )
        return found


def target_of(distro: Distro) -> Target | None:
    """The distro's target, from the catalog; None when it names no Python."""
    python = distro.expected_python.split(".")
    if len(python) < 2 or not all(p.isdigit() for p in python[:2]):
        return None
    if distro.expected_glibc == "none":
        return Target(".".join(python[:2]), distro.arch.name, "musl", (1, 2))
    glibc = distro.expected_glibc.split(".")
    version = (int(glibc[0]), int(glibc[1])) if all(g.isdigit() for g in glibc[:2]) else (2, 17)
    return Target(".".join(python[:2]), distro.arch.name, "glibc", version)


def requires_dist(path: Path) -> tuple[str, ...]:
    """The wheel's Requires-Dist lines (its METADATA), as written."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                text = archive.read(name).decode("utf-8", "replace")
                message = email.parser.HeaderParser().parsestr(text)
                return tuple(str(v).strip() for v in message.get_all("Requires-Dist") or ())
    return ()


def _applies(requirement: Requirement, environment: dict[str, str], extras: Sequence[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(
        requirement.marker.evaluate({**environment, "extra": extra}) for extra in ("", *extras)
    )


def requirements_for(
    target: Target,
    wheels: Iterable[tuple[GivenWheel, Sequence[str]]],
    test_requires: Sequence[str],
) -> tuple[str, ...]:
    """What pip must find for this target besides the given wheels: each given wheel's
    dependencies (with its extras) and the test requirements whose markers hold there,
    without the markers, and without the given wheels' own projects (the pool serves them)."""
    wheels = list(wheels)
    given = {canonicalize_name(w.project) for w, _ in wheels}
    environment = target.marker_environment()
    found: dict[str, None] = {}
    lines = [(line, extras, str(w.path)) for w, extras in wheels for line in requires_dist(w.path)]
    lines += [(line, (), "test-requires") for line in test_requires]
    for line, extras, source in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement as exc:
            raise UsageError(f"{source}: requirement {line!r} is not valid: {exc}") from None
        if canonicalize_name(requirement.name) in given:
            continue
        if not _applies(requirement, environment, extras):
            continue
        requirement.marker = None
        found[str(requirement)] = None
    return tuple(sorted(found))


@dataclass(frozen=True)
class Supplied:
    """A target's dependency wheels: their directory (inside the wheel cache), or why they
    could not be had; and how many files this run downloaded for it."""

    directory: Path | None = None
    problem: str = ""
    downloaded: int = 0
    requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class DependencySupply:
    by_target: dict[str, Supplied] = field(default_factory=dict)  # target label ->

    def get(self, target: Target | None) -> Supplied:
        return self.by_target.get(target.label, Supplied()) if target else Supplied()

    @property
    def directories(self) -> tuple[Path, ...]:
        return tuple(sorted({s.directory for s in self.by_target.values() if s.directory}))

    @property
    def downloaded(self) -> int:
        return sum(s.downloaded for s in self.by_target.values())

    def to_json(self) -> dict[str, object]:
        return {
            label: {
                "directory": str(s.directory) if s.directory else None,
                "problem": s.problem,
                "downloaded": s.downloaded,
                "requirements": list(s.requirements),
            }
            for label, s in sorted(self.by_target.items())
        }


Runner = Callable[[list[str]], tuple[int, str]]  # command -> (exit status, output)


def run_pip(command: list[str]) -> tuple[int, str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    return done.returncode, done.stdout + done.stderr


def download_command(
    target: Target, requirements: Sequence[str], constraints: Path, directory: Path
) -> list[str]:
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check"]
    command += ["--only-binary=:all:", "--implementation", "cp"]
    command += ["--python-version", target.python, "--dest", str(directory)]
    command += ["--constraint", str(constraints)]
    for platform in target.platforms():
        command += ["--platform", platform]
    return [*command, *requirements]


def pins(wheels: Iterable[GivenWheel]) -> tuple[str, ...]:
    """The given projects at their given versions: what the dependencies resolve against, so
    that pip never prefers an index release of a project that was given."""
    return tuple(sorted({f"{w.project}=={w.version}" for w in wheels}))


def fetch_target(
    cache: Cache,
    target: Target,
    requirements: tuple[str, ...],
    constraints: tuple[str, ...],
    run: Runner = run_pip,
) -> Supplied:
    """The target's wheels in a cache entry keyed by the target, the requirements and the
    pins; an entry already complete is used as it is (nothing downloaded)."""
    if not requirements:
        return Supplied(requirements=requirements)
    key = key_of(
        "dependencies", _LAYOUT, target.label, target.platforms(), requirements, constraints
    )
    entry = cache.path("wheels", f"deps-{target.label}-{key}")
    with cache.lock(f"deps-{key}"):
        if (entry / DONE).is_file():
            return Supplied(entry, requirements=requirements)
        try:
            with cache.new_entry(entry) as scratch:
                pinned = scratch / "constraints.txt"
                pinned.write_text("".join(f"{line}\n" for line in constraints), encoding="utf-8")
                wanted = requirements
                # pip evaluates the markers of what it pulls in with the host's interpreter,
                # not the target's (exceptiongroup for Python < 3.11): what the downloaded
                # wheels need there is asked for again, until nothing is missing.
                for _round in range(_ROUNDS):
                    status, output = run(download_command(target, wanted, pinned, scratch))
                    if status != 0:
                        raise _NotFetched(_problem(output, target))
                    wanted = missing(target, scratch)
                    if not wanted:
                        break
                pinned.unlink()
                files = sorted(p.name for p in scratch.glob("*.whl"))
                (scratch / DONE).write_text("\n".join(files) + "\n", encoding="utf-8")
        except _NotFetched as failed:  # nothing is kept: the next run tries again
            return Supplied(problem=str(failed), requirements=requirements)
    Cache.share_read_only(entry)
    return Supplied(entry, downloaded=len(files), requirements=requirements)


def missing(target: Target, directory: Path) -> tuple[str, ...]:
    """What the wheels in `directory` need on the target that no wheel there provides."""
    wheels = [parse_wheel(p) for p in sorted(directory.glob("*.whl"))]
    present = {canonicalize_name(w.project) for w in wheels}
    needed = requirements_for(target, [(w, ()) for w in wheels], ())
    return tuple(r for r in needed if canonicalize_name(Requirement(r).name) not in present)


class _NotFetched(Exception):
    pass


def _problem(output: str, target: Target) -> str:
    match = _NO_WHEEL.search(output)
    if match:
        name = match["a"] or match["b"]
        return (
            f"{name} has no wheel for {target.label} on the index (only an sdist, or none): "
            "verify builds nothing; give its wheel with the wheels, or skip the tests there "
            "(test-skip)"
        )
    lines = [line for line in output.strip().splitlines() if line.strip()] or ["no output"]
    return f"pip download for {target.label} failed: {lines[-1][:240]}"


def supply(
    cache: Cache,
    targets: Sequence[Target],
    wanted: Callable[[Target], tuple[str, ...]],
    constraints: tuple[str, ...],
    progress: Progress,
    run: Runner = run_pip,
) -> DependencySupply:
    """Every target's dependency wheels, one pip download per target not yet in the cache."""
    phase = progress.phase("dependencies", len(targets))
    found: dict[str, Supplied] = {}
    for target in targets:
        requirements = wanted(target)
        got = fetch_target(cache, target, requirements, constraints, run)
        found[target.label] = got
        if got.problem:
            how = got.problem
        elif not requirements:
            how = "none needed"
        else:
            how = f"{len(requirements)} requirement(s), {got.downloaded} file(s) downloaded"
        phase.finish(target.label, how)
    return DependencySupply(found)
