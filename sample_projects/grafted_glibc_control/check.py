"""The grafted library's threaded sum must equal Python's."""

import struct

import grafted_glibc_control

for count in (0, 1, 5, 1000):
    values = [(i * 2654435761) % 2**32 for i in range(count)]
    data = struct.pack("=%dI" % count, *values)
    got = grafted_glibc_control.threaded_sum(data)
    assert got == sum(values), "sum of %d words: %d, expected %d" % (count, got, sum(values))
print("grafted_glibc_control: the grafted library's thread summed correctly")
