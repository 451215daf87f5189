"""The matrices of one arch: rows of wheels (one wheel, or several in one process) against
distro columns, one table per installer, and the minimum-pip table beside them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from packaging.version import InvalidVersion, Version

from harness.judge.installers import minimum_pip
from harness.report.cell_detail import cell_details, member_label
from harness.report.cpp_lint import lint_match, lint_text
from harness.report.installers import disagreement_table, oldest_installer_table
from harness.report.model import (
    ArchSection,
    Combination,
    DistroColumn,
    InstallerBlock,
    Matrix,
    MatrixCell,
    MatrixRow,
    Table,
    TableCell,
    Text,
    plain,
)
from harness.report.selection import offer_cells, pick_tables, worth_table
from harness.results.record import CellRecord, RunRecord
from harness.vocab.versions import version_tuple
from harness.vocab.wheel_name import WheelName


def arch_sections(record: RunRecord) -> tuple[ArchSection, ...]:
    by_arch: dict[str, list[CellRecord]] = defaultdict(list)
    for cell in record.cells:
        by_arch[cell.arch].append(cell)
    return tuple(_arch_section(arch, by_arch[arch], record) for arch in sorted(by_arch))


def _arch_section(arch: str, cells: list[CellRecord], record: RunRecord) -> ArchSection:
    # Columns run from the oldest measured glibc to the newest: what a wheel needs reads left
    # to right; musl distros (no glibc) come after them.
    distros = sorted({c.distro for c in cells}, key=lambda d: _column_order(record, d, arch))
    offered = offer_cells(cells)
    singles = [c for c in cells if len(c.members) == 1 and c.selection is None]
    combos = [c for c in cells if len(c.members) > 1 and c.selection is None]
    worth = worth_table(offered, arch, distros)
    return ArchSection(
        arch=arch,
        distros=tuple(_distro_column(d, _facts(record, d, arch)) for d in distros),
        singles=_matrix(singles, distros, title="", combinations=False),
        combinations=(
            _matrix(
                combos, distros, title=f"{arch}: several wheels in one process", combinations=True
            )
            if combos
            else None
        ),
        minimum_pip=minimum_pip_table([c for c in singles if not c.installer.is_uv], arch),
        installer_tables=tuple(
            table
            for table in (
                oldest_installer_table(singles, arch),
                disagreement_table(singles, arch),
            )
            if table is not None
        ),
        offers=(
            _matrix(
                offered,
                distros,
                title=f"{arch}: several wheels offered for one version, the picked one judged",
                combinations=False,
            )
            if offered
            else None
        ),
        selection_tables=(
            *pick_tables(offered, arch, distros),
            *((worth,) if worth is not None else ()),
        ),
    )


def _column_order(record: RunRecord, distro: str, arch: str) -> tuple[Any, ...]:
    facts = _facts(record, distro, arch)
    musl = bool(facts.get("musl")) and not facts.get("glibc")
    return (musl, version_tuple(facts.get("musl" if musl else "glibc") or "0"), distro)


def _facts(record: RunRecord, distro: str, arch: str) -> Mapping[str, Any]:
    return (record.distros.get(f"{distro}-{arch}", {}) or {}).get("facts") or {}


def _distro_column(name: str, facts: Mapping[str, Any]) -> DistroColumn:
    bits = []
    if facts.get("glibc"):
        bits.append(f"glibc {facts['glibc']}")
    elif facts.get("musl"):
        bits.append(f"musl {facts['musl']}")
    if facts.get("python_version"):
        bits.append(f"py {'.'.join(facts['python_version'].split('.')[:2])}")
    if facts.get("pip_version"):
        bits.append(f"pip {facts['pip_version']}")
    return DistroColumn(name, " · ".join(bits), str(facts.get("os_name", "")))


def pip_version_key(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")


def _matrix(
    cells: list[CellRecord], distros: Sequence[str], *, title: str, combinations: bool
) -> Matrix:
    blocks = []
    for installer in sorted({c.installer for c in cells}, key=lambda i: i.order):
        subset = [c for c in cells if c.installer == installer]
        index = {(c.row, c.distro): c for c in subset}
        rows = tuple(
            _row(row, [index.get((row, d)) for d in distros], combinations=combinations)
            for row in sorted({c.row for c in subset})
        )
        blocks.append(InstallerBlock(str(installer), installer.title, rows))
    return Matrix(title, combinations, tuple(blocks))


def _row(row: str, cells: list[CellRecord | None], *, combinations: bool) -> MatrixRow:
    present = [c for c in cells if c is not None]
    combination = None
    if combinations:
        first = present[0]  # the wheels, order and lint are the row's: any cell tells
        combination = Combination(
            order=tuple(member_label(m) for m in first.members),
            dlopen=first.dlopen,
            lint=lint_text(first),
            lint_against_observed=lint_match(present),
        )
    return MatrixRow(
        label=row,
        policies=tuple(sorted({m.policy for c in present for m in c.members})),
        cells=tuple(_matrix_cell(c) if c is not None else None for c in cells),
        combination=combination,
    )


def _matrix_cell(cell: CellRecord) -> MatrixCell:
    return MatrixCell(
        key=cell.key,
        distro=cell.distro,
        verdict=cell.verdict,
        declared=cell.declared or "",
        as_expected=cell.as_expected,
        details=cell_details(cell),
    )


def minimum_pip_table(cells: list[CellRecord], arch: str) -> Table | None:
    """Per wheel probed with several pips: the oldest pip its tags call for (the tag history
    in installers.toml), the oldest pip that installed it, and the pips that refused it for
    not knowing its tags; consistent when the observations agree with the history."""
    by_row: dict[str, list[CellRecord]] = defaultdict(list)
    for cell in cells:
        by_row[cell.row].append(cell)
    rows = []
    for row, row_cells in sorted(by_row.items()):
        wheels = [w for m in row_cells[0].members for w in m.wheels]
        if not wheels or all(c.installer.is_distro for c in row_cells):
            continue
        platforms = WheelName.parse(wheels[0]).platforms
        needed = minimum_pip(platforms)
        accepted = _pips(row_cells, "accepted")
        too_old = _pips(
            [c for c in row_cells if c.expected.installer_too_old],
            "refused",
        )
        consistent = (
            not accepted or needed is None or pip_version_key(accepted[0]) >= needed
        ) and all(needed is not None and pip_version_key(v) < needed for v in too_old)
        texts = [
            row,
            ", ".join(platforms),
            str(needed or "any"),
            accepted[0] if accepted else "none",
            ", ".join(too_old) or "-",
        ]
        verdict = (Text("yes"),) if consistent else (Text("no", "strong"),)
        rows.append((*(TableCell(plain(t)) for t in texts), TableCell(verdict)))
    if not rows:
        return None
    header = (
        "wheel @ build image",
        "platform tags",
        "oldest pip its tags need",
        "oldest pip that installed it",
        "refused by (pip too old)",
        "consistent",
    )
    return Table("minimum-pip", f"{arch}: minimum pip per wheel", header, tuple(rows))


def _pips(cells: Iterable[CellRecord], decision: str) -> list[str]:
    """The pip versions, oldest first, whose install took this decision."""
    found = {
        c.pip_version
        for c in cells
        if c.observed.install is not None and c.observed.install.decision == decision
    }
    return sorted(found, key=pip_version_key)
