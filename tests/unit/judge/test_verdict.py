from __future__ import annotations

import pytest

from harness.judge.verdict import decide
from harness.probe import observation as obs
from harness.vocab.verdict import Verdict


def _install(decision: str, reason: str = "") -> obs.InstallObservation:
    return obs.InstallObservation(
        decision, "23.0.1", 0 if decision == obs.ACCEPTED else 1, reason, "", 0.5
    )


def _run(
    status: str, output: str = "", signal: str | None = None, stage: str = "check x"
) -> obs.RunObservation:
    return obs.RunObservation(status, -11 if signal else 1, signal, stage, output, 0.1)


PASSED = _run(obs.PASSED, stage="done")


@pytest.mark.parametrize(
    ("installable", "observation", "verdict"),
    [
        (True, obs.Observation(_install(obs.ACCEPTED), load=PASSED), Verdict.OK),
        (
            True,
            obs.Observation(_install(obs.ACCEPTED), load=_run(obs.IMPORT_FAILED)),
            Verdict.VIOLATION,
        ),
        (
            True,
            obs.Observation(_install(obs.ACCEPTED), load=_run(obs.CHECK_FAILED)),
            Verdict.VIOLATION,
        ),
        (
            True,
            obs.Observation(_install(obs.ACCEPTED), load=_run(obs.CRASHED, signal="SIGSEGV")),
            Verdict.VIOLATION,
        ),
        (True, obs.Observation(_install(obs.ACCEPTED), load=_run(obs.TIMEOUT)), Verdict.ERROR),
        (True, obs.Observation(_install(obs.ACCEPTED), load=None), Verdict.ERROR),
        (True, obs.Observation(_install(obs.REFUSED, "not a supported wheel")), Verdict.VIOLATION),
        (
            False,
            obs.Observation(_install(obs.REFUSED), forced=_run(obs.IMPORT_FAILED)),
            Verdict.REFUSED_AS_CLAIMED,
        ),
        (False, obs.Observation(_install(obs.REFUSED), forced=PASSED), Verdict.OVER_RESTRICTIVE),
        (
            False,
            obs.Observation(_install(obs.REFUSED), forced=_run(obs.TIMEOUT)),
            Verdict.REFUSED_AS_CLAIMED,
        ),
        (False, obs.Observation(_install(obs.ACCEPTED), load=PASSED), Verdict.OK),
        (
            False,
            obs.Observation(_install(obs.ACCEPTED), load=_run(obs.IMPORT_FAILED)),
            Verdict.VIOLATION,
        ),
        (True, obs.Observation(_install(obs.FAILED, "No module named pip")), Verdict.ERROR),
        (False, obs.Observation(_install(obs.FAILED)), Verdict.ERROR),
        (True, obs.Observation.failure("container died"), Verdict.ERROR),
        (False, obs.Observation(install=None), Verdict.ERROR),
    ],
)
def test_decide(installable: bool, observation: obs.Observation, verdict: Verdict) -> None:
    assert decide(installable, observation).verdict is verdict


def test_infrastructure_error_is_never_a_pass_or_a_violation() -> None:
    decision = decide(True, obs.Observation.failure("engine went away"))
    assert decision.verdict is Verdict.ERROR
    assert not decision.verdict.claim_held
    assert "engine went away" in decision.explanation


def test_explanations_carry_the_loaders_words() -> None:
    load = _run(
        obs.IMPORT_FAILED,
        "ImportError: libcrypt.so.1: cannot open shared object file: No such file",
        stage="import x",
    )
    decision = decide(True, obs.Observation(_install(obs.ACCEPTED), load=load))
    assert "libcrypt.so.1" in decision.explanation
    forced = _run(
        obs.IMPORT_FAILED, "version `GLIBC_2.34' not found (required by /x/y.so)", stage="import y"
    )
    decision = decide(False, obs.Observation(_install(obs.REFUSED), forced=forced))
    assert "GLIBC_2.34" in decision.explanation


def test_claim_held() -> None:
    held = {v for v in Verdict if v.claim_held}
    assert held == {Verdict.OK, Verdict.REFUSED_AS_CLAIMED, Verdict.OVER_RESTRICTIVE}


def test_a_pip_that_does_not_know_the_tag_family_refuses_as_claimed() -> None:
    refused = obs.Observation(
        _install(obs.REFUSED, "not a supported wheel on this platform"), forced=PASSED
    )
    # the tags exclude the system: a working forced load means the tags claim too little
    assert decide(False, refused).verdict is Verdict.OVER_RESTRICTIVE
    # the tags fit, the pip is too old for them: the refusal is the claim working
    decision = decide(False, refused, pip_too_old=True)
    assert decision.verdict is Verdict.REFUSED_AS_CLAIMED
    assert "does not know the wheel's tag family" in decision.explanation
