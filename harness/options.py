"""Every option of the command line and of the pytest plugin, declared once, as data.

The CLI's commands (argparse) and the pytest plugin (pytest_addoption) add the options they
take from this table by name; `run` forwards its options to the plugin with `argv`. A command
that needs another default or help for an option specialises the one entry (`option(name,
default=...)`), it never declares it anew. Cheap to import: the CLI builds its parser from it
before any command runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from harness.catalog.profiles import PROFILES
from harness.judge.installers import default_pips
from harness.judge.uv import default_uvs
from harness.settings import DEFAULT_EMULATION_FACTOR, DEFAULT_RUN_TIMEOUT, positive_seconds


@dataclass(frozen=True)
class Option:
    name: str  # the long flag without its dashes; its dest has "_" for "-"
    help: str
    type: Callable[[str], Any] | None = None
    repeatable: bool = False  # given several times, its values form a list
    default: Any = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    short: str | None = None  # e.g. "-j"
    switch: bool = False  # takes no value: present or not
    required: bool = False

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    @property
    def flags(self) -> tuple[str, ...]:
        return (self.short, f"--{self.name}") if self.short else (f"--{self.name}",)

    def arguments(self) -> dict[str, Any]:
        """Keyword arguments for argparse's add_argument (pytest's addoption takes the same)."""
        if self.switch:
            return {"action": "store_true", "help": self.help, "dest": self.dest}
        kwargs: dict[str, Any] = {"help": self.help, "dest": self.dest}
        if self.repeatable:
            kwargs["action"] = "append"
            kwargs["default"] = list(self.default or [])
        else:
            kwargs["default"] = self.default
        for key in ("type", "choices", "metavar"):
            if getattr(self, key) is not None:
                kwargs[key] = getattr(self, key)
        if self.required:
            kwargs["required"] = True
        return kwargs

    def argv(self, value: Any) -> list[str]:
        """This option with `value` as a command line (what `run` hands to pytest)."""
        if self.switch:
            return [f"--{self.name}"] if value else []
        values = (value or []) if self.repeatable else [value]  # None: a caller's own args
        found: list[str] = []
        for item in values:
            if item is None:
                continue
            text = str(item.resolve()) if isinstance(item, Path) else str(item)
            found += [f"--{self.name}", text]
        return found


OPTIONS: Mapping[str, Option] = {
    o.name: o
    for o in (
        # -- what a matrix run selects -------------------------------------------------------
        Option(
            "profile",
            "catalog profile: local (images built from Debian's mirror) or official "
            "(PyPA's images and the distros' own)",
            choices=PROFILES,
            default="local",
        ),
        Option("arch", "architecture (repeatable)", repeatable=True),
        Option(
            "policy",
            "build image policy, e.g. manylinux_2_31 or 2014 (repeatable)",
            repeatable=True,
        ),
        Option("distro", "distro name (repeatable)", repeatable=True),
        Option("sample", "sample name (repeatable)", repeatable=True),
        Option(
            "pip",
            "pip versions of the pip axis, e.g. 19.3 or latest (repeatable; 'none': only the "
            f"distro's pip; default: {' '.join(default_pips())})",
            repeatable=True,
        ),
        Option(
            "uv",
            "uv releases of the installer axis, e.g. latest or 0.4 (repeatable; 'all': every "
            "release in installers.toml; 'none': no uv cells; default: "
            f"{' '.join(u.removeprefix('uv-') for u in default_uvs())})",
            repeatable=True,
        ),
        Option(
            "cpu",
            "CPU models the cpu-axis samples' import + check also run on, under qemu-user: "
            "host, x86-64-v1, x86-64-v2 (repeatable; default: host only)",
            repeatable=True,
        ),
        Option(
            "candidate-image",
            "also run that build image's cells with wheels built in IMAGE (repeatable)",
            repeatable=True,
            metavar="POLICY:ARCH=IMAGE",
        ),
        # -- where and how it runs -----------------------------------------------------------
        Option(
            "engine",
            "run that arch on another Docker engine (repeatable)",
            repeatable=True,
            metavar="ARCH=URL",
        ),
        # -- where images come from ----------------------------------------------------------
        Option(
            "registry-mirror",
            "pull UPSTREAM's images (quay.io, docker.io, ...) from that registry mirror "
            "(repeatable; also MANYLINUX_HARNESS_REGISTRY_MIRRORS); http:// only for loopback",
            repeatable=True,
            metavar="UPSTREAM=HOST[:PORT]/PREFIX",
        ),
        Option(
            "catalog",
            "a catalog TOML whose build images and distros add to or override the shipped "
            "ones (repeatable)",
            type=Path,
            repeatable=True,
            metavar="FILE",
        ),
        Option("results-dir", "where results go", type=Path, default=Path("results")),
        Option("cache-dir", "cache for images' rootfs, wheels, logs", type=Path),
        Option("samples-dir", "directory of sample projects", type=Path),
        Option(
            "jobs",
            "parallel workers for probing (xdist) and for preparation",
            type=int,
            default=2,
            short="-j",
        ),
        Option("prepare-jobs", "images and wheels prepared in parallel", type=int, default=2),
        Option(
            "emulation-factor",
            "timeout multiplier for emulated arches",
            type=float,
            default=DEFAULT_EMULATION_FACTOR,
        ),
        Option(
            "timeout",
            "seconds an import or check step may run before it counts as hung (scaled for "
            f"emulated arches; default {DEFAULT_RUN_TIMEOUT:.0f})",
            type=positive_seconds,
            default=DEFAULT_RUN_TIMEOUT,
            metavar="SECONDS",
        ),
        Option(
            "baseline",
            "results.json (or its directory) of a baseline run: fail if a cell that held "
            "there no longer holds",
            type=Path,
        ),
        # -- other commands' ----------------------------------------------------------------
        Option("fix", "install and start what is missing", switch=True),
        Option(
            "check",
            "shell command run in the venv after the imports, its python first on PATH; "
            "exit 0 means it works",
            metavar="CMD",
        ),
        Option(
            "download",
            "the arguments are requirements (e.g. numpy scipy): fetch, on the host, the newest "
            "Linux wheels of each for every Python and arch of the selected distros, with "
            "their dependencies, into the cache, then verify them offline",
            switch=True,
        ),
        Option(
            "together",
            "also install every project given once into one environment, as one more row: "
            "wheels that each work alone may break in one process",
            switch=True,
        ),
        Option(
            "candidate",
            "results.json (or dir) of the candidate run (default: the baseline file itself, "
            "whose candidate-image cells are then set against its current-image cells)",
            type=Path,
        ),
        Option("markdown", "also write the Markdown here", type=Path),
        Option("output", "directory for the merged run", type=Path, required=True),
        Option(
            "results",
            "results.json or its directory (default: the newest results/*/results.json with "
            "cells for the arch)",
            type=Path,
        ),
        Option("format", "output format", choices=("text", "markdown"), default="text"),
        Option(
            "registry",
            "a registry for the images instead of a directory: pushed there by export, pulled "
            "by import (http:// only for loopback; credentials from `docker login`)",
            metavar="HOST[:PORT]/PREFIX",
        ),
        Option("images", "also remove the harness's images", switch=True),
        Option(
            "all",
            "remove every harness container, also those of runs still going (on a shared "
            "host: other jobs' probes and builds); default: only those whose run is gone",
            switch=True,
        ),
    )
}

# The options of the pytest plugin (the matrix), and those `run` forwards to it.
MATRIX = (
    "profile",
    "arch",
    "policy",
    "distro",
    "sample",
    "pip",
    "uv",
    "cpu",
    "candidate-image",
    "engine",
    "registry-mirror",
    "catalog",
    "results-dir",
    "cache-dir",
    "samples-dir",
    "prepare-jobs",
    "emulation-factor",
    "baseline",
)
# Where images come from: every command that resolves catalog rows takes them.
SOURCES = ("registry-mirror", "catalog")
RUN = (*(name for name in MATRIX if name != "prepare-jobs"), "jobs")


def option(name: str, **changes: Any) -> Option:
    """The table's option, specialised for one command (another default, help, ...)."""
    return dataclasses.replace(OPTIONS[name], **changes) if changes else OPTIONS[name]


class _Adds(Protocol):
    def __call__(self, *flags: str, **kwargs: Any) -> Any: ...


def add_options(add: _Adds, options: Iterable[str | Option]) -> None:
    """Add options, by name or specialised, through an add_argument or addoption."""
    for item in options:
        opt = OPTIONS[item] if isinstance(item, str) else item
        add(*opt.flags, **opt.arguments())


def forward(values: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The command line that passes these options' values (by dest) on."""
    argv: list[str] = []
    for name in names:
        opt = OPTIONS[name]
        argv += opt.argv(values.get(opt.dest))
    return argv
