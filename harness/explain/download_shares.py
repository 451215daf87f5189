"""How widespread the systems a policy gives up still are: PyPI download shares of manylinux
wheels, read from the shipped harness/resources/download-shares.toml.

That file is derived by bin/derive_download_shares.py from mayeut/manylinux-timeline
(BSD-2-Clause): download counts per glibc major.minor over one week, and per pip major.minor
over the last week the upstream data still had pip versions (May 2025). Shares are computed
here from the counts, so any floor or tag family can be asked for; each share carries the
dates it is about, and the source its commit and licence.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.resources import load_toml
from harness.vocab.versions import version_tuple

FILE = "download-shares.toml"


@dataclass(frozen=True)
class Share:
    percent: float  # of the period's manylinux downloads
    downloads: int  # of them
    total: int
    first: str  # ISO dates of the period
    last: str

    @property
    def period(self) -> str:
        return f"the {_days(self.first, self.last)} days {self.first} to {self.last}"

    @property
    def text(self) -> str:
        """ "4.88 %": two decimals, as small shares are what a packager weighs."""
        return f"{self.percent:.2f} %"

    @property
    def counted(self) -> str:
        """ "4.88 % (248,405,148 of 5,090,337,852 downloads)": the count, as 0.00 % may be
        thousands of downloads."""
        return f"{self.text} ({self.downloads:,} of {self.total:,} downloads)"


@dataclass(frozen=True)
class Counts:
    first: str
    last: str
    by_version: tuple[tuple[tuple[int, ...], int], ...]  # (major, minor) -> downloads

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_version)

    def share(self, include: Any) -> Share:
        """The share of downloads whose version `include` accepts."""
        chosen = sum(n for version, n in self.by_version if include(version))
        total = self.total
        return Share(100.0 * chosen / total if total else 0.0, chosen, total, self.first, self.last)


@dataclass(frozen=True)
class DownloadShares:
    repository: str
    commit: str
    licence: str
    glibc: Counts
    pip: Counts

    @property
    def source(self) -> str:
        """ "mayeut/manylinux-timeline at 9101d6b6 (BSD-2-Clause)" """
        name = self.repository.removeprefix("https://github.com/")
        return f"{name} at {self.commit} ({self.licence})"

    def glibc_below(self, floor: tuple[int, int]) -> Share:
        """Downloads on systems whose glibc is older than `floor`: what a policy of that
        floor no longer installs on."""
        return self.glibc.share(lambda version: version < floor)

    def glibc_between(self, low: tuple[int, int], high: tuple[int, int]) -> Share:
        """Downloads on systems with glibc in [low, high): what a move between the two floors
        gives up (or, moving down, gains)."""
        return self.glibc.share(lambda version: low <= version < high)

    def pip_at_least(self, since: str) -> Share:
        """Downloads by pips at least `since`: the pips that know a tag family of that age."""
        minimum = version_tuple(since)
        return self.pip.share(lambda version: version >= minimum)


def _counts(section: Mapping[str, Any]) -> Counts:
    rows = section.get("downloads_by_version", {})
    return Counts(
        first=str(section["first"]),
        last=str(section["last"]),
        by_version=tuple(sorted((version_tuple(v), int(n)) for v, n in rows.items())),
    )


def from_toml(data: Mapping[str, Any]) -> DownloadShares:
    source = data["source"]
    return DownloadShares(
        repository=str(source["repository"]),
        commit=str(source["commit"]),
        licence=str(source["licence"]),
        glibc=_counts(data["glibc"]),
        pip=_counts(data["pip"]),
    )


@functools.cache
def shipped() -> DownloadShares:
    return from_toml(load_toml(FILE))


def _days(first: str, last: str) -> int:
    import datetime as _dt

    return (_dt.date.fromisoformat(last) - _dt.date.fromisoformat(first)).days + 1
