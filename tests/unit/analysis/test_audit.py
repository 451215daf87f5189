"""The static analysis through auditwheel's own code, on crafted wheels (compiled here with
gcc): what they bundle and where, what they leave to the system, and where that goes beyond
their claim. The record agrees with `auditwheel show` (tests/integration/test_audit.py
compares the two on real wheels too)."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.audit import audit_wheel
from harness.analysis.lint import inspect_wheel
from tests.helpers.crafted import crafted_wheel


def test_a_library_found_through_runpath_origin_is_bundled(tmp_path: Path) -> None:
    """As pyarrow finds libarrow.so beside its modules: bundled, not a problem."""
    wheel = crafted_wheel(tmp_path, "origin")
    audit = audit_wheel(wheel)
    helper = "libmh_crafted_origin_helper.so.1"
    assert audit.bundled == {helper: f"mh_crafted_origin/{helper}"}
    assert helper not in audit.system and audit.external_libs == ()
    (elf,) = audit.elves
    assert elf.path == "mh_crafted_origin/mh_crafted_origin.abi3.so"
    assert elf.runpath == ("WHEEL/mh_crafted_origin",) and helper in elf.needed
    inspection = inspect_wheel(wheel, "x86_64")
    assert inspection["policy_problems"] == []
    assert inspection["grafted"] == [helper]


def test_a_library_left_to_the_system_beyond_the_whitelist(tmp_path: Path) -> None:
    inspection = inspect_wheel(crafted_wheel(tmp_path, "ffi7"), "x86_64")
    assert inspection["external_libs"] == ["libffi.so.7"]
    assert "libffi.so.7" in inspection["external"]
    assert inspection["policy"] == "linux_x86_64"  # auditwheel: no manylinux policy holds
    assert inspection["claimed_policy"] == "manylinux_2_17_x86_64"
    assert inspection["policy_problems"] == [
        "needs libffi.so.7, which is not on manylinux2014_x86_64's whitelist and is not in "
        "the wheel"
    ]


def test_a_symbol_version_beyond_the_claim(tmp_path: Path) -> None:
    inspection = inspect_wheel(crafted_wheel(tmp_path, "glibcxx"), "x86_64")
    assert inspection["max_versions"]["GLIBCXX"] == "3.4.29"
    assert inspection["policy"] == "manylinux_2_34_x86_64"
    assert inspection["policy_problems"] == [
        "needs GLIBCXX_3.4.29, beyond manylinux2014_x86_64 (GLIBCXX <= 3.4.19)"
    ]
    assert inspection["external_libs"] == []


def test_a_pure_wheel_has_nothing_to_audit(tmp_path: Path) -> None:
    from tests.helpers.factories import make_wheel

    wheel = make_wheel(tmp_path, "p-1.0-py3-none-any.whl", {"p.py": ""})
    inspection = inspect_wheel(wheel, "x86_64")
    assert inspection["pure"] is True and inspection["policy_problems"] == []
    assert inspection["lint"] == []
