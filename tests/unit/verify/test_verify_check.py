"""The check script verify runs in a cell's venv, run here by the agent's own runner."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from harness.probe import agent as probe_agent
from harness.verify import given_check

# -- the check script, run by the agent's runner ------------------------------------------------


def run_steps(
    tmp_path: Path, steps: tuple[tuple[str, tuple[str, ...]], ...], site: Mapping[str, str]
) -> dict:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    for name, body in site.items():
        (site_dir / f"{name}.py").write_text(body)
    directory, name = given_check.check_script_name()
    script = tmp_path / directory / name
    script.parent.mkdir()
    script.write_text(given_check.CHECK_SCRIPT)
    workdir = tmp_path / "work"
    workdir.mkdir()
    spec = {
        "imports": [],
        "checks": [[label, str(script), list(argv)] for label, argv in steps],
        "timeouts": {"run": 30},
    }
    return probe_agent.run_checks(
        sys.executable, str(workdir), spec, "load", {"PYTHONPATH": str(site_dir)}
    )


def test_each_module_imports_in_a_fresh_process(tmp_path: Path) -> None:
    # `second` fails if `first` was imported in the same process.
    site = {
        "first": "import os\nos.environ['MH_FIRST'] = '1'\n",
        "second": "import os\nassert 'MH_FIRST' not in os.environ\n",
    }
    result = run_steps(tmp_path, given_check.check_steps(["first", "second"], None), site)
    assert (result["status"], result["stage"]) == ("passed", "done"), result["output"]


def test_a_failing_import_names_its_module(tmp_path: Path) -> None:
    site = {
        "good": "",
        "bad": "raise ImportError('libcrypt.so.1: cannot open shared object file')\n",
    }
    result = run_steps(tmp_path, given_check.check_steps(["good", "bad"], None), site)
    assert (result["status"], result["stage"]) == ("check-failed", "check import bad")
    assert "libcrypt.so.1" in result["output"]


def test_a_crashing_import_keeps_its_signal(tmp_path: Path) -> None:
    site = {"boom": "import ctypes\nctypes.string_at(0)\n"}
    result = run_steps(tmp_path, given_check.check_steps(["boom"], None), site)
    assert (result["status"], result["signal"]) == ("crashed", "SIGSEGV")
    assert result["stage"] == "check import boom"


def test_the_command_runs_with_the_venv_python_first(tmp_path: Path) -> None:
    command = 'test "$(command -v python)" = "$VIRTUAL_ENV/bin/python" && python -c "import six"'
    assert os.path.basename(sys.executable).startswith("python")
    result = run_steps(tmp_path, given_check.check_steps(["six"], command), {"six": ""})
    assert (result["status"], result["stage"]) == ("passed", "done"), result["output"]


def test_a_failing_command_is_a_failed_check(tmp_path: Path) -> None:
    result = run_steps(tmp_path, given_check.check_steps([], "echo nope; exit 3"), {})
    assert (result["status"], result["stage"]) == ("check-failed", "check command")
    assert "exited with status 3" in result["output"]


def test_an_import_that_ends_its_process_is_not_a_pass(tmp_path: Path) -> None:
    """os._exit(0) while being imported: exit status 0, yet the import never returned."""
    site = {"quitter": "import os\nos._exit(0)\n", "fine": "VALUE = 1\n"}
    result = run_steps(tmp_path, given_check.check_steps(["fine", "quitter"], None), site)
    assert result["status"] == "check-failed", result
    assert result["stage"] == "check import quitter"
    assert (
        "importing quitter ended its process (exit status 0) before the import returned"
        in (result["output"])
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_demo.py").write_text("def test_ok():\n    pass\n")
    return root


# -- the test step, run by the agent's runner ----------------------------------------------------


def run_test_step(tmp_path: Path, spec: dict, env: dict[str, str] | None = None) -> dict:
    directory, name = given_check.check_script_name()
    script = tmp_path / directory / name
    script.parent.mkdir()
    script.write_text(given_check.CHECK_SCRIPT)
    workdir = tmp_path / "work"
    workdir.mkdir()
    steps = given_check.check_steps([], None, spec)
    checks = [[label, str(script), list(argv)] for label, argv in steps]
    home = tmp_path / "home"
    (home / ".tmp").mkdir(parents=True)
    extra = {"HOME": str(home), "TMPDIR": str(home / ".tmp"), **(env or {})}
    return probe_agent.run_checks(
        sys.executable,
        str(workdir),
        {"imports": [], "checks": checks, "timeouts": {"run": 60}},
        "load",
        extra,
    )


def test_the_tests_run_in_a_fresh_directory_with_the_sources(project: Path, tmp_path: Path) -> None:
    (project / "tests" / "test_where.py").write_text(
        "import os, pathlib\n"
        "def test_where():\n"
        "    here = pathlib.Path.cwd()\n"
        "    assert here.name.startswith('tests-') and (here / 'tests').is_dir()\n"
        "    assert here.parent == pathlib.Path(os.environ['TMPDIR'])\n"
        "    assert os.environ['SCRATCH'] != '$(echo evaluated)'\n"
        "    assert os.environ['SCRATCH'] == 'evaluated here'\n"
    )
    spec = {
        "command": f"{sys.executable} -m pytest -q -p no:randomly tests",
        "before_test": "echo before-test ran",
        "environment": [["SCRATCH", '"$(echo evaluated) here"']],
        "sources": ["tests"],
        "project": str(project),
    }
    result = run_test_step(tmp_path, spec)
    assert (result["status"], result["stage"]) == ("passed", "done"), result["output"]
    assert "before-test ran" in result["output"] and "2 passed" in result["output"]
    cache = list((tmp_path / "home" / ".tmp").glob("tests-*/.pytest_cache"))
    assert cache, "pytest's cache lives in the cell's own directory"


def test_a_failing_test_is_a_failed_check_at_the_tests(project: Path, tmp_path: Path) -> None:
    (project / "tests" / "test_bad.py").write_text(
        "def test_bad():\n    raise OSError('libcrypt.so.1: cannot open shared object file')\n"
    )
    spec = {
        "command": f"{sys.executable} -m pytest -q tests",
        "sources": ["tests"],
        "project": str(project),
    }
    result = run_test_step(tmp_path, spec)
    assert (result["status"], result["stage"]) == ("check-failed", "check tests")
    assert "FAILED tests/test_bad.py::test_bad - OSError: libcrypt.so.1" in result["output"]
    assert "the test command exited with status 1" in result["output"]


def test_a_failing_before_test_stops_the_tests(project: Path, tmp_path: Path) -> None:
    spec = {"command": "echo ran-the-tests", "before_test": "exit 7", "sources": [], "project": ""}
    result = run_test_step(tmp_path, spec)
    assert result["status"] == "check-failed"
    assert "before-test exited with status 7" in result["output"]
    assert "ran-the-tests" not in result["output"].splitlines()
    assert json.loads(json.dumps(spec)) == spec
