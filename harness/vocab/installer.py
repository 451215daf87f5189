"""Who installs a cell's wheels: the distro's own pip, a pip of the pip axis, or a uv release.

One value type for what used to be strings spelt at every use. Records and cell keys keep the
spelling they always had (str(installer)): "distro", "19.3", "latest", "uv-latest", "uv-0.4".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from packaging.version import InvalidVersion, Version

from harness.errors import UsageError


class InstallerFamily(StrEnum):
    PIP = "pip"
    UV = "uv"


DISTRO_RELEASE = "distro"  # the distro's own pip, in the venv `python3 -m venv` makes
LATEST = "latest"  # the newest release (looked up again after a day)
_UV_PREFIX = "uv-"


@dataclass(frozen=True)
class Installer:
    family: InstallerFamily
    release: str  # pip: "distro", "latest", "19.3"; uv: "latest", "0.4"

    def __post_init__(self) -> None:
        if self.family is InstallerFamily.UV and self.release == DISTRO_RELEASE:
            raise ValueError("uv has no distro release")

    @classmethod
    def pip(cls, release: str) -> Installer:
        return cls(InstallerFamily.PIP, release)

    @classmethod
    def uv(cls, release: str) -> Installer:
        return cls(InstallerFamily.UV, release)

    @classmethod
    def parse(cls, text: str) -> Installer:
        """The record's spelling back into the value ("uv-0.4" -> uv 0.4)."""
        if not text:
            raise UsageError("an installer is named: write distro, a pip version or uv-RELEASE")
        if text.startswith(_UV_PREFIX):
            return cls.uv(text[len(_UV_PREFIX) :])
        return cls.pip(text)

    def __str__(self) -> str:
        return self.release if self.family is InstallerFamily.PIP else _UV_PREFIX + self.release

    @property
    def is_distro(self) -> bool:
        """The distro's own pip: what samples declare their verdicts for."""
        return self.family is InstallerFamily.PIP and self.release == DISTRO_RELEASE

    @property
    def is_uv(self) -> bool:
        return self.family is InstallerFamily.UV

    @property
    def is_latest(self) -> bool:
        return self.release == LATEST

    @property
    def axis(self) -> str:
        """The name of the axis in a cell's key: "pip=19.3", "installer=uv-latest"."""
        return "installer" if self.is_uv else "pip"

    @property
    def suffix(self) -> str:
        """What a test id or an xdist group adds for it ("" for the distro's pip)."""
        if self.is_distro:
            return ""
        return str(self) if self.is_uv else f"pip{self.release}"

    @property
    def requirement(self) -> str:
        """What pip installs to get this pip of the axis: the newest patch release of its
        minor ("pip==19.3.*"), or the newest pip."""
        if self.is_uv or self.is_distro:
            raise ValueError(f"{self} is not a pip of the axis")
        return "pip" if self.is_latest else f"pip=={self.release}.*"

    @property
    def label(self) -> str:
        """How a line of progress names it: "pip 19.3", "uv latest"."""
        return f"{self.family.value} {self.release}"

    @property
    def title(self) -> str:
        """How a report names it: "the distro's own pip", "pip 19.3", "uv latest"."""
        return "the distro's own pip" if self.is_distro else self.label

    @property
    def order(self) -> tuple[bool, bool, bool, Version, str]:
        """The distro's own pip first (the matrix proper), then the pip axis oldest first with
        "latest" last, then uv the same way: one order for every table and filter."""
        return (
            not self.is_distro,
            self.is_uv,
            self.is_latest,
            release_version(self.release),
            str(self),
        )


def release_version(release: str) -> Version:
    """A release as a version, "latest" and "distro" as 0 (their order is the caller's)."""
    try:
        return Version(release)
    except InvalidVersion:
        return Version("0")


DISTRO_PIP = Installer.pip(DISTRO_RELEASE)
