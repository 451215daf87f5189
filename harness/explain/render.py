"""`explain`'s output: an Explanation (harness.explain.model) as aligned text for a terminal,
or as Markdown for a pull request or an issue. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from harness.catalog.model import ROLLING
from harness.explain.model import TOOLS, DistroReach, Evidence, Explanation, Tool


def _headline(expl: Explanation) -> str:
    old, new = expl.old, expl.new
    direction = "raises" if new.glibc > old.glibc else "lowers"
    return (
        f"{old.label} -> {new.label} ({expl.profile} profile, {expl.arch}): "
        f"{direction} the glibc floor from {old.glibc_text} to {new.glibc_text}"
    )


def _tool_text(tool: Tool | None) -> str:
    if tool is None:
        return "no build image"
    if tool.source == "not measured":
        return "not measured"
    return f"{tool.version} ({tool.source})"


def _reach_glibc(reach: DistroReach) -> str:
    if reach.glibc == "none":
        return f"no glibc ({reach.glibc_source})"
    if reach.glibc_source == "rolling":
        return f"glibc >= {reach.glibc} (rolling, not measured)"
    return f"glibc {reach.glibc} ({reach.glibc_source})" if reach.glibc else "glibc unknown"


def _eol_text(reach: DistroReach) -> str:
    if not reach.eol:
        return "EOL unknown"
    if reach.eol == ROLLING:
        return "rolling release"
    if reach.eol_past is None:
        return f"EOL {reach.eol}"
    return f"EOL {reach.eol} ({'past' if reach.eol_past else 'supported'})"


def _lost_summary(expl: Explanation) -> str:
    past = sum(1 for r in expl.lost if r.eol_past)
    if not expl.lost:
        return f"no catalogued {expl.arch} distro and no data row is lost"
    rows = sum(1 for r in expl.lost if not r.runnable)
    return (
        f"{len(expl.lost)} distro(s) can no longer install the wheel "
        f"(glibc below {expl.new.glibc_text}; {len(expl.lost) - rows} catalogued, {rows} data "
        f"rows), {past} of them already past end of life"
    )


def _comparison_rows(expl: Explanation) -> list[tuple[str, str, str]]:
    """(what, old, new) rows shared by both renderers."""
    old, new = expl.old, expl.new
    rows = [("build image", old.build_image or "none", new.build_image or "none")]
    rows += [(name, _tool_text(old.tool(name)), _tool_text(new.tool(name))) for name, _ in TOOLS]
    rows.append(("glibc floor", old.glibc_text, new.glibc_text))
    rows += [
        (f"{family} ceiling", old.ceiling(family) or "none", new.ceiling(family) or "none")
        for family in expl.families
    ]
    rows.append(
        (
            "minimum pip",
            f"{old.min_pip} ({old.pip_family} tags)" if old.min_pip else "unknown",
            f"{new.min_pip} ({new.pip_family} tags)" if new.min_pip else "unknown",
        )
    )
    return rows


def _whitelist_lines(expl: Explanation) -> list[str]:
    lines = []
    if expl.whitelist_added:
        lines.append(
            f"may now leave to the system (no longer bundled): {', '.join(expl.whitelist_added)}"
        )
    if expl.whitelist_removed:
        lines.append(f"must now bundle: {', '.join(expl.whitelist_removed)}")
    return lines


def _kept_text(expl: Explanation) -> str:
    parts = []
    for reach in expl.kept:
        if reach.pip_too_old:
            parts.append(
                f"{reach.label} (its pip {reach.pip_version} predates {expl.new.min_pip}: "
                "upgrade pip first)"
            )
        else:
            parts.append(reach.label)
    return ", ".join(parts) or "none"


def _unknown_text(expl: Explanation) -> str:
    return ", ".join(
        f"{r.label} ({_reach_glibc(r)}: run it to measure)" if r.glibc else r.label
        for r in expl.unknown
    )


def _short_list(items: Sequence[DistroReach]) -> str:
    return ", ".join(
        f"{r.label} ({'no glibc' if r.glibc == 'none' else f'glibc {r.glibc}'})" for r in items
    )


def _share_lines(expl: Explanation) -> list[str]:
    """The download shares of the switch, each with the dates it is about."""
    shares = expl.shares
    if shares is None:
        return []
    old, new = expl.old, expl.new
    low, high = sorted((old, new), key=lambda side: side.glibc)
    span = f"glibc {low.glibc_text} up to {high.glibc_text} (excluded)"
    if new.glibc > old.glibc:
        glibc = (
            f"drops systems with glibc < {new.glibc_text}: {shares.below_new.text} of manylinux "
            f"downloads in {shares.below_new.period}; newly given up ({span}): "
            f"{shares.between.counted}; below {old.glibc_text}, out of reach already: "
            f"{shares.below_old.text}"
        )
    else:
        glibc = (
            f"reaches systems with {span}: {shares.between.counted} of manylinux downloads in "
            f"{shares.between.period}; still out of reach (glibc < {new.glibc_text}): "
            f"{shares.below_new.text}"
        )
    pip = (
        f"pips that know {new.pip_family} tags (pip >= {new.min_pip}): {shares.pip_new.text} of "
        f"pip's manylinux downloads in {shares.pip_new.period}; {old.pip_family} tags "
        f"(pip >= {old.min_pip}): {shares.pip_old.text}"
    )
    source = (
        f"download data: {shares.source}, PyPI downloads of manylinux wheels on glibc systems "
        "only (the shares overstate how ready the whole population is)"
    )
    return [glibc, pip, source]


def _absent_lines(expl: Explanation) -> list[str]:
    """The whitelisted libraries each measured distro lacks, named once for both policies."""
    lines = []
    for row in expl.offers:
        absent = sorted(set(row.old.absent) | set(row.new.absent))
        if absent:
            lines.append(f"{row.distro} lacks {', '.join(absent)}")
    return lines


# What an offer row means: auditwheel's whitelist and symbol-version ceilings of each policy
# against the libraries and versions measured in the distro's container.
OFFER_LEGEND = (
    "satisfied: every library the policy whitelists is there, each at least at the symbol "
    "versions the policy allows; otherwise what falls short. A wheel relying on a missing "
    "whitelisted library breaks there by the distro's fault, not the wheel's."
)


# Why a newer image's wheels may still install on a lost distro: auditwheel tags a wheel with
# the oldest policy its symbols allow, not with the build image's.
EVIDENCE_LEGEND = (
    "ok: installed and worked; refused: pip refused the wheel; other: accepted but broke, or "
    "the harness could not tell. A wheel built in a newer image still installs where auditwheel "
    "could tag it with an older policy."
)


def _evidence_table(expl: Explanation) -> tuple[list[str], list[list[str]]]:
    """Header and rows: one row per distro, one column per policy ("ok/refused/other")."""
    header = ["distro", expl.old.label, expl.new.label]
    by_distro: dict[str, dict[str, Evidence]] = {}
    for evidence in expl.evidence:
        by_distro.setdefault(evidence.distro, {})[evidence.policy] = evidence
    rows = []
    for distro, found in by_distro.items():
        cells = []
        for pol in (expl.old.name, expl.new.name):
            ev = found.get(pol)
            text = f"{ev.ok} ok / {ev.refused} refused / {ev.other} other" if ev else "-"
            if ev and ev.distro_caused:
                text += f" ({ev.distro_caused} by the distro's missing whitelisted libraries)"
            cells.append(text)
        rows.append([distro, *cells])
    return header, rows


def _aligned(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def render_text(expl: Explanation) -> str:
    lines = [_headline(expl), ""]
    source = f"auditwheel {expl.auditwheel_version}" if expl.auditwheel_version else "auditwheel"
    measured = "" if expl.toolchain_measured else "; toolchain not measured by any run"
    lines.append(f"What you gain (build image toolchain; policy data from {source}{measured}):")
    lines += _aligned([("", expl.old.label, expl.new.label), *_comparison_rows(expl)])
    lines += [f"  {line}" for line in _whitelist_lines(expl)]
    lines += ["", f"What you give up: {_lost_summary(expl)}"]
    lines += _aligned(
        [(r.label, _reach_glibc(r), _eol_text(r), r.description) for r in expl.lost]
        or [("(none)",)]
    )
    if expl.regained:
        lines += ["", f"Newly reachable (glibc below {expl.old.glibc_text}):"]
        lines += _aligned([(r.label, _reach_glibc(r), _eol_text(r)) for r in expl.regained])
    if expl.shares is not None:
        lines += ["", "How many downloads that is:", *(f"  {line}" for line in _share_lines(expl))]
    lines += ["", f"Still served: {_kept_text(expl)}"]
    if expl.out_of_reach:
        lines.append(f"Out of reach either way: {_short_list(expl.out_of_reach)}")
    if expl.unknown:
        lines.append(f"glibc unknown: {_unknown_text(expl)}")
    if expl.offers:
        lines += ["", f"What each measured distro offers the two policies ({expl.arch}):"]
        lines += _aligned(
            [
                ("", expl.old.label, expl.new.label),
                *((o.distro, o.old.summary, o.new.summary) for o in expl.offers),
            ]
        )
        lines += [f"  {line}" for line in _absent_lines(expl)]
        lines.append(f"  {OFFER_LEGEND}")
    if expl.evidence:
        lines += [
            "",
            f"Observed in {expl.results or 'the results'} ({expl.arch} cells whose wheels all "
            "came from one of these build images):",
        ]
        header, rows = _evidence_table(expl)
        lines += _aligned([header, *rows])
        lines.append(f"  {EVIDENCE_LEGEND}")
    if expl.notes:
        lines += ["", *(f"note: {note}" for note in expl.notes)]
    return "\n".join(lines).rstrip() + "\n"


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [_md_row(header), "|" + "---|" * len(header), *(_md_row(r) for r in rows), ""]


def render_markdown(expl: Explanation) -> str:
    lines = [f"## {_headline(expl)}", ""]
    source = f"auditwheel {expl.auditwheel_version}" if expl.auditwheel_version else "auditwheel"
    lines += ["### What you gain", "", f"Policy floors and ceilings from {source}.", ""]
    lines += _md_table(["", expl.old.label, expl.new.label], _comparison_rows(expl))
    lines += [f"- {line}" for line in _whitelist_lines(expl)]
    lines += ["", "### What you give up", "", f"{_lost_summary(expl)}.", ""]
    if expl.lost:
        lines += _md_table(
            ["distro", "glibc", "end of life", "description"],
            [(r.label, _reach_glibc(r), _eol_text(r), r.description) for r in expl.lost],
        )
    if expl.regained:
        lines += [f"Newly reachable (glibc below {expl.old.glibc_text}):", ""]
        lines += _md_table(
            ["distro", "glibc", "end of life"],
            [(r.label, _reach_glibc(r), _eol_text(r)) for r in expl.regained],
        )
    if expl.shares is not None:
        lines += ["How many downloads that is:", ""]
        lines += [*(f"- {line}" for line in _share_lines(expl)), ""]
    lines.append(f"- Still served: {_kept_text(expl)}")
    if expl.out_of_reach:
        lines.append(f"- Out of reach either way: {_short_list(expl.out_of_reach)}")
    if expl.unknown:
        lines.append(f"- glibc unknown: {_unknown_text(expl)}")
    if expl.offers:
        lines += ["", f"### What each measured distro offers ({expl.arch})", ""]
        lines += _md_table(
            ["distro", expl.old.label, expl.new.label],
            [(o.distro, o.old.summary, o.new.summary) for o in expl.offers],
        )
        lines += [*(f"- {line}" for line in _absent_lines(expl)), "", OFFER_LEGEND]
    if expl.evidence:
        lines += [
            "",
            "### Observed",
            "",
            f"From `{expl.results or 'the results'}`: {expl.arch} cells whose wheels all came "
            "from one of these build images.",
            "",
        ]
        header, rows = _evidence_table(expl)
        lines += [*_md_table(header, rows), EVIDENCE_LEGEND]
    if expl.notes:
        lines += ["", *(f"> {note}" for note in expl.notes)]
    return "\n".join(lines).rstrip() + "\n"
