"""The selection axis in the report: for each offer (several wheels of one version), which
wheel each installer picked on each distro, whether packaging's tag priority predicted it,
and whether it worked; then the answer to the seed's question, per offered wheel: what
offering it buys (the distros that get it) and what it costs (the installers that never pick
it). Pure: cell records in, tables out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from harness.judge import cpu as cpus
from harness.judge.selection import same_but_build
from harness.report.cell_detail import member_label
from harness.report.model import Table, TableCell, Text, plain
from harness.results.record import CellRecord, MemberRecord
from harness.vocab.installer import Installer
from harness.vocab.platform_tags import Family
from harness.vocab.verdict import Verdict
from harness.vocab.wheel_name import WheelName

NOT_RUN = "-"


def offer_cells(cells: Iterable[CellRecord]) -> list[CellRecord]:
    return [c for c in cells if c.selection is not None]


def wheel_labels(filenames: Sequence[str]) -> dict[str, str]:
    """Each offered wheel named by what sets it apart from the others, in the terms an
    installer sees (its interpreter-abi tags, its newest manylinux policy, its build tag):
    "cp39-abi3", "manylinux_2_41", "build 1", "cp311-cp311 manylinux_2_36"."""
    names = [WheelName.parse(f) for f in filenames]

    def parts(name: WheelName) -> tuple[str, str, str]:
        floors = [t for t in name.platform.tags if t.family is Family.MANYLINUX and t.floor]
        newest = max(floors, key=lambda t: t.floor or (0, 0)).policy if floors else ""
        return (
            ".".join(sorted(name.interpreters)),
            newest or ".".join(name.platforms),
            f"build {name.build_tag}" if name.build_tag else "no build tag",
        )

    described = {n.filename: parts(n) for n in names}
    varying = [i for i in range(3) if len({p[i] for p in described.values()}) > 1]
    return {
        filename: " ".join(p[i] for i in varying) or filename for filename, p in described.items()
    }


def _offers(cells: Iterable[CellRecord]) -> dict[tuple[str, tuple[str, ...]], list[CellRecord]]:
    """The offer cells per offer (its name and its wheels)."""
    found: dict[tuple[str, tuple[str, ...]], list[CellRecord]] = defaultdict(list)
    for cell in offer_cells(cells):
        assert cell.selection is not None
        found[(cell.selection.offer, cell.selection.offered)].append(cell)
    return dict(sorted(found.items()))


def _installers(cells: Iterable[CellRecord]) -> list[Installer]:
    return sorted({c.installer for c in cells}, key=lambda i: i.order)


def _pick_text(cell: CellRecord, labels: Mapping[str, str]) -> TableCell:
    """What one installer did with the offer on one distro (and CPU), in a few words."""
    pick = cell.selection
    assert pick is not None
    if not pick.picked:
        refused = cell.verdict is Verdict.REFUSED_AS_CLAIMED
        text = "none: refused" if refused else f"none ({cell.verdict.value})"
    else:
        text = labels.get(pick.picked, pick.picked)
        if pick.agrees is False:
            predicted = " or ".join(labels.get(p, p) for p in pick.predicted) or "none"
            text += f" (tag priority: {predicted})"
        elif pick.tie:
            text += " (a tie)"
        if cell.verdict is not Verdict.OK:
            text += f": {cell.verdict.value}"
    strong = not cell.as_expected or cell.verdict is Verdict.VIOLATION or pick.agrees is False
    return TableCell((Text(text, "strong" if strong else "plain"),))


def pick_tables(
    cells: Sequence[CellRecord], arch: str, distros: Sequence[str]
) -> tuple[Table, ...]:
    """One table per offer: a row per distro (and CPU model), a column per installer, each
    cell the wheel that installer picked there."""
    tables = []
    for (offer, offered), mine in _offers(cells).items():
        labels = wheel_labels(offered)
        installers = _installers(mine)
        index = {(c.distro, c.cpu, c.installer): c for c in mine}
        places = sorted(
            {(c.distro, c.cpu) for c in mine},
            key=lambda p: (
                distros.index(p[0]) if p[0] in distros else len(distros),
                p[0],
                p[1] != cpus.HOST,
                p[1],
            ),
        )
        rows = []
        for distro, cpu in places:
            first = TableCell(plain(distro if cpu == cpus.HOST else f"{distro} [cpu {cpu}]"))
            picks = tuple(
                _pick_text(index[(distro, cpu, i)], labels)
                if (distro, cpu, i) in index
                else TableCell(plain(NOT_RUN))
                for i in installers
            )
            rows.append((first, *picks))
        title = f"{arch}: offer {offer} ({'; '.join(labels[w] for w in offered)}): the wheel each installer picks"
        if same_but_build([WheelName.parse(w) for w in offered]):
            title += (
                "; their names differ only by the build tag: no installer can tell these "
                "builds apart by the CPU, each picks the same one on every CPU"
            )
        if any(cpu != cpus.HOST for _, cpu in places):
            title += (
                "; on a CPU model only the import and check are emulated, the distro's pip "
                "installs on the host's CPU: its pick there is its pick on the host"
            )
        header = ("distro", *(i.title for i in installers))
        tables.append(Table("offer-picks", title, header, tuple(rows)))
    return tuple(tables)


def _wheel_name(member: MemberRecord | None, wheel: str) -> str:
    """A corpus wheel by its sample, flavour and build image; a given one by its file."""
    if member is not None and member.kind in ("sample", "control"):
        return member_label(member)
    return wheel


def _counted(verdicts: Iterable[Verdict]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for verdict in verdicts:
        counts[verdict.value] += 1
    return ", ".join(f"{v} in {n} cell{'s' if n != 1 else ''}" for v, n in sorted(counts.items()))


def worth_table(cells: Sequence[CellRecord], arch: str, distros: Sequence[str]) -> Table | None:
    """The seed's question answered per offered wheel: the distros that get it (and which
    installers there), the installers that never pick it, and whether it works where picked."""
    rows = []
    for (offer, offered), mine in _offers(cells).items():
        labels = wheel_labels(offered)
        members = {w: m for c in mine for m in c.members for w in m.wheels}
        installers = _installers(mine)
        for wheel in offered:
            took = [c for c in mine if c.selection and c.selection.picked == wheel]
            by_distro: dict[str, set[Installer]] = defaultdict(set)
            ran: dict[str, set[Installer]] = defaultdict(set)
            for cell in mine:
                if cell.cpu == cpus.HOST:
                    ran[cell.distro].add(cell.installer)
            for cell in took:
                if cell.cpu == cpus.HOST:
                    by_distro[cell.distro].add(cell.installer)
            gets = []
            for distro in sorted(
                by_distro, key=lambda d: (distros.index(d) if d in distros else len(distros), d)
            ):
                who = by_distro[distro]
                gets.append(
                    f"{distro} (every installer)"
                    if who == ran[distro]
                    else f"{distro} ({', '.join(i.title for i in sorted(who, key=lambda i: i.order))})"
                )
            # an installer that ran where the wheel's tags fit, and took another one there
            # every time (or nothing)
            fitted = {c.installer for c in mine if c.selection and wheel in c.selection.fits}
            never = [
                i.title
                for i in installers
                if i in fitted and not any(c.installer == i for c in took)
            ]
            member = members.get(wheel)
            rows.append(
                (
                    TableCell(plain(offer)),
                    TableCell((Text(_wheel_name(member, wheel), "code"),)),
                    TableCell(plain(labels[wheel])),
                    TableCell(plain("; ".join(gets) or "no distro: never picked")),
                    TableCell(
                        (Text(", ".join(never), "strong"),)
                        if never
                        else plain("none: where it fits, every installer picks it somewhere")
                    ),
                    TableCell(plain(_counted(c.verdict for c in took) or NOT_RUN)),
                )
            )
    if not rows:
        return None
    header = (
        "offer",
        "wheel @ build image",
        "set apart by",
        "what it buys: distros that get it",
        "what it costs: installers that never pick it where it fits",
        "where picked",
    )
    title = f"{arch}: several wheels offered for one version: what each one buys and costs"
    return Table("offer-worth", title, header, tuple(rows))
