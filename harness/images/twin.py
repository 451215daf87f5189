"""The native twin of a Debian suite: the same suite's Python for the host's own arch, which
does an emulated image's arch-independent work at native speed.

What a Python version writes that holds no machine code (bytecode, venvs of symlinks and
scripts, pure-Python packages) is the same whichever arch's interpreter writes it, as long
as it is the same version: the twin is a minimal root filesystem of the suite for a native
arch with `python3` and `python3-venv`, bootstrapped natively once per suite and kept in the
cache in two forms:

The twin's arch is one the host runs natively with the image's word size (x86_64 for aarch64,
i686 for armv7l on an x86_64 host).

    a directory   whose pythonX.Y byte-compiles an emulated bootstrap's files natively
                  (harness.images.bytecode runs it through its own dynamic loader, so no
                  chroot and no privileges are needed);
    an image      in which a recipe's portable steps run natively; the paths they write are
                  copied into the emulated image (harness.images.provider).

Either is used only where the twin's Python packages are the very versions the image has;
otherwise the work stays emulated, as it was.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ImageUnavailable
from harness.images import bootstrap
from harness.util.cache import Cache
from harness.util.engine import Engine, ImageInfo
from harness.util.ownership import IMAGE_LABEL
from harness.vocab.arch import Arch, all_arches, host_machine

PACKAGES = ("python3", "python3-venv")
SWITCH = "MANYLINUX_HARNESS_NATIVE_TWIN"  # "0": no twin, every step emulated
# Bump when what a twin holds changes without PACKAGES changing.
TWIN_SCHEMA = 1


def twin_arch(target: Arch, machine: str | None = None) -> Arch | None:
    """The arch a twin for `target` is made for: one this host runs natively, of the same word
    size (a 64-bit interpreter's venv has a lib64 link a 32-bit one's lacks), the host's own
    first; None when there is none (the work stays emulated)."""
    machine = machine or host_machine()
    native = [a for a in all_arches() if a.is_native_on(machine) and a.bits == target.bits]
    native.sort(key=lambda a: machine not in a.machines)
    return native[0] if native else None


@dataclass(frozen=True)
class Twin:
    suite: str
    arch: Arch  # the host's
    cache_dir: Path

    @property
    def key(self) -> str:
        recipe = {"schema": TWIN_SCHEMA, "suite": self.suite, "arch": self.arch.debian}
        recipe["packages"] = sorted(PACKAGES)  # type: ignore[assignment]
        text = json.dumps(recipe, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    @property
    def root(self) -> Path:
        return self.cache_dir / "twins" / f"{self.suite}-{self.arch.debian}-{self.key}"

    @property
    def rootfs_tar(self) -> Path:
        return self.root.with_name(self.root.name + ".tar")

    @property
    def tag(self) -> str:
        return f"manylinux-harness/twin-{self.suite}:{self.arch.name}-{self.key}"


def twin_for(suite: str, target: Arch, cache: Cache) -> Twin | None:
    arch = twin_arch(target)
    return Twin(suite=suite, arch=arch, cache_dir=cache.root) if arch is not None else None


def ensure_root(twin: Twin, cache: Cache, log_path: Path, timeout: float) -> Path:
    """The twin's root filesystem as a directory (bootstrapped natively when missing)."""
    with cache.lock(f"twin-{twin.suite}-{twin.arch.debian}-{twin.key}"):
        if (twin.root / "usr/bin/python3").exists() and twin.rootfs_tar.exists():
            return twin.root
        twin.root.parent.mkdir(parents=True, exist_ok=True)
        bootstrap.bootstrap_rootfs(
            twin.suite, twin.arch, PACKAGES, twin.rootfs_tar, log_path, timeout=timeout
        )
        with cache.new_entry(twin.root) as scratch:
            # Device nodes are no use to an interpreter run from outside, and need privileges.
            done = subprocess.run(
                ["tar", "-xf", str(twin.rootfs_tar), "-C", str(scratch), "--exclude=./dev/*"],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                twin.rootfs_tar.unlink(missing_ok=True)
                raise ImageUnavailable(
                    f"cannot unpack the {twin.suite} twin: {done.stderr.strip()[-200:]}"
                )
        return twin.root


def ensure_image(
    twin: Twin, engine: Engine, cache: Cache, log_path: Path, timeout: float
) -> ImageInfo:
    """The twin as an image of the host's arch (made from the cached root filesystem)."""
    found = engine.image_info(twin.tag)
    if found is not None and found.matches(twin.arch):
        return found
    ensure_root(twin, cache, log_path, timeout)
    with cache.lock(f"twin-image-{twin.key}"):
        found = engine.image_info(twin.tag)
        if found is not None and found.matches(twin.arch):
            return found
        return engine.build_from_rootfs(
            twin.rootfs_tar,
            twin.tag,
            twin.arch,
            labels={IMAGE_LABEL: "twin", f"{IMAGE_LABEL}.suite": twin.suite},
        )
