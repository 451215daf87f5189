"""explain's output: the download shares a switch concerns (with their dates), the data rows
(CentOS 5 .. Ubuntu 22.04, not runnable) and what each measured distro offers both policies."""

from __future__ import annotations

import dataclasses
import datetime

from harness.catalog.model import default_catalog
from harness.explain.download_shares import shipped
from harness.explain.model import Explanation
from harness.explain.policy_change import explain
from harness.explain.reference_distros import reference_distros
from harness.explain.render import render_markdown, render_text
from harness.judge.installers import tag_families
from harness.results.record import RunRecord, load
from tests.helpers import DATA_DIR

RESULTS = DATA_DIR / "explain-results.json"
SONAMES = ["libc.so.6", "libstdc++.so.6"]

TODAY = datetime.date(2026, 12, 4)


def _with_libraries(run: RunRecord) -> RunRecord:
    """The run with libc and libstdc++ measured in every distro (the rest of the whitelist
    absent): the fixtures predate the measured sonames."""
    distros = {
        key: {**entry, "facts": {**entry["facts"], "sonames": SONAMES}}
        for key, entry in run.distros.items()
    }
    return dataclasses.replace(run, distros=distros)


def _explain(old: str, new: str, with_record: bool = False) -> Explanation:
    return explain(
        old,
        new,
        default_catalog(),
        _with_libraries(load(RESULTS)) if with_record else None,
        tag_families(),
        today=TODAY,
        reference=reference_distros(),
        shares=shipped(),
    )


def test_manylinux1_to_2010_gives_up_centos_5_as_a_data_row() -> None:
    expl = _explain("manylinux1", "manylinux2010")
    lost = {r.name: r for r in expl.lost}
    assert set(lost) == {"CentOS 5", "Debian 6 (squeeze)"}
    centos5 = lost["CentOS 5"]
    assert not centos5.runnable and centos5.glibc_source == "data"
    assert (centos5.glibc, centos5.eol, centos5.eol_past) == ("2.5", "2017-03-31", True)
    assert centos5.label == "CentOS 5 (data row, not runnable)"


def test_2014_to_2_28_names_the_share_below_the_new_floor_with_its_dates() -> None:
    expl = _explain("manylinux2014", "manylinux_2_28")
    assert {"CentOS 7", "Ubuntu 18.04 LTS", "Amazon Linux 2"} <= {r.name for r in expl.lost}
    assert "Debian 10 (buster)" in {r.name for r in expl.kept}
    assert expl.shares is not None
    assert expl.shares.below_new == shipped().glibc_below((2, 28))
    text = render_text(expl)
    assert (
        "drops systems with glibc < 2.28: 4.88 % of manylinux downloads in the 7 days "
        "2026-08-01 to 2026-08-07" in text
    )
    # the pip share carries its own (older) dates
    assert "pips that know manylinux_x_y tags (pip >= 20.3): 99.18 %" in text
    assert "2025-05-16 to 2025-05-22" in text
    assert "mayeut/manylinux-timeline at 9101d6b6 (BSD-2-Clause)" in text


def test_2_28_to_2_34_in_markdown() -> None:
    expl = _explain("manylinux_2_28", "manylinux_2_34")
    lost = {r.name for r in expl.lost}
    assert {"RHEL 8 / AlmaLinux 8", "Debian 10 (buster)", "Ubuntu 20.04 LTS"} <= lost
    md = render_markdown(expl)
    assert "| RHEL 8 / AlmaLinux 8 (data row, not runnable) | glibc 2.28 (data) |" in md
    assert "- drops systems with glibc < 2.34: 8.16 % of manylinux downloads" in md


def test_moving_down_says_what_it_reaches() -> None:
    expl = _explain("manylinux_2_28", "manylinux2014")
    assert expl.shares is not None
    assert "reaches systems with glibc 2.17 up to 2.28" in render_text(expl)


def test_explain_offers_both_policies_for_measured_distros() -> None:
    expl = _explain("manylinux_2_31", "manylinux_2_36", with_record=True)
    rows = {row.distro: row for row in expl.offers}
    assert "debian-bullseye" in rows
    bullseye = rows["debian-bullseye"]
    assert bullseye.new.short[0].text == "GLIBC 2.31 < 2.36"
    assert "What each measured distro offers" in render_text(expl)
