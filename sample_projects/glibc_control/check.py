"""Verify the threaded computation against Python's."""

import glibc_control

for n, threads in ((0, 1), (10, 3), (100000, 4), (1000003, 7)):
    want = sum(i * i for i in range(n)) % 2**64
    got = glibc_control.threaded_sum_of_squares(n, threads)
    assert got == want, "sum of squares below %d on %d threads: %d != %d" % (n, threads, got, want)

print("glibc_control: pthread results agree with Python")
