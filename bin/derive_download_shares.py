#!/usr/bin/env python3
"""Derive harness/resources/download-shares.toml from mayeut/manylinux-timeline's data.

    python3 bin/derive_download_shares.py --source ../shared/data/manylinux-timeline
    python3 bin/derive_download_shares.py --fetch        # a fresh clone of the upstream repository
    python3 bin/derive_download_shares.py --source DIR --check   # exit 1 if the shipped file differs

manylinux-timeline (https://github.com/mayeut/manylinux-timeline, BSD-2-Clause) publishes
PyPI's downloads of manylinux wheels per day in consumer_data/YYYY-MM-DD.csv[.xz] (the upstream
repository files them as consumer_data/YYYY/MM/DD.csv[.xz]): columns cpu, num_downloads,
python_version, glibc_version (and project in the newer files), and until 2025-05-22
pip_version; and its site's consumer-data.json: 28-day rolling shares per day, per glibc
bucket. `explain` needs three things from it, kept here so any floor or tag family can be
asked for later without re-reading the upstream data:

- downloads per glibc major.minor, over the newest 7 days the data has;
- downloads per pip major.minor, over the newest 7 days that still carry a pip_version;
- the published share of each glibc bucket over time (consumer-data.json's glibc_version,
  each bucket's "-nsw" part, downloads of projects with no wheel for that Python, added to
  its bucket: they are downloads on that glibc all the same).

The day sums cover every cpu and Python. The output names the source, its commit, the periods
and the licence; it is written in a fixed order, so an unchanged source gives an unchanged file.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import io
import json
import lzma
import re
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "harness" / "resources" / "download-shares.toml"
UPSTREAM = "https://github.com/mayeut/manylinux-timeline"
LICENCE = "BSD-2-Clause"
DAYS = 7  # one week: weekday and weekend downloads differ, a whole week evens that out
WINDOW = 28  # consumer-data.json's rolling window (manylinux-timeline's CONSUMER_WINDOW_SIZE)
_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2})\.csv(\.xz)?$")
_MAJOR_MINOR = re.compile(r"^(\d+)\.(\d+)")
# The snapshot's README names the commit it was copied at ("commit 9101d6b6 of 2026-08-08").
_README_COMMIT = re.compile(r"commit ([0-9a-f]{7,40})\b")


@dataclass(frozen=True)
class Period:
    """Downloads per major.minor version over a run of days."""

    column: str  # "glibc_version" or "pip_version"
    days: tuple[str, ...]  # ISO dates, oldest first
    counts: tuple[tuple[str, int], ...]  # version -> downloads, oldest version first

    @property
    def downloads(self) -> int:
        return sum(n for _, n in self.counts)


def major_minor(text: str) -> str | None:
    """ "2.20-2014" -> "2.20", "24.0+nv1" -> "24.0"; None for anything without one."""
    match = _MAJOR_MINOR.match(text.strip())
    return f"{int(match.group(1))}.{int(match.group(2))}" if match else None


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def day_files(consumer_data: Path) -> dict[str, Path]:
    """consumer_data's daily files by date (a .csv beside a .csv.xz of one day: the .csv), flat
    (YYYY-MM-DD.csv) or as the upstream repository nests them (YYYY/MM/DD.csv)."""
    found: dict[str, Path] = {}
    for path in sorted(consumer_data.rglob("*.csv*")):
        parts = path.relative_to(consumer_data).parts
        name = "-".join(parts) if len(parts) == 3 else path.name
        match = _DAY.match(name)
        if match and (match.group(1) not in found or not match.group(2)):
            found[match.group(1)] = path
    return found


def read_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    text = (lzma.decompress(raw) if path.suffix == ".xz" else raw).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def has_column(path: Path, column: str) -> bool:
    raw = path.read_bytes()
    head = (lzma.decompress(raw) if path.suffix == ".xz" else raw).split(b"\n", 1)[0]
    return column in head.decode("utf-8").strip().split(",")


def newest_days(files: dict[str, Path], column: str, days: int = DAYS) -> list[str]:
    """The dates whose file has the column within the `days` days ending at the newest such
    date, oldest first (a calendar week, not a count of files: a gap stays a gap)."""
    with_column = [day for day in sorted(files) if has_column(files[day], column)]
    if not with_column:
        return []
    start = _dt.date.fromisoformat(with_column[-1]) - _dt.timedelta(days=days - 1)
    return [day for day in with_column if _dt.date.fromisoformat(day) >= start]


def aggregate(files: dict[str, Path], days: Sequence[str], column: str) -> Period:
    counts: Counter[str] = Counter()
    for day in days:
        for row in read_rows(files[day]):
            version = major_minor(row.get(column) or "")
            if version is not None:
                counts[version] += int(row["num_downloads"])
    ordered = tuple(sorted(counts.items(), key=lambda item: _key(item[0])))
    return Period(column=column, days=tuple(days), counts=ordered)


@dataclass(frozen=True)
class Timeline:
    """consumer-data.json's glibc shares: per day, the percent of the 28 days' manylinux
    downloads in each bucket (a bucket holds glibc from its name up to the next bucket's)."""

    last_update: str
    dates: tuple[str, ...]
    buckets: tuple[str, ...]  # oldest glibc first
    percent: tuple[tuple[float, ...], ...]  # per bucket, per date


def read_timeline(path: Path) -> Timeline:
    """The glibc buckets of consumer-data.json, each with its "-nsw" part added."""
    data = json.loads(path.read_text(encoding="utf-8"))
    dates = tuple(str(d) for d in data["index"])
    series = data["glibc_version"]
    keys = [k for k in series["keys"] if not k.endswith("-nsw")]
    buckets = tuple(sorted(keys, key=_key))
    percent = []
    for bucket in buckets:
        own = series[bucket]
        nsw = series.get(f"{bucket}-nsw", [0.0] * len(own))
        if len(own) != len(dates) or len(nsw) != len(dates):
            raise SystemExit(f"{path}: glibc_version[{bucket!r}] does not have one value per date")
        # Each published value has two decimals: the sum is rounded back to them.
        percent.append(tuple(round(a + b, 2) for a, b in zip(own, nsw, strict=True)))
    return Timeline(str(data.get("last_update", "")), dates, buckets, tuple(percent))


def _timeline_section(timeline: Timeline) -> list[str]:
    lines = [
        "[timeline]",
        "# consumer-data.json: for each date, the share (percent) of the manylinux downloads of",
        f"# the {WINDOW} days up to it whose glibc falls in each bucket; a bucket holds glibc from its",
        "# name up to the next bucket's (excluded), the last one everything newer. Each value is",
        "# published with two decimals. Dates are the source's: a day it skipped is not here.",
        f'last_update = "{timeline.last_update}"',
        f"window_days = {WINDOW}",
        f"buckets = {_toml_list(timeline.buckets)}",
        *_wrapped("dates", [f'"{d}"' for d in timeline.dates], per_line=8),
        "",
        "[timeline.percent]",
    ]
    for bucket, values in zip(timeline.buckets, timeline.percent, strict=True):
        lines += _wrapped(f'"{bucket}"', [f"{v:g}" for v in values], per_line=16)
    return [*lines, ""]


def _wrapped(key: str, items: Sequence[str], per_line: int) -> list[str]:
    """A long TOML array, `per_line` items a line, so a refresh reads as a diff of dates."""
    rows = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return [f"{key} = [", *(f"  {row}," for row in rows), "]"]


def readme_commit(source: Path) -> str:
    try:
        match = _README_COMMIT.search((source / "README.md").read_text(encoding="utf-8"))
    except OSError:
        return ""
    return match.group(1) if match else ""


def git_commit(source: Path) -> str:
    """The commit of a clone of the upstream repository; "" for anything else (a snapshot
    inside another repository must not be named by that repository's commit)."""
    if not (source / ".git").exists():
        return ""
    try:
        out = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return out.stdout.strip()


def copyright_lines(source: Path) -> list[str]:
    try:
        text = (source / "LICENSE").read_text(encoding="utf-8")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.startswith("Copyright")]


def _toml_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def _section(name: str, period: Period, what: str) -> list[str]:
    lines = [
        f"[{name}]",
        f"# {what}",
        f'first = "{period.days[0]}"',
        f'last = "{period.days[-1]}"',
        f"days = {_toml_list(period.days)}",
        f"downloads = {period.downloads}",
        "",
        f"[{name}.downloads_by_version]",
    ]
    lines += [f'"{version}" = {count}' for version, count in period.counts]
    return [*lines, ""]


def render(
    glibc: Period,
    pip: Period,
    commit: str,
    copyright: Sequence[str],
    timeline: Timeline | None = None,
) -> str:
    lines = [
        "# Generated by bin/derive_download_shares.py; do not edit by hand (run it again).",
        "# PyPI downloads of manylinux wheels (glibc systems only, so the shares overstate how",
        "# ready the whole population is), summed over every cpu and Python.",
        "",
        "[source]",
        f'repository = "{UPSTREAM}"',
        f'commit = "{commit}"',
        f'licence = "{LICENCE}"',
        f"copyright = {_toml_list(copyright)}",
        "",
        *_section("glibc", glibc, "downloads per glibc major.minor, newest week of the data"),
        *_section(
            "pip", pip, "downloads per pip major.minor (pip as installer), newest week with pip"
        ),
        *(_timeline_section(timeline) if timeline is not None else ()),
    ]
    return "\n".join(lines).rstrip() + "\n"


def derive(source: Path, commit: str = "") -> str:
    files = day_files(source / "consumer_data")
    if not files:
        raise SystemExit(f"{source}/consumer_data holds no YYYY-MM-DD.csv[.xz] files")
    glibc_days = newest_days(files, "glibc_version")
    pip_days = newest_days(files, "pip_version")
    if not glibc_days or not pip_days:
        raise SystemExit(f"{source}/consumer_data: no day with glibc_version and pip_version")
    site_data = source / "consumer-data.json"
    if not site_data.is_file():
        raise SystemExit(f"{source}: no consumer-data.json (the site's 28-day shares)")
    return render(
        aggregate(files, glibc_days, "glibc_version"),
        aggregate(files, pip_days, "pip_version"),
        commit or git_commit(source) or readme_commit(source) or "unknown",
        copyright_lines(source),
        read_timeline(site_data),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--source", type=Path, help="a copy of manylinux-timeline (or a snapshot)")
    where.add_argument("--fetch", action="store_true", help=f"clone {UPSTREAM} (needs network)")
    parser.add_argument("--commit", default="", help="the source's commit, when not a git checkout")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare only: exit 1 on a difference")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        source = args.source
        if args.fetch:
            source = Path(scratch) / "manylinux-timeline"
            subprocess.run(["git", "clone", "--depth", "1", UPSTREAM, str(source)], check=True)
        text = derive(source, args.commit)
    if args.check:
        same = args.output.is_file() and args.output.read_text(encoding="utf-8") == text
        print(f"{args.output}: {'up to date' if same else 'differs from what the source gives'}")
        return 0 if same else 1
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
