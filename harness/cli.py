"""Command line: manylinux-harness doctor | run | report | explain | verify | gate | merge |
clean."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from harness import __version__, explain, verify
from harness.errors import HarnessError, UsageError

# Exit statuses of `run` (and of the gate later): what a CI job branches on.
EXIT_HELD = 0  # every cell as expected
EXIT_BROKEN = 1  # some claim broke where it should hold, or a control was not caught
EXIT_USAGE = 2
EXIT_NOT_TOLD = 3  # no broken claim, but some cells could not be told (infrastructure)
EXIT_INTERRUPTED = 130


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=("local", "official"), default="local")
    parser.add_argument("--arch", action="append", default=[], help="architecture (repeatable)")
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        help="build image policy, e.g. manylinux_2_31, 2014 (repeatable)",
    )
    parser.add_argument("--distro", action="append", default=[], help="distro name (repeatable)")
    parser.add_argument("--sample", action="append", default=[], help="sample name (repeatable)")
    parser.add_argument(
        "--engine",
        action="append",
        default=[],
        help="ARCH=URL: run that arch on another Docker engine (repeatable)",
    )
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--samples-dir", type=Path, default=None)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="manylinux-harness",
        description="Test manylinux wheel claims end to end: build through cibuildwheel, "
        "install and run in real distro containers.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    doctor = sub.add_parser("doctor", help="check (and with --fix, set up) this host")
    doctor.add_argument(
        "--arch",
        action="append",
        default=[],
        help="architectures to check (default: x86_64 and aarch64)",
    )
    doctor.add_argument("--fix", action="store_true", help="install and start what is missing")
    doctor.add_argument("--profile", choices=("local", "official"), default="local")

    run = sub.add_parser("run", help="run the matrix and write results.json, JUnit and Markdown")
    _add_selection(run)
    run.add_argument("--results-dir", type=Path, default=Path("results"))
    run.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=2,
        help="parallel workers for probing (xdist) and for preparation (default 2)",
    )
    run.add_argument(
        "--emulation-factor",
        type=float,
        default=None,
        help="timeout multiplier for emulated arches (default 10)",
    )
    run.add_argument(
        "--candidate-image",
        action="append",
        default=[],
        metavar="POLICY:ARCH=IMAGE",
        help="also run that build image's cells with wheels built in IMAGE (repeatable)",
    )
    run.add_argument(
        "--pip",
        action="append",
        default=[],
        help="pip versions of the pip axis (repeatable; 'none' for the distro's pip only; "
        "default: 19.0 19.3 20.3 latest)",
    )
    run.add_argument(
        "--baseline",
        type=Path,
        default=None,
        help="results.json of a baseline run: gate this run against it",
    )
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")

    report = sub.add_parser("report", help="render the report of a results.json")
    report.add_argument("results", type=Path, help="results.json or its directory")

    gate_cmd = sub.add_parser(
        "gate", help="fail if a cell that held in a baseline run no longer holds in a candidate"
    )
    gate_cmd.add_argument("--baseline", type=Path, required=True, help="results.json (or dir)")
    gate_cmd.add_argument(
        "--candidate",
        type=Path,
        default=None,
        help="results.json (or dir) of the candidate run (default: the baseline file itself, "
        "whose candidate-image cells are then set against its current-image cells)",
    )
    gate_cmd.add_argument("--markdown", type=Path, default=None, help="also write Markdown here")

    merge = sub.add_parser("merge", help="merge several runs' results into one report")
    merge.add_argument("results", type=Path, nargs="+", help="results.json files (or dirs)")
    merge.add_argument("--output", type=Path, required=True, help="directory for the merged run")

    explain.register(sub)
    verify.register(sub)

    clean = sub.add_parser("clean", help="remove harness containers left behind (and images)")
    clean.add_argument("--images", action="store_true", help="also remove the harness's images")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "doctor":
            return cmd_doctor(args)
        if args.command == "run":
            return cmd_run(args)
        if args.command == "report":
            return cmd_report(args)
        if args.command == "clean":
            return cmd_clean(args)
        if args.command == "explain":
            return explain.run(args)
        if args.command == "verify":
            return verify.run(args)
        if args.command == "gate":
            return cmd_gate(args)
        if args.command == "merge":
            return cmd_merge(args)
    except UsageError as exc:
        print(f"manylinux-harness: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except HarnessError as exc:
        print(f"manylinux-harness: {exc}", file=sys.stderr)
        return EXIT_NOT_TOLD
    except KeyboardInterrupt:
        print("manylinux-harness: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    parser.error(f"unknown command {args.command}")
    return EXIT_USAGE


def cmd_doctor(args: argparse.Namespace) -> int:
    from harness import doctor

    arches = doctor.arches_from_names(args.arch or ["x86_64", "aarch64"])
    local = args.profile == "local"
    if args.fix:
        doctor.fix(arches, print, local_profile=local)
    checks = doctor.run_checks(arches, local_profile=local)
    for check in checks:
        print(check.line())
    return 1 if doctor.problems(checks) else 0


def run_exit_status(record) -> int:
    from harness.verdict import Verdict

    if record.interrupted:
        return EXIT_INTERRUPTED
    if any(not c.as_expected and c.verdict is not Verdict.ERROR for c in record.cells):
        return EXIT_BROKEN
    if any(c.verdict is Verdict.ERROR for c in record.cells) or not record.cells:
        return EXIT_NOT_TOLD
    return EXIT_HELD


def pytest_arguments(args: argparse.Namespace) -> list[str]:
    """The pytest command line `run` executes (the same tests users can run with pytest)."""
    import harness.cells

    cells_file = Path(harness.cells.__file__)
    results_dir: Path = args.results_dir.resolve()
    argv = [
        str(cells_file),
        "--rootdir",
        str(cells_file.parent.parent),
        "-p",
        "harness.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "--profile",
        args.profile,
        "--results-dir",
        str(results_dir),
        "--prepare-jobs",
        str(max(1, args.jobs)),
        "--junitxml",
        str(results_dir / "junit.xml"),
        "-o",
        "junit_family=xunit1",  # keeps each cell's verdict as a JUnit property
        "-rfE",
        # The plugin prints one line per finished cell (CellProgress) instead of pytest's;
        # -q drops pytest's header and its node-id prefixes. The summary and failures stay.
        "-q",
    ]
    for option in ("arch", "policy", "distro", "sample", "engine"):
        for value in getattr(args, option):
            argv += [f"--{option}", value]
    if args.cache_dir:
        argv += ["--cache-dir", str(args.cache_dir)]
    if args.samples_dir:
        argv += ["--samples-dir", str(args.samples_dir)]
    if getattr(args, "emulation_factor", None):
        argv += ["--emulation-factor", str(args.emulation_factor)]
    for pip in getattr(args, "pip", []):
        argv += ["--pip", pip]
    for text in getattr(args, "candidate_image", []):
        argv += ["--candidate-image", text]
    if getattr(args, "baseline", None):
        argv += ["--baseline", str(args.baseline.resolve())]
    if args.jobs > 1:
        argv += ["-n", str(args.jobs), "--dist", "loadgroup"]
    else:
        argv += ["-p", "no:xdist"]
    return argv + list(args.pytest_args)


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    from harness import results
    from harness.session import STOPPED

    argv = pytest_arguments(args)
    print("manylinux-harness: pytest " + " ".join(argv), file=sys.stderr, flush=True)
    code = pytest.main(argv)
    stopped = results.read_state(args.results_dir.resolve(), STOPPED)
    if stopped:
        # The cause, last, so that it is what a CI log shows at its end.
        print(f"manylinux-harness: stopped: {stopped['reason']}", file=sys.stderr)
        return EXIT_NOT_TOLD
    if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR):
        return EXIT_USAGE if code == pytest.ExitCode.USAGE_ERROR else EXIT_NOT_TOLD
    results_file = args.results_dir.resolve() / "results.json"
    if not results_file.exists():
        return EXIT_INTERRUPTED if code == pytest.ExitCode.INTERRUPTED else EXIT_NOT_TOLD
    record = results.load(results_file)
    status = run_exit_status(record)
    if args.baseline and status in (EXIT_HELD, EXIT_NOT_TOLD):
        from harness import gate

        if not gate.compare(results.load(args.baseline), record).passed:
            return EXIT_BROKEN
    return status


def cmd_gate(args: argparse.Namespace) -> int:
    from harness import gate, results

    baseline = results.load(args.baseline)
    candidate = results.load(args.candidate) if args.candidate else baseline
    outcome = gate.compare(baseline, candidate)
    if not outcome.compared and not outcome.only_candidate:
        raise UsageError(
            "the baseline and the candidate have no cell in common: pass results of the same "
            "matrix (or a run made with --candidate-image)"
        )
    print(gate.render_text(outcome), end="")
    if args.markdown:
        args.markdown.write_text(gate.render_markdown(outcome), encoding="utf-8")
    return EXIT_HELD if outcome.passed else EXIT_BROKEN


def cmd_merge(args: argparse.Namespace) -> int:
    from harness import results
    from harness.publish import publish

    merged = results.merge([results.load(path) for path in args.results])
    written = publish(merged, args.output)
    summary = merged.summary()
    print(
        f"merged {len(args.results)} runs: {summary['cells']} cells "
        f"({summary['not_as_expected']} not as expected) -> {written['json']}"
    )
    return run_exit_status(merged)


def cmd_report(args: argparse.Namespace) -> int:
    from harness import report, results

    print(report.render_markdown(results.load(args.results)), end="")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    from harness.container import Engine

    engine = Engine.connect()
    removed = engine.remove_containers({"org.manylinux-harness.managed": "1"})
    print(f"removed {len(removed)} container(s)")
    if args.images:
        images = engine.images()
        for info in images:
            engine.remove_image(info.reference)
        print(f"removed {len(images)} image reference(s)")
    return 0
