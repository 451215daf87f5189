"""The one place that talks to a container engine (through the docker SDK, not the CLI).

Everything the harness creates carries the harness label and an owner label naming this
process, so that a crashed run's leftovers can be recognised and reaped by the next run.
Containers are removed on normal exit, on exceptions and on Ctrl-C (context managers), and
by an atexit hook as a last resort.
"""

from __future__ import annotations

import atexit
import io
import os
import shlex
import signal
import socket
import tarfile
import tempfile
import threading
import time
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

from harness.catalog.architecture import Arch, platform_matches
from harness.errors import ContainerError, EngineUnavailable, ExecTimeout, ImageUnavailable
from harness.util.names import safe_name

LABEL = "org.manylinux-harness.managed"
LABEL_OWNER = "org.manylinux-harness.owner"
LABEL_ROLE = "org.manylinux-harness.role"
# One id per run, inherited by its worker processes through the environment, so that the
# process that started the run can sweep everything the run created however it ended
# (xdist may tear a worker down before its fixtures are).
LABEL_RUN = "org.manylinux-harness.run"
RUN_ENV = "MANYLINUX_HARNESS_RUN"
# Images carry their own label: containers created from them (by us, by cibuildwheel, by a
# user) must not inherit a "managed" label with a stale owner and be reaped by mistake.
IMAGE_LABEL = "org.manylinux-harness.image"
MIN_API_VERSION = (1, 41)
# Reads on the engine socket block for as long as an exec runs; the real limit on a command
# is the in-container `timeout` each exec is wrapped in.
_SOCKET_TIMEOUT = 6 * 3600
_TIMEOUT_EXIT_CODES = (124, 137)

# What a call to the engine can raise: the SDK's errors, and the transport's when the
# connection itself fails (a remote engine's ssh or tcp link dropping, a broken pipe). Every
# one becomes a HarnessError here, so that it ends as one cell's `error`, never as a crash.
ENGINE_ERRORS: tuple[type[BaseException], ...] = (
    docker.errors.DockerException,
    requests.exceptions.RequestException,
    OSError,
)


def owner_token(pid: int | None = None) -> str:
    """host:pid:start-time, so that a recycled pid is not mistaken for the owner."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_process_start_time(pid)}"


def _process_start_time(pid: int) -> str:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # Field 22 (starttime), counted after the parenthesised command name.
    return stat.rsplit(")", 1)[1].split()[19]


def owner_is_alive(token: str) -> bool:
    """Whether the process that created a labelled object is still running on this host.

    Objects owned by another host are assumed alive: we cannot tell, so we leave them be.
    """
    try:
        host, pid_text, start = token.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True
    return _process_start_time(pid) == start and start != ""


def run_id() -> str:
    if not os.environ.get(RUN_ENV):
        start_run()
    return os.environ[RUN_ENV]


def start_run() -> str:
    """A fresh run id for this process and the processes it starts from now on."""
    os.environ[RUN_ENV] = uuid.uuid4().hex[:12]
    return os.environ[RUN_ENV]


def harness_labels(role: str) -> dict[str, str]:
    return {LABEL: "1", LABEL_OWNER: owner_token(), LABEL_ROLE: role, LABEL_RUN: run_id()}


@dataclass(frozen=True)
class Mount:
    source: Path
    target: str
    read_only: bool = True


@dataclass(frozen=True)
class ExecResult:
    command: str
    exit_code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def tail(self, lines: int = 20) -> str:
        text = (self.stdout + ("\n" if self.stdout and self.stderr else "") + self.stderr).strip()
        return "\n".join(text.splitlines()[-lines:])


@dataclass(frozen=True)
class ImageInfo:
    reference: str
    id: str
    os: str
    architecture: str
    variant: str | None
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def platform(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)

    def matches(self, arch: Arch) -> bool:
        return platform_matches(arch, self.os, self.architecture, self.variant)


# -- cleanup registry -----------------------------------------------------------------------

_live: dict[str, Container] = {}
_live_lock = threading.Lock()


def _remove_all_live() -> None:
    with _live_lock:
        containers = list(_live.values())
    for container in containers:
        container.remove()


atexit.register(_remove_all_live)


def install_termination_handlers() -> None:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt in the main thread, so that the normal
    unwinding (context managers, pytest fixture teardown) removes our containers."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.default_int_handler)


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
            client = docker.DockerClient(
                base_url=url,
                version="auto",
                timeout=_SOCKET_TIMEOUT,
                # ssh:// goes through paramiko (docker[ssh]), which reads ~/.ssh/config and
                # known_hosts. Not use_ssh_client: its exec streams break on close
                # (docker/docker-py#3218) and it starts one ssh per request (#2966).
            )
            version = client.version()
        except Exception as exc:  # the SDK raises many types for "not there"
            fix = (
                "start it with `manylinux-harness doctor --fix`"
                if url.startswith("unix://")
                else f"check that it runs and that `docker -H {url} version` works from here"
            )
            raise EngineUnavailable(
                f"cannot reach the Docker engine at {url} ({_short(exc)}): {fix}"
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
                f"cannot inspect {reference} on {self.base_url}: {_short(exc)}"
            ) from exc
        return ImageInfo(
            reference=reference,
            id=attrs["Id"],
            os=attrs.get("Os", ""),
            architecture=attrs.get("Architecture", ""),
            variant=attrs.get("Variant") or None,
            labels=(attrs.get("Config") or {}).get("Labels") or {},
        )

    def pull(self, reference: str, arch: Arch) -> ImageInfo:
        try:
            self.client.api.pull(reference, platform=arch.oci_platform)
        except ENGINE_ERRORS as exc:
            raise ImageUnavailable(
                f"cannot pull {reference} for {arch.oci_platform}: {_short(exc)}"
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
                raise ImageUnavailable(
                    f"could not import {rootfs_tar.name} as {tag}: {_short(exc)}"
                ) from exc
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
            raise ImageUnavailable(f"cannot tag {source} as {target}: {_short(exc)}") from exc

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
    ) -> Iterator[Container]:
        """A long-lived container for exec; removed when the block ends, however it ends."""
        container = self._start(
            image, arch=arch, role=role, name_hint=name_hint, mounts=mounts, network=network
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
            )
        except ENGINE_ERRORS as exc:
            raise ContainerError(f"cannot start a container from {image}: {_short(exc)}") from exc
        container = Container(self, raw, image=image, arch=arch, name=name)
        with _live_lock:
            _live[container.id] = container
        container.detect_timeout_tool()
        return container

    def leftovers(self) -> list[Any]:
        """Labelled containers whose owning process is gone."""
        found = []
        for raw in self.client.containers.list(all=True, filters={"label": f"{LABEL}=1"}):
            token = (raw.labels or {}).get(LABEL_OWNER, "")
            if not owner_is_alive(token):
                found.append(raw)
        return found

    def reap_leftovers(self) -> list[str]:
        """Remove what a crashed or killed earlier run left behind; returns their names."""
        reaped = []
        for raw in self.leftovers():
            try:
                raw.remove(force=True)
                reaped.append(raw.name)
            except ENGINE_ERRORS:
                pass
        return reaped

    def remove_containers(self, labels: Mapping[str, str]) -> list[str]:
        """Remove every container carrying all of these labels (e.g. one build job's)."""
        filters = {"label": [f"{key}={value}" for key, value in labels.items()]}
        removed = []
        try:
            for raw in self.client.containers.list(all=True, filters=filters):
                try:
                    raw.remove(force=True)
                    removed.append(raw.name)
                except ENGINE_ERRORS:
                    pass
        except ENGINE_ERRORS:
            pass
        return removed

    def running_harness_containers(self) -> list[str]:
        return [c.name for c in self.client.containers.list(filters={"label": f"{LABEL}=1"})]


class Container:
    """One running container. Commands run through exec, each with a time limit."""

    def __init__(self, engine: Engine, raw: Any, *, image: str, arch: Arch, name: str) -> None:
        self.engine = engine
        self.raw = raw
        self.id: str = raw.id
        self.image = image
        self.arch = arch
        self.name = name
        self._timeout_tool: list[str] = []
        self._removed = False

    def __repr__(self) -> str:
        return f"Container({self.name}, image={self.image})"

    def detect_timeout_tool(self) -> None:
        probe = self._exec_raw(["/bin/sh", "-c", "command -v timeout"], env=None, workdir=None)
        self._timeout_tool = ["timeout", "-s", "KILL"] if probe.ok and probe.stdout.strip() else []

    def exec(
        self,
        command: Sequence[str],
        *,
        timeout: float,
        step: str,
        env: Mapping[str, str] | None = None,
        workdir: str | None = None,
    ) -> ExecResult:
        """Run a command; raises ExecTimeout naming `step` if it outlives `timeout` seconds."""
        limit = max(1, int(timeout))
        wrapped = (
            [*self._timeout_tool, str(limit), *command] if self._timeout_tool else list(command)
        )
        result = self._exec_raw(wrapped, env=env, workdir=workdir)
        if (
            self._timeout_tool
            and result.exit_code in _TIMEOUT_EXIT_CODES
            and result.seconds >= limit - 1
        ):
            raise ExecTimeout(
                f"{step} did not finish within {limit} s in {self.name} ({self.image})",
                step=step,
                seconds=result.seconds,
            )
        return result

    def shell(
        self, script: str, *, timeout: float, step: str, env: Mapping[str, str] | None = None
    ) -> ExecResult:
        return self.exec(["/bin/sh", "-c", script], timeout=timeout, step=step, env=env)

    def _exec_raw(
        self, command: Sequence[str], *, env: Mapping[str, str] | None, workdir: str | None
    ) -> ExecResult:
        api = self.engine.client.api
        started = time.monotonic()
        try:
            exec_id = api.exec_create(
                self.id, list(command), environment=dict(env or {}), workdir=workdir
            )["Id"]
            out, err = api.exec_start(exec_id, demux=True)
            exit_code = api.exec_inspect(exec_id).get("ExitCode")
        except ENGINE_ERRORS as exc:
            raise ContainerError(
                f"exec of {shlex.join(command)[:80]} failed in {self.name}: {_short(exc)}"
            ) from exc
        return ExecResult(
            command=shlex.join(command),
            exit_code=-1 if exit_code is None else int(exit_code),
            stdout=(out or b"").decode("utf-8", "replace"),
            stderr=(err or b"").decode("utf-8", "replace"),
            seconds=time.monotonic() - started,
        )

    def copy_into(self, source: Path, dest_dir: str, *, arcname: str | None = None) -> None:
        """Copy a host file or directory into an existing directory of the container."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            tar.add(str(source), arcname=arcname or source.name)
        self._put(dest_dir, buffer.getvalue())

    def write_file(self, dest_path: str, content: str | bytes, mode: int = 0o644) -> None:
        data = content.encode() if isinstance(content, str) else content
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            info = tarfile.TarInfo(os.path.basename(dest_path))
            info.size = len(data)
            info.mode = mode
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
        self._put(os.path.dirname(dest_path) or "/", buffer.getvalue())

    def _put(self, dest_dir: str, data: bytes) -> None:
        self.exec(["mkdir", "-p", dest_dir], timeout=60, step=f"mkdir {dest_dir}")
        try:
            self.engine.client.api.put_archive(self.id, dest_dir, data)
        except ENGINE_ERRORS as exc:
            raise ContainerError(f"copy into {self.name}:{dest_dir} failed: {_short(exc)}") from exc

    def copy_out(self, path: str, dest_dir: Path) -> None:
        try:
            stream, _ = self.engine.client.api.get_archive(self.id, path)
            buffer = io.BytesIO(b"".join(stream))  # the stream is read here: errors too
        except ENGINE_ERRORS as exc:
            raise ContainerError(f"copy out of {self.name}:{path} failed: {_short(exc)}") from exc
        dest_dir.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=buffer) as tar:
            tar.extractall(dest_dir, filter="data")

    def commit(self, reference: str, *, env: Mapping[str, str], labels: Mapping[str, str]) -> str:
        """Freeze this container's filesystem as an image; returns the image id."""
        repository, _, tag = reference.rpartition(":")
        changes = [f"ENV {key}={value}" for key, value in env.items()]
        # Neutralise the labels the container itself carries (see IMAGE_LABEL).
        overrides = {LABEL: "0", LABEL_OWNER: "", LABEL_ROLE: "", LABEL_RUN: ""}
        changes += [
            f"LABEL {key}={shlex.quote(value)}" for key, value in {**overrides, **labels}.items()
        ]
        changes.append('CMD ["/bin/sh"]')
        try:
            image = self.raw.commit(repository=repository, tag=tag, changes=changes)
        except ENGINE_ERRORS as exc:
            raise ContainerError(
                f"commit of {self.name} as {reference} failed: {_short(exc)}"
            ) from exc
        return str(image.id)

    def remove(self) -> None:
        if self._removed:
            return
        self._removed = True
        with _live_lock:
            _live.pop(self.id, None)
        try:
            self.raw.remove(force=True)
        except docker.errors.NotFound:
            pass
        except ENGINE_ERRORS:
            # Already going away (removal in progress) or the engine is gone: the next run's
            # reaper will find it by its labels.
            pass


def _short(exc: BaseException) -> str:
    """One line of an SDK exception, without the HTTP noise."""
    text = getattr(exc, "explanation", None) or str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(exc, docker.errors.DockerException):  # a transport error: say which
        text = f"{type(exc).__name__}: {text}"
    return " ".join(str(text).split())[:300]
