"""The harness's command line as the integration tests run it: in a process of its own, as
a user does, and what its runs leave behind."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from harness.util.engine import Engine
from harness.util.ownership import LABEL, LABEL_OWNER

REPO = Path(__file__).resolve().parents[2]
# pip's words when the index cannot be reached (a test then skips, naming them)
NETWORK_ERROR = re.compile(
    r"NewConnectionError|Max retries exceeded|Could not fetch URL|Temporary failure in name "
    r"resolution|Network is unreachable|ProxyError|ConnectTimeout|Read timed out|Retrying \("
)


def run_cli(
    *args: str, timeout: float = 3600, env: Mapping[str, str] | None = None, **kwargs
) -> subprocess.CompletedProcess[str]:
    """The real command line, as a user runs it (`env`: variables set on top of ours)."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        **kwargs,
    )


def load_results(results_dir: Path) -> dict:
    return json.loads((results_dir / "results.json").read_text())


def start_cli(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    """The command line started in a session of its own (so that a test can signal the whole
    run as a terminal would), its output in `log`."""
    with open(log, "w") as handle:
        return subprocess.Popen(
            [sys.executable, "-m", "harness", *argv],
            cwd=REPO,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            # A shell's background job (`.ci/run &`, nohup) starts with SIGINT ignored, and a
            # Python started so never installs its KeyboardInterrupt handler: give the run
            # the terminal's default, as a user's Ctrl-C finds it.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )


def measured_cells(results_dir: Path) -> int:
    """Cells a run has measured so far (its per-worker journals)."""
    return sum(len(p.read_text().splitlines()) for p in results_dir.glob(".cells/*.jsonl"))


def run_verify(*args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """The verify entry point in a process of its own (as a user runs it); its pid too, to
    find containers it might have left behind."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "verify", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    stdout, stderr = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), proc.pid


def left_behind(engine: Engine, pid: int) -> list[str]:
    """The harness containers a process (by pid) created, in any state."""
    return owned_by(engine, {pid})


def verdicts(results_dir: Path) -> tuple[dict, dict[tuple[str, str], dict]]:
    data = json.loads((results_dir / "results.json").read_text())
    return data, {(c["row"], c["distro"]): c for c in data["cells"]}


def auditwheel_show(wheel: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "auditwheel", "show", "--json", str(wheel)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout)


def process_group(pgid: int) -> set[int]:
    """The pids now in process group `pgid` (a run started with start_new_session: the CLI,
    its pytest and the xdist workers that create containers)."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid:  # after the command: state, ppid, pgrp
            members.add(int(stat.parent.name))
    return members


def owned_by(engine: Engine, pids: set[int]) -> list[str]:
    """The harness's containers whose owner is one of `pids` on this host (other runs and
    other tests sharing the engine are not counted)."""
    host = socket.gethostname()
    names = []
    for container in engine.labelled({LABEL: "1"}):
        owner = container.labels.get(LABEL_OWNER, "").split(":")
        if len(owner) >= 2 and owner[0] == host and owner[1].isdigit() and int(owner[1]) in pids:
            names.append(container.name)
    return names
