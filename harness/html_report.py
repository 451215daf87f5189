"""The HTML report: the same matrices as the Markdown report, in one self-contained file where
every cell opens to show expected against observed, with filters (arch, policy, distro,
verdict, installer, row text) in a few lines of inline JavaScript.

Self-contained on purpose: the file is attached to CI runs and opened offline, so it makes no
network request at all (no CDN, fonts or images by URL). Every piece of text taken from the
record goes through html.escape: pip and loader output are arbitrary text.
Pure: RunRecord in, text out."""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.report import (
    ICONS,
    LEGEND,
    _attention,
    _distro_header,
    _distro_order,
    _facts,
    _static_findings,
    cell_text,
    lint_match,
    lint_text,
)
from harness.results import CellRecord, MemberRecord, RunRecord
from harness.verdict import Verdict

# The distro facts shown in the facts section, in this order (eol lives beside the facts).
DISTRO_FACTS = ("os_name", "glibc", "glibcxx_max", "python_version", "pip_version")
NOT_MEASURED = "not measured"

_CSS = """
:root { --ok:#2e7d32; --ok-bg:#e8f5e9; --ref:#1565c0; --ref-bg:#e3eaf5;
  --vio:#c62828; --vio-bg:#fdecea; --over:#e65100; --over-bg:#fff0e0;
  --err:#8d6e00; --err-bg:#fff8c4; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1em 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 1.6em; } h3 { margin-top: 1.2em; }
code, pre { font: 12px/1.35 ui-monospace, monospace; }
pre { white-space: pre-wrap; word-break: break-all; max-height: 18em; overflow: auto;
  background: #f6f6f6; padding: .4em; margin: .2em 0; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .25em .45em; vertical-align: top; text-align: left; }
th { background: #f0f0f0; }
th.distro small { display: block; font-weight: normal; color: #555; }
.banner { background: var(--vio-bg); border-left: 4px solid var(--vio); padding: .5em 1em; }
.counts span, .legend span { display: inline-block; margin: 0 .6em .3em 0; padding: 0 .4em; }
.v-ok { background: var(--ok-bg); border-left: 4px solid var(--ok); }
.v-refused-as-claimed { background: var(--ref-bg); border-left: 4px solid var(--ref); }
.v-violation { background: var(--vio-bg); border-left: 4px solid var(--vio); }
.v-over-restrictive { background: var(--over-bg); border-left: 4px solid var(--over); }
.v-error { background: var(--err-bg); border-left: 4px solid var(--err); }
td.unexpected { outline: 2px dashed #000; outline-offset: -3px; }
.mark { font-weight: bold; color: #fff; background: #000; border-radius: 3px; padding: 0 .3em;
  margin-left: .3em; font-size: 11px; }
td.cell summary { cursor: pointer; white-space: nowrap; }
td.cell details[open] { min-width: 32em; max-width: 60em; }
td.empty { color: #aaa; text-align: center; }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: .1em .8em; margin: .3em 0; }
dl.kv dt { font-weight: bold; } dl.kv dd { margin: 0; }
.part { margin: .4em 0; } .part > b { display: block; border-bottom: 1px solid #ddd; }
ol.order { margin: 0; padding-left: 1.4em; }
#filters { position: sticky; top: 0; background: #fafafa; border: 1px solid #ddd;
  padding: .5em 1em; z-index: 2; }
#filters fieldset { display: inline-block; border: 1px solid #ddd; margin: .2em; vertical-align: top; }
#filters .count { display: inline-block; white-space: nowrap; margin: .8em .4em; }
#filters label { margin-right: .6em; white-space: nowrap; }
.off { display: none; }
td.cell.filtered > details { display: none; }
"""

# Static: it reads the filters' state and toggles display; no record data is ever put in it.
_JS = """
(function () {
  var form = document.getElementById('filters');
  function checked(name) {
    var values = {};
    form.querySelectorAll('input[name="' + name + '"]').forEach(function (box) {
      if (box.checked) { values[box.value] = true; }
    });
    return values;
  }
  function apply() {
    var arch = checked('arch'), policy = checked('policy'), distro = checked('distro');
    var verdict = checked('verdict'), installer = checked('installer');
    var text = form.querySelector('input[name="text"]').value.toLowerCase();
    var onlyUnexpected = form.querySelector('input[name="unexpected"]').checked;
    var shownCells = 0;
    document.querySelectorAll('section.arch').forEach(function (section) {
      section.classList.toggle('off', !arch[section.dataset.arch]);
    });
    document.querySelectorAll('.matrix [data-distro]').forEach(function (column) {
      column.classList.toggle('off', !distro[column.dataset.distro]);
    });
    document.querySelectorAll('div.block').forEach(function (block) {
      var rows = 0;
      var wanted = !!installer[block.dataset.installer];
      block.querySelectorAll('tbody tr').forEach(function (tr) {
        var policies = JSON.parse(tr.dataset.policies);
        var rowWanted = wanted && tr.dataset.row.toLowerCase().indexOf(text) >= 0 &&
          policies.some(function (p) { return policy[p]; });
        var cells = 0;
        tr.querySelectorAll('td.cell').forEach(function (td) {
          var show = rowWanted && !!verdict[td.dataset.verdict] && !!distro[td.dataset.distro] &&
            (!onlyUnexpected || td.classList.contains('unexpected'));
          td.classList.toggle('filtered', !show);
          if (show) { cells += 1; }
        });
        tr.classList.toggle('off', cells === 0);
        if (cells > 0) { rows += 1; shownCells += cells; }
      });
      block.classList.toggle('off', rows === 0);
    });
    document.getElementById('shown').textContent = String(shownCells);
  }
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  apply();
})();
"""


def render_html(record: RunRecord) -> str:
    """The whole report as one HTML document."""
    by_arch: dict[str, list[CellRecord]] = defaultdict(list)
    for cell in record.cells:
        by_arch[cell.arch].append(cell)
    body = [
        _header(record),
        _filters(record),
        *(_arch_section(arch, by_arch[arch], record) for arch in sorted(by_arch)),
        _explained(record),
        _facts_section(record),
        _not_prepared(record),
    ]
    title = _e(f"manylinux-harness: {record.profile} profile")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(part for part in body if part)
        + f"\n<script>{_JS}</script>\n</body>\n</html>\n"
    )


def _e(value: object) -> str:
    """Escape for text and for quoted attribute values alike."""
    return html.escape(str(value), quote=True)


def _md_inline(text: str) -> str:
    """The Markdown report's lines use `code` and **bold** only: escape, then map those two.
    Escaping first keeps whatever the record said inert; the markers survive html.escape."""
    escaped = html.escape(text, quote=True)
    escaped = re.sub(r"`([^`]*)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)


def _kv(pairs: Iterable[tuple[str, object]]) -> str:
    """A definition list; values are escaped, None and "" are left out."""
    items = [
        f"<dt>{_e(key)}</dt><dd>{_e(value)}</dd>"
        for key, value in pairs
        if value is not None and value != ""
    ]
    return f'<dl class="kv">{"".join(items)}</dl>' if items else ""


def _pre(text: object) -> str:
    return f"<pre>{_e(text)}</pre>" if text else ""


# -- header -------------------------------------------------------------------------------


def _header(record: RunRecord) -> str:
    summary = record.summary()
    parts = [
        f"<h1>manylinux-harness: {_e(record.profile)} profile</h1>",
        _kv(
            [
                ("harness version", record.harness_version),
                ("created", record.created),
                ("profile", record.profile),
                ("interrupted", "yes" if record.interrupted else "no"),
            ]
        ),
    ]
    if record.interrupted:
        parts.append(
            '<p class="banner interrupted"><strong>Interrupted</strong>: the matrices hold only '
            "the cells measured before the stop.</p>"
        )
    counts = [f'<span class="total">{summary["cells"]} cells</span>']
    counts += [
        f'<span class="v-{_e(v.value)}">{ICONS[v]} {summary[v.value]} {_e(v.value)}</span>'
        for v in Verdict
    ]
    counts.append(f"<span>{summary['as_expected']} as expected</span>")
    counts.append(f'<span class="mark">{summary["not_as_expected"]} not as expected</span>')
    parts.append(f'<p class="counts">{"".join(counts)}</p>')
    parts.append(_legend())
    if record.skipped:
        items = "".join(
            f"<li><code>{_e(key)}</code>: {_e(reason)}</li>"
            for key, reason in sorted(record.skipped.items())
        )
        parts.append(f'<h2>Not probed</h2>\n<ul class="skipped">{items}</ul>')
    return "<header>\n" + "\n".join(p for p in parts if p) + "\n</header>"


def _legend() -> str:
    """The Markdown legend's wording, one entry per verdict, in its colour."""
    entries = LEGEND.split(" · ")
    spans = []
    for verdict in Verdict:
        text = next((e for e in entries if e.startswith(ICONS[verdict])), verdict.value)
        spans.append(f'<span class="v-{_e(verdict.value)}">{_e(text)}</span>')
    spans.append('<span><span class="mark">!</span> not the declared/expected outcome</span>')
    return f'<p class="legend">{"".join(spans)}</p>'


# -- filters ------------------------------------------------------------------------------


def _filters(record: RunRecord) -> str:
    cells = record.cells
    groups = [
        ("arch", sorted({c.arch for c in cells})),
        ("policy", sorted({m.policy for c in cells for m in c.members})),
        ("distro", sorted({c.distro for c in cells})),
        ("verdict", [v.value for v in Verdict]),
        ("installer", sorted({c.installer for c in cells})),
    ]
    fieldsets = [_checkbox_group(name, values) for name, values in groups]
    fieldsets.append(
        '<fieldset><legend>row</legend><input type="search" name="text" '
        'placeholder="text in the row" aria-label="row text">'
        '<label><input type="checkbox" name="unexpected"> only not as expected</label>'
        "</fieldset>"
    )
    return (
        '<form id="filters" onsubmit="return false">\n'
        + "\n".join(fieldsets)
        + f' <span class="count"><span id="shown">{len(cells)}</span> cells shown</span>\n</form>'
    )


def _checkbox_group(name: str, values: Sequence[str]) -> str:
    boxes = "".join(
        f'<label><input type="checkbox" name="{name}" value="{_e(value)}" checked> '
        f"{_e(value)}</label>"
        for value in values
    )
    return f'<fieldset class="filter-{name}"><legend>{name}</legend>{boxes}</fieldset>'


# -- matrices -----------------------------------------------------------------------------


def _arch_section(arch: str, cells: list[CellRecord], record: RunRecord) -> str:
    distros = sorted({c.distro for c in cells}, key=lambda d: _distro_order(d, arch, record))
    singles = [c for c in cells if len(c.members) == 1]
    combos = [c for c in cells if len(c.members) > 1]
    parts = [f'<section class="arch" data-arch="{_e(arch)}">', f"<h2>{_e(arch)}</h2>"]
    parts += _blocks(singles, distros, arch, record, combos=False)
    if combos:
        parts.append(
            f'<section class="combinations"><h3>{_e(arch)}: several wheels in one process</h3>'
        )
        parts += _blocks(combos, distros, arch, record, combos=True)
        parts.append("</section>")
    parts.append("</section>")
    return "\n".join(parts)


def _blocks(
    cells: list[CellRecord], distros: list[str], arch: str, record: RunRecord, *, combos: bool
) -> list[str]:
    """One table per installer: a pip version changes what is installable, so its cells are
    not comparable with the distro pip's in one row."""
    blocks = []
    for installer in sorted({c.installer for c in cells}):
        subset = [c for c in cells if c.installer == installer]
        title = "distro pip" if installer == "distro" else f"pip {installer}"
        blocks.append(
            f'<div class="block" data-installer="{_e(installer)}">'
            f'<h4 class="installer">installer: {_e(title)}</h4>'
            f"{_table(subset, distros, arch, record, combos=combos)}</div>"
        )
    return blocks


def _table(
    cells: list[CellRecord], distros: list[str], arch: str, record: RunRecord, *, combos: bool
) -> str:
    head = ["<th>wheel(s) @ build image</th>"]
    if combos:
        head += ["<th>import order</th>", "<th>dlopen</th>"]
    head += [_distro_th(d, arch, record) for d in distros]
    if combos:
        head += ["<th>C++ runtime lint</th>", "<th>lint vs observed</th>"]
    index = {(c.row, c.distro): c for c in cells}
    rows = [
        _row(row, [index.get((row, d)) for d in distros], distros, combos=combos)
        for row in sorted({c.row for c in cells})
    ]
    kind = "combos" if combos else "singles"
    return (
        f'<table class="matrix {kind}"><thead><tr>{"".join(head)}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _distro_th(name: str, arch: str, record: RunRecord) -> str:
    # _distro_header joins name and facts with a Markdown-table <br>: split it back so that
    # both halves are escaped (the wording stays the Markdown report's).
    label, _, bits = _distro_header(name, arch, record).partition("<br>")
    os_name = _facts(record, name, arch).get("os_name", "")
    small = f"<small>{_e(bits)}</small>" if bits else ""
    return (
        f'<th class="distro" data-distro="{_e(name)}" title="{_e(os_name)}">{_e(label)}{small}</th>'
    )


def _row(row: str, cells: list[CellRecord | None], distros: list[str], *, combos: bool) -> str:
    present = [c for c in cells if c is not None]
    policies = sorted({m.policy for c in present for m in c.members})
    tds = [f'<th class="row">{_e(row)}</th>']
    if combos:
        tds += [_order_td(present[0].members), f"<td>{_e(present[0].dlopen)}</td>"]
    tds += [
        _cell_td(cell) if cell else f'<td class="empty" data-distro="{_e(d)}">·</td>'
        for cell, d in zip(cells, distros, strict=True)
    ]
    if combos:
        tds += [f"<td>{_e(lint_text(present[0]))}</td>", f"<td>{_e(lint_match(present))}</td>"]
    # JSON in the attribute: policies are matched as whole values by the filter script.
    return (
        f'<tr data-row="{_e(row)}" data-policies="{_e(json.dumps(policies))}">{"".join(tds)}</tr>'
    )


def _member_label(member: MemberRecord) -> str:
    flavour = "" if member.flavour == "default" else f"[{member.flavour}]"
    return f"{member.sample}{flavour} @ {member.build_image}"


def _order_td(members: Sequence[MemberRecord]) -> str:
    items = "".join(f"<li>{_e(_member_label(m))}</li>" for m in members)
    return f'<td><ol class="order">{items}</ol></td>'


# -- one cell -----------------------------------------------------------------------------


def _cell_td(cell: CellRecord) -> str:
    classes = f"cell v-{_e(cell.verdict.value)}" + ("" if cell.as_expected else " unexpected")
    # cell_text bolds the unexpected with Markdown asterisks: the mark below says it here.
    text = cell_text(cell).strip("*")
    mark = "" if cell.as_expected else '<span class="mark" title="not as expected">!</span>'
    return (
        f'<td class="{classes}" data-distro="{_e(cell.distro)}" '
        f'data-verdict="{_e(cell.verdict.value)}" data-key="{_e(cell.key)}">'
        f'<details class="cell-detail"><summary>{_e(text)}{mark}</summary>'
        f"{_cell_detail(cell)}</details></td>"
    )


def _cell_detail(cell: CellRecord) -> str:
    observed = cell.observed
    parts = [
        _part("verdict", _verdict_block(cell)),
        _part("expected", _expected_block(cell.expected)),
        _part("observed: install", _install_block(_mapping(observed, "install"))),
        _part("observed: load", _run_block(_mapping(observed, "load"))),
        _part("observed: forced load", _run_block(_mapping(observed, "forced"))),
        _part("observed: harness error", _pre(observed.get("error"))),
        _part("C++ runtime lint", _lint_block(cell)),
        _part("wheels", _members_block(cell.members)),
        _part("run", _run_facts(cell)),
    ]
    return "".join(parts)


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _part(title: str, content: str) -> str:
    return f'<div class="part"><b>{_e(title)}</b>{content}</div>' if content else ""


def _verdict_block(cell: CellRecord) -> str:
    return _kv(
        [
            ("verdict", cell.verdict.value),
            ("as expected", "yes" if cell.as_expected else "NO"),
            ("explanation", cell.explanation),
            ("diagnosis", cell.diagnosis),
            ("notes", "; ".join(cell.notes)),
        ]
    )


def _expected_block(expected: Mapping[str, Any]) -> str:
    installable = expected.get("installable")
    return _kv(
        [
            ("installable", None if installable is None else ("yes" if installable else "no")),
            ("reason", expected.get("reason")),
            ("matching tags", ", ".join(map(str, expected.get("matching_tags") or ()))),
            ("policy problems", "; ".join(map(str, expected.get("policy_problems") or ()))),
            ("declared", expected.get("declared")),
            ("declared reason", expected.get("declared_reason")),
        ]
    )


def _install_block(install: Mapping[str, Any]) -> str:
    if not install:
        return ""
    return _kv(
        [
            ("decision", install.get("decision")),
            ("reason", install.get("reason")),
            ("exit code", install.get("exit_code")),
            ("pip", install.get("pip_version")),
            ("seconds", install.get("seconds")),
        ]
    ) + _pre(install.get("output"))


def _run_block(run: Mapping[str, Any]) -> str:
    if not run:
        return ""
    return _kv(
        [
            ("status", run.get("status")),
            ("stage", run.get("stage")),
            ("exit code", run.get("exit_code")),
            ("signal", run.get("signal")),
            ("seconds", run.get("seconds")),
        ]
    ) + _pre(run.get("output"))


def _lint_block(cell: CellRecord) -> str:
    if not cell.lint:
        return ""
    return _kv(
        [("summary", lint_text(cell)), ("warned", "yes" if cell.lint.get("warned") else "no")]
    )


def _members_block(members: Sequence[MemberRecord]) -> str:
    items = "".join(
        f"<li>{_e(_member_label(m))} ({_e(m.kind)}, policy {_e(m.policy)}, "
        f"build {_e(m.build_status)}): {_e(', '.join(m.wheels) or 'no wheel')}</li>"
        for m in members
    )
    return f"<ol>{items}</ol>"


def _run_facts(cell: CellRecord) -> str:
    timings = " · ".join(f"{name} {seconds} s" for name, seconds in cell.timings.items())
    return _kv(
        [
            ("timings", timings),
            ("pip version", cell.pip_version),
            ("installer", cell.installer),
            ("dlopen", cell.dlopen),
            ("emulated", "yes (qemu)" if cell.emulated else "no"),
            ("worker", cell.worker),
            ("test id", cell.test_id),
            ("key", cell.key),
        ]
    )


# -- after the matrices -------------------------------------------------------------------


def _explained(record: RunRecord) -> str:
    """The Markdown report's "cells explained" and static findings: same lines, as HTML."""
    sections = []
    for lines in (_attention(record.cells), _static_findings(record)):
        heading = next((line for line in lines if line.startswith("### ")), "")
        items = [line.removeprefix("- ") for line in lines if line.startswith("- ")]
        if items:
            sections.append(
                f"<h2>{_e(heading.removeprefix('### '))}</h2><ul>"
                + "".join(f"<li>{_md_inline(item)}</li>" for item in items)
                + "</ul>"
            )
    return f'<section class="explained">{"".join(sections)}</section>' if sections else ""


def _facts_section(record: RunRecord) -> str:
    return (
        '<section class="facts"><h2>Facts</h2>'
        + _build_image_facts(record.images)
        + _distro_facts(record.distros)
        + "</section>"
    )


def _build_image_facts(images: Mapping[str, Any]) -> str:
    builds = {k: v for k, v in images.items() if k.startswith("build:") and isinstance(v, Mapping)}
    if not builds:
        return "<h3>Build images</h3><p>none in this run</p>"
    # The columns are whatever facts any image measured: the set grows with the harness.
    names = sorted({name for image in builds.values() for name in (image.get("facts") or {})})
    head = "".join(f"<th>{_e(n)}</th>" for n in ["image", "reference", *(names or ["facts"])])
    rows = [_build_image_row(key, image, names) for key, image in sorted(builds.items())]
    return f'<h3>Build images</h3><table class="image-facts"><tr>{head}</tr>{"".join(rows)}</table>'


def _build_image_row(key: str, image: Mapping[str, Any], names: Sequence[str]) -> str:
    facts = image.get("facts") or {}
    first = f"<td><code>{_e(key)}</code></td><td>{_e(image.get('reference', ''))}</td>"
    if not facts:
        span = max(len(names), 1)
        return f'<tr>{first}<td colspan="{span}" class="not-measured">{NOT_MEASURED}</td></tr>'
    values = "".join(f"<td>{_e(facts.get(n, ''))}</td>" for n in names)
    return f"<tr>{first}{values}</tr>"


def _distro_facts(distros: Mapping[str, Any]) -> str:
    if not distros:
        return "<h3>Distros</h3><p>none in this run</p>"
    head = "".join(f"<th>{_e(n)}</th>" for n in ["distro", *DISTRO_FACTS, "eol"])
    rows = []
    for key, distro in sorted(distros.items()):
        facts = (distro or {}).get("facts") or {}
        values = [facts.get(n) or NOT_MEASURED for n in DISTRO_FACTS]
        values.append((distro or {}).get("eol") or "—")
        cells = "".join(f"<td>{_e(v)}</td>" for v in values)
        rows.append(f"<tr><td><code>{_e(key)}</code></td>{cells}</tr>")
    return f'<h3>Distros</h3><table class="distro-facts"><tr>{head}</tr>{"".join(rows)}</table>'


def _not_prepared(record: RunRecord) -> str:
    items = [
        f"<li>image <code>{_e(key)}</code>: {_e(image['error'])}</li>"
        for key, image in sorted(record.images.items())
        if isinstance(image, Mapping) and image.get("error")
    ]
    items += [
        f"<li>build <code>{_e(key)}</code>: {_e(build.get('error', ''))}</li>"
        for key, build in sorted(record.builds.items())
        if isinstance(build, Mapping) and build.get("status") == "failed"
    ]
    return (
        f"<section><h2>Could not prepare</h2><ul>{''.join(items)}</ul></section>" if items else ""
    )
