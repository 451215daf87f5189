"""The report's download-share timeline: the share of PyPI's manylinux downloads on glibc at or
above the floor of each glibc policy the run built wheels for, over the shipped timeline
(harness.explain.download_shares; the same series `explain` charts). Pure: data in, view out."""

from __future__ import annotations

from collections.abc import Iterable

from harness.explain.download_shares import DownloadShares
from harness.explain.policy_change import THRESHOLDS
from harness.report.model import ShareTimeline
from harness.vocab import policy_names


def share_timeline(policies: Iterable[str], shares: DownloadShares) -> ShareTimeline | None:
    """None when the run has no glibc policy or the data no timeline."""
    timeline = shares.timeline
    # A given wheel may claim no policy at all ("any", "linux"): it has no floor to chart.
    names = sorted({p for p in policies if p.startswith(("manylinux", "musllinux"))})
    glibc = sorted((p for p in names if not policy_names.is_musl(p)), key=policy_names.glibc_of)
    if timeline is None or not glibc:
        return None
    series = tuple((name, timeline.at_least(policy_names.glibc_of(name))) for name in glibc)
    notes = [timeline.bucket_note(s) for _, s in series if not s.exact]
    musl = [p for p in names if policy_names.is_musl(p)]
    if musl:
        notes.append(
            f"{', '.join(musl)}: the data counts manylinux downloads on glibc systems only"
        )
    return ShareTimeline(
        series=series,
        thresholds=THRESHOLDS,
        window_days=timeline.window_days,
        source=f"{shares.source}, consumer-data.json (last updated {timeline.last_update})",
        notes=tuple(notes),
    )
