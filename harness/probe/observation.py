"""What the probe saw in a distro container, as plain data (parsed from the agent's JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Install decisions
ACCEPTED = "accepted"
REFUSED = "refused"  # pip said the wheel does not fit this system
FAILED = "failed"  # pip failed for another reason: the harness could not tell

# Run statuses
PASSED = "passed"
IMPORT_FAILED = "import-failed"
CHECK_FAILED = "check-failed"
CRASHED = "crashed"
TIMEOUT = "timeout"
RUN_ERROR = "error"  # the runner itself failed (not the sample)


@dataclass(frozen=True)
class InstalledDist:
    """A distribution an install put into the cell's venv, from its dist-info's WHEEL file:
    which of several wheels offered for one version the installer took."""

    name: str  # as its dist-info directory spells it ("mh_c_plain")
    version: str
    tags: tuple[str, ...]  # "cp39-abi3-manylinux_2_31_x86_64", ...
    build: str = ""  # the build tag, "" for none

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InstalledDist:
        return cls(
            name=str(data.get("name", "")),
            version=str(data.get("version", "")),
            tags=tuple(str(t) for t in data.get("tags") or ()),
            build=str(data.get("build") or ""),
        )


@dataclass(frozen=True)
class InstallObservation:
    decision: str
    pip_version: str
    exit_code: int
    reason: str  # pip's own words, one line
    output: str  # tail of pip's output
    seconds: float
    # How pip ran: "forked" (a child of a process that had imported that pip, on the same
    # interpreter) or "process" (`python -m pip` started afresh); and whether this cell reused
    # the install of another cell with the same wheel set and pip (its seconds are then 0).
    driver: str = "process"
    shared: bool = False
    installed: tuple[InstalledDist, ...] = ()  # what an accepted install put into the venv

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InstallObservation:
        return cls(
            decision=str(data["decision"]),
            pip_version=str(data.get("pip_version", "")),
            exit_code=int(data.get("exit_code", -1)),
            reason=str(data.get("reason", "")),
            output=str(data.get("output", "")),
            seconds=float(data.get("seconds", 0.0)),
            driver=str(data.get("driver", "process")),
            shared=bool(data.get("shared", False)),
            installed=tuple(InstalledDist.from_json(d) for d in data.get("installed") or ()),
        )


@dataclass(frozen=True)
class RunObservation:
    """Import and check in a fresh process."""

    status: str
    exit_code: int | None
    signal: str | None  # e.g. "SIGSEGV" when the process was killed by a signal
    stage: str  # the last stage the process reached, e.g. "import c_plain", "check c_plain"
    output: str
    seconds: float
    tunables: str = ""  # GLIBC_TUNABLES it ran with, when the probe set any

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> RunObservation | None:
        if data is None:
            return None
        return cls(
            status=str(data["status"]),
            exit_code=None if data.get("exit_code") is None else int(data["exit_code"]),
            signal=data.get("signal"),
            stage=str(data.get("stage", "")),
            output=str(data.get("output", "")),
            seconds=float(data.get("seconds", 0.0)),
            tunables=str(data.get("tunables", "")),
        )


@dataclass(frozen=True)
class Observation:
    install: InstallObservation | None
    load: RunObservation | None = None  # after an accepted install
    forced: RunObservation | None = None  # after a refusal: unpacked and imported anyway
    error: str | None = None  # the harness could not observe (container, agent, timeout)
    seconds: float = 0.0
    # After the loader refused an object that requires an executable stack: the same import
    # and check with GLIBC_TUNABLES=glibc.rtld.execstack=2. Passing, it shows the stack was
    # the only cause.
    execstack_retry: RunObservation | None = None

    @classmethod
    def failure(cls, message: str, seconds: float = 0.0) -> Observation:
        return cls(install=None, error=message, seconds=seconds)

    def timings(self) -> dict[str, float]:
        """Seconds per step that ran, and in all."""
        found = {"total": round(self.seconds, 2)}
        steps = (
            ("install", self.install),
            ("load", self.load),
            ("forced", self.forced),
            ("execstack_retry", self.execstack_retry),
        )
        for name, step in steps:
            if step is not None:
                found[name] = round(step.seconds, 2)
        return found

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Observation:
        install = data.get("install")
        return cls(
            install=InstallObservation.from_json(install) if install else None,
            load=RunObservation.from_json(data.get("load")),
            forced=RunObservation.from_json(data.get("forced")),
            error=data.get("error"),
            execstack_retry=RunObservation.from_json(data.get("execstack_retry")),
            seconds=float(data.get("seconds", 0.0)),
        )
