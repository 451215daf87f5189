"""From expectation and observation to a verdict: pure logic, one place.

Three outcomes are kept apart everywhere:
  the claim held      ok, refused-as-claimed, over-restrictive
  the claim broke     violation (the finding the harness exists for)
  could not tell      error (infrastructure: never a pass, never a violation)
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.judge.expectation import Excluder
from harness.probe import observation as obs
from harness.probe.diagnostics import Diagnosis, diagnose_run
from harness.vocab.verdict import Verdict

NOTHING = Diagnosis("none", "", "")


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    explanation: str  # one line: why this verdict
    # False when a forced load cannot say anything (a wheel for another Python, whose
    # cpython-3X module CPython never opens): its failure is then not quoted as a diagnosis
    quote_forced: bool = True


def decide(
    installable: bool,
    observation: obs.Observation,
    pip_too_old: bool = False,
    installer: str = "pip",
    claim: Excluder = Excluder.TAGS,
    moot_forced: str | None = None,
) -> Decision:
    """`installable`: whether the wheel's claims say this system (and its pip) takes it.
    `pip_too_old`: the tags fit the system, but the installing pip does not know their
    family; then a forced load that works says nothing against the tags. `installer`: who
    decided ("pip", "uv"): the explanation names it, so a departure says whose it is.
    `claim`: which claim excludes the system when it is not installable. `moot_forced`: why
    a forced load of these wheels says nothing here (their compiled modules are for another
    Python, arch or libc), when it does not."""
    if observation.error is not None:
        return Decision(Verdict.ERROR, observation.error)
    install = observation.install
    if install is None:
        return Decision(Verdict.ERROR, "no install was attempted")
    if install.decision == obs.FAILED:
        return Decision(
            Verdict.ERROR, f"{installer} failed for a reason other than the tags: {install.reason}"
        )

    if install.decision == obs.ACCEPTED:
        load = observation.load
        if load is None:
            return Decision(Verdict.ERROR, "installed, but the import was not run")
        if load.status in (obs.TIMEOUT, obs.RUN_ERROR):
            return Decision(Verdict.ERROR, diagnose_run(load).summary)
        if load.passed:
            if installable:
                return Decision(Verdict.OK, "installed, imported and computed the expected results")
            return Decision(
                Verdict.OK,
                f"{installer} accepted a wheel whose tags exclude this system, and it works "
                "(the installer is more permissive than the standard)",
            )
        problem = diagnose_run(load).summary
        if installable:
            return Decision(
                Verdict.VIOLATION, f"{installer} installed it as claimed, but {problem}"
            )
        return Decision(
            Verdict.VIOLATION,
            f"{installer} accepted a wheel whose tags exclude this system, and {problem}",
        )

    # Refused.
    if installable:
        return Decision(
            Verdict.VIOLATION,
            f"the tags claim this system, but {installer} refused: {install.reason}",
        )
    forced = observation.forced
    if moot_forced and forced is not None:
        # Either way it says nothing: a pass ran at most a pure-Python fallback, a failure
        # is that of a module CPython never opens (another Python's cpython-3X name).
        what, tail = (
            (
                "the forced load passed, which says nothing here",
                "at most a pure-Python fallback ran",
            )
            if forced.passed
            else ("a forced load says nothing here", "its compiled modules cannot load here")
        )
        return Decision(
            Verdict.REFUSED_AS_CLAIMED,
            f"refused as {claim.says}; {what}: {moot_forced}, so {tail}",
            quote_forced=False,
        )
    if forced is not None and forced.passed and pip_too_old:
        return Decision(
            Verdict.REFUSED_AS_CLAIMED,
            f"refused: pip {install.pip_version} does not know the wheel's tag family; "
            "the wheel itself works here (forced load)",
        )
    if forced is not None and forced.passed:
        return Decision(
            Verdict.OVER_RESTRICTIVE,
            f"refused as {claim.says}, yet a forced load works: "
            f"{claim.claims} less than the wheel can do",
        )
    if forced is None:
        why = "no forced load was run"
    elif forced.status in (obs.TIMEOUT, obs.RUN_ERROR):
        why = f"forced load could not tell: {diagnose_run(forced).summary}"
    else:
        why = f"forced load: {diagnose_run(forced).summary}"
    return Decision(Verdict.REFUSED_AS_CLAIMED, f"refused as {claim.says}; {why}")


def _failed_run(decision: Decision, observation: obs.Observation) -> obs.RunObservation | None:
    for run in (observation.load, observation.forced if decision.quote_forced else None):
        if run is not None and not run.passed:
            return run
    return None


def diagnose(decision: Decision, observation: obs.Observation) -> Diagnosis:
    """The one line a report shows for a cell (`summary`): the harness's trouble, or the
    loader's or Python's words from the run (or forced load) that failed, from the innermost
    exception of its chain, with the outermost around it (`wrapper`); empty when there is
    nothing to say. Computed once per cell."""
    if decision.verdict is Verdict.ERROR:
        return Diagnosis("harness", "", observation.error or decision.explanation)
    run = _failed_run(decision, observation)
    return diagnose_run(run) if run is not None else NOTHING
