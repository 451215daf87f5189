"""The report as one self-contained HTML file (results.html): a renderer of the view model,
deciding markup only. Every cell opens to show expected against observed, and filters (arch,
policy, distro, verdict, installer, row text) are a few lines of static JavaScript.

Self-contained on purpose: the file is attached to CI runs and opened offline, so it makes no
network request at all (no CDN, fonts or images by URL); the stylesheet and the script are
package files inlined here. Every piece of text from the model goes through html.escape: pip
and loader output are arbitrary text."""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Iterable, Sequence
from importlib import resources

from harness.report.model import (
    BROKEN_CLAIMS_TITLE,
    EXPECTED_BREAK_MEANING,
    INTERRUPTED_NOTE,
    UNEXPECTED_MEANING,
    ArchSection,
    CauseGroup,
    DetailPart,
    DistroColumn,
    FilterGroup,
    Line,
    Matrix,
    MatrixCell,
    MatrixRow,
    NoteList,
    Report,
    ShareTimeline,
    Table,
    TableCell,
)


@functools.cache
def static_text(name: str) -> str:
    """A file of harness/report/static. The script is static: it reads the filters' state and
    toggles display; no record data is ever put in it."""
    return resources.files("harness.report").joinpath("static", name).read_text(encoding="utf-8")


def render(report: Report) -> str:
    """The whole report as one HTML document."""
    body = [
        _header(report),
        _first(report),
        _filters(report.filters, report.counts.cells),
        *(_arch_section(section) for section in report.arches),
        _notes_section("not-probed", report.not_probed),
        _explained((report.differences, report.explained, report.static_findings)),
        _facts_section((report.build_images, report.distros, report.offers)),
        _explained((report.offers_absent,)),
        _notes_section("not-prepared", report.not_prepared),
        _explained((report.installers,) if report.installers is not None else ()),
        _share_timeline(report.share_timeline),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(report.title)}</title>\n<style>\n{static_text('report.css')}</style>\n"
        "</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<script>\n{static_text('report.js')}</script>\n</body>\n</html>\n"
    )


def _e(value: object) -> str:
    """Escape for text and for quoted attribute values alike."""
    return html.escape(str(value), quote=True)


def inline(line: Line) -> str:
    tags = {"plain": "", "code": "code", "strong": "strong"}
    return "".join(
        f"<{tags[t.style]}>{_e(t.value)}</{tags[t.style]}>" if tags[t.style] else _e(t.value)
        for t in line
    )


def _kv(fields: Iterable[tuple[str, str]]) -> str:
    items = "".join(f"<dt>{_e(key)}</dt><dd>{_e(value)}</dd>" for key, value in fields)
    return f'<dl class="kv">{items}</dl>' if items else ""


# -- header and filters ------------------------------------------------------------------------


def _header(report: Report) -> str:
    run = [
        ("harness version", report.harness_version),
        ("created", report.created),
        ("profile", report.profile),
        ("interrupted", "yes" if report.interrupted else "no"),
    ]
    parts = [f"<h1>{_e(report.title)}</h1>", _kv((k, v) for k, v in run if v)]
    if report.interrupted:
        parts.append(
            f'<p class="banner interrupted"><strong>Interrupted</strong>: {_e(INTERRUPTED_NOTE)}</p>'
        )
    counts = report.counts
    spans = [f'<span class="total">{counts.cells} cells</span>']
    spans += [
        f'<span class="v-{_e(c.verdict.value)}">{c.count} {_e(c.verdict.value)}</span>'
        for c in counts.verdicts
    ]
    spans.append(f"<span>{counts.as_expected} as expected</span>")
    spans.append(f'<span class="mark">{counts.not_as_expected} not as expected</span>')
    parts.append(f'<p class="counts">{"".join(spans)}</p>')
    legend = [
        f'<span class="v-{_e(e.verdict.value)}">{_e(f"{e.verdict.value}: {e.meaning}")}</span>'
        for e in report.legend
    ]
    legend.append(
        f'<span class="v-violation expected-break">{_e(f"violation (declared): {EXPECTED_BREAK_MEANING}")}</span>'
    )
    legend.append(f'<span><span class="mark">!</span> {_e(UNEXPECTED_MEANING)}</span>')
    parts.append(f'<p class="legend">{"".join(legend)}</p>')
    return "<header>\n" + "\n".join(p for p in parts if p) + "\n</header>"


def _first(report: Report) -> str:
    """Before the filters and the matrices: the cells not as declared, then the broken claims
    by cause (real breaks first, expected ones styled apart)."""
    parts = []
    if report.not_as_declared.items:
        items = "".join(f"<li>{inline(item)}</li>" for item in report.not_as_declared.items)
        parts.append(f"<h2>{_e(report.not_as_declared.title)}</h2><ul>{items}</ul>")
    if report.broken_claims:
        parts.append(
            f"<h2>{_e(BROKEN_CLAIMS_TITLE)}</h2><ul>{''.join(map(_cause, report.broken_claims))}</ul>"
        )
    return f'<section class="first">{"".join(parts)}</section>' if parts else ""


def _cause(group: CauseGroup) -> str:
    kind = "expected-break" if group.expected else "broke"
    label = "expected (declared, a control caught)" if group.expected else "broke"
    cells = f"{group.cells} cell{'s' if group.cells != 1 else ''}"
    rows = "".join(f"<li>{inline(item)}</li>" for item in group.items)
    return (
        f'<li class="cause {kind}"><span class="label">{_e(label)}</span> '
        f"{_e(group.cause)} ({_e(cells)})<ul>{rows}</ul></li>"
    )


def _filters(groups: Sequence[FilterGroup], cells: int) -> str:
    fieldsets = [_checkbox_group(group) for group in groups]
    fieldsets.append(
        '<fieldset><legend>row</legend><input type="search" name="text" '
        'placeholder="text in the row" aria-label="row text">'
        '<label><input type="checkbox" name="unexpected"> only not as expected</label>'
        "</fieldset>"
    )
    return (
        '<form id="filters" onsubmit="return false">\n'
        + "\n".join(fieldsets)
        + f' <span class="count"><span id="shown">{cells}</span> cells shown</span>\n</form>'
    )


def _checkbox_group(group: FilterGroup) -> str:
    name = _e(group.name)
    boxes = "".join(
        f'<label><input type="checkbox" name="{name}" value="{_e(value)}" checked> '
        f"{_e(value)}</label>"
        for value in group.values
    )
    return f'<fieldset class="filter-{name}"><legend>{name}</legend>{boxes}</fieldset>'


# -- matrices ----------------------------------------------------------------------------------


def _arch_section(section: ArchSection) -> str:
    arch = _e(section.arch)
    parts = [f'<section class="arch" data-arch="{arch}">', f"<h2>{arch}</h2>"]
    parts += _blocks(section.singles, section.distros)
    if section.combinations is not None:
        parts.append(f'<section class="combinations"><h3>{_e(section.combinations.title)}</h3>')
        parts += _blocks(section.combinations, section.distros)
        parts.append("</section>")
    if section.minimum_pip is not None:
        parts.append(_table(section.minimum_pip))
    parts += [_table(table) for table in section.installer_tables]
    if section.offers is not None:
        parts.append(f'<section class="offers"><h3>{_e(section.offers.title)}</h3>')
        parts += _blocks(section.offers, section.distros)
        parts += [_table(table) for table in section.selection_tables]
        parts.append("</section>")
    parts.append("</section>")
    return "\n".join(parts)


def _blocks(matrix: Matrix, distros: Sequence[DistroColumn]) -> list[str]:
    head = ["<th>wheel(s) @ build image</th>"]
    if matrix.combinations:
        head += ["<th>import order</th>", "<th>dlopen</th>"]
    head += [_distro_th(d) for d in distros]
    if matrix.combinations:
        head += ["<th>C++ runtime lint</th>", "<th>lint vs observed</th>"]
    kind = "combos" if matrix.combinations else "singles"
    blocks = []
    for block in matrix.blocks:
        rows = "".join(_row(row, distros) for row in block.rows)
        blocks.append(
            f'<div class="block" data-installer="{_e(block.installer)}">'
            f'<h4 class="installer">installer: {_e(block.label)}</h4>'
            f'<table class="matrix {kind}"><thead><tr>{"".join(head)}</tr></thead>'
            f"<tbody>{rows}</tbody></table></div>"
        )
    return blocks


def _distro_th(column: DistroColumn) -> str:
    small = f"<small>{_e(column.facts)}</small>" if column.facts else ""
    return (
        f'<th class="distro" data-distro="{_e(column.name)}" title="{_e(column.os_name)}">'
        f"{_e(column.name)}{small}</th>"
    )


def _row(row: MatrixRow, distros: Sequence[DistroColumn]) -> str:
    tds = [f'<th class="row">{_e(row.label)}</th>']
    combination = row.combination
    if combination is not None:
        order = "".join(f"<li>{_e(label)}</li>" for label in combination.order)
        tds += [f'<td><ol class="order">{order}</ol></td>', f"<td>{_e(combination.dlopen)}</td>"]
    tds += [
        _cell_td(cell) if cell else f'<td class="empty" data-distro="{_e(d.name)}">·</td>'
        for cell, d in zip(row.cells, distros, strict=True)
    ]
    if combination is not None:
        tds += [
            f"<td>{_e(combination.lint)}</td>",
            f"<td>{_e(combination.lint_against_observed)}</td>",
        ]
    # JSON in the attribute: policies are matched as whole values by the filter script.
    policies = _e(json.dumps(list(row.policies)))
    return f'<tr data-row="{_e(row.label)}" data-policies="{policies}">{"".join(tds)}</tr>'


def _cell_td(cell: MatrixCell) -> str:
    verdict = _e(cell.verdict.value)
    classes = f"cell v-{verdict}" + ("" if cell.as_expected else " unexpected")
    classes += " expected-break" if cell.expected_break else ""
    mark = "" if cell.as_expected else '<span class="mark" title="not as expected">!</span>'
    details = "".join(_part(part) for part in cell.details)
    return (
        f'<td class="{classes}" data-distro="{_e(cell.distro)}" '
        f'data-verdict="{verdict}" data-key="{_e(cell.key)}">'
        f'<details class="cell-detail"><summary>{_e(cell.text)}{mark}</summary>'
        f"{details}</details></td>"
    )


def _part(part: DetailPart) -> str:
    items = "".join(f"<li>{_e(item)}</li>" for item in part.items)
    content = _kv(part.fields) + (f"<ol>{items}</ol>" if items else "")
    content += f"<pre>{_e(part.output)}</pre>" if part.output else ""
    return f'<div class="part"><b>{_e(part.title)}</b>{content}</div>'


# -- after the matrices ------------------------------------------------------------------------


def _table(table: Table) -> str:
    head = "".join(f"<th>{_e(name)}</th>" for name in table.header)
    rows = "".join(_table_row(row) for row in table.rows)
    body = f'<table class="{_e(table.kind)}"><tr>{head}</tr>{rows}</table>'
    return f"<h3>{_e(table.title)}</h3>{body if table.rows else '<p>none in this run</p>'}"


def _table_row(row: Sequence[TableCell]) -> str:
    cells = "".join(
        (f'<td colspan="{cell.columns}">' if cell.columns > 1 else "<td>")
        + f"{inline(cell.content)}</td>"
        for cell in row
    )
    return f"<tr>{cells}</tr>"


def _explained(lists: Iterable[NoteList]) -> str:
    sections = [
        f"<h2>{_e(notes.title)}</h2><ul>"
        + "".join(f"<li>{inline(item)}</li>" for item in notes.items)
        + "</ul>"
        for notes in lists
        if notes.items
    ]
    return f'<section class="explained">{"".join(sections)}</section>' if sections else ""


def _facts_section(tables: Iterable[Table]) -> str:
    return '<section class="facts"><h2>Facts</h2>' + "".join(map(_table, tables)) + "</section>"


def _notes_section(kind: str, notes: NoteList) -> str:
    if not notes.items:
        return ""
    items = "".join(f"<li>{inline(item)}</li>" for item in notes.items)
    return f'<section class="{kind}"><h2>{_e(notes.title)}</h2><ul>{items}</ul></section>'


def _share_timeline(view: ShareTimeline | None) -> str:
    """The share of PyPI's manylinux downloads each of the run's policies reaches, over time:
    the chart `explain --format html` draws (inline SVG, no script)."""
    if view is None:
        return ""
    from harness.explain.chart import timeline_chart

    svg = timeline_chart("report-timeline", view.series, view.thresholds, view.window_days)
    notes = "".join(f"<li>{_e(note)}</li>" for note in view.notes)
    caption = (
        f"Share of PyPI's manylinux downloads on glibc at or above the floor of each policy "
        f"this run built for, over the {view.window_days} days up to each date. "
        f"Source: {view.source}."
    )
    return (
        '<section class="share-timeline"><h2>How many downloads these policies reach</h2>'
        f"<figure>{svg}<figcaption>{_e(caption)}</figcaption></figure>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "</section>"
    )
