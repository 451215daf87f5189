"""Who owns what the harness creates: the labels on containers and images, and the owner
and run tokens that let a later run tell a crashed run's leftovers from a live run's work."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

LABEL = "org.manylinux-harness.managed"
LABEL_OWNER = "org.manylinux-harness.owner"
LABEL_ROLE = "org.manylinux-harness.role"
# One id per run, inherited by its worker processes through the environment, so that the
# process that started the run can sweep everything the run created however it ended
# (xdist may tear a worker down before its fixtures are).
LABEL_RUN = "org.manylinux-harness.run"
RUN_ENV = "MANYLINUX_HARNESS_RUN"
# Images carry their own label: containers created from them (by us, by cibuildwheel, by a
# user) must not inherit a "managed" label with a stale owner and be reaped by mistake.
IMAGE_LABEL = "org.manylinux-harness.image"


def owner_token(pid: int | None = None) -> str:
    """host:pid:start-time, so that a recycled pid is not mistaken for the owner."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_process_start_time(pid)}"


def _process_start_time(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # Field 22 (starttime), counted after the parenthesised command name.
    return stat.rsplit(")", 1)[1].split()[19]


def owner_is_alive(token: str) -> bool:
    """Whether the process that created a labelled object is still running on this host.

    Objects owned by another host are assumed alive: we cannot tell, so we leave them be.
    """
    try:
        host, pid_text, start = token.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True
    return _process_start_time(pid) == start and start != ""


def run_id() -> str:
    if not os.environ.get(RUN_ENV):
        start_run()
    return os.environ[RUN_ENV]


def start_run() -> str:
    """A fresh run id for this process and the processes it starts from now on."""
    os.environ[RUN_ENV] = uuid.uuid4().hex[:12]
    return os.environ[RUN_ENV]


def harness_labels(role: str) -> dict[str, str]:
    return {LABEL: "1", LABEL_OWNER: owner_token(), LABEL_ROLE: role, LABEL_RUN: run_id()}
