"""`manylinux-harness explain OLD NEW`: what a packager gains and gives up by moving a
project's wheels from one manylinux policy to another.

Gains: the build image's toolchain (measured in results.json when a run recorded it, else
PyPA's published data, harness.explain.pypa_images; where the two differ it is said) and the
policy's symbol-version ceilings (auditwheel's data, read through harness.judge.policy). Costs:
every known distro (harness.explain.distros) whose libc is below the new floor, with its end of
life and that date's source, the oldest pip that knows the new tag (installers.toml), and the
share of downloads that is, over time (harness.explain.download_shares). A run's cells, when
given, add what was observed.

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
    ImageData,
    OfferRow,
    PolicySide,
    Source,
    SwitchShares,
    TimelineView,
    Tool,
)
from harness.vocab import policy_names
from harness.vocab.versions import version_tuple

# harness.judge.policy, harness.catalog.model and harness.judge.expectation load auditwheel's
# policy data; they are imported where used, so that `register` (run for every command line)
# stays cheap.
if TYPE_CHECKING:
    from harness.catalog.model import BuildImage, Catalog
    from harness.explain.distros import DistroEntry, KnownDistro
    from harness.explain.download_shares import DownloadShares
    from harness.explain.pypa_images import PypaImages
    from harness.judge.installers import TagFamily
    from harness.judge.policy import PolicyInfo
    from harness.results.record import RunRecord

# The thresholds every explanation dates; a user's --threshold joins them.
THRESHOLDS = (90.0, 95.0, 99.0)

# uv's tag code is its own; no uv release predates these tags, and a run's uv axis measures
# what each release installs (installers.toml).
UV_NOTE = (
    "uv: every release is newer than these tags (its oldest line, 0.1, is from spring 2024, "
    "installers.toml); a run's uv axis (--uv) measures what each release installs"
)

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
    profile: str = "official",
    arch: str = "x86_64",
    today: _dt.date | None = None,
    results: str = "",
    auditwheel_version: str = "",
    distros: Sequence[KnownDistro] | None = None,
    shares: DownloadShares | None = None,
    images: PypaImages | None = None,
    threshold: float | None = None,
) -> Explanation:
    """What moving a project's wheels from policy `old` to policy `new` changes.

    `record`: a run whose measured facts and cells are used when it is of `profile`.
    `installers`: the pip tag families (harness.judge.installers.tag_families()).
    `results`: how to name the record's file in the output.
    `distros`: the known distros (by default harness.explain.distros.known()).
    `shares`: download counts and their timeline (harness.explain.download_shares.shipped()).
    `images`: PyPA's images as data (harness.explain.pypa_images.shipped()).
    `threshold`: a share (percent) whose crossing date is wanted besides 90, 95 and 99.
    """
    from harness.explain.distros import entries
    from harness.vocab.arch import get_arch

    arch = get_arch(arch).name
    old_policy, new_policy, libc = _two_policies(old, new, arch)
    today = today or _dt.date.today()
    notes: list[str] = []
    record = _usable_record(record, profile, arch, results, notes)

    sides = [
        _side(pol, libc, catalog, record, installers, profile, arch, images)
        for pol in (old_policy, new_policy)
    ]
    old_side, new_side = sides
    reaches = [
        _with_eol(_reach(entry, _entry_facts(record, entry, arch)), today)
        for entry in entries(catalog, profile, arch, distros)
    ]
    offers = []
    for distro in catalog.distros(profile, [arch]):
        facts = _distro_facts(record, distro.key)
        if facts is not None and facts.get("sonames"):  # libraries measured: offers known
            offers.append(_offer_row(distro.name, facts, old_policy, new_policy))
    groups = _group_reaches(reaches, old_side, new_side)
    switch_shares = None
    if shares is not None and libc == "glibc":
        switch_shares = _switch_shares(shares, old_side, new_side, threshold)
    elif shares is not None:
        notes.append(
            "download shares: the data counts manylinux downloads on glibc systems only; it "
            "has nothing on musl systems, so this switch has no share and no timeline"
        )
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
        shares=switch_shares,
        differences=tuple(d for side in sides for d in _differences(side, arch)),
        uv_note=UV_NOTE,
    )


def _two_policies(old: str, new: str, arch: str) -> tuple[PolicyInfo, PolicyInfo, str]:
    """auditwheel's policies of the two names and their C library; one-line errors for what
    explain cannot compare."""
    musl = [policy_names.is_musl(name) for name in (old, new)]
    if musl[0] != musl[1]:
        raise UsageError(
            f"{old} and {new} are for different C libraries (glibc and musl): a wheel does not "
            "move between them; compare two manylinux or two musllinux policies"
        )
    if musl[0]:
        old_policy, new_policy = _musl_policy(old, arch), _musl_policy(new, arch)
    else:
        from harness.judge import policy as policy_mod

        old_policy = policy_mod.get_policy(old, arch)
        new_policy = policy_mod.get_policy(new, arch)
    if old_policy.name == new_policy.name:
        raise UsageError(
            f"{old} and {new} are the same policy ({old_policy.name}): name two different policies"
        )
    return old_policy, new_policy, "musl" if musl[0] else "glibc"


def _musl_policy(name: str, arch: str) -> PolicyInfo:
    """A musllinux policy of the installed auditwheel, in harness.judge.policy's shape (its
    floor is musl's version)."""
    from harness.judge.policy import musl_policy

    return musl_policy(name, arch)


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


def _libc_version(reach: DistroReach, libc: str) -> str:
    """The distro's version of the switch's C library; "none" when it has another one."""
    if libc == "musl":
        return reach.musl or ("none" if reach.glibc and reach.glibc != "none" else "")
    return reach.glibc


def _group_reaches(
    reaches: Sequence[DistroReach], old_side: PolicySide, new_side: PolicySide
) -> dict[str, tuple[DistroReach, ...]]:
    """Each distro by what the switch does to it: lost, regained, kept, out of reach, or
    unknown (no version known, or a rolling release's lower bound below a floor), each
    ordered by its C library's version."""
    groups: dict[str, list[DistroReach]] = {k: [] for k in ("lost", "regained", "kept", "out", "?")}
    new_pip = version_tuple(new_side.min_pip)
    libc = new_side.libc
    for reach in reaches:
        text = _libc_version(reach, libc)
        version = version_tuple(text)
        if not text:
            groups["?"].append(reach)
        elif reach.glibc_source == "rolling" and version < max(old_side.glibc, new_side.glibc):
            # Only a lower bound below a floor: today's image may well be past it.
            groups["?"].append(reach)
        elif not version:  # "none": the other C library, which no such wheel installs on
            groups["out"].append(reach)
        elif version >= max(old_side.glibc, new_side.glibc):
            if reach.pip_version and new_pip:
                too_old = version_tuple(reach.pip_version) < new_pip
                reach = dataclasses.replace(reach, pip_too_old=too_old)
            groups["kept"].append(reach)
        elif version >= old_side.glibc:
            groups["lost"].append(reach)
        elif version >= new_side.glibc:
            groups["regained"].append(reach)
        else:
            groups["out"].append(reach)
    return {
        key: tuple(sorted(items, key=lambda r: (version_tuple(_libc_version(r, libc)), r.name)))
        for key, items in groups.items()
    }


def _offer_row(name: str, facts: Mapping[str, Any], old: PolicyInfo, new: PolicyInfo) -> OfferRow:
    from harness.judge.distro_offer import offer
    from harness.probe.facts import DistroFacts

    measured = DistroFacts.from_json(dict(facts))
    return OfferRow(name, offer(name, measured, old), offer(name, measured, new))


def _switch_shares(
    shares: DownloadShares, old: PolicySide, new: PolicySide, threshold: float | None
) -> SwitchShares:
    low, high = sorted((old.glibc, new.glibc))
    return SwitchShares(
        source=shares.source,
        below_old=shares.glibc_below(old.glibc),
        below_new=shares.glibc_below(new.glibc),
        between=shares.glibc_between(low, high),
        pip_old=shares.pip_at_least(old.min_pip or "0"),
        pip_new=shares.pip_at_least(new.min_pip or "0"),
        timeline=_timeline_view(shares, old, new, threshold),
    )


def _timeline_view(
    shares: DownloadShares, old: PolicySide, new: PolicySide, threshold: float | None
) -> TimelineView | None:
    timeline = shares.timeline
    if timeline is None:
        return None
    thresholds = tuple(sorted({*THRESHOLDS, *([threshold] if threshold is not None else [])}))
    series_new, series_old = timeline.at_least(new.glibc), timeline.at_least(old.glibc)
    limits = [
        note
        for note in (timeline.bucket_note(series_new), timeline.bucket_note(series_old))
        if note
    ]
    limits += [
        f"the timeline begins on {timeline.first}: a threshold already met then reads "
        "'before the data begins', not a date",
        f"each date's share is of the {timeline.window_days} days up to it, as the source "
        "publishes it (the sum of its buckets, each rounded to 0.01 %)",
        f"pip versions: the source stopped recording them after {shares.pip.last}; the pip "
        f"shares are of the one week {shares.pip.first} to {shares.pip.last}, with no "
        "timeline",
        "only downloads of manylinux wheels on glibc systems are counted: systems that only "
        "ever fetch sdists or musllinux wheels are not in these shares",
    ]
    return TimelineView(
        source=f"{shares.source}, consumer-data.json (last updated {timeline.last_update})",
        window_days=timeline.window_days,
        new=series_new,
        old=series_old,
        thresholds=thresholds,
        crossings=tuple(series_new.crossings(t) for t in thresholds),
        limits=tuple(limits),
    )


def _of_profile(record: RunRecord, profile: str) -> bool:
    """Whether a run measured this profile; a merged run's profile reads "local+official"."""
    return not record.profile or profile in record.profile.split("+")


def _side(
    pol: PolicyInfo,
    libc: str,
    catalog: Catalog,
    record: RunRecord | None,
    installers: Sequence[TagFamily],
    profile: str,
    arch: str,
    images: PypaImages | None,
) -> PolicySide:
    built = catalog.build_images(profile, [arch], [pol.name])
    image = built[0] if built else None
    label = f"{pol.display_name} ({pol.name})" if pol.aliases else pol.name
    min_pip, family = _minimum_pip(pol, arch, installers)
    return PolicySide(
        name=pol.name,
        label=label,
        libc=libc,
        glibc=pol.glibc,
        ceilings=tuple(
            (family_name, _newest(versions))
            for family_name, versions in pol.symbol_versions.items()
        ),
        min_pip=min_pip,
        pip_family=family,
        build_image=image.image.tag if image else "",
        toolchain=_toolchain(pol.name, image, catalog, record, profile, arch, images),
        images=_image_data(pol.name, arch, images),
        no_image=(images.no_image.get(pol.name, "") if images is not None else ""),
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


def _image_data(policy: str, arch: str, images: PypaImages | None) -> ImageData | None:
    from harness.explain.distros import known

    pol = images.policy(policy) if images is not None else None
    if images is None or pol is None:
        return None
    inspected = images.image(policy, arch)
    base = next((d for d in known() if d.id == pol.base_distro), None)
    toolset = pol.toolset
    if not toolset.published and inspected is not None and inspected.toolset:
        toolset = dataclasses.replace(
            toolset, value=inspected.toolset, source=f"{inspected.source} (its PATH)"
        )
    return ImageData(
        name=pol.name,
        arches=pol.arch_list,
        arches_source=pol.arches.source,
        base=pol.base.value,
        base_eol=base.eol if base else "",
        base_eol_source=base.eol_source if base else "not in distros.toml",
        support_ended=pol.support_ended,
        support_source=pol.support_source,
        toolset=toolset.value,
        toolset_source=toolset.source,
        image=inspected.image if inspected else "",
        inspected=inspected.inspected if inspected else "",
        os=inspected.os if inspected else "",
        pythons=inspected.pythons if inspected else (),
        pythons_source=inspected.source if inspected else "",
    )


def _toolchain(
    policy: str,
    image: BuildImage | None,
    catalog: Catalog,
    record: RunRecord | None,
    profile: str,
    arch: str,
    images: PypaImages | None,
) -> tuple[Tool, ...]:
    """Each tool of the policy's build image: measured by a run where it was, else PyPA's
    published value (official profile), else what the catalog declares; a measured value the
    data disagrees with keeps the data's value beside it."""
    entry = record.images.get(image.image.key) if record is not None and image else None
    facts: Mapping[str, Any] = (entry or {}).get("facts") or {}
    data = images.toolchain(policy, arch) if images is not None else {}
    declared: dict[str, str] = {}
    if image is not None and image.libc == "manylinux":
        suite = catalog.suites.get(image.image.base.suite) if image.image.base.suite else None
        # The catalog declares no compiler versions; it knows the glibc (the Debian suite's,
        # or the policy's own floor, which is what PyPA's images are built on). A musllinux
        # image's policy names no glibc.
        declared["glibc"] = suite.glibc if suite else f"{image.glibc[0]}.{image.glibc[1]}"
    # PyPA's data describes PyPA's images: the local profile builds its own.
    use_data = profile == "official"
    tools = []
    for name, keys in TOOLS:
        measured = next((str(facts[k]) for k in keys if facts.get(k)), "")
        fact = data.get(name) if use_data else None
        if measured:
            differs = fact is not None and fact.published and not _same(measured, fact.value)
            tools.append(
                Tool(
                    name,
                    measured,
                    "measured",
                    ref=fact.source if differs and fact is not None else "",
                    data_version=fact.value if differs and fact is not None else "",
                )
            )
        elif fact is not None and fact.published:
            tools.append(Tool(name, fact.value, "data", ref=fact.source))
        elif name in declared:
            tools.append(Tool(name, declared[name], "catalog"))
        elif fact is not None:
            tools.append(Tool(name, "", "not published", ref=fact.source))
        else:
            tools.append(Tool(name, "", "not measured"))
    return tuple(tools)


def _same(measured: str, published: str) -> bool:
    """Whether a measured version is what the data says; "10 (major)" only names the major."""
    if published.endswith(" (major)"):
        return measured.split(".")[0] == published.split()[0].split(".")[0]
    return measured == published


def _differences(side: PolicySide, arch: str) -> list[str]:
    return [
        f"{side.name} {arch} {tool.name}: measured {tool.version}, PyPA's data says "
        f"{tool.data_version} ({tool.ref}): the data file is stale or the image changed"
        for tool in side.toolchain
        if tool.data_version
    ]


def _distro_facts(record: RunRecord | None, key: str) -> Mapping[str, Any] | None:
    if record is None:
        return None
    facts = (record.distros.get(key) or {}).get("facts")
    return facts if isinstance(facts, Mapping) else None


def _entry_facts(
    record: RunRecord | None, entry: DistroEntry, arch: str
) -> Mapping[str, Any] | None:
    """The measured facts of the first of the distro's rows a run measured."""
    for row in entry.rows:
        facts = _distro_facts(record, f"{row}-{arch}")
        if facts is not None:
            return facts
    return None


def _reach(entry: DistroEntry, facts: Mapping[str, Any] | None) -> DistroReach:
    distro = entry.distro
    known = DistroReach(
        name=distro.id,
        description=distro.name,
        glibc=distro.glibc,
        glibc_source="data",
        eol=distro.eol,
        eol_past=None,
        eol_source=distro.eol_source,
        runnable=entry.runnable,
        rows=entry.rows,
        why_not=entry.why_not,
        musl=distro.musl,
    )
    if facts is not None:
        # A measured null glibc is a measurement too: the system has none (musl).
        return dataclasses.replace(
            known,
            glibc=str(facts.get("glibc") or "none"),
            glibc_source="measured",
            pip_version=str(facts.get("pip_version") or ""),
        )
    source: Source = "data"
    if not distro.glibc:
        source = "not measured"
    elif entry.runnable:
        source = "rolling" if distro.eol == ROLLING else "catalog"
    return dataclasses.replace(known, glibc_source=source)


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
