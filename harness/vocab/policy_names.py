"""Policy names: PEP 600 (manylinux_2_17), legacy (manylinux2014) and musllinux (musllinux_1_2),
and the glibc floor each names. Names only: the policies' content is auditwheel's
(harness.judge.policy)."""

from __future__ import annotations

import re

from harness.errors import UsageError
from harness.vocab.legacy_policies import LEGACY_GLIBC

_PEP600 = re.compile(r"^manylinux_(\d+)_(\d+)$")
_MUSL = re.compile(r"^musllinux_(\d+)_(\d+)$")


def glibc_of(policy_name: str) -> tuple[int, int]:
    """glibc floor of a policy name, PEP 600 or legacy ("manylinux2014" -> (2, 17));
    (0, 0) for a musllinux policy, which has none."""
    name = canonical_name(policy_name)
    match = _PEP600.match(name)
    if match is None:
        return (0, 0)
    return int(match.group(1)), int(match.group(2))


def canonical_name(policy_name: str) -> str:
    """Accept "manylinux2014", "2014", "manylinux_2_28", "2_28", "manylinux1", "1"."""
    name = policy_name.strip()
    if not name.startswith("manylinux"):
        name = f"manylinux{'_' if '_' in name else ''}{name}"
    if name in LEGACY_GLIBC:
        major, minor = LEGACY_GLIBC[name]
        return f"manylinux_{major}_{minor}"
    if _PEP600.match(name) or _MUSL.match(policy_name.strip()):
        return name if _PEP600.match(name) else policy_name.strip()
    raise UsageError(
        f"unknown manylinux policy {policy_name!r}: use a PEP 600 name such as manylinux_2_28, "
        "one of manylinux1, manylinux2010, manylinux2014, or a musllinux_x_y name"
    )


def is_musl(policy_name: str) -> bool:
    return bool(_MUSL.match(policy_name.strip()))
