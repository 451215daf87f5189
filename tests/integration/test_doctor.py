from __future__ import annotations

from tests.helpers.commands import run_cli


def test_doctor_reports_a_ready_host() -> None:
    proc = run_cli("doctor", "--arch", "x86_64", "--arch", "aarch64", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("ok       docker engine:") and "API 1.4" in line for line in lines)
    assert any("arch aarch64: emulated through qemu-aarch64" in line for line in lines)
    assert any("arch x86_64: native" in line for line in lines)


def test_doctor_fix_is_idempotent() -> None:
    proc = run_cli("doctor", "--fix", "--arch", "x86_64", timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # a second time: nothing to install, mount, register or start
    assert "doctor --fix: nothing to do" in proc.stdout
    assert "$ " not in proc.stdout
