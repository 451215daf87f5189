"""The check of a given wheel set in a distro, and what its outcome means: the script the
agent runs per step in the distro's venv (import each module, then the --check command), the
expectation from the wheels' tags and Requires-Python, and the judgement on top of decide().
Pure: no engine."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from harness.judge.verdict import REQUIRES_PYTHON, TAGS, Decision, decide, says
from harness.probe import observation as obs
from harness.probe.facts import DistroFacts
from harness.verify.given_wheels import GivenWheel
from harness.vocab.verdict import Verdict

if TYPE_CHECKING:
    from harness.judge.expectation import Expectation

CHECK_LABEL = "command"
# How expect() marks a refusal that Requires-Python, not the tags, predicts.
BY_REQUIRES_PYTHON = "(Requires-Python)"
_DEPENDENCY = re.compile(
    r"No matching distribution found for (\S+)"
    r"|Could not find a version that satisfies the requirement (\S+)"
)


# -- the check, run by the agent's runner in the distro's venv ------------------------------

# One script, content-addressed: what each step does comes in argv (the agent's contract: a
# check is a script run in the runner process with its arguments). It runs on the distro's
# Python; its source is verify_check.py beside this module.
CHECK_SCRIPT = Path(__file__).with_name("verify_check.py").read_text(encoding="utf-8")


def check_script_name() -> tuple[str, str]:
    """(directory, file name) of the script: the directory is content-addressed, because the
    probe copies a check into the container once per directory and name."""
    digest = hashlib.sha256(CHECK_SCRIPT.encode()).hexdigest()[:12]
    return f"verify-check-{digest}", "verify_check.py"


def check_steps(
    modules: Sequence[str], command: str | None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(label, argv) per step: each module imported in its own process, then the command."""
    steps = [(f"import {m}", ("import", m)) for m in modules]
    if command:
        steps.append((CHECK_LABEL, ("run", command)))
    return tuple(steps)


# -- what a cell's outcome means ---------------------------------------------------------------


def python_excluded(spec: str | None, python_version: str) -> bool:
    if not spec or not python_version:
        return False
    try:
        return not SpecifierSet(spec).contains(python_version, prereleases=True)
    except InvalidSpecifier:
        return False  # pip ignores what it cannot read, and so does the expectation


def expect(
    wheels: Sequence[GivenWheel],
    requires: Mapping[str, str | None],
    facts: DistroFacts,
    *,
    any_pip: bool = False,
) -> Expectation:
    """expect_install (tags x the interpreter's supported tags x the installing pip, or any
    pip), and Requires-Python: a wheel whose metadata excludes this Python claims it does not
    fit."""
    from harness.judge.expectation import Expectation, expect_install
    from harness.vocab.wheel_name import WheelName

    claims = [WheelName.parse(w.filename) for w in wheels]
    expectation = expect_install(claims, facts, None if any_pip else facts.pip_version)
    if not expectation.installable:
        return expectation
    for wheel in wheels:
        spec = requires.get(wheel.filename)
        if python_excluded(spec, facts.python_version):
            return Expectation(
                False,
                f"{wheel.filename} requires Python {spec} {BY_REQUIRES_PYTHON}, "
                f"this system has {facts.python_version}",
                expectation.matching_tags,
            )
    return expectation


def pip_too_old(
    wheels: Sequence[GivenWheel], requires: Mapping[str, str | None], facts: DistroFacts
) -> bool:
    """The system fits the claims, but its pip does not know the wheels' tag family: a
    refusal is then the installer's, and a forced load that works says nothing against the
    tags (decide()'s pip_too_old)."""
    return (
        not expect(wheels, requires, facts).installable
        and expect(wheels, requires, facts, any_pip=True).installable
    )


def forced_load_moot(wheels: Sequence[GivenWheel], facts: DistroFacts, arch: str) -> str | None:
    """Why a forced load of these wheels says nothing, if it does not: their compiled modules
    are for another Python, arch or libc, so they cannot load at all here, and a forced import
    that passes ran only a pure-Python fallback (markupsafe has one).

    (A refusal for the glibc floor alone keeps the matrix's meaning: a forced load there is
    the real question, though a fallback can pass it too.)"""
    interpreters = {"-".join(t.split("-")[:2]) for t in facts.supported_tags}
    for wheel in wheels:
        if wheel.arches and arch not in wheel.arches:
            return f"{wheel.filename} is built for {', '.join(wheel.arches)}"
        if interpreters and not any("-".join(t.split("-")[:2]) in interpreters for t in wheel.tags):
            return f"{wheel.filename} is built for another Python than {facts.python_version}"
        libcs = wheel.name.platform.libcs
        if facts.glibc and libcs == {"musl"}:
            return f"{wheel.filename} is built for musl libc, this system has glibc"
        if not facts.glibc and libcs == {"glibc"}:
            return f"{wheel.filename} is built for glibc, this system has none"
    return None


def missing_dependency(install_output: str) -> str | None:
    """The requirement pip could not satisfy from the pool, when it says so."""
    match = _DEPENDENCY.search(install_output)
    if match is None:
        return None
    return match.group(1) or match.group(2)


def judge(
    expectation: Expectation,
    observation: obs.Observation,
    moot_forced: str | None,
    too_old_pip: bool = False,
) -> tuple[obs.Observation, Decision]:
    """decide(), the one place verdicts come from, with what only given wheels bring:
    a dependency missing from the given wheels is an input problem (could not tell), never a
    broken claim; and a forced load of a wheel for another Python or arch does not make a
    refusal over-restrictive."""
    install = observation.install
    claim = REQUIRES_PYTHON if BY_REQUIRES_PYTHON in expectation.reason else TAGS
    if observation.error is None and install is not None and install.decision == obs.REFUSED:
        requirement = missing_dependency(install.output)
        if expectation.installable and requirement is not None:
            error = (
                f"pip found no wheel for {requirement} among the given wheels that fits this "
                f"system ({install.reason}): add the dependency's wheel to the set "
                "(e.g. pip download --only-binary=:all: -d DIR ...), or verify its project too"
            )
            observation = dataclasses.replace(observation, error=error)
        elif not expectation.installable and moot_forced and observation.forced is not None:
            # Either way it says nothing: a pass ran at most a pure-Python fallback, a failure
            # is that of a module CPython never opens (another Python's cpython-3X name).
            what = (
                "the forced load passed, which says nothing here"
                if observation.forced.passed
                else "a forced load says nothing here"
            )
            tail = (
                "at most a pure-Python fallback ran"
                if observation.forced.passed
                else ("its compiled modules cannot load here")
            )
            return observation, Decision(
                Verdict.REFUSED_AS_CLAIMED,
                f"refused as {says(claim)}; {what}: {moot_forced}, so {tail}",
                quote_forced=False,
            )
    return observation, decide(expectation.installable, observation, too_old_pip, claim=claim)
