"""The judgement across a run's cells (harness.judge.across_cells), as the run record's
assembly applies it: a test failing on every distro is no platform difference."""

from __future__ import annotations

import dataclasses

from harness.judge import across_cells
from harness.probe import observation as obs
from harness.probe.test_output import TESTS_STAGE
from harness.results import record as results
from harness.runner.context import judged_across
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell


def run_of_tests(status: str, output: str, stage: str = TESTS_STAGE) -> obs.RunObservation:
    code = 0 if status == obs.PASSED else 1
    return obs.RunObservation(status, code, None, "done" if code == 0 else stage, output, 2.0)


def accepted(load: obs.RunObservation) -> obs.Observation:
    install = obs.InstallObservation(obs.ACCEPTED, "23.0.1", 0, "", "", 1.0)
    return obs.Observation(install, load=load)


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
