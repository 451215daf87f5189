"""Images from cold, emulated beside native, then the whole local matrix cold and warm.

    python benchmarks/images.py [--arch aarch64 --arch x86_64] [--images-only]
                                [--prepare-jobs N] [--no-export] [--json OUT]

Everything runs on a scratch Docker engine of its own (harness.util.scratch_engine: own data
root, exec root, socket, pidfile and bridge), stopped when the benchmark ends, so that the
working engine's images survive. Per arch, in the order given:

  cold      every harness image removed from the scratch engine and an empty cache: the
            images phase (or with --images-only just it, in this process), each image split
            into its stages (twin, bootstrap, import, portable steps, steps, commit), then the
            wheels and the cells, from `manylinux-harness run`;
  warm      the same run again, on the images and caches the cold one left;
  exported  (unless --no-export) the images exported, every image removed, imported again,
            and the matrix started once with the warm cache and once with an empty one, each
            stopped at its first finished cell.

Then the per-image table (seconds per arch and the first arch over the second, e.g. emulated
aarch64 over native x86_64), the phases of each run, and the load average beside each
figure: the machine is shared, and emulated work slows most under load. See
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.catalog.image_spec import ImageSpec
from harness.catalog.model import default_catalog
from harness.errors import HarnessError, UsageError
from harness.images.provider import ImageProvider
from harness.images.twin import SWITCH
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.util.ownership import IMAGE_LABEL
from harness.util.scratch_engine import scratch_engine
from harness.vocab.arch import get_arch, host_machine

STAGES = ("twin", "bootstrap", "import", "portable", "steps", "commit")
_STAMP = re.compile(r"^\[(\d+):(\d\d)\] (.*)$")
_CELL = re.compile(r"^\[\s*\d+/\d+\] ")


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


@dataclass
class Phases:
    """A run's phases, from its progress lines' elapsed stamps (1 s resolution)."""

    wall: float = 0.0
    images: float = 0.0  # until the last [images ...] line
    wheels: float = 0.0  # from there until the last [wheels ...] line
    cells: float = 0.0  # the rest
    first_cell: float | None = None  # when the first cell finished
    exit_code: int = 0
    load_before: str = ""
    load_after: str = ""


def phases_of(lines: Sequence[tuple[float, str]], wall: float) -> Phases:
    """Phases from the progress lines and when each arrived (seconds since the start): the
    images phase ends with the last `[images ...]` line, the wheels with the last `[wheels
    ...]` line; cell lines (`[ 17/265] ok ...`) are not stamped, their arrival is their time."""
    last: dict[str, float] = {}
    first_cell = None
    for arrived, line in lines:
        match = _STAMP.match(line)
        text = match.group(3) if match else line
        for name in ("images", "wheels"):
            if text.startswith(f"[{name} "):
                last[name] = arrived
        if _CELL.match(line) and first_cell is None:
            first_cell = round(arrived, 1)
    images = round(last.get("images", 0.0), 1)
    wheels_end = max(last.get("wheels", images), images)
    return Phases(
        wall=round(wall, 1),
        images=images,
        wheels=round(wheels_end - images, 1),
        cells=round(max(0.0, wall - wheels_end), 1),
        first_cell=first_cell,
    )


@dataclass
class Run:
    arch: str
    kind: str  # cold, warm, exported-warm-cache, exported-cold-cache
    phases: Phases
    images: dict[str, dict[str, Any]] = field(default_factory=dict)  # results.json's, by key
    summary: dict[str, Any] = field(default_factory=dict)
    imported: float | None = None  # seconds `images import` took


# -- the engine -----------------------------------------------------------------------------


def wipe(engine: Engine) -> int:
    """Remove every harness image (provisioned, bases, twins) from the scratch engine."""
    images = engine.images(IMAGE_LABEL)
    for info in images:
        engine.remove_image(info.reference)
    return len(images)


# -- one run --------------------------------------------------------------------------------


def harness_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness", *args]


def run_matrix(
    arch: str,
    kind: str,
    url: str,
    cache_dir: Path,
    results_dir: Path,
    prepare_jobs: int,
    say: Callable[[str], None],
    stop_at_first_cell: bool = False,
    selection: Sequence[str] = (),
) -> Run:
    command = harness_command(
        "run", "--profile", "local", "--arch", arch, "--results-dir", str(results_dir)
    )
    command += list(selection)
    # `run` takes --jobs for its workers and its preparation alike
    command += ["--cache-dir", str(cache_dir), "--jobs", str(prepare_jobs)]
    # Unbuffered, so that each line's arrival is when it was written.
    env = dict(os.environ, DOCKER_HOST=url, PYTHONUNBUFFERED="1")
    say(f"{arch} {kind}: {' '.join(command[2:])} (load {load()})")
    before = load()
    started = time.monotonic()
    lines: list[tuple[float, str]] = []
    # The progress lines go to either stream (the pytest run prints through its terminal).
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    stopped = False
    for raw in proc.stdout:
        line = raw.rstrip("\n")
        lines.append((time.monotonic() - started, line))
        is_cell = bool(_CELL.match(line))
        if _STAMP.match(line):
            say(f"  {line}")
        if stop_at_first_cell and is_cell and not stopped:
            proc.send_signal(signal.SIGINT)
            stopped = True
    code = proc.wait()
    phases = phases_of(lines, time.monotonic() - started)
    phases.exit_code = code
    phases.load_before, phases.load_after = before, load()
    record = Run(arch=arch, kind=kind, phases=phases)
    results = results_dir / "results.json"
    if results.exists():
        data = json.loads(results.read_text(encoding="utf-8"))
        record.images = data.get("images", {})
        record.summary = data.get("summary", {})
    say(f"{arch} {kind}: exit {code}, {phases.wall:.0f} s (load {phases.load_after})")
    if code == 2:  # the command line itself was refused: nothing was measured
        tail = " | ".join(text for _, text in lines[-3:])
        raise UsageError(f"`{' '.join(command[2:])}` refused: {tail}")
    return record


def images_only(
    arch: str,
    engine: Engine,
    cache_dir: Path,
    jobs: int,
    say: Callable[[str], None],
    twin: bool = True,
    policies: Sequence[str] | None = None,
    distros: Sequence[str] | None = None,
) -> Run:
    """The images phase alone, as a run's preparation does it (same provider, same number of
    images side by side), in this process; `twin=False`: with the native twin turned off,
    everything emulated as before it existed."""
    from harness.runner.prepared import parallel

    catalog = default_catalog()
    specs: list[ImageSpec] = [b.image for b in catalog.build_images("local", [arch], policies)]
    specs += [d.image for d in catalog.distros("local", [arch], distros) if not d.skip_reason]
    environ = dict(os.environ, **({} if twin else {SWITCH: "0"}))
    settings = Settings(cache_dir=cache_dir, environ=environ)
    provider = ImageProvider(engine, Cache(cache_dir), settings)
    before = load()
    started = time.monotonic()
    images: dict[str, dict[str, Any]] = {}
    for spec, resolved in parallel(lambda s: (s, provider.ensure(s)), specs, jobs):
        images[spec.key] = asdict(resolved)
        say(f"  {spec.key}: {resolved.seconds:.0f} s {resolved.stages}")
    wall = time.monotonic() - started
    phases = Phases(wall=round(wall, 1), images=round(wall, 1), load_before=before)
    phases.load_after = load()
    return Run(arch=arch, kind="cold" if twin else "cold, no twin", phases=phases, images=images)


def export_and_import(
    arch: str,
    url: str,
    engine: Engine,
    work: Path,
    warm_cache: Path,
    jobs: int,
    say: Callable[[str], None],
    chosen: Sequence[str] = (),
) -> list[Run]:
    exported = work / f"export-{arch}"
    env = dict(os.environ, DOCKER_HOST=url)
    subprocess.run(
        harness_command("images", "export", "--arch", arch, *chosen, "--output", str(exported)),
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    runs = []
    for kind, cache_dir in (("exported, warm cache", warm_cache), ("exported, cold cache", None)):
        wipe(engine)
        started = time.monotonic()
        subprocess.run(
            harness_command("images", "import", str(exported)),
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        imported = round(time.monotonic() - started, 1)
        cache = cache_dir or Path(tempfile.mkdtemp(prefix="cache-", dir=work))
        run = run_matrix(
            arch,
            kind,
            url,
            cache,
            work / f"{arch}-{kind.replace(', ', '-').replace(' ', '-')}",
            jobs,
            say,
            stop_at_first_cell=True,
            selection=chosen,
        )
        run.imported = imported
        runs.append(run)
    return runs


# -- the report -----------------------------------------------------------------------------


def _image_name(key: str) -> str:
    role, name, _arch = key.split(":")
    return f"{role} {name}"


def stage_text(entry: dict[str, Any]) -> str:
    stages = entry.get("stages") or {}
    parts = [f"{name} {stages[name]:.0f}" for name in STAGES if name in stages]
    parts += [f"{k} {v:.0f}" for k, v in stages.items() if k not in STAGES]
    return ", ".join(parts)


def ratio(top: float, bottom: float) -> str:
    return f"{top / bottom:.1f}x" if top > 0 and bottom > 0 else "-"


def load_runs(path: Path) -> list[Run]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Run(**{**entry, "phases": Phases(**entry["phases"])}) for entry in data]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"{path}: not the --json of this benchmark ({exc})") from exc


def render(runs: Sequence[Run]) -> str:
    lines: list[str] = []
    colds = [r for r in runs if r.kind == "cold"] + [r for r in runs if r.kind == "cold, no twin"]
    arches = [r.arch if r.kind == "cold" else f"{r.arch}*" for r in colds]
    if colds:
        lines.append("images from cold (seconds; stages: " + ", ".join(STAGES) + ")")
        if any(r.kind != "cold" for r in colds):
            lines.append("  (ARCH*: the same with MANYLINUX_HARNESS_NATIVE_TWIN=0, all emulated)")
        found = [{_image_name(k): e for k, e in r.images.items()} for r in colds]
        names = sorted({name for images in found for name in images})
        # Sums and their ratio over the images every arch has (musl's are x86_64's only).
        common = [n for n in names if all(n in images for images in found)]
        header = f"  {'image':34}" + "".join(f"{a:>9}" for a in arches)
        header += f"{'ratio':>8}" if len(colds) > 1 else ""
        lines.append(header)
        totals = [0.0] * len(colds)
        for name in names:
            row, values = f"  {name:34}", []
            for index, images in enumerate(found):
                entry = images.get(name)
                if entry is None:
                    values.append(0.0)
                    row += f"{'-':>9}"  # not in this arch's selection
                    continue
                seconds = float(entry.get("seconds", 0.0)) if "error" not in entry else 0.0
                values.append(seconds)
                if name in common:
                    totals[index] += seconds
                row += f"{seconds:9.0f}" if "error" not in entry else f"{'failed':>9}"
            if len(colds) > 1:
                row += f"{ratio(values[0], values[1]):>8}"
            lines.append(row)
        label = "sum of images" if len(common) == len(names) else "sum of images in every arch"
        total_row = f"  {label:34}" + "".join(f"{t:9.0f}" for t in totals)
        walls = [r.phases.images for r in colds]
        wall_row = f"  {'images phase (wall)':34}" + "".join(f"{w:9.0f}" for w in walls)
        if len(colds) > 1:
            total_row += f"{ratio(totals[0], totals[1]):>8}"
            wall_row += f"{ratio(walls[0], walls[1]):>8}"
        lines += [total_row, wall_row]
        lines.append("  stages per image:")
        for run in colds:
            for key, entry in sorted(run.images.items()):
                lines.append(f"    {key:42} {stage_text(entry)}")
    lines.append("runs (seconds; load average 1/5 min before -> after)")
    for run in runs:
        p = run.phases
        wheel_share = f" ({p.wheels / p.wall:.0%})" if p.wall else ""
        text = (
            f"  {run.arch:8} {run.kind:22} exit {p.exit_code:3}  wall {p.wall:6.0f}  "
            f"images {p.images:5.0f}  wheels {p.wheels:5.0f}{wheel_share}  cells {p.cells:6.0f}"
        )
        if run.imported is not None:
            text += f"  import {run.imported:.0f}"
        if p.first_cell is not None and run.kind.startswith("exported"):
            text += f"  first cell at {p.first_cell:.0f} (+ import {run.imported or 0:.0f})"
        lines.append(text + f"  load {p.load_before} -> {p.load_after}")
        if run.summary:
            lines.append(f"  {'':8} {'':22} summary {json.dumps(run.summary)}")
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--arch",
        action="append",
        help="arches in order (default: aarch64 then x86_64; the first over the second "
        "is the ratio)",
    )
    parser.add_argument("--images-only", action="store_true", help="only the images phase")
    parser.add_argument("--policy", action="append", help="only these build images (repeatable)")
    parser.add_argument("--distro", action="append", help="only these distros (repeatable)")
    parser.add_argument(
        "--prepare-jobs",
        type=int,
        default=2,
        help="images side by side (the runs' --jobs: also their probing workers)",
    )
    parser.add_argument("--no-export", action="store_true", help="skip the export/import runs")
    parser.add_argument(
        "--no-twin-too",
        action="store_true",
        help="also the images phase of each emulated arch with the native twin off (all "
        "emulated, as before it), side by side",
    )
    parser.add_argument("--engine-name", default="bench", help="the scratch engine's name")
    parser.add_argument("--work-dir", type=Path, help="caches and results (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument(
        "--from-json", type=Path, help="print the report of an earlier --json, measuring nothing"
    )
    args = parser.parse_args(argv)
    args.arch = args.arch or ["aarch64", "x86_64"]
    for name in args.arch:
        get_arch(name)  # UsageError for an unknown one
    if args.prepare_jobs < 1:
        raise UsageError("--prepare-jobs must be at least 1")
    return args


def selection(args: argparse.Namespace) -> list[str]:
    found: list[str] = []
    for policy in args.policy or ():
        found += ["--policy", policy]
    for distro in args.distro or ():
        found += ["--distro", distro]
    return found


def measure(args: argparse.Namespace, say: Callable[[str], None], runs: list[Run]) -> None:
    """Append each run to `runs` as it ends, so that a failure later keeps what was measured."""
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="mh-bench-images-"))
    work.mkdir(parents=True, exist_ok=True)
    with scratch_engine(args.engine_name) as scratch:
        engine = Engine.connect(scratch.url)
        say(f"scratch engine at {scratch.url} (data root {scratch.data_root}); work in {work}")
        for arch in args.arch:
            if args.no_twin_too and not get_arch(arch).is_native_on(host_machine()):
                wipe(engine)
                cache = Path(tempfile.mkdtemp(prefix=f"cache-{arch}-no-twin-", dir=work))
                say(f"{arch}: the images phase with the native twin off")
                runs.append(
                    images_only(
                        arch, engine, cache, args.prepare_jobs, say, False, args.policy, args.distro
                    )
                )
            removed = wipe(engine)
            say(f"{arch}: removed {removed} harness image(s) from the scratch engine")
            cache = Path(tempfile.mkdtemp(prefix=f"cache-{arch}-", dir=work))
            if args.images_only:
                runs.append(
                    images_only(
                        arch, engine, cache, args.prepare_jobs, say, True, args.policy, args.distro
                    )
                )
                continue
            for kind in ("cold", "warm"):
                runs.append(
                    run_matrix(
                        arch,
                        kind,
                        scratch.url,
                        cache,
                        work / f"{arch}-{kind}",
                        args.prepare_jobs,
                        say,
                        selection=selection(args),
                    )
                )
            if not args.no_export:
                runs += export_and_import(
                    arch, scratch.url, engine, work, cache, args.prepare_jobs, say, selection(args)
                )


def main(argv: Sequence[str] | None = None) -> int:
    runs: list[Run] = []
    code = 0
    try:
        args = parse_args(argv)
        if args.from_json:
            print(render(load_runs(args.from_json)))
            return 0
        measure(args, lambda line: print(line, file=sys.stderr, flush=True), runs)
    except KeyboardInterrupt:
        print("interrupted: the scratch engine has been stopped")
        code = 130
    except UsageError as exc:
        print(exc)
        code = 2
    except (HarnessError, subprocess.CalledProcessError) as exc:
        print(f"benchmark failed: {exc}")
        code = 1
    if runs:  # what was measured before a failure is kept
        print(render(runs))
        if args.json:
            args.json.write_text(
                json.dumps([asdict(r) for r in runs], indent=2) + "\n", encoding="utf-8"
            )
    return code


if __name__ == "__main__":
    sys.exit(main())
