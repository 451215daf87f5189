"""Building the records of results.json, for the matrix (session) and for verify alike: a
cell's `expected` dict, its lint, the cell record itself, a probed distro's entry, the host's
facts and the run record. One builder each, so that the two commands' records cannot drift.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness import __version__
from harness.analysis.lint import WARNING_KINDS
from harness.catalog.samples import ExpectRule
from harness.judge import cpu as cpus
from harness.judge import distro_offer
from harness.judge.expectation import Expectation
from harness.judge.verdict import Decision, diagnosis, diagnosis_wrapper
from harness.probe.facts import DistroFacts
from harness.probe.observation import Observation
from harness.results import record as results
from harness.util.provenance import host_dependencies, installed_version
from harness.vocab.installer import Installer
from harness.vocab.verdict import Verdict

if TYPE_CHECKING:
    from harness.catalog.model import Distro
    from harness.settings import Settings
    from harness.util.engine import Engine

# The host-side tools whose releases can change a run's outcome, recorded by name.
HOST_TOOLS = ("cibuildwheel", "auditwheel", "packaging")

# Harness-level, for every cross-arch cell: pip must refuse a wheel of another architecture;
# no sample may declare otherwise.
CROSS_ARCH_REFUSAL = ExpectRule(
    Verdict.REFUSED_AS_CLAIMED, {}, "a wheel of another architecture: pip must refuse it"
)

Inspections = Mapping[str, Mapping[str, Any]]  # wheel file name -> lint.inspect_wheel's dict


@dataclass(frozen=True)
class CellPlace:
    """Where a cell sits in the run: its identity in results.json and in pytest."""

    key: str
    test_id: str
    row: str
    arch: str
    distro: str
    installer: Installer
    dlopen: str
    cpu: str = cpus.HOST  # or the CPU model the import + check ran on


@dataclass(frozen=True)
class Measured:
    """What one cell's probe produced, judged."""

    expected: Mapping[str, Any]
    observation: Observation
    decision: Decision
    facts: DistroFacts | None  # None: the distro could not be probed
    notes: tuple[str, ...] = ()


def expected_of(
    expectation: Expectation,
    wheels: Iterable[str],
    inspections: Inspections,
    distro: tuple[DistroFacts, str] | None = None,
) -> dict[str, Any]:
    """A cell's `expected` dict: what the tags predict, and the policy problems the static
    checks found in its wheels. With the distro's (facts, arch), and where the tags claim the
    distro: the whitelisted libraries the wheels leave to the system and the distro lacks
    (`whitelisted_lacking`, harness.judge.distro_offer), where the distro breaks the claim."""
    wheels = list(wheels)
    expected: dict[str, Any] = {
        "installable": expectation.installable,
        "reason": expectation.reason,
        "matching_tags": list(expectation.matching_tags),
        "policy_problems": [
            problem
            for wheel in wheels
            for problem in inspections.get(wheel, {}).get("policy_problems", [])
        ],
    }
    if distro is not None and expectation.installable:
        facts, arch = distro
        lacking = distro_offer.cell_lacking(
            (inspections.get(wheel, {}) for wheel in wheels), facts, arch
        )
        if lacking:
            expected["whitelisted_lacking"] = list(lacking)
    return expected


def whitelisted_lacking(expected: Mapping[str, Any]) -> tuple[str, ...]:
    """The `whitelisted_lacking` of a cell's `expected` dict (see expected_of)."""
    return tuple(str(lib) for lib in expected.get("whitelisted_lacking", ()))


def lint_of(members: Mapping[str, Iterable[str]], inspections: Inspections) -> dict[str, Any]:
    """The C++ runtime lint of a cell's wheels (member label -> its wheels' file names), to
    set beside what the cell did."""
    kinds = {
        label: sorted(
            {
                finding["kind"]
                for wheel in wheels
                for finding in inspections.get(wheel, {}).get("lint", [])
                if finding["kind"] in WARNING_KINDS
            }
        )
        for label, wheels in members.items()
    }
    return {"warned": any(kinds.values()), "members": kinds}


def cell_record(
    place: CellPlace,
    members: tuple[results.MemberRecord, ...],
    measured: Measured,
    *,
    declared: ExpectRule | None,
    lint: Mapping[str, Any],
    emulated: bool,
    worker: str,
) -> results.CellRecord:
    """The record of one judged cell. With a declared verdict, the cell is as expected when
    it got that verdict; without one, when the claim held."""
    expected = dict(measured.expected)
    decision = measured.decision
    observation = measured.observation
    if declared is not None:
        expected["declared"] = declared.verdict.value
        expected["declared_reason"] = declared.reason
    install = observation.install
    return results.CellRecord(
        key=place.key,
        test_id=place.test_id,
        row=place.row,
        arch=place.arch,
        distro=place.distro,
        installer=place.installer,
        dlopen=place.dlopen,
        cpu=place.cpu,
        members=members,
        # The pip that ran, as measured; the distro's when the install never started.
        pip_version=(install.pip_version if install else "")
        or (measured.facts.pip_version if measured.facts else ""),
        emulated=emulated,
        expected=expected,
        observed=dataclasses.asdict(observation),
        verdict=decision.verdict,
        explanation=decision.explanation,
        diagnosis=_on_cpu(diagnosis(decision, observation), place.cpu),
        diagnosis_wrapper=diagnosis_wrapper(decision, observation),
        as_expected=(
            decision.verdict is declared.verdict
            if declared is not None
            else decision.verdict.claim_held
        ),
        timings=observation.timings(),
        notes=measured.notes,
        worker=worker,
        lint=lint,
        # the claim broke, and the distro broke the policy's promise, not the wheel
        distro_cause=distro_offer.cause(whitelisted_lacking(expected))
        if decision.verdict is Verdict.VIOLATION
        else "",
    )


def _on_cpu(text: str, cpu: str) -> str:
    """A diagnosis names the CPU model it was made on (a SIGILL depends on it)."""
    if not text or cpu == cpus.HOST:
        return text
    return f"{text}, on CPU model {cpus.models()[cpu].label}"


def distro_entry(
    distro: Distro, image: str, facts: DistroFacts, settings: Settings
) -> dict[str, Any]:
    """A probed distro as results.json records it (catalog data beside measured facts)."""
    return {
        "name": distro.name,
        "arch": distro.arch.name,
        "image": image,
        "eol": distro.eol,
        "description": distro.description,
        "emulated": settings.emulated(distro.arch),
        "facts": facts.to_json(),
    }


def host_facts(settings: Settings, engines: Mapping[str, Engine]) -> dict[str, Any]:
    """The host a run was made on: its tools' releases, its engines (by URL, "" the default
    one) and where its images came from."""
    facts: dict[str, Any] = {"machine": settings.host}
    for tool in HOST_TOOLS:
        facts[tool] = installed_version(tool) or ""
    # Every host-side distribution the run imported, so a gate can tell two runs made with
    # different tools apart.
    facts[results.HOST_DEPENDENCIES] = host_dependencies()
    # The level the host's own CPU reaches: what `cpu=host` cells ran at.
    facts["cpu_level"] = cpus.host_level(settings.host)
    facts["engines"] = {}
    for url, engine in engines.items():
        try:
            version = engine.version()
        except Exception:  # facts for the record only
            continue
        facts["engines"][url or "default"] = {
            "version": version.get("Version"),
            "api": version.get("ApiVersion"),
        }
    # Where pulled images came from and which rows were the user's: the run is only
    # comparable with one made from the same sources.
    facts["registry_mirrors"] = settings.registry_mirrors.to_json()
    facts["catalogs"] = [str(path.resolve()) for path in settings.catalogs]
    return facts


def run_record(
    *,
    profile: str,
    selection: Mapping[str, Any],
    host: Mapping[str, Any],
    images: Mapping[str, Any],
    builds: Mapping[str, Any],
    distros: Mapping[str, Any],
    cells: Iterable[results.CellRecord],
    interrupted: bool,
    skipped: Mapping[str, str],
    wheels: Mapping[str, Any],
    installers: Mapping[str, Any] | None = None,
) -> results.RunRecord:
    """The run record, stamped with the harness's version (harness.__version__, the one
    source) and the time it was assembled."""
    return results.RunRecord(
        schema=results.SCHEMA_VERSION,
        harness_version=__version__,
        created=results.now_iso(),
        profile=profile,
        selection=dict(selection),
        host=dict(host),
        images=dict(images),
        builds=dict(builds),
        distros=dict(distros),
        cells=tuple(cells),
        interrupted=interrupted,
        skipped=dict(skipped),
        wheels=dict(wheels),
        installers=dict(installers or {}),
    )
