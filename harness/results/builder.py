"""Building the records of results.json, for the matrix and for verify alike: a cell's
identity and lint, the cell record (a judgement written down), a probed distro's entry, the
host's facts and the run record. One builder each, so that the two commands' records cannot
drift."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness import __version__
from harness.analysis.lint import WARNING_KINDS
from harness.judge import cpu as cpus
from harness.judge.cell import Judgement
from harness.probe.facts import DistroFacts
from harness.results import record as results
from harness.util.provenance import host_dependencies, installed_version
from harness.vocab.installer import Installer

if TYPE_CHECKING:
    from harness.catalog.model import Distro
    from harness.settings import Settings
    from harness.util.engine import Engine

# The host-side tools whose releases can change a run's outcome, recorded by name.
HOST_TOOLS = ("cibuildwheel", "auditwheel", "packaging")

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

    @classmethod
    def make(
        cls,
        row: str,
        test_id: str,
        arch: str,
        distro: str,
        installer: Installer,
        dlopen: str = "default",
        cpu: str = cpus.HOST,
    ) -> CellPlace:
        """`row` as the report shows it (its wheels, the dlopen mode and the CPU model); the
        key, stable across runs and free of image digests, is what the gate compares."""
        key = f"{row} | {arch} | {distro} | {installer.axis}={installer}"
        return cls(key, test_id, row, arch, distro, installer, dlopen, cpu)


def decorated_row(wheels: str, dlopen: str = "default", cpu: str = cpus.HOST) -> str:
    """The report row of a cell: its wheels, then how they are loaded and on which CPU model
    (each level on a row of its own)."""
    text = wheels if dlopen == "default" else f"{wheels} (RTLD_GLOBAL)"
    return text if cpu == cpus.HOST else f"{text} [cpu {cpu}]"


def decorated_test_id(parts: list[str], installer: Installer, dlopen: str, cpu: str) -> str:
    """A cell's pytest id: its own parts, then the loading, installer and CPU model."""
    if dlopen != "default":
        parts = [*parts, dlopen]
    if installer.suffix:
        parts = [*parts, installer.suffix]
    if cpu != cpus.HOST:
        parts = [*parts, f"cpu-{cpu}"]
    return "-".join(parts).replace("[", "(").replace("]", ")")


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
    judgement: Judgement,
    facts: DistroFacts | None,
    *,
    lint: Mapping[str, Any],
    emulated: bool,
    worker: str,
    notes: tuple[str, ...] = (),
) -> results.CellRecord:
    """The record of one judged cell (harness.judge.cell.judge_cell): written down, not
    judged again."""
    observation = judgement.observation
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
        or (facts.pip_version if facts else ""),
        emulated=emulated,
        expected=judgement.expected,
        observed=observation,
        verdict=judgement.verdict,
        explanation=judgement.decision.explanation,
        diagnosis=judgement.diagnosis.summary,
        diagnosis_wrapper=judgement.diagnosis.wrapper,
        as_expected=judgement.as_expected,
        timings=observation.timings(),
        notes=(*notes, *judgement.notes),
        worker=worker,
        lint=lint,
        distro_cause=judgement.distro_cause,
    )


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
    # What probe and build containers, which run wheels' code, were allowed.
    facts["container_limits"] = settings.limits.to_json()
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
