"""A second Docker engine beside the working one, with its own data root, exec root, pidfile,
socket and bridge, for what needs an engine of its own: a benchmark that removes every image
of an arch to time building them from cold, or a test that restores exported images on an
engine that has never seen them. The working engine and its images are never touched.

Its containers reach the network through a bridge of its own, NATed by rules this module
adds and removes itself: the second daemon runs with --iptables=false, so that it never
rewrites the chains the working engine owns. It needs root, as dockerd does.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from harness.errors import EngineUnavailable

START_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0
# Candidate subnets for the bridge: private, and far from docker0's 172.17.0.0/16.
_SUBNETS = tuple(f"10.213.{n}.0/24" for n in range(40, 60))


@dataclass(frozen=True)
class ScratchEngine:
    """Where a started scratch engine is reached (`url` is what DOCKER_HOST takes)."""

    name: str
    url: str
    data_root: Path
    log: Path


@dataclass(frozen=True)
class _Layout:
    name: str
    data_root: Path
    exec_root: Path
    socket: Path
    pidfile: Path
    log: Path
    bridge: str

    @classmethod
    def of(cls, name: str, data_root: Path | None = None) -> _Layout:
        return cls(
            name=name,
            data_root=data_root or Path("/var/lib") / f"docker-{name}",
            exec_root=Path("/run") / f"docker-{name}",
            socket=Path("/run") / f"docker-{name}.sock",
            pidfile=Path("/run") / f"docker-{name}.pid",
            log=Path("/var/log") / f"docker-{name}.log",
            # Interface names are at most 15 characters.
            bridge=f"mh-{name}"[:15],
        )


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, check=False)


def _used_subnets() -> list[ipaddress.IPv4Network]:
    routes = _run(["ip", "-4", "route", "show"]).stdout
    found = []
    for line in routes.splitlines():
        first = line.split()[0] if line.split() else ""
        with suppress(ValueError):
            network = ipaddress.ip_network(first, strict=False)
            if isinstance(network, ipaddress.IPv4Network):
                found.append(network)
    return found


def _free_subnet() -> ipaddress.IPv4Network:
    used = _used_subnets()
    for text in _SUBNETS:
        candidate = ipaddress.IPv4Network(text)
        if not any(candidate.overlaps(net) for net in used):
            return candidate
    raise EngineUnavailable("no free private /24 for a scratch engine's bridge (10.213.40-59.0)")


def _nat_rules(bridge: str, subnet: ipaddress.IPv4Network) -> list[list[str]]:
    """What the daemon would add with --iptables: masquerade outgoing traffic, forward both
    ways. Each as the arguments after -A/-D (or -I) of its table."""
    return [
        ["-t", "nat", "POSTROUTING", "-s", str(subnet), "!", "-o", bridge, "-j", "MASQUERADE"],
        ["-t", "filter", "FORWARD", "-i", bridge, "-j", "ACCEPT"],
        ["-t", "filter", "FORWARD", "-o", bridge, "-j", "ACCEPT"],
    ]


def _iptables(action: str, rule: list[str]) -> subprocess.CompletedProcess[str]:
    table, chain, rest = rule[:2], rule[2], rule[3:]
    return _run(["iptables", *table, action, chain, *rest])


def _stop_pid(pidfile: Path) -> None:
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    with suppress(ProcessLookupError):
        os.kill(pid, 15)
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            os.kill(pid, 0)  # raises once it is gone
            time.sleep(0.2)
        os.kill(pid, 9)


def _teardown(
    layout: _Layout,
    subnet: ipaddress.IPv4Network | None,
    proc: subprocess.Popen[bytes] | None = None,
) -> None:
    if proc is not None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    else:
        _stop_pid(layout.pidfile)
    if subnet is not None:
        for rule in _nat_rules(layout.bridge, subnet):
            _iptables("-D", rule)
    _run(["ip", "link", "delete", layout.bridge])
    with suppress(OSError):
        layout.socket.unlink()


@contextmanager
def scratch_engine(
    name: str, *, data_root: Path | None = None, fresh: bool = False
) -> Iterator[ScratchEngine]:
    """Start `dockerd` as engine `name` and stop it (and undo its network set-up) when the
    block ends. `fresh` empties its data root first; otherwise what it held last time
    (images, build cache) is still there."""
    if os.geteuid() != 0:
        raise EngineUnavailable("a scratch Docker engine needs root (dockerd does): run as root")
    for tool in ("dockerd", "ip", "iptables"):
        if shutil.which(tool) is None:
            raise EngineUnavailable(f"{tool} is not installed: a scratch engine needs it")
    layout = _Layout.of(name, data_root)
    # A previous run killed outright may have left its daemon or its bridge behind.
    _teardown(layout, None)
    if fresh and layout.data_root.exists():
        shutil.rmtree(layout.data_root)
    subnet = _free_subnet()
    gateway = next(subnet.hosts())
    proc: subprocess.Popen[bytes] | None = None
    try:
        for command in (
            ["ip", "link", "add", "name", layout.bridge, "type", "bridge"],
            ["ip", "addr", "add", f"{gateway}/{subnet.prefixlen}", "dev", layout.bridge],
            ["ip", "link", "set", layout.bridge, "up"],
        ):
            done = _run(command)
            if done.returncode != 0:
                raise EngineUnavailable(
                    f"cannot set up bridge {layout.bridge}: {done.stderr.strip()[:200]}"
                )
        for rule in _nat_rules(layout.bridge, subnet):
            _iptables("-I" if rule[2] == "FORWARD" else "-A", rule)
        layout.exec_root.mkdir(parents=True, exist_ok=True)
        layout.data_root.mkdir(parents=True, exist_ok=True)
        command = [
            "dockerd",
            f"--data-root={layout.data_root}",
            f"--exec-root={layout.exec_root}",
            f"--pidfile={layout.pidfile}",
            f"--host=unix://{layout.socket}",
            f"--bridge={layout.bridge}",
            "--iptables=false",
            "--ip-masq=false",
        ]
        with open(layout.log, "ab") as log:
            proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        url = f"unix://{layout.socket}"
        _wait_until_up(proc, layout, url)
        yield ScratchEngine(name=name, url=url, data_root=layout.data_root, log=layout.log)
    finally:
        _teardown(layout, subnet, proc)


def _wait_until_up(proc: subprocess.Popen[bytes], layout: _Layout, url: str) -> None:
    import docker

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise EngineUnavailable(
                f"dockerd for {layout.name} exited with {proc.returncode} (log: {layout.log})"
            )
        if layout.socket.exists():
            try:
                docker.DockerClient(base_url=url, timeout=5).ping()
                return
            except Exception:  # not answering yet
                pass
        time.sleep(0.3)
    raise EngineUnavailable(
        f"dockerd for {layout.name} did not answer within {START_TIMEOUT:.0f} s (log: {layout.log})"
    )
