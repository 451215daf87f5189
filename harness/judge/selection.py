"""Several wheels of one version offered together (a release's files, as an index serves
them): which one packaging's tag priority predicts an installer picks on a system, and which
one the installer took, told from what its install put into the venv. Pure.

Installers rank a release's wheels alike: by the best position any of a wheel's tags has in
the interpreter's supported tags (best first, as packaging.tags.sys_tags lists them), then
by the build tag, higher first. pip's candidate sort key and uv's wheel ranking both do; the
record says where an installer departs from it. Wheels whose tags rank alike and whose
build tags are equal tie: the tags cannot say which one an installer takes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from harness.probe.observation import InstalledDist
from harness.vocab.platform_tags import platform_of
from harness.vocab.wheel_name import WheelName


@dataclass(frozen=True)
class Prediction:
    """What tag priority predicts for one system and installer."""

    fits: tuple[WheelName, ...]  # the offered wheels with a tag it supports, best first
    best: tuple[WheelName, ...]  # the predicted pick; several: a tie the names cannot break
    tag: str = ""  # the supported tag that ranks the pick first
    rank: int = -1  # that tag's position among the supported tags (0: the best)


def predict(
    wheels: Sequence[WheelName],
    supported_tags: Sequence[str],
    knows: Callable[[str], bool] = lambda platform: True,
) -> Prediction:
    """`knows`: whether the installer generates a platform tag at all (an old pip does not
    know the manylinux_x_y family): tags it does not know rank nowhere."""
    index = {tag: position for position, tag in enumerate(supported_tags)}
    ranked: list[tuple[int, str, WheelName]] = []
    for wheel in wheels:
        usable = [(index[t], t) for t in wheel.tags if t in index and knows(platform_of(t))]
        if usable:
            rank, tag = min(usable)
            ranked.append((rank, tag, wheel))
    if not ranked:
        return Prediction((), ())
    # by tag rank, then the higher build tag first (two stable sorts)
    ranked.sort(key=lambda item: item[2].build, reverse=True)
    ranked.sort(key=lambda item: item[0])
    rank, tag, first = ranked[0]
    best = tuple(w for r, _, w in ranked if r == rank and w.build == first.build)
    return Prediction(tuple(w for _, _, w in ranked), best, tag, rank)


def picked(installed: Iterable[InstalledDist], offered: Sequence[WheelName]) -> WheelName | None:
    """The offered wheel an install put into the venv: the dist-info of its project and
    version whose WHEEL tags and build tag are the wheel's own. None when none matches (or a
    dist-info without tags leaves two builds of the version alike)."""
    for dist in installed:
        mine = [
            w
            for w in offered
            if w.project == canonicalize_name(dist.name) and _same_version(w.version, dist.version)
        ]
        if not mine:
            continue
        if dist.tags:
            exact = [w for w in mine if set(w.tags) == set(dist.tags) and w.build_tag == dist.build]
            return exact[0] if len(exact) == 1 else None
        return mine[0] if len(mine) == 1 else None
    return None


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


@dataclass(frozen=True)
class Pick:
    """An offer's cell as the record keeps it: the wheels offered, the pick packaging's tag
    priority predicts for this system and installer, and the wheel the installer took."""

    offer: str  # "c_plain: policies"
    offered: tuple[str, ...]  # file names
    predicted: tuple[str, ...] = ()  # several: a tie; none: no offered wheel fits
    predicted_tag: str = ""
    picked: str = ""  # "" when nothing was installed (refused, or the harness could not tell)
    # the offered wheels whose tags (and Requires-Python) fit this system, whatever the
    # installer knows: where a wheel could have been picked
    fits: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool | None:
        """Whether tag priority predicted the pick; None when nothing was picked."""
        return self.picked in self.predicted if self.picked else None

    @property
    def tie(self) -> bool:
        return len(self.predicted) > 1

    def to_json(self) -> dict[str, Any]:
        return {
            "offer": self.offer,
            "offered": list(self.offered),
            "predicted": list(self.predicted),
            "predicted_tag": self.predicted_tag,
            "picked": self.picked,
            "agrees": self.agrees,
            "fits": list(self.fits),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Pick:
        return cls(
            offer=str(data.get("offer", "")),
            offered=tuple(str(w) for w in data.get("offered") or ()),
            predicted=tuple(str(w) for w in data.get("predicted") or ()),
            predicted_tag=str(data.get("predicted_tag", "")),
            picked=str(data.get("picked") or ""),
            fits=tuple(str(w) for w in data.get("fits") or ()),
        )


def same_but_build(wheels: Sequence[WheelName]) -> bool:
    """Whether the offered wheels' names differ only by their build tags, among those of
    each C library (a system takes only its own libc's: a release's manylinux and musllinux
    builds of one CPU level are not a choice an installer makes): no installer can tell them
    apart by the system (a CPU level, for one), the higher build tag wins."""
    by_libc: dict[frozenset[str], set[frozenset[str]]] = {}
    for wheel in wheels:
        by_libc.setdefault(wheel.platform.libcs, set()).add(frozenset(wheel.tags))
    counts = Counter(w.platform.libcs for w in wheels)
    return (
        len(wheels) > 1
        and all(len(tags) == 1 for tags in by_libc.values())
        and all(n > 1 for n in counts.values())
    )
