"""ffi_call must compute what the C function computes."""

import ffi_control

for a, b, c in ((1, 2, 3), (-5, 0, 7), (123456, -789, 42)):
    got, want = ffi_control.call(a, b, c), a + 10 * b + 100 * c
    assert got == want, "call(%d, %d, %d) = %d, expected %d" % (a, b, c, got, want)
print("ffi_control: ffi_call results agree")
