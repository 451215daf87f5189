"""Run-wide settings: where things go, which engine serves which arch, how long to wait."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.catalog.registry_mirrors import NO_MIRRORS, Mirrors, parse_mirrors
from harness.errors import UsageError
from harness.util.cache import default_cache_dir
from harness.util.limits import Limits
from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits
from harness.vocab.arch import Arch, emulation_env, host_machine

# Emulated builds and installs run roughly ten times slower (PyTables#1337: 10,977 s).
DEFAULT_EMULATION_FACTOR = 10.0
# How long one import or check step may run before it counts as hung (an endless loop in
# PyInit): long enough for a slow native import, and changeable per run (--timeout).
DEFAULT_RUN_TIMEOUT = 120.0


@dataclass(frozen=True)
class Settings:
    cache_dir: Path = field(default_factory=default_cache_dir)
    engines: Mapping[str, str] = field(default_factory=dict)  # arch name -> engine URL
    emulation_factor: float = DEFAULT_EMULATION_FACTOR
    host: str = field(default_factory=host_machine)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    registry_mirrors: Mirrors = NO_MIRRORS  # --registry-mirror UPSTREAM=HOST[:PORT]/PREFIX
    catalogs: tuple[Path, ...] = ()  # --catalog FILE: user catalogs over the shipped ones
    run_timeout: float = DEFAULT_RUN_TIMEOUT  # seconds, before scaling for emulation
    # how far a wheel may unpack on the host (--max-unpacked-mib, --max-compression-ratio)
    wheel_limits: WheelLimits = DEFAULT_LIMITS
    # what a probe or build container may use (--container-memory, --container-pids)
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_options(
        cls,
        *,
        engines: list[str],
        registry_mirrors: list[str],
        catalogs: list[Path],
        run_timeout: float = DEFAULT_RUN_TIMEOUT,
        environ: Mapping[str, str] | None = None,
        wheel_limits: WheelLimits = DEFAULT_LIMITS,
        container_memory: str | None = None,
        container_pids: int | None = None,
    ) -> Settings:
        """The settings the options (and their MANYLINUX_HARNESS_* variables) name; the
        same for run (through the plugin) and verify."""
        env = os.environ if environ is None else environ
        return cls(
            engines=parse_engine_option(engines, env),
            registry_mirrors=parse_mirrors(registry_mirrors, env),
            catalogs=tuple(Path(path) for path in catalogs),
            run_timeout=run_timeout,
            wheel_limits=wheel_limits,
            limits=Limits(
                memory=container_memory or Limits.memory,
                pids=container_pids or Limits.pids,
            ),
        )

    def engine_url(self, arch: Arch) -> str | None:
        return self.engines.get(arch.name)

    def emulated(self, arch: Arch) -> bool:
        """Whether containers of `arch` run through qemu on the engine that serves them."""
        if self.engine_url(arch):
            # A dedicated engine for an arch is there to run it natively.
            return False
        return not arch.is_native_on(self.host)

    def emulation_env(self, arch: Arch) -> dict[str, str]:
        """What qemu-user reads in a process of `arch`, when it is emulated."""
        return emulation_env(arch, self.host, self.environ) if self.emulated(arch) else {}

    def scaled(self, seconds: float, arch: Arch) -> float:
        return seconds * (self.emulation_factor if self.emulated(arch) else 1.0)


ENGINES_VARIABLE = "MANYLINUX_HARNESS_ENGINES"
# What the docker SDK connects to (docker -H takes the same).
ENGINE_SCHEMES = ("unix", "tcp", "ssh", "http", "https")


def positive_seconds(text: str) -> float:
    """An option's value in seconds, above zero and finite: `inf` would overflow the
    container's `timeout` and every deadline. argparse names the option beside the message."""
    return _positive(text, float, "a number of seconds above zero", "120")


def positive_number(text: str) -> float:
    """A finite number above zero (a factor, a limit)."""
    return _positive(text, float, "a finite number above zero", "10")


def positive_integer(text: str) -> int:
    """A whole number, 1 or more (-j 0 would start no worker and probe nothing)."""
    return _positive(text, int, "a whole number of 1 or more", "2")


def _positive(text: str, kind: type[int] | type[float], wanted: str, example: str) -> Any:
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not {wanted}: write e.g. {example}")
    return value


def parse_engine_option(
    values: list[str], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """`--engine aarch64=ssh://user@host` (repeatable) -> {"aarch64": "ssh://user@host"}.

    MANYLINUX_HARNESS_ENGINES="aarch64=ssh://arm-box ppc64le=tcp://power:2376" (space or
    comma separated) configures the same for every run on a machine; options win over it."""
    from harness.vocab.arch import get_arch

    configured = (environ or {}).get(ENGINES_VARIABLE, "").replace(",", " ").split()
    engines: dict[str, str] = {}
    for value in [*configured, *values]:
        arch_name, sep, url = value.partition("=")
        if not sep or not url:
            raise UsageError(
                f"engine {value!r} (--engine or {ENGINES_VARIABLE}) is not ARCH=URL: "
                "write e.g. aarch64=ssh://user@host"
            )
        scheme, sep, rest = url.partition("://")
        if not sep or scheme not in ENGINE_SCHEMES or not rest.strip("/"):
            raise UsageError(
                f"engine {value!r} (--engine or {ENGINES_VARIABLE}) is not a Docker engine URL: "
                f"write {' or '.join(f'{s}://...' for s in ENGINE_SCHEMES)}, e.g. "
                "aarch64=ssh://user@host"
            )
        engines[get_arch(arch_name).name] = url
    return engines


def memory_size(text: str) -> str:
    """A container memory limit in Docker's units ("512m", "8g"), at least 64m."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    number, unit = text[:-1], text[-1:].lower()
    if unit not in units or not number.isdigit() or int(number) * units[unit] < 64 << 20:
        raise ValueError(text)
    return f"{int(number)}{unit}"


def process_count(text: str) -> int:
    """A container's process limit: at least 64 (the agent, a pip, an import and its
    threads)."""
    value = int(text)
    if value < 64:
        raise ValueError(text)
    return value
