"""A judgement no single cell can make: a project's test that fails on every distro where the
same wheel's tests ran is no platform difference, and says so, so that a publisher does not
chase an innocent distro. A test that fails only on some distros stays the violation it is,
named by the first test that failed there and not everywhere. Pure: the run record's assembly
(harness.runner.context) calls it with the run's cells."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from harness.probe import observation as obs
from harness.probe.test_output import TESTS_STAGE, failed_tests
from harness.vocab.verdict import Verdict

EVERYWHERE = "fails everywhere: not a platform difference"
_UNNAMED = "<the test command>"  # a failure whose output names no test


class JudgedCell(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def row(self) -> str: ...
    @property
    def distro(self) -> str: ...
    @property
    def cpu(self) -> str: ...
    @property
    def verdict(self) -> Verdict: ...
    @property
    def observed(self) -> obs.Observation: ...


@dataclass(frozen=True)
class Finding:
    """What changes in one cell's record."""

    explanation: str
    diagnosis: str


def _failures(cell: JudgedCell) -> frozenset[str] | None:
    """The tests that failed in the cell (None: its tests did not fail, or never ran)."""
    run = cell.observed.load
    if cell.verdict is not Verdict.VIOLATION or run is None:
        return None
    if run.status != obs.CHECK_FAILED or run.stage != TESTS_STAGE:
        return None
    return frozenset(t.test for t in failed_tests(run.output)) or frozenset({_UNNAMED})


def _first(cell: JudgedCell, among: Iterable[str]) -> tuple[str, str]:
    wanted = set(among)
    run = cell.observed.load
    for failed in failed_tests(run.output if run else ""):
        if failed.test in wanted:
            return failed.test, failed.message
    return next(iter(sorted(wanted))), ""


def judge(cells: Sequence[JudgedCell]) -> dict[str, Finding]:
    """key -> what to say instead, for every violation by failing tests whose wheel (row,
    installer, CPU) ran its tests on at least two distros. Cells where the wheel loaded and
    its tests passed, or failed before the tests, count as distros where the test did not
    fail."""
    groups: dict[tuple[str, str, str], list[JudgedCell]] = {}
    for cell in cells:
        groups.setdefault((cell.row, str(getattr(cell, "installer", "")), cell.cpu), []).append(
            cell
        )
    found: dict[str, Finding] = {}
    for members in groups.values():
        ran = [c for c in members if c.observed.load is not None and c.verdict.claim_held]
        ran += [c for c in members if c.verdict is Verdict.VIOLATION]
        if len({c.distro for c in ran}) < 2:
            continue
        sets = [_failures(c) or frozenset() for c in ran]
        common = frozenset.intersection(*sets)
        for cell, failed in zip(ran, sets, strict=True):
            if not failed:
                continue
            if failed <= common:
                test, message = _first(cell, failed)
                shown = "the test command" if test == _UNNAMED else f"test {test}"
                found[cell.key] = Finding(
                    explanation=f"{EVERYWHERE}: {shown} fails on every distro it ran on",
                    diagnosis=f"{EVERYWHERE}: {shown}" + (f": {message}" if message else ""),
                )
            elif common:
                test, message = _first(cell, failed - common)
                found[cell.key] = Finding(
                    explanation=(
                        f"its tests failed here and not everywhere: test {test} "
                        f"({len(common)} other failing test(s) fail on every distro)"
                    ),
                    diagnosis=f"test {test} failed" + (f": {message}" if message else ""),
                )
    return found
