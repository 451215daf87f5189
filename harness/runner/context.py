"""One run context for `run` (the matrix) and `verify`: the engines a run talks to, the images
it prepares, a probe container per distro, the cells it measures (each judged by
harness.judge.cell and written the moment it is measured), the sweep of its containers and its
record. The matrix and verify differ in what their cells are, not in how a cell is run."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.catalog.image_spec import ImageSpec
from harness.catalog.model import Distro
from harness.errors import HarnessError
from harness.images import facts as image_facts
from harness.images.provider import ImageProvider, describe_failure, failure_record
from harness.judge import across_cells
from harness.judge import cpu as cpus
from harness.judge.cell import CellJob, judge_cell
from harness.probe.distro_probe import DistroProbe, ProbeRequest
from harness.probe.facts import DistroFacts
from harness.probe.observation import Observation
from harness.results import builder as records
from harness.results import record as results
from harness.runner.prepared import PreparedImage, parallel
from harness.runner.supply import InstallerSupply
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.util.ownership import LABEL_RUN, run_id
from harness.util.progress import Phase, Progress
from harness.vocab.arch import get_arch

DISTRO_PREFIX = results.DISTRO_STATE_PREFIX


@dataclass(frozen=True)
class PlannedCell:
    """A cell ready to run: where it sits in the record, what it installs and how, what is
    judged, and what the record says of its wheels."""

    place: records.CellPlace
    distro: Distro
    members: tuple[results.MemberRecord, ...]
    job: CellJob
    request: ProbeRequest  # the installer's uv binary and pip wheels are filled in at run time
    lint: Mapping[str, Any]
    notes: tuple[str, ...] = ()
    # Why it cannot be probed at all (a wheel that failed to build): an `error` cell.
    unprobed: str = ""


class RunContext:
    """Engines, probes and the cell loop of one run, in one process (pytest's controller and
    each worker have their own)."""

    def __init__(self, settings: Settings, results_dir: Path) -> None:
        self.settings = settings
        self.results_dir = results_dir
        self.cache = Cache(settings.cache_dir)
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()
        self._probes: dict[str, DistroProbe] = {}
        self._probe_failures: dict[str, str] = {}
        self._host_level = cpus.host_level(settings.host)
        # What a probe mounts of the wheel cache: only the directories of this run's wheels
        # and installers (set once they are known), never every run's wheels.
        self.wheel_dirs: tuple[Path, ...] = ()

    # -- engines -------------------------------------------------------------------------------

    def engine(self, arch_name: str) -> Engine:
        url = self.settings.engine_url(get_arch(arch_name)) or ""
        with self._lock:
            if url not in self._engines:
                self._engines[url] = Engine.connect(url or None)
            return self._engines[url]

    def reap(self, arches: Sequence[str], progress: Progress) -> None:
        """Remove what killed runs left on the engines of these arches (their owners are gone)."""
        seen: set[int] = set()
        for arch in sorted(set(arches)):
            engine = self.engine(arch)
            if id(engine) in seen:
                continue
            seen.add(id(engine))
            reaped = engine.reap_leftovers()
            if reaped:
                progress.line(
                    f"removed {len(reaped)} container(s) left by an earlier run: {', '.join(reaped)}"
                )

    def sweep(self) -> list[str]:
        """Remove every container this run created, in any of its processes (called when the
        run ends, however it ends)."""
        removed: list[str] = []
        for engine in self._engines.values():
            removed += engine.remove_containers({LABEL_RUN: run_id()})
        return removed

    def host_facts(self) -> dict[str, Any]:
        return records.host_facts(self.settings, self._engines)

    # -- images --------------------------------------------------------------------------------

    def ensure_images(
        self, specs: Sequence[ImageSpec], progress: Progress, jobs: int
    ) -> dict[str, PreparedImage]:
        """Each image made (or found), a few at a time; a failure is recorded for its image and
        never stops the others. Build images get their toolchain measured."""
        phase = progress.phase("images", len(specs))

        def ensure(spec: ImageSpec) -> PreparedImage:
            engine = None
            try:
                engine = self.engine(spec.arch.name)
                resolved = ImageProvider(engine, self.cache, self.settings).ensure(spec, phase)
            except HarnessError as exc:
                return PreparedImage(
                    spec.key, failure=failure_record(spec, describe_failure(exc), engine)
                )
            facts = None
            if spec.role == "build":
                try:
                    facts = image_facts.measure(
                        engine, resolved, spec.arch, self.cache, self.settings
                    )
                except HarnessError as exc:  # reported beside the image, never fatal
                    facts = {"error": str(exc)}
            return PreparedImage(spec.key, resolved, facts=facts)

        by_key = {spec.key: spec for spec in specs}
        images: dict[str, PreparedImage] = {}
        for image in parallel(ensure, list(specs), jobs):
            images[image.key] = image
            _finish(phase, by_key[image.key], image)
        return images

    # -- probes --------------------------------------------------------------------------------

    def probe(self, distro: Distro, image: PreparedImage, emulator: Path | None) -> DistroProbe:
        """The distro's probe, started on first use and kept; a distro that cannot be probed
        raises HarnessError, now and for each later cell."""
        if distro.key in self._probe_failures:
            raise HarnessError(self._probe_failures[distro.key])
        probe = self._probes.get(distro.key)
        if probe is not None:
            return probe
        if image.error:
            self._probe_failures[distro.key] = f"distro image unavailable: {image.error}"
            raise HarnessError(self._probe_failures[distro.key])
        probe = DistroProbe(
            self.engine(distro.arch.name),
            distro,
            image.reference,
            self.cache.path("wheels"),
            self.settings,
            emulator=emulator,
            wheel_dirs=self.wheel_dirs,
        )
        try:
            facts = probe.start()
        except HarnessError as exc:
            probe.close()
            self._probe_failures[distro.key] = f"cannot probe {distro.key}: {exc}"
            raise HarnessError(self._probe_failures[distro.key]) from exc
        except BaseException:
            probe.close()
            raise
        self._probes[distro.key] = probe
        results.write_state(
            self.results_dir,
            f"{DISTRO_PREFIX}{distro.key}",
            records.distro_entry(distro, probe.image, facts, self.settings),
        )
        return probe

    def release(self, distro: Distro) -> None:
        """Stop the distro's probe container (verify probes one distro at a time)."""
        probe = self._probes.pop(distro.key, None)
        if probe is not None:
            probe.close()

    def close(self) -> None:
        for probe in list(self._probes.values()):
            probe.close()
        self._probes.clear()

    # -- cells ---------------------------------------------------------------------------------

    def measure(
        self,
        cell: PlannedCell,
        image: PreparedImage,
        supply: InstallerSupply,
        *,
        emulator: Path | None = None,
        worker: str = "main",
    ) -> results.CellRecord:
        """Probe, judge and record one cell; never raises for the cell's own trouble (that is
        an `error` record)."""
        facts: DistroFacts | None = None
        if cell.unprobed:
            observation = Observation.failure(cell.unprobed)
        else:
            try:
                probe = self.probe(cell.distro, image, emulator)
                facts = probe.facts
                uv, pips = supply.locate(cell.job.installer, cell.distro.arch.name)
                observation = probe.probe(dataclasses.replace(cell.request, uv=uv, pips_dir=pips))
            except HarnessError as exc:
                observation = Observation.failure(str(exc))
        judgement = judge_cell(cell.job, facts, observation, self._host_level)
        record = records.cell_record(
            cell.place,
            cell.members,
            judgement,
            facts,
            lint=cell.lint,
            emulated=self.settings.emulated(cell.distro.arch),
            worker=worker,
            notes=cell.notes,
        )
        results.append_cell(self.results_dir, worker, record)
        return record

    # -- the record ----------------------------------------------------------------------------

    def run_record(
        self,
        *,
        profile: str,
        selection: Mapping[str, Any],
        images: Mapping[str, PreparedImage],
        builds: Mapping[str, Any],
        wheels: Mapping[str, Any],
        installers: Mapping[str, Any],
        skipped: Mapping[str, str],
        interrupted: bool,
    ) -> results.RunRecord:
        """The run's record from what it wrote as it went (cells, distros) and what it
        prepared."""
        return records.run_record(
            profile=profile,
            selection=selection,
            host=self.host_facts(),
            images={key: image.to_json() for key, image in images.items()},
            builds=builds,
            distros=results.read_state_dir(self.results_dir, DISTRO_PREFIX),
            cells=judged_across(results.read_cells(self.results_dir)),
            interrupted=interrupted,
            skipped=skipped,
            wheels=wheels,
            installers=installers,
        )


def judged_across(cells: Sequence[results.CellRecord]) -> list[results.CellRecord]:
    """The cells with what only the run as a whole can tell (harness.judge.across_cells):
    a test failing on every distro is said to be no platform difference."""
    cells = list(cells)
    found = across_cells.judge(cells)
    return [
        dataclasses.replace(
            cell,
            explanation=found[cell.key].explanation,
            diagnosis=found[cell.key].diagnosis,
        )
        if cell.key in found
        else cell
        for cell in cells
    ]


def _finish(phase: Phase, spec: ImageSpec, image: PreparedImage) -> None:
    item = f"{spec.role} {spec.name} {spec.arch.name}"
    if image.resolved is None:
        phase.finish(item, f"FAILED: {image.error}")
        return
    resolved = image.resolved
    how = f"built in {resolved.seconds:.0f} s" if resolved.built else "cached"
    phase.finish(item, f"{how} ({resolved.reference})")
