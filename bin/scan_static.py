"""Scan the published Linux wheels of many projects statically (no containers).

    python bin/scan_static.py REQUIREMENTS --output DIR [--arch ARCH ...] [--releases N]

The survey side of `manylinux-harness verify --static` (harness.verify.static, the same code):
for each requirement the index's file list (PEP 691 JSON), the newest release and the newest
of older series (harness.analysis.scan.choose_wheels), one wheel per release, arch and glibc
floor, wheels over 100 MB skipped. Each is downloaded (its sha256 checked; --downloads DIR
keeps them for the next scan) and inspected: by default the loader findings alone, grafted
libraries told by auditwheel's layout (lint.inspect_loader, under a second a wheel); with
--full as verify --static and the matrix inspect wheels (auditwheel's analysis too, kept in
the harness cache by content; numpy takes about 20 s). DIR gets scan.json (every wheel:
scanned, skipped or failed, with its findings) and scan.md (the findings table). A survey, not
a verdict: exit 0 when every chosen wheel was scanned or skipped by the size rule, 3 when some
could not be fetched or read, 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.analysis import scan
from harness.catalog.model import default_catalog
from harness.errors import ExitCode, UsageError
from harness.util.cache import default_cache_dir
from harness.verify import static


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requirements", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--arch", action="append", choices=scan.ARCHES)
    parser.add_argument("--releases", type=int, default=scan.RELEASES)
    parser.add_argument("--index", default=static.PYPI_SIMPLE)
    parser.add_argument("--jobs", type=int, default=2, help="inspections at once")
    parser.add_argument("--full", action="store_true", help="auditwheel's whole analysis too")
    parser.add_argument("--downloads", type=Path, help="keep the wheels here, and reuse them")
    options = parser.parse_args(argv)
    try:
        text = options.requirements.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"cannot read {options.requirements} ({exc.strerror}): name a file"
        ) from None
    result = static.run_scan(
        requirements=scan.read_requirements(text, str(options.requirements)),
        catalog=default_catalog(),
        cache_dir=default_cache_dir(),
        arches=tuple(options.arch or scan.ARCHES),
        releases=options.releases,
        index=options.index,
        full=options.full,
        jobs=options.jobs,
        downloads=options.downloads,
        say=lambda line: print(line, flush=True),
    )
    written = static.write(result, options.output, stem="scan")
    print(f"{written['markdown']}: {len(result.findings)} findings")
    return int(ExitCode.NOT_TOLD if result.failed else ExitCode.HELD)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(int(ExitCode.USAGE))
