"""The composite action (action.yml) played as the runner plays it: its `run:` steps in order,
each `${{ }}` evaluated by GitHub's own expression library, with the GITHUB_* files a runner
provides (GITHUB_OUTPUT per step, GITHUB_STEP_SUMMARY), on this machine's engine and the
local profile: the harness installed from the action's own checkout through its lock into a
fresh venv, the host found ready (no sudo), and verify run on the example project's wheels
with its own tests. The job goes red on the distro without libcrypt.so.1; the outputs and the
job summary say what broke first."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.commands import REPO
from tests.helpers.workflow_runner import Expressions, play

pytestmark = pytest.mark.xdist_group("verify")

EXAMPLE = REPO / "examples" / "lazy_crypt"


@pytest.fixture(scope="module")
def expressions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Expressions]:
    evaluator = Expressions(tmp_path_factory.mktemp("expressions"))
    yield evaluator
    evaluator.close()


def action() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    assert data["runs"]["using"] == "composite"
    return data


def inputs(data: dict[str, Any], **given: str) -> dict[str, str]:
    values = {name: str(spec.get("default", "")) for name, spec in data["inputs"].items()}
    unknown = set(given) - set(values)
    assert not unknown, unknown
    return {**values, **given}


def test_the_action_s_steps_verify_the_example_and_gate_the_job(
    expressions: Expressions, tmp_path: Path
) -> None:
    from tests.integration.test_publisher import _build_example

    workspace = tmp_path / "workspace"
    workspace.mkdir()
    shutil.copytree(EXAMPLE, workspace / "lazy_crypt")  # what actions/checkout brings
    _build_example().build(EXAMPLE, workspace / "wheelhouse", profile="local", arch="x86_64")
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    summary = tmp_path / "step_summary.md"
    summary.touch()
    env = {
        # a runner's environment: no harness on PATH (the action installs its own)
        "PATH": os.pathsep.join(
            p for p in os.environ["PATH"].split(os.pathsep) if ".venv" not in p
        ),
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_REPOSITORY": "owner/publisher",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
        **{k: v for k, v in os.environ.items() if k.startswith(("PIP_", "DOCKER_", "MANYLINUX_"))},
    }
    data = action()
    given = inputs(
        data,
        profile="local",
        arches="x86_64",
        distros="debian-bullseye debian-trixie-nolibcrypt",
        project="lazy_crypt",
        **{"results-dir": "results"},
    )
    run = play(
        {"steps": data["runs"]["steps"]},
        workspace,
        expressions,
        stands={},
        env=env,
        context={"inputs": given, "github": {"action_path": str(REPO)}},
    )
    install, host, verify = run.steps
    assert install.outcome == "success", install.output
    assert (runner_temp / "manylinux-harness-venv" / "bin" / "manylinux-harness").is_file()
    assert host.outcome == "success" and "the host is ready" in host.output, host.output
    assert "sudo" not in host.output
    assert verify.outcome == "failure", verify.output  # the job goes red
    outputs = run.outputs["verify"]
    assert outputs == {
        "results-dir": "results",
        "exit-code": "1",
        "cells": "2",
        "ok": "1",
        "violations": "1",
        "errors": "0",
    }, verify.output
    # the action's outputs are those of its steps
    steps = {"verify": {"outputs": outputs, "outcome": "failure", "conclusion": "failure"}}
    for name, spec in data["outputs"].items():
        expression = spec["value"].strip().removeprefix("${{").removesuffix("}}")
        value = expressions.evaluate(expression, {"steps": steps}, {}, {}, as_string=True)
        assert value == outputs[name], name
    assert (workspace / "results" / "results.json").is_file()
    text = summary.read_text(encoding="utf-8")
    assert text.count("## manylinux-harness:") == 1
    assert "test tests/test_lazy_crypt.py::test_sha512_crypt failed" in text
    first_broken = text.index("debian-trixie-nolibcrypt")
    assert first_broken < text.index("### x86_64")  # what broke comes before the matrix


def test_no_wheel_is_bad_input_and_says_how_to_get_them(
    expressions: Expressions, tmp_path: Path
) -> None:
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    data = action()
    verify = [s for s in data["runs"]["steps"] if s.get("id") == "verify"]
    venv = tmp_path / "runner_temp" / "manylinux-harness-venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "manylinux-harness").symlink_to(shutil.which("manylinux-harness") or "false")
    run = play(
        {"steps": verify},
        workspace,
        expressions,
        stands={},
        env={"PATH": os.environ["PATH"], "RUNNER_TEMP": str(tmp_path / "runner_temp")},
        context={"inputs": inputs(data), "github": {"action_path": str(REPO)}},
    )
    (step,) = run.steps
    assert step.outcome == "failure"
    assert run.outputs["verify"]["exit-code"] == "2"
    assert "no wheel matches 'wheelhouse/*.whl'" in step.output
