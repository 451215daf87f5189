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
import tarfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker
import docker.errors
import docker.types
import requests.exceptions

from harness.errors import ContainerError, EmulationRefused, ExecTimeout
from harness.util.ownership import LABEL, LABEL_OWNER, LABEL_ROLE, LABEL_RUN
from harness.vocab.arch import QEMU_CPU_VARIABLE, Arch

if TYPE_CHECKING:
    from harness.util.engine import Engine

_TIMEOUT_EXIT_CODES = (124, 137)
# What qemu-user says when QEMU_CPU names a model or property it does not have.
_QEMU_REFUSALS = ("unable to find CPU model", "can't apply global")


def _ssh_errors() -> tuple[type[BaseException], ...]:
    """paramiko's errors (an ssh:// engine's channel refused or dropped): not OSErrors."""
    try:
        from paramiko.ssh_exception import SSHException
    except ImportError:  # no ssh transport installed: nothing of it can be raised
        return ()
    return (SSHException,)


# What a call to the engine can raise: the SDK's errors, and the transport's when the
# connection itself fails (a remote engine's ssh or tcp link dropping, a broken pipe). Every
# one becomes a HarnessError here, so that it ends as one cell's `error`, never as a crash.
ENGINE_ERRORS: tuple[type[BaseException], ...] = (
    docker.errors.DockerException,
    requests.exceptions.RequestException,
    OSError,
    *_ssh_errors(),
)


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


def track(container: Container) -> None:
    """Remember a started container, so that exit and Ctrl-C remove it."""
    with _live_lock:
        _live[container.id] = container


class Container:
    """One running container. Commands run through exec, each with a time limit."""

    def __init__(
        self,
        engine: Engine,
        raw: Any,
        *,
        image: str,
        arch: Arch,
        name: str,
        emulation: Mapping[str, str] | None = None,
    ) -> None:
        self.engine = engine
        self.raw = raw
        self.id: str = raw.id
        self.image = image
        self.arch = arch
        self.name = name
        # Per exec, not in the container's config: a committed image must not carry it.
        self.emulation = dict(emulation or {})
        self._timeout_tool: list[str] = []
        self._removed = False

    def __repr__(self) -> str:
        return f"Container({self.name}, image={self.image})"

    def detect_timeout_tool(self) -> None:
        """The container's first exec: also where a qemu-user that refuses the CPU model of
        `emulation` shows, before any step fails on it in a way that does not say why."""
        probe = self._exec_raw(["/bin/sh", "-c", "command -v timeout"], env=None, workdir=None)
        model = self.emulation.get("QEMU_CPU")
        if model and not probe.ok and any(m in probe.stderr for m in _QEMU_REFUSALS):
            raise EmulationRefused(
                f"qemu-user in {self.name} does not know QEMU_CPU={model} "
                f"({probe.stderr.strip().splitlines()[-1]}): set {QEMU_CPU_VARIABLE} to a "
                "model it knows (empty: its default), or upgrade it",
                model=model,
            )
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
                self.id,
                list(command),
                environment={**self.emulation, **(env or {})},
                workdir=workdir,
            )["Id"]
            out, err = api.exec_start(exec_id, demux=True)
            exit_code = api.exec_inspect(exec_id).get("ExitCode")
        except ENGINE_ERRORS as exc:
            raise ContainerError(
                f"exec of {shlex.join(command)[:80]} failed in {self.name}: {short_error(exc)}"
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
            raise ContainerError(
                f"copy into {self.name}:{dest_dir} failed: {short_error(exc)}"
            ) from exc

    def copy_out(self, path: str, dest_dir: Path) -> None:
        try:
            stream, _ = self.engine.client.api.get_archive(self.id, path)
            buffer = io.BytesIO(b"".join(stream))  # the stream is read here: errors too
        except ENGINE_ERRORS as exc:
            raise ContainerError(
                f"copy out of {self.name}:{path} failed: {short_error(exc)}"
            ) from exc
        dest_dir.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=buffer) as tar:
            tar.extractall(dest_dir, filter="data")

    def archive(self, path: str) -> bytes:
        """`path` (a file or a directory) as the engine's tar stream: modes, owners and
        symlinks as they are in the container."""
        try:
            stream, _ = self.engine.client.api.get_archive(self.id, path)
            return b"".join(stream)
        except ENGINE_ERRORS as exc:
            raise ContainerError(f"reading {self.name}:{path} failed: {short_error(exc)}") from exc

    def extract(self, dest_dir: str, data: bytes) -> None:
        """Unpack a tar stream (e.g. another container's `archive`) into `dest_dir`."""
        self._put(dest_dir, data)

    def changes(self) -> list[str]:
        """Paths added, changed or deleted since the container started from its image."""
        try:
            return [str(change["Path"]) for change in self.raw.diff() or ()]
        except ENGINE_ERRORS as exc:
            raise ContainerError(f"diff of {self.name} failed: {short_error(exc)}") from exc

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
                f"commit of {self.name} as {reference} failed: {short_error(exc)}"
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


def short_error(exc: BaseException) -> str:
    """One line of an SDK exception, without the HTTP noise."""
    text = getattr(exc, "explanation", None) or str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(exc, docker.errors.DockerException):  # a transport error: say which
        text = f"{type(exc).__name__}: {text}"
    return " ".join(str(text).split())[:300]
