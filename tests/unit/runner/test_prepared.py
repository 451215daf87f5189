"""What the preparation hands the cells, typed, through the results directory; and the one
line that stops a run no cell of which can be measured."""

from __future__ import annotations

from pathlib import Path

from harness.build.wheels import BuildOutcome
from harness.catalog.model import default_catalog
from harness.catalog.samples import default_samples_dir, discover
from harness.images.provider import ResolvedImage
from harness.matrix.plan import Selection, make_plan
from harness.runner.prepared import Prepared, PreparedImage, nothing_to_run
from harness.runner.supply import InstallerSupply

RESOLVED = ResolvedImage("k", "manylinux-harness/x:1", "sha256:1", "linux/amd64", False, 0.0)


def test_run_stops_when_no_build_image_or_no_distro_can_be_obtained() -> None:
    samples = [s for s in discover(default_samples_dir()) if s.name == "c_plain"]
    plan = make_plan(
        Selection("local", arches=("x86_64",), policies=("2_31", "2_36")),
        default_catalog(),
        samples,
    )
    builds = [b.image for b in plan.build_images]
    distros = [d.image for d in plan.distros]
    groups = (("build image", builds), ("distro image", distros))
    ok = {spec.key: PreparedImage(spec.key, RESOLVED) for spec in builds + distros}

    def failed(spec_keys: list[str], error: str) -> dict[str, PreparedImage]:
        return {key: PreparedImage(key, failure={"error": error}) for key in spec_keys}

    pull = "cannot pull quay.io/pypa/x for linux/amd64: no such host"
    assert nothing_to_run(groups, ok) is None
    # one build image of two is missing: the rest of the matrix runs
    first, second = builds
    assert nothing_to_run(groups, ok | failed([first.key], pull)) is None
    line = nothing_to_run(groups, ok | failed([first.key, second.key], pull))
    assert line is not None and "\n" not in line
    assert line.startswith(
        "no build image could be obtained (and 1 more build images): cannot pull"
    )
    assert line.endswith("or use --profile local")
    no_distros = ok | failed([d.key for d in distros], "bootstrap failed")
    assert (
        nothing_to_run(groups, no_distros)
        == "no distro image could be obtained (and 6 more distro images): bootstrap failed"
    )
    # an image never prepared counts as failed
    assert nothing_to_run(groups, {}) is not None


def test_prepared_round_trips_through_its_state_file() -> None:
    prepared = Prepared(
        images={
            "made": PreparedImage("made", RESOLVED, facts={"gcc": "12.2.0"}),
            "failed": PreparedImage("failed", failure={"reference": "r", "error": "no"}),
        },
        builds={
            "c[default]@x": BuildOutcome("c[default]@x", "built", (Path("/w/c.whl"),), None, 2.0)
        },
        wheels={"c.whl": {"policy": "manylinux_2_17_x86_64"}},
        supply=InstallerSupply(pips_dir=Path("/w/pips"), pip_problems={"19.0": "gone"}),
    )
    again = Prepared.from_json(prepared.to_json())
    assert again == prepared
    assert again.images["failed"].error == "no" and again.images["made"].error is None
    assert again.images["made"].reference == "manylinux-harness/x:1"
    assert PreparedImage("never").error == "not prepared"


def test_the_probes_mount_the_offers_directories_too(tmp_path: Path) -> None:
    """An offer's staged directory is among the wheel directories the probes see, and the
    offers survive the trip through the results directory."""
    built = tmp_path / "wheels" / "c_plain-default-x"
    offer = tmp_path / "wheels" / "offer-1234"
    prepared = Prepared(
        images={},
        builds={"b": BuildOutcome("b", "built", (built / "w.whl",), None, 1.0)},
        offers={"b + c": offer},
        offer_problems={"d + e": "an offer holds two different wheels named x.whl"},
    )
    assert prepared.wheel_dirs == (built, offer)
    again = Prepared.from_json(prepared.to_json())
    assert again.offers == {"b + c": offer} and again.offer_problems == prepared.offer_problems
