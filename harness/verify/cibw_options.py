"""A project's test options, read the way cibuildwheel reads them: the one module behind which
the pinned cibuildwheel's reader lives (`cibuildwheel.options.compute_options(...)` ->
`Options.build_options(identifier)`), so that `[tool.cibuildwheel]`, its `overrides`, the
`CIBW_*` variables and verify's own `--test-*` options mean what cibuildwheel's documentation
says, with its order of precedence. It is internal API: tests/unit/verify/test_cibw_options.py
fails when an upgrade changes what it returns.

Which identifier selects the options: the one of the interpreter that runs the tests,
`cp<its Python>-<manylinux|musllinux>_<arch>` (debian-trixie's Python 3.13 on x86_64:
`cp313-manylinux_x86_64`). An abi3 wheel tested on several Pythons gets one identifier per
Python, so an override `select = "cp313-*"` or `test-skip = "cp39-*"` applies where that
Python runs the tests, as it would where cibuildwheel tests a wheel built for that Python.

Nothing of the project's configuration is evaluated here: the test environment is parsed
(cibuildwheel rejects what it cannot parse), and its values, `$(...)` included, are
evaluated by the shell in the probe container, as the cell's user. Verify's options become
`CIBW_*_LINUX` variables above the project's own, as environment variables stand above the
configuration file in cibuildwheel's precedence."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError

# verify's option -> cibuildwheel's option name (its CIBW_ variable's stem).
OPTION_NAMES = {
    "test_command": "test-command",
    "before_test": "before-test",
    "test_requires": "test-requires",
    "test_extras": "test-extras",
    "test_groups": "test-groups",
    "test_sources": "test-sources",
    "test_environment": "test-environment",
    "test_skip": "test-skip",
}
# Options cibuildwheel reads only without a platform suffix (env_plat=False).
_GLOBAL_ONLY = frozenset({"test-skip"})


@dataclass(frozen=True)
class TestOptions:
    """What a cell's tests are, for one identifier, in cibuildwheel's meaning of each option."""

    __test__ = False  # not a test class, whatever pytest makes of its name

    identifier: str
    command: str = ""  # "": no tests (the import and --check only)
    before_test: str = ""
    requires: tuple[str, ...] = ()  # test-requires and the test-groups' requirements
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # relative to the project
    # (name, value as written): evaluated by the container's shell, never here
    environment: tuple[tuple[str, str], ...] = ()
    skipped: bool = False  # test-skip matches the identifier

    @property
    def runs(self) -> bool:
        return bool(self.command) and not self.skipped

    def to_json(self) -> dict[str, object]:
        return {
            "identifier": self.identifier,
            "command": self.command,
            "before_test": self.before_test,
            "requires": list(self.requires),
            "extras": list(self.extras),
            "groups": list(self.groups),
            "sources": list(self.sources),
            "environment": [list(pair) for pair in self.environment],
            "skipped": self.skipped,
        }


def identifier(python: str, arch: str, libc: str = "glibc") -> str:
    """cibuildwheel's build identifier of the interpreter that runs the tests: "3.13",
    "x86_64" -> "cp313-manylinux_x86_64"."""
    parts = python.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        raise UsageError(f"no Python version to select the test options by ({python!r})")
    family = "musllinux" if libc == "musl" else "manylinux"
    return f"cp{parts[0]}{parts[1]}-{family}_{arch}"


def option_environment(given: Mapping[str, str | None]) -> dict[str, str]:
    """verify's options (by OPTION_NAMES key; None: not given) as the CIBW_* variables that
    win over the project's configuration and the user's own CIBW_* variables."""
    found: dict[str, str] = {}
    for key, value in given.items():
        if value is None:
            continue
        name = OPTION_NAMES[key]
        stem = "CIBW_" + name.upper().replace("-", "_")
        found[stem if name in _GLOBAL_ONLY else stem + "_LINUX"] = value
    return found


def read(
    project: Path | None,
    identifiers: tuple[str, ...],
    given: Mapping[str, str | None],
    environ: Mapping[str, str],
) -> dict[str, TestOptions]:
    """The test options for each identifier. With a project: its pyproject.toml's
    `[tool.cibuildwheel]` and overrides, the CIBW_* variables of `environ`, then verify's
    options; without one, verify's options alone (an unrelated project's CIBW_TEST_COMMAND
    in the environment is not this run's). Whatever cibuildwheel rejects is a UsageError."""
    if project is not None and not (project / "pyproject.toml").is_file():
        raise UsageError(
            f"--project {project}: no pyproject.toml there: pass the directory of the project "
            "cibuildwheel builds (its [tool.cibuildwheel] holds the test options)"
        )
    env = {k: v for k, v in environ.items() if k.startswith("CIBW_")} if project else {}
    env.update(option_environment(given))
    if project is None:
        with tempfile.TemporaryDirectory(prefix="mh-no-project-") as empty:
            return _read(Path(empty), identifiers, env, "verify's --test-* options")
    return _read(project.resolve(), identifiers, env, f"--project {project}")


def _read(
    package_dir: Path, identifiers: tuple[str, ...], env: dict[str, str], where: str
) -> dict[str, TestOptions]:
    # cibuildwheel's reader, imported here only: its import costs a few hundred ms.
    from cibuildwheel import errors as cibw_errors
    from cibuildwheel.options import CommandLineArguments, compute_options

    arguments = CommandLineArguments.defaults()
    arguments.platform = "linux"
    arguments.package_dir = package_dir
    found: dict[str, TestOptions] = {}
    try:
        options = compute_options("linux", arguments, env)
        selector = options.globals.test_selector
        for ident in identifiers:
            built = options.build_options(ident)
            found[ident] = TestOptions(
                identifier=ident,
                command=built.test_command or "",
                before_test=built.before_test or "",
                requires=tuple(built.test_requires),
                extras=tuple(
                    e.strip() for e in built.test_extras.strip("[]").split(",") if e.strip()
                ),
                groups=tuple(built.test_groups),
                sources=tuple(built.test_sources),
                # (the bash assignments' values as written; a raw one has its value too)
                environment=tuple(
                    (a.name, str(getattr(a, "value", "")))
                    for a in built.test_environment.assignments
                ),
                skipped=not selector(ident),
            )
    except cibw_errors.FatalError as exc:  # a BaseException: caught by name
        raise UsageError(f"{where}: cibuildwheel rejects the test options: {_line(exc)}") from None
    except Exception as exc:  # its reader's trouble with the project: a pyproject.toml
        # that is not TOML, a dependency group that is not there
        raise UsageError(
            f"{where}: cibuildwheel cannot read the test options: {_line(exc)}: fix the "
            "project's pyproject.toml or the option"
        ) from None
    return found


def _line(exc: BaseException) -> str:
    words = " ".join(str(exc).split())
    return words or type(exc).__name__
