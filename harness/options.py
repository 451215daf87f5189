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
from harness.settings import (
    DEFAULT_EMULATION_FACTOR,
    DEFAULT_RUN_TIMEOUT,
    memory_size,
    positive_integer,
    positive_number,
    positive_seconds,
    process_count,
)
from harness.util.wheel_zip import DEFAULT_MAX_RATIO, DEFAULT_MAX_UNPACKED_MIB, RATIO_FLOOR


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


def _table(*declared: Option) -> Mapping[str, Option]:
    """The options by name; an option declared twice is a mistake here, never a silent win of
    the later one."""
    table: dict[str, Option] = {}
    for opt in declared:
        if opt.name in table:
            raise ValueError(f"option --{opt.name} is declared twice")
        table[opt.name] = opt
    return table


OPTIONS: Mapping[str, Option] = _table(
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
        f"distro's pip; default: {' '.join(p.release for p in default_pips())})",
        repeatable=True,
    ),
    Option(
        "uv",
        "uv releases of the installer axis, e.g. latest or 0.4 (repeatable; 'all': every "
        "release in installers.toml; 'none': no uv cells; default: "
        f"{' '.join(u.release for u in default_uvs())})",
        repeatable=True,
    ),
    Option(
        "cpu",
        "CPU models the cpu-axis samples' import + check also run on, under qemu-user: "
        "host, x86-64-v1, x86-64-v2 (repeatable; default: host only)",
        repeatable=True,
    ),
    Option(
        "offer",
        "the selection axis: run these samples' offers (several wheels of one version, of "
        "which each installer picks one), as SAMPLE or SAMPLE:OFFER (repeatable; 'none': no "
        "offer cells; default: every offer of the selected samples)",
        repeatable=True,
        metavar="SAMPLE[:OFFER]",
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
        type=positive_integer,
        default=2,
        short="-j",
    ),
    Option(
        "prepare-jobs",
        "images and wheels prepared in parallel",
        type=positive_integer,
        default=2,
    ),
    Option(
        "emulation-factor",
        "timeout multiplier for emulated arches",
        type=positive_number,
        default=DEFAULT_EMULATION_FACTOR,
    ),
    # -- how far an untrusted wheel may unpack on the host (harness.util.wheel_zip) -----------
    Option(
        "max-unpacked-mib",
        "a wheel whose members declare more than this many MiB unpacked is never unpacked on "
        f"the host: its cells are errors (default {DEFAULT_MAX_UNPACKED_MIB})",
        type=positive_number,
        default=DEFAULT_MAX_UNPACKED_MIB,
        metavar="MIB",
    ),
    Option(
        "max-compression-ratio",
        f"nor one that unpacks to more than {RATIO_FLOOR >> 20} MiB and to more than this many "
        f"times its compressed size (default {DEFAULT_MAX_RATIO:g})",
        type=positive_number,
        default=DEFAULT_MAX_RATIO,
        metavar="RATIO",
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
        "container-memory",
        "memory a probe or build container may use, Docker's units (default 8g): it runs a "
        "wheel's code",
        type=memory_size,
        metavar="SIZE",
    ),
    Option(
        "container-pids",
        "processes a probe or build container may run at once (default 4096)",
        type=process_count,
        metavar="N",
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
        "static",
        "no container: auditwheel's analysis of each wheel and the loader findings "
        "(executable stack, initial-exec TLS, grafted libraries beyond the claim), with the "
        "distros where each would break; with --download or --requirements, the newest "
        "release and the newest of older series of each project, every Linux arch",
        switch=True,
    ),
    Option(
        "requirements",
        "a requirements file (one project a line, e.g. numpy or numpy<2) whose projects' "
        "published wheels --static scans",
        type=Path,
        metavar="FILE",
    ),
    Option(
        "pick",
        "the selection axis: also give each installer every wheel given for one release "
        "(several Pythons, policies or builds of one version, as an index offers them) and "
        "the project's name, one cell per release, distro and installer: which wheel it "
        "picks, whether tag priority predicted it, whether it works",
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
    Option(
        "format",
        "output format (json: described by harness/resources/explain.schema.json; html: "
        "one self-contained page with the timeline chart)",
        choices=("text", "markdown", "json", "html"),
        default="text",
    ),
    Option(
        "threshold",
        "a share of downloads (percent, e.g. 95) whose crossing date explain gives besides "
        "90, 95 and 99",
        type=float,
        metavar="PERCENT",
    ),
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

# How far a wheel may unpack on the host: every command that reads wheels takes them.
LIMITS = ("max-unpacked-mib", "max-compression-ratio")
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
    "offer",
    "candidate-image",
    "engine",
    "registry-mirror",
    "catalog",
    "results-dir",
    "cache-dir",
    "samples-dir",
    "prepare-jobs",
    "emulation-factor",
    "container-memory",
    "container-pids",
    "baseline",
    *LIMITS,
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
