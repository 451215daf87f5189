"""The one judgement of a cell (harness.judge.cell.judge_cell), for the matrix's cells and for
verify's alike: expectation, verdict, diagnosis, declared verdict, the CPU note, the distro's
share of a violation."""

from __future__ import annotations

import dataclasses

from harness.catalog.samples import ExpectRule
from harness.judge.cell import CellJob, Expected, SampleContext, WheelFacts, judge_cell
from harness.probe import observation as obs
from harness.probe.test_output import TESTS_STAGE
from harness.vocab.installer import DISTRO_PIP, Installer
from harness.vocab.verdict import Verdict
from harness.vocab.wheel_name import WheelName
from tests.helpers.factories import facts
from tests.helpers.pytest_output import PYTEST_OUTPUT

MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"
NOT_SUPPORTED = "ERROR: m.whl is not a supported wheel on this platform."


def job(
    *filenames: str,
    requires: str | None = None,
    installer: Installer = DISTRO_PIP,
    arch: str = "x86_64",
    cross_arch: bool = False,
    sample: SampleContext | None = None,
    cpu: str = "host",
) -> CellJob:
    wheels = tuple(WheelFacts(WheelName.parse(f), requires_python=requires) for f in filenames)
    return CellJob(
        arch=arch,
        installer=installer,
        wheels=wheels,
        distro="debian-bullseye",
        cpu=cpu,
        cross_arch=cross_arch,
        sample=sample,
    )


def install(decision: str, output: str = "") -> obs.InstallObservation:
    reason = output.strip().splitlines()[-1].removeprefix("ERROR: ") if output else ""
    code = 0 if decision == obs.ACCEPTED else 1
    return obs.InstallObservation(decision, "20.3.4", code, reason, output, 1.0)


def run(status: str, output: str = "") -> obs.RunObservation:
    return obs.RunObservation(status, 0 if status == obs.PASSED else 1, None, "done", output, 0.5)


def refused(forced: obs.RunObservation | None, output: str = NOT_SUPPORTED) -> obs.Observation:
    return obs.Observation(install(obs.REFUSED, output), forced=forced)


def test_requires_python_is_part_of_the_claim() -> None:
    wheel = "modern-1.0-py3-none-any.whl"
    old = judge_cell(job(wheel, requires=">=3.10"), facts(python=(3, 9)), refused(None))
    assert old.expected.installable is False
    assert old.expected.reason == f"{wheel} requires Python >=3.10, this system has 3.9.0"
    assert old.expected.requires_python == {wheel: ">=3.10"}
    new = judge_cell(job(wheel, requires=">=3.10"), facts(python=(3, 11)), refused(None))
    assert new.expected.installable is True
    unreadable = judge_cell(job(wheel, requires="not a spec"), facts(python=(3, 9)), refused(None))
    assert unreadable.expected.installable is True  # pip ignores it, and so does the claim


def test_a_refusal_by_requires_python_names_it() -> None:
    """The tags fit; Requires-Python excludes the system."""
    output = "ERROR: Package 'modern' requires a different Python: 3.11.2 not in '>=3.99'\n"
    cell = job("modern-1.0-py3-none-any.whl", requires=">=3.99")
    for forced, verdict in ((run(obs.PASSED), Verdict.OVER_RESTRICTIVE), (None, None)):
        judged = judge_cell(cell, facts(python=(3, 11)), refused(forced, output))
        assert "Requires-Python says" in judged.decision.explanation
        assert "the tags" not in judged.decision.explanation
        if verdict is not None:
            assert judged.verdict is verdict
            assert "Requires-Python claims less" in judged.decision.explanation


def test_a_missing_dependency_cannot_be_told() -> None:
    output = (
        "ERROR: Could not find a version that satisfies the requirement requests (from app)\n"
        "ERROR: No matching distribution found for requests\n"
    )
    judged = judge_cell(
        job("app-1.0-py3-none-any.whl"),
        facts(python=(3, 9)),
        obs.Observation(install(obs.REFUSED, output)),
    )
    assert judged.verdict is Verdict.ERROR
    explanation = judged.decision.explanation
    assert "requests" in explanation and "add the dependency's wheel" in explanation
    assert judged.observation.error == explanation and not judged.as_expected


def test_a_forced_load_of_a_wheel_for_another_python_says_nothing() -> None:
    system = facts(python=(3, 9))
    wheel = f"MarkupSafe-3.0.2-cp313-cp313-{MANYLINUX}.whl"
    judged = judge_cell(job(wheel), system, refused(run(obs.PASSED)))
    assert judged.verdict is Verdict.REFUSED_AS_CLAIMED
    assert "says nothing here" in judged.decision.explanation
    assert any("another Python than 3.9.0" in note for note in judged.notes)
    # Where the forced load means something (same Python and arch), it decides.
    same = judge_cell(
        job("m-1.0-cp39-cp39-manylinux_2_99_x86_64.whl"), system, refused(run(obs.PASSED))
    )
    assert same.verdict is Verdict.OVER_RESTRICTIVE and not same.notes
    musl = judge_cell(
        job("m-1.0-cp39-cp39-musllinux_1_2_x86_64.whl"), system, refused(run(obs.PASSED))
    )
    assert "musl libc" in musl.decision.explanation
    assert musl.expected.reason == "built for musl libc (musllinux_1_2), this system has glibc 2.36"


def test_a_failed_forced_load_of_another_pythons_wheel_is_not_quoted() -> None:
    """CPython never opens another interpreter's cpython-3X module: the failure says nothing
    about the wheel, and the cell says so instead of quoting it."""
    failed = run(
        obs.IMPORT_FAILED, "ModuleNotFoundError: No module named 'numpy._core._multiarray_umath'\n"
    )
    judged = judge_cell(
        job(f"numpy-2.4.6-cp311-cp311-{MANYLINUX}.whl"), facts(python=(3, 9)), refused(failed)
    )
    assert judged.verdict is Verdict.REFUSED_AS_CLAIMED
    assert "a forced load says nothing here" in judged.decision.explanation
    assert judged.diagnosis.summary == "" and judged.diagnosis.wrapper == ""


def test_a_pip_too_old_for_the_tags_refuses_as_claimed() -> None:
    wheel = "m-1.0-cp39-cp39-manylinux_2_28_x86_64.whl"
    old_pip = facts(python=(3, 9), pip="20.2")  # manylinux_x_y tags came with pip 20.3
    judged = judge_cell(job(wheel), old_pip, refused(run(obs.PASSED)))
    assert judged.expected.installable is False and judged.expected.installer_too_old
    assert "needs pip >= 20.3" in judged.expected.reason
    assert judged.verdict is Verdict.REFUSED_AS_CLAIMED
    assert "does not know the wheel's tag family" in judged.decision.explanation
    # An axis pip too old is refused as the harness declares, whatever a sample says.
    axis = judge_cell(
        job(wheel, installer=Installer.pip("19.3")), facts(python=(3, 9)), refused(None)
    )
    assert axis.expected.declared is Verdict.REFUSED_AS_CLAIMED and axis.as_expected


def test_accepted_but_broken_is_a_violation_and_infrastructure_is_an_error() -> None:
    cell = job(f"m-1.0-cp39-cp39-{MANYLINUX}.whl")
    broken = obs.Observation(
        install(obs.ACCEPTED), load=run(obs.CHECK_FAILED, "AssertionError: 2 != 3\n")
    )
    judged = judge_cell(cell, facts(python=(3, 9)), broken)
    assert judged.verdict is Verdict.VIOLATION and not judged.as_expected
    assert judged.diagnosis.summary == "check failed: AssertionError: 2 != 3"
    hung = judge_cell(cell, facts(python=(3, 9)), obs.Observation.failure("cell m hung"))
    assert hung.verdict is Verdict.ERROR and hung.diagnosis.summary == "cell m hung"
    # A distro that could not be probed: nothing predicted, nothing declared.
    unprobed = judge_cell(cell, None, obs.Observation.failure("distro image unavailable"))
    assert unprobed.verdict is Verdict.ERROR and unprobed.expected == Expected(None)
    assert unprobed.expected.to_json() == {}


def test_cross_arch_wheels_are_declared_refusals() -> None:
    cell = job(f"m-1.0-cp311-cp311-{MANYLINUX}.whl", arch="aarch64", cross_arch=True)
    judged = judge_cell(cell, facts(python=(3, 11), arch="aarch64"), refused(run(obs.PASSED)))
    assert "built for x86_64" in judged.expected.reason
    assert judged.expected.declared is Verdict.REFUSED_AS_CLAIMED
    assert judged.verdict is Verdict.REFUSED_AS_CLAIMED and judged.as_expected


def test_a_samples_rules_declare_and_the_cpu_model_is_named() -> None:
    rules = (
        ExpectRule(Verdict.VIOLATION, {"cpu_level": "<3"}, "SIGILL below v3"),
        ExpectRule(Verdict.OK, {}, "runs"),
    )
    sample = SampleContext(rules, "default", "manylinux_2_36", (2, 36))
    crashed = obs.RunObservation(obs.CRASHED, -4, "SIGILL", "import m", "", 2.0)
    observation = obs.Observation(install(obs.ACCEPTED), load=crashed)
    cell = job(f"m-1.0-cp39-abi3-{MANYLINUX}.whl", sample=sample, cpu="x86-64-v2")
    judged = judge_cell(cell, facts(python=(3, 11)), observation, "x86-64-v4")
    assert judged.verdict is Verdict.VIOLATION and judged.as_expected
    assert judged.expected.declared is Verdict.VIOLATION
    assert judged.decision.explanation.endswith("(import + check on x86-64-v2 (qemu Nehalem))")
    assert judged.diagnosis.summary.endswith(", on CPU model x86-64-v2 (qemu Nehalem)")
    on_host = judge_cell(
        dataclasses.replace(cell, cpu="host"), facts(python=(3, 11)), observation, "x86-64-v4"
    )
    assert on_host.expected.declared is Verdict.OK and not on_host.as_expected


def test_a_whitelisted_library_the_distro_lacks_is_the_distros_violation() -> None:
    wheel = WheelFacts(
        WheelName.parse(f"x-1.0-cp39-abi3-{MANYLINUX}.whl"),
        external=("libX11.so.6",),
        claimed_policy="manylinux_2_17_x86_64",
    )
    sample = SampleContext((), "default", "manylinux_2_31", (2, 31))
    cell = CellJob(arch="x86_64", installer=DISTRO_PIP, wheels=(wheel,), sample=sample)
    missing = run(obs.IMPORT_FAILED, "ImportError: libX11.so.6: cannot open shared object file\n")
    judged = judge_cell(
        cell, facts(python=(3, 11)), obs.Observation(install(obs.ACCEPTED), load=missing)
    )
    assert judged.expected.whitelisted_lacking == ("libX11.so.6",)
    assert judged.verdict is Verdict.VIOLATION and judged.as_expected  # declared by the harness
    assert judged.distro_cause == "distro lacks whitelisted libX11.so.6"
    # Verify's wheels declare nothing: the violation stands, the cause still the distro's.
    given = judge_cell(
        dataclasses.replace(cell, sample=None),
        facts(python=(3, 11)),
        obs.Observation(install(obs.ACCEPTED), load=missing),
    )
    assert not given.as_expected and given.distro_cause


def test_a_known_uv_defect_is_declared_for_its_release_and_arch() -> None:
    cell = job(
        "m-1.0-cp39-abi3-manylinux_2_17_i686.whl", installer=Installer.uv("0.1"), arch="i686"
    )
    judged = judge_cell(
        cell,
        facts(python=(3, 9), arch="i686"),
        obs.Observation(install(obs.REFUSED, NOT_SUPPORTED)),
    )
    assert judged.verdict is Verdict.VIOLATION and "uv refused" in judged.decision.explanation
    assert judged.expected.declared is Verdict.VIOLATION and judged.as_expected


def test_expected_round_trips_through_the_records_json() -> None:
    judged = judge_cell(
        job("modern-1.0-py3-none-any.whl", requires=">=3.10"), facts(python=(3, 9)), refused(None)
    )
    data = judged.expected.to_json()
    assert list(data) == [
        "installable",
        "reason",
        "matching_tags",
        "policy_problems",
        "requires_python",
    ]
    assert Expected.from_json(data) == judged.expected


def test_a_wheel_for_the_other_libc_is_declared_refused_whatever_the_sample_says() -> None:
    """A sample declares its verdicts for its own libc ("ok everywhere"); the harness declares a
    refusal where the wheel meets the other one, in both directions, naming both libcs."""
    ok_everywhere = SampleContext(
        rules=(ExpectRule(Verdict.OK, {}, "ok everywhere"),),
        flavour="default",
        build_policy="musllinux_1_2",
        build_glibc=(0, 0),
    )
    musl_system = facts(python=(3, 11), musl=(1, 2), sonames=("libc.musl-x86_64.so.1",))
    glibc_system = facts(python=(3, 11), glibc=(2, 36))
    cases = (
        ("c-1.0-cp39-abi3-musllinux_1_2_x86_64.whl", glibc_system, "musl", "glibc"),
        (f"c-1.0-cp39-abi3-{MANYLINUX}.whl", musl_system, "glibc", "musl"),
    )
    for wheel, system, built_for, has in cases:
        judged = judge_cell(
            job(wheel, sample=ok_everywhere), system, refused(run(obs.IMPORT_FAILED))
        )
        assert judged.verdict is Verdict.REFUSED_AS_CLAIMED and judged.as_expected
        assert judged.expected.declared is Verdict.REFUSED_AS_CLAIMED
        assert judged.expected.declared_reason == (
            f"a wheel for {built_for} on a {has} system: installers must refuse it"
        )
        assert built_for in judged.expected.reason and has in judged.expected.reason
    # the forced load of a glibc wheel on musl says nothing, and the note says why
    forced = judge_cell(job(cases[1][0]), musl_system, refused(run(obs.IMPORT_FAILED)))
    assert any("this system has musl 1.2" in note for note in forced.notes)
    # its own libc: the sample's rule stands
    at_home = judge_cell(
        job(cases[0][0], sample=ok_everywhere),
        musl_system,
        obs.Observation(install(obs.ACCEPTED), load=run(obs.PASSED)),
    )
    assert at_home.verdict is Verdict.OK and at_home.expected.declared is Verdict.OK
    assert at_home.expected.reason.endswith("on musl 1.2 with pip 23.0.1")


# -- a project's tests (verify --project) --------------------------------------------------------

LAZY = "lazy-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


def run_of_tests(status: str, output: str, stage: str = TESTS_STAGE) -> obs.RunObservation:
    code = 0 if status == obs.PASSED else 1
    return obs.RunObservation(status, code, None, "done" if code == 0 else stage, output, 2.0)


def accepted(load: obs.RunObservation) -> obs.Observation:
    install = obs.InstallObservation(obs.ACCEPTED, "23.0.1", 0, "", "", 1.0)
    return obs.Observation(install, load=load)


def job_with_tests() -> CellJob:
    return CellJob("x86_64", DISTRO_PIP, (WheelFacts(WheelName.parse(LAZY)),), "debian-trixie")


def test_a_failing_test_is_a_violation_named_by_its_first_failing_test() -> None:
    judged = judge_cell(
        job_with_tests(),
        facts((3, 13), (2, 41)),
        accepted(run_of_tests("check-failed", PYTEST_OUTPUT)),
    )
    assert judged.verdict is Verdict.VIOLATION
    assert judged.decision.explanation == "pip installed it as claimed, but its tests failed"
    assert judged.diagnosis.summary == (
        "test tests/test_lazy.py::test_sha512_crypt failed: OSError: libcrypt.so.1: cannot "
        "open shared object file: No such file (and 1 more)"
    )
    (note,) = judged.notes
    assert note.startswith("the first failing test's output:\n___ test_sha512_crypt ___")


def test_a_failure_that_names_no_test_quotes_the_output() -> None:
    output = "Traceback (most recent call last):\nSystemExit: bad\nboom at the end\n"
    judged = judge_cell(job_with_tests(), facts(), accepted(run_of_tests("check-failed", output)))
    assert judged.verdict is Verdict.VIOLATION
    assert judged.diagnosis.summary == (
        "the tests failed (exit status 1), no test named: boom at the end"
    )


def test_timeouts_and_passes_are_not_test_failures() -> None:
    timed_out = run_of_tests(obs.TIMEOUT, "collected 3 items\n")
    assert judge_cell(job_with_tests(), facts(), accepted(timed_out)).verdict is Verdict.ERROR
    passed = judge_cell(job_with_tests(), facts(), accepted(run_of_tests(obs.PASSED, "3 passed")))
    assert passed.verdict is Verdict.OK and passed.notes == ()
    # an import failing before the tests keeps the import's diagnosis
    early = run_of_tests("check-failed", "ImportError: nope\n", stage="check import lazy")
    judged = judge_cell(job_with_tests(), facts(), accepted(early))
    assert judged.diagnosis.summary.startswith("check failed: ImportError")
