"""The matrix's terminal output: one line per finished cell, `[n/N] verdict  label 1.2 s`,
instead of pytest's per-test lines, with and without xdist."""

from __future__ import annotations

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
