"""`manylinux-harness clean [--images]`: remove what the harness left on the engine."""

from __future__ import annotations

import argparse
from typing import Any

from harness.errors import ExitCode
from harness.options import add_options


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "clean", help="remove harness containers left behind (and images)"
    )
    add_options(parser.add_argument, ["images"])
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    from harness.util.engine import Engine
    from harness.util.ownership import LABEL

    engine = Engine.connect()
    removed = engine.remove_containers({LABEL: "1"})
    print(f"removed {len(removed)} container(s)")
    if args.images:
        images = engine.images()
        for info in images:
            engine.remove_image(info.reference)
        print(f"removed {len(images)} image reference(s)")
    return ExitCode.HELD
