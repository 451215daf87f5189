"""Pure parts of host set-up: doctor's parsing and decisions, mirrors, trust store."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness import doctor, host_setup
from harness.images import bootstrap
from harness.images.trust import CONTAINER_CA_PATH, passthrough
from harness.vocab.arch import get_arch

BINFMT_PF = "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\noffset 0\n"


def test_binfmt_with_f_flag_is_usable_in_containers() -> None:
    handler = doctor.parse_binfmt(BINFMT_PF)
    assert handler.enabled and handler.flags == "PF" and handler.usable_in_containers
    assert not doctor.parse_binfmt(BINFMT_PF.replace("PF", "P")).usable_in_containers
    assert not doctor.parse_binfmt(BINFMT_PF.replace("enabled", "disabled")).usable_in_containers


def test_emulation_lines() -> None:
    aarch64 = get_arch("aarch64")
    assert doctor.emulation_line(get_arch("i686"), "x86_64", None).detail.startswith("native")
    ok = doctor.emulation_line(aarch64, "x86_64", doctor.parse_binfmt(BINFMT_PF))
    assert ok.ok and "emulated through qemu-aarch64" in ok.detail
    missing = doctor.emulation_line(aarch64, "x86_64", None)
    assert not missing.ok and "doctor --fix" in missing.fix
    assert (
        "F flag"
        in doctor.emulation_line(
            aarch64, "x86_64", doctor.parse_binfmt("enabled\nflags: P\n")
        ).detail
    )


def test_packages_to_install_is_idempotent() -> None:
    arches = [get_arch("x86_64"), get_arch("aarch64")]
    fresh = host_setup.packages_to_install(arches, "x86_64", set())
    assert fresh == ["docker.io", "qemu-user-static", "binfmt-support", "mmdebstrap", "arch-test"]
    everything = {
        "dockerd",
        "docker",
        "qemu-user-static",
        "update-binfmts",
        "mmdebstrap",
        "arch-test",
    }
    assert host_setup.packages_to_install(arches, "x86_64", everything) == []
    assert (
        host_setup.packages_to_install(
            [get_arch("x86_64")], "x86_64", {"dockerd", "docker"}, local_profile=False
        )
        == []
    )


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
    # every tool is asked for, and a missing one cannot break the script
    assert image_facts.SCRIPT.count("printf") == 7 and "2>/dev/null" in image_facts.SCRIPT


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
