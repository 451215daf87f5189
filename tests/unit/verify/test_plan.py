"""What a verify run covers: its cells, on the distros and on every axis `run` has."""

from __future__ import annotations

from pathlib import Path

from harness.catalog.model import default_catalog
from harness.util.names import safe_name
from harness.verify import given_wheels
from harness.verify import plan as verify_plan
from harness.vocab.installer import Installer

MANYLINUX = "manylinux_2_17_x86_64.manylinux2014_x86_64"


def given(*names: str) -> list[given_wheels.GivenWheel]:
    return [given_wheels.parse_wheel(Path("/w") / name) for name in names]


def test_rows_keys_and_ids() -> None:
    *_, wheel_set = given_wheels.group(
        given(f"numpy-2.1.3-cp311-cp311-{MANYLINUX}.whl", "six-1.17.0-py2.py3-none-any.whl"),
        together=True,
    )
    assert wheel_set.row("x86_64") == "numpy-2.1.3 + six-1.17.0"
    assert wheel_set.foreign("x86_64") == ()
    # On another arch the platform wheel is marked, as the matrix marks cross-arch wheels.
    assert wheel_set.row("aarch64") == "numpy-2.1.3 (x86_64 wheel) + six-1.17.0"
    assert wheel_set.foreign("aarch64") == ("x86_64",)
    catalog = default_catalog()
    bookworm = catalog.distros("local", ["x86_64"], ["debian-bookworm"])[0]
    arm = catalog.distros("local", ["aarch64"], ["debian-bookworm"])[0]
    here = verify_plan.VerifyCell(wheel_set, bookworm)
    assert here.place.key == "numpy-2.1.3 + six-1.17.0 | x86_64 | debian-bookworm | pip=distro"
    assert verify_plan.VerifyCell(wheel_set, arm).test_id == (
        "numpy-2.1.3+six-1.17.0-aarch64-debian-bookworm-from-x86_64"
    )
    # The axes as the matrix names them.
    on_uv = verify_plan.VerifyCell(wheel_set, bookworm, Installer.uv("latest"))
    assert on_uv.place.key.endswith("| installer=uv-latest")
    assert on_uv.test_id.endswith("-uv-latest")
    on_v2 = verify_plan.VerifyCell(wheel_set, bookworm, cpu="x86-64-v2")
    assert on_v2.row == "numpy-2.1.3 + six-1.17.0 [cpu x86-64-v2]"
    assert on_v2.test_id.endswith("-cpu-x86-64-v2")
    cell_id = safe_name(here.place.key)
    assert all(ch.isalnum() or ch in "-_." for ch in cell_id)


def test_every_distro_gets_each_axis_it_can_run() -> None:
    """The distro's pip for every set, then each installer of the axis that runs on the
    distro's Python (pip 19.0 does not run on 3.11), then the CPU models of its arch."""
    catalog = default_catalog()
    (wheel_set,) = given_wheels.group(given(f"m-1.0-cp39-abi3-{MANYLINUX}.whl"))
    bullseye, bookworm = catalog.distros(
        "local", ["x86_64"], ["debian-bullseye", "debian-bookworm"]
    )
    (arm,) = catalog.distros("local", ["aarch64"], ["debian-bookworm"])
    plan = verify_plan.VerifyPlan(
        profile="local",
        arches=("x86_64", "aarch64"),
        wheels=wheel_set.wheels,
        sets=(wheel_set,),
        distros=(bullseye, bookworm, arm),
        check=None,
        skipped_wheels=(),
        installers=(Installer.pip("19.0"), Installer.uv("latest")),
        cpus=("x86-64-v2",),
    )
    on_bullseye = {(str(c.installer), c.cpu) for c in plan.cells(bullseye)}
    assert on_bullseye == {
        ("distro", "host"),
        ("19.0", "host"),
        ("uv-latest", "host"),
        ("distro", "x86-64-v2"),
    }
    assert ("19.0", "host") not in {(str(c.installer), c.cpu) for c in plan.cells(bookworm)}
    assert {c.cpu for c in plan.cells(arm)} == {"host"}  # no x86 CPU model on aarch64
    assert plan.needs_emulator == {bullseye.key, bookworm.key}
