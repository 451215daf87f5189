"""The on-disk cache: root filesystems, wheelhouses, measured facts; with file locks.

Locks make concurrent runs and pytest-xdist workers safe: whoever takes a key's lock first
builds, the others wait and then find the finished entry. Entries appear atomically
(built in a scratch directory beside them, then renamed), so a crashed build leaves no half
entry; its scratch directory names the process that made it, and `clean` removes those whose
process is gone.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UsageError
from harness.util.ownership import owner_is_alive, owner_token

# Between an entry's name, the owner token of the process making it, and mkdtemp's suffix.
SCRATCH_MARK = ".scratch@"


def default_cache_dir() -> Path:
    configured = os.environ.get("MANYLINUX_HARNESS_CACHE")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "manylinux-harness"


def tree_hash(
    root: Path, ignore: tuple[str, ...] = ("__pycache__", ".git", "build", "dist")
) -> str:
    """Content hash of a directory: relative paths, modes and bytes of every file."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part in ignore or part.endswith(".egg-info") for part in relative.parts):
            continue
        if path.is_file():
            digest.update(str(relative).encode() + b"\0")
            digest.update(oct(path.stat().st_mode & 0o777).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, read in blocks (a wheel can be hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def key_of(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def usable_cache_dir(path: Path, option: str = "--cache-dir") -> Path:
    """The cache directory, created if missing and proved writable (before a run clears or
    starts anything); a bad one is one line naming it and the fix."""
    path = path.expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise UsageError(
            f"{option} {path} is a file, not a directory: pass a directory (created if missing)"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UsageError(
            f"{option} {path} is not usable ({exc.strerror or exc}): "
            "pass a directory you can write to"
        ) from None
    return path


@dataclass(frozen=True)
class Cache:
    root: Path

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        lock_dir = self.path("locks")
        lock_dir.mkdir(parents=True, exist_ok=True)
        with open(lock_dir / f"{name}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def new_entry(self, final: Path) -> Iterator[Path]:
        """A scratch directory that becomes `final` only if the block succeeds."""
        final.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{final.name}{SCRATCH_MARK}{owner_token()}{SCRATCH_MARK}"
        scratch = Path(tempfile.mkdtemp(prefix=prefix, dir=final.parent))
        try:
            yield scratch
            if final.exists():
                shutil.rmtree(final)
            scratch.rename(final)
        finally:
            if scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)

    def leftover_scratch(self) -> list[Path]:
        """Scratch directories of entries whose making process is gone (killed mid-build):
        never an entry, and never the scratch of a process still at work (on this host; one
        another host made is left alone). Entries live beside their scratch, two levels down
        (wheels/NAME, probe-lib/KEY)."""
        found = []
        for parent in (self.root, *self.root.glob("*")):
            if not parent.is_dir() or parent.is_symlink():
                continue
            for path in parent.glob(f".*{SCRATCH_MARK}*"):
                _, _, rest = path.name.partition(SCRATCH_MARK)
                owner, sep, _ = rest.rpartition(SCRATCH_MARK)
                if sep and path.is_dir() and not owner_is_alive(owner):
                    found.append(path)
        return sorted(found)

    def remove_leftover_scratch(self) -> list[Path]:
        removed = []
        for path in self.leftover_scratch():
            shutil.rmtree(path, ignore_errors=True)
            if not path.exists():
                removed.append(path)
        return removed

    @staticmethod
    def share_read_only(directory: Path) -> None:
        """Let every user read (and enter) what lies in `directory`, writing nothing: a probe
        mounts it read-only, and the cells that install from it run as users of their own
        (a cache entry is made private, as tempfile.mkdtemp makes it)."""
        for root, dirs, files in os.walk(directory):
            for name, mode in ((root, 0o755), *((os.path.join(root, d), 0o755) for d in dirs)):
                os.chmod(name, os.stat(name).st_mode | mode & 0o555)
            for name in files:
                path = os.path.join(root, name)
                os.chmod(path, os.stat(path).st_mode | 0o444)

    def read_json(self, *parts: str) -> Any | None:
        path = self.path(*parts)
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def write_json(self, data: Any, *parts: str) -> None:
        path = self.path(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
