"""`run`: its options come from the table and are forwarded to the plugin unchanged, and its
exit code comes from what the session recorded, never from pytest's own code."""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import pytest

from harness import options
from harness.cli import dispatch
from harness.cli import run as run_command
from harness.errors import ExitCode
from harness.results import record as results
from harness.runner.prepared import STOPPED


def parse(*argv: str) -> argparse.Namespace:
    return dispatch.build_parser().parse_args(["run", *argv])


def test_every_matrix_option_reaches_the_plugin(tmp_path: Path) -> None:
    args = parse(
        "--arch", "aarch64", "--arch", "x86_64", "--distro", "debian-trixie",
        "--pip", "19.3", "--uv", "0.4", "--cpu", "x86-64-v1", "--candidate-image", "2_28:x86_64=img",
        "--cache-dir", str(tmp_path / "cache"), "--results-dir", str(tmp_path / "res"),
        "--registry-mirror", "quay.io=mirror.example/quay",
        "--catalog", str(tmp_path / "team.toml"),
        "--container-memory", "2g", "--container-pids", "512",
        "-j", "3", "--", "-x",
    )  # fmt: skip
    argv = run_command.pytest_arguments(args)
    pairs = list(itertools.pairwise(argv))
    assert ("--arch", "aarch64") in pairs and ("--arch", "x86_64") in pairs
    assert ("--uv", "0.4") in pairs and ("--cpu", "x86-64-v1") in pairs
    assert ("--pip", "19.3") in pairs and ("--candidate-image", "2_28:x86_64=img") in pairs
    assert ("--cache-dir", str(tmp_path / "cache")) in pairs
    assert ("--results-dir", str(tmp_path / "res")) in pairs
    assert ("--registry-mirror", "quay.io=mirror.example/quay") in pairs
    assert ("--catalog", str((tmp_path / "team.toml").resolve())) in pairs
    assert ("--container-memory", "2g") in pairs and ("--container-pids", "512") in pairs
    assert ("--prepare-jobs", "3") in pairs and ("-n", "3") in pairs
    assert ("--profile", "local") in pairs
    assert "--baseline" not in argv and "--jobs" not in argv
    assert argv[-1] == "-x"
    # Every option the plugin takes is one `run` can give (but -j, which becomes -n).
    flags = {a for a in argv if a.startswith("--")}
    assert {f"--{name}" for name in options.MATRIX} - flags <= {
        "--policy",
        "--sample",
        "--engine",
        "--samples-dir",
        "--baseline",
    }


def test_a_recorded_stop_gives_its_error_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import pytest as pytest_module

    def stopped_session(argv: list[str]) -> int:
        results.write_state(tmp_path, STOPPED, {"reason": "bad baseline", "exit_code": 2})
        return int(pytest_module.ExitCode.INTERNAL_ERROR)

    monkeypatch.setattr(pytest_module, "main", stopped_session)
    assert run_command.run(parse("--results-dir", str(tmp_path))) == ExitCode.USAGE
    assert capsys.readouterr().err.rstrip().endswith("stopped: bad baseline")


def test_pytest_codes_are_mapped_not_passed_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pytest as pytest_module

    # An earlier run's stop in the same directory does not speak for this one.
    results.write_state(tmp_path, STOPPED, {"reason": "old", "exit_code": 2})
    for code, expected in [
        (pytest_module.ExitCode.USAGE_ERROR, ExitCode.USAGE),
        (pytest_module.ExitCode.INTERNAL_ERROR, ExitCode.NOT_TOLD),
        (pytest_module.ExitCode.INTERRUPTED, ExitCode.INTERRUPTED),
        (pytest_module.ExitCode.TESTS_FAILED, ExitCode.NOT_TOLD),  # no record: not told
    ]:
        monkeypatch.setattr(pytest_module, "main", lambda argv, code=code: int(code))
        assert run_command.run(parse("--results-dir", str(tmp_path))) == expected


def test_the_mapping_names_pytests_codes_by_their_meaning() -> None:
    import pytest as pytest_module

    codes = pytest_module.ExitCode
    assert run_command.from_pytest(codes.OK) is ExitCode.HELD
    assert run_command.from_pytest(codes.TESTS_FAILED) is ExitCode.BROKEN
    assert run_command.from_pytest(codes.INTERRUPTED) is ExitCode.INTERRUPTED
    assert run_command.from_pytest(codes.INTERNAL_ERROR) is ExitCode.NOT_TOLD
    assert run_command.from_pytest(codes.USAGE_ERROR) is ExitCode.USAGE
    assert run_command.from_pytest(codes.NO_TESTS_COLLECTED) is ExitCode.NOT_TOLD
