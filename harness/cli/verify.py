"""`manylinux-harness verify WHEEL_OR_DIR... [--check CMD]`: wheels built elsewhere through
the same probe as the corpus (see harness.verify.session)."""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import Any

from harness.errors import ExitCode
from harness.options import add_options, option

# Not imported from verify_plan, which reads the catalog (and auditwheel's policies).
DEFAULT_RESULTS = Path("results/verify")


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "verify",
        help="probe wheels built elsewhere (e.g. from PyPI) in the distros, as the corpus is",
        description="Install the given wheels with each distro's own pip (no network), import "
        "their top-level modules in fresh processes, run --check, and judge the outcome "
        "against what their tags claim.",
    )
    parser.add_argument(
        "paths",
        type=Path,
        nargs="+",
        metavar="WHEEL_OR_DIR",
        help="wheel files, or directories of wheels (a wheel and its dependencies)",
    )
    arch = option(
        "arch",
        help="distro architecture (repeatable; default: the wheels' own). A wheel of another "
        "arch must be refused there",
    )
    distro = option(
        "distro",
        help="distro name (repeatable; default: every distro of the profile for the arch)",
    )
    results_dir = option("results-dir", default=DEFAULT_RESULTS)
    add_options(
        parser.add_argument,
        ["check", "together", "profile", arch, distro, results_dir, "cache-dir"],
    )
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    from harness.catalog.architecture import host_machine
    from harness.catalog.model import default_catalog
    from harness.settings import Settings, parse_engine_option
    from harness.util.container import install_termination_handlers
    from harness.util.ownership import start_run
    from harness.util.progress import Progress
    from harness.verify.plan import make_plan
    from harness.verify.session import Verification

    # Bad input and infrastructure trouble end in main's handler, with the error's exit code.
    plan = make_plan(
        args.paths,
        args.check,
        args.profile,
        args.arch,
        args.distro,
        default_catalog(),
        host_machine(),
        together=args.together,
    )
    settings = Settings(engines=parse_engine_option([], os.environ))
    if args.cache_dir:
        settings = dataclasses.replace(settings, cache_dir=args.cache_dir)
    install_termination_handlers()
    start_run()  # a fresh run id: what the sweep at the end removes
    return Verification(plan, settings, args.results_dir.resolve(), Progress()).execute()
