"""Host checks (`doctor`): one line per check, each problem naming the thing and the exact
fix. The set-up that fixes them (`doctor --fix`) is harness.host_setup."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.binfmt import BINFMT_DIR, BinfmtTree, scan
from harness.catalog.registry_mirrors import MIRRORS_VARIABLE, NO_MIRRORS, Mirrors
from harness.errors import EmulationRefused, EngineUnavailable
from harness.images import registry_check
from harness.images.mirror_index import IndexState, fetch_states
from harness.images.trust import host_ca_bundle
from harness.judge.cpu import EMULATOR as CPU_EMULATOR
from harness.util.cache import default_cache_dir
from harness.util.engine import Engine, ImageInfo
from harness.vocab.arch import QEMU_CPU_VARIABLE, Arch, get_arch, host_machine

MIN_FREE_GIB = 20


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False  # a problem that does not stop a run

    def line(self) -> str:
        if self.ok:
            return f"ok       {self.name}: {self.detail}"
        level = "warning" if self.warning else "PROBLEM"
        return f"{level:8} {self.name}: {self.detail} -> fix: {self.fix}"


# -- binfmt (pure parts) ----------------------------------------------------------------------


def handler_fix(arch: Arch, environ: Mapping[str, str]) -> str:
    """How to get a handler for `arch`: the harness's own set-up, or a registration by the
    tools CI uses (on GitHub Actions, docker/setup-qemu-action, named first there)."""
    action = f"docker/setup-qemu-action with platforms: {arch.name}"
    container = f"docker run --privileged --rm tonistiigi/binfmt --install {arch.name}"
    own = "manylinux-harness doctor --fix (as root: qemu-user-static, binfmt-support)"
    if environ.get("GITHUB_ACTIONS") == "true":
        return f"{action} before this step, or {own}"
    return f"{own}, or {container} (on GitHub Actions: {action})"


def emulation_line(
    arch: Arch,
    machine: str,
    tree: BinfmtTree,
    environ: Mapping[str, str] | None = None,
) -> Check:
    environ = os.environ if environ is None else environ
    name = f"arch {arch.name}"
    if arch.is_native_on(machine):
        return Check(name, True, f"native on this {machine} host")
    if not tree.mounted:
        return Check(
            name,
            False,
            "binfmt_misc is not mounted",
            fix="mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc",
        )
    if not tree.enabled:
        return Check(
            name, False, "binfmt_misc is disabled", fix="echo 1 > /proc/sys/fs/binfmt_misc/status"
        )
    handler = tree.handler_for(arch)
    if handler is None:
        return Check(
            name,
            False,
            f"no binfmt handler runs {arch.name} programs: {arch.name} cannot run here",
            fix=handler_fix(arch, environ),
        )
    if not handler.usable_in_containers:
        state = "enabled" if handler.enabled else "disabled"
        return Check(
            name,
            False,
            f"binfmt {handler.describe()} is {state}: containers need an enabled handler "
            "with the F flag",
            fix=handler_fix(arch, environ),
        )
    return Check(name, True, f"emulated through {handler.describe()}")


# -- checks -----------------------------------------------------------------------------------


def check_engine() -> tuple[Check, Engine | None]:
    try:
        engine = Engine.connect()
    except EngineUnavailable as exc:
        message = str(exc)  # "cannot reach ... at URL (why): fix": the fix is said below
        detail = message.rsplit("): ", 1)[0] + ")" if "): " in message else message
        fix = "manylinux-harness doctor --fix"
        if "ermission denied" in message:
            user = os.environ.get("USER") or "$USER"
            fix = f"add {user} to the docker group (usermod -aG docker {user}), then log in again"
        elif not (os.environ.get("DOCKER_HOST") or "unix://").startswith("unix://"):
            fix = "start the engine DOCKER_HOST names, or unset DOCKER_HOST"
        return Check("docker engine", False, detail, fix=fix), None
    version = engine.version()
    return Check(
        "docker engine",
        True,
        f"{version.get('Version')} (API {version.get('ApiVersion')}) at {engine.base_url}",
    ), engine


def _in_some_image(
    engine: Engine,
    arch: Arch,
    attempt: Callable[[ImageInfo], Check],
    failed: Callable[[ImageInfo, Exception], Check],
) -> Check | None:
    """`attempt` in the first image of `arch` at hand. An image removed between the listing and
    the start (another run or test tidying up) says nothing about the host: the next is tried."""
    for info in engine.images():
        if not info.matches(arch):
            continue
        try:
            return attempt(info)
        except Exception as exc:  # report, do not crash the doctor
            if engine.image_info(info.id) is None:
                continue
            return failed(info, exc)
    return None


def check_containers_run(engine: Engine, arch: Arch) -> Check | None:
    """Whether a container of `arch` really runs (only when an image of it is at hand)."""

    def attempt(info: ImageInfo) -> Check:
        with engine.container(
            info.id, arch=arch, role="doctor", name_hint=f"doctor-{arch.name}"
        ) as c:
            result = c.exec(["uname", "-m"], timeout=120, step="uname")
        machine = result.stdout.strip()
        ok = result.ok and machine in arch.machines
        return Check(
            f"run {arch.name}",
            ok,
            f"uname -m in {info.reference}: {machine or result.tail(1)}",
            fix="" if ok else "the engine ran the image under a wrong arch: rebuild it",
        )

    def failed(info: ImageInfo, exc: Exception) -> Check:
        fix = "check binfmt (update-binfmts --enable) and the engine log"
        if isinstance(exc, EmulationRefused):
            fix = (
                f"this qemu-user does not know QEMU_CPU={exc.model}: set {QEMU_CPU_VARIABLE} "
                "to a model it knows (empty: its default), or upgrade it"
            )
        return Check(
            f"run {arch.name}", False, f"a container of {info.reference} failed: {exc}", fix=fix
        )

    return _in_some_image(engine, arch, attempt, failed)


def check_container_network(engine: Engine, arch: Arch) -> Check | None:
    """Whether a container can join the engine's default bridge (image provisioning needs it).
    Seen here: a second dockerd's shutdown took docker0 away, and every networked container
    failed to start until dockerd was restarted."""

    def attempt(info: ImageInfo) -> Check:
        with engine.container(
            info.id, arch=arch, role="doctor", name_hint="doctor-network", network=True
        ):
            pass
        return Check("container network", True, "containers can join the default bridge")

    def failed(info: ImageInfo, exc: Exception) -> Check:
        return Check(
            "container network",
            False,
            f"a container on the default bridge cannot start: {exc}",
            fix="restart dockerd (it recreates its bridge), then run again",
        )

    return _in_some_image(engine, arch, attempt, failed)


def mirror_line(arch: Arch, mirror: str, states: Sequence[IndexState]) -> Check:
    """One line per arch: which suites the local images of `arch` can come from."""
    name = f"mirror {arch.name}"
    bad = [s for s in states if not s.usable]
    if not bad:
        suites = " ".join(s.suite for s in states)
        return Check(name, True, f"{suites}: indices match their Release files ({mirror})")
    unreachable = all(s.error for s in bad)
    lost = " ".join(s.suite for s in bad)
    errors = {s.error for s in bad}
    detail = (
        errors.pop() if unreachable and len(errors) == 1 else "; ".join(s.problem() for s in bad)
    )
    return Check(
        name,
        False,
        f"{detail}: no image of {lost} for {arch.debian} can be bootstrapped from {mirror}",
        fix=(
            "check the network, or set MANYLINUX_HARNESS_DEBIAN_MIRROR to a reachable mirror"
            if unreachable
            else "wait until the mirror has synced, or set MANYLINUX_HARNESS_DEBIAN_MIRROR to "
            "another Debian mirror (e.g. a snapshot.debian.org/archive/debian/<date> URL)"
        ),
        warning=True,  # the other suites (and arches) still run
    )


def local_suites(arch: Arch) -> tuple[str, ...]:
    """The Debian suites the local profile's images of `arch` are bootstrapped from, in the
    catalog's order of suites."""
    from harness.catalog.model import default_catalog

    catalog = default_catalog()
    specs = [b.image for b in catalog.build_images("local", [arch.name])]
    specs += [d.image for d in catalog.distros("local", [arch.name])]
    # an image made from a stage is bootstrapped where its stage is
    specs += [spec.base.stage for spec in specs if spec.base.stage is not None]
    used = {spec.base.suite for spec in specs if spec.base.kind == "debian"}
    return tuple(suite for suite in catalog.suites if suite in used)


def check_mirror(arches: Sequence[Arch]) -> list[Check]:
    from harness.images.bootstrap import debian_mirror

    mirror = debian_mirror()
    suites = {arch.name: local_suites(arch) for arch in arches}
    states = fetch_states(mirror, [(s, a.debian) for a in arches for s in suites[a.name]])
    return [
        mirror_line(a, mirror, [s for s in states if s.debian_arch == a.debian])
        for a in arches
        if suites[a.name]
    ]


def mirror_checks(mirrors: Mirrors, environ: Mapping[str, str]) -> list[Check]:
    """One line per registry mirror: does a registry answer where the mapping points?"""
    checks = []
    for mirror in mirrors:
        answer = registry_check.ask(mirror, environ)
        checks.append(
            Check(
                f"registry mirror {mirror.upstream}",
                answer.ok,
                f"{mirror.describe()}: {answer.detail}",
                fix=f"start the registry at {mirror.location}, or correct --registry-mirror "
                f"{mirror.upstream}=... (or {MIRRORS_VARIABLE})",
            )
        )
    return checks


def tool_check(name: str, why: str, package: str) -> Check:
    """A host tool on PATH, or the apt package that brings it."""
    found = shutil.which(name)
    if found:
        return Check(name, True, found)
    return Check(name, False, f"not installed ({why})", fix=f"apt-get install {package}")


def host_tool_checks(
    arches: Sequence[Arch], machine: str, local_profile: bool, cpu_axis: bool = False
) -> list[Check]:
    checks = [tool_check("docker", "cibuildwheel drives the docker CLI", "docker.io")]
    if local_profile:
        checks.append(
            tool_check("mmdebstrap", "the local profile builds images with it", "mmdebstrap")
        )
    if local_profile and any(not a.is_native_on(machine) for a in arches):
        arch_test = tool_check("arch-test", "mmdebstrap needs it for foreign arches", "arch-test")
        if not arch_test.ok:
            checks.append(arch_test)
    if cpu_axis:
        checks.append(cpu_emulator_check())
    return checks


def cpu_emulator_check(emulator: Path = CPU_EMULATOR) -> Check:
    """The CPU axis runs the import + check under the host's own qemu-user binary, mounted
    into the probe: a binfmt handler, however registered, does not stand in for it."""
    name = "cpu axis"
    if emulator.is_file():
        return Check(name, True, f"{emulator} (the CPU models' import + check run under it)")
    return Check(
        name,
        False,
        f"{emulator} is missing: --cpu models run the import + check under it",
        fix="apt-get install qemu-user-static (or manylinux-harness doctor --fix --cpu ...)",
    )


def arch_checks(
    arches: Sequence[Arch], machine: str, engine: Engine | None, tree: BinfmtTree
) -> list[Check]:
    """Per arch: native or emulated (binfmt), and a container of it runs on the engine."""
    checks: list[Check] = []
    for arch in arches:
        line = emulation_line(arch, machine, tree)
        checks.append(line)
        if engine is not None and line.ok:
            ran = check_containers_run(engine, arch)
            if ran is not None:
                checks.append(ran)
    if engine is not None:
        networked = check_container_network(engine, get_arch(machine))
        if networked is not None:
            checks.append(networked)
    return checks


def storage_and_trust_checks() -> list[Check]:
    cache = default_cache_dir()
    probe_dir = cache if cache.exists() else Path.home()
    free_gib = shutil.disk_usage(probe_dir).free / 2**30
    bundle = host_ca_bundle(os.environ)
    return [
        Check(
            "disk",
            free_gib >= MIN_FREE_GIB,
            f"{free_gib:.0f} GiB free for {cache}",
            fix=f"free space or set MANYLINUX_HARNESS_CACHE to a disk with >= {MIN_FREE_GIB} GiB",
            warning=True,
        ),
        Check("trust store", True, f"{bundle} (passed to containers that need the network)")
        if bundle
        else Check(
            "trust store",
            False,
            "no host CA bundle found",
            warning=True,
            fix="set MANYLINUX_HARNESS_CA_BUNDLE=/path/to/ca-bundle.pem",
        ),
    ]


def run_checks(
    arches: Sequence[Arch],
    *,
    local_profile: bool = True,
    mirrors: Mirrors = NO_MIRRORS,
    cpu_axis: bool = False,
    binfmt_root: Path = BINFMT_DIR,
) -> list[Check]:
    engine_check, engine = check_engine()
    machine = host_machine()
    checks = [engine_check, *host_tool_checks(arches, machine, local_profile, cpu_axis)]
    checks += arch_checks(arches, machine, engine, scan(binfmt_root))
    if local_profile:
        checks += check_mirror(arches)
    checks += mirror_checks(mirrors, os.environ)
    checks += storage_and_trust_checks()
    if engine is not None:
        engine.close()
    return checks


def problems(checks: Iterable[Check]) -> list[Check]:
    return [c for c in checks if not c.ok and not c.warning]


def arches_from_names(names: Sequence[str]) -> list[Arch]:
    return [get_arch(n) for n in names]
