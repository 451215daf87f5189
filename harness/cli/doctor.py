"""`manylinux-harness doctor [--fix]`: check (and set up) this host."""

from __future__ import annotations

import argparse
from typing import Any

from harness import options
from harness.errors import ExitCode
from harness.options import add_options, option

DEFAULT_ARCHES = ("x86_64", "aarch64")


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "doctor", help="check (and with --fix, set up) this host"
    )
    arch = option(
        "arch", help=f"architectures to check (repeatable; default: {' and '.join(DEFAULT_ARCHES)})"
    )
    cpu = option(
        "cpu",
        help="CPU models the runs will use (the CPU axis needs the host's qemu-x86_64-static)",
    )
    add_options(parser.add_argument, [arch, cpu, "fix", "profile", *options.SOURCES])
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    import os

    from harness import doctor, host_setup
    from harness.catalog.registry_mirrors import parse_mirrors
    from harness.catalog.user import CatalogSources
    from harness.judge.cpu import parse_cpus

    arches = doctor.arches_from_names(args.arch or list(DEFAULT_ARCHES))
    local = args.profile == "local"
    cpu_axis = bool(parse_cpus(args.cpu or []))
    mirrors = parse_mirrors(args.registry_mirror, os.environ)
    CatalogSources(tuple(args.catalog), mirrors).load()  # a bad catalog is a usage error
    fixed = ExitCode.HELD
    if args.fix:
        fixed = host_setup.fix(arches, print, local_profile=local, cpu_axis=cpu_axis)
    checks = doctor.run_checks(arches, local_profile=local, mirrors=mirrors, cpu_axis=cpu_axis)
    for check in checks:
        print(check.line())
    return ExitCode.BROKEN if doctor.problems(checks) or fixed != ExitCode.HELD else ExitCode.HELD
