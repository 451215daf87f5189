"""A project's own tests in verify's cells: which options each distro's cells get (by the
identifier of the Python that runs them: harness.verify.cibw_options), the bad input that
stops a run before anything runs, the project's copy that goes into each probe container, and
the test step's spec (verify_check.py's `test`) with cibuildwheel's placeholders filled in.
Pure but for reading and copying the project."""

from __future__ import annotations

import posixpath
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.catalog.model import Distro
from harness.errors import UsageError
from harness.util.cache import Cache, tree_hash
from harness.verify import cibw_options
from harness.verify.cibw_options import TestOptions

# Where the project's copy lies in a probe container (beside the agent, owned by root).
PROJECT_ROOT = "/opt/manylinux-harness/projects"
# What of a project is not copied: version control, virtual environments, build output.
NOT_COPIED: tuple[str, ...] = (".git", ".hg", ".tox", ".nox", ".venv", "venv", "__pycache__")
NOT_COPIED += ("build", "dist", "wheelhouse", "node_modules", ".mypy_cache", ".ruff_cache")
NOT_COPIED += (".pytest_cache",)
_PLACEHOLDER = re.compile(r"\{(project|package|wheel)\}")


@dataclass(frozen=True)
class ProjectTests:
    """What a verify run's tests are: the project (if any) and the options per identifier
    of the selected distros."""

    project: Path | None
    options: Mapping[str, TestOptions] = field(default_factory=dict)  # identifier ->

    def for_distro(self, distro: Distro) -> TestOptions | None:
        return self.options.get(distro_identifier(distro))

    @property
    def any_run(self) -> bool:
        return any(o.runs for o in self.options.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "project": str(self.project) if self.project else None,
            "options": {ident: o.to_json() for ident, o in sorted(self.options.items())},
        }


def distro_libc(distro: Distro) -> str:
    return "musl" if distro.expected_glibc == "none" else "glibc"


def distro_identifier(distro: Distro) -> str:
    """The identifier that selects the test options of a distro's cells: that of its
    Python (the catalog's), its arch and libc."""
    return cibw_options.identifier(distro.expected_python, distro.arch.name, distro_libc(distro))


def read_tests(
    project: Path | None,
    distros: Sequence[Distro],
    given: Mapping[str, str | None],
    environ: Mapping[str, str],
) -> ProjectTests | None:
    """The run's tests, or None when neither a project nor a test option was given (the
    import and --check only, as before). Bad input is a UsageError."""
    if project is None and not any(v is not None for v in given.values()):
        return None
    if project is not None and not project.is_dir():
        raise UsageError(f"--project {project} is not a directory: pass the project's directory")
    if project is None:
        if given.get("test_groups"):
            raise UsageError(
                "--test-groups names groups of a project's [dependency-groups]: pass --project DIR"
            )
        if not given.get("test_command"):
            named = ", ".join(
                "--" + key.replace("_", "-") for key, value in given.items() if value is not None
            )
            raise UsageError(f"{named} without a test command: pass --test-command or --project")
    identifiers = tuple(sorted({distro_identifier(d) for d in distros if not d.skip_reason}))
    options = cibw_options.read(project, identifiers, given, environ)
    for found in options.values():
        check(found, project)
    return ProjectTests(project.resolve() if project else None, options)


def check(options: TestOptions, project: Path | None) -> None:
    """What cibuildwheel would stop on, and what verify cannot do without a project."""
    if not options.command:
        return  # no tests here: cibuildwheel ignores the other test options too
    if project is None:
        if _PLACEHOLDER.search(options.command.replace("{wheel}", "")) or options.sources:
            raise UsageError(
                "the test command names {project}/{package} or test-sources are given, but "
                "no project: pass --project DIR"
            )
        return
    for source in options.sources:
        path = Path(source)
        if path.is_absolute() or ".." in path.parts:
            raise UsageError(
                f"test-sources {source}: not a path inside the project: name files or "
                "directories relative to the project's root"
            )
        if not (project / path).exists():
            raise UsageError(
                f"test-sources {source}: {project / path} does not exist: fix test-sources "
                "(paths relative to the project's root)"
            )


def stage_project(project: Path, cache: Cache) -> Path:
    """The project's copy (without NOT_COPIED) in a content-addressed cache directory: what
    goes into each probe container, the same bytes for every distro."""
    digest = tree_hash(project, ignore=NOT_COPIED)[:16]
    staged = cache.path("verify", "projects", f"{project.name}-{digest}")
    with cache.lock(f"project-{digest}"):
        if not staged.is_dir():
            with cache.new_entry(staged) as scratch:
                shutil.copytree(
                    project,
                    scratch / "tree",
                    symlinks=True,
                    ignore=shutil.ignore_patterns(*NOT_COPIED, "*.egg-info"),
                )
    return staged / "tree"


def container_project(staged: Path) -> str:
    """Where a staged project lies in every probe container."""
    return posixpath.join(PROJECT_ROOT, staged.parent.name)


def fill(command: str, *, project: str, wheel: str) -> str:
    """cibuildwheel's placeholders: {project} and {package} (the project's copy: the
    package directory is the project's root here), {wheel} (the wheel under test, as
    installed from); any other brace is left as written."""
    values = {"project": project, "package": project, "wheel": wheel}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], command)


def step_spec(options: TestOptions, *, project: str, wheel: str) -> dict[str, Any]:
    """The spec of verify_check.py's test step."""
    return {
        "command": fill(options.command, project=project, wheel=wheel),
        "before_test": fill(options.before_test, project=project, wheel=wheel),
        "environment": [list(pair) for pair in options.environment],
        "sources": list(options.sources),
        "project": project,
    }


def extras_suffix(options: TestOptions) -> str:
    return f"[{','.join(options.extras)}]" if options.extras else ""
