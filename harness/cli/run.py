"""`manylinux-harness run`: the matrix, as the pytest session users can run themselves
(`pytest harness/matrix/cells.py --profile local`), and its exit code from the record it leaves."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness import options
from harness.errors import ExitCode, UsageError
from harness.options import add_options, option

# What the CLI hands pytest beside the options: the plugin prints one line per finished cell
# (CellProgress) instead of pytest's; -q drops pytest's header and its node-id prefixes. The
# summary and failures stay. xunit1 keeps each cell's verdict as a JUnit property.
PYTEST_FIXED = ("-o", "junit_family=xunit1", "-rfE", "-q")


def from_pytest(code: int) -> ExitCode:
    """pytest's exit code as the harness's, for a session that left no record and no
    recorded stop (the plugin's TO_PYTEST goes the other way). Mapped, never passed on:
    pytest's 2 is "interrupted", the harness's "usage"."""
    return {
        0: ExitCode.HELD,  # pytest.ExitCode.OK
        1: ExitCode.BROKEN,  # TESTS_FAILED
        2: ExitCode.INTERRUPTED,  # INTERRUPTED
        3: ExitCode.NOT_TOLD,  # INTERNAL_ERROR
        4: ExitCode.USAGE,  # USAGE_ERROR
        5: ExitCode.NOT_TOLD,  # NO_TESTS_COLLECTED
    }.get(int(code), ExitCode.NOT_TOLD)


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "run", help="run the matrix and write results.json, JUnit and Markdown"
    )
    jobs = option("jobs", help="parallel workers for probing (xdist) and for preparation")
    add_options(parser.add_argument, [jobs if name == "jobs" else name for name in options.RUN])
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return parser


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    """The pytest command line `run` executes (the same tests users can run with pytest)."""
    import harness.matrix.cells

    cells_file = Path(harness.matrix.cells.__file__)
    results_dir: Path = args.results_dir.resolve()
    values = {**vars(args), "results_dir": results_dir, "prepare_jobs": max(1, args.jobs)}
    argv = [str(cells_file), "--rootdir", str(cells_file.parent.parent)]
    argv += ["-p", "harness.pytest_plugin", "-p", "no:cacheprovider"]
    argv += options.forward(values, options.MATRIX)
    argv += ["--junitxml", str(results_dir / "junit.xml"), *PYTEST_FIXED]
    if args.jobs > 1:
        argv += ["-n", str(args.jobs), "--dist", "loadgroup"]
    else:
        argv += ["-p", "no:xdist"]
    return argv + list(args.pytest_args)


def check_inputs(args: argparse.Namespace) -> None:
    """Every input a run reads late, read now: a bad one is one line and exit 2 before the
    first image, not a run whose hours of cells are thrown away at the end."""
    from harness.results import record as results
    from harness.results.destination import check_results_dir
    from harness.util.cache import usable_cache_dir

    check_selection(args)
    check_results_dir(args.results_dir)  # and held: a second run there stops here
    if args.cache_dir:
        usable_cache_dir(args.cache_dir)
    if args.baseline:
        try:
            results.load(args.baseline)
        except UsageError as exc:
            raise UsageError(f"--baseline: {exc}") from None


def check_selection(args: argparse.Namespace) -> None:
    """What the matrix selects, read as the plugin will (catalogs, engines, policies, distros,
    the axes): a mistake is the harness's one line here, not pytest's usage error."""
    from harness.catalog.user import CatalogSources
    from harness.judge.cpu import parse_cpus
    from harness.judge.installers import parse_pips
    from harness.judge.uv import parse_uvs
    from harness.settings import Settings

    settings = Settings.from_options(
        engines=args.engine, registry_mirrors=args.registry_mirror, catalogs=args.catalog
    )
    catalog = CatalogSources(settings.catalogs, settings.registry_mirrors).load()
    catalog.check_policies(args.profile, args.policy)
    catalog.distros(args.profile, args.arch or None, args.distro or None)
    parse_pips(args.pip)
    parse_uvs(args.uv)
    parse_cpus(args.cpu)


def run(args: argparse.Namespace) -> ExitCode:
    import pytest

    from harness.results import record as results
    from harness.runner.prepared import STOPPED

    check_inputs(args)
    results_dir: Path = args.results_dir.resolve()
    argv = pytest_arguments(args)
    # A stop recorded by an earlier run in this directory must not speak for this one, nor its
    # record (kept until this run's is written whole): told apart by the file's identity.
    (results_dir / results.STATE_DIR / f"{STOPPED}.json").unlink(missing_ok=True)
    results_file = results_dir / "results.json"
    earlier = _identity(results_file)
    print("manylinux-harness: pytest " + " ".join(argv), file=sys.stderr, flush=True)
    code = pytest.main(argv)
    stopped = results.read_state(results_dir, STOPPED)
    if stopped:
        # The cause, last, so that it is what a CI log shows at its end.
        print(f"manylinux-harness: stopped: {stopped['reason']}", file=sys.stderr)
        return ExitCode(stopped.get("exit_code", ExitCode.NOT_TOLD))
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        return from_pytest(pytest.ExitCode(code))
    if _identity(results_file) in (None, earlier):
        # No record: what pytest says, except that no failed test means nothing was told.
        status = from_pytest(code)
        return status if status in (ExitCode.INTERRUPTED, ExitCode.USAGE) else ExitCode.NOT_TOLD
    record = results.load(results_file)
    status = results.exit_code(record)
    if args.baseline and status in (ExitCode.HELD, ExitCode.NOT_TOLD):
        from harness.results import gate

        if not gate.compare(results.load(args.baseline), record).passed:
            return ExitCode.BROKEN
    return status


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Which file is at `path` (device, inode, mtime), or None: a new record is a new file."""
    try:
        found = path.stat()
    except OSError:
        return None
    return (found.st_dev, found.st_ino, found.st_mtime_ns)
