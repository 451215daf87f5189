"""The dependency wheels of a project's tests, fetched on the host: what the target needs
(resolved with its markers and the extras), fetched once into the cache keyed by what
determines it, and a requirement without a wheel named, never built."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import UsageError
from harness.util.cache import Cache
from harness.util.progress import Progress
from harness.verify import dependency_supply as deps
from harness.verify.given_wheels import parse_wheel
from tests.helpers.factories import make_wheel


def local_distros(*names: str):
    return [d for d in default_catalog().distros("local", ["x86_64"]) if d.name in names]


def target(python: str = "3.9") -> deps.Target:
    return deps.Target(python, "x86_64", "glibc", (2, 31))


def test_targets_come_from_the_catalog() -> None:
    (bullseye,) = local_distros("debian-bullseye")
    found = deps.target_of(bullseye)
    assert found == deps.Target("3.9", "x86_64", "glibc", (2, 31))
    assert found.label == "cp39-manylinux_2_31_x86_64"
    platforms = found.platforms()
    assert platforms[0] == "manylinux_2_31_x86_64" and "manylinux2014_x86_64" in platforms
    assert platforms[-2:] == ("manylinux_2_5_x86_64", "manylinux1_x86_64")
    musl = deps.Target("3.12", "aarch64", "musl", (1, 2))
    assert musl.platforms() == (
        "musllinux_1_2_aarch64",
        "musllinux_1_1_aarch64",
        "musllinux_1_0_aarch64",
    )


def test_requirements_are_evaluated_for_the_target_with_the_extras(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "demo-1.0-py3-none-any.whl",
        {"demo.py": ""},
        requires=(
            "numpy>=1.20",
            'tomli; python_version < "3.11"',
            'pytest; extra == "test"',
            'uvloop; sys_platform == "win32"',
            "other-given",
        ),
    )
    other = make_wheel(tmp_path, "other_given-2.0-py3-none-any.whl", {"other_given.py": ""})
    given = [(parse_wheel(wheel), ("test",)), (parse_wheel(other), ())]
    on_39 = deps.requirements_for(target("3.9"), given, ["hypothesis", 'six; python_version>"3"'])
    assert on_39 == ("hypothesis", "numpy>=1.20", "pytest", "six", "tomli")
    on_313 = deps.requirements_for(target("3.13"), given[:1], [])
    assert "tomli" not in on_313 and "pytest" in on_313 and "other-given" in on_313
    assert deps.pins([w for w, _ in given]) == ("demo==1.0", "other-given==2.0")
    with pytest.raises(UsageError, match="test-requires"):
        deps.requirements_for(target(), [], ["not a requirement!"])


def fake_pip(index: Path, calls: list[list[str]]):
    """pip download as far as the cache needs it: copies the named wheels from `index`,
    or fails as pip does for a name it has no wheel of."""

    def run(command: list[str]) -> tuple[int, str]:
        calls.append(command)
        dest = Path(command[command.index("--dest") + 1])
        names = command[command.index("--constraint") + 2 :]
        names = [n for n in names if not n.startswith("--") and "_x86_64" not in n]
        for name in names:
            found = sorted(index.glob(f"{name.split('>')[0].split('=')[0]}-*.whl"))
            if not found:
                return 1, f"ERROR: No matching distribution found for {name}\n"
            (dest / found[0].name).write_bytes(found[0].read_bytes())
        return 0, ""

    return run


def test_a_target_is_fetched_once_and_what_its_wheels_need_is_fetched_too(tmp_path: Path) -> None:
    index = tmp_path / "index"
    make_wheel(index, "pytest-8.0-py3-none-any.whl", {}, requires=('tomli; python_version<"3.11"',))
    make_wheel(index, "tomli-2.0-py3-none-any.whl", {})
    cache = Cache(tmp_path / "cache")
    calls: list[list[str]] = []
    first = deps.fetch_target(cache, target("3.9"), ("pytest",), (), fake_pip(index, calls))
    assert first.directory is not None and first.downloaded == 2 and not first.problem
    assert sorted(p.name for p in first.directory.glob("*.whl")) == [
        "pytest-8.0-py3-none-any.whl",
        "tomli-2.0-py3-none-any.whl",
    ]
    assert len(calls) == 2  # the second round asked for tomli, which pip's markers missed
    again = deps.fetch_target(cache, target("3.9"), ("pytest",), (), fake_pip(index, calls))
    assert (again.directory, again.downloaded, len(calls)) == (first.directory, 0, 2)
    newer = deps.fetch_target(cache, target("3.13"), ("pytest",), (), fake_pip(index, calls))
    assert newer.directory != first.directory and newer.downloaded == 1


def test_a_requirement_without_a_wheel_names_itself_and_is_not_kept(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache")
    calls: list[list[str]] = []
    (tmp_path / "index").mkdir()
    got = deps.fetch_target(
        cache, target(), ("sdist-only",), (), fake_pip(tmp_path / "index", calls)
    )
    assert got.directory is None
    assert got.problem.startswith("sdist-only has no wheel for cp39-manylinux_2_31_x86_64")
    assert not list((tmp_path / "cache" / "wheels").glob("deps-*"))


def test_nothing_needed_fetches_nothing(tmp_path: Path) -> None:
    calls: list[list[str]] = []
    supplied = deps.supply(
        Cache(tmp_path),
        [target()],
        lambda t: (),
        (),
        Progress(),
        fake_pip(tmp_path, calls),
    )
    assert calls == [] and supplied.directories == () and supplied.downloaded == 0


def test_the_download_command_builds_nothing(tmp_path: Path) -> None:
    command = deps.download_command(target(), ["pytest"], tmp_path / "c.txt", tmp_path)
    assert "--only-binary=:all:" in command and command[-1] == "pytest"
    assert command[command.index("--python-version") + 1] == "3.9"
