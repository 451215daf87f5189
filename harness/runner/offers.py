"""An offer's wheels in one directory, as an index serves a release's files: the installer is
given the project's name and this directory (--find-links), and picks. Content-addressed under
the wheel cache, which every probe mounts (or copies from), made once and shared by every cell
and worker."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.util.cache import Cache, file_digest, key_of


def stage_offer(cache: Cache, wheels: Sequence[Path]) -> Path:
    """The directory holding exactly these wheels (copies, by file name)."""
    names = [w.name for w in wheels]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise HarnessError(
            f"an offer holds two different wheels named {twice[0]}: an index cannot serve "
            "both; give the builds distinct names (a build tag)"
        )
    key = key_of(sorted((w.name, file_digest(w)) for w in wheels))
    directory = cache.path("wheels", f"offer-{key}")
    with cache.lock(directory.name):
        if not directory.is_dir():
            with cache.new_entry(directory) as scratch:
                for wheel in wheels:
                    shutil.copyfile(wheel, scratch / wheel.name)
    return directory
