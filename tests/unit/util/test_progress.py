"""The matrix's terminal output: one line per finished cell, `[n/N] verdict  label 1.2 s`,
instead of pytest's per-test lines, with and without xdist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.catalog.samples import default_samples_dir, discover
from harness.cli import dispatch
from harness.cli import run as run_command
from harness.matrix.plan import Selection, make_plan
from harness.pytest_plugin import cell_labels
from harness.util.progress import VERDICT_WIDTH, CellLabel, cell_line, cell_test_id, pip_text
from harness.vocab.installer import Installer
from harness.vocab.verdict import Verdict

BULLSEYE = CellLabel("c_plain@manylinux_2_31", "debian-bullseye", Installer.parse("distro"))


def test_a_cell_line_reads_as_the_issue_asks() -> None:
    line = cell_line(17, 265, "ok", BULLSEYE.text("20.3.4"), 1.43)
    assert line == (
        "[ 17/265] ok                  c_plain@manylinux_2_31 on debian-bullseye (pip 20.3.4) 1.4 s"
    )


def test_cell_lines_line_up_whatever_the_verdict_and_count() -> None:
    lines = [
        cell_line(n, 265, verdict, BULLSEYE.text(), 0.2)
        for n, verdict in [(1, "ok"), (42, "refused-as-claimed"), (265, "skipped")]
    ]
    assert {line.index("c_plain") for line in lines} == {len("[265/265] ") + VERDICT_WIDTH + 2}
    assert all(len(v.value) <= VERDICT_WIDTH for v in Verdict)
    assert cell_line(3, 0, "error", "x", 61.04) == "[3/3] error" + " " * 15 + "x 61.0 s"


def test_the_pip_is_named_as_a_person_knows_it() -> None:
    assert pip_text(Installer.parse("distro"), "20.3.4") == "pip 20.3.4"
    assert pip_text(Installer.parse("distro")) == "distro pip"
    # an axis pip by the version asked for: a measured one may be the distro's fallback
    assert pip_text(Installer.parse("19.3"), "20.3.4") == "pip 19.3"
    assert pip_text(Installer.parse("latest")) == "pip latest"
    assert CellLabel(
        "a@manylinux_2_17 + b@manylinux_2_31", "centos-7", Installer.parse("19.3")
    ).text() == ("a@manylinux_2_17 + b@manylinux_2_31 on centos-7 (pip 19.3)")


def test_cell_test_ids_come_out_of_node_ids() -> None:
    test_id = "c_plain-manylinux_2_31-x86_64-debian-bullseye"
    assert cell_test_id(f"harness/matrix/cells.py::test_cell[{test_id}]") == test_id
    assert (
        cell_test_id(f".tox/x/harness/matrix/cells.py::test_cell[{test_id}]@debian-bullseye")
        == test_id
    )
    assert cell_test_id("tests/unit/test_verdict.py::test_cell_like_name") is None
    assert cell_test_id("tests/unit/test_x.py::test_other[a]") is None
    assert cell_test_id("harness/matrix/cells.py::test_cell[]") is None


def test_every_planned_cell_is_found_by_its_node_id() -> None:
    samples = discover(default_samples_dir())
    plan = make_plan(Selection("local", arches=("x86_64",)), default_catalog(), samples)
    labels = cell_labels(plan)
    assert len(labels) == len(plan.cells)
    for cell in plan.cells:
        nodeid = f"harness/matrix/cells.py::test_cell[{cell.test_id}]@{cell.group}"
        assert labels[cell_test_id(nodeid) or ""].row == cell.row
    label = next(iter(labels.values()))
    assert " " not in label.distro  # one arch: the distro's name alone


def test_a_run_of_several_arches_names_the_arch() -> None:
    samples = [s for s in discover(default_samples_dir()) if s.name == "c_plain"]
    plan = make_plan(
        Selection("local", arches=("x86_64", "aarch64"), distros=("debian-bookworm",)),
        default_catalog(),
        samples,
    )
    distros = {label.distro for label in cell_labels(plan).values()}
    assert distros == {"debian-bookworm x86_64", "debian-bookworm aarch64"}


def test_run_asks_pytest_for_quiet_output() -> None:
    args = dispatch.build_parser().parse_args(["run", "--results-dir", "res"])
    argv = run_command.pytest_arguments(args)
    assert "-q" in argv and "-v" not in argv
    assert "-rfE" in argv and "--junitxml" in argv


# A stand-in for the matrix: the plugin's CellProgress on cells that record their verdict as
# harness/pytest_plugin.py's cell_record does, without images, containers or Docker.
CONFTEST = """
import pytest

from harness.util.progress import CellLabel
from harness.pytest_plugin import CellProgress
from harness.vocab.installer import Installer

CELLS = {  # test id -> (label, verdict, measured pip)
    "c-bullseye": (CellLabel("c@manylinux_2_31", "debian-bullseye", Installer.parse("distro")), "ok", "20.3.4"),
    "c-bullseye-pip19.3": (
        CellLabel("c@manylinux_2_31", "debian-bullseye", Installer.parse("19.3")), "refused-as-claimed", "19.3.1"
    ),
    "cpp-buster": (CellLabel("cpp@manylinux_2_31", "debian-buster", Installer.parse("distro")), "violation", ""),
    "cpp-stretch": (CellLabel("cpp@manylinux_2_31", "debian-stretch", Installer.parse("distro")), "error", ""),
    "cpp-centos6": (CellLabel("cpp@manylinux_2_31", "centos-6", Installer.parse("distro")), "", ""),
}


def pytest_configure(config):
    config.addinivalue_line("markers", "xdist_group(name): one worker")
    if not hasattr(config, "workerinput"):
        labels = {test_id: label for test_id, (label, _, _) in CELLS.items()}
        config.pluginmanager.register(CellProgress(config, labels), "cell-progress")


@pytest.fixture
def cell_record(cell, request):
    _, verdict, pip_version = CELLS[cell]
    request.node.user_properties.append(("verdict", verdict))
    if pip_version:
        request.node.user_properties.append(("pip_version", pip_version))
    if verdict == "error":
        pytest.fail(f"could not tell {cell}: no container", pytrace=False)
    return verdict
"""

CELLS = """
import pytest

from conftest import CELLS


def _param(test_id):
    marks = [pytest.mark.xdist_group(test_id.split("-")[1])]
    if test_id.endswith("centos6"):
        marks.append(pytest.mark.skip(reason="no Python there"))
    return pytest.param(test_id, id=test_id, marks=marks)


@pytest.mark.parametrize("cell", [_param(test_id) for test_id in CELLS])
def test_cell(cell_record):
    if cell_record == "violation":
        pytest.fail("cpp: violation: undefined symbol", pytrace=False)
"""

OTHERS = """
def test_not_a_cell():
    pass
"""

LINE = re.compile(r"^\[(\d)/5\] (\S+) +(.+) \d+\.\d s$", re.M)


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin"},
    )


@pytest.mark.parametrize(
    "options", [("-p", "no:xdist"), ("-n", "2", "--dist", "loadgroup")], ids=["alone", "xdist"]
)
def test_one_line_per_finished_cell(tmp_path: Path, options: tuple[str, ...]) -> None:
    (tmp_path / "test_cells.py").write_text(CELLS)
    proc = _pytest(tmp_path, "-q", "-rfE", "--junitxml", "junit.xml", *options, "test_cells.py")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr  # one failure, one error
    found = [m.groups() for m in map(LINE.match, out.splitlines()) if m]
    assert sorted(int(n) for n, _, _ in found) == [1, 2, 3, 4, 5], out
    assert {(verdict, label) for _, verdict, label in found} == {
        ("ok", "c@manylinux_2_31 on debian-bullseye (pip 20.3.4)"),
        ("refused-as-claimed", "c@manylinux_2_31 on debian-bullseye (pip 19.3)"),
        ("violation", "cpp@manylinux_2_31 on debian-buster (distro pip)"),
        ("error", "cpp@manylinux_2_31 on debian-stretch (distro pip)"),
        ("skipped", "cpp@manylinux_2_31 on centos-6 (distro pip)"),
    }
    # none of pytest's per-test lines; node ids only where failures are reported
    assert "PASSED" not in out and "[gw" not in out.split("=")[0]
    for line in out.splitlines():
        if "test_cell[" in line:
            assert line.startswith(("FAILED ", "ERROR ", "_")), line
    assert re.search(r"^FAILED test_cells.py::test_cell\[cpp-buster\]\S* - .*violation", out, re.M)
    assert re.search(r"^ERROR test_cells.py::test_cell\[cpp-stretch\]\S* - .*could not", out, re.M)
    assert "1 failed, 2 passed, 1 skipped, 1 error" in out
    assert 'name="test_cell[c-bullseye]' in (tmp_path / "junit.xml").read_text()


def test_other_tests_keep_pytest_output(tmp_path: Path) -> None:
    (tmp_path / "test_others.py").write_text(OTHERS)
    proc = _pytest(tmp_path, "-v", "-p", "no:xdist", "test_others.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "test_others.py::test_not_a_cell PASSED" in proc.stdout
    assert not LINE.search(proc.stdout)
