"""A run's record made into the report's view model: the one place that decides what the
Markdown and the HTML report show. Pure: RunRecord in, Report out."""

from __future__ import annotations

from harness.explain import download_shares
from harness.report import findings, offers
from harness.report.installers import installer_notes
from harness.report.matrix import arch_sections
from harness.report.model import (
    VERDICT_ICONS,
    VERDICT_MEANINGS,
    Counts,
    FilterGroup,
    LegendEntry,
    Report,
    VerdictCount,
)
from harness.report.share_timeline import share_timeline
from harness.results.record import RunRecord
from harness.vocab.verdict import Verdict


def build_report(record: RunRecord) -> Report:
    offers_table, offers_absent = offers.offers(record)
    return Report(
        title=f"manylinux-harness: {record.profile} profile",
        harness_version=record.harness_version,
        created=record.created,
        profile=record.profile,
        interrupted=record.interrupted,
        counts=counts(record),
        legend=tuple(LegendEntry(v, VERDICT_ICONS[v], VERDICT_MEANINGS[v]) for v in Verdict),
        filters=filters(record),
        arches=arch_sections(record),
        differences=findings.differences(record.cells),
        explained=findings.explained(record.cells),
        static_findings=findings.static_findings(record),
        build_images=findings.build_images_table(record.images),
        distros=findings.distros_table(record.distros),
        offers=offers_table,
        offers_absent=offers_absent,
        not_probed=findings.not_probed(record),
        not_prepared=findings.not_prepared(record),
        installers=installer_notes(record),
        share_timeline=share_timeline(
            {m.policy for c in record.cells for m in c.members}, download_shares.shipped()
        ),
    )


def counts(record: RunRecord) -> Counts:
    summary = record.summary()
    return Counts(
        cells=summary["cells"],
        verdicts=tuple(VerdictCount(v, VERDICT_ICONS[v], summary[v.value]) for v in Verdict),
        as_expected=summary["as_expected"],
        not_as_expected=summary["not_as_expected"],
    )


def filters(record: RunRecord) -> tuple[FilterGroup, ...]:
    """What the HTML report's filters offer: every value the cells take, so that all checked
    shows every cell."""
    cells = record.cells
    return (
        FilterGroup("arch", tuple(sorted({c.arch for c in cells}))),
        FilterGroup("policy", tuple(sorted({m.policy for c in cells for m in c.members}))),
        FilterGroup("distro", tuple(sorted({c.distro for c in cells}))),
        FilterGroup("verdict", tuple(v.value for v in Verdict)),
        FilterGroup(
            "installer",
            tuple(str(i) for i in sorted({c.installer for c in cells}, key=lambda i: i.order)),
        ),
    )
