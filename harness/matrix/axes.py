"""What the installer and CPU axes add to a cell's probe and judgement: which uv binary
installs it, which CPU model its import + check runs on, and how the verdict names them.
Pure: the session asks, the probe does."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.errors import HarnessError
from harness.judge import cpu as cpus
from harness.judge import uv
from harness.judge.verdict import Decision
from harness.matrix.plan import Cell, Plan
from harness.matrix.prepared import Prepared


@dataclasses.dataclass(frozen=True)
class ProbeAxes:
    uv: Path | None  # the uv binary that installs the cell (None: a pip does)
    cpu_model: str  # the qemu CPU model of the import + check ("": the host's CPU)


def probe_axes(cell: Cell, prepared: Prepared) -> ProbeAxes:
    """The cell's uv binary and CPU model; raises HarnessError when its uv is unavailable
    (the cell is then `error`: the harness could not tell)."""
    binary = None
    if cell.installer.is_uv:
        failed = prepared.uvs.get(str(cell.installer), {}).get("error")
        binary = uv.binary_for(prepared.uvs, cell.installer, cell.arch)
        if failed or binary is None:
            raise HarnessError(failed or f"{cell.installer} was not fetched for {cell.arch}")
    model = "" if cell.cpu == cpus.HOST else cpus.models()[cell.cpu].qemu_cpu
    return ProbeAxes(binary, model)


def needs_emulator(plan: Plan, distro_key: str) -> Path | None:
    """The host's qemu-user, for a distro with cells on a CPU model (else nothing mounted)."""
    wanted = any(c.cpu != cpus.HOST and c.distro.key == distro_key for c in plan.cells)
    return cpus.EMULATOR if wanted else None


def installer_word(cell: Cell) -> str:
    """How a verdict names the cell's installer: "pip" or "uv"."""
    return cell.installer.family.value


def on_cpu(cell: Cell, decision: Decision) -> Decision:
    """The decision of a cell on a CPU model says which model: a SIGILL means nothing
    without it."""
    if cell.cpu == cpus.HOST:
        return decision
    model = cpus.models()[cell.cpu]
    return dataclasses.replace(
        decision, explanation=f"{decision.explanation} (import + check on {model.label})"
    )
