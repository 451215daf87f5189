"""What a run's preparation produced (images, wheels, their inspections, the installer axis),
typed, as the controller shares it with pytest's workers through the results directory; and
whether anything can run at all."""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from harness.build.wheels import BuildOutcome
from harness.catalog.image_spec import ImageSpec
from harness.images.provider import ResolvedImage
from harness.runner.supply import InstallerSupply
from harness.util import interrupt

STOPPED = "stopped"  # why a run stopped before probing (state file)
_NOT_PREPARED = "not prepared"


@dataclass(frozen=True)
class PreparedImage:
    """A catalogued image as the preparation left it: made (with a build image's measured
    toolchain), or not, with what results.json records of the failure."""

    key: str
    resolved: ResolvedImage | None = None
    failure: Mapping[str, Any] = field(default_factory=dict)  # provider.failure_record
    facts: Mapping[str, str] | None = None  # a build image's toolchain ({"error": ...})

    @property
    def error(self) -> str | None:
        if self.resolved is not None:
            return None
        return str(self.failure.get("error") or _NOT_PREPARED)

    @property
    def reference(self) -> str:
        return self.resolved.reference if self.resolved else str(self.failure.get("reference", ""))

    def to_json(self) -> dict[str, Any]:
        if self.resolved is None:
            return dict(self.failure) or {"error": _NOT_PREPARED}
        data = dataclasses.asdict(self.resolved)
        if self.facts is not None:
            data["facts"] = dict(self.facts)
        return data

    @classmethod
    def from_json(cls, key: str, data: Mapping[str, Any]) -> PreparedImage:
        if "error" in data:
            return cls(key, failure=dict(data))
        names = {f.name for f in dataclasses.fields(ResolvedImage)}
        resolved = ResolvedImage(**{k: v for k, v in data.items() if k in names})
        facts = data.get("facts")
        return cls(key, resolved, facts=dict(facts) if isinstance(facts, Mapping) else None)


def outcome_json(outcome: BuildOutcome) -> dict[str, Any]:
    data = dataclasses.asdict(outcome)
    data["wheels"] = [str(w) for w in outcome.wheels]
    data["log"] = str(outcome.log) if outcome.log else None
    return data


def outcome_from_json(data: Mapping[str, Any]) -> BuildOutcome:
    log = data.get("log")
    return BuildOutcome(
        request_key=str(data.get("request_key", "")),
        status=str(data.get("status", "")),
        wheels=tuple(Path(w) for w in data.get("wheels") or ()),
        log=Path(log) if log else None,
        seconds=float(data.get("seconds") or 0.0),
        cache_key=str(data.get("cache_key", "")),
        error=str(data.get("error") or ""),
    )


@dataclass(frozen=True)
class Prepared:
    """What the preparation phase produced, shared with workers through the results dir."""

    images: Mapping[str, PreparedImage]  # spec key ->
    builds: Mapping[str, BuildOutcome] = field(default_factory=dict)  # build request key ->
    # wheel file name -> its static inspection (harness.analysis), as results.json keeps it
    wheels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    supply: InstallerSupply = field(default_factory=InstallerSupply)

    def image(self, spec: ImageSpec) -> PreparedImage:
        return self.images.get(spec.key) or PreparedImage(spec.key)

    @property
    def wheel_dirs(self) -> tuple[Path, ...]:
        """The directories of the wheels built for this run and of its installers: what a
        probe mounts of the wheel cache."""
        built = {wheel.parent for outcome in self.builds.values() for wheel in outcome.wheels}
        return (*sorted(built), *self.supply.directories)

    def to_json(self) -> dict[str, Any]:
        return {
            "images": {key: image.to_json() for key, image in self.images.items()},
            "builds": {key: outcome_json(outcome) for key, outcome in self.builds.items()},
            "wheels": dict(self.wheels),
            "supply": self.supply.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Prepared:
        return cls(
            images={
                key: PreparedImage.from_json(key, entry)
                for key, entry in (data.get("images") or {}).items()
            },
            builds={
                key: outcome_from_json(entry) for key, entry in (data.get("builds") or {}).items()
            },
            wheels=dict(data.get("wheels") or {}),
            supply=InstallerSupply.from_json(data.get("supply") or {}),
        )


def nothing_to_run(
    groups: Sequence[tuple[str, Sequence[ImageSpec]]], images: Mapping[str, PreparedImage]
) -> str | None:
    """One line naming the image that could not be obtained and why, when every image of a
    group the cells need (their build images, their distro images) failed."""
    for role, specs in groups:
        failed = [s for s in specs if (images.get(s.key) or PreparedImage(s.key)).error]
        if specs and len(failed) == len(specs):
            first = failed[0]
            more = f" (and {len(failed) - 1} more {role}s)" if len(failed) > 1 else ""
            reason = (images.get(first.key) or PreparedImage(first.key)).error or _NOT_PREPARED
            hint = "; check that its registry is reachable, or use --profile local"
            return f"no {role} could be obtained{more}: {reason}" + (
                hint if "cannot pull" in reason else ""
            )
    return None


Item = TypeVar("Item")
Result = TypeVar("Result")


def parallel(
    function: Callable[[Item], Result], items: Sequence[Item], jobs: int
) -> Iterator[Result]:
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
