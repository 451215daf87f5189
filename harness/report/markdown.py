"""The report as GitHub-flavoured Markdown (results.md, the job's step summary): a renderer of
the view model, deciding markup only. Sections are blocks separated by one blank line.

The matrices are Markdown tables, so the distro columns' facts go below the name with <br>,
which GitHub renders in a table header; the record's text is written as it is (a step summary
is the harness's own output about the harness's own samples)."""

from __future__ import annotations

from collections.abc import Iterable

from harness.report.model import (
    DECLARED_MEANING,
    INTERRUPTED_NOTE,
    UNEXPECTED_MEANING,
    ArchSection,
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
    blocks = [f"## {report.title}"]
    if report.interrupted:
        blocks.append(f"> **Interrupted**: {INTERRUPTED_NOTE}")
    blocks.append(summary_line(report.counts))
    for section in report.arches:
        blocks += _arch_blocks(section)
    blocks.append(legend_line(report))
    for notes in (report.differences, report.explained, report.static_findings):
        blocks += _note_blocks(notes)
    for table in (report.build_images, report.distros, report.offers):
        if table.rows:
            blocks += [f"### {table.title}", _table(table)]
    blocks += _note_blocks(report.offers_absent)
    for notes in (report.not_probed, report.not_prepared):
        blocks += _note_blocks(notes)
    if report.installers is not None:
        blocks += _note_blocks(report.installers)
    return "\n\n".join(blocks) + "\n"


def summary_line(counts: Counts) -> str:
    seen = ", ".join(f"{c.count} {c.verdict.value}" for c in counts.verdicts if c.count)
    unexpected = counts.not_as_expected
    tail = "all as expected" if not unexpected else f"**{unexpected} not as expected**"
    return f"{counts.cells} cells: {seen or 'none'} ({tail})"


def legend_line(report: Report) -> str:
    entries = [f"{e.icon} {e.verdict.value}: {e.meaning}" for e in report.legend]
    entries += [f"(declared): {DECLARED_MEANING}", f"**bold**: {UNEXPECTED_MEANING}"]
    return " · ".join(entries)


def inline(line: Line) -> str:
    marks = {"plain": "", "code": "`", "strong": "**"}
    return "".join(f"{marks[t.style]}{t.value}{marks[t.style]}" for t in line)


def _row(texts: Iterable[str]) -> str:
    return "| " + " | ".join(texts) + " |"


def _rule(columns: int) -> str:
    return "|" + "---|" * columns


def _arch_blocks(section: ArchSection) -> list[str]:
    blocks = [f"### {section.arch}"]
    blocks += _matrix_blocks(section.singles, section.distros)
    if section.combinations is not None:
        blocks.append(f"#### {section.combinations.title}")
        blocks += _matrix_blocks(section.combinations, section.distros)
    if section.minimum_pip is not None:
        blocks += [f"#### {section.minimum_pip.title}", _table(section.minimum_pip)]
    for table in section.installer_tables:
        blocks += [f"#### {table.title}", _table(table)]
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


def _table(table: Table) -> str:
    lines = [_row(table.header), _rule(len(table.header))]
    for row in table.rows:
        # a cell over several columns: its text, then the columns it covers left empty
        texts = [t for cell in row for t in [inline(cell.content), *[""] * (cell.columns - 1)]]
        lines.append(_row(texts))
    return "\n".join(lines)


def _note_blocks(notes: NoteList) -> list[str]:
    if not notes.items:
        return []
    return [f"### {notes.title}", "\n".join(f"- {inline(item)}" for item in notes.items)]
