from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from harness import report, results
from harness.errors import UsageError
from harness.verdict import Verdict


def cell(
    row: str,
    distro: str,
    verdict: Verdict,
    as_expected: bool = True,
    declared: str | None = None,
    diagnosis: str = "",
) -> results.CellRecord:
    expected = {"installable": verdict is not Verdict.REFUSED_AS_CLAIMED, "reason": "r"}
    if declared:
        expected["declared"] = declared
    return results.CellRecord(
        key=f"{row} | x86_64 | {distro} | pip=distro",
        test_id=f"{row}-{distro}",
        row=row,
        arch="x86_64",
        distro=distro,
        installer="distro",
        dlopen="default",
        members=(
            results.MemberRecord(
                "c_plain",
                "default",
                "sample",
                "manylinux_2_31-x86_64",
                "manylinux_2_31",
                ("w.whl",),
                "built",
            ),
        ),
        pip_version="23.0.1",
        emulated=False,
        expected=expected,
        observed={},
        verdict=verdict,
        explanation="because",
        diagnosis=diagnosis,
        as_expected=as_expected,
    )


def record(cells, interrupted: bool = False) -> results.RunRecord:
    return results.RunRecord(
        schema=results.SCHEMA_VERSION,
        harness_version="0",
        created="now",
        profile="local",
        selection={},
        host={},
        images={"build:x:x86_64": {"reference": "r", "error": "cannot pull r"}},
        builds={"b": {"status": "failed", "error": "cibuildwheel exited with 1"}},
        distros={
            "debian-bullseye-x86_64": {
                "facts": {"glibc": "2.31", "python_version": "3.9.2", "pip_version": "20.3.4"}
            },
            "debian-forky-x86_64": {
                "facts": {"glibc": "2.43", "python_version": "3.14.0", "pip_version": "26.2"}
            },
        },
        cells=tuple(cells),
        interrupted=interrupted,
    )


def test_roundtrip_and_summary(tmp_path: Path) -> None:
    rec = record(
        [
            cell("a@p", "debian-bullseye", Verdict.OK),
            cell("a@p", "debian-forky", Verdict.ERROR, as_expected=False),
        ]
    )
    results.save(rec, tmp_path)
    loaded = results.load(tmp_path)
    assert loaded.cells == rec.cells
    summary = json.loads((tmp_path / "results.json").read_text())["summary"]
    assert summary["ok"] == 1 and summary["error"] == 1 and summary["not_as_expected"] == 1


def test_other_schema_is_refused(tmp_path: Path) -> None:
    (tmp_path / "results.json").write_text(json.dumps({"schema": 99}))
    with pytest.raises(UsageError, match="schema 99"):
        results.load(tmp_path)


def test_cells_survive_a_crash_mid_line(tmp_path: Path) -> None:
    results.append_cell(tmp_path, "gw0", cell("a@p", "debian-bullseye", Verdict.OK))
    with open(tmp_path / results.CELLS_DIR / "gw0.jsonl", "a") as handle:
        handle.write('{"key": "cut sh')
    results.append_cell(tmp_path, "gw1", cell("a@p", "debian-forky", Verdict.OK))
    assert [c.distro for c in results.read_cells(tmp_path)] == ["debian-bullseye", "debian-forky"]
    results.reset(tmp_path)
    assert results.read_cells(tmp_path) == []


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


# -- provenance: what made a run ---------------------------------------------------------------

# A made-up environment: name -> (version, requirement strings); absent means not installed.
_METADATA: dict[str, tuple[str, list[str]]] = {
    "manylinux-harness": (
        "0.1.0",
        ["Docker[SSH]>=7.1", "pytest>=8", "never-met; sys_platform == 'nope'"],
    ),
    "docker": (
        "7.2.0",
        ["requests>=2", "paramiko>=2.4.3; extra == 'ssh'", "pywin32; extra == 'win'"],
    ),
    "requests": ("2.34.2", ["urllib3>=2", "PySocks; extra == 'socks'"]),
    "urllib3": ("2.8.0", []),
    "paramiko": ("5.1.0", ["bcrypt>=3", "requests"]),  # requests again: walked once
    "bcrypt": ("5.0.0", []),
    "pytest": ("9.1.1", ["pluggy", "not-installed-here", "pytest; extra == 'self'"]),
    "pluggy": ("1.7.0", []),
    "pywin32": ("311", []),  # installed, but only an extra nobody asked for requires it
}


def test_dependency_closure_follows_requested_extras_and_applicable_markers_only() -> None:
    from harness.provenance import dependency_closure

    found = dependency_closure(
        "manylinux_harness",
        lambda name: _METADATA[name][1] if name in _METADATA else None,
        lambda name: _METADATA[name][0] if name in _METADATA else None,
    )
    assert found == {
        "bcrypt": "5.0.0",
        "docker": "7.2.0",
        "manylinux-harness": "0.1.0",
        "paramiko": "5.1.0",  # docker[ssh] asked for it
        "pluggy": "1.7.0",
        "pytest": "9.1.1",
        "requests": "2.34.2",
        "urllib3": "2.8.0",
    }
    assert list(found) == sorted(found)


def test_host_dependencies_are_read_from_the_installed_distributions() -> None:
    from importlib.metadata import version

    from harness.provenance import host_dependencies

    found = host_dependencies()
    for name in (
        "manylinux-harness",
        "auditwheel",
        "cibuildwheel",
        "docker",
        "packaging",
        "pyelftools",
        "pytest",
        "pytest-xdist",
        "paramiko",  # through docker[ssh]
        "pluggy",  # through pytest: transitive
    ):
        assert found[name] == version(name), name


def test_record_carries_host_and_probe_dependencies(tmp_path: Path) -> None:
    rec = dataclasses.replace(
        record([cell("a@p", "debian-bullseye", Verdict.OK)]),
        host={"machine": "x86_64", results.HOST_DEPENDENCIES: {"auditwheel": "6.8.2"}},
        distros={
            "debian-bullseye-x86_64": {"facts": {"packaging_version": "25.0"}},
            "debian-forky-x86_64": {"facts": {"packaging_version": "25.0"}},
            "ubuntu-xenial-x86_64": {"facts": {"packaging_version": ""}},  # too old to import it
        },
    )
    results.save(rec, tmp_path)
    loaded = results.load(tmp_path)
    assert loaded.host_dependencies() == {"auditwheel": "6.8.2"}
    assert loaded.probe_dependencies() == {"packaging": {"25.0"}}
    # A record made before dependencies were recorded still loads; its provenance is unknown.
    old = record([cell("a@p", "debian-bullseye", Verdict.OK)])
    assert old.host_dependencies() is None
    assert old.probe_dependencies() == {}
