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
    if path.is_dir() and not (path / "results.json").exists():
        recovered = recover(path)
        print(
            f"manylinux-harness: {path} has no results.json (the run was killed?): rebuilt "
            f"from {len(recovered.record.cells)} measured cell(s) in its journal, marked "
            f"interrupted; missing: {', '.join(recovered.missing)}",
            file=sys.stderr,
        )
        record = recovered.record
    else:
        record = results.load(path)
    print(report.render_markdown(record), end="")
    return ExitCode.HELD
