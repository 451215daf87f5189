"""Issue 14, case 7: a killed run's measured cells can still be reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.results import record as results
from harness.results.recover import recover
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell


def test_a_journal_alone_is_a_record_marked_interrupted(tmp_path: Path) -> None:
    results.append_cell(tmp_path, "gw0", cell("c_plain@p", "debian-bookworm", Verdict.OK))
    (tmp_path / results.CELLS_DIR / "gw0.jsonl").open("a").write('{"key": "cut sh')  # killed
    recovered = recover(tmp_path)
    assert recovered.record.interrupted and len(recovered.record.cells) == 1
    assert "images, builds and wheel inspections" in recovered.missing
    assert "distro facts" in recovered.missing


def test_state_files_fill_in_what_was_written(tmp_path: Path) -> None:
    results.append_cell(tmp_path, "gw0", cell("c_plain@p", "debian-bookworm", Verdict.OK))
    results.write_state(tmp_path, results.RUN_STATE, {"profile": "local", "selection": {}})
    results.write_state(tmp_path, results.PREPARED_STATE, {"images": {"a": {}}, "builds": {}})
    results.write_state(tmp_path, f"{results.DISTRO_STATE_PREFIX}bookworm", {"name": "b"})
    recovered = recover(tmp_path)
    assert recovered.missing == ("host facts",)
    assert recovered.record.profile == "local" and recovered.record.images == {"a": {}}
    assert recovered.record.distros == {"bookworm": {"name": "b"}}


def test_no_journal_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no results.json and no cell journal"):
        recover(tmp_path)
