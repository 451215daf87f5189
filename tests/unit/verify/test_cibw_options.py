"""The project's test options as the pinned cibuildwheel reads them (harness.verify.cibw_options,
the one module behind its internal API). These fail when a cibuildwheel upgrade changes what
`compute_options(...).build_options(identifier)` returns for the options verify uses, or the
precedence between the project's table, its overrides, CIBW_* variables and verify's options."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.verify import cibw_options
from harness.verify.cibw_options import TestOptions

PROJECT = """
[project]
name = "demo"
version = "1.0"

[dependency-groups]
test = ["pytest>=7", "hypothesis"]
lint = ["ruff"]

[tool.cibuildwheel]
test-command = "pytest {project}/tests"
before-test = "echo before"
test-requires = ["pytest-timeout", "numpy>=1.20"]
test-extras = ["test", "speedups"]
test-groups = ["test"]
test-sources = ["tests", "conftest.py"]
test-environment = { FOO = "bar baz", SCRATCH = "$(mktemp -d)" }
test-skip = "cp39-* *-musllinux_*"

[[tool.cibuildwheel.overrides]]
select = "cp313-*"
test-command = "pytest -x tests"
"""
IDENTS = ("cp39-manylinux_x86_64", "cp311-manylinux_x86_64", "cp313-manylinux_x86_64")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PROJECT, encoding="utf-8")
    return tmp_path


def read(
    project: Path | None, given: Mapping[str, str | None] | None = None, **environ: str
) -> dict[str, TestOptions]:
    return cibw_options.read(project, IDENTS, given or {}, environ)


def test_the_project_table_as_cibuildwheel_reads_it(project: Path) -> None:
    found = read(project)
    assert found["cp311-manylinux_x86_64"] == TestOptions(
        identifier="cp311-manylinux_x86_64",
        command="pytest {project}/tests",  # placeholders are filled where the tests run
        before_test="echo before",
        # test-requires, then the groups' requirements (cibuildwheel resolves PEP 735 itself)
        requires=("pytest-timeout", "numpy>=1.20", "pytest>=7", "hypothesis"),
        extras=("test", "speedups"),
        groups=("test",),
        sources=("tests", "conftest.py"),
        # the values as written: never evaluated on the host
        environment=(("FOO", '"bar baz"'), ("SCRATCH", '"$(mktemp -d)"')),
        skipped=False,
    )


def test_overrides_select_by_the_identifier_of_the_python_that_runs_the_tests(
    project: Path,
) -> None:
    found = read(project)
    assert found["cp313-manylinux_x86_64"].command == "pytest -x tests"
    assert found["cp311-manylinux_x86_64"].command == "pytest {project}/tests"
    assert found["cp39-manylinux_x86_64"].skipped and not found["cp39-manylinux_x86_64"].runs
    musl = cibw_options.read(project, ("cp312-musllinux_aarch64",), {}, {})
    assert musl["cp312-musllinux_aarch64"].skipped


def test_an_abi3_wheel_on_several_pythons_gets_one_identifier_per_python() -> None:
    assert cibw_options.identifier("3.13", "x86_64") == "cp313-manylinux_x86_64"
    assert cibw_options.identifier("3.9.2", "aarch64") == "cp39-manylinux_aarch64"
    assert cibw_options.identifier("3.12", "x86_64", "musl") == "cp312-musllinux_x86_64"
    with pytest.raises(UsageError):
        cibw_options.identifier("", "x86_64")


def test_precedence_table_then_variables_then_verify_options(project: Path) -> None:
    environ = {"CIBW_TEST_COMMAND": "from-env", "CIBW_TEST_REQUIRES_LINUX": "env-req"}
    by_env = read(project, None, **environ)["cp311-manylinux_x86_64"]
    assert (by_env.command, by_env.requires[:1]) == ("from-env", ("env-req",))
    given: dict[str, str | None] = {
        "test_command": "from-option",
        "test_requires": "opt-req",
        "test_skip": "",
    }
    by_option = read(project, given, **environ)["cp39-manylinux_x86_64"]
    assert (by_option.command, by_option.requires[:1]) == ("from-option", ("opt-req",))
    assert not by_option.skipped  # --test-skip "" clears the project's test-skip


def test_without_a_project_the_environment_is_not_read() -> None:
    """An unrelated project's CIBW_TEST_COMMAND in the environment is not this run's."""
    found = read(None, None, CIBW_TEST_COMMAND="pytest elsewhere")
    assert found["cp311-manylinux_x86_64"].command == ""
    given: dict[str, str | None] = {
        "test_command": "python -c 'import demo'",
        "test_requires": "six",
    }
    mine = read(None, given, CIBW_TEST_COMMAND="pytest elsewhere")["cp311-manylinux_x86_64"]
    assert (mine.command, mine.requires) == ("python -c 'import demo'", ("six",))


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"test_environment": 'A="unterminated'}, "Malformed environment option"),
        ({"test_groups": "missing-group"}, "missing-group"),
    ],
)
def test_what_cibuildwheel_rejects_is_one_line_of_bad_input(
    project: Path, given: dict[str, str | None], words: str
) -> None:
    with pytest.raises(UsageError) as caught:
        read(project, given)
    message = str(caught.value)
    assert message.startswith(f"--project {project}: cibuildwheel ")
    assert words in message and "\n" not in message


def test_a_project_without_pyproject_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no pyproject.toml there"):
        read(tmp_path)


def test_a_pyproject_that_is_not_toml_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.cibuildwheel\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        read(tmp_path)
    assert "\n" not in str(caught.value)


def test_verify_options_become_the_variables_that_win() -> None:
    assert cibw_options.option_environment(
        {"test_command": "pytest", "test_skip": "cp39-*", "test_extras": None}
    ) == {"CIBW_TEST_COMMAND_LINUX": "pytest", "CIBW_TEST_SKIP": "cp39-*"}
