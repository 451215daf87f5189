"""Architecture names across manylinux, Debian, OCI and the kernel, from one data table."""

from __future__ import annotations

import functools
import platform
from dataclasses import dataclass

from harness.errors import UsageError
from harness.resources import load_toml


@dataclass(frozen=True)
class Arch:
    name: str  # manylinux / auditwheel / cibuildwheel spelling, e.g. "armv7l"
    debian: str  # e.g. "armhf"
    oci_platform: str  # e.g. "linux/arm/v7"
    machines: tuple[str, ...]  # `uname -m` inside a container of this arch
    binfmt: str  # binfmt_misc handler name, e.g. "qemu-arm"
    bits: int
    native_on: tuple[str, ...]  # host machines that run it without emulation

    def __str__(self) -> str:
        return self.name

    @property
    def oci_os_arch_variant(self) -> tuple[str, str, str | None]:
        parts = self.oci_platform.split("/")
        return parts[0], parts[1], parts[2] if len(parts) > 2 else None

    def is_native_on(self, host_machine: str) -> bool:
        return host_machine in self.native_on


@functools.cache
def all_arches() -> tuple[Arch, ...]:
    return tuple(
        Arch(
            name=row["name"],
            debian=row["debian"],
            oci_platform=row["oci_platform"],
            machines=tuple(row["machines"]),
            binfmt=row["binfmt"],
            bits=int(row["bits"]),
            native_on=tuple(row["native_on"]),
        )
        for row in load_toml("architectures.toml")["arch"]
    )


def arch_names() -> tuple[str, ...]:
    return tuple(a.name for a in all_arches())


def get_arch(name: str) -> Arch:
    """Look an arch up by any of its spellings (manylinux, Debian, OCI platform)."""
    for arch in all_arches():
        if name in (arch.name, arch.debian, arch.oci_platform):
            return arch
    known = ", ".join(arch_names())
    raise UsageError(f"unknown architecture {name!r}: use one of {known}")


def host_machine() -> str:
    return platform.machine()


def platform_matches(arch: Arch, os_: str, architecture: str, variant: str | None) -> bool:
    """Whether an image's recorded platform is this arch's platform (variant included)."""
    want_os, want_arch, want_variant = arch.oci_os_arch_variant
    if (os_, architecture) != (want_os, want_arch):
        return False
    # arm64 images often record variant "v8"; only a *required* variant must match.
    return want_variant is None or variant == want_variant
