"""The regression gate: a candidate run against a baseline run, cell by cell. Pure.

Cells are matched by a stable identity (samples, flavours, build policy, arch, distro, pip,
dlopen mode, import order: the cell key without image digests and without candidate marks).
A cell *held* when it came out as declared (or, undeclared, the claim held) and was told: a
sample that worked, a refusal the tags promised, a control that was caught. The gate fails iff
some cell that held in the baseline does not hold in the candidate: a broken claim, a control
no longer caught, or an `error` where the baseline had a verdict.

Two runs made with different harness or dependency versions (auditwheel's policy, packaging's
tag logic in the containers) may differ for that reason alone: the gate warns, naming them,
and passes or fails on the cells all the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.errors import UsageError
from harness.images.candidate import identity, is_candidate
from harness.results.record import CellRecord, RunRecord
from harness.util.provenance import ROOT
from harness.vocab.verdict import Verdict

# Cells listed per section before "... and N more" (the counts are always complete).
LIST_LIMIT = 60


def held(cell: CellRecord) -> bool:
    return cell.as_expected and cell.verdict is not Verdict.ERROR


@dataclass(frozen=True)
class Pair:
    identity: str
    baseline: CellRecord | None
    candidate: CellRecord | None

    @property
    def cause(self) -> str:
        """Whose fault a violation is: "distro lacks whitelisted ..." when the distro broke
        the policy's promise (CellRecord.distro_cause), "" for the wheel's own."""
        cell = self.candidate or self.baseline
        return cell.distro_cause if cell is not None else ""

    def line(self) -> str:
        cause = f" [cause: {self.cause}]" if self.cause else ""
        return self._line() + cause

    def _line(self) -> str:
        if self.baseline and self.candidate:
            text = (
                f"{self.identity}: {self.baseline.verdict.value} -> {self.candidate.verdict.value}"
            )
            why = self.candidate.diagnosis or self.candidate.explanation
            return f"{text} ({why})" if why else text
        cell = self.baseline or self.candidate
        assert cell is not None
        return f"{self.identity}: {cell.verdict.value}"


@dataclass(frozen=True)
class GateResult:
    regressions: tuple[Pair, ...]
    improvements: tuple[Pair, ...]
    changed: tuple[Pair, ...]  # verdict changed, both sides as expected (e.g. a new declaration)
    unchanged: int
    only_baseline: tuple[Pair, ...]  # in the candidate's scope, but not measured there
    only_candidate: tuple[Pair, ...]
    out_of_scope: int  # baseline cells of arches/policies the candidate did not run
    warnings: tuple[str, ...] = ()  # the two runs' provenance differs or is unknown

    @property
    def passed(self) -> bool:
        return not self.regressions

    @property
    def compared(self) -> int:
        return len(self.regressions) + len(self.improvements) + len(self.changed) + self.unchanged


def _scope(cell: CellRecord) -> set[tuple[str, str]]:
    return {(cell.arch, m.policy) for m in cell.members}


def _index(cells: Iterable[CellRecord], candidate_side: bool) -> dict[str, CellRecord]:
    """Cells by identity. On the candidate side a candidate-image cell stands in for the
    current image's cell of the same identity; on the baseline side candidate cells (of a
    run that had some) are not part of the baseline."""
    plain: dict[str, CellRecord] = {}
    marked: dict[str, CellRecord] = {}
    for cell in cells:
        if is_candidate(cell.key):
            if candidate_side:
                marked[identity(cell.key)] = cell
        else:
            plain[cell.key] = cell
    return {**plain, **marked}


def compare(baseline: RunRecord, candidate: RunRecord) -> GateResult:
    before = _index(baseline.cells, candidate_side=False)
    after = _index(candidate.cells, candidate_side=True)
    scope = set().union(*(_scope(c) for c in after.values())) if after else set()
    regressions, improvements, changed, only_baseline, only_candidate = [], [], [], [], []
    unchanged = out_of_scope = 0
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        pair = Pair(key, old, new)
        if old is None:
            only_candidate.append(pair)
        elif new is None:
            if _scope(old) <= scope:
                only_baseline.append(pair)
            else:
                out_of_scope += 1
        elif held(old) and not held(new):
            regressions.append(pair)
        elif held(new) and not held(old):
            improvements.append(pair)
        elif old.verdict is not new.verdict:
            changed.append(pair)
        else:
            unchanged += 1
    return GateResult(
        regressions=tuple(regressions),
        improvements=tuple(improvements),
        changed=tuple(changed),
        unchanged=unchanged,
        only_baseline=tuple(only_baseline),
        only_candidate=tuple(only_candidate),
        out_of_scope=out_of_scope,
        warnings=provenance_warnings(baseline, candidate),
    )


# -- provenance: what made each side ------------------------------------------------------------

ABSENT = "(absent)"
WHY = "(verdicts may differ for that reason)"


@dataclass(frozen=True)
class VersionChange:
    name: str
    baseline: str  # ABSENT when that side did not have it
    candidate: str

    def text(self) -> str:
        return f"{self.name} {self.baseline} -> {self.candidate}"


def _host_versions(record: RunRecord) -> dict[str, str]:
    """Host-side versions, the harness's own from the field every record has (an older record
    without its dependencies still names the harness version)."""
    versions = dict(record.host_dependencies() or {})
    if record.harness_version:
        versions[ROOT] = record.harness_version
    return versions


def _probe_versions(record: RunRecord) -> dict[str, str]:
    """Probe-side versions as measured in the containers, labelled apart from the host's
    library of the same name; several versions across distros are shown together."""
    return {
        f"{name} (probe)": "/".join(sorted(found))
        for name, found in record.probe_dependencies().items()
    }


def _differ(before: dict[str, str], after: dict[str, str], complete: bool) -> list[VersionChange]:
    """Changed versions. With both sides complete a package on one side only is a change too;
    otherwise only packages both sides name can be compared."""
    names = set(before) | set(after) if complete else set(before) & set(after)
    return [
        VersionChange(name, before.get(name, ABSENT), after.get(name, ABSENT))
        for name in sorted(names, key=lambda n: (n != ROOT, n))
        if before.get(name) != after.get(name)
    ]


def provenance_changes(baseline: RunRecord, candidate: RunRecord) -> tuple[VersionChange, ...]:
    """Harness and dependency versions that differ between the runs: the harness first, then
    the host's distributions, then the libraries the probe imported in the containers. A
    probe library only one side measured (no distro probed on the other) is not compared."""
    known = baseline.host_dependencies() is not None and candidate.host_dependencies() is not None
    host = _differ(_host_versions(baseline), _host_versions(candidate), complete=known)
    probe = _differ(_probe_versions(baseline), _probe_versions(candidate), complete=False)
    return tuple(host + probe)


def provenance_warnings(baseline: RunRecord, candidate: RunRecord) -> tuple[str, ...]:
    """Warning lines for the gate's output: one naming every changed version, and one naming
    the side(s) whose record predates dependency versions. Never a failure."""
    if baseline is candidate:  # `gate` without --candidate: one run, one provenance
        return ()
    warnings: list[str] = []
    changes = provenance_changes(baseline, candidate)
    if changes:
        warnings.append(
            "warning: baseline and candidate were made with different dependencies: "
            f"{', '.join(c.text() for c in changes)} {WHY}"
        )
    unknown = [
        side
        for side, record in (("baseline", baseline), ("candidate", candidate))
        if record.host_dependencies() is None
    ]
    if len(unknown) == 1:
        warnings.append(
            f"warning: the {unknown[0]} does not record the dependency versions it was made "
            f"with (an older record): its provenance is unknown {WHY}"
        )
    elif unknown:
        warnings.append(
            "warning: neither the baseline nor the candidate records the dependency versions "
            f"it was made with (older records): the provenance of both is unknown {WHY}"
        )
    return tuple(warnings)


def headline(result: GateResult) -> str:
    if result.passed:
        return (
            f"gate passed: none of {result.compared} compared cells regressed "
            f"({len(result.improvements)} improved)"
        )
    return (
        f"gate FAILED: {len(result.regressions)} of {result.compared} compared cells held in the "
        "baseline and no longer hold in the candidate"
    )


def _section(title: str, pairs: tuple[Pair, ...], bullet: str) -> list[str]:
    if not pairs:
        return []
    lines = [f"{title} ({len(pairs)}):"]
    lines += [f"{bullet}{pair.line()}" for pair in pairs[:LIST_LIMIT]]
    if len(pairs) > LIST_LIMIT:
        lines.append(f"{bullet}... and {len(pairs) - LIST_LIMIT} more")
    return lines


def _regression_details(pair: Pair) -> list[str]:
    assert pair.baseline and pair.candidate
    new = pair.candidate
    lines = [f"  {pair.identity}"]
    lines.append(f"    baseline:  {pair.baseline.verdict.value} ({pair.baseline.explanation})")
    lines.append(f"    candidate: {new.verdict.value} ({new.explanation})")
    if new.diagnosis:
        lines.append(f"    diagnosis: {new.diagnosis}")
    if pair.cause:
        lines.append(f"    cause:     {pair.cause} (the distro's, not the wheel's)")
    wheels = [w for m in new.members for w in m.wheels]
    if wheels:
        lines.append(f"    wheels:    {', '.join(wheels)}")
    return lines


def render_text(result: GateResult) -> str:
    lines = [headline(result), *result.warnings]
    if result.regressions:
        lines.append(f"regressions ({len(result.regressions)}):")
        for pair in result.regressions[:LIST_LIMIT]:
            lines += _regression_details(pair)
        if len(result.regressions) > LIST_LIMIT:
            lines.append(f"  ... and {len(result.regressions) - LIST_LIMIT} more")
    lines += _section("improvements", result.improvements, "  ")
    lines += _section("changed verdicts, both as expected", result.changed, "  ")
    lines += _section("only in the baseline", result.only_baseline, "  ")
    lines += _section("only in the candidate", result.only_candidate, "  ")
    if result.out_of_scope:
        lines.append(
            f"{result.out_of_scope} baseline cells are outside the candidate's arches and policies"
        )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(result: GateResult) -> str:
    icon = "✅" if result.passed else "❌"
    lines = [f"## {icon} manylinux-harness gate", "", headline(result), ""]
    for warning in result.warnings:
        lines += [f"> ⚠️ {_md(warning)}", ""]
    if result.regressions:
        lines += [
            "### Regressions",
            "",
            "| cell | baseline | candidate | diagnosis | cause |",
            "|---|---|---|---|---|",
        ]
        for pair in result.regressions:
            assert pair.baseline and pair.candidate
            why = pair.candidate.diagnosis or pair.candidate.explanation
            lines.append(
                f"| {_md(pair.identity)} | {pair.baseline.verdict.value} | "
                f"**{pair.candidate.verdict.value}** | {_md(why)} | {_md(pair.cause or 'wheel')} |"
            )
        lines.append("")
    for title, pairs in (
        ("Improvements", result.improvements),
        ("Changed verdicts, both as expected", result.changed),
        ("Only in the baseline", result.only_baseline),
        ("Only in the candidate", result.only_candidate),
    ):
        if pairs:
            lines += [f"### {title} ({len(pairs)})", ""]
            lines += [f"- {_md(pair.line())}" for pair in pairs[:LIST_LIMIT]]
            if len(pairs) > LIST_LIMIT:
                lines.append(f"- ... and {len(pairs) - LIST_LIMIT} more")
            lines.append("")
    if result.out_of_scope:
        lines.append(
            f"{result.out_of_scope} baseline cells are outside the candidate's arches and policies."
        )
    return "\n".join(lines) + "\n"


def require_common(outcome: GateResult, baseline: RunRecord, candidate: RunRecord) -> None:
    """Nothing compared is no evidence either way: a gate that passed on it would lie."""
    if not outcome.compared:
        raise UsageError(
            f"the baseline ({len(baseline.cells)} cells) and the candidate "
            f"({len(candidate.cells)} cells) have no cell in common: pass records of the same "
            "matrix (or a run made with --candidate-image)"
        )
