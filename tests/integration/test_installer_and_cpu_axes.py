"""The installer axis (uv) and the CPU axis (qemu-user CPU models) end to end on x86_64, on
two distros (the oldest and newest Python): the x86-64-v3 control dies with SIGILL on the v1
and v2 models and passes on the host (when the host is v3 or above); c_plain passes on every
level; every uv release installs offline, judged against the same tags, and is recorded with
its version and hashes. About a minute warm: this is the `.ci/run` smoke of both axes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.judge import cpu
from tests.helpers.commands import load_results, run_cli

pytestmark = pytest.mark.xdist_group("local-matrix")

DISTROS = ("debian-bullseye", "debian-forky")


@pytest.mark.skipif(shutil.which("qemu-x86_64-static") is None, reason="needs qemu-user-static")
def test_uv_and_cpu_models_on_x86_64(tmp_path: Path) -> None:
    selection = ["--sample", "x86_64_v3_control", "--sample", "c_plain"]
    for distro in DISTROS:
        selection += ["--distro", distro]
    proc = run_cli(
        "run",
        "--profile",
        "local",
        "--arch",
        "x86_64",
        *selection,
        "--pip",
        "none",
        "--uv",
        "all",
        "--cpu",
        "host,x86-64-v1,x86-64-v2",
        "--results-dir",
        str(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-4000:]
    results = load_results(tmp_path)
    cells = {c["key"]: c for c in results["cells"]}
    assert all(c["as_expected"] for c in cells.values())
    assert results["summary"]["error"] == 0

    host_level = cpu.cell_level(cpu.HOST, results["host"]["cpu_level"])
    for distro in DISTROS:
        control = "x86_64_v3_control@manylinux_2_41"
        for model in ("x86-64-v1", "x86-64-v2"):
            cell = cells[f"{control} [cpu {model}] | x86_64 | {distro} | pip=distro"]
            assert cell["verdict"] == "violation", cell
            assert "SIGILL" in cell["diagnosis"] and model in cell["diagnosis"]
            plain = cells[f"c_plain@manylinux_2_31 [cpu {model}] | x86_64 | {distro} | pip=distro"]
            assert plain["verdict"] == "ok", plain
        on_host = cells[f"{control} | x86_64 | {distro} | pip=distro"]
        assert on_host["verdict"] == ("ok" if host_level >= 3 else "violation"), on_host

        for release in ("latest", "0.4", "0.1"):
            key = f"c_plain@manylinux_2_31 | x86_64 | {distro} | installer=uv-{release}"
            assert cells[key]["verdict"] == "ok", cells[key]
            assert cells[key]["pip_version"].startswith("uv ")
    for release in ("latest", "0.4", "0.1"):
        fetched = results["installers"][f"uv-{release}@x86_64"]
        assert len(fetched["binary_sha256"]) == 64 and fetched["wheel"].startswith("uv-")
