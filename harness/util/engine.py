"""A connection to one container engine (through the docker SDK, not the CLI): images,
containers started with the harness's labels, and the reaping of a crashed run's leftovers."""

from __future__ import annotations

import functools
import os
import re
import socket
import tempfile
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.types
import requests.exceptions

from harness.errors import ContainerError, EngineUnavailable, ImageUnavailable, UsageError
from harness.util.container import ENGINE_ERRORS, Container, Mount, short_error, track
from harness.util.limits import Limits
from harness.util.names import safe_name
from harness.util.ownership import IMAGE_LABEL, LABEL, LABEL_OWNER, harness_labels, owner_is_alive
from harness.vocab.arch import Arch, emulation_env, get_arch, host_machine, platform_matches

MIN_API_VERSION = (1, 41)
# Below sshd's default MaxSessions (10), with room for the exec streams beside the pool.
SSH_POOL_SIZE = 6
# Reads on the engine socket block for as long as an exec runs; the real limit on a command
# is the in-container `timeout` each exec is wrapped in. So do the other calls that answer
# only when their work is done (LONG_CALLS).
_SOCKET_TIMEOUT = 6 * 3600
# Every other call (version, inspect, create, start, remove, list, exec create/inspect) is
# answered at once by a working engine: one that accepted the connection and says nothing for
# this long is wedged, and the run stops naming it instead of hanging for hours.
CONTROL_TIMEOUT = 30.0
# (method, path after /vX.Y) of the calls that may take as long as their work: an exec's
# output, an image build, a commit, a pull, an archive into or out of a container, a wait.
LONG_CALLS = re.compile(
    r"^(POST /exec/[^/]+/start|POST /build|POST /commit|POST /images/create"
    r"|(GET|PUT|HEAD) /containers/[^/]+/archive|POST /containers/[^/]+/(wait|attach)"
    r"|GET /containers/[^/]+/logs)$"
)
_VERSIONED = re.compile(r"^/v\d+\.\d+(?=/)")


@dataclass(frozen=True)
class ListedContainer:
    """A container as the engine's listing shows it (no inspect)."""

    id: str
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True)
class ImageInfo:
    reference: str
    id: str
    os: str
    architecture: str
    variant: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    # "repo@sha256:..." per registry the image was pulled from (empty for a local build)
    repo_digests: tuple[str, ...] = ()

    @property
    def platform(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def matches(self, arch: Arch) -> bool:
        return platform_matches(arch, self.os, self.architecture, self.variant)


# -- bounded calls ----------------------------------------------------------------------------


def bound_calls(api: Any, control_seconds: float) -> None:
    """Give the client's calls two bounds: a control call (everything but LONG_CALLS) must be
    answered within `control_seconds`; the long ones keep the client's own timeout. The SDK
    has one timeout for every call, so each request is looked at on its way out."""
    plain = api.request  # requests.Session.request, bound to this client
    api.timeout = _SOCKET_TIMEOUT

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        path = _VERSIONED.sub("", urllib.parse.urlsplit(url).path)
        if not LONG_CALLS.match(f"{method.upper()} {path}"):
            kwargs["timeout"] = control_seconds
        return plain(method, url, *args, **kwargs)

    api.request = request


def _timed_out(exc: BaseException) -> bool:
    """Whether an SDK error was a read that timed out (the engine said nothing)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.exceptions.Timeout | socket.timeout):
            return True
        if "timed out" in str(seen).lower():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# -- engine ---------------------------------------------------------------------------------


class Engine:
    """A connection to one Docker engine (local socket, tcp:// or ssh://)."""

    def __init__(self, client: docker.DockerClient, base_url: str) -> None:
        self.client = client
        self.base_url = base_url

    @classmethod
    def connect(cls, base_url: str | None = None) -> Engine:
        url = base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        try:
            # The version negotiation the client makes here is a control call: bounded.
            client = docker.DockerClient(
                base_url=url,
                version="auto",
                timeout=CONTROL_TIMEOUT,
                # ssh:// goes through paramiko (docker[ssh]), which reads ~/.ssh/config and
                # known_hosts. Not use_ssh_client: its exec streams break on close
                # (docker/docker-py#3218) and it starts one ssh per request (#2966).
                # Every pooled connection is a session on one ssh connection, and sshd
                # refuses more than MaxSessions (10 by default) with "Connect failed": the
                # SDK's pool of 10 plus a stream or two crossed it under load.
                **({"max_pool_size": SSH_POOL_SIZE} if url.startswith("ssh://") else {}),
            )
            bound_calls(client.api, CONTROL_TIMEOUT)
            version = client.version()
        except Exception as exc:  # the SDK raises many types for "not there"
            fix = (
                "start it with `manylinux-harness doctor --fix`"
                if url.startswith("unix://")
                else f"check that it runs and that `docker -H {url} version` works from here"
            )
            if _timed_out(exc):
                raise EngineUnavailable(
                    f"the Docker engine at {url} accepted the connection but did not answer "
                    f"within {CONTROL_TIMEOUT:.0f} s (wedged?): restart it, or {fix.split(': ')[0]}"
                ) from exc
            raise EngineUnavailable(
                f"cannot reach the Docker engine at {url} ({short_error(exc)}): {fix}"
            ) from exc
        api = tuple(int(x) for x in str(version.get("ApiVersion", "0.0")).split(".")[:2])
        if api < MIN_API_VERSION:
            raise EngineUnavailable(
                f"the Docker engine at {url} speaks API {version.get('ApiVersion')}, "
                f"cibuildwheel needs >= {'.'.join(map(str, MIN_API_VERSION))}: upgrade the engine"
            )
        return cls(client, url)

    @property
    def is_local(self) -> bool:
        """Bind mounts of host paths only make sense on an engine on this machine."""
        return self.base_url.startswith("unix://")

    def version(self) -> Mapping[str, Any]:
        return self.client.version()

    @functools.cached_property
    def machine(self) -> str:
        """The engine's own machine (`uname -m`): what its containers run natively."""
        if self.is_local:
            return host_machine()
        try:
            return get_arch(str(self.version().get("Arch", ""))).machines[0]
        except UsageError:
            return host_machine()

    def close(self) -> None:
        self.client.close()

    # -- images -----------------------------------------------------------------------------

    def image_info(self, reference: str) -> ImageInfo | None:
        try:
            attrs = self.client.api.inspect_image(reference)
        except docker.errors.ImageNotFound:
            return None
        except ENGINE_ERRORS as exc:
            if getattr(exc, "status_code", None) == 404:
                return None
            raise ImageUnavailable(
                f"cannot inspect {reference} on {self.base_url}: {short_error(exc)}"
            ) from exc
        return ImageInfo(
            reference=reference,
            id=attrs["Id"],
            os=attrs.get("Os", ""),
            architecture=attrs.get("Architecture", ""),
            variant=attrs.get("Variant") or None,
            labels=(attrs.get("Config") or {}).get("Labels") or {},
            repo_digests=tuple(attrs.get("RepoDigests") or ()),
        )

    def pull(self, reference: str, arch: Arch, *, mirror_of: str = "") -> ImageInfo:
        """Pull `reference` for `arch`; `mirror_of` names the upstream reference a registry
        mirror stands in for, so that a failure names both."""
        source = f"{reference} (mirror of {mirror_of})" if mirror_of else reference
        try:
            # Streamed: the engine reports some failures (a layer it cannot fetch) inside a
            # pull that started with 200, as an "error" record.
            for record in self.client.api.pull(
                reference, platform=arch.oci_platform, stream=True, decode=True
            ):
                if isinstance(record, dict) and record.get("error"):
                    raise ImageUnavailable(
                        f"cannot pull {source} for {arch.oci_platform}: "
                        + " ".join(str(record["error"]).split())[:300]
                    )
        except ENGINE_ERRORS as exc:
            raise ImageUnavailable(
                f"cannot pull {source} for {arch.oci_platform}: {short_error(exc)}"
            ) from exc
        info = self.image_info(reference)
        if info is None:
            raise ImageUnavailable(f"pulled {reference} but the engine does not list it")
        return info

    def build_from_rootfs(
        self, rootfs_tar: Path, tag: str, arch: Arch, labels: Mapping[str, str]
    ) -> ImageInfo:
        """Turn a root filesystem tarball into an image that records `arch`'s platform.

        `docker import` records the host's architecture whatever it is told; a classic-builder
        `FROM scratch` + `ADD` build with a platform records the right one. --no-cache
        because the classic builder's cache ignores the platform.
        """
        with tempfile.TemporaryDirectory(prefix="mh-rootfs-", dir=rootfs_tar.parent) as ctx:
            context = Path(ctx)
            os.link(rootfs_tar, context / "rootfs.tar")
            (context / "Dockerfile").write_text(
                'FROM scratch\nADD rootfs.tar /\nCMD ["/bin/sh"]\n', encoding="utf-8"
            )
            return self._build_for(
                context, tag, arch, labels, f"could not import {rootfs_tar.name} as {tag}"
            )

    def build_from_image_dir(
        self, source: str, directory: str, tag: str, arch: Arch, labels: Mapping[str, str]
    ) -> ImageInfo:
        """An image whose whole root filesystem is `directory` of the image `source`: nothing
        else of `source` comes along (a multi-stage build, `COPY --from` into `scratch`; the
        classic builder records the platform it is given, as in build_from_rootfs)."""
        with tempfile.TemporaryDirectory(prefix="mh-stage-") as ctx:
            (Path(ctx) / "Dockerfile").write_text(
                f"FROM {source} AS stage\nFROM scratch\n"
                f'COPY --from=stage {directory.rstrip("/")}/ /\nCMD ["/bin/sh"]\n',
                encoding="utf-8",
            )
            return self._build_for(
                Path(ctx), tag, arch, labels, f"could not take {directory} of {source} as {tag}"
            )

    def _build_for(
        self, context: Path, tag: str, arch: Arch, labels: Mapping[str, str], failed: str
    ) -> ImageInfo:
        """Build `context` as `tag` for `arch` with the classic builder, and check the engine
        recorded that platform (a builder that ignores --platform records the host's)."""
        try:
            self.client.images.build(
                path=str(context),
                tag=tag,
                platform=arch.oci_platform,
                nocache=True,
                rm=True,
                forcerm=True,
                labels=dict(labels),
            )
        except ENGINE_ERRORS as exc:
            raise ImageUnavailable(f"{failed}: {short_error(exc)}") from exc
        info = self.image_info(tag)
        if info is None or not info.matches(arch):
            recorded = info.platform if info else "nothing"
            raise ImageUnavailable(
                f"the engine recorded {recorded} for {tag}, not {arch.oci_platform}: "
                "it needs a classic builder that honours --platform"
            )
        return info

    def tag_image(self, source: str, target: str) -> None:
        repository, _, tag = target.rpartition(":")
        try:
            self.client.api.tag(source, repository, tag)
        except ENGINE_ERRORS as exc:
            raise ImageUnavailable(f"cannot tag {source} as {target}: {short_error(exc)}") from exc

    def push(self, reference: str) -> str:
        """Push a tagged image; returns the manifest digest the registry stored."""
        repository, _, tag = reference.rpartition(":")
        digest = ""
        try:
            for record in self.client.api.push(repository, tag=tag, stream=True, decode=True):
                if isinstance(record, dict) and record.get("error"):
                    raise ImageUnavailable(
                        f"cannot push {reference}: " + " ".join(str(record["error"]).split())[:300]
                    )
                aux = record.get("aux") if isinstance(record, dict) else None
                if isinstance(aux, dict) and aux.get("Digest"):
                    digest = str(aux["Digest"])
        except ENGINE_ERRORS as exc:
            raise ImageUnavailable(f"cannot push {reference}: {short_error(exc)}") from exc
        return digest

    def save_image(self, reference: str, output: Path) -> None:
        """`docker save` of one reference into `output` (a docker-archive tar)."""
        try:
            with open(output, "wb") as handle:
                for chunk in self.client.api.get_image(reference):
                    handle.write(chunk)
        except ENGINE_ERRORS as exc:
            output.unlink(missing_ok=True)
            raise ImageUnavailable(f"cannot save {reference}: {short_error(exc)}") from exc

    def load_image(self, archive: Path) -> list[str]:
        """`docker load` of an archive; returns what the engine says it loaded (references,
        or image ids for untagged images). Raises ImageUnavailable when the engine refuses
        the archive (not an image archive, truncated)."""
        loaded: list[str] = []
        try:
            with open(archive, "rb") as handle:
                records = self.client.api.load_image(handle)
                for record in records or ():
                    if not isinstance(record, dict):
                        continue
                    if record.get("error") or record.get("errorDetail"):
                        detail = record.get("error") or record.get("errorDetail")
                        raise ImageUnavailable(
                            f"the engine refused {archive.name}: {' '.join(str(detail).split())[:200]}"
                        )
                    stream = str(record.get("stream", ""))
                    for prefix in ("Loaded image: ", "Loaded image ID: "):
                        if stream.startswith(prefix):
                            loaded.append(stream[len(prefix) :].strip())
        except ENGINE_ERRORS as exc:
            raise ImageUnavailable(
                f"the engine refused {archive.name}: {short_error(exc)}"
            ) from exc
        return loaded

    def remove_image(self, reference: str) -> None:
        with suppress(*ENGINE_ERRORS):
            self.client.api.remove_image(reference, force=True)

    def images(self, label: str = IMAGE_LABEL) -> list[ImageInfo]:
        found = []
        for image in self.client.images.list(filters={"label": label}):
            for reference in image.tags or [image.id]:
                info = self.image_info(reference)
                if info:
                    found.append(info)
        return found

    # -- containers -------------------------------------------------------------------------

    @contextmanager
    def container(
        self,
        image: str,
        *,
        arch: Arch,
        role: str,
        name_hint: str,
        mounts: Sequence[Mount] = (),
        network: bool = False,
        limits: Limits | None = None,
    ) -> Iterator[Container]:
        """A long-lived container for exec; removed when the block ends, however it ends.
        `limits`: for one that runs a wheel's code (a probe)."""
        container = self._start(
            image,
            arch=arch,
            role=role,
            name_hint=name_hint,
            mounts=mounts,
            network=network,
            limits=limits,
        )
        try:
            yield container
        finally:
            container.remove()

    def _start(
        self,
        image: str,
        *,
        arch: Arch,
        role: str,
        name_hint: str,
        mounts: Sequence[Mount],
        network: bool,
        limits: Limits | None = None,
    ) -> Container:
        if mounts and not self.is_local:
            raise ContainerError(
                f"bind mounts need a local engine, {self.base_url} is remote: copy files in instead"
            )
        name = f"mh-{safe_name(name_hint)}-{uuid.uuid4().hex[:8]}"
        try:
            raw = self.client.containers.run(
                image,
                # A shell that sleeps: portable across distros (busybox included), and exits on TERM.
                ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
                name=name,
                detach=True,
                platform=arch.oci_platform,
                network_mode="bridge" if network else "none",
                mounts=[
                    docker.types.Mount(m.target, str(m.source), type="bind", read_only=m.read_only)
                    for m in mounts
                ],
                labels=harness_labels(role),
                init=True,
                **(limits.create_kwargs() if limits else {}),
            )
        except ENGINE_ERRORS as exc:
            # run() is create + start: a start that fails leaves a "created" container.
            self._discard(name)
            raise ContainerError(
                f"cannot start a container from {image}: {short_error(exc)}"
            ) from exc
        container = Container(
            self,
            raw,
            image=image,
            arch=arch,
            name=name,
            emulation=emulation_env(arch, self.machine, os.environ),
        )
        track(container)
        try:
            container.detect_timeout_tool()
        except BaseException:
            container.remove()
            raise
        return container

    def _discard(self, name: str) -> None:
        with suppress(*ENGINE_ERRORS):  # never created, or already gone
            self.client.containers.get(name).remove(force=True)

    def labelled(self, labels: Mapping[str, str], *, stopped: bool = True) -> list[ListedContainer]:
        """Containers carrying all of these labels, from one listing call. Not the SDK's
        containers.list, which inspects each container after listing: on a shared engine a
        container another run removes in between failed the whole call (NotFound)."""
        filters = {"label": [f"{key}={value}" for key, value in labels.items()]}
        return [
            ListedContainer(
                id=raw["Id"],
                name=(raw.get("Names") or ["/" + raw["Id"][:12]])[0].lstrip("/"),
                labels=dict(raw.get("Labels") or {}),
            )
            for raw in self.client.api.containers(all=stopped, filters=filters)
        ]

    def _remove_listed(self, found: list[ListedContainer]) -> list[str]:
        removed = []
        for container in found:
            try:
                self.client.api.remove_container(container.id, force=True)
                removed.append(container.name)
            except ENGINE_ERRORS:
                pass  # gone meanwhile, or the engine refused: not ours to report
        return removed

    def leftovers(self) -> list[ListedContainer]:
        """Labelled containers whose owning process is gone."""
        return [
            c
            for c in self.labelled({LABEL: "1"})
            if not owner_is_alive(c.labels.get(LABEL_OWNER, ""))
        ]

    def reap_leftovers(self) -> list[str]:
        """Remove what a crashed or killed earlier run left behind; returns their names."""
        return self._remove_listed(self.leftovers())

    def remove_containers(self, labels: Mapping[str, str]) -> list[str]:
        """Remove every container carrying all of these labels (e.g. one build job's)."""
        try:
            return self._remove_listed(self.labelled(labels))
        except ENGINE_ERRORS:
            return []

    def running_harness_containers(self) -> list[str]:
        return [c.name for c in self.labelled({LABEL: "1"}, stopped=False)]
