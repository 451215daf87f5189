"""Architecture names across manylinux, Debian, OCI and the kernel, from one data table."""

from __future__ import annotations

import functools
import platform
from collections.abc import Mapping
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
    qemu_cpu: str = ""  # the CPU model qemu-user emulates (QEMU_CPU); "": qemu's default

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
            qemu_cpu=row.get("qemu_cpu", ""),
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


QEMU_CPU_VARIABLE = "MANYLINUX_HARNESS_QEMU_CPU"


def emulation_env(arch: Arch, machine: str, environ: Mapping[str, str]) -> dict[str, str]:
    """What a process of `arch` on a `machine` host needs in its environment for qemu-user
    (binfmt passes a process's environment to its interpreter): the arch's CPU model, or
    MANYLINUX_HARNESS_QEMU_CPU's ("" for qemu's default, e.g. a qemu older than 6.0, which
    has no pauth switch). Nothing when the arch runs natively."""
    if arch.is_native_on(machine):
        return {}
    model = environ.get(QEMU_CPU_VARIABLE, arch.qemu_cpu)
    return {"QEMU_CPU": model} if model else {}


def host_machine() -> str:
    return platform.machine()


def platform_matches(arch: Arch, os_: str, architecture: str, variant: str | None) -> bool:
    """Whether an image's recorded platform is this arch's platform (variant included)."""
    want_os, want_arch, want_variant = arch.oci_os_arch_variant
    if (os_, architecture) != (want_os, want_arch):
        return False
    # arm64 images often record variant "v8"; only a *required* variant must match.
    return want_variant is None or variant == want_variant
