"""Writing a run's record and its reports: results.json, results.md, results.html, and the
Markdown summary on $GITHUB_STEP_SUMMARY when a GitHub Actions job provides one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from harness import report
from harness.results import record as results


def publish(
    record: results.RunRecord,
    results_dir: Path,
    environ: Mapping[str, str] | None = None,
    extra_markdown: str = "",
) -> dict[str, Path]:
    environ = os.environ if environ is None else environ
    written = {"json": results.save(record, results_dir)}
    markdown = report.render_markdown(record) + (f"\n{extra_markdown}" if extra_markdown else "")
    written["markdown"] = results_dir / "results.md"
    written["markdown"].write_text(markdown, encoding="utf-8")
    written["html"] = results_dir / "results.html"
    written["html"].write_text(report.render_html(record), encoding="utf-8")
    summary_file = environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(markdown + "\n")
    return written
