"""Verify c_plain's results against pure-Python computations."""

import zlib

import c_plain


def fib_reference(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, (a + b) % 2**64
    return a


for n in (0, 1, 2, 10, 93, 94, 500):
    got, want = c_plain.fib(n), fib_reference(n)
    assert got == want, "fib(%d) = %d, expected %d" % (n, got, want)

for data in (b"", b"a", b"manylinux", bytes(range(256)) * 7):
    got, want = c_plain.crc32(data), zlib.crc32(data) & 0xFFFFFFFF
    assert got == want, "crc32 mismatch for %d bytes: %08x != %08x" % (len(data), got, want)
    assert c_plain.reverse(data) == data[::-1], "reverse mismatch"

print("c_plain: fib, crc32 and reverse agree with Python")
