"""The container abstraction on the real engine: exec, timeouts, copies, labels, cleanup."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import ExecTimeout
from harness.images.provider import ResolvedImage
from harness.util.container import Mount
from harness.util.engine import Engine
from harness.util.ownership import LABEL, LABEL_OWNER, LABEL_ROLE, owner_token
from harness.vocab.arch import get_arch

X86_64 = get_arch("x86_64")


def test_exec_copy_and_removal(
    engine: Engine, bookworm_image: ResolvedImage, tmp_path: Path
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "hello.txt").write_text("hello from the host\n")
    with engine.container(
        bookworm_image.reference,
        arch=X86_64,
        role="test",
        name_hint="test-exec",
        mounts=[Mount(tmp_path / "in", "/mnt/in")],
    ) as container:
        name = container.name
        labels = container.raw.attrs["Config"]["Labels"]
        assert (
            labels[LABEL] == "1"
            and labels[LABEL_ROLE] == "test"
            and labels[LABEL_OWNER] == owner_token()
        )
        assert container.raw.attrs["HostConfig"]["NetworkMode"] == "none"
        result = container.exec(["cat", "/mnt/in/hello.txt"], timeout=30, step="cat")
        assert result.ok and result.stdout == "hello from the host\n"
        failing = container.exec(["sh", "-c", "echo oops >&2; exit 7"], timeout=30, step="fail")
        assert (failing.exit_code, failing.stderr.strip()) == (7, "oops")
        assert not container.exec(
            ["touch", "/mnt/in/x"], timeout=30, step="ro"
        ).ok  # mounted read-only
        container.write_file("/opt/t/spec.json", '{"a": 1}')
        container.copy_into(tmp_path / "in" / "hello.txt", "/opt/t")
        container.copy_out("/opt/t", tmp_path / "out")
        assert (tmp_path / "out" / "t" / "spec.json").read_text() == '{"a": 1}'
        assert (tmp_path / "out" / "t" / "hello.txt").exists()
        assert name in engine.running_harness_containers()
    assert name not in engine.running_harness_containers()
    assert not engine.client.containers.list(all=True, filters={"name": name})


def test_a_hang_becomes_a_timeout_naming_the_step(
    engine: Engine, bookworm_image: ResolvedImage
) -> None:
    with engine.container(
        bookworm_image.reference, arch=X86_64, role="test", name_hint="test-timeout"
    ) as container:
        started = time.monotonic()
        with pytest.raises(ExecTimeout) as info:
            container.exec(["sleep", "600"], timeout=2, step="importing the sample")
        assert time.monotonic() - started < 30
        assert info.value.step == "importing the sample"
        assert "did not finish within 2 s" in str(info.value)
        # the container is still usable afterwards
        assert container.exec(["true"], timeout=30, step="after").ok


def test_exception_inside_the_block_still_removes(
    engine: Engine, bookworm_image: ResolvedImage
) -> None:
    names = []
    with (
        pytest.raises(RuntimeError),
        engine.container(
            bookworm_image.reference, arch=X86_64, role="test", name_hint="test-raise"
        ) as c,
    ):
        names.append(c.name)
        raise RuntimeError("boom")
    assert names and names[0] not in engine.running_harness_containers()


CRASHER = """
import os, sys
from harness.vocab.arch import get_arch
from harness.util.engine import Engine
engine = Engine.connect()
manager = engine.container(sys.argv[1], arch=get_arch("x86_64"), role="test", name_hint="test-crashed")
container = manager.__enter__()
print(container.name, flush=True)
os.kill(os.getpid(), 9)  # dies without any cleanup
"""


def test_leftovers_of_a_killed_process_are_reaped(
    engine: Engine, bookworm_image: ResolvedImage
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CRASHER, bookworm_image.reference],
        capture_output=True,
        text=True,
        timeout=120,
    )
    name = proc.stdout.strip()
    assert proc.returncode == -9 and name
    assert name in engine.running_harness_containers()  # left behind
    assert name in [c.name for c in engine.leftovers()]
    assert name in engine.reap_leftovers()
    assert name not in engine.running_harness_containers()


def test_containers_of_a_live_owner_are_not_reaped(
    engine: Engine, bookworm_image: ResolvedImage
) -> None:
    with engine.container(
        bookworm_image.reference, arch=X86_64, role="test", name_hint="test-alive"
    ) as container:
        assert container.name not in engine.reap_leftovers()
        assert container.name in engine.running_harness_containers()
