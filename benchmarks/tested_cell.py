"""What a tested cell costs: the example project's wheel installed and its own pytest suite run,
the harness's way beside the same by hand, in one invocation; and what fetching the test
requirements costs on a first and a second run.

    python benchmarks/tested_cell.py [--distro debian-bookworm] [--cells 3] [--json OUT]

harness  DistroProbe started once (not a cell's cost), then per cell the request verify makes
         for a project's tests (harness.verify.project_tests, given_check): install the wheel
         with pytest from the dependency wheels as a user of its own, import it in a fresh
         process, copy the test-sources into a fresh directory of another user, evaluate the
         test environment there, run the test command.
by-hand  one running container of the same image (no network, the same wheel and dependency
         directories mounted, the project copied in), an empty venv per cell made beforehand:
         `pip install --no-index --find-links DEPS WHEEL pytest` into it (one exec), then the
         same test command in a fresh directory holding the test sources (one exec). Nothing
         cheaper answers the same question.

The harness reuses an install of the same wheel set within a container; between its cells the
benchmark removes the installed sets (untimed), so that every cell installs, as the by-hand
cells do. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import shlex
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.catalog.model import Distro, default_catalog
from harness.errors import HarnessError, UsageError
from harness.images.provider import ImageProvider
from harness.probe import agent as probe_agent
from harness.probe.distro_probe import WHEELHOUSE, DistroProbe, ProbeRequest
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.container import Mount, install_termination_handlers
from harness.util.engine import Engine
from harness.verify import dependency_supply as deps
from harness.verify import given_check, project_tests
from harness.verify.given_wheels import parse_wheel

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "lazy_crypt"
FLOOR = "/tmp/mh-bench-tested"


def load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_example", REPO / "bin" / "build_example.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_example"] = module
    spec.loader.exec_module(module)
    return module


def stage_wheel(cache: Cache, arch: str) -> Path:
    """The example's wheel, built through the build stage (cached), in the wheel cache."""
    with tempfile.TemporaryDirectory() as scratch:
        (built,) = load_builder().build(EXAMPLE, Path(scratch), profile="local", arch=arch)
        digest = hashlib.sha256(built.read_bytes()).hexdigest()[:16]
        directory = cache.path("wheels", f"bench-tested-{digest}")
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / built.name
        if not target.exists():
            shutil.copyfile(built, target)
    Cache.share_read_only(directory)
    return target


def fetch_twice(target: deps.Target, requirements: tuple[str, ...]) -> list[dict[str, Any]]:
    """The test requirements fetched into an empty cache, then again: what each run cost."""
    runs = []
    with tempfile.TemporaryDirectory() as root:
        cache = Cache(Path(root))
        for label in ("first run", "second run"):
            calls: list[list[str]] = []

            def counting(command: list[str], calls: list[list[str]] = calls) -> tuple[int, str]:
                calls.append(command)
                return deps.run_pip(command)

            started = time.monotonic()
            got = deps.fetch_target(cache, target, requirements, (), counting)
            runs.append(
                {
                    "run": label,
                    "seconds": round(time.monotonic() - started, 2),
                    "pip downloads": len(calls),
                    "files downloaded": got.downloaded,
                    "problem": got.problem,
                }
            )
    return runs


def harness_cells(
    probe: DistroProbe, request: ProbeRequest, count: int
) -> list[dict[str, float | bool]]:
    cells = []
    for index in range(count):
        started = time.monotonic()
        seen = probe.probe(ProbeRequest(**{**request.__dict__, "cell_id": f"bench-tested-{index}"}))
        wall = time.monotonic() - started
        passed = seen.error is None and seen.load is not None and seen.load.passed
        cells.append(
            {
                "seconds": wall,
                "install": seen.install.seconds if seen.install else 0.0,
                "tests": seen.load.seconds if seen.load else 0.0,
                "passed": passed,
            }
        )
        container = probe._container  # the installed sets, removed untimed
        assert container is not None
        container.exec(["rm", "-rf", probe_agent.SETS_DIR], timeout=60, step="forget the sets")
    return cells


def by_hand_cells(
    engine: Engine,
    distro: Distro,
    image: str,
    settings: Settings,
    mounts: list[Mount],
    wheel: str,
    dependencies: str,
    staged: Path,
    spec: dict[str, Any],
    count: int,
) -> list[dict[str, float | bool]]:
    cells = []
    with engine.container(
        image,
        arch=distro.arch,
        role="benchmark",
        name_hint=f"bench-tested-{distro.key}",
        mounts=mounts,
        network=False,
        limits=settings.limits,
    ) as container:
        container.copy_into(staged, "/opt", arcname="project")
        venvs = " && ".join(f"cp -a {FLOOR}/template {FLOOR}/venv-{i}" for i in range(count))
        made = container.shell(
            f"python3 -m venv {FLOOR}/template && {venvs}", timeout=600, step="venvs"
        )
        if not made.ok:
            raise HarnessError(f"cannot make the venvs: {made.tail(3)}")
        environment = " ".join(f"{name}={value}" for name, value in spec["environment"])
        for index in range(count):
            venv = f"{FLOOR}/venv-{index}"
            install = (
                f"{venv}/bin/python -m pip install --no-index --no-cache-dir "
                f"--disable-pip-version-check --no-compile --find-links {dependencies} "
                f"{wheel} pytest"
            )
            tests = (
                f"cd $(mktemp -d) && cp -r /opt/project/tests . && export PATH={venv}/bin:$PATH "
                f"&& export {environment} && {spec['command']}"
            )
            started = time.monotonic()
            installed = container.shell(install, timeout=600, step="pip install")
            middle = time.monotonic()
            tested = container.shell(tests, timeout=600, step="tests")
            ended = time.monotonic()
            cells.append(
                {
                    "seconds": ended - started,
                    "install": middle - started,
                    "tests": ended - middle,
                    "passed": installed.ok and tested.ok,
                }
            )
    return cells


def measure(distro_name: str, count: int) -> dict[str, Any]:
    settings = Settings()
    cache = Cache(settings.cache_dir)
    (distro,) = default_catalog().distros("local", ["x86_64"], [distro_name])
    engine = Engine.connect()
    image = ImageProvider(engine, cache, settings).ensure(distro.image).reference
    wheel_path = stage_wheel(cache, distro.arch.name)
    tests = project_tests.read_tests(EXAMPLE, [distro], {}, {})
    assert tests is not None
    options = tests.for_distro(distro)
    assert options is not None and options.runs
    target = deps.target_of(distro)
    assert target is not None
    wanted = deps.requirements_for(target, [(parse_wheel(wheel_path), ())], options.requires)
    fetches = fetch_twice(target, wanted)
    supplied = deps.fetch_target(cache, target, wanted, deps.pins([parse_wheel(wheel_path)]))
    if supplied.directory is None:
        raise HarnessError(supplied.problem)
    staged = project_tests.stage_project(EXAMPLE, cache)
    wheel_root = cache.path("wheels")

    def inside(path: Path) -> str:
        return "/".join([WHEELHOUSE, *path.resolve().relative_to(wheel_root.resolve()).parts])

    project = project_tests.container_project(staged)
    spec = project_tests.step_spec(options, project=project, wheel=inside(wheel_path))
    directory, name = given_check.check_script_name()
    script = cache.path("verify", directory, name)
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(given_check.CHECK_SCRIPT, encoding="utf-8")
    request = ProbeRequest(
        cell_id="bench-tested",
        wheels=(wheel_path,),
        imports=(),
        checks=tuple(
            (label, script, argv)
            for label, argv in given_check.check_steps(("lazy_crypt",), None, spec)
        ),
        find_links=(wheel_path.parent, supplied.directory),
        requirements=options.requires,
        trees=((staged, project),),
        installed_only=("tests",),
    )
    result: dict[str, Any] = {"distro": distro.key, "cells": count, "fetch": fetches}
    probe = DistroProbe(
        engine,
        distro,
        image,
        wheel_root,
        settings,
        wheel_dirs=(wheel_path.parent, supplied.directory),
    )
    started = time.monotonic()
    try:
        probe.start()
        result["harness start"] = time.monotonic() - started
        result["harness"] = harness_cells(probe, request, count)
    finally:
        probe.close()
    mounts = [
        Mount(wheel_path.parent, inside(wheel_path.parent)),
        Mount(supplied.directory, inside(supplied.directory)),
    ]
    result["by hand"] = by_hand_cells(
        engine,
        distro,
        image,
        settings,
        mounts,
        inside(wheel_path),
        inside(supplied.directory),
        staged,
        {**spec, "command": options.command},
        count,
    )
    engine.close()
    return result


def median(cells: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(c[key]) for c in cells)


def render(result: dict[str, Any]) -> str:
    lines = [
        f"tested cell on {result['distro']} ({result['cells']} cells each way): "
        "install + import + the example's pytest suite",
        "",
        "| way | median cell s | median install s | median tests s | all passed |",
        "|---|---|---|---|---|",
    ]
    for way in ("harness", "by hand"):
        cells = result[way]
        lines.append(
            f"| {way} | {median(cells, 'seconds'):.2f} | {median(cells, 'install'):.2f} | "
            f"{median(cells, 'tests'):.2f} | {all(c['passed'] for c in cells)} |"
        )
    ratio = median(result["harness"], "seconds") / median(result["by hand"], "seconds")
    lines += [
        "",
        f"harness / by hand (median cell): {ratio:.2f}x (target: within 1.25x)",
        f"harness start (once per distro, not in the cells): {result['harness start']:.2f} s",
        "",
        "| test requirements fetch | seconds | pip downloads | files downloaded |",
        "|---|---|---|---|",
    ]
    for run in result["fetch"]:
        lines.append(
            f"| {run['run']} | {run['seconds']:.2f} | {run['pip downloads']} | "
            f"{run['files downloaded']} |" + (f" {run['problem']}" if run["problem"] else "")
        )
    result["ratio"] = ratio
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distro", default="debian-bookworm")
    parser.add_argument("--cells", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.cells < 1:
        print("error: --cells must be at least 1", file=sys.stderr)
        return 2
    install_termination_handlers()
    try:
        result = measure(args.distro, args.cells)
    except (UsageError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except HarnessError as exc:
        print(f"failed: {exc}", file=sys.stderr)
        return 1
    print(render(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    passed = all(c["passed"] for way in ("harness", "by hand") for c in result[way])
    return 0 if passed else 1


if __name__ == "__main__":
    print(shlex.join(sys.argv), file=sys.stderr)
    sys.exit(main())
