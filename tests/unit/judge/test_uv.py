from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.judge import installers, uv
from harness.util.cache import Cache
from harness.vocab.installer import Installer

parse = Installer.parse


def test_the_axis_names_uv_releases_apart_from_pips() -> None:
    assert uv.parse_uvs(["latest,0.4"]) == (Installer.uv("latest"), Installer.uv("0.4"))
    assert uv.parse_uvs(["all"]) == tuple(Installer.uv(r) for r in uv.releases())
    assert uv.parse_uvs(["latest", "none"]) == ()
    assert Installer.uv("latest") in uv.default_uvs()
    with pytest.raises(UsageError, match="not a uv release"):
        uv.parse_uvs(["newest"])


def test_uv_knows_every_tag_family() -> None:
    assert installers.expected_pip(Installer.uv("0.1"), "20.3.4") is None


def test_pipenv_and_poetry_are_noted_not_run() -> None:
    noted = dict(installers.notes())
    assert "pip" in noted["pipenv"] and "#5644" in noted["poetry, pdm"]


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

    monkeypatch.setattr(uv, "_download", download)
    cache = Cache(tmp_path)
    fetched, problems = uv.ensure_uvs(
        cache, [parse("uv-latest"), parse("uv-0.4"), parse("uv-0.1")], ["x86_64"]
    )
    assert set(fetched) == {"uv-latest@x86_64", "uv-0.4@x86_64"}
    assert problems == {"uv-0.1": "cannot download uv 0.1: no such release"}
    latest = fetched["uv-latest@x86_64"]
    binary = Path(latest["binary"])
    assert latest["version"] == "0.13.9" and binary.read_bytes() == b"#!binary 0.13.9"
    assert os.access(binary, os.X_OK) and len(latest["binary_sha256"]) == 64
    assert uv.binary_for(fetched, parse("uv-0.4"), "x86_64") == Path(
        fetched["uv-0.4@x86_64"]["binary"]
    )
    # A fixed release is not looked up again: the record of the first fetch serves.
    calls.clear()
    again, _ = uv.ensure_uvs(cache, [parse("uv-0.4")], ["x86_64"])
    assert calls == [] and again["uv-0.4@x86_64"] == fetched["uv-0.4@x86_64"]
    record = json.loads((uv.uv_dir(cache) / "0.4-x86_64.json").read_text())
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

    monkeypatch.setattr(uv, "_download_for", fake_download)
    assert uv._platforms("ppc64le") == list(published)
    assert uv._download(tmp_path, "latest", "ppc64le") == (
        tmp_path / "uv-0.13.9-py3-none-manylinux_2_17_ppc64le.whl"
    )
    assert uv._download(tmp_path, "0.1", "ppc64le") == (
        tmp_path / "uv-0.1.45-py3-none-musllinux_1_1_ppc64le.whl"
    )


def test_a_known_finding_is_declared_for_its_release_and_arch_only() -> None:
    found = uv.known_finding(parse("uv-0.1"), "i686")
    assert found is not None and found.verdict == "violation" and "i686" in found.why
    assert uv.known_finding(parse("uv-0.1"), "x86_64") is None
    assert uv.known_finding(parse("uv-latest"), "i686") is None
    assert uv.known_finding(parse("20.3"), "i686") is None  # a pip of the axis is not uv
