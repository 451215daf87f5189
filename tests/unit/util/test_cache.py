"""Issue 24, item 5: a build killed mid-way leaves its scratch directory in the cache, which
`clean` removes (never a live run's, never an entry); kept facts that are not facts are
measured again; an unusable --cache-dir is one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.images import facts
from harness.util.cache import SCRATCH_MARK, Cache, usable_cache_dir
from harness.util.ownership import owner_token


def dead_owner() -> str:
    """The owner token of a process that has ended."""
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from harness.util.ownership import owner_token; print(owner_token())",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_a_killed_builds_scratch_is_a_leftover_a_live_ones_is_not(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    wheels = cache.path("wheels")
    killed = wheels / f".c_plain-x-1{SCRATCH_MARK}{dead_owner()}{SCRATCH_MARK}abcd1234"
    killed.mkdir(parents=True)
    (killed / "half.whl").write_bytes(b"PK")
    entry = wheels / "c_plain-x-1"
    entry.mkdir()
    with cache.new_entry(wheels / "c_plain-x-2") as live:
        assert SCRATCH_MARK + owner_token() + SCRATCH_MARK in live.name
        assert cache.leftover_scratch() == [killed]
        assert cache.remove_leftover_scratch() == [killed]
        assert live.is_dir() and entry.is_dir() and not killed.exists()
    assert (wheels / "c_plain-x-2").is_dir()
    assert cache.leftover_scratch() == []


def test_an_unusable_cache_dir_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    with pytest.raises(UsageError, match=r"--cache-dir .*/afile is a file, not a directory"):
        usable_cache_dir(tmp_path / "afile")
    with pytest.raises(UsageError, match=r"--cache-dir /proc/x is not usable \(.*\): pass a"):
        usable_cache_dir(Path("/proc/x"))
    assert usable_cache_dir(tmp_path / "new" / "cache").is_dir()


def test_kept_facts_are_used(tmp_path: Path) -> None:
    from harness.images.provider import ResolvedImage

    image = ResolvedImage("build:x", "ref", "sha256:" + "a" * 64, "linux/amd64", False, 0.0)
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / f"{'a' * 24}.json").write_text('{"gcc": "12.2.0", "glibc": "2.36"}')
    # No engine is asked: what is kept is what parse() makes.
    found = facts.measure(None, image, None, Cache(tmp_path), None)  # type: ignore[arg-type]
    assert found == {"gcc": "12.2.0", "glibc": "2.36"}


@pytest.mark.parametrize(
    "kept", ['["gcc"]', '{"gcc": 12}', '{"gcc": "gcc (Debian) 12"}', '{"shell": "1"}', "{"]
)
def test_kept_facts_that_are_not_facts_are_measured_again(tmp_path: Path, kept: str) -> None:
    from harness.images.provider import ResolvedImage

    image = ResolvedImage("build:x", "ref", "sha256:" + "b" * 64, "linux/amd64", False, 0.0)
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / f"{'b' * 24}.json").write_text(kept)

    class Engine:
        asked = False

        def container(self, *args: object, **kwargs: object) -> object:
            Engine.asked = True
            raise RuntimeError("measured again")

    with pytest.raises(RuntimeError, match="measured again"):
        facts.measure(Engine(), image, None, Cache(tmp_path), None)  # type: ignore[arg-type]
    assert Engine.asked
