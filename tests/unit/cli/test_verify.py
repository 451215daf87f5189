"""`verify`'s command line: the table's options, specialised where verify means otherwise."""

from __future__ import annotations

from harness.cli import dispatch
from harness.cli import verify as verify_command


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
