"""pytest plugin: the matrix as tests, one per cell, so that -k, -x, xdist and JUnit work.

Matrix mode is on when --profile is given; then pytest_configure registers one plugin object:
a MatrixController in the controller (or the only process, without xdist), which prepares
images and wheels at session start with visible progress, shows one line per finished cell and
assembles results.json and the reports at the end; or a MatrixWorker in each xdist worker,
which probes the cells of the groups it is given (cells are grouped by distro and installer,
and a worker keeps one container per distro it probes). Each cell's record is appended to the
results the moment it is measured. Without --profile the plugin does nothing.

Outcomes map onto pytest's: a cell that holds its claim (or the declared verdict) passes; a
broken claim fails; a cell the harness could not tell is an ERROR, never a pass or a failure.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest

from harness import options, report
from harness.errors import ExitCode, HarnessError
from harness.images.candidate import CandidateImage
from harness.judge.cpu import parse_cpus
from harness.judge.installers import default_pips, parse_pips
from harness.judge.uv import default_uvs, parse_uvs
from harness.matrix.plan import Cell, Plan, Selection
from harness.matrix.session import Session
from harness.report.publish import publish
from harness.results import gate
from harness.results import record as results
from harness.results.destination import check_results_dir
from harness.runner.prepared import STOPPED
from harness.settings import Settings
from harness.util import progress
from harness.util.cache import usable_cache_dir
from harness.util.container import install_termination_handlers
from harness.util.ownership import start_run
from harness.util.progress import CellLabel, Progress
from harness.util.wheel_zip import WheelLimits
from harness.vocab.verdict import Verdict

# The harness's exit codes as pytest's, for a session that stops on a harness error (what a
# user running pytest directly sees). Mapped, never assumed equal: pytest's 2 is
# "interrupted", the harness's "usage". cli.run maps back.
TO_PYTEST = {
    ExitCode.HELD: pytest.ExitCode.OK,
    ExitCode.BROKEN: pytest.ExitCode.TESTS_FAILED,
    ExitCode.USAGE: pytest.ExitCode.USAGE_ERROR,
    ExitCode.NOT_TOLD: pytest.ExitCode.INTERNAL_ERROR,
    ExitCode.INTERRUPTED: pytest.ExitCode.INTERRUPTED,
}
PLUGIN_NAME = "manylinux-harness-matrix"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("manylinux-harness", "manylinux-harness matrix")
    # --profile switches matrix mode on, so here it has no default.
    profile = options.option(
        "profile", default=None, help="run the matrix of this catalog profile (matrix mode)"
    )
    options.add_options(
        group.addoption, [profile if name == "profile" else name for name in options.MATRIX]
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("profile", default=None) is None:
        return
    install_termination_handlers()
    worker = hasattr(config, "workerinput")
    if not worker:
        start_run()  # fixed before xdist starts workers, which inherit it
    try:
        session = matrix_session(config)
        if not worker:
            check_inputs(config)
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    plugin = MatrixWorker(config, session) if worker else MatrixController(config, session)
    config.pluginmanager.register(plugin, PLUGIN_NAME)


def matrix_session(config: pytest.Config) -> Session:
    """The harness session the matrix options select."""
    settings = dataclasses.replace(
        Settings.from_options(
            engines=config.getoption("engine"),
            registry_mirrors=config.getoption("registry_mirror"),
            catalogs=config.getoption("catalog"),
            wheel_limits=WheelLimits.from_options(
                config.getoption("max_unpacked_mib"), config.getoption("max_compression_ratio")
            ),
            container_memory=config.getoption("container_memory"),
            container_pids=config.getoption("container_pids"),
        ),
        emulation_factor=config.getoption("emulation_factor"),
    )
    if config.getoption("cache_dir"):
        settings = dataclasses.replace(settings, cache_dir=config.getoption("cache_dir"))
    selection = Selection(
        profile=config.getoption("profile"),
        arches=tuple(config.getoption("arch")),
        policies=tuple(config.getoption("policy")),
        distros=tuple(config.getoption("distro")),
        samples=tuple(config.getoption("sample")),
        pips=parse_pips(config.getoption("pip")) if config.getoption("pip") else default_pips(),
        uvs=parse_uvs(config.getoption("uv")) if config.getoption("uv") else default_uvs(),
        cpus=parse_cpus(config.getoption("cpu")),
        candidates=tuple(
            CandidateImage.parse(text) for text in config.getoption("candidate_image")
        ),
    )
    samples_dir = config.getoption("samples_dir")
    return Session(
        settings,
        selection,
        Path(config.getoption("results_dir")).resolve(),
        Path(samples_dir) if samples_dir else None,
    )


def check_inputs(config: pytest.Config) -> None:
    """What the session reads or writes at its end, checked before the first image (as
    `manylinux-harness run` does for its users)."""
    check_results_dir(Path(config.getoption("results_dir")))
    if config.getoption("cache_dir"):
        usable_cache_dir(Path(config.getoption("cache_dir")))
    if config.getoption("baseline"):
        try:
            results.load(config.getoption("baseline"))
        except HarnessError as exc:
            raise HarnessError(f"--baseline: {exc}") from None


def cell_labels(plan: Plan) -> dict[str, CellLabel]:
    """The plan's cells by test id, as the progress lines name them (with the arch when the
    run has several)."""
    several_arches = len({cell.arch for cell in plan.cells}) > 1
    return {
        cell.test_id: CellLabel(
            cell.row,
            f"{cell.distro.name} {cell.arch}" if several_arches else cell.distro.name,
            cell.installer,
        )
        for cell in plan.cells
    }


def worker_id(config: pytest.Config) -> str:
    return getattr(config, "workerinput", {}).get("workerid", "main")


class MatrixWorker:
    """The cells as tests: collection from the plan, the fixture that measures a cell, the
    verdict in the report's words. What every process of a matrix run has."""

    def __init__(self, config: pytest.Config, session: Session) -> None:
        self.config = config
        self.session = session
        # Known without pytest-xdist too (-p no:xdist), where it only orders nothing.
        config.addinivalue_line(
            "markers", "xdist_group(name): the cells of one distro and installer, one worker"
        )

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "cell" not in metafunc.fixturenames:
            return
        params = []
        for cell in self.session.plan.cells:
            marks = [pytest.mark.xdist_group(cell.group)]
            if cell.distro.skip_reason:
                marks.append(
                    pytest.mark.skip(reason=f"{cell.distro.name}: {cell.distro.skip_reason}")
                )
            params.append(pytest.param(cell, id=cell.test_id, marks=marks))
        metafunc.parametrize("cell", params)

    @pytest.fixture(scope="session")
    def harness(self) -> Iterator[Session]:
        yield self.session
        self.session.close()  # the distro containers of this process

    @pytest.fixture
    def cell_record(
        self, cell: Cell, harness: Session, request: pytest.FixtureRequest
    ) -> results.CellRecord:
        record = harness.run_cell(cell, worker_id(request.config))
        request.node.user_properties += [
            ("cell", record.key),
            ("verdict", record.verdict.value),
            ("explanation", record.explanation),
        ]
        if record.pip_version:
            request.node.user_properties.append(("pip_version", record.pip_version))
        if record.diagnosis:
            request.node.user_properties.append(("diagnosis", record.diagnosis))
        if record.verdict is Verdict.ERROR:
            # Failing in the fixture makes pytest report an ERROR (could not tell), never a
            # failed claim; one line, without this plugin's source around it.
            pytest.fail(f"could not tell {record.key}: {record.explanation}", pytrace=False)
        return record

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> Generator[None, Any, Any]:
        status = yield
        if report.when != "call":
            return status
        verdict = str(dict(report.user_properties).get("verdict", ""))
        if not verdict:
            return status
        if report.passed:
            return "passed", ".", (verdict.upper(), {"green": True})
        if report.failed:
            return "failed", "F", (verdict.upper(), {"red": True})
        return status


class MatrixController(MatrixWorker):
    """The controller (or the only process): preparation at session start, one progress line
    per finished cell in place of pytest's per-test output, and the record, reports and
    gate at the end. Workers' reports reach it through pytest_runtest_logreport; the verdict
    and the measured pip travel in the reports' user_properties."""

    def __init__(self, config: pytest.Config, session: Session) -> None:
        super().__init__(config, session)
        self._progress = CellProgress(config, cell_labels(session.plan))
        self._record: results.RunRecord | None = None
        self._gate: gate.GateResult | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        lines = Progress(write=terminal.write_line if terminal else None)
        plan = self.session.plan
        lines.line(
            f"matrix ({plan.selection.profile}): {len(plan.cells)} cells from {len(plan.builds)} "
            f"wheel builds, {len(plan.build_images)} build images, {len(plan.distros)} distros"
        )
        try:
            self.session.prepare(lines, jobs=self.config.getoption("prepare_jobs"))
        except HarnessError as exc:
            self.stop(exc)

    def stop(self, error: HarnessError, context: str = "") -> NoReturn:
        """End the session on a harness error. The reason and the error's exit code go to the
        results dir first, where `manylinux-harness run` reads them: pytest's own exit codes
        are not the harness's."""
        reason = f"{context}{error}"
        with contextlib.suppress(OSError):  # a full disk: `run` then finds no new record
            results.write_state(
                self.session.results_dir,
                STOPPED,
                {"reason": reason, "exit_code": int(error.exit_code)},
            )
        pytest.exit(f"manylinux-harness: {reason}", returncode=TO_PYTEST[error.exit_code])

    # -- one line per cell ---------------------------------------------------------------------

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._progress.count(item.nodeid for item in session.items)  # without xdist

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: Sequence[str]) -> None:
        self._progress.count(ids)  # each worker collects the same tests

    @pytest.hookimpl(wrapper=True)
    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> Generator[None, Any, Any]:
        status = yield from super().pytest_report_teststatus(report, config)
        if self._progress.live and self._progress.label(report.nodeid) is not None:
            return status[0], "", ""  # counted in the summary's category, not printed
        return status

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._progress.finished(report)

    # -- the end -------------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._progress.live = False  # the summary keeps pytest's words
        harness = self.session
        harness.sweep()
        record = harness.run_record(interrupted=exitstatus == pytest.ExitCode.INTERRUPTED)
        gate_markdown = ""
        baseline = self.config.getoption("baseline")
        failed: HarnessError | None = None
        if baseline:
            try:
                earlier = results.load(baseline)
                outcome = gate.compare(earlier, record)
                gate.require_common(outcome, earlier, record)
            except HarnessError as exc:
                failed = exc  # checked at the start; changed since: the record is written first
            else:
                self._gate = outcome
                gate_markdown = gate.render_markdown(outcome)
                if not outcome.passed:
                    session.exitstatus = pytest.ExitCode.TESTS_FAILED
        try:
            publish(record, harness.results_dir, extra_markdown=gate_markdown)
        except HarnessError as exc:  # a full disk: the earlier record is kept, one line says so
            self.stop(exc)
        self._record = record
        if failed is not None:
            self.stop(failed, "--baseline: ")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self._record is None:
            return
        results_dir = self.session.results_dir
        terminalreporter.section("manylinux-harness matrix")
        for line in report.render_markdown(self._record).splitlines():
            terminalreporter.write_line(line)
        terminalreporter.write_line("")
        terminalreporter.write_line(f"results: {results_dir / 'results.json'}")
        terminalreporter.write_line(f"report:  {results_dir / 'results.md'}")
        terminalreporter.write_line(f"html:    {results_dir / 'results.html'}")
        if self._gate is not None:
            terminalreporter.section("manylinux-harness gate (against --baseline)")
            for line in gate.render_text(self._gate).splitlines():
                terminalreporter.write_line(line)


class CellProgress:
    """`[n/N] verdict  wheel@image on distro (pip) 1.2 s` per finished cell, counted over the
    cells collected (after -k and the like); the labels come from the controller's own plan."""

    def __init__(self, config: pytest.Config, labels: Mapping[str, CellLabel]) -> None:
        self._config = config
        self._labels = labels
        self._total = 0
        self._done = 0
        # node id -> setup + call: the probe runs in cell_record's setup; a teardown may close
        # the worker's containers, which is not the cell's time
        self._seconds: dict[str, float] = {}
        self._outcomes: dict[str, set[str]] = {}  # node id -> its phases' outcomes
        self.live = True  # off once the tests ran

    def label(self, nodeid: str) -> CellLabel | None:
        test_id = progress.cell_test_id(nodeid)
        return None if test_id is None else self._labels.get(test_id)

    def count(self, nodeids: Iterable[str]) -> None:
        self._total = sum(1 for nodeid in nodeids if self.label(nodeid) is not None)

    def finished(self, report: pytest.TestReport) -> None:
        label = self.label(report.nodeid)
        if label is None:
            return
        nodeid = report.nodeid
        self._outcomes.setdefault(nodeid, set()).add(report.outcome)
        if report.when in ("setup", "call"):
            self._seconds[nodeid] = self._seconds.get(nodeid, 0.0) + report.duration
            return  # a cell finishes with its teardown (or xdist's report of a crashed worker)
        self._done += 1
        outcomes = self._outcomes.pop(nodeid)
        seconds = self._seconds.pop(nodeid, 0.0)
        properties = dict(report.user_properties)
        if "failed" in outcomes:
            fallback, colour = Verdict.ERROR.value, "red"
        elif "skipped" in outcomes:
            fallback, colour = progress.SKIPPED, "yellow"
        else:
            fallback, colour = "passed", "green"
        line = progress.cell_line(
            self._done,
            self._total,
            str(properties.get("verdict") or fallback),
            label.text(str(properties.get("pip_version", ""))),
            seconds,
        )
        terminal = self._config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_line(line, **{colour: True})
