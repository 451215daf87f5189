"""The sample corpus: standalone projects under sample_projects/, each described by sample.toml.

A sample names what the probe imports, the check it runs (a script that verifies results,
not only that import works), the build flavours cibuildwheel makes of it, and the verdicts
the harness must reproduce for it, as data next to the code.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.cache import tree_hash
from harness.errors import UsageError
from harness.verdict import Verdict

SAMPLE_FILE = "sample.toml"
KINDS = ("sample", "control")
_RULE_CONDITIONS = (
    "flavour",
    "arch",
    "distro",
    "build_policy",
    "build_glibc",
    "distro_glibc",
    "distro_lacks",
)


@dataclass(frozen=True)
class Flavour:
    """One way of building a sample (toolchain flags, repair command)."""

    name: str
    environment: Mapping[str, str] = field(default_factory=dict)  # CIBW_ENVIRONMENT_LINUX
    repair: str | None = None  # CIBW_REPAIR_WHEEL_COMMAND_LINUX, None: cibuildwheel's default
    build_policies: tuple[str, ...] = ()  # only these build images (empty: all)
    description: str = ""

    def config(self) -> dict[str, Any]:
        """What enters the wheel cache key."""
        return {"environment": dict(self.environment), "repair": self.repair}


@dataclass(frozen=True)
class ExpectRule:
    """`verdict` applies to cells matching every condition given (first matching rule wins)."""

    verdict: Verdict
    conditions: Mapping[str, Any]
    reason: str = ""


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    kind: str
    description: str
    imports: tuple[str, ...]
    check: str  # path of the check script, relative to the project
    flavours: tuple[Flavour, ...]
    expect: tuple[ExpectRule, ...]

    @property
    def check_path(self) -> Path:
        return self.path / self.check

    @functools.cached_property
    def tree_hash(self) -> str:
        return tree_hash(self.path)

    def flavour(self, name: str) -> Flavour:
        for flavour in self.flavours:
            if flavour.name == name:
                return flavour
        raise UsageError(f"sample {self.name} has no flavour {name!r}")


def _rule(data: Mapping[str, Any], where: str) -> ExpectRule:
    unknown = sorted(set(data) - {"verdict", "reason", *_RULE_CONDITIONS})
    if unknown:
        raise UsageError(
            f"{where}: unknown expect condition {unknown[0]!r}; use {', '.join(_RULE_CONDITIONS)}"
        )
    try:
        verdict = Verdict(data["verdict"])
    except (KeyError, ValueError):
        raise UsageError(
            f"{where}: expect rule needs verdict = one of {', '.join(v.value for v in Verdict)}"
        ) from None
    conditions = {k: v for k, v in data.items() if k in _RULE_CONDITIONS}
    return ExpectRule(verdict=verdict, conditions=conditions, reason=str(data.get("reason", "")))


def load_sample(project: Path) -> Sample:
    meta_path = project / SAMPLE_FILE
    try:
        data = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{project} has no {SAMPLE_FILE}: add one (see sample_projects/c_plain)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{meta_path} is not valid TOML ({exc}): fix it") from None
    where = str(meta_path)
    kind = data.get("kind", "sample")
    if kind not in KINDS:
        raise UsageError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    flavours = tuple(
        Flavour(
            name=str(row["name"]),
            environment={str(k): str(v) for k, v in row.get("environment", {}).items()},
            repair=row.get("repair"),
            build_policies=tuple(row.get("build_policies", ())),
            description=str(row.get("description", "")),
        )
        for row in data.get("flavour", [{"name": "default"}])
    )
    sample = Sample(
        name=str(data.get("name", project.name)),
        path=project,
        kind=kind,
        description=str(data.get("description", "")),
        imports=tuple(data.get("imports", [project.name])),
        check=str(data.get("check", "check.py")),
        flavours=flavours,
        expect=tuple(_rule(row, where) for row in data.get("expect", ())),
    )
    if not sample.check_path.is_file():
        raise UsageError(f"{where}: check script {sample.check} does not exist: add it")
    return sample


def default_samples_dir() -> Path:
    configured = os.environ.get("MANYLINUX_HARNESS_SAMPLES")
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parent.parent / "sample_projects"
    if checkout.is_dir():
        return checkout
    return Path.cwd() / "sample_projects"


def discover(samples_dir: Path, names: Iterable[str] | None = None) -> list[Sample]:
    if not samples_dir.is_dir():
        raise UsageError(
            f"sample directory {samples_dir} does not exist: pass --samples-dir or run from a checkout"
        )
    projects = sorted(p.parent for p in samples_dir.glob(f"*/{SAMPLE_FILE}"))
    found = [load_sample(p) for p in projects]
    if names:
        wanted = list(names)
        known = {s.name for s in found}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise UsageError(
                f"unknown sample {unknown[0]!r}: choose from {', '.join(sorted(known))}"
            )
        found = [s for s in found if s.name in wanted]
    return found
