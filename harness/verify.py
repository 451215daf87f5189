"""`manylinux-harness verify WHEEL_OR_DIR... [--check CMD]`: wheels built elsewhere (e.g.
downloaded from PyPI) through the same probe as the corpus, in the selected distros.

Nothing is built. The given wheels are copied into a content-addressed pool under the wheel
cache, which DistroProbe mounts as it mounts the corpus's wheelhouses; every distro gets one
container; per (wheel set, distro) the distro's own pip installs the set from the pool with no
network, then each top-level module of the set is imported in a fresh process and, with
--check, the command runs. Expectations come from the tags (packaging's tag logic, measured in
the container) and Requires-Python; verdicts, records and reports are the matrix's own.

Wheel sets: wheels of distinct projects are installed together, as a user installing them
would (a directory with a wheel and its dependencies is one set). Several wheels of one
project (other Pythons, platforms or versions) cannot be installed together: each is a set of
its own. Every set installs with the whole pool as --find-links, so its dependencies resolve
among the given wheels.

The pure logic (what the wheels are, how they group, which modules to import, what a cell's
outcome means) is kept apart from the effects (`run`), and is what tests/unit exercises.
"""

from __future__ import annotations

import argparse
import dataclasses
import email.parser
import hashlib
import os
import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from harness import observation as obs
from harness.errors import HarnessError, UsageError
from harness.facts import DistroFacts
from harness.session import distro_entry
from harness.verdict import Decision, Verdict, decide, diagnosis

# Engines, images, auditwheel's policy data: imported where used, so that `register` (run for
# every command line) stays cheap.
if TYPE_CHECKING:
    from harness.cache import Cache
    from harness.catalog import Catalog, Distro
    from harness.container import Engine
    from harness.expectation import Expectation
    from harness.probe import DistroProbe
    from harness.progress import Progress
    from harness.results import CellRecord, RunRecord
    from harness.settings import Settings

KIND = "wheel"
BUILD_IMAGE = "external"  # nothing was built: the member's "build image"
BUILD_STATUS = "given"
CROSS_ARCH_REASON = "a wheel of another architecture: pip must refuse it"
CHECK_LABEL = "command"
DEFAULT_RESULTS = Path("results/verify")

# Top-level names a wheel may carry that are no part of its runtime: importing them proves
# nothing, and some run code (setup.py calls setup(), conftest.py imports pytest).
NOT_RUNTIME = frozenset({"setup", "conftest", "test", "tests", "docs", "doc", "examples"})
_LINUX_PLATFORM = re.compile(r"^(?:manylinux|musllinux|linux_)")
_MUSLLINUX = re.compile(r"^musllinux_(\d+)_(\d+)_")
_PLATFORM_ARCH = re.compile(
    r"^(?:manylinux_\d+_\d+|manylinux1|manylinux2010|manylinux2014|musllinux_\d+_\d+|linux)"
    r"_(?P<arch>.+)$"
)
_DEPENDENCY = re.compile(
    r"No matching distribution found for (\S+)"
    r"|Could not find a version that satisfies the requirement (\S+)"
)
_SO_SUFFIX = re.compile(r"^(?P<name>[^.]+)(?:\.[^.]+)*\.so$")


# -- the wheels --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GivenWheel:
    path: Path
    filename: str
    project: str  # canonical (PEP 503), for grouping
    distribution: str  # as the file name spells it, e.g. "MarkupSafe"
    version: str
    tags: tuple[str, ...]  # interpreter-abi-platform, every one the name expands to
    platforms: tuple[str, ...]

    @property
    def release(self) -> str:
        return f"{self.distribution}-{self.version}"

    @property
    def stem(self) -> str:
        return self.filename.removesuffix(".whl")

    @property
    def arches(self) -> tuple[str, ...]:
        return wheel_arches(self.platforms)

    @property
    def is_linux(self) -> bool:
        return all(p == "any" or _LINUX_PLATFORM.match(p) for p in self.platforms)


def wheel_arches(platforms: Iterable[str]) -> tuple[str, ...]:
    """The architectures Linux platform tags name ("manylinux2014_x86_64" -> x86_64); none
    for "any"."""
    return tuple(sorted({m.group("arch") for p in platforms if (m := _PLATFORM_ARCH.match(p))}))


def parse_wheel(path: Path) -> GivenWheel:
    try:
        name, version, _build, tags = parse_wheel_filename(path.name)
    except InvalidWheelFilename as exc:
        raise UsageError(
            f"{path}: not a valid wheel file name ({exc}): wheels are named "
            "NAME-VERSION[-BUILD]-PYTHON-ABI-PLATFORM.whl; keep the name the wheel was built with"
        ) from None
    return GivenWheel(
        path=path,
        filename=path.name,
        project=canonicalize_name(name),
        distribution=path.name.split("-", 1)[0],
        version=str(version),
        tags=tuple(sorted(str(t) for t in tags)),
        platforms=tuple(sorted({t.platform for t in tags})),
    )


@dataclass(frozen=True)
class Collected:
    wheels: tuple[GivenWheel, ...]
    skipped: tuple[str, ...]  # wheels of other platforms found in directories (one line each)


def collect(paths: Sequence[Path]) -> Collected:
    """The wheels the arguments name: files as given, directories' *.whl (not recursive: a
    wheelhouse is flat). Bad input is a UsageError naming the thing and the fix."""
    wheels: dict[str, GivenWheel] = {}
    skipped: list[str] = []
    for path in paths:
        if not path.exists():
            raise UsageError(
                f"{path} does not exist: pass wheel files (*.whl) or directories of wheels"
            )
        if path.is_dir():
            found = sorted(p for p in path.glob("*.whl") if p.is_file())
            if not found:
                raise UsageError(
                    f"{path} holds no *.whl file: pass a directory of wheels "
                    "(e.g. filled by `pip download --only-binary=:all: -d DIR ...`)"
                )
            parsed = [_checked_wheel(p) for p in found]
            linux = [w for w in parsed if w.is_linux]
            skipped += [
                f"{w.path}: a wheel for {', '.join(w.platforms)}, not Linux"
                for w in parsed
                if not w.is_linux
            ]
            if not linux:
                raise UsageError(
                    f"{path} holds no Linux wheel ({len(parsed)} for other platforms): "
                    "pass manylinux, musllinux, linux or pure-Python wheels"
                )
        else:
            if path.suffix != ".whl":
                raise UsageError(
                    f"{path} is not a wheel (*.whl): pass wheel files or directories of wheels"
                )
            linux = [_checked_wheel(path)]
            if not linux[0].is_linux:
                raise UsageError(
                    f"{path} is a wheel for {', '.join(linux[0].platforms)}, not Linux: "
                    "verify probes Linux distros; pass manylinux, musllinux, linux or "
                    "pure-Python wheels"
                )
        for wheel in linux:
            known = wheels.get(wheel.filename)
            if known is None:
                wheels[wheel.filename] = wheel
            elif known.path.resolve() != wheel.path.resolve() and file_digest(
                known.path
            ) != file_digest(wheel.path):
                raise UsageError(
                    f"{known.path} and {wheel.path} are different files with the same name: "
                    "pass only one of them"
                )
    return Collected(tuple(sorted(wheels.values(), key=lambda w: w.filename)), tuple(skipped))


def _checked_wheel(path: Path) -> GivenWheel:
    wheel = parse_wheel(path)
    if not zipfile.is_zipfile(path):
        raise UsageError(f"{path} is not a zip archive (a broken download?): download it again")
    return wheel


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- wheel sets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WheelSet:
    """Wheels pip installs together in one cell."""

    wheels: tuple[GivenWheel, ...]
    labels: tuple[str, ...]  # one per wheel: its release, or its file name when ambiguous

    @property
    def label(self) -> str:
        return " + ".join(self.labels)

    def foreign(self, arch: str) -> tuple[str, ...]:
        """The other architectures its platform wheels are built for, offered to `arch`."""
        return tuple(
            sorted({a for w in self.wheels if w.arches and arch not in w.arches for a in w.arches})
        )

    def row(self, arch: str) -> str:
        """The report row, per distro arch (as the matrix marks a wheel of another arch)."""
        parts = []
        for wheel, label in zip(self.wheels, self.labels, strict=True):
            if wheel.arches and arch not in wheel.arches:
                label = f"{label} ({', '.join(wheel.arches)} wheel)"
            parts.append(label)
        return " + ".join(parts)

    def key(self, arch: str, distro: str) -> str:
        """Stable identity across runs, in the matrix's format (what the gate compares)."""
        return f"{self.row(arch)} | {arch} | {distro} | pip=distro"

    def test_id(self, arch: str, distro: str) -> str:
        parts = ["+".join(self.labels), arch, distro]
        foreign = self.foreign(arch)
        if foreign:
            parts.append("from-" + "-".join(foreign))
        return "-".join(parts)


def variant(wheel: GivenWheel) -> str:
    """What tells wheels of one release apart: Python and best platform claim, e.g.
    "cp39, manylinux_2_17_x86_64" or "cp311-abi3, musllinux_1_2_aarch64"."""
    pythons = []
    for pair in sorted({tuple(t.split("-")[:2]) for t in wheel.tags}):
        pythons.append(pair[0] if pair[0] == pair[1] else "-".join(pair))
    platform = claimed_policy(wheel.platforms)
    if wheel.arches:
        platform += "_" + "/".join(wheel.arches)
    return f"{'.'.join(pythons)}, {platform}"


def wheel_labels(wheels: Sequence[GivenWheel], among: Sequence[GivenWheel]) -> tuple[str, ...]:
    """ "MarkupSafe-2.1.5" where that release has one wheel among all given; with its variant,
    "MarkupSafe-2.1.5 (cp39, manylinux_2_17_x86_64)", where it has several (e.g. one per
    Python); the file name where even that is ambiguous. Rows never collide."""
    releases: dict[tuple[str, str], list[GivenWheel]] = {}
    for wheel in among:
        releases.setdefault((wheel.project, wheel.version), []).append(wheel)
    labels = []
    for wheel in wheels:
        siblings = releases.get((wheel.project, wheel.version), [wheel])
        if len(siblings) == 1:
            labels.append(wheel.release)
        elif len({variant(w) for w in siblings}) == len(siblings):
            labels.append(f"{wheel.release} ({variant(wheel)})")
        else:
            labels.append(wheel.stem)
    return tuple(labels)


def group(wheels: Sequence[GivenWheel]) -> tuple[WheelSet, ...]:
    """One set of every project given once, installed together; plus, for every project given
    more than once, one set per wheel of it (pip cannot install two wheels of one project)."""
    per_project = Counter(w.project for w in wheels)
    singles = tuple(w for w in wheels if per_project[w.project] == 1)
    alternatives = sorted(
        (w for w in wheels if per_project[w.project] > 1), key=lambda w: (w.project, w.filename)
    )
    sets = [WheelSet((w,), wheel_labels([w], wheels)) for w in alternatives]
    if singles:
        ordered = tuple(sorted(singles, key=lambda w: w.project))
        sets.append(WheelSet(ordered, wheel_labels(ordered, wheels)))
    return tuple(sets)


def pool_key(digests: Mapping[str, str]) -> str:
    """Content address of a pool of wheels: file names and their bytes' digests."""
    text = "\n".join(f"{name} {digests[name]}" for name in sorted(digests))
    return "verify-" + hashlib.sha256(text.encode()).hexdigest()[:16]


# -- what to import --------------------------------------------------------------------------


def _module_name(filename: str) -> str | None:
    """ "foo.py" / "foo.pyc" / "foo.cpython-311-x86_64-linux-gnu.so" / "foo.abi3.so" -> "foo"."""
    if filename.endswith((".py", ".pyc")):
        name = filename.rsplit(".", 1)[0]
    else:
        match = _SO_SUFFIX.match(filename)
        if match is None:
            return None
        name = match.group("name")
    return name if name.isidentifier() else None


def _is_package(entries: set[str]) -> bool:
    return any(
        e == "__init__.py" or e == "__init__.pyc" or e.startswith("__init__.") for e in entries
    )


def _install_path(name: str) -> str | None:
    """Where a zip entry lands relative to site-packages; None for what is not importable
    (metadata, vendored libraries, a .data dir's scripts, headers and data)."""
    parts = name.split("/")
    first = parts[0]
    if first.endswith(".dist-info") or first.endswith(".libs"):
        return None
    if first.endswith(".data"):
        # purelib and platlib install into site-packages like the wheel's root does.
        if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
            return "/".join(parts[2:])
        return None
    return name


def _modules_under(tree: Mapping[str, set[str]], directory: str, depth: int) -> list[str]:
    """Regular packages and modules under a namespace directory, as dotted names."""
    entries = tree.get(directory, set())
    if _is_package(entries):
        return [directory.replace("/", ".")]
    if depth <= 0:
        return []
    found: list[str] = []
    for entry in sorted(entries):
        child = f"{directory}/{entry}"
        if child in tree:
            if entry.isidentifier() and entry != "__pycache__":
                found += _modules_under(tree, child, depth - 1)
        else:
            module = _module_name(entry)
            if module is not None:
                found.append(f"{directory.replace('/', '.')}.{module}")
    return found


def discover_modules(
    names: Iterable[str], top_level: Sequence[str] | None = None
) -> tuple[str, ...]:
    """The modules to import from a wheel's zip listing: top-level packages and modules
    (namespace packages are followed to the regular packages in them), narrowed to
    top_level.txt when the wheel has one and it names any of them. Private names ("_x") only
    when there is nothing else; never the names of NOT_RUNTIME."""
    tree: dict[str, set[str]] = {"": set()}
    for name in names:
        path = _install_path(name)
        if not path or path.endswith("/"):
            continue
        parts = path.split("/")
        for depth in range(len(parts)):
            parent = "/".join(parts[:depth])
            tree.setdefault(parent, set()).add(parts[depth])
            if depth < len(parts) - 1:
                tree.setdefault("/".join(parts[: depth + 1]), set())
    found: list[str] = []
    for entry in sorted(tree[""]):
        if entry in tree:
            if entry.isidentifier() and entry != "__pycache__":
                found += _modules_under(tree, entry, depth=3)
        else:
            module = _module_name(entry)
            if module is not None:
                found.append(module)
    found = [m for m in dict.fromkeys(found) if m.split(".")[0] not in NOT_RUNTIME]
    wanted = {n.strip().replace("/", ".") for n in top_level or () if n.strip()}
    if wanted:
        named = [m for m in found if m.split(".")[0] in wanted or m in wanted]
        found = named or found  # a top_level.txt naming nothing that is there is ignored
    public = [m for m in found if not m.split(".")[-1].startswith("_")]
    return tuple(public or found)


def wheel_modules(path: Path) -> tuple[str, ...]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        top_level = None
        for name in names:
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "top_level.txt":
                top_level = archive.read(name).decode("utf-8", "replace").splitlines()
                break
    return discover_modules(names, top_level)


def requires_python(path: Path) -> str | None:
    """The wheel's Requires-Python (METADATA), part of its claim as much as its tags."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                text = archive.read(name).decode("utf-8", "replace")
                value = email.parser.HeaderParser().parsestr(text).get("Requires-Python")
                return str(value).strip() if value else None
    return None


# -- the check, run by the agent's runner in the distro's venv ------------------------------

# One script, content-addressed: what each step does comes in argv (the agent's contract: a
# check is a script run in the runner process with its arguments). Runs on the distro's
# Python, so it is written for Python 3.6 too.
CHECK_SCRIPT = r'''"""manylinux-harness verify: one step of a wheel set's check, in the distro's venv.

    verify_check.py import MODULE   import MODULE in a fresh process
    verify_check.py run COMMAND     run COMMAND with /bin/sh, the venv's bin first on PATH
"""
import os
import signal
import subprocess
import sys


def finish(code):
    if code < 0:
        # Killed by a signal: die by the same one, so that the agent records the signal.
        import faulthandler

        faulthandler.disable()
        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    if code != 0:
        sys.exit(code)


def main(argv):
    step, argument = argv[0], argv[1]
    if step == "import":
        code = subprocess.call(
            [sys.executable, "-c", "import importlib, sys; importlib.import_module(sys.argv[1])",
             argument]
        )
        finish(code)
        return
    venv_bin = os.path.dirname(sys.executable)
    env = dict(os.environ)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env["VIRTUAL_ENV"] = os.path.dirname(venv_bin)
    code = subprocess.call(argument, shell=True, env=env)
    if code > 0:
        sys.stdout.flush()
        sys.stderr.write("the --check command exited with status %d: %s\n" % (code, argument))
    finish(code)


main(sys.argv[1:])
'''


def check_script_name() -> tuple[str, str]:
    """(directory, file name) of the script: the directory is content-addressed, because the
    probe copies a check into the container once per directory and name."""
    digest = hashlib.sha256(CHECK_SCRIPT.encode()).hexdigest()[:12]
    return f"verify-check-{digest}", "verify_check.py"


def check_steps(
    modules: Sequence[str], command: str | None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(label, argv) per step: each module imported in its own process, then the command."""
    steps = [(f"import {m}", ("import", m)) for m in modules]
    if command:
        steps.append((CHECK_LABEL, ("run", command)))
    return tuple(steps)


# -- what a cell's outcome means ---------------------------------------------------------------


def claimed_policy(platforms: Iterable[str]) -> str:
    """The policy a wheel claims: the oldest glibc floor among its manylinux tags, else its
    oldest musllinux, else "linux" (a plain linux_* tag: no claim) or "any" (pure Python)."""
    from harness.expectation import manylinux_glibc

    platforms = list(platforms)
    floors = [g for p in platforms if (g := manylinux_glibc(p)) is not None]
    if floors:
        major, minor = min(floors)
        return f"manylinux_{major}_{minor}"
    musl = [(int(m.group(1)), int(m.group(2))) for p in platforms if (m := _MUSLLINUX.match(p))]
    if musl:
        major, minor = min(musl)
        return f"musllinux_{major}_{minor}"
    return "linux" if any(p.startswith("linux_") for p in platforms) else "any"


def python_excluded(spec: str | None, python_version: str) -> bool:
    if not spec or not python_version:
        return False
    try:
        return not SpecifierSet(spec).contains(python_version, prereleases=True)
    except InvalidSpecifier:
        return False  # pip ignores what it cannot read, and so does the expectation


def expect(
    wheels: Sequence[GivenWheel],
    requires: Mapping[str, str | None],
    facts: DistroFacts,
    *,
    any_pip: bool = False,
) -> Expectation:
    """expect_install (tags x the interpreter's supported tags x the installing pip, or any
    pip), and Requires-Python: a wheel whose metadata excludes this Python claims it does not
    fit."""
    from harness.expectation import Expectation, WheelClaim, expect_install

    claims = [WheelClaim.from_filename(w.filename) for w in wheels]
    expectation = expect_install(claims, facts, None if any_pip else facts.pip_version)
    if not expectation.installable:
        return expectation
    for wheel in wheels:
        spec = requires.get(wheel.filename)
        if python_excluded(spec, facts.python_version):
            return Expectation(
                False,
                f"{wheel.filename} requires Python {spec} (Requires-Python), "
                f"this system has {facts.python_version}",
                expectation.matching_tags,
            )
    return expectation


def pip_too_old(
    wheels: Sequence[GivenWheel], requires: Mapping[str, str | None], facts: DistroFacts
) -> bool:
    """The system fits the claims, but its pip does not know the wheels' tag family: a
    refusal is then the installer's, and a forced load that works says nothing against the
    tags (decide()'s pip_too_old)."""
    return (
        not expect(wheels, requires, facts).installable
        and expect(wheels, requires, facts, any_pip=True).installable
    )


def forced_load_moot(wheels: Sequence[GivenWheel], facts: DistroFacts, arch: str) -> str | None:
    """Why a forced load of these wheels says nothing, if it does not: their compiled modules
    are for another Python, arch or libc, so they cannot load at all here, and a forced import
    that passes ran only a pure-Python fallback (markupsafe has one).

    (A refusal for the glibc floor alone keeps the matrix's meaning: a forced load there is
    the real question, though a fallback can pass it too.)"""
    interpreters = {"-".join(t.split("-")[:2]) for t in facts.supported_tags}
    for wheel in wheels:
        if wheel.arches and arch not in wheel.arches:
            return f"{wheel.filename} is built for {', '.join(wheel.arches)}"
        if interpreters and not any("-".join(t.split("-")[:2]) in interpreters for t in wheel.tags):
            return f"{wheel.filename} is built for another Python than {facts.python_version}"
        if facts.glibc and all(p.startswith("musllinux_") for p in wheel.platforms):
            return f"{wheel.filename} is built for musl libc, this system has glibc"
        if not facts.glibc and all(p.startswith("manylinux") for p in wheel.platforms):
            return f"{wheel.filename} is built for glibc, this system has none"
    return None


def missing_dependency(install_output: str) -> str | None:
    """The requirement pip could not satisfy from the pool, when it says so."""
    match = _DEPENDENCY.search(install_output)
    if match is None:
        return None
    return match.group(1) or match.group(2)


def judge(
    expectation: Expectation,
    observation: obs.Observation,
    moot_forced: str | None,
    too_old_pip: bool = False,
) -> tuple[obs.Observation, Decision]:
    """decide(), the one place verdicts come from, with what only given wheels bring:
    a dependency missing from the given wheels is an input problem (could not tell), never a
    broken claim; and a forced load of a wheel for another Python or arch does not make a
    refusal over-restrictive."""
    install = observation.install
    if observation.error is None and install is not None and install.decision == obs.REFUSED:
        requirement = missing_dependency(install.output)
        if expectation.installable and requirement is not None:
            error = (
                f"pip found no wheel for {requirement} among the given wheels that fits this "
                f"system ({install.reason}): add the dependency's wheel to the set "
                "(e.g. pip download --only-binary=:all: -d DIR ...), or verify its project too"
            )
            observation = dataclasses.replace(observation, error=error)
        elif (
            not expectation.installable
            and moot_forced
            and observation.forced is not None
            and observation.forced.passed
        ):
            return observation, Decision(
                Verdict.REFUSED_AS_CLAIMED,
                f"refused as the tags say; the forced load passed, which says nothing here: "
                f"{moot_forced}, so at most a pure-Python fallback ran",
            )
    return observation, decide(expectation.installable, observation, too_old_pip)


# -- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyPlan:
    profile: str
    arches: tuple[str, ...]
    wheels: tuple[GivenWheel, ...]
    sets: tuple[WheelSet, ...]
    distros: tuple[Distro, ...]
    check: str | None
    skipped_wheels: tuple[str, ...]

    @property
    def runnable(self) -> tuple[Distro, ...]:
        return tuple(d for d in self.distros if not d.skip_reason)


def default_arches(wheels: Sequence[GivenWheel], host_arch: str) -> tuple[str, ...]:
    """The arches the wheels are built for; the host's when they are all pure Python."""
    from harness.architecture import arch_names

    found = sorted({a for w in wheels for a in w.arches})
    if not found:
        return (host_arch,)
    known = tuple(a for a in found if a in arch_names())
    if not known:
        raise UsageError(
            f"the wheels are built for {', '.join(found)}, which has no distros here: "
            "pass --arch to choose distros (which must refuse them)"
        )
    return known


def make_plan(args: argparse.Namespace, catalog: Catalog, host_arch: str) -> VerifyPlan:
    from harness.architecture import get_arch

    if args.check is not None and not args.check.strip():
        raise UsageError("--check needs a command, e.g. --check \"python -c 'import foo'\"")
    collected = collect(list(args.paths))
    arches = tuple(dict.fromkeys(get_arch(a).name for a in args.arch)) or default_arches(
        collected.wheels, host_arch
    )
    distros = catalog.distros(args.profile, arches, args.distro or None)
    if not distros:
        named = f" named {', '.join(args.distro)}" if args.distro else ""
        raise UsageError(
            f"profile {args.profile} has no distro{named} for {', '.join(arches)}: "
            "choose another --arch or --distro"
        )
    return VerifyPlan(
        profile=args.profile,
        arches=arches,
        wheels=collected.wheels,
        sets=group(collected.wheels),
        distros=tuple(distros),
        check=args.check,
        skipped_wheels=collected.skipped,
    )


# -- command line ------------------------------------------------------------------------------


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `verify` subcommand to the CLI's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify",
        help="probe wheels built elsewhere (e.g. from PyPI) in the distros, as the corpus is",
        description="Install the given wheels with each distro's own pip (no network), import "
        "their top-level modules in fresh processes, run --check, and judge the outcome "
        "against what their tags claim.",
    )
    parser.add_argument(
        "paths",
        type=Path,
        nargs="+",
        metavar="WHEEL_OR_DIR",
        help="wheel files, or directories of wheels (a wheel and its dependencies)",
    )
    parser.add_argument(
        "--check",
        default=None,
        metavar="CMD",
        help="shell command run in the venv after the imports, its python first on PATH; "
        "exit 0 means it works",
    )
    parser.add_argument("--profile", choices=("local", "official"), default="local")
    parser.add_argument(
        "--arch",
        action="append",
        default=[],
        help="distro architecture (repeatable; default: the wheels' own). A wheel of another "
        "arch must be refused there",
    )
    parser.add_argument(
        "--distro",
        action="append",
        default=[],
        help="distro name (repeatable; default: every distro of the profile for the arch)",
    )
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--cache-dir", type=Path, default=None)
    return parser


def run(args: argparse.Namespace) -> int:
    from harness.architecture import host_machine
    from harness.catalog import default_catalog
    from harness.container import install_termination_handlers, start_run
    from harness.progress import Progress
    from harness.settings import Settings, parse_engine_option

    # Bad input and infrastructure trouble are reported by the CLI's own handler (cli.main).
    plan = make_plan(args, default_catalog(), host_machine())
    settings = Settings(engines=parse_engine_option([], os.environ))
    if args.cache_dir:
        settings = dataclasses.replace(settings, cache_dir=args.cache_dir)
    install_termination_handlers()
    start_run()  # a fresh run id: what the sweep at the end removes
    return Verification(plan, settings, args.results_dir.resolve(), Progress()).execute()


# -- effects -----------------------------------------------------------------------------------


class Verification:
    """One verify run: stage the wheels, ensure the distro images, probe each distro in turn
    (one container at a time: verify runs beside other work), record, publish."""

    def __init__(
        self, plan: VerifyPlan, settings: Settings, results_dir: Path, progress: Progress
    ) -> None:
        from harness.cache import Cache

        self.plan = plan
        self.settings = settings
        self.results_dir = results_dir
        self.progress = progress
        self.cache: Cache = Cache(settings.cache_dir)
        self._engines: dict[str, Engine] = {}
        self.images: dict[str, dict[str, Any]] = {}
        self.distros: dict[str, dict[str, Any]] = {}
        self.inspections: dict[str, dict[str, Any]] = {}
        self.modules: dict[str, tuple[str, ...]] = {}
        self.requires: dict[str, str | None] = {}

    def engine(self, distro: Distro) -> Engine:
        from harness.container import Engine

        url = self.settings.engine_url(distro.arch) or ""
        if url not in self._engines:
            self._engines[url] = Engine.connect(url or None)
            reaped = self._engines[url].reap_leftovers()
            if reaped:
                self.progress.line(
                    f"removed {len(reaped)} container(s) left by an earlier run: {', '.join(reaped)}"
                )
        return self._engines[url]

    def execute(self) -> int:
        from harness import results
        from harness.cli import EXIT_INTERRUPTED, run_exit_status
        from harness.container import LABEL_RUN, run_id
        from harness.publish import publish
        from harness.report import render_markdown

        plan = self.plan
        for line in plan.skipped_wheels:
            self.progress.line(f"skipped {line}")
        cells = len(plan.sets) * len(plan.runnable)
        self.progress.line(
            f"verify ({plan.profile}): {len(plan.wheels)} wheel(s) in {len(plan.sets)} set(s), "
            f"{len(plan.runnable)} distro(s), {cells} cells"
        )
        for distro in plan.runnable:
            self.engine(distro)  # no engine: one line and exit 3, before anything is written
        results.reset(self.results_dir)
        pool = self.stage_pool()
        script = self.write_check_script()
        self.inspect()
        interrupted = False
        try:
            self.ensure_images()
            phase = self.progress.phase("cells", cells)

            def emit(record: CellRecord) -> None:
                # Written the moment it is measured: an interrupted run keeps it.
                results.append_cell(self.results_dir, "main", record)
                how = record.diagnosis or record.explanation
                phase.finish(f"{record.row} @ {record.distro}", f"{record.verdict.value}: {how}")

            for distro in plan.runnable:
                self.probe_distro(distro, pool, script, emit)
        except KeyboardInterrupt:
            interrupted = True
            self.progress.line("interrupted: removing the containers, keeping the cells measured")
        finally:
            for engine in self._engines.values():
                engine.remove_containers({LABEL_RUN: run_id()})
        record = self.run_record(interrupted)
        written = publish(record, self.results_dir)
        print(render_markdown(record), end="")
        print(
            f"\nresults: {written['json']}\nreport:  {written['markdown']}\nhtml:    {written['html']}"
        )
        return EXIT_INTERRUPTED if interrupted else run_exit_status(record)

    # -- preparation ---------------------------------------------------------------------------

    def stage_pool(self) -> Path:
        """Copy the wheels into a content-addressed directory of the wheel cache, the root
        DistroProbe mounts: the probe's mounts and copies work unchanged."""
        phase = self.progress.phase("wheels", len(self.plan.wheels))
        digests = {w.filename: file_digest(w.path) for w in self.plan.wheels}
        pool = self.cache.path("wheels", pool_key(digests))
        with self.cache.lock(pool.name):
            if not pool.is_dir():
                with self.cache.new_entry(pool) as scratch:
                    for wheel in self.plan.wheels:
                        shutil.copyfile(wheel.path, scratch / wheel.filename)
        for wheel in self.plan.wheels:
            self.modules[wheel.filename] = wheel_modules(pool / wheel.filename)
            self.requires[wheel.filename] = requires_python(pool / wheel.filename)
            shown = ", ".join(self.modules[wheel.filename]) or "no importable module"
            phase.finish(wheel.filename, f"imports {shown}")
        return pool

    def write_check_script(self) -> Path:
        directory, name = check_script_name()
        path = self.cache.path("verify", directory, name)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(CHECK_SCRIPT, encoding="utf-8")
            tmp.replace(path)
        return path

    def inspect(self) -> None:
        """The static checks the corpus's wheels get (symbol versions beyond the claimed
        policy, C++ runtime lint), for the record and the report."""
        from harness.lint import inspect_wheel

        for wheel in self.plan.wheels:
            arch = wheel.arches[0] if wheel.arches else self.plan.arches[0]
            try:
                self.inspections[wheel.filename] = inspect_wheel(wheel.path, arch)
            except Exception as exc:  # a wheel we cannot read is reported, not fatal
                self.inspections[wheel.filename] = {"error": f"cannot inspect: {exc}"}

    def ensure_images(self) -> None:
        from harness.images import ImageProvider, describe_failure

        phase = self.progress.phase("images", len(self.plan.runnable))
        for distro in self.plan.runnable:
            spec = distro.image
            item = f"distro {distro.name} {distro.arch.name}"
            try:
                provider = ImageProvider(self.engine(distro), self.cache, self.settings)
                resolved = provider.ensure(spec, phase)
            except HarnessError as exc:
                self.images[spec.key] = {"reference": spec.tag, "error": describe_failure(exc)}
                phase.finish(item, f"FAILED: {self.images[spec.key]['error']}")
                continue
            self.images[spec.key] = dataclasses.asdict(resolved)
            how = f"built in {resolved.seconds:.0f} s" if resolved.built else "cached"
            phase.finish(item, f"{how} ({resolved.reference})")

    # -- probing -------------------------------------------------------------------------------

    def probe_distro(
        self, distro: Distro, pool: Path, script: Path, emit: Callable[[CellRecord], None]
    ) -> None:
        """Every set's cell in one container of the distro, removed when done however it
        ends; a distro that cannot be probed gives `error` cells, never a verdict."""
        from harness.probe import DistroProbe

        image = self.images.get(distro.image.key, {"error": "not prepared"})
        if "error" in image:
            for wheel_set in self.plan.sets:
                emit(
                    self.error_cell(
                        wheel_set, distro, f"distro image unavailable: {image['error']}"
                    )
                )
            return
        probe = DistroProbe(
            self.engine(distro),
            distro,
            str(image["reference"]),
            self.cache.path("wheels"),
            self.settings,
        )
        try:
            try:
                facts = probe.start()
            except HarnessError as exc:
                for wheel_set in self.plan.sets:
                    emit(self.error_cell(wheel_set, distro, f"cannot probe {distro.key}: {exc}"))
                return
            self.distros[distro.key] = distro_entry(distro, probe.image, facts, self.settings)
            for wheel_set in self.plan.sets:
                emit(self.probe_cell(probe, facts, wheel_set, distro, pool, script))
        finally:
            probe.close()

    def probe_cell(
        self,
        probe: DistroProbe,
        facts: DistroFacts,
        wheel_set: WheelSet,
        distro: Distro,
        pool: Path,
        script: Path,
    ) -> CellRecord:
        from harness.probe import ProbeRequest

        arch = distro.arch.name
        expectation = expect(wheel_set.wheels, self.requires, facts)
        modules = tuple(
            dict.fromkeys(m for w in wheel_set.wheels for m in self.modules[w.filename])
        )
        request = ProbeRequest(
            cell_id=cell_id(wheel_set.key(arch, distro.name)),
            wheels=tuple(pool / w.filename for w in wheel_set.wheels),
            imports=(),  # each module is imported by a check step, in a process of its own
            checks=tuple(
                (label, script, argv) for label, argv in check_steps(modules, self.plan.check)
            ),
            find_links=(pool,),
        )
        observation, decision = judge(
            expectation,
            probe.probe(request),
            forced_load_moot(wheel_set.wheels, facts, arch),
            pip_too_old(wheel_set.wheels, self.requires, facts),
        )
        expected: dict[str, Any] = {
            "installable": expectation.installable,
            "reason": expectation.reason,
            "matching_tags": list(expectation.matching_tags),
            "policy_problems": [
                p
                for w in wheel_set.wheels
                for p in self.inspections.get(w.filename, {}).get("policy_problems", [])
            ],
            "requires_python": {
                w.filename: self.requires.get(w.filename) for w in wheel_set.wheels
            },
        }
        notes = (
            ()
            if modules
            else ("no importable module in the wheel(s): only the install was checked",)
        )
        return self.cell(wheel_set, distro, expected, observation, decision, facts, notes)

    def error_cell(self, wheel_set: WheelSet, distro: Distro, message: str) -> CellRecord:
        observation = obs.Observation.failure(message)
        return self.cell(wheel_set, distro, {}, observation, decide(False, observation), None, ())

    def cell(
        self,
        wheel_set: WheelSet,
        distro: Distro,
        expected: dict[str, Any],
        observation: obs.Observation,
        decision: Decision,
        facts: DistroFacts | None,
        notes: tuple[str, ...],
    ) -> CellRecord:
        return cell_record(
            wheel_set,
            distro.name,
            distro.arch.name,
            Measured(expected, observation, decision, facts, notes),
            self.inspections,
            emulated=self.settings.emulated(distro.arch),
        )

    # -- the record ----------------------------------------------------------------------------

    def run_record(self, interrupted: bool) -> RunRecord:
        from harness import __version__, results

        plan = self.plan
        return results.RunRecord(
            schema=results.SCHEMA_VERSION,
            harness_version=__version__,
            created=results.now_iso(),
            profile=plan.profile,
            selection={
                "command": "verify",
                "profile": plan.profile,
                "arches": list(plan.arches),
                "distros": [d.name for d in plan.distros],
                "wheels": [w.filename for w in plan.wheels],
                "check": plan.check,
            },
            host=self.host_facts(),
            images=self.images,
            builds={
                s.label: {
                    "status": BUILD_STATUS,
                    "wheels": [str(w.path) for w in s.wheels],
                    "error": None,
                }
                for s in plan.sets
            },
            distros=self.distros,
            cells=tuple(results.read_cells(self.results_dir)),
            interrupted=interrupted,
            skipped={d.key: d.skip_reason for d in plan.distros if d.skip_reason},
            wheels=self.inspections,
        )

    def host_facts(self) -> dict[str, Any]:
        from importlib.metadata import PackageNotFoundError, version

        facts: dict[str, Any] = {"machine": self.settings.host, "engines": {}}
        for name in ("auditwheel", "packaging"):
            try:
                facts[name] = version(name)
            except PackageNotFoundError:
                facts[name] = ""
        for url, engine in self._engines.items():
            try:
                info = engine.version()
            except Exception:  # facts for the record only
                continue
            facts["engines"][url or "default"] = {
                "version": info.get("Version"),
                "api": info.get("ApiVersion"),
            }
        return facts


def cell_id(key: str) -> str:
    """A file-name-safe id for the agent's work directory, unique per cell key."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key)[:100]
    return f"{safe}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class Measured:
    """What one cell's probe produced, judged."""

    expected: Mapping[str, Any]
    observation: obs.Observation
    decision: Decision
    facts: DistroFacts | None  # None: the distro could not be probed
    notes: tuple[str, ...] = ()


def cell_record(
    wheel_set: WheelSet,
    distro: str,
    arch: str,
    measured: Measured,
    inspections: Mapping[str, Mapping[str, Any]],
    *,
    emulated: bool,
) -> CellRecord:
    """The matrix's CellRecord for one (wheel set, distro): members are the given wheels."""
    from harness import results
    from harness.lint import WARNING_KINDS

    expected = dict(measured.expected)
    decision = measured.decision
    declared = None
    if measured.facts is not None and wheel_set.foreign(arch):
        # As the matrix does for cross-arch cells: no outcome but a refusal holds.
        declared = Verdict.REFUSED_AS_CLAIMED
        expected["declared"] = declared.value
        expected["declared_reason"] = CROSS_ARCH_REASON
    pairs = list(zip(wheel_set.wheels, wheel_set.labels, strict=True))
    members = tuple(
        results.MemberRecord(
            sample=label,
            flavour="default",
            kind=KIND,
            build_image=BUILD_IMAGE,
            policy=claimed_policy(wheel.platforms),
            wheels=(wheel.filename,),
            build_status=BUILD_STATUS,
        )
        for wheel, label in pairs
    )
    lint_members = {
        label: sorted(
            {
                finding["kind"]
                for finding in inspections.get(wheel.filename, {}).get("lint", [])
                if finding["kind"] in WARNING_KINDS
            }
        )
        for wheel, label in pairs
    }
    return results.CellRecord(
        key=wheel_set.key(arch, distro),
        test_id=wheel_set.test_id(arch, distro),
        row=wheel_set.row(arch),
        arch=arch,
        distro=distro,
        installer="distro",
        dlopen="default",
        members=members,
        pip_version=measured.facts.pip_version if measured.facts else "",
        emulated=emulated,
        expected=expected,
        observed=dataclasses.asdict(measured.observation),
        verdict=decision.verdict,
        explanation=decision.explanation,
        diagnosis=diagnosis(decision, measured.observation),
        as_expected=(
            decision.verdict is declared if declared is not None else decision.verdict.claim_held
        ),
        timings=measured.observation.timings(),
        notes=measured.notes,
        worker="main",
        lint={"warned": any(lint_members.values()), "members": lint_members},
    )
