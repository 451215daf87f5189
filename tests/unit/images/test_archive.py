"""Export manifests: written and read back, and refused when malformed; a stale entry is
never loaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.errors import UsageError
from harness.images import archive
from harness.util.cache import file_digest
from harness.util.engine import ImageInfo


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


def test_an_archive_named_outside_the_directory_is_refused(tmp_path: Path) -> None:
    spec = default_catalog().distros("local", ["aarch64"], ["debian-trixie"])[0].image
    entry = _entry(archive="../elsewhere.tar")
    (tmp_path / "elsewhere.tar").write_bytes(b"x")
    with pytest.raises(UsageError, match="not a file name in the export directory"):
        archive.import_image(_Engine({}), entry, tmp_path / "export", {spec.tag: spec})  # type: ignore[arg-type]


class _Engine:
    """What import_image asks of an engine: an image's info, a load that tags `tags`, and
    removal (recorded)."""

    def __init__(self, tags: dict[str, ImageInfo]) -> None:
        self.tags = tags
        self.present: dict[str, ImageInfo] = {}
        self.removed: list[str] = []

    def image_info(self, reference: str) -> ImageInfo | None:
        return self.present.get(reference)

    def load_image(self, path: Path) -> list[str]:
        self.present.update(self.tags)
        return list(self.tags)

    def remove_image(self, reference: str) -> None:
        self.removed.append(reference)
        self.present.pop(reference, None)


def test_an_archive_that_also_tags_other_images_is_refused_and_taken_out(
    tmp_path: Path,
) -> None:
    """A harness image is found by its tag: an archive may bring only the one it is for."""
    spec = default_catalog().distros("local", ["aarch64"], ["debian-trixie"])[0].image
    build = default_catalog().build_images("local", ["aarch64"])[0].image
    tar = tmp_path / archive.archive_name(spec)
    tar.write_bytes(b"an archive")
    info = ImageInfo(
        reference=spec.tag,
        id="sha256:" + "0" * 64,
        os="linux",
        architecture="arm64",
        variant=None,
        labels={archive.RECIPE_LABEL: spec.recipe_hash()},
    )
    entry = _entry(sha256=file_digest(tar), size=tar.stat().st_size)
    fine = _Engine({spec.tag: info})
    loaded = archive.import_image(fine, entry, tmp_path, {spec.tag: spec})  # type: ignore[arg-type]
    assert loaded.outcome == archive.LOADED
    assert fine.removed == []
    smuggled = _Engine({spec.tag: info, build.tag: info})
    with pytest.raises(UsageError, match=f"also holds {build.tag}"):
        archive.import_image(smuggled, entry, tmp_path, {spec.tag: spec})  # type: ignore[arg-type]
    assert sorted(smuggled.removed) == sorted([spec.tag, build.tag])
