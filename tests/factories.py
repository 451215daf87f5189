"""Plain data for unit tests: distro facts with the tags packaging computes for them."""

from __future__ import annotations

from packaging import tags

from harness.facts import DistroFacts
from harness.legacy_policies import legacy_platform


def manylinux_platforms(glibc: tuple[int, int], arch: str) -> list[str]:
    """What packaging's _manylinux.platform_tags yields on a glibc `glibc` system."""
    platforms = []
    for minor in range(glibc[1], -1, -1):
        platforms.append(f"manylinux_2_{minor}_{arch}")
        legacy = legacy_platform((2, minor), arch)
        if legacy is not None:
            platforms.append(legacy)
    return [*platforms, f"linux_{arch}"]


def facts(
    python: tuple[int, int] = (3, 11),
    glibc: tuple[int, int] | None = (2, 36),
    arch: str = "x86_64",
    pip: str = "23.0.1",
    sonames: tuple[str, ...] = ("libc.so.6", "libm.so.6", "libcrypt.so.1", "libstdc++.so.6"),
) -> DistroFacts:
    platforms = manylinux_platforms(glibc, arch) if glibc else [f"linux_{arch}"]
    supported = list(tags.cpython_tags(python_version=python, platforms=platforms))
    supported += list(tags.compatible_tags(python_version=python, platforms=platforms))
    return DistroFacts(
        os_name="Test Linux",
        machine=arch,
        python_version=f"{python[0]}.{python[1]}.0",
        python_platform=f"linux-{arch}",
        glibc=f"{glibc[0]}.{glibc[1]}" if glibc else None,
        glibcxx_max="3.4.30",
        pip_version=pip,
        packaging_version="26.0",
        sonames=sonames,
        supported_tags=tuple(str(t) for t in supported),
    )
