"""The build stage's pure parts: cibuildwheel's environment for one build (offline, the trust
store, the flavour's settings, the container's limits) and what keys a wheelhouse."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.build.wheels import BuildRequest, cache_key, cibuildwheel_env, environment_option
from harness.catalog.model import default_catalog
from harness.catalog.samples import Flavour, default_samples_dir, discover
from harness.images.provider import ResolvedImage
from harness.util.limits import Limits

SAMPLES = discover(default_samples_dir())


def _request(flavour: Flavour | None = None) -> BuildRequest:
    build_image = default_catalog().build_images("local", ["aarch64"], ["manylinux_2_36"])[0]
    sample = next(s for s in SAMPLES if s.name == "c_plain")
    return BuildRequest(sample, flavour or sample.flavours[0], build_image)


IMAGE = ResolvedImage(
    "build:manylinux_2_36:aarch64",
    "manylinux-harness/build-manylinux_2_36:aarch64-abc",
    "sha256:1",
    "linux/arm64",
    False,
    0.0,
)


def test_offline_build_environment() -> None:
    env = cibuildwheel_env(_request(), IMAGE, job="J", network=False, environ={}, engine_url=None)
    assert env["CIBW_BUILD"] == "cp311-manylinux_aarch64"
    assert env["CIBW_ARCHS_LINUX"] == "aarch64"
    assert env["CIBW_MANYLINUX_AARCH64_IMAGE"] == IMAGE.reference
    assert env["CIBW_BUILD_FRONTEND"] == "build; args: --no-isolation"
    engine = env["CIBW_CONTAINER_ENGINE"]
    assert engine.startswith("docker; create_args: ")
    assert "--network=none" in engine and "--label=org.manylinux-harness.job=J" in engine
    assert engine.endswith("disable_host_mount: true")
    assert env["CIBW_AUDIT_COMMAND"] == ""
    assert "DOCKER_HOST" not in env and "CIBW_REPAIR_WHEEL_COMMAND_LINUX" not in env


def test_networked_build_gets_the_trust_store(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    env = cibuildwheel_env(
        _request(),
        IMAGE,
        job="J",
        network=True,
        environ={"SSL_CERT_FILE": str(bundle), "HTTPS_PROXY": "http://proxy:3128"},
        engine_url=None,
    )
    assert "--network=none" not in env["CIBW_CONTAINER_ENGINE"]
    assert (
        f"--volume={bundle}:/opt/manylinux-harness/ca-bundle.pem:ro" in env["CIBW_CONTAINER_ENGINE"]
    )
    assert "--env=HTTPS_PROXY=http://proxy:3128" in env["CIBW_CONTAINER_ENGINE"]
    assert env["CIBW_BUILD_FRONTEND"] == "build"
    assert "DOCKER_HOST" not in env
    remote = cibuildwheel_env(
        _request(),
        IMAGE,
        job="J",
        network=True,
        environ={"SSL_CERT_FILE": str(bundle), "HTTPS_PROXY": "http://proxy:3128"},
        engine_url="ssh://arm-box",
    )
    # the other machine cannot see this host's bundle: proxies only
    assert "--volume" not in remote["CIBW_CONTAINER_ENGINE"]
    assert "PIP_CERT" not in remote["CIBW_CONTAINER_ENGINE"]
    assert "--env=HTTPS_PROXY=http://proxy:3128" in remote["CIBW_CONTAINER_ENGINE"]
    assert remote["DOCKER_HOST"] == "ssh://arm-box"


def test_flavour_environment_and_repair() -> None:
    flavour = Flavour(
        "static",
        {"LDFLAGS": "-static-libstdc++ -Wl,--as-needed", "CFLAGS": "-O1"},
        repair="auditwheel repair --exclude libcrypt.so.1 -w {dest_dir} {wheel}",
    )
    env = cibuildwheel_env(
        _request(flavour), IMAGE, job="J", network=False, environ={}, engine_url=None
    )
    assert env["CIBW_ENVIRONMENT_LINUX"] == (
        "CFLAGS=-O1 LDFLAGS='-static-libstdc++ -Wl,--as-needed' MH_BUILD_POLICY=manylinux_2_36 "
        "MH_FLAVOUR=static MH_MODULES=c_plain MH_SAMPLE=c_plain"
    )
    assert env["CIBW_REPAIR_WHEEL_COMMAND_LINUX"].startswith(
        "auditwheel repair --exclude libcrypt.so.1"
    )
    assert environment_option({}) == ""


def test_cache_key_changes_with_each_input() -> None:
    request = _request()
    base = cache_key(request, IMAGE, "4.3.3")
    assert base == cache_key(request, IMAGE, "4.3.3")
    assert base != cache_key(request, IMAGE, "4.3.5")
    assert base != cache_key(request, dataclasses.replace(IMAGE, id="sha256:2"), "4.3.3")
    assert base != cache_key(_request(Flavour("default", {"CFLAGS": "-O0"})), IMAGE, "4.3.3")


def test_a_build_container_gets_the_limits_and_the_capabilities_a_build_needs() -> None:
    env = cibuildwheel_env(
        _request(),
        IMAGE,
        job="J",
        network=False,
        environ={},
        engine_url=None,
        limits=Limits(memory="2g", pids=512),
    )
    engine = env["CIBW_CONTAINER_ENGINE"]
    for arg in (
        "--cap-drop=ALL",
        "--cap-add=SETUID",
        "--cap-add=FSETID",
        "--security-opt=no-new-privileges",
        "--pids-limit=512",
        "--memory=2g",
        "--memory-swap=2g",
    ):
        assert arg in engine, arg
    assert "--cap-add=NET_RAW" not in engine
