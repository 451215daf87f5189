"""The record of one (wheel set, distro) cell of a verify run: its members are the given
wheels, its place in the run that of the matrix's cells. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.results import builder as records
from harness.verify.given_wheels import WheelSet
from harness.vocab.installer import DISTRO_PIP

if TYPE_CHECKING:
    from harness.results.record import CellRecord

KIND = "wheel"
BUILD_IMAGE = "external"  # nothing was built: the member's "build image"
BUILD_STATUS = "given"


def given_cell_record(
    wheel_set: WheelSet,
    distro: str,
    arch: str,
    measured: records.Measured,
    inspections: records.Inspections,
    *,
    emulated: bool,
) -> CellRecord:
    """The record of one (wheel set, distro): its members are the given wheels."""
    from harness.results import record as results

    pairs = list(zip(wheel_set.wheels, wheel_set.labels, strict=True))
    members = tuple(
        results.MemberRecord(
            sample=label,
            flavour="default",
            kind=KIND,
            build_image=BUILD_IMAGE,
            policy=wheel.claimed_policy,
            wheels=(wheel.filename,),
            build_status=BUILD_STATUS,
        )
        for wheel, label in pairs
    )
    # As the matrix does for cross-arch cells: no outcome but a refusal holds.
    declared = (
        records.CROSS_ARCH_REFUSAL
        if measured.facts is not None and wheel_set.foreign(arch)
        else None
    )
    place = records.CellPlace(
        key=wheel_set.key(arch, distro),
        test_id=wheel_set.test_id(arch, distro),
        row=wheel_set.row(arch),
        arch=arch,
        distro=distro,
        installer=DISTRO_PIP,
        dlopen="default",
    )
    return records.cell_record(
        place,
        members,
        measured,
        declared=declared,
        lint=records.lint_of({label: [w.filename] for w, label in pairs}, inspections),
        emulated=emulated,
        worker="main",
    )
