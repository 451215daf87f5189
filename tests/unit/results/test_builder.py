"""The one builder of records, which session (the matrix) and verify share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import __version__
from harness.catalog.registry_mirrors import parse_mirrors
from harness.errors import ExitCode
from harness.judge.cell import CellJob, judge_cell
from harness.probe.observation import Observation
from harness.results import builder as records
from harness.results import record as results
from harness.settings import Settings
from harness.vocab.installer import DISTRO_PIP, Installer
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


def test_lint_of_takes_every_wheel_of_a_member(monkeypatch) -> None:
    monkeypatch.setattr(records, "WARNING_KINDS", frozenset({"static-libstdcxx"}))
    lint = records.lint_of({"one": ["a.whl", "b.whl"], "two": ["c.whl"]}, INSPECTIONS)
    assert lint == {"warned": True, "members": {"one": ["static-libstdcxx"], "two": []}}


def test_a_cell_record_writes_the_judgement_down() -> None:
    observation = Observation.failure("no engine")
    judgement = judge_cell(
        CellJob(arch="x86_64", installer=DISTRO_PIP, wheels=()), None, observation
    )
    record = records.cell_record(
        PLACE, (), judgement, None, lint={}, emulated=False, worker="gw0", notes=("n",)
    )
    assert record.verdict is Verdict.ERROR and not record.as_expected
    assert record.expected == judgement.expected and record.observed == observation
    assert record.diagnosis == "no engine" and record.notes == ("n",)
    assert record.pip_version == "" and record.worker == "gw0"
    assert results.CellRecord.from_json(record.to_json()) == record


def test_a_places_key_is_the_gates_identity() -> None:
    place = records.CellPlace.make(
        records.decorated_row("a@p", "global", "x86-64-v2"),
        "t",
        "x86_64",
        "debian-bookworm",
        Installer.parse("uv-0.4"),
        "global",
        "x86-64-v2",
    )
    assert place.row == "a@p (RTLD_GLOBAL) [cpu x86-64-v2]"
    assert (
        place.key
        == "a@p (RTLD_GLOBAL) [cpu x86-64-v2] | x86_64 | debian-bookworm | installer=uv-0.4"
    )
    assert records.decorated_test_id(
        ["a", "x86_64"], Installer.parse("19.3"), "default", "host"
    ) == ("a-x86_64-pip19.3")


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
