"""The report stage: a run's record made into one view model (build), drawn as Markdown
(results.md, the GitHub step summary) and as self-contained HTML (results.html)."""

from __future__ import annotations

from harness.report import html, markdown
from harness.report.build import build_report
from harness.report.model import Report
from harness.results.record import RunRecord

__all__ = ["Report", "build_report", "render_html", "render_markdown"]


def render_markdown(record: RunRecord) -> str:
    return markdown.render(build_report(record))


def render_html(record: RunRecord) -> str:
    return html.render(build_report(record))
