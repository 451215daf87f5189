"""What PyPA's build images are made of, per policy and arch, from the shipped
harness/resources/pypa-images.toml (derived by bin/derive_pypa_images.py from pypa/manylinux's
README.rst and build.sh and from manylinux-inspector's reports of the published images).

Every value comes with the source it was read from (repository, file, commit, the date read);
a value no source publishes is empty and says why. A build image a run measured wins over this
data (harness.explain.policy_change compares the two and says where they differ).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.resources import load_toml

FILE = "pypa-images.toml"


@dataclass(frozen=True)
class Source:
    repository: str
    path: str
    commit: str
    committed: str  # ISO date of the commit
    read: str  # ISO date the copy was read

    @property
    def text(self) -> str:
        """ "pypa/manylinux README.rst at ad3c4539 (2026-06-28), read 2026-12-06" """
        name = self.repository.removeprefix("https://github.com/")
        where = f"{name} {self.path}".rstrip("/")
        return f"{where} at {self.commit[:8]} ({self.committed}), read {self.read}"


@dataclass(frozen=True)
class Fact:
    """One value and where it comes from; an empty value is one the sources do not publish,
    and `source` then says why."""

    value: str
    source: str

    @property
    def published(self) -> bool:
        return bool(self.value)


@dataclass(frozen=True)
class PolicyImages:
    """What README.rst and build.sh say about one policy's images."""

    policy: str  # canonical, e.g. "manylinux_2_17"
    name: str  # as PyPA names the image, e.g. "manylinux2014"
    base: Fact  # "CentOS 7"
    base_distro: str  # its identity in the distro knowledge base, e.g. "centos-7"
    gcc_major: Fact  # README's "Toolchain: GCC 10"
    arches: Fact  # value: the arches, comma-separated
    support_ended: str  # ISO date, "" while supported
    support_source: str
    base_image: Fact  # build.sh's BASEIMAGE ("" for a policy no longer built)
    toolset: Fact  # "devtoolset-10", "gcc-toolset-14", "" for the base's own gcc
    same_toolset: Fact  # "yes" when gcc, g++ and gfortran come from one toolset

    @property
    def arch_list(self) -> tuple[str, ...]:
        return tuple(a for a in self.arches.value.split(",") if a)


@dataclass(frozen=True)
class ImageFacts:
    """The newest inspected image of one policy and arch."""

    policy: str
    arch: str
    image: str  # the inspected reference, with its tag
    inspected: str  # ISO date of the inspected image
    source: str  # Source.text of the inspector, with the report
    os: str
    libc: str  # "glibc 2.28" or "musl 1.2.5"
    gcc: Fact
    toolset: str  # from the image's PATH ("" none)
    pythons: tuple[str, ...]  # "cp39-cp39 3.9.25", ...
    auditwheel: Fact
    patchelf: Fact

    @property
    def glibc(self) -> str:
        return self.libc.removeprefix("glibc ") if self.libc.startswith("glibc ") else ""


@dataclass(frozen=True)
class PypaImages:
    sources: Mapping[str, Source]
    policies: Mapping[str, PolicyImages]  # canonical policy -> its README/build.sh facts
    images: Mapping[tuple[str, str], ImageFacts]  # (policy, arch) -> newest inspected image
    no_image: Mapping[str, str]  # policy -> why PyPA has no image of it

    def policy(self, name: str) -> PolicyImages | None:
        return self.policies.get(name)

    def image(self, policy: str, arch: str) -> ImageFacts | None:
        return self.images.get((policy, arch))

    def toolchain(self, policy: str, arch: str) -> dict[str, Fact]:
        """gcc, g++, gfortran, binutils, glibc, auditwheel, patchelf of PyPA's image of this
        policy and arch, each with its source; empty values say why they are unknown."""
        pol = self.policies.get(policy)
        image = self.images.get((policy, arch))
        if pol is None or image is None:
            why = self.no_image.get(policy) or (
                f"no PyPA {policy} image for {arch}"
                + (f" (published for {', '.join(pol.arch_list)})" if pol else "")
            )
            return {name: Fact("", why) for name in _TOOLS}
        gcc = image.gcc
        if not gcc.published and pol.gcc_major.published:
            # README's toolchain line: the major version only, but published.
            gcc = Fact(f"{pol.gcc_major.value} (major)", pol.gcc_major.source)
        if pol.same_toolset.value == "yes" and gcc.published:
            same = Fact(gcc.value, f"the toolset of gcc ({pol.same_toolset.source})")
            gxx, fortran = same, same
        else:
            missing = "not published: no source measured it"
            gxx, fortran = Fact("", missing), Fact("", missing)
        return {
            "gcc": gcc,
            "g++": gxx,
            "gfortran": fortran,
            "binutils": Fact("", "not published: neither source measures binutils"),
            "glibc": Fact(image.glibc or f"none ({image.libc})", image.source),
            "auditwheel": image.auditwheel,
            "patchelf": image.patchelf,
        }


_TOOLS = ("gcc", "g++", "gfortran", "binutils", "glibc", "auditwheel", "patchelf")


def _fact(row: Mapping[str, Any], key: str, source: str) -> Fact:
    value = row.get(key, "")
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    value = str(value)
    if value:
        return Fact(value, source)
    why = (row.get("not_published") or {}).get(key) or "not published"
    return Fact("", f"not published: {why}" if not why.startswith("not published") else why)


def from_toml(data: Mapping[str, Any]) -> PypaImages:
    sources = {
        key: Source(**{k: str(v) for k, v in s.items()}) for key, s in data["sources"].items()
    }
    builds = {str(row["policy"]): row for row in data.get("build", [])}
    policies = {}
    for row in data.get("policy", []):
        name = str(row["policy"])
        readme = f"{sources[row['source']].text}, section {row['section']!r}"
        build = builds.get(name)
        build_source = sources[build["source"]].text if build else ""
        no_longer = f"not published: build.sh at {sources['build'].commit[:8]} no longer builds it"
        same = ""
        if build is not None and build.get("same_toolset"):
            same = "yes"
        policies[name] = PolicyImages(
            policy=name,
            name=str(row["name"]),
            base=Fact(str(row["base"]), readme),
            base_distro=str(row["base_distro"]),
            gcc_major=_fact(row, "gcc", readme),
            arches=_fact(row, "arches", readme),
            support_ended=str(row.get("support_ended", "")),
            support_source=readme,
            base_image=_fact(build, "base_image", build_source) if build else Fact("", no_longer),
            toolset=Fact(str(build["toolset"]), build_source) if build else Fact("", no_longer),
            same_toolset=Fact(same, sources["packages"].text if "packages" in sources else ""),
        )
    images = {}
    for row in data.get("image", []):
        source = f"{sources[row['source']].text}: {row['report'].rsplit('/', 1)[-1]}"
        libc = f"glibc {row['glibc']}" if row.get("glibc") else f"musl {row.get('musl', '?')}"
        images[(str(row["policy"]), str(row["arch"]))] = ImageFacts(
            policy=str(row["policy"]),
            arch=str(row["arch"]),
            image=str(row["image"]),
            inspected=str(row["inspected"]),
            source=source,
            os=str(row.get("os", "")),
            libc=libc,
            gcc=_fact(row, "gcc", f"{source} (gcc --version)"),
            toolset=str(row.get("toolset", "")),
            pythons=tuple(str(p) for p in row.get("pythons", ())),
            auditwheel=_fact(row, "auditwheel", source),
            patchelf=_fact(row, "patchelf", source),
        )
    no_image = {str(row["policy"]): str(row["why"]) for row in data.get("no_image", [])}
    return PypaImages(sources, policies, images, no_image)


@functools.cache
def shipped() -> PypaImages:
    return from_toml(load_toml(FILE))
