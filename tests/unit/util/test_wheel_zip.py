"""Issue 24, item 3: a wheel's declared unpacked size and compression ratio are checked before
anything on the host unpacks it (auditwheel's analysis, the ELF readers, the module discovery,
the metadata), so that a zip bomb costs a line, never the host's disk."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import pytest

from harness.analysis import elf, lint, loading, memo, metadata
from harness.util.cache import Cache
from harness.util.wheel_zip import (
    MIB,
    RATIO_FLOOR,
    WheelLimits,
    WheelOverLimit,
    open_wheel,
    over_limits,
    zip_damage,
)
from harness.verify.given_wheels import wheel_modules
from tests.helpers.factories import bomb_wheel, damage_wheel, make_wheel


def info(name: str, size: int, compressed: int) -> zipfile.ZipInfo:
    found = zipfile.ZipInfo(name)
    found.file_size, found.compress_size = size, compressed
    return found


def test_the_limits_name_the_member_and_its_size() -> None:
    limits = WheelLimits(max_unpacked=100 * MIB, max_ratio=50)
    fine = [info("a.so", 40 * MIB, 10 * MIB), info("b.py", 100, 60)]
    assert limits.problem(fine) is None
    big = [info("a.so", 90 * MIB, 30 * MIB), info("huge.bin", 20 * MIB, 10 * MIB)]
    found = limits.problem(big)
    assert found == (
        "its member a.so declares 90.0 MiB unpacked (110.0 MiB in all), over the limit of "
        "100.0 MiB (--max-unpacked-mib)"
    )
    bomb = [info("zeros.bin", 60 * MIB, 60 * 1024)]
    assert "unpacks to 1024 times its compressed size, over the limit of 50" in str(
        limits.problem(bomb)
    )
    # Below the floor a high ratio costs nothing (a small file of repeats): not refused.
    small = [info("repeats.txt", RATIO_FLOOR, 1024)]
    assert limits.problem(small) is None
    assert limits.problem([]) is None


def test_a_bomb_is_refused_by_every_reader_before_it_unpacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """auditwheel unpacks the whole wheel into a temporary directory: it must never be asked,
    and nothing may grow the host's temporary directory."""
    bomb = bomb_wheel(tmp_path, "bomb-1.0-cp39-abi3-manylinux_2_17_x86_64.whl", 32)
    import auditwheel.wheel_abi

    def never(*args: object, **kwargs: object) -> None:
        pytest.fail("auditwheel was asked to unpack a wheel over the limits")

    monkeypatch.setattr(auditwheel.wheel_abi, "analyze_wheel_abi", never)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    readers = (
        lambda: lint.inspect_wheel(bomb, "x86_64"),
        lambda: memo.inspect_wheel(Cache(tmp_path / "cache"), bomb, "x86_64"),
        lambda: elf.wheel_symbols(bomb),
        lambda: loading.wheel_load_needs(bomb),
        lambda: metadata.requires_python(bomb),
        lambda: wheel_modules(bomb),
    )
    for read in readers:
        with pytest.raises(WheelOverLimit) as refused:
            read()
        message = str(refused.value)
        assert message.startswith(f"{bomb.name}: its member data/zeros.bin declares 32.0 MiB")
        assert "--max-compression-ratio" in message and "\n" not in message
    assert not any(os.scandir(scratch))  # nothing was unpacked
    assert not (tmp_path / "cache" / "inspections").exists()  # and nothing kept


def test_raised_limits_let_the_same_wheel_be_read(tmp_path: Path) -> None:
    bomb = bomb_wheel(tmp_path, "bomb-1.0-py3-none-any.whl", 16)
    assert over_limits(bomb) is not None
    generous = WheelLimits(max_unpacked=64 * MIB, max_ratio=2000)
    assert over_limits(bomb, generous) is None
    assert wheel_modules(bomb, generous) == ("bomb",)
    tight = WheelLimits(max_unpacked=8 * MIB, max_ratio=2000)
    assert "over the limit of 8.0 MiB (--max-unpacked-mib)" in str(over_limits(bomb, tight))


def test_damage_and_limits_in_one_line_with_their_fix(tmp_path: Path) -> None:
    good = make_wheel(tmp_path, "good-1.0-py3-none-any.whl", {"good.py": "X = 1\n"})
    assert zip_damage(good) is None
    with open_wheel(good) as archive:
        assert "good.py" in archive.namelist()
    crc = damage_wheel(make_wheel(tmp_path / "c", "c-1.0-py3-none-any.whl", {"c.py": "X"}), "crc")
    assert zip_damage(crc) == "its member c.py fails its CRC check: download it again"
    bomb = bomb_wheel(tmp_path, "bomb-1.0-py3-none-any.whl", 16)
    assert "if the wheel is what you expect, raise the limit" in str(zip_damage(bomb))


def test_a_member_that_understates_its_size_reads_no_further(tmp_path: Path) -> None:
    """The declaration bounds what zipfile unpacks: a member whose headers say 1 KiB while
    its data inflates to 8 MiB yields at most 1 KiB, then fails its CRC check."""
    path = tmp_path / "liar-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", bytes(8 * MIB))
    data = bytearray(path.read_bytes())
    declared = (8 * MIB).to_bytes(4, "little")
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        assert data[at + offset : at + offset + 4] == declared
        data[at + offset : at + offset + 4] = (1024).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert over_limits(path, WheelLimits(max_unpacked=4096)) is None  # it says 1 KiB
    read = 0
    with open_wheel(path, WheelLimits(max_unpacked=4096)) as archive:
        member = archive.open("zeros.bin")
        with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
            while chunk := member.read(256):
                read += len(chunk)
    assert read <= 1024  # never past the declared end, where its CRC fails
    assert "fails its CRC check" in str(zip_damage(path))
