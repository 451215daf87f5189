"""The shipped download shares: derived by bin/derive_download_shares.py from
mayeut/manylinux-timeline, read by harness.explain.download_shares."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import lzma
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from harness.explain import download_shares
from harness.resources import read_text
from tests.helpers import DATA_DIR

REPO = Path(__file__).resolve().parents[3]
FIXTURE = DATA_DIR / "manylinux-timeline"
# The full snapshot lives beside the checkout on the development machines, not in CI.
SNAPSHOT = REPO.parent / "shared" / "data" / "manylinux-timeline"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "derive_download_shares", REPO / "bin" / "derive_download_shares.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # registered first: its dataclasses look their module up while being defined
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    text = (lzma.decompress(raw) if path.suffix == ".xz" else raw).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_script_sums_downloads_per_major_minor_over_the_newest_days() -> None:
    derived = tomllib.loads(_script().derive(FIXTURE))
    assert derived["source"]["commit"] == "9101d6b6"  # from the README: not a git checkout
    assert derived["source"]["licence"] == "BSD-2-Clause"
    assert derived["glibc"]["days"] == ["2026-08-06", "2026-08-07"]
    # the files with pip_version are older: the pip period is theirs alone
    assert derived["pip"]["days"] == ["2025-05-21", "2025-05-22"]
    # recomputed here by hand from the fixture's rows
    glibc_rows = [
        r
        for day in ("2026-08-06", "2026-08-07")
        for r in _rows(FIXTURE / "consumer_data" / f"{day}.csv.xz")
    ]

    def glibc(row: dict[str, str]) -> tuple[int, ...]:
        return tuple(int(x) for x in row["glibc_version"].split(".")[:2])

    below_2_35 = sum(int(r["num_downloads"]) for r in glibc_rows if glibc(r) < (2, 35))
    total = sum(int(r["num_downloads"]) for r in glibc_rows)
    assert below_2_35 > 0  # the excerpt has rows on both sides of the floor
    assert derived["glibc"]["downloads"] == total
    shares = download_shares.from_toml(derived)
    share = shares.glibc_below((2, 35))
    assert (share.downloads, share.total) == (below_2_35, total)
    assert (share.first, share.last) == ("2026-08-06", "2026-08-07")


def test_major_minor_reads_the_odd_versions_upstream_has() -> None:
    script = _script()
    assert script.major_minor("2.20-2014") == "2.20"
    assert script.major_minor("24.0+nv1") == "24.0"
    assert script.major_minor("2.5") == "2.5"
    assert script.major_minor("") is None


def test_shipped_glibc_share_matches_the_snapshots_published_figure() -> None:
    """The snapshot's README, computed independently: glibc >= 2.28 is 95.12 % of the 7 days
    2026-08-01..07, >= 2.34 is 91.84 %."""
    shares = download_shares.shipped()
    assert shares.glibc_below((2, 28)).text == "4.88 %"
    assert shares.glibc_below((2, 34)).text == "8.16 %"
    assert shares.glibc_below((2, 28)).period == "the 7 days 2026-08-01 to 2026-08-07"
    assert shares.pip_at_least("20.3").period == "the 7 days 2025-05-16 to 2025-05-22"
    assert shares.source == "mayeut/manylinux-timeline at 9101d6b6 (BSD-2-Clause)"


def test_between_two_floors_is_the_difference_of_the_two_below() -> None:
    shares = download_shares.shipped()
    between = shares.glibc_between((2, 17), (2, 28))
    assert between.downloads == (
        shares.glibc_below((2, 28)).downloads - shares.glibc_below((2, 17)).downloads
    )


@pytest.mark.skipif(not SNAPSHOT.is_dir(), reason="the manylinux-timeline snapshot is not here")
def test_shipped_file_is_what_the_script_derives_from_the_snapshot() -> None:
    assert _script().derive(SNAPSHOT) == read_text(download_shares.FILE)


def test_the_script_reads_the_sites_timeline_with_each_buckets_no_wheel_part() -> None:
    derived = tomllib.loads(_script().derive(FIXTURE))
    timeline = derived["timeline"]
    assert timeline["dates"] == [
        "2024-08-07",
        "2024-08-08",
        "2024-08-09",
        "2026-08-05",
        "2026-08-06",
        "2026-08-07",
    ]
    assert timeline["buckets"][0] == "2.5" and timeline["buckets"][-1] == "2.43"
    # consumer-data.json's 2026-08-07: 2.28 is 0.54 and 2.28-nsw 0.29, read here from the file
    site = json.loads((FIXTURE / "consumer-data.json").read_text(encoding="utf-8"))["glibc_version"]
    assert timeline["percent"]["2.28"][-1] == round(site["2.28"][-1] + site["2.28-nsw"][-1], 2)
    assert timeline["window_days"] == 28


def test_the_timelines_newest_shares_are_the_published_ones() -> None:
    """ANCHORS.md, from the source's own site: in the 28 days to 2026-08-07, 94.8 % of
    manylinux downloads came from glibc >= 2.28, 90.6 % from >= 2.34, 52.5 % from >= 2.39."""
    timeline = download_shares.shipped().timeline
    assert timeline is not None and timeline.last == "2026-08-07"
    for floor, published in (((2, 28), 94.8), ((2, 34), 90.6), ((2, 39), 52.5)):
        series = timeline.at_least(floor)
        assert series.exact
        assert abs(series.low[-1] - published) < 0.05, (floor, series.low[-1])


def test_the_weeks_counts_match_the_snapshots_published_figures() -> None:
    """The snapshot README (computed from the daily files): pip >= 19.0 99.78 %, >= 19.3
    99.77 %, >= 20.3 99.17 % (truncated to two decimals there); glibc >= 2.26 99.85 %."""
    shares = download_shares.shipped()
    for since, published in (("19.0", 99.78), ("19.3", 99.77), ("20.3", 99.17)):
        assert 0 <= shares.pip_at_least(since).percent - published < 0.01, since
    assert abs((100 - shares.glibc_below((2, 26)).percent) - 99.85) < 0.01


def test_a_floor_inside_a_bucket_is_two_bounds() -> None:
    timeline = download_shares.shipped().timeline
    assert timeline is not None
    series = timeline.at_least((2, 12))  # the data's 2.5 bucket holds 2.5 .. 2.16
    assert not series.exact and (series.low_from, series.high_from) == ("2.17", "2.5")
    assert all(low <= high <= 100 for low, high in zip(series.low, series.high, strict=True))
    assert "no bucket starting at glibc 2.12" in timeline.bucket_note(series)
    assert timeline.bucket_note(timeline.at_least((2, 17))) == ""
    newest = timeline.at_least((2, 44))  # inside the last bucket: at least nothing
    assert newest.low_from == "none" and set(newest.low) == {0.0}


@pytest.mark.parametrize(
    ("values", "state", "first", "since"),
    [
        ([91, 92, 95], "before the data begins", "", "2024-01-01"),
        ([80, 95, 96], "crossed", "2024-01-02", "2024-01-02"),
        ([80, 91, 85], "crossed", "2024-01-02", ""),
        ([91, 80, 92], "before the data begins", "", "2024-01-03"),
        ([80, 85, 89.99], "not yet", "", ""),
    ],
)
def test_crossing_dates(values: list[float], state: str, first: str, since: str) -> None:
    dates = ["2024-01-01", "2024-01-02", "2024-01-03"]
    found = download_shares.crossing(dates, values, 90)
    assert (found.state, found.first, found.since) == (state, first, since)
    assert found.text.startswith("90 %: ")
