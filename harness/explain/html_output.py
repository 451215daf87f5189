"""`explain --format html`: one self-contained page (no network: the stylesheet is inline, the
chart is inline SVG without scripts) with the comparison of the two build images, the
download-share timeline as a chart, the shares and crossing dates in words, and the distro x
policy table. The same rows as the text (harness.explain.render); this module chooses markup
only, and escapes every piece of text."""

from __future__ import annotations

import html
from collections.abc import Sequence

from harness.explain.chart import timeline_chart
from harness.explain.model import Explanation
from harness.explain.render import (
    EVIDENCE_LEGEND,
    OFFER_LEGEND,
    Refs,
    absent_lines,
    arch_lines,
    comparison_rows,
    distro_header,
    distro_rows,
    evidence_table,
    headline,
    lost_summary,
    share_lines,
    timeline_lines,
    whitelist_lines,
)

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1b1b1b; max-width: 90rem; }
h1 { font-size: 1.35rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
tr.lost td { background: #fde8e8; } tr.regained td { background: #e8f4fd; }
tr.out td, tr.unknown td { color: #666; }
figure { margin: 1rem 0; } figcaption { font-size: .85rem; color: #444; }
ol.sources { font-size: .8rem; color: #444; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _table(
    header: Sequence[str], rows: Sequence[Sequence[str]], kind: str, classes: Sequence[str] = ()
) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        f"<tr{f' class={chr(34)}{_e(classes[i])}{chr(34)}' if i < len(classes) else ''}>"
        + "".join(f"<td>{_e(cell)}</td>" for cell in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return f'<table class="{_e(kind)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _list(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in items) + "</ul>" if items else ""


def chart_figure(expl: Explanation) -> str:
    """The timeline chart of the switch's two floors, with a caption in words."""
    shares = expl.shares
    view = shares.timeline if shares is not None else None
    if shares is None or view is None:
        return ""
    labelled = [(expl.old.label, view.old), (expl.new.label, view.new)]
    svg = timeline_chart("explain-timeline", labelled, view.thresholds, view.window_days)
    caption = (
        f"Share of PyPI's manylinux downloads on glibc at or above each policy's floor, over the "
        f"{view.window_days} days up to each date (a point a week). Source: {view.source}."
    )
    return f'<figure class="timeline">{svg}<figcaption>{_e(caption)}</figcaption></figure>'


def render_html(expl: Explanation) -> str:
    refs = Refs()
    title = headline(expl)
    comparison = comparison_rows(expl, refs)
    distros = distro_rows(expl, refs)
    groups = (
        ["lost"] * len(expl.lost)
        + ["regained"] * len(expl.regained)
        + ["kept"] * len(expl.kept)
        + ["out"] * len(expl.out_of_reach)
        + ["unknown"] * len(expl.unknown)
    )
    parts = [f"<h1>{_e(title)}</h1>"]
    parts.append("<h2>What you gain</h2>")
    parts.append(_table(["", expl.old.label, expl.new.label], comparison, "comparison"))
    parts.append(
        _list([*whitelist_lines(expl), *arch_lines(expl), expl.uv_note, *expl.differences])
    )
    if expl.shares is not None:
        parts.append("<h2>How many downloads that is, and since when</h2>")
        parts.append(chart_figure(expl))
        parts.append(_list([*share_lines(expl), *timeline_lines(expl)]))
    parts.append("<h2>What you give up: every known distro, once</h2>")
    parts.append(f"<p>{_e(lost_summary(expl))}.</p>")
    parts.append(_table(distro_header(expl), distros, "distros", groups))
    if expl.offers:
        parts.append(f"<h2>What each measured distro offers ({_e(expl.arch)})</h2>")
        parts.append(
            _table(
                ["distro", expl.old.label, expl.new.label],
                [(o.distro, o.old.summary, o.new.summary) for o in expl.offers],
                "offers",
            )
        )
        parts.append(_list([*absent_lines(expl), OFFER_LEGEND]))
    if expl.evidence:
        parts.append("<h2>Observed</h2>")
        header, rows = evidence_table(expl)
        parts.append(f"<p>From {_e(expl.results or 'the results')}.</p>")
        parts.append(_table(header, rows, "evidence"))
        parts.append(f"<p>{_e(EVIDENCE_LEGEND)}</p>")
    if expl.notes:
        parts.append("<h2>Notes</h2>" + _list(list(expl.notes)))
    if refs.numbers:
        items = "".join(f"<li>{_e(source)}</li>" for source in refs.numbers)
        parts.append(f'<h2>Sources</h2><ol class="sources">{items}</ol>')
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(p for p in parts if p)
        + "\n</body>\n</html>\n"
    )
