"""Root filesystems from Debian's mirror with mmdebstrap (the local image source)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from harness.errors import ImageUnavailable
from harness.images import bytecode
from harness.util.interrupt import dies_with_parent, stop_process, wait_process
from harness.vocab.arch import Arch, emulation_env, host_machine

DEFAULT_MIRROR = "http://deb.debian.org/debian"
_APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
_ONE_LINE = re.compile(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)")


def _source_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in (".list", ".sources"))
        elif path.is_file():
            files.append(path)
    return files


def mirror_from_apt_sources(texts: Iterable[str]) -> str | None:
    """The Debian archive URI the host's apt uses (deb822 or one-line format).

    Only the main archive: security and updates suites of a stored mirror can be incomplete
    for foreign architectures (404s on pool files), and a bootstrap needs none of them.
    """
    for text in texts:
        # deb822 stanzas
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(
                (m.group(1).lower(), m.group(2).strip())
                for m in re.finditer(r"^(\w[\w-]*):\s*(.*)$", stanza, re.MULTILINE)
            )
            uris = fields.get("uris", "").split()
            suites = fields.get("suites", "").split()
            if uris and _is_debian_archive(uris[0], suites):
                return uris[0].rstrip("/")
        for line in text.splitlines():
            match = _ONE_LINE.match(line)
            if match and _is_debian_archive(match.group(1), [match.group(2)]):
                return match.group(1).rstrip("/")
    return None


def _is_debian_archive(uri: str, suites: Sequence[str]) -> bool:
    if "security" in uri or not uri.rstrip("/").endswith("/debian"):
        return False
    return not suites or any(not s.endswith(("-security", "-updates")) for s in suites)


def debian_mirror() -> str:
    configured = os.environ.get("MANYLINUX_HARNESS_DEBIAN_MIRROR")
    if configured:
        return configured.rstrip("/")
    texts = []
    for path in _source_files(_APT_SOURCES):
        try:
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return mirror_from_apt_sources(texts) or DEFAULT_MIRROR


EATMYDATA_HOOKS = Path("/usr/share/mmdebstrap/hooks/eatmydata")


@dataclass(frozen=True)
class Speedups:
    """What a bootstrap for an emulated arch does natively, or without waiting on the disk,
    leaving the root filesystem as it would be otherwise.

    eatmydata:        dpkg runs under eatmydata (no fsync per file; mmdebstrap's own hook,
                      which removes itself before the end);
    bytecode_twin:    the root of a native twin of the suite (harness.images.twin): the
                      maintainer scripts' byte-compilation is queued and done by its
                      interpreter (harness.images.bytecode); None: compiled as usual;
    pythons:          the pythonX.Y versions whose byte-compilation is deferred."""

    eatmydata: bool = False
    bytecode_twin: Path | None = None
    pythons: tuple[str, ...] = ()


def speedup_options(speedups: Speedups, state: Path) -> list[str]:
    options: list[str] = []
    if speedups.eatmydata:
        options.append(f"--hook-directory={EATMYDATA_HOOKS}")
    if speedups.bytecode_twin is not None and speedups.pythons:
        defer, finish = bytecode.hook_commands(state, speedups.bytecode_twin, speedups.pythons)
        options += [f"--essential-hook={defer}", f"--customize-hook={finish}"]
    return options


def mmdebstrap_command(
    suite: str,
    arch: Arch,
    packages: Sequence[str],
    mirror: str,
    output: Path,
    extra: Sequence[str] = (),
) -> list[str]:
    return [
        "mmdebstrap",
        *extra,
        "--variant=minbase",
        f"--architectures={arch.debian}",
        # mmdebstrap rejects an empty --include: a bare minbase (as the official Debian
        # images are) gets none.
        *([f"--include={','.join(sorted(packages))}"] if packages else []),
        # A stored mirror's Release files expire (testing suites carry Valid-Until).
        '--aptopt=Acquire::Check-Valid-Until "false"',
        # Smaller images: no documentation or man pages.
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-include=/usr/share/doc/*/copyright",
        suite,
        str(output),
        f"deb {mirror} {suite} main",
    ]


def bootstrap_rootfs(
    suite: str,
    arch: Arch,
    packages: Sequence[str],
    output: Path,
    log_path: Path,
    timeout: float,
    speedups: Speedups = Speedups(),
) -> None:
    """Write a root filesystem tarball of `suite` for `arch` to `output`."""
    if shutil.which("mmdebstrap") is None:
        raise ImageUnavailable(
            "mmdebstrap is not installed, the local profile needs it: "
            "run `manylinux-harness doctor --fix` (or apt-get install mmdebstrap)"
        )
    if speedups.eatmydata and not EATMYDATA_HOOKS.is_dir():
        speedups = replace(speedups, eatmydata=False)  # an mmdebstrap without the hook
    log_path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, MIRROR_ATTEMPTS + 1):
        with tempfile.TemporaryDirectory(prefix="mh-bootstrap-") as state:
            extra = speedup_options(speedups, Path(state))
            command = mmdebstrap_command(suite, arch, packages, debian_mirror(), output, extra)
            code = _run_mmdebstrap(command, suite, arch, output, log_path, timeout)
        if code == 0:
            return
        output.unlink(missing_ok=True)
        in_flux = _mirror_in_flux(log_path)
        if attempt < MIRROR_ATTEMPTS and in_flux:
            # A live mirror caught mid-sync serves indices that disagree with their Release
            # file and settles within minutes; a stored copy taken mid-sync never does (seen
            # here: trixie riscv64 and ppc64el), hence the hint below after the last try.
            time.sleep(MIRROR_RETRY_SECONDS * attempt)
            continue
        hint = f"; {MIRROR_HINT}" if in_flux else ""
        raise ImageUnavailable(
            f"mmdebstrap of {suite} {arch.debian} failed with exit {code}: "
            f"{_last_error_line(log_path)} (log: {log_path}){hint}"
        )


MIRROR_ATTEMPTS = 3
MIRROR_HINT = (
    "the mirror's index disagrees with its signed Release file: wait until it has synced, "
    "or set MANYLINUX_HARNESS_DEBIAN_MIRROR to another Debian mirror "
    "(e.g. a snapshot.debian.org/archive/debian/<date> URL)"
)
MIRROR_RETRY_SECONDS = 30
_MIRROR_IN_FLUX = ("Mirror sync in progress", "Hash Sum mismatch", "File has unexpected size")


def _mirror_in_flux(log_path: Path) -> bool:
    text = log_path.read_text(encoding="utf-8", errors="replace")
    return any(marker in text for marker in _MIRROR_IN_FLUX)


def _run_mmdebstrap(
    command: list[str], suite: str, arch: Arch, output: Path, log_path: Path, timeout: float
) -> int:
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        # mmdebstrap passes its environment down to the maintainer scripts it runs in the
        # chroot, and binfmt passes theirs to qemu-user.
        env = {**os.environ, **emulation_env(arch, host_machine(), os.environ)}
        proc = subprocess.Popen(
            dies_with_parent(command), stdout=log, stderr=subprocess.STDOUT, env=env
        )
        try:
            return wait_process(proc, timeout)
        except subprocess.TimeoutExpired:
            stop_process(proc, grace=10)
            output.unlink(missing_ok=True)
            raise ImageUnavailable(
                f"mmdebstrap of {suite} {arch.debian} did not finish within {int(timeout)} s "
                f"(log: {log_path})"
            ) from None
        except BaseException:
            stop_process(proc)
            output.unlink(missing_ok=True)
            raise


def _last_error_line(log_path: Path) -> str:
    """The line that says what went wrong: the first specific apt/mmdebstrap error (the last
    lines are generic, e.g. "E: mmdebstrap failed to run")."""
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    generic = (
        "mmdebstrap failed to run",
        "failed to download",
        "--error-on=any",
        "received signal",
    )
    errors = [line.strip() for line in lines if line.startswith(("E:", "W: Failed", "Err:"))]
    specific = [line for line in errors if not any(g in line for g in generic)]
    specific.sort(key=lambda line: not line.startswith("E:"))  # apt's summary says the most
    for line in specific or errors:
        return line[:240]
    return lines[-1].strip()[:240] if lines else "no output"
