"""The installer axis (uv) and the CPU axis (qemu-user CPU models) end to end on x86_64, on
two distros (the oldest and newest Python): the x86-64-v3 control dies with SIGILL on the v1
and v2 models and passes on the host (when the host is v3 or above); c_plain passes on every
level; every uv release installs offline, judged against the same tags, and is recorded with
its version and hashes. The samples' offers (several wheels of one version) run on the same
axes: the selection axis's smoke. Then verify of the same wheels on the same axes gives the
same verdicts, cell for cell. About two minutes warm: this is the `.ci/run` smoke of the
installer, CPU and selection axes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.judge import cpu
from tests.helpers.commands import load_results, run_cli
from tests.helpers.factories import make_wheel

pytestmark = pytest.mark.xdist_group("local-matrix")

DISTROS = ("debian-bullseye", "debian-forky")
# What the samples' checks compute, as one command for every set (a set imports what it has).
CHECK = (
    "python -c 'import importlib, struct\n"
    'for name in ("x86_64_v3_control", "c_plain"):\n'
    "    try:\n"
    "        m = importlib.import_module(name)\n"
    "    except ImportError:\n"
    "        continue\n"
    '    if name == "c_plain":\n'
    "        assert m.fib(10) == 55\n"
    "    else:\n"
    '        assert m.sum_u32(struct.pack("<9I", *range(9))) == 36\n\''
)


needs_qemu = pytest.mark.skipif(
    shutil.which("qemu-x86_64-static") is None, reason="needs qemu-user-static"
)


@pytest.fixture(scope="module")
def axes_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The matrix of the two samples on both axes (and two pips of the pip axis)."""
    results_dir = tmp_path_factory.mktemp("axes")
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
        "19.0",
        "--pip",
        "latest",
        "--uv",
        "all",
        "--cpu",
        "host,x86-64-v1,x86-64-v2",
        "--results-dir",
        str(results_dir),
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-4000:]
    return {**load_results(results_dir), "_dir": str(results_dir)}


@needs_qemu
def test_uv_and_cpu_models_on_x86_64(axes_run: dict) -> None:
    results = axes_run
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


@needs_qemu
def test_which_wheel_each_installer_picks_from_an_offer(axes_run: dict) -> None:
    """Each offer on both distros with every installer of the axis: the newer policy's build
    where its tag fits, a cp3X wheel on its own Python and the abi3 one elsewhere, the build
    tag deciding between builds whose tags are alike (the x86-64-v3 one, a wrong pick below
    x86-64-v3), each pick set against packaging's tag priority; and the report's tables."""
    offers = [c for c in axes_run["cells"] if c["selection"]]
    assert offers and all(c["as_expected"] for c in offers), [
        c["key"] for c in offers if not c["as_expected"]
    ]
    by_place = {(c["selection"]["offer"], c["distro"], c["installer"], c["cpu"]): c for c in offers}

    def pick(offer: str, distro: str, installer: str = "distro", cpu: str = "host") -> dict:
        return by_place[(offer, distro, installer, cpu)]["selection"]

    policies = "c_plain: policies"
    for installer in ("distro", "latest", "uv-latest"):
        assert "manylinux_2_41" in pick(policies, "debian-forky", installer)["picked"]
        assert "manylinux_2_41" not in pick(policies, "debian-bullseye", installer)["picked"]
    # pip 19.0 knows neither tag: both builds rank by manylinux1 alone, a tie
    old_pip = pick(policies, "debian-bullseye", "19.0")
    assert len(old_pip["predicted"]) == 2 and old_pip["agrees"] is True

    mixed = "c_plain: abi3-and-cp3X"
    assert "-cp39-cp39-" in pick(mixed, "debian-bullseye")["picked"]
    assert "-cp39-abi3-" in pick(mixed, "debian-forky", "uv-latest")["picked"]  # no cp314 wheel

    levels = "x86_64_v3_control: cpu-levels"
    for distro in DISTROS:
        for installer in ("distro", "latest", "uv-latest", "uv-0.4"):
            chosen = pick(levels, distro, installer)
            assert "-1.0.0-1-" in chosen["picked"] and chosen["agrees"] is True, chosen
        # uv 0.1 departs from tag priority: it takes the wheel without a build tag
        assert pick(levels, distro, "uv-0.1")["agrees"] is False
        for model in ("x86-64-v1", "x86-64-v2"):
            wrong = by_place[(levels, distro, "distro", model)]
            assert wrong["verdict"] == "violation" and "SIGILL" in wrong["diagnosis"]
            assert wrong["explanation"].startswith("a wrong pick: pip preferred mh_x86_64_v3")
    markdown = (Path(axes_run["_dir"]) / "results.md").read_text()
    assert "several wheels offered for one version: what each one buys and costs" in markdown
    assert "differ only by the build tag" in markdown
    html = (Path(axes_run["_dir"]) / "results.html").read_text()
    assert 'class="offer-worth"' in html and 'class="offer-picks"' in html


@needs_qemu
def test_verify_gives_given_wheels_every_axis_with_the_matrixs_verdicts(
    axes_run: dict, tmp_path: Path
) -> None:
    """verify of the matrix's own c_plain and x86-64-v3 wheels, with run's axis values and a
    --check that computes with them as the samples' checks do: the same verdict as the matrix
    wherever both have the cell (the x86-64-v3 code dies on the v2 model in the check's own
    process too); a musllinux wheel beside them is refused on these glibc distros for being
    musl."""
    given = tmp_path / "given"
    given.mkdir()
    wanted = (
        "c_plain[default]@manylinux_2_31-x86_64",
        "x86_64_v3_control[default]@manylinux_2_41-x86_64",
    )
    for key in wanted:
        for wheel in axes_run["builds"][key]["wheels"]:
            shutil.copy(wheel, given)
    musl = make_wheel(
        given, "muslonly-1.0-cp39-abi3-musllinux_1_2_x86_64.whl", {"muslonly.py": "X = 1\n"}
    )
    out = tmp_path / "verify"
    selection = [arg for distro in DISTROS for arg in ("--distro", distro)]
    proc = run_cli(
        "verify",
        str(given),
        *selection,
        "--pip",
        "19.0",
        "--pip",
        "latest",
        "--uv",
        "all",
        "--cpu",
        "host,x86-64-v2",
        "--check",
        CHECK,
        "--results-dir",
        str(out),
    )
    verified = load_results(out)
    assert proc.returncode in (0, 1), proc.stdout[-4000:] + proc.stderr[-3000:]
    assert verified["summary"]["error"] == 0, proc.stdout[-4000:]

    def twin(matrix_cell: dict) -> dict:
        """The verify cell of the same wheel, distro, installer and CPU model."""
        (wheel,) = matrix_cell["members"][0]["wheels"]
        found = [
            cell
            for cell in verified["cells"]
            if cell["members"][0]["wheels"] == [wheel]
            and (cell["distro"], cell["installer"], cell["cpu"])
            == (matrix_cell["distro"], matrix_cell["installer"], matrix_cell["cpu"])
        ]
        assert len(found) == 1, matrix_cell["key"]
        return found[0]

    # Every matrix cell of these wheels on the axes verify was given has its verify twin.
    given_names = {path.name for path in given.iterdir()}
    shared = [
        c
        for c in axes_run["cells"]
        if len(c["members"]) == 1
        and c["members"][0]["wheels"][0] in given_names
        and c["cpu"] in ("host", "x86-64-v2")
    ]
    assert len(shared) >= 16, len(shared)
    for matrix_cell in shared:
        assert twin(matrix_cell)["verdict"] == matrix_cell["verdict"], matrix_cell["key"]
    installers = {c["installer"] for c in verified["cells"]}
    assert installers == {"distro", "19.0", "latest", "uv-latest", "uv-0.4", "uv-0.1"}
    assert {c["cpu"] for c in verified["cells"]} == {"host", "x86-64-v2"}
    v2 = [c for c in verified["cells"] if c["cpu"] == "x86-64-v2" and "x86_64_v3" in c["row"]]
    assert v2 and all(c["verdict"] == "violation" and "SIGILL" in c["diagnosis"] for c in v2)
    for cell in verified["cells"]:
        if "muslonly" in cell["row"] and cell["installer"] == "distro":
            assert cell["verdict"] == "refused-as-claimed", cell
            assert "musllinux_1_2" in cell["expected"]["reason"], cell["expected"]
            assert "1_2_x86_64" not in cell["expected"]["reason"].replace(
                "musllinux_1_2_x86_64", ""
            )
    # The rows and the installer tables in both reports.
    markdown = (out / "results.md").read_text()
    assert "[cpu x86-64-v2]" in markdown and "uv 0.4" in markdown and "pip 19.0" in markdown
    html = (out / "results.html").read_text()
    assert 'data-installer="uv-latest"' in html and "[cpu x86-64-v2]" in html
    assert musl.name in " ".join(verified["selection"]["wheels"])


@needs_qemu
def test_verify_pick_makes_the_matrixs_picks(axes_run: dict, tmp_path: Path) -> None:
    """verify --pick of the matrix's own x86-64-v3 and baseline builds (one release, two
    wheels whose names differ by the build tag): each installer picks what it picked in the
    matrix's offer, and on the x86-64-v2 model the pick is a wrong one."""
    given = tmp_path / "release"
    given.mkdir()
    for key in (
        "x86_64_v3_control[default]@manylinux_2_41-x86_64",
        "x86_64_v3_control[baseline]@manylinux_2_41-x86_64",
    ):
        for wheel in axes_run["builds"][key]["wheels"]:
            shutil.copy(wheel, given)
    out = tmp_path / "verify"
    selection = [arg for distro in DISTROS for arg in ("--distro", distro)]
    proc = run_cli(
        "verify",
        "--pick",
        str(given),
        *selection,
        "--uv",
        "0.1",
        "--uv",
        "latest",
        "--cpu",
        "host,x86-64-v2",
        "--check",
        CHECK,
        "--results-dir",
        str(out),
    )
    assert proc.returncode == 1, proc.stdout[-4000:] + proc.stderr[-3000:]  # v3 on v2
    verified = load_results(out)
    offers = {
        (c["distro"], c["installer"], c["cpu"]): c for c in verified["cells"] if c["selection"]
    }
    matrix = {
        (c["distro"], c["installer"], c["cpu"]): c
        for c in axes_run["cells"]
        if c["selection"] and c["selection"]["offer"] == "x86_64_v3_control: cpu-levels"
    }
    shared = sorted(set(offers) & set(matrix))
    assert len(shared) >= 6, shared
    for place in shared:
        assert offers[place]["selection"]["picked"] == matrix[place]["selection"]["picked"], place
    wrong = offers[("debian-bullseye", "distro", "x86-64-v2")]
    assert wrong["verdict"] == "violation" and wrong["explanation"].startswith("a wrong pick")
    assert "what each one buys and costs" in (out / "results.md").read_text()
