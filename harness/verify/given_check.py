"""The check of a given wheel set in a distro: the script the agent runs per step in the
distro's venv (import each module, then the --check command). What its outcome means is
harness.judge.cell's, as for every cell. Pure: no engine."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.probe.test_output import TESTS_LABEL

CHECK_LABEL = "command"


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
    modules: Sequence[str], command: str | None, tests: Mapping[str, Any] | None = None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(label, argv) per step: each module imported in its own process, then the command,
    then the project's tests (the test step's spec: harness.verify.project_tests)."""
    steps = [(f"import {m}", ("import", m)) for m in modules]
    if command:
        steps.append((CHECK_LABEL, ("run", command)))
    if tests is not None:
        steps.append((TESTS_LABEL, ("test", json.dumps(dict(tests), sort_keys=True))))
    return tuple(steps)
