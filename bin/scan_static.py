"""Scan the published Linux wheels of many projects statically (no containers).

    python bin/scan_static.py REQUIREMENTS --output DIR [--arch ARCH ...] [--releases N]

For each requirement: the index's file list (PEP 691 JSON), the newest release and the newest
of older series (harness.analysis.scan.choose_wheels), one wheel per release, arch and glibc
floor, wheels over 100 MB skipped. Each is downloaded (its sha256 checked; --downloads DIR
keeps them for the next scan) and inspected: by default the loader findings alone, grafted
libraries told by auditwheel's layout (lint.inspect_loader, under a second a wheel); with
--full as the matrix inspects its own wheels (auditwheel's analysis, the C++ lint, the loader
findings; kept in the harness cache by content; numpy takes about 20 s). DIR gets scan.json (every wheel: scanned,
skipped or failed, with its findings) and scan.md (the findings table). Exit 0 when every
chosen wheel was scanned or skipped by the size rule, 3 when some could not be fetched or read,
2 for bad input.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from harness.analysis import lint, memo, scan
from harness.catalog.model import default_catalog
from harness.errors import ExitCode, UsageError
from harness.util.cache import Cache, default_cache_dir

PYPI_SIMPLE = "https://pypi.org/simple"
JSON_PAGE = "application/vnd.pypi.simple.v1+json"


def fetch_page(index: str, project: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{index}/{project}/", headers={"Accept": JSON_PAGE})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def download(file: scan.IndexFile, directory: Path) -> Path:
    target = directory / file.filename
    kept = file.sha256 and target.is_file()
    if kept and hashlib.sha256(target.read_bytes()).hexdigest() == file.sha256:
        return target
    digest = hashlib.sha256()
    with urllib.request.urlopen(file.url, timeout=300) as response, target.open("wb") as out:
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if file.sha256 and digest.hexdigest() != file.sha256:
        target.unlink()
        raise OSError(f"sha256 mismatch for {file.filename}")
    return target


def inspect(cache_dir: str, wheel: str, arch: str, full: bool, keep: bool) -> dict[str, Any]:
    """In a worker process: one wheel's inspection, then the wheel removed unless kept."""
    path = Path(wheel)
    try:
        if full:
            return memo.inspect_wheel(Cache(Path(cache_dir)), path, arch)
        return lint.inspect_loader(path, arch)
    finally:
        if not keep:
            path.unlink(missing_ok=True)


def distros_by_arch() -> dict[str, dict[str, str]]:
    """arch -> catalog distro name -> glibc, both profiles."""
    catalog = default_catalog()
    found: dict[str, dict[str, str]] = {arch: {} for arch in scan.ARCHES}
    for profile in ("local", "official"):
        for distro in catalog.distros(profile, list(scan.ARCHES)):
            if distro.expected_glibc and not distro.skip_reason:
                found[distro.arch.name][distro.name] = distro.expected_glibc
    return found


def markdown(rows: list[dict[str, Any]], wheels: list[dict[str, Any]]) -> str:
    scanned = [w for w in wheels if w["status"] == "scanned"]
    lines = [
        f"{len(scanned)} wheels scanned of {len({w['project'] for w in wheels})} projects; "
        f"{sum(1 for w in wheels if w['status'] == 'skipped')} skipped (over the size limit), "
        f"{sum(1 for w in wheels if w['status'] == 'failed')} could not be fetched or read.",
        "",
        "| project | wheel | finding | distros where it would break |",
        "|---|---|---|---|",
    ]
    for row in rows:
        where = ", ".join(row["distros"]) or (
            "depends on what was loaded before" if row["breaks"] == "load order" else row["breaks"]
        )
        lines.append(
            f"| {row['project']} {row['version']} | `{row['wheel']}` | {row['kind']}: "
            f"{row['detail']} | {where} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requirements", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--arch", action="append", choices=scan.ARCHES)
    parser.add_argument("--releases", type=int, default=scan.RELEASES)
    parser.add_argument("--index", default=PYPI_SIMPLE)
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
    requirements = scan.read_requirements(text, str(options.requirements))
    arches = tuple(options.arch or scan.ARCHES)
    distros = distros_by_arch()
    cache_dir = str(default_cache_dir())
    wheels: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="mh-scan-") as scratch,
        concurrent.futures.ThreadPoolExecutor(4) as fetchers,
        concurrent.futures.ProcessPoolExecutor(options.jobs) as inspectors,
    ):
        chosen: list[scan.Chosen] = []
        for requirement in requirements:
            try:
                page = fetch_page(options.index, requirement.name)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                wheels.append({"project": requirement.name, "status": "failed", "error": str(exc)})
                continue
            picked = scan.choose_wheels(
                requirement.name, scan.index_files(page), requirement, arches, options.releases
            )
            if not picked:
                wheels.append({"project": requirement.name, "status": "no-linux-wheels"})
            chosen += picked
        print(f"{len(chosen)} wheels chosen from {len(requirements)} projects", flush=True)
        where = options.downloads or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        keep = options.downloads is not None
        downloads = {fetchers.submit(download, c.file, where): c for c in chosen if not c.skipped}
        inspections: dict[concurrent.futures.Future[dict[str, Any]], scan.Chosen] = {}
        for c in chosen:
            if c.skipped:
                wheels.append(_entry(c, "skipped", reason=c.skipped))
        for fetched in concurrent.futures.as_completed(downloads):
            c = downloads[fetched]
            try:
                path = fetched.result()
            except (urllib.error.URLError, OSError) as exc:
                wheels.append(_entry(c, "failed", error=f"download: {exc}"))
                continue
            inspections[
                inspectors.submit(inspect, cache_dir, str(path), c.arch, options.full, keep)
            ] = c
        for number, future in enumerate(concurrent.futures.as_completed(inspections), 1):
            c = inspections[future]
            try:
                found = future.result()
            except Exception as exc:  # auditwheel's own errors: this wheel cannot be told
                wheels.append(_entry(c, "failed", error=f"inspect: {type(exc).__name__}: {exc}"))
                continue
            found_rows = scan.finding_rows(c, found, distros.get(c.arch, {}))
            rows += found_rows
            wheels.append(
                _entry(
                    c,
                    "scanned",
                    claimed=found.get("claimed_policy"),
                    policy=found.get("policy"),
                    findings=[r["kind"] for r in found_rows],
                )
            )
            print(
                f"[{number}/{len(inspections)}] {c.file.filename}: "
                f"{', '.join(r['kind'] for r in found_rows) or 'no loader finding'}",
                flush=True,
            )
    rows.sort(key=lambda r: (r["kind"], r["project"], r["wheel"], r["file"]))
    wheels.sort(key=lambda w: (w["project"], w.get("version", ""), w.get("wheel", "")))
    options.output.mkdir(parents=True, exist_ok=True)
    record = {
        "requirements": str(options.requirements),
        "arches": list(arches),
        "releases": options.releases,
        "inspection": "full" if options.full else "loader findings, grafted by layout",
        "seconds": round(time.monotonic() - started),
        "wheels": wheels,
        "findings": rows,
    }
    (options.output / "scan.json").write_text(json.dumps(record, indent=1) + "\n")
    (options.output / "scan.md").write_text(markdown(rows, wheels))
    print(f"{options.output / 'scan.md'}: {len(rows)} findings")
    return int(ExitCode.NOT_TOLD if any(w["status"] == "failed" for w in wheels) else ExitCode.HELD)


def _entry(chosen: scan.Chosen, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "project": chosen.project,
        "version": chosen.version,
        "arch": chosen.arch,
        "wheel": chosen.file.filename,
        "bytes": chosen.file.size,
        "status": status,
        **extra,
    }


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(int(ExitCode.USAGE))
