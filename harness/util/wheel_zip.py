"""The one reader of wheels' members on the host: every archive is checked against the run's
limits (what its members declare they unpack to, and how far that is beyond their compressed
size) before a byte of it is decompressed.

Untrusted wheels (verify's, the corpus's own) are read by auditwheel, pyelftools and the
module discovery: a zip bomb (a 2 MB wheel declaring a 2 GiB member) would otherwise grow the
host's disk or memory by what it declares. zipfile never yields more bytes than a member's
declared size (it stops there, and the CRC check fails), so the declared sizes in the central
directory bound what any reader of this archive can unpack.

Measured on 1006 published Linux wheels (numpy, scipy, pillow, av, opencv, torch's deps and
the corpus): none unpacks to more than 12 times its compressed size, and none over 32 MiB to
more than 5 times; the defaults leave room for far larger wheels than those."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError

MIB = 1 << 20
DEFAULT_MAX_UNPACKED_MIB = 4096
DEFAULT_MAX_RATIO = 100.0
# Below this many bytes unpacked, a high ratio costs nothing (a small text file of repeats):
# the ratio is checked on wheels that unpack to more.
RATIO_FLOOR = 8 * MIB


class WheelOverLimit(UsageError):
    """A wheel whose members declare more than the run's limits allow: never unpacked."""


@dataclass(frozen=True)
class WheelLimits:
    """How far a wheel may unpack on the host (--max-unpacked-mib, --max-compression-ratio)."""

    max_unpacked: int = DEFAULT_MAX_UNPACKED_MIB * MIB  # bytes, all members together
    max_ratio: float = DEFAULT_MAX_RATIO  # unpacked / compressed, for wheels over RATIO_FLOOR

    @classmethod
    def from_options(cls, max_unpacked_mib: float | None, max_ratio: float | None) -> WheelLimits:
        return cls(
            max_unpacked=int(
                (DEFAULT_MAX_UNPACKED_MIB if max_unpacked_mib is None else max_unpacked_mib) * MIB
            ),
            max_ratio=DEFAULT_MAX_RATIO if max_ratio is None else max_ratio,
        )

    def problem(self, members: Sequence[zipfile.ZipInfo]) -> str | None:
        """What in this listing is over the limits, one line naming the member and its size;
        None when within them."""
        unpacked = sum(m.file_size for m in members)
        largest = max(members, key=lambda m: m.file_size, default=None)
        if largest is None:
            return None
        named = f"its member {largest.filename} declares {_size(largest.file_size)} unpacked"
        if unpacked > self.max_unpacked:
            whole = f" ({_size(unpacked)} in all)" if unpacked != largest.file_size else ""
            return (
                f"{named}{whole}, over the limit of {_size(self.max_unpacked)} (--max-unpacked-mib)"
            )
        compressed = max(1, sum(m.compress_size for m in members))
        ratio = unpacked / compressed
        if unpacked > RATIO_FLOOR and ratio > self.max_ratio:
            return (
                f"{named}; the wheel unpacks to {ratio:.0f} times its compressed size, over the "
                f"limit of {self.max_ratio:g} (--max-compression-ratio)"
            )
        return None


DEFAULT_LIMITS = WheelLimits()


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", MIB), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def fix(problem: str) -> str:
    """What a user does about a wheel over the limits."""
    return f"{problem}: a zip bomb? if the wheel is what you expect, raise the limit"


def over_limits(path: Path, limits: WheelLimits = DEFAULT_LIMITS) -> str | None:
    """What is over the limits in the wheel at `path` (one line), or None. A wheel that is not
    a readable zip is not this check's business (None): its readers say what is wrong."""
    try:
        with zipfile.ZipFile(path) as archive:
            return limits.problem(archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


@contextmanager
def open_wheel(path: Path, limits: WheelLimits = DEFAULT_LIMITS) -> Iterator[zipfile.ZipFile]:
    """The wheel's archive, for reading, once its listing is within the limits; raises
    WheelOverLimit naming the member and its size otherwise."""
    with zipfile.ZipFile(path) as archive:
        problem = limits.problem(archive.infolist())
        if problem is not None:
            raise WheelOverLimit(f"{path.name}: {fix(problem)}")
        yield archive


def check_wheel(path: Path, limits: WheelLimits = DEFAULT_LIMITS) -> None:
    """Raise WheelOverLimit before anything else (auditwheel) unpacks the wheel."""
    with open_wheel(path, limits):
        pass


def zip_damage(path: Path, limits: WheelLimits = DEFAULT_LIMITS) -> str | None:
    """What stops the wheel's archive from being read, one line with its fix; None when every
    member reads back against its CRC. A damaged wheel passes zipfile.is_zipfile (a broken
    central directory behind an intact end record, a bad CRC in one member) and would crash
    whoever reads it later; members over the limits are not read at all."""
    try:
        with open_wheel(path, limits) as archive:
            bad = archive.testzip()
    except WheelOverLimit as exc:
        return str(exc).removeprefix(f"{path.name}: ")
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        return f"its zip is damaged ({exc}): download it again"
    except NotImplementedError as exc:  # a compression method this Python cannot read
        return f"its zip cannot be read ({exc}): download it again"
    if bad is not None:
        return f"its member {bad} fails its CRC check: download it again"
    return None
