"""A project's tests in verify's cells, the host side: bad input stops the run in one line,
placeholders are filled as cibuildwheel fills them, the project's copy is content-addressed,
the dependency wheels are what the target needs (resolved with its markers, fetched once),
and the test step runs in the cell's venv in a fresh directory holding the test-sources."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import UsageError
from harness.probe import agent as probe_agent
from harness.util.cache import Cache
from harness.util.progress import Progress
from harness.verify import dependency_supply as deps
from harness.verify import given_check, project_tests
from harness.verify.cibw_options import TestOptions
from harness.verify.given_wheels import parse_wheel
from tests.helpers.factories import make_wheel

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


# -- dependency wheels ---------------------------------------------------------------------------


def target(python: str = "3.9") -> deps.Target:
    return deps.Target(python, "x86_64", "glibc", (2, 31))


def test_targets_come_from_the_catalog() -> None:
    (bullseye,) = local_distros("debian-bullseye")
    found = deps.target_of(bullseye)
    assert found == deps.Target("3.9", "x86_64", "glibc", (2, 31))
    assert found.label == "cp39-manylinux_2_31_x86_64"
    platforms = found.platforms()
    assert platforms[0] == "manylinux_2_31_x86_64" and "manylinux2014_x86_64" in platforms
    assert platforms[-2:] == ("manylinux_2_5_x86_64", "manylinux1_x86_64")
    musl = deps.Target("3.12", "aarch64", "musl", (1, 2))
    assert musl.platforms() == (
        "musllinux_1_2_aarch64",
        "musllinux_1_1_aarch64",
        "musllinux_1_0_aarch64",
    )


def test_requirements_are_evaluated_for_the_target_with_the_extras(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "demo-1.0-py3-none-any.whl",
        {"demo.py": ""},
        requires=(
            "numpy>=1.20",
            'tomli; python_version < "3.11"',
            'pytest; extra == "test"',
            'uvloop; sys_platform == "win32"',
            "other-given",
        ),
    )
    other = make_wheel(tmp_path, "other_given-2.0-py3-none-any.whl", {"other_given.py": ""})
    given = [(parse_wheel(wheel), ("test",)), (parse_wheel(other), ())]
    on_39 = deps.requirements_for(target("3.9"), given, ["hypothesis", 'six; python_version>"3"'])
    assert on_39 == ("hypothesis", "numpy>=1.20", "pytest", "six", "tomli")
    on_313 = deps.requirements_for(target("3.13"), given[:1], [])
    assert "tomli" not in on_313 and "pytest" in on_313 and "other-given" in on_313
    assert deps.pins([w for w, _ in given]) == ("demo==1.0", "other-given==2.0")
    with pytest.raises(UsageError, match="test-requires"):
        deps.requirements_for(target(), [], ["not a requirement!"])


def fake_pip(index: Path, calls: list[list[str]]):
    """pip download as far as the cache needs it: copies the named wheels from `index`,
    or fails as pip does for a name it has no wheel of."""

    def run(command: list[str]) -> tuple[int, str]:
        calls.append(command)
        dest = Path(command[command.index("--dest") + 1])
        names = command[command.index("--constraint") + 2 :]
        names = [n for n in names if not n.startswith("--") and "_x86_64" not in n]
        for name in names:
            found = sorted(index.glob(f"{name.split('>')[0].split('=')[0]}-*.whl"))
            if not found:
                return 1, f"ERROR: No matching distribution found for {name}\n"
            (dest / found[0].name).write_bytes(found[0].read_bytes())
        return 0, ""

    return run


def test_a_target_is_fetched_once_and_what_its_wheels_need_is_fetched_too(tmp_path: Path) -> None:
    index = tmp_path / "index"
    make_wheel(index, "pytest-8.0-py3-none-any.whl", {}, requires=('tomli; python_version<"3.11"',))
    make_wheel(index, "tomli-2.0-py3-none-any.whl", {})
    cache = Cache(tmp_path / "cache")
    calls: list[list[str]] = []
    first = deps.fetch_target(cache, target("3.9"), ("pytest",), (), fake_pip(index, calls))
    assert first.directory is not None and first.downloaded == 2 and not first.problem
    assert sorted(p.name for p in first.directory.glob("*.whl")) == [
        "pytest-8.0-py3-none-any.whl",
        "tomli-2.0-py3-none-any.whl",
    ]
    assert len(calls) == 2  # the second round asked for tomli, which pip's markers missed
    again = deps.fetch_target(cache, target("3.9"), ("pytest",), (), fake_pip(index, calls))
    assert (again.directory, again.downloaded, len(calls)) == (first.directory, 0, 2)
    newer = deps.fetch_target(cache, target("3.13"), ("pytest",), (), fake_pip(index, calls))
    assert newer.directory != first.directory and newer.downloaded == 1


def test_a_requirement_without_a_wheel_names_itself_and_is_not_kept(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    calls: list[list[str]] = []
    (tmp_path / "index").mkdir()
    got = deps.fetch_target(
        cache, target(), ("sdist-only",), (), fake_pip(tmp_path / "index", calls)
    )
    assert got.directory is None
    assert got.problem.startswith("sdist-only has no wheel for cp39-manylinux_2_31_x86_64")
    assert not list((tmp_path / "cache" / "wheels").glob("deps-*"))


def test_nothing_needed_fetches_nothing(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    supplied = deps.supply(
        Cache(tmp_path),
        [target()],
        lambda t: (),
        (),
        Progress(),
        fake_pip(tmp_path, calls),
    )
    assert calls == [] and supplied.directories == () and supplied.downloaded == 0


def test_the_download_command_builds_nothing(tmp_path: Path) -> None:
    command = deps.download_command(target(), ["pytest"], tmp_path / "c.txt", tmp_path)
    assert "--only-binary=:all:" in command and command[-1] == "pytest"
    assert command[command.index("--python-version") + 1] == "3.9"


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
