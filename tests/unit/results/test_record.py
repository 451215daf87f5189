"""results.json: saving and loading a run's record, cells surviving a crash, and the
provenance a record carries (host and probe dependencies)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.results import record as results
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, record


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
    from harness.util.provenance import dependency_closure

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

    from harness.util.provenance import host_dependencies

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


def test_reset_keeps_the_record_until_the_new_one_replaces_it(tmp_path: Path) -> None:
    """Issue 14, case 8: no stale junit.xml (or results.html) beside a new run's results; and
    issue 24: the earlier record stays until the new one is written whole (a run that fails
    halfway costs no record)."""
    from harness.report.publish import publish

    for name in results.OUTPUTS:
        (tmp_path / name).write_text("old")
    results.append_cell(tmp_path, "gw0", cell("old@p", "debian-bullseye", Verdict.OK))
    results.reset(tmp_path)
    assert not (tmp_path / "junit.xml").exists()  # pytest writes the new one, verify none
    assert not list((tmp_path / results.CELLS_DIR).iterdir())  # the journal is the new run's
    kept = [n for n in results.OUTPUTS if n != "junit.xml"]
    assert all((tmp_path / name).read_text() == "old" for name in kept)
    publish(record([cell("new@p", "debian-bullseye", Verdict.OK)]), tmp_path, environ={})
    assert all((tmp_path / name).read_text() != "old" for name in kept)
    assert [c.row for c in results.load(tmp_path).cells] == ["new@p"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*kept, results.CELLS_DIR])
