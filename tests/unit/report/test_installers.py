from __future__ import annotations

import dataclasses

from harness.probe.observation import Observation
from harness.report.installers import disagreement_table, installer_notes, oldest_installer_table
from harness.vocab.installer import Installer
from harness.vocab.verdict import Verdict
from tests.helpers.factories import cell, record


def _installed(installer: str, version: str, decision: str, verdict: Verdict, distro: str):
    made = cell("c_plain@manylinux_2_31", distro, verdict)
    return dataclasses.replace(
        made,
        key=f"{made.key}-{installer}",
        installer=Installer.parse(installer),
        pip_version=version,
        observed=Observation.from_json({"install": {"decision": decision}}),
    )


def test_oldest_installer_per_family_and_where_pip_and_uv_differ() -> None:
    cells = [
        _installed("distro", "20.3.4", "accepted", Verdict.OK, "debian-bullseye"),
        _installed("latest", "26.2.2", "refused", Verdict.VIOLATION, "debian-bullseye"),
        _installed("uv-0.1", "uv 0.1.45", "accepted", Verdict.OK, "debian-bullseye"),
        _installed("uv-latest", "uv 0.13.9", "accepted", Verdict.OK, "debian-bullseye"),
    ]
    oldest = oldest_installer_table(cells, "x86_64")
    assert oldest is not None
    texts = [[part.value for c in row for part in c.content] for row in oldest.rows]
    assert texts == [
        ["c_plain@manylinux_2_31", "20.3.4 (1 of 1 distros)", "uv 0.1.45 (1 of 1 distros)"]
    ]
    differ = disagreement_table(cells, "x86_64")
    assert differ is not None and len(differ.rows) == 2  # both uvs against pip latest
    row = [part.value for c in differ.rows[0] for part in c.content]
    assert row[1] == "26.2.2: refused" and row[-1] == "26.2.2"  # pip departs from the tags


def test_no_installer_tables_without_uv_cells() -> None:
    cells = [_installed("distro", "20.3.4", "accepted", Verdict.OK, "debian-bullseye")]
    assert oldest_installer_table(cells, "x86_64") is None
    assert disagreement_table(cells, "x86_64") is None


def test_installer_notes_name_pipenv_and_the_fetched_uv() -> None:
    run = dataclasses.replace(
        record([]),
        host={"cpu_level": "x86-64-v4"},
        installers={
            "uv-latest@x86_64": {
                "version": "0.13.9",
                "wheel": "uv-0.13.9-py3-none-musllinux_1_1_x86_64.whl",
                "wheel_sha256": "a" * 64,
                "binary_sha256": "b" * 64,
            }
        },
    )
    assert installer_notes(record([])) is None
    notes = installer_notes(run)
    assert notes is not None
    items = [part.value for item in notes.items for part in item]
    text = " ".join(items)
    assert "pipenv" in text and "uv 0.13.9" in text and "b" * 64 in text
    assert "host CPU: x86-64-v4" in text
