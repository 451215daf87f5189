"""The one options table: argparse and pytest read the same declarations."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest

from harness import options
from harness.options import OPTIONS, add_options, forward, option


def _declared_names() -> list[str]:
    """The name of every Option(...) written in harness/options.py, as written."""
    tree = ast.parse(Path(options.__file__).read_text(encoding="utf-8"))
    return [
        str(node.args[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Option"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def test_each_option_is_declared_once_and_the_plugin_and_run_use_the_table() -> None:
    declared = _declared_names()
    assert len(declared) == len(set(declared)), sorted(n for n in declared if declared.count(n) > 1)
    assert sorted(declared) == sorted(OPTIONS)
    assert set(options.MATRIX) <= set(OPTIONS) and set(options.RUN) <= set(OPTIONS)
    assert "prepare-jobs" in options.MATRIX and "jobs" in options.RUN


def test_a_second_declaration_is_refused_not_won() -> None:
    with pytest.raises(ValueError, match="--distro is declared twice"):
        options._table(OPTIONS["distro"], option("distro", help="another"))


def test_argparse_gets_types_defaults_and_repeats() -> None:
    parser = argparse.ArgumentParser()
    add_options(parser.add_argument, ["arch", "results-dir", "jobs", "fix", "profile"])
    args = parser.parse_args(["--arch", "x86_64", "--arch", "aarch64", "-j", "4"])
    assert args.arch == ["x86_64", "aarch64"] and args.jobs == 4
    assert args.results_dir == Path("results") and args.fix is False
    assert args.profile == "local"
    # A repeatable option's default list is not shared between parses.
    assert parser.parse_args([]).arch == []
    with pytest.raises(SystemExit):
        parser.parse_args(["--profile", "nightly"])


def test_specialising_changes_one_use_not_the_table() -> None:
    special = option("results-dir", default=Path("elsewhere"))
    assert special.default == Path("elsewhere")
    assert OPTIONS["results-dir"].default == Path("results")
    assert option("arch") is OPTIONS["arch"]


def test_forward_writes_what_parsing_reads(tmp_path: Path) -> None:
    values = {
        "arch": ["x86_64"],
        "cache_dir": tmp_path,
        "emulation_factor": 2.5,
        "baseline": None,
        "fix": True,
    }
    argv = forward(values, ["arch", "cache-dir", "emulation-factor", "baseline", "fix"])
    assert argv == [
        "--arch",
        "x86_64",
        "--cache-dir",
        str(tmp_path.resolve()),
        "--emulation-factor",
        "2.5",
        "--fix",
    ]
    parser = argparse.ArgumentParser()
    add_options(parser.add_argument, ["arch", "cache-dir", "emulation-factor", "baseline", "fix"])
    assert vars(parser.parse_args(argv)) == {**values, "cache_dir": tmp_path.resolve()}


def test_the_plugin_registers_the_matrix_options(pytestconfig: pytest.Config) -> None:
    # The root conftest loads the plugin into this very session, without --profile.
    assert pytestconfig.getoption("profile") is None  # matrix mode off: no default there
    for name in options.MATRIX:
        if name != "profile":
            assert (
                pytestconfig.getoption(OPTIONS[name].dest) == OPTIONS[name].arguments()["default"]
            )


@pytest.mark.parametrize("command", [["run"], ["doctor"], ["verify", "w.whl"]])
def test_every_command_that_resolves_images_takes_their_sources(command: list[str]) -> None:
    from harness.cli import dispatch

    args = dispatch.build_parser().parse_args(
        [*command, "--registry-mirror", "quay.io=m.example/quay", "--catalog", "team.toml"]
    )
    assert args.registry_mirror == ["quay.io=m.example/quay"]
    assert args.catalog == [Path("team.toml")]
    assert set(options.SOURCES) <= set(options.MATRIX)  # and the plugin, through run


def test_settings_from_options_read_the_variables_and_options_win() -> None:
    from harness.settings import Settings

    settings = Settings.from_options(
        engines=[],
        registry_mirrors=["quay.io=m.example/quay"],
        catalogs=[Path("team.toml")],
        environ={
            "MANYLINUX_HARNESS_REGISTRY_MIRRORS": "quay.io=old.example docker.io=hub.example/h"
        },
    )
    assert settings.registry_mirrors.to_json() == {
        "quay.io": "m.example/quay",
        "docker.io": "hub.example/h",
    }
    assert settings.catalogs == (Path("team.toml"),)
