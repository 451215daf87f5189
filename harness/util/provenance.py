"""What produced a run: the host-side distributions it imported, read from the installed
metadata (not from a lock file, which says what should be installed, not what is).

Two runs made with different cibuildwheel, auditwheel or packaging releases may differ for
that reason alone; the record carries the versions so the gate can say so.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable, Iterable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

ROOT = "manylinux-harness"

# How the walk reads a distribution: its requirement strings and its version, each None when
# the distribution is not installed. Passed in so the walk is testable without an environment.
Requires = Callable[[str], Iterable[str] | None]
Version = Callable[[str], str | None]


def _applies(requirement: Requirement, extras: frozenset[str]) -> bool:
    """Whether a requirement applies here, with these extras of its dependent requested.
    Evaluated once without an extra (plain markers such as python_version) and once per
    requested extra, the way an installer does."""
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in ("", *sorted(extras)))


def dependency_closure(root: str, requires: Requires, version: Version) -> dict[str, str]:
    """Installed versions of root and of everything it requires, transitively, by canonical
    name, sorted. A requirement whose markers do not apply (an extra nobody asked for, another
    platform) is not followed; one that is not installed is left out, as nothing imported it."""
    found: dict[str, str] = {}
    # Extras already walked per distribution: a distribution met again with a new extra
    # (docker, then docker[ssh]) is walked again for that extra's requirements.
    walked: dict[str, frozenset[str]] = {}
    pending: list[tuple[str, frozenset[str]]] = [(canonicalize_name(root), frozenset())]
    while pending:
        name, extras = pending.pop()
        seen = walked.get(name)
        if seen is not None and extras <= seen:
            continue
        walked[name] = (seen or frozenset()) | extras
        installed = version(name)
        if installed is None:
            continue
        found[name] = installed
        for text in requires(name) or ():
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue  # metadata we cannot read says nothing about what was imported
            if _applies(requirement, extras):
                wanted = frozenset(canonicalize_name(e) for e in requirement.extras)
                pending.append((canonicalize_name(requirement.name), wanted))
    return dict(sorted(found.items()))


def installed_version(name: str) -> str | None:
    """The installed version of a distribution, None when it is not installed."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _installed_requires(name: str) -> list[str] | None:
    try:
        return importlib.metadata.requires(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def host_dependencies(root: str = ROOT) -> dict[str, str]:
    """The harness and its installed requirements, transitively, as this interpreter has them:
    what results.json records under host["dependencies"]."""
    return dependency_closure(root, _installed_requires, installed_version)
