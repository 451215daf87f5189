"""What one probe cell costs: the same cells three ways, in one invocation.

    python benchmarks/cell_cost.py [--arch x86_64] [--distros debian-bookworm,debian-trixie]
                                   [--cells N] [--json OUT]

naive    per cell a fresh container of the distro image (no network, wheelhouse read-only), as
         auditwheel's integration tests do: python3 -m venv, pip install, import + check.
floor    one running container: the distro's pip into an empty venv made beforehand, then one
         import + check; each a single exec. Nothing cheaper can answer the same question.
harness  harness.probe.distro_probe.DistroProbe, started once per distro, then probe() per cell.

Every container goes through harness.util.engine.Engine, so each carries the harness's labels
and is removed when its block ends, Ctrl-C included. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.catalog.model import Distro, default_catalog
from harness.catalog.samples import default_samples_dir, load_sample
from harness.errors import ContainerError, HarnessError, UsageError
from harness.images.provider import ImageProvider
from harness.judge.expectation import expect_install
from harness.probe import observation as obs
from harness.probe.distro_probe import INSTALL_TIMEOUT, RUN_TIMEOUT, DistroProbe, ProbeRequest
from harness.probe.facts import DistroFacts
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.container import Container, ExecResult, Mount, install_termination_handlers
from harness.util.engine import Engine
from harness.vocab.wheel_name import WheelName

SAMPLES = ("c_plain", "glibc_control")
WAYS = ("naive", "floor", "harness")
WHEELHOUSE = "/wheelhouse"  # where every way sees the wheel cache, as the probe does
CHECKS = "/opt/mh-bench/checks"
FLOOR_DIR = "/tmp/mh-bench-floor"
VENV_TIMEOUT = 600.0
PIP_ENV = {"PIP_NO_INPUT": "1", "PIP_ROOT_USER_ACTION": "ignore"}
RUN_ENV = {"PYTHONDONTWRITEBYTECODE": "1"}
# The floor's pip gets the agent's flags: the floor is what the harness's own pip call costs,
# so that harness/floor measures the harness's overhead and not a difference in pip options.
AGENT_PIP_FLAGS = ("--no-index", "--no-cache-dir", "--disable-pip-version-check", "--no-compile")
# The naive way's pip is called as a test suite would: only what offline needs.
NAIVE_PIP_FLAGS = ("--no-index",)
# The RUNNER's work without its stage file: import each module, then the check as __main__.
IMPORT_AND_CHECK = (
    "import importlib, runpy, sys\n"
    "path, modules = sys.argv[1], sys.argv[2:]\n"
    "for module in modules:\n"
    "    importlib.import_module(module)\n"
    "sys.argv = [path] + modules\n"
    "runpy.run_path(path, run_name='__main__')\n"
)
NO_WHEELS_EXIT = 2
# The one setup step whose cost grows with the cells (the floor's venv per cell): the growth
# model counts it per cell, not per distro.
PER_CELL_SETUP = "venv copies"


# -- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchWheel:
    """A wheel the harness built, with what a cell needs to import and check it."""

    sample: str
    policy: str  # the build image's policy, e.g. manylinux_2_36
    path: Path  # on the host, inside the wheel root
    modules: tuple[str, ...]
    check: Path  # the sample's check script on the host

    @property
    def label(self) -> str:
        return f"{self.sample}@{self.policy}"


@dataclass
class CellTiming:
    way: str
    distro: str
    index: int
    wheel: str
    seconds: float  # host wall time of the cell
    passed: bool  # installed, imported, and the check agreed
    phases: dict[str, float] = field(default_factory=dict)
    detail: str = ""  # why it did not pass


@dataclass
class WayRun:
    """One way on one distro: its per-distro setup (if any) and its cells."""

    way: str
    distro: str
    setup: dict[str, float] = field(default_factory=dict)
    cells: list[CellTiming] = field(default_factory=list)
    wall: float = 0.0  # everything, setup and teardown included
    reference: dict[str, float] = field(default_factory=dict)  # not part of setup or cells


@dataclass(frozen=True)
class Context:
    engine: Engine
    settings: Settings
    wheel_root: Path
    progress: Callable[[str], None]


# -- wheels and cells -----------------------------------------------------------------------


def find_wheels(wheel_root: Path, arch: str) -> list[BenchWheel]:
    """The newest cached build of each (sample, build image) for `arch`."""
    newest: dict[tuple[str, str], tuple[float, BenchWheel]] = {}
    samples_dir = default_samples_dir()
    for sample_name in SAMPLES:
        sample = load_sample(samples_dir / sample_name)
        flavours = {f.name for f in sample.flavours}
        # Entries are named sample-flavour-policy-arch-key (harness.build.wheels.WheelBuilder); a
        # build still in progress is dot-prefixed, so the pattern skips it.
        for entry in sorted(wheel_root.glob(f"{sample_name}-*-*-{arch}-*")):
            flavour, policy, entry_arch, _key = entry.name[len(sample_name) + 1 :].rsplit("-", 3)
            wheels = sorted(entry.glob("*.whl"))
            # an entry of a flavour the sample no longer has is stale: its modules are unknown
            if entry_arch != arch or flavour not in flavours or len(wheels) != 1:
                continue
            modules = sample.module_names(sample.flavour(flavour), policy)
            found = BenchWheel(sample_name, policy, wheels[0], modules, sample.check_path)
            mtime = wheels[0].stat().st_mtime
            if (sample_name, policy) not in newest or newest[sample_name, policy][0] < mtime:
                newest[sample_name, policy] = (mtime, found)
    # build image first, then sample: a few cells already cover both samples
    return [newest[key][1] for key in sorted(newest, key=lambda k: (k[1], k[0]))]


def installable(wheels: Sequence[BenchWheel], facts: DistroFacts) -> list[BenchWheel]:
    """Only wheels the distro's pip accepts: a refused wheel never reaches the import, and the
    cells must measure the same work in every way."""
    return [w for w in wheels if expect_install([WheelName.parse(w.path.name)], facts).installable]


def repeat(wheels: Sequence[BenchWheel], count: int) -> list[BenchWheel]:
    return [wheels[i % len(wheels)] for i in range(count)]


def in_container(wheel_root: Path, host_path: Path) -> str:
    return f"{WHEELHOUSE}/{host_path.relative_to(wheel_root).as_posix()}"


def check_in_container(wheel: BenchWheel) -> str:
    return f"{CHECKS}/{wheel.sample}/{wheel.check.name}"


def mounts(ctx: Context, wheels: Sequence[BenchWheel]) -> list[Mount]:
    """The wheelhouse and each sample's check, read-only: nothing is copied per cell."""
    checks = {check_in_container(w): w.check for w in wheels}
    return [Mount(ctx.wheel_root, WHEELHOUSE)] + [Mount(src, dst) for dst, src in checks.items()]


# -- timing helpers -------------------------------------------------------------------------


@contextmanager
def stopwatch(into: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        into[name] = time.monotonic() - started


def timed_exec(
    container: Container,
    command: Sequence[str],
    *,
    timeout: float,
    step: str,
    env: dict[str, str] | None = None,
) -> tuple[ExecResult, float]:
    """One exec, timed on the host: what a caller waits for, round trips included."""
    started = time.monotonic()
    # workdir "/": nothing there shadows the installed module
    result = container.exec(command, timeout=timeout, step=step, env=env, workdir="/")
    return result, time.monotonic() - started


def pip_command(python: str, wheel: str, flags: Sequence[str]) -> list[str]:
    directory = wheel.rsplit("/", 1)[0]
    return [python, "-m", "pip", "install", *flags, "--find-links", directory, wheel]


def import_command(python: str, wheel: BenchWheel) -> list[str]:
    return [python, "-c", IMPORT_AND_CHECK, check_in_container(wheel), *wheel.modules]


# (phase name, command, time limit before emulation scaling, environment)
Step = tuple[str, list[str], float, dict[str, str] | None]


def run_steps(
    container: Container,
    steps: Sequence[Step],
    distro: Distro,
    settings: Settings,
    phases: dict[str, float],
) -> tuple[bool, str]:
    """Each step one exec, timed into `phases`; stops at the first failure and says why. A
    timeout or a failed exec is the cell's failure, not the benchmark's."""
    for name, command, limit, env in steps:
        try:
            result, phases[name] = timed_exec(
                container, command, timeout=settings.scaled(limit, distro.arch), step=name, env=env
            )
        except ContainerError as exc:
            return False, f"{name}: {exc}"
        if not result.ok:
            return False, f"{name} exited {result.exit_code}: {result.tail(2)}"
    return True, ""


# -- way 1: naive ---------------------------------------------------------------------------


def naive_cell(
    ctx: Context, distro: Distro, image: str, index: int, wheel: BenchWheel
) -> CellTiming:
    phases: dict[str, float] = {}
    cell = CellTiming("naive", distro.key, index, wheel.label, 0.0, False, phases)
    started = time.monotonic()
    with ctx.engine.container(
        image,
        arch=distro.arch,
        role="benchmark",
        name_hint=f"bench-naive-{distro.key}",
        mounts=mounts(ctx, [wheel]),
        network=False,
    ) as container:
        phases["start"] = time.monotonic() - started
        steps: list[Step] = [
            ("venv", ["python3", "-m", "venv", "/tmp/venv"], VENV_TIMEOUT, None),
            (
                "pip",
                pip_command(
                    "/tmp/venv/bin/python",
                    in_container(ctx.wheel_root, wheel.path),
                    NAIVE_PIP_FLAGS,
                ),
                INSTALL_TIMEOUT,
                PIP_ENV,
            ),
            ("import", import_command("/tmp/venv/bin/python", wheel), RUN_TIMEOUT, RUN_ENV),
        ]
        cell.passed, cell.detail = run_steps(container, steps, distro, ctx.settings, phases)
        removing = time.monotonic()
    # `docker run --rm` waits for the removal too
    phases["remove"] = time.monotonic() - removing
    cell.seconds = time.monotonic() - started
    return cell


def run_naive(ctx: Context, distro: Distro, image: str, cells: Sequence[BenchWheel]) -> WayRun:
    way_run = WayRun("naive", distro.key)
    started = time.monotonic()
    for index, wheel in enumerate(cells):
        way_run.cells.append(naive_cell(ctx, distro, image, index, wheel))
        report_cell(ctx, way_run, len(cells))
    way_run.wall = time.monotonic() - started
    return way_run


# -- way 2: floor ---------------------------------------------------------------------------


def prepare_floor(
    container: Container, distro: Distro, settings: Settings, count: int, setup: dict[str, float]
) -> None:
    """One empty venv per cell, before any timing: a second install into the same venv would
    find the project already there and measure nothing."""
    limit = settings.scaled(VENV_TIMEOUT, distro.arch)
    with stopwatch(setup, "venv"):
        made = container.shell(
            f"python3 -m venv {FLOOR_DIR}/template", timeout=limit, step="floor venv"
        )
    if made.ok:
        # copies of one fresh venv are empty venvs too, and cheaper to make than new ones
        copies = f"for i in $(seq 0 {count - 1}); do cp -a template venv-$i || exit 1; done"
        with stopwatch(setup, PER_CELL_SETUP):
            made = container.shell(
                f"cd {FLOOR_DIR} && {copies}", timeout=limit * count, step="floor venv copies"
            )
    if not made.ok:
        raise HarnessError(f"cannot make the floor's venvs in {distro.key}: {made.tail(3)}")


def exec_round_trip(container: Container, times: int = 5) -> float:
    """What any exec costs on this engine before the command does anything: part of every
    timed exec, and most of the harness's exec+spec."""
    return median(
        [timed_exec(container, ["true"], timeout=60, step="true")[1] for _ in range(times)]
    )


def floor_cell(
    ctx: Context, container: Container, distro: Distro, index: int, wheel: BenchWheel
) -> CellTiming:
    phases: dict[str, float] = {}
    cell = CellTiming("floor", distro.key, index, wheel.label, 0.0, False, phases)
    python = f"{FLOOR_DIR}/venv-{index}/bin/python"
    wheel_path = in_container(ctx.wheel_root, wheel.path)
    steps: list[Step] = [
        ("pip", pip_command(python, wheel_path, AGENT_PIP_FLAGS), INSTALL_TIMEOUT, PIP_ENV),
        ("import", import_command(python, wheel), RUN_TIMEOUT, RUN_ENV),
    ]
    cell.passed, cell.detail = run_steps(container, steps, distro, ctx.settings, phases)
    cell.seconds = sum(phases.values())
    return cell


def run_floor(ctx: Context, distro: Distro, image: str, cells: Sequence[BenchWheel]) -> WayRun:
    way_run = WayRun("floor", distro.key)
    started = time.monotonic()
    with ctx.engine.container(
        image,
        arch=distro.arch,
        role="benchmark",
        name_hint=f"bench-floor-{distro.key}",
        mounts=mounts(ctx, cells),
        network=False,
    ) as container:
        way_run.setup["container start"] = time.monotonic() - started
        prepare_floor(container, distro, ctx.settings, len(cells), way_run.setup)
        way_run.reference["exec round trip"] = exec_round_trip(container)
        for index, wheel in enumerate(cells):
            way_run.cells.append(floor_cell(ctx, container, distro, index, wheel))
            report_cell(ctx, way_run, len(cells))
        closing = time.monotonic()
    way_run.setup["teardown"] = time.monotonic() - closing
    way_run.wall = time.monotonic() - started
    return way_run


# -- way 3: the harness ---------------------------------------------------------------------


def harness_cell(probe: DistroProbe, distro: Distro, index: int, wheel: BenchWheel) -> CellTiming:
    request = ProbeRequest(
        cell_id=f"bench-{distro.key}-{index}",
        wheels=(wheel.path,),
        imports=wheel.modules,
        checks=((wheel.sample, wheel.check, wheel.modules),),
    )
    started = time.monotonic()
    seen = probe.probe(request)
    seconds = time.monotonic() - started
    cell = CellTiming("harness", distro.key, index, wheel.label, seconds, False)
    cell.phases = harness_phases(seen, seconds)
    accepted = seen.install is not None and seen.install.decision == obs.ACCEPTED
    cell.passed = seen.error is None and accepted and seen.load is not None and seen.load.passed
    if not cell.passed:
        cell.detail = seen.error or describe(seen)
    return cell


def harness_phases(seen: obs.Observation, wall: float) -> dict[str, float]:
    """Where a probed cell's time goes, from the timings its observation carries."""
    pip = seen.install.seconds if seen.install else 0.0
    load = seen.load.seconds if seen.load else 0.0
    return {
        "pip": pip,
        "import": load,
        # the agent's own steps: fresh venv from the template, workdir, cleanup
        "venv+agent": max(seen.seconds - pip - load, 0.0),
        # outside the agent's clock: spec copy, exec round trips, the agent's interpreter start
        "exec+spec": max(wall - seen.seconds, 0.0),
        "bookkeeping": max(wall - pip - load, 0.0),
    }


def describe(seen: obs.Observation) -> str:
    if seen.install is None:
        return "no install"
    if seen.install.decision != obs.ACCEPTED:
        return f"pip {seen.install.decision}: {seen.install.reason}"
    load = seen.load
    return f"load {load.status} at {load.stage}" if load else "not loaded"


def start_harness(
    ctx: Context, distro: Distro, image: str, way_run: WayRun
) -> tuple[DistroProbe, DistroFacts]:
    probe = DistroProbe(ctx.engine, distro, image, ctx.wheel_root, ctx.settings)
    try:
        with stopwatch(way_run.setup, "start+facts"):
            facts = probe.start()
    except BaseException:
        probe.close()  # a failed start must not leave its container behind
        raise
    return probe, facts


def run_harness(
    ctx: Context, distro: Distro, image: str, wheels: Sequence[BenchWheel], count: int
) -> tuple[WayRun, list[BenchWheel]]:
    """Runs first on each distro: the cells are chosen from the facts its start measures."""
    way_run = WayRun("harness", distro.key)
    started = time.monotonic()
    probe, facts = start_harness(ctx, distro, image, way_run)
    cells: list[BenchWheel] = []
    try:
        fitting = installable(wheels, facts)
        cells = repeat(fitting, count) if fitting else []
        for index, wheel in enumerate(cells):
            way_run.cells.append(harness_cell(probe, distro, index, wheel))
            report_cell(ctx, way_run, len(cells))
    finally:
        with stopwatch(way_run.setup, "teardown"):
            probe.close()
    way_run.wall = time.monotonic() - started
    return way_run, cells


# -- orchestration --------------------------------------------------------------------------


def report_cell(ctx: Context, way_run: WayRun, total: int) -> None:
    cell = way_run.cells[-1]
    verdict = "passed" if cell.passed else f"FAILED ({cell.detail[:120]})"
    ctx.progress(
        f"[{way_run.way} {len(way_run.cells)}/{total}] {cell.wheel} on {way_run.distro} "
        f"{cell.seconds:.2f} s {verdict}"
    )


def bench_distro(
    ctx: Context, distro: Distro, wheels: Sequence[BenchWheel], count: int
) -> list[WayRun]:
    """The three ways on one distro, one after another: one container at a time."""
    image = ImageProvider(ctx.engine, Cache(ctx.settings.cache_dir), ctx.settings).ensure(
        distro.image
    )
    harness, cells = run_harness(ctx, distro, image.reference, wheels, count)
    if not cells:
        ctx.progress(f"{distro.key}: none of the cached wheels installs there, skipped")
        return []
    floor = run_floor(ctx, distro, image.reference, cells)
    naive = run_naive(ctx, distro, image.reference, cells)
    return [naive, floor, harness]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cell_cost.py", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--arch", default="x86_64")
    parser.add_argument(
        "--distros",
        nargs="+",
        default=["debian-bookworm"],
        help="local-profile distro names, comma or space separated (default debian-bookworm)",
    )
    parser.add_argument(
        "--cells", type=int, default=4, help="cells per distro and way (repeats of the wheels)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the result as JSON")
    args = parser.parse_args(argv)
    args.distros = [name for value in args.distros for name in value.split(",") if name]
    if args.cells < 1:
        parser.error("--cells must be at least 1")
    return args


def snapshot(wheels: Sequence[BenchWheel], cache_root: Path, root: Path) -> list[BenchWheel]:
    """Private copies, laid out as in the cache: every way reads the same bytes, and another
    run rebuilding or cleaning the cache meanwhile cannot pull a wheel from under a cell."""
    copies = []
    for wheel in wheels:
        target = root / wheel.path.relative_to(cache_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copy2(wheel.path, target)
        except OSError as exc:
            raise HarnessError(
                f"{wheel.path} went away while copying it ({exc}): run again"
            ) from None
        copies.append(replace(wheel, path=target))
    return copies


def measure(
    args: argparse.Namespace, progress: Callable[[str], None]
) -> tuple[int, dict[str, Any]]:
    settings = Settings()
    cache_root = Cache(settings.cache_dir).path("wheels")
    wheels = find_wheels(cache_root, args.arch)
    if not wheels:
        print(
            f"no cached {' or '.join(SAMPLES)} wheel for {args.arch} under {cache_root}: run "
            f"`manylinux-harness run --profile local --arch {args.arch} --sample c_plain` first"
        )
        return NO_WHEELS_EXIT, {}
    distros = default_catalog().distros("local", [args.arch], args.distros)
    engine = Engine.connect(settings.engine_url(distros[0].arch))
    try:
        if not engine.is_local:
            raise UsageError(f"the benchmark bind-mounts its wheels: {engine.base_url} is remote")
        with tempfile.TemporaryDirectory(prefix="mh-bench-wheels-") as tmp:
            wheel_root = Path(tmp)
            wheels = snapshot(wheels, cache_root, wheel_root)
            ctx = Context(engine, settings, wheel_root, progress)
            started = time.monotonic()
            runs = [r for d in distros for r in bench_distro(ctx, d, wheels, args.cells)]
            result = summarize(args, runs, time.monotonic() - started)
    finally:
        engine.close()
    passed = all(cell["passed"] for way in result["ways"].values() for cell in way["cells"])
    return (0 if runs and passed else 1), result


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the benchmark, prints the report; 0 all cells passed, 1 some did not, 2 bad input or
    no wheels, 130 interrupted. Containers are removed by their `with` blocks either way."""
    args = parse_args(argv)
    try:
        code, result = measure(args, lambda line: print(line, file=sys.stderr, flush=True))
    except KeyboardInterrupt:
        print("interrupted: every container this benchmark started has been removed")
        return 130
    except UsageError as exc:
        print(exc)
        return 2
    except HarnessError as exc:
        print(f"benchmark failed: {exc}")
        return 1
    if result:
        # every distro skipped (no wheel it accepts) leaves nothing to compare
        print(render(result) if result["ways"] else "no distro accepted any of the wheels")
        if args.json:
            args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return code


# -- summary and report ---------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def ratio(top: float, bottom: float) -> float | None:
    return round(top / bottom, 2) if bottom > 0 else None


def way_summary(runs: Sequence[WayRun]) -> dict[str, Any]:
    cells = [c for r in runs for c in r.cells]
    seconds = [c.seconds for c in cells]
    phases = list(dict.fromkeys(p for c in cells for p in c.phases))  # first-seen order
    setups = [sum(v for k, v in r.setup.items()) for r in runs]
    return {
        "cells": [asdict(c) for c in cells],
        "median": median(seconds),
        "total": sum(seconds),
        "passed": sum(c.passed for c in cells),
        # means, so that the parts add up to the mean cell
        "phase_means": {p: statistics.fmean(c.phases.get(p, 0.0) for c in cells) for p in phases},
        "setup": {k: statistics.fmean(r.setup.get(k, 0.0) for r in runs) for k in runs[0].setup},
        "setup_mean": statistics.fmean(setups) if setups else 0.0,
        "reference": {k: statistics.fmean(r.reference[k] for r in runs) for k in runs[0].reference},
        "wall": sum(r.wall for r in runs),
        "wall_per_distro": {r.distro: r.wall for r in runs},
    }


def summarize(args: argparse.Namespace, runs: Sequence[WayRun], wall: float) -> dict[str, Any]:
    ways = {w: way_summary([r for r in runs if r.way == w]) for w in WAYS if runs}
    result: dict[str, Any] = {
        "arch": args.arch,
        "distros": sorted({r.distro for r in runs}, key=[r.distro for r in runs].index),
        "cells_per_distro": args.cells,
        "wheels": sorted({c.wheel for r in runs for c in r.cells}),
        "ways": ways,
        "wall": wall,
    }
    if ways:
        result["ratios"] = {
            basis: {
                "harness/floor": ratio(ways["harness"][basis], ways["floor"][basis]),
                "naive/harness": ratio(ways["naive"][basis], ways["harness"][basis]),
            }
            for basis in ("median", "total", "wall")
        }
    return result


def render(result: dict[str, Any]) -> str:
    ways = result["ways"]
    lines = [
        f"cell cost on {result['arch']}: {len(result['distros'])} distro(s) "
        f"({', '.join(result['distros'])}) x {result['cells_per_distro']} cells; "
        f"wheels {', '.join(result['wheels'])}",
        "",
        f"{'way':<8} {'cells':>5} {'passed':>6} {'median s':>9} {'total s':>8} "
        f"{'setup s':>8} {'wall s':>8}",
    ]
    for way in WAYS:
        data = ways[way]
        setup = f"{data['setup_mean']:8.2f}" if data["setup"] else f"{'-':>8}"
        lines.append(
            f"{way:<8} {len(data['cells']):>5} {data['passed']:>6} {data['median']:9.3f} "
            f"{data['total']:8.2f} {setup} {data['wall']:8.2f}"
        )
    lines += ["", *render_ratios(result["ratios"]), "", *render_phases(ways)]
    lines += ["", *render_growth(result)]
    return "\n".join(lines)


def render_ratios(ratios: dict[str, dict[str, float | None]]) -> list[str]:
    names = {"median": "median cell", "total": "cell totals", "wall": "wall, setup included"}
    return [
        f"ratios, {names[basis] + ':':<22} harness/floor {fmt_ratio(r['harness/floor']):>7}   "
        f"naive/harness {fmt_ratio(r['naive/harness']):>7}"
        for basis, r in ratios.items()
    ]


def fmt_ratio(value: float | None) -> str:
    return f"{value:.2f}x" if value is not None else "n/a"


def render_phases(ways: dict[str, Any]) -> list[str]:
    lines = ["where a cell's time goes (mean s per cell; setup: mean s per distro)"]
    for way in WAYS:
        parts = "  ".join(f"{k} {v:.3f}" for k, v in ways[way]["phase_means"].items())
        lines.append(f"  {way:<8} {parts}")
        if ways[way]["setup"]:
            setup = "  ".join(f"{k} {v:.2f}" for k, v in ways[way]["setup"].items())
            lines.append(f"  {'':<8} setup: {setup}")
        for name, seconds in ways[way]["reference"].items():
            lines.append(f"  {'':<8} {name} (an exec of `true`, median of 5): {seconds:.3f}")
    lines.append(
        "  harness: cell = pip + import + bookkeeping; bookkeeping = venv+agent (inside the "
        "agent's clock) + exec+spec (outside it)"
    )
    return lines


def render_growth(result: dict[str, Any]) -> list[str]:
    ways, distros = result["ways"], result["distros"]
    cells = result["cells_per_distro"]
    lines = [
        "growth: wall s (setup and teardown included), cumulative over distros",
        f"  {'distros':>7} {'cells':>5} " + " ".join(f"{w:>8}" for w in WAYS),
    ]
    totals = dict.fromkeys(WAYS, 0.0)
    for count, distro in enumerate(distros, start=1):
        for way in WAYS:
            totals[way] += ways[way]["wall_per_distro"].get(distro, 0.0)
        row = " ".join(f"{totals[w]:8.2f}" for w in WAYS)
        lines.append(f"  {count:>7} {count * cells:>5} {row}")
    lines.append("  model: wall(D distros, N cells) = D x (fixed + N x per-cell)")
    for way in WAYS:
        fixed, per_cell = growth_model(ways[way], len(distros), cells)
        note = f" ({PER_CELL_SETUP} included)" if PER_CELL_SETUP in ways[way]["setup"] else ""
        lines.append(f"  {way:<8} fixed {fixed:6.2f} s + N x {per_cell:.3f} s{note}")
    lines.append(break_even(ways, len(distros), cells))
    return lines


def growth_model(data: dict[str, Any], distros: int, cells: int) -> tuple[float, float]:
    """Per distro: the per-cell part is the mean cell plus any setup made once per cell; the
    fixed part is the rest of the wall (container start, facts, teardown)."""
    per_cell = (data["total"] / distros + data["setup"].get(PER_CELL_SETUP, 0.0)) / cells
    fixed = max(data["wall"] / distros - per_cell * cells, 0.0)
    return fixed, per_cell


def break_even(ways: dict[str, Any], distros: int, cells: int) -> str:
    h_fixed, h_cell = growth_model(ways["harness"], distros, cells)
    n_fixed, n_cell = growth_model(ways["naive"], distros, cells)
    if n_cell <= h_cell:
        return "  the harness never catches up with the naive way per cell"
    cells_needed = (h_fixed - n_fixed) / (n_cell - h_cell)
    return (
        f"  the harness's start pays for itself after {max(cells_needed, 0):.1f} cells per distro"
    )


def cli() -> int:
    # SIGTERM/SIGHUP unwind like Ctrl-C, so the `with` blocks remove the containers.
    install_termination_handlers()
    return main()


if __name__ == "__main__":
    sys.exit(cli())
