"""The legacy manylinux policy names (PEP 513, 571, 599) and what they stand for: the one
place that knows them. Everything else speaks PEP 600 names (manylinux_2_17)."""

from __future__ import annotations

# Legacy name -> the glibc floor its PEP 600 name spells out.
LEGACY_GLIBC: dict[str, tuple[int, int]] = {
    "manylinux1": (2, 5),
    "manylinux2010": (2, 12),
    "manylinux2014": (2, 17),
}

# The arches packaging generates each legacy tag for (manylinux1 and manylinux2010 were only
# ever defined for Intel).
LEGACY_ARCHES: dict[str, tuple[str, ...]] = {
    "manylinux1": ("x86_64", "i686"),
    "manylinux2010": ("x86_64", "i686"),
    "manylinux2014": ("x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x"),
}


def legacy_name(glibc: tuple[int, int]) -> str | None:
    """The legacy name of the policy with this glibc floor, if it has one."""
    for name, floor in LEGACY_GLIBC.items():
        if floor == glibc:
            return name
    return None


def legacy_platform(glibc: tuple[int, int], arch: str) -> str | None:
    """The legacy platform tag packaging adds beside manylinux_2_x_ARCH, if any."""
    name = legacy_name(glibc)
    return f"{name}_{arch}" if name is not None and arch in LEGACY_ARCHES[name] else None
