"""A plan's cell made ready to run from what was prepared (harness.matrix.session.planned):
its wheels, what is judged, what the probe is asked, and a cell whose wheel failed to build."""

from __future__ import annotations

from pathlib import Path

from harness.build.wheels import BuildOutcome
from harness.catalog.model import default_catalog
from harness.catalog.samples import default_samples_dir, discover
from harness.matrix.plan import Selection, make_plan
from harness.matrix.session import planned
from harness.runner.prepared import Prepared
from harness.vocab.installer import Installer
from tests.helpers.factories import make_wheel

SAMPLES = discover(default_samples_dir())


def _plan():
    return make_plan(
        Selection(
            "local",
            arches=("x86_64",),
            distros=("debian-bullseye",),
            samples=("c_plain", "cpp_static_locals", "x86_64_v3_control"),
            cpus=("x86-64-v2",),
            pips=(Installer.pip("20.3"),),
        ),
        default_catalog(),
        [s for s in SAMPLES if s.name in ("c_plain", "cpp_static_locals", "x86_64_v3_control")],
    )


def _built(plan, root: Path) -> Prepared:
    builds = {}
    for request in plan.builds:
        name = (
            f"{request.sample.name}_{request.flavour.name}-1.0-cp39-abi3-manylinux_2_31_x86_64.whl"
        )
        wheel = make_wheel(root / request.key.replace("@", "-"), name, {"m.py": ""})
        builds[request.key] = BuildOutcome(request.key, "built", (wheel,), None, 1.0)
    return Prepared(images={}, builds=builds)


def test_a_pair_installs_both_wheels_and_is_judged_against_its_combinations_rules(
    tmp_path: Path,
) -> None:
    plan = _plan()
    prepared = _built(plan, tmp_path)
    pair = next(c for c in plan.cells if len(c.members) == 2 and c.order == "reversed")
    ready = planned(pair, prepared)
    assert ready.place == pair.place and not ready.unprobed
    assert [w.name.filename for w in ready.job.wheels] == [p.name for p in ready.request.wheels]
    assert len(ready.request.wheels) == 2 and ready.request.dlopen == pair.dlopen
    assert ready.request.imports == tuple(i for m in pair.members for i in m.imports)
    assert ready.job.sample is not None and ready.job.sample.order == "reversed"
    assert ready.job.sample.rules == pair.combination.expect  # type: ignore[union-attr]
    assert [m.sample for m in ready.members] == ["cpp_static_locals", "cpp_static_locals"]
    assert set(ready.lint["members"]) == {m.label for m in pair.members}


def test_the_cpu_model_and_the_installer_reach_the_probe(tmp_path: Path) -> None:
    plan = _plan()
    prepared = _built(plan, tmp_path)
    on_v2 = next(c for c in plan.cells if c.cpu == "x86-64-v2")
    assert planned(on_v2, prepared).request.cpu_model == "Nehalem"
    on_pip = next(c for c in plan.cells if c.installer == Installer.pip("20.3"))
    ready = planned(on_pip, prepared)
    assert (
        ready.request.installer == Installer.pip("20.3") and ready.job.installer.release == "20.3"
    )
    assert ready.request.cpu_model == ""


def test_a_cell_whose_wheel_did_not_build_is_not_probed(tmp_path: Path) -> None:
    plan = _plan()
    prepared = _built(plan, tmp_path)
    cell = next(c for c in plan.cells if len(c.members) == 1)
    key = cell.members[0].request.key
    failed = Prepared(
        images={},
        builds={
            **prepared.builds,
            key: BuildOutcome(key, "failed", (), None, 0.0, error="gcc: error"),
        },
    )
    ready = planned(cell, failed)
    assert ready.unprobed.startswith("build failed: ") and "gcc: error" in ready.unprobed
    assert ready.members[0].build_status == "failed" and ready.members[0].wheels == ()


def test_a_wheel_over_the_limits_is_said_so_not_called_a_failed_build(tmp_path: Path) -> None:
    plan = _plan()
    prepared = _built(plan, tmp_path)
    cell = next(c for c in plan.cells if len(c.members) == 1)
    key = cell.members[0].request.key
    over = BuildOutcome(key, "refused", (), None, 0.0, error="m.so declares 2.0 GiB unpacked")
    ready = planned(cell, Prepared(images={}, builds={**prepared.builds, key: over}))
    assert ready.unprobed.startswith("wheel over the run's limits, not unpacked: ")
    assert "2.0 GiB" in ready.unprobed
