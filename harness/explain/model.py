"""What `explain` finds, as plain data: the two sides of a policy switch, the distros each
reaches, the evidence of a run, what the measured distros offer and how many downloads the
switch concerns. Built by harness.explain.policy_change, rendered by harness.explain.render.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from harness.vocab.toolchain import TOOLCHAIN

if TYPE_CHECKING:
    from harness.explain.download_shares import Share
    from harness.judge.distro_offer import Offer

# "data": a reference row (harness.explain.reference_distros), a distro no catalog runs.
# "rolling": the catalog's glibc of a rolling release, a lower bound (its last snapshot).
Source = Literal["measured", "catalog", "rolling", "data", "not measured"]

# Toolchain rows (harness.probe.facts.TOOLCHAIN), and the keys a build image's measured facts may
# carry for each ("gxx" for g++ has been read since explain was written: kept, so that no
# record reads differently).
_FACT_ALIASES = {"g++": ("gxx",)}
TOOLS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (name, (name, *_FACT_ALIASES.get(name, ()))) for name in TOOLCHAIN
)


@dataclass(frozen=True)
class Tool:
    name: str  # "gcc", "binutils", ...
    version: str  # "" when unknown
    source: Source


@dataclass(frozen=True)
class PolicySide:
    """One end of the switch."""

    name: str  # canonical, e.g. "manylinux_2_17"
    label: str  # as a packager knows it, e.g. "manylinux2014 (manylinux_2_17)"
    glibc: tuple[int, int]
    ceilings: tuple[tuple[str, str], ...]  # symbol-version family -> newest allowed ("" none)
    min_pip: str  # oldest pip that installs a wheel of this policy ("" unknown)
    pip_family: str  # the tag family that pip version introduced, e.g. "manylinux2014"
    build_image: str  # the catalog's image reference ("" when the catalog has none)
    toolchain: tuple[Tool, ...]  # empty when the catalog has no build image for it

    @property
    def glibc_text(self) -> str:
        return f"{self.glibc[0]}.{self.glibc[1]}"

    def ceiling(self, family: str) -> str:
        return dict(self.ceilings).get(family, "")

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.toolchain if t.name == name), None)


@dataclass(frozen=True)
class DistroReach:
    name: str
    description: str
    glibc: str  # "" unknown, "none" for a libc other than glibc (musl)
    glibc_source: Source
    eol: str  # ISO date, "rolling" for a rolling release, "" when the catalog has none
    eol_past: bool | None  # None: no (parsable) date
    pip_version: str = ""  # the distro's own pip, when measured
    pip_too_old: bool = False  # its own pip predates the new policy's minimum pip
    runnable: bool = True  # False: a data row only (CentOS 5, ...), no catalog runs it

    @property
    def label(self) -> str:
        return self.name if self.runnable else f"{self.name} (data row, not runnable)"


@dataclass(frozen=True)
class Evidence:
    """Cells of one distro whose wheels all came from one policy's build image."""

    distro: str
    policy: str  # canonical
    ok: int
    refused: int  # pip refused the wheel
    other: int  # accepted but broken, or the harness could not tell
    distro_caused: int = 0  # of `other`: broken because the distro lacks a whitelisted library

    @property
    def total(self) -> int:
        return self.ok + self.refused + self.other


@dataclass(frozen=True)
class OfferRow:
    """A measured distro against both policies (harness.judge.distro_offer): what it offers each."""

    distro: str
    old: Offer
    new: Offer


@dataclass(frozen=True)
class SwitchShares:
    """How many downloads the switch concerns (harness.explain.download_shares), with their dates."""

    source: str  # "mayeut/manylinux-timeline at 9101d6b6 (BSD-2-Clause)"
    below_old: Share  # glibc below the old floor: out of reach already
    below_new: Share  # glibc below the new floor
    between: Share  # glibc between the two floors: given up (or, moving down, reached)
    pip_old: Share  # pips that know the old policy's oldest tag family
    pip_new: Share


@dataclass(frozen=True)
class Explanation:
    old: PolicySide
    new: PolicySide
    profile: str
    arch: str
    today: _dt.date
    lost: tuple[DistroReach, ...]  # glibc in [old floor, new floor): no longer installs
    regained: tuple[DistroReach, ...]  # glibc in [new floor, old floor): a move down reaches
    kept: tuple[DistroReach, ...]  # installs under both
    out_of_reach: tuple[DistroReach, ...]  # installs under neither (older glibc, or musl)
    unknown: tuple[DistroReach, ...]  # glibc neither measured nor declared
    whitelist_added: tuple[str, ...]  # sonames the new policy lets a wheel leave to the system
    whitelist_removed: tuple[str, ...]  # sonames the new policy wants bundled
    evidence: tuple[Evidence, ...]
    results: str  # where the evidence and measured facts came from ("" none)
    auditwheel_version: str = ""  # whose policy data the floors and ceilings are
    notes: tuple[str, ...] = ()
    offers: tuple[OfferRow, ...] = ()  # measured distros against both policies
    shares: SwitchShares | None = None

    @property
    def families(self) -> tuple[str, ...]:
        """Symbol-version families of either side, in auditwheel's order."""
        seen = dict.fromkeys(f for f, _ in (*self.old.ceilings, *self.new.ceilings))
        return tuple(seen)

    @property
    def toolchain_measured(self) -> bool:
        return any(t.source == "measured" for t in (*self.old.toolchain, *self.new.toolchain))
