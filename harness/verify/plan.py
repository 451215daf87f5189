"""What a verify run covers: the given wheels, grouped into sets, the distros to probe them in
(by default those of the wheels' own arches), and its cells: each set on each distro with the
distro's pip, and on the axes `run` has (the pips and uv releases of the installer axis, the
CPU models of the distro's arch). Pure but for reading the wheels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.catalog.model import Catalog, Distro
from harness.errors import UsageError
from harness.judge import cpu as cpus
from harness.judge import installers as pip_axis
from harness.results.builder import CellPlace, decorated_row, decorated_test_id
from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits
from harness.verify.given_wheels import GivenWheel, WheelSet, collect, group, wheel_labels
from harness.verify.integrity import damage
from harness.verify.project_tests import ProjectTests
from harness.vocab.arch import arch_names, get_arch
from harness.vocab.installer import DISTRO_PIP, Installer


@dataclass(frozen=True)
class VerifyCell:
    """One wheel set on one distro, installed by one installer, imported on one CPU."""

    wheel_set: WheelSet
    distro: Distro
    installer: Installer = DISTRO_PIP
    cpu: str = cpus.HOST

    @property
    def arch(self) -> str:
        return self.distro.arch.name

    @property
    def row(self) -> str:
        return decorated_row(self.wheel_set.row(self.arch), cpu=self.cpu)

    @property
    def test_id(self) -> str:
        parts = ["+".join(self.wheel_set.labels), self.arch, self.distro.name]
        foreign = self.wheel_set.foreign(self.arch)
        if foreign:
            parts.append("from-" + "-".join(foreign))
        return decorated_test_id(parts, self.installer, "default", self.cpu)

    @property
    def place(self) -> CellPlace:
        return CellPlace.make(
            self.row, self.test_id, self.arch, self.distro.name, self.installer, cpu=self.cpu
        )


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
    installers: tuple[Installer, ...] = ()  # the installer axis besides the distro's pip
    cpus: tuple[str, ...] = ()  # CPU models besides the host's own
    not_probed: tuple[tuple[str, str], ...] = ()  # (what, why): a pip on too new a Python
    # The project's own tests, the cibuildwheel way (None: the import and --check only).
    tests: ProjectTests | None = None

    @property
    def runnable(self) -> tuple[Distro, ...]:
        return tuple(d for d in self.distros if not d.skip_reason)

    def cells(self, distro: Distro) -> tuple[VerifyCell, ...]:
        """The distro's cells: every set with the distro's pip, then with each installer of
        the axis that runs on its Python, then on each CPU model of its arch."""
        made = [VerifyCell(s, distro) for s in self.sets]
        for installer in self.installers:
            if installer_runs(installer, distro) is None:
                made += [VerifyCell(s, distro, installer) for s in self.sets]
        models = cpus.models()
        for cpu in self.cpus:
            if models[cpu].arch == distro.arch.name:
                made += [VerifyCell(s, distro, cpu=cpu) for s in self.sets]
        return tuple(made)

    @property
    def needs_emulator(self) -> frozenset[str]:
        """The distros (by key) with cells on a CPU model: their probes mount qemu-user."""
        models = cpus.models()
        return frozenset(
            d.key for d in self.runnable if any(models[c].arch == d.arch.name for c in self.cpus)
        )


def installer_runs(installer: Installer, distro: Distro) -> str | None:
    """Why an installer of the axis cannot run on the distro's Python (by the catalog's
    Python; the probe checks the measured one); None when it can (uv's static binary runs
    everywhere)."""
    if installer.is_uv:
        return None
    return pip_axis.cannot_run(installer.release, distro.expected_python)


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
    installers: Sequence[Installer] = (),
    cpu_models: Sequence[str] = (),
    limits: WheelLimits = DEFAULT_LIMITS,
) -> VerifyPlan:
    if check is not None and not check.strip():
        raise UsageError("--check needs a command, e.g. --check \"python -c 'import foo'\"")
    collected = collect(list(paths))
    whole, damaged = split_damaged(collected.wheels, limits)
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
        installers=tuple(installers),
        cpus=tuple(cpu_models),
        not_probed=tuple(
            sorted(
                {
                    (f"{d.key} with {i.label}", why)
                    for d in distros
                    for i in installers
                    if (why := installer_runs(i, d))
                }
            )
        ),
    )


def split_damaged(
    wheels: Sequence[GivenWheel], limits: WheelLimits = DEFAULT_LIMITS
) -> tuple[tuple[GivenWheel, ...], tuple[tuple[GivenWheel, str], ...]]:
    """The whole wheels, and the ones that cannot be verified with what is wrong and its fix
    (a damaged zip; members declaring more than the limits, never unpacked): each gives an
    `error` cell per distro. Every one of them so is bad input (exit 2), naming each."""
    damaged = tuple((w, why) for w in wheels if (why := damage(w.path, limits)) is not None)
    if damaged and len(damaged) == len(wheels):
        named = "; ".join(f"{w.path}: {why}" for w, why in damaged)
        raise UsageError(f"every given wheel is damaged or over the limits: {named}")
    bad = {w.filename for w, _ in damaged}
    return tuple(w for w in wheels if w.filename not in bad), damaged
