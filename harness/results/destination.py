"""Where a run writes: checked before anything runs, so that an unusable results dir costs
one line and exit 2, not a probed distro and a traceback at the end."""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import UsageError


def check_results_dir(path: Path, option: str = "--results-dir") -> Path:
    """Create the directory if missing and prove it writable; returns it resolved."""
    path = path.expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise UsageError(
            f"{option} {path} is a file, not a directory: pass a directory (created if missing)"
        )
    probe = path / f".write-test.{os.getpid()}"
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"{option} {path} is not usable ({exc.strerror or exc}): "
            "pass a directory you can write to"
        ) from None
    return path
