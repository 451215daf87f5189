"""Whether Debian's mirror can serve a suite for an architecture: its package index must be the
one its signed Release file names, or apt refuses it (rightly) and no image of that suite and
arch can be bootstrapped.

A live mirror disagrees with itself for minutes while it syncs; a stored copy taken mid-sync
disagrees for good (seen here: trixie's i386, armhf, ppc64el, s390x and riscv64 indices, a
point release behind their Release file). `doctor` asks before a run does, so the user learns
which (suite, arch) pairs cannot be built in seconds instead of after a bootstrap's retries.
The parsing and the judgement are pure; `fetch_states` holds the HTTP.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

INDEX = "main/binary-{arch}/Packages.xz"
_CHECKSUM_SECTION = re.compile(r"^(SHA256|MD5Sum):\s*$")
_CHECKSUM_LINE = re.compile(r"^\s+[0-9a-fA-F]+\s+(\d+)\s+(\S+)\s*$")


def release_sizes(release_text: str) -> dict[str, int]:
    """path -> size, from the checksum sections of a Release or InRelease file."""
    sizes: dict[str, int] = {}
    in_section = False
    for line in release_text.splitlines():
        if _CHECKSUM_SECTION.match(line):
            in_section = True
            continue
        match = _CHECKSUM_LINE.match(line) if in_section else None
        if match:
            sizes.setdefault(match.group(2), int(match.group(1)))
        elif not line.startswith((" ", "\t")):
            in_section = False
    return sizes


@dataclass(frozen=True)
class IndexState:
    """One suite's package index for one Debian architecture, as the mirror serves it."""

    suite: str
    debian_arch: str
    expected_size: int | None  # what the Release file says; None: the suite lacks the arch
    served_size: int | None  # what the mirror serves; None: not served
    error: str = ""  # the mirror could not be asked

    @property
    def usable(self) -> bool:
        return (
            not self.error
            and self.expected_size is not None
            and self.served_size == self.expected_size
        )

    def problem(self) -> str:
        """Why it is not usable, in a few words (empty when it is)."""
        index = INDEX.format(arch=self.debian_arch)
        if self.error:
            return f"{self.suite}: {self.error}"
        if self.expected_size is None:
            return f"{self.suite}: its Release file lists no {index}"
        if self.served_size is None:
            return f"{self.suite}: {index} is listed but not served"
        if self.served_size != self.expected_size:
            return (
                f"{self.suite}: {index} is {self.served_size} bytes, its signed Release says "
                f"{self.expected_size} (a mirror caught mid-sync)"
            )
        return ""


def index_state(
    suite: str, debian_arch: str, sizes: Mapping[str, int], served_size: int | None
) -> IndexState:
    """`sizes`: release_sizes() of the suite's Release file."""
    return IndexState(suite, debian_arch, sizes.get(INDEX.format(arch=debian_arch)), served_size)


def fetch_states(
    mirror: str, pairs: Iterable[tuple[str, str]], timeout: float = 15.0
) -> list[IndexState]:
    """The state of every (suite, Debian arch) pair: one Release per suite, one HEAD per
    index. A mirror that cannot be asked gives states with an error, never an exception."""
    releases: dict[str, dict[str, int]] = {}  # suite -> its Release's sizes, parsed once
    states = []
    unreachable = ""
    for suite, debian_arch in pairs:
        if unreachable:  # one timeout is enough to know
            states.append(IndexState(suite, debian_arch, None, None, error=unreachable))
            continue
        try:
            if suite not in releases:
                releases[suite] = release_sizes(_get_release(mirror, suite, timeout))
            served = _content_length(
                f"{mirror}/dists/{suite}/{INDEX.format(arch=debian_arch)}", timeout
            )
        except (OSError, ValueError) as exc:
            error = _reason(mirror, exc)
            if not isinstance(exc, urllib.error.HTTPError):
                unreachable = error
            states.append(IndexState(suite, debian_arch, None, None, error=error))
            continue
        states.append(index_state(suite, debian_arch, releases[suite], served))
    return states


def _get_release(mirror: str, suite: str, timeout: float) -> str:
    last: Exception | None = None
    for name in ("InRelease", "Release"):
        try:
            with urllib.request.urlopen(f"{mirror}/dists/{suite}/{name}", timeout=timeout) as r:
                return str(r.read().decode("utf-8", errors="replace"))
        except urllib.error.HTTPError as exc:
            last = exc
    assert last is not None
    raise last


def _content_length(url: str, timeout: float) -> int | None:
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            length = response.headers.get("Content-Length")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise
    return int(length) if length is not None else None


def _reason(mirror: str, exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"{mirror} answered HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"cannot reach {mirror}: {exc.reason}"
    return f"cannot read from {mirror}: {exc}"
