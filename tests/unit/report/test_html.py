"""The HTML renderer: every cell expandable with its verdict's class, the filters' inputs and
the attributes the script filters on, escaping of everything the record says, no network
reference, and the stylesheet and script inlined from the package's files."""

from __future__ import annotations

import dataclasses
import gzip
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import harness.report
from harness.report import render_html
from harness.report.model import NOT_MEASURED
from harness.results import record as results
from harness.vocab.toolchain import TOOLCHAIN
from harness.vocab.verdict import Verdict
from tests.helpers import DATA_DIR, factories
from tests.helpers.factories import member
from tests.unit.report.dom import Node, parse

DATA = DATA_DIR
STATIC = Path(harness.report.__file__).parent / "static"


# -- records built in code ------------------------------------------------------------------


# What the HTML tests look at: an install that was accepted and a load that passed.
LOADED = {
    "install": {"decision": "accepted", "exit_code": 0, "reason": "Installed"},
    "load": {"status": "passed", "exit_code": 0, "signal": None, "output": "fine"},
}


def cell(
    row: str = "c_plain@manylinux_2_31",
    distro: str = "debian-bookworm",
    verdict: Verdict = Verdict.OK,
    **changes: Any,
) -> results.CellRecord:
    defaults: dict[str, Any] = {
        "expected": {"installable": True, "reason": "fits"},
        "observed": LOADED,
        "timings": {"total": 1.5},
    }
    return factories.cell(row, distro, verdict, **{**defaults, **changes})


def run_record(cells: list[results.CellRecord], **changes: Any) -> results.RunRecord:
    base = results.RunRecord(
        schema=results.SCHEMA_VERSION,
        harness_version="9.9.9",
        created="2026-01-02T03:04:05+00:00",
        profile="local",
        selection={},
        host={},
        images={},
        builds={},
        distros={
            "debian-bookworm-x86_64": {
                "eol": "2028-06-30",
                "facts": {"glibc": "2.36", "python_version": "3.11.2", "pip_version": "23.0.1"},
            }
        },
        cells=tuple(cells),
    )
    return dataclasses.replace(base, **changes)


@pytest.fixture(scope="module")
def fixture_record() -> results.RunRecord:
    return results.load(DATA / "x86_64-results.json")


@pytest.fixture(scope="module")
def fixture_html(fixture_record: results.RunRecord) -> str:
    return render_html(fixture_record)


@pytest.fixture(scope="module")
def fixture_dom(fixture_html: str) -> Node:
    return parse(fixture_html)


# -- the fixture run -------------------------------------------------------------------------


def test_every_cell_is_an_expandable_element_with_its_verdict_class(
    fixture_record: results.RunRecord, fixture_dom: Node
) -> None:
    tds = fixture_dom.find_all("td", "cell")
    assert len(tds) == len(fixture_record.cells)
    for record_cell in fixture_record.cells:
        (td,) = [t for t in tds if t.attrs["data-key"] == record_cell.key]
        assert f"v-{record_cell.verdict.value}" in td.classes
        assert td.attrs["data-distro"] == record_cell.distro
        (details,) = [c for c in td.children if c.tag == "details"]
        assert details.children[0].tag == "summary"
        assert record_cell.verdict.value in details.children[0].all_text()
    verdicts = {c.verdict.value for c in fixture_record.cells}
    assert {"ok", "violation", "refused-as-claimed"} <= verdicts
    for verdict in verdicts:
        assert fixture_dom.find_all("td", f"v-{verdict}")


def test_not_as_expected_cells_carry_a_visible_mark(
    fixture_record: results.RunRecord, fixture_dom: Node
) -> None:
    unexpected = fixture_dom.find_all("td", "unexpected")
    assert len(unexpected) == fixture_record.summary()["not_as_expected"] > 0
    for td in unexpected:
        assert td.find_all("span", "mark")
    expected_ok = [
        td for td in fixture_dom.find_all("td", "cell") if "unexpected" not in td.classes
    ]
    assert all(not td.find_all("span", "mark") for td in expected_ok)


def test_columns_follow_measured_glibc_and_show_the_distro_facts(fixture_dom: Node) -> None:
    singles = fixture_dom.find_all("table", "singles")[0]
    headers = singles.find_all("th", "distro")
    assert [h.attrs["data-distro"] for h in headers] == [
        "debian-bullseye",
        "debian-bookworm",
        "debian-trixie",
        "debian-trixie-nolibcrypt",
        "debian-forky",
    ]
    assert "glibc 2.31" in headers[0].all_text()
    assert "pip 20.3.4" in headers[0].all_text()
    assert "py 3.9" in headers[0].all_text()


def test_combination_section_shows_order_and_dlopen(
    fixture_record: results.RunRecord, fixture_dom: Node
) -> None:
    (section,) = fixture_dom.find_all("section", "combinations")
    combo_rows = {c.row for c in fixture_record.cells if len(c.members) > 1}
    rows = section.find_all("tr")[1:]
    assert {tr.attrs["data-row"] for tr in rows} == combo_rows
    global_row = next(tr for tr in rows if tr.attrs["data-row"].endswith("(RTLD_GLOBAL)"))
    assert "global" in [td.all_text() for td in global_row.children]
    order = global_row.find_all("ol", "order")[0].find_all("li")
    assert [li.all_text() for li in order] == [
        "cpp_static_locals[plain] @ manylinux_2_31-x86_64",
        "cpp_static_locals[plain] @ manylinux_2_41-x86_64",
    ]
    # Single-wheel rows stay out of the combination section and vice versa.
    singles = fixture_dom.find_all("table", "singles")[0]
    assert all(" + " not in tr.attrs["data-row"] for tr in singles.find_all("tr")[1:])


def test_filters_cover_every_arch_policy_distro_and_verdict(
    fixture_record: results.RunRecord, fixture_dom: Node
) -> None:
    (form,) = fixture_dom.find_all("form", id="filters")

    def values(name: str) -> set[str]:
        return {i.attrs["value"] for i in form.find_all("input", name=name)}

    assert values("arch") == {"x86_64"}
    assert values("policy") == {"manylinux_2_31", "manylinux_2_36", "manylinux_2_41"}
    assert values("distro") == {c.distro for c in fixture_record.cells}
    assert values("verdict") == {v.value for v in Verdict}
    assert form.find_all("input", name="text", type="search")
    # The script hooks the form; rows carry what it filters on.
    assert len(fixture_dom.find_all("script")) == 1
    rows = fixture_dom.find_all("tr")
    assert all("data-policies" in tr.attrs for tr in rows if "data-row" in tr.attrs)
    assert fixture_dom.find_all("section", "arch", data_arch="x86_64")


def test_no_network_references(fixture_html: str, fixture_dom: Node) -> None:
    assert "http://" not in fixture_html
    assert "https://" not in fixture_html
    assert not re.search(r"@import|url\(", fixture_html)
    for node in fixture_dom.iter():
        assert "src" not in node.attrs and "href" not in node.attrs, node.tag
        assert node.tag not in ("link", "img", "iframe", "object", "embed")


def test_header_and_facts(fixture_record: results.RunRecord, fixture_dom: Node) -> None:
    (header,) = fixture_dom.find_all("header")
    text = header.all_text()
    assert fixture_record.harness_version in text
    assert fixture_record.created in text
    assert f"{len(fixture_record.cells)} cells" in text
    assert "interrupted" in text
    (images,) = fixture_dom.find_all("table", "image-facts")
    # This run did not measure its build images' toolchains.
    assert images.all_text().count(NOT_MEASURED) == sum(
        1 for k in fixture_record.images if k.startswith("build:")
    )
    (distros,) = fixture_dom.find_all("table", "distro-facts")
    assert "Debian GNU/Linux 11 (bullseye)" in distros.all_text()
    assert "3.4.28" in distros.all_text()  # glibcxx_max
    assert "2026-08-31" in distros.all_text()  # eol


def test_javascript_parses() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("no node to check the inline script")
    script = re.search(r"<script>(.*)</script>", render_html(run_record([cell()])), re.S)
    assert script is not None
    result = subprocess.run(
        [node, "--check", "-"], input=script.group(1), text=True, capture_output=True
    )
    assert result.returncode == 0, result.stderr


def test_full_run_stays_small(tmp_path: Path) -> None:
    # A whole run (265 cells, four pips, one arch), kept compressed beside the small fixture.
    full = tmp_path / "results.json"
    full.write_bytes(gzip.decompress((DATA / "x86_64-full-results.json.gz").read_bytes()))
    record = results.load(full)
    text = render_html(record)
    assert len(text.encode()) < 2_000_000
    assert len(parse(text).find_all("details", "cell-detail")) == len(record.cells)


# -- records built in code ------------------------------------------------------------------


def test_record_text_is_escaped() -> None:
    hostile = cell(
        row='evil<b>@manylinux_2_31 "quoted"',
        explanation="a & b",
        observed={
            "install": {"decision": "accepted", "reason": "ok"},
            "load": {
                "status": "crashed",
                "signal": "SIGSEGV",
                "output": "<script>alert(1)</script> see https://evil.example/x.js",
            },
        },
    )
    record = run_record([hostile], skipped={"<img>-x86_64": "<i>no</i>"})
    text = render_html(record)
    dom = parse(text)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert len(dom.find_all("script")) == 1  # only the report's own
    # The only <b> are the detail's part titles: the row's "<b>" stayed text.
    assert all(b.parent is not None and "part" in b.parent.classes for b in dom.find_all("b"))
    assert not dom.find_all("img") and not dom.find_all("i")
    (tr,) = [t for t in dom.find_all("tr") if "data-row" in t.attrs]
    assert tr.attrs["data-row"] == 'evil<b>@manylinux_2_31 "quoted"'  # round-trips as text
    assert "a &amp; b" in text
    # A URL in an output is text, never a reference.
    assert not re.search(r"(src|href)\s*=", text)


def test_cell_detail_shows_expected_against_observed() -> None:
    refused = cell(
        verdict=Verdict.REFUSED_AS_CLAIMED,
        expected={
            "installable": False,
            "reason": "needs glibc >= 2.38",
            "declared": "refused-as-claimed",
            "declared_reason": "built on a newer image",
        },
        observed={
            "install": {"decision": "refused", "exit_code": 1, "reason": "not a supported wheel"},
            "load": None,
            "forced": {
                "status": "crashed",
                "exit_code": None,
                "signal": "SIGSEGV",
                "stage": "import c_plain",
                "output": "Segmentation fault",
            },
        },
        diagnosis="the loader crashed",
        timings={"total": 2.5, "install": 0.4},
        pip_version="19.0",
        emulated=True,
        lint={"warned": True, "members": {"c_plain@manylinux_2_31": ["libstdc++"]}},
    )
    (details,) = parse(render_html(run_record([refused]))).find_all("details", "cell-detail")
    text = details.all_text()
    for expected in (
        "needs glibc >= 2.38",
        "refused-as-claimed",
        "built on a newer image",
        "not a supported wheel",
        "SIGSEGV",
        "import c_plain",
        "Segmentation fault",
        "the loader crashed",
        "total 2.5 s",
        "install 0.4 s",
        "19.0",
        "yes (qemu)",
        "libstdc++",
        "because",
    ):
        assert expected in text, expected
    titles = [b.all_text() for b in details.find_all("b")]
    assert "expected" in titles and "observed: forced load" in titles
    assert "observed: load" not in titles  # nothing loaded after a refusal


def test_each_installer_gets_its_own_table_distro_first_then_pips_oldest_first() -> None:
    installers = ["latest", "20.3", "distro", "19.0"]
    cells = [cell(installer=i, key=f"c_plain | {i}") for i in installers]
    dom = parse(render_html(run_record(cells)))
    blocks = dom.find_all("div", "block")
    in_order = ["distro", "19.0", "20.3", "latest"]
    assert [b.attrs["data-installer"] for b in blocks] == in_order
    assert [b.find_all("h4")[0].all_text() for b in blocks] == [
        "installer: the distro's own pip",
        "installer: pip 19.0",
        "installer: pip 20.3",
        "installer: pip latest",
    ]
    for block, installer in zip(blocks, in_order, strict=True):
        (td,) = block.find_all("td", "cell")
        assert td.attrs["data-key"] == f"c_plain | {installer}"
    (form,) = dom.find_all("form", id="filters")
    assert [i.attrs["value"] for i in form.find_all("input", name="installer")] == in_order


def test_no_combination_section_without_combinations() -> None:
    dom = parse(render_html(run_record([cell()])))
    assert not dom.find_all("section", "combinations")
    combo = cell(
        row="a@manylinux_2_31 + b@manylinux_2_36 (RTLD_GLOBAL)",
        members=(member(), member("manylinux_2_36", "b")),
        dlopen="global",
    )
    dom = parse(render_html(run_record([cell(), combo])))
    (section,) = dom.find_all("section", "combinations")
    (tr,) = [t for t in section.find_all("tr") if "data-row" in t.attrs]
    assert tr.attrs["data-policies"] == '["manylinux_2_31", "manylinux_2_36"]'


def test_header_flags_interruption_skips_and_image_facts() -> None:
    record = run_record(
        [cell()],
        interrupted=True,
        skipped={"alpine-x86_64": "musl is not manylinux"},
        images={
            "build:manylinux_2_31:x86_64": {
                "reference": "r1",
                "facts": {"gcc": "10.2.1", "binutils": "2.35.2", "auditwheel": "6.8.2"},
            },
            "build:manylinux_2_36:x86_64": {"reference": "r2"},
            "distro:debian-bookworm:x86_64": {"reference": "r3"},
        },
    )
    dom = parse(render_html(record))
    (header,) = dom.find_all("header")
    assert header.find_all("p", "interrupted")
    assert "alpine-x86_64" in header.all_text() and "musl is not manylinux" in header.all_text()
    (images,) = dom.find_all("table", "image-facts")
    rows = images.find_all("tr")[1:]
    assert len(rows) == 2  # build images only
    # The toolchain's columns, in its order; a tool not measured shows "-".
    assert [th.all_text() for th in images.find_all("th")] == [
        "build image",
        "reference",
        *TOOLCHAIN,
    ]
    measured = dict(
        zip(TOOLCHAIN, [td.all_text() for td in rows[0].find_all("td")[2:]], strict=True)
    )
    assert measured == {
        "gcc": "10.2.1",
        "g++": "-",
        "gfortran": "-",
        "binutils": "2.35.2",
        "glibc": "-",
        "auditwheel": "6.8.2",
        "patchelf": "-",
    }
    (unmeasured,) = rows[1].find_all("td")[2:]
    assert unmeasured.all_text() == NOT_MEASURED
    assert unmeasured.attrs["colspan"] == str(len(TOOLCHAIN))
    assert "Not probed" in header.all_text()


def test_uninterrupted_run_has_no_banner() -> None:
    dom = parse(render_html(run_record([cell()])))
    assert not dom.find_all("p", "interrupted")


def test_stylesheet_and_script_are_the_package_files() -> None:
    text = render_html(run_record([cell()]))
    style = re.search(r"<style>\n(.*?)</style>", text, re.S)
    script = re.search(r"<script>\n(.*)</script>", text, re.S)
    assert style is not None and script is not None
    assert style.group(1) == (STATIC / "report.css").read_text(encoding="utf-8")
    assert script.group(1) == (STATIC / "report.js").read_text(encoding="utf-8")
    assert "td.cell.filtered" in style.group(1) and "getElementById('filters')" in script.group(1)


def test_minimum_pip_table_sits_beside_the_matrices_not_in_their_filtered_blocks() -> None:
    wheel = "c_plain-1.0-cp39-abi3-manylinux_2_34_x86_64.whl"
    members = (dataclasses.replace(member(), wheels=(wheel,)),)
    accepted = {"install": {"decision": "accepted"}}
    cells = [
        cell(installer="distro", members=members, observed=accepted, pip_version="23.0.1"),
        cell(installer="20.3", members=members, observed=accepted, pip_version="20.3.4"),
    ]
    dom = parse(render_html(run_record(cells)))
    (section,) = dom.find_all("section", "arch")
    (table,) = section.find_all("table", "minimum-pip")
    assert table.parent is section  # not in a div.block: the filters leave it shown
    (row,) = table.find_all("tr")[1:]
    assert [td.all_text() for td in row.find_all("td")] == [
        "c_plain@manylinux_2_31",
        "manylinux_2_34_x86_64",
        "20.3",
        "20.3.4",
        "-",
        "yes",
    ]


def test_notes_keep_their_code_and_emphasis_and_escape_the_rest() -> None:
    broken = cell(
        row="x<y>@manylinux_2_31",
        verdict=Verdict.VIOLATION,
        as_expected=False,
        diagnosis="needs <GLIBC_2.34> & more",
    )
    text = render_html(run_record([broken]))
    (section,) = parse(text).find_all("section", "explained")
    (item,) = section.find_all("li")
    assert [c.tag for c in item.children] == ["code", "strong"]
    assert item.children[0].all_text() == "x<y>@manylinux_2_31"
    assert item.children[1].all_text() == "not as expected"
    assert (
        "<li><code>x&lt;y&gt;@manylinux_2_31</code> on x86_64 debian-bookworm: violation — "
        "<strong>not as expected</strong>: needs &lt;GLIBC_2.34&gt; &amp; more</li>"
    ) in text
