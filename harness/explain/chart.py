"""The download-share timeline as a chart: inline SVG drawn by pygal.

pygal rather than matplotlib or hand-written SVG: pure Python and small in the lock (no numpy,
no native code), it emits SVG text directly, and with its script list emptied (js=[]) the SVG
needs nothing from the network; matplotlib would bring numpy, pillow and a font cache for one
line chart. The output is made deterministic (pygal's random chart id and its dated comment
are replaced) and carries no script, so the same data draws the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.explain.download_shares import ShareSeries

_CHART_ID = re.compile(r"chart-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_GENERATED = re.compile(r"<!--Generated with pygal[^>]*-->")
# pygal always writes its tooltips' configuration as a script; without the tooltips script
# (not loaded: it comes from the network) it does nothing, and a page without scripts is
# simpler to trust.
_SCRIPT = re.compile(r"<script[^>]*>.*?</script>", re.S)
# Inline in HTML the SVG namespace is implied; pygal's comments name its web site. Both go, so
# that the page holds no URL at all.
_URLS = re.compile(r'<!--https?://[^>]*-->| xmlns="http://www\.w3\.org/2000/svg"')
WEEK = 7


@dataclass(frozen=True)
class Line:
    label: str  # the legend's words, e.g. "glibc >= 2.28 (manylinux_2_28)"
    values: tuple[float, ...]  # one per date of the chart


def share_chart(
    name: str,
    title: str,
    dates: Sequence[str],
    lines: Sequence[Line],
    thresholds: Sequence[float] = (),
    window_days: int = 28,
    y_title: str = "% of manylinux downloads",
) -> str:
    """An SVG line chart for inline use in HTML (no XML declaration, no namespace, no script,
    no URL): one line per series over `dates`,
    and a flat line per threshold. `name` makes the chart's id, so two charts on one page stay
    apart."""
    import pygal
    from pygal.style import DefaultStyle

    low = min((min(line.values) for line in lines if line.values), default=0.0)
    floor = max(0.0, min(low, *thresholds) - 5.0) if thresholds else max(0.0, low - 5.0)
    chart = pygal.Line(
        js=[],  # pygal's tooltips script comes from the network: none, the page stays offline
        disable_xml_declaration=True,
        title=title,
        x_title=f"date (each point: the {window_days} days up to it)",
        y_title=y_title,
        show_dots=False,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(dates) // 8),
        x_label_rotation=30,
        truncate_label=-1,
        truncate_legend=-1,
        range=(round(floor), 100),
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        width=900,
        height=480,
        style=DefaultStyle,
        stroke_style={"width": 2},
    )
    chart.x_labels = list(dates)
    for line in lines:
        chart.add(line.label, list(line.values))
    for threshold in thresholds:
        chart.add(
            f"{threshold:g} %",
            [threshold] * len(dates),
            stroke_style={"width": 1, "dasharray": "4, 4"},
        )
    svg = str(chart.render(is_unicode=True))
    svg = _URLS.sub("", _SCRIPT.sub("", _GENERATED.sub("", svg)))
    svg = _CHART_ID.sub(f"chart-{name}", svg)
    # Named for assistive technology and tests: the title is the chart's accessible name.
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(title)}" ', 1)


def _attr(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def series_lines(labelled: Sequence[tuple[str, ShareSeries]]) -> list[Line]:
    """For each (policy label, share series), the share on glibc >= its floor: one line where
    the data's buckets give it exactly, its two bounds where the floor falls inside a bucket."""
    lines = []
    for label, series in labelled:
        name = f"glibc >= {series.floor_text} ({label})"
        if series.exact:
            lines.append(Line(name, series.high))
        else:
            lines.append(Line(f"{name}, at most (>= {series.high_from})", series.high))
            lines.append(Line(f"{name}, at least (>= {series.low_from})", series.low))
    return lines


def timeline_chart(
    name: str,
    labelled: Sequence[tuple[str, ShareSeries]],
    thresholds: Sequence[float],
    window_days: int,
) -> str:
    """The share of manylinux downloads on glibc >= each policy's floor over time, a point a
    week (counted back from the newest date, which is always drawn): the dates and crossings
    in the text come from every day; the picture needs no more."""
    dates = labelled[0][1].dates
    keep = sorted(range(len(dates) - 1, -1, -WEEK))
    lines = [
        Line(line.label, tuple(line.values[i] for i in keep)) for line in series_lines(labelled)
    ]
    title = f"PyPI manylinux downloads on glibc >= each floor, {dates[0]} to {dates[-1]}"
    return share_chart(
        name, title, [dates[i] for i in keep], lines, thresholds, window_days=window_days
    )
