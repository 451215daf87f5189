"""The fault suites' cases that need the real engine (issue 14's, then issue 24's): each
asserts the exit code, the one line that names the cause, that what was measured survives, and
that no container of its own is left. The pure cases are in tests/unit/cli/test_faults.py;
SIGINT/SIGTERM and the reaping of a SIGKILLed run's leftovers in test_local_matrix.py and
test_container.py; hostile cells inside a probe in test_hostile.py.

Kept to x86_64, one or two distros, a few cells, limits of KiB and MiB: about three minutes
on 2 cores (half of it a wedged engine's 30 s bound and one cibuildwheel rebuild)."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import ContainerError
from harness.images.provider import ResolvedImage
from harness.probe.distro_probe import DistroProbe, ProbeRequest
from harness.results import record as results
from harness.settings import Settings
from harness.util.cache import SCRATCH_MARK, Cache
from harness.util.container import Mount
from harness.util.engine import Engine
from harness.vocab.arch import get_arch
from tests.helpers.commands import left_behind, load_results, measured_cells, run_cli, start_cli
from tests.helpers.factories import bomb_wheel, cell, damage_wheel, make_wheel, record
from tests.helpers.wedged import wedged_engine

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
    argv += ["none", "--offer", "none", "--jobs", "1", "--results-dir", str(out)]
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
    proc = run_cli(
        "verify",
        str(wheels),
        "--distro",
        "debian-bookworm",
        "--timeout",
        "5",
        "--results-dir",
        str(out),
        timeout=600,  # a hang guard: the endless loop must be cut by --timeout
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]  # the segfault
    assert "Traceback" not in proc.stdout + proc.stderr
    both = (proc.stdout + proc.stderr).splitlines()
    damaged = [line for line in both if "cannot verify " in line]
    assert len(damaged) == 1 and "broken.py fails its CRC check: download it again" in damaged[0]
    verdicts = {c["row"]: c for c in load_results(out)["cells"]}
    assert verdicts["good-1.0"]["verdict"] == "ok"
    assert verdicts["broken-1.0"]["verdict"] == "error"
    assert "fails its CRC check" in verdicts["broken-1.0"]["diagnosis"]
    assert verdicts["fault-1.0"]["verdict"] == "error", verdicts["fault-1.0"]  # cut at 5 s
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


# == issue 24: untrusted wheels cannot touch other cells, the host or the record ===============


def test_a_wheel_over_the_limits_is_an_error_per_distro_never_unpacked(tmp_path: Path) -> None:
    """The matrix: the corpus's c_plain wheels (about 24 KiB unpacked) under a 1 KiB limit:
    an `error` cell per distro naming the member and its size; nothing probed, no traceback,
    exit 3 (could not tell)."""
    out = tmp_path / "limit"
    argv = ["run", "--profile", "local", "--arch", "x86_64", "--sample", "c_plain"]
    argv += ["--policy", "manylinux_2_31", "--distro", "debian-bookworm", "--distro"]
    argv += ["debian-trixie", "--pip", "none", "--uv", "none", "--offer", "none", "-j", "1"]
    proc = run_cli(*argv, "--max-unpacked-mib", "0.001", "--results-dir", str(out), timeout=900)
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    cells = load_results(out)["cells"]
    assert sorted(c["distro"] for c in cells) == ["debian-bookworm", "debian-trixie"]
    for found in cells:
        assert found["verdict"] == "error" and found["observed"]["install"] is None
        assert re.search(
            r"mh_c_plain-1\.0\.0-\S+\.whl: its member c_plain\.abi3\.so declares [\d.]+ KiB "
            r"unpacked .*over the limit of 1\.0 KiB \(--max-unpacked-mib\)",
            found["explanation"],
        ), found["explanation"]


def test_verify_of_a_zip_bomb_beside_a_good_wheel(engine: Engine, tmp_path: Path) -> None:
    """verify: the bomb (32 MiB of zeros in 33 KiB) is an `error` cell naming its member on
    each distro, the good wheel is verified; the host's temporary directory never held it."""
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "good-1.0-py3-none-any.whl", {"good.py": "X = 1\n"})
    bomb_wheel(wheels, "bomb-1.0-py3-none-any.whl", 32)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    argv = ["verify", str(wheels), "--distro", "debian-bookworm", "--results-dir", str(out)]
    proc = run_cli(*argv, timeout=600, env={"TMPDIR": str(scratch)})
    assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    said = [line for line in proc.stderr.splitlines() if "cannot verify " in line]
    assert len(said) == 1 and "its member data/zeros.bin declares 32.0 MiB unpacked" in said[0]
    verdicts = {c["row"]: c for c in load_results(out)["cells"]}
    assert verdicts["good-1.0"]["verdict"] == "ok"
    bomb = verdicts["bomb-1.0"]
    assert bomb["verdict"] == "error" and "data/zeros.bin declares 32.0 MiB" in bomb["explanation"]
    largest = max((p.stat().st_size for p in scratch.rglob("*") if p.is_file()), default=0)
    assert largest < 1 << 20  # nothing of the bomb was unpacked here


def test_a_wedged_engine_stops_the_run_within_a_minute(tmp_path: Path) -> None:
    """An engine that accepts the connection and never answers hung the run for hours (the
    client's six-hour socket timeout): now exit 3, one line naming the engine."""
    path = tmp_path / "wedged.sock"
    with wedged_engine(path) as host:
        argv = ["run", "--profile", "local", "--arch", "x86_64", "--sample", "c_plain"]
        argv += ["--distro", "debian-bookworm", "--pip", "none", "--offer", "none", "-j", "1"]
        proc = run_cli(
            *argv,
            "--results-dir",
            str(tmp_path / "out"),
            # A hang guard, not a speed check: the run must stop on the engine's 30 s bound
            # (the message below names it) instead of the client's hours.
            timeout=120,
            env={"DOCKER_HOST": host},
        )
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"manylinux-harness: stopped: the Docker engine at unix://{path} ")
    assert "did not answer within 30 s (wedged?)" in last
    assert "Traceback" not in proc.stdout + proc.stderr


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where` (root only: CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    where.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True)
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


def test_a_full_disk_keeps_the_earlier_record_on_a_real_tmpfs(tmp_path: Path) -> None:
    """ENOSPC for real. `merge`: a 256 KiB tmpfs holds an earlier record; a 265-cell record
    cannot be written there. `run`: a 56 KiB one holds the run's journal and state but not its
    record. Either way the earlier record stays whole with nothing beside it, one line says
    so (exit 3), and `report` rebuilds the run's record from its journal."""
    with small_tmpfs(tmp_path / "small", "256k") as small:
        earlier = small / "out"
        results.save(record([cell("c_plain@p", "debian-bookworm")]), earlier)
        before = {p.name: p.read_bytes() for p in earlier.iterdir()}
        big = tmp_path / "big.json"
        data = Path(__file__).parents[1] / "data" / "x86_64-full-results.json.gz"
        big.write_bytes(gzip.decompress(data.read_bytes()))
        proc = run_cli("merge", "--output", str(earlier), str(big), timeout=300)
        assert proc.returncode == 3, proc.stdout + proc.stderr
        (line,) = proc.stderr.strip().splitlines()
        assert line.startswith(f"manylinux-harness: cannot write the new record into {earlier}")
        assert "(No space left on device): the earlier record there is kept" in line
        after = {p.name: p.read_bytes() for p in earlier.iterdir() if p.name != ".lock"}
        assert after == before
    with small_tmpfs(tmp_path / "smaller", "56k") as smaller:
        earlier = smaller / "out"
        results.save(record([cell("c_plain@p", "debian-bookworm")]), earlier)
        kept = (earlier / "results.json").read_bytes()
        argv = ["run", "--profile", "local", "--arch", "x86_64", "--sample", "c_plain"]
        argv += ["--policy", "manylinux_2_31", "--distro", "debian-bookworm", "--pip", "none"]
        argv += ["--offer", "none"]
        proc = run_cli(*argv, "--uv", "none", "-j", "1", "--results-dir", str(earlier))
        assert proc.returncode == 3, proc.stdout[-3000:] + proc.stderr[-3000:]
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("manylinux-harness: stopped: cannot write the new record into ")
        assert "Traceback" not in proc.stdout + proc.stderr
        assert (earlier / "results.json").read_bytes() == kept
        assert not list(earlier.glob(".publish.*")) and not list(earlier.glob("*.tmp"))
        reported = run_cli("report", str(earlier), timeout=120)
        assert reported.returncode == 0 and "c_plain@manylinux_2_31" in reported.stdout
        assert "the earlier record stays, the report is the later run's" in reported.stderr


def test_a_copied_cache_with_a_truncated_wheel_and_a_killed_builds_scratch(
    tmp_path: Path, cache_dir: Path
) -> None:
    """The cache, copied elsewhere (the uv record held absolute paths: every uv cell broke),
    with its c_plain wheel truncated (never rebuilt before: BadZipFile in every later run) and
    a killed build's scratch in it: the run rebuilds the wheel, serves uv from the copy
    without fetching it again, and `clean` removes the scratch."""
    copy = tmp_path / "copied-cache"
    shared = Cache(cache_dir)
    for entry in sorted(shared.path("wheels").glob("c_plain-default-manylinux_2_31-x86_64-*")):
        shutil.copytree(entry, copy / "wheels" / entry.name)
    if shared.path("probe-lib").is_dir():
        shutil.copytree(shared.path("probe-lib"), copy / "probe-lib")
    argv = ["run", "--profile", "local", "--arch", "x86_64", "--sample", "c_plain"]
    argv += ["--policy", "manylinux_2_31", "--distro", "debian-bookworm", "--pip", "none"]
    argv += ["--uv", "0.4", "--offer", "none", "-j", "1", "--cache-dir"]
    first = run_cli(*argv, str(copy), "--results-dir", str(tmp_path / "first"), timeout=1800)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    # Moved elsewhere, as a CI cache restored to another path is.
    moved = tmp_path / "moved-cache"
    copy.rename(moved)
    record = moved / "wheels" / "uv" / "0.4-x86_64.json"
    stamp = record.stat().st_mtime_ns
    uv_wheels = sorted(p.name for p in (moved / "wheels" / "uv").glob("*.whl"))
    ((build,),) = [b["wheels"] for b in load_results(tmp_path / "first")["builds"].values()]
    wheel = moved / Path(build).relative_to(copy)
    wheel.write_bytes(wheel.read_bytes()[: wheel.stat().st_size // 2])
    dead = subprocess.run(
        [sys.executable, "-c", "from harness.util.ownership import owner_token as t; print(t())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    killed = moved / "wheels" / f".{wheel.parent.name}{SCRATCH_MARK}{dead}{SCRATCH_MARK}x1y2"
    killed.mkdir()
    second = run_cli(*argv, str(moved), "--results-dir", str(tmp_path / "second"), timeout=1800)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    rebuilt = r"\[wheels 1/1\] c_plain\[default\]@manylinux_2_31-x86_64: built in \d+ s: "
    assert re.search(rebuilt, second.stdout), second.stdout[-3000:]
    verdicts = {c["installer"]: c["verdict"] for c in load_results(tmp_path / "second")["cells"]}
    assert verdicts == {"distro": "ok", "uv-0.4": "ok"}
    assert record.stat().st_mtime_ns == stamp  # served from the record, not fetched again
    assert sorted(p.name for p in (moved / "wheels" / "uv").glob("*.whl")) == uv_wheels
    cleaned = run_cli("clean", "--cache-dir", str(moved), timeout=120)
    assert cleaned.returncode == 0, cleaned.stderr
    assert f"removed 1 scratch director(ies) of killed builds: {killed}" in cleaned.stdout
    assert not killed.exists() and wheel.parent.is_dir()
