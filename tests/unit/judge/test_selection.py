"""Several wheels of one version offered together: what packaging's tag priority predicts an
installer picks (tag rank, then the build tag, ties said), which offered wheel an install
took (from its dist-info), and an offer cell judged: a pick that works, a wrong pick, a pick
tag priority did not predict, no wheel that fits, a pick the harness cannot identify."""

from __future__ import annotations

from harness.catalog.samples import ExpectRule
from harness.judge import selection
from harness.judge.cell import CellJob, OfferContext, SampleContext, WheelFacts, judge_cell
from harness.judge.installers import installer_knows
from harness.probe import observation as obs
from harness.vocab.installer import DISTRO_PIP, Installer
from harness.vocab.verdict import Verdict
from harness.vocab.wheel_name import WheelName
from tests.helpers.factories import facts

OLD = "p-1.0-cp39-abi3-manylinux1_x86_64.manylinux_2_5_x86_64.manylinux_2_31_x86_64.whl"
NEW = "p-1.0-cp39-abi3-manylinux1_x86_64.manylinux_2_5_x86_64.manylinux_2_41_x86_64.whl"
CP311 = "p-1.0-cp311-cp311-manylinux_2_36_x86_64.whl"
V3 = "p-1.0-1-cp39-abi3-manylinux_2_17_x86_64.whl"
BASELINE = "p-1.0-cp39-abi3-manylinux_2_17_x86_64.whl"


def names(*filenames: str) -> list[WheelName]:
    return [WheelName.parse(f) for f in filenames]


def dist(filename: str) -> obs.InstalledDist:
    """What the agent reads from the dist-info an install of this wheel leaves."""
    name = WheelName.parse(filename)
    return obs.InstalledDist(name.distribution, name.version, name.tags, name.build_tag)


def test_the_best_ranked_tag_wins_then_the_build_tag() -> None:
    supported = facts(python=(3, 13), glibc=(2, 41)).supported_tags
    newer = selection.predict(names(OLD, NEW), supported)
    assert [w.filename for w in newer.best] == [NEW]
    assert newer.tag == "cp39-abi3-manylinux_2_41_x86_64"
    assert newer.rank == supported.index(newer.tag)
    older_system = facts(python=(3, 11), glibc=(2, 36)).supported_tags
    assert [w.filename for w in selection.predict(names(OLD, NEW), older_system).best] == [OLD]
    # a cp3X wheel for this interpreter ranks above abi3
    assert [w.filename for w in selection.predict(names(OLD, CP311), older_system).best] == [CP311]
    # identical tags: the higher build tag, whatever the order given
    for offered in ((V3, BASELINE), (BASELINE, V3)):
        assert [w.filename for w in selection.predict(names(*offered), older_system).best] == [V3]


def test_an_installer_that_knows_no_pep600_tags_sees_a_tie() -> None:
    supported = facts(python=(3, 9), glibc=(2, 31)).supported_tags
    pip19 = selection.predict(names(OLD, NEW), supported, lambda p: installer_knows(p, "19.3"))
    assert {w.filename for w in pip19.best} == {OLD, NEW}  # both by manylinux1 alone
    assert pip19.tag == "cp39-abi3-manylinux1_x86_64"
    nothing = selection.predict(names(CP311), supported)
    assert nothing.best == () and nothing.fits == () and nothing.rank == -1


def test_the_installed_dist_info_names_the_picked_wheel() -> None:
    offered = names(V3, BASELINE)
    assert selection.picked([dist(V3)], offered) == offered[0]
    assert selection.picked([dist(BASELINE)], offered) == offered[1]
    other = obs.InstalledDist("p", "1.0", ("cp39-abi3-linux_x86_64",), "")
    assert selection.picked([other], offered) is None
    # a dist-info without tags cannot tell two builds of one version apart
    assert selection.picked([obs.InstalledDist("p", "1.0", ())], offered) is None
    assert selection.picked([obs.InstalledDist("P", "1.0.0", ())], names(OLD)) is not None


def test_a_pick_round_trips_and_says_whether_it_was_predicted() -> None:
    pick = selection.Pick("p: policies", (OLD, NEW), (NEW,), "t", NEW, (OLD, NEW))
    assert pick.agrees is True and not pick.tie
    assert selection.Pick.from_json(pick.to_json()) == pick
    assert selection.Pick("p", (OLD, NEW), (NEW,), picked=OLD).agrees is False
    assert selection.Pick("p", (OLD, NEW), (OLD, NEW)).agrees is None
    assert selection.same_but_build(names(V3, BASELINE))
    assert not selection.same_but_build(names(OLD, NEW))
    # a release's musllinux builds beside: each system chooses among its own libc's alone
    musl_v3 = "p-1.0-1-cp39-abi3-musllinux_1_2_x86_64.whl"
    musl_baseline = "p-1.0-cp39-abi3-musllinux_1_2_x86_64.whl"
    assert selection.same_but_build(names(V3, BASELINE, musl_v3, musl_baseline))
    assert not selection.same_but_build(names(V3, BASELINE, musl_baseline))  # musl: no choice
    assert not selection.same_but_build(names(OLD, NEW, musl_v3, musl_baseline))


RULES = (
    ExpectRule(Verdict.VIOLATION, {"flavour": "v3", "cpu_level": "<3"}, "SIGILL below v3"),
    ExpectRule(Verdict.OK, {}, "works"),
)


def offer_job(*filenames: str, installer: Installer = DISTRO_PIP, cpu: str = "host") -> CellJob:
    flavours = {V3: "v3", BASELINE: "baseline"}
    return CellJob(
        arch="x86_64",
        installer=installer,
        wheels=tuple(WheelFacts(n) for n in names(*filenames)),
        distro="debian-bookworm",
        cpu=cpu,
        offer=OfferContext(
            "p: cpu-levels",
            {
                f: SampleContext(RULES, flavours.get(f, "default"), "manylinux_2_36", (2, 36))
                for f in filenames
            },
        ),
    )


def accepted(filename: str, load: str = obs.PASSED) -> obs.Observation:
    install = obs.InstallObservation(
        obs.ACCEPTED, "23.0.1", 0, "", "Successfully installed p", 1.0, installed=(dist(filename),)
    )
    code, signal = (0, None) if load == obs.PASSED else (-4, "SIGILL")
    return obs.Observation(install, load=obs.RunObservation(load, code, signal, "done", "", 0.5))


def test_a_predicted_pick_that_works_is_ok() -> None:
    judged = judge_cell(offer_job(V3, BASELINE), facts(), accepted(V3), "x86-64-v4")
    assert judged.verdict is Verdict.OK and judged.as_expected
    assert judged.selection is not None and judged.selection.picked == V3
    assert judged.selection.agrees is True and judged.selection.fits == (V3, BASELINE)
    assert judged.expected.installable is True
    assert judged.expected.reason.startswith(f"tag priority picks {V3}: ")


def test_a_pick_that_breaks_is_a_wrong_pick() -> None:
    judged = judge_cell(
        offer_job(V3, BASELINE, cpu="x86-64-v2"), facts(), accepted(V3, obs.CRASHED), "x86-64-v4"
    )
    assert judged.verdict is Verdict.VIOLATION
    assert judged.decision.explanation.startswith(f"a wrong pick: pip preferred {V3} of the 2")
    # the picked wheel's flavour declared it: the control is caught
    assert judged.expected.declared is Verdict.VIOLATION and judged.as_expected


def test_a_pick_tag_priority_did_not_predict_is_recorded_and_judged_by_its_wheel() -> None:
    uv = Installer.uv("0.1")
    judged = judge_cell(
        offer_job(V3, BASELINE, installer=uv, cpu="x86-64-v2"), facts(), accepted(BASELINE)
    )
    assert judged.selection is not None and judged.selection.agrees is False
    assert judged.selection.predicted == (V3,)
    # the baseline build works on that CPU, and its rules say so
    assert judged.verdict is Verdict.OK and judged.expected.declared is Verdict.OK


def test_no_offered_wheel_fits() -> None:
    refusal = obs.Observation(
        obs.InstallObservation(
            obs.REFUSED, "23.0.1", 1, "No matching distribution found for p", "", 1.0
        )
    )
    judged = judge_cell(offer_job(CP311), facts(python=(3, 9), glibc=(2, 31)), refusal)
    assert judged.verdict is Verdict.REFUSED_AS_CLAIMED
    assert judged.decision.explanation.startswith(
        "refused, and no offered wheel fits: none of the 1"
    )
    assert judged.selection is not None and judged.selection.picked == ""
    # the tags fit, but a pip without PEP 600 tags refuses: expected of that pip
    pep600 = judge_cell(
        offer_job(CP311, installer=Installer.pip("19.3")), facts(python=(3, 11)), refusal
    )
    assert pep600.expected.installer_too_old and pep600.verdict is Verdict.REFUSED_AS_CLAIMED
    assert pep600.as_expected


def test_an_install_the_offer_does_not_hold_cannot_be_told() -> None:
    stranger = obs.InstallObservation(
        obs.ACCEPTED,
        "23.0.1",
        0,
        "",
        "",
        1.0,
        installed=(obs.InstalledDist("p", "1.0", ("py3-none-any",)),),
    )
    judged = judge_cell(
        offer_job(V3, BASELINE), facts(), obs.Observation(stranger, load=accepted(V3).load)
    )
    assert judged.verdict is Verdict.ERROR
    assert "none of the offered wheels" in judged.diagnosis.summary


def test_the_record_keeps_the_pick_and_what_was_installed() -> None:
    import dataclasses
    import json

    from harness.results.record import CellRecord
    from tests.helpers.factories import cell

    pick = selection.Pick("p: cpu-levels", (V3, BASELINE), (V3,), "t", V3, (V3, BASELINE))
    made = dataclasses.replace(cell(), selection=pick, observed=accepted(V3))
    again = CellRecord.from_json(json.loads(json.dumps(made.to_json())))
    assert again.selection == pick
    assert again.observed.install is not None
    assert again.observed.install.installed == (dist(V3),)
    assert CellRecord.from_json(cell().to_json()).selection is None
