"""A run: prepare images and wheels (once, with visible progress), then probe cells.

The same Session serves the CLI and the pytest plugin (in the controller, which prepares,
and in every xdist worker, which reads what was prepared and probes its distros).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import image_facts, installers, interrupt, results
from harness.build import FAILED, BuildOutcome, BuildRequest, WheelBuilder
from harness.cache import Cache
from harness.catalog import Catalog, Distro, ImageSpec, default_catalog
from harness.container import LABEL_RUN, Engine, run_id
from harness.errors import HarnessError, NothingToRun
from harness.expectation import CellContext, WheelClaim, declared_rule, expect_install
from harness.facts import DistroFacts, version_tuple
from harness.images import ImageProvider, ResolvedImage, describe_failure
from harness.lint import WARNING_KINDS, inspect_wheel
from harness.matrix import Cell, Plan, Selection, make_plan
from harness.observation import Observation
from harness.probe import DistroProbe, ProbeRequest
from harness.progress import Progress
from harness.provenance import host_dependencies, installed_version
from harness.samples import ExpectRule, Sample, default_samples_dir, discover
from harness.settings import Settings
from harness.verdict import Verdict, decide, diagnosis

PREPARED = "prepared"
STOPPED = "stopped"  # why a run stopped before probing (state file)
DISTRO_PREFIX = "distro-"


@dataclass(frozen=True)
class Prepared:
    """What the preparation phase produced, shared with workers through the results dir."""

    images: dict[str, dict[str, Any]]  # spec key -> ResolvedImage fields, or {"error": ...}
    builds: dict[str, dict[str, Any]]  # build request key -> BuildOutcome fields
    wheels: dict[str, dict[str, Any]] = dataclasses.field(
        default_factory=dict
    )  # name -> inspection
    pips: dict[str, str] = dataclasses.field(default_factory=dict)  # pip -> why unavailable

    def image_error(self, spec: ImageSpec) -> str | None:
        entry = self.images.get(spec.key)
        if entry is None:
            return f"image {spec.key} was not prepared"
        return entry.get("error")

    def image_reference(self, spec: ImageSpec) -> str:
        return str(self.images[spec.key]["reference"])

    def build(self, request: BuildRequest) -> dict[str, Any] | None:
        return self.builds.get(request.key)

    def to_json(self) -> dict[str, Any]:
        return {
            "images": self.images,
            "builds": self.builds,
            "wheels": self.wheels,
            "pips": self.pips,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prepared:
        return cls(
            images=dict(data.get("images", {})),
            builds=dict(data.get("builds", {})),
            wheels=dict(data.get("wheels", {})),
            pips=dict(data.get("pips", {})),
        )


def nothing_to_run(plan: Plan, images: dict[str, dict[str, Any]]) -> str | None:
    """One line naming the image that could not be obtained and why, when no cell can run."""
    groups = (
        ("build image", [b.image for b in plan.build_images]),
        ("distro image", [d.image for d in plan.distros if not d.skip_reason]),
    )
    for role, specs in groups:
        failed = [s for s in specs if "error" in images.get(s.key, {"error": "not prepared"})]
        if specs and len(failed) == len(specs):
            first = failed[0]
            more = f" (and {len(failed) - 1} more {role}s)" if len(failed) > 1 else ""
            reason = images.get(first.key, {}).get("error", "not prepared")
            hint = "; check that its registry is reachable, or use --profile local"
            return f"no {role} could be obtained{more}: {reason}" + (
                hint if "cannot pull" in reason else ""
            )
    return None


def _outcome_json(outcome: BuildOutcome) -> dict[str, Any]:
    data = dataclasses.asdict(outcome)
    data["wheels"] = [str(w) for w in outcome.wheels]
    data["log"] = str(outcome.log) if outcome.log else None
    return data


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
        self.catalog = catalog or default_catalog()
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
        from harness.architecture import get_arch

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
        arches = sorted(
            {d.arch.name for d in self.plan.distros} | {b.arch.name for b in self.plan.build_images}
        )
        for arch in arches:
            reaped = self.engine(arch).reap_leftovers()
            if reaped:
                progress.line(
                    f"removed {len(reaped)} container(s) left by an earlier run: {', '.join(reaped)}"
                )

        specs: list[ImageSpec] = [b.image for b in self.plan.build_images] + [
            d.image for d in self.plan.distros if not d.skip_reason
        ]
        images: dict[str, dict[str, Any]] = {}
        phase = progress.phase("images", len(specs))

        measured: dict[str, dict[str, str]] = {}

        def ensure(spec: ImageSpec) -> tuple[ImageSpec, ResolvedImage | None, str]:
            engine = self.engine(spec.arch.name)
            provider = ImageProvider(engine, self.cache, self.settings)
            try:
                resolved = provider.ensure(spec, phase)
            except HarnessError as exc:
                return spec, None, describe_failure(exc)
            if spec.role == "build":
                try:
                    measured[spec.key] = image_facts.measure(
                        engine, resolved, spec.arch, self.cache, self.settings
                    )
                except HarnessError as exc:  # reported beside the image, never fatal
                    measured[spec.key] = {"error": str(exc)}
            return spec, resolved, ""

        for spec, resolved, error in _parallel(ensure, specs, jobs):
            item = f"{spec.role} {spec.name} {spec.arch.name}"
            if resolved is None:
                images[spec.key] = {"reference": spec.tag, "error": error}
                phase.finish(item, f"FAILED: {error}")
            else:
                images[spec.key] = dataclasses.asdict(resolved)
                if spec.key in measured:
                    images[spec.key]["facts"] = measured[spec.key]
                how = f"built in {resolved.seconds:.0f} s" if resolved.built else "cached"
                phase.finish(item, f"{how} ({resolved.reference})")
        stop = nothing_to_run(self.plan, images)
        if stop:
            # Nothing can be measured: say so now, in one line, rather than building nothing
            # and probing nothing; what was prepared is kept for the record.
            self._prepared = Prepared(images=images, builds={})
            results.write_state(self.results_dir, PREPARED, self._prepared.to_json())
            results.write_state(self.results_dir, STOPPED, {"reason": stop})
            raise NothingToRun(stop)

        builds: dict[str, dict[str, Any]] = {}
        phase = progress.phase("wheels", len(self.plan.builds))

        def build(request: BuildRequest) -> tuple[BuildRequest, BuildOutcome]:
            spec = request.build_image.image
            entry = images[spec.key]
            if "error" in entry:
                return request, BuildOutcome(
                    request.key,
                    FAILED,
                    (),
                    None,
                    0.0,
                    error=f"build image unavailable: {entry['error']}",
                )
            fields = {f.name for f in dataclasses.fields(ResolvedImage)}
            resolved = ResolvedImage(**{k: v for k, v in entry.items() if k in fields})
            builder = WheelBuilder(self.engine(spec.arch.name), self.cache, self.settings)
            try:
                return request, builder.build(request, resolved, phase)
            except Exception as exc:  # one broken build must not take the others down
                error = f"harness failure while building: {type(exc).__name__}: {exc}"
                return request, BuildOutcome(request.key, FAILED, (), None, 0.0, error=error)

        for request, outcome in _parallel(build, list(self.plan.builds), jobs):
            builds[request.key] = _outcome_json(outcome)
            if outcome.ok:
                names = ", ".join(w.name for w in outcome.wheels)
                how = (
                    "cached" if outcome.status == "cached" else f"built in {outcome.seconds:.0f} s"
                )
                phase.finish(request.key, f"{how}: {names}")
            else:
                phase.finish(request.key, f"FAILED: {outcome.error}")

        wheels: dict[str, dict[str, Any]] = {}
        for request in self.plan.builds:
            for path in builds[request.key].get("wheels", []):
                try:
                    wheels[Path(path).name] = inspect_wheel(
                        Path(path), request.build_image.arch.name
                    )
                except Exception as exc:  # a wheel we cannot read is reported, not fatal
                    wheels[Path(path).name] = {"error": f"cannot inspect: {exc}"}
        pip_problems: dict[str, str] = {}
        axis = sorted({c.installer for c in self.plan.cells} - {installers.DISTRO})
        if axis:
            pythons = {
                ".".join(d.expected_python.split(".")[:2])
                for d in self.plan.distros
                if d.expected_python
            }
            progress.line(
                f"pip axis: fetching pip {', '.join(axis)} for Python {', '.join(sorted(pythons))}"
            )
            pip_problems = installers.ensure_pips(self.cache, axis, pythons)
            for problem in sorted(pip_problems.values()):
                progress.line(f"pip axis: {problem}")
        self._prepared = Prepared(images=images, builds=builds, wheels=wheels, pips=pip_problems)
        results.write_state(self.results_dir, PREPARED, self._prepared.to_json())
        return self._prepared

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
            distro_entry(distro, probe.image, probe.facts, self.settings),
        )
        return probe

    def run_cell(self, cell: Cell, worker: str = "main") -> results.CellRecord:
        """Probe one cell and append its record to the results; never raises for the cell's
        own trouble (that is an `error` record)."""
        prepared = self.prepared()
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
        facts: DistroFacts | None = None
        expected: dict[str, Any] = {}
        if missing:
            observation = Observation.failure("build failed: " + "; ".join(missing))
            decision = decide(False, observation)
        else:
            try:
                probe = self._probe(cell.distro)
                facts = probe.facts
                assert facts is not None
                if cell.installer in prepared.pips:
                    raise HarnessError(prepared.pips[cell.installer])
                claims = [WheelClaim.from_filename(w.name) for w in wheels]
                expectation = expect_install(
                    claims, facts, installers.expected_pip(cell.installer, facts.pip_version)
                )
                expected = {
                    "installable": expectation.installable,
                    "reason": expectation.reason,
                    "matching_tags": list(expectation.matching_tags),
                    "policy_problems": [
                        p
                        for w in wheels
                        for p in prepared.wheels.get(w.name, {}).get("policy_problems", [])
                    ],
                }
                observation = probe.probe(
                    ProbeRequest(
                        cell_id=_safe_id(cell.test_id),
                        wheels=tuple(wheels),
                        imports=tuple(i for m in cell.members for i in m.imports),
                        checks=tuple(
                            (m.label, m.sample.check_path, m.imports) for m in cell.members
                        ),
                        dlopen=cell.dlopen,
                        installer=cell.installer,
                        pips_dir=installers.pips_dir(self.cache),
                    )
                )
                pip_too_old = (
                    not expectation.installable
                    and cell.installer != installers.DISTRO
                    and expect_install(claims, facts, None).installable
                )
                decision = decide(expectation.installable, observation, pip_too_old)
            except HarnessError as exc:
                observation = Observation.failure(str(exc))
                decision = decide(False, observation)
        declared = self._declared(cell, facts, prepared, wheels, expected)
        if declared is not None:
            expected["declared"] = declared.verdict.value
            expected["declared_reason"] = declared.reason
        as_expected = (
            decision.verdict == declared.verdict
            if declared is not None
            else decision.verdict.claim_held
        )
        record = results.CellRecord(
            key=cell.key,
            test_id=cell.test_id,
            row=cell.row,
            arch=cell.arch,
            distro=cell.distro.name,
            installer=cell.installer,
            dlopen=cell.dlopen,
            members=tuple(members),
            pip_version=(observation.install.pip_version if observation.install else "")
            or (facts.pip_version if facts else ""),
            emulated=self.settings.emulated(cell.distro.arch),
            expected=expected,
            observed=dataclasses.asdict(observation),
            verdict=decision.verdict,
            explanation=decision.explanation,
            diagnosis=diagnosis(decision, observation),
            as_expected=as_expected,
            timings=observation.timings(),
            worker=worker,
            lint=_lint_of(cell, prepared),
        )
        results.append_cell(self.results_dir, worker, record)
        return record

    def _declared(
        self,
        cell: Cell,
        facts: DistroFacts | None,
        prepared: Prepared,
        wheels: list[Path],
        expected: dict[str, Any],
    ) -> ExpectRule | None:
        """The verdict the sample's data declares for this cell, if any."""
        if facts is None:
            return None
        if cell.installer != installers.DISTRO and expected.get("installable") is False:
            # Samples declare outcomes for the distro's pip; an older pip that does not know
            # the wheel's tag family must refuse it (harness-level, from installers.toml).
            return ExpectRule(Verdict.REFUSED_AS_CLAIMED, {}, str(expected.get("reason", "")))
        if cell.cross_arch:
            # Harness-level: no sample may expect otherwise.
            return ExpectRule(
                Verdict.REFUSED_AS_CLAIMED,
                {},
                "a wheel of another architecture: pip must refuse it",
            )
        first = cell.members[0]
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
            order=cell.order,
            dlopen=cell.dlopen,
        )
        rules = cell.combination.expect if cell.combination else first.sample.expect
        return declared_rule(rules, ctx)

    # -- assembling the record ---------------------------------------------------------------

    def run_record(self, interrupted: bool = False) -> results.RunRecord:
        prepared = self._prepared or Prepared.from_json(
            results.read_state(self.results_dir, PREPARED) or {}
        )
        return results.RunRecord(
            schema=results.SCHEMA_VERSION,
            harness_version=_version("manylinux-harness"),
            created=results.now_iso(),
            profile=self.selection.profile,
            selection=dataclasses.asdict(self.selection),
            host=self.host_facts(),
            images=prepared.images,
            builds=prepared.builds,
            distros=results.read_state_dir(self.results_dir, DISTRO_PREFIX),
            cells=tuple(results.read_cells(self.results_dir)),
            interrupted=interrupted,
            skipped={
                **{d.key: d.skip_reason for d in self.plan.distros if d.skip_reason},
                **dict(self.plan.not_probed),
            },
            wheels=prepared.wheels,
        )

    def host_facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "machine": self.settings.host,
            "cibuildwheel": _version("cibuildwheel"),
            "auditwheel": _version("auditwheel"),
            "packaging": _version("packaging"),
            # Every host-side distribution the run imported, so a gate can tell two runs
            # made with different tools apart.
            results.HOST_DEPENDENCIES: host_dependencies(),
            "engines": {},
        }
        for url, engine in self._engines.items():
            try:
                version = engine.version()
                facts["engines"][url or "default"] = {
                    "version": version.get("Version"),
                    "api": version.get("ApiVersion"),
                }
            except Exception:  # facts for the record only
                continue
        return facts


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


def _version(distribution: str) -> str:
    return installed_version(distribution) or ""


def _lint_of(cell: Cell, prepared: Prepared) -> dict[str, Any]:
    """The C++ runtime lint of the cell's wheels, to set beside what the cell did."""
    members = {}
    for member in cell.members:
        build = prepared.build(member.request) or {}
        for path in build.get("wheels", []):
            inspection = prepared.wheels.get(Path(path).name, {})
            members[member.label] = sorted(
                {f["kind"] for f in inspection.get("lint", []) if f["kind"] in WARNING_KINDS}
            )
    return {"warned": any(members.values()), "members": members}


def _safe_id(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)[:150]


def _parallel(function: Callable[[Any], Any], items: list[Any], jobs: int):  # -> Iterator
    """Run `function` over items on a few threads, yielding results as they finish."""
    if not items:
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(function, item) for item in items]
        try:
            for future in concurrent.futures.as_completed(futures):
                yield future.result()
        except BaseException:
            # Ctrl-C: tell the threads' child processes to stop, so the pool can wind down.
            interrupt.STOP.set()
            for future in futures:
                future.cancel()
            raise
