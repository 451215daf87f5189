"""Writing a run's record and its reports: results.json, results.md, results.html, and the
bounded summary (harness.report.summary) on $GITHUB_STEP_SUMMARY when a GitHub Actions job
provides one. The report's view model is built once for all three.

The three are written whole into a scratch directory beside them, then each renamed over
the earlier one: a run that cannot write them (a full disk) leaves the earlier record as it
was, and says so in one line (results.RecordNotWritten)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from harness.report import html, markdown, summary
from harness.report.build import build_report
from harness.results import record as results

SUMMARY_VARIABLE = "GITHUB_STEP_SUMMARY"
OUTPUT_NAMES = {"markdown": "results.md", "html": "results.html", "json": "results.json"}


def publish(
    record: results.RunRecord,
    results_dir: Path,
    environ: Mapping[str, str] | None = None,
    extra_markdown: str = "",
) -> dict[str, Path]:
    environ = os.environ if environ is None else environ
    report = build_report(record)
    texts = {
        "markdown": markdown.render(report) + (f"\n{extra_markdown}" if extra_markdown else ""),
        "html": html.render(report),
        "json": json.dumps(record.to_json(), indent=2),  # last: it is the record
    }
    written = {kind: results_dir / OUTPUT_NAMES[kind] for kind in texts}
    scratch: Path | None = None
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=".publish.", dir=results_dir))
        for kind, text in texts.items():
            (scratch / written[kind].name).write_text(text, encoding="utf-8")
        for kind in texts:
            os.replace(scratch / written[kind].name, written[kind])
    except OSError as exc:
        raise results.RecordNotWritten(results_dir, exc) from exc
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    summary_file = environ.get(SUMMARY_VARIABLE)
    if summary_file:
        pointer = summary.whole_report_pointer(environ)
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(summary.render(report, pointer=pointer, extra=extra_markdown) + "\n")
    return written
