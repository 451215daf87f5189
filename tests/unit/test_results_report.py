from __future__ import annotations

import dataclasses

from harness import report
from harness.verdict import Verdict
from tests.factories import cell, record


def test_markdown_matrix() -> None:
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
    text = report.render_markdown(rec)
    # distros ordered by measured glibc, with their facts in the header
    assert text.index("debian-bullseye<br>glibc 2.31 · py 3.9 · pip 20.3.4") < text.index(
        "debian-forky<br>"
    )
    assert "| c_plain@manylinux_2_31 | **❌ violation** | ✅ ok (declared) |" in text
    assert "not as expected**: needs GLIBC_2.34" in text
    assert "**Interrupted**" in text
    assert "image `build:x:x86_64`: cannot pull r" in text
    assert "build `b`: cibuildwheel exited with 1" in text


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
    assert report.lint_match([broke, held, refused]) == "warning confirmed (1/2 loaded cells broke)"
    assert report.lint_match([held, refused]) == "warning not triggered (1 loaded cells held)"
    clean_broke = dataclasses.replace(broke, lint={"warned": False, "members": {}})
    assert report.lint_match([clean_broke]) == "lint missed it (1 cells broke)"
    assert report.lint_text(broke) == "⚠️ cpp[static]@p: exports-cxx-runtime"
    assert report.lint_text(clean_broke) == "clean"


def test_explanations_are_grouped_per_row() -> None:
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
    text = report.render_markdown(record(cells))
    lines = [line for line in text.splitlines() if line.startswith("- `x@p`")]
    assert lines == [
        "- `x@p` on x86_64 debian-bookworm, debian-forky: violation (declared): library libffi.so.7 is not installed"
    ]


def test_differences_between_architectures_are_listed_with_their_words() -> None:
    import dataclasses

    from harness.report import arch_differences

    x86 = cell("glibc_control@manylinux_2_31", "debian-bullseye", Verdict.OK)
    arm = dataclasses.replace(
        cell(
            "glibc_control@manylinux_2_31",
            "debian-bullseye",
            Verdict.REFUSED_AS_CLAIMED,
        ),
        arch="aarch64",
        explanation="refused: pip 19.0.3 does not know the wheel's tag family",
    )
    same = dataclasses.replace(
        cell("c_plain@manylinux_2_31", "debian-bullseye", Verdict.OK), arch="aarch64"
    )
    lines = arch_differences(
        [x86, arm, same, cell("c_plain@manylinux_2_31", "debian-bullseye", Verdict.OK)]
    )
    assert lines[0] == "### Differences between architectures"
    assert lines[2] == (
        "- `glibc_control@manylinux_2_31` on debian-bullseye: aarch64: refused-as-claimed "
        "(refused: pip 19.0.3 does not know the wheel's tag family); x86_64: ok"
    )
    assert len(lines) == 4  # c_plain agrees across arches: not listed
    assert arch_differences([x86]) == []
