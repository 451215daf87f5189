"""The one builder of records, which session (the matrix) and verify share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import __version__
from harness.catalog.registry_mirrors import parse_mirrors
from harness.catalog.samples import ExpectRule
from harness.errors import ExitCode
from harness.judge.expectation import Expectation
from harness.judge.verdict import decide
from harness.probe.observation import Observation
from harness.results import builder as records
from harness.results import record as results
from harness.settings import Settings
from harness.vocab.installer import Installer
from harness.vocab.verdict import Verdict

PLACE = records.CellPlace(
    "k", "t", "row", "x86_64", "debian-bookworm", Installer.parse("distro"), "default"
)
INSPECTIONS: dict[str, dict[str, Any]] = {
    "a.whl": {
        "policy_problems": ["needs GLIBC_2.34"],
        "lint": [{"kind": "static-libstdcxx"}, {"kind": "not-a-warning"}],
    },
    "b.whl": {"lint": [{"kind": "static-libstdcxx"}]},
}


class FakeEngine:
    def __init__(self, info: dict[str, Any] | None) -> None:
        self.info = info

    def version(self) -> dict[str, Any]:
        if self.info is None:
            raise OSError("gone")
        return self.info


def test_expected_of_names_the_policy_problems_of_the_cells_wheels() -> None:
    expectation = Expectation(True, "fits", ("cp311-cp311-manylinux_2_17_x86_64",))
    expected = records.expected_of(expectation, ["a.whl", "c.whl"], INSPECTIONS)
    assert expected == {
        "installable": True,
        "reason": "fits",
        "matching_tags": ["cp311-cp311-manylinux_2_17_x86_64"],
        "policy_problems": ["needs GLIBC_2.34"],
    }


def test_lint_of_takes_every_wheel_of_a_member(monkeypatch) -> None:
    monkeypatch.setattr(records, "WARNING_KINDS", frozenset({"static-libstdcxx"}))
    lint = records.lint_of({"one": ["a.whl", "b.whl"], "two": ["c.whl"]}, INSPECTIONS)
    assert lint == {"warned": True, "members": {"one": ["static-libstdcxx"], "two": []}}


def test_a_declared_verdict_decides_as_expected() -> None:
    observation = Observation.failure("no engine")
    measured = records.Measured(
        {"installable": False}, observation, decide(False, observation), None
    )
    held = ExpectRule(Verdict.ERROR, {}, "declared for the test")
    record = records.cell_record(
        PLACE, (), measured, declared=held, lint={}, emulated=False, worker="gw0"
    )
    assert record.expected["declared"] == "error" and record.as_expected
    assert record.expected["declared_reason"] == "declared for the test"
    undeclared = records.cell_record(
        PLACE, (), measured, declared=None, lint={}, emulated=False, worker="gw0"
    )
    assert not undeclared.as_expected and "declared" not in undeclared.expected
    assert undeclared.pip_version == "" and undeclared.worker == "gw0"


def test_host_facts_carry_every_tool_and_the_engines_that_answer() -> None:
    engines = {
        "": FakeEngine({"Version": "27.0", "ApiVersion": "1.47"}),
        "ssh://x": FakeEngine(None),
    }
    facts = records.host_facts(Settings(host="x86_64"), engines)  # type: ignore[arg-type]
    assert list(facts)[:4] == ["machine", "cibuildwheel", "auditwheel", "packaging"]
    assert facts["machine"] == "x86_64"
    assert facts["engines"] == {"default": {"version": "27.0", "api": "1.47"}}
    assert results.HOST_DEPENDENCIES in facts
    assert facts["registry_mirrors"] == {} and facts["catalogs"] == []


def test_host_facts_record_the_image_sources(tmp_path: Path) -> None:
    settings = Settings(
        host="x86_64",
        registry_mirrors=parse_mirrors(["quay.io=http://127.0.0.1:5000/quay"]),
        catalogs=(tmp_path / "team.toml",),
    )
    facts = records.host_facts(settings, {})
    assert facts["registry_mirrors"] == {"quay.io": "http://127.0.0.1:5000/quay"}
    assert facts["catalogs"] == [str((tmp_path / "team.toml").resolve())]


def test_run_records_carry_the_one_harness_version() -> None:
    record = records.run_record(
        profile="local",
        selection={},
        host={},
        images={},
        builds={},
        distros={},
        cells=[],
        interrupted=False,
        skipped={},
        wheels={},
    )
    assert record.harness_version == __version__ and record.schema == results.SCHEMA_VERSION
    assert results.exit_code(record) is ExitCode.NOT_TOLD  # no cell: nothing was told
