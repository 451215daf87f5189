"""`verify --download`: which wheels pip is asked for, and what its answers mean. pip itself
is faked here; tests/integration/test_verify.py fetches for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import UsageError
from harness.util.progress import Progress
from harness.verify import download


def test_one_target_per_python_and_arch_of_the_distros() -> None:
    distros = default_catalog().distros("local", ["x86_64"])
    wanted = download.targets(distros)
    # trixie and trixie-nolibcrypt share a Python: one download serves both
    assert [t.label for t in wanted] == [
        "cp39-x86_64",
        "cp311-x86_64",
        "cp313-x86_64",
        "cp314-x86_64",
        "cp313-x86_64-musl",
    ]
    platforms = wanted[0].platforms()
    assert platforms[0] == "manylinux_2_5_x86_64" and "manylinux2014_x86_64" in platforms
    # the newest glibc among the distros (forky's 2.43): wheels too new for bullseye come too
    assert platforms[-1] == "manylinux_2_43_x86_64"
    # the musl distro gets musllinux wheels, up to its musl, and no manylinux one
    assert wanted[-1].platforms() == ("musllinux_1_1_x86_64", "musllinux_1_2_x86_64")


def test_musl_distros_of_the_official_catalog_get_musllinux_wheels() -> None:
    distros = default_catalog().distros("official", ["aarch64"], ["alpine-3.15", "alpine-3.24"])
    wanted = download.targets(distros)
    # musl 1.2.2 and 1.2.6 are both musllinux_1_2 (major and minor name the policy)
    assert [(t.label, t.glibc) for t in wanted] == [
        ("cp39-aarch64-musl", (1, 2)),
        ("cp314-aarch64-musl", (1, 2)),
    ]
    command = download.pip_download_command("numpy", wanted[0], Path("/c"))
    platforms = [command[i + 1] for i, word in enumerate(command) if word == "--platform"]
    assert platforms == ["musllinux_1_1_aarch64", "musllinux_1_2_aarch64"]


def test_the_command_asks_for_binary_wheels_of_that_python() -> None:
    target = download.Target("3.11", "x86_64", (2, 36))
    command = download.pip_download_command("numpy", target, Path("/c"))
    assert command[-1] == "numpy" and "--only-binary=:all:" in command
    assert command[command.index("--python-version") + 1] == "3.11"
    assert "--no-deps" not in command  # scipy brings numpy


def test_fetch_keeps_what_pip_saved_and_reports_what_it_could_not(tmp_path: Path) -> None:
    lines: list[str] = []
    answers = {
        "3.9": (0, "Saved ./numpy-2.0.2-cp39-cp39-manylinux_2_17_x86_64.whl\nSuccessfully"),
        "3.11": (
            0,
            f"File was already downloaded {tmp_path}/numpy-2.4.6-cp311-cp311-"
            "manylinux_2_27_x86_64.whl\n",
        ),
        "3.14": (1, "ERROR: No matching distribution found for numpy"),
    }

    def fake(command: list[str]) -> tuple[int, str]:
        return answers[command[command.index("--python-version") + 1]]

    wanted = [download.Target(p, "x86_64", (2, 36)) for p in ("3.9", "3.11", "3.14")]
    found = download.fetch(["numpy"], wanted, lambda t: tmp_path, Progress(lines.append), fake)
    assert [p.name for p in found] == [
        "numpy-2.0.2-cp39-cp39-manylinux_2_17_x86_64.whl",
        "numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.whl",
    ]
    assert all(p.parent == tmp_path for p in found)
    assert any("numpy for cp314-x86_64: no wheel: ERROR: No matching" in line for line in lines)
    assert sum("[downloads" in line for line in lines) == 3  # each download shows


def test_nothing_at_all_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no Linux wheel for nosuch"):
        download.fetch(
            ["nosuch"],
            [download.Target("3.11", "x86_64", (2, 36))],
            lambda t: tmp_path,
            Progress(lambda _: None),
            lambda c: (1, "ERROR: No matching distribution found for nosuch"),
        )
