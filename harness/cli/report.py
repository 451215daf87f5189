"""`manylinux-harness report RESULTS`: the Markdown report of a results.json."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.errors import ExitCode


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="render the report of a results.json"
    )
    parser.add_argument("results", type=Path, help="results.json or its directory")
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    from harness import report
    from harness.results import record as results

    print(report.render_markdown(results.load(args.results)), end="")
    return ExitCode.HELD
