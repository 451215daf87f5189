"""The agent's facts on a musl system, where there is no ldconfig: the loader found in /lib,
its version as the loader prints it, and what it finds by name along its path file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from harness.probe import agent_facts
from harness.probe.facts import DistroFacts


def _root(tmp_path: Path, path_file: str | None) -> Path:
    root = tmp_path / "root"
    for directory in ("lib", "usr/lib", "usr/local/lib", "opt/lib", "etc"):
        (root / directory).mkdir(parents=True)
    (root / "lib" / "ld-musl-x86_64.so.1").write_bytes(b"\x7fELF")
    (root / "lib" / "libc.musl-x86_64.so.1").symlink_to("ld-musl-x86_64.so.1")
    (root / "usr/lib" / "libz.so.1.2.13").write_bytes(b"\x7fELF")
    (root / "usr/lib" / "libz.so.1").symlink_to("libz.so.1.2.13")
    (root / "usr/lib" / "libffi.so.8").write_bytes(b"\x7fELF")
    (root / "usr/lib" / "README").write_text("not a library")
    (root / "opt/lib" / "libz.so.1").write_bytes(b"\x7fELF")  # shadows /usr/lib's when first
    if path_file is not None:
        (root / "etc" / "ld-musl-x86_64.path").write_text(path_file)
    return root


def test_without_a_path_file_the_loader_searches_its_defaults(tmp_path: Path) -> None:
    root = _root(tmp_path, None)
    loader = agent_facts.musl_loader(str(root))
    assert loader == str(root / "lib" / "ld-musl-x86_64.so.1")
    assert agent_facts.musl_search_path(loader, str(root)) == ["/lib", "/usr/local/lib", "/usr/lib"]
    entries = agent_facts.musl_entries(loader, str(root))
    assert entries["libz.so.1"] == "/usr/lib/libz.so.1"
    assert entries["libc.musl-x86_64.so.1"] == "/lib/libc.musl-x86_64.so.1"
    assert "libffi.so.8" in entries and "README" not in entries


def test_the_path_file_decides_where_and_in_which_order(tmp_path: Path) -> None:
    # entries separated by newlines or colons, as musl's loader reads them
    root = _root(tmp_path, "/opt/lib:/lib\n/usr/lib\n")
    loader = agent_facts.musl_loader(str(root))
    assert agent_facts.musl_search_path(loader, str(root)) == ["/opt/lib", "/lib", "/usr/lib"]
    entries = agent_facts.musl_entries(loader, str(root))
    assert entries["libz.so.1"] == "/opt/lib/libz.so.1"  # the first directory wins
    only_opt = _root(tmp_path / "other", "/opt/lib\n")
    assert set(agent_facts.musl_entries(agent_facts.musl_loader(str(only_opt)), str(only_opt))) == {
        "libz.so.1"
    }


def test_a_glibc_system_has_no_musl_loader(tmp_path: Path) -> None:
    assert agent_facts.musl_loader(str(tmp_path)) is None


def test_musls_version_is_what_its_loader_prints(tmp_path: Path) -> None:
    loader = tmp_path / "ld-musl-x86_64.so.1"
    loader.write_text(
        "#!/bin/sh\nprintf 'musl libc (x86_64)\\nVersion 1.2.3\\nDynamic Program Loader\\n' >&2\n"
        "exit 1\n"
    )
    loader.chmod(loader.stat().st_mode | stat.S_IXUSR)
    assert agent_facts.musl_version(str(loader)) == "1.2.3"
    silent = tmp_path / "silent"
    silent.write_text("#!/bin/sh\nexit 1\n")
    silent.chmod(0o755)
    assert agent_facts.musl_version(str(silent)) is None
    assert agent_facts.musl_version(os.path.join(str(tmp_path), "absent")) is None


def test_facts_carry_musl_only_where_measured() -> None:
    glibc = DistroFacts.from_json({"glibc": "2.36", "python_version": "3.11.2"})
    assert (glibc.libc, glibc.libc_text) == ("glibc", "glibc 2.36")
    assert "musl" not in glibc.to_json()
    musl = DistroFacts.from_json({"glibc": None, "musl": "1.2.3", "python_version": "3.11.2"})
    assert (musl.libc, musl.libc_text) == ("musl", "musl 1.2.3")
    assert musl.to_json()["musl"] == "1.2.3" and musl.to_json()["glibc"] is None
    assert DistroFacts.from_json({}).libc == ""
