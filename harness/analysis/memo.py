"""The static inspection of a wheel (lint.inspect_wheel), kept in the cache by content.

auditwheel's analysis of a large wheel takes as long as `auditwheel show` (pyarrow: about
40 s), and verify and the matrix ask again for the same bytes on every run. The answer
depends on the wheel's bytes, the arch asked about, the installed auditwheel (its policy
data and analysis) and this package's analysis code: the key holds all four, so an upgrade
of either re-runs it. What lddtree resolves outside the wheel comes from the host's library
paths, as `auditwheel show` on the same host: the cache is per host.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.analysis import audit, elf, lint
from harness.util.cache import Cache, file_digest, key_of

# Bumped when the record's shape of an inspection changes without a code change here.
INSPECTION_SCHEMA = 1


@functools.cache
def _analysis_code() -> str:
    digest = hashlib.sha256()
    for module in (audit, elf, lint):
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def inspection_key(wheel: Path, arch: str) -> str:
    return key_of(
        INSPECTION_SCHEMA,
        file_digest(wheel),
        arch,
        metadata.version("auditwheel"),
        _analysis_code(),
    )


def inspect_wheel(cache: Cache, wheel: Path, arch: str) -> dict[str, Any]:
    """lint.inspect_wheel's answer, from the cache when these bytes were inspected before.

    Only answers are kept: an exception (a wheel auditwheel cannot read) propagates and is
    asked again next time."""
    parts = ("inspections", f"{inspection_key(wheel, arch)}.json")
    found = cache.read_json(*parts)
    if isinstance(found, dict):
        return found
    found = lint.inspect_wheel(wheel, arch)
    cache.write_json(found, *parts)
    return found
