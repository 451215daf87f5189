"""`manylinux-harness explain OLD NEW`: what a packager gains and gives up by moving a
project's wheels from one manylinux policy to another.

Gains: the build image's toolchain (measured in results.json when a run recorded it, else
what the catalog declares) and the policy's symbol-version ceilings (auditwheel's data, read
through harness.judge.policy). Costs: the catalogued distros whose glibc is below the new floor,
with their end of life, and the oldest pip that knows the new tag (installers.toml). A run's
cells, when given, add what was observed.

`explain` and the renderers are pure; `run` does the file reading.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from harness.errors import UsageError
from harness.probe.facts import TOOLCHAIN, version_tuple

# harness.judge.policy, harness.catalog.model and harness.judge.expectation load auditwheel's policy data; they
# are imported where used, so that `register` (run for every command line) stays cheap.
if TYPE_CHECKING:
    from harness.catalog.model import BuildImage, Catalog
    from harness.judge.installers import TagFamily
    from harness.judge.policy import PolicyInfo
    from harness.results.record import RunRecord

Source = Literal["measured", "catalog", "not measured"]

# Toolchain rows (harness.probe.facts.TOOLCHAIN), and the keys a build image's measured facts may
# carry for each ("gxx" for g++ has been read since explain was written: kept, so that no
# record reads differently).
_FACT_ALIASES = {"g++": ("gxx",)}
TOOLS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (name, (name, *_FACT_ALIASES.get(name, ()))) for name in TOOLCHAIN
)

# auditwheel lists non-numeric symbol versions too (CXXABI_FLOAT128, CXXABI_TM_1): they are
# not ceilings, and version_tuple would read "FLOAT128" as 128.
_NUMERIC_VERSION = re.compile(r"^\d+(\.\d+)*$")


# -- plain data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    name: str  # "gcc", "binutils", ...
    version: str  # "" when unknown
    source: Source


@dataclass(frozen=True)
class PolicySide:
    """One end of the switch."""

    name: str  # canonical, e.g. "manylinux_2_17"
    label: str  # as a packager knows it, e.g. "manylinux2014 (manylinux_2_17)"
    glibc: tuple[int, int]
    ceilings: tuple[tuple[str, str], ...]  # symbol-version family -> newest allowed ("" none)
    min_pip: str  # oldest pip that installs a wheel of this policy ("" unknown)
    pip_family: str  # the tag family that pip version introduced, e.g. "manylinux2014"
    build_image: str  # the catalog's image reference ("" when the catalog has none)
    toolchain: tuple[Tool, ...]  # empty when the catalog has no build image for it

    @property
    def glibc_text(self) -> str:
        return f"{self.glibc[0]}.{self.glibc[1]}"

    def ceiling(self, family: str) -> str:
        return dict(self.ceilings).get(family, "")

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.toolchain if t.name == name), None)


@dataclass(frozen=True)
class DistroReach:
    name: str
    description: str
    glibc: str  # "" unknown, "none" for a libc other than glibc (musl)
    glibc_source: Source
    eol: str  # ISO date, "" when the catalog has none
    eol_past: bool | None  # None: no (parsable) date
    pip_version: str = ""  # the distro's own pip, when measured
    pip_too_old: bool = False  # its own pip predates the new policy's minimum pip


@dataclass(frozen=True)
class Evidence:
    """Cells of one distro whose wheels all came from one policy's build image."""

    distro: str
    policy: str  # canonical
    ok: int
    refused: int  # pip refused the wheel
    other: int  # accepted but broken, or the harness could not tell

    @property
    def total(self) -> int:
        return self.ok + self.refused + self.other


@dataclass(frozen=True)
class Explanation:
    old: PolicySide
    new: PolicySide
    profile: str
    arch: str
    today: _dt.date
    lost: tuple[DistroReach, ...]  # glibc in [old floor, new floor): no longer installs
    regained: tuple[DistroReach, ...]  # glibc in [new floor, old floor): a move down reaches
    kept: tuple[DistroReach, ...]  # installs under both
    out_of_reach: tuple[DistroReach, ...]  # installs under neither (older glibc, or musl)
    unknown: tuple[DistroReach, ...]  # glibc neither measured nor declared
    whitelist_added: tuple[str, ...]  # sonames the new policy lets a wheel leave to the system
    whitelist_removed: tuple[str, ...]  # sonames the new policy wants bundled
    evidence: tuple[Evidence, ...]
    results: str  # where the evidence and measured facts came from ("" none)
    auditwheel_version: str = ""  # whose policy data the floors and ceilings are
    notes: tuple[str, ...] = ()

    @property
    def families(self) -> tuple[str, ...]:
        """Symbol-version families of either side, in auditwheel's order."""
        seen = dict.fromkeys(f for f, _ in (*self.old.ceilings, *self.new.ceilings))
        return tuple(seen)

    @property
    def toolchain_measured(self) -> bool:
        return any(t.source == "measured" for t in (*self.old.toolchain, *self.new.toolchain))


# -- pure logic --------------------------------------------------------------------------------


def explain(
    old: str,
    new: str,
    catalog: Catalog,
    record: RunRecord | None,
    installers: Sequence[TagFamily],
    *,
    profile: str = "local",
    arch: str = "x86_64",
    today: _dt.date | None = None,
    results: str = "",
    auditwheel_version: str = "",
) -> Explanation:
    """What moving a project's wheels from policy `old` to policy `new` changes.

    `record`: a run whose measured facts and cells are used when it is of `profile`.
    `installers`: the pip tag families (harness.judge.installers.tag_families()).
    `results`: how to name the record's file in the output.
    """
    from harness.catalog.architecture import get_arch
    from harness.judge import policy as policy_mod

    arch = get_arch(arch).name
    for name in (old, new):
        if policy_mod.is_musl(name):
            raise UsageError(
                f"explain compares glibc policies, and {name} is a musllinux policy: "
                "pass manylinux names such as manylinux2014 or manylinux_2_28"
            )
    old_policy = policy_mod.get_policy(old, arch)
    new_policy = policy_mod.get_policy(new, arch)
    if old_policy.name == new_policy.name:
        raise UsageError(
            f"{old} and {new} are the same policy ({old_policy.name}): name two different policies"
        )
    today = today or _dt.date.today()
    notes: list[str] = []
    if record is not None and not _of_profile(record, profile):
        # Image and distro keys of another profile name other images: nothing there applies.
        notes.append(
            f"{results or 'the results'} are of the {record.profile} profile, not {profile}: "
            "not used"
        )
        record = None
    if record is not None and not any(c.arch == arch for c in record.cells):
        notes.append(f"{results or 'the results'} hold no cells for {arch}")

    sides = [
        _side(pol, catalog, record, installers, profile, arch) for pol in (old_policy, new_policy)
    ]
    for side in sides:
        if not side.build_image:
            notes.append(
                f"the {profile} catalog has no {side.name} build image for {arch}: "
                "its toolchain is unknown"
            )
    old_side, new_side = sides

    groups: dict[str, list[DistroReach]] = {k: [] for k in ("lost", "regained", "kept", "out", "?")}
    new_pip = version_tuple(new_side.min_pip)
    for distro in catalog.distros(profile, [arch]):
        facts = _distro_facts(record, distro.key)
        reach = _reach(distro.name, distro.description, distro.eol, distro.expected_glibc, facts)
        reach = _with_eol(reach, today)
        glibc = version_tuple(reach.glibc)
        if not reach.glibc:
            groups["?"].append(reach)
        elif not glibc:  # "none": musl, which no manylinux wheel installs on
            groups["out"].append(reach)
        elif glibc >= max(old_side.glibc, new_side.glibc):
            if reach.pip_version and new_pip:
                too_old = version_tuple(reach.pip_version) < new_pip
                reach = dataclasses.replace(reach, pip_too_old=too_old)
            groups["kept"].append(reach)
        elif glibc >= old_side.glibc:
            groups["lost"].append(reach)
        elif glibc >= new_side.glibc:
            groups["regained"].append(reach)
        else:
            groups["out"].append(reach)

    def ordered(items: list[DistroReach]) -> tuple[DistroReach, ...]:
        return tuple(sorted(items, key=lambda r: (version_tuple(r.glibc), r.name)))

    return Explanation(
        old=old_side,
        new=new_side,
        profile=profile,
        arch=arch,
        today=today,
        lost=ordered(groups["lost"]),
        regained=ordered(groups["regained"]),
        kept=ordered(groups["kept"]),
        out_of_reach=ordered(groups["out"]),
        unknown=ordered(groups["?"]),
        whitelist_added=tuple(sorted(new_policy.whitelist - old_policy.whitelist)),
        whitelist_removed=tuple(sorted(old_policy.whitelist - new_policy.whitelist)),
        evidence=_evidence(record, arch, (old_side.name, new_side.name)) if record else (),
        results=results if record is not None else "",
        auditwheel_version=auditwheel_version,
        notes=tuple(notes),
    )


def _of_profile(record: RunRecord, profile: str) -> bool:
    """Whether a run measured this profile; a merged run's profile reads "local+official"."""
    return not record.profile or profile in record.profile.split("+")


def _side(
    pol: PolicyInfo,
    catalog: Catalog,
    record: RunRecord | None,
    installers: Sequence[TagFamily],
    profile: str,
    arch: str,
) -> PolicySide:
    images = catalog.build_images(profile, [arch], [pol.name])
    image = images[0] if images else None
    label = f"{pol.display_name} ({pol.name})" if pol.aliases else pol.name
    min_pip, family = _minimum_pip(pol, arch, installers)
    return PolicySide(
        name=pol.name,
        label=label,
        glibc=pol.glibc,
        ceilings=tuple(
            (family_name, _newest(versions))
            for family_name, versions in pol.symbol_versions.items()
        ),
        min_pip=min_pip,
        pip_family=family,
        build_image=image.image.tag if image else "",
        toolchain=_toolchain(image, catalog, record) if image else (),
    )


def _newest(versions: frozenset[str]) -> str:
    numeric = [v for v in versions if _NUMERIC_VERSION.match(v)]
    return max(numeric, key=version_tuple) if numeric else ""


def _minimum_pip(pol: PolicyInfo, arch: str, installers: Sequence[TagFamily]) -> tuple[str, str]:
    """The oldest pip that knows any of the tags auditwheel gives a wheel of this policy:
    its PEP 600 tag and, for the three legacy policies, the legacy alias too (which is why a
    manylinux2014 wheel needs pip 19.3, not 20.3)."""
    tags = [pol.tag(arch), *(f"{alias}_{arch}" for alias in pol.aliases)]
    found = []
    for tag in tags:
        # The first matching family decides, as in harness.judge.installers.family_of.
        family = next((f for f in installers if f.pattern.match(tag)), None)
        if family is not None:
            found.append(family)
    if not found:
        return "", ""
    best = min(found, key=lambda f: f.since)
    return str(best.since), best.name


def _toolchain(image: BuildImage, catalog: Catalog, record: RunRecord | None) -> tuple[Tool, ...]:
    entry = record.images.get(image.image.key) if record is not None else None
    facts: Mapping[str, Any] = (entry or {}).get("facts") or {}
    suite = catalog.suites.get(image.image.base.suite) if image.image.base.suite else None
    # The catalog declares no compiler versions; it knows the glibc (the Debian suite's, or
    # the policy's own floor, which is what PyPA's images are built on).
    declared = {"glibc": suite.glibc if suite else f"{image.glibc[0]}.{image.glibc[1]}"}
    tools = []
    for name, keys in TOOLS:
        measured = next((str(facts[k]) for k in keys if facts.get(k)), "")
        if measured:
            tools.append(Tool(name, measured, "measured"))
        elif name in declared:
            tools.append(Tool(name, declared[name], "catalog"))
        else:
            tools.append(Tool(name, "", "not measured"))
    return tuple(tools)


def _distro_facts(record: RunRecord | None, key: str) -> Mapping[str, Any] | None:
    if record is None:
        return None
    facts = (record.distros.get(key) or {}).get("facts")
    return facts if isinstance(facts, Mapping) else None


def _reach(
    name: str, description: str, eol: str, declared_glibc: str, facts: Mapping[str, Any] | None
) -> DistroReach:
    if facts is not None:
        # A measured null glibc is a measurement too: the system has none (musl).
        glibc = str(facts.get("glibc") or "none")
        return DistroReach(
            name=name,
            description=description,
            glibc=glibc,
            glibc_source="measured",
            eol=eol,
            eol_past=None,
            pip_version=str(facts.get("pip_version") or ""),
        )
    return DistroReach(
        name=name,
        description=description,
        glibc=declared_glibc,
        glibc_source="catalog" if declared_glibc else "not measured",
        eol=eol,
        eol_past=None,
    )


def _with_eol(reach: DistroReach, today: _dt.date) -> DistroReach:
    try:
        past = _dt.date.fromisoformat(reach.eol) < today if reach.eol else None
    except ValueError:
        past = None
    return dataclasses.replace(reach, eol_past=past)


def _evidence(record: RunRecord, arch: str, policies: Sequence[str]) -> tuple[Evidence, ...]:
    from harness.judge.verdict import Verdict
    from harness.probe import observation as obs

    counts: dict[tuple[str, str], Counter[str]] = {}
    for cell in record.cells:
        if cell.arch != arch or not cell.members:
            continue
        built_in = {m.policy for m in cell.members}
        # A combination of wheels from two build images says nothing about either alone.
        if len(built_in) != 1 or next(iter(built_in)) not in policies:
            continue
        install = cell.observed.get("install") or {}
        if cell.verdict is Verdict.OK:
            outcome = "ok"
        elif install.get("decision") == obs.REFUSED:
            outcome = "refused"
        else:
            outcome = "other"
        counts.setdefault((cell.distro, next(iter(built_in))), Counter())[outcome] += 1

    def glibc_of(distro: str) -> tuple[int, ...]:
        facts = _distro_facts(record, f"{distro}-{arch}") or {}
        return version_tuple(str(facts.get("glibc") or ""))

    rows = []
    for distro in sorted({d for d, _ in counts}, key=lambda d: (glibc_of(d), d)):
        for pol in policies:
            found = counts.get((distro, pol))
            if found:
                rows.append(Evidence(distro, pol, found["ok"], found["refused"], found["other"]))
    return tuple(rows)


# -- rendering ---------------------------------------------------------------------------------


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
    return f"glibc {reach.glibc} ({reach.glibc_source})" if reach.glibc else "glibc unknown"


def _eol_text(reach: DistroReach) -> str:
    if not reach.eol:
        return "EOL unknown"
    if reach.eol_past is None:
        return f"EOL {reach.eol}"
    return f"EOL {reach.eol} ({'past' if reach.eol_past else 'supported'})"


def _lost_summary(expl: Explanation) -> str:
    past = sum(1 for r in expl.lost if r.eol_past)
    if not expl.lost:
        return f"no catalogued {expl.arch} distro is lost"
    return (
        f"{len(expl.lost)} catalogued distro(s) can no longer install the wheel "
        f"(glibc below {expl.new.glibc_text}), {past} of them already past end of life"
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
                f"{reach.name} (its pip {reach.pip_version} predates {expl.new.min_pip}: "
                "upgrade pip first)"
            )
        else:
            parts.append(reach.name)
    return ", ".join(parts) or "none"


def _short_list(items: Sequence[DistroReach]) -> str:
    return ", ".join(
        f"{r.name} ({'no glibc' if r.glibc == 'none' else f'glibc {r.glibc}'})" for r in items
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
            cells.append(f"{ev.ok} ok / {ev.refused} refused / {ev.other} other" if ev else "-")
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
        [(r.name, _reach_glibc(r), _eol_text(r), r.description) for r in expl.lost] or [("(none)",)]
    )
    if expl.regained:
        lines += ["", f"Newly reachable (glibc below {expl.old.glibc_text}):"]
        lines += _aligned([(r.name, _reach_glibc(r), _eol_text(r)) for r in expl.regained])
    lines += ["", f"Still served: {_kept_text(expl)}"]
    if expl.out_of_reach:
        lines.append(f"Out of reach either way: {_short_list(expl.out_of_reach)}")
    if expl.unknown:
        lines.append(f"glibc unknown: {', '.join(r.name for r in expl.unknown)}")
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
            [(r.name, _reach_glibc(r), _eol_text(r), r.description) for r in expl.lost],
        )
    if expl.regained:
        lines += [f"Newly reachable (glibc below {expl.old.glibc_text}):", ""]
        lines += _md_table(
            ["distro", "glibc", "end of life"],
            [(r.name, _reach_glibc(r), _eol_text(r)) for r in expl.regained],
        )
    lines.append(f"- Still served: {_kept_text(expl)}")
    if expl.out_of_reach:
        lines.append(f"- Out of reach either way: {_short_list(expl.out_of_reach)}")
    if expl.unknown:
        lines.append(f"- glibc unknown: {', '.join(r.name for r in expl.unknown)}")
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


def find_results(base: Path, profile: str, arch: str) -> Path | None:
    """The newest run under base/results (results/*/results.json, or results/results.json as
    `run` writes by default) of this profile with cells for this arch; None if none."""
    from harness.results import record as results_mod

    candidates = [base / "results" / "results.json", *sorted(base.glob("results/*/results.json"))]
    best: tuple[str, float, Path] | None = None
    for candidate in candidates:
        if not candidate.is_file():
            continue
        try:
            record = results_mod.load(candidate)
        except UsageError:
            continue  # an unreadable or older run is not a default worth failing over
        # Another profile's run names other images and distros: its facts would not apply.
        if not _of_profile(record, profile) or not any(c.arch == arch for c in record.cells):
            continue
        key = (record.created, candidate.stat().st_mtime, candidate)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None
