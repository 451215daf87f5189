"""Visible progress on long work: which phase, which item, how many left; and the matrix's
one line per finished cell."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.vocab.installer import Installer
from harness.vocab.verdict import Verdict

# The matrix's test function (harness/matrix/cells.py): its node ids are `...::test_cell[TEST_ID]`,
# with `@GROUP` appended under xdist's --dist loadgroup.
_CELL_NODE = "::test_cell["
SKIPPED = "skipped"  # the verdict column of a cell that was not probed
VERDICT_WIDTH = max(len(word) for word in (*(v.value for v in Verdict), SKIPPED))


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


@dataclass(frozen=True)
class CellLabel:
    """What a person calls a cell: its wheels, the system they are installed on and the pip."""

    row: str  # the wheels, e.g. "c_plain@manylinux_2_31" (see Cell.row)
    distro: str  # e.g. "debian-bullseye"
    installer: Installer

    def text(self, pip_version: str = "") -> str:
        """e.g. "c_plain@manylinux_2_31 on debian-bullseye (pip 20.3.4)"."""
        return f"{self.row} on {self.distro} ({pip_text(self.installer, pip_version)})"


def pip_text(installer: Installer, pip_version: str = "") -> str:
    """The pip a cell is installed with: the distro's own with its measured version when
    known; an axis pip by the version asked for (its measured version may be the distro's,
    when the axis pip never ran)."""
    if not installer.is_distro:
        return installer.label
    return f"pip {pip_version}" if pip_version else "distro pip"


def cell_line(n: int, total: int, verdict: str, label: str, seconds: float) -> str:
    """`[ 17/265] ok                  c_plain@manylinux_2_31 on debian-bullseye (pip 20.3.4) 1.4 s`:
    the count and the verdict padded so that the columns line up."""
    total = max(total, n)
    count = f"[{n:>{len(str(total))}}/{total}]"
    return f"{count} {verdict:<{VERDICT_WIDTH}}  {label} {seconds:.1f} s"


def cell_test_id(nodeid: str) -> str | None:
    """The cell's test id in a pytest node id (None: not a cell of the matrix)."""
    _, found, rest = nodeid.partition(_CELL_NODE)
    if not found:
        return None
    test_id, closed, _ = rest.partition("]")  # a test id has no brackets (Cell.test_id)
    return test_id if closed and test_id else None
