"""Wheels built elsewhere (e.g. downloaded from PyPI), as `verify` takes them: what each one is
(from its file name and metadata), which sets pip installs (one per wheel, and the opt-in
co-installed set), how their rows are named, and which top-level modules importing proves
something. Pure: no engine."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError
from harness.util.cache import file_digest
from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits, open_wheel
from harness.vocab.wheel_name import WheelName

# Top-level names a wheel may carry that are no part of its runtime: importing them proves
# nothing, and some run code (setup.py calls setup(), conftest.py imports pytest).
NOT_RUNTIME = frozenset({"setup", "conftest", "test", "tests", "docs", "doc", "examples"})
_SO_SUFFIX = re.compile(r"^(?P<name>[^.]+)(?:\.[^.]+)*\.so$")


# -- the wheels --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GivenWheel:
    path: Path
    name: WheelName

    @property
    def filename(self) -> str:
        return self.name.filename

    @property
    def project(self) -> str:
        return self.name.project

    @property
    def distribution(self) -> str:
        return self.name.distribution

    @property
    def version(self) -> str:
        return self.name.version

    @property
    def tags(self) -> tuple[str, ...]:
        return self.name.tags

    @property
    def platforms(self) -> tuple[str, ...]:
        return self.name.platforms

    @property
    def release(self) -> str:
        return f"{self.distribution}-{self.version}"

    @property
    def stem(self) -> str:
        return self.filename.removesuffix(".whl")

    @property
    def arches(self) -> tuple[str, ...]:
        return self.name.arches

    @property
    def is_linux(self) -> bool:
        return self.name.platform.is_linux

    @property
    def claimed_policy(self) -> str:
        """The policy it claims (PlatformClaim.policy): "manylinux_2_17", "linux", "any"."""
        return self.name.platform.policy


def parse_wheel(path: Path) -> GivenWheel:
    return GivenWheel(path=path, name=WheelName.parse(path.name, shown_as=str(path)))


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


def variant(wheel: GivenWheel) -> str:
    """What tells wheels of one release apart: Python and best platform claim, e.g.
    "cp39, manylinux_2_17_x86_64" or "cp311-abi3, musllinux_1_2_aarch64"."""
    pythons = []
    for pair in sorted({tuple(t.split("-")[:2]) for t in wheel.tags}):
        pythons.append(pair[0] if pair[0] == pair[1] else "-".join(pair))
    platform = wheel.claimed_policy
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


def group(wheels: Sequence[GivenWheel], *, together: bool = False) -> tuple[WheelSet, ...]:
    """One set per wheel, installed as a user installs it (its dependencies resolve from the
    pool), so that one broken wheel cannot hide another's answer. With `together`, one more
    set of every project given once, installed into one environment: two wheels that each
    work alone may break in one process (pip cannot install two wheels of one project, so a
    project given more than once stays out of it)."""
    ordered = sorted(wheels, key=lambda w: (w.project, w.filename))
    sets = [WheelSet((w,), wheel_labels([w], wheels)) for w in ordered]
    per_project = Counter(w.project for w in wheels)
    singles = tuple(w for w in ordered if per_project[w.project] == 1)
    if together and len(singles) > 1:
        sets.append(WheelSet(singles, wheel_labels(singles, wheels)))
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


def wheel_modules(path: Path, limits: WheelLimits = DEFAULT_LIMITS) -> tuple[str, ...]:
    with open_wheel(path, limits) as archive:
        names = archive.namelist()
        top_level = None
        for name in names:
            parts = name.split("/")
            if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "top_level.txt":
                top_level = archive.read(name).decode("utf-8", "replace").splitlines()
                break
    return discover_modules(names, top_level)
