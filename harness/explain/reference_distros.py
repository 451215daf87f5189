"""Distros `explain` names but no catalog runs (CentOS 5, Debian 7, Ubuntu 12.04, ...): data
rows from harness/resources/reference-distros.toml, marked not runnable. They say what a policy
switch gives up beyond the runnable catalog; no verdict ever rests on them."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from harness.resources import load_toml

FILE = "reference-distros.toml"


@dataclass(frozen=True)
class ReferenceDistro:
    name: str
    glibc: str  # the release's own, e.g. "2.17"
    eol: str  # ISO date: end of the vendor's regular support
    note: str = ""


@functools.cache
def reference_distros() -> tuple[ReferenceDistro, ...]:
    return tuple(
        ReferenceDistro(
            name=str(row["name"]),
            glibc=str(row["glibc"]),
            eol=str(row["eol"]),
            note=str(row.get("note", "")),
        )
        for row in load_toml(FILE)["distro"]
    )
