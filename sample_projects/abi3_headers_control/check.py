"""Adler-32 against zlib's."""

import zlib

import abi3_headers_control

for data in (b"", b"manylinux", bytes(range(256)) * 9):
    got, want = abi3_headers_control.checksum(data), zlib.adler32(data)
    assert got == want, "adler32 of %d bytes: %08x != %08x" % (len(data), got, want)
print("abi3_headers_control: checksums agree")
