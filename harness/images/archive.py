"""Provisioned images carried from one engine to another, so that each is built once.

`export` writes each image of a selection as a docker-archive tar (what `docker save`
writes and `docker load` reads, on any engine of API >= 1.41) into one directory, with a
manifest that records, per image, its catalog key, the tag (which carries the recipe hash),
the recipe hash its label states, the image id (the digest of its configuration) and the
archive's sha256. `import` loads what the current catalog still names and trusts nothing
else:

    stale    an archive of a recipe the catalog no longer has (another hash): not loaded;
             the run builds the image anew;
    foreign  an archive that is not what the manifest says (its sha256, the image id, tag,
             recipe label or platform of what it loads differ): refused, with what it
             loaded removed again (exit 2);
    present  the engine has the image already: nothing to do.

A CI cache or a second machine restores a directory of these, and the harness then finds
every image under its tag and builds none (harness.images.provider).

Through a registry instead (`--registry HOST[:PORT]/PREFIX`, a team's or GHCR): export pushes
each image under the registry's name for its tag (HOST/PREFIX/manylinux-harness/...:ARCH-HASH,
the registry-mirror rewrite of the tag), and import pulls the catalog's current tags from
there, with the same checks; a recipe the registry has no image of is left for the run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.catalog.image_spec import ImageSpec
from harness.catalog.registry_mirrors import (
    DOCKER_HUB,
    ImageReference,
    Mirror,
    parse_mirror,
    served_digest,
)
from harness.errors import ImageUnavailable, UsageError
from harness.util.cache import file_digest
from harness.util.engine import Engine
from harness.util.ownership import IMAGE_LABEL

MANIFEST = "manifest.json"
SCHEMA = 1
RECIPE_LABEL = f"{IMAGE_LABEL}.recipe"


@dataclass(frozen=True)
class ArchivedImage:
    """One image in an export directory."""

    key: str  # the catalog's, e.g. "distro:debian-trixie:aarch64"
    reference: str  # the tag, named by the recipe hash
    recipe: str  # the recipe hash
    platform: str  # e.g. "linux/arm64"
    image_id: str  # sha256:... of the image's configuration (what the engine calls its id)
    archive: str  # file name in the directory
    sha256: str  # of the archive file
    size: int  # bytes

    @classmethod
    def from_json(cls, data: Mapping[str, Any], source: Path) -> ArchivedImage:
        try:
            return cls(
                key=str(data["key"]),
                reference=str(data["reference"]),
                recipe=str(data["recipe"]),
                platform=str(data["platform"]),
                image_id=str(data["image_id"]),
                archive=str(data["archive"]),
                sha256=str(data["sha256"]),
                size=int(data["size"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UsageError(
                f"{source} has a malformed image entry ({exc}): export the images again"
            ) from None


def archive_name(spec: ImageSpec) -> str:
    return f"{spec.role}-{spec.name}-{spec.arch.name}-{spec.recipe_hash()}.tar"


def read_manifest(directory: Path) -> dict[str, ArchivedImage]:
    """The manifest's entries by reference; {} for a directory without one."""
    path = directory / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not a readable image manifest ({exc}): export again") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(
            f"{path} is not an image manifest of schema {SCHEMA}: export the images again "
            "with this harness"
        )
    images = data.get("images")
    if not isinstance(images, list):
        raise UsageError(f"{path} lists no images: export the images again")
    entries = [ArchivedImage.from_json(item, path) for item in images]
    return {entry.reference: entry for entry in entries}


def write_manifest(directory: Path, entries: Iterable[ArchivedImage]) -> None:
    ordered = sorted(entries, key=lambda e: e.key)
    text = json.dumps({"schema": SCHEMA, "images": [asdict(e) for e in ordered]}, indent=2)
    tmp = directory / (MANIFEST + ".tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    tmp.replace(directory / MANIFEST)


# -- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exported:
    entry: ArchivedImage
    written: bool  # False: the archive of this very image was there already
    seconds: float


def export_image(
    engine: Engine, spec: ImageSpec, directory: Path, known: ArchivedImage | None
) -> Exported:
    """Save `spec`'s image (it must be in the engine) unless the directory has it already."""
    started = time.monotonic()
    info = engine.image_info(spec.tag)
    if info is None:
        raise ImageUnavailable(f"{spec.tag} is not in the engine: nothing to export")
    name = archive_name(spec)
    path = directory / name
    if known is not None and known.image_id == info.id and path.is_file():
        return Exported(known, written=False, seconds=0.0)
    partial = directory / f".{name}.partial"
    engine.save_image(spec.tag, partial)
    partial.replace(path)
    entry = ArchivedImage(
        key=spec.key,
        reference=spec.tag,
        recipe=spec.recipe_hash(),
        platform=info.platform,
        image_id=info.id,
        archive=name,
        sha256=file_digest(path),
        size=path.stat().st_size,
    )
    return Exported(entry, written=True, seconds=round(time.monotonic() - started, 1))


# -- import -----------------------------------------------------------------------------------

STALE = "stale"
PRESENT = "present"
LOADED = "loaded"


@dataclass(frozen=True)
class Imported:
    entry: ArchivedImage
    outcome: str  # STALE, PRESENT or LOADED
    seconds: float = 0.0


def import_image(
    engine: Engine, entry: ArchivedImage, directory: Path, wanted: Mapping[str, ImageSpec]
) -> Imported:
    """Load one archive if the catalog still names its image; UsageError (exit 2) when the
    archive is missing or is not what the manifest says it is."""
    started = time.monotonic()
    spec = wanted.get(entry.reference)
    if spec is None or spec.recipe_hash() != entry.recipe:
        return Imported(entry, STALE)
    found = engine.image_info(entry.reference)
    if found is not None and found.matches(spec.arch):
        return Imported(entry, PRESENT)
    if entry.archive != Path(entry.archive).name or entry.archive in ("", ".", ".."):
        raise UsageError(
            f"{directory / MANIFEST} names the archive {entry.archive!r} for {entry.key}, "
            "which is not a file name in the export directory: export again"
        )
    path = directory / entry.archive
    if not path.is_file():
        raise UsageError(
            f"{path} is missing (the manifest lists it for {entry.key}): restore the whole "
            "export directory, or export again"
        )
    if file_digest(path) != entry.sha256:
        raise UsageError(
            f"{path} does not match the sha256 its manifest records: the archive is damaged "
            "or was replaced; export again"
        )
    try:
        loaded = engine.load_image(path)
    except ImageUnavailable as exc:
        raise UsageError(f"{path} is not an image archive the engine can load: {exc}") from None
    problem = _foreign(engine, entry, spec, loaded)
    if problem:
        for reference in loaded:
            engine.remove_image(reference)
        raise UsageError(f"{path} is not the image its manifest names: {problem}; export again")
    return Imported(entry, LOADED, round(time.monotonic() - started, 1))


def _foreign(
    engine: Engine, entry: ArchivedImage, spec: ImageSpec, loaded: list[str]
) -> str | None:
    if entry.reference not in loaded:
        return f"it holds {', '.join(loaded) or 'no tagged image'}, not {entry.reference}"
    others = sorted(set(loaded) - {entry.reference})
    if others:
        # Loading them would have re-tagged images the harness finds by tag.
        return f"it also holds {', '.join(others)}"
    info = engine.image_info(entry.reference)
    if info is None:
        return f"{entry.reference} is not in the engine after loading"
    label = info.labels.get(RECIPE_LABEL, "")
    if label != spec.recipe_hash():
        return f"its recipe label is {label or 'missing'}, the tag says {spec.recipe_hash()}"
    if info.id != entry.image_id:
        return f"its image id is {info.id}, the manifest records {entry.image_id}"
    if not info.matches(spec.arch):
        return f"it records platform {info.platform}, not {spec.arch.oci_platform}"
    return None


# -- through a registry -----------------------------------------------------------------------

MISSING = "missing"


def registry_from(text: str) -> Mirror:
    """`--registry HOST[:PORT]/PREFIX`: where images go, as a mirror of this harness's own
    (Docker Hub-named) tags, so that the registry-mirror rules (HTTPS unless loopback) hold."""
    try:
        return parse_mirror(f"{DOCKER_HUB}={text}")
    except UsageError as exc:
        raise UsageError(f"--registry {text!r}: {str(exc).split(': ', 1)[-1]}") from None


def remote_reference(registry: Mirror, spec: ImageSpec) -> str:
    return str(registry.rewrite(ImageReference.parse(spec.tag)))


@dataclass(frozen=True)
class Pushed:
    remote: str
    digest: str
    seconds: float


def push_image(engine: Engine, spec: ImageSpec, registry: Mirror) -> Pushed:
    started = time.monotonic()
    remote = remote_reference(registry, spec)
    engine.tag_image(spec.tag, remote)
    try:
        digest = engine.push(remote)
    finally:
        engine.remove_image(remote)  # the name only: the image keeps its own tag
    return Pushed(remote, digest, round(time.monotonic() - started, 1))


@dataclass(frozen=True)
class Pulled:
    spec: ImageSpec
    outcome: str  # LOADED, PRESENT or MISSING
    digest: str = ""
    seconds: float = 0.0


_NOT_THERE = ("manifest unknown", "not found", "does not exist")


def pull_image(engine: Engine, spec: ImageSpec, registry: Mirror) -> Pulled:
    """The image of the catalog's current recipe from the registry, checked as an archive
    is (recipe label, platform); MISSING when the registry has no image of that recipe."""
    started = time.monotonic()
    found = engine.image_info(spec.tag)
    if found is not None and found.matches(spec.arch):
        return Pulled(spec, PRESENT)
    remote = remote_reference(registry, spec)
    try:
        info = engine.pull(remote, spec.arch)
    except ImageUnavailable as exc:
        if any(words in str(exc).lower() for words in _NOT_THERE):
            return Pulled(spec, MISSING)
        raise
    label = info.labels.get(RECIPE_LABEL, "")
    problem = None
    if label != spec.recipe_hash():
        problem = f"its recipe label is {label or 'missing'}, the tag says {spec.recipe_hash()}"
    elif not info.matches(spec.arch):
        problem = f"it records platform {info.platform}, not {spec.arch.oci_platform}"
    if problem:
        engine.remove_image(remote)
        raise UsageError(f"{remote} is not the image its tag names: {problem}")
    digest = served_digest(remote, info.repo_digests)
    engine.tag_image(remote, spec.tag)
    engine.remove_image(remote)
    return Pulled(spec, LOADED, digest, round(time.monotonic() - started, 1))
