"""A registry on loopback for the tests: Debian's `docker-registry` (the CNCF distribution),
plain HTTP, which the engine allows for 127.0.0.0/8. No public registry is reachable here."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REGISTRY = Path("/usr/bin/docker-registry")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def loopback_registry(root: Path) -> Iterator[str]:
    """Serve a registry from `root` until the block ends; yields its HOST:PORT."""
    if not REGISTRY.exists():
        pytest.fail(
            f"{REGISTRY} is missing: apt-get install docker-registry (tox -e tests does)",
            pytrace=False,
        )
    port = _free_port()
    config = root / "config.yml"
    config.write_text(
        f"version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {root}/data\n"
        f"http:\n  addr: 127.0.0.1:{port}\n",
        encoding="utf-8",
    )
    with open(root / "registry.log", "w") as log:
        process = subprocess.Popen([str(REGISTRY), "serve", str(config)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"the registry did not start: see {root}/registry.log")
                time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)
