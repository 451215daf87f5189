"""The whole loop on x86_64, through the real CLI: local images -> cibuildwheel -> distro
probes -> verdicts. Then the same again with nothing changed (nothing may be built), then an
interrupted run (no container may be left, measured cells kept) and a clean run after it.

These run in order on one xdist worker: later tests use the caches the first one filled.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from harness.util.engine import Engine
from tests.helpers.commands import (
    load_results,
    measured_cells,
    owned_by,
    process_group,
    run_cli,
    start_cli,
)

pytestmark = pytest.mark.xdist_group("local-matrix")

DISTROS = ["debian-bullseye", "debian-bookworm", "debian-trixie", "debian-forky"]
# The corpus without its offers: the selection axis's cells are smoke-tested on two distros
# (test_installer_and_cpu_axes.py) and run whole by `tox -e x86_64-local`.
MATRIX_PROPER = ("--offer", "none")
POLICIES = ["manylinux_2_31", "manylinux_2_36", "manylinux_2_41"]


def _cells(results: dict) -> dict[tuple[str, str], dict]:
    return {(c["row"], c["distro"]): c for c in results["cells"] if c["installer"] == "distro"}


@pytest.fixture(scope="module")
def results_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("matrix")


@pytest.fixture(scope="module")
def first_run(results_root: Path) -> tuple[Path, float, str]:
    """The whole matrix once per module: its results dir, wall time and output. A test that
    needs it runs it, alone or after the others."""
    started = time.monotonic()
    proc = run_cli(
        "run",
        "--profile",
        "local",
        "--arch",
        "x86_64",
        *MATRIX_PROPER,
        "--results-dir",
        str(results_root / "first"),
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-4000:]
    return results_root / "first", time.monotonic() - started, proc.stdout


def test_local_x86_64_matrix(first_run: tuple[Path, float, str]) -> None:
    """The whole corpus, every sample and control, on every local x86_64 distro: the run
    exits 0 only if every cell produced its declared (or claimed) outcome."""
    results = load_results(first_run[0])
    cells = _cells(results)
    assert all(c["as_expected"] for c in results["cells"])
    assert results["summary"]["error"] == 0

    for policy in POLICIES:
        for distro in [*DISTROS, "debian-trixie-nolibcrypt"]:
            cell = cells[(f"c_plain@{policy}", distro)]
            assert cell["verdict"] == "ok", cell
            assert cell["observed"]["install"]["decision"] == "accepted"
            assert cell["observed"]["load"]["status"] == "passed"

    # The glibc control: built on glibc >= 2.34 it claims (and needs) manylinux_2_34.
    for policy in ("manylinux_2_36", "manylinux_2_41"):
        refused = cells[(f"glibc_control@{policy}", "debian-bullseye")]
        assert refused["verdict"] == "refused-as-claimed", refused
        assert refused["expected"]["installable"] is False
        assert "needs glibc >= 2.34" in refused["expected"]["reason"]
        assert "not a supported wheel" in refused["observed"]["install"]["reason"]
        assert refused["observed"]["forced"]["status"] == "import-failed"
        assert "GLIBC_2.34" in refused["diagnosis"]
        for distro in DISTROS[1:]:
            assert cells[(f"glibc_control@{policy}", distro)]["verdict"] == "ok"
    for distro in DISTROS:
        assert cells[("glibc_control@manylinux_2_31", distro)]["verdict"] == "ok"

    _assert_corpus(results, cells)
    _assert_loader_controls(results, cells)
    _assert_pip_axis(results)
    _assert_musl(results, cells)

    # the cells of one group, (distro, installer), ran on one worker: xdist loadgroup really
    # groups (a worker keeps one container per distro it probes)
    workers: dict[tuple[str, str], set[str]] = {}
    for c in results["cells"]:
        workers.setdefault((c["distro"], c["installer"]), set()).add(c["worker"])
    assert all(len(w) == 1 for w in workers.values()), workers
    assert len({w for ws in workers.values() for w in ws}) == 2  # and both workers were used

    # measured facts, not catalog facts
    bullseye = results["distros"]["debian-bullseye-x86_64"]["facts"]
    assert bullseye["glibc"] == "2.31" and bullseye["python_version"].startswith("3.9")
    assert bullseye["glibcxx_max"] == "3.4.28"
    assert (
        "libcrypt.so.1"
        not in results["distros"]["debian-trixie-nolibcrypt-x86_64"]["facts"]["sonames"]
    )
    assert "libcrypt.so.1" in results["distros"]["debian-trixie-x86_64"]["facts"]["sonames"]
    # the report is beside the JSON, and JUnit carries one test per cell
    report = (first_run[0] / "results.md").read_text()
    assert "| c_plain@manylinux_2_31 |" in report and "several wheels in one process" in report
    # the lint section predicts each loader control beside what its cells did
    assert "execstack_control.abi3.so requires an executable stack" in report
    assert (
        "observed: ok on debian-bookworm, debian-bullseye; refused-as-claimed on musl-1.2; "
        "violation on debian-forky"
    ) in report
    junit = (first_run[0] / "junit.xml").read_text()
    assert junit.count("<testcase") == len(results["cells"])
    assert 'name="verdict" value="refused-as-claimed"' in junit


def _assert_musl(results: dict, cells: dict[tuple[str, str], dict]) -> None:
    """Issue 30: the musl distro and the musllinux build image in the same run. Each wheel is
    refused by the other libc, naming both; the thread-stack control is caught on musl."""
    musl, debian = "musl-1.2", [*DISTROS, "debian-trixie-nolibcrypt", "debian-trixie-x11"]
    facts = results["distros"]["musl-1.2-x86_64"]["facts"]
    assert facts["glibc"] is None and facts["musl"] == "1.2.5"
    assert "libc.musl-x86_64.so.1" in facts["sonames"]
    home = cells[("c_plain@musllinux_1_2", musl)]
    assert home["verdict"] == "ok" and home["observed"]["load"]["status"] == "passed"
    assert "musllinux_1_2_x86_64 fits Python 3.13.5 on musl 1.2.5" in home["expected"]["reason"]
    for distro in debian:
        away = cells[("c_plain@musllinux_1_2", distro)]
        assert away["verdict"] == "refused-as-claimed" and away["as_expected"], away
        assert away["expected"]["reason"].startswith("built for musl libc (musllinux_1_2), ")
        assert "this system has glibc" in away["expected"]["reason"]
        assert away["expected"]["declared"] == "refused-as-claimed"
    for policy in POLICIES:
        refused = cells[(f"c_plain@{policy}", musl)]
        assert refused["verdict"] == "refused-as-claimed" and refused["as_expected"], refused
        assert refused["expected"]["reason"].startswith("built for glibc (")
        assert refused["expected"]["reason"].endswith("this system has musl 1.2.5")
    stack = cells[("thread_stack_control@musllinux_1_2", musl)]
    assert stack["verdict"] == "violation" and stack["as_expected"], stack
    assert stack["observed"]["load"]["signal"] == "SIGSEGV"
    for distro in debian:
        assert cells[("thread_stack_control@manylinux_2_31", distro)]["verdict"] == "ok"
    # C++ and Fortran are not built for musl: no musllinux wheel of theirs meets any distro
    assert not any(
        row.startswith(("cpp_static_locals", "fortran", "glibcxx")) and "musllinux" in row
        for row, _ in cells
    )


def _assert_pip_axis(results: dict) -> None:
    """Issue 5's pip axis: old pips refuse the tag families they predate, install the rest,
    and are not probed on Pythons they cannot run on (the report says why)."""
    axis = {
        (c["row"], c["distro"], c["installer"]): c
        for c in results["cells"]
        if c["installer"] != "distro"
    }
    pep600 = "glibc_control@manylinux_2_36"  # tagged manylinux_2_34 only
    old = axis[(pep600, "debian-bookworm", "19.3")]
    assert old["verdict"] == "refused-as-claimed" and old["pip_version"].startswith("19.3")
    assert "does not know manylinux_x_y tags" in old["expected"]["reason"]
    assert old["observed"]["forced"]["status"] == "passed"  # the wheel itself works there
    assert axis[(pep600, "debian-bookworm", "20.3")]["verdict"] == "ok"
    assert axis[(pep600, "debian-forky", "latest")]["verdict"] == "ok"
    assert axis[("c_plain@manylinux_2_31", "debian-bullseye", "19.0")]["verdict"] == "ok"
    assert ("c_plain@manylinux_2_31", "debian-bookworm", "19.0") not in axis
    assert "collections.Mapping" in results["skipped"]["debian-bookworm-x86_64 with pip 19.0"]


def _assert_corpus(results: dict, cells: dict[tuple[str, str], dict]) -> None:
    """Issue 3's corpus: each control caught with the loader's own words, the C++ pairs
    measured as combinations, the lint flagging the static runtime and not the plain one."""
    bullseye, nolibcrypt = "debian-bullseye", "debian-trixie-nolibcrypt"
    for policy in ("manylinux_2_36", "manylinux_2_41"):
        mistagged = cells[(f"glibcxx_control[mistagged]@{policy}", bullseye)]
        assert mistagged["verdict"] == "violation" and mistagged["expected"]["installable"] is True
        assert "GLIBCXX_3.4.29" in mistagged["diagnosis"]
        assert any("GLIBCXX_3.4.29" in p for p in mistagged["expected"]["policy_problems"])
    for policy in POLICIES:
        excluded = cells[(f"libcrypt[excluded]@{policy}", nolibcrypt)]
        assert excluded["verdict"] == "violation" and "libcrypt.so.1" in excluded["diagnosis"]
        assert cells[(f"libcrypt[excluded]@{policy}", "debian-trixie")]["verdict"] == "ok"
        assert cells[(f"libcrypt[grafted]@{policy}", nolibcrypt)]["verdict"] == "ok"
    assert cells[("ffi_control[ungrafted]@manylinux_2_31", "debian-bookworm")]["diagnosis"] == (
        "library libffi.so.7 is not installed"
    )
    assert cells[("ffi_control[ungrafted]@manylinux_2_36", bullseye)]["verdict"] == "violation"
    abi3 = cells[("abi3_headers_control@manylinux_2_41", bullseye)]
    # 3.9's PyArg_ParseTuple writes an int into half of the Py_ssize_t length: wrong results
    assert abi3["verdict"] == "violation"
    assert abi3["observed"]["load"]["status"] in ("check-failed", "crashed"), abi3["observed"]
    assert (
        cells[("abi3_headers_control@manylinux_2_41", "debian-bookworm")]["verdict"] == "violation"
    )
    assert cells[("abi3_headers_control@manylinux_2_31", bullseye)]["verdict"] == "ok"

    # Fortran: libgfortran grafted, distros without a gfortran runtime, two runtimes side by side
    for distro in DISTROS:
        assert "libgfortran.so.5" not in results["distros"][f"{distro}-x86_64"]["facts"]["sonames"]
        assert cells[("fortran@manylinux_2_31", distro)]["verdict"] == "ok"
    fortran_wheels = [w for name, w in results["wheels"].items() if name.startswith("mh_fortran")]
    assert fortran_wheels and all(
        any("libgfortran" in g for g in w["grafted"]) for w in fortran_wheels
    )
    assert (
        cells[("fortran@manylinux_2_31 + fortran@manylinux_2_41", "debian-forky")]["verdict"]
        == "ok"
    )

    # C++ pairs: one runtime static, one shared, in one process
    pair = "cpp_static_locals[plain]@manylinux_2_31 + cpp_static_locals[static]@manylinux_2_31"
    reverse = "cpp_static_locals[static]@manylinux_2_31 + cpp_static_locals[plain]@manylinux_2_31"
    for row in (pair, reverse):
        for distro in DISTROS:
            broken = cells[(row, distro)]
            assert (
                broken["verdict"] == "violation"
                and "iostream formatting broken" in broken["diagnosis"]
            )
            assert broken["lint"]["warned"] is True
            assert cells[(row + " (RTLD_GLOBAL)", distro)]["verdict"] == "ok"
    assert cells[(pair, bullseye)]["members"][1]["wheels"][0].startswith("mh_cpp_locals_static")
    static = [w for n, w in results["wheels"].items() if n.startswith("mh_cpp_locals_static")]
    plain = [w for n, w in results["wheels"].items() if n.startswith("mh_cpp_locals_plain")]
    assert static and all(w["lint_warned"] for w in static)
    assert plain and not any(w["lint_warned"] for w in plain)
    assert (
        cells[
            (
                "cpp_static_locals[plain]@manylinux_2_31 + cpp_static_locals[plain]@manylinux_2_41",
                "debian-trixie",
            )
        ]["verdict"]
        == "ok"
    )


def _assert_loader_controls(results: dict, cells: dict[tuple[str, str], dict]) -> None:
    """Issue 27's controls, each caught with the loader's words and predicted statically."""
    wheels = results["wheels"]

    def findings(prefix: str, kind: str) -> list[dict]:
        return [
            f
            for name, w in wheels.items()
            if name.startswith(prefix)
            for f in w["lint"]
            if f["kind"] == kind
        ]

    # executable stack: refused from glibc 2.41 only; the tunable's retry loads and checks it
    execstack = "execstack_control@manylinux_2_31"
    for distro in ("debian-trixie", "debian-trixie-nolibcrypt", "debian-forky"):
        cell = cells[(execstack, distro)]
        assert cell["verdict"] == "violation", cell
        assert "cannot enable executable stack" in cell["diagnosis"]
        assert cell["observed"]["execstack_retry"]["status"] == "passed", cell["observed"]
    for distro in ("debian-bullseye", "debian-bookworm"):
        cell = cells[(execstack, distro)]
        assert cell["verdict"] == "ok" and cell["observed"]["execstack_retry"] is None
    (stack,) = findings("mh_execstack_control", "executable-stack")
    assert stack["file"] == "execstack_control.abi3.so" and stack["breaks"] == "glibc >= 2.41"

    # a grafted library needs GLIBC_2.34 under a manylinux_2_31 tag: bullseye breaks
    for policy in ("manylinux_2_36", "manylinux_2_41"):
        row = f"grafted_glibc_control[retagged]@{policy}"
        broken = cells[(row, "debian-bullseye")]
        assert broken["verdict"] == "violation" and broken["expected"]["installable"] is True
        assert "GLIBC_2.34" in broken["diagnosis"]
        assert "grafted into mh_grafted_glibc_control.libs" in broken["diagnosis"]
        assert cells[(row, "debian-bookworm")]["verdict"] == "ok"
    grafted = findings("mh_grafted_glibc_control", "grafted-beyond-claim")
    assert grafted and all(
        f["file"].startswith("mh_grafted_glibc_control.libs/libmh_threadsum")
        and "GLIBC_2.34" in f["detail"]
        for f in grafted
    )

    # static TLS: initial-exec TLS fits first, not after the TLSDESC module took the reserve
    given = "static_tls_control[initial_exec]@manylinux_2_31 + static_tls_control[tlsdesc]@manylinux_2_31"
    reversed_ = "static_tls_control[tlsdesc]@manylinux_2_31 + static_tls_control[initial_exec]@manylinux_2_31"
    for distro in DISTROS:
        assert cells[(given, distro)]["verdict"] == "ok"
        failed = cells[(reversed_, distro)]
        assert failed["verdict"] == "violation"
        assert (
            "static_tls_initial_exec.abi3.so: cannot allocate memory in static TLS block"
            in (failed["diagnosis"])
        )
        for flavour in ("initial_exec", "tlsdesc"):
            alone = cells[(f"static_tls_control[{flavour}]@manylinux_2_31", distro)]
            assert alone["verdict"] == "ok"
    (tls,) = findings("mh_static_tls_initial_exec", "initial-exec-tls")
    assert "1536 bytes" in tls["detail"]
    assert not findings("mh_static_tls_tlsdesc", "initial-exec-tls")


def test_second_run_builds_nothing(results_root: Path, first_run: tuple[Path, float, str]) -> None:
    started = time.monotonic()
    proc = run_cli(
        "run",
        "--profile",
        "local",
        "--arch",
        "x86_64",
        *MATRIX_PROPER,
        "--results-dir",
        str(results_root / "second"),
    )
    second_seconds = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = load_results(results_root / "second")
    assert all(not image["built"] for image in results["images"].values()), results["images"]
    assert {b["status"] for b in results["builds"].values()} == {"cached"}
    first = load_results(first_run[0])
    assert {c["key"]: c["verdict"] for c in results["cells"]} == {
        c["key"]: c["verdict"] for c in first["cells"]
    }
    print(f"\nwall time: first run {first_run[1]:.0f} s, second run {second_seconds:.0f} s")


def test_interrupted_run_leaves_nothing_running(results_root: Path) -> None:
    engine = Engine.connect()
    run_pids: set[int] = set()
    out_dir = results_root / "interrupted"
    argv = ["run", "--profile", "local", "--arch", "x86_64", "--sample", "c_plain"]
    argv += ["--sample", "glibc_control", *MATRIX_PROPER, "--results-dir", str(out_dir)]
    log_path = results_root / "interrupted.log"
    proc = start_cli(argv, log_path)
    try:
        # wait until the matrix is mid-way: some cells measured, probe containers running
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            run_pids |= process_group(proc.pid)
            if measured_cells(out_dir) >= 3 and owned_by(engine, run_pids):
                break
            assert proc.poll() is None, log_path.read_text()[-3000:]
            time.sleep(0.2)
        else:
            pytest.fail("the run never got mid-way")
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        # generous: on a loaded 2-core CI machine, unwinding two xdist workers and
        # removing their containers has taken longer than three minutes
        code = proc.wait(timeout=420)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    tail = (results_root / "interrupted.log").read_text()[-3000:]
    assert code == 130, tail
    # This run's containers (by owner): other runs and tests may share the engine.
    assert owned_by(engine, run_pids) == [], tail
    results = load_results(out_dir)
    assert results["interrupted"] is True
    assert 3 <= len(results["cells"]) < 30  # measured cells were kept

    # and the next run starts cleanly
    proc2 = run_cli(
        "run",
        "--profile",
        "local",
        "--arch",
        "x86_64",
        "--sample",
        "c_plain",
        "--distro",
        "debian-bookworm",
        "--pip",
        "none",
        "--uv",
        "none",
        *MATRIX_PROPER,
        "--results-dir",
        str(results_root / "after"),
    )
    assert proc2.returncode == 0, proc2.stdout[-3000:] + proc2.stderr[-3000:]
    # one per build image: three manylinux, one musllinux (refused on bookworm)
    assert len(load_results(results_root / "after")["cells"]) == 4
    engine.close()


def test_bad_input_is_one_line(results_root: Path) -> None:
    proc = run_cli(
        "run",
        "--profile",
        "local",
        "--arch",
        "x86_64",
        "--distro",
        "debian-potato",
        "--results-dir",
        str(results_root / "bad"),
    )
    assert proc.returncode == 2
    assert "unknown distro 'debian-potato'" in proc.stdout + proc.stderr
