"""A root filesystem in a host directory, read and run from the host: its dpkg database
through the host's dpkg-query, its programs through its own dynamic loader and libraries
(no chroot, no privileges). The native twin (harness.images.twin) and the deferred
byte-compilation (harness.images.bytecode) use it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path, PurePosixPath

from harness.errors import ImageUnavailable

# Packages whose versions decide whether the twin's Python writes what the image's would.
PYTHON_PACKAGES = ("python3", "libpython3", "python3.", "python3-pip-whl", "python3-setuptools")


def dpkg_listing(root: Path) -> str:
    """`${Package}\\t${Version}` per installed package of a root filesystem, read by the
    host's dpkg-query from its database (no emulation, no parser of our own)."""
    done = subprocess.run(
        ["dpkg-query", f"--admindir={root / 'var/lib/dpkg'}", "-W", "-f=${Package}\t${Version}\n"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else ""


def python_versions(listing: str) -> dict[str, str]:
    """`dpkg-query -W -f '${Package}\\t${Version}\\n'` output, reduced to the Python packages
    (the arch qualifier dropped)."""
    found = {}
    for line in listing.splitlines():
        name, _, version = line.partition("\t")
        name = name.split(":")[0].strip()
        if name.startswith(PYTHON_PACKAGES) and version.strip():
            found[name] = version.strip()
    return found


def version_skew(image: dict[str, str], twin: dict[str, str]) -> list[str]:
    """The Python packages both have at different versions (a stored mirror can hold an arch
    a rebuild behind another, testing suites most of all)."""
    return sorted(
        f"{name} {image[name]} (twin {twin[name]})"
        for name in image.keys() & twin.keys()
        if image[name] != twin[name]
    )


def _inside(root: Path, path: str, hops: int = 0) -> Path:
    """`path` (absolute, as the root filesystem sees it) resolved within `root`: an
    absolute symlink there points into it, not at the host."""
    if hops > 40:
        raise ImageUnavailable(f"too many symlinks resolving {path} in {root}")
    current = root
    parts = PurePosixPath(path).parts[1:]
    for index, part in enumerate(parts):
        candidate = current / part
        if candidate.is_symlink():
            target = str(candidate.readlink())
            rest = "/".join(parts[index + 1 :])
            if target.startswith("/"):
                joined = target
            else:
                relative = current.relative_to(root).as_posix()
                joined = "/" + "/".join(p for p in (relative, target) if p and p != ".")
            resolved = str(PurePosixPath(joined + ("/" + rest if rest else "")))
            return _inside(root, _normalise(resolved), hops + 1)
        current = candidate
    return current


def _normalise(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def program_interpreter(binary: Path) -> str:
    from elftools.elf.elffile import ELFFile
    from elftools.elf.segments import InterpSegment

    with open(binary, "rb") as handle:
        for segment in ELFFile(handle).iter_segments():
            if isinstance(segment, InterpSegment):
                return str(segment.get_interp_name())
    raise ImageUnavailable(f"{binary} names no program interpreter")


def interpreter_command(root: Path, binary: str) -> list[str]:
    """A command that runs the root filesystem's `binary` (a path inside it, e.g. usr/bin/python3.13)
    on the host: through the twin's own dynamic loader and libraries, with PYTHONHOME at the
    root's /usr so that its standard library is the one imported."""
    executable = _inside(root, "/" + binary)
    loader = _inside(root, program_interpreter(executable))
    libraries = [
        str(directory)
        for pattern in ("usr/lib/*-linux-gnu*", "lib/*-linux-gnu*", "usr/lib", "lib")
        for directory in sorted(root.glob(pattern))
        if directory.is_dir() and not directory.is_symlink()
    ]
    env = shutil.which("env") or "/usr/bin/env"
    return [
        env,
        f"PYTHONHOME={root / 'usr'}",
        str(loader),
        "--library-path",
        ":".join(libraries),
        str(executable),
        "-B",  # leave the root's own files as they are
        "-S",
    ]
