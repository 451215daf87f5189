"""A recipe's pinned sources: fetched once into the cache by their sha256, never kept when the
bytes differ, and a second image that needs one fetches nothing."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.catalog.image_spec import PinnedSource
from harness.errors import ImageUnavailable
from harness.images import sources
from harness.util.cache import Cache

DATA = b"upstream tarball bytes\n" * 100
PIN = PinnedSource("zlib_1.2.13.dfsg.orig.tar.bz2", hashlib.sha256(DATA).hexdigest(), "main/z/zlib")


def test_a_source_is_fetched_once_and_kept_by_its_hash(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    fetched: list[str] = []

    def fetch(source: PinnedSource, dest: Path) -> None:
        fetched.append(source.file)
        dest.write_bytes(DATA)

    first = sources.ensure_source(cache, PIN, fetch)
    again = sources.ensure_source(cache, PIN, fetch)
    assert first == again == tmp_path / "sources" / PIN.sha256 / PIN.file
    assert first.read_bytes() == DATA and fetched == [PIN.file]


def test_other_bytes_than_the_pin_are_refused_and_not_kept(tmp_path: Path) -> None:
    cache = Cache(tmp_path)

    def tampered(source: PinnedSource, dest: Path) -> None:
        dest.write_bytes(DATA + b"x")

    with pytest.raises(ImageUnavailable, match="the server gave other bytes"):
        sources.ensure_source(cache, PIN, tampered)
    assert not any((tmp_path / "sources").rglob("*.bz2*"))


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[str]:
    """A Debian mirror on loopback serving one pool file."""
    root = tmp_path / "mirror"
    (root / "pool/main/z/zlib").mkdir(parents=True)
    (root / "pool/main/z/zlib" / PIN.file).write_bytes(DATA)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def test_a_pool_file_comes_from_the_mirror_by_its_pool_path(tmp_path: Path, pool: str) -> None:
    assert sources.source_url(PIN, pool) == f"{pool.rstrip('/')}/pool/main/z/zlib/{PIN.file}"
    path = sources.ensure_source(
        Cache(tmp_path / "cache"), PIN, lambda s, d: sources.fetch_pool_file(s, d, pool)
    )
    assert path.read_bytes() == DATA
    gone = PinnedSource("zlib_9.orig.tar.bz2", PIN.sha256, "main/z/zlib")
    with pytest.raises(ImageUnavailable, match="answered HTTP 404.*Sources"):
        sources.fetch_pool_file(gone, tmp_path / "x", pool)


def test_a_recipe_without_sources_keeps_its_recipe_shape() -> None:
    """Images of recipes that name no sources keep their tags: the key is absent."""
    from harness.catalog.model import default_catalog

    (bookworm,) = default_catalog().distros("local", ["x86_64"], ["debian-bookworm"])
    assert "sources" not in bookworm.image.recipe()
    (musl,) = default_catalog().distros("local", ["x86_64"], ["musl-1.2"])
    assert musl.image.recipe()["sources"] == [
        {
            "file": "pip-25.1.1-py3-none-any.whl",
            "sha256": musl.image.sources[0].sha256,
            "pypi": "pip==25.1.1",
        }
    ]
