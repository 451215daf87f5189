"""Which CPU model qemu-user emulates for a process of an arch (pure)."""

from __future__ import annotations

from harness.settings import Settings
from harness.vocab.arch import QEMU_CPU_VARIABLE, emulation_env, get_arch


def test_emulated_aarch64_gets_its_model_and_native_arches_nothing() -> None:
    aarch64 = get_arch("aarch64")
    assert emulation_env(aarch64, "x86_64", {}) == {"QEMU_CPU": "max,pauth=off"}
    assert emulation_env(aarch64, "aarch64", {}) == {}
    assert emulation_env(get_arch("i686"), "x86_64", {}) == {}  # native: no qemu
    # an emulated arch without a model of its own keeps qemu's default
    assert emulation_env(get_arch("ppc64le"), "x86_64", {}) == {}


def test_the_variable_overrides_the_model_and_empty_means_qemu_s_default() -> None:
    aarch64 = get_arch("aarch64")
    assert emulation_env(aarch64, "x86_64", {QEMU_CPU_VARIABLE: "cortex-a72"}) == {
        "QEMU_CPU": "cortex-a72"
    }
    assert emulation_env(aarch64, "x86_64", {QEMU_CPU_VARIABLE: ""}) == {}
    assert emulation_env(get_arch("s390x"), "x86_64", {QEMU_CPU_VARIABLE: "max"}) == {
        "QEMU_CPU": "max"
    }


def test_an_arch_served_by_an_engine_of_its_own_is_not_emulated() -> None:
    aarch64 = get_arch("aarch64")
    local = Settings(host="x86_64", environ={})
    assert local.emulation_env(aarch64) == {"QEMU_CPU": "max,pauth=off"}
    dedicated = Settings(host="x86_64", environ={}, engines={"aarch64": "ssh://arm-box"})
    assert dedicated.emulation_env(aarch64) == {}
