"""benchmarks/cell_cost.py runs end to end: three ways, the same cells, checks passing, and
nothing left running. It measures nothing here; timings are only required to exist."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from harness.util.engine import Engine
from harness.util.ownership import LABEL, LABEL_OWNER, owner_token
from tests.helpers.commands import REPO, run_cli

pytestmark = pytest.mark.xdist_group("benchmark")

BENCHMARK = REPO / "benchmarks" / "cell_cost.py"
CELLS = 3


def load_benchmark() -> ModuleType:
    # benchmarks/ is a directory of scripts, not a package: load the file itself.
    spec = importlib.util.spec_from_file_location("cell_cost", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def our_containers(engine: Engine) -> set[str]:
    """Labelled containers this process owns: the engine is shared with other runs, whose
    containers are theirs to remove."""
    token = owner_token()
    return {c.name for c in engine.labelled({LABEL: "1"}) if c.labels.get(LABEL_OWNER) == token}


def build_wheels(tmp_path: Path) -> None:
    """On a cold cache (this test may run before the matrix tests fill it), build what the
    benchmark asks for, the way its message tells a user to."""
    proc = run_cli(
        "run",
        "--profile",
        "local",
        "--arch",
        "x86_64",
        "--sample",
        "c_plain",
        "--distro",
        "debian-bookworm",
        "--offer",
        "none",
        "--results-dir",
        str(tmp_path / "prebuild"),
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def run_benchmark(
    bench: ModuleType, out: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    code = bench.main(["--distros", "debian-bookworm", "--cells", str(CELLS), "--json", str(out)])
    printed = capsys.readouterr()
    return code, printed.out + printed.err


def test_three_ways_measure_the_same_cells(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = load_benchmark()
    before = our_containers(engine)
    out = tmp_path / "bench.json"
    code, printed = run_benchmark(bench, out, capsys)
    if code == bench.NO_WHEELS_EXIT and not out.exists():
        build_wheels(tmp_path)
        code, printed = run_benchmark(bench, out, capsys)
    assert our_containers(engine) - before == set(), "the benchmark left containers behind"
    assert code == 0, printed
    result = json.loads(out.read_text())
    ways = result["ways"]
    assert set(ways) == {"naive", "floor", "harness"}
    for way, data in ways.items():
        cells = data["cells"]
        assert len(cells) == CELLS, (way, cells)
        assert all(c["seconds"] > 0 for c in cells), (way, cells)
        # passed: pip installed it, the import worked and the sample's check agreed
        assert all(c["passed"] for c in cells), (way, [c["detail"] for c in cells])
    harness_phases = [c["phases"] for c in ways["harness"]["cells"]]
    assert all(p["pip"] > 0 and p["import"] > 0 for p in harness_phases), harness_phases
    # the same cells, in the same order, every way
    assert len({tuple(c["wheel"] for c in data["cells"]) for data in ways.values()}) == 1
    assert "harness/floor" in printed and "naive/harness" in printed
