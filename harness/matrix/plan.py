"""The matrix: which wheels to build and which cells to probe, from a selection. Pure."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from harness.build.wheels import BuildRequest
from harness.catalog.model import BuildImage, Catalog, Distro
from harness.catalog.samples import Combination, Flavour, Offer, Sample
from harness.errors import UsageError
from harness.images.candidate import CandidateImage, candidate_build_image
from harness.judge import cpu as cpus
from harness.judge import installers
from harness.results.builder import CellPlace, decorated_row, decorated_test_id
from harness.vocab.installer import DISTRO_PIP, Installer


@dataclass(frozen=True)
class Selection:
    profile: str
    arches: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    distros: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()
    candidates: tuple[CandidateImage, ...] = ()
    pips: tuple[Installer, ...] = ()  # the pip-version axis (besides the distro's own pip)
    uvs: tuple[Installer, ...] = ()  # uv releases of the installer axis
    cpus: tuple[str, ...] = ()  # CPU models besides the host's own: "x86-64-v1"
    # The selection axis: which samples' offers run ("SAMPLE" or "SAMPLE:OFFER"); "none":
    # no offer cells; empty: every offer of the selected samples.
    offers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Member:
    """One wheel in a cell: a sample's flavour built in one build image."""

    sample: Sample
    flavour: Flavour
    build_image: BuildImage

    @property
    def request(self) -> BuildRequest:
        return BuildRequest(self.sample, self.flavour, self.build_image)

    @property
    def label(self) -> str:
        """e.g. "c_plain@manylinux_2_31" or "cpp_static_locals[static]@manylinux_2_31"."""
        flavour = "" if self.flavour.name == "default" else f"[{self.flavour.name}]"
        return f"{self.sample.name}{flavour}@{self.build_image.display_policy}"

    @property
    def imports(self) -> tuple[str, ...]:
        return self.sample.module_names(self.flavour, self.build_image.display_policy)

    @property
    def kind(self) -> str:
        return self.sample.kind_of(self.flavour)


@dataclass(frozen=True)
class Cell:
    members: tuple[Member, ...]
    distro: Distro
    dlopen: str = "default"
    installer: Installer = DISTRO_PIP  # the distro's own pip; or one of the axis
    combination: Combination | None = None  # set for several wheels in one process
    order: str = "given"  # or "reversed": the combination's members imported the other way
    cpu: str = cpus.HOST  # or a CPU model the import + check runs on, under qemu-user
    # Set for an offer: the members are several builds of one version, the installer picks one.
    offer: Offer | None = None

    @property
    def arch(self) -> str:
        return self.distro.arch.name

    @property
    def offer_name(self) -> str:
        """ "c_plain: policies" """
        return f"{self.members[0].sample.name}: {self.offer.name}" if self.offer else ""

    @property
    def offer_key(self) -> str:
        """What identifies an offer's set of wheels (its members' builds): one directory."""
        return " + ".join(sorted(m.request.key for m in self.members))

    @property
    def cross_arch(self) -> bool:
        """A wheel of another arch offered to this distro: pip must refuse it."""
        return any(m.build_image.arch != self.distro.arch for m in self.members)

    def _label(self, member: Member) -> str:
        if member.build_image.arch == self.distro.arch:
            return member.label
        return f"{member.label} ({member.build_image.arch.name} wheel)"

    @property
    def row(self) -> str:
        """The report row: the wheels (in import order), how they are loaded, the CPU model;
        an offer's name and the wheels it offers."""
        if self.offer is not None:
            offered = " | ".join(m.label for m in self.members)
            return decorated_row(f"offer {self.offer_name} ({offered})", cpu=self.cpu)
        return decorated_row(
            " + ".join(self._label(m) for m in self.members), self.dlopen, self.cpu
        )

    @property
    def test_id(self) -> str:
        members = "+".join(m.label.replace("@", "-") for m in self.members)
        if self.offer is not None:
            members = f"offer-{self.members[0].sample.name}-{self.offer.name}"
        parts = [members, self.arch, self.distro.name]
        foreign = sorted(
            {
                m.build_image.arch.name
                for m in self.members
                if m.build_image.arch != self.distro.arch
            }
        )
        if foreign:
            parts.append("from-" + "-".join(foreign))
        return decorated_test_id(parts, self.installer, self.dlopen, self.cpu)

    @property
    def place(self) -> CellPlace:
        return CellPlace.make(
            self.row,
            self.test_id,
            self.arch,
            self.distro.name,
            self.installer,
            self.dlopen,
            self.cpu,
        )

    @property
    def key(self) -> str:
        """Stable identity across runs (no image digests): what the gate compares."""
        return self.place.key

    @property
    def group(self) -> str:
        """The xdist group: cells of one group run on one worker, which keeps one container
        per distro. One group per (distro, installer), not per distro: with a group per distro,
        2 workers and 5 distros, the last distro ran alone for a fifth of the run (measured
        under qemu); the pip axis's small groups fill that tail. A worker that gets groups of
        a distro the other worker also has starts a container of its own for it."""
        group = self.distro.key
        if self.installer.suffix:
            group += f"-{self.installer.suffix}"
        return group if self.cpu == cpus.HOST else f"{group}-cpu-{self.cpu}"


@dataclass(frozen=True)
class Plan:
    selection: Selection
    build_images: tuple[BuildImage, ...]
    distros: tuple[Distro, ...]
    builds: tuple[BuildRequest, ...]
    cells: tuple[Cell, ...]
    not_probed: tuple[tuple[str, str], ...] = ()  # (what, why): e.g. a pip on too new a Python

    def needs_emulator(self, distro_key: str) -> bool:
        """Whether a distro has cells on a CPU model (its probe then mounts qemu-user)."""
        return any(c.cpu != cpus.HOST and c.distro.key == distro_key for c in self.cells)


def _pip_cells(
    cells: Sequence[Cell], pips: Sequence[Installer]
) -> tuple[list[Cell], list[tuple[str, str]]]:
    """Single-wheel cells of pip-axis samples, once per installer of the axis that runs on
    the distro's Python (by the catalog's Python; the probe checks the measured one): the
    pips, and the uv releases (a static binary: it runs everywhere)."""
    made: list[Cell] = []
    not_probed: dict[str, str] = {}
    for cell in cells:
        if len(cell.members) != 1 or not cell.members[0].sample.pip_axis or cell.cross_arch:
            continue
        for pip in pips:
            why = (
                None
                if pip.is_uv
                else installers.cannot_run(pip.release, cell.distro.expected_python)
            )
            if why:
                not_probed[f"{cell.distro.key} with {pip.label}"] = why
            else:
                made.append(dataclasses.replace(cell, installer=pip))
    return made, sorted(not_probed.items())


def _offer_cells(
    sample: Sample,
    offer: Offer,
    families: Sequence[Sequence[BuildImage]],
    built: set[tuple[str, str, str]],
    distros: Sequence[Distro],
    axis: Sequence[Installer],
    models: Sequence[str],
) -> tuple[list[Cell], list[tuple[str, str]]]:
    """An offer's cells on one arch: its wheels (each member's builds among the arch's
    images of each libc family, as built: a release's manylinux and musllinux files are
    served together, and the installer's tags choose), on every distro of the arch, with the
    distro's pip and each installer of the axis that runs there; on each CPU model of --cpu
    (offers with cpu_axis) with the distro's pip, whose pick is the host's (the install runs
    on the host's CPU)."""
    members: list[Member] = []
    for family in families:
        chosen = {
            "oldest": list(family[:1]),
            "newest": list(family[-1:]),
            "all": list(family),
        }
        for wanted in offer.members:
            flavour = sample.flavour(wanted.flavour)
            for image in chosen[wanted.build]:
                member = Member(sample, flavour, image)
                if (sample.name, flavour.name, image.key) in built and member not in members:
                    members.append(member)
    if len(members) < 2:
        return [], []  # e.g. a single build image: oldest and newest are one wheel
    made: list[Cell] = []
    not_probed: list[tuple[str, str]] = []
    known = cpus.models()
    arch = members[0].build_image.arch
    for distro in distros:
        if distro.arch != arch:
            continue
        base = Cell(members=tuple(members), distro=distro, offer=offer)
        made.append(base)
        for installer in axis:
            why = (
                None
                if installer.is_uv
                else installers.cannot_run(installer.release, distro.expected_python)
            )
            if why:
                not_probed.append((f"{distro.key} with {installer.label}", why))
            else:
                made.append(dataclasses.replace(base, installer=installer))
        if offer.cpu_axis:
            made += [
                dataclasses.replace(base, cpu=name)
                for name in models
                if known[name].arch == arch.name
            ]
    return made, not_probed


def _offered_flavours(selection: Selection, sample: Sample) -> set[str]:
    """The flavours the selected offers of a sample name (those built only to be offered
    are built only then)."""
    return {
        m.flavour
        for offer in sample.offers
        if offers_selected(selection, sample, offer)
        for m in offer.members
    }


def offers_selected(selection: Selection, sample: Sample, offer: Offer) -> bool:
    """--offer: every offer by default, none with "none", else those named (SAMPLE or
    SAMPLE:OFFER)."""
    if not selection.offers:
        return True
    return sample.name in selection.offers or f"{sample.name}:{offer.name}" in selection.offers


def _cpu_cells(cells: Sequence[Cell], models: Sequence[str]) -> list[Cell]:
    """Single-wheel cells of cpu-axis samples, once per CPU model of the distro's arch (the
    distro's pip decides as on the host: only the import + check runs on the model)."""
    known = cpus.models()
    return [
        dataclasses.replace(cell, cpu=name)
        for cell in cells
        if len(cell.members) == 1 and cell.members[0].sample.cpu_axis and not cell.cross_arch
        for name in models
        if known[name].arch == cell.arch
    ]


def _built_in(flavour: Flavour, arch_images: Sequence[BuildImage]) -> list[BuildImage]:
    """The build images (of one arch, oldest glibc first) a flavour is built in."""
    if not arch_images:
        return []
    chosen = {
        "all": list(arch_images),
        "oldest": [arch_images[0]],
        "newest": [arch_images[-1]],
        "all-but-oldest": list(arch_images[1:]),
    }
    return chosen[flavour.builds]


def _combination_cells(
    sample: Sample,
    combination: Combination,
    arch_images: Sequence[BuildImage],
    built: set[tuple[str, str, str]],
    distros: Sequence[Distro],
) -> list[Cell]:
    if not arch_images:
        return []
    members = []
    for wanted in combination.members:
        image = arch_images[0] if wanted.build == "oldest" else arch_images[-1]
        flavour = sample.flavour(wanted.flavour)
        if (sample.name, flavour.name, image.key) not in built:
            return []  # e.g. a single build image: no "other toolchain" to pair with
        members.append(Member(sample, flavour, image))
    if len({m.imports for m in members}) < len(members):
        return []  # the same module twice (oldest == newest): not a combination
    orders = [("given", tuple(members))]
    if combination.orders == "both":
        orders.append(("reversed", tuple(reversed(members))))
    return [
        Cell(members=ordered, distro=distro, dlopen=mode, combination=combination, order=order)
        for order, ordered in orders
        for mode in combination.dlopen
        for distro in distros
        if distro.arch == arch_images[0].arch
    ]


def _cross_arch_cells(
    members: Sequence[Member],
    by_arch: dict[tuple[str, str], list[BuildImage]],
    distros: Sequence[Distro],
) -> list[Cell]:
    """Each cross-arch sample's wheel from the oldest glibc image of its arch, offered to the
    oldest probed distro of every other arch (one each: the refusal does not depend on the
    distro, and emulated distros are expensive). Only when the run has several arches."""
    oldest_images = {images[0] for (_, libc), images in by_arch.items() if libc == "manylinux"}
    first_distro: dict[str, Distro] = {}
    for distro in distros:
        if not distro.skip_reason:
            first_distro.setdefault(distro.arch.name, distro)
    return [
        Cell(members=(member,), distro=distro)
        for member in members
        if member.sample.cross_arch and member.build_image in oldest_images
        for arch, distro in sorted(first_distro.items())
        if arch != member.build_image.arch.name
    ]


def check_offers(selection: Selection, samples: Sequence[Sample]) -> None:
    """--offer names offers of the selected samples (or "none")."""
    known = {s.name for s in samples if s.offers} | {
        f"{s.name}:{o.name}" for s in samples for o in s.offers
    }
    for name in selection.offers:
        if name == "none":
            if len(selection.offers) > 1:
                raise UsageError("--offer none selects no offer: give it alone")
            continue
        if name not in known:
            raise UsageError(
                f"--offer {name}: no selected sample offers that; choose from "
                f"{', '.join(sorted(known)) or 'none (no selected sample has an [[offer]])'}"
            )


def make_plan(selection: Selection, catalog: Catalog, samples: Sequence[Sample]) -> Plan:
    check_offers(selection, samples)
    build_images = catalog.build_images(selection.profile, selection.arches, selection.policies)
    distros = catalog.distros(selection.profile, selection.arches, selection.distros)
    # "oldest" and "newest" are among images of one arch and one libc (glibc by version;
    # musllinux images have no glibc and form their own group).
    by_arch: dict[tuple[str, str], list[BuildImage]] = {}
    for image in sorted(build_images, key=lambda b: b.glibc):
        by_arch.setdefault((image.arch.name, image.libc), []).append(image)
    members = [
        Member(sample, flavour, build_image)
        for sample in samples
        for flavour in sample.flavours
        if flavour.alone or flavour.name in _offered_flavours(selection, sample)
        for (arch, libc), arch_images in by_arch.items()
        if sample.applies.to(arch, libc)
        for build_image in _built_in(flavour, arch_images)
    ]
    alone = [m for m in members if m.flavour.alone]
    cells = [
        Cell(members=(member,), distro=distro)
        for member in alone
        for distro in distros
        if distro.arch == member.build_image.arch
    ]
    cells += _cross_arch_cells(alone, by_arch, distros)
    built = {(m.sample.name, m.flavour.name, m.build_image.key) for m in members}
    for sample in samples:
        for combination in sample.combinations:
            for (arch, libc), arch_images in by_arch.items():
                if not sample.applies.to(arch, libc):
                    continue
                cells += _combination_cells(sample, combination, arch_images, built, distros)
    cpu_cells = _cpu_cells(cells, selection.cpus)
    pip_cells, not_probed = _pip_cells(cells, (*selection.pips, *selection.uvs))
    cells += pip_cells + cpu_cells
    skipped = dict(not_probed)
    for sample in samples:
        for offer in sample.offers:
            if not offers_selected(selection, sample, offer):
                continue
            for arch in dict.fromkeys(arch for arch, _ in by_arch):
                families = [
                    images
                    for (image_arch, libc), images in sorted(
                        by_arch.items(), key=lambda item: item[0][1] != "manylinux"
                    )
                    if image_arch == arch and sample.applies.to(arch, libc)
                ]
                offered, why_not = _offer_cells(
                    sample,
                    offer,
                    families,
                    built,
                    distros,
                    (*selection.pips, *selection.uvs),
                    selection.cpus,
                )
                cells += offered
                skipped.update(why_not)
    not_probed = sorted(skipped.items())
    builds = [m.request for m in members]
    for candidate in selection.candidates:
        current = _replaced(candidate, build_images, selection.profile)
        image = candidate_build_image(current, candidate.reference)
        build_images.append(image)
        swapped = [_swap(cell, current, image) for cell in cells]
        cells += [cell for cell in swapped if cell is not None]
        builds += [
            Member(m.sample, m.flavour, image).request for m in members if m.build_image == current
        ]
    return Plan(
        selection=selection,
        build_images=tuple(build_images),
        distros=tuple(distros),
        builds=tuple(builds),
        cells=tuple(cells),
        not_probed=tuple(not_probed),
    )


def _replaced(candidate: CandidateImage, images: Sequence[BuildImage], profile: str) -> BuildImage:
    for image in images:
        if candidate.replaces(image):
            return image
    known = ", ".join(f"{i.policy}:{i.arch.name}" for i in images) or "none"
    raise UsageError(
        f"--candidate-image {candidate.policy}:{candidate.arch}: the {profile} selection has no "
        f"such build image to stand beside (selected: {known}); select it with --policy/--arch"
    )


def _swap(cell: Cell, current: BuildImage, candidate: BuildImage) -> Cell | None:
    """The cell with the current image's wheels built in the candidate, if it has any."""
    if not any(m.build_image == current for m in cell.members):
        return None
    members = tuple(
        Member(m.sample, m.flavour, candidate) if m.build_image == current else m
        for m in cell.members
    )
    return dataclasses.replace(cell, members=members)
