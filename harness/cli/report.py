"""`manylinux-harness report RESULTS`: the Markdown report of a results.json, or of a run
that was killed before writing one (rebuilt from its cell journal, see results.recover)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.errors import ExitCode


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="render the report of a results.json (or of a killed run's results dir)"
    )
    parser.add_argument("results", type=Path, help="results.json or its directory")
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    from harness import report
    from harness.results import record as results
    from harness.results.recover import recover

    path: Path = args.results
    if path.is_dir() and (results.journal_newer(path) or not (path / "results.json").exists()):
        recovered = recover(path)
        what = (
            "has a results.json older than the cells measured there (a later run did not "
            "write its record: killed, or a full disk?); the earlier record stays, the report "
            "is the later run's:"
            if (path / "results.json").exists()
            else "has no results.json (the run was killed?):"
        )
        print(
            f"manylinux-harness: {path} {what} rebuilt "
            f"from {len(recovered.record.cells)} measured cell(s) in its journal, marked "
            f"interrupted; missing: {', '.join(recovered.missing)}",
            file=sys.stderr,
        )
        record = recovered.record
    else:
        record = results.load(path)
    print(report.render_markdown(record), end="")
    return ExitCode.HELD
