"""A child the harness starts for long work (mmdebstrap, cibuildwheel) ends with it, even
when the harness is killed outright and runs no clean-up of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.util import interrupt
from harness.util.interrupt import dies_with_parent


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended; only its exit status waits for a reaper


@pytest.mark.skipif(
    any(interrupt._supported(tool, *options) is None for tool, options in interrupt._WRAPPERS),
    reason="needs util-linux's setpriv >= 2.33 and coreutils' env >= 8.31",
)
@pytest.mark.parametrize("sigint", ["default", "ignored"])
def test_the_child_gets_sigint_when_its_parent_is_killed(tmp_path: Path, sigint: str) -> None:
    """ "ignored": the harness started as a script's background job (`cmd &`), where SIGINT
    arrives ignored and children inherit that; the child must still act on it."""
    pid_file = tmp_path / "child.pid"
    # The child traps SIGINT to leave a mark (the signal clean-up runs on), ends its own
    # sleep, and says its pid only once the trap is set.
    script = (
        f"trap 'echo interrupted > {tmp_path}/mark; kill $!; exit 130' INT; "
        f"sleep 300 & echo $$ $! > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}; wait"
    )
    ignore = "signal.signal(signal.SIGINT, signal.SIG_IGN); " if sigint == "ignored" else ""
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import signal, subprocess; {ignore}"
            "from harness.util.interrupt import dies_with_parent; "
            f"subprocess.Popen(dies_with_parent(['sh', '-c', {script!r}])).wait()",
        ]
    )
    deadline = time.monotonic() + 20
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the parent did not start its child"
        time.sleep(0.05)
    child, sleeper = (int(pid) for pid in pid_file.read_text().split())
    parent.kill()  # no handler, no finally: only the kernel can tell the child
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _alive(child):
        for pid in (sleeper, child):  # leave nothing behind, whatever the verdict
            os.kill(pid, signal.SIGKILL)
        pytest.fail("the child outlived its killed parent")
    assert (tmp_path / "mark").read_text().strip() == "interrupted"


def test_without_usable_tools_the_command_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interrupt, "_child_prefix", lambda: ())
    assert dies_with_parent(["mmdebstrap", "bookworm"]) == ["mmdebstrap", "bookworm"]


def test_only_tools_that_take_the_option_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As util-linux before 2.33 (or busybox) answers --pdeathsig; a modern env beside it.
    old = tmp_path / "setpriv"
    old.write_text("#!/bin/sh\necho 'setpriv: unrecognized option --pdeathsig' >&2\nexit 1\n")
    old.chmod(0o755)
    env = tmp_path / "env"
    env.write_text("#!/bin/sh\nexit 0\n")  # takes any option (only probed here)
    env.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    interrupt._child_prefix.cache_clear()
    try:
        assert dies_with_parent(["true"]) == [str(env), "--default-signal=INT", "true"]
    finally:
        interrupt._child_prefix.cache_clear()
