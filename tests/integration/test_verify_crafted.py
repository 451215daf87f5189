"""`verify` on hand-made wheels that break their claims in known ways (tests/helpers/crafted:
compiled here, no network), over every local x86_64 distro: one row per wheel, `violation`
exactly where each breaks, with the loader's words, `ok` elsewhere; and the static findings
in the record equal what `auditwheel show` says of each wheel."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.util.engine import Engine
from tests.helpers.commands import auditwheel_show, left_behind, run_verify, verdicts
from tests.helpers.crafted import crafted_wheel

pytestmark = pytest.mark.xdist_group("verify")

# Every local x86_64 distro (a distro added to the catalog joins the test); the crafted
# wheels are manylinux ones: refused as claimed on a musl distro.
DISTROS = tuple(d.name for d in default_catalog().distros("local", ["x86_64"]))
MUSL = {d.name for d in default_catalog().distros("local", ["x86_64"]) if d.expected_musl}
# row -> (the distros where it breaks, the loader's words there)
BREAKS = {
    "mh_crafted_libcrypt-1.0": (
        {"debian-trixie-nolibcrypt"},
        "library libcrypt.so.1 is not installed",
    ),
    "mh_crafted_glibcxx-1.0": (
        {"debian-bullseye"},
        "needs GLIBCXX_3.4.29, which this system lacks",
    ),
    "mh_crafted_ffi7-1.0": (
        set(DISTROS) - {"debian-bullseye"} - MUSL,
        "library libffi.so.7 is not installed",
    ),
}


def test_three_unrelated_wheels_three_rows(tmp_path: Path, engine: Engine) -> None:
    wheels = [crafted_wheel(tmp_path / "wheels", name) for name in ("libcrypt", "glibcxx", "ffi7")]
    results_dir = tmp_path / "results"
    proc, pid = run_verify(*map(str, wheels), "--arch", "x86_64", "--results-dir", str(results_dir))
    assert proc.returncode == 1, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert not left_behind(engine, pid)
    data, cells = verdicts(results_dir)
    assert {row for row, _ in cells} == set(BREAKS)
    assert {distro for _, distro in cells} == set(DISTROS)
    for row, (broken_on, words) in BREAKS.items():
        for distro in DISTROS:
            cell = cells[(row, distro)]
            if distro in MUSL:
                assert cell["verdict"] == "refused-as-claimed", (row, distro, cell["explanation"])
                assert "built for glibc, this system has musl" in cell["explanation"]
            elif distro in broken_on:
                assert cell["verdict"] == "violation", (row, distro, cell["explanation"])
                assert words in cell["diagnosis"], (row, distro, cell["diagnosis"])
            else:
                assert cell["verdict"] == "ok", (row, distro, cell["explanation"])

    for wheel in wheels:
        shown = auditwheel_show(wheel)
        recorded = data["wheels"][wheel.name]
        assert recorded["policy"] == shown["overall_tag"]
        assert recorded["external_libs"] == sorted(shown["external_libs"])
    static = {name.split("-")[0]: w["policy_problems"] for name, w in data["wheels"].items()}
    assert any("libffi.so.7" in p for p in static["mh_crafted_ffi7"])
    assert any("GLIBCXX_3.4.29" in p for p in static["mh_crafted_glibcxx"])
    assert any("libcrypt.so.1" in p for p in static["mh_crafted_libcrypt"])
