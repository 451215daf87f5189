"""The sample corpus: standalone projects under sample_projects/, each described by sample.toml.

A sample names what the probe imports, the check it runs (a script that verifies results,
not only that import works), the build flavours cibuildwheel makes of it, and the verdicts
the harness must reproduce for it, as data next to the code.
"""

from __future__ import annotations

import functools
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UsageError
from harness.util.cache import tree_hash
from harness.vocab.verdict import Verdict

SAMPLE_FILE = "sample.toml"
KINDS = ("sample", "control")
# Which of an arch's build images (ordered by glibc) a flavour is built in.
BUILDS = ("all", "oldest", "newest", "all-but-oldest")
# The libc families a sample can declare it applies to (`[applies] libc = [...]`), and the
# build-image platform family (BuildImage.libc) each stands for.
LIBC_FAMILIES = {"glibc": "manylinux", "musl": "musllinux"}
DLOPEN_MODES = ("default", "global")
_RULE_CONDITIONS = (
    "flavour",
    "arch",
    "distro",
    "build_policy",
    "build_glibc",
    "build_python",
    "distro_glibc",
    "distro_libc",  # the C library measured there: "glibc" or "musl"
    "distro_python",
    "distro_glibcxx",
    "distro_lacks",
    "distro_lacks_needed",
    "distro_lacks_whitelisted",
    "requires_beyond_distro",
    "order",
    "dlopen",
    "cpu_level",  # the x86-64 level of the CPU (model) the import + check ran on
)


@dataclass(frozen=True)
class Flavour:
    """One way of building a sample (toolchain flags, repair command)."""

    name: str
    environment: Mapping[str, str] = field(default_factory=dict)  # CIBW_ENVIRONMENT_LINUX
    repair: str | None = None  # CIBW_REPAIR_WHEEL_COMMAND_LINUX, None: cibuildwheel's default
    builds: str = "all"  # one of BUILDS
    # Module names, when they differ per flavour or build image; placeholders {flavour} and
    # {policy} (the build image's policy). Wheels loaded into one process need distinct ones.
    imports: tuple[str, ...] = ()
    kind: str = ""  # overrides the sample's kind (a control flavour of a sample)
    description: str = ""
    # False: built only to be offered beside other wheels ([[offer]]), no cells of its own
    alone: bool = True

    def config(self) -> dict[str, Any]:
        """What enters the wheel cache key."""
        return {"environment": dict(self.environment), "repair": self.repair}


@dataclass(frozen=True)
class ExpectRule:
    """`verdict` applies to cells matching every condition given (first matching rule wins)."""

    verdict: Verdict
    conditions: Mapping[str, Any]
    reason: str = ""


@dataclass(frozen=True)
class CombinationMember:
    flavour: str
    build: str  # "oldest" or "newest" build image of the arch


@dataclass(frozen=True)
class Combination:
    """Several wheels of one sample imported into one process (in each order, and with the
    dlopen modes given), e.g. the same C++ code from two toolchains."""

    name: str
    members: tuple[CombinationMember, ...]
    orders: str = "both"  # "given" or "both"
    dlopen: tuple[str, ...] = ("default",)
    expect: tuple[ExpectRule, ...] = ()
    description: str = ""


OFFER_BUILDS = ("oldest", "newest", "all")


@dataclass(frozen=True)
class OfferMember:
    flavour: str
    build: str  # one of OFFER_BUILDS: which build images of the arch it is taken from


@dataclass(frozen=True)
class Offer:
    """Several wheels of one version of the sample's project offered together, as an index
    offers a release's files: each installer picks one (the selection axis), and the picked
    wheel is imported and checked. Its rules (default: the sample's) are matched against
    the picked wheel's flavour and build image."""

    name: str
    members: tuple[OfferMember, ...]
    expect: tuple[ExpectRule, ...] = ()
    description: str = ""
    # Also run on the CPU models of --cpu: for builds an installer cannot tell apart by the
    # CPU (x86-64-v3 beside baseline), where the pick breaks is the finding.
    cpu_axis: bool = False


@dataclass(frozen=True)
class Applies:
    """Where a sample can be built (its sample.toml's `[applies]`): a sample that cannot be
    built for an arch or libc (x86-64-v3 code on aarch64, C++ without a musl libstdc++) is
    never planned there, rather than failing every run of that arch."""

    arches: tuple[str, ...] = ()  # manylinux arch names; empty: every arch
    libc: tuple[str, ...] = ()  # "glibc", "musl"; empty: both
    why: str = ""

    def to(self, arch: str, platform_family: str) -> bool:
        """Whether it applies to build images of `arch` and `platform_family` ("manylinux"
        or "musllinux", as BuildImage.libc names it)."""
        if self.arches and arch not in self.arches:
            return False
        families = {LIBC_FAMILIES[libc] for libc in self.libc}
        return not families or platform_family in families


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    kind: str
    description: str
    imports: tuple[str, ...]
    check: str  # path of the check script, relative to the project
    flavours: tuple[Flavour, ...]
    expect: tuple[ExpectRule, ...]
    combinations: tuple[Combination, ...] = ()
    # Its wheel from the oldest build image of each arch is also offered to one distro of every
    # other arch in the run: pip must refuse it there (the cross-arch check).
    cross_arch: bool = False
    # Its single-wheel cells are also installed with each pip of the pip-version axis.
    pip_axis: bool = False
    cpu_axis: bool = False  # also run on the CPU models of --cpu (x86-64 levels)
    # Where it can be built at all (`[applies]`): arches and libc families; empty: everywhere.
    applies: Applies = field(default_factory=Applies)
    offers: tuple[Offer, ...] = ()

    @property
    def check_path(self) -> Path:
        return self.path / self.check

    @functools.cached_property
    def tree_hash(self) -> str:
        return tree_hash(self.path)

    def flavour(self, name: str) -> Flavour:
        for flavour in self.flavours:
            if flavour.name == name:
                return flavour
        raise UsageError(f"sample {self.name} has no flavour {name!r}")

    def kind_of(self, flavour: Flavour) -> str:
        return flavour.kind or self.kind

    def module_names(self, flavour: Flavour, build_policy: str) -> tuple[str, ...]:
        """The modules a wheel of this flavour, built under `build_policy`, provides."""
        values = {"flavour": flavour.name, "policy": policy_slug(build_policy)}
        return tuple(name.format(**values) for name in (flavour.imports or self.imports))


def policy_slug(policy: str) -> str:
    """A build image's policy as it appears in module names: "manylinux_2_31", "manylinux2014"."""
    return "".join(ch if ch.isalnum() else "_" for ch in policy)


def _rule(data: Mapping[str, Any], where: str) -> ExpectRule:
    unknown = sorted(set(data) - {"verdict", "reason", *_RULE_CONDITIONS})
    if unknown:
        raise UsageError(
            f"{where}: unknown expect condition {unknown[0]!r}; use {', '.join(_RULE_CONDITIONS)}"
        )
    try:
        verdict = Verdict(data["verdict"])
    except (KeyError, ValueError):
        raise UsageError(
            f"{where}: expect rule needs verdict = one of {', '.join(v.value for v in Verdict)}"
        ) from None
    conditions = {k: v for k, v in data.items() if k in _RULE_CONDITIONS}
    return ExpectRule(verdict=verdict, conditions=conditions, reason=str(data.get("reason", "")))


def _flavour(row: Mapping[str, Any], where: str) -> Flavour:
    builds = str(row.get("builds", "all"))
    if builds not in BUILDS:
        raise UsageError(
            f"{where}: flavour {row.get('name')!r} builds must be one of {', '.join(BUILDS)}"
        )
    kind = str(row.get("kind", ""))
    if kind and kind not in KINDS:
        raise UsageError(f"{where}: flavour kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return Flavour(
        name=str(row["name"]),
        environment={str(k): str(v) for k, v in row.get("environment", {}).items()},
        repair=row.get("repair"),
        builds=builds,
        imports=tuple(row.get("imports", ())),
        kind=kind,
        description=str(row.get("description", "")),
        alone=bool(row.get("alone", True)),
    )


def _offer(row: Mapping[str, Any], flavours: list[str], where: str) -> Offer:
    name = str(row.get("name", ""))
    if not name:
        raise UsageError(f"{where}: an [[offer]] needs a name")
    members = []
    for member in row.get("members", ()):
        if member.get("flavour") not in flavours:
            raise UsageError(
                f"{where}: offer {name!r} names unknown flavour {member.get('flavour')!r}; "
                f"use one of {', '.join(flavours)}"
            )
        if member.get("build") not in OFFER_BUILDS:
            raise UsageError(
                f"{where}: offer {name!r} members need build = {' or '.join(map(repr, OFFER_BUILDS))}"
            )
        members.append(OfferMember(flavour=str(member["flavour"]), build=str(member["build"])))
    if len(members) < 2 and not any(m.build == "all" for m in members):
        raise UsageError(f"{where}: offer {name!r} needs at least two wheels to choose from")
    return Offer(
        name=name,
        members=tuple(members),
        expect=tuple(_rule(r, f"{where} offer {name}") for r in row.get("expect", ())),
        description=str(row.get("description", "")),
        cpu_axis=bool(row.get("cpu_axis", False)),
    )


def _combination(row: Mapping[str, Any], flavours: list[str], where: str) -> Combination:
    members = []
    for member in row.get("members", ()):
        if member.get("flavour") not in flavours:
            raise UsageError(
                f"{where}: combination {row.get('name')!r} names unknown flavour {member.get('flavour')!r}"
            )
        if member.get("build") not in ("oldest", "newest"):
            raise UsageError(f'{where}: combination members need build = "oldest" or "newest"')
        members.append(CombinationMember(flavour=member["flavour"], build=member["build"]))
    if len(members) < 2:
        raise UsageError(f"{where}: combination {row.get('name')!r} needs at least two members")
    dlopen = tuple(row.get("dlopen", ["default"]))
    if not set(dlopen) <= set(DLOPEN_MODES):
        raise UsageError(f"{where}: dlopen modes are {', '.join(DLOPEN_MODES)}")
    orders = str(row.get("orders", "both"))
    if orders not in ("given", "both"):
        raise UsageError(f'{where}: orders must be "given" or "both"')
    return Combination(
        name=str(row["name"]),
        members=tuple(members),
        orders=orders,
        dlopen=dlopen,
        expect=tuple(_rule(r, f"{where} combination {row['name']}") for r in row.get("expect", ())),
        description=str(row.get("description", "")),
    )


def _applies(data: Any, where: str) -> Applies:
    from harness.vocab.arch import arch_names

    if not isinstance(data, dict):
        raise UsageError(f"{where}: [applies] must be a table with arches and/or libc")
    unknown = sorted(set(data) - {"arches", "libc", "why"})
    if unknown:
        raise UsageError(
            f"{where}: [applies] has unknown key {unknown[0]!r}; use arches, libc, why"
        )
    arches = data.get("arches", [])
    libc = data.get("libc", [])
    if not isinstance(arches, list) or not isinstance(libc, list):
        raise UsageError(f"{where}: [applies] arches and libc are lists of names")
    for arch in arches:
        if arch not in arch_names():
            raise UsageError(
                f"{where}: [applies] names unknown arch {arch!r}; use {', '.join(arch_names())}"
            )
    for family in libc:
        if family not in LIBC_FAMILIES:
            raise UsageError(
                f"{where}: [applies] names unknown libc {family!r}; use {', '.join(LIBC_FAMILIES)}"
            )
    return Applies(tuple(map(str, arches)), tuple(map(str, libc)), str(data.get("why", "")))


def load_sample(project: Path) -> Sample:
    meta_path = project / SAMPLE_FILE
    try:
        data = tomllib.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{project} has no {SAMPLE_FILE}: add one (see sample_projects/c_plain)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{meta_path} is not valid TOML ({exc}): fix it") from None
    where = str(meta_path)
    kind = data.get("kind", "sample")
    if kind not in KINDS:
        raise UsageError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    flavours = tuple(_flavour(row, where) for row in data.get("flavour", [{"name": "default"}]))
    names = [f.name for f in flavours]
    if len(set(names)) != len(names):
        raise UsageError(f"{where}: flavour names must be unique, got {names}")
    sample = Sample(
        name=str(data.get("name", project.name)),
        path=project,
        kind=kind,
        description=str(data.get("description", "")),
        imports=tuple(data.get("imports", [project.name])),
        check=str(data.get("check", "check.py")),
        flavours=flavours,
        expect=tuple(_rule(row, where) for row in data.get("expect", ())),
        combinations=tuple(_combination(row, names, where) for row in data.get("combine", ())),
        cross_arch=bool(data.get("cross_arch", False)),
        pip_axis=bool(data.get("pip_axis", False)),
        cpu_axis=bool(data.get("cpu_axis", False)),
        applies=_applies(data.get("applies", {}), where),
        offers=tuple(_offer(row, names, where) for row in data.get("offer", ())),
    )
    offer_names = [o.name for o in sample.offers]
    if len(set(offer_names)) != len(offer_names):
        raise UsageError(f"{where}: offer names must be unique, got {offer_names}")
    offered = {m.flavour for o in sample.offers for m in o.members}
    for flavour in sample.flavours:
        if not flavour.alone and flavour.name not in offered:
            raise UsageError(
                f"{where}: flavour {flavour.name!r} has alone = false but no [[offer]] names "
                "it: offer it, or drop alone = false"
            )
    if not sample.check_path.is_file():
        raise UsageError(f"{where}: check script {sample.check} does not exist: add it")
    return sample


def default_samples_dir() -> Path:
    configured = os.environ.get("MANYLINUX_HARNESS_SAMPLES")
    if configured:
        return Path(configured)
    checkout = Path(__file__).resolve().parents[2] / "sample_projects"
    if checkout.is_dir():
        return checkout
    return Path.cwd() / "sample_projects"


def discover(samples_dir: Path, names: Iterable[str] | None = None) -> list[Sample]:
    if not samples_dir.is_dir():
        raise UsageError(
            f"sample directory {samples_dir} does not exist: pass --samples-dir or run from a checkout"
        )
    projects = sorted(p.parent for p in samples_dir.glob(f"*/{SAMPLE_FILE}"))
    found = [load_sample(p) for p in projects]
    if names:
        wanted = list(names)
        known = {s.name for s in found}
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise UsageError(
                f"unknown sample {unknown[0]!r}: choose from {', '.join(sorted(known))}"
            )
        found = [s for s in found if s.name in wanted]
    return found
