"""The report's distro x policy table (harness.report.offers): what each measured distro offers
each policy, and the whitelisted libraries each lacks, in the model and both renderers."""

from __future__ import annotations

import dataclasses

from harness.report import build_report, render_html
from harness.report import render_markdown as report_markdown
from harness.results.record import RunRecord
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, member, record

SONAMES = ["libc.so.6", "libstdc++.so.6"]


def _with_libraries(run: RunRecord) -> RunRecord:
    """The run with libc and libstdc++ measured in every distro (the rest of the whitelist
    absent): the fixtures predate the measured sonames."""
    distros = {
        key: {**entry, "facts": {**entry["facts"], "sonames": SONAMES}}
        for key, entry in run.distros.items()
    }
    return dataclasses.replace(run, distros=distros)


def test_report_model_and_renderers_carry_the_distro_x_policy_table() -> None:
    run = _with_libraries(record([cell("c_plain@manylinux_2_31", "debian-bullseye", Verdict.OK)]))
    report = build_report(run)
    assert report.offers.kind == "distro-offers"
    header = report.offers.header
    assert header[:2] == ("distro", "arch") and "manylinux2014" in header
    first = report.offers.rows[0]
    assert first[0].content[0].value == "debian-bullseye"
    # the fixture's distros carry libc and libstdc++ only: the rest of the whitelist is absent
    assert "lacks" in first[2].content[0].value
    assert any("libX11.so.6" in t.value for item in report.offers_absent.items for t in item)
    md = report_markdown(run)
    assert "### What each distro offers each policy" in md
    assert "### Whitelisted libraries the distros lack" in md
    assert '<table class="distro-offers">' in render_html(run)


def test_a_musl_distro_is_offered_the_musllinux_policy_and_nothing_of_glibcs() -> None:
    """A run with a musllinux build image: its policy gets a column after the manylinux ones;
    the musl distro (a row after the glibc ones) is offered libc and libz, and no manylinux
    policy; the glibc distros no musllinux one. The facts table shows its musl."""
    run = _with_libraries(
        record(
            [
                cell("c_plain@manylinux_2_31", "debian-bullseye", Verdict.OK),
                cell(
                    "c_plain@musllinux_1_2",
                    "musl-1.2",
                    Verdict.OK,
                    members=(member("musllinux_1_2"),),
                ),
            ]
        )
    )
    musl_facts = {
        "glibc": None,
        "musl": "1.2.3",
        "python_version": "3.11.2",
        "pip_version": "23.0.1",
        "sonames": ["ld-musl-x86_64.so.1", "libc.musl-x86_64.so.1", "libz.so.1"],
    }
    run = dataclasses.replace(
        run,
        distros={
            **run.distros,
            "musl-1.2-x86_64": {"name": "musl-1.2", "arch": "x86_64", "facts": musl_facts},
        },
    )
    report = build_report(run)
    header = report.offers.header
    assert header[-1] == "musllinux_1_2" and "manylinux2014" in header
    rows = {r[0].content[0].value: [c.content[0].value for c in r[2:]] for r in report.offers.rows}
    assert list(rows)[-1] == "musl-1.2"
    assert rows["musl-1.2"][-1] == "satisfied"
    assert set(rows["musl-1.2"][:-1]) == {"not for musl"}
    assert rows["debian-bullseye"][-1] == "not for glibc"
    md = report_markdown(run)
    assert "none (musl 1.2.3)" in md and "musl 1.2.3 · py 3.11 · pip 23.0.1" in md
