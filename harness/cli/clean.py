"""`manylinux-harness clean [--all] [--images]`: remove what the harness left on the engine
and in its cache.

By default only leftovers: containers whose owning process is gone (the run-time reaper's
owner check), and the scratch directories of cache entries whose making process is gone (a
build killed mid-way). A run still going, here or in another CI job on the same host, keeps
its containers unless --all says otherwise, and its scratch always."""

from __future__ import annotations

import argparse
from typing import Any

from harness.errors import ExitCode
from harness.options import add_options


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "clean", help="remove harness containers left behind by runs that are gone (and images)"
    )
    add_options(parser.add_argument, ["all", "images", "cache-dir"])
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    from harness.util.cache import Cache, default_cache_dir
    from harness.util.engine import Engine
    from harness.util.ownership import LABEL

    scratch = Cache(args.cache_dir or default_cache_dir()).remove_leftover_scratch()
    if scratch:
        names = ", ".join(str(path) for path in scratch)
        print(f"removed {len(scratch)} scratch director(ies) of killed builds: {names}")
    engine = Engine.connect()
    if args.all:
        removed = engine.remove_containers({LABEL: "1"})
        what = "container(s), live runs' included (--all)"
    else:
        removed = engine.reap_leftovers()
        what = "container(s) left by runs that are gone"
    print(f"removed {len(removed)} {what}" + (f": {', '.join(removed)}" if removed else ""))
    if not args.all:
        live = engine.running_harness_containers()
        if live:
            print(f"kept {len(live)} container(s) of runs still going (--all removes them too)")
    if args.images:
        images = engine.images()
        for info in images:
            engine.remove_image(info.reference)
        print(f"removed {len(images)} image reference(s)")
    return ExitCode.HELD
