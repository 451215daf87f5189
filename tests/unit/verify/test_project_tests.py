"""A project's tests in verify's cells, the host side: bad input stops the run in one line,
placeholders are filled as cibuildwheel fills them, and the project's copy is
content-addressed."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import UsageError
from harness.util.cache import Cache
from harness.verify import project_tests
from harness.verify.cibw_options import TestOptions

PYPROJECT = """
[project]
name = "demo"
version = "1.0"
[tool.cibuildwheel]
test-command = "pytest {project}/tests {wheel}"
test-requires = "pytest"
test-sources = ["tests"]
"""


def local_distros(*names: str):
    return [d for d in default_catalog().distros("local", ["x86_64"]) if d.name in names]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_demo.py").write_text("def test_ok():\n    pass\n")
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref")
    return root


# -- bad input -----------------------------------------------------------------------------------


def test_no_project_and_no_option_means_no_tests() -> None:
    assert project_tests.read_tests(None, local_distros("debian-trixie"), {}, {}) is None


def test_a_missing_test_source_is_one_line_naming_it(project: Path) -> None:
    given = {"test_sources": "tests nowhere"}
    with pytest.raises(UsageError) as caught:
        project_tests.read_tests(project, local_distros("debian-trixie"), given, {})
    assert str(caught.value).startswith("test-sources nowhere: ")
    assert "does not exist" in str(caught.value)


def test_a_project_that_is_no_directory_or_has_no_pyproject(tmp_path: Path) -> None:
    distros = local_distros("debian-trixie")
    with pytest.raises(UsageError, match="is not a directory"):
        project_tests.read_tests(tmp_path / "nope", distros, {}, {})
    with pytest.raises(UsageError, match="no pyproject.toml"):
        project_tests.read_tests(tmp_path, distros, {}, {})


def test_test_options_without_a_project_need_a_command_and_no_groups() -> None:
    distros = local_distros("debian-trixie")
    with pytest.raises(UsageError, match="--test-sources without a test command"):
        project_tests.read_tests(None, distros, {"test_sources": "tests"}, {})
    with pytest.raises(UsageError, match="--test-groups names groups"):
        project_tests.read_tests(None, distros, {"test_command": "x", "test_groups": "t"}, {})


def test_placeholders_of_a_project_need_one() -> None:
    distros = local_distros("debian-trixie")
    with pytest.raises(UsageError, match="pass --project DIR"):
        project_tests.read_tests(None, distros, {"test_command": "pytest {project}/t"}, {})
    found = project_tests.read_tests(None, distros, {"test_command": "check {wheel}"}, {})
    assert found is not None and found.any_run


def test_options_per_distro_by_the_identifier_of_its_python(project: Path) -> None:
    distros = local_distros("debian-bullseye", "debian-trixie")
    found = project_tests.read_tests(project, distros, {"test_skip": "cp39-*"}, {})
    assert found is not None
    by_name = {d.name: found.options[project_tests.distro_identifier(d)] for d in distros}
    assert by_name["debian-bullseye"].identifier == "cp39-manylinux_x86_64"
    assert by_name["debian-bullseye"].skipped
    assert by_name["debian-trixie"].runs


def test_placeholders_are_filled_as_cibuildwheel_fills_them() -> None:
    options = TestOptions(
        "cp313-manylinux_x86_64",
        command="pytest {project}/tests --wheel {wheel} {package} {python} {}",
        before_test="ls {project}",
        environment=(("A", '"$(pwd)"'),),
        sources=("tests",),
    )
    spec = project_tests.step_spec(options, project="/p", wheel="/w/x.whl")
    assert spec["command"] == "pytest /p/tests --wheel /w/x.whl /p {python} {}"
    assert spec["before_test"] == "ls /p"
    assert spec["environment"] == [["A", '"$(pwd)"']]
    assert (spec["sources"], spec["project"]) == (["tests"], "/p")
    assert project_tests.extras_suffix(TestOptions("i", extras=("test", "x"))) == "[test,x]"


def test_the_staged_copy_leaves_version_control_out_and_is_content_addressed(
    project: Path, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "cache")
    staged = project_tests.stage_project(project, cache)
    assert (staged / "tests" / "test_demo.py").is_file()
    assert not (staged / ".git").exists()
    assert project_tests.stage_project(project, cache) == staged
    (project / "tests" / "test_demo.py").write_text("def test_changed():\n    pass\n")
    assert project_tests.stage_project(project, cache) != staged
    assert project_tests.container_project(staged).startswith(project_tests.PROJECT_ROOT + "/")
