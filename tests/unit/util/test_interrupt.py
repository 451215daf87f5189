"""A child the harness starts for long work (mmdebstrap, cibuildwheel) ends with it, even
when the harness is killed outright and runs no clean-up of its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.util.interrupt import dies_with_parent


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits for a reaper


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux's setpriv")
def test_the_child_gets_sigint_when_its_parent_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    # The child traps SIGINT to leave a mark: the signal is the one clean-up runs on.
    script = f"trap 'echo interrupted > {tmp_path}/mark; exit 130' INT; sleep 300 & wait"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys; from harness.util.interrupt import dies_with_parent; "
            f"child = subprocess.Popen(dies_with_parent(['sh', '-c', {script!r}])); "
            f"open({str(pid_file)!r}, 'w').write(str(child.pid)); child.wait()",
        ]
    )
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text()):
        assert time.monotonic() < deadline, "the parent did not start its child"
        time.sleep(0.05)
    child = int(pid_file.read_text())
    time.sleep(0.3)  # let the shell set its trap
    parent.kill()  # no handler, no finally: only the kernel can tell the child
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the child outlived its killed parent"
    assert (tmp_path / "mark").read_text().strip() == "interrupted"


def test_without_setpriv_the_command_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert dies_with_parent(["mmdebstrap", "bookworm"]) == ["mmdebstrap", "bookworm"]
    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    wrapped = dies_with_parent(["mmdebstrap", "bookworm"])
    assert wrapped == ["/usr/bin/setpriv", "--pdeathsig", "INT", "--", "mmdebstrap", "bookworm"]
