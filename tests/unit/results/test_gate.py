"""The regression gate, candidate images and merging runs: pure logic on records."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness import cli
from harness.catalog.model import default_catalog
from harness.catalog.samples import default_samples_dir, discover
from harness.errors import UsageError
from harness.images.candidate import CandidateImage, identity
from harness.matrix.plan import Selection, make_plan
from harness.results import gate
from harness.results import record as results
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, record

LIBCRYPT = "libcrypt[grafted]@manylinux_2_31"
NOLIBCRYPT = "debian-trixie-nolibcrypt"


def _baseline() -> results.RunRecord:
    return record(
        [
            cell(LIBCRYPT, NOLIBCRYPT, Verdict.OK),
            cell(LIBCRYPT, "debian-trixie", Verdict.OK),
            cell("glibc_control@manylinux_2_36", "debian-bullseye", Verdict.REFUSED_AS_CLAIMED),
            cell("c_plain@manylinux_2_31", "debian-forky", Verdict.ERROR, as_expected=False),
        ]
    )


def test_identical_runs_pass() -> None:
    outcome = gate.compare(_baseline(), _baseline())
    assert outcome.passed and outcome.unchanged == 4 and outcome.compared == 4
    assert gate.headline(outcome).startswith("gate passed")


def test_a_cell_that_held_and_broke_fails_the_gate_with_its_diagnosis() -> None:
    broken = cell(
        LIBCRYPT,
        NOLIBCRYPT,
        Verdict.VIOLATION,
        as_expected=False,
        diagnosis="libcrypt.so.1: cannot open shared object file",
    )
    candidate = record([broken, *_baseline().cells[1:]])
    outcome = gate.compare(_baseline(), candidate)
    assert not outcome.passed
    assert [p.identity for p in outcome.regressions] == [
        f"{LIBCRYPT} | x86_64 | {NOLIBCRYPT} | pip=distro"
    ]
    text = gate.render_text(outcome)
    assert "gate FAILED: 1 of 4" in text and "libcrypt.so.1: cannot open" in text
    assert "| **violation** |" in gate.render_markdown(outcome)


def test_error_where_the_baseline_had_a_verdict_regresses_and_error_to_verdict_improves() -> None:
    candidate = record(
        [
            cell(LIBCRYPT, NOLIBCRYPT, Verdict.OK),
            cell(LIBCRYPT, "debian-trixie", Verdict.ERROR, as_expected=False),
            cell("glibc_control@manylinux_2_36", "debian-bullseye", Verdict.REFUSED_AS_CLAIMED),
            cell("c_plain@manylinux_2_31", "debian-forky", Verdict.OK),
        ]
    )
    outcome = gate.compare(_baseline(), candidate)
    assert [p.identity.split(" | ")[2] for p in outcome.regressions] == ["debian-trixie"]
    assert [p.identity.split(" | ")[0] for p in outcome.improvements] == ["c_plain@manylinux_2_31"]


def test_a_control_no_longer_caught_regresses() -> None:
    caught = cell(
        "ffi_control@manylinux_2_31", "debian-trixie", Verdict.VIOLATION, declared="violation"
    )
    missed = cell(
        "ffi_control@manylinux_2_31",
        "debian-trixie",
        Verdict.OK,
        as_expected=False,
        declared="violation",
    )
    assert not gate.compare(record([caught]), record([missed])).passed


def test_one_sided_cells_are_listed_and_do_not_fail() -> None:
    candidate = record(
        [*_baseline().cells[:3], cell("new@manylinux_2_41", "debian-forky", Verdict.OK)]
    )
    outcome = gate.compare(_baseline(), candidate)
    assert outcome.passed
    assert [p.identity.split(" | ")[0] for p in outcome.only_candidate] == ["new@manylinux_2_41"]
    assert [p.identity.split(" | ")[0] for p in outcome.only_baseline] == ["c_plain@manylinux_2_31"]


def test_baseline_cells_outside_the_candidates_scope_are_counted_not_listed() -> None:
    aarch64 = dataclasses.replace(
        cell("c_plain@manylinux_2_31", "debian-bullseye", Verdict.OK),
        key="c_plain@manylinux_2_31 | aarch64 | debian-bullseye | pip=distro",
        arch="aarch64",
    )
    outcome = gate.compare(record([*_baseline().cells, aarch64]), _baseline())
    assert outcome.passed and outcome.out_of_scope == 1 and not outcome.only_baseline


def _as_candidate(c: results.CellRecord, verdict: Verdict, as_expected: bool) -> results.CellRecord:
    marked = c.row.replace("@manylinux_2_31", "@manylinux_2_31~candidate")
    return dataclasses.replace(
        c, key=c.key.replace(c.row, marked), row=marked, verdict=verdict, as_expected=as_expected
    )


def test_candidate_image_cells_stand_in_for_the_current_images_cells() -> None:
    base = _baseline()
    broken = _as_candidate(base.cells[0], Verdict.VIOLATION, as_expected=False)
    same = _as_candidate(base.cells[1], Verdict.OK, as_expected=True)
    run_with_candidate = record([*base.cells, broken, same])
    assert identity(broken.key) == base.cells[0].key
    # against a separate baseline run, and within the one run (its current-image cells)
    for outcome in (
        gate.compare(base, run_with_candidate),
        gate.compare(run_with_candidate, run_with_candidate),
    ):
        assert [p.identity for p in outcome.regressions] == [base.cells[0].key]
        assert not outcome.only_candidate
    healthy = record([*base.cells, _as_candidate(base.cells[0], Verdict.OK, True), same])
    assert gate.compare(healthy, healthy).passed


def test_gate_command_exit_status_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results.save(_baseline(), tmp_path / "base")
    broken = cell(LIBCRYPT, NOLIBCRYPT, Verdict.VIOLATION, as_expected=False)
    results.save(record([broken, *_baseline().cells[1:]]), tmp_path / "cand")
    same = ["gate", "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "base")]
    assert cli.main(same) == 0
    markdown = tmp_path / "gate.md"
    worse = ["gate", "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand")]
    assert cli.main([*worse, "--markdown", str(markdown)]) == 1
    assert NOLIBCRYPT in markdown.read_text() and "gate FAILED" in capsys.readouterr().out
    assert cli.main(["gate", "--baseline", str(tmp_path / "missing.json")]) == 2


def test_merge_unions_legs(tmp_path: Path) -> None:
    leg1 = record(_baseline().cells[:2])
    aarch64 = dataclasses.replace(
        cell("c_plain@manylinux_2_31", "debian-bullseye", Verdict.OK),
        key="c_plain@manylinux_2_31 | aarch64 | debian-bullseye | pip=distro",
        arch="aarch64",
    )
    leg2 = dataclasses.replace(record([aarch64]), selection={"arches": ["aarch64"]})
    merged = results.merge([leg1, leg2])
    assert len(merged.cells) == 3 and merged.selection["arches"] == ["aarch64"]
    for index, leg in enumerate((leg1, leg2)):
        results.save(leg, tmp_path / f"leg{index}")
    out = tmp_path / "merged"
    assert (
        cli.main(["merge", "--output", str(out), str(tmp_path / "leg0"), str(tmp_path / "leg1")])
        == 0
    )
    assert len(results.load(out).cells) == 3
    assert (out / "results.md").is_file() and (out / "results.html").is_file()
    with pytest.raises(UsageError):
        results.merge([])


def test_candidate_image_mirrors_the_replaced_images_cells() -> None:
    samples = [
        s for s in discover(default_samples_dir()) if s.name in ("libcrypt", "cpp_static_locals")
    ]
    candidate = CandidateImage.parse("2_31:x86_64=example/manylinux_2_31:candidate")
    plain = make_plan(Selection("local", arches=("x86_64",)), default_catalog(), samples)
    plan = make_plan(
        Selection("local", arches=("x86_64",), candidates=(candidate,)), default_catalog(), samples
    )
    extra = [c for c in plan.cells if "~candidate" in c.key]
    uses_current = [
        c for c in plain.cells if any(m.build_image.policy == "manylinux_2_31" for m in c.members)
    ]
    assert len(extra) == len(uses_current) and len(plan.cells) == len(plain.cells) + len(extra)
    assert {identity(c.key) for c in extra} == {c.key for c in uses_current}
    image = next(b for b in plan.build_images if "~candidate" in b.display_policy)
    assert image.image.tag == "example/manylinux_2_31:candidate" and not image.image.steps
    assert len({b.key for b in plan.builds}) == len(plan.builds)
    # combinations pair the candidate's wheel with the other, unchanged image's wheel
    assert any("manylinux_2_31~candidate" in c.row and "manylinux_2_41" in c.row for c in extra)
    with pytest.raises(UsageError, match="POLICY:ARCH=IMAGE"):
        CandidateImage.parse("manylinux_2_31=img")
    with pytest.raises(UsageError, match="no such build image"):
        make_plan(
            Selection(
                "local", arches=("x86_64",), candidates=(CandidateImage.parse("2014:x86_64=i"),)
            ),
            default_catalog(),
            samples,
        )


def _made_with(
    rec: results.RunRecord, probe_packaging: str = "25.0", **versions: str
) -> results.RunRecord:
    """The record as if made with these host-side versions and this packaging in the probes."""
    deps = {"manylinux-harness": "0.1.0", "auditwheel": "6.8.2", "cibuildwheel": "4.3.3"}
    deps.update({name.replace("_", "-"): v for name, v in versions.items()})
    distros = {
        key: {**entry, "facts": {**entry["facts"], "packaging_version": probe_packaging}}
        for key, entry in rec.distros.items()
    }
    return dataclasses.replace(
        rec,
        harness_version=deps["manylinux-harness"],
        host={results.HOST_DEPENDENCIES: deps},
        distros=distros,
    )


def test_same_dependencies_give_no_warning() -> None:
    outcome = gate.compare(_made_with(_baseline()), _made_with(_baseline()))
    assert outcome.warnings == () and outcome.passed
    assert "warning" not in gate.render_text(outcome) + gate.render_markdown(outcome)


def test_different_dependencies_warn_naming_both_versions_and_change_no_verdict() -> None:
    base = _made_with(_baseline())
    cand = _made_with(_baseline(), probe_packaging="26.4", cibuildwheel="4.3.5", paramiko="5.1.0")
    outcome = gate.compare(base, cand)
    assert outcome.passed and outcome == dataclasses.replace(
        gate.compare(base, base), warnings=outcome.warnings
    )
    assert outcome.warnings == (
        "warning: baseline and candidate were made with different dependencies: "
        "cibuildwheel 4.3.3 -> 4.3.5, paramiko (absent) -> 5.1.0, packaging (probe) 25.0 -> 26.4 "
        "(verdicts may differ for that reason)",
    )
    text = gate.render_text(outcome)
    assert text.splitlines()[1] == outcome.warnings[0]
    assert "> ⚠️ warning: baseline and candidate" in gate.render_markdown(outcome)
    # The harness itself is named first; a failing gate still fails, and only on its cells.
    newer = _made_with(_baseline(), manylinux_harness="0.2.0")
    broken = dataclasses.replace(
        newer,
        cells=(cell(LIBCRYPT, NOLIBCRYPT, Verdict.VIOLATION, as_expected=False), *newer.cells[1:]),
    )
    failed = gate.compare(base, broken)
    assert not failed.passed and len(failed.regressions) == 1
    assert "dependencies: manylinux-harness 0.1.0 -> 0.2.0 (verdicts" in failed.warnings[0]


def test_a_record_without_dependencies_has_unknown_provenance_said_once() -> None:
    old = dataclasses.replace(_made_with(_baseline()), host={})
    outcome = gate.compare(old, _made_with(_baseline()))
    assert outcome.passed
    assert outcome.warnings == (
        "warning: the baseline does not record the dependency versions it was made with "
        "(an older record): its provenance is unknown (verdicts may differ for that reason)",
    )
    both = gate.compare(old, dataclasses.replace(old, created="later"))
    assert len(both.warnings) == 1 and "provenance of both is unknown" in both.warnings[0]
    # The harness version every record has is still compared.
    newer = _made_with(_baseline(), manylinux_harness="0.2.0")
    warning = gate.compare(old, newer).warnings[0]
    assert warning.startswith(
        "warning: baseline and candidate were made with different dependencies: "
        "manylinux-harness 0.1.0 -> 0.2.0 ("
    )


def test_gate_command_prints_the_warning_and_keeps_its_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results.save(_made_with(_baseline()), tmp_path / "base")
    results.save(_made_with(_baseline(), packaging="26.4"), tmp_path / "cand")
    args = ["gate", "--baseline", str(tmp_path / "base"), "--candidate", str(tmp_path / "cand")]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "different dependencies: packaging (absent) -> 26.4 (verdicts" in out
    # One run gated against itself has one provenance: nothing to warn about.
    assert cli.main(["gate", "--baseline", str(tmp_path / "base")]) == 0
    assert "warning" not in capsys.readouterr().out
