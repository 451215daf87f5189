"""The publisher's action (action.yml) and reusable workflow (verify-wheels.yml) as data: the
inputs the issue names with their defaults, no `${{ }}` text in a shell, every input reaching a
step, one leg per arch on the runners people use, and docs/publishers.md stating what the files
are. How the steps play out on a real engine is tests/integration/test_action.py's."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from harness.cli.verify import TEST_OPTIONS
from tests.helpers.workflows import ROOT, WORKFLOW_DIR, load

DOC = ROOT / "docs" / "publishers.md"


def action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_the_inputs_and_their_defaults() -> None:
    inputs = action()["inputs"]
    assert inputs["wheels"]["default"] == "wheelhouse/*.whl"
    assert inputs["profile"]["default"] == "official"
    assert inputs["project"]["default"] == "."
    for option in TEST_OPTIONS:  # every cibuildwheel test option, defaulting to the project's
        name = option.replace("_", "-")
        assert inputs[name]["default"] == "", name
    assert {"arches", "distros", "results-dir", "check"} <= set(inputs)
    assert set(action()["outputs"]) == {
        "results-dir",
        "exit-code",
        "cells",
        "ok",
        "violations",
        "errors",
    }


def test_input_reaches_a_shell_only_through_the_environment() -> None:
    steps = action()["runs"]["steps"]
    used = set()
    for step in steps:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], step["name"]
        for value in step.get("env", {}).values():
            used.update(re.findall(r"inputs\.([\w-]+)", str(value)))
    assert used == set(action()["inputs"])


def test_the_harness_comes_from_the_action_s_checkout_through_its_lock() -> None:
    install = action()["runs"]["steps"][0]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '-c "$ACTION_PATH/constraints.txt" "$ACTION_PATH"' in install["run"]
    host = action()["runs"]["steps"][1]["run"]
    # sudo only when doctor finds something missing
    assert host.index('doctor "${args[@]}"') < host.index("sudo")


def test_the_reusable_workflow_fans_out_per_arch() -> None:
    workflow = load(WORKFLOW_DIR / "verify-wheels.yml")
    assert set(workflow["on"]) == {"workflow_call"}
    legs = workflow["jobs"]["plan"]["steps"][0]["run"]
    assert "x86_64|i686) runner=ubuntu-24.04 qemu=false" in legs
    assert "aarch64|armv7l) runner=ubuntu-24.04-arm qemu=false" in legs
    assert "ppc64le|s390x|riscv64) runner=ubuntu-24.04 qemu=true" in legs
    verify = workflow["jobs"]["verify"]
    (step,) = [s for s in verify["steps"] if s.get("id") == "verify"]
    assert step["uses"] == "./.manylinux-harness"
    assert step["with"]["arches"] == "${{ matrix.arch }}"
    assert set(step["with"]) <= set(action()["inputs"])


def test_the_page_states_what_the_files_are() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in action()["inputs"]:
        assert f"`{name}`" in text, name
    for name in action()["outputs"]:
        assert f"`{name}`" in text, name
    workflow_inputs = load(WORKFLOW_DIR / "verify-wheels.yml")["on"]["workflow_call"]["inputs"]
    for name in ("harness-repository", "harness-ref", "artifact-pattern", "arches"):
        assert name in workflow_inputs and f"{name}:" in text, name
    assert "verify-wheels.yml@" in text and "OWNER/manylinux-harness@" in text
    blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
    assert yaml.safe_load(blocks[0])["jobs"]["publish"]["needs"] == ["build", "verify"]
    assert "docs/publishers.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert Path(ROOT / "examples" / "lazy_crypt" / "pyproject.toml").is_file()
