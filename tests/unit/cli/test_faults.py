"""The fault suites' cases the command line decides before any engine is asked (issue 14's,
then issue 24's: untrusted wheels, records, bad input): each ends with its exit code and one
line naming the thing and the fix (no traceback), and leaves what an earlier run recorded
where it was.

The cases that need the engine (a damaged wheel among good ones, the agent's own crash, a
hang cut short by --timeout, clean beside a live run, a killed run reported, a container that
fails to start; wheels over the limits in the matrix and verify, a wedged engine, a full
tmpfs, a copied cache with a truncated wheel) are in tests/integration/test_faults.py."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest

from harness.cli.dispatch import main
from harness.results import record as results
from harness.results.destination import LOCK_FILE
from harness.vocab.verdict import Verdict
from tests.helpers.factories import bomb_wheel, cell, damage_wheel, make_wheel, record


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


# == issue 24: untrusted wheels, records, bad input (the cases decided before any engine) ======


def unchanged(earlier: Path) -> bool:
    """The earlier run's record is still there, whole."""
    return [c.row for c in results.load(earlier).cells] == ["c_plain@p"]


CATALOG_RECIPES_LIST = "recipes = [1, 2]\n"
CATALOG_DISTRO_TWICE = "".join(
    f'[[distro]]\nprofile = "local"\nname = "debian-bookworm"\nrecipe = "local-distro"\n'
    f'debian_suite = "{suite}"\n'
    for suite in ("bookworm", "trixie")
)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        # a catalog whose `recipes` is a list (was: INTERNALERROR, AttributeError)
        (["run", "--catalog", "{recipes}"], "recipes must be a table of named entries"),
        (["verify", "x.whl", "--catalog", "{recipes}"], "recipes must be a table"),
        (["explain", "2014", "2_28", "--catalog", "{recipes}"], "recipes must be a table"),
        # the same distro twice in one catalog (was: the last won)
        (["run", "--catalog", "{twice}"], "distro 'debian-bookworm' again ([[distro]] #1"),
        (["verify", "x.whl", "--catalog", "{twice}"], "'debian-bookworm' again"),
        # numbers that are no numbers of that kind (was: OverflowError, accepted, 0 workers)
        (["verify", "x.whl", "--timeout", "inf"], "--timeout: 'inf' is not a number of seconds"),
        (["verify", "x.whl", "--timeout", "nan"], "--timeout: 'nan' is not a number of seconds"),
        (["run", "-j", "0"], "-j/--jobs: '0' is not a whole number of 1 or more"),
        (["run", "--emulation-factor", "-1"], "--emulation-factor: '-1' is not a finite number"),
        (["run", "--max-unpacked-mib", "0"], "--max-unpacked-mib: '0' is not a finite number"),
        (["verify", "x.whl", "--max-compression-ratio", "x"], "--max-compression-ratio: 'x'"),
        # an engine URL no engine answers to (was: accepted on an x86_64 run)
        (["run", "--engine", "aarch64=foo://x"], "'aarch64=foo://x' (--engine or MANYLINUX_HARN"),
        # a valid policy name with no image (was: "0 cells, all as expected", exit 3)
        (["run", "--policy", "manylinux_9_99"], "no build image for policy manylinux_9_99"),
        # an unusable --cache-dir (was: a traceback)
        (["run", "--cache-dir", "{file}"], "--cache-dir {file} is a file, not a directory"),
        (["verify", "x.whl", "--cache-dir", "/proc/x"], "--cache-dir /proc/x is not usable"),
        # pip's own options among the requirements (was: passed on to pip)
        (
            ["verify", "--download", "--", "--index-url=https://example.org/simple", "numpy"],
            "'--index-url=https://example.org/simple' is an option, not a requirement",
        ),
        (["verify", "--download", "numpy>=>1"], "'numpy>=>1' is not a requirement"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path,
    earlier: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    words: str,
) -> None:
    afile = write(tmp_path / "afile", "")
    names = {
        "recipes": str(write(tmp_path / "recipes.toml", CATALOG_RECIPES_LIST)),
        "twice": str(write(tmp_path / "twice.toml", CATALOG_DISTRO_TWICE)),
        "file": str(afile),
    }
    argv = [a.format(**names) for a in argv]
    if argv[0] in ("run", "verify"):
        argv += ["--results-dir", str(earlier)]
    assert exit_code(argv) == 2
    err = one_line(capsys)
    assert words.format(**names) in err, err
    assert unchanged(earlier)


def exit_code(argv: list[str]) -> int:
    """What the command line ends with: main's code, or argparse's SystemExit."""
    try:
        return main(argv)
    except SystemExit as exited:
        return int(exited.code or 0)


def test_an_engine_url_from_the_environment_is_checked_too(
    earlier: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MANYLINUX_HARNESS_ENGINES", "aarch64=foo://x")
    assert main(["verify", "x.whl", "--results-dir", str(earlier)]) == 2
    assert "is not a Docker engine URL" in one_line(capsys) and unchanged(earlier)


# -- records a user hands in: checked against results.schema.json ----------------------------


@pytest.fixture
def expected_a_string(tmp_path: Path) -> Path:
    data = record([cell("c_plain@p", "debian-bookworm", Verdict.OK)]).to_json()
    data["cells"][0]["expected"] = "installable"
    path = tmp_path / "bad" / "results.json"
    path.parent.mkdir()
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "{bad}"],
        ["gate", "--baseline", "{bad}"],
        ["gate", "--baseline", "{good}", "--candidate", "{bad}"],
        ["merge", "--output", "{out}", "{good}", "{bad}"],
        ["run", "--baseline", "{bad}", "--results-dir", "{out}"],
    ],
)
def test_a_record_with_a_wrong_field_is_one_line(
    tmp_path: Path,
    earlier: Path,
    expected_a_string: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
) -> None:
    names = {"bad": expected_a_string, "good": earlier, "out": tmp_path / "merged"}
    assert main([a.format(**names) for a in argv]) == 2
    err = one_line(capsys)
    assert f"{expected_a_string} is not a results record (cells[0].expected: is a string" in err
    assert "results.schema.json" in err
    assert not (tmp_path / "merged" / "results.json").exists() and unchanged(earlier)


def test_the_schema_describes_what_the_harness_writes(tmp_path: Path) -> None:
    """Every recorded run the tests read, and a record made here, validate; so the schema
    can reject only what the harness does not write."""
    import gzip

    from harness.util import schemas

    data = Path(__file__).parents[2] / "data"
    written = record([cell("c_plain@p", "debian-bookworm", Verdict.OK)])
    documents = [
        json.loads((data / "x86_64-results.json").read_text()),
        json.loads((data / "explain-results.json").read_text()),
        json.loads(gzip.decompress((data / "x86_64-full-results.json.gz").read_bytes())),
        json.loads(json.dumps(written.to_json())),
    ]
    for document in documents:
        assert schemas.problem(document, schemas.RESULTS_SCHEMA) is None
    assert results.parse(json.loads(json.dumps(written.to_json())), "x") == written


# -- merge and gate ----------------------------------------------------------------------------


def test_merge_of_legs_that_disagree_is_a_conflict_whatever_the_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ok = record([cell("c_plain@p", "debian-bookworm", Verdict.OK), cell("x@p", "debian-forky")])
    broke = record([cell("c_plain@p", "debian-bookworm", Verdict.VIOLATION, as_expected=False)])
    same = record([cell("x@p", "debian-forky")])
    legs = {}
    for name, leg in (("ok", ok), ("broke", broke), ("same", same)):
        results.save(leg, tmp_path / name)
        legs[name] = str(tmp_path / name)
    for order in (["ok", "broke"], ["broke", "ok"]):
        out = tmp_path / f"merged-{order[0]}"
        assert main(["merge", "--output", str(out), *(legs[n] for n in order)]) == 2
        err = one_line(capsys)
        assert (
            "the legs measured 1 cell(s) differently: c_plain@p | x86_64 | debian-bookworm" in err
        )
        assert f"{legs['ok']}: ok" in err and f"{legs['broke']}: violation (not as declared)" in err
        assert not (out / "results.json").exists()
    # The same cell measured alike in two legs is no conflict.
    assert main(["merge", "--output", str(tmp_path / "m"), legs["ok"], legs["same"]]) == 0


def test_gate_of_records_with_no_cell_in_common(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A verify record against a run record "passed" on 0 compared cells."""
    results.save(record([cell("c_plain@p", "debian-bookworm")]), tmp_path / "run")
    results.save(record([cell("numpy-2.0", "debian-bookworm")]), tmp_path / "verify")
    argv = ["gate", "--baseline", str(tmp_path / "run"), "--candidate", str(tmp_path / "verify")]
    assert main(argv) == 2
    assert "have no cell in common" in one_line(capsys)


def test_gate_markdown_to_a_path_that_cannot_be_written(
    earlier: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["gate", "--baseline", str(earlier), "--markdown", "/proc/gate.md"]
    assert main(argv) == 2
    assert "--markdown /proc/gate.md cannot be written" in one_line(capsys)


# -- a results dir is held by the run using it -------------------------------------------------


def test_a_second_run_in_a_held_results_dir_stops_naming_the_holder(
    tmp_path: Path, earlier: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two verify runs into one results dir mixed their cells: the first holds it (a process
    of its own here, as a second user's run is), the second stops before reading a wheel."""
    import subprocess
    import sys

    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from harness.results.destination import check_results_dir\n"
            "check_results_dir(Path(sys.argv[1]))\n"
            "print('held', flush=True)\n"
            "time.sleep(60)\n",
            str(earlier),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        wheel = make_wheel(tmp_path, "fine-1.0-py3-none-any.whl", {"fine.py": "X = 1\n"})
        for argv in (
            ["verify", str(wheel), "--results-dir", str(earlier)],
            ["run", "--results-dir", str(earlier)],
            ["merge", "--output", str(earlier), str(earlier)],
        ):
            assert main(argv) == 2
            err = one_line(capsys)
            assert f"{earlier} is in use by pid {holder.pid} on " in err, err
            assert "wait for that run to end, or pass another directory" in err
            assert unchanged(earlier)
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone (killed, not ended well): the directory is free again.
    out = tmp_path / "merged"
    assert main(["merge", "--output", str(earlier), str(earlier)]) == 0, capsys.readouterr()
    assert not out.exists()


# -- the new record replaces the old only once written whole ------------------------------------


def test_a_full_disk_keeps_the_earlier_record(
    tmp_path: Path, earlier: Path, capsys: pytest.CaptureFixture[str], monkeypatch
) -> None:
    """Injected: the disk fills while the new record is written (a real small tmpfs is in
    tests/integration/test_faults.py)."""
    import errno

    before = {p.name: p.read_bytes() for p in earlier.iterdir() if p.is_file()}
    results.save(record([cell("new@p", "debian-forky")]), tmp_path / "leg")
    real = Path.write_text

    def full(self: Path, *args, **kwargs):
        if self.name == "results.json" and self.parent != tmp_path / "leg":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    assert main(["merge", "--output", str(earlier), str(tmp_path / "leg")]) == 3
    err = one_line(capsys)
    assert f"cannot write the new record into {earlier} (No space left on device)" in err
    assert "the earlier record there is kept" in err
    after = {p.name: p.read_bytes() for p in earlier.iterdir() if p.name != LOCK_FILE}
    assert after == before  # nothing replaced, nothing left beside it (.tmp, scratch)


def test_report_of_a_run_that_did_not_write_its_record(
    earlier: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A later run measured cells in a dir that keeps an earlier record, then died (or the
    disk was full): `report` gives the later run's cells and says the earlier record stays."""
    results.reset(earlier)
    results.append_cell(earlier, "gw0", cell("later@p", "debian-forky", Verdict.OK))
    assert main(["report", str(earlier)]) == 0
    out, err = capsys.readouterr()
    assert "results.json older than the cells measured there" in err
    assert "later@p" in out and "c_plain@p" not in out
    assert unchanged(earlier)


# -- a zip bomb among verify's input ------------------------------------------------------------


def test_verify_of_a_zip_bomb_alone_is_bad_input(
    tmp_path: Path, earlier: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = bomb_wheel(tmp_path, "bomb-1.0-py3-none-any.whl", 16)
    argv = ["verify", str(bomb), "--distro", "debian-bookworm", "--results-dir", str(earlier)]
    assert main(argv) == 2
    err = one_line(capsys)
    assert f"{bomb}: its member data/zeros.bin declares 16.0 MiB unpacked" in err
    assert "--max-compression-ratio" in err and unchanged(earlier)


def test_a_zip_bomb_beside_good_wheels_is_an_error_row_of_its_own(tmp_path: Path) -> None:
    """Its cells are errors naming the member and its size (one per distro, as a damaged
    wheel's are); the others are verified. Limits raised, it is verified like any wheel."""
    from harness.catalog.model import default_catalog
    from harness.util.wheel_zip import MIB, WheelLimits
    from harness.verify.plan import make_plan

    make_wheel(tmp_path, "good-1.0-py3-none-any.whl", {"good.py": "X = 1\n"})
    bomb_wheel(tmp_path, "bomb-1.0-py3-none-any.whl", 16)
    distros = ["debian-bookworm", "debian-trixie"]
    plan = make_plan([tmp_path], None, "local", ["x86_64"], distros, default_catalog(), "x86_64")
    assert [w.filename for w in plan.wheels] == ["good-1.0-py3-none-any.whl"]
    ((bad, why),) = plan.damaged
    assert bad.label == "bomb-1.0" and why.startswith("its member data/zeros.bin declares 16.0")
    generous = WheelLimits(max_unpacked=64 * MIB, max_ratio=5000)
    plan = make_plan(
        [tmp_path], None, "local", ["x86_64"], distros, default_catalog(), "x86_64", limits=generous
    )
    assert len(plan.wheels) == 2 and not plan.damaged
