"""Where a run writes: checked before anything runs, so that an unusable results dir costs
one line and exit 2, not a probed distro and a traceback at the end; and held by the run that
writes there, so that two runs never mix their cells in one directory."""

from __future__ import annotations

import datetime as _dt
import fcntl
import os
import socket
import sys
from pathlib import Path

from harness.errors import UsageError

# The lock a run holds on its results dir (flock: released by the kernel when the process
# ends however it ends, so a killed run never leaves the directory locked). Its text names
# the holder, for the one line a second run stops with.
LOCK_FILE = ".lock"
# Results dirs this process holds, with the open lock file: held until the process ends.
_held: dict[Path, int] = {}


def check_results_dir(path: Path, option: str = "--results-dir") -> Path:
    """Create the directory if missing, prove it writable and hold it for this process
    (hold_results_dir); returns it resolved."""
    path = path.expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise UsageError(
            f"{option} {path} is a file, not a directory: pass a directory (created if missing)"
        )
    probe = path / f".write-test.{os.getpid()}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"{option} {path} is not usable ({exc.strerror or exc}): "
            "pass a directory you can write to"
        ) from None
    hold_results_dir(path, option)
    return path


def hold_results_dir(path: Path, option: str = "--results-dir") -> None:
    """Lock `path` for this process's run; another run holding it is one line naming that
    run (UsageError). Taking it again in the same process is a no-op."""
    path = path.resolve()
    if path in _held:
        return
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.read(fd, 1000).decode("utf-8", "replace").strip() or "another process"
        os.close(fd)
        raise UsageError(
            f"{option} {path} is in use by {holder}: wait for that run to end, or pass "
            "another directory"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, _holder().encode())
    _held[path] = fd


def release_results_dir(path: Path) -> None:
    """Let another run have the directory (a process that ends releases it by itself)."""
    fd = _held.pop(path.resolve(), None)
    if fd is not None:
        os.close(fd)


def _holder() -> str:
    started_as = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("python")
    # `python -m harness` and `python -m pytest` start as their package's __main__.py
    program = started_as.parent.name if started_as.name == "__main__.py" else started_as.name
    if program == "harness":
        program = "manylinux-harness"
    command = " ".join([program, *sys.argv[1:]])
    started = _dt.datetime.now().astimezone().replace(microsecond=0).isoformat()
    return f"pid {os.getpid()} on {socket.gethostname()} since {started} ({command[:120]})"
