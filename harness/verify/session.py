"""`manylinux-harness verify WHEEL_OR_DIR... [--check CMD]`: wheels built elsewhere (e.g.
downloaded from PyPI) through the same probe as the corpus, in the selected distros.

Nothing is built. The given wheels are copied into a content-addressed pool under the wheel
cache, which DistroProbe mounts as it mounts the corpus's wheelhouses; every distro gets one
container; per (wheel set, distro) the distro's own pip installs the set from the pool with no
network, then each top-level module of the set is imported in a fresh process and, with
--check, the command runs. Expectations come from the tags (packaging's tag logic, measured in
the container) and Requires-Python; verdicts, records and reports are the matrix's own.

Wheel sets: each given wheel is a set of its own, installed as a user installs it (`pip
install --no-index --find-links POOL that-wheel`): its dependencies resolve among the given
wheels (scipy gets numpy), and one broken wheel cannot hide another's answer. --together adds
one set of every project given once, co-installed: wheels that each work alone may break in
one process.

The pure logic lives in given_wheels (what the wheels are, how they group, which modules to
import) and given_check (the check script, what a cell's outcome means), which tests/unit
exercise; verify_plan chooses what a run covers; this module holds its effects.
"""

from __future__ import annotations

import dataclasses
import posixpath
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.analysis.metadata import requires_python
from harness.errors import ExitCode
from harness.judge import cpu as cpus
from harness.probe.distro_probe import WHEELHOUSE, ProbeRequest
from harness.probe.test_output import TESTS_LABEL
from harness.runner.context import RunContext
from harness.runner.prepared import PreparedImage
from harness.runner.supply import InstallerSupply, supply_for
from harness.util.cache import file_digest
from harness.util.names import safe_name
from harness.verify import dependency_supply as deps
from harness.verify import project_tests
from harness.verify.given_check import CHECK_SCRIPT, check_script_name, check_steps
from harness.verify.given_wheels import WheelSet, pool_key, wheel_modules
from harness.verify.plan import VerifyCell, VerifyPlan
from harness.verify.records import BUILD_STATUS, planned, pool_paths

if TYPE_CHECKING:
    from harness.catalog.model import Distro
    from harness.results.record import CellRecord, RunRecord
    from harness.settings import Settings
    from harness.util.progress import Phase, Progress


class Verification:
    """One verify run: stage the wheels, ensure the distro images, probe each distro in turn
    (one container at a time: verify runs beside other work), record, publish. Its cells run
    through the run context the matrix uses."""

    def __init__(
        self, plan: VerifyPlan, settings: Settings, results_dir: Path, progress: Progress
    ) -> None:
        self.plan = plan
        self.settings = settings
        self.results_dir = results_dir
        self.progress = progress
        self.context = RunContext(settings, results_dir)
        self.images: dict[str, PreparedImage] = {}
        self.inspections: dict[str, dict[str, Any]] = {}
        self.modules: dict[str, tuple[str, ...]] = {}
        self.requires: dict[str, str | None] = {}
        self.supply = InstallerSupply()
        self.dependencies = deps.DependencySupply()
        self.project: Path | None = None  # the project's staged copy, for {project}

    def execute(self) -> ExitCode:
        from harness.report import render_markdown
        from harness.report.publish import publish
        from harness.results import record as results

        plan = self.plan
        for line in plan.skipped_wheels:
            self.progress.line(f"skipped {line}")
        for wheel_set, why in plan.damaged:
            path = wheel_set.wheels[0].path
            self.progress.line(f"cannot verify {path}: {why}; its cells are errors")
        for what, why in plan.not_probed:
            self.progress.line(f"not probed: {what}: {why}")
        cells = sum(len(plan.cells(d)) + len(plan.damaged) for d in plan.runnable)
        self.progress.line(
            f"verify ({plan.profile}): {len(plan.wheels)} wheel(s) in {len(plan.sets)} set(s), "
            f"{len(plan.runnable)} distro(s), {cells} cells"
        )
        # No engine: one line and exit 3, before anything is written.
        self.context.reap([d.arch.name for d in plan.runnable], self.progress)
        pool = self.stage_pool()
        script = self.write_check_script()
        self.inspect()
        # Only now, with every input read, does the earlier run's record give way.
        results.reset(self.results_dir)
        interrupted = False
        try:
            self.images = self.context.ensure_images(
                [d.image for d in plan.runnable], self.progress, jobs=1
            )
            self.supply = supply_for(
                self.context.cache,
                [(c.installer, c.arch) for d in plan.runnable for c in plan.cells(d)],
                [d.expected_python for d in plan.runnable],
                self.progress,
            )
            self.prepare_tests()
            # The probes see the given wheels, the installers and the dependency wheels,
            # nothing else of the cache.
            self.context.wheel_dirs = (
                pool,
                *self.supply.directories,
                *self.dependencies.directories,
            )
            phase = self.progress.phase("cells", cells)
            for distro in plan.runnable:
                self.probe_distro(distro, pool, script, phase)
        except KeyboardInterrupt:
            interrupted = True
            self.progress.line("interrupted: removing the containers, keeping the cells measured")
        finally:
            self.context.close()
            self.context.sweep()
        record = self.run_record(interrupted)
        written = publish(record, self.results_dir)
        print(render_markdown(record), end="")
        print(
            f"\nresults: {written['json']}\nreport:  {written['markdown']}\nhtml:    {written['html']}"
        )
        return ExitCode.INTERRUPTED if interrupted else results.exit_code(record)

    # -- preparation ---------------------------------------------------------------------------

    def stage_pool(self) -> Path:
        """Copy the wheels into a content-addressed directory of the wheel cache, the root
        DistroProbe mounts: the probe's mounts and copies work unchanged."""
        phase = self.progress.phase("wheels", len(self.plan.wheels))
        digests = {w.filename: file_digest(w.path) for w in self.plan.wheels}
        cache = self.context.cache
        pool = cache.path("wheels", pool_key(digests))
        with cache.lock(pool.name):
            if pool.is_dir() and not _whole(pool, digests):
                shutil.rmtree(pool)  # a copy damaged since (a full disk, a hand): made again
            if not pool.is_dir():
                with cache.new_entry(pool) as scratch:
                    for wheel in self.plan.wheels:
                        shutil.copyfile(wheel.path, scratch / wheel.filename)
        for wheel in self.plan.wheels:
            limits = self.settings.wheel_limits
            self.modules[wheel.filename] = wheel_modules(pool / wheel.filename, limits)
            self.requires[wheel.filename] = requires_python(pool / wheel.filename, limits)
            shown = ", ".join(self.modules[wheel.filename]) or "no importable module"
            phase.finish(wheel.filename, f"imports {shown}")
        return pool

    def prepare_tests(self) -> None:
        """For the project's tests: its staged copy, and every target's dependency wheels
        (the given wheels' runtime dependencies with the test extras, and the test
        requirements), fetched on the host now; the probes have no network."""
        tests = self.plan.tests
        if tests is None or not tests.any_run:
            return
        if tests.project is not None:
            self.project = project_tests.stage_project(tests.project, self.context.cache)
        targets = {
            t.label: t
            for d in self.plan.runnable
            if (t := deps.target_of(d)) is not None and self._options(d) is not None
        }

        def wanted(target: deps.Target) -> tuple[str, ...]:
            options = tests.options.get(
                project_tests.cibw_options.identifier(target.python, target.arch, target.libc)
            )
            if options is None or not options.runs:
                return ()
            pairs = [(w, options.extras) for w in self.plan.wheels]
            return deps.requirements_for(target, pairs, options.requires)

        self.dependencies = deps.supply(
            self.context.cache,
            [targets[label] for label in sorted(targets)],
            wanted,
            deps.pins(self.plan.wheels),
            self.progress,
        )

    def _options(self, distro: Distro) -> project_tests.TestOptions | None:
        """The test options of the distro's cells, when tests run there."""
        tests = self.plan.tests
        options = tests.for_distro(distro) if tests is not None else None
        return options if options is not None and options.runs else None

    def write_check_script(self) -> Path:
        directory, name = check_script_name()
        path = self.context.cache.path("verify", directory, name)
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(CHECK_SCRIPT, encoding="utf-8")
            tmp.replace(path)
        return path

    def inspect(self) -> None:
        """The static checks the corpus's wheels get (symbol versions beyond the claimed
        policy, C++ runtime lint), for the record and the report."""
        from harness.analysis import memo

        # auditwheel's analysis takes as long as `auditwheel show` (pyarrow: ~40 s): shown.
        phase = self.progress.phase("static", len(self.plan.wheels))
        for wheel in self.plan.wheels:
            arch = wheel.arches[0] if wheel.arches else self.plan.arches[0]
            try:
                found = memo.inspect_wheel(
                    self.context.cache, wheel.path, arch, self.settings.wheel_limits
                )
            except Exception as exc:  # a wheel we cannot read is reported, not fatal
                found = {"error": f"cannot inspect: {exc}"}
            self.inspections[wheel.filename] = found
            problems = found.get("policy_problems") or ()
            phase.finish(
                wheel.filename,
                found.get("error")
                or f"auditwheel: {found.get('policy') or 'pure'}"
                + (f"; {len(problems)} problem(s) against its claim" if problems else ""),
            )

    # -- probing -------------------------------------------------------------------------------

    def probe_distro(self, distro: Distro, pool: Path, script: Path, phase: Phase) -> None:
        """Every cell of the distro in one container, removed when done however it ends; a
        distro that cannot be probed gives `error` cells, never a verdict."""
        emulator = cpus.EMULATOR if distro.key in self.plan.needs_emulator else None
        image = self.images[distro.image.key]
        try:
            for wheel_set, why in self.plan.damaged:
                cell = VerifyCell(wheel_set, distro)
                self._emit(phase, self._measure(cell, pool, script, image, emulator, why))
            for cell in self.plan.cells(distro):
                self._emit(phase, self._measure(cell, pool, script, image, emulator))
        finally:
            self.context.release(distro)

    def _measure(
        self,
        cell: VerifyCell,
        pool: Path,
        script: Path,
        image: PreparedImage,
        emulator: Path | None,
        damaged: str = "",
    ) -> CellRecord:
        wheel_set = cell.wheel_set
        modules = self._modules(wheel_set)
        request = ProbeRequest(
            cell_id=safe_name(cell.test_id),
            wheels=pool_paths(wheel_set, pool),
            imports=(),  # each module is imported by a check step, in a process of its own
            checks=tuple(
                (label, script, argv) for label, argv in check_steps(modules, self.plan.check)
            ),
            find_links=(pool,),
            installer=cell.installer,
            cpu_model=cpus.qemu_model(cell.cpu),
        )
        notes: tuple[str, ...] = (
            ()
            if modules
            else ("no importable module in the wheel(s): only the install was checked",)
        )
        request, tested, problem = self._with_tests(cell, request, pool, modules, script)
        notes = (*notes, *tested)
        damaged = damaged or problem
        job = planned(
            cell,
            request,
            self.inspections,
            self.requires,
            notes=notes,
            unprobed=f"{wheel_set.label}: {damaged}" if damaged else "",
        )
        return self.context.measure(job, image, self.supply, emulator=emulator)

    def _with_tests(
        self,
        cell: VerifyCell,
        request: ProbeRequest,
        pool: Path,
        modules: tuple[str, ...],
        script: Path,
    ) -> tuple[ProbeRequest, tuple[str, ...], str]:
        """The request with the project's tests added where they run on this distro (the
        test step after the imports and --check; the test extras and requirements installed
        with the wheels, from the dependency wheels), what the record notes of them, and why
        the cell cannot be probed (a requirement without a wheel for its target)."""
        tests = self.plan.tests
        options = tests.for_distro(cell.distro) if tests is not None else None
        if options is None or not options.command:
            return request, (), ""
        if options.skipped:
            return request, (f"tests skipped here: test-skip selects {options.identifier}",), ""
        supplied = self.dependencies.get(deps.target_of(cell.distro))
        if supplied.problem:
            return request, (), supplied.problem
        project = project_tests.container_project(self.project) if self.project else ""
        wheel = self._in_container(request.wheels[0])
        spec = project_tests.step_spec(options, project=project, wheel=wheel)
        request = dataclasses.replace(
            request,
            checks=tuple(
                (label, script, argv) for label, argv in check_steps(modules, self.plan.check, spec)
            ),
            find_links=(pool, *([supplied.directory] if supplied.directory else [])),
            extras=project_tests.extras_suffix(options),
            requirements=options.requires,
            trees=((self.project, project),) if self.project else (),
            installed_only=(TESTS_LABEL,),
        )
        return request, (f"tests: {spec['command']} (options of {options.identifier})",), ""

    def _in_container(self, wheel: Path) -> str:
        relative = wheel.resolve().relative_to(self.context.cache.path("wheels").resolve())
        return posixpath.join(WHEELHOUSE, *relative.parts)

    def _modules(self, wheel_set: WheelSet) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(m for w in wheel_set.wheels for m in self.modules.get(w.filename, ()))
        )

    @staticmethod
    def _emit(phase: Phase, record: CellRecord) -> None:
        how = record.diagnosis or record.explanation
        phase.finish(f"{record.row} @ {record.distro}", f"{record.verdict.value}: {how}")

    # -- the record ----------------------------------------------------------------------------

    def run_record(self, interrupted: bool) -> RunRecord:
        plan = self.plan
        return self.context.run_record(
            profile=plan.profile,
            selection={
                "command": "verify",
                "profile": plan.profile,
                "arches": list(plan.arches),
                "distros": [d.name for d in plan.distros],
                "wheels": [w.filename for w in plan.wheels],
                "damaged": {s.wheels[0].filename: why for s, why in plan.damaged},
                "check": plan.check,
                "together": plan.together,
                "download": list(plan.downloaded),
                "installers": [str(i) for i in plan.installers],
                "cpus": list(plan.cpus),
                "tests": plan.tests.to_json() if plan.tests else None,
                "dependencies": self.dependencies.to_json(),
            },
            images=self.images,
            builds={
                s.label: {
                    "status": BUILD_STATUS,
                    "wheels": [str(w.path) for w in s.wheels],
                    "error": None,
                }
                for s in plan.sets
            }
            | {
                s.label: {"status": "damaged", "wheels": [str(s.wheels[0].path)], "error": why}
                for s, why in plan.damaged
            },
            wheels=self.inspections,
            installers=self.supply.uvs,
            skipped={
                **{d.key: d.skip_reason for d in plan.distros if d.skip_reason},
                **dict(plan.not_probed),
            },
            interrupted=interrupted,
        )


def _whole(pool: Path, digests: dict[str, str]) -> bool:
    """Whether every wheel of a pool has the bytes its key names."""
    return all(
        (pool / name).is_file() and file_digest(pool / name) == digest
        for name, digest in digests.items()
    )
