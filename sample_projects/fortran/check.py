"""Check Fortran kernels (module named in argv) against Python's arithmetic."""

import importlib
import math
import sys

module = importlib.import_module(sys.argv[1])

n = 7
a = [float((i * 3 + 1) % 11) - 5.0 for i in range(n * n)]
b = [float((i * 7 + 2) % 13) / 4.0 for i in range(n * n)]
got = module.matmul(n, a, b)
for col in range(n):
    for row in range(n):
        want = sum(a[k * n + row] * b[col * n + k] for k in range(n))
        assert got[col * n + row] == want, "c[%d,%d] = %r, expected %r" % (row, col, got[col * n + row], want)

values = [3.0, 4.0, 12.0, 84.0]
assert module.norm2(values) == 85.0, module.norm2(values)
series = [1.0 / (k + 1) for k in range(100)]
want = math.sqrt(math.fsum(x * x for x in series))
assert math.isclose(module.norm2(series), want, rel_tol=1e-14), (module.norm2(series), want)

assert module.format(1.0 / 3.0) == "3.3333333333333331E-001", module.format(1.0 / 3.0)
assert module.format(-2.5e300) == "-2.5000000000000001E+300", module.format(-2.5e300)  # nearest double
assert module.format(-1536.0) == "-1.5360000000000000E+003", module.format(-1536.0)
print("%s: matmul, norm2 and Fortran I/O agree" % sys.argv[1])
