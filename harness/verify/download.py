"""`verify --download REQUIREMENT...`: wheels straight from the index, fetched on the host with
pip download, for each Python and arch of the selected distros, into the cache; verify then
probes them offline like any given wheel.

pip chooses: with --only-binary=:all: and the target's platform tags it takes the newest
release that has a Linux wheel for that Python and arch, and the same for the dependencies
(scipy brings numpy). The platform tags offered are every manylinux policy up to the newest
glibc among the selected distros, so that a wheel too new for an older distro is fetched too
and judged there (refused as claimed, or not); for musl distros, every musllinux policy up to
their newest musl, fetched as a target of its own.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement

from harness.errors import UsageError

if TYPE_CHECKING:
    from harness.catalog.model import Distro
    from harness.util.progress import Progress

# pip's words for a file it saved now or had already: the path follows.
_FILE = re.compile(r"^\s*(?:Saved|File was already downloaded)\s+(?P<path>\S+\.whl)\s*$")
_LEGACY = {(2, 5): "manylinux1", (2, 12): "manylinux2010", (2, 17): "manylinux2014"}
_OLDEST = 5  # glibc 2.5, manylinux1's floor
_OLDEST_MUSL = 1  # musl 1.1, musllinux_1_1's floor (PEP 656 names none older)


@dataclass(frozen=True)
class Target:
    python: str  # "3.11"
    arch: str
    # the newest libc among the selected distros of this arch and libc: glibc's, or musl's
    glibc: tuple[int, int]
    libc: str = "glibc"  # or "musl"

    @property
    def label(self) -> str:
        musl = "-musl" if self.libc == "musl" else ""
        return f"cp{self.python.replace('.', '')}-{self.arch}{musl}"

    def platforms(self) -> tuple[str, ...]:
        """manylinux_2_5 ... manylinux_2_<glibc> of the arch, and the legacy aliases; for musl,
        musllinux_1_1 ... musllinux_1_<musl>."""
        major, newest = self.glibc
        if self.libc == "musl":
            return tuple(
                f"musllinux_{major}_{minor}_{self.arch}"
                for minor in range(_OLDEST_MUSL, newest + 1)
            )
        found = []
        for minor in range(_OLDEST, newest + 1):
            found.append(f"manylinux_{major}_{minor}_{self.arch}")
            if (major, minor) in _LEGACY:
                found.append(f"{_LEGACY[(major, minor)]}_{self.arch}")
        return tuple(found)


def _glibc(text: str) -> tuple[int, int] | None:
    parts = text.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return None
    return int(parts[0]), int(parts[1])


def _libc(distro: Distro) -> tuple[str, tuple[int, int]]:
    """The distro's C library as the catalog expects it, and its version."""
    musl = _glibc(distro.expected_musl)
    if musl is not None:
        return "musl", musl
    return "glibc", _glibc(distro.expected_glibc) or (2, 17)


def targets(distros: Sequence[Distro]) -> tuple[Target, ...]:
    """One target per (Python, arch, libc) of the distros, as the catalog expects them."""
    newest: dict[tuple[str, str], tuple[int, int]] = {}
    found: set[tuple[str, str, str]] = set()
    for distro in distros:
        libc, version = _libc(distro)
        place = (distro.arch.name, libc)
        newest[place] = max(newest.get(place, version), version)
        if _glibc(distro.expected_python) is not None:
            found.add((distro.expected_python, distro.arch.name, libc))
    if not found:
        raise UsageError(
            "the selected distros name no Python version in the catalog: --download cannot "
            "tell which wheels to fetch; download them yourself and pass the files"
        )
    return tuple(
        Target(python, arch, newest[(arch, libc)], libc)
        for python, arch, libc in sorted(found, key=lambda t: (t[1], t[2], _glibc(t[0])))
    )


def pip_download_command(requirement: str, target: Target, directory: Path) -> list[str]:
    command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check"]
    command += ["--only-binary=:all:", "--implementation", "cp"]
    command += ["--python-version", target.python, "-d", str(directory)]
    for platform in target.platforms():
        command += ["--platform", platform]
    return [*command, requirement]


Runner = Callable[[list[str]], tuple[int, str]]  # command -> (exit status, output)


def run_pip(command: list[str]) -> tuple[int, str]:
    proc = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    return proc.returncode, proc.stdout + proc.stderr


def saved_files(output: str, directory: Path) -> list[Path]:
    """The wheels pip says it saved or already had, in the order it names them."""
    found = []
    for line in output.splitlines():
        match = _FILE.match(line)
        if match:
            path = Path(match.group("path"))
            found.append(path if path.is_absolute() else directory / path.name)
    return found


def check_requirements(requirements: Sequence[str]) -> None:
    """Each argument a requirement (PEP 508), never an option pip would take as its own:
    `verify --download -- --index-url=...` would hand pip another index behind the record's
    back. One line naming the argument and the fix."""
    for text in requirements:
        if text.startswith("-"):
            raise UsageError(
                f"verify --download: {text!r} is an option, not a requirement: name "
                "requirements only (e.g. numpy 'scipy>=1.11'); pip's index and trust come "
                "from its own configuration (PIP_INDEX_URL, pip.conf)"
            )
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            raise UsageError(
                f"verify --download: {text!r} is not a requirement ({str(exc).splitlines()[0]}): write "
                "e.g. numpy "
                "or 'scipy>=1.11'"
            ) from None


def fetch(
    requirements: Sequence[str],
    wanted: Sequence[Target],
    cache_dir: Callable[[Target], Path],
    progress: Progress,
    run: Runner = run_pip,
) -> tuple[Path, ...]:
    """Every requirement for every target: the wheels pip fetched (or had), deduplicated.
    A requirement with no wheel for one target is a progress line, not an error: the other
    targets still get theirs. Nothing at all is a UsageError."""
    phase = progress.phase("downloads", len(requirements) * len(wanted))
    found: dict[str, Path] = {}
    for requirement in requirements:
        for target in wanted:
            directory = cache_dir(target)
            directory.mkdir(parents=True, exist_ok=True)
            status, output = run(pip_download_command(requirement, target, directory))
            files = saved_files(output, directory)
            item = f"{requirement} for {target.label}"
            if status != 0 or not files:
                lines = [line for line in output.strip().splitlines() if line.strip()]
                phase.finish(item, f"no wheel: {(lines or ['pip said nothing'])[-1][:200]}")
                continue
            for path in files:
                found.setdefault(path.name, path)
            phase.finish(item, ", ".join(p.name for p in files))
    if not found:
        raise UsageError(
            f"pip download found no Linux wheel for {', '.join(requirements)} for "
            f"{', '.join(t.label for t in wanted)}: check the names, or the index's reach"
        )
    return tuple(found[name] for name in sorted(found))
