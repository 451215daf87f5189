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

Role = Literal["build", "distro"]

# Bump when the meaning of a recipe changes without its text changing (e.g. how steps run),
# so that every image is rebuilt.
RECIPE_SCHEMA = 1


@dataclass(frozen=True)
class BaseSource:
    """Where an image's root filesystem comes from: a registry pull or a Debian bootstrap."""

    kind: Literal["pull", "debian"]
    reference: str = ""  # pull: what the engine pulls (a mirror's, when one covers it)
    suite: str = ""  # debian
    packages: tuple[str, ...] = ()  # debian
    upstream: str = ""  # pull through a mirror: the reference the catalog names
    # debian: the suite's pythonX.Y (from the catalog; not part of the recipe, it follows
    # from the suite), whose byte-compilation an emulated bootstrap leaves to a native twin
    python: str = ""

    def describe(self) -> str:
        if self.kind == "pull":
            return (
                f"{self.reference} (mirror of {self.upstream})" if self.upstream else self.reference
            )
        return f"debian {self.suite} ({len(self.packages)} packages)"


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

    @property
    def key(self) -> str:
        return f"{self.role}:{self.name}:{self.arch.name}"

    def recipe(self) -> dict[str, Any]:
        recipe: dict[str, Any] = {
            "schema": RECIPE_SCHEMA,
            "role": self.role,
            "name": self.name,
            "platform": self.arch.oci_platform,
            "base": {
                "kind": self.base.kind,
                "reference": self.base.reference,
                "suite": self.base.suite,
                "debian_arch": self.arch.debian if self.base.kind == "debian" else "",
                "packages": sorted(self.base.packages),
            },
            # Where a step runs is not what it makes: portable steps are steps like the
            # others here, so that an image's tag does not depend on the host that made it.
            "steps": list(self.all_steps),
            "env": dict(self.env),
            "remove_sonames": sorted(self.remove_sonames),
        }
        if self.base.upstream:
            # Only when set, so that images made without a mirror keep their tags.
            recipe["base"]["upstream"] = self.base.upstream
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
        return bool(self.portable_steps or self.steps or self.env or self.remove_sonames)

    @property
    def tag(self) -> str:
        """The reference the final image is known by."""
        if self.base.kind == "pull" and not self.needs_provisioning:
            return self.base.reference
        return f"manylinux-harness/{self.role}-{self.name}:{self.arch.name}-{self.recipe_hash()}"

    @property
    def base_tag(self) -> str:
        """Where a Debian bootstrap is imported before provisioning."""
        if self.base.kind == "pull":
            return self.base.reference
        base_hash = hashlib.sha256(
            json.dumps(self.recipe()["base"], sort_keys=True).encode()
        ).hexdigest()[:12]
        return f"manylinux-harness/rootfs-{self.base.suite}:{self.arch.name}-{base_hash}"
