"""The probe: one long-lived container per distro, in which wheels are installed and run.

The container has no network. Wheels come from the wheel cache, mounted read-only (or copied
in, on a remote engine); the agent script, the pinned libraries it imports there (packaging,
for the interpreter's supported tags: resources/probe-requirements.txt, never the host's) and
the samples' checks are copied in once.
"""

from __future__ import annotations

import functools
import json
import posixpath
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.catalog.model import Distro
from harness.errors import ContainerError, ExecTimeout, HarnessError
from harness.probe import deps as probe_deps
from harness.probe import diagnostics
from harness.probe import observation as obs
from harness.probe.facts import DistroFacts
from harness.settings import DEFAULT_RUN_TIMEOUT, Settings
from harness.util.cache import Cache
from harness.util.container import Container, Mount
from harness.util.engine import Engine
from harness.vocab.installer import DISTRO_PIP, Installer

AGENT_DIR = "/opt/manylinux-harness"
AGENT = f"{AGENT_DIR}/agent.py"
LIBDIR = f"{AGENT_DIR}/lib"
CHECKS_DIR = f"{AGENT_DIR}/checks"
TEMPLATE = f"{AGENT_DIR}/venv-template"
WHEELHOUSE = "/wheelhouse"
EMULATOR = "/opt/manylinux-harness-cpu/qemu"  # the host's qemu-user, mounted read-only
# The agent and its pip server, copied side by side (the agent imports the server's module).
AGENT_SOURCES = tuple(
    Path(__file__).with_name(name)
    for name in ("agent.py", "agent_facts.py", "pip_server.py", "cell_users.py")
)
_MARKER = "@@MANYLINUX-HARNESS@@"
# Tells the agent it runs in a probe container, where it may change users (cell_users).
PROBE_ENV = {"MANYLINUX_HARNESS_PROBE": "1"}

INSTALL_TIMEOUT = 180.0
RUN_TIMEOUT = DEFAULT_RUN_TIMEOUT  # the default; a run's own is settings.run_timeout


@dataclass(frozen=True)
class ProbeRequest:
    """One cell's work: install these wheels together, import, run the checks."""

    cell_id: str
    wheels: tuple[Path, ...]  # host paths inside the wheel root
    imports: tuple[str, ...]
    checks: tuple[
        tuple[str, Path, tuple[str, ...]], ...
    ]  # (label, host path of the script, its args)
    dlopen: str = "default"  # or "global": RTLD_GLOBAL, as some frameworks set it
    find_links: tuple[Path, ...] = field(default=())
    installer: Installer = DISTRO_PIP  # or a pip of the pip-version axis
    pips_dir: Path | None = None  # host directory of pip wheels (inside the wheel root)
    # "forked": pip runs in a child of a process that has imported it (the agent's pip
    # server); "process": `python -m pip` afresh per install (what the benchmark compares).
    pip_driver: str = "forked"
    uv: Path | None = None  # a uv binary (inside the wheel root): uv installs, not pip
    cpu_model: str = ""  # a qemu CPU model the import + check runs on ("": the host's CPU)
    # Installed with the wheels in the same run: "[test]" after each wheel, and requirements
    # resolved from find_links (a project's test extras and test requirements).
    extras: str = ""
    requirements: tuple[str, ...] = ()
    # Host directories copied into the container once (never mounted), readable by every
    # cell's user: (host directory, container directory), e.g. a project for its tests.
    trees: tuple[tuple[Path, str], ...] = ()
    # Checks (by label) that run only after an accepted install, never in a forced load.
    installed_only: tuple[str, ...] = ()


def parse_agent_output(text: str, stderr: str = "", exit_code: int = 0) -> dict[str, Any]:
    """The agent's result line. An agent that died before it (a traceback, a signal) is the
    harness's trouble: its last words, from stderr first, are the diagnosis."""
    for line in reversed(text.splitlines()):
        if line.startswith(_MARKER):
            return json.loads(line[len(_MARKER) :])
    words = stderr.strip().splitlines() or text.strip().splitlines() or ["no output"]
    died = f" (exit {exit_code})" if exit_code else ""
    raise HarnessError(f"the probe agent crashed{died}: {words[-1].strip()[:240]}")


def classify(raw: dict[str, Any]) -> obs.Observation:
    """The agent's raw result as an Observation (pip's decision read from pip's words)."""
    if raw.get("installer_error"):
        # That pip cannot be used here: the cell is not told, whatever the wheel claims.
        return obs.Observation.failure(str(raw["installer_error"]), raw.get("seconds", 0.0))
    if raw.get("agent_error"):
        # The agent could not establish what pip did: the harness cannot tell.
        return obs.Observation.failure(str(raw["agent_error"]), raw.get("seconds", 0.0))
    install = raw["install"]
    output = install["output"]
    if install["timed_out"]:
        return obs.Observation.failure(
            f"pip install did not finish within {install['seconds']:.0f} s", raw.get("seconds", 0.0)
        )
    if install["exit_code"] == 0:
        decision = obs.ACCEPTED
    elif diagnostics.pip_refused(output):
        decision = obs.REFUSED
    else:
        decision = obs.FAILED
    return obs.Observation(
        install=obs.InstallObservation(
            decision=decision,
            pip_version=str(raw.get("pip_version", "")),
            exit_code=int(install["exit_code"]),
            reason=diagnostics.pip_reason(output),
            output=output[-3000:],
            seconds=float(install["seconds"]),
            driver="forked" if install.get("served") else "process",
            shared=bool(install.get("shared")),
        ),
        load=obs.RunObservation.from_json(raw.get("load")),
        forced=obs.RunObservation.from_json(raw.get("forced")),
        seconds=float(raw.get("seconds", 0.0)),
        execstack_retry=obs.RunObservation.from_json(raw.get("execstack_retry")),
    )


class DistroProbe:
    """Owns one distro container for as long as cells run in it."""

    def __init__(
        self,
        engine: Engine,
        distro: Distro,
        image: str,
        wheel_root: Path,
        settings: Settings,
        emulator: Path | None = None,
        wheel_dirs: Sequence[Path] = (),
    ) -> None:
        self.engine = engine
        self.emulator = emulator  # qemu-user for the CPU axis; mounted only when given
        self.distro = distro
        self.image = image
        self.wheel_root = wheel_root
        # The directories of the wheel root this run's cells install from (its wheelhouses,
        # the installer axis's pips and uv): the only ones a cell can see. Empty: the root.
        self.wheel_dirs = tuple(wheel_dirs) or (wheel_root,)
        self.settings = settings
        self.facts: DistroFacts | None = None
        self._stack = ExitStack()
        self._container: Container | None = None
        self._copied: set[str] = set()
        self._mounted = engine.is_local

    def __enter__(self) -> DistroProbe:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> DistroFacts:
        mounts = (
            [Mount(directory, self._wheelhouse_path(directory)) for directory in self._mount_dirs]
            if self._mounted
            else []
        )
        if self.emulator is not None:
            mounts.append(Mount(self.emulator, EMULATOR))
        self.wheel_root.mkdir(parents=True, exist_ok=True)
        self._container = self._stack.enter_context(
            self.engine.container(
                self.image,
                arch=self.distro.arch,
                role="probe",
                name_hint=f"probe-{self.distro.key}",
                mounts=mounts,
                network=False,
                limits=self.settings.limits,
            )
        )
        container = self._container
        for source in AGENT_SOURCES:
            container.copy_into(source, AGENT_DIR, arcname=source.name)
        for shipped in probe_deps.shipped_packages(
            probe_deps.probe_library(Cache(self.settings.cache_dir))
        ):
            container.copy_into(shipped, LIBDIR, arcname=shipped.name)
        result = container.exec(
            ["python3", AGENT, "facts", TEMPLATE, LIBDIR, "isolate"],
            env=PROBE_ENV,
            timeout=self.settings.scaled(600, self.distro.arch),
            step=f"measuring facts in {self.distro.key}",
        )
        if not result.ok:
            # An interpreter too old even to parse the agent cannot report its own version
            # (the agent does that for the rest): name the minimum here.
            hint = (
                f" (the probe needs python3 >= {probe_deps.oldest_python_text()} there: "
                "give the row the portable-python recipe)"
                if "SyntaxError" in result.stderr
                else ""
            )
            raise HarnessError(
                f"the probe agent failed in {self.distro.key} (exit {result.exit_code}): "
                f"{result.tail(3)}{hint}"
            )
        raw = parse_agent_output(result.stdout, result.stderr, result.exit_code)
        problems = raw.pop("problems", [])
        if problems:
            raise HarnessError(f"{self.distro.key} cannot be probed: {'; '.join(problems)}")
        self.facts = DistroFacts.from_json(raw)
        return self.facts

    @property
    def container_id(self) -> str:
        """The running container's id ("" before start and after close)."""
        return self._container.id if self._container is not None else ""

    def close(self) -> None:
        self._stack.close()
        self._container = None

    @functools.cached_property
    def _mount_dirs(self) -> list[Path]:
        """The wheel directories, each once (one inside another is mounted with it)."""
        found: list[Path] = []
        for directory in sorted({d.resolve() for d in self.wheel_dirs}, key=lambda d: len(d.parts)):
            if not any(directory.is_relative_to(kept) for kept in found):
                directory.mkdir(parents=True, exist_ok=True)
                if self._mounted:
                    Cache.share_read_only(directory)
                found.append(directory)
        return found

    def _wheelhouse_path(self, host_path: Path) -> str:
        relative = host_path.resolve().relative_to(self.wheel_root.resolve())
        return posixpath.join(WHEELHOUSE, *relative.parts)

    def _container_path(self, host_path: Path) -> str:
        target = self._wheelhouse_path(host_path)
        if self._mounted and not any(
            host_path.resolve().is_relative_to(d) for d in self._mount_dirs
        ):
            raise HarnessError(
                f"{host_path} is not among the directories mounted into {self.distro.key}'s probe"
            )
        if not self._mounted and target not in self._copied:
            assert self._container is not None
            self._container.copy_into(host_path, posixpath.dirname(target))
            self._copied.add(target)
        return target

    def _check_path(self, host_path: Path) -> str:
        # one directory per sample project
        target = posixpath.join(CHECKS_DIR, host_path.parent.name, host_path.name)
        if target not in self._copied:
            assert self._container is not None
            self._container.copy_into(host_path, posixpath.dirname(target))
            self._copied.add(target)
        return target

    def _copy_tree(self, host_dir: Path, target: str) -> None:
        """A host directory copied to `target` once per container: owned by root, readable
        and never writable by a cell's user."""
        if target in self._copied:
            return
        assert self._container is not None
        parent, name = posixpath.split(target.rstrip("/"))
        self._container.copy_into(host_dir, parent, arcname=name)
        done = self._container.exec(
            ["sh", "-c", 'chown -R 0:0 "$1" && chmod -R a+rX,go-w "$1"', "sh", target],
            timeout=120,
            step=f"sharing {target}",
        )
        if not done.ok:
            raise HarnessError(f"cannot share {target} in {self.distro.key}: {done.tail(2)}")
        self._copied.add(target)

    def probe(self, request: ProbeRequest) -> obs.Observation:
        """Never raises for the cell's own failures; infrastructure trouble becomes an
        Observation with `error` set (the harness could not tell)."""
        started = time.monotonic()
        if self._container is None or self.facts is None:
            return obs.Observation.failure(f"{self.distro.key} container is not running")
        container = self._container
        arch = self.distro.arch
        install_timeout = self.settings.scaled(INSTALL_TIMEOUT, arch)
        run_timeout = self.settings.scaled(self.settings.run_timeout, arch)
        try:
            spec = {
                "workdir": f"/tmp/mh-cells/{request.cell_id}",
                "template": TEMPLATE,
                "wheels": [self._container_path(w) for w in request.wheels],
                "find_links": [self._container_path(d) for d in request.find_links],
                "imports": list(request.imports),
                "checks": [
                    [label, self._check_path(path), list(args)]
                    for label, path, args in request.checks
                ],
                "dlopen": request.dlopen,
                "pip_driver": request.pip_driver,
                "extras": request.extras,
                "requirements": list(request.requirements),
                "installed_only": list(request.installed_only),
                # each install and each import as a user of its own (cell_users)
                "isolate": True,
                "timeouts": {"install": install_timeout, "run": run_timeout},
            }
            for host_dir, target in request.trees:
                self._copy_tree(host_dir, target)
            if request.cpu_model:
                if self.emulator is None:
                    raise HarnessError("the CPU axis needs qemu-user in the probe container")
                spec["cpu"] = {"emulator": EMULATOR, "model": request.cpu_model}
            if request.uv is not None:
                spec["uv"] = self._container_path(request.uv)
            elif not request.installer.is_distro:
                if request.pips_dir is None:
                    raise HarnessError(f"no pip wheels for pip {request.installer}")
                spec["installer"] = request.installer.requirement
                spec["pips_dir"] = self._container_path(request.pips_dir)
            result = container.exec(
                ["python3", AGENT, "cell", json.dumps(spec)],
                env=PROBE_ENV,
                # The agent enforces its own limits per step; this one is the backstop.
                timeout=install_timeout + 2 * run_timeout + 60,
                step=f"cell {request.cell_id}",
            )
            raw = parse_agent_output(result.stdout, result.stderr, result.exit_code)
        except ExecTimeout as exc:
            return obs.Observation.failure(f"{exc.step} hung: {exc}", time.monotonic() - started)
        except (ContainerError, HarnessError, ValueError) as exc:
            return obs.Observation.failure(str(exc), time.monotonic() - started)
        raw.setdefault("pip_version", self.facts.pip_version)
        return classify(raw)
