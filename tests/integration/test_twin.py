"""An emulated image made with the native twin is the image the recipe describes: every file
of its Python packages as dpkg installed it (the deferred py_compile.py back, no diversion
left), the standard library's bytecode there and up to date, and the template venv the twin
made working under the image's own interpreter. aarch64 bullseye (the oldest Python, 3.9),
which the arch smoke test builds too."""

from __future__ import annotations

import pytest

from harness.catalog.model import default_catalog
from harness.images.provider import ImageProvider
from harness.probe.distro_probe import TEMPLATE
from harness.settings import Settings
from harness.util.cache import Cache
from harness.util.engine import Engine
from harness.vocab.arch import get_arch

pytestmark = [pytest.mark.xdist_group("arches"), pytest.mark.emulated]

# Every module of the standard library the image's python3.9 imports at start, and a few
# more: each must have a .pyc whose header names its source's mtime and size.
CHECK_BYTECODE = """
import importlib.util, os, struct, sys
names = ["os", "re", "json", "encodings.utf_8", "py_compile", "subprocess", "venv", "ensurepip"]
for name in names:
    source = importlib.util.find_spec(name).origin
    cached = importlib.util.cache_from_source(source)
    with open(cached, "rb") as handle:
        header = handle.read(16)
    flags, mtime, size = struct.unpack("<III", header[4:16])
    stat = os.stat(source)
    assert (flags, mtime, size) == (0, int(stat.st_mtime) & 0xFFFFFFFF, stat.st_size), name
print("bytecode ok", len(names))
"""


def test_a_twin_made_image_is_the_recipe_image(engine: Engine, settings: Settings) -> None:
    (distro,) = default_catalog().distros("local", ["aarch64"], ["debian-bullseye"])
    resolved = ImageProvider(engine, Cache(settings.cache_dir), settings).ensure(distro.image)
    if resolved.built:
        # made here: through the twin (a fresh engine always is)
        assert {"bootstrap", "portable"} <= set(resolved.stages), resolved.stages
        log = ImageProvider(engine, Cache(settings.cache_dir), settings).log_path(distro.image)
        assert (
            "portable steps natively in manylinux-harness/twin-bullseye:x86_64-" in log.read_text()
        )
    with engine.container(
        resolved.reference, arch=get_arch("aarch64"), role="test", name_hint="twin-check"
    ) as container:
        verify = container.exec(
            ["dpkg", "--verify", "libpython3.9-minimal", "libpython3.9-stdlib", "python3.9"],
            timeout=600,
            step="dpkg --verify",
        )
        # the documentation the bootstrap leaves out (dpkg path-exclude) is reported missing
        changed = [
            line
            for line in verify.stdout.splitlines()
            if not line.split()[-1].startswith(("/usr/share/doc/", "/usr/share/man/"))
        ]
        assert verify.ok and changed == [], verify.tail()
        diversions = container.shell(
            "cat /var/lib/dpkg/diversions; ls /var/lib/manylinux-harness-bytecode 2>&1",
            timeout=120,
            step="diversions",
        )
        assert "manylinux-harness" not in diversions.stdout.replace(
            "ls: cannot access '/var/lib/manylinux-harness-bytecode'", ""
        ), diversions.stdout
        bytecode = container.exec(["python3", "-c", CHECK_BYTECODE], timeout=600, step="bytecode")
        assert bytecode.ok and "bytecode ok" in bytecode.stdout, bytecode.tail()
        pip = container.exec(
            [f"{TEMPLATE}/bin/python", "-m", "pip", "--version"], timeout=600, step="pip"
        )
        assert pip.ok and f"{TEMPLATE}/lib/python3.9/site-packages/pip" in pip.stdout, pip.tail()
