"""The pip-version axis: which pips, on which Pythons, and what each is expected to install."""

from __future__ import annotations

import pytest

from harness.catalog.model import default_catalog
from harness.catalog.samples import default_samples_dir, discover
from harness.errors import UsageError
from harness.judge import installers
from harness.matrix.plan import Selection, make_plan
from harness.vocab.installer import Installer


def test_defaults_and_parsing() -> None:
    releases = lambda pips: tuple(p.release for p in pips)  # noqa: E731
    assert releases(installers.default_pips()) == ("19.0", "19.3", "20.3", "latest")
    assert releases(installers.parse_pips(["19.3,20.3", "latest", "19.3"])) == (
        "19.3",
        "20.3",
        "latest",
    )
    assert all(not p.is_uv and not p.is_distro for p in installers.default_pips())
    assert installers.parse_pips(["none"]) == ()
    with pytest.raises(UsageError, match="not a pip version"):
        installers.parse_pips(["newest"])
    assert Installer.pip("19.0").requirement == "pip==19.0.*"
    assert Installer.pip("latest").requirement == "pip"


def test_which_pythons_each_pip_runs_on() -> None:
    assert installers.cannot_run("19.0", "3.9.2") is None
    assert "collections.Mapping" in (installers.cannot_run("19.0", "3.11.2") or "")
    assert installers.cannot_run("20.3", "3.11.2") is None
    assert "distutils" in (installers.cannot_run("20.3", "3.13.5") or "")
    assert installers.cannot_run("latest", "3.14.0") is None


def test_pip_cells_only_for_pip_axis_samples_and_pythons_the_pip_runs_on() -> None:
    samples = discover(default_samples_dir())
    plan = make_plan(
        Selection(
            "local", arches=("x86_64",), pips=tuple(map(Installer.pip, ("19.0", "20.3", "latest")))
        ),
        default_catalog(),
        samples,
    )
    axis = [c for c in plan.cells if not c.installer.is_distro and c.offer is None]
    assert {c.members[0].sample.name for c in axis} == {"c_plain", "glibc_control"}
    # every offer is installed by the whole axis: which wheel each installer picks
    offered = {c.offer_name for c in plan.cells if not c.installer.is_distro and c.offer}
    assert offered == {
        "c_plain: policies",
        "c_plain: abi3-and-cp3X",
        "x86_64_v3_control: cpu-levels",
    }
    assert all(len(c.members) == 1 for c in axis)
    pairs = {(c.distro.name, str(c.installer)) for c in axis}
    assert ("debian-bullseye", "19.0") in pairs and ("debian-bookworm", "19.0") not in pairs
    assert ("debian-bookworm", "20.3") in pairs and ("debian-trixie", "20.3") not in pairs
    assert ("debian-forky", "latest") in pairs
    not_probed = dict(plan.not_probed)
    assert "distutils" in not_probed["debian-trixie-x86_64 with pip 20.3"]
    cell = next(c for c in axis if c.installer == Installer.pip("19.0"))
    assert cell.test_id.endswith("-pip19.0") and cell.key.endswith("pip=19.0")
    # one xdist group per (distro, installer): small groups that balance the workers' tails
    assert cell.group == f"{cell.distro.key}-pip19.0"
    groups = {c.group for c in plan.cells}
    assert len(groups) == len({(c.distro.key, c.installer) for c in plan.cells})
    assert len({c.key for c in plan.cells}) == len(plan.cells)
