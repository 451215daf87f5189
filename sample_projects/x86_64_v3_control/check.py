"""Verify x86_64_v3_control's AVX2 sum against Python's."""

import struct

import x86_64_v3_control

for count in (0, 1, 7, 8, 9, 1000):
    values = [(i * 2654435761) % 2**32 for i in range(count)]
    data = struct.pack("<%dI" % count, *values)
    got, want = x86_64_v3_control.sum_u32(data), sum(values) % 2**32
    assert got == want, "sum of %d: %d, expected %d" % (count, got, want)

print("x86_64_v3_control: AVX2 sums agree with Python")
