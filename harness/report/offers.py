"""The distro x policy table of the report: what each measured distro offers the policies a
reader weighs (harness.judge.distro_offer), and the whitelisted libraries each lacks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from harness.report.model import NoteList, Table, TableCell, Text, plain
from harness.results.record import RunRecord

# Besides the run's own build-image policies, the policies packagers choose between today:
# manylinux2014 (CentOS 7's), manylinux_2_28 (RHEL 8's) and manylinux_2_34 (RHEL 9's).
REFERENCE_POLICIES = ("manylinux_2_17", "manylinux_2_28", "manylinux_2_34")


def _policies(record: RunRecord, arch: str) -> list[Any]:
    """The run's build-image policies and the reference ones: manylinux by glibc floor, then
    musllinux by musl floor."""
    from harness.judge import policy as policy_mod
    from harness.vocab.policy_names import is_musl

    names = {m.policy for c in record.cells if c.arch == arch for m in c.members}
    names.update(REFERENCE_POLICIES)
    known = {p.name: p for p in policy_mod.policies(arch)}
    for name in sorted(n for n in names if is_musl(n)):
        known[name] = policy_mod.musl_policy(name, arch)
    return sorted((known[n] for n in names if n in known), key=lambda p: (p.libc, p.glibc))


def _measured(distros: Mapping[str, Any]) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
    """Distros whose libraries were measured, per arch, oldest glibc first (as the matrix)."""
    from harness.vocab.versions import version_tuple

    found = []
    for key, entry in distros.items():
        entry = entry or {}
        facts = entry.get("facts") or {}
        # an entry without its arch is keyed "<distro>-<arch>" all the same
        arch = str(entry.get("arch") or key.rsplit("-", 1)[-1])
        if facts.get("sonames") or facts.get("musl"):
            found.append((str(entry.get("name") or key.removesuffix(f"-{arch}")), arch, facts))
    yield from sorted(
        found,
        key=lambda d: (
            d[1],
            not d[2].get("glibc") and bool(d[2].get("musl")),  # musl distros after glibc ones
            version_tuple(d[2].get("glibc") or d[2].get("musl") or "0"),
            d[0],
        ),
    )


def offers(record: RunRecord) -> tuple[Table, NoteList]:
    """One row per measured distro, one column per policy: "satisfied" or what falls short;
    and one note per distro naming the whitelisted libraries it lacks."""
    from harness.judge.distro_offer import offer
    from harness.probe.facts import DistroFacts

    rows = []
    absent: list[tuple[Text, ...]] = []
    columns: list[str] = []
    for name, arch, facts in _measured(record.distros):
        pols = _policies(record, arch)
        header = [p.display_name for p in pols]
        if columns and header != columns:
            # another arch with other build images: its own header row keeps columns honest
            rows.append(tuple(TableCell(plain(h)) for h in ("", "", *header)))
        columns = columns or header
        measured = DistroFacts.from_json(dict(facts))
        found = [offer(name, measured, p) for p in pols]
        rows.append(
            (
                TableCell(plain(name)),
                TableCell(plain(arch)),
                *(TableCell(plain(o.summary)) for o in found),
            )
        )
        lacking = sorted({lib for o in found for lib in o.absent})
        if lacking:
            absent.append((Text(f"{name} ({arch}): "), *_codes(lacking)))
    table = Table(
        "distro-offers",
        "What each distro offers each policy (auditwheel's whitelist and symbol versions)",
        ("distro", "arch", *columns),
        tuple(rows),
    )
    return table, NoteList("Whitelisted libraries the distros lack", tuple(absent))


def _codes(names: list[str]) -> list[Text]:
    texts: list[Text] = []
    for i, name in enumerate(names):
        if i:
            texts.append(Text(", "))
        texts.append(Text(name, "code"))
    return texts
