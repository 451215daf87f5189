"""The Markdown report: per arch, a matrix of single wheels (rows: wheel x build image,
columns: distros) and one of combinations (several wheels in one process) with the C++
runtime lint beside what happened; then every cell worth a look explained in one line per
row, the static findings per wheel, and what could not be prepared.
Pure: RunRecord in, text out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from packaging.version import InvalidVersion, Version

from harness.expectation import WheelClaim
from harness.installers import minimum_pip
from harness.results import CellRecord, RunRecord
from harness.verdict import Verdict

ICONS = {
    Verdict.OK: "✅",
    Verdict.REFUSED_AS_CLAIMED: "🚫",
    Verdict.VIOLATION: "❌",
    Verdict.OVER_RESTRICTIVE: "🔶",
    Verdict.ERROR: "⚠️",
}
LEGEND = (
    "✅ ok: installed as claimed and computed the right answer · "
    "🚫 refused-as-claimed: pip refused, as the tags say · "
    "❌ violation: the claim is broken · "
    "🔶 over-restrictive: refused, yet a forced load works · "
    "⚠️ error: the harness could not tell · "
    "(declared): the verdict the sample's data declares · "
    "**bold**: not the declared/expected outcome"
)


def cell_text(cell: CellRecord) -> str:
    text = f"{ICONS[cell.verdict]} {cell.verdict.value}"
    if cell.declared:
        text += " (declared)"
    return text if cell.as_expected else f"**{text}**"


def _facts(record: RunRecord, distro: str, arch: str) -> Mapping[str, Any]:
    return (record.distros.get(f"{distro}-{arch}", {}) or {}).get("facts") or {}


def _distro_header(name: str, arch: str, record: RunRecord) -> str:
    facts = _facts(record, name, arch)
    bits = []
    if facts.get("glibc"):
        bits.append(f"glibc {facts['glibc']}")
    if facts.get("python_version"):
        bits.append(f"py {'.'.join(facts['python_version'].split('.')[:2])}")
    if facts.get("pip_version"):
        bits.append(f"pip {facts['pip_version']}")
    return f"{name}<br>{' · '.join(bits)}" if bits else name


def _distro_order(name: str, arch: str, record: RunRecord) -> tuple[tuple[int, ...], str]:
    glibc = _facts(record, name, arch).get("glibc") or "0"
    return tuple(int(x) for x in glibc.split(".") if x.isdigit()), name


def summary_line(record: RunRecord) -> str:
    summary = record.summary()
    counts = ", ".join(f"{summary[v.value]} {v.value}" for v in Verdict if summary[v.value])
    unexpected = summary["not_as_expected"]
    tail = "all as expected" if not unexpected else f"**{unexpected} not as expected**"
    return f"{summary['cells']} cells: {counts or 'none'} ({tail})"


def render_markdown(record: RunRecord) -> str:
    lines = [f"## manylinux-harness: {record.profile} profile", ""]
    if record.interrupted:
        lines += [
            "> **Interrupted**: the matrix holds only the cells measured before the stop.",
            "",
        ]
    lines += [summary_line(record), ""]
    by_arch: dict[str, list[CellRecord]] = defaultdict(list)
    for cell in record.cells:
        by_arch[cell.arch].append(cell)
    for arch in sorted(by_arch):
        cells = by_arch[arch]
        distros = sorted({c.distro for c in cells}, key=lambda d: _distro_order(d, arch, record))
        lines += ["", f"### {arch}", ""]
        singles = [c for c in cells if len(c.members) == 1]
        combos = [c for c in cells if len(c.members) > 1]
        lines += _table(singles, distros, arch, record, lint=False)
        if combos:
            lines += ["", f"#### {arch}: several wheels in one process", ""]
            lines += _table(combos, distros, arch, record, lint=True)
        lines += minimum_pip_table(singles, arch)
    lines += ["", LEGEND, ""]
    lines += arch_differences(record.cells)
    lines += _attention(record.cells)
    lines += _static_findings(record)
    lines += image_facts_table(record)
    lines += distro_facts_table(record)
    if record.skipped:
        lines += ["", "### Not probed", ""]
        lines += [f"- `{key}`: {reason}" for key, reason in sorted(record.skipped.items())]
    failed_builds = {k: v for k, v in record.builds.items() if v.get("status") == "failed"}
    failed_images = {k: v for k, v in record.images.items() if "error" in v}
    if failed_images or failed_builds:
        lines += ["", "### Could not prepare", ""]
        lines += [f"- image `{k}`: {v['error']}" for k, v in sorted(failed_images.items())]
        lines += [f"- build `{k}`: {v.get('error')}" for k, v in sorted(failed_builds.items())]
    return "\n".join(lines).rstrip() + "\n"


def _table(
    cells: list[CellRecord], distros: list[str], arch: str, record: RunRecord, *, lint: bool
) -> list[str]:
    lines: list[str] = []
    installers = {c.installer for c in cells}
    # the distro's own pip first (the matrix proper), then the pip axis, oldest first
    for installer in sorted(installers, key=lambda i: (i != "distro", i == "latest", _pip_key(i))):
        subset = [c for c in cells if c.installer == installer]
        if len(installers) > 1:
            label = "the distro's own pip" if installer == "distro" else f"pip {installer}"
            lines += [f"{label}:", ""]
        index = {(c.row, c.distro): c for c in subset}
        header = "| wheel(s) @ build image | " + " | ".join(
            _distro_header(d, arch, record) for d in distros
        )
        header += " | C++ runtime lint | lint vs observed |" if lint else " |"
        lines += [header, "|" + "---|" * (len(distros) + 1 + (2 if lint else 0))]
        for row in sorted({c.row for c in subset}):
            row_cells = [index[(row, d)] for d in distros if (row, d) in index]
            texts = [cell_text(index[(row, d)]) if (row, d) in index else "·" for d in distros]
            line = f"| {row} | " + " | ".join(texts) + " |"
            if lint:
                line += f" {lint_text(row_cells[0])} | {lint_match(row_cells)} |"
            lines.append(line)
        lines.append("")
    return lines


def arch_differences(cells: Iterable[CellRecord]) -> list[str]:
    """Cells measured on several arches (same wheels, distro, pip, loading) whose verdicts
    differ: each with what happened on each arch, in the loader's words."""
    by_identity: dict[tuple[str, str, str], dict[str, CellRecord]] = defaultdict(dict)
    for cell in cells:
        if " wheel)" in cell.row:  # cross-arch cells differ by design
            continue
        by_identity[(cell.row, cell.distro, cell.installer)][cell.arch] = cell
    lines = []
    for (row, distro, installer), arches in sorted(by_identity.items()):
        if len(arches) < 2 or len({c.verdict for c in arches.values()}) < 2:
            continue
        pip = "" if installer == "distro" else f", pip {installer}"
        what = "; ".join(
            f"{arch}: {cell.verdict.value}"
            + (f" ({cell.diagnosis or cell.explanation})" if cell.verdict is not Verdict.OK else "")
            for arch, cell in sorted(arches.items())
        )
        lines.append(f"- `{row}` on {distro}{pip}: {what}")
    if not lines:
        return []
    return ["### Differences between architectures", "", *lines, ""]


def _pip_key(version: str) -> Version:
    try:
        return Version(version)
    except InvalidVersion:
        return Version("0")


def minimum_pip_table(cells: list[CellRecord], arch: str) -> list[str]:
    """Per wheel probed with several pips: the oldest pip its tags call for (the tag
    history in installers.toml), the oldest pip that installed it, and the pips that
    refused it for not knowing its tags."""
    by_row: dict[str, list[CellRecord]] = defaultdict(list)
    for cell in cells:
        by_row[cell.row].append(cell)
    rows = []
    for row, row_cells in sorted(by_row.items()):
        if not any(c.installer != "distro" for c in row_cells):
            continue
        wheels = [w for m in row_cells[0].members for w in m.wheels]
        if not wheels:
            continue
        claim = WheelClaim.from_filename(wheels[0])
        needed = minimum_pip(claim.platforms)
        accepted = sorted(
            {
                c.pip_version
                for c in row_cells
                if (c.observed.get("install") or {}).get("decision") == "accepted"
            },
            key=_pip_key,
        )
        too_old = sorted(
            {
                c.pip_version
                for c in row_cells
                if (c.observed.get("install") or {}).get("decision") == "refused"
                and "does not know" in str(c.expected.get("reason", ""))
            },
            key=_pip_key,
        )
        consistent = (not accepted or needed is None or _pip_key(accepted[0]) >= needed) and all(
            needed is not None and _pip_key(v) < needed for v in too_old
        )
        rows.append(
            f"| {row} | {', '.join(claim.platforms)} | {needed or 'any'} | "
            f"{accepted[0] if accepted else 'none'} | {', '.join(too_old) or '-'} | "
            f"{'yes' if consistent else '**no**'} |"
        )
    if not rows:
        return []
    return [
        "",
        f"#### {arch}: minimum pip per wheel",
        "",
        "| wheel @ build image | platform tags | oldest pip its tags need | oldest pip that "
        "installed it | refused by (pip too old) | consistent |",
        "|---|---|---|---|---|---|",
        *rows,
    ]


BUILD_TOOLS = ("gcc", "g++", "gfortran", "binutils", "glibc", "auditwheel", "patchelf")


def image_facts_table(record: RunRecord) -> list[str]:
    """What each build image was measured to carry: the toolchain its wheels were built with."""
    rows = []
    for key, entry in sorted(record.images.items()):
        if not key.startswith("build:") or "error" in entry:
            continue
        facts = entry.get("facts") or {}
        if "error" in facts or not facts:
            cells = ["not measured"] + [""] * (len(BUILD_TOOLS) - 1)
        else:
            cells = [facts.get(tool, "-") for tool in BUILD_TOOLS]
        name = key.removeprefix("build:").replace(":", " ")
        rows.append(f"| {name} | `{entry.get('reference', '')}` | " + " | ".join(cells) + " |")
    if not rows:
        return []
    header = "| build image | reference | " + " | ".join(BUILD_TOOLS) + " |"
    return [
        "",
        "### Build images (measured)",
        "",
        header,
        "|" + "---|" * (len(BUILD_TOOLS) + 2),
        *rows,
    ]


def distro_facts_table(record: RunRecord) -> list[str]:
    rows = []
    for key, entry in sorted(record.distros.items()):
        facts = entry.get("facts") or {}
        python = facts.get("python_version", "")
        rows.append(
            f"| {entry.get('name', key)} | {entry.get('arch', '')}"
            f"{' (emulated)' if entry.get('emulated') else ''} | {facts.get('os_name', '')} | "
            f"{facts.get('glibc') or '-'} | {facts.get('glibcxx_max') or '-'} | {python} | "
            f"{facts.get('pip_version', '')} | {entry.get('eol') or '-'} |"
        )
    if not rows:
        return []
    header = "| distro | arch | os | glibc | GLIBCXX max | python | pip | end of life |"
    return ["", "### Distros (measured)", "", header, "|" + "---|" * 8, *rows]


def lint_text(cell: CellRecord) -> str:
    members: Mapping[str, list[str]] = cell.lint.get("members", {})
    warned = [f"{label}: {', '.join(kinds)}" for label, kinds in members.items() if kinds]
    return "⚠️ " + "; ".join(warned) if warned else "clean"


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


def _attention(cells: Iterable[CellRecord]) -> list[str]:
    """Violations, errors, over-restrictive cells, refusals with a forced-load diagnosis, and
    anything not as expected: one line per row and outcome, naming the distros."""
    picked = [
        c
        for c in cells
        if not c.as_expected
        or c.verdict in (Verdict.VIOLATION, Verdict.ERROR, Verdict.OVER_RESTRICTIVE)
        or (c.verdict == Verdict.REFUSED_AS_CLAIMED and c.diagnosis)
    ]
    if not picked:
        return []
    groups: dict[tuple[str, str, str, bool, str, str], list[str]] = defaultdict(list)
    reasons: dict[tuple[str, str, str, bool, str, str], str] = {}
    for cell in picked:
        why = cell.diagnosis or cell.explanation
        key = (cell.arch, cell.row, cell.verdict.value, cell.as_expected, cell.declared or "", why)
        groups[key].append(cell.distro)
        reasons[key] = str(cell.expected.get("declared_reason", "")) if cell.declared else ""
    lines = ["### Cells explained", ""]
    for key in sorted(groups):
        arch, row, verdict, as_expected, declared, why = key
        mark = "" if as_expected else " — **not as expected**"
        label = (
            f"{verdict} (declared)"
            if declared == verdict
            else (f"{verdict} (declared {declared})" if declared else verdict)
        )
        tail = f" — {reasons[key]}" if reasons[key] and as_expected else ""
        lines.append(f"- `{row}` on {arch} {', '.join(groups[key])}: {label}{mark}: {why}{tail}")
    return lines


def _static_findings(record: RunRecord) -> list[str]:
    """What each built wheel needs beyond its claim, and the C++ runtime lint, per build."""
    lines = []
    for request_key, build in sorted(record.builds.items()):
        for path in build.get("wheels", []):
            name = path.rsplit("/", 1)[-1]
            inspection = record.wheels.get(name, {})
            problems = inspection.get("policy_problems", [])
            warnings = [
                f["detail"] for f in inspection.get("lint", []) if f["kind"] != "unhidden-symbols"
            ]
            if problems or warnings:
                claimed = inspection.get("claimed_policy") or "no manylinux tag"
                text = "; ".join([*problems, *warnings])
                lines.append(f"- `{request_key}` (claims {claimed}): {text}")
    return ["", "### Static checks of the wheels", "", *lines] if lines else []
