"""`doctor --fix`: set the host up (Debian packages, binfmt handlers, a running dockerd),
idempotently. What the host has is surveyed first (`survey`, without root); `plan` decides
from that survey alone what is missing; only then, and only if something is, root is needed.
A ready host is left as it is, by any user that can reach its engine.

The decisions, in order:
- an engine that already answers (local socket or DOCKER_HOST, remote included) is used: no
  engine package is installed and no dockerd started; the docker CLI is still needed
  (cibuildwheel drives it), from the distro's CLI-only package where it has one;
- an arch whose programs an enabled binfmt handler with the F flag runs is served, however
  the handler was registered (harness.binfmt): qemu is installed only for arches none serves;
- the CPU axis runs under the host's own qemu-x86_64-static: needed only with --cpu models;
- mmdebstrap (and arch-test for foreign arches) only for the local profile."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.binfmt import BINFMT_DIR, BinfmtTree, scan
from harness.errors import EngineUnavailable, ExitCode
from harness.judge.cpu import EMULATOR as CPU_EMULATOR
from harness.util.engine import Engine
from harness.vocab.arch import Arch, host_machine

DEFAULT_ENGINE_URL = "unix:///var/run/docker.sock"
DOCKERD_LOG = Path("/var/log/dockerd.log")
TOOLS = ("docker", "dockerd", "mmdebstrap", "update-binfmts", "arch-test")

Say = Callable[[str], object]


@dataclass(frozen=True)
class EngineState:
    url: str
    answers: bool
    detail: str = ""  # why it does not answer
    # a local socket is there that this user may not open (a second daemon would not help);
    # a socket no daemon listens on (left by one that died with the machine) is not "denied"
    socket_denied: bool = False

    @property
    def local(self) -> bool:
        return self.url.startswith("unix://")


@dataclass(frozen=True)
class HostSurvey:
    """Everything --fix decides from, gathered without root."""

    machine: str
    root: bool
    tools: frozenset[str]  # of TOOLS, those on PATH
    engine: EngineState
    binfmt: BinfmtTree
    qemu_installed: bool  # Debian's qemu-user-static (its binaries and binfmt files)
    cpu_emulator: bool  # the CPU axis's qemu-x86_64-static is there
    docker_cli_package: str  # the package with the docker CLI (docker-cli, or docker.io)
    systemd: bool


@dataclass(frozen=True)
class Step:
    why: str
    command: tuple[str, ...]  # START_ENGINE: start dockerd (systemd or detached)


START_ENGINE = ("<start dockerd>",)


def _foreign_unserved(arches: Sequence[Arch], survey: HostSurvey) -> list[Arch]:
    return [a for a in arches if not a.is_native_on(survey.machine) and not survey.binfmt.serves(a)]


def plan(
    arches: Sequence[Arch],
    survey: HostSurvey,
    *,
    local_profile: bool = True,
    cpu_axis: bool = False,
) -> list[Step]:
    """What --fix must do on the surveyed host, in order; [] when it is ready. Pure."""
    steps: list[Step] = []
    packages: list[str] = []
    have = survey.tools
    engine = survey.engine
    start_engine = not engine.answers and engine.local and not engine.socket_denied
    if start_engine and "dockerd" not in have:
        packages.append("docker.io")  # the engine, with its CLI
    elif "docker" not in have:
        packages.append(survey.docker_cli_package)
    unserved = _foreign_unserved(arches, survey)
    cpu_emulator_missing = cpu_axis and not survey.cpu_emulator
    if (unserved and not survey.qemu_installed) or cpu_emulator_missing:
        packages.append("qemu-user-static")
    if unserved and "update-binfmts" not in have:
        packages.append("binfmt-support")
    if local_profile and "mmdebstrap" not in have:
        packages.append("mmdebstrap")
    # mmdebstrap bootstraps a foreign architecture only with arch-test (a Recommends of it)
    foreign = any(not a.is_native_on(survey.machine) for a in arches)
    if local_profile and foreign and "arch-test" not in have:
        packages.append("arch-test")
    # Mounted first: qemu-user-static's installation registers its handlers where it can.
    if unserved and not survey.binfmt.mounted:
        steps.append(
            Step(
                "binfmt_misc is not mounted",
                ("mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)),
            )
        )
    if packages:
        steps.append(Step("update the package lists", ("apt-get", "update", "-qq")))
        steps.append(
            Step(
                f"missing: {', '.join(packages)}",
                ("apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages),
            )
        )
    if unserved:
        names = ", ".join(a.name for a in unserved)
        steps.append(
            Step(f"no binfmt handler with the F flag runs {names}", ("update-binfmts", "--enable"))
        )
    if start_engine:
        steps.append(Step(f"no Docker engine answers at {engine.url}", START_ENGINE))
    return steps


# -- the survey and the steps (effects) --------------------------------------------------------


def socket_denied(path: Path) -> bool:
    """True when a daemon may be listening on `path` but this user cannot tell or reach it;
    False when nothing is there or nothing listens (ECONNREFUSED: the socket file of a dead
    daemon, which dockerd replaces when it starts)."""
    if not path.exists():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(5)
        try:
            probe.connect(str(path))
        except (ConnectionRefusedError, FileNotFoundError):
            return False
        except OSError:
            return True
    return True  # something listens but does not speak Docker's API to us


def survey_engine() -> EngineState:
    url = os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE_URL
    try:
        Engine.connect(url).close()
    except EngineUnavailable as exc:
        local = url.startswith("unix://")
        denied = local and socket_denied(Path(url.removeprefix("unix://")))
        return EngineState(url, False, str(exc), denied)
    return EngineState(url, True)


def _cli_package() -> str:
    """The package with the docker CLI alone where the distro has one (docker-cli); else
    docker.io, engine included (Debian 12), which is then installed but not started here."""
    if shutil.which("apt-cache") is None:
        return "docker.io"
    found = subprocess.run(
        ["apt-cache", "show", "docker-cli"], capture_output=True, text=True, check=False
    )
    return "docker-cli" if found.returncode == 0 and found.stdout.strip() else "docker.io"


def survey(binfmt_root: Path = BINFMT_DIR) -> HostSurvey:
    tools = frozenset(tool for tool in TOOLS if shutil.which(tool))
    engine = survey_engine()
    return HostSurvey(
        machine=host_machine(),
        root=os.geteuid() == 0,
        tools=tools,
        engine=engine,
        binfmt=scan(binfmt_root),
        qemu_installed=any(Path("/usr/bin").glob("qemu-*-static"))
        or any(Path("/usr/libexec/qemu-binfmt").glob("*")),
        cpu_emulator=CPU_EMULATOR.is_file(),
        docker_cli_package=_cli_package() if "docker" not in tools else "docker.io",
        systemd=Path("/run/systemd/system").is_dir() and shutil.which("systemctl") is not None,
    )


def _run(command: Sequence[str], say: Say) -> None:
    say("$ " + " ".join(command))
    subprocess.run(
        list(command), check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    )


def fix(
    arches: Sequence[Arch],
    say: Say,
    *,
    local_profile: bool = True,
    cpu_axis: bool = False,
    binfmt_root: Path = BINFMT_DIR,
) -> ExitCode:
    """Do what the plan says is missing; nothing (and without root) on a ready host.
    Returns HELD when done, BROKEN when something is missing and this user cannot fix it."""
    found = survey(binfmt_root)
    steps = plan(arches, found, local_profile=local_profile, cpu_axis=cpu_axis)
    if not steps:
        if found.engine.answers:
            say("doctor --fix: nothing to do, the host has what this selection needs")
        else:
            say(
                f"doctor --fix: nothing to install or start; the Docker engine at "
                f"{found.engine.url} does not answer this user (see below)"
            )
        return ExitCode.HELD
    if not found.root:
        for step in steps:
            if step.command != START_ENGINE and step.command[:2] != ("apt-get", "update"):
                say(f"needed: {step.why} ({' '.join(step.command)})")
            elif step.command == START_ENGINE:
                say(f"needed: {step.why} (start dockerd)")
        say(
            "doctor --fix: these steps need root (packages, binfmt, dockerd): run it as root, "
            'e.g. sudo env PATH="$PATH" manylinux-harness doctor --fix ...'
        )
        return ExitCode.BROKEN
    if any(s.command[0] == "apt-get" for s in steps) and shutil.which("apt-get") is None:
        wanted = next(s.why for s in steps if s.command[:2] == ("apt-get", "install"))
        say(f"doctor --fix: this host has no apt-get ({wanted}): install them by hand")
        return ExitCode.BROKEN
    for step in steps:
        if step.command == START_ENGINE:
            start_engine(say, systemd=found.systemd)
        elif step.command[0] == "update-binfmts" and shutil.which("update-binfmts") is None:
            say("binfmt: update-binfmts is not installed, handlers left as they are")
        else:
            _run(step.command, say)
    return ExitCode.HELD


def start_engine(say: Say, *, systemd: bool, timeout: float = 90.0) -> None:
    if systemd:
        _run(["systemctl", "start", "docker"], say)
    else:
        say(f"$ dockerd (detached, log: {DOCKERD_LOG})")
        DOCKERD_LOG.parent.mkdir(parents=True, exist_ok=True)
        with open(DOCKERD_LOG, "ab") as log:
            subprocess.Popen(
                ["dockerd"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                close_fds=True,
            )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            Engine.connect().close()
            say("docker engine: started")
            return
        except EngineUnavailable:
            time.sleep(1)
    say(f"dockerd did not come up within {int(timeout)} s: see {DOCKERD_LOG}")
    raise SystemExit(ExitCode.NOT_TOLD)
