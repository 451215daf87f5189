#!/usr/bin/env python3
"""The CI wheel cache's key, from what a run actually used (its results.json): the build
images' digests (their ids where no registry digest was recorded), cibuildwheel's version
and the wheelhouses' own keys (sample tree, flavour, image id, cibuildwheel version). Two
runs that built from the same images with the same cibuildwheel get the same key; a new
image or release gives a new one, so the cache is saved again instead of a stale one being
restored every night.

    python3 bin/wheel_cache_key.py results/x86_64-2014/results.json --prefix wheels-x86_64-2014-
    python3 bin/wheel_cache_key.py RESULTS --prefix P --prune ~/.cache/manylinux-harness/wheels

--prune first removes the wheelhouses the run did not use, so the saved cache holds exactly
what the key names. The key goes to $GITHUB_OUTPUT as `key=...` (and to stdout). A record
that is missing or names no wheelhouse gives no key: there is nothing worth saving. Standard
library only: it runs on the runner's Python, outside the harness's environment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

USED = ("built", "cached")


def determinants(record: Mapping[str, Any]) -> list[str]:
    """What determines the wheels of a run, as sorted text."""
    images = record.get("images") or {}
    parts = [
        f"image {key}={entry.get('digest') or entry.get('id') or ''}"
        for key, entry in images.items()
        if key.startswith("build:") and isinstance(entry, Mapping)
    ]
    host = record.get("host") or {}
    parts.append(f"cibuildwheel={host.get('cibuildwheel', '')}")
    parts += [
        f"wheelhouse {build.get('cache_key', '')}"
        for build in (record.get("builds") or {}).values()
        if isinstance(build, Mapping) and build.get("status") in USED
    ]
    return sorted(parts)


def wheelhouses(record: Mapping[str, Any]) -> set[str]:
    """The names of the wheelhouse directories the run's builds used."""
    return {
        Path(wheel).parent.name
        for build in (record.get("builds") or {}).values()
        if isinstance(build, Mapping) and build.get("status") in USED
        for wheel in build.get("wheels") or []
    }


def cache_key(prefix: str, record: Mapping[str, Any]) -> str:
    digest = hashlib.sha256("\n".join(determinants(record)).encode()).hexdigest()
    return f"{prefix}{digest[:24]}"


def prune(directory: Path, keep: set[str]) -> list[str]:
    """Remove the wheelhouse directories not in `keep`; the names removed."""
    removed: list[str] = []
    if not directory.is_dir():
        return removed
    for entry in sorted(directory.iterdir()):
        if entry.is_dir() and entry.name not in keep:
            shutil.rmtree(entry)
            removed.append(entry.name)
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="the run's results.json")
    parser.add_argument(
        "--prefix", required=True, help="the key's prefix, e.g. wheels-x86_64-2014-"
    )
    parser.add_argument("--prune", type=Path, help="the wheel cache directory to prune")
    args = parser.parse_args(argv)
    try:
        record = json.loads(args.results.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"wheel cache: no key, {args.results} is unreadable ({exc})")
        return 0
    keep = wheelhouses(record)
    if not keep:
        print(f"wheel cache: no key, {args.results} names no wheelhouse")
        return 0
    if args.prune is not None:
        removed = prune(args.prune.expanduser(), keep)
        print(f"wheel cache: {len(keep)} wheelhouses kept, {len(removed)} unused removed")
    key = cache_key(args.prefix, record)
    print(f"wheel cache key: {key}")
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(f"key={key}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
