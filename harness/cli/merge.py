"""`manylinux-harness merge RESULTS... --output DIR`: several runs' results as one."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.errors import ExitCode
from harness.options import add_options


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "merge", help="merge several runs' results into one report"
    )
    parser.add_argument("results", type=Path, nargs="+", help="results.json files (or dirs)")
    add_options(parser.add_argument, ["output"])
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    from harness.report.publish import publish
    from harness.results import record as results
    from harness.results.destination import check_results_dir

    check_results_dir(args.output, "--output")  # and held while merge writes there
    merged = results.merge(
        [results.load(path) for path in args.results], [str(path) for path in args.results]
    )
    written = publish(merged, args.output)
    summary = merged.summary()
    print(
        f"merged {len(args.results)} runs: {summary['cells']} cells "
        f"({summary['not_as_expected']} not as expected) -> {written['json']}"
    )
    return results.exit_code(merged)
