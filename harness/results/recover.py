"""A record for a run that never wrote results.json (SIGKILLed, OOM-killed, a host that went
down): rebuilt from what the run wrote as it went, the cell journal (.cells/*.jsonl) and its
state files (.state/: the selection, the prepared images and builds, each probed distro's
facts). Marked interrupted, with the parts that are missing named: nothing measured is lost
because the process that would have assembled it is gone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import __version__
from harness.errors import UsageError
from harness.results import record as results


@dataclass(frozen=True)
class Recovered:
    record: results.RunRecord
    missing: tuple[str, ...]  # the parts of a record the run did not get to write


def journal_files(results_dir: Path) -> list[Path]:
    return sorted((results_dir / results.CELLS_DIR).glob("*.jsonl"))


def recover(results_dir: Path) -> Recovered:
    """The record a run in `results_dir` would have written, from its journal and state."""
    if not journal_files(results_dir):
        raise UsageError(
            f"{results_dir} has no results.json and no cell journal ({results.CELLS_DIR}/): "
            "pass the results dir of a run"
        )
    cells = results.read_cells(results_dir)
    run = _mapping(results.read_state(results_dir, results.RUN_STATE))
    prepared = _mapping(results.read_state(results_dir, results.PREPARED_STATE))
    distros = results.read_state_dir(results_dir, results.DISTRO_STATE_PREFIX)
    missing = []
    if not run:
        missing.append("the selection and profile")
    if not prepared:
        missing.append("images, builds and wheel inspections")
    if not distros:
        missing.append("distro facts")
    missing.append("host facts")  # assembled only when a run ends
    record = results.RunRecord(
        schema=results.SCHEMA_VERSION,
        harness_version=__version__,
        created=results.now_iso(),
        profile=str(run.get("profile", "")),
        selection={**_mapping(run.get("selection")), "recovered_from": results.CELLS_DIR},
        host={},
        images=_mapping(prepared.get("images")),
        builds=_mapping(prepared.get("builds")),
        distros=distros,
        cells=tuple(cells),
        interrupted=True,
        wheels=_mapping(prepared.get("wheels")),
        installers=_mapping(_mapping(prepared.get("supply")).get("uvs")),
    )
    return Recovered(record, tuple(missing))


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}
