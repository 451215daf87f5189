from __future__ import annotations

import pytest

from harness.errors import UsageError
from harness.judge import installers, uv
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


def test_a_known_finding_is_declared_for_its_release_and_arch_only() -> None:
    found = uv.known_finding(parse("uv-0.1"), "i686")
    assert found is not None and found.verdict == "violation" and "i686" in found.why
    assert uv.known_finding(parse("uv-0.1"), "x86_64") is None
    assert uv.known_finding(parse("uv-latest"), "i686") is None
    assert uv.known_finding(parse("20.3"), "i686") is None  # a pip of the axis is not uv
