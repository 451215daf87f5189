"""The pinned files a recipe's steps need (harness.catalog.image_spec.PinnedSource): fetched
once into the cache, checked against the sha256 the recipe names, and copied into the
provisioning container from there. A second build of the image, or of another image that
needs the same file, fetches nothing.

Debian's source pool serves upstream tarballs as `pool/<component>/<x>/<pkg>/<pkg>_<ver>.orig.tar.*`
on the same mirror the local images are bootstrapped from (its Sources index names each
file's sha256); a wheel comes from the package index through `pip download`, held to the
same hash with `--require-hashes`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from harness.catalog.image_spec import PinnedSource
from harness.errors import ImageUnavailable
from harness.images.bootstrap import debian_mirror
from harness.util.cache import Cache, file_digest

Fetcher = Callable[[PinnedSource, Path], None]  # writes the source's bytes to the path


def cached_path(cache: Cache, source: PinnedSource) -> Path:
    """Where the file lives in the cache: keyed by its hash, so a pin that changes is
    another entry and a file is never trusted by its name alone."""
    return cache.path("sources", source.sha256, source.file)


def source_url(source: PinnedSource, mirror: str) -> str:
    return f"{mirror.rstrip('/')}/pool/{source.debian}/{source.file}"


def fetch_pool_file(source: PinnedSource, dest: Path, mirror: str | None = None) -> None:
    url = source_url(source, mirror or debian_mirror())
    try:
        with urllib.request.urlopen(url, timeout=120) as response, open(dest, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
    except urllib.error.HTTPError as exc:
        raise ImageUnavailable(
            f"{url} answered HTTP {exc.code}: the mirror lacks {source.file}; pin the file "
            "its Sources index names now (dists/<suite>/main/source/Sources.xz)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ImageUnavailable(
            f"cannot fetch {url}: {exc}; check the mirror (MANYLINUX_HARNESS_DEBIAN_MIRROR)"
        ) from None


def fetch_wheel(source: PinnedSource, dest: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="mh-source-", dir=dest.parent) as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(f"{source.pypi} --hash=sha256:{source.sha256}\n", encoding="utf-8")
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--require-hashes",
            "--only-binary=:all:", "--disable-pip-version-check", "--dest", scratch,
            "-r", str(requirements),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        fetched = Path(scratch) / source.file
        if done.returncode != 0 or not fetched.is_file():
            lines = (done.stderr or done.stdout).strip().splitlines() or ["no such file"]
            raise ImageUnavailable(
                f"cannot fetch {source.file} ({source.pypi}) from the package index: "
                f"{lines[-1][:240]}; check that the index is reachable (pip config)"
            )
        shutil.move(str(fetched), dest)


def default_fetcher(source: PinnedSource, dest: Path) -> None:
    if source.debian:
        fetch_pool_file(source, dest)
    else:
        fetch_wheel(source, dest)


def ensure_source(cache: Cache, source: PinnedSource, fetch: Fetcher = default_fetcher) -> Path:
    """The source's file in the cache, fetched when it is not there yet; bytes that do not
    match the pin are never kept."""
    final = cached_path(cache, source)
    with cache.lock(f"source-{source.sha256[:16]}"):
        if final.is_file():
            return final
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(final.name + ".partial")
        partial.unlink(missing_ok=True)
        try:
            fetch(source, partial)
            got = file_digest(partial)
            if got != source.sha256:
                raise ImageUnavailable(
                    f"{source.file} from {source.origin} has sha256 {got[:16]}..., the recipe "
                    f"pins {source.sha256[:16]}...: the server gave other bytes; fix the pin "
                    "only after checking why"
                )
            partial.rename(final)
        finally:
            partial.unlink(missing_ok=True)
    return final
