"""`explain --format json`: an Explanation as JSON, described by the shipped schema
harness/resources/explain.schema.json (`schema` names its version). The same facts and figures
as the text: the renderers and this module read one Explanation. Pure."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from harness.explain.model import DistroReach, Explanation, PolicySide, Tool
from harness.explain.render import headline

if TYPE_CHECKING:
    from harness.explain.download_shares import Crossing, Share, ShareSeries

SCHEMA = "manylinux-harness/explain/1"
SCHEMA_FILE = "explain.schema.json"


def _tool(tool: Tool) -> dict[str, Any]:
    return {
        "name": tool.name,
        "version": tool.version,
        "source": tool.source,
        "ref": tool.ref,
        "data_version": tool.data_version,
    }


def _side(side: PolicySide) -> dict[str, Any]:
    images = side.images
    return {
        "name": side.name,
        "label": side.label,
        "libc": side.libc,
        "floor": side.glibc_text,
        "ceilings": dict(side.ceilings),
        "min_pip": side.min_pip,
        "pip_family": side.pip_family,
        "build_image": side.build_image,
        "toolchain": [_tool(t) for t in side.toolchain],
        "no_image": side.no_image,
        "images": None
        if images is None
        else {
            "name": images.name,
            "arches": list(images.arches),
            "arches_source": images.arches_source,
            "base": images.base,
            "base_eol": images.base_eol,
            "base_eol_source": images.base_eol_source,
            "support_ended": images.support_ended,
            "support_source": images.support_source,
            "toolset": images.toolset,
            "toolset_source": images.toolset_source,
            "image": images.image,
            "inspected": images.inspected,
            "os": images.os,
            "pythons": list(images.pythons),
            "pythons_source": images.pythons_source,
        },
    }


_GROUPS = (
    ("lost", "installs", "refused"),
    ("regained", "refused", "installs"),
    ("kept", "installs", "installs"),
    ("out", "refused", "refused"),
    ("unknown", "unknown", "unknown"),
)


def _distros(expl: Explanation) -> list[dict[str, Any]]:
    groups = (expl.lost, expl.regained, expl.kept, expl.out_of_reach, expl.unknown)
    found = []
    for (switch, old, new), reaches in zip(_GROUPS, groups, strict=True):
        found += [_distro(reach, switch, old, new) for reach in reaches]
    return found


def _distro(reach: DistroReach, switch: str, old: str, new: str) -> dict[str, Any]:
    return {
        "id": reach.name,
        "name": reach.description,
        "glibc": reach.glibc,
        "musl": reach.musl,
        "glibc_source": reach.glibc_source,
        "eol": reach.eol,
        "eol_past": reach.eol_past,
        "eol_source": reach.eol_source,
        "runnable": reach.runnable,
        "rows": list(reach.rows),
        "why_not": reach.why_not,
        "switch": switch,
        "old": old,
        "new": new,
        "pip_version": reach.pip_version,
        "pip_too_old": reach.pip_too_old,
    }


def _share(share: Share) -> dict[str, Any]:
    return {
        "percent": round(share.percent, 4),
        "downloads": share.downloads,
        "total": share.total,
        "first": share.first,
        "last": share.last,
    }


def _series(series: ShareSeries) -> dict[str, Any]:
    return {
        "floor": series.floor_text,
        "exact": series.exact,
        "low_from": series.low_from,
        "high_from": series.high_from,
        "dates": list(series.dates),
        "low": list(series.low),
        "high": list(series.high),
    }


def _crossing(crossing: Crossing) -> dict[str, Any]:
    return {
        "threshold": crossing.threshold,
        "state": crossing.state,
        "first": crossing.first,
        "since": crossing.since,
    }


def _shares(expl: Explanation) -> dict[str, Any] | None:
    shares = expl.shares
    if shares is None:
        return None
    view = shares.timeline
    return {
        "source": shares.source,
        "below_old": _share(shares.below_old),
        "below_new": _share(shares.below_new),
        "between": _share(shares.between),
        "pip_old": _share(shares.pip_old),
        "pip_new": _share(shares.pip_new),
        "timeline": None
        if view is None
        else {
            "source": view.source,
            "window_days": view.window_days,
            "new": _series(view.new),
            "old": _series(view.old),
            "thresholds": [
                {
                    "threshold": threshold,
                    "latest": _crossing(latest),
                    "earliest": _crossing(earliest),
                }
                for threshold, (latest, earliest) in zip(
                    view.thresholds, view.crossings, strict=True
                )
            ],
            "limits": list(view.limits),
        },
    }


def as_data(expl: Explanation) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "headline": headline(expl),
        "profile": expl.profile,
        "arch": expl.arch,
        "libc": expl.libc,
        "today": expl.today.isoformat(),
        "auditwheel_version": expl.auditwheel_version,
        "results": expl.results,
        "old": _side(expl.old),
        "new": _side(expl.new),
        "whitelist_added": list(expl.whitelist_added),
        "whitelist_removed": list(expl.whitelist_removed),
        "distros": _distros(expl),
        "shares": _shares(expl),
        "offers": [
            {"distro": row.distro, "old": row.old.summary, "new": row.new.summary}
            for row in expl.offers
        ],
        "evidence": [
            {
                "distro": e.distro,
                "policy": e.policy,
                "ok": e.ok,
                "refused": e.refused,
                "other": e.other,
                "distro_caused": e.distro_caused,
            }
            for e in expl.evidence
        ],
        "differences": list(expl.differences),
        "uv": expl.uv_note,
        "notes": list(expl.notes),
    }


def render_json(expl: Explanation) -> str:
    return json.dumps(as_data(expl), indent=2) + "\n"
