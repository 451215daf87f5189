"""The mirror check: a package index that is not the one its Release file names cannot be
bootstrapped from, and doctor says which (suite, arch) pairs are lost, and why."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import doctor
from harness.images import mirror_index
from harness.vocab.arch import get_arch

RELEASE = """-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

Origin: Debian
Suite: stable
Codename: trixie
Architectures: all amd64 riscv64
MD5Sum:
 ace28eae5e140be3a7db18da10c6c135 54338128 main/binary-riscv64/Packages
 576c5642117fbf5e949c05740c8aa3eb  9387120 main/binary-riscv64/Packages.xz
 11111111111111111111111111111111       10 main/binary-amd64/Packages.xz
SHA256:
 f60294dc64d700afa90c1833cda096d8b8de1f033e99ab2969a99fb9ea4aff1b  9387120 main/binary-riscv64/Packages.xz
 2222222222222222222222222222222222222222222222222222222222222222       10 main/binary-amd64/Packages.xz
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCAAdFiEE
-----END PGP SIGNATURE-----
"""


SIZES = mirror_index.release_sizes(RELEASE)


def test_release_sizes_reads_the_checksum_sections_of_a_clearsigned_release() -> None:
    sizes = mirror_index.release_sizes(RELEASE)
    assert sizes["main/binary-riscv64/Packages.xz"] == 9387120
    assert sizes["main/binary-riscv64/Packages"] == 54338128
    assert sizes["main/binary-amd64/Packages.xz"] == 10
    assert "Hash" not in sizes and len(sizes) == 3  # nothing outside the sections


def test_an_index_is_usable_only_when_it_is_the_size_its_release_says() -> None:
    same = mirror_index.index_state("trixie", "riscv64", SIZES, 9387120)
    behind = mirror_index.index_state("trixie", "riscv64", SIZES, 9385284)
    absent = mirror_index.index_state("trixie", "s390x", SIZES, None)
    unserved = mirror_index.index_state("trixie", "amd64", SIZES, None)
    assert same.usable and same.problem() == ""
    assert not behind.usable
    assert behind.problem() == (
        "trixie: main/binary-riscv64/Packages.xz is 9385284 bytes, its signed Release says "
        "9387120 (a mirror caught mid-sync)"
    )
    assert not absent.usable and "lists no main/binary-s390x/Packages.xz" in absent.problem()
    assert not unserved.usable and "listed but not served" in unserved.problem()


def test_doctor_says_per_arch_which_suites_are_lost_and_how_to_get_them() -> None:
    riscv64 = get_arch("riscv64")
    mirror = "http://mirror/debian"
    ok = mirror_index.index_state("forky", "riscv64", SIZES, 9387120)
    behind = mirror_index.index_state("trixie", "riscv64", SIZES, 9385284)
    fine = doctor.mirror_line(riscv64, mirror, [ok])
    assert fine.ok and "forky" in fine.detail
    lost = doctor.mirror_line(riscv64, mirror, [behind, ok])
    assert not lost.ok and lost.warning  # other suites still run: not a problem for doctor
    assert "no image of trixie for riscv64 can be bootstrapped" in lost.detail
    assert "forky" not in lost.detail
    assert "MANYLINUX_HARNESS_DEBIAN_MIRROR" in lost.fix and "synced" in lost.fix
    down = [
        mirror_index.IndexState(s, "riscv64", None, None, error="cannot reach X: refused")
        for s in ("trixie", "forky")
    ]
    unreachable = doctor.mirror_line(riscv64, mirror, down)
    assert unreachable.detail.startswith("cannot reach X: refused: no image of trixie forky")
    assert "network" in unreachable.fix
    assert "\n" not in unreachable.line() and "\n" not in lost.line()


def test_the_suites_checked_are_those_the_local_images_come_from() -> None:
    assert doctor.local_suites(get_arch("riscv64")) == ("trixie", "forky")
    assert doctor.local_suites(get_arch("s390x")) == ("bookworm", "trixie", "forky")
    assert doctor.local_suites(get_arch("i686")) == ("bullseye", "bookworm", "trixie", "forky")


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[str]:
    """A mirror on loopback: trixie has only a Release (no InRelease), riscv64 is behind."""
    root = tmp_path / "debian"
    (root / "dists/trixie/main/binary-riscv64").mkdir(parents=True)
    (root / "dists/trixie/main/binary-amd64").mkdir(parents=True)
    (root / "dists/trixie/Release").write_text(RELEASE)
    (root / "dists/trixie/main/binary-riscv64/Packages.xz").write_bytes(b"x" * 9385284)
    (root / "dists/trixie/main/binary-amd64/Packages.xz").write_bytes(b"x" * 10)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/debian"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_states_asks_a_real_http_mirror(mirror: str) -> None:
    states = mirror_index.fetch_states(
        mirror, [("trixie", "amd64"), ("trixie", "riscv64"), ("trixie", "s390x"), ("sid", "amd64")]
    )
    by_pair = {(s.suite, s.debian_arch): s for s in states}
    assert by_pair["trixie", "amd64"].usable  # InRelease 404: the Release file serves
    assert by_pair["trixie", "riscv64"].served_size == 9385284
    assert not by_pair["trixie", "riscv64"].usable
    assert by_pair["trixie", "s390x"].expected_size is None
    assert "HTTP 404" in by_pair["sid", "amd64"].error  # the suite is not there at all


def test_an_unreachable_mirror_is_asked_once_and_named() -> None:
    states = mirror_index.fetch_states(
        "http://127.0.0.1:9/debian", [("trixie", "amd64"), ("forky", "amd64")], timeout=5
    )
    assert [s.usable for s in states] == [False, False]
    assert states[0].error == states[1].error
    assert states[0].error.startswith("cannot reach http://127.0.0.1:9/debian")
