"""A child the harness starts for long work (mmdebstrap, cibuildwheel) ends with it, even
when the harness is killed outright and runs no clean-up of its own."""

from __future__ import annotations

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
    interrupt._setpriv_with_pdeathsig() is None, reason="needs util-linux's setpriv >= 2.33"
)
def test_the_child_gets_sigint_when_its_parent_is_killed(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    # The child traps SIGINT to leave a mark (the signal clean-up runs on), ends its own
    # sleep, and says its pid only once the trap is set.
    script = (
        f"trap 'echo interrupted > {tmp_path}/mark; kill $!; exit 130' INT; "
        f"sleep 300 & echo $$ > {pid_file}.tmp && mv {pid_file}.tmp {pid_file}; wait"
    )
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess; from harness.util.interrupt import dies_with_parent; "
            f"subprocess.Popen(dies_with_parent(['sh', '-c', {script!r}])).wait()",
        ]
    )
    deadline = time.monotonic() + 20
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the parent did not start its child"
        time.sleep(0.05)
    child = int(pid_file.read_text())
    parent.kill()  # no handler, no finally: only the kernel can tell the child
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the child outlived its killed parent"
    assert (tmp_path / "mark").read_text().strip() == "interrupted"


def test_without_a_usable_setpriv_the_command_is_unchanged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(interrupt, "_setpriv_with_pdeathsig", lambda: None)
    assert dies_with_parent(["mmdebstrap", "bookworm"]) == ["mmdebstrap", "bookworm"]
    monkeypatch.setattr(interrupt, "_setpriv_with_pdeathsig", lambda: "/usr/bin/setpriv")
    wrapped = dies_with_parent(["mmdebstrap", "bookworm"])
    assert wrapped == ["/usr/bin/setpriv", "--pdeathsig", "INT", "--", "mmdebstrap", "bookworm"]


def test_a_setpriv_without_pdeathsig_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "setpriv"  # as util-linux before 2.33, or busybox, answers the option
    old.write_text("#!/bin/sh\necho 'setpriv: unrecognized option --pdeathsig' >&2\nexit 1\n")
    old.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    interrupt._setpriv_with_pdeathsig.cache_clear()
    try:
        assert dies_with_parent(["true"]) == ["true"]
    finally:
        interrupt._setpriv_with_pdeathsig.cache_clear()
