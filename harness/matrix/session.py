"""A matrix run: prepare images and wheels (once, with visible progress), then run the plan's
cells through the run context every command shares (harness.runner.context).

The same Session serves the CLI and the pytest plugin (in the controller, which prepares,
and in every xdist worker, which reads what was prepared and probes its distros).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.analysis import memo
from harness.analysis.metadata import requires_python
from harness.build.wheels import FAILED, REFUSED, BuildOutcome, BuildRequest, WheelBuilder
from harness.catalog.model import Catalog
from harness.catalog.samples import Sample, default_samples_dir, discover
from harness.catalog.user import CatalogSources
from harness.errors import HarnessError, NothingToRun
from harness.judge import cpu as cpus
from harness.judge.cell import CellJob, SampleContext, WheelFacts
from harness.matrix.plan import Cell, Plan, Selection, make_plan
from harness.probe.distro_probe import ProbeRequest
from harness.results import builder as records
from harness.results import record as results
from harness.runner import supply as supplies
from harness.runner.context import PlannedCell, RunContext
from harness.runner.prepared import Prepared, PreparedImage, nothing_to_run, outcome_json, parallel
from harness.settings import Settings
from harness.util.names import safe_name
from harness.util.progress import Progress
from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits
from harness.vocab.wheel_name import WheelName

PREPARED = results.PREPARED_STATE  # the state file workers read


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
        self.context = RunContext(settings, results_dir)
        self._prepared: Prepared | None = None

    def close(self) -> None:
        self.context.close()

    def sweep(self) -> list[str]:
        return self.context.sweep()

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
        plan = self.plan
        self.context.reap(
            [d.arch.name for d in plan.distros] + [b.arch.name for b in plan.build_images],
            progress,
        )
        specs = [b.image for b in plan.build_images] + [
            d.image for d in plan.distros if not d.skip_reason
        ]
        images = self.context.ensure_images(specs, progress, jobs)
        stop = nothing_to_run(
            (
                ("build image", [b.image for b in plan.build_images]),
                ("distro image", [d.image for d in plan.distros if not d.skip_reason]),
            ),
            images,
        )
        if stop:
            # Nothing can be measured: say so now, in one line, rather than building nothing
            # and probing nothing; what was prepared is kept for the record.
            self._prepared = Prepared(images=images)
            results.write_state(self.results_dir, PREPARED, self._prepared.to_json())
            raise NothingToRun(stop)
        builds = self._build_wheels(images, progress, jobs)
        self._prepared = Prepared(
            images=images,
            builds=builds,
            wheels=self._inspect_wheels(builds),
            supply=self._supply(progress),
        )
        results.write_state(self.results_dir, PREPARED, self._prepared.to_json())
        return self._prepared

    def _build_wheels(
        self, images: Mapping[str, PreparedImage], progress: Progress, jobs: int
    ) -> dict[str, BuildOutcome]:
        phase = progress.phase("wheels", len(self.plan.builds))

        def build(request: BuildRequest) -> tuple[BuildRequest, BuildOutcome]:
            spec = request.build_image.image
            image = images.get(spec.key) or PreparedImage(spec.key)
            if image.resolved is None:
                error = f"build image unavailable: {image.error}"
                return request, BuildOutcome(request.key, FAILED, (), None, 0.0, error=error)
            builder = WheelBuilder(
                self.context.engine(spec.arch.name), self.context.cache, self.settings
            )
            try:
                return request, builder.build(request, image.resolved, phase)
            except Exception as exc:  # one broken build must not take the others down
                error = f"harness failure while building: {type(exc).__name__}: {exc}"
                return request, BuildOutcome(request.key, FAILED, (), None, 0.0, error=error)

        builds: dict[str, BuildOutcome] = {}
        for request, outcome in parallel(build, list(self.plan.builds), jobs):
            builds[request.key] = outcome
            if outcome.ok:
                names = ", ".join(w.name for w in outcome.wheels)
                how = (
                    "cached" if outcome.status == "cached" else f"built in {outcome.seconds:.0f} s"
                )
                phase.finish(request.key, f"{how}: {names}")
            else:
                phase.finish(request.key, f"FAILED: {outcome.error}")
        return builds

    def _inspect_wheels(self, builds: Mapping[str, BuildOutcome]) -> dict[str, dict[str, Any]]:
        """The static checks of every built wheel (kept by content), by file name."""
        wheels: dict[str, dict[str, Any]] = {}
        for request in self.plan.builds:
            outcome = builds.get(request.key)
            for path in outcome.wheels if outcome else ():
                try:
                    wheels[path.name] = memo.inspect_wheel(
                        self.context.cache,
                        path,
                        request.build_image.arch.name,
                        self.settings.wheel_limits,
                    )
                except Exception as exc:  # a wheel we cannot read is reported, not fatal
                    wheels[path.name] = {"error": f"cannot inspect: {exc}"}
        return wheels

    def _supply(self, progress: Progress) -> supplies.InstallerSupply:
        return supplies.supply_for(
            self.context.cache,
            [(c.installer, c.arch) for c in self.plan.cells],
            [d.expected_python for d in self.plan.distros],
            progress,
        )

    def prepared(self) -> Prepared:
        if self._prepared is None:
            data = results.read_state(self.results_dir, PREPARED)
            if data is None:
                raise HarnessError(
                    f"nothing was prepared in {self.results_dir}: run the matrix through "
                    "`manylinux-harness run` or pytest with --profile"
                )
            self._prepared = Prepared.from_json(data)
        if not self.context.wheel_dirs:
            self.context.wheel_dirs = self._prepared.wheel_dirs
        return self._prepared

    # -- cells (workers) ---------------------------------------------------------------------

    def run_cell(self, cell: Cell, worker: str = "main") -> results.CellRecord:
        """Probe one cell and append its record to the results; never raises for the cell's
        own trouble (that is an `error` record)."""
        prepared = self.prepared()
        return self.context.measure(
            planned(cell, prepared, self.settings.wheel_limits),
            prepared.image(cell.distro.image),
            prepared.supply,
            emulator=cpus.EMULATOR if self.plan.needs_emulator(cell.distro.key) else None,
            worker=worker,
        )

    # -- assembling the record ---------------------------------------------------------------

    def run_record(self, interrupted: bool = False) -> results.RunRecord:
        prepared = self._prepared or Prepared.from_json(
            results.read_state(self.results_dir, PREPARED) or {}
        )
        return self.context.run_record(
            profile=self.selection.profile,
            selection=dataclasses.asdict(self.selection),
            images=prepared.images,
            builds={key: outcome_json(o) for key, o in prepared.builds.items()},
            wheels=prepared.wheels,
            installers=prepared.supply.uvs,
            skipped={
                **{d.key: d.skip_reason for d in self.plan.distros if d.skip_reason},
                **dict(self.plan.not_probed),
            },
            interrupted=interrupted,
        )


@functools.cache
def _requires_python(path: Path, limits: WheelLimits) -> str | None:
    return requires_python(path, limits)


def planned(cell: Cell, prepared: Prepared, limits: WheelLimits = DEFAULT_LIMITS) -> PlannedCell:
    """A plan's cell with its built wheels, ready to run: what it installs, what is judged,
    and how the record names its members."""
    wheels: list[Path] = []
    missing: list[str] = []
    refused: list[str] = []
    members = []
    for member in cell.members:
        outcome = prepared.builds.get(member.request.key)
        member_wheels = list(outcome.wheels) if outcome else []
        if outcome is not None and outcome.status == REFUSED:
            refused.append(f"{member.label}: {outcome.error}")
        elif not member_wheels:
            missing.append(f"{member.label}: {(outcome.error if outcome else '') or 'not built'}")
        wheels += member_wheels
        members.append(
            results.MemberRecord(
                sample=member.sample.name,
                flavour=member.flavour.name,
                kind=member.kind,
                build_image=member.build_image.key,
                policy=member.build_image.policy,
                wheels=tuple(w.name for w in member_wheels),
                build_status=outcome.status if outcome else FAILED,
            )
        )
    first = cell.members[0]
    job = CellJob(
        arch=cell.arch,
        installer=cell.installer,
        wheels=tuple(
            WheelFacts.of(
                WheelName.parse(w.name), prepared.wheels.get(w.name), _requires_python(w, limits)
            )
            for w in wheels
        ),
        distro=cell.distro.name,
        dlopen=cell.dlopen,
        cpu=cell.cpu,
        cross_arch=cell.cross_arch,
        sample=SampleContext(
            rules=cell.combination.expect if cell.combination else first.sample.expect,
            flavour=first.flavour.name,
            build_policy=first.build_image.policy,
            build_glibc=first.build_image.glibc,
            build_python=first.build_image.python_version,
            order=cell.order,
        ),
    )
    request = ProbeRequest(
        cell_id=safe_name(cell.test_id),
        wheels=tuple(wheels),
        imports=tuple(i for m in cell.members for i in m.imports),
        checks=tuple((m.label, m.sample.check_path, m.imports) for m in cell.members),
        dlopen=cell.dlopen,
        installer=cell.installer,
        cpu_model=cpus.qemu_model(cell.cpu),
    )
    return PlannedCell(
        place=cell.place,
        distro=cell.distro,
        members=tuple(members),
        job=job,
        request=request,
        lint=records.lint_of(
            {m.label: list(r.wheels) for m, r in zip(cell.members, members, strict=True)},
            prepared.wheels,
        ),
        unprobed=(
            "wheel over the run's limits, not unpacked: " + "; ".join(refused)
            if refused
            else "build failed: " + "; ".join(missing)
            if missing
            else ""
        ),
    )
