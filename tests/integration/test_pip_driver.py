"""The agent's pip server decides as that pip on that interpreter does.

Cells install through a child forked from a process that has imported pip (one pip import per
container instead of one per cell: 4-5 s under qemu). This runs the same installs both ways
(forked, and `python -m pip` started afresh, as before the server existed) for every pip of the
axis, on the oldest interpreter (bullseye, 3.9: pips 19.0 to 20.3 have no `--python`, so
whatever drives them must be that interpreter) and the newest (forky), and compares pip's
decision, exit status and reason. The wheels are chosen so that the pips disagree with each
other (PEP 600 tags are news to pip 19.x; abi3 for 3.11 to a 3.9), so the comparison cannot
pass by everything being accepted."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.images.provider import ImageProvider
from harness.probe import observation as obs
from harness.probe.distro_probe import DistroProbe, ProbeRequest
from harness.runner.supply import ensure_pips, pips_dir
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.vocab.installer import Installer
from tests.helpers.factories import make_wheel

pytestmark = pytest.mark.xdist_group("pip-driver")

WHEELS = {
    # filename: the module it carries
    "t_legacy-1.0-py3-none-manylinux2014_x86_64.whl": "t_legacy",
    "t_perennial-1.0-py3-none-manylinux_2_17_x86_64.whl": "t_perennial",
    "t_abi3-1.0-cp311-abi3-manylinux_2_17_x86_64.whl": "t_abi3",
    "t_future-1.0-py3-none-manylinux_2_99_x86_64.whl": "t_future",
}
PIPS = tuple(Installer.pip(r) for r in ("distro", "19.0", "20.3", "latest"))


def decisions(probe: DistroProbe, root: Path, driver: str) -> dict[tuple[Installer, str], tuple]:
    seen: dict[tuple[Installer, str], tuple[object, ...]] = {}
    for pip in PIPS:
        for filename, module in WHEELS.items():
            request = ProbeRequest(
                cell_id=f"{driver}-{pip}-{module}".replace(".", "_"),
                wheels=(root / "given" / filename,),
                imports=(module,),
                checks=(),
                installer=pip,
                pips_dir=root / "pips" if not pip.is_distro else None,
                pip_driver=driver,
            )
            observed = probe.probe(request)
            if observed.install is None:  # that pip cannot run there (19.0 on 3.14): same both ways
                assert observed.error and "does not run on Python" in observed.error, observed
                seen[(pip, filename)] = ("unusable", observed.error)
                continue
            install = observed.install
            assert install.driver == driver
            seen[(pip, filename)] = (install.decision, install.exit_code, install.reason)
    return seen


@pytest.mark.parametrize("distro_name", ["debian-bullseye", "debian-forky"])
def test_forked_pip_decides_as_pip_started_afresh(
    engine: Engine, settings: Settings, tmp_path: Path, distro_name: str
) -> None:
    cache = Cache(settings.cache_dir)
    assert not ensure_pips(cache, [p.release for p in PIPS[1:]], ["3.9", "3.13"])
    root = tmp_path / "root"
    for filename, module in WHEELS.items():
        make_wheel(root / "given", filename, {f"{module}/__init__.py": "VALUE = 1\n"})
    (root / "pips").mkdir()
    for pip in pips_dir(cache).glob("pip-*.whl"):
        (root / "pips" / pip.name).write_bytes(pip.read_bytes())

    distro = default_catalog().distros("local", ["x86_64"], [distro_name])[0]
    image = ImageProvider(engine, cache, settings).ensure(distro.image)
    with DistroProbe(engine, distro, image.reference, root, settings) as probe:
        forked = decisions(probe, root, "forked")
        afresh = decisions(probe, root, "process")

    assert forked == afresh
    # The table is not uniform: the pips and the interpreter disagree, as they must.
    verdicts = {answer[0] for answer in forked.values() if answer[0] != "unusable"}
    assert verdicts == {obs.ACCEPTED, obs.REFUSED}, forked
    if distro_name == "debian-bullseye":
        assert forked[
            (Installer.pip("19.0"), "t_perennial-1.0-py3-none-manylinux_2_17_x86_64.whl")
        ][0] == (obs.REFUSED)
        assert forked[(Installer.pip("20.3"), "t_abi3-1.0-cp311-abi3-manylinux_2_17_x86_64.whl")][
            0
        ] == (obs.REFUSED)
    assert forked[(Installer.pip("latest"), "t_legacy-1.0-py3-none-manylinux2014_x86_64.whl")][
        0
    ] == (obs.ACCEPTED)
