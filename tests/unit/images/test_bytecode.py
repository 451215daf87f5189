"""Deferred byte-compilation: the diversion put in and taken out exactly, the stub's queue,
and the worker's .pyc files as the image's own interpreter would write them."""

from __future__ import annotations

import importlib.util
import io
import marshal
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from harness.images import bytecode, bytecode_stub

OTHER = "/lib/libhistory.so.8\n/lib/libhistory.so.8.usr-is-merged\nlibreadline8t64\n"
TAG = sys.implementation.cache_tag


def _dpkg_unpacks(root: Path, version: str, content: bytes) -> None:
    """What dpkg does for a diverted file: the package's copy goes to the diverted name."""
    path = root / f"usr/lib/python{version}/py_compile.py{bytecode.DIVERTED_SUFFIX}"
    path.write_bytes(content)


def test_defer_then_finish_takes_out_only_what_it_put_in(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "state"
    (root / "var/lib/dpkg").mkdir(parents=True)
    diversions = root / bytecode.DIVERSIONS
    diversions.write_text("/etc/a\n/etc/a.distrib\n:\n")
    bytecode.defer(root, state, ["3.13"])
    stub = root / "usr/lib/python3.13/py_compile.py"
    assert stub.read_bytes() == bytecode.STUB.read_bytes()
    assert diversions.read_text().endswith(bytecode.diversion_lines("3.13"))
    # the packages install meanwhile: the real file, and a diversion of their own
    _dpkg_unpacks(root, "3.13", b"# the real py_compile\n")
    (root / "var/lib/dpkg/diversions-old").write_text(diversions.read_text())
    diversions.write_text(diversions.read_text() + OTHER)

    assert bytecode._undefer(root, state) == ["3.13"]
    assert stub.read_bytes() == b"# the real py_compile\n"
    assert diversions.read_text() == "/etc/a\n/etc/a.distrib\n:\n" + OTHER
    assert (root / "var/lib/dpkg/diversions-old").read_text() == "/etc/a\n/etc/a.distrib\n:\n"


def test_a_python_the_packages_did_not_bring_leaves_nothing_behind(tmp_path: Path) -> None:
    root, state = tmp_path / "root", tmp_path / "state"
    (root / "usr/lib").mkdir(parents=True)
    (root / "var/lib/dpkg").mkdir(parents=True)
    bytecode.defer(root, state, ["3.12"])
    assert (root / "usr/lib/python3.12/py_compile.py").exists()
    assert bytecode._undefer(root, state) == []
    assert not (root / "usr/lib/python3.12").exists()
    assert not (root / bytecode.DIVERSIONS).exists()  # there was none before


def test_without_drops_whole_triples_only() -> None:
    ours = bytecode.diversion_lines("3.9")
    assert bytecode._without(OTHER + ours + OTHER, ours) == OTHER + OTHER
    assert bytecode._without("", ours) == ""


def test_the_stub_queues_each_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queue = tmp_path / "queue" / "queue.tsv"
    bytecode_stub.main(["/usr/lib/python3.9/os.py", "/usr/lib/python3.9/re.py"], queue)
    monkeypatch.setattr(sys, "stdin", io.StringIO("/usr/lib/python3/dist-packages/pip/a.py\n"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    bytecode_stub.main(["-"], queue)  # py3compile's form: names on stdin
    requests = bytecode.read_queue(queue.read_text())
    here = "{}.{}".format(*sys.version_info[:2])
    assert [r.files for r in requests] == [
        ("/usr/lib/python3.9/os.py", "/usr/lib/python3.9/re.py"),
        ("/usr/lib/python3/dist-packages/pip/a.py",),
    ]
    assert {r.python for r in requests} == {here}
    assert [r.source_date_epoch for r in requests] == [None, "1700000000"]
    assert {r.optimize for r in requests} == {sys.flags.optimize}


def test_the_stub_needs_nothing_beyond_the_minimal_standard_library() -> None:
    """It runs before pythonX.Y's full standard library is configured (bullseye's minimal
    package has no json): only os and sys."""
    imported = {
        line.split()[1]
        for line in bytecode.STUB.read_text().splitlines()
        if line.startswith(("import ", "from "))
    }
    assert imported <= {"os", "sys"}


def test_the_stub_refuses_to_stand_in_for_an_import(tmp_path: Path) -> None:
    """Imported as py_compile (compileall does that), it must fail, not compile nothing."""
    spec = importlib.util.spec_from_file_location("py_compile", bytecode.STUB)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.raises(RuntimeError, match="deferred"):
        spec.loader.exec_module(module)


def test_the_worker_writes_what_the_image_interpreter_would(tmp_path: Path) -> None:
    root = tmp_path / "root"
    lib = root / "usr/lib/pyX"
    lib.mkdir(parents=True)
    (lib / "mod.py").write_text("VALUE = 42\n")
    (root / "etc/pyX").mkdir(parents=True)
    (root / "etc/pyX/sitecustomize.py").write_text("# site\n")
    # an absolute symlink, as Debian's sitecustomize.py: it must resolve inside the root
    (lib / "sitecustomize.py").symlink_to("/etc/pyX/sitecustomize.py")
    names = ["/usr/lib/pyX/mod.py", "/usr/lib/pyX/sitecustomize.py", "/usr/lib/pyX/gone.py"]
    done = subprocess.run(
        [sys.executable, str(bytecode.WORKER), str(root), "0"],
        input="".join(n + "\n" for n in names),
        text=True,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name, source in (
        ("mod", lib / "mod.py"),
        ("sitecustomize", root / "etc/pyX/sitecustomize.py"),
    ):
        pyc = (lib / "__pycache__" / f"{name}.{TAG}.pyc").read_bytes()
        flags, mtime, size = struct.unpack("<III", pyc[4:16])
        assert flags == 0 and (mtime, size) == (int(source.stat().st_mtime), source.stat().st_size)
        code = marshal.loads(pyc[16:])
        assert code.co_filename == f"/usr/lib/pyX/{name}.py"  # the in-image path
        assert oct(os.stat(lib / "__pycache__").st_mode & 0o777) == "0o755"
    assert not (lib / "__pycache__" / f"gone.{TAG}.pyc").exists()


def test_hook_commands_pass_the_root_as_the_first_argument(tmp_path: Path) -> None:
    defer, finish = bytecode.hook_commands(tmp_path / "state dir", tmp_path / "twin", ["3.11"])
    assert '"$1"' in defer and defer.endswith("3.11") and "'" in defer  # quoted path
    assert finish.split('"$1"')[0].strip().endswith("finish")
