"""How a verify cell is written down: its members are the given wheels, its place in the run
that of the matrix's cells, and what is judged is the wheels' own claim. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.judge.cell import CellJob, OfferContext, WheelFacts
from harness.probe.distro_probe import ProbeRequest
from harness.results import builder as records
from harness.results import record as results
from harness.runner.context import PlannedCell
from harness.verify.given_wheels import WheelSet
from harness.verify.plan import VerifyCell

KIND = "wheel"
BUILD_IMAGE = "external"  # nothing was built: the member's "build image"
BUILD_STATUS = "given"


def members_of(wheel_set: WheelSet) -> tuple[results.MemberRecord, ...]:
    return tuple(
        results.MemberRecord(
            sample=label,
            flavour="default",
            kind=KIND,
            build_image=BUILD_IMAGE,
            policy=wheel.claimed_policy,
            wheels=(wheel.filename,),
            build_status=BUILD_STATUS,
        )
        for wheel, label in zip(wheel_set.wheels, wheel_set.labels, strict=True)
    )


def planned(
    cell: VerifyCell,
    request: ProbeRequest,
    inspections: Mapping[str, Mapping[str, Any]],
    requires: Mapping[str, str | None],
    *,
    notes: tuple[str, ...] = (),
    unprobed: str = "",
) -> PlannedCell:
    """A verify cell ready to run: its wheels' own claims are judged, with no sample's
    declared verdicts (a wheel of another arch must still be refused)."""
    wheel_set = cell.wheel_set
    job = CellJob(
        arch=cell.arch,
        installer=cell.installer,
        wheels=tuple(
            WheelFacts.of(w.name, inspections.get(w.filename), requires.get(w.filename))
            for w in wheel_set.wheels
        ),
        distro=cell.distro.name,
        cpu=cell.cpu,
        cross_arch=bool(wheel_set.foreign(cell.arch)) and not cell.offer,
        offer=OfferContext(cell.offer_name) if cell.offer else None,
    )
    pairs = zip(wheel_set.wheels, wheel_set.labels, strict=True)
    return PlannedCell(
        place=cell.place,
        distro=cell.distro,
        members=members_of(wheel_set),
        job=job,
        request=request,
        lint=records.lint_of({label: [w.filename] for w, label in pairs}, inspections),
        notes=notes,
        unprobed=unprobed,
    )


def pool_paths(wheel_set: WheelSet, pool: Path) -> tuple[Path, ...]:
    return tuple(pool / w.filename for w in wheel_set.wheels)
