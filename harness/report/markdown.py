"""The report as GitHub-flavoured Markdown (results.md; harness.report.summary bounds it for
the job's step summary): a renderer of the view model, deciding markup only. Sections are
blocks separated by one blank line, in the order a reader of a nightly needs them: counts,
the cells not as declared, the broken claims by cause, the legend, the matrices, then what
was not probed and the rest. Labels are words, not emoji (which need a font).

The matrices are Markdown tables, so the distro columns' facts go below the name with <br>,
which GitHub renders in a table header; the record's text is written as it is (a step summary
is the harness's own output about the harness's own samples)."""

from __future__ import annotations

from collections.abc import Iterable

from harness.report.model import (
    BROKEN_CLAIMS_TITLE,
    DECLARED_MEANING,
    EXPECTED_BREAK_MEANING,
    INTERRUPTED_NOTE,
    UNEXPECTED_MEANING,
    ArchSection,
    CauseGroup,
    Counts,
    DistroColumn,
    Line,
    Matrix,
    MatrixCell,
    NoteList,
    Report,
    Table,
)


def render(report: Report) -> str:
    blocks = [*head_blocks(report), *first_blocks(report), legend_line(report)]
    for section in report.arches:
        blocks += arch_blocks(section)
    blocks += after_blocks(report)
    return "\n\n".join(blocks) + "\n"


def head_blocks(report: Report) -> list[str]:
    blocks = [f"## {report.title}"]
    if report.interrupted:
        blocks.append(f"> **Interrupted**: {INTERRUPTED_NOTE}")
    blocks.append(summary_line(report.counts))
    return blocks


def first_blocks(report: Report) -> list[str]:
    """What a reader sees before the matrices: the cells not as declared, then the broken
    claims grouped by cause."""
    blocks = note_blocks(report.not_as_declared)
    if report.broken_claims:
        blocks += [f"### {BROKEN_CLAIMS_TITLE}", "\n".join(map(cause_item, report.broken_claims))]
    return blocks


def cause_item(group: CauseGroup) -> str:
    """A cause, then its rows indented under it. A real break is bold; a declared or expected
    one says so, in plain text."""
    cells = f"{group.cells} cell{'s' if group.cells != 1 else ''}"
    head = (
        f"- expected (declared, a control caught): {group.cause} ({cells})"
        if group.expected
        else f"- **broke**: {group.cause} ({cells})"
    )
    return "\n".join([head, *(f"  - {inline(item)}" for item in group.items)])


def after_blocks(report: Report) -> list[str]:
    """After the matrices: what was not probed or prepared, then the notes and the facts."""
    blocks: list[str] = []
    for notes in (report.not_probed, report.not_prepared):
        blocks += note_blocks(notes)
    for notes in (report.differences, report.explained, report.static_findings):
        blocks += note_blocks(notes)
    for table in (report.build_images, report.distros, report.offers):
        if table.rows:
            blocks += [f"### {table.title}", table_text(table)]
    blocks += note_blocks(report.offers_absent)
    if report.installers is not None:
        blocks += note_blocks(report.installers)
    return blocks


def summary_line(counts: Counts) -> str:
    seen = ", ".join(f"{c.count} {c.verdict.value}" for c in counts.verdicts if c.count)
    unexpected = counts.not_as_expected
    tail = "all as expected" if not unexpected else f"**{unexpected} not as expected**"
    return f"{counts.cells} cells: {seen or 'none'} ({tail})"


def legend_line(report: Report) -> str:
    entries = [f"{e.verdict.value}: {e.meaning}" for e in report.legend]
    entries += [
        f"(declared): {DECLARED_MEANING}",
        f"**bold**: {UNEXPECTED_MEANING}",
        f"violation (declared): {EXPECTED_BREAK_MEANING}",
    ]
    return "Legend: " + " · ".join(entries)


def inline(line: Line) -> str:
    marks = {"plain": "", "code": "`", "strong": "**"}
    return "".join(f"{marks[t.style]}{t.value}{marks[t.style]}" for t in line)


def _row(texts: Iterable[str]) -> str:
    return "| " + " | ".join(texts) + " |"


def _rule(columns: int) -> str:
    return "|" + "---|" * columns


def arch_blocks(section: ArchSection) -> list[str]:
    blocks = [f"### {section.arch}"]
    blocks += _matrix_blocks(section.singles, section.distros)
    if section.combinations is not None:
        blocks.append(f"#### {section.combinations.title}")
        blocks += _matrix_blocks(section.combinations, section.distros)
    if section.minimum_pip is not None:
        blocks += [f"#### {section.minimum_pip.title}", table_text(section.minimum_pip)]
    for table in section.installer_tables:
        blocks += [f"#### {table.title}", table_text(table)]
    if section.offers is not None:
        blocks.append(f"#### {section.offers.title}")
        blocks += _matrix_blocks(section.offers, section.distros)
    for table in section.selection_tables:
        blocks += [f"#### {table.title}", table_text(table)]
    return blocks


def _distro_header(column: DistroColumn) -> str:
    return f"{column.name}<br>{column.facts}" if column.facts else column.name


def _cell(cell: MatrixCell | None) -> str:
    if cell is None:
        return "·"
    return cell.text if cell.as_expected else f"**{cell.text}**"


def _matrix_blocks(matrix: Matrix, distros: tuple[DistroColumn, ...]) -> list[str]:
    """One table per installer; each captioned when there are several."""
    blocks = []
    header = ["wheel(s) @ build image", *map(_distro_header, distros)]
    if matrix.combinations:
        header += ["C++ runtime lint", "lint vs observed"]
    for block in matrix.blocks:
        if len(matrix.blocks) > 1:
            blocks.append(f"{block.label}:")
        lines = [_row(header), _rule(len(header))]
        for row in block.rows:
            texts = [row.label, *map(_cell, row.cells)]
            if row.combination is not None:
                texts += [row.combination.lint, row.combination.lint_against_observed]
            lines.append(_row(texts))
        blocks.append("\n".join(lines))
    return blocks


def table_text(table: Table) -> str:
    lines = [_row(table.header), _rule(len(table.header))]
    for row in table.rows:
        # a cell over several columns: its text, then the columns it covers left empty
        texts = [t for cell in row for t in [inline(cell.content), *[""] * (cell.columns - 1)]]
        lines.append(_row(texts))
    return "\n".join(lines)


def note_blocks(notes: NoteList) -> list[str]:
    if not notes.items:
        return []
    return [f"### {notes.title}", "\n".join(f"- {inline(item)}" for item in notes.items)]
