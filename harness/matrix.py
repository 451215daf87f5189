"""The matrix: which wheels to build and which cells to probe, from a selection. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.build import BuildRequest
from harness.catalog import BuildImage, Catalog, Distro
from harness.samples import Flavour, Sample


@dataclass(frozen=True)
class Selection:
    profile: str
    arches: tuple[str, ...] = ()
    policies: tuple[str, ...] = ()
    distros: tuple[str, ...] = ()
    samples: tuple[str, ...] = ()


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


@dataclass(frozen=True)
class Cell:
    members: tuple[Member, ...]
    distro: Distro
    dlopen: str = "default"
    installer: str = "distro"  # which pip: the distro's own

    @property
    def arch(self) -> str:
        return self.distro.arch.name

    @property
    def row(self) -> str:
        """The report row: the wheels (in import order) and how they are loaded."""
        text = " + ".join(m.label for m in self.members)
        return text if self.dlopen == "default" else f"{text} (RTLD_GLOBAL)"

    @property
    def key(self) -> str:
        """Stable identity across runs (no image digests): what the gate compares."""
        return f"{self.row} | {self.arch} | {self.distro.name} | pip={self.installer}"

    @property
    def test_id(self) -> str:
        members = "+".join(m.label.replace("@", "-") for m in self.members)
        parts = [members, self.arch, self.distro.name]
        if self.dlopen != "default":
            parts.append(self.dlopen)
        if self.installer != "distro":
            parts.append(f"pip{self.installer}")
        return "-".join(parts).replace("[", "(").replace("]", ")")

    @property
    def group(self) -> str:
        """Cells sharing a distro container run on the same xdist worker."""
        return self.distro.key


@dataclass(frozen=True)
class Plan:
    selection: Selection
    build_images: tuple[BuildImage, ...]
    distros: tuple[Distro, ...]
    builds: tuple[BuildRequest, ...]
    cells: tuple[Cell, ...]


def _flavour_applies(flavour: Flavour, build_image: BuildImage) -> bool:
    return (
        not flavour.build_policies
        or build_image.policy in flavour.build_policies
        or (build_image.display_policy in flavour.build_policies)
    )


def make_plan(selection: Selection, catalog: Catalog, samples: Sequence[Sample]) -> Plan:
    build_images = catalog.build_images(selection.profile, selection.arches, selection.policies)
    distros = catalog.distros(selection.profile, selection.arches, selection.distros)
    members = [
        Member(sample, flavour, build_image)
        for sample in samples
        for flavour in sample.flavours
        for build_image in build_images
        if _flavour_applies(flavour, build_image)
    ]
    cells = [
        Cell(members=(member,), distro=distro)
        for member in members
        for distro in distros
        if distro.arch == member.build_image.arch
    ]
    return Plan(
        selection=selection,
        build_images=tuple(build_images),
        distros=tuple(distros),
        builds=tuple(m.request for m in members),
        cells=tuple(cells),
    )
