"""Export manifests: written and read back, and refused when malformed; a stale entry is
never loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import UsageError
from harness.images import archive


def _entry(**changes: object) -> archive.ArchivedImage:
    spec = default_catalog().distros("local", ["aarch64"], ["debian-trixie"])[0].image
    fields = {
        "key": spec.key,
        "reference": spec.tag,
        "recipe": spec.recipe_hash(),
        "platform": "linux/arm64",
        "image_id": "sha256:" + "0" * 64,
        "archive": archive.archive_name(spec),
        "sha256": "1" * 64,
        "size": 123,
    }
    fields.update(changes)
    return archive.ArchivedImage(**fields)  # type: ignore[arg-type]


def test_manifest_round_trip(tmp_path: Path) -> None:
    entry = _entry()
    assert (
        entry.archive.startswith("distro-debian-trixie-aarch64-") and entry.recipe in entry.archive
    )
    archive.write_manifest(tmp_path, [entry])
    assert archive.read_manifest(tmp_path) == {entry.reference: entry}
    assert archive.read_manifest(tmp_path / "nothing-here") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not a readable image manifest"),
        (json.dumps({"schema": 99, "images": []}), "schema 1"),
        (json.dumps({"schema": 1}), "lists no images"),
        (json.dumps({"schema": 1, "images": [{"key": "x"}]}), "malformed image entry"),
    ],
)
def test_a_bad_manifest_is_a_usage_error(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / archive.MANIFEST).write_text(text)
    with pytest.raises(UsageError, match=message):
        archive.read_manifest(tmp_path)


def test_an_entry_the_catalog_no_longer_names_is_stale_and_not_loaded(tmp_path: Path) -> None:
    entry = _entry(reference="manylinux-harness/distro-debian-trixie:aarch64-000000000000")
    # no engine is needed: a stale entry is decided before anything is read or loaded
    outcome = archive.import_image(None, entry, tmp_path, {})  # type: ignore[arg-type]
    assert outcome.outcome == archive.STALE
