"""The Markdown report: a matrix per arch (rows: wheels x build image, columns: distros),
then the cells that need a look, with the diagnosis in one line. Pure: RunRecord in, text out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

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
    "**bold**: not the declared/expected outcome"
)


def cell_text(cell: CellRecord) -> str:
    text = f"{ICONS[cell.verdict]} {cell.verdict.value}"
    if cell.declared:
        text += " (declared)"
    return text if cell.as_expected else f"**{text}**"


def _distro_header(name: str, arch: str, record: RunRecord) -> str:
    entry = record.distros.get(f"{name}-{arch}", {})
    facts = entry.get("facts") or {}
    bits = []
    if facts.get("glibc"):
        bits.append(f"glibc {facts['glibc']}")
    if facts.get("python_version"):
        bits.append(f"py {'.'.join(facts['python_version'].split('.')[:2])}")
    if facts.get("pip_version"):
        bits.append(f"pip {facts['pip_version']}")
    return f"{name}<br>{' · '.join(bits)}" if bits else name


def _summary_line(record: RunRecord) -> str:
    summary = record.summary()
    counts = ", ".join(f"{summary[v.value]} {v.value}" for v in Verdict if summary[v.value])
    unexpected = summary["not_as_expected"]
    tail = "all as expected" if not unexpected else f"**{unexpected} not as expected**"
    return f"{summary['cells']} cells: {counts or 'none'} ({tail})"


def render_markdown(record: RunRecord) -> str:
    lines = [f"## manylinux-harness: {record.profile} profile", ""]
    if record.interrupted:
        lines += [
            "> **Interrupted**: the matrix below holds only the cells measured before the stop.",
            "",
        ]
    lines += [_summary_line(record), ""]
    by_arch: dict[str, list[CellRecord]] = defaultdict(list)
    for cell in record.cells:
        by_arch[cell.arch].append(cell)
    for arch in sorted(by_arch):
        lines += _arch_table(arch, by_arch[arch], record)
    lines += ["", LEGEND, ""]
    lines += _attention(record.cells)
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


def _arch_table(arch: str, cells: list[CellRecord], record: RunRecord) -> list[str]:
    distros = sorted({c.distro for c in cells}, key=lambda d: _distro_order(d, arch, record))
    installers = sorted({c.installer for c in cells})
    lines = ["", f"### {arch}", ""]
    for installer in installers:
        subset = [c for c in cells if c.installer == installer]
        if len(installers) > 1:
            lines += [f"pip: {installer}", ""]
        rows = sorted({c.row for c in subset})
        index = {(c.row, c.distro): c for c in subset}
        header = (
            "| wheel(s) @ build image | "
            + " | ".join(_distro_header(d, arch, record) for d in distros)
            + " |"
        )
        lines += [header, "|" + "---|" * (len(distros) + 1)]
        for row in rows:
            texts = [cell_text(index[(row, d)]) if (row, d) in index else "·" for d in distros]
            lines.append(f"| {row} | " + " | ".join(texts) + " |")
        lines.append("")
    return lines


def _distro_order(name: str, arch: str, record: RunRecord) -> tuple:
    facts = (record.distros.get(f"{name}-{arch}", {}) or {}).get("facts") or {}
    glibc = tuple(int(x) for x in (facts.get("glibc") or "0").split(".") if x.isdigit())
    return (glibc, name)


def _attention(cells: Iterable[CellRecord]) -> list[str]:
    """Violations, errors, over-restrictive cells and anything not as expected, one line each."""
    picked = [
        c
        for c in cells
        if not c.as_expected
        or c.verdict in (Verdict.VIOLATION, Verdict.ERROR, Verdict.OVER_RESTRICTIVE)
        or (c.verdict == Verdict.REFUSED_AS_CLAIMED and c.diagnosis)
    ]
    if not picked:
        return []
    lines = ["### Cells explained", ""]
    for cell in picked:
        mark = "" if cell.as_expected else " — **not as expected**"
        declared = f" (declared {cell.declared})" if cell.declared else ""
        why = cell.diagnosis or cell.explanation
        lines.append(f"- `{cell.key}`: {cell.verdict.value}{declared}{mark}: {why}")
    return lines
