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
    """`command`, started so that it gets SIGINT when the thread that started it dies.

    A harness killed outright (SIGKILL, the OOM killer, a CI step's timeout) runs no
    clean-up; without this its mmdebstrap or cibuildwheel would go on alone for many
    minutes. SIGINT is the signal both clean up on (stop_process sends it first too). The
    setting survives the exec (util-linux's setpriv >= 2.33); where no setpriv with
    --pdeathsig is there, the command runs as it is."""
    setpriv = _setpriv_with_pdeathsig()
    return [setpriv, "--pdeathsig", "INT", "--", *command] if setpriv else list(command)


@functools.cache
def _setpriv_with_pdeathsig() -> str | None:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    try:
        probe = subprocess.run(
            [setpriv, "--pdeathsig", "INT", "--", "true"], capture_output=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return setpriv if probe.returncode == 0 else None
