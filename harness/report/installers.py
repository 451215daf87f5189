"""The installer axis and the CPU axis in the report: per wheel, the oldest release of each
installer family (pip, uv) that took it; the cells where pip and uv decided differently, with
the verdict that says which of them departs from the tags; and the notes on installers the
axis does not run, on which installer binaries ran, and on what the CPU models emulate."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from packaging.version import InvalidVersion, Version

from harness.judge import cpu as cpus
from harness.judge.installers import notes
from harness.report.model import NoteList, Table, TableCell, Text, plain
from harness.results.record import CellRecord, RunRecord
from harness.vocab.installer import InstallerFamily

FAMILIES = tuple(InstallerFamily)


def _decision(cell: CellRecord) -> str:
    install = cell.observed.install
    return install.decision if install is not None else ""


def _version_key(text: str) -> Version:
    try:
        return Version(text.split()[-1])
    except (InvalidVersion, IndexError):
        return Version("0")


def oldest_installer_table(cells: Sequence[CellRecord], arch: str) -> Table | None:
    """Per wheel probed by several installers: the oldest release of each family that
    installed it, and on how many of the distros it was offered on there."""
    by_row: dict[str, list[CellRecord]] = defaultdict(list)
    for cell in cells:
        if len(cell.members) == 1 and cell.cpu == cpus.HOST:
            by_row[cell.row].append(cell)
    rows = []
    for row, row_cells in sorted(by_row.items()):
        if len({c.installer.family for c in row_cells}) < 2:
            continue
        texts = [row]
        for family in FAMILIES:
            mine = [c for c in row_cells if c.installer.family == family]
            taken = [c for c in mine if _decision(c) == "accepted"]
            if not taken:
                texts.append("none" if mine else "-")
                continue
            oldest = min((c.pip_version for c in taken), key=_version_key)
            distros = {c.distro for c in mine}
            took = {c.distro for c in taken if c.pip_version == oldest}
            texts.append(f"{oldest} ({len(took)} of {len(distros)} distros)")
        rows.append(tuple(TableCell(plain(t)) for t in texts))
    if not rows:
        return None
    header = ("wheel @ build image", *(f"oldest {f} that installed it" for f in FAMILIES))
    title = f"{arch}: oldest installer that takes each wheel, per installer family"
    return Table("oldest-installer", title, header, tuple(rows))


def _reference_pip(cells: Iterable[CellRecord]) -> CellRecord | None:
    """The pip a uv cell is set against: the newest pip of the axis, else the distro's."""
    pips = [c for c in cells if not c.installer.is_uv]
    return next((c for c in pips if c.installer.is_latest), None) or next(
        (c for c in pips if c.installer.is_distro), None
    )


def disagreement_table(cells: Sequence[CellRecord], arch: str) -> Table | None:
    """Cells where a uv and the newest pip decided differently on the same wheel and distro;
    the verdicts say which departs from the tags (both are judged against them)."""
    by_place: dict[tuple[str, str], list[CellRecord]] = defaultdict(list)
    for cell in cells:
        if cell.cpu == cpus.HOST:
            by_place[(cell.row, cell.distro)].append(cell)
    rows = []
    for (row, distro), place_cells in sorted(by_place.items()):
        pip = _reference_pip(place_cells)
        if pip is None or not _decision(pip):
            continue
        for cell in place_cells:
            if not cell.installer.is_uv or not _decision(cell):
                continue
            if _decision(cell) == _decision(pip):
                continue
            departs = [c.pip_version for c in (pip, cell) if not c.verdict.claim_held]
            rows.append(
                (
                    TableCell(plain(f"{row} on {distro}")),
                    TableCell(plain(f"{pip.pip_version or pip.installer}: {_decision(pip)}")),
                    TableCell(plain(f"{cell.pip_version}: {_decision(cell)}")),
                    TableCell(plain(f"pip {pip.verdict.value} · uv {cell.verdict.value}")),
                    TableCell((Text(", ".join(departs) or "neither (both allowed)", "strong"),)),
                )
            )
    if not rows:
        return None
    header = ("wheel on distro", "pip decided", "uv decided", "verdicts", "departs from the tags")
    title = f"{arch}: where pip and uv decide differently"
    return Table("installer-differences", title, header, tuple(rows))


def installer_notes(record: RunRecord) -> NoteList | None:
    """What the installer and CPU axes ran on, and what they do not run; None for a run
    without uv or CPU-model cells (its report stays as it was)."""
    if not record.installers and not any(
        c.cpu != cpus.HOST or c.installer.is_uv for c in record.cells
    ):
        return None
    items = [f"{name}: {text}" for name, text in notes()]
    for key, entry in sorted(record.installers.items()):
        if "error" in entry:
            items.append(f"{key}: not available: {entry['error']}")
        else:
            items.append(
                f"{key}: uv {entry['version']} ({entry['wheel']}, wheel sha256 "
                f"{entry['wheel_sha256']}, binary sha256 {entry['binary_sha256']})"
            )
    cpu_cells = [c for c in record.cells if c.cpu != cpus.HOST]
    if record.host.get("cpu_level"):
        items.append(f"host CPU: {record.host['cpu_level']} (measured from /proc/cpuinfo)")
    if cpu_cells:
        models = cpus.models()
        used = sorted({c.cpu for c in cpu_cells})
        items.append(
            "CPU models: "
            + "; ".join(f"{models[m].label}: {models[m].why}" for m in used if m in models)
            + ". Only the import + check process runs on the model (qemu-user); pip, and any "
            "process the check starts, run natively on the host CPU"
        )
    return NoteList("Installers and CPU models", tuple(plain(item) for item in items))
