"""The report's distro x policy table (harness.report.offers): what each measured distro offers
each policy, and the whitelisted libraries each lacks, in the model and both renderers."""

from __future__ import annotations

import dataclasses

from harness.report import build_report, render_html
from harness.report import render_markdown as report_markdown
from harness.results.record import RunRecord
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, record

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
