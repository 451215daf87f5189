"""The view model: what the report decides once for both renderers (order of columns, rows
and installer tables, the grouping of notes, the judgements of lint and minimum pip, which
facts show), tested on the model itself rather than on markup."""

from __future__ import annotations

import dataclasses

from harness.judge.cell import Expected
from harness.probe.observation import Observation
from harness.report import build_report
from harness.report.cell_detail import cell_details
from harness.report.cpp_lint import lint_match, lint_text
from harness.report.findings import build_images_table, differences
from harness.report.model import NOT_MEASURED, Text
from harness.vocab.toolchain import TOOLCHAIN
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, record

ROW = "c_plain@manylinux_2_31"


def on(installer: str, verdict: Verdict = Verdict.OK, distro: str = "debian-bullseye", **changes):
    return dataclasses.replace(cell(ROW, distro, verdict, installer=installer, **changes))


def test_columns_follow_measured_glibc_with_the_facts_beside_the_name() -> None:
    report = build_report(
        record([cell(ROW, d, Verdict.OK) for d in ("debian-forky", "debian-bullseye", "ubuntu-x")])
    )
    (section,) = report.arches
    # ubuntu-x has no measured facts: glibc unknown sorts first, and it shows no facts
    assert [c.name for c in section.distros] == ["ubuntu-x", "debian-bullseye", "debian-forky"]
    assert [c.facts for c in section.distros] == [
        "",
        "glibc 2.31 · py 3.9 · pip 20.3.4",
        "glibc 2.43 · py 3.14 · pip 26.2",
    ]


def test_one_installer_order_for_tables_and_filters() -> None:
    cells = [on(i) for i in ("latest", "20.3", "distro", "19.0", "9.0.1")]
    report = build_report(record(cells))
    in_order = ("distro", "9.0.1", "19.0", "20.3", "latest")  # versions compare as versions
    assert tuple(b.installer for b in report.arches[0].singles.blocks) == in_order
    assert [b.label for b in report.arches[0].singles.blocks][:2] == [
        "the distro's own pip",
        "pip 9.0.1",
    ]
    (installers,) = [f for f in report.filters if f.name == "installer"]
    assert installers.values == in_order


def test_rows_hold_one_cell_per_column_and_none_where_not_measured() -> None:
    cells = [cell(ROW, "debian-forky", Verdict.OK), cell("b@p", "debian-bullseye", Verdict.ERROR)]
    (section,) = build_report(record(cells)).arches
    (block,) = section.singles.blocks
    by_label = {row.label: row for row in block.rows}
    assert [c and c.distro for c in by_label[ROW].cells] == [None, "debian-forky"]
    assert [c and c.verdict for c in by_label["b@p"].cells] == [Verdict.ERROR, None]
    assert section.combinations is None


def test_combinations_get_their_own_matrix_with_order_dlopen_and_lint() -> None:
    first = cell(ROW, "debian-bullseye", Verdict.VIOLATION)
    members = (*first.members, dataclasses.replace(first.members[0], sample="other"))
    warned = {"warned": True, "members": {"other@p": ["exports-cxx-runtime"]}}
    combo = dataclasses.replace(first, row="two", members=members, dlopen="global", lint=warned)
    (section,) = build_report(record([cell(ROW, "debian-bullseye", Verdict.OK), combo])).arches
    assert section.combinations is not None
    assert section.combinations.title == "x86_64: several wheels in one process"
    (row,) = section.combinations.blocks[0].rows
    assert row.combination is not None
    assert row.combination.order == (
        "c_plain @ manylinux_2_31-x86_64",
        "other @ manylinux_2_31-x86_64",
    )
    assert row.combination.dlopen == "global"
    assert row.combination.lint == "⚠️ other@p: exports-cxx-runtime"
    assert row.combination.lint_against_observed == "warning confirmed (1/1 loaded cells broke)"
    assert [r.label for r in section.singles.blocks[0].rows] == [ROW]


def test_lint_beside_observation() -> None:
    warned = {
        "warned": True,
        "members": {"cpp[static]@p": ["exports-cxx-runtime"], "cpp[plain]@p": []},
    }
    broke = dataclasses.replace(
        cell("a + b", "d1", Verdict.VIOLATION, declared="violation"), lint=warned
    )
    held = dataclasses.replace(cell("a + b", "d2", Verdict.OK), lint=warned)
    refused = dataclasses.replace(cell("a + b", "d3", Verdict.REFUSED_AS_CLAIMED), lint=warned)
    assert lint_match([broke, held, refused]) == "warning confirmed (1/2 loaded cells broke)"
    assert lint_match([held, refused]) == "warning not triggered (1 loaded cells held)"
    clean_broke = dataclasses.replace(broke, lint={"warned": False, "members": {}})
    assert lint_match([clean_broke]) == "lint missed it (1 cells broke)"
    assert lint_match([held]) == "warning not triggered (1 loaded cells held)"
    assert lint_match([dataclasses.replace(held, lint={})]) == "consistent (clean, held)"
    assert lint_text(broke) == "⚠️ cpp[static]@p: exports-cxx-runtime"
    assert lint_text(clean_broke) == "clean"


def test_explained_picks_the_cells_worth_a_look_and_words_their_declaration() -> None:
    cells = [
        cell("ok@p", "debian-bullseye", Verdict.OK),  # nothing to say
        cell("refused@p", "debian-bullseye", Verdict.REFUSED_AS_CLAIMED),  # no diagnosis
        cell("forced@p", "debian-bullseye", Verdict.REFUSED_AS_CLAIMED, diagnosis="would crash"),
        dataclasses.replace(
            cell("v@p", "debian-bullseye", Verdict.VIOLATION, declared="violation"),
            expected=Expected.from_json({"declared": "violation", "declared_reason": "ungrafted"}),
        ),
        cell("e@p", "debian-forky", Verdict.ERROR, as_expected=False, declared="ok"),
    ]
    items = build_report(record(cells)).explained.items
    assert [item[0] for item in items] == [
        Text("e@p", "code"),
        Text("forced@p", "code"),
        Text("v@p", "code"),
    ]
    error, forced, violation = items
    assert error[1:] == (
        Text(" on x86_64 debian-forky: error (declared ok)"),
        Text(" — "),
        Text("not as expected", "strong"),
        Text(": because"),
    )
    assert all(t.style == "plain" for t in (*forced[1:], *violation[1:]))
    words = "".join(t.value for t in forced[1:])
    assert words == " on x86_64 debian-bullseye: refused-as-claimed: would crash"
    # the declared reason follows an outcome that is as declared
    words = "".join(t.value for t in violation[1:])
    assert words == " on x86_64 debian-bullseye: violation (declared): because — ungrafted"


def test_differences_between_architectures_are_listed_with_their_words() -> None:
    x86 = cell("glibc_control@manylinux_2_31", "debian-bullseye", Verdict.OK)
    arm = dataclasses.replace(
        cell("glibc_control@manylinux_2_31", "debian-bullseye", Verdict.REFUSED_AS_CLAIMED),
        arch="aarch64",
        explanation="refused: pip 19.0.3 does not know the wheel's tag family",
    )
    same = dataclasses.replace(cell(ROW, "debian-bullseye", Verdict.OK), arch="aarch64")
    notes = differences([x86, arm, same, cell(ROW, "debian-bullseye", Verdict.OK)])
    assert notes.title == "Differences between architectures"
    assert notes.items == (
        (
            Text("glibc_control@manylinux_2_31", "code"),
            Text(
                " on debian-bullseye: aarch64: refused-as-claimed "
                "(refused: pip 19.0.3 does not know the wheel's tag family); x86_64: ok"
            ),
        ),
    )  # c_plain agrees across arches: not listed
    assert differences([x86]).items == ()


def test_minimum_pip_compares_the_tag_history_with_what_pips_did() -> None:
    # A manylinux_2_34 tag: pip 20.3 is the first to know it.
    wheel = "c_plain-1.0-cp39-abi3-manylinux_2_34_x86_64.whl"
    members = (dataclasses.replace(cell(ROW, "d", Verdict.OK).members[0], wheels=(wheel,)),)

    def probed(installer: str, pip: str, decision: str, reason: str = "fits") -> object:
        return on(
            installer,
            members=members,
            pip_version=pip,
            observed=Observation.from_json({"install": {"decision": decision}}),
            expected={"reason": reason, "installer_too_old": "does not know" in reason},
        )

    agreeing = [
        probed("distro", "23.0.1", "accepted"),
        probed("20.3", "20.3.4", "accepted"),
        probed("19.3", "19.3.1", "refused", "pip 19.3.1 does not know the wheel's tag family"),
    ]
    (table,) = [s.minimum_pip for s in build_report(record(agreeing)).arches]
    assert table is not None and table.kind == "minimum-pip"
    (row,) = table.rows
    assert [c.content for c in row] == [
        (Text(ROW),),
        (Text("manylinux_2_34_x86_64"),),
        (Text("20.3"),),
        (Text("20.3.4"),),
        (Text("19.3.1"),),
        (Text("yes"),),
    ]
    # pip 19.3 installing it contradicts the history: judged, and emphasised
    contradicting = [*agreeing[:2], probed("19.3", "19.3.1", "accepted")]
    (table,) = [s.minimum_pip for s in build_report(record(contradicting)).arches]
    assert table is not None
    assert table.rows[0][3].content == (Text("19.3.1"),)
    assert table.rows[0][5].content == (Text("no", "strong"),)
    # with the distro's pip alone there is no pip axis to compare
    assert build_report(record(agreeing[:1])).arches[0].minimum_pip is None


def test_build_images_show_the_toolchain_then_any_other_fact() -> None:
    table = build_images_table(
        {
            "build:a:x86_64": {"reference": "ra", "facts": {"gcc": "14.2.0", "cmake": "3.31"}},
            "build:b:x86_64": {"reference": "rb", "facts": {}},
            "build:c:x86_64": {"reference": "rc", "error": "cannot pull"},
            "distro:d:x86_64": {"reference": "rd", "facts": {"glibc": "2.41"}},
        }
    )
    assert table.header == ("build image", "reference", *TOOLCHAIN, "cmake")
    measured, unmeasured = table.rows  # c could not be prepared, d is no build image
    assert [c.content[0].value for c in measured] == ["a x86_64", "ra", "14.2.0"] + ["-"] * 6 + [
        "3.31"
    ]
    assert measured[1].content == (Text("ra", "code"),)
    assert unmeasured[2].content == (Text(NOT_MEASURED),)
    assert unmeasured[2].columns == len(TOOLCHAIN) + 1


def test_not_prepared_and_not_probed() -> None:
    rec = dataclasses.replace(record([]), skipped={"x-x86_64 with pip 19.0": "needs distutils"})
    report = build_report(rec)
    assert report.not_prepared.items == (
        (Text("image "), Text("build:x:x86_64", "code"), Text(": cannot pull r")),
        (Text("build "), Text("b", "code"), Text(": cibuildwheel exited with 1")),
    )
    assert report.not_probed.items == (
        (Text("x-x86_64 with pip 19.0", "code"), Text(": needs distutils")),
    )
    assert report.arches == ()


def test_counts_name_every_verdict_zeros_included() -> None:
    cells = [cell(ROW, "d1", Verdict.OK), cell(ROW, "d2", Verdict.ERROR, as_expected=False)]
    counts = build_report(record(cells)).counts
    assert (counts.cells, counts.as_expected, counts.not_as_expected) == (2, 1, 1)
    assert [(c.verdict, c.count) for c in counts.verdicts] == [
        (v, {Verdict.OK: 1, Verdict.ERROR: 1}.get(v, 0)) for v in Verdict
    ]


def test_cell_details_leave_out_what_was_not_observed() -> None:
    refused = dataclasses.replace(
        cell(ROW, "debian-bullseye", Verdict.REFUSED_AS_CLAIMED),
        observed=Observation.from_json(
            {"install": {"decision": "refused", "exit_code": 0, "output": "no", "seconds": 1.5}}
        ),
    )
    parts = {part.title: part for part in cell_details(refused)}
    assert list(parts) == ["verdict", "expected", "observed: install", "wheels", "run"]
    install = parts["observed: install"]
    # 0 is said, an empty reason or pip version is not
    assert install.fields == (("decision", "refused"), ("exit code", "0"), ("seconds", "1.5"))
    assert install.output == "no"
    assert parts["expected"].fields == (("installable", "no"), ("reason", "r"))
    assert parts["wheels"].items == (
        "c_plain @ manylinux_2_31-x86_64 (sample, policy manylinux_2_31, build built): "
        "c_plain-1.0-cp39-abi3-manylinux_2_31_x86_64.whl",
    )


def test_the_matrix_names_the_declared_verdict_it_missed() -> None:
    """Issue 14, case 9: "error (declared ok)", not "error (declared)"."""
    from harness.report.model import MatrixCell

    def shown(verdict: Verdict, declared: str) -> str:
        return MatrixCell("k", "d", verdict, declared, True, ()).text

    assert shown(Verdict.ERROR, "ok").endswith("error (declared ok)")
    assert shown(Verdict.OK, "ok").endswith("ok (declared)")
    assert shown(Verdict.OK, "").endswith(" ok")
