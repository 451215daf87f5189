"""Everything shipped into distro containers parses (and avoids known run-time traps) on the
oldest interpreter a catalog row can present; the catalogs keep that promise.

A grammar check alone misses run-time features (annotations evaluated at import, zip(strict=)),
so a few of those are looked for in the AST too; tests/integration/test_probe_oldest.py runs
the agent and its tag logic on bullseye's real Python 3.9.
"""

from __future__ import annotations

import re

import pytest

from harness.catalog.model import default_catalog
from harness.catalog.samples import default_samples_dir, discover
from harness.probe import agent as probe_agent
from harness.probe import deps as probe_deps
from harness.probe.deps import too_new
from harness.probe.distro_probe import AGENT_SOURCES
from harness.util.cache import Cache, default_cache_dir
from harness.verify.given_check import CHECK_SCRIPT


def shipped_sources() -> dict[str, str]:
    """Every piece of Python the probe runs inside a container, by a readable name."""
    # every file the probe copies into a container beside the agent
    sources = {path.name: path.read_text(encoding="utf-8") for path in AGENT_SOURCES}
    sources["probe_agent.RUNNER"] = probe_agent.RUNNER
    sources["verify_check.py"] = CHECK_SCRIPT
    for sample in discover(default_samples_dir()):
        sources[f"sample_projects/{sample.name}/{sample.check}"] = sample.check_path.read_text(
            encoding="utf-8"
        )
    library = probe_deps.probe_library(Cache(default_cache_dir()))
    for path in sorted(library.rglob("*.py")):
        sources[f"probe-lib/{path.relative_to(library)}"] = path.read_text(encoding="utf-8")
    return sources


@pytest.mark.parametrize("name", sorted(shipped_sources()))
def test_shipped_file_runs_on_the_oldest_python(name: str) -> None:
    assert too_new(shipped_sources()[name], probe_deps.OLDEST_PYTHON) == []


def test_the_shipped_library_is_the_pinned_one() -> None:
    library = probe_deps.probe_library(Cache(default_cache_dir()))
    init = (library / "packaging" / "__init__.py").read_text(encoding="utf-8")
    (pin,) = [p for p in probe_deps.pinned() if p.name == "packaging"]
    assert f'__version__ = "{pin.version}"' in init


@pytest.mark.parametrize(
    "snippet, reason",
    [
        ("match x:\n    case 1:\n        pass\n", "Pattern matching"),
        ("if (n := 3):\n    pass\n", ""),
        ("def f(a: int | None) -> None:\n    pass\n", "annotation needs 3.10"),
        ("list(zip([1], [2], strict=True))\n", "zip(strict=)"),
        ("try:\n    pass\nexcept TimeoutError:\n    pass\n", "misses socket.timeout"),
    ],
)
def test_the_check_catches_what_the_oldest_python_lacks(snippet: str, reason: str) -> None:
    oldest = (3, 9) if reason else (3, 7)  # the walrus is 3.8
    problems = too_new(snippet, oldest)
    assert problems, snippet
    assert reason in problems[0]
    assert too_new(snippet, (3, 11)) == []


def test_a_lazy_annotation_is_fine() -> None:
    source = "from __future__ import annotations\ndef f(a: int | None) -> None:\n    pass\n"
    assert too_new(source, (3, 9)) == []


def test_the_agent_and_the_harness_agree_on_the_oldest_python() -> None:
    assert probe_agent.OLDEST_PYTHON == probe_deps.OLDEST_PYTHON


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2])


def test_every_catalog_row_presents_at_least_the_oldest_python() -> None:
    catalog = default_catalog()
    oldest = probe_deps.OLDEST_PYTHON
    for suite in catalog.suites.values():
        assert _version(suite.python) >= oldest, suite.name
    portable = catalog.recipes["portable-python"]
    assert f"sys.version_info >= {oldest}" in " ".join(portable["steps"])
    for row in catalog.distro_rows:
        python = row.get("python")
        if python is None or _version(python) >= oldest or row.get("skip_reason"):
            continue
        recipes = row["recipe"] if isinstance(row["recipe"], list) else [row["recipe"]]
        assert "portable-python" in recipes, (
            f"{row['name']}: python {python} < {oldest} and no portable-python recipe"
        )


def test_the_requirements_file_is_exact_and_hashed() -> None:
    pins = probe_deps.parse_requirements(
        "# comment\npackaging==25.0 --hash=sha256:" + "a" * 64 + "\n"
    )
    assert pins == (probe_deps.PinnedWheel("packaging", "25.0", "a" * 64),)
    with pytest.raises(probe_deps.HarnessError, match="NAME==VERSION"):
        probe_deps.parse_requirements("packaging>=25\n")
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.sha256) for p in probe_deps.pinned())
