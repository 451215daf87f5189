"""Writing a run's record and its reports: results.json, results.md, results.html, and the
bounded summary (harness.report.summary) on $GITHUB_STEP_SUMMARY when a GitHub Actions job
provides one. The report's view model is built once for all three."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from harness.report import html, markdown, summary
from harness.report.build import build_report
from harness.results import record as results

SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"


def publish(
    record: results.RunRecord,
    results_dir: Path,
    environ: Mapping[str, str] | None = None,
    extra_markdown: str = "",
) -> dict[str, Path]:
    environ = os.environ if environ is None else environ
    written = {"json": results.save(record, results_dir)}
    report = build_report(record)
    text = markdown.render(report) + (f"\n{extra_markdown}" if extra_markdown else "")
    written["markdown"] = results_dir / "results.md"
    written["markdown"].write_text(text, encoding="utf-8")
    written["html"] = results_dir / "results.html"
    written["html"].write_text(html.render(report), encoding="utf-8")
    summary_file = environ.get(SUMMARY_VARIABLE)
    if summary_file:
        pointer = summary.whole_report_pointer(environ)
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(summary.render(report, pointer=pointer, extra=extra_markdown) + "\n")
    return written
