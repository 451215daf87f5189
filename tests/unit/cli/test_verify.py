"""`verify`'s command line: the table's options, specialised where verify means otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import cli
from harness.cli import dispatch
from harness.cli import verify as verify_command
from harness.errors import UsageError
from harness.verify import given_wheels
from tests.helpers.factories import make_wheel


def test_verify_options_come_from_the_table() -> None:
    args = dispatch.build_parser().parse_args(
        ["verify", "a.whl", "--arch", "aarch64", "--check", "true"]
    )
    assert args.handler is verify_command.run
    assert args.paths == ["a.whl"] and args.arch == ["aarch64"] and args.check == "true"
    assert args.results_dir == verify_command.DEFAULT_RESULTS and args.profile == "local"
    assert args.cache_dir is None and args.distro == []
    assert not args.download and not args.together
    args = dispatch.build_parser().parse_args(
        ["verify", "--download", "numpy", "scipy>=1.10", "--together"]
    )
    assert args.download and args.together and args.paths == ["numpy", "scipy>=1.10"]


def test_explain_takes_one_arch() -> None:
    args = dispatch.build_parser().parse_args(["explain", "2014", "2_28", "--arch", "aarch64"])
    assert args.arch == "aarch64" and args.format == "text"


def run_verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = cli.main(["verify", *argv])  # as a user runs it: the CLI reports the error
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d / "missing.whl", "does not exist: pass wheel files"),
        (lambda d: _file(d / "notes.txt", b"x"), "is not a wheel (*.whl)"),
        (lambda d: _dir(d / "empty"), "holds no *.whl file"),
        (lambda d: _file(d / "foo.whl", b"x"), "not a valid wheel file name"),
        (lambda d: _file(d / "foo-1.0-py3-none-any.whl", b"not a zip"), "not a zip archive"),
        (
            lambda d: make_wheel(d, "fast-1.0-cp311-cp311-win_amd64.whl", {"fast.py": ""}),
            "wheel for win_amd64, not Linux",
        ),
        (
            lambda d: make_wheel(d / "mac", "f-1.0-cp311-cp311-macosx_11_0_arm64.whl", {}).parent,
            "holds no Linux wheel",
        ),
    ],
)
def test_bad_input_is_one_usage_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup, message: str
) -> None:
    code, err = run_verify(capsys, str(setup(tmp_path)))
    assert code == 2
    assert message in err
    assert err.startswith("manylinux-harness: ") and err.count("\n") == 1


def test_bad_options_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wheel = make_wheel(tmp_path, "six-1.17.0-py2.py3-none-any.whl", {"six.py": ""})
    code, err = run_verify(capsys, str(wheel), "--distro", "debian-potato")
    assert code == 2 and "unknown distro 'debian-potato'" in err
    code, err = run_verify(capsys, str(wheel), "--check", " ")
    assert code == 2 and "--check needs a command" in err
    code, err = run_verify(capsys, str(wheel), "--arch", "sparc")
    assert code == 2 and "unknown architecture 'sparc'" in err


def test_same_name_different_content_is_refused(tmp_path: Path) -> None:
    one = make_wheel(tmp_path / "a", "six-1.17.0-py2.py3-none-any.whl", {"six.py": "A = 1\n"})
    two = make_wheel(tmp_path / "b", "six-1.17.0-py2.py3-none-any.whl", {"six.py": "A = 2\n"})
    with pytest.raises(UsageError, match="different files with the same name"):
        given_wheels.collect([one, two])
    assert len(given_wheels.collect([one, one.parent]).wheels) == 1  # the same file twice is fine


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _dir(path: Path) -> Path:
    path.mkdir()
    return path
