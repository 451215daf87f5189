"""What a report shows, as plain data: the one view model both renderers draw.

Everything a reader sees is decided when the model is built (harness.report.build): which
cells, in which order, grouped how, judged how, in which words. The renderers only choose
markup. Text here is plain text: a renderer escapes it for its format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from harness.vocab.verdict import Verdict

if TYPE_CHECKING:
    from harness.explain.download_shares import ShareSeries

VERDICT_MEANINGS = {
    Verdict.OK: "installed as claimed and computed the right answer",
    Verdict.REFUSED_AS_CLAIMED: "pip refused, as the tags say",
    Verdict.VIOLATION: "the claim is broken",
    Verdict.OVER_RESTRICTIVE: "refused, yet a forced load works",
    Verdict.ERROR: "the harness could not tell",
}
DECLARED_MEANING = "the verdict the sample's data declares"
UNEXPECTED_MEANING = "not the declared/expected outcome"
# A violation the data declares (a control caught) or expects (the distro's fault) reads
# apart from a claim that broke where it should hold.
EXPECTED_BREAK_MEANING = "a declared or expected violation: a control caught, not a new break"
BROKEN_CLAIMS_TITLE = "Broken claims, by cause"
INTERRUPTED_NOTE = "the matrix holds only the cells measured before the stop."
NOT_MEASURED = "not measured"

Style = Literal["plain", "code", "strong"]


@dataclass(frozen=True)
class Text:
    """A run of inline text: a name in code, an emphasised judgement, or plain words."""

    value: str
    style: Style = "plain"


Line = tuple[Text, ...]


def plain(value: str) -> Line:
    return (Text(value),)


@dataclass(frozen=True)
class TableCell:
    content: Line
    columns: int = 1  # one note over several columns ("not measured" over a whole toolchain)


@dataclass(frozen=True)
class Table:
    kind: str  # what the table is ("image-facts"): HTML's class; it names it for tests too
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[TableCell, ...], ...]


@dataclass(frozen=True)
class NoteList:
    """A titled list of one-line notes (cells explained, static findings, not probed ...)."""

    title: str
    items: tuple[Line, ...]


# -- the matrices ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DistroColumn:
    name: str
    facts: str  # "glibc 2.31 · py 3.9 · pip 20.3.4"; "" when nothing was measured
    os_name: str


@dataclass(frozen=True)
class DetailPart:
    """One titled part of a cell's detail: fields, a list, and a tool's raw output."""

    title: str
    fields: tuple[tuple[str, str], ...] = ()
    items: tuple[str, ...] = ()
    output: str = ""


@dataclass(frozen=True)
class MatrixCell:
    key: str  # the cell's stable identity in results.json
    distro: str
    verdict: Verdict
    declared: str  # the verdict the sample's data declares for it ("" when none)
    as_expected: bool
    details: tuple[DetailPart, ...]

    @property
    def text(self) -> str:
        """What the matrix shows, in words (no emoji font needed): "ok (declared)";
        "error (declared ok)" where the verdict is not the declared one."""
        text = self.verdict.value
        if not self.declared:
            return text
        if self.declared == self.verdict.value:
            return f"{text} (declared)"
        return f"{text} (declared {self.declared})"

    @property
    def expected_break(self) -> bool:
        """A violation the data declares or expects: styled apart from a real break."""
        return self.verdict is Verdict.VIOLATION and self.as_expected


@dataclass(frozen=True)
class Combination:
    """What a row of several wheels in one process adds to the matrix."""

    order: tuple[str, ...]  # the wheels, in import order
    dlopen: str
    lint: str  # the C++ runtime lint's warnings, or "clean"
    lint_against_observed: str  # whether the warning and the observation agree


@dataclass(frozen=True)
class MatrixRow:
    label: str  # wheel(s) @ build image
    policies: tuple[str, ...]  # of its wheels, sorted (the HTML filters on them)
    cells: tuple[MatrixCell | None, ...]  # one per distro column; None: not measured there
    combination: Combination | None


@dataclass(frozen=True)
class InstallerBlock:
    """One table per installer: a pip version changes what is installable, so its cells are
    not comparable with the distro pip's in one row."""

    installer: str  # "distro", "19.0", "latest"
    label: str  # "the distro's own pip", "pip 19.0"
    rows: tuple[MatrixRow, ...]


@dataclass(frozen=True)
class Matrix:
    title: str  # "" for the single wheels, the arch's main matrix
    combinations: bool
    blocks: tuple[InstallerBlock, ...]


@dataclass(frozen=True)
class ArchSection:
    arch: str
    distros: tuple[DistroColumn, ...]  # by measured glibc, oldest first
    singles: Matrix
    combinations: Matrix | None
    minimum_pip: Table | None
    # the installer axis: oldest installer per family per wheel; where pip and uv disagree
    installer_tables: tuple[Table, ...] = ()
    # the selection axis: offers (several wheels of one version) judged per installer, the
    # wheel each installer picked, and what each offered wheel buys and costs
    offers: Matrix | None = None
    selection_tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class ShareTimeline:
    """How many PyPI downloads the run's policies reach, over time: the share of manylinux
    downloads on glibc >= each glibc policy's floor (harness.explain.download_shares)."""

    series: tuple[tuple[str, ShareSeries], ...]  # (policy, its share series), oldest floor first
    thresholds: tuple[float, ...]  # percent, drawn as flat lines
    window_days: int
    source: str
    notes: tuple[str, ...]  # what the data cannot show for these policies


# -- the whole report --------------------------------------------------------------------------


@dataclass(frozen=True)
class VerdictCount:
    verdict: Verdict
    count: int


@dataclass(frozen=True)
class Counts:
    cells: int
    verdicts: tuple[VerdictCount, ...]  # every verdict, in Verdict's order, zeros included
    as_expected: int
    not_as_expected: int


@dataclass(frozen=True)
class LegendEntry:
    verdict: Verdict
    meaning: str


@dataclass(frozen=True)
class CauseGroup:
    """Broken claims (violation cells) that share one cause, one line per row and arch."""

    cause: str  # the loader's or the harness's one-line diagnosis, or the distro's fault
    expected: bool  # declared or expected to break (controls caught); else a real break
    cells: int
    items: tuple[Line, ...]


@dataclass(frozen=True)
class FilterGroup:
    name: str  # arch, policy, distro, verdict, installer
    values: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    title: str
    harness_version: str
    created: str
    profile: str
    interrupted: bool
    counts: Counts
    legend: tuple[LegendEntry, ...]
    filters: tuple[FilterGroup, ...]
    # What a reader sees first: the cells not as declared, then the broken claims by cause.
    not_as_declared: NoteList
    broken_claims: tuple[CauseGroup, ...]
    arches: tuple[ArchSection, ...]
    differences: NoteList  # between architectures
    explained: NoteList  # cells worth a look, one line per row and outcome
    static_findings: NoteList
    build_images: Table
    distros: Table
    offers: Table  # distro x policy: satisfied, or what falls short (harness.judge.distro_offer)
    offers_absent: NoteList  # the whitelisted libraries each distro lacks
    not_probed: NoteList
    not_prepared: NoteList
    installers: NoteList | None = None  # the installer and CPU axes: what ran, what does not
    share_timeline: ShareTimeline | None = None  # None: no glibc policy in the run, or no data
