"""Issue 14's fault suite, the cases that need the real engine: each asserts the exit code,
the one line that names the cause, that what was measured survives, and that no container of
its own is left. The pure cases are in tests/unit/cli/test_faults.py; SIGINT/SIGTERM and the
reaping of a SIGKILLed run's leftovers in test_local_matrix.py and test_container.py.

Kept to x86_64, one or two distros, a few cells: about a minute and a half on 2 cores."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import ContainerError
from harness.images.provider import ResolvedImage
from harness.probe.distro_probe import DistroProbe, ProbeRequest
from harness.settings import Settings
from harness.util.container import Mount
from harness.util.engine import Engine
from harness.vocab.arch import get_arch
from tests.helpers.commands import left_behind, load_results, measured_cells, run_cli, start_cli
from tests.helpers.factories import damage_wheel, make_wheel

pytestmark = pytest.mark.xdist_group("faults")
X86_64 = get_arch("x86_64")


def test_a_container_that_fails_to_start_is_removed(
    engine: Engine, bookworm_image: ResolvedImage, tmp_path: Path
) -> None:
    """Case 10: run() creates, then start fails (here: a file mounted onto /etc)."""
    afile = tmp_path / "afile"
    afile.write_text("")
    starting = engine.container(
        bookworm_image.reference,
        arch=X86_64,
        role="test",
        name_hint="fault-start",
        mounts=[Mount(afile, "/etc")],
    )
    with pytest.raises(ContainerError, match="cannot start a container") as raised, starting:
        pytest.fail("started")
    assert "\n" not in str(raised.value)
    assert left_behind(engine, os.getpid()) == []  # not even in state "created"


def test_clean_spares_a_live_run_and_a_killed_run_is_reported(
    engine: Engine, tmp_path: Path
) -> None:
    """Cases 2 and 7: `clean` beside a run that is going keeps its containers; the run,
    SIGKILLed, leaves them and its journal; `report DIR` rebuilds its record; `clean` then
    removes the leftovers and names them."""
    out = tmp_path / "killed"
    argv = ["run", "--profile", "local", "--arch", "x86_64", "--sample", "c_plain", "--pip"]
    argv += ["none", "--jobs", "1", "--results-dir", str(out)]
    for distro in ("debian-bookworm", "debian-trixie", "debian-bullseye", "debian-forky"):
        argv += ["--distro", distro]
    log = tmp_path / "run.log"
    proc = start_cli(argv, log)
    try:
        deadline = time.monotonic() + 600
        while not (measured_cells(out) >= 1 and left_behind(engine, proc.pid)):
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the run never measured a cell"
            time.sleep(0.2)
        live = left_behind(engine, proc.pid)
        cleaned = run_cli("clean", timeout=120)
        assert cleaned.returncode == 0, cleaned.stderr
        assert not set(live) & set(cleaned.stdout.split()), cleaned.stdout
        assert set(live) <= set(left_behind(engine, proc.pid))  # still there
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    left = left_behind(engine, proc.pid)
    assert left, "a SIGKILLed run leaves its containers (what clean must remove)"
    assert not (out / "results.json").exists()

    reported = run_cli("report", str(out), timeout=120)
    assert reported.returncode == 0, reported.stderr
    (line,) = reported.stderr.strip().splitlines()
    assert "rebuilt from" in line and "marked interrupted" in line and "missing: " in line
    assert "c_plain" in reported.stdout

    cleaned = run_cli("clean", timeout=120)
    assert cleaned.returncode == 0 and set(left) <= set(cleaned.stdout.replace(",", " ").split())
    assert left_behind(engine, proc.pid) == []


def test_verify_faults_in_one_distro(engine: Engine, tmp_path: Path) -> None:
    """Cases 3, 8, 11 and 12, and the segfault and the endless loop that held: one verify of
    five sets in bookworm, a stale junit.xml beside an earlier record in its results dir."""
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "good-1.0-py3-none-any.whl", {"good.py": "X = 1\n"})
    make_wheel(wheels, "fault-1.0-py3-none-any.whl", {"fault.py": "while True:\n    pass\n"})
    segv = "import ctypes\nctypes.string_at(0)\n"
    make_wheel(wheels, "fault-2.0-py3-none-any.whl", {"fault.py": segv})
    make_wheel(wheels, "fault-3.0-py3-none-any.whl", {"fault.py": ""}, requires_python=">=3.99")
    broken = make_wheel(wheels, "broken-1.0-py3-none-any.whl", {"broken.py": "X = 1\n" * 9})
    damage_wheel(broken, "crc")
    out = tmp_path / "out"
    out.mkdir()
    leftovers_before = {c.name for c in engine.leftovers()}
    (out / "junit.xml").write_text("<testsuite tests='3'/>")  # an earlier run's
    started = time.monotonic()
    proc = run_cli(
        "verify",
        str(wheels),
        "--distro",
        "debian-bookworm",
        "--timeout",
        "5",
        "--results-dir",
        str(out),
        timeout=600,
    )
    seconds = time.monotonic() - started
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]  # the segfault
    assert "Traceback" not in proc.stdout + proc.stderr
    both = (proc.stdout + proc.stderr).splitlines()
    damaged = [line for line in both if "damaged " in line]
    assert len(damaged) == 1 and "broken.py fails its CRC check" in damaged[0]
    verdicts = {c["row"]: c for c in load_results(out)["cells"]}
    assert verdicts["good-1.0"]["verdict"] == "ok"
    assert verdicts["broken-1.0"]["verdict"] == "error"
    assert "fails its CRC check" in verdicts["broken-1.0"]["diagnosis"]
    assert verdicts["fault-1.0"]["verdict"] == "error" and seconds < 120  # cut at 5 s
    assert verdicts["fault-2.0"]["verdict"] == "violation"
    assert "SIGSEGV" in json.dumps(verdicts["fault-2.0"])
    requires = verdicts["fault-3.0"]
    assert requires["verdict"] == "over-restrictive", requires
    assert "Requires-Python says" in requires["explanation"], requires["explanation"]
    assert not (out / "junit.xml").exists()  # case 8: no stale outputs
    assert (out / "results.md").exists() and (out / "results.html").exists()
    # The verify process is gone: a container it left would now be a leftover.
    assert not {c.name for c in engine.leftovers()} - leftovers_before


def test_an_agent_crash_is_an_error_with_its_last_words(
    engine: Engine, bookworm_image: ResolvedImage, tmp_path: Path
) -> None:
    """Case 4, as it happened: pip refuses a wheel, the agent unpacks it for the forced load,
    a member's CRC is bad and the agent dies. Straight through the probe: verify's up-front
    check (case 3) would not let such a wheel this far."""
    root = tmp_path / "root"
    wheel = make_wheel(
        root, "crashy-1.0-cp39-cp39-manylinux_2_99_x86_64.whl", {"crashy.py": "X = 1\n" * 9}
    )
    damage_wheel(wheel, "crc")
    distro = default_catalog().distros("local", ["x86_64"], ["debian-bookworm"])[0]
    with DistroProbe(engine, distro, bookworm_image.reference, root, Settings()) as probe:
        seen = probe.probe(ProbeRequest("crashy", (wheel,), ("crashy",), ()))
    assert seen.error is not None and "\n" not in seen.error
    assert seen.error.startswith("the probe agent crashed (exit 1): ")
    assert "Bad CRC-32 for file 'crashy.py'" in seen.error
    assert left_behind(engine, os.getpid()) == []
