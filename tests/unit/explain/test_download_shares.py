"""The shipped download shares: derived by bin/derive_download_shares.py from
mayeut/manylinux-timeline, read by harness.explain.download_shares."""

from __future__ import annotations

import csv
import importlib.util
import io
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
