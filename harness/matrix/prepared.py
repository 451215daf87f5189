"""What a matrix run's preparation produced (images, wheels, their inspections, the pip
axis), as the controller shares it with the workers through the results directory; and
whether anything can run at all."""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.analysis import memo
from harness.build.wheels import BuildOutcome, BuildRequest
from harness.catalog.image_spec import ImageSpec
from harness.judge import installers, uv
from harness.matrix.plan import Plan
from harness.results import record as results
from harness.util import interrupt
from harness.util.cache import Cache
from harness.util.progress import Progress
from harness.vocab.installer import DISTRO_PIP

PREPARED = results.PREPARED_STATE  # the state file workers read
STOPPED = "stopped"  # why a run stopped before probing (state file)


@dataclass(frozen=True)
class Prepared:
    """What the preparation phase produced, shared with workers through the results dir."""

    images: dict[str, dict[str, Any]]  # spec key -> ResolvedImage fields, or {"error": ...}
    builds: dict[str, dict[str, Any]]  # build request key -> BuildOutcome fields
    wheels: dict[str, dict[str, Any]] = dataclasses.field(
        default_factory=dict
    )  # name -> inspection
    pips: dict[str, str] = dataclasses.field(default_factory=dict)  # pip -> why unavailable
    # installer@arch -> the uv binary fetched (version, hashes, host path); and also, under
    # the installer's own name, why it is unavailable (uv.ensure_uvs)
    uvs: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def image_error(self, spec: ImageSpec) -> str | None:
        entry = self.images.get(spec.key)
        if entry is None:
            return f"image {spec.key} was not prepared"
        return entry.get("error")

    def image_reference(self, spec: ImageSpec) -> str:
        return str(self.images[spec.key]["reference"])

    def build(self, request: BuildRequest) -> dict[str, Any] | None:
        return self.builds.get(request.key)

    def to_json(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "builds": self.builds,
            "wheels": self.wheels,
            "pips": self.pips,
            "uvs": self.uvs,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prepared:
        return cls(
            images=dict(data.get("images", {})),
            builds=dict(data.get("builds", {})),
            wheels=dict(data.get("wheels", {})),
            pips=dict(data.get("pips", {})),
            uvs=dict(data.get("uvs", {})),
        )


def nothing_to_run(plan: Plan, images: dict[str, dict[str, Any]]) -> str | None:
    """One line naming the image that could not be obtained and why, when no cell can run."""
    groups = (
        ("build image", [b.image for b in plan.build_images]),
        ("distro image", [d.image for d in plan.distros if not d.skip_reason]),
    )
    for role, specs in groups:
        failed = [s for s in specs if "error" in images.get(s.key, {"error": "not prepared"})]
        if specs and len(failed) == len(specs):
            first = failed[0]
            more = f" (and {len(failed) - 1} more {role}s)" if len(failed) > 1 else ""
            reason = images.get(first.key, {}).get("error", "not prepared")
            hint = "; check that its registry is reachable, or use --profile local"
            return f"no {role} could be obtained{more}: {reason}" + (
                hint if "cannot pull" in reason else ""
            )
    return None


def inspect_wheels(
    plan: Plan, builds: dict[str, dict[str, Any]], cache: Cache
) -> dict[str, dict[str, Any]]:
    """The static checks of every built wheel (lint.inspect_wheel, kept by content), by
    file name."""
    wheels: dict[str, dict[str, Any]] = {}
    for request in plan.builds:
        for path in builds[request.key].get("wheels", []):
            try:
                wheels[Path(path).name] = memo.inspect_wheel(
                    cache, Path(path), request.build_image.arch.name
                )
            except Exception as exc:  # a wheel we cannot read is reported, not fatal
                wheels[Path(path).name] = {"error": f"cannot inspect: {exc}"}
    return wheels


def ensure_axis_pips(plan: Plan, cache: Cache, progress: Progress) -> dict[str, str]:
    """The pip wheels of the plan's pip axis, fetched; pip -> why it is unavailable."""
    axis = sorted(
        {c.installer.release for c in plan.cells if not c.installer.is_uv} - {DISTRO_PIP.release}
    )
    if not axis:
        return {}
    pythons = {
        ".".join(d.expected_python.split(".")[:2]) for d in plan.distros if d.expected_python
    }
    progress.line(
        f"pip axis: fetching pip {', '.join(axis)} for Python {', '.join(sorted(pythons))}"
    )
    problems = installers.ensure_pips(cache, axis, pythons)
    for problem in sorted(problems.values()):
        progress.line(f"pip axis: {problem}")
    return problems


def ensure_axis_uvs(plan: Plan, cache: Cache, progress: Progress) -> dict[str, dict[str, Any]]:
    """The uv binaries of the plan's installer axis, fetched: installer@arch -> what was
    fetched; an installer that could not be fetched maps to {"error": why}."""
    axis = sorted({c.installer for c in plan.cells if c.installer.is_uv}, key=str)
    if not axis:
        return {}
    arches = {c.arch for c in plan.cells if c.installer.is_uv}
    fetched, problems = uv.ensure_uvs(cache, axis, arches)
    for entry in fetched.values():
        progress.line(
            f"installer axis: uv {entry['release']} is {entry['version']} "
            f"(sha256 {entry['binary_sha256'][:16]})"
        )
    for _name, problem in sorted(problems.items()):
        progress.line(f"installer axis: {problem}")
    return {**fetched, **{name: {"error": why} for name, why in problems.items()}}


def outcome_json(outcome: BuildOutcome) -> dict[str, Any]:
    data = dataclasses.asdict(outcome)
    data["wheels"] = [str(w) for w in outcome.wheels]
    data["log"] = str(outcome.log) if outcome.log else None
    return data


def parallel(function: Callable[[Any], Any], items: list[Any], jobs: int) -> Iterator[Any]:
    """Run `function` over items on a few threads, yielding results as they finish."""
    if not items:
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(function, item) for item in items]
        try:
            for future in concurrent.futures.as_completed(futures):
                yield future.result()
        except BaseException:
            # Ctrl-C: tell the threads' child processes to stop, so the pool can wind down.
            interrupt.STOP.set()
            for future in futures:
                future.cancel()
            raise
