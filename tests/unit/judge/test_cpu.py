from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.judge import cpu

V1 = ["lm", "cmov", "cx8", "fpu", "fxsr", "mmx", "syscall", "sse", "sse2"]
V2 = [*V1, "cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"]


def test_levels_from_flags_need_every_lower_level() -> None:
    assert cpu.level_of(V2) == 2
    assert cpu.level_of([*V2, "avx", "avx2"]) == 2  # not all of v3
    assert cpu.level_of(["avx512f", "avx2"]) == 0  # not even the baseline
    assert cpu.level_name(4) == "x86-64-v4" and cpu.level_name(0) == "below x86-64-v1"


def test_host_level_reads_cpuinfo(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: " + " ".join(V2) + "\n")
    assert cpu.level_of(cpu.host_flags(info)) == 2
    assert cpu.host_flags(tmp_path / "missing") == ()
    assert cpu.host_level("aarch64") == ""


def test_models_and_their_levels() -> None:
    models = cpu.models()
    assert models["x86-64-v1"].level == 1 and models["x86-64-v2"].qemu_cpu == "Nehalem"
    assert cpu.parse_cpus(["host,x86-64-v1", "x86-64-v2", "x86-64-v1"]) == (
        "x86-64-v1",
        "x86-64-v2",
    )
    assert cpu.parse_cpus(["host"]) == ()
    with pytest.raises(UsageError, match="not a CPU model"):
        cpu.parse_cpus(["haswell"])
    assert cpu.cell_level("x86-64-v2", "x86-64-v4") == 2
    assert cpu.cell_level(cpu.HOST, "x86-64-v4") == 4
    assert cpu.cell_level(cpu.HOST, "") == 0
