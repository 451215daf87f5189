"""The static scan's pure parts: which wheels of a project's file list are scanned, and where a
finding's condition breaks."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from harness.analysis import scan
from harness.errors import UsageError


def _file(name: str, size: int = 1000) -> scan.IndexFile:
    return scan.IndexFile(name, f"https://files.example/{name}", size)


def test_the_newest_release_and_the_newest_of_older_series() -> None:
    versions = [Version(v) for v in ("1.26.3", "1.26.4", "2.0.0", "2.2.5", "2.3.0rc1", "2.2.6")]
    assert scan.choose_releases(versions, 3) == [
        Version("2.2.6"),
        Version("2.0.0"),
        Version("1.26.4"),
    ]


def test_one_wheel_per_release_arch_and_floor_abi3_first_and_the_size_limit() -> None:
    files = [
        _file("demo-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        _file("demo-2.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"),
        _file("demo-2.0-cp313-cp313-manylinux_2_28_x86_64.whl"),
        _file("demo-2.0-cp39-abi3-manylinux_2_17_aarch64.whl"),
        _file("demo-2.0-cp313-cp313-manylinux_2_17_aarch64.whl"),
        _file("demo-2.0-cp313-cp313-manylinux_2_17_s390x.whl", size=200 * 2**20),
        _file("demo-2.0-cp313-cp313-musllinux_1_2_x86_64.whl"),
        _file("demo-2.0-cp313-cp313-win_amd64.whl"),
        _file("demo-2.0.tar.gz"),
        _file("demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl"),
    ]
    chosen = scan.choose_wheels("demo", files, Requirement("demo"), releases=1)
    names = {(c.arch, c.file.filename): c.skipped for c in chosen}
    assert names == {
        ("aarch64", "demo-2.0-cp39-abi3-manylinux_2_17_aarch64.whl"): "",
        ("s390x", "demo-2.0-cp313-cp313-manylinux_2_17_s390x.whl"): "200 MB, over the 100 MB limit",
        ("x86_64", "demo-2.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"): "",
        ("x86_64", "demo-2.0-cp313-cp313-manylinux_2_28_x86_64.whl"): "",
    }
    pinned = scan.choose_wheels("demo", files, Requirement("demo<2"), releases=3)
    assert [c.file.filename for c in pinned] == ["demo-1.0-cp313-cp313-manylinux_2_17_x86_64.whl"]


def test_where_a_finding_breaks() -> None:
    distros = {"centos-7": "2.17", "debian-bookworm": "2.36", "debian-trixie": "2.41"}
    assert scan.breaking_distros("glibc >= 2.41", distros) == ["debian-trixie"]
    assert scan.breaking_distros("glibc < 2.34", distros) == ["centos-7"]
    assert scan.breaking_distros("load order", distros) == []
    # a musl distro has no glibc to break; below the wheel's own floor no installer takes it
    assert scan.breaking_distros("glibc < 2.34", {**distros, "alpine-3.23": "none"}) == ["centos-7"]
    assert scan.breaking_distros("glibc < 2.34", distros, floor=(2, 31)) == []
    assert scan.breaking_distros("glibc < 2.41", distros, floor=(2, 31)) == ["debian-bookworm"]


def test_a_bad_requirement_line_is_one_line() -> None:
    assert [r.name for r in scan.read_requirements("numpy\n# c\n\nscipy==1.14.1\n", "r.txt")] == [
        "numpy",
        "scipy",
    ]
    with pytest.raises(UsageError, match=r"r.txt:2: 'numpy ==' is not a requirement"):
        scan.read_requirements("scipy\nnumpy ==\n", "r.txt")
    with pytest.raises(UsageError, match="names no project"):
        scan.read_requirements("# nothing\n", "r.txt")
