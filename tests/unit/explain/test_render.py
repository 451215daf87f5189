"""explain's answers to a rollout's questions, on the shipped data: which compilers (PyPA's
images, with sources), which distros (every known one once), how many users and since when
(the download shares and their timeline), in text and Markdown."""

from __future__ import annotations

import dataclasses
import datetime
from collections import Counter

import pytest

from harness.catalog.model import default_catalog
from harness.errors import UsageError
from harness.explain import download_shares, pypa_images
from harness.explain.distros import entries
from harness.explain.model import Explanation
from harness.explain.policy_change import explain
from harness.explain.render import render_markdown, render_text
from harness.judge.installers import tag_families
from harness.results.record import RunRecord, load
from tests.helpers import DATA_DIR

RESULTS = DATA_DIR / "explain-results.json"
SONAMES = ["libc.so.6", "libstdc++.so.6"]

TODAY = datetime.date(2026, 12, 4)

# The four switches a rollout asks about (issue 28's "done when").
PAIRS = [("manylinux1", "manylinux2010"), ("2010", "2014"), ("2014", "2_28"), ("2_28", "2_34")]


def _with_libraries(run: RunRecord) -> RunRecord:
    """The run with libc and libstdc++ measured in every distro (the rest of the whitelist
    absent): the fixtures predate the measured sonames."""
    distros = {
        key: {**entry, "facts": {**entry["facts"], "sonames": SONAMES}}
        for key, entry in run.distros.items()
    }
    return dataclasses.replace(run, distros=distros)


def _explain(
    old: str,
    new: str,
    *,
    profile: str = "official",
    record: RunRecord | None = None,
    threshold: float | None = None,
) -> Explanation:
    return explain(
        old,
        new,
        default_catalog(),
        record,
        tag_families(),
        profile=profile,
        today=TODAY,
        shares=download_shares.shipped(),
        images=pypa_images.shipped(),
        threshold=threshold,
    )


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_each_switch_names_both_gccs_with_sources_and_every_distro_once(old: str, new: str) -> None:
    expl = _explain(old, new)
    for side in (expl.old, expl.new):
        gcc = side.tool("gcc")
        assert gcc is not None and gcc.version and gcc.source == "data", side.name
        assert "pypa/manylinux" in gcc.ref or "manylinux-inspector" in gcc.ref
    ids = [r.name for r in expl.distros]
    assert len(ids) == len(set(ids)), Counter(ids).most_common(3)
    # every known x86_64 distro, nothing dropped, nothing twice
    assert set(ids) == {e.distro.id for e in entries(default_catalog(), "official", "x86_64")}
    text = render_text(expl)
    assert expl.shares is not None and expl.shares.timeline is not None
    assert "share of manylinux downloads on glibc >=" in text and "reached: 90 %" in text
    assert "\nSources:\n  [1] " in text


def test_manylinux1_to_2010_compilers_and_the_bound_the_data_allows() -> None:
    expl = _explain("manylinux1", "manylinux2010")
    old_gcc, new_gcc = expl.old.tool("gcc"), expl.new.tool("gcc")
    assert old_gcc is not None and new_gcc is not None
    # No inspector report of these images ran gcc: README's toolchain line is all there is.
    assert (old_gcc.version, new_gcc.version) == ("4.8 (major)", "8 (major)")
    assert "README.rst at ad3c4539" in old_gcc.ref
    assert expl.old.images is not None and expl.old.images.toolset == "devtoolset-2"
    assert expl.new.images is not None and expl.new.images.support_ended == "2022-08-01"
    lost = {r.name: r for r in expl.lost}
    assert set(lost) == {"centos-5", "debian-6"}
    centos5 = lost["centos-5"]
    assert not centos5.runnable and centos5.glibc_source == "data"
    assert (centos5.glibc, centos5.eol, centos5.eol_past) == ("2.5", "2017-03-31", True)
    assert "Centos5 reached End of Life" in centos5.eol_source
    view = expl.shares.timeline if expl.shares is not None else None
    assert view is not None and not view.new.exact
    assert (view.new.low_from, view.new.high_from) == ("2.17", "2.5")
    text = render_text(expl)
    assert "the data has no bucket starting at glibc 2.12" in text
    assert "99 %: before the data begins" in text
    # the week's counts do have 2.12: the newly given up share is exact there
    assert "(5,382 of 5,090,337,852 downloads)" in text


def test_2014_to_2_28_names_the_share_below_the_new_floor_and_since_when() -> None:
    expl = _explain("manylinux2014", "manylinux_2_28")
    assert {"centos-7", "ubuntu-18.04", "amazonlinux-2"} <= {r.name for r in expl.lost}
    assert "debian-10" in {r.name for r in expl.kept}
    assert expl.shares is not None
    assert expl.shares.below_new == download_shares.shipped().glibc_below((2, 28))
    text = render_text(expl)
    assert (
        "drops systems with glibc < 2.28: 4.88 % of manylinux downloads in the 7 days "
        "2026-08-01 to 2026-08-07" in text
    )
    # the pip share carries its own (older) dates
    assert "pips that know manylinux_x_y tags (pip >= 20.3): 99.18 %" in text
    assert "2025-05-16 to 2025-05-22" in text
    assert "mayeut/manylinux-timeline at 9101d6b6 (BSD-2-Clause)" in text
    # the timeline: 94.80 % on the newest date, as the source's own site shows it
    assert "glibc >= 2.28 (28 days to each date): 94.80 % on 2026-08-07" in text
    assert "90 %: first on 2024-12-15, for good since 2026-03-03; 95 %: not yet" in text
    gcc = expl.new.tool("gcc")
    assert gcc is not None and gcc.version == "14.2.1"


def test_2_28_to_2_34_in_markdown() -> None:
    expl = _explain("manylinux_2_28", "manylinux_2_34")
    lost = {r.name for r in expl.lost}
    assert {"almalinux-8", "debian-10", "ubuntu-20.04"} <= lost
    md = render_markdown(expl)
    assert "| almalinux-8 (AlmaLinux 8 (RHEL 8)) | glibc 2.28 (catalog) |" in md
    assert "- drops systems with glibc < 2.34: 8.16 % of manylinux downloads" in md
    assert "90 %: on 2026-08-01" in md
    assert "### Sources" in md


def test_a_users_threshold_is_dated_too() -> None:
    expl = _explain("manylinux2014", "manylinux_2_28", threshold=85)
    view = expl.shares.timeline if expl.shares is not None else None
    assert view is not None and view.thresholds == (85.0, 90.0, 95.0, 99.0)
    assert "85 %: first on " in render_text(expl)


def test_moving_down_says_what_it_reaches() -> None:
    expl = _explain("manylinux_2_28", "manylinux2014")
    assert expl.shares is not None
    assert "reaches systems with glibc 2.17 up to 2.28" in render_text(expl)


def test_musllinux_pairs_are_explained_without_download_shares() -> None:
    expl = _explain("musllinux_1_1", "musllinux_1_2")
    assert expl.libc == "musl" and expl.shares is None
    assert [r.name for r in expl.lost] == ["alpine-3.12"]
    assert {"alpine-3.15", "alpine-3.23", "alpine-3.24"} <= {r.name for r in expl.kept}
    assert "centos-7" in {r.name for r in expl.out_of_reach}  # no musl at all
    gcc = expl.new.tool("gcc")
    assert gcc is not None and gcc.version.startswith("14.")
    text = render_text(expl)
    assert "raises the musl floor from 1.1 to 1.2" in text
    assert "musl 1.1.24" in text
    assert any("glibc systems only" in note for note in expl.notes)


def test_a_switch_between_c_libraries_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="different C libraries") as info:
        _explain("manylinux2014", "musllinux_1_2")
    assert "\n" not in str(info.value)


def test_a_measured_image_wins_over_the_data_and_the_difference_is_said() -> None:
    record = dataclasses.replace(
        load(RESULTS),
        profile="official",
        images={"build:manylinux_2_28:x86_64": {"facts": {"gcc": "15.1.1", "glibc": "2.28"}}},
    )
    expl = _explain("2014", "2_28", record=record)
    gcc = expl.new.tool("gcc")
    assert gcc is not None
    assert (gcc.version, gcc.source, gcc.data_version) == ("15.1.1", "measured", "14.2.1")
    glibc = expl.new.tool("glibc")
    assert glibc is not None and (glibc.source, glibc.data_version) == ("measured", "")
    assert len(expl.differences) == 1
    assert (
        "manylinux_2_28 x86_64 gcc: measured 15.1.1, PyPA's data says 14.2.1"
        in (expl.differences[0])
    )
    assert "differs: manylinux_2_28 x86_64 gcc" in render_text(expl)


def test_the_local_profile_has_no_pypa_toolchain_and_still_lists_every_distro() -> None:
    expl = _explain("manylinux_2_31", "manylinux_2_36", profile="local")
    gcc = expl.old.tool("gcc")
    assert gcc is not None and gcc.source == "not measured"
    assert {r.name for r in expl.lost} >= {"debian-11", "ubuntu-20.04"}
    bullseye = next(r for r in expl.lost if r.name == "debian-11")
    assert bullseye.rows == ("debian-bullseye",) and bullseye.runnable
    ubuntu = next(r for r in expl.lost if r.name == "ubuntu-20.04")
    assert not ubuntu.runnable and "official profile" in ubuntu.why_not


def test_explain_offers_both_policies_for_measured_distros() -> None:
    expl = _explain(
        "manylinux_2_31",
        "manylinux_2_36",
        profile="local",
        record=_with_libraries(load(RESULTS)),
    )
    rows = {row.distro: row for row in expl.offers}
    assert "debian-bullseye" in rows
    bullseye = rows["debian-bullseye"]
    assert bullseye.new.short[0].text == "GLIBC 2.31 < 2.36"
    assert "What each measured distro offers" in render_text(expl)
