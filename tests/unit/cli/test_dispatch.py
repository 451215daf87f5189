"""The dispatcher: every command is registered from its module, errors end in their own
exit code, and the console entry point and `python -m harness` reach the same main."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness import __version__
from harness.cli import dispatch
from harness.errors import ExitCode, HarnessError, UsageError

REPO = Path(__file__).resolve().parents[3]


def test_every_command_is_a_module_with_register_and_run() -> None:
    parser = dispatch.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert sub.choices is not None
    assert set(sub.choices) == {
        "doctor",
        "run",
        "report",
        "gate",
        "merge",
        "explain",
        "verify",
        "images",
        "clean",
    }
    for command in dispatch.COMMANDS:
        assert callable(command.register) and callable(command.run)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageError("bad option"), ExitCode.USAGE),
        (HarnessError("no engine"), ExitCode.NOT_TOLD),
        (KeyboardInterrupt(), ExitCode.INTERRUPTED),
    ],
)
def test_errors_end_in_their_own_exit_code(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: BaseException,
    code: ExitCode,
) -> None:
    def fail(args: object) -> int:
        raise error

    monkeypatch.setattr(dispatch.report, "run", fail)
    assert dispatch.main(["report", "x.json"]) == code
    err = capsys.readouterr().err
    assert err.startswith("manylinux-harness: ") and err.count("\n") == 1


def test_python_m_harness_and_the_entry_point_reach_main() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "--version"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == f"manylinux-harness {__version__}"
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'manylinux-harness = "harness.cli:main"' in pyproject
    from harness.cli import main

    assert main is dispatch.main
