"""`doctor --fix`: set the host up (Debian packages, binfmt handlers, a running dockerd),
idempotently: what is in place is left alone. The checks are harness.doctor's."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from harness.doctor import BINFMT_DIR, read_binfmt
from harness.errors import EngineUnavailable
from harness.util.engine import Engine
from harness.vocab.arch import Arch, host_machine

DOCKER_SOCKET = Path("/var/run/docker.sock")
DOCKERD_LOG = Path("/var/log/dockerd.log")


def packages_to_install(
    arches: Sequence[Arch], machine: str, have: set[str], local_profile: bool = True
) -> list[str]:
    """Debian packages --fix installs (pure: `have` is what the host already has)."""
    wanted = []
    if "dockerd" not in have or "docker" not in have:
        wanted.append("docker.io")
    if any(not a.is_native_on(machine) for a in arches):
        if "qemu-user-static" not in have:
            wanted.append("qemu-user-static")
        if "update-binfmts" not in have:
            wanted.append("binfmt-support")
    if local_profile and "mmdebstrap" not in have:
        wanted.append("mmdebstrap")
    # mmdebstrap bootstraps a foreign architecture only with arch-test (a Recommends of it)
    foreign = any(not a.is_native_on(machine) for a in arches)
    if local_profile and foreign and "arch-test" not in have:
        wanted.append("arch-test")
    return wanted


def _have() -> set[str]:
    tools = ("dockerd", "docker", "mmdebstrap", "update-binfmts", "arch-test")
    have = {tool for tool in tools if shutil.which(tool)}
    if any(Path("/usr/bin").glob("qemu-*-static")) or any(
        Path("/usr/libexec/qemu-binfmt").glob("*")
    ):
        have.add("qemu-user-static")
    return have


def _run(command: list[str], say) -> None:
    say("$ " + " ".join(command))
    subprocess.run(command, check=True, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def fix(arches: Sequence[Arch], say, *, local_profile: bool = True) -> None:
    """Install and start what is missing; leave what is there alone."""
    if os.geteuid() != 0:
        say("doctor --fix needs root (it installs packages and starts dockerd); run it with sudo")
        raise SystemExit(2)
    machine = host_machine()
    missing = packages_to_install(arches, machine, _have(), local_profile)
    if missing:
        if not shutil.which("apt-get"):
            say(
                f"cannot install {', '.join(missing)}: this host has no apt-get; install them by hand"
            )
            raise SystemExit(2)
        _run(["apt-get", "update", "-qq"], say)
        _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], say)
    else:
        say("packages: all present")
    if any(not a.is_native_on(machine) for a in arches):
        if not (BINFMT_DIR / "status").exists():
            _run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT_DIR)], say)
        handlers = [read_binfmt(a) for a in arches if not a.is_native_on(machine)]
        if any(h is None or not h.usable_in_containers for h in handlers) and shutil.which(
            "update-binfmts"
        ):
            _run(["update-binfmts", "--enable"], say)
        else:
            say("binfmt: handlers present")
    start_engine(say)


def start_engine(say, timeout: float = 90.0) -> None:
    try:
        Engine.connect().close()
        say("docker engine: already running")
        return
    except EngineUnavailable:
        pass
    if Path("/run/systemd/system").is_dir() and shutil.which("systemctl"):
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
    raise SystemExit(3)
