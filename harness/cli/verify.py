"""`manylinux-harness verify WHEEL_OR_DIR... [--check CMD]`: wheels built elsewhere through
the same probe as the corpus (see harness.verify.session)."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import options
from harness.errors import ExitCode
from harness.options import add_options, option

if TYPE_CHECKING:
    from harness.catalog.model import Catalog
    from harness.settings import Settings
    from harness.util.progress import Progress

# Not imported from verify_plan, which reads the catalog (and auditwheel's policies).
DEFAULT_RESULTS = Path("results/verify")
# The axes `run` has, with the same values; verify's default is the distro's own pip only.
VERIFY_AXIS_HELP = {
    "pip": "also install each wheel set with these pips, e.g. 19.0, 20.3, latest (repeatable; "
    "default: only the distro's own pip)",
    "uv": "also install each wheel set with these uv releases, e.g. latest, 0.4, all "
    "(repeatable; default: none)",
    "cpu": "also run each set's imports and check on these CPU models under qemu-user: "
    "x86-64-v1, x86-64-v2 (repeatable; x86_64 distros; default: the host's CPU only)",
}


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
        nargs="+",
        metavar="WHEEL_OR_DIR",
        help="wheel files, or directories of wheels (a wheel and its dependencies); with "
        "--download, requirements to fetch from the index",
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
        [
            "check",
            "download",
            "together",
            option("pip", help=VERIFY_AXIS_HELP["pip"]),
            option("uv", help=VERIFY_AXIS_HELP["uv"]),
            option("cpu", help=VERIFY_AXIS_HELP["cpu"]),
            "profile",
            arch,
            distro,
            results_dir,
            "cache-dir",
            "timeout",
            *options.LIMITS,
            "container-memory",
            "container-pids",
            *options.SOURCES,
        ],
    )
    add_test_options(parser)
    return parser


# verify's test options: cibuildwheel's, with its documented meaning (docs/publishers.md).
TEST_OPTIONS = {
    "test_command": "the tests' command, run in a fresh directory holding the test-sources; "
    "{project}, {package} and {wheel} are filled in as cibuildwheel does",
    "before_test": "a command run before the tests, in the same place",
    "test_requires": "requirements installed with the wheel (space-separated)",
    "test_extras": "the wheel's extras installed with it (comma-separated)",
    "test_groups": "PEP 735 dependency groups of the project, installed with the wheel",
    "test_sources": "files and directories of the project copied into the tests' directory",
    "test_environment": "NAME=value assignments, evaluated by the distro's shell",
    "test_skip": "identifiers whose cells run no tests, e.g. 'cp39-*' (cp<Python>-"
    "manylinux_<arch> of the distro's Python)",
}


def add_test_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "tests (cibuildwheel's test options)",
        "Run a project's own tests in each cell, offline, after its imports and --check. "
        "With --project the defaults come from its [tool.cibuildwheel] (overrides and CIBW_* "
        "variables included); these options win.",
    )
    group.add_argument(
        "--project",
        type=Path,
        default=None,
        metavar="DIR",
        help="the project cibuildwheel built the wheels from (its pyproject.toml's test "
        "options; copied into each distro container for {project})",
    )
    for key, text in TEST_OPTIONS.items():
        group.add_argument(
            "--" + key.replace("_", "-"), dest=key, default=None, metavar="VALUE", help=text
        )


def run(args: argparse.Namespace) -> ExitCode:
    from harness.catalog.user import CatalogSources
    from harness.judge.cpu import parse_cpus
    from harness.judge.installers import parse_pips
    from harness.judge.uv import parse_uvs
    from harness.results.destination import check_results_dir
    from harness.settings import Settings
    from harness.util.cache import usable_cache_dir
    from harness.util.container import install_termination_handlers
    from harness.util.ownership import start_run
    from harness.util.progress import Progress
    from harness.util.wheel_zip import WheelLimits
    from harness.verify.plan import make_plan
    from harness.verify.project_tests import read_tests
    from harness.verify.session import Verification
    from harness.vocab.arch import host_machine

    # Bad input and infrastructure trouble end in main's handler, with the error's exit code;
    # the results dir first, before a wheel is read, downloaded or a distro probed.
    if args.download:
        from harness.verify.download import check_requirements

        check_requirements(args.paths)
    results_dir = check_results_dir(args.results_dir)
    settings = Settings.from_options(
        engines=[],
        registry_mirrors=args.registry_mirror,
        catalogs=args.catalog,
        run_timeout=args.timeout,
        wheel_limits=WheelLimits.from_options(args.max_unpacked_mib, args.max_compression_ratio),
        container_memory=args.container_memory,
        container_pids=args.container_pids,
    )
    if args.cache_dir:
        settings = dataclasses.replace(settings, cache_dir=usable_cache_dir(args.cache_dir))
    catalog = CatalogSources(settings.catalogs, settings.registry_mirrors).load()
    progress = Progress()
    arches = list(args.arch)
    paths = [Path(p) for p in args.paths]
    if args.download:
        arches = arches or [host_machine()]
        paths = list(download(args, arches, catalog, settings, progress))
    plan = make_plan(
        paths,
        args.check,
        args.profile,
        arches,
        args.distro,
        catalog,
        host_machine(),
        together=args.together,
        installers=(*parse_pips(args.pip), *parse_uvs(args.uv)),
        cpu_models=parse_cpus(args.cpu),
        limits=settings.wheel_limits,
    )
    if args.download:
        plan = dataclasses.replace(plan, downloaded=tuple(args.paths))
    tests = read_tests(
        args.project,
        plan.distros,
        {key: getattr(args, key) for key in TEST_OPTIONS},
        settings.environ,
    )
    plan = dataclasses.replace(plan, tests=tests)
    install_termination_handlers()
    start_run()  # a fresh run id: what the sweep at the end removes
    return Verification(plan, settings, results_dir, progress).execute()


def download(
    args: argparse.Namespace,
    arches: list[str],
    catalog: Catalog,
    settings: Settings,
    progress: Progress,
) -> tuple[Path, ...]:
    """The requirements' wheels, fetched for every Python and arch of the selected distros."""
    from harness.util.cache import Cache
    from harness.verify.download import fetch, targets

    distros = catalog.distros(args.profile, arches, list(args.distro) or None)
    wanted = targets([d for d in distros if not d.skip_reason])
    cache = Cache(settings.cache_dir)
    return fetch(args.paths, wanted, lambda t: cache.path("downloads", t.label), progress)
