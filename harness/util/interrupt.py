"""Stopping child processes promptly when a run is interrupted.

Worker threads wait on subprocesses (mmdebstrap, cibuildwheel); Ctrl-C lands in the main
thread only. The main thread sets STOP; waiting threads notice within a fraction of a
second, interrupt their child (so cibuildwheel removes its container), and give up.
"""

from __future__ import annotations

import functools
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence

STOP = threading.Event()
_POLL = 0.25


class Interrupted(Exception):
    """The run is being interrupted; the child process was stopped."""


def wait_process(proc: subprocess.Popen[bytes], timeout: float) -> int:
    """proc.wait(timeout) that also gives up (stopping the child) when STOP is set."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return proc.wait(timeout=_POLL)
        except subprocess.TimeoutExpired:
            if STOP.is_set():
                stop_process(proc)
                raise Interrupted from None
            if time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(proc.args, timeout) from None


def stop_process(proc: subprocess.Popen[bytes], grace: float = 30.0) -> None:
    """SIGINT first (lets cibuildwheel clean up its container), SIGKILL after `grace`."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def dies_with_parent(command: Sequence[str]) -> list[str]:
    """`command`, started so that SIGINT reaches it when the thread that started it dies,
    and acts on it.

    A harness killed outright (SIGKILL, the OOM killer, a CI step's timeout) runs no
    clean-up; without this its mmdebstrap or cibuildwheel would go on alone for many
    minutes. SIGINT is the signal both clean up on (stop_process sends it first too), so it
    must not arrive ignored: a harness started as a background job of a script (`cmd &`)
    has SIGINT ignored, and children inherit that. util-linux's setpriv (>= 2.33) sets the
    parent-death signal, which survives the execs; coreutils' env (>= 8.31) restores SIGINT's
    default. Where a tool lacks the option, that part is left out."""
    return [*_child_prefix(), *command]


# Each wrapper execs the next: setpriv sets the parent-death signal, env restores SIGINT.
_WRAPPERS = (("setpriv", ("--pdeathsig", "INT", "--")), ("env", ("--default-signal=INT",)))


@functools.cache
def _child_prefix() -> tuple[str, ...]:
    prefix: list[str] = []
    for tool, options in _WRAPPERS:
        path = _supported(tool, *options)
        if path:
            prefix += [path, *options]
    return tuple(prefix)


def _supported(tool: str, *options: str) -> str | None:
    """The tool's path if it takes `options` (tried once, on `true`)."""
    path = shutil.which(tool)
    if path is None:
        return None
    try:
        probe = subprocess.run([path, *options, "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if probe.returncode == 0 else None
