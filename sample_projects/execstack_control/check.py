"""The assembler-stepped hash must equal Python's own arithmetic."""

import execstack_control


def expected(data):
    h = 0
    for byte in bytearray(data):
        h = (h * 31 + byte) % 2**32
    return h


for data in (b"", b"a", b"manylinux", bytes(range(256)) * 3):
    got = execstack_control.hash(data)
    assert got == expected(data), "hash of %d bytes: %d, expected %d" % (len(data), got, expected(data))
print("execstack_control: the assembler routine agrees with Python")
