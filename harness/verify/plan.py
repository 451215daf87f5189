"""What a verify run covers: the given wheels, grouped into sets, and the distros to probe
them in (by default those of the wheels' own arches). Pure but for reading the wheels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.catalog.model import Catalog, Distro
from harness.errors import UsageError
from harness.verify.given_wheels import GivenWheel, WheelSet, collect, group, wheel_labels
from harness.verify.integrity import damage
from harness.vocab.arch import arch_names, get_arch


@dataclass(frozen=True)
class VerifyPlan:
    profile: str
    arches: tuple[str, ...]
    wheels: tuple[GivenWheel, ...]
    sets: tuple[WheelSet, ...]
    distros: tuple[Distro, ...]
    check: str | None
    skipped_wheels: tuple[str, ...]
    # Wheels whose zip is damaged inside, each a set of its own with the reason: their cells
    # are `error` without a probe; the other wheels are verified.
    damaged: tuple[tuple[WheelSet, str], ...] = ()
    together: bool = False
    downloaded: tuple[str, ...] = ()  # the requirements --download fetched the wheels for

    @property
    def runnable(self) -> tuple[Distro, ...]:
        return tuple(d for d in self.distros if not d.skip_reason)


def default_arches(wheels: Sequence[GivenWheel], host_arch: str) -> tuple[str, ...]:
    """The arches the wheels are built for; the host's when they are all pure Python."""
    found = sorted({a for w in wheels for a in w.arches})
    if not found:
        return (host_arch,)
    known = tuple(a for a in found if a in arch_names())
    if not known:
        raise UsageError(
            f"the wheels are built for {', '.join(found)}, which has no distros here: "
            "pass --arch to choose distros (which must refuse them)"
        )
    return known


def make_plan(
    paths: Sequence[Path],
    check: str | None,
    profile: str,
    arch_names: Sequence[str],
    distro_names: Sequence[str],
    catalog: Catalog,
    host_arch: str,
    *,
    together: bool = False,
) -> VerifyPlan:
    if check is not None and not check.strip():
        raise UsageError("--check needs a command, e.g. --check \"python -c 'import foo'\"")
    collected = collect(list(paths))
    whole, damaged = split_damaged(collected.wheels)
    arches = tuple(dict.fromkeys(get_arch(a).name for a in arch_names)) or default_arches(
        collected.wheels, host_arch
    )
    distros = catalog.distros(profile, arches, list(distro_names) or None)
    if not distros:
        named = f" named {', '.join(distro_names)}" if distro_names else ""
        raise UsageError(
            f"profile {profile} has no distro{named} for {', '.join(arches)}: "
            "choose another --arch or --distro"
        )
    return VerifyPlan(
        profile=profile,
        arches=arches,
        wheels=whole,
        sets=group(whole, together=together),
        distros=tuple(distros),
        check=check,
        skipped_wheels=collected.skipped,
        damaged=tuple(
            (WheelSet((w,), wheel_labels([w], collected.wheels)), why) for w, why in damaged
        ),
        together=together,
    )


def split_damaged(
    wheels: Sequence[GivenWheel],
) -> tuple[tuple[GivenWheel, ...], tuple[tuple[GivenWheel, str], ...]]:
    """The whole wheels, and the damaged ones with what is wrong; every one damaged is bad
    input (exit 2), naming each."""
    damaged = tuple((w, why) for w in wheels if (why := damage(w.path)) is not None)
    if damaged and len(damaged) == len(wheels):
        named = "; ".join(f"{w.path}: {why}" for w, why in damaged)
        raise UsageError(f"every given wheel is damaged ({named}): download them again")
    bad = {w.filename for w, _ in damaged}
    return tuple(w for w in wheels if w.filename not in bad), damaged
