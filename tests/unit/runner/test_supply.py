"""Fetching what the installer axis needs on the host, and finding it for a cell."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.judge import uv
from harness.runner import supply
from harness.util.cache import Cache
from harness.vocab.installer import DISTRO_PIP, Installer

parse = Installer.parse


def _fake_wheel(directory: Path, version: str) -> Path:
    wheel = directory / f"uv-{version}-py3-none-musllinux_1_1_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(f"uv-{version}.data/scripts/uv", b"#!binary " + version.encode())
    return wheel


def test_fetched_binaries_are_extracted_executable_and_recorded_with_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def download(directory: Path, release: str, arch: str) -> Path | str:
        calls.append(release)
        if release == "0.1":
            return "cannot download uv 0.1: no such release"
        return _fake_wheel(directory, "0.13.9" if release == "latest" else "0.4.30")

    monkeypatch.setattr(supply, "_download_uv", download)
    cache = Cache(tmp_path)
    fetched, problems = supply.ensure_uvs(
        cache, [parse("uv-latest"), parse("uv-0.4"), parse("uv-0.1")], ["x86_64"]
    )
    assert set(fetched) == {"uv-latest@x86_64", "uv-0.4@x86_64"}
    assert problems == {"uv-0.1": "cannot download uv 0.1: no such release"}
    latest = fetched["uv-latest@x86_64"]
    binary = Path(latest["binary"])
    assert latest["version"] == "0.13.9" and binary.read_bytes() == b"#!binary 0.13.9"
    assert os.access(binary, os.X_OK) and len(latest["binary_sha256"]) == 64
    given = supply.InstallerSupply(uvs={**fetched, "uv-0.1": {"error": problems["uv-0.1"]}})
    assert given.locate(parse("uv-0.4"), "x86_64") == (
        Path(fetched["uv-0.4@x86_64"]["binary"]),
        None,
    )
    with pytest.raises(HarnessError, match="no such release"):
        given.locate(parse("uv-0.1"), "x86_64")
    with pytest.raises(HarnessError, match="was not fetched for i686"):
        given.locate(parse("uv-0.4"), "i686")
    # A fixed release is not looked up again: the record of the first fetch serves.
    calls.clear()
    again, _ = supply.ensure_uvs(cache, [parse("uv-0.4")], ["x86_64"])
    assert calls == [] and again["uv-0.4@x86_64"] == fetched["uv-0.4@x86_64"]
    record = json.loads((supply.uv_dir(cache) / "0.4-x86_64.json").read_text())
    assert record["wheel"].startswith("uv-0.4.30-")


def test_the_newest_build_of_the_platforms_wins_the_static_one_on_a_tie(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uv's musl wheels end at 0.5 on ppc64le: "latest" must not be that old static build when
    a newer manylinux one exists; where both have the release, the static build is taken."""
    published = {
        "musllinux_1_1_ppc64le": {"latest": "0.5.7", "0.1": "0.1.45"},
        "manylinux_2_17_ppc64le": {"latest": "0.13.9", "0.1": "0.1.45"},
    }

    def fake_download(directory: Path, release: str, platform: str) -> Path | str:
        version = published[platform].get(release)
        return directory / f"uv-{version}-py3-none-{platform}.whl" if version else "none"

    monkeypatch.setattr(supply, "_download_uv_for", fake_download)
    assert uv.wheel_platforms("ppc64le") == list(published)
    assert supply._download_uv(tmp_path, "latest", "ppc64le") == (
        tmp_path / "uv-0.13.9-py3-none-manylinux_2_17_ppc64le.whl"
    )
    assert supply._download_uv(tmp_path, "0.1", "ppc64le") == (
        tmp_path / "uv-0.1.45-py3-none-musllinux_1_1_ppc64le.whl"
    )


def test_a_cell_of_the_pip_axis_finds_its_pips_or_cannot_be_told(tmp_path: Path) -> None:
    found = supply.InstallerSupply(pips_dir=tmp_path, pip_problems={"19.0": "cannot download"})
    assert found.locate(DISTRO_PIP, "x86_64") == (None, None)
    assert found.locate(parse("20.3"), "x86_64") == (None, tmp_path)
    with pytest.raises(HarnessError, match="cannot download"):
        found.locate(parse("19.0"), "x86_64")
    assert supply.InstallerSupply.from_json(found.to_json()) == found


def test_a_copied_cache_still_serves_its_uv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 24: the uv record held the binary's absolute path, so a cache copied elsewhere
    broke every uv cell. The record is relative to the uv directory (older records, absolute,
    are read by their last two parts), and the binary must still have its recorded bytes."""
    monkeypatch.setattr(supply, "_download_uv", lambda d, r, a: _fake_wheel(d, "0.4.30"))
    first = Cache(tmp_path / "here")
    fetched, _ = supply.ensure_uvs(first, [parse("uv-0.4")], ["x86_64"])
    record = supply.uv_dir(first) / "0.4-x86_64.json"
    assert json.loads(record.read_text())["binary"] == "0.4.30-x86_64/uv"
    # An older record, absolute: as a cache made before this one had it.
    old = json.loads(record.read_text())
    record.write_text(json.dumps({**old, "binary": str(supply.uv_dir(first) / old["binary"])}))
    shutil.copytree(first.root, tmp_path / "there")
    shutil.rmtree(first.root)
    monkeypatch.setattr(supply, "_download_uv", lambda d, r, a: pytest.fail("fetched again"))
    moved = Cache(tmp_path / "there")
    found, problems = supply.ensure_uvs(moved, [parse("uv-0.4")], ["x86_64"])
    binary = Path(found["uv-0.4@x86_64"]["binary"])
    assert problems == {} and binary == supply.uv_dir(moved) / "0.4.30-x86_64" / "uv"
    assert binary.read_bytes() == b"#!binary 0.4.30"
    assert found["uv-0.4@x86_64"]["binary_sha256"] == fetched["uv-0.4@x86_64"]["binary_sha256"]
    # A binary that is not the recorded bytes is not served: fetched (and extracted) again.
    binary.write_bytes(b"cut sh")
    monkeypatch.setattr(supply, "_download_uv", lambda d, r, a: _fake_wheel(d, "0.4.30"))
    again, _ = supply.ensure_uvs(moved, [parse("uv-0.4")], ["x86_64"])
    assert Path(again["uv-0.4@x86_64"]["binary"]).read_bytes() == b"#!binary 0.4.30"
