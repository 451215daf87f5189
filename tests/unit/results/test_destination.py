"""Issue 14, case 5: an unusable results dir is found before anything runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.results.destination import LOCK_FILE, check_results_dir, release_results_dir


def test_missing_dir_is_created(tmp_path: Path) -> None:
    assert check_results_dir(tmp_path / "a" / "b") == (tmp_path / "a" / "b").resolve()
    # The write test leaves nothing; the run's lock (held by this process) names it.
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == [LOCK_FILE]
    assert f"pid {os.getpid()} " in (tmp_path / "a" / "b" / LOCK_FILE).read_text()
    release_results_dir(tmp_path / "a" / "b")


def test_a_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match=r"--results-dir .*/f is a file, not a directory"):
        check_results_dir(tmp_path / "f")


def test_an_unwritable_place_is_named() -> None:
    with pytest.raises(UsageError, match=r"/proc/foo is not usable .*: pass a directory"):
        check_results_dir(Path("/proc/foo"))
