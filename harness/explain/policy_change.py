"""`manylinux-harness explain OLD NEW`: what a packager gains and gives up by moving a
project's wheels from one manylinux policy to another.

Gains: the build image's toolchain (measured in results.json when a run recorded it, else
what the catalog declares) and the policy's symbol-version ceilings (auditwheel's data, read
through harness.judge.policy). Costs: the catalogued distros whose glibc is below the new floor,
with their end of life, and the oldest pip that knows the new tag (installers.toml). A run's
cells, when given, add what was observed.

`explain` is pure (its data: harness.explain.model; its output: harness.explain.render);
harness.cli.explain does the file reading.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.catalog.model import ROLLING
from harness.errors import UsageError
from harness.explain.model import (
    TOOLS,
    DistroReach,
    Evidence,
    Explanation,
    OfferRow,
    PolicySide,
    SwitchShares,
    Tool,
)
from harness.vocab import policy_names
from harness.vocab.versions import version_tuple

# harness.judge.policy, harness.catalog.model and harness.judge.expectation load auditwheel's
# policy data; they are imported where used, so that `register` (run for every command line)
# stays cheap.
if TYPE_CHECKING:
    from harness.catalog.model import BuildImage, Catalog
    from harness.explain.download_shares import DownloadShares
    from harness.explain.reference_distros import ReferenceDistro
    from harness.judge.installers import TagFamily
    from harness.judge.policy import PolicyInfo
    from harness.results.record import RunRecord

# auditwheel lists non-numeric symbol versions too (CXXABI_FLOAT128, CXXABI_TM_1): they are
# not ceilings, and version_tuple would read "FLOAT128" as 128.
_NUMERIC_VERSION = re.compile(r"^\d+(\.\d+)*$")


# -- pure logic --------------------------------------------------------------------------------


def explain(
    old: str,
    new: str,
    catalog: Catalog,
    record: RunRecord | None,
    installers: Sequence[TagFamily],
    *,
    profile: str = "local",
    arch: str = "x86_64",
    today: _dt.date | None = None,
    results: str = "",
    auditwheel_version: str = "",
    reference: Sequence[ReferenceDistro] = (),
    shares: DownloadShares | None = None,
) -> Explanation:
    """What moving a project's wheels from policy `old` to policy `new` changes.

    `record`: a run whose measured facts and cells are used when it is of `profile`.
    `installers`: the pip tag families (harness.judge.installers.tag_families()).
    `results`: how to name the record's file in the output.
    `reference`: data rows (harness.explain.reference_distros), grouped like the catalog's
    distros.
    `shares`: download counts (harness.explain.download_shares.shipped()).
    """
    from harness.vocab.arch import get_arch

    arch = get_arch(arch).name
    old_policy, new_policy = _two_glibc_policies(old, new, arch)
    today = today or _dt.date.today()
    notes: list[str] = []
    record = _usable_record(record, profile, arch, results, notes)

    sides = [
        _side(pol, catalog, record, installers, profile, arch) for pol in (old_policy, new_policy)
    ]
    for side in sides:
        if not side.build_image:
            notes.append(
                f"the {profile} catalog has no {side.name} build image for {arch}: "
                "its toolchain is unknown"
            )
    old_side, new_side = sides

    reaches = []
    offers = []
    for distro in catalog.distros(profile, [arch]):
        facts = _distro_facts(record, distro.key)
        reaches.append(
            _reach(distro.name, distro.description, distro.eol, distro.expected_glibc, facts)
        )
        if facts is not None and facts.get("sonames"):  # libraries measured: offers known
            offers.append(_offer_row(distro.name, facts, old_policy, new_policy))
    reaches += [
        DistroReach(r.name, r.note, r.glibc, "data", r.eol, None, runnable=False) for r in reference
    ]
    groups = _group_reaches([_with_eol(r, today) for r in reaches], old_side, new_side)
    return Explanation(
        old=old_side,
        new=new_side,
        profile=profile,
        arch=arch,
        today=today,
        lost=groups["lost"],
        regained=groups["regained"],
        kept=groups["kept"],
        out_of_reach=groups["out"],
        unknown=groups["?"],
        whitelist_added=tuple(sorted(new_policy.whitelist - old_policy.whitelist)),
        whitelist_removed=tuple(sorted(old_policy.whitelist - new_policy.whitelist)),
        evidence=_evidence(record, arch, (old_side.name, new_side.name)) if record else (),
        results=results if record is not None else "",
        auditwheel_version=auditwheel_version,
        notes=tuple(notes),
        offers=tuple(offers),
        shares=_switch_shares(shares, old_side, new_side) if shares is not None else None,
    )


def _two_glibc_policies(old: str, new: str, arch: str) -> tuple[PolicyInfo, PolicyInfo]:
    """auditwheel's policies of the two names; one-line errors for what explain cannot compare."""
    from harness.judge import policy as policy_mod

    for name in (old, new):
        if policy_names.is_musl(name):
            raise UsageError(
                f"explain compares glibc policies, and {name} is a musllinux policy: "
                "pass manylinux names such as manylinux2014 or manylinux_2_28"
            )
    old_policy = policy_mod.get_policy(old, arch)
    new_policy = policy_mod.get_policy(new, arch)
    if old_policy.name == new_policy.name:
        raise UsageError(
            f"{old} and {new} are the same policy ({old_policy.name}): name two different policies"
        )
    return old_policy, new_policy


def _usable_record(
    record: RunRecord | None, profile: str, arch: str, results: str, notes: list[str]
) -> RunRecord | None:
    """The record if its measurements apply to this profile; says why not in `notes`."""
    if record is not None and not _of_profile(record, profile):
        # Image and distro keys of another profile name other images: nothing there applies.
        notes.append(
            f"{results or 'the results'} are of the {record.profile} profile, not {profile}: "
            "not used"
        )
        return None
    if record is not None and not any(c.arch == arch for c in record.cells):
        notes.append(f"{results or 'the results'} hold no cells for {arch}")
    return record


def _group_reaches(
    reaches: Sequence[DistroReach], old_side: PolicySide, new_side: PolicySide
) -> dict[str, tuple[DistroReach, ...]]:
    """Each distro by what the switch does to it: lost, regained, kept, out of reach, or
    unknown (no glibc known, or a rolling release's lower bound below a floor), each ordered
    by glibc."""
    groups: dict[str, list[DistroReach]] = {k: [] for k in ("lost", "regained", "kept", "out", "?")}
    new_pip = version_tuple(new_side.min_pip)
    for reach in reaches:
        glibc = version_tuple(reach.glibc)
        if not reach.glibc:
            groups["?"].append(reach)
        elif reach.glibc_source == "rolling" and glibc < max(old_side.glibc, new_side.glibc):
            # Only a lower bound below a floor: today's image may well be past it.
            groups["?"].append(reach)
        elif not glibc:  # "none": musl, which no manylinux wheel installs on
            groups["out"].append(reach)
        elif glibc >= max(old_side.glibc, new_side.glibc):
            if reach.pip_version and new_pip:
                too_old = version_tuple(reach.pip_version) < new_pip
                reach = dataclasses.replace(reach, pip_too_old=too_old)
            groups["kept"].append(reach)
        elif glibc >= old_side.glibc:
            groups["lost"].append(reach)
        elif glibc >= new_side.glibc:
            groups["regained"].append(reach)
        else:
            groups["out"].append(reach)
    return {
        key: tuple(sorted(items, key=lambda r: (version_tuple(r.glibc), r.name)))
        for key, items in groups.items()
    }


def _offer_row(name: str, facts: Mapping[str, Any], old: PolicyInfo, new: PolicyInfo) -> OfferRow:
    from harness.judge.distro_offer import offer
    from harness.probe.facts import DistroFacts

    measured = DistroFacts.from_json(dict(facts))
    return OfferRow(name, offer(name, measured, old), offer(name, measured, new))


def _switch_shares(shares: DownloadShares, old: PolicySide, new: PolicySide) -> SwitchShares:
    low, high = sorted((old.glibc, new.glibc))
    return SwitchShares(
        source=shares.source,
        below_old=shares.glibc_below(old.glibc),
        below_new=shares.glibc_below(new.glibc),
        between=shares.glibc_between(low, high),
        pip_old=shares.pip_at_least(old.min_pip or "0"),
        pip_new=shares.pip_at_least(new.min_pip or "0"),
    )


def _of_profile(record: RunRecord, profile: str) -> bool:
    """Whether a run measured this profile; a merged run's profile reads "local+official"."""
    return not record.profile or profile in record.profile.split("+")


def _side(
    pol: PolicyInfo,
    catalog: Catalog,
    record: RunRecord | None,
    installers: Sequence[TagFamily],
    profile: str,
    arch: str,
) -> PolicySide:
    images = catalog.build_images(profile, [arch], [pol.name])
    image = images[0] if images else None
    label = f"{pol.display_name} ({pol.name})" if pol.aliases else pol.name
    min_pip, family = _minimum_pip(pol, arch, installers)
    return PolicySide(
        name=pol.name,
        label=label,
        glibc=pol.glibc,
        ceilings=tuple(
            (family_name, _newest(versions))
            for family_name, versions in pol.symbol_versions.items()
        ),
        min_pip=min_pip,
        pip_family=family,
        build_image=image.image.tag if image else "",
        toolchain=_toolchain(image, catalog, record) if image else (),
    )


def _newest(versions: frozenset[str]) -> str:
    numeric = [v for v in versions if _NUMERIC_VERSION.match(v)]
    return max(numeric, key=version_tuple) if numeric else ""


def _minimum_pip(pol: PolicyInfo, arch: str, installers: Sequence[TagFamily]) -> tuple[str, str]:
    """The oldest pip that knows any of the tags auditwheel gives a wheel of this policy:
    its PEP 600 tag and, for the three legacy policies, the legacy alias too (which is why a
    manylinux2014 wheel needs pip 19.3, not 20.3)."""
    tags = [pol.tag(arch), *(f"{alias}_{arch}" for alias in pol.aliases)]
    found = []
    for tag in tags:
        # The first matching family decides, as in harness.judge.installers.family_of.
        family = next((f for f in installers if f.pattern.match(tag)), None)
        if family is not None:
            found.append(family)
    if not found:
        return "", ""
    best = min(found, key=lambda f: f.since)
    return str(best.since), best.name


def _toolchain(image: BuildImage, catalog: Catalog, record: RunRecord | None) -> tuple[Tool, ...]:
    entry = record.images.get(image.image.key) if record is not None else None
    facts: Mapping[str, Any] = (entry or {}).get("facts") or {}
    suite = catalog.suites.get(image.image.base.suite) if image.image.base.suite else None
    # The catalog declares no compiler versions; it knows the glibc (the Debian suite's, or
    # the policy's own floor, which is what PyPA's images are built on).
    declared = {"glibc": suite.glibc if suite else f"{image.glibc[0]}.{image.glibc[1]}"}
    tools = []
    for name, keys in TOOLS:
        measured = next((str(facts[k]) for k in keys if facts.get(k)), "")
        if measured:
            tools.append(Tool(name, measured, "measured"))
        elif name in declared:
            tools.append(Tool(name, declared[name], "catalog"))
        else:
            tools.append(Tool(name, "", "not measured"))
    return tuple(tools)


def _distro_facts(record: RunRecord | None, key: str) -> Mapping[str, Any] | None:
    if record is None:
        return None
    facts = (record.distros.get(key) or {}).get("facts")
    return facts if isinstance(facts, Mapping) else None


def _reach(
    name: str, description: str, eol: str, declared_glibc: str, facts: Mapping[str, Any] | None
) -> DistroReach:
    if facts is not None:
        # A measured null glibc is a measurement too: the system has none (musl).
        glibc = str(facts.get("glibc") or "none")
        return DistroReach(
            name=name,
            description=description,
            glibc=glibc,
            glibc_source="measured",
            eol=eol,
            eol_past=None,
            pip_version=str(facts.get("pip_version") or ""),
        )
    return DistroReach(
        name=name,
        description=description,
        glibc=declared_glibc,
        glibc_source=("rolling" if eol == ROLLING else "catalog")
        if declared_glibc
        else "not measured",
        eol=eol,
        eol_past=None,
    )


def _with_eol(reach: DistroReach, today: _dt.date) -> DistroReach:
    if reach.eol == ROLLING:
        return dataclasses.replace(reach, eol_past=False)
    try:
        past = _dt.date.fromisoformat(reach.eol) < today if reach.eol else None
    except ValueError:
        past = None
    return dataclasses.replace(reach, eol_past=past)


def _evidence(record: RunRecord, arch: str, policies: Sequence[str]) -> tuple[Evidence, ...]:
    from harness.probe import observation as obs
    from harness.vocab.verdict import Verdict

    counts: dict[tuple[str, str], Counter[str]] = {}
    for cell in record.cells:
        if cell.arch != arch or not cell.members:
            continue
        built_in = {m.policy for m in cell.members}
        # A combination of wheels from two build images says nothing about either alone.
        if len(built_in) != 1 or next(iter(built_in)) not in policies:
            continue
        install = cell.observed.install
        if cell.verdict is Verdict.OK:
            outcome = "ok"
        elif install is not None and install.decision == obs.REFUSED:
            outcome = "refused"
        else:
            outcome = "other"
        tally = counts.setdefault((cell.distro, next(iter(built_in))), Counter())
        tally[outcome] += 1
        tally["distro_caused"] += bool(cell.distro_cause)

    def glibc_of(distro: str) -> tuple[int, ...]:
        facts = _distro_facts(record, f"{distro}-{arch}") or {}
        return version_tuple(str(facts.get("glibc") or ""))

    rows = []
    for distro in sorted({d for d, _ in counts}, key=lambda d: (glibc_of(d), d)):
        for pol in policies:
            found = counts.get((distro, pol))
            if found:
                rows.append(
                    Evidence(
                        distro,
                        pol,
                        found["ok"],
                        found["refused"],
                        found["other"],
                        found["distro_caused"],
                    )
                )
    return tuple(rows)


def find_results(base: Path, profile: str, arch: str) -> Path | None:
    """The newest run under base/results (results/*/results.json, or results/results.json as
    `run` writes by default) of this profile with cells for this arch; None if none."""
    from harness.results import record as results_mod

    candidates = [base / "results" / "results.json", *sorted(base.glob("results/*/results.json"))]
    best: tuple[str, float, Path] | None = None
    for candidate in candidates:
        if not candidate.is_file():
            continue
        try:
            record = results_mod.load(candidate)
        except UsageError:
            continue  # an unreadable or older run is not a default worth failing over
        # Another profile's run names other images and distros: its facts would not apply.
        if not _of_profile(record, profile) or not any(c.arch == arch for c in record.cells):
            continue
        key = (record.created, candidate.stat().st_mtime, candidate)
        if best is None or key[:2] > best[:2]:
            best = key
    return best[2] if best else None
