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
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import ExitCode, HarnessError
from harness.judge.verdict import Decision, decide
from harness.probe import observation as obs
from harness.probe.facts import DistroFacts
from harness.results import builder as records
from harness.util.cache import file_digest
from harness.util.names import safe_name
from harness.verify.given_check import (
    CHECK_SCRIPT,
    check_script_name,
    check_steps,
    expect,
    forced_load_moot,
    judge,
    pip_too_old,
)
from harness.verify.given_wheels import WheelSet, pool_key, requires_python, wheel_modules
from harness.verify.plan import VerifyPlan
from harness.verify.records import BUILD_STATUS, given_cell_record

if TYPE_CHECKING:
    from harness.catalog.model import Distro
    from harness.probe.distro_probe import DistroProbe
    from harness.results.record import CellRecord, RunRecord
    from harness.settings import Settings
    from harness.util.cache import Cache
    from harness.util.engine import Engine
    from harness.util.progress import Progress


# -- effects -----------------------------------------------------------------------------------


class Verification:
    """One verify run: stage the wheels, ensure the distro images, probe each distro in turn
    (one container at a time: verify runs beside other work), record, publish."""

    def __init__(
        self, plan: VerifyPlan, settings: Settings, results_dir: Path, progress: Progress
    ) -> None:
        from harness.util.cache import Cache

        self.plan = plan
        self.settings = settings
        self.results_dir = results_dir
        self.progress = progress
        self.cache: Cache = Cache(settings.cache_dir)
        self._engines: dict[str, Engine] = {}
        self.images: dict[str, dict[str, Any]] = {}
        self.distros: dict[str, dict[str, Any]] = {}
        self.inspections: dict[str, dict[str, Any]] = {}
        self.modules: dict[str, tuple[str, ...]] = {}
        self.requires: dict[str, str | None] = {}

    def engine(self, distro: Distro) -> Engine:
        from harness.util.engine import Engine

        url = self.settings.engine_url(distro.arch) or ""
        if url not in self._engines:
            self._engines[url] = Engine.connect(url or None)
            reaped = self._engines[url].reap_leftovers()
            if reaped:
                self.progress.line(
                    f"removed {len(reaped)} container(s) left by an earlier run: {', '.join(reaped)}"
                )
        return self._engines[url]

    def execute(self) -> ExitCode:
        from harness.report import render_markdown
        from harness.report.publish import publish
        from harness.results import record as results
        from harness.util.ownership import LABEL_RUN, run_id

        plan = self.plan
        for line in plan.skipped_wheels:
            self.progress.line(f"skipped {line}")
        for wheel_set, why in plan.damaged:
            path = wheel_set.wheels[0].path
            self.progress.line(f"damaged {path}: {why}: its cells are errors; download it again")
        cells = (len(plan.sets) + len(plan.damaged)) * len(plan.runnable)
        self.progress.line(
            f"verify ({plan.profile}): {len(plan.wheels)} wheel(s) in {len(plan.sets)} set(s), "
            f"{len(plan.runnable)} distro(s), {cells} cells"
        )
        for distro in plan.runnable:
            self.engine(distro)  # no engine: one line and exit 3, before anything is written
        pool = self.stage_pool()
        script = self.write_check_script()
        self.inspect()
        # Only now, with every input read, does the earlier run's record give way.
        results.reset(self.results_dir)
        interrupted = False
        try:
            self.ensure_images()
            phase = self.progress.phase("cells", cells)

            def emit(record: CellRecord) -> None:
                # Written the moment it is measured: an interrupted run keeps it.
                results.append_cell(self.results_dir, "main", record)
                how = record.diagnosis or record.explanation
                phase.finish(f"{record.row} @ {record.distro}", f"{record.verdict.value}: {how}")

            for distro in plan.runnable:
                for wheel_set, why in plan.damaged:
                    emit(self.error_cell(wheel_set, distro, f"{wheel_set.label}: {why}"))
                self.probe_distro(distro, pool, script, emit)
        except KeyboardInterrupt:
            interrupted = True
            self.progress.line("interrupted: removing the containers, keeping the cells measured")
        finally:
            for engine in self._engines.values():
                engine.remove_containers({LABEL_RUN: run_id()})
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
        pool = self.cache.path("wheels", pool_key(digests))
        with self.cache.lock(pool.name):
            if not pool.is_dir():
                with self.cache.new_entry(pool) as scratch:
                    for wheel in self.plan.wheels:
                        shutil.copyfile(wheel.path, scratch / wheel.filename)
        for wheel in self.plan.wheels:
            self.modules[wheel.filename] = wheel_modules(pool / wheel.filename)
            self.requires[wheel.filename] = requires_python(pool / wheel.filename)
            shown = ", ".join(self.modules[wheel.filename]) or "no importable module"
            phase.finish(wheel.filename, f"imports {shown}")
        return pool

    def write_check_script(self) -> Path:
        directory, name = check_script_name()
        path = self.cache.path("verify", directory, name)
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
                found = memo.inspect_wheel(self.cache, wheel.path, arch)
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

    def ensure_images(self) -> None:
        from harness.images.provider import ImageProvider, describe_failure, failure_record

        phase = self.progress.phase("images", len(self.plan.runnable))
        for distro in self.plan.runnable:
            spec = distro.image
            item = f"distro {distro.name} {distro.arch.name}"
            engine = None
            try:
                engine = self.engine(distro)
                resolved = ImageProvider(engine, self.cache, self.settings).ensure(spec, phase)
            except HarnessError as exc:
                self.images[spec.key] = failure_record(spec, describe_failure(exc), engine)
                phase.finish(item, f"FAILED: {self.images[spec.key]['error']}")
                continue
            self.images[spec.key] = dataclasses.asdict(resolved)
            how = f"built in {resolved.seconds:.0f} s" if resolved.built else "cached"
            phase.finish(item, f"{how} ({resolved.reference})")

    # -- probing -------------------------------------------------------------------------------

    def probe_distro(
        self, distro: Distro, pool: Path, script: Path, emit: Callable[[CellRecord], None]
    ) -> None:
        """Every set's cell in one container of the distro, removed when done however it
        ends; a distro that cannot be probed gives `error` cells, never a verdict."""
        from harness.probe.distro_probe import DistroProbe

        image = self.images.get(distro.image.key, {"error": "not prepared"})
        if "error" in image:
            for wheel_set in self.plan.sets:
                emit(
                    self.error_cell(
                        wheel_set, distro, f"distro image unavailable: {image['error']}"
                    )
                )
            return
        probe = DistroProbe(
            self.engine(distro),
            distro,
            str(image["reference"]),
            self.cache.path("wheels"),
            self.settings,
        )
        try:
            try:
                facts = probe.start()
            except HarnessError as exc:
                for wheel_set in self.plan.sets:
                    emit(self.error_cell(wheel_set, distro, f"cannot probe {distro.key}: {exc}"))
                return
            self.distros[distro.key] = records.distro_entry(
                distro, probe.image, facts, self.settings
            )
            for wheel_set in self.plan.sets:
                emit(self.probe_cell(probe, facts, wheel_set, distro, pool, script))
        finally:
            probe.close()

    def probe_cell(
        self,
        probe: DistroProbe,
        facts: DistroFacts,
        wheel_set: WheelSet,
        distro: Distro,
        pool: Path,
        script: Path,
    ) -> CellRecord:
        from harness.probe.distro_probe import ProbeRequest

        arch = distro.arch.name
        expectation = expect(wheel_set.wheels, self.requires, facts)
        modules = tuple(
            dict.fromkeys(m for w in wheel_set.wheels for m in self.modules[w.filename])
        )
        request = ProbeRequest(
            cell_id=safe_name(wheel_set.key(arch, distro.name)),
            wheels=tuple(pool / w.filename for w in wheel_set.wheels),
            imports=(),  # each module is imported by a check step, in a process of its own
            checks=tuple(
                (label, script, argv) for label, argv in check_steps(modules, self.plan.check)
            ),
            find_links=(pool,),
        )
        moot = forced_load_moot(wheel_set.wheels, facts, arch)
        observation, decision = judge(
            expectation,
            probe.probe(request),
            moot,
            pip_too_old(wheel_set.wheels, self.requires, facts),
        )
        expected = records.expected_of(
            expectation,
            (w.filename for w in wheel_set.wheels),
            self.inspections,
            (facts, arch),
        )
        expected["requires_python"] = {
            w.filename: self.requires.get(w.filename) for w in wheel_set.wheels
        }
        notes: tuple[str, ...] = (
            ()
            if modules
            else ("no importable module in the wheel(s): only the install was checked",)
        )
        if moot and not expectation.installable:
            notes += (f"a forced load is moot here: {moot}",)
        return self.cell(wheel_set, distro, expected, observation, decision, facts, notes)

    def error_cell(self, wheel_set: WheelSet, distro: Distro, message: str) -> CellRecord:
        observation = obs.Observation.failure(message)
        return self.cell(wheel_set, distro, {}, observation, decide(False, observation), None, ())

    def cell(
        self,
        wheel_set: WheelSet,
        distro: Distro,
        expected: dict[str, Any],
        observation: obs.Observation,
        decision: Decision,
        facts: DistroFacts | None,
        notes: tuple[str, ...],
    ) -> CellRecord:
        return given_cell_record(
            wheel_set,
            distro.name,
            distro.arch.name,
            records.Measured(expected, observation, decision, facts, notes),
            self.inspections,
            emulated=self.settings.emulated(distro.arch),
        )

    # -- the record ----------------------------------------------------------------------------

    def run_record(self, interrupted: bool) -> RunRecord:
        from harness.results import record as results

        plan = self.plan
        return records.run_record(
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
            },
            host=records.host_facts(self.settings, self._engines),
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
            distros=self.distros,
            cells=results.read_cells(self.results_dir),
            interrupted=interrupted,
            skipped={d.key: d.skip_reason for d in plan.distros if d.skip_reason},
            wheels=self.inspections,
        )
