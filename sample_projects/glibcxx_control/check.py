"""The formatted doubles must read back exactly."""

import glibcxx_control

for value in (0.1, 1.0 / 3.0, 2.5e-300, 123456789.125, -0.0):
    text = glibcxx_control.shortest(value)
    assert float(text) == value, "%r formatted as %r" % (value, text)
assert glibcxx_control.shortest(0.1) in ("0.1", "0.10000000000000001"), glibcxx_control.shortest(0.1)
print("glibcxx_control: to_chars round-trips")
