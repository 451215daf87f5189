"""A run: prepare images and wheels (once, with visible progress), then probe cells.

The same Session serves the CLI and the pytest plugin (in the controller, which prepares,
and in every xdist worker, which reads what was prepared and probes its distros).
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any

from harness.build.wheels import FAILED, BuildOutcome, BuildRequest, WheelBuilder
from harness.catalog.image_spec import ImageSpec
from harness.catalog.model import Catalog, Distro
from harness.catalog.samples import Sample, default_samples_dir, discover
from harness.catalog.user import CatalogSources
from harness.errors import HarnessError, NothingToRun
from harness.images import facts as image_facts
from harness.images.provider import ImageProvider, ResolvedImage, describe_failure, failure_record
from harness.judge import installers
from harness.judge.expectation import expect_install
from harness.judge.verdict import decide
from harness.matrix import axes
from harness.matrix.declared import declared_rule_for
from harness.matrix.plan import Cell, Plan, Selection, make_plan
from harness.matrix.prepared import (
    PREPARED,
    Prepared,
    ensure_axis_pips,
    ensure_axis_uvs,
    inspect_wheels,
    nothing_to_run,
    outcome_json,
    parallel,
)
from harness.probe.distro_probe import DistroProbe, ProbeRequest
from harness.probe.facts import DistroFacts
from harness.probe.observation import Observation
from harness.results import builder as records
from harness.results import record as results
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.util.names import safe_name
from harness.util.ownership import LABEL_RUN, run_id
from harness.util.progress import Progress
from harness.vocab.wheel_name import WheelName

DISTRO_PREFIX = results.DISTRO_STATE_PREFIX


class Session:
    def __init__(
        self,
        settings: Settings,
        selection: Selection,
        results_dir: Path,
        samples_dir: Path | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self.settings = settings
        self.selection = selection
        self.results_dir = results_dir
        self.catalog = (
            catalog or CatalogSources(settings.catalogs, settings.registry_mirrors).load()
        )
        self.samples: list[Sample] = discover(
            samples_dir or default_samples_dir(), selection.samples
        )
        self.plan: Plan = make_plan(selection, self.catalog, self.samples)
        self.cache = Cache(settings.cache_dir)
        self._engines: dict[str, Engine] = {}
        self._engines_lock = threading.Lock()
        self._probes: dict[str, DistroProbe] = {}
        self._probe_failures: dict[str, str] = {}
        self._prepared: Prepared | None = None

    # -- engines ----------------------------------------------------------------------------

    def engine(self, arch_name: str) -> Engine:
        from harness.vocab.arch import get_arch

        url = self.settings.engine_url(get_arch(arch_name)) or ""
        with self._engines_lock:
            if url not in self._engines:
                self._engines[url] = Engine.connect(url or None)
            return self._engines[url]

    def close(self) -> None:
        for probe in list(self._probes.values()):
            probe.close()
        self._probes.clear()

    def sweep(self) -> list[str]:
        """Remove every container this run created, in any of its processes (the run's
        controller calls this when the run ends, however it ends)."""
        removed: list[str] = []
        for engine in self._engines.values():
            removed += engine.remove_containers({LABEL_RUN: run_id()})
        return removed

    # -- preparation (controller) ------------------------------------------------------------

    def prepare(self, progress: Progress, jobs: int = 2) -> Prepared:
        """Images, then wheels. Failures are recorded per item and never stop the others."""
        results.reset(self.results_dir)
        # What was asked, first: a run killed later can still be reported (harness.results.recover).
        results.write_state(
            self.results_dir,
            results.RUN_STATE,
            {"profile": self.selection.profile, "selection": dataclasses.asdict(self.selection)},
        )
        arches = sorted(
            {d.arch.name for d in self.plan.distros} | {b.arch.name for b in self.plan.build_images}
        )
        for arch in arches:
            reaped = self.engine(arch).reap_leftovers()
            if reaped:
                progress.line(
                    f"removed {len(reaped)} container(s) left by an earlier run: {', '.join(reaped)}"
                )
        images = self._ensure_images(progress, jobs)
        stop = nothing_to_run(self.plan, images)
        if stop:
            # Nothing can be measured: say so now, in one line, rather than building nothing
            # and probing nothing; what was prepared is kept for the record.
            self._prepared = Prepared(images=images, builds={})
            results.write_state(self.results_dir, PREPARED, self._prepared.to_json())
            raise NothingToRun(stop)
        builds = self._build_wheels(images, progress, jobs)
        self._prepared = Prepared(
            images=images,
            builds=builds,
            wheels=inspect_wheels(self.plan, builds, self.cache),
            pips=ensure_axis_pips(self.plan, self.cache, progress),
            uvs=ensure_axis_uvs(self.plan, self.cache, progress),
        )
        results.write_state(self.results_dir, PREPARED, self._prepared.to_json())
        return self._prepared

    def _ensure_images(self, progress: Progress, jobs: int) -> dict[str, dict[str, Any]]:
        specs: list[ImageSpec] = [b.image for b in self.plan.build_images] + [
            d.image for d in self.plan.distros if not d.skip_reason
        ]
        images: dict[str, dict[str, Any]] = {}
        phase = progress.phase("images", len(specs))
        measured: dict[str, dict[str, str]] = {}

        def ensure(spec: ImageSpec) -> tuple[ImageSpec, ResolvedImage | None, dict[str, Any]]:
            engine = self.engine(spec.arch.name)
            provider = ImageProvider(engine, self.cache, self.settings)
            try:
                resolved = provider.ensure(spec, phase)
            except HarnessError as exc:
                return spec, None, failure_record(spec, describe_failure(exc), engine)
            if spec.role == "build":
                try:
                    measured[spec.key] = image_facts.measure(
                        engine, resolved, spec.arch, self.cache, self.settings
                    )
                except HarnessError as exc:  # reported beside the image, never fatal
                    measured[spec.key] = {"error": str(exc)}
            return spec, resolved, {}

        for spec, resolved, failure in parallel(ensure, specs, jobs):
            item = f"{spec.role} {spec.name} {spec.arch.name}"
            if resolved is None:
                images[spec.key] = failure
                phase.finish(item, f"FAILED: {failure['error']}")
            else:
                images[spec.key] = dataclasses.asdict(resolved)
                if spec.key in measured:
                    images[spec.key]["facts"] = measured[spec.key]
                how = f"built in {resolved.seconds:.0f} s" if resolved.built else "cached"
                phase.finish(item, f"{how} ({resolved.reference})")
        return images

    def _build_wheels(
        self, images: dict[str, dict[str, Any]], progress: Progress, jobs: int
    ) -> dict[str, dict[str, Any]]:
        builds: dict[str, dict[str, Any]] = {}
        phase = progress.phase("wheels", len(self.plan.builds))

        def build(request: BuildRequest) -> tuple[BuildRequest, BuildOutcome]:
            spec = request.build_image.image
            entry = images[spec.key]
            if "error" in entry:
                error = f"build image unavailable: {entry['error']}"
                return request, BuildOutcome(request.key, FAILED, (), None, 0.0, error=error)
            fields = {f.name for f in dataclasses.fields(ResolvedImage)}
            resolved = ResolvedImage(**{k: v for k, v in entry.items() if k in fields})
            builder = WheelBuilder(self.engine(spec.arch.name), self.cache, self.settings)
            try:
                return request, builder.build(request, resolved, phase)
            except Exception as exc:  # one broken build must not take the others down
                error = f"harness failure while building: {type(exc).__name__}: {exc}"
                return request, BuildOutcome(request.key, FAILED, (), None, 0.0, error=error)

        for request, outcome in parallel(build, list(self.plan.builds), jobs):
            builds[request.key] = outcome_json(outcome)
            if outcome.ok:
                names = ", ".join(w.name for w in outcome.wheels)
                how = (
                    "cached" if outcome.status == "cached" else f"built in {outcome.seconds:.0f} s"
                )
                phase.finish(request.key, f"{how}: {names}")
            else:
                phase.finish(request.key, f"FAILED: {outcome.error}")
        return builds

    def prepared(self) -> Prepared:
        if self._prepared is None:
            data = results.read_state(self.results_dir, PREPARED)
            if data is None:
                raise HarnessError(
                    f"nothing was prepared in {self.results_dir}: run the matrix through "
                    "`manylinux-harness run` or pytest with --profile"
                )
            self._prepared = Prepared.from_json(data)
        return self._prepared

    # -- cells (workers) ---------------------------------------------------------------------

    def _probe(self, distro: Distro) -> DistroProbe:
        if distro.key in self._probe_failures:
            raise HarnessError(self._probe_failures[distro.key])
        probe = self._probes.get(distro.key)
        if probe is not None:
            return probe
        prepared = self.prepared()
        error = prepared.image_error(distro.image)
        if error:
            self._probe_failures[distro.key] = f"distro image unavailable: {error}"
            raise HarnessError(self._probe_failures[distro.key])
        probe = DistroProbe(
            self.engine(distro.arch.name),
            distro,
            prepared.image_reference(distro.image),
            self.cache.path("wheels"),
            self.settings,
            emulator=axes.needs_emulator(self.plan, distro.key),
        )
        try:
            probe.start()
        except HarnessError as exc:
            probe.close()
            self._probe_failures[distro.key] = f"cannot probe {distro.key}: {exc}"
            raise HarnessError(self._probe_failures[distro.key]) from exc
        except BaseException:
            probe.close()
            raise
        self._probes[distro.key] = probe
        assert probe.facts is not None
        results.write_state(
            self.results_dir,
            f"{DISTRO_PREFIX}{distro.key}",
            records.distro_entry(distro, probe.image, probe.facts, self.settings),
        )
        return probe

    def run_cell(self, cell: Cell, worker: str = "main") -> results.CellRecord:
        """Probe one cell and append its record to the results; never raises for the cell's
        own trouble (that is an `error` record)."""
        prepared = self.prepared()
        members, wheels, missing = self._members(cell, prepared)
        if missing:
            observation = Observation.failure("build failed: " + "; ".join(missing))
            measured = records.Measured({}, observation, decide(False, observation), None)
        else:
            measured = self._measure(cell, prepared, wheels)
        place = records.CellPlace(
            key=cell.key,
            test_id=cell.test_id,
            row=cell.row,
            arch=cell.arch,
            distro=cell.distro.name,
            installer=cell.installer,
            dlopen=cell.dlopen,
            cpu=cell.cpu,
        )
        record = records.cell_record(
            place,
            members,
            measured,
            declared=declared_rule_for(cell, measured, prepared, wheels, self.settings.host),
            lint=records.lint_of(
                {m.label: self._wheel_names(m.request, prepared) for m in cell.members},
                prepared.wheels,
            ),
            emulated=self.settings.emulated(cell.distro.arch),
            worker=worker,
        )
        results.append_cell(self.results_dir, worker, record)
        return record

    @staticmethod
    def _wheel_names(request: BuildRequest, prepared: Prepared) -> list[str]:
        build = prepared.build(request) or {}
        return [Path(path).name for path in build.get("wheels", [])]

    def _members(
        self, cell: Cell, prepared: Prepared
    ) -> tuple[tuple[results.MemberRecord, ...], list[Path], list[str]]:
        """The cell's members as recorded, their wheels, and what failed to build."""
        wheels: list[Path] = []
        missing: list[str] = []
        members = []
        for member in cell.members:
            build = prepared.build(member.request) or {
                "status": FAILED,
                "wheels": [],
                "error": "not built",
            }
            member_wheels = [Path(w) for w in build.get("wheels", [])]
            if not member_wheels:
                missing.append(f"{member.label}: {build.get('error') or 'no wheel'}")
            wheels += member_wheels
            members.append(
                results.MemberRecord(
                    sample=member.sample.name,
                    flavour=member.flavour.name,
                    kind=member.kind,
                    build_image=member.build_image.key,
                    policy=member.build_image.policy,
                    wheels=tuple(w.name for w in member_wheels),
                    build_status=str(build.get("status")),
                )
            )
        return tuple(members), wheels, missing

    def _measure(self, cell: Cell, prepared: Prepared, wheels: list[Path]) -> records.Measured:
        """Expect, probe and judge one cell whose wheels were built."""
        facts: DistroFacts | None = None
        expected: dict[str, Any] = {}
        try:
            probe = self._probe(cell.distro)
            facts = probe.facts
            assert facts is not None
            if str(cell.installer) in prepared.pips:
                raise HarnessError(prepared.pips[str(cell.installer)])
            extra = axes.probe_axes(cell, prepared)
            claims = [WheelName.parse(w.name) for w in wheels]
            pip = installers.expected_pip(cell.installer, facts.pip_version)
            expectation = expect_install(claims, facts, pip, axes.installer_word(cell))
            expected = records.expected_of(
                expectation, (w.name for w in wheels), prepared.wheels, (facts, cell.arch)
            )
            observation = probe.probe(
                ProbeRequest(
                    cell_id=safe_name(cell.test_id),
                    wheels=tuple(wheels),
                    imports=tuple(i for m in cell.members for i in m.imports),
                    checks=tuple((m.label, m.sample.check_path, m.imports) for m in cell.members),
                    dlopen=cell.dlopen,
                    installer=cell.installer,
                    pips_dir=installers.pips_dir(self.cache),
                    uv=extra.uv,
                    cpu_model=extra.cpu_model,
                )
            )
        except HarnessError as exc:
            # What was expected before the probe failed stays in the record.
            observation = Observation.failure(str(exc))
            return records.Measured(expected, observation, decide(False, observation), facts)
        pip_too_old = (
            not expectation.installable
            and not cell.installer.is_distro
            and expect_install(claims, facts, None).installable
        )
        decision = decide(
            expectation.installable, observation, pip_too_old, axes.installer_word(cell)
        )
        return records.Measured(expected, observation, axes.on_cpu(cell, decision), facts)

    # -- assembling the record ---------------------------------------------------------------

    def run_record(self, interrupted: bool = False) -> results.RunRecord:
        prepared = self._prepared or Prepared.from_json(
            results.read_state(self.results_dir, PREPARED) or {}
        )
        return records.run_record(
            profile=self.selection.profile,
            selection=dataclasses.asdict(self.selection),
            host=records.host_facts(self.settings, self._engines),
            images=prepared.images,
            builds=prepared.builds,
            distros=results.read_state_dir(self.results_dir, DISTRO_PREFIX),
            cells=results.read_cells(self.results_dir),
            interrupted=interrupted,
            skipped={
                **{d.key: d.skip_reason for d in self.plan.distros if d.skip_reason},
                **dict(self.plan.not_probed),
            },
            wheels=prepared.wheels,
            installers=prepared.uvs,
        )
