"""The build stage's pure parts: cibuildwheel's environment for one build (offline, the trust
store, the flavour's settings, the container's limits) and what keys a wheelhouse; and (issue
24, item 5) a cached wheelhouse used only while its wheels are the bytes it recorded (a
truncated wheel was never rebuilt: BadZipFile in every later run), a wheel over the run's
limits refused, its cells errors naming the member."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from cibuildwheel.oci_container import OCIContainerEngineConfig

from harness.build.wheels import (
    CACHED,
    MANIFEST,
    REFUSED,
    BuildRequest,
    WheelBuilder,
    _record,
    cache_key,
    cibuildwheel_env,
    environment_option,
)
from harness.catalog.model import default_catalog
from harness.catalog.samples import Flavour, default_samples_dir, discover
from harness.images.provider import ResolvedImage
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.limits import Limits
from harness.util.wheel_zip import MIB, WheelLimits
from tests.helpers.factories import bomb_wheel, make_wheel

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


# -- the cached wheelhouse, checked (issue 24) ----------------------------------------

X86_64_IMAGE = ResolvedImage(
    "build:manylinux_2_36:x86_64", "manylinux-harness/build:x", "sha256:1", "linux/amd64", False, 0
)


@pytest.fixture
def builder(tmp_path: Path) -> WheelBuilder:
    settings = Settings(cache_dir=tmp_path / "cache")
    return WheelBuilder(None, Cache(settings.cache_dir), settings)  # type: ignore[arg-type]


@pytest.fixture
def request_() -> BuildRequest:
    sample = next(s for s in discover(default_samples_dir()) if s.name == "c_plain")
    image = default_catalog().build_images("local", ["x86_64"], ["manylinux_2_36"])[0]
    return BuildRequest(sample, sample.flavours[0], image)


def entry_with(builder: WheelBuilder, request: BuildRequest, *, manifest: bool = True) -> Path:
    entry = builder.entry_dir(request, cache_key(request, X86_64_IMAGE, builder.cibw_version))
    make_wheel(entry, "c_plain-1.0-cp39-abi3-manylinux_2_36_x86_64.whl", {"c.py": "X = 1\n" * 50})
    (entry / "build.log").write_text("built")
    if manifest:
        _record(entry)
    return entry


def test_a_cached_wheel_as_recorded_is_used(builder: WheelBuilder, request_: BuildRequest) -> None:
    entry = entry_with(builder, request_)
    found = builder.lookup(request_, X86_64_IMAGE)
    assert found is not None and found.status == CACHED and found.wheels[0].parent == entry


@pytest.mark.parametrize("how", ["truncated", "other bytes", "manifest damaged", "a wheel more"])
def test_a_damaged_entry_is_built_again(
    builder: WheelBuilder, request_: BuildRequest, how: str
) -> None:
    entry = entry_with(builder, request_)
    (wheel,) = entry.glob("*.whl")
    if how == "truncated":
        wheel.write_bytes(wheel.read_bytes()[:100])
    elif how == "other bytes":
        make_wheel(entry, wheel.name, {"c.py": "X = 2\n" * 50})
    elif how == "manifest damaged":
        (entry / MANIFEST).write_text("{")
    else:
        make_wheel(entry, "extra-1.0-py3-none-any.whl", {"e.py": ""})
    assert builder.lookup(request_, X86_64_IMAGE) is None
    assert not entry.exists()  # removed: the next build makes it afresh


def test_an_entry_made_before_manifests_is_checked_and_recorded(
    builder: WheelBuilder, request_: BuildRequest
) -> None:
    entry = entry_with(builder, request_, manifest=False)
    assert builder.lookup(request_, X86_64_IMAGE) is not None
    recorded = json.loads((entry / MANIFEST).read_text())["wheels"]
    assert list(recorded) == [w.name for w in entry.glob("*.whl")]
    # ...and one whose zip does not read back is not taken.
    other = entry_with(builder, request_, manifest=False)
    (other / MANIFEST).unlink()
    (wheel,) = other.glob("*.whl")
    wheel.write_bytes(wheel.read_bytes()[:-30])
    assert builder.lookup(request_, X86_64_IMAGE) is None


def test_a_wheel_over_the_limits_is_refused_naming_the_member(
    builder: WheelBuilder, request_: BuildRequest
) -> None:
    entry = entry_with(builder, request_)
    bomb_wheel(entry, "bomb-1.0-cp39-abi3-manylinux_2_36_x86_64.whl", 16)
    _record(entry)
    found = builder.lookup(request_, X86_64_IMAGE)
    assert found is not None and found.status == REFUSED and found.wheels == ()
    assert found.error.startswith("bomb-1.0-cp39-abi3-manylinux_2_36_x86_64.whl: its member ")
    assert "data/zeros.bin declares 16.0 MiB unpacked" in found.error
    generous = dataclasses.replace(
        builder.settings, wheel_limits=WheelLimits(max_unpacked=64 * MIB, max_ratio=5000)
    )
    again = WheelBuilder(None, builder.cache, generous)  # type: ignore[arg-type]
    assert again.lookup(request_, X86_64_IMAGE).status == CACHED  # type: ignore[union-attr]


def test_an_emulated_build_container_gets_the_cpu_model() -> None:
    emulation = {"QEMU_CPU": "max,pauth=off"}
    env = cibuildwheel_env(
        _request(), IMAGE, job="J", network=False, environ={}, engine_url=None, emulation=emulation
    )
    # as cibuildwheel itself reads the option
    config = OCIContainerEngineConfig.from_config_string(env["CIBW_CONTAINER_ENGINE"])
    assert "--env=QEMU_CPU=max,pauth=off" in config.create_args
    native = cibuildwheel_env(
        _request(), IMAGE, job="J", network=False, environ={}, engine_url=None
    )
    assert "QEMU_CPU" not in native["CIBW_CONTAINER_ENGINE"]
