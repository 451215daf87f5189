"""`verify --static`: what the wheels' files predict, with no container. auditwheel's own
analysis (the policy their symbols satisfy, what stands between them and the policy their tags
claim) and the loader findings (an executable stack, initial-exec TLS, a grafted library needing
more than the claim), per wheel, with the distros of the catalog where each finding would break
it. Seconds per wheel; many projects at once from requirements (`--download NAME...`,
`--requirements FILE`): the newest release and the newest of older series, one wheel per
release, arch and glibc floor (harness.analysis.scan chooses), fetched from the index (PEP 691
JSON) and inspected a few at a time. bin/scan_static.py drives the same code for surveys.

Its outcome, as the other commands': 1 when a finding says a claim breaks (a symbol version or
a grafted library beyond the claimed policy, an executable stack), 3 when a wheel could not be
fetched or read (and none broke), 0 otherwise; initial-exec TLS depends on the load order and
breaks no claim by itself.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.analysis import lint, memo, scan
from harness.catalog.model import Catalog
from harness.errors import ExitCode, UsageError
from harness.util.cache import Cache
from harness.util.wheel_zip import DEFAULT_LIMITS, WheelLimits
from harness.vocab.wheel_name import WheelName

PYPI_SIMPLE = "https://pypi.org/simple"
JSON_PAGE = "application/vnd.pypi.simple.v1+json"
# auditwheel's own finding: symbol versions (or libraries) beyond the policy the tags claim
BEYOND_CLAIM = "beyond-claim"
# What breaks a claim where the finding says (the others depend on what else is loaded).
BREAKING_KINDS = (BEYOND_CLAIM, lint.EXECUTABLE_STACK, lint.GRAFTED_BEYOND_CLAIM)


@dataclass(frozen=True)
class StaticScan:
    """Every wheel looked at (scanned, skipped or failed) and the rows of its findings."""

    wheels: tuple[Mapping[str, Any], ...]
    findings: tuple[Mapping[str, Any], ...]
    seconds: float
    inspection: str  # "full" (auditwheel's analysis too) or "loader findings"
    source: Mapping[str, Any] = field(default_factory=dict)  # what was asked

    @property
    def broken(self) -> list[Mapping[str, Any]]:
        return [row for row in self.findings if row["kind"] in BREAKING_KINDS]

    @property
    def failed(self) -> list[Mapping[str, Any]]:
        return [w for w in self.wheels if w["status"] == "failed"]

    def exit_code(self) -> ExitCode:
        """A broken claim outweighs a wheel that could not be told."""
        if self.broken:
            return ExitCode.BROKEN
        if self.failed or not any(w["status"] == "scanned" for w in self.wheels):
            return ExitCode.NOT_TOLD
        return ExitCode.HELD

    def to_json(self) -> dict[str, Any]:
        return {
            **dict(self.source),
            "inspection": self.inspection,
            "seconds": round(self.seconds),
            "wheels": list(self.wheels),
            "findings": list(self.findings),
        }


# -- the index (effects) -----------------------------------------------------------------------


def fetch_page(index: str, project: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{index}/{project}/", headers={"Accept": JSON_PAGE})
    with urllib.request.urlopen(request, timeout=60) as response:
        data = json.load(response)
    if not isinstance(data, dict):
        raise ValueError(f"{index}/{project}/ is not a PEP 691 JSON page")
    return data


def download(file: scan.IndexFile, directory: Path) -> Path:
    """The file, its sha256 checked; one already there with the right digest is kept."""
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


def choose(
    requirements: Sequence[Any],
    arches: Sequence[str],
    releases: int,
    index: str,
    say: Callable[[str], None],
) -> tuple[list[scan.Chosen], list[dict[str, Any]]]:
    """The wheels of each requirement to scan (harness.analysis.scan.choose_wheels), and an
    entry for each project whose file list could not be had or that has no Linux wheel."""
    chosen: list[scan.Chosen] = []
    missing: list[dict[str, Any]] = []
    for requirement in requirements:
        try:
            page = fetch_page(index, requirement.name)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            missing.append({"project": requirement.name, "status": "failed", "error": str(exc)})
            continue
        picked = scan.choose_wheels(
            requirement.name, scan.index_files(page), requirement, arches, releases
        )
        if not picked:
            missing.append({"project": requirement.name, "status": "no-linux-wheels"})
        chosen += picked
    say(f"{len(chosen)} wheels chosen from {len(requirements)} projects")
    return chosen, missing


def given(paths: Iterable[Path]) -> list[tuple[scan.Chosen, Path]]:
    """Wheels at hand, as the scan names wheels (project, version, arch from the name)."""
    found = []
    for path in paths:
        name = WheelName.parse(path.name, str(path))
        file = scan.IndexFile(path.name, path.resolve().as_uri(), path.stat().st_size)
        arch = name.arches[0] if name.arches else ""
        found.append((scan.Chosen(name.project, name.version, arch, file), path))
    return found


# -- inspecting --------------------------------------------------------------------------------


def _inspect(
    cache_dir: str, wheel: str, arch: str, full: bool, remove: bool, limits: WheelLimits
) -> dict[str, Any]:
    """In a worker process: one wheel's inspection (a wheel over the limits is not unpacked:
    an error), then the wheel removed if it was fetched only for this."""
    path = Path(wheel)
    try:
        if full:
            return memo.inspect_wheel(Cache(Path(cache_dir)), path, arch or "x86_64", limits)
        return lint.inspect_loader(path, arch or "x86_64", limits)
    finally:
        if remove:
            path.unlink(missing_ok=True)


def entry(chosen: scan.Chosen, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "project": chosen.project,
        "version": chosen.version,
        "arch": chosen.arch,
        "wheel": chosen.file.filename,
        "bytes": chosen.file.size,
        "status": status,
        **extra,
    }


def beyond_claim_rows(chosen: scan.Chosen, inspection: Mapping[str, Any]) -> list[dict[str, Any]]:
    """auditwheel's own finding, a row per problem: what the wheel needs beyond the policy its
    tags claim (it breaks on the claimed systems that lack it)."""
    return [
        {
            "project": chosen.project,
            "version": chosen.version,
            "arch": chosen.arch,
            "wheel": chosen.file.filename,
            "kind": BEYOND_CLAIM,
            "file": "",
            "detail": str(problem),
            "breaks": "",
            "distros": [],
        }
        for problem in inspection.get("policy_problems") or ()
    ]


def inspect_all(
    fetched: Sequence[tuple[scan.Chosen, Path]],
    remote: Sequence[scan.Chosen],
    distros: Mapping[str, Mapping[str, str]],
    *,
    cache_dir: Path,
    full: bool,
    jobs: int,
    downloads: Path | None,
    say: Callable[[str], None],
    limits: WheelLimits = DEFAULT_LIMITS,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each wheel inspected in a pool of processes (auditwheel's analysis is CPU-bound): the
    wheels at hand as they are, the chosen ones of the index once downloaded (kept in
    `downloads` when given). Returns every wheel's entry and the finding rows."""
    wheels: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="mh-static-") as scratch,
        concurrent.futures.ThreadPoolExecutor(4) as fetchers,
        concurrent.futures.ProcessPoolExecutor(max(1, jobs)) as inspectors,
    ):
        where = downloads or Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        futures: dict[concurrent.futures.Future[dict[str, Any]], scan.Chosen] = {}
        for chosen, path in fetched:
            futures[
                inspectors.submit(
                    _inspect, str(cache_dir), str(path), chosen.arch, full, False, limits
                )
            ] = chosen
        for chosen in remote:
            if chosen.skipped:
                wheels.append(entry(chosen, "skipped", reason=chosen.skipped))
        pending = {fetchers.submit(download, c.file, where): c for c in remote if not c.skipped}
        for done in concurrent.futures.as_completed(pending):
            chosen = pending[done]
            try:
                path = done.result()
            except (urllib.error.URLError, OSError) as exc:
                wheels.append(entry(chosen, "failed", error=f"download: {exc}"))
                continue
            remove = downloads is None
            futures[
                inspectors.submit(
                    _inspect, str(cache_dir), str(path), chosen.arch, full, remove, limits
                )
            ] = chosen
        for number, future in enumerate(concurrent.futures.as_completed(futures), 1):
            chosen = futures[future]
            try:
                found = future.result()
            except Exception as exc:  # auditwheel's own errors: this wheel cannot be told
                wheels.append(
                    entry(chosen, "failed", error=f"inspect: {type(exc).__name__}: {exc}")
                )
                say(f"[{number}/{len(futures)}] {chosen.file.filename}: cannot inspect: {exc}")
                continue
            found_rows = beyond_claim_rows(chosen, found) + scan.finding_rows(
                chosen, found, distros.get(chosen.arch, {})
            )
            rows += found_rows
            wheels.append(
                entry(
                    chosen,
                    "scanned",
                    claimed=found.get("claimed_policy"),
                    policy=found.get("policy"),
                    findings=[r["kind"] for r in found_rows],
                )
            )
            say(
                f"[{number}/{len(futures)}] {chosen.file.filename}: "
                f"{', '.join(r['kind'] for r in found_rows) or 'no finding'}"
            )
    rows.sort(key=lambda r: (r["kind"], r["project"], r["wheel"], r["file"]))
    wheels.sort(key=lambda w: (w["project"], w.get("version", ""), w.get("wheel", "")))
    return wheels, rows


def distros_by_arch(
    catalog: Catalog, arches: Iterable[str] = scan.ARCHES
) -> dict[str, dict[str, str]]:
    """arch -> catalog distro name -> glibc, both profiles: where a finding would break."""
    found: dict[str, dict[str, str]] = {arch: {} for arch in arches}
    for profile in ("local", "official"):
        for distro in catalog.distros(profile, list(found)):
            if distro.expected_glibc and not distro.skip_reason:
                found[distro.arch.name][distro.name] = distro.expected_glibc
    return found


def run_scan(
    *,
    paths: Sequence[Path] = (),
    requirements: Sequence[Any] = (),
    catalog: Catalog,
    cache_dir: Path,
    arches: Sequence[str] = scan.ARCHES,
    releases: int = scan.RELEASES,
    index: str = PYPI_SIMPLE,
    full: bool = True,
    jobs: int = 2,
    downloads: Path | None = None,
    say: Callable[[str], None] = print,
    limits: WheelLimits = DEFAULT_LIMITS,
) -> StaticScan:
    """The wheels at hand and the requirements' chosen wheels, inspected."""
    if not paths and not requirements:
        raise UsageError(
            "nothing to scan: give wheel files or directories, or requirements "
            "(--download NAME..., --requirements FILE)"
        )
    started = time.monotonic()
    chosen, missing = (
        choose(requirements, arches, releases, index, say) if requirements else ([], [])
    )
    wheels, rows = inspect_all(
        given(paths),
        chosen,
        distros_by_arch(catalog),
        cache_dir=cache_dir,
        full=full,
        jobs=jobs,
        downloads=downloads,
        say=say,
        limits=limits,
    )
    return StaticScan(
        wheels=tuple([*missing, *wheels]),
        findings=tuple(rows),
        seconds=time.monotonic() - started,
        inspection="full" if full else "loader findings, grafted by layout",
        source={
            "given": [str(p) for p in paths],
            "requirements": [str(r) for r in requirements],
            "arches": list(arches),
            "releases": releases,
        },
    )


# -- what it says ------------------------------------------------------------------------------


def _where(row: Mapping[str, Any]) -> str:
    if row["distros"]:
        return ", ".join(row["distros"])
    if row["breaks"] == "load order":
        return "depends on what was loaded before"
    if row["kind"] == BEYOND_CLAIM:
        return "the claimed systems that lack it"
    return row["breaks"] or "-"


def markdown(result: StaticScan) -> str:
    wheels = result.wheels
    scanned = [w for w in wheels if w["status"] == "scanned"]
    counts = (
        f"{len(scanned)} wheels scanned of {len({w['project'] for w in wheels})} projects "
        f"({result.inspection}, {result.seconds:.0f} s); "
        f"{sum(1 for w in wheels if w['status'] == 'skipped')} skipped (over the size limit), "
        f"{len(result.failed)} could not be fetched or read; "
        f"{len(result.broken)} findings break a claim."
    )
    lines = [
        counts,
        "",
        "| project | wheel | claims / auditwheel | finding | distros where it would break |",
        "|---|---|---|---|---|",
    ]
    by_wheel = {w.get("wheel"): w for w in wheels}
    for row in result.findings:
        wheel = by_wheel.get(row["wheel"], {})
        claims = f"{wheel.get('claimed') or '-'} / {wheel.get('policy') or '-'}"
        lines.append(
            f"| {row['project']} {row['version']} | `{row['wheel']}` | {claims} | "
            f"{row['kind']}: {row['detail']} | {_where(row)} |"
        )
    if not result.findings:
        lines.append("| - | - | - | no finding | - |")
    for wheel in result.failed:
        lines.append(
            f"\n- could not tell `{wheel.get('wheel') or wheel['project']}`: {wheel.get('error', '')}"
        )
    return "\n".join(lines) + "\n"


def write(result: StaticScan, directory: Path, stem: str = "static") -> dict[str, Path]:
    """STEM.json (every wheel, its findings) and STEM.md (the findings table)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = {"json": directory / f"{stem}.json", "markdown": directory / f"{stem}.md"}
    written["json"].write_text(json.dumps(result.to_json(), indent=1) + "\n", encoding="utf-8")
    written["markdown"].write_text(markdown(result), encoding="utf-8")
    return written
