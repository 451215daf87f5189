"""The repository's GitHub Actions workflows as data (PyYAML), and the parts tests look up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOW_FILES = (
    "tests.yml",
    "nightly.yml",
    "image-gate.yml",
    "update-constraints.yml",
    "verify-wheels.yml",
)

Workflow = dict[str, Any]


def load(path: Path) -> Workflow:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path.name
    if True in data:  # YAML 1.1 reads the `on` key as a boolean
        data["on"] = data.pop(True)
    return data


def load_all() -> dict[str, Workflow]:
    return {name: load(WORKFLOW_DIR / name) for name in WORKFLOW_FILES}


def steps(workflow: Workflow) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def runs(workflow: Workflow) -> list[str]:
    return [step["run"] for step in steps(workflow) if "run" in step]


def step(workflow: Workflow, job: str, name: str) -> dict[str, Any]:
    (found,) = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == name]
    return found


def uses(workflow: Workflow, job: str, action: str) -> list[dict[str, Any]]:
    return [s for s in workflow["jobs"][job]["steps"] if s.get("uses", "").split("@")[0] == action]
