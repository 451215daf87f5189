"""The step summary: under GitHub's 1 MiB for a whole nightly (a merged record of about 16,800
cells, generated here from the record factory), what broke first, what it left out, and where
the whole report is; written once per publish, and never by the test session itself."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.report import markdown, summary
from harness.report.build import build_report
from harness.report.publish import SUMMARY_VARIABLE, publish
from harness.results import record as results
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, nightly_legs, record

ON_GITHUB = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "owner/manylinux-harness",
    "GITHUB_RUN_ID": "123",
    summary.ARTIFACT_VARIABLE: "nightly-baseline",
}
LINK = "https://github.com/owner/manylinux-harness/actions/runs/123#artifacts"


@pytest.fixture(scope="module")
def nightly() -> results.RunRecord:
    merged = results.merge(nightly_legs())
    assert len(merged.cells) >= 16_000
    return merged


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def test_a_whole_nightly_stays_under_one_mebibyte(nightly: results.RunRecord) -> None:
    report = build_report(nightly)
    text = summary.render(report, pointer=summary.whole_report_pointer(ON_GITHUB))
    assert _size(text) < summary.SUMMARY_LIMIT
    assert _size(markdown.render(report)) > summary.SUMMARY_LIMIT  # so it had to leave out
    lines = text.splitlines()
    headings = [line for line in lines if line.startswith("#")]
    # what broke first: the counts, the cells not as declared, the broken claims by cause
    assert headings[:3] == [
        "## manylinux-harness: official profile",
        "### Not as declared",
        "### Broken claims, by cause",
    ]
    assert lines[2].startswith("16800 cells: ") and "**762 not as expected**" in lines[2]
    # it says what it left out, and where the whole report is
    assert lines[-1].startswith("Left out of this summary")
    assert f"the artifact `nightly-baseline` of [this run]({LINK})" in lines[-1]
    assert "- … 110 more, in the whole report" in text


def test_a_tight_limit_leaves_out_whole_matrices_and_names_them(
    nightly: results.RunRecord,
) -> None:
    report = build_report(nightly)
    limit = 300_000
    text = summary.render(report, pointer="The whole report: there.", limit=limit)
    assert _size(text) < limit
    tail = text.splitlines()[-1]
    assert "the x86_64 matrices (3360 cells)" in tail and tail.endswith("The whole report: there.")
    # a matrix is whole or absent: never a table cut in two
    for section in report.arches:
        blocks = markdown.arch_blocks(section)
        assert ("\n\n".join(blocks) in text) != (f"the {section.arch} matrices" in tail)
    # the reading order holds when everything fits as well
    assert text.index("### Not as declared") < text.index("### Broken claims, by cause")


def test_a_small_run_is_summarised_whole() -> None:
    rec = record(
        [
            cell("c@p", "debian-bullseye", Verdict.VIOLATION, as_expected=False, diagnosis="G"),
            cell("x@p", "debian-forky", Verdict.OK, declared="ok"),
        ]
    )
    report = build_report(rec)
    text = summary.render(report, pointer=summary.whole_report_pointer({}))
    assert "Left out" not in text
    # the whole results.md, then where the files are
    assert text == markdown.render(report).rstrip("\n") + "\n\n" + (
        "The whole report: `results.html` and `results.md`, beside `results.json`.\n"
    )


def test_publish_writes_the_summary_once(tmp_path: Path) -> None:
    rec = record([cell("c@p", "debian-bullseye", Verdict.ERROR, as_expected=False)])
    step_summary = tmp_path / "step_summary.md"
    environ = {**ON_GITHUB, SUMMARY_VARIABLE: str(step_summary)}
    publish(rec, tmp_path / "out", environ=environ, extra_markdown="### Gate\n\nno regression")
    text = step_summary.read_text(encoding="utf-8")
    assert text.count("## manylinux-harness: local profile") == 1
    assert text.index("### Not as declared") < text.index("### Gate") < text.index("### x86_64")
    assert text.rstrip().endswith(f"[this run]({LINK}).")
    assert (tmp_path / "out" / "results.md").read_text().count("## manylinux-harness") == 1


def test_the_test_session_never_writes_the_ci_summary() -> None:
    """tests/conftest.py drops the variable, so nothing a test runs (a CLI in a subprocess
    included) appends its report to the CI job's summary."""
    assert SUMMARY_VARIABLE not in os.environ
