"""Make the image an ImageSpec describes exist: one code path for every profile.

    base (pull a reference, or bootstrap Debian and import it with the right platform)
      -> provision (run the recipe's steps in a container, then commit with its env)
      -> the final tag, named by the recipe's hash

An unchanged recipe finds its image and builds nothing; a changed one builds anew.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import shlex
import signal
import tarfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from harness.catalog.image_spec import SOURCES_DIR, ImageSpec
from harness.catalog.registry_mirrors import pin_mismatch, served_digest
from harness.errors import HarnessError, ImageUnavailable
from harness.images import bootstrap, rootfs, sources, twin
from harness.images.trust import CONTAINER_CA_PATH, passthrough
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.container import Container, Mount
from harness.util.engine import Engine, ImageInfo
from harness.util.ownership import IMAGE_LABEL
from harness.util.progress import Phase


@dataclass(frozen=True)
class ResolvedImage:
    key: str  # the spec's key, e.g. "build:manylinux_2_31:x86_64"
    reference: str
    id: str
    platform: str
    built: bool  # built by this call (False: found in the engine)
    seconds: float
    # Pulled bases: what was pulled, the reference the catalog names when a registry mirror
    # served it, and the digest the registry served (recorded in results.json).
    pulled: str = ""
    upstream: str = ""
    digest: str = ""
    # Where a build's time went, in order (seconds): "twin" (the suite's native twin made),
    # "bootstrap", "import", "portable" (the portable steps, natively in the twin or in the
    # image), "step N", "commit". Empty for an image found in the engine.
    stages: dict[str, float] = field(default_factory=dict)


@contextlib.contextmanager
def _timed(stages: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        stages[name] = round(stages.get(name, 0.0) + time.monotonic() - started, 1)


def _log_name(reference: str) -> str:
    return reference.replace("/", "_").replace(":", "_") + ".log"


class ImageProvider:
    def __init__(self, engine: Engine, cache: Cache, settings: Settings) -> None:
        self.engine = engine
        self.cache = cache
        self.settings = settings

    def log_path(self, spec: ImageSpec) -> Path:
        return self.cache.path("logs", "images", _log_name(spec.tag))

    def ensure(self, spec: ImageSpec, phase: Phase | None = None) -> ResolvedImage:
        started = time.monotonic()
        with self.cache.lock("image-" + spec.recipe_hash()):
            found = self.engine.image_info(spec.tag)
            if found is not None and found.matches(spec.arch):
                return self._resolved(spec, found, built=False, started=started)
            if found is not None and spec.base.kind != "pull":
                raise ImageUnavailable(
                    f"{spec.tag} records platform {found.platform}, not {spec.arch.oci_platform}: "
                    f"remove it (docker rmi {spec.tag}) and run again"
                )
            stages: dict[str, float] = {}
            base = self._base(spec, phase, stages)
            if not spec.needs_provisioning:
                if base.reference != spec.tag:
                    self.engine.tag_image(base.id, spec.tag)
                final = self.engine.image_info(spec.tag)
            else:
                final = self._provision(spec, base, phase, stages)
            if final is None:
                raise ImageUnavailable(f"{spec.tag} vanished right after it was made")
            return self._resolved(spec, final, built=True, started=started, stages=stages)

    def _resolved(
        self,
        spec: ImageSpec,
        info: ImageInfo,
        *,
        built: bool,
        started: float,
        stages: dict[str, float] | None = None,
    ) -> ResolvedImage:
        digest = base_digest(self.engine, spec, info) if spec.base.kind == "pull" else ""
        return ResolvedImage(
            key=spec.key,
            reference=spec.tag,
            id=info.id,
            platform=info.platform,
            built=built,
            seconds=round(time.monotonic() - started, 1),
            pulled=spec.base.reference if spec.base.kind == "pull" else "",
            upstream=spec.base.upstream,
            digest=digest,
            stages=dict(stages or {}),
        )

    # -- the suite's native twin ---------------------------------------------------------------

    def _twin(self, spec: ImageSpec) -> twin.Twin | None:
        """The native twin of a Debian-based image on an arch this engine emulates (none when
        MANYLINUX_HARNESS_NATIVE_TWIN=0: everything emulated, as a comparison or a way out)."""
        if spec.base.kind != "debian" or not self.settings.emulated(spec.arch):
            return None
        if self.settings.environ.get(twin.SWITCH, "1") == "0":
            return None
        return twin.twin_for(spec.base.suite, spec.arch, self.cache)

    def _twin_log(self, found: twin.Twin) -> Path:
        return self.cache.path("logs", "images", _log_name(found.tag))

    def _speedups(
        self, spec: ImageSpec, phase: Phase | None, stages: dict[str, float]
    ) -> bootstrap.Speedups:
        found = self._twin(spec)
        if found is None or not spec.base.python:
            return bootstrap.Speedups()
        _say(phase, spec, f"native twin of {spec.base.suite} for the bytecode")
        try:
            with _timed(stages, "twin"):
                root = twin.ensure_root(
                    found,
                    self.cache,
                    self._twin_log(found),
                    timeout=self.settings.scaled(900, found.arch),
                )
        except ImageUnavailable:
            # Without a twin the maintainer scripts byte-compile as usual, under emulation.
            return bootstrap.Speedups()
        return bootstrap.Speedups(bytecode_twin=root, pythons=(spec.base.python,))

    # -- base -------------------------------------------------------------------------------

    def _base(self, spec: ImageSpec, phase: Phase | None, stages: dict[str, float]) -> ImageInfo:
        if spec.base.stage is not None:
            return self._stage_base(spec, spec.base.stage, phase)
        if spec.base.kind == "pull":
            found = self.engine.image_info(spec.base.reference)
            if found is not None and found.matches(spec.arch):
                return found
            _say(phase, spec, f"pulling {spec.base.reference}")
            info = self.engine.pull(spec.base.reference, spec.arch, mirror_of=spec.base.upstream)
            mismatch = pin_mismatch(spec.base.reference, info.repo_digests, spec.base.upstream)
            if mismatch:
                raise ImageUnavailable(mismatch)
            if not info.matches(spec.arch):
                raise ImageUnavailable(
                    f"{spec.base.reference} has no {spec.arch.oci_platform} image "
                    f"(the registry served {info.platform})"
                )
            return info
        found = self.engine.image_info(spec.base_tag)
        if found is not None and found.matches(spec.arch):
            return found
        rootfs_dir = self.cache.path("rootfs")
        rootfs_dir.mkdir(parents=True, exist_ok=True)
        rootfs = rootfs_dir / (spec.base_tag.replace("/", "_").replace(":", "_") + ".tar")
        speedups = self._speedups(spec, phase, stages)
        _say(phase, spec, f"bootstrapping debian {spec.base.suite} {spec.arch.debian} (mmdebstrap)")
        with _timed(stages, "bootstrap"):
            bootstrap.bootstrap_rootfs(
                spec.base.suite,
                spec.arch,
                spec.base.packages,
                rootfs,
                self.cache.path("logs", "images", _log_name(spec.base_tag)),
                timeout=self.settings.scaled(900, spec.arch),
                speedups=speedups,
            )
        try:
            _say(phase, spec, "importing the root filesystem")
            with _timed(stages, "import"):
                return self.engine.build_from_rootfs(
                    rootfs,
                    spec.base_tag,
                    spec.arch,
                    labels={IMAGE_LABEL: "rootfs", f"{IMAGE_LABEL}.suite": spec.base.suite},
                )
        finally:
            # The image holds it now; tarballs of build images are ~0.5 GB each.
            rootfs.unlink(missing_ok=True)

    def _stage_base(self, spec: ImageSpec, stage: ImageSpec, phase: Phase | None) -> ImageInfo:
        """A stage made first (or found): provisioned further as it is, or a directory of it
        imported as a root filesystem of its own."""
        if spec.base.kind == "stage-rootfs":
            found = self.engine.image_info(spec.base_tag)
            if found is not None and found.matches(spec.arch):
                return found
        made = self.ensure(stage, phase)
        if spec.base.kind == "stage":
            info = self.engine.image_info(made.reference)
            if info is None:
                raise ImageUnavailable(f"{made.reference} vanished right after it was made")
            return info
        _say(phase, spec, f"taking {spec.base.rootfs} of {stage.name} as the root filesystem")
        return self.engine.build_from_image_dir(
            made.reference,
            spec.base.rootfs,
            spec.base_tag,
            spec.arch,
            labels={IMAGE_LABEL: "rootfs", f"{IMAGE_LABEL}.stage": stage.name},
        )

    # -- provisioning -----------------------------------------------------------------------

    def _provision(
        self, spec: ImageSpec, base: ImageInfo, phase: Phase | None, stages: dict[str, float]
    ) -> ImageInfo | None:
        log_path = self.log_path(spec)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        trust = passthrough(self.settings.environ) if spec.network else None
        mounts = []
        copy_bundle = None
        if trust is not None and trust.ca_bundle is not None:
            if self.engine.is_local:
                mounts.append(Mount(trust.ca_bundle, CONTAINER_CA_PATH))
            else:
                # A remote engine's bind mount would name a path on its own machine.
                copy_bundle = trust.ca_bundle
        env = dict(trust.env) if trust else {}
        env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        env.setdefault("PIP_ROOT_USER_ACTION", "ignore")
        if spec.sources:
            cached = sum(sources.cached_path(self.cache, s).is_file() for s in spec.sources)
            _say(
                phase,
                spec,
                f"pinned sources: {len(spec.sources) - cached} to fetch, {cached} in the cache",
            )
        pinned = [sources.ensure_source(self.cache, source) for source in spec.sources]
        steps = len(spec.portable_steps) + len(spec.steps)
        _say(phase, spec, f"provisioning ({steps} steps)")
        with (
            open(log_path, "w", encoding="utf-8") as log,
            self.engine.container(
                base.id,
                arch=spec.arch,
                role="provision",
                name_hint=f"provision-{spec.name}-{spec.arch.name}",
                mounts=mounts,
                network=spec.network,
            ) as container,
        ):
            if copy_bundle is not None:
                container.write_file(CONTAINER_CA_PATH, copy_bundle.read_bytes())
            for path in pinned:
                log.write(f"# {path.name} (sha256 {path.parent.name}) -> {SOURCES_DIR}\n")
                container.copy_into(path, SOURCES_DIR)
            run = _StepRunner(spec, log, log_path, env, self.settings)
            if spec.portable_steps:
                with _timed(stages, "portable"):
                    in_twin = self._portable_in_twin(spec, container, run, mounts, copy_bundle)
                    if not in_twin:
                        run.steps(container, spec.portable_steps, first=1)
            with _timed(stages, "steps"):
                run.steps(container, spec.steps, first=len(spec.portable_steps) + 1)
            for soname in spec.remove_sonames:
                present = container.shell(
                    f"ldconfig -p | grep -F {shlex.quote(soname)}", timeout=60, step="check removed"
                )
                if present.ok:
                    raise ImageUnavailable(
                        f"{spec.name} {spec.arch.name} still provides {soname} after provisioning: "
                        f"fix the recipe (log: {log_path})"
                    )
            if pinned:
                # The sources are kept in the cache, not in the image.
                container.exec(
                    ["rm", "-rf", SOURCES_DIR], timeout=60, step="remove the pinned sources"
                )
            if copy_bundle is not None:
                # This host's trust store is for provisioning, not part of the image.
                container.exec(
                    ["rm", "-f", CONTAINER_CA_PATH], timeout=60, step="remove the CA bundle"
                )
            labels = {
                IMAGE_LABEL: spec.role,
                f"{IMAGE_LABEL}.name": spec.name,
                f"{IMAGE_LABEL}.recipe": spec.recipe_hash(),
                f"{IMAGE_LABEL}.base": spec.base.describe(),
            }
            with _timed(stages, "commit"):
                container.commit(spec.tag, env=dict(spec.env), labels=labels)
        return self.engine.image_info(spec.tag)

    def _portable_in_twin(
        self,
        spec: ImageSpec,
        container: Container,
        run: _StepRunner,
        mounts: Sequence[Mount],
        copy_bundle: Path | None,
    ) -> bool:
        """Run the portable steps natively in the suite's twin and copy what they wrote into
        `container`; False (run them in the image) when there is no usable twin."""
        found = self._twin(spec)
        if found is None:
            return False
        try:
            image = twin.ensure_image(
                found,
                self.engine,
                self.cache,
                self._twin_log(found),
                timeout=self.settings.scaled(900, found.arch),
            )
        except ImageUnavailable as exc:
            run.note(f"no native twin ({exc}): the portable steps run emulated")
            return False
        listing = container.exec(
            ["dpkg-query", "-W", "-f=${Package}\t${Version}\n"],
            timeout=self.settings.scaled(120, spec.arch),
            step=f"list the packages of {spec.tag}",
        )
        skew = rootfs.version_skew(
            rootfs.python_versions(listing.stdout),
            rootfs.python_versions(rootfs.dpkg_listing(found.root)),
        )
        if not listing.ok or skew:
            why = ", ".join(skew) if skew else f"dpkg-query failed: {listing.tail(1)}"
            run.note(f"the twin's Python differs ({why}): the portable steps run emulated")
            return False
        with self.engine.container(
            image.id,
            arch=found.arch,
            role="provision",
            name_hint=f"twin-{spec.name}-{spec.arch.name}",
            mounts=mounts,
            network=spec.network,
        ) as native:
            if copy_bundle is not None:
                native.write_file(CONTAINER_CA_PATH, copy_bundle.read_bytes())
            run.note(f"portable steps natively in {found.tag}")
            run.steps(native, spec.portable_steps, first=1)
            stray = stray_changes(native.changes(), spec.portable_paths)
            if stray:
                raise ImageUnavailable(
                    f"{spec.name}: its portable steps wrote {', '.join(stray[:3])} outside "
                    f"portable_paths ({', '.join(spec.portable_paths)}): fix the recipe"
                )
            for path in spec.portable_paths:
                data = native.archive(path)
                code = machine_code(data)
                if code:
                    raise ImageUnavailable(
                        f"{spec.name}: its portable steps wrote machine code ({code[0]} in "
                        f"{path}), which the twin's arch would get wrong: make that a step"
                    )
                container.extract(posixpath.dirname(path) or "/", data)
        return True


def machine_code(archive: bytes) -> list[str]:
    """The ELF files in a tar stream (what a portable step must never write)."""
    found = []
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar:
            if member.isfile() and member.size >= 4:
                handle = tar.extractfile(member)
                if handle is not None and handle.read(4) == b"\x7fELF":
                    found.append(member.name)
    return found


# What running steps leaves behind in a container besides what they are meant to write:
# scratch space, and the engine's own mount points (the CA bundle, `init`'s docker-init).
_SCRATCH = ("/tmp", "/root/.cache", CONTAINER_CA_PATH, "/sbin/docker-init", "/usr/sbin/docker-init")


def stray_changes(changed: Sequence[str], allowed: Sequence[str]) -> list[str]:
    """Changed paths that are neither inside an allowed path nor one of its parents (a new
    file changes its directory), nor scratch space."""
    stray = []
    for path in changed:
        inside = any(path == a or path.startswith(a.rstrip("/") + "/") for a in allowed)
        parent = any(a.startswith(path.rstrip("/") + "/") for a in (*allowed, *_SCRATCH))
        scratch = any(path == s or path.startswith(s + "/") for s in _SCRATCH)
        if not (inside or parent or scratch):
            stray.append(path)
    return sorted(stray)


class _StepRunner:
    """Runs a recipe's steps in a container, each logged with its output and time."""

    def __init__(
        self,
        spec: ImageSpec,
        log: IO[str],
        log_path: Path,
        env: Mapping[str, str],
        settings: Settings,
    ) -> None:
        self.spec = spec
        self.log = log
        self.log_path = log_path
        self.env = dict(env)
        self.settings = settings

    def note(self, text: str) -> None:
        self.log.write(f"# {text}\n")
        self.log.flush()

    def steps(self, container: Container, steps: Sequence[str], *, first: int) -> None:
        if not steps:
            return
        spec = self.spec
        shell = ["/bin/bash", "-euxc"] if _has_bash(container) else ["/bin/sh", "-euxc"]
        emulated = self.settings.emulated(container.arch)
        for number, step in enumerate(steps, first):
            self.log.write(f"$ {step}\n")
            self.log.flush()
            result = container.exec(
                [*shell, step],
                env=self.env,
                timeout=self.settings.scaled(1200, container.arch),
                step=f"provisioning step {number} of {spec.tag}",
            )
            self.log.write(
                result.stdout
                + result.stderr
                + f"\n[exit {result.exit_code}, {result.seconds:.1f} s]\n"
            )
            self.log.flush()
            if not result.ok:
                hint = emulation_hint(result.exit_code, emulated)
                raise ImageUnavailable(
                    f"provisioning {spec.name} {spec.arch.name} failed at step {number} "
                    f"({_first_word(step)}, exit {result.exit_code}): "
                    f"{_last_line(result.stderr or result.stdout)} (log: {self.log_path}){hint}"
                )


def _first_word(step: str) -> str:
    """The command a step starts with (a step may be a whole script, quotes unbalanced for
    shlex across its lines)."""
    words = step.split(None, 1)
    return words[0] if words else step


def _has_bash(container) -> bool:
    return container.shell("command -v bash", timeout=30, step="look for bash").ok


def _say(phase: Phase | None, spec: ImageSpec, text: str) -> None:
    if phase is not None:
        phase.step(f"{spec.role} {spec.name} {spec.arch.name}", text)


# A shell reports a command killed by a signal as 128 + its number.
_SIGILL_EXIT = 128 + signal.SIGILL


def emulation_hint(exit_code: int | None, emulated: bool) -> str:
    """Why a step may have died of SIGILL under qemu-user: the image's own binaries were built
    for a newer CPU baseline than the emulator offers (Ubuntu 26.04's riscv64 userland needs
    RVA23, which older qemu-user lacks), so the image cannot be judged on this host at all."""
    if exit_code != _SIGILL_EXIT or not emulated:
        return ""
    return (
        "; it died of SIGILL under emulation: the image needs CPU features this host's "
        "qemu-user lacks (a newer qemu-user-static, or a native engine via --engine ARCH=URL)"
    )


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def base_digest(engine: Engine, spec: ImageSpec, info: ImageInfo | None = None) -> str:
    """The digest the registry served for `spec`'s pulled base ("" when it is not in the
    engine). A provisioned image records no registry digest; its base, still there, does."""
    base = info if info is not None and spec.tag == spec.base.reference else None
    base = base or engine.image_info(spec.base.reference)
    return served_digest(spec.base.reference, base.repo_digests) if base else ""


def failure_record(spec: ImageSpec, error: str, engine: Engine | None) -> dict[str, Any]:
    """results.json's entry for an image that could not be made: the error, and for a pulled
    base what was pulled (with the served digest when the pull got that far), so that a
    recipe's failure can be reproduced from the same bytes."""
    entry: dict[str, Any] = {"reference": spec.tag, "error": error}
    if spec.base.kind == "pull":
        entry["pulled"] = spec.base.reference
        entry["upstream"] = spec.base.upstream
        entry["digest"] = ""
        # The engine that failed the image may not answer either: the first error stands.
        with contextlib.suppress(HarnessError):
            entry["digest"] = base_digest(engine, spec) if engine is not None else ""
    return entry


def describe_failure(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, HarnessError) else f"{type(exc).__name__}: {exc}"
