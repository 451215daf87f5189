"""The harness's modules import each other without a cycle, counting imports made inside
functions too (a deferred import hides a cycle from Python, not from the design); imports
under TYPE_CHECKING are annotations only and do not count."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import harness

ROOT = Path(harness.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def imports_of(tree: ast.AST, modules: set[str]) -> set[str]:
    """The harness modules a module imports ("from harness import x" names module x when x
    is one)."""
    found: set[str] = set()
    pending = [tree]
    while pending:
        for node in ast.iter_child_nodes(pending.pop()):
            if _type_checking_only(node):
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    name = f"{node.module}.{alias.name}"
                    found.add(name if name in modules else node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            pending.append(node)
    return found & modules


def import_graph(root: Path) -> dict[str, set[str]]:
    paths = {module_name(p): p for p in root.rglob("*.py")}
    modules = set(paths)
    return {
        name: imports_of(ast.parse(path.read_text(encoding="utf-8")), modules) - {name}
        for name, path in paths.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles, each as a path that returns to its start (depth-first search)."""
    found: list[list[str]] = []
    state: dict[str, str] = {}  # "open" while on the current path, "done" after

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                found.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = "done"

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return found


def test_cycles_are_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_deferred_imports_count_and_type_checking_ones_do_not() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from harness import b\n"
        "def f():\n    from harness import c\n"
    )
    assert imports_of(tree, {"harness", "harness.b", "harness.c"}) == {"harness.c"}


def test_no_import_cycle_among_harness_modules() -> None:
    graph = import_graph(ROOT)
    assert "harness.cli.dispatch" in graph and "harness.verify.session" in graph
    assert cycles(graph) == []


def test_importing_the_cli_loads_no_engine_elf_reader_or_auditwheel() -> None:
    code = "import sys, harness.cli; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT.parent,
    ).stdout.split()
    heavy = [m for m in loaded if m.split(".")[0] in ("docker", "elftools", "auditwheel")]
    assert heavy == []
    assert "harness.matrix.session" not in loaded and "harness.verify.session" not in loaded
