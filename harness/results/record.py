"""results.json: the versioned record of a run, and the per-cell records it is made of.

Cells are appended to a JSON-lines file per worker the moment they are measured, so that an
interrupted or crashed run keeps what it measured; results.json is assembled from those.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import ExitCode, HarnessError, UsageError
from harness.judge.cell import Expected
from harness.probe.observation import Observation
from harness.util import schemas
from harness.vocab.installer import DISTRO_RELEASE, Installer
from harness.vocab.verdict import Verdict

# A record gaining a field keeps the number as long as older records still load (a reader
# of an older record sees the field missing and says so).
SCHEMA_VERSION = 1
CELLS_DIR = ".cells"
STATE_DIR = ".state"
# State files a run writes as it goes (in STATE_DIR): what it selected, what it prepared,
# and each probed distro's facts; what `report` rebuilds a killed run's record from.
RUN_STATE = "run"
PREPARED_STATE = "prepared"
DISTRO_STATE_PREFIX = "distro-"
# What a run leaves in its results dir, and replaces as a whole.
OUTPUTS = ("results.json", "results.md", "results.html", "junit.xml")
# host[HOST_DEPENDENCIES]: the host-side distributions a run imported, name -> version.
HOST_DEPENDENCIES = "dependencies"
# Libraries the probe agent imports inside each container, and the DistroFacts field where the
# agent reports the version it found there (measured, not the version the host meant to ship).
PROBE_DEPENDENCY_FACTS = {"packaging": "packaging_version"}


@dataclass(frozen=True)
class MemberRecord:
    sample: str
    flavour: str
    kind: str  # sample or control
    build_image: str  # e.g. "manylinux_2_31-x86_64"
    policy: str  # canonical policy of the build image
    wheels: tuple[str, ...]  # file names
    build_status: str


@dataclass(frozen=True)
class CellRecord:
    key: str
    test_id: str
    row: str
    arch: str
    distro: str
    installer: Installer
    dlopen: str
    members: tuple[MemberRecord, ...]
    pip_version: str
    emulated: bool
    expected: Expected  # what the claim predicts, and the declared verdict
    observed: Observation  # install / load / forced / error, as the probe saw them
    verdict: Verdict
    explanation: str  # why this verdict, one line
    diagnosis: str  # the loader's or Python's words, one line ("" when there is nothing to say)
    as_expected: bool  # the verdict is the declared one, or (undeclared) the claim held
    timings: Mapping[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    worker: str = ""  # the process that probed it (xdist worker id, or "main")
    lint: Mapping[str, Any] = field(default_factory=dict)  # C++ runtime lint of its wheels
    # A violation the distro caused ("distro lacks whitelisted libX11.so.6": the wheel's policy
    # let it leave that library to the system); "" when the wheel's own or no violation.
    distro_cause: str = ""
    cpu: str = "host"  # or the CPU model its import + check ran on (harness.judge.cpu)
    # the outermost exception of the chain the diagnosis quotes the innermost of
    diagnosis_wrapper: str = ""

    @property
    def declared(self) -> str | None:
        return self.expected.declared.value if self.expected.declared else None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        data["installer"] = str(self.installer)
        data["expected"] = self.expected.to_json()
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CellRecord:
        return cls(
            key=data["key"],
            test_id=data["test_id"],
            row=data["row"],
            arch=data["arch"],
            distro=data["distro"],
            installer=Installer.parse(str(data.get("installer") or DISTRO_RELEASE)),
            dlopen=data.get("dlopen", "default"),
            members=tuple(
                MemberRecord(**{**m, "wheels": tuple(m.get("wheels", ()))}) for m in data["members"]
            ),
            pip_version=data.get("pip_version", ""),
            emulated=bool(data.get("emulated", False)),
            expected=Expected.from_json(data.get("expected") or {}),
            observed=Observation.from_json(data.get("observed") or {}),
            verdict=Verdict(data["verdict"]),
            explanation=data.get("explanation", ""),
            diagnosis=data.get("diagnosis", ""),
            as_expected=bool(data.get("as_expected", False)),
            timings=data.get("timings", {}),
            notes=tuple(data.get("notes", ())),
            worker=data.get("worker", ""),
            lint=data.get("lint", {}),
            distro_cause=data.get("distro_cause", ""),
            cpu=data.get("cpu", "host"),
            diagnosis_wrapper=data.get("diagnosis_wrapper", ""),
        )


@dataclass(frozen=True)
class RunRecord:
    schema: int
    harness_version: str
    created: str
    profile: str
    selection: Mapping[str, Any]
    host: Mapping[str, Any]
    images: Mapping[str, Any]
    builds: Mapping[str, Any]
    distros: Mapping[str, Any]
    cells: tuple[CellRecord, ...]
    interrupted: bool = False
    skipped: Mapping[str, str] = field(default_factory=dict)  # distro key -> why not probed
    wheels: Mapping[str, Any] = field(default_factory=dict)  # wheel name -> static inspection
    # installer@arch -> the installer binary a run fetched (uv: version, wheel, sha256s): they
    # float on purpose, so the record says which ran
    installers: Mapping[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        counts = Counter(cell.verdict.value for cell in self.cells)
        return {
            "cells": len(self.cells),
            **{v.value: counts.get(v.value, 0) for v in Verdict},
            "as_expected": sum(1 for c in self.cells if c.as_expected),
            "not_as_expected": sum(1 for c in self.cells if not c.as_expected),
        }

    def host_dependencies(self) -> dict[str, str] | None:
        """The host-side distributions the run imported, name -> version (see provenance);
        None for a record made before they were recorded: its provenance is unknown."""
        found = self.host.get(HOST_DEPENDENCIES)
        if not isinstance(found, Mapping):
            return None
        return {str(name): str(version) for name, version in found.items()}

    def probe_dependencies(self) -> dict[str, frozenset[str]]:
        """The libraries the probe agent imported inside the containers, with every version
        the distros' measured facts report (one, unless the run mixed probe libraries). A
        distro that could not say (an interpreter too old to import it) adds nothing."""
        versions: dict[str, set[str]] = {}
        for entry in self.distros.values():
            facts = entry.get("facts", {}) if isinstance(entry, Mapping) else {}
            for name, fact in PROBE_DEPENDENCY_FACTS.items():
                if facts.get(fact):
                    versions.setdefault(name, set()).add(str(facts[fact]))
        return {name: frozenset(found) for name, found in sorted(versions.items())}

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "harness_version": self.harness_version,
            "created": self.created,
            "profile": self.profile,
            "selection": dict(self.selection),
            "host": dict(self.host),
            "interrupted": self.interrupted,
            "summary": self.summary(),
            "images": dict(self.images),
            "builds": dict(self.builds),
            "wheels": dict(self.wheels),
            "installers": dict(self.installers),
            "distros": dict(self.distros),
            "skipped": dict(self.skipped),
            "cells": [c.to_json() for c in self.cells],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: str = "results") -> RunRecord:
        schema = data.get("schema")
        if schema != SCHEMA_VERSION:
            raise UsageError(
                f"{source} has results schema {schema!r}, this harness reads {SCHEMA_VERSION}: "
                "re-run it with this version"
            )
        return cls(
            schema=schema,
            harness_version=data.get("harness_version", ""),
            created=data.get("created", ""),
            profile=data.get("profile", ""),
            selection=data.get("selection", {}),
            host=data.get("host", {}),
            images=data.get("images", {}),
            builds=data.get("builds", {}),
            distros=data.get("distros", {}),
            cells=tuple(CellRecord.from_json(c) for c in data.get("cells", ())),
            interrupted=bool(data.get("interrupted", False)),
            skipped=data.get("skipped", {}),
            wheels=data.get("wheels", {}),
            installers=data.get("installers", {}),
        )


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


def load(path: Path) -> RunRecord:
    if path.is_dir():
        path = path / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist: pass the results.json of a run") from None
    except ValueError as exc:
        raise UsageError(
            f"{path} is not valid JSON ({exc}): pass the results.json of a run"
        ) from None
    except OSError as exc:
        raise UsageError(
            f"{path} cannot be read ({exc.strerror or exc}): pass a readable file"
        ) from None
    return parse(data, str(path))


def parse(data: Any, source: str) -> RunRecord:
    """A loaded JSON document as a record; anything else (a list, null, cells without their
    keys) is bad input named in one line, never a traceback that CI would read as a verdict."""
    if not isinstance(data, Mapping):
        kind = "null" if data is None else type(data).__name__
        raise UsageError(
            f"{source} holds a JSON {kind}, not a results object: pass the results.json of a run"
        )
    if data.get("schema") != SCHEMA_VERSION:
        RunRecord.from_json(data, source)  # says which schema it is
    wrong = schemas.problem(data, schemas.RESULTS_SCHEMA)
    if wrong is not None:
        raise UsageError(
            f"{source} is not a results record ({wrong}; see harness/resources/"
            f"{schemas.RESULTS_SCHEMA}): pass the results.json of a run"
        )
    try:
        return RunRecord.from_json(data, source)
    except KeyError as exc:
        problem = f"a cell or member lacks the field {exc.args[0]!r}"
    except (TypeError, ValueError, AttributeError) as exc:
        problem = str(exc)
    raise UsageError(
        f"{source} is not a results record ({problem}): pass the results.json of a run"
    )


def save(record: RunRecord, results_dir: Path) -> Path:
    """results.json written whole or not at all: the earlier one stays until the new one is
    complete (a full disk leaves it, and no partial file beside it)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / "results.json"
    tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(record.to_json(), indent=2), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RecordNotWritten(results_dir, exc) from exc
    return path


class RecordNotWritten(HarnessError):
    """The new record could not be written whole (a full disk): the earlier one is kept."""

    def __init__(self, results_dir: Path, error: OSError) -> None:
        super().__init__(
            f"cannot write the new record into {results_dir} ({error.strerror or error}): the "
            f"earlier record there is kept, this run's cells are in its {CELLS_DIR}/; free "
            f"space, then `manylinux-harness report {results_dir}` rebuilds this run's record"
        )


# -- incremental pieces, written while the run goes -------------------------------------------


def append_cell(results_dir: Path, worker: str, cell: CellRecord) -> None:
    directory = results_dir / CELLS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / f"{worker}.jsonl", "a", encoding="utf-8") as handle:
        handle.write(json.dumps(cell.to_json()) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def journal_newer(results_dir: Path) -> bool:
    """Whether the cell journal is newer than results.json: a later run measured cells there
    and did not get to write its record (killed, or the disk was full)."""
    record = results_dir / "results.json"
    journal = list((results_dir / CELLS_DIR).glob("*.jsonl"))
    if not journal:
        return False
    if not record.exists():
        return True
    return max(p.stat().st_mtime_ns for p in journal) > record.stat().st_mtime_ns


def read_cells(results_dir: Path) -> list[CellRecord]:
    cells: dict[str, CellRecord] = {}
    for path in sorted((results_dir / CELLS_DIR).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    data = json.loads(line)
                except ValueError:
                    continue  # a line cut short by a crash
                if schemas.problem(data, schemas.RESULTS_SCHEMA, "cell") is not None:
                    continue  # nor a cell this harness wrote
                cell = CellRecord.from_json(data)
                cells[cell.key] = cell
    return sorted(cells.values(), key=lambda c: (c.arch, c.row, c.distro, str(c.installer)))


def write_state(results_dir: Path, name: str, data: Any) -> None:
    directory = results_dir / STATE_DIR
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{name}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    tmp.replace(directory / f"{name}.json")


def read_state(results_dir: Path, name: str) -> Any | None:
    try:
        return json.loads((results_dir / STATE_DIR / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_state_dir(results_dir: Path, prefix: str) -> dict[str, Any]:
    found = {}
    for path in sorted((results_dir / STATE_DIR).glob(f"{prefix}*.json")):
        try:
            found[path.stem.removeprefix(prefix)] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return found


def reset(results_dir: Path) -> None:
    """Start a run afresh in this directory: the previous run's journal and state are
    dropped. Its record (results.json, .md, .html) stays until this run's is written whole
    (report.publish replaces the three together); its junit.xml goes now, since pytest
    writes the new one itself and verify writes none."""
    (results_dir / "junit.xml").unlink(missing_ok=True)
    for sub in (CELLS_DIR, STATE_DIR):
        directory = results_dir / sub
        if directory.is_dir():
            for path in directory.iterdir():
                path.unlink()


def verdict_counts(cells: Iterable[CellRecord]) -> Counter[str]:
    return Counter(c.verdict.value for c in cells)


def exit_code(record: RunRecord) -> ExitCode:
    """How a run (matrix, verify or merged) ends: a broken claim outweighs cells that could
    not be told, which outweigh a run that held."""
    if record.interrupted:
        return ExitCode.INTERRUPTED
    if any(not c.as_expected and c.verdict is not Verdict.ERROR for c in record.cells):
        return ExitCode.BROKEN
    if any(c.verdict is Verdict.ERROR for c in record.cells) or not record.cells:
        return ExitCode.NOT_TOLD
    return ExitCode.HELD


class MergeConflict(UsageError):
    """Legs that measured the same cell differently: which one holds is not merge's to say."""


def conflicts(records: list[RunRecord], sources: list[str]) -> list[str]:
    """Each cell two records disagree on (another verdict, or as declared in one and not in
    the other), as "KEY (SOURCE: VERDICT, SOURCE: VERDICT)", sorted by cell."""
    seen: dict[str, list[tuple[str, CellRecord]]] = {}
    for record, source in zip(records, sources, strict=True):
        for cell in record.cells:
            seen.setdefault(cell.key, []).append((source, cell))
    found = []
    for key, measured in sorted(seen.items()):
        if len({(c.verdict, c.as_expected) for _, c in measured}) > 1:
            sides = ", ".join(
                f"{source}: {c.verdict.value}{'' if c.as_expected else ' (not as declared)'}"
                for source, c in measured
            )
            found.append(f"{key} ({sides})")
    return found


def merge(records: list[RunRecord], sources: list[str] | None = None) -> RunRecord:
    """Several runs (e.g. the legs of a nightly matrix) as one record. A cell measured in
    several of them must have come out the same in each (its last measurement is kept);
    legs that disagree on a cell are a MergeConflict listing each such cell, whatever the
    order the legs are given in."""
    if not records:
        raise UsageError("merge needs at least one results.json")
    sources = sources or [f"record {index + 1}" for index in range(len(records))]
    disagree = conflicts(records, sources)
    if disagree:
        raise MergeConflict(
            f"the legs measured {len(disagree)} cell(s) differently: {'; '.join(disagree)}: "
            "merge legs of distinct cells, or re-run the cell and merge one measurement"
        )
    cells: dict[str, CellRecord] = {}
    tables: dict[str, dict[str, Any]] = {
        "images": {},
        "builds": {},
        "distros": {},
        "wheels": {},
        "skipped": {},
        "installers": {},
    }
    selection: dict[str, list[str]] = {}
    for record in records:
        for cell in record.cells:
            cells[cell.key] = cell
        for name, table in tables.items():
            table.update(getattr(record, name))
        for axis, values in record.selection.items():
            if isinstance(values, list | tuple):
                known = selection.setdefault(axis, [])
                known += [v for v in values if v not in known]
    profiles = sorted({r.profile for r in records})
    return RunRecord(
        schema=SCHEMA_VERSION,
        harness_version=records[-1].harness_version,
        created=now_iso(),
        profile=profiles[0] if len(profiles) == 1 else "+".join(profiles),
        selection={"merged_from": len(records), **selection},
        host=records[-1].host,
        images=tables["images"],
        builds=tables["builds"],
        distros=tables["distros"],
        cells=tuple(
            sorted(cells.values(), key=lambda c: (c.arch, c.row, c.distro, str(c.installer)))
        ),
        interrupted=any(r.interrupted for r in records),
        skipped=tables["skipped"],
        wheels=tables["wheels"],
        installers=tables["installers"],
    )
