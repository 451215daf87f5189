"""verify --static's pure parts: its outcome as the other commands' exit codes (a finding
that breaks a claim, a wheel that could not be told, nothing found), the table it prints,
and the options it refuses (it runs no container)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.analysis import scan
from harness.cli import dispatch
from harness.errors import ExitCode
from harness.verify.static import BEYOND_CLAIM, StaticScan, beyond_claim_rows, markdown

WHEEL = "p-1.0-cp39-abi3-manylinux_2_17_x86_64.whl"
SCANNED = {"project": "p", "version": "1.0", "wheel": WHEEL, "status": "scanned"}


def row(kind: str, breaks: str = "", distros: tuple[str, ...] = ()) -> dict:
    return {
        "project": "p",
        "version": "1.0",
        "arch": "x86_64",
        "wheel": WHEEL,
        "kind": kind,
        "file": "p.abi3.so",
        "detail": "d",
        "breaks": breaks,
        "distros": list(distros),
    }


def result(wheels, findings=()) -> StaticScan:
    return StaticScan(tuple(wheels), tuple(findings), 1.0, "full")


def test_the_outcome_is_the_other_commands_exit_code() -> None:
    assert result([SCANNED]).exit_code() is ExitCode.HELD
    # load order decides: a risk, not a broken claim
    assert result([SCANNED], [row("initial-exec-tls", "load order")]).exit_code() is ExitCode.HELD
    failed = {"project": "q", "status": "failed", "error": "download: 404"}
    assert result([SCANNED, failed]).exit_code() is ExitCode.NOT_TOLD
    assert result([]).exit_code() is ExitCode.NOT_TOLD  # nothing scanned: nothing told
    for kind in ("executable-stack", "grafted-beyond-claim", BEYOND_CLAIM):
        assert result([SCANNED, failed], [row(kind)]).exit_code() is ExitCode.BROKEN


def test_auditwheels_own_problems_are_findings_and_the_table_says_where() -> None:
    chosen = scan.Chosen("p", "1.0", "x86_64", scan.IndexFile(WHEEL, "file:///w", 10))
    (beyond,) = beyond_claim_rows(chosen, {"policy_problems": ["needs GLIBC_2.34, beyond x"]})
    assert beyond["kind"] == BEYOND_CLAIM and beyond["detail"] == "needs GLIBC_2.34, beyond x"
    text = markdown(
        result(
            [{**SCANNED, "claimed": "manylinux_2_17_x86_64", "policy": "manylinux_2_34_x86_64"}],
            [beyond, row("executable-stack", "glibc >= 2.41", ("debian-trixie",))],
        )
    )
    assert "1 wheels scanned of 1 projects" in text and "2 findings break a claim" in text
    assert "| manylinux_2_17_x86_64 / manylinux_2_34_x86_64 | beyond-claim:" in text
    assert "executable-stack: d | debian-trixie |" in text
    assert "the claimed systems that lack it" in text


def test_static_refuses_what_needs_a_container(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = tmp_path / WHEEL
    wheel.write_bytes(b"")
    out = str(tmp_path / "out")
    for extra, words in (
        (["--check", "true"], "--check does not apply"),
        (["--pip", "19.0"], "--pip does not apply"),
        (["--distro", "debian-trixie"], "--distro does not apply"),
        (["--test-command", "pytest"], "--test-command does not apply"),
        (["--arch", "riscv64"], "not riscv64"),
    ):
        assert dispatch.main(["verify", "--static", str(wheel), *extra, "--results-dir", out]) == 2
        assert words in capsys.readouterr().err
    assert dispatch.main(["verify", "--requirements", str(wheel), "--results-dir", out]) == 2
    assert "add --static" in capsys.readouterr().err
    assert dispatch.main(["verify", "--static", "--results-dir", out]) == 2
    assert "nothing to scan" in capsys.readouterr().err
