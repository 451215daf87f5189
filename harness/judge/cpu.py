"""The CPU axis (data in resources/cpu_models.toml): which CPU models a cell can run on, the
x86-64 level of each, and the level of the host's own CPU, measured from its flags. Pure,
except reading /proc/cpuinfo in host_level()."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError
from harness.resources import load_toml

HOST = "host"  # the engine's own CPU, natively: what every cell ran on before the axis
# Where the probe finds the host's qemu-user binary (mounted read-only).
EMULATOR = Path("/usr/bin/qemu-x86_64-static")


@dataclass(frozen=True)
class CpuModel:
    name: str  # "x86-64-v1"
    arch: str
    qemu_cpu: str  # the model qemu emulates: "qemu64", "Nehalem"
    level: int
    why: str

    @property
    def label(self) -> str:
        return f"{self.name} (qemu {self.qemu_cpu})"


@functools.cache
def _data() -> dict:
    return load_toml("cpu_models.toml")


def models() -> dict[str, CpuModel]:
    return {
        row["name"]: CpuModel(row["name"], row["arch"], row["qemu_cpu"], row["level"], row["why"])
        for row in _data()["model"]
    }


def parse_cpus(values: Iterable[str]) -> tuple[str, ...]:
    """--cpu host,x86-64-v1: the models besides the host (the host always runs)."""
    found: list[str] = []
    known = models()
    for value in values:
        for item in value.replace(",", " ").split():
            if item == HOST:
                continue
            if item not in known:
                raise UsageError(
                    f"--cpu {item!r} is not a CPU model: choose from host, {', '.join(known)}"
                )
            if item not in found:
                found.append(item)
    return tuple(found)


def level_of(flags: Iterable[str]) -> int:
    """The x86-64 level (1-4) these CPU flags reach; 0 when not even the baseline."""
    have = set(flags)
    reached = 0
    for row in sorted(_data()["level"], key=lambda r: r["level"]):
        if not set(row["flags"]) <= have:
            break
        reached = row["level"]
    return reached


def level_name(level: int) -> str:
    return f"x86-64-v{level}" if level else "below x86-64-v1"


def host_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str, ...]:
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("flags"):
                return tuple(line.split(":", 1)[1].split())
    except OSError:
        pass
    return ()


def host_level(machine: str) -> str:
    """The host CPU's level as recorded ("x86-64-v4"), or "" off x86_64."""
    if machine not in ("x86_64", "amd64"):
        return ""
    return level_name(level_of(host_flags()))


def cell_level(cpu: str, host: str) -> int:
    """The x86-64 level a cell ran at: its model's, or the host's measured one."""
    if cpu != HOST:
        return models()[cpu].level
    return int(host.rsplit("v", 1)[1]) if host.startswith("x86-64-v") else 0


def qemu_model(cpu: str) -> str:
    """The qemu CPU model a cell's import + check runs on ("": the host's own CPU)."""
    return "" if cpu == HOST else models()[cpu].qemu_cpu
