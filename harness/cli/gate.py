"""`manylinux-harness gate --baseline B [--candidate C]`: fail if a cell that held in the
baseline no longer holds in the candidate."""

from __future__ import annotations

import argparse
from typing import Any

from harness.errors import ExitCode, UsageError
from harness.options import add_options, option


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "gate", help="fail if a cell that held in a baseline run no longer holds in a candidate"
    )
    baseline = option("baseline", required=True, help="results.json (or dir) of the baseline run")
    add_options(parser.add_argument, [baseline, "candidate", "markdown"])
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    from harness.results import gate
    from harness.results import record as results

    baseline = results.load(args.baseline)
    candidate = results.load(args.candidate) if args.candidate else baseline
    outcome = gate.compare(baseline, candidate)
    gate.require_common(outcome, baseline, candidate)
    if args.markdown:  # first: a path that cannot be written is bad input, said alone
        try:
            args.markdown.write_text(gate.render_markdown(outcome), encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"--markdown {args.markdown} cannot be written ({exc.strerror or exc}): pass a "
                "path you can write to"
            ) from None
    print(gate.render_text(outcome), end="")
    return ExitCode.HELD if outcome.passed else ExitCode.BROKEN
