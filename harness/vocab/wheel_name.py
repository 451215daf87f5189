"""A wheel's file name, parsed once: its project, version, tags and what its platform tags
claim (harness.vocab.platform_tags). The claim a wheel carries is in its name."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from harness.errors import UsageError
from harness.vocab.platform_tags import PlatformClaim


@dataclass(frozen=True)
class WheelName:
    filename: str
    project: str  # canonical (PEP 503), for grouping
    distribution: str  # as the file name spells it, e.g. "MarkupSafe"
    version: str
    tags: tuple[str, ...]  # every interpreter-abi-platform tag the name expands to, sorted
    platform: PlatformClaim
    # The optional build tag ("1", "2b"): between wheels whose tags rank alike, installers
    # prefer the higher one. As packaging orders it: (number, rest), () for none.
    build: tuple[()] | tuple[int, str] = ()

    @classmethod
    def parse(cls, filename: str, shown_as: str = "") -> WheelName:
        """`shown_as`: how an error names the file (its path), the file name by default."""
        try:
            name, version, build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename as exc:
            raise UsageError(
                f"{shown_as or filename}: not a valid wheel file name ({exc}): wheels are named "
                "NAME-VERSION[-BUILD]-PYTHON-ABI-PLATFORM.whl; keep the name the wheel was "
                "built with"
            ) from None
        return cls(
            filename=filename,
            project=canonicalize_name(name),
            distribution=filename.split("-", 1)[0],
            version=str(version),
            tags=tuple(sorted(str(tag) for tag in tags)),
            platform=PlatformClaim.of(tag.platform for tag in tags),
            build=build,
        )

    @property
    def build_tag(self) -> str:
        """The build tag as the name writes it, "" for none."""
        return f"{self.build[0]}{self.build[1]}" if self.build else ""

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(t.text for t in self.platform.tags)

    @property
    def arches(self) -> tuple[str, ...]:
        return self.platform.arches

    @property
    def interpreters(self) -> frozenset[str]:
        """The interpreter-abi pairs it names: "cp39-abi3", "cp311-cp311"."""
        return frozenset("-".join(tag.split("-")[:2]) for tag in self.tags)
