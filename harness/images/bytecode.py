"""Byte-compilation out of emulation, for root filesystems of a foreign arch.

When mmdebstrap installs Python for an arch this host emulates, most of its time goes into
the maintainer scripts' byte-compilation (pythonX.Y-minimal's and pythonX.Y's postinst and
every py3compile), each an emulated interpreter compiling hundreds of files. A .pyc does not
depend on the architecture, only on the Python version, so the compilation is moved out of
emulation instead of skipped (every interpreter start imports the standard library's .pyc):

    essential hook   `defer ROOT STATE`: for each pythonX.Y about to be installed, divert
                     /usr/lib/pythonX.Y/py_compile.py (dpkg installs the real one beside it)
                     and put harness/images/bytecode_stub.py in its place, which queues
                     every request;
    customize hook   `finish ROOT STATE TWIN`: put the real py_compile.py back, undo the
                     diversion byte for byte, then compile the queued files with the native
                     twin's pythonX.Y (harness.images.twin) when its package is the same
                     version as the image's, else under emulation as the postinst would have.

Both hooks run this module with the harness's own interpreter (`python -m
harness.images.bytecode ...`); STATE is a host directory of the bootstrap's own.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.images.rootfs import dpkg_listing, interpreter_command, python_versions

STUB = Path(__file__).with_name("bytecode_stub.py")
WORKER = Path(__file__).with_name("bytecode_worker.py")
QUEUE_DIR = "var/lib/manylinux-harness-bytecode"  # inside the root; the stub's QUEUE
QUEUE = f"{QUEUE_DIR}/queue.tsv"
DIVERSIONS = "var/lib/dpkg/diversions"
DIVERTED_SUFFIX = ".manylinux-harness-real"


@dataclass(frozen=True)
class Request:
    """Files queued for one interpreter at one level (what one py_compile call compiles)."""

    python: str  # "3.13"
    optimize: int
    source_date_epoch: str | None
    files: tuple[str, ...]


def read_queue(text: str) -> list[Request]:
    """The stub's queue (python, level, SOURCE_DATE_EPOCH or "-", file; tab-separated), as
    requests in the order they were made, consecutive files of one kind together."""
    requests: list[Request] = []
    for line in text.splitlines():
        python, optimize, epoch, name = line.split("\t", 3)
        kind = (python, int(optimize), None if epoch == "-" else epoch)
        last = requests[-1] if requests else None
        if last is not None and (last.python, last.optimize, last.source_date_epoch) == kind:
            requests[-1] = Request(*kind, files=(*last.files, name))
        else:
            requests.append(Request(*kind, files=(name,)))
    return requests


def hook_commands(state: Path, twin_root: Path, versions: Sequence[str]) -> tuple[str, str]:
    """mmdebstrap's --essential-hook and --customize-hook (each gets the root as $1)."""
    run = [sys.executable, "-m", "harness.images.bytecode"]
    defer = shlex.join([*run, "defer"]) + ' "$1" ' + shlex.join([str(state), *versions])
    finish = shlex.join([*run, "finish"]) + ' "$1" ' + shlex.join([str(state), str(twin_root)])
    return defer, finish


def _py_compile(version: str) -> str:
    return f"usr/lib/python{version}/py_compile.py"


def diversion_lines(version: str) -> str:
    """A local diversion, in dpkg's database format (from, to, ':' for local)."""
    path = "/" + _py_compile(version)
    return f"{path}\n{path}{DIVERTED_SUFFIX}\n:\n"


def _without(text: str, lines: str) -> str:
    """The diversions database `text` without the triples in `lines` (dpkg rewrites the
    file as packages add their own diversions meanwhile, so the bytes are not restored
    from before: only what was added is taken out)."""
    ours = lines.splitlines()
    entries = text.splitlines()
    kept: list[str] = []
    for start in range(0, len(entries) - len(entries) % 3, 3):
        triple = entries[start : start + 3]
        if not any(triple == ours[i : i + 3] for i in range(0, len(ours), 3)):
            kept += triple
    return "".join(line + "\n" for line in kept)


def defer(root: Path, state: Path, versions: Sequence[str]) -> None:
    """Before the remaining packages are installed (none of them is unpacked yet)."""
    created = []
    for version in versions:
        directory = root / _py_compile(version)
        for parent in reversed(directory.parents):
            if parent.is_relative_to(root) and not parent.exists():
                created.append(str(parent.relative_to(root)))
    diversions = root / DIVERSIONS
    state.mkdir(parents=True, exist_ok=True)
    record = {"versions": list(versions), "created": created, "existed": diversions.exists()}
    (state / "deferred.json").write_text(json.dumps(record), encoding="utf-8")
    with open(diversions, "a", encoding="utf-8") as handle:
        for version in versions:
            handle.write(diversion_lines(version))
    for version in versions:
        stub = root / _py_compile(version)
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_bytes(STUB.read_bytes())
        stub.chmod(0o644)


def _undefer(root: Path, state: Path) -> list[str]:
    """Put the real py_compile.py back and take the diversions out of dpkg's database (and
    of its backup, diversions-old, which dpkg wrote while they were in); returns the versions
    that were installed (a deferred one the packages did not bring leaves nothing behind:
    its stub and the directories made for it go)."""
    recorded = json.loads((state / "deferred.json").read_text(encoding="utf-8"))
    installed = []
    for version in recorded["versions"]:
        stub = root / _py_compile(version)
        real = stub.with_name(stub.name + DIVERTED_SUFFIX)
        if real.exists():
            real.replace(stub)
            installed.append(version)
        else:
            stub.unlink(missing_ok=True)
    for relative in reversed(recorded["created"]):
        directory = root / relative
        if directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
    ours = "".join(diversion_lines(version) for version in recorded["versions"])
    for name in (DIVERSIONS, DIVERSIONS + "-old"):
        path = root / name
        if not path.exists():
            continue
        kept = _without(path.read_text(encoding="utf-8"), ours)
        if kept or name != DIVERSIONS or recorded["existed"]:
            path.write_text(kept, encoding="utf-8")
        else:
            path.unlink()
    return installed


def twin_python(twin_root: Path, root: Path, version: str) -> list[str] | None:
    """The twin's pythonX.Y as a command, when it is the very version the image installed;
    None (compile under emulation) otherwise."""
    package = f"libpython{version}-minimal"
    wanted = python_versions(dpkg_listing(root)).get(package, "")
    have = python_versions(dpkg_listing(twin_root)).get(package, "")
    if not wanted or wanted != have:
        print(
            f"bytecode: the twin has {package} {have or 'nothing'}, the image {wanted}: "
            "compiling under emulation",
            file=sys.stderr,
        )
        return None
    return interpreter_command(twin_root, f"usr/bin/python{version}")


def compile_requests(root: Path, twin_root: Path, requests: Sequence[Request]) -> int:
    """Compile every request; returns how many files were compiled under emulation."""
    emulated = 0
    commands: dict[str, list[str] | None] = {}
    for request in requests:
        if not request.files:
            continue
        if request.python not in commands:
            commands[request.python] = twin_python(twin_root, root, request.python)
        native = commands[request.python]
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C.UTF-8"}
        if request.source_date_epoch is not None:
            env["SOURCE_DATE_EPOCH"] = request.source_date_epoch
        if native is not None:
            command = [*native, str(WORKER), str(root), str(request.optimize)]
            stdin = "".join(name + "\n" for name in request.files)
        else:
            # What the maintainer script would have run, in the image, emulated.
            command = ["chroot", str(root), f"/usr/bin/python{request.python}", "-E", "-S"]
            command += ["-O"] * request.optimize
            command += [f"/usr/lib/python{request.python}/py_compile.py", *request.files]
            stdin = ""
            emulated += len(request.files)
        done = subprocess.run(command, input=stdin, text=True, env=env, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"byte-compiling {len(request.files)} file(s) for python{request.python} "
                f"failed with exit {done.returncode}"
            )
    return emulated


def finish(root: Path, state: Path, twin_root: Path) -> int:
    versions = _undefer(root, state)
    queue = root / QUEUE
    requests = []
    if queue.exists():
        requests = read_queue(queue.read_text(encoding="utf-8"))
        queue.unlink()
    if (root / QUEUE_DIR).exists():
        (root / QUEUE_DIR).rmdir()
    emulated = compile_requests(root, twin_root, requests)
    files = sum(len(r.files) for r in requests)
    print(
        f"bytecode: python {' '.join(versions) or '(none installed)'}: {files} queued file(s), "
        f"{files - emulated} compiled natively, {emulated} under emulation"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.images.bytecode")
    sub = parser.add_subparsers(dest="step", required=True)
    defer_parser = sub.add_parser("defer")
    defer_parser.add_argument("root", type=Path)
    defer_parser.add_argument("state", type=Path)
    defer_parser.add_argument("versions", nargs="*")
    finish_parser = sub.add_parser("finish")
    finish_parser.add_argument("root", type=Path)
    finish_parser.add_argument("state", type=Path)
    finish_parser.add_argument("twin", type=Path)
    args = parser.parse_args(argv)
    if args.step == "defer":
        defer(args.root, args.state, args.versions)
        print(f"bytecode: py_compile deferred for python {' '.join(args.versions)}")
        return 0
    return finish(args.root, args.state, args.twin)


if __name__ == "__main__":
    sys.exit(main())
