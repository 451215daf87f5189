"""Verdicts of a project's tests: a test failing after the wheel loaded is a violation named by
its first failing test (with its output), one failing on every distro says it is no platform
difference, and a timeout stays `error`."""

from __future__ import annotations

import dataclasses

from harness.judge import across_cells
from harness.judge.cell import CellJob, WheelFacts, judge_cell
from harness.probe import observation as obs
from harness.probe.test_output import TESTS_STAGE, failed_tests, section
from harness.results import record as results
from harness.runner.context import judged_across
from harness.vocab.installer import DISTRO_PIP
from harness.vocab.verdict import Verdict
from harness.vocab.wheel_name import WheelName
from tests.helpers.factories import cell, facts

WHEEL = "lazy-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"

PYTEST_OUTPUT = """\
============================= test session starts ==============================
collected 3 items

tests/test_lazy.py .F.                                                   [100%]

=================================== FAILURES ===================================
______________________________ test_sha512_crypt _______________________________

    def test_sha512_crypt():
>       assert lazy.crypt("Hello world!", "$6$saltstring") == EXPECTED
E       OSError: libcrypt.so.1: cannot open shared object file: No such file or directory

tests/test_lazy.py:26: OSError
=========================== short test summary info ============================
FAILED tests/test_lazy.py::test_sha512_crypt - OSError: libcrypt.so.1: cannot open shared object file: No such file
ERROR tests/test_lazy.py::test_fixture - RuntimeError: no fixture
========================= 1 failed, 2 passed in 0.05s ==========================
the test command exited with status 1: python -m pytest tests
"""


def run_of_tests(status: str, output: str, stage: str = TESTS_STAGE) -> obs.RunObservation:
    code = 0 if status == obs.PASSED else 1
    return obs.RunObservation(status, code, None, "done" if code == 0 else stage, output, 2.0)


def accepted(load: obs.RunObservation) -> obs.Observation:
    install = obs.InstallObservation(obs.ACCEPTED, "23.0.1", 0, "", "", 1.0)
    return obs.Observation(install, load=load)


def job() -> CellJob:
    return CellJob("x86_64", DISTRO_PIP, (WheelFacts(WheelName.parse(WHEEL)),), "debian-trixie")


def test_pytest_s_summary_names_the_failing_tests_in_order() -> None:
    found = failed_tests(PYTEST_OUTPUT)
    assert [(f.test, f.kind) for f in found] == [
        ("tests/test_lazy.py::test_sha512_crypt", "failed"),
        ("tests/test_lazy.py::test_fixture", "error"),
    ]
    assert found[0].message.startswith("OSError: libcrypt.so.1: cannot open")
    unittest = "FAIL: test_x (pkg.tests.TestX.test_x)\nERROR: test_y (pkg.tests.TestX.test_y)\n"
    assert [f.test for f in failed_tests(unittest)] == [
        "pkg.tests.TestX.test_x",
        "pkg.tests.TestX.test_y",
    ]
    assert failed_tests("Traceback ...\nexit 1\n") == ()


def test_the_failing_test_s_own_output_is_cut_from_the_rest() -> None:
    block = section(PYTEST_OUTPUT, "tests/test_lazy.py::test_sha512_crypt")
    assert block.startswith("___ test_sha512_crypt ___")
    assert "E       OSError: libcrypt.so.1" in block and "short test summary" not in block
    assert section(PYTEST_OUTPUT, "tests/test_lazy.py::test_other") == ""


def test_a_failing_test_is_a_violation_named_by_its_first_failing_test() -> None:
    judged = judge_cell(
        job(), facts((3, 13), (2, 41)), accepted(run_of_tests("check-failed", PYTEST_OUTPUT))
    )
    assert judged.verdict is Verdict.VIOLATION
    assert judged.decision.explanation == "pip installed it as claimed, but its tests failed"
    assert judged.diagnosis.summary == (
        "test tests/test_lazy.py::test_sha512_crypt failed: OSError: libcrypt.so.1: cannot "
        "open shared object file: No such file (and 1 more)"
    )
    (note,) = judged.notes
    assert note.startswith("the first failing test's output:\n___ test_sha512_crypt ___")


def test_a_failure_that_names_no_test_quotes_the_output() -> None:
    output = "Traceback (most recent call last):\nSystemExit: bad\nboom at the end\n"
    judged = judge_cell(job(), facts(), accepted(run_of_tests("check-failed", output)))
    assert judged.verdict is Verdict.VIOLATION
    assert judged.diagnosis.summary == (
        "the tests failed (exit status 1), no test named: boom at the end"
    )


def test_timeouts_and_passes_are_not_test_failures() -> None:
    timed_out = run_of_tests(obs.TIMEOUT, "collected 3 items\n")
    assert judge_cell(job(), facts(), accepted(timed_out)).verdict is Verdict.ERROR
    passed = judge_cell(job(), facts(), accepted(run_of_tests(obs.PASSED, "3 passed")))
    assert passed.verdict is Verdict.OK and passed.notes == ()
    # an import failing before the tests keeps the import's diagnosis
    early = run_of_tests("check-failed", "ImportError: nope\n", stage="check import lazy")
    judged = judge_cell(job(), facts(), accepted(early))
    assert judged.diagnosis.summary.startswith("check failed: ImportError")


# -- across cells --------------------------------------------------------------------------------


def cell_of(distro: str, output: str | None) -> results.CellRecord:
    """A verify cell of the same wheel on `distro`: its tests failed with `output`, or passed."""
    if output is None:
        return cell("lazy-1.0", distro, Verdict.OK, observed=accepted(run_of_tests(obs.PASSED, "")))
    return cell(
        "lazy-1.0",
        distro,
        Verdict.VIOLATION,
        as_expected=False,
        observed=accepted(run_of_tests("check-failed", output)),
        diagnosis="test failed",
    )


def summary(*tests: str) -> str:
    return "".join(f"FAILED {t} - AssertionError: {t}\n" for t in tests)


def test_a_test_failing_on_every_distro_is_no_platform_difference() -> None:
    cells = [cell_of(d, summary("t.py::test_a")) for d in ("bullseye", "trixie", "forky")]
    found = across_cells.judge(cells)
    assert set(found) == {c.key for c in cells}
    finding = found[cells[0].key]
    assert finding.explanation.startswith(across_cells.EVERYWHERE)
    assert finding.diagnosis == (
        "fails everywhere: not a platform difference: test t.py::test_a: "
        "AssertionError: t.py::test_a"
    )
    rewritten = judged_across(cells)
    assert all(c.verdict is Verdict.VIOLATION for c in rewritten)  # the job still fails
    assert all(c.diagnosis.startswith(across_cells.EVERYWHERE) for c in rewritten)


def test_a_test_failing_on_some_distros_stays_their_violation() -> None:
    cells = [cell_of("bullseye", None), cell_of("nolibcrypt", summary("t.py::test_crypt"))]
    assert across_cells.judge(cells) == {}


def test_a_distro_with_more_failures_is_named_by_the_one_not_failing_everywhere() -> None:
    cells = [
        cell_of("bullseye", summary("t.py::test_a")),
        cell_of("nolibcrypt", summary("t.py::test_a", "t.py::test_crypt")),
    ]
    found = across_cells.judge(cells)
    assert found[cells[0].key].explanation.startswith(across_cells.EVERYWHERE)
    other = found[cells[1].key]
    assert other.diagnosis == "test t.py::test_crypt failed: AssertionError: t.py::test_crypt"
    assert "not everywhere" in other.explanation


def test_one_distro_cannot_say_everywhere_and_other_cells_are_left_alone() -> None:
    assert across_cells.judge([cell_of("trixie", summary("t.py::test_a"))]) == {}
    unnamed = [cell_of(d, "exit 1\n") for d in ("bullseye", "trixie")]
    assert len(across_cells.judge(unnamed)) == 2
    refused = dataclasses.replace(
        cell_of("bullseye", None),
        verdict=Verdict.REFUSED_AS_CLAIMED,
        observed=obs.Observation(None),
    )
    assert across_cells.judge([refused, cell_of("trixie", summary("t.py::test_a"))]) == {}
