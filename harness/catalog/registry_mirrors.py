"""Registry mirrors: pull an upstream registry's images from another registry.

A mapping per upstream registry, as pull-through caches (Harbor, Artifactory, a CI cache
registry) and containerd's hosts.toml do it:

    quay.io=mirror.example:5000/quay        quay.io/pypa/manylinux2014_x86_64:2024.01.01
                                      ->    mirror.example:5000/quay/pypa/manylinux2014_x86_64:2024.01.01
    docker.io=mirror.example/hub            debian:12 (= docker.io/library/debian:12)
                                      ->    mirror.example/hub/library/debian:12

Pure: nothing here talks to a registry or an engine (harness.images.registry_check does).
A mirror is HTTPS unless it is written `http://` and its host is loopback: a plain-HTTP
registry elsewhere would let anyone on the path swap the images under test.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from harness.errors import UsageError

MIRRORS_VARIABLE = "MANYLINUX_HARNESS_REGISTRY_MIRRORS"
DOCKER_HUB = "docker.io"
# Names Docker Hub is also known by; a mapping for any of them is a mapping for docker.io.
_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_HOST = re.compile(
    r"^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::\d{1,5})?$"
)
_PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_FORMAT_HINT = "write UPSTREAM=HOST[:PORT][/PREFIX], e.g. quay.io=mirror.example:5000/quay"


@dataclass(frozen=True)
class ImageReference:
    """A reference split the way the Docker engine normalises it (distribution/reference)."""

    registry: str  # "docker.io", "quay.io", "127.0.0.1:5000"
    path: str  # "library/debian", "pypa/manylinux2014_x86_64"
    tag: str = ""
    digest: str = ""  # "sha256:<64 hex>"

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        name, _, digest = text.partition("@")
        if digest and not _DIGEST.match(digest):
            raise UsageError(
                f"image reference {text!r} has a malformed digest: use sha256:<64 hex>"
            )
        tag = ""
        last = name.rsplit("/", 1)[-1]
        if ":" in last:
            name, _, tag = name.rpartition(":")
            if not _TAG.match(tag):
                raise UsageError(f"image reference {text!r} has a malformed tag {tag!r}")
        first, sep, rest = name.partition("/")
        # Docker's rule: the first component is a registry only if it looks like a host.
        if sep and ("." in first or ":" in first or first == "localhost"):
            registry, path = first, rest
        else:
            registry, path = DOCKER_HUB, name
        if registry in _HUB_ALIASES:
            registry = DOCKER_HUB
            if "/" not in path:
                path = f"library/{path}"
        if not path or not all(_PATH_COMPONENT.match(part) for part in path.split("/")):
            raise UsageError(
                f"image reference {text!r} has an invalid repository {path!r}: "
                "use lowercase components separated by /"
            )
        return cls(registry=registry, path=path, tag=tag, digest=digest)

    @property
    def repository(self) -> str:
        return f"{self.registry}/{self.path}"

    def __str__(self) -> str:
        return (
            self.repository
            + (f":{self.tag}" if self.tag else "")
            + (f"@{self.digest}" if self.digest else "")
        )


@dataclass(frozen=True)
class Mirror:
    upstream: str  # normalised registry host, e.g. "docker.io"
    host: str  # "127.0.0.1:5000"
    prefix: str = ""  # "quay" (no slashes at either end)
    plain_http: bool = False

    @property
    def schemes(self) -> tuple[str, ...]:
        """How to reach the registry's HTTP API, in order. Written `http://`: plain HTTP.
        Otherwise HTTPS, and for a loopback host then plain HTTP, as the Docker engine does
        (its default insecure registries are 127.0.0.0/8)."""
        if self.plain_http:
            return ("http",)
        return ("https", "http") if is_loopback(self.host) else ("https",)

    @property
    def location(self) -> str:
        return self.host + (f"/{self.prefix}" if self.prefix else "")

    def describe(self) -> str:
        return f"{self.upstream}={'http://' if self.plain_http else ''}{self.location}"

    def rewrite(self, reference: ImageReference) -> ImageReference:
        path = f"{self.prefix}/{reference.path}" if self.prefix else reference.path
        return ImageReference(self.host, path, reference.tag, reference.digest)


def is_loopback(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_mirror(text: str) -> Mirror:
    """`UPSTREAM=[http://]HOST[:PORT][/PREFIX]` -> Mirror, or a one-line UsageError."""
    upstream, sep, target = text.strip().partition("=")
    upstream = upstream.strip().lower()
    if not sep or not upstream or not target:
        raise UsageError(f"registry mirror {text!r} is not UPSTREAM=MIRROR: {_FORMAT_HINT}")
    if not _HOST.match(upstream) or "/" in upstream:
        raise UsageError(
            f"registry mirror {text!r}: {upstream!r} is not a registry host "
            "(e.g. quay.io, docker.io, ghcr.io)"
        )
    if upstream in _HUB_ALIASES:
        upstream = DOCKER_HUB
    scheme, has_scheme, rest = target.partition("://")
    if not has_scheme:
        scheme, rest = "https", target
    if scheme not in ("http", "https"):
        raise UsageError(f"registry mirror {text!r}: scheme {scheme!r} is neither http nor https")
    host, _, prefix = rest.partition("/")
    prefix = prefix.strip("/")
    if not _HOST.match(host):
        raise UsageError(f"registry mirror {text!r}: {host!r} is not HOST[:PORT]: {_FORMAT_HINT}")
    if prefix and not all(_PATH_COMPONENT.match(part) for part in prefix.split("/")):
        raise UsageError(
            f"registry mirror {text!r}: prefix {prefix!r} is not a repository path "
            "(lowercase components separated by /)"
        )
    plain_http = scheme == "http"
    if plain_http and not is_loopback(host):
        raise UsageError(
            f"registry mirror {text!r}: plain HTTP is allowed only for a registry on this "
            f"machine's loopback (127.0.0.1, ::1, localhost): serve {host} over HTTPS"
        )
    return Mirror(upstream=upstream, host=host, prefix=prefix, plain_http=plain_http)


@dataclass(frozen=True)
class Mirrors:
    by_upstream: Mapping[str, Mirror]

    def __bool__(self) -> bool:
        return bool(self.by_upstream)

    def __iter__(self):
        return iter(self.by_upstream.values())

    def for_reference(self, reference: str) -> Mirror | None:
        return self.by_upstream.get(ImageReference.parse(reference).registry)

    def rewrite(self, reference: str) -> str:
        """The reference to pull instead of `reference` (itself when no mirror covers it)."""
        parsed = ImageReference.parse(reference)
        mirror = self.by_upstream.get(parsed.registry)
        return reference if mirror is None else str(mirror.rewrite(parsed))

    def to_json(self) -> dict[str, str]:
        return {m.upstream: m.describe().partition("=")[2] for m in self}


NO_MIRRORS = Mirrors({})


def parse_mirrors(values: Iterable[str], environ: Mapping[str, str] | None = None) -> Mirrors:
    """`--registry-mirror` values (repeatable) over MANYLINUX_HARNESS_REGISTRY_MIRRORS
    (space or comma separated): an option wins over the variable for the same upstream; two
    options for one upstream are a mistake, not a preference."""
    configured = (environ or {}).get(MIRRORS_VARIABLE, "").replace(",", " ").split()
    found: dict[str, Mirror] = {m.upstream: m for m in map(parse_mirror, configured)}
    given: dict[str, Mirror] = {}
    for text in values:
        mirror = parse_mirror(text)
        if mirror.upstream in given and given[mirror.upstream] != mirror:
            raise UsageError(
                f"registry mirror for {mirror.upstream} given twice "
                f"({given[mirror.upstream].describe()} and {mirror.describe()}): keep one"
            )
        given[mirror.upstream] = mirror
    found.update(given)
    return Mirrors(found)


def served_digest(reference: str, repo_digests: Iterable[str]) -> str:
    """The digest the engine recorded for `reference`'s repository ("" when it recorded none):
    what the registry it was pulled from served."""
    wanted = ImageReference.parse(reference).repository
    for entry in repo_digests:
        try:
            recorded = ImageReference.parse(entry)
        except UsageError:
            continue
        if recorded.repository == wanted and recorded.digest:
            return recorded.digest
    return ""


def pin_mismatch(reference: str, repo_digests: Iterable[str], upstream: str = "") -> str | None:
    """One line when `reference` is pinned (repo@sha256:...) and the registry served another
    digest: a mirror that serves something else than the pin is not a mirror of it."""
    pinned = ImageReference.parse(reference).digest
    if not pinned:
        return None
    served = served_digest(reference, repo_digests)
    if served == pinned:
        return None
    source = f"{reference} (mirror of {upstream})" if upstream else reference
    return (
        f"{source} is pinned to {pinned} but the registry served "
        f"{served or 'no digest'}: fix the mirror or the catalog's pin"
    )
