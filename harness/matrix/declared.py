"""The verdict a cell's sample declares (its sample.toml's [[expect]] rules, or the
harness's own for other pips and cross-arch cells), from the cell's measured context."""

from __future__ import annotations

from pathlib import Path

from harness.catalog.samples import ExpectRule
from harness.judge import cpu as cpus
from harness.judge import distro_offer, uv
from harness.judge.expectation import CellContext, declared_rule
from harness.matrix.plan import Cell
from harness.matrix.prepared import Prepared
from harness.probe.facts import version_tuple
from harness.results import builder as records
from harness.vocab.verdict import Verdict


def declared_rule_for(
    cell: Cell, measured: records.Measured, prepared: Prepared, wheels: list[Path], host: str
) -> ExpectRule | None:
    """The verdict the sample's data declares for this cell, if any."""
    facts = measured.facts
    if facts is None:
        return None
    expected = measured.expected
    known = uv.known_finding(cell.installer, cell.arch)
    if known is not None and expected.get("installable") is True:
        # Harness-level, from installers.toml: a defect of that installer release seen here.
        return ExpectRule(Verdict(known.verdict), {}, known.why)
    if not cell.installer.is_distro and expected.get("installable") is False:
        # Samples declare outcomes for the distro's pip; an older pip that does not know
        # the wheel's tag family must refuse it (harness-level, from installers.toml).
        return ExpectRule(Verdict.REFUSED_AS_CLAIMED, {}, str(expected.get("reason", "")))
    if cell.cross_arch:
        # Harness-level: no sample may expect otherwise.
        return records.CROSS_ARCH_REFUSAL
    first = cell.members[0]
    lacking = records.whitelisted_lacking(expected)
    needs: dict[str, str] = {}
    external: set[str] = set()
    for wheel in wheels:
        inspection = prepared.wheels.get(wheel.name, {})
        external.update(inspection.get("external", []))
        for family, version in inspection.get("max_versions", {}).items():
            if family not in needs or version_tuple(version) > version_tuple(needs[family]):
                needs[family] = version
    ctx = CellContext(
        flavour=first.flavour.name,
        arch=cell.arch,
        distro=cell.distro.name,
        build_policy=first.build_image.policy,
        build_glibc=first.build_image.glibc,
        facts=facts,
        build_python=first.build_image.python_version,
        wheel_needs=needs,
        wheel_external=tuple(sorted(external)),
        whitelisted_lacking=lacking,
        order=cell.order,
        dlopen=cell.dlopen,
        cpu_level=cpus.cell_level(cell.cpu, cpus.host_level(host)),
    )
    rules = cell.combination.expect if cell.combination else first.sample.expect
    declared = declared_rule(rules, ctx)
    if declared is None and lacking:
        # Harness-level, whatever the sample: the tags claim this system, and the system
        # lacks a library their policy promised; the claim breaks for the user all the same.
        return ExpectRule(Verdict.VIOLATION, {}, distro_offer.cause(lacking))
    return declared
