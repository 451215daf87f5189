"""How widespread the systems a policy gives up still are: PyPI download shares of manylinux
wheels, read from the shipped harness/resources/download-shares.toml.

That file is derived by bin/derive_download_shares.py from mayeut/manylinux-timeline
(BSD-2-Clause): download counts per glibc major.minor over one week, per pip major.minor over
the last week the upstream data still had pip versions (May 2025), and the site's published
28-day shares per glibc bucket over two years (the timeline). Shares are computed here from
the counts, so any floor or tag family can be asked for; each share carries the dates it is
about, and the source its commit and licence.

The timeline's buckets are the source's (2.5 holds 2.5 to 2.16, 2.17 holds 2.17 to 2.25, ...):
the share on glibc >= a floor that falls inside a bucket (2.12, 2.24) is known only between
two bounds, and is reported as such, never interpolated.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

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


CrossingState = Literal["before the data begins", "crossed", "not yet"]


@dataclass(frozen=True)
class Crossing:
    """When a share series reached a threshold."""

    threshold: float  # percent
    state: CrossingState
    first: str  # ISO date it first reached the threshold ("" unless "crossed")
    since: str  # start of the run at or above it that lasts to the end ("" if below now)

    @property
    def text(self) -> str:
        if self.state == "before the data begins":
            return f"{self.threshold:g} %: before the data begins"
        if self.state == "not yet":
            return f"{self.threshold:g} %: not yet"
        if self.since and self.since != self.first:
            return f"{self.threshold:g} %: first on {self.first}, for good since {self.since}"
        if not self.since:
            return f"{self.threshold:g} %: reached on {self.first}, below it again now"
        return f"{self.threshold:g} %: on {self.first}"


def crossing(dates: Sequence[str], values: Sequence[float], threshold: float) -> Crossing:
    """When `values` (one per date, oldest first) first reached `threshold`, and since when it
    has stayed there."""
    above = [v >= threshold for v in values]
    since = ""
    for date, ok in zip(reversed(dates), reversed(above), strict=True):
        if not ok:
            break
        since = date
    if above and above[0]:
        return Crossing(threshold, "before the data begins", "", since)
    first = next((d for d, ok in zip(dates, above, strict=True) if ok), "")
    return Crossing(threshold, "crossed" if first else "not yet", first, since)


@dataclass(frozen=True)
class ShareSeries:
    """The share of manylinux downloads on glibc >= `floor` over time, as two bounds: `low`
    counts only the buckets wholly at or above the floor, `high` also the bucket the floor
    falls in. They are equal where the floor starts a bucket."""

    floor: tuple[int, int]
    dates: tuple[str, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    low_from: str  # the glibc `low` counts from, e.g. "2.17"
    high_from: str  # the glibc `high` counts from, e.g. "2.5"

    @property
    def exact(self) -> bool:
        return self.low_from == self.high_from

    @property
    def floor_text(self) -> str:
        return f"{self.floor[0]}.{self.floor[1]}"

    def crossings(self, threshold: float) -> tuple[Crossing, Crossing]:
        """(latest, earliest): when the lower bound crossed (by then the share had certainly
        reached the threshold) and when the upper bound did (not before then)."""
        return (
            crossing(self.dates, self.low, threshold),
            crossing(self.dates, self.high, threshold),
        )

    def latest(self) -> tuple[str, float, float]:
        return self.dates[-1], self.low[-1], self.high[-1]

    def bounds_text(self, index: int = -1) -> str:
        """ "94.80 %" or "between 99.89 % and 100.00 %" at a date (the newest by default)."""
        low, high = self.low[index], self.high[index]
        if self.exact:
            return f"{low:.2f} %"
        if low == high:
            return f"{low:.2f} % (both bounds)"
        return f"between {low:.2f} % and {high:.2f} %"


@dataclass(frozen=True)
class Timeline:
    """manylinux-timeline's published 28-day shares per glibc bucket, per date."""

    last_update: str
    window_days: int
    dates: tuple[str, ...]
    buckets: tuple[tuple[int, int], ...]  # the first glibc of each bucket, oldest first
    percent: tuple[tuple[float, ...], ...]  # per bucket, one value per date

    @property
    def first(self) -> str:
        return self.dates[0]

    @property
    def last(self) -> str:
        return self.dates[-1]

    def at_least(self, floor: tuple[int, int]) -> ShareSeries:
        """The share on glibc >= floor, bounded by the buckets around it."""
        low_index = next((i for i, b in enumerate(self.buckets) if b >= floor), len(self.buckets))
        # The bucket the floor falls in starts at or below it; below the first bucket every
        # published download counts.
        high_index = max((i for i, b in enumerate(self.buckets) if b <= floor), default=0)
        if low_index < len(self.buckets) and self.buckets[low_index] == floor:
            high_index = low_index

        def summed(start: int) -> tuple[float, ...]:
            # Buckets rounded to 0.01 % each may sum past 100: a share is at most all of it.
            rows = self.percent[start:]
            if not rows:
                return tuple(0.0 for _ in self.dates)
            return tuple(min(100.0, round(sum(col), 2)) for col in zip(*rows, strict=True))

        def name(index: int) -> str:
            if index >= len(self.buckets):
                return "none"
            return f"{self.buckets[index][0]}.{self.buckets[index][1]}"

        return ShareSeries(
            floor=floor,
            dates=self.dates,
            low=summed(low_index),
            high=summed(high_index),
            low_from=name(low_index),
            high_from=name(high_index),
        )

    def bucket_note(self, series: ShareSeries) -> str:
        """What the buckets hide, said plainly ("" when the floor starts a bucket)."""
        if series.exact:
            return ""
        return (
            f"the data has no bucket starting at glibc {series.floor_text}: the share on "
            f"glibc >= {series.floor_text} is at least the share on >= {series.low_from} and at "
            f"most the share on >= {series.high_from}, and is shown as those two bounds"
        )


@dataclass(frozen=True)
class DownloadShares:
    repository: str
    commit: str
    licence: str
    glibc: Counts
    pip: Counts
    timeline: Timeline | None = None

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


def _timeline(section: Mapping[str, Any]) -> Timeline:
    names = [str(b) for b in section["buckets"]]
    dates = tuple(str(d) for d in section["dates"])
    percent = tuple(tuple(float(v) for v in section["percent"][name]) for name in names)
    if any(len(values) != len(dates) for values in percent):
        raise ValueError("download-shares.toml: a timeline bucket has not one value per date")
    buckets = tuple((int(n.split(".")[0]), int(n.split(".")[1])) for n in names)
    return Timeline(
        last_update=str(section.get("last_update", "")),
        window_days=int(section.get("window_days", 28)),
        dates=dates,
        buckets=buckets,
        percent=percent,
    )


def from_toml(data: Mapping[str, Any]) -> DownloadShares:
    source = data["source"]
    return DownloadShares(
        repository=str(source["repository"]),
        commit=str(source["commit"]),
        licence=str(source["licence"]),
        glibc=_counts(data["glibc"]),
        pip=_counts(data["pip"]),
        timeline=_timeline(data["timeline"]) if "timeline" in data else None,
    )


@functools.cache
def shipped() -> DownloadShares:
    return from_toml(load_toml(FILE))


def _days(first: str, last: str) -> int:
    import datetime as _dt

    return (_dt.date.fromisoformat(last) - _dt.date.fromisoformat(first)).days + 1
