"""The C++ runtime lint in the report's words: what it warned about a row's wheels, and
whether the cells bore the warning out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from harness.results.record import CellRecord
from harness.vocab.verdict import Verdict


def lint_text(cell: CellRecord) -> str:
    members: Mapping[str, list[str]] = cell.lint.get("members", {})
    warned = [f"{label}: {', '.join(kinds)}" for label, kinds in members.items() if kinds]
    return "warning: " + "; ".join(warned) if warned else "clean"


def lint_match(cells: Iterable[CellRecord]) -> str:
    """Whether the static warning and the observation agree, over a row's cells."""
    cells = list(cells)
    warned = any(c.lint.get("warned") for c in cells)
    broke = [c for c in cells if c.verdict is Verdict.VIOLATION]
    loaded = [c for c in cells if c.verdict in (Verdict.OK, Verdict.VIOLATION)]
    if warned and broke:
        return f"warning confirmed ({len(broke)}/{len(loaded)} loaded cells broke)"
    if warned:
        return f"warning not triggered ({len(loaded)} loaded cells held)"
    if broke:
        return f"lint missed it ({len(broke)} cells broke)"
    return "consistent (clean, held)"
