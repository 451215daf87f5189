"""The selection axis in the report: per offer the wheel each installer picked on each
distro (a departure from tag priority and a wrong pick stand out), and per offered wheel
what it buys (the distros that get it) and what it costs (installers that never pick it
where it fits); both renderers show them, and offer cells stay out of the other matrices."""

from __future__ import annotations

import dataclasses

from harness.judge.selection import Pick
from harness.report import render_markdown
from harness.report.build import build_report
from harness.report.html import render as render_html
from harness.report.selection import pick_tables, wheel_labels, worth_table
from harness.results.record import MemberRecord
from harness.vocab.installer import Installer
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, record

V3 = "p-1.0-1-cp39-abi3-manylinux_2_17_x86_64.whl"
BASE = "p-1.0-cp39-abi3-manylinux_2_17_x86_64.whl"
ROW = "offer p: cpu-levels (p@manylinux_2_41 | p[baseline]@manylinux_2_41)"
DISTROS = ["debian-bullseye", "debian-forky"]


def offered(distro: str, installer: str, picked: str, verdict: Verdict = Verdict.OK, **more):
    members = (
        MemberRecord(
            "p", "default", "control", "manylinux_2_41-x86_64", "manylinux_2_41", (V3,), "built"
        ),
        MemberRecord(
            "p", "baseline", "sample", "manylinux_2_41-x86_64", "manylinux_2_41", (BASE,), "built"
        ),
    )
    cpu = more.get("cpu", "host")
    row = ROW if cpu == "host" else f"{ROW} [cpu {cpu}]"
    made = cell(row, distro, verdict, installer=installer, members=members, **more)
    pick = Pick(
        "p: cpu-levels", (V3, BASE), (V3,), "cp39-abi3-manylinux_2_17_x86_64", picked, (V3, BASE)
    )
    return dataclasses.replace(made, key=f"{made.key}-{made.cpu}", selection=pick)


CELLS = [
    offered("debian-bullseye", "distro", V3),
    offered("debian-bullseye", "uv-0.1", BASE),
    offered("debian-forky", "distro", V3),
    offered("debian-forky", "uv-0.1", BASE),
    offered("debian-forky", "distro", V3, Verdict.VIOLATION, cpu="x86-64-v2"),
]


def texts(table) -> list[list[str]]:
    return [["".join(part.value for part in c.content) for c in row] for row in table.rows]


def test_wheels_are_named_by_what_sets_them_apart() -> None:
    assert wheel_labels([V3, BASE]) == {V3: "build 1", BASE: "no build tag"}
    old = "q-1.0-cp39-abi3-manylinux1_x86_64.manylinux_2_31_x86_64.whl"
    new = "q-1.0-cp39-abi3-manylinux1_x86_64.manylinux_2_41_x86_64.whl"
    cp = "q-1.0-cp311-cp311-manylinux1_x86_64.manylinux_2_31_x86_64.whl"
    assert wheel_labels([old, new]) == {old: "manylinux_2_31", new: "manylinux_2_41"}
    assert wheel_labels([old, cp]) == {old: "cp39-abi3", cp: "cp311-cp311"}
    both = "q-1.0-cp311-cp311-manylinux1_x86_64.manylinux_2_41_x86_64.whl"
    assert wheel_labels([old, both]) == {
        old: "cp39-abi3 manylinux_2_31",
        both: "cp311-cp311 manylinux_2_41",
    }


def test_the_wheel_each_installer_picked_per_distro_and_cpu() -> None:
    (table,) = pick_tables(CELLS, "x86_64", DISTROS)
    assert table.header == ("distro", "the distro's own pip", "uv 0.1")
    assert "differ only by the build tag" in table.title and "on every CPU" in table.title
    assert texts(table) == [
        ["debian-bullseye", "build 1", "no build tag (tag priority: build 1)"],
        ["debian-forky", "build 1", "no build tag (tag priority: build 1)"],
        ["debian-forky [cpu x86-64-v2]", "build 1: violation", "-"],
    ]
    styles = [part.style for c in table.rows[0] for part in c.content]
    assert styles == ["plain", "plain", "strong"]  # a departure from tag priority stands out


def test_what_each_offered_wheel_buys_and_costs() -> None:
    table = worth_table(CELLS, "x86_64", DISTROS)
    assert table is not None
    v3, base = texts(table)
    assert v3[1:] == [
        "p @ manylinux_2_41-x86_64",
        "build 1",
        "debian-bullseye (the distro's own pip); debian-forky (the distro's own pip)",
        "uv 0.1",
        "ok in 2 cells, violation in 1 cell",
    ]
    assert base[3:5] == [
        "debian-bullseye (uv 0.1); debian-forky (uv 0.1)",
        "the distro's own pip",
    ]


def test_both_reports_show_the_offers_apart_from_the_other_matrices() -> None:
    single = cell("c_plain@manylinux_2_31", "debian-bullseye", Verdict.OK)
    run = record([single, *CELLS])
    report = build_report(run)
    (section,) = report.arches
    assert all(not r.label.startswith("offer") for b in section.singles.blocks for r in b.rows)
    assert section.combinations is None
    assert section.offers is not None
    labels = {r.label for b in section.offers.blocks for r in b.rows}
    assert labels == {ROW, f"{ROW} [cpu x86-64-v2]"}
    markdown = render_markdown(run)
    assert "what each one buys and costs" in markdown
    assert "| debian-bullseye | build 1 | **no build tag (tag priority: build 1)** |" in markdown
    html = render_html(report)
    assert 'class="offer-worth"' in html and 'class="offer-picks"' in html
    assert Installer.parse("uv-0.1").title in html
