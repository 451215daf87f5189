"""`explain`'s output: an Explanation (harness.explain.model) as aligned text for a terminal,
or as Markdown for a pull request or an issue. Pure.

Sources are numbered once per output ([1], [2], ...) and listed at its end, so a value shows
where it comes from without repeating a long reference on every row."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from harness.catalog.model import ROLLING
from harness.explain.model import TOOLS, DistroReach, Evidence, Explanation, PolicySide, Tool

if TYPE_CHECKING:
    from harness.explain.download_shares import Crossing


class Refs:
    """Sources in the order first cited: mark() gives a value its "[n]"."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def mark(self, source: str) -> str:
        if not source:
            return ""
        number = self.numbers.setdefault(source, len(self.numbers) + 1)
        return f"[{number}]"

    def lines(self) -> list[str]:
        return [f"[{n}] {source}" for source, n in self.numbers.items()]


def headline(expl: Explanation) -> str:
    old, new = expl.old, expl.new
    direction = "raises" if new.glibc > old.glibc else "lowers"
    return (
        f"{old.label} -> {new.label} ({expl.profile} profile, {expl.arch}): "
        f"{direction} the {expl.libc} floor from {old.glibc_text} to {new.glibc_text}"
    )


def _cite(text: str, source: str, refs: Refs) -> str:
    mark = refs.mark(source)
    return f"{text} {mark}" if mark else text


def tool_text(tool: Tool | None, refs: Refs) -> str:
    if tool is None:
        return "no build image"
    if tool.source == "not measured":
        return "not measured"
    if tool.source == "not published":
        return _cite("not published", tool.ref, refs)
    if tool.source == "data":
        return _cite(tool.version, tool.ref, refs)
    if tool.data_version:
        return f"{tool.version} (measured; the data says {tool.data_version} {refs.mark(tool.ref)})"
    return f"{tool.version} ({tool.source})"


def _eol_short(eol: str, today_past: bool | None) -> str:
    if not eol:
        return "EOL unknown"
    if eol == ROLLING:
        return "rolling release"
    if today_past is None:
        return f"EOL {eol}"
    return f"EOL {eol} ({'past' if today_past else 'supported'})"


def _image_rows(expl: Explanation, refs: Refs) -> list[tuple[str, str, str]]:
    """PyPA's image of each side: base system, support, toolset, arches, Pythons."""
    rows: list[tuple[str, str, str]] = []
    sides = (expl.old, expl.new)
    if not any(side.images or side.no_image for side in sides):
        return rows

    def each(render: Callable[[PolicySide], str]) -> tuple[str, str]:
        return render(sides[0]), render(sides[1])

    def none(side: PolicySide) -> str:
        return _cite("no PyPA image", side.no_image, refs) if side.no_image else "no PyPA image"

    def image(side: PolicySide) -> str:
        data = side.images
        if data is None:
            return none(side)
        if not data.image:
            return f"none for {expl.arch} (PyPA builds it for {', '.join(data.arches)})"
        return _cite(f"{data.image} (inspected {data.inspected})", data.pythons_source, refs)

    def base(side: PolicySide) -> str:
        data = side.images
        if data is None:
            return none(side)
        past = None
        if data.base_eol and data.base_eol != ROLLING:
            past = data.base_eol < expl.today.isoformat()
        eol = _eol_short(data.base_eol, past)
        return f"{_cite(data.base, data.support_source, refs)}, {_cite(eol, data.base_eol_source, refs)}"

    def support(side: PolicySide) -> str:
        data = side.images
        if data is None:
            return none(side)
        text = f"ended {data.support_ended}" if data.support_ended else "supported"
        return _cite(text, data.support_source, refs)

    def toolset(side: PolicySide) -> str:
        data = side.images
        if data is None:
            return none(side)
        return _cite(data.toolset or "the base system's own gcc", data.toolset_source, refs)

    def arches(side: PolicySide) -> str:
        data = side.images
        if data is None:
            return none(side)
        return _cite(", ".join(data.arches), data.arches_source, refs)

    def pythons(side: PolicySide) -> str:
        data = side.images
        if data is None or not data.pythons:
            return none(side) if data is None else "none inspected"
        tags = " ".join(python_tag(p) for p in data.pythons)
        return _cite(tags, data.pythons_source, refs)

    rows.append(("PyPA image", *each(image)))
    rows.append(("base system", *each(base)))
    rows.append(("image support", *each(support)))
    rows.append(("gcc toolset", *each(toolset)))
    rows.append(("arches built", *each(arches)))
    rows.append(("Pythons", *each(pythons)))
    return rows


def python_tag(entry: str) -> str:
    """ "cp314-cp314t 3.14.6" -> "cp314t", "cp27-cp27mu 2.7.18" -> "cp27mu" (the ABI tag
    tells the builds apart); "pp311-pypy311_pp73 3.11.15" -> "pp311" """
    tag = entry.split()[0]
    python, _, abi = tag.partition("-")
    return python if python.startswith("pp") or not abi else abi


def comparison_rows(expl: Explanation, refs: Refs) -> list[tuple[str, str, str]]:
    """(what, old, new) rows shared by the text and Markdown renderers."""
    old, new = expl.old, expl.new
    rows = [("build image", old.build_image or "none", new.build_image or "none")]
    rows += _image_rows(expl, refs)
    rows += [
        (name, tool_text(old.tool(name), refs), tool_text(new.tool(name), refs))
        for name, _ in TOOLS
    ]
    rows.append((f"{expl.libc} floor", old.glibc_text, new.glibc_text))
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


def arch_lines(expl: Explanation) -> list[str]:
    """The arches PyPA builds one policy's images for and not the other's."""
    old, new = expl.old.images, expl.new.images
    if old is None or new is None:
        return []
    lines = []
    dropped = [a for a in old.arches if a not in new.arches]
    added = [a for a in new.arches if a not in old.arches]
    if dropped:
        lines.append(f"PyPA builds {old.name} images for {', '.join(dropped)}, {new.name} not")
    if added:
        lines.append(f"PyPA builds {new.name} images for {', '.join(added)}, {old.name} not")
    return lines


def whitelist_lines(expl: Explanation) -> list[str]:
    lines = []
    if expl.whitelist_added:
        lines.append(
            f"may now leave to the system (no longer bundled): {', '.join(expl.whitelist_added)}"
        )
    if expl.whitelist_removed:
        lines.append(f"must now bundle: {', '.join(expl.whitelist_removed)}")
    return lines


def lost_summary(expl: Explanation) -> str:
    past = sum(1 for r in expl.lost if r.eol_past)
    if not expl.lost:
        return f"no known {expl.arch} distro is lost"
    runnable = sum(1 for r in expl.lost if r.runnable)
    return (
        f"{len(expl.lost)} distro(s) can no longer install the wheel ({expl.libc} below "
        f"{expl.new.glibc_text}; {runnable} runnable here, {len(expl.lost) - runnable} not), "
        f"{past} of them already past end of life"
    )


def _version_of(reach: DistroReach, libc: str) -> str:
    if libc == "musl":
        return f"musl {reach.musl}" if reach.musl else "no musl"
    if reach.glibc == "none":
        return "no glibc"
    return f"glibc {reach.glibc}" if reach.glibc else "glibc unknown"


def reach_libc(reach: DistroReach, libc: str) -> str:
    version = _version_of(reach, libc)
    if reach.glibc_source == "rolling":
        return f"{version.replace(' ', ' >= ', 1)} (rolling, not measured)"
    if libc == "musl" or not reach.glibc or reach.glibc == "none":
        return version
    return f"{version} ({reach.glibc_source})"


def _under(reach: DistroReach, group: str, new_side: bool, libc: str) -> str:
    """What a wheel of one side's policy does on the distro."""
    if group == "?":
        return "unknown until measured"
    installs = {"kept": True, "out": False, "lost": not new_side, "regained": new_side}[group]
    return "installs" if installs else f"refused ({_version_of(reach, libc)})"


def distro_rows(expl: Explanation, refs: Refs) -> list[tuple[str, ...]]:
    """One row per known distro: (distro, libc, end of life, old, new, runs here)."""
    rows: list[tuple[str, ...]] = []
    groups = (
        ("lost", expl.lost),
        ("regained", expl.regained),
        ("kept", expl.kept),
        ("out", expl.out_of_reach),
        ("?", expl.unknown),
    )
    for group, reaches in groups:
        for reach in reaches:
            new = _under(reach, group, True, expl.libc)
            if reach.pip_too_old:
                new += (
                    f" (its pip {reach.pip_version} predates {expl.new.min_pip}: upgrade pip first)"
                )
            rows.append(
                (
                    f"{reach.name} ({reach.description})",
                    reach_libc(reach, expl.libc),
                    _cite(_eol_short(reach.eol, reach.eol_past), reach.eol_source, refs),
                    _under(reach, group, False, expl.libc),
                    new,
                    ", ".join(reach.rows) if reach.runnable else f"no: {reach.why_not}",
                )
            )
    return rows


def distro_header(expl: Explanation) -> tuple[str, ...]:
    return ("distro", "C library", "end of life", expl.old.label, expl.new.label, "runnable here")


def share_lines(expl: Explanation) -> list[str]:
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


def crossing_text(pair: tuple[Crossing, Crossing], exact: bool) -> str:
    """One threshold's date: exact, or between the two bounds' dates."""
    latest, earliest = pair
    if exact or latest == earliest:
        return latest.text
    # The lower bound's crossing is the latest the share can have crossed, the upper's the
    # earliest.
    return (
        f"{latest.threshold:g} %: at the earliest {_when(earliest)}, at the latest {_when(latest)}"
    )


def _when(crossing: Crossing) -> str:
    if crossing.state == "crossed":
        return crossing.first
    return crossing.state


def timeline_lines(expl: Explanation) -> list[str]:
    """The share on glibc >= the new floor over time, and when it reached each threshold."""
    view = expl.shares.timeline if expl.shares is not None else None
    if view is None:
        return []
    series = view.new
    first, last = series.dates[0], series.dates[-1]
    year_ago = _index_near(series.dates, _year_before(last))
    lines = [
        f"share of manylinux downloads on glibc >= {series.floor_text} ({view.window_days} days "
        f"to each date): {series.bounds_text()} on {last}; "
        f"{series.bounds_text(year_ago)} on {series.dates[year_ago]}; "
        f"{series.bounds_text(0)} on {first}",
        "reached: " + "; ".join(crossing_text(pair, series.exact) for pair in view.crossings),
        f"timeline data: {view.source}",
    ]
    lines += [f"the data cannot show: {limit}" for limit in view.limits]
    return lines


def _year_before(date: str) -> str:
    year, rest = date.split("-", 1)
    return f"{int(year) - 1}-{rest}"


def _index_near(dates: Sequence[str], wanted: str) -> int:
    """The index of the last date at or before `wanted` (0 when none is)."""
    found = 0
    for i, date in enumerate(dates):
        if date <= wanted:
            found = i
    return found


def absent_lines(expl: Explanation) -> list[str]:
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


def evidence_table(expl: Explanation) -> tuple[list[str], list[list[str]]]:
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


def _gain_title(expl: Explanation) -> str:
    source = f"auditwheel {expl.auditwheel_version}" if expl.auditwheel_version else "auditwheel"
    return (
        "the build images as PyPA publishes them unless marked measured (by a run); the "
        f"policies' floors and ceilings from {source}"
    )


def render_text(expl: Explanation) -> str:
    refs = Refs()
    lines = [headline(expl), ""]
    lines.append(f"What you gain ({_gain_title(expl)}):")
    lines += _aligned([("", expl.old.label, expl.new.label), *comparison_rows(expl, refs)])
    lines += [f"  {line}" for line in (*whitelist_lines(expl), *arch_lines(expl))]
    lines.append(f"  {expl.uv_note}")
    lines += [f"  differs: {line}" for line in expl.differences]
    lines += ["", f"What you give up: {lost_summary(expl)}"]
    lines.append(f"Every known distro, once ({expl.arch}):")
    lines += _aligned([distro_header(expl), *distro_rows(expl, refs)])
    if expl.shares is not None:
        lines += ["", "How many downloads that is, and since when:"]
        lines += [f"  {line}" for line in (*share_lines(expl), *timeline_lines(expl))]
    if expl.offers:
        lines += ["", f"What each measured distro offers the two policies ({expl.arch}):"]
        lines += _aligned(
            [
                ("", expl.old.label, expl.new.label),
                *((o.distro, o.old.summary, o.new.summary) for o in expl.offers),
            ]
        )
        lines += [f"  {line}" for line in absent_lines(expl)]
        lines.append(f"  {OFFER_LEGEND}")
    if expl.evidence:
        lines += [
            "",
            f"Observed in {expl.results or 'the results'} ({expl.arch} cells whose wheels all "
            "came from one of these build images):",
        ]
        header, rows = evidence_table(expl)
        lines += _aligned([header, *rows])
        lines.append(f"  {EVIDENCE_LEGEND}")
    if expl.notes:
        lines += ["", *(f"note: {note}" for note in expl.notes)]
    if refs.numbers:
        lines += ["", "Sources:", *(f"  {line}" for line in refs.lines())]
    return "\n".join(lines).rstrip() + "\n"


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [_md_row(header), "|" + "---|" * len(header), *(_md_row(r) for r in rows), ""]


def render_markdown(expl: Explanation) -> str:
    refs = Refs()
    lines = [f"## {headline(expl)}", ""]
    lines += ["### What you gain", "", f"From {_gain_title(expl)}.", ""]
    lines += _md_table(["", expl.old.label, expl.new.label], comparison_rows(expl, refs))
    lines += [f"- {line}" for line in (*whitelist_lines(expl), *arch_lines(expl))]
    lines.append(f"- {expl.uv_note}")
    lines += [f"- differs: {line}" for line in expl.differences]
    lines += ["", "### What you give up", "", f"{lost_summary(expl)}.", ""]
    lines += _md_table(distro_header(expl), distro_rows(expl, refs))
    if expl.shares is not None:
        lines += ["### How many downloads that is, and since when", ""]
        lines += [*(f"- {line}" for line in (*share_lines(expl), *timeline_lines(expl))), ""]
    if expl.offers:
        lines += [f"### What each measured distro offers ({expl.arch})", ""]
        lines += _md_table(
            ["distro", expl.old.label, expl.new.label],
            [(o.distro, o.old.summary, o.new.summary) for o in expl.offers],
        )
        lines += [*(f"- {line}" for line in absent_lines(expl)), "", OFFER_LEGEND, ""]
    if expl.evidence:
        lines += [
            "### Observed",
            "",
            f"From `{expl.results or 'the results'}`: {expl.arch} cells whose wheels all came "
            "from one of these build images.",
            "",
        ]
        header, rows = evidence_table(expl)
        lines += [*_md_table(header, rows), EVIDENCE_LEGEND, ""]
    if expl.notes:
        lines += [*(f"> {note}" for note in expl.notes), ""]
    if refs.numbers:
        lines += ["### Sources", "", *(f"{line}  " for line in refs.lines())]
    return "\n".join(lines).rstrip() + "\n"
