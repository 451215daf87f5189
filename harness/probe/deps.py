"""What runs inside distro containers besides the agent, pinned; and the oldest interpreter
all of it must run on.

The probe once copied the host's own `packaging` into every container, so the tag logic a
verdict rests on changed whenever the index served a new release (26.4 broke every Python 3.9
cell). Now the shipped libraries are the wheels named, by version and sha256, in
resources/probe-requirements.txt, downloaded once into the cache and unpacked there.
"""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness import resources
from harness.errors import HarnessError
from harness.util.cache import Cache
from harness.util.wheel_zip import open_wheel

# The oldest interpreter any catalog row presents to the probe: the official catalog gives
# rows whose python3 is older the portable Python (>= 3.9), and the local catalog's oldest
# suite is bullseye (3.9). tests/unit/probe/test_grammar.py holds the catalogs and every file
# shipped into containers to it.
OLDEST_PYTHON = (3, 9)
REQUIREMENTS = "probe-requirements.txt"

_LINE = re.compile(
    r"^(?P<name>[A-Za-z0-9_.-]+)==(?P<version>\S+)\s+--hash=sha256:(?P<sha>[0-9a-f]{64})$"
)


@dataclass(frozen=True)
class PinnedWheel:
    name: str
    version: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version} --hash=sha256:{self.sha256}"


def parse_requirements(text: str) -> tuple[PinnedWheel, ...]:
    pins = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            raise HarnessError(
                f"{REQUIREMENTS}: {raw!r} is not NAME==VERSION --hash=sha256:HEX: "
                "regenerate it with bin/update_constraints.py"
            )
        pins.append(PinnedWheel(match["name"], match["version"], match["sha"]))
    return tuple(pins)


def pinned() -> tuple[PinnedWheel, ...]:
    return parse_requirements(resources.read_text(REQUIREMENTS))


def oldest_python_text() -> str:
    return ".".join(map(str, OLDEST_PYTHON))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fetch(pin: PinnedWheel, dest: Path) -> Path:
    """pip download of exactly that wheel, checked against its hash (pip's --require-hashes
    and ours: the file in the cache is what the lock names)."""
    dest.mkdir(parents=True)
    requirements = dest / "requirements.txt"
    requirements.write_text(pin.requirement + "\n", encoding="utf-8")
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
        "--only-binary=:all:", "--python-version", oldest_python_text(),
        "--dest", str(dest), "-r", str(requirements),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    wheels = sorted(dest.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        lines = (done.stderr or done.stdout).strip().splitlines() or ["no output"]
        raise HarnessError(
            f"cannot fetch {pin.name}=={pin.version} for the probe: {lines[-1][:300]} "
            "-> fix: check that the package index is reachable (pip config), or run once online"
        )
    if _sha256(wheels[0]) != pin.sha256:
        raise HarnessError(
            f"{wheels[0].name} does not have the sha256 {REQUIREMENTS} names: "
            "the index served other bytes; do not use it"
        )
    return wheels[0]


def probe_library(cache: Cache) -> Path:
    """A directory to put on the agent's sys.path: the pinned wheels, unpacked.

    Keyed by the pins' hashes, so a changed lock gets a new directory and an old one is
    never mixed in. Fetched once; offline runs use what is there."""
    pins = pinned()
    key = hashlib.sha256("\n".join(p.requirement for p in pins).encode()).hexdigest()[:16]
    final = cache.path("probe-lib", key)
    with cache.lock("probe-lib"):
        if final.is_dir():
            return final
        with cache.new_entry(final) as scratch:
            downloads = scratch / ".downloads"
            for pin in pins:
                # One directory per pin: _fetch takes the wheel it finds there.
                wheel = _fetch(pin, downloads / pin.name)
                with open_wheel(wheel) as archive:
                    # Only the importable code: the agent needs no metadata.
                    members = [m for m in archive.namelist() if ".dist-info/" not in m]
                    archive.extractall(scratch, members)
            shutil.rmtree(downloads)
    return final


def shipped_packages(library: Path) -> list[Path]:
    """The top-level packages and modules of an unpacked probe library."""
    return sorted(p for p in library.iterdir() if not p.name.startswith("."))


def too_new(source: str, oldest: tuple[int, int]) -> list[str]:
    """Why `source` cannot run on Python `oldest` (empty: it can, as far as we can tell)."""
    try:
        tree = ast.parse(source, feature_version=oldest)
    except SyntaxError as exc:
        return [f"line {exc.lineno}: {exc.msg}"]
    problems: list[str] = []
    lazy = any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    for node in ast.walk(tree):
        # `int | None` in an annotation is evaluated at import time before 3.10
        annotations: list[ast.expr] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
            annotations = [a.annotation for a in arguments if a.annotation] + (
                [node.returns] if node.returns else []
            )
        elif isinstance(node, ast.AnnAssign):
            annotations = [node.annotation]
        if oldest < (3, 10) and not lazy:
            for annotation in annotations:
                if any(
                    isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr)
                    for n in ast.walk(annotation)
                ):
                    problems.append(f"line {annotation.lineno}: `X | Y` annotation needs 3.10")
        if (
            oldest < (3, 10)
            and isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "zip"
            and any(k.arg == "strict" for k in node.keywords)
        ):
            problems.append(f"line {node.lineno}: zip(strict=) needs 3.10")
        if oldest < (3, 10) and isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            if any(isinstance(n, ast.Name) and n.id == "TimeoutError" for n in caught):
                # socket.timeout became an alias of TimeoutError in 3.10; before, it is not one
                problems.append(
                    f"line {node.lineno}: `except TimeoutError` misses socket.timeout before "
                    "3.10 (catch socket.timeout)"
                )
    return problems
