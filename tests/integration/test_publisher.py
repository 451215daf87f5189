"""The publisher's path end to end: the example project (examples/lazy_crypt) built through
the harness's build stage in the local manylinux_2_31 image, then `verify wheelhouse/
--project examples/lazy_crypt` runs its own pytest suite offline in every local x86_64 distro
(real pip and pytest from the index, fetched on the host; real distro containers without a
network). The distro without libcrypt.so.1 is caught by the test that opens it lazily; the
import check alone (today's verify) passes everywhere. A second run fetches nothing.

Skipped (with pip's words) when the index cannot be reached; any other failure fails."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from harness.util.cache import default_cache_dir
from tests.helpers.commands import NETWORK_ERROR, REPO, run_cli

pytestmark = pytest.mark.xdist_group("verify")

EXAMPLE = REPO / "examples" / "lazy_crypt"
ROW = "mh_lazy_crypt-1.0.0"
MUSL = "musl-1.2"
NOLIBCRYPT = "debian-trixie-nolibcrypt"


def _build_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_example", REPO / "bin" / "build_example.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_example"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("wheelhouse")
    wheels = _build_example().build(EXAMPLE, directory, profile="local", arch="x86_64")
    assert [w.name for w in wheels] == [
        "mh_lazy_crypt-1.0.0-cp39-abi3-manylinux1_x86_64.manylinux_2_31_x86_64"
        ".manylinux_2_5_x86_64.whl"
    ]
    return directory


def _verify(*args: str) -> tuple[int, str, dict]:
    proc = run_cli("verify", *args, "--profile", "local", "--arch", "x86_64", timeout=1800)
    output = proc.stdout + proc.stderr
    if NETWORK_ERROR.search(output):
        pytest.skip(f"the index cannot be reached: {NETWORK_ERROR.search(output)}")
    results_dir = Path(args[args.index("--results-dir") + 1])
    record = json.loads((results_dir / "results.json").read_text(encoding="utf-8"))
    return proc.returncode, output, record


def _by_distro(record: dict) -> dict[str, dict]:
    return {c["distro"]: c for c in record["cells"] if c["row"] == ROW}


def test_the_project_s_own_tests_catch_the_distro_the_import_check_misses(
    wheelhouse: Path, tmp_path: Path
) -> None:
    results = tmp_path / "tested"
    code, output, record = _verify(
        str(wheelhouse), "--project", str(EXAMPLE), "--results-dir", str(results)
    )
    cells = _by_distro(record)
    assert len(cells) == 7 and len(record["cells"]) == 7, output  # rows: the given wheel only
    verdicts = {distro: c["verdict"] for distro, c in cells.items()}
    assert verdicts.pop(NOLIBCRYPT) == "violation", output
    assert verdicts.pop(MUSL) == "refused-as-claimed", output  # a manylinux wheel on musl
    assert set(verdicts.values()) == {"ok"}, output
    assert code == 1  # the publisher's job goes red
    caught = cells[NOLIBCRYPT]
    assert caught["diagnosis"] == (
        "test tests/test_lazy_crypt.py::test_sha512_crypt failed: OSError: libcrypt.so.1: "
        "cannot open shared object file: No such file or directory"
    )
    assert caught["explanation"] == "pip installed it as claimed, but its tests failed"
    assert any("E       OSError: libcrypt.so.1" in note for note in caught["notes"])
    # the whole suite ran on every other distro, offline, with the test environment
    # evaluated there ($(mktemp -d) gave a writable directory)
    for distro, cell in cells.items():
        if distro not in (NOLIBCRYPT, MUSL):
            assert "4 passed" in cell["observed"]["load"]["output"], (distro, cell)
    options = record["selection"]["tests"]["options"]
    assert sorted(options) == [
        "cp311-manylinux_x86_64",
        "cp313-manylinux_x86_64",
        "cp313-musllinux_x86_64",  # the musl distro's Python: the options cibuildwheel reads
        "cp314-manylinux_x86_64",
        "cp39-manylinux_x86_64",
    ]
    assert options["cp39-manylinux_x86_64"]["command"] == "python -m pytest -ra tests"
    # pytest for Python 3.9 brought what its markers need there, and not on 3.14
    fetched = record["selection"]["dependencies"]
    old = Path(fetched["cp39-manylinux_2_31_x86_64"]["directory"])
    new = Path(fetched["cp314-manylinux_2_43_x86_64"]["directory"])
    assert any(p.name.startswith("tomli-") for p in old.glob("*.whl"))
    assert not any(p.name.startswith("tomli-") for p in new.glob("*.whl"))
    assert old.is_relative_to(default_cache_dir() / "wheels")

    # A second run fetches nothing: the dependency wheels are keyed by what determines them.
    again_dir = tmp_path / "again"
    # (two distros: the targets of bullseye's Python 3.9 and trixie's 3.13)
    _code, _output, again = _verify(
        str(wheelhouse),
        "--project",
        str(EXAMPLE),
        "--distro",
        "debian-bullseye",
        "--distro",
        NOLIBCRYPT,
        "--results-dir",
        str(again_dir),
    )
    assert {e["downloaded"] for e in again["selection"]["dependencies"].values()} == {0}
    assert _by_distro(again)[NOLIBCRYPT]["verdict"] == "violation"


def test_the_import_check_alone_misses_it(wheelhouse: Path, tmp_path: Path) -> None:
    results = tmp_path / "imports"
    check = "python -c 'import lazy_crypt; assert lazy_crypt.adler32(b\"a\") == 6422626'"
    code, output, record = _verify(
        str(wheelhouse),
        "--check",
        check,
        "--distro",
        NOLIBCRYPT,
        "--distro",
        "debian-bookworm",
        "--results-dir",
        str(results),
    )
    assert {c["verdict"] for c in record["cells"]} == {"ok"}, output
    assert {c["distro"] for c in record["cells"]} == {NOLIBCRYPT, "debian-bookworm"}
    assert code == 0
    assert record["selection"]["tests"] is None


def test_bad_test_input_is_one_line_and_exit_2(wheelhouse: Path, tmp_path: Path) -> None:
    cases = [
        (["--project", str(tmp_path)], "no pyproject.toml there"),
        (["--project", str(EXAMPLE), "--test-sources", "tests nowhere"], "test-sources nowhere"),
        (["--project", str(EXAMPLE), "--test-environment", 'A="x'], "cibuildwheel rejects"),
    ]
    for extra, words in cases:
        proc = run_cli(
            "verify",
            str(wheelhouse),
            *extra,
            "--profile",
            "local",
            "--results-dir",
            str(tmp_path / "bad"),
            timeout=120,
        )
        assert proc.returncode == 2, (extra, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (extra, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_a_project_from_the_index_with_its_own_tests(tmp_path: Path) -> None:
    """msgpack 1.2.4: its published wheels (--download) and the tests its sdist ships, run
    as cibuildwheel would run them (test-requires pytest, test-sources test), offline."""
    import subprocess
    import tarfile

    download = ["pip", "download", "--disable-pip-version-check", "--no-deps"]
    download += ["--no-binary=:all:", "-d", str(tmp_path), "msgpack==1.2.4"]
    fetched = subprocess.run(
        [sys.executable, "-m", *download],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if fetched.returncode != 0 and NETWORK_ERROR.search(fetched.stdout + fetched.stderr):
        pytest.skip(f"the index cannot be reached: {fetched.stderr.strip()[-200:]}")
    assert fetched.returncode == 0, fetched.stderr
    with tarfile.open(tmp_path / "msgpack-1.2.4.tar.gz") as sdist:
        sdist.extractall(tmp_path, filter="data")  # unpacked, never built
    project = tmp_path / "msgpack-1.2.4"
    code, output, record = _verify(
        "--download",
        "msgpack==1.2.4",
        "--distro",
        "debian-bookworm",
        "--distro",
        "debian-trixie",
        "--project",
        str(project),
        "--test-requires",
        "pytest",
        "--test-sources",
        "test",
        "--test-command",
        "python -m pytest -ra test",
        "--results-dir",
        str(tmp_path / "results"),
    )
    assert code == 0, output
    found = {(c["row"], c["distro"]): c for c in record["cells"]}
    cp311 = "msgpack-1.2.4 (cp311, manylinux_2_17_x86_64)"
    cp313 = "msgpack-1.2.4 (cp313, manylinux_2_17_x86_64)"
    assert set(found) == {(r, d) for r in (cp311, cp313) for d in DISTROS_BY_PYTHON}, output
    for (row, distro), cell in found.items():
        if DISTROS_BY_PYTHON[distro] in row:
            assert cell["verdict"] == "ok", cell
            assert re.search(r"\d{3} passed", cell["observed"]["load"]["output"]), cell
        else:
            assert cell["verdict"] == "refused-as-claimed", cell


DISTROS_BY_PYTHON = {"debian-bookworm": "cp311", "debian-trixie": "cp313"}


def test_a_requirement_with_only_an_sdist_is_an_error_naming_it(
    wheelhouse: Path, tmp_path: Path
) -> None:
    """docopt has no wheel on the index: nothing is built on the host, and the cell is an
    `error` naming it, never a violation of the wheel under test."""
    code, output, record = _verify(
        str(wheelhouse),
        "--project",
        str(EXAMPLE),
        "--test-requires",
        "pytest docopt",
        "--distro",
        "debian-bookworm",
        "--results-dir",
        str(tmp_path / "sdist-only"),
    )
    (cell,) = record["cells"]
    assert cell["verdict"] == "error", output
    assert "docopt has no wheel for cp311-manylinux_2_36_x86_64" in cell["diagnosis"]
    assert code == 3
