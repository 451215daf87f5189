"""Images built once, used on another engine: `images export` on the working engine, `images
import` on a second engine of this test's own (a scratch dockerd with its own data root and
socket), and a run there that builds no image; the same through a registry on loopback. Bad
input is one line and exit 2, and what a refused archive loaded is taken out again."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.catalog.model import default_catalog
from harness.images import archive
from harness.images.provider import ImageProvider
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.util.scratch_engine import ScratchEngine, scratch_engine
from tests.helpers.commands import load_results, run_cli
from tests.helpers.registry import loopback_registry

pytestmark = pytest.mark.xdist_group("scratch-engine")

SELECTION = ("--arch", "x86_64", "--policy", "manylinux_2_36", "--distro", "debian-bookworm")


@pytest.fixture(scope="module")
def exported(engine: Engine, settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smallest pair that runs a cell, built (or found) on the working engine, exported."""
    catalog = default_catalog()
    specs = [b.image for b in catalog.build_images("local", ["x86_64"], ["manylinux_2_36"])]
    specs += [d.image for d in catalog.distros("local", ["x86_64"], ["debian-bookworm"])]
    provider = ImageProvider(engine, Cache(settings.cache_dir), settings)
    for spec in specs:
        provider.ensure(spec)
    directory = tmp_path_factory.mktemp("export")
    proc = run_cli("images", "export", *SELECTION, "--output", str(directory))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    entries = archive.read_manifest(directory)
    assert set(entries) == {spec.tag for spec in specs}
    for spec in specs:
        entry = entries[spec.tag]
        assert entry.recipe == spec.recipe_hash() and (directory / entry.archive).is_file()
        assert entry.image_id == engine.image_info(spec.tag).id  # type: ignore[union-attr]
    again = run_cli("images", "export", *SELECTION, "--output", str(directory))
    assert again.returncode == 0 and again.stdout.count("unchanged") == 2, again.stdout
    return directory


@pytest.fixture(scope="module")
def second() -> Iterator[ScratchEngine]:
    with scratch_engine("mh-test", fresh=True) as started:
        yield started


def _harness_images(url: str) -> set[str]:
    engine = Engine.connect(url)
    try:
        return {info.reference for info in engine.images()}
    finally:
        engine.close()


def test_imported_images_are_used_without_rebuilding(
    exported: Path, second: ScratchEngine, tmp_path: Path
) -> None:
    env = {"DOCKER_HOST": second.url}
    assert _harness_images(second.url) == set()
    proc = run_cli("images", "import", str(exported), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "imported 2, present 0, stale 0" in proc.stdout
    assert _harness_images(second.url) == set(archive.read_manifest(exported))
    again = run_cli("images", "import", str(exported), env=env)
    assert again.returncode == 0 and "imported 0, present 2" in again.stdout

    run = run_cli(
        "run", "--profile", "local", *SELECTION, "--sample", "c_plain", "--pip", "none",
        "--uv", "none", "--results-dir", str(tmp_path), env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = load_results(tmp_path)
    images = results["images"]
    assert len(images) == 2 and not any(entry["built"] for entry in images.values()), images
    assert {entry["id"] for entry in images.values()} == {
        e.image_id for e in archive.read_manifest(exported).values()
    }
    assert results["cells"] and all(c["verdict"] == "ok" for c in results["cells"])


def _copy(exported: Path, target: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    target.mkdir()
    manifest = json.loads((exported / archive.MANIFEST).read_text())
    for item in manifest["images"]:
        source = exported / item["archive"]
        if source.exists():
            (target / item["archive"]).symlink_to(source)
    edit(target, manifest)
    (target / archive.MANIFEST).write_text(json.dumps(manifest))
    return target


def test_bad_input_is_one_line_and_exit_2(
    exported: Path, second: ScratchEngine, tmp_path: Path
) -> None:
    engine = Engine.connect(second.url)
    manifest = json.loads((exported / archive.MANIFEST).read_text())
    build, distro = sorted(manifest["images"], key=lambda e: e["key"])  # build:..., distro:...

    def missing(target: Path, data: dict) -> None:
        (target / data["images"][1]["archive"]).unlink()

    def damaged(target: Path, data: dict) -> None:
        name = data["images"][1]["archive"]
        (target / name).unlink()
        shutil.copyfile(exported / name, target / name)
        with open(target / name, "ab") as handle:
            handle.write(b"\0" * 512)

    def not_an_archive(target: Path, data: dict) -> None:
        name = data["images"][1]["archive"]
        (target / name).unlink()
        (target / name).write_bytes(b"not a tar at all\n")
        data["images"][1]["sha256"] = archive.file_digest(target / name)

    def foreign(target: Path, data: dict) -> None:
        # the distro's entry names the build image's archive (its own sha256 is right)
        data["images"][1]["archive"] = build["archive"]
        data["images"][1]["sha256"] = build["sha256"]
        data["images"] = [data["images"][1]]

    cases = {
        "missing": (missing, "is missing"),
        "damaged": (damaged, "does not match the sha256"),
        "not-an-archive": (not_an_archive, "is not an image archive"),
        "foreign": (foreign, "is not the image its manifest names"),
    }
    for name, (edit, words) in cases.items():
        for reference in _harness_images(second.url):
            engine.remove_image(reference)
        directory = _copy(exported, tmp_path / name, edit)
        proc = run_cli("images", "import", str(directory), env={"DOCKER_HOST": second.url})
        assert proc.returncode == 2, (name, proc.stdout, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (name, proc.stderr)
        # nothing a refused archive loaded is left under the distro's tag
        assert distro["reference"] not in _harness_images(second.url), name
    engine.close()
    no_manifest = run_cli("images", "import", str(tmp_path), env={"DOCKER_HOST": second.url})
    assert no_manifest.returncode == 2 and "has no manifest.json" in no_manifest.stderr


def test_through_a_registry(
    exported: Path, second: ScratchEngine, tmp_path: Path, engine: Engine
) -> None:
    """The same images pushed to a registry on loopback from the working engine and pulled on
    the second one under their own tags; a recipe the registry lacks is left for the run."""
    with loopback_registry(tmp_path) as address:
        registry = f"{address}/team"
        pushed = run_cli("images", "export", *SELECTION, "--registry", registry)
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        assert pushed.stdout.count("@sha256:") == 2, pushed.stdout
        # nothing of the registry's names is left on the working engine
        assert not [i for i in engine.images() if i.reference.startswith(address)]
        for reference in _harness_images(second.url):
            Engine.connect(second.url).remove_image(reference)
        env = {"DOCKER_HOST": second.url}
        pulled = run_cli(
            "images", "import", "--registry", registry, "--arch", "x86_64",
            "--policy", "manylinux_2_36", "--policy", "manylinux_2_31",
            "--distro", "debian-bookworm", env=env,
        )  # fmt: skip
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
        assert "pulled 2, present 0, missing 1" in pulled.stdout, pulled.stdout
        manifest = archive.read_manifest(exported)
        second_engine = Engine.connect(second.url)
        for entry in manifest.values():
            info = second_engine.image_info(entry.reference)
            assert info is not None and info.id == entry.image_id
        assert not [i for i in second_engine.images() if i.reference.startswith(address)]
        second_engine.close()
