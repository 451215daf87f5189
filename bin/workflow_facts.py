#!/usr/bin/env python3
"""The facts docs/github-actions.md states about the workflows, generated from the YAML so
that they cannot drift: the nightly's legs, every artifact the workflows upload, and the
messages the image gate fails or warns with. Each sits in the document between
`<!-- facts:NAME -->` and `<!-- /facts:NAME -->`.

    python3 bin/workflow_facts.py           # exit 1 and name the blocks that differ
    python3 bin/workflow_facts.py --write   # rewrite them in place

tests/unit/test_workflows.py runs the check. Needs PyYAML (the test extra has it)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
DOC = ROOT / "docs" / "github-actions.md"
BLOCK = re.compile(
    r"(<!-- facts:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /facts:(?P=name) -->)", re.S
)
# GitHub keeps an artifact this long when the step does not say (the repository's default).
DEFAULT_RETENTION = "the repository's default (90)"


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the `on` key as a boolean
        data["on"] = data.pop(True)
    return data


def _factors(legs: list[Mapping[str, str]], arch: str) -> str:
    return ", ".join(f"`{leg['policy']}`" for leg in legs if leg["arch"] == arch)


def nightly_legs(nightly: Mapping[str, Any]) -> str:
    legs = nightly["jobs"]["leg"]["strategy"]["matrix"]["include"]
    arches = list(dict.fromkeys(leg["arch"] for leg in legs))
    lines = [
        f"{len(legs)} legs, one per (arch, policy); each runs `python3 -m tox -e ARCH-POLICY`.",
        "",
        "| arch | policies (tox factor) | runner | emulation |",
        "|---|---|---|---|",
    ]
    for arch in arches:
        first = next(leg for leg in legs if leg["arch"] == arch)
        qemu = f"docker/setup-qemu-action (`{first['qemu']}`)" if first["qemu"] else "native"
        lines.append(f"| {arch} | {_factors(legs, arch)} | `{first['runner']}` | {qemu} |")
    return "\n".join(lines) + "\n"


def _placeholders(text: str) -> str:
    """`${{ matrix.env }}` as `{env}`."""
    return re.sub(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", r"{\1}", text)


def artifacts(workflows: Mapping[str, Mapping[str, Any]]) -> str:
    lines = ["| workflow | job | artifact | holds | kept (days) |", "|---|---|---|---|---|"]
    for name, workflow in workflows.items():
        for job_id, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                if not step.get("uses", "").startswith("actions/upload-artifact@"):
                    continue
                options = step["with"]
                artifact = _placeholders(options["name"])
                paths = _placeholders(options["path"]).split()
                holds = ", ".join(f"`{p}`" for p in paths)
                kept = options.get("retention-days", DEFAULT_RETENTION)
                lines.append(f"| `{name}` | `{job_id}` | `{artifact}` | {holds} | {kept} |")
    return "\n".join(lines) + "\n"


def gate_messages(gate: Mapping[str, Any]) -> str:
    """The gate's own error and warning lines: the candidate list's checks (the plan's
    `fail(...)`) and the shell steps' `::error::` / `::warning::` annotations."""
    lines = []
    for job in gate["jobs"].values():
        for step in job.get("steps", []):
            script = step.get("run", "")
            for message in re.findall(r'fail\(f?"(.*?)"\)', script):
                lines.append(f"- error: `{message}`")
            for level, message in re.findall(r'::(error|warning)::(.*?)"?$', script, re.M):
                if not message.startswith("{"):  # the plan's fail() prints the messages above
                    lines.append(f"- {level}: `{message}`")
    return "\n".join(lines) + "\n"


def blocks() -> dict[str, str]:
    workflows = {p.name: load(p.name) for p in sorted(WORKFLOWS.glob("*.yml"))}
    return {
        "nightly-legs": nightly_legs(workflows["nightly.yml"]),
        "artifacts": artifacts(workflows),
        "gate-messages": gate_messages(workflows["image-gate.yml"]),
    }


def render(document: str, generated: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in generated:
            raise SystemExit(f"{DOC}: unknown facts block {name!r}")
        return f"{match.group(1)}{generated[name]}{match.group(4)}"

    return BLOCK.sub(replace, document)


def stale(document: str, generated: Mapping[str, str]) -> list[str]:
    """The blocks whose text is not what the YAML gives (a missing one included)."""
    found = {m["name"]: m["body"] for m in BLOCK.finditer(document)}
    return [name for name, text in generated.items() if found.get(name) != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the blocks in place")
    args = parser.parse_args(argv)
    document = DOC.read_text(encoding="utf-8")
    generated = blocks()
    if args.write:
        DOC.write_text(render(document, generated), encoding="utf-8")
        missing = [n for n in generated if f"<!-- facts:{n} -->" not in document]
        if missing:
            print(f"{DOC}: no place for {', '.join(missing)}: add <!-- facts:NAME --> markers")
            return 1
        return 0
    differing = stale(document, generated)
    if differing:
        print(
            f"{DOC}: {', '.join(differing)} differ from the workflows: "
            "python3 bin/workflow_facts.py --write"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
