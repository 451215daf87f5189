"""What `explain` finds, as plain data: the two sides of a policy switch, the distros each
reaches (each known distro once), the evidence of a run, what the measured distros offer, how
many downloads the switch concerns and since when. Built by harness.explain.policy_change,
rendered by harness.explain.render (text, Markdown), harness.explain.json_output (JSON) and
harness.explain.html_output (HTML).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from harness.vocab.toolchain import TOOLCHAIN

if TYPE_CHECKING:
    from harness.explain.download_shares import Crossing, Share, ShareSeries
    from harness.judge.distro_offer import Offer

# "data": PyPA's published facts (harness.explain.pypa_images) or the distro knowledge base
# (harness.explain.distros) for a distro no catalog row runs here.
# "rolling": the catalog's glibc of a rolling release, a lower bound (its last snapshot).
# "not published": the data says no source publishes it.
Source = Literal["measured", "catalog", "rolling", "data", "not measured", "not published"]

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
    ref: str = ""  # where the value comes from (data), or why it is unknown
    data_version: str = ""  # a measured value that differs from the data: the data's value


@dataclass(frozen=True)
class ImageData:
    """PyPA's images of one policy, as pypa/manylinux and manylinux-inspector publish them."""

    name: str  # PyPA's name, e.g. "manylinux2014"
    arches: tuple[str, ...]  # every arch PyPA publishes an image of this policy for
    arches_source: str
    base: str  # "CentOS 7"
    base_eol: str  # its end of life (the distro knowledge base), "" unknown
    base_eol_source: str
    support_ended: str  # ISO date PyPA ended the image's support, "" while supported
    support_source: str
    toolset: str  # "devtoolset-10", "gcc-toolset-14", "" the base's own gcc
    toolset_source: str
    image: str  # the inspected image for this arch, with its tag ("" none for this arch)
    inspected: str  # ISO date of that image
    os: str  # its /etc/os-release
    pythons: tuple[str, ...]  # "cp39-cp39 3.9.25", ...
    pythons_source: str


@dataclass(frozen=True)
class PolicySide:
    """One end of the switch."""

    name: str  # canonical, e.g. "manylinux_2_17"
    label: str  # as a packager knows it, e.g. "manylinux2014 (manylinux_2_17)"
    libc: str  # "glibc" or "musl"
    glibc: tuple[int, int]  # the libc floor (musl's for a musllinux policy)
    ceilings: tuple[tuple[str, str], ...]  # symbol-version family -> newest allowed ("" none)
    min_pip: str  # oldest pip that installs a wheel of this policy ("" unknown)
    pip_family: str  # the tag family that pip version introduced, e.g. "manylinux2014"
    build_image: str  # the catalog's image reference ("" when the catalog has none)
    toolchain: tuple[Tool, ...]
    images: ImageData | None = None  # PyPA's images of this policy (None: PyPA has none)
    no_image: str = ""  # why PyPA has no image of it

    @property
    def glibc_text(self) -> str:
        return f"{self.glibc[0]}.{self.glibc[1]}"

    @property
    def floor_text(self) -> str:
        """ "glibc 2.17" or "musl 1.2" """
        return f"{self.libc} {self.glibc_text}"

    def ceiling(self, family: str) -> str:
        return dict(self.ceilings).get(family, "")

    def tool(self, name: str) -> Tool | None:
        return next((t for t in self.toolchain if t.name == name), None)


@dataclass(frozen=True)
class DistroReach:
    name: str  # the known distro's identity, e.g. "ubuntu-14.04"
    description: str  # its name, e.g. "Ubuntu 14.04 LTS (trusty)"
    glibc: str  # "" unknown, "none" for a libc other than glibc (musl)
    glibc_source: Source
    eol: str  # ISO date, "rolling" for a rolling release, "" when none is published
    eol_past: bool | None  # None: no (parsable) date
    pip_version: str = ""  # the distro's own pip, when measured
    pip_too_old: bool = False  # its own pip predates the new policy's minimum pip
    runnable: bool = True  # False: no row of this profile's catalog runs it on this arch
    eol_source: str = ""
    rows: tuple[str, ...] = ()  # the catalog rows that run it
    why_not: str = ""  # why it is not runnable here
    musl: str = ""  # a musl distro's musl version

    @property
    def label(self) -> str:
        return self.name if self.runnable else f"{self.name} (not runnable: {self.why_short})"

    @property
    def why_short(self) -> str:
        if self.why_not.startswith("data only"):
            return "data only"
        if self.why_not.startswith("no ") and "catalog row" in self.why_not:
            return "not in this profile's catalog"
        return "no usable interpreter" if "interpreter" in self.why_not else "see notes"


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
class TimelineView:
    """The share of downloads on glibc >= the new floor (and the old) over time, with the dates
    it reached each threshold."""

    source: str  # "mayeut/manylinux-timeline at 9101d6b6 (BSD-2-Clause), consumer-data.json"
    window_days: int
    new: ShareSeries
    old: ShareSeries
    thresholds: tuple[float, ...]  # percent, e.g. (90, 95, 99) and the user's
    # per threshold: (by this date at the latest, not before this one); equal when exact
    crossings: tuple[tuple[Crossing, Crossing], ...]
    limits: tuple[str, ...]  # what the data cannot show, said plainly


@dataclass(frozen=True)
class SwitchShares:
    """How many downloads the switch concerns (harness.explain.download_shares), with their dates."""

    source: str  # "mayeut/manylinux-timeline at 9101d6b6 (BSD-2-Clause)"
    below_old: Share  # glibc below the old floor: out of reach already
    below_new: Share  # glibc below the new floor
    between: Share  # glibc between the two floors: given up (or, moving down, reached)
    pip_old: Share  # pips that know the old policy's oldest tag family
    pip_new: Share
    timeline: TimelineView | None = None


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
    # Measured toolchain values that differ from PyPA's published data: a stale data file
    # (or a changed image) is a finding, said in one line each.
    differences: tuple[str, ...] = ()
    uv_note: str = ""

    @property
    def families(self) -> tuple[str, ...]:
        """Symbol-version families of either side, in auditwheel's order."""
        seen = dict.fromkeys(f for f, _ in (*self.old.ceilings, *self.new.ceilings))
        return tuple(seen)

    @property
    def toolchain_measured(self) -> bool:
        return any(t.source == "measured" for t in (*self.old.toolchain, *self.new.toolchain))

    @property
    def libc(self) -> str:
        return self.new.libc

    @property
    def distros(self) -> tuple[DistroReach, ...]:
        """Every distro once, by what the switch does to it."""
        return (*self.lost, *self.regained, *self.kept, *self.out_of_reach, *self.unknown)
