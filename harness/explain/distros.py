"""Every distro the harness knows, once: harness/resources/distros.toml joined with the
catalogs' rows by a stable identity.

A catalog row is a runnable image (debian-trixie-x11 is one of three rows that run Debian 13);
a known distro is a release (Debian 13), with one glibc, one end of life and the source of that
date. Rows of the official catalog are named by the identity itself; a local row is named by
its Debian suite, so debian-bullseye is debian-11. A distro no catalog runs is data only; one
whose row cannot run (CentOS 6: no usable interpreter) says why. A user catalog's row that
matches no known distro is a distro of its own, with the catalog's facts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.catalog.profiles import PROFILES
from harness.resources import load_toml

if TYPE_CHECKING:
    from harness.catalog.model import Catalog

FILE = "distros.toml"


@dataclass(frozen=True)
class KnownDistro:
    id: str  # "ubuntu-14.04"
    name: str  # "Ubuntu 14.04 LTS (trusty)"
    glibc: str  # "2.19"; "none" for musl
    eol: str  # ISO date, "rolling", or "" when not published
    eol_source: str  # where the date comes from, sources spelled out
    note: str = ""
    musl: str = ""  # the musl version of a musl distro ("" for glibc ones)


@dataclass(frozen=True)
class DistroEntry:
    """A known distro as one profile and arch see it."""

    distro: KnownDistro
    rows: tuple[str, ...]  # this profile's catalog rows that run it on this arch
    runnable: bool
    why_not: str  # "" when runnable
    catalog_glibc: str = ""  # what the rows declare, for a distro only a user catalog knows


def _source_text(text: str, sources: Mapping[str, str]) -> str:
    """ "pep600: LTS:2020-06-30" -> "mayeut/pep600_compliance ... at 2d70275 ...: LTS:2020-06-30";
    every source key the text names is spelled out."""
    key, sep, rest = text.partition(":")
    if sep and key in sources:
        text = f"{sources[key]}:{rest}"
    for name, spelled in sources.items():
        # "pep600's fedora.py", "pep600-2025 agrees": a key followed by 's or agrees
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?='s\b| agrees\b)", spelled, text)
    return text


def from_toml(data: Mapping[str, Any]) -> tuple[KnownDistro, ...]:
    sources = {str(k): str(v) for k, v in data.get("sources", {}).items()}
    return tuple(
        KnownDistro(
            id=str(row["id"]),
            name=str(row["name"]),
            glibc=str(row["glibc"]),
            eol=str(row.get("eol", "")),
            eol_source=_source_text(str(row.get("eol_source", "")), sources),
            note=str(row.get("note", "")),
            musl=str(row.get("musl", "")),
        )
        for row in data["distro"]
    )


@functools.cache
def known() -> tuple[KnownDistro, ...]:
    return from_toml(load_toml(FILE))


def row_identity(row: Mapping[str, Any], catalog: Catalog) -> str:
    """The known distro a catalog row runs: for a row bootstrapped from a Debian suite
    debian-<version>, else the row's name."""
    suite = catalog.suites.get(str(row.get("debian_suite", "")))
    if suite is not None:
        return f"debian-{suite.version.split()[0]}"
    return str(row["name"])


def entries(
    catalog: Catalog,
    profile: str,
    arch: str,
    distros: Sequence[KnownDistro] | None = None,
) -> list[DistroEntry]:
    """Each known distro once, as `profile` runs it on `arch`: runnable rows, or why not.

    A distro some catalog runs, but on other arches only, is left out (it has no image for
    this arch); a data-only distro, whose arches are not recorded, is kept."""
    distros = known() if distros is None else distros
    by_id = {d.id: d for d in distros}
    rows_here: dict[str, list[str]] = {}
    skipped: dict[str, str] = {}
    elsewhere: dict[str, list[str]] = {}  # id -> "profile row" running it, this arch
    any_arch: set[str] = set()
    declared: dict[str, tuple[str, str, str]] = {}  # id -> glibc, eol, description
    ids = {
        (str(row["profile"]), str(row["name"])): row_identity(row, catalog)
        for row in catalog.distro_rows
    }
    for prof in PROFILES:
        for distro in catalog.distros(prof):
            ident = ids[(prof, distro.name)]
            any_arch.add(ident)
            declared.setdefault(
                ident, (distro.expected_glibc, distro.eol, distro.description or distro.name)
            )
            if distro.arch.name != arch:
                continue
            if prof != profile:
                elsewhere.setdefault(ident, []).append(f"{prof} profile: {distro.name}")
            elif distro.skip_reason:
                skipped.setdefault(ident, distro.skip_reason)
            elif distro.name not in rows_here.setdefault(ident, []):
                rows_here[ident].append(distro.name)
    found = []
    ordered: list[KnownDistro] = list(distros) + [
        KnownDistro(ident, facts[2], facts[0], facts[1], "the catalog row (not in distros.toml)")
        for ident, facts in sorted(declared.items())
        if ident not in by_id
    ]
    for known_distro in ordered:
        here = tuple(rows_here.get(known_distro.id, ()))
        catalogued_elsewhere_only = known_distro.id in any_arch and not (
            here or known_distro.id in skipped or known_distro.id in elsewhere
        )
        if catalogued_elsewhere_only:
            continue  # catalogued, but not for this arch: no image of it here
        if here:
            why = ""
        elif known_distro.id in skipped:
            why = skipped[known_distro.id]
        elif known_distro.id in elsewhere:
            why = f"no {profile} catalog row ({', '.join(elsewhere[known_distro.id])})"
        else:
            why = "data only: no catalog runs it"
        found.append(DistroEntry(known_distro, here, bool(here), why))
    return found
