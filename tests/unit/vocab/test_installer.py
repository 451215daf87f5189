from __future__ import annotations

import pytest

from harness.errors import UsageError
from harness.vocab.installer import DISTRO_PIP, Installer, InstallerFamily


@pytest.mark.parametrize("text", ["distro", "19.3", "latest", "uv-latest", "uv-0.4"])
def test_the_records_spelling_round_trips(text: str) -> None:
    assert str(Installer.parse(text)) == text


def test_what_each_installer_is() -> None:
    uv = Installer.parse("uv-0.4")
    assert uv.family is InstallerFamily.UV and uv.release == "0.4" and uv.is_uv
    assert uv.axis == "installer" and uv.suffix == "uv-0.4" and uv.label == "uv 0.4"
    pip = Installer.parse("19.3")
    assert not pip.is_uv and not pip.is_distro and pip.axis == "pip" and pip.suffix == "pip19.3"
    assert (
        DISTRO_PIP.is_distro and DISTRO_PIP.suffix == "" and Installer.parse("distro") == DISTRO_PIP
    )
    assert DISTRO_PIP.title == "the distro's own pip" and pip.title == "pip 19.3"
    with pytest.raises(UsageError):
        Installer.parse("")
    with pytest.raises(ValueError):
        Installer.uv("distro")


def test_one_order_distro_first_then_pips_oldest_first_latest_last_then_uv() -> None:
    given = ["uv-latest", "latest", "20.3", "uv-0.4", "distro", "19.0", "uv-0.10"]
    ordered = sorted((Installer.parse(t) for t in given), key=lambda i: i.order)
    assert [str(i) for i in ordered] == [
        "distro",
        "19.0",
        "20.3",
        "latest",
        "uv-0.4",
        "uv-0.10",
        "uv-latest",
    ]
