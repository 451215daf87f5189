"""The report's download-share timeline: the policies the run covered, charted as explain
charts them, in the HTML report only."""

from __future__ import annotations

from harness.explain import download_shares
from harness.report import render_html
from harness.report.build import build_report
from harness.report.share_timeline import share_timeline
from harness.results.record import load
from tests.helpers import DATA_DIR


def test_the_report_charts_the_policies_its_run_covered() -> None:
    record = load(DATA_DIR / "x86_64-results.json")
    covered = {m.policy for c in record.cells for m in c.members}
    view = build_report(record).share_timeline
    assert view is not None
    assert [name for name, _ in view.series] == sorted(
        covered, key=lambda p: tuple(int(x) for x in p.split("_")[1:])
    )
    newest = {name: series.low[-1] for name, series in view.series}
    timeline = download_shares.shipped().timeline
    assert timeline is not None
    for name, series in view.series:
        assert series.dates == timeline.dates
        assert newest[name] == timeline.at_least(series.floor).low[-1]
    page = render_html(record)
    section = page.split('<section class="share-timeline">', 1)[1].split("</section>", 1)[0]
    assert '<svg role="img"' in section and "<script" not in section
    for name in covered:
        assert f"({name})" in section  # each policy's line is in the legend


def test_no_glibc_policy_no_chart() -> None:
    shares = download_shares.shipped()
    assert share_timeline(["musllinux_1_2"], shares) is None
    # given wheels that claim no policy (pure Python, plain linux) have no floor to chart
    assert share_timeline(["any", "linux"], shares) is None
    mixed = share_timeline(["musllinux_1_2", "manylinux_2_12"], shares)
    assert mixed is not None and [n for n, _ in mixed.series] == ["manylinux_2_12"]
    assert any("glibc systems only" in note for note in mixed.notes)
    assert any("no bucket starting at glibc 2.12" in note for note in mixed.notes)
