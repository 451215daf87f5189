"""What one cell opens to show: the verdict and why, what was expected against what was
observed (pip's decision, the load, the forced load, their output), the lint, the wheels and
the run's own facts. Empty fields and parts are left out."""

from __future__ import annotations

from collections.abc import Iterable

from harness.judge.cell import Expected
from harness.probe.observation import InstallObservation, RunObservation
from harness.report.cpp_lint import lint_text
from harness.report.model import DetailPart
from harness.results.record import CellRecord, MemberRecord


def cell_details(cell: CellRecord) -> tuple[DetailPart, ...]:
    observed = cell.observed
    parts = [
        DetailPart("verdict", _verdict_fields(cell)),
        DetailPart("expected", _expected_fields(cell.expected)),
        _offer_part(cell),
        _install_part(observed.install),
        _run_part("observed: load", observed.load),
        _run_part("observed: forced load", observed.forced),
        DetailPart("observed: harness error", output=_text(observed.error)),
        _lint_part(cell),
        DetailPart("wheels", items=tuple(_member_text(m) for m in cell.members)),
        DetailPart("run", _run_fields(cell)),
    ]
    return tuple(p for p in parts if p.fields or p.items or p.output)


def member_label(member: MemberRecord) -> str:
    flavour = "" if member.flavour == "default" else f"[{member.flavour}]"
    return f"{member.sample}{flavour} @ {member.build_image}"


def _fields(pairs: Iterable[tuple[str, object]]) -> tuple[tuple[str, str], ...]:
    """Name and value pairs as text; None and "" say nothing, so they are left out."""
    return tuple((key, str(value)) for key, value in pairs if value is not None and value != "")


def _text(value: object) -> str:
    return str(value) if value else ""


def _yes_no(value: object) -> str:
    return "yes" if value else "no"


def _verdict_fields(cell: CellRecord) -> tuple[tuple[str, str], ...]:
    return _fields(
        [
            ("verdict", cell.verdict.value),
            ("as expected", "yes" if cell.as_expected else "NO"),
            ("explanation", cell.explanation),
            ("diagnosis", cell.diagnosis),
            ("cause", cell.distro_cause and f"{cell.distro_cause} (the distro's, not the wheel's)"),
            ("notes", "; ".join(cell.notes)),
        ]
    )


def _expected_fields(expected: Expected) -> tuple[tuple[str, str], ...]:
    installable = expected.installable
    return _fields(
        [
            ("installable", None if installable is None else _yes_no(installable)),
            ("reason", expected.reason),
            ("matching tags", ", ".join(expected.matching_tags)),
            ("policy problems", "; ".join(expected.policy_problems)),
            ("declared", expected.declared.value if expected.declared else None),
            ("declared reason", expected.declared_reason),
        ]
    )


def _install_part(install: InstallObservation | None) -> DetailPart:
    if install is None:
        return DetailPart("observed: install")
    fields = _fields(
        [
            ("decision", install.decision),
            ("reason", install.reason),
            ("exit code", install.exit_code),
            ("pip", install.pip_version),
            ("seconds", install.seconds),
            (
                "installed",
                "; ".join(
                    f"{d.name} {d.version} ({', '.join(d.tags) or 'no tags'}"
                    f"{', build ' + d.build if d.build else ''})"
                    for d in install.installed
                ),
            ),
        ]
    )
    return DetailPart("observed: install", fields, output=_text(install.output))


def _offer_part(cell: CellRecord) -> DetailPart:
    """An offer's cell: what tag priority predicted and what the installer picked."""
    pick = cell.selection
    if pick is None:
        return DetailPart("offer")
    agrees = {True: "yes", False: "NO", None: "nothing was picked"}[pick.agrees]
    fields = _fields(
        [
            ("offer", pick.offer),
            ("predicted (tag priority)", " or ".join(pick.predicted) or "none fits"),
            ("by the tag", pick.predicted_tag),
            ("picked", pick.picked or "none"),
            ("as predicted", agrees),
        ]
    )
    return DetailPart("offer", fields, items=pick.offered)


def _run_part(title: str, run: RunObservation | None) -> DetailPart:
    if run is None:
        return DetailPart(title)
    fields = _fields(
        [
            ("status", run.status),
            ("stage", run.stage),
            ("exit code", run.exit_code),
            ("signal", run.signal),
            ("seconds", run.seconds),
        ]
    )
    return DetailPart(title, fields, output=_text(run.output))


def _lint_part(cell: CellRecord) -> DetailPart:
    if not cell.lint:
        return DetailPart("C++ runtime lint")
    fields = (("summary", lint_text(cell)), ("warned", _yes_no(cell.lint.get("warned"))))
    return DetailPart("C++ runtime lint", fields)


def _member_text(member: MemberRecord) -> str:
    return (
        f"{member_label(member)} ({member.kind}, policy {member.policy}, "
        f"build {member.build_status}): {', '.join(member.wheels) or 'no wheel'}"
    )


def _run_fields(cell: CellRecord) -> tuple[tuple[str, str], ...]:
    timings = " · ".join(f"{name} {seconds} s" for name, seconds in cell.timings.items())
    return _fields(
        [
            ("timings", timings),
            ("pip version", cell.pip_version),
            ("installer", str(cell.installer)),
            ("dlopen", cell.dlopen),
            ("emulated", "yes (qemu)" if cell.emulated else "no"),
            ("worker", cell.worker),
            ("test id", cell.test_id),
            ("key", cell.key),
        ]
    )
