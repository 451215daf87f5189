"""`manylinux-harness images export --output DIR | --registry R` and `images import DIR |
--registry R`: provisioned images carried to another engine (a CI cache, a team registry, a
second machine), keyed by their recipe hash, so that each is built once (see
harness.images.archive)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import options
from harness.errors import ExitCode
from harness.options import Option, add_options, option

if TYPE_CHECKING:
    from harness.catalog.image_spec import ImageSpec
    from harness.catalog.registry_mirrors import Mirror
    from harness.settings import Settings


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "images",
        help="export provisioned images to a directory, or import them on another engine",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    export = actions.add_parser(
        "export",
        help="save the selection's images that the engine has, with a manifest",
        description="Save each image of the selection that the engine has (a run builds "
        "them) as a docker-archive tar into DIR, with manifest.json recording its recipe "
        "hash, image id and the archive's sha256. An archive of the very same image already "
        "there is kept.",
    )
    selection: list[str | Option] = [
        "profile",
        option("arch", help="architecture (repeatable; default: every arch of the profile)"),
        "policy",
        "distro",
        "engine",
        *options.SOURCES,
    ]
    add_options(
        export.add_argument,
        [
            option(
                "output",
                help="directory of the archives and their manifest.json",
                required=False,
            ),
            "registry",
            *selection,
        ],
    )
    imports = actions.add_parser(
        "import",
        help="load exported images whose recipe the catalog still has",
        description="Load the archives listed in DIR/manifest.json (or pull the selection's "
        "images from --registry) into the engine that serves each arch. An archive of a recipe "
        "the catalog no longer has is skipped (the run builds that image anew); one that is not "
        "what the manifest says is refused (exit 2).",
    )
    imports.add_argument(
        "directory", type=Path, nargs="?", metavar="DIR", help="an `images export` output"
    )
    add_options(imports.add_argument, ["registry", *selection])
    return parser


def run(args: argparse.Namespace) -> ExitCode:
    from harness.catalog.user import CatalogSources
    from harness.settings import Settings

    settings = Settings.from_options(
        engines=args.engine, registry_mirrors=args.registry_mirror, catalogs=args.catalog
    )
    from harness.errors import UsageError
    from harness.images import archive

    catalog = CatalogSources(settings.catalogs, settings.registry_mirrors).load()
    specs = [b.image for b in catalog.build_images(args.profile, args.arch or None, args.policy)]
    specs += [
        d.image
        for d in catalog.distros(args.profile, args.arch or None, args.distro)
        if not d.skip_reason
    ]
    place = args.output if args.action == "export" else args.directory
    if (place is None) == (args.registry is None):
        what = "--output DIR" if args.action == "export" else "DIR"
        raise UsageError(f"images {args.action} takes either {what} or --registry: name one")
    registry = archive.registry_from(args.registry) if args.registry else None
    if args.action == "export":
        return _export(specs, place, registry, settings)
    return _import(specs, place, registry, settings)


class _Engines:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._by_url: dict[str, Any] = {}

    def __call__(self, spec: ImageSpec) -> Any:
        from harness.util.engine import Engine

        url = self.settings.engine_url(spec.arch) or ""
        if url not in self._by_url:
            self._by_url[url] = Engine.connect(url or None)
        return self._by_url[url]


def _export(
    specs: list[ImageSpec], directory: Path | None, registry: Mirror | None, settings: Settings
) -> ExitCode:
    from harness.errors import NothingToRun, UsageError
    from harness.images import archive

    if not specs:
        raise UsageError("the selection names no image: check --arch, --policy and --distro")
    entries: dict[str, archive.ArchivedImage] = {}
    if directory is not None:
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"{directory} is not a directory: name a directory for the archives")
        directory.mkdir(parents=True, exist_ok=True)
        entries = archive.read_manifest(directory)
    engines = _Engines(settings)
    total = 0
    exported = 0
    for spec in specs:
        if not spec.needs_provisioning:
            # A pulled image used as it is comes from its registry again: nothing to carry.
            print(f"{spec.key}: used as pulled ({spec.tag}), not exported")
            continue
        engine = engines(spec)
        found = engine.image_info(spec.tag)
        if found is None or not found.matches(spec.arch):
            print(f"{spec.key}: not in the engine ({spec.tag}): a run of that arch builds it")
            continue
        exported += 1
        if registry is not None:
            pushed = archive.push_image(engine, spec, registry)
            print(f"{spec.key}: pushed {pushed.remote}@{pushed.digest} in {pushed.seconds:.0f} s")
            continue
        assert directory is not None
        done = archive.export_image(engine, spec, directory, entries.get(spec.tag))
        entries[spec.tag] = done.entry
        archive.write_manifest(directory, entries.values())  # after each: a kill keeps the rest
        total += done.entry.size
        how = f"saved in {done.seconds:.0f} s" if done.written else "unchanged"
        print(f"{spec.key}: {done.entry.archive} ({done.entry.size / 1e6:.0f} MB, {how})")
    if not exported:
        raise NothingToRun("the engine has none of the selection's images: run the matrix first")
    where = registry.location if registry is not None else f"{directory} ({total / 1e9:.2f} GB)"
    print(f"exported {exported} of {len(specs)} image(s) to {where}")
    return ExitCode.HELD


def _import(
    wanted: list[ImageSpec], directory: Path | None, registry: Mirror | None, settings: Settings
) -> ExitCode:
    from harness.errors import UsageError
    from harness.images import archive

    if registry is not None:
        return _pull(wanted, registry, settings)
    assert directory is not None
    if not (directory / archive.MANIFEST).is_file():
        raise UsageError(
            f"{directory} has no {archive.MANIFEST}: name a directory written by "
            "`manylinux-harness images export`"
        )
    entries = archive.read_manifest(directory)
    by_tag = {spec.tag: spec for spec in wanted}
    engines = _Engines(settings)
    started = time.monotonic()
    counts = {archive.LOADED: 0, archive.PRESENT: 0, archive.STALE: 0}
    for entry in entries.values():
        spec = by_tag.get(entry.reference)
        engine = engines(spec) if spec is not None else None
        if engine is None:
            outcome = archive.Imported(entry, archive.STALE)
        else:
            outcome = archive.import_image(engine, entry, directory, by_tag)
        counts[outcome.outcome] += 1
        detail = {
            archive.LOADED: f"loaded in {outcome.seconds:.0f} s ({entry.image_id[:19]})",
            archive.PRESENT: "already in the engine",
            archive.STALE: "stale: the catalog's recipe has another hash, not loaded",
        }[outcome.outcome]
        print(f"{entry.key}: {detail}")
    print(
        f"imported {counts[archive.LOADED]}, present {counts[archive.PRESENT]}, "
        f"stale {counts[archive.STALE]} in {time.monotonic() - started:.0f} s"
    )
    return ExitCode.HELD


def _pull(wanted: list[ImageSpec], registry: Mirror, settings: Settings) -> ExitCode:
    from harness.images import archive

    engines = _Engines(settings)
    started = time.monotonic()
    counts = {archive.LOADED: 0, archive.PRESENT: 0, archive.MISSING: 0}
    for spec in wanted:
        pulled = archive.pull_image(engines(spec), spec, registry)
        counts[pulled.outcome] += 1
        detail = {
            archive.LOADED: f"pulled in {pulled.seconds:.0f} s ({pulled.digest})",
            archive.PRESENT: "already in the engine",
            archive.MISSING: f"not in {registry.location}: a run builds it",
        }[pulled.outcome]
        print(f"{spec.key}: {detail}")
    print(
        f"pulled {counts[archive.LOADED]}, present {counts[archive.PRESENT]}, "
        f"missing {counts[archive.MISSING]} in {time.monotonic() - started:.0f} s"
    )
    return ExitCode.HELD
