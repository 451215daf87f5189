"""The matrix's pytest plugin in real pytest sessions (pytester): the controller's one line per
finished cell instead of pytest's per-test output, with and without xdist; the three outcomes
as pytest's; the plugin inert without --profile. The harness session behind the controller is
a stand-in that answers from a table (no images, containers or Docker); everything of pytest
and of the plugin is real. The matrix with a real session is tests/integration's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

# A conftest that registers the real MatrixController over a harness session that answers
# from a table: the cells are real plan cells (c_plain on bullseye, three installers).
CONFTEST = """
import dataclasses

from harness.catalog.model import default_catalog
from harness.catalog.samples import default_samples_dir, discover
from harness.matrix.plan import Selection, make_plan
from harness.pytest_plugin import PLUGIN_NAME, MatrixController, MatrixWorker
from harness.results import record as results
from harness.vocab.installer import Installer
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, record

VERDICTS = {"pip=distro": Verdict.OK, "pip=19.3": Verdict.VIOLATION, "installer=uv-latest": Verdict.ERROR}


class TableSession:
    def __init__(self, results_dir):
        samples = [s for s in discover(default_samples_dir()) if s.name == "c_plain"]
        selection = Selection(
            "local",
            arches=("x86_64",),
            policies=("2_31",),
            distros=("debian-bullseye",),
            pips=(Installer.pip("19.3"),),
            uvs=(Installer.uv("latest"),),
            offers=("none",),
        )
        self.plan = make_plan(selection, default_catalog(), samples)
        self.results_dir = results_dir
        self.measured = []

    def prepare(self, progress, jobs=2):
        progress.line("prepared nothing (a table)")

    def run_cell(self, cell_, worker="main"):
        verdict = VERDICTS[cell_.key.rsplit("| ", 1)[1]]
        made = cell(
            cell_.row,
            cell_.distro.name,
            verdict,
            as_expected=verdict is Verdict.OK,
            key=cell_.key,
            installer=cell_.installer,
            pip_version="20.3.4",
        )
        results.append_cell(self.results_dir, worker, made)
        return made

    def sweep(self):
        return []

    def close(self):
        pass

    def run_record(self, interrupted=False):
        return record(results.read_cells(self.results_dir), interrupted=interrupted)


def pytest_configure(config):
    kind = MatrixWorker if hasattr(config, "workerinput") else MatrixController
    config.pluginmanager.register(kind(config, TableSession(config.rootpath / "results")), PLUGIN_NAME)
"""

CELLS = """
from harness.matrix.cells import test_cell  # noqa: F401
"""

OTHERS = """
def test_not_a_cell():
    pass
"""

LINE = re.compile(r"^\[(\d)/3\] (\S+) +(.+) \d+\.\d s$", re.M)


def _run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str
) -> pytest.RunResult:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_cells=CELLS)
    # The stand-in imports the test helpers of this checkout.
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    return pytester.runpytest_subprocess(
        "-p", "harness.pytest_plugin", "-p", "no:cacheprovider", *args
    )


@pytest.mark.parametrize(
    "options", [("-p", "no:xdist"), ("-n", "2", "--dist", "loadgroup")], ids=["alone", "xdist"]
)
def test_one_line_per_finished_cell_and_the_three_outcomes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, options: tuple[str, ...]
) -> None:
    result = _run(
        pytester, monkeypatch, "-q", "-rfE", "--junitxml", "junit.xml", *options, "test_cells.py"
    )
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out
    found = [m.groups() for m in map(LINE.match, out.splitlines()) if m]
    assert sorted(int(n) for n, _, _ in found) == [1, 2, 3], out
    assert {(verdict, label) for _, verdict, label in found} == {
        ("ok", "c_plain@manylinux_2_31 on debian-bullseye (pip 20.3.4)"),
        ("violation", "c_plain@manylinux_2_31 on debian-bullseye (pip 19.3)"),
        ("error", "c_plain@manylinux_2_31 on debian-bullseye (uv latest)"),
    }
    # The claim broke: failed; could not tell: an error, never a failure or a pass.
    result.assert_outcomes(passed=1, failed=1, errors=1)
    assert "PASSED" not in out.split("=")[0]
    result.stdout.fnmatch_lines(
        [
            # the short summary names the verdict where pytest would say FAILED
            "VIOLATION test_cells.py::test_cell[[]c_plain-manylinux_2_31-x86_64-debian-bullseye-pip19.3]*",
            "ERROR test_cells.py::test_cell[[]c_plain-manylinux_2_31-x86_64-debian-bullseye-uv-latest]*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["could not tell c_plain@manylinux_2_31 | * | installer=uv-latest: *"]
    )
    assert "Unknown pytest.mark.xdist_group" not in out
    # The controller assembled the record and the reports at the end.
    assert (pytester.path / "results" / "results.json").is_file()
    result.stdout.fnmatch_lines(["*manylinux-harness matrix*", "results: *results.json"])
    assert (
        'name="test_cell[c_plain-manylinux_2_31-x86_64-debian-bullseye]'
        in (pytester.path / "junit.xml").read_text()
    )


def test_without_profile_the_plugin_does_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_others=OTHERS)
    result = pytester.runpytest_subprocess(
        "-p", "harness.pytest_plugin", "-p", "no:cacheprovider", "-v", "test_others.py"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["test_others.py::test_not_a_cell PASSED*"])
    assert not LINE.search(result.stdout.str())


def test_a_bad_selection_is_one_usage_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The checkout's samples (an installed harness finds them from the working directory).
    samples = Path(__file__).resolve().parents[2] / "sample_projects"
    monkeypatch.setenv("MANYLINUX_HARNESS_SAMPLES", str(samples))
    pytester.makepyfile(test_cells=CELLS)
    result = pytester.runpytest_subprocess(
        "-p",
        "harness.pytest_plugin",
        "-p",
        "no:cacheprovider",
        "--profile",
        "local",
        "--arch",
        "sparc",
        "test_cells.py",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown architecture 'sparc'*"])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


# The matrix relies on pytest-xdist's --dist loadgroup (one distro container per worker);
# pytest 9.2 broke it silently for xdist <= 3.8. This guards the pinned combination.
GROUPED = """
import os, pytest

@pytest.mark.parametrize("n", range(6))
@pytest.mark.xdist_group("one-distro")
def test_grouped(n):
    with open(os.environ["WORKER_LOG"], "a") as log:
        log.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")

@pytest.mark.parametrize("n", range(6))
def test_free(n):
    pass
"""


def test_loadgroup_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouping.py").write_text(GROUPED)
    log = tmp_path / "workers.log"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_grouping.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"WORKER_LOG": str(log), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    workers = log.read_text().split()
    assert len(workers) == 6
    assert len(set(workers)) == 1, f"grouped tests ran on {sorted(set(workers))}"
