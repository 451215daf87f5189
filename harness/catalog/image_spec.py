"""What determines one image: where its root filesystem comes from and the recipe that
provisions it. Its hash names the image, so a changed recipe is a new image and an unchanged
one is found in the engine (harness.images.provider makes it, one code path for both
profiles)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from harness.vocab.arch import Arch

# A stage is an image no cell uses directly: what build images or distros start from (the
# musl toolchain and the interpreter built with it, once per arch).
Role = Literal["build", "distro", "stage"]
# Where provisioning copies a recipe's pinned sources; its steps read them there.
SOURCES_DIR = "/opt/_internal/sources"

# Bump when the meaning of a recipe changes without its text changing (e.g. how steps run),
# so that every image is rebuilt.
RECIPE_SCHEMA = 1


@dataclass(frozen=True)
class PinnedSource:
    """A file a recipe's steps need, fetched once into the cache and checked against its
    sha256: an upstream tarball from Debian's source pool (its Sources index names the
    checksum), or a wheel from the package index. The hash is part of the recipe's."""

    file: str  # "python3.11_3.11.2.orig.tar.gz", "pip-23.0.1-py3-none-any.whl"
    sha256: str
    debian: str = ""  # the pool directory under pool/: "main/p/python3.11"
    pypi: str = ""  # a requirement pip downloads: "pip==23.0.1"

    @property
    def origin(self) -> str:
        return f"pool/{self.debian}" if self.debian else f"the package index ({self.pypi})"

    def recipe(self) -> dict[str, str]:
        where = {"debian": self.debian} if self.debian else {"pypi": self.pypi}
        return {"file": self.file, "sha256": self.sha256, **where}


@dataclass(frozen=True)
class BaseSource:
    """Where an image's root filesystem comes from: a registry pull, a Debian bootstrap, or a
    stage image made first (provisioned further, or a directory of it taken as the whole
    root filesystem: a system with none of the stage's own userland)."""

    kind: Literal["pull", "debian", "stage", "stage-rootfs"]
    reference: str = ""  # pull: what the engine pulls (a mirror's, when one covers it)
    suite: str = ""  # debian
    packages: tuple[str, ...] = ()  # debian
    upstream: str = ""  # pull through a mirror: the reference the catalog names
    stage: ImageSpec | None = None  # stage, stage-rootfs: the image made first
    rootfs: str = ""  # stage-rootfs: the stage's directory that becomes "/"
    # debian: the suite's pythonX.Y (from the catalog; not part of the recipe, it follows
    # from the suite), whose byte-compilation an emulated bootstrap leaves to a native twin
    python: str = ""

    def describe(self) -> str:
        if self.kind == "pull":
            return (
                f"{self.reference} (mirror of {self.upstream})" if self.upstream else self.reference
            )
        if self.stage is not None:
            inside = f"{self.rootfs} of " if self.kind == "stage-rootfs" else ""
            return f"{inside}{self.stage.tag}"
        return f"debian {self.suite} ({len(self.packages)} packages)"

    def recipe(self, arch: Arch) -> dict[str, Any]:
        if self.stage is not None:
            # The stage's hash names its own base, sources and steps in turn.
            base: dict[str, Any] = {
                "kind": self.kind,
                "stage": self.stage.name,
                "stage_recipe": self.stage.recipe_hash(),
            }
            if self.kind == "stage-rootfs":
                base["rootfs"] = self.rootfs
            return base
        base = {
            "kind": self.kind,
            "reference": self.reference,
            "suite": self.suite,
            "debian_arch": arch.debian if self.kind == "debian" else "",
            "packages": sorted(self.packages),
        }
        if self.upstream:
            # Only when set, so that images made without a mirror keep their tags.
            base["upstream"] = self.upstream
        return base


@dataclass(frozen=True)
class ImageSpec:
    """Everything that determines one image; its hash names the image."""

    role: Role
    name: str  # "manylinux_2_31" or "debian-bullseye"
    profile: str
    arch: Arch
    base: BaseSource
    steps: tuple[str, ...] = ()
    # Steps run before `steps` whose results hold no machine code, and the paths they write:
    # on an emulated arch they run natively in the suite's twin (harness.images.twin) and the
    # paths are copied into the image; elsewhere they run in the image like any step.
    portable_steps: tuple[str, ...] = ()
    portable_paths: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    network: bool = False
    remove_sonames: tuple[str, ...] = ()
    sources: tuple[PinnedSource, ...] = ()  # copied to SOURCES_DIR before the steps

    @property
    def key(self) -> str:
        return f"{self.role}:{self.name}:{self.arch.name}"

    def recipe(self) -> dict[str, Any]:
        recipe: dict[str, Any] = {
            "schema": RECIPE_SCHEMA,
            "role": self.role,
            "name": self.name,
            "platform": self.arch.oci_platform,
            "base": self.base.recipe(self.arch),
            # Where a step runs is not what it makes: portable steps are steps like the
            # others here, so that an image's tag does not depend on the host that made it.
            "steps": list(self.all_steps),
            "env": dict(self.env),
            "remove_sonames": sorted(self.remove_sonames),
        }
        if self.sources:
            # Only when set, so that the images of recipes without sources keep their tags.
            recipe["sources"] = [source.recipe() for source in self.sources]
        return recipe

    def recipe_hash(self) -> str:
        text = json.dumps(self.recipe(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def all_steps(self) -> tuple[str, ...]:
        """Every step in the order they run: the portable ones first."""
        return self.portable_steps + self.steps

    @property
    def needs_provisioning(self) -> bool:
        return bool(
            self.portable_steps or self.steps or self.env or self.remove_sonames or self.sources
        )

    @property
    def tag(self) -> str:
        """The reference the final image is known by."""
        if self.base.kind == "pull" and not self.needs_provisioning:
            return self.base.reference
        return f"manylinux-harness/{self.role}-{self.name}:{self.arch.name}-{self.recipe_hash()}"

    @property
    def base_tag(self) -> str:
        """Where a Debian bootstrap (or a stage's root filesystem) is imported before
        provisioning; the image provisioning starts from."""
        if self.base.kind == "pull":
            return self.base.reference
        if self.base.stage is not None and self.base.kind == "stage":
            return self.base.stage.tag
        if self.base.stage is not None:
            rootfs_hash = hashlib.sha256(
                json.dumps(self.recipe()["base"], sort_keys=True).encode()
            ).hexdigest()[:12]
            return f"manylinux-harness/rootfs-{self.name}:{self.arch.name}-{rootfs_hash}"
        base_hash = hashlib.sha256(
            json.dumps(self.recipe()["base"], sort_keys=True).encode()
        ).hexdigest()[:12]
        return f"manylinux-harness/rootfs-{self.base.suite}:{self.arch.name}-{base_hash}"
