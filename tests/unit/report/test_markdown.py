"""The Markdown renderer: results.md and the GitHub step summary. The matrices as tables
(distros by glibc, facts under the name), one captioned table per installer when there are
several, the notes with their code and bold, and a whole run rendered exactly as reviewed."""

from __future__ import annotations

import dataclasses
import gzip
from pathlib import Path

from harness.report import render_markdown
from harness.results import record as results
from harness.vocab.installer import Installer
from harness.vocab.toolchain import TOOLCHAIN
from harness.vocab.verdict import Verdict
from tests.helpers import DATA_DIR
from tests.helpers.factories import cell, record

DATA = DATA_DIR


def test_matrix_orders_distros_by_glibc_and_bolds_the_unexpected() -> None:
    rec = record(
        [
            cell("c_plain@manylinux_2_31", "debian-forky", Verdict.OK, declared="ok"),
            cell(
                "c_plain@manylinux_2_31",
                "debian-bullseye",
                Verdict.VIOLATION,
                as_expected=False,
                diagnosis="needs GLIBC_2.34, which this system lacks",
            ),
        ],
        interrupted=True,
    )
    text = render_markdown(rec)
    assert text.index("debian-bullseye<br>glibc 2.31 · py 3.9 · pip 20.3.4") < text.index(
        "debian-forky<br>"
    )
    assert "| c_plain@manylinux_2_31 | **❌ violation** | ✅ ok (declared) |" in text
    assert "— **not as expected**: needs GLIBC_2.34" in text
    assert "> **Interrupted**: the matrix holds only the cells measured before the stop." in text
    assert "- image `build:x:x86_64`: cannot pull r" in text
    assert "- build `b`: cibuildwheel exited with 1" in text
    assert text.startswith("## manylinux-harness: local profile\n\n")
    assert "1 cells" not in text and "2 cells: 1 ok, 1 violation (**1 not as expected**)" in text


def test_one_installer_needs_no_caption_several_are_captioned_distro_first() -> None:
    one = render_markdown(record([cell("a@p", "debian-bullseye", Verdict.OK)]))
    assert "own pip:" not in one and "pip latest:" not in one
    cells = [
        dataclasses.replace(
            cell("a@p", "debian-bullseye", Verdict.OK), installer=Installer.parse(installer)
        )
        for installer in ("latest", "19.0", "distro")
    ]
    text = render_markdown(record(cells))
    captions = [
        line for line in text.splitlines() if line.endswith("pip:") or line.startswith("pip ")
    ]
    assert captions == ["the distro's own pip:", "pip 19.0:", "pip latest:"]
    # each caption heads its own table
    assert text.count("| wheel(s) @ build image |") == 3


def test_explanations_are_grouped_per_row_naming_each_distro_once() -> None:
    cells = [
        cell(
            "x@p",
            d,
            Verdict.VIOLATION,
            declared="violation",
            diagnosis="library libffi.so.7 is not installed",
        )
        for d in ("debian-bookworm", "debian-forky")
    ]
    # the same outcome under another pip adds no distro to the line
    cells.append(dataclasses.replace(cells[0], installer=Installer.parse("latest")))
    lines = [
        line for line in render_markdown(record(cells)).splitlines() if line.startswith("- `x@p`")
    ]
    assert lines == [
        "- `x@p` on x86_64 debian-bookworm, debian-forky: violation (declared): library libffi.so.7 is not installed"
    ]


def test_an_unmeasured_build_image_keeps_the_table_rectangular() -> None:
    rec = dataclasses.replace(
        record([cell("a@p", "debian-bullseye", Verdict.OK)]),
        images={
            "build:manylinux_2_31:x86_64": {"reference": "r1", "facts": {"gcc": "10.2.1"}},
            "build:manylinux_2_36:x86_64": {"reference": "r2"},
        },
    )
    lines = render_markdown(rec).splitlines()
    start = lines.index("### Build images (measured)")
    header, rule, measured, unmeasured = lines[start + 2 : start + 6]
    assert header == "| build image | reference | " + " | ".join(TOOLCHAIN) + " |"
    assert rule == "|" + "---|" * (len(TOOLCHAIN) + 2)
    assert measured == "| manylinux_2_31 x86_64 | `r1` | 10.2.1 | " + " | ".join(["-"] * 6) + " |"
    assert unmeasured.startswith("| manylinux_2_36 x86_64 | `r2` | not measured |")
    assert all(line.count("|") == len(TOOLCHAIN) + 3 for line in (header, measured, unmeasured))


def test_sections_are_separated_by_one_blank_line() -> None:
    text = render_markdown(record([cell("a@p", "debian-bullseye", Verdict.ERROR)]))
    assert "\n\n\n" not in text and text.endswith("exited with 1\n")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "## manylinux-harness: local profile",
        "### x86_64",
        "### Cells explained",
        "### Distros (measured)",
        "### Could not prepare",
    ]


def test_a_whole_run_renders_as_reviewed(tmp_path: Path) -> None:
    """The x86_64 run of tests/data, rendered as results.md was reviewed when the report
    became one view model: any change to the Markdown shows here as a diff to look at."""
    full = tmp_path / "results.json"
    full.write_bytes(gzip.decompress((DATA / "x86_64-full-results.json.gz").read_bytes()))
    reviewed = (DATA / "x86_64-full-results.md").read_text(encoding="utf-8")
    assert render_markdown(results.load(full)) == reviewed
