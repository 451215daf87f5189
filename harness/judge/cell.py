"""One cell, judged: from what was asked (the job), what the distro is (its measured facts) and
what happened (the observation) to what the claim expected, the verdict, its diagnosis, the
declared verdict and whether the cell is as expected. The matrix and verify both judge every
cell here and nowhere else; the record builder only writes the judgement down. Pure."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.catalog.samples import ExpectRule
from harness.judge import cpu as cpus
from harness.judge import distro_offer, selection
from harness.judge.declared import CellContext, harness_rule, sample_rule
from harness.judge.expectation import Excluder, Expectation, expect, python_excluded
from harness.judge.installers import expected_pip, installer_knows
from harness.judge.verdict import Decision, decide, diagnose
from harness.probe import observation as obs
from harness.probe.diagnostics import Diagnosis, diagnose_text
from harness.probe.facts import DistroFacts
from harness.probe.test_output import TESTS_STAGE, failed_tests, section
from harness.vocab.installer import Installer
from harness.vocab.platform_tags import interpreter_of
from harness.vocab.verdict import Verdict
from harness.vocab.versions import version_tuple
from harness.vocab.wheel_name import WheelName

_DEPENDENCY = re.compile(
    r"No matching distribution found for (\S+)"
    r"|Could not find a version that satisfies the requirement (\S+)"
)


@dataclass(frozen=True)
class WheelFacts:
    """One wheel of a cell as the judgement needs it: its claim (name and Requires-Python) and
    what the static inspection found in it."""

    name: WheelName
    requires_python: str | None = None
    policy_problems: tuple[str, ...] = ()  # symbol versions beyond the policy it claims
    external: tuple[str, ...] = ()  # sonames it leaves to the system
    claimed_policy: str | None = None  # with its arch, "manylinux_2_17_x86_64"
    max_versions: Mapping[str, str] = field(default_factory=dict)  # family -> newest needed

    @classmethod
    def of(
        cls, name: WheelName, inspection: Mapping[str, Any] | None, requires_python: str | None
    ) -> WheelFacts:
        """From the static inspection's record (harness.analysis), which may be missing or an
        error: the judgement then knows only the claim."""
        found = inspection or {}
        claimed = found.get("claimed_policy")
        return cls(
            name=name,
            requires_python=requires_python,
            policy_problems=tuple(str(p) for p in found.get("policy_problems") or ()),
            external=tuple(str(lib) for lib in found.get("external") or ()),
            claimed_policy=claimed if isinstance(claimed, str) else None,
            max_versions={str(k): str(v) for k, v in (found.get("max_versions") or {}).items()},
        )


@dataclass(frozen=True)
class SampleContext:
    """What a corpus cell's sample declares its verdicts against (given wheels have none)."""

    rules: tuple[ExpectRule, ...]
    flavour: str
    build_policy: str
    build_glibc: tuple[int, int]
    build_python: str = ""
    order: str = "given"


@dataclass(frozen=True)
class OfferContext:
    """A cell whose wheels are an offer: several builds of one version, of which the installer
    picks one (installed by the project's name from a directory holding them all)."""

    name: str  # "c_plain: policies"
    # By wheel file name, what the sample declares its verdicts against: the picked wheel's
    # flavour and build image (empty for wheels built elsewhere).
    samples: Mapping[str, SampleContext] = field(default_factory=dict)


@dataclass(frozen=True)
class CellJob:
    """What is judged: these wheels, installed together by this installer on this distro,
    imported (with this dlopen mode) on this CPU; or, for an offer, the one of them the
    installer picks."""

    arch: str  # the distro's
    installer: Installer
    wheels: tuple[WheelFacts, ...]
    distro: str = ""
    dlopen: str = "default"
    cpu: str = cpus.HOST
    cross_arch: bool = False  # a wheel of another arch offered to this distro
    sample: SampleContext | None = None
    offer: OfferContext | None = None


@dataclass(frozen=True)
class Expected:
    """What the claim predicts for a cell, as results.json records it under `expected`."""

    installable: bool | None  # None: the distro could not be probed, nothing was predicted
    reason: str = ""
    matching_tags: tuple[str, ...] = ()
    policy_problems: tuple[str, ...] = ()
    # whitelisted sonames the wheels leave to the system and this distro lacks
    whitelisted_lacking: tuple[str, ...] = ()
    requires_python: Mapping[str, str | None] | None = None  # per wheel, where read
    # refused by an installer that does not know the tags' family (the tags fit the system)
    installer_too_old: bool = False
    declared: Verdict | None = None
    declared_reason: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.installable is not None:
            data["installable"] = self.installable
            data["reason"] = self.reason
            data["matching_tags"] = list(self.matching_tags)
            data["policy_problems"] = list(self.policy_problems)
            if self.whitelisted_lacking:
                data["whitelisted_lacking"] = list(self.whitelisted_lacking)
            if self.requires_python is not None:
                data["requires_python"] = dict(self.requires_python)
            if self.installer_too_old:
                data["installer_too_old"] = True
        if self.declared is not None:
            data["declared"] = self.declared.value
            data["declared_reason"] = self.declared_reason
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Expected:
        installable = data.get("installable")
        declared = data.get("declared")
        requires = data.get("requires_python")
        reason = str(data.get("reason", ""))
        too_old = data.get("installer_too_old")
        if too_old is None:
            # A record made before the field said so only in the reason's words.
            too_old = installable is False and "does not know" in reason
        return cls(
            installable=bool(installable) if installable is not None else None,
            reason=reason,
            matching_tags=tuple(str(t) for t in data.get("matching_tags") or ()),
            policy_problems=tuple(str(p) for p in data.get("policy_problems") or ()),
            whitelisted_lacking=tuple(str(lib) for lib in data.get("whitelisted_lacking") or ()),
            requires_python=dict(requires) if isinstance(requires, Mapping) else None,
            installer_too_old=bool(too_old),
            declared=Verdict(declared) if declared else None,
            declared_reason=str(data.get("declared_reason", "")),
        )


NOT_PREDICTED = Expected(installable=None)


@dataclass(frozen=True)
class Judgement:
    expected: Expected
    observation: obs.Observation  # as judged (a missing dependency is the harness's error)
    decision: Decision
    diagnosis: Diagnosis
    as_expected: bool  # the declared verdict, or (none declared) the claim held
    distro_cause: str = ""  # a violation the distro caused: "distro lacks whitelisted X"
    notes: tuple[str, ...] = ()
    selection: selection.Pick | None = None  # an offer's cell: predicted and picked wheel

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict


def judge_cell(
    job: CellJob,
    facts: DistroFacts | None,
    observation: obs.Observation,
    host_cpu_level: str = "",
) -> Judgement:
    """The one judgement of a cell. `facts` is None when the distro could not be probed (the
    observation then says why). `host_cpu_level` is what the host's own CPU reaches
    ("x86-64-v3"): what cells on the host's CPU ran at."""
    if facts is None:
        decision = decide(False, observation)
        return Judgement(
            NOT_PREDICTED,
            observation,
            decision,
            diagnose(decision, observation),
            False,
            selection=_unjudged_pick(job),
        )
    if job.offer is not None:
        return _judge_offer(job, job.offer, facts, observation, host_cpu_level)
    names = [w.name for w in job.wheels]
    requires = {w.name.filename: w.requires_python for w in job.wheels}
    word = job.installer.family.value
    expectation = expect(
        names, facts, expected_pip(job.installer, facts.pip_version), word, requires
    )
    lacking = (
        distro_offer.cell_lacking(
            ((w.claimed_policy, w.external) for w in job.wheels), facts, job.arch
        )
        if expectation.installable
        else ()
    )
    observation = _dependency_missing(expectation, observation)
    # The tags fit the system, but the installing pip does not know their family.
    pip_too_old = (
        not expectation.installable and expect(names, facts, None, word, requires).installable
    )
    moot = forced_load_moot(names, facts, job.arch)
    decision = decide(
        expectation.installable,
        observation,
        pip_too_old,
        word,
        expectation.excluded_by,
        moot if not expectation.installable else None,
    )
    diagnosis = diagnose(decision, observation)
    notes: tuple[str, ...] = ()
    if moot and not expectation.installable:
        notes = (f"a forced load is moot here: {moot}",)
    tests = tests_failed(observation)
    if tests is not None and decision.verdict is Verdict.VIOLATION:
        diagnosis, output = tests
        decision = dataclasses.replace(
            decision, explanation=f"{word} installed it as claimed, but its tests failed"
        )
        if output:
            notes = (*notes, f"the first failing test's output:\n{output}")
    decision, diagnosis = _on_cpu(job.cpu, decision, diagnosis)
    declared = _declared(job, facts, expectation, lacking, host_cpu_level)
    expected = Expected(
        installable=expectation.installable,
        reason=expectation.reason,
        matching_tags=expectation.matching_tags,
        policy_problems=tuple(p for w in job.wheels for p in w.policy_problems),
        whitelisted_lacking=lacking,
        requires_python=requires if job.sample is None else None,
        installer_too_old=expectation.installer_too_old,
        declared=declared.verdict if declared else None,
        declared_reason=declared.reason if declared else "",
    )
    verdict = decision.verdict
    return Judgement(
        expected=expected,
        observation=observation,
        decision=decision,
        diagnosis=diagnosis,
        as_expected=verdict is declared.verdict if declared else verdict.claim_held,
        # the claim broke, and the distro broke the policy's promise, not the wheel
        distro_cause=distro_offer.cause(lacking) if verdict is Verdict.VIOLATION else "",
        notes=notes,
    )


def _on_cpu(cpu: str, decision: Decision, diagnosis: Diagnosis) -> tuple[Decision, Diagnosis]:
    """A SIGILL means nothing without the CPU model it was raised on: named."""
    if cpu == cpus.HOST:
        return decision, diagnosis
    label = cpus.models()[cpu].label
    decision = dataclasses.replace(
        decision, explanation=f"{decision.explanation} (import + check on {label})"
    )
    if diagnosis.summary:
        diagnosis = dataclasses.replace(
            diagnosis, summary=f"{diagnosis.summary}, on CPU model {label}"
        )
    return decision, diagnosis


def _unjudged_pick(job: CellJob) -> selection.Pick | None:
    if job.offer is None:
        return None
    return selection.Pick(job.offer.name, tuple(w.name.filename for w in job.wheels))


def _judge_offer(
    job: CellJob,
    offer: OfferContext,
    facts: DistroFacts,
    observation: obs.Observation,
    host_cpu_level: str,
) -> Judgement:
    """An offer's cell: the installer was given the project's name and a directory of its
    wheels. The claim is the offer's: some wheel fits this system (by its tags and, as an
    index's data-requires-python says, its Requires-Python), and the one the installer picks
    works. A pick that breaks here is a wrong pick, a `violation` of the offer. Whether
    packaging's tag priority predicted the pick is recorded beside it."""
    names = [w.name for w in job.wheels]
    by_name = {w.name.filename: w for w in job.wheels}
    word = job.installer.family.value
    pip = expected_pip(job.installer, facts.pip_version)
    python_fits = [
        w.name for w in job.wheels if not python_excluded(w.requires_python, facts.python_version)
    ]
    prediction = selection.predict(
        python_fits, facts.supported_tags, lambda platform: installer_knows(platform, pip)
    )
    installable = bool(prediction.best)
    system_fits = selection.predict(python_fits, facts.supported_tags).fits
    # Some wheel's tags fit the system, but this installer does not know their family.
    pip_too_old = not installable and bool(system_fits)
    install = observation.install
    taken: WheelName | None = None
    if observation.error is None and install is not None and install.decision == obs.ACCEPTED:
        taken = selection.picked(install.installed, names)
        if taken is None:
            found = ", ".join(
                f"{d.name} {d.version} ({', '.join(d.tags) or 'no tags'}"
                f"{', build ' + d.build if d.build else ''})"
                for d in install.installed
            )
            observation = dataclasses.replace(
                observation,
                error=f"{word} installed {found or 'nothing the harness could read'}: none "
                "of the offered wheels, so which one it picked cannot be told",
            )
    reason = _prediction_reason(prediction, names, facts, pip, word, pip_too_old)
    decision = decide(installable, observation, pip_too_old, word, Excluder.TAGS)
    if taken is not None and decision.verdict is Verdict.VIOLATION:
        decision = dataclasses.replace(
            decision,
            explanation=f"a wrong pick: {word} preferred {taken.filename} of the "
            f"{len(names)} offered, and it breaks here ({decision.explanation})",
        )
    elif decision.verdict is Verdict.REFUSED_AS_CLAIMED:
        decision = dataclasses.replace(
            decision, explanation=f"refused, and no offered wheel fits: {reason}"
        )
    diagnosis = diagnose(decision, observation)
    decision, diagnosis = _on_cpu(job.cpu, decision, diagnosis)
    # The rules see the wheel that was picked (else the one predicted, else the first).
    judged = taken or (prediction.best[0] if prediction.best else names[0])
    wheel = by_name[judged.filename]
    lacking = (
        distro_offer.cell_lacking([(wheel.claimed_policy, wheel.external)], facts, job.arch)
        if taken is not None
        else ()
    )
    expectation = Expectation(
        installable,
        reason,
        (prediction.tag,) if prediction.tag else (),
        installer_too_old=pip_too_old,
    )
    declared = _declared(
        dataclasses.replace(
            job, wheels=(wheel,), sample=offer.samples.get(judged.filename), offer=None
        ),
        facts,
        expectation,
        lacking,
        host_cpu_level,
    )
    verdict = decision.verdict
    return Judgement(
        expected=Expected(
            installable=installable,
            reason=reason,
            matching_tags=expectation.matching_tags,
            policy_problems=wheel.policy_problems,
            whitelisted_lacking=lacking,
            requires_python={w.name.filename: w.requires_python for w in job.wheels},
            installer_too_old=pip_too_old,
            declared=declared.verdict if declared else None,
            declared_reason=declared.reason if declared else "",
        ),
        observation=observation,
        decision=decision,
        diagnosis=diagnosis,
        as_expected=verdict is declared.verdict if declared else verdict.claim_held,
        distro_cause=distro_offer.cause(lacking) if verdict is Verdict.VIOLATION else "",
        selection=selection.Pick(
            offer=offer.name,
            offered=tuple(n.filename for n in names),
            predicted=tuple(w.filename for w in prediction.best),
            predicted_tag=prediction.tag,
            picked=taken.filename if taken is not None else "",
            fits=tuple(w.filename for w in system_fits),
        ),
    )


def _prediction_reason(
    prediction: selection.Prediction,
    names: Sequence[WheelName],
    facts: DistroFacts,
    pip: str | None,
    word: str,
    pip_too_old: bool,
) -> str:
    """What tag priority predicts, in one line."""
    installer = f"{word} {pip}" if pip else word
    if prediction.best:
        picks = " or ".join(w.filename for w in prediction.best)
        tie = " (a tie: their tags rank alike)" if len(prediction.best) > 1 else ""
        return (
            f"tag priority picks {picks}{tie}: {prediction.tag} is supported tag "
            f"{prediction.rank + 1} of Python {facts.python_version} with {installer}; "
            f"{len(prediction.fits)} of {len(names)} offered wheels fit"
        )
    if pip_too_old:
        return f"{installer} knows none of the tag families of the offered wheels that fit"
    glibc = f"glibc {facts.glibc}" if facts.glibc else "no glibc"
    return f"none of the {len(names)} offered wheels fits Python {facts.python_version} on {glibc}"


def tests_failed(observation: obs.Observation) -> tuple[Diagnosis, str] | None:
    """When the project's tests (verify's test step) failed after the wheel loaded: the
    first failing test with the runner's message (and the loader's words, when it gave
    any), and that test's output; None otherwise."""
    run = observation.load
    if run is None or run.status != obs.CHECK_FAILED or run.stage != TESTS_STAGE:
        return None
    failed = failed_tests(run.output)
    loader = diagnose_text(run.output)
    if not failed:
        last = [line for line in run.output.strip().splitlines() if line.strip()][-1:]
        summary = f"the tests failed (exit status {run.exit_code}), no test named: " + (
            last[0][:200] if last else "no output"
        )
        return Diagnosis("test-failed", "", summary), ""
    first = failed[0]
    summary = f"test {first.test} {'failed' if first.kind == 'failed' else 'errored'}"
    if first.message:
        summary += f": {first.message}"
    if loader is not None and loader.detail not in summary:
        summary += f" ({loader.summary})"
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return Diagnosis("test-failed", first.test, (summary[:280] + more)), section(
        run.output, first.test
    )


def _declared(
    job: CellJob,
    facts: DistroFacts,
    expectation: Expectation,
    lacking: tuple[str, ...],
    host_cpu_level: str,
) -> ExpectRule | None:
    """The harness's rules, then (corpus cells) the sample's."""
    rule = harness_rule(
        job.installer,
        job.arch,
        expectation.installable,
        expectation.reason,
        cross_arch=job.cross_arch,
        cross_libc=other_libc([w.name for w in job.wheels], facts),
    )
    if rule is not None or job.sample is None:
        return rule
    needs: dict[str, str] = {}
    for wheel in job.wheels:
        for family, version in wheel.max_versions.items():
            if family not in needs or version_tuple(version) > version_tuple(needs[family]):
                needs[family] = version
    sample = job.sample
    ctx = CellContext(
        flavour=sample.flavour,
        arch=job.arch,
        distro=job.distro,
        build_policy=sample.build_policy,
        build_glibc=sample.build_glibc,
        facts=facts,
        build_python=sample.build_python,
        wheel_needs=needs,
        wheel_external=tuple(sorted({lib for w in job.wheels for lib in w.external})),
        whitelisted_lacking=lacking,
        order=sample.order,
        dlopen=job.dlopen,
        cpu_level=cpus.cell_level(job.cpu, host_cpu_level),
    )
    return sample_rule(sample.rules, ctx)


def other_libc(wheels: Sequence[WheelName], facts: DistroFacts) -> tuple[str, str] | None:
    """(the wheel's C library, the system's) for the first wheel built for another C library
    than the one measured here; None when every wheel fits it or says no libc (pure Python,
    linux_*)."""
    system = facts.libc
    for wheel in wheels:
        libcs = wheel.platform.libcs
        if system and libcs and system not in libcs:
            return " and ".join(sorted(libcs)), system
    return None


def forced_load_moot(wheels: Sequence[WheelName], facts: DistroFacts, arch: str) -> str | None:
    """Why a forced load of these wheels says nothing, if it does not: their compiled modules
    are for another Python, arch or libc, so they cannot load here at all, and a forced import
    that passes ran only a pure-Python fallback (markupsafe has one). A refusal for the glibc
    floor alone is the real question a forced load answers."""
    interpreters = {interpreter_of(t) for t in facts.supported_tags}
    for wheel in wheels:
        if wheel.arches and arch not in wheel.arches:
            return f"{wheel.filename} is built for {', '.join(wheel.arches)}"
        if interpreters and not wheel.interpreters & interpreters:
            return f"{wheel.filename} is built for another Python than {facts.python_version}"
        libcs = wheel.platform.libcs
        if facts.glibc and libcs == {"musl"}:
            return f"{wheel.filename} is built for musl libc, this system has glibc"
        if not facts.glibc and libcs == {"glibc"}:
            has = f"musl {facts.musl}" if facts.musl else "none"
            return f"{wheel.filename} is built for glibc, this system has {has}"
    return None


def missing_dependency(install_output: str) -> str | None:
    """The requirement pip could not satisfy from what it was given, when it says so."""
    match = _DEPENDENCY.search(install_output)
    if match is None:
        return None
    return match.group(1) or match.group(2)


def _dependency_missing(expectation: Expectation, observation: obs.Observation) -> obs.Observation:
    """A dependency missing from the wheels pip was given is an input problem (could not
    tell), never a broken claim."""
    install = observation.install
    if observation.error is not None or install is None or install.decision != obs.REFUSED:
        return observation
    requirement = missing_dependency(install.output)
    if not expectation.installable or requirement is None:
        return observation
    error = (
        f"pip found no wheel for {requirement} among the given wheels that fits this "
        f"system ({install.reason}): add the dependency's wheel to the set "
        "(e.g. pip download --only-binary=:all: -d DIR ...), or verify its project too"
    )
    return dataclasses.replace(observation, error=error)
