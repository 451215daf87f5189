"""Other architectures in the default test run, kept small (emulation is slow): i686 (native
on x86_64) and aarch64 (qemu) build c_plain and the C++ static-locals pairs in the oldest local
build image and probe them on bullseye; every wheel is also offered to the other arches'
bullseye, where pip must refuse it. The full matrices are `tox -e {arch}-local`."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.images.provider import ImageProvider
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.vocab.arch import QEMU_CPU_VARIABLE, get_arch, host_machine
from tests.helpers.commands import left_behind, load_results, run_cli, start_cli

pytestmark = pytest.mark.xdist_group("arches")

ARCHES = ("x86_64", "i686", "aarch64")


def test_i686_and_aarch64_smoke_with_cross_arch_refusals(tmp_path: Path) -> None:
    args = [
        "run",
        "--profile",
        "local",
        "--policy",
        "manylinux_2_31",
        "--distro",
        "debian-bullseye",
    ]
    args += ["--sample", "c_plain", "--sample", "cpp_static_locals", "--pip", "none"]
    args += ["--offer", "none"]  # the selection axis is smoke-tested on x86_64
    for arch in ARCHES:
        args += ["--arch", arch]
    proc = run_cli(*args, "--results-dir", str(tmp_path), timeout=3600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    results = load_results(tmp_path)
    cells = results["cells"]
    assert all(c["as_expected"] for c in cells)

    for arch in ARCHES:
        mine = [c for c in cells if c["arch"] == arch and "wheel)" not in c["row"]]
        plain = next(c for c in mine if c["row"] == "c_plain@manylinux_2_31")
        assert plain["verdict"] == "ok" and plain["observed"]["load"]["status"] == "passed"
        assert plain["emulated"] is (arch == "aarch64")
        facts = results["distros"][f"debian-bullseye-{arch}"]["facts"]
        # an i386 userland on an x86_64 kernel: uname (and so sysconfig) says x86_64, but
        # packaging sees a 32-bit interpreter and pip took the i686 wheel
        assert facts["machine"] == ("x86_64" if arch == "i686" else arch)
        assert all(t.endswith(f"_{arch}") for t in plain["expected"]["matching_tags"])
        # the C++ pairs: both import orders, both dlopen modes, each measured (not errors)
        pairs = [c for c in mine if len(c["members"]) == 2]
        assert len(pairs) == 4, [c["row"] for c in pairs]
        assert {c["dlopen"] for c in pairs} == {"default", "global"}
        assert all(c["verdict"] in ("ok", "violation") for c in pairs)

    cross = [c for c in cells if "wheel)" in c["row"]]
    # c_plain of each arch offered to the two other arches
    assert len(cross) == 6
    for cell in cross:
        assert cell["verdict"] == "refused-as-claimed", cell
        assert cell["expected"]["installable"] is False
        assert "built for" in cell["expected"]["reason"]
        assert cell["observed"]["install"]["decision"] == "refused"


# getauxval(AT_HWCAP) as the process sees it: qemu-user fills the auxiliary vector from the CPU
# model it emulates, so pointer authentication's bits say which model ran.
_PAUTH_BITS = """
import struct
data = open("/proc/self/auxv", "rb").read()
pairs = [struct.unpack("<QQ", data[i : i + 16]) for i in range(0, len(data), 16)]
hwcap = dict(pairs)[16]
print((hwcap >> 30) & 3)
"""


@pytest.mark.skipif(
    get_arch("aarch64").is_native_on(host_machine()), reason="aarch64 is native here: no qemu"
)
@pytest.mark.parametrize(
    ("override", "pauth"), [(None, "0"), ("", "3")], ids=["the-arch-s-model", "qemu-s-default"]
)
def test_emulated_aarch64_processes_run_on_the_arch_s_cpu_model(
    engine: Engine,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    override: str | None,
    pauth: str,
) -> None:
    """Every exec of an emulated aarch64 container (the agent and what it starts) runs on
    `max,pauth=off`: no pointer authentication (HWCAP_PACA, HWCAP_PACG clear), as on a
    Cortex-A72 or Neoverse N1; MANYLINUX_HARNESS_QEMU_CPU="" gives qemu's default back."""
    if override is not None:
        monkeypatch.setenv(QEMU_CPU_VARIABLE, override)
    arch = get_arch("aarch64")
    spec = default_catalog().distros("local", [arch.name], ["debian-bullseye"])[0].image
    image = ImageProvider(engine, Cache(settings.cache_dir), settings).ensure(spec)
    with engine.container(image.reference, arch=arch, role="test", name_hint="pauth") as c:
        seen = c.exec(["python3", "-c", _PAUTH_BITS], timeout=300, step="auxv")
        child = c.exec(["sh", "-c", f"python3 -c '{_PAUTH_BITS}'"], timeout=300, step="auxv")
    assert seen.ok and child.ok, seen.tail() + child.tail()
    assert seen.stdout.strip() == child.stdout.strip() == pauth


@pytest.mark.skipif(
    get_arch("aarch64").is_native_on(host_machine()), reason="aarch64 is native here: no qemu"
)
def test_a_cpu_model_qemu_does_not_know_is_named_and_the_cells_are_errors(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MANYLINUX_HARNESS_QEMU_CPU naming no model of this qemu-user: the run's cells are
    `error` (the harness could not tell), each saying which variable to fix, exit 3, no
    traceback, no container left."""
    monkeypatch.setenv(QEMU_CPU_VARIABLE, "nonesuch")
    out = tmp_path / "out"
    argv = ["run", "--profile", "local", "--arch", "aarch64", "--sample", "c_plain"]
    argv += ["--policy", "manylinux_2_31", "--distro", "debian-bullseye", "--pip", "none"]
    argv += ["--uv", "none", "--offer", "none", "--results-dir", str(out)]
    log = tmp_path / "run.log"
    proc = start_cli(argv, log)
    assert proc.wait(timeout=1800) == 3, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text()
    cells = load_results(out)["cells"]
    assert cells and all(c["verdict"] == "error" for c in cells)
    for cell in cells:
        assert "does not know QEMU_CPU=nonesuch" in cell["explanation"], cell["explanation"]
        assert QEMU_CPU_VARIABLE in cell["explanation"]
    assert not left_behind(engine, proc.pid)
