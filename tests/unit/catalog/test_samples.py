from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

import pytest

from harness import cli
from harness.catalog.samples import default_samples_dir, discover, load_sample
from harness.cli import dispatch
from harness.cli import run as run_command
from harness.errors import ExitCode, UsageError
from harness.results import record as results
from harness.util.cache import Cache, tree_hash
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, record


def _project(tmp_path: Path, toml: str, check: bool = True) -> Path:
    project = tmp_path / "p"
    project.mkdir(parents=True)
    (project / "sample.toml").write_text(toml)
    if check:
        (project / "check.py").write_text("pass\n")
    return project


def test_every_shipped_sample_loads_and_has_a_check() -> None:
    samples = discover(default_samples_dir())
    assert {"c_plain", "glibc_control"} <= {s.name for s in samples}
    for sample in samples:
        assert sample.check_path.is_file()
        assert sample.imports
        assert (sample.path / "pyproject.toml").is_file()


def test_bad_sample_metadata_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown expect condition 'distro_glib'"):
        load_sample(_project(tmp_path, 'name="x"\n[[expect]]\nverdict="ok"\ndistro_glib=">2"\n'))
    with pytest.raises(UsageError, match="verdict = one of"):
        load_sample(_project(tmp_path / "b", 'name="x"\n[[expect]]\nverdict="fine"\n'))
    with pytest.raises(UsageError, match="check script check.py does not exist"):
        load_sample(_project(tmp_path / "c", 'name="x"\n', check=False))
    with pytest.raises(UsageError, match="not valid TOML"):
        load_sample(_project(tmp_path / "d", "name = \n"))


def test_unknown_sample_name(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown sample 'nope'"):
        discover(default_samples_dir(), ["nope"])


def test_tree_hash_tracks_content_not_build_debris(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.c").write_text("int x;")
    first = tree_hash(tmp_path)
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "junk.o").write_text("junk")
    assert tree_hash(tmp_path) == first
    (tmp_path / "src" / "a.c").write_text("int y;")
    assert tree_hash(tmp_path) != first


def test_new_entry_appears_only_on_success(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    final = tmp_path / "wheels" / "entry"
    with pytest.raises(RuntimeError), cache.new_entry(final) as scratch:
        (scratch / "half.whl").write_text("x")
        raise RuntimeError("build died")
    assert not final.exists() and list((tmp_path / "wheels").iterdir()) == []
    with cache.new_entry(final) as scratch:
        (scratch / "whole.whl").write_text("x")
    assert (final / "whole.whl").exists()


def test_lock_serialises(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    order: list[str] = []

    def hold() -> None:
        with cache.lock("k"):
            order.append("a-in")
            time.sleep(0.3)
            order.append("a-out")

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.1)
    with cache.lock("k"):
        order.append("b")
    thread.join()
    assert order == ["a-in", "a-out", "b"]


def _args(**kw: object) -> argparse.Namespace:
    """`run`'s arguments as the real parser (the one options table) makes them."""
    argv = ["run", "--arch", "aarch64", "--distro", "debian-trixie", "--results-dir", "res"]
    args = dispatch.build_parser().parse_args([*argv, "--", "-x"])
    vars(args).update(kw)
    return args


def test_run_is_the_pytest_matrix() -> None:
    argv = run_command.pytest_arguments(_args())
    assert argv[0].endswith("harness/matrix/cells.py")
    assert argv[argv.index("--profile") : argv.index("--profile") + 2] == ["--profile", "local"]
    assert "--arch" in argv and "aarch64" in argv and "debian-trixie" in argv
    assert argv[argv.index("-n") : argv.index("-n") + 4] == ["-n", "2", "--dist", "loadgroup"]
    assert argv[-1] == "-x"
    assert "no:xdist" in run_command.pytest_arguments(_args(jobs=1))


def test_run_exit_status_separates_the_three_outcomes() -> None:
    held = record(
        [cell("a", "d", Verdict.OK), cell("b", "d", Verdict.VIOLATION, declared="violation")]
    )
    assert results.exit_code(held) == ExitCode.HELD
    broken = record(
        [
            cell("a", "d", Verdict.VIOLATION, as_expected=False),
            cell("b", "d", Verdict.ERROR, as_expected=False),
        ]
    )
    assert results.exit_code(broken) == ExitCode.BROKEN
    not_told = record(
        [cell("a", "d", Verdict.OK), cell("b", "d", Verdict.ERROR, as_expected=False)]
    )
    assert results.exit_code(not_told) == ExitCode.NOT_TOLD
    assert results.exit_code(record([])) == ExitCode.NOT_TOLD
    assert (
        results.exit_code(record([cell("a", "d", Verdict.OK)], interrupted=True))
        == ExitCode.INTERRUPTED
    )


def test_cli_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["report", "/nonexistent/results.json"]) == ExitCode.USAGE
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "does not exist" in err


def test_applies_is_checked_and_read(tmp_path: Path) -> None:
    sample = load_sample(
        _project(tmp_path, 'name="x"\n[applies]\narches=["x86_64"]\nlibc=["glibc"]\nwhy="v3"\n')
    )
    assert sample.applies.to("x86_64", "manylinux")
    assert not sample.applies.to("aarch64", "manylinux")
    assert not sample.applies.to("x86_64", "musllinux")
    everywhere = load_sample(_project(tmp_path / "e", 'name="x"\n'))
    assert everywhere.applies.to("riscv64", "musllinux")
    with pytest.raises(UsageError, match="unknown arch 'arm64'"):
        load_sample(_project(tmp_path / "b", 'name="x"\n[applies]\narches=["arm64"]\n'))
    with pytest.raises(UsageError, match="unknown libc 'uclibc'"):
        load_sample(_project(tmp_path / "c", 'name="x"\n[applies]\nlibc=["uclibc"]\n'))
    with pytest.raises(UsageError, match="unknown key 'arch'"):
        load_sample(_project(tmp_path / "d", 'name="x"\n[applies]\narch=["x86_64"]\n'))


OFFERED = """name = "x"
[[flavour]]
name = "a"
[[flavour]]
name = "b"
alone = false
[[offer]]
name = "both"
members = [{ flavour = "a", build = "newest" }, { flavour = "b", build = "all" }]
[[offer.expect]]
verdict = "ok"
flavour = "b"
"""


def test_offers_are_read_and_checked(tmp_path: Path) -> None:
    sample = load_sample(_project(tmp_path, OFFERED))
    (offer,) = sample.offers
    assert offer.name == "both" and [(m.flavour, m.build) for m in offer.members] == [
        ("a", "newest"),
        ("b", "all"),
    ]
    assert offer.expect[0].conditions == {"flavour": "b"}
    assert [f.alone for f in sample.flavours] == [True, False]
    bad = {
        "unknown flavour 'c'": OFFERED.replace('flavour = "b", build', 'flavour = "c", build'),
        "members need build": OFFERED.replace('build = "all"', 'build = "each"'),
        "at least two wheels": OFFERED.replace(', { flavour = "b", build = "all" }', "").replace(
            "alone = false\n", ""
        ),
        "has alone = false but no": OFFERED.replace('flavour = "b", build', 'flavour = "a", build'),
        "offer names must be unique": OFFERED
        + '[[offer]]\nname = "both"\nmembers = [{ flavour = "b", build = "all" }]\n',
        "needs a name": OFFERED.replace('name = "both"', 'title = "both"'),
    }
    for number, (message, text) in enumerate(bad.items()):
        with pytest.raises(UsageError, match=message):
            load_sample(_project(tmp_path / str(number), text))
