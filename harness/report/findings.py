"""What the report says beside the matrices: before them, the cells not as declared and the
broken claims by cause; after them, the cells worth a look (one line per row and outcome),
what differs between architectures, the static findings per wheel, the measured facts of
build images and distros, and what was not probed or could not be prepared."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from harness.report.model import (
    NOT_MEASURED,
    CauseGroup,
    Line,
    NoteList,
    Table,
    TableCell,
    Text,
    plain,
)
from harness.results.record import CellRecord, RunRecord
from harness.vocab.installer import Installer
from harness.vocab.toolchain import TOOLCHAIN
from harness.vocab.verdict import Verdict


def _code(value: str) -> Text:
    return Text(value, "code")


def differences(cells: Iterable[CellRecord]) -> NoteList:
    """Cells measured on several arches (same wheels, distro, pip, loading) whose verdicts
    differ: each with what happened on each arch, in the loader's words."""
    by_identity: dict[tuple[str, str, Installer], dict[str, CellRecord]] = defaultdict(dict)
    for cell in cells:
        if " wheel)" in cell.row:  # cross-arch cells differ by design
            continue
        by_identity[(cell.row, cell.distro, cell.installer)][cell.arch] = cell
    items = []
    for (row, distro, installer), arches in sorted(
        by_identity.items(), key=lambda item: (item[0][0], item[0][1], item[0][2].order)
    ):
        if len(arches) < 2 or len({c.verdict for c in arches.values()}) < 2:
            continue
        pip = "" if installer.is_distro else f", {installer.label}"
        what = "; ".join(
            f"{arch}: {cell.verdict.value}"
            + (f" ({cell.diagnosis or cell.explanation})" if cell.verdict is not Verdict.OK else "")
            for arch, cell in sorted(arches.items())
        )
        items.append((_code(row), Text(f" on {distro}{pip}: {what}")))
    return NoteList("Differences between architectures", tuple(items))


def _worth_a_look(cell: CellRecord) -> bool:
    return (
        not cell.as_expected
        or cell.verdict in (Verdict.VIOLATION, Verdict.ERROR, Verdict.OVER_RESTRICTIVE)
        or (cell.verdict is Verdict.REFUSED_AS_CLAIMED and bool(cell.diagnosis))
    )


def _why(cell: CellRecord) -> str:
    why = cell.diagnosis or cell.explanation
    if cell.distro_cause:
        # the distro broke the policy's promise: said first, apart from wheels' own faults
        why = f"the distro's fault, {cell.distro_cause}: {why}"
    return why


def _outcome_lines(cells: Iterable[CellRecord]) -> tuple[Line, ...]:
    """One line per row and outcome, naming the distros."""
    # (arch, row, verdict, as expected, declared verdict, why) -> distros, in cell order;
    # a distro is named once even when several of its pips gave the same outcome.
    groups: dict[tuple[str, str, str, bool, str, str], dict[str, None]] = defaultdict(dict)
    reasons: dict[tuple[str, str, str, bool, str, str], str] = {}
    for cell in cells:
        why = _why(cell)
        key = (cell.arch, cell.row, cell.verdict.value, cell.as_expected, cell.declared or "", why)
        groups[key][cell.distro] = None
        reasons[key] = cell.expected.declared_reason if cell.declared else ""
    items = []
    for key in sorted(groups):
        arch, row, verdict, as_expected, declared, why = key
        label = (
            f"{verdict} (declared)"
            if declared == verdict
            else (f"{verdict} (declared {declared})" if declared else verdict)
        )
        line = [_code(row), Text(f" on {arch} {', '.join(groups[key])}: {label}")]
        if not as_expected:
            line += [Text(" — "), Text("not as expected", "strong")]
        tail = f" — {reasons[key]}" if reasons[key] and as_expected else ""
        line.append(Text(f": {why}{tail}"))
        items.append(tuple(line))
    return tuple(items)


def explained(cells: Iterable[CellRecord]) -> NoteList:
    """Violations, errors, over-restrictive cells, refusals with a forced-load diagnosis, and
    anything not as expected: one line per row and outcome, naming the distros."""
    return NoteList("Cells explained", _outcome_lines(filter(_worth_a_look, cells)))


def not_as_declared(cells: Iterable[CellRecord]) -> NoteList:
    """The cells whose verdict is not the declared (or, undeclared, the claim's) one: what
    fails the run, and what a reader of a nightly must see first."""
    return NoteList("Not as declared", _outcome_lines(c for c in cells if not c.as_expected))


def broken_claims(cells: Iterable[CellRecord]) -> tuple[CauseGroup, ...]:
    """The violation cells grouped by cause: real breaks first, then the declared or expected
    ones (controls caught); within each, the cause with the most cells first."""
    # (expected, cause) -> (arch, row) -> distros
    groups: dict[tuple[bool, str], dict[tuple[str, str], dict[str, None]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    counts: dict[tuple[bool, str], int] = defaultdict(int)
    for cell in cells:
        if cell.verdict is not Verdict.VIOLATION:
            continue
        key = (cell.as_expected, _why(cell))
        groups[key][(cell.arch, cell.row)][cell.distro] = None
        counts[key] += 1
    ordered = sorted(groups, key=lambda k: (k[0], -counts[k], k[1]))
    return tuple(
        CauseGroup(
            cause=cause,
            expected=expected,
            cells=counts[(expected, cause)],
            items=tuple(
                (_code(row), Text(f" on {arch}: {', '.join(distros)}"))
                for (arch, row), distros in sorted(groups[(expected, cause)].items())
            ),
        )
        for expected, cause in ordered
    )


def _observed(wheel: str, cells: Iterable[CellRecord]) -> str:
    """What the distro pip's cells with this wheel did: alone, per verdict the distros; with
    other wheels in one process, per verdict the number of cells (orders, dlopen modes)."""
    alone: dict[str, set[str]] = defaultdict(set)
    together: dict[str, int] = defaultdict(int)
    for cell in cells:
        if not cell.installer.is_distro or not any(wheel in m.wheels for m in cell.members):
            continue
        if len(cell.members) == 1:
            alone[cell.verdict.value].add(cell.distro)
        else:
            together[cell.verdict.value] += 1
    parts = [f"{verdict} on {', '.join(sorted(d))}" for verdict, d in sorted(alone.items())]
    if together:
        counts = ", ".join(f"{verdict} {n}" for verdict, n in sorted(together.items()))
        parts.append(f"with other wheels: {counts} cells")
    return "; ".join(parts) if parts else "no cell ran it"


def static_findings(record: RunRecord) -> NoteList:
    """Per built wheel: what it needs beyond its claim, the C++ runtime lint, and the loader
    findings (executable stack, initial-exec TLS, grafted libraries beyond the claim), each
    beside what the wheel's cells did."""
    items = []
    for request_key, build in sorted(record.builds.items()):
        for path in build.get("wheels", []):
            name = path.rsplit("/", 1)[-1]
            inspection = record.wheels.get(name, {})
            problems = inspection.get("policy_problems", [])
            # unhidden symbols are routine (most wheels export some): the lint's other kinds
            # are the ones that break a process
            warnings = [
                f["detail"] for f in inspection.get("lint", []) if f["kind"] != "unhidden-symbols"
            ]
            if problems or warnings:
                claimed = inspection.get("claimed_policy") or "no manylinux tag"
                text = "; ".join([*problems, *warnings])
                observed = _observed(name, record.cells)
                items.append(
                    (
                        _code(request_key),
                        Text(f" (claims {claimed}): {text} — observed: {observed}"),
                    )
                )
    return NoteList("Static checks of the wheels", tuple(items))


def not_probed(record: RunRecord) -> NoteList:
    items = tuple(
        (_code(key), Text(f": {reason}")) for key, reason in sorted(record.skipped.items())
    )
    return NoteList("Not probed", items)


def not_prepared(record: RunRecord) -> NoteList:
    images = [
        (Text("image "), _code(key), Text(f": {image['error']}"))
        for key, image in sorted(record.images.items())
        if isinstance(image, Mapping) and "error" in image
    ]
    builds = [
        (Text("build "), _code(key), Text(f": {build.get('error', '')}"))
        for key, build in sorted(record.builds.items())
        if isinstance(build, Mapping) and build.get("status") == "failed"
    ]
    return NoteList("Could not prepare", (*images, *builds))


def build_images_table(images: Mapping[str, Any]) -> Table:
    """What each build image was measured to carry: the toolchain its wheels were built with.
    Images that could not be prepared are under "could not prepare" instead."""
    builds = {
        key: entry
        for key, entry in sorted(images.items())
        if key.startswith("build:") and isinstance(entry, Mapping) and "error" not in entry
    }
    measured = [entry.get("facts") or {} for entry in builds.values()]
    # The toolchain's columns, then whatever else an image measured (an older or newer
    # harness's facts): nothing measured goes unshown.
    extra = sorted({name for facts in measured for name in facts if name not in TOOLCHAIN})
    tools = (*TOOLCHAIN, *extra)
    rows = []
    for (key, entry), facts in zip(builds.items(), measured, strict=True):
        name = key.removeprefix("build:").replace(":", " ")
        first = (TableCell(plain(name)), TableCell((_code(str(entry.get("reference", ""))),)))
        values: tuple[TableCell, ...]
        if "error" in facts or not facts:
            values = (TableCell(plain(NOT_MEASURED), columns=len(tools)),)
        else:
            values = tuple(TableCell(plain(str(facts.get(t, "-")))) for t in tools)
        rows.append(first + values)
    header = ("build image", "reference", *tools)
    return Table("image-facts", "Build images (measured)", header, tuple(rows))


def distros_table(distros: Mapping[str, Any]) -> Table:
    rows = []
    for key, entry in sorted(distros.items()):
        entry = entry or {}
        facts = entry.get("facts") or {}
        arch = f"{entry.get('arch', '')}{' (emulated)' if entry.get('emulated') else ''}"
        texts = [
            entry.get("name", key),
            arch,
            facts.get("os_name", ""),
            # a musl distro has no glibc: its musl stands there
            facts.get("glibc") or (f"none (musl {facts['musl']})" if facts.get("musl") else "-"),
            facts.get("glibcxx_max") or "-",
            facts.get("python_version", ""),
            facts.get("pip_version", ""),
            entry.get("eol") or "-",
        ]
        rows.append(tuple(TableCell(plain(str(t))) for t in texts))
    header = ("distro", "arch", "os", "glibc", "GLIBCXX max", "python", "pip", "end of life")
    return Table("distro-facts", "Distros (measured)", header, tuple(rows))
