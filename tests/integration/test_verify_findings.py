"""verify applies the static checks to any wheel: hand-made wheels (tests/helpers/crafted,
compiled here) that require an executable stack, or whose grafted library needs a newer glibc
than their tag claims. `verify --static` predicts where each breaks without any container
(with no engine reachable at all); `verify` shows the same findings in the report's static
checks beside the cells, where the loader refuses the first on trixie (glibc 2.41) and the
second on bullseye (glibc 2.31)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.util.engine import Engine
from tests.helpers.commands import left_behind, run_cli, run_verify, verdicts
from tests.helpers.crafted import crafted_wheel

pytestmark = pytest.mark.xdist_group("verify")

EXECSTACK = "mh_crafted_execstack-1.0"
GRAFTED = "mh_crafted_grafted-1.0"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("findings")
    return [crafted_wheel(directory, name) for name in ("execstack", "grafted", "origin")]


def test_static_predicts_where_each_breaks_without_a_container(
    wheels: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "static"
    proc = run_cli(
        "verify",
        "--static",
        *map(str, wheels),
        "--results-dir",
        str(out),
        # no engine at all: --static must not need one
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"},
    )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]  # claims broken
    record = json.loads((out / "static.json").read_text())
    assert {w["status"] for w in record["wheels"]} == {"scanned"}
    rows = {(r["wheel"].split("-cp39")[0], r["kind"]): r for r in record["findings"]}
    stack = rows[(EXECSTACK, "executable-stack")]
    assert stack["file"] == "mh_crafted_execstack.abi3.so" and stack["breaks"] == "glibc >= 2.41"
    assert "debian-trixie" in stack["distros"] and "debian-bookworm" not in stack["distros"]
    grafted = rows[(GRAFTED, "grafted-beyond-claim")]
    assert grafted["file"].startswith("mh_crafted_grafted.libs/libmh_crafted_grafted_helper")
    assert "GLIBC_2.34" in grafted["detail"] and grafted["breaks"] == "glibc < 2.34"
    assert "debian-bullseye" in grafted["distros"] and "debian-bookworm" not in grafted["distros"]
    assert not any(w.startswith("mh_crafted_origin") for w, _ in rows)  # nothing to say of it
    assert (out / "static.md").read_text() in proc.stdout


def test_verify_shows_the_findings_beside_the_loaders_refusals(
    wheels: list[Path], tmp_path: Path, engine: Engine
) -> None:
    out = tmp_path / "verify"
    distros = ("debian-bullseye", "debian-bookworm", "debian-trixie")
    selection = [arg for distro in distros for arg in ("--distro", distro)]
    proc, pid = run_verify(*map(str, wheels[:2]), *selection, "--results-dir", str(out))
    assert proc.returncode == 1, proc.stdout[-4000:] + proc.stderr[-3000:]
    assert not left_behind(engine, pid)
    data, cells = verdicts(out)
    trixie = cells[(EXECSTACK, "debian-trixie")]
    assert trixie["verdict"] == "violation"
    assert "cannot enable executable stack" in trixie["diagnosis"]
    assert trixie["observed"]["execstack_retry"]["status"] == "passed"
    assert cells[(EXECSTACK, "debian-bookworm")]["verdict"] == "ok"
    bullseye = cells[(GRAFTED, "debian-bullseye")]
    assert bullseye["verdict"] == "violation" and "GLIBC_2.34" in bullseye["diagnosis"]
    assert cells[(GRAFTED, "debian-bookworm")]["verdict"] == "ok"
    # the record's inspections are memo.inspect_wheel's: the loader findings are in them
    kinds = {
        name.split("-cp39")[0]: {f["kind"] for f in w["lint"]} for name, w in data["wheels"].items()
    }
    assert "executable-stack" in kinds[EXECSTACK]
    assert "grafted-beyond-claim" in kinds[GRAFTED]
    report = (out / "results.md").read_text()
    static = report.split("### Static checks of the wheels", 1)[1]
    assert "mh_crafted_execstack.abi3.so requires an executable stack" in static
    assert "observed: ok on debian-bookworm, debian-bullseye; violation on debian-trixie" in static
    assert "grafted library libmh_crafted_grafted_helper-0123abcd.so.1 needs GLIBC_2.34" in static
    assert "observed: ok on debian-bookworm, debian-trixie; violation on debian-bullseye" in static
    html = (out / "results.html").read_text()
    assert "requires an executable stack" in html
