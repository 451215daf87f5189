"""The report as a GitHub Actions step summary: the Markdown report's sections in its reading
order (counts, the cells not as declared, the broken claims by cause, the legend, the
matrices, what was not probed, the rest), each taken while it fits under GitHub's limit for
one step summary (1 MiB; a larger one is refused whole). A list that does not fit is cut
between items, a matrix or table is kept whole or left out, and the summary ends by naming
what it left out and where the whole report is: results.html in the job's artifact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.report import markdown
from harness.report.model import BROKEN_CLAIMS_TITLE, NoteList, Report

SUMMARY_LIMIT = 1024 * 1024  # GitHub's limit for one step summary, in bytes
# The workflow names the artifact that carries results.html (e.g. results-x86_64-2014).
ARTIFACT_VARIABLE = "MANYLINUX_HARNESS_REPORT_ARTIFACT"
# Kept free for the closing note: what was left out, and where the whole report is.
TAIL_RESERVE = 16 * 1024


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def whole_report_pointer(environ: Mapping[str, str]) -> str:
    """Where a reader finds the whole report: the artifact on this run's page on GitHub;
    elsewhere, the files beside results.json."""
    server = environ.get("GITHUB_SERVER_URL", "")
    repository = environ.get("GITHUB_REPOSITORY", "")
    run_id = environ.get("GITHUB_RUN_ID", "")
    artifact = environ.get(ARTIFACT_VARIABLE, "")
    where = f"the artifact `{artifact}`" if artifact else "the job's artifacts"
    if server and repository and run_id:
        url = f"{server}/{repository}/actions/runs/{run_id}#artifacts"
        return (
            f"The whole report: `results.html` (and `results.md`) in {where} of [this run]({url})."
        )
    return "The whole report: `results.html` and `results.md`, beside `results.json`."


@dataclass
class _Budget:
    limit: int
    blocks: list[str] = field(default_factory=list)
    used: int = 0
    left_out: list[str] = field(default_factory=list)

    def fits(self, block: str) -> bool:
        return self.used + _size(block) + 2 <= self.limit

    def add(self, block: str) -> None:
        self.blocks.append(block)
        self.used += _size(block) + 2  # the blank line between blocks

    def whole(self, blocks: list[str], what: str) -> None:
        """All of `blocks`, or none of them (a table cut in two misleads)."""
        text = "\n\n".join(blocks)
        if not blocks:
            return
        if self.fits(text):
            self.add(text)
        else:
            self.left_out.append(what)

    def items(self, title: str, lines: list[str], what: str) -> None:
        """A titled list, cut between items when it does not fit."""
        if not lines:
            return
        heading = f"### {title}"
        taken: list[str] = []
        size = _size(heading) + 2
        for line in lines:
            if self.used + size + _size(line) + 1 > self.limit:
                break
            taken.append(line)
            size += _size(line) + 1
        if not taken:
            self.left_out.append(f"{what} ({len(lines)} items)")
            return
        rest = len(lines) - len(taken)
        if rest:
            taken.append(f"- … {rest} more, in the whole report")
            self.left_out.append(f"{rest} of {len(lines)} items of {what}")
        self.add(heading + "\n\n" + "\n".join(taken))


def _note_lines(notes: NoteList) -> list[str]:
    return [f"- {markdown.inline(item)}" for item in notes.items]


def render(report: Report, *, pointer: str, extra: str = "", limit: int = SUMMARY_LIMIT) -> str:
    """The step summary of `report`, under `limit` bytes. `extra`: Markdown that belongs
    right after the broken claims (the gate's verdict of a run with --baseline)."""
    budget = _Budget(limit - TAIL_RESERVE - _size(pointer))
    for block in markdown.head_blocks(report):
        budget.add(block)
    budget.items(
        report.not_as_declared.title,
        _note_lines(report.not_as_declared),
        "the cells not as declared",
    )
    budget.items(
        BROKEN_CLAIMS_TITLE,
        [markdown.cause_item(group) for group in report.broken_claims],
        "the broken claims by cause",
    )
    if extra.strip():
        budget.whole([extra.strip()], "the gate's report")
    budget.whole([markdown.legend_line(report)], "the legend")
    for section in report.arches:
        cells = sum(
            1
            for matrix in (section.singles, section.combinations)
            if matrix is not None
            for block in matrix.blocks
            for row in block.rows
            for cell in row.cells
            if cell is not None
        )
        budget.whole(markdown.arch_blocks(section), f"the {section.arch} matrices ({cells} cells)")
    for notes in (report.not_probed, report.not_prepared):
        budget.items(notes.title, _note_lines(notes), f"'{notes.title}'")
    for notes in (report.differences, report.explained, report.static_findings):
        budget.items(notes.title, _note_lines(notes), f"'{notes.title}'")
    for table in (report.build_images, report.distros, report.offers):
        if table.rows:
            budget.whole(
                [f"### {table.title}", markdown.table_text(table)], f"the table '{table.title}'"
            )
    budget.items(
        report.offers_absent.title, _note_lines(report.offers_absent), "the libraries absent"
    )
    if report.installers is not None:
        budget.items(report.installers.title, _note_lines(report.installers), "the installer notes")
    tail = pointer
    if budget.left_out:
        tail = (
            f"Left out of this summary (GitHub keeps a step summary under "
            f"{limit // 1024} KiB): {'; '.join(budget.left_out)}. {pointer}"
        )
    budget.blocks.append(tail)
    return "\n\n".join(budget.blocks) + "\n"
