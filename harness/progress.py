"""Visible progress on long work: which phase, which item, how many left."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable


def _stderr_line(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class Progress:
    """Thread-safe progress lines: `[images 2/8] manylinux_2_36 x86_64: bootstrapping ...`."""

    def __init__(self, write: Callable[[str], None] | None = None, enabled: bool = True) -> None:
        self._write = write or _stderr_line
        self._enabled = enabled
        self._lock = threading.Lock()
        self._started = time.monotonic()

    def line(self, text: str) -> None:
        if not self._enabled:
            return
        elapsed = time.monotonic() - self._started
        with self._lock:
            self._write(f"[{_clock(elapsed)}] {text}")

    def phase(self, name: str, total: int) -> Phase:
        return Phase(self, name, total)


class Phase:
    def __init__(self, progress: Progress, name: str, total: int) -> None:
        self._progress = progress
        self.name = name
        self.total = total
        self._done = 0
        self._lock = threading.Lock()

    def step(self, item: str, text: str) -> None:
        """A message about an item still in flight."""
        with self._lock:
            position = self._done + 1
        self._progress.line(
            f"[{self.name} {min(position, self.total)}/{self.total}] {item}: {text}"
        )

    def finish(self, item: str, text: str) -> None:
        with self._lock:
            self._done += 1
            done = self._done
        left = self.total - done
        self._progress.line(f"[{self.name} {done}/{self.total}] {item}: {text} ({left} left)")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"
