"""explain as JSON (checked against the shipped schema) and as one self-contained HTML page:
the same figures as the text."""

from __future__ import annotations

import argparse
import datetime
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from harness.catalog.model import default_catalog
from harness.cli import explain as explain_command
from harness.errors import UsageError
from harness.explain import download_shares, pypa_images
from harness.explain.html_output import render_html
from harness.explain.json_output import SCHEMA_FILE, as_data, render_json
from harness.explain.model import Explanation
from harness.explain.policy_change import explain
from harness.explain.render import render_text
from harness.judge.installers import tag_families
from harness.resources import read_text

TODAY = datetime.date(2026, 12, 4)
PAIRS = [
    ("manylinux1", "manylinux2010"),
    ("2010", "2014"),
    ("2014", "2_28"),
    ("2_28", "2_34"),
    ("musllinux_1_1", "musllinux_1_2"),
]


def _explain(old: str, new: str, profile: str = "official") -> Explanation:
    return explain(
        old,
        new,
        default_catalog(),
        None,
        tag_families(),
        profile=profile,
        today=TODAY,
        shares=download_shares.shipped(),
        images=pypa_images.shipped(),
    )


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(read_text(SCHEMA_FILE))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(("old", "new"), PAIRS)
def test_json_follows_the_shipped_schema(old: str, new: str) -> None:
    document = json.loads(render_json(_explain(old, new)))
    errors = list(_validator().iter_errors(document))
    assert errors == [], [f"{list(e.absolute_path)}: {e.message}" for e in errors[:3]]


def test_the_schema_rejects_what_it_does_not_describe() -> None:
    document = as_data(_explain("2014", "2_28"))
    document["distros"][0]["switch"] = "maybe"
    del document["old"]["toolchain"][0]["source"]
    messages = {e.message for e in _validator().iter_errors(document)}
    assert any("'maybe' is not one of" in m for m in messages)
    assert any("'source' is a required property" in m for m in messages)


@pytest.mark.parametrize(("old", "new"), PAIRS[:4])
def test_json_carries_the_texts_figures(old: str, new: str) -> None:
    expl = _explain(old, new)
    text = render_text(expl)
    document: dict[str, Any] = json.loads(render_json(expl))
    for side in ("old", "new"):
        gcc = next(t for t in document[side]["toolchain"] if t["name"] == "gcc")
        assert gcc["version"] and f"{gcc['version']} [" in text
    shares = document["shares"]
    assert f"{shares['below_new']['percent']:.2f} % of manylinux downloads" in text
    timeline = shares["timeline"]
    series = timeline["new"]
    low, high = series["low"][-1], series["high"][-1]
    if series["exact"]:
        newest = f"{low:.2f} %"
    elif low == high:
        newest = f"{low:.2f} % (both bounds)"
    else:
        newest = f"between {low:.2f} % and {high:.2f} %"
    assert f"{newest} on {series['dates'][-1]}" in text
    for row in timeline["thresholds"]:
        latest = row["latest"]
        if latest["state"] == "crossed":
            assert latest["first"] in text
    ids = [d["id"] for d in document["distros"]]
    assert len(ids) == len(set(ids))
    assert all(f"  {i} (" in text for i in ids)


def test_html_is_one_self_contained_page_with_the_chart_and_the_table() -> None:
    expl = _explain("2014", "2_28")
    page = render_html(expl)
    assert page.startswith("<!DOCTYPE html>")
    # nothing fetched: no script, no external stylesheet, image or font
    assert "<script" not in page
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(?:src|href)\s*=""", page)
    assert "@import" not in page and "url(" not in page
    svg = re.search(r"<svg [^>]*>", page)
    assert svg is not None and 'role="img"' in svg.group(0)
    assert 'aria-label="PyPI manylinux downloads on glibc &gt;= each floor, 2024-08-07 to' in (
        svg.group(0)
    )
    assert "glibc &gt;= 2.28 (manylinux_2_28)" in page or "glibc >= 2.28 (manylinux_2_28)" in page
    rows = re.findall(r'<tr class="(lost|regained|kept|out|unknown)">', page)
    assert len(rows) == len(expl.distros)
    assert rows.count("lost") == len(expl.lost)
    assert "94.80 % on 2026-08-07" in page


def test_html_of_a_musl_switch_has_no_chart() -> None:
    page = render_html(_explain("musllinux_1_1", "musllinux_1_2"))
    assert "<svg" not in page and "alpine-3.12" in page


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    explain_command.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["explain", *argv])


def test_command_line_writes_json_and_html_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no results/ here: the shipped data only
    assert (
        explain_command.run(_parse("2014", "2_28", "--format", "json", "-o", "e.json"), TODAY) == 0
    )
    assert capsys.readouterr().out == "wrote e.json\n"
    document: dict[str, Any] = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    assert document["schema"] == "manylinux-harness/explain/1" and document["profile"] == "official"
    args = _parse("2014", "2_28", "--format", "html", "--output", "e.html", "--threshold", "93")
    assert explain_command.run(args, TODAY) == 0
    assert "93 %: " in (tmp_path / "e.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--threshold", "0"), "--threshold 0"),
        (("--threshold", "101"), "between 0 and 100"),
        (("-o", "missing-dir/e.txt"), "missing-dir/e.txt"),
    ],
)
def test_command_line_mistakes_are_one_line(
    argv: tuple[str, ...], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError, match=message) as info:
        explain_command.run(_parse("2014", "2_28", *argv), TODAY)
    assert "\n" not in str(info.value)
