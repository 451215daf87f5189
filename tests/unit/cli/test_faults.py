"""Issue 14's fault suite, the cases the command line decides before any engine is asked:
each ends with its exit code and one line naming the thing and the fix (no traceback), and
leaves what an earlier run recorded where it was.

The cases that need the engine (a damaged wheel among good ones, the agent's own crash, a
hang cut short by --timeout, clean beside a live run, a killed run reported, a container that
fails to start) are in tests/integration/test_faults.py."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from harness.cli.dispatch import main
from harness.results import record as results
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, damage_wheel, make_wheel, record


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("manylinux-harness: "), err
    return err


@pytest.fixture
def earlier(tmp_path: Path) -> Path:
    """A results dir an earlier run filled: what a failing new run must not take away."""
    directory = tmp_path / "out"
    results.save(record([cell("c_plain@p", "debian-bookworm", Verdict.OK)]), directory)
    return directory


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- case 1: run --baseline BAD, found before the first image -------------------------------


@pytest.mark.parametrize(("text", "words"), [("[1]", "a JSON list"), ("{", "not valid JSON")])
def test_run_with_a_bad_baseline_stops_before_anything(
    tmp_path: Path, earlier: Path, capsys: pytest.CaptureFixture[str], text: str, words: str
) -> None:
    baseline = write(tmp_path / "baseline.json", text)
    argv = ["run", "--arch", "x86_64", "--results-dir", str(earlier), "--baseline", str(baseline)]
    assert main(argv) == 2
    err = one_line(capsys)
    assert "--baseline" in err and words in err and str(baseline) in err
    assert (earlier / "results.json").exists()  # nothing was started, nothing cleared


# -- case 5: an unusable results dir -------------------------------------------------------


def test_run_into_a_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = write(tmp_path / "file", "")
    assert main(["run", "--arch", "x86_64", "--results-dir", str(target)]) == 2
    assert "is a file, not a directory" in one_line(capsys)


def test_verify_checks_its_results_dir_before_any_wheel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The wheel does not exist either: the results dir is what is named, first.
    assert main(["verify", str(tmp_path / "x.whl"), "--results-dir", "/proc/foo"]) == 2
    assert "--results-dir /proc/foo is not usable" in one_line(capsys)


# -- case 6 (and the gate cases that held) --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[]", "holds a JSON list, not a results object"),
        ("null", "holds a JSON null"),
        ('{"schema": 1, "cells": [{"key": "k"}]}', "lacks the field 'test_id'"),
        ('{"schema": 1, "cells": 5}', "not a results record"),
        ("not json", "is not valid JSON"),
        ('{"schema": 99}', "results schema 99"),
    ],
)
def test_gate_on_what_is_not_a_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, words: str
) -> None:
    baseline = write(tmp_path / "b.json", text)
    assert main(["gate", "--baseline", str(baseline)]) == 2
    err = one_line(capsys)
    assert words in err and str(baseline) in err


# -- case 7: a killed run can be reported ----------------------------------------------------


def test_report_of_a_killed_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results.append_cell(tmp_path, "gw0", cell("c_plain@p", "debian-bookworm", Verdict.OK))
    assert main(["report", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert "rebuilt from 1 measured cell(s)" in err and "missing: " in err
    assert "c_plain@p" in out


def test_report_of_an_empty_dir_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "no results.json and no cell journal" in one_line(capsys)


# -- case 3 (pure part) and the wheel cases that held ------------------------------------------


def test_every_wheel_damaged_keeps_the_earlier_record(
    tmp_path: Path, earlier: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = make_wheel(tmp_path, "bad-1.0-py3-none-any.whl", {"bad.py": "X = 1\n"})
    damage_wheel(bad, "crc")
    argv = ["verify", str(bad), "--distro", "debian-bookworm", "--results-dir", str(earlier)]
    assert main(argv) == 2
    assert "every given wheel is damaged" in one_line(capsys)
    assert json.loads((earlier / "results.json").read_text())["cells"]  # still there


def half_zip(tmp_path: Path) -> Path:
    whole = make_wheel(tmp_path / "w", "half-1.0-py3-none-any.whl", {"half.py": "X = 1\n"})
    path = tmp_path / whole.name
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return path


@pytest.mark.parametrize(
    ("make", "extra", "words"),
    [
        (lambda d: write(d / "r-1.0-py3-none-any.whl", "random bytes"), [], "not a zip archive"),
        (half_zip, [], "not a zip archive"),
        (lambda d: d / "gone-1.0-py3-none-any.whl", [], "does not exist"),
        (lambda d: write(d / "notawheel.txt", ""), [], "is not a wheel"),
        (lambda d: d, ["--distro", "debian-potato"], "unknown distro 'debian-potato'"),
        (lambda d: d, ["--arch", "sparc"], "sparc"),
    ],
)
def test_verify_bad_input_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make, extra: list[str], words: str
) -> None:
    make_wheel(tmp_path, "fine-1.0-py3-none-any.whl", {"fine.py": "X = 1\n"})
    target = make(tmp_path)
    argv = ["verify", str(target), *extra, "--results-dir", str(tmp_path / "out")]
    assert main(argv) == 2
    assert words in one_line(capsys)


def test_verify_timeout_must_be_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["verify", "x.whl", "--timeout", "0"])
    assert exited.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_many_wheels_in_a_folder_with_spaces(tmp_path: Path) -> None:
    from harness.catalog.model import default_catalog
    from harness.verify.plan import make_plan

    folder = tmp_path / "a folder with spaces"
    for index in range(150):
        make_wheel(folder, f"p{index}-1.0-py3-none-any.whl", {f"p{index}.py": "X = 1\n"})
    plan = make_plan(
        [folder], None, "local", ["x86_64"], ["debian-bookworm"], default_catalog(), "x86_64"
    )
    # one row per wheel (issue 15), every wheel read, none damaged
    assert len(plan.wheels) == 150 and len(plan.sets) == 150 and not plan.damaged
    assert zipfile.is_zipfile(plan.wheels[0].path)
