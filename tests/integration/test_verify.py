"""`verify` end to end: real wheels from PyPI (downloaded on the host), the real engine, the
distros' own pip in the local x86_64 images, and the verdicts per distro.

Skipped (with pip's words) when PyPI cannot be reached; any other failure fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.util.engine import Engine
from tests.helpers.commands import NETWORK_ERROR, left_behind, run_verify, verdicts
from tests.helpers.factories import make_wheel

pytestmark = pytest.mark.xdist_group("verify")

DISTROS = ("debian-bullseye", "debian-bookworm")  # Python 3.9 and 3.11
# Rows: a release with several wheels names each by its variant; one with a single wheel by
# the release alone.
CP39 = "MarkupSafe-2.1.5 (cp39, manylinux_2_17_x86_64)"
CP311 = "MarkupSafe-2.1.5 (cp311, manylinux_2_17_x86_64)"
CP313 = "MarkupSafe-3.0.2"
SIX = "six-1.17.0"
DOWNLOADS = (
    ("markupsafe==2.1.5", "3.9"),
    ("markupsafe==2.1.5", "3.11"),
    ("markupsafe==3.0.2", "3.13"),
    ("six==1.17.0", "3.11"),
)


@pytest.fixture(scope="module")
def pypi_wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pypi")
    for requirement, python in DOWNLOADS:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--disable-pip-version-check",
                "--timeout",
                "15",
                "--retries",
                "1",
                "--only-binary=:all:",
                "--no-deps",
                "--platform",
                "manylinux2014_x86_64",
                "--python-version",
                python,
                "--implementation",
                "cp",
                "-d",
                str(directory),
                requirement,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            output = proc.stdout + proc.stderr
            last = (output.strip().splitlines() or ["no output"])[-1]
            if NETWORK_ERROR.search(output):
                pytest.skip(f"PyPI is unreachable (pip download {requirement}: {last})")
            pytest.fail(f"pip download {requirement} failed: {last}", pytrace=False)
    return directory


def test_pypi_wheels_per_distro(pypi_wheels: Path, tmp_path: Path, engine: Engine) -> None:
    """Each MarkupSafe wheel installs where its Python is and is refused elsewhere (a forced
    load there says nothing: its pure-Python fallback would pass); six installs everywhere;
    --check runs in the venv."""
    results_dir = tmp_path / "results"
    args = ["--results-dir", str(results_dir)]
    for distro in DISTROS:
        args += ["--distro", distro]
    check = "python -c 'import sys; assert sys.prefix != sys.base_prefix, sys.prefix'"
    proc, pid = run_verify(str(pypi_wheels), "--check", check, *args)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert not left_behind(engine, pid)
    data, cells = verdicts(results_dir)
    assert data["summary"]["cells"] == 8 and data["summary"]["error"] == 0
    expected = {
        CP39: ("ok", "refused-as-claimed"),
        CP311: ("refused-as-claimed", "ok"),
        CP313: ("refused-as-claimed", "refused-as-claimed"),
        SIX: ("ok", "ok"),
    }
    for row, wanted in expected.items():
        for distro, verdict in zip(DISTROS, wanted, strict=True):
            cell = cells[(row, distro)]
            assert cell["verdict"] == verdict, (row, distro, cell["explanation"])
            assert cell["as_expected"]
            install = cell["observed"]["install"]
            if verdict == "ok":
                assert install["decision"] == "accepted"
                assert cell["observed"]["load"]["stage"] == "done"
                assert cell["expected"]["installable"] is True
            else:
                assert install["decision"] == "refused"
                assert "not a supported wheel" in install["reason"]
                assert "fits Python" in cell["expected"]["reason"]
    bullseye = cells[(CP313, "debian-bullseye")]
    assert "another Python than 3.9" in bullseye["explanation"]
    (member,) = bullseye["members"]
    assert (member["kind"], member["policy"], member["build_image"], member["build_status"]) == (
        "wheel",
        "manylinux_2_17",
        "external",
        "given",
    )
    assert (results_dir / "results.md").read_text().count("| six-1.17.0 |") == 1
    assert "| six-1.17.0 | ok | ok |" in proc.stdout


def test_each_wheel_is_a_row_and_together_adds_the_co_installed_set(
    pypi_wheels: Path, tmp_path: Path, engine: Engine
) -> None:
    """greeter and six are rows of their own, and (--together) one more row installed
    together; greeter's dependency MarkupSafe comes from the given wheels (pip picks the one
    for the distro's Python among two), and greeter's import fails: pip accepted it as
    claimed, so the claim is broken, in its own row and in the set, not in six's."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for pattern in ("MarkupSafe-2.1.5-*.whl", f"{SIX}-*.whl"):
        for path in pypi_wheels.glob(pattern):
            shutil.copy(path, wheels / path.name)
    make_wheel(
        wheels,
        "greeter-1.0-py3-none-any.whl",
        {"greeter.py": "import six\nfrom markupsafe import escape_silent_v9\n"},
        top_level=["greeter"],
        requires=("markupsafe", "six"),
    )
    results_dir = tmp_path / "results"
    proc, pid = run_verify(
        str(wheels),
        "--together",
        "--distro",
        "debian-bullseye",
        "--results-dir",
        str(results_dir),
    )
    assert proc.returncode == 1, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert not left_behind(engine, pid)
    _, cells = verdicts(results_dir)
    together = f"greeter-1.0 + {SIX}"
    assert {row for row, _ in cells} == {CP39, CP311, "greeter-1.0", SIX, together}
    for row in ("greeter-1.0", together):
        broken = cells[(row, "debian-bullseye")]
        assert broken["verdict"] == "violation"
        assert broken["observed"]["install"]["decision"] == "accepted"
        assert "MarkupSafe-2.1.5" in broken["observed"]["install"]["output"]
        assert broken["observed"]["load"]["stage"] == "check import greeter"
        assert "escape_silent_v9" in broken["diagnosis"]
    assert cells[(SIX, "debian-bullseye")]["verdict"] == "ok"
    assert cells[(CP39, "debian-bullseye")]["verdict"] == "ok"
    assert cells[(CP311, "debian-bullseye")]["verdict"] == "refused-as-claimed"


def test_download_fetches_a_wheel_per_python(tmp_path: Path, engine: Engine) -> None:
    """--download: one MarkupSafe wheel per distro Python, fetched on the host; each works
    where its Python is, and elsewhere is refused, the forced load marked as moot."""
    results_dir = tmp_path / "results"
    proc, pid = run_verify(
        "--download",
        "markupsafe==2.1.5",
        *("--distro", DISTROS[0], "--distro", DISTROS[1]),
        *("--results-dir", str(results_dir)),
    )
    if proc.returncode == 2 and NETWORK_ERROR.search(proc.stderr):
        pytest.skip(f"PyPI is unreachable: {proc.stderr.strip().splitlines()[-1]}")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert not left_behind(engine, pid)
    assert proc.stderr.count("[downloads ") == 2  # one line per (requirement, Python)
    data, cells = verdicts(results_dir)
    assert data["selection"]["download"] == ["markupsafe==2.1.5"]
    assert {c["verdict"] for c in cells.values()} == {"ok", "refused-as-claimed"}
    for cell in cells.values():
        if cell["verdict"] == "refused-as-claimed":
            assert any("moot" in note for note in cell["notes"]), cell["notes"]
            assert cell["diagnosis"] == ""
