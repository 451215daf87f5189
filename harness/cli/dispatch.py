"""Parse the command line, run the command, and end with the exit code its outcome or its
error names (harness.errors.ExitCode)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from harness import __version__
from harness.cli import clean, doctor, explain, gate, images, merge, report, run, verify
from harness.errors import ExitCode, HarnessError

# In the order `--help` lists them.
COMMANDS = (doctor, run, report, gate, merge, explain, verify, images, clean)


class OneLineParser(argparse.ArgumentParser):
    """argparse's own mistakes (an unknown option, a value its type refuses) in the harness's
    one line, naming the option and the fix, instead of the usage block and a second line."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("manylinux-harness").strip()
        self.exit(
            int(ExitCode.USAGE),
            f"manylinux-harness: {command + ': ' if command else ''}{message} "
            f"(see `{self.prog} --help`)\n",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="manylinux-harness",
        description="Test manylinux wheel claims end to end: build through cibuildwheel, "
        "install and run in real distro containers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.register(sub).set_defaults(handler=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except HarnessError as exc:
        print(f"manylinux-harness: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("manylinux-harness: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
