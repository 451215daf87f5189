"""Make the image an ImageSpec describes exist: one code path for every profile.

    base (pull a reference, or bootstrap Debian and import it with the right platform)
      -> provision (run the recipe's steps in a container, then commit with its env)
      -> the final tag, named by the recipe's hash

An unchanged recipe finds its image and builds nothing; a changed one builds anew.
"""

from __future__ import annotations

import contextlib
import shlex
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.catalog.image_spec import SOURCES_DIR, ImageSpec
from harness.catalog.registry_mirrors import pin_mismatch, served_digest
from harness.errors import HarnessError, ImageUnavailable
from harness.images import bootstrap, sources
from harness.images.trust import CONTAINER_CA_PATH, passthrough
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.container import Mount
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
            base = self._base(spec, phase)
            if not spec.needs_provisioning:
                if base.reference != spec.tag:
                    self.engine.tag_image(base.id, spec.tag)
                final = self.engine.image_info(spec.tag)
            else:
                final = self._provision(spec, base, phase)
            if final is None:
                raise ImageUnavailable(f"{spec.tag} vanished right after it was made")
            return self._resolved(spec, final, built=True, started=started)

    def _resolved(
        self, spec: ImageSpec, info: ImageInfo, *, built: bool, started: float
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
        )

    # -- base -------------------------------------------------------------------------------

    def _base(self, spec: ImageSpec, phase: Phase | None) -> ImageInfo:
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
        _say(phase, spec, f"bootstrapping debian {spec.base.suite} {spec.arch.debian} (mmdebstrap)")
        bootstrap.bootstrap_rootfs(
            spec.base.suite,
            spec.arch,
            spec.base.packages,
            rootfs,
            self.cache.path("logs", "images", _log_name(spec.base_tag)),
            timeout=self.settings.scaled(900, spec.arch),
        )
        try:
            _say(phase, spec, "importing the root filesystem")
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

    def _provision(self, spec: ImageSpec, base: ImageInfo, phase: Phase | None) -> ImageInfo | None:
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
        _say(phase, spec, f"provisioning ({len(spec.steps)} steps)")
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
            shell = ["/bin/bash", "-euxc"] if _has_bash(container) else ["/bin/sh", "-euxc"]
            for number, step in enumerate(spec.steps, 1):
                log.write(f"$ {step}\n")
                log.flush()
                result = container.exec(
                    [*shell, step],
                    env=env,
                    timeout=self.settings.scaled(1200, spec.arch),
                    step=f"provisioning step {number} of {spec.tag}",
                )
                log.write(
                    result.stdout
                    + result.stderr
                    + f"\n[exit {result.exit_code}, {result.seconds:.1f} s]\n"
                )
                log.flush()
                if not result.ok:
                    hint = emulation_hint(result.exit_code, self.settings.emulated(spec.arch))
                    raise ImageUnavailable(
                        f"provisioning {spec.name} {spec.arch.name} failed at step {number} "
                        f"({_first_word(step)}, exit {result.exit_code}): "
                        f"{_last_line(result.stderr or result.stdout)} (log: {log_path}){hint}"
                    )
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
            container.commit(spec.tag, env=dict(spec.env), labels=labels)
        return self.engine.image_info(spec.tag)


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
