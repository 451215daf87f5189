"""Stopping child processes promptly when a run is interrupted.

Worker threads wait on subprocesses (mmdebstrap, cibuildwheel); Ctrl-C lands in the main
thread only. The main thread sets STOP; waiting threads notice within a fraction of a
second, interrupt their child (so cibuildwheel removes its container), and give up.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time

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
