"""Build sample wheels through cibuildwheel (a subprocess: it has no public Python API).

Each (sample, flavour, build image) is one cibuildwheel run in the build image, offline
(`--network=none`, no build isolation: the image carries the build requirements). The
wheelhouse is cached by (sample tree hash, flavour, image id, cibuildwheel version): a cache
hit builds nothing. A failed build is reported, never cached, and never stops the others.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.catalog.model import BuildImage
from harness.catalog.samples import Flavour, Sample
from harness.images.provider import ResolvedImage
from harness.images.trust import passthrough
from harness.settings import Settings
from harness.util.cache import Cache, file_digest, key_of
from harness.util.engine import Engine
from harness.util.interrupt import dies_with_parent, stop_process, wait_process
from harness.util.limits import BUILD_CAPABILITIES, Limits
from harness.util.ownership import harness_labels
from harness.util.progress import Phase
from harness.util.wheel_zip import fix, over_limits, zip_damage

BUILD_TIMEOUT = 900.0
JOB_LABEL = "org.manylinux-harness.job"

BUILT = "built"
CACHED = "cached"
FAILED = "failed"
# Built, but over the run's wheel limits (harness.util.wheel_zip): never unpacked on the host
# and never installed, its cells are errors naming the member.
REFUSED = "refused"
# Each cache entry's wheels by name with their sha256, written with the entry: a wheel whose
# bytes are no longer those (truncated, overwritten) makes the entry be built again.
MANIFEST = "wheels.json"


@dataclass(frozen=True)
class BuildRequest:
    sample: Sample
    flavour: Flavour
    build_image: BuildImage

    @property
    def key(self) -> str:
        """Identity of the request (not of its result): sample, flavour, build image."""
        return f"{self.sample.name}[{self.flavour.name}]@{self.build_image.key}"


@dataclass(frozen=True)
class BuildOutcome:
    request_key: str
    status: str  # built, cached, failed
    wheels: tuple[Path, ...]
    log: Path | None
    seconds: float
    cache_key: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status in (BUILT, CACHED) and bool(self.wheels)


def cibuildwheel_version() -> str:
    return importlib.metadata.version("cibuildwheel")


def cache_key(request: BuildRequest, image: ResolvedImage, cibw_version: str) -> str:
    return key_of(
        request.sample.tree_hash,
        request.flavour.config(),
        image.id,
        cibw_version,
        request.build_image.build_identifier,
    )


def environment_option(values: Mapping[str, str]) -> str:
    """A CIBW_ENVIRONMENT value: space-separated NAME=value, each value shell-quoted."""
    return " ".join(f"{name}={shlex.quote(value)}" for name, value in sorted(values.items()))


def build_environment(request: BuildRequest) -> dict[str, str]:
    """What every build sees: the flavour's own variables, plus which flavour and build
    image it is and the modules it must provide (samples whose wheels are loaded together
    name their module and distribution after these)."""
    sample, flavour, image = request.sample, request.flavour, request.build_image
    return {
        "MH_SAMPLE": sample.name,
        "MH_FLAVOUR": flavour.name,
        "MH_BUILD_POLICY": image.display_policy,
        "MH_MODULES": " ".join(sample.module_names(flavour, image.display_policy)),
        **flavour.environment,
    }


def cibuildwheel_env(
    request: BuildRequest,
    image: ResolvedImage,
    *,
    job: str,
    network: bool,
    environ: Mapping[str, str],
    engine_url: str | None,
    limits: Limits | None = None,
    emulation: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The CIBW_* environment for one build (pure: unit-tested). `limits`: what the build
    container may use and do (a probe's, with the capabilities a build needs); `emulation`:
    what qemu-user reads in the build container, when its arch is emulated."""
    arch = request.build_image.arch.name
    labels = {**harness_labels("build"), JOB_LABEL: job}
    create_args = [f"--label={key}={value}" for key, value in labels.items()]
    create_args += [f"--env={key}={value}" for key, value in (emulation or {}).items()]
    if limits is not None:
        create_args += dataclasses.replace(limits, capabilities=BUILD_CAPABILITIES).create_args()
    frontend = "build"
    if network:
        trust = passthrough(environ)
        # cibuildwheel creates the container itself, so nothing can copy the bundle into a
        # container on a remote engine; a bind mount would name a path on the other machine.
        create_args += (trust.without_bundle() if engine_url else trust).docker_create_args()
    else:
        create_args.append("--network=none")
        # Offline: the build image carries setuptools, wheel and build.
        frontend = "build; args: --no-isolation"
    env = {
        "CIBW_PLATFORM": "linux",
        "CIBW_ARCHS_LINUX": arch,
        "CIBW_BUILD": request.build_image.build_identifier,
        f"CIBW_{request.build_image.libc.upper()}_{arch.upper()}_IMAGE": image.reference,
        "CIBW_CONTAINER_ENGINE": (
            f"docker; create_args: {' '.join(shlex.quote(a) for a in create_args)}; "
            "disable_host_mount: true"
        ),
        "CIBW_BUILD_FRONTEND": frontend,
        # The default abi3 audit fetches virtualenv from outside PyPI; the harness audits
        # wheels itself, from auditwheel's policy data.
        "CIBW_AUDIT_COMMAND": "",
        "CIBW_TEST_COMMAND": "",
        "CIBW_BUILD_VERBOSITY": "1",
    }
    env["CIBW_ENVIRONMENT_LINUX"] = environment_option(build_environment(request))
    if request.flavour.repair is not None:
        env["CIBW_REPAIR_WHEEL_COMMAND_LINUX"] = request.flavour.repair
    if engine_url:
        env["DOCKER_HOST"] = engine_url
    return env


class WheelBuilder:
    def __init__(
        self, engine: Engine, cache: Cache, settings: Settings, network: bool = False
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.settings = settings
        self.network = network
        self.cibw_version = cibuildwheel_version()

    def entry_dir(self, request: BuildRequest, key: str) -> Path:
        bi = request.build_image
        name = (
            f"{request.sample.name}-{request.flavour.name}-{bi.display_policy}-{bi.arch.name}-{key}"
        )
        return self.cache.path("wheels", name)

    def lookup(self, request: BuildRequest, image: ResolvedImage) -> BuildOutcome | None:
        """The cached entry's wheels when they are the bytes the entry recorded; a damaged
        entry is removed (and so built again), as is one that recorded nothing."""
        key = cache_key(request, image, self.cibw_version)
        entry = self.entry_dir(request, key)
        if not entry.is_dir():
            return None
        wheels = tuple(sorted(entry.glob("*.whl")))
        if not wheels or not _as_recorded(entry, wheels):
            shutil.rmtree(entry, ignore_errors=True)
            return None
        return self._within_limits(
            BuildOutcome(
                request_key=request.key,
                status=CACHED,
                wheels=wheels,
                log=entry / "build.log",
                seconds=0.0,
                cache_key=key,
            )
        )

    def _within_limits(self, outcome: BuildOutcome) -> BuildOutcome:
        """The outcome, or REFUSED naming the first wheel over the run's limits."""
        for wheel in outcome.wheels:
            problem = over_limits(wheel, self.settings.wheel_limits)
            if problem is not None:
                return dataclasses.replace(
                    outcome, status=REFUSED, wheels=(), error=f"{wheel.name}: {fix(problem)}"
                )
        return outcome

    def build(
        self, request: BuildRequest, image: ResolvedImage, phase: Phase | None = None
    ) -> BuildOutcome:
        key = cache_key(request, image, self.cibw_version)
        entry = self.entry_dir(request, key)
        # The log lives outside the entry, so that a failed build (no entry) keeps it too.
        log_path = self.cache.path("logs", "builds", f"{entry.name}.log")
        with self.cache.lock(f"wheel-{key}"):
            cached = self.lookup(request, image)
            if cached is not None:
                return cached
            if phase is not None:
                phase.step(
                    request.key,
                    f"cibuildwheel {request.build_image.build_identifier} in {image.reference}",
                )
            started = time.monotonic()
            try:
                with self.cache.new_entry(entry) as scratch:
                    error = self._run(request, image, scratch, log_path)
                    if error:
                        raise _BuildFailed(error)
                    shutil.copyfile(log_path, scratch / "build.log")
                    _record(scratch)
            except _BuildFailed as failure:
                return BuildOutcome(
                    request_key=request.key,
                    status=FAILED,
                    wheels=(),
                    log=log_path,
                    seconds=round(time.monotonic() - started, 1),
                    cache_key=key,
                    error=f"{failure} (log: {log_path})",
                )
            return self._within_limits(
                BuildOutcome(
                    request_key=request.key,
                    status=BUILT,
                    wheels=tuple(sorted(entry.glob("*.whl"))),
                    log=entry / "build.log",
                    seconds=round(time.monotonic() - started, 1),
                    cache_key=key,
                )
            )

    def _run(
        self, request: BuildRequest, image: ResolvedImage, out_dir: Path, log_path: Path
    ) -> str:
        """Run cibuildwheel; returns "" on success, else one line saying what went wrong."""
        job = uuid.uuid4().hex
        env = {
            **self.settings.environ,
            **cibuildwheel_env(
                request,
                image,
                job=job,
                network=self.network,
                environ=self.settings.environ,
                engine_url=self.settings.engine_url(request.build_image.arch),
                limits=self.settings.limits,
                emulation=self.settings.emulation_env(request.build_image.arch),
            ),
        }
        command = [sys.executable, "-m", "cibuildwheel", "--output-dir", str(out_dir), "."]
        timeout = self.settings.scaled(BUILD_TIMEOUT, request.build_image.arch)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        error = ""
        with open(log_path, "w", encoding="utf-8") as log:
            log.write(f"$ cd {request.sample.path} && {shlex.join(command)}\n")
            for name in sorted(k for k in env if k.startswith("CIBW_")):
                log.write(f"  {name}={env[name]}\n")
            log.flush()
            proc = subprocess.Popen(
                dies_with_parent(command),
                cwd=request.sample.path,  # cibuildwheel copies the working directory in
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                code = wait_process(proc, timeout)
                if code != 0:
                    error = f"cibuildwheel exited with {code}: {_last_error(log_path)}"
            except subprocess.TimeoutExpired:
                stop_process(proc, grace=10)
                error = f"cibuildwheel did not finish within {int(timeout)} s"
            except BaseException:
                # Ctrl-C: stop cibuildwheel too (it removes its container), then go on unwinding.
                stop_process(proc)
                raise
            finally:
                self.engine.remove_containers({JOB_LABEL: job})
        if not error and not any(out_dir.glob("*.whl")):
            error = "cibuildwheel succeeded but produced no wheel"
        return error


class _BuildFailed(Exception):
    pass


def _record(entry: Path) -> None:
    """Write the entry's manifest: its wheels' names and sha256s."""
    wheels = {w.name: file_digest(w) for w in sorted(entry.glob("*.whl"))}
    (entry / MANIFEST).write_text(json.dumps({"wheels": wheels}, indent=2), encoding="utf-8")


def _as_recorded(entry: Path, wheels: tuple[Path, ...]) -> bool:
    """Whether the entry's wheels are the ones its manifest names, byte for byte. An entry
    made before manifests were written is taken when every member of its wheels reads back
    (their CRCs), and gets its manifest then."""
    try:
        recorded = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))["wheels"]
    except FileNotFoundError:
        if any(zip_damage(w) for w in wheels):
            return False
        _record(entry)
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not isinstance(recorded, dict) or sorted(recorded) != [w.name for w in wheels]:
        return False
    return all(file_digest(w) == recorded[w.name] for w in wheels)


def _last_error(log_path: Path) -> str:
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in reversed(lines):
        stripped = line.strip()
        if stripped.startswith(("cibuildwheel: error", "error:", "ERROR")) or "Error" in stripped:
            return stripped[:240]
    return lines[-1].strip()[:240] if lines else "no output"
