"""A GitHub Actions job played the way the runner plays it, to test a workflow's logic rather
than its strings: steps in order, each step's `if:` evaluated by GitHub's own expression
library (@actions/expressions, through Node) against the job's state at that step, with the
implicit `success() &&` the runner adds when a condition names no status function; `run:`
steps executed by bash in a workspace, as the runner's default shell (`bash -e {0}`) does,
their `$GITHUB_OUTPUT` read back into the `steps` context; a step the machine cannot run
(checkout, an upload, a network install) replaced by a stand-in the test gives, which says
what the real one would have done.

What is not modelled: job-level `if:`, matrices (the test passes the `matrix` context),
`continue-on-error`, `timeout-minutes`, and services."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.helpers import npm_tools

STATUS_FUNCTION = re.compile(r"\b(success|failure|always|cancelled)\s*\(")
HASH_FILES = re.compile(r"hashFiles\(\s*'([^']*)'\s*\)")
TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)

# Evaluates expressions, one request a line on stdin ({expression, context, status, hashes,
# as}), one result a line on stdout (a boolean, or the string coercion with "as": "string";
# {"error": ...} when the library refuses the expression).
_EVALUATE = """\
import { createInterface } from "node:readline";
import { Lexer, Parser, Evaluator, data } from "MODULE/dist/index.js";
import { truthy } from "MODULE/dist/result.js";

function evaluate(request) {
  const status = request.status;
  const fixed = (name, value) => ({
    name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(value),
  });
  const functions = [
    fixed("success", status.success),
    fixed("failure", status.failure),
    fixed("always", true),
    fixed("cancelled", status.cancelled),
    {
      name: "hashFiles", minArgs: 1, maxArgs: 255,
      call: (...patterns) => {
        const key = patterns.map((p) => p.coerceString()).join("\\n");
        if (!(key in request.hashes)) throw new Error("hashFiles(" + key + ") was not prepared");
        return new data.StringData(request.hashes[key]);
      },
    },
  ];
  const lexed = new Lexer(request.expression).lex();
  const parsed = new Parser(lexed.tokens, Object.keys(request.context), functions).parse();
  const context = JSON.parse(JSON.stringify(request.context), data.reviver);
  // the evaluator looks functions up by their lower-cased names, as the language ignores case
  const byName = new Map(functions.map((f) => [f.name.toLowerCase(), f]));
  const result = new Evaluator(parsed, context, byName).evaluate();
  return request.as === "string" ? result.coerceString() : truthy(result);
}

createInterface({ input: process.stdin }).on("line", (line) => {
  let answer;
  try {
    answer = { value: evaluate(JSON.parse(line)) };
  } catch (error) {
    answer = { error: String((error && error.stack) || error) };
  }
  process.stdout.write(JSON.stringify(answer) + "\\n");
});
"""


class Expressions:
    """GitHub's expression language, evaluated by its own library in one Node process."""

    def __init__(self, scratch: Path) -> None:
        module = npm_tools.install(npm_tools.EXPRESSIONS)
        script = scratch / "evaluate.mjs"
        script.write_text(_EVALUATE.replace("MODULE", module.as_posix()), encoding="utf-8")
        self.process = subprocess.Popen(
            [npm_tools.node(), str(script)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        status: Mapping[str, bool],
        hashes: Mapping[str, str],
        *,
        as_string: bool = False,
    ) -> Any:
        request = {
            "expression": expression,
            "context": context,
            "status": status,
            "hashes": hashes,
            "as": "string" if as_string else "boolean",
        }
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"the expression evaluator stopped (exit {self.process.poll()})"
        answer = json.loads(line)
        assert "error" not in answer, f"{expression!r}: {answer['error']}"
        return answer["value"]


@dataclass
class Stand:
    """What a step the machine does not run would have done: its exit code, its outputs,
    and any effect on the workspace."""

    exit_code: int = 0
    outputs: Mapping[str, str] = field(default_factory=dict)
    effect: Callable[[Path], object] | None = None


@dataclass(frozen=True)
class StepRun:
    name: str
    ran: bool
    outcome: str  # success, failure, skipped
    output: str = ""


@dataclass
class JobRun:
    steps: list[StepRun]
    outputs: dict[str, dict[str, str]]  # step id -> its outputs

    def step(self, name: str) -> StepRun:
        (found,) = [s for s in self.steps if s.name == name]
        return found

    @property
    def failed(self) -> bool:
        return any(s.outcome == "failure" for s in self.steps)


def step_name(step: Mapping[str, Any]) -> str:
    return step.get("name") or step.get("uses", "").split("@")[0] or step.get("run", "")


def _hashes(expression: str, workspace: Path) -> dict[str, str]:
    """hashFiles() of each literal pattern in `expression`: "" when nothing matches."""
    hashes = {}
    for pattern in HASH_FILES.findall(expression):
        files = sorted(
            p for p in glob.glob(str(workspace / pattern), recursive=True) if Path(p).is_file()
        )
        digest = hashlib.sha256()
        for path in files:
            digest.update(hashlib.sha256(Path(path).read_bytes()).digest())
        hashes[pattern] = digest.hexdigest() if files else ""
    return hashes


def play(
    job: Mapping[str, Any],
    workspace: Path,
    expressions: Expressions,
    *,
    stands: Mapping[str, Stand],
    env: Mapping[str, str],
    context: Mapping[str, Any] | None = None,
) -> JobRun:
    """Play `job`'s steps in `workspace`; `stands` (by step name) for the steps not run here.
    `env`: the runner's environment (PATH, HOME, GITHUB_STEP_SUMMARY ...)."""
    base_context = dict(context or {})
    outputs: dict[str, dict[str, str]] = {}
    outcomes: dict[str, str] = {}
    runs: list[StepRun] = []
    for step in job["steps"]:
        name = step_name(step)
        failed = any(r.outcome == "failure" for r in runs)
        status = {"success": not failed, "failure": failed, "cancelled": False}
        ctx = {
            **base_context,
            "env": {**base_context.get("env", {})},
            "steps": {
                sid: {"outputs": out, "outcome": outcomes[sid], "conclusion": outcomes[sid]}
                for sid, out in outputs.items()
            },
        }
        job_env = {
            k: _template(v, ctx, status, workspace, expressions)
            for k, v in job.get("env", {}).items()
        }
        ctx["env"].update(job_env)
        condition = str(step.get("if", "success()")).strip()
        inner = TEMPLATE.fullmatch(condition)
        condition = inner.group(1).strip() if inner else condition
        if not STATUS_FUNCTION.search(condition):
            condition = f"success() && ({condition})"
        ran = expressions.evaluate(condition, ctx, status, _hashes(condition, workspace))
        step_id = step.get("id")
        if not ran:
            runs.append(StepRun(name, False, "skipped"))
            if step_id:
                outputs[step_id], outcomes[step_id] = {}, "skipped"
            continue
        step_env = {
            k: _template(str(v), ctx, status, workspace, expressions)
            for k, v in step.get("env", {}).items()
        }
        if name in stands:
            stand = stands[name]
            if stand.effect is not None:
                stand.effect(workspace)
            code, out, text = stand.exit_code, dict(stand.outputs), ""
        else:
            assert "run" in step, f"step {name!r} needs a stand-in: it is not a shell step"
            code, out, text = _run(step["run"], workspace, {**env, **job_env, **step_env})
        outcome = "success" if code == 0 else "failure"
        runs.append(StepRun(name, True, outcome, text))
        if step_id:
            outputs[step_id], outcomes[step_id] = out, outcome
    return JobRun(runs, outputs)


def _template(
    value: str,
    context: Mapping[str, Any],
    status: Mapping[str, bool],
    workspace: Path,
    expressions: Expressions,
) -> str:
    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        hashes = _hashes(inner, workspace)
        return str(expressions.evaluate(inner, context, status, hashes, as_string=True))

    return TEMPLATE.sub(replace, value) if "${{" in value else value


def _run(script: str, workspace: Path, env: Mapping[str, str]) -> tuple[int, dict[str, str], str]:
    """A `run:` step as the runner's default shell runs it; its exit code, outputs, output."""
    github_output = workspace.parent / f"github_output_{os.getpid()}"
    github_output.write_text("")
    path = workspace.parent / "step.sh"
    path.write_text(script, encoding="utf-8")
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        cwd=workspace,
        env={**env, "GITHUB_OUTPUT": str(github_output)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    outputs = dict(
        line.split("=", 1) for line in github_output.read_text().splitlines() if "=" in line
    )
    return proc.returncode, outputs, proc.stdout + proc.stderr
