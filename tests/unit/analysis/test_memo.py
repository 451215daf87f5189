"""The static inspection is kept by content: the same bytes are analysed once, other bytes,
another arch or another auditwheel are analysed afresh, and a failure is not kept."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest

from harness.analysis import lint, memo
from harness.util.cache import Cache
from tests.helpers.crafted import crafted_wheel
from tests.helpers.factories import damage_wheel


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The real analysis, counted."""
    seen: list[str] = []
    real = lint.inspect_wheel

    def counted(wheel: Path, arch: str, *args: Any) -> dict:
        seen.append(f"{wheel.name} {arch}")
        return real(wheel, arch, *args)

    monkeypatch.setattr(lint, "inspect_wheel", counted)
    return seen


def test_the_same_bytes_are_analysed_once(tmp_path: Path, analyses: list[str]) -> None:
    cache = Cache(tmp_path / "cache")
    wheel = crafted_wheel(tmp_path, "ffi7")
    first = memo.inspect_wheel(cache, wheel, "x86_64")
    assert first["external_libs"] == ["libffi.so.7"]  # the real answer, not a stand-in
    # The same bytes under another path (a second download of the wheel): from the cache.
    copy = tmp_path / "elsewhere" / wheel.name
    copy.parent.mkdir()
    shutil.copy(wheel, copy)
    assert memo.inspect_wheel(cache, copy, "x86_64") == first
    assert len(analyses) == 1
    # Another arch is another question.
    memo.inspect_wheel(cache, wheel, "aarch64")
    assert len(analyses) == 2
    # So are the same bytes under another name: the tags (and with them the claim) differ.
    retagged = tmp_path / wheel.name.replace("manylinux_2_17", "manylinux_2_35")
    assert retagged.name != wheel.name
    shutil.copy(wheel, retagged)
    answer = memo.inspect_wheel(cache, retagged, "x86_64")
    assert (answer["wheel"], answer["claimed_policy"]) == (retagged.name, "manylinux_2_35_x86_64")
    assert len(analyses) == 3


def test_other_bytes_or_another_auditwheel_are_analysed_afresh(
    tmp_path: Path, analyses: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = Cache(tmp_path / "cache")
    ffi = crafted_wheel(tmp_path, "ffi7")
    memo.inspect_wheel(cache, ffi, "x86_64")
    glibcxx = crafted_wheel(tmp_path, "glibcxx")
    answer = memo.inspect_wheel(cache, glibcxx, "x86_64")
    assert "libffi.so.7" not in answer["external_libs"]
    assert len(analyses) == 2
    monkeypatch.setattr(memo.metadata, "version", lambda name: "99.0")
    memo.inspect_wheel(cache, ffi, "x86_64")
    assert len(analyses) == 3
    # A library installed on the host changes what resolves outside the wheel.
    ld_cache = tmp_path / "ld.so.cache"
    ld_cache.write_bytes(b"after apt-get install libffi7")
    monkeypatch.setattr(memo, "LD_SO_CACHE", ld_cache)
    memo.inspect_wheel(cache, ffi, "x86_64")
    assert len(analyses) == 4


def test_a_wheel_that_cannot_be_read_is_not_kept(tmp_path: Path, analyses: list[str]) -> None:
    cache = Cache(tmp_path / "cache")
    broken = damage_wheel(crafted_wheel(tmp_path, "ffi7"), "crc")
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017 (auditwheel's own error types)
            memo.inspect_wheel(cache, broken, "x86_64")
    assert len(analyses) == 2  # asked again: no answer was kept
    assert not list((tmp_path / "cache").rglob("*.json"))
    # A central directory that cannot be read stops the wheel before any analysis.
    unlisted = damage_wheel(crafted_wheel(tmp_path / "other", "ffi7"), "central")
    with pytest.raises(zipfile.BadZipFile):
        memo.inspect_wheel(cache, unlisted, "x86_64")
    assert len(analyses) == 2


def test_a_memo_that_is_not_an_inspection_is_made_again(
    tmp_path: Path, analyses: list[str]
) -> None:
    """A kept answer with wrong fields (damaged, cut short, another code's) is asked again and
    replaced, never handed to the judgement (issue 24: a traceback after three cells)."""
    cache = Cache(tmp_path / "cache")
    wheel = crafted_wheel(tmp_path, "ffi7")
    first = memo.inspect_wheel(cache, wheel, "x86_64")
    (kept,) = (tmp_path / "cache" / "inspections").glob("*.json")
    for wrong in ('{"policy_problems": "GLIBC_2.99"}', "[1, 2]", '{"wheel": 1}', "{"):
        kept.write_text(wrong)
        assert memo.memo_problem(cache.read_json("inspections", kept.name)) is not None
        assert memo.inspect_wheel(cache, wheel, "x86_64") == first
        assert json.loads(kept.read_text()) == first  # replaced by the real answer
    assert len(analyses) == 5
