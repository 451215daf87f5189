"""The static inspection of a wheel (lint.inspect_wheel), kept in the cache by content.

auditwheel's analysis of a large wheel takes as long as `auditwheel show` (pyarrow: about
40 s), and verify and the matrix ask again for the same bytes on every run. The key holds
everything the answer depends on: the wheel's bytes and its file name (auditwheel and the
claim read the arch, libc and tags from the name), the arch asked about, the installed
auditwheel and pyelftools, this package's code that reads them (the analysis, the policy
table, the tag logic), and the host's library cache (lddtree resolves what the wheel does
not bundle through the host's library paths, as `auditwheel show` on the same host does).
"""

from __future__ import annotations

import functools
import hashlib
from importlib import metadata
from pathlib import Path
from typing import Any

from harness.analysis import audit, elf, lint, loading
from harness.judge import expectation, policy
from harness.probe import facts
from harness.util import schemas
from harness.util.cache import Cache, file_digest, key_of
from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits, check_wheel
from harness.vocab import legacy_policies, platform_tags, policy_names, wheel_name

# Bumped when the record's shape of an inspection changes without a code change here.
INSPECTION_SCHEMA = 2
# The definition in results.schema.json a kept inspection must validate against.
INSPECTION = "inspection"


# The modules whose code shapes an inspection.
_CODE = (
    audit,
    elf,
    lint,
    loading,
    policy,
    policy_names,
    legacy_policies,
    platform_tags,
    wheel_name,
    expectation,
    facts,
)
# Where the host's loader looks: a library installed or removed changes what resolves.
LD_SO_CACHE = Path("/etc/ld.so.cache")


@functools.cache
def _analysis_code() -> str:
    digest = hashlib.sha256()
    for module in _CODE:
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()


def _host_libraries() -> str:
    return file_digest(LD_SO_CACHE) if LD_SO_CACHE.is_file() else ""


def inspection_key(wheel: Path, arch: str) -> str:
    return key_of(
        INSPECTION_SCHEMA,
        file_digest(wheel),
        wheel.name,
        arch,
        metadata.version("auditwheel"),
        metadata.version("pyelftools"),
        _analysis_code(),
        _host_libraries(),
    )


def inspect_wheel(
    cache: Cache, wheel: Path, arch: str, limits: WheelLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """lint.inspect_wheel's answer, from the cache when these bytes were inspected before and
    the kept answer is one (results.schema.json's inspection: a memo damaged, cut short or
    written by other code is inspected again and replaced).

    Only answers are kept: an exception (a wheel auditwheel cannot read, one over the limits)
    propagates and is asked again next time."""
    check_wheel(wheel, limits)
    parts = ("inspections", f"{inspection_key(wheel, arch)}.json")
    found = cache.read_json(*parts)
    if isinstance(found, dict) and memo_problem(found) is None:
        return found
    found = lint.inspect_wheel(wheel, arch, limits)
    cache.write_json(found, *parts)
    return found


def memo_problem(found: Any) -> str | None:
    """Why a kept inspection cannot be used (one line), or None."""
    if found is None:
        return "none kept"
    return schemas.problem(found, schemas.RESULTS_SCHEMA, INSPECTION)
