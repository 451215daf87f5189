"""Pure parts of host set-up: doctor's parsing and decisions, mirrors, trust store."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import binfmt, doctor, host_setup
from harness.errors import EmulationRefused, ExitCode
from harness.images import bootstrap
from harness.images.trust import CONTAINER_CA_PATH, passthrough
from harness.util.engine import ImageInfo
from harness.vocab.arch import all_arches, get_arch

# As the kernel writes them: Debian's qemu-user-static (PF), tonistiigi/binfmt as
# docker/setup-qemu-action registers it (POCF), a hand registration without F, a big-endian
# ppc64 handler beside the little-endian one, and a non-ELF (extension) handler.
AARCH64_MAGIC = "7f454c460201010000000000000000000200b700"
ELF_MASK = "ffffffffffffff00fffffffffffffffffeffffff"
FAKE_TREE = {
    "status": "enabled\n",
    "register": "",
    "qemu-aarch64": "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n"
    f"flags: PF\noffset 0\nmagic {AARCH64_MAGIC}\nmask {ELF_MASK}\n",
    # registered from inside tonistiigi/binfmt's container: its interpreter path does not
    # exist on the host, and it need not (F)
    "riscv-from-a-container": "enabled\ninterpreter /usr/bin/qemu-riscv64\nflags: POCF\n"
    "offset 0\nmagic 7f454c460201010000000000000000000200f300\n"
    f"mask {ELF_MASK}\n",
    "qemu-s390x": "enabled\ninterpreter /usr/bin/qemu-s390x-static\nflags: \noffset 0\n"
    "magic 7f454c4602020100000000000000000000020016\n"
    "mask fffffffffffffffcfffffffffffffffffffeffff\n",
    "qemu-ppc64": "enabled\ninterpreter /usr/bin/qemu-ppc64\nflags: F\noffset 0\n"
    "magic 7f454c4602020100000000000000000000020015\n"
    "mask fffffffffffffffcfffffffffffffffffffeffff\n",
    "jar": "enabled\ninterpreter /usr/bin/jexec\nflags: \nextension .jar\n",
}


def fake_binfmt(root: Path, entries: dict[str, str] = FAKE_TREE) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in entries.items():
        (root / name).write_text(text)
    return root


def test_handlers_are_matched_by_the_elf_header_they_select_not_by_name(tmp_path: Path) -> None:
    tree = binfmt.scan(fake_binfmt(tmp_path / "binfmt_misc"))
    assert tree.mounted and tree.enabled
    served = {a.name for a in all_arches() if tree.serves(a)}
    # riscv64 through a handler of another name, aarch64 through Debian's; s390x's has no F;
    # the F-flagged ppc64 handler is big-endian and runs no ppc64le program
    assert served == {"aarch64", "riscv64"}
    assert tree.handler_for(get_arch("riscv64")).name == "riscv-from-a-container"  # type: ignore[union-attr]
    s390x = tree.handler_for(get_arch("s390x"))
    assert s390x is not None and not s390x.usable_in_containers
    assert tree.handler_for(get_arch("ppc64le")) is None
    assert tree.handler_for(get_arch("x86_64")) is None


def test_handlers_that_do_not_serve_containers(tmp_path: Path) -> None:
    disabled = dict(FAKE_TREE, status="disabled\n")
    tree = binfmt.scan(fake_binfmt(tmp_path / "off", disabled))
    assert tree.mounted and not tree.serves(get_arch("aarch64"))
    one_disabled = dict(FAKE_TREE)
    one_disabled["qemu-aarch64"] = one_disabled["qemu-aarch64"].replace("enabled", "disabled")
    tree = binfmt.scan(fake_binfmt(tmp_path / "one", one_disabled))
    assert not tree.serves(get_arch("aarch64")) and tree.serves(get_arch("riscv64"))
    unmounted = binfmt.scan(tmp_path / "not-mounted")
    assert not unmounted.mounted and unmounted.handlers == ()


def test_an_elf_header_per_arch_as_the_kernel_sees_it() -> None:
    header = binfmt.elf_header(get_arch("aarch64"))
    assert header.hex() == "7f454c460201010000000000000000000200b700"
    assert binfmt.elf_header(get_arch("s390x"))[16:].hex() == "00020016"  # big-endian
    assert {a.name for a in all_arches()} == set(binfmt.ELF_IDENTITY)


def test_emulation_lines(tmp_path: Path) -> None:
    tree = binfmt.scan(fake_binfmt(tmp_path / "binfmt_misc"))
    plain = {"PATH": "/usr/bin"}
    aarch64 = get_arch("aarch64")
    assert doctor.emulation_line(get_arch("i686"), "x86_64", tree).detail.startswith("native")
    ok = doctor.emulation_line(aarch64, "x86_64", tree, plain)
    assert ok.ok and "emulated through qemu-aarch64 (flags PF" in ok.detail
    missing = doctor.emulation_line(get_arch("ppc64le"), "x86_64", tree, plain)
    assert not missing.ok and "doctor --fix" in missing.fix
    assert "tonistiigi/binfmt --install ppc64le" in missing.fix
    assert "docker/setup-qemu-action" in missing.fix
    on_github = doctor.emulation_line(
        get_arch("ppc64le"), "x86_64", tree, {"GITHUB_ACTIONS": "true"}
    )
    assert on_github.fix.startswith("docker/setup-qemu-action with platforms: ppc64le")
    no_f = doctor.emulation_line(get_arch("s390x"), "x86_64", tree, plain)
    assert not no_f.ok and "F flag" in no_f.detail and "qemu-s390x" in no_f.detail
    unmounted = doctor.emulation_line(aarch64, "x86_64", binfmt.scan(tmp_path / "none"), plain)
    assert not unmounted.ok and unmounted.fix.startswith("mount -t binfmt_misc")


LOCAL_ENGINE = host_setup.EngineState("unix:///var/run/docker.sock", True)


def survey(
    tree: binfmt.BinfmtTree,
    *,
    tools: frozenset[str] = frozenset(host_setup.TOOLS),
    engine: host_setup.EngineState = LOCAL_ENGINE,
    root: bool = False,
    qemu_installed: bool = False,
    cpu_emulator: bool = False,
    cli_package: str = "docker-cli",
) -> host_setup.HostSurvey:
    return host_setup.HostSurvey(
        machine="x86_64",
        root=root,
        tools=tools,
        engine=engine,
        binfmt=tree,
        qemu_installed=qemu_installed,
        cpu_emulator=cpu_emulator,
        docker_cli_package=cli_package,
        systemd=False,
    )


def _installed(steps: list[host_setup.Step]) -> list[str]:
    return [p for s in steps if s.command[:2] == ("apt-get", "install") for p in s.command[5:]]


def test_a_ready_host_has_nothing_to_do(tmp_path: Path) -> None:
    tree = binfmt.scan(fake_binfmt(tmp_path / "binfmt_misc"))
    arches = [get_arch(a) for a in ("x86_64", "i686", "aarch64", "riscv64")]
    assert host_setup.plan(arches, survey(tree)) == []
    assert host_setup.plan(arches, survey(tree), local_profile=False) == []


def test_f_flag_handlers_registered_elsewhere_mean_no_qemu_install(tmp_path: Path) -> None:
    tree = binfmt.scan(fake_binfmt(tmp_path / "binfmt_misc"))
    # no qemu on the host at all: the handlers were registered from a container
    bare = survey(tree, qemu_installed=False, tools=frozenset({"docker", "dockerd"}))
    steps = host_setup.plan([get_arch("aarch64"), get_arch("riscv64")], bare, local_profile=False)
    assert steps == []
    # ppc64le has no handler, s390x one without F: qemu for those, and handlers enabled
    steps = host_setup.plan([get_arch("ppc64le"), get_arch("s390x")], bare, local_profile=False)
    assert _installed(steps) == ["qemu-user-static", "binfmt-support"]
    assert steps[-1].command == ("update-binfmts", "--enable")
    assert "ppc64le, s390x" in steps[-1].why


def test_an_engine_that_answers_is_used_and_only_the_cli_installed(tmp_path: Path) -> None:
    tree = binfmt.scan(fake_binfmt(tmp_path / "binfmt_misc"))
    x86 = [get_arch("x86_64")]
    remote = host_setup.EngineState("tcp://builder:2376", True)
    steps = host_setup.plan(
        x86, survey(tree, tools=frozenset(), engine=remote), local_profile=False
    )
    assert _installed(steps) == ["docker-cli"]
    assert host_setup.START_ENGINE not in [s.command for s in steps]
    # Debian 12 has the CLI only with the engine: installed, not started
    steps = host_setup.plan(
        x86,
        survey(tree, tools=frozenset(), engine=remote, cli_package="docker.io"),
        local_profile=False,
    )
    assert _installed(steps) == ["docker.io"] and steps[-1].command != host_setup.START_ENGINE
    # a remote engine that does not answer is not replaced by a local one
    down = host_setup.EngineState("ssh://arm-box", False, "no route")
    steps = host_setup.plan(x86, survey(tree, engine=down), local_profile=False)
    assert steps == []
    # a local socket this user may not use: not a second daemon
    denied = host_setup.EngineState("unix:///var/run/docker.sock", False, "denied", True)
    assert host_setup.plan(x86, survey(tree, engine=denied), local_profile=False) == []
    # the socket a daemon left when the machine stopped: started again
    dead = host_setup.EngineState("unix:///var/run/docker.sock", False, "refused", False)
    steps = host_setup.plan(x86, survey(tree, engine=dead), local_profile=False)
    assert [s.command for s in steps] == [host_setup.START_ENGINE]


def test_a_socket_nothing_listens_on_is_not_denied(tmp_path: Path) -> None:
    path = tmp_path / "docker.sock"
    assert not host_setup.socket_denied(path)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listening:
        listening.bind(str(path))
        listening.listen(1)
        assert host_setup.socket_denied(path)  # a daemon there: not a second one
    assert path.exists()  # left behind, as by a daemon that died with its machine
    assert not host_setup.socket_denied(path)


def test_a_fresh_host_gets_everything(tmp_path: Path) -> None:
    unmounted = binfmt.scan(tmp_path / "not-mounted")
    nothing = host_setup.EngineState("unix:///var/run/docker.sock", False, "no socket")
    fresh = survey(unmounted, tools=frozenset(), engine=nothing, root=True)
    steps = host_setup.plan([get_arch("x86_64"), get_arch("aarch64")], fresh)
    assert steps[0].command[:3] == ("mount", "-t", "binfmt_misc")
    assert _installed(steps) == [
        "docker.io",
        "qemu-user-static",
        "binfmt-support",
        "mmdebstrap",
        "arch-test",
    ]
    assert [s.command for s in steps[-2:]] == [
        ("update-binfmts", "--enable"),
        host_setup.START_ENGINE,
    ]


def test_the_cpu_axis_needs_the_hosts_own_qemu(tmp_path: Path) -> None:
    tree = binfmt.scan(fake_binfmt(tmp_path / "binfmt_misc"))
    x86 = [get_arch("x86_64")]
    assert host_setup.plan(x86, survey(tree), cpu_axis=False) == []
    assert _installed(host_setup.plan(x86, survey(tree), cpu_axis=True)) == ["qemu-user-static"]
    assert host_setup.plan(x86, survey(tree, cpu_emulator=True), cpu_axis=True) == []
    missing = doctor.cpu_emulator_check(tmp_path / "qemu-x86_64-static")
    assert not missing.ok and "qemu-user-static" in missing.fix
    (tmp_path / "qemu-x86_64-static").write_text("")
    assert doctor.cpu_emulator_check(tmp_path / "qemu-x86_64-static").ok


def test_fix_on_a_ready_host_runs_nothing_and_needs_no_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = binfmt.scan(fake_binfmt(tmp_path / "binfmt_misc"))
    monkeypatch.setattr(host_setup, "survey", lambda root: survey(tree, root=False))
    ran: list[object] = []
    monkeypatch.setattr(host_setup, "_run", lambda command, say: ran.append(command))
    monkeypatch.setattr(host_setup, "start_engine", lambda say, systemd: ran.append("dockerd"))
    said: list[str] = []
    status = host_setup.fix([get_arch("x86_64"), get_arch("aarch64")], said.append)
    assert status == ExitCode.HELD and ran == []
    assert said == ["doctor --fix: nothing to do, the host has what this selection needs"]
    # something missing, and not root: each step named, the fix said, nothing run
    monkeypatch.setattr(
        host_setup, "survey", lambda root: survey(tree, root=False, tools=frozenset({"docker"}))
    )
    said.clear()
    status = host_setup.fix([get_arch("x86_64")], said.append)
    assert status == ExitCode.BROKEN and ran == []
    assert said[0] == (
        "needed: missing: mmdebstrap (apt-get install -y -qq --no-install-recommends mmdebstrap)"
    )
    assert len(said) == 2 and "as root" in said[-1]


def test_check_lines_name_the_fix() -> None:
    line = doctor.Check(
        "mmdebstrap", False, "not installed", fix="apt-get install mmdebstrap"
    ).line()
    assert line == "PROBLEM  mmdebstrap: not installed -> fix: apt-get install mmdebstrap"


DEB822 = """Types: deb
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def test_mirror_from_deb822_and_one_line_sources() -> None:
    assert bootstrap.mirror_from_apt_sources([DEB822]) == "http://mirror.example/debian"
    one_line = (
        "deb http://security.debian.org/debian-security bookworm-security main\n"
        "deb [arch=amd64] https://deb.example.org/debian/ bookworm main\n"
    )
    assert bootstrap.mirror_from_apt_sources([one_line]) == "https://deb.example.org/debian"
    assert (
        bootstrap.mirror_from_apt_sources(
            ["deb https://packages.cloud.google.com/apt cloud-sdk main"]
        )
        is None
    )


def test_mmdebstrap_command_names_only_the_main_suite(tmp_path: Path) -> None:
    command = bootstrap.mmdebstrap_command(
        "forky", get_arch("armv7l"), ["python3", "gcc"], "http://m/debian", tmp_path / "o.tar"
    )
    assert "--architectures=armhf" in command
    assert "--include=gcc,python3" in command
    assert '--aptopt=Acquire::Check-Valid-Until "false"' in command
    assert command[-3:] == ["forky", str(tmp_path / "o.tar"), "deb http://m/debian forky main"]


def test_trust_passthrough(tmp_path: Path) -> None:
    bundle = tmp_path / "corp.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----")
    result = passthrough(
        {"SSL_CERT_FILE": str(bundle), "https_proxy": "http://p:3128", "NO_PROXY": "localhost"}
    )
    assert result.ca_bundle == bundle
    assert result.env["PIP_CERT"] == CONTAINER_CA_PATH
    assert result.env["https_proxy"] == "http://p:3128" and result.env["NO_PROXY"] == "localhost"
    nothing = passthrough({}, exists=lambda path: False)
    assert nothing.ca_bundle is None and nothing.env == {}
    remote = result.without_bundle()
    # a remote engine cannot see the bundle: proxies only, no variable naming a missing file
    assert remote.ca_bundle is None and "PIP_CERT" not in remote.env
    assert remote.env["https_proxy"] == "http://p:3128"
    assert not any("--volume" in arg for arg in remote.docker_create_args())


def test_engines_from_environment_and_options() -> None:
    import pytest

    from harness.errors import UsageError
    from harness.settings import parse_engine_option

    environ = {"MANYLINUX_HARNESS_ENGINES": "aarch64=ssh://arm-box, ppc64le=tcp://power:2376"}
    engines = parse_engine_option(["aarch64=ssh://other"], environ)
    # the option wins over the machine-wide setting; arch aliases are normalised
    assert engines == {"aarch64": "ssh://other", "ppc64le": "tcp://power:2376"}
    assert parse_engine_option(["arm64=ssh://x"]) == {"aarch64": "ssh://x"}
    with pytest.raises(UsageError, match="MANYLINUX_HARNESS_ENGINES"):
        parse_engine_option([], {"MANYLINUX_HARNESS_ENGINES": "aarch64"})


def test_build_image_facts_parse_each_tools_version() -> None:
    from harness.images import facts as image_facts

    output = (
        "gcc=10.2.1\n"
        "g++=14.2.0\n"
        "gfortran=\n"
        "binutils=GNU ld (GNU Binutils for Debian) 2.35.2\n"
        "glibc=glibc 2.31\n"
        "auditwheel=auditwheel 6.8.2 installed at /usr/local/lib/python3.9/site-packages\n"
        "patchelf=patchelf 0.18.0\n"
    )
    assert image_facts.parse(output) == {
        "gcc": "10.2.1",
        "g++": "14.2.0",
        "binutils": "2.35.2",
        "glibc": "2.31",
        "auditwheel": "6.8.2",
        "patchelf": "0.18.0",
    }
    # every tool is asked for (and musl's loader, where there is one), and a missing one
    # cannot break the script
    assert image_facts.SCRIPT.count("printf") == 8 and "2>/dev/null" in image_facts.SCRIPT
    # a musllinux build image: musl's loader says its version on a line of its own
    assert image_facts.parse("glibc=glibc 2.36\nmusl=Version 1.2.3\n") == {
        "glibc": "2.36",
        "musl": "1.2.3",
    }


def test_the_facts_script_runs_where_there_is_no_musl(tmp_path: Path) -> None:
    """The musl line of the script must leave a glibc image's facts (and exit status) alone."""
    import subprocess

    from harness.images import facts as image_facts

    done = subprocess.run(["sh", "-c", image_facts.SCRIPT], capture_output=True, text=True)
    assert done.returncode == 0
    found = image_facts.parse(done.stdout)
    assert ("musl" in found) == any(Path("/lib").glob("ld-musl-*.so.1"))


def test_mmdebstrap_failures_name_the_specific_error_and_spot_a_mirror_mid_sync(
    tmp_path: Path,
) -> None:
    from harness.images.bootstrap import _last_error_line, _mirror_in_flux

    log = tmp_path / "rootfs.log"
    log.write_text(
        "I: running apt-get update...\n"
        "Err:2 http://deb.debian.org/debian trixie/main riscv64 Packages\n"
        "  File has unexpected size (9385284 != 9387120). Mirror sync in progress?\n"
        "E: Failed to fetch http://deb.debian.org/debian/dists/trixie/main/binary-riscv64/"
        "Packages.xz  File has unexpected size (9385284 != 9387120). Mirror sync in progress?\n"
        "E: Some index files failed to download. They have been ignored.\n"
        "E: mmdebstrap failed to run\n"
    )
    assert _mirror_in_flux(log)
    assert _last_error_line(log).startswith("E: Failed to fetch http://deb.debian.org/")
    log.write_text(
        "E: apt-get update did not find any indices for architecture 'ppc64el' in suite "
        "'bullseye'\nE: mmdebstrap failed to run\n"
    )
    assert not _mirror_in_flux(log)
    assert "ppc64el" in _last_error_line(log)


def test_a_mirror_that_stays_mid_sync_is_tried_three_times_then_named_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.errors import ImageUnavailable

    calls = tmp_path / "calls"
    fake = tmp_path / "bin" / "mmdebstrap"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        f"echo run >> {calls}\n"
        "echo 'E: Failed to fetch http://mirror/debian/dists/trixie/main/binary-riscv64/"
        "Packages.xz  File has unexpected size (1 != 2). Mirror sync in progress?'\n"
        "exit 25\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:{os.environ['PATH']}")
    monkeypatch.setattr(bootstrap, "MIRROR_RETRY_SECONDS", 0)
    with pytest.raises(ImageUnavailable) as caught:
        bootstrap.bootstrap_rootfs(
            "trixie",
            get_arch("riscv64"),
            ["python3"],
            tmp_path / "out.tar",
            tmp_path / "log",
            timeout=30,
        )
    message = str(caught.value)
    assert calls.read_text().count("run") == bootstrap.MIRROR_ATTEMPTS == 3
    assert "File has unexpected size" in message and "MANYLINUX_HARNESS_DEBIAN_MIRROR" in message
    assert "\n" not in message


def test_a_bare_minbase_bootstrap_names_no_packages():
    from harness.images.bootstrap import mmdebstrap_command
    from harness.vocab.arch import get_arch

    command = mmdebstrap_command("bookworm", get_arch("x86_64"), (), "http://m/debian", Path("o"))
    assert not any(arg.startswith("--include") for arg in command)


def test_an_engine_this_user_may_not_use_names_the_docker_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from harness.errors import EngineUnavailable
    from harness.util.engine import Engine

    def refuse(cls: object, base_url: str | None = None) -> Engine:
        raise EngineUnavailable(
            "cannot reach the Docker engine at unix:///var/run/docker.sock (Error while "
            "fetching server API version: ('Connection aborted.', PermissionError(13, "
            "'Permission denied'))): start it with `manylinux-harness doctor --fix`"
        )

    monkeypatch.setattr(Engine, "connect", classmethod(refuse))
    monkeypatch.setenv("USER", "builder")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    check, engine = doctor.check_engine()
    assert engine is None and not check.ok
    assert check.detail.endswith("'Permission denied')))") and "doctor --fix" not in check.detail
    assert (
        check.fix
        == "add builder to the docker group (usermod -aG docker builder), then log in again"
    )


class _ImagesThatVanish:
    """An engine whose first listed image is removed before a container of it starts."""

    def __init__(self) -> None:
        def image(name: str) -> ImageInfo:
            return ImageInfo(name, f"sha256:{name}", "linux", "amd64", None)

        self.listed = [image("removed-meanwhile"), image("still-here")]
        self.present = {"sha256:still-here"}
        self.started: list[str] = []

    def images(self) -> list[ImageInfo]:
        return self.listed

    def image_info(self, reference: str) -> ImageInfo | None:
        return next(
            (i for i in self.listed if i.id == reference and reference in self.present), None
        )

    @contextlib.contextmanager
    def container(self, image: str, **_: object) -> Iterator[None]:
        if image not in self.present:
            raise RuntimeError("pull access denied: no such host")
        self.started.append(image)
        yield


def test_an_image_removed_between_listing_and_start_says_nothing_about_the_host() -> None:
    engine = _ImagesThatVanish()
    check = doctor.check_container_network(engine, get_arch("x86_64"))  # type: ignore[arg-type]
    assert check is not None and check.ok, check
    assert engine.started == ["sha256:still-here"]


def test_an_image_still_there_that_cannot_start_is_the_hosts_problem() -> None:
    engine = _ImagesThatVanish()
    engine.present = {"sha256:removed-meanwhile"}  # present, but its start fails below
    engine.container = lambda image, **_: (_ for _ in ()).throw(OSError("bridge gone"))  # type: ignore[method-assign]
    check = doctor.check_container_network(engine, get_arch("x86_64"))  # type: ignore[arg-type]
    assert check is not None and not check.ok
    assert "bridge gone" in check.detail and "restart dockerd" in check.fix


class _QemuWithoutTheModel:
    """An engine whose emulated containers' qemu-user does not know the arch's CPU model: the
    container's first exec (Container.detect_timeout_tool) refuses to start it."""

    def images(self) -> list[ImageInfo]:
        return [ImageInfo("distro-trixie", "sha256:trixie", "linux", "arm64", None)]

    def image_info(self, reference: str) -> ImageInfo | None:
        return self.images()[0]

    @contextlib.contextmanager
    def container(self, image: str, **_: object) -> Iterator[None]:
        raise EmulationRefused(
            "qemu-user does not know QEMU_CPU=max,pauth=off", model="max,pauth=off"
        )
        yield


def test_a_qemu_that_does_not_know_the_cpu_model_is_named_with_the_variable() -> None:
    check = doctor.check_containers_run(_QemuWithoutTheModel(), get_arch("aarch64"))  # type: ignore[arg-type]
    assert check is not None and not check.ok
    assert "does not know QEMU_CPU=max,pauth=off" in check.fix
    assert "MANYLINUX_HARNESS_QEMU_CPU" in check.fix
